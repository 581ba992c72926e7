/*
 * window_tvf.c — the window TVF as an operator (TUMBLE, HOP, CUMULATE over a
 * table, not followed by an aggregation); see window_agg.h.
 *
 * Each input row becomes one output row per window it falls in. Output rows
 * are (source row, window) pairs gathered into the output batch column by
 * column: fixed-width slots are copied, strings stay views of the borrowed
 * input batch (downstream borrows the output for the call only), so a row's
 * bytes are never copied row by row. Nothing outlives the call.
 */
#include "window_agg.h"
#include "../base/alloc.h"
#include "../base/clock.h"

#include <string.h>

typedef struct tvf_spec {
    wr_type *in_types;
    int nin;
    wr_window_def w;
} tvf_spec;

typedef struct tvf_op {
    wr_operator base;
    const tvf_spec *spec;
    wr_batch *out;
    uint32_t src[WR_BATCH_CAPACITY]; /* pending output rows: source row and window */
    int64_t start[WR_BATCH_CAPACITY], end[WR_BATCH_CAPACITY];
    int n;
} tvf_op;

int wr_window_def_check(const wr_window_def *w, wr_error *err)
{
    static const char *const names[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
    if ((int)w->kind < 0 || w->kind > WR_WINDOW_SESSION)
        return wr_error_set(err, WR_ERR_VALIDATION, "unknown window kind %d", (int)w->kind);
    const char *name = names[w->kind];
    if (w->time_col < -1)
        return wr_error_set(err, WR_ERR_VALIDATION, "%s: time column %d is not a column", name,
                            w->time_col);
    if (w->kind == WR_WINDOW_SESSION) {
        if (w->gap_ms <= 0)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "SESSION: the gap must be positive, got %lld ms",
                                (long long)w->gap_ms);
        return 0;
    }
    if (w->size_ms <= 0)
        return wr_error_set(err, WR_ERR_VALIDATION, "%s: the size must be positive, got %lld ms",
                            name, (long long)w->size_ms);
    if (w->kind == WR_WINDOW_TUMBLE) return 0;
    const char *what = w->kind == WR_WINDOW_HOP ? "slide" : "step";
    if (w->slide_ms <= 0)
        return wr_error_set(err, WR_ERR_VALIDATION, "%s: the %s must be positive, got %lld ms",
                            name, what, (long long)w->slide_ms);
    /* Slicing needs windows made of whole slices (Flink's HOP and CUMULATE rules). */
    if (w->size_ms % w->slide_ms != 0)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "%s: the size (%lld ms) must be an integral multiple of the %s "
                            "(%lld ms)",
                            name, (long long)w->size_ms, what, (long long)w->slide_ms);
    return 0;
}

void wr_window_columns(const wr_type *in_types, int nin, const wr_window_def *w, wr_type out[3])
{
    wr_type ts = wr_type_make(WR_TYPE_TIMESTAMP, false);
    ts.length = 3;
    out[0] = ts;
    out[1] = ts;
    /* window_time keeps the time attribute's type: PROCTIME() is a TIMESTAMP_LTZ(3). */
    out[2] = ts;
    if (w->time_col < 0 || (w->time_col < nin && in_types[w->time_col].id == WR_TYPE_TIMESTAMP_LTZ))
        out[2].id = WR_TYPE_TIMESTAMP_LTZ;
}

/* Checks what create needs beyond wr_window_def_check: the time column and its type. */
int wr_window_check_input(const wr_type *in_types, int nin, const wr_window_def *w,
                          const char *what, wr_error *err)
{
    int rc = wr_window_def_check(w, err);
    if (rc) return rc;
    if (w->time_col < 0) return 0;
    if (w->time_col >= nin)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "%s: the time column %d is not one of the %d input columns", what,
                            w->time_col, nin);
    wr_type t = in_types[w->time_col];
    if (t.id != WR_TYPE_TIMESTAMP && t.id != WR_TYPE_TIMESTAMP_LTZ) {
        char name[64];
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "%s: the time column must be a TIMESTAMP or TIMESTAMP_LTZ, got %s",
                            what, wr_type_name(t, name, sizeof(name)));
    }
    return 0;
}

/* ---- spec --------------------------------------------------------------------------- */

static void tvf_spec_free(void *p)
{
    tvf_spec *spec = p;
    wr_free(spec->in_types);
    wr_free(spec);
}

wr_operator_spec wr_window_tvf_spec(const wr_type *in_types, int nin, const wr_window_def *w)
{
    tvf_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->in_types = wr_malloc(sizeof(wr_type) * (size_t)(nin > 0 ? nin : 1));
    if (nin > 0) memcpy(spec->in_types, in_types, sizeof(wr_type) * (size_t)nin);
    spec->nin = nin;
    spec->w = *w;
    return (wr_operator_spec){
        .ops = &wr_window_tvf_ops, .spec = spec, .spec_free = tvf_spec_free, .parallelism = -1};
}

/* ---- the operator ------------------------------------------------------------------- */

static void tvf_destroy(wr_operator *base)
{
    tvf_op *op = (tvf_op *)base;
    wr_batch_free(op->out);
    wr_free(op);
}

