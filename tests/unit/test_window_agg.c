/*
 * test_window_agg.c — the window TVF operator and the window aggregation
 * (ops/window_agg.h): TUMBLE, HOP (slices against a brute-force count per
 * window), CUMULATE, SESSION merging, late rows, processing time, every
 * aggregate function, checkpoints (restore, rescale, damaged bytes) and bad
 * window parameters.
 *
 * Operators are driven as the runtime would: batches through process(),
 * watermarks through watermark() (which forwards them), end of input through
 * end_input() and the final watermark. Every emitted row is kept as text
 * (timestamps in ms), with the number of watermarks forwarded before it.
 */
#include <criterion/criterion.h>

#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"
#include "../../src/base/hash.h"
#include "../../src/ops/window_agg.h"
#include "../../src/state/keygroup.h"
#include "../../src/state/keysel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Input columns: k BIGINT, v BIGINT, ts TIMESTAMP(3), s VARCHAR, f BOOLEAN (v is even). */
enum { K, V, TS, S, F, NIN };

#define KNULL 1
#define VNULL 2
#define TSNULL 4

typedef struct in_row {
    int64_t k, v, ts; /* ts in ms */
    const char *s;    /* NULL: NULL */
    int flags;
} in_row;

#define ROWS(...) (in_row[]){__VA_ARGS__}, (int)(sizeof((in_row[]){__VA_ARGS__}) / sizeof(in_row))

static wr_type in_types[NIN];

static void types_init(void)
{
    in_types[K] = wr_type_make(WR_TYPE_BIGINT, true);
    in_types[V] = wr_type_make(WR_TYPE_BIGINT, true);
    in_types[TS] = wr_type_make(WR_TYPE_TIMESTAMP, true);
    in_types[TS].length = 3;
    in_types[S] = wr_type_make(WR_TYPE_VARCHAR, true);
    in_types[F] = wr_type_make(WR_TYPE_BOOLEAN, true);
}

#define MAX_OUT 20000

typedef struct harness {
    wr_op_ctx ctx;
    wr_collector cap;
    wr_collector *outs[1];
    wr_operator_spec spec;
    wr_operator *op;
    wr_error err;
    char **rows; /* emitted rows as text */
    int *marks_before;
    int nrows;
    int64_t marks[4096];
    int nmarks;
} harness;

static harness *current_for_push; /* collectors find their harness through this */

static void format_value(const wr_vector *v, int r, char *buf, size_t size)
{
    if (wr_vector_is_null(v, r)) {
        snprintf(buf, size, "N");
        return;
    }
    switch ((wr_type_id)v->type.id) {
    case WR_TYPE_BIGINT:
        snprintf(buf, size, "%lld", (long long)((const int64_t *)v->data)[r]);
        break;
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
        snprintf(buf, size, "%lld", (long long)(((const int64_t *)v->data)[r] / 1000));
        break;
    case WR_TYPE_DOUBLE:
        snprintf(buf, size, "%.3f", ((const double *)v->data)[r]);
        break;
    case WR_TYPE_BOOLEAN:
        snprintf(buf, size, "%s", ((const uint8_t *)v->data)[r] ? "T" : "F");
        break;
    case WR_TYPE_VARCHAR: {
        wr_str s = ((const wr_str *)v->data)[r];
        snprintf(buf, size, "'%.*s'", (int)s.len, s.ptr);
        break;
    }
    default:
        cr_assert(0, "unexpected output type %d", v->type.id);
    }
}

static int cap_push(wr_collector *self, wr_batch *batch, wr_error *err)
{
    harness *h = current_for_push;
    int n = wr_batch_rows(batch);
    for (int i = 0; i < n; i++) {
        int r = wr_batch_row(batch, i);
        cr_assert(h->nrows < MAX_OUT);
        cr_assert(batch->kinds == NULL || batch->kinds[r] == WR_KIND_INSERT);
        char line[1024] = "", cell[256];
        for (int c = 0; c < batch->ncols; c++) {
            format_value(&batch->cols[c], r, cell, sizeof(cell));
            if (c) strcat(line, "|");
            strcat(line, cell);
        }
        h->rows[h->nrows] = wr_strdup(line);
        h->marks_before[h->nrows] = h->nmarks;
        h->nrows++;
    }
    return 0;
}

static int cap_mark(wr_collector *self, const wr_mark *mark, wr_error *err)
{
    harness *h = current_for_push;
    if (mark->kind != WR_MARK_WATERMARK) return 0;
    cr_assert(h->nmarks < 4096);
    h->marks[h->nmarks++] = mark->time;
    return 0;
}

static void h_init(harness *h, int subtask, int parallelism)
{
    memset(h, 0, sizeof(*h));
    types_init();
    h->ctx.subtask = subtask;
    h->ctx.parallelism = parallelism;
    h->ctx.max_parallelism = 128;
    h->ctx.name = "test window agg";
    h->ctx.watermark = INT64_MIN;
    h->ctx.out_watermark = INT64_MIN;
    h->ctx.timer_at_ms = INT64_MAX;
    h->cap.push = cap_push;
    h->cap.mark = cap_mark;
    h->outs[0] = &h->cap;
    h->ctx.out = &h->cap;
    h->ctx.outs = h->outs;
    h->ctx.nouts = 1;
    h->rows = wr_calloc(MAX_OUT, sizeof(char *));
    h->marks_before = wr_calloc(MAX_OUT, sizeof(int));
    wr_error_init(&h->err);
}

static void h_clear(harness *h)
{
    for (int i = 0; i < h->nrows; i++) wr_free(h->rows[i]);
    h->nrows = 0;
    h->nmarks = 0;
}

static void h_fini(harness *h)
{
    if (h->op) h->spec.ops->destroy(h->op);
    h->op = NULL;
    wr_operator_spec_fini(&h->spec);
    h_clear(h);
    wr_free(h->rows);
    wr_free(h->marks_before);
}

