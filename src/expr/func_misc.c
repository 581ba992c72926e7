/*
 * func_misc.c — built-in conditional, hashing, JSON and type functions
 * (functions.h), and the helpers all func_*.c files share (func_util.h).
 *
 * COALESCE, IFNULL, IF and NULLIF are rewritten into CASE so that later
 * arguments are evaluated only on the rows that need them, as Flink's
 * planner does; COALESCE whose fallbacks are plain columns or constants
 * becomes one kernel instead, since evaluating those eagerly costs nothing.
 * JSON functions scan the text in place (no parse tree): the document is
 * validated once, then the path is followed over it.
 */
#include "../base/config.h"
#include "../types/decimal.h"
#include "func_util.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <md5.h>
#include <pthread.h>
#include <sha1.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <wctype.h>

/* ---- shared helpers (func_util.h) ------------------------------------------------ */

static size_t validity_words(const wr_eval *ev)
{
    return ((size_t)ev->capacity + 63) / 64;
}

uint64_t *wr_fn_validity(wr_eval *ev, const wr_vector *args, int nargs)
{
    uint64_t *first = NULL;
    int count = 0;
    for (int i = 0; i < nargs; i++)
        if (args[i].validity) {
            if (!first) first = args[i].validity;
            count++;
        }
    if (count <= 1) return first;
    return wr_fn_validity_own(ev, args, nargs);
}

uint64_t *wr_fn_validity_own(wr_eval *ev, const wr_vector *args, int nargs)
{
    size_t words = validity_words(ev);
    uint64_t *v = wr_eval_validity(ev, true);
    for (int i = 0; i < nargs; i++)
        if (args[i].validity)
            for (size_t w = 0; w < words; w++) v[w] &= args[i].validity[w];
    return v;
}

uint32_t wr_utf8_decode(const char *s, uint32_t len, uint32_t *at)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t i = *at, end = i + 1;
    while (end < len && wr_utf8_is_cont(s[end])) end++;
    *at = end;
    unsigned c = p[i];
    if (c < 0x80) return end == i + 1 ? c : 0xFFFD;
    uint32_t cp, min;
    uint32_t need;
    if ((c & 0xE0) == 0xC0)
        need = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        need = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
        need = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0xFFFD;
    if (end - i != need) return 0xFFFD;
    for (uint32_t k = i + 1; k < end; k++) cp = (cp << 6) | (p[k] & 0x3F);
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
    return cp;
}

int wr_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static pthread_once_t locale_once = PTHREAD_ONCE_INIT;
static locale_t utf8_locale;

static void make_locale(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

locale_t wr_fn_utf8_locale(void)
{
    pthread_once(&locale_once, make_locale);
    return utf8_locale;
}

wr_expr *wr_fn_drop(wr_expr **args, int nargs)
{
    for (int i = 0; i < nargs; i++) wr_expr_free(args[i]);
    wr_free(args);
    return NULL;
}

int wr_fn_type_error(const wr_func_def *def, wr_expr *const *args, int nargs, int pos,
                     wr_error *err)
{
    wr_buf types;
    wr_buf_init(&types);
    for (int i = 0; i < nargs; i++) {
        if (i) wr_buf_puts(&types, ", ");
        if (args[i]) wr_type_format(args[i]->type, &types);
    }
    wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                    "cannot apply %s to arguments of type (%s); usage: %s", def->name,
                    types.data ? types.data : "", def->signature);
    wr_buf_fini(&types);
    return err->code;
}

static bool fits(char want, wr_type_id id)
{
    if (id == WR_TYPE_NULL) return true;
    switch (want) {
    case 'S':
        return wr_type_is_string(id);
    case 'I':
    case 'L':
        return wr_type_is_integer(id);
    case 'D':
        return wr_type_is_numeric(id);
    case 'B':
        return id == WR_TYPE_BOOLEAN;
    default:
        return true;
    }
}

int wr_fn_coerce(const wr_func_def *def, wr_expr **args, int nargs, const char *spec, int pos,
                 wr_error *err)
{
    size_t nspec = strlen(spec);
    /* Check every argument before casting any, so the message shows the types as written. */
    for (int i = 0; i < nargs; i++) {
        char want = spec[(size_t)i < nspec ? (size_t)i : nspec - 1];
        if (!fits(want, args[i]->type.id))
            return wr_fn_type_error(def, args, nargs, args[i]->pos >= 0 ? args[i]->pos : pos, err);
    }
    for (int i = 0; i < nargs; i++) {
        char want = spec[(size_t)i < nspec ? (size_t)i : nspec - 1];
        wr_type t = args[i]->type;
        bool nullable = t.nullable || t.id == WR_TYPE_NULL;
        wr_type_id to;
        switch (want) {
        case 'S':
            to = t.id == WR_TYPE_NULL ? WR_TYPE_VARCHAR : WR_TYPE_COUNT_;
            break;
        case 'I':
            to = WR_TYPE_INT;
            break;
        case 'L':
            to = WR_TYPE_BIGINT;
            break;
        case 'D':
            to = WR_TYPE_DOUBLE;
            break;
        case 'B':
            to = WR_TYPE_BOOLEAN;
            break;
        default:
            to = WR_TYPE_COUNT_;
            break;
        }
        if (to == WR_TYPE_COUNT_ || (t.id == to && to != WR_TYPE_VARCHAR)) continue;
        args[i] = wr_expr_cast(args[i], wr_type_make(to, nullable), false, args[i]->pos, err);
        if (args[i] == NULL) return err->code;
    }
    return 0;
}

bool wr_fn_nullable(wr_expr *const *args, int nargs)
{
    for (int i = 0; i < nargs; i++)
        if (args[i]->type.nullable || args[i]->type.id == WR_TYPE_NULL) return true;
    return false;
}

int wr_fn_const_eval(const wr_expr *a, wr_fn_const *c, wr_error *err)
{
    memset(c, 0, sizeof(*c));
    if (!wr_expr_is_constant(a)) return 0;
    c->is_const = true;
    wr_arena arena;
    wr_arena_init(&arena, 1024);
    wr_eval ev = {&arena, 1};
    wr_vector v;
    /* A constant reads no column, so it needs no input batch. */
    int rc = wr_expr_eval(&ev, a, NULL, NULL, 1, &v, err);
    if (rc == 0) {
        wr_type_id id = a->type.id;
        if (id == WR_TYPE_NULL || wr_vector_is_null(&v, 0)) {
            c->is_null = true;
        } else if (wr_type_is_string(id)) {
            wr_str s = wr_fn_str(&v, 0);
            c->s = wr_strndup(s.ptr, s.len);
            c->len = s.len;
        } else if (id == WR_TYPE_FLOAT) {
            c->d = ((const float *)v.data)[0];
        } else if (id == WR_TYPE_DOUBLE) {
            c->d = ((const double *)v.data)[0];
        } else if (id == WR_TYPE_BOOLEAN) {
            c->i = ((const uint8_t *)v.data)[0] != 0;
        } else if (id == WR_TYPE_TINYINT) {
            c->i = ((const int8_t *)v.data)[0];
        } else if (id == WR_TYPE_SMALLINT) {
            c->i = ((const int16_t *)v.data)[0];
        } else if (id == WR_TYPE_INT) {
            c->i = ((const int32_t *)v.data)[0];
        } else if (id == WR_TYPE_DECIMAL) {
            wr_int128 x = ((const wr_int128 *)v.data)[0];
            c->i = wr_decimal_to_int64(x, a->type.scale);
            c->d = wr_decimal_to_double(x, a->type.scale);
        } else if (wr_type_width(id) == 4) { /* DATE, TIME, INTERVAL YEAR TO MONTH */
            c->i = ((const int32_t *)v.data)[0];
        } else if (wr_type_width(id) == 8) {
            c->i = ((const int64_t *)v.data)[0];
        }
    }
    wr_arena_fini(&arena);
    return rc;
}

