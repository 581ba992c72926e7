/*
 * over.c — OVER windows over bounded input; see over.h.
 *
 * Rows are copied into a column store and, at the end of input, ordered by
 * the partition columns then the ORDER BY keys with the sort operator's
 * ordering (wr_sort_store: stable, NULLs equal to each other, so NULL
 * partition values form one partition). One pass over that order marks
 * where partitions and peer groups (equal ORDER BY keys) start; a second
 * pass walks the rows in order, batch by batch, and writes each call's value.
 *
 * Every frame is a range [a, b) of positions in that order whose ends never
 * move back within a partition (ROWS offsets, peer groups, the partition's
 * ends). So each aggregate call keeps one accumulator over the positions
 * [lo, hi) it has folded in: the end grows by updates, the start moves by
 * retractions where the function can retract, and otherwise the state is
 * started over from the new start. Running frames (UNBOUNDED PRECEDING) and
 * whole partitions only ever add, so they cost O(n); sliding frames of
 * retractable functions too; sliding frames of MIN, MAX and the like are
 * recomputed, O(n * frame).
 */
#include "over.h"
#include "../base/alloc.h"
#include "../base/wr.h"
#include "aggregate_int.h"

#include <string.h>

#define CAP WR_BATCH_CAPACITY

typedef struct over_spec {
    wr_type *in_types;
    int nin;
    wr_sort_key *keys; /* partition columns (ASC, NULLS FIRST), then the ORDER BY keys */
    int npart, norder;
    wr_over_call *calls;
    int ncalls;
} over_spec;

/* Where an aggregate call stands: its accumulator holds positions [lo, hi); a RANGE frame
 * with offsets last started at rlo and ended at rhi. */
typedef struct cursor {
    uint32_t lo, hi;
    uint32_t rlo, rhi;
} cursor;

enum { PART_START = 1, PEER_START = 2 };

typedef struct over_op {
    wr_operator base;
    const over_spec *spec;
    wr_colstore rows;
    bool ended;
    /* Per call: index into accs, or -1 for a ranking function. */
    int *call_acc;
    wr_agg_acc *accs;
    int naccs;
    wr_agg_states st; /* one state row holding every call's accumulator */
    wr_arena heap;    /* strings the accumulators keep (results are copied into out) */
    cursor *cursors;  /* per call */
    bool *str_result; /* per call: the result is a string */
    /* Set at end of input. */
    uint32_t *order; /* store rows in window order */
    uint8_t *flags;  /* per position: PART_START, PEER_START */
    wr_vector *vecs; /* the store's columns as vectors, for the accumulators */
    uint32_t scratch[CAP];
    uint32_t zeros[CAP]; /* every row goes to the one state row */
    wr_type *out_types;
    wr_batch *out;
} over_op;

/* ---- spec ---------------------------------------------------------------- */

static void spec_free(void *p)
{
    over_spec *spec = p;
    wr_free(spec->in_types);
    wr_free(spec->keys);
    wr_free(spec->calls);
    wr_free(spec);
}

wr_operator_spec wr_over_spec(const wr_type *in_types, int nin, const int *partition, int npart,
                              const wr_sort_key *order, int norder, const wr_over_call *calls,
                              int ncalls)
{
    over_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->in_types = wr_memdup_array(in_types, nin, sizeof(*in_types));
    spec->nin = nin;
    spec->npart = npart;
    spec->norder = norder;
    int nkeys = (npart > 0 ? npart : 0) + (norder > 0 ? norder : 0);
    spec->keys = wr_malloc(sizeof(wr_sort_key) * (size_t)(nkeys > 0 ? nkeys : 1));
    for (int i = 0; i < npart; i++) {
        wr_sort_key key = {partition[i], false, true};
        spec->keys[i] = key;
    }
    for (int i = 0; i < norder; i++) spec->keys[(npart > 0 ? npart : 0) + i] = order[i];
    spec->calls = wr_memdup_array(calls, ncalls, sizeof(*calls));
    spec->ncalls = ncalls;
    wr_operator_spec out = {&wr_over_ops, spec, spec_free, -1, false};
    return out;
}

wr_type wr_over_call_type(const wr_over_call *call)
{
    if (call->kind == WR_OVER_AGG) return call->agg.type;
    return wr_type_make(WR_TYPE_BIGINT, false);
}

