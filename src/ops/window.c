/*
 * window.c — the keyed window operator; see window.h.
 *
 * Per row: the key bytes become the current key of the keyed backend, the
 * assigner gives the row's windows, and each window that is not yet late
 * takes the row into its contents (state "weir.window-contents" under the
 * window as namespace: an accumulator, an encoded reduced row, or a list of
 * encoded rows); then the trigger says whether to fire or purge. Timers
 * (the trigger's, and the cleanup timer at maxTimestamp + allowed lateness)
 * carry the window as namespace too; the watermark and processing time fire
 * them. Session windows keep, per key, the in-flight windows and the window
 * whose namespace holds each one's contents (Flink's MergingWindowSet) in
 * "weir.window-merging", so merging never copies contents it need not.
 *
 * A namespace is a window's start and end as two little-endian int64. The
 * global window is [INT64_MIN, INT64_MAX) with maxTimestamp INT64_MAX.
 */
#include "window.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/vec.h"
#include "../state/keygroup.h"
#include "../types/row_codec.h"

#include <string.h>

#define NS_LEN 16
#define WR_PREFETCH_ROWS 1024 /* rows whose lookups are announced at once */
#define WR_PREFETCH_AHEAD 8   /* rows between pulling an entry and using it */

typedef struct win {
    int64_t start, end;
} win;

/* An in-flight session window and the window whose namespace keeps its contents. */
typedef struct mwin {
    win w, state;
} mwin;

typedef struct window_spec {
    wr_window_args a; /* its pointers lead to the copies below */
    wr_schema *in, *out, *key_schema;
    wr_keysel key;
    int *cols;                   /* 0..in->ncols-1: encodes whole rows */
    const weir_trigger *trigger; /* the window's, or the assigner's default */
    bool event_time;             /* an event-time assigner: lateness, watermark cleanup */
    bool merging;                /* session windows */
    /*
     * The built-in trigger of a non-merging assigner's time, inlined. Its timer is
     * registered only when a window gets its first row: while a window has
     * contents its trigger and cleanup timers are pending (or the trigger
     * timer already fired), since the cleanup timer is what removes them.
     */
    bool fast_event, fast_proc;
} window_spec;

/* Decoded rows of a firing process window: weir_row pointers stay valid for the whole call. */
typedef struct rows_chunk {
    wr_batch *batch;
    weir_row rows[WR_BATCH_CAPACITY];
} rows_chunk;

typedef struct window_op {
    wr_operator base;
    const window_spec *spec;
    wr_udf u;
    wr_keyed *keyed;
    wr_timers *timers;
    int contents_id, merging_id;
    wr_buf key, scratch, scratch2;
    uint8_t ns[NS_LEN];  /* the window that u.ns points at */
    WR_VEC(win) wins;    /* windows of the current row */
    WR_VEC(mwin) mset;   /* session windows of the current key, as loaded */
    WR_VEC(win) merged;  /* windows of one merge */
    WR_VEC(win) sources; /* their state windows other than the target's */
    bool mset_dirty;
    void *acc, *acc2;    /* aggregate: accumulators of acc_size bytes */
    wr_batch *acc_batch; /* reduce: decoded accumulators (2 rows, for merges) */
    wr_udf red;          /* reduce: builds the new accumulator; never emits */
    WR_VEC(rows_chunk *) chunks;
    int64_t late_dropped;
    /* Prefetching a batch's lookups: its rows' key bytes, where each starts, their hints. */
    wr_buf keys;
    uint32_t key_at[WR_PREFETCH_ROWS + 1];
    wr_keyed_hint hints[WR_PREFETCH_ROWS];
} window_op;

struct weir_rows {
    window_op *op;
    uint8_t ns[NS_LEN]; /* the state window */
    size_t pos;         /* in the list state */
    int nrows;          /* decoded so far */
    bool done;
};

static const wr_operator_ops window_ops;

/* ---- windows and namespaces ------------------------------------------------ */

static void put_le64(uint8_t *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(u >> (8 * i));
}

static int64_t get_le64(const uint8_t *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)p[i] << (8 * i);
    return (int64_t)u;
}

static void win_encode(win w, uint8_t *ns)
{
    put_le64(ns, w.start);
    put_le64(ns + 8, w.end);
}

static win win_decode(const uint8_t *ns)
{
    return (win){get_le64(ns), get_le64(ns + 8)};
}

static bool win_eq(win a, win b)
{
    return a.start == b.start && a.end == b.end;
}

/* Flink's TimeWindow.intersects: touching windows merge too. */
static bool win_touch(win a, win b)
{
    return a.start <= b.end && a.end >= b.start;
}

/* Flink's window.maxTimestamp(): end - 1, and INT64_MAX for the global window. */
static int64_t win_max(win w)
{
    return w.end == INT64_MAX ? INT64_MAX : w.end - 1;
}

/* When a window's state goes: maxTimestamp + allowed lateness (event time), saturating. */
static int64_t cleanup_time(const window_op *op, win w)
{
    int64_t max = win_max(w), lateness = op->spec->a.window.allowed_lateness_ms;
    if (!op->spec->event_time) return max;
    return max > INT64_MAX - lateness ? INT64_MAX : max + lateness;
}

static bool window_late(const window_op *op, win w)
{
    return op->spec->event_time && cleanup_time(op, w) <= op->base.ctx->watermark;
}

static bool element_late(const window_op *op, int64_t ts)
{
    int64_t lateness = op->spec->a.window.allowed_lateness_ms;
    if (!op->spec->event_time) return false;
    int64_t t = ts > INT64_MAX - lateness ? INT64_MAX : ts + lateness;
    return t <= op->base.ctx->watermark;
}

/* Makes w the window of the context: namespace of state and timers, bounds for callbacks. */
static void set_window(window_op *op, win w)
{
    win_encode(w, op->ns);
    op->u.ns = op->ns;
    op->u.nslen = NS_LEN;
    op->u.window_start = w.start;
    op->u.window_end = w.end;
}

/* Flink's TimeWindow.getWindowStartWithOffset; false on overflow. */
static bool start_with_offset(int64_t ts, int64_t offset, int64_t size, int64_t *start)
{
    int64_t x;
    if (__builtin_sub_overflow(ts, offset, &x)) return false;
    int64_t rem = x % size;
    if (rem < 0) rem += size;
    return !__builtin_sub_overflow(ts, rem, start);
}

static int out_of_range(window_op *op, int64_t ts, wr_error *err)
{
    return wr_error_set(err, WR_ERR_RUNTIME,
                        "window operator '%s': time %lld is out of range for its windows",
                        op->base.ctx->name ? op->base.ctx->name : "window", (long long)ts);
}

