/*
 * group_agg.c — the streaming group aggregation; see group_agg.h.
 *
 * Groups are records in one array, found through an open-addressing table
 * over the hash of their key (the row-codec bytes of the group columns, which
 * are also what the exchange hashes, so a record's hash gives its key group
 * for checkpoints). A group's accumulators live in one state row of an array
 * parallel to the records (laid out by wr_agg_layout, the aggregate_int.h
 * accumulators working on it column-at-a-time), followed by the heads of its
 * value multisets. Removed groups leave the table by backward-shift deletion
 * (no tombstones) and their numbers are reused, so memory follows the live
 * state rather than everything ever seen.
 *
 * A batch goes in three steps: every row finds (or, accumulating, creates)
 * its group and adjusts the group's row count; the groups touched for the
 * first time since the last flush have their current results written aside
 * (the previous results, in a column store, since later changes overwrite
 * states and kept strings in place); then each call folds all accumulating
 * rows, then all retracting ones (so that a count only drops to zero when
 * the whole batch says so). A flush compares, per touched group, the result
 * written aside with the new one and emits the changelog. Without mini-batch
 * every batch ends with a flush.
 *
 * MIN/MAX over an updating input and DISTINCT calls keep per group a multiset
 * of values with counts: entries of one table per call, chained per group in
 * a doubly linked list so that a group's values can be scanned (MIN/MAX after
 * its extreme left) and freed (the group ended).
 *
 * The two phases are this operator in another mode (ga_mode): the local one
 * skips previous results and state, emits partials and empties its table on
 * every flush; the global one keys by the first input columns and absorbs
 * partial rows where the one-phase operator folds input rows.
 */
#include "group_agg.h"
#include "aggregate_int.h"
#include "colstore.h"
#include "../base/alloc.h"
#include "../base/idtab.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../state/keygroup.h"
#include "../types/nested.h"
#include "../types/row_codec.h"

#include <string.h>

#define KEY_INLINE 16 /* keys up to this many bytes live in the group's record */
#define VAL_INLINE 16 /* values of multisets, likewise in their entry */
#define FREE_REC UINT32_MAX
#define NONE UINT32_MAX
/* Groups per flush step: each may emit two rows, so a step fills at most one batch. */
#define CHUNK (WR_BATCH_CAPACITY / 2)

#define SNAP_MAGIC "WRGA"
#define SNAP_VERSION 1

/*
 * What the operator reads and emits: input rows and results (one phase),
 * input rows and partial rows (local), partial rows and results (global).
 */
typedef enum ga_mode { GA_ONE, GA_LOCAL, GA_GLOBAL } ga_mode;

typedef struct ga_spec {
    ga_mode mode;
    wr_type *in_types;
    int nin;
    int *groups;
    int ngroups;
    wr_agg_call *aggs;
    int naggs;
    wr_group_agg_opts opts;
} ga_spec;

/* One group. */
typedef struct grp {
    uint64_t hash;     /* wr_hash_bytes of the key */
    int64_t count;     /* rows accumulated minus rows retracted */
    int64_t access_ms; /* the last change, for TTL */
    uint32_t klen;     /* FREE_REC: the record is free */
    uint32_t pend;     /* index + 1 in the pending list; 0: untouched since the last flush */
    union {
        uint8_t b[KEY_INLINE];
        uint8_t *p;
    } key;
} grp;

/* One value of a call's multiset in one group. */
typedef struct ventry {
    uint64_t hash;
    int64_t count;
    uint32_t group;
    uint32_t next, prev; /* the group's list: entry index + 1; 0 ends it */
    uint32_t len;        /* bytes of the value; FREE_REC: the entry is free */
    union {
        uint8_t b[VAL_INLINE];
        uint8_t *p;
    } val;
} ventry;

/* Per group and multiset, in the group's state row. */
typedef struct vhead {
    uint32_t head; /* entry index + 1 */
    uint32_t ext;  /* MIN/MAX: entry + 1 of the current extreme; 0: none or to be found again */
} vhead;

/*
 * An open-addressing table of ids: a slot holds the low 32 bits of the hash
 * above id + 1 (0: empty), so growing and deleting need the slots only.
 */
typedef struct vset {
    bool used;
    bool minmax; /* the values give the result (MIN/MAX); else DISTINCT values feed the acc */
    /*
     * DISTINCT calls over the same column (COUNT(DISTINCT x), COUNT(DISTINCT x) FILTER
     * (WHERE ..), SUM(DISTINCT x) ...) keep one set of values, as Flink's do: the first
     * call's (owner -1) holds the values and the others name it in owner. Each call counts
     * a value's rows in its own slot of cnt (nslots per entry, when more than one call
     * shares the set); an entry's count is the sum, and it lives while that is positive.
     */
    int owner, slot, nslots;
    int *calls; /* an owner with nslots > 1: the call of each slot */
    int64_t *cnt;
    bool view; /* string values */
    int sign;  /* MIN -1, MAX 1: the direction of a better value */
    size_t width;
    wr_type type;
    uint32_t head_off; /* of the group's vhead in its state row */
    ventry *e;
    uint32_t ne, cap, free1; /* high water, capacity, free list (index + 1, through next) */
    uint32_t live;
    wr_idtab tab;
} vset;

typedef struct pend {
    uint32_t group;
    int32_t prev; /* the previous result's row in op->prev; -1: none was emitted */
} pend;

typedef struct ga_op {
    wr_operator base;
    const ga_spec *spec;
    const int *kcols; /* the group columns of the actual input */
    int *kident;      /* global: 0..ngroups-1, which kcols points at */
    int npart;        /* local and global: the partial columns of all calls */
    wr_agg_acc *accs;
    vset *sets; /* per call */
    wr_type *res_types, *out_types;
    int nout;

    grp *g;
    uint32_t ng, cap; /* high water and capacity of g and the state rows */
    uint32_t live;
    WR_VEC(uint32_t) freeg;
    wr_agg_states st;
    wr_arena heap; /* strings the accumulators keep */
    wr_idtab tab;

    /* Groups touched since the last flush, with their results before that. */
    WR_VEC(pend) pending;
    wr_colstore prev;
    bool prev_ready;
    int64_t buffered; /* input rows folded since the last flush */
    int64_t next_sweep;
    wr_arena tmp; /* what finals make (ARRAY_AGG values, user results): one flush step */

    /* Per-batch scratch of scap entries each. */
    int scap;
    uint32_t *ident, *koff, *gidx;
    uint64_t *hash;
    uint64_t *vhash;                                 /* fold_shared: the hash of each row's value */
    uint32_t *arows, *agroups, *rrows, *rgroups;     /* accumulating, retracting rows */
    uint32_t *farows, *fagroups, *frrows, *frgroups; /* the same after FILTER */
    uint32_t *urows, *ugroups, *trows, *tgroups;     /* DISTINCT values entering, leaving */
    int sslots;                                      /* the most calls sharing one multiset */
    uint32_t *srows, *sgroups; /* the same per call of a shared multiset: sslots * scap */
    wr_buf keys;
    uint8_t *gather;
    size_t gather_cap;
    uint32_t cgroups[CHUNK], pidx[CHUNK];
    int32_t crow[CHUNK], prow[CHUNK];
    uint32_t ogroups[WR_BATCH_CAPACITY], orow[WR_BATCH_CAPACITY], okrow[WR_BATCH_CAPACITY];
    uint8_t osrc[WR_BATCH_CAPACITY], okind[WR_BATCH_CAPACITY];
    wr_batch *fin, *pb, *cb, *kb, *out;
} ga_op;

/* ---- spec ------------------------------------------------------------------ */

static void spec_free(void *p)
{
    ga_spec *spec = p;
    wr_free(spec->in_types);
    wr_free(spec->groups);
    wr_free(spec->aggs);
    wr_free(spec);
}

static wr_operator_spec make_spec(ga_mode mode, const wr_operator_ops *ops, const wr_type *in_types,
                                  int nin, const int *groups, int ngroups, const wr_agg_call *aggs,
                                  int naggs, const wr_group_agg_opts *opts)
{
    ga_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->mode = mode;
    spec->in_types = wr_memdup_array(in_types, nin, sizeof(*in_types));
    spec->nin = nin;
    spec->groups = wr_memdup_array(groups, ngroups, sizeof(*groups));
    spec->ngroups = ngroups;
    spec->aggs = wr_memdup_array(aggs, naggs, sizeof(*aggs));
    spec->naggs = naggs;
    if (opts)
        spec->opts = *opts;
    else
        spec->opts.emit_update_before = true;
    /* The local phase keeps nothing between flushes, so nothing can expire. */
    if (mode == GA_LOCAL) spec->opts.state_ttl_ms = 0;
    wr_operator_spec out = {ops, spec, spec_free, -1, false};
    return out;
}

wr_operator_spec wr_group_agg_spec(const wr_type *in_types, int nin, const int *groups, int ngroups,
                                   const wr_agg_call *aggs, int naggs,
                                   const wr_group_agg_opts *opts)
{
    return make_spec(GA_ONE, &wr_group_agg_ops, in_types, nin, groups, ngroups, aggs, naggs, opts);
}

wr_operator_spec wr_group_agg_local_spec(const wr_type *in_types, int nin, const int *groups,
                                         int ngroups, const wr_agg_call *aggs, int naggs,
                                         const wr_group_agg_opts *opts)
{
    return make_spec(GA_LOCAL, &wr_group_agg_local_ops, in_types, nin, groups, ngroups, aggs, naggs,
                     opts);
}

