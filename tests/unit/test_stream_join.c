/*
 * test_stream_join.c — the streaming regular join over changelogs, driven by
 * hand as the runtime would: exact output rows and kinds of every join type
 * under insertions and retractions on either side, NULL padding that comes
 * and goes, SEMI/ANTI, residual conditions, NULL keys, state TTL, snapshot
 * -> restore (also at another parallelism), bad snapshots and bad input, and
 * randomized changelogs checked against a naive join of the final inputs.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/base/hash.h"
#include "../../src/base/vec.h"
#include "../../src/ops/stream_join.h"
#include "../../src/state/keygroup.h"
#include "../../src/types/row_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const wr_type BIGINT_N = {WR_TYPE_BIGINT, true, 0, 0};
static const wr_type STR_N = {WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0};

/* Most tests: left (k BIGINT, a VARCHAR), right (k BIGINT, b BIGINT). */
static const wr_type LEFT_T[] = {BIGINT_N, STR_N};
static const wr_type RIGHT_T[] = {BIGINT_N, BIGINT_N};
/* Numeric tests (residual, random): left (k BIGINT, v BIGINT), right (k BIGINT, w BIGINT). */
static const wr_type NUM_T[] = {BIGINT_N, BIGINT_N};

static const int KEY0[] = {0};

/* ---- driving instances ------------------------------------------------------------- */

/* One operator instance with the collector that captures its output. */
typedef struct inst {
    wr_op_ctx ctx;
    capture cap;
    wr_operator *op;
} inst;

/* A join of one kind: its spec, and the column types of both sides. */
typedef struct jtest {
    wr_operator_spec spec;
    const wr_type *lt, *rt;
    int nl, nr;
} jtest;

static wr_join_desc desc_of(wr_join_type type, const wr_type *lt, const wr_type *rt,
                            const bool *null_safe, wr_expr *residual)
{
    wr_join_desc d = {.type = type,
                      .left_types = lt,
                      .nleft = 2,
                      .right_types = rt,
                      .nright = 2,
                      .left_keys = KEY0,
                      .right_keys = KEY0,
                      .null_safe = null_safe,
                      .nkeys = 1,
                      .residual = residual};
    return d;
}

static void jtest_init(jtest *t, wr_join_type type, const wr_type *lt, const wr_type *rt,
                       const bool *null_safe, wr_expr *residual, int64_t ttl_ms)
{
    wr_join_desc d = desc_of(type, lt, rt, null_safe, residual);
    wr_stream_join_opts opts = {ttl_ms};
    t->spec = wr_stream_join_spec(&d, &opts);
    t->lt = lt;
    t->rt = rt;
    t->nl = t->nr = 2;
}

/* Creates and opens subtask i of p, restoring from r (or NULL). */
static void inst_start(inst *in, const jtest *t, int i, int p, const wr_restore *r)
{
    capture_init(&in->cap);
    ctx_init(&in->ctx, i, p, &in->cap.base);
    in->ctx.restore = r;
    wr_error err;
    wr_error_init(&err);
    in->op = t->spec.ops->create(t->spec.spec, &in->ctx, &err);
    cr_assert_not_null(in->op, "%s", err.msg);
    cr_assert_eq(in->op->ops->open(in->op, &err), 0, "%s", err.msg);
    in->ctx.restore = NULL;
}

static void inst_stop(inst *in)
{
    in->op->ops->destroy(in->op);
    capture_fini(&in->cap);
}

static void put_cell(wr_batch *batch, int col, int row, const char *cell)
{
    wr_vector *v = &batch->cols[col];
    if (strcmp(cell, "null") == 0) {
        wr_batch_set_null(batch, col, row);
    } else if (v->type.id == WR_TYPE_VARCHAR) {
        ((wr_str *)v->data)[row] = wr_batch_str(batch, cell, strlen(cell));
    } else {
        ((int64_t *)v->data)[row] = strtoll(cell, NULL, 10);
        if (v->validity) wr_validity_set(v->validity, row, true);
    }
}

static wr_change_kind kind_of(const char *s)
{
    static const char *const names[] = {"+I", "-U", "+U", "-D"};
    for (int k = 0; k < 4; k++)
        if (strncmp(s, names[k], 2) == 0) return (wr_change_kind)k;
    cr_assert_fail("bad kind in %s", s);
    return WR_KIND_INSERT;
}

/* A batch of the given types from rows like "+I 1 abc" or "-D null 7". */
static wr_batch *batch_of(const wr_type *types, int ncols, const char *const *rows, int n)
{
    wr_batch *batch = wr_batch_new(types, ncols, WR_BATCH_CAPACITY);
    uint8_t *kinds = wr_batch_kinds(batch);
    for (int r = 0; r < n; r++) {
        char line[128];
        snprintf(line, sizeof(line), "%s", rows[r]);
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        kinds[r] = (uint8_t)kind_of(tok);
        for (int c = 0; c < ncols; c++) {
            tok = strtok_r(NULL, " ", &save);
            cr_assert_not_null(tok, "row %s has too few cells", rows[r]);
            put_cell(batch, c, r, tok);
        }
    }
    batch->count = n;
    return batch;
}

/* Feeds rows to input `input` of an instance; returns the operator's return code. */
static int feed_rc(inst *in, const jtest *t, int input, const char *const *rows, int n,
                   wr_error *err)
{
    wr_batch *batch =
        input == 0 ? batch_of(t->lt, t->nl, rows, n) : batch_of(t->rt, t->nr, rows, n);
    int rc = in->op->ops->process(in->op, input, batch, err);
    wr_batch_free(batch);
    return rc;
}

static void feed(inst *in, const jtest *t, int input, const char *const *rows, int n)
{
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(feed_rc(in, t, input, rows, n, &err), 0, "%s", err.msg);
}

#define FEED(in, t, input, ...)                                                                    \
    do {                                                                                           \
        const char *const rows_[] = {__VA_ARGS__};                                                 \
        feed(in, t, input, rows_, (int)(sizeof(rows_) / sizeof(rows_[0])));                        \
    } while (0)