/* The windows of a row at time ts (event or processing time) into op->wins. */
static int assign(window_op *op, int64_t ts, wr_error *err)
{
    const weir_window_spec *ws = &op->spec->a.window;
    op->wins.n = 0;
    int64_t start, end;
    switch (ws->kind) {
    case WEIR_WINDOW_TUMBLING:
        if (!start_with_offset(ts, ws->offset_ms, ws->size_ms, &start) ||
            __builtin_add_overflow(start, ws->size_ms, &end))
            return out_of_range(op, ts, err);
        WR_VEC_PUSH(&op->wins, ((win){start, end}));
        return 0;
    case WEIR_WINDOW_SLIDING: {
        int64_t lowest;
        if (!start_with_offset(ts, ws->offset_ms, ws->slide_ms, &start) ||
            __builtin_sub_overflow(ts, ws->size_ms, &lowest))
            return out_of_range(op, ts, err);
        /* Latest window first, as Flink's SlidingEventTimeWindows. */
        while (start > lowest) {
            if (__builtin_add_overflow(start, ws->size_ms, &end)) return out_of_range(op, ts, err);
            WR_VEC_PUSH(&op->wins, ((win){start, end}));
            if (__builtin_sub_overflow(start, ws->slide_ms, &start)) break;
        }
        return 0;
    }
    case WEIR_WINDOW_SESSION:
        if (__builtin_add_overflow(ts, ws->gap_ms, &end)) return out_of_range(op, ts, err);
        WR_VEC_PUSH(&op->wins, ((win){ts, end}));
        return 0;
    case WEIR_WINDOW_GLOBAL:
        WR_VEC_PUSH(&op->wins, ((win){INT64_MIN, INT64_MAX}));
        return 0;
    }
    return wr_error_set(err, WR_ERR_INTERNAL, "unknown window kind %d", (int)ws->kind);
}

/* ---- built-in triggers -------------------------------------------------------- */

static int64_t ctx_max(const weir_ctx *ctx)
{
    int64_t end = weir_ctx_window_end(ctx);
    return end == INT64_MAX ? INT64_MAX : end - 1;
}

static weir_trigger_result never_fire(void *arg, int64_t time, weir_ctx *ctx)
{
    return WEIR_CONTINUE;
}

static weir_trigger_result et_on_element(void *arg, const weir_row *row, weir_ctx *ctx)
{
    int64_t max = ctx_max(ctx);
    if (max <= weir_ctx_watermark(ctx)) return WEIR_FIRE; /* late, within allowed lateness */
    weir_timer_event(ctx, max);
    return WEIR_CONTINUE;
}

static weir_trigger_result et_on_event_time(void *arg, int64_t time, weir_ctx *ctx)
{
    return time == ctx_max(ctx) ? WEIR_FIRE : WEIR_CONTINUE;
}

static void et_on_merge(void *arg, weir_ctx *ctx)
{
    int64_t max = ctx_max(ctx);
    if (max > weir_ctx_watermark(ctx)) weir_timer_event(ctx, max);
}

static void et_clear(void *arg, weir_ctx *ctx)
{
    weir_timer_delete_event(ctx, ctx_max(ctx));
}

const weir_trigger wr_trigger_event_time = {
    .on_element = et_on_element,
    .on_event_time = et_on_event_time,
    .on_processing_time = never_fire,
    .on_merge = et_on_merge,
    .clear = et_clear,
};

static weir_trigger_result pt_on_element(void *arg, const weir_row *row, weir_ctx *ctx)
{
    weir_timer_processing(ctx, ctx_max(ctx));
    return WEIR_CONTINUE;
}

static weir_trigger_result pt_on_processing_time(void *arg, int64_t time, weir_ctx *ctx)
{
    return WEIR_FIRE;
}

static void pt_on_merge(void *arg, weir_ctx *ctx)
{
    int64_t max = ctx_max(ctx);
    if (max > weir_ctx_processing_time(ctx)) weir_timer_processing(ctx, max);
}

static void pt_clear(void *arg, weir_ctx *ctx)
{
    weir_timer_delete_processing(ctx, ctx_max(ctx));
}

const weir_trigger wr_trigger_processing_time = {
    .on_element = pt_on_element,
    .on_event_time = never_fire,
    .on_processing_time = pt_on_processing_time,
    .on_merge = pt_on_merge,
    .clear = pt_clear,
};

/* Fires when a window has count rows, then starts counting again (Flink's CountTrigger). */
typedef struct count_trigger {
    weir_trigger base; /* first: wr_trigger_free frees the whole */
    int64_t count;
    weir_state_desc desc; /* REDUCING: the window's count so far */
    const weir_state_desc *descs[2];
} count_trigger;

static void count_sum(void *arg, void *acc, const void *value)
{
    int64_t a, b;
    memcpy(&a, acc, sizeof(a));
    memcpy(&b, value, sizeof(b));
    a += b;
    memcpy(acc, &a, sizeof(a));
}

static weir_trigger_result ct_on_element(void *arg, const weir_row *row, weir_ctx *ctx)
{
    count_trigger *ct = arg;
    int64_t one = 1;
    weir_state_add(ctx, &ct->desc, &one, sizeof(one));
    if (weir_state_int(ctx, &ct->desc, 0) < ct->count) return WEIR_CONTINUE;
    weir_state_clear(ctx, &ct->desc);
    return WEIR_FIRE;
}

/* The operator has merged the counts of the merged windows already; a merge never fires. */
static void ct_on_merge(void *arg, weir_ctx *ctx) {}

static void ct_clear(void *arg, weir_ctx *ctx)
{
    count_trigger *ct = arg;
    weir_state_clear(ctx, &ct->desc);
}

weir_trigger *wr_trigger_count_new(int64_t count)
{
    assert(count >= 1);
    count_trigger *ct = wr_calloc(1, sizeof(*ct));
    ct->count = count;
    ct->desc.name = "weir.count-trigger";
    ct->desc.kind = WEIR_STATE_REDUCING;
    ct->desc.size = sizeof(int64_t);
    ct->desc.reduce = count_sum;
    ct->descs[0] = &ct->desc;
    ct->base.on_element = ct_on_element;
    ct->base.on_event_time = never_fire;
    ct->base.on_processing_time = never_fire;
    ct->base.on_merge = ct_on_merge;
    ct->base.clear = ct_clear;
    ct->base.states = ct->descs;
    ct->base.arg = ct;
    return &ct->base;
}

/* Turns the inner trigger's FIRE into FIRE_AND_PURGE (Flink's PurgingTrigger). */
typedef struct purging_trigger {
    weir_trigger base;
    const weir_trigger *inner; /* borrowed */
} purging_trigger;

static weir_trigger_result purged(weir_trigger_result r)
{
    return (r & WEIR_FIRE) ? WEIR_FIRE_AND_PURGE : r;
}

static weir_trigger_result pg_on_element(void *arg, const weir_row *row, weir_ctx *ctx)
{
    const weir_trigger *in = ((purging_trigger *)arg)->inner;
    return in->on_element ? purged(in->on_element(in->arg, row, ctx)) : WEIR_CONTINUE;
}

static weir_trigger_result pg_on_event_time(void *arg, int64_t time, weir_ctx *ctx)
{
    const weir_trigger *in = ((purging_trigger *)arg)->inner;
    return in->on_event_time ? purged(in->on_event_time(in->arg, time, ctx)) : WEIR_CONTINUE;
}

static weir_trigger_result pg_on_processing_time(void *arg, int64_t time, weir_ctx *ctx)
{
    const weir_trigger *in = ((purging_trigger *)arg)->inner;
    return in->on_processing_time ? purged(in->on_processing_time(in->arg, time, ctx))
                                  : WEIR_CONTINUE;
}

static void pg_on_merge(void *arg, weir_ctx *ctx)
{
    const weir_trigger *in = ((purging_trigger *)arg)->inner;
    in->on_merge(in->arg, ctx);
}

