/*
 * slab.h — an allocator for many small objects that die together.
 *
 * Keyed state holds millions of small records (a join side's rows, a map's
 * entries). Allocating each with malloc costs a header per record and, when
 * the state goes, one free per record in random order: touching every record
 * again, which for gigabytes of state took a quarter of a join's time.
 *
 * A slab carves objects of up to WR_SLAB_SMALL bytes from 256 KB pages, in
 * size classes (16-byte steps to 1 KB, then 2 KB and 4 KB); a freed object
 * goes on its class's free list for the next allocation of that class. Larger
 * objects are separate allocations on a list. The owner passes an object's
 * size back on free and realloc (it knows it), so objects carry no header.
 * wr_slab_fini releases all pages and large objects without visiting the
 * small ones. Memory freed to a slab is reused by it, not returned to the
 * system, until the slab is finished. Not thread-safe: one owner thread.
 *
 * Under AddressSanitizer the free parts of pages are poisoned, so a use after
 * wr_slab_free is reported as with malloc.
 */
#ifndef WR_SLAB_H
#define WR_SLAB_H

#include <stddef.h>

#define WR_SLAB_SMALL 4096
#define WR_SLAB_CLASSES (1024 / 16 + 2)

typedef struct wr_slab_page wr_slab_page;
typedef struct wr_slab_big wr_slab_big;

typedef struct wr_slab {
    void *free[WR_SLAB_CLASSES]; /* freed objects by class, linked through their first bytes */
    char *next;                  /* unused part of the newest page */
    size_t left;
    wr_slab_page *pages;
    wr_slab_big *big; /* large objects, doubly linked */
    size_t reserved;  /* bytes taken from the system (pages and large objects) */
} wr_slab;

void wr_slab_init(wr_slab *s);
/* Releases every object and page. The slab may be initialized again. */
void wr_slab_fini(wr_slab *s);

/* size bytes, 16-aligned, never NULL (aborts on exhaustion, as wr_malloc). size may be 0. */
void *wr_slab_alloc(wr_slab *s, size_t size);
/* p (NULL: nothing) was allocated with this size, or last resized to it. */
void wr_slab_free(wr_slab *s, void *p, size_t size);
/* Resizes p (NULL: allocates) from old to size bytes, keeping min(old, size) bytes. */
void *wr_slab_realloc(wr_slab *s, void *p, size_t old, size_t size);

#endif
