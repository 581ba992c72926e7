/*
 * alloc.h — the one allocation wrapper of Weir.
 *
 * Every heap allocation goes through these functions so that tests can count
 * allocations and inject failures in one place. Out of memory is not a
 * recoverable condition for a stream processor's data path: these functions
 * report it and abort, so callers never check for NULL.
 */
#ifndef WR_ALLOC_H
#define WR_ALLOC_H

#include <stddef.h>

void *wr_malloc(size_t size);
void *wr_calloc(size_t n, size_t size);
/*
 * Zeroed memory that is probed all over before most of it is written, as a hash table's
 * slots are: zeroed by writing it. calloc leaves fresh pages unwritten, a read then maps
 * them to the shared zero page, and the first write faults a second time and flushes the
 * TLB of every CPU that runs one of the process's threads.
 */
void *wr_calloc_written(size_t n, size_t size);
void *wr_realloc(void *ptr, size_t size);
void wr_free(void *ptr); /* wr_free(NULL) is a no-op */
char *wr_strdup(const char *s);
char *wr_strndup(const char *s, size_t n);
/* A copy of n elements of size bytes (an allocation of at least one element when n is 0). */
void *wr_memdup_array(const void *src, int n, size_t size);

/* Number of live allocations made through this wrapper (for leak checks in tests). */
long wr_alloc_live(void);

#endif