static void pg_clear(void *arg, weir_ctx *ctx)
{
    const weir_trigger *in = ((purging_trigger *)arg)->inner;
    if (in->clear) in->clear(in->arg, ctx);
}

weir_trigger *wr_trigger_purging_new(const weir_trigger *inner)
{
    assert(inner != NULL);
    purging_trigger *pt = wr_calloc(1, sizeof(*pt));
    pt->inner = inner;
    pt->base.on_element = pg_on_element;
    pt->base.on_event_time = pg_on_event_time;
    pt->base.on_processing_time = pg_on_processing_time;
    pt->base.on_merge = inner->on_merge ? pg_on_merge : NULL; /* merges when the inner one does */
    pt->base.clear = pg_clear;
    pt->base.states = inner->states;
    pt->base.arg = pt;
    return &pt->base;
}

void wr_trigger_free(weir_trigger *trigger)
{
    assert(trigger != &wr_trigger_event_time && trigger != &wr_trigger_processing_time);
    wr_free(trigger);
}

/* ---- calling the trigger ------------------------------------------------------- */

/* A trigger's answer, or a negative code when it misused the context or answered nonsense. */
static int trig_result(window_op *op, int r, const char *what, wr_error *err)
{
    int rc = wr_udf_check(&op->u, 0, what, err);
    if (rc) return rc;
    if (r < WEIR_CONTINUE || r > WEIR_FIRE_AND_PURGE)
        return wr_error_set(err, WR_ERR_RUNTIME,
                            "the window trigger's %s returned %d, which is not a "
                            "weir_trigger_result",
                            what, r);
    return r;
}

/* The trigger callbacks run with the window set in the context (set_window). */
static int trig_on_element(window_op *op, const weir_row *row, wr_error *err)
{
    const weir_trigger *t = op->spec->trigger;
    if (t->on_element == NULL) return WEIR_CONTINUE;
    op->u.err = err;
    return trig_result(op, (int)t->on_element(t->arg, row, &op->u), "on_element()", err);
}

static int trig_on_time(window_op *op, wr_time_domain domain, int64_t time, wr_error *err)
{
    const weir_trigger *t = op->spec->trigger;
    weir_trigger_result (*fn)(void *, int64_t, weir_ctx *) =
        domain == WR_EVENT_TIME ? t->on_event_time : t->on_processing_time;
    if (fn == NULL) return WEIR_CONTINUE;
    op->u.err = err;
    return trig_result(op, (int)fn(t->arg, time, &op->u),
                       domain == WR_EVENT_TIME ? "on_event_time()" : "on_processing_time()", err);
}

static int trig_on_merge(window_op *op, wr_error *err)
{
    const weir_trigger *t = op->spec->trigger;
    op->u.err = err;
    t->on_merge(t->arg, &op->u);
    return wr_udf_check(&op->u, 0, "window trigger on_merge()", err);
}

static int trig_clear(window_op *op, wr_error *err)
{
    const weir_trigger *t = op->spec->trigger;
    if (t->clear == NULL) return 0;
    op->u.err = err;
    t->clear(t->arg, &op->u);
    return wr_udf_check(&op->u, 0, "window trigger clear()", err);
}

/* ---- timers ----------------------------------------------------------------------- */

/* A timer of the current key for the window in ns. */
static void timer_add(window_op *op, wr_time_domain domain, int64_t time, const uint8_t *ns)
{
    size_t klen;
    const void *key = wr_keyed_key(op->keyed, &klen);
    wr_timers_register(op->timers, domain, time, key, klen, ns, NS_LEN,
                       wr_keyed_keygroup(op->keyed));
    if (domain == WR_PROCESSING_TIME && time < op->base.ctx->timer_at_ms)
        op->base.ctx->timer_at_ms = time;
}

static wr_time_domain cleanup_domain(const window_op *op)
{
    return op->spec->event_time ? WR_EVENT_TIME : WR_PROCESSING_TIME;
}

static void cleanup_register(window_op *op, win w, const uint8_t *ns)
{
    int64_t t = cleanup_time(op, w);
    if (t != INT64_MAX) timer_add(op, cleanup_domain(op), t, ns);
}

static void cleanup_delete(window_op *op, win w)
{
    int64_t t = cleanup_time(op, w);
    if (t == INT64_MAX) return;
    uint8_t ns[NS_LEN];
    win_encode(w, ns);
    size_t klen;
    const void *key = wr_keyed_key(op->keyed, &klen);
    wr_timers_delete(op->timers, cleanup_domain(op), t, key, klen, ns, NS_LEN);
}

/* ---- window contents ------------------------------------------------------------ */

/* Copies a stored accumulator into acc, or starts a new one. */
static void acc_load(window_op *op, void *acc, const void *cur, size_t len)
{
    const weir_aggregate_fn *fn = op->spec->a.aggregate;
    if (cur && len == fn->acc_size)
        memcpy(acc, cur, fn->acc_size);
    else if (fn->init)
        fn->init(op->spec->a.arg, acc);
    else
        memset(acc, 0, fn->acc_size);
}

static int decode_row(wr_batch *batch, const void *data, size_t len, wr_error *err)
{
    int rc = wr_row_decode_append(batch, data, len, err);
    return rc < 0 ? rc : 0;
}

/*
 * Calls the reduce function on acc and in with a builder on a scratch batch,
 * and appends the encoded new accumulator to out.
 */
static int reduce_rows(window_op *op, const weir_row *acc, const weir_row *in, wr_buf *out,
                       wr_error *err)
{
    const window_spec *spec = op->spec;
    wr_batch *nb = op->red.outs[0].batch;
    wr_batch_reset(nb);
    op->red.outs[0].open = false;
    weir_out *builder = weir_output(&op->red);
    op->red.err = err;
    int rc = wr_udf_check(&op->red, spec->a.reduce(spec->a.arg, acc, in, builder),
                          "window reduce function", err);
    op->red.outs[0].open = false;
    if (rc) return rc;
    wr_row_encode(nb, 0, spec->cols, spec->in->ncols, out);
    return 0;
}

/*
 * Adds physical row r of in to the contents kept under ns. *fresh tells
 * whether there were none before (computed only for the fast triggers).
 */
