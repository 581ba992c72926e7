/*
 * bytes.h — comparing short byte strings (keys, namespaces) on hot paths.
 *
 * Hash tables of encoded keys compare a few bytes per probe; a library
 * memcmp call costs more than the comparison itself at these sizes.
 */
#ifndef WR_BYTES_H
#define WR_BYTES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline bool wr_bytes_eq(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, p, 8);
        memcpy(&y, q, 8);
        if (x != y) return false;
        p += 8;
        q += 8;
        n -= 8;
    }
    while (n > 0) {
        if (*p++ != *q++) return false;
        n--;
    }
    return true;
}

#endif
