/*
 * stream.c — DataStream operators that call user functions row by row; see stream.h.
 *
 * One operator type serves every kind: the spec says which user function to
 * call. Keyed kinds keep their state and timers in a heap keyed backend for
 * the key groups of their subtask; event-time timers fire when the
 * watermark passes them (before it is forwarded), processing-time timers
 * from the runtime's on_time callback.
 */
#include "stream.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../state/keygroup.h"
#include "../types/row_codec.h"

#include <string.h>

typedef struct stream_spec {
    wr_stream_args a;
    wr_schema *in[2], *out, *key_schema;
    wr_keysel key[2];
    bool keyed[2];
    weir_state_desc acc_desc; /* reduce / aggregate: the accumulator per key */
    const weir_state_desc *acc_descs[2];
} stream_spec;

typedef struct stream_op {
    wr_operator base;
    const stream_spec *spec;
    wr_udf u;
    wr_keyed *keyed;
    wr_timers *timers;
    wr_buf key, ns, scratch;
    wr_batch *acc_batch; /* reduce: the decoded accumulator row */
    wr_udf red;          /* reduce: builds the new accumulator (not emitted) */
    wr_batch *stamped;   /* watermarks: the input with timestamps */
    int64_t max_ts;      /* watermarks: highest timestamp seen */
    int64_t last_row_ms; /* watermarks: processing time of the last row (idleness) */
    void *gen_state;     /* watermarks: custom generator state */
    int inputs_ended;
    bool final_emitted; /* batch mode: the final rows went out */
} stream_op;

static void spec_free(void *p)
{
    stream_spec *spec = p;
    for (int i = 0; i < 2; i++) {
        wr_schema_free(spec->in[i]);
        wr_keysel_fini(&spec->key[i]);
    }
    wr_schema_free(spec->out);
    wr_schema_free(spec->key_schema);
    wr_free(spec);
}

static const wr_operator_ops stream_ops, stream_source_ops;
static int emit_final(stream_op *op, wr_error *err);

wr_operator_spec wr_stream_spec(wr_stream_args *args)
{
    stream_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->a = *args;
    for (int i = 0; i < 2; i++) {
        if (args->in[i]) spec->in[i] = wr_schema_copy(args->in[i]);
        if (args->key[i]) {
            wr_keysel_copy(&spec->key[i], args->key[i]);
            spec->keyed[i] = true;
        }
        spec->a.in[i] = spec->in[i];
        spec->a.key[i] = spec->keyed[i] ? &spec->key[i] : NULL;
    }
    if (args->out) spec->out = wr_schema_copy(args->out);
    if (args->key_schema) spec->key_schema = wr_schema_copy(args->key_schema);
    spec->a.out = spec->out;
    spec->a.key_schema = spec->key_schema;
    if (args->kind == WR_STREAM_REDUCE || args->kind == WR_STREAM_AGGREGATE) {
        spec->acc_desc.name = args->kind == WR_STREAM_REDUCE ? "reduce" : "aggregate";
        spec->acc_desc.kind = WEIR_STATE_VALUE;
        spec->acc_descs[0] = &spec->acc_desc;
    }
    bool source = args->kind == WR_STREAM_SOURCE;
    wr_operator_spec out = {source ? &stream_source_ops : &stream_ops, spec, spec_free, -1, false};
    return out;
}

/* ---- lifecycle ------------------------------------------------------------- */

static wr_operator *stream_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const stream_spec *spec = p;
    stream_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = spec->a.kind == WR_STREAM_SOURCE ? &stream_source_ops : &stream_ops;
    op->spec = spec;
    if (spec->keyed[0]) {
        int first, last;
        wr_keygroup_range(ctx->subtask, ctx->max_parallelism, ctx->parallelism, &first, &last);
        op->keyed = wr_keyed_new(ctx->max_parallelism, first, last, NULL, NULL);
        op->timers = wr_timers_new();
    }
    wr_udf_init(&op->u, ctx, spec->out, spec->a.tags, spec->a.ntags, op->keyed, op->timers,
                spec->key_schema);
    wr_buf_init(&op->key);
    wr_buf_init(&op->ns);
    wr_buf_init(&op->scratch);
    op->max_ts = INT64_MIN;
    if (spec->a.kind == WR_STREAM_REDUCE) {
        op->acc_batch = wr_batch_new(spec->in[0]->types, spec->in[0]->ncols, 1);
        wr_udf_init(&op->red, ctx, spec->in[0], NULL, 0, NULL, NULL, NULL);
    }
    if (spec->a.kind == WR_STREAM_WATERMARKS) {
        op->stamped = wr_batch_new(spec->in[0]->types, spec->in[0]->ncols, WR_BATCH_CAPACITY);
        if (spec->a.strategy.state_size) op->gen_state = wr_calloc(1, spec->a.strategy.state_size);
    }
    return &op->base;
}

