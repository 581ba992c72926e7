/*
 * stream_join.c — the streaming regular join over changelogs; see stream_join.h.
 *
 * State: two map states in one keyed backend, keyed by the join key bytes:
 * "weir.join-left" and "weir.join-right", each mapping a row's bytes (row
 * codec of all its columns) to its record: how many copies of the row the
 * side holds and, on a side that keeps them, how many rows of the other side
 * it matches. Both sides of a key share the backend's current key, so one
 * key lookup serves the input row's own record and its candidate partners.
 *
 * One input row at a time (the rows of one call all come from one side, so
 * the other side's rows do not change during the call, only their partner
 * counts): the other side's records of the key are copied out of the backend
 * (so writing partner counts back never disturbs an iteration), decoded into
 * that side's scratch batch in chunks, filtered by the residual over a batch
 * of (input row, candidate) pairs, and then the changes are emitted in
 * Flink's order: per partner, the retraction of its NULL-padded row before
 * the new pair, or the pair's retraction before the padded row comes back.
 * Output rows are copied slot by slot from the input batch and the scratch
 * batch (strings stay views into them) into one output batch, emitted when
 * full and at the end of the call; a full scratch batch is emptied only
 * after the output that points into it has been emitted.
 */
#include "stream_join.h"
#include "../base/alloc.h"
#include "../base/vec.h"
#include "../state/keygroup.h"
#include "../state/keyed.h"
#include "../types/row_codec.h"
#include "colstore.h"
#include "udf.h"

#include <string.h>

#define CAP WR_BATCH_CAPACITY

typedef struct sjoin_spec {
    wr_join_desc d; /* every array owned; null_safe always set */
    wr_stream_join_opts opts;
} sjoin_spec;

/* One input side: its columns, its state, and its rows decoded as partners of the other side. */
typedef struct sjoin_side {
    const char *name; /* "left", "right": for messages */
    int ncols;
    const int *keys; /* key columns (d->left_keys or d->right_keys) */
    int *all;        /* 0 .. ncols-1: a whole row's columns, to encode it */
    uint8_t *widths; /* slot bytes per column */
    int state;       /* map state: row bytes -> record */
    bool assoc;      /* records count their partners (outer side; SEMI/ANTI left) */
    size_t vlen;     /* bytes of a record: count, then partners when assoc */
    wr_batch *scratch;
} sjoin_side;

/* A row of the other side with the input row's key: a candidate partner. */
typedef struct cand {
    size_t off; /* its row bytes in sjoin_op.cbytes */
    uint32_t len;
    uint64_t count, assoc; /* its record */
    int row;               /* its row in the other side's scratch batch, once decoded */
    bool pass;             /* the residual holds for (input row, this row) */
    bool dirty;            /* assoc changed: write the record back */
} cand;

typedef struct sjoin_op {
    wr_operator base;
    const wr_join_desc *d;
    bool inner, semi_like, anti;
    sjoin_side side[2];
    wr_keyed *keyed;
    int kg_first, kg_last;
    wr_buf key;     /* the key bytes of a chunk of input rows ... */
    uint32_t *koff; /* ... row i's from koff[i] to koff[i + 1] (CAP + 1 entries) */
    wr_keyed_hint *hint_in, *hint_ot; /* their lookups in both sides' states (CAP each) */
    wr_buf row;                       /* the input row's bytes */
    wr_buf cbytes;                    /* the candidates' row bytes */
    WR_VEC(cand) cands;
    wr_batch *out;
    uint8_t *out_kinds; /* out's kinds array (valid until out is reset) */
    wr_batch *pairs;    /* with a residual: left ++ right columns of candidate pairs */
    uint32_t *sel;      /* pairs passing the residual */
} sjoin_op;

/* ---- spec ------------------------------------------------------------------------ */

static void spec_free(void *p)
{
    sjoin_spec *spec = p;
    wr_join_desc_fini(&spec->d);
    wr_free(spec);
}

wr_operator_spec wr_stream_join_spec(const wr_join_desc *d, const wr_stream_join_opts *opts)
{
    sjoin_spec *spec = wr_calloc(1, sizeof(*spec));
    wr_join_desc_copy(&spec->d, d);
    spec->d.shared_build = false;
    if (opts) spec->opts = *opts;
    wr_operator_spec out = {&wr_stream_join_ops, spec, spec_free, -1, false};
    return out;
}

/* ---- validation ------------------------------------------------------------------ */

