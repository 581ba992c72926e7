/*
 * test_window_join.c — the window join (ops/window_join.h), driven as the
 * runtime would: exact output of all six join types, residual conditions,
 * NULL and null-safe keys, windows firing on watermarks, late rows, the end
 * of both inputs, pairs spanning output batches, a randomized comparison with
 * a naive join per window, refused input, and checkpoints (restore, rescale,
 * damaged bytes).
 */
#include <criterion/criterion.h>

#include "../../src/base/alloc.h"
#include "../../src/base/hash.h"
#include "../../src/ops/window_join.h"
#include "../../src/state/keygroup.h"
#include "../../src/state/keysel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Both sides: k BIGINT, x BIGINT, window_start TIMESTAMP(3), window_end TIMESTAMP(3). */
enum { K, X, WS, WE, NC };

#define KNULL 1
#define XNULL 2

typedef struct jrow {
    int64_t k, x;
    int64_t ws, we; /* ms */
    int flags;
} jrow;

#define ROWS(...) (jrow[]){__VA_ARGS__}, (int)(sizeof((jrow[]){__VA_ARGS__}) / sizeof(jrow))

/* Windows [0, 10 s) and [10 s, 20 s). */
#define W0 0, 10000
#define W1 10000, 20000

static wr_type types[NC];
static const int KEY0[] = {K};

static void types_init(void)
{
    types[K] = wr_type_make(WR_TYPE_BIGINT, true);
    types[X] = wr_type_make(WR_TYPE_BIGINT, true);
    types[WS] = wr_type_make(WR_TYPE_TIMESTAMP, false);
    types[WS].length = 3;
    types[WE] = types[WS];
}

/* ---- driving an instance --------------------------------------------------------------- */

typedef struct harness harness;

typedef struct tcap {
    wr_collector base;
    harness *h;
} tcap;

struct harness {
    wr_op_ctx ctx;
    tcap cap;
    wr_collector *outs[1];
    wr_operator_spec spec;
    wr_operator *op;
    wr_error err;
    char **rows;
    int *marks_before;
    int nrows, cap_rows, nmarks;
};

static void format_value(const wr_vector *v, int r, wr_buf *out)
{
    if (wr_vector_is_null(v, r)) {
        wr_buf_puts(out, "N");
        return;
    }
    int64_t x = ((const int64_t *)v->data)[r];
    if (v->type.id == WR_TYPE_TIMESTAMP) x /= 1000;
    wr_buf_printf(out, "%lld", (long long)x);
}

static int cap_push(wr_collector *self, wr_batch *batch, wr_error *err)
{
    harness *h = ((tcap *)self)->h;
    wr_buf line;
    wr_buf_init(&line);
    for (int i = 0, n = wr_batch_rows(batch); i < n; i++) {
        int r = wr_batch_row(batch, i);
        cr_assert(batch->kinds == NULL || batch->kinds[r] == WR_KIND_INSERT);
        wr_buf_reset(&line);
        for (int c = 0; c < batch->ncols; c++) {
            if (c) wr_buf_putc(&line, '|');
            format_value(&batch->cols[c], r, &line);
        }
        if (h->nrows == h->cap_rows) {
            h->cap_rows = h->cap_rows ? h->cap_rows * 2 : 256;
            h->rows = wr_realloc(h->rows, sizeof(char *) * (size_t)h->cap_rows);
            h->marks_before = wr_realloc(h->marks_before, sizeof(int) * (size_t)h->cap_rows);
        }
        h->marks_before[h->nrows] = h->nmarks;
        h->rows[h->nrows++] = wr_strdup(line.data);
    }
    wr_buf_fini(&line);
    return 0;
}

static int cap_mark(wr_collector *self, const wr_mark *mark, wr_error *err)
{
    harness *h = ((tcap *)self)->h;
    if (mark->kind == WR_MARK_WATERMARK) h->nmarks++;
    return 0;
}