/* Creates the operator of spec (taking it over), restoring from restore; NULL on error. */
static wr_operator *h_create_rc(harness *h, wr_operator_spec spec, const wr_restore *restore)
{
    h->spec = spec;
    h->ctx.restore = restore;
    current_for_push = h;
    h->op = h->spec.ops->create(h->spec.spec, &h->ctx, &h->err);
    h->ctx.restore = NULL;
    if (h->op) h->op->ctx = &h->ctx;
    return h->op;
}

static void h_create(harness *h, wr_operator_spec spec, const wr_restore *restore)
{
    cr_assert(h_create_rc(h, spec, restore), "%s", h->err.msg);
}

static wr_batch *make_batch(const in_row *rows, int n)
{
    wr_batch *b = wr_batch_new(in_types, NIN, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        const in_row *x = &rows[i];
        ((int64_t *)b->cols[K].data)[i] = x->k;
        ((int64_t *)b->cols[V].data)[i] = x->v;
        ((int64_t *)b->cols[TS].data)[i] = x->ts * 1000;
        ((wr_str *)b->cols[S].data)[i] = x->s ? wr_batch_str(b, x->s, strlen(x->s)) : (wr_str){0};
        ((uint8_t *)b->cols[F].data)[i] = x->v % 2 == 0;
        if (x->flags & KNULL) wr_batch_set_null(b, K, i);
        if (x->flags & VNULL) wr_batch_set_null(b, V, i);
        if (x->flags & TSNULL) wr_batch_set_null(b, TS, i);
        if (x->s == NULL) wr_batch_set_null(b, S, i);
    }
    b->count = n;
    return b;
}

static int push_rc(harness *h, const in_row *rows, int n)
{
    wr_batch *b = make_batch(rows, n);
    current_for_push = h;
    int rc = h->spec.ops->process(h->op, 0, b, &h->err);
    wr_batch_free(b);
    return rc;
}

static void push(harness *h, const in_row *rows, int n)
{
    cr_assert_eq(push_rc(h, rows, n), 0, "%s", h->err.msg);
}

static void wm(harness *h, int64_t t)
{
    current_for_push = h;
    h->ctx.watermark = t;
    cr_assert_eq(h->spec.ops->watermark(h->op, t, &h->err), 0, "%s", h->err.msg);
}

