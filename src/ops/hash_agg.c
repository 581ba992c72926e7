/*
 * hash_agg.c — the batch hash aggregation operator; see aggregate.h.
 *
 * Groups live in one contiguous array of fixed-size state rows (one slot per
 * aggregate call, laid out by wr_agg_layout), numbered in order of first
 * appearance. A batch is processed column-at-a-time: first every active row
 * gets its group number from an open-addressing hash table (linear probing,
 * slots prefetched some rows ahead once the table outgrows the first-level
 * cache, states as soon as their group is known), then each aggregate runs
 * one tight loop over (row, group) pairs.
 *
 * Keys take one of two paths. A single group column of at most 8 bytes (the
 * common GROUP BY id, also a DATE, TIME, TIMESTAMP or interval) is held as a
 * 64-bit integer of its bits in the slot itself, with NULL as a group of its
 * own. Anything else (several columns, a DECIMAL's 16 bytes, a string or byte
 * string) is encoded per row into bytes of a fixed layout — NULL flags, each
 * column's value or string length at a fixed offset, then the string bytes
 * (character and byte strings alike) — built column by column
 * and compared as bytes; NULL keys encode equal, so they group together.
 * A group's key starts its state row (keys with strings: a reference into one
 * buffer of key bytes), so a probe and the updates after it touch the same
 * memory. Keys are decoded from there at the end; output strings are views
 * of the buffer.
 *
 * In two-phase aggregation (agg_phase.c) the same operator is the local
 * phase, writing states as intermediate columns at the end instead of
 * results, or the global phase, merging intermediate rows into its states
 * instead of updating them from input values.
 */
#include "aggregate_int.h"
#include "../base/alloc.h"
#include "../base/hash.h"

#include <string.h>

typedef struct hash_agg_spec {
    wr_type *in_types; /* of this operator's input: for the global phase the local's output */
    int nin;
    int *groups; /* into in_types: for the global phase 0..ngroups-1 */
    int ngroups;
    wr_agg_call *aggs;
    int naggs;
    wr_agg_phase phase;
    wr_type *call_types; /* what the calls' columns refer to: the original input */
    int ncall_types;
} hash_agg_spec;

typedef enum key_mode {
    KEYS_NONE,  /* global aggregation: one group */
    KEYS_INT,   /* one fixed-width column */
    KEYS_BYTES, /* encoded keys */
} key_mode;

typedef struct int_slot {
    int64_t key;
    uint32_t group1; /* group + 1; 0: empty */
    uint32_t unused;
} int_slot;

/* One value in a DISTINCT call's set: up to 8 bytes inline, longer ones in the heap. */
typedef struct dset_entry {
    uint64_t hash;
    uint64_t data; /* the bytes, or a pointer to them */
    uint32_t group1;
    uint32_t len;
} dset_entry;

/*
 * With KEYS_BYTES a group's state row starts with its key, so that comparing
 * the key and updating the states touch the same memory: fixed-length keys
 * themselves, string keys as a reference into one buffer of key bytes.
 */
typedef struct key_ref {
    uint64_t off;
    uint32_t len;
} key_ref;

typedef struct dset {
    dset_entry *slots;
    uint32_t mask; /* slots - 1 */
    uint32_t count;
} dset;

typedef struct hash_agg_op {
    wr_operator base;
    const hash_agg_spec *spec;
    wr_type *out_types;
    int nout;
    wr_agg_acc *accs;
    dset *dsets; /* per call; used by DISTINCT calls */

    /* Groups: state rows and the heap their strings and DISTINCT values live in. */
    wr_agg_states st;
    wr_arena heap;
    uint32_t ngroups, cap_groups;

    key_mode mode;
    /* KEYS_INT */
    size_t key_width;
    int_slot *islots;
    uint32_t imask;
    unsigned ishift; /* 64 - log2(slots) */
    int64_t *ikeys;  /* per group */
    int64_t null_group;
    /* KEYS_BYTES */
    uint64_t *bslots; /* SLOT(hash, group); 0: empty */
    uint32_t bmask;
    uint32_t *col_off; /* per group column: offset of its value in a key */
    size_t nflag, fixed;
    bool fixed_len; /* no string columns: every key is `fixed` bytes, kept in its record */
    uint8_t *kdata; /* string keys, in group order; a record's key_ref points in here */
    size_t kdata_len, kdata_cap;
    uint8_t *enc; /* this batch's keys */
    size_t enc_cap;

    /* Per-batch scratch, scratch_cap entries each. */
    int scratch_cap;
    uint32_t *ident; /* 0, 1, 2, ...: the rows of a batch without selection */
    uint32_t *gidx;  /* group of each active row */
    uint32_t *frows, *fgroups, *drows, *dgroups;
    uint64_t *hashes; /* KEYS_BYTES: each key's hash */
    uint32_t *home;   /* KEYS_INT: each key's home slot */
    int64_t *ikeybuf;
    uint32_t *elen;
    size_t *eoff, *scur;

    wr_batch *out;
} hash_agg_op;

