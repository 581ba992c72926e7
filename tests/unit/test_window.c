/*
 * test_window.c — the keyed window operator (ops/window.c): assigners,
 * triggers, merging, lateness, window functions, processing time.
 *
 * The operator is driven directly, as the runtime would: rows with event
 * timestamps through process(), watermarks by setting ctx.watermark and
 * calling watermark(), processing time through on_time() with a chosen now.
 * Collectors record every emitted row (per port) and every watermark.
 */
#include <criterion/criterion.h>

#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"
#include "../../src/base/hash.h"
#include "../../src/ops/window.h"
#include "../../src/state/keygroup.h"
#include "../../src/types/row_codec.h"

#include <stdio.h>
#include <string.h>

/* ---- harness ------------------------------------------------------------- */

/* One emitted row: up to 6 integer columns and one string column. */
typedef struct rec {
    int port;
    int64_t ts;
    int64_t c[6];
    char str[256];
} rec;

typedef struct harness harness;

typedef struct capture {
    wr_collector base;
    harness *h;
    int port;
} capture;

struct harness {
    wr_op_ctx ctx;
    capture caps[2];
    wr_collector *outs[2];
    wr_schema *in, *out, *key_schema;
    wr_keysel key;
    weir_tag late;
    const weir_tag *tags[1];
    wr_window_args args;
    wr_operator_spec spec;
    wr_operator *op;
    wr_error err;
    rec recs[8192];
    int nrecs;
    int64_t marks[64]; /* forwarded watermarks */
    int mark_at[64];   /* number of rows emitted before each */
    int nmarks;
};

static int capture_push(wr_collector *self, wr_batch *batch, wr_error *err)
{
    capture *cap = (capture *)self;
    harness *h = cap->h;
    int n = wr_batch_rows(batch);
    for (int i = 0; i < n; i++) {
        int r = wr_batch_row(batch, i);
        cr_assert(h->nrecs < (int)WR_ARRAY_LEN(h->recs));
        rec *x = &h->recs[h->nrecs++];
        memset(x, 0, sizeof(*x));
        x->port = cap->port;
        x->ts = wr_batch_rowtime(batch, r);
        for (int c = 0; c < batch->ncols && c < 6; c++) {
            const wr_vector *v = &batch->cols[c];
            if (wr_vector_is_null(v, r)) continue;
            if (wr_type_is_string(v->type.id)) {
                wr_str s = ((const wr_str *)v->data)[r];
                snprintf(x->str, sizeof(x->str), "%.*s", (int)s.len, s.ptr);
            } else {
                x->c[c] = ((const int64_t *)v->data)[r];
            }
        }
    }
    return 0;
}

static int capture_mark(wr_collector *self, const wr_mark *mark, wr_error *err)
{
    capture *cap = (capture *)self;
    harness *h = cap->h;
    if (cap->port != 0 || mark->kind != WR_MARK_WATERMARK) return 0;
    cr_assert(h->nmarks < (int)WR_ARRAY_LEN(h->marks));
    h->marks[h->nmarks] = mark->time;
    h->mark_at[h->nmarks++] = h->nrecs;
    return 0;
}

static wr_schema *schema_of(const char *names, wr_type_id type, wr_type_id last)
{
    wr_schema *schema = wr_schema_new();
    char *copy = wr_strdup(names);
    char *save, *tok = strtok_r(copy, ",", &save);
    while (tok) {
        char *next = strtok_r(NULL, ",", &save);
        wr_schema_add(schema, tok, wr_type_make(next ? type : last, true));
        tok = next;
    }
    wr_free(copy);
    return schema;
}

/* Input rows are (k BIGINT, v BIGINT), keyed by k. */
static void h_init(harness *h, int subtask, int parallelism)
{
    memset(h, 0, sizeof(*h));
    h->ctx.subtask = subtask;
    h->ctx.parallelism = parallelism;
    h->ctx.max_parallelism = 128;
    h->ctx.name = "test window";
    h->ctx.watermark = INT64_MIN;
    h->ctx.out_watermark = INT64_MIN;
    h->ctx.timer_at_ms = INT64_MAX;
    for (int p = 0; p < 2; p++) {
        h->caps[p].base.push = capture_push;
        h->caps[p].base.mark = capture_mark;
        h->caps[p].h = h;
        h->caps[p].port = p;
        h->outs[p] = &h->caps[p].base;
    }
    h->ctx.out = h->outs[0];
    h->ctx.outs = h->outs;
    h->ctx.nouts = 2;
    h->in = schema_of("k,v", WR_TYPE_BIGINT, WR_TYPE_BIGINT);
    h->out = schema_of("k,ws,we,cnt,sum,vals", WR_TYPE_BIGINT, WR_TYPE_VARCHAR);
    h->key_schema = schema_of("k", WR_TYPE_BIGINT, WR_TYPE_BIGINT);
    int cols[] = {0};
    wr_keysel_init_cols(&h->key, cols, 1);
    h->late.name = "late";
    h->late.schema = h->in;
    h->tags[0] = &h->late;
    h->args.in = h->in;
    h->args.out = h->out;
    h->args.key = &h->key;
    h->args.key_schema = h->key_schema;
    h->args.tags = h->tags;
    h->args.ntags = 1;
    wr_error_init(&h->err);
}