static int contents_add(window_op *op, const wr_batch *in, int r, const uint8_t *ns, bool *fresh,
                        wr_error *err)
{
    const window_spec *spec = op->spec;
    const wr_window_args *a = &spec->a;
    int id = op->contents_id;
    size_t len;
    switch (a->kind) {
    case WR_WINDOW_AGGREGATE: {
        const void *cur = wr_keyed_value_get(op->keyed, id, ns, NS_LEN, &len);
        *fresh = cur == NULL;
        acc_load(op, op->acc, cur, len);
        a->aggregate->add(a->arg, op->acc, wr_udf_row(&op->u, in, r, spec->in));
        wr_keyed_value_put(op->keyed, id, ns, NS_LEN, op->acc, a->aggregate->acc_size);
        return 0;
    }
    case WR_WINDOW_REDUCE: {
        const void *cur = wr_keyed_value_get(op->keyed, id, ns, NS_LEN, &len);
        *fresh = cur == NULL;
        wr_buf_reset(&op->scratch);
        if (cur == NULL) {
            wr_row_encode(in, r, spec->cols, spec->in->ncols, &op->scratch);
        } else {
            wr_batch_reset(op->acc_batch);
            int rc = decode_row(op->acc_batch, cur, len, err);
            if (rc) return rc;
            weir_row acc = {op->acc_batch, 0, spec->in}, row = {in, r, spec->in};
            if ((rc = reduce_rows(op, &acc, &row, &op->scratch, err))) return rc;
        }
        wr_keyed_value_put(op->keyed, id, ns, NS_LEN, op->scratch.data, op->scratch.len);
        return 0;
    }
    case WR_WINDOW_PROCESS:
        *fresh =
            (spec->fast_event || spec->fast_proc) && !wr_keyed_exists(op->keyed, id, ns, NS_LEN);
        wr_buf_reset(&op->scratch);
        wr_row_encode(in, r, spec->cols, spec->in->ncols, &op->scratch);
        wr_keyed_list_add(op->keyed, id, ns, NS_LEN, op->scratch.data, op->scratch.len);
        return 0;
    }
    return wr_error_set(err, WR_ERR_INTERNAL, "unknown window function kind %d", (int)a->kind);
}

/* Moves the contents kept under window `from` into those under `to` (session merges). */
static int contents_merge(window_op *op, win from, win to, wr_error *err)
{
    const window_spec *spec = op->spec;
    const wr_window_args *a = &spec->a;
    int id = op->contents_id, rc = 0;
    uint8_t fns[NS_LEN], tns[NS_LEN];
    win_encode(from, fns);
    win_encode(to, tns);
    size_t len, tlen;
    switch (a->kind) {
    case WR_WINDOW_AGGREGATE: {
        const weir_aggregate_fn *fn = a->aggregate;
        const void *src = wr_keyed_value_get(op->keyed, id, fns, NS_LEN, &len);
        if (src == NULL) break;
        acc_load(op, op->acc2, src, len);
        const void *tgt = wr_keyed_value_get(op->keyed, id, tns, NS_LEN, &tlen);
        if (tgt == NULL) {
            wr_keyed_value_put(op->keyed, id, tns, NS_LEN, op->acc2, fn->acc_size);
            break;
        }
        acc_load(op, op->acc, tgt, tlen);
        fn->merge(a->arg, op->acc, op->acc2);
        wr_keyed_value_put(op->keyed, id, tns, NS_LEN, op->acc, fn->acc_size);
        break;
    }
    case WR_WINDOW_REDUCE: {
        const void *src = wr_keyed_value_get(op->keyed, id, fns, NS_LEN, &len);
        if (src == NULL) break;
        wr_buf_reset(&op->scratch2);
        wr_buf_append(&op->scratch2, src, len);
        const void *tgt = wr_keyed_value_get(op->keyed, id, tns, NS_LEN, &tlen);
        if (tgt == NULL) {
            wr_keyed_value_put(op->keyed, id, tns, NS_LEN, op->scratch2.data, op->scratch2.len);
            break;
        }
        wr_batch_reset(op->acc_batch);
        if ((rc = decode_row(op->acc_batch, tgt, tlen, err)) ||
            (rc = decode_row(op->acc_batch, op->scratch2.data, op->scratch2.len, err)))
            return rc;
        weir_row acc = {op->acc_batch, 0, spec->in}, other = {op->acc_batch, 1, spec->in};
        wr_buf_reset(&op->scratch);
        if ((rc = reduce_rows(op, &acc, &other, &op->scratch, err))) return rc;
        wr_keyed_value_put(op->keyed, id, tns, NS_LEN, op->scratch.data, op->scratch.len);
        break;
    }
    case WR_WINDOW_PROCESS: {
        size_t pos = 0;
        const void *val;
        while (wr_keyed_list_next(op->keyed, id, fns, NS_LEN, &pos, &val, &len)) {
            wr_buf_reset(&op->scratch);
            wr_buf_append(&op->scratch, val, len);
            wr_keyed_list_add(op->keyed, id, tns, NS_LEN, op->scratch.data, op->scratch.len);
        }
        break;
    }
    }
    wr_keyed_clear(op->keyed, id, fns, NS_LEN);
    return 0;
}

/*
 * Flink's mergePartitionedState for every trigger state that can merge
 * (REDUCING, LIST): moves window from's state into the window in to_ns.
 */
static void trigger_states_merge(window_op *op, win from, const uint8_t *to_ns)
{
    uint8_t fns[NS_LEN];
    win_encode(from, fns);
    for (int i = 0; i < op->u.nstates; i++) {
        const weir_state_desc *d = op->u.states[i].desc;
        int id = op->u.states[i].id;
        size_t len, tlen;
        if (d->kind == WEIR_STATE_REDUCING) {
            const void *v = wr_keyed_value_get(op->keyed, id, fns, NS_LEN, &len);
            if (v == NULL || len != d->size) continue;
            wr_buf_reset(&op->scratch);
            wr_buf_append(&op->scratch, v, len);
            const void *t = wr_keyed_value_get(op->keyed, id, to_ns, NS_LEN, &tlen);
            if (t && tlen == d->size) {
                wr_buf_reset(&op->scratch2);
                wr_buf_append(&op->scratch2, t, tlen);
                d->reduce(d->arg, op->scratch2.data, op->scratch.data);
                wr_keyed_value_put(op->keyed, id, to_ns, NS_LEN, op->scratch2.data, d->size);
            } else {
                wr_keyed_value_put(op->keyed, id, to_ns, NS_LEN, op->scratch.data, d->size);
            }
        } else if (d->kind == WEIR_STATE_LIST) {
            size_t pos = 0;
            const void *val;
            while (wr_keyed_list_next(op->keyed, id, fns, NS_LEN, &pos, &val, &len)) {
                wr_buf_reset(&op->scratch);
                wr_buf_append(&op->scratch, val, len);
                wr_keyed_list_add(op->keyed, id, to_ns, NS_LEN, op->scratch.data, op->scratch.len);
            }
        } else {
            continue;
        }
        wr_keyed_clear(op->keyed, id, fns, NS_LEN);
    }
}

/* ---- firing -------------------------------------------------------------------------- */

static void chunks_trim(window_op *op, int keep)
{
    while (op->chunks.n > keep) {
        rows_chunk *ch = op->chunks.v[--op->chunks.n];
        wr_batch_free(ch->batch);
        wr_free(ch);
    }
}

const weir_row *weir_rows_next(weir_rows *rows)
{
    if (rows == NULL || rows->done) return NULL;
    window_op *op = rows->op;
    const void *val;
    size_t len;
    if (!wr_keyed_list_next(op->keyed, op->contents_id, rows->ns, NS_LEN, &rows->pos, &val, &len)) {
        rows->done = true;
        return NULL;
    }
    int c = rows->nrows / WR_BATCH_CAPACITY, r = rows->nrows % WR_BATCH_CAPACITY;
    if (c == op->chunks.n) {
        rows_chunk *ch = wr_malloc(sizeof(*ch));
        const wr_schema *in = op->spec->in;
        ch->batch = wr_batch_new(in->types, in->ncols, WR_BATCH_CAPACITY);
        WR_VEC_PUSH(&op->chunks, ch);
    }
    rows_chunk *ch = op->chunks.v[c];
    if (r == 0) wr_batch_reset(ch->batch);
    wr_error derr;
    wr_error_init(&derr);
    if (wr_row_decode_append(ch->batch, val, len, &derr) < 0) {
        rows->done = true;
        weir_fail(&op->u, "window contents: %s", derr.msg);
        return NULL;
    }
    rows->nrows++;
    ch->rows[r] = (weir_row){ch->batch, r, op->spec->in};
    return &ch->rows[r];
}