/* ---- spec ------------------------------------------------------------------ */

static void spec_free(void *p)
{
    hash_agg_spec *spec = p;
    wr_free(spec->in_types);
    wr_free(spec->groups);
    wr_free(spec->aggs);
    wr_free(spec->call_types);
    wr_free(spec);
}

wr_operator_spec wr_hash_agg_spec(const wr_type *in_types, int nin, const int *groups, int ngroups,
                                  const wr_agg_call *aggs, int naggs)
{
    return wr_hash_agg_spec_phase(in_types, nin, groups, ngroups, aggs, naggs, WR_AGG_ONE_PHASE);
}

wr_operator_spec wr_hash_agg_spec_phase(const wr_type *in_types, int nin, const int *groups,
                                        int ngroups, const wr_agg_call *aggs, int naggs,
                                        wr_agg_phase phase)
{
    hash_agg_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->in_types = wr_memdup_array(in_types, nin, sizeof(*in_types));
    spec->nin = nin;
    spec->groups = wr_memdup_array(groups, ngroups, sizeof(*groups));
    spec->ngroups = ngroups;
    spec->aggs = wr_memdup_array(aggs, naggs, sizeof(*aggs));
    spec->naggs = naggs;
    spec->phase = phase;
    spec->call_types = wr_memdup_array(in_types, nin, sizeof(*in_types));
    spec->ncall_types = nin;
    /* The global phase groups by the leading columns of intermediate rows. Where they cannot
     * be worked out (a bad group column, calls that do not merge) the original input stays,
     * and create reports the problem. */
    int npart = WR_AGG_PARTIAL_MAX * naggs;
    wr_type *types = wr_malloc(sizeof(wr_type) * (size_t)(ngroups + npart + 1));
    bool ok = phase == WR_AGG_GLOBAL;
    for (int k = 0; ok && k < ngroups; k++) {
        ok = groups[k] >= 0 && groups[k] < nin;
        if (ok) types[k] = in_types[groups[k]];
    }
    if (ok) npart = wr_agg_partial_types(in_types, nin, aggs, naggs, types + ngroups);
    if (ok && npart >= 0) {
        wr_free(spec->in_types);
        spec->in_types = types;
        spec->nin = ngroups + npart;
        for (int k = 0; k < ngroups; k++) spec->groups[k] = k;
    } else {
        wr_free(types);
    }
    wr_operator_spec out = {&wr_hash_agg_ops, spec, spec_free, -1, false};
    return out;
}

/* ---- memory ---------------------------------------------------------------- */

static void ensure_scratch(hash_agg_op *op, int n)
{
    if (n <= op->scratch_cap) return;
    size_t c = (size_t)n;
    op->ident = wr_realloc(op->ident, c * sizeof(uint32_t));
    for (int i = op->scratch_cap; i < n; i++) op->ident[i] = (uint32_t)i;
    op->gidx = wr_realloc(op->gidx, c * sizeof(uint32_t));
    op->frows = wr_realloc(op->frows, c * sizeof(uint32_t));
    op->fgroups = wr_realloc(op->fgroups, c * sizeof(uint32_t));
    op->drows = wr_realloc(op->drows, c * sizeof(uint32_t));
    op->dgroups = wr_realloc(op->dgroups, c * sizeof(uint32_t));
    op->hashes = wr_realloc(op->hashes, c * sizeof(uint64_t));
    op->home = wr_realloc(op->home, c * sizeof(uint32_t));
    op->ikeybuf = wr_realloc(op->ikeybuf, c * sizeof(int64_t));
    op->elen = wr_realloc(op->elen, c * sizeof(uint32_t));
    op->eoff = wr_realloc(op->eoff, c * sizeof(size_t));
    op->scur = wr_realloc(op->scur, c * sizeof(size_t));
    op->scratch_cap = n;
}

/* Makes room for n more groups, whose states start zeroed (the empty accumulators). */
static void reserve_groups(hash_agg_op *op, int n)
{
    size_t need = (size_t)op->ngroups + (size_t)n;
    if (need <= op->cap_groups) return;
    assert(need < UINT32_MAX); /* group numbers are 32-bit, slots store them + 1 */
    size_t cap = WR_MAX((size_t)op->cap_groups * 2, WR_MAX(need, 1024));
    if (cap >= UINT32_MAX) cap = UINT32_MAX - 1;
    size_t stride = op->st.stride;
    if (stride) {
        op->st.rows = wr_realloc(op->st.rows, cap * stride);
        memset(op->st.rows + (size_t)op->cap_groups * stride, 0, (cap - op->cap_groups) * stride);
    }
    if (op->mode == KEYS_INT) op->ikeys = wr_realloc(op->ikeys, cap * sizeof(int64_t));
    op->cap_groups = (uint32_t)cap;
}

/*
 * How many keys a table of cap slots takes before it grows: half full while
 * it is small (short probes, few mispredicted branches), three quarters once
 * it is large, where memory counts more.
 */
