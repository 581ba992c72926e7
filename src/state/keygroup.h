/*
 * keygroup.h — Flink's key-group assignment.
 *
 * A key belongs to key group hash(key bytes) mod max_parallelism, and key
 * group g runs on subtask g * parallelism / max_parallelism. State is kept
 * per key group, so a job can later be rescaled by moving whole groups.
 */
#ifndef WR_KEYGROUP_H
#define WR_KEYGROUP_H

#include <stdint.h>

#define WR_DEFAULT_MAX_PARALLELISM 128

static inline int wr_keygroup_of_hash(uint64_t hash, int max_parallelism)
{
    return (int)(hash % (uint64_t)max_parallelism);
}

static inline int wr_keygroup_subtask(int keygroup, int max_parallelism, int parallelism)
{
    return (int)((int64_t)keygroup * parallelism / max_parallelism);
}

/* The key groups [*first, *last] that run on a subtask (contiguous; may be empty: last < first). */
static inline void wr_keygroup_range(int subtask, int max_parallelism, int parallelism, int *first,
                                     int *last)
{
    *first = (int)(((int64_t)subtask * max_parallelism + parallelism - 1) / parallelism);
    *last = (int)(((int64_t)(subtask + 1) * max_parallelism + parallelism - 1) / parallelism) - 1;
}

#endif
