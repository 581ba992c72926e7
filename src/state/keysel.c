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
    if (ks->fn == NULL) { /* key columns: encoded a chunk of rows at a time, column by column */
        uint32_t off[WR_BATCH_CAPACITY + 1];
        for (int at = 0; at < n; at += WR_BATCH_CAPACITY) {
            int m = WR_MIN(n - at, WR_BATCH_CAPACITY);
            wr_buf_reset(scratch);
            wr_row_encode_rows(batch, rows + at, m, ks->cols, ks->ncols, scratch, off);
            for (int i = 0; i < m; i++)
                out[at + i] = wr_hash_bytes(scratch->data + off[i], off[i + 1] - off[i]);
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
