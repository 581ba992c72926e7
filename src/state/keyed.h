/*
 * keyed.h — the heap keyed-state backend: state scoped by key and namespace.
 *
 * One backend serves one operator instance (one subtask) and holds the state
 * of the key groups that subtask owns, one hash table per key group, so a
 * checkpoint can write and a restore can read state group by group and a job
 * can be rescaled by moving whole groups. Every access is relative to the
 * current key (wr_keyed_set_key) and a namespace (opaque bytes; empty for
 * plain keyed state, an encoded window for window state).
 *
 * Values are opaque byte strings copied in and out. A pointer returned by a
 * getter stays valid until the next call that modifies the backend.
 *
 * State TTL follows Flink's StateTtlConfig: a value (for list state each
 * element, for map state each entry) remembers when it was last written (or
 * also read, with WR_TTL_ON_READ_AND_WRITE) in processing time; once ttl_ms
 * have passed it is never returned again and is removed when met.
 *
 * Thread rule: a backend is used by its task's thread only.
 */
#ifndef WR_STATE_KEYED_H
#define WR_STATE_KEYED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wr_keyed wr_keyed;

typedef enum wr_state_kind {
    WR_STATE_VALUE, /* one value; also backs reducing and aggregating state */
    WR_STATE_LIST,  /* a list of values in insertion order */
    WR_STATE_MAP,   /* user key -> value */
} wr_state_kind;

typedef enum wr_ttl_update {
    WR_TTL_ON_CREATE_AND_WRITE, /* writes restart the lifetime */
    WR_TTL_ON_READ_AND_WRITE,   /* reads restart it too */
} wr_ttl_update;

typedef struct wr_state_ttl {
    int64_t ttl_ms; /* 0: values never expire */
    wr_ttl_update update;
} wr_state_ttl;

/* Processing time in milliseconds, for TTL; tests pass a fake clock. */
typedef int64_t (*wr_state_clock)(void *arg);

/*
 * A backend for key groups [kg_first, kg_last] of max_parallelism groups.
 * clock may be NULL (wall clock).
 */
wr_keyed *wr_keyed_new(int max_parallelism, int kg_first, int kg_last, wr_state_clock clock,
                       void *clock_arg);
void wr_keyed_free(wr_keyed *ks);

/*
 * Declares a state by name and returns its id (>= 0). Declaring an existing
 * name again returns the same id; -1 when the kind differs. ttl may be NULL.
 */
int wr_keyed_register(wr_keyed *ks, const char *name, wr_state_kind kind, const wr_state_ttl *ttl);
int wr_keyed_nstates(const wr_keyed *ks);
const char *wr_keyed_state_name(const wr_keyed *ks, int id);

/*
 * Sets the current key: its bytes are copied, its key group is
 * wr_keygroup_of_hash(wr_hash_bytes(key)) and must be one of the backend's.
 */
void wr_keyed_set_key(wr_keyed *ks, const void *key, size_t len);
const void *wr_keyed_key(const wr_keyed *ks, size_t *len);
int wr_keyed_keygroup(const wr_keyed *ks);

/*
 * Prefetching, for operators that know their next lookups (the rows of a
 * batch). Over state larger than the caches a lookup costs two dependent
 * cache misses: the table slot, then the entry it points to. Announce a
 * lookup of (state id, key, ns) some rows ahead with wr_keyed_hint_slot,
 * a few rows later pull its entry with wr_keyed_hint_entry, and make the key
 * current with wr_keyed_set_key_hinted (which reuses the key's hash). Hints
 * only move memory toward the cache; they never change the backend.
 */
typedef struct wr_keyed_hint {
    uint64_t khash; /* of the key bytes */
    uint64_t hash;  /* of (state, key, namespace) */
    int kg;
} wr_keyed_hint;

void wr_keyed_hint_slot(wr_keyed *ks, wr_keyed_hint *hint, const void *key, size_t klen, int id,
                        const void *ns, size_t nslen);
void wr_keyed_hint_entry(const wr_keyed *ks, const wr_keyed_hint *hint);
/* As wr_keyed_set_key for the key a hint was made for. */
void wr_keyed_set_key_hinted(wr_keyed *ks, const void *key, size_t len, const wr_keyed_hint *hint);

/* ---- value state (of the current key) ---- */
const void *wr_keyed_value_get(wr_keyed *ks, int id, const void *ns, size_t nslen, size_t *len);
void wr_keyed_value_put(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *val,
                        size_t len);

/* ---- list state ---- */
void wr_keyed_list_add(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *val,
                       size_t len);
