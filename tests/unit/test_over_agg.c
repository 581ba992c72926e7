/*
 * test_over_agg.c — the streaming OVER aggregation (ops/over_agg.h), driven
 * as the runtime would: ROWS and RANGE frames, bounded and unbounded, peers,
 * out-of-order rows released by watermarks, late rows, processing time with
 * a fake clock, every kind of aggregate, refused specs, end of input, state
 * TTL, large peer groups, a randomized comparison with the batch OVER
 * operator (ops/over.h) on the same rows, and checkpoints (restore, rescale,
 * damaged bytes).
 *
 * Every emitted row is kept as text (timestamps in ms) with the number of
 * watermarks forwarded before it.
 */
#include <criterion/criterion.h>

#include "../../src/base/alloc.h"
#include "../../src/base/hash.h"
#include "../../src/ops/over_agg.h"
#include "../../src/state/keygroup.h"
#include "../../src/state/keysel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Input columns: k BIGINT, v BIGINT, ts TIMESTAMP(3), s VARCHAR. */
enum { K, V, TS, S, NIN };

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
}

/* ---- driving an instance ------------------------------------------------------------- */

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
    char **rows; /* emitted rows as text */
    int *marks_before;
    int nrows, cap_rows;
    int nmarks;
};

static void format_value(const wr_vector *v, int r, wr_buf *out)
{
    if (wr_vector_is_null(v, r)) {
        wr_buf_puts(out, "N");
        return;
    }
    switch ((wr_type_id)v->type.id) {
    case WR_TYPE_BIGINT:
        wr_buf_printf(out, "%lld", (long long)((const int64_t *)v->data)[r]);
        break;
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
        wr_buf_printf(out, "%lld", (long long)(((const int64_t *)v->data)[r] / 1000));
        break;
    case WR_TYPE_DOUBLE:
        wr_buf_printf(out, "%.3f", ((const double *)v->data)[r]);
        break;
    case WR_TYPE_VARCHAR: {
        wr_str s = ((const wr_str *)v->data)[r];
        wr_buf_printf(out, "'%.*s'", (int)s.len, s.ptr);
        break;
    }
    default:
        wr_vector_format(v, r, WR_FORMAT_SQL, out); /* ARRAY_AGG's arrays, ... */
    }
}