/* Evaluates the window function on the contents of window w, kept under state window sns. */
static int emit_window(window_op *op, win w, const uint8_t *sns, wr_error *err)
{
    const window_spec *spec = op->spec;
    const wr_window_args *a = &spec->a;
    int id = op->contents_id, rc;
    size_t len;
    set_window(op, w);
    op->u.timestamp = win_max(w);
    op->u.err = err;
    switch (a->kind) {
    case WR_WINDOW_AGGREGATE: {
        const void *cur = wr_keyed_value_get(op->keyed, id, sns, NS_LEN, &len);
        if (cur == NULL) return 0;
        /* A copy: result() may use the context, and the backend may move values meanwhile. */
        acc_load(op, op->acc2, cur, len);
        return wr_udf_check(&op->u, a->aggregate->result(a->arg, op->acc2, &op->u),
                            "window aggregate result()", err);
    }
    case WR_WINDOW_REDUCE: {
        const void *cur = wr_keyed_value_get(op->keyed, id, sns, NS_LEN, &len);
        if (cur == NULL) return 0;
        wr_batch_reset(op->acc_batch);
        if ((rc = decode_row(op->acc_batch, cur, len, err))) return rc;
        weir_row acc = {op->acc_batch, 0, spec->in};
        weir_out *out = weir_output(&op->u);
        weir_set_row(out, &acc);
        return wr_udf_check(&op->u, weir_emit(out), "window reduce", err);
    }
    case WR_WINDOW_PROCESS: {
        if (!wr_keyed_exists(op->keyed, id, sns, NS_LEN)) return 0;
        weir_rows rows = {.op = op};
        memcpy(rows.ns, sns, NS_LEN);
        rc = wr_udf_check(&op->u, a->process(a->arg, &rows, &op->u), "window function", err);
        chunks_trim(op, 2);
        return rc;
    }
    }
    return wr_error_set(err, WR_ERR_INTERNAL, "unknown window function kind %d", (int)a->kind);
}

/* Acts on a trigger's answer for window w whose contents are under sns. */
static int act(window_op *op, int result, win w, const uint8_t *sns, wr_error *err)
{
    if (result & WEIR_FIRE) {
        int rc = emit_window(op, w, sns, err);
        if (rc) return rc;
    }
    if (result & WEIR_PURGE) wr_keyed_clear(op->keyed, op->contents_id, sns, NS_LEN);
    return 0;
}

/* ---- session windows: the merging window set of the current key ------------------- */

static int mset_load(window_op *op, wr_error *err)
{
    size_t len;
    const uint8_t *p = wr_keyed_value_get(op->keyed, op->merging_id, NULL, 0, &len);
    op->mset.n = 0;
    op->mset_dirty = false;
    if (p == NULL) return 0;
    if (len % (4 * 8) != 0)
        return wr_error_set(err, WR_ERR_INTERNAL, "session window state of %zu bytes is damaged",
                            len);
    for (size_t at = 0; at < len; at += 4 * 8) {
        mwin m = {win_decode(p + at), win_decode(p + at + NS_LEN)};
        WR_VEC_PUSH(&op->mset, m);
    }
    return 0;
}

static void mset_store(window_op *op)
{
    if (!op->mset_dirty) return;
    op->mset_dirty = false;
    if (op->mset.n == 0) {
        wr_keyed_clear(op->keyed, op->merging_id, NULL, 0);
        return;
    }
    wr_buf_reset(&op->scratch2);
    uint8_t *p = (uint8_t *)wr_buf_reserve(&op->scratch2, (size_t)op->mset.n * 4 * 8);
    for (int i = 0; i < op->mset.n; i++) {
        win_encode(op->mset.v[i].w, p + i * 32);
        win_encode(op->mset.v[i].state, p + i * 32 + NS_LEN);
    }
    wr_keyed_value_put(op->keyed, op->merging_id, NULL, 0, p, (size_t)op->mset.n * 4 * 8);
}

static mwin *mset_find(window_op *op, win w)
{
    for (int i = 0; i < op->mset.n; i++)
        if (win_eq(op->mset.v[i].w, w)) return &op->mset.v[i];
    return NULL;
}

static void mset_retire(window_op *op, win w)
{
    mwin *m = mset_find(op, w);
    if (WR_NEVER(m == NULL)) return;
    *m = op->mset.v[--op->mset.n];
    op->mset_dirty = true;
}

/*
 * Adds window nw to the set (Flink's MergingWindowSet.addWindow) and gives
 * the window it ended up in. The windows in the set never touch one another,
 * so only those touching nw merge, into their cover; the contents stay under
 * the state window of the earliest of them and the others' move there.
 */
static int mset_add(window_op *op, win nw, win *actual, wr_error *err)
{
    op->merged.n = 0;
    win cover = nw;
    int first = -1;
    for (int i = 0; i < op->mset.n; i++) {
        win e = op->mset.v[i].w;
        if (!win_touch(e, nw)) continue;
        WR_VEC_PUSH(&op->merged, e);
        cover.start = WR_MIN(cover.start, e.start);
        cover.end = WR_MAX(cover.end, e.end);
        if (first < 0 || e.start < op->mset.v[first].w.start) first = i;
    }
    *actual = cover;
    if (op->merged.n == 0) {
        WR_VEC_PUSH(&op->mset, ((mwin){nw, nw}));
        op->mset_dirty = true;
        return 0;
    }
    if (op->merged.n == 1 && win_eq(cover, op->merged.v[0])) return 0; /* nw lies inside */
    if (op->spec->event_time && cleanup_time(op, cover) <= op->base.ctx->watermark)
        return wr_error_set(err, WR_ERR_RUNTIME,
                            "the end of an event-time window cannot become earlier than the "
                            "current watermark by merging (watermark %lld, window [%lld, %lld))",
                            (long long)op->base.ctx->watermark, (long long)cover.start,
                            (long long)cover.end);
    win target = op->mset.v[first].state;
    op->sources.n = 0;
    int k = 0;
    for (int i = 0; i < op->mset.n; i++) {
        mwin m = op->mset.v[i];
        if (win_touch(m.w, nw)) {
            if (i != first) WR_VEC_PUSH(&op->sources, m.state);
            continue;
        }
        op->mset.v[k++] = m;
    }
    op->mset.n = k;
    WR_VEC_PUSH(&op->mset, ((mwin){cover, target}));
    op->mset_dirty = true;

    /* Flink's merge function: trigger state and timers, then the contents. */
    uint8_t cns[NS_LEN];
    win_encode(cover, cns);
    for (int i = 0; i < op->merged.n; i++) trigger_states_merge(op, op->merged.v[i], cns);
    set_window(op, cover);
    int rc = trig_on_merge(op, err);
    for (int i = 0; rc == 0 && i < op->merged.n; i++) {
        set_window(op, op->merged.v[i]);
        rc = trig_clear(op, err);
        cleanup_delete(op, op->merged.v[i]);
    }
    for (int i = 0; rc == 0 && i < op->sources.n; i++)
        rc = contents_merge(op, op->sources.v[i], target, err);
    return rc;
}