static void end_input(harness *h)
{
    current_for_push = h;
    if (h->spec.ops->end_input)
        cr_assert_eq(h->spec.ops->end_input(h->op, 0, &h->err), 0, "%s", h->err.msg);
    wm(h, INT64_MAX);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Asserts that rows [from, h->nrows) are exactly want (in any order). */
static void expect_rows_from(harness *h, int from, const char *const *want, int nwant)
{
    int n = h->nrows - from;
    char **got = wr_malloc(sizeof(char *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) got[i] = h->rows[from + i];
    qsort(got, (size_t)n, sizeof(char *), cmp_str);
    const char **w = wr_malloc(sizeof(char *) * (size_t)(nwant + 1));
    memcpy(w, want, sizeof(char *) * (size_t)nwant);
    qsort(w, (size_t)nwant, sizeof(char *), cmp_str);
    for (int i = 0; i < n && i < nwant; i++)
        cr_assert_str_eq(got[i], w[i], "row %d of %d: got %s, want %s", i, n, got[i], w[i]);
    cr_assert_eq(n, nwant, "got %d rows, want %d", n, nwant);
    wr_free(got);
    wr_free(w);
}

#define EXPECT(h, from, ...)                                                                       \
    expect_rows_from(h, from, (const char *const[]){__VA_ARGS__},                                  \
                     (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))

static wr_agg_call call(const char *name, int arg, int arg2, bool distinct, int filter)
{
    wr_agg_call c;
    memset(&c, 0, sizeof(c));
    wr_type args[2];
    if (arg >= 0) {
        c.args[c.nargs] = arg;
        args[c.nargs++] = in_types[arg];
    }
    if (arg2 >= 0) {
        c.args[c.nargs] = arg2;
        args[c.nargs++] = in_types[arg2];
    }
    c.distinct = distinct;
    c.filter = filter;
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_agg_resolve(name, args, c.nargs, distinct, 0, &c.kind, &c.type, &err), 0,
                 "%s: %s", name, err.msg);
    return c;
}

static wr_agg_call agg1(const char *name, int arg)
{
    return call(name, arg, -1, false, -1);
}

static wr_window_def tumble(int64_t size)
{
    return (wr_window_def){.kind = WR_WINDOW_TUMBLE, .time_col = TS, .size_ms = size};
}

static wr_window_def hop(int64_t size, int64_t slide)
{
    return (wr_window_def){
        .kind = WR_WINDOW_HOP, .time_col = TS, .size_ms = size, .slide_ms = slide};
}

static wr_window_def cumulate(int64_t size, int64_t step)
{
    return (wr_window_def){
        .kind = WR_WINDOW_CUMULATE, .time_col = TS, .size_ms = size, .slide_ms = step};
}

static wr_window_def session(int64_t gap)
{
    return (wr_window_def){.kind = WR_WINDOW_SESSION, .time_col = TS, .gap_ms = gap};
}

static const int by_k[] = {K};

/* COUNT(*), SUM(v) per k. */
static wr_operator_spec count_sum(const wr_window_def *w)
{
    types_init();
    wr_agg_call aggs[] = {call("COUNT", -1, -1, false, -1), agg1("SUM", V)};
    return wr_window_agg_spec(in_types, NIN, w, by_k, 1, aggs, 2);
}

/* ---- TUMBLE ------------------------------------------------------------------------ */

Test(window_agg, tumble_count_sum_fires_on_watermark_before_forwarding_it)
{
    harness h;
    h_init(&h, 0, 1);
    wr_window_def w = tumble(10000);
    h_create(&h, count_sum(&w), NULL);
    push(&h, ROWS({1, 10, 1000, NULL, 0}, {2, 5, 2000, NULL, 0}, {1, 7, 9999, NULL, 0},
                  {1, 100, 12000, NULL, 0}));
    wm(&h, 9998); /* window [0, 10 s) needs 9999 */
    cr_assert_eq(h.nrows, 0);
    cr_assert_eq(h.nmarks, 1);
    push(&h, ROWS({2, 1, 9000, NULL, 0}, {2, 3, 15000, NULL, 0}));
    wm(&h, 9999);
    EXPECT(&h, 0, "1|2|17|0|10000|9999", "2|2|6|0|10000|9999");
    cr_assert_eq(h.nmarks, 2);
    cr_assert_eq(h.marks[1], 9999);
    cr_assert_eq(h.marks_before[0], 1, "rows come before the watermark that fired them");
    cr_assert_eq(h.marks_before[1], 1);
    int at = h.nrows;
    end_input(&h);
    EXPECT(&h, at, "1|1|100|10000|20000|19999", "2|1|3|10000|20000|19999");
    cr_assert_eq(wr_window_agg_late_rows(h.op), 0);
    h_fini(&h);
}

Test(window_agg, tumble_offset_global_and_null_keys)
{
    harness h;
    h_init(&h, 0, 1);
    types_init();
    wr_window_def w = tumble(10000);
    w.offset_ms = 3000; /* windows [3 s, 13 s), ... */
    wr_agg_call aggs[] = {call("COUNT", -1, -1, false, -1), agg1("MAX", V)};
    h_create(&h, wr_window_agg_spec(in_types, NIN, &w, NULL, 0, aggs, 2), NULL);
    push(&h, ROWS({1, 1, 2999, NULL, 0}, {2, 2, 3000, NULL, 0}, {3, 9, 12999, NULL, 0},
                  {0, 0, 0, NULL, TSNULL}));
    end_input(&h);
    EXPECT(&h, 0, "1|1|-7000|3000|2999", "2|9|3000|13000|12999");
    h_fini(&h);

    /* NULL keys group together. */
    h_init(&h, 0, 1);
    w = tumble(10000);
    h_create(&h, count_sum(&w), NULL);
    push(&h, ROWS({0, 1, 5, NULL, KNULL}, {0, 2, 6, NULL, KNULL}, {0, 4, 7, NULL, 0}));
    end_input(&h);
    EXPECT(&h, 0, "N|2|3|0|10000|9999", "0|1|4|0|10000|9999");
    h_fini(&h);
}

Test(window_agg, late_rows_are_dropped_and_counted)
{
    harness h;
    h_init(&h, 0, 1);
    wr_window_def w = tumble(10000);
    h_create(&h, count_sum(&w), NULL);
    push(&h, ROWS({1, 1, 100, NULL, 0}));
    wm(&h, 9999);
    EXPECT(&h, 0, "1|1|1|0|10000|9999");
    /* 9999 and 5000 belong to the window that fired; 10000 to the next. */
    push(&h, ROWS({1, 2, 5000, NULL, 0}, {1, 4, 9999, NULL, 0}, {1, 8, 10000, NULL, 0}));
    cr_assert_eq(wr_window_agg_late_rows(h.op), 2);
    /* A window that never had rows has passed too: no row may reopen it. */
    wm(&h, 30000);
    push(&h, ROWS({1, 16, 25000, NULL, 0}));
    cr_assert_eq(wr_window_agg_late_rows(h.op), 3);
    int at = h.nrows;
    end_input(&h);
    cr_assert_eq(at, 2);
    EXPECT(&h, 1, "1|1|8|10000|20000|19999");
    h_fini(&h);
}

Test(window_agg, changelog_input_is_refused)
{
    harness h;
    h_init(&h, 0, 1);
    wr_window_def w = tumble(1000);
    h_create(&h, count_sum(&w), NULL);
    wr_batch *b = make_batch(ROWS({1, 1, 1, NULL, 0}, {1, 1, 2, NULL, 0}));
    wr_batch_kinds(b)[1] = WR_KIND_DELETE;
    current_for_push = &h;
    cr_assert_neq(h.spec.ops->process(h.op, 0, b, &h.err), 0);
    cr_assert(strstr(h.err.msg, "insert-only"), "%s", h.err.msg);
    wr_batch_free(b);
    h_fini(&h);
}

/* ---- HOP and CUMULATE against brute force ---------------------------------------------- */

#define NK 7
#define MAXT 40000

typedef struct naive {
    int64_t cnt, sum, max, min, first, last;
    uint64_t distinct; /* bit per v (0..63) */
    bool any;
} naive;

/* The window [start, end) for a window end on the grid (offset 0). */
static int64_t naive_start(const wr_window_def *w, int64_t end)
{
    if (w->kind == WR_WINDOW_CUMULATE) return (end - 1) / w->size_ms * w->size_ms;
    return end - w->size_ms;
}

/*
 * Random rows (keys 0..NK-1, times out of order within 3 s, a few late
 * ones) with watermarks every 50 rows; compares what the operator emits
 * with each window's aggregates counted by brute force over the rows that
 * arrived while the window was still open (window_end - 1 > watermark).
 * With mode_calls, the calls need a pane per window; otherwise slices.
 */
static void check_random(const wr_window_def *w, bool window_calls, unsigned seed)
{
    harness h;
    h_init(&h, 0, 1);
    wr_agg_call sliced[] = {call("COUNT", -1, -1, false, -1), agg1("SUM", V), agg1("MAX", V),
                            agg1("MIN", V)};
    wr_agg_call windowed[] = {call("COUNT", -1, -1, false, -1), call("COUNT", V, -1, true, -1),
                              agg1("FIRST_VALUE", V), agg1("LAST_VALUE", V)};
    h_create(&h, wr_window_agg_spec(in_types, NIN, w, by_k, 1, window_calls ? windowed : sliced, 4),
             NULL);
    int64_t grid = w->slide_ms;
    int nends = (int)((MAXT + w->size_ms) / grid) + 2;
    naive *acc = wr_calloc((size_t)NK * (size_t)nends, sizeof(naive));
    srand(seed);
    int64_t wmark = INT64_MIN, maxts = 0, late = 0;
    in_row batch[50];
    int nb = 0;
    for (int i = 0; i < 3000; i++) {
        int64_t ts = (int64_t)i * MAXT / 3000 - rand() % 3000;
        if (rand() % 40 == 0) ts -= 8000; /* sometimes late */
        if (ts < 0) ts = rand() % 100;
        in_row x = {rand() % NK, rand() % 50, ts, NULL, 0};
        batch[nb++] = x;
        bool in_any = false;
        for (int e = 1; e < nends; e++) {
            int64_t end = (int64_t)e * grid, start = naive_start(w, end);
            if (ts < start || ts >= end || end - 1 <= wmark) continue;
            in_any = true;
            naive *a = &acc[x.k * nends + e];
            if (!a->any) {
                a->max = INT64_MIN;
                a->min = INT64_MAX;
                a->first = x.v;
            }
            a->any = true;
            a->cnt++;
            a->sum += x.v;
            a->max = WR_MAX(a->max, x.v);
            a->min = WR_MIN(a->min, x.v);
            a->last = x.v;
            a->distinct |= 1ull << x.v;
        }
        if (!in_any) late++;
        maxts = WR_MAX(maxts, ts);
        if (nb == 50 || rand() % 7 == 0) {
            push(&h, batch, nb);
            nb = 0;
        }
        if (i % 50 == 49) {
            push(&h, batch, nb);
            nb = 0;
            wmark = maxts - 3000;
            wm(&h, wmark);
        }
    }
    push(&h, batch, nb);
    cr_assert_eq(wr_window_agg_late_rows(h.op), late);
    end_input(&h);
    /* Every row came out before the first watermark that passed its window's end - 1. */
    for (int i = 0; i < h.nrows; i++) {
        long long k, c1, c2, c3, c4, ws, we, wt;
        cr_assert_eq(sscanf(h.rows[i], "%lld|%lld|%lld|%lld|%lld|%lld|%lld|%lld", &k, &c1, &c2, &c3,
                            &c4, &ws, &we, &wt),
                     8, "%s", h.rows[i]);
        int mb = h.marks_before[i];
        cr_assert(mb == 0 || h.marks[mb - 1] < we - 1, "%s after watermark %lld", h.rows[i],
                  (long long)h.marks[mb - 1]);
        cr_assert(mb < h.nmarks && h.marks[mb] >= we - 1);
        cr_assert_eq(wt, we - 1);
    }
    const char **want = wr_malloc(sizeof(char *) * (size_t)NK * (size_t)nends + 1);
    int nwant = 0;
    for (int k = 0; k < NK; k++)
        for (int e = 1; e < nends; e++) {
            const naive *a = &acc[k * nends + e];
            if (!a->any) continue;
            int64_t end = (int64_t)e * grid;
            char line[256];
            if (window_calls)
                snprintf(line, sizeof(line), "%d|%lld|%d|%lld|%lld|%lld|%lld|%lld", k,
                         (long long)a->cnt, __builtin_popcountll(a->distinct), (long long)a->first,
                         (long long)a->last, (long long)naive_start(w, end), (long long)end,
                         (long long)end - 1);
            else
                snprintf(line, sizeof(line), "%d|%lld|%lld|%lld|%lld|%lld|%lld|%lld", k,
                         (long long)a->cnt, (long long)a->sum, (long long)a->max, (long long)a->min,
                         (long long)naive_start(w, end), (long long)end, (long long)end - 1);
            want[nwant++] = wr_strdup(line);
        }
    expect_rows_from(&h, 0, want, nwant);
    for (int i = 0; i < nwant; i++) wr_free((char *)want[i]);
    wr_free(want);
    wr_free(acc);
    h_fini(&h);
}

Test(window_agg, hop_slices_match_brute_force, .timeout = 60)
{
    types_init();
    wr_window_def w = hop(10000, 2000);
    for (unsigned seed = 1; seed <= 3; seed++) check_random(&w, false, seed);
    w = hop(6000, 3000);
    check_random(&w, false, 7);
}

Test(window_agg, hop_per_window_calls_match_brute_force, .timeout = 60)
{
    types_init();
    wr_window_def w = hop(10000, 2000);
    check_random(&w, true, 11);
    check_random(&w, true, 12);
}

Test(window_agg, cumulate_matches_brute_force, .timeout = 60)
{
    types_init();
    wr_window_def w = cumulate(10000, 2500);
    check_random(&w, false, 21);
    check_random(&w, false, 22);
    check_random(&w, true, 23);
}

Test(window_agg, hop_and_cumulate_small)
{
    harness h;
    h_init(&h, 0, 1);
    wr_window_def w = hop(10000, 5000);
    h_create(&h, count_sum(&w), NULL);
    push(&h, ROWS({1, 1, 1000, NULL, 0}, {1, 2, 6000, NULL, 0}, {1, 4, 12000, NULL, 0}));
    wm(&h, 9999);
    EXPECT(&h, 0, "1|1|1|-5000|5000|4999", "1|2|3|0|10000|9999");
    int at = h.nrows;
    end_input(&h);
    EXPECT(&h, at, "1|2|6|5000|15000|14999", "1|1|4|10000|20000|19999");
    h_fini(&h);

    h_init(&h, 0, 1);
    w = cumulate(6000, 2000);
    w.offset_ms = 1000; /* periods [1 s, 7 s), [7 s, 13 s) */
    h_create(&h, count_sum(&w), NULL);
    push(&h, ROWS({1, 1, 1500, NULL, 0}, {1, 2, 4000, NULL, 0}, {1, 4, 6999, NULL, 0},
                  {1, 8, 7000, NULL, 0}));
    end_input(&h);
    EXPECT(&h, 0, "1|1|1|1000|3000|2999", "1|2|3|1000|5000|4999", "1|3|7|1000|7000|6999",
           "1|1|8|7000|9000|8999", "1|1|8|7000|11000|10999", "1|1|8|7000|13000|12999");
    h_fini(&h);
}

/* ---- every aggregate function ---------------------------------------------------------- */

static wr_operator_spec all_functions(const wr_window_def *w, int *ncalls)
{
    types_init();
    wr_agg_call aggs[] = {
        agg1("COUNT", V),
        call("COUNT", -1, -1, false, -1),
        agg1("SUM", V),
        agg1("AVG", V),
        agg1("MIN", V),
        agg1("MAX", V),
        call("COUNT", V, -1, true, -1),
        call("SUM", V, -1, false, F), /* FILTER (WHERE v is even) */
        agg1("FIRST_VALUE", V),
        agg1("LAST_VALUE", V),
        call("LISTAGG", S, -1, false, -1),
        agg1("MAX", S),
    };
    *ncalls = (int)WR_ARRAY_LEN(aggs);
    return wr_window_agg_spec(in_types, NIN, w, by_k, 1, aggs, *ncalls);
}

Test(window_agg, every_function_over_tumble_and_hop)
{
    wr_window_def defs[] = {tumble(10000), hop(20000, 10000), cumulate(20000, 10000)};
    for (size_t d = 0; d < WR_ARRAY_LEN(defs); d++) {
        harness h;
        h_init(&h, 0, 1);
        int n;
        h_create(&h, all_functions(&defs[d], &n), NULL);
        push(&h, ROWS({1, 4, 1000, "a", 0}, {1, 3, 2000, "b", 0}, {1, 4, 3000, NULL, 0},
                      {1, 0, 4000, "c", VNULL}, {1, 7, 5000, "bb", 0}));
        wm(&h, 9999);
        /* COUNT(v) 4, COUNT(*) 5, SUM 18, AVG 4, MIN 3, MAX 7, COUNT(DISTINCT v) 3,
         * SUM(v) FILTER(even) 8, FIRST 4, LAST 7, LISTAGG a,b,c,bb, MAX(s) c */
        if (d == 0)
            EXPECT(&h, 0, "1|4|5|18|4|3|7|3|8|4|7|'a,b,c,bb'|'c'|0|10000|9999");
        else if (d == 1)
            EXPECT(&h, 0, "1|4|5|18|4|3|7|3|8|4|7|'a,b,c,bb'|'c'|-10000|10000|9999");
        else
            EXPECT(&h, 0, "1|4|5|18|4|3|7|3|8|4|7|'a,b,c,bb'|'c'|0|10000|9999");
        h_fini(&h);
    }
}

Test(window_agg, stddev_and_var)
{
    harness h;
    h_init(&h, 0, 1);
    types_init();
    wr_type dt = wr_type_make(WR_TYPE_DOUBLE, true);
    in_types[V] = dt; /* DOUBLE values for this test */
    wr_agg_call aggs[] = {agg1("STDDEV_POP", V), agg1("VAR_SAMP", V)};
    wr_window_def w = hop(4000, 2000);
    h_create(&h, wr_window_agg_spec(in_types, NIN, &w, by_k, 1, aggs, 2), NULL);
    wr_batch *b = wr_batch_new(in_types, NIN, 4);
    double vals[] = {2, 4, 4, 6};
    int64_t ts[] = {0, 1000, 2500, 3000};
    for (int i = 0; i < 4; i++) {
        ((int64_t *)b->cols[K].data)[i] = 1;
        ((double *)b->cols[V].data)[i] = vals[i];
        ((int64_t *)b->cols[TS].data)[i] = ts[i] * 1000;
        wr_batch_set_null(b, S, i);
    }
    b->count = 4;
    current_for_push = &h;
    cr_assert_eq(h.spec.ops->process(h.op, 0, b, &h.err), 0, "%s", h.err.msg);
    wr_batch_free(b);
    end_input(&h);
    /* [-2, 2): {2, 4}; [0, 4): {2, 4, 4, 6}; [2, 6): {4, 6} */
    EXPECT(&h, 0, "1|1.000|2.000|-2000|2000|1999", "1|1.414|2.667|0|4000|3999",
           "1|1.000|2.000|2000|6000|5999");
    h_fini(&h);
}

/* ---- SESSION -------------------------------------------------------------------------- */

Test(window_agg, sessions_open_extend_and_merge)
{
    harness h;
    h_init(&h, 0, 1);
    types_init();
    wr_window_def w = session(10000);
    wr_agg_call aggs[] = {call("COUNT", -1, -1, false, -1), agg1("SUM", V),
                          call("LISTAGG", S, -1, false, -1)};
    h_create(&h, wr_window_agg_spec(in_types, NIN, &w, by_k, 1, aggs, 3), NULL);
    push(&h, ROWS({1, 1, 0, "a", 0}, {1, 2, 5000, "b", 0}, {1, 4, 30000, "d", 0},
                  {2, 100, 1000, "x", 0}));
    /* Sessions of 1: [0, 15 s), [30 s, 40 s); of 2: [1 s, 11 s). */
    wm(&h, 10999);
    EXPECT(&h, 0, "2|1|100|'x'|1000|11000|10999");
    /* [20 s, 30 s) touches [30 s, 40 s): one session [20 s, 40 s). */
    push(&h, ROWS({1, 8, 20000, "c", 0}));
    /* [12 s, 22 s) bridges [0, 15 s) and [20 s, 40 s). */
    push(&h, ROWS({1, 16, 12000, "e", 0}));
    wm(&h, 38000);
    cr_assert_eq(h.nrows, 1);
    wm(&h, 39999);
    EXPECT(&h, 1, "1|5|31|'a,b,d,c,e'|0|40000|39999");
    /* A row whose own session would have fired, touching none, is late. */
    push(&h, ROWS({3, 1, 20000, "z", 0}));
    cr_assert_eq(wr_window_agg_late_rows(h.op), 1);
    push(&h, ROWS({3, 1, 35000, "z", 0}));
    int at = h.nrows;
    end_input(&h);
    EXPECT(&h, at, "3|1|1|'z'|35000|45000|44999");
    h_fini(&h);
}

Test(window_agg, sessions_many_keys_compact)
{
    /* Many short sessions fire while others live on: what fired gets compacted away. */
    harness h;
    h_init(&h, 0, 1);
    types_init();
    wr_window_def w = session(100);
    wr_agg_call aggs[] = {call("COUNT", -1, -1, false, -1), agg1("MAX", S)};
    h_create(&h, wr_window_agg_spec(in_types, NIN, &w, by_k, 1, aggs, 2), NULL);
    for (int round = 0; round < 40; round++) {
        in_row rows[500];
        for (int i = 0; i < 500; i++)
            rows[i] =
                (in_row){round * 1000 + i, 1, (int64_t)round * 1000 + i % 50, i % 2 ? "s" : "t", 0};
        push(&h, rows, 500);
        wm(&h, (int64_t)round * 1000 - 5000); /* about 5 rounds of sessions stay open */
    }
    cr_assert_eq(wr_window_agg_late_rows(h.op), 0);
    end_input(&h);
    cr_assert_eq(h.nrows, 40 * 500);
    for (int i = 0; i < h.nrows; i++) {
        long long k, c;
        char str[8];
        cr_assert_eq(sscanf(h.rows[i], "%lld|%lld|'%1[st]'", &k, &c, str), 3, "%s", h.rows[i]);
        cr_assert_eq(c, 1);
        cr_assert_str_eq(str, k % 2 ? "s" : "t");
    }
    h_fini(&h);
}

/* ---- processing time ---------------------------------------------------------------- */

Test(window_agg, processing_time_fires_on_timers)
{
    harness h;
    h_init(&h, 0, 1);
    types_init();
    wr_window_def w = {.kind = WR_WINDOW_TUMBLE, .time_col = -1, .size_ms = 3600 * 1000};
    wr_agg_call aggs[] = {call("COUNT", -1, -1, false, -1)};
    h_create(&h, wr_window_agg_spec(in_types, NIN, &w, by_k, 1, aggs, 1), NULL);
    cr_assert_eq(h.ctx.timer_at_ms, INT64_MAX);
    int64_t before = wr_clock_wall_ms();
    /* Row times are ignored: the wall clock at arrival counts. */
    push(&h, ROWS({1, 1, 0, NULL, 0}, {1, 1, 0, NULL, TSNULL}, {2, 1, 5, NULL, 0}));
    int64_t after = wr_clock_wall_ms();
    int64_t end = before - before % w.size_ms + w.size_ms;
    cr_assert(h.ctx.timer_at_ms >= end - 1 &&
              h.ctx.timer_at_ms <= after - after % w.size_ms + w.size_ms - 1);
    /* Watermarks pass through and fire nothing. */
    wm(&h, INT64_MAX - 1);
    cr_assert_eq(h.nrows, 0);
    current_for_push = &h;
    int64_t at = h.ctx.timer_at_ms;
    cr_assert_eq(h.spec.ops->on_time(h.op, at - 1, &h.err), 0);
    cr_assert_eq(h.nrows, 0);
    cr_assert_eq(h.spec.ops->on_time(h.op, at, &h.err), 0);
    cr_assert_eq(h.nrows, 2);
    cr_assert_eq(h.ctx.timer_at_ms, INT64_MAX);
    long long k, c, ws, we, wt;
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(sscanf(h.rows[i], "%lld|%lld|%lld|%lld|%lld", &k, &c, &ws, &we, &wt), 5);
        cr_assert_eq(c, k == 1 ? 2 : 1);
        cr_assert_eq(we, at + 1);
        cr_assert_eq(we - ws, w.size_ms);
        cr_assert_eq(wt, we - 1);
    }
    /* window_time of processing time is a TIMESTAMP_LTZ(3). */
    wr_type out[5];
    wr_window_agg_output_types(in_types, NIN, &w, by_k, 1, aggs, 1, out);
    cr_assert_eq(out[2].id, WR_TYPE_TIMESTAMP);
    cr_assert_eq(out[4].id, WR_TYPE_TIMESTAMP_LTZ);
    cr_assert_not(out[4].nullable);
    h_fini(&h);
}