static int cap_push(wr_collector *self, wr_batch *batch, wr_error *err)
{
    harness *h = ((tcap *)self)->h;
    int n = wr_batch_rows(batch);
    wr_buf line;
    wr_buf_init(&line);
    for (int i = 0; i < n; i++) {
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
        h->rows[h->nrows] = wr_strdup(line.data);
        h->marks_before[h->nrows] = h->nmarks;
        h->nrows++;
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
    h->ctx.name = "test over agg";
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

static void h_clear(harness *h)
{
    for (int i = 0; i < h->nrows; i++) wr_free(h->rows[i]);
    h->nrows = 0;
}

static void h_fini(harness *h)
{
    if (h->op) h->spec.ops->destroy(h->op);
    h->op = NULL;
    wr_operator_spec_fini(&h->spec);
    h_clear(h);
    wr_free(h->rows);
    wr_free(h->marks_before);
    h->rows = NULL;
    h->marks_before = NULL;
    h->cap_rows = 0;
}

/* Creates the operator of spec (taking it over), restoring from restore; NULL on error. */
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

static wr_batch *make_batch(const in_row *rows, int n)
{
    wr_batch *b = wr_batch_new(in_types, NIN, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        const in_row *x = &rows[i];
        ((int64_t *)b->cols[K].data)[i] = x->k;
        ((int64_t *)b->cols[V].data)[i] = x->v;
        ((int64_t *)b->cols[TS].data)[i] = x->ts * 1000;
        ((wr_str *)b->cols[S].data)[i] = x->s ? wr_batch_str(b, x->s, strlen(x->s)) : (wr_str){0};
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
    h->ctx.watermark = t;
    cr_assert_eq(h->spec.ops->watermark(h->op, t, &h->err), 0, "%s", h->err.msg);
}

static void end_input(harness *h)
{
    cr_assert_eq(h->spec.ops->end_input(h->op, 0, &h->err), 0, "%s", h->err.msg);
    wm(h, INT64_MAX);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Asserts that rows [from, h->nrows) are exactly want: in order, or as a multiset. */
static void expect_rows(harness *h, int from, bool ordered, const char *const *want, int nwant)
{
    int n = h->nrows - from;
    char **got = wr_malloc(sizeof(char *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) got[i] = h->rows[from + i];
    const char **w = wr_malloc(sizeof(char *) * (size_t)(nwant + 1));
    memcpy(w, want, sizeof(char *) * (size_t)nwant);
    if (!ordered) {
        qsort(got, (size_t)n, sizeof(char *), cmp_str);
        qsort(w, (size_t)nwant, sizeof(char *), cmp_str);
    }
    for (int i = 0; i < n && i < nwant; i++)
        cr_assert_str_eq(got[i], w[i], "row %d of %d: got %s, want %s", i, n, got[i], w[i]);
    cr_assert_eq(n, nwant, "got %d rows, want %d", n, nwant);
    wr_free(got);
    wr_free(w);
}

#define WANT(...)                                                                                  \
    (const char *const[]){__VA_ARGS__},                                                            \
        (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
#define EXPECT(h, from, ...) expect_rows(h, from, false, WANT(__VA_ARGS__))
#define EXPECT_SEQ(h, from, ...) expect_rows(h, from, true, WANT(__VA_ARGS__))

/* ---- calls ------------------------------------------------------------------------------ */

static wr_agg_call agg(const char *name, int arg)
{
    wr_agg_call c;
    memset(&c, 0, sizeof(c));
    c.filter = -1;
    wr_type args[1];
    if (arg >= 0) {
        c.args[0] = arg;
        args[0] = in_types[arg];
        c.nargs = 1;
    }
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_agg_resolve(name, args, c.nargs, false, 0, &c.kind, &c.type, &err), 0, "%s: %s",
                 name, err.msg);
    return c;
}

/* name(arg) OVER (ROWS n PRECEDING), n < 0: UNBOUNDED PRECEDING. */
static wr_over_call rows_call(const char *name, int arg, int64_t n)
{
    types_init();
    wr_over_call c;
    memset(&c, 0, sizeof(c));
    c.kind = WR_OVER_AGG;
    c.agg = agg(name, arg);
    c.lower = n < 0 ? WR_OVER_UNBOUNDED : -n;
    return c;
}

/* name(arg) OVER (RANGE INTERVAL ms PRECEDING), ms < 0: UNBOUNDED PRECEDING. */
static wr_over_call range_call(const char *name, int arg, int64_t ms)
{
    wr_over_call c = rows_call(name, arg, -1);
    c.range = true;
    c.lower = ms < 0 ? WR_OVER_UNBOUNDED : -ms * 1000; /* the time column's units */
    return c;
}

static const int by_k[] = {K};

static wr_operator_spec over_spec(const wr_over_call *calls, int ncalls)
{
    types_init();
    return wr_over_agg_spec(in_types, NIN, by_k, 1, TS, false, calls, ncalls, NULL);
}

/* ---- frames ---------------------------------------------------------------------------- */

Test(over_agg, rows_frames_release_in_time_order_on_watermarks)
{
    wr_over_call calls[] = {rows_call("SUM", V, 1), rows_call("COUNT", -1, 1),
                            rows_call("MIN", V, 2), rows_call("MAX", V, 2),
                            rows_call("SUM", V, -1)};
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, over_spec(calls, 5), NULL);
    push(&h, ROWS({1, 5, 1000, NULL, 0}, {1, 1, 3000, NULL, 0}, {1, 7, 2000, NULL, 0},
                  {2, 10, 1500, NULL, 0}));
    wm(&h, 999);
    cr_assert_eq(h.nrows, 0, "nothing is due before 1000");
    wm(&h, 2000);
    EXPECT(&h, 0, "1|5|1000|N|5|1|5|5|5", "1|7|2000|N|12|2|5|7|12", "2|10|1500|N|10|1|10|10|10");
    /* Within a partition rows come in time order, before the watermark that released them. */
    int i1000 = -1, i2000 = -1;
    for (int i = 0; i < h.nrows; i++) {
        if (strncmp(h.rows[i], "1|5|", 4) == 0) i1000 = i;
        if (strncmp(h.rows[i], "1|7|", 4) == 0) i2000 = i;
        cr_assert_eq(h.marks_before[i], 1);
    }
    cr_assert_lt(i1000, i2000);
    cr_assert_eq(h.nmarks, 2);
    /* An out-of-order row still ahead of the watermark takes its place in time. */
    push(&h, ROWS({1, 3, 2500, NULL, 0}));
    wm(&h, 3000);
    EXPECT_SEQ(&h, 3, "1|3|2500|N|10|2|3|7|15", "1|1|3000|N|4|2|1|7|16");
    cr_assert_eq(wr_over_agg_late_rows(h.op), 0);
    h_fini(&h);
}

Test(over_agg, range_frames_give_peers_the_same_result)
{
    wr_over_call calls[] = {range_call("SUM", V, 1000), range_call("COUNT", -1, 1000),
                            range_call("MAX", V, 1000), range_call("COUNT", -1, -1),
                            rows_call("COUNT", -1, -1)};
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, over_spec(calls, 5), NULL);
    push(&h, ROWS({1, 8, 2000, NULL, 0}, {1, 1, 1000, NULL, 0}, {1, 32, 3500, NULL, 0}));
    push(&h, ROWS({1, 16, 2001, NULL, 0}, {1, 2, 1000, NULL, 0}, {1, 4, 1500, NULL, 0}));
    wm(&h, 3500);
    /* RANGE: peers (1000) share a result; ROWS counts them one by one, in arrival order. */
    EXPECT_SEQ(&h, 0, "1|1|1000|N|3|2|2|2|1", "1|2|1000|N|3|2|2|2|2", "1|4|1500|N|7|3|4|3|3",
               "1|8|2000|N|15|4|8|4|4", "1|16|2001|N|28|3|16|5|5", "1|32|3500|N|32|1|32|6|6");
    /* The frame keeps sliding over later releases: 1 s before 4000 holds 3500 (32) only. */
    push(&h, ROWS({1, 64, 4000, NULL, 0}, {1, 128, 4501, NULL, 0}));
    end_input(&h);
    EXPECT_SEQ(&h, 6, "1|64|4000|N|96|2|64|7|7", "1|128|4501|N|192|2|128|8|8");
    h_fini(&h);
}

Test(over_agg, late_rows_are_dropped_and_counted_and_end_of_input_releases_all)
{
    wr_over_call calls[] = {rows_call("COUNT", -1, -1)};
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, over_spec(calls, 1), NULL);
    push(&h, ROWS({1, 1, 100, NULL, 0}, {1, 2, 300, NULL, 0}));
    wm(&h, 200);
    EXPECT(&h, 0, "1|1|100|N|1");
    /* 200 is at the watermark, 150 below it: late. 201 is not; neither is a NULL time
     * (dropped, but not late). */
    push(&h, ROWS({1, 3, 200, NULL, 0}, {1, 4, 150, NULL, 0}, {1, 5, 201, NULL, 0},
                  {1, 6, 0, NULL, TSNULL}));
    cr_assert_eq(wr_over_agg_late_rows(h.op), 2);
    wm(&h, 150); /* a watermark that does not advance changes nothing */
    cr_assert_eq(h.nrows, 1);
    push(&h, ROWS({2, 7, 5000, NULL, 0}));
    end_input(&h);
    EXPECT_SEQ(&h, 1, "1|5|201|N|2", "1|2|300|N|3", "2|7|5000|N|1");
    h_fini(&h);
}

Test(over_agg, changelog_input_and_bad_specs_are_refused)
{
    wr_over_call ok[] = {rows_call("SUM", V, 2)};
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, over_spec(ok, 1), NULL);
    wr_batch *b = make_batch(ROWS({1, 1, 1, NULL, 0}, {1, 1, 2, NULL, 0}));
    wr_batch_kinds(b)[1] = WR_KIND_UPDATE_BEFORE;
    cr_assert_neq(h.spec.ops->process(h.op, 0, b, &h.err), 0);
    cr_assert(strstr(h.err.msg, "over aggregation") && strstr(h.err.msg, "insert-only"), "%s",
              h.err.msg);
    wr_batch_free(b);
    h_fini(&h);

    static const struct {
        wr_over_kind kind;
        const char *name;
    } ranks[] = {{WR_OVER_ROW_NUMBER, "ROW_NUMBER"},
                 {WR_OVER_RANK, "RANK"},
                 {WR_OVER_DENSE_RANK, "DENSE_RANK"}};
    for (size_t i = 0; i < sizeof(ranks) / sizeof(ranks[0]); i++) {
        wr_over_call c[2] = {rows_call("SUM", V, 2)};
        c[1].kind = ranks[i].kind;
        c[1].lower = WR_OVER_UNBOUNDED;
        h_init(&h, 0, 1);
        cr_assert_null(h_create_rc(&h, over_spec(c, 2), NULL));
        cr_assert_eq(h.err.code, WR_ERR_VALIDATION);
        cr_assert(strstr(h.err.msg, ranks[i].name), "%s", h.err.msg);
        h_fini(&h);
    }

    wr_over_call c = rows_call("SUM", V, 2);
    c.upper = 1; /* ... AND 1 FOLLOWING */
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, over_spec(&c, 1), NULL));
    cr_assert(strstr(h.err.msg, "CURRENT ROW"), "%s", h.err.msg);
    h_fini(&h);

    c = rows_call("SUM", V, 2);
    c.agg.distinct = true;
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, over_spec(&c, 1), NULL));
    cr_assert(strstr(h.err.msg, "DISTINCT"), "%s", h.err.msg);
    h_fini(&h);

    c = rows_call("SUM", V, 2);
    c.agg.args[0] = 9;
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, over_spec(&c, 1), NULL));
    cr_assert_eq(h.err.code, WR_ERR_VALIDATION, "%s", h.err.msg);
    h_fini(&h);

    /* Ordered by something that is not a time attribute. */
    c = rows_call("SUM", V, 2);
    h_init(&h, 0, 1);
    cr_assert_null(
        h_create_rc(&h, wr_over_agg_spec(in_types, NIN, by_k, 1, V, false, &c, 1, NULL), NULL));
    cr_assert(strstr(h.err.msg, "time attribute"), "%s", h.err.msg);
    h_fini(&h);
}