static size_t table_fill(size_t cap)
{
    return cap <= (1u << 20) ? cap / 2 : cap / 4 * 3;
}

/* Slots for need keys: a power of two. */
static uint32_t table_size(size_t need)
{
    size_t cap = 1024;
    while (table_fill(cap) < need) cap *= 2;
    return (uint32_t)cap;
}

/* Whether memory of this size is past the first-level cache, where prefetching pays. */
static bool big(size_t bytes)
{
    return bytes > (64u << 10);
}

/* ---- KEYS_INT ---------------------------------------------------------------- */

/*
 * The slot of an integer key in a table of 2^(64 - shift) slots: Fibonacci
 * hashing, the top bits of the key times 2^64 / phi. One multiply that the
 * probe loops inline; nothing stores it, so it is free to differ from the
 * hashes that must stay stable (wr_hash_u64).
 */
static inline uint32_t int_home(int64_t key, unsigned shift)
{
    return (uint32_t)(((uint64_t)key * 0x9e3779b97f4a7c15ull) >> shift);
}

/* How many rows ahead the probe loops prefetch their slot. */
#define PREFETCH_AHEAD 32

static void int_reserve(hash_agg_op *op, int n)
{
    size_t need = (size_t)op->ngroups + (size_t)n;
    if (op->islots && need <= table_fill((size_t)op->imask + 1)) return;
    uint32_t cap = table_size(need), mask = cap - 1;
    unsigned shift = 64 - (unsigned)__builtin_ctz(cap);
    int_slot *old = op->islots, *slots = wr_calloc_written(cap, sizeof(int_slot));
    uint32_t old_cap = old ? op->imask + 1 : 0;
    /* In the old table's order: a key's new home is twice its old one or one more (the top
     * bits of its hash, one bit more), so the writes go in order instead of missing the cache
     * for every group. */
    for (uint32_t i = 0; i < old_cap; i++) {
        if (old[i].group1 == 0) continue;
        uint32_t s = int_home(old[i].key, shift);
        while (slots[s].group1) s = (s + 1) & mask;
        slots[s] = old[i];
    }
    wr_free(old);
    op->islots = slots;
    op->imask = mask;
    op->ishift = shift;
}

/* Loads the key bits of each row: any injective mapping to 64 bits does, so floats go as bits. */
static void int_load(const hash_agg_op *op, const wr_vector *v, const uint32_t *rows, int n)
{
    int64_t *k = op->ikeybuf;
    const uint8_t *d = v->data;
    switch (op->key_width) {
#define LOAD(T)                                                                                    \
    for (int i = 0; i < n; i++) {                                                                  \
        T x;                                                                                       \
        memcpy(&x, d + (size_t)rows[i] * sizeof(T), sizeof(T));                                    \
        k[i] = x;                                                                                  \
    }                                                                                              \
    break;
    case 1:
        LOAD(int8_t)
    case 2:
        LOAD(int16_t)
    case 4:
        LOAD(int32_t)
    default:
        LOAD(int64_t)
#undef LOAD
    }
}

static void int_assign(hash_agg_op *op, const wr_vector *v, const uint32_t *rows, int n)
{
    reserve_groups(op, n);
    int_reserve(op, n);
    int_load(op, v, rows, n);
    const int64_t *keys = op->ikeybuf;
    uint32_t *home = op->home;
    for (int i = 0; i < n; i++) home[i] = int_home(keys[i], op->ishift);
    /* Locals, so that the stores into the arrays need not reload them. */
    int_slot *slots = op->islots;
    uint32_t mask = op->imask, ngroups = op->ngroups, *gidx = op->gidx;
    int64_t *ikeys = op->ikeys;
    const uint64_t *valid = v->validity;
    uint8_t *states = op->st.rows;
    size_t stride = op->st.stride;
    bool prefetch = big((size_t)(mask + 1) * sizeof(int_slot));
    bool prefetch_states = big((size_t)op->cap_groups * stride);
    for (int i = 0; i < n; i++) {
        if (prefetch && i + PREFETCH_AHEAD < n)
            __builtin_prefetch(&slots[home[i + PREFETCH_AHEAD]]);
        uint32_t g;
        if (valid && !((valid[rows[i] >> 6] >> (rows[i] & 63)) & 1)) {
            if (op->null_group < 0) {
                op->null_group = ngroups;
                ikeys[ngroups++] = 0;
            }
            gidx[i] = (uint32_t)op->null_group;
            continue;
        }
        int64_t key = keys[i];
        uint32_t s = home[i];
        for (;;) {
            int_slot *slot = &slots[s];
            if (WR_LIKELY(slot->key == key && slot->group1)) {
                g = slot->group1 - 1;
                break;
            }
            if (slot->group1 == 0) {
                g = ngroups++;
                ikeys[g] = key;
                slot->key = key;
                slot->group1 = g + 1;
                break;
            }
            s = (s + 1) & mask;
        }
        gidx[i] = g;
        /* The aggregates' loops come to this state after the whole batch: fetch it now. */
        if (prefetch_states) __builtin_prefetch(states + (size_t)g * stride);
    }
    op->ngroups = ngroups;
}

