/*
 * aggfuncs.c — the accumulators of the aggregate functions; see aggregate_int.h.
 *
 * One state layout per family of functions and one loop per (function,
 * physical type), stamped out by macros and picked from tables indexed by
 * wr_agg_phys, so adding a type means adding table entries. Integer SUM
 * wraps around like Java's (Flink's SUM(INT) is an INT); integer AVG keeps a
 * 64-bit sum (128-bit for BIGINT) so that it cannot overflow in practice and
 * truncates toward zero; STDDEV and VAR keep count, sum and sum of squares
 * in double, Flink's formula, which also makes them mergeable and
 * retractable. DECIMAL sums are exact: the unscaled values add up in 128 bits
 * at the argument's scale, and a sum past 38 digits makes the result NULL, as
 * Flink's decimal overflow does; AVG divides that sum by the count rounding
 * HALF_UP. Kept strings and byte strings (MIN, MAX, FIRST/LAST_VALUE,
 * LISTAGG) are copied into the caller's heap and overwritten in place while
 * they fit; ARRAY_AGG and COLLECT append their values to one byte stream there
 * and encode the collection at the end.
 */
#include "aggregate_int.h"
#include "../base/alloc.h"
#include "../types/decimal.h"
#include "../types/nested.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

wr_agg_phys wr_agg_phys_of(wr_type_id id)
{
    switch (id) {
    case WR_TYPE_BOOLEAN:
        return WR_PHYS_BOOL;
    case WR_TYPE_TINYINT:
        return WR_PHYS_I8;
    case WR_TYPE_SMALLINT:
        return WR_PHYS_I16;
    case WR_TYPE_INT:
    case WR_TYPE_DATE:
    case WR_TYPE_TIME:
    case WR_TYPE_INTERVAL_YM:
        return WR_PHYS_I32;
    case WR_TYPE_BIGINT:
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
    case WR_TYPE_INTERVAL_DT:
        return WR_PHYS_I64;
    case WR_TYPE_DECIMAL:
        return WR_PHYS_I128;
    case WR_TYPE_FLOAT:
        return WR_PHYS_F32;
    case WR_TYPE_DOUBLE:
        return WR_PHYS_F64;
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR:
    case WR_TYPE_BINARY:
    case WR_TYPE_VARBINARY:
    case WR_TYPE_ARRAY: /* nested values are byte strings (nested.h) */
    case WR_TYPE_MAP:
    case WR_TYPE_MULTISET:
    case WR_TYPE_ROW:
        return WR_PHYS_STR;
    case WR_TYPE_NULL:
    case WR_TYPE_COUNT_:
        break;
    }
    return WR_PHYS_NONE;
}

static bool phys_is_int(wr_agg_phys p)
{
    return p >= WR_PHYS_I8 && p <= WR_PHYS_I64;
}

/* Integers, DECIMAL's I128 and floats. */
static bool phys_is_num(wr_agg_phys p)
{
    return p >= WR_PHYS_I8 && p <= WR_PHYS_F64;
}

bool wr_agg_can_retract(wr_agg_kind kind)
{
    switch (kind) {
    case WR_AGG_COUNT_STAR:
    case WR_AGG_COUNT:
    case WR_AGG_SUM:
    case WR_AGG_SUM0:
    case WR_AGG_AVG:
    case WR_AGG_STDDEV_POP:
    case WR_AGG_STDDEV_SAMP:
    case WR_AGG_VAR_POP:
    case WR_AGG_VAR_SAMP:
    case WR_AGG_BOOL_AND:
    case WR_AGG_BOOL_OR:
        return true;
    default:
        return false;
    }
}

/* ---- state layouts -------------------------------------------------------- */

/* A fixed-width value; every member starts at byte 0, so its first w bytes are a w-byte value. */
typedef union value {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
} value;

typedef struct count_state {
    int64_t n;
} count_state;

/* Integer SUM (unsigned: wraps like Java without C's overflow) and AVG of narrow integers. */
typedef struct isum_state {
    uint64_t sum;
    int64_t n;
} isum_state;

typedef struct fsum_state {
    double sum;
    int64_t n;
} fsum_state;

/* AVG of BIGINT: a sum that 2^64 rows cannot overflow. */
typedef struct wsum_state {
    __int128 sum;
    int64_t n;
} wsum_state;

typedef struct var_state {
    int64_t n;
    double sum, sumsq;
} var_state;

/*
 * SUM and AVG of DECIMAL: the unscaled sum at the argument's scale. overflow
 * is set once the sum left 38 digits; the result is NULL then (Flink's
 * decimal overflow), until every value is retracted again.
 */
typedef struct dsum_state {
    wr_int128 sum;
    int64_t n;
    int32_t overflow;
} dsum_state;

/* MIN, MAX, FIRST/LAST_VALUE, SINGLE_VALUE of fixed-width values. */
typedef struct val_state {
    value v;
    int32_t has;  /* v holds a value */
    int32_t rows; /* SINGLE_VALUE: rows seen, NULL or not */
} val_state;

/* The same for DECIMAL's 16 bytes, apart so that other values' states stay small. */
typedef struct wide_state {
    wr_int128 v;
    int32_t has;
    int32_t rows;
} wide_state;

/* The same for strings: ptr[0..len) in the heap, room for cap bytes. */
typedef struct str_state {
    char *ptr;
    uint32_t len, cap;
    int32_t has;
    int32_t rows;
} str_state;

/* LISTAGG: the joined text and the separator (kept for merging). */
typedef struct lagg_state {
    char *ptr;
    uint32_t len, cap;
    const char *sep;
    uint32_t seplen;
    int32_t has;
} lagg_state;

/*
 * ARRAY_AGG and COLLECT: the values in arrival order as one byte stream in the heap, each a
 * presence byte, then (present) the slot of a fixed-width value or a u32 length and the bytes of
 * a string or nested value.
 */
typedef struct list_state {
    char *ptr;
    uint32_t len, cap;
    uint32_t n; /* values */
    int32_t has;
} list_state;

/* BOOL_AND / BOOL_OR as counts, so they can retract. */
typedef struct bool_state {
    int64_t n, ntrue;
} bool_state;

/* ---- loops ---------------------------------------------------------------- */

#define UPDATE_ARGS                                                                                \
    const wr_agg_acc *acc, const wr_agg_states *st, const wr_vector *arg, const wr_vector *arg2,   \
        const uint32_t *rows, const uint32_t *groups, int n, wr_error *err

/* Runs the statements for every (rows[i], groups[i]) with s at the group's state of type T. */
#define FOR_ROWS(T, ...)                                                                           \
    do {                                                                                           \
        uint8_t *base_ = st->rows + acc->offset;                                                   \
        size_t stride_ = st->stride;                                                               \
        for (int i = 0; i < n; i++) {                                                              \
            uint32_t r = rows[i];                                                                  \
            T *s = (T *)(base_ + (size_t)groups[i] * stride_);                                     \
            (void)r;                                                                               \
            __VA_ARGS__;                                                                           \
        }                                                                                          \
    } while (0)

/* As FOR_ROWS for the rows where arg is not NULL; two loops so that no-NULL input tests nothing. */
#define FOR_VALUES(T, ...)                                                                         \
    do {                                                                                           \
        const uint64_t *valid_ = arg->validity;                                                    \
        if (valid_ == NULL) {                                                                      \
            FOR_ROWS(T, __VA_ARGS__);                                                              \
            break;                                                                                 \
        }                                                                                          \
        uint8_t *base_ = st->rows + acc->offset;                                                   \
        size_t stride_ = st->stride;                                                               \
        for (int i = 0; i < n; i++) {                                                              \
            uint32_t r = rows[i];                                                                  \
            if (!((valid_[r >> 6] >> (r & 63)) & 1)) continue;                                     \
            T *s = (T *)(base_ + (size_t)groups[i] * stride_);                                     \
            __VA_ARGS__;                                                                           \
        }                                                                                          \
    } while (0)

/*
 * FOR_ROWS and FOR_VALUES for statements that only compute on *s: with a single
 * group (st->single) the state lives in a local variable during the loop, so
 * that it stays in registers instead of being stored and loaded again per row.
 */
#define ROWS_ARITH(T, ...)                                                                         \
    do {                                                                                           \
        if (!st->single) {                                                                         \
            FOR_ROWS(T, __VA_ARGS__);                                                              \
            break;                                                                                 \
        }                                                                                          \
        T *state_ = (T *)(st->rows + acc->offset), local_ = *state_, *s = &local_;                 \
        for (int i = 0; i < n; i++) {                                                              \
            uint32_t r = rows[i];                                                                  \
            (void)r;                                                                               \
            __VA_ARGS__;                                                                           \
        }                                                                                          \
        *state_ = local_;                                                                          \
    } while (0)

#define VALUES_ARITH(T, ...)                                                                       \
    do {                                                                                           \
        if (!st->single) {                                                                         \
            FOR_VALUES(T, __VA_ARGS__);                                                            \
            break;                                                                                 \
        }                                                                                          \
        const uint64_t *valid_ = arg->validity;                                                    \
        T *state_ = (T *)(st->rows + acc->offset), local_ = *state_, *s = &local_;                 \
        if (valid_ == NULL) {                                                                      \
            for (int i = 0; i < n; i++) {                                                          \
                uint32_t r = rows[i];                                                              \
                (void)r;                                                                           \
                __VA_ARGS__;                                                                       \
            }                                                                                      \
        } else {                                                                                   \
            for (int i = 0; i < n; i++) {                                                          \
                uint32_t r = rows[i];                                                              \
                if (!((valid_[r >> 6] >> (r & 63)) & 1)) continue;                                 \
                __VA_ARGS__;                                                                       \
            }                                                                                      \
        }                                                                                          \
        *state_ = local_;                                                                          \
    } while (0)

#define STATE_OF(T, g) ((const T *)(st->rows + (size_t)(g)*st->stride + acc->offset))

/* ---- writing results ---------------------------------------------------- */

/* Java's double-to-long conversion: saturating, NaN is 0. */
static int64_t java_d2l(double x)
{
    if (x != x) return 0;
    if (x >= 9223372036854775807.0) return INT64_MAX;
    if (x <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)x;
}