static void h_init(harness *h, int subtask, int parallelism)
{
    memset(h, 0, sizeof(*h));
    types_init();
    h->ctx.subtask = subtask;
    h->ctx.parallelism = parallelism;
    h->ctx.max_parallelism = 128;
    h->ctx.name = "test window join";
    h->ctx.watermark = INT64_MIN;
    h->ctx.out_watermark = INT64_MIN;
    h->ctx.timer_at_ms = INT64_MAX;
    h->cap.base.push = cap_push;
    h->cap.base.mark = cap_mark;
    h->cap.h = h;
    h->outs[0] = &h->cap.base;
    h->ctx.out = &h->cap.base;
    h->ctx.outs = h->outs;
    h->ctx.nouts = 1;
    wr_error_init(&h->err);
}

static void h_fini(harness *h)
{
    if (h->op) h->spec.ops->destroy(h->op);
    h->op = NULL;
    wr_operator_spec_fini(&h->spec);
    for (int i = 0; i < h->nrows; i++) wr_free(h->rows[i]);
    wr_free(h->rows);
    wr_free(h->marks_before);
    h->rows = NULL;
    h->marks_before = NULL;
    h->nrows = h->cap_rows = 0;
}

static wr_operator *h_create_rc(harness *h, wr_operator_spec spec, const wr_restore *restore)
{
    h->spec = spec;
    h->ctx.restore = restore;
    h->op = h->spec.ops->create(h->spec.spec, &h->ctx, &h->err);
    h->ctx.restore = NULL;
    return h->op;
}

static void h_create(harness *h, wr_operator_spec spec, const wr_restore *restore)
{
    cr_assert(h_create_rc(h, spec, restore), "%s", h->err.msg);
}

static wr_batch *make_batch(const jrow *rows, int n)
{
    wr_batch *b = wr_batch_new(types, NC, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        ((int64_t *)b->cols[K].data)[i] = rows[i].k;
        ((int64_t *)b->cols[X].data)[i] = rows[i].x;
        ((int64_t *)b->cols[WS].data)[i] = rows[i].ws * 1000;
        ((int64_t *)b->cols[WE].data)[i] = rows[i].we * 1000;
        if (rows[i].flags & KNULL) wr_batch_set_null(b, K, i);
        if (rows[i].flags & XNULL) wr_batch_set_null(b, X, i);
    }
    b->count = n;
    return b;
}

static int push_rc(harness *h, int input, const jrow *rows, int n)
{
    wr_batch *b = make_batch(rows, n);
    int rc = h->spec.ops->process(h->op, input, b, &h->err);
    wr_batch_free(b);
    return rc;
}

static void push(harness *h, int input, const jrow *rows, int n)
{
    cr_assert_eq(push_rc(h, input, rows, n), 0, "%s", h->err.msg);
}

static void wm(harness *h, int64_t t)
{
    h->ctx.watermark = t;
    cr_assert_eq(h->spec.ops->watermark(h->op, t, &h->err), 0, "%s", h->err.msg);
}