/* The highest column the expression reads, or -1. */
/* Rejects a description or options the operator cannot run, naming the problem. */
static int check_spec(const sjoin_spec *spec, wr_error *err)
{
    if (spec->opts.state_ttl_ms < 0)
        return wr_error_set(err, WR_ERR_ARGUMENT, "stream join: negative state TTL %lld ms",
                            (long long)spec->opts.state_ttl_ms);
    return wr_join_desc_check(&spec->d, "stream join", err);
}

/* ---- records ---------------------------------------------------------------------- */

static inline void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Reads a record; WR_ERR_IO when its bytes do not fit the side (a restored snapshot of
 * another join). */
static int rec_decode(const sjoin_side *sd, const void *val, size_t len, uint64_t *count,
                      uint64_t *assoc, wr_error *err)
{
    if (len != sd->vlen || get_le64(val) == 0)
        return wr_error_set(err, WR_ERR_IO,
                            "stream join: malformed %s state: a record of %zu bytes (count %llu) "
                            "where %zu bytes with a positive count belong",
                            sd->name, len, len >= 8 ? (unsigned long long)get_le64(val) : 0ULL,
                            sd->vlen);
    *count = get_le64(val);
    *assoc = sd->assoc ? get_le64((const uint8_t *)val + 8) : 0;
    return 0;
}

/* The record of row bytes r in the side's state for the current key; count 0 when absent. */
static int rec_find(sjoin_op *op, const sjoin_side *sd, const void *r, size_t rlen, uint64_t *count,
                    uint64_t *assoc, wr_error *err)
{
    size_t len;
    const void *val = wr_keyed_map_get(op->keyed, sd->state, "", 0, r, rlen, &len);
    *count = *assoc = 0;
    return val ? rec_decode(sd, val, len, count, assoc, err) : 0;
}

/* Stores the record of row bytes r (count 0: removes it). */
static void rec_put(sjoin_op *op, const sjoin_side *sd, const void *r, size_t rlen, uint64_t count,
                    uint64_t assoc)
{
    if (count == 0) {
        wr_keyed_map_remove(op->keyed, sd->state, "", 0, r, rlen);
        return;
    }
    uint8_t val[16];
    put_le64(val, count);
    if (sd->assoc) put_le64(val + 8, assoc);
    wr_keyed_map_put(op->keyed, sd->state, "", 0, r, rlen, val, sd->vlen);
}

/* ---- output ------------------------------------------------------------------------- */

static int flush(sjoin_op *op, wr_error *err)
{
    int rc = wr_op_emit(op->base.ctx, op->out, err);
    wr_batch_reset(op->out);
    op->out_kinds = wr_batch_kinds(op->out);
    return rc;
}

/*
 * Copies row srow of src (NULL: a row of NULLs) into row drow of dst, columns
 * first .. first + sd->ncols - 1. Strings stay views of src's bytes.
 */
static void put_row(wr_batch *dst, int drow, int first, const sjoin_side *sd, const wr_batch *src,
                    int srow)
{
    for (int c = 0; c < sd->ncols; c++) {
        wr_vector *v = &dst->cols[first + c];
        if (src == NULL || wr_vector_is_null(&src->cols[c], srow)) {
            wr_batch_set_null(dst, first + c, drow);
            continue;
        }
        size_t w = sd->widths[c];
        wr_slot_copy((char *)v->data + (size_t)drow * w,
                     (const char *)src->cols[c].data + (size_t)srow * w, w);
        if (v->validity) wr_validity_set(v->validity, drow, true);
    }
}

/*
 * Emits `times` copies of the row (l, lrow) ++ (r, rrow) (SEMI/ANTI: l's
 * columns only) with the given kind; a NULL batch is a side of NULLs.
 */
static int emit(sjoin_op *op, wr_change_kind kind, const wr_batch *l, int lrow, const wr_batch *r,
                int rrow, uint64_t times, wr_error *err)
{
    for (uint64_t t = 0; t < times; t++) {
        if (op->out->count == op->out->capacity) {
            int rc = flush(op, err);
            if (rc) return rc;
        }
        int o = op->out->count++;
        put_row(op->out, o, 0, &op->side[0], l, lrow);
        if (!op->semi_like) put_row(op->out, o, op->side[0].ncols, &op->side[1], r, rrow);
        op->out_kinds[o] = (uint8_t)kind;
    }
    return 0;
}