/* The captured rows as "+I[1, a, 1, 10]" strings (caller frees each and the array). */
static char **taken(inst *in, int *n)
{
    char **out = wr_malloc((size_t)(in->cap.rows + 1) * sizeof(char *));
    int k = 0;
    wr_buf buf;
    wr_buf_init(&buf);
    for (int b = 0; b < in->cap.nbatches; b++)
        for (int r = 0; r < in->cap.batches[b]->count; r++) {
            wr_buf_reset(&buf);
            wr_batch_format_row(in->cap.batches[b], r, &buf);
            out[k++] = wr_strdup(buf.data);
        }
    wr_buf_fini(&buf);
    capture_fini(&in->cap);
    capture_init(&in->cap); /* ctx.out keeps pointing at it */
    *n = k;
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Asserts that the output since the last check is exactly want (in order, or as a multiset). */
static void expect(inst *in, bool sorted, const char *const *want, int nwant)
{
    int n;
    char **got = taken(in, &n);
    const char **w = wr_malloc((size_t)(nwant + 1) * sizeof(char *));
    if (nwant > 0) memcpy(w, want, (size_t)nwant * sizeof(char *));
    if (sorted) {
        qsort(got, (size_t)n, sizeof(char *), cmp_str);
        qsort(w, (size_t)nwant, sizeof(char *), cmp_str);
    }
    wr_buf all;
    wr_buf_init(&all);
    for (int i = 0; i < n; i++) wr_buf_printf(&all, " %s", got[i]);
    cr_assert_eq(n, nwant, "got %d rows, want %d:%s", n, nwant, all.data ? all.data : "");
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(got[i], w[i], "row %d: got %s, want %s (all:%s)", i, got[i], w[i],
                         all.data);
    for (int i = 0; i < n; i++) wr_free(got[i]);
    wr_free(got);
    wr_free(w);
    wr_buf_fini(&all);
}

#define EXPECT(in, ...)                                                                            \
    do {                                                                                           \
        const char *const want_[] = {__VA_ARGS__};                                                 \
        expect(in, false, want_, (int)(sizeof(want_) / sizeof(want_[0])));                         \
    } while (0)
#define EXPECT_SORTED(in, ...)                                                                     \
    do {                                                                                           \
        const char *const want_[] = {__VA_ARGS__};                                                 \
        expect(in, true, want_, (int)(sizeof(want_) / sizeof(want_[0])));                          \
    } while (0)
#define EXPECT_NONE(in) expect(in, false, NULL, 0)

static wr_expr *call2(wr_func fn, wr_type type, wr_expr *x, wr_expr *y)
{
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = x;
    args[1] = y;
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_expr_call(fn, args, 2, type, 0, &err);
    cr_assert_not_null(e, "%s", err.msg);
    return e;
}

/* left.v < right.w over the numeric columns (left ++ right: k, v, k, w). */
static wr_expr *v_less_w(void)
{
    return call2(WR_FN_LT, wr_type_make(WR_TYPE_BOOLEAN, true), wr_expr_column(1, BIGINT_N, 0),
                 wr_expr_column(3, BIGINT_N, 0));
}

/* ---- inner joins ---------------------------------------------------------------------- */

Test(stream_join, inner_insert_only)
{
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_INNER, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst in;
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I 1 a", "+I 2 b");
    EXPECT_NONE(&in);
    FEED(&in, &t, 1, "+I 1 10", "+I 1 11", "+I 3 30");
    EXPECT(&in, "+I[1, a, 1, 10]", "+I[1, a, 1, 11]");
    FEED(&in, &t, 0, "+I 1 c", "+I 3 d", "+I 4 e");
    EXPECT_SORTED(&in, "+I[1, c, 1, 10]", "+I[1, c, 1, 11]", "+I[3, d, 3, 30]");
    /* A duplicate row pairs again: the join is over multisets. */
    FEED(&in, &t, 1, "+I 2 20", "+I 2 20");
    EXPECT(&in, "+I[2, b, 2, 20]", "+I[2, b, 2, 20]");
    /* Watermarks pass through: the operator has no callback of its own. */
    cr_assert_null(wr_stream_join_ops.watermark);
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);
}

Test(stream_join, inner_retractions_on_either_side)
{
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_INNER, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst in;
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I 1 a", "+I 1 c");
    FEED(&in, &t, 1, "+I 1 10", "+I 1 11");
    EXPECT_SORTED(&in, "+I[1, a, 1, 10]", "+I[1, c, 1, 10]", "+I[1, a, 1, 11]", "+I[1, c, 1, 11]");
    /* A left delete retracts its pairs; a right delete its own. */
    FEED(&in, &t, 0, "-D 1 a");
    EXPECT_SORTED(&in, "-D[1, a, 1, 10]", "-D[1, a, 1, 11]");
    FEED(&in, &t, 1, "-D 1 10");
    EXPECT(&in, "-D[1, c, 1, 10]");
    /* An inner join forwards update kinds (Flink). */
    FEED(&in, &t, 0, "-U 1 c", "+U 1 d");
    EXPECT(&in, "-U[1, c, 1, 11]", "+U[1, d, 1, 11]");
    FEED(&in, &t, 1, "-U 1 11", "+U 1 12");
    EXPECT(&in, "-U[1, d, 1, 11]", "+U[1, d, 1, 12]");
    /* Retractions of rows that are not held are ignored: no output, no negative counts. */
    FEED(&in, &t, 0, "-D 1 zz", "-D 9 a", "-U 1 c");
    FEED(&in, &t, 1, "-D 1 10", "-D 1 99");
    EXPECT_NONE(&in);
    FEED(&in, &t, 0, "+I 1 e");
    EXPECT(&in, "+I[1, e, 1, 12]");
    /* Deleting one of two equal copies keeps the other. */
    FEED(&in, &t, 1, "+I 1 12");
    EXPECT_SORTED(&in, "+I[1, d, 1, 12]", "+I[1, e, 1, 12]");
    FEED(&in, &t, 1, "-D 1 12");
    EXPECT_SORTED(&in, "-D[1, d, 1, 12]", "-D[1, e, 1, 12]");
    FEED(&in, &t, 0, "-D 1 d");
    EXPECT(&in, "-D[1, d, 1, 12]");
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);
}

