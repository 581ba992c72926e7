/*
 * func_math.c — built-in math functions (functions.h).
 *
 * Result types follow Flink: ABS, SIGN, CEIL, FLOOR, ROUND and TRUNCATE keep
 * their argument's type (integer ABS of the minimum value wraps as in Java),
 * except that a DECIMAL's scale changes where the digits do: CEIL and FLOOR
 * of DECIMAL(p, s) are DECIMAL(p, 0), ROUND and TRUNCATE to r places
 * DECIMAL(1 + p - s + r, r) (Flink's findRoundDecimalType), MOD of exact
 * numbers with a DECIMAL DECIMAL(min(p1 - s1, p2 - s2) + max(s1, s2), max(s1, s2)).
 * SQRT, EXP, POWER, logarithms and trigonometry are DOUBLE, also of a DECIMAL.
 * Where Flink's values come from Java, so do ours: POWER follows Math.pow's
 * special cases, ROUND of a DOUBLE rounds the decimal digits Java prints for
 * it (half away from zero, as BigDecimal.valueOf(x).setScale(d, HALF_UP)),
 * ROUND of a DECIMAL is BigDecimal's HALF_UP on its exact digits, and RAND
 * with a seed gives java.util.Random's sequence for that seed.
 */
#include "../base/clock.h"
#include "../types/decimal.h"
#include "func_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- binding helpers --------------------------------------------------------------- */

/* One numeric argument whose type the result keeps (an untyped NULL counts as INT). */
static int numeric_arg(const wr_func_def *def, wr_expr **args, int nargs, int pos, wr_error *err)
{
    wr_type_id id = args[0]->type.id;
    if (id == WR_TYPE_NULL) {
        args[0] = wr_expr_cast(args[0], wr_type_make(WR_TYPE_INT, true), false, pos, err);
        return args[0] ? 0 : err->code;
    }
    if (!wr_type_is_numeric(id))
        return wr_fn_type_error(def, args, nargs, args[0]->pos >= 0 ? args[0]->pos : pos, err);
    return 0;
}

/*
 * Index of a numeric type other than DECIMAL in the per-type kernel tables:
 * i8 i16 i32 i64 f32 f64. DECIMAL sits between BIGINT and FLOAT in the type
 * ids and has kernels of its own (its result types differ).
 */
static int num_slot(wr_type_id id)
{
    assert(wr_type_is_numeric(id) && id != WR_TYPE_DECIMAL);
    return id < WR_TYPE_DECIMAL ? id - WR_TYPE_TINYINT : id - WR_TYPE_TINYINT - 1;
}

/* ---- DOUBLE functions -------------------------------------------------------------- */

#define UNARY_F64(NAME, EXPR)                                                                      \
    static int NAME(WR_KERNEL_ARGS)                                                                \
    {                                                                                              \
        const double *x = args[0].data;                                                            \
        double *o = out->data;                                                                     \
        out->validity = args[0].validity;                                                          \
        WR_FOR_ROWS({                                                                              \
            double v = x[r];                                                                       \
            o[r] = (EXPR);                                                                         \
        });                                                                                        \
        return 0;                                                                                  \
    }

#define BINARY_F64(NAME, EXPR)                                                                     \
    static int NAME(WR_KERNEL_ARGS)                                                                \
    {                                                                                              \
        const double *x = args[0].data, *y = args[1].data;                                         \
        double *o = out->data;                                                                     \
        out->validity = wr_fn_validity(ev, args, 2);                                               \
        WR_FOR_ROWS({                                                                              \
            double a = x[r], b = y[r];                                                             \
            o[r] = (EXPR);                                                                         \
        });                                                                                        \
        return 0;                                                                                  \
    }

/* Java's Math.pow: a NaN exponent gives NaN, and so does (+-1) ** infinity (C says 1). */
static inline double java_pow(double a, double b)
{
    if (isnan(b) || (isinf(b) && fabs(a) == 1.0)) return NAN;
    return pow(a, b);
}

UNARY_F64(k_sqrt, sqrt(v))
UNARY_F64(k_exp, exp(v))
UNARY_F64(k_ln, log(v))
UNARY_F64(k_log10, log10(v))
UNARY_F64(k_log2, log(v) / log(2.0)) /* as Flink computes it, not log2() */
UNARY_F64(k_sin, sin(v))
UNARY_F64(k_cos, cos(v))
UNARY_F64(k_tan, tan(v))
UNARY_F64(k_cot, 1.0 / tan(v))
UNARY_F64(k_asin, asin(v))
UNARY_F64(k_acos, acos(v))
UNARY_F64(k_atan, atan(v))
UNARY_F64(k_sinh, sinh(v))
UNARY_F64(k_cosh, cosh(v))
UNARY_F64(k_tanh, tanh(v))
UNARY_F64(k_degrees, v * 57.29577951308232)    /* Math.toDegrees */
UNARY_F64(k_radians, v * 0.017453292519943295) /* Math.toRadians */
BINARY_F64(k_atan2, atan2(a, b))
BINARY_F64(k_power, java_pow(a, b))
BINARY_F64(k_log_base, log(b) / log(a))

