/*
 * rank.c — the streaming rank operator (Top-N, deduplication, and their
 * window forms); see rank.h.
 *
 * Rows a partition keeps live in one column store for the whole operator
 * (so wr_sort_compare orders them); a partition is a record found through an
 * open-addressing table over the hash of its key (the row codec of the
 * partition columns, also what the exchange hashes, so the record's hash
 * gives its key group) and holds the store indexes of its rows in rank
 * order, inline while it has one (deduplication never allocates per
 * partition). An arriving row is placed by binary search against the kept
 * rows straight from its batch (wr_sort_compare_batch) and copied into the
 * store only when it is kept, so rows that cannot enter the top cost a few
 * comparisons and no copy. Rows that leave (pushed out, retracted, fired)
 * stay in the store as dead rows until they outnumber the live ones; then
 * the live rows are copied into a fresh store, so memory follows the kept
 * rows.
 *
 * A change at position p of a partition (insert or retraction) cannot change
 * the rank of any row before p, so the rows visible from p on are listed
 * before and after the change, each with its rank and its position in the
 * sequence that holds both states (the old array with the retracted row, or
 * the new one with the inserted row), and the two lists are compared:
 * merged by that position (rows) or by rank (positions), as rank.h says.
 * Output rows are store indexes with a rank and a kind, gathered column by
 * column into a batch when 1024 have gathered and at the end of each call;
 * the store is only compacted after that, so the indexes stay valid.
 *
 * Window mode keeps the same partitions (only rows that can still be
 * visible) and a min-heap of (window end, partition) that the watermark pops.
 */
#include "rank.h"
#include "colstore.h"
#include "window_agg.h"
#include "../base/alloc.h"
#include "../base/idtab.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../state/keygroup.h"
#include "../types/row_codec.h"

#include <string.h>

#define CAP WR_BATCH_CAPACITY
#define KEY_INLINE 16 /* keys up to this many bytes live in the partition's record */
#define FREE_PART UINT32_MAX
#define NONE UINT32_MAX
#define COMPACT_MIN 4096 /* dead store rows before a compaction is worth it */

#define SNAP_MAGIC 0x4b525257u /* "WRRK" */
#define SNAP_VERSION 1

typedef struct rank_spec {
    wr_type *in_types;
    int nin;
    int *partition;
    int npart;
    wr_sort_key *order;
    int norder;
    wr_rank_opts opts;
} rank_spec;

/* One partition. */
typedef struct part {
    uint64_t hash;     /* wr_hash_bytes of the key */
    int64_t access_ms; /* the last change, for TTL */
    int64_t wend;      /* window mode: the window's end (ms) */
    uint32_t klen;     /* FREE_PART: the record is free */
    uint32_t n, cap;   /* rows held; cap 1: the row is `one` */
    uint32_t one;
    uint32_t *many;
    union {
        uint8_t b[KEY_INLINE];
        uint8_t *p;
    } key;
} part;

/* A visible row around a change: its store row, position in the common sequence, rank. */
typedef struct vis {
    uint32_t row;
    uint32_t pos;
    int64_t rank;
} vis;

typedef WR_VEC(vis) vis_vec;

typedef struct wfire {
    int64_t end;
    uint32_t part;
} wfire;

typedef struct rank_op {
    wr_operator base;
    const rank_spec *spec;
    const wr_rank_opts *o;
    bool window;      /* window Top-N */
    bool limited;     /* insert-only: rows past rank_end are dropped for good */
    bool single;      /* limited to one row per partition (ROW_NUMBER 1..1) */
    bool newer_first; /* ties put the newer row first (keep-last deduplication) */
    bool by_rank;     /* changes pair by rank position (ROW_NUMBER with the rank column, dedup) */
    int64_t ttl;      /* state TTL (0 in window mode) */
    wr_sort_key *all; /* every column: equality of whole rows */
    int *cols;        /* 0..nin-1: every column, for the row codec */
    wr_type *out_types, *key_types;
    int kg_first, kg_last;

    part *p;
    uint32_t np, pcap; /* high water and capacity of p */
    WR_VEC(uint32_t) freep;
    wr_idtab tab;

    wr_colstore rows;
    uint32_t held; /* store rows that partitions hold; the others are dead */

    WR_VEC(wfire) fires; /* window mode: min-heap by (end, part) */
    int64_t progress;    /* window mode: the watermark up to which windows fired */
    int64_t late;
    int64_t next_sweep;

    /* Per-batch scratch. */
    int scap;
    uint32_t *koff;
    uint32_t *ident; /* 0, 1, 2, ...: the rows of a batch without a selection */
    uint64_t *hash;
    wr_buf keys;
    vis_vec ov, nv; /* visible rows before and after a change */

    /* Output waiting to be gathered. */
    uint32_t oidx[CAP];
    int64_t orank[CAP];
    uint8_t okind[CAP];
    int nbuf;
    wr_batch *out, *dec, *kb;
    wr_buf enc;
} rank_op;

/* ---- spec --------------------------------------------------------------------------- */

static void spec_free(void *p)
{
    rank_spec *spec = p;
    wr_free(spec->in_types);
    wr_free(spec->partition);
    wr_free(spec->order);
    wr_free(spec);
}

wr_operator_spec wr_rank_spec(const wr_type *in_types, int nin, const int *partition, int npart,
                              const wr_sort_key *order, int norder, const wr_rank_opts *opts)
{
    rank_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->in_types = wr_memdup_array(in_types, nin, sizeof(*in_types));
    spec->nin = nin;
    spec->partition = wr_memdup_array(partition, npart, sizeof(*partition));
    spec->npart = npart;
    spec->order = wr_memdup_array(order, norder, sizeof(*order));
    spec->norder = norder;
    spec->opts = *opts;
    wr_operator_spec out = {&wr_rank_ops, spec, spec_free, npart == 0 ? 1 : -1, false};
    return out;
}

int64_t wr_rank_late_rows(const wr_operator *base)
{
    return ((const rank_op *)base)->late;
}

