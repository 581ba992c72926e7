/*
 * watermark.c — the watermark assigner; see watermark.h.
 */
#include "watermark.h"
#include "../base/alloc.h"
#include "../base/arena.h"
#include "../base/clock.h"
#include "../base/config.h"

typedef struct wm_spec {
    wr_expr *expr;
} wm_spec;

typedef struct wm_op {
    wr_operator base;
    const wm_spec *spec;
    wr_arena arena; /* the expression's results, reset per batch */
    int64_t max_ms; /* largest watermark value seen */
    /* 'table.exec.source.idle-timeout' (0: off) and when the last row came (wall ms). */
    int64_t idle_ms;
    int64_t last_row_ms;
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
    int64_t idle_ms = 0;
    if (ctx->config &&
        wr_config_get_duration_ms(ctx->config, "table.exec.source.idle-timeout", 0, &idle_ms, err))
        return NULL;
    wm_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_watermark_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->max_ms = WR_WATERMARK_MIN;
    op->idle_ms = idle_ms > 0 ? idle_ms : 0;
    wr_arena_init(&op->arena, 4096);
    if (op->idle_ms) {
        op->last_row_ms = wr_clock_wall_ms();
        ctx->timer_at_ms = op->last_row_ms + op->idle_ms;
    }
    return &op->base;
}

/*
 * Idleness (Flink's idle source subtask): no row for idle_ms marks the output
 * idle, so operators downstream that merge it with other subtasks do not wait
 * for its watermark; the next row makes it active again. Checked on a
 * processing-time timer at last row + idle_ms.
 */
static int wm_on_time(wr_operator *base, int64_t now_ms, wr_error *err)
{
    wm_op *op = (wm_op *)base;
    if (op->idle_ms == 0) return 0;
    int64_t due = op->last_row_ms + op->idle_ms;
    if (now_ms < due) {
        base->ctx->timer_at_ms = due;
        return 0;
    }
    return wr_op_emit_idle(base->ctx, true, err);
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
    if (op->idle_ms) {
        op->last_row_ms = wr_clock_wall_ms();
        base->ctx->timer_at_ms = op->last_row_ms + op->idle_ms;
        if ((rc = wr_op_emit_idle(base->ctx, false, err))) return rc;
    }
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
    .on_time = wm_on_time,
    .destroy = wm_destroy,
};
