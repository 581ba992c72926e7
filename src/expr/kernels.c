/*
 * kernels.c — vectorized kernels: arithmetic (numbers, DECIMAL, times with
 * intervals), comparison, NULL tests, concatenation and CAST.
 *
 * Kernels compute every active row, NULL or not, and derive the result's
 * validity from the operands' bitmaps word by word; checks that can fail
 * (division by zero, a bad CAST) look only at rows whose operands are
 * present. Integer arithmetic wraps around on overflow, as in Flink (Java);
 * DECIMAL arithmetic is exact and a result with more digits than its type
 * allows is NULL, as in Flink.
 */
#include "kernels.h"
#include "../base/config.h"
#include "../types/decimal.h"
#include "../types/nested.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KERNEL_ARGS WR_KERNEL_ARGS
#define FOR_ROWS WR_FOR_ROWS

static size_t words(const wr_eval *ev)
{
    return ((size_t)ev->capacity + 63) / 64;
}

uint64_t *wr_eval_combine_validity(wr_eval *ev, const wr_vector *args, int nargs)
{
    const uint64_t *first = NULL;
    int count = 0;
    for (int i = 0; i < nargs; i++)
        if (args[i].validity) {
            if (!first) first = args[i].validity;
            count++;
        }
    if (count == 0) return NULL;
    if (count == 1) return (uint64_t *)first;
    uint64_t *v = wr_arena_alloc(ev->arena, words(ev) * sizeof(uint64_t));
    memset(v, 0xff, words(ev) * sizeof(uint64_t));
    for (int i = 0; i < nargs; i++)
        if (args[i].validity)
            for (size_t w = 0; w < words(ev); w++) v[w] &= args[i].validity[w];
    return v;
}

uint64_t *wr_eval_validity_copy(wr_eval *ev, const uint64_t *from)
{
    uint64_t *v = wr_eval_validity(ev, true);
    if (from) memcpy(v, from, words(ev) * sizeof(uint64_t));
    return v;
}

/* Validity of a result that is NULL when any operand is NULL. */
static uint64_t *combine_validity(wr_eval *ev, const wr_vector *args, int nargs)
{
    return wr_eval_combine_validity(ev, args, nargs);
}

static inline bool valid_row(const uint64_t *validity, int r)
{
    return wr_valid_row(validity, r);
}

/* Makes row r of a result NULL: *valid becomes a writable copy of base on first use. */
static inline void set_null(wr_eval *ev, uint64_t **valid, const uint64_t *base, int r)
{
    if (*valid == NULL) *valid = wr_eval_validity_copy(ev, base);
    wr_validity_set(*valid, r, false);
}

/* ---- arithmetic ------------------------------------------------------------ */

#define WRAP(T, UT, x, op, y) ((T)((UT)(x)op(UT)(y)))

#define ARITH_INT(NAME, T, UT, OP)                                                                 \
    static int NAME(KERNEL_ARGS)                                                                   \
    {                                                                                              \
        const T *x = args[0].data, *y = args[1].data;                                              \
        T *o = out->data;                                                                          \
        out->validity = combine_validity(ev, args, 2);                                             \
        FOR_ROWS(o[r] = WRAP(T, UT, x[r], OP, y[r]));                                              \
        return 0;                                                                                  \
    }

#define ARITH_FLT(NAME, T, OP)                                                                     \
    static int NAME(KERNEL_ARGS)                                                                   \
    {                                                                                              \
        const T *x = args[0].data, *y = args[1].data;                                              \
        T *o = out->data;                                                                          \
        out->validity = combine_validity(ev, args, 2);                                             \
        FOR_ROWS(o[r] = x[r] OP y[r]);                                                             \
        return 0;                                                                                  \
    }

/* Integer division and remainder: an error on a zero divisor, wrap on MIN / -1. */
#define DIVMOD_INT(NAME, T, UT, IS_DIV)                                                            \
    static int NAME(KERNEL_ARGS)                                                                   \
    {                                                                                              \
        const T *x = args[0].data, *y = args[1].data;                                              \
        T *o = out->data;                                                                          \
        uint64_t *valid = combine_validity(ev, args, 2);                                           \
        out->validity = valid;                                                                     \
        bool zero = false;                                                                         \
        FOR_ROWS({                                                                                 \
            T d = y[r];                                                                            \
            if (d == 0) {                                                                          \
                if (valid_row(valid, r)) zero = true;                                              \
                o[r] = 0;                                                                          \
            } else if (d == -1) {                                                                  \
                o[r] = IS_DIV ? (T)(0 - (UT)x[r]) : 0;                                             \
            } else {                                                                               \
                o[r] = IS_DIV ? (T)(x[r] / d) : (T)(x[r] % d);                                     \
            }                                                                                      \
        });                                                                                        \
        if (zero) return wr_error_set(err, WR_ERR_RUNTIME, "division by zero");                    \
        return 0;                                                                                  \
    }

