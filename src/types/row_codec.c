/*
 * row_codec.c — binary row encoding; see row_codec.h.
 */
#include "row_codec.h"

#include <string.h>

void wr_row_encode(const wr_batch *batch, int row, const int *cols, int ncols, wr_buf *out)
{
    size_t nbytes = ((size_t)ncols + 7) / 8;
    size_t flags_at = out->len;
    char *flags = wr_buf_reserve(out, nbytes);
    memset(flags, 0, nbytes);
    out->len += nbytes;
    for (int i = 0; i < ncols; i++) {
        const wr_vector *v = &batch->cols[cols[i]];
        if (wr_vector_is_null(v, row)) {
            out->data[flags_at + (size_t)i / 8] |= (char)(1 << (i % 8));
            continue;
        }
        if (wr_type_is_view(v->type.id)) {
            wr_str s = ((const wr_str *)v->data)[row];
            uint32_t len = s.len;
            wr_buf_append(out, &len, 4);
            wr_buf_append(out, s.ptr, s.len);
        } else {
            size_t w = wr_type_width(v->type.id);
            wr_buf_append(out, (const char *)v->data + (size_t)row * w, w);
        }
    }
    out->data[out->len] = '\0';
}

int wr_row_decode_append(wr_batch *batch, const uint8_t *data, size_t len, wr_error *err)
{
    int ncols = batch->ncols;
    size_t nbytes = ((size_t)ncols + 7) / 8;
    int row = batch->count;
    assert(row < batch->capacity && batch->sel == NULL);
    if (len < nbytes)
        return wr_error_set(err, WR_ERR_IO,
                            "encoded row truncated in NULL flags (%zu of %zu bytes)", len, nbytes);
    size_t at = nbytes;
    for (int i = 0; i < ncols; i++) {
        wr_vector *v = &batch->cols[i];
        if (data[i / 8] & (1 << (i % 8))) {
            wr_batch_set_null(batch, i, row);
            continue;
        }
        if (v->validity) wr_validity_set(v->validity, row, true);
        if (wr_type_is_view(v->type.id)) {
            uint32_t slen;
            if (len - at < 4 || (memcpy(&slen, data + at, 4), len - at - 4 < slen))
                return wr_error_set(err, WR_ERR_IO,
                                    "encoded row truncated in column %d at byte %zu", i, at);
            ((wr_str *)v->data)[row] = wr_batch_str(batch, (const char *)data + at + 4, slen);
            at += 4 + slen;
        } else {
            size_t w = wr_type_width(v->type.id);
            if (len - at < w)
                return wr_error_set(err, WR_ERR_IO,
                                    "encoded row truncated in column %d at byte %zu", i, at);
            wr_slot_copy((char *)v->data + (size_t)row * w, data + at, w);
            at += w;
        }
    }
    batch->count++;
    return (int)at;
}