static void end_input(harness *h)
{
    for (int i = 0; i < 2; i++)
        cr_assert_eq(h->spec.ops->end_input(h->op, i, &h->err), 0, "%s", h->err.msg);
    wm(h, INT64_MAX);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Asserts that rows [from, h->nrows) are exactly want, as a multiset. */
static void expect_rows(harness *h, int from, const char *const *want, int nwant)
{
    int n = h->nrows - from;
    char **got = wr_malloc(sizeof(char *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) got[i] = h->rows[from + i];
    const char **w = wr_malloc(sizeof(char *) * (size_t)(nwant + 1));
    if (nwant) memcpy(w, want, sizeof(char *) * (size_t)nwant);
    qsort(got, (size_t)n, sizeof(char *), cmp_str);
    qsort(w, (size_t)nwant, sizeof(char *), cmp_str);
    for (int i = 0; i < n && i < nwant; i++)
        cr_assert_str_eq(got[i], w[i], "row %d of %d: got %s, want %s", i, n, got[i], w[i]);
    cr_assert_eq(n, nwant, "got %d rows, want %d", n, nwant);
    wr_free(got);
    wr_free(w);
}

#define EXPECT(h, from, ...)                                                                       \
    expect_rows(h, from, (const char *const[]){__VA_ARGS__},                                       \
                (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))
#define EXPECT_NONE(h, from) expect_rows(h, from, NULL, 0)

static wr_expr *call2(wr_func fn, wr_expr *x, wr_expr *y)
{
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = x;
    args[1] = y;
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_expr_call(fn, args, 2, wr_type_make(WR_TYPE_BOOLEAN, true), 0, &err);
    cr_assert_not_null(e, "%s", err.msg);
    return e;
}

/* left.x < right.x (left ++ right: k, x, ws, we, k, x, ws, we). */
static wr_expr *lx_less_rx(void)
{
    types_init();
    return call2(WR_FN_LT, wr_expr_column(X, types[X], 0), wr_expr_column(NC + X, types[X], 0));
}

static wr_operator_spec join_spec(wr_join_type type, const bool *null_safe, wr_expr *residual)
{
    types_init();
    wr_join_desc d = {.type = type,
                      .left_types = types,
                      .nleft = NC,
                      .right_types = types,
                      .nright = NC,
                      .left_keys = KEY0,
                      .right_keys = KEY0,
                      .null_safe = null_safe,
                      .nkeys = 1,
                      .residual = residual};
    return wr_window_join_spec(&d, WS, WE, WS, WE);
}

/* ---- the six types ----------------------------------------------------------------------- */

static void feed_fixed(harness *h)
{
    push(h, 0,
         ROWS({1, 10, W0, 0}, {2, 20, W0, 0}, {3, 30, W0, 0}, {1, 11, W1, 0}, {0, 40, W0, KNULL}));
    push(h, 1,
         ROWS({1, 100, W0, 0}, {1, 101, W0, 0}, {3, 300, W1, 0}, {4, 400, W0, 0},
              {0, 500, W0, KNULL}));
}

Test(window_join, inner_fires_each_window_on_its_watermark)
{
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, join_spec(WR_JOIN_TYPE_INNER, NULL, NULL), NULL);
    feed_fixed(&h);
    wm(&h, 9998); /* [0, 10 s) needs 9999 */
    cr_assert_eq(h.nrows, 0);
    wm(&h, 9999);
    EXPECT(&h, 0, "1|10|0|10000|1|100|0|10000", "1|10|0|10000|1|101|0|10000");
    cr_assert_eq(h.marks_before[0], 1, "rows come before the watermark that fired them");
    cr_assert_eq(h.nmarks, 2);
    end_input(&h);
    cr_assert_eq(h.nrows, 2); /* key 1 and key 3 of [10 s, 20 s) have no partner */
    cr_assert_eq(wr_window_join_late_rows(h.op), 0);
    h_fini(&h);
}

Test(window_join, outer_semi_and_anti)
{
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, join_spec(WR_JOIN_TYPE_LEFT, NULL, NULL), NULL);
    feed_fixed(&h);
    end_input(&h);
    EXPECT(&h, 0, "1|10|0|10000|1|100|0|10000", "1|10|0|10000|1|101|0|10000",
           "2|20|0|10000|N|N|N|N", "3|30|0|10000|N|N|N|N", "N|40|0|10000|N|N|N|N",
           "1|11|10000|20000|N|N|N|N");
    h_fini(&h);

    h_init(&h, 0, 1);
    h_create(&h, join_spec(WR_JOIN_TYPE_RIGHT, NULL, NULL), NULL);
    feed_fixed(&h);
    end_input(&h);
    EXPECT(&h, 0, "1|10|0|10000|1|100|0|10000", "1|10|0|10000|1|101|0|10000",
           "N|N|N|N|4|400|0|10000", "N|N|N|N|N|500|0|10000", "N|N|N|N|3|300|10000|20000");
    h_fini(&h);

    h_init(&h, 0, 1);
    h_create(&h, join_spec(WR_JOIN_TYPE_FULL, NULL, NULL), NULL);
    feed_fixed(&h);
    end_input(&h);
    EXPECT(&h, 0, "1|10|0|10000|1|100|0|10000", "1|10|0|10000|1|101|0|10000",
           "2|20|0|10000|N|N|N|N", "3|30|0|10000|N|N|N|N", "N|40|0|10000|N|N|N|N",
           "1|11|10000|20000|N|N|N|N", "N|N|N|N|4|400|0|10000", "N|N|N|N|N|500|0|10000",
           "N|N|N|N|3|300|10000|20000");
    h_fini(&h);

    h_init(&h, 0, 1);
    h_create(&h, join_spec(WR_JOIN_TYPE_SEMI, NULL, NULL), NULL);
    feed_fixed(&h);
    end_input(&h);
    EXPECT(&h, 0, "1|10|0|10000"); /* once, although it has two partners */
    h_fini(&h);

    h_init(&h, 0, 1);
    h_create(&h, join_spec(WR_JOIN_TYPE_ANTI, NULL, NULL), NULL);
    feed_fixed(&h);
    end_input(&h);
    EXPECT(&h, 0, "2|20|0|10000", "3|30|0|10000", "N|40|0|10000", "1|11|10000|20000");
    h_fini(&h);
}

