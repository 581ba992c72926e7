/*
 * buf.c — growable byte buffer; see buf.h.
 */
#include "buf.h"
#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void wr_buf_init(wr_buf *buf)
{
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

void wr_buf_fini(wr_buf *buf)
{
    wr_free(buf->data);
    wr_buf_init(buf);
}

char *wr_buf_reserve(wr_buf *buf, size_t n)
{
    if (buf->len + n + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 64;
        while (cap < buf->len + n + 1) cap *= 2;
        buf->data = wr_realloc(buf->data, cap);
        buf->cap = cap;
    }
    return buf->data + buf->len;
}

void wr_buf_append(wr_buf *buf, const void *data, size_t n)
{
    char *p = wr_buf_reserve(buf, n);
    if (n) memcpy(p, data, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
}

void wr_buf_puts(wr_buf *buf, const char *s)
{
    wr_buf_append(buf, s, strlen(s));
}

void wr_buf_putc(wr_buf *buf, char c)
{
    char *p = wr_buf_reserve(buf, 1);
    *p = c;
    buf->len++;
    buf->data[buf->len] = '\0';
}

void wr_buf_printf(wr_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < (int)sizeof(tmp)) {
        wr_buf_append(buf, tmp, (size_t)n);
        return;
    }
    char *p = wr_buf_reserve(buf, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
}

char *wr_buf_detach(wr_buf *buf)
{
    char *p = buf->data;
    if (p == NULL) p = wr_strdup("");
    wr_buf_init(buf);
    return p;
}

void wr_buf_put_int64(wr_buf *buf, int64_t x)
{
    char tmp[24];
    char *end = tmp + sizeof(tmp), *p = end;
    uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (x < 0) *--p = '-';
    wr_buf_append(buf, p, (size_t)(end - p));
}

void wr_buf_put_padded(wr_buf *buf, uint64_t x, int width)
{
    char tmp[24];
    char *end = tmp + sizeof(tmp), *p = end;
    do {
        *--p = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    while (p > tmp && end - p < width) *--p = '0';
    wr_buf_append(buf, p, (size_t)(end - p));
}

void wr_buf_put_u32(wr_buf *buf, uint32_t v)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
    wr_buf_append(buf, b, sizeof(b));
}

void wr_buf_put_u64(wr_buf *buf, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    wr_buf_append(buf, b, sizeof(b));
}

const void *wr_buf_take(wr_buf_reader *r, size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = true;
        return NULL;
    }
    const void *at = r->p;
    r->p += n;
    r->left -= n;
    return at;
}

uint32_t wr_buf_get_u32(wr_buf_reader *r)
{
    const unsigned char *b = wr_buf_take(r, 4);
    uint32_t v = 0;
    for (int i = 0; b && i < 4; i++) v |= (uint32_t)b[i] << (8 * i);
    return v;
}

uint64_t wr_buf_get_u64(wr_buf_reader *r)
{
    const unsigned char *b = wr_buf_take(r, 8);
    uint64_t v = 0;
    for (int i = 0; b && i < 8; i++) v |= (uint64_t)b[i] << (8 * i);
    return v;
}
