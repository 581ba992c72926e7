/*
 * values.c — emits prepared batches of constant rows, then ends.
 */
#include "values.h"
#include "../base/alloc.h"

#include <string.h>

typedef struct values_spec {
    wr_batch **batches;
    int n;
} values_spec;

typedef struct values_op {
    wr_operator base;
    const values_spec *spec;
    int next;
} values_op;

static void spec_free(void *p)
{
    values_spec *spec = p;
    for (int i = 0; i < spec->n; i++) wr_batch_free(spec->batches[i]);
    wr_free(spec->batches);
    wr_free(spec);
}

wr_operator_spec wr_values_spec(wr_batch **batches, int n)
{
    values_spec *spec = wr_malloc(sizeof(*spec));
    spec->batches = batches;
    spec->n = n;
    wr_operator_spec out = {&wr_values_ops, spec, spec_free, 1, true};
    return out;
}

static wr_operator *values_create(const void *spec, wr_op_ctx *ctx, wr_error *err)
{
    values_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_values_ops;
    op->spec = spec;
    /* Restored: continue after the batches emitted before the checkpoint. */
    const wr_restore *r = ctx->restore;
    for (int i = 0; r && i < r->nparts; i++) {
        int64_t next;
        if (r->parts[i]->keygroup >= 0 || r->parts[i]->data.len != sizeof(next)) continue;
        memcpy(&next, r->parts[i]->data.data, sizeof(next));
        op->next = (int)WR_MAX(0, WR_MIN(next, (int64_t)op->spec->n));
    }
    if (r && r->finished) op->next = op->spec->n;
    return &op->base;
}

/* Operator state: how many batches went out before the barrier. */
static int values_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    int64_t next = ((values_op *)base)->next;
    wr_buf_append(wr_snapshot_add(out, -1), &next, sizeof(next));
    return 0;
}

static int values_run(wr_operator *base, wr_source_status *status, wr_error *err)
{
    values_op *op = (values_op *)base;
    if (op->next >= op->spec->n) {
        *status = WR_SOURCE_END;
        return 0;
    }
    *status = WR_SOURCE_MORE;
    /* The spec's batches are shared and read-only; emit lends them out. */
    return wr_op_emit(base->ctx, op->spec->batches[op->next++], err);
}

static void values_destroy(wr_operator *base)
{
    wr_free(base);
}

const wr_operator_ops wr_values_ops = {
    .kind = "values",
    .create = values_create,
    .run = values_run,
    .snapshot = values_snapshot,
    .destroy = values_destroy,
};