/* ---- the partition table ---------------------------------------------------------------- */

static inline const uint8_t *key_of(const part *r)
{
    return r->klen <= KEY_INLINE ? r->key.b : r->key.p;
}

static inline uint32_t *rows_of(part *r)
{
    return r->cap <= 1 ? &r->one : r->many;
}

/* Whether two keys of len bytes are equal: short keys (most) without a library call. */
static inline bool key_eq(const uint8_t *a, const uint8_t *b, uint32_t len)
{
    uint64_t x, y, u, v;
    if (len >= 8 && len <= 16) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&u, a + len - 8, 8);
        memcpy(&v, b + len - 8, 8);
        return x == y && u == v;
    }
    return len == 0 || memcmp(a, b, len) == 0;
}

static uint32_t find_part(const rank_op *op, uint64_t hash, const uint8_t *key, uint32_t len)
{
    const uint64_t *slots = op->tab.slots;
    uint32_t mask = op->tab.mask, h = (uint32_t)hash;
    for (uint32_t s = h & mask;; s = (s + 1) & mask) {
        uint64_t slot = slots[s];
        if (slot == 0) return NONE;
        if (WR_IDTAB_HASH(slot) != h) continue;
        const part *r = &op->p[WR_IDTAB_ID(slot)];
        if (r->klen == len && key_eq(key_of(r), key, len)) return WR_IDTAB_ID(slot);
    }
}

/* Room for n more partitions, so that nothing moves during a batch. */
static void reserve_parts(rank_op *op, size_t n)
{
    wr_idtab_reserve(&op->tab, n, 1024);
    size_t need = (size_t)op->np + n;
    if (need <= op->pcap) return;
    size_t cap = WR_MAX((size_t)op->pcap * 2, WR_MAX(need, 256));
    assert(cap < UINT32_MAX);
    op->p = wr_realloc(op->p, cap * sizeof(part));
    op->pcap = (uint32_t)cap;
}

/* A new empty partition; room was reserved. */
static uint32_t new_part(rank_op *op, uint64_t hash, const uint8_t *key, uint32_t len, int64_t now)
{
    uint32_t id = op->freep.n ? op->freep.v[--op->freep.n] : op->np++;
    part *r = &op->p[id];
    memset(r, 0, sizeof(*r));
    r->hash = hash;
    r->access_ms = now;
    r->klen = len;
    r->cap = 1;
    if (len > KEY_INLINE) {
        r->key.p = wr_malloc(len);
        memcpy(r->key.p, key, len);
    } else if (len) {
        memcpy(r->key.b, key, len);
    }
    wr_idtab_put(&op->tab, hash, id);
    return id;
}

/* Removes a partition; its rows become dead (readable until the next compaction). */
static void drop_part(rank_op *op, uint32_t id)
{
    part *r = &op->p[id];
    op->held -= r->n;
    if (r->cap > 1) wr_free(r->many);
    if (r->klen > KEY_INLINE) wr_free(r->key.p);
    wr_idtab_del(&op->tab, r->hash, id);
    r->klen = FREE_PART;
    r->n = 0;
    WR_VEC_PUSH(&op->freep, id);
}

/* Puts store row `row` at position pos of the partition's rows. */
static void part_insert(rank_op *op, part *r, uint32_t pos, uint32_t row)
{
    if (r->n == r->cap) {
        uint32_t cap = r->cap < 4 ? 4 : r->cap * 2;
        if (r->cap <= 1) {
            uint32_t *many = wr_malloc((size_t)cap * sizeof(uint32_t));
            if (r->n) many[0] = r->one;
            r->many = many;
        } else {
            r->many = wr_realloc(r->many, (size_t)cap * sizeof(uint32_t));
        }
        r->cap = cap;
    }
    uint32_t *e = rows_of(r);
    memmove(e + pos + 1, e + pos, (size_t)(r->n - pos) * sizeof(uint32_t));
    e[pos] = row;
    r->n++;
    op->held++;
}

static void part_remove(rank_op *op, part *r, uint32_t pos)
{
    uint32_t *e = rows_of(r);
    memmove(e + pos, e + pos + 1, (size_t)(r->n - pos - 1) * sizeof(uint32_t));
    r->n--;
    op->held--;
}

static int64_t now_ms(const rank_op *op)
{
    return op->o->clock ? op->o->clock(op->o->clock_arg) : wr_clock_wall_ms();
}

static bool expired(const rank_op *op, const part *r, int64_t now)
{
    return op->ttl > 0 && now - r->access_ms >= op->ttl;
}

/* Drops every expired partition; runs at most once per TTL. */
static void sweep(rank_op *op, int64_t now)
{
    for (uint32_t id = 0; id < op->np; id++)
        if (op->p[id].klen != FREE_PART && expired(op, &op->p[id], now)) drop_part(op, id);
    op->next_sweep = now + op->ttl;
}

/*
 * Copies the live rows into a fresh store once dead rows outnumber them (and
 * are many), renumbering the partitions' rows. Only between calls: buffered
 * output names store rows.
 */
static void maybe_compact(rank_op *op)
{
    uint32_t dead = op->rows.n - op->held;
    if (dead < COMPACT_MIN || dead <= op->held) return;
    assert(op->nbuf == 0);
    uint32_t *idx = wr_malloc((size_t)(op->held ? op->held : 1) * sizeof(uint32_t)), k = 0;
    for (uint32_t id = 0; id < op->np; id++) {
        part *r = &op->p[id];
        if (r->klen == FREE_PART) continue;
        uint32_t *e = rows_of(r);
        for (uint32_t j = 0; j < r->n; j++) {
            idx[k] = e[j];
            e[j] = k++;
        }
    }
    assert(k == op->held);
    wr_colstore fresh;
    wr_colstore_init(&fresh, op->spec->in_types, op->spec->nin);
    wr_colstore_take(&fresh, &op->rows, idx, k);
    wr_colstore_fini(&op->rows);
    op->rows = fresh;
    wr_free(idx);
}