wr_operator_spec wr_group_agg_global_spec(const wr_type *in_types, int nin, const int *groups,
                                          int ngroups, const wr_agg_call *aggs, int naggs,
                                          const wr_group_agg_opts *opts)
{
    return make_spec(GA_GLOBAL, &wr_group_agg_global_ops, in_types, nin, groups, ngroups, aggs,
                     naggs, opts);
}

/* Prepares an initialised accumulator for either phase; false when it cannot run in two. */
static bool phase_of(wr_agg_acc *acc, bool input_insert_only)
{
    if (acc->distinct) return false;
    return input_insert_only ? wr_agg_acc_phase(acc) : wr_agg_acc_phase_delta(acc);
}

bool wr_group_agg_two_phase_ok(const wr_type *in_types, int nin, const wr_agg_call *aggs, int naggs,
                               bool input_insert_only)
{
    for (int c = 0; c < naggs; c++) {
        wr_agg_acc acc;
        wr_error err;
        wr_error_init(&err);
        if (wr_agg_acc_init(&acc, &aggs[c], in_types, nin, &err) ||
            !phase_of(&acc, input_insert_only))
            return false;
    }
    return true;
}

int wr_group_agg_local_types(const wr_type *in_types, int nin, const int *groups, int ngroups,
                             const wr_agg_call *aggs, int naggs, bool input_insert_only,
                             wr_type *out)
{
    int n = 0;
    for (int k = 0; k < ngroups; k++) {
        if (groups[k] < 0 || groups[k] >= nin) return -1;
        out[n++] = in_types[groups[k]];
    }
    for (int c = 0; c < naggs; c++) {
        wr_agg_acc acc;
        wr_error err;
        wr_error_init(&err);
        if (wr_agg_acc_init(&acc, &aggs[c], in_types, nin, &err) ||
            !phase_of(&acc, input_insert_only))
            return -1;
        n += wr_agg_phase_types(&acc, 1, out + n);
    }
    out[n++] = wr_type_make(WR_TYPE_BIGINT, false);
    return n;
}

/* ---- tables of ids ------------------------------------------------------------ */

/* ---- groups ------------------------------------------------------------------- */

static inline const uint8_t *key_of(const grp *r)
{
    return r->klen <= KEY_INLINE ? r->key.b : r->key.p;
}

static inline uint8_t *state_of(const ga_op *op, uint32_t g)
{
    return op->st.rows + (size_t)g * op->st.stride;
}

static inline vhead *vhead_of(const ga_op *op, const vset *vs, uint32_t g)
{
    return (vhead *)(state_of(op, g) + vs->head_off);
}

static int64_t now_ms(const ga_op *op)
{
    const wr_group_agg_opts *o = &op->spec->opts;
    return o->clock ? o->clock(o->clock_arg) : wr_clock_wall_ms();
}

/*
 * Over state past the caches a lookup costs two dependent misses, the slot
 * and the record it points to. A batch's lookups are announced together, so
 * that the misses overlap: every slot, then (the slots having arrived) every
 * record and state row. A batch's lines fit in the second-level cache.
 */
WR_PREFETCH_HELPER void prefetch_lookups(const ga_op *op, int n)
{
    const uint64_t *slots = op->tab.slots;
    uint32_t mask = op->tab.mask;
    for (int i = 0; i < n; i++) __builtin_prefetch(&slots[(uint32_t)op->hash[i] & mask]);
    for (int i = 0; i < n; i++) {
        uint64_t slot = slots[(uint32_t)op->hash[i] & mask];
        if (slot == 0) continue;
        __builtin_prefetch(&op->g[WR_IDTAB_ID(slot)]);
        if (op->st.stride) __builtin_prefetch(state_of(op, WR_IDTAB_ID(slot)));
    }
}

