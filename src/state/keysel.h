/*
 * keysel.h — key selectors: how a row's key bytes are made.
 *
 * A key is identified by bytes: the row codec of key columns, or whatever a
 * key function appends. Hash partitioning (runtime/exchange.c) and keyed
 * operators (state, timers) must make the same bytes for the same row, so
 * both go through wr_keysel_encode.
 */
#ifndef WR_STATE_KEYSEL_H
#define WR_STATE_KEYSEL_H

#include "../types/row_codec.h"

/* Appends the key of physical row `row` to key; 0 or a negative code with err filled. */
typedef int (*wr_key_fn)(void *arg, const wr_batch *batch, int row, wr_buf *key, wr_error *err);

typedef struct wr_keysel {
    int *cols; /* key columns, encoded with the row codec; owned */
    int ncols;
    wr_key_fn fn; /* or a key function (when ncols == 0); arg is borrowed and outlives jobs */
    void *arg;
} wr_keysel;

/* A selector over columns cols[0..ncols) (copied). */
void wr_keysel_init_cols(wr_keysel *ks, const int *cols, int ncols);
void wr_keysel_init_fn(wr_keysel *ks, wr_key_fn fn, void *arg);
void wr_keysel_copy(wr_keysel *dst, const wr_keysel *src);
void wr_keysel_fini(wr_keysel *ks);
static inline bool wr_keysel_empty(const wr_keysel *ks)
{
    return ks->ncols == 0 && ks->fn == NULL;
}

/* Appends the key bytes of physical row `row` to out. */
static inline int wr_keysel_encode(const wr_keysel *ks, const wr_batch *batch, int row, wr_buf *out,
                                   wr_error *err)
{
    if (ks->fn) return ks->fn(ks->arg, batch, row, out, err);
    wr_row_encode(batch, row, ks->cols, ks->ncols, out);
    return 0;
}

/*
 * The hash (wr_hash_bytes) of the key bytes of rows[0..n) of batch into out: the same values
 * as hashing wr_keysel_encode's bytes row by row, key columns encoded a batch at a time
 * (wr_row_encode_rows). scratch is a reusable buffer.
 */
int wr_keysel_hash_rows(const wr_keysel *ks, const wr_batch *batch, const uint32_t *rows, int n,
                        uint64_t *out, wr_buf *scratch, wr_error *err);

#endif
