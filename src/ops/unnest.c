/*
 * unnest.c — the UNNEST operator; see unnest.h.
 *
 * Per input batch: the collection expression is evaluated once for the batch, then every
 * active row is expanded into (input row, element) pairs. Pairs fill an output batch up to its
 * capacity; a full batch is materialized (input columns gathered by row, element columns
 * decoded from the collection values) and emitted at once, so one row with a long collection
 * spreads over as many batches as it needs and nothing is kept between calls.
 */
#include "unnest.h"
#include "../base/alloc.h"
#include "../types/nested.h"

#include <string.h>

/* The element of a pair for the row of NULLs an outer UNNEST gives an empty collection. */
#define NO_ELEM UINT32_MAX

typedef struct unnest_spec {
    wr_type *types; /* the input columns, then the element columns */
    int nin, nout;
    wr_expr *expr;
    bool outer, ordinality;
} unnest_spec;

typedef struct unnest_op {
    wr_operator base;
    const unnest_spec *spec;
    wr_batch *out;
    wr_arena arena; /* the evaluated collections of the batch being expanded */
    int n;          /* pairs pending in src / elem */
    uint32_t src[WR_BATCH_CAPACITY];
    uint32_t elem[WR_BATCH_CAPACITY];
} unnest_op;

/* A column of an element part: nullable when outer, STRING for the type of NULL. */
static wr_type elem_column(wr_type t, bool nullable)
{
    if (t.id == WR_TYPE_NULL) return wr_type_make(WR_TYPE_VARCHAR, true);
    t.nullable |= nullable;
    return t;
}

int wr_unnest_types(wr_type coll, bool outer, bool ordinality, wr_type *types)
{
    int n = 0;
    if (coll.id == WR_TYPE_MAP) {
        if (types) {
            types[0] = elem_column(wr_type_elem(coll), outer);
            types[1] = elem_column(wr_type_map_value(coll), outer);
        }
        n = 2;
    } else if (coll.id == WR_TYPE_ARRAY || coll.id == WR_TYPE_MULTISET) {
        wr_type elem = wr_type_elem(coll);
        if (elem.id == WR_TYPE_ROW) {
            /* An array of rows unnests into the rows' fields, as in Flink. */
            const wr_nested *d = wr_type_nested(elem);
            for (int i = 0; types && i < d->nfields; i++)
                types[i] = elem_column(d->fields[i], outer || elem.nullable);
            n = d->nfields;
        } else {
            if (types) types[0] = elem_column(elem, outer);
            n = 1;
        }
    } else {
        return -1;
    }
    if (ordinality) {
        if (types) types[n] = wr_type_make(WR_TYPE_INT, outer);
        n++;
    }
    return n;
}

static void spec_free(void *p)
{
    unnest_spec *s = p;
    if (s == NULL) return;
    wr_expr_free(s->expr);
    wr_free(s->types);
    wr_free(s);
}

wr_operator_spec wr_unnest_spec(const wr_type *in_types, int nin, wr_expr *expr, bool outer,
                                bool ordinality)
{
    unnest_spec *s = wr_calloc(1, sizeof(*s));
    s->expr = expr;
    s->outer = outer;
    s->ordinality = ordinality;
    s->nin = nin;
    int nelem = wr_unnest_types(expr->type, outer, ordinality, NULL);
    s->nout = nin + (nelem > 0 ? nelem : 0);
    s->types = wr_malloc((size_t)(s->nout ? s->nout : 1) * sizeof(wr_type));
    if (nin) memcpy(s->types, in_types, (size_t)nin * sizeof(wr_type));
    if (nelem > 0) wr_unnest_types(expr->type, outer, ordinality, s->types + nin);
    wr_operator_spec out = {&wr_unnest_ops, s, spec_free, -1, false};
    return out;
}

static wr_operator *unnest_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const unnest_spec *spec = p;
    if (wr_unnest_types(spec->expr->type, false, false, NULL) < 0) {
        char t[256];
        wr_error_set(err, WR_ERR_INTERNAL, "unnest: cannot expand a value of type %s",
                     wr_type_name(spec->expr->type, t, sizeof(t)));
        return NULL;
    }
    unnest_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_unnest_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->out = wr_batch_new(spec->types, spec->nout, WR_BATCH_CAPACITY);
    wr_arena_init(&op->arena, 16384);
    return &op->base;
}

/* The widest slot of any type. */
typedef union slot {
    wr_int128 i128;
    wr_str s;
    int64_t i64;
    double d;
} slot;

static void put(wr_batch *out, int col, int row, const void *value, bool present)
{
    if (!present) {
        wr_batch_set_null(out, col, row);
        return;
    }
    size_t w = wr_type_width((wr_type_id)out->cols[col].type.id);
    memcpy((char *)out->cols[col].data + w * (size_t)row, value, w);
}