void wr_fn_const_fini(wr_fn_const *c)
{
    wr_free(c->s);
    c->s = NULL;
}

void wr_fn_excerpt(const char *s, size_t len, char *out, size_t size)
{
    size_t max = WR_MIN((size_t)60, size - 4);
    size_t n = len;
    if (n > max) {
        n = max;
        while (n > 0 && wr_utf8_is_cont(s[n])) n--; /* cut at a character boundary */
    }
    memcpy(out, s, n);
    if (n < len) memcpy(out + n, "...", 3), n += 3;
    out[n] = '\0';
}

/* ---- COALESCE, IFNULL, IF, NULLIF ------------------------------------------------------ */

static bool is_plain(const wr_expr *a)
{
    return a->kind == WR_EXPR_COLUMN || a->kind == WR_EXPR_CONST;
}

/*
 * A copy of e for a second use in the same tree (CASE tests an argument and
 * then returns it). A named function's prepared data (aux) is shared, not
 * copied: the copy borrows it from e, which lives as long as the tree.
 */
static wr_expr *copy_expr(const wr_expr *e)
{
    wr_expr **args = e->nargs ? wr_malloc((size_t)e->nargs * sizeof(wr_expr *)) : NULL;
    for (int i = 0; i < e->nargs; i++) args[i] = copy_expr(e->args[i]);
    wr_expr *c = NULL;
    switch (e->kind) {
    case WR_EXPR_COLUMN:
        c = wr_expr_column(e->col, e->type, e->pos);
        break;
    case WR_EXPR_CONST: {
        /* Same slots, same bytes: start from a NULL constant and fill it in. */
        c = wr_expr_null(e->type, e->pos);
        c->type = c->cvec.type = e->type;
        memcpy(c->cvec.data, e->cvec.data, WR_BATCH_CAPACITY * wr_type_width(e->type.id));
        if (e->cvec.validity == NULL) {
            wr_free(c->cvec.own_validity);
            c->cvec.validity = c->cvec.own_validity = NULL;
        }
        if (e->cstr && wr_type_is_view(e->type.id)) {
            wr_str v = wr_fn_str(&e->cvec, 0);
            c->cstr = wr_strndup(e->cstr, v.len);
            for (int i = 0; i < WR_BATCH_CAPACITY; i++)
                ((wr_str *)c->cvec.data)[i] = (wr_str){c->cstr, v.len};
        }
        break;
    }
    case WR_EXPR_CALL:
        c = wr_expr_call_kernel(e->name, e->kernel, e->aux, NULL, args, e->nargs, e->type, e->pos);
        c->fn = e->fn;
        break;
    case WR_EXPR_AND:
    case WR_EXPR_OR:
    case WR_EXPR_CASE:
        c = wr_expr_logic(e->kind, args, e->nargs, e->type, e->pos);
        break;
    }
    return c;
}

/*
 * The common type of args[0..nargs) (a NULL literal fits anything; all NULL:
 * STRING). CHARs of different lengths meet as VARCHAR, so that no branch is
 * padded. False when some pair has no common type.
 */
static bool common_type(wr_expr *const *args, int nargs, wr_type *out)
{
    wr_type t = wr_type_make(WR_TYPE_NULL, true);
    int char_len = -1;
    bool chars_differ = false;
    for (int i = 0; i < nargs; i++) {
        wr_type c;
        if (!wr_type_common(t, args[i]->type, &c)) return false;
        t = c;
        if (args[i]->type.id == WR_TYPE_CHAR) {
            if (char_len >= 0 && char_len != args[i]->type.length) chars_differ = true;
            char_len = args[i]->type.length;
        }
    }
    if (t.id == WR_TYPE_NULL) t = wr_type_make(WR_TYPE_VARCHAR, true);
    if (t.id == WR_TYPE_CHAR && chars_differ) t.id = WR_TYPE_VARCHAR;
    *out = t;
    return true;
}

static wr_expr **args_of(wr_expr *a, wr_expr *b)
{
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = a;
    args[1] = b;
    return args;
}

/* x IS NOT NULL (takes x). */
static wr_expr *is_not_null(wr_expr *x, wr_error *err)
{
    wr_expr *e = wr_expr_call(WR_FN_IS_NOT_NULL, args_of(x, NULL), 1,
                              wr_type_make(WR_TYPE_BOOLEAN, false), x->pos, err);
    assert(e != NULL); /* IS NOT NULL takes any type */
    return e;
}

/* Casts *x to t, keeping its own nullability. */
static int cast_to(wr_expr **x, wr_type t, wr_error *err)
{
    wr_type want = t;
    want.nullable = (*x)->type.nullable || (*x)->type.id == WR_TYPE_NULL;
    if (wr_type_equal((*x)->type, want)) return 0;
    *x = wr_expr_cast(*x, want, false, (*x)->pos, err);
    return *x ? 0 : err->code;
}

/* First present argument per row; only for arguments that are cheap to evaluate eagerly. */
static int k_coalesce(WR_KERNEL_ARGS)
{
    size_t w = wr_type_width(e->type.id);
    char *o = out->data;
    uint64_t *valid = NULL;
    WR_FOR_ROWS({
        int a = 0;
        while (a < e->nargs && !wr_fn_present(args[a].validity, r)) a++;
        if (a == e->nargs) {
            if (!valid) valid = wr_eval_validity(ev, true);
            wr_validity_set(valid, r, false);
        } else {
            memcpy(o + (size_t)r * w, (const char *)args[a].data + (size_t)r * w, w);
        }
    });
    out->validity = valid;
    return 0;
}

/*
 * COALESCE(a, b, ...) and IFNULL(a, b): the common type; NOT NULL when an
 * argument is (arguments after it are never reached and are dropped), for
 * IFNULL nullable exactly when the replacement is.
 */