Test(window_agg, processing_time_end_of_input_fires_everything)
{
    harness h;
    h_init(&h, 0, 1);
    types_init();
    wr_window_def w = {
        .kind = WR_WINDOW_HOP, .time_col = -1, .size_ms = 7200000, .slide_ms = 3600000};
    wr_agg_call aggs[] = {agg1("SUM", V)};
    h_create(&h, wr_window_agg_spec(in_types, NIN, &w, by_k, 1, aggs, 1), NULL);
    push(&h, ROWS({1, 5, 0, NULL, 0}, {1, 6, 0, NULL, 0}));
    end_input(&h);
    cr_assert_eq(h.nrows, 2); /* the two hour-long hops that hold now */
    for (int i = 0; i < 2; i++) cr_assert(strncmp(h.rows[i], "1|11|", 5) == 0, "%s", h.rows[i]);
    h_fini(&h);
}

/* ---- the TVF operator ---------------------------------------------------------------- */

static void tvf_run(harness *h, const wr_window_def *w, const in_row *rows, int n)
{
    h_init(h, 0, 1);
    types_init();
    h_create(h, wr_window_tvf_spec(in_types, NIN, w), NULL);
    push(h, rows, n);
}

Test(window_agg, tvf_rows_for_each_kind_and_offset)
{
    harness h;
    wr_window_def w = tumble(10000);
    w.offset_ms = 3000;
    tvf_run(&h, &w, ROWS({1, 2, 12000, "x", 0}, {1, 3, 0, NULL, TSNULL}, {1, 4, 2000, "y", 0}));
    EXPECT(&h, 0, "1|2|12000|'x'|T|3000|13000|12999", "1|4|2000|'y'|T|-7000|3000|2999");
    h_fini(&h);

    w = hop(10000, 5000);
    tvf_run(&h, &w, ROWS({7, 1, 12000, "x", 0}));
    EXPECT(&h, 0, "7|1|12000|'x'|F|5000|15000|14999", "7|1|12000|'x'|F|10000|20000|19999");
    h_fini(&h);

    w.offset_ms = -1000; /* windows start at 4 s, 9 s, ... */
    tvf_run(&h, &w, ROWS({7, 1, 12000, "x", 0}));
    EXPECT(&h, 0, "7|1|12000|'x'|F|4000|14000|13999", "7|1|12000|'x'|F|9000|19000|18999");
    h_fini(&h);

    w = cumulate(10000, 2000);
    tvf_run(&h, &w, ROWS({1, 1, 12000, NULL, 0}));
    EXPECT(&h, 0, "1|1|12000|N|F|10000|14000|13999", "1|1|12000|N|F|10000|16000|15999",
           "1|1|12000|N|F|10000|18000|17999", "1|1|12000|N|F|10000|20000|19999");
    h_fini(&h);

    /* Many windows per row spill over several output batches. */
    w = hop(3000 * 1000, 1000);
    tvf_run(&h, &w, ROWS({1, 1, 5000, NULL, 0}));
    cr_assert_eq(h.nrows, 3000);
    h_fini(&h);

    /* SESSION cannot be a bare TVF. */
    h_init(&h, 0, 1);
    w = session(1000);
    cr_assert_null(h_create_rc(&h, wr_window_tvf_spec(in_types, NIN, &w), NULL));
    cr_assert(strstr(h.err.msg, "SESSION"), "%s", h.err.msg);
    h_fini(&h);
}