/* Stores an integer result in a numeric column, narrowing with wrap-around as Java casts do. */
static void put_int(wr_vector *v, wr_agg_phys p, int row, int64_t x)
{
    switch (p) {
    case WR_PHYS_I8:
        ((int8_t *)v->data)[row] = (int8_t)x;
        break;
    case WR_PHYS_I16:
        ((int16_t *)v->data)[row] = (int16_t)x;
        break;
    case WR_PHYS_I32:
        ((int32_t *)v->data)[row] = (int32_t)x;
        break;
    case WR_PHYS_I64:
        ((int64_t *)v->data)[row] = x;
        break;
    case WR_PHYS_F32:
        ((float *)v->data)[row] = (float)x;
        break;
    case WR_PHYS_F64:
        ((double *)v->data)[row] = (double)x;
        break;
    default:
        assert(0); /* wr_agg_acc_init admits numeric results only */
    }
}

/* Stores a floating-point result; integer columns get it truncated toward zero. */
static void put_float(wr_vector *v, wr_agg_phys p, int row, double x)
{
    if (p == WR_PHYS_F32)
        ((float *)v->data)[row] = (float)x;
    else if (p == WR_PHYS_F64)
        ((double *)v->data)[row] = x;
    else
        put_int(v, p, row, java_d2l(x));
}

static void put_value(wr_vector *v, size_t width, int row, const value *x)
{
    memcpy((char *)v->data + (size_t)row * width, x, width);
}

static void put_str(wr_vector *v, int row, const char *ptr, uint32_t len)
{
    ((wr_str *)v->data)[row] = (wr_str){ptr ? ptr : "", len};
}

/* ---- strings kept in the heap ------------------------------------------- */

/*
 * Makes room for need bytes at *ptr, keeping its first keep bytes. Grows
 * geometrically so that a state overwritten or appended to many times wastes
 * at most as much heap as it uses.
 */
static void str_reserve(char **ptr, uint32_t *cap, uint32_t keep, size_t need, wr_arena *heap)
{
    if (need <= *cap) return;
    size_t size = WR_MAX(need, (size_t)*cap * 2);
    size = WR_MAX(size, 16);
    size = (size + 15) & ~(size_t)15; /* the arena rounds to 16 anyway */
    if (size > UINT32_MAX) size = need;
    char *p = wr_arena_alloc(heap, size);
    if (keep) memcpy(p, *ptr, keep);
    *ptr = p;
    *cap = (uint32_t)size;
}

static void str_store(str_state *s, const char *ptr, uint32_t len, wr_arena *heap)
{
    str_reserve(&s->ptr, &s->cap, 0, len, heap);
    if (len) memcpy(s->ptr, ptr, len);
    s->len = len;
    s->has = 1;
}

/* Byte order (code point order for UTF-8), shorter first on a common prefix. */
static int str_cmp(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
    /* A kept empty string may have no memory at all (NULL), which memcmp must not see. */
    int c = alen && blen ? memcmp(a, b, WR_MIN(alen, blen)) : 0;
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

/* ---- COUNT(*), COUNT(x) ---------------------------------------------------- */

static int count_star_update(UPDATE_ARGS)
{
    ROWS_ARITH(count_state, s->n++);
    return 0;
}

static int count_star_retract(UPDATE_ARGS)
{
    ROWS_ARITH(count_state, s->n--);
    return 0;
}

static int count_update(UPDATE_ARGS)
{
    VALUES_ARITH(count_state, s->n++);
    return 0;
}

static int count_retract(UPDATE_ARGS)
{
    VALUES_ARITH(count_state, s->n--);
    return 0;
}

static int count_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                       wr_error *err)
{
    ((count_state *)dst)->n += ((const count_state *)src)->n;
    return 0;
}

static void count_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                        wr_batch *out, int col, int row0)
{
    wr_agg_phys p = wr_agg_phys_of(acc->result.id);
    for (int i = 0; i < n; i++)
        put_int(&out->cols[col], p, row0 + i, STATE_OF(count_state, first + i)->n);
}

/* ---- SUM, $SUM0, AVG ------------------------------------------------------ */

#define SUM_INT(SFX, T)                                                                            \
    static int sum_##SFX##_update(UPDATE_ARGS)                                                     \
    {                                                                                              \
        const T *x = arg->data;                                                                    \
        VALUES_ARITH(isum_state, s->sum += (uint64_t)(int64_t)x[r]; s->n++);                       \
        return 0;                                                                                  \
    }                                                                                              \
    static int sum_##SFX##_retract(UPDATE_ARGS)                                                    \
    {                                                                                              \
        const T *x = arg->data;                                                                    \
        VALUES_ARITH(isum_state, s->sum -= (uint64_t)(int64_t)x[r]; s->n--);                       \
        return 0;                                                                                  \
    }

SUM_INT(i8, int8_t)
SUM_INT(i16, int16_t)
SUM_INT(i32, int32_t)
SUM_INT(i64, int64_t)

/* Float sums: a group retracted to nothing restarts from an exact 0. */
#define SUM_FLOAT(SFX, T)                                                                          \
    static int sum_##SFX##_update(UPDATE_ARGS)                                                     \
    {                                                                                              \
        const T *x = arg->data;                                                                    \
        VALUES_ARITH(fsum_state, s->sum += (double)x[r]; s->n++);                                  \
        return 0;                                                                                  \
    }                                                                                              \
    static int sum_##SFX##_retract(UPDATE_ARGS)                                                    \
    {                                                                                              \
        const T *x = arg->data;                                                                    \
        FOR_VALUES(fsum_state, s->sum -= (double)x[r]; if (--s->n == 0) s->sum = 0);               \
        return 0;                                                                                  \
    }                                                                                              \
    /* A delta (wr_agg_acc_phase_delta) passes through n == 0 with a sum that still counts. */     \
    static int sum_##SFX##_dretract(UPDATE_ARGS)                                                   \
    {                                                                                              \
        const T *x = arg->data;                                                                    \
        FOR_VALUES(fsum_state, s->sum -= (double)x[r]; s->n--);                                    \
        return 0;                                                                                  \
    }

SUM_FLOAT(f32, float)
SUM_FLOAT(f64, double)

static int wsum_update(UPDATE_ARGS)
{
    const int64_t *x = arg->data;
    VALUES_ARITH(wsum_state, s->sum += x[r]; s->n++);
    return 0;
}

static int wsum_retract(UPDATE_ARGS)
{
    const int64_t *x = arg->data;
    VALUES_ARITH(wsum_state, s->sum -= x[r]; s->n--);
    return 0;
}

static int isum_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                      wr_error *err)
{
    isum_state *d = dst;
    const isum_state *s = src;
    d->sum += s->sum;
    d->n += s->n;
    return 0;
}

static int fsum_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                      wr_error *err)
{
    fsum_state *d = dst;
    const fsum_state *s = src;
    d->sum += s->sum;
    d->n += s->n;
    return 0;
}

static int wsum_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                      wr_error *err)
{
    wsum_state *d = dst;
    const wsum_state *s = src;
    d->sum += s->sum;
    d->n += s->n;
    return 0;
}

/* SUM is NULL over no values, $SUM0 is 0 (its zero state holds sum 0). */
static void isum_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                       wr_batch *out, int col, int row0)
{
    wr_agg_phys p = wr_agg_phys_of(acc->result.id);
    bool sum0 = acc->kind == WR_AGG_SUM0;
    for (int i = 0; i < n; i++) {
        const isum_state *s = STATE_OF(isum_state, first + i);
        if (s->n == 0 && !sum0)
            wr_batch_set_null(out, col, row0 + i);
        else
            put_int(&out->cols[col], p, row0 + i, (int64_t)s->sum);
    }
}

static void fsum_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                       wr_batch *out, int col, int row0)
{
    wr_agg_phys p = wr_agg_phys_of(acc->result.id);
    bool sum0 = acc->kind == WR_AGG_SUM0;
    for (int i = 0; i < n; i++) {
        const fsum_state *s = STATE_OF(fsum_state, first + i);
        if (s->n == 0 && !sum0)
            wr_batch_set_null(out, col, row0 + i);
        else
            put_float(&out->cols[col], p, row0 + i, s->sum);
    }
}

/* Integer AVG: C's division truncates toward zero, as Java's does. */
static void iavg_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                       wr_batch *out, int col, int row0)
{
    wr_agg_phys p = wr_agg_phys_of(acc->result.id);
    for (int i = 0; i < n; i++) {
        const isum_state *s = STATE_OF(isum_state, first + i);
        if (s->n == 0)
            wr_batch_set_null(out, col, row0 + i);
        else
            put_int(&out->cols[col], p, row0 + i, (int64_t)s->sum / s->n);
    }
}

static void wavg_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                       wr_batch *out, int col, int row0)
{
    wr_agg_phys p = wr_agg_phys_of(acc->result.id);
    for (int i = 0; i < n; i++) {
        const wsum_state *s = STATE_OF(wsum_state, first + i);
        if (s->n == 0)
            wr_batch_set_null(out, col, row0 + i);
        else
            put_int(&out->cols[col], p, row0 + i, (int64_t)(s->sum / s->n));
    }
}

static void favg_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                       wr_batch *out, int col, int row0)
{
    wr_agg_phys p = wr_agg_phys_of(acc->result.id);
    for (int i = 0; i < n; i++) {
        const fsum_state *s = STATE_OF(fsum_state, first + i);
        if (s->n == 0)
            wr_batch_set_null(out, col, row0 + i);
        else
            put_float(&out->cols[col], p, row0 + i, s->sum / (double)s->n);
    }
}

/* ---- SUM, $SUM0, AVG of DECIMAL ----------------------------------------------------- */

/* sum + x into *out; false when the result leaves 38 digits (two such values may even leave
 * 128 bits, which the builtin catches before the digits are counted). */
static inline bool dsum_add(wr_int128 sum, wr_int128 x, wr_int128 *out)
{
    return !__builtin_add_overflow(sum, x, out) && wr_decimal_fits(*out, WR_DECIMAL_MAX_PRECISION);
}