static wr_expr *bind_coalesce(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                              wr_error *err)
{
    bool ifnull = def->data != NULL;
    wr_type t;
    if (!common_type(args, nargs, &t)) {
        wr_fn_type_error(def, args, nargs, pos, err);
        return wr_fn_drop(args, nargs);
    }
    int keep = nargs;
    for (int i = 0; i < nargs; i++)
        if (!args[i]->type.nullable && args[i]->type.id != WR_TYPE_NULL) {
            keep = i + 1;
            break;
        }
    t.nullable = keep == nargs && wr_fn_nullable(&args[nargs - 1], 1);
    if (ifnull) t.nullable = wr_fn_nullable(&args[nargs - 1], 1);
    for (int i = keep; i < nargs; i++) wr_expr_free(args[i]);
    nargs = keep;
    /* Columns and constants cost nothing to evaluate eagerly (nor do casts to the common type). */
    bool plain = true;
    for (int i = 1; i < nargs; i++) plain = plain && is_plain(args[i]);
    for (int i = 0; i < nargs; i++)
        if (cast_to(&args[i], t, err)) return wr_fn_drop(args, nargs);
    if (nargs == 1) {
        wr_expr *only = args[0];
        wr_free(args);
        only->type.nullable = t.nullable || only->type.nullable;
        return only;
    }
    if (plain) return wr_fn_call(def, k_coalesce, NULL, NULL, args, nargs, t, pos);
    /* CASE WHEN a IS NOT NULL THEN a WHEN b IS NOT NULL THEN b ... ELSE last END */
    int ncase = 2 * (nargs - 1) + 1;
    wr_expr **c = wr_calloc((size_t)ncase, sizeof(wr_expr *));
    for (int i = 0; i + 1 < nargs; i++) {
        c[2 * i] = is_not_null(copy_expr(args[i]), err);
        c[2 * i + 1] = args[i];
    }
    c[ncase - 1] = args[nargs - 1];
    wr_free(args);
    return wr_expr_logic(WR_EXPR_CASE, c, ncase, t, pos);
}

/* IF(cond, a, b): CASE WHEN cond THEN a ELSE b END, whose argument layout it already has. */
static wr_expr *bind_if(const wr_func_def *def, wr_expr **args, int nargs, int pos, wr_error *err)
{
    wr_type t;
    if ((args[0]->type.id != WR_TYPE_BOOLEAN && args[0]->type.id != WR_TYPE_NULL) ||
        !common_type(args + 1, 2, &t)) {
        wr_fn_type_error(def, args, nargs, pos, err);
        return wr_fn_drop(args, nargs);
    }
    t.nullable = wr_fn_nullable(args + 1, 2);
    if (cast_to(&args[0], wr_type_make(WR_TYPE_BOOLEAN, true), err) || cast_to(&args[1], t, err) ||
        cast_to(&args[2], t, err))
        return wr_fn_drop(args, nargs);
    return wr_expr_logic(WR_EXPR_CASE, args, 3, t, pos);
}

/* NULLIF(a, b): CASE WHEN a = b THEN NULL ELSE a END, comparing in the common type. */
static wr_expr *bind_nullif(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                            wr_error *err)
{
    wr_type t;
    if (!common_type(args, 2, &t)) {
        wr_fn_type_error(def, args, nargs, pos, err);
        return wr_fn_drop(args, nargs);
    }
    wr_expr *x = copy_expr(args[0]), *y = args[1];
    args[1] = NULL;
    /* Strings compare as they are; numbers and NULL literals meet in the common type. */
    if ((!wr_type_is_string(t.id) || x->type.id == WR_TYPE_NULL) && cast_to(&x, t, err)) {
        wr_expr_free(y);
        return wr_fn_drop(args, nargs);
    }
    if ((!wr_type_is_string(t.id) || y->type.id == WR_TYPE_NULL) && cast_to(&y, t, err)) {
        wr_expr_free(x);
        return wr_fn_drop(args, nargs);
    }
    wr_expr *eq =
        wr_expr_call(WR_FN_EQ, args_of(x, y), 2, wr_type_make(WR_TYPE_BOOLEAN, true), pos, err);
    if (eq == NULL) return wr_fn_drop(args, nargs);
    wr_type r = args[0]->type.id == WR_TYPE_NULL ? t : args[0]->type;
    r.nullable = true;
    wr_expr *a = args[0];
    wr_free(args);
    if (cast_to(&a, r, err)) {
        wr_expr_free(eq);
        return NULL;
    }
    wr_expr **c = wr_malloc(3 * sizeof(wr_expr *));
    c[0] = eq;
    c[1] = wr_expr_null(r, pos);
    c[2] = a;
    return wr_expr_logic(WR_EXPR_CASE, c, 3, r, pos);
}

/* ---- GREATEST, LEAST ---------------------------------------------------------------- */

#define EXTREME(NAME, T, OP)                                                                       \
    static int NAME(WR_KERNEL_ARGS)                                                                \
    {                                                                                              \
        T *o = out->data;                                                                          \
        out->validity = wr_fn_validity(ev, args, e->nargs);                                        \
        WR_FOR_ROWS({                                                                              \
            T m = ((const T *)args[0].data)[r];                                                    \
            for (int a = 1; a < e->nargs; a++) {                                                   \
                T x = ((const T *)args[a].data)[r];                                                \
                if (x OP m) m = x;                                                                 \
            }                                                                                      \
            o[r] = m;                                                                              \
        });                                                                                        \
        return 0;                                                                                  \
    }

EXTREME(greatest_b, uint8_t, >)
EXTREME(greatest_i8, int8_t, >)
EXTREME(greatest_i16, int16_t, >)
EXTREME(greatest_i32, int32_t, >)
EXTREME(greatest_i64, int64_t, >)
EXTREME(greatest_i128, wr_int128, >) /* DECIMAL, all arguments cast to one scale */
EXTREME(greatest_f32, float, >)
EXTREME(greatest_f64, double, >)
EXTREME(least_b, uint8_t, <)
EXTREME(least_i8, int8_t, <)
EXTREME(least_i16, int16_t, <)
EXTREME(least_i32, int32_t, <)
EXTREME(least_i64, int64_t, <)
EXTREME(least_i128, wr_int128, <)
EXTREME(least_f32, float, <)
EXTREME(least_f64, double, <)

static int str_cmp(wr_str a, wr_str b)
{
    uint32_t n = WR_MIN(a.len, b.len);
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c) return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

static inline int extreme_s(wr_eval *ev, const wr_expr *e, const wr_vector *args, wr_vector *out,
                            const uint32_t *sel, int n, int sign)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue; /* NULL slots hold anything */
        wr_str m = wr_fn_str(&args[0], r);
        for (int a = 1; a < e->nargs; a++) {
            wr_str x = wr_fn_str(&args[a], r);
            if (str_cmp(x, m) * sign > 0) m = x;
        }
        o[r] = m;
    });
    return 0;
}

static int greatest_s(WR_KERNEL_ARGS)
{
    return extreme_s(ev, e, args, out, sel, n, 1);
}

static int least_s(WR_KERNEL_ARGS)
{
    return extreme_s(ev, e, args, out, sel, n, -1);
}