/* emit() for a row of input side s (in, irow) and one of the other side (other, orow). */
static int emit_pair(sjoin_op *op, int s, wr_change_kind kind, const wr_batch *in, int irow,
                     const wr_batch *other, int orow, uint64_t times, wr_error *err)
{
    if (s == 0) return emit(op, kind, in, irow, other, orow, times, err);
    return emit(op, kind, other, orow, in, irow, times, err);
}

/* ---- candidates ------------------------------------------------------------------ */

/*
 * Makes key bytes (key, len) with their hint current. A key of a group this
 * subtask does not own means the inputs were not partitioned by the join
 * keys: an error rather than state in the wrong place.
 */
static int set_key(sjoin_op *op, const void *key, size_t len, const wr_keyed_hint *hint,
                   wr_error *err)
{
    if (hint->kg < op->kg_first || hint->kg > op->kg_last)
        return wr_join_foreign_key("stream join", hint->kg, op->base.ctx->subtask, op->kg_first,
                                   op->kg_last, err);
    wr_keyed_set_key_hinted(op->keyed, key, len, hint);
    return 0;
}

/*
 * Copies the records of side ot for the current key into op->cands (and,
 * with bytes, their row bytes into op->cbytes), so that writing records back
 * later cannot disturb the backend's iteration.
 */
static int collect(sjoin_op *op, const sjoin_side *ot, bool bytes, wr_error *err)
{
    op->cands.n = 0;
    wr_buf_reset(&op->cbytes);
    size_t pos = 0, uklen, vlen;
    const void *uk, *val;
    while (wr_keyed_map_next(op->keyed, ot->state, "", 0, &pos, &uk, &uklen, &val, &vlen)) {
        cand c = {0};
        int rc = rec_decode(ot, val, vlen, &c.count, &c.assoc, err);
        if (rc) return rc;
        c.pass = true;
        if (bytes) {
            c.off = op->cbytes.len;
            c.len = (uint32_t)uklen;
            wr_buf_append(&op->cbytes, uk, uklen);
        }
        WR_VEC_PUSH(&op->cands, c);
    }
    return 0;
}

/*
 * Decodes candidates start .. start + *n - 1 into ot's scratch batch, as many
 * as it has room for; *n becomes that number (at least one). A full scratch
 * batch is emptied, after emitting the output rows that point into it.
 */
static int decode_chunk(sjoin_op *op, sjoin_side *ot, int start, int *n, wr_error *err)
{
    wr_batch *sb = ot->scratch;
    if (sb->count == sb->capacity) {
        int rc = flush(op, err);
        if (rc) return rc;
        wr_batch_reset(sb);
    }
    int room = sb->capacity - sb->count;
    if (*n > room) *n = room;
    for (int i = 0; i < *n; i++) {
        cand *c = &op->cands.v[start + i];
        c->row = sb->count;
        int used = wr_row_decode_append(sb, (const uint8_t *)op->cbytes.data + c->off, c->len, err);
        if (used >= 0 && (uint32_t)used != c->len)
            used = wr_error_set(err, WR_ERR_IO, "%u trailing bytes", c->len - (uint32_t)used);
        if (used < 0) {
            wr_error_prefix(err, "stream join: malformed %s state: ", ot->name);
            return used;
        }
    }
    return 0;
}

/* Evaluates the residual over (input row, candidate) for candidates start .. start + n - 1. */
static int check_residual(sjoin_op *op, int s, const wr_batch *batch, int row, int start, int n,
                          wr_error *err)
{
    const sjoin_side *ot = &op->side[1 - s];
    wr_batch *pb = op->pairs;
    wr_batch_reset(pb);
    for (int i = 0; i < n; i++) {
        int crow = op->cands.v[start + i].row;
        if (s == 0) {
            put_row(pb, i, 0, &op->side[0], batch, row);
            put_row(pb, i, op->side[0].ncols, &op->side[1], ot->scratch, crow);
        } else {
            put_row(pb, i, 0, &op->side[0], ot->scratch, crow);
            put_row(pb, i, op->side[0].ncols, &op->side[1], batch, row);
        }
    }
    pb->count = n;
    wr_eval ev = {&pb->arena, pb->count};
    int npass = 0;
    int rc = wr_expr_filter(&ev, op->d->residual, pb, NULL, n, op->sel, &npass, err);
    if (rc) return rc;
    for (int i = 0; i < n; i++) op->cands.v[start + i].pass = false;
    for (int i = 0; i < npass; i++) op->cands.v[start + (int)op->sel[i]].pass = true;
    return 0;
}

