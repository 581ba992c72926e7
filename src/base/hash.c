/*
 * hash.c — hashing through libxxhash; see hash.h.
 */
#include "hash.h"

#include <xxhash.h>

uint64_t wr_hash_bytes(const void *data, size_t len)
{
    return XXH3_64bits(data, len);
}

uint64_t wr_hash_u64(uint64_t x)
{
    /* splitmix64 finaliser: cheap and well mixed for integer keys. */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}
