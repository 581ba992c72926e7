/*
 * idtab.c — growing the id table of idtab.h.
 */
#include "idtab.h"
#include "alloc.h"

#include <assert.h>

void wr_idtab_reserve(wr_idtab *t, size_t extra, size_t min_cap)
{
    size_t need = (size_t)t->n + extra;
    if (t->slots && need <= ((size_t)t->mask + 1) / 2) return;
    size_t cap = min_cap;
    while (cap / 2 < need) cap *= 2;
    assert(cap <= ((size_t)1 << 32));
    uint64_t *old = t->slots, *slots = wr_calloc_written(cap, sizeof(uint64_t));
    uint32_t mask = (uint32_t)(cap - 1), old_cap = old ? t->mask + 1 : 0;
    for (uint32_t i = 0; i < old_cap; i++) {
        if (old[i] == 0) continue;
        uint32_t s = WR_IDTAB_HASH(old[i]) & mask;
        while (slots[s]) s = (s + 1) & mask;
        slots[s] = old[i];
    }
    wr_free(old);
    t->slots = slots;
    t->mask = mask;
}

void wr_idtab_fini(wr_idtab *t)
{
    wr_free(t->slots);
    t->slots = NULL;
    t->mask = t->n = 0;
}