/* Makes room for n more groups without moving anything during a batch. */
static void reserve_groups(ga_op *op, size_t n)
{
    wr_idtab_reserve(&op->tab, n, 1024);
    size_t need = (size_t)op->ng + n;
    if (need <= op->cap) return;
    assert(need < UINT32_MAX);
    size_t cap = WR_MAX((size_t)op->cap * 2, WR_MAX(need, 256));
    if (cap >= UINT32_MAX) cap = UINT32_MAX - 1;
    op->g = wr_realloc(op->g, cap * sizeof(grp));
    if (op->st.stride) op->st.rows = wr_realloc(op->st.rows, cap * op->st.stride);
    op->cap = (uint32_t)cap;
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

static uint32_t find_group(const ga_op *op, uint64_t hash, const uint8_t *key, uint32_t len)
{
    const uint64_t *slots = op->tab.slots;
    uint32_t mask = op->tab.mask, h = (uint32_t)hash;
    for (uint32_t s = h & mask;; s = (s + 1) & mask) {
        uint64_t slot = slots[s];
        if (slot == 0) return NONE;
        if (WR_IDTAB_HASH(slot) != h) continue;
        const grp *r = &op->g[WR_IDTAB_ID(slot)];
        if (r->klen == len && key_eq(key_of(r), key, len)) return WR_IDTAB_ID(slot);
    }
}

/* A new group with zero rows and empty accumulators; room was reserved. */
static uint32_t new_group(ga_op *op, uint64_t hash, const uint8_t *key, uint32_t len, int64_t now)
{
    uint32_t g = op->freeg.n ? op->freeg.v[--op->freeg.n] : op->ng++;
    grp *r = &op->g[g];
    memset(r, 0, sizeof(*r));
    r->hash = hash;
    r->access_ms = now;
    r->klen = len;
    if (len > KEY_INLINE) {
        r->key.p = wr_malloc(len);
        memcpy(r->key.p, key, len);
    } else if (len) {
        memcpy(r->key.b, key, len);
    }
    if (op->st.stride) memset(state_of(op, g), 0, op->st.stride);
    wr_idtab_put(&op->tab, hash, g);
    op->live++;
    return g;
}

static void vset_free_entry(vset *vs, uint32_t idx);

/* Removes group g with everything it holds (its number is reused). */
static void drop_group(ga_op *op, uint32_t g)
{
    grp *r = &op->g[g];
    for (int c = 0; c < op->spec->naggs; c++) {
        vset *vs = &op->sets[c];
        if (!vs->used || vs->owner >= 0) continue;
        vhead *vh = vhead_of(op, vs, g);
        for (uint32_t e = vh->head; e;) {
            uint32_t next = vs->e[e - 1].next;
            wr_idtab_del(&vs->tab, vs->e[e - 1].hash, e - 1);
            vset_free_entry(vs, e - 1);
            e = next;
        }
        vh->head = vh->ext = 0;
    }
    wr_idtab_del(&op->tab, r->hash, g);
    if (r->klen > KEY_INLINE) wr_free(r->key.p);
    r->klen = FREE_REC;
    r->pend = 0;
    WR_VEC_PUSH(&op->freeg, g);
    op->live--;
}

static bool expired(const ga_op *op, const grp *r, int64_t now)
{
    int64_t ttl = op->spec->opts.state_ttl_ms;
    return ttl > 0 && now - r->access_ms >= ttl;
}

/* Drops every expired group that no pending result needs; runs at most once per TTL. */
static void sweep(ga_op *op, int64_t now)
{
    for (uint32_t g = 0; g < op->ng; g++) {
        grp *r = &op->g[g];
        if (r->klen != FREE_REC && r->pend == 0 && expired(op, r, now)) drop_group(op, g);
    }
    op->next_sweep = now + op->spec->opts.state_ttl_ms;
}

/* ---- multisets of values ----------------------------------------------------- */

static inline const uint8_t *val_of(const ventry *e)
{
    return e->len <= VAL_INLINE ? e->val.b : e->val.p;
}

/* The hash of value p[0..len) in group g; an 8-byte value (BIGINT, DOUBLE, TIMESTAMP ...) is
 * mixed directly, without a call. */
static inline uint64_t val_hash(uint32_t g, const void *p, uint32_t len)
{
    uint64_t x;
    if (len == 8)
        memcpy(&x, p, 8);
    else
        x = wr_hash_bytes(p, len);
    return wr_hash_u64(x + (uint64_t)g * 0x9e3779b97f4a7c15ull);
}

static inline bool val_eq(const void *a, const void *b, uint32_t len)
{
    if (len == 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return x == y;
    }
    return len == 0 || memcmp(a, b, len) == 0;
}

static void vset_free_entry(vset *vs, uint32_t idx)
{
    ventry *e = &vs->e[idx];
    if (e->len > VAL_INLINE && e->len != FREE_REC) wr_free(e->val.p);
    e->len = FREE_REC;
    e->next = vs->free1;
    vs->free1 = idx + 1;
    vs->live--;
}

static uint32_t vset_find(const vset *vs, uint64_t h, uint32_t g, const void *p, uint32_t len)
{
    if (vs->tab.slots == NULL) return NONE;
    uint32_t mask = vs->tab.mask;
    for (uint32_t s = (uint32_t)h & mask;; s = (s + 1) & mask) {
        uint64_t slot = vs->tab.slots[s];
        if (slot == 0) return NONE;
        if (WR_IDTAB_HASH(slot) != (uint32_t)h) continue;
        const ventry *e = &vs->e[WR_IDTAB_ID(slot)];
        if (e->group == g && e->len == len && val_eq(val_of(e), p, len)) return WR_IDTAB_ID(slot);
    }
}

/* Call slot j's count of entry idx. */
static inline int64_t *slot_count(const vset *vs, uint32_t idx, int j)
{
    return &vs->cnt[(size_t)idx * (size_t)vs->nslots + (size_t)j];
}

/* A new entry of group g's multiset for value p[0..len) of hash h, with no occurrences yet. */
static uint32_t vset_insert(vset *vs, vhead *vh, uint32_t g, uint64_t h, const void *p,
                            uint32_t len)
{
    uint32_t idx;
    if (vs->free1) {
        idx = vs->free1 - 1;
        vs->free1 = vs->e[idx].next;
    } else {
        if (vs->ne == vs->cap) {
            vs->cap = vs->cap ? vs->cap * 2 : 256;
            vs->e = wr_realloc(vs->e, (size_t)vs->cap * sizeof(ventry));
            if (vs->nslots > 1)
                vs->cnt =
                    wr_realloc(vs->cnt, (size_t)vs->cap * (size_t)vs->nslots * sizeof(int64_t));
        }
        idx = vs->ne++;
    }
    if (vs->nslots > 1) memset(slot_count(vs, idx, 0), 0, (size_t)vs->nslots * sizeof(int64_t));
    ventry *e = &vs->e[idx];
    e->hash = h;
    e->count = 0;
    e->group = g;
    e->len = len;
    if (len > VAL_INLINE) {
        e->val.p = wr_malloc(len);
        memcpy(e->val.p, p, len);
    } else {
        memset(e->val.b, 0, VAL_INLINE);
        if (len) memcpy(e->val.b, p, len);
    }
    e->prev = 0;
    e->next = vh->head;
    if (vh->head) vs->e[vh->head - 1].prev = idx + 1;
    vh->head = idx + 1;
    wr_idtab_reserve(&vs->tab, 1, 1024);
    wr_idtab_put(&vs->tab, h, idx);
    vs->live++;
    return idx;
}

/*
 * Adds n occurrences of value p[0..len) to group g's multiset for the call in
 * slot j; returns its entry and sets *first when that call had not had the
 * value.
 */
static uint32_t vset_add(vset *vs, vhead *vh, uint32_t g, const void *p, uint32_t len, int64_t n,
                         int j, bool *first)
{
    uint64_t h = val_hash(g, p, len);
    uint32_t idx = vset_find(vs, h, g, p, len);
    *first = idx == NONE;
    if (idx == NONE) idx = vset_insert(vs, vh, g, h, p, len);
    vs->e[idx].count += n;
    if (vs->nslots > 1) {
        int64_t *c = slot_count(vs, idx, j);
        *first = *c == 0;
        *c += n;
    }
    return idx;
}

/* Takes entry idx, whose count is 0, out of group g's multiset and frees it. */
static void vset_unlink(vset *vs, vhead *vh, uint32_t idx)
{
    ventry *e = &vs->e[idx];
    if (e->prev)
        vs->e[e->prev - 1].next = e->next;
    else
        vh->head = e->next;
    if (e->next) vs->e[e->next - 1].prev = e->prev;
    if (vh->ext == idx + 1) vh->ext = 0;
    wr_idtab_del(&vs->tab, e->hash, idx);
    vset_free_entry(vs, idx);
}

/*
 * Removes one occurrence of value p[0..len) from group g's multiset for the
 * call in slot j; sets *last when that was the call's last one (the entry is
 * gone once no call has the value). Returns false when the call does not have
 * the value (a retraction of something never added, which is ignored).
 */
static bool vset_remove(vset *vs, vhead *vh, uint32_t g, const void *p, uint32_t len, int j,
                        bool *last)
{
    uint64_t h = val_hash(g, p, len);
    uint32_t idx = vset_find(vs, h, g, p, len);
    *last = false;
    if (idx == NONE) return false;
    ventry *e = &vs->e[idx];
    if (vs->nslots > 1) {
        int64_t *c = slot_count(vs, idx, j);
        if (*c == 0) return false;
        *last = --*c == 0;
        if (--e->count > 0) return true;
    } else {
        if (--e->count > 0) return true;
        *last = true;
    }
    vset_unlink(vs, vh, idx);
    return true;
}

/* The value of row r of v as bytes (a string's own, a fixed-width value's slot). */
static inline const void *row_value(const vset *vs, const wr_vector *v, uint32_t r, uint32_t *len)
{
    if (vs->view) {
        wr_str s = ((const wr_str *)v->data)[r];
        *len = s.len;
        return s.ptr;
    }
    *len = (uint32_t)vs->width;
    return (const uint8_t *)v->data + (size_t)r * vs->width;
}

/* An entry's value as a slot that wr_value_cmp reads. */
static inline const void *entry_slot(const vset *vs, const ventry *e, wr_str *tmp)
{
    if (!vs->view) return e->val.b;
    tmp->ptr = (const char *)val_of(e);
    tmp->len = e->len;
    return tmp;
}

/* Whether entry a is a better extreme than entry b. */
static bool better(const vset *vs, uint32_t a, uint32_t b)
{
    wr_str sa, sb;
    const void *pa = entry_slot(vs, &vs->e[a], &sa), *pb = entry_slot(vs, &vs->e[b], &sb);
    return wr_value_cmp(vs->type, pa, pb) * vs->sign > 0;
}

/* MIN/MAX results of groups[0..n) into column col of out, rows 0..n-1. */
static void minmax_final(ga_op *op, const vset *vs, const uint32_t *groups, int n, wr_batch *out,
                         int col)
{
    wr_vector *v = &out->cols[col];
    for (int i = 0; i < n; i++) {
        vhead *vh = vhead_of(op, vs, groups[i]);
        if (vh->ext == 0 && vh->head) { /* the extreme left: find the new one */
            uint32_t best = vh->head - 1;
            for (uint32_t e = vs->e[best].next; e; e = vs->e[e - 1].next)
                if (better(vs, e - 1, best)) best = e - 1;
            vh->ext = best + 1;
        }
        if (vh->ext == 0) {
            wr_batch_set_null(out, col, i);
            continue;
        }
        const ventry *e = &vs->e[vh->ext - 1];
        if (vs->view)
            ((wr_str *)v->data)[i] = (wr_str){e->len ? (const char *)val_of(e) : "", e->len};
        else
            memcpy((uint8_t *)v->data + (size_t)i * vs->width, e->val.b, vs->width);
    }
}

/* ---- scratch ------------------------------------------------------------------ */

static void ensure_scratch(ga_op *op, int n)
{
    if (n <= op->scap) return;
    size_t c = (size_t)n + 1;
    op->ident = wr_realloc(op->ident, c * sizeof(uint32_t));
    for (int i = op->scap; i <= n; i++) op->ident[i] = (uint32_t)i;
    uint32_t **arrays[] = {&op->koff,    &op->gidx,    &op->arows,    &op->agroups, &op->rrows,
                           &op->rgroups, &op->farows,  &op->fagroups, &op->frrows,  &op->frgroups,
                           &op->urows,   &op->ugroups, &op->trows,    &op->tgroups};
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
        *arrays[i] = wr_realloc(*arrays[i], c * sizeof(uint32_t));
    op->hash = wr_realloc(op->hash, c * sizeof(uint64_t));
    op->vhash = wr_realloc(op->vhash, c * sizeof(uint64_t));
    if (op->sslots > 1) {
        op->srows = wr_realloc(op->srows, c * (size_t)op->sslots * sizeof(uint32_t));
        op->sgroups = wr_realloc(op->sgroups, c * (size_t)op->sslots * sizeof(uint32_t));
    }
    op->scap = n;
}

/*
 * Writes the results of groups[0..n) (n <= CHUNK) into rows 0..n-1 of out
 * (the result columns). The finals read copies of the state rows, gathered
 * into one range as they expect; what they allocate goes into op->tmp.
 */
static int finalize(ga_op *op, const uint32_t *groups, int n, wr_batch *out, wr_error *err)
{
    const ga_spec *spec = op->spec;
    size_t stride = op->st.stride, need = (size_t)(n ? n : 1) * (stride ? stride : 1);
    if (need > op->gather_cap) {
        wr_free(op->gather);
        op->gather = wr_malloc(need);
        op->gather_cap = need;
    }
    for (int i = 0; i < n && stride; i++)
        memcpy(op->gather + (size_t)i * stride, state_of(op, groups[i]), stride);
    wr_agg_states copy = {op->gather, stride, &op->tmp};
    for (int c = 0; c < spec->naggs; c++) {
        if (op->sets[c].used && op->sets[c].minmax) {
            minmax_final(op, &op->sets[c], groups, n, out, c);
            continue;
        }
        int rc = wr_agg_acc_final(&op->accs[c], &copy, 0, n, out, c, 0, err);
        if (rc) return rc;
    }
    out->count = n;
    return 0;
}

/* ---- folding a batch ------------------------------------------------------------ */

/* Keeps the pairs whose FILTER value is TRUE; returns how many. */
static int apply_filter(const wr_vector *f, const uint32_t *rows, const uint32_t *groups, int n,
                        uint32_t *orows, uint32_t *ogroups)
{
    const uint8_t *x = f->data;
    int m = 0;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (x[r] && !wr_vector_is_null(f, (int)r)) {
            orows[m] = r;
            ogroups[m++] = groups[i];
        }
    }
    return m;
}