static void int_write_keys(hash_agg_op *op, uint32_t first, int n)
{
    wr_vector *v = &op->out->cols[0];
    uint8_t *d = v->data;
    for (int i = 0; i < n; i++) {
        uint32_t g = first + (uint32_t)i;
        if ((int64_t)g == op->null_group) {
            wr_batch_set_null(op->out, 0, i);
            continue;
        }
        int64_t key = op->ikeys[g];
        switch (op->key_width) {
#define STORE(T)                                                                                   \
    {                                                                                              \
        T x = (T)key;                                                                              \
        memcpy(d + (size_t)i * sizeof(T), &x, sizeof(T));                                          \
    }                                                                                              \
    break;
        case 1:
            STORE(int8_t)
        case 2:
            STORE(int16_t)
        case 4:
            STORE(int32_t)
        default:
            STORE(int64_t)
#undef STORE
        }
    }
}

/* ---- KEYS_BYTES ---------------------------------------------------------------- */

/*
 * A slot holds the low 32 bits of its key's hash above the group number + 1
 * (0: empty). Those bits pick the slot in any table of up to 2^32 slots, so
 * growing rehashes from the slots alone; above the bits the mask uses they
 * also tell most different keys apart before their bytes are compared.
 */
#define SLOT(h, g) ((uint64_t)(uint32_t)(h) << 32 | ((uint64_t)(g) + 1))
#define SLOT_HASH(slot) ((uint32_t)((slot) >> 32))

static void bytes_reserve(hash_agg_op *op, int n)
{
    size_t need = (size_t)op->ngroups + (size_t)n;
    if (op->bslots && need <= table_fill((size_t)op->bmask + 1)) return;
    uint32_t cap = table_size(need), mask = cap - 1;
    uint64_t *old = op->bslots, *slots = wr_calloc_written(cap, sizeof(uint64_t));
    uint32_t old_cap = old ? op->bmask + 1 : 0;
    for (uint32_t i = 0; i < old_cap; i++) {
        if (old[i] == 0) continue;
        uint32_t s = SLOT_HASH(old[i]) & mask;
        while (slots[s]) s = (s + 1) & mask;
        slots[s] = old[i];
    }
    wr_free(old);
    op->bslots = slots;
    op->bmask = mask;
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

static inline uint64_t load32(const uint8_t *p)
{
    uint32_t x;
    memcpy(&x, p, 4);
    return x;
}

/*
 * The bytes of a key of len bytes (len > 0) after its whole words before the
 * last, as one word read with overlapping loads instead of a byte loop: with
 * those words it covers every byte, and for a given len it is a one-to-one
 * function of them, so it serves hashing and comparison alike.
 */
static inline uint64_t tail64(const uint8_t *p, size_t len)
{
    if (len >= 8) return load64(p + len - 8);
    if (len >= 4) return load32(p) | load32(p + len - 4) << 32;
    return p[0] | (uint64_t)p[len / 2] << 8 | (uint64_t)p[len - 1] << 16;
}

/*
 * The hash of an encoded key. Short keys (most: numbers, short strings) take
 * an inlined word-at-a-time hash, saving a library call per row; longer ones
 * xxHash, which is faster over many bytes. Nothing stores these hashes.
 */
static inline uint64_t key_hash(const uint8_t *p, size_t len)
{
    if (len > 32) return wr_hash_bytes(p, len);
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
    size_t words = len ? (len - 1) / 8 : 0; /* whole words before the tail */
    for (size_t i = 0; i < words; i++) {
        h = (h ^ load64(p + 8 * i)) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 29;
    }
    if (len) h = (h ^ tail64(p, len)) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 29);
}

/* Whether two keys of length len are equal; inlined for short keys, as key_hash. */
static inline bool key_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    if (len > 32) return memcmp(a, b, len) == 0;
    if (len == 0) return true;
    size_t words = (len - 1) / 8;
    for (size_t i = 0; i < words; i++)
        if (load64(a + 8 * i) != load64(b + 8 * i)) return false;
    return tail64(a, len) == tail64(b, len);
}