static wr_expr *bind_extreme(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                             wr_error *err)
{
    bool greatest = def->data != NULL;
    wr_type t;
    wr_kernel_fn k = NULL;
    if (common_type(args, nargs, &t)) {
        switch ((wr_type_id)t.id) {
        case WR_TYPE_BOOLEAN:
            k = greatest ? greatest_b : least_b;
            break;
        case WR_TYPE_TINYINT:
            k = greatest ? greatest_i8 : least_i8;
            break;
        case WR_TYPE_SMALLINT:
            k = greatest ? greatest_i16 : least_i16;
            break;
        case WR_TYPE_INT:
        case WR_TYPE_DATE:
        case WR_TYPE_TIME:
        case WR_TYPE_INTERVAL_YM:
            k = greatest ? greatest_i32 : least_i32;
            break;
        case WR_TYPE_BIGINT:
        case WR_TYPE_TIMESTAMP:
        case WR_TYPE_TIMESTAMP_LTZ:
        case WR_TYPE_INTERVAL_DT:
            k = greatest ? greatest_i64 : least_i64;
            break;
        case WR_TYPE_DECIMAL:
            k = greatest ? greatest_i128 : least_i128;
            break;
        case WR_TYPE_FLOAT:
            k = greatest ? greatest_f32 : least_f32;
            break;
        case WR_TYPE_DOUBLE:
            k = greatest ? greatest_f64 : least_f64;
            break;
        case WR_TYPE_CHAR:
        case WR_TYPE_VARCHAR:
        case WR_TYPE_BINARY:
        case WR_TYPE_VARBINARY:
            k = greatest ? greatest_s : least_s;
            break;
        case WR_TYPE_ARRAY: /* not comparable, as in Flink */
        case WR_TYPE_MAP:
        case WR_TYPE_MULTISET:
        case WR_TYPE_ROW:
        case WR_TYPE_NULL:
        case WR_TYPE_COUNT_:
            break;
        }
    }
    if (k == NULL) {
        wr_fn_type_error(def, args, nargs, pos, err);
        return wr_fn_drop(args, nargs);
    }
    t.nullable = wr_fn_nullable(args, nargs);
    for (int i = 0; i < nargs; i++)
        if (cast_to(&args[i], t, err)) return wr_fn_drop(args, nargs);
    return wr_fn_call(def, k, NULL, NULL, args, nargs, t, pos);
}

/* ---- IS_ALPHA, IS_DIGIT, IS_DECIMAL ------------------------------------------------- */

/* Java's StringUtils.isAlpha: not empty, every character a letter. */
static bool is_alpha(wr_str s)
{
    locale_t loc = wr_fn_utf8_locale();
    if (s.len == 0) return false;
    for (uint32_t i = 0; i < s.len;) {
        uint32_t cp = wr_utf8_decode(s.ptr, s.len, &i);
        bool letter = cp < 0x80 ? ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
                                : loc != (locale_t)0 && iswalpha_l((wint_t)cp, loc);
        if (!letter) return false;
    }
    return true;
}

/* StringUtils.isNumeric: not empty, every character a decimal digit (ASCII digits here). */
static bool is_digit(wr_str s)
{
    if (s.len == 0) return false;
    for (uint32_t i = 0; i < s.len; i++)
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return false;
    return true;
}

static bool digits(const char *s, size_t n, size_t *i, bool hex)
{
    size_t start = *i;
    while (*i < n && (hex ? isxdigit((unsigned char)s[*i]) : isdigit((unsigned char)s[*i]))) (*i)++;
    return *i > start;
}

/*
 * Whether Java's Integer/Long/Double parsers accept s (Flink's IS_DECIMAL):
 * surrounding blanks, a sign, NaN, Infinity, decimal and hexadecimal
 * floating-point literals with an optional f/F/d/D suffix.
 */
static bool is_decimal(wr_str str)
{
    const char *s = str.ptr;
    size_t n = str.len, i = 0;
    while (i < n && (unsigned char)s[i] <= ' ') i++;
    while (n > i && (unsigned char)s[n - 1] <= ' ') n--;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (n - i == 3 && memcmp(s + i, "NaN", 3) == 0) return true;
    if (n - i == 8 && memcmp(s + i, "Infinity", 8) == 0) return true;
    bool hex = n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
    if (hex) i += 2;
    bool whole = digits(s, n, &i, hex), frac = false;
    if (i < n && s[i] == '.') {
        i++;
        frac = digits(s, n, &i, hex);
    }
    if (!whole && !frac) return false;
    if (i < n && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (!digits(s, n, &i, false)) return false;
    } else if (hex) {
        return false; /* a hexadecimal literal needs its binary exponent */
    }
    if (i < n && (s[i] == 'f' || s[i] == 'F' || s[i] == 'd' || s[i] == 'D')) i++;
    return i == n;
}

#define STRING_TEST(NAME, TEST)                                                                    \
    static int NAME(WR_KERNEL_ARGS)                                                                \
    {                                                                                              \
        uint8_t *o = out->data;                                                                    \
        const uint64_t *valid = args[0].validity;                                                  \
        WR_FOR_ROWS(o[r] = wr_fn_present(valid, r) && TEST(wr_fn_str(&args[0], r)));               \
        return 0;                                                                                  \
    }

STRING_TEST(k_is_alpha, is_alpha)
STRING_TEST(k_is_digit, is_digit)
STRING_TEST(k_is_decimal, is_decimal)
static const wr_kernel_fn ref_is_alpha = k_is_alpha, ref_is_digit = k_is_digit,
                          ref_is_decimal = k_is_decimal;

/* IS_ALPHA, IS_DIGIT, IS_DECIMAL: never NULL (FALSE for NULL), as Flink. */
static wr_expr *bind_string_test(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                 wr_error *err)
{
    if (wr_fn_coerce(def, args, nargs, "S", pos, err)) return wr_fn_drop(args, nargs);
    return wr_fn_call(def, *(const wr_kernel_fn *)def->data, NULL, NULL, args, nargs,
                      wr_type_make(WR_TYPE_BOOLEAN, false), pos);
}

/* ---- MD5, SHA1, SHA2 family ------------------------------------------------------------- */

typedef struct digest {
    int bits;   /* the SHA2 length that selects it; 0 when none */
    size_t len; /* digest bytes */
    void (*fn)(const uint8_t *p, size_t n, uint8_t *out);
} digest;

static void md5(const uint8_t *p, size_t n, uint8_t *out)
{
    MD5_CTX c;
    MD5Init(&c);
    MD5Update(&c, p, n);
    MD5Final(out, &c);
}

static void sha1(const uint8_t *p, size_t n, uint8_t *out)
{
    SHA1_CTX c;
    SHA1Init(&c);
    SHA1Update(&c, p, n);
    SHA1Final(out, &c);
}

/* SHA-224 is SHA-256 from other initial values, cut to 28 bytes (FIPS 180-4, 5.3.2). */
static void sha224(const uint8_t *p, size_t n, uint8_t *out)
{
    static const uint32_t iv[8] = {0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939,
                                   0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4};
    SHA2_CTX c;
    uint8_t full[SHA256_DIGEST_LENGTH];
    SHA256Init(&c);
    memcpy(c.state.st32, iv, sizeof(iv));
    SHA256Update(&c, p, n);
    SHA256Final(full, &c);
    memcpy(out, full, 28);
}

