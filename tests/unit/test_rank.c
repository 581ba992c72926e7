/*
 * test_rank.c — the streaming rank operator: Top-N over insert-only and
 * updating input (with and without the rank column), RANK/DENSE_RANK ties,
 * rank ranges, deduplication (keep first/last, arrival and rowtime order),
 * upsert mode, window Top-N, TTL, snapshots (restore, rescale, bad bytes)
 * and a randomized comparison with a naive Top-N.
 *
 * Rows go in as text ("+I p o s t w", missing trailing cells NULL; t and w
 * are TIMESTAMP(3) given in ms) and come out as "+I[p, o, s, t, w]" (times in
 * ms, the rank last when it is output), in emission order.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/base/hash.h"
#include "../../src/ops/rank.h"
#include "../../src/state/keygroup.h"
#include "../../src/types/row_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Input columns: p BIGINT, o BIGINT, s VARCHAR, t TIMESTAMP(3), w TIMESTAMP(3) (window end). */
static const wr_type IN[] = {
    {WR_TYPE_BIGINT, true, 0, 0},
    {WR_TYPE_BIGINT, true, 0, 0},
    {WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0},
    {WR_TYPE_TIMESTAMP, true, 3, 0},
    {WR_TYPE_TIMESTAMP, true, 3, 0},
};
#define NIN 5
static const int P[] = {0};
static const wr_sort_key O_DESC[] = {{1, true, false}};
static const wr_sort_key O_ASC[] = {{1, false, false}};
static const wr_sort_key T_ASC[] = {{3, false, false}};
static const wr_sort_key T_DESC[] = {{3, true, false}};

static int64_t fake_now;

static int64_t fake_clock(void *arg)
{
    return fake_now;
}

static wr_rank_opts opts_of(wr_rank_fn fn, int64_t start, int64_t end, bool rank_col,
                            bool insert_only)
{
    wr_rank_opts o = {.fn = fn,
                      .rank_start = start,
                      .rank_end = end,
                      .output_rank = rank_col,
                      .input_insert_only = insert_only,
                      .emit_update_before = true,
                      .window_end_col = -1};
    return o;
}

/* ---- driving the operator -------------------------------------------------------------- */

typedef struct run {
    wr_op_ctx ctx;
    capture cap;
    wr_operator *op;
    wr_error err;
    wr_collector *outs[1];
    int64_t watermark;    /* the last one forwarded */
    int rows_before_mark; /* rows captured when the last watermark was forwarded */
} run;

static int mark_out(wr_collector *self, const wr_mark *mark, wr_error *err)
{
    run *r = (run *)((char *)self - offsetof(run, cap));
    if (mark->kind == WR_MARK_WATERMARK) {
        r->watermark = mark->time;
        r->rows_before_mark = (int)r->cap.rows;
    }
    return 0;
}

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
    r->ctx.watermark = INT64_MIN;
    r->ctx.out_watermark = INT64_MIN;
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
    r->op = NULL;
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
    case WR_TYPE_BIGINT:
        ((int64_t *)v->data)[row] = strtoll(cell, NULL, 10);
        break;
    case WR_TYPE_TIMESTAMP:
        ((int64_t *)v->data)[row] = strtoll(cell, NULL, 10) * 1000;
        break;
    case WR_TYPE_VARCHAR:
        ((wr_str *)v->data)[row] = wr_batch_str(b, cell, strlen(cell));
        break;
    default:
        cr_assert_fail("no cell parser for type %d", v->type.id);
    }
}

/* A batch of rows "+I 1 10 abc; -D ..." over IN (missing trailing cells NULL). */
static wr_batch *batch_of(const char *text)
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
    return b;
}

static int feed_rc(run *r, const char *text)
{
    wr_batch *b = batch_of(text);
    int rc = r->op->ops->process(r->op, 0, b, &r->err);
    wr_batch_free(b);
    return rc;
}

static void feed(run *r, const char *text)
{
    int rc = feed_rc(r, text);
    cr_assert_eq(rc, 0, "process: %s", r->err.msg);
}

static void watermark(run *r, int64_t t)
{
    r->ctx.watermark = t;
    cr_assert_eq(r->op->ops->watermark(r->op, t, &r->err), 0, "%s", r->err.msg);
}

static void end_input(run *r)
{
    cr_assert_eq(r->op->ops->end_input(r->op, 0, &r->err), 0, "%s", r->err.msg);
}

/* Row i of an output batch as "+I[1, 10, a, null, null, 1]" (times in ms). */
static void format_row(const wr_batch *b, int i, wr_buf *out)
{
    wr_buf_puts(out, wr_change_kind_short(wr_batch_kind(b, i)));
    wr_buf_putc(out, '[');
    for (int c = 0; c < b->ncols; c++) {
        const wr_vector *v = &b->cols[c];
        if (c) wr_buf_puts(out, ", ");
        if (wr_vector_is_null(v, i)) {
            wr_buf_puts(out, "null");
        } else if (v->type.id == WR_TYPE_VARCHAR) {
            wr_str s = ((const wr_str *)v->data)[i];
            wr_buf_append(out, s.ptr, s.len);
        } else {
            int64_t x = ((const int64_t *)v->data)[i];
            wr_buf_put_int64(out, v->type.id == WR_TYPE_TIMESTAMP ? x / 1000 : x);
        }
    }
    wr_buf_putc(out, ']');
}