/* ---- every function ---------------------------------------------------------------------- */

Test(over_agg, every_aggregate_kind_over_a_sliding_and_a_running_frame)
{
    const char *names[] = {"COUNT", "COUNT", "SUM",         "AVG",        "MIN",    "MAX",
                           "MIN",   "MAX",   "FIRST_VALUE", "LAST_VALUE", "LISTAGG"};
    int args[] = {V, -1, V, V, V, V, S, S, S, S, S};
    enum { NC = 11 };
    wr_over_call calls[2 * NC];
    for (int i = 0; i < NC; i++) {
        calls[i] = rows_call(names[i], args[i], 2);
        calls[NC + i] = rows_call(names[i], args[i], -1);
    }
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, over_spec(calls, 2 * NC), NULL);
    push(&h, ROWS({1, 4, 1000, "b", 0}, {1, 0, 2000, "a", VNULL}, {1, 10, 3000, NULL, 0},
                  {1, 2, 4000, "c", 0}));
    end_input(&h);
    /* ROWS 2 PRECEDING (frames r1, r1-2, r1-3, r2-4), then UNBOUNDED PRECEDING. */
    EXPECT_SEQ(&h, 0,
               "1|4|1000|'b'|1|1|4|4|4|4|'b'|'b'|'b'|'b'|'b'"
               "|1|1|4|4|4|4|'b'|'b'|'b'|'b'|'b'",
               "1|N|2000|'a'|1|2|4|4|4|4|'a'|'b'|'b'|'a'|'b,a'"
               "|1|2|4|4|4|4|'a'|'b'|'b'|'a'|'b,a'",
               "1|10|3000|N|2|3|14|7|4|10|'a'|'b'|'b'|'a'|'b,a'"
               "|2|3|14|7|4|10|'a'|'b'|'b'|'a'|'b,a'",
               "1|2|4000|'c'|2|3|12|6|2|10|'a'|'c'|'a'|'c'|'a,c'"
               "|3|4|16|5|2|10|'a'|'c'|'b'|'c'|'b,a,c'");
    h_fini(&h);
}