ARITH_INT(add_i8, int8_t, uint8_t, +)
ARITH_INT(add_i16, int16_t, uint16_t, +)
ARITH_INT(add_i32, int32_t, uint32_t, +)
ARITH_INT(add_i64, int64_t, uint64_t, +)
ARITH_INT(sub_i8, int8_t, uint8_t, -)
ARITH_INT(sub_i16, int16_t, uint16_t, -)
ARITH_INT(sub_i32, int32_t, uint32_t, -)
ARITH_INT(sub_i64, int64_t, uint64_t, -)
ARITH_INT(mul_i8, int8_t, uint8_t, *)
ARITH_INT(mul_i16, int16_t, uint16_t, *)
ARITH_INT(mul_i32, int32_t, uint32_t, *)
ARITH_INT(mul_i64, int64_t, uint64_t, *)
ARITH_FLT(add_f32, float, +)
ARITH_FLT(add_f64, double, +)
ARITH_FLT(sub_f32, float, -)
ARITH_FLT(sub_f64, double, -)
ARITH_FLT(mul_f32, float, *)
ARITH_FLT(mul_f64, double, *)
ARITH_FLT(div_f32, float, /)
ARITH_FLT(div_f64, double, /)
DIVMOD_INT(div_i8, int8_t, uint8_t, 1)
DIVMOD_INT(div_i16, int16_t, uint16_t, 1)
DIVMOD_INT(div_i32, int32_t, uint32_t, 1)
DIVMOD_INT(div_i64, int64_t, uint64_t, 1)
DIVMOD_INT(mod_i8, int8_t, uint8_t, 0)
DIVMOD_INT(mod_i16, int16_t, uint16_t, 0)
DIVMOD_INT(mod_i32, int32_t, uint32_t, 0)
DIVMOD_INT(mod_i64, int64_t, uint64_t, 0)

static int mod_f64(KERNEL_ARGS)
{
    const double *x = args[0].data, *y = args[1].data;
    double *o = out->data;
    out->validity = combine_validity(ev, args, 2);
    FOR_ROWS(o[r] = fmod(x[r], y[r]));
    return 0;
}

static int mod_f32(KERNEL_ARGS)
{
    const float *x = args[0].data, *y = args[1].data;
    float *o = out->data;
    out->validity = combine_validity(ev, args, 2);
    FOR_ROWS(o[r] = fmodf(x[r], y[r]));
    return 0;
}

#define NEG_INT(NAME, T, UT)                                                                       \
    static int NAME(KERNEL_ARGS)                                                                   \
    {                                                                                              \
        const T *x = args[0].data;                                                                 \
        T *o = out->data;                                                                          \
        out->validity = args[0].validity;                                                          \
        FOR_ROWS(o[r] = (T)(0 - (UT)x[r]));                                                        \
        return 0;                                                                                  \
    }
NEG_INT(neg_i8, int8_t, uint8_t)
NEG_INT(neg_i16, int16_t, uint16_t)
NEG_INT(neg_i32, int32_t, uint32_t)
NEG_INT(neg_i64, int64_t, uint64_t)

static int neg_f32(KERNEL_ARGS)
{
    const float *x = args[0].data;
    float *o = out->data;
    out->validity = args[0].validity;
    FOR_ROWS(o[r] = -x[r]);
    return 0;
}

static int neg_f64(KERNEL_ARGS)
{
    const double *x = args[0].data;
    double *o = out->data;
    out->validity = args[0].validity;
    FOR_ROWS(o[r] = -x[r]);
    return 0;
}

/* ---- DECIMAL arithmetic ------------------------------------------------------ */

/*
 * DECIMAL op DECIMAL: the operands keep their own precision and scale, the
 * result has out's (chosen by the typing rules); a result that does not fit
 * is NULL, a zero divisor an error.
 */
#define DEC_ARITH(NAME, FN, CHECK_ZERO)                                                            \
    static int NAME(KERNEL_ARGS)                                                                   \
    {                                                                                              \
        const wr_int128 *x = args[0].data, *y = args[1].data;                                      \
        wr_int128 *o = out->data;                                                                  \
        int sa = args[0].type.scale, sb = args[1].type.scale;                                      \
        int rp = out->type.length, rs = out->type.scale;                                           \
        const uint64_t *in_valid = combine_validity(ev, args, 2);                                  \
        uint64_t *valid = NULL;                                                                    \
        bool zero = false;                                                                         \
        FOR_ROWS({                                                                                 \
            if (!valid_row(in_valid, r)) continue;                                                 \
            if (CHECK_ZERO && y[r] == 0) {                                                         \
                zero = true;                                                                       \
                break;                                                                             \
            }                                                                                      \
            if (!FN(x[r], sa, y[r], sb, rp, rs, &o[r])) set_null(ev, &valid, in_valid, r);         \
        });                                                                                        \
        out->validity = valid ? valid : (uint64_t *)in_valid;                                      \
        if (zero) return wr_error_set(err, WR_ERR_RUNTIME, "division by zero");                    \
        return 0;                                                                                  \
    }