/* Encodes the group columns of the active rows into op->enc, key i at eoff[i], elen[i] bytes. */
static void bytes_encode(hash_agg_op *op, const wr_batch *in, const uint32_t *rows, int n)
{
    const hash_agg_spec *spec = op->spec;
    uint32_t *len = op->elen;
    for (int i = 0; i < n; i++) len[i] = (uint32_t)op->fixed;
    /* The layout follows the spec's types (op->col_off); the batch's agree with them. */
    for (int k = 0; k < spec->ngroups; k++) {
        const wr_vector *v = &in->cols[spec->groups[k]];
        if (!wr_type_is_view(spec->in_types[spec->groups[k]].id)) continue;
        const wr_str *s = v->data;
        for (int i = 0; i < n; i++)
            if (!wr_vector_is_null(v, (int)rows[i])) len[i] += s[rows[i]].len;
    }
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        op->eoff[i] = total;
        op->scur[i] = total + op->fixed;
        total += len[i];
    }
    if (total > op->enc_cap) {
        op->enc_cap = WR_MAX(total, op->enc_cap * 2);
        wr_free(op->enc);
        op->enc = wr_malloc(op->enc_cap);
    }
    uint8_t *enc = op->enc;
    if (op->nflag == 1)
        for (int i = 0; i < n; i++) enc[op->eoff[i]] = 0;
    else
        for (int i = 0; i < n; i++) memset(enc + op->eoff[i], 0, op->nflag);
    for (int k = 0; k < spec->ngroups; k++) {
        const wr_vector *v = &in->cols[spec->groups[k]];
        const uint8_t *d = v->data;
        size_t off = op->col_off[k];
        wr_type_id id = spec->in_types[spec->groups[k]].id;
        if (wr_type_is_view(id)) {
            const wr_str *s = v->data;
            for (int i = 0; i < n; i++) {
                uint8_t *p = enc + op->eoff[i];
                uint32_t r = rows[i], l = 0;
                if (wr_vector_is_null(v, (int)r)) {
                    p[k >> 3] |= (uint8_t)(1 << (k & 7));
                } else {
                    l = s[r].len;
                    if (l) memcpy(enc + op->scur[i], s[r].ptr, l);
                    op->scur[i] += l;
                }
                memcpy(p + off, &l, 4);
            }
            continue;
        }
        size_t w = wr_type_width(id);
        /* A NULL's value bytes are zeroed so that equal keys have equal bytes. */
#define PUT(W)                                                                                     \
    for (int i = 0; i < n; i++) {                                                                  \
        uint8_t *p = enc + op->eoff[i];                                                            \
        uint32_t r = rows[i];                                                                      \
        if (wr_vector_is_null(v, (int)r)) {                                                        \
            p[k >> 3] |= (uint8_t)(1 << (k & 7));                                                  \
            memset(p + off, 0, W);                                                                 \
        } else {                                                                                   \
            memcpy(p + off, d + (size_t)r * W, W);                                                 \
        }                                                                                          \
    }                                                                                              \
    break;
        switch (w) {
        case 1:
            PUT(1)
        case 2:
            PUT(2)
        case 4:
            PUT(4)
        case 8:
            PUT(8)
        default:
            PUT(w)
        }
#undef PUT
    }
}

static inline uint8_t *group_row(const hash_agg_op *op, uint32_t g)
{
    return op->st.rows + (size_t)g * op->st.stride;
}

/* Group g's key and its length. */
static inline const uint8_t *group_key(const hash_agg_op *op, uint32_t g, size_t *len)
{
    const uint8_t *row = group_row(op, g);
    if (op->fixed_len) {
        *len = op->fixed;
        return row;
    }
    const key_ref *ref = (const key_ref *)row;
    *len = ref->len;
    return op->kdata + ref->off;
}

static uint32_t bytes_new_group(hash_agg_op *op, const uint8_t *key, uint32_t len)
{
    uint32_t g = op->ngroups++;
    uint8_t *row = group_row(op, g);
    if (op->fixed_len) {
        memcpy(row, key, len);
        return g;
    }
    if (op->kdata_len + len > op->kdata_cap) {
        op->kdata_cap = WR_MAX(op->kdata_len + len, WR_MAX(op->kdata_cap * 2, 4096));
        op->kdata = wr_realloc(op->kdata, op->kdata_cap);
    }
    memcpy(op->kdata + op->kdata_len, key, len);
    key_ref *ref = (key_ref *)row;
    ref->off = op->kdata_len;
    ref->len = len;
    op->kdata_len += len;
    return g;
}

/*
 * Prefetching for a table past the caches, in steps so that the dependent
 * misses of a row overlap with other rows' work: its slot some rows ahead;
 * half as far ahead, the slot having arrived, its group's row (key and
 * states); a quarter as far, the bytes of a string key. The slot at a key's
 * home usually is its group's.
 */
WR_PREFETCH_HELPER void bytes_prefetch(const hash_agg_op *op, const uint64_t *h, int i, int n)
{
    const uint64_t *slots = op->bslots;
    uint32_t mask = op->bmask;
    if (i + PREFETCH_AHEAD < n) __builtin_prefetch(&slots[h[i + PREFETCH_AHEAD] & mask]);
    if (i + PREFETCH_AHEAD / 2 < n) {
        uint64_t slot = slots[h[i + PREFETCH_AHEAD / 2] & mask];
        if (slot) {
            const uint8_t *row = group_row(op, (uint32_t)slot - 1);
            __builtin_prefetch(row);
            if (op->st.stride > 64) __builtin_prefetch(row + 64);
        }
    }
    if (!op->fixed_len && i + PREFETCH_AHEAD / 4 < n) {
        uint64_t slot = slots[h[i + PREFETCH_AHEAD / 4] & mask];
        if (slot)
            __builtin_prefetch(op->kdata +
                               ((const key_ref *)group_row(op, (uint32_t)slot - 1))->off);
    }
}