/* ---- processing time ----------------------------------------------------------------------- */

static int64_t fake_now;
static int64_t fake_clock(void *arg)
{
    return fake_now;
}

Test(over_agg, processing_time_processes_rows_on_arrival)
{
    types_init();
    wr_over_call calls[] = {rows_call("SUM", V, 1), range_call("SUM", V, 1000),
                            range_call("COUNT", -1, -1)};
    wr_over_agg_opts opts = {.clock = fake_clock};
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, wr_over_agg_spec(in_types, NIN, by_k, 1, -1, true, calls, 3, &opts), NULL);
    fake_now = 10000;
    push(&h, ROWS({1, 1, 0, NULL, 0}, {1, 2, 0, NULL, 0}, {2, 100, 0, NULL, 0}));
    /* Rows arriving together are not peers in processing time: one after the other. */
    EXPECT(&h, 0, "1|1|0|N|1|1|1", "1|2|0|N|3|3|2", "2|100|0|N|100|100|1");
    fake_now = 10500;
    push(&h, ROWS({1, 4, 0, NULL, 0}));
    fake_now = 11200; /* 1 s back is 10200: 10500 and now */
    push(&h, ROWS({1, 8, 0, NULL, 0}));
    fake_now = 12500;
    push(&h, ROWS({1, 16, 0, NULL, 0}));
    EXPECT_SEQ(&h, 3, "1|4|0|N|6|7|3", "1|8|0|N|12|12|4", "1|16|0|N|24|16|5");
    /* Watermarks and the end of input change nothing. */
    wm(&h, 100000);
    end_input(&h);
    cr_assert_eq(h.nrows, 6);
    h_fini(&h);
}

