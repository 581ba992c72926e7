/*
 * expand.c — the Expand operator for GROUPING SETS, ROLLUP and CUBE; see aggregate.h.
 *
 * Copies nothing: for each grouping set the output batch aliases the input's
 * vectors (allowed while the input is borrowed), gives the group columns
 * left out of the set an all-NULL bitmap, and adds the set's number as a
 * BIGINT column. Selection, change kinds and timestamps carry over.
 */
#include "aggregate.h"
#include "../base/alloc.h"

#include <string.h>

typedef struct expand_spec {
    wr_type *in_types;
    int nin;
    int *group_cols;
    int ngroup_cols;
    uint64_t *sets;
    int nsets;
} expand_spec;

typedef struct expand_op {
    wr_operator base;
    const expand_spec *spec;
    wr_type *out_types;
    wr_batch *out;
    uint64_t *nulls; /* all-zero validity for nulls_rows rows */
    int nulls_rows;
} expand_op;

static void spec_free(void *p)
{
    expand_spec *spec = p;
    wr_free(spec->in_types);
    wr_free(spec->group_cols);
    wr_free(spec->sets);
    wr_free(spec);
}

wr_operator_spec wr_expand_spec(const wr_type *in_types, int nin, const int *group_cols,
                                int ngroup_cols, const uint64_t *sets, int nsets)
{
    expand_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->in_types = wr_memdup_array(in_types, nin, sizeof(*in_types));
    spec->nin = nin;
    spec->group_cols = wr_memdup_array(group_cols, ngroup_cols, sizeof(*group_cols));
    spec->ngroup_cols = ngroup_cols;
    spec->sets = wr_memdup_array(sets, nsets, sizeof(*sets));
    spec->nsets = nsets;
    wr_operator_spec out = {&wr_expand_ops, spec, spec_free, -1, false};
    return out;
}

static void expand_destroy(wr_operator *base)
{
    expand_op *op = (expand_op *)base;
    wr_free(op->out_types);
    wr_batch_free(op->out);
    wr_free(op->nulls);
    wr_free(op);
}

static wr_operator *expand_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const expand_spec *spec = p;
    if (spec->nsets < 1 || spec->ngroup_cols > 64) {
        wr_error_set(err, WR_ERR_VALIDATION,
                     "Expand needs 1 or more grouping sets over at most 64 columns, got %d over %d",
                     spec->nsets, spec->ngroup_cols);
        return NULL;
    }
    for (int i = 0; i < spec->ngroup_cols; i++) {
        if (spec->group_cols[i] < 0 || spec->group_cols[i] >= spec->nin) {
            wr_error_set(err, WR_ERR_VALIDATION,
                         "Expand groups by column %d of an input with %d columns",
                         spec->group_cols[i], spec->nin);
            return NULL;
        }
    }
    expand_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_expand_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->out_types = wr_malloc((size_t)(spec->nin + 1) * sizeof(wr_type));
    memcpy(op->out_types, spec->in_types, (size_t)spec->nin * sizeof(wr_type));
    for (int i = 0; i < spec->ngroup_cols; i++) op->out_types[spec->group_cols[i]].nullable = true;
    op->out_types[spec->nin] = wr_type_make(WR_TYPE_BIGINT, false);
    op->out = wr_batch_new(op->out_types, spec->nin + 1, WR_BATCH_CAPACITY);
    return &op->base;
}

static int expand_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    expand_op *op = (expand_op *)base;
    const expand_spec *spec = op->spec;
    int n = wr_batch_rows(in);
    if (n == 0) return 0;
    if (in->count > op->out->capacity) {
        wr_batch_free(op->out);
        op->out = wr_batch_new(op->out_types, spec->nin + 1, in->count);
    }
    if (in->count > op->nulls_rows) {
        wr_free(op->nulls);
        op->nulls = wr_calloc(((size_t)in->count + 63) / 64, sizeof(uint64_t));
        op->nulls_rows = in->count;
    }
    wr_batch *out = op->out;
    for (int s = 0; s < spec->nsets; s++) {
        wr_batch_reset(out);
        for (int c = 0; c < spec->nin; c++) {
            out->cols[c].data = in->cols[c].data;
            out->cols[c].validity = in->cols[c].validity;
        }
        for (int i = 0; i < spec->ngroup_cols; i++)
            if (!((spec->sets[s] >> i) & 1)) out->cols[spec->group_cols[i]].validity = op->nulls;
        int64_t *id = out->cols[spec->nin].data;
        for (int r = 0; r < in->count; r++) id[r] = s;
        out->count = in->count;
        out->sel = in->sel;
        out->nsel = in->nsel;
        out->kinds = in->kinds;
        out->rowtimes = in->rowtimes;
        int rc = wr_op_emit(base->ctx, out, err);
        if (rc) return rc;
    }
    return 0;
}

const wr_operator_ops wr_expand_ops = {
    .kind = "expand",
    .create = expand_create,
    .process = expand_process,
    .destroy = expand_destroy,
};