static wr_operator *tvf_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const tvf_spec *spec = p;
    if (wr_window_check_input(spec->in_types, spec->nin, &spec->w, "window TVF", err)) return NULL;
    if (spec->w.kind == WR_WINDOW_SESSION) {
        wr_error_set(err, WR_ERR_VALIDATION,
                     "SESSION windows cannot be assigned row by row: a SESSION window TVF "
                     "must be followed by an aggregation");
        return NULL;
    }
    tvf_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_window_tvf_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    wr_type *types = wr_malloc(sizeof(wr_type) * (size_t)(spec->nin + 3));
    if (spec->nin) memcpy(types, spec->in_types, sizeof(wr_type) * (size_t)spec->nin);
    wr_window_columns(spec->in_types, spec->nin, &spec->w, types + spec->nin);
    op->out = wr_batch_new(types, spec->nin + 3, WR_BATCH_CAPACITY);
    wr_free(types);
    return &op->base;
}

/* Emits the pending (source row, window) pairs of input batch in. */
static int tvf_flush(tvf_op *op, const wr_batch *in, wr_error *err)
{
    int n = op->n, nin = op->spec->nin;
    if (n == 0) return 0;
    op->n = 0;
    wr_batch *out = op->out;
    wr_batch_reset(out);
    for (int c = 0; c < nin; c++) {
        const wr_vector *v = &in->cols[c];
        wr_type_id id = v->type.id;
        size_t w = wr_type_is_view(id) ? sizeof(wr_str) : wr_type_width(id);
        wr_slots_gather(out->cols[c].data, v->data, w, op->src, n);
        if (v->validity) {
            uint64_t *valid = wr_batch_validity(out, c);
            for (int i = 0; i < n; i++)
                wr_validity_set(valid, i, !wr_vector_is_null(v, (int)op->src[i]));
        }
    }
    int64_t *ws = out->cols[nin].data, *we = out->cols[nin + 1].data, *wt = out->cols[nin + 2].data;
    for (int i = 0; i < n; i++) {
        ws[i] = op->start[i] * 1000;
        we[i] = op->end[i] * 1000;
        wt[i] = (op->end[i] - 1) * 1000;
    }
    if (in->kinds) {
        uint8_t *k = wr_batch_kinds(out);
        for (int i = 0; i < n; i++) k[i] = in->kinds[op->src[i]];
    }
    if (in->rowtimes) {
        int64_t *t = wr_batch_rowtimes(out);
        for (int i = 0; i < n; i++) t[i] = in->rowtimes[op->src[i]];
    }
    out->count = n;
    return wr_op_emit(op->base.ctx, out, err);
}

static int tvf_add(tvf_op *op, const wr_batch *in, uint32_t row, int64_t start, int64_t end,
                   wr_error *err)
{
    if (op->n == WR_BATCH_CAPACITY) {
        int rc = tvf_flush(op, in, err);
        if (rc) return rc;
    }
    op->src[op->n] = row;
    op->start[op->n] = start;
    op->end[op->n] = end;
    op->n++;
    return 0;
}

static int tvf_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    tvf_op *op = (tvf_op *)base;
    const wr_window_def *w = &op->spec->w;
    int n = wr_batch_rows(in), rc = 0;
    const wr_vector *tv = w->time_col >= 0 ? &in->cols[w->time_col] : NULL;
    const int64_t *times = tv ? tv->data : NULL;
    int64_t now = tv ? 0 : wr_clock_wall_ms();
    op->n = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        uint32_t r = (uint32_t)wr_batch_row(in, i);
        if (tv && wr_vector_is_null(tv, (int)r)) continue; /* no time: in no window */
        int64_t ts = tv ? wr_window_micros_to_ms(times[r]) : now;
        switch (w->kind) {
        case WR_WINDOW_TUMBLE: {
            int64_t s = wr_window_start(ts, w->offset_ms, w->size_ms);
            rc = tvf_add(op, in, r, s, s + w->size_ms, err);
            break;
        }
        case WR_WINDOW_HOP: {
            /* The windows [s, s + size) with s on the slide's grid and ts inside, earliest first.
             */
            int64_t last = wr_window_start(ts, w->offset_ms, w->slide_ms);
            int64_t s = last - (w->size_ms - w->slide_ms);
            for (; s <= last && rc == 0; s += w->slide_ms)
                rc = tvf_add(op, in, r, s, s + w->size_ms, err);
            break;
        }
        case WR_WINDOW_CUMULATE: {
            /* The windows of ts's period [c, c + size) that end after ts, shortest first. */
            int64_t c = wr_window_start(ts, w->offset_ms, w->size_ms);
            int64_t e = wr_window_start(ts, w->offset_ms, w->slide_ms) + w->slide_ms;
            for (; e <= c + w->size_ms && rc == 0; e += w->slide_ms)
                rc = tvf_add(op, in, r, c, e, err);
            break;
        }
        case WR_WINDOW_SESSION:
            assert(0); /* refused at create */
        }
    }
    if (rc) return rc;
    return tvf_flush(op, in, err);
}

const wr_operator_ops wr_window_tvf_ops = {
    .kind = "window_tvf",
    .create = tvf_create,
    .process = tvf_process,
    .destroy = tvf_destroy,
};
