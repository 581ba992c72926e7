/*
 * lookup_join.c — the processing-time lookup join; see lookup_join.h.
 *
 * Row by row: an input row's key columns go to the lookup source, the rows
 * it returns are decoded into a scratch batch of the table's columns in
 * chunks, each chunk is paired with the input row and filtered by the
 * residual, and the passing pairs are appended to the output batch, which
 * is emitted when full and at the end of every input batch. Output keeps
 * input order.
 */
#include "lookup_join.h"
#include "../base/alloc.h"
#include "../base/buf.h"
#include "../expr/expr.h"
#include "../types/row_codec.h"
#include "colstore.h"
#include "operator.h"

#include <string.h>

typedef struct lj_spec {
    wr_join_desc d;
    wr_lookup_spec src;
} lj_spec;

typedef struct lj_op {
    wr_operator base;
    const lj_spec *spec;
    wr_lookup *src;
    int nout;        /* output columns: left then right */
    size_t *widths;  /* slot width of each output column */
    bool *is_str;    /* whether it holds wr_str views */
    wr_batch *right; /* the table's rows found for one input row (a chunk of them) */
    wr_batch *pairs; /* the input row with each of them, for the residual */
    uint32_t *sel;
    wr_batch *out;
    wr_buf rows; /* what the source returned */
} lj_op;

static void spec_free(void *p)
{
    lj_spec *spec = p;
    wr_free((void *)spec->d.left_types);
    wr_free((void *)spec->d.right_types);
    wr_free((void *)spec->d.left_keys);
    wr_free((void *)spec->d.right_keys);
    wr_expr_free(spec->d.residual);
    if (spec->src.conf_free) spec->src.conf_free(spec->src.conf);
    wr_free(spec);
}

static void *dup_array(const void *src, int n, size_t size)
{
    void *p = wr_malloc((size_t)(n > 0 ? n : 1) * size);
    if (n > 0) memcpy(p, src, (size_t)n * size);
    return p;
}

wr_operator_spec wr_lookup_join_spec(const wr_join_desc *d, wr_lookup_spec *source)
{
    lj_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->d = *d;
    spec->d.left_types = dup_array(d->left_types, d->nleft, sizeof(wr_type));
    spec->d.right_types = dup_array(d->right_types, d->nright, sizeof(wr_type));
    spec->d.left_keys = dup_array(d->left_keys, d->nkeys, sizeof(int));
    spec->d.right_keys = dup_array(d->right_keys, d->nkeys, sizeof(int));
    spec->d.null_safe = NULL;
    spec->d.shared_build = false;
    spec->src = *source;
    memset(source, 0, sizeof(*source));
    wr_operator_spec out = {&wr_lookup_join_ops, spec, spec_free, -1, false};
    return out;
}

static void lj_destroy(wr_operator *base)
{
    lj_op *op = (lj_op *)base;
    if (op->src) op->spec->src.close(op->src);
    wr_batch_free(op->right);
    wr_batch_free(op->pairs);
    wr_batch_free(op->out);
    wr_free(op->sel);
    wr_free(op->widths);
    wr_free(op->is_str);
    wr_buf_fini(&op->rows);
    wr_free(op);
}

static wr_operator *lj_create(const void *spec_p, wr_op_ctx *ctx, wr_error *err)
{
    const lj_spec *spec = spec_p;
    const wr_join_desc *d = &spec->d;
    if (wr_join_desc_check(d, "lookup join", err)) return NULL;
    if (d->type != WR_JOIN_TYPE_INNER && d->type != WR_JOIN_TYPE_LEFT) {
        wr_error_set(err, WR_ERR_ARGUMENT, "lookup join: %s is not INNER or LEFT",
                     wr_join_type_name(d->type));
        return NULL;
    }
    if (d->nkeys == 0 || spec->src.lookup == NULL) {
        wr_error_set(err, WR_ERR_ARGUMENT, "lookup join: no lookup keys or no lookup source");
        return NULL;
    }
    lj_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_lookup_join_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->nout = d->nleft + d->nright;
    wr_type *types = wr_malloc(sizeof(wr_type) * (size_t)(op->nout + 1));
    wr_join_output_types(d, types);
    op->widths = wr_malloc(sizeof(size_t) * (size_t)(op->nout + 1));
    op->is_str = wr_malloc(sizeof(bool) * (size_t)(op->nout + 1));
    for (int c = 0; c < op->nout; c++) {
        op->widths[c] = wr_type_width(types[c].id);
        op->is_str[c] = wr_value_kind_of(types[c].id) == WR_VALUE_STR;
    }
    op->right = wr_batch_new(d->right_types, d->nright, WR_BATCH_CAPACITY);
    op->pairs = wr_batch_new(types, op->nout, WR_BATCH_CAPACITY);
    op->out = wr_batch_new(types, op->nout, WR_BATCH_CAPACITY);
    op->sel = wr_malloc(sizeof(uint32_t) * WR_BATCH_CAPACITY);
    wr_free(types);
    wr_buf_init(&op->rows);
    return &op->base;
}

