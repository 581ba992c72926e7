/*
 * replicate.c — the Replicate operator; see replicate.h.
 */
#include "replicate.h"
#include "../base/alloc.h"

#include <string.h>

typedef struct rep_spec {
    wr_type *types;
    int ncols;
} rep_spec;

typedef struct rep_op {
    wr_operator base;
    const rep_spec *spec;
    wr_batch *out;
} rep_op;

static void spec_free(void *p)
{
    rep_spec *s = p;
    wr_free(s->types);
    wr_free(s);
}

wr_operator_spec wr_replicate_spec(const wr_type *types, int ncols)
{
    rep_spec *s = wr_calloc(1, sizeof(*s));
    s->types = wr_malloc((size_t)ncols * sizeof(wr_type));
    memcpy(s->types, types, (size_t)ncols * sizeof(wr_type));
    s->ncols = ncols;
    wr_operator_spec out = {&wr_replicate_ops, s, spec_free, -1, false};
    return out;
}

static wr_operator *rep_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const rep_spec *spec = p;
    if (spec->ncols < 1 || spec->types[spec->ncols - 1].id != WR_TYPE_BIGINT) {
        wr_error_set(err, WR_ERR_INTERNAL, "replicate: the last column must be a BIGINT count");
        return NULL;
    }
    rep_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_replicate_ops;
    op->spec = spec;
    op->out = wr_batch_new(spec->types, spec->ncols, WR_BATCH_CAPACITY);
    return &op->base;
}

static int flush(rep_op *op, wr_error *err)
{
    int rc = wr_op_emit(op->base.ctx, op->out, err);
    wr_batch_reset(op->out);
    return rc;
}

static int rep_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    rep_op *op = (rep_op *)base;
    const wr_vector *cnt = &in->cols[op->spec->ncols - 1];
    int n = wr_batch_rows(in);
    uint32_t rows[WR_BATCH_CAPACITY];
    for (int i = 0; i < n; i++) {
        int r = wr_batch_row(in, i);
        if (wr_vector_is_null(cnt, r)) continue;
        int64_t times = ((const int64_t *)cnt->data)[r];
        while (times > 0) {
            int room = op->out->capacity - op->out->count;
            int k = times < room ? (int)times : room;
            for (int j = 0; j < k; j++) rows[j] = (uint32_t)r;
            wr_batch_append_rows(op->out, in, rows, k);
            times -= k;
            if (op->out->count == op->out->capacity) {
                int rc = flush(op, err);
                if (rc) return rc;
                if (wr_op_cancelled(base->ctx))
                    return wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
            }
        }
    }
    return 0;
}

static int rep_end_input(wr_operator *base, int input, wr_error *err)
{
    rep_op *op = (rep_op *)base;
    return op->out->count ? flush(op, err) : 0;
}

static void rep_destroy(wr_operator *base)
{
    rep_op *op = (rep_op *)base;
    wr_batch_free(op->out);
    wr_free(op);
}

const wr_operator_ops wr_replicate_ops = {
    .kind = "replicate",
    .create = rep_create,
    .process = rep_process,
    .end_input = rep_end_input,
    .destroy = rep_destroy,
};
