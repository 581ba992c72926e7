/*
 * timers.c — the timer service; see timers.h.
 *
 * Each timer is one allocation (header, key bytes, namespace bytes) held by
 * two structures: a binary min-heap per domain ordered by (time, registration
 * sequence), whose entries carry those two fields so sifting stays within the
 * heap array, and one open-addressing hash set over (domain, time, key,
 * namespace) for dedupe and delete lookups. Delete removes the timer from the
 * set and marks it dead; dead timers leave the heap when they reach its top.
 * Live timers are also chained per key group in registration order, so a
 * snapshot of one group visits that group's timers only.
 */
#include "timers.h"
#include "../base/alloc.h"
#include "../base/bytes.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../base/wr.h"

#include <string.h>

typedef struct timer_rec {
    int64_t time;
    uint64_t hash; /* of (domain, time, key, ns): its set slot is found without rehashing */
    uint64_t seq;  /* registration order, breaks ties of time */
    bool dead;     /* deleted; leaves the heap when it reaches the top */
    uint32_t klen, nslen;
    int keygroup;
    wr_time_domain domain;
    struct timer_rec *prev, *next; /* in its key group's chain, while live */
    char data[];                   /* key, then namespace */
} timer_rec;

/* The live timers of one key group, oldest registration first. */
typedef struct group_chain {
    timer_rec *head, *tail;
} group_chain;

/*
 * The hash set: linear probing over {hash, timer} slots, backward-shift
 * deletion, power-of-two capacity at most 3/4 full (as in keyed.c).
 */
typedef struct slot {
    uint64_t hash;
    timer_rec *t; /* NULL: empty */
} slot;

/*
 * Heap entries carry the ordering fields by value, so sifting never touches
 * the timer records (which are scattered over memory). Deleted timers stay
 * in the heap, marked dead, until they reach the top; the top is always live.
 */
typedef struct hent {
    int64_t time;
    uint64_t seq;
    timer_rec *t;
} hent;

typedef WR_VEC(hent) heap_vec;

struct wr_timers {
    heap_vec heap[2]; /* indexed by wr_time_domain */
    int ndead[2];     /* dead entries in each heap */
    slot *slots;
    size_t cap, n; /* cap is 0 or a power of two */
    uint64_t seq;
    timer_rec *popped;   /* the last popped timer, freed by the next pop */
    group_chain *groups; /* indexed by key group */
    int ngroups;
};

static void chain_append(wr_timers *ts, timer_rec *t)
{
    assert(t->keygroup >= 0);
    if (t->keygroup >= ts->ngroups) {
        int n = WR_MAX(ts->ngroups * 2, t->keygroup + 1);
        ts->groups = wr_realloc(ts->groups, (size_t)n * sizeof(group_chain));
        memset(ts->groups + ts->ngroups, 0, (size_t)(n - ts->ngroups) * sizeof(group_chain));
        ts->ngroups = n;
    }
    group_chain *g = &ts->groups[t->keygroup];
    t->prev = g->tail;
    t->next = NULL;
    if (g->tail)
        g->tail->next = t;
    else
        g->head = t;
    g->tail = t;
}

static void chain_remove(wr_timers *ts, timer_rec *t)
{
    group_chain *g = &ts->groups[t->keygroup];
    if (t->prev)
        t->prev->next = t->next;
    else
        g->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        g->tail = t->prev;
}

static void set_place(wr_timers *ts, uint64_t hash, timer_rec *t)
{
    size_t i = hash & (ts->cap - 1);
    while (ts->slots[i].t) i = (i + 1) & (ts->cap - 1);
    ts->slots[i].hash = hash;
    ts->slots[i].t = t;
    ts->n++;
}

static void set_insert(wr_timers *ts, uint64_t hash, timer_rec *t)
{
    if ((ts->n + 1) * 4 > ts->cap * 3) {
        size_t old_cap = ts->cap;
        slot *old = ts->slots;
        ts->cap = old_cap ? old_cap * 2 : 16;
        ts->slots = wr_calloc(ts->cap, sizeof(slot));
        ts->n = 0;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].t) set_place(ts, old[i].hash, old[i].t);
        wr_free(old);
    }
    set_place(ts, hash, t);
}