/* ---- create / destroy --------------------------------------------------------- */

static void over_destroy(wr_operator *base)
{
    over_op *op = (over_op *)base;
    wr_colstore_fini(&op->rows);
    wr_free(op->call_acc);
    wr_free(op->accs);
    wr_free(op->st.rows);
    wr_arena_fini(&op->heap);
    wr_free(op->cursors);
    wr_free(op->str_result);
    wr_free(op->order);
    wr_free(op->flags);
    wr_free(op->vecs);
    wr_free(op->out_types);
    wr_batch_free(op->out);
    wr_free(op);
}

/* Rejects a spec the operator cannot run, with a message naming the problem. */
/* A RANGE frame over an ORDER BY key with an offset bound (not just UNBOUNDED and CURRENT ROW). */
static bool range_offsets(const over_spec *spec, const wr_over_call *call)
{
    return call->range && spec->norder > 0 &&
           ((call->lower != WR_OVER_UNBOUNDED && call->lower != 0) ||
            (call->upper != WR_OVER_UNBOUNDED && call->upper != 0));
}

static int check_spec(const over_spec *spec, wr_error *err)
{
    if (spec->nin < 0 || spec->npart < 0 || spec->norder < 0 || spec->ncalls < 0)
        return wr_error_set(err, WR_ERR_ARGUMENT, "over: negative column, key or call count");
    for (int i = 0; i < spec->nin; i++) {
        if (wr_value_kind_of(spec->in_types[i].id) == WR_VALUE_UNSUPPORTED) {
            char name[64];
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "over: column %d has type %s, which OVER windows do not support", i,
                                wr_type_name(spec->in_types[i], name, sizeof(name)));
        }
    }
    for (int k = 0; k < spec->npart + spec->norder; k++) {
        int col = spec->keys[k].col;
        if (col < 0 || col >= spec->nin)
            return wr_error_set(err, WR_ERR_ARGUMENT, "over: %s %d names column %d of %d",
                                k < spec->npart ? "partition column" : "ORDER BY key",
                                k < spec->npart ? k : k - spec->npart, col, spec->nin);
    }
    for (int i = 0; i < spec->ncalls; i++) {
        const wr_over_call *call = &spec->calls[i];
        switch (call->kind) {
        case WR_OVER_ROW_NUMBER:
        case WR_OVER_RANK:
        case WR_OVER_DENSE_RANK:
            break;
        case WR_OVER_AGG:
            if (call->agg.distinct)
                return wr_error_set(err, WR_ERR_VALIDATION,
                                    "over: %s(DISTINCT ...) OVER a window is not supported",
                                    wr_agg_name(call->agg.kind));
            /* Offsets only mean something over an ORDER BY key; without one the frame is the
             * whole partition whatever it says. */
            if (range_offsets(spec, call)) {
                wr_type_id k = (wr_type_id)spec->in_types[spec->keys[spec->npart].col].id;
                if (spec->norder != 1 ||
                    !(wr_type_is_integer(k) || wr_type_is_datetime(k) || wr_type_is_interval(k)))
                    return wr_error_set(err, WR_ERR_VALIDATION,
                                        "over: call %d has a RANGE frame with offsets, which "
                                        "needs one ORDER BY key of an integer, date, time, "
                                        "timestamp or interval type",
                                        i);
            }
            break;
        default:
            return wr_error_set(err, WR_ERR_ARGUMENT, "over: call %d has unknown kind %d", i,
                                (int)call->kind);
        }
    }
    return 0;
}