static void h_fini(harness *h)
{
    if (h->op) h->spec.ops->destroy(h->op);
    wr_operator_spec_fini(&h->spec);
    wr_schema_free(h->in);
    wr_schema_free(h->out);
    wr_schema_free(h->key_schema);
    wr_keysel_fini(&h->key);
}

static void h_create(harness *h)
{
    h->spec = wr_window_spec(&h->args, &h->err);
    cr_assert(h->spec.ops, "%s", h->err.msg);
    h->op = h->spec.ops->create(h->spec.spec, &h->ctx, &h->err);
    cr_assert(h->op, "%s", h->err.msg);
    h->op->ctx = &h->ctx;
    if (h->spec.ops->open) cr_assert_eq(h->spec.ops->open(h->op, &h->err), 0, "%s", h->err.msg);
}

typedef struct in_row {
    int64_t k, v, ts;
} in_row;

static wr_batch *make_batch(const harness *h, const in_row *rows, int n, bool stamped)
{
    wr_batch *b = wr_batch_new(h->in->types, 2, n > 0 ? n : 1);
    int64_t *ts = stamped ? wr_batch_rowtimes(b) : NULL;
    for (int i = 0; i < n; i++) {
        ((int64_t *)b->cols[0].data)[i] = rows[i].k;
        ((int64_t *)b->cols[1].data)[i] = rows[i].v;
        if (ts) ts[i] = rows[i].ts;
    }
    b->count = n;
    return b;
}

static int push_rc(harness *h, const in_row *rows, int n, bool stamped)
{
    wr_batch *b = make_batch(h, rows, n, stamped);
    int rc = h->spec.ops->process(h->op, 0, b, &h->err);
    wr_batch_free(b);
    return rc;
}

static void push(harness *h, const in_row *rows, int n)
{
    cr_assert_eq(push_rc(h, rows, n, true), 0, "%s", h->err.msg);
}

#define ROWS(...) (in_row[]){__VA_ARGS__}, (int)(sizeof((in_row[]){__VA_ARGS__}) / sizeof(in_row))

/* As the runtime: set the combined watermark, then call the operator. */
static void watermark(harness *h, int64_t wm)
{
    h->ctx.watermark = wm;
    cr_assert_eq(h->spec.ops->watermark(h->op, wm, &h->err), 0, "%s", h->err.msg);
}

static void on_time(harness *h, int64_t now)
{
    h->ctx.timer_at_ms = INT64_MAX;
    cr_assert_eq(h->spec.ops->on_time(h->op, now, &h->err), 0, "%s", h->err.msg);
}

static void end_input(harness *h)
{
    watermark(h, INT64_MAX);
    cr_assert_eq(h->spec.ops->end_input(h->op, 0, &h->err), 0, "%s", h->err.msg);
}

static void assert_empty(harness *h)
{
    size_t entries, timers;
    wr_window_pending(h->op, &entries, &timers);
    cr_assert_eq(entries, 0, "%zu state entries left", entries);
    cr_assert_eq(timers, 0, "%zu timers left", timers);
}

/* Checks an aggregate/process result row: key, window, count, sum, timestamp end - 1. */
static void expect_result(const harness *h, int i, int64_t k, int64_t ws, int64_t we, int64_t cnt,
                          int64_t sum)
{
    cr_assert(i < h->nrecs, "result %d missing (have %d)", i, h->nrecs);
    const rec *x = &h->recs[i];
    cr_assert_eq(x->port, 0);
    cr_assert(x->c[0] == k && x->c[1] == ws && x->c[2] == we && x->c[3] == cnt && x->c[4] == sum,
              "result %d: got k=%lld [%lld,%lld) cnt=%lld sum=%lld; want k=%lld [%lld,%lld) "
              "cnt=%lld sum=%lld",
              i, (long long)x->c[0], (long long)x->c[1], (long long)x->c[2], (long long)x->c[3],
              (long long)x->c[4], (long long)k, (long long)ws, (long long)we, (long long)cnt,
              (long long)sum);
    cr_assert_eq(x->ts, we == INT64_MAX ? INT64_MAX : we - 1);
}

/* ---- window functions ----------------------------------------------------------- */

typedef struct acc {
    int64_t cnt, sum;
} acc;

static void agg_init(void *arg, void *p)
{
    memset(p, 0, sizeof(acc));
}

static void agg_add(void *arg, void *p, const weir_row *in)
{
    acc *a = p;
    a->cnt++;
    a->sum += weir_row_int(in, 1);
}

static void agg_merge(void *arg, void *p, const void *other)
{
    acc *a = p;
    const acc *b = other;
    a->cnt += b->cnt;
    a->sum += b->sum;
}

static int emit_result(weir_ctx *ctx, int64_t cnt, int64_t sum, const char *vals)
{
    const weir_row *key = weir_ctx_key(ctx);
    if (key == NULL) return weir_fail(ctx, "no key");
    weir_out *out = weir_output(ctx);
    weir_set_int(out, 0, weir_row_int(key, 0));
    weir_set_int(out, 1, weir_ctx_window_start(ctx));
    weir_set_int(out, 2, weir_ctx_window_end(ctx));
    weir_set_int(out, 3, cnt);
    weir_set_int(out, 4, sum);
    if (vals) weir_set_str(out, 5, vals, strlen(vals));
    return weir_emit(out);
}