static void sha256(const uint8_t *p, size_t n, uint8_t *out)
{
    SHA2_CTX c;
    SHA256Init(&c);
    SHA256Update(&c, p, n);
    SHA256Final(out, &c);
}

static void sha384(const uint8_t *p, size_t n, uint8_t *out)
{
    SHA2_CTX c;
    SHA384Init(&c);
    SHA384Update(&c, p, n);
    SHA384Final(out, &c);
}

static void sha512(const uint8_t *p, size_t n, uint8_t *out)
{
    SHA2_CTX c;
    SHA512Init(&c);
    SHA512Update(&c, p, n);
    SHA512Final(out, &c);
}

static const digest digests[] = {
    {0, 16, md5},      {0, 20, sha1},     {224, 28, sha224},
    {256, 32, sha256}, {384, 48, sha384}, {512, 64, sha512},
};

static const digest *digest_of_bits(int64_t bits)
{
    for (size_t i = 0; i < WR_ARRAY_LEN(digests); i++)
        if (digests[i].bits && digests[i].bits == bits) return &digests[i];
    return NULL;
}

/* The lower-case hex digest of s, in the arena. */
static wr_str hex_digest(wr_eval *ev, const digest *d, wr_str s)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t raw[64];
    d->fn((const uint8_t *)s.ptr, s.len, raw);
    char *p = wr_fn_alloc(ev, 2 * d->len);
    for (size_t i = 0; i < d->len; i++) {
        p[2 * i] = hex[raw[i] >> 4];
        p[2 * i + 1] = hex[raw[i] & 15];
    }
    return (wr_str){p, (uint32_t)(2 * d->len)};
}

/* One digest for every row; d is a constant in each kernel, so the call is direct. */
static inline int hash_rows(wr_eval *ev, const wr_vector *args, wr_vector *out, const uint32_t *sel,
                            int n, const digest *d)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 1);
    WR_FOR_ROWS({
        if (wr_fn_present(valid, r)) o[r] = hex_digest(ev, d, wr_fn_str(&args[0], r));
    });
    return 0;
}

#define HASH_KERNEL(NAME, INDEX)                                                                   \
    static int NAME(WR_KERNEL_ARGS)                                                                \
    {                                                                                              \
        return hash_rows(ev, args, out, sel, n, &digests[INDEX]);                                  \
    }

HASH_KERNEL(k_md5, 0)
HASH_KERNEL(k_sha1, 1)
HASH_KERNEL(k_sha224, 2)
HASH_KERNEL(k_sha256, 3)
HASH_KERNEL(k_sha384, 4)
HASH_KERNEL(k_sha512, 5)
static const wr_kernel_fn hash_kernels[] = {k_md5, k_sha1, k_sha224, k_sha256, k_sha384, k_sha512};

/* SHA2(s, bits) with the length read per row. */
static int k_sha2(WR_KERNEL_ARGS)
{
    const int32_t *bits = args[1].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 2);
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        const digest *d = digest_of_bits(bits[r]);
        if (d == NULL) {
            rc = wr_error_set(err, WR_ERR_RUNTIME,
                              "SHA2: unsupported hash length %d (supported: 224, 256, 384, 512)",
                              bits[r]);
            break;
        }
        o[r] = hex_digest(ev, d, wr_fn_str(&args[0], r));
    });
    return rc;
}

static wr_expr *bind_hash(const wr_func_def *def, wr_expr **args, int nargs, int pos, wr_error *err)
{
    if (wr_fn_coerce(def, args, nargs, nargs == 1 ? "S" : "SI", pos, err))
        return wr_fn_drop(args, nargs);
    const digest *d = def->data;
    wr_type t = wr_type_make(WR_TYPE_VARCHAR, wr_fn_nullable(args, nargs));
    if (nargs == 1) {
        t.length = (int32_t)(2 * d->len);
        return wr_fn_call(def, hash_kernels[d - digests], NULL, NULL, args, nargs, t, pos);
    }
    wr_fn_const bits;
    if (wr_fn_const_eval(args[1], &bits, err)) return wr_fn_drop(args, nargs);
    if (bits.is_const && !bits.is_null) {
        if (!(d = digest_of_bits(bits.i))) {
            wr_error_set_at(err, WR_ERR_VALIDATION, args[1]->pos,
                            "SHA2: unsupported hash length %" PRId64
                            " (supported: 224, 256, 384, 512)",
                            bits.i);
            return wr_fn_drop(args, nargs);
        }
        t.length = (int32_t)(2 * d->len);
        return wr_fn_call(def, hash_kernels[d - digests], NULL, NULL, args, nargs, t, pos);
    }
    t.length = 128;
    return wr_fn_call(def, k_sha2, NULL, NULL, args, nargs, t, pos);
}

/* ---- JSON ------------------------------------------------------------------------------- */

/* Deeper documents are errors (NULL) rather than a deep recursion. */
#define JSON_MAX_DEPTH 512
/* Steps of a path followed per row (constant paths may have any number). */
#define JSON_MAX_STEPS 64

static inline char json_at(const char *s, uint32_t len, uint32_t i)
{
    return i < len ? s[i] : '\0';
}

static uint32_t json_ws(const char *s, uint32_t len, uint32_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

/* The offset after the string that starts (with '"') at i, or 0 when it is malformed. */
static uint32_t json_skip_string(const char *s, uint32_t len, uint32_t i)
{
    for (i++; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"') return i + 1;
        if (c < 0x20) return 0;
        if (c != '\\') continue;
        if (++i >= len) return 0;
        if (s[i] == 'u') {
            for (int k = 1; k <= 4; k++)
                if (!isxdigit((unsigned char)json_at(s, len, i + k))) return 0;
            i += 4;
        } else if (!strchr("\"\\/bfnrt", s[i]) || s[i] == '\0') {
            return 0;
        }
    }
    return 0;
}

static uint32_t json_skip_digits(const char *s, uint32_t len, uint32_t i)
{
    while (i < len && s[i] >= '0' && s[i] <= '9') i++;
    return i;
}

/* The offset after the number at i (JSON's grammar: no leading zeros, no NaN), or 0. */
static uint32_t json_skip_number(const char *s, uint32_t len, uint32_t i)
{
    if (json_at(s, len, i) == '-') i++;
    char c = json_at(s, len, i);
    if (c == '0')
        i++;
    else if (c >= '1' && c <= '9')
        i = json_skip_digits(s, len, i);
    else
        return 0;
    if (json_at(s, len, i) == '.') {
        uint32_t j = json_skip_digits(s, len, i + 1);
        if (j == i + 1) return 0;
        i = j;
    }
    c = json_at(s, len, i);
    if (c == 'e' || c == 'E') {
        i++;
        if (json_at(s, len, i) == '+' || json_at(s, len, i) == '-') i++;
        uint32_t j = json_skip_digits(s, len, i);
        if (j == i) return 0;
        i = j;
    }
    return i;
}

/* The offset after the value at i, or 0 when it is not valid JSON. */
static uint32_t json_skip_value(const char *s, uint32_t len, uint32_t i, int depth)
{
    char c = json_at(s, len, i);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        if (depth >= JSON_MAX_DEPTH) return 0;
        i = json_ws(s, len, i + 1);
        if (json_at(s, len, i) == close) return i + 1;
        for (;;) {
            if (c == '{') {
                if (json_at(s, len, i) != '"' || !(i = json_skip_string(s, len, i))) return 0;
                i = json_ws(s, len, i);
                if (json_at(s, len, i) != ':') return 0;
                i = json_ws(s, len, i + 1);
            }
            if (!(i = json_skip_value(s, len, i, depth + 1))) return 0;
            i = json_ws(s, len, i);
            if (json_at(s, len, i) == close) return i + 1;
            if (json_at(s, len, i) != ',') return 0;
            i = json_ws(s, len, i + 1);
        }
    }
    if (c == '"') return json_skip_string(s, len, i);
    static const char *const words[] = {"true", "false", "null"};
    for (size_t k = 0; k < WR_ARRAY_LEN(words); k++) {
        size_t n = strlen(words[k]);
        if (c == words[k][0])
            return len - i >= n && memcmp(s + i, words[k], n) == 0 ? i + (uint32_t)n : 0;
    }
    return json_skip_number(s, len, i);
}

