/*
 * error.c — error object and rendering of source positions; see error.h.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void wr_error_init(wr_error *err)
{
    err->code = 0;
    err->offset = -1;
    err->retriable = false;
    err->attributed = false;
    err->msg[0] = '\0';
}

static int vset(wr_error *err, int code, int offset, const char *fmt, va_list ap)
{
    if (err == NULL) return code;
    err->code = code;
    err->offset = offset;
    err->retriable = false;
    err->attributed = false;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    return code;
}

int wr_error_set(wr_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, code, -1, fmt, ap);
    va_end(ap);
    return code;
}

int wr_error_set_at(wr_error *err, int code, int offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, code, offset, fmt, ap);
    va_end(ap);
    return code;
}

void wr_error_prefix(wr_error *err, const char *fmt, ...)
{
    if (err == NULL) return;
    char head[WR_ERROR_MSG_MAX];
    char old[WR_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    size_t hl = strlen(head), ol = strlen(old);
    if (hl > sizeof(err->msg) - 1) hl = sizeof(err->msg) - 1;
    if (ol > sizeof(err->msg) - 1 - hl) ol = sizeof(err->msg) - 1 - hl;
    memcpy(err->msg, head, hl);
    memcpy(err->msg + hl, old, ol);
    err->msg[hl + ol] = '\0';
}

void wr_error_copy(wr_error *dst, const wr_error *src)
{
    if (dst && src && dst != src) memcpy(dst, src, sizeof(*dst));
}

void wr_text_position(const char *text, int offset, int *line, int *column)
{
    int l = 1, c = 1;
    for (int i = 0; i < offset && text[i]; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *column = c;
}

char *wr_error_render(const wr_error *err, const char *text, char *out, size_t size)
{
    if (size == 0) return out;
    if (err->offset < 0 || text == NULL) {
        snprintf(out, size, "%s", err->msg);
        return out;
    }
    int line, col;
    wr_text_position(text, err->offset, &line, &col);
    /* Find the start and end of the offending line. */
    const char *start = text;
    for (int l = 1; l < line; l++) start = strchr(start, '\n') + 1;
    const char *end = strchr(start, '\n');
    int len = end ? (int)(end - start) : (int)strlen(start);
    char caret[512];
    int n = WR_MIN(col - 1, (int)sizeof(caret) - 2);
    for (int i = 0; i < n; i++) caret[i] = start[i] == '\t' ? '\t' : ' ';
    caret[n] = '^';
    caret[n + 1] = '\0';
    snprintf(out, size, "line %d, column %d: %s\n  %.*s\n  %s", line, col, err->msg, len, start,
             caret);
    return out;
}

const char *wr_errcode_name(int code)
{
    switch (code) {
    case WR_OK:
        return "ok";
    case WR_ERR_PARSE:
        return "SQL parse error";
    case WR_ERR_VALIDATION:
        return "validation error";
    case WR_ERR_RUNTIME:
        return "runtime error";
    case WR_ERR_IO:
        return "I/O error";
    case WR_ERR_CANCELLED:
        return "cancelled";
    case WR_ERR_INTERNAL:
        return "internal error";
    case WR_ERR_ARGUMENT:
        return "invalid argument";
    }
    return "error";
}