static int dsum_update(UPDATE_ARGS)
{
    const wr_int128 *x = arg->data;
    FOR_VALUES(dsum_state, s->n++;
               if (!s->overflow && !dsum_add(s->sum, x[r], &s->sum)) s->overflow = 1);
    return 0;
}

/* A group retracted to nothing starts afresh, an overflow forgotten. */
static int dsum_retract(UPDATE_ARGS)
{
    const wr_int128 *x = arg->data;
    FOR_VALUES(
        dsum_state, if (!s->overflow && !dsum_add(s->sum, -x[r], &s->sum)) s->overflow = 1;
        if (--s->n == 0) {
            s->sum = 0;
            s->overflow = 0;
        });
    return 0;
}

static int dsum_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                      wr_error *err)
{
    dsum_state *d = dst;
    const dsum_state *s = src;
    d->n += s->n;
    d->overflow |= s->overflow;
    if (!d->overflow && !dsum_add(d->sum, s->sum, &d->sum)) d->overflow = 1;
    return 0;
}

/* SUM: the sum at the result's scale (Flink's DECIMAL(38, s) has the argument's). */
static void dsum_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                       wr_batch *out, int col, int row0)
{
    wr_int128 *o = out->cols[col].data;
    bool sum0 = acc->kind == WR_AGG_SUM0;
    int sa = acc->arg.scale, rp = acc->result.length, rs = acc->result.scale;
    for (int i = 0; i < n; i++) {
        const dsum_state *s = STATE_OF(dsum_state, first + i);
        bool ok = (s->n > 0 || sum0) && !s->overflow &&
                  wr_decimal_rescale(s->sum, sa, rs, rp, &o[row0 + i]);
        if (!ok) wr_batch_set_null(out, col, row0 + i);
    }
}

/* AVG: the exact quotient rounded HALF_UP to the result's scale (Flink's DECIMAL(38, max(s, 6))).
 */
static void davg_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                       wr_batch *out, int col, int row0)
{
    wr_int128 *o = out->cols[col].data;
    int sa = acc->arg.scale, rp = acc->result.length, rs = acc->result.scale;
    for (int i = 0; i < n; i++) {
        const dsum_state *s = STATE_OF(dsum_state, first + i);
        bool ok = s->n > 0 && !s->overflow &&
                  wr_decimal_div(s->sum, sa, (wr_int128)s->n, 0, rp, rs, &o[row0 + i]);
        if (!ok) wr_batch_set_null(out, col, row0 + i);
    }
}

/* ---- STDDEV_POP, STDDEV_SAMP, VAR_POP, VAR_SAMP ------------------------------------ */

#define VAR(SFX, T)                                                                                \
    static int var_##SFX##_update(UPDATE_ARGS)                                                     \
    {                                                                                              \
        const T *xs = arg->data;                                                                   \
        FOR_VALUES(var_state, double x = (double)xs[r]; s->n++; s->sum += x; s->sumsq += x * x);   \
        return 0;                                                                                  \
    }                                                                                              \
    static int var_##SFX##_retract(UPDATE_ARGS)                                                    \
    {                                                                                              \
        const T *xs = arg->data;                                                                   \
        FOR_VALUES(var_state, double x = (double)xs[r]; s->sum -= x; s->sumsq -= x * x;            \
                   if (--s->n == 0) s->sum = s->sumsq = 0);                                        \
        return 0;                                                                                  \
    }                                                                                              \
    static int var_##SFX##_dretract(UPDATE_ARGS)                                                   \
    {                                                                                              \
        const T *xs = arg->data;                                                                   \
        FOR_VALUES(var_state, double x = (double)xs[r]; s->sum -= x; s->sumsq -= x * x; s->n--);   \
        return 0;                                                                                  \
    }

VAR(i8, int8_t)
VAR(i16, int16_t)
VAR(i32, int32_t)
VAR(i64, int64_t)
VAR(f32, float)
VAR(f64, double)

/* DECIMAL goes through double as well: the result is a square root, or of its square. */
static int var_dec_update(UPDATE_ARGS)
{
    const wr_int128 *xs = arg->data;
    int scale = acc->arg.scale;
    FOR_VALUES(var_state, double x = wr_decimal_to_double(xs[r], scale); s->n++; s->sum += x;
               s->sumsq += x * x);
    return 0;
}

static int var_dec_retract(UPDATE_ARGS)
{
    const wr_int128 *xs = arg->data;
    int scale = acc->arg.scale;
    FOR_VALUES(var_state, double x = wr_decimal_to_double(xs[r], scale); s->sum -= x;
               s->sumsq -= x * x; if (--s->n == 0) s->sum = s->sumsq = 0);
    return 0;
}

static int var_dec_dretract(UPDATE_ARGS)
{
    const wr_int128 *xs = arg->data;
    int scale = acc->arg.scale;
    FOR_VALUES(var_state, double x = wr_decimal_to_double(xs[r], scale); s->sum -= x;
               s->sumsq -= x * x; s->n--);
    return 0;
}

static int var_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                     wr_error *err)
{
    var_state *d = dst;
    const var_state *s = src;
    d->n += s->n;
    d->sum += s->sum;
    d->sumsq += s->sumsq;
    return 0;
}

/*
 * (sumsq - sum * sum / n) / n, or / (n - 1) for the sample variants, which
 * are NULL below two values. For integer input whose variance is an integer
 * every step is exact (while the sums stay below 2^53), so truncating the
 * result to the integer type cannot fall one short. Rounding can make a zero
 * variance slightly negative: 0. A DECIMAL result is the double rounded
 * HALF_UP to the result's scale.
 */
static void var_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                      wr_batch *out, int col, int row0)
{
    wr_agg_phys p = wr_agg_phys_of(acc->result.id);
    bool samp = acc->kind == WR_AGG_STDDEV_SAMP || acc->kind == WR_AGG_VAR_SAMP;
    bool root = acc->kind == WR_AGG_STDDEV_POP || acc->kind == WR_AGG_STDDEV_SAMP;
    for (int i = 0; i < n; i++) {
        const var_state *s = STATE_OF(var_state, first + i);
        if (s->n == 0 || (samp && s->n == 1)) {
            wr_batch_set_null(out, col, row0 + i);
            continue;
        }
        double cnt = (double)s->n;
        double m2 = s->sumsq - s->sum * s->sum / cnt;
        if (m2 < 0) m2 = 0;
        double v = m2 / (samp ? cnt - 1 : cnt);
        if (root) v = sqrt(v);
        if (p != WR_PHYS_I128) {
            put_float(&out->cols[col], p, row0 + i, v);
        } else if (!wr_decimal_from_double(v, acc->result.length, acc->result.scale,
                                           (wr_int128 *)out->cols[col].data + row0 + i)) {
            wr_batch_set_null(out, col, row0 + i);
        }
    }
}

/* ---- MIN, MAX ----------------------------------------------------------------- */

#define MINMAX(SFX, T, S, F)                                                                       \
    static int min_##SFX##_update(UPDATE_ARGS)                                                     \
    {                                                                                              \
        const T *x = arg->data;                                                                    \
        FOR_VALUES(                                                                                \
            S, T v = x[r]; if (!s->has || v < s->F) {                                              \
                s->F = v;                                                                          \
                s->has = 1;                                                                        \
            });                                                                                    \
        return 0;                                                                                  \
    }                                                                                              \
    static int max_##SFX##_update(UPDATE_ARGS)                                                     \
    {                                                                                              \
        const T *x = arg->data;                                                                    \
        FOR_VALUES(                                                                                \
            S, T v = x[r]; if (!s->has || v > s->F) {                                              \
                s->F = v;                                                                          \
                s->has = 1;                                                                        \
            });                                                                                    \
        return 0;                                                                                  \
    }                                                                                              \
    static int min_##SFX##_merge(const wr_agg_acc *acc, void *dst, const void *src,                \
                                 wr_arena *heap, wr_error *err)                                    \
    {                                                                                              \
        S *d = dst;                                                                                \
        const S *s = src;                                                                          \
        if (s->has && (!d->has || s->F < d->F)) *d = *s;                                           \
        return 0;                                                                                  \
    }                                                                                              \
    static int max_##SFX##_merge(const wr_agg_acc *acc, void *dst, const void *src,                \
                                 wr_arena *heap, wr_error *err)                                    \
    {                                                                                              \
        S *d = dst;                                                                                \
        const S *s = src;                                                                          \
        if (s->has && (!d->has || s->F > d->F)) *d = *s;                                           \
        return 0;                                                                                  \
    }

MINMAX(bool, uint8_t, val_state, v.u8)
MINMAX(i8, int8_t, val_state, v.i8)
MINMAX(i16, int16_t, val_state, v.i16)
MINMAX(i32, int32_t, val_state, v.i32)
MINMAX(i64, int64_t, val_state, v.i64)
MINMAX(i128, wr_int128, wide_state, v) /* DECIMAL: one scale per column, so by unscaled value */
MINMAX(f32, float, val_state, v.f32)
MINMAX(f64, double, val_state, v.f64)

static int min_str_update(UPDATE_ARGS)
{
    const wr_str *x = arg->data;
    FOR_VALUES(str_state, wr_str v = x[r]; if (!s->has || str_cmp(v.ptr, v.len, s->ptr, s->len) < 0)
                   str_store(s, v.ptr, v.len, st->heap));
    return 0;
}

static int max_str_update(UPDATE_ARGS)
{
    const wr_str *x = arg->data;
    FOR_VALUES(str_state, wr_str v = x[r]; if (!s->has || str_cmp(v.ptr, v.len, s->ptr, s->len) > 0)
                   str_store(s, v.ptr, v.len, st->heap));
    return 0;
}

static int min_str_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                         wr_error *err)
{
    str_state *d = dst;
    const str_state *s = src;
    if (s->has && (!d->has || str_cmp(s->ptr, s->len, d->ptr, d->len) < 0))
        str_store(d, s->ptr, s->len, heap);
    return 0;
}

static int max_str_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                         wr_error *err)
{
    str_state *d = dst;
    const str_state *s = src;
    if (s->has && (!d->has || str_cmp(s->ptr, s->len, d->ptr, d->len) > 0))
        str_store(d, s->ptr, s->len, heap);
    return 0;
}