static uint32_t hex4(const char *p)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v = v * 16 + (uint32_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/*
 * Writes the text of the (valid) JSON string body raw[0..n) with its escapes
 * resolved to dst, which has room for n bytes (no escape grows); returns its
 * length. A surrogate pair becomes one character, a lone surrogate U+FFFD.
 */
static uint32_t json_unescape(const char *raw, uint32_t n, char *dst)
{
    uint32_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        char c = raw[i];
        if (c != '\\') {
            dst[o++] = c;
            continue;
        }
        c = raw[++i];
        switch (c) {
        case 'b':
            dst[o++] = '\b';
            break;
        case 'f':
            dst[o++] = '\f';
            break;
        case 'n':
            dst[o++] = '\n';
            break;
        case 'r':
            dst[o++] = '\r';
            break;
        case 't':
            dst[o++] = '\t';
            break;
        case 'u': {
            uint32_t cp = hex4(raw + i + 1);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < n && raw[i + 1] == '\\' &&
                raw[i + 2] == 'u') {
                uint32_t lo = hex4(raw + i + 3);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            o += (uint32_t)wr_utf8_encode(cp, dst + o);
            break;
        }
        default: /* '"', '\\', '/' */
            dst[o++] = c;
            break;
        }
    }
    return o;
}

/* A step of a JSON path: a member name, or (key NULL) an array index, negative from the end. */
typedef struct json_step {
    const char *key;
    uint32_t key_len;
    int64_t index;
} json_step;

/*
 * Parses the JSONPath subset Weir supports: an optional 'lax' or 'strict'
 * mode, '$', then steps .name, ['name'] or ["name"] (also written .['name']),
 * and [n] (n < 0 counts from the end). Keys point into p. Returns the number
 * of steps, or -1 with *why set when the path is malformed or uses what is
 * not supported (wildcards, filters, slices, recursive descent).
 */