static int agg_result(void *arg, const void *p, weir_ctx *ctx)
{
    const acc *a = p;
    if (weir_ctx_timestamp(ctx) != weir_ctx_window_end(ctx) - 1 &&
        weir_ctx_window_end(ctx) != INT64_MAX)
        return weir_fail(ctx, "result() sees timestamp %lld", (long long)weir_ctx_timestamp(ctx));
    return emit_result(ctx, a->cnt, a->sum, NULL);
}

static const weir_aggregate_fn count_sum = {sizeof(acc), agg_init, agg_add, agg_merge, agg_result};
static const weir_aggregate_fn count_sum_no_merge = {sizeof(acc), agg_init, agg_add, NULL,
                                                     agg_result};

/* Sees every row; keeps the pointers to check they stay valid for the whole call. */
static int proc_fn(void *arg, weir_rows *rows, weir_ctx *ctx)
{
    static const weir_row *seen[8192];
    int n = 0;
    int64_t sum = 0;
    char vals[256] = "";
    size_t len = 0;
    for (const weir_row *r; (r = weir_rows_next(rows)) != NULL;) {
        if (n == (int)WR_ARRAY_LEN(seen)) return weir_fail(ctx, "too many rows");
        seen[n++] = r;
        int64_t v = weir_row_int(r, 1);
        sum += v;
        if (len < 200)
            len += (size_t)snprintf(vals + len, sizeof(vals) - len, "%s%lld", len ? "," : "",
                                    (long long)v);
    }
    if (weir_rows_next(rows) != NULL) return weir_fail(ctx, "rows after the end");
    int64_t again = 0;
    for (int i = 0; i < n; i++) again += weir_row_int(seen[i], 1);
    if (again != sum) return weir_fail(ctx, "rows changed while the function ran");
    return emit_result(ctx, n, sum, vals);
}

static int sum_reduce(void *arg, const weir_row *a, const weir_row *b, weir_out *out)
{
    weir_set_int(out, 0, weir_row_int(a, 0));
    weir_set_int(out, 1, weir_row_int(a, 1) + weir_row_int(b, 1));
    return 0;
}

static void use_aggregate(harness *h, const weir_window_spec *w)
{
    h->args.window = *w;
    h->args.kind = WR_WINDOW_AGGREGATE;
    h->args.aggregate = &count_sum;
    h_create(h);
}

static void use_process(harness *h, const weir_window_spec *w)
{
    h->args.window = *w;
    h->args.kind = WR_WINDOW_PROCESS;
    h->args.process = proc_fn;
    h_create(h);
}

static void use_reduce(harness *h, const weir_window_spec *w)
{
    h->args.window = *w;
    h->args.kind = WR_WINDOW_REDUCE;
    h->args.reduce = sum_reduce;
    h->args.out = NULL;
    h_create(h);
}

static weir_window_spec tumbling(int64_t size)
{
    return (weir_window_spec){.kind = WEIR_WINDOW_TUMBLING, .size_ms = size};
}

/* ---- assigners ------------------------------------------------------------------ */

Test(window, tumbling_contents_fire_order_and_watermark)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = tumbling(10);
    use_aggregate(&h, &w);
    /* Out of order; key 1 is seen first, so its timers fire first. */
    push(&h, ROWS({1, 1, 1}, {2, 10, 3}, {1, 2, 12}, {1, 4, 5}));
    push(&h, ROWS({2, 20, 15}, {1, 8, 9}, {2, 40, 0}));
    watermark(&h, 8);
    cr_assert_eq(h.nrecs, 0);
    cr_assert_eq(h.nmarks, 1);
    cr_assert_eq(h.marks[0], 8);
    watermark(&h, 9);
    cr_assert_eq(h.nrecs, 2);
    expect_result(&h, 0, 1, 0, 10, 3, 13);
    expect_result(&h, 1, 2, 0, 10, 2, 50);
    /* The watermark goes out after the results it caused. */
    cr_assert_eq(h.marks[1], 9);
    cr_assert_eq(h.mark_at[1], 2);
    watermark(&h, 18);
    cr_assert_eq(h.nrecs, 2);
    end_input(&h);
    cr_assert_eq(h.nrecs, 4);
    expect_result(&h, 2, 1, 10, 20, 1, 2);
    expect_result(&h, 3, 2, 10, 20, 1, 20);
    cr_assert_eq(h.marks[h.nmarks - 1], INT64_MAX);
    assert_empty(&h);
    h_fini(&h);
}

Test(window, tumbling_offset_and_negative_times)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = tumbling(10);
    w.offset_ms = 3;
    use_aggregate(&h, &w);
    push(&h, ROWS({1, 1, 2}, {1, 2, -5}, {1, 4, -8}, {1, 8, 3}));
    end_input(&h);
    cr_assert_eq(h.nrecs, 3);
    /* In the order of their ends. */
    expect_result(&h, 0, 1, -17, -7, 1, 4); /* -8 */
    expect_result(&h, 1, 1, -7, 3, 2, 3);   /* 2 and -5 */
    expect_result(&h, 2, 1, 3, 13, 1, 8);   /* 3 */
    h_fini(&h);
}