Test(window_join, residual_and_null_safe_keys)
{
    static const wr_join_type all[] = {WR_JOIN_TYPE_INNER, WR_JOIN_TYPE_LEFT, WR_JOIN_TYPE_RIGHT,
                                       WR_JOIN_TYPE_FULL,  WR_JOIN_TYPE_SEMI, WR_JOIN_TYPE_ANTI};
    static const char *const want[][6] = {
        {"1|150|0|10000|1|200|0|10000"},
        {"1|150|0|10000|1|200|0|10000", "1|300|0|10000|N|N|N|N"},
        {"1|150|0|10000|1|200|0|10000", "N|N|N|N|1|100|0|10000", "N|N|N|N|1|N|0|10000"},
        {"1|150|0|10000|1|200|0|10000", "1|300|0|10000|N|N|N|N", "N|N|N|N|1|100|0|10000",
         "N|N|N|N|1|N|0|10000"},
        {"1|150|0|10000"},
        {"1|300|0|10000"}};
    static const int nwant[] = {1, 2, 3, 4, 1, 1};
    for (int t = 0; t < 6; t++) {
        harness h;
        h_init(&h, 0, 1);
        h_create(&h, join_spec(all[t], NULL, lx_less_rx()), NULL);
        push(&h, 0, ROWS({1, 150, W0, 0}, {1, 300, W0, 0}));
        push(&h, 1, ROWS({1, 100, W0, 0}, {1, 200, W0, 0}, {1, 0, W0, XNULL}));
        end_input(&h);
        expect_rows(&h, 0, want[t], nwant[t]);
        h_fini(&h);
    }

    /* A null-safe key meets NULL; a plain one does not. */
    static const bool safe[] = {true};
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, join_spec(WR_JOIN_TYPE_INNER, safe, NULL), NULL);
    push(&h, 0, ROWS({0, 1, W0, KNULL}, {2, 2, W0, 0}));
    push(&h, 1, ROWS({0, 3, W0, KNULL}, {2, 4, W0, 0}));
    end_input(&h);
    EXPECT(&h, 0, "N|1|0|10000|N|3|0|10000", "2|2|0|10000|2|4|0|10000");
    h_fini(&h);
}

Test(window_join, late_rows_and_the_end_of_both_inputs)
{
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, join_spec(WR_JOIN_TYPE_INNER, NULL, NULL), NULL);
    push(&h, 0, ROWS({1, 1, W0, 0}));
    wm(&h, 10000); /* [0, 10 s) fired (without partners) */
    push(&h, 1, ROWS({1, 2, W0, 0}, {1, 3, W1, 0}));
    push(&h, 0, ROWS({1, 4, W0, 0}, {1, 5, W1, 0}));
    cr_assert_eq(wr_window_join_late_rows(h.op), 2);
    /* One input ending fires nothing; both ending fire everything. */
    cr_assert_eq(h.spec.ops->end_input(h.op, 1, &h.err), 0);
    cr_assert_eq(h.nrows, 0);
    cr_assert_eq(h.spec.ops->end_input(h.op, 0, &h.err), 0);
    EXPECT(&h, 0, "1|5|10000|20000|1|3|10000|20000");
    h_fini(&h);
}