/*
 * A call with a multiset: accumulating rows add their values, retracting
 * rows remove them (NULLs are no values). MIN/MAX keep the extreme up to
 * date; DISTINCT calls pass on the values whose count went 0 -> 1 (update)
 * and 1 -> 0 (retract).
 */
static int fold_set(ga_op *op, int c, const wr_batch *in, const uint32_t *ar, const uint32_t *ag,
                    int na, const uint32_t *rr, const uint32_t *rg, int nr, wr_error *err)
{
    const wr_agg_acc *acc = &op->accs[c];
    int j = op->sets[c].slot;
    vset *vs = op->sets[c].owner >= 0 ? &op->sets[op->sets[c].owner] : &op->sets[c];
    const wr_vector *a = &in->cols[acc->args[0]];
    const wr_vector *b = acc->nargs > 1 ? &in->cols[acc->args[1]] : NULL;
    /* A user function reads all its arguments: the columns (acc->args index them). */
    const wr_vector *ua = acc->kind == WR_AGG_USER ? in->cols : a;
    int nu = 0, nt = 0;
    for (int i = 0; i < na; i++) {
        uint32_t r = ar[i], g = ag[i], len;
        if (wr_vector_is_null(a, (int)r)) continue;
        const void *p = row_value(vs, a, r, &len);
        vhead *vh = vhead_of(op, vs, g);
        bool first, alone = vh->head == 0;
        uint32_t e = vset_add(vs, vh, g, p, len, 1, j, &first);
        if (vs->minmax) {
            /* With no known extreme in a group that has values, the final looks for it. */
            if (alone || (vh->ext && better(vs, e, vh->ext - 1))) vh->ext = e + 1;
        } else if (first) {
            op->urows[nu] = r;
            op->ugroups[nu++] = g;
        }
    }
    for (int i = 0; i < nr; i++) {
        uint32_t r = rr[i], g = rg[i], len;
        if (wr_vector_is_null(a, (int)r)) continue;
        const void *p = row_value(vs, a, r, &len);
        bool last;
        if (vset_remove(vs, vhead_of(op, vs, g), g, p, len, j, &last) && last && !vs->minmax) {
            op->trows[nt] = r;
            op->tgroups[nt++] = g;
        }
    }
    int rc = 0;
    if (nu) rc = acc->update(acc, &op->st, ua, b, op->urows, op->ugroups, nu, err);
    if (rc == 0 && nt) rc = acc->retract(acc, &op->st, ua, b, op->trows, op->tgroups, nt, err);
    return rc;
}

/* Whether call c's FILTER lets row r through (a call without one lets every row through). */
static inline bool filter_passes(const wr_agg_acc *acc, const wr_batch *in, uint32_t r)
{
    if (acc->filter < 0) return true;
    const wr_vector *f = &in->cols[acc->filter];
    return ((const uint8_t *)f->data)[r] && !wr_vector_is_null(f, (int)r);
}

/* As prefetch_lookups, for the values of hashes[0..n) in a multiset: slots, then entries. */
WR_PREFETCH_HELPER void prefetch_values(const vset *vs, const uint64_t *hashes, int n)
{
    const uint64_t *slots = vs->tab.slots;
    uint32_t mask = vs->tab.mask;
    for (int i = 0; i < n; i++) __builtin_prefetch(&slots[(uint32_t)hashes[i] & mask]);
    for (int i = 0; i < n; i++) {
        uint64_t slot = slots[(uint32_t)hashes[i] & mask];
        if (slot) __builtin_prefetch(&vs->e[WR_IDTAB_ID(slot)]);
    }
}

/*
 * The DISTINCT calls sharing the multiset of call o (at most 64 of them), in one pass: each
 * row finds its value's entry once and counts it in the slot of every call whose FILTER it
 * passes. Values entering (0 -> 1) and leaving (1 -> 0) a call are passed on to it, as
 * fold_set does for a call of its own.
 */
static int fold_shared(ga_op *op, int o, const wr_batch *in, const uint32_t *ar, const uint32_t *ag,
                       int na, const uint32_t *rr, const uint32_t *rg, int nr, wr_error *err)
{
    vset *vs = &op->sets[o];
    int k = vs->nslots;
    const wr_vector *a = &in->cols[op->accs[o].args[0]];
    size_t stride = (size_t)op->scap + 1;
    int cnt[64];
    for (int phase = 0; phase < 2; phase++) {
        bool add = phase == 0;
        const uint32_t *rows = add ? ar : rr, *groups = add ? ag : rg;
        int n = add ? na : nr;
        if (n == 0) continue;
        memset(cnt, 0, (size_t)k * sizeof(int));
        for (int i = 0; i < n; i++) {
            uint32_t len;
            op->vhash[i] = 0;
            if (wr_vector_is_null(a, (int)rows[i])) continue; /* a NULL's slot holds anything */
            const void *p = row_value(vs, a, rows[i], &len);
            op->vhash[i] = val_hash(groups[i], p, len);
        }
        if ((size_t)vs->tab.mask * sizeof(uint64_t) > (256u << 10))
            prefetch_values(vs, op->vhash, n);
        for (int i = 0; i < n; i++) {
            uint32_t r = rows[i], g = groups[i], len;
            if (wr_vector_is_null(a, (int)r)) continue;
            uint64_t mask = 0;
            for (int j = 0; j < k; j++)
                if (filter_passes(&op->accs[vs->calls[j]], in, r)) mask |= 1ull << j;
            if (mask == 0) continue;
            const void *p = row_value(vs, a, r, &len);
            uint64_t h = op->vhash[i];
            uint32_t idx = vset_find(vs, h, g, p, len);
            vhead *vh = vhead_of(op, vs, g);
            if (idx == NONE) {
                if (!add) continue; /* a retraction of something never added: ignored */
                idx = vset_insert(vs, vh, g, h, p, len);
            }
            for (uint64_t m = mask; m; m &= m - 1) {
                int j = __builtin_ctzll(m);
                int64_t *c = slot_count(vs, idx, j);
                if (!add && *c == 0) continue;
                if (add ? (*c)++ == 0 : --*c == 0) {
                    op->srows[(size_t)j * stride + (size_t)cnt[j]] = r;
                    op->sgroups[(size_t)j * stride + (size_t)cnt[j]++] = g;
                }
                vs->e[idx].count += add ? 1 : -1;
            }
            if (vs->e[idx].count == 0) vset_unlink(vs, vh, idx);
        }
        for (int j = 0; j < k; j++) {
            if (cnt[j] == 0) continue;
            const wr_agg_acc *acc = &op->accs[vs->calls[j]];
            /* A user function reads all its arguments: the columns (acc->args index them). */
            const wr_vector *ua = acc->kind == WR_AGG_USER ? in->cols : a;
            const wr_vector *b = acc->nargs > 1 ? &in->cols[acc->args[1]] : NULL;
            const uint32_t *sr = op->srows + (size_t)j * stride;
            const uint32_t *sg = op->sgroups + (size_t)j * stride;
            int rc = add ? acc->update(acc, &op->st, ua, b, sr, sg, cnt[j], err)
                         : acc->retract(acc, &op->st, ua, b, sr, sg, cnt[j], err);
            if (rc) return rc;
        }
    }
    return 0;
}

/* Whether call c's DISTINCT values are folded by fold_shared (as the owner of a shared set, or
 * as one of the calls sharing it). */
static bool folded_shared(const ga_op *op, int c)
{
    const vset *vs = &op->sets[c];
    if (!vs->used) return false;
    if (vs->owner >= 0) vs = &op->sets[vs->owner];
    return vs->nslots > 1 && vs->nslots <= 64;
}

static int fold_calls(ga_op *op, const wr_batch *in, int na, int nr, wr_error *err)
{
    const ga_spec *spec = op->spec;
    for (int c = 0; c < spec->naggs; c++) {
        if (folded_shared(op, c)) {
            if (op->sets[c].owner >= 0) continue;
            int rc =
                fold_shared(op, c, in, op->arows, op->agroups, na, op->rrows, op->rgroups, nr, err);
            if (rc) return rc;
            continue;
        }
        const wr_agg_acc *acc = &op->accs[c];
        const uint32_t *ar = op->arows, *ag = op->agroups, *rr = op->rrows, *rg = op->rgroups;
        int ma = na, mr = nr;
        if (acc->filter >= 0) {
            const wr_vector *f = &in->cols[acc->filter];
            ma = apply_filter(f, ar, ag, na, op->farows, op->fagroups);
            mr = apply_filter(f, rr, rg, nr, op->frrows, op->frgroups);
            ar = op->farows;
            ag = op->fagroups;
            rr = op->frrows;
            rg = op->frgroups;
        }
        int rc = 0;
        if (op->sets[c].used) {
            rc = fold_set(op, c, in, ar, ag, ma, rr, rg, mr, err);
        } else {
            const wr_vector *a = acc->nargs > 0 ? &in->cols[acc->args[0]] : NULL;
            const wr_vector *b = acc->nargs > 1 ? &in->cols[acc->args[1]] : NULL;
            /* A user function reads all its arguments: the columns (acc->args index them). */
            if (acc->kind == WR_AGG_USER) a = in->cols;
            if (ma) rc = acc->update(acc, &op->st, a, b, ar, ag, ma, err);
            /* create() made sure that retractions come only to functions that retract. */
            if (rc == 0 && mr) rc = acc->retract(acc, &op->st, a, b, rr, rg, mr, err);
        }
        if (rc) return rc;
    }
    return 0;
}