/* ---- one input row ------------------------------------------------------------------ */

/*
 * What one partner c of an accumulated (+I/+U) or retracted (-U/-D) input
 * row emits and changes; see Flink's StreamingJoinOperator and
 * StreamingSemiAntiJoinOperator. A partner's copies all behave alike, so
 * each emission is repeated c->count times.
 */
static int partner(sjoin_op *op, int s, bool acc, wr_change_kind kind, const wr_batch *batch,
                   int row, cand *c, wr_error *err)
{
    const sjoin_side *ot = &op->side[1 - s];
    int rc = 0;
    if (op->semi_like) {
        /* Input left: it only counts partners. Input right: c is a left row, which SEMI
         * shows while it has partners and ANTI while it has none. */
        if (s == 0) return 0;
        if (acc && c->assoc == 0)
            rc = emit(op, op->anti ? WR_KIND_DELETE : kind, ot->scratch, c->row, NULL, 0, c->count,
                      err);
        else if (!acc && c->assoc == 1)
            rc = emit(op, op->anti ? WR_KIND_INSERT : kind, ot->scratch, c->row, NULL, 0, c->count,
                      err);
    } else if (acc) {
        /* A padded partner loses its NULLs before it is paired. */
        if (ot->assoc && c->assoc == 0)
            rc = emit_pair(op, s, WR_KIND_DELETE, NULL, 0, ot->scratch, c->row, c->count, err);
        if (rc == 0)
            rc = emit_pair(op, s, op->inner ? kind : WR_KIND_INSERT, batch, row, ot->scratch,
                           c->row, c->count, err);
    } else {
        rc = emit_pair(op, s, op->inner ? kind : WR_KIND_DELETE, batch, row, ot->scratch, c->row,
                       c->count, err);
        /* A partner that lost its last match is padded again. */
        if (rc == 0 && ot->assoc && c->assoc == 1)
            rc = emit_pair(op, s, WR_KIND_INSERT, NULL, 0, ot->scratch, c->row, c->count, err);
    }
    if (ot->assoc) {
        if (acc)
            c->assoc++;
        else if (c->assoc > 0)
            c->assoc--;
        c->dirty = true;
    }
    return rc;
}

/*
 * Joins physical row `row` of a batch of input s, whose key bytes are
 * (key, klen) with hint, and updates the state.
 */
static int join_row(sjoin_op *op, int s, const wr_batch *batch, int row, const void *key,
                    size_t klen, const wr_keyed_hint *hint, wr_error *err)
{
    const wr_join_desc *d = op->d;
    sjoin_side *in = &op->side[s], *ot = &op->side[1 - s];
    wr_change_kind kind = wr_batch_kind(batch, row);
    bool acc = kind == WR_KIND_INSERT || kind == WR_KIND_UPDATE_AFTER;
    bool matchable = wr_join_matchable(d, batch, in->keys, row);
    /* A row that can have no partner matters only on a side that shows rows without one. */
    if (!matchable && !in->assoc) return 0;

    int rc = set_key(op, key, klen, hint, err);
    if (rc) return rc;
    wr_buf_reset(&op->row);
    wr_row_encode(batch, row, in->all, in->ncols, &op->row);
    uint64_t count, assoc;
    rc = rec_find(op, in, op->row.data, op->row.len, &count, &assoc, err);
    if (rc) return rc;
    if (!acc && count == 0) return 0; /* a retraction of a row not held (or expired) */

    /* The other side's rows are needed to check the residual or to be emitted; a left
     * input of SEMI/ANTI only counts its partners. */
    bool need_rows = !(op->semi_like && s == 0) || d->residual;
    op->cands.n = 0;
    if (matchable) {
        rc = collect(op, ot, need_rows, err);
        if (rc) return rc;
    }
    uint64_t matched = 0;
    for (int start = 0; start < op->cands.n;) {
        int n = op->cands.n - start;
        if (need_rows) {
            rc = decode_chunk(op, ot, start, &n, err);
            if (rc == 0 && d->residual) rc = check_residual(op, s, batch, row, start, n, err);
            if (rc) return rc;
        }
        for (int i = start; i < start + n; i++) {
            cand *c = &op->cands.v[i];
            if (!c->pass) continue;
            matched += c->count;
            rc = partner(op, s, acc, kind, batch, row, c, err);
            if (rc) return rc;
        }
        start += n;
    }

    if (op->semi_like) {
        if (s == 0 && (op->anti ? matched == 0 : matched > 0))
            rc = emit(op, kind, batch, row, NULL, 0, 1, err);
    } else if (in->assoc && matched == 0) {
        rc = emit_pair(op, s, acc ? WR_KIND_INSERT : WR_KIND_DELETE, batch, row, NULL, 0, 1, err);
    }
    if (rc) return rc;

    for (int i = 0; i < op->cands.n; i++) {
        const cand *c = &op->cands.v[i];
        if (c->dirty) rec_put(op, ot, op->cbytes.data + c->off, c->len, c->count, c->assoc);
    }
    /* All copies of a row have the same partners: the new one's count is the record's. */
    rec_put(op, in, op->row.data, op->row.len, acc ? count + 1 : count - 1, matched);
    return 0;
}