Test(window_join, many_pairs_span_output_batches)
{
    static const wr_join_type all[] = {WR_JOIN_TYPE_INNER, WR_JOIN_TYPE_FULL, WR_JOIN_TYPE_SEMI};
    for (int t = 0; t < 3; t++) {
        harness h;
        h_init(&h, 0, 1);
        h_create(&h, join_spec(all[t], NULL, t == 1 ? lx_less_rx() : NULL), NULL);
        jrow l[60], r[70];
        for (int i = 0; i < 60; i++) l[i] = (jrow){7, i, W0, 0};
        for (int i = 0; i < 70; i++) r[i] = (jrow){7, i, W0, 0};
        push(&h, 0, l, 60);
        push(&h, 1, r, 70);
        end_input(&h);
        /* INNER: 4200 pairs; FULL with l.x < r.x: sum over l of (69 - l) pairs, left 60..
         * none unmatched, right 0 unmatched; SEMI: 60 rows. */
        int want = t == 0 ? 4200 : t == 1 ? 69 * 70 / 2 - 9 * 10 / 2 + 1 : 60;
        cr_assert_eq(h.nrows, want, "type %d: %d rows, want %d", t, h.nrows, want);
        h_fini(&h);
    }
}

Test(window_join, bad_input_and_specs_are_refused)
{
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, join_spec(WR_JOIN_TYPE_INNER, NULL, NULL), NULL);
    wr_batch *b = make_batch(ROWS({1, 1, W0, 0}, {1, 1, W0, 0}));
    wr_batch_kinds(b)[1] = WR_KIND_DELETE;
    cr_assert_neq(h.spec.ops->process(h.op, 1, b, &h.err), 0);
    cr_assert(strstr(h.err.msg, "window join") && strstr(h.err.msg, "insert-only"), "%s",
              h.err.msg);
    wr_batch_kinds(b)[1] = WR_KIND_INSERT;
    wr_batch_set_null(b, WE, 0);
    cr_assert_neq(h.spec.ops->process(h.op, 0, b, &h.err), 0);
    cr_assert(strstr(h.err.msg, "window_end"), "%s", h.err.msg);
    cr_assert_neq(h.spec.ops->process(h.op, 2, b, &h.err), 0);
    wr_batch_free(b);
    h_fini(&h);

    /* Window columns that are not timestamps of their side. */
    types_init();
    wr_join_desc d = {.type = WR_JOIN_TYPE_INNER,
                      .left_types = types,
                      .nleft = NC,
                      .right_types = types,
                      .nright = NC,
                      .left_keys = KEY0,
                      .right_keys = KEY0,
                      .nkeys = 1};
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, wr_window_join_spec(&d, WS, X, WS, WE), NULL));
    cr_assert(strstr(h.err.msg, "window_end"), "%s", h.err.msg);
    h_fini(&h);
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, wr_window_join_spec(&d, WS, WE, 7, WE), NULL));
    cr_assert(strstr(h.err.msg, "window_start"), "%s", h.err.msg);
    h_fini(&h);
    d.nkeys = -1;
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, wr_window_join_spec(&d, WS, WE, WS, WE), NULL));
    h_fini(&h);
}

/* ---- against a naive join ------------------------------------------------------------------ */

static bool naive_match(const jrow *l, const jrow *r, bool residual)
{
    if ((l->flags & KNULL) || (r->flags & KNULL)) return false;
    if (l->k != r->k || l->ws != r->ws || l->we != r->we) return false;
    if (residual && ((l->flags & XNULL) || (r->flags & XNULL) || !(l->x < r->x))) return false;
    return true;
}

static char *fmt_side(char *p, const jrow *x)
{
    if (x == NULL) return p + sprintf(p, "N|N|N|N");
    if (x->flags & KNULL)
        p += sprintf(p, "N|");
    else
        p += sprintf(p, "%lld|", (long long)x->k);
    if (x->flags & XNULL)
        p += sprintf(p, "N|");
    else
        p += sprintf(p, "%lld|", (long long)x->x);
    return p + sprintf(p, "%lld|%lld", (long long)x->ws, (long long)x->we);
}

static void add_row(char ***rows, int *n, int *cap, const jrow *l, const jrow *r, bool left_only)
{
    char line[128], *p = fmt_side(line, l);
    if (!left_only) {
        *p++ = '|';
        fmt_side(p, r);
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *rows = wr_realloc(*rows, sizeof(char *) * (size_t)*cap);
    }
    (*rows)[(*n)++] = wr_strdup(line);
}