static void bytes_assign(hash_agg_op *op, const wr_batch *in, const uint32_t *rows, int n)
{
    reserve_groups(op, n);
    bytes_reserve(op, n);
    bytes_encode(op, in, rows, n);
    uint64_t *h = op->hashes;
    for (int i = 0; i < n; i++) h[i] = key_hash(op->enc + op->eoff[i], op->elen[i]);
    uint64_t *slots = op->bslots;
    uint32_t mask = op->bmask;
    bool prefetch = big((size_t)(mask + 1) * sizeof(uint64_t));
    for (int i = 0; i < n; i++) {
        if (prefetch) bytes_prefetch(op, h, i, n);
        const uint8_t *key = op->enc + op->eoff[i];
        uint32_t len = op->elen[i], hash = (uint32_t)h[i], s = hash & mask, g;
        for (;;) {
            uint64_t slot = slots[s];
            if (slot == 0) {
                g = bytes_new_group(op, key, len);
                slots[s] = SLOT(hash, g);
                break;
            }
            if (SLOT_HASH(slot) == hash) {
                g = (uint32_t)slot - 1;
                size_t glen;
                const uint8_t *gkey = group_key(op, g, &glen);
                if (glen == len && key_equal(gkey, key, len)) break;
            }
            s = (s + 1) & mask;
        }
        op->gidx[i] = g;
    }
}

static void bytes_write_keys(hash_agg_op *op, uint32_t first, int n)
{
    const hash_agg_spec *spec = op->spec;
    wr_batch *out = op->out;
    for (int i = 0; i < n; i++) {
        size_t len;
        const uint8_t *p = group_key(op, first + (uint32_t)i, &len);
        size_t cursor = op->fixed;
        for (int k = 0; k < spec->ngroups; k++) {
            wr_vector *v = &out->cols[k];
            const uint8_t *at = p + op->col_off[k];
            bool null = (p[k >> 3] >> (k & 7)) & 1;
            if (wr_type_is_view(v->type.id)) {
                uint32_t l;
                memcpy(&l, at, 4);
                /* A view of the key buffer, which no longer moves. */
                ((wr_str *)v->data)[i] = (wr_str){(const char *)p + cursor, l};
                cursor += l;
            } else {
                size_t w = wr_type_width(v->type.id);
                memcpy((uint8_t *)v->data + (size_t)i * w, at, w);
            }
            if (null) wr_batch_set_null(out, k, i);
        }
    }
}

/* ---- FILTER and DISTINCT ----------------------------------------------------------- */

/* Keeps the pairs whose filter value is TRUE; returns how many, in op->frows/fgroups. */
static int apply_filter(hash_agg_op *op, const wr_vector *f, const uint32_t *rows,
                        const uint32_t *groups, int n)
{
    const uint8_t *x = f->data;
    int m = 0;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (x[r] && !wr_vector_is_null(f, (int)r)) {
            op->frows[m] = r;
            op->fgroups[m] = groups[i];
            m++;
        }
    }
    return m;
}

static void dset_put(dset *set, const dset_entry *e)
{
    uint32_t i = (uint32_t)e->hash & set->mask;
    while (set->slots[i].group1) i = (i + 1) & set->mask;
    set->slots[i] = *e;
}

static void dset_reserve(dset *set, int n)
{
    size_t need = (size_t)set->count + (size_t)n;
    if (set->slots && need <= table_fill((size_t)set->mask + 1)) return;
    uint32_t cap = table_size(need);
    dset_entry *old = set->slots;
    uint32_t old_cap = old ? set->mask + 1 : 0;
    set->slots = wr_calloc_written(cap, sizeof(dset_entry));
    set->mask = cap - 1;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i].group1) dset_put(set, &old[i]);
    wr_free(old);
}

/* Adds (group, value); true when it was not there yet. Longer values are copied into heap. */
static bool dset_add(dset *set, wr_arena *heap, uint32_t group, const void *p, uint32_t len)
{
    uint64_t h = wr_hash_u64(wr_hash_bytes(p, len) ^ group);
    uint64_t inl = 0;
    if (len && len <= 8) memcpy(&inl, p, len); /* an empty string's p may be NULL */
    uint32_t i = (uint32_t)h & set->mask;
    for (;; i = (i + 1) & set->mask) {
        dset_entry *e = &set->slots[i];
        if (e->group1 == 0) break;
        if (e->hash != h || e->group1 != group + 1 || e->len != len) continue;
        if (len <= 8 ? e->data == inl : memcmp((const void *)(uintptr_t)e->data, p, len) == 0)
            return false;
    }
    dset_entry *e = &set->slots[i];
    e->hash = h;
    e->group1 = group + 1;
    e->len = len;
    if (len <= 8) {
        e->data = inl;
    } else {
        void *copy = wr_arena_alloc(heap, len);
        memcpy(copy, p, len);
        e->data = (uint64_t)(uintptr_t)copy;
    }
    set->count++;
    return true;
}