Test(over_agg, state_ttl_drops_idle_partitions)
{
    types_init();
    wr_over_call calls[] = {rows_call("COUNT", -1, -1), rows_call("SUM", V, 1)};
    wr_over_agg_opts opts = {.state_ttl_ms = 1000, .clock = fake_clock};
    harness h;
    h_init(&h, 0, 1);
    fake_now = 0;
    h_create(&h, wr_over_agg_spec(in_types, NIN, by_k, 1, TS, false, calls, 2, &opts), NULL);
    push(&h, ROWS({1, 1, 100, NULL, 0}, {2, 1, 100, NULL, 0}));
    wm(&h, 100);
    fake_now = 900;
    push(&h, ROWS({2, 2, 200, NULL, 0}, {3, 5, 5000, NULL, 0}));
    wm(&h, 200);
    /* Key 1 was idle for 1 s: it starts over; key 2 was touched at 900; key 3 waits for the
     * watermark, which keeps it although it is idle. */
    fake_now = 1850;
    push(&h, ROWS({1, 3, 300, NULL, 0}, {2, 4, 300, NULL, 0}));
    fake_now = 4000;
    push(&h, ROWS({4, 1, 400, NULL, 0}));
    wm(&h, 6000);
    EXPECT(&h, 0, "1|1|100|N|1|1", "2|1|100|N|1|1", "2|2|200|N|2|3", "1|3|300|N|1|3",
           "2|4|300|N|3|6", "4|1|400|N|1|1", "3|5|5000|N|1|5");
    h_fini(&h);
}

