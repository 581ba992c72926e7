/*
 * hash.h — the hash functions of Weir (xxHash underneath).
 *
 * wr_hash_bytes() is the one hash of encoded keys: key groups, exchanges and
 * hash tables must agree on it, and it must not change between releases
 * because savepoints store state per key group.
 */
#ifndef WR_HASH_H
#define WR_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t wr_hash_bytes(const void *data, size_t len);

/* splitmix64's finaliser: cheap and well mixed for integer keys, and one-to-one. */
static inline uint64_t wr_hash_u64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

#endif