/* ---- outer joins ---------------------------------------------------------------------- */

Test(stream_join, left_outer_padding_comes_and_goes)
{
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_LEFT, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst in;
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I 1 a");
    EXPECT(&in, "+I[1, a, null, null]");
    FEED(&in, &t, 1, "+I 1 10");
    EXPECT(&in, "-D[1, a, null, null]", "+I[1, a, 1, 10]");
    FEED(&in, &t, 1, "+I 1 11");
    EXPECT(&in, "+I[1, a, 1, 11]");
    FEED(&in, &t, 1, "-D 1 10");
    EXPECT(&in, "-D[1, a, 1, 10]");
    FEED(&in, &t, 1, "-D 1 11");
    EXPECT(&in, "-D[1, a, 1, 11]", "+I[1, a, null, null]");
    /* Outer joins emit +I/-D only, also for updates. */
    FEED(&in, &t, 0, "-U 1 a", "+U 1 b");
    EXPECT(&in, "-D[1, a, null, null]", "+I[1, b, null, null]");
    /* A right row without a left partner shows nothing, but pairs when one comes. */
    FEED(&in, &t, 1, "+I 7 70");
    EXPECT_NONE(&in);
    FEED(&in, &t, 0, "+I 7 x");
    EXPECT(&in, "+I[7, x, 7, 70]");
    FEED(&in, &t, 0, "-D 7 x");
    EXPECT(&in, "-D[7, x, 7, 70]");
    /* Two equal left rows: both paddings go and come back. */
    FEED(&in, &t, 0, "+I 2 c", "+I 2 c");
    EXPECT(&in, "+I[2, c, null, null]", "+I[2, c, null, null]");
    FEED(&in, &t, 1, "+I 2 20");
    EXPECT(&in, "-D[2, c, null, null]", "-D[2, c, null, null]", "+I[2, c, 2, 20]",
           "+I[2, c, 2, 20]");
    FEED(&in, &t, 0, "-D 2 c");
    EXPECT(&in, "-D[2, c, 2, 20]");
    FEED(&in, &t, 1, "-D 2 20");
    EXPECT(&in, "-D[2, c, 2, 20]", "+I[2, c, null, null]");
    FEED(&in, &t, 0, "-D 2 c");
    EXPECT(&in, "-D[2, c, null, null]");
    FEED(&in, &t, 0, "-D 2 c"); /* no longer held */
    EXPECT_NONE(&in);
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);
}

Test(stream_join, right_and_full_outer)
{
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_FULL, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst in;
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 1, "+I 2 20");
    EXPECT(&in, "+I[null, null, 2, 20]");
    FEED(&in, &t, 0, "+I 2 b");
    EXPECT(&in, "-D[null, null, 2, 20]", "+I[2, b, 2, 20]");
    FEED(&in, &t, 0, "+I 2 c");
    EXPECT(&in, "+I[2, c, 2, 20]");
    FEED(&in, &t, 0, "-D 2 b");
    EXPECT(&in, "-D[2, b, 2, 20]");
    FEED(&in, &t, 0, "-D 2 c");
    EXPECT(&in, "-D[2, c, 2, 20]", "+I[null, null, 2, 20]");
    FEED(&in, &t, 0, "+I 3 c");
    EXPECT(&in, "+I[3, c, null, null]");
    /* Both sides padded, then paired: each padding is retracted. */
    FEED(&in, &t, 1, "+I 3 30");
    EXPECT(&in, "-D[3, c, null, null]", "+I[3, c, 3, 30]");
    FEED(&in, &t, 1, "-D 3 30");
    EXPECT(&in, "-D[3, c, 3, 30]", "+I[3, c, null, null]");
    FEED(&in, &t, 1, "-D 2 20");
    EXPECT(&in, "-D[null, null, 2, 20]");
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);

    jtest_init(&t, WR_JOIN_TYPE_RIGHT, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I 1 a");
    EXPECT_NONE(&in);
    FEED(&in, &t, 1, "+I 1 10", "+I 5 50");
    EXPECT(&in, "+I[1, a, 1, 10]", "+I[null, null, 5, 50]");
    FEED(&in, &t, 0, "-U 1 a", "+U 5 e");
    EXPECT(&in, "-D[1, a, 1, 10]", "+I[null, null, 1, 10]", "-D[null, null, 5, 50]",
           "+I[5, e, 5, 50]");
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);
}

/* ---- SEMI and ANTI ------------------------------------------------------------------------ */

Test(stream_join, semi_and_anti_with_retractions)
{
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_SEMI, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst in;
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I 1 a");
    EXPECT_NONE(&in);
    FEED(&in, &t, 1, "+I 1 10");
    EXPECT(&in, "+I[1, a]");
    FEED(&in, &t, 1, "+I 1 11");
    EXPECT_NONE(&in);
    FEED(&in, &t, 0, "+I 1 b");
    EXPECT(&in, "+I[1, b]");
    FEED(&in, &t, 1, "-D 1 10");
    EXPECT_NONE(&in);
    FEED(&in, &t, 1, "-D 1 11");
    EXPECT_SORTED(&in, "-D[1, a]", "-D[1, b]");
    FEED(&in, &t, 0, "-D 1 b"); /* without a partner: nothing to retract */
    EXPECT_NONE(&in);
    /* Flink forwards the kind of the row that decided: -U/+U stay updates. */
    FEED(&in, &t, 1, "+I 1 12");
    EXPECT(&in, "+I[1, a]");
    FEED(&in, &t, 1, "-U 1 12", "+U 1 13");
    EXPECT(&in, "-U[1, a]", "+U[1, a]");
    FEED(&in, &t, 0, "-U 1 a", "+U 1 c");
    EXPECT(&in, "-U[1, a]", "+U[1, c]");
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);

    jtest_init(&t, WR_JOIN_TYPE_ANTI, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I 1 a", "+I 1 a");
    EXPECT(&in, "+I[1, a]", "+I[1, a]");
    FEED(&in, &t, 1, "+I 1 10");
    EXPECT(&in, "-D[1, a]", "-D[1, a]");
    FEED(&in, &t, 1, "+I 1 11", "-D 1 10");
    EXPECT_NONE(&in);
    FEED(&in, &t, 0, "-D 1 a");
    EXPECT_NONE(&in);
    FEED(&in, &t, 1, "-D 1 11");
    EXPECT(&in, "+I[1, a]");
    FEED(&in, &t, 0, "-D 1 a");
    EXPECT(&in, "-D[1, a]");
    FEED(&in, &t, 0, "-D 1 a");
    EXPECT_NONE(&in);
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);
}