static wr_operator *over_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const over_spec *spec = p;
    if (check_spec(spec, err)) return NULL;
    over_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_over_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    wr_colstore_init(&op->rows, spec->in_types, spec->nin);
    wr_arena_init(&op->heap, 64 << 10);
    op->st.heap = &op->heap;
    op->call_acc = wr_malloc(sizeof(int) * (size_t)WR_MAX(spec->ncalls, 1));
    op->accs = wr_calloc((size_t)WR_MAX(spec->ncalls, 1), sizeof(wr_agg_acc));
    op->cursors = wr_calloc((size_t)WR_MAX(spec->ncalls, 1), sizeof(cursor));
    for (int i = 0; i < spec->ncalls; i++) {
        op->call_acc[i] = -1;
        if (spec->calls[i].kind != WR_OVER_AGG) continue;
        if (wr_agg_acc_init(&op->accs[op->naccs], &spec->calls[i].agg, spec->in_types, spec->nin,
                            err))
            goto fail;
        op->call_acc[i] = op->naccs++;
    }
    op->st.stride = wr_agg_layout(op->accs, op->naccs);
    op->st.rows = wr_calloc(1, op->st.stride + 1);
    int nout = spec->nin + spec->ncalls;
    op->out_types = wr_malloc(sizeof(wr_type) * (size_t)WR_MAX(nout, 1));
    if (spec->nin > 0) memcpy(op->out_types, spec->in_types, sizeof(wr_type) * (size_t)spec->nin);
    op->str_result = wr_calloc((size_t)WR_MAX(spec->ncalls, 1), sizeof(bool));
    for (int i = 0; i < spec->ncalls; i++) {
        op->out_types[spec->nin + i] = wr_over_call_type(&spec->calls[i]);
        op->str_result[i] = wr_type_is_view(op->out_types[spec->nin + i].id);
    }
    op->out = wr_batch_new(op->out_types, nout, CAP);
    return &op->base;
fail:
    over_destroy(&op->base);
    return NULL;
}

/* ---- input ------------------------------------------------------------------- */

static int over_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    over_op *op = (over_op *)base;
    const over_spec *spec = op->spec;
    if (batch->ncols != spec->nin)
        return wr_error_set(err, WR_ERR_INTERNAL, "over: a batch of %d columns, expected %d",
                            batch->ncols, spec->nin);
    int n = wr_batch_rows(batch);
    for (int start = 0; start < n; start += CAP) {
        int m = WR_MIN(n - start, CAP);
        for (int i = 0; i < m; i++) {
            int r = wr_batch_row(batch, start + i);
            wr_change_kind kind = batch->kinds ? (wr_change_kind)batch->kinds[r] : WR_KIND_INSERT;
            if (kind == WR_KIND_UPDATE_BEFORE || kind == WR_KIND_DELETE)
                return wr_error_set(err, WR_ERR_RUNTIME,
                                    "over: OVER windows take insert-only input, got a %s row",
                                    wr_change_kind_short(kind));
            op->scratch[i] = (uint32_t)r;
        }
        int rc = wr_colstore_append(&op->rows, batch, op->scratch, m, "over", err);
        if (rc) return rc;
    }
    return 0;
}

/* ---- frames ------------------------------------------------------------------- */

/* p + off clamped to [ps, pe]. */
static uint32_t clamp_at(uint32_t p, int64_t off, uint32_t ps, uint32_t pe)
{
    int64_t x = (int64_t)p + WR_MAX(WR_MIN(off, (int64_t)UINT32_MAX), -(int64_t)UINT32_MAX);
    if (x < (int64_t)ps) return ps;
    if (x > (int64_t)pe) return pe;
    return (uint32_t)x;
}

/* Folds (or, retract, removes) positions [from, to) into accumulator ai's state. */
static int feed(over_op *op, int ai, uint32_t from, uint32_t to, bool retract, wr_error *err)
{
    const wr_agg_acc *acc = &op->accs[ai];
    wr_agg_update_fn fn = retract ? acc->retract : acc->update;
    const wr_vector *a = acc->nargs > 0 ? &op->vecs[acc->args[0]] : NULL;
    const wr_vector *b = acc->nargs > 1 ? &op->vecs[acc->args[1]] : NULL;
    const wr_vector *f = acc->filter >= 0 ? &op->vecs[acc->filter] : NULL;
    while (from < to) {
        int m = 0;
        for (; from < to && m < CAP; from++) {
            uint32_t r = op->order[from];
            /* FILTER: only rows where it is TRUE count. */
            if (f && (!((const uint8_t *)f->data)[r] || wr_vector_is_null(f, (int)r))) continue;
            op->scratch[m++] = r;
        }
        if (m == 0) continue;
        int rc = fn(acc, &op->st, a, b, op->scratch, op->zeros, m, err);
        if (rc) return rc;
    }
    return 0;
}