static void stream_destroy(wr_operator *base)
{
    stream_op *op = (stream_op *)base;
    wr_udf_fini(&op->u);
    if (op->acc_batch) {
        wr_batch_free(op->acc_batch);
        wr_udf_fini(&op->red);
    }
    wr_batch_free(op->stamped);
    wr_free(op->gen_state);
    wr_keyed_free(op->keyed);
    wr_timers_free(op->timers);
    wr_buf_fini(&op->key);
    wr_buf_fini(&op->ns);
    wr_buf_fini(&op->scratch);
    wr_free(op);
}

static int stream_open(wr_operator *base, wr_error *err)
{
    stream_op *op = (stream_op *)base;
    const wr_stream_args *a = &op->spec->a;
    int rc = 0;
    const weir_state_desc *const *states = NULL;
    int (*open)(void *, weir_ctx *) = NULL;
    if (a->kind == WR_STREAM_PROCESS) {
        states = a->process->states;
        open = a->process->open;
    } else if (a->kind == WR_STREAM_CO_PROCESS) {
        states = a->co_process->states;
        open = a->co_process->open;
    } else if (a->kind == WR_STREAM_REDUCE || a->kind == WR_STREAM_AGGREGATE) {
        states = op->spec->acc_descs;
    } else if (a->kind == WR_STREAM_WATERMARKS && a->watermark_interval_ms > 0) {
        base->ctx->timer_at_ms = wr_clock_wall_ms() + a->watermark_interval_ms;
        op->last_row_ms = wr_clock_wall_ms();
    }
    if (states && (rc = wr_udf_register_states(&op->u, states, err))) return rc;
    if (op->keyed && (rc = wr_udf_restore_keyed(op->keyed, op->timers, base->ctx->restore, err)))
        return rc;
    if (op->timers) base->ctx->timer_at_ms = wr_timers_next(op->timers, WR_PROCESSING_TIME);
    if (open) {
        op->u.err = err;
        rc = wr_udf_check(&op->u, open(a->arg, &op->u), "open()", err);
        if (rc == 0) rc = wr_udf_flush(&op->u, err);
    }
    return rc;
}

/* ---- per row ----------------------------------------------------------------- */

/* Reduce: acc = reduce(acc, row), stored encoded; emits the new accumulator in streaming mode. */
static int reduce_row(stream_op *op, const wr_batch *in, int r, wr_error *err)
{
    const stream_spec *spec = op->spec;
    int id = op->u.states[0].id;
    size_t len;
    const void *acc = wr_keyed_value_get(op->keyed, id, NULL, 0, &len);
    const weir_row *row = wr_udf_row(&op->u, in, r, spec->in[0]);
    wr_buf_reset(&op->scratch);
    int ncols = spec->in[0]->ncols, cols[ncols > 0 ? ncols : 1]; /* the whole row */
    for (int c = 0; c < ncols; c++) cols[c] = c;
    if (acc == NULL) {
        wr_row_encode(in, r, cols, ncols, &op->scratch);
    } else {
        wr_batch_reset(op->acc_batch);
        int rc = wr_row_decode_append(op->acc_batch, acc, len, err);
        if (rc < 0) return rc;
        weir_row acc_row = {op->acc_batch, 0, spec->in[0]};
        wr_batch *nb = op->red.outs[0].batch;
        wr_batch_reset(nb);
        weir_out *out = weir_output(&op->red);
        op->red.err = err;
        rc = wr_udf_check(&op->red, spec->a.reduce(spec->a.arg, &acc_row, row, out), "reduce()",
                          err);
        if (rc) return rc;
        op->red.outs[0].open = false;
        wr_row_encode(nb, 0, cols, ncols, &op->scratch);
    }
    wr_keyed_value_put(op->keyed, id, NULL, 0, op->scratch.data, op->scratch.len);
    if (spec->a.batch_mode) return 0;
    wr_batch_reset(op->acc_batch);
    int rc = wr_row_decode_append(op->acc_batch, (const uint8_t *)op->scratch.data, op->scratch.len,
                                  err);
    if (rc < 0) return rc;
    weir_row acc_row = {op->acc_batch, 0, spec->in[0]};
    weir_out *out = weir_output(&op->u);
    weir_set_row(out, &acc_row);
    return weir_emit(out) ? wr_udf_check(&op->u, -1, "reduce", err) : 0;
}