/* ---- residual conditions and NULL keys ------------------------------------------------ */

Test(stream_join, residual_condition)
{
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_LEFT, NUM_T, NUM_T, NULL, v_less_w(), 0);
    inst in;
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I 1 5");
    EXPECT(&in, "+I[1, 5, null, null]");
    FEED(&in, &t, 1, "+I 1 3", "+I 1 null");
    EXPECT_NONE(&in); /* 5 < 3 is false and 5 < NULL unknown: no partners */
    FEED(&in, &t, 1, "+I 1 9");
    EXPECT(&in, "-D[1, 5, null, null]", "+I[1, 5, 1, 9]");
    FEED(&in, &t, 0, "+I 1 4");
    EXPECT(&in, "+I[1, 4, 1, 9]");
    FEED(&in, &t, 0, "+I 1 20");
    EXPECT(&in, "+I[1, 20, null, null]");
    FEED(&in, &t, 1, "-D 1 9");
    EXPECT_SORTED(&in, "-D[1, 5, 1, 9]", "+I[1, 5, null, null]", "-D[1, 4, 1, 9]",
                  "+I[1, 4, null, null]");
    /* 4 < 3 fails too, so 3's removal changes nothing. */
    FEED(&in, &t, 1, "-D 1 3");
    EXPECT_NONE(&in);
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);

    jtest_init(&t, WR_JOIN_TYPE_SEMI, NUM_T, NUM_T, NULL, v_less_w(), 0);
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I 1 5", "+I 1 1");
    FEED(&in, &t, 1, "+I 1 3");
    EXPECT(&in, "+I[1, 1]");
    FEED(&in, &t, 0, "+I 1 2", "+I 1 3");
    EXPECT(&in, "+I[1, 2]");
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);
}

Test(stream_join, null_keys)
{
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_INNER, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst in;
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I null a");
    FEED(&in, &t, 1, "+I null 10");
    FEED(&in, &t, 0, "+I null b", "-D null a");
    EXPECT_NONE(&in);
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);

    jtest_init(&t, WR_JOIN_TYPE_FULL, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I null a");
    EXPECT(&in, "+I[null, a, null, null]");
    FEED(&in, &t, 1, "+I null 10");
    EXPECT(&in, "+I[null, null, null, 10]");
    FEED(&in, &t, 0, "-D null a");
    EXPECT(&in, "-D[null, a, null, null]");
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);

    /* IS NOT DISTINCT FROM: NULL meets NULL. */
    static const bool SAFE[] = {true};
    jtest_init(&t, WR_JOIN_TYPE_LEFT, LEFT_T, RIGHT_T, SAFE, NULL, 0);
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I null a");
    EXPECT(&in, "+I[null, a, null, null]");
    FEED(&in, &t, 1, "+I null 10");
    EXPECT(&in, "-D[null, a, null, null]", "+I[null, a, null, 10]");
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);

    jtest_init(&t, WR_JOIN_TYPE_ANTI, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 1, "+I null 10");
    FEED(&in, &t, 0, "+I null a");
    EXPECT(&in, "+I[null, a]");
    FEED(&in, &t, 0, "-D null a");
    EXPECT(&in, "-D[null, a]");
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);
}

Test(stream_join, state_ttl)
{
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_INNER, LEFT_T, RIGHT_T, NULL, NULL, 300);
    inst in;
    inst_start(&in, &t, 0, 1, NULL);
    FEED(&in, &t, 0, "+I 1 a", "+I 2 b");
    FEED(&in, &t, 1, "+I 1 10");
    EXPECT(&in, "+I[1, a, 1, 10]");
    struct timespec ts = {0, 600 * 1000 * 1000};
    nanosleep(&ts, NULL);
    /* Both rows of key 2 and 1 expired: no partners, and their retractions are ignored. */
    FEED(&in, &t, 1, "+I 2 20");
    FEED(&in, &t, 0, "-D 1 a", "+I 1 c");
    EXPECT_NONE(&in);
    FEED(&in, &t, 1, "+I 1 11");
    EXPECT(&in, "+I[1, c, 1, 11]");
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);
}

/* ---- bad input ------------------------------------------------------------------------------ */

Test(stream_join, bad_descriptions_and_input)
{
    wr_error err;
    wr_error_init(&err);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);

    static const wr_type MIXED[] = {{WR_TYPE_INT, true, 0, 0}, BIGINT_N};
    wr_join_desc d = desc_of(WR_JOIN_TYPE_INNER, MIXED, RIGHT_T, NULL, NULL);
    wr_operator_spec spec = wr_stream_join_spec(&d, NULL);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert_eq(err.code, WR_ERR_ARGUMENT);
    cr_assert(strstr(err.msg, "key 0 compares INT with BIGINT"), "%s", err.msg);
    wr_operator_spec_fini(&spec);

    wr_stream_join_opts opts = {-5};
    d = desc_of(WR_JOIN_TYPE_INNER, LEFT_T, RIGHT_T, NULL, NULL);
    spec = wr_stream_join_spec(&d, &opts);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert(strstr(err.msg, "negative state TTL"), "%s", err.msg);
    wr_operator_spec_fini(&spec);

    d = desc_of(WR_JOIN_TYPE_INNER, LEFT_T, RIGHT_T, NULL, wr_expr_column(1, STR_N, 3));
    spec = wr_stream_join_spec(&d, NULL);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert(strstr(err.msg, "not BOOLEAN"), "%s", err.msg);
    wr_operator_spec_fini(&spec);

    /* A batch of the wrong shape, and a key the subtask does not own. */
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_INNER, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst in;
    inst_start(&in, &t, 0, 2, NULL);
    const char *const row[] = {"+I 1 10"};
    wr_batch *batch = batch_of(RIGHT_T, 2, row, 1);
    cr_assert_eq(in.op->ops->process(in.op, 0, batch, &err), WR_ERR_ARGUMENT);
    cr_assert(strstr(err.msg, "column 1 of a batch on the left input"), "%s", err.msg);
    cr_assert_eq(in.op->ops->process(in.op, 2, batch, &err), WR_ERR_ARGUMENT);
    wr_batch_free(batch);
    int foreign = -1;
    for (int k = 0; k < 1000 && foreign < 0; k++) {
        char cell[32];
        snprintf(cell, sizeof(cell), "+I %d x", k);
        const char *const rows[] = {cell};
        int rc = feed_rc(&in, &t, 0, rows, 1, &err);
        if (rc) {
            foreign = k;
            cr_assert_eq(rc, WR_ERR_RUNTIME);
            cr_assert(strstr(err.msg, "partitioned by the join keys"), "%s", err.msg);
        }
    }
    cr_assert_geq(foreign, 0);
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);
}