DEC_ARITH(add_dec, wr_decimal_add, false)
DEC_ARITH(sub_dec, wr_decimal_sub, false)
DEC_ARITH(mul_dec, wr_decimal_mul, false)
DEC_ARITH(div_dec, wr_decimal_div, true)
DEC_ARITH(mod_dec, wr_decimal_mod, true)

static int neg_dec(KERNEL_ARGS)
{
    const wr_int128 *x = args[0].data;
    wr_int128 *o = out->data;
    out->validity = args[0].validity;
    FOR_ROWS(o[r] = -x[r]); /* |x| < 10^38: never overflows */
    return 0;
}

/* ---- times and intervals ------------------------------------------------------ */

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* The day `months` months after `days`, clamped to the end of a shorter month (Jan 31 + 1 month
 * is Feb 28 or 29), as Flink and Java's plusMonths. */
static int64_t add_months(int64_t days, int64_t months)
{
    int64_t y;
    int m, d;
    wr_civil_from_days(days, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + months;
    int64_t ny = floor_div(total, 12);
    int nm = (int)(total - ny * 12) + 1;
    int dim = wr_days_in_month(ny, nm);
    return wr_days_from_civil(ny, nm, d > dim ? dim : d);
}

/*
 * datetime +/- interval: args[0] is the DATE, TIME, TIMESTAMP or TIMESTAMP_LTZ,
 * args[1] the interval (the binder puts them in this order); the result has
 * the type of args[0]. Arithmetic on the values wraps like Java's.
 */
#define TEMPORAL(NAME, T, IT, BODY)                                                                \
    static int NAME(KERNEL_ARGS)                                                                   \
    {                                                                                              \
        const T *x = args[0].data;                                                                 \
        const IT *y = args[1].data;                                                                \
        T *o = out->data;                                                                          \
        int64_t sign = e->fn == WR_FN_SUB ? -1 : 1;                                                \
        const uint64_t *valid = out->validity = combine_validity(ev, args, 2);                     \
        FOR_ROWS({                                                                                 \
            if (!valid_row(valid, r)) continue;                                                    \
            int64_t v = x[r], iv = sign * (int64_t)y[r];                                           \
            BODY;                                                                                  \
        });                                                                                        \
        return 0;                                                                                  \
    }

/* TIMESTAMP / TIMESTAMP_LTZ (micros) with milliseconds and months. */
TEMPORAL(ts_add_dt, int64_t, int64_t, o[r] = (int64_t)((uint64_t)v + (uint64_t)iv * 1000))
TEMPORAL(ts_add_ym, int64_t, int32_t, {
    /* Wraps (as Java's long arithmetic) for years far past the timestamp range. */
    int64_t day = floor_div(v, WR_MICROS_PER_DAY);
    o[r] = (int64_t)((uint64_t)add_months(day, iv) * (uint64_t)WR_MICROS_PER_DAY +
                     (uint64_t)(v - day * WR_MICROS_PER_DAY));
})
/* DATE (days): whole days of a day-time interval, truncated as Java's long division. */
TEMPORAL(date_add_dt, int32_t, int64_t, o[r] = (int32_t)(v + iv / WR_MILLIS_PER_DAY))
TEMPORAL(date_add_ym, int32_t, int32_t, o[r] = (int32_t)add_months(v, iv))
/* TIME (ms of the day): wraps around midnight. */
TEMPORAL(time_add_dt, int32_t, int64_t, {
    int64_t t = (v + iv % WR_MILLIS_PER_DAY) % WR_MILLIS_PER_DAY;
    o[r] = (int32_t)(t < 0 ? t + WR_MILLIS_PER_DAY : t);
})

/* interval * number and interval / number (args[1] DOUBLE), rounded to the nearest unit. */
#define IV_SCALE(NAME, T)                                                                          \
    static int NAME(KERNEL_ARGS)                                                                   \
    {                                                                                              \
        const T *x = args[0].data;                                                                 \
        const double *y = args[1].data;                                                            \
        T *o = out->data;                                                                          \
        bool div = e->fn == WR_FN_DIV;                                                             \
        const uint64_t *valid = out->validity = combine_validity(ev, args, 2);                     \
        bool zero = false;                                                                         \
        FOR_ROWS({                                                                                 \
            if (!valid_row(valid, r)) continue;                                                    \
            if (div && y[r] == 0) {                                                                \
                zero = true;                                                                       \
                break;                                                                             \
            }                                                                                      \
            double v = div ? (double)x[r] / y[r] : (double)x[r] * y[r];                            \
            o[r] = (T)double_to_int64(round(v));                                                   \
        });                                                                                        \
        if (zero) return wr_error_set(err, WR_ERR_RUNTIME, "division by zero");                    \
        return 0;                                                                                  \
    }

static int64_t double_to_int64(double d);
IV_SCALE(iv_scale_ym, int32_t)
IV_SCALE(iv_scale_dt, int64_t)

/* ---- comparison ------------------------------------------------------------ */

#define CMP(NAME, T, OP)                                                                           \
    static int NAME(KERNEL_ARGS)                                                                   \
    {                                                                                              \
        const T *x = args[0].data, *y = args[1].data;                                              \
        uint8_t *o = out->data;                                                                    \
        out->validity = combine_validity(ev, args, 2);                                             \
        FOR_ROWS(o[r] = x[r] OP y[r]);                                                             \
        return 0;                                                                                  \
    }

#define CMP_ALL(T, SUF)                                                                            \
    CMP(eq_##SUF, T, ==)                                                                           \
    CMP(ne_##SUF, T, !=)                                                                           \
    CMP(lt_##SUF, T, <)                                                                            \
    CMP(le_##SUF, T, <=)                                                                           \
    CMP(gt_##SUF, T, >)                                                                            \
    CMP(ge_##SUF, T, >=)

CMP_ALL(uint8_t, b)
CMP_ALL(int8_t, i8)
CMP_ALL(int16_t, i16)
CMP_ALL(int32_t, i32)
CMP_ALL(int64_t, i64)
CMP_ALL(float, f32)
CMP_ALL(double, f64)

static inline int strcmp_view(wr_str a, wr_str b)
{
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c) return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

#define CMP_STR(NAME, OP)                                                                          \
    static int NAME(KERNEL_ARGS)                                                                   \
    {                                                                                              \
        const wr_str *x = args[0].data, *y = args[1].data;                                         \
        uint8_t *o = out->data;                                                                    \
        const uint64_t *valid = out->validity = combine_validity(ev, args, 2);                     \
        /* The slots of NULL strings hold anything: never follow them. */                          \
        FOR_ROWS(o[r] = valid_row(valid, r) && strcmp_view(x[r], y[r]) OP 0);                      \
        return 0;                                                                                  \
    }
CMP_STR(eq_s, ==)
CMP_STR(ne_s, !=)
CMP_STR(lt_s, <)
CMP_STR(le_s, <=)
CMP_STR(gt_s, >)
CMP_STR(ge_s, >=)

#define CMP_DEC(NAME, OP)                                                                          \
    static int NAME(KERNEL_ARGS)                                                                   \
    {                                                                                              \
        const wr_int128 *x = args[0].data, *y = args[1].data;                                      \
        int sa = args[0].type.scale, sb = args[1].type.scale;                                      \
        uint8_t *o = out->data;                                                                    \
        const uint64_t *valid = out->validity = combine_validity(ev, args, 2);                     \
        FOR_ROWS(o[r] = valid_row(valid, r) && wr_decimal_cmp(x[r], sa, y[r], sb) OP 0);           \
        return 0;                                                                                  \
    }
CMP_DEC(eq_dec, ==)
CMP_DEC(ne_dec, !=)
CMP_DEC(lt_dec, <)
CMP_DEC(le_dec, <=)
CMP_DEC(gt_dec, >)
CMP_DEC(ge_dec, >=)

/* ---- logic and NULL tests -------------------------------------------------- */

static int not_b(KERNEL_ARGS)
{
    const uint8_t *x = args[0].data;
    uint8_t *o = out->data;
    out->validity = args[0].validity;
    FOR_ROWS(o[r] = !x[r]);
    return 0;
}

static int is_null(KERNEL_ARGS)
{
    uint8_t *o = out->data;
    const uint64_t *v = args[0].validity;
    bool want_null = e->fn == WR_FN_IS_NULL;
    FOR_ROWS(o[r] = (uint8_t)(valid_row(v, r) != want_null));
    return 0;
}

static int is_bool(KERNEL_ARGS)
{
    /* IS [NOT] TRUE / FALSE: never NULL. */
    const uint8_t *x = args[0].data;
    const uint64_t *v = args[0].validity;
    uint8_t *o = out->data;
    bool want = e->fn == WR_FN_IS_TRUE || e->fn == WR_FN_IS_NOT_TRUE;
    bool negate = e->fn == WR_FN_IS_NOT_TRUE || e->fn == WR_FN_IS_NOT_FALSE;
    FOR_ROWS({
        bool match = valid_row(v, r) && (x[r] != 0) == want;
        o[r] = (uint8_t)(match != negate);
    });
    return 0;
}

/* ---- strings --------------------------------------------------------------- */

static int concat_s(KERNEL_ARGS)
{
    const wr_str *x = args[0].data, *y = args[1].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = combine_validity(ev, args, 2);
    FOR_ROWS({
        if (!valid_row(valid, r)) continue; /* NULL slots hold anything */
        uint32_t len = x[r].len + y[r].len;
        char *p = wr_arena_alloc(ev->arena, len ? len : 1);
        if (x[r].len) memcpy(p, x[r].ptr, x[r].len);
        if (y[r].len) memcpy(p + x[r].len, y[r].ptr, y[r].len);
        o[r] = (wr_str){p, len};
    });
    return 0;
}

/* ---- CAST ------------------------------------------------------------------ */

static int64_t load_int(const wr_vector *v, int r)
{
    switch (v->type.id) {
    case WR_TYPE_BOOLEAN:
        return ((const uint8_t *)v->data)[r] != 0;
    case WR_TYPE_TINYINT:
        return ((const int8_t *)v->data)[r];
    case WR_TYPE_SMALLINT:
        return ((const int16_t *)v->data)[r];
    case WR_TYPE_INT:
        return ((const int32_t *)v->data)[r];
    default:
        return ((const int64_t *)v->data)[r];
    }
}

static double load_double(const wr_vector *v, int r)
{
    if (v->type.id == WR_TYPE_FLOAT) return ((const float *)v->data)[r];
    if (v->type.id == WR_TYPE_DOUBLE) return ((const double *)v->data)[r];
    return (double)load_int(v, r);
}

/* Java's narrowing of a double to a long: NaN -> 0, saturate at the ends. */
static int64_t double_to_int64(double d)
{
    if (isnan(d)) return 0;
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

static void store_int(wr_vector *v, int r, int64_t x)
{
    switch (v->type.id) {
    case WR_TYPE_BOOLEAN:
        ((uint8_t *)v->data)[r] = x != 0;
        break;
    case WR_TYPE_TINYINT:
        ((int8_t *)v->data)[r] = (int8_t)x;
        break;
    case WR_TYPE_SMALLINT:
        ((int16_t *)v->data)[r] = (int16_t)x;
        break;
    case WR_TYPE_INT:
        ((int32_t *)v->data)[r] = (int32_t)x;
        break;
    case WR_TYPE_FLOAT:
        ((float *)v->data)[r] = (float)x;
        break;
    case WR_TYPE_DOUBLE:
        ((double *)v->data)[r] = (double)x;
        break;
    default:
        ((int64_t *)v->data)[r] = x;
        break;
    }
}

static bool int_fits(wr_type_id id, int64_t x)
{
    switch (id) {
    case WR_TYPE_TINYINT:
        return x >= INT8_MIN && x <= INT8_MAX;
    case WR_TYPE_SMALLINT:
        return x >= INT16_MIN && x <= INT16_MAX;
    case WR_TYPE_INT:
        return x >= INT32_MIN && x <= INT32_MAX;
    default:
        return true;
    }
}

/* Outcomes of converting one value. */
enum { CAST_OK = 0, CAST_NULL = 1, CAST_BAD = -1 };

/* Text to a value of out's type: CAST_OK, CAST_BAD when the text is not one, CAST_NULL when it is
 * a number too large for a DECIMAL (Flink: NULL). */
static int parse_into(wr_vector *out, int r, const char *s, uint32_t len)
{
    char buf[128];
    while (len && (*s == ' ' || *s == '\t' || *s == '\n')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n')) len--;
    wr_type_id id = out->type.id;
    switch (id) {
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ: {
        /* TIMESTAMP_LTZ text is read in the session time zone, which is UTC. */
        int64_t us;
        if (wr_timestamp_parse(s, len, &us)) return CAST_BAD;
        ((int64_t *)out->data)[r] = wr_timestamp_truncate(us, out->type.length);
        return CAST_OK;
    }
    case WR_TYPE_DATE:
        return wr_date_parse(s, len, (int32_t *)out->data + r) ? CAST_BAD : CAST_OK;
    case WR_TYPE_TIME: {
        int32_t ms;
        if (wr_time_parse(s, len, &ms)) return CAST_BAD;
        int p = out->type.length;
        ((int32_t *)out->data)[r] = p >= 3 ? ms : ms - ms % (p == 2 ? 10 : p == 1 ? 100 : 1000);
        return CAST_OK;
    }
    case WR_TYPE_DECIMAL: {
        int rc =
            wr_decimal_parse(s, len, out->type.length, out->type.scale, (wr_int128 *)out->data + r);
        return rc == 0 ? CAST_OK : rc == -2 ? CAST_NULL : CAST_BAD;
    }
    default:
        break;
    }
    if (len == 0 || len >= sizeof(buf)) return CAST_BAD;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (id == WR_TYPE_BOOLEAN) {
        static const char *yes[] = {"true", "t", "yes", "y", "1"};
        static const char *no[] = {"false", "f", "no", "n", "0"};
        for (size_t k = 0; k < WR_ARRAY_LEN(yes); k++) {
            if (strcasecmp(buf, yes[k]) == 0) return ((uint8_t *)out->data)[r] = 1, CAST_OK;
            if (strcasecmp(buf, no[k]) == 0) return ((uint8_t *)out->data)[r] = 0, CAST_OK;
        }
        return CAST_BAD;
    }
    char *end;
    errno = 0;
    if (id == WR_TYPE_FLOAT || id == WR_TYPE_DOUBLE) {
        double d = strtod(buf, &end);
        if (*end || end == buf) return CAST_BAD;
        if (id == WR_TYPE_FLOAT)
            ((float *)out->data)[r] = (float)d;
        else
            ((double *)out->data)[r] = d;
        return CAST_OK;
    }
    int64_t x;
    if (wr_parse_int64(buf, &x) || !int_fits(id, x)) return CAST_BAD;
    store_int(out, r, x);
    return CAST_OK;
}

/* Text to the length of a CHAR(n) (blank-padded) or VARCHAR(n) (cut), and bytes to BINARY(n)
 * (zero-padded) or VARBINARY(n). */
static wr_str fit_length(wr_eval *ev, wr_type to, const char *p, uint32_t len)
{
    bool fixed = to.id == WR_TYPE_CHAR || to.id == WR_TYPE_BINARY;
    if (!fixed && to.length != WR_VARCHAR_MAX && len > (uint32_t)to.length)
        len = (uint32_t)to.length;
    if (fixed) {
        uint32_t n = (uint32_t)to.length;
        char *q = wr_arena_alloc(ev->arena, n ? n : 1);
        uint32_t k = len < n ? len : n;
        memcpy(q, p, k);
        memset(q + k, to.id == WR_TYPE_CHAR ? ' ' : '\0', n - k);
        return (wr_str){q, n};
    }
    return (wr_str){p, len};
}

/* One value between types that are not text: CAST_OK or CAST_NULL (a DECIMAL overflow). */
static int convert(const wr_vector *in, int r, wr_vector *out)
{
    wr_type from = in->type, to = out->type;
    wr_type_id f = (wr_type_id)from.id, t = (wr_type_id)to.id;
    if (wr_type_is_binary(f)) {
        wr_str b = ((const wr_str *)in->data)[r];
        ((wr_str *)out->data)[r] = b; /* the caller fits the length */
        return CAST_OK;
    }
    if (t == WR_TYPE_DECIMAL) {
        wr_int128 *o = (wr_int128 *)out->data + r;
        bool ok;
        if (f == WR_TYPE_DECIMAL)
            ok = wr_decimal_rescale(((const wr_int128 *)in->data)[r], from.scale, to.scale,
                                    to.length, o);
        else if (f == WR_TYPE_FLOAT || f == WR_TYPE_DOUBLE)
            ok = wr_decimal_from_double(load_double(in, r), to.length, to.scale, o);
        else
            ok = wr_decimal_from_int(load_int(in, r), to.length, to.scale, o);
        return ok ? CAST_OK : CAST_NULL;
    }
    if (f == WR_TYPE_DECIMAL) {
        wr_int128 x = ((const wr_int128 *)in->data)[r];
        if (t == WR_TYPE_FLOAT)
            ((float *)out->data)[r] = (float)wr_decimal_to_double(x, from.scale);
        else if (t == WR_TYPE_DOUBLE)
            ((double *)out->data)[r] = wr_decimal_to_double(x, from.scale);
        else if (t == WR_TYPE_BOOLEAN)
            ((uint8_t *)out->data)[r] = x != 0;
        else
            store_int(out, r, wr_decimal_to_int64(x, from.scale));
        return CAST_OK;
    }
    if (wr_type_is_datetime(f)) {
        /* Through micros since 1970-01-01 00:00 (UTC for TIMESTAMP_LTZ: the session zone). */
        int64_t us;
        if (f == WR_TYPE_DATE)
            us = (int64_t)((const int32_t *)in->data)[r] * WR_MICROS_PER_DAY;
        else if (f == WR_TYPE_TIME)
            us = (int64_t)((const int32_t *)in->data)[r] * 1000;
        else
            us = ((const int64_t *)in->data)[r];
        int64_t day = floor_div(us, WR_MICROS_PER_DAY);
        if (t == WR_TYPE_DATE) {
            ((int32_t *)out->data)[r] = (int32_t)day;
        } else if (t == WR_TYPE_TIME) {
            int32_t ms = (int32_t)((us - day * WR_MICROS_PER_DAY) / 1000);
            int p = to.length;
            ((int32_t *)out->data)[r] = p >= 3 ? ms : ms - ms % (p == 2 ? 10 : p == 1 ? 100 : 1000);
        } else {
            ((int64_t *)out->data)[r] = wr_timestamp_truncate(us, to.length);
        }
        return CAST_OK;
    }
    if (t == WR_TYPE_FLOAT)
        ((float *)out->data)[r] = (float)load_double(in, r);
    else if (t == WR_TYPE_DOUBLE)
        ((double *)out->data)[r] = load_double(in, r);
    else if (t == WR_TYPE_BOOLEAN)
        ((uint8_t *)out->data)[r] = load_double(in, r) != 0;
    else if (f == WR_TYPE_FLOAT || f == WR_TYPE_DOUBLE)
        store_int(out, r, double_to_int64(load_double(in, r)));
    else
        store_int(out, r, load_int(in, r));
    return CAST_OK;
}

static int cast_any(KERNEL_ARGS)
{
    const wr_vector *in = &args[0];
    wr_type from = in->type, to = out->type;
    bool try_cast = e->fn == WR_FN_TRY_CAST;
    const uint64_t *in_valid = in->validity;
    uint64_t *valid = NULL;
    wr_buf text;
    wr_buf_init(&text);
    int rc = 0;
    FOR_ROWS({
        if (!valid_row(in_valid, r)) continue;
        if (wr_type_is_view(to.id)) {
            wr_str s;
            if (wr_type_is_view(from.id) && !wr_type_is_nested(from.id)) {
                /* Text and bytes convert as they are (Flink: bytes to text as UTF-8). */
                s = ((const wr_str *)in->data)[r];
            } else {
                wr_buf_reset(&text);
                wr_vector_format(in, r, WR_FORMAT_SQL, &text);
                char *p = wr_arena_alloc(ev->arena, text.len ? text.len : 1);
                memcpy(p, text.data, text.len);
                s = (wr_str){p, (uint32_t)text.len};
            }
            ((wr_str *)out->data)[r] = fit_length(ev, to, s.ptr, s.len);
            continue;
        }
        int st;
        if (wr_type_is_string(from.id)) {
            wr_str s = ((const wr_str *)in->data)[r];
            st = parse_into(out, r, s.ptr, s.len);
            if (st == CAST_BAD && !try_cast) {
                char tn[64];
                rc = wr_error_set(err, WR_ERR_RUNTIME, "cannot cast '%.*s' to %s",
                                  (int)WR_MIN(s.len, 200), s.ptr, wr_type_name(to, tn, sizeof(tn)));
                break;
            }
        } else {
            st = convert(in, r, out);
        }
        if (st != CAST_OK) set_null(ev, &valid, in_valid, r);
    });
    out->validity = valid ? valid : (uint64_t *)in_valid;
    wr_buf_fini(&text);
    return rc;
}

/* ---- lookup ---------------------------------------------------------------- */

const char *wr_func_infix(wr_func fn)
{
    switch (fn) {
    case WR_FN_ADD:
        return "+";
    case WR_FN_SUB:
        return "-";
    case WR_FN_MUL:
        return "*";
    case WR_FN_DIV:
        return "/";
    case WR_FN_MOD:
        return "%";
    case WR_FN_EQ:
        return "=";
    case WR_FN_NE:
        return "<>";
    case WR_FN_LT:
        return "<";
    case WR_FN_LE:
        return "<=";
    case WR_FN_GT:
        return ">";
    case WR_FN_GE:
        return ">=";
    case WR_FN_CONCAT:
        return "||";
    default:
        return NULL;
    }
}

const char *wr_func_name(wr_func fn)
{
    const char *infix = wr_func_infix(fn);
    if (infix) return infix;
    switch (fn) {
    case WR_FN_NEG:
        return "-";
    case WR_FN_NOT:
        return "NOT";
    case WR_FN_IS_NULL:
        return "IS NULL";
    case WR_FN_IS_NOT_NULL:
        return "IS NOT NULL";
    case WR_FN_IS_TRUE:
        return "IS TRUE";
    case WR_FN_IS_NOT_TRUE:
        return "IS NOT TRUE";
    case WR_FN_IS_FALSE:
        return "IS FALSE";
    case WR_FN_IS_NOT_FALSE:
        return "IS NOT FALSE";
    case WR_FN_CAST:
        return "CAST";
    case WR_FN_TRY_CAST:
        return "TRY_CAST";
    default:
        return "?";
    }
}

/* Index of a physical type in the per-type tables below, or -1. */
static int type_slot(wr_type_id id)
{
    switch (id) {
    case WR_TYPE_TINYINT:
        return 0;
    case WR_TYPE_SMALLINT:
        return 1;
    case WR_TYPE_INT:
    case WR_TYPE_DATE:
    case WR_TYPE_TIME:
    case WR_TYPE_INTERVAL_YM:
        return 2;
    case WR_TYPE_BIGINT:
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
    case WR_TYPE_INTERVAL_DT:
        return 3;
    case WR_TYPE_FLOAT:
        return 4;
    case WR_TYPE_DOUBLE:
        return 5;
    case WR_TYPE_BOOLEAN:
        return 6;
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR:
    case WR_TYPE_BINARY:
    case WR_TYPE_VARBINARY:
        return 7;
    case WR_TYPE_DECIMAL:
        return 8;
    default:
        return -1;
    }
}

/* The kernel of datetime +/- interval (a the datetime, b the interval), or NULL. */
static wr_kernel_fn temporal_kernel(wr_type_id a, wr_type_id b)
{
    bool ym = b == WR_TYPE_INTERVAL_YM;
    switch (a) {
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
        return ym ? ts_add_ym : ts_add_dt;
    case WR_TYPE_DATE:
        return ym ? date_add_ym : date_add_dt;
    case WR_TYPE_TIME:
        return ym ? NULL : time_add_dt;
    default:
        return NULL;
    }
}

wr_kernel_fn wr_kernel_find(wr_func fn, wr_expr *const *args, int nargs, wr_type result)
{
    static const wr_kernel_fn arith[5][6] = {
        {add_i8, add_i16, add_i32, add_i64, add_f32, add_f64},
        {sub_i8, sub_i16, sub_i32, sub_i64, sub_f32, sub_f64},
        {mul_i8, mul_i16, mul_i32, mul_i64, mul_f32, mul_f64},
        {div_i8, div_i16, div_i32, div_i64, div_f32, div_f64},
        {mod_i8, mod_i16, mod_i32, mod_i64, mod_f32, mod_f64},
    };
    static const wr_kernel_fn arith_dec[5] = {add_dec, sub_dec, mul_dec, div_dec, mod_dec};
    static const wr_kernel_fn cmp[6][9] = {
        {eq_i8, eq_i16, eq_i32, eq_i64, eq_f32, eq_f64, eq_b, eq_s, eq_dec},
        {ne_i8, ne_i16, ne_i32, ne_i64, ne_f32, ne_f64, ne_b, ne_s, ne_dec},
        {lt_i8, lt_i16, lt_i32, lt_i64, lt_f32, lt_f64, lt_b, lt_s, lt_dec},
        {le_i8, le_i16, le_i32, le_i64, le_f32, le_f64, le_b, le_s, le_dec},
        {gt_i8, gt_i16, gt_i32, gt_i64, gt_f32, gt_f64, gt_b, gt_s, gt_dec},
        {ge_i8, ge_i16, ge_i32, ge_i64, ge_f32, ge_f64, ge_b, ge_s, ge_dec},
    };
    static const wr_kernel_fn neg[6] = {neg_i8, neg_i16, neg_i32, neg_i64, neg_f32, neg_f64};
    wr_type_id a = nargs > 0 ? (wr_type_id)args[0]->type.id : WR_TYPE_NULL;
    wr_type_id b = nargs > 1 ? (wr_type_id)args[1]->type.id : WR_TYPE_NULL;
    int sa = type_slot(a);
    switch (fn) {
    case WR_FN_ADD:
    case WR_FN_SUB:
    case WR_FN_MUL:
    case WR_FN_DIV:
    case WR_FN_MOD:
        if (nargs != 2) return NULL;
        if ((fn == WR_FN_ADD || fn == WR_FN_SUB) && wr_type_is_datetime(a) &&
            wr_type_is_interval(b) && result.id == a)
            return temporal_kernel(a, b);
        if ((fn == WR_FN_ADD || fn == WR_FN_SUB) && wr_type_is_interval(a) && a == b &&
            result.id == a)
            return arith[fn - WR_FN_ADD][sa];
        if ((fn == WR_FN_MUL || fn == WR_FN_DIV) && wr_type_is_interval(a) && b == WR_TYPE_DOUBLE &&
            result.id == a)
            return a == WR_TYPE_INTERVAL_YM ? iv_scale_ym : iv_scale_dt;
        if (a != b || a != result.id || !wr_type_is_numeric(a)) return NULL;
        if (a == WR_TYPE_DECIMAL) return arith_dec[fn - WR_FN_ADD];
        return arith[fn - WR_FN_ADD][sa];
    case WR_FN_NEG:
        if (nargs != 1 || a != result.id || !wr_type_is_numeric(a)) return NULL;
        return a == WR_TYPE_DECIMAL ? neg_dec : neg[sa];
    case WR_FN_EQ:
    case WR_FN_NE:
    case WR_FN_LT:
    case WR_FN_LE:
    case WR_FN_GT:
    case WR_FN_GE:
        /* Nested values of one type are equal when their canonical encodings are (nested.h);
         * they have no order. */
        if (nargs == 2 && wr_type_is_nested(a) && a == b && result.id == WR_TYPE_BOOLEAN)
            return fn == WR_FN_EQ ? eq_s : fn == WR_FN_NE ? ne_s : NULL;
        if (nargs != 2 || sa < 0 || type_slot(b) != sa || result.id != WR_TYPE_BOOLEAN) return NULL;
        if (a != b && !(wr_type_is_string(a) && wr_type_is_string(b)) &&
            !(wr_type_is_binary(a) && wr_type_is_binary(b)))
            return NULL;
        return cmp[fn - WR_FN_EQ][sa];
    case WR_FN_NOT:
        return nargs == 1 && a == WR_TYPE_BOOLEAN ? not_b : NULL;
    case WR_FN_IS_NULL:
    case WR_FN_IS_NOT_NULL:
        return nargs == 1 ? is_null : NULL;
    case WR_FN_IS_TRUE:
    case WR_FN_IS_NOT_TRUE:
    case WR_FN_IS_FALSE:
    case WR_FN_IS_NOT_FALSE:
        return nargs == 1 && a == WR_TYPE_BOOLEAN ? is_bool : NULL;
    case WR_FN_CONCAT:
        return nargs == 2 && wr_type_is_string(a) && wr_type_is_string(b) &&
                       wr_type_is_string(result.id)
                   ? concat_s
                   : NULL;
    case WR_FN_CAST:
    case WR_FN_TRY_CAST:
        if (nargs != 1 || !wr_expr_can_cast(args[0]->type, result)) return NULL;
        /* Between nested types: wr_nested_cast, with its own kernel. */
        if (wr_type_is_nested(a) && wr_type_is_nested(result.id)) return NULL;
        return cast_any;
    case WR_FN_NONE:
    case WR_FN_SCALAR: /* named functions come with their kernel (wr_expr_call_kernel) */
    case WR_FN_FIELD:
        return NULL;
    }
    return NULL;
}
