/*
 * watermark.c — the watermark assigner; see watermark.h.
 */
#include "watermark.h"
#include "../base/alloc.h"
#include "../base/arena.h"

typedef struct wm_spec {
    wr_expr *expr;
} wm_spec;

typedef struct wm_op {
    wr_operator base;
    const wm_spec *spec;
    wr_arena arena; /* the expression's results, reset per batch */
    int64_t max_ms; /* largest watermark value seen */
} wm_op;

static void spec_free(void *p)
{
    wm_spec *spec = p;
    wr_expr_free(spec->expr);
    wr_free(spec);
}

wr_operator_spec wr_watermark_spec(wr_expr *expr)
{
    wm_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->expr = expr;
    wr_operator_spec out = {&wr_watermark_ops, spec, spec_free, -1, false};
    return out;
}

static wr_operator *wm_create(const void *spec, wr_op_ctx *ctx, wr_error *err)
{
    wm_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_watermark_ops;
    op->spec = spec;
    op->max_ms = WR_WATERMARK_MIN;
    wr_arena_init(&op->arena, 4096);
    return &op->base;
}

/* Microseconds to whole milliseconds, rounding toward the past. */
static int64_t floor_ms(int64_t us)
{
    return us / 1000 - (us % 1000 < 0);
}

static int wm_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    wm_op *op = (wm_op *)base;
    int n = wr_batch_rows(in);
    if (n == 0) return 0;
    wr_arena_reset(&op->arena);
    wr_eval ev = {&op->arena, in->count};
    wr_vector v;
    int rc = wr_expr_eval(&ev, op->spec->expr, in, in->sel, n, &v, err);
    if (rc) return rc;
    const int64_t *us = v.data;
    int64_t max = WR_WATERMARK_MIN;
    for (int i = 0; i < n; i++) {
        int r = wr_batch_row(in, i);
        if (!wr_vector_is_null(&v, r) && us[r] > max) max = us[r];
    }
    if ((rc = wr_op_emit(base->ctx, in, err))) return rc;
    if (max == WR_WATERMARK_MIN) return 0;
    int64_t ms = floor_ms(max);
    if (ms <= op->max_ms) return 0;
    op->max_ms = ms;
    return wr_op_emit_watermark(base->ctx, ms, err);
}

/* Upstream watermarks mean nothing here; the end of input does. */
static int wm_watermark(wr_operator *base, int64_t watermark, wr_error *err)
{
    if (watermark != WR_WATERMARK_MAX) return 0;
    return wr_op_emit_watermark(base->ctx, watermark, err);
}

static void wm_destroy(wr_operator *base)
{
    wm_op *op = (wm_op *)base;
    wr_arena_fini(&op->arena);
    wr_free(op);
}

const wr_operator_ops wr_watermark_ops = {
    .kind = "watermark",
    .create = wm_create,
    .process = wm_process,
    .watermark = wm_watermark,
    .destroy = wm_destroy,
};
