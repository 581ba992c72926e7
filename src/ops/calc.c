/*
 * calc.c — filter + projection over batches; see calc.h.
 */
#include "calc.h"
#include "../base/alloc.h"

typedef struct calc_spec {
    wr_expr *filter;
    wr_expr **projs;
    int nprojs;
    int ncommon; /* calls that occur more than once in filter and projections, by slot */
} calc_spec;

typedef struct calc_op {
    wr_operator base;
    const calc_spec *spec;
    wr_batch_ring out;     /* lendable when the input is: the output points into it */
    wr_expr_cache *common; /* their results in the batch being processed */
} calc_op;

static void spec_free(void *p)
{
    calc_spec *spec = p;
    wr_expr_free(spec->filter);
    for (int i = 0; i < spec->nprojs; i++) wr_expr_free(spec->projs[i]);
    wr_free(spec->projs);
    wr_free(spec);
}

wr_operator_spec wr_calc_spec(wr_expr *filter, wr_expr **projs, int nprojs)
{
    calc_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->filter = filter;
    spec->projs = projs;
    spec->nprojs = nprojs;
    /* The filter and the projections, so that a call they repeat is computed once a batch. */
    wr_expr **all = wr_malloc((size_t)(nprojs + 1) * sizeof(wr_expr *));
    all[0] = filter;
    for (int i = 0; i < nprojs; i++) all[i + 1] = projs[i];
    spec->ncommon = wr_expr_mark_common(all, nprojs + 1);
    wr_free(all);
    wr_operator_spec out = {&wr_calc_ops, spec, spec_free, -1, false};
    return out;
}

static wr_operator *calc_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const calc_spec *spec = p;
    calc_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_calc_ops;
    op->spec = spec;
    wr_type types[spec->nprojs > 0 ? spec->nprojs : 1];
    for (int i = 0; i < spec->nprojs; i++) types[i] = spec->projs[i]->type;
    wr_batch_ring_init(&op->out, wr_batch_new(types, spec->nprojs, WR_BATCH_CAPACITY));
    if (spec->ncommon) op->common = wr_calloc((size_t)spec->ncommon, sizeof(wr_expr_cache));
    return &op->base;
}

static int calc_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    calc_op *op = (calc_op *)base;
    const calc_spec *spec = op->spec;
    wr_batch *out = wr_batch_ring_take(&op->out);
    wr_eval ev = {&out->arena, in->count, op->common};
    for (int i = 0; i < spec->ncommon; i++) op->common[i].valid = false;
    const uint32_t *sel = in->sel;
    int n = wr_batch_rows(in);
    if (spec->filter) {
        uint32_t *keep = wr_batch_sel_buffer(out);
        int rc = wr_expr_filter(&ev, spec->filter, in, sel, n, keep, &n, err);
        if (rc) return rc;
        if (n == 0) return 0;
        sel = keep;
    }
    for (int i = 0; i < spec->nprojs; i++) {
        wr_vector v;
        int rc = wr_expr_eval(&ev, spec->projs[i], in, sel, n, &v, err);
        if (rc) return rc;
        out->cols[i].data = v.data;
        out->cols[i].validity = v.validity;
    }
    out->count = in->count;
    out->kinds = in->kinds;
    out->rowtimes = in->rowtimes;
    if (in->lendable) {
        out->lendable = true;
        out->deps[out->ndeps++] = in;
    }
    /* A filter that kept every row of an unselected batch needs no selection. */
    if (sel && !(in->sel == NULL && n == in->count)) {
        out->sel = (uint32_t *)sel;
        out->nsel = n;
    }
    return wr_op_emit(base->ctx, out, err);
}

static void calc_destroy(wr_operator *base)
{
    calc_op *op = (calc_op *)base;
    wr_batch_ring_fini(&op->out);
    wr_free(op->common);
    wr_free(op);
}

const wr_operator_ops wr_calc_ops = {
    .kind = "calc",
    .create = calc_create,
    .process = calc_process,
    .destroy = calc_destroy,
};