/*
 * Joins the active rows start .. start + n - 1 (n <= CAP) of a batch of input
 * s. Their keys are encoded first, so that the state lookups of later rows
 * can be announced to the backend (table slots for the whole chunk at once,
 * entries a few rows ahead) and their cache misses overlap with the work on
 * earlier rows.
 */
static int join_chunk(sjoin_op *op, int s, const wr_batch *batch, int start, int n, wr_error *err)
{
    enum { AHEAD = 6 };
    const sjoin_side *in = &op->side[s], *ot = &op->side[1 - s];
    wr_join_encode_keys(batch, start, n, in->keys, op->d->nkeys, &op->key, op->koff);
    for (int i = 0; i < n; i++) {
        const char *key = op->key.data + op->koff[i];
        size_t klen = op->koff[i + 1] - op->koff[i];
        wr_keyed_hint_slot(op->keyed, &op->hint_in[i], key, klen, in->state, "", 0);
        wr_keyed_hint_slot(op->keyed, &op->hint_ot[i], key, klen, ot->state, "", 0);
    }
    for (int i = 0; i < n; i++) {
        if (i + AHEAD < n) {
            wr_keyed_hint_entry(op->keyed, &op->hint_in[i + AHEAD]);
            wr_keyed_hint_entry(op->keyed, &op->hint_ot[i + AHEAD]);
        }
        int rc = join_row(op, s, batch, wr_batch_row(batch, start + i), op->key.data + op->koff[i],
                          op->koff[i + 1] - op->koff[i], &op->hint_in[i], err);
        if (rc) return rc;
    }
    return 0;
}

/* ---- the operator ------------------------------------------------------------------ */

static int sjoin_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    sjoin_op *op = (sjoin_op *)base;
    if (input != 0 && input != 1)
        return wr_error_set(err, WR_ERR_ARGUMENT, "stream join: no input %d (0 left, 1 right)",
                            input);
    const sjoin_side *in = &op->side[input];
    int rc = wr_join_check_batch(batch, input == 0 ? op->d->left_types : op->d->right_types,
                                 in->ncols, "stream join", in->name, err);
    if (rc) return rc;
    int n = wr_batch_rows(batch);
    for (int start = 0; start < n && rc == 0; start += CAP) {
        int m = n - start < CAP ? n - start : CAP;
        rc = join_chunk(op, input, batch, start, m, err);
    }
    if (rc == 0) {
        rc = flush(op, err);
    } else {
        wr_batch_reset(op->out);
        op->out_kinds = wr_batch_kinds(op->out);
    }
    /* The output that pointed into the scratch batches has gone. */
    wr_batch_reset(op->side[0].scratch);
    wr_batch_reset(op->side[1].scratch);
    return rc;
}

/* The state of both sides lives in the keyed backend: checkpoints take it whole. */
static int sjoin_open(wr_operator *base, wr_error *err)
{
    sjoin_op *op = (sjoin_op *)base;
    return wr_udf_restore_keyed(op->keyed, NULL, base->ctx->restore, err);
}

static int sjoin_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    sjoin_op *op = (sjoin_op *)base;
    wr_udf_snapshot_keyed(op->keyed, NULL, out);
    return 0;
}

static void sjoin_destroy(wr_operator *base)
{
    sjoin_op *op = (sjoin_op *)base;
    if (op == NULL) return;
    for (int s = 0; s < 2; s++) {
        wr_free(op->side[s].all);
        wr_free(op->side[s].widths);
        wr_batch_free(op->side[s].scratch);
    }
    wr_keyed_free(op->keyed);
    wr_buf_fini(&op->key);
    wr_free(op->koff);
    wr_free(op->hint_in);
    wr_free(op->hint_ot);
    wr_buf_fini(&op->row);
    wr_buf_fini(&op->cbytes);
    WR_VEC_FREE(&op->cands);
    wr_batch_free(op->out);
    wr_batch_free(op->pairs);
    wr_free(op->sel);
    wr_free(op);
}