Test(window, sliding_windows)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = {.kind = WEIR_WINDOW_SLIDING, .size_ms = 10, .slide_ms = 5};
    use_aggregate(&h, &w);
    /* Every row is in size / slide = 2 windows. */
    push(&h, ROWS({1, 1, 7}, {1, 10, 12}, {1, 100, 3}));
    watermark(&h, 4);
    cr_assert_eq(h.nrecs, 1);
    expect_result(&h, 0, 1, -5, 5, 1, 100);
    watermark(&h, 9);
    cr_assert_eq(h.nrecs, 2);
    expect_result(&h, 1, 1, 0, 10, 2, 101);
    watermark(&h, 14);
    cr_assert_eq(h.nrecs, 3);
    expect_result(&h, 2, 1, 5, 15, 2, 11);
    end_input(&h);
    cr_assert_eq(h.nrecs, 4);
    expect_result(&h, 3, 1, 10, 20, 1, 10);
    assert_empty(&h);
    h_fini(&h);
}

/* ---- session windows -------------------------------------------------------------- */

Test(window, session_bridging_element_merges_two_sessions)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = {.kind = WEIR_WINDOW_SESSION, .gap_ms = 10};
    use_aggregate(&h, &w);
    push(&h, ROWS({1, 1, 0}, {1, 2, 15}, {2, 100, 3}, {1, 4, 40}));
    /* Sessions of key 1: [0,10) [15,25) [40,50); nothing fires yet. */
    watermark(&h, 8);
    cr_assert_eq(h.nrecs, 0);
    /* 7 bridges [0,10) and [15,25): [0,25). */
    push(&h, ROWS({1, 8, 7}));
    watermark(&h, 12);
    cr_assert_eq(h.nrecs, 1);
    expect_result(&h, 0, 2, 3, 13, 1, 100);
    watermark(&h, 23);
    cr_assert_eq(h.nrecs, 1);
    watermark(&h, 24);
    cr_assert_eq(h.nrecs, 2);
    expect_result(&h, 1, 1, 0, 25, 3, 11);
    /* 45 extends [40,50) to [40,55); 30's [30,40) touches that at its start: [30,55). */
    push(&h, ROWS({1, 16, 45}, {1, 32, 30}));
    watermark(&h, 49);
    cr_assert_eq(h.nrecs, 2);
    end_input(&h);
    cr_assert_eq(h.nrecs, 3);
    expect_result(&h, 2, 1, 30, 55, 3, 52);
    assert_empty(&h);
    h_fini(&h);
}

Test(window, session_process_and_reduce_merge_contents)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = {.kind = WEIR_WINDOW_SESSION, .gap_ms = 10};
    use_process(&h, &w);
    push(&h, ROWS({1, 1, 0}, {1, 2, 15}, {1, 3, 30}, {1, 4, 7}, {1, 5, 22}));
    end_input(&h);
    /* 7 bridges [0,10) and [15,25); 22 extends that to [0,32), which touches [30,40). */
    cr_assert_eq(h.nrecs, 1);
    expect_result(&h, 0, 1, 0, 40, 5, 15);
    /* The earliest window's contents stay in place; the others' are appended, then the row. */
    cr_assert_str_eq(h.recs[0].str, "1,2,4,3,5");
    assert_empty(&h);
    h_fini(&h);

    h_init(&h, 0, 1);
    use_reduce(&h, &w);
    push(&h, ROWS({1, 1, 0}, {1, 2, 15}, {1, 3, 30}, {1, 4, 7}, {1, 5, 22}, {2, 7, 1}));
    end_input(&h);
    cr_assert_eq(h.nrecs, 2);
    cr_assert_eq(h.recs[0].c[0], 2);
    cr_assert_eq(h.recs[0].c[1], 7);
    cr_assert_eq(h.recs[0].ts, 10);
    cr_assert_eq(h.recs[1].c[0], 1);
    cr_assert_eq(h.recs[1].c[1], 15);
    cr_assert_eq(h.recs[1].ts, 39);
    assert_empty(&h);
    h_fini(&h);
}

Test(window, session_count_trigger_merges_counts)
{
    harness h;
    h_init(&h, 0, 1);
    weir_trigger *count = wr_trigger_count_new(3);
    weir_window_spec w = {.kind = WEIR_WINDOW_SESSION, .gap_ms = 10, .trigger = count};
    use_aggregate(&h, &w);
    push(&h, ROWS({1, 1, 0}, {1, 2, 15}));
    cr_assert_eq(h.nrecs, 0);
    /* The bridge merges counts 1 + 1, and its own makes 3: the merged window fires at once. */
    push(&h, ROWS({1, 4, 7}));
    cr_assert_eq(h.nrecs, 1);
    expect_result(&h, 0, 1, 0, 25, 3, 7);
    /* A count trigger never fires on time; the window is cleaned up at its end. */
    end_input(&h);
    cr_assert_eq(h.nrecs, 1);
    assert_empty(&h);
    h_fini(&h);
    wr_trigger_free(count);
}