/* ---- snapshots --------------------------------------------------------------------------------
 */

typedef struct saved {
    wr_snapshot snaps[8];
    int n;
} saved;

static void snapshot_all(inst *ins, int p, saved *sv)
{
    wr_error err;
    wr_error_init(&err);
    sv->n = p;
    for (int i = 0; i < p; i++) {
        memset(&sv->snaps[i], 0, sizeof(wr_snapshot));
        cr_assert_eq(ins[i].op->ops->snapshot(ins[i].op, 1, &sv->snaps[i], &err), 0, "%s", err.msg);
    }
}

static void saved_fini(saved *sv)
{
    for (int i = 0; i < sv->n; i++) wr_snapshot_fini(&sv->snaps[i]);
}

/* The restore of subtask i of p: the parts of the key groups it owns, whoever wrote them. */
static void restore_for(const saved *sv, int i, int p, wr_restore *r,
                        const wr_snapshot_part **parts, int cap)
{
    memset(r, 0, sizeof(*r));
    r->checkpoint = 1;
    r->parts = parts;
    int first, last;
    wr_keygroup_range(i, 128, p, &first, &last);
    for (int s = 0; s < sv->n; s++)
        for (int k = 0; k < sv->snaps[s].nparts; k++) {
            const wr_snapshot_part *part = &sv->snaps[s].parts[k];
            if (part->keygroup < first || part->keygroup > last) continue;
            cr_assert_lt(r->nparts, cap);
            parts[r->nparts++] = part;
        }
}

/* The subtask of p that owns the key of a BIGINT key value (NULL: key_null). */
static int owner(int64_t key, bool key_null, int p)
{
    wr_batch *b = wr_batch_new(&BIGINT_N, 1, 1);
    if (key_null)
        wr_batch_set_null(b, 0, 0);
    else
        ((int64_t *)b->cols[0].data)[0] = key;
    b->count = 1;
    wr_buf buf;
    wr_buf_init(&buf);
    wr_row_encode(b, 0, KEY0, 1, &buf);
    int kg = wr_keygroup_of_hash(wr_hash_bytes(buf.data, buf.len), 128);
    wr_buf_fini(&buf);
    wr_batch_free(b);
    return wr_keygroup_subtask(kg, 128, p);
}

/* Feeds "<kind> <key> <rest>" to the instance of p that owns the key. */
static void feed_routed(inst *ins, int p, const jtest *t, int input, const char *row)
{
    char key[32];
    sscanf(row + 3, "%31s", key);
    bool null = strcmp(key, "null") == 0;
    int i = owner(null ? 0 : strtoll(key, NULL, 10), null, p);
    const char *const rows[] = {row};
    feed(&ins[i], t, input, rows, 1);
}

/* Everything the instances emitted since the last check, sorted, as one string. */
static char *all_output(inst *ins, int p)
{
    char **rows = NULL;
    int n = 0;
    for (int i = 0; i < p; i++) {
        int m;
        char **got = taken(&ins[i], &m);
        rows = wr_realloc(rows, (size_t)(n + m + 1) * sizeof(char *));
        memcpy(rows + n, got, (size_t)m * sizeof(char *));
        n += m;
        wr_free(got);
    }
    qsort(rows, (size_t)n, sizeof(char *), cmp_str);
    wr_buf buf;
    wr_buf_init(&buf);
    wr_buf_puts(&buf, "");
    for (int i = 0; i < n; i++) {
        wr_buf_printf(&buf, "%s%s", i ? " " : "", rows[i]);
        wr_free(rows[i]);
    }
    wr_free(rows);
    return wr_buf_detach(&buf);
}

/*
 * A LEFT join over keys 0..19 at parallelism p1: left rows for every key, right rows for the
 * even ones; snapshot; restore at p2; then right rows for every key and a few retractions.
 * The output after the restore must be what one uninterrupted instance gives.
 */