/* The kernels of the DOUBLE functions: unary[0] for one argument, [1] for two. */
typedef struct double_fn {
    wr_kernel_fn unary, binary;
} double_fn;

static wr_expr *bind_double(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                            wr_error *err)
{
    const double_fn *fn = def->data;
    if (wr_fn_coerce(def, args, nargs, "D", pos, err)) return wr_fn_drop(args, nargs);
    return wr_fn_call(def, nargs == 1 ? fn->unary : fn->binary, NULL, NULL, args, nargs,
                      wr_type_make(WR_TYPE_DOUBLE, wr_fn_nullable(args, nargs)), pos);
}

/* PI() and E(): constants. */
static wr_expr *bind_constant(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                              wr_error *err)
{
    wr_fn_drop(args, nargs);
    return wr_expr_double(wr_type_make(WR_TYPE_DOUBLE, false), *(const double *)def->data, pos);
}

/* ---- ABS, SIGN, CEIL, FLOOR ------------------------------------------------------------ */

#define UNARY_T(NAME, T, EXPR)                                                                     \
    static int NAME(WR_KERNEL_ARGS)                                                                \
    {                                                                                              \
        const T *x = args[0].data;                                                                 \
        T *o = out->data;                                                                          \
        out->validity = args[0].validity;                                                          \
        WR_FOR_ROWS({                                                                              \
            T v = x[r];                                                                            \
            o[r] = (EXPR);                                                                         \
        });                                                                                        \
        return 0;                                                                                  \
    }

#define ABS_INT(NAME, T, UT) UNARY_T(NAME, T, (T)(v < 0 ? (UT)0 - (UT)v : (UT)v))
ABS_INT(k_abs_i8, int8_t, uint8_t)
ABS_INT(k_abs_i16, int16_t, uint16_t)
ABS_INT(k_abs_i32, int32_t, uint32_t)
ABS_INT(k_abs_i64, int64_t, uint64_t)
UNARY_T(k_abs_f32, float, fabsf(v))
UNARY_T(k_abs_f64, double, fabs(v))

#define SIGN_INT(NAME, T) UNARY_T(NAME, T, (T)((v > 0) - (v < 0)))
SIGN_INT(k_sign_i8, int8_t)
SIGN_INT(k_sign_i16, int16_t)
SIGN_INT(k_sign_i32, int32_t)
SIGN_INT(k_sign_i64, int64_t)
/* Math.signum: NaN and signed zeros stay as they are. */
UNARY_T(k_sign_f32, float, v > 0 ? 1.0f : v < 0 ? -1.0f : v)
UNARY_T(k_sign_f64, double, v > 0 ? 1.0 : v < 0 ? -1.0 : v)

UNARY_T(k_ceil_f32, float, ceilf(v))
UNARY_T(k_ceil_f64, double, ceil(v))
UNARY_T(k_floor_f32, float, floorf(v))
UNARY_T(k_floor_f64, double, floor(v))

/* DECIMAL: |v| < 10^38, so the negation cannot overflow. */
UNARY_T(k_abs_dec, wr_int128, v < 0 ? -v : v)

/*
 * SIGN of a DECIMAL: -1, 0 or 1 in the argument's type. Like Flink, whose
 * compact decimals hold it unchecked, a DECIMAL(p, p) gets its 1.0 although 1
 * has more digits than the type (any 10^s fits the 128 bits).
 */
static int k_sign_dec(WR_KERNEL_ARGS)
{
    const wr_int128 *x = args[0].data;
    wr_int128 *o = out->data;
    wr_int128 one = wr_decimal_pow10(out->type.scale);
    out->validity = args[0].validity;
    WR_FOR_ROWS(o[r] = x[r] > 0 ? one : x[r] < 0 ? -one : 0);
    return 0;
}

/* CEIL and FLOOR of a DECIMAL with a scale: the whole part, rounded up or down, at scale 0. */
#define CEIL_FLOOR_DEC(NAME, UP)                                                                   \
    static int NAME(WR_KERNEL_ARGS)                                                                \
    {                                                                                              \
        const wr_int128 *x = args[0].data;                                                         \
        wr_int128 *o = out->data;                                                                  \
        wr_int128 m = wr_decimal_pow10(args[0].type.scale);                                        \
        out->validity = args[0].validity;                                                          \
        WR_FOR_ROWS({                                                                              \
            wr_int128 q = x[r] / m, rem = x[r] % m;                                                \
            o[r] = q + (UP ? rem > 0 : -(rem < 0));                                                \
        });                                                                                        \
        return 0;                                                                                  \
    }

CEIL_FLOOR_DEC(k_ceil_dec, 1)
CEIL_FLOOR_DEC(k_floor_dec, 0)

/*
 * Kernels by numeric type (i8 i16 i32 i64 f32 f64), then DECIMAL's; NULL: the
 * function is the identity.
 */
typedef struct typed_fn {
    wr_kernel_fn k[6];
    wr_kernel_fn dec;
    bool no_scale; /* the result of a DECIMAL has scale 0 (CEIL, FLOOR) */
} typed_fn;

static const typed_fn abs_fn = {
    {k_abs_i8, k_abs_i16, k_abs_i32, k_abs_i64, k_abs_f32, k_abs_f64}, k_abs_dec, false};