/* ---- FIRST_VALUE, LAST_VALUE, SINGLE_VALUE ------------------------------------- */

static int single_value_error(wr_error *err)
{
    return wr_error_set(err, WR_ERR_RUNTIME,
                        "more than one row returned by a subquery used as an expression");
}

/* Fixed-width values move as bits, so one loop per width serves every type of that width. */
#define PICK(SFX, T, S, F)                                                                         \
    static int first_##SFX##_update(UPDATE_ARGS)                                                   \
    {                                                                                              \
        const T *x = arg->data;                                                                    \
        FOR_VALUES(                                                                                \
            S, if (!s->has) {                                                                      \
                s->F = x[r];                                                                       \
                s->has = 1;                                                                        \
            });                                                                                    \
        return 0;                                                                                  \
    }                                                                                              \
    static int last_##SFX##_update(UPDATE_ARGS)                                                    \
    {                                                                                              \
        const T *x = arg->data;                                                                    \
        FOR_VALUES(S, s->F = x[r]; s->has = 1);                                                    \
        return 0;                                                                                  \
    }                                                                                              \
    static int single_##SFX##_update(UPDATE_ARGS)                                                  \
    {                                                                                              \
        const T *x = arg->data;                                                                    \
        FOR_ROWS(                                                                                  \
            S, if (++s->rows > 1) return single_value_error(err);                                  \
            if (!wr_vector_is_null(arg, (int)r)) {                                                 \
                s->F = x[r];                                                                       \
                s->has = 1;                                                                        \
            });                                                                                    \
        return 0;                                                                                  \
    }

PICK(w8, uint8_t, val_state, v.u8)
PICK(w16, uint16_t, val_state, v.u16)
PICK(w32, uint32_t, val_state, v.u32)
PICK(w64, uint64_t, val_state, v.u64)
PICK(w128, wr_int128, wide_state, v)

/* The merges of FIRST_VALUE, LAST_VALUE and SINGLE_VALUE for a fixed-width state S. */
#define PICK_MERGES(SFX, S)                                                                        \
    static int first_##SFX##_merge(const wr_agg_acc *acc, void *dst, const void *src,              \
                                   wr_arena *heap, wr_error *err)                                  \
    {                                                                                              \
        S *d = dst;                                                                                \
        const S *s = src;                                                                          \
        if (!d->has && s->has) *d = *s;                                                            \
        return 0;                                                                                  \
    }                                                                                              \
    static int last_##SFX##_merge(const wr_agg_acc *acc, void *dst, const void *src,               \
                                  wr_arena *heap, wr_error *err)                                   \
    {                                                                                              \
        S *d = dst;                                                                                \
        const S *s = src;                                                                          \
        if (s->has) *d = *s;                                                                       \
        return 0;                                                                                  \
    }                                                                                              \
    static int single_##SFX##_merge(const wr_agg_acc *acc, void *dst, const void *src,             \
                                    wr_arena *heap, wr_error *err)                                 \
    {                                                                                              \
        S *d = dst;                                                                                \
        const S *s = src;                                                                          \
        if (d->rows + s->rows > 1) return single_value_error(err);                                 \
        if (s->rows) *d = *s;                                                                      \
        return 0;                                                                                  \
    }

PICK_MERGES(val, val_state)
PICK_MERGES(wide, wide_state)

static int first_str_update(UPDATE_ARGS)
{
    const wr_str *x = arg->data;
    FOR_VALUES(str_state, if (!s->has) str_store(s, x[r].ptr, x[r].len, st->heap));
    return 0;
}

static int last_str_update(UPDATE_ARGS)
{
    const wr_str *x = arg->data;
    FOR_VALUES(str_state, str_store(s, x[r].ptr, x[r].len, st->heap));
    return 0;
}

static int single_str_update(UPDATE_ARGS)
{
    const wr_str *x = arg->data;
    FOR_ROWS(str_state, if (++s->rows > 1) return single_value_error(err);
             if (!wr_vector_is_null(arg, (int)r)) str_store(s, x[r].ptr, x[r].len, st->heap));
    return 0;
}

static int first_str_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                           wr_error *err)
{
    str_state *d = dst;
    const str_state *s = src;
    if (!d->has && s->has) str_store(d, s->ptr, s->len, heap);
    return 0;
}

static int last_str_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                          wr_error *err)
{
    str_state *d = dst;
    const str_state *s = src;
    if (s->has) str_store(d, s->ptr, s->len, heap);
    return 0;
}

static int single_str_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                            wr_error *err)
{
    str_state *d = dst;
    const str_state *s = src;
    if (d->rows + s->rows > 1) return single_value_error(err);
    if (s->has) str_store(d, s->ptr, s->len, heap);
    d->rows += s->rows;
    return 0;
}

static void val_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                      wr_batch *out, int col, int row0)
{
    size_t width = wr_type_width(acc->result.id);
    for (int i = 0; i < n; i++) {
        const val_state *s = STATE_OF(val_state, first + i);
        if (s->has)
            put_value(&out->cols[col], width, row0 + i, &s->v);
        else
            wr_batch_set_null(out, col, row0 + i);
    }
}

static void wide_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                       wr_batch *out, int col, int row0)
{
    wr_int128 *o = out->cols[col].data;
    for (int i = 0; i < n; i++) {
        const wide_state *s = STATE_OF(wide_state, first + i);
        if (s->has)
            o[row0 + i] = s->v;
        else
            wr_batch_set_null(out, col, row0 + i);
    }
}

static void str_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                      wr_batch *out, int col, int row0)
{
    for (int i = 0; i < n; i++) {
        const str_state *s = STATE_OF(str_state, first + i);
        if (s->has)
            put_str(&out->cols[col], row0 + i, s->ptr, s->len);
        else
            wr_batch_set_null(out, col, row0 + i);
    }
}

/* ---- LISTAGG ------------------------------------------------------------------ */

/* Appends sep (unless s is empty) and v to s; keeps a copy of sep for merging. */
static void lagg_append(lagg_state *s, const char *sep, uint32_t seplen, const char *v,
                        uint32_t vlen, wr_arena *heap)
{
    if (s->sep == NULL || s->seplen != seplen || (seplen && memcmp(s->sep, sep, seplen) != 0)) {
        s->sep = seplen ? wr_arena_strndup(heap, sep, seplen) : "";
        s->seplen = seplen;
    }
    if (!s->has) seplen = 0;
    str_reserve(&s->ptr, &s->cap, s->len, (size_t)s->len + seplen + vlen, heap);
    if (seplen) memcpy(s->ptr + s->len, sep, seplen);
    if (vlen) memcpy(s->ptr + s->len + seplen, v, vlen);
    s->len += seplen + vlen;
    s->has = 1;
}

static int lagg_update(UPDATE_ARGS)
{
    const wr_str *x = arg->data;
    const wr_str *seps = arg2 ? arg2->data : NULL;
    FOR_VALUES(lagg_state, wr_str sep = {",", 1};
               if (seps && !wr_vector_is_null(arg2, (int)r)) sep = seps[r];
               lagg_append(s, sep.ptr, sep.len, x[r].ptr, x[r].len, st->heap));
    return 0;
}

static int lagg_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                      wr_error *err)
{
    lagg_state *d = dst;
    const lagg_state *s = src;
    if (s->has) lagg_append(d, s->sep, s->seplen, s->ptr, s->len, heap);
    return 0;
}

static void lagg_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                       wr_batch *out, int col, int row0)
{
    for (int i = 0; i < n; i++) {
        const lagg_state *s = STATE_OF(lagg_state, first + i);
        if (s->has)
            put_str(&out->cols[col], row0 + i, s->ptr, s->len);
        else
            wr_batch_set_null(out, col, row0 + i);
    }
}

/* ---- ARRAY_AGG, COLLECT ------------------------------------------------------------- */

/* Appends one value (NULL when p is NULL) of arg's type to the state's stream. */
static void list_append(list_state *s, const wr_agg_acc *acc, const void *p, wr_arena *heap)
{
    bool view = wr_type_is_view(acc->arg.id);
    size_t w = wr_type_width(acc->arg.id);
    wr_str v = {0};
    if (p && view) memcpy(&v, p, sizeof v);
    size_t need = 1 + (p == NULL ? 0 : view ? 4 + (size_t)v.len : w);
    str_reserve(&s->ptr, &s->cap, s->len, (size_t)s->len + need, heap);
    char *o = s->ptr + s->len;
    *o++ = p != NULL;
    if (p && view) {
        memcpy(o, &v.len, 4);
        if (v.len) memcpy(o + 4, v.ptr, v.len);
    } else if (p) {
        memcpy(o, p, w);
    }
    s->len += (uint32_t)need;
    s->n++;
    s->has = 1;
}

static int array_agg_update(UPDATE_ARGS)
{
    size_t w = wr_type_width(acc->arg.id);
    const char *x = arg->data;
    /* NULLs are elements too (Flink's RESPECT NULLS, the default). */
    FOR_ROWS(list_state,
             list_append(s, acc, wr_vector_is_null(arg, (int)r) ? NULL : x + w * r, st->heap));
    return 0;
}

static int collect_update(UPDATE_ARGS)
{
    size_t w = wr_type_width(acc->arg.id);
    const char *x = arg->data;
    FOR_VALUES(list_state, list_append(s, acc, x + w * r, st->heap));
    return 0;
}

static int list_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                      wr_error *err)
{
    list_state *d = dst;
    const list_state *s = src;
    if (!s->has) return 0;
    str_reserve(&d->ptr, &d->cap, d->len, (size_t)d->len + s->len, heap);
    if (s->len) memcpy(d->ptr + d->len, s->ptr, s->len);
    d->len += s->len;
    d->n += s->n;
    d->has = 1;
    return 0;
}

/* Sorting the elements of a COLLECT result: qsort_r's comparator reads the slots through this. */
typedef struct list_order {
    wr_type type;
    const uint8_t *slots;
    const bool *present;
    size_t width;
} list_order;

