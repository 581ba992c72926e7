/*
 * over_changelog.c — OVER windows over an updating input; see over_changelog.h.
 *
 * Held rows live in one column store for the whole operator (so the sort
 * order's comparisons work on them) and the values last emitted for them in
 * a second store of the call columns. A partition is a record found through
 * an open-addressing table over the hash of its key (the row codec of the
 * partition columns, what the exchange hashes, so the hash gives the key
 * group); it holds (row, values) index pairs in window order. Stored rows
 * are never changed: new values are appended and the pair repointed, the old
 * ones become dead, and once dead rows outnumber live ones (and are many)
 * both stores are copied afresh, so memory follows the held rows.
 *
 * A change at position p can only change the rows whose frame contains p:
 * for ROWS n PRECEDING .. CURRENT ROW that row and the next n, for a running
 * frame (UNBOUNDED PRECEDING, RANGE .. CURRENT ROW) everything from the
 * first peer of p, for rankings everything from p (ROW_NUMBER) or its first
 * peer. Those positions are recomputed in order, as over.c walks a
 * partition: every frame is a range of positions whose ends never move back,
 * so one accumulator per call slides along, growing by updates and shrinking
 * by retractions where the function can retract (else starting over). The
 * new values are compared with the last emitted ones and only changed rows
 * produce output, buffered as store indexes and gathered column by column.
 */
#include "over_changelog.h"
#include "aggregate_int.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../base/wr.h"
#include "../state/keygroup.h"
#include "../types/row_codec.h"

#include <string.h>

#define CAP WR_BATCH_CAPACITY
#define NONE UINT32_MAX
#define FREE_PART UINT32_MAX
#define COMPACT_MIN 4096 /* dead store rows before a compaction is worth it */

#define SNAP_MAGIC 0x434f5257u /* "WROC" */
#define SNAP_VERSION 1

typedef struct oc_spec {
    wr_type *in_types;
    int nin;
    int *partition;
    int npart;
    wr_sort_key *order;
    int norder;
    wr_over_call *calls;
    int ncalls;
    int64_t ttl;
} oc_spec;

/* A held row: its index in the row store and of its last emitted values (NONE: none yet). */
typedef struct entry {
    uint32_t row, val;
} entry;

typedef struct part {
    uint64_t hash;     /* wr_hash_bytes of the key */
    int64_t access_ms; /* the last change, for TTL */
    uint32_t klen;     /* FREE_PART: the record is free */
    uint32_t n, cap;
    uint8_t *key;
    entry *e; /* rows in window order */
} part;

/* Where a call's accumulator stands during a recomputation: it holds positions [lo, hi). */
typedef struct cursor {
    uint32_t lo, hi;
} cursor;

typedef struct oc_op {
    wr_operator base;
    const oc_spec *spec;
    wr_sort_key *ord;   /* the window order: order keys, then every column (ties) */
    int nord;           /* norder + nin */
    wr_sort_key *vkeys; /* every value column: equality of values */
    int *cols, *vcols;  /* 0..nin-1 and 0..ncalls-1, for the row codec */
    wr_type *val_types, *out_types, *key_types;
    bool dense;  /* a DENSE_RANK call: recomputations count peer groups from the start */
    bool peered; /* a call that reads peer groups (RANK, DENSE_RANK, a RANGE frame) */

    part *p;
    uint32_t np, pcap;
    WR_VEC(uint32_t) freep;
    uint32_t *slots; /* partition id + 1, 0: empty */
    uint32_t mask, nslots;

    wr_colstore rows, vals;
    uint32_t held; /* rows (and values) that partitions hold; the others are dead */

    /* Aggregates: per call an index into accs or -1; one state row holds them all. */
    int *call_acc;
    wr_agg_acc *accs;
    int naccs;
    wr_agg_states st;
    wr_arena heap;
    cursor *cursors;
    bool *str_result;
    wr_vector *vecs; /* the row store's columns as vectors, refreshed per recomputation */
    uint32_t scratch[CAP];
    uint32_t zeros[CAP];

    wr_batch *cand; /* recomputed values (call columns) */
    uint32_t cpos[CAP], chg[CAP];

    /* Output waiting to be gathered. */
    uint32_t orow[CAP], oval[CAP];
    uint8_t okind[CAP];
    int nbuf;
    wr_batch *out, *dec, *decv, *kb;
    wr_buf keys, enc;
    uint32_t *koff;
    uint64_t *hash;
    int kcap;
    int64_t next_sweep;
} oc_op;

/* ---- spec --------------------------------------------------------------------------- */

static void spec_free(void *p)
{
    oc_spec *spec = p;
    wr_free(spec->in_types);
    wr_free(spec->partition);
    wr_free(spec->order);
    wr_free(spec->calls);
    wr_free(spec);
}

wr_operator_spec wr_over_changelog_spec(const wr_type *in_types, int nin, const int *partition,
                                        int npart, const wr_sort_key *order, int norder,
                                        const wr_over_call *calls, int ncalls, int64_t state_ttl_ms)
{
    oc_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->in_types = wr_memdup_array(in_types, nin, sizeof(*in_types));
    spec->nin = nin;
    spec->partition = wr_memdup_array(partition, npart, sizeof(*partition));
    spec->npart = npart;
    spec->order = wr_memdup_array(order, norder, sizeof(*order));
    spec->norder = norder;
    spec->calls = wr_memdup_array(calls, ncalls, sizeof(*calls));
    spec->ncalls = ncalls;
    spec->ttl = state_ttl_ms;
    wr_operator_spec out = {&wr_over_changelog_ops, spec, spec_free, npart == 0 ? 1 : -1, false};
    return out;
}

/* ---- partitions ---------------------------------------------------------------------- */