/* ---- against the batch operator ---------------------------------------------------------- */

/* Output rows of the batch OVER operator over rows[0..n), ordered by ts, in text. */
static char **batch_over(const wr_over_call *calls, int ncalls, const in_row *rows, int n,
                         int *nout)
{
    harness h;
    h_init(&h, 0, 1);
    wr_sort_key order = {TS, false, true};
    h_create(&h, wr_over_spec(in_types, NIN, by_k, 1, &order, 1, calls, ncalls), NULL);
    for (int i = 0; i < n; i += 700) push(&h, rows + i, WR_MIN(700, n - i));
    cr_assert_eq(h.spec.ops->end_input(h.op, 0, &h.err), 0, "%s", h.err.msg);
    char **out = h.rows;
    *nout = h.nrows;
    h.rows = NULL;
    h.nrows = 0;
    h_fini(&h);
    return out;
}

static void free_rows(char **rows, int n)
{
    for (int i = 0; i < n; i++) wr_free(rows[i]);
    wr_free(rows);
}

static const char *const words[] = {"alpha", "beta", "a-rather-long-string-value", "d", "", "zz"};

/*
 * Feeds rows[0..n) in random batches with watermarks just below the earliest row still to
 * come (so none is late but many arrive out of order), then compares every output row with
 * the batch operator's over the same rows.
 */
static void compare_with_batch(const wr_over_call *calls, int ncalls, in_row *rows, int n,
                               unsigned seed)
{
    srand(seed);
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, over_spec(calls, ncalls), NULL);
    int64_t *suffix_min = wr_malloc(sizeof(int64_t) * (size_t)(n + 1));
    suffix_min[n] = INT64_MAX;
    for (int i = n - 1; i >= 0; i--) suffix_min[i] = WR_MIN(rows[i].ts, suffix_min[i + 1]);
    for (int i = 0; i < n;) {
        int want = 1 + rand() % 300, m = WR_MIN(n - i, want);
        push(&h, rows + i, m);
        i += m;
        if (i < n && rand() % 3 == 0) wm(&h, suffix_min[i] - 1);
    }
    end_input(&h);
    cr_assert_eq(wr_over_agg_late_rows(h.op), 0);
    int nb;
    char **want = batch_over(calls, ncalls, rows, n, &nb);
    cr_assert_eq(h.nrows, nb, "streaming gave %d rows, batch %d", h.nrows, nb);
    qsort(h.rows, (size_t)h.nrows, sizeof(char *), cmp_str);
    qsort(want, (size_t)nb, sizeof(char *), cmp_str);
    for (int i = 0; i < nb; i++) cr_assert_str_eq(h.rows[i], want[i], "seed %u row %d", seed, i);
    free_rows(want, nb);
    wr_free(suffix_min);
    h_fini(&h);
}

/* n random rows over nk keys, times in [0, span) ms arriving with a disorder of about lag. */
static in_row *random_rows(int n, int nk, int64_t span, int64_t lag, unsigned seed)
{
    srand(seed);
    in_row *rows = wr_malloc(sizeof(in_row) * (size_t)n);
    for (int i = 0; i < n; i++) {
        int64_t base = span * i / n;
        int64_t ts = base + (lag ? rand() % lag : 0);
        rows[i] = (in_row){rand() % nk, rand() % 100 - 30, ts, words[rand() % 6], 0};
        if (rand() % 9 == 0) rows[i].flags |= VNULL;
        if (rand() % 11 == 0) rows[i].s = NULL;
        if (rand() % 23 == 0) rows[i].flags |= KNULL;
    }
    return rows;
}