static int list_cmp(const void *a, const void *b, void *arg)
{
    const list_order *o = arg;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    if (!o->present[i] || !o->present[j]) return (int)o->present[i] - (int)o->present[j];
    return wr_value_cmp(o->type, o->slots + o->width * i, o->slots + o->width * j);
}

/*
 * The stream as an ARRAY (or MULTISET) value in the heap. A MULTISET's elements are sorted, so
 * that equal multisets encode equally whatever order their values arrived in.
 */
static wr_str list_value(const wr_agg_acc *acc, const list_state *s, wr_arena *heap)
{
    wr_type elem = acc->arg;
    bool view = wr_type_is_view(elem.id);
    size_t w = wr_type_width(elem.id);
    uint32_t n = s->n;
    uint8_t *slots = wr_malloc(w * (n ? n : 1));
    bool *present = wr_malloc(n ? n : 1);
    const char *p = s->ptr;
    for (uint32_t i = 0; i < n; i++) {
        present[i] = *p++;
        if (!present[i]) continue;
        if (view) {
            wr_str v;
            memcpy(&v.len, p, 4);
            v.ptr = p + 4;
            memcpy(slots + w * i, &v, sizeof v);
            p += 4 + v.len;
        } else {
            memcpy(slots + w * i, p, w);
            p += w;
        }
    }
    if (acc->kind == WR_AGG_COLLECT && n > 1) {
        uint32_t *order = wr_malloc(n * sizeof(uint32_t));
        for (uint32_t i = 0; i < n; i++) order[i] = i;
        list_order o = {elem, slots, present, w};
        qsort_r(order, n, sizeof(uint32_t), list_cmp, &o);
        uint8_t *sorted = wr_malloc(w * n);
        bool *sp = wr_malloc(n);
        for (uint32_t i = 0; i < n; i++) {
            memcpy(sorted + w * i, slots + w * order[i], w);
            sp[i] = present[order[i]];
        }
        wr_free(slots);
        wr_free(present);
        wr_free(order);
        slots = sorted;
        present = sp;
    }
    wr_buf b;
    wr_buf_init(&b);
    wr_array_encode(&b, elem, n, slots, present);
    char *copy = wr_arena_alloc(heap, b.len ? b.len : 1);
    memcpy(copy, b.data, b.len);
    wr_str v = {copy, (uint32_t)b.len};
    wr_buf_fini(&b);
    wr_free(slots);
    wr_free(present);
    return v;
}

static void list_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                       wr_batch *out, int col, int row0)
{
    for (int i = 0; i < n; i++) {
        const list_state *s = STATE_OF(list_state, first + i);
        /* ARRAY_AGG over no rows is NULL; COLLECT an empty multiset. */
        if (!s->has && acc->kind == WR_AGG_ARRAY_AGG) {
            wr_batch_set_null(out, col, row0 + i);
            continue;
        }
        ((wr_str *)out->cols[col].data)[row0 + i] = list_value(acc, s, st->heap);
    }
}

/* ---- BOOL_AND, BOOL_OR ------------------------------------------------------------ */

static int bool_update(UPDATE_ARGS)
{
    const uint8_t *x = arg->data;
    FOR_VALUES(bool_state, s->n++; s->ntrue += x[r] != 0);
    return 0;
}

static int bool_retract(UPDATE_ARGS)
{
    const uint8_t *x = arg->data;
    FOR_VALUES(bool_state, s->n--; s->ntrue -= x[r] != 0);
    return 0;
}

static int bool_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                      wr_error *err)
{
    bool_state *d = dst;
    const bool_state *s = src;
    d->n += s->n;
    d->ntrue += s->ntrue;
    return 0;
}

static void bool_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                       wr_batch *out, int col, int row0)
{
    bool all = acc->kind == WR_AGG_BOOL_AND;
    uint8_t *data = out->cols[col].data;
    for (int i = 0; i < n; i++) {
        const bool_state *s = STATE_OF(bool_state, first + i);
        if (s->n == 0)
            wr_batch_set_null(out, col, row0 + i);
        else
            data[row0 + i] = all ? s->ntrue == s->n : s->ntrue > 0;
    }
}

/* ---- user-defined functions ------------------------------------------------ */

/*
 * The function's own state, state_size bytes, follows a 16-byte header whose
 * first byte says whether init has run: zero bytes are the empty
 * accumulator to the operators, but only init knows what the function's
 * empty accumulator is, so it runs on a state's first use (an update, a
 * merge into it, or the result of a group that saw no rows).
 */
#define USER_HEADER 16

static void *user_state(const wr_agg_acc *acc, uint8_t *slot)
{
    if (!slot[0]) {
        acc->user->init(acc->user, slot + USER_HEADER);
        slot[0] = 1;
    }
    return slot + USER_HEADER;
}

static int user_update(UPDATE_ARGS)
{
    const wr_agg_user *u = acc->user;
    const wr_vector *args[WR_AGG_MAX_ARGS];
    for (int k = 0; k < acc->nargs; k++) args[k] = &arg[acc->args[k]];
    uint8_t *base = st->rows + acc->offset;
    for (int i = 0; i < n; i++) user_state(acc, base + (size_t)groups[i] * st->stride);
    return u->accumulate(u, args, rows, groups, n, base + USER_HEADER, st->stride, err);
}

static int user_merge(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                      wr_error *err)
{
    const uint8_t *from = src;
    if (!from[0]) return 0; /* an empty state, never initialised: nothing to add */
    if (acc->user->merge == NULL)
        return wr_error_set(err, WR_ERR_INTERNAL, "function %s cannot merge accumulators",
                            acc->user->name);
    return acc->user->merge(acc->user, user_state(acc, dst), from + USER_HEADER, err);
}

static int user_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                      wr_batch *out, int col, int row0, wr_error *err)
{
    for (int i = 0; i < n; i++) {
        uint8_t *slot = st->rows + (size_t)(first + (uint32_t)i) * st->stride + acc->offset;
        int rc = acc->user->get_value(acc->user, user_state(acc, slot), out, col, row0 + i,
                                      st->heap, err);
        if (rc) return rc;
    }
    return 0;
}

/* ---- choosing the loops --------------------------------------------------------- */

#define PHYS_COUNT (WR_PHYS_STR + 1)

static const wr_agg_update_fn sum_update[PHYS_COUNT] = {
    [WR_PHYS_I8] = sum_i8_update,   [WR_PHYS_I16] = sum_i16_update, [WR_PHYS_I32] = sum_i32_update,
    [WR_PHYS_I64] = sum_i64_update, [WR_PHYS_F32] = sum_f32_update, [WR_PHYS_F64] = sum_f64_update,
};
static const wr_agg_update_fn sum_retract[PHYS_COUNT] = {
    [WR_PHYS_I8] = sum_i8_retract,   [WR_PHYS_I16] = sum_i16_retract,
    [WR_PHYS_I32] = sum_i32_retract, [WR_PHYS_I64] = sum_i64_retract,
    [WR_PHYS_F32] = sum_f32_retract, [WR_PHYS_F64] = sum_f64_retract,
};
static const wr_agg_update_fn sum_dretract[PHYS_COUNT] = {
    [WR_PHYS_F32] = sum_f32_dretract,
    [WR_PHYS_F64] = sum_f64_dretract,
};
static const wr_agg_update_fn var_update[PHYS_COUNT] = {
    [WR_PHYS_I8] = var_i8_update,   [WR_PHYS_I16] = var_i16_update, [WR_PHYS_I32] = var_i32_update,
    [WR_PHYS_I64] = var_i64_update, [WR_PHYS_F32] = var_f32_update, [WR_PHYS_F64] = var_f64_update,
};
static const wr_agg_update_fn var_retract[PHYS_COUNT] = {
    [WR_PHYS_I8] = var_i8_retract,   [WR_PHYS_I16] = var_i16_retract,
    [WR_PHYS_I32] = var_i32_retract, [WR_PHYS_I64] = var_i64_retract,
    [WR_PHYS_F32] = var_f32_retract, [WR_PHYS_F64] = var_f64_retract,
};
static const wr_agg_update_fn var_dretract[PHYS_COUNT] = {
    [WR_PHYS_I8] = var_i8_dretract,   [WR_PHYS_I16] = var_i16_dretract,
    [WR_PHYS_I32] = var_i32_dretract, [WR_PHYS_I64] = var_i64_dretract,
    [WR_PHYS_F32] = var_f32_dretract, [WR_PHYS_F64] = var_f64_dretract,
};
static const wr_agg_update_fn min_update[PHYS_COUNT] = {
    [WR_PHYS_BOOL] = min_bool_update, [WR_PHYS_I8] = min_i8_update,
    [WR_PHYS_I16] = min_i16_update,   [WR_PHYS_I32] = min_i32_update,
    [WR_PHYS_I64] = min_i64_update,   [WR_PHYS_I128] = min_i128_update,
    [WR_PHYS_F32] = min_f32_update,   [WR_PHYS_F64] = min_f64_update,
    [WR_PHYS_STR] = min_str_update,
};
static const wr_agg_merge_fn min_merge[PHYS_COUNT] = {
    [WR_PHYS_BOOL] = min_bool_merge, [WR_PHYS_I8] = min_i8_merge,   [WR_PHYS_I16] = min_i16_merge,
    [WR_PHYS_I32] = min_i32_merge,   [WR_PHYS_I64] = min_i64_merge, [WR_PHYS_I128] = min_i128_merge,
    [WR_PHYS_F32] = min_f32_merge,   [WR_PHYS_F64] = min_f64_merge, [WR_PHYS_STR] = min_str_merge,
};
static const wr_agg_update_fn max_update[PHYS_COUNT] = {
    [WR_PHYS_BOOL] = max_bool_update, [WR_PHYS_I8] = max_i8_update,
    [WR_PHYS_I16] = max_i16_update,   [WR_PHYS_I32] = max_i32_update,
    [WR_PHYS_I64] = max_i64_update,   [WR_PHYS_I128] = max_i128_update,
    [WR_PHYS_F32] = max_f32_update,   [WR_PHYS_F64] = max_f64_update,
    [WR_PHYS_STR] = max_str_update,
};
static const wr_agg_merge_fn max_merge[PHYS_COUNT] = {
    [WR_PHYS_BOOL] = max_bool_merge, [WR_PHYS_I8] = max_i8_merge,   [WR_PHYS_I16] = max_i16_merge,
    [WR_PHYS_I32] = max_i32_merge,   [WR_PHYS_I64] = max_i64_merge, [WR_PHYS_I128] = max_i128_merge,
    [WR_PHYS_F32] = max_f32_merge,   [WR_PHYS_F64] = max_f64_merge, [WR_PHYS_STR] = max_str_merge,
};