static int aggregate_emit(stream_op *op, const void *acc, wr_error *err)
{
    const wr_stream_args *a = &op->spec->a;
    op->u.err = err;
    return wr_udf_check(&op->u, a->aggregate->result(a->arg, acc, &op->u), "result()", err);
}

static int aggregate_row(stream_op *op, const wr_batch *in, int r, wr_error *err)
{
    const wr_stream_args *a = &op->spec->a;
    const weir_aggregate_fn *fn = a->aggregate;
    int id = op->u.states[0].id;
    size_t len;
    const void *cur = wr_keyed_value_get(op->keyed, id, NULL, 0, &len);
    uint64_t acc[fn->acc_size ? (fn->acc_size + 7) / 8 : 1]; /* aligned for the user's struct */
    if (cur && len == fn->acc_size)
        memcpy(acc, cur, fn->acc_size);
    else if (fn->init)
        fn->init(a->arg, acc);
    else
        memset(acc, 0, fn->acc_size);
    fn->add(a->arg, acc, wr_udf_row(&op->u, in, r, op->spec->in[0]));
    wr_keyed_value_put(op->keyed, id, NULL, 0, acc, fn->acc_size);
    return a->batch_mode ? 0 : aggregate_emit(op, acc, err);
}

/* Calls the user function of this kind for physical row r of input `input`. */
static int call_row(stream_op *op, int input, const wr_batch *in, int r, wr_error *err)
{
    const wr_stream_args *a = &op->spec->a;
    const wr_schema *schema = op->spec->in[input];
    wr_udf *u = &op->u;
    u->err = err;
    switch (a->kind) {
    case WR_STREAM_MAP: {
        weir_out *out = weir_output(u);
        int rc = a->map(a->arg, wr_udf_row(u, in, r, schema), out);
        if (rc == 0) rc = weir_emit(out);
        return wr_udf_check(u, rc, "map()", err);
    }
    case WR_STREAM_FLAT_MAP:
        return wr_udf_check(u, a->flat_map(a->arg, wr_udf_row(u, in, r, schema), u), "flat_map()",
                            err);
    case WR_STREAM_PROCESS:
        return wr_udf_check(u, a->process->process_element(a->arg, wr_udf_row(u, in, r, schema), u),
                            "process_element()", err);
    case WR_STREAM_CO_PROCESS: {
        int (*fn)(void *, const weir_row *, weir_ctx *) =
            input == 0 ? a->co_process->process_element1 : a->co_process->process_element2;
        if (fn == NULL) return 0;
        return wr_udf_check(u, fn(a->arg, wr_udf_row(u, in, r, schema), u),
                            input == 0 ? "process_element1()" : "process_element2()", err);
    }
    case WR_STREAM_SINK:
        return wr_udf_check(u, a->sink(a->arg, wr_udf_row(u, in, r, schema), u), "sink function",
                            err);
    case WR_STREAM_REDUCE:
        return reduce_row(op, in, r, err);
    case WR_STREAM_AGGREGATE:
        return aggregate_row(op, in, r, err);
    default:
        return wr_error_set(err, WR_ERR_INTERNAL, "stream operator of kind %d takes no rows",
                            (int)a->kind);
    }
}

static int filter_batch(stream_op *op, wr_batch *in, wr_error *err)
{
    const wr_stream_args *a = &op->spec->a;
    int n = wr_batch_rows(in), kept = 0;
    uint32_t *keep = wr_malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    for (int i = 0; i < n; i++) {
        int r = wr_batch_row(in, i);
        if (a->filter(a->arg, wr_udf_row(&op->u, in, r, op->spec->in[0])))
            keep[kept++] = (uint32_t)r;
    }
    /* Emit the input narrowed by a selection; it stays borrowed. */
    uint32_t *sel = in->sel;
    int nsel = in->nsel;
    in->sel = keep;
    in->nsel = kept;
    int rc = kept ? wr_op_emit(op->base.ctx, in, err) : 0;
    in->sel = sel;
    in->nsel = nsel;
    wr_free(keep);
    return rc;
}

