/*
 * hash.c — hashing through libxxhash; see hash.h.
 */
#include "hash.h"

#include <xxhash.h>

uint64_t wr_hash_bytes(const void *data, size_t len)
{
    return XXH3_64bits(data, len);
}
