/*
 * jstore.h — the state of the time-based joins (the interval join and the
 * event-time temporal join): rows of both sides, each with a time, grouped
 * by join key.
 *
 * A side's rows live in a column store (colstore.h), addressed by index,
 * each with a small record: its time, its key, its neighbours in the key's
 * chain and a flag the operator gives a meaning. A key record holds, per
 * side, a doubly linked chain of its rows in an order the operator chooses
 * (arrival order, or versions by time), so a row leaves from anywhere in
 * O(1). Keys are found by their row-codec bytes (what the exchange hashed)
 * in an open-addressing table. Each side also orders (time, row) entries,
 * one per row added, so the operators expire or emit rows in time order
 * without scanning: a run of entries that arrived in time order and a
 * min-heap of the others. Entries of rows removed otherwise are skipped when
 * met.
 *
 * Removed rows stay in the column store until they outnumber the live ones;
 * then the side is compacted (live rows copied into a fresh store in index
 * order and renumbered), so memory follows live state without a free per row.
 *
 * Checkpoints: one part per key group holding keys (a key's group is that of
 * wr_hash_bytes of its bytes, as the exchange routes it): the operator's
 * header, the keys with their chains, a checksum (docs/checkpoints.md, "The
 * time-based joins"). Restoring checks every byte before it is used.
 */
#ifndef WR_OPS_JSTORE_H
#define WR_OPS_JSTORE_H

#include "colstore.h"
#include "join.h"

#define WR_JSTORE_NONE UINT32_MAX

typedef struct wr_jrow {
    int64_t time;        /* milliseconds */
    uint32_t key;        /* its key record */
    uint32_t prev, next; /* neighbours in its key's chain on its side, or WR_JSTORE_NONE */
    uint8_t flag;        /* the operator's: matched (interval join), a delete (versions) */
    bool live;           /* false once removed */
} wr_jrow;

typedef struct wr_jentry {
    int64_t time;
    uint32_t row;
} wr_jentry;

typedef struct wr_jside {
    int ncols;
    const int *keys; /* key columns (d->left_keys or d->right_keys) */
    int *all;        /* 0 .. ncols - 1, to encode a whole row */
    wr_colstore rows;
    wr_jrow *meta; /* one per row of rows */
    size_t metacap;
    uint32_t live; /* rows not removed */
    /*
     * The rows' entries in time order: a run of entries in order (rows mostly
     * arrive so, and then cost no sifting) and a min-heap of those that came
     * out of order; the earliest entry heads one of the two.
     */
    wr_jentry *run;
    uint32_t rhead, rend, runcap; /* run[rhead .. rend) */
    wr_jentry *heap;
    uint32_t nheap, heapcap;
    wr_batch *scratch; /* rows being encoded or decoded for checkpoints */
} wr_jside;

typedef struct wr_jkey {
    uint64_t hash;
    uint32_t off, len; /* its bytes in kbytes */
    uint32_t head[2], tail[2];
    uint32_t count[2]; /* rows in each chain */
    bool used;         /* false: on the free list (next free in head[0]) */
} wr_jkey;

typedef struct wr_jstore {
    const wr_join_desc *d;          /* borrowed */
    int maxp;                       /* key groups */
    int subtask, kg_first, kg_last; /* this instance and the key groups it owns */
    wr_jkey *keys;
    uint32_t nkeys, capkeys; /* records made; the array's size */
    uint32_t free_key;       /* first free record, or WR_JSTORE_NONE */
    uint32_t live_keys;
    uint32_t *slots; /* record + 1, 0 empty; mask + 1 slots (a power of two) */
    uint32_t mask;
    wr_buf kbytes; /* bytes of every key record, live or freed */
    size_t kdead;  /* of which freed */
    wr_jside side[2];
    wr_batch *keyb; /* the key columns: restored keys are decoded here to check them */
    wr_buf rekey;   /* a restored row's key, encoded again to compare */
} wr_jstore;

/*
 * An empty store for the sides and keys of d (borrowed: it must outlive the
 * store) in the instance ctx describes (its key groups).
 */
void wr_jstore_init(wr_jstore *st, const wr_join_desc *d, const wr_op_ctx *ctx);
void wr_jstore_fini(wr_jstore *st);
/*
 * Bytes the store holds: the capacity of the key records, key table and key bytes, and per
 * side of the row store, row records and time-ordered entries. O(1) (a few capacities).
 */
size_t wr_jstore_bytes(const wr_jstore *st);

/* One chunk of an input batch's rows, prepared for lookups (row i of n). */
typedef struct wr_jchunk {
    int n;
    wr_buf key; /* row i's key bytes are key.data[koff[i] .. koff[i + 1]) */
    uint32_t koff[WR_BATCH_CAPACITY + 1];
    uint64_t hash[WR_BATCH_CAPACITY];  /* wr_hash_bytes of the key bytes */
    int64_t time[WR_BATCH_CAPACITY];   /* milliseconds */
    uint32_t prow[WR_BATCH_CAPACITY];  /* physical row in the batch */
    uint8_t usable[WR_BATCH_CAPACITY]; /* a time, and no NULL in a key that is not null-safe */
} wr_jchunk;

/* A chunk for wr_jstore_chunk to fill (about 25 KB, so allocated once per instance). */
wr_jchunk *wr_jchunk_new(void);
void wr_jchunk_free(wr_jchunk *ch);

