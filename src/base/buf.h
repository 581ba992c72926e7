/*
 * buf.h — growable byte buffer (always NUL-terminated after its bytes).
 *
 * Used to build output lines, encoded rows and messages. Embedded by value;
 * wr_buf_fini releases it.
 */
#ifndef WR_BUF_H
#define WR_BUF_H

#include "wr.h"

typedef struct wr_buf {
    char *data;
    size_t len;
    size_t cap;
} wr_buf;

void wr_buf_init(wr_buf *buf);
void wr_buf_fini(wr_buf *buf);
static inline void wr_buf_reset(wr_buf *buf)
{
    buf->len = 0;
    if (buf->data) buf->data[0] = '\0';
}
/* Makes room for n more bytes; returns a pointer to the free space. */
char *wr_buf_reserve(wr_buf *buf, size_t n);
void wr_buf_append(wr_buf *buf, const void *data, size_t n);
void wr_buf_puts(wr_buf *buf, const char *s);
void wr_buf_putc(wr_buf *buf, char c);
void wr_buf_printf(wr_buf *buf, const char *fmt, ...) WR_PRINTF(2, 3);
/* Appends the decimal text of x (faster than printf on hot encoding paths). */
void wr_buf_put_int64(wr_buf *buf, int64_t x);
/* Appends the decimal digits of x, zero-padded on the left to at least width (at most 24), as
 * printf's %0*llu. */
void wr_buf_put_padded(wr_buf *buf, uint64_t x, int width);
/* Returns the data and hands ownership to the caller; buf becomes empty. */
char *wr_buf_detach(wr_buf *buf);

/* Little-endian fixed-width integers, as operator state is written. */
void wr_buf_put_u32(wr_buf *buf, uint32_t v);
void wr_buf_put_u64(wr_buf *buf, uint64_t v);

/*
 * Reads bytes that wr_buf_put_u32/u64 and wr_buf_append wrote. The first read past the end
 * sets bad; from then on every read gives NULL or 0, so a decoder checks bad once at the end.
 */
typedef struct wr_buf_reader {
    const unsigned char *p;
    size_t left;
    bool bad;
} wr_buf_reader;

static inline wr_buf_reader wr_buf_reader_of(const void *data, size_t len)
{
    wr_buf_reader r = {data, len, false};
    return r;
}
/* The next n bytes, or NULL past the end. */
const void *wr_buf_take(wr_buf_reader *r, size_t n);
uint32_t wr_buf_get_u32(wr_buf_reader *r);
uint64_t wr_buf_get_u64(wr_buf_reader *r);

#endif