/* ---- per row ------------------------------------------------------------------------ */

/* A row none of whose windows took it: to the late side output, or dropped. */
static int late_row(window_op *op, const wr_batch *in, int r, int64_t ts, wr_error *err)
{
    const window_spec *spec = op->spec;
    if (!element_late(op, ts)) return 0;
    const weir_tag *tag = spec->a.window.late_tag;
    if (tag == NULL) {
        op->late_dropped++;
        op->base.ctx->late_records_dropped++;
        return 0;
    }
    op->u.err = err;
    weir_out *out = weir_side_output(&op->u, tag);
    weir_set_row(out, wr_udf_row(&op->u, in, r, spec->in));
    weir_set_timestamp(out, ts);
    return wr_udf_check(&op->u, weir_emit(out), "window late side output", err);
}

static int merging_row(window_op *op, const wr_batch *in, int r, int64_t ts, wr_error *err)
{
    const window_spec *spec = op->spec;
    bool skipped = true;
    int rc = mset_load(op, err);
    for (int i = 0; rc == 0 && i < op->wins.n; i++) {
        win actual;
        op->u.timestamp = ts;
        if ((rc = mset_add(op, op->wins.v[i], &actual, err))) break;
        if (window_late(op, actual)) {
            mset_retire(op, actual);
            continue;
        }
        skipped = false;
        mwin *m = mset_find(op, actual);
        if (WR_NEVER(m == NULL)) {
            rc = wr_error_set(err, WR_ERR_INTERNAL, "session window [%lld, %lld) is not in flight",
                              (long long)actual.start, (long long)actual.end);
            break;
        }
        uint8_t sns[NS_LEN], ans[NS_LEN];
        win_encode(m->state, sns);
        win_encode(actual, ans);
        bool fresh;
        if ((rc = contents_add(op, in, r, sns, &fresh, err))) break;
        set_window(op, actual);
        op->u.timestamp = ts;
        int tr = trig_on_element(op, wr_udf_row(&op->u, in, r, spec->in), err);
        if (tr < 0) {
            rc = tr;
            break;
        }
        if ((rc = act(op, tr, actual, sns, err))) break;
        cleanup_register(op, actual, ans);
    }
    mset_store(op);
    if (rc == 0 && skipped) rc = late_row(op, in, r, ts, err);
    return rc;
}

/* Physical row r of in, whose key is current; t is its event time or the processing time. */
static int process_row(window_op *op, const wr_batch *in, int r, int64_t ts, int64_t t,
                       wr_error *err)
{
    const window_spec *spec = op->spec;
    int rc = assign(op, t, err);
    if (rc) return rc;
    if (spec->merging) return merging_row(op, in, r, ts, err);
    bool skipped = true;
    for (int i = 0; i < op->wins.n; i++) {
        win w = op->wins.v[i];
        if (window_late(op, w)) continue;
        skipped = false;
        uint8_t ns[NS_LEN];
        win_encode(w, ns);
        bool fresh = false;
        if ((rc = contents_add(op, in, r, ns, &fresh, err))) return rc;
        int tr;
        if (spec->fast_event) {
            int64_t max = win_max(w);
            tr = max <= op->base.ctx->watermark ? WEIR_FIRE : WEIR_CONTINUE;
            if (fresh && tr == WEIR_CONTINUE) timer_add(op, WR_EVENT_TIME, max, ns);
        } else if (spec->fast_proc) {
            tr = WEIR_CONTINUE;
            if (fresh) timer_add(op, WR_PROCESSING_TIME, win_max(w), ns);
        } else {
            set_window(op, w);
            op->u.timestamp = ts;
            tr = trig_on_element(op, wr_udf_row(&op->u, in, r, spec->in), err);
            if (tr < 0) return tr;
        }
        if ((rc = act(op, tr, w, ns, err))) return rc;
        if (fresh || !(spec->fast_event || spec->fast_proc)) cleanup_register(op, w, ns);
    }
    return skipped ? late_row(op, in, r, ts, err) : 0;
}

/*
 * Announces the contents lookups of rows [from, to) of a batch (see
 * wr_keyed_hint_slot) and keeps their key bytes; returns how many rows were
 * prepared. Stops at a row that the main loop will report an error for.
 * Only for windows that do not merge, and only the first window of a row.
 */
static int prefetch_rows(window_op *op, const wr_batch *in, int from, int to, bool by_clock,
                         int64_t now, wr_error *err)
{
    const window_spec *spec = op->spec;
    wr_buf_reset(&op->keys);
    int k = 0;
    for (int i = from; i < to; i++, k++) {
        int r = wr_batch_row(in, i);
        int64_t ts = wr_batch_rowtime(in, r);
        if (spec->event_time && ts == WR_NO_TIMESTAMP) break;
        op->key_at[k] = (uint32_t)op->keys.len;
        if (wr_keysel_encode(&spec->key, in, r, &op->keys, err) ||
            assign(op, by_clock ? now : ts, err)) {
            wr_error_init(err); /* the main loop reports it at this row */
            break;
        }
        uint8_t ns[NS_LEN];
        win_encode(op->wins.v[0], ns);
        wr_keyed_hint_slot(op->keyed, &op->hints[k], op->keys.data + op->key_at[k],
                           op->keys.len - op->key_at[k], op->contents_id, ns, NS_LEN);
    }
    op->key_at[k] = (uint32_t)op->keys.len;
    return k;
}

static int window_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    window_op *op = (window_op *)base;
    const window_spec *spec = op->spec;
    /* Processing time is read once per batch: its rows arrived together. */
    bool by_clock = !spec->event_time && spec->a.window.kind != WEIR_WINDOW_GLOBAL;
    int64_t now = by_clock ? wr_clock_wall_ms() : 0;
    int n = wr_batch_rows(in);
    for (int from = 0; from < n; from += WR_PREFETCH_ROWS) {
        int to = WR_MIN(n, from + WR_PREFETCH_ROWS);
        int prepared = spec->merging ? 0 : prefetch_rows(op, in, from, to, by_clock, now, err);
        for (int i = from; i < to; i++) {
            int r = wr_batch_row(in, i), k = i - from, rc;
            int64_t ts = wr_batch_rowtime(in, r);
            if (k + WR_PREFETCH_AHEAD < prepared)
                wr_keyed_hint_entry(op->keyed, &op->hints[k + WR_PREFETCH_AHEAD]);
            if (k < prepared) {
                wr_keyed_set_key_hinted(op->keyed, op->keys.data + op->key_at[k],
                                        op->key_at[k + 1] - op->key_at[k], &op->hints[k]);
                op->u.key_decoded = false;
            } else {
                if (spec->event_time && ts == WR_NO_TIMESTAMP)
                    return wr_error_set(err, WR_ERR_RUNTIME,
                                        "window operator '%s': a row has no event timestamp, "
                                        "which event-time windows need; assign timestamps with "
                                        "weir_assign_timestamps() before keying the stream, or "
                                        "use processing-time windows",
                                        base->ctx->name ? base->ctx->name : "window");
                wr_buf_reset(&op->key);
                if ((rc = wr_keysel_encode(&spec->key, in, r, &op->key, err))) return rc;
                wr_udf_set_key(&op->u, op->key.data, op->key.len);
            }
            if ((rc = process_row(op, in, r, ts, by_clock ? now : ts, err))) return rc;
        }
    }
    return wr_udf_flush(&op->u, err);
}

