/*
 * arena.c — bump allocator; see arena.h.
 */
#include "arena.h"
#include "alloc.h"

#include <string.h>

struct wr_arena_block {
    wr_arena_block *prev;
    size_t size; /* usable bytes in data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

void wr_arena_init(wr_arena *arena, size_t first_block)
{
    arena->head = NULL;
    arena->block_size = first_block ? first_block : 4096;
    arena->used_before = 0;
}

void wr_arena_fini(wr_arena *arena)
{
    wr_arena_block *b = arena->head;
    while (b) {
        wr_arena_block *prev = b->prev;
        wr_free(b);
        b = prev;
    }
    arena->head = NULL;
    arena->used_before = 0;
}

void wr_arena_reset(wr_arena *arena)
{
    wr_arena_block *keep = NULL;
    for (wr_arena_block *b = arena->head, *prev; b; b = prev) {
        prev = b->prev;
        if (keep == NULL || b->size > keep->size) {
            if (keep) wr_free(keep);
            keep = b;
        } else {
            wr_free(b);
        }
    }
    if (keep) {
        keep->prev = NULL;
        keep->used = 0;
    }
    arena->head = keep;
    arena->used_before = 0;
}

void *wr_arena_alloc(wr_arena *arena, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    wr_arena_block *b = arena->head;
    if (b == NULL || b->size - b->used < size) {
        size_t bs = arena->block_size;
        while (bs < size) bs *= 2;
        if (arena->block_size < 1u << 20) arena->block_size *= 2;
        b = wr_malloc(sizeof(wr_arena_block) + bs);
        b->size = bs;
        b->used = 0;
        b->prev = arena->head;
        if (arena->head) arena->used_before += arena->head->used;
        arena->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

void *wr_arena_calloc(wr_arena *arena, size_t size)
{
    void *p = wr_arena_alloc(arena, size);
    memset(p, 0, size);
    return p;
}

char *wr_arena_strndup(wr_arena *arena, const char *s, size_t n)
{
    char *p = wr_arena_alloc(arena, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

size_t wr_arena_used(const wr_arena *arena)
{
    return arena->used_before + (arena->head ? arena->head->used : 0);
}