static const typed_fn sign_fn = {
    {k_sign_i8, k_sign_i16, k_sign_i32, k_sign_i64, k_sign_f32, k_sign_f64}, k_sign_dec, false};
static const typed_fn ceil_fn = {
    {NULL, NULL, NULL, NULL, k_ceil_f32, k_ceil_f64}, k_ceil_dec, true};
static const typed_fn floor_fn = {
    {NULL, NULL, NULL, NULL, k_floor_f32, k_floor_f64}, k_floor_dec, true};

static wr_expr *bind_typed(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                           wr_error *err)
{
    const typed_fn *fn = def->data;
    if (numeric_arg(def, args, nargs, pos, err)) return wr_fn_drop(args, nargs);
    wr_type t = args[0]->type;
    bool dec = t.id == WR_TYPE_DECIMAL;
    wr_kernel_fn k = dec ? fn->dec : fn->k[num_slot(t.id)];
    /* CEIL and FLOOR of an integer, or of a DECIMAL without a fraction. */
    if (k == NULL || (dec && fn->no_scale && t.scale == 0)) {
        wr_expr *x = args[0];
        wr_free(args);
        return x;
    }
    if (dec && fn->no_scale) t.scale = 0; /* Calcite's ARG0_OR_EXACT_NO_SCALE: DECIMAL(p, 0) */
    return wr_fn_call(def, k, NULL, NULL, args, nargs, t, pos);
}

/* ---- ROUND, TRUNCATE --------------------------------------------------------------------- */

/*
 * The digits Java prints for x (finite, > 0): the shortest that read back as
 * x, without trailing zeros, into digits (room for 17), and the decimal
 * exponent of the first one. Returns the number of digits. Two decimals of
 * at most 15 digits never read as the same double, so when 15 digits read
 * back, the shortest form is those digits without their trailing zeros.
 */
static int java_digits(double x, char *digits, int *exp10)
{
    char buf[40];
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
        if (p == 17 || strtod(buf, NULL) == x) break;
    }
    int n = 0;
    const char *q = buf;
    for (; *q && *q != 'e'; q++)
        if (*q != '.') digits[n++] = *q;
    *exp10 = atoi(q + 1);
    while (n > 1 && digits[n - 1] == '0') n--;
    return n;
}

/*
 * x rounded half away from zero (or truncated towards zero) to d decimal
 * places (d < 0: to tens, hundreds...), on the digits Java prints for x, as
 * Flink's BigDecimal-based ROUND and TRUNCATE do. A zero result is +0.0.
 */
static double decimal_round(double x, int64_t d, bool truncate)
{
    if (!isfinite(x)) return x;
    if (x == 0) return 0.0;
    if (d == 0) { /* a half is exact in binary: the double itself decides */
        double y = truncate ? trunc(x) : round(x);
        return y == 0 ? 0.0 : y;
    }
    char digits[24];
    int e;
    int n = java_digits(fabs(x), digits, &e);
    int64_t keep = e + d + 1; /* digits left of the cut */
    if (keep >= n) return x;
    bool up = !truncate && keep >= 0 && digits[keep] >= '5';
    if (keep <= 0 && !up) return 0.0;
    char text[48];
    int k = 0;
    if (x < 0) text[k++] = '-';
    int first = k;
    if (keep <= 0) {
        text[k++] = '1';
    } else {
        memcpy(text + k, digits, (size_t)keep);
        k += (int)keep;
        int i = k - 1;
        while (up && i >= first && text[i] == '9') text[i--] = '0';
        if (up && i >= first) {
            text[i]++;
        } else if (up) { /* 999 -> 1000 */
            memmove(text + first + 1, text + first, (size_t)(k - first));
            text[first] = '1';
            k++;
        }
    }
    snprintf(text + k, sizeof(text) - (size_t)k, "e%" PRId64, -d);
    return strtod(text, NULL);
}

/* An integer rounded half away from zero (or truncated) to d decimal places; wraps like Java. */
static int64_t integer_round(int64_t x, int64_t d, bool truncate)
{
    if (d >= 0) return x;
    if (d < -18) return 0; /* |x| < 0.5 * 10^19 */
    int64_t m = 1;
    for (int64_t i = 0; i < -d; i++) m *= 10;
    int64_t q = x / m, rem = x % m;
    if (!truncate && (rem < 0 ? -rem : rem) * 2 >= m) q += x < 0 ? -1 : 1;
    return (int64_t)((uint64_t)q * (uint64_t)m);
}

#define ROUND_INT(NAME, T, TRUNC)                                                                  \
    static int NAME(WR_KERNEL_ARGS)                                                                \
    {                                                                                              \
        const T *x = args[0].data;                                                                 \
        const int32_t *d = e->nargs > 1 ? args[1].data : NULL;                                     \
        T *o = out->data;                                                                          \
        out->validity = wr_fn_validity(ev, args, e->nargs);                                        \
        WR_FOR_ROWS(o[r] = (T)integer_round(x[r], d ? d[r] : 0, TRUNC));                           \
        return 0;                                                                                  \
    }