/* The rows a join of type t emits over all of ls and rs (the windows all fire). */
static int naive(wr_join_type t, bool residual, const jrow *ls, int nl, const jrow *rs, int nr,
                 char ***out)
{
    int n = 0, cap = 0;
    *out = NULL;
    bool semi = t == WR_JOIN_TYPE_SEMI || t == WR_JOIN_TYPE_ANTI;
    for (int i = 0; i < nl; i++) {
        int hits = 0;
        for (int j = 0; j < nr; j++) {
            if (!naive_match(&ls[i], &rs[j], residual)) continue;
            hits++;
            if (!semi) add_row(out, &n, &cap, &ls[i], &rs[j], false);
        }
        if ((t == WR_JOIN_TYPE_LEFT || t == WR_JOIN_TYPE_FULL) && hits == 0)
            add_row(out, &n, &cap, &ls[i], NULL, false);
        if ((t == WR_JOIN_TYPE_SEMI && hits) || (t == WR_JOIN_TYPE_ANTI && !hits))
            add_row(out, &n, &cap, &ls[i], NULL, true);
    }
    if (t == WR_JOIN_TYPE_RIGHT || t == WR_JOIN_TYPE_FULL)
        for (int j = 0; j < nr; j++) {
            int hits = 0;
            for (int i = 0; i < nl; i++) hits += naive_match(&ls[i], &rs[j], residual);
            if (!hits) add_row(out, &n, &cap, NULL, &rs[j], false);
        }
    return n;
}

static void random_side(jrow *rows, int n)
{
    for (int i = 0; i < n; i++) {
        int64_t w = (rand() % 6) * 2000; /* tumbling 2 s windows */
        rows[i] = (jrow){rand() % 9, rand() % 40, w, w + 2000, 0};
        if (rand() % 13 == 0) rows[i].flags |= KNULL;
        if (rand() % 11 == 0) rows[i].flags |= XNULL;
    }
}

Test(window_join, random_inputs_match_a_naive_join, .timeout = 60)
{
    static const wr_join_type all[] = {WR_JOIN_TYPE_INNER, WR_JOIN_TYPE_LEFT, WR_JOIN_TYPE_RIGHT,
                                       WR_JOIN_TYPE_FULL,  WR_JOIN_TYPE_SEMI, WR_JOIN_TYPE_ANTI};
    for (int seed = 1; seed <= 4; seed++)
        for (int t = 0; t < 6; t++)
            for (int res = 0; res < 2; res++) {
                srand((unsigned)(seed * 100 + t * 2 + res));
                int nl = 300 + rand() % 300, nr = 300 + rand() % 300;
                jrow *ls = wr_malloc(sizeof(jrow) * (size_t)nl);
                jrow *rs = wr_malloc(sizeof(jrow) * (size_t)nr);
                random_side(ls, nl);
                random_side(rs, nr);
                harness h;
                h_init(&h, 0, 1);
                h_create(&h, join_spec(all[t], NULL, res ? lx_less_rx() : NULL), NULL);
                /* Interleaved batches of both sides; windows fire on end of input. */
                for (int i = 0, j = 0; i < nl || j < nr;) {
                    int ra = 1 + rand() % 90, rb = 1 + rand() % 90;
                    int a = WR_MIN(nl - i, ra), b = WR_MIN(nr - j, rb);
                    if (a > 0) push(&h, 0, ls + i, a);
                    if (b > 0) push(&h, 1, rs + j, b);
                    i += a;
                    j += b;
                }
                end_input(&h);
                char **want;
                int nw = naive(all[t], res, ls, nl, rs, nr, &want);
                expect_rows(&h, 0, (const char *const *)want, nw);
                for (int i = 0; i < nw; i++) wr_free(want[i]);
                wr_free(want);
                h_fini(&h);
                wr_free(ls);
                wr_free(rs);
            }
}

/* ---- checkpoints ----------------------------------------------------------------------------- */

static void snap(harness *h, wr_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    cr_assert_eq(h->spec.ops->snapshot(h->op, 1, s, &h->err), 0, "%s", h->err.msg);
}

typedef struct parts {
    const wr_snapshot_part *p[1024];
    int n;
    wr_restore restore;
} parts;