/*
 * Keeps the pairs whose value is new to its group (NULLs never are: DISTINCT
 * aggregates ignore them); returns how many, in op->drows/dgroups.
 */
static int apply_distinct(hash_agg_op *op, dset *set, const wr_vector *v, const uint32_t *rows,
                          const uint32_t *groups, int n)
{
    dset_reserve(set, n);
    bool str = wr_type_is_view(v->type.id);
    size_t w = wr_type_width(v->type.id);
    const uint8_t *d = v->data;
    int m = 0;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (wr_vector_is_null(v, (int)r)) continue;
        const void *p = d + (size_t)r * w;
        uint32_t len = (uint32_t)w;
        if (str) {
            wr_str s = ((const wr_str *)d)[r];
            p = s.ptr;
            len = s.len;
        }
        if (dset_add(set, &op->heap, groups[i], p, len)) {
            op->drows[m] = r;
            op->dgroups[m] = groups[i];
            m++;
        }
    }
    return m;
}

/* ---- the operator ---------------------------------------------------------------- */

static void agg_destroy(wr_operator *base)
{
    hash_agg_op *op = (hash_agg_op *)base;
    wr_free(op->out_types);
    wr_free(op->accs);
    if (op->dsets)
        for (int i = 0; i < op->spec->naggs; i++) wr_free(op->dsets[i].slots);
    wr_free(op->dsets);
    wr_free(op->st.rows);
    wr_arena_fini(&op->heap);
    wr_free(op->islots);
    wr_free(op->ikeys);
    wr_free(op->bslots);
    wr_free(op->col_off);
    wr_free(op->kdata);
    wr_free(op->enc);
    wr_free(op->ident);
    wr_free(op->gidx);
    wr_free(op->frows);
    wr_free(op->fgroups);
    wr_free(op->drows);
    wr_free(op->dgroups);
    wr_free(op->hashes);
    wr_free(op->home);
    wr_free(op->ikeybuf);
    wr_free(op->elen);
    wr_free(op->eoff);
    wr_free(op->scur);
    wr_batch_free(op->out);
    wr_free(op);
}

static wr_operator *agg_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const hash_agg_spec *spec = p;
    hash_agg_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_hash_agg_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->null_group = -1;
    wr_arena_init(&op->heap, 64 << 10);
    op->st.heap = &op->heap;
    for (int k = 0; k < spec->ngroups; k++) {
        if (spec->groups[k] < 0 || spec->groups[k] >= spec->nin) {
            wr_error_set(err, WR_ERR_VALIDATION,
                         "hash aggregation groups by column %d of an input with %d columns",
                         spec->groups[k], spec->nin);
            goto fail;
        }
    }
    op->accs = wr_calloc((size_t)WR_MAX(spec->naggs, 1), sizeof(wr_agg_acc));
    op->dsets = wr_calloc((size_t)WR_MAX(spec->naggs, 1), sizeof(dset));
    for (int i = 0; i < spec->naggs; i++)
        if (wr_agg_acc_init(&op->accs[i], &spec->aggs[i], spec->call_types, spec->ncall_types, err))
            goto fail;
    if (spec->phase != WR_AGG_ONE_PHASE && wr_agg_phase_init(op->accs, spec->naggs, err)) goto fail;
    op->out_types =
        wr_malloc(sizeof(wr_type) * (size_t)(spec->ngroups + WR_AGG_PARTIAL_MAX * spec->naggs + 1));
    wr_agg_output_types(spec->in_types, spec->groups, spec->ngroups, spec->aggs, spec->naggs,
                        op->out_types);
    op->nout = spec->ngroups +
               (spec->phase == WR_AGG_LOCAL
                    ? wr_agg_phase_types(op->accs, spec->naggs, op->out_types + spec->ngroups)
                    : spec->naggs);
    op->out = wr_batch_new(op->out_types, op->nout, WR_BATCH_CAPACITY);

    size_t prefix = 0; /* bytes of key before the states in a group's row */
    if (spec->ngroups == 0) {
        op->mode = KEYS_NONE;
    } else if (spec->ngroups == 1 && !wr_type_is_view(spec->in_types[spec->groups[0]].id) &&
               wr_type_width(spec->in_types[spec->groups[0]].id) <= 8) {
        op->mode = KEYS_INT;
        op->key_width = wr_type_width(spec->in_types[spec->groups[0]].id);
    } else {
        op->mode = KEYS_BYTES;
        op->nflag = ((size_t)spec->ngroups + 7) / 8;
        op->col_off = wr_malloc((size_t)spec->ngroups * sizeof(uint32_t));
        size_t off = op->nflag;
        op->fixed_len = true;
        for (int k = 0; k < spec->ngroups; k++) {
            wr_type_id id = spec->in_types[spec->groups[k]].id;
            op->col_off[k] = (uint32_t)off;
            off += wr_type_is_view(id) ? 4 : wr_type_width(id);
            if (wr_type_is_view(id)) op->fixed_len = false;
        }
        op->fixed = off;
        prefix = op->fixed_len ? op->fixed : sizeof(key_ref);
    }
    size_t states = wr_agg_layout(op->accs, spec->naggs), align = _Alignof(key_ref);
    for (int i = 0; i < spec->naggs; i++) align = WR_MAX(align, op->accs[i].align);
    prefix = (prefix + align - 1) & ~(align - 1);
    for (int i = 0; i < spec->naggs; i++) op->accs[i].offset += (uint32_t)prefix;
    op->st.stride = (prefix + states + align - 1) & ~(align - 1);
    if (op->mode == KEYS_NONE) {
        reserve_groups(op, 1);
        op->ngroups = 1;
        op->st.single = true;
    }
    return &op->base;