static void random_calls(wr_over_call *calls, int *n)
{
    int k = 0;
    calls[k++] = rows_call("SUM", V, 0);
    calls[k++] = rows_call("SUM", V, 3);
    calls[k++] = rows_call("COUNT", -1, 5);
    calls[k++] = rows_call("MIN", V, 3);
    calls[k++] = rows_call("MAX", S, 4);
    calls[k++] = rows_call("AVG", V, -1);
    calls[k++] = rows_call("LAST_VALUE", S, 2);
    calls[k++] = rows_call("COUNT", V, -1);
    calls[k++] = range_call("SUM", V, 5);
    calls[k++] = range_call("MAX", V, 7);
    calls[k++] = range_call("MIN", S, 3);
    calls[k++] = range_call("COUNT", -1, 0);
    calls[k++] = range_call("SUM", V, -1);
    calls[k++] = range_call("LISTAGG", S, 2);
    calls[k++] = rows_call("STDDEV_POP", V, 4);
    calls[k++] = range_call("VAR_SAMP", V, 6);
    calls[k++] = rows_call("ARRAY_AGG", V, 2);
    calls[k++] = range_call("FIRST_VALUE", V, 4);
    *n = k;
}

Test(over_agg, random_streams_match_the_batch_operator, .timeout = 120)
{
    types_init();
    wr_over_call calls[24];
    int ncalls;
    random_calls(calls, &ncalls);
    struct {
        int n, nk;
        int64_t span, lag;
    } cfgs[] = {
        {3000, 7, 2000, 40}, {4000, 60, 800, 100}, {2000, 3, 100000, 5000}, {3000, 1, 1500, 30}};
    for (unsigned c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++)
        for (unsigned seed = 1; seed <= 3; seed++) {
            in_row *rows =
                random_rows(cfgs[c].n, cfgs[c].nk, cfgs[c].span, cfgs[c].lag, seed * 31 + c);
            compare_with_batch(calls, ncalls, rows, cfgs[c].n, seed);
            wr_free(rows);
        }
}

Test(over_agg, large_peer_groups_and_partitions_span_output_batches, .timeout = 120)
{
    types_init();
    wr_over_call calls[24];
    int ncalls;
    random_calls(calls, &ncalls);
    /* 2500 rows of one partition at one time, then more around it: peer groups larger than
     * an output batch, and releases of thousands of rows. */
    int n = 6000;
    in_row *rows = wr_malloc(sizeof(in_row) * (size_t)n);
    srand(7);
    for (int i = 0; i < n; i++) {
        int64_t ts = i < 2500 ? 1000 : (i < 3000 ? 1000 + i % 3 : 2000 + i % 700);
        rows[i] = (in_row){i % 2 == 0 || i < 2500 ? 1 : 2, rand() % 50, ts, words[i % 6], 0};
    }
    compare_with_batch(calls, ncalls, rows, n, 9);
    wr_free(rows);
}

Test(over_agg, states_that_start_over_keep_memory_bounded, .timeout = 120)
{
    /* Functions that cannot retract start over on every row of a sliding frame, leaving
     * their strings behind in the heap, which is rebuilt from the live states now and then. */
    types_init();
    wr_over_call calls[] = {rows_call("LAST_VALUE", S, 2), rows_call("MIN", S, 5),
                            rows_call("FIRST_VALUE", S, 1), range_call("MAX", S, 3)};
    static char text[8][200];
    for (int i = 0; i < 8; i++) {
        memset(text[i], 'a' + i, 199);
        text[i][199] = 0;
    }
    int n = 60000;
    in_row *rows = wr_malloc(sizeof(in_row) * (size_t)n);
    srand(3);
    for (int i = 0; i < n; i++)
        rows[i] = (in_row){i % 3, i, i / 2, text[rand() % 8] + rand() % 150, 0};
    compare_with_batch(calls, 4, rows, n, 11);
    wr_free(rows);
}