static int json_path_parse(const char *p, uint32_t len, json_step *steps, int max_steps,
                           const char **why)
{
    uint32_t i = json_ws(p, len, 0);
    while (len > i && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\n')) len--;
    static const char *const modes[] = {"lax", "strict"};
    for (size_t m = 0; m < WR_ARRAY_LEN(modes); m++) {
        size_t n = strlen(modes[m]);
        if (len - i > n && strncasecmp(p + i, modes[m], n) == 0 &&
            (p[i + n] == ' ' || p[i + n] == '\t' || p[i + n] == '\n')) {
            i = json_ws(p, len, i + (uint32_t)n);
            break;
        }
    }
    if (json_at(p, len, i) != '$') {
        *why = "a path starts with '$'";
        return -1;
    }
    i++;
    int k = 0;
    while (i < len) {
        if (k == max_steps) {
            *why = "the path has too many steps";
            return -1;
        }
        json_step *st = &steps[k];
        st->key = NULL;
        st->index = 0;
        if (p[i] == '.') {
            i++;
            if (json_at(p, len, i) == '.' || json_at(p, len, i) == '*') {
                *why = "wildcards and recursive descent are not supported";
                return -1;
            }
            if (json_at(p, len, i) != '[') {
                uint32_t start = i;
                while (i < len && p[i] != '.' && p[i] != '[') i++;
                if (i == start) {
                    *why = "a member name is missing after '.'";
                    return -1;
                }
                st->key = p + start;
                st->key_len = i - start;
                k++;
                continue;
            }
        }
        if (p[i] != '[') {
            *why = "expected '.' or '[' between steps";
            return -1;
        }
        i = json_ws(p, len, i + 1);
        char c = json_at(p, len, i);
        if (c == '\'' || c == '"') {
            uint32_t start = ++i;
            while (i < len && p[i] != c) i++;
            if (i == len) {
                *why = "a quoted member name is not closed";
                return -1;
            }
            st->key = p + start;
            st->key_len = i - start;
            i++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            bool neg = c == '-';
            if (neg) i++;
            uint32_t start = i;
            int64_t v = 0;
            while (i < len && p[i] >= '0' && p[i] <= '9' && v < INT32_MAX)
                v = v * 10 + (p[i++] - '0');
            if (i == start) {
                *why = "an array index needs digits";
                return -1;
            }
            st->index = neg ? -v : v;
        } else {
            *why = c == '*' || c == '?' ? "wildcards and filters are not supported"
                                        : "expected a quoted member name or an array index in []";
            return -1;
        }
        i = json_ws(p, len, i);
        if (json_at(p, len, i) != ']') {
            *why = "expected ']' (slices and unions are not supported)";
            return -1;
        }
        i++;
        k++;
    }
    return k;
}

static bool json_key_eq(const char *raw, uint32_t n, const json_step *st)
{
    if (memchr(raw, '\\', n) == NULL) return n == st->key_len && memcmp(raw, st->key, n) == 0;
    char fixed[256];
    char *buf = n <= sizeof(fixed) ? fixed : wr_malloc(n);
    uint32_t m = json_unescape(raw, n, buf);
    bool eq = m == st->key_len && memcmp(buf, st->key, m) == 0;
    if (buf != fixed) wr_free(buf);
    return eq;
}

/*
 * The offset of the value the path leads to in the document s, or -1 when s
 * is not valid JSON or the value is not there (a missing member, an index out
 * of range, a step into a value of the other kind). With duplicate members
 * the last one counts, as with Jackson.
 */
static int64_t json_locate(const char *s, uint32_t len, const json_step *steps, int nsteps)
{
    uint32_t i = json_ws(s, len, 0);
    if (!json_skip_value(s, len, i, 0)) return -1;
    for (int k = 0; k < nsteps; k++) {
        const json_step *st = &steps[k];
        char open = st->key ? '{' : '[';
        if (json_at(s, len, i) != open) return -1;
        i = json_ws(s, len, i + 1);
        if (json_at(s, len, i) == (st->key ? '}' : ']')) return -1;
        int64_t want = st->index;
        if (!st->key && want < 0) {
            int64_t count = 1;
            for (uint32_t j = i;;) {
                j = json_ws(s, len, json_skip_value(s, len, j, 0));
                if (json_at(s, len, j) != ',') break;
                j = json_ws(s, len, j + 1);
                count++;
            }
            want += count;
            if (want < 0) return -1;
        }
        int64_t found = -1;
        for (int64_t elem = 0;; elem++) {
            if (st->key) {
                uint32_t end = json_skip_string(s, len, i);
                bool match = json_key_eq(s + i + 1, end - i - 2, st);
                i = json_ws(s, len, json_ws(s, len, end) + 1); /* past ':' */
                if (match) found = i;
            } else if (elem == want) {
                found = i;
                break;
            }
            i = json_ws(s, len, json_skip_value(s, len, i, 0));
            if (json_at(s, len, i) != ',') break;
            i = json_ws(s, len, i + 1);
        }
        if (found < 0) return -1;
        i = (uint32_t)found;
    }
    return i;
}

/*
 * The text JSON_VALUE returns for the scalar at s[i]: a string's characters,
 * a number as Jackson reads it and Java prints it (integers as they are,
 * others as a Java double: 1.50 -> 1.5, 1e2 -> 100.0), true or false.
 * False (NULL) for null, objects and arrays.
 */
static bool json_scalar_text(wr_eval *ev, const char *s, uint32_t len, uint32_t i, wr_str *out)
{
    char c = s[i];
    if (c == '"') {
        uint32_t end = json_skip_string(s, len, i);
        char *p = wr_fn_alloc(ev, end - i - 2);
        *out = (wr_str){p, json_unescape(s + i + 1, end - i - 2, p)};
        return true;
    }
    if (c == 't' || c == 'f') {
        *out = c == 't' ? (wr_str){"true", 4} : (wr_str){"false", 5};
        return true;
    }
    if (c != '-' && (c < '0' || c > '9')) return false;
    uint32_t end = json_skip_number(s, len, i);
    char num[64];
    bool integral = true;
    for (uint32_t k = i; k < end; k++)
        if (s[k] == '.' || s[k] == 'e' || s[k] == 'E') integral = false;
    if (end - i >= sizeof(num)) {
        /* A long literal: an integer beyond long stays as written (BigInteger); others parse. */
        if (integral) {
            *out = wr_fn_copy(ev, s + i, end - i);
            return true;
        }
        char *big = wr_strndup(s + i, end - i);
        double d = strtod(big, NULL);
        wr_free(big);
        snprintf(num, sizeof(num), "%.17g", d);
    } else {
        memcpy(num, s + i, end - i);
        num[end - i] = '\0';
    }
    wr_buf text;
    wr_buf_init(&text);
    int64_t v;
    if (integral && wr_parse_int64(num, &v) == 0)
        wr_buf_put_int64(&text, v);
    else if (integral)
        wr_buf_puts(&text, num);
    else
        wr_double_format_java(strtod(num, NULL), false, &text);
    *out = wr_fn_copy(ev, text.data, text.len);
    wr_buf_fini(&text);
    return true;
}

/* A JSON path parsed at bind time (the path argument was constant). */
typedef struct json_aux {
    char *path; /* the steps' keys point into it */
    json_step *steps;
    int nsteps;
} json_aux;

static void json_aux_free(void *p)
{
    json_aux *aux = p;
    if (aux == NULL) return;
    wr_free(aux->path);
    wr_free(aux->steps);
    wr_free(aux);
}

/*
 * Where the path of row r leads in its document: -1 when the document is not
 * JSON, the value is absent, or a per-row path is malformed (NULL ON ERROR).
 */
static int64_t json_row(const wr_expr *e, const wr_vector *args, int r, json_step *local)
{
    const json_aux *aux = e->aux;
    const json_step *steps = aux ? aux->steps : local;
    int nsteps = aux ? aux->nsteps : 0;
    if (aux == NULL) {
        wr_str p = wr_fn_str(&args[1], r);
        const char *why;
        if ((nsteps = json_path_parse(p.ptr, p.len, local, JSON_MAX_STEPS, &why)) < 0) return -1;
    }
    wr_str doc = wr_fn_str(&args[0], r);
    return json_locate(doc.ptr, doc.len, steps, nsteps);
}

static int k_json_value(WR_KERNEL_ARGS)
{
    json_step local[JSON_MAX_STEPS];
    wr_str *o = out->data;
    uint64_t *valid = out->validity = wr_fn_validity_own(ev, args, 2);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        int64_t at = json_row(e, args, r, local);
        wr_str doc = wr_fn_str(&args[0], r);
        if (at < 0 || !json_scalar_text(ev, doc.ptr, doc.len, (uint32_t)at, &o[r]))
            wr_validity_set(valid, r, false);
    });
    return 0;
}

/* JSON_EXISTS: the path leads to a value other than null (FALSE ON ERROR). */
static int k_json_exists(WR_KERNEL_ARGS)
{
    json_step local[JSON_MAX_STEPS];
    uint8_t *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 2);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        int64_t at = json_row(e, args, r, local);
        o[r] = at >= 0 && wr_fn_str(&args[0], r).ptr[at] != 'n';
    });
    return 0;
}

typedef struct json_fn {
    wr_kernel_fn kernel;
    wr_type_id result;
} json_fn;

static const json_fn json_value_fn = {k_json_value, WR_TYPE_VARCHAR};
static const json_fn json_exists_fn = {k_json_exists, WR_TYPE_BOOLEAN};

/* JSON_VALUE(json, path), JSON_EXISTS(json, path): a constant path is checked and parsed here. */
static wr_expr *bind_json_path(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                               wr_error *err)
{
    const json_fn *fn = def->data;
    if (wr_fn_coerce(def, args, nargs, "SS", pos, err)) return wr_fn_drop(args, nargs);
    wr_fn_const path;
    if (wr_fn_const_eval(args[1], &path, err)) return wr_fn_drop(args, nargs);
    json_aux *aux = NULL;
    if (path.is_const && !path.is_null) {
        aux = wr_calloc(1, sizeof(*aux));
        aux->path = path.s;
        aux->steps = wr_malloc((path.len + 1) * sizeof(json_step));
        const char *why;
        aux->nsteps = json_path_parse(aux->path, path.len, aux->steps, (int)path.len + 1, &why);
        if (aux->nsteps < 0) {
            char ex[80];
            wr_fn_excerpt(aux->path, path.len, ex, sizeof(ex));
            wr_error_set_at(err, WR_ERR_VALIDATION, args[1]->pos, "%s: invalid JSON path '%s': %s",
                            def->name, ex, why);
            json_aux_free(aux);
            return wr_fn_drop(args, nargs);
        }
    } else {
        wr_fn_const_fini(&path);
    }
    /* JSON_VALUE is NULL for absent and non-scalar values; JSON_EXISTS only for NULL input. */
    bool nullable = fn->result == WR_TYPE_VARCHAR || wr_fn_nullable(args, nargs);
    return wr_fn_call(def, fn->kernel, aux, json_aux_free, args, nargs,
                      wr_type_make(fn->result, nullable), pos);
}