/*
 * Moves call ai's accumulator to the frame [a, b) (a <= b; neither end before
 * the previous frame's within the partition).
 */
static int slide(over_op *op, int ai, cursor *cur, uint32_t a, uint32_t b, wr_error *err)
{
    const wr_agg_acc *acc = &op->accs[ai];
    int rc;
    if (a > cur->lo) {
        if (acc->retract && a <= cur->hi) {
            rc = feed(op, ai, cur->lo, a, true, err);
            if (rc) return rc;
            cur->lo = a;
        } else {
            memset(op->st.rows + acc->offset, 0, acc->size);
            cur->lo = cur->hi = a;
        }
    }
    if (b > cur->hi) {
        rc = feed(op, ai, cur->hi, b, false, err);
        if (rc) return rc;
        cur->hi = b;
    }
    return 0;
}

/*
 * The ORDER BY key at position p as a number that grows along the window order (negated
 * for DESC), or false for NULL. 128 bits so that offsets never overflow.
 */
static bool range_key(const over_op *op, uint32_t p, __int128 *out)
{
    const wr_sort_key *key = &op->spec->keys[op->spec->npart];
    const wr_vector *v = &op->vecs[key->col];
    uint32_t r = op->order[p];
    if (wr_vector_is_null(v, (int)r)) return false;
    __int128 x;
    switch (wr_type_width((wr_type_id)v->type.id)) {
    case 1:
        x = ((const int8_t *)v->data)[r];
        break;
    case 2:
        x = ((const int16_t *)v->data)[r];
        break;
    case 4:
        x = ((const int32_t *)v->data)[r];
        break;
    default:
        x = ((const int64_t *)v->data)[r];
        break;
    }
    *out = key->desc ? -x : x;
    return true;
}

/*
 * The frame [a, b) of position p for a RANGE frame with offsets: the rows of the partition
 * [ps, pe) whose key is within the offsets of p's (PRECEDING towards the start of the order,
 * so larger keys under DESC). A NULL key's frame is its peers. Both ends only move forward,
 * so each is a cursor that keeps its place from the previous row.
 */
static void range_frame(const over_op *op, const wr_over_call *call, cursor *cur, uint32_t p,
                        uint32_t ps, uint32_t pe, uint32_t gs, uint32_t ge, uint32_t *a,
                        uint32_t *b)
{
    __int128 x, y;
    if (!range_key(op, p, &x)) {
        *a = gs;
        *b = ge;
        return;
    }
    if (call->lower == WR_OVER_UNBOUNDED) {
        *a = ps;
    } else {
        __int128 lo = x + call->lower;
        uint32_t q = cur->rlo;
        while (q < p && (!range_key(op, q, &y) || y < lo)) q++;
        *a = cur->rlo = q;
    }
    if (call->upper == WR_OVER_UNBOUNDED) {
        *b = pe;
    } else {
        __int128 hi = x + call->upper;
        uint32_t q = WR_MAX(cur->rhi, p);
        while (q < pe && range_key(op, q, &y) && y <= hi) q++;
        *b = cur->rhi = q;
    }
}

/* ---- output ------------------------------------------------------------------- */

/* Marks where partitions and peer groups start along the order. */
static void mark_groups(over_op *op)
{
    const over_spec *spec = op->spec;
    uint32_t n = op->rows.n;
    const wr_sort_key *order = spec->keys + spec->npart;
    for (uint32_t p = 0; p < n; p++) {
        uint8_t f = 0;
        if (p == 0 || wr_sort_compare(&op->rows, spec->keys, spec->npart, op->order[p - 1],
                                      op->order[p]) != 0)
            f = PART_START | PEER_START;
        else if (wr_sort_compare(&op->rows, order, spec->norder, op->order[p - 1], op->order[p]))
            f = PEER_START;
        op->flags[p] = f;
    }
}

/* Where the run starting at p (partition: PART_START, peer group: either) ends. */
static uint32_t run_end(const over_op *op, uint32_t p, uint8_t mask)
{
    uint32_t n = op->rows.n, e = p + 1;
    while (e < n && !(op->flags[e] & mask)) e++;
    return e;
}