Test(window, session_late_rows)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = {.kind = WEIR_WINDOW_SESSION, .gap_ms = 10, .late_tag = &h.late};
    use_aggregate(&h, &w);
    push(&h, ROWS({1, 1, 0}));
    watermark(&h, 9);
    cr_assert_eq(h.nrecs, 1);
    expect_result(&h, 0, 1, 0, 10, 1, 1);
    /* [2,12) is not late: a new session. [-20,-10) is, and so is its row. */
    push(&h, ROWS({1, 2, 2}, {1, 3, -20}));
    cr_assert_eq(h.nrecs, 2);
    cr_assert_eq(h.recs[1].port, 1);
    cr_assert_eq(h.recs[1].c[1], 3);
    cr_assert_eq(h.recs[1].ts, -20);
    end_input(&h);
    cr_assert_eq(h.nrecs, 3);
    expect_result(&h, 2, 1, 2, 12, 1, 2);
    assert_empty(&h);
    h_fini(&h);
}

/* ---- triggers ---------------------------------------------------------------------- */

Test(window, count_trigger_fires_every_n_rows_without_purging)
{
    harness h;
    h_init(&h, 0, 1);
    weir_trigger *count = wr_trigger_count_new(2);
    weir_window_spec w = tumbling(100);
    w.trigger = count;
    use_aggregate(&h, &w);
    push(&h, ROWS({1, 1, 5}, {2, 50, 5}, {1, 2, 1}, {1, 3, 9}, {1, 4, 2}, {1, 5, 3}));
    cr_assert_eq(h.nrecs, 2);
    expect_result(&h, 0, 1, 0, 100, 2, 3);
    expect_result(&h, 1, 1, 0, 100, 4, 10);
    end_input(&h);
    cr_assert_eq(h.nrecs, 2);
    assert_empty(&h);
    h_fini(&h);
    wr_trigger_free(count);
}

Test(window, purging_trigger)
{
    harness h;
    h_init(&h, 0, 1);
    weir_trigger *count = wr_trigger_count_new(2);
    weir_trigger *purging = wr_trigger_purging_new(count);
    weir_window_spec w = tumbling(100);
    w.trigger = purging;
    use_aggregate(&h, &w);
    push(&h, ROWS({1, 1, 5}, {1, 2, 1}, {1, 3, 9}, {1, 4, 2}, {1, 5, 3}));
    cr_assert_eq(h.nrecs, 2);
    expect_result(&h, 0, 1, 0, 100, 2, 3);
    expect_result(&h, 1, 1, 0, 100, 2, 7);
    end_input(&h);
    cr_assert_eq(h.nrecs, 2);
    assert_empty(&h);
    h_fini(&h);

    /* Purging the event-time trigger: the window fires once at its end, then is empty. */
    weir_trigger *purging_et = wr_trigger_purging_new(&wr_trigger_event_time);
    h_init(&h, 0, 1);
    w.trigger = purging_et;
    w.allowed_lateness_ms = 50;
    use_aggregate(&h, &w);
    push(&h, ROWS({1, 1, 5}, {1, 2, 1}));
    watermark(&h, 99);
    cr_assert_eq(h.nrecs, 1);
    expect_result(&h, 0, 1, 0, 100, 2, 3);
    /* Late within lateness: fires with the new row only, since the window was purged. */
    push(&h, ROWS({1, 7, 50}));
    cr_assert_eq(h.nrecs, 2);
    expect_result(&h, 1, 1, 0, 100, 1, 7);
    end_input(&h);
    cr_assert_eq(h.nrecs, 2);
    assert_empty(&h);
    h_fini(&h);
    wr_trigger_free(purging_et);
    wr_trigger_free(purging);
    wr_trigger_free(count);
}

/* A user trigger: fires and purges once the window's sum reaches 10 (VALUE state "sum"). */
static const weir_state_desc sum_state = {.name = "sum", .kind = WEIR_STATE_VALUE};
static const weir_state_desc *const sum_states[] = {&sum_state, NULL};

static weir_trigger_result sum_on_element(void *arg, const weir_row *row, weir_ctx *ctx)
{
    if (weir_ctx_window_end(ctx) - weir_ctx_window_start(ctx) != 100) {
        weir_fail(ctx, "trigger sees window [%lld, %lld)", (long long)weir_ctx_window_start(ctx),
                  (long long)weir_ctx_window_end(ctx));
        return WEIR_CONTINUE;
    }
    if (weir_ctx_timestamp(ctx) != weir_row_timestamp(row)) {
        weir_fail(ctx, "trigger does not see the row's timestamp");
        return WEIR_CONTINUE;
    }
    int64_t sum = weir_state_int(ctx, &sum_state, 0) + weir_row_int(row, 1);
    if (sum < 10) {
        weir_state_update_int(ctx, &sum_state, sum);
        return WEIR_CONTINUE;
    }
    weir_state_clear(ctx, &sum_state);
    return WEIR_FIRE_AND_PURGE;
}

static weir_trigger_result sum_on_time(void *arg, int64_t time, weir_ctx *ctx)
{
    return WEIR_CONTINUE;
}

static void sum_clear(void *arg, weir_ctx *ctx)
{
    weir_state_clear(ctx, &sum_state);
}

static weir_trigger_result bad_on_element(void *arg, const weir_row *row, weir_ctx *ctx)
{
    return (weir_trigger_result)7;
}