Test(over_agg, state_bytes_count_the_rows_held_and_kept)
{
    /* Rows wait for the watermark in their partition's pending queue; a 500-row frame keeps
     * the last rows released. Both are state, and go when the rows leave. */
    wr_over_call calls[] = {rows_call("SUM", V, 500)};
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, over_spec(calls, 1), NULL);
    size_t (*bytes)(const wr_operator *) = h.spec.ops->state_bytes;
    cr_assert_not_null(bytes);
    size_t empty = bytes(h.op);
    static in_row rows[4000];
    static char text[100];
    memset(text, 'x', sizeof(text) - 1);
    for (int i = 0; i < 4000; i++) rows[i] = (in_row){i % 2, i, 10000 + i, text, 0};
    push(&h, rows, 4000);
    size_t held = bytes(h.op);
    /* Each row's bytes hold the 99-byte string: the queues grow past 2 partitions x 2000 rows. */
    cr_assert_geq(held, empty + 4000 * 100, "%zu bytes with 4000 rows held, %zu without", held,
                  empty);
    wm(&h, 20000); /* releases every row; each partition keeps its last 500 for the frame */
    size_t kept = bytes(h.op);
    cr_assert_lt(kept, held, "released rows leave: %zu bytes, %zu before", kept, held);
    cr_assert_geq(kept, empty + 1000 * 100, "the frame's 2 x 500 rows are still kept: %zu", kept);
    cr_assert_eq(h.nrows, 4000);
    h_fini(&h);
}

/* ---- checkpoints --------------------------------------------------------------------------- */

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

static wr_operator_spec rich(void)
{
    wr_over_call calls[] = {rows_call("SUM", V, 3),       rows_call("MIN", S, 2),
                            range_call("COUNT", -1, 600), range_call("MAX", V, 900),
                            rows_call("LISTAGG", S, -1),  range_call("AVG", V, -1)};
    return over_spec(calls, 6);
}

/* Rows of round r: keys 0..19, times in [r s - 500 ms, r s + 500 ms). */
static void round_rows(int r, in_row *rows, int n)
{
    for (int i = 0; i < n; i++)
        rows[i] = (in_row){i % 20, (i * 7 + r) % 13, (int64_t)r * 1000 - 500 + (i * 37) % 1000,
                           words[(i + r) % 6], 0};
}

/* The subtask of p instances that owns the key of row (as the hash exchange routes). */
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
            wm(&hs[s], (int64_t)r * 1000 - 600);
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

/*
 * Runs 20 rounds in one instance, then again with a checkpoint after round 8
 * restored into `to` instances (from `from`), and asserts that the rows
 * emitted after the checkpoint plus those before it are the uninterrupted run's.
 */
static void check_restore(int from, int to)
{
    enum { ROUNDS = 20, AT = 8, MAXR = 4000 };
    harness *base = wr_calloc(1, sizeof(harness));
    h_init(base, 0, 1);
    h_create(base, rich(), NULL);
    feed(base, 1, 0, ROUNDS);
    end_input(base);
    cr_assert_eq(base->nrows, ROUNDS * 100);

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
    int nm = 0;
    for (int s = 0; s < from; s++)
        for (int i = 0; i < first[s].nrows; i++)
            if (first[s].marks_before[i] < AT) merged[nm++] = first[s].rows[i];
    nm += gather(second, to, merged + nm);
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

Test(over_agg, snapshot_restore_continues_the_same, .timeout = 120)
{
    check_restore(1, 1);
}

Test(over_agg, restore_rescales_1_to_2_and_2_to_1, .timeout = 120)
{
    check_restore(1, 2);
    check_restore(2, 1);
}

Test(over_agg, damaged_snapshots_are_errors, .timeout = 120)
{
    harness h;
    h_init(&h, 0, 1);
    h_create(&h, rich(), NULL);
    feed(&h, 1, 0, 4);
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
    /* Another operator's state is refused by its header. */
    memcpy(part->data.data, orig, len);
    wr_over_call other[] = {rows_call("SUM", V, 3)};
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, over_spec(other, 1), &r));
    cr_assert(strstr(h.err.msg, "header"), "%s", h.err.msg);
    h_fini(&h);
    /* A part under another key group's number is refused. */
    part->keygroup = (part->keygroup + 1) % 128;
    h_init(&h, 0, 1);
    cr_assert_null(h_create_rc(&h, rich(), &r));
    cr_assert(strstr(h.err.msg, "key group"), "%s", h.err.msg);
    h_fini(&h);
    wr_free(orig);
    wr_snapshot_fini(&s);
}