#define ROUND_FLT(NAME, T, TRUNC)                                                                  \
    static int NAME(WR_KERNEL_ARGS)                                                                \
    {                                                                                              \
        const T *x = args[0].data;                                                                 \
        const int32_t *d = e->nargs > 1 ? args[1].data : NULL;                                     \
        T *o = out->data;                                                                          \
        const uint64_t *valid = out->validity = wr_fn_validity(ev, args, e->nargs);                \
        WR_FOR_ROWS({                                                                              \
            if (wr_fn_present(valid, r)) o[r] = (T)decimal_round(x[r], d ? d[r] : 0, TRUNC);       \
        });                                                                                        \
        return 0;                                                                                  \
    }

ROUND_INT(k_round_i8, int8_t, false)
ROUND_INT(k_round_i16, int16_t, false)
ROUND_INT(k_round_i32, int32_t, false)
ROUND_INT(k_round_i64, int64_t, false)
ROUND_FLT(k_round_f32, float, false)
ROUND_FLT(k_round_f64, double, false)
ROUND_INT(k_trunc_i8, int8_t, true)
ROUND_INT(k_trunc_i16, int16_t, true)
ROUND_INT(k_trunc_i32, int32_t, true)
ROUND_INT(k_trunc_i64, int64_t, true)
ROUND_FLT(k_trunc_f32, float, true)
ROUND_FLT(k_trunc_f64, double, true)

/*
 * v cut by k digits: v / 10^k rounded half away from zero (or truncated
 * towards zero). |v| < 10^38, so past 38 digits nothing is left, and the
 * half is tested as rem >= m - rem, which cannot overflow.
 */
static wr_int128 decimal_cut(wr_int128 v, int64_t k, bool truncate)
{
    if (k > WR_DECIMAL_MAX_PRECISION) return 0;
    wr_int128 m = wr_decimal_pow10((int)k), q = v / m, rem = v % m;
    if (rem < 0) rem = -rem;
    if (!truncate && rem >= m - rem) q += v < 0 ? -1 : 1;
    return q;
}

/*
 * ROUND and TRUNCATE of a DECIMAL(p, s) to d places (a constant, see
 * bind_round): nothing to do for d >= s; else the digits past d are cut and
 * the result, at scale max(d, 0), fills back the zeros of a negative d. A
 * result that does not fit the result's precision is NULL, as Flink's decimal
 * overflow.
 */
static int round_dec(WR_KERNEL_ARGS, bool truncate)
{
    const wr_int128 *x = args[0].data;
    const int32_t *d = e->nargs > 1 ? args[1].data : NULL;
    wr_int128 *o = out->data;
    int s = args[0].type.scale, rp = out->type.length;
    const uint64_t *in_valid = wr_fn_validity(ev, args, e->nargs);
    uint64_t *valid = NULL;
    WR_FOR_ROWS({
        if (!wr_fn_present(in_valid, r)) continue;
        int64_t places = d ? d[r] : 0;
        if (places >= s) {
            o[r] = x[r];
            continue;
        }
        wr_int128 q = decimal_cut(x[r], s - places, truncate);
        if (places < 0 && q != 0) q *= wr_decimal_pow10((int)-places); /* -places <= 38 - s */
        o[r] = q;
        if (!wr_decimal_fits(q, rp)) {
            if (!valid) valid = wr_eval_validity_copy(ev, in_valid);
            wr_validity_set(valid, r, false);
        }
    });
    out->validity = valid ? valid : (uint64_t *)in_valid;
    return 0;
}

static int k_round_dec(WR_KERNEL_ARGS)
{
    return round_dec(ev, e, args, out, sel, n, err, false);
}

static int k_trunc_dec(WR_KERNEL_ARGS)
{
    return round_dec(ev, e, args, out, sel, n, err, true);
}

static const typed_fn round_fn = {
    {k_round_i8, k_round_i16, k_round_i32, k_round_i64, k_round_f32, k_round_f64},
    k_round_dec,
    false};
static const typed_fn truncate_fn = {
    {k_trunc_i8, k_trunc_i16, k_trunc_i32, k_trunc_i64, k_trunc_f32, k_trunc_f64},
    k_trunc_dec,
    false};

/* Flink's findRoundDecimalType: the type of DECIMAL(p, s) rounded to r places. */
static wr_type round_decimal_type(wr_type t, int64_t r)
{
    int p = t.length, s = t.scale;
    if (r >= s) return t;
    if (r < 0) return wr_type_decimal(WR_MIN(WR_DECIMAL_MAX_PRECISION, 1 + p - s), 0, t.nullable);
    return wr_type_decimal(1 + p - s + (int)r, (int)r, t.nullable);
}

/*
 * ROUND(x [, d]), TRUNCATE(x [, d]): x keeps its type, d is an INT. A
 * DECIMAL's result type depends on d, which must then be a constant (as in
 * Flink, which reads it from the literal).
 */
