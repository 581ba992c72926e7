/*
 * alloc.c — allocation wrapper: abort on exhaustion, count live blocks.
 */
#include "alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long live_blocks;

static void *check(void *p, size_t size)
{
    if (p == NULL && size != 0) {
        fprintf(stderr, "weir: out of memory allocating %zu bytes\n", size);
        abort();
    }
    return p;
}

void *wr_malloc(size_t size)
{
    void *p = check(malloc(size ? size : 1), size);
    atomic_fetch_add_explicit(&live_blocks, 1, memory_order_relaxed);
    return p;
}

void *wr_calloc(size_t n, size_t size)
{
    void *p = check(calloc(n ? n : 1, size ? size : 1), n * size);
    atomic_fetch_add_explicit(&live_blocks, 1, memory_order_relaxed);
    return p;
}

void *wr_calloc_written(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) check(NULL, SIZE_MAX);
    void *p = wr_malloc(n * size);
    memset(p, 0, n * size);
    return p;
}

void *wr_realloc(void *ptr, size_t size)
{
    if (ptr == NULL) return wr_malloc(size);
    return check(realloc(ptr, size ? size : 1), size);
}

void wr_free(void *ptr)
{
    if (ptr == NULL) return;
    atomic_fetch_sub_explicit(&live_blocks, 1, memory_order_relaxed);
    free(ptr);
}

char *wr_strdup(const char *s)
{
    return wr_strndup(s, strlen(s));
}

char *wr_strndup(const char *s, size_t n)
{
    char *p = wr_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

long wr_alloc_live(void)
{
    return atomic_load(&live_blocks);
}

void *wr_memdup_array(const void *src, int n, size_t size)
{
    void *dst = wr_malloc(size * (size_t)(n > 0 ? n : 1));
    if (n > 0) memcpy(dst, src, size * (size_t)n);
    return dst;
}
