/*
 * test_group_agg.c — the streaming group aggregation: changelog output over
 * insert-only and updating input, MIN/MAX and DISTINCT under retraction,
 * upsert mode, mini-batch, TTL, snapshots (restore, rescale, bad bytes).
 *
 * The operator is driven by hand as the runtime would; rows go in as text
 * ("+I 1 10 abc; -D 1 10 abc", "null" for NULL) and come out as Flink prints
 * them ("+I[1, 10]"), in emission order.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/base/hash.h"
#include "../../src/ops/group_agg.h"
#include "../../src/state/keygroup.h"
#include "../../src/types/row_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Input columns of most tests: k BIGINT, v BIGINT, s VARCHAR, f BOOLEAN. */
static const wr_type IN[] = {
    {WR_TYPE_BIGINT, true, 0, 0},
    {WR_TYPE_BIGINT, true, 0, 0},
    {WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0},
    {WR_TYPE_BOOLEAN, true, 0, 0},
};
#define NIN 4
static const int K[] = {0};

static int64_t fake_now;

static int64_t fake_clock(void *arg)
{
    return fake_now;
}

/* A call resolved as the binder makes it; arg < 0 for COUNT(*), filter < 0 for none. */
static wr_agg_call call_of(const char *name, int arg, int arg2, bool distinct, int filter)
{
    wr_agg_call c;
    memset(&c, 0, sizeof(c));
    wr_type args[2];
    if (arg >= 0) {
        c.args[c.nargs] = arg;
        args[c.nargs++] = IN[arg];
    }
    if (arg2 >= 0) {
        c.args[c.nargs] = arg2;
        args[c.nargs++] = IN[arg2];
    }
    c.distinct = distinct;
    c.filter = filter;
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_agg_resolve(name, args, c.nargs, distinct, 0, &c.kind, &c.type, &err), 0,
                 "%s: %s", name, err.msg);
    return c;
}

static wr_agg_call call(const char *name, int arg)
{
    return call_of(name, arg, -1, false, -1);
}

/* ---- driving the operator --------------------------------------------------- */

typedef struct run {
    wr_op_ctx ctx;
    capture cap;
    wr_operator *op;
    wr_error err;
    wr_collector *outs[1];
    int64_t watermark; /* the last one emitted */
} run;

static int mark_out(wr_collector *self, const wr_mark *mark, wr_error *err)
{
    run *r = (run *)((char *)self - offsetof(run, cap));
    if (mark->kind == WR_MARK_WATERMARK) r->watermark = mark->time;
    return 0;
}

/* Creates subtask `subtask` of `par` (restoring when restore is set); 0 or the error code. */
static int start_at(run *r, const wr_operator_spec *spec, int subtask, int par,
                    const wr_restore *restore)
{
    memset(r, 0, sizeof(*r));
    capture_init(&r->cap);
    r->cap.base.mark = mark_out;
    ctx_init(&r->ctx, subtask, par, &r->cap.base);
    r->outs[0] = &r->cap.base;
    r->ctx.outs = r->outs;
    r->ctx.nouts = 1;
    r->ctx.restore = restore;
    wr_error_init(&r->err);
    r->op = spec->ops->create(spec->spec, &r->ctx, &r->err);
    r->ctx.restore = NULL;
    return r->op ? 0 : r->err.code;
}

static void start(run *r, const wr_operator_spec *spec)
{
    int rc = start_at(r, spec, 0, 1, NULL);
    cr_assert_eq(rc, 0, "create: %s", r->err.msg);
}

static void stop(run *r)
{
    if (r->op) r->op->ops->destroy(r->op);
    capture_fini(&r->cap);
}

static void put_cell(wr_batch *b, int col, int row, const char *cell)
{
    wr_vector *v = &b->cols[col];
    if (strcmp(cell, "null") == 0) {
        wr_batch_set_null(b, col, row);
        return;
    }
    switch (v->type.id) {
    case WR_TYPE_BOOLEAN:
        ((uint8_t *)v->data)[row] = strcmp(cell, "true") == 0;
        break;
    case WR_TYPE_BIGINT:
        ((int64_t *)v->data)[row] = strtoll(cell, NULL, 10);
        break;
    case WR_TYPE_VARCHAR:
        ((wr_str *)v->data)[row] = wr_batch_str(b, cell, strlen(cell));
        break;
    default:
        cr_assert_fail("no cell parser for type %d", v->type.id);
    }
}

/*
 * One batch of rows "+I 1 10 abc true; -U 1 10 ..." over IN; missing trailing
 * cells are NULL. Returns the operator's result.
 */
static int feed_rc(run *r, const char *text)
{
    wr_batch *b = wr_batch_new(IN, NIN, WR_BATCH_CAPACITY);
    char *copy = wr_strdup(text), *save = NULL;
    uint8_t *kinds = wr_batch_kinds(b);
    for (char *row = strtok_r(copy, ";", &save); row; row = strtok_r(NULL, ";", &save)) {
        char *save2 = NULL, *tok = strtok_r(row, " ", &save2);
        const char *names[] = {"+I", "-U", "+U", "-D"};
        int kind = -1;
        for (int k = 0; k < 4; k++)
            if (strcmp(tok, names[k]) == 0) kind = k;
        cr_assert(kind >= 0, "bad kind %s", tok);
        int n = b->count;
        kinds[n] = (uint8_t)kind;
        for (int c = 0; c < NIN; c++) {
            tok = strtok_r(NULL, " ", &save2);
            put_cell(b, c, n, tok ? tok : "null");
        }
        b->count++;
    }
    wr_free(copy);
    int rc = r->op->ops->process(r->op, 0, b, &r->err);
    wr_batch_free(b);
    return rc;
}

static void feed(run *r, const char *text)
{
    int rc = feed_rc(r, text);
    cr_assert_eq(rc, 0, "process: %s", r->err.msg);
}

/* Asserts that exactly `want` (rows joined by '\n') was emitted since the last check. */
static void expect(run *r, const char *want)
{
    wr_buf got;
    wr_buf_init(&got);
    for (int b = 0; b < r->cap.nbatches; b++)
        for (int i = 0; i < r->cap.batches[b]->count; i++) {
            if (got.len) wr_buf_putc(&got, '\n');
            wr_batch_format_row(r->cap.batches[b], i, &got);
        }
    cr_assert_str_eq(got.len ? got.data : "", want);
    wr_buf_fini(&got);
    capture_fini(&r->cap);
    capture_init(&r->cap);
    r->cap.base.mark = mark_out;
}

static wr_operator_spec spec_of(const int *groups, int ngroups, const wr_agg_call *calls, int n,
                                const wr_group_agg_opts *opts)
{
    return wr_group_agg_spec(IN, NIN, groups, ngroups, calls, n, opts);
}

/* ---- changelog semantics ------------------------------------------------------ */