static void check_restore(int p1, int p2)
{
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_LEFT, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst ref, a[4], b[4];
    inst_start(&ref, &t, 0, 1, NULL);
    for (int i = 0; i < p1; i++) inst_start(&a[i], &t, i, p1, NULL);
    char row[64];
    for (int k = 0; k < 20; k++) {
        snprintf(row, sizeof(row), "+I %d l%d", k, k);
        feed_routed(&ref, 1, &t, 0, row);
        feed_routed(a, p1, &t, 0, row);
        if (k % 2 == 0) {
            snprintf(row, sizeof(row), "+I %d %d", k, 100 + k);
            feed_routed(&ref, 1, &t, 1, row);
            feed_routed(a, p1, &t, 1, row);
        }
    }
    char *want = all_output(&ref, 1), *got = all_output(a, p1);
    cr_assert_str_eq(got, want);
    wr_free(want);
    wr_free(got);

    saved sv;
    snapshot_all(a, p1, &sv);
    for (int i = 0; i < p1; i++) inst_stop(&a[i]);
    for (int i = 0; i < p2; i++) {
        wr_restore r;
        const wr_snapshot_part *parts[128];
        restore_for(&sv, i, p2, &r, parts, 128);
        inst_start(&b[i], &t, i, p2, &r);
    }
    saved_fini(&sv);
    for (int k = 0; k < 20; k++) {
        snprintf(row, sizeof(row), "+I %d %d", k, 200 + k);
        feed_routed(&ref, 1, &t, 1, row);
        feed_routed(b, p2, &t, 1, row);
        if (k % 3 == 0) {
            snprintf(row, sizeof(row), "-D %d l%d", k, k);
            feed_routed(&ref, 1, &t, 0, row);
            feed_routed(b, p2, &t, 0, row);
        }
        if (k % 4 == 0) {
            snprintf(row, sizeof(row), "-D %d %d", k, 200 + k);
            feed_routed(&ref, 1, &t, 1, row);
            feed_routed(b, p2, &t, 1, row);
        }
    }
    want = all_output(&ref, 1);
    got = all_output(b, p2);
    cr_assert_str_eq(got, want);
    /* The odd keys had no partner before the snapshot: the restore kept their padding. */
    cr_assert(strstr(want, "-D[1, l1, null, null]"), "%s", want);
    cr_assert(strstr(want, "+I[1, l1, 1, 201]"), "%s", want);
    wr_free(want);
    wr_free(got);
    inst_stop(&ref);
    for (int i = 0; i < p2; i++) inst_stop(&b[i]);
    wr_operator_spec_fini(&t.spec);
}

Test(stream_join, snapshot_restore_same_parallelism)
{
    check_restore(1, 1);
    check_restore(2, 2);
}

Test(stream_join, snapshot_restore_rescaled)
{
    check_restore(1, 2);
    check_restore(2, 1);
    check_restore(3, 4);
}

Test(stream_join, corrupt_snapshot_is_an_error)
{
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_LEFT, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst a;
    inst_start(&a, &t, 0, 1, NULL);
    FEED(&a, &t, 0, "+I 1 a", "+I 2 b");
    FEED(&a, &t, 1, "+I 1 10");
    saved sv;
    snapshot_all(&a, 1, &sv);
    inst_stop(&a);
    cr_assert_geq(sv.snaps[0].nparts, 1);

    wr_buf *data = &sv.snaps[0].parts[0].data;
    for (int variant = 0; variant < 3; variant++) {
        wr_buf saved_bytes;
        wr_buf_init(&saved_bytes);
        wr_buf_append(&saved_bytes, data->data, data->len);
        if (variant == 0) data->data[data->len / 2] ^= 0x5a; /* a flipped byte */
        if (variant == 1) data->len -= 5;                    /* truncated */
        if (variant == 2) memcpy(data->data, "XXXX", 4);     /* not a snapshot */
        wr_restore r;
        const wr_snapshot_part *parts[128];
        restore_for(&sv, 0, 1, &r, parts, 128);
        wr_op_ctx ctx;
        capture cap;
        capture_init(&cap);
        ctx_init(&ctx, 0, 1, &cap.base);
        ctx.restore = &r;
        wr_error err;
        wr_error_init(&err);
        wr_operator *op = t.spec.ops->create(t.spec.spec, &ctx, &err);
        cr_assert_not_null(op);
        cr_assert_eq(op->ops->open(op, &err), WR_ERR_IO, "variant %d: %s", variant, err.msg);
        cr_assert(strstr(err.msg, "restoring key group"), "%s", err.msg);
        op->ops->destroy(op);
        capture_fini(&cap);
        data->len = 0;
        wr_buf_append(data, saved_bytes.data, saved_bytes.len);
        wr_buf_fini(&saved_bytes);
    }

    /* The state of another join (INNER records have no partner counts) is refused when read. */
    wr_operator_spec_fini(&t.spec);
    jtest_init(&t, WR_JOIN_TYPE_INNER, LEFT_T, RIGHT_T, NULL, NULL, 0);
    wr_restore r;
    const wr_snapshot_part *parts[128];
    restore_for(&sv, 0, 1, &r, parts, 128);
    inst_start(&a, &t, 0, 1, &r);
    const char *const rows[] = {"+I 1 z"};
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(feed_rc(&a, &t, 1, rows, 1, &err), WR_ERR_IO);
    cr_assert(strstr(err.msg, "malformed left state"), "%s", err.msg);
    inst_stop(&a);
    saved_fini(&sv);
    wr_operator_spec_fini(&t.spec);
}

/* ---- randomized changelogs against a naive join ------------------------------------------ */

typedef struct nrow {
    int64_t k, v;
    bool knull;
} nrow;

/* A multiset of strings, as the output changelog builds it. */
typedef struct mset {
    char **s;
    int64_t *n;
    int len, cap;
} mset;

static void mset_add(mset *m, const char *s, int64_t d)
{
    for (int i = 0; i < m->len; i++)
        if (strcmp(m->s[i], s) == 0) {
            m->n[i] += d;
            cr_assert_geq(m->n[i], 0, "the changelog retracts %s, which it does not hold", s);
            return;
        }
    cr_assert_gt(d, 0, "the changelog retracts %s, which it never emitted", s);
    if (m->len == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->s = wr_realloc(m->s, (size_t)m->cap * sizeof(char *));
        m->n = wr_realloc(m->n, (size_t)m->cap * sizeof(int64_t));
    }
    m->s[m->len] = wr_strdup(s);
    m->n[m->len++] = d;
}

/* "s1 xN ..." of the entries with a positive count, sorted. */
static char *mset_text(const mset *m)
{
    char **rows = wr_malloc((size_t)(m->len + 1) * sizeof(char *));
    int n = 0;
    for (int i = 0; i < m->len; i++) {
        if (m->n[i] == 0) continue;
        wr_buf b;
        wr_buf_init(&b);
        wr_buf_printf(&b, "%s x%lld", m->s[i], (long long)m->n[i]);
        rows[n++] = wr_buf_detach(&b);
    }
    qsort(rows, (size_t)n, sizeof(char *), cmp_str);
    wr_buf out;
    wr_buf_init(&out);
    wr_buf_puts(&out, "");
    for (int i = 0; i < n; i++) {
        wr_buf_printf(&out, "%s\n", rows[i]);
        wr_free(rows[i]);
    }
    wr_free(rows);
    return wr_buf_detach(&out);
}