static void table_reserve(oc_op *op, size_t extra)
{
    size_t need = (size_t)op->nslots + extra;
    if (op->slots && need <= ((size_t)op->mask + 1) / 2) return;
    size_t cap = 256;
    while (cap / 2 < need) cap *= 2;
    uint32_t *old = op->slots, old_cap = old ? op->mask + 1 : 0;
    op->slots = wr_calloc_written(cap, sizeof(uint32_t));
    op->mask = (uint32_t)(cap - 1);
    for (uint32_t i = 0; i < old_cap; i++) {
        if (old[i] == 0) continue;
        uint32_t s = (uint32_t)op->p[old[i] - 1].hash & op->mask;
        while (op->slots[s]) s = (s + 1) & op->mask;
        op->slots[s] = old[i];
    }
    wr_free(old);
}

static uint32_t find_part(const oc_op *op, uint64_t hash, const uint8_t *key, uint32_t len)
{
    for (uint32_t s = (uint32_t)hash & op->mask;; s = (s + 1) & op->mask) {
        uint32_t slot = op->slots[s];
        if (slot == 0) return NONE;
        const part *P = &op->p[slot - 1];
        if (P->hash == hash && P->klen == len && (len == 0 || memcmp(P->key, key, len) == 0))
            return slot - 1;
    }
}

static uint32_t new_part(oc_op *op, uint64_t hash, const uint8_t *key, uint32_t len, int64_t now)
{
    table_reserve(op, 1);
    uint32_t id;
    if (op->freep.n) {
        id = op->freep.v[--op->freep.n];
    } else {
        if (op->np == op->pcap) {
            op->pcap = op->pcap ? op->pcap * 2 : 64;
            op->p = wr_realloc(op->p, (size_t)op->pcap * sizeof(part));
        }
        id = op->np++;
    }
    part *P = &op->p[id];
    memset(P, 0, sizeof(*P));
    P->hash = hash;
    P->access_ms = now;
    P->klen = len;
    P->key = wr_malloc(len ? len : 1);
    if (len) memcpy(P->key, key, len);
    uint32_t s = (uint32_t)hash & op->mask;
    while (op->slots[s]) s = (s + 1) & op->mask;
    op->slots[s] = id + 1;
    op->nslots++;
    return id;
}

/* Removes a partition (silently); its rows become dead. Table slots shift back, so probes
 * need no tombstones. */
static void drop_part(oc_op *op, uint32_t id)
{
    part *P = &op->p[id];
    uint32_t mask = op->mask, i = (uint32_t)P->hash & mask;
    while (op->slots[i] != id + 1) i = (i + 1) & mask;
    op->nslots--;
    for (uint32_t j = i;;) {
        op->slots[i] = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (op->slots[j] == 0) goto shifted;
            uint32_t home = (uint32_t)op->p[op->slots[j] - 1].hash & mask;
            /* The slot stays when its home lies cyclically in (i, j]. */
            bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) break;
        }
        op->slots[i] = op->slots[j];
        i = j;
    }
shifted:
    op->held -= P->n;
    wr_free(P->e);
    wr_free(P->key);
    P->e = NULL;
    P->key = NULL;
    P->n = P->cap = 0;
    P->klen = FREE_PART;
    WR_VEC_PUSH(&op->freep, id);
}

static void part_insert(oc_op *op, part *P, uint32_t pos, entry en)
{
    if (P->n == P->cap) {
        P->cap = P->cap < 4 ? 4 : P->cap * 2;
        P->e = wr_realloc(P->e, (size_t)P->cap * sizeof(entry));
    }
    memmove(P->e + pos + 1, P->e + pos, (size_t)(P->n - pos) * sizeof(entry));
    P->e[pos] = en;
    P->n++;
    op->held++;
}

static int64_t now_ms(const oc_op *op)
{
    return op->spec->ttl > 0 ? wr_clock_wall_ms() : 0;
}

static bool expired(const oc_op *op, const part *P, int64_t now)
{
    return op->spec->ttl > 0 && now - P->access_ms >= op->spec->ttl;
}

/* Drops every expired partition; runs at most once per TTL. */
static void sweep(oc_op *op, int64_t now)
{
    for (uint32_t id = 0; id < op->np; id++)
        if (op->p[id].klen != FREE_PART && expired(op, &op->p[id], now)) drop_part(op, id);
    op->next_sweep = now + op->spec->ttl;
}

/*
 * Copies the held rows and values into fresh stores once dead ones outnumber
 * them (and are many), renumbering the entries. Only between calls: buffered
 * output names store rows.
 */
static void maybe_compact(oc_op *op)
{
    uint32_t dead = WR_MAX(op->rows.n, op->vals.n) - op->held;
    if (dead < COMPACT_MIN || dead <= op->held) return;
    assert(op->nbuf == 0);
    size_t n = op->held ? op->held : 1;
    uint32_t *ri = wr_malloc(n * sizeof(uint32_t)), *vi = wr_malloc(n * sizeof(uint32_t)), k = 0;
    for (uint32_t id = 0; id < op->np; id++) {
        part *P = &op->p[id];
        if (P->klen == FREE_PART) continue;
        for (uint32_t j = 0; j < P->n; j++) {
            ri[k] = P->e[j].row;
            vi[k] = P->e[j].val;
            P->e[j].row = P->e[j].val = k++;
        }
    }
    assert(k == op->held);
    wr_colstore fresh;
    wr_colstore_init(&fresh, op->spec->in_types, op->spec->nin);
    wr_colstore_take(&fresh, &op->rows, ri, k);
    wr_colstore_fini(&op->rows);
    op->rows = fresh;
    wr_colstore_init(&fresh, op->val_types, op->spec->ncalls);
    wr_colstore_take(&fresh, &op->vals, vi, k);
    wr_colstore_fini(&op->vals);
    op->vals = fresh;
    wr_free(ri);
    wr_free(vi);
}

/* ---- output ------------------------------------------------------------------------- */

static int flush_out(oc_op *op, wr_error *err)
{
    int m = op->nbuf;
    if (m == 0) return 0;
    op->nbuf = 0;
    const oc_spec *spec = op->spec;
    wr_batch *out = op->out;
    wr_batch_reset(out);
    for (int c = 0; c < spec->nin; c++) wr_colstore_gather(&op->rows, c, op->orow, m, out, c);
    for (int k = 0; k < spec->ncalls; k++)
        wr_colstore_gather(&op->vals, k, op->oval, m, out, spec->nin + k);
    memcpy(wr_batch_kinds(out), op->okind, (size_t)m);
    out->count = m;
    return wr_op_emit(op->base.ctx, out, err);
}

