/*
 * keyed.c — the heap keyed-state backend; see keyed.h.
 *
 * Every owned key group has one open-addressing table (linear probing,
 * backward-shift deletion, power-of-two capacity at most 3/4 full) of
 * {hash, pointer} slots. The hash lives in the slot, so a probe touches an
 * entry only when the hashes agree, and growth never rehashes bytes. An entry
 * is one allocation: header, key bytes, namespace bytes and, for value state,
 * the value (8-aligned). List state packs its elements into one buffer; map state nests a
 * table of the same shape. Lookups compare state id, key and namespace in
 * place and never allocate.
 */
#include "keyed.h"
#include "keygroup.h"
#include "../base/alloc.h"
#include "../base/bytes.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../base/slab.h"
#include "../base/vec.h"
#include "../base/wr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- open-addressing table of {hash, pointer} ---- */

typedef struct slot {
    uint64_t hash;
    void *p; /* NULL: empty */
} slot;

typedef struct table {
    slot *slots;   /* NULL until the first insert */
    uint32_t mask; /* capacity - 1 */
    uint32_t n;
} table;

#define TABLE_MIN_CAP 2 /* most map states of a key hold one entry (a join side's row) */

static size_t table_cap(const table *t)
{
    return t->slots ? (size_t)t->mask + 1 : 0;
}

/* Puts p in the first free slot of its probe sequence; the table must have room. */
static uint32_t table_place(table *t, uint64_t hash, void *p)
{
    uint32_t i = (uint32_t)hash & t->mask;
    while (t->slots[i].p) i = (i + 1) & t->mask;
    t->slots[i].hash = hash;
    t->slots[i].p = p;
    t->n++;
    return i;
}

/* Doubles the capacity (or allocates the first slots) from sl; adds the growth to *bytes. */
static void table_grow(table *t, wr_slab *sl, size_t *bytes)
{
    size_t old_cap = table_cap(t);
    size_t cap = old_cap ? old_cap * 2 : TABLE_MIN_CAP;
    assert(cap - 1 <= UINT32_MAX);
    slot *old = t->slots;
    t->slots = wr_slab_alloc(sl, cap * sizeof(slot));
    memset(t->slots, 0, cap * sizeof(slot));
    t->mask = (uint32_t)(cap - 1);
    t->n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].p) table_place(t, old[i].hash, old[i].p);
    wr_slab_free(sl, old, old_cap * sizeof(slot));
    *bytes += (cap - old_cap) * sizeof(slot);
}

/* Inserts p, whose key must be absent; returns its slot. */
static uint32_t table_insert(table *t, uint64_t hash, void *p, wr_slab *sl, size_t *bytes)
{
    if (((size_t)t->n + 1) * 4 > table_cap(t) * 3) table_grow(t, sl, bytes);
    return table_place(t, hash, p);
}

/*
 * Empties slot i and shifts later members of its cluster back into the hole
 * when their home slot allows it, so probes never need tombstones.
 */