static int k_json_quote(WR_KERNEL_ARGS)
{
    static const char hex[] = "0123456789abcdef";
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 1);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r);
        /* Worst case: a 4-byte character becomes a 12-byte surrogate pair. */
        char *p = wr_fn_alloc(ev, (size_t)s.len * 6 + 2);
        uint32_t k = 0;
        p[k++] = '"';
        for (uint32_t i = 0; i < s.len;) {
            uint32_t at = i;
            uint32_t cp = wr_utf8_decode(s.ptr, s.len, &i);
            const char *esc = NULL;
            switch (cp) {
            case '"':
                esc = "\\\"";
                break;
            case '\\':
                esc = "\\\\";
                break;
            case '/':
                esc = "\\/";
                break;
            case '\b':
                esc = "\\b";
                break;
            case '\f':
                esc = "\\f";
                break;
            case '\n':
                esc = "\\n";
                break;
            case '\r':
                esc = "\\r";
                break;
            case '\t':
                esc = "\\t";
                break;
            default:
                break;
            }
            if (esc) {
                memcpy(p + k, esc, 2);
                k += 2;
            } else if (cp < 0x80) {
                memcpy(p + k, s.ptr + at, i - at);
                k += i - at;
            } else {
                /* Java escapes every UTF-16 unit above 127. */
                uint32_t units[2] = {cp, 0};
                int nunits = 1;
                if (cp >= 0x10000) {
                    units[0] = 0xD800 + ((cp - 0x10000) >> 10);
                    units[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
                    nunits = 2;
                }
                for (int u = 0; u < nunits; u++) {
                    p[k++] = '\\';
                    p[k++] = 'u';
                    for (int sh = 12; sh >= 0; sh -= 4) p[k++] = hex[(units[u] >> sh) & 15];
                }
            }
        }
        p[k++] = '"';
        o[r] = (wr_str){p, k};
    });
    return 0;
}

/* JSON_UNQUOTE: the characters of a JSON string literal; anything else as it is. */
static int k_json_unquote(WR_KERNEL_ARGS)
{
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 1);
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r);
        uint32_t i = json_ws(s.ptr, s.len, 0), end;
        if (json_at(s.ptr, s.len, i) == '"' && (end = json_skip_string(s.ptr, s.len, i)) &&
            json_ws(s.ptr, s.len, end) == s.len) {
            char *p = wr_fn_alloc(ev, end - i - 2);
            o[r] = (wr_str){p, json_unescape(s.ptr + i + 1, end - i - 2, p)};
        } else {
            o[r] = s;
        }
    });
    return 0;
}

static const wr_kernel_fn ref_json_quote = k_json_quote, ref_json_unquote = k_json_unquote;

/* One STRING argument, a STRING result that is NULL exactly when the argument is. */
static wr_expr *bind_string_fn(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                               wr_error *err)
{
    if (wr_fn_coerce(def, args, nargs, "S", pos, err)) return wr_fn_drop(args, nargs);
    return wr_fn_call(def, *(const wr_kernel_fn *)def->data, NULL, NULL, args, nargs,
                      wr_fn_string(wr_fn_nullable(args, nargs)), pos);
}

/* ---- TYPEOF ----------------------------------------------------------------------------- */

/* TYPEOF(x [, force_serializable]): the type's summary string, known at bind time. */
static wr_expr *bind_typeof(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                            wr_error *err)
{
    if (nargs == 2 && wr_fn_coerce(def, args + 1, 1, "B", pos, err)) return wr_fn_drop(args, nargs);
    wr_buf text;
    wr_buf_init(&text);
    wr_type_format(args[0]->type, &text);
    wr_expr *c = wr_expr_string(wr_fn_string(false), text.data, text.len, pos);
    wr_buf_fini(&text);
    wr_fn_drop(args, nargs);
    return c;
}

/* ---- the table -------------------------------------------------------------------------- */

static const int greatest_tag = 1, ifnull_tag = 1;

const wr_func_def wr_funcs_misc[] = {
    {"COALESCE", 1, -1, bind_coalesce, "COALESCE(value1, value2, ...)", NULL},
    {"GREATEST", 1, -1, bind_extreme, "GREATEST(value1, value2, ...)", &greatest_tag},
    {"IF", 3, 3, bind_if, "IF(BOOLEAN, value1, value2)", NULL},
    {"IFNULL", 2, 2, bind_coalesce, "IFNULL(value, null_replacement)", &ifnull_tag},
    {"IS_ALPHA", 1, 1, bind_string_test, "IS_ALPHA(STRING)", &ref_is_alpha},
    {"IS_DECIMAL", 1, 1, bind_string_test, "IS_DECIMAL(STRING)", &ref_is_decimal},
    {"IS_DIGIT", 1, 1, bind_string_test, "IS_DIGIT(STRING)", &ref_is_digit},
    {"JSON_EXISTS", 2, 2, bind_json_path, "JSON_EXISTS(STRING json, STRING path)", &json_exists_fn},
    {"JSON_QUOTE", 1, 1, bind_string_fn, "JSON_QUOTE(STRING)", &ref_json_quote},
    {"JSON_UNQUOTE", 1, 1, bind_string_fn, "JSON_UNQUOTE(STRING)", &ref_json_unquote},
    {"JSON_VALUE", 2, 2, bind_json_path, "JSON_VALUE(STRING json, STRING path)", &json_value_fn},
    {"LEAST", 1, -1, bind_extreme, "LEAST(value1, value2, ...)", NULL},
    {"MD5", 1, 1, bind_hash, "MD5(STRING)", &digests[0]},
    {"NULLIF", 2, 2, bind_nullif, "NULLIF(value1, value2)", NULL},
    {"SHA1", 1, 1, bind_hash, "SHA1(STRING)", &digests[1]},
    {"SHA2", 2, 2, bind_hash, "SHA2(STRING, INT hashLength)", NULL},
    {"SHA224", 1, 1, bind_hash, "SHA224(STRING)", &digests[2]},
    {"SHA256", 1, 1, bind_hash, "SHA256(STRING)", &digests[3]},
    {"SHA384", 1, 1, bind_hash, "SHA384(STRING)", &digests[4]},
    {"SHA512", 1, 1, bind_hash, "SHA512(STRING)", &digests[5]},
    {"TYPEOF", 1, 2, bind_typeof, "TYPEOF(value [, BOOLEAN force_serializable])", NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