static int lj_open(wr_operator *base, wr_error *err)
{
    lj_op *op = (lj_op *)base;
    return op->spec->src.open(op->spec->src.conf, &op->src, err);
}

/* Copies columns [from, from + n) of src row srow into dst row drow at column first. */
static void put_cols(lj_op *op, wr_batch *dst, int drow, int first, const wr_batch *src, int srow,
                     int n)
{
    for (int c = 0; c < n; c++) {
        wr_vector *v = &dst->cols[first + c];
        if (src == NULL || wr_vector_is_null(&src->cols[c], srow)) {
            wr_batch_set_null(dst, first + c, drow);
            continue;
        }
        size_t w = op->widths[first + c];
        memcpy((char *)v->data + (size_t)drow * w,
               (const char *)src->cols[c].data + (size_t)srow * w, w);
        if (v->validity) wr_validity_set(v->validity, drow, true);
    }
}

static int flush(lj_op *op, wr_error *err)
{
    int rc = wr_op_emit(op->base.ctx, op->out, err);
    wr_batch_reset(op->out);
    return rc;
}

/* Appends row r of src (output columns) with the given kind, emitting a full batch first. */
static int append(lj_op *op, const wr_batch *src, int r, const wr_batch *left, int lrow,
                  wr_change_kind kind, wr_error *err)
{
    if (op->out->count == op->out->capacity) {
        int rc = flush(op, err);
        if (rc) return rc;
    }
    int o = op->out->count++;
    if (src) {
        put_cols(op, op->out, o, 0, src, r, op->nout);
        /* The table's strings live in a scratch batch the next chunk reuses: copy them. */
        const wr_join_desc *d = &op->spec->d;
        for (int c = d->nleft; c < op->nout; c++) {
            wr_vector *v = &op->out->cols[c];
            if (!op->is_str[c] || wr_vector_is_null(v, o)) continue;
            wr_str *slot = (wr_str *)v->data + o;
            *slot = wr_batch_str(op->out, slot->ptr, slot->len);
        }
    } else {
        /* The input row padded with NULLs. */
        put_cols(op, op->out, o, 0, left, lrow, op->spec->d.nleft);
        put_cols(op, op->out, o, op->spec->d.nleft, NULL, 0, op->spec->d.nright);
    }
    if (kind != WR_KIND_INSERT || op->out->kinds) wr_batch_kinds(op->out)[o] = (uint8_t)kind;
    return 0;
}

/* Joins one input row with the rows the source finds for it. */
static int join_row(lj_op *op, const wr_batch *in, int row, wr_error *err)
{
    const wr_join_desc *d = &op->spec->d;
    wr_change_kind kind = wr_batch_kind(in, row);
    bool hit = false;
    bool nullkey = false;
    for (int k = 0; k < d->nkeys; k++)
        nullkey |= wr_vector_is_null(&in->cols[d->left_keys[k]], row);
    int n = 0;
    wr_buf_reset(&op->rows);
    if (!nullkey) {
        n = op->spec->src.lookup(op->src, in, d->left_keys, row, &op->rows, err);
        if (n < 0) return n;
    }
    size_t off = 0;
    const uint8_t *bytes = (const uint8_t *)op->rows.data;
    for (int done = 0; done < n;) {
        wr_batch_reset(op->right);
        wr_batch_reset(op->pairs);
        int k = 0;
        for (; k < WR_BATCH_CAPACITY && done + k < n; k++) {
            uint32_t len;
            if (off + 4 > op->rows.len)
                return wr_error_set(err, WR_ERR_INTERNAL, "lookup join: short row list");
            memcpy(&len, bytes + off, 4);
            off += 4;
            int used = wr_row_decode_append(op->right, bytes + off, len, err);
            if (used < 0) return used;
            off += len;
            put_cols(op, op->pairs, k, 0, in, row, d->nleft);
            put_cols(op, op->pairs, k, d->nleft, op->right, k, d->nright);
        }
        op->pairs->count = k;
        int npass = k;
        if (d->residual) {
            wr_eval ev = {&op->pairs->arena, k};
            int rc = wr_expr_filter(&ev, d->residual, op->pairs, NULL, k, op->sel, &npass, err);
            if (rc) return rc;
        } else {
            for (int i = 0; i < k; i++) op->sel[i] = (uint32_t)i;
        }
        for (int i = 0; i < npass; i++) {
            int rc = append(op, op->pairs, (int)op->sel[i], NULL, 0, kind, err);
            if (rc) return rc;
        }
        hit |= npass > 0;
        done += k;
    }
    if (!hit && d->type == WR_JOIN_TYPE_LEFT) return append(op, NULL, 0, in, row, kind, err);
    return 0;
}

static int lj_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    (void)input;
    lj_op *op = (lj_op *)base;
    int n = wr_batch_rows(batch);
    for (int i = 0; i < n; i++) {
        int rc = join_row(op, batch, wr_batch_row(batch, i), err);
        if (rc) return rc;
    }
    return flush(op, err);
}

const wr_operator_ops wr_lookup_join_ops = {
    .kind = "lookup_join",
    .create = lj_create,
    .open = lj_open,
    .process = lj_process,
    .destroy = lj_destroy,
};