static wr_expr *bind_round(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                           wr_error *err)
{
    const typed_fn *fn = def->data;
    if (numeric_arg(def, args, nargs, pos, err) ||
        (nargs > 1 && wr_fn_coerce(def, args + 1, 1, "I", pos, err)))
        return wr_fn_drop(args, nargs);
    wr_type t = args[0]->type;
    t.nullable = wr_fn_nullable(args, nargs);
    if (t.id != WR_TYPE_DECIMAL)
        return wr_fn_call(def, fn->k[num_slot(t.id)], NULL, NULL, args, nargs, t, pos);
    int64_t places = 0;
    if (nargs > 1) {
        wr_fn_const c;
        if (wr_fn_const_eval(args[1], &c, err)) return wr_fn_drop(args, nargs);
        if (!c.is_const) {
            wr_error_set_at(err, WR_ERR_VALIDATION, args[1]->pos >= 0 ? args[1]->pos : pos,
                            "%s of a DECIMAL needs a constant number of places", def->name);
            return wr_fn_drop(args, nargs);
        }
        places = c.is_null ? 0 : c.i; /* a NULL makes every row NULL */
        wr_fn_const_fini(&c);
    }
    return wr_fn_call(def, fn->dec, NULL, NULL, args, nargs, round_decimal_type(t, places), pos);
}

/* ---- MOD ----------------------------------------------------------------------------- */

/* MOD of integers, computed on BIGINT operands and stored in the type of the divisor. */
#define MOD_INT(NAME, T)                                                                           \
    static int NAME(WR_KERNEL_ARGS)                                                                \
    {                                                                                              \
        const int64_t *x = args[0].data, *y = args[1].data;                                        \
        T *o = out->data;                                                                          \
        const uint64_t *valid = out->validity = wr_fn_validity(ev, args, 2);                       \
        int rc = 0;                                                                                \
        WR_FOR_ROWS({                                                                              \
            if (y[r] == 0) {                                                                       \
                o[r] = 0;                                                                          \
                if (wr_fn_present(valid, r)) {                                                     \
                    rc = wr_error_set(err, WR_ERR_RUNTIME,                                         \
                                      "MOD(%" PRId64 ", 0): division by zero", x[r]);              \
                    break;                                                                         \
                }                                                                                  \
            } else {                                                                               \
                o[r] = (T)(y[r] == -1 ? 0 : x[r] % y[r]);                                          \
            }                                                                                      \
        });                                                                                        \
        return rc;                                                                                 \
    }

MOD_INT(k_mod_i8, int8_t)
MOD_INT(k_mod_i16, int16_t)
MOD_INT(k_mod_i32, int32_t)
MOD_INT(k_mod_i64, int64_t)
BINARY_F64(k_mod_f64, fmod(a, b))

/* MOD of DECIMALs (each at its own scale): BigDecimal.remainder, the sign of the dividend. */
static int k_mod_dec(WR_KERNEL_ARGS)
{
    const wr_int128 *x = args[0].data, *y = args[1].data;
    wr_int128 *o = out->data;
    int sa = args[0].type.scale, sb = args[1].type.scale;
    int rp = out->type.length, rs = out->type.scale;
    const uint64_t *in_valid = wr_fn_validity(ev, args, 2);
    uint64_t *valid = NULL;
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_fn_present(in_valid, r)) continue;
        if (y[r] == 0) {
            wr_buf text;
            wr_buf_init(&text);
            wr_decimal_format(x[r], sa, &text);
            rc = wr_error_set(err, WR_ERR_RUNTIME, "MOD(%s, 0): division by zero", text.data);
            wr_buf_fini(&text);
            break;
        }
        if (!wr_decimal_mod(x[r], sa, y[r], sb, rp, rs, &o[r])) {
            if (!valid) valid = wr_eval_validity_copy(ev, in_valid);
            wr_validity_set(valid, r, false);
        }
    });
    out->validity = valid ? valid : (uint64_t *)in_valid;
    return rc;
}

/*
 * MOD of exact numbers one of which is a DECIMAL: integers as the DECIMALs
 * that hold them, an untyped NULL as the other operand, and Flink's
 * findModuloDecimalType for the result (adjusted to 38 digits as Flink's
 * arithmetic is).
 */
static wr_expr *bind_mod_decimal(const wr_func_def *def, wr_expr **args, int pos, wr_error *err)
{
    for (int i = 0; i < 2; i++) {
        wr_type t = args[i]->type.id == WR_TYPE_NULL ? wr_type_as_decimal(args[1 - i]->type)
                                                     : wr_type_as_decimal(args[i]->type);
        t.nullable = args[i]->type.nullable || args[i]->type.id == WR_TYPE_NULL;
        if (!wr_type_equal(args[i]->type, t) &&
            !(args[i] = wr_expr_cast(args[i], t, false, args[i]->pos, err)))
            return wr_fn_drop(args, 2);
    }
    int p1 = args[0]->type.length, s1 = args[0]->type.scale;
    int p2 = args[1]->type.length, s2 = args[1]->type.scale;
    int sc = WR_MAX(s1, s2), p = WR_MIN(p1 - s1, p2 - s2) + sc;
    if (p > WR_DECIMAL_MAX_PRECISION) { /* cannot happen while p1, p2 <= 38; kept as Flink's rule */
        sc = WR_MAX(WR_DECIMAL_MAX_PRECISION - (p - sc), WR_MIN(sc, 6));
        p = WR_DECIMAL_MAX_PRECISION;
    }
    wr_type t = wr_type_decimal(WR_MAX(p, 1), sc, wr_fn_nullable(args, 2));
    return wr_fn_call(def, k_mod_dec, NULL, NULL, args, 2, t, pos);
}

