/*
 * error.h — the error object every fallible Weir function fills.
 *
 * Functions return 0 on success or a negative wr_errcode and describe the
 * failure in a caller-provided wr_error. A user error (bad SQL, bad option,
 * bad record) carries a message a person can act on and, when it concerns
 * source text, the byte offset of the offending token so that it can be shown
 * as "line L, column C" with a caret under the text.
 */
#ifndef WR_ERROR_H
#define WR_ERROR_H

#include "wr.h"

typedef enum wr_errcode {
    WR_OK = 0,
    WR_ERR_PARSE = -1,      /* SQL syntax */
    WR_ERR_VALIDATION = -2, /* names, types, options */
    WR_ERR_RUNTIME = -3,    /* a failure while a job runs */
    WR_ERR_IO = -4,
    WR_ERR_CANCELLED = -5,
    WR_ERR_INTERNAL = -6,
    WR_ERR_ARGUMENT = -7, /* bad argument to an API call */
} wr_errcode;

#define WR_ERROR_MSG_MAX 1024

typedef struct wr_error {
    int code;   /* a wr_errcode; 0 when no error was set */
    int offset; /* byte offset into the source text, or -1 */
    bool retriable;
    bool attributed; /* the message already names the operator that failed */
    char msg[WR_ERROR_MSG_MAX];
} wr_error;

void wr_error_init(wr_error *err);
/* Sets the error (overwriting any previous one) and returns code. */
int wr_error_set(wr_error *err, int code, const char *fmt, ...) WR_PRINTF(3, 4);
/* As wr_error_set, with the byte offset of the offending text. */
int wr_error_set_at(wr_error *err, int code, int offset, const char *fmt, ...) WR_PRINTF(4, 5);
/* Prepends context ("while doing X: ") to an existing message. */
void wr_error_prefix(wr_error *err, const char *fmt, ...) WR_PRINTF(2, 3);
/* Copies src into dst. */
void wr_error_copy(wr_error *dst, const wr_error *src);

/*
 * Converts a byte offset within text to a 1-based line and column (columns
 * count bytes). Offsets past the end report the position just past the text.
 */
void wr_text_position(const char *text, int offset, int *line, int *column);

/*
 * Renders err for a person: "line L, column C: message" followed by the
 * source line and a caret under the column when err has an offset and text is
 * given. Writes at most size bytes including the NUL; returns out.
 */
char *wr_error_render(const wr_error *err, const char *text, char *out, size_t size);

const char *wr_errcode_name(int code);

#endif