static void table_remove_at(table *t, uint32_t i)
{
    uint32_t mask = t->mask;
    for (uint32_t j = (i + 1) & mask; t->slots[j].p; j = (j + 1) & mask) {
        uint32_t home = (uint32_t)t->slots[j].hash & mask;
        /* j may move to i when i lies in [home, j) cyclically. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i].p = NULL;
    t->slots[i].hash = 0;
    t->n--;
}

static void table_fini(table *t, wr_slab *sl, size_t *bytes)
{
    *bytes -= table_cap(t) * sizeof(slot);
    wr_slab_free(sl, t->slots, table_cap(t) * sizeof(slot));
    memset(t, 0, sizeof(*t));
}

/*
 * Removes every member for which dead(ctx, p) is true; dead frees p itself.
 * The scan starts just after an empty slot, so no cluster wraps past its
 * start: a backward shift then only moves members not yet visited into the
 * current slot, which is examined again, and every member is seen once.
 */
static void table_sweep(table *t, bool (*dead)(void *ctx, void *p), void *ctx)
{
    if (t->n == 0) return;
    size_t cap = table_cap(t), start = 0;
    while (t->slots[start].p) start++; /* the load factor leaves an empty slot */
    for (size_t k = 1; k <= cap; k++) {
        uint32_t i = (uint32_t)((start + k) & t->mask);
        while (t->slots[i].p && dead(ctx, t->slots[i].p)) table_remove_at(t, i);
    }
}

static inline void bytes_copy(void *dst, const void *src, size_t n)
{
    if (n) memmove(dst, src, n); /* src may alias dst: put(get()) */
}

/* ---- the backend ---- */

typedef struct kstate {
    char *name;
    wr_state_kind kind;
    int64_t ttl_ms; /* 0: no TTL */
    wr_ttl_update update;
} kstate;

/* One map-state entry: the user key, then the value, in data. */
typedef struct mentry {
    int64_t ts; /* last access, when the state has a TTL */
    uint32_t uklen, vlen, vcap;
    char data[];
} mentry;

/*
 * One (state, key, namespace). List elements are records packed in buf from
 * head to end: [ts, 8 bytes, only with a TTL][length, 4 bytes][bytes].
 * Elements before head expired and wait for the next compaction.
 */
typedef struct entry {
    int32_t id;
    uint32_t klen, nslen;
    union {
        struct {
            int64_t ts;
            uint32_t len, cap;
        } val;
        struct {
            char *buf;
            size_t head, end, cap;
        } list;
        table map;
    } u;
    char data[]; /* key, namespace, then a value state's value */
} entry;

_Static_assert(offsetof(entry, data) % 8 == 0, "values are 8-aligned");

struct wr_keyed {
    int max_parallelism, kg_first, kg_last;
    wr_state_clock clock;
    void *clock_arg;
    WR_VEC(kstate) states;
    bool any_ttl;
    table *tables; /* one per owned key group, kg_first first */

    /* The current key. */
    char *key;
    size_t klen, kcap;
    uint64_t khash;
    int kg;     /* -1 before the first wr_keyed_set_key */
    table *tab; /* tables[kg - kg_first] */

    size_t count, bytes;
    /* Every entry, map entry, list buffer and table of slots: freed at once at the end. */
    wr_slab slab;
};

static const kstate *state_of(const wr_keyed *ks, int id, wr_state_kind kind)
{
    assert(id >= 0 && id < ks->states.n);
    assert(ks->states.v[id].kind == kind);
    assert(ks->tab != NULL); /* wr_keyed_set_key first */
    WR_UNUSED(kind);
    return &ks->states.v[id];
}

static int64_t now_ms(const wr_keyed *ks)
{
    return ks->clock ? ks->clock(ks->clock_arg) : wr_clock_wall_ms();
}

/* Flink's rule: a value last accessed at ts is expired once ts + ttl <= now. */
static inline bool expired(const kstate *st, int64_t ts, int64_t now)
{
    return now - ts >= st->ttl_ms;
}

static inline uint64_t entry_hash_of(uint64_t khash, int id, const void *ns, size_t nslen)
{
    uint64_t h = khash + (uint64_t)(id + 1) * 0x9e3779b97f4a7c15ULL;
    if (nslen) h ^= wr_hash_bytes(ns, nslen) * 0xc2b2ae3d27d4eb4fULL;
    /* Keys of one group share hash % max_parallelism: mix before using low bits. */
    return wr_hash_u64(h);
}

static inline uint64_t entry_hash(const wr_keyed *ks, int id, const void *ns, size_t nslen)
{
    return entry_hash_of(ks->khash, id, ns, nslen);
}

static inline char *entry_ns(entry *e)
{
    return e->data + e->klen;
}

/* A value state's value starts 8-aligned, so a getter's pointer may be read as a struct. */
static inline size_t value_offset(size_t klen, size_t nslen)
{
    return (klen + nslen + 7) & ~(size_t)7;
}

static inline char *entry_value(entry *e)
{
    return e->data + value_offset(e->klen, e->nslen);
}

/* Finds (id, current key, ns) in the current key's table and its slot. */
static inline entry *entry_find(const wr_keyed *ks, int id, const void *ns, size_t nslen,
                                uint64_t hash, uint32_t *at)
{
    const table *t = ks->tab;
    if (!t->slots) return NULL;
    for (uint32_t i = (uint32_t)hash & t->mask; t->slots[i].p; i = (i + 1) & t->mask) {
        if (t->slots[i].hash != hash) continue;
        entry *e = t->slots[i].p;
        if (e->id == id && e->klen == ks->klen && e->nslen == nslen &&
            wr_bytes_eq(e->data, ks->key, ks->klen) && wr_bytes_eq(entry_ns(e), ns, nslen)) {
            *at = i;
            return e;
        }
    }
    return NULL;
}

/* Adds an empty entry for (id, current key, ns) with room for a value of vcap bytes. */
static entry *entry_insert(wr_keyed *ks, int id, const void *ns, size_t nslen, uint64_t hash,
                           size_t vcap, uint32_t *at)
{
    assert(nslen <= UINT32_MAX && vcap <= UINT32_MAX);
    bool is_value = ks->states.v[id].kind == WR_STATE_VALUE;
    size_t size =
        sizeof(entry) + (is_value ? value_offset(ks->klen, nslen) + vcap : ks->klen + nslen);
    entry *e = wr_slab_alloc(&ks->slab, size);
    memset(e, 0, sizeof(*e));
    e->id = id;
    e->klen = (uint32_t)ks->klen;
    e->nslen = (uint32_t)nslen;
    bytes_copy(e->data, ks->key, ks->klen);
    bytes_copy(entry_ns(e), ns, nslen);
    if (is_value) e->u.val.cap = (uint32_t)vcap;
    *at = table_insert(ks->tab, hash, e, &ks->slab, &ks->bytes);
    ks->count++;
    ks->bytes += size;
    return e;
}

static void mentry_release(wr_keyed *ks, mentry *me)
{
    size_t size = sizeof(mentry) + me->uklen + me->vcap;
    ks->bytes -= size;
    wr_slab_free(&ks->slab, me, size);
}

/* Frees e and its content; the caller has already taken it out of its table. */
static void entry_release(wr_keyed *ks, entry *e)
{
    size_t size = sizeof(entry) + e->klen + e->nslen;
    switch (ks->states.v[e->id].kind) {
    case WR_STATE_VALUE:
        size = sizeof(entry) + value_offset(e->klen, e->nslen) + e->u.val.cap;
        break;
    case WR_STATE_LIST:
        ks->bytes -= e->u.list.cap;
        wr_slab_free(&ks->slab, e->u.list.buf, e->u.list.cap);
        break;
    case WR_STATE_MAP:
        for (size_t i = 0; i < table_cap(&e->u.map); i++)
            if (e->u.map.slots[i].p) mentry_release(ks, e->u.map.slots[i].p);
        table_fini(&e->u.map, &ks->slab, &ks->bytes);
        break;
    }
    ks->bytes -= size;
    ks->count--;
    wr_slab_free(&ks->slab, e, size);
}

static void entry_remove(wr_keyed *ks, table *t, uint32_t at)
{
    entry *e = t->slots[at].p;
    table_remove_at(t, at);
    entry_release(ks, e);
}

wr_keyed *wr_keyed_new(int max_parallelism, int kg_first, int kg_last, wr_state_clock clock,
                       void *clock_arg)
{
    assert(max_parallelism > 0);
    assert(0 <= kg_first && kg_first <= kg_last && kg_last < max_parallelism);
    wr_keyed *ks = wr_calloc(1, sizeof(*ks));
    ks->max_parallelism = max_parallelism;
    ks->kg_first = kg_first;
    ks->kg_last = kg_last;
    ks->clock = clock;
    ks->clock_arg = clock_arg;
    ks->tables = wr_calloc((size_t)(kg_last - kg_first + 1), sizeof(table));
    ks->kcap = 64;
    ks->key = wr_malloc(ks->kcap);
    wr_slab_init(&ks->slab);
    ks->kg = -1;
    return ks;
}

void wr_keyed_free(wr_keyed *ks)
{
    if (!ks) return;
    wr_slab_fini(&ks->slab); /* every entry and table, without visiting them */
    for (int i = 0; i < ks->states.n; i++) wr_free(ks->states.v[i].name);
    WR_VEC_FREE(&ks->states);
    wr_free(ks->tables);
    wr_free(ks->key);
    wr_free(ks);
}

/*
 * Declaring an existing name with the same kind returns its id and keeps the
 * TTL it was first declared with.
 */
int wr_keyed_register(wr_keyed *ks, const char *name, wr_state_kind kind, const wr_state_ttl *ttl)
{
    for (int i = 0; i < ks->states.n; i++)
        if (strcmp(ks->states.v[i].name, name) == 0) return ks->states.v[i].kind == kind ? i : -1;
    kstate st = {.name = wr_strdup(name), .kind = kind};
    if (ttl && ttl->ttl_ms > 0) {
        st.ttl_ms = ttl->ttl_ms;
        st.update = ttl->update;
        ks->any_ttl = true;
    }
    WR_VEC_PUSH(&ks->states, st);
    return ks->states.n - 1;
}

int wr_keyed_nstates(const wr_keyed *ks)
{
    return ks->states.n;
}

const char *wr_keyed_state_name(const wr_keyed *ks, int id)
{
    assert(id >= 0 && id < ks->states.n);
    return ks->states.v[id].name;
}

/* Copies the key bytes; the caller sets khash. */
static void key_copy(wr_keyed *ks, const void *key, size_t len)
{
    assert(len <= UINT32_MAX);
    if (len > ks->kcap) {
        while (ks->kcap < len) ks->kcap *= 2;
        char *buf = wr_malloc(ks->kcap);
        bytes_copy(buf, key, len); /* key may be the old buffer (wr_keyed_key) */
        wr_free(ks->key);
        ks->key = buf;
    } else {
        bytes_copy(ks->key, key, len);
    }
    ks->klen = len;
}

static void key_group_set(wr_keyed *ks, uint64_t khash)
{
    ks->khash = khash;
    ks->kg = wr_keygroup_of_hash(khash, ks->max_parallelism);
    if (ks->kg < ks->kg_first || ks->kg > ks->kg_last) {
        /* A record reached a subtask that does not own its key group: a routing bug. */
        fprintf(stderr, "weir: key group %d is not in this subtask's range %d..%d\n", ks->kg,
                ks->kg_first, ks->kg_last);
        abort();
    }
    ks->tab = &ks->tables[ks->kg - ks->kg_first];
}

void wr_keyed_set_key(wr_keyed *ks, const void *key, size_t len)
{
    key_copy(ks, key, len);
    key_group_set(ks, wr_hash_bytes(ks->key, len));
}

void wr_keyed_set_key_hinted(wr_keyed *ks, const void *key, size_t len, const wr_keyed_hint *hint)
{
    key_copy(ks, key, len);
    key_group_set(ks, hint->khash);
}

void wr_keyed_hint_slot(wr_keyed *ks, wr_keyed_hint *hint, const void *key, size_t klen, int id,
                        const void *ns, size_t nslen)
{
    hint->khash = wr_hash_bytes(key, klen);
    hint->hash = entry_hash_of(hint->khash, id, ns, nslen);
    hint->kg = wr_keygroup_of_hash(hint->khash, ks->max_parallelism);
    if (hint->kg < ks->kg_first || hint->kg > ks->kg_last) return; /* set_key will say */
    const table *t = &ks->tables[hint->kg - ks->kg_first];
    if (t->slots) __builtin_prefetch(&t->slots[(uint32_t)hint->hash & t->mask]);
}

void wr_keyed_hint_entry(const wr_keyed *ks, const wr_keyed_hint *hint)
{
    if (hint->kg < ks->kg_first || hint->kg > ks->kg_last) return;
    /* Read the table as it is now: it may have grown since the slot hint. */
    const table *t = &ks->tables[hint->kg - ks->kg_first];
    if (t->slots == NULL) return;
    const void *p = t->slots[(uint32_t)hint->hash & t->mask].p;
    if (p) __builtin_prefetch(p);
}

const void *wr_keyed_key(const wr_keyed *ks, size_t *len)
{
    *len = ks->klen;
    return ks->key;
}

int wr_keyed_keygroup(const wr_keyed *ks)
{
    return ks->kg;
}

/* ---- value state ---- */

const void *wr_keyed_value_get(wr_keyed *ks, int id, const void *ns, size_t nslen, size_t *len)
{
    const kstate *st = state_of(ks, id, WR_STATE_VALUE);
    uint32_t at;
    entry *e = entry_find(ks, id, ns, nslen, entry_hash(ks, id, ns, nslen), &at);
    if (e && st->ttl_ms) {
        int64_t now = now_ms(ks);
        if (expired(st, e->u.val.ts, now)) {
            entry_remove(ks, ks->tab, at);
            e = NULL;
        } else if (st->update == WR_TTL_ON_READ_AND_WRITE) {
            e->u.val.ts = now;
        }
    }
    if (!e) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = e->u.val.len;
    return entry_value(e);
}

/* Stores val as the value of (id, current key, ns); the caller sets its ts. */
static entry *value_store(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *val,
                          size_t len)
{
    assert(len <= UINT32_MAX);
    uint64_t hash = entry_hash(ks, id, ns, nslen);
    uint32_t at;
    entry *e = entry_find(ks, id, ns, nslen, hash, &at);
    if (!e) {
        e = entry_insert(ks, id, ns, nslen, hash, len, &at);
    } else if (len > e->u.val.cap) {
        /* val cannot point into the old value: that is shorter than len. */
        size_t cap = WR_MAX(len, (size_t)e->u.val.cap * 2);
        cap = WR_MIN(cap, UINT32_MAX);
        ks->bytes += cap - e->u.val.cap;
        size_t head = sizeof(entry) + value_offset(e->klen, e->nslen);
        e = wr_slab_realloc(&ks->slab, e, head + e->u.val.cap, head + cap);
        e->u.val.cap = (uint32_t)cap;
        ks->tab->slots[at].p = e;
    }
    bytes_copy(entry_value(e), val, len);
    e->u.val.len = (uint32_t)len;
    return e;
}

void wr_keyed_value_put(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *val,
                        size_t len)
{
    const kstate *st = state_of(ks, id, WR_STATE_VALUE);
    entry *e = value_store(ks, id, ns, nslen, val, len);
    if (st->ttl_ms) e->u.val.ts = now_ms(ks);
}

void wr_keyed_value_restore(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *val,
                            size_t len, int64_t ts)
{
    const kstate *st = state_of(ks, id, WR_STATE_VALUE);
    entry *e = value_store(ks, id, ns, nslen, val, len);
    if (st->ttl_ms) e->u.val.ts = ts;
}

/* ---- list state ---- */

static inline size_t list_hdr(const kstate *st)
{
    return st->ttl_ms ? 12 : 4;
}

static inline uint32_t rec_len(const char *rec, size_t hdr)
{
    uint32_t n;
    memcpy(&n, rec + hdr - 4, 4);
    return n;
}

static inline int64_t rec_ts(const char *rec)
{
    int64_t ts;
    memcpy(&ts, rec, 8);
    return ts;
}

/* Skips the expired elements at the front; returns true when none is left. */
static bool list_drop_expired_prefix(const kstate *st, entry *e, int64_t now)
{
    size_t hdr = list_hdr(st);
    char *buf = e->u.list.buf;
    while (e->u.list.head < e->u.list.end && expired(st, rec_ts(buf + e->u.list.head), now))
        e->u.list.head += hdr + rec_len(buf + e->u.list.head, hdr);
    if (e->u.list.head < e->u.list.end) return false;
    e->u.list.head = e->u.list.end = 0;
    return true;
}

/* Removes every expired element and moves the rest to the front; true when none is left. */
static bool list_compact(const kstate *st, entry *e, int64_t now)
{
    size_t hdr = list_hdr(st), r = e->u.list.head, w = 0;
    char *buf = e->u.list.buf;
    while (r < e->u.list.end) {
        size_t size = hdr + rec_len(buf + r, hdr);
        if (!expired(st, rec_ts(buf + r), now)) {
            if (w != r) memmove(buf + w, buf + r, size);
            w += size;
        }
        r += size;
    }
    e->u.list.head = 0;
    e->u.list.end = w;
    return w == 0;
}

/* Appends an element last accessed at ts (written only with a TTL) to e's list. */
static void list_append(wr_keyed *ks, const kstate *st, entry *e, const void *val, size_t len,
                        int64_t ts)
{
    assert(len <= UINT32_MAX);
    /* val may be an element of this very list, which the moves below would clobber. */
    char *copy = NULL;
    uintptr_t v = (uintptr_t)val, b = (uintptr_t)e->u.list.buf;
    if (len && b && v >= b && v < b + e->u.list.cap) {
        copy = wr_malloc(len);
        memcpy(copy, val, len);
        val = copy;
    }
    size_t hdr = list_hdr(st), need = hdr + len;
    if (e->u.list.end + need > e->u.list.cap) {
        if (e->u.list.head > 0) { /* reclaim the expired prefix first */
            e->u.list.end -= e->u.list.head;
            memmove(e->u.list.buf, e->u.list.buf + e->u.list.head, e->u.list.end);
            e->u.list.head = 0;
        }
        if (e->u.list.end + need > e->u.list.cap) {
            size_t cap = WR_MAX(e->u.list.cap * 2, e->u.list.end + need);
            cap = WR_MAX(cap, 64);
            e->u.list.buf = wr_slab_realloc(&ks->slab, e->u.list.buf, e->u.list.cap, cap);
            ks->bytes += cap - e->u.list.cap;
            e->u.list.cap = cap;
        }
    }
    char *rec = e->u.list.buf + e->u.list.end;
    uint32_t n32 = (uint32_t)len;
    if (st->ttl_ms) memcpy(rec, &ts, 8);
    memcpy(rec + hdr - 4, &n32, 4);
    bytes_copy(rec + hdr, val, len);
    e->u.list.end += need;
    wr_free(copy);
}

/* The list entry of (id, current key, ns), created empty when absent. */
static entry *list_entry(wr_keyed *ks, int id, const void *ns, size_t nslen)
{
    uint64_t hash = entry_hash(ks, id, ns, nslen);
    uint32_t at;
    entry *e = entry_find(ks, id, ns, nslen, hash, &at);
    return e ? e : entry_insert(ks, id, ns, nslen, hash, 0, &at);
}

void wr_keyed_list_add(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *val,
                       size_t len)
{
    const kstate *st = state_of(ks, id, WR_STATE_LIST);
    entry *e = list_entry(ks, id, ns, nslen);
    int64_t now = 0;
    if (st->ttl_ms) {
        now = now_ms(ks);
        list_drop_expired_prefix(st, e, now);
    }
    list_append(ks, st, e, val, len, now);
}

void wr_keyed_list_restore(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *val,
                           size_t len, int64_t ts)
{
    const kstate *st = state_of(ks, id, WR_STATE_LIST);
    list_append(ks, st, list_entry(ks, id, ns, nslen), val, len, ts);
}

/*
 * Starting an iteration (*pos == 0) of a list with a TTL first compacts away
 * its expired elements, removing the entry when none is left. pos is then the
 * byte offset of the next record.
 */
bool wr_keyed_list_next(wr_keyed *ks, int id, const void *ns, size_t nslen, size_t *pos,
                        const void **val, size_t *len)
{
    const kstate *st = state_of(ks, id, WR_STATE_LIST);
    uint32_t at;
    entry *e = entry_find(ks, id, ns, nslen, entry_hash(ks, id, ns, nslen), &at);
    if (!e) return false;
    int64_t now = st->ttl_ms ? now_ms(ks) : 0;
    if (*pos == 0) {
        if (st->ttl_ms && list_compact(st, e, now)) {
            entry_remove(ks, ks->tab, at);
            return false;
        }
        *pos = e->u.list.head;
    }
    size_t hdr = list_hdr(st);
    while (*pos < e->u.list.end) {
        char *rec = e->u.list.buf + *pos;
        uint32_t n = rec_len(rec, hdr);
        *pos += hdr + n;
        if (st->ttl_ms) {
            if (expired(st, rec_ts(rec), now)) continue;
            if (st->update == WR_TTL_ON_READ_AND_WRITE) memcpy(rec, &now, 8);
        }
        *val = rec + hdr;
        *len = n;
        return true;
    }
    return false;
}

/* ---- map state ---- */

static inline mentry *mentry_find(const table *t, uint64_t hash, const void *ukey, size_t uklen,
                                  uint32_t *at)
{
    if (!t->slots) return NULL;
    for (uint32_t i = (uint32_t)hash & t->mask; t->slots[i].p; i = (i + 1) & t->mask) {
        if (t->slots[i].hash != hash) continue;
        mentry *me = t->slots[i].p;
        if (me->uklen == uklen && wr_bytes_eq(me->data, ukey, uklen)) {
            *at = i;
            return me;
        }
    }
    return NULL;
}

/* Removes the map entry in slot mat of e, and e itself when that empties it. */
static void map_remove_at(wr_keyed *ks, entry *e, uint32_t at, uint32_t mat)
{
    mentry *me = e->u.map.slots[mat].p;
    table_remove_at(&e->u.map, mat);
    mentry_release(ks, me);
    if (e->u.map.n == 0) entry_remove(ks, ks->tab, at);
}

typedef struct sweep_ctx {
    wr_keyed *ks;
    const kstate *st;
    int64_t now;
} sweep_ctx;

static bool mentry_dead(void *arg, void *p)
{
    sweep_ctx *ctx = arg;
    mentry *me = p;
    if (!expired(ctx->st, me->ts, ctx->now)) return false;
    mentry_release(ctx->ks, me);
    return true;
}

/* Removes the expired entries of e's map; returns true when none is left. */
static bool map_sweep(wr_keyed *ks, const kstate *st, entry *e, int64_t now)
{
    sweep_ctx ctx = {ks, st, now};
    table_sweep(&e->u.map, mentry_dead, &ctx);
    return e->u.map.n == 0;
}

const void *wr_keyed_map_get(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *ukey,
                             size_t uklen, size_t *len)
{
    const kstate *st = state_of(ks, id, WR_STATE_MAP);
    uint32_t at, mat;
    entry *e = entry_find(ks, id, ns, nslen, entry_hash(ks, id, ns, nslen), &at);
    mentry *me = e ? mentry_find(&e->u.map, wr_hash_bytes(ukey, uklen), ukey, uklen, &mat) : NULL;
    if (me && st->ttl_ms) {
        int64_t now = now_ms(ks);
        if (expired(st, me->ts, now)) {
            map_remove_at(ks, e, at, mat);
            me = NULL;
        } else if (st->update == WR_TTL_ON_READ_AND_WRITE) {
            me->ts = now;
        }
    }
    if (!me) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = me->vlen;
    return me->data + me->uklen;
}

/* Puts (ukey, val) in the map of (id, current key, ns), last accessed at ts. */
static void map_store(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *ukey,
                      size_t uklen, const void *val, size_t len, int64_t ts)
{
    assert(uklen <= UINT32_MAX && len <= UINT32_MAX);
    uint64_t hash = entry_hash(ks, id, ns, nslen), mhash = wr_hash_bytes(ukey, uklen);
    uint32_t at, mat;
    entry *e = entry_find(ks, id, ns, nslen, hash, &at);
    if (!e) e = entry_insert(ks, id, ns, nslen, hash, 0, &at);
    mentry *me = mentry_find(&e->u.map, mhash, ukey, uklen, &mat);
    if (!me) {
        me = wr_slab_alloc(&ks->slab, sizeof(mentry) + uklen + len);
        me->uklen = (uint32_t)uklen;
        me->vcap = (uint32_t)len;
        bytes_copy(me->data, ukey, uklen);
        table_insert(&e->u.map, mhash, me, &ks->slab, &ks->bytes);
        ks->bytes += sizeof(mentry) + uklen + len;
    } else if (len > me->vcap) {
        ks->bytes += len - me->vcap;
        me = wr_slab_realloc(&ks->slab, me, sizeof(mentry) + uklen + me->vcap,
                             sizeof(mentry) + uklen + len);
        me->vcap = (uint32_t)len;
        e->u.map.slots[mat].p = me;
    }
    bytes_copy(me->data + uklen, val, len);
    me->vlen = (uint32_t)len;
    me->ts = ts;
}

void wr_keyed_map_put(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *ukey,
                      size_t uklen, const void *val, size_t len)
{
    const kstate *st = state_of(ks, id, WR_STATE_MAP);
    map_store(ks, id, ns, nslen, ukey, uklen, val, len, st->ttl_ms ? now_ms(ks) : 0);
}

void wr_keyed_map_restore(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *ukey,
                          size_t uklen, const void *val, size_t len, int64_t ts)
{
    const kstate *st = state_of(ks, id, WR_STATE_MAP);
    map_store(ks, id, ns, nslen, ukey, uklen, val, len, st->ttl_ms ? ts : 0);
}

bool wr_keyed_map_remove(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *ukey,
                         size_t uklen)
{
    const kstate *st = state_of(ks, id, WR_STATE_MAP);
    uint32_t at, mat;
    entry *e = entry_find(ks, id, ns, nslen, entry_hash(ks, id, ns, nslen), &at);
    mentry *me = e ? mentry_find(&e->u.map, wr_hash_bytes(ukey, uklen), ukey, uklen, &mat) : NULL;
    if (!me) return false;
    bool live = !st->ttl_ms || !expired(st, me->ts, now_ms(ks));
    map_remove_at(ks, e, at, mat);
    return live;
}

/* How many slots ahead of an iteration of a map its entries are prefetched. */
#define MAP_AHEAD 16

/*
 * As for lists, starting an iteration of a map with a TTL first removes its
 * expired entries. pos is one past the slot of the entry last returned.
 */
bool wr_keyed_map_next(wr_keyed *ks, int id, const void *ns, size_t nslen, size_t *pos,
                       const void **ukey, size_t *uklen, const void **val, size_t *len)
{
    const kstate *st = state_of(ks, id, WR_STATE_MAP);
    uint32_t at;
    entry *e = entry_find(ks, id, ns, nslen, entry_hash(ks, id, ns, nslen), &at);
    if (!e) return false;
    int64_t now = st->ttl_ms ? now_ms(ks) : 0;
    if (*pos == 0 && st->ttl_ms && map_sweep(ks, st, e, now)) {
        entry_remove(ks, ks->tab, at);
        return false;
    }
    size_t cap = table_cap(&e->u.map);
    const slot *slots = e->u.map.slots;
    /* The entries lie scattered in memory: they are announced MAP_AHEAD slots ahead of the
     * scan, so that their cache misses overlap instead of coming one per call. */
    if (*pos == 0)
        for (size_t i = 0; i < MAP_AHEAD && i < cap; i++)
            if (slots[i].p) __builtin_prefetch(slots[i].p);
    while (*pos < cap) {
        size_t ahead = *pos + MAP_AHEAD;
        if (ahead < cap && slots[ahead].p) __builtin_prefetch(slots[ahead].p);
        mentry *me = slots[(*pos)++].p;
        if (!me) continue;
        if (st->ttl_ms) {
            if (expired(st, me->ts, now)) continue;
            if (st->update == WR_TTL_ON_READ_AND_WRITE) me->ts = now;
        }
        *ukey = me->data;
        *uklen = me->uklen;
        *val = me->data + me->uklen;
        *len = me->vlen;
        return true;
    }
    return false;
}

/* ---- any kind ---- */

/*
 * Drops the expired content of e; returns true when nothing is left. Reads
 * made here do not refresh TTLs: they are the backend's, not the user's.
 */
static bool entry_purge(wr_keyed *ks, const kstate *st, entry *e, int64_t now)
{
    switch (st->kind) {
    case WR_STATE_VALUE:
        return expired(st, e->u.val.ts, now);
    case WR_STATE_LIST:
        return list_compact(st, e, now);
    case WR_STATE_MAP:
        return map_sweep(ks, st, e, now);
    }
    return false;
}

/* exists() does not count as a read for WR_TTL_ON_READ_AND_WRITE. */
bool wr_keyed_exists(wr_keyed *ks, int id, const void *ns, size_t nslen)
{
    assert(id >= 0 && id < ks->states.n);
    const kstate *st = state_of(ks, id, ks->states.v[id].kind);
    uint32_t at;
    entry *e = entry_find(ks, id, ns, nslen, entry_hash(ks, id, ns, nslen), &at);
    if (!e) return false;
    if (!st->ttl_ms) return true; /* empty entries are never kept */
    int64_t now = now_ms(ks);
    bool empty;
    switch (st->kind) {
    case WR_STATE_LIST:
        /* The element after the expired prefix is live: no need to look further. */
        empty = list_drop_expired_prefix(st, e, now);
        break;
    case WR_STATE_MAP:
        empty = true;
        for (size_t i = 0; empty && i < table_cap(&e->u.map); i++) {
            mentry *me = e->u.map.slots[i].p;
            if (me && !expired(st, me->ts, now)) empty = false;
        }
        break;
    default:
        empty = entry_purge(ks, st, e, now);
        break;
    }
    if (empty) entry_remove(ks, ks->tab, at);
    return !empty;
}

void wr_keyed_clear(wr_keyed *ks, int id, const void *ns, size_t nslen)
{
    assert(id >= 0 && id < ks->states.n);
    state_of(ks, id, ks->states.v[id].kind);
    uint32_t at;
    if (entry_find(ks, id, ns, nslen, entry_hash(ks, id, ns, nslen), &at))
        entry_remove(ks, ks->tab, at);
}

static bool entry_dead(void *arg, void *p)
{
    sweep_ctx *ctx = arg;
    entry *e = p;
    const kstate *st = &ctx->ks->states.v[e->id];
    if (!st->ttl_ms || !entry_purge(ctx->ks, st, e, ctx->now)) return false;
    entry_release(ctx->ks, e);
    return true;
}

/* Expired content of the group is removed first, so fn sees live entries only. */
void wr_keyed_for_each(wr_keyed *ks, int kg, void (*fn)(void *arg, const wr_keyed_entry *e),
                       void *arg)
{
    assert(kg >= ks->kg_first && kg <= ks->kg_last);
    table *t = &ks->tables[kg - ks->kg_first];
    if (ks->any_ttl) {
        sweep_ctx ctx = {ks, NULL, now_ms(ks)};
        table_sweep(t, entry_dead, &ctx);
    }
    /*
     * Slot order is random memory order: pull entries a few slots ahead, or
     * a callback that does real work (a snapshot) waits on every entry's miss.
     */
    enum { AHEAD = 8 };
    size_t cap = table_cap(t);
    for (size_t i = 0; i < cap; i++) {
        if (i + AHEAD < cap && t->slots[i + AHEAD].p) {
            const char *ahead = t->slots[i + AHEAD].p;
            __builtin_prefetch(ahead);
            __builtin_prefetch(ahead + 64);
        }
        entry *e = t->slots[i].p;
        if (!e) continue;
        wr_keyed_entry out = {.id = e->id,
                              .key = e->data,
                              .ns = entry_ns(e),
                              .klen = e->klen,
                              .nslen = e->nslen,
                              .kind = ks->states.v[e->id].kind,
                              .stored = e};
        fn(arg, &out);
    }
}

/*
 * pos is 0 or 1 for a value; the byte offset of the next record for a list
 * (its expired prefix was dropped by the sweep, so records from head are
 * live); one past the slot last returned for a map.
 */
bool wr_keyed_entry_next(const wr_keyed *ks, const wr_keyed_entry *we, size_t *pos,
                         wr_keyed_item *item)
{
    const entry *e = we->stored;
    const kstate *st = &ks->states.v[e->id];
    item->ukey = NULL;
    item->uklen = 0;
    item->ts = 0;
    switch (st->kind) {
    case WR_STATE_VALUE:
        if (*pos) return false;
        *pos = 1;
        item->val = e->data + value_offset(e->klen, e->nslen);
        item->len = e->u.val.len;
        if (st->ttl_ms) item->ts = e->u.val.ts;
        return true;
    case WR_STATE_LIST: {
        size_t hdr = list_hdr(st);
        if (*pos < e->u.list.head) *pos = e->u.list.head;
        if (*pos >= e->u.list.end) return false;
        const char *rec = e->u.list.buf + *pos;
        item->len = rec_len(rec, hdr);
        item->val = rec + hdr;
        if (st->ttl_ms) item->ts = rec_ts(rec);
        *pos += hdr + item->len;
        return true;
    }
    case WR_STATE_MAP:
        while (*pos < table_cap(&e->u.map)) {
            const mentry *me = e->u.map.slots[(*pos)++].p;
            if (!me) continue;
            item->ukey = me->data;
            item->uklen = me->uklen;
            item->val = me->data + me->uklen;
            item->len = me->vlen;
            item->ts = me->ts;
            return true;
        }
        return false;
    }
    return false;
}

size_t wr_keyed_count(const wr_keyed *ks)
{
    return ks->count;
}

size_t wr_keyed_bytes(const wr_keyed *ks)
{
    return ks->bytes;
}

size_t wr_keyed_group_count(const wr_keyed *ks, int kg)
{
    assert(kg >= ks->kg_first && kg <= ks->kg_last);
    return ks->tables[kg - ks->kg_first].n;
}

void wr_keyed_keygroups(const wr_keyed *ks, int *max_parallelism, int *kg_first, int *kg_last)
{
    *max_parallelism = ks->max_parallelism;
    *kg_first = ks->kg_first;
    *kg_last = ks->kg_last;
}

int wr_keyed_state_id(const wr_keyed *ks, const char *name)
{
    for (int i = 0; i < ks->states.n; i++)
        if (strcmp(ks->states.v[i].name, name) == 0) return i;
    return -1;
}

wr_state_kind wr_keyed_state_kind(const wr_keyed *ks, int id)
{
    assert(id >= 0 && id < ks->states.n);
    return ks->states.v[id].kind;
}

wr_state_ttl wr_keyed_state_ttl(const wr_keyed *ks, int id)
{
    assert(id >= 0 && id < ks->states.n);
    return (wr_state_ttl){.ttl_ms = ks->states.v[id].ttl_ms, .update = ks->states.v[id].update};
}

int64_t wr_keyed_now(const wr_keyed *ks)
{
    return now_ms(ks);
}