/* FIRST_VALUE, LAST_VALUE, SINGLE_VALUE by width: [0] 1 byte, [1] 2, [2] 4, [3] 8, [4] 16. */
static const wr_agg_update_fn first_update[5] = {
    first_w8_update, first_w16_update, first_w32_update, first_w64_update, first_w128_update};
static const wr_agg_update_fn last_update[5] = {last_w8_update, last_w16_update, last_w32_update,
                                                last_w64_update, last_w128_update};
static const wr_agg_update_fn single_update[5] = {
    single_w8_update, single_w16_update, single_w32_update, single_w64_update, single_w128_update};

static int width_index(size_t width)
{
    switch (width) {
    case 1:
        return 0;
    case 2:
        return 1;
    case 4:
        return 2;
    case 8:
        return 3;
    case 16:
        return 4;
    }
    return -1;
}

static void set_size(wr_agg_acc *acc, size_t size, size_t align)
{
    acc->size = (uint32_t)size;
    acc->align = (uint32_t)align;
}

#define SET_STATE(acc, T) set_size(acc, sizeof(T), _Alignof(T))

/*
 * Whether the result type fits a function that keeps its argument's values
 * (MIN, MAX, FIRST/LAST_VALUE, SINGLE_VALUE): the same physical class, and for
 * DECIMAL the same scale, since values are copied unscaled.
 */
static bool keeps_values(const wr_agg_acc *acc)
{
    wr_agg_phys p = acc->phys;
    if (p == WR_PHYS_NONE || wr_agg_phys_of(acc->result.id) != p) return false;
    return p != WR_PHYS_I128 || acc->result.scale == acc->arg.scale;
}

/* The function tables for acc's kind and argument; false when there are none. */
static bool choose(wr_agg_acc *acc)
{
    wr_agg_phys p = acc->phys, rp = wr_agg_phys_of(acc->result.id);
    bool is_str = p == WR_PHYS_STR;
    bool is_dec = p == WR_PHYS_I128;
    int wi = width_index(wr_type_width(acc->arg.id));
    switch (acc->kind) {
    case WR_AGG_COUNT_STAR:
    case WR_AGG_COUNT:
        if (!phys_is_num(rp) || rp == WR_PHYS_I128) return false;
        SET_STATE(acc, count_state);
        acc->update = acc->kind == WR_AGG_COUNT ? count_update : count_star_update;
        acc->retract = acc->kind == WR_AGG_COUNT ? count_retract : count_star_retract;
        acc->merge = count_merge;
        acc->final = count_final;
        return true;
    case WR_AGG_SUM:
    case WR_AGG_SUM0:
    case WR_AGG_AVG:
        /* Numbers only (a DATE is an I32 too); DECIMAL sums into DECIMAL and nothing else. */
        if (!wr_type_is_numeric(acc->arg.id) || !phys_is_num(rp) || is_dec != (rp == WR_PHYS_I128))
            return false;
        if (is_dec) {
            SET_STATE(acc, dsum_state);
            acc->update = dsum_update;
            acc->retract = dsum_retract;
            acc->merge = dsum_merge;
            acc->final = acc->kind == WR_AGG_AVG ? davg_final : dsum_final;
            return true;
        }
        if (acc->kind == WR_AGG_AVG && p == WR_PHYS_I64) {
            SET_STATE(acc, wsum_state);
            acc->update = wsum_update;
            acc->retract = wsum_retract;
            acc->merge = wsum_merge;
            acc->final = wavg_final;
            return true;
        }
        acc->update = sum_update[p];
        acc->retract = sum_retract[p];
        if (phys_is_int(p)) {
            SET_STATE(acc, isum_state);
            acc->merge = isum_merge;
            acc->final = acc->kind == WR_AGG_AVG ? iavg_final : isum_final;
        } else {
            SET_STATE(acc, fsum_state);
            acc->merge = fsum_merge;
            acc->final = acc->kind == WR_AGG_AVG ? favg_final : fsum_final;
        }
        return true;
    case WR_AGG_STDDEV_POP:
    case WR_AGG_STDDEV_SAMP:
    case WR_AGG_VAR_POP:
    case WR_AGG_VAR_SAMP:
        if (!wr_type_is_numeric(acc->arg.id) || !phys_is_num(rp) || is_dec != (rp == WR_PHYS_I128))
            return false;
        SET_STATE(acc, var_state);
        acc->update = is_dec ? var_dec_update : var_update[p];
        acc->retract = is_dec ? var_dec_retract : var_retract[p];
        acc->merge = var_merge;
        acc->final = var_final;
        return true;
    case WR_AGG_MIN:
    case WR_AGG_MAX:
        if (!keeps_values(acc)) return false;
        if (is_str)
            SET_STATE(acc, str_state);
        else if (is_dec)
            SET_STATE(acc, wide_state);
        else
            SET_STATE(acc, val_state);
        acc->update = acc->kind == WR_AGG_MIN ? min_update[p] : max_update[p];
        acc->merge = acc->kind == WR_AGG_MIN ? min_merge[p] : max_merge[p];
        acc->final = is_str ? str_final : is_dec ? wide_final : val_final;
        return true;
    case WR_AGG_FIRST_VALUE:
    case WR_AGG_LAST_VALUE:
    case WR_AGG_SINGLE_VALUE:
        if (!keeps_values(acc) || (!is_str && wi < 0)) return false;
        if (is_str) {
            SET_STATE(acc, str_state);
            acc->final = str_final;
            if (acc->kind == WR_AGG_FIRST_VALUE) {
                acc->update = first_str_update;
                acc->merge = first_str_merge;
            } else if (acc->kind == WR_AGG_LAST_VALUE) {
                acc->update = last_str_update;
                acc->merge = last_str_merge;
            } else {
                acc->update = single_str_update;
                acc->merge = single_str_merge;
            }
            return true;
        }
        if (is_dec)
            SET_STATE(acc, wide_state);
        else
            SET_STATE(acc, val_state);
        acc->final = is_dec ? wide_final : val_final;
        if (acc->kind == WR_AGG_FIRST_VALUE) {
            acc->update = first_update[wi];
            acc->merge = is_dec ? first_wide_merge : first_val_merge;
        } else if (acc->kind == WR_AGG_LAST_VALUE) {
            acc->update = last_update[wi];
            acc->merge = is_dec ? last_wide_merge : last_val_merge;
        } else {
            acc->update = single_update[wi];
            acc->merge = is_dec ? single_wide_merge : single_val_merge;
        }
        return true;
    case WR_AGG_LISTAGG:
        /* Character strings only: byte strings share the class but are not text. */
        if (!wr_type_is_string(acc->arg.id) || rp != WR_PHYS_STR) return false;
        SET_STATE(acc, lagg_state);
        acc->update = lagg_update;
        acc->merge = lagg_merge;
        acc->final = lagg_final;
        return true;
    case WR_AGG_ARRAY_AGG:
    case WR_AGG_COLLECT: {
        wr_type_id want = acc->kind == WR_AGG_ARRAY_AGG ? WR_TYPE_ARRAY : WR_TYPE_MULTISET;
        if (p == WR_PHYS_NONE || acc->result.id != want ||
            !wr_type_equal(wr_type_elem(acc->result), acc->arg))
            return false;
        SET_STATE(acc, list_state);
        acc->update = acc->kind == WR_AGG_ARRAY_AGG ? array_agg_update : collect_update;
        acc->merge = list_merge;
        acc->final = list_final;
        return true;
    }
    case WR_AGG_BOOL_AND:
    case WR_AGG_BOOL_OR:
        if (p != WR_PHYS_BOOL || rp != WR_PHYS_BOOL) return false;
        SET_STATE(acc, bool_state);
        acc->update = bool_update;
        acc->retract = bool_retract;
        acc->merge = bool_merge;
        acc->final = bool_final;
        return true;
    case WR_AGG_USER:
        if (acc->user == NULL || acc->user->state_size == 0) return false;
        set_size(acc, USER_HEADER + ((acc->user->state_size + 15) & ~(size_t)15), 16);
        acc->update = user_update;
        acc->merge = user_merge;
        acc->final_err = user_final;
        return true;
    case WR_AGG_KIND_COUNT_:
        break;
    }
    return false;
}