/* The element columns of output row j: element e of collection value v (NO_ELEM: NULLs). */
static void put_element(const unnest_spec *spec, wr_batch *out, int j, wr_type coll,
                        const wr_str *v, uint32_t e)
{
    int col = spec->nin;
    int nelem = spec->nout - spec->nin - (spec->ordinality ? 1 : 0);
    if (v == NULL || e == NO_ELEM) {
        for (int k = col; k < spec->nout; k++) wr_batch_set_null(out, k, j);
        return;
    }
    slot s;
    if (coll.id == WR_TYPE_MAP) {
        wr_array_reader keys, vals;
        wr_array_open(&keys, wr_type_elem(coll), wr_map_keys(*v));
        wr_array_open(&vals, wr_type_map_value(coll), wr_map_values(*v));
        bool present = wr_array_get(&keys, e, &s);
        put(out, col, j, &s, present);
        present = wr_array_get(&vals, e, &s);
        put(out, col + 1, j, &s, present);
    } else {
        wr_type elem = wr_type_elem(coll);
        wr_array_reader rd;
        wr_array_open(&rd, elem, *v);
        bool present = wr_array_get(&rd, e, &s);
        if (elem.id != WR_TYPE_ROW) {
            put(out, col, j, &s, present);
        } else {
            const wr_nested *d = wr_type_nested(elem);
            wr_str row = s.s;
            for (int k = 0; k < nelem; k++) {
                slot f;
                put(out, col + k, j, &f, present && wr_row_value_get(d, row, k, &f));
            }
        }
    }
    if (spec->ordinality) {
        int32_t pos = (int32_t)e + 1;
        put(out, spec->nout - 1, j, &pos, true);
    }
}

/* Materializes the pending pairs of in (whose collections are coll) and emits them. */
static int flush(unnest_op *op, const wr_batch *in, const wr_vector *coll, wr_error *err)
{
    const unnest_spec *spec = op->spec;
    wr_batch *out = op->out;
    int n = op->n;
    op->n = 0;
    wr_batch_reset(out);
    for (int c = 0; c < spec->nin; c++) {
        const wr_vector *v = &in->cols[c];
        wr_slots_gather(out->cols[c].data, v->data, wr_type_width((wr_type_id)v->type.id), op->src,
                        n);
        if (v->validity == NULL) continue;
        uint64_t *valid = wr_batch_validity(out, c);
        for (int j = 0; j < n; j++)
            wr_validity_set(valid, j, !wr_vector_is_null(v, (int)op->src[j]));
    }
    for (int j = 0; j < n; j++) {
        int r = (int)op->src[j];
        const wr_str *value = wr_vector_is_null(coll, r) ? NULL : &((const wr_str *)coll->data)[r];
        put_element(spec, out, j, coll->type, value, op->elem[j]);
    }
    if (in->kinds) {
        uint8_t *k = wr_batch_kinds(out);
        for (int j = 0; j < n; j++) k[j] = in->kinds[op->src[j]];
    }
    if (in->rowtimes) {
        int64_t *t = wr_batch_rowtimes(out);
        for (int j = 0; j < n; j++) t[j] = in->rowtimes[op->src[j]];
    }
    out->count = n;
    /* Column views alias the input batch, which stays borrowed while emit runs. */
    int rc = wr_op_emit(op->base.ctx, out, err);
    if (rc == 0 && wr_op_cancelled(op->base.ctx))
        rc = wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
    return rc;
}

static int add(unnest_op *op, const wr_batch *in, const wr_vector *coll, int r, uint32_t e,
               wr_error *err)
{
    op->src[op->n] = (uint32_t)r;
    op->elem[op->n] = e;
    return ++op->n == WR_BATCH_CAPACITY ? flush(op, in, coll, err) : 0;
}

static int unnest_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    unnest_op *op = (unnest_op *)base;
    const unnest_spec *spec = op->spec;
    int n = wr_batch_rows(in);
    if (n == 0) return 0;
    wr_arena_reset(&op->arena);
    wr_eval ev = {&op->arena, in->count};
    wr_vector coll;
    int rc = wr_expr_eval(&ev, spec->expr, in, in->sel, n, &coll, err);
    if (rc) return rc;
    bool map = coll.type.id == WR_TYPE_MAP;
    for (int i = 0; i < n && rc == 0; i++) {
        int r = wr_batch_row(in, i);
        uint32_t m = 0;
        if (!wr_vector_is_null(&coll, r)) {
            wr_str v = ((const wr_str *)coll.data)[r];
            m = map ? wr_map_size(v) : wr_array_size(v);
        }
        if (m == 0 && spec->outer) rc = add(op, in, &coll, r, NO_ELEM, err);
        for (uint32_t e = 0; e < m && rc == 0; e++) rc = add(op, in, &coll, r, e, err);
    }
    if (rc == 0 && op->n > 0) rc = flush(op, in, &coll, err);
    op->n = 0;
    return rc;
}

static void unnest_destroy(wr_operator *base)
{
    unnest_op *op = (unnest_op *)base;
    wr_batch_free(op->out);
    wr_arena_fini(&op->arena);
    wr_free(op);
}

const wr_operator_ops wr_unnest_ops = {
    .kind = "unnest",
    .create = unnest_create,
    .process = unnest_process,
    .destroy = unnest_destroy,
};