static void parts_add(parts *ps, const wr_snapshot *s)
{
    for (int i = 0; i < s->nparts; i++) ps->p[ps->n++] = &s->parts[i];
    ps->restore = (wr_restore){.checkpoint = 1, .parts = ps->p, .nparts = ps->n};
}

static int owner(const jrow *row, int p)
{
    wr_batch *b = make_batch(row, 1);
    wr_keysel ks;
    wr_keysel_init_cols(&ks, KEY0, 1);
    uint64_t hash;
    uint32_t r0 = 0;
    wr_buf scratch;
    wr_buf_init(&scratch);
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_keysel_hash_rows(&ks, b, &r0, 1, &hash, &scratch, &err), 0);
    wr_buf_fini(&scratch);
    wr_keysel_fini(&ks);
    wr_batch_free(b);
    return wr_keygroup_subtask(wr_keygroup_of_hash(hash, 128), 128, p);
}

/* Rows of round r on one side: keys 0..14, 3 s tumbling windows of r s - 1 s .. r s + 1 s. */
static void round_rows(int r, int side, jrow *rows, int n)
{
    for (int i = 0; i < n; i++) {
        int64_t t = (int64_t)r * 1000 - 1000 + (i * 53 + side * 17) % 2000;
        int64_t w = t - t % 3000;
        rows[i] = (jrow){(i * 7 + side) % 15, (i * 13 + r) % 50, w, w + 3000, 0};
    }
}

static void feed(harness *hs, int p, int from, int to)
{
    for (int r = from; r < to; r++)
        for (int side = 0; side < 2; side++) {
            jrow rows[60], mine[60];
            round_rows(r, side, rows, 60);
            for (int s = 0; s < p; s++) {
                int n = 0;
                for (int i = 0; i < 60; i++)
                    if (owner(&rows[i], p) == s) mine[n++] = rows[i];
                push(&hs[s], side, mine, n);
                if (side == 1) wm(&hs[s], (int64_t)r * 1000 - 1000);
            }
        }
}

static int gather(harness *hs, int p, char **out)
{
    int n = 0;
    for (int s = 0; s < p; s++)
        for (int i = 0; i < hs[s].nrows; i++) out[n++] = hs[s].rows[i];
    qsort(out, (size_t)n, sizeof(char *), cmp_str);
    return n;
}

static wr_operator_spec rich(void)
{
    return join_spec(WR_JOIN_TYPE_FULL, NULL, lx_less_rx());
}

static void check_restore(int from, int to)
{
    enum { ROUNDS = 20, AT = 9, MAXR = 200000 };
    harness *base = wr_calloc(1, sizeof(harness));
    h_init(base, 0, 1);
    h_create(base, rich(), NULL);
    feed(base, 1, 0, ROUNDS);
    end_input(base);
    cr_assert_gt(base->nrows, 0);

    harness *first = wr_calloc((size_t)from, sizeof(harness));
    for (int s = 0; s < from; s++) {
        h_init(&first[s], s, from);
        h_create(&first[s], rich(), NULL);
    }
    feed(first, from, 0, AT);
    wr_snapshot *snaps = wr_calloc((size_t)from, sizeof(wr_snapshot));
    parts *ps = wr_calloc(1, sizeof(parts));
    for (int s = 0; s < from; s++) {
        snap(&first[s], &snaps[s]);
        parts_add(ps, &snaps[s]);
    }
    harness *second = wr_calloc((size_t)to, sizeof(harness));
    for (int s = 0; s < to; s++) {
        h_init(&second[s], s, to);
        h_create(&second[s], rich(), &ps->restore);
    }
    feed(first, from, AT, ROUNDS);
    feed(second, to, AT, ROUNDS);
    for (int s = 0; s < from; s++) end_input(&first[s]);
    for (int s = 0; s < to; s++) end_input(&second[s]);

    char **all = wr_malloc(sizeof(char *) * MAXR), **cont = wr_malloc(sizeof(char *) * MAXR),
         **merged = wr_malloc(sizeof(char *) * MAXR);
    int nall = gather(base, 1, all), ncont = gather(first, from, cont);
    cr_assert_eq(ncont, nall);
    for (int i = 0; i < nall; i++) cr_assert_str_eq(cont[i], all[i]);
    /* Watermarks: rounds 0..AT-1 each forwarded one before the checkpoint. */
    int nm = 0;
    for (int s = 0; s < from; s++)
        for (int i = 0; i < first[s].nrows; i++)
            if (first[s].marks_before[i] < AT) merged[nm++] = first[s].rows[i];
    int nbefore = nm;
    nm += gather(second, to, merged + nm);
    cr_assert_gt(nbefore, 0);
    cr_assert_eq(nm, nall, "%d rows before and after the checkpoint, %d in all", nm, nall);
    qsort(merged, (size_t)nm, sizeof(char *), cmp_str);
    for (int i = 0; i < nall; i++)
        cr_assert_str_eq(merged[i], all[i], "%d to %d instances, row %d", from, to, i);
    wr_free(all);
    wr_free(cont);
    wr_free(merged);
    for (int s = 0; s < from; s++) {
        wr_snapshot_fini(&snaps[s]);
        h_fini(&first[s]);
    }
    for (int s = 0; s < to; s++) h_fini(&second[s]);
    h_fini(base);
    wr_free(snaps);
    wr_free(ps);
    wr_free(first);
    wr_free(second);
    wr_free(base);
}