/* ---- checkpoints ------------------------------------------------------------------- */

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

typedef wr_operator_spec (*spec_fn)(const wr_window_def *w);

static wr_operator_spec rich(const wr_window_def *w)
{
    types_init();
    wr_agg_call aggs[] = {call("COUNT", -1, -1, false, -1), agg1("SUM", V),
                          call("LISTAGG", S, -1, false, -1), agg1("MAX", S)};
    return wr_window_agg_spec(in_types, NIN, w, by_k, 1, aggs, 4);
}

static wr_operator_spec distinct_first(const wr_window_def *w)
{
    types_init();
    wr_agg_call aggs[] = {call("COUNT", S, -1, true, -1), call("COUNT", V, -1, true, -1),
                          agg1("FIRST_VALUE", S)};
    return wr_window_agg_spec(in_types, NIN, w, by_k, 1, aggs, 3);
}

static const char *const words[] = {"alpha", "beta", "a-rather-long-string-value", "d", ""};

/* Rows of round r: keys 0..19, times in [r s, r s + 1 s). */
static void round_rows(int r, in_row *rows, int n)
{
    for (int i = 0; i < n; i++)
        rows[i] = (in_row){i % 20, (i * 7 + r) % 13, (int64_t)r * 1000 + (i * 37) % 1000,
                           words[(i + r) % 5], 0};
}