/* Writes aside the results of groups first touched in this batch, before it changes them. */
static int keep_previous(ga_op *op, const uint32_t *pidx, int n, wr_error *err)
{
    for (int first = 0; first < n; first += CHUNK) {
        int m = WR_MIN(CHUNK, n - first);
        for (int i = 0; i < m; i++) op->cgroups[i] = op->pending.v[pidx[first + i]].group;
        wr_batch_reset(op->fin);
        int rc = finalize(op, op->cgroups, m, op->fin, err);
        uint32_t row0 = op->prev.n;
        if (rc == 0)
            rc = wr_colstore_append(&op->prev, op->fin, op->ident, m, "group aggregation", err);
        wr_arena_reset(&op->tmp);
        if (rc) return rc;
        for (int i = 0; i < m; i++) op->pending.v[pidx[first + i]].prev = (int32_t)(row0 + i);
    }
    return 0;
}

static int flush(ga_op *op, wr_error *err);

/* The keys of the active rows as the exchange makes them (the row codec of the group columns)
 * into op->keys, key i at koff[i]..koff[i+1]. */
static void encode_keys(ga_op *op, const wr_batch *in, const uint32_t *rows, int n)
{
    wr_buf_reset(&op->keys);
    wr_row_encode_rows(in, rows, n, op->kcols, op->spec->ngroups, &op->keys, op->koff);
}

/*
 * The global phase's input: the local phase's rows, +I only, with the group
 * columns, the partial columns and a NOT NULL BIGINT row count delta.
 */
static int check_partial_rows(const ga_op *op, const wr_batch *in, const uint32_t *rows, int n,
                              wr_error *err)
{
    int ncols = op->spec->ngroups + op->npart + 1;
    if (in->ncols != ncols || in->cols[ncols - 1].type.id != WR_TYPE_BIGINT)
        return wr_error_set(err, WR_ERR_INTERNAL,
                            "global group aggregation expects the local phase's rows of %d "
                            "columns ending in a BIGINT row count, got %d columns",
                            ncols, in->ncols);
    const wr_vector *cnt = &in->cols[ncols - 1];
    for (int i = 0; i < n; i++) {
        if (wr_batch_kind(in, (int)rows[i]) != WR_KIND_INSERT)
            return wr_error_set(err, WR_ERR_INTERNAL,
                                "global group aggregation got a %s row; the local phase emits +I",
                                wr_change_kind_short(wr_batch_kind(in, (int)rows[i])));
        if (wr_vector_is_null(cnt, (int)rows[i]))
            return wr_error_set(err, WR_ERR_INTERNAL,
                                "global group aggregation got a NULL row count");
    }
    return 0;
}

static int ga_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    ga_op *op = (ga_op *)base;
    const ga_spec *spec = op->spec;
    const wr_group_agg_opts *o = &spec->opts;
    ga_mode mode = spec->mode;
    int n = wr_batch_rows(in);
    if (n == 0) return 0;
    ensure_scratch(op, in->count);
    const uint32_t *rows = in->sel ? in->sel : op->ident;
    const int64_t *delta = NULL; /* global: each row's count delta */
    if (mode == GA_GLOBAL) {
        int rc = check_partial_rows(op, in, rows, n, err);
        if (rc) return rc;
        delta = in->cols[in->ncols - 1].data;
    } else if (o->input_insert_only && in->kinds) {
        for (int i = 0; i < n; i++) {
            wr_change_kind kind = (wr_change_kind)in->kinds[rows[i]];
            if (kind == WR_KIND_UPDATE_BEFORE || kind == WR_KIND_DELETE)
                return wr_error_set(err, WR_ERR_RUNTIME,
                                    "streaming aggregation over an insert-only input got a %s row",
                                    wr_change_kind_short(kind));
        }
    }
    int64_t now = o->state_ttl_ms > 0 || o->mini_batch ? now_ms(op) : 0;
    if (o->state_ttl_ms > 0 && now >= op->next_sweep) sweep(op, now);

    encode_keys(op, in, rows, n);
    const uint8_t *kd = (const uint8_t *)op->keys.data;
    for (int i = 0; i < n; i++)
        op->hash[i] = wr_hash_bytes(kd + op->koff[i], op->koff[i + 1] - op->koff[i]);

    /* Groups, row counts, and which groups are new to this flush. */
    reserve_groups(op, (size_t)n);
    WR_VEC_GROW(&op->pending, op->pending.n + n);
    int na = 0, nr = 0, nkeep = 0;
    uint32_t *keep = op->gidx; /* pending indexes whose previous results to keep */
    if ((size_t)op->tab.mask * sizeof(uint64_t) > (256u << 10)) prefetch_lookups(op, n);
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i], len = op->koff[i + 1] - op->koff[i];
        wr_change_kind kind = wr_batch_kind(in, (int)r);
        int64_t d = delta                                                    ? delta[r]
                    : kind == WR_KIND_INSERT || kind == WR_KIND_UPDATE_AFTER ? 1
                                                                             : -1;
        /* A partial row starts a group only when it adds rows: as a retraction, it cannot. */
        bool accumulate = d > 0;
        const uint8_t *key = kd + op->koff[i];
        uint32_t g = find_group(op, op->hash[i], key, len);
        if (g != NONE && op->g[g].pend == 0 && expired(op, &op->g[g], now)) {
            drop_group(op, g);
            g = NONE;
        }
        bool fresh = g == NONE;
        if (fresh) {
            /* Nothing to retract from: Flink ignores it too. The local phase keeps a delta. */
            if (!accumulate && mode != GA_LOCAL) continue;
            g = new_group(op, op->hash[i], key, len, now);
        }
        grp *rec = &op->g[g];
        if (rec->pend == 0) {
            pend p = {g, -1};
            op->pending.v[op->pending.n++] = p;
            rec->pend = (uint32_t)op->pending.n;
            if (!fresh && mode != GA_LOCAL) keep[nkeep++] = rec->pend - 1;
        }
        rec->access_ms = now;
        if (mode == GA_GLOBAL) { /* every partial row is merged in, whatever its sign */
            rec->count += d;
            op->arows[na] = r;
            op->agroups[na++] = g;
        } else if (accumulate) {
            rec->count++;
            op->arows[na] = r;
            op->agroups[na++] = g;
        } else {
            rec->count--;
            op->rrows[nr] = r;
            op->rgroups[nr++] = g;
        }
    }
    int rc = keep_previous(op, keep, nkeep, err);
    if (rc == 0 && mode == GA_GLOBAL)
        rc = wr_agg_phase_absorb(op->accs, spec->naggs, &op->st, in, spec->ngroups, op->arows,
                                 op->agroups, na, err);
    else if (rc == 0)
        rc = fold_calls(op, in, na, nr, err);
    if (rc) return rc;
    op->buffered += n;
    if (!o->mini_batch || op->buffered >= o->mini_batch_size) return flush(op, err);
    if (base->ctx->timer_at_ms == INT64_MAX)
        base->ctx->timer_at_ms = now + o->mini_batch_latency_ms;
    return 0;
}

/* ---- emitting ------------------------------------------------------------------- */

/* Whether row i of a equals row j of b in every column (NULLs equal, floats by bits). */
static bool same_row(const wr_batch *a, int i, const wr_batch *b, int j)
{
    for (int c = 0; c < a->ncols; c++) {
        const wr_vector *x = &a->cols[c], *y = &b->cols[c];
        bool nx = wr_vector_is_null(x, i), ny = wr_vector_is_null(y, j);
        if (nx || ny) {
            if (nx != ny) return false;
            continue;
        }
        if (wr_type_is_view(x->type.id)) {
            wr_str s = ((const wr_str *)x->data)[i], t = ((const wr_str *)y->data)[j];
            if (s.len != t.len || (s.len && memcmp(s.ptr, t.ptr, s.len) != 0)) return false;
        } else {
            size_t w = wr_type_width(x->type.id);
            if (memcmp((const uint8_t *)x->data + (size_t)i * w,
                       (const uint8_t *)y->data + (size_t)j * w, w) != 0)
                return false;
        }
    }
    return true;
}

/* Adds one output row: key row k of op->kb, result row `row` of pb (src 0) or cb (src 1). */
static inline int add_row(ga_op *op, int m, uint32_t k, uint8_t src, uint32_t row,
                          wr_change_kind kind)
{
    op->okrow[m] = k;
    op->osrc[m] = src;
    op->orow[m] = row;
    op->okind[m] = (uint8_t)kind;
    return m + 1;
}

/* Builds op->out from the m rows that add_row described and emits it. */
static int emit_rows(ga_op *op, int m, wr_error *err)
{
    const ga_spec *spec = op->spec;
    wr_batch *out = op->out;
    wr_batch_reset(out);
    if (m == 0) return 0;
    for (int k = 0; k < spec->ngroups; k++) {
        const wr_vector *v = &op->kb->cols[k];
        size_t w = wr_value_kind_width(wr_value_kind_of(v->type.id));
        wr_gather_slots(v->data, v->validity, w, op->okrow, m, out, k);
    }
    for (int c = 0; c < spec->naggs; c++) {
        wr_vector *o = &out->cols[spec->ngroups + c];
        size_t w = wr_value_kind_width(wr_value_kind_of(o->type.id));
        for (int i = 0; i < m; i++) {
            const wr_vector *v = &(op->osrc[i] ? op->cb : op->pb)->cols[c];
            uint32_t r = op->orow[i];
            if (wr_vector_is_null(v, (int)r))
                wr_batch_set_null(out, spec->ngroups + c, i);
            else
                wr_slot_copy((uint8_t *)o->data + (size_t)i * w,
                             (const uint8_t *)v->data + (size_t)r * w, w);
        }
    }
    memcpy(wr_batch_kinds(out), op->okind, (size_t)m);
    out->count = m;
    return wr_op_emit(op->base.ctx, out, err);
}