static int over_end_input(wr_operator *base, int input, wr_error *err)
{
    over_op *op = (over_op *)base;
    const over_spec *spec = op->spec;
    if (op->ended) return 0;
    op->ended = true;
    uint32_t n = op->rows.n;
    if (n == 0) return 0;
    op->order = wr_malloc((size_t)n * sizeof(uint32_t));
    int rc =
        wr_sort_store(&op->rows, spec->keys, spec->npart + spec->norder, base->ctx, op->order, err);
    if (rc) return rc;
    op->flags = wr_malloc(n);
    mark_groups(op);
    op->vecs = wr_calloc((size_t)WR_MAX(spec->nin, 1), sizeof(wr_vector));
    for (int c = 0; c < spec->nin; c++) {
        op->vecs[c].type = spec->in_types[c];
        op->vecs[c].data = op->rows.data[c];
        op->vecs[c].validity = op->rows.validity[c];
    }

    wr_batch *out = op->out;
    uint32_t ps = 0, pe = 0, gs = 0, ge = 0; /* partition and peer group of p */
    int64_t dense = 0;
    for (uint32_t s = 0; s < n; s += CAP) {
        if (wr_op_cancelled(base->ctx)) return wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
        int m = (int)WR_MIN((uint32_t)CAP, n - s);
        wr_batch_reset(out);
        for (int c = 0; c < spec->nin; c++)
            wr_colstore_gather(&op->rows, c, op->order + s, m, out, c);
        for (int i = 0; i < m; i++) {
            uint32_t p = s + (uint32_t)i;
            if (op->flags[p] & PART_START) {
                ps = p;
                pe = run_end(op, p, PART_START);
                dense = 0;
                for (int k = 0; k < op->naccs; k++)
                    memset(op->st.rows + op->accs[k].offset, 0, op->accs[k].size);
                for (int k = 0; k < spec->ncalls; k++) op->cursors[k] = (cursor){ps, ps, ps, ps};
            }
            if (op->flags[p] & PEER_START) {
                gs = p;
                ge = run_end(op, p, PART_START | PEER_START);
                dense++;
            }
            for (int k = 0; k < spec->ncalls; k++) {
                const wr_over_call *call = &spec->calls[k];
                int col = spec->nin + k;
                int64_t *rank = out->cols[col].data;
                switch (call->kind) {
                case WR_OVER_ROW_NUMBER:
                    rank[i] = (int64_t)(p - ps) + 1;
                    continue;
                case WR_OVER_RANK:
                    rank[i] = (int64_t)(gs - ps) + 1;
                    continue;
                case WR_OVER_DENSE_RANK:
                    rank[i] = dense;
                    continue;
                case WR_OVER_AGG:
                    break;
                }
                uint32_t a = ps, b = pe;
                if (range_offsets(spec, call)) {
                    range_frame(op, call, &op->cursors[k], p, ps, pe, gs, ge, &a, &b);
                } else if (spec->norder > 0 && call->range) {
                    if (call->lower == 0) a = gs;
                    if (call->upper == 0) b = ge;
                } else if (spec->norder > 0) {
                    if (call->lower != WR_OVER_UNBOUNDED) a = clamp_at(p, call->lower, ps, pe);
                    /* The frame ends after row p + upper (upper > INT64_MIN here). */
                    if (call->upper != WR_OVER_UNBOUNDED)
                        b = clamp_at(p, WR_MIN(call->upper, (int64_t)UINT32_MAX) + 1, ps, pe);
                }
                if (b < a) b = a;
                int ai = op->call_acc[k];
                rc = slide(op, ai, &op->cursors[k], a, b, err);
                if (rc) return rc;
                op->accs[ai].final(&op->accs[ai], &op->st, 0, 1, out, col, i);
                /* A string result is a view of the state, which later rows overwrite in place. */
                if (op->str_result[k] && !wr_vector_is_null(&out->cols[col], i)) {
                    wr_str *v = (wr_str *)out->cols[col].data + i;
                    *v = wr_batch_str(out, v->ptr, v->len);
                }
            }
        }
        out->count = m;
        rc = wr_op_emit(base->ctx, out, err);
        if (rc) return rc;
    }
    return 0;
}

const wr_operator_ops wr_over_ops = {
    .kind = "over",
    .create = over_create,
    .process = over_process,
    .end_input = over_end_input,
    .destroy = over_destroy,
};