/* Reads a row's event time from the timestamp field or function. */
static int64_t row_timestamp(stream_op *op, const wr_batch *in, int r)
{
    const wr_stream_args *a = &op->spec->a;
    const weir_row *row = wr_udf_row(&op->u, in, r, op->spec->in[0]);
    if (a->timestamp_field >= 0) return weir_row_int(row, a->timestamp_field);
    return a->strategy.timestamp(a->strategy.arg, row);
}

/*
 * Stamps the rows with their event time and emits them. A custom generator's
 * punctuated watermark follows right after the row that produced it, as in
 * Flink, so the batch is emitted in pieces around such watermarks.
 */
static int stamp_batch(stream_op *op, wr_batch *in, wr_error *err)
{
    const weir_watermark_strategy *s = &op->spec->a.strategy;
    wr_op_ctx *ctx = op->base.ctx;
    wr_batch *out = op->stamped;
    wr_batch_reset(out);
    for (int c = 0; c < in->ncols; c++) {
        out->cols[c].data = in->cols[c].data;
        out->cols[c].validity = in->cols[c].validity;
    }
    out->count = in->count;
    out->kinds = in->kinds;
    int64_t *ts = wr_batch_rowtimes(out);
    uint32_t *sel = wr_batch_sel_buffer(out);
    int n = wr_batch_rows(in), start = 0, rc = 0;
    if (n > 0) {
        op->last_row_ms = wr_clock_wall_ms();
        rc = wr_op_emit_idle(ctx, false, err);
    }
    for (int i = 0; i < n && rc == 0; i++) {
        int r = wr_batch_row(in, i);
        sel[i] = (uint32_t)r;
        ts[r] = row_timestamp(op, in, r);
        if (ts[r] > op->max_ts) op->max_ts = ts[r];
        if (s->kind != WEIR_WATERMARK_CUSTOM || s->on_event == NULL) continue;
        int64_t wm = s->on_event(s->arg, op->gen_state, ts[r]);
        if (wm == WEIR_NO_TIMESTAMP || wm <= ctx->out_watermark) continue;
        out->sel = sel + start;
        out->nsel = i + 1 - start;
        rc = wr_op_emit(ctx, out, err);
        if (rc == 0) rc = wr_op_emit_watermark(ctx, wm, err);
        start = i + 1;
    }
    if (rc == 0 && start < n) {
        out->sel = sel + start;
        out->nsel = n - start;
        rc = wr_op_emit(ctx, out, err);
    }
    return rc;
}

static int stream_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    stream_op *op = (stream_op *)base;
    const stream_spec *spec = op->spec;
    if (spec->a.kind == WR_STREAM_FILTER) return filter_batch(op, in, err);
    if (spec->a.kind == WR_STREAM_WATERMARKS) return stamp_batch(op, in, err);
    bool keyed = spec->keyed[input];
    int n = wr_batch_rows(in);
    for (int i = 0; i < n; i++) {
        int r = wr_batch_row(in, i);
        op->u.timestamp = wr_batch_rowtime(in, r);
        if (keyed) {
            wr_buf_reset(&op->key);
            int rc = wr_keysel_encode(&spec->key[input], in, r, &op->key, err);
            if (rc) return rc;
            wr_udf_set_key(&op->u, op->key.data, op->key.len);
        }
        int rc = call_row(op, input, in, r, err);
        if (rc) return rc;
    }
    return wr_udf_flush(&op->u, err);
}

/* ---- time ------------------------------------------------------------------- */

static int on_timer_fn(stream_op *op, int64_t time, wr_error *err)
{
    const wr_stream_args *a = &op->spec->a;
    int (*fn)(void *, int64_t, weir_ctx *) = NULL;
    if (a->kind == WR_STREAM_PROCESS) fn = a->process->on_timer;
    if (a->kind == WR_STREAM_CO_PROCESS) fn = a->co_process->on_timer;
    if (fn == NULL) return 0;
    op->u.err = err;
    return wr_udf_check(&op->u, fn(a->arg, time, &op->u), "on_timer()", err);
}

