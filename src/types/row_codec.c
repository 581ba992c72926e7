/*
 * row_codec.c — binary row encoding; see row_codec.h.
 */
#include "row_codec.h"

#include <string.h>

void wr_row_encode(const wr_batch *batch, int row, const int *cols, int ncols, wr_buf *out)
{
    /* The row's size first, so that the bytes are written with one reservation and no call
     * per field: this runs once per row and key on every keyed path. */
    size_t nbytes = ((size_t)ncols + 7) / 8, size = nbytes;
    for (int i = 0; i < ncols; i++) {
        const wr_vector *v = &batch->cols[cols[i]];
        if (wr_vector_is_null(v, row)) continue;
        size += wr_type_is_view(v->type.id) ? 4 + (size_t)((const wr_str *)v->data)[row].len
                                            : wr_type_width(v->type.id);
    }
    uint8_t *flags = (uint8_t *)wr_buf_reserve(out, size), *p = flags + nbytes;
    memset(flags, 0, nbytes);
    for (int i = 0; i < ncols; i++) {
        const wr_vector *v = &batch->cols[cols[i]];
        if (wr_vector_is_null(v, row)) {
            flags[i / 8] |= (uint8_t)(1 << (i % 8));
            continue;
        }
        if (wr_type_is_view(v->type.id)) {
            wr_str s = ((const wr_str *)v->data)[row];
            uint32_t len = s.len;
            memcpy(p, &len, 4);
            if (len) memcpy(p + 4, s.ptr, len);
            p += 4 + len;
        } else {
            size_t w = wr_type_width(v->type.id);
            wr_slot_copy(p, (const char *)v->data + (size_t)row * w, w);
            p += w;
        }
    }
    out->len += size;
    out->data[out->len] = '\0';
}

void wr_row_encode_rows(const wr_batch *batch, const uint32_t *rows, int n, const int *cols,
                        int ncols, wr_buf *out, uint32_t *off)
{
    uint32_t nflag = ((uint32_t)ncols + 7) / 8;
    /* Sizes, then starts: off[i] becomes row i's cursor, just past its NULL flags. */
    for (int i = 0; i < n; i++) off[i] = nflag;
    for (int k = 0; k < ncols; k++) {
        const wr_vector *v = &batch->cols[cols[k]];
        if (wr_type_is_view(v->type.id)) {
            const wr_str *s = v->data;
            for (int i = 0; i < n; i++)
                if (!wr_vector_is_null(v, (int)rows[i])) off[i] += 4 + s[rows[i]].len;
        } else {
            uint32_t w = (uint32_t)wr_type_width(v->type.id);
            for (int i = 0; i < n; i++)
                if (!wr_vector_is_null(v, (int)rows[i])) off[i] += w;
        }
    }
    size_t base = out->len, total = 0;
    for (int i = 0; i < n; i++) {
        size_t size = off[i];
        off[i] = (uint32_t)(base + total + nflag);
        total += size;
    }
    wr_buf_reserve(out, total);
    uint8_t *data = (uint8_t *)out->data;
    for (int i = 0; i < n; i++) memset(data + off[i] - nflag, 0, nflag);
    for (int k = 0; k < ncols; k++) {
        const wr_vector *v = &batch->cols[cols[k]];
        if (v->validity == NULL) continue;
        for (int i = 0; i < n; i++)
            if (wr_vector_is_null(v, (int)rows[i]))
                data[off[i] - nflag + k / 8] |= (uint8_t)(1 << (k % 8));
    }
    /* Values, column by column; each cursor ends at its row's end. */
    for (int k = 0; k < ncols; k++) {
        const wr_vector *v = &batch->cols[cols[k]];
        if (wr_type_is_view(v->type.id)) {
            const wr_str *s = v->data;
            for (int i = 0; i < n; i++) {
                uint32_t r = rows[i];
                if (wr_vector_is_null(v, (int)r)) continue;
                memcpy(data + off[i], &s[r].len, 4);
                if (s[r].len) memcpy(data + off[i] + 4, s[r].ptr, s[r].len);
                off[i] += 4 + s[r].len;
            }
            continue;
        }
        const uint8_t *d = v->data;
        switch (wr_type_width(v->type.id)) {
#define WR_COPY_COLUMN(W)                                                                          \
    for (int i = 0; i < n; i++) {                                                                  \
        uint32_t r = rows[i];                                                                      \
        if (wr_vector_is_null(v, (int)r)) continue;                                                \
        memcpy(data + off[i], d + (size_t)r * (W), (W));                                           \
        off[i] += (W);                                                                             \
    }                                                                                              \
    break;
        case 1:
            WR_COPY_COLUMN(1)
        case 2:
            WR_COPY_COLUMN(2)
        case 4:
            WR_COPY_COLUMN(4)
        case 8:
            WR_COPY_COLUMN(8)
        default:
            WR_COPY_COLUMN(16)
#undef WR_COPY_COLUMN
        }
    }
    for (int i = n; i > 0; i--) off[i] = off[i - 1];
    off[0] = (uint32_t)base;
    out->len = base + total;
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