static void set_remove_at(wr_timers *ts, size_t i)
{
    size_t mask = ts->cap - 1;
    for (size_t j = (i + 1) & mask; ts->slots[j].t; j = (j + 1) & mask) {
        size_t home = ts->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) { /* i lies in [home, j) */
            ts->slots[i] = ts->slots[j];
            i = j;
        }
    }
    ts->slots[i].t = NULL;
    ts->slots[i].hash = 0;
    ts->n--;
}

static uint64_t timer_hash(wr_time_domain domain, int64_t time, const void *key, size_t klen,
                           const void *ns, size_t nslen)
{
    uint64_t h = wr_hash_bytes(key, klen);
    h ^= wr_hash_u64((uint64_t)time * 2 + (uint64_t)domain);
    if (nslen) h += wr_hash_bytes(ns, nslen) * 0x9e3779b97f4a7c15ULL;
    return wr_hash_u64(h);
}

/* The set slot of the timer (domain, time, key, ns), or -1. */
static ptrdiff_t set_find(const wr_timers *ts, uint64_t hash, wr_time_domain domain, int64_t time,
                          const void *key, size_t klen, const void *ns, size_t nslen)
{
    if (ts->cap == 0) return -1;
    size_t mask = ts->cap - 1;
    for (size_t i = hash & mask; ts->slots[i].t; i = (i + 1) & mask) {
        const timer_rec *t = ts->slots[i].t;
        if (ts->slots[i].hash == hash && t->time == time && t->domain == domain &&
            t->klen == klen && t->nslen == nslen && wr_bytes_eq(t->data, key, klen) &&
            wr_bytes_eq(t->data + klen, ns, nslen))
            return (ptrdiff_t)i;
    }
    return -1;
}

/* ---- the heaps ---- */

static inline bool before(const hent *a, const hent *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void sift_up(hent *v, int i)
{
    hent e = v[i];
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!before(&e, &v[parent])) break;
        v[i] = v[parent];
        i = parent;
    }
    v[i] = e;
}

static void sift_down(hent *v, int n, int i)
{
    hent e = v[i];
    for (;;) {
        int child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && before(&v[child + 1], &v[child])) child++;
        if (!before(&v[child], &e)) break;
        v[i] = v[child];
        i = child;
    }
    v[i] = e;
}

static void heap_pop_top(heap_vec *heap)
{
    hent last = heap->v[--heap->n];
    if (heap->n == 0) return;
    heap->v[0] = last;
    sift_down(heap->v, heap->n, 0);
}

/* Frees deleted timers that reached the top, so the top is live. */
static void heap_purge(heap_vec *heap, int *ndead)
{
    while (heap->n && heap->v[0].t->dead) {
        wr_free(heap->v[0].t);
        heap_pop_top(heap);
        (*ndead)--;
    }
}

/*
 * Frees every dead entry and rebuilds the heap, once the dead outnumber the
 * live: memory stays proportional to live timers even when a far-off timer
 * at the top keeps the dead from surfacing (delete-and-reregister patterns).
 */
static void heap_compact(heap_vec *heap, int *ndead)
{
    if (*ndead < 64 || *ndead < heap->n - *ndead) return;
    int n = 0;
    for (int i = 0; i < heap->n; i++) {
        if (heap->v[i].t->dead)
            wr_free(heap->v[i].t);
        else
            heap->v[n++] = heap->v[i];
    }
    heap->n = n;
    *ndead = 0;
    for (int i = n / 2 - 1; i >= 0; i--) sift_down(heap->v, n, i);
}

wr_timers *wr_timers_new(void)
{
    return wr_calloc(1, sizeof(wr_timers));
}