/*
 * Iterates the live elements: start with *pos = 0; returns false at the end.
 * The list must not be modified while iterating.
 */
bool wr_keyed_list_next(wr_keyed *ks, int id, const void *ns, size_t nslen, size_t *pos,
                        const void **val, size_t *len);

/* ---- map state ---- */
const void *wr_keyed_map_get(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *ukey,
                             size_t uklen, size_t *len);
void wr_keyed_map_put(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *ukey,
                      size_t uklen, const void *val, size_t len);
/* Returns true when the entry existed. */
bool wr_keyed_map_remove(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *ukey,
                         size_t uklen);
/* As wr_keyed_list_next, over the live entries in unspecified order. */
bool wr_keyed_map_next(wr_keyed *ks, int id, const void *ns, size_t nslen, size_t *pos,
                       const void **ukey, size_t *uklen, const void **val, size_t *len);

/* ---- any kind ---- */
/* Whether the state holds a live value (an element, an entry) for key and namespace. */
bool wr_keyed_exists(wr_keyed *ks, int id, const void *ns, size_t nslen);
void wr_keyed_clear(wr_keyed *ks, int id, const void *ns, size_t nslen);

/* ---- whole backend: snapshots, statistics ---- */

/* One stored (state, key, namespace) and its content, as the snapshot sees it. */
typedef struct wr_keyed_entry {
    int id;
    const void *key, *ns;
    size_t klen, nslen;
    wr_state_kind kind;
    const void *stored; /* the backend's entry, for wr_keyed_entry_next */
} wr_keyed_entry;

/*
 * One piece of an entry's content: the value of a value state, one list
 * element, or one map entry (the only kind with a user key).
 */
typedef struct wr_keyed_item {
    const void *ukey, *val;
    size_t uklen, len;
    int64_t ts; /* last access in processing time (ms); 0 for states without TTL */
} wr_keyed_item;

/*
 * Calls fn for every (state, key, namespace) with live content in key group
 * kg, in unspecified order. fn must not modify the backend.
 */
void wr_keyed_for_each(wr_keyed *ks, int kg, void (*fn)(void *arg, const wr_keyed_entry *e),
                       void *arg);
/*
 * Iterates the content of an entry passed to a wr_keyed_for_each callback,
 * from inside that callback: start with *pos = 0; returns false at the end.
 * List elements come in list order, map entries in unspecified order. Reads
 * made here do not refresh TTLs; the content is live (for_each swept it).
 */
bool wr_keyed_entry_next(const wr_keyed *ks, const wr_keyed_entry *e, size_t *pos,
                         wr_keyed_item *item);
/* Number of stored (state, key, namespace) entries, and their bytes (keys, values, overhead). */
size_t wr_keyed_count(const wr_keyed *ks);
size_t wr_keyed_bytes(const wr_keyed *ks);
/* Number of stored entries of key group kg (one of the backend's), live or not yet swept. */
size_t wr_keyed_group_count(const wr_keyed *ks, int kg);

/* ---- restoring snapshots ---- */

/* The key groups [*kg_first, *kg_last] of max_parallelism that the backend owns. */
void wr_keyed_keygroups(const wr_keyed *ks, int *max_parallelism, int *kg_first, int *kg_last);
/* The id of the state declared under name, or -1; declares nothing. */
int wr_keyed_state_id(const wr_keyed *ks, const char *name);
wr_state_kind wr_keyed_state_kind(const wr_keyed *ks, int id);
/* The TTL the state was declared with (ttl_ms 0: none). */
wr_state_ttl wr_keyed_state_ttl(const wr_keyed *ks, int id);
/* The backend's processing time (its clock), the time TTLs are measured against. */
int64_t wr_keyed_now(const wr_keyed *ks);

/*
 * Writers for restoring, for the current key: unlike value_put, list_add and
 * map_put they store ts as the last access instead of reading the clock, so
 * a restored TTL keeps counting from where it was (ignored by states without
 * TTL). value_restore replaces the value; list_restore appends an element;
 * map_restore puts an entry. Content that has already expired is stored all
 * the same and removed when met, like any other.
 */
void wr_keyed_value_restore(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *val,
                            size_t len, int64_t ts);
void wr_keyed_list_restore(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *val,
                           size_t len, int64_t ts);
void wr_keyed_map_restore(wr_keyed *ks, int id, const void *ns, size_t nslen, const void *ukey,
                          size_t uklen, const void *val, size_t len, int64_t ts);

#endif
