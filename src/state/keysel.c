/*
 * keysel.c — key selectors; see keysel.h.
 */
#include "keysel.h"
#include "../base/alloc.h"
#include "../base/hash.h"

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

int wr_keysel_hash_rows(const wr_keysel *ks, const wr_batch *batch, const uint32_t *rows, int n,
                        uint64_t *out, wr_buf *scratch, wr_error *err)
{
    /* Fixed-width key columns: the row codec's bytes are the NULL flags and then each
     * present value's bytes, assembled here in a stack buffer. */
    size_t width = 0;
    bool fixed = ks->fn == NULL && ks->ncols <= 64;
    for (int i = 0; fixed && i < ks->ncols; i++) {
        const wr_vector *v = &batch->cols[ks->cols[i]];
        fixed = !wr_type_is_view(v->type.id);
        width += wr_type_width(v->type.id);
    }
    if (fixed && width <= 256) {
        size_t nflags = ((size_t)ks->ncols + 7) / 8;
        uint8_t key[8 + 256];
        for (int r = 0; r < n; r++) {
            int row = (int)rows[r];
            memset(key, 0, nflags);
            size_t at = nflags;
            for (int i = 0; i < ks->ncols; i++) {
                const wr_vector *v = &batch->cols[ks->cols[i]];
                if (wr_vector_is_null(v, row)) {
                    key[i / 8] |= (uint8_t)(1 << (i % 8));
                    continue;
                }
                size_t w = wr_type_width(v->type.id);
                memcpy(key + at, (const char *)v->data + (size_t)row * w, w);
                at += w;
            }
            out[r] = wr_hash_bytes(key, at);
        }
        return 0;
    }
    for (int r = 0; r < n; r++) {
        wr_buf_reset(scratch);
        int rc = wr_keysel_encode(ks, batch, (int)rows[r], scratch, err);
        if (rc) return rc;
        out[r] = wr_hash_bytes(scratch->data, scratch->len);
    }
    return 0;
}