static void mset_fini(mset *m)
{
    for (int i = 0; i < m->len; i++) wr_free(m->s[i]);
    wr_free(m->s);
    wr_free(m->n);
}

/* Applies and clears what the instances emitted; output rows lose their kind. */
static void apply_output(inst *ins, int p, mset *m)
{
    for (int i = 0; i < p; i++) {
        int n;
        char **got = taken(&ins[i], &n);
        for (int r = 0; r < n; r++) {
            wr_change_kind kind = kind_of(got[r]);
            bool add = kind == WR_KIND_INSERT || kind == WR_KIND_UPDATE_AFTER;
            mset_add(m, got[r] + 2, add ? 1 : -1);
            wr_free(got[r]);
        }
        wr_free(got);
    }
}

static void fmt_cell(wr_buf *b, bool null, int64_t v)
{
    if (null)
        wr_buf_puts(b, "null");
    else
        wr_buf_printf(b, "%lld", (long long)v);
}

/* "[k, v, k, w]" (NULL sides: l or r NULL), or "[k, v]" for SEMI/ANTI. */
static void fmt_pair(wr_buf *b, const nrow *l, const nrow *r, bool semi_like)
{
    wr_buf_reset(b);
    wr_buf_putc(b, '[');
    fmt_cell(b, !l || l->knull, l ? l->k : 0);
    wr_buf_puts(b, ", ");
    fmt_cell(b, !l, l ? l->v : 0);
    if (!semi_like) {
        wr_buf_puts(b, ", ");
        fmt_cell(b, !r || r->knull, r ? r->k : 0);
        wr_buf_puts(b, ", ");
        fmt_cell(b, !r, r ? r->v : 0);
    }
    wr_buf_putc(b, ']');
}

static bool naive_match(const nrow *l, const nrow *r, bool null_safe, bool residual)
{
    bool keys = l->knull || r->knull ? null_safe && l->knull && r->knull : l->k == r->k;
    return keys && (!residual || l->v < r->v);
}

/* The naive join of the final inputs, as a multiset text. */
static char *naive_join(wr_join_type type, const nrow *L, int nl, const nrow *R, int nr,
                        bool null_safe, bool residual)
{
    mset m = {0};
    wr_buf b;
    wr_buf_init(&b);
    bool semi_like = type == WR_JOIN_TYPE_SEMI || type == WR_JOIN_TYPE_ANTI;
    bool louter = type == WR_JOIN_TYPE_LEFT || type == WR_JOIN_TYPE_FULL;
    bool router = type == WR_JOIN_TYPE_RIGHT || type == WR_JOIN_TYPE_FULL;
    for (int i = 0; i < nl; i++) {
        int hits = 0;
        for (int j = 0; j < nr; j++) {
            if (!naive_match(&L[i], &R[j], null_safe, residual)) continue;
            hits++;
            if (!semi_like) {
                fmt_pair(&b, &L[i], &R[j], false);
                mset_add(&m, b.data, 1);
            }
        }
        bool show = semi_like ? (type == WR_JOIN_TYPE_SEMI) == (hits > 0) : louter && hits == 0;
        if (show) {
            fmt_pair(&b, &L[i], NULL, semi_like);
            mset_add(&m, b.data, 1);
        }
    }
    for (int j = 0; router && j < nr; j++) {
        int hits = 0;
        for (int i = 0; i < nl; i++) hits += naive_match(&L[i], &R[j], null_safe, residual);
        if (hits == 0) {
            fmt_pair(&b, NULL, &R[j], false);
            mset_add(&m, b.data, 1);
        }
    }
    wr_buf_fini(&b);
    char *text = mset_text(&m);
    mset_fini(&m);
    return text;
}

static void row_text(char *out, size_t size, wr_change_kind kind, const nrow *r)
{
    char k[24];
    if (r->knull)
        snprintf(k, sizeof(k), "null");
    else
        snprintf(k, sizeof(k), "%lld", (long long)r->k);
    snprintf(out, size, "%s %s %lld", wr_change_kind_short(kind), k, (long long)r->v);
}

/*
 * Random steps on both sides (inserts, deletes and -U/+U updates of rows that
 * exist, in batches of 1..8 rows), at parallelism p1 then, from a snapshot
 * taken halfway, at p2. The output changelog applied to a multiset must
 * never retract what it does not hold and must end as the naive join.
 */