int wr_agg_acc_init(wr_agg_acc *acc, const wr_agg_call *call, const wr_type *in, int nin,
                    wr_error *err)
{
    memset(acc, 0, sizeof(*acc));
    if ((unsigned)call->kind >= WR_AGG_KIND_COUNT_)
        return wr_error_set(err, WR_ERR_VALIDATION, "unknown aggregate function %d",
                            (int)call->kind);
    if (call->kind == WR_AGG_USER && call->user == NULL)
        return wr_error_set(err, WR_ERR_VALIDATION, "a user aggregate call without its function");
    const char *name = wr_agg_call_name(call);
    acc->kind = call->kind;
    acc->user = call->user;
    acc->result = call->type;
    acc->nargs = call->nargs;
    acc->filter = call->filter;
    /* DISTINCT changes nothing where every row counts or only one may come. */
    acc->distinct =
        call->distinct && call->kind != WR_AGG_COUNT_STAR && call->kind != WR_AGG_SINGLE_VALUE;
    int want_min = call->kind == WR_AGG_COUNT_STAR ? 0 : 1;
    int want_max = call->kind == WR_AGG_COUNT_STAR ? 0 : call->kind == WR_AGG_LISTAGG ? 2 : 1;
    if (call->kind == WR_AGG_USER) want_min = want_max = call->user->nargs;
    if (call->nargs < want_min || call->nargs > want_max || call->nargs > WR_AGG_MAX_ARGS)
        return wr_error_set(err, WR_ERR_VALIDATION, "%s cannot take %d arguments", name,
                            call->nargs);
    for (int i = 0; i < call->nargs; i++) {
        if (call->args[i] < 0 || call->args[i] >= nin)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "%s argument %d is column %d of an input with %d columns", name,
                                i + 1, call->args[i], nin);
        acc->args[i] = call->args[i];
    }
    if (call->filter >= nin || call->filter < -1)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "%s FILTER is column %d of an input with %d columns", name,
                            call->filter, nin);
    if (call->filter >= 0 && in[call->filter].id != WR_TYPE_BOOLEAN) {
        char t[64];
        return wr_error_set(err, WR_ERR_VALIDATION, "%s FILTER needs a BOOLEAN column, got %s",
                            name, wr_type_name(in[call->filter], t, sizeof(t)));
    }
    /* DISTINCT keeps the distinct values of one column (the operator's sets hold one). */
    if (acc->distinct && call->kind == WR_AGG_USER && call->nargs != 1)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "%s DISTINCT needs exactly one argument, got %d", name, call->nargs);
    acc->arg = call->nargs ? in[call->args[0]] : wr_type_make(WR_TYPE_BIGINT, false);
    acc->phys = call->kind == WR_AGG_COUNT ? WR_PHYS_NONE : wr_agg_phys_of(acc->arg.id);
    if (call->kind == WR_AGG_LISTAGG && call->nargs == 2 &&
        !wr_type_is_string(in[call->args[1]].id)) {
        char t[64];
        return wr_error_set(err, WR_ERR_VALIDATION, "LISTAGG needs a string separator, got %s",
                            wr_type_name(in[call->args[1]], t, sizeof(t)));
    }
    if (!choose(acc)) {
        char a[64], r[64];
        return wr_error_set(err, WR_ERR_VALIDATION, "%s cannot aggregate %s into %s", name,
                            wr_type_name(acc->arg, a, sizeof(a)),
                            wr_type_name(acc->result, r, sizeof(r)));
    }
    assert(acc->update && acc->merge && (acc->final || acc->final_err));
    return 0;
}

int wr_agg_acc_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                     wr_batch *out, int col, int row0, wr_error *err)
{
    if (acc->final_err) return acc->final_err(acc, st, first, n, out, col, row0, err);
    acc->final(acc, st, first, n, out, col, row0);
    return 0;
}

size_t wr_agg_layout(wr_agg_acc *accs, int n)
{
    size_t off = 0, align = 1;
    for (int i = 0; i < n; i++) {
        size_t a = accs[i].align;
        off = (off + a - 1) & ~(a - 1);
        accs[i].offset = (uint32_t)off;
        off += accs[i].size;
        align = WR_MAX(align, a);
    }
    return (off + align - 1) & ~(align - 1);
}

/* ---- two-phase aggregation: states as intermediate columns ----------------------- */

/*
 * The local phase writes each state as columns (partial), the global phase
 * rebuilds a state from each intermediate row and folds it in with the
 * accumulator's own merge (absorb), so both phases share one definition of
 * merging. Each pair below knows one state layout. wr_agg_acc_phase tells
 * the layout by the accumulator's merge and final functions, so a state
 * added later without a pair here runs in one phase instead of being
 * misread. A NULL intermediate value stands for the empty state and is
 * skipped.
 */

#define ABSORB_ARGS                                                                                \
    const wr_agg_acc *acc, const wr_agg_states *st, const wr_vector *cols, const uint32_t *rows,   \
        const uint32_t *groups, int n, wr_error *err

static int absorb_state(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t g, const void *src,
                        wr_error *err)
{
    return acc->merge(acc, st->rows + (size_t)g * st->stride + acc->offset, src, st->heap, err);
}

static void count_partial(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                          wr_batch *out, int col, int row0)
{
    int64_t *x = out->cols[col].data;
    for (int i = 0; i < n; i++) x[row0 + i] = STATE_OF(count_state, first + i)->n;
}

static int count_absorb(ABSORB_ARGS)
{
    const int64_t *x = cols[0].data;
    for (int i = 0; i < n; i++) {
        count_state s = {x[rows[i]]};
        int rc = absorb_state(acc, st, groups[i], &s, err);
        if (rc) return rc;
    }
    return 0;
}

/* SUM: the sum, NULL over no values (the global state's count is then of partial sums, which
 * serves SUM's final as well: it only asks whether there was any). AVG: sum and count. */
static void isum_partial(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                         wr_batch *out, int col, int row0)
{
    int64_t *sum = out->cols[col].data;
    int64_t *cnt = acc->npartial > 1 ? out->cols[col + 1].data : NULL;
    for (int i = 0; i < n; i++) {
        const isum_state *s = STATE_OF(isum_state, first + i);
        sum[row0 + i] = (int64_t)s->sum;
        if (cnt)
            cnt[row0 + i] = s->n;
        else if (s->n == 0)
            wr_batch_set_null(out, col, row0 + i);
    }
}

static int isum_absorb(ABSORB_ARGS)
{
    const int64_t *sum = cols[0].data;
    const int64_t *cnt = acc->npartial > 1 ? cols[1].data : NULL;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (wr_vector_is_null(&cols[0], (int)r)) continue;
        isum_state s = {(uint64_t)sum[r], cnt ? cnt[r] : 1};
        int rc = absorb_state(acc, st, groups[i], &s, err);
        if (rc) return rc;
    }
    return 0;
}

static void fsum_partial(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                         wr_batch *out, int col, int row0)
{
    double *sum = out->cols[col].data;
    int64_t *cnt = acc->npartial > 1 ? out->cols[col + 1].data : NULL;
    for (int i = 0; i < n; i++) {
        const fsum_state *s = STATE_OF(fsum_state, first + i);
        sum[row0 + i] = s->sum;
        if (cnt)
            cnt[row0 + i] = s->n;
        else if (s->n == 0)
            wr_batch_set_null(out, col, row0 + i);
    }
}

static int fsum_absorb(ABSORB_ARGS)
{
    const double *sum = cols[0].data;
    const int64_t *cnt = acc->npartial > 1 ? cols[1].data : NULL;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (wr_vector_is_null(&cols[0], (int)r)) continue;
        fsum_state s = {sum[r], cnt ? cnt[r] : 1};
        int rc = absorb_state(acc, st, groups[i], &s, err);
        if (rc) return rc;
    }
    return 0;
}

/* AVG of BIGINT: the 128-bit sum travels as a DECIMAL(38, 0), whose slot is the same integer. */
static void wsum_partial(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                         wr_batch *out, int col, int row0)
{
    wr_int128 *sum = out->cols[col].data;
    int64_t *cnt = out->cols[col + 1].data;
    for (int i = 0; i < n; i++) {
        const wsum_state *s = STATE_OF(wsum_state, first + i);
        sum[row0 + i] = s->sum;
        cnt[row0 + i] = s->n;
    }
}

static int wsum_absorb(ABSORB_ARGS)
{
    const wr_int128 *sum = cols[0].data;
    const int64_t *cnt = cols[1].data;
    for (int i = 0; i < n; i++) {
        wsum_state s = {sum[rows[i]], cnt[rows[i]]};
        int rc = absorb_state(acc, st, groups[i], &s, err);
        if (rc) return rc;
    }
    return 0;
}

static void var_partial(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                        wr_batch *out, int col, int row0)
{
    int64_t *cnt = out->cols[col].data;
    double *sum = out->cols[col + 1].data, *sumsq = out->cols[col + 2].data;
    for (int i = 0; i < n; i++) {
        const var_state *s = STATE_OF(var_state, first + i);
        cnt[row0 + i] = s->n;
        sum[row0 + i] = s->sum;
        sumsq[row0 + i] = s->sumsq;
    }
}

static int var_absorb(ABSORB_ARGS)
{
    const int64_t *cnt = cols[0].data;
    const double *sum = cols[1].data, *sumsq = cols[2].data;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        var_state s = {cnt[r], sum[r], sumsq[r]};
        int rc = absorb_state(acc, st, groups[i], &s, err);
        if (rc) return rc;
    }
    return 0;
}

/* MIN and MAX: the intermediate value is the result (val_final / str_final write it). */
static int val_absorb(ABSORB_ARGS)
{
    size_t width = wr_type_width(acc->partial_types[0].id);
    const uint8_t *x = cols[0].data;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (wr_vector_is_null(&cols[0], (int)r)) continue;
        val_state s;
        memset(&s, 0, sizeof(s));
        memcpy(&s.v, x + (size_t)r * width, width);
        s.has = 1;
        int rc = absorb_state(acc, st, groups[i], &s, err);
        if (rc) return rc;
    }
    return 0;
}

static int str_absorb(ABSORB_ARGS)
{
    const wr_str *x = cols[0].data;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (wr_vector_is_null(&cols[0], (int)r)) continue;
        /* The merge copies the bytes into the heap; the state only borrows them meanwhile. */
        str_state s = {(char *)x[r].ptr, x[r].len, x[r].len, 1, 0};
        int rc = absorb_state(acc, st, groups[i], &s, err);
        if (rc) return rc;
    }
    return 0;
}

/* BOOL_AND, BOOL_OR: a partial result counts as one value (bool_final writes it). */
static int bool_absorb(ABSORB_ARGS)
{
    const uint8_t *x = cols[0].data;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (wr_vector_is_null(&cols[0], (int)r)) continue;
        bool_state s = {1, x[r] != 0};
        int rc = absorb_state(acc, st, groups[i], &s, err);
        if (rc) return rc;
    }
    return 0;
}

/* User functions: the state's bytes (NULL: never initialised, the empty state). */
static void user_partial(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                         wr_batch *out, int col, int row0)
{
    wr_str *x = out->cols[col].data;
    for (int i = 0; i < n; i++) {
        const uint8_t *slot = STATE_OF(uint8_t, first + (uint32_t)i);
        if (!slot[0])
            wr_batch_set_null(out, col, row0 + i);
        else
            x[row0 + i] =
                (wr_str){(const char *)slot + USER_HEADER, (uint32_t)acc->user->state_size};
    }
}