Test(window, user_trigger_with_state_per_key_and_window)
{
    harness h;
    h_init(&h, 0, 1);
    weir_trigger t = {sum_on_element, sum_on_time, sum_on_time, NULL, sum_clear, sum_states, NULL};
    weir_window_spec w = tumbling(100);
    w.trigger = &t;
    use_aggregate(&h, &w);
    push(&h, ROWS({1, 3, 5}, {2, 9, 5}, {1, 4, 150}, {1, 4, 6}, {1, 5, 7}));
    cr_assert_eq(h.nrecs, 1);
    expect_result(&h, 0, 1, 0, 100, 3, 12);
    push(&h, ROWS({1, 9, 8}, {2, 1, 9}, {1, 1, 10}));
    cr_assert_eq(h.nrecs, 3);
    expect_result(&h, 1, 2, 0, 100, 2, 10);
    expect_result(&h, 2, 1, 0, 100, 2, 10);
    end_input(&h);
    cr_assert_eq(h.nrecs, 3);
    assert_empty(&h);
    h_fini(&h);

    /* A trigger answering nonsense fails the job. */
    h_init(&h, 0, 1);
    weir_trigger bad = {.on_element = bad_on_element};
    w.trigger = &bad;
    use_aggregate(&h, &w);
    cr_assert_neq(push_rc(&h, ROWS({1, 1, 1}), true), 0);
    cr_assert(strstr(h.err.msg, "not a weir_trigger_result"), "%s", h.err.msg);
    h_fini(&h);
}

/* ---- lateness -------------------------------------------------------------------------- */

Test(window, allowed_lateness_late_firing_then_side_output)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = tumbling(10);
    w.allowed_lateness_ms = 5;
    w.late_tag = &h.late;
    use_aggregate(&h, &w);
    push(&h, ROWS({1, 1, 1}, {1, 2, 2}));
    watermark(&h, 9);
    cr_assert_eq(h.nrecs, 1);
    expect_result(&h, 0, 1, 0, 10, 2, 3);
    /* Late, within the lateness: a second firing with the updated result. */
    push(&h, ROWS({1, 4, 3}));
    cr_assert_eq(h.nrecs, 2);
    expect_result(&h, 1, 1, 0, 10, 3, 7);
    watermark(&h, 13);
    push(&h, ROWS({1, 8, 0}));
    cr_assert_eq(h.nrecs, 3);
    expect_result(&h, 2, 1, 0, 10, 4, 15);
    /* At 14 the window's state goes; a row for it is then late, to the side output as it is. */
    watermark(&h, 14);
    assert_empty(&h);
    push(&h, ROWS({1, 16, 4}));
    cr_assert_eq(h.nrecs, 4);
    const rec *x = &h.recs[3];
    cr_assert_eq(x->port, 1);
    cr_assert_eq(x->c[0], 1);
    cr_assert_eq(x->c[1], 16);
    cr_assert_eq(x->ts, 4);
    cr_assert_eq(wr_window_late_rows(h.op), 0);
    /* Rows for later windows are on time. */
    push(&h, ROWS({1, 32, 10}));
    end_input(&h);
    cr_assert_eq(h.nrecs, 5);
    expect_result(&h, 4, 1, 10, 20, 1, 32);
    assert_empty(&h);
    h_fini(&h);
}

Test(window, late_rows_dropped_and_counted)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = tumbling(10);
    use_process(&h, &w);
    push(&h, ROWS({1, 1, 1}));
    watermark(&h, 10);
    cr_assert_eq(h.nrecs, 1);
    push(&h, ROWS({1, 2, 5}, {2, 3, 9}, {1, 4, 11}));
    cr_assert_eq(wr_window_late_rows(h.op), 2);
    end_input(&h);
    cr_assert_eq(h.nrecs, 2);
    expect_result(&h, 1, 1, 10, 20, 1, 4);
    for (int i = 0; i < h.nrecs; i++) cr_assert_eq(h.recs[i].port, 0);
    h_fini(&h);
}

/* ---- window functions -------------------------------------------------------------------- */

Test(window, process_function_sees_every_row)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = tumbling(10000);
    use_process(&h, &w);
    push(&h, ROWS({1, 5, 30}, {1, 6, 10}, {2, 1, 40}, {1, 7, 20}));
    /* Many rows: decoded over several batches, all valid during the call. */
    enum { MANY = 3000 };
    in_row *rows = wr_malloc(MANY * sizeof(in_row));
    int64_t sum = 0;
    for (int i = 0; i < MANY; i++) {
        rows[i] = (in_row){3, i, (i * 7919) % 10000};
        sum += i;
    }
    for (int at = 0; at < MANY; at += 1000) push(&h, rows + at, 1000);
    wr_free(rows);
    end_input(&h);
    cr_assert_eq(h.nrecs, 3);
    expect_result(&h, 0, 1, 0, 10000, 3, 18);
    cr_assert_str_eq(h.recs[0].str, "5,6,7");
    expect_result(&h, 1, 2, 0, 10000, 1, 1);
    expect_result(&h, 2, 3, 0, 10000, MANY, sum);
    assert_empty(&h);
    h_fini(&h);
}