/* ---- output -------------------------------------------------------------------------------- */

/* Gathers the buffered output rows into a batch and emits it. */
static int flush_out(rank_op *op, wr_error *err)
{
    int m = op->nbuf;
    if (m == 0) return 0;
    op->nbuf = 0;
    const rank_spec *spec = op->spec;
    wr_batch *out = op->out;
    wr_batch_reset(out);
    for (int c = 0; c < spec->nin; c++) wr_colstore_gather(&op->rows, c, op->oidx, m, out, c);
    if (op->o->output_rank) memcpy(out->cols[spec->nin].data, op->orank, (size_t)m * 8);
    memcpy(wr_batch_kinds(out), op->okind, (size_t)m);
    out->count = m;
    return wr_op_emit(op->base.ctx, out, err);
}

/* Adds one output row: store row `row` with its rank. -U rows go in retract mode only. */
static int out_row(rank_op *op, uint32_t row, int64_t rank, wr_change_kind kind, wr_error *err)
{
    if (kind == WR_KIND_UPDATE_BEFORE && !op->o->emit_update_before) return 0;
    if (op->nbuf == CAP) {
        int rc = flush_out(op, err);
        if (rc) return rc;
    }
    op->oidx[op->nbuf] = row;
    op->orank[op->nbuf] = rank;
    op->okind[op->nbuf++] = (uint8_t)kind;
    return 0;
}

/* ---- ranks ------------------------------------------------------------------------------------
 */

/* Whether rows at positions i - 1 and i are peers (equal by the ORDER BY keys). */
static inline bool peers(const rank_op *op, const uint32_t *e, uint32_t i)
{
    return wr_sort_compare(&op->rows, op->spec->order, op->spec->norder, e[i - 1], e[i]) == 0;
}

/*
 * Lists the visible rows (rank_start <= rank <= rank_end) of e[0..n) at
 * positions from.. into list (when not NULL), each with its rank and its
 * position in the common sequence (positions at or after shift_at count one
 * more). Returns the first position whose rank is past rank_end (n: none),
 * where an insert-only partition is cut.
 */
static uint32_t collect(const rank_op *op, const uint32_t *e, uint32_t n, uint32_t from,
                        uint32_t shift_at, vis_vec *list)
{
    const wr_rank_opts *o = op->o;
    if (from >= n) return n;
    int64_t rank = 1;
    uint32_t i;
    switch (o->fn) {
    case WR_RANK_ROW_NUMBER:
        rank = (int64_t)from + 1;
        break;
    case WR_RANK_RANK:
        for (i = from; i > 0 && peers(op, e, i); i--) {
        }
        rank = (int64_t)i + 1;
        break;
    case WR_RANK_DENSE_RANK:
        /* A dense rank counts the distinct keys before it: walk from the top. */
        for (i = 1; i <= from; i++)
            if (!peers(op, e, i) && ++rank > o->rank_end) return i;
        break;
    }
    for (i = from; i < n; i++) {
        if (i > from) {
            if (o->fn == WR_RANK_ROW_NUMBER)
                rank = (int64_t)i + 1;
            else if (!peers(op, e, i))
                rank = o->fn == WR_RANK_RANK ? (int64_t)i + 1 : rank + 1;
        }
        if (rank > o->rank_end) return i;
        if (list && rank >= o->rank_start) {
            vis v = {e[i], i + (i >= shift_at), rank};
            WR_VEC_PUSH(list, v);
        }
    }
    return n;
}

/*
 * Emits the difference between op->ov (visible before a change) and op->nv
 * (after). By rank: a position whose row changed is -U/+U, a new one +I, a
 * vanished one -D. By row (merged by position in the common sequence): rows
 * that left are -D, rows whose rank changed -U/+U (with the rank column),
 * rows that entered +I, in that order.
 */
static int emit_diff(rank_op *op, wr_error *err)
{
    const vis *a = op->ov.v, *b = op->nv.v;
    int na = op->ov.n, nb = op->nv.n, rc = 0;
    if (op->by_rank) {
        for (int i = 0, j = 0; rc == 0 && (i < na || j < nb);) {
            if (i < na && j < nb && a[i].rank == b[j].rank) {
                if (a[i].row != b[j].row) {
                    rc = out_row(op, a[i].row, a[i].rank, WR_KIND_UPDATE_BEFORE, err);
                    if (rc == 0) rc = out_row(op, b[j].row, b[j].rank, WR_KIND_UPDATE_AFTER, err);
                }
                i++;
                j++;
            } else if (j >= nb || (i < na && a[i].rank < b[j].rank)) {
                rc = out_row(op, a[i].row, a[i].rank, WR_KIND_DELETE, err);
                i++;
            } else {
                rc = out_row(op, b[j].row, b[j].rank, WR_KIND_INSERT, err);
                j++;
            }
        }
        return rc;
    }
    bool ranks = op->o->output_rank;
    for (int phase = 0; phase < 3; phase++) {
        for (int i = 0, j = 0; rc == 0 && (i < na || j < nb);) {
            if (i < na && j < nb && a[i].pos == b[j].pos) {
                if (phase == 1 && ranks && a[i].rank != b[j].rank) {
                    rc = out_row(op, a[i].row, a[i].rank, WR_KIND_UPDATE_BEFORE, err);
                    if (rc == 0) rc = out_row(op, b[j].row, b[j].rank, WR_KIND_UPDATE_AFTER, err);
                }
                i++;
                j++;
            } else if (j >= nb || (i < na && a[i].pos < b[j].pos)) {
                if (phase == 0) rc = out_row(op, a[i].row, a[i].rank, WR_KIND_DELETE, err);
                i++;
            } else {
                if (phase == 2) rc = out_row(op, b[j].row, b[j].rank, WR_KIND_INSERT, err);
                j++;
            }
        }
    }
    return rc;
}

/* ---- changes -------------------------------------------------------------------------------- */