fail:
    agg_destroy(&op->base);
    return NULL;
}

static int agg_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    hash_agg_op *op = (hash_agg_op *)base;
    const hash_agg_spec *spec = op->spec;
    int n = wr_batch_rows(in);
    if (n == 0) return 0;
    ensure_scratch(op, in->count);
    const uint32_t *rows = in->sel ? in->sel : op->ident;
    if (wr_batch_check_inserts(in, "hash aggregation", err)) return err->code;
    switch (op->mode) {
    case KEYS_NONE:
        memset(op->gidx, 0, (size_t)n * sizeof(uint32_t));
        break;
    case KEYS_INT:
        int_assign(op, &in->cols[spec->groups[0]], rows, n);
        break;
    case KEYS_BYTES:
        bytes_assign(op, in, rows, n);
        break;
    }
    if (spec->phase == WR_AGG_GLOBAL)
        return wr_agg_phase_absorb(op->accs, spec->naggs, &op->st, in, spec->ngroups, rows,
                                   op->gidx, n, err);
    for (int c = 0; c < spec->naggs; c++) {
        const wr_agg_acc *acc = &op->accs[c];
        const uint32_t *r = rows, *g = op->gidx;
        int m = n;
        if (acc->filter >= 0) {
            m = apply_filter(op, &in->cols[acc->filter], r, g, m);
            r = op->frows;
            g = op->fgroups;
        }
        const wr_vector *a = acc->nargs > 0 ? &in->cols[acc->args[0]] : NULL;
        const wr_vector *b = acc->nargs > 1 ? &in->cols[acc->args[1]] : NULL;
        if (acc->distinct && m > 0) {
            m = apply_distinct(op, &op->dsets[c], a, r, g, m);
            r = op->drows;
            g = op->dgroups;
        }
        if (m == 0) continue;
        /* A user function reads all its arguments: it gets the columns (acc->args index them). */
        if (acc->kind == WR_AGG_USER) a = in->cols;
        int rc = acc->update(acc, &op->st, a, b, r, g, m, err);
        if (rc) return rc;
    }
    return 0;
}

static int agg_end_input(wr_operator *base, int input, wr_error *err)
{
    hash_agg_op *op = (hash_agg_op *)base;
    const hash_agg_spec *spec = op->spec;
    wr_batch *out = op->out;
    for (uint32_t first = 0; first < op->ngroups; first += (uint32_t)out->capacity) {
        if (wr_op_cancelled(base->ctx)) return wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
        int n = (int)WR_MIN((uint32_t)out->capacity, op->ngroups - first);
        wr_batch_reset(out);
        if (op->mode == KEYS_INT) int_write_keys(op, first, n);
        if (op->mode == KEYS_BYTES) bytes_write_keys(op, first, n);
        int rc = 0;
        if (spec->phase == WR_AGG_LOCAL)
            wr_agg_phase_partial(op->accs, spec->naggs, &op->st, first, n, out, spec->ngroups);
        else
            for (int c = 0; c < spec->naggs && rc == 0; c++)
                rc = wr_agg_acc_final(&op->accs[c], &op->st, first, n, out, spec->ngroups + c, 0,
                                      err);
        if (rc) return rc;
        out->count = n;
        rc = wr_op_emit(base->ctx, out, err);
        if (rc) return rc;
    }
    return 0;
}

/*
 * State bytes: the capacity of the groups' state rows, integer keys and key table, the string
 * keys, and the heap of kept strings and DISTINCT values (DISTINCT sets' tables not counted).
 */
static size_t agg_state_bytes(const wr_operator *base)
{
    const hash_agg_op *op = (const hash_agg_op *)base;
    return (size_t)op->cap_groups * op->st.stride +
           (op->ikeys ? (size_t)op->cap_groups * sizeof(int64_t) : 0) +
           (op->islots ? ((size_t)op->imask + 1) * sizeof(int_slot) : 0) +
           (op->bslots ? ((size_t)op->bmask + 1) * sizeof(uint64_t) : 0) + op->kdata_cap +
           wr_arena_used(&op->heap);
}

const wr_operator_ops wr_hash_agg_ops = {
    .kind = "hash_agg",
    .create = agg_create,
    .process = agg_process,
    .end_input = agg_end_input,
    .state_bytes = agg_state_bytes,
    .destroy = agg_destroy,
};