static void random_run(wr_join_type type, bool null_safe, bool residual, int p1, int p2,
                       unsigned seed)
{
    srand(seed);
    static const bool SAFE[] = {true};
    jtest t;
    jtest_init(&t, type, NUM_T, NUM_T, null_safe ? SAFE : NULL, residual ? v_less_w() : NULL, 0);
    inst ins[4];
    int p = p1;
    for (int i = 0; i < p; i++) inst_start(&ins[i], &t, i, p, NULL);
    WR_VEC(nrow) side[2] = {{0}, {0}};
    mset out = {0};
    const int steps = 300;
    for (int step = 0; step < steps; step++) {
        if (step == steps / 2) {
            saved sv;
            snapshot_all(ins, p, &sv);
            for (int i = 0; i < p; i++) inst_stop(&ins[i]);
            p = p2;
            for (int i = 0; i < p; i++) {
                wr_restore r;
                const wr_snapshot_part *parts[128];
                restore_for(&sv, i, p, &r, parts, 128);
                inst_start(&ins[i], &t, i, p, &r);
            }
            saved_fini(&sv);
        }
        int s = rand() % 2;
        int n = 1 + rand() % 8;
        /* Per instance, the rows of this step in order. */
        char *rows[4][24];
        int nrows[4] = {0};
        for (int i = 0; i < n; i++) {
            int what = rand() % 10;
            nrow fresh = {rand() % 5, rand() % 4, rand() % 8 == 0};
            const char *kinds_out[2];
            nrow rows_out[2];
            int nout = 0;
            if (what < 5 || side[s].n == 0) {
                WR_VEC_PUSH(&side[s], fresh);
                kinds_out[nout] = "+I";
                rows_out[nout++] = fresh;
            } else {
                int at = rand() % side[s].n;
                nrow old = side[s].v[at];
                if (what < 8) {
                    side[s].v[at] = side[s].v[--side[s].n];
                    kinds_out[nout] = "-D";
                    rows_out[nout++] = old;
                } else {
                    /* An update keeps the key, as an upsert source would. */
                    fresh.k = old.k;
                    fresh.knull = old.knull;
                    side[s].v[at] = fresh;
                    kinds_out[nout] = "-U";
                    rows_out[nout++] = old;
                    kinds_out[nout] = "+U";
                    rows_out[nout++] = fresh;
                }
            }
            for (int j = 0; j < nout; j++) {
                char text[64];
                row_text(text, sizeof(text), kind_of(kinds_out[j]), &rows_out[j]);
                int owner_i = owner(rows_out[j].k, rows_out[j].knull, p);
                rows[owner_i][nrows[owner_i]++] = wr_strdup(text);
            }
        }
        for (int i = 0; i < p; i++) {
            if (nrows[i] > 0) feed(&ins[i], &t, s, (const char *const *)rows[i], nrows[i]);
            for (int j = 0; j < nrows[i]; j++) wr_free(rows[i][j]);
        }
        apply_output(ins, p, &out);
    }
    char *got = mset_text(&out);
    char *want = naive_join(type, side[0].v, side[0].n, side[1].v, side[1].n, null_safe, residual);
    cr_assert_str_eq(got, want, "%s (null-safe %d, residual %d, seed %u): got\n%s\nwant\n%s",
                     wr_join_type_name(type), null_safe, residual, seed, got, want);
    wr_free(got);
    wr_free(want);
    mset_fini(&out);
    WR_VEC_FREE(&side[0]);
    WR_VEC_FREE(&side[1]);
    for (int i = 0; i < p; i++) inst_stop(&ins[i]);
    wr_operator_spec_fini(&t.spec);
}

static const wr_join_type ALL_TYPES[] = {WR_JOIN_TYPE_INNER, WR_JOIN_TYPE_LEFT, WR_JOIN_TYPE_RIGHT,
                                         WR_JOIN_TYPE_FULL,  WR_JOIN_TYPE_SEMI, WR_JOIN_TYPE_ANTI};

Test(stream_join, random_changelogs_match_naive_join)
{
    for (int ti = 0; ti < 6; ti++)
        for (unsigned seed = 1; seed <= 4; seed++) {
            random_run(ALL_TYPES[ti], false, false, 1, 1, seed);
            random_run(ALL_TYPES[ti], seed % 2 == 0, true, 1, 1, seed + 100);
        }
}

Test(stream_join, random_changelogs_across_rescaling)
{
    for (int ti = 0; ti < 6; ti++) {
        random_run(ALL_TYPES[ti], true, false, 1, 3, 7 + (unsigned)ti);
        random_run(ALL_TYPES[ti], false, true, 3, 2, 17 + (unsigned)ti);
    }
}

/*
 * One row with thousands of partners: the output spans many batches and the
 * partners many scratch chunks, and every -D / +I pair stays adjacent with
 * its strings intact.
 */
Test(stream_join, many_partners_span_batches)
{
    jtest t;
    jtest_init(&t, WR_JOIN_TYPE_LEFT, LEFT_T, RIGHT_T, NULL, NULL, 0);
    inst in;
    inst_start(&in, &t, 0, 1, NULL);
    const int n = 3000;
    char **rows = wr_malloc((size_t)n * sizeof(char *));
    for (int i = 0; i < n; i++) {
        char text[32];
        snprintf(text, sizeof(text), "+I 1 s%d", i);
        rows[i] = wr_strdup(text);
    }
    for (int at = 0; at < n; at += 1000) feed(&in, &t, 0, (const char *const *)rows + at, 1000);
    int got_n;
    char **got = taken(&in, &got_n);
    cr_assert_eq(got_n, n);
    for (int i = 0; i < got_n; i++) wr_free(got[i]);
    wr_free(got);
    FEED(&in, &t, 1, "+I 1 7");
    got = taken(&in, &got_n);
    cr_assert_eq(got_n, 2 * n);
    uint8_t *seen = wr_calloc((size_t)n, 1);
    for (int j = 0; j < n; j++) {
        int i = -1, i2 = -2;
        cr_assert_eq(sscanf(got[2 * j], "-D[1, s%d, null, null]", &i), 1, "%s", got[2 * j]);
        cr_assert_eq(sscanf(got[2 * j + 1], "+I[1, s%d, 1, 7]", &i2), 1, "%s", got[2 * j + 1]);
        cr_assert_eq(i, i2);
        cr_assert(i >= 0 && i < n && !seen[i]);
        seen[i] = 1;
    }
    for (int i = 0; i < 2 * n; i++) wr_free(got[i]);
    wr_free(got);
    wr_free(seen);
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);

    /* The residual over more candidates than a scratch batch holds: v < 2500 pass. */
    jtest_init(&t, WR_JOIN_TYPE_INNER, NUM_T, NUM_T, NULL, v_less_w(), 0);
    inst_start(&in, &t, 0, 1, NULL);
    for (int i = 0; i < n; i++) {
        char text[32];
        snprintf(text, sizeof(text), "+I 1 %d", i);
        wr_free(rows[i]);
        rows[i] = wr_strdup(text);
    }
    for (int at = 0; at < n; at += 1000) feed(&in, &t, 0, (const char *const *)rows + at, 1000);
    FEED(&in, &t, 1, "+I 1 2500");
    got = taken(&in, &got_n);
    cr_assert_eq(got_n, 2500);
    for (int i = 0; i < got_n; i++) {
        int v = -1;
        cr_assert_eq(sscanf(got[i], "+I[1, %d, 1, 2500]", &v), 1, "%s", got[i]);
        cr_assert(v >= 0 && v < 2500);
        wr_free(got[i]);
    }
    wr_free(got);
    for (int i = 0; i < n; i++) wr_free(rows[i]);
    wr_free(rows);
    inst_stop(&in);
    wr_operator_spec_fini(&t.spec);
}