static inline int cmp_in(const rank_op *op, const wr_batch *in, uint32_t r, uint32_t row)
{
    return wr_sort_compare_batch(in, r, &op->rows, row, op->spec->order, op->spec->norder);
}

/* Copies physical row r of in into the store; its index into *idx. */
static int keep_row(rank_op *op, const wr_batch *in, uint32_t r, uint32_t *idx, wr_error *err)
{
    int rc = wr_colstore_append(&op->rows, in, &r, 1, "rank", err);
    *idx = op->rows.n - 1;
    return rc;
}

/* One row per partition (ROW_NUMBER 1..1 over insert-only input): keep it or replace it. */
static int add_single(rank_op *op, uint32_t id, const wr_batch *in, uint32_t r, wr_error *err)
{
    part *P = &op->p[id];
    uint32_t idx;
    if (P->n == 0) {
        int rc = keep_row(op, in, r, &idx, err);
        if (rc) return rc;
        part_insert(op, P, 0, idx);
        return op->window ? 0 : out_row(op, idx, 1, WR_KIND_INSERT, err);
    }
    uint32_t kept = P->one;
    int c = cmp_in(op, in, r, kept);
    if (op->newer_first ? c > 0 : c >= 0) return 0;
    int rc = keep_row(op, in, r, &idx, err);
    if (rc) return rc;
    P->one = idx; /* the kept row is dead now; held stays */
    if (op->window) return 0;
    rc = out_row(op, kept, 1, op->by_rank ? WR_KIND_UPDATE_BEFORE : WR_KIND_DELETE, err);
    return rc ? rc : out_row(op, idx, 1, op->by_rank ? WR_KIND_UPDATE_AFTER : WR_KIND_INSERT, err);
}

