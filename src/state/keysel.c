/*
 * keysel.c — key selectors; see keysel.h.
 */
#include "keysel.h"
#include "../base/alloc.h"

#include <string.h>

void wr_keysel_init_cols(wr_keysel *ks, const int *cols, int ncols)
{
    memset(ks, 0, sizeof(*ks));
    if (ncols > 0) {
        ks->cols = wr_malloc((size_t)ncols * sizeof(int));
        memcpy(ks->cols, cols, (size_t)ncols * sizeof(int));
        ks->ncols = ncols;
    }
}

void wr_keysel_init_fn(wr_keysel *ks, wr_key_fn fn, void *arg)
{
    memset(ks, 0, sizeof(*ks));
    ks->fn = fn;
    ks->arg = arg;
}

void wr_keysel_copy(wr_keysel *dst, const wr_keysel *src)
{
    if (src->fn)
        wr_keysel_init_fn(dst, src->fn, src->arg);
    else
        wr_keysel_init_cols(dst, src->cols, src->ncols);
}

void wr_keysel_fini(wr_keysel *ks)
{
    wr_free(ks->cols);
    memset(ks, 0, sizeof(*ks));
}