/*
 * Prepares the active rows start .. start + n - 1 (n <= WR_BATCH_CAPACITY) of
 * a batch of side s: key bytes and hashes (the key table's slots are
 * prefetched), physical rows, and times: column time_col's TIMESTAMP
 * (microseconds, rounded down to milliseconds; NULL makes a row unusable),
 * or `now` for every row when time_col is -1. A key of a group this instance
 * does not own is WR_ERR_RUNTIME naming who (the inputs were not partitioned
 * by the join keys).
 */
int wr_jstore_chunk(const wr_jstore *st, wr_jchunk *ch, int s, const wr_batch *batch, int start,
                    int n, int time_col, int64_t now, const char *who, wr_error *err);
static inline const char *wr_jchunk_key(const wr_jchunk *ch, int i)
{
    return ch->key.data + ch->koff[i];
}
static inline uint32_t wr_jchunk_klen(const wr_jchunk *ch, int i)
{
    return ch->koff[i + 1] - ch->koff[i];
}

/* The record of key bytes (key, len) with hash wr_hash_bytes(key, len), or WR_JSTORE_NONE. */
uint32_t wr_jstore_find(const wr_jstore *st, uint64_t hash, const void *key, uint32_t len);
/* The same, making an empty record when there is none. Records move as keys are added. */
uint32_t wr_jstore_key(wr_jstore *st, uint64_t hash, const void *key, uint32_t len);
/* The two for row i of a chunk. */
static inline uint32_t wr_jstore_find_row(const wr_jstore *st, const wr_jchunk *ch, int i)
{
    return wr_jstore_find(st, ch->hash[i], wr_jchunk_key(ch, i), wr_jchunk_klen(ch, i));
}
static inline uint32_t wr_jstore_key_row(wr_jstore *st, const wr_jchunk *ch, int i)
{
    return wr_jstore_key(st, ch->hash[i], wr_jchunk_key(ch, i), wr_jchunk_klen(ch, i));
}
/* Announces a lookup of hash, so the slot's cache miss overlaps other work. */
static inline void wr_jstore_prefetch(const wr_jstore *st, uint64_t hash)
{
    if (st->slots) __builtin_prefetch(&st->slots[hash & st->mask]);
}

/*
 * Appends physical rows rows[0..n) of batch (side s's columns) to side s with
 * record keys[i], time times[i] and flag flags[i] (NULL: 0), one time entry
 * each; *first is the index of the first. With link, each row joins the tail
 * of its key's chain; without, the caller links it (wr_jstore_link_after)
 * before anything else touches the store. WR_ERR_RUNTIME when the side would
 * hold more rows than a column store can.
 */
int wr_jstore_add(wr_jstore *st, int s, const wr_batch *batch, const uint32_t *rows, int n,
                  const uint32_t *keys, const int64_t *times, const uint8_t *flags, bool link,
                  uint32_t *first, wr_error *err);
/* Links row (of side s, not linked) into its key's chain after `after` (NONE: at the head). */
void wr_jstore_link_after(wr_jstore *st, int s, uint32_t row, uint32_t after);
/* Removes a live row: it leaves its chain, and its key record goes when both chains are empty. */
void wr_jstore_remove(wr_jstore *st, int s, uint32_t row);

/* The earliest entry of a live row of side s: false when there is none. */
bool wr_jstore_top(wr_jstore *st, int s, int64_t *time, uint32_t *row);
/* Drops the entry wr_jstore_top returned (the row stays). */
void wr_jstore_pop(wr_jstore *st, int s);

/* Compacts the sides whose removed rows outnumber the live ones, and the key bytes. */
void wr_jstore_compact(wr_jstore *st);

/*
 * Writes rows idx[0..n) of side s into out's columns first_col .. (rows 0..n-1), strings as
 * views into the store (valid until it is next compacted).
 */
void wr_jstore_gather(const wr_jstore *st, int s, const uint32_t *idx, int n, wr_batch *out,
                      int first_col);
/* The same from physical rows rows[0..n) of an input batch of side s (strings as its views). */
void wr_jstore_gather_input(const wr_jstore *st, int s, const wr_batch *batch, const uint32_t *rows,
                            int n, wr_batch *out, int first_col);
/* Sets out's columns first_col .. first_col + ncols - 1 to NULL in rows 0..n-1. */
void wr_jstore_null_cols(wr_batch *out, int first_col, int ncols, int n);

/*
 * Adds a part to out for every key group holding keys: header (the operator's
 * bytes), the keys with their chains, a checksum.
 */
void wr_jstore_snapshot(wr_jstore *st, const wr_buf *header, wr_snapshot *out);
/*
 * Restores the keys that follow the header in r, all of which must belong to
 * key group kg and be new to the store. WR_ERR_IO naming the problem (a key
 * or row that does not decode, belongs elsewhere or repeats, truncation,
 * trailing bytes); the store may then hold part of the keys.
 */
int wr_jstore_restore(wr_jstore *st, wr_buf_reader *r, int kg, wr_error *err);
/*
 * Restores a whole keyed part of an operator over the store: checks the checksum and that
 * the part starts with header (its first 4 bytes the operator's magic, the rest its shape),
 * reads the u64 watermark after it into *wm, then the keys (wr_jstore_restore). kind names
 * the operator in errors ("an interval join"), other what a part of another shape is ("the
 * state of another interval join (... differ)"). WR_ERR_IO on any mismatch.
 */
int wr_jstore_restore_part(wr_jstore *st, const wr_snapshot_part *part, const wr_buf *header,
                           const char *kind, const char *other, int64_t *wm, wr_error *err);

/* Whether key group kg is this instance's (the runtime restores no others; a test may). */
static inline bool wr_jstore_owns(const wr_jstore *st, int kg)
{
    return kg >= st->kg_first && kg <= st->kg_last;
}

#endif