/* What was emitted since the last call, rows joined by '\n' (a new string). */
static char *take_output(run *r)
{
    wr_buf got;
    wr_buf_init(&got);
    for (int b = 0; b < r->cap.nbatches; b++)
        for (int i = 0; i < r->cap.batches[b]->count; i++) {
            if (got.len) wr_buf_putc(&got, '\n');
            format_row(r->cap.batches[b], i, &got);
        }
    capture_fini(&r->cap);
    capture_init(&r->cap);
    r->cap.base.mark = mark_out;
    r->rows_before_mark = 0;
    char *s = wr_strdup(got.len ? got.data : "");
    wr_buf_fini(&got);
    return s;
}

static void expect(run *r, const char *want)
{
    char *got = take_output(r);
    cr_assert_str_eq(got, want);
    wr_free(got);
}

static wr_operator_spec spec_of(const wr_sort_key *order, const wr_rank_opts *o)
{
    return wr_rank_spec(IN, NIN, P, 1, order, 1, o);
}

/* ---- continuous Top-N over insert-only input ----------------------------------------------- */

Test(rank, insert_only_top_n_without_rank)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 2, false, true);
    wr_operator_spec spec = spec_of(O_DESC, &o);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 a; +I 1 20 b; +I 2 5 x");
    expect(&r, "+I[1, 10, a, null, null]\n+I[1, 20, b, null, null]\n+I[2, 5, x, null, null]");
    /* 15 enters and pushes 10 out (delete first); 5 cannot enter. */
    feed(&r, "+I 1 15 c; +I 1 5 d");
    expect(&r, "-D[1, 10, a, null, null]\n+I[1, 15, c, null, null]");
    /* A tie with the last kept row arrived later: it loses. */
    feed(&r, "+I 1 15 e");
    expect(&r, "");
    feed(&r, "+I 1 30 f");
    expect(&r, "-D[1, 15, c, null, null]\n+I[1, 30, f, null, null]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, insert_only_top_n_with_rank)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 3, true, true);
    wr_operator_spec spec = spec_of(O_DESC, &o);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 a; +I 1 20 b");
    /* b takes rank 1 from a, and a gets the new rank 2. */
    expect(&r, "+I[1, 10, a, null, null, 1]\n"
               "-U[1, 10, a, null, null, 1]\n+U[1, 20, b, null, null, 1]\n"
               "+I[1, 10, a, null, null, 2]");
    feed(&r, "+I 1 15 c");
    expect(&r, "-U[1, 10, a, null, null, 2]\n+U[1, 15, c, null, null, 2]\n"
               "+I[1, 10, a, null, null, 3]");
    /* Full: a new top row shifts every rank; the old third row leaves with its position. */
    feed(&r, "+I 1 30 d");
    expect(&r, "-U[1, 20, b, null, null, 1]\n+U[1, 30, d, null, null, 1]\n"
               "-U[1, 15, c, null, null, 2]\n+U[1, 20, b, null, null, 2]\n"
               "-U[1, 10, a, null, null, 3]\n+U[1, 15, c, null, null, 3]");
    feed(&r, "+I 1 1 e");
    expect(&r, "");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, rank_and_dense_rank_ties)
{
    wr_rank_opts o = opts_of(WR_RANK_RANK, 1, 2, true, true);
    wr_operator_spec spec = spec_of(O_DESC, &o);
    run r;
    start(&r, &spec);
    /* RANK: peers share a rank, so three rows are within rank 2. */
    feed(&r, "+I 1 20 a; +I 1 10 b; +I 1 10 c");
    expect(&r, "+I[1, 20, a, null, null, 1]\n+I[1, 10, b, null, null, 2]\n"
               "+I[1, 10, c, null, null, 2]");
    /* A peer of the first row: both stay rank 1, and the 10s move to rank 3: gone. */
    feed(&r, "+I 1 20 d");
    expect(&r, "-D[1, 10, b, null, null, 2]\n-D[1, 10, c, null, null, 2]\n"
               "+I[1, 20, d, null, null, 1]");
    feed(&r, "+I 1 15 e");
    expect(&r, "");
    stop(&r);
    wr_operator_spec_fini(&spec);

    o.fn = WR_RANK_DENSE_RANK;
    spec = spec_of(O_DESC, &o);
    start(&r, &spec);
    feed(&r, "+I 1 20 a; +I 1 10 b; +I 1 20 c; +I 1 10 d");
    expect(&r, "+I[1, 20, a, null, null, 1]\n+I[1, 10, b, null, null, 2]\n"
               "+I[1, 20, c, null, null, 1]\n+I[1, 10, d, null, null, 2]");
    /* A new key between: 15 takes dense rank 2, the 10s go to 3 and leave. */
    feed(&r, "+I 1 15 e");
    expect(&r, "-D[1, 10, b, null, null, 2]\n-D[1, 10, d, null, null, 2]\n"
               "+I[1, 15, e, null, null, 2]");
    /* A new top key: 20s become 2 (updated), 15 leaves. */
    feed(&r, "+I 1 30 f");
    expect(&r, "-D[1, 15, e, null, null, 2]\n"
               "-U[1, 20, a, null, null, 1]\n+U[1, 20, a, null, null, 2]\n"
               "-U[1, 20, c, null, null, 1]\n+U[1, 20, c, null, null, 2]\n"
               "+I[1, 30, f, null, null, 1]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, rank_range_not_starting_at_one)
{
    /* rn BETWEEN 2 AND 3, without the rank column: rows shift in and out at both ends. */
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 2, 3, false, true);
    wr_operator_spec spec = spec_of(O_ASC, &o);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 a");
    expect(&r, "");
    feed(&r, "+I 1 20 b; +I 1 30 c");
    expect(&r, "+I[1, 20, b, null, null]\n+I[1, 30, c, null, null]");
    /* 5 becomes row 1: a shifts into rank 2, c out past 3. */
    feed(&r, "+I 1 5 d");
    expect(&r, "-D[1, 30, c, null, null]\n+I[1, 10, a, null, null]");
    feed(&r, "+I 1 15 e");
    expect(&r, "-D[1, 20, b, null, null]\n+I[1, 15, e, null, null]");
    stop(&r);
    wr_operator_spec_fini(&spec);

    o.output_rank = true;
    spec = spec_of(O_ASC, &o);
    start(&r, &spec);
    feed(&r, "+I 1 10 a; +I 1 20 b; +I 1 30 c");
    expect(&r, "+I[1, 20, b, null, null, 2]\n+I[1, 30, c, null, null, 3]");
    feed(&r, "+I 1 5 d");
    expect(&r, "-U[1, 20, b, null, null, 2]\n+U[1, 10, a, null, null, 2]\n"
               "-U[1, 30, c, null, null, 3]\n+U[1, 20, b, null, null, 3]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

/* ---- updating input ----------------------------------------------------------------------------
 */

Test(rank, updating_input_retracts_inside_and_outside_the_top)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 2, false, false);
    wr_operator_spec spec = spec_of(O_DESC, &o);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 a; +I 1 20 b; +I 1 30 c; +I 1 5 d");
    expect(&r, "+I[1, 10, a, null, null]\n+I[1, 20, b, null, null]\n"
               "-D[1, 10, a, null, null]\n+I[1, 30, c, null, null]");
    /* Outside the top (a is third): nothing visible changes. */
    feed(&r, "-D 1 10 a");
    expect(&r, "");
    /* Inside: the next row (d, kept though not visible) enters. */
    feed(&r, "-D 1 30 c");
    expect(&r, "-D[1, 30, c, null, null]\n+I[1, 5, d, null, null]");
    /* Retractions of rows never held (other values, another partition) are ignored. */
    feed(&r, "-D 1 20 zz; -D 1 99 b; -D 7 20 b");
    expect(&r, "");
    /* An update of b: -U leaves, +U comes back at its new place. */
    feed(&r, "-U 1 20 b; +U 1 2 b");
    expect(&r, "-D[1, 20, b, null, null]\n+I[1, 2, b, null, null]");
    feed(&r, "-D 1 5 d; -D 1 2 b");
    expect(&r, "-D[1, 5, d, null, null]\n-D[1, 2, b, null, null]");
    /* The partition is gone: a new row starts it afresh. */
    feed(&r, "+I 1 1 e");
    expect(&r, "+I[1, 1, e, null, null]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, updating_input_with_rank_column)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 2, true, false);
    wr_operator_spec spec = spec_of(O_DESC, &o);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 a; +I 1 20 b; +I 1 30 c");
    take_output(&r);
    feed(&r, "-D 1 30 c");
    expect(&r, "-U[1, 30, c, null, null, 1]\n+U[1, 20, b, null, null, 1]\n"
               "-U[1, 20, b, null, null, 2]\n+U[1, 10, a, null, null, 2]");
    feed(&r, "-D 1 10 a");
    expect(&r, "-D[1, 10, a, null, null, 2]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, insert_only_input_refuses_retractions)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 2, false, true);
    wr_operator_spec spec = spec_of(O_DESC, &o);
    run r;
    start(&r, &spec);
    cr_assert_eq(feed_rc(&r, "+I 1 1 a; -D 1 1 a"), WR_ERR_RUNTIME);
    cr_assert(strstr(r.err.msg, "-D"), "%s", r.err.msg);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

/* ---- deduplication -----------------------------------------------------------------------------
 */

Test(rank, keep_first_row)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 1, false, true);
    wr_operator_spec spec = spec_of(T_ASC, &o);
    run r;
    start(&r, &spec);
    /* Arrival order (processing time): +I once, then nothing; equal times keep the first. */
    feed(&r, "+I 1 0 a 100; +I 1 0 b 100; +I 2 0 x 101; +I 1 0 c 102");
    expect(&r, "+I[1, 0, a, 100, null]\n+I[2, 0, x, 101, null]");
    feed(&r, "+I 1 0 d 103; +I 2 0 y 104");
    expect(&r, "");
    /* Rowtime out of order: an earlier time arriving later is the first row after all. */
    feed(&r, "+I 1 0 e 50");
    expect(&r, "-U[1, 0, a, 100, null]\n+U[1, 0, e, 50, null]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, keep_last_row)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 1, true, true);
    wr_operator_spec spec = spec_of(T_DESC, &o);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 0 a 100; +I 1 0 b 101");
    expect(&r, "+I[1, 0, a, 100, null, 1]\n-U[1, 0, a, 100, null, 1]\n+U[1, 0, b, 101, null, 1]");
    /* Equal time: the newer row wins; an older time (out of order) is ignored. */
    feed(&r, "+I 1 0 c 101; +I 1 0 d 90");
    expect(&r, "-U[1, 0, b, 101, null, 1]\n+U[1, 0, c, 101, null, 1]");
    stop(&r);
    wr_operator_spec_fini(&spec);

    /* Upsert mode: +U only. */
    o.emit_update_before = false;
    o.output_rank = false;
    spec = spec_of(T_DESC, &o);
    start(&r, &spec);
    feed(&r, "+I 1 0 a 100; +I 1 0 b 101; +I 2 0 x 5");
    expect(&r, "+I[1, 0, a, 100, null]\n+U[1, 0, b, 101, null]\n+I[2, 0, x, 5, null]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, keep_last_over_updating_input)
{
    /* Deduplication over an updating input keeps every row, so retracting the last promotes
     * the one before. */
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 1, false, false);
    wr_operator_spec spec = spec_of(T_DESC, &o);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 0 a 100; +I 1 0 b 100");
    expect(&r, "+I[1, 0, a, 100, null]\n-U[1, 0, a, 100, null]\n+U[1, 0, b, 100, null]");
    feed(&r, "-D 1 0 b 100");
    expect(&r, "-U[1, 0, b, 100, null]\n+U[1, 0, a, 100, null]");
    feed(&r, "-D 1 0 a 100");
    expect(&r, "-D[1, 0, a, 100, null]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, top_one_that_is_not_dedup_breaks_ties_by_arrival)
{
    /* ORDER BY o DESC, rn = 1: a Top-1, not a deduplication: ties keep the earlier row. */
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 1, false, true);
    wr_operator_spec spec = spec_of(O_DESC, &o);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 5 a; +I 1 5 b; +I 1 6 c");
    expect(&r, "+I[1, 5, a, null, null]\n-D[1, 5, a, null, null]\n+I[1, 6, c, null, null]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, many_rows_compact_the_store)
{
    /* Keep-last over many rows: most rows die, the store is compacted; results stay right. */
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 1, false, true);
    o.emit_update_before = false;
    wr_operator_spec spec = spec_of(T_DESC, &o);
    run r;
    start(&r, &spec);
    char *text = wr_malloc(64 * 1024);
    for (int round = 0; round < 40; round++) {
        size_t at = 0;
        for (int i = 0; i < 1000; i++) {
            int t = round * 1000 + i;
            at += (size_t)snprintf(text + at, 64 * 1024 - at,
                                   "%s+I %d 0 row-%d-longer-than-sixteen %d", i ? "; " : "", t % 3,
                                   t, t);
        }
        feed(&r, text);
    }
    take_output(&r);
    /* Kept: 39999 (partition 0), 39997 (1), 39998 (2); an equal time takes the newer row. */
    feed(&r, "+I 0 0 z 39999; +I 1 0 y 39997; +I 2 0 x 39996");
    expect(&r, "+U[0, 0, z, 39999, null]\n+U[1, 0, y, 39997, null]");
    wr_free(text);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

/* ---- windows
 * ---------------------------------------------------------------------------------------- */

static const int PW[] = {4, 0};

Test(rank, window_top_n_fires_on_watermark)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 2, true, true);
    o.window_end_col = 4;
    wr_operator_spec spec = wr_rank_spec(IN, NIN, PW, 2, O_DESC, 1, &o);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 a 1 10; +I 1 30 b 2 10; +I 1 20 c 3 10; +I 1 5 d 12 20; +I 2 7 x 4 10");
    expect(&r, "");
    watermark(&r, 8);
    expect(&r, "");
    cr_assert_eq(r.watermark, 8);
    /* Window end 10 fires at watermark 9, before the watermark is forwarded. */
    watermark(&r, 9);
    cr_assert_eq(r.watermark, 9);
    cr_assert_eq(r.rows_before_mark, 3);
    expect(&r, "+I[1, 30, b, 2, 10, 1]\n+I[1, 20, c, 3, 10, 2]\n+I[2, 7, x, 4, 10, 1]");
    /* A row of the fired window is late: dropped and counted. */
    feed(&r, "+I 1 99 late 5 10; +I 1 6 e 15 20");
    cr_assert_eq(wr_rank_late_rows(r.op), 1);
    expect(&r, "");
    /* End of input fires the rest. */
    end_input(&r);
    expect(&r, "+I[1, 6, e, 15, 20, 1]\n+I[1, 5, d, 12, 20, 2]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, window_deduplication)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 1, false, true);
    o.window_end_col = 4;
    wr_operator_spec spec = wr_rank_spec(IN, NIN, PW, 2, T_DESC, 1, &o);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 0 a 1 10; +I 1 0 b 3 10; +I 1 0 c 2 10");
    watermark(&r, 100);
    expect(&r, "+I[1, 0, b, 3, 10]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, window_mode_refuses_updates_and_bad_columns)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 1, false, false);
    o.window_end_col = 4;
    wr_operator_spec spec = wr_rank_spec(IN, NIN, PW, 2, T_DESC, 1, &o);
    run r;
    start(&r, &spec);
    cr_assert_eq(feed_rc(&r, "-D 1 0 a 1 10"), WR_ERR_RUNTIME);
    stop(&r);
    wr_operator_spec_fini(&spec);
    /* window_end must be a partition column of type TIMESTAMP. */
    spec = wr_rank_spec(IN, NIN, P, 1, T_DESC, 1, &o);
    cr_assert_eq(start_at(&r, &spec, 0, 1, NULL), WR_ERR_VALIDATION);
    cr_assert(strstr(r.err.msg, "window_end"), "%s", r.err.msg);
    stop(&r);
    wr_operator_spec_fini(&spec);
    o.window_end_col = 0;
    spec = wr_rank_spec(IN, NIN, PW, 2, T_DESC, 1, &o);
    cr_assert_eq(start_at(&r, &spec, 0, 1, NULL), WR_ERR_VALIDATION);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, bad_specs)
{
    run r;
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 0, 3, false, true);
    wr_operator_spec spec = spec_of(O_DESC, &o);
    cr_assert_eq(start_at(&r, &spec, 0, 1, NULL), WR_ERR_VALIDATION);
    cr_assert(strstr(r.err.msg, "0..3"), "%s", r.err.msg);
    stop(&r);
    wr_operator_spec_fini(&spec);
    o = opts_of(WR_RANK_ROW_NUMBER, 3, 2, false, true);
    spec = spec_of(O_DESC, &o);
    cr_assert_eq(start_at(&r, &spec, 0, 1, NULL), WR_ERR_VALIDATION);
    stop(&r);
    wr_operator_spec_fini(&spec);
    o = opts_of(WR_RANK_ROW_NUMBER, 1, 2, false, true);
    wr_sort_key bad[] = {{9, false, false}};
    spec = spec_of(bad, &o);
    cr_assert_eq(start_at(&r, &spec, 0, 1, NULL), WR_ERR_VALIDATION);
    cr_assert(strstr(r.err.msg, "ORDER BY column 9"), "%s", r.err.msg);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, no_partition_columns)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 1, false, true);
    wr_operator_spec spec = wr_rank_spec(IN, NIN, NULL, 0, O_DESC, 1, &o);
    cr_assert_eq(spec.parallelism, 1);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 5 a; +I 2 6 b; +I 3 1 c");
    expect(&r, "+I[1, 5, a, null, null]\n-D[1, 5, a, null, null]\n+I[2, 6, b, null, null]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

/* ---- TTL
 * ------------------------------------------------------------------------------------------- */

Test(rank, state_ttl_drops_idle_partitions)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 1, false, true);
    o.state_ttl_ms = 1000;
    o.clock = fake_clock;
    wr_operator_spec spec = spec_of(T_ASC, &o);
    fake_now = 0;
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 0 a 10; +I 2 0 x 10");
    expect(&r, "+I[1, 0, a, 10, null]\n+I[2, 0, x, 10, null]");
    fake_now = 900;
    feed(&r, "+I 1 0 b 20"); /* touches partition 1 only */
    expect(&r, "");
    fake_now = 1500;
    /* Partition 2 expired (idle since 0): its next row starts afresh; 1 is alive. */
    feed(&r, "+I 1 0 c 30; +I 2 0 y 20");
    expect(&r, "+I[2, 0, y, 20, null]");
    fake_now = 5000;
    feed(&r, "+I 1 0 d 40");
    expect(&r, "+I[1, 0, d, 40, null]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

/* ---- checkpoints
 * ----------------------------------------------------------------------------------- */

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

/* The subtask of par that owns partition p, as the exchange routes it. */
static int owner(int64_t p, int par)
{
    wr_batch *b = wr_batch_new(IN, NIN, 1);
    ((int64_t *)b->cols[0].data)[0] = p;
    b->count = 1;
    wr_buf key;
    wr_buf_init(&key);
    wr_row_encode(b, 0, P, 1, &key);
    int kg = wr_keygroup_of_hash(wr_hash_bytes(key.data, key.len), 128);
    wr_buf_fini(&key);
    wr_batch_free(b);
    return wr_keygroup_subtask(kg, 128, par);
}

#define NPARTS 24

/* Rows of round `round` for every partition owned by subtask only_sub of par (-1: all). */
static void round_rows(char *out, size_t size, const char *kind, int round, int only_sub, int par)
{
    size_t at = 0;
    out[0] = 0;
    for (int p = 0; p < NPARTS; p++) {
        if (only_sub >= 0 && owner(p, par) != only_sub) continue;
        at += (size_t)snprintf(out + at, size - at, "%s%s %d %d v%d-%d-a-long-string-value %d",
                               at ? "; " : "", kind, p, (round * 7 + p) % 11, p, round, round);
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
            format_row(cap->batches[b], i, &buf);
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
 * Runs p1 instances over rounds 0..3, snapshots, restores p2 instances and
 * runs rounds 4..7 and retractions of round 1; the restored output must be
 * what one instance that never stopped emits for those.
 */
static void check_restore(const wr_rank_opts *o, int p1, int p2)
{
    wr_operator_spec spec = spec_of(O_DESC, o);
    static char rows[NPARTS * 96];
    const char *del = o->input_insert_only ? NULL : "-D";
    run ref;
    start(&ref, &spec);
    for (int round = 0; round < 4; round++) {
        round_rows(rows, sizeof rows, "+I", round, -1, 1);
        feed(&ref, rows);
    }
    char *skip = take_output(&ref);
    wr_free(skip);
    for (int round = 4; round < 8; round++) {
        round_rows(rows, sizeof rows, "+I", round, -1, 1);
        feed(&ref, rows);
    }
    if (del) {
        round_rows(rows, sizeof rows, del, 1, -1, 1);
        feed(&ref, rows);
    }
    int nwant;
    char **want = texts(&ref.cap, &nwant);
    cr_assert(nwant > 0);

    run a[4], b[4];
    for (int s = 0; s < p1; s++) {
        cr_assert_eq(start_at(&a[s], &spec, s, p1, NULL), 0);
        for (int round = 0; round < 4; round++) {
            round_rows(rows, sizeof rows, "+I", round, s, p1);
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
        for (int round = 4; round < 8; round++) {
            round_rows(rows, sizeof rows, "+I", round, s, p2);
            if (rows[0]) feed(&b[s], rows);
        }
        if (del) {
            round_rows(rows, sizeof rows, del, 1, s, p2);
            if (rows[0]) feed(&b[s], rows);
        }
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

Test(rank, snapshot_and_restore)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 3, true, true);
    check_restore(&o, 1, 1);
    o = opts_of(WR_RANK_RANK, 1, 2, true, false);
    check_restore(&o, 1, 1);
    o = opts_of(WR_RANK_ROW_NUMBER, 1, 1, false, true);
    check_restore(&o, 1, 1);
}

Test(rank, restore_rescaled)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 3, true, true);
    check_restore(&o, 1, 2);
    check_restore(&o, 2, 1);
    o = opts_of(WR_RANK_DENSE_RANK, 2, 3, false, false);
    check_restore(&o, 1, 2);
    check_restore(&o, 2, 1);
    check_restore(&o, 2, 3);
}

/* The subtask of par that owns window partition (w, p) (w in ms). */
static int window_owner(int64_t w, int64_t p, int par)
{
    wr_batch *b = wr_batch_new(IN, NIN, 1);
    ((int64_t *)b->cols[4].data)[0] = w * 1000;
    ((int64_t *)b->cols[0].data)[0] = p;
    b->count = 1;
    wr_buf key;
    wr_buf_init(&key);
    wr_row_encode(b, 0, PW, 2, &key);
    int kg = wr_keygroup_of_hash(wr_hash_bytes(key.data, key.len), 128);
    wr_buf_fini(&key);
    wr_batch_free(b);
    return wr_keygroup_subtask(kg, 128, par);
}

Test(rank, window_restore_keeps_progress_and_rows)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 2, true, true);
    o.window_end_col = 4;
    wr_operator_spec spec = wr_rank_spec(IN, NIN, PW, 2, O_DESC, 1, &o);
    run a;
    start(&a, &spec);
    char text[256];
    for (int p = 1; p <= 6; p++) {
        snprintf(text, sizeof text, "+I %d 10 a 1 10; +I %d 30 b 2 10; +I %d 5 c 12 20", p, p, p);
        feed(&a, text);
    }
    watermark(&a, 9);
    cr_assert_eq(a.cap.rows, 12);
    op_snapshots sv;
    snapshot_all(&a, 1, &sv);
    stop(&a);
    /* Restored at parallelism 2: window 10 stays fired (its rows are late), window 20 fires at
     * the end with the rows from before and after the checkpoint. */
    capture merged;
    capture_init(&merged);
    int64_t late = 0;
    for (int s = 0; s < 2; s++) {
        run b;
        wr_restore r;
        const wr_snapshot_part *parts[128];
        keyed_restore_for(&sv, s, 2, &r, parts);
        cr_assert(r.nparts > 0);
        cr_assert_eq(start_at(&b, &spec, s, 2, &r), 0, "restore: %s", b.err.msg);
        for (int p = 1; p <= 6; p++) {
            if (window_owner(20, p, 2) != s) continue;
            snprintf(text, sizeof text, "+I %d 99 late 3 10; +I %d 7 d 15 20; +I %d 1 e 16 20", p,
                     p, p);
            feed(&b, text);
        }
        end_input(&b);
        late += wr_rank_late_rows(b.op);
        for (int i = 0; i < b.cap.nbatches; i++)
            merged.base.push(&merged.base, b.cap.batches[i], NULL);
        stop(&b);
    }
    cr_assert_eq(late, 6);
    int ngot;
    char **got = texts(&merged, &ngot);
    cr_assert_eq(ngot, 12);
    for (int p = 1; p <= 6; p++) {
        char want[2][64];
        snprintf(want[0], sizeof want[0], "+I[%d, 5, c, 12, 20, 2]", p);
        snprintf(want[1], sizeof want[1], "+I[%d, 7, d, 15, 20, 1]", p);
        for (int k = 0; k < 2; k++) {
            bool found = false;
            for (int i = 0; i < ngot; i++) found |= strcmp(got[i], want[k]) == 0;
            cr_assert(found, "missing %s", want[k]);
        }
    }
    free_texts(got, ngot);
    capture_fini(&merged);
    saved_fini(&sv);
    wr_operator_spec_fini(&spec);
}

/* Restoring part bytes damaged in some way must fail with WR_ERR_IO. */
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

Test(rank, corrupt_snapshot_is_an_error)
{
    wr_rank_opts o = opts_of(WR_RANK_ROW_NUMBER, 1, 3, true, true);
    wr_operator_spec spec = spec_of(O_DESC, &o);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 some-name-longer-than-sixteen; +I 1 3 x");
    op_snapshots sv;
    snapshot_all(&r, 1, &sv);
    stop(&r);
    cr_assert_eq(sv.snaps[0].nparts, 1);
    const wr_snapshot_part *good = &sv.snaps[0].parts[0];
    size_t len = good->data.len;
    for (size_t cut = 0; cut < len; cut++)
        check_bad(&spec, &good->data, good->keygroup, cut, len, "cut");
    for (size_t flip = 0; flip < len; flip += 3)
        check_bad(&spec, &good->data, good->keygroup, len, flip, "flip");
    check_bad(&spec, &good->data, (good->keygroup + 1) % 128, len, len, "key group");
    /* Past the checksum: a body cut anywhere (with a checksum that matches it) still fails. */
    for (size_t cut = 0; cut < len - 8; cut++) {
        wr_buf body;
        wr_buf_init(&body);
        wr_buf_append(&body, good->data.data, cut);
        wr_buf_put_u64(&body, wr_hash_bytes(body.data, body.len));
        check_bad(&spec, &body, good->keygroup, body.len, body.len, "cut body");
        wr_buf_fini(&body);
    }
    /* The same state restored into another rank operator. */
    wr_rank_opts other = opts_of(WR_RANK_RANK, 1, 3, true, true);
    wr_operator_spec ospec = spec_of(O_DESC, &other);
    check_bad(&ospec, &good->data, good->keygroup, len, len, "other operator");
    wr_operator_spec_fini(&ospec);
    saved_fini(&sv);
    wr_operator_spec_fini(&spec);
}

/* ---- randomized: the changelog applied gives the naive Top-N of the final input ---------- */

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

typedef struct mrow {
    int p, o, id;
} mrow;

/* Rows as text with a "+I" prefix (a multiset as an unsorted array). */
typedef struct bag {
    char **v;
    int n, cap;
} bag;

static void bag_add(bag *b, const char *text)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->v = wr_realloc(b->v, (size_t)b->cap * sizeof(char *));
    }
    b->v[b->n++] = wr_strdup(text);
}

/* Removes one entry equal to text (or, with prefix, starting with it); false when none. */
static bool bag_remove(bag *b, const char *text, bool prefix)
{
    size_t len = strlen(text);
    for (int i = 0; i < b->n; i++)
        if (prefix ? strncmp(b->v[i], text, len) == 0 : strcmp(b->v[i], text) == 0) {
            wr_free(b->v[i]);
            b->v[i] = b->v[--b->n];
            return true;
        }
    return false;
}

static void bag_free(bag *b)
{
    for (int i = 0; i < b->n; i++) wr_free(b->v[i]);
    wr_free(b->v);
}

/*
 * Applies the captured changelog to b. Retract mode: +I/+U add, -U/-D remove
 * (which must be there). upsert_rank: the consumer keys by (partition, rank),
 * the last column: +I/+U replace what the key holds, -D removes it.
 */
static void apply_changes(capture *cap, bag *b, bool upsert_rank)
{
    for (int k = 0; k < cap->nbatches; k++) {
        const wr_batch *batch = cap->batches[k];
        for (int i = 0; i < batch->count; i++) {
            wr_buf t;
            wr_buf_init(&t);
            format_row(batch, i, &t);
            wr_change_kind kind = wr_batch_kind(batch, i);
            memcpy(t.data, "+I", 2);
            if (upsert_rank) {
                char key[64];
                snprintf(key, sizeof key, "%lld",
                         (long long)((const int64_t *)batch->cols[0].data)[i]);
                int64_t rank = ((const int64_t *)batch->cols[batch->ncols - 1].data)[i];
                /* Entries are found by partition and rank: "+I[p, " ... ", rank]". */
                bool found = false;
                for (int j = 0; j < b->n && !found; j++) {
                    char head[80], tail[32];
                    snprintf(head, sizeof head, "+I[%s, ", key);
                    snprintf(tail, sizeof tail, ", %lld]", (long long)rank);
                    size_t lv = strlen(b->v[j]), lt = strlen(tail);
                    if (strncmp(b->v[j], head, strlen(head)) == 0 && lv >= lt &&
                        strcmp(b->v[j] + lv - lt, tail) == 0) {
                        wr_free(b->v[j]);
                        b->v[j] = b->v[--b->n];
                        found = true;
                    }
                }
                cr_assert(kind != WR_KIND_UPDATE_BEFORE, "upsert mode emitted -U");
                cr_assert(found || kind == WR_KIND_INSERT, "%s of a missing key", t.data);
                cr_assert(!found || kind != WR_KIND_INSERT, "+I of a present key: %s", t.data);
                if (kind != WR_KIND_DELETE) bag_add(b, t.data);
            } else if (kind == WR_KIND_INSERT || kind == WR_KIND_UPDATE_AFTER) {
                bag_add(b, t.data);
            } else {
                cr_assert(bag_remove(b, t.data, false), "retracted %s, which was not emitted",
                          t.data);
            }
            wr_buf_fini(&t);
        }
    }
    capture_fini(cap);
    capture_init(cap);
    cap->base.mark = mark_out;
}

static int cmp_mrow_desc(const void *a, const void *b)
{
    const mrow *x = a, *y = b;
    if (x->p != y->p) return x->p - y->p;
    return y->o - x->o;
}

/* The expected visible rows of the live rows, naively. */
static void naive_top(const mrow *live, int n, const wr_rank_opts *o, bag *want)
{
    mrow *s = wr_malloc((size_t)(n ? n : 1) * sizeof(mrow));
    if (n) memcpy(s, live, (size_t)n * sizeof(mrow));
    qsort(s, (size_t)n, sizeof(mrow), cmp_mrow_desc);
    for (int i = 0; i < n;) {
        int j = i;
        int64_t rank = 0, dense = 0;
        for (; j < n && s[j].p == s[i].p; j++) {
            bool peer = j > i && s[j].o == s[j - 1].o;
            if (!peer) dense++;
            rank = o->fn == WR_RANK_ROW_NUMBER ? j - i + 1
                   : o->fn == WR_RANK_RANK     ? (peer ? rank : j - i + 1)
                                               : dense;
            if (rank < o->rank_start || rank > o->rank_end) continue;
            char text[128];
            if (o->output_rank)
                snprintf(text, sizeof text, "+I[%d, %d, id%d, null, null, %lld]", s[j].p, s[j].o,
                         s[j].id, (long long)rank);
            else
                snprintf(text, sizeof text, "+I[%d, %d, id%d, null, null]", s[j].p, s[j].o,
                         s[j].id);
            bag_add(want, text);
        }
        i = j;
    }
    wr_free(s);
}

static void check_bags(bag *got, bag *want, const char *what)
{
    if (got->n) qsort(got->v, (size_t)got->n, sizeof(char *), cmp_text);
    if (want->n) qsort(want->v, (size_t)want->n, sizeof(char *), cmp_text);
    cr_assert_eq(got->n, want->n, "%s: %d rows, want %d", what, got->n, want->n);
    for (int i = 0; i < got->n; i++) cr_assert_str_eq(got->v[i], want->v[i], "%s", what);
}

static void random_run(const wr_rank_opts *o, bool upsert_rank, int steps)
{
    wr_operator_spec spec = spec_of(O_DESC, o);
    run r;
    start(&r, &spec);
    mrow *live = wr_malloc((size_t)steps * sizeof(mrow));
    int nlive = 0, next_id = 0, next_o = 0;
    bag got = {0};
    char *text = wr_malloc(64 * 1024);
    for (int done = 0; done < steps;) {
        int m = 1 + (int)rnd(20);
        size_t at = 0;
        text[0] = 0;
        for (int k = 0; k < m && done < steps; k++, done++) {
            const char *sep = at ? "; " : "";
            if (!o->input_insert_only && nlive > 0 && rnd(10) < 3) {
                int victim = (int)rnd((uint32_t)nlive);
                mrow x = live[victim];
                live[victim] = live[--nlive];
                at += (size_t)snprintf(text + at, 64 * 1024 - at, "%s-D %d %d id%d", sep, x.p, x.o,
                                       x.id);
            } else if (!o->input_insert_only && rnd(20) == 0) {
                at += (size_t)snprintf(text + at, 64 * 1024 - at, "%s-D %d 3 never", sep,
                                       (int)rnd(3));
            } else {
                /* ROW_NUMBER: unique order values; RANK some ties, DENSE_RANK many. */
                int ov = o->fn == WR_RANK_ROW_NUMBER ? (int)((next_o++ * 7919) % 100003)
                         : o->fn == WR_RANK_RANK     ? (int)rnd(200)
                                                     : (int)rnd(8);
                mrow x = {(int)rnd(3), ov, next_id++};
                live[nlive++] = x;
                at += (size_t)snprintf(text + at, 64 * 1024 - at, "%s+I %d %d id%d", sep, x.p, x.o,
                                       x.id);
            }
        }
        feed(&r, text);
        apply_changes(&r.cap, &got, upsert_rank);
        /* After every batch, not only at the end. */
        bag want = {0};
        naive_top(live, nlive, o, &want);
        char what[160];
        snprintf(what, sizeof what,
                 "fn %d ranks %lld..%lld rank col %d insert-only %d upsert %d, step %d", (int)o->fn,
                 (long long)o->rank_start, (long long)o->rank_end, o->output_rank,
                 o->input_insert_only, upsert_rank, done);
        check_bags(&got, &want, what);
        bag_free(&want);
    }
    bag_free(&got);
    wr_free(live);
    wr_free(text);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(rank, randomized_against_naive_top_n)
{
    const wr_rank_fn fns[] = {WR_RANK_ROW_NUMBER, WR_RANK_RANK, WR_RANK_DENSE_RANK};
    const int64_t ranges[][2] = {{1, 3}, {2, 4}, {1, 1}};
    for (int f = 0; f < 3; f++)
        for (int g = 0; g < 3; g++)
            for (int rank_col = 0; rank_col < 2; rank_col++)
                for (int insert_only = 0; insert_only < 2; insert_only++) {
                    wr_rank_opts o =
                        opts_of(fns[f], ranges[g][0], ranges[g][1], rank_col, insert_only);
                    random_run(&o, false, 700);
                    if (fns[f] == WR_RANK_ROW_NUMBER && rank_col) {
                        o.emit_update_before = false;
                        random_run(&o, true, 700);
                    }
                }
}