void wr_timers_free(wr_timers *ts)
{
    if (!ts) return;
    for (int d = 0; d < 2; d++) {
        for (int i = 0; i < ts->heap[d].n; i++) wr_free(ts->heap[d].v[i].t);
        WR_VEC_FREE(&ts->heap[d]);
    }
    wr_free(ts->slots);
    wr_free(ts->popped);
    wr_free(ts->groups);
    wr_free(ts);
}

bool wr_timers_register(wr_timers *ts, wr_time_domain domain, int64_t time, const void *key,
                        size_t klen, const void *ns, size_t nslen, int keygroup)
{
    assert(domain == WR_EVENT_TIME || domain == WR_PROCESSING_TIME);
    assert(klen <= UINT32_MAX && nslen <= UINT32_MAX);
    uint64_t hash = timer_hash(domain, time, key, klen, ns, nslen);
    if (set_find(ts, hash, domain, time, key, klen, ns, nslen) >= 0) return false;
    timer_rec *t = wr_malloc(sizeof(timer_rec) + klen + nslen);
    t->time = time;
    t->hash = hash;
    t->seq = ts->seq++;
    t->dead = false;
    t->klen = (uint32_t)klen;
    t->nslen = (uint32_t)nslen;
    t->keygroup = keygroup;
    t->domain = domain;
    if (klen) memcpy(t->data, key, klen);
    if (nslen) memcpy(t->data + klen, ns, nslen);
    set_insert(ts, hash, t);
    chain_append(ts, t);
    heap_vec *heap = &ts->heap[domain];
    WR_VEC_PUSH(heap, ((hent){time, t->seq, t}));
    sift_up(heap->v, heap->n - 1);
    return true;
}

bool wr_timers_delete(wr_timers *ts, wr_time_domain domain, int64_t time, const void *key,
                      size_t klen, const void *ns, size_t nslen)
{
    uint64_t hash = timer_hash(domain, time, key, klen, ns, nslen);
    ptrdiff_t at = set_find(ts, hash, domain, time, key, klen, ns, nslen);
    if (at < 0) return false;
    timer_rec *t = ts->slots[at].t;
    set_remove_at(ts, (size_t)at);
    chain_remove(ts, t);
    t->dead = true;
    ts->ndead[domain]++;
    heap_purge(&ts->heap[domain], &ts->ndead[domain]);
    heap_compact(&ts->heap[domain], &ts->ndead[domain]);
    return true;
}

int64_t wr_timers_next(const wr_timers *ts, wr_time_domain domain)
{
    return ts->heap[domain].n ? ts->heap[domain].v[0].time : INT64_MAX;
}

static void describe(const timer_rec *t, wr_timer *out)
{
    out->domain = t->domain;
    out->time = t->time;
    out->key = t->data;
    out->klen = t->klen;
    out->ns = t->data + t->klen;
    out->nslen = t->nslen;
    out->keygroup = t->keygroup;
}

/*
 * The popped timer stays allocated until the next pop, a little longer than
 * the header promises, so a handler may pass its bytes back to register.
 */
bool wr_timers_pop(wr_timers *ts, wr_time_domain domain, int64_t limit, wr_timer *out)
{
    heap_vec *heap = &ts->heap[domain];
    if (heap->n == 0 || heap->v[0].time > limit) return false;
    timer_rec *t = heap->v[0].t;
    heap_pop_top(heap);
    heap_purge(heap, &ts->ndead[domain]);
    size_t at = t->hash & (ts->cap - 1);
    while (ts->slots[at].t != t) at = (at + 1) & (ts->cap - 1);
    set_remove_at(ts, at);
    chain_remove(ts, t);
    wr_free(ts->popped);
    ts->popped = t;
    describe(t, out);
    return true;
}

size_t wr_timers_count(const wr_timers *ts)
{
    return ts->n;
}

void wr_timers_for_each(const wr_timers *ts, int kg, void (*fn)(void *arg, const wr_timer *t),
                        void *arg)
{
    if (kg < 0 || kg >= ts->ngroups) return;
    for (const timer_rec *t = ts->groups[kg].head; t; t = t->next) {
        wr_timer out;
        describe(t, &out);
        fn(arg, &out);
    }
}
