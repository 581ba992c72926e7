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

typedef struct saved {
    wr_snapshot snaps[4];
    int n;
} saved;

static void snapshot_all(run *rs, int n, saved *sv)
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

static void saved_fini(saved *sv)
{
    for (int i = 0; i < sv->n; i++) wr_snapshot_fini(&sv->snaps[i]);
}

/* The restore of subtask s of par from sv: the parts of the key groups it owns. */
static void restore_for(const saved *sv, int s, int par, wr_restore *r,
                        const wr_snapshot_part **parts)
{
    int first, last, n = 0;
    wr_keygroup_range(s, 128, par, &first, &last);
    for (int i = 0; i < sv->n; i++)
        for (int p = 0; p < sv->snaps[i].nparts; p++) {
            const wr_snapshot_part *part = &sv->snaps[i].parts[p];
            if (part->keygroup >= first && part->keygroup <= last) parts[n++] = part;
        }
    memset(r, 0, sizeof(*r));
    r->checkpoint = 1;
    r->parts = parts;
    r->nparts = n;
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
    static wr_agg_call calls[5];
    calls[0] = call("COUNT", -1);
    calls[1] = call("SUM", 1);
    calls[2] = call("MIN", 1);
    calls[3] = call("MAX", 2);
    calls[4] = call_of("COUNT", 1, -1, true, -1);
    return spec_of(KS, 2, calls, 5, NULL);
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
    saved sv;
    snapshot_all(a, p1, &sv);
    for (int s = 0; s < p1; s++) stop(&a[s]);
    capture merged;
    capture_init(&merged);
    for (int s = 0; s < p2; s++) {
        wr_restore r;
        const wr_snapshot_part *parts[128];
        restore_for(&sv, s, p2, &r, parts);
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
    saved sv;
    snapshot_all(&r, 1, &sv);
    expect(&r, "+I[1, 5]");
    stop(&r);
    wr_restore rs;
    const wr_snapshot_part *parts[128];
    restore_for(&sv, 0, 1, &rs, parts);
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
    saved sv;
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
    saved sv;
    snapshot_all(&r, 1, &sv);
    stop(&r);
    wr_restore rs;
    const wr_snapshot_part *parts[128];
    restore_for(&sv, 0, 1, &rs, parts);
    cr_assert_eq(start_at(&r, &spec, 0, 1, &rs), 0, "%s", r.err.msg);
    feed(&r, "+I 1 7 A");
    expect(&r,
           "-U[1, a-string-longer-than-sixteen,bb, bb, [5, null], a-string-longer-than-sixteen]\n"
           "+U[1, a-string-longer-than-sixteen,bb,A, A, [5, null, 7], A]");
    stop(&r);
    saved_fini(&sv);
    wr_operator_spec_fini(&spec);
}