/* ---- time -------------------------------------------------------------------------- */

/* Removes the contents, trigger state and (sessions) the in-flight entry of window w. */
static int clear_all(window_op *op, win w, const uint8_t *sns, wr_error *err)
{
    wr_keyed_clear(op->keyed, op->contents_id, sns, NS_LEN);
    set_window(op, w);
    /*
     * The inlined triggers' only timer is at maxTimestamp, at or before the
     * cleanup time: timers pop in time order, so it is gone by now.
     */
    int rc = op->spec->fast_event || op->spec->fast_proc ? 0 : trig_clear(op, err);
    if (op->spec->merging) mset_retire(op, w);
    return rc;
}

/* A timer of the current key for window w (Flink's onEventTime / onProcessingTime). */
static int on_timer(window_op *op, wr_time_domain domain, int64_t time, win w, wr_error *err)
{
    const window_spec *spec = op->spec;
    win sw = w;
    if (spec->merging) {
        int rc = mset_load(op, err);
        if (rc) return rc;
        mwin *m = mset_find(op, w);
        if (m == NULL) return 0; /* a trigger left a timer behind; the window is gone */
        sw = m->state;
    }
    uint8_t sns[NS_LEN];
    win_encode(sw, sns);
    set_window(op, w);
    op->u.timestamp = time;
    int rc = trig_on_time(op, domain, time, err);
    if (rc >= 0) rc = act(op, rc, w, sns, err);
    if (rc == 0 && domain == cleanup_domain(op) && time == cleanup_time(op, w))
        rc = clear_all(op, w, sns, err);
    if (spec->merging) mset_store(op);
    return rc;
}

/* Fires the timers of a domain up to limit, in time order. */
static int fire_timers(window_op *op, wr_time_domain domain, int64_t limit, wr_error *err)
{
    wr_timer t;
    while (wr_timers_pop(op->timers, domain, limit, &t)) {
        if (WR_NEVER(t.nslen != NS_LEN)) continue;
        win w = win_decode(t.ns); /* t's bytes last only until the next pop */
        wr_udf_set_key(&op->u, t.key, t.klen);
        int rc = on_timer(op, domain, t.time, w, err);
        if (rc) return rc;
    }
    return wr_udf_flush(&op->u, err);
}

static int window_watermark(wr_operator *base, int64_t wm, wr_error *err)
{
    window_op *op = (window_op *)base;
    int rc = fire_timers(op, WR_EVENT_TIME, wm, err);
    return rc ? rc : wr_op_emit_watermark(base->ctx, wm, err);
}

static int window_on_time(wr_operator *base, int64_t now_ms, wr_error *err)
{
    window_op *op = (window_op *)base;
    int rc = fire_timers(op, WR_PROCESSING_TIME, now_ms, err);
    base->ctx->timer_at_ms = wr_timers_next(op->timers, WR_PROCESSING_TIME);
    return rc;
}

/* Event-time windows fired at the final watermark; processing-time ones do not fire (as Flink). */
static int window_end_input(wr_operator *base, int input, wr_error *err)
{
    window_op *op = (window_op *)base;
    return wr_udf_flush(&op->u, err);
}

/* ---- lifecycle ------------------------------------------------------------------------ */

static void window_destroy(wr_operator *base)
{
    window_op *op = (window_op *)base;
    if (op == NULL) return;
    wr_udf_fini(&op->u);
    if (op->acc_batch) {
        wr_batch_free(op->acc_batch);
        wr_udf_fini(&op->red);
    }
    chunks_trim(op, 0);
    WR_VEC_FREE(&op->chunks);
    WR_VEC_FREE(&op->wins);
    WR_VEC_FREE(&op->mset);
    WR_VEC_FREE(&op->merged);
    WR_VEC_FREE(&op->sources);
    wr_free(op->acc);
    wr_free(op->acc2);
    wr_buf_fini(&op->key);
    wr_buf_fini(&op->keys);
    wr_buf_fini(&op->scratch);
    wr_buf_fini(&op->scratch2);
    wr_keyed_free(op->keyed);
    wr_timers_free(op->timers);
    wr_free(op);
}

static wr_operator *window_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const window_spec *spec = p;
    const wr_window_args *a = &spec->a;
    if ((a->kind == WR_WINDOW_REDUCE && a->reduce == NULL) ||
        (a->kind == WR_WINDOW_AGGREGATE &&
         (a->aggregate == NULL || a->aggregate->add == NULL || a->aggregate->result == NULL)) ||
        (a->kind == WR_WINDOW_PROCESS && a->process == NULL)) {
        wr_error_set(err, WR_ERR_VALIDATION, "window operator '%s' has no window function",
                     ctx->name ? ctx->name : "window");
        return NULL;
    }
    /* The key groups g with wr_keygroup_subtask(g) == subtask: one contiguous range. */
    int first = -1, last = -1;
    for (int g = 0; g < ctx->max_parallelism; g++) {
        if (wr_keygroup_subtask(g, ctx->max_parallelism, ctx->parallelism) != ctx->subtask)
            continue;
        if (first < 0) first = g;
        last = g;
    }
    if (first < 0) {
        wr_error_set(err, WR_ERR_VALIDATION,
                     "window operator: subtask %d of %d owns no key group; the maximum "
                     "parallelism (%d) must be at least the parallelism",
                     ctx->subtask, ctx->parallelism, ctx->max_parallelism);
        return NULL;
    }
    window_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &window_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->keyed = wr_keyed_new(ctx->max_parallelism, first, last, NULL, NULL);
    op->timers = wr_timers_new();
    wr_udf_init(&op->u, ctx, spec->out, a->tags, a->ntags, op->keyed, op->timers, spec->key_schema);
    wr_buf_init(&op->key);
    wr_buf_init(&op->keys);
    wr_buf_init(&op->scratch);
    wr_buf_init(&op->scratch2);
    wr_state_kind kind = a->kind == WR_WINDOW_PROCESS ? WR_STATE_LIST : WR_STATE_VALUE;
    op->contents_id = wr_keyed_register(op->keyed, "weir.window-contents", kind, NULL);
    op->merging_id = -1;
    if (spec->merging)
        op->merging_id = wr_keyed_register(op->keyed, "weir.window-merging", WR_STATE_VALUE, NULL);
    if (a->kind == WR_WINDOW_AGGREGATE) {
        size_t size = a->aggregate->acc_size ? a->aggregate->acc_size : 1;
        op->acc = wr_calloc(1, size);
        op->acc2 = wr_calloc(1, size);
    }
    if (a->kind == WR_WINDOW_REDUCE) {
        op->acc_batch = wr_batch_new(spec->in->types, spec->in->ncols, 2);
        wr_udf_init(&op->red, ctx, spec->in, NULL, 0, NULL, NULL, NULL);
    }
    /* Trigger states share the backend with the contents; their names must differ. */
    if (wr_udf_register_states(&op->u, spec->trigger->states, err)) {
        window_destroy(&op->base);
        return NULL;
    }
    return &op->base;
}