/* Fires the timers of a domain up to limit, in time order. */
static int fire_timers(stream_op *op, wr_time_domain domain, int64_t limit, wr_error *err)
{
    if (op->timers == NULL) return 0;
    wr_timer t;
    while (wr_timers_pop(op->timers, domain, limit, &t)) {
        wr_udf_set_key(&op->u, t.key, t.klen);
        op->u.timestamp = t.time;
        int rc = on_timer_fn(op, t.time, err);
        if (rc) return rc;
    }
    return wr_udf_flush(&op->u, err);
}

static int stream_watermark(wr_operator *base, int64_t wm, wr_error *err)
{
    stream_op *op = (stream_op *)base;
    /* An assigner replaces upstream watermarks with its own; only the end passes. */
    if (op->spec->a.kind == WR_STREAM_WATERMARKS && wm != WR_WATERMARK_MAX) return 0;
    int rc = fire_timers(op, WR_EVENT_TIME, wm, err);
    const wr_stream_args *a = &op->spec->a;
    /* Final results come before the final watermark, so they are not late downstream. */
    if (rc == 0 && wm == WR_WATERMARK_MAX && a->batch_mode &&
        (a->kind == WR_STREAM_REDUCE || a->kind == WR_STREAM_AGGREGATE))
        rc = emit_final(op, err);
    if (rc) return rc;
    return wr_op_emit_watermark(base->ctx, wm, err);
}

/* Periodic watermark and idleness of the assigner. */
static int watermark_tick(stream_op *op, int64_t now_ms, wr_error *err)
{
    const wr_stream_args *a = &op->spec->a;
    const weir_watermark_strategy *s = &a->strategy;
    wr_op_ctx *ctx = op->base.ctx;
    ctx->timer_at_ms = now_ms + a->watermark_interval_ms;
    if (s->idle_timeout_ms > 0 && now_ms - op->last_row_ms >= s->idle_timeout_ms)
        return wr_op_emit_idle(ctx, true, err);
    int64_t wm = WEIR_NO_TIMESTAMP;
    if (s->kind == WEIR_WATERMARK_CUSTOM) {
        if (s->on_periodic) wm = s->on_periodic(s->arg, op->gen_state);
    } else if (op->max_ts != INT64_MIN) {
        int64_t bound = s->kind == WEIR_WATERMARK_BOUNDED ? s->max_out_of_orderness_ms : 0;
        wm = op->max_ts - bound - 1;
    }
    if (wm == WEIR_NO_TIMESTAMP || ctx->out_idle) return 0;
    return wr_op_emit_watermark(ctx, wm, err);
}

static int stream_on_time(wr_operator *base, int64_t now_ms, wr_error *err)
{
    stream_op *op = (stream_op *)base;
    if (op->spec->a.kind == WR_STREAM_WATERMARKS) return watermark_tick(op, now_ms, err);
    int rc = fire_timers(op, WR_PROCESSING_TIME, now_ms, err);
    if (rc == 0 && op->timers)
        base->ctx->timer_at_ms = wr_timers_next(op->timers, WR_PROCESSING_TIME);
    return rc;
}

/* ---- end of input ------------------------------------------------------------ */

typedef struct key_list {
    wr_buf bytes; /* u32 length + key, repeated */
} key_list;

static void collect_key(void *arg, const wr_keyed_entry *e)
{
    key_list *keys = arg;
    uint32_t len = (uint32_t)e->klen;
    wr_buf_append(&keys->bytes, &len, sizeof(len));
    wr_buf_append(&keys->bytes, e->key, e->klen);
}

/*
 * Batch mode: the final accumulator of every key, once, with the timestamp
 * of the end of time (as Flink's batch reduce).
 */