/*
 * MOD(a, b): for integers the result has b's type (as in Flink, where the
 * remainder is smaller than the divisor) and a zero divisor is an error;
 * exact numbers with a DECIMAL give a DECIMAL (bind_mod_decimal); with a
 * FLOAT or DOUBLE operand, the DOUBLE remainder (Java's %).
 */
static wr_expr *bind_mod(const wr_func_def *def, wr_expr **args, int nargs, int pos, wr_error *err)
{
    bool exact = true, decimal = false;
    for (int i = 0; i < 2; i++) {
        wr_type_id id = args[i]->type.id;
        if (id == WR_TYPE_DECIMAL) decimal = true;
        if (id != WR_TYPE_NULL && !wr_type_is_exact(id)) exact = false;
    }
    if (exact && decimal) return bind_mod_decimal(def, args, pos, err);
    exact = exact && !decimal;
    wr_type_id rid = args[1]->type.id == WR_TYPE_NULL ? WR_TYPE_INT : args[1]->type.id;
    if (wr_fn_coerce(def, args, nargs, exact ? "LL" : "DD", pos, err))
        return wr_fn_drop(args, nargs);
    static const wr_kernel_fn ints[4] = {k_mod_i8, k_mod_i16, k_mod_i32, k_mod_i64};
    wr_type t = wr_type_make(exact ? rid : WR_TYPE_DOUBLE, wr_fn_nullable(args, nargs));
    return wr_fn_call(def, exact ? ints[num_slot(rid)] : k_mod_f64, NULL, NULL, args, nargs, t,
                      pos);
}

/* ---- BIN, HEX -------------------------------------------------------------------------- */

/* Long.toBinaryString / Long.toHexString (upper case): the two's complement digits. */
static wr_str radix_text(wr_eval *ev, uint64_t v, int bits_per_digit)
{
    static const char digits[] = "0123456789ABCDEF";
    char buf[64];
    int k = 64;
    uint64_t mask = ((uint64_t)1 << bits_per_digit) - 1;
    do {
        buf[--k] = digits[v & mask];
        v >>= bits_per_digit;
    } while (v);
    return wr_fn_copy(ev, buf + k, (size_t)(64 - k));
}

static int k_bin(WR_KERNEL_ARGS)
{
    const int64_t *x = args[0].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    WR_FOR_ROWS({
        if (wr_fn_present(valid, r)) o[r] = radix_text(ev, (uint64_t)x[r], 1);
    });
    return 0;
}

static int k_hex_int(WR_KERNEL_ARGS)
{
    const int64_t *x = args[0].data;
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    WR_FOR_ROWS({
        if (wr_fn_present(valid, r)) o[r] = radix_text(ev, (uint64_t)x[r], 4);
    });
    return 0;
}

/* HEX(string): the UTF-8 bytes as upper-case hex. */
static int k_hex_str(WR_KERNEL_ARGS)
{
    static const char digits[] = "0123456789ABCDEF";
    wr_str *o = out->data;
    const uint64_t *valid = out->validity = args[0].validity;
    WR_FOR_ROWS({
        if (!wr_fn_present(valid, r)) continue;
        wr_str s = wr_fn_str(&args[0], r);
        char *p = wr_fn_alloc(ev, (size_t)s.len * 2);
        for (uint32_t i = 0; i < s.len; i++) {
            p[2 * i] = digits[(unsigned char)s.ptr[i] >> 4];
            p[2 * i + 1] = digits[s.ptr[i] & 15];
        }
        o[r] = (wr_str){p, s.len * 2};
    });
    return 0;
}

/* BIN(integer); HEX(number or string): numbers are read as BIGINT (a DOUBLE truncated). */
static wr_expr *bind_radix(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                           wr_error *err)
{
    bool hex = def->data != NULL;
    wr_type_id id = args[0]->type.id;
    bool str = hex && wr_type_is_string(id);
    bool real = hex && (id == WR_TYPE_FLOAT || id == WR_TYPE_DOUBLE);
    bool dec = hex && id == WR_TYPE_DECIMAL; /* its whole part, exactly, as a DOUBLE's */
    const char *spec = str ? "S" : real ? "D" : dec ? "A" : "L";
    if (wr_fn_coerce(def, args, nargs, spec, pos, err)) return wr_fn_drop(args, nargs);
    if ((args[0]->type.id == WR_TYPE_DOUBLE || dec) &&
        !(args[0] = wr_expr_cast(args[0], wr_type_make(WR_TYPE_BIGINT, args[0]->type.nullable),
                                 false, args[0]->pos, err)))
        return wr_fn_drop(args, nargs);
    wr_type t = wr_fn_string(wr_fn_nullable(args, nargs));
    return wr_fn_call(def,
                      str   ? k_hex_str
                      : hex ? k_hex_int
                            : k_bin,
                      NULL, NULL, args, nargs, t, pos);
}

/* ---- RAND, RAND_INTEGER ------------------------------------------------------------------ */

/* java.util.Random's generator: a 48-bit linear congruential sequence. */
#define JAVA_MULT 0x5DEECE66DULL
#define JAVA_MASK ((1ULL << 48) - 1)