static int out_row(oc_op *op, uint32_t row, uint32_t val, wr_change_kind kind, wr_error *err)
{
    if (op->nbuf == CAP) {
        int rc = flush_out(op, err);
        if (rc) return rc;
    }
    op->orow[op->nbuf] = row;
    op->oval[op->nbuf] = val;
    op->okind[op->nbuf++] = (uint8_t)kind;
    return 0;
}

/* ---- recomputing ---------------------------------------------------------------------- */

static inline bool peers(const oc_op *op, const entry *e, uint32_t i)
{
    return wr_sort_compare(&op->rows, op->spec->order, op->spec->norder, e[i - 1].row, e[i].row) ==
           0;
}

/* The first position of e[0..n) whose ORDER BY keys are >= (upper: >) those of store row x. */
static uint32_t bound(const oc_op *op, const part *P, uint32_t x, bool upper)
{
    uint32_t lo = 0, hi = P->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = wr_sort_compare(&op->rows, op->spec->order, op->spec->norder, P->e[mid].row, x);
        if (c < 0 || (upper && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* An offset bounded so that position arithmetic in int64_t cannot overflow. */
static int64_t clamp_off(int64_t off)
{
    return WR_MAX(WR_MIN(off, (int64_t)UINT32_MAX + 2), -(int64_t)UINT32_MAX - 2);
}

/* Folds (or, retract, removes) positions [from, to) of P into accumulator ai's state. */
static int feed(oc_op *op, const part *P, int ai, uint32_t from, uint32_t to, bool retract,
                wr_error *err)
{
    const wr_agg_acc *acc = &op->accs[ai];
    wr_agg_update_fn fn = retract ? acc->retract : acc->update;
    const wr_vector *a = acc->nargs > 0 ? &op->vecs[acc->args[0]] : NULL;
    const wr_vector *b = acc->nargs > 1 ? &op->vecs[acc->args[1]] : NULL;
    const wr_vector *f = acc->filter >= 0 ? &op->vecs[acc->filter] : NULL;
    /* A user function reads all its arguments: arg is then the array of columns. */
    if (acc->kind == WR_AGG_USER) a = op->vecs;
    while (from < to) {
        int m = 0;
        for (; from < to && m < CAP; from++) {
            uint32_t r = P->e[from].row;
            if (f && (!((const uint8_t *)f->data)[r] || wr_vector_is_null(f, (int)r))) continue;
            op->scratch[m++] = r;
        }
        if (m == 0) continue;
        int rc = fn(acc, &op->st, a, b, op->scratch, op->zeros, m, err);
        if (rc) return rc;
    }
    return 0;
}

/* Moves call ai's accumulator to the frame [a, b) (neither end before the last frame's). */
static int slide(oc_op *op, const part *P, int ai, cursor *cur, uint32_t a, uint32_t b,
                 wr_error *err)
{
    const wr_agg_acc *acc = &op->accs[ai];
    int rc;
    if (a > cur->lo) {
        if (acc->retract && a <= cur->hi) {
            rc = feed(op, P, ai, cur->lo, a, true, err);
            if (rc) return rc;
            cur->lo = a;
        } else {
            memset(op->st.rows + acc->offset, 0, acc->size);
            cur->lo = cur->hi = a;
        }
    }
    if (b > cur->hi) {
        rc = feed(op, P, ai, cur->hi, b, false, err);
        if (rc) return rc;
        cur->hi = b;
    }
    return 0;
}

/*
 * Compares the m recomputed rows in cand (positions cpos) with their last
 * values; stores the changed ones and emits +I for a row without values and
 * -U/+U for the others.
 */
static int commit(oc_op *op, part *P, int m, wr_error *err)
{
    const oc_spec *spec = op->spec;
    wr_batch *cand = op->cand;
    cand->count = m;
    int nchg = 0;
    for (int i = 0; i < m; i++) {
        const entry *en = &P->e[op->cpos[i]];
        if (en->val == NONE ||
            wr_sort_compare_batch(cand, (uint32_t)i, &op->vals, en->val, op->vkeys, spec->ncalls))
            op->chg[nchg++] = (uint32_t)i;
    }
    int rc = wr_colstore_append(&op->vals, cand, op->chg, nchg, "over", err);
    uint32_t base = op->vals.n - (uint32_t)nchg;
    for (int j = 0; rc == 0 && j < nchg; j++) {
        entry *en = &P->e[op->cpos[op->chg[j]]];
        uint32_t nv = base + (uint32_t)j;
        if (en->val == NONE) {
            rc = out_row(op, en->row, nv, WR_KIND_INSERT, err);
        } else {
            rc = out_row(op, en->row, en->val, WR_KIND_UPDATE_BEFORE, err);
            if (rc == 0) rc = out_row(op, en->row, nv, WR_KIND_UPDATE_AFTER, err);
        }
        en->val = nv;
    }
    wr_batch_reset(cand);
    return rc;
}

/* Recomputes every call for positions [from, to) of P, in order, and emits what changed. */
static int refresh(oc_op *op, part *P, uint32_t from, uint32_t to, wr_error *err)
{
    const oc_spec *spec = op->spec;
    const entry *e = P->e;
    uint32_t n = P->n;
    for (int c = 0; c < spec->nin; c++) {
        op->vecs[c].type = spec->in_types[c];
        op->vecs[c].data = op->rows.data[c];
        op->vecs[c].validity = op->rows.validity[c];
    }
    if (op->naccs) memset(op->st.rows, 0, op->st.stride);
    wr_arena_reset(&op->heap);
    for (int k = 0; k < spec->ncalls; k++) op->cursors[k] = (cursor){0, 0};
    /* The peer group [gs, ge) of `from`, and its dense rank, when a call reads them. */
    uint32_t gs = from, ge = UINT32_MAX;
    int64_t dense = 1;
    if (op->peered) {
        while (gs > 0 && peers(op, e, gs)) gs--;
        for (uint32_t i = 1; op->dense && i <= gs; i++) dense += !peers(op, e, i);
        for (ge = gs + 1; ge < n && peers(op, e, ge);) ge++;
    }
    wr_batch *cand = op->cand;
    wr_batch_reset(cand);
    int m = 0, rc;
    for (uint32_t q = from; q < to; q++) {
        if (q >= ge) {
            gs = ge;
            for (ge = gs + 1; ge < n && peers(op, e, ge);) ge++;
            dense++;
        }
        for (int k = 0; k < spec->ncalls; k++) {
            const wr_over_call *call = &spec->calls[k];
            int64_t *rank = cand->cols[k].data;
            switch (call->kind) {
            case WR_OVER_ROW_NUMBER:
                rank[m] = (int64_t)q + 1;
                continue;
            case WR_OVER_RANK:
                rank[m] = (int64_t)gs + 1;
                continue;
            case WR_OVER_DENSE_RANK:
                rank[m] = dense;
                continue;
            case WR_OVER_AGG:
                break;
            }
            uint32_t a = 0, b = n;
            if (spec->norder > 0 && call->range) {
                if (call->lower == 0) a = gs;
                if (call->upper == 0) b = ge;
            } else if (spec->norder > 0) {
                if (call->lower != WR_OVER_UNBOUNDED)
                    a = (uint32_t)WR_MAX(0, WR_MIN((int64_t)n, q + clamp_off(call->lower)));
                if (call->upper != WR_OVER_UNBOUNDED)
                    b = (uint32_t)WR_MAX(0, WR_MIN((int64_t)n, q + clamp_off(call->upper) + 1));
            }
            if (b < a) b = a;
            int ai = op->call_acc[k];
            rc = slide(op, P, ai, &op->cursors[k], a, b, err);
            if (rc == 0) rc = wr_agg_acc_final(&op->accs[ai], &op->st, 0, 1, cand, k, m, err);
            if (rc) return rc;
            /* A string result is a view of the state, which later rows change in place. */
            if (op->str_result[k] && !wr_vector_is_null(&cand->cols[k], m)) {
                wr_str *v = (wr_str *)cand->cols[k].data + m;
                *v = wr_batch_str(cand, v->ptr, v->len);
            }
        }
        op->cpos[m++] = q;
        if (m == CAP) {
            rc = commit(op, P, m, err);
            if (rc) return rc;
            m = 0;
        }
    }
    return m ? commit(op, P, m, err) : 0;
}

/*
 * After a change at position p of P (the inserted row's place, or where the
 * removed one was) of store row x, recomputes the rows whose frame may
 * contain it; see the file comment.
 */
static int recompute(oc_op *op, part *P, uint32_t p, uint32_t x, bool inserted, wr_error *err)
{
    const oc_spec *spec = op->spec;
    int64_t n = P->n, from = n, to = 0;
    /* The first and the end position of x's peers, found when a call needs them (-1). */
    int64_t gs = spec->norder > 0 ? -1 : 0, ge = spec->norder > 0 ? -1 : n;
#define PEERS_START() (gs < 0 ? (gs = bound(op, P, x, false)) : gs)
#define PEERS_END() (ge < 0 ? (ge = bound(op, P, x, true)) : ge)
    for (int k = 0; k < spec->ncalls; k++) {
        const wr_over_call *call = &spec->calls[k];
        int64_t f = 0, t = n;
        if (spec->norder > 0) {
            switch (call->kind) {
            case WR_OVER_ROW_NUMBER:
                f = p;
                break;
            case WR_OVER_RANK:
            case WR_OVER_DENSE_RANK:
                f = PEERS_START();
                break;
            case WR_OVER_AGG:
                if (call->range) {
                    if (call->upper == 0) f = PEERS_START();
                    if (call->lower == 0) t = PEERS_END();
                } else {
                    /* Row q's frame [q + lower, q + upper] holds p for q in [p - upper,
                     * p - lower]. */
                    if (call->upper != WR_OVER_UNBOUNDED) f = p - clamp_off(call->upper);
                    if (call->lower != WR_OVER_UNBOUNDED) t = p - clamp_off(call->lower) + 1;
                }
                break;
            }
        }
        from = WR_MIN(from, f);
        to = WR_MAX(to, t);
    }
#undef PEERS_START
#undef PEERS_END
    if (inserted) {
        from = WR_MIN(from, (int64_t)p);
        to = WR_MAX(to, (int64_t)p + 1);
    }
    from = WR_MAX(from, 0);
    to = WR_MIN(to, n);
    return from < to ? refresh(op, P, (uint32_t)from, (uint32_t)to, err) : 0;
}

/* ---- changes ------------------------------------------------------------------------ */

/* Whether physical row r of in comes before (< 0), is equal to (0) or after store row `row`. */
static inline int cmp_in(const oc_op *op, const wr_batch *in, uint32_t r, uint32_t row)
{
    return wr_sort_compare_batch(in, r, &op->rows, row, op->ord, op->nord);
}

static int insert_row(oc_op *op, part *P, const wr_batch *in, uint32_t r, wr_error *err)
{
    uint32_t lo = 0, hi = P->n;
    /* Most rows of a stream arrive last in their partition: the first comparison tells. */
    if (hi > 0 && cmp_in(op, in, r, P->e[hi - 1].row) >= 0) lo = hi;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp_in(op, in, r, P->e[mid].row) < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    int rc = wr_colstore_append(&op->rows, in, &r, 1, "over", err);
    if (rc) return rc;
    uint32_t idx = op->rows.n - 1;
    part_insert(op, P, lo, (entry){idx, NONE});
    return recompute(op, P, lo, idx, true, err);
}

static int remove_row(oc_op *op, part *P, const wr_batch *in, uint32_t r, wr_error *err)
{
    uint32_t lo = 0, hi = P->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp_in(op, in, r, P->e[mid].row) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* The window order covers every column, so an equal row is the one found. */
    if (lo >= P->n || cmp_in(op, in, r, P->e[lo].row) != 0) return 0; /* not held: ignored */
    entry gone = P->e[lo];
    memmove(P->e + lo, P->e + lo + 1, (size_t)(P->n - lo - 1) * sizeof(entry));
    P->n--;
    op->held--;
    int rc = out_row(op, gone.row, gone.val, WR_KIND_DELETE, err);
    if (rc || P->n == 0) return rc;
    /* The removed row stays readable in the store (dead) until the next compaction. */
    return recompute(op, P, lo, gone.row, false, err);
}

static void ensure_scratch(oc_op *op, int n)
{
    if (n <= op->kcap) return;
    op->koff = wr_realloc(op->koff, ((size_t)n + 1) * sizeof(uint32_t));
    op->hash = wr_realloc(op->hash, ((size_t)n + 1) * sizeof(uint64_t));
    op->kcap = n;
}

static int oc_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    oc_op *op = (oc_op *)base;
    const oc_spec *spec = op->spec;
    int n = wr_batch_rows(in), rc = 0;
    if (n == 0) return 0;
    if (in->ncols != spec->nin)
        return wr_error_set(err, WR_ERR_INTERNAL, "over: a batch of %d columns, expected %d",
                            in->ncols, spec->nin);
    ensure_scratch(op, n);
    int64_t now = now_ms(op);
    if (spec->ttl > 0 && now >= op->next_sweep) sweep(op, now);
    /* Partition keys as the exchange makes them, and their hashes. */
    wr_buf_reset(&op->keys);
    for (int i = 0; i < n; i++) {
        op->koff[i] = (uint32_t)op->keys.len;
        wr_row_encode(in, wr_batch_row(in, i), spec->partition, spec->npart, &op->keys);
    }
    op->koff[n] = (uint32_t)op->keys.len;
    const uint8_t *kd = (const uint8_t *)op->keys.data;
    for (int i = 0; i < n; i++)
        op->hash[i] = wr_hash_bytes(kd + op->koff[i], op->koff[i + 1] - op->koff[i]);
    for (int i = 0; rc == 0 && i < n; i++) {
        uint32_t r = (uint32_t)wr_batch_row(in, i);
        wr_change_kind kind = wr_batch_kind(in, (int)r);
        bool add = kind == WR_KIND_INSERT || kind == WR_KIND_UPDATE_AFTER;
        uint32_t len = op->koff[i + 1] - op->koff[i];
        const uint8_t *key = kd + op->koff[i];
        uint32_t id = find_part(op, op->hash[i], key, len);
        if (id != NONE && expired(op, &op->p[id], now)) {
            drop_part(op, id);
            id = NONE;
        }
        if (id == NONE) {
            if (!add) continue; /* nothing to retract from */
            id = new_part(op, op->hash[i], key, len, now);
        }
        part *P = &op->p[id];
        P->access_ms = now;
        rc = add ? insert_row(op, P, in, r, err) : remove_row(op, P, in, r, err);
        if (rc == 0 && P->n == 0) drop_part(op, id);
    }
    if (rc == 0) rc = flush_out(op, err);
    if (rc == 0) maybe_compact(op);
    return rc;
}

static int oc_end_input(wr_operator *base, int input, wr_error *err)
{
    /* Results were emitted as they changed. */
    return flush_out((oc_op *)base, err);
}

/* ---- checkpoints ---------------------------------------------------------------------- */

/*
 * Part layout (docs/checkpoints.md): the shape (magic, version, column types,
 * partition columns, order keys, calls), the number of partitions, then per
 * partition its key, last change and rows in window order, each as the row
 * codec of the input columns and of its last values; a checksum.
 */
static void put_shape(const oc_op *op, wr_buf *b)
{
    const oc_spec *spec = op->spec;
    wr_buf_put_u32(b, SNAP_MAGIC);
    wr_buf_put_u32(b, SNAP_VERSION);
    wr_buf_put_u32(b, (uint32_t)spec->nin);
    for (int c = 0; c < spec->nin; c++) wr_buf_put_u32(b, spec->in_types[c].id);
    wr_buf_put_u32(b, (uint32_t)spec->npart);
    for (int k = 0; k < spec->npart; k++) wr_buf_put_u32(b, (uint32_t)spec->partition[k]);
    wr_buf_put_u32(b, (uint32_t)spec->norder);
    for (int k = 0; k < spec->norder; k++)
        wr_buf_put_u32(b, (uint32_t)spec->order[k].col | (uint32_t)spec->order[k].desc << 24 |
                              (uint32_t)spec->order[k].nulls_first << 25);
    wr_buf_put_u32(b, (uint32_t)spec->ncalls);
    for (int k = 0; k < spec->ncalls; k++) {
        const wr_over_call *call = &spec->calls[k];
        wr_buf_put_u32(b, (uint32_t)call->kind | (uint32_t)call->range << 8);
        wr_buf_put_u64(b, (uint64_t)call->lower);
        wr_buf_put_u64(b, (uint64_t)call->upper);
        wr_buf_put_u32(b, op->val_types[k].id);
        if (call->kind != WR_OVER_AGG) continue;
        wr_buf_put_u32(b, (uint32_t)call->agg.kind);
        wr_buf_put_u32(b, (uint32_t)call->agg.nargs);
        for (int a = 0; a < call->agg.nargs && a < WR_AGG_MAX_ARGS; a++)
            wr_buf_put_u32(b, (uint32_t)call->agg.args[a]);
        wr_buf_put_u32(b, (uint32_t)call->agg.filter);
    }
}

static void put_part(oc_op *op, const part *P, wr_buf *b)
{
    const oc_spec *spec = op->spec;
    wr_buf_put_u32(b, P->klen);
    wr_buf_append(b, P->key, P->klen);
    wr_buf_put_u64(b, (uint64_t)P->access_ms);
    wr_buf_put_u32(b, P->n);
    for (uint32_t first = 0; first < P->n; first += CAP) {
        int m = (int)WR_MIN(P->n - first, (uint32_t)CAP);
        wr_batch_reset(op->dec);
        wr_batch_reset(op->decv);
        for (int i = 0; i < m; i++) {
            op->orow[i] = P->e[first + (uint32_t)i].row;
            op->oval[i] = P->e[first + (uint32_t)i].val;
        }
        for (int c = 0; c < spec->nin; c++)
            wr_colstore_gather(&op->rows, c, op->orow, m, op->dec, c);
        for (int k = 0; k < spec->ncalls; k++)
            wr_colstore_gather(&op->vals, k, op->oval, m, op->decv, k);
        op->dec->count = op->decv->count = m;
        for (int i = 0; i < m; i++) {
            wr_buf_reset(&op->enc);
            wr_row_encode(op->dec, i, op->cols, spec->nin, &op->enc);
            wr_buf_put_u32(b, (uint32_t)op->enc.len);
            wr_buf_append(b, op->enc.data, op->enc.len);
            wr_buf_reset(&op->enc);
            wr_row_encode(op->decv, i, op->vcols, spec->ncalls, &op->enc);
            wr_buf_put_u32(b, (uint32_t)op->enc.len);
            wr_buf_append(b, op->enc.data, op->enc.len);
        }
    }
}

static int oc_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    oc_op *op = (oc_op *)base;
    int rc = flush_out(op, err);
    if (rc) return rc;
    if (op->spec->ttl > 0) sweep(op, now_ms(op));
    int maxp = base->ctx->max_parallelism;
    uint64_t *count = wr_calloc((size_t)maxp, sizeof(uint64_t));
    int *at = wr_malloc((size_t)maxp * sizeof(int));
    for (uint32_t id = 0; id < op->np; id++)
        if (op->p[id].klen != FREE_PART) count[wr_keygroup_of_hash(op->p[id].hash, maxp)]++;
    /* Every part is added before any is written: adding may move the parts. */
    for (int kg = 0; kg < maxp; kg++)
        if (count[kg]) {
            at[kg] = out->nparts;
            wr_snapshot_add(out, kg);
        }
    for (int kg = 0; kg < maxp; kg++) {
        if (!count[kg]) continue;
        wr_buf *b = &out->parts[at[kg]].data;
        put_shape(op, b);
        wr_buf_put_u64(b, count[kg]);
    }
    for (uint32_t id = 0; id < op->np; id++)
        if (op->p[id].klen != FREE_PART)
            put_part(op, &op->p[id],
                     &out->parts[at[wr_keygroup_of_hash(op->p[id].hash, maxp)]].data);
    for (int kg = 0; kg < maxp; kg++) {
        if (!count[kg]) continue;
        wr_buf *b = &out->parts[at[kg]].data;
        wr_buf_put_u64(b, wr_hash_bytes(b->data, b->len));
    }
    wr_free(count);
    wr_free(at);
    return 0;
}

/* Decodes one length-prefixed row codec from r into batch (reset when full); its row, or -1. */
static int take_row(wr_buf_reader *r, wr_batch *batch, wr_error *derr)
{
    uint32_t len = wr_buf_get_u32(r);
    const uint8_t *bytes = wr_buf_take(r, len);
    if (r->bad) return -1;
    if (batch->count == batch->capacity) wr_batch_reset(batch);
    int used = wr_row_decode_append(batch, bytes, len, derr);
    if (used < 0 || (uint32_t)used != len) return -1;
    return batch->count - 1;
}

/* Restores one partition from r (at byte `at` of the part, for messages). */
static int restore_partition(oc_op *op, wr_buf_reader *r, int kg, size_t at, wr_error *err)
{
    const oc_spec *spec = op->spec;
    uint32_t klen = wr_buf_get_u32(r);
    const uint8_t *key = wr_buf_take(r, klen);
    int64_t access = (int64_t)wr_buf_get_u64(r);
    uint32_t nrows = wr_buf_get_u32(r);
    if (r->bad) return wr_error_set(err, WR_ERR_IO, "partition truncated at byte %zu", at);
    wr_error derr;
    wr_error_init(&derr);
    wr_batch_reset(op->kb);
    int used = wr_row_decode_append(op->kb, key, klen, &derr);
    if (used < 0 || (uint32_t)used != klen)
        return wr_error_set(err, WR_ERR_IO, "malformed partition key at byte %zu", at);
    uint64_t hash = wr_hash_bytes(key, klen);
    if (wr_keygroup_of_hash(hash, op->base.ctx->max_parallelism) != kg)
        return wr_error_set(err, WR_ERR_IO,
                            "partition key at byte %zu does not belong to key group %d", at, kg);
    if (find_part(op, hash, key, klen) != NONE)
        return wr_error_set(err, WR_ERR_IO, "partition at byte %zu is restored twice", at);
    if (nrows == 0 || nrows > r->left)
        return wr_error_set(err, WR_ERR_IO, "partition at byte %zu has %u rows", at, nrows);
    uint32_t id = new_part(op, hash, key, klen, access);
    wr_batch_reset(op->dec);
    wr_batch_reset(op->decv);
    for (uint32_t j = 0; j < nrows; j++) {
        int row = take_row(r, op->dec, &derr);
        int vrow = row < 0 ? -1 : take_row(r, op->decv, &derr);
        if (vrow < 0)
            return wr_error_set(err, WR_ERR_IO, "malformed row %u of the partition at byte %zu", j,
                                at);
        /* The row must be of this partition, and rows come in window order. */
        wr_buf_reset(&op->enc);
        wr_row_encode(op->dec, row, spec->partition, spec->npart, &op->enc);
        if (op->enc.len != klen || memcmp(op->enc.data, key, klen) != 0)
            return wr_error_set(err, WR_ERR_IO,
                                "row %u of the partition at byte %zu is not of its partition", j,
                                at);
        part *P = &op->p[id];
        if (j > 0 && cmp_in(op, op->dec, (uint32_t)row, P->e[j - 1].row) < 0)
            return wr_error_set(err, WR_ERR_IO,
                                "rows of the partition at byte %zu are out of order", at);
        uint32_t ur = (uint32_t)row, uv = (uint32_t)vrow;
        int rc = wr_colstore_append(&op->rows, op->dec, &ur, 1, "over", err);
        if (rc == 0) rc = wr_colstore_append(&op->vals, op->decv, &uv, 1, "over", err);
        if (rc) return rc;
        part_insert(op, P, j, (entry){op->rows.n - 1, op->vals.n - 1});
    }
    return 0;
}

static int restore_part(oc_op *op, const wr_snapshot_part *sp, wr_error *err)
{
    if (sp->keygroup < 0)
        return wr_error_set(err, WR_ERR_IO, "over snapshot has operator state, not key groups");
    wr_buf_reader r;
    int rc = wr_snapshot_part_open(sp, &r, err);
    size_t size = r.left; /* positions in messages count from the part's start */
    wr_buf shape;
    wr_buf_init(&shape);
    put_shape(op, &shape);
    const uint8_t *head = rc == 0 && r.left >= shape.len + 8 ? wr_buf_take(&r, shape.len) : NULL;
    if (rc == 0 && head == NULL) {
        rc = wr_error_set(err, WR_ERR_IO, "truncated over snapshot (%zu bytes)", sp->data.len);
    } else if (rc == 0 && memcmp(head, shape.data, 8) != 0) {
        rc = wr_error_set(err, WR_ERR_IO, "not an over snapshot of this version");
    } else if (rc == 0 && memcmp(head, shape.data, shape.len) != 0) {
        rc = wr_error_set(err, WR_ERR_IO,
                          "over snapshot of another OVER operator (columns, partition, order or "
                          "calls differ)");
    }
    if (rc == 0) {
        uint64_t n = wr_buf_get_u64(&r);
        for (uint64_t i = 0; rc == 0 && i < n; i++)
            rc = restore_partition(op, &r, sp->keygroup, size - r.left, err);
        if (rc == 0 && r.left)
            rc = wr_error_set(err, WR_ERR_IO, "%zu bytes after the last partition", r.left);
    }
    wr_buf_fini(&shape);
    if (rc) wr_error_prefix(err, "restoring key group %d", sp->keygroup);
    return rc;
}

/* ---- create / destroy ------------------------------------------------------------------- */

static void oc_destroy(wr_operator *base)
{
    oc_op *op = (oc_op *)base;
    for (uint32_t id = 0; id < op->np; id++) {
        if (op->p[id].klen == FREE_PART) continue;
        wr_free(op->p[id].e);
        wr_free(op->p[id].key);
    }
    wr_free(op->p);
    WR_VEC_FREE(&op->freep);
    wr_free(op->slots);
    wr_colstore_fini(&op->rows);
    wr_colstore_fini(&op->vals);
    wr_free(op->call_acc);
    wr_free(op->accs);
    wr_free(op->st.rows);
    wr_arena_fini(&op->heap);
    wr_free(op->cursors);
    wr_free(op->str_result);
    wr_free(op->vecs);
    wr_batch_free(op->cand);
    wr_batch_free(op->out);
    wr_batch_free(op->dec);
    wr_batch_free(op->decv);
    wr_batch_free(op->kb);
    wr_buf_fini(&op->keys);
    wr_buf_fini(&op->enc);
    wr_free(op->koff);
    wr_free(op->hash);
    wr_free(op->ord);
    wr_free(op->vkeys);
    wr_free(op->cols);
    wr_free(op->vcols);
    wr_free(op->val_types);
    wr_free(op->out_types);
    wr_free(op->key_types);
    wr_free(op);
}

/* Rejects a spec the operator cannot run, with a message naming the problem. */
static int check_spec(const oc_spec *spec, const wr_op_ctx *ctx, wr_error *err)
{
    char name[64];
    if (spec->nin < 0 || spec->npart < 0 || spec->norder < 0 || spec->ncalls < 0)
        return wr_error_set(err, WR_ERR_VALIDATION, "over: negative column, key or call count");
    for (int c = 0; c < spec->nin; c++)
        if (wr_value_kind_of(spec->in_types[c].id) == WR_VALUE_UNSUPPORTED)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over: column %d has type %s, which OVER over an updating input "
                                "cannot keep",
                                c, wr_type_name(spec->in_types[c], name, sizeof(name)));
    for (int k = 0; k < spec->npart; k++)
        if (spec->partition[k] < 0 || spec->partition[k] >= spec->nin)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over: partition column %d of an input with %d columns",
                                spec->partition[k], spec->nin);
    for (int k = 0; k < spec->norder; k++)
        if (spec->order[k].col < 0 || spec->order[k].col >= spec->nin)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over: ORDER BY column %d of an input with %d columns",
                                spec->order[k].col, spec->nin);
    for (int k = 0; k < spec->ncalls; k++) {
        const wr_over_call *call = &spec->calls[k];
        if (call->kind != WR_OVER_ROW_NUMBER && call->kind != WR_OVER_RANK &&
            call->kind != WR_OVER_DENSE_RANK && call->kind != WR_OVER_AGG)
            return wr_error_set(err, WR_ERR_VALIDATION, "over: call %d has unknown kind %d", k,
                                (int)call->kind);
        if (call->kind != WR_OVER_AGG) continue;
        if (call->agg.distinct)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over: %s(DISTINCT ...) OVER a window is not supported",
                                wr_agg_call_name(&call->agg));
        wr_type t = wr_over_call_type(call);
        if (wr_value_kind_of(t.id) == WR_VALUE_UNSUPPORTED)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over: call %d (%s) has a result of type %s, which OVER over an "
                                "updating input cannot keep",
                                k, wr_agg_call_name(&call->agg),
                                wr_type_name(t, name, sizeof(name)));
        if (call->range && spec->norder > 0 &&
            ((call->lower != WR_OVER_UNBOUNDED && call->lower != 0) ||
             (call->upper != WR_OVER_UNBOUNDED && call->upper != 0)))
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over: call %d has a RANGE frame with offsets, which OVER over an "
                                "updating input does not support",
                                k);
    }
    if (spec->ttl < 0)
        return wr_error_set(err, WR_ERR_VALIDATION, "over: state TTL of %lld ms",
                            (long long)spec->ttl);
    if (ctx->max_parallelism <= 0 || ctx->max_parallelism < ctx->parallelism)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "over: the maximum parallelism (%d) must be at least the parallelism "
                            "(%d)",
                            ctx->max_parallelism, ctx->parallelism);
    return 0;
}