static int emit_final(stream_op *op, wr_error *err)
{
    const stream_spec *spec = op->spec;
    if (op->final_emitted) return 0;
    op->final_emitted = true;
    int id = op->u.states[0].id;
    key_list keys;
    wr_buf_init(&keys.bytes);
    wr_op_ctx *ctx = op->base.ctx;
    int first, last, rc = 0;
    wr_keygroup_range(ctx->subtask, ctx->max_parallelism, ctx->parallelism, &first, &last);
    for (int kg = first; kg <= last; kg++) wr_keyed_for_each(op->keyed, kg, collect_key, &keys);
    for (size_t at = 0; at < keys.bytes.len && rc == 0;) {
        uint32_t len;
        memcpy(&len, keys.bytes.data + at, sizeof(len));
        at += sizeof(len);
        wr_udf_set_key(&op->u, keys.bytes.data + at, len);
        at += len;
        size_t vlen;
        const void *v = wr_keyed_value_get(op->keyed, id, NULL, 0, &vlen);
        if (v == NULL) continue;
        op->u.timestamp = WR_WATERMARK_MAX;
        if (spec->a.kind == WR_STREAM_AGGREGATE) {
            rc = aggregate_emit(op, v, err);
            continue;
        }
        wr_batch_reset(op->acc_batch);
        rc = wr_row_decode_append(op->acc_batch, v, vlen, err);
        if (rc < 0) break;
        rc = 0;
        weir_row acc_row = {op->acc_batch, 0, spec->in[0]};
        weir_out *out = weir_output(&op->u);
        weir_set_row(out, &acc_row);
        op->u.err = err;
        rc = wr_udf_check(&op->u, weir_emit(out), "reduce", err);
    }
    wr_buf_fini(&keys.bytes);
    return rc ? rc : wr_udf_flush(&op->u, err);
}

static int stream_end_input(wr_operator *base, int input, wr_error *err)
{
    stream_op *op = (stream_op *)base;
    const wr_stream_args *a = &op->spec->a;
    wr_op_ctx *ctx = base->ctx;
    /* Two-input operators close once both inputs ended. */
    if (a->kind == WR_STREAM_CO_PROCESS && ++op->inputs_ended < 2) return 0;
    int rc = 0;
    if (a->batch_mode && (a->kind == WR_STREAM_REDUCE || a->kind == WR_STREAM_AGGREGATE))
        rc = emit_final(op, err);
    int (*close)(void *, weir_ctx *) = NULL;
    if (a->kind == WR_STREAM_PROCESS) close = a->process->close;
    if (a->kind == WR_STREAM_CO_PROCESS) close = a->co_process->close;
    if (rc == 0 && close) {
        op->u.err = err;
        rc = wr_udf_check(&op->u, close(a->arg, &op->u), "close()", err);
    }
    if (a->kind == WR_STREAM_WATERMARKS) ctx->timer_at_ms = INT64_MAX;
    return rc ? rc : wr_udf_flush(&op->u, err);
}

/* ---- callback source --------------------------------------------------------- */

static int stream_run(wr_operator *base, wr_source_status *status, wr_error *err)
{
    stream_op *op = (stream_op *)base;
    const wr_stream_args *a = &op->spec->a;
    op->u.err = err;
    op->u.timestamp = WEIR_NO_TIMESTAMP;
    int rc = a->source(a->arg, &op->u);
    if (rc < 0 || op->u.failed)
        return wr_udf_check(&op->u, rc < 0 ? rc : -1, "source function", err);
    op->u.err = NULL;
    *status = rc == WEIR_SOURCE_END ? WR_SOURCE_END : WR_SOURCE_MORE;
    return wr_udf_flush(&op->u, err);
}

/* Keyed kinds checkpoint their state and timers per key group. */
static int stream_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    stream_op *op = (stream_op *)base;
    if (op->keyed) wr_udf_snapshot_keyed(op->keyed, op->timers, out);
    return 0;
}

/* State bytes: the keyed state's (wr_keyed_bytes); timers are not counted. */
static size_t stream_state_bytes(const wr_operator *base)
{
    const stream_op *op = (const stream_op *)base;
    return op->keyed ? wr_keyed_bytes(op->keyed) : 0;
}

static const wr_operator_ops stream_ops = {
    .kind = "stream",
    .create = stream_create,
    .open = stream_open,
    .process = stream_process,
    .end_input = stream_end_input,
    .watermark = stream_watermark,
    .on_time = stream_on_time,
    .snapshot = stream_snapshot,
    .state_bytes = stream_state_bytes,
    .destroy = stream_destroy,
};

/* Sources need run() and no process(); the runtime tells them apart by these. */
static const wr_operator_ops stream_source_ops = {
    .kind = "source",
    .create = stream_create,
    .open = stream_open,
    .run = stream_run,
    .on_time = stream_on_time,
    .destroy = stream_destroy,
};