/* Emits the changes of pending groups P[0..m) (m <= CHUNK) and drops the groups that ended. */
static int flush_chunk(ga_op *op, const pend *P, int m, wr_error *err)
{
    bool ub = op->spec->opts.emit_update_before;
    wr_batch_reset(op->kb);
    wr_batch_reset(op->pb);
    wr_batch_reset(op->cb);
    int np = 0, nc = 0, rc = 0;
    for (int j = 0; j < m; j++) {
        const grp *r = &op->g[P[j].group];
        /* Keys were checked when they came in (or were restored): decoding cannot fail. */
        rc = wr_row_decode_append(op->kb, key_of(r), r->klen, err);
        if (rc < 0) return rc;
        op->prow[j] = P[j].prev < 0 ? -1 : np;
        if (P[j].prev >= 0) op->pidx[np++] = (uint32_t)P[j].prev;
        op->crow[j] = r->count > 0 ? nc : -1;
        if (r->count > 0) op->cgroups[nc++] = P[j].group;
    }
    for (int c = 0; c < op->spec->naggs; c++)
        wr_colstore_gather(&op->prev, c, op->pidx, np, op->pb, c);
    op->pb->count = np;
    rc = finalize(op, op->cgroups, nc, op->cb, err);
    int rows = 0;
    for (int j = 0; rc == 0 && j < m; j++) {
        int p = op->prow[j], q = op->crow[j];
        if (q < 0) {
            if (p >= 0) rows = add_row(op, rows, (uint32_t)j, 0, (uint32_t)p, WR_KIND_DELETE);
        } else if (p < 0) {
            rows = add_row(op, rows, (uint32_t)j, 1, (uint32_t)q, WR_KIND_INSERT);
        } else if (!same_row(op->pb, p, op->cb, q)) {
            if (ub) rows = add_row(op, rows, (uint32_t)j, 0, (uint32_t)p, WR_KIND_UPDATE_BEFORE);
            rows = add_row(op, rows, (uint32_t)j, 1, (uint32_t)q, WR_KIND_UPDATE_AFTER);
        }
    }
    if (rc == 0) rc = emit_rows(op, rows, err);
    wr_arena_reset(&op->tmp);
    if (rc) return rc;
    for (int j = 0; j < m; j++) {
        if (op->crow[j] < 0)
            drop_group(op, P[j].group);
        else
            op->g[P[j].group].pend = 0;
    }
    return 0;
}

/*
 * The local phase forgets everything after a flush: the groups, their keys
 * and the strings their accumulators kept. Emptying the table wholesale keeps
 * group numbers equal to their order in the pending list.
 */
static void local_reset(ga_op *op)
{
    for (uint32_t g = 0; g < op->ng; g++)
        if (op->g[g].klen > KEY_INLINE) wr_free(op->g[g].key.p);
    op->ng = op->live = 0;
    op->freeg.n = 0;
    op->pending.n = 0;
    if (op->tab.n) memset(op->tab.slots, 0, ((size_t)op->tab.mask + 1) * sizeof(uint64_t));
    op->tab.n = 0;
    wr_arena_reset(&op->heap);
}

/*
 * The local phase's flush: one +I row per group of the bundle, the group
 * columns, the partial columns of every call and the row count delta. Groups
 * were numbered 0.. in the order they came (local_reset), so the partials of
 * a run of groups are written straight from their state rows.
 */
static int local_flush(ga_op *op, wr_error *err)
{
    const ga_spec *spec = op->spec;
    wr_batch *out = op->out;
    int rc = 0;
    for (int first = 0; rc == 0 && first < op->pending.n; first += WR_BATCH_CAPACITY) {
        if (wr_op_cancelled(op->base.ctx)) {
            rc = wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
            break;
        }
        int m = WR_MIN(WR_BATCH_CAPACITY, op->pending.n - first);
        wr_batch_reset(op->kb);
        wr_batch_reset(out);
        for (int j = 0; j < m && rc == 0; j++) {
            const grp *r = &op->g[first + j];
            assert(op->pending.v[first + j].group == (uint32_t)(first + j));
            /* Keys were encoded here from the input: decoding cannot fail. */
            int used = wr_row_decode_append(op->kb, key_of(r), r->klen, err);
            if (used < 0) rc = used;
            ((int64_t *)out->cols[op->nout - 1].data)[j] = r->count;
        }
        if (rc) break;
        for (int k = 0; k < spec->ngroups; k++) {
            const wr_vector *v = &op->kb->cols[k];
            size_t w = wr_value_kind_width(wr_value_kind_of(v->type.id));
            wr_gather_slots(v->data, v->validity, w, op->ident, m, out, k);
        }
        wr_agg_phase_partial(op->accs, spec->naggs, &op->st, (uint32_t)first, m, out,
                             spec->ngroups);
        out->count = m;
        rc = wr_op_emit(op->base.ctx, out, err);
    }
    wr_batch_reset(out);
    local_reset(op);
    return rc;
}

/* Emits the changes of every group touched since the last flush. */
static int flush(ga_op *op, wr_error *err)
{
    op->base.ctx->timer_at_ms = INT64_MAX;
    op->buffered = 0;
    if (op->spec->mode == GA_LOCAL) return local_flush(op, err);
    int rc = 0;
    for (int first = 0; rc == 0 && first < op->pending.n; first += CHUNK) {
        if (wr_op_cancelled(op->base.ctx)) {
            rc = wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
            break;
        }
        rc = flush_chunk(op, op->pending.v + first, WR_MIN(CHUNK, op->pending.n - first), err);
    }
    if (rc)
        for (int i = 0; i < op->pending.n; i++)
            if (op->g[op->pending.v[i].group].klen != FREE_REC)
                op->g[op->pending.v[i].group].pend = 0;
    op->pending.n = 0;
    if (op->prev.n) { /* let the previous results' strings go */
        wr_colstore_fini(&op->prev);
        wr_colstore_init(&op->prev, op->res_types, op->spec->naggs);
    }
    return rc;
}

static int ga_end_input(wr_operator *base, int input, wr_error *err)
{
    return flush((ga_op *)base, err);
}

static int ga_watermark(wr_operator *base, int64_t watermark, wr_error *err)
{
    int rc = flush((ga_op *)base, err);
    return rc ? rc : wr_op_emit_watermark(base->ctx, watermark, err);
}

static int ga_on_time(wr_operator *base, int64_t now, wr_error *err)
{
    ga_op *op = (ga_op *)base;
    if (now < base->ctx->timer_at_ms) return 0;
    return flush(op, err);
}

/* ---- checkpoints ---------------------------------------------------------------- */

/*
 * Part layout (docs/checkpoints.md): magic, version, the shape of the
 * aggregation (group columns, calls), the number of groups, then per group
 * its key, row count, last change, and per call its accumulator (MIN/MAX with
 * a multiset have none) and multiset.
 */
static void put_shape(const ga_op *op, wr_buf *b)
{
    const ga_spec *spec = op->spec;
    wr_buf_append(b, SNAP_MAGIC, 4);
    wr_buf_put_u32(b, SNAP_VERSION);
    wr_buf_put_u32(b, (uint32_t)spec->ngroups);
    wr_buf_put_u32(b, (uint32_t)spec->naggs);
    for (int c = 0; c < spec->naggs; c++)
        wr_buf_put_u32(b, (uint32_t)op->accs[c].kind | (uint32_t)op->accs[c].distinct << 8 |
                              (uint32_t)op->sets[c].used << 9);
}

static void put_group(const ga_op *op, uint32_t g, wr_buf *b)
{
    const ga_spec *spec = op->spec;
    const grp *r = &op->g[g];
    wr_buf_put_u32(b, r->klen);
    wr_buf_append(b, key_of(r), r->klen);
    wr_buf_put_u64(b, (uint64_t)r->count);
    wr_buf_put_u64(b, (uint64_t)r->access_ms);
    for (int c = 0; c < spec->naggs; c++) {
        const vset *vs = &op->sets[c];
        if (!(vs->used && vs->minmax))
            wr_agg_acc_save(&op->accs[c], state_of(op, g) + op->accs[c].offset, b);
        if (!vs->used) continue;
        /* A call's own values and counts, also when it shares its set: the same layout. */
        int j = vs->slot;
        if (vs->owner >= 0) vs = &op->sets[vs->owner];
        const vhead *vh = vhead_of(op, vs, g);
        uint32_t n = 0;
        for (uint32_t e = vh->head; e; e = vs->e[e - 1].next)
            n += vs->nslots == 1 || *slot_count(vs, e - 1, j) > 0;
        wr_buf_put_u32(b, n);
        for (uint32_t e = vh->head; e; e = vs->e[e - 1].next) {
            const ventry *v = &vs->e[e - 1];
            int64_t count = vs->nslots == 1 ? v->count : *slot_count(vs, e - 1, j);
            if (count == 0) continue;
            wr_buf_put_u64(b, (uint64_t)count);
            wr_buf_put_u32(b, v->len);
            wr_buf_append(b, val_of(v), v->len);
        }
    }
}