Test(window, reduce_emits_reduced_row_at_window_end)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = tumbling(10);
    use_reduce(&h, &w);
    push(&h, ROWS({1, 1, 3}, {1, 2, 4}, {2, 5, 5}, {1, 3, 14}, {1, 4, 1}));
    watermark(&h, 9);
    cr_assert_eq(h.nrecs, 2);
    cr_assert(h.recs[0].c[0] == 1 && h.recs[0].c[1] == 7 && h.recs[0].ts == 9);
    cr_assert(h.recs[1].c[0] == 2 && h.recs[1].c[1] == 5 && h.recs[1].ts == 9);
    end_input(&h);
    cr_assert_eq(h.nrecs, 3);
    cr_assert(h.recs[2].c[0] == 1 && h.recs[2].c[1] == 3 && h.recs[2].ts == 19);
    assert_empty(&h);
    h_fini(&h);
}

static int failing_reduce(void *arg, const weir_row *a, const weir_row *b, weir_out *out)
{
    return -1;
}

Test(window, failing_reduce_fails_the_job)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = tumbling(10);
    use_reduce(&h, &w);
    h.args.reduce = failing_reduce; /* the spec copied the args: make a new operator */
    h.spec.ops->destroy(h.op);
    wr_operator_spec_fini(&h.spec);
    h_create(&h);
    push(&h, ROWS({1, 1, 3}));
    cr_assert_neq(push_rc(&h, ROWS({1, 2, 4}), true), 0);
    cr_assert(strstr(h.err.msg, "reduce"), "%s", h.err.msg);
    h_fini(&h);
}

/* ---- global windows ---------------------------------------------------------------------- */

Test(window, global_window_with_count_trigger)
{
    harness h;
    h_init(&h, 0, 1);
    weir_trigger *count = wr_trigger_count_new(3);
    weir_trigger *purging = wr_trigger_purging_new(count);
    weir_window_spec w = {.kind = WEIR_WINDOW_GLOBAL, .trigger = purging};
    use_aggregate(&h, &w);
    /* Global windows need no timestamps. */
    cr_assert_eq(
        push_rc(&h, ROWS({1, 1, 0}, {1, 2, 0}, {2, 9, 0}, {1, 3, 0}, {1, 4, 0}, {1, 5, 0}), false),
        0, "%s", h.err.msg);
    cr_assert_eq(h.nrecs, 1);
    expect_result(&h, 0, 1, INT64_MIN, INT64_MAX, 3, 6);
    push(&h, ROWS({1, 6, 1}, {2, 9, 2}, {2, 9, 3}));
    cr_assert_eq(h.nrecs, 3);
    expect_result(&h, 1, 1, INT64_MIN, INT64_MAX, 3, 15);
    expect_result(&h, 2, 2, INT64_MIN, INT64_MAX, 3, 27);
    end_input(&h);
    cr_assert_eq(h.nrecs, 3); /* a count trigger does not fire at the end */
    h_fini(&h);
    wr_trigger_free(purging);

    /* Without purging, the contents accumulate. */
    h_init(&h, 0, 1);
    w.trigger = count;
    use_aggregate(&h, &w);
    push(&h, ROWS({1, 1, 0}, {1, 2, 0}, {1, 3, 0}, {1, 4, 0}, {1, 5, 0}, {1, 6, 0}));
    cr_assert_eq(h.nrecs, 2);
    expect_result(&h, 0, 1, INT64_MIN, INT64_MAX, 3, 6);
    expect_result(&h, 1, 1, INT64_MIN, INT64_MAX, 6, 21);
    h_fini(&h);
    wr_trigger_free(count);
}

/* ---- processing time ------------------------------------------------------------------------ */

Test(window, processing_time_tumbling)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = tumbling(50);
    w.processing_time = true;
    use_aggregate(&h, &w);
    int64_t before = wr_clock_wall_ms();
    /* Processing-time windows need no event timestamps; one batch is one moment. */
    cr_assert_eq(push_rc(&h, ROWS({1, 1, 0}, {2, 2, 0}, {1, 3, 0}), false), 0, "%s", h.err.msg);
    int64_t after = wr_clock_wall_ms();
    int64_t timer = h.ctx.timer_at_ms;
    cr_assert_neq(timer, INT64_MAX);
    cr_assert_eq((timer + 1) % 50, 0);
    cr_assert(timer >= before && timer < after + 50);
    /* Watermarks do not fire processing-time windows. */
    watermark(&h, INT64_MAX - 1);
    cr_assert_eq(h.nrecs, 0);
    on_time(&h, timer - 1);
    cr_assert_eq(h.nrecs, 0);
    cr_assert_eq(h.ctx.timer_at_ms, timer);
    on_time(&h, timer);
    cr_assert_eq(h.nrecs, 2);
    expect_result(&h, 0, 1, timer + 1 - 50, timer + 1, 2, 4);
    expect_result(&h, 1, 2, timer + 1 - 50, timer + 1, 1, 2);
    cr_assert_eq(h.ctx.timer_at_ms, INT64_MAX);
    assert_empty(&h);
    h_fini(&h);
}