static int user_absorb(ABSORB_ARGS)
{
    size_t size = acc->user->state_size;
    /* The bytes may sit anywhere in the batch; the function gets them 16-byte aligned. */
    uint8_t *tmp = wr_malloc(USER_HEADER + size); /* malloc's alignment: 16 */
    const wr_str *x = cols[0].data;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        uint32_t r = rows[i];
        if (wr_vector_is_null(&cols[0], (int)r)) continue;
        if (x[r].len != size) {
            rc = wr_error_set(err, WR_ERR_INTERNAL,
                              "global aggregation: a state of %s has %u bytes, not %zu",
                              acc->user->name, x[r].len, size);
            break;
        }
        tmp[0] = 1;
        memcpy(tmp + USER_HEADER, x[r].ptr, size);
        rc = absorb_state(acc, st, groups[i], tmp, err);
    }
    wr_free(tmp);
    return rc;
}

/* Whether m is the merge of MIN or MAX over some physical type. */
static bool is_minmax_merge(wr_agg_merge_fn m)
{
    for (int p = 0; p < PHYS_COUNT; p++)
        if (m && (m == min_merge[p] || m == max_merge[p])) return true;
    return false;
}

static void set_phase(wr_agg_acc *acc, wr_agg_final_fn partial, wr_agg_absorb_fn absorb, int n,
                      const wr_type *types)
{
    acc->npartial = n;
    for (int i = 0; i < n; i++) acc->partial_types[i] = types[i];
    acc->partial = partial;
    acc->absorb = absorb;
}

bool wr_agg_acc_phase(wr_agg_acc *acc)
{
    wr_type i64 = wr_type_make(WR_TYPE_BIGINT, false), f64 = wr_type_make(WR_TYPE_DOUBLE, false);
    wr_type i64_null = wr_type_make(WR_TYPE_BIGINT, true);
    wr_type f64_null = wr_type_make(WR_TYPE_DOUBLE, true);
    wr_type res = acc->result; /* MIN, MAX, BOOL_AND/OR: the intermediate value is the result */
    res.nullable = true;
    wr_agg_merge_fn m = acc->merge;
    wr_agg_final_fn f = acc->final;
    bool minmax = acc->kind == WR_AGG_MIN || acc->kind == WR_AGG_MAX;
    acc->npartial = 0;
    acc->partial = NULL;
    acc->absorb = NULL;
    if (acc->distinct) return false;
    if (acc->kind == WR_AGG_USER) {
        /* One column of the state's bytes; functions without merge run in one phase. */
        if (acc->user->merge == NULL || m != user_merge) return false;
        wr_type bytes = wr_type_make(WR_TYPE_VARBINARY, true);
        set_phase(acc, user_partial, user_absorb, 1, &bytes);
    } else if (m == count_merge && f == count_final) {
        set_phase(acc, count_partial, count_absorb, 1, &i64);
    } else if (m == isum_merge && (f == isum_final || f == iavg_final)) {
        wr_type t[2] = {f == iavg_final ? i64 : i64_null, i64};
        set_phase(acc, isum_partial, isum_absorb, f == iavg_final ? 2 : 1, t);
    } else if (m == fsum_merge && (f == fsum_final || f == favg_final)) {
        wr_type t[2] = {f == favg_final ? f64 : f64_null, i64};
        set_phase(acc, fsum_partial, fsum_absorb, f == favg_final ? 2 : 1, t);
    } else if (m == wsum_merge && f == wavg_final) {
        wr_type t[2] = {wr_type_decimal(WR_DECIMAL_MAX_PRECISION, 0, false), i64};
        set_phase(acc, wsum_partial, wsum_absorb, 2, t);
    } else if (m == var_merge && f == var_final) {
        wr_type t[3] = {i64, f64, f64};
        set_phase(acc, var_partial, var_absorb, 3, t);
    } else if (minmax && f == val_final && is_minmax_merge(m) &&
               wr_type_width(res.id) <= sizeof(((val_state *)0)->v)) {
        set_phase(acc, val_final, val_absorb, 1, &res);
    } else if (minmax && f == str_final && (m == min_str_merge || m == max_str_merge)) {
        set_phase(acc, str_final, str_absorb, 1, &res);
    } else if (m == bool_merge && f == bool_final) {
        set_phase(acc, bool_final, bool_absorb, 1, &res);
    } else {
        return false;
    }
    return true;
}

bool wr_agg_acc_phase_delta(wr_agg_acc *acc)
{
    switch (acc->kind) {
    case WR_AGG_COUNT_STAR:
    case WR_AGG_COUNT:
    case WR_AGG_SUM:
    case WR_AGG_SUM0:
    case WR_AGG_AVG:
    case WR_AGG_STDDEV_POP:
    case WR_AGG_STDDEV_SAMP:
    case WR_AGG_VAR_POP:
    case WR_AGG_VAR_SAMP:
        break;
    default: /* MIN, MAX, BOOL_AND/OR: a partial result cannot say what left */
        return false;
    }
    if (acc->retract == NULL || !wr_agg_acc_phase(acc)) return false;
    /* SUM's lone partial sum is NULL over no values; a delta needs its count beside it. */
    if (acc->npartial == 1 && (acc->partial == isum_partial || acc->partial == fsum_partial)) {
        acc->partial_types[0].nullable = false;
        acc->partial_types[1] = wr_type_make(WR_TYPE_BIGINT, false);
        acc->npartial = 2;
    }
    /* The retractions that restart an emptied state from exact zeros would lose a delta. */
    for (int p = 0; p < PHYS_COUNT; p++) {
        if (sum_dretract[p] && acc->retract == sum_retract[p]) acc->retract = sum_dretract[p];
        if (var_dretract[p] && acc->retract == var_retract[p]) acc->retract = var_dretract[p];
    }
    if (acc->retract == var_dec_retract) acc->retract = var_dec_dretract;
    return true;
}

/* ---- checkpoints: states as bytes ------------------------------------------------ */

/*
 * A state is saved as its size, its acc->size bytes as they lie in memory
 * (little-endian hosts; zero bytes stay the empty accumulator) and, for the
 * layouts that keep bytes in the heap, those bytes after it: a kept string
 * (str_state), LISTAGG's text and separator (lagg_state), the value stream of
 * ARRAY_AGG and COLLECT (list_state). Their pointers are written as zero and
 * set again on load. The layout is recognised by the final function, as
 * wr_agg_acc_phase does, so a new layout that keeps pointers must add its case
 * here. User states are their bytes (a user function's state holds no
 * pointers into the operator's heap).
 */
void wr_agg_acc_save(const wr_agg_acc *acc, const void *state, wr_buf *out)
{
    wr_buf_put_u32(out, acc->size);
    size_t at = out->len;
    wr_buf_append(out, state, acc->size);
    char *copy = out->data + at;
    if (acc->final == str_final) {
        const str_state *s = state;
        memset(copy + offsetof(str_state, ptr), 0, sizeof(void *));
        if (s->len) wr_buf_append(out, s->ptr, s->len);
    } else if (acc->final == lagg_final) {
        const lagg_state *s = state;
        memset(copy + offsetof(lagg_state, ptr), 0, sizeof(void *));
        memset(copy + offsetof(lagg_state, sep), 0, sizeof(void *));
        if (s->len) wr_buf_append(out, s->ptr, s->len);
        if (s->seplen) wr_buf_append(out, s->sep, s->seplen);
    } else if (acc->final == list_final) {
        const list_state *s = state;
        memset(copy + offsetof(list_state, ptr), 0, sizeof(void *));
        if (s->len) wr_buf_append(out, s->ptr, s->len);
    }
}

/* Copies the next n bytes of in into the heap; NULL when n is 0 or they are not there. */
static char *load_bytes(wr_buf_reader *in, uint32_t n, wr_arena *heap)
{
    if (n == 0) return NULL;
    const void *p = wr_buf_take(in, n);
    if (p == NULL) return NULL;
    char *copy = wr_arena_alloc(heap, n);
    memcpy(copy, p, n);
    return copy;
}

/* Whether a value stream of n values of acc's argument type spans exactly len bytes. */
static bool list_stream_ok(const wr_agg_acc *acc, const char *p, uint32_t len, uint32_t n)
{
    bool view = wr_type_is_view(acc->arg.id);
    size_t w = wr_type_width(acc->arg.id), at = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (at >= len) return false;
        if (!p[at++]) continue;
        if (view) {
            uint32_t l;
            if (len - at < 4) return false;
            memcpy(&l, p + at, 4);
            at += 4;
            if (len - at < l) return false;
            at += l;
        } else {
            if (len - at < w) return false;
            at += w;
        }
    }
    return at == len;
}

int wr_agg_acc_load(const wr_agg_acc *acc, void *state, wr_buf_reader *in, wr_arena *heap,
                    wr_error *err)
{
    uint32_t size = wr_buf_get_u32(in);
    const void *bytes = in->bad ? NULL : wr_buf_take(in, size);
    if (bytes == NULL || size != acc->size)
        return wr_error_set(err, WR_ERR_IO, "a state of %s has %u bytes, not %u",
                            wr_agg_name(acc->kind), size, acc->size);
    memcpy(state, bytes, size);
    bool ok = true;
    if (acc->final == str_final) {
        str_state *s = state;
        s->ptr = load_bytes(in, s->len, heap);
        s->cap = s->len;
        ok = s->len == 0 || s->ptr;
    } else if (acc->final == lagg_final) {
        lagg_state *s = state;
        s->ptr = load_bytes(in, s->len, heap);
        s->cap = s->len;
        s->sep = s->seplen ? load_bytes(in, s->seplen, heap) : "";
        ok = (s->len == 0 || s->ptr) && s->sep;
    } else if (acc->final == list_final) {
        list_state *s = state;
        s->ptr = load_bytes(in, s->len, heap);
        s->cap = s->len;
        ok = (s->len == 0 || s->ptr) && list_stream_ok(acc, s->ptr, s->len, s->n);
    }
    if (!ok || in->bad)
        return wr_error_set(err, WR_ERR_IO, "a state of %s is truncated or malformed",
                            wr_agg_name(acc->kind));
    return 0;
}