static inline uint64_t java_scramble(int64_t seed)
{
    return ((uint64_t)seed ^ JAVA_MULT) & JAVA_MASK;
}

static inline int32_t java_next(uint64_t *state, int bits)
{
    *state = (*state * JAVA_MULT + 0xB) & JAVA_MASK;
    return (int32_t)(*state >> (48 - bits));
}

static inline double java_next_double(uint64_t *state)
{
    int64_t hi = java_next(state, 26), lo = java_next(state, 27);
    return (double)((hi << 27) + lo) * 0x1.0p-53;
}

/* Random.nextInt(bound) for bound > 0, with its rejection of the biased tail. */
static inline int32_t java_next_int(uint64_t *state, int32_t bound)
{
    int32_t r = java_next(state, 31), m = bound - 1;
    if ((bound & m) == 0) return (int32_t)(((int64_t)bound * r) >> 31);
    for (int32_t u = r; (int32_t)((uint32_t)u - (uint32_t)(r = u % bound) + (uint32_t)m) < 0;
         u = java_next(state, 31))
        ;
    return r;
}

/*
 * The state of a seeded RAND: one sequence for the call, shared by the
 * threads that evaluate it (like a java.util.Random shared by threads). A
 * kernel call takes the numbers for its rows in one compare-and-swap.
 */
typedef struct rand_aux {
    _Atomic uint64_t state;
} rand_aux;

static void rand_aux_free(void *p)
{
    wr_free(p);
}

/* Unseeded calls draw from a per-thread sequence seeded from the clock. */
static _Thread_local uint64_t thread_state;
static _Thread_local bool thread_seeded;

static uint64_t *thread_rand(void)
{
    if (!thread_seeded) {
        static _Atomic uint64_t salt;
        uint64_t s = (uint64_t)wr_clock_mono_ns() ^ ((uint64_t)(uintptr_t)&thread_state << 16) ^
                     atomic_fetch_add(&salt, 0x9E3779B97F4A7C15ULL);
        thread_state = java_scramble((int64_t)s);
        thread_seeded = true;
    }
    return &thread_state;
}

/* RAND_INTEGER's bound of a present row: an error unless positive, as Random.nextInt. */
#define CHECK_BOUND(b)                                                                             \
    if ((b) <= 0) {                                                                                \
        rc = wr_error_set(err, WR_ERR_RUNTIME, "RAND_INTEGER: the bound must be positive, got %d", \
                          (int)(b));                                                               \
        break;                                                                                     \
    }

/*
 * Fills the rows with the next numbers of *state: doubles for RAND, or for
 * RAND_INTEGER integers below the bound column (rows with a NULL bound take
 * no number, as Flink skips the call).
 */
static int rand_rows(const wr_expr *e, const wr_vector *bound, wr_vector *out, const uint32_t *sel,
                     int n, uint64_t *state, wr_error *err)
{
    int rc = 0;
    if (bound == NULL) {
        double *o = out->data;
        WR_FOR_ROWS(o[r] = java_next_double(state));
    } else {
        const int32_t *b = bound->data;
        int32_t *o = out->data;
        WR_FOR_ROWS({
            if (!wr_fn_present(bound->validity, r)) continue;
            CHECK_BOUND(b[r]);
            o[r] = java_next_int(state, b[r]);
        });
    }
    return rc;
}

static int k_rand(WR_KERNEL_ARGS)
{
    rand_aux *aux = e->aux;
    const wr_vector *bound = e->type.id == WR_TYPE_INT ? &args[e->nargs - 1] : NULL;
    if (bound) out->validity = bound->validity;
    if (aux == NULL) return rand_rows(e, bound, out, sel, n, thread_rand(), err);
    uint64_t seen = atomic_load(&aux->state), state;
    do {
        state = seen;
        int rc = rand_rows(e, bound, out, sel, n, &state, err);
        if (rc) return rc;
    } while (!atomic_compare_exchange_weak(&aux->state, &seen, state));
    return 0;
}

/*
 * RAND([seed]) -> DOUBLE in [0, 1); RAND_INTEGER([seed,] bound) -> INT in
 * [0, bound). A seed must be a constant (Flink seeds the generator once);
 * a NULL seed means none.
 */
static wr_expr *bind_rand(const wr_func_def *def, wr_expr **args, int nargs, int pos, wr_error *err)
{
    bool integer = def->data != NULL;
    bool seeded = nargs == (integer ? 2 : 1);
    if (wr_fn_coerce(def, args, nargs, seeded ? "LI" : "I", pos, err))
        return wr_fn_drop(args, nargs);
    rand_aux *aux = NULL;
    if (seeded) {
        wr_fn_const seed;
        if (wr_fn_const_eval(args[0], &seed, err)) return wr_fn_drop(args, nargs);
        if (!seed.is_const) {
            wr_error_set_at(err, WR_ERR_VALIDATION, args[0]->pos, "%s: the seed must be a constant",
                            def->name);
            return wr_fn_drop(args, nargs);
        }
        if (!seed.is_null) {
            aux = wr_malloc(sizeof(*aux));
            atomic_init(&aux->state, java_scramble(seed.i));
        }
    }
    wr_type t = integer ? wr_type_make(WR_TYPE_INT, wr_fn_nullable(args + nargs - 1, 1))
                        : wr_type_make(WR_TYPE_DOUBLE, false);
    return wr_fn_call(def, k_rand, aux, aux ? rand_aux_free : NULL, args, nargs, t, pos);
}

