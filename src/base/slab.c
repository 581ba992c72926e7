/*
 * slab.c — size classes over pages, large objects on a list; see slab.h.
 */
#include "slab.h"
#include "alloc.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define PAGE_BYTES (256 * 1024)

struct wr_slab_page {
    wr_slab_page *next;
    void *pad; /* objects start 16-aligned */
};

struct wr_slab_big {
    wr_slab_big *prev, *next;
};

_Static_assert(sizeof(wr_slab_page) == 16 && sizeof(wr_slab_big) == 16, "16-aligned objects");

/* The class of an object of size bytes (at most WR_SLAB_SMALL), and the bytes it takes. */
static inline int class_of(size_t size)
{
    if (size <= 1024) return size == 0 ? 0 : (int)((size + 15) / 16) - 1;
    return size <= 2048 ? 64 : 65;
}

static inline size_t class_bytes(int c)
{
    return c < 64 ? (size_t)(c + 1) * 16 : c == 64 ? 2048 : 4096;
}

void wr_slab_init(wr_slab *s)
{
    memset(s, 0, sizeof(*s));
}

void wr_slab_fini(wr_slab *s)
{
    for (wr_slab_page *p = s->pages, *next; p; p = next) {
        next = p->next;
        UNPOISON(p, PAGE_BYTES);
        wr_free(p);
    }
    for (wr_slab_big *b = s->big, *next; b; b = next) {
        next = b->next;
        wr_free(b);
    }
    memset(s, 0, sizeof(*s));
}

static void *big_alloc(wr_slab *s, size_t size)
{
    wr_slab_big *b = wr_malloc(sizeof(wr_slab_big) + size);
    b->prev = NULL;
    b->next = s->big;
    if (s->big) s->big->prev = b;
    s->big = b;
    s->reserved += sizeof(wr_slab_big) + size;
    return b + 1;
}

static void big_free(wr_slab *s, void *p, size_t size)
{
    wr_slab_big *b = (wr_slab_big *)p - 1;
    if (b->prev)
        b->prev->next = b->next;
    else
        s->big = b->next;
    if (b->next) b->next->prev = b->prev;
    s->reserved -= sizeof(wr_slab_big) + size;
    wr_free(b);
}

void *wr_slab_alloc(wr_slab *s, size_t size)
{
    if (size > WR_SLAB_SMALL) return big_alloc(s, size);
    int c = class_of(size);
    size_t bytes = class_bytes(c);
    char *p = s->free[c];
    if (p) {
        UNPOISON(p, bytes);
        memcpy(&s->free[c], p, sizeof(void *));
        return p;
    }
    if (s->left < bytes) {
        /* The rest of the page (less than 4 KB) stays unused. */
        wr_slab_page *page = wr_malloc(PAGE_BYTES);
        page->next = s->pages;
        s->pages = page;
        s->next = (char *)(page + 1);
        s->left = PAGE_BYTES - sizeof(wr_slab_page);
        s->reserved += PAGE_BYTES;
        POISON(s->next, s->left);
    }
    p = s->next;
    s->next += bytes;
    s->left -= bytes;
    UNPOISON(p, bytes);
    return p;
}

void wr_slab_free(wr_slab *s, void *p, size_t size)
{
    if (p == NULL) return;
    if (size > WR_SLAB_SMALL) {
        big_free(s, p, size);
        return;
    }
    int c = class_of(size);
    memcpy(p, &s->free[c], sizeof(void *));
    s->free[c] = p;
    POISON(p, class_bytes(c));
}

void *wr_slab_realloc(wr_slab *s, void *p, size_t old, size_t size)
{
    if (p == NULL) return wr_slab_alloc(s, size);
    if (old > WR_SLAB_SMALL && size > WR_SLAB_SMALL) {
        wr_slab_big *b = (wr_slab_big *)p - 1;
        wr_slab_big *prev = b->prev, *next = b->next;
        b = wr_realloc(b, sizeof(wr_slab_big) + size);
        if (prev)
            prev->next = b;
        else
            s->big = b;
        if (next) next->prev = b;
        s->reserved = s->reserved - old + size;
        return b + 1;
    }
    if (old <= WR_SLAB_SMALL && size <= WR_SLAB_SMALL && class_of(old) == class_of(size)) return p;
    void *q = wr_slab_alloc(s, size);
    memcpy(q, p, old < size ? old : size);
    wr_slab_free(s, p, old);
    return q;
}
