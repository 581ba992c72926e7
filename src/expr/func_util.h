/*
 * func_util.h — what the built-in function files (func_*.c) share and nobody
 * else needs.
 *
 * Binding: arguments are checked and cast against a one-letter-per-argument
 * signature, constant arguments (a regex, a JSON path, a seed) are evaluated
 * once so they can be validated and prepared at bind time. Kernels: the loop
 * over the active rows, validity bitmaps, strings in the evaluation arena and
 * UTF-8 characters. The out-of-line helpers are defined in func_misc.c.
 */
#ifndef WR_FUNC_UTIL_H
#define WR_FUNC_UTIL_H

#include "../base/alloc.h"
#include "functions.h"
#include "kernels.h"

#include <locale.h>
#include <string.h>

/* ---- kernels ----------------------------------------------------------------- */

/* Kernels are declared with WR_KERNEL_ARGS and loop with WR_FOR_ROWS (kernels.h). */

/* The longest string a function builds (bytes); longer results are runtime errors. */
#define WR_FN_MAX_STRING (1u << 30)

static inline bool wr_fn_present(const uint64_t *validity, int r)
{
    return validity == NULL || ((validity[r >> 6] >> (r & 63)) & 1);
}

static inline wr_str wr_fn_str(const wr_vector *v, int r)
{
    return ((const wr_str *)v->data)[r];
}

/*
 * The validity of a result that is NULL where any of args[0..nargs) is:
 * NULL when no argument has NULLs, otherwise a bitmap that may alias an
 * argument's (read-only).
 */
uint64_t *wr_fn_validity(wr_eval *ev, const wr_vector *args, int nargs);
/* As wr_fn_validity, but always a new bitmap in the arena that the kernel may change. */
uint64_t *wr_fn_validity_own(wr_eval *ev, const wr_vector *args, int nargs);

/* Bytes from the evaluation arena (at least one, so an empty string has an address). */
static inline char *wr_fn_alloc(wr_eval *ev, size_t size)
{
    return wr_arena_alloc(ev->arena, size ? size : 1);
}

/* A copy of bytes in the evaluation arena. */
static inline wr_str wr_fn_copy(wr_eval *ev, const void *p, size_t len)
{
    char *q = wr_fn_alloc(ev, len);
    if (len) memcpy(q, p, len);
    return (wr_str){q, (uint32_t)len};
}

/* ---- UTF-8 ------------------------------------------------------------------- */

/*
 * A character is a byte that is not a continuation byte (10xxxxxx) with the
 * continuation bytes after it, so counting, skipping and reversing agree
 * with each other even on malformed input.
 */
static inline bool wr_utf8_is_cont(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

/* Number of characters in s[0..len). */
static inline int64_t wr_utf8_count(const char *s, uint32_t len)
{
    int64_t k = 0;
    for (uint32_t i = 0; i < len; i++) k += !wr_utf8_is_cont(s[i]);
    return k;
}

/* Byte offset reached by skipping nchars characters from byte offset at (clamped to len). */
static inline uint32_t wr_utf8_skip(const char *s, uint32_t len, uint32_t at, int64_t nchars)
{
    while (nchars > 0 && at < len) {
        at++;
        while (at < len && wr_utf8_is_cont(s[at])) at++;
        nchars--;
    }
    return at;
}

/* Byte offset of the character that ends at byte offset end (> 0). */
static inline uint32_t wr_utf8_back(const char *s, uint32_t end)
{
    uint32_t at = end - 1;
    while (at > 0 && wr_utf8_is_cont(s[at])) at--;
    return at;
}

/* Decodes the character at *at and advances past it; malformed bytes give U+FFFD. */
uint32_t wr_utf8_decode(const char *s, uint32_t len, uint32_t *at);
/* Writes cp as UTF-8 (1 to 4 bytes; surrogates and values past U+10FFFF as U+FFFD). */
int wr_utf8_encode(uint32_t cp, char *out);

/*
 * The C.UTF-8 locale for Unicode character classes and case mappings
 * (towupper_l, iswalpha_l), created once; (locale_t)0 when the system has
 * none, in which case callers fall back to ASCII.
 */
locale_t wr_fn_utf8_locale(void);

/* ---- binding ----------------------------------------------------------------- */

/* Frees args (the expressions and the array) and returns NULL: the end of a failed bind. */
wr_expr *wr_fn_drop(wr_expr **args, int nargs);

/*
 * Sets err to "cannot apply NAME to arguments of type (T1, T2); usage: SIG",
 * positioned at pos. Returns the error code.
 */
int wr_fn_type_error(const wr_func_def *def, wr_expr *const *args, int nargs, int pos,
                     wr_error *err);

/*
 * Checks args against spec, one letter per argument (the last letter repeats
 * for further arguments), and casts them in place:
 *   S  a string: CHAR or VARCHAR, kept as it is
 *   I  an integer, cast to INT;  L  an integer, cast to BIGINT
 *   D  a number, cast to DOUBLE; B  a BOOLEAN;  A  anything, kept
 * An untyped NULL becomes a NULL of the wanted type (STRING for S). On a
 * mismatch sets err with wr_fn_type_error. The caller keeps ownership of
 * args either way (a failed cast leaves NULL in its slot).
 */
int wr_fn_coerce(const wr_func_def *def, wr_expr **args, int nargs, const char *spec, int pos,
                 wr_error *err);

/* True when any of args[0..nargs) may be NULL. */
bool wr_fn_nullable(wr_expr *const *args, int nargs);

/* STRING (VARCHAR of the maximum length) with the given nullability. */
static inline wr_type wr_fn_string(bool nullable)
{
    return wr_type_make(WR_TYPE_VARCHAR, nullable);
}

/* The call of def's function with kernel over args (ownership of both passes to the call). */
static inline wr_expr *wr_fn_call(const wr_func_def *def, wr_kernel_fn kernel, void *aux,
                                  void (*aux_free)(void *), wr_expr **args, int nargs,
                                  wr_type result, int pos)
{
    return wr_expr_call_kernel(def->name, kernel, aux, aux_free, args, nargs, result, pos);
}

/* The value of a constant argument, evaluated once at bind time. */
typedef struct wr_fn_const {
    bool is_const; /* the expression reads no column: the fields below hold its value */
    bool is_null;
    int64_t i; /* integer and BOOLEAN values */
    double d;  /* FLOAT and DOUBLE values */
    char *s;   /* strings: a NUL-terminated copy (free with wr_fn_const_fini) */
    uint32_t len;
} wr_fn_const;

/*
 * Evaluates a when it is constant (reads no column) into *c; c->is_const is
 * false otherwise. Fails only when the constant itself fails to evaluate
 * (a bad CAST). Borrows a.
 */
int wr_fn_const_eval(const wr_expr *a, wr_fn_const *c, wr_error *err);
void wr_fn_const_fini(wr_fn_const *c);

/* A NUL-terminated, printable excerpt of s for messages (at most 60 bytes and "..."). */
void wr_fn_excerpt(const char *s, size_t len, char *out, size_t size);

#endif