/* ---- the table ------------------------------------------------------------------------- */

static const double pi_value = M_PI, e_value = M_E;
static const double_fn sqrt_fn = {k_sqrt, NULL}, exp_fn = {k_exp, NULL}, ln_fn = {k_ln, NULL},
                       log10_fn = {k_log10, NULL}, log2_fn = {k_log2, NULL},
                       log_fn = {k_ln, k_log_base}, sin_fn = {k_sin, NULL}, cos_fn = {k_cos, NULL},
                       tan_fn = {k_tan, NULL}, cot_fn = {k_cot, NULL}, asin_fn = {k_asin, NULL},
                       acos_fn = {k_acos, NULL}, atan_fn = {k_atan, NULL},
                       atan2_fn = {NULL, k_atan2}, sinh_fn = {k_sinh, NULL},
                       cosh_fn = {k_cosh, NULL}, tanh_fn = {k_tanh, NULL},
                       degrees_fn = {k_degrees, NULL}, radians_fn = {k_radians, NULL},
                       power_fn = {NULL, k_power};
static const int hex_tag = 1, rand_integer_tag = 1;

const wr_func_def wr_funcs_math[] = {
    {"ABS", 1, 1, bind_typed, "ABS(NUMERIC)", &abs_fn},
    {"ACOS", 1, 1, bind_double, "ACOS(NUMERIC)", &acos_fn},
    {"ASIN", 1, 1, bind_double, "ASIN(NUMERIC)", &asin_fn},
    {"ATAN", 1, 1, bind_double, "ATAN(NUMERIC)", &atan_fn},
    {"ATAN2", 2, 2, bind_double, "ATAN2(NUMERIC y, NUMERIC x)", &atan2_fn},
    {"BIN", 1, 1, bind_radix, "BIN(INTEGER)", NULL},
    {"CEIL", 1, 1, bind_typed, "CEIL(NUMERIC)", &ceil_fn},
    {"CEILING", 1, 1, bind_typed, "CEILING(NUMERIC)", &ceil_fn},
    {"COS", 1, 1, bind_double, "COS(NUMERIC)", &cos_fn},
    {"COSH", 1, 1, bind_double, "COSH(NUMERIC)", &cosh_fn},
    {"COT", 1, 1, bind_double, "COT(NUMERIC)", &cot_fn},
    {"DEGREES", 1, 1, bind_double, "DEGREES(NUMERIC)", &degrees_fn},
    {"E", 0, 0, bind_constant, "E()", &e_value},
    {"EXP", 1, 1, bind_double, "EXP(NUMERIC)", &exp_fn},
    {"FLOOR", 1, 1, bind_typed, "FLOOR(NUMERIC)", &floor_fn},
    {"HEX", 1, 1, bind_radix, "HEX(NUMERIC | STRING)", &hex_tag},
    {"LN", 1, 1, bind_double, "LN(NUMERIC)", &ln_fn},
    {"LOG", 1, 2, bind_double, "LOG([NUMERIC base,] NUMERIC)", &log_fn},
    {"LOG10", 1, 1, bind_double, "LOG10(NUMERIC)", &log10_fn},
    {"LOG2", 1, 1, bind_double, "LOG2(NUMERIC)", &log2_fn},
    {"MOD", 2, 2, bind_mod, "MOD(NUMERIC, NUMERIC)", NULL},
    {"PI", 0, 0, bind_constant, "PI()", &pi_value},
    {"POW", 2, 2, bind_double, "POW(NUMERIC, NUMERIC)", &power_fn},
    {"POWER", 2, 2, bind_double, "POWER(NUMERIC, NUMERIC)", &power_fn},
    {"RADIANS", 1, 1, bind_double, "RADIANS(NUMERIC)", &radians_fn},
    {"RAND", 0, 1, bind_rand, "RAND([INT seed])", NULL},
    {"RAND_INTEGER", 1, 2, bind_rand, "RAND_INTEGER([INT seed,] INT bound)", &rand_integer_tag},
    {"ROUND", 1, 2, bind_round, "ROUND(NUMERIC [, INT places])", &round_fn},
    {"SIGN", 1, 1, bind_typed, "SIGN(NUMERIC)", &sign_fn},
    {"SIN", 1, 1, bind_double, "SIN(NUMERIC)", &sin_fn},
    {"SINH", 1, 1, bind_double, "SINH(NUMERIC)", &sinh_fn},
    {"SQRT", 1, 1, bind_double, "SQRT(NUMERIC)", &sqrt_fn},
    {"TAN", 1, 1, bind_double, "TAN(NUMERIC)", &tan_fn},
    {"TANH", 1, 1, bind_double, "TANH(NUMERIC)", &tanh_fn},
    {"TRUNCATE", 1, 2, bind_round, "TRUNCATE(NUMERIC [, INT places])", &truncate_fn},
    {NULL, 0, 0, NULL, NULL, NULL},
};