/* An accumulating row (+I, +U) for partition id. */
static int add_row(rank_op *op, uint32_t id, const wr_batch *in, uint32_t r, wr_error *err)
{
    if (op->single) return add_single(op, id, in, r, err);
    const wr_rank_opts *o = op->o;
    part *P = &op->p[id];
    uint32_t *e = rows_of(P), n = P->n;
    /* Where it goes: after its peers (before them when newer rows come first). Most rows of a
     * full partition go last, which the first comparison tells. */
    uint32_t lo = 0, hi = n;
    if (n > 0) {
        int c = cmp_in(op, in, r, e[n - 1]);
        if (op->newer_first ? c > 0 : c >= 0)
            lo = n;
        else
            hi = n - 1;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = cmp_in(op, in, r, e[mid]);
        if (op->newer_first ? c <= 0 : c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    uint32_t p = lo;
    if (op->limited) {
        /* Rows that could never be visible are not copied. */
        if (o->fn == WR_RANK_ROW_NUMBER && (int64_t)p >= o->rank_end) return 0;
        if (o->fn == WR_RANK_RANK && p == n && (int64_t)n >= o->rank_end &&
            cmp_in(op, in, r, e[n - 1]) != 0)
            return 0;
    }
    op->ov.n = op->nv.n = 0;
    if (!op->window) collect(op, e, n, p, p, &op->ov);
    uint32_t idx;
    int rc = keep_row(op, in, r, &idx, err);
    if (rc) return rc;
    part_insert(op, P, p, idx);
    e = rows_of(P);
    n++;
    uint32_t bound = collect(op, e, n, p, NONE, op->window ? NULL : &op->nv);
    if (op->limited && bound < n) {
        op->held -= n - bound;
        P->n = bound;
    }
    return op->window ? 0 : emit_diff(op, err);
}

/* A retracting row (-U, -D) for partition id: removes an equal row, if it holds one. */
static int retract_row(rank_op *op, uint32_t id, const wr_batch *in, uint32_t r, wr_error *err)
{
    const rank_spec *spec = op->spec;
    part *P = &op->p[id];
    uint32_t *e = rows_of(P), n = P->n, lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp_in(op, in, r, e[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t p = lo;
    for (; p < n && cmp_in(op, in, r, e[p]) == 0; p++)
        if (wr_sort_compare_batch(in, r, &op->rows, e[p], op->all, spec->nin) == 0) break;
    if (p >= n || cmp_in(op, in, r, e[p]) != 0) return 0; /* not held: ignored, as in Flink */
    op->ov.n = op->nv.n = 0;
    collect(op, e, n, p, NONE, &op->ov);
    part_remove(op, P, p);
    collect(op, e, n - 1, p, p, &op->nv);
    return emit_diff(op, err);
}

/* ---- windows ----------------------------------------------------------------------------------
 */

static inline bool fire_before(const wfire *a, const wfire *b)
{
    return a->end < b->end || (a->end == b->end && a->part < b->part);
}

static void fires_push(rank_op *op, int64_t end, uint32_t id)
{
    WR_VEC_PUSH(&op->fires, ((wfire){end, id}));
    wfire *h = op->fires.v;
    for (int i = op->fires.n - 1; i > 0;) {
        int parent = (i - 1) / 2;
        if (!fire_before(&h[i], &h[parent])) break;
        wfire t = h[parent];
        h[parent] = h[i];
        h[i] = t;
        i = parent;
    }
}

static void fires_pop(rank_op *op)
{
    wfire *h = op->fires.v;
    int n = --op->fires.n;
    h[0] = h[n];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && fire_before(&h[l], &h[m])) m = l;
        if (r < n && fire_before(&h[r], &h[m])) m = r;
        if (m == i) break;
        wfire t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

/* Emits, as +I, the visible rows of every window that ends at or before progress + 1. */
static int fire(rank_op *op, int64_t progress, wr_error *err)
{
    if (progress > op->progress) op->progress = progress;
    int rc = 0;
    while (rc == 0 && op->fires.n && op->fires.v[0].end - 1 <= progress) {
        wfire f = op->fires.v[0];
        fires_pop(op);
        part *P = &op->p[f.part];
        if (WR_ALWAYS(P->klen != FREE_PART && P->wend == f.end)) {
            op->nv.n = 0;
            collect(op, rows_of(P), P->n, 0, NONE, &op->nv);
            for (int i = 0; rc == 0 && i < op->nv.n; i++)
                rc = out_row(op, op->nv.v[i].row, op->nv.v[i].rank, WR_KIND_INSERT, err);
            drop_part(op, f.part);
        }
    }
    if (rc == 0 && wr_op_cancelled(op->base.ctx))
        rc = wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
    if (rc == 0) rc = flush_out(op, err);
    if (rc == 0) maybe_compact(op);
    return rc;
}

/* ---- callbacks ----------------------------------------------------------------------------------
 */

static void ensure_scratch(rank_op *op, int n)
{
    if (n <= op->scap) return;
    op->koff = wr_realloc(op->koff, ((size_t)n + 1) * sizeof(uint32_t));
    op->ident = wr_realloc(op->ident, (size_t)n * sizeof(uint32_t));
    for (int i = op->scap; i < n; i++) op->ident[i] = (uint32_t)i;
    op->hash = wr_realloc(op->hash, ((size_t)n + 1) * sizeof(uint64_t));
    op->scap = n;
}

/*
 * Over state past the caches a row meets three dependent misses: the table
 * slot, the partition record, and the kept row it is first compared with
 * (the last one). A batch's lookups are announced level by level, so the
 * misses of its rows overlap instead of queueing behind each other.
 */
static void prefetch_lookups(const rank_op *op, int n)
{
    const uint64_t *slots = op->tab.slots;
    uint32_t mask = op->tab.mask;
    for (int i = 0; i < n; i++) __builtin_prefetch(&slots[(uint32_t)op->hash[i] & mask]);
    for (int i = 0; i < n; i++) {
        uint64_t slot = slots[(uint32_t)op->hash[i] & mask];
        if (slot) __builtin_prefetch(&op->p[WR_IDTAB_ID(slot)]);
    }
    if (op->spec->norder == 0) return;
    int col = op->spec->order[0].col;
    size_t width = wr_value_kind_width(op->rows.kinds[col]);
    const uint8_t *data = op->rows.data[col];
    for (int i = 0; i < n; i++) {
        uint64_t slot = slots[(uint32_t)op->hash[i] & mask];
        if (slot == 0) continue;
        const part *r = &op->p[WR_IDTAB_ID(slot)];
        if (r->klen == FREE_PART || r->n == 0) continue;
        if (r->cap <= 1)
            __builtin_prefetch(data + (size_t)r->one * width);
        else
            __builtin_prefetch(&r->many[r->n - 1]);
    }
}

static int rank_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    rank_op *op = (rank_op *)base;
    const rank_spec *spec = op->spec;
    int n = wr_batch_rows(in), rc = 0;
    if (n == 0) return 0;
    if (in->ncols != spec->nin)
        return wr_error_set(err, WR_ERR_INTERNAL, "rank: a batch of %d columns, expected %d",
                            in->ncols, spec->nin);
    if (op->limited && (rc = wr_batch_check_inserts(in, "rank over an insert-only input", err)))
        return rc;
    ensure_scratch(op, n);
    int64_t now = op->ttl > 0 ? now_ms(op) : 0;
    if (op->ttl > 0 && now >= op->next_sweep) sweep(op, now);

    /* Partition keys as the exchange makes them, and their hashes. */
    wr_buf_reset(&op->keys);
    wr_row_encode_rows(in, in->sel ? in->sel : op->ident, n, spec->partition, spec->npart,
                       &op->keys, op->koff);
    const uint8_t *kd = (const uint8_t *)op->keys.data;
    for (int i = 0; i < n; i++)
        op->hash[i] = wr_hash_bytes(kd + op->koff[i], op->koff[i + 1] - op->koff[i]);
    if ((size_t)op->tab.mask * sizeof(uint64_t) > (256u << 10)) prefetch_lookups(op, n);
    reserve_parts(op, (size_t)n);

    const wr_vector *wv = op->window ? &in->cols[op->o->window_end_col] : NULL;
    for (int i = 0; rc == 0 && i < n; i++) {
        uint32_t r = (uint32_t)wr_batch_row(in, i);
        wr_change_kind kind = wr_batch_kind(in, (int)r);
        bool add = kind == WR_KIND_INSERT || kind == WR_KIND_UPDATE_AFTER;
        int64_t wend = 0;
        if (wv) {
            if (wr_vector_is_null(wv, (int)r)) continue; /* in no window */
            wend = wr_window_micros_to_ms(((const int64_t *)wv->data)[r]);
            if (wend - 1 <= op->progress) {
                op->late++;
                op->base.ctx->late_records_dropped++;
                continue;
            }
        }
        uint32_t len = op->koff[i + 1] - op->koff[i];
        const uint8_t *key = kd + op->koff[i];
        uint32_t id = find_part(op, op->hash[i], key, len);
        if (id != NONE && expired(op, &op->p[id], now)) {
            drop_part(op, id);
            id = NONE;
        }
        if (id == NONE) {
            if (!add) continue; /* nothing to retract from: Flink ignores it too */
            id = new_part(op, op->hash[i], key, len, now);
            if (wv) {
                op->p[id].wend = wend;
                fires_push(op, wend, id);
            }
        }
        op->p[id].access_ms = now;
        rc = add ? add_row(op, id, in, r, err) : retract_row(op, id, in, r, err);
        if (rc == 0 && op->p[id].n == 0 && !wv) drop_part(op, id);
    }
    if (rc == 0) rc = flush_out(op, err);
    if (rc == 0) maybe_compact(op);
    return rc;
}

static int rank_watermark(wr_operator *base, int64_t watermark, wr_error *err)
{
    rank_op *op = (rank_op *)base;
    if (op->window) {
        int rc = fire(op, watermark, err);
        if (rc) return rc;
    }
    return wr_op_emit_watermark(base->ctx, watermark, err);
}

static int rank_end_input(wr_operator *base, int input, wr_error *err)
{
    rank_op *op = (rank_op *)base;
    /* Continuous results were emitted as they changed; windows fire as under the last
     * watermark. */
    return op->window ? fire(op, INT64_MAX, err) : flush_out(op, err);
}

/* ---- checkpoints --------------------------------------------------------------------------------
 */

/*
 * Part layout (docs/checkpoints.md): the shape (magic, version, function,
 * ranks, mode, column types, partition columns, order keys), the window
 * progress, the number of partitions, then per partition its key, last
 * change, and rows (row codec of every column) in rank order; a checksum.
 */
static void put_shape(const rank_op *op, wr_buf *b)
{
    const rank_spec *spec = op->spec;
    const wr_rank_opts *o = op->o;
    wr_buf_put_u32(b, SNAP_MAGIC);
    wr_buf_put_u32(b, SNAP_VERSION);
    wr_buf_put_u32(b, (uint32_t)o->fn | (uint32_t)op->limited << 8 | (uint32_t)op->window << 9);
    wr_buf_put_u64(b, (uint64_t)o->rank_start);
    wr_buf_put_u64(b, (uint64_t)o->rank_end);
    wr_buf_put_u32(b, (uint32_t)spec->nin);
    for (int c = 0; c < spec->nin; c++) wr_buf_put_u32(b, spec->in_types[c].id);
    wr_buf_put_u32(b, (uint32_t)spec->npart);
    for (int k = 0; k < spec->npart; k++) wr_buf_put_u32(b, (uint32_t)spec->partition[k]);
    wr_buf_put_u32(b, (uint32_t)spec->norder);
    for (int k = 0; k < spec->norder; k++)
        wr_buf_put_u32(b, (uint32_t)spec->order[k].col | (uint32_t)spec->order[k].desc << 24 |
                              (uint32_t)spec->order[k].nulls_first << 25);
    wr_buf_put_u32(b, (uint32_t)o->window_end_col);
}

static void put_part(rank_op *op, uint32_t id, wr_buf *b)
{
    const rank_spec *spec = op->spec;
    part *P = &op->p[id];
    const uint32_t *e = rows_of(P);
    wr_buf_put_u32(b, P->klen);
    wr_buf_append(b, key_of(P), P->klen);
    wr_buf_put_u64(b, (uint64_t)P->access_ms);
    wr_buf_put_u32(b, P->n);
    for (uint32_t first = 0; first < P->n; first += CAP) {
        int m = (int)WR_MIN(P->n - first, (uint32_t)CAP);
        wr_batch_reset(op->dec);
        for (int c = 0; c < spec->nin; c++)
            wr_colstore_gather(&op->rows, c, e + first, m, op->dec, c);
        op->dec->count = m;
        for (int i = 0; i < m; i++) {
            wr_buf_reset(&op->enc);
            wr_row_encode(op->dec, i, op->cols, spec->nin, &op->enc);
            wr_buf_put_u32(b, (uint32_t)op->enc.len);
            wr_buf_append(b, op->enc.data, op->enc.len);
        }
    }
}

static int rank_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    rank_op *op = (rank_op *)base;
    int rc = flush_out(op, err);
    if (rc) return rc;
    if (op->ttl > 0) sweep(op, now_ms(op));
    int maxp = base->ctx->max_parallelism;
    uint64_t *count = wr_calloc((size_t)maxp, sizeof(uint64_t));
    int *at = wr_malloc((size_t)maxp * sizeof(int));
    bool *want = wr_calloc((size_t)maxp, sizeof(bool));
    for (uint32_t id = 0; id < op->np; id++)
        if (op->p[id].klen != FREE_PART) {
            int kg = wr_keygroup_of_hash(op->p[id].hash, maxp);
            count[kg]++;
            want[kg] = true;
        }
    /* Window mode: every owned key group carries the progress, so that late rows stay late. */
    for (int kg = op->kg_first; op->window && kg <= op->kg_last; kg++) want[kg] = true;
    /* Every part is added before any is written: adding may move the parts. */
    for (int kg = 0; kg < maxp; kg++)
        if (want[kg]) {
            at[kg] = out->nparts;
            wr_snapshot_add(out, kg);
        }
    for (int kg = 0; kg < maxp; kg++) {
        if (!want[kg]) continue;
        wr_buf *b = &out->parts[at[kg]].data;
        put_shape(op, b);
        wr_buf_put_u64(b, (uint64_t)op->progress);
        wr_buf_put_u64(b, count[kg]);
    }
    for (uint32_t id = 0; id < op->np; id++)
        if (op->p[id].klen != FREE_PART)
            put_part(op, id, &out->parts[at[wr_keygroup_of_hash(op->p[id].hash, maxp)]].data);
    for (int kg = 0; kg < maxp; kg++) {
        if (!want[kg]) continue;
        wr_buf *b = &out->parts[at[kg]].data;
        wr_buf_put_u64(b, wr_hash_bytes(b->data, b->len));
    }
    wr_free(count);
    wr_free(at);
    wr_free(want);
    return 0;
}

/* Restores one partition from r (at byte `at` of the part, for messages). */
static int restore_partition(rank_op *op, wr_buf_reader *r, int kg, size_t at, wr_error *err)
{
    const rank_spec *spec = op->spec;
    const wr_rank_opts *o = op->o;
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
        return wr_error_set(err, WR_ERR_IO, "malformed partition key at byte %zu%s%s", at,
                            used < 0 ? ": " : "", used < 0 ? derr.msg : "");
    uint64_t hash = wr_hash_bytes(key, klen);
    if (wr_keygroup_of_hash(hash, op->base.ctx->max_parallelism) != kg)
        return wr_error_set(err, WR_ERR_IO,
                            "partition key at byte %zu does not belong to key group %d", at, kg);
    if (find_part(op, hash, key, klen) != NONE)
        return wr_error_set(err, WR_ERR_IO, "partition at byte %zu is restored twice", at);
    if (nrows == 0 || (op->single && nrows > 1) ||
        (op->limited && o->fn == WR_RANK_ROW_NUMBER && (int64_t)nrows > o->rank_end))
        return wr_error_set(err, WR_ERR_IO, "partition at byte %zu has %u rows", at, nrows);
    reserve_parts(op, 1);
    uint32_t id = new_part(op, hash, key, klen, access);
    wr_batch_reset(op->dec);
    for (uint32_t j = 0; j < nrows; j++) {
        uint32_t len = wr_buf_get_u32(r);
        const uint8_t *bytes = wr_buf_take(r, len);
        if (r->bad) return wr_error_set(err, WR_ERR_IO, "partition at byte %zu truncated", at);
        if (op->dec->count == op->dec->capacity) wr_batch_reset(op->dec);
        used = wr_row_decode_append(op->dec, bytes, len, &derr);
        if (used < 0 || (uint32_t)used != len)
            return wr_error_set(err, WR_ERR_IO, "malformed row %u of the partition at byte %zu%s%s",
                                j, at, used < 0 ? ": " : "", used < 0 ? derr.msg : "");
        uint32_t row = (uint32_t)op->dec->count - 1;
        /* The row must be of this partition, and rows come in rank order. */
        wr_buf_reset(&op->enc);
        wr_row_encode(op->dec, (int)row, spec->partition, spec->npart, &op->enc);
        if (op->enc.len != klen || memcmp(op->enc.data, key, klen) != 0)
            return wr_error_set(err, WR_ERR_IO,
                                "row %u of the partition at byte %zu is not of its partition", j,
                                at);
        part *P = &op->p[id];
        if (j > 0 && cmp_in(op, op->dec, row, rows_of(P)[j - 1]) < 0)
            return wr_error_set(err, WR_ERR_IO,
                                "rows of the partition at byte %zu are out of order", at);
        if (op->window && j == 0) {
            const wr_vector *wv = &op->dec->cols[o->window_end_col];
            P->wend = wr_window_micros_to_ms(((const int64_t *)wv->data)[row]);
            if (wr_vector_is_null(wv, (int)row))
                return wr_error_set(err, WR_ERR_IO, "partition at byte %zu has no window end", at);
        }
        uint32_t idx;
        int rc = keep_row(op, op->dec, row, &idx, err);
        if (rc) return rc;
        part_insert(op, P, j, idx);
    }
    if (op->window) fires_push(op, op->p[id].wend, id);
    return 0;
}

static int restore_part(rank_op *op, const wr_snapshot_part *sp, wr_error *err)
{
    if (sp->keygroup < 0) return wr_error_set(err, WR_ERR_IO, "rank snapshot has operator state");
    wr_buf_reader r;
    int rc = wr_snapshot_part_open(sp, &r, err);
    size_t size = r.left; /* positions in messages count from the part's start */
    wr_buf shape;
    wr_buf_init(&shape);
    put_shape(op, &shape);
    const uint8_t *head = rc == 0 && r.left >= shape.len + 16 ? wr_buf_take(&r, shape.len) : NULL;
    if (rc == 0 && head == NULL) {
        rc = wr_error_set(err, WR_ERR_IO, "truncated rank snapshot (%zu bytes)", sp->data.len);
    } else if (rc == 0 && memcmp(head, shape.data, 8) != 0) {
        rc = wr_error_set(err, WR_ERR_IO, "not a rank snapshot of this version");
    } else if (rc == 0 && memcmp(head, shape.data, shape.len) != 0) {
        rc = wr_error_set(err, WR_ERR_IO,
                          "rank snapshot of another rank operator (function, ranks, columns, "
                          "partition or order differ)");
    }
    if (rc == 0) {
        int64_t progress = (int64_t)wr_buf_get_u64(&r);
        uint64_t n = wr_buf_get_u64(&r);
        /* Every instance saw the same watermarks before the barrier. */
        if (progress > op->progress) op->progress = progress;
        for (uint64_t i = 0; rc == 0 && i < n; i++)
            rc = restore_partition(op, &r, sp->keygroup, size - r.left, err);
        if (rc == 0 && r.left)
            rc = wr_error_set(err, WR_ERR_IO, "%zu bytes after the last partition", r.left);
    }
    wr_buf_fini(&shape);
    if (rc) wr_error_prefix(err, "restoring key group %d", sp->keygroup);
    return rc;
}

/* ---- the operator ------------------------------------------------------------------------------
 */

static void rank_destroy(wr_operator *base)
{
    rank_op *op = (rank_op *)base;
    for (uint32_t id = 0; id < op->np; id++) {
        part *r = &op->p[id];
        if (r->klen == FREE_PART) continue;
        if (r->cap > 1) wr_free(r->many);
        if (r->klen > KEY_INLINE) wr_free(r->key.p);
    }
    wr_free(op->p);
    WR_VEC_FREE(&op->freep);
    wr_idtab_fini(&op->tab);
    wr_colstore_fini(&op->rows);
    WR_VEC_FREE(&op->fires);
    wr_free(op->koff);
    wr_free(op->ident);
    wr_free(op->hash);
    wr_buf_fini(&op->keys);
    wr_buf_fini(&op->enc);
    WR_VEC_FREE(&op->ov);
    WR_VEC_FREE(&op->nv);
    wr_batch_free(op->out);
    wr_batch_free(op->dec);
    wr_batch_free(op->kb);
    wr_free(op->all);
    wr_free(op->cols);
    wr_free(op->out_types);
    wr_free(op->key_types);
    wr_free(op);
}

/* Rejects a spec the operator cannot run, with a message naming the problem. */
static int check_spec(const rank_spec *spec, const wr_op_ctx *ctx, wr_error *err)
{
    const wr_rank_opts *o = &spec->opts;
    char name[64];
    if (spec->nin < 0 || spec->npart < 0 || spec->norder < 0)
        return wr_error_set(err, WR_ERR_VALIDATION, "rank: negative column count");
    for (int c = 0; c < spec->nin; c++)
        if (wr_value_kind_of(spec->in_types[c].id) == WR_VALUE_UNSUPPORTED)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "rank: column %d has type %s, which the rank operator cannot keep",
                                c, wr_type_name(spec->in_types[c], name, sizeof(name)));
    for (int k = 0; k < spec->npart; k++)
        if (spec->partition[k] < 0 || spec->partition[k] >= spec->nin)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "rank: partition column %d of an input with %d columns",
                                spec->partition[k], spec->nin);
    for (int k = 0; k < spec->norder; k++)
        if (spec->order[k].col < 0 || spec->order[k].col >= spec->nin)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "rank: ORDER BY column %d of an input with %d columns",
                                spec->order[k].col, spec->nin);
    if (o->fn != WR_RANK_ROW_NUMBER && o->fn != WR_RANK_RANK && o->fn != WR_RANK_DENSE_RANK)
        return wr_error_set(err, WR_ERR_VALIDATION, "rank: unknown rank function %d", (int)o->fn);
    if (o->rank_start < 1 || o->rank_end < o->rank_start)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "rank: ranks %lld..%lld (need 1 <= start <= end)",
                            (long long)o->rank_start, (long long)o->rank_end);
    if (o->state_ttl_ms < 0)
        return wr_error_set(err, WR_ERR_VALIDATION, "rank: state TTL of %lld ms",
                            (long long)o->state_ttl_ms);
    if (o->window_end_col >= 0) {
        int w = o->window_end_col;
        bool in_part = false;
        for (int k = 0; k < spec->npart; k++) in_part |= spec->partition[k] == w;
        if (w >= spec->nin ||
            (spec->in_types[w].id != WR_TYPE_TIMESTAMP &&
             spec->in_types[w].id != WR_TYPE_TIMESTAMP_LTZ) ||
            !in_part)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "window rank: window_end column %d must be a TIMESTAMP partition "
                                "column",
                                w);
    }
    if (ctx->max_parallelism <= 0 || ctx->max_parallelism < ctx->parallelism)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "rank: the maximum parallelism (%d) must be at least the parallelism "
                            "(%d)",
                            ctx->max_parallelism, ctx->parallelism);
    return 0;
}