static int ga_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    ga_op *op = (ga_op *)base;
    /* Rows folded before the barrier emit before it (Flink finishes its bundle too). */
    int rc = flush(op, err);
    if (rc || op->spec->mode == GA_LOCAL) return rc; /* the local phase has no state */
    int maxp = base->ctx->max_parallelism;
    if (op->spec->opts.state_ttl_ms > 0) sweep(op, now_ms(op));
    uint32_t *count = wr_calloc((size_t)maxp, sizeof(uint32_t));
    int *part = wr_malloc((size_t)maxp * sizeof(int));
    for (uint32_t g = 0; g < op->ng; g++)
        if (op->g[g].klen != FREE_REC) count[wr_keygroup_of_hash(op->g[g].hash, maxp)]++;
    /* Every part is added before any is written: adding may move the parts. */
    for (int kg = 0; kg < maxp; kg++)
        if (count[kg]) {
            part[kg] = out->nparts;
            wr_snapshot_add(out, kg);
        }
    for (int kg = 0; kg < maxp; kg++) {
        if (!count[kg]) continue;
        wr_buf *b = &out->parts[part[kg]].data;
        put_shape(op, b);
        wr_buf_put_u64(b, count[kg]);
    }
    for (uint32_t g = 0; g < op->ng; g++)
        if (op->g[g].klen != FREE_REC)
            put_group(op, g, &out->parts[part[wr_keygroup_of_hash(op->g[g].hash, maxp)]].data);
    wr_free(count);
    wr_free(part);
    return 0;
}

/* Restores one group from r, at the byte offset where it starts (for messages). */
static int restore_group(ga_op *op, wr_buf_reader *r, int kg, size_t at, wr_error *err)
{
    const ga_spec *spec = op->spec;
    uint32_t klen = wr_buf_get_u32(r);
    const uint8_t *key = wr_buf_take(r, klen);
    int64_t count = (int64_t)wr_buf_get_u64(r);
    int64_t access = (int64_t)wr_buf_get_u64(r);
    if (r->bad) return wr_error_set(err, WR_ERR_IO, "group truncated at byte %zu", at);
    /* The key must decode as the group columns and belong to the part's key group. */
    wr_batch_reset(op->kb);
    wr_error derr;
    wr_error_init(&derr);
    int used = wr_row_decode_append(op->kb, key, klen, &derr);
    if (used < 0 || (uint32_t)used != klen)
        return wr_error_set(err, WR_ERR_IO, "malformed group key at byte %zu%s%s", at,
                            used < 0 ? ": " : "", used < 0 ? derr.msg : "");
    uint64_t hash = wr_hash_bytes(key, klen);
    if (wr_keygroup_of_hash(hash, op->base.ctx->max_parallelism) != kg)
        return wr_error_set(err, WR_ERR_IO, "group key at byte %zu does not belong to key group %d",
                            at, kg);
    if (count <= 0)
        return wr_error_set(err, WR_ERR_IO, "group at byte %zu has %lld rows", at,
                            (long long)count);
    if (find_group(op, hash, key, klen) != NONE)
        return wr_error_set(err, WR_ERR_IO, "group at byte %zu is restored twice", at);
    reserve_groups(op, 1);
    uint32_t g = new_group(op, hash, key, klen, access);
    op->g[g].count = count;
    for (int c = 0; c < spec->naggs; c++) {
        vset *vs = &op->sets[c];
        int rc = 0;
        if (!(vs->used && vs->minmax))
            rc = wr_agg_acc_load(&op->accs[c], state_of(op, g) + op->accs[c].offset, r, &op->heap,
                                 err);
        if (rc) return rc;
        if (!vs->used) continue;
        int j = vs->slot;
        if (vs->owner >= 0) vs = &op->sets[vs->owner];
        uint32_t n = wr_buf_get_u32(r);
        vhead *vh = vhead_of(op, vs, g);
        for (uint32_t i = 0; i < n && !r->bad; i++) {
            int64_t cnt = (int64_t)wr_buf_get_u64(r);
            uint32_t len = wr_buf_get_u32(r);
            const void *p = wr_buf_take(r, len);
            if (r->bad) break;
            if (cnt <= 0 || (!vs->view && len != vs->width))
                return wr_error_set(err, WR_ERR_IO, "malformed value of call %d at byte %zu", c,
                                    at);
            bool first;
            vset_add(vs, vh, g, p, len, cnt, j, &first);
            if (!first)
                return wr_error_set(err, WR_ERR_IO, "value of call %d at byte %zu is there twice",
                                    c, at);
        }
        if (r->bad) return wr_error_set(err, WR_ERR_IO, "group truncated at byte %zu", at);
    }
    return 0;
}

static int restore_part(ga_op *op, const wr_snapshot_part *part, wr_error *err)
{
    if (part->keygroup < 0)
        return wr_error_set(err, WR_ERR_IO, "group aggregation snapshot has operator state");
    wr_buf shape;
    wr_buf_init(&shape);
    put_shape(op, &shape);
    const uint8_t *data = (const uint8_t *)part->data.data;
    size_t len = part->data.len;
    int rc = 0;
    if (len < 8 || memcmp(data, SNAP_MAGIC, 4) != 0) {
        rc = wr_error_set(err, WR_ERR_IO, "not a group aggregation snapshot");
    } else if (data[4] != SNAP_VERSION || data[5] || data[6] || data[7]) {
        rc = wr_error_set(err, WR_ERR_IO, "group aggregation snapshot of unknown version %u",
                          (unsigned)data[4] | (unsigned)data[5] << 8);
    } else if (len < shape.len + 8 || memcmp(data, shape.data, shape.len) != 0) {
        rc = wr_error_set(err, WR_ERR_IO,
                          "group aggregation snapshot of another aggregation (group columns or "
                          "calls differ)");
    }
    wr_buf_reader r = wr_buf_reader_of(data, len);
    if (rc == 0) {
        wr_buf_take(&r, shape.len);
        uint64_t n = wr_buf_get_u64(&r);
        for (uint64_t i = 0; rc == 0 && i < n; i++)
            rc = restore_group(op, &r, part->keygroup, len - r.left, err);
        if (rc == 0 && r.left)
            rc = wr_error_set(err, WR_ERR_IO, "%zu bytes after the last group", r.left);
    }
    wr_buf_fini(&shape);
    if (rc) wr_error_prefix(err, "restoring key group %d", part->keygroup);
    return rc;
}

/* ---- the operator ---------------------------------------------------------------- */

static void ga_destroy(wr_operator *base)
{
    ga_op *op = (ga_op *)base;
    for (uint32_t g = 0; g < op->ng; g++)
        if (op->g[g].klen != FREE_REC && op->g[g].klen > KEY_INLINE) wr_free(op->g[g].key.p);
    if (op->sets)
        for (int c = 0; c < op->spec->naggs; c++) {
            vset *vs = &op->sets[c];
            for (uint32_t i = 0; i < vs->ne; i++)
                if (vs->e[i].len != FREE_REC && vs->e[i].len > VAL_INLINE) wr_free(vs->e[i].val.p);
            wr_free(vs->e);
            wr_free(vs->cnt);
            wr_free(vs->calls);
            wr_idtab_fini(&vs->tab);
        }
    wr_free(op->sets);
    wr_free(op->accs);
    wr_free(op->res_types);
    wr_free(op->out_types);
    wr_free(op->kident);
    wr_free(op->g);
    wr_free(op->st.rows);
    WR_VEC_FREE(&op->freeg);
    WR_VEC_FREE(&op->pending);
    wr_idtab_fini(&op->tab);
    wr_arena_fini(&op->heap);
    wr_arena_fini(&op->tmp);
    if (op->prev_ready) wr_colstore_fini(&op->prev);
    uint32_t *arrays[] = {op->ident,    op->koff,    op->gidx,    op->arows,    op->agroups,
                          op->rrows,    op->rgroups, op->farows,  op->fagroups, op->frrows,
                          op->frgroups, op->urows,   op->ugroups, op->trows,    op->tgroups};
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) wr_free(arrays[i]);
    wr_free(op->hash);
    wr_free(op->vhash);
    wr_free(op->srows);
    wr_free(op->sgroups);
    wr_free(op->gather);
    wr_buf_fini(&op->keys);
    wr_batch_free(op->fin);
    wr_batch_free(op->pb);
    wr_batch_free(op->cb);
    wr_batch_free(op->kb);
    wr_batch_free(op->out);
    wr_free(op);
}