Test(window, processing_time_sessions_merge)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = {.kind = WEIR_WINDOW_SESSION, .gap_ms = 60000, .processing_time = true};
    use_process(&h, &w);
    int64_t before = wr_clock_wall_ms();
    cr_assert_eq(push_rc(&h, ROWS({1, 1, 0}), false), 0, "%s", h.err.msg);
    cr_assert_eq(push_rc(&h, ROWS({1, 2, 0}), false), 0, "%s", h.err.msg);
    cr_assert_eq(push_rc(&h, ROWS({1, 3, 0}), false), 0, "%s", h.err.msg);
    int64_t after = wr_clock_wall_ms();
    cr_assert(h.ctx.timer_at_ms >= before + 60000 - 1 && h.ctx.timer_at_ms <= after + 60000);
    on_time(&h, before);
    cr_assert_eq(h.nrecs, 0);
    on_time(&h, after + 60000);
    cr_assert_eq(h.nrecs, 1);
    cr_assert_eq(h.recs[0].c[3], 3);
    cr_assert_str_eq(h.recs[0].str, "1,2,3");
    cr_assert(h.recs[0].c[1] >= before && h.recs[0].c[2] <= after + 60000);
    cr_assert_eq(h.ctx.timer_at_ms, INT64_MAX);
    assert_empty(&h);
    h_fini(&h);
}

/* ---- errors and parallelism -------------------------------------------------------------------
 */

Test(window, event_time_row_without_timestamp_fails)
{
    harness h;
    h_init(&h, 0, 1);
    weir_window_spec w = tumbling(10);
    use_aggregate(&h, &w);
    cr_assert_neq(push_rc(&h, ROWS({1, 1, 0}), false), 0);
    cr_assert(strstr(h.err.msg, "weir_assign_timestamps"), "%s", h.err.msg);
    cr_assert(strstr(h.err.msg, "no event timestamp"), "%s", h.err.msg);
    h_fini(&h);
}

static void expect_spec_error(harness *h, const char *want)
{
    wr_error_init(&h->err);
    wr_operator_spec spec = wr_window_spec(&h->args, &h->err);
    cr_assert_null(spec.ops, "expected an error about '%s'", want);
    cr_assert(strstr(h->err.msg, want), "'%s' does not mention '%s'", h->err.msg, want);
}

Test(window, spec_errors)
{
    harness h;
    h_init(&h, 0, 1);
    weir_trigger no_merge = {.on_element = sum_on_element};
    h.args.kind = WR_WINDOW_AGGREGATE;
    h.args.aggregate = &count_sum;
    h.args.window = tumbling(0);
    expect_spec_error(&h, "positive size");
    h.args.window = tumbling(10);
    h.args.window.offset_ms = -10;
    expect_spec_error(&h, "offset");
    h.args.window = (weir_window_spec){.kind = WEIR_WINDOW_SLIDING, .size_ms = 10};
    expect_spec_error(&h, "slide");
    h.args.window = (weir_window_spec){.kind = WEIR_WINDOW_SESSION};
    expect_spec_error(&h, "positive gap");
    h.args.window = (weir_window_spec){.kind = WEIR_WINDOW_GLOBAL};
    expect_spec_error(&h, "global windows");
    h.args.window = (weir_window_spec){.kind = WEIR_WINDOW_SESSION, .gap_ms = 5};
    h.args.aggregate = &count_sum_no_merge;
    expect_spec_error(&h, "merge()");
    h.args.aggregate = &count_sum;
    h.args.window.trigger = &no_merge;
    expect_spec_error(&h, "on_merge");
    h.args.window = tumbling(10);
    h.args.window.allowed_lateness_ms = -1;
    expect_spec_error(&h, "lateness");
    weir_tag other = {"other", h.out};
    h.args.window = tumbling(10);
    h.args.window.late_tag = &other;
    expect_spec_error(&h, "schema");
    weir_tag unknown = {"unknown", h.in};
    h.args.window.late_tag = &unknown;
    expect_spec_error(&h, "not one of the job's");
    h.args.window.late_tag = NULL;
    wr_keysel none = {0};
    h.args.key = &none;
    expect_spec_error(&h, "keyed stream");
    h_fini(&h);
}

/* Key groups: each of 3 subtasks accepts exactly the keys routed to it. */
Test(window, subtasks_own_their_key_groups)
{
    int total = 0;
    for (int s = 0; s < 3; s++) {
        harness h;
        h_init(&h, s, 3);
        weir_window_spec w = tumbling(10);
        use_aggregate(&h, &w);
        wr_batch *one = wr_batch_new(h.in->types, 2, 1);
        one->count = 1;
        wr_buf key;
        wr_buf_init(&key);
        in_row rows[300];
        int n = 0;
        for (int64_t k = 0; k < 300; k++) {
            ((int64_t *)one->cols[0].data)[0] = k;
            wr_buf_reset(&key);
            cr_assert_eq(wr_keysel_encode(&h.key, one, 0, &key, &h.err), 0);
            int g = wr_keygroup_of_hash(wr_hash_bytes(key.data, key.len), 128);
            if (wr_keygroup_subtask(g, 128, 3) == s) rows[n++] = (in_row){k, 1, 1};
        }
        wr_buf_fini(&key);
        wr_batch_free(one);
        push(&h, rows, n);
        end_input(&h);
        cr_assert_eq(h.nrecs, n);
        total += n;
        h_fini(&h);
    }
    cr_assert_eq(total, 300);
}