static wr_operator *rank_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const rank_spec *spec = p;
    if (check_spec(spec, ctx, err)) return NULL;
    const wr_rank_opts *o = &spec->opts;
    rank_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_rank_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->o = o;
    op->window = o->window_end_col >= 0;
    op->limited = o->input_insert_only || op->window;
    bool row_number = o->fn == WR_RANK_ROW_NUMBER;
    op->single = op->limited && row_number && o->rank_end == 1;
    wr_type_id first = spec->norder ? spec->in_types[spec->order[0].col].id : WR_TYPE_NULL;
    bool dedup = row_number && o->rank_end == 1 && spec->norder == 1 &&
                 (first == WR_TYPE_TIMESTAMP || first == WR_TYPE_TIMESTAMP_LTZ);
    op->newer_first = dedup && spec->order[0].desc;
    op->by_rank = row_number && (o->output_rank || dedup);
    op->ttl = op->window ? 0 : o->state_ttl_ms;
    op->progress = INT64_MIN;
    wr_keygroup_range(ctx->subtask, ctx->max_parallelism, ctx->parallelism, &op->kg_first,
                      &op->kg_last);

    int nin = spec->nin, nout = nin + (o->output_rank ? 1 : 0);
    op->all = wr_calloc((size_t)WR_MAX(nin, 1), sizeof(wr_sort_key));
    op->cols = wr_malloc((size_t)WR_MAX(nin, 1) * sizeof(int));
    for (int c = 0; c < nin; c++) op->all[c].col = op->cols[c] = c;
    op->out_types = wr_malloc((size_t)WR_MAX(nout, 1) * sizeof(wr_type));
    if (nin) memcpy(op->out_types, spec->in_types, (size_t)nin * sizeof(wr_type));
    if (o->output_rank) op->out_types[nin] = (wr_type){WR_TYPE_BIGINT, false, 0, 0};
    op->key_types = wr_malloc((size_t)WR_MAX(spec->npart, 1) * sizeof(wr_type));
    for (int k = 0; k < spec->npart; k++) op->key_types[k] = spec->in_types[spec->partition[k]];
    wr_colstore_init(&op->rows, spec->in_types, nin);
    wr_buf_init(&op->keys);
    wr_buf_reserve(&op->keys, 256); /* an empty key (no partition columns) still has memory */
    wr_buf_init(&op->enc);
    op->out = wr_batch_new(op->out_types, nout, CAP);
    op->dec = wr_batch_new(spec->in_types, nin, CAP);
    op->kb = wr_batch_new(op->key_types, spec->npart, 1);
    reserve_parts(op, 0);
    ctx->timer_at_ms = INT64_MAX;
    if (ctx->restore)
        for (int i = 0; i < ctx->restore->nparts; i++)
            if (restore_part(op, ctx->restore->parts[i], err)) goto fail;
    if (op->ttl > 0) op->next_sweep = now_ms(op) + op->ttl;
    return &op->base;
fail:
    rank_destroy(&op->base);
    return NULL;
}

/*
 * State bytes: the capacity of the partition records and their table, the row store, and the
 * window firings; a partition's row list (held rows beyond one) is counted as 4 bytes a row.
 */
static size_t rank_state_bytes(const wr_operator *base)
{
    const rank_op *op = (const rank_op *)base;
    return (size_t)op->pcap * sizeof(part) + wr_idtab_bytes(&op->tab) +
           wr_colstore_bytes(&op->rows) + (size_t)op->held * sizeof(uint32_t) +
           (size_t)op->fires.cap * sizeof(wfire);
}

const wr_operator_ops wr_rank_ops = {
    .kind = "rank",
    .create = rank_create,
    .process = rank_process,
    .end_input = rank_end_input,
    .watermark = rank_watermark,
    .snapshot = rank_snapshot,
    .state_bytes = rank_state_bytes,
    .destroy = rank_destroy,
};
