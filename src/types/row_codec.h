/*
 * row_codec.h — the one compact binary encoding of a row or key.
 *
 * Layout of an encoded row of n columns:
 *   ceil(n/8) bytes of NULL flags (bit i set = column i is NULL), then for
 *   each non-NULL column in order its value: BOOLEAN/TINYINT 1 byte,
 *   SMALLINT 2, INT/FLOAT/DATE/TIME/INTERVAL YEAR TO MONTH 4,
 *   BIGINT/DOUBLE/TIMESTAMP/TIMESTAMP_LTZ/INTERVAL DAY TO SECOND 8, DECIMAL 16
 *   (the unscaled 128-bit integer), all little-endian, and strings and byte
 *   strings as a 4-byte little-endian length followed by the bytes.
 * Keys are hashed over these bytes (key groups), state and checkpoints store
 * them, and exchanges between processes will ship them. The format is part
 * of the savepoint contract: change it only with a version bump.
 */
#ifndef WR_ROW_CODEC_H
#define WR_ROW_CODEC_H

#include "../base/error.h"
#include "batch.h"

/* Appends the encoding of columns cols[0..ncols) of physical row `row`. */
void wr_row_encode(const wr_batch *batch, int row, const int *cols, int ncols, wr_buf *out);

/*
 * Appends the encodings of columns cols[0..ncols) of physical rows rows[0..n) to out, one
 * after another: row i's bytes are out->data[off[i] .. off[i + 1]) (off has n + 1 entries; out
 * must stay under 4 GB). Column by column, so each loop knows its column's width: what keyed
 * operators and exchanges use to encode a batch's keys.
 */
void wr_row_encode_rows(const wr_batch *batch, const uint32_t *rows, int n, const int *cols,
                        int ncols, wr_buf *out, uint32_t *off);

/*
 * Decodes one row encoded with the given column types and appends it to
 * batch (whose columns must have those types and which must have room).
 * Returns the number of bytes consumed, or WR_ERR_IO with a message naming
 * the column and byte offset when the bytes are truncated or malformed.
 */
int wr_row_decode_append(wr_batch *batch, const uint8_t *data, size_t len, wr_error *err);

#endif