static void side_init(sjoin_side *sd, const char *name, const wr_type *types, int ncols,
                      const int *keys, bool assoc)
{
    sd->name = name;
    sd->ncols = ncols;
    sd->keys = keys;
    sd->assoc = assoc;
    sd->vlen = assoc ? 16 : 8;
    size_t n = (size_t)(ncols > 0 ? ncols : 1);
    sd->all = wr_malloc(n * sizeof(int));
    sd->widths = wr_malloc(n);
    for (int c = 0; c < ncols; c++) {
        sd->all[c] = c;
        sd->widths[c] = (uint8_t)wr_value_kind_width(wr_value_kind_of(types[c].id));
    }
    sd->scratch = wr_batch_new(types, ncols, CAP);
}

static wr_operator *sjoin_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const sjoin_spec *spec = p;
    const wr_join_desc *d = &spec->d;
    if (check_spec(spec, err)) return NULL;
    sjoin_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_stream_join_ops;
    op->base.ctx = ctx;
    op->d = d;
    op->inner = d->type == WR_JOIN_TYPE_INNER;
    op->semi_like = d->type == WR_JOIN_TYPE_SEMI || d->type == WR_JOIN_TYPE_ANTI;
    op->anti = d->type == WR_JOIN_TYPE_ANTI;
    bool left_assoc = op->semi_like || d->type == WR_JOIN_TYPE_LEFT || d->type == WR_JOIN_TYPE_FULL;
    bool right_assoc = d->type == WR_JOIN_TYPE_RIGHT || d->type == WR_JOIN_TYPE_FULL;
    side_init(&op->side[0], "left", d->left_types, d->nleft, d->left_keys, left_assoc);
    side_init(&op->side[1], "right", d->right_types, d->nright, d->right_keys, right_assoc);

    int maxp = ctx->max_parallelism > 0 ? ctx->max_parallelism : WR_DEFAULT_MAX_PARALLELISM;
    wr_keygroup_range(ctx->subtask, maxp, ctx->parallelism, &op->kg_first, &op->kg_last);
    op->keyed = wr_keyed_new(maxp, op->kg_first, op->kg_last, NULL, NULL);
    wr_state_ttl ttl = {spec->opts.state_ttl_ms, WR_TTL_ON_CREATE_AND_WRITE};
    op->side[0].state = wr_keyed_register(op->keyed, "weir.join-left", WR_STATE_MAP, &ttl);
    op->side[1].state = wr_keyed_register(op->keyed, "weir.join-right", WR_STATE_MAP, &ttl);
    wr_buf_init(&op->key);
    op->koff = wr_malloc((CAP + 1) * sizeof(uint32_t));
    op->hint_in = wr_malloc(CAP * sizeof(wr_keyed_hint));
    op->hint_ot = wr_malloc(CAP * sizeof(wr_keyed_hint));
    wr_buf_init(&op->row);
    wr_buf_init(&op->cbytes);

    int nall = d->nleft + d->nright;
    wr_type types[nall > 0 ? nall : 1];
    int nout = wr_join_output_types(d, types);
    op->out = wr_batch_new(types, nout, CAP);
    op->out_kinds = wr_batch_kinds(op->out);
    if (d->residual) {
        memcpy(types, d->left_types, (size_t)d->nleft * sizeof(wr_type));
        memcpy(types + d->nleft, d->right_types, (size_t)d->nright * sizeof(wr_type));
        op->pairs = wr_batch_new(types, nall, CAP);
        op->sel = wr_malloc(CAP * sizeof(uint32_t));
    }
    return &op->base;
}

/* State bytes: the keyed state's, which holds both sides' rows and their records. */
static size_t sjoin_state_bytes(const wr_operator *base)
{
    return wr_keyed_bytes(((const sjoin_op *)base)->keyed);
}

const wr_operator_ops wr_stream_join_ops = {
    .kind = "stream_join",
    .create = sjoin_create,
    .open = sjoin_open,
    .process = sjoin_process,
    .snapshot = sjoin_snapshot,
    .state_bytes = sjoin_state_bytes,
    .destroy = sjoin_destroy,
};