/* Sets up call c's accumulator and, where it needs one, its multiset. */
static int init_call(ga_op *op, int c, wr_error *err)
{
    const ga_spec *spec = op->spec;
    wr_agg_acc *acc = &op->accs[c];
    int rc = wr_agg_acc_init(acc, &spec->aggs[c], spec->in_types, spec->nin, err);
    if (rc) return rc;
    if (spec->mode != GA_ONE) {
        /* Both phases fold states through partials: no multisets, no DISTINCT values. */
        if (phase_of(acc, spec->opts.input_insert_only)) {
            op->npart += acc->npartial;
            return 0;
        }
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "%s cannot run as a local and a global streaming aggregation%s",
                            wr_agg_call_name(&spec->aggs[c]),
                            acc->distinct ? ": each group's values must meet in one place"
                            : spec->opts.input_insert_only
                                ? ": its partial results cannot be merged"
                                : " over an updating input: its partial results cannot carry "
                                  "retractions");
    }
    bool minmax = acc->kind == WR_AGG_MIN || acc->kind == WR_AGG_MAX;
    bool updating = !spec->opts.input_insert_only;
    if (updating && !minmax && (acc->retract == NULL || !wr_agg_can_retract(acc->kind)))
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "%s cannot consume updates (-U/-D rows) in a streaming aggregation",
                            wr_agg_call_name(&spec->aggs[c]));
    vset *vs = &op->sets[c];
    if (!(minmax && updating) && !acc->distinct) return 0;
    vs->used = true;
    vs->minmax = minmax && updating;
    vs->type = acc->arg;
    vs->view = wr_type_is_view(acc->arg.id);
    vs->width = vs->view ? 0 : wr_type_width(acc->arg.id);
    vs->sign = acc->kind == WR_AGG_MIN ? -1 : 1;
    assert(vs->view || vs->width <= VAL_INLINE);
    if (vs->minmax) { /* the multiset is the state: the accumulator's own stays unused */
        acc->size = 0;
        acc->align = 1;
    }
    return 0;
}

/* DISTINCT calls of one argument column share the first one's set (see vset). */
static void share_distinct_sets(ga_op *op)
{
    for (int c = 0; c < op->spec->naggs; c++) {
        vset *vs = &op->sets[c];
        const wr_agg_acc *acc = &op->accs[c];
        if (!vs->used || vs->minmax || acc->nargs != 1) continue;
        for (int o = 0; o < c; o++) {
            vset *os = &op->sets[o];
            if (os->used && !os->minmax && os->owner < 0 && op->accs[o].nargs == 1 &&
                op->accs[o].args[0] == acc->args[0]) {
                vs->owner = o;
                vs->slot = os->nslots++;
                break;
            }
        }
    }
    for (int c = 0; c < op->spec->naggs; c++) {
        vset *vs = &op->sets[c];
        if (vs->nslots == 1) continue;
        vs->calls = wr_malloc((size_t)vs->nslots * sizeof(int));
        vs->calls[0] = c;
        for (int o = c + 1; o < op->spec->naggs; o++)
            if (op->sets[o].owner == c) vs->calls[op->sets[o].slot] = o;
        op->sslots = WR_MAX(op->sslots, vs->nslots);
    }
}

static wr_operator *ga_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const ga_spec *spec = p;
    ga_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_group_agg_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->kcols = spec->groups;
    ctx->timer_at_ms = INT64_MAX;
    wr_arena_init(&op->heap, 64 << 10);
    wr_arena_init(&op->tmp, 16 << 10);
    wr_buf_init(&op->keys);
    wr_buf_reserve(&op->keys, 256); /* so that a global aggregation's empty keys have memory */
    op->st.heap = &op->heap;
    const wr_group_agg_opts *o = &spec->opts;
    for (int k = 0; k < spec->ngroups; k++) {
        if (spec->groups[k] < 0 || spec->groups[k] >= spec->nin) {
            wr_error_set(err, WR_ERR_VALIDATION,
                         "group aggregation groups by column %d of an input with %d columns",
                         spec->groups[k], spec->nin);
            goto fail;
        }
        if (wr_value_kind_of(spec->in_types[spec->groups[k]].id) == WR_VALUE_UNSUPPORTED) {
            wr_error_set(err, WR_ERR_VALIDATION, "group aggregation cannot group by column %d",
                         spec->groups[k]);
            goto fail;
        }
    }
    if (o->mini_batch && (o->mini_batch_latency_ms <= 0 || o->mini_batch_size <= 0)) {
        wr_error_set(err, WR_ERR_VALIDATION,
                     "mini-batch needs a positive latency and size (got %lld ms, %lld rows)",
                     (long long)o->mini_batch_latency_ms, (long long)o->mini_batch_size);
        goto fail;
    }
    if (o->state_ttl_ms < 0) {
        wr_error_set(err, WR_ERR_VALIDATION, "state TTL of %lld ms", (long long)o->state_ttl_ms);
        goto fail;
    }
    int naggs = spec->naggs, nout = spec->ngroups + naggs;
    op->accs = wr_calloc((size_t)WR_MAX(naggs, 1), sizeof(wr_agg_acc));
    op->sets = wr_calloc((size_t)WR_MAX(naggs, 1), sizeof(vset));
    for (int c = 0; c < naggs; c++) {
        op->sets[c].owner = -1;
        op->sets[c].nslots = 1;
    }
    for (int c = 0; c < naggs; c++)
        if (init_call(op, c, err)) goto fail;
    share_distinct_sets(op);

    /* A state row: the accumulators, then a vhead per multiset. */
    size_t off = wr_agg_layout(op->accs, naggs), align = _Alignof(vhead);
    for (int c = 0; c < naggs; c++) align = WR_MAX(align, op->accs[c].align);
    for (int c = 0; c < naggs; c++) {
        if (!op->sets[c].used || op->sets[c].owner >= 0) continue;
        off = (off + _Alignof(vhead) - 1) & ~(_Alignof(vhead) - 1);
        op->sets[c].head_off = (uint32_t)off;
        off += sizeof(vhead);
    }
    op->st.stride = (off + align - 1) & ~(align - 1);

    if (spec->mode == GA_GLOBAL) { /* the local phase's rows begin with the group columns */
        op->kident = wr_malloc(sizeof(int) * (size_t)WR_MAX(spec->ngroups, 1));
        for (int k = 0; k < spec->ngroups; k++) op->kident[k] = k;
        op->kcols = op->kident;
    }
    /* The result columns, also for the local phase (its key batch takes their group types). */
    op->out_types = wr_malloc(sizeof(wr_type) * (size_t)WR_MAX(nout, 1));
    wr_agg_output_types(spec->in_types, spec->groups, spec->ngroups, spec->aggs, naggs,
                        op->out_types);
    op->res_types = wr_malloc(sizeof(wr_type) * (size_t)WR_MAX(naggs, 1));
    for (int c = 0; c < naggs; c++) op->res_types[c] = op->out_types[spec->ngroups + c];
    if (spec->mode == GA_LOCAL) {
        nout = spec->ngroups + op->npart + 1;
        op->out_types = wr_realloc(op->out_types, sizeof(wr_type) * (size_t)nout);
        int n = spec->ngroups;
        for (int c = 0; c < naggs; c++) n += wr_agg_phase_types(&op->accs[c], 1, op->out_types + n);
        op->out_types[n] = wr_type_make(WR_TYPE_BIGINT, false);
        ensure_scratch(op, WR_BATCH_CAPACITY);
        if (ctx->restore && ctx->restore->nparts) {
            wr_error_set(err, WR_ERR_IO, "the local group aggregation has no state to restore");
            goto fail;
        }
    }
    op->nout = nout;
    wr_colstore_init(&op->prev, op->res_types, naggs);
    op->prev_ready = true;
    op->fin = wr_batch_new(op->res_types, naggs, CHUNK);
    op->pb = wr_batch_new(op->res_types, naggs, CHUNK);
    op->cb = wr_batch_new(op->res_types, naggs, CHUNK);
    op->kb = wr_batch_new(op->out_types, spec->ngroups, WR_BATCH_CAPACITY);
    op->out = wr_batch_new(op->out_types, nout, WR_BATCH_CAPACITY);
    reserve_groups(op, 0);

    if (ctx->restore)
        for (int i = 0; i < ctx->restore->nparts; i++)
            if (restore_part(op, ctx->restore->parts[i], err)) goto fail;
    if (o->state_ttl_ms > 0) op->next_sweep = now_ms(op) + o->state_ttl_ms;
    return &op->base;
fail:
    ga_destroy(&op->base);
    return NULL;
}

/*
 * State bytes: the capacity of the group records, state rows and key table, the accumulators'
 * kept strings, and the multisets of MIN/MAX and DISTINCT calls. Keys longer than a record
 * holds inline, allocated per group, are not counted.
 */
static size_t ga_state_bytes(const wr_operator *base)
{
    const ga_op *op = (const ga_op *)base;
    size_t bytes = (size_t)op->cap * (sizeof(grp) + op->st.stride) + wr_idtab_bytes(&op->tab) +
                   wr_arena_used(&op->heap);
    if (op->sets)
        for (int i = 0; i < op->spec->naggs; i++)
            bytes +=
                (size_t)op->sets[i].cap *
                    (sizeof(ventry) +
                     (op->sets[i].nslots > 1 ? (size_t)op->sets[i].nslots * sizeof(int64_t) : 0)) +
                wr_idtab_bytes(&op->sets[i].tab);
    return bytes;
}

#define GA_OPS(KIND)                                                                               \
    {                                                                                              \
        .kind = KIND, .create = ga_create, .process = ga_process, .end_input = ga_end_input,       \
        .watermark = ga_watermark, .on_time = ga_on_time, .snapshot = ga_snapshot,                 \
        .state_bytes = ga_state_bytes, .destroy = ga_destroy,                                      \
    }

const wr_operator_ops wr_group_agg_ops = GA_OPS("group_agg");
const wr_operator_ops wr_group_agg_local_ops = GA_OPS("group_agg_local");
const wr_operator_ops wr_group_agg_global_ops = GA_OPS("group_agg_global");