static wr_operator *oc_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const oc_spec *spec = p;
    if (check_spec(spec, ctx, err)) return NULL;
    oc_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_over_changelog_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    int nin = spec->nin, ncalls = spec->ncalls, nout = nin + ncalls;
    op->nord = spec->norder + nin;
    op->ord = wr_malloc((size_t)WR_MAX(op->nord, 1) * sizeof(wr_sort_key));
    if (spec->norder) memcpy(op->ord, spec->order, (size_t)spec->norder * sizeof(wr_sort_key));
    op->cols = wr_malloc((size_t)WR_MAX(nin, 1) * sizeof(int));
    for (int c = 0; c < nin; c++) {
        op->ord[spec->norder + c] = (wr_sort_key){c, false, true};
        op->cols[c] = c;
    }
    op->vkeys = wr_malloc((size_t)WR_MAX(ncalls, 1) * sizeof(wr_sort_key));
    op->vcols = wr_malloc((size_t)WR_MAX(ncalls, 1) * sizeof(int));
    op->val_types = wr_malloc((size_t)WR_MAX(ncalls, 1) * sizeof(wr_type));
    op->out_types = wr_malloc((size_t)WR_MAX(nout, 1) * sizeof(wr_type));
    op->str_result = wr_calloc((size_t)WR_MAX(ncalls, 1), sizeof(bool));
    if (nin) memcpy(op->out_types, spec->in_types, (size_t)nin * sizeof(wr_type));
    for (int k = 0; k < ncalls; k++) {
        op->vkeys[k] = (wr_sort_key){k, false, true};
        op->vcols[k] = k;
        op->val_types[k] = op->out_types[nin + k] = wr_over_call_type(&spec->calls[k]);
        op->str_result[k] = wr_type_is_view(op->val_types[k].id);
        op->dense |= spec->calls[k].kind == WR_OVER_DENSE_RANK;
        op->peered |= spec->calls[k].kind != WR_OVER_ROW_NUMBER &&
                      (spec->calls[k].kind != WR_OVER_AGG || spec->calls[k].range);
    }
    op->key_types = wr_malloc((size_t)WR_MAX(spec->npart, 1) * sizeof(wr_type));
    for (int k = 0; k < spec->npart; k++) op->key_types[k] = spec->in_types[spec->partition[k]];
    wr_colstore_init(&op->rows, spec->in_types, nin);
    wr_colstore_init(&op->vals, op->val_types, ncalls);
    wr_arena_init(&op->heap, 16 << 10);
    op->st.heap = &op->heap;
    op->call_acc = wr_malloc((size_t)WR_MAX(ncalls, 1) * sizeof(int));
    op->accs = wr_calloc((size_t)WR_MAX(ncalls, 1), sizeof(wr_agg_acc));
    op->cursors = wr_calloc((size_t)WR_MAX(ncalls, 1), sizeof(cursor));
    op->vecs = wr_calloc((size_t)WR_MAX(nin, 1), sizeof(wr_vector));
    for (int k = 0; k < ncalls; k++) {
        op->call_acc[k] = -1;
        if (spec->calls[k].kind != WR_OVER_AGG) continue;
        if (wr_agg_acc_init(&op->accs[op->naccs], &spec->calls[k].agg, spec->in_types, nin, err))
            goto fail;
        op->call_acc[k] = op->naccs++;
    }
    op->st.stride = wr_agg_layout(op->accs, op->naccs);
    op->st.rows = wr_calloc(1, op->st.stride + 1);
    op->cand = wr_batch_new(op->val_types, ncalls, CAP);
    op->out = wr_batch_new(op->out_types, nout, CAP);
    op->dec = wr_batch_new(spec->in_types, nin, CAP);
    op->decv = wr_batch_new(op->val_types, ncalls, CAP);
    op->kb = wr_batch_new(op->key_types, spec->npart, 1);
    wr_buf_init(&op->keys);
    wr_buf_reserve(&op->keys, 256); /* an empty key (no partition columns) still has memory */
    wr_buf_init(&op->enc);
    table_reserve(op, 0);
    ctx->timer_at_ms = INT64_MAX;
    if (ctx->restore)
        for (int i = 0; i < ctx->restore->nparts; i++)
            if (restore_part(op, ctx->restore->parts[i], err)) goto fail;
    if (spec->ttl > 0) op->next_sweep = now_ms(op) + spec->ttl;
    return &op->base;
fail:
    oc_destroy(&op->base);
    return NULL;
}

/*
 * State bytes: the capacity of the partition records and their table, and of the row and
 * value stores; a partition's entry list is counted as one entry a held row.
 */
static size_t oc_state_bytes(const wr_operator *base)
{
    const oc_op *op = (const oc_op *)base;
    return (size_t)op->pcap * sizeof(part) +
           (op->slots ? ((size_t)op->mask + 1) * sizeof(uint32_t) : 0) +
           wr_colstore_bytes(&op->rows) + wr_colstore_bytes(&op->vals) +
           (size_t)op->held * sizeof(entry);
}

const wr_operator_ops wr_over_changelog_ops = {
    .kind = "over_changelog",
    .create = oc_create,
    .process = oc_process,
    .end_input = oc_end_input,
    .snapshot = oc_snapshot,
    .state_bytes = oc_state_bytes,
    .destroy = oc_destroy,
};