Test(group_agg, insert_only_counts_and_sums)
{
    wr_agg_call calls[] = {call("COUNT", -1), call("SUM", 1)};
    wr_operator_spec spec = spec_of(K, 1, calls, 2, NULL);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10; +I 2 5; +I 1 1");
    expect(&r, "+I[1, 2, 11]\n+I[2, 1, 5]");
    feed(&r, "+I 1 20");
    expect(&r, "-U[1, 2, 11]\n+U[1, 3, 31]");
    feed(&r, "+I 2 null; +I 3 7");
    expect(&r, "-U[2, 1, 5]\n+U[2, 2, 5]\n+I[3, 1, 7]");
    cr_assert_eq(r.op->ops->end_input(r.op, 0, &r.err), 0);
    expect(&r, ""); /* results were emitted as they changed */
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, retraction_to_zero_deletes_and_forgets)
{
    wr_agg_call calls[] = {call("COUNT", -1), call("SUM", 1), call("AVG", 1)};
    wr_operator_spec spec = spec_of(K, 1, calls, 3, NULL);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10; +I 1 20; +I 2 4");
    expect(&r, "+I[1, 2, 30, 15]\n+I[2, 1, 4, 4]");
    feed(&r, "-U 1 10; +U 1 12");
    expect(&r, "-U[1, 2, 30, 15]\n+U[1, 2, 32, 16]");
    feed(&r, "-D 1 12; -D 1 20");
    expect(&r, "-D[1, 2, 32, 16]");
    /* The state is gone: the key starts afresh, and sums forget the old values. */
    feed(&r, "+I 1 7");
    expect(&r, "+I[1, 1, 7, 7]");
    /* Inserted and deleted within one batch: nothing to say. */
    feed(&r, "+I 9 1; -D 9 1");
    expect(&r, "");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, retraction_without_state_is_ignored)
{
    wr_agg_call calls[] = {call("COUNT", -1), call("SUM", 1)};
    wr_operator_spec spec = spec_of(K, 1, calls, 2, NULL);
    run r;
    start(&r, &spec);
    feed(&r, "-D 5 1; -U 3 1; +U 3 2");
    expect(&r, "+I[3, 1, 2]");
    feed(&r, "-D 5 1");
    expect(&r, "");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, unchanged_results_emit_nothing)
{
    wr_agg_call calls[] = {call("MAX", 1), call("COUNT", 1)};
    wr_operator_spec spec = spec_of(K, 1, calls, 2, NULL);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10");
    expect(&r, "+I[1, 10, 1]");
    feed(&r, "+I 1 null; +I 1 3; -D 1 3");
    expect(&r, ""); /* MAX is still 10, COUNT(v) still 1: only the row count moved */
    feed(&r, "-D 1 null");
    expect(&r, "");
    feed(&r, "-D 1 10");
    expect(&r, "-D[1, 10, 1]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, min_max_under_retraction)
{
    wr_agg_call calls[] = {call("MIN", 1), call("MAX", 1), call("MIN", 2), call("MAX", 2)};
    wr_operator_spec spec = spec_of(K, 1, calls, 4, NULL);
    run r;
    start(&r, &spec);
    const char *longa = "a-string-longer-than-sixteen-bytes";
    char rows[512];
    snprintf(rows, sizeof rows, "+I 1 5 m; +I 1 3 %s; +I 1 9 z; +I 1 5 m", longa);
    feed(&r, rows);
    char want[512];
    snprintf(want, sizeof want, "+I[1, 3, 9, %s, z]", longa);
    expect(&r, want);
    /* Removing the current minimum makes the next one the result. */
    snprintf(rows, sizeof rows, "-D 1 3 %s", longa);
    feed(&r, rows);
    snprintf(want, sizeof want, "-U[1, 3, 9, %s, z]\n+U[1, 5, 9, m, z]", longa);
    expect(&r, want);
    feed(&r, "-D 1 9 z");
    expect(&r, "-U[1, 5, 9, m, z]\n+U[1, 5, 5, m, m]");
    /* 5 was there twice: one retraction leaves it. */
    feed(&r, "-D 1 5 m");
    expect(&r, "");
    /* A new extreme after a removal, in the same batch. */
    feed(&r, "+I 1 8 q; -D 1 5 m; +I 1 2 b");
    expect(&r, "-U[1, 5, 5, m, m]\n+U[1, 2, 8, b, q]");
    /* Retracting a value that was never there is ignored. */
    feed(&r, "-D 1 100 zz; +I 1 4 c");
    expect(&r, "");
    feed(&r, "-D 1 8 q; -D 1 2 b; -D 1 4 c");
    expect(&r, "-D[1, 2, 8, b, q]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, distinct_under_retraction)
{
    wr_agg_call calls[] = {call_of("COUNT", 1, -1, true, -1), call_of("SUM", 1, -1, true, -1),
                           call("COUNT", -1), call_of("COUNT", 2, -1, true, -1)};
    wr_operator_spec spec = spec_of(K, 1, calls, 4, NULL);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 x; +I 1 10 y; +I 1 20 x; +I 1 null x");
    expect(&r, "+I[1, 2, 30, 4, 2]");
    feed(&r, "-D 1 10 x");
    expect(&r, "-U[1, 2, 30, 4, 2]\n+U[1, 2, 30, 3, 2]");
    feed(&r, "-D 1 10 y");
    expect(&r, "-U[1, 2, 30, 3, 2]\n+U[1, 1, 20, 2, 1]");
    feed(&r, "+I 1 10 y; -D 1 null x");
    expect(&r, "-U[1, 1, 20, 2, 1]\n+U[1, 2, 30, 2, 2]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, filter_columns)
{
    wr_agg_call calls[] = {call_of("COUNT", -1, -1, false, 3), call_of("SUM", 1, -1, false, 3),
                           call_of("COUNT", 1, -1, true, 3)};
    wr_operator_spec spec = spec_of(K, 1, calls, 3, NULL);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 a true; +I 1 20 a false; +I 1 30 a null");
    expect(&r, "+I[1, 1, 10, 1]");
    feed(&r, "-D 1 20 a false");
    expect(&r, "");
    feed(&r, "+I 1 10 a true");
    expect(&r, "-U[1, 1, 10, 1]\n+U[1, 2, 20, 1]");
    feed(&r, "-D 1 10 a true; -D 1 10 a true");
    expect(&r, "-U[1, 2, 20, 1]\n+U[1, 0, null, 0]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, distinct_calls_of_one_column_share_their_values)
{
    /* COUNT(DISTINCT v), COUNT(DISTINCT v) FILTER (WHERE f), SUM(DISTINCT v) FILTER (WHERE f)
     * keep one set of values with a count per call: a value leaves a call when that call's
     * rows of it are retracted, and the set when every call's are. */
    wr_agg_call calls[] = {call_of("COUNT", 1, -1, true, -1), call_of("COUNT", 1, -1, true, 3),
                           call_of("SUM", 1, -1, true, 3), call("COUNT", -1)};
    wr_operator_spec spec = spec_of(K, 1, calls, 4, NULL);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 a true; +I 1 10 a false; +I 1 20 a false");
    expect(&r, "+I[1, 2, 1, 10, 3]");
    feed(&r, "-D 1 10 a true");
    expect(&r, "-U[1, 2, 1, 10, 3]\n+U[1, 2, 0, null, 2]");
    feed(&r, "+I 1 20 a true");
    expect(&r, "-U[1, 2, 0, null, 2]\n+U[1, 2, 1, 20, 3]");
    feed(&r, "-D 1 10 a false");
    expect(&r, "-U[1, 2, 1, 20, 3]\n+U[1, 1, 1, 20, 2]");
    feed(&r, "-D 1 20 a false");
    expect(&r, "-U[1, 1, 1, 20, 2]\n+U[1, 1, 1, 20, 1]");
    feed(&r, "-D 1 20 a true");
    expect(&r, "-D[1, 1, 1, 20, 1]");
    /* The group and its values are gone: the same value starts afresh. */
    feed(&r, "+I 1 20 a false");
    expect(&r, "+I[1, 1, 0, null, 1]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, upsert_mode_has_no_update_before)
{
    wr_agg_call calls[] = {call("SUM", 1)};
    wr_group_agg_opts opts = {.emit_update_before = false};
    wr_operator_spec spec = spec_of(K, 1, calls, 1, &opts);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 1; +I 2 2");
    expect(&r, "+I[1, 1]\n+I[2, 2]");
    feed(&r, "+I 1 5; -U 2 2; +U 2 3");
    expect(&r, "+U[1, 6]\n+U[2, 3]");
    feed(&r, "-D 2 3");
    expect(&r, "-D[2, 3]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, global_aggregation)
{
    wr_agg_call calls[] = {call("COUNT", -1), call("SUM", 1)};
    wr_operator_spec spec = spec_of(NULL, 0, calls, 2, NULL);
    run r;
    start(&r, &spec);
    cr_assert_eq(r.op->ops->end_input(r.op, 0, &r.err), 0);
    expect(&r, ""); /* streaming: no row for empty input */
    feed(&r, "+I 1 5; +I 2 6");
    expect(&r, "+I[2, 11]");
    feed(&r, "-D 1 5");
    expect(&r, "-U[2, 11]\n+U[1, 6]");
    feed(&r, "-D 2 6");
    expect(&r, "-D[1, 6]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, group_by_without_calls)
{
    /* SELECT DISTINCT k, s: a group is there while it has rows. */
    const int ks[] = {0, 2};
    wr_operator_spec spec = spec_of(ks, 2, NULL, 0, NULL);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 0 a; +I 1 0 a; +I null 0 b; +I 1 0 null");
    expect(&r, "+I[1, a]\n+I[null, b]\n+I[1, null]");
    feed(&r, "-D 1 0 a; -D null 0 b");
    expect(&r, "-D[null, b]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, mini_batch_folds_changes_per_key)
{
    wr_agg_call calls[] = {call("COUNT", -1), call("SUM", 1)};
    wr_group_agg_opts opts = {.emit_update_before = true,
                              .mini_batch = true,
                              .mini_batch_latency_ms = 1000,
                              .mini_batch_size = 100,
                              .clock = fake_clock};
    wr_operator_spec spec = spec_of(K, 1, calls, 2, &opts);
    run r;
    fake_now = 5000;
    start(&r, &spec);
    cr_assert_eq(r.ctx.timer_at_ms, INT64_MAX);
    feed(&r, "+I 1 1; +I 2 2");
    expect(&r, "");
    cr_assert_eq(r.ctx.timer_at_ms, 6000);
    feed(&r, "+I 1 10");
    feed(&r, "+I 3 3; -D 3 3");
    expect(&r, "");
    cr_assert_eq(r.op->ops->on_time(r.op, 6000, &r.err), 0);
    expect(&r, "+I[1, 2, 11]\n+I[2, 1, 2]");
    cr_assert_eq(r.ctx.timer_at_ms, INT64_MAX);
    /* Two updates of key 1 in one flush: one -U/+U pair. */
    fake_now = 7000;
    feed(&r, "+I 1 100");
    feed(&r, "-D 1 1");
    feed(&r, "+I 2 0");
    expect(&r, "");
    cr_assert_eq(r.op->ops->on_time(r.op, 8000, &r.err), 0);
    expect(&r, "-U[1, 2, 11]\n+U[1, 2, 110]\n-U[2, 1, 2]\n+U[2, 2, 2]");
    /* Updates that cancel out emit nothing. */
    feed(&r, "+I 1 5; -D 1 5");
    cr_assert_eq(r.op->ops->on_time(r.op, 9000, &r.err), 0);
    expect(&r, "");
    /* The size limit flushes too, and so do a watermark and the end of input. */
    char rows[4096] = "";
    for (int i = 0; i < 100; i++) snprintf(rows + strlen(rows), 64, "%s+I 2 1", i ? "; " : "");
    feed(&r, rows);
    expect(&r, "-U[2, 2, 2]\n+U[2, 102, 102]");
    feed(&r, "+I 4 4");
    cr_assert_eq(r.op->ops->watermark(r.op, 1234, &r.err), 0);
    expect(&r, "+I[4, 1, 4]");
    cr_assert_eq(r.watermark, 1234);
    feed(&r, "+I 4 4");
    cr_assert_eq(r.op->ops->end_input(r.op, 0, &r.err), 0);
    expect(&r, "-U[4, 1, 4]\n+U[4, 2, 8]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, many_keys_and_reuse)
{
    /* More groups than one flush step and one output batch, removed and made again. */
    wr_agg_call calls[] = {call("COUNT", -1), call("MAX", 2), call_of("COUNT", 1, -1, true, -1)};
    const int ks[] = {0, 2};
    for (int mini = 0; mini < 2; mini++) {
        wr_group_agg_opts opts = {.emit_update_before = true,
                                  .mini_batch = mini,
                                  .mini_batch_latency_ms = 10,
                                  .mini_batch_size = 1 << 20,
                                  .clock = fake_clock};
        wr_operator_spec spec = spec_of(ks, 2, calls, 3, &opts);
        run r;
        start(&r, &spec);
        for (int round = 0; round < 3; round++) {
            for (int kind = 0; kind < 2; kind++) {
                for (int b = 0; b < 5; b++) {
                    static char rows[1000 * 64];
                    rows[0] = 0;
                    size_t at = 0;
                    for (int i = 0; i < 1000; i++)
                        at += (size_t)snprintf(rows + at, sizeof rows - at,
                                               "%s%s %d %d key-%d-with-a-long-name", i ? "; " : "",
                                               kind ? "-D" : "+I", b * 1000 + i, i, i % 7);
                    feed(&r, rows);
                }
                cr_assert_eq(r.op->ops->end_input(r.op, 0, &r.err), 0);
                int64_t want = 5000;
                cr_assert_eq(r.cap.rows, want, "round %d kind %d: %lld rows", round, kind,
                             (long long)r.cap.rows);
                for (int b = 0; b < r.cap.nbatches; b++)
                    for (int i = 0; i < r.cap.batches[b]->count; i++)
                        cr_assert_eq(wr_batch_kind(r.cap.batches[b], i),
                                     kind ? WR_KIND_DELETE : WR_KIND_INSERT);
                capture_fini(&r.cap);
                capture_init(&r.cap);
                r.cap.base.mark = mark_out;
            }
        }
        stop(&r);
        wr_operator_spec_fini(&spec);
    }
}

Test(group_agg, state_ttl_drops_idle_groups)
{
    wr_agg_call calls[] = {call("COUNT", -1), call("SUM", 1)};
    wr_group_agg_opts opts = {.emit_update_before = true, .state_ttl_ms = 100, .clock = fake_clock};
    wr_operator_spec spec = spec_of(K, 1, calls, 2, &opts);
    run r;
    fake_now = 1000;
    start(&r, &spec);
    feed(&r, "+I 1 5; +I 2 6");
    expect(&r, "+I[1, 1, 5]\n+I[2, 1, 6]");
    fake_now = 1050;
    feed(&r, "+I 2 1");
    expect(&r, "-U[2, 1, 6]\n+U[2, 2, 7]");
    /* Key 1 was idle for 100 ms: its retraction finds nothing, its insert starts afresh. */
    fake_now = 1100;
    feed(&r, "-D 1 5");
    expect(&r, "");
    feed(&r, "+I 1 3");
    expect(&r, "+I[1, 1, 3]");
    /* Key 2 was touched at 1050 and lives until 1150; then the sweep drops it. */
    fake_now = 1149;
    feed(&r, "+I 7 0");
    expect(&r, "+I[7, 1, 0]");
    fake_now = 1300;
    feed(&r, "+I 2 1");
    expect(&r, "+I[2, 1, 1]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

/* ---- functions that cannot retract ------------------------------------------------- */

Test(group_agg, function_that_cannot_retract_over_updates)
{
    const char *names[] = {"LISTAGG", "FIRST_VALUE", "LAST_VALUE", "ARRAY_AGG", "COLLECT"};
    for (int i = 0; i < 5; i++) {
        wr_agg_call calls[] = {call(names[i], 2)};
        wr_operator_spec spec = spec_of(K, 1, calls, 1, NULL);
        run r;
        cr_assert_eq(start_at(&r, &spec, 0, 1, NULL), WR_ERR_VALIDATION, "%s", names[i]);
        char want[128];
        snprintf(want, sizeof want,
                 "%s cannot consume updates (-U/-D rows) in a streaming aggregation", names[i]);
        cr_assert_str_eq(r.err.msg, want);
        stop(&r);
        wr_operator_spec_fini(&spec);
    }
    /* DISTINCT needs a retraction too when a value's count drops to 0. */
    wr_agg_call calls[] = {call_of("LISTAGG", 2, -1, true, -1)};
    wr_operator_spec spec = spec_of(K, 1, calls, 1, NULL);
    run r;
    cr_assert_eq(start_at(&r, &spec, 0, 1, NULL), WR_ERR_VALIDATION);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, insert_only_input_takes_any_function)
{
    wr_agg_call calls[] = {call("LISTAGG", 2), call("FIRST_VALUE", 2), call("LAST_VALUE", 2),
                           call("MIN", 1), call_of("LISTAGG", 2, -1, true, -1)};
    wr_group_agg_opts opts = {.emit_update_before = true, .input_insert_only = true};
    wr_operator_spec spec = spec_of(K, 1, calls, 5, &opts);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 5 a");
    expect(&r, "+I[1, a, a, a, 5, a]");
    /* LAST_VALUE overwrites its kept string in place: the -U still shows the old one. */
    feed(&r, "+I 1 7 b; +I 1 2 a");
    expect(&r, "-U[1, a, a, a, 5, a]\n+U[1, a,b,a, a, a, 2, a,b]");
    cr_assert_eq(feed_rc(&r, "-D 1 7 b"), WR_ERR_RUNTIME);
    cr_assert(strstr(r.err.msg, "-D") != NULL, "%s", r.err.msg);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

/* ---- checkpoints ------------------------------------------------------------------ */

static void snapshot_all(run *rs, int n, op_snapshots *sv)
{
    memset(sv, 0, sizeof(*sv));
    sv->n = n;
    for (int i = 0; i < n; i++) {
        cr_assert_eq(rs[i].op->ops->snapshot(rs[i].op, 1, &sv->snaps[i], &rs[i].err), 0, "%s",
                     rs[i].err.msg);
        for (int p = 0; p < sv->snaps[i].nparts; p++)
            cr_assert(sv->snaps[i].parts[p].keygroup >= 0);
    }
}

static void saved_fini(op_snapshots *sv)
{
    for (int i = 0; i < sv->n; i++) wr_snapshot_fini(&sv->snaps[i]);
}

/* The subtask of par that owns key (k BIGINT, f BOOLEAN), as the exchange routes it. */
static int owner(int64_t k, bool f, int par)
{
    wr_batch *b = wr_batch_new(IN, NIN, 1);
    ((int64_t *)b->cols[0].data)[0] = k;
    ((uint8_t *)b->cols[3].data)[0] = f;
    b->count = 1;
    wr_buf key;
    wr_buf_init(&key);
    const int cols[] = {0, 3};
    wr_row_encode(b, 0, cols, 2, &key);
    int kg = wr_keygroup_of_hash(wr_hash_bytes(key.data, key.len), 128);
    wr_buf_fini(&key);
    wr_batch_free(b);
    return wr_keygroup_subtask(kg, 128, par);
}

static const int KS[] = {0, 3};

static wr_operator_spec checkpoint_spec(void)
{
    static wr_agg_call calls[7];
    calls[0] = call("COUNT", -1);
    calls[1] = call("SUM", 1);
    calls[2] = call("MIN", 1);
    calls[3] = call("MAX", 2);
    calls[4] = call_of("COUNT", 1, -1, true, -1);
    /* Two more DISTINCT calls of column 1: they share call 4's set, each with its counts. */
    calls[5] = call_of("SUM", 1, -1, true, -1);
    calls[6] = call_of("COUNT", 1, -1, true, 3);
    return spec_of(KS, 2, calls, 7, NULL);
}

#define NKEYS 40

/*
 * Rows for keys (i, i is odd) for i in 0..NKEYS-1, with values that depend on
 * round, of the subtask only_sub of par (-1: all).
 */
static void key_rows(char *out, size_t size, const char *kind, int round, int only_sub, int par)
{
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; i < NKEYS; i++) {
        bool odd = i % 2;
        if (only_sub >= 0 && owner(i, odd, par) != only_sub) continue;
        at += (size_t)snprintf(out + at, size - at, "%s%s %d %d s%d-%d-a-long-string-value %s",
                               at ? "; " : "", kind, i, i * 10 + round, i % 3, round,
                               odd ? "true" : "false");
    }
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The captured rows as text, sorted (instances emit in no common order). */
static char **texts(const capture *cap, int *n)
{
    char **t = wr_calloc((size_t)cap->rows + 1, sizeof(char *));
    int k = 0;
    for (int b = 0; b < cap->nbatches; b++)
        for (int i = 0; i < cap->batches[b]->count; i++) {
            wr_buf buf;
            wr_buf_init(&buf);
            wr_batch_format_row(cap->batches[b], i, &buf);
            t[k++] = wr_strdup(buf.data);
            wr_buf_fini(&buf);
        }
    qsort(t, (size_t)k, sizeof(char *), cmp_text);
    *n = k;
    return t;
}

static void free_texts(char **t, int n)
{
    for (int i = 0; i < n; i++) wr_free(t[i]);
    wr_free(t);
}

/*
 * Runs p1 instances over two rounds of rows, snapshots, restores p2
 * instances from it and runs a third round (updates) and a fourth
 * (retractions of round 0); the restored output must be what one instance
 * that never stopped emits for those rounds.
 */
static void check_restore(int p1, int p2)
{
    wr_operator_spec spec = checkpoint_spec();
    static char rows[NKEYS * 96];
    /* The reference: one instance throughout. */
    run ref;
    start(&ref, &spec);
    for (int round = 0; round < 2; round++) {
        key_rows(rows, sizeof rows, "+I", round, -1, 1);
        feed(&ref, rows);
    }
    capture_fini(&ref.cap);
    capture_init(&ref.cap);
    key_rows(rows, sizeof rows, "+I", 2, -1, 1);
    feed(&ref, rows);
    key_rows(rows, sizeof rows, "-D", 0, -1, 1);
    feed(&ref, rows);
    int nwant;
    char **want = texts(&ref.cap, &nwant);
    cr_assert_eq(nwant, 4 * NKEYS);

    run a[4], b[4];
    for (int s = 0; s < p1; s++) {
        cr_assert_eq(start_at(&a[s], &spec, s, p1, NULL), 0);
        for (int round = 0; round < 2; round++) {
            key_rows(rows, sizeof rows, "+I", round, s, p1);
            if (rows[0]) feed(&a[s], rows);
        }
    }
    op_snapshots sv;
    snapshot_all(a, p1, &sv);
    for (int s = 0; s < p1; s++) stop(&a[s]);
    capture merged;
    capture_init(&merged);
    for (int s = 0; s < p2; s++) {
        wr_restore r;
        const wr_snapshot_part *parts[128];
        keyed_restore_for(&sv, s, p2, &r, parts);
        cr_assert_eq(start_at(&b[s], &spec, s, p2, &r), 0, "restore: %s", b[s].err.msg);
        key_rows(rows, sizeof rows, "+I", 2, s, p2);
        if (rows[0]) feed(&b[s], rows);
        key_rows(rows, sizeof rows, "-D", 0, s, p2);
        if (rows[0]) feed(&b[s], rows);
        for (int i = 0; i < b[s].cap.nbatches; i++)
            merged.base.push(&merged.base, b[s].cap.batches[i], NULL);
        stop(&b[s]);
    }
    int ngot;
    char **got = texts(&merged, &ngot);
    cr_assert_eq(ngot, nwant, "p%d -> p%d: %d rows, want %d", p1, p2, ngot, nwant);
    for (int i = 0; i < nwant; i++) cr_assert_str_eq(got[i], want[i], "p%d -> p%d", p1, p2);
    free_texts(got, ngot);
    free_texts(want, nwant);
    capture_fini(&merged);
    saved_fini(&sv);
    stop(&ref);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, snapshot_and_restore)
{
    check_restore(1, 1);
}

Test(group_agg, restore_rescaled)
{
    check_restore(1, 2);
    check_restore(2, 1);
    check_restore(2, 3);
}

Test(group_agg, snapshot_flushes_a_pending_mini_batch)
{
    wr_agg_call calls[] = {call("SUM", 1)};
    wr_group_agg_opts opts = {.emit_update_before = true,
                              .mini_batch = true,
                              .mini_batch_latency_ms = 1000,
                              .mini_batch_size = 1000,
                              .clock = fake_clock};
    wr_operator_spec spec = spec_of(K, 1, calls, 1, &opts);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 5");
    expect(&r, "");
    op_snapshots sv;
    snapshot_all(&r, 1, &sv);
    expect(&r, "+I[1, 5]");
    stop(&r);
    wr_restore rs;
    const wr_snapshot_part *parts[128];
    keyed_restore_for(&sv, 0, 1, &rs, parts);
    cr_assert_eq(start_at(&r, &spec, 0, 1, &rs), 0, "%s", r.err.msg);
    feed(&r, "+I 1 1");
    cr_assert_eq(r.op->ops->end_input(r.op, 0, &r.err), 0);
    expect(&r, "-U[1, 5]\n+U[1, 6]");
    stop(&r);
    saved_fini(&sv);
    wr_operator_spec_fini(&spec);
}

/* Restoring part bytes that were damaged in some way must fail with WR_ERR_IO. */
static void check_bad(const wr_operator_spec *spec, const wr_buf *good, int kg, size_t cut,
                      size_t flip, const char *what)
{
    wr_snapshot_part part = {kg, {0}};
    wr_buf_init(&part.data);
    wr_buf_append(&part.data, good->data, cut);
    if (flip < cut) part.data.data[flip] ^= 0x5a;
    const wr_snapshot_part *parts[] = {&part};
    wr_restore rs = {.checkpoint = 1, .parts = parts, .nparts = 1};
    run r;
    int rc = start_at(&r, spec, 0, 1, &rs);
    cr_assert_eq(rc, WR_ERR_IO, "%s: rc %d (%s)", what, rc, r.err.msg);
    cr_assert(strstr(r.err.msg, "key group") != NULL, "%s: %s", what, r.err.msg);
    stop(&r);
    wr_buf_fini(&part.data);
}

Test(group_agg, corrupt_snapshot_is_an_error)
{
    wr_operator_spec spec = checkpoint_spec();
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 some-name-longer-than-sixteen true; +I 1 3 x true");
    op_snapshots sv;
    snapshot_all(&r, 1, &sv);
    stop(&r);
    cr_assert_eq(sv.snaps[0].nparts, 1);
    const wr_snapshot_part *good = &sv.snaps[0].parts[0];
    size_t len = good->data.len;
    /* Every truncation fails (never a crash), and so does a stray byte at the end. */
    for (size_t cut = 0; cut < len; cut++)
        check_bad(&spec, &good->data, good->keygroup, cut, len, "cut");
    /* Damage in the magic, the version, the shape, the key, the key group. */
    check_bad(&spec, &good->data, good->keygroup, len, 0, "magic");
    check_bad(&spec, &good->data, good->keygroup, len, 4, "version");
    check_bad(&spec, &good->data, good->keygroup, len, 12, "shape");
    check_bad(&spec, &good->data, (good->keygroup + 1) % 128, len, len, "key group");
    /* The same state restored into another aggregation. */
    wr_agg_call other[] = {call("COUNT", -1)};
    wr_operator_spec ospec = spec_of(KS, 2, other, 1, NULL);
    check_bad(&ospec, &good->data, good->keygroup, len, len, "other aggregation");
    wr_operator_spec_fini(&ospec);
    saved_fini(&sv);
    wr_operator_spec_fini(&spec);
}

Test(group_agg, restore_kept_strings_and_lists)
{
    /* States that point into the heap (kept strings, LISTAGG, ARRAY_AGG) survive a restore. */
    wr_agg_call calls[] = {call("LISTAGG", 2), call("LAST_VALUE", 2), call("ARRAY_AGG", 1),
                           call("MIN", 2)};
    wr_group_agg_opts opts = {.emit_update_before = true, .input_insert_only = true};
    wr_operator_spec spec = spec_of(K, 1, calls, 4, &opts);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 5 a-string-longer-than-sixteen; +I 1 null bb");
    expect(&r,
           "+I[1, a-string-longer-than-sixteen,bb, bb, [5, null], a-string-longer-than-sixteen]");
    op_snapshots sv;
    snapshot_all(&r, 1, &sv);
    stop(&r);
    wr_restore rs;
    const wr_snapshot_part *parts[128];
    keyed_restore_for(&sv, 0, 1, &rs, parts);
    cr_assert_eq(start_at(&r, &spec, 0, 1, &rs), 0, "%s", r.err.msg);
    feed(&r, "+I 1 7 A");
    expect(&r,
           "-U[1, a-string-longer-than-sixteen,bb, bb, [5, null], a-string-longer-than-sixteen]\n"
           "+U[1, a-string-longer-than-sixteen,bb,A, A, [5, null, 7], A]");
    stop(&r);
    saved_fini(&sv);
    wr_operator_spec_fini(&spec);
}

/* ---- two phases (local -> global) ----------------------------------------------- */

static wr_group_agg_opts two_phase_opts(bool insert_only)
{
    wr_group_agg_opts o = {.emit_update_before = true,
                           .mini_batch = true,
                           .mini_batch_latency_ms = 1000000,
                           .mini_batch_size = 1000000,
                           .input_insert_only = insert_only,
                           .clock = fake_clock};
    return o;
}

/* The global phase's options in these tests: results after every batch, to check them. */
static wr_group_agg_opts global_opts(bool insert_only)
{
    wr_group_agg_opts o = {.emit_update_before = true, .input_insert_only = insert_only};
    return o;
}

/* Feeds every batch `from` emitted (its watermarks aside) into `to`, then forgets them. */
static void pipe_to(run *from, run *to)
{
    for (int b = 0; b < from->cap.nbatches; b++) {
        int rc = to->op->ops->process(to->op, 0, from->cap.batches[b], &to->err);
        cr_assert_eq(rc, 0, "global: %s", to->err.msg);
    }
    capture_fini(&from->cap);
    capture_init(&from->cap);
    from->cap.base.mark = mark_out;
}

/* Flushes a local instance (a watermark does, as would a barrier or the size limit). */
static void flush_local(run *r)
{
    cr_assert_eq(r->op->ops->watermark(r->op, 1, &r->err), 0, "%s", r->err.msg);
}

Test(group_agg, two_phase_insert_only_min_max)
{
    wr_agg_call calls[] = {call("MIN", 1), call("MAX", 2), call("COUNT", -1), call("SUM", 1)};
    wr_group_agg_opts opts = two_phase_opts(true), gopts = global_opts(true);
    wr_operator_spec ls = wr_group_agg_local_spec(IN, NIN, K, 1, calls, 4, &opts);
    wr_operator_spec gs = wr_group_agg_global_spec(IN, NIN, K, 1, calls, 4, &gopts);
    run l, g;
    start(&l, &ls);
    start(&g, &gs);
    feed(&l, "+I 1 5 m; +I 2 null x; +I 1 3 b");
    feed(&l, "+I 1 9 a");
    expect(&l, ""); /* a mini-batch: nothing until a flush */
    flush_local(&l);
    /* Per group: the key, MIN's and MAX's values, COUNT(*)'s count, SUM's sum, the row delta. */
    cr_assert_eq(l.cap.nbatches, 1);
    wr_buf got;
    wr_buf_init(&got);
    for (int i = 0; i < l.cap.batches[0]->count; i++) {
        if (got.len) wr_buf_putc(&got, '\n');
        wr_batch_format_row(l.cap.batches[0], i, &got);
    }
    cr_assert_str_eq(got.data, "+I[1, 3, m, 3, 17, 3]\n+I[2, null, x, 1, null, 1]");
    wr_buf_fini(&got);
    pipe_to(&l, &g);
    expect(&g, "+I[1, 3, m, 3, 17]\n+I[2, null, x, 1, null]");
    /* The local phase forgot everything: the next bundle is new partials, merged globally. */
    feed(&l, "+I 1 1 z; +I 2 4 a");
    flush_local(&l);
    pipe_to(&l, &g);
    expect(&g, "-U[1, 3, m, 3, 17]\n+U[1, 1, z, 4, 18]\n-U[2, null, x, 1, null]\n"
               "+U[2, 4, x, 2, 4]");
    /* A retraction over an insert-only input is an error, as in one phase. */
    cr_assert_eq(feed_rc(&l, "-D 1 1 z"), WR_ERR_RUNTIME);
    stop(&l);
    stop(&g);
    wr_operator_spec_fini(&ls);
    wr_operator_spec_fini(&gs);
}

Test(group_agg, two_phase_retractions_and_delete)
{
    wr_agg_call calls[] = {call("COUNT", -1), call("SUM", 1), call("AVG", 1), call("COUNT", 1)};
    wr_group_agg_opts opts = two_phase_opts(false), gopts = global_opts(false);
    wr_operator_spec ls = wr_group_agg_local_spec(IN, NIN, K, 1, calls, 4, &opts);
    wr_operator_spec gs = wr_group_agg_global_spec(IN, NIN, K, 1, calls, 4, &gopts);
    run l, g;
    start(&l, &ls);
    start(&g, &gs);
    feed(&l, "+I 1 10; +I 1 20; +I 2 null");
    flush_local(&l);
    pipe_to(&l, &g);
    expect(&g, "+I[1, 2, 30, 15, 2]\n+I[2, 1, null, null, 0]");
    /* A delta whose count of values is 0 while its sum is not: +12 -10. */
    feed(&l, "-U 1 10; +U 1 12; -D 2 null; +I 2 7");
    flush_local(&l);
    cr_assert_eq(l.cap.nbatches, 1);
    wr_buf got;
    wr_buf_init(&got);
    for (int i = 0; i < l.cap.batches[0]->count; i++) {
        if (got.len) wr_buf_putc(&got, '\n');
        wr_batch_format_row(l.cap.batches[0], i, &got);
    }
    /* COUNT(*), SUM's sum and count, AVG's sum and count, COUNT(v), the row delta. */
    cr_assert_str_eq(got.data, "+I[1, 0, 2, 0, 2, 0, 0, 0]\n+I[2, 0, 7, 1, 7, 1, 1, 0]");
    wr_buf_fini(&got);
    pipe_to(&l, &g);
    expect(&g, "-U[1, 2, 30, 15, 2]\n+U[1, 2, 32, 16, 2]\n-U[2, 1, null, null, 0]\n"
               "+U[2, 1, 7, 7, 1]");
    /* Every row retracted: the count drops to 0, -D and the state is gone. */
    feed(&l, "-D 1 12");
    flush_local(&l);
    pipe_to(&l, &g);
    expect(&g, "-U[1, 2, 32, 16, 2]\n+U[1, 1, 20, 20, 1]");
    feed(&l, "-D 1 20; -D 2 7; +I 2 1");
    flush_local(&l);
    pipe_to(&l, &g);
    expect(&g, "-D[1, 1, 20, 20, 1]\n-U[2, 1, 7, 7, 1]\n+U[2, 1, 1, 1, 1]");
    feed(&l, "+I 1 5");
    flush_local(&l);
    pipe_to(&l, &g);
    expect(&g, "+I[1, 1, 5, 5, 1]");
    /* A partial that only retracts, for a group without state, is ignored (as in one phase). */
    feed(&l, "-D 9 1");
    flush_local(&l);
    pipe_to(&l, &g);
    expect(&g, "");
    stop(&l);
    stop(&g);
    wr_operator_spec_fini(&ls);
    wr_operator_spec_fini(&gs);
}

/* A multiset of rows: a changelog applied (+I/+U add, -U/-D remove). */
typedef struct rowset {
    char **rows;
    int n, cap;
} rowset;

static void rowset_apply(rowset *s, run *r)
{
    wr_buf b;
    wr_buf_init(&b);
    for (int i = 0; i < r->cap.nbatches; i++)
        for (int j = 0; j < r->cap.batches[i]->count; j++) {
            wr_buf_reset(&b);
            wr_batch_format_row(r->cap.batches[i], j, &b);
            const char *row = b.data + 2; /* after "+I" */
            if (b.data[0] == '+') {
                if (s->n == s->cap) {
                    s->cap = s->cap ? s->cap * 2 : 64;
                    s->rows = wr_realloc(s->rows, (size_t)s->cap * sizeof(char *));
                }
                s->rows[s->n++] = wr_strdup(row);
                continue;
            }
            int k = 0;
            while (k < s->n && strcmp(s->rows[k], row) != 0) k++;
            cr_assert(k < s->n, "retraction of a row not there: %s", b.data);
            wr_free(s->rows[k]);
            s->rows[k] = s->rows[--s->n];
        }
    wr_buf_fini(&b);
    capture_fini(&r->cap);
    capture_init(&r->cap);
    r->cap.base.mark = mark_out;
}

static void rowset_expect_equal(rowset *a, rowset *b, int step)
{
    if (a->n) qsort(a->rows, (size_t)a->n, sizeof(char *), cmp_text);
    if (b->n) qsort(b->rows, (size_t)b->n, sizeof(char *), cmp_text);
    cr_assert_eq(a->n, b->n, "step %d: %d rows in one phase, %d in two", step, a->n, b->n);
    for (int i = 0; i < a->n; i++) cr_assert_str_eq(a->rows[i], b->rows[i], "step %d", step);
}

static void rowset_fini(rowset *s)
{
    for (int i = 0; i < s->n; i++) wr_free(s->rows[i]);
    wr_free(s->rows);
}

/*
 * The same random changelog through one phase, and through two local
 * instances (a row's +I and -D at the same one, as an upstream keyed by the
 * row would route them) flushing at random points into the global: after all
 * of them flushed, both results are the same multiset.
 */
static void check_two_phase_random(const wr_agg_call *calls, int ncalls, bool insert_only,
                                   unsigned seed)
{
    wr_group_agg_opts opts = two_phase_opts(insert_only), gopts = global_opts(insert_only);
    wr_group_agg_opts one_opts = {.emit_update_before = true, .input_insert_only = insert_only};
    wr_operator_spec os = spec_of(K, 1, calls, ncalls, &one_opts);
    wr_operator_spec ls = wr_group_agg_local_spec(IN, NIN, K, 1, calls, ncalls, &opts);
    wr_operator_spec gs = wr_group_agg_global_spec(IN, NIN, K, 1, calls, ncalls, &gopts);
    run one, loc[2], glob;
    start(&one, &os);
    start(&loc[0], &ls);
    start(&loc[1], &ls);
    start(&glob, &gs);
    rowset a = {0}, b = {0};
    /* Live rows: key, value (-1000: NULL), local instance. */
    enum { MAXLIVE = 400 };
    int64_t lk[MAXLIVE], lv[MAXLIVE];
    int li[MAXLIVE], nlive = 0;
    srand(seed);
    char text[2][4096], all[8192];
    for (int step = 0; step < 300; step++) {
        text[0][0] = text[1][0] = all[0] = 0;
        int nchanges = 1 + rand() % 12;
        for (int c = 0; c < nchanges; c++) {
            char row[48];
            int inst;
            bool del = !insert_only && nlive > 0 && (nlive >= MAXLIVE || rand() % 5 < 2);
            if (del) {
                int x = rand() % nlive;
                inst = li[x];
                if (lv[x] == -1000)
                    snprintf(row, sizeof row, "-D %lld null", (long long)lk[x]);
                else
                    snprintf(row, sizeof row, "-D %lld %lld", (long long)lk[x], (long long)lv[x]);
                nlive--;
                lk[x] = lk[nlive];
                lv[x] = lv[nlive];
                li[x] = li[nlive];
            } else {
                /* Skewed keys: half the rows to key 0, the rest over 1..7. */
                int64_t k = rand() % 2 ? 0 : 1 + rand() % 7;
                int64_t v = rand() % 10 == 0 ? -1000 : rand() % 41 - 20;
                inst = rand() % 2;
                if (v == -1000)
                    snprintf(row, sizeof row, "+I %lld null", (long long)k);
                else
                    snprintf(row, sizeof row, "+I %lld %lld", (long long)k, (long long)v);
                if (nlive < MAXLIVE) {
                    lk[nlive] = k;
                    lv[nlive] = v;
                    li[nlive++] = inst;
                }
            }
            snprintf(text[inst] + strlen(text[inst]), 64, "%s%s", text[inst][0] ? "; " : "", row);
            snprintf(all + strlen(all), 64, "%s%s", all[0] ? "; " : "", row);
        }
        feed(&one, all);
        for (int i = 0; i < 2; i++)
            if (text[i][0]) feed(&loc[i], text[i]);
        /* Each local instance flushes when it likes; at times both do, and then they agree. */
        for (int i = 0; i < 2; i++)
            if (rand() % 4 == 0) {
                flush_local(&loc[i]);
                pipe_to(&loc[i], &glob);
            }
        if (rand() % 5 == 0 || step == 299) {
            for (int i = 0; i < 2; i++) {
                flush_local(&loc[i]);
                pipe_to(&loc[i], &glob);
            }
            rowset_apply(&a, &one);
            rowset_apply(&b, &glob);
            rowset_expect_equal(&a, &b, step);
        }
    }
    cr_assert(a.n > 0);
    rowset_fini(&a);
    rowset_fini(&b);
    stop(&one);
    stop(&loc[0]);
    stop(&loc[1]);
    stop(&glob);
    wr_operator_spec_fini(&os);
    wr_operator_spec_fini(&ls);
    wr_operator_spec_fini(&gs);
}

Test(group_agg, two_phase_random_changelog_matches_one_phase)
{
    wr_agg_call calls[] = {call("COUNT", -1),      call("COUNT", 1),
                           call("SUM", 1),         call("$SUM0", 1),
                           call("AVG", 1),         call("VAR_POP", 1),
                           call("STDDEV_SAMP", 1), call_of("SUM", 1, -1, false, 3)};
    for (unsigned seed = 1; seed <= 4; seed++) check_two_phase_random(calls, 8, false, seed);
}

Test(group_agg, two_phase_random_insert_only_matches_one_phase)
{
    wr_agg_call calls[] = {call("MIN", 1), call("MAX", 1), call("COUNT", -1), call("SUM", 1),
                           call("AVG", 1)};
    for (unsigned seed = 1; seed <= 3; seed++) check_two_phase_random(calls, 5, true, seed);
}

/* The subtask of par that owns key k (BIGINT), as the exchange routes it. */
static int owner_k(int64_t k, int par)
{
    wr_batch *b = wr_batch_new(IN, NIN, 1);
    ((int64_t *)b->cols[0].data)[0] = k;
    b->count = 1;
    wr_buf key;
    wr_buf_init(&key);
    wr_row_encode(b, 0, K, 1, &key);
    int kg = wr_keygroup_of_hash(wr_hash_bytes(key.data, key.len), 128);
    wr_buf_fini(&key);
    wr_batch_free(b);
    return wr_keygroup_subtask(kg, 128, par);
}

Test(group_agg, two_phase_global_snapshot_and_restore)
{
    wr_agg_call calls[] = {call("COUNT", -1), call("SUM", 1)};
    wr_group_agg_opts opts = two_phase_opts(false), gopts = global_opts(false);
    wr_operator_spec ls = wr_group_agg_local_spec(IN, NIN, K, 1, calls, 2, &opts);
    wr_operator_spec gs = wr_group_agg_global_spec(IN, NIN, K, 1, calls, 2, &gopts);
    wr_operator_spec os = spec_of(K, 1, calls, 2, NULL);
    run l, g;
    start(&l, &ls);
    start(&g, &gs);
    feed(&l, "+I 1 10; +I 2 5; +I 1 1");
    flush_local(&l);
    pipe_to(&l, &g);
    expect(&g, "+I[1, 2, 11]\n+I[2, 1, 5]");
    /* A snapshot of the local phase flushes it and holds nothing. */
    feed(&l, "+I 3 3");
    wr_snapshot lsnap;
    memset(&lsnap, 0, sizeof(lsnap));
    cr_assert_eq(l.op->ops->snapshot(l.op, 1, &lsnap, &l.err), 0);
    cr_assert_eq(lsnap.nparts, 0);
    wr_snapshot_fini(&lsnap);
    pipe_to(&l, &g);
    expect(&g, "+I[3, 1, 3]");
    op_snapshots sv;
    snapshot_all(&g, 1, &sv);
    /* Into a new global instance, split over two (rescaled), and into the one-phase operator:
     * the same format, the same continued output. */
    const wr_snapshot_part *parts[2][256];
    wr_restore rest[2];
    run g2[2], o1;
    for (int s = 0; s < 2; s++) {
        keyed_restore_for(&sv, s, 2, &rest[s], parts[s]);
        cr_assert_eq(start_at(&g2[s], &gs, s, 2, &rest[s]), 0, "%s", g2[s].err.msg);
    }
    wr_restore all;
    const wr_snapshot_part *allparts[256];
    keyed_restore_for(&sv, 0, 1, &all, allparts);
    cr_assert_eq(start_at(&o1, &os, 0, 1, &all), 0, "%s", o1.err.msg);
    feed(&l, "-D 1 10; +I 2 7; -D 3 3");
    flush_local(&l);
    /* Route the partial rows to the instance owning their key, through a selection. */
    wr_batch *pb = l.cap.batches[0];
    uint32_t sel[8];
    for (int s = 0; s < 2; s++) {
        int n = 0;
        for (int i = 0; i < pb->count; i++)
            if (owner_k(((int64_t *)pb->cols[0].data)[i], 2) == s) sel[n++] = (uint32_t)i;
        pb->sel = sel;
        pb->nsel = n;
        cr_assert_eq(g2[s].op->ops->process(g2[s].op, 0, pb, &g2[s].err), 0, "%s", g2[s].err.msg);
        pb->sel = NULL;
    }
    int n0, n1;
    char **t0 = texts(&g2[0].cap, &n0), **t1 = texts(&g2[1].cap, &n1);
    cr_assert_eq(n0 + n1, 5);
    wr_buf joined;
    wr_buf_init(&joined);
    char *both[5];
    for (int i = 0; i < n0; i++) both[i] = t0[i];
    for (int i = 0; i < n1; i++) both[n0 + i] = t1[i];
    qsort(both, 5, sizeof(char *), cmp_text);
    for (int i = 0; i < 5; i++) {
        if (i) wr_buf_putc(&joined, '\n');
        wr_buf_append(&joined, both[i], strlen(both[i]));
    }
    wr_buf_putc(&joined, 0);
    cr_assert_str_eq(joined.data, "+U[1, 1, 1]\n+U[2, 2, 12]\n-D[3, 1, 3]\n-U[1, 2, 11]\n"
                                  "-U[2, 1, 5]");
    wr_buf_fini(&joined);
    free_texts(t0, n0);
    free_texts(t1, n1);
    pipe_to(&l, &g);
    expect(&g, "-U[1, 2, 11]\n+U[1, 1, 1]\n-U[2, 1, 5]\n+U[2, 2, 12]\n-D[3, 1, 3]");
    feed(&o1, "-D 1 10; +I 2 7; -D 3 3");
    expect(&o1, "-U[1, 2, 11]\n+U[1, 1, 1]\n-U[2, 1, 5]\n+U[2, 2, 12]\n-D[3, 1, 3]");
    for (int s = 0; s < 2; s++) stop(&g2[s]);
    stop(&o1);
    saved_fini(&sv);
    stop(&l);
    stop(&g);
    wr_operator_spec_fini(&ls);
    wr_operator_spec_fini(&gs);
    wr_operator_spec_fini(&os);
}

Test(group_agg, two_phase_ok_and_local_types)
{
    wr_agg_call sums[] = {call("COUNT", -1),    call("COUNT", 1), call("SUM", 1),
                          call("$SUM0", 1),     call("AVG", 1),   call("VAR_SAMP", 1),
                          call("STDDEV_POP", 1)};
    cr_assert(wr_group_agg_two_phase_ok(IN, NIN, sums, 7, false));
    cr_assert(wr_group_agg_two_phase_ok(IN, NIN, sums, 7, true));
    wr_agg_call minmax[] = {call("MIN", 1), call("MAX", 2)};
    cr_assert(wr_group_agg_two_phase_ok(IN, NIN, minmax, 2, true));
    cr_assert_not(wr_group_agg_two_phase_ok(IN, NIN, minmax, 1, false));
    cr_assert_not(wr_group_agg_two_phase_ok(IN, NIN, minmax + 1, 1, false));
    wr_agg_call dist[] = {call_of("COUNT", 1, -1, true, -1)};
    cr_assert_not(wr_group_agg_two_phase_ok(IN, NIN, dist, 1, true));
    cr_assert_not(wr_group_agg_two_phase_ok(IN, NIN, dist, 1, false));
    wr_agg_call unmergeable[] = {call("LISTAGG", 2)};
    cr_assert_not(wr_group_agg_two_phase_ok(IN, NIN, unmergeable, 1, true));
    wr_agg_call boolor[] = {call("BOOL_OR", 3)};
    cr_assert(wr_group_agg_two_phase_ok(IN, NIN, boolor, 1, true));
    cr_assert_not(wr_group_agg_two_phase_ok(IN, NIN, boolor, 1, false));

    /* Insert-only: the batch layout (SUM one nullable column); updating: SUM carries a count. */
    wr_type t[16], pt[16];
    wr_agg_call sa[] = {call("SUM", 1), call("AVG", 1)};
    int n = wr_group_agg_local_types(IN, NIN, K, 1, sa, 2, true, t);
    int np = wr_agg_partial_types(IN, NIN, sa, 2, pt);
    cr_assert_eq(n, 1 + np + 1);
    for (int i = 0; i < np; i++) cr_assert(wr_type_equal(t[1 + i], pt[i]), "column %d", i);
    cr_assert_eq(t[n - 1].id, WR_TYPE_BIGINT);
    cr_assert_not(t[n - 1].nullable);
    n = wr_group_agg_local_types(IN, NIN, K, 1, sa, 2, false, t);
    cr_assert_eq(n, 1 + 2 + 2 + 1);
    cr_assert_eq(t[1].id, WR_TYPE_BIGINT);
    cr_assert_not(t[1].nullable);
    cr_assert_eq(t[2].id, WR_TYPE_BIGINT);
    cr_assert_eq(wr_group_agg_local_types(IN, NIN, K, 1, minmax, 2, false, t), -1);
}

Test(group_agg, two_phase_rejects_what_cannot_run_in_two)
{
    wr_agg_call calls[] = {call("COUNT", -1), call("MAX", 1)};
    wr_group_agg_opts opts = two_phase_opts(false);
    wr_operator_spec ls = wr_group_agg_local_spec(IN, NIN, K, 1, calls, 2, &opts);
    wr_operator_spec gs = wr_group_agg_global_spec(IN, NIN, K, 1, calls, 2, &opts);
    run r;
    cr_assert_eq(start_at(&r, &ls, 0, 1, NULL), WR_ERR_VALIDATION);
    cr_assert(strstr(r.err.msg, "MAX") && strstr(r.err.msg, "retractions"), "%s", r.err.msg);
    stop(&r);
    cr_assert_eq(start_at(&r, &gs, 0, 1, NULL), WR_ERR_VALIDATION);
    stop(&r);
    wr_operator_spec_fini(&ls);
    wr_operator_spec_fini(&gs);

    /* The global phase fed rows that are not the local phase's: an error, not a crash. */
    wr_agg_call ok[] = {call("COUNT", -1)};
    gs = wr_group_agg_global_spec(IN, NIN, K, 1, ok, 1, &opts);
    start(&r, &gs);
    cr_assert_eq(feed_rc(&r, "+I 1 2"), WR_ERR_INTERNAL);
    cr_assert(strstr(r.err.msg, "columns"), "%s", r.err.msg);
    stop(&r);
    wr_operator_spec_fini(&gs);
}