/* The subtask of p instances that owns the key of rows[i] (as the hash exchange routes). */
static int owner(const in_row *row, int p)
{
    wr_batch *b = make_batch(row, 1);
    wr_keysel ks;
    wr_keysel_init_cols(&ks, by_k, 1);
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

/* Feeds rounds [from, to) to instances hs[0..p) routed by key, with watermarks. */
static void feed(harness *hs, int p, int from, int to)
{
    for (int r = from; r < to; r++) {
        in_row rows[100], mine[100];
        round_rows(r, rows, 100);
        for (int s = 0; s < p; s++) {
            int n = 0;
            for (int i = 0; i < 100; i++)
                if (owner(&rows[i], p) == s) mine[n++] = rows[i];
            push(&hs[s], mine, n);
            wm(&hs[s], (int64_t)r * 1000 - 1500);
        }
    }
}

/* All rows emitted by instances hs[0..p), sorted, as one list for comparing runs. */
static int gather(harness *hs, int p, char **out)
{
    int n = 0;
    for (int s = 0; s < p; s++)
        for (int i = 0; i < hs[s].nrows; i++) out[n++] = hs[s].rows[i];
    qsort(out, (size_t)n, sizeof(char *), cmp_str);
    return n;
}

/*
 * Runs 30 rounds in one instance without a checkpoint, then again with a
 * checkpoint after round 12 restored into `to` instances (from `from`
 * instances), and asserts that both emit the same rows.
 */
static void check_restore(spec_fn make, wr_window_def w, int from, int to)
{
    harness *base = wr_calloc(1, sizeof(harness));
    h_init(base, 0, 1);
    h_create(base, make(&w), NULL);
    feed(base, 1, 0, 30);
    end_input(base);
    cr_assert_gt(base->nrows, 0);

    harness *first = wr_calloc((size_t)from, sizeof(harness));
    for (int s = 0; s < from; s++) {
        h_init(&first[s], s, from);
        h_create(&first[s], make(&w), NULL);
    }
    feed(first, from, 0, 12);
    wr_snapshot *snaps = wr_calloc((size_t)from, sizeof(wr_snapshot));
    parts *ps = wr_calloc(1, sizeof(parts));
    for (int s = 0; s < from; s++) {
        snap(&first[s], &snaps[s]);
        parts_add(ps, &snaps[s]);
    }
    harness *second = wr_calloc((size_t)to, sizeof(harness));
    for (int s = 0; s < to; s++) {
        h_init(&second[s], s, to);
        h_create(&second[s], make(&w), &ps->restore);
    }
    /* The instances that took the snapshot go on too: a snapshot leaves them unchanged. */
    feed(first, from, 12, 30);
    feed(second, to, 12, 30);
    for (int s = 0; s < from; s++) end_input(&first[s]);
    for (int s = 0; s < to; s++) end_input(&second[s]);

    char **all = wr_malloc(sizeof(char *) * MAX_OUT), **after = wr_malloc(sizeof(char *) * MAX_OUT),
         **cont = wr_malloc(sizeof(char *) * MAX_OUT);
    int nall = gather(base, 1, all), ncont = gather(first, from, cont);
    cr_assert_eq(ncont, nall);
    for (int i = 0; i < nall; i++) cr_assert_str_eq(cont[i], all[i]);
    /* What the restored instances emit is what the uninterrupted run emitted after the
     * checkpoint: every row minus those emitted before it. */
    int nbefore = 0;
    char **before = wr_malloc(sizeof(char *) * MAX_OUT);
    for (int s = 0; s < from; s++)
        for (int i = 0; i < first[s].nrows; i++)
            if (first[s].marks_before[i] < 12 + 0) before[nbefore++] = first[s].rows[i];
    int nafter = gather(second, to, after);
    /* Rows fired by the watermarks of rounds 0..11 came before the checkpoint. */
    cr_assert_eq(nafter + nbefore, nall, "%d after + %d before != %d", nafter, nbefore, nall);
    char **merged = wr_malloc(sizeof(char *) * MAX_OUT);
    memcpy(merged, after, sizeof(char *) * (size_t)nafter);
    memcpy(merged + nafter, before, sizeof(char *) * (size_t)nbefore);
    qsort(merged, (size_t)nall, sizeof(char *), cmp_str);
    for (int i = 0; i < nall; i++)
        cr_assert_str_eq(merged[i], all[i], "window kind %d size %lld, %d to %d instances",
                         (int)w.kind, (long long)w.size_ms, from, to);
    wr_free(merged);
    wr_free(before);
    wr_free(all);
    wr_free(after);
    wr_free(cont);
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

Test(window_agg, snapshot_restore_continues_the_same, .timeout = 120)
{
    types_init();
    check_restore(rich, tumble(3000), 1, 1);
    check_restore(rich, hop(4000, 1000), 1, 1);
    check_restore(rich, cumulate(4000, 1000), 1, 1);
    check_restore(rich, session(600), 1, 1);
    check_restore(distinct_first, hop(4000, 2000), 1, 1);
}

Test(window_agg, restore_rescales_1_to_2_and_2_to_1, .timeout = 120)
{
    types_init();
    check_restore(rich, tumble(3000), 1, 2);
    check_restore(rich, hop(4000, 1000), 2, 1);
    check_restore(rich, session(600), 1, 2);
    check_restore(rich, session(600), 2, 1);
    check_restore(distinct_first, tumble(2000), 2, 1);
    check_restore(distinct_first, hop(4000, 2000), 1, 2);
}

Test(window_agg, damaged_snapshots_are_errors)
{
    types_init();
    wr_window_def defs[] = {tumble(3000), hop(4000, 1000), session(600)};
    spec_fn makes[] = {rich, distinct_first};
    for (size_t d = 0; d < WR_ARRAY_LEN(defs); d++)
        for (size_t m = 0; m < WR_ARRAY_LEN(makes); m++) {
            if (defs[d].kind == WR_WINDOW_SESSION && makes[m] == distinct_first) continue;
            harness h;
            h_init(&h, 0, 1);
            h_create(&h, makes[m](&defs[d]), NULL);
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
            /* Every truncation and every flipped byte is an error (the part's checksum). */
            for (size_t cut = 0; cut < len; cut += 1 + len / 300) {
                part->data.len = cut;
                h_init(&h, 0, 1);
                cr_assert_null(h_create_rc(&h, makes[m](&defs[d]), &r), "cut at %zu", cut);
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
                cr_assert_null(h_create_rc(&h, makes[m](&defs[d]), &r));
                cr_assert_eq(h.err.code, WR_ERR_IO, "%s", h.err.msg);
                h_fini(&h);
            }
            /* Bytes that pass the checksum but are not what they claim: an error, never a
             * crash (ASan watches). The checksum is recomputed after each change. */
            for (int t = 0; t < 300; t++) {
                memcpy(part->data.data, orig, len);
                for (int f = 0; f < 2; f++)
                    part->data.data[rand() % (len - 8)] ^= (char)(1 + rand() % 255);
                uint64_t sum = wr_hash_bytes(part->data.data, len - 8);
                memcpy(part->data.data + len - 8, &sum, 8);
                h_init(&h, 0, 1);
                if (h_create_rc(&h, makes[m](&defs[d]), &r)) end_input(&h);
                h_fini(&h);
            }
            /* A part under another key group's number is refused. */
            memcpy(part->data.data, orig, len);
            part->keygroup = (part->keygroup + 1) % 128;
            h_init(&h, 0, 1);
            cr_assert_null(h_create_rc(&h, makes[m](&defs[d]), &r));
            cr_assert(strstr(h.err.msg, "key group"), "%s", h.err.msg);
            h_fini(&h);
            /* Another aggregation's state is refused by its header. */
            part->keygroup = (part->keygroup + 127) % 128;
            h_init(&h, 0, 1);
            wr_window_def other = defs[d];
            cr_assert_null(h_create_rc(&h, count_sum(&other), &r));
            cr_assert(strstr(h.err.msg, "header"), "%s", h.err.msg);
            h_fini(&h);
            wr_free(orig);
            wr_snapshot_fini(&s);
        }
}

/* ---- bad parameters ------------------------------------------------------------------ */

static void expect_bad(wr_window_def w, const char *what)
{
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_window_def_check(&w, &err), WR_ERR_VALIDATION, "%s accepted", what);
    cr_assert(strstr(err.msg, what), "%s: %s", what, err.msg);
    harness h;
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, count_sum(&w), NULL));
    cr_assert(strstr(h.err.msg, what), "%s: %s", what, h.err.msg);
    h_fini(&h);
}

Test(window_agg, bad_window_parameters)
{
    types_init();
    expect_bad(tumble(0), "size");
    expect_bad(hop(10000, 0), "slide");
    expect_bad(hop(10000, 3000), "multiple of the slide");
    expect_bad(cumulate(10000, -1), "step");
    expect_bad(cumulate(10000, 4000), "multiple of the step");
    expect_bad(session(0), "gap");
    wr_window_def w = tumble(1000);
    w.time_col = V; /* a BIGINT */
    harness h;
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, count_sum(&w), NULL));
    cr_assert(strstr(h.err.msg, "TIMESTAMP"), "%s", h.err.msg);
    h_fini(&h);
    w.time_col = 9;
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, count_sum(&w), NULL));
    cr_assert(strstr(h.err.msg, "column 9"), "%s", h.err.msg);
    h_fini(&h);
    /* DISTINCT over sessions is not supported yet: said, not crashed. */
    w = session(1000);
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, distinct_first(&w), NULL));
    cr_assert(strstr(h.err.msg, "not supported"), "%s", h.err.msg);
    h_fini(&h);
}