Test(window_join, snapshot_restore_continues_the_same, .timeout = 120)
{
    check_restore(1, 1);
}

Test(window_join, restore_rescales_1_to_2_and_2_to_1, .timeout = 120)
{
    check_restore(1, 2);
    check_restore(2, 1);
}

Test(window_join, damaged_snapshots_are_errors, .timeout = 120)
{
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, rich(), NULL);
    feed(&h, 1, 0, 3);
    wr_snapshot s;
    snap(&h, &s);
    cr_assert_gt(s.nparts, 0);
    h_fini(&h);
    wr_snapshot_part *part = &s.parts[0];
    size_t len = part->data.len;
    char *orig = wr_malloc(len);
    memcpy(orig, part->data.data, len);
    const wr_snapshot_part *pp[1] = {part};
    wr_restore r = {.checkpoint = 1, .parts = pp, .nparts = 1};
    for (size_t cut = 0; cut < len; cut += 1 + len / 200) {
        part->data.len = cut;
        h_init(&h, 0, 1);
        cr_assert_null(h_create_rc(&h, rich(), &r), "cut at %zu", cut);
        cr_assert_eq(h.err.code, WR_ERR_IO, "%s", h.err.msg);
        cr_assert(strstr(h.err.msg, "key group"), "%s", h.err.msg);
        h_fini(&h);
    }
    part->data.len = len;
    srand(5);
    for (int t = 0; t < 50; t++) {
        memcpy(part->data.data, orig, len);
        part->data.data[rand() % len] ^= (char)(1 + rand() % 255);
        h_init(&h, 0, 1);
        cr_assert_null(h_create_rc(&h, rich(), &r));
        cr_assert_eq(h.err.code, WR_ERR_IO, "%s", h.err.msg);
        h_fini(&h);
    }
    /* Bytes that pass the checksum but are not what they claim: an error or a run, never a
     * crash (ASan watches). */
    for (int t = 0; t < 300; t++) {
        memcpy(part->data.data, orig, len);
        for (int f = 0; f < 2; f++) part->data.data[rand() % (len - 8)] ^= (char)(1 + rand() % 255);
        uint64_t sum = wr_hash_bytes(part->data.data, len - 8);
        memcpy(part->data.data + len - 8, &sum, 8);
        h_init(&h, 0, 1);
        if (h_create_rc(&h, rich(), &r))
            end_input(&h);
        else
            cr_assert_eq(h.err.code, WR_ERR_IO, "%s", h.err.msg);
        h_fini(&h);
    }
    /* Another join's state is refused by its header. */
    memcpy(part->data.data, orig, len);
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, join_spec(WR_JOIN_TYPE_INNER, NULL, NULL), &r));
    cr_assert(strstr(h.err.msg, "header"), "%s", h.err.msg);
    h_fini(&h);
    part->keygroup = (part->keygroup + 1) % 128;
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, rich(), &r));
    cr_assert(strstr(h.err.msg, "key group"), "%s", h.err.msg);
    h_fini(&h);
    wr_free(orig);
    wr_snapshot_fini(&s);
}
