/*
 * arena.h — bump allocator with a named lifetime.
 *
 * An arena hands out memory that is released all at once by wr_arena_reset()
 * or wr_arena_fini(). Batches own one for their vectors and string bytes; a
 * query owns one for its plan. Reset keeps the largest block so a steady
 * stream of batches allocates nothing after warm-up.
 */
#ifndef WR_ARENA_H
#define WR_ARENA_H

#include <stddef.h>

typedef struct wr_arena_block wr_arena_block;

typedef struct wr_arena {
    wr_arena_block *head; /* current block; older blocks chain behind it */
    size_t block_size;    /* size of the next block to allocate */
    size_t used_before;   /* bytes handed out from the blocks behind head (wr_arena_used) */
} wr_arena;

void wr_arena_init(wr_arena *arena, size_t first_block);
void wr_arena_fini(wr_arena *arena);
/* Releases everything allocated; keeps the largest block for reuse. */
void wr_arena_reset(wr_arena *arena);
/* Returns size bytes aligned to 16; never NULL. */
void *wr_arena_alloc(wr_arena *arena, size_t size);
void *wr_arena_calloc(wr_arena *arena, size_t size);
char *wr_arena_strndup(wr_arena *arena, const char *s, size_t n);
/* Bytes handed out since the last reset (for memory accounting); O(1). */
size_t wr_arena_used(const wr_arena *arena);

#endif
