/*
 * idtab.h — an open-addressing table of 32-bit ids by hash, the index the
 * streaming operators keep over their records (groups, partitions).
 *
 * A slot holds the hash's low 32 bits above id + 1 (0: empty). The table
 * knows nothing of keys: a lookup probes from the hash's home slot and
 * compares the record each matching slot names (WR_IDTAB_HASH / _ID); put
 * and del keep it without tombstones (del shifts the following slots back),
 * so probes stop at the first empty slot. At most half full.
 */
#ifndef WR_BASE_IDTAB_H
#define WR_BASE_IDTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wr_idtab {
    uint64_t *slots;
    uint32_t mask, n;
} wr_idtab;

#define WR_IDTAB_SLOT(h, id) ((uint64_t)(uint32_t)(h) << 32 | ((uint64_t)(id) + 1))
#define WR_IDTAB_HASH(slot) ((uint32_t)((slot) >> 32))
#define WR_IDTAB_ID(slot) ((uint32_t)(slot)-1)

/* Makes room for extra more ids (rehashing into a larger table); the first table has at
 * least min_cap slots (a power of two). */
void wr_idtab_reserve(wr_idtab *t, size_t extra, size_t min_cap);
void wr_idtab_fini(wr_idtab *t);

/* The bytes of its slots. */
static inline size_t wr_idtab_bytes(const wr_idtab *t)
{
    return t->slots ? ((size_t)t->mask + 1) * sizeof(uint64_t) : 0;
}

/* Adds id (not in the table yet; room reserved). */
static inline void wr_idtab_put(wr_idtab *t, uint64_t hash, uint32_t id)
{
    uint32_t s = (uint32_t)hash & t->mask;
    while (t->slots[s]) s = (s + 1) & t->mask;
    t->slots[s] = WR_IDTAB_SLOT(hash, id);
    t->n++;
}

/*
 * Removes id, which is in the table: the slots after it that would no longer
 * be reached from their home move back into the gap, so probes never need
 * tombstones.
 */
static inline void wr_idtab_del(wr_idtab *t, uint64_t hash, uint32_t id)
{
    uint32_t mask = t->mask, i = (uint32_t)hash & mask;
    while (t->slots[i] != WR_IDTAB_SLOT(hash, id)) i = (i + 1) & mask;
    t->n--;
    for (uint32_t j = i;;) {
        t->slots[i] = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (t->slots[j] == 0) return;
            uint32_t home = WR_IDTAB_HASH(t->slots[j]) & mask;
            /* The slot stays when its home lies cyclically in (i, j]. */
            bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) break;
        }
        t->slots[i] = t->slots[j];
        i = j;
    }
}

#endif