int64_t wr_window_late_rows(const wr_operator *base)
{
    assert(base->ops == &window_ops);
    return ((const window_op *)base)->late_dropped;
}

void wr_window_pending(const wr_operator *base, size_t *state_entries, size_t *timers)
{
    assert(base->ops == &window_ops);
    const window_op *op = (const window_op *)base;
    *state_entries = wr_keyed_count(op->keyed);
    *timers = wr_timers_count(op->timers);
}

/* Windows, trigger state and timers live in the keyed backend: checkpoints take it whole. */
static int window_open(wr_operator *base, wr_error *err)
{
    window_op *op = (window_op *)base;
    int rc = wr_udf_restore_keyed(op->keyed, op->timers, base->ctx->restore, err);
    if (rc == 0) base->ctx->timer_at_ms = wr_timers_next(op->timers, WR_PROCESSING_TIME);
    return rc;
}

static int window_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    window_op *op = (window_op *)base;
    wr_udf_snapshot_keyed(op->keyed, op->timers, out);
    return 0;
}

/* State bytes: the keyed state's (window contents, accumulators, merging sets); timers are
 * not counted. */
static size_t window_state_bytes(const wr_operator *base)
{
    return wr_keyed_bytes(((const window_op *)base)->keyed);
}

static const wr_operator_ops window_ops = {
    .kind = "window",
    .create = window_create,
    .open = window_open,
    .snapshot = window_snapshot,
    .process = window_process,
    .end_input = window_end_input,
    .watermark = window_watermark,
    .on_time = window_on_time,
    .state_bytes = window_state_bytes,
    .destroy = window_destroy,
};

/* ---- the spec -------------------------------------------------------------------------- */

static void spec_free(void *p)
{
    window_spec *spec = p;
    wr_schema_free(spec->in);
    wr_schema_free(spec->out);
    wr_schema_free(spec->key_schema);
    wr_keysel_fini(&spec->key);
    wr_free(spec->cols);
    wr_free(spec);
}

static bool schema_same_types(const wr_schema *a, const wr_schema *b)
{
    if (a->ncols != b->ncols) return false;
    for (int c = 0; c < a->ncols; c++)
        if (a->types[c].id != b->types[c].id) return false;
    return true;
}

/* Checks the arguments before anything is built; 0 or an error naming the bad value. */
static int check_args(const wr_window_args *args, const weir_trigger *trigger, wr_error *err)
{
    const weir_window_spec *w = &args->window;
    if (args->in == NULL || args->key == NULL || wr_keysel_empty(args->key))
        return wr_error_set(err, WR_ERR_ARGUMENT,
                            "windows need a keyed stream (use weir_key_by first)");
    if (args->out == NULL && args->kind != WR_WINDOW_REDUCE)
        return wr_error_set(err, WR_ERR_ARGUMENT, "the window function needs an output schema");
    if (args->kind == WR_WINDOW_REDUCE && args->out && !schema_same_types(args->out, args->in))
        return wr_error_set(err, WR_ERR_ARGUMENT,
                            "a window reduce emits rows of its input's schema");
    switch (w->kind) {
    case WEIR_WINDOW_TUMBLING:
        if (w->size_ms <= 0)
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "tumbling windows need a positive size, not %lld ms",
                                (long long)w->size_ms);
        if (w->offset_ms <= -w->size_ms || w->offset_ms >= w->size_ms)
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "a tumbling window's offset (%lld ms) must be smaller in "
                                "magnitude than its size (%lld ms)",
                                (long long)w->offset_ms, (long long)w->size_ms);
        break;
    case WEIR_WINDOW_SLIDING:
        if (w->size_ms <= 0 || w->slide_ms <= 0)
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "sliding windows need a positive size and slide, not %lld ms "
                                "and %lld ms",
                                (long long)w->size_ms, (long long)w->slide_ms);
        if (w->offset_ms <= -w->slide_ms || w->offset_ms >= w->slide_ms)
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "a sliding window's offset (%lld ms) must be smaller in "
                                "magnitude than its slide (%lld ms)",
                                (long long)w->offset_ms, (long long)w->slide_ms);
        break;
    case WEIR_WINDOW_SESSION:
        if (w->gap_ms <= 0)
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "session windows need a positive gap, not %lld ms",
                                (long long)w->gap_ms);
        if (trigger->on_merge == NULL)
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "session windows merge, and their trigger cannot (its on_merge "
                                "is NULL)");
        if (args->kind == WR_WINDOW_AGGREGATE && args->aggregate && !args->aggregate->merge)
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "session windows merge, so their aggregate function needs "
                                "merge()");
        break;
    case WEIR_WINDOW_GLOBAL:
        if (w->trigger == NULL)
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "global windows never fire by themselves: give them a trigger "
                                "(e.g. weir_trigger_count)");
        break;
    default:
        return wr_error_set(err, WR_ERR_ARGUMENT, "unknown window kind %d", (int)w->kind);
    }
    if (w->allowed_lateness_ms < 0)
        return wr_error_set(err, WR_ERR_ARGUMENT,
                            "the allowed lateness of a window cannot be negative (%lld ms)",
                            (long long)w->allowed_lateness_ms);
    if (w->late_tag) {
        if (!schema_same_types(w->late_tag->schema, args->in))
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "late rows go to side output '%s' as they are, so its schema "
                                "must be the window input's",
                                w->late_tag->name);
        bool found = args->tags == NULL; /* not yet known while the stream is built */
        for (int i = 0; !found && i < args->ntags; i++) found = args->tags[i] == w->late_tag;
        if (!found)
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "side output '%s' for late rows is not one of the job's",
                                w->late_tag->name);
    }
    return 0;
}

wr_operator_spec wr_window_spec(const wr_window_args *args, wr_error *err)
{
    wr_operator_spec none = {0};
    const weir_window_spec *w = &args->window;
    bool event_time = w->kind != WEIR_WINDOW_GLOBAL && !w->processing_time;
    const weir_trigger *trigger = w->trigger;
    if (trigger == NULL)
        trigger = event_time ? &wr_trigger_event_time : &wr_trigger_processing_time;
    if (check_args(args, trigger, err)) return none;

    window_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->a = *args;
    spec->in = wr_schema_copy(args->in);
    spec->out = wr_schema_copy(args->out ? args->out : args->in);
    if (args->key_schema) spec->key_schema = wr_schema_copy(args->key_schema);
    wr_keysel_copy(&spec->key, args->key);
    spec->a.in = spec->in;
    spec->a.out = spec->out;
    spec->a.key = &spec->key;
    spec->a.key_schema = spec->key_schema;
    spec->cols = wr_malloc((size_t)(spec->in->ncols ? spec->in->ncols : 1) * sizeof(int));
    for (int c = 0; c < spec->in->ncols; c++) spec->cols[c] = c;
    spec->trigger = trigger;
    spec->event_time = event_time;
    spec->merging = w->kind == WEIR_WINDOW_SESSION;
    spec->fast_event = trigger == &wr_trigger_event_time && event_time && !spec->merging;
    spec->fast_proc = trigger == &wr_trigger_processing_time && !event_time &&
                      w->kind != WEIR_WINDOW_GLOBAL && !spec->merging;
    wr_operator_spec out = {&window_ops, spec, spec_free, -1, false};
    return out;
}
