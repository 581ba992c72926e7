/*
 * test_aggregate.c — aggregate functions: typing (wr_agg_resolve), the
 * accumulators (update, retract, merge, final), the batch hash aggregation
 * and the Expand operator of GROUPING SETS.
 *
 * Operators are driven directly, as the runtime would: a hand-made
 * wr_op_ctx whose collector keeps a copy of every emitted batch.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/ops/aggregate_int.h"
#include "../../src/types/decimal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------- */

static wr_type ty(wr_type_id id)
{
    return wr_type_make(id, true);
}

static wr_type ty_nn(wr_type_id id)
{
    return wr_type_make(id, false);
}

static wr_batch *mkbatch(const wr_type *types, int ncols)
{
    return wr_batch_new(types, ncols, WR_BATCH_CAPACITY);
}

static void put_i(wr_batch *b, int col, int row, int64_t v)
{
    wr_vector *vec = &b->cols[col];
    switch (wr_type_width(vec->type.id)) {
    case 1:
        ((int8_t *)vec->data)[row] = (int8_t)v;
        break;
    case 2:
        ((int16_t *)vec->data)[row] = (int16_t)v;
        break;
    case 4:
        ((int32_t *)vec->data)[row] = (int32_t)v;
        break;
    default:
        ((int64_t *)vec->data)[row] = v;
    }
    if (vec->validity) wr_validity_set(vec->validity, row, true);
}

static void put_d(wr_batch *b, int col, int row, double v)
{
    wr_vector *vec = &b->cols[col];
    if (vec->type.id == WR_TYPE_FLOAT)
        ((float *)vec->data)[row] = (float)v;
    else
        ((double *)vec->data)[row] = v;
    if (vec->validity) wr_validity_set(vec->validity, row, true);
}

static void put_s(wr_batch *b, int col, int row, const char *s)
{
    ((wr_str *)b->cols[col].data)[row] = wr_batch_str(b, s, strlen(s));
    if (b->cols[col].validity) wr_validity_set(b->cols[col].validity, row, true);
}

static void put_null(wr_batch *b, int col, int row)
{
    wr_batch_set_null(b, col, row);
}

/* A DECIMAL's unscaled value. */
static void put_dec(wr_batch *b, int col, int row, wr_int128 v)
{
    ((wr_int128 *)b->cols[col].data)[row] = v;
    if (b->cols[col].validity) wr_validity_set(b->cols[col].validity, row, true);
}

/* Bytes (BINARY, VARBINARY) copied into the batch. */
static void put_bytes(wr_batch *b, int col, int row, const char *p, size_t n)
{
    ((wr_str *)b->cols[col].data)[row] = wr_batch_str(b, p, n);
    if (b->cols[col].validity) wr_validity_set(b->cols[col].validity, row, true);
}

/* A call resolved by name, as the binder makes it; arg2 < 0 and filter < 0 for none. */
static wr_agg_call mkcall(const char *name, const wr_type *in, int arg, int arg2, bool distinct,
                          int filter)
{
    wr_agg_call c;
    memset(&c, 0, sizeof(c));
    wr_type args[2];
    c.nargs = 0;
    if (arg >= 0) {
        c.args[c.nargs] = arg;
        args[c.nargs++] = in[arg];
    }
    if (arg2 >= 0) {
        c.args[c.nargs] = arg2;
        args[c.nargs++] = in[arg2];
    }
    c.distinct = distinct;
    c.filter = filter;
    wr_error err;
    wr_error_init(&err);
    int rc = wr_agg_resolve(name, args, c.nargs, distinct, 0, &c.kind, &c.type, &err);
    cr_assert_eq(rc, 0, "%s: %s", name, err.msg);
    return c;
}

static wr_agg_call agg(const char *name, const wr_type *in, int arg)
{
    return mkcall(name, in, arg, -1, false, -1);
}

/* One hash aggregation driven by hand. */
typedef struct agg_run {
    wr_operator_spec spec;
    wr_op_ctx ctx;
    wr_operator *op;
    capture cap;
    wr_error err;
} agg_run;

static void run_start(agg_run *r, const wr_type *in, int nin, const int *groups, int ngroups,
                      const wr_agg_call *aggs, int naggs)
{
    r->spec = wr_hash_agg_spec(in, nin, groups, ngroups, aggs, naggs);
    capture_init(&r->cap);
    ctx_init(&r->ctx, 0, 1, &r->cap.base);
    wr_error_init(&r->err);
    r->op = r->spec.ops->create(r->spec.spec, &r->ctx, &r->err);
    cr_assert(r->op, "%s", r->err.msg);
    r->op->ctx = &r->ctx;
}

static int run_feed(agg_run *r, wr_batch *batch)
{
    return r->spec.ops->process(r->op, 0, batch, &r->err);
}

/* Feeds the batch and frees it, so nothing may point into it afterwards. */
static void run_feed_free(agg_run *r, wr_batch *batch)
{
    int rc = run_feed(r, batch);
    cr_assert_eq(rc, 0, "%s", r->err.msg);
    wr_batch_free(batch);
}

static void run_end(agg_run *r)
{
    int rc = r->spec.ops->end_input(r->op, 0, &r->err);
    cr_assert_eq(rc, 0, "%s", r->err.msg);
    cr_assert_eq(r->ctx.rows_out, r->cap.rows);
}

static void run_fini(agg_run *r)
{
    r->spec.ops->destroy(r->op);
    capture_fini(&r->cap);
    wr_operator_spec_fini(&r->spec);
}

typedef struct rowref {
    const wr_batch *b;
    int row;
} rowref;

static bool isnull(rowref r, int col)
{
    return wr_vector_is_null(&r.b->cols[col], r.row);
}

static int64_t ival(rowref r, int col)
{
    const wr_vector *v = &r.b->cols[col];
    cr_assert(!isnull(r, col), "column %d is NULL", col);
    switch (wr_type_width(v->type.id)) {
    case 1:
        return v->type.id == WR_TYPE_BOOLEAN ? ((uint8_t *)v->data)[r.row]
                                             : ((int8_t *)v->data)[r.row];
    case 2:
        return ((int16_t *)v->data)[r.row];
    case 4:
        return ((int32_t *)v->data)[r.row];
    default:
        return ((int64_t *)v->data)[r.row];
    }
}

static double dval(rowref r, int col)
{
    const wr_vector *v = &r.b->cols[col];
    cr_assert(!isnull(r, col), "column %d is NULL", col);
    if (v->type.id == WR_TYPE_FLOAT) return ((float *)v->data)[r.row];
    return ((double *)v->data)[r.row];
}

/* A DECIMAL column's unscaled value (as int64: the tests' values are small). */
static int64_t decval(rowref r, int col)
{
    const wr_vector *v = &r.b->cols[col];
    cr_assert(!isnull(r, col), "column %d is NULL", col);
    cr_assert_eq(v->type.id, WR_TYPE_DECIMAL);
    wr_int128 x = ((const wr_int128 *)v->data)[r.row];
    cr_assert(x >= INT64_MIN && x <= INT64_MAX);
    return (int64_t)x;
}

static bool seq(rowref r, int col, const char *want)
{
    if (isnull(r, col)) return false;
    wr_str s = ((wr_str *)r.b->cols[col].data)[r.row];
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

#define assert_str(r, col, want)                                                                   \
    do {                                                                                           \
        rowref r_ = (r);                                                                           \
        wr_str s_ =                                                                                \
            isnull(r_, col) ? (wr_str){"<NULL>", 6} : ((wr_str *)r_.b->cols[col].data)[r_.row];    \
        cr_assert(seq(r_, col, want), "column %d: got '%.*s', want '%s'", col, (int)s_.len,        \
                  s_.ptr, want);                                                                   \
    } while (0)

/* The output row whose integer column col is key (NULL key: null_key). */
static rowref find_row(const capture *cap, int col, int64_t key, bool null_key)
{
    for (int b = 0; b < cap->nbatches; b++)
        for (int i = 0; i < cap->batches[b]->count; i++) {
            rowref r = {cap->batches[b], i};
            if (null_key ? isnull(r, col) : !isnull(r, col) && ival(r, col) == key) return r;
        }
    cr_assert_fail("no output row with key %lld%s", (long long)key, null_key ? " (NULL)" : "");
    return (rowref){NULL, 0};
}

static rowref only_row(const capture *cap)
{
    cr_assert_eq(cap->rows, 1);
    return (rowref){cap->batches[0], 0};
}

/* ---- wr_agg_resolve ----------------------------------------------------------- */

static void resolves(const char *name, const wr_type *args, int nargs, wr_agg_kind kind,
                     wr_type result)
{
    wr_agg_kind k;
    wr_type t;
    wr_error err;
    wr_error_init(&err);
    int rc = wr_agg_resolve(name, args, nargs, false, 7, &k, &t, &err);
    cr_assert_eq(rc, 0, "%s: %s", name, err.msg);
    cr_assert_eq(k, kind, "%s: kind %d, want %d", name, k, kind);
    char got[64], want[64];
    cr_assert(wr_type_equal(t, result), "%s: %s, want %s", name, wr_type_name(t, got, 64),
              wr_type_name(result, want, 64));
}

static void fails(const char *name, const wr_type *args, int nargs, const char *msg)
{
    wr_agg_kind k;
    wr_type t;
    wr_error err;
    wr_error_init(&err);
    int rc = wr_agg_resolve(name, args, nargs, false, 42, &k, &t, &err);
    cr_assert_eq(rc, WR_ERR_VALIDATION, "%s resolved", name);
    cr_assert_eq(err.offset, 42);
    cr_assert_str_eq(err.msg, msg);
}

Test(agg_resolve, flink_result_types)
{
    wr_type i8 = ty(WR_TYPE_TINYINT), i16 = ty(WR_TYPE_SMALLINT), i32 = ty_nn(WR_TYPE_INT),
            i64 = ty(WR_TYPE_BIGINT), f32 = ty(WR_TYPE_FLOAT), f64 = ty(WR_TYPE_DOUBLE),
            str = ty(WR_TYPE_VARCHAR), b = ty(WR_TYPE_BOOLEAN), ts = ty(WR_TYPE_TIMESTAMP);
    wr_type v10 = str;
    v10.length = 10;
    wr_type bigint_nn = ty_nn(WR_TYPE_BIGINT);

    resolves("COUNT", NULL, 0, WR_AGG_COUNT_STAR, bigint_nn);
    resolves("count", &str, 1, WR_AGG_COUNT, bigint_nn);
    /* SUM keeps the argument's type, nullable (NULL over no rows). */
    resolves("SUM", &i8, 1, WR_AGG_SUM, i8);
    resolves("SUM", &i16, 1, WR_AGG_SUM, i16);
    resolves("Sum", &i32, 1, WR_AGG_SUM, ty(WR_TYPE_INT));
    resolves("SUM", &i64, 1, WR_AGG_SUM, i64);
    resolves("SUM", &f32, 1, WR_AGG_SUM, f32);
    resolves("SUM", &f64, 1, WR_AGG_SUM, f64);
    resolves("$SUM0", &i32, 1, WR_AGG_SUM0, ty_nn(WR_TYPE_INT));
    resolves("AVG", &i32, 1, WR_AGG_AVG, ty(WR_TYPE_INT));
    resolves("AVG", &f32, 1, WR_AGG_AVG, f32);
    resolves("MIN", &v10, 1, WR_AGG_MIN, v10);
    resolves("MAX", &ts, 1, WR_AGG_MAX, ts);
    resolves("MIN", &b, 1, WR_AGG_MIN, b);
    resolves("STDDEV", &i32, 1, WR_AGG_STDDEV_SAMP, ty(WR_TYPE_INT));
    resolves("stddev_pop", &f64, 1, WR_AGG_STDDEV_POP, f64);
    resolves("STDDEV_SAMP", &i16, 1, WR_AGG_STDDEV_SAMP, i16);
    resolves("VARIANCE", &i64, 1, WR_AGG_VAR_SAMP, i64);
    resolves("VAR_POP", &f32, 1, WR_AGG_VAR_POP, f32);
    resolves("VAR_SAMP", &f64, 1, WR_AGG_VAR_SAMP, f64);
    resolves("LISTAGG", &v10, 1, WR_AGG_LISTAGG, str);
    wr_type two[2] = {str, ty_nn(WR_TYPE_CHAR)};
    resolves("LISTAGG", two, 2, WR_AGG_LISTAGG, str);
    resolves("FIRST_VALUE", &i32, 1, WR_AGG_FIRST_VALUE, ty(WR_TYPE_INT));
    resolves("LAST_VALUE", &str, 1, WR_AGG_LAST_VALUE, str);
    resolves("BOOL_AND", &b, 1, WR_AGG_BOOL_AND, b);
    resolves("BOOL_OR", &b, 1, WR_AGG_BOOL_OR, b);
    resolves("$SINGLE_VALUE", &ts, 1, WR_AGG_SINGLE_VALUE, ts);

    cr_assert(wr_agg_is_aggregate("sum"));
    cr_assert(wr_agg_is_aggregate("VARIANCE"));
    cr_assert_not(wr_agg_is_aggregate("UPPER"));
    cr_assert_str_eq(wr_agg_name(WR_AGG_COUNT_STAR), "COUNT");
    cr_assert_str_eq(wr_agg_name(WR_AGG_STDDEV_SAMP), "STDDEV_SAMP");
    cr_assert_str_eq(wr_agg_name(WR_AGG_SUM0), "$SUM0");
}

Test(agg_resolve, decimal_temporal_and_byte_types)
{
    wr_type d10_2 = wr_type_decimal(10, 2, false), d20_8 = wr_type_decimal(20, 8, true),
            d5_1 = wr_type_decimal(5, 1, true);
    /* SUM(DECIMAL(p, s)) is DECIMAL(38, s); AVG, STDDEV and VAR DECIMAL(38, max(s, 6)). */
    resolves("SUM", &d10_2, 1, WR_AGG_SUM, wr_type_decimal(38, 2, true));
    resolves("$SUM0", &d10_2, 1, WR_AGG_SUM0, wr_type_decimal(38, 2, true));
    resolves("AVG", &d10_2, 1, WR_AGG_AVG, wr_type_decimal(38, 6, true));
    resolves("AVG", &d20_8, 1, WR_AGG_AVG, wr_type_decimal(38, 8, true));
    resolves("STDDEV_POP", &d5_1, 1, WR_AGG_STDDEV_POP, wr_type_decimal(38, 6, true));
    resolves("VAR_SAMP", &d20_8, 1, WR_AGG_VAR_SAMP, wr_type_decimal(38, 8, true));
    resolves("MIN", &d5_1, 1, WR_AGG_MIN, d5_1);
    resolves("MAX", &d10_2, 1, WR_AGG_MAX, wr_type_decimal(10, 2, true));
    /* The functions that keep values take every type, unchanged. */
    wr_type_id kept[] = {WR_TYPE_DATE,        WR_TYPE_TIME,        WR_TYPE_TIMESTAMP_LTZ,
                         WR_TYPE_INTERVAL_YM, WR_TYPE_INTERVAL_DT, WR_TYPE_BINARY,
                         WR_TYPE_VARBINARY,   WR_TYPE_DECIMAL};
    const char *keep_fns[] = {"MIN", "MAX", "FIRST_VALUE", "LAST_VALUE", "$SINGLE_VALUE"};
    wr_agg_kind keep_kinds[] = {WR_AGG_MIN, WR_AGG_MAX, WR_AGG_FIRST_VALUE, WR_AGG_LAST_VALUE,
                                WR_AGG_SINGLE_VALUE};
    for (size_t i = 0; i < WR_ARRAY_LEN(kept); i++) {
        wr_type t = ty(kept[i]);
        for (size_t f = 0; f < WR_ARRAY_LEN(keep_fns); f++)
            resolves(keep_fns[f], &t, 1, keep_kinds[f], t);
        resolves("COUNT", &t, 1, WR_AGG_COUNT, ty_nn(WR_TYPE_BIGINT));
    }
    /* Numbers only where a number is computed; text only for LISTAGG. */
    wr_type date = ty(WR_TYPE_DATE), ym = ty(WR_TYPE_INTERVAL_YM), bytes = ty(WR_TYPE_VARBINARY),
            ltz = ty(WR_TYPE_TIMESTAMP_LTZ);
    fails("SUM", &date, 1, "SUM needs a numeric argument, got DATE");
    fails("AVG", &ym, 1, "AVG needs a numeric argument, got INTERVAL MONTH");
    fails("VAR_POP", &ltz, 1, "VAR_POP needs a numeric argument, got TIMESTAMP_LTZ(6)");
    fails("LISTAGG", &bytes, 1, "LISTAGG needs a string argument, got BYTES");
    wr_type sep_bytes[2] = {ty(WR_TYPE_VARCHAR), bytes};
    fails("LISTAGG", sep_bytes, 2, "LISTAGG needs a string separator, got BYTES");
}

Test(agg_resolve, errors_name_the_function_and_the_type)
{
    wr_type str = ty_nn(WR_TYPE_VARCHAR), i32 = ty(WR_TYPE_INT), b = ty(WR_TYPE_BOOLEAN),
            ts = ty(WR_TYPE_TIMESTAMP), null = wr_type_make(WR_TYPE_NULL, true);
    fails("SUM", &str, 1, "SUM needs a numeric argument, got STRING");
    fails("avg", &b, 1, "AVG needs a numeric argument, got BOOLEAN");
    fails("stddev", &ts, 1, "STDDEV needs a numeric argument, got TIMESTAMP(3)");
    fails("VAR_POP", &str, 1, "VAR_POP needs a numeric argument, got STRING");
    fails("LISTAGG", &i32, 1, "LISTAGG needs a string argument, got INT");
    wr_type sep_int[2] = {str, i32};
    fails("LISTAGG", sep_int, 2, "LISTAGG needs a string separator, got INT");
    fails("BOOL_OR", &i32, 1, "BOOL_OR needs a BOOLEAN argument, got INT");
    fails("MIN", &null, 1, "MIN needs a comparable argument, got NULL");
    fails("FIRST_VALUE", &null, 1, "FIRST_VALUE needs a typed argument, got NULL");
    wr_type two[2] = {i32, i32};
    fails("SUM", two, 2, "SUM takes one argument, got 2");
    fails("MAX", NULL, 0, "MAX takes one argument, got 0");
    fails("COUNT", two, 2, "COUNT takes one argument or *, got 2 arguments");
    wr_type three[3] = {str, str, str};
    fails("LISTAGG", three, 3, "LISTAGG takes one or two arguments, got 3");
    fails("MEDIAN", &i32, 1, "no aggregate function named MEDIAN");
}

/* ---- the functions over small groups ------------------------------------------------ */

/* Columns of the sample input. */
enum { K, X, D, S, B, Y, NCOLS };

static const wr_type *sample_types(void)
{
    static wr_type t[NCOLS];
    t[K] = ty_nn(WR_TYPE_INT);
    t[X] = ty(WR_TYPE_INT);
    t[D] = ty(WR_TYPE_DOUBLE);
    t[S] = ty(WR_TYPE_VARCHAR);
    t[B] = ty(WR_TYPE_BOOLEAN);
    t[Y] = ty(WR_TYPE_BIGINT);
    return t;
}

typedef struct sample_row {
    int k;
    bool null; /* x, d, s, b and y are NULL */
    int x;
    double d;
    const char *s;
    bool b;
} sample_row;

/* Group 1: x 3, 4, -1; group 2: x 5; group 3 only NULLs. */
static const sample_row sample[] = {
    {1, false, 3, 1.5, "pear", true},   {1, true, 0, 0, NULL, false},
    {2, false, 5, 2.5, "apple", false}, {1, false, 4, -3.0, "fig", false},
    {2, true, 0, 0, NULL, false},       {3, true, 0, 0, NULL, false},
    {1, false, -1, 0.5, "apple", true},
};

static wr_batch *sample_batch(int from, int to)
{
    wr_batch *b = mkbatch(sample_types(), NCOLS);
    for (int i = from; i < to; i++) {
        const sample_row *r = &sample[i];
        int row = i - from;
        put_i(b, K, row, r->k);
        if (r->null) {
            for (int c = X; c < NCOLS; c++) put_null(b, c, row);
        } else {
            put_i(b, X, row, r->x);
            put_d(b, D, row, r->d);
            put_s(b, S, row, r->s);
            put_i(b, B, row, r->b);
            put_i(b, Y, row, r->x);
        }
        b->count = row + 1;
    }
    return b;
}

/*
 * The calls run in two operators of up to 15 each (16 columns with the group
 * key); agg_at finds call i's column in group key's row.
 */
#define PER_RUN 15

typedef struct split_run {
    agg_run r[2];
} split_run;

static void split_start(split_run *sr, const wr_agg_call *aggs, int naggs)
{
    int groups[] = {K};
    for (int h = 0; h < 2; h++) {
        int from = h * PER_RUN, n = WR_MIN(naggs - from, PER_RUN);
        run_start(&sr->r[h], sample_types(), NCOLS, groups, 1, aggs + from, n);
        /* Two batches, each freed once processed: kept strings must be copies. */
        run_feed_free(&sr->r[h], sample_batch(0, 4));
        run_feed_free(&sr->r[h], sample_batch(4, 7));
        run_end(&sr->r[h]);
        cr_assert_eq(sr->r[h].cap.rows, 3);
    }
}

static rowref agg_at(split_run *sr, int key, int i, int *col)
{
    *col = 1 + i % PER_RUN;
    return find_row(&sr->r[i / PER_RUN].cap, 0, key, false);
}

static int64_t agg_i(split_run *sr, int key, int i)
{
    int col;
    rowref r = agg_at(sr, key, i, &col);
    return ival(r, col);
}

static double agg_d(split_run *sr, int key, int i)
{
    int col;
    rowref r = agg_at(sr, key, i, &col);
    return dval(r, col);
}

static bool agg_null(split_run *sr, int key, int i)
{
    int col;
    rowref r = agg_at(sr, key, i, &col);
    return isnull(r, col);
}

#define assert_agg_str(sr, key, i, want)                                                           \
    do {                                                                                           \
        int col_;                                                                                  \
        rowref row_ = agg_at(sr, key, i, &col_);                                                   \
        assert_str(row_, col_, want);                                                              \
    } while (0)

Test(hash_agg, every_function_over_groups_with_nulls)
{
    const wr_type *in = sample_types();
    wr_agg_call aggs[] = {
        mkcall("COUNT", in, -1, -1, false, -1), /* 0 */
        agg("COUNT", in, X),                    /* 1 */
        agg("SUM", in, X),                      /* 2 */
        agg("$SUM0", in, X),                    /* 3 */
        agg("AVG", in, X),                      /* 4 */
        agg("MIN", in, X),                      /* 5 */
        agg("MAX", in, X),                      /* 6 */
        agg("FIRST_VALUE", in, X),              /* 7 */
        agg("LAST_VALUE", in, X),               /* 8 */
        agg("SUM", in, D),                      /* 9 */
        agg("AVG", in, D),                      /* 10 */
        agg("MIN", in, S),                      /* 11 */
        agg("MAX", in, S),                      /* 12 */
        agg("FIRST_VALUE", in, S),              /* 13 */
        agg("LAST_VALUE", in, S),               /* 14 */
        agg("LISTAGG", in, S),                  /* 15 */
        agg("BOOL_AND", in, B),                 /* 16 */
        agg("BOOL_OR", in, B),                  /* 17 */
        agg("AVG", in, Y),                      /* 18: a 128-bit sum among 64-bit states */
        agg("VAR_POP", in, X),                  /* 19 */
        agg("VAR_SAMP", in, X),                 /* 20 */
        agg("MAX", in, D),                      /* 21 */
        agg("MIN", in, B),                      /* 22 */
    };
    int naggs = (int)WR_ARRAY_LEN(aggs);
    split_run sr;
    split_start(&sr, aggs, naggs);

    cr_assert_eq(agg_i(&sr, 1, 0), 4);
    cr_assert_eq(agg_i(&sr, 1, 1), 3);
    cr_assert_eq(agg_i(&sr, 1, 2), 6);
    cr_assert_eq(agg_i(&sr, 1, 3), 6);
    cr_assert_eq(agg_i(&sr, 1, 4), 2);
    cr_assert_eq(agg_i(&sr, 1, 5), -1);
    cr_assert_eq(agg_i(&sr, 1, 6), 4);
    cr_assert_eq(agg_i(&sr, 1, 7), 3);
    cr_assert_eq(agg_i(&sr, 1, 8), -1);
    cr_assert_float_eq(agg_d(&sr, 1, 9), -1.0, 1e-12);
    cr_assert_float_eq(agg_d(&sr, 1, 10), -1.0 / 3, 1e-12);
    assert_agg_str(&sr, 1, 11, "apple");
    assert_agg_str(&sr, 1, 12, "pear");
    assert_agg_str(&sr, 1, 13, "pear");
    assert_agg_str(&sr, 1, 14, "apple");
    assert_agg_str(&sr, 1, 15, "pear,fig,apple");
    cr_assert_eq(agg_i(&sr, 1, 16), 0);
    cr_assert_eq(agg_i(&sr, 1, 17), 1);
    cr_assert_eq(agg_i(&sr, 1, 18), 2);
    cr_assert_eq(agg_i(&sr, 1, 19), 4); /* 14/3 truncated */
    cr_assert_eq(agg_i(&sr, 1, 20), 7); /* 14/2 */
    cr_assert_float_eq(agg_d(&sr, 1, 21), 1.5, 1e-12);
    cr_assert_eq(agg_i(&sr, 1, 22), 0);

    cr_assert_eq(agg_i(&sr, 2, 0), 2);
    cr_assert_eq(agg_i(&sr, 2, 1), 1);
    cr_assert_eq(agg_i(&sr, 2, 2), 5);
    cr_assert_eq(agg_i(&sr, 2, 4), 5);
    cr_assert_eq(agg_i(&sr, 2, 5), 5);
    cr_assert_eq(agg_i(&sr, 2, 6), 5);
    assert_agg_str(&sr, 2, 15, "apple");
    cr_assert_eq(agg_i(&sr, 2, 16), 0);
    cr_assert_eq(agg_i(&sr, 2, 17), 0);
    cr_assert_eq(agg_i(&sr, 2, 19), 0);
    cr_assert(agg_null(&sr, 2, 20), "VAR_SAMP of one value is NULL");

    /* A group of NULLs only: COUNT 0, $SUM0 0, everything else NULL. */
    cr_assert_eq(agg_i(&sr, 3, 0), 1);
    cr_assert_eq(agg_i(&sr, 3, 1), 0);
    cr_assert_eq(agg_i(&sr, 3, 3), 0);
    int nulls[] = {2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22};
    for (size_t i = 0; i < WR_ARRAY_LEN(nulls); i++)
        cr_assert(agg_null(&sr, 3, nulls[i]), "aggregate %d is not NULL", nulls[i]);
    run_fini(&sr.r[0]);
    run_fini(&sr.r[1]);
}

/* Runs one aggregate over a single column of values (no groups) and returns its row. */
typedef struct one_agg {
    agg_run r;
    rowref row;
} one_agg;

static void run_one(one_agg *o, const char *name, wr_type type, const int64_t *v, int n,
                    const bool *null)
{
    wr_batch *b = mkbatch(&type, 1);
    for (int i = 0; i < n; i++) {
        if (null && null[i])
            put_null(b, 0, i);
        else if (type.id == WR_TYPE_FLOAT || type.id == WR_TYPE_DOUBLE)
            put_d(b, 0, i, (double)v[i]);
        else
            put_i(b, 0, i, v[i]);
    }
    b->count = n;
    wr_agg_call c = agg(name, &type, 0);
    run_start(&o->r, &type, 1, NULL, 0, &c, 1);
    run_feed_free(&o->r, b);
    run_end(&o->r);
    o->row = only_row(&o->r.cap);
}

static int64_t one_int(const char *name, wr_type_id id, const int64_t *v, int n)
{
    one_agg o;
    run_one(&o, name, ty(id), v, n, NULL);
    int64_t x = ival(o.row, 0);
    run_fini(&o.r);
    return x;
}

Test(hash_agg, integer_avg_truncates_toward_zero_without_overflow)
{
    cr_assert_eq(one_int("AVG", WR_TYPE_INT, (int64_t[]){1, 2}, 2), 1);
    cr_assert_eq(one_int("AVG", WR_TYPE_INT, (int64_t[]){-1, -2}, 2), -1);
    cr_assert_eq(one_int("AVG", WR_TYPE_INT, (int64_t[]){-7, 1, 1}, 3), -1);
    /* The sum of a TINYINT AVG is wider than TINYINT. */
    cr_assert_eq(one_int("AVG", WR_TYPE_TINYINT, (int64_t[]){100, 120, 110}, 3), 110);
    cr_assert_eq(one_int("AVG", WR_TYPE_INT, (int64_t[]){INT32_MAX, INT32_MAX, INT32_MAX}, 3),
                 INT32_MAX);
    cr_assert_eq(one_int("AVG", WR_TYPE_BIGINT, (int64_t[]){INT64_MAX, INT64_MAX - 2}, 2),
                 INT64_MAX - 1);
    cr_assert_eq(one_int("AVG", WR_TYPE_BIGINT, (int64_t[]){INT64_MIN, INT64_MIN, -1}, 3),
                 INT64_C(-6148914691236517205));
    /* SUM wraps around in its type like Flink's (Java's) integers. */
    cr_assert_eq(one_int("SUM", WR_TYPE_INT, (int64_t[]){INT32_MAX, 1}, 2), INT32_MIN);
    cr_assert_eq(one_int("SUM", WR_TYPE_TINYINT, (int64_t[]){100, 100}, 2), -56);
    cr_assert_eq(one_int("SUM", WR_TYPE_BIGINT, (int64_t[]){INT64_MAX, 2}, 2), INT64_MIN + 1);
}

Test(hash_agg, stddev_and_variance)
{
    int64_t v[] = {2, 4, 4, 4, 5, 5, 7, 9}; /* mean 5, squared deviations sum to 32 */
    cr_assert_eq(one_int("VAR_POP", WR_TYPE_INT, v, 8), 4);
    cr_assert_eq(one_int("STDDEV_POP", WR_TYPE_INT, v, 8), 2);
    cr_assert_eq(one_int("VAR_SAMP", WR_TYPE_INT, v, 8), 4); /* 32/7 = 4.57 */
    cr_assert_eq(one_int("STDDEV", WR_TYPE_SMALLINT, v, 8), 2);
    const char *fns[] = {"VAR_POP", "VAR_SAMP", "STDDEV_POP", "STDDEV_SAMP"};
    double want[] = {4.0, 32.0 / 7, 2.0, sqrt(32.0 / 7)};
    for (int i = 0; i < 4; i++) {
        one_agg o;
        run_one(&o, fns[i], ty(WR_TYPE_DOUBLE), v, 8, NULL);
        cr_assert_float_eq(dval(o.row, 0), want[i], 1e-12, "%s", fns[i]);
        run_fini(&o.r);
    }
    /* One value: the population variants are 0, the sample variants NULL. */
    one_agg o;
    run_one(&o, "VAR_SAMP", ty(WR_TYPE_DOUBLE), v, 1, NULL);
    cr_assert(isnull(o.row, 0));
    run_fini(&o.r);
    run_one(&o, "STDDEV_POP", ty(WR_TYPE_FLOAT), v, 1, NULL);
    cr_assert_float_eq(dval(o.row, 0), 0.0, 1e-12);
    cr_assert_eq(o.row.b->cols[0].type.id, WR_TYPE_FLOAT);
    run_fini(&o.r);
    /* NULLs do not count. */
    run_one(&o, "VAR_SAMP", ty(WR_TYPE_INT), (int64_t[]){1, 100, 3}, 3,
            (bool[]){false, true, false});
    cr_assert_eq(ival(o.row, 0), 2);
    run_fini(&o.r);
}

Test(hash_agg, min_and_max_of_other_types)
{
    int64_t v[] = {3, -2, 7};
    one_agg o;
    run_one(&o, "MIN", ty(WR_TYPE_FLOAT), v, 3, NULL);
    cr_assert_float_eq(dval(o.row, 0), -2.0, 1e-6);
    run_fini(&o.r);
    run_one(&o, "MAX", ty(WR_TYPE_TIMESTAMP), v, 3, NULL);
    cr_assert_eq(ival(o.row, 0), 7);
    run_fini(&o.r);
    run_one(&o, "MIN", ty(WR_TYPE_TINYINT), v, 3, NULL);
    cr_assert_eq(ival(o.row, 0), -2);
    run_fini(&o.r);
    run_one(&o, "MAX", ty(WR_TYPE_BOOLEAN), (int64_t[]){0, 1, 0}, 3, NULL);
    cr_assert_eq(ival(o.row, 0), 1);
    run_fini(&o.r);
    run_one(&o, "MIN", ty(WR_TYPE_BOOLEAN), (int64_t[]){1, 0, 1}, 3, (bool[]){0, 1, 0});
    cr_assert_eq(ival(o.row, 0), 1);
    run_fini(&o.r);

    /* Strings compare bytewise, a prefix first; a shorter value replaces a longer one. */
    wr_type str = ty(WR_TYPE_VARCHAR);
    const char *words[] = {"abc", "b", "ab",  "abcd", "a longer string than the others",
                           "",    "",  "abc", "ab"};
    wr_agg_call calls[] = {agg("MIN", &str, 0), agg("MAX", &str, 0)};
    agg_run r;
    /* Over the first six words, then over the last three (the empty string first). */
    for (int pass = 0; pass < 2; pass++) {
        wr_batch *b = mkbatch(&str, 1);
        int from = pass == 0 ? 0 : 6, to = pass == 0 ? 6 : 9;
        for (int i = from; i < to; i++) put_s(b, 0, i - from, words[i]);
        b->count = to - from;
        run_start(&r, &str, 1, NULL, 0, calls, 2);
        run_feed_free(&r, b);
        run_end(&r);
        assert_str(only_row(&r.cap), 0, "");
        assert_str(only_row(&r.cap), 1, pass == 0 ? "b" : "abc");
        run_fini(&r);
    }
    /* An empty string is kept as a value, not as NULL. */
    wr_batch *b = mkbatch(&str, 1);
    put_s(b, 0, 0, "");
    b->count = 1;
    wr_agg_call first = agg("FIRST_VALUE", &str, 0);
    run_start(&r, &str, 1, NULL, 0, &first, 1);
    run_feed_free(&r, b);
    run_end(&r);
    assert_str(only_row(&r.cap), 0, "");
    run_fini(&r);
}

Test(hash_agg, empty_input_gives_one_row_without_groups_and_none_with)
{
    const wr_type *in = sample_types();
    wr_agg_call aggs[] = {mkcall("COUNT", in, -1, -1, false, -1),
                          agg("COUNT", in, X),
                          agg("SUM", in, X),
                          agg("$SUM0", in, X),
                          agg("AVG", in, D),
                          agg("MIN", in, S),
                          agg("LISTAGG", in, S),
                          agg("BOOL_AND", in, B),
                          agg("$SINGLE_VALUE", in, X),
                          mkcall("COUNT", in, X, -1, true, -1)};
    int naggs = (int)WR_ARRAY_LEN(aggs);
    agg_run r;
    run_start(&r, in, NCOLS, NULL, 0, aggs, naggs);
    run_end(&r);
    rowref row = only_row(&r.cap);
    cr_assert_eq(ival(row, 0), 0);
    cr_assert_eq(ival(row, 1), 0);
    cr_assert(isnull(row, 2));
    cr_assert_eq(ival(row, 3), 0);
    for (int c = 4; c < 9; c++) cr_assert(isnull(row, c), "column %d", c);
    cr_assert_eq(ival(row, 9), 0);
    run_fini(&r);

    int groups[] = {K};
    run_start(&r, in, NCOLS, groups, 1, aggs, naggs);
    wr_batch *empty = sample_batch(0, 0);
    cr_assert_eq(run_feed(&r, empty), 0);
    wr_batch_free(empty);
    run_end(&r);
    cr_assert_eq(r.cap.rows, 0);
    run_fini(&r);
}

/* ---- many rows, many groups ---------------------------------------------------------- */

#define MANY_ROWS 100000
#define MANY_GROUPS 5000

static int64_t many_key(int i)
{
    return (int64_t)((i * 7919LL) % MANY_GROUPS) * 1000003 - 77; /* spread, some negative */
}

static int64_t many_value(int i)
{
    return i % 1000 - 500;
}

typedef struct expect {
    int64_t sum, count, min, max;
    int64_t values[MANY_ROWS / MANY_GROUPS]; /* for COUNT(DISTINCT) */
} expect;

static int64_t count_distinct(const expect *e)
{
    int64_t n = 0;
    for (int i = 0; i < e->count; i++) {
        bool seen = false;
        for (int j = 0; j < i; j++) seen |= e->values[j] == e->values[i];
        n += !seen;
    }
    return n;
}

Test(hash_agg, groups_spanning_many_batches)
{
    wr_type in[3] = {ty(WR_TYPE_BIGINT), ty(WR_TYPE_INT), ty(WR_TYPE_INT)};
    wr_agg_call aggs[] = {agg("SUM", in, 1), mkcall("COUNT", in, -1, -1, false, -1),
                          agg("MIN", in, 1), agg("MAX", in, 1),
                          agg("AVG", in, 1), mkcall("COUNT", in, 2, -1, true, -1)};
    int groups[] = {0};
    expect *want = calloc(MANY_GROUPS, sizeof(expect));
    agg_run r;
    run_start(&r, in, 3, groups, 1, aggs, 6);
    for (int from = 0; from < MANY_ROWS; from += 1000) {
        wr_batch *b = mkbatch(in, 3);
        for (int i = 0; i < 1000; i++) {
            int n = from + i;
            put_i(b, 0, i, many_key(n));
            put_i(b, 1, i, many_value(n));
            expect *e = &want[(n * 7919LL) % MANY_GROUPS];
            if (e->count == 0 || many_value(n) < e->min) e->min = many_value(n);
            if (e->count == 0 || many_value(n) > e->max) e->max = many_value(n);
            e->sum += many_value(n);
            e->values[e->count++] = many_value(n) % 7; /* repeats within a group */
            put_i(b, 2, i, many_value(n) % 7);
        }
        b->count = 1000;
        run_feed_free(&r, b);
    }
    run_end(&r);
    cr_assert_eq(r.cap.rows, MANY_GROUPS);
    /* Output batches hold at most WR_BATCH_CAPACITY rows. */
    cr_assert_eq(r.cap.nbatches, (MANY_GROUPS + WR_BATCH_CAPACITY - 1) / WR_BATCH_CAPACITY);
    bool *seen = calloc(MANY_GROUPS, sizeof(bool));
    for (int b = 0; b < r.cap.nbatches; b++) {
        for (int i = 0; i < r.cap.batches[b]->count; i++) {
            rowref row = {r.cap.batches[b], i};
            int64_t key = ival(row, 0) + 77;
            cr_assert_eq(key % 1000003, 0);
            int g = (int)(key / 1000003);
            cr_assert(!seen[g], "group %d twice", g);
            seen[g] = true;
            cr_assert_eq(ival(row, 1), want[g].sum, "group %d: sum %lld, want %lld", g,
                         (long long)ival(row, 1), (long long)want[g].sum);
            cr_assert_eq(ival(row, 2), want[g].count);
            cr_assert_eq(ival(row, 3), want[g].min);
            cr_assert_eq(ival(row, 4), want[g].max);
            cr_assert_eq(ival(row, 5), want[g].sum / want[g].count);
            cr_assert_eq(ival(row, 6), count_distinct(&want[g]), "group %d", g);
        }
    }
    free(seen);
    free(want);
    run_fini(&r);
}

/* The same over a two-column key with a string, which takes the encoded-key path. */
Test(hash_agg, string_and_int_keys_over_many_batches)
{
    wr_type in[3] = {ty(WR_TYPE_VARCHAR), ty(WR_TYPE_SMALLINT), ty(WR_TYPE_BIGINT)};
    wr_agg_call aggs[] = {agg("SUM", in, 2), mkcall("COUNT", in, -1, -1, false, -1)};
    int groups[] = {0, 1};
    int64_t *sum = calloc(MANY_GROUPS, sizeof(int64_t));
    agg_run r;
    run_start(&r, in, 3, groups, 2, aggs, 2);
    char text[64];
    for (int from = 0; from < MANY_ROWS; from += 1000) {
        wr_batch *b = mkbatch(in, 3);
        for (int i = 0; i < 1000; i++) {
            int n = from + i, g = (int)((n * 7919LL) % MANY_GROUPS);
            /* Group g: string "key-<g / 7>" (lengths vary) and number g % 7. */
            snprintf(text, sizeof(text), "key-%0*d", 1 + g % 5, g / 7);
            put_s(b, 0, i, text);
            put_i(b, 1, i, g % 7);
            put_i(b, 2, i, n);
            sum[g] += n;
        }
        b->count = 1000;
        run_feed_free(&r, b);
    }
    run_end(&r);
    cr_assert_eq(r.cap.rows, MANY_GROUPS);
    for (int b = 0; b < r.cap.nbatches; b++) {
        for (int i = 0; i < r.cap.batches[b]->count; i++) {
            rowref row = {r.cap.batches[b], i};
            wr_str s = ((wr_str *)row.b->cols[0].data)[i];
            cr_assert(s.len > 4 && memcmp(s.ptr, "key-", 4) == 0);
            int g = atoi(s.ptr + 4) * 7 + (int)ival(row, 1);
            cr_assert(g >= 0 && g < MANY_GROUPS);
            snprintf(text, sizeof(text), "key-%0*d", 1 + g % 5, g / 7);
            assert_str(row, 0, text);
            cr_assert_eq(ival(row, 2), sum[g], "group %d", g);
            cr_assert_eq(ival(row, 3), MANY_ROWS / MANY_GROUPS);
        }
    }
    free(sum);
    run_fini(&r);
}

Test(hash_agg, null_keys_group_together)
{
    /* Key (s, i); each row adds its value v. */
    wr_type in[3] = {ty(WR_TYPE_VARCHAR), ty(WR_TYPE_INT), ty(WR_TYPE_INT)};
    struct {
        const char *s; /* NULL: NULL */
        int i;         /* -1: NULL */
        int v;
    } rows[] = {
        {"a", 1, 1},    {"a", -1, 2}, {NULL, 1, 4},   {NULL, -1, 8},  {"a", 1, 16},
        {NULL, -1, 32}, {"", -1, 64}, {NULL, 1, 128}, {"a", -1, 256}, {"", 0, 512},
    };
    int n = (int)WR_ARRAY_LEN(rows);
    wr_agg_call aggs[] = {agg("SUM", in, 2), agg("COUNT", in, 0)};
    int groups[] = {0, 1};
    agg_run r;
    run_start(&r, in, 3, groups, 2, aggs, 2);
    for (int half = 0; half < 2; half++) {
        wr_batch *b = mkbatch(in, 3);
        int m = 0;
        for (int k = half * n / 2; k < (half + 1) * n / 2; k++, m++) {
            /* A NULL's slot holds a different value each time: it must not matter. */
            char junk[16];
            snprintf(junk, sizeof(junk), "junk%d", k);
            put_s(b, 0, m, rows[k].s ? rows[k].s : junk);
            if (!rows[k].s) put_null(b, 0, m);
            put_i(b, 1, m, rows[k].i >= 0 ? rows[k].i : 1000 + k);
            if (rows[k].i < 0) put_null(b, 1, m);
            put_i(b, 2, m, rows[k].v);
        }
        b->count = m;
        run_feed_free(&r, b);
    }
    run_end(&r);
    cr_assert_eq(r.cap.rows, 6);
    /* Each group's sum is a distinct bit pattern: check the set of (key, sum). */
    int found = 0;
    for (int b = 0; b < r.cap.nbatches; b++)
        for (int i = 0; i < r.cap.batches[b]->count; i++) {
            rowref row = {r.cap.batches[b], i};
            bool snull = isnull(row, 0), inull = isnull(row, 1);
            int64_t sum = ival(row, 2), count = ival(row, 3);
            int which;
            int64_t want_sum;
            if (!snull && seq(row, 0, "a") && !inull && ival(row, 1) == 1)
                which = 0, want_sum = 1 + 16;
            else if (!snull && seq(row, 0, "a") && inull)
                which = 1, want_sum = 2 + 256;
            else if (snull && !inull && ival(row, 1) == 1)
                which = 2, want_sum = 4 + 128;
            else if (snull && inull)
                which = 3, want_sum = 8 + 32;
            else if (!snull && seq(row, 0, "") && inull)
                which = 4, want_sum = 64;
            else if (!snull && seq(row, 0, "") && !inull && ival(row, 1) == 0)
                which = 5, want_sum = 512;
            else
                cr_assert_fail("unexpected group in row %d", i);
            cr_assert_eq(sum, want_sum, "group %d", which);
            cr_assert_eq(count, snull ? 0 : __builtin_popcountll((uint64_t)want_sum));
            cr_assert_not(found & (1 << which), "group %d twice", which);
            found |= 1 << which;
        }
    cr_assert_eq(found, 63);
    run_fini(&r);
}

Test(hash_agg, single_fixed_width_keys_keep_their_values)
{
    /* One TINYINT key (negative values, NULL) and one FLOAT key: the integer-key path. */
    wr_type in[3] = {ty(WR_TYPE_TINYINT), ty(WR_TYPE_FLOAT), ty_nn(WR_TYPE_BOOLEAN)};
    wr_batch *b = mkbatch(in, 3);
    int8_t keys[] = {-128, 5, -1, 5, 127, -128};
    for (int i = 0; i < 6; i++) {
        put_i(b, 0, i, keys[i]);
        put_d(b, 1, i, keys[i] / 4.0);
        put_i(b, 2, i, i % 2);
    }
    put_null(b, 0, 6);
    put_null(b, 1, 6);
    put_i(b, 2, 6, 1);
    b->count = 7;
    wr_agg_call count = mkcall("COUNT", in, -1, -1, false, -1);
    for (int col = 0; col < 3; col++) {
        agg_run r;
        int groups[] = {col};
        run_start(&r, in, 3, groups, 1, &count, 1);
        cr_assert_eq(run_feed(&r, b), 0, "%s", r.err.msg);
        run_end(&r);
        if (col == 0) {
            cr_assert_eq(r.cap.rows, 5);
            cr_assert_eq(ival(find_row(&r.cap, 0, -128, false), 1), 2);
            cr_assert_eq(ival(find_row(&r.cap, 0, 5, false), 1), 2);
            cr_assert_eq(ival(find_row(&r.cap, 0, -1, false), 1), 1);
            cr_assert_eq(ival(find_row(&r.cap, 0, 127, false), 1), 1);
            cr_assert_eq(ival(find_row(&r.cap, 0, 0, true), 1), 1);
        } else if (col == 1) {
            cr_assert_eq(r.cap.rows, 5);
            bool saw_null = false;
            for (int i = 0; i < r.cap.batches[0]->count; i++) {
                rowref row = {r.cap.batches[0], i};
                if (isnull(row, 0)) {
                    saw_null = true;
                    continue;
                }
                double k = dval(row, 0);
                int64_t want = k == 5 / 4.0 || k == -128 / 4.0 ? 2 : 1;
                cr_assert(k == -32 || k == 1.25 || k == -0.25 || k == 31.75, "key %g", k);
                cr_assert_eq(ival(row, 1), want, "key %g", k);
            }
            cr_assert(saw_null);
        } else {
            cr_assert_eq(r.cap.rows, 2);
            cr_assert_eq(ival(find_row(&r.cap, 0, 0, false), 1), 3);
            cr_assert_eq(ival(find_row(&r.cap, 0, 1, false), 1), 4);
        }
        run_fini(&r);
    }
    wr_batch_free(b);
}

/* SELECT DISTINCT s, i: a grouping without aggregate calls. */
Test(hash_agg, groups_without_calls)
{
    wr_type in[2] = {ty(WR_TYPE_VARCHAR), ty(WR_TYPE_INT)};
    wr_batch *b = mkbatch(in, 2);
    const char *s[] = {"x", "y", "x", "x", "y"};
    int v[] = {1, 1, 1, 2, 1};
    for (int i = 0; i < 5; i++) put_s(b, 0, i, s[i]), put_i(b, 1, i, v[i]);
    b->count = 5;
    int groups[] = {0, 1};
    agg_run r;
    run_start(&r, in, 2, groups, 2, NULL, 0);
    run_feed_free(&r, b);
    run_end(&r);
    cr_assert_eq(r.cap.rows, 3);
    /* Groups come out in order of first appearance. */
    const wr_batch *out = r.cap.batches[0];
    cr_assert_eq(out->ncols, 2);
    assert_str(((rowref){out, 0}), 0, "x");
    assert_str(((rowref){out, 1}), 0, "y");
    assert_str(((rowref){out, 2}), 0, "x");
    cr_assert_eq(ival((rowref){out, 2}, 1), 2);
    run_fini(&r);
}

/* Encoded keys of every length class: 3 bytes (two one-byte columns), 5 to 60 (strings). */
Test(hash_agg, short_and_long_encoded_keys)
{
    wr_type in[3] = {ty(WR_TYPE_BOOLEAN), ty(WR_TYPE_TINYINT), ty(WR_TYPE_VARCHAR)};
    char text[64];
    int small_counts[2][3] = {{0}}, big_counts[56][2] = {{0}};
    wr_agg_call count = mkcall("COUNT", in, -1, -1, false, -1);
    int by_small[] = {0, 1}, by_string[] = {2};
    agg_run small, big;
    run_start(&small, in, 3, by_small, 2, &count, 1);
    run_start(&big, in, 3, by_string, 1, &count, 1);
    for (int from = 0; from < 3000; from += 1000) {
        wr_batch *b = mkbatch(in, 3);
        for (int i = 0; i < 1000; i++) {
            int n = from + i, len = n % 56, variant = len ? (n / 56) % 2 : 0;
            put_i(b, 0, i, n % 2);
            put_i(b, 1, i, n % 3 - 1);
            /* Strings of 0 to 55 bytes that differ in their last byte only. */
            memset(text, 'x', (size_t)len);
            if (len) text[len - 1] = (char)('a' + variant);
            text[len] = '\0';
            put_s(b, 2, i, text);
            small_counts[n % 2][n % 3]++;
            big_counts[len][variant]++;
        }
        b->count = 1000;
        cr_assert_eq(run_feed(&small, b), 0, "%s", small.err.msg);
        run_feed_free(&big, b);
    }
    run_end(&small);
    cr_assert_eq(small.cap.rows, 6);
    for (int i = 0; i < small.cap.batches[0]->count; i++) {
        rowref row = {small.cap.batches[0], i};
        int bval = (int)ival(row, 0), t = (int)ival(row, 1);
        cr_assert_eq(ival(row, 2), small_counts[bval][t + 1]);
    }
    run_fini(&small);
    run_end(&big);
    cr_assert_eq(big.cap.rows, 1 + 55 * 2);
    for (int i = 0; i < big.cap.batches[0]->count; i++) {
        rowref row = {big.cap.batches[0], i};
        wr_str str = ((wr_str *)row.b->cols[0].data)[i];
        int variant = str.len ? str.ptr[str.len - 1] - 'a' : 0;
        cr_assert_eq(ival(row, 1), big_counts[str.len][variant], "length %u", str.len);
    }
    run_fini(&big);
}

/* ---- DISTINCT, FILTER, selections ---------------------------------------------------- */

Test(hash_agg, distinct_and_filter)
{
    /* k, x, s, f */
    wr_type in[4] = {ty_nn(WR_TYPE_INT), ty(WR_TYPE_INT), ty(WR_TYPE_VARCHAR), ty(WR_TYPE_BOOLEAN)};
    wr_agg_call aggs[] = {
        mkcall("COUNT", in, 1, -1, true, -1),   /* COUNT(DISTINCT x) */
        mkcall("SUM", in, 1, -1, true, -1),     /* SUM(DISTINCT x) */
        mkcall("SUM", in, 1, -1, false, 3),     /* SUM(x) FILTER (WHERE f) */
        mkcall("COUNT", in, -1, -1, false, 3),  /* COUNT(*) FILTER (WHERE f) */
        mkcall("COUNT", in, 2, -1, true, -1),   /* COUNT(DISTINCT s) */
        mkcall("LISTAGG", in, 2, -1, true, -1), /* LISTAGG(DISTINCT s) */
        mkcall("COUNT", in, 1, -1, true, 3),    /* COUNT(DISTINCT x) FILTER (WHERE f) */
    };
    int groups[] = {0};
    agg_run r;
    run_start(&r, in, 4, groups, 1, aggs, (int)WR_ARRAY_LEN(aggs));
    const char *longs = "a string longer than eight bytes";
    /* k=1: x 1,1,2,NULL,2 over two batches; f T,F,NULL,T,T. k=2: x 1, f F. */
    for (int half = 0; half < 2; half++) {
        wr_batch *b = mkbatch(in, 4);
        if (half == 0) {
            put_i(b, 0, 0, 1), put_i(b, 1, 0, 1), put_s(b, 2, 0, longs), put_i(b, 3, 0, 1);
            put_i(b, 0, 1, 1), put_i(b, 1, 1, 1), put_s(b, 2, 1, "x"), put_i(b, 3, 1, 0);
            put_i(b, 0, 2, 2), put_i(b, 1, 2, 1), put_s(b, 2, 2, longs), put_i(b, 3, 2, 0);
            b->count = 3;
        } else {
            put_i(b, 0, 0, 1), put_i(b, 1, 0, 2), put_s(b, 2, 0, "x"), put_null(b, 3, 0);
            put_i(b, 0, 1, 1), put_null(b, 1, 1), put_null(b, 2, 1), put_i(b, 3, 1, 1);
            put_i(b, 0, 2, 1), put_i(b, 1, 2, 2), put_s(b, 2, 2, longs), put_i(b, 3, 2, 1);
            b->count = 3;
        }
        run_feed_free(&r, b);
    }
    run_end(&r);
    rowref g1 = find_row(&r.cap, 0, 1, false);
    cr_assert_eq(ival(g1, 1), 2);     /* {1, 2} */
    cr_assert_eq(ival(g1, 2), 3);     /* 1 + 2 */
    cr_assert_eq(ival(g1, 3), 1 + 2); /* rows with f TRUE: x 1, NULL, 2 */
    cr_assert_eq(ival(g1, 4), 3);
    cr_assert_eq(ival(g1, 5), 2);
    char want[128];
    snprintf(want, sizeof(want), "%s,x", longs);
    assert_str(g1, 6, want);
    cr_assert_eq(ival(g1, 7), 2); /* x 1 and 2 among f TRUE */
    rowref g2 = find_row(&r.cap, 0, 2, false);
    cr_assert_eq(ival(g2, 1), 1);
    cr_assert_eq(ival(g2, 2), 1);
    cr_assert(isnull(g2, 3)); /* no row passed the filter */
    cr_assert_eq(ival(g2, 4), 0);
    cr_assert_eq(ival(g2, 5), 1);
    assert_str(g2, 6, longs);
    cr_assert_eq(ival(g2, 7), 0);
    run_fini(&r);
}

Test(hash_agg, listagg_separator_and_selection_vector)
{
    wr_type in[3] = {ty(WR_TYPE_VARCHAR), ty_nn(WR_TYPE_VARCHAR), ty(WR_TYPE_INT)};
    wr_batch *b = mkbatch(in, 3);
    const char *words[] = {"one", "two", "three", "four", "five"};
    for (int i = 0; i < 5; i++) {
        put_s(b, 0, i, words[i]);
        put_s(b, 1, i, " | ");
        put_i(b, 2, i, i + 1);
    }
    b->count = 5;
    /* Only rows 0, 2 and 4 are active. */
    uint32_t *sel = wr_batch_sel_buffer(b);
    sel[0] = 0, sel[1] = 2, sel[2] = 4;
    b->sel = sel;
    b->nsel = 3;
    wr_agg_call aggs[] = {mkcall("LISTAGG", in, 0, 1, false, -1), agg("SUM", in, 2),
                          mkcall("COUNT", in, -1, -1, false, -1)};
    agg_run r;
    run_start(&r, in, 3, NULL, 0, aggs, 3);
    run_feed_free(&r, b);
    run_end(&r);
    rowref row = only_row(&r.cap);
    assert_str(row, 0, "one | three | five");
    cr_assert_eq(ival(row, 1), 1 + 3 + 5);
    cr_assert_eq(ival(row, 2), 3);
    run_fini(&r);
}

/* ---- SINGLE_VALUE ------------------------------------------------------------------ */

Test(hash_agg, single_value)
{
    wr_type in[2] = {ty_nn(WR_TYPE_INT), ty(WR_TYPE_VARCHAR)};
    wr_agg_call c = agg("$SINGLE_VALUE", in, 1);
    int groups[] = {0};
    agg_run r;
    run_start(&r, in, 2, groups, 1, &c, 1);
    wr_batch *b = mkbatch(in, 2);
    put_i(b, 0, 0, 1), put_s(b, 1, 0, "only");
    put_i(b, 0, 1, 2), put_null(b, 1, 1);
    b->count = 2;
    run_feed_free(&r, b);
    run_end(&r);
    assert_str(find_row(&r.cap, 0, 1, false), 1, "only");
    cr_assert(isnull(find_row(&r.cap, 0, 2, false), 1));
    run_fini(&r);

    /* A second row for a group, even in a later batch and even a NULL, is an error. */
    run_start(&r, in, 2, groups, 1, &c, 1);
    b = mkbatch(in, 2);
    put_i(b, 0, 0, 1), put_s(b, 1, 0, "first");
    b->count = 1;
    run_feed_free(&r, b);
    b = mkbatch(in, 2);
    put_i(b, 0, 0, 1), put_null(b, 1, 0);
    b->count = 1;
    cr_assert_eq(run_feed(&r, b), WR_ERR_RUNTIME);
    cr_assert_str_eq(r.err.msg, "more than one row returned by a subquery used as an expression");
    wr_batch_free(b);
    run_fini(&r);

    /* Over no rows: NULL. */
    wr_type i64 = ty(WR_TYPE_BIGINT);
    c = agg("$SINGLE_VALUE", &i64, 0);
    run_start(&r, &i64, 1, NULL, 0, &c, 1);
    run_end(&r);
    cr_assert(isnull(only_row(&r.cap), 0));
    run_fini(&r);
}

/* ---- bad input ---------------------------------------------------------------------- */

Test(hash_agg, bad_specs_and_retractions_are_errors)
{
    wr_type in[2] = {ty(WR_TYPE_INT), ty(WR_TYPE_VARCHAR)};
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);

    int bad_group[] = {2};
    wr_agg_call count = mkcall("COUNT", in, -1, -1, false, -1);
    wr_operator_spec spec = wr_hash_agg_spec(in, 2, bad_group, 1, &count, 1);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert(strstr(err.msg, "column 2 of an input with 2 columns"), "%s", err.msg);
    wr_operator_spec_fini(&spec);

    /* A call the planner typed wrongly: SUM over a string column. */
    wr_agg_call sum = agg("SUM", in, 0);
    sum.args[0] = 1;
    int groups[] = {0};
    spec = wr_hash_agg_spec(in, 2, groups, 1, &sum, 1);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert_str_eq(err.msg, "SUM cannot aggregate STRING into INT");
    wr_operator_spec_fini(&spec);

    wr_agg_call filtered = mkcall("COUNT", in, -1, -1, false, 0);
    spec = wr_hash_agg_spec(in, 2, groups, 1, &filtered, 1);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert_str_eq(err.msg, "COUNT FILTER needs a BOOLEAN column, got INT");
    wr_operator_spec_fini(&spec);

    /* Batch aggregation takes insert-only input. */
    agg_run r;
    run_start(&r, in, 2, groups, 1, &count, 1);
    wr_batch *b = mkbatch(in, 2);
    put_i(b, 0, 0, 1), put_s(b, 1, 0, "x");
    put_i(b, 0, 1, 1), put_s(b, 1, 1, "x");
    b->count = 2;
    wr_batch_kinds(b)[1] = WR_KIND_DELETE;
    cr_assert_eq(run_feed(&r, b), WR_ERR_RUNTIME);
    cr_assert_str_eq(r.err.msg, "hash aggregation takes insert-only input, got a -D row");
    wr_batch_free(b);
    run_fini(&r);
}

Test(hash_agg, end_of_input_honours_cancellation)
{
    wr_type in = ty(WR_TYPE_INT);
    wr_agg_call count = mkcall("COUNT", &in, -1, -1, false, -1);
    int groups[] = {0};
    agg_run r;
    run_start(&r, &in, 1, groups, 1, &count, 1);
    wr_batch *b = mkbatch(&in, 1);
    for (int i = 0; i < 100; i++) put_i(b, 0, i, i);
    b->count = 100;
    run_feed_free(&r, b);
    atomic_bool cancelled = true;
    r.ctx.cancelled = &cancelled;
    cr_assert_eq(r.spec.ops->end_input(r.op, 0, &r.err), WR_ERR_CANCELLED);
    cr_assert_eq(r.cap.rows, 0);
    run_fini(&r);
}

/* ---- DECIMAL, temporal and byte-string values and keys ------------------------------------ */

/* Days since the epoch of 2024-01-01 and -02. */
#define DAY1 19723
#define DAY2 19724

Test(hash_agg, decimal_aggregates_grouped_by_date)
{
    /* (day DATE, x DECIMAL(10, 2)); day NULL is a group of its own. */
    wr_type in[2] = {ty(WR_TYPE_DATE), wr_type_decimal(10, 2, true)};
    struct {
        int day; /* 0: NULL */
        int64_t x;
        bool null;
    } rows[] = {
        {DAY1, 125, false}, {DAY1, 250, false}, {DAY1, 0, true},    {DAY2, -1, false},
        {0, 333, false},    {DAY2, -2, false},  {DAY1, 250, false},
    };
    const char *fns[] = {"SUM",   "AVG",         "MIN",        "MAX",
                         "COUNT", "FIRST_VALUE", "LAST_VALUE", "STDDEV_POP"};
    wr_agg_call aggs[9];
    for (int i = 0; i < 8; i++) aggs[i] = agg(fns[i], in, 1);
    aggs[8] = mkcall("SUM", in, 1, -1, true, -1); /* SUM(DISTINCT x) */
    int groups[] = {0};
    agg_run r;
    run_start(&r, in, 2, groups, 1, aggs, 9);
    /* Row by row in separate batches, each freed: nothing may point into them. */
    for (size_t i = 0; i < WR_ARRAY_LEN(rows); i++) {
        wr_batch *b = mkbatch(in, 2);
        if (rows[i].day)
            put_i(b, 0, 0, rows[i].day);
        else
            put_null(b, 0, 0);
        if (rows[i].null)
            put_null(b, 1, 0);
        else
            put_dec(b, 1, 0, rows[i].x);
        b->count = 1;
        run_feed_free(&r, b);
    }
    run_end(&r);
    cr_assert_eq(r.cap.rows, 3);
    rowref d1 = find_row(&r.cap, 0, DAY1, false);
    cr_assert_eq(d1.b->cols[1].type.scale, 2); /* SUM: DECIMAL(38, 2) */
    cr_assert_eq(d1.b->cols[1].type.length, 38);
    cr_assert_eq(decval(d1, 1), 625);          /* 1.25 + 2.50 + 2.50 */
    cr_assert_eq(d1.b->cols[2].type.scale, 6); /* AVG: DECIMAL(38, 6) */
    cr_assert_eq(decval(d1, 2), 2083333);      /* 6.25 / 3 = 2.083333.. */
    cr_assert_eq(decval(d1, 3), 125);
    cr_assert_eq(decval(d1, 4), 250);
    cr_assert_eq(ival(d1, 5), 3);
    cr_assert_eq(decval(d1, 6), 125);
    cr_assert_eq(decval(d1, 7), 250);
    cr_assert_eq(decval(d1, 8), 589256); /* sqrt(0.347222..) = 0.5892556.. */
    cr_assert_eq(decval(d1, 9), 375);    /* 1.25 + 2.50 */
    rowref d2 = find_row(&r.cap, 0, DAY2, false);
    cr_assert_eq(decval(d2, 1), -3);
    cr_assert_eq(decval(d2, 2), -15000); /* -0.015 exactly */
    cr_assert_eq(decval(d2, 3), -2);
    cr_assert_eq(decval(d2, 4), -1);
    cr_assert_eq(decval(d2, 6), -1);
    cr_assert_eq(decval(d2, 7), -2);
    rowref dn = find_row(&r.cap, 0, 0, true);
    cr_assert_eq(decval(dn, 1), 333);
    cr_assert_eq(decval(dn, 2), 3330000);
    cr_assert_eq(decval(dn, 8), 0);
    run_fini(&r);
}

Test(hash_agg, decimal_avg_rounds_half_up_and_sum_overflow_is_null)
{
    /* AVG of DECIMAL(7, 6) 0.000001 and 0: 0.0000005 rounds away from zero to 0.000001. */
    wr_type d = wr_type_decimal(7, 6, true);
    int64_t v[] = {1, 0};
    for (int sign = 1; sign >= -1; sign -= 2) {
        wr_batch *b = mkbatch(&d, 1);
        put_dec(b, 0, 0, sign * v[0]), put_dec(b, 0, 1, v[1]);
        b->count = 2;
        wr_agg_call c = agg("AVG", &d, 0);
        agg_run r;
        run_start(&r, &d, 1, NULL, 0, &c, 1);
        run_feed_free(&r, b);
        run_end(&r);
        cr_assert_eq(decval(only_row(&r.cap), 0), sign);
        run_fini(&r);
    }
    /* 38 nines plus 1 leaves 38 digits: NULL (also for AVG), while MAX still has its value. */
    wr_type d38 = wr_type_decimal(38, 0, true);
    wr_int128 nines = wr_decimal_pow10(38) - 1;
    wr_batch *b = mkbatch(&d38, 1);
    put_dec(b, 0, 0, nines), put_dec(b, 0, 1, 1), put_dec(b, 0, 2, nines);
    b->count = 3;
    wr_agg_call calls[] = {agg("SUM", &d38, 0), agg("AVG", &d38, 0), agg("MAX", &d38, 0),
                           agg("$SUM0", &d38, 0)};
    agg_run r;
    run_start(&r, &d38, 1, NULL, 0, calls, 4);
    run_feed_free(&r, b);
    run_end(&r);
    rowref row = only_row(&r.cap);
    cr_assert(isnull(row, 0));
    cr_assert(isnull(row, 1));
    cr_assert(((wr_int128 *)row.b->cols[2].data)[0] == nines);
    cr_assert(isnull(row, 3));
    run_fini(&r);
    /* $SUM0 over no values is 0 at the result's scale, SUM NULL. */
    wr_type d2 = wr_type_decimal(5, 2, true);
    wr_agg_call none[] = {agg("$SUM0", &d2, 0), agg("SUM", &d2, 0)};
    run_start(&r, &d2, 1, NULL, 0, none, 2);
    run_end(&r);
    cr_assert_eq(decval(only_row(&r.cap), 0), 0);
    cr_assert(isnull(only_row(&r.cap), 1));
    run_fini(&r);
}

Test(hash_agg, min_and_max_of_temporal_and_byte_types)
{
    int64_t v[] = {DAY2, DAY1, -40};
    one_agg o;
    run_one(&o, "MIN", ty(WR_TYPE_DATE), v, 3, NULL);
    cr_assert_eq(o.row.b->cols[0].type.id, WR_TYPE_DATE);
    cr_assert_eq(ival(o.row, 0), -40);
    run_fini(&o.r);
    run_one(&o, "MAX", ty(WR_TYPE_TIME), (int64_t[]){3600000, 86399999, 0}, 3, NULL);
    cr_assert_eq(ival(o.row, 0), 86399999);
    run_fini(&o.r);
    int64_t micros[] = {1704067200000000LL, -1, 1704067200000001LL};
    run_one(&o, "MAX", ty(WR_TYPE_TIMESTAMP_LTZ), micros, 3, NULL);
    cr_assert_eq(ival(o.row, 0), 1704067200000001LL);
    run_fini(&o.r);
    run_one(&o, "MIN", ty(WR_TYPE_INTERVAL_YM), (int64_t[]){14, -3, 2}, 3, NULL);
    cr_assert_eq(ival(o.row, 0), -3);
    run_fini(&o.r);
    run_one(&o, "LAST_VALUE", ty(WR_TYPE_INTERVAL_DT), (int64_t[]){5, 9, 1}, 3, (bool[]){0, 0, 1});
    cr_assert_eq(ival(o.row, 0), 9);
    run_fini(&o.r);

    /* Byte strings order by unsigned bytes, a prefix first; they may hold zero bytes. */
    wr_type bytes = ty(WR_TYPE_VARBINARY);
    wr_agg_call calls[] = {agg("MIN", &bytes, 0), agg("MAX", &bytes, 0),
                           agg("FIRST_VALUE", &bytes, 0)};
    wr_batch *b = mkbatch(&bytes, 1);
    put_bytes(b, 0, 0, "\x01\x00\x02", 3);
    put_bytes(b, 0, 1, "\xff", 1);
    put_bytes(b, 0, 2, "\x01\x00", 2);
    b->count = 3;
    agg_run r;
    run_start(&r, &bytes, 1, NULL, 0, calls, 3);
    run_feed_free(&r, b);
    run_end(&r);
    rowref row = only_row(&r.cap);
    wr_str mn = ((wr_str *)row.b->cols[0].data)[0], mx = ((wr_str *)row.b->cols[1].data)[0],
           first = ((wr_str *)row.b->cols[2].data)[0];
    cr_assert(mn.len == 2 && memcmp(mn.ptr, "\x01\x00", 2) == 0);
    cr_assert(mx.len == 1 && (uint8_t)mx.ptr[0] == 0xff);
    cr_assert(first.len == 3 && memcmp(first.ptr, "\x01\x00\x02", 3) == 0);
    run_fini(&r);
}

/*
 * Keys of the new types: a byte string groups by its bytes (not by where they
 * are: each batch has its own copies and is freed once processed), a DECIMAL
 * by its 16 bytes, a TIMESTAMP_LTZ or interval alone by its bits.
 */
Test(hash_agg, keys_of_decimal_byte_and_temporal_types)
{
    wr_type in[4] = {ty(WR_TYPE_VARBINARY), wr_type_decimal(20, 3, true), ty(WR_TYPE_TIMESTAMP_LTZ),
                     ty(WR_TYPE_INTERVAL_YM)};
    static const char *const tags[] = {"\x00", "\x00\x00", "\xfe", ""};
    static const size_t tag_len[] = {1, 2, 1, 0};
    int groups_bytes[] = {0}, groups_pair[] = {1, 0}, groups_ltz[] = {2}, groups_ym[] = {3};
    const int *group_sets[] = {groups_bytes, groups_pair, groups_ltz, groups_ym};
    int ngroups[] = {1, 2, 1, 1}, want_groups[] = {5, 8, 4, 5};
    for (int g = 0; g < 4; g++) {
        wr_agg_call c = mkcall("COUNT", in, -1, -1, false, -1);
        agg_run r;
        run_start(&r, in, 4, group_sets[g], ngroups[g], &c, 1);
        for (int pass = 0; pass < 3; pass++) {
            wr_batch *b = mkbatch(in, 4);
            for (int i = 0; i < 8; i++) {
                /* Row i: tag i % 4 (i == 7: NULL), decimal (i / 4) * 1.5, ltz i % 4 - 2,
                 * months i % 4 (NULL for i == 6). */
                if (i == 7)
                    put_null(b, 0, i);
                else
                    put_bytes(b, 0, i, tags[i % 4], tag_len[i % 4]);
                put_dec(b, 1, i, (i / 4) * (wr_int128)1500);
                put_i(b, 2, i, i % 4 - 2);
                if (i == 6)
                    put_null(b, 3, i);
                else
                    put_i(b, 3, i, i % 4);
            }
            b->count = 8;
            run_feed_free(&r, b);
        }
        run_end(&r);
        cr_assert_eq(r.cap.rows, want_groups[g], "key set %d: %d groups", g, r.cap.rows);
        int64_t total = 0;
        for (int k = 0; k < r.cap.nbatches; k++)
            for (int i = 0; i < r.cap.batches[k]->count; i++) {
                rowref row = {r.cap.batches[k], i};
                total += ival(row, ngroups[g]);
                if (g == 1 && !isnull(row, 0)) { /* (decimal, bytes) */
                    int64_t dec = decval(row, 0);
                    cr_assert(dec == 0 || dec == 1500);
                }
            }
        cr_assert_eq(total, 24);
        if (g == 0) { /* one zero byte and two zero bytes are different keys */
            for (int k = 0; k < r.cap.nbatches; k++)
                for (int i = 0; i < r.cap.batches[k]->count; i++) {
                    rowref row = {r.cap.batches[k], i};
                    if (isnull(row, 0)) {
                        cr_assert_eq(ival(row, 1), 3);
                        continue;
                    }
                    wr_str s = ((wr_str *)row.b->cols[0].data)[i];
                    /* tags 0, 1, 2 appear twice per batch except tag 3 at i == 7 */
                    int64_t want = s.len == 0 ? 3 : 6;
                    cr_assert_eq(ival(row, 1), want, "tag of %u bytes", s.len);
                }
        }
        run_fini(&r);
    }
}

/* ---- accumulators on their own: retract and merge -------------------------------------- */

typedef struct acc_env {
    wr_agg_acc acc;
    _Alignas(16) uint8_t rows[2][64]; /* two groups' states */
    wr_arena heap;
    wr_agg_states st;
    wr_batch *out;
} acc_env;

static void acc_setup(acc_env *e, const char *name, const wr_type *in, int nin)
{
    wr_agg_call c = agg(name, in, 0);
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_agg_acc_init(&e->acc, &c, in, nin, &err), 0, "%s", err.msg);
    cr_assert_eq(wr_agg_layout(&e->acc, 1) <= 64, true);
    memset(e->rows, 0, sizeof(e->rows));
    wr_arena_init(&e->heap, 1024);
    e->st = (wr_agg_states){&e->rows[0][0], 64, &e->heap};
    e->out = wr_batch_new(&e->acc.result, 1, 4);
}

static void acc_teardown(acc_env *e)
{
    wr_arena_fini(&e->heap);
    wr_batch_free(e->out);
}

/* Applies values of rows [from, to) of b to group g (retract: remove them). */
static void acc_apply(acc_env *e, const wr_batch *b, int from, int to, uint32_t g, bool retract)
{
    uint32_t rows[16], groups[16];
    for (int i = from; i < to; i++) rows[i - from] = (uint32_t)i, groups[i - from] = g;
    wr_error err;
    wr_error_init(&err);
    wr_agg_update_fn fn = retract ? e->acc.retract : e->acc.update;
    cr_assert(fn);
    cr_assert_eq(fn(&e->acc, &e->st, &b->cols[0], NULL, rows, groups, to - from, &err), 0);
}

static rowref acc_final(acc_env *e, uint32_t g)
{
    wr_batch_reset(e->out);
    e->acc.final(&e->acc, &e->st, g, 1, e->out, 0, 0);
    e->out->count = 1;
    return (rowref){e->out, 0};
}

static int acc_merge(acc_env *e, wr_error *err)
{
    return e->acc.merge(&e->acc, e->rows[0] + e->acc.offset, e->rows[1] + e->acc.offset, &e->heap,
                        err);
}

static wr_batch *int_column(wr_type type, const int64_t *v, int n)
{
    wr_batch *b = mkbatch(&type, 1);
    for (int i = 0; i < n; i++) put_i(b, 0, i, v[i]);
    b->count = n;
    return b;
}

Test(agg_acc, retraction_undoes_updates)
{
    wr_type i32 = ty(WR_TYPE_INT), f64 = ty(WR_TYPE_DOUBLE);
    wr_batch *b = int_column(i32, (int64_t[]){5, 7, -3, 10}, 4);
    const char *retractable[] = {"SUM", "$SUM0", "AVG", "COUNT", "VAR_SAMP"};
    int64_t after_all[] = {19, 19, 4, 4, 30};    /* VAR_SAMP of 5, 7, -3, 10: 92.75 / 3 */
    int64_t after_retract[] = {12, 12, 6, 2, 2}; /* values 5 and 7 left */
    for (int f = 0; f < 5; f++) {
        acc_env e;
        acc_setup(&e, retractable[f], &i32, 1);
        cr_assert(wr_agg_can_retract(e.acc.kind));
        acc_apply(&e, b, 0, 4, 0, false);
        cr_assert_eq(ival(acc_final(&e, 0), 0), after_all[f], "%s", retractable[f]);
        acc_apply(&e, b, 2, 4, 0, true);
        cr_assert_eq(ival(acc_final(&e, 0), 0), after_retract[f], "%s", retractable[f]);
        acc_apply(&e, b, 0, 2, 0, true);
        /* Back to nothing: SUM NULL again, $SUM0 and COUNT 0. */
        rowref r = acc_final(&e, 0);
        if (f == 1 || f == 3)
            cr_assert_eq(ival(r, 0), 0, "%s", retractable[f]);
        else
            cr_assert(isnull(r, 0), "%s", retractable[f]);
        acc_teardown(&e);
    }
    /* A float sum retracted to nothing starts again from exactly zero. */
    wr_batch *d = mkbatch(&f64, 1);
    put_d(d, 0, 0, 0.1), put_d(d, 0, 1, 0.2), put_d(d, 0, 2, 0.7);
    d->count = 3;
    acc_env e;
    acc_setup(&e, "SUM", &f64, 1);
    acc_apply(&e, d, 0, 3, 0, false);
    acc_apply(&e, d, 0, 3, 0, true);
    acc_apply(&e, d, 2, 3, 0, false);
    cr_assert_eq(dval(acc_final(&e, 0), 0), 0.7);
    acc_teardown(&e);
    /* DECIMAL SUM and AVG retract exactly; an overflow is forgotten once its values are gone. */
    wr_type dec = wr_type_decimal(38, 1, true);
    wr_batch *db = mkbatch(&dec, 1);
    wr_int128 nines = wr_decimal_pow10(38) - 1;
    put_dec(db, 0, 0, 15), put_dec(db, 0, 1, nines), put_dec(db, 0, 2, nines);
    db->count = 3;
    for (int avg = 0; avg < 2; avg++) {
        acc_setup(&e, avg ? "AVG" : "SUM", &dec, 1);
        acc_apply(&e, db, 0, 1, 0, false);
        acc_apply(&e, db, 0, 1, 0, false);
        cr_assert(((wr_int128 *)acc_final(&e, 0).b->cols[0].data)[0] == (avg ? 1500000 : 30));
        acc_apply(&e, db, 0, 1, 0, true);
        cr_assert(((wr_int128 *)acc_final(&e, 0).b->cols[0].data)[0] == (avg ? 1500000 : 15));
        acc_apply(&e, db, 1, 3, 0, false); /* past 38 digits */
        cr_assert(isnull(acc_final(&e, 0), 0));
        acc_apply(&e, db, 0, 3, 0, true); /* back to nothing */
        cr_assert(isnull(acc_final(&e, 0), 0));
        acc_apply(&e, db, 0, 1, 0, false);
        cr_assert(((wr_int128 *)acc_final(&e, 0).b->cols[0].data)[0] == (avg ? 1500000 : 15));
        acc_teardown(&e);
    }
    wr_batch_free(db);
    /* MIN, MAX, LISTAGG, FIRST_VALUE, ... cannot retract. */
    acc_setup(&e, "MIN", &i32, 1);
    cr_assert_null(e.acc.retract);
    cr_assert_not(wr_agg_can_retract(WR_AGG_MIN));
    cr_assert_not(wr_agg_can_retract(WR_AGG_LISTAGG));
    acc_teardown(&e);
    wr_batch_free(d);
    wr_batch_free(b);
}

Test(agg_acc, merge_folds_partial_states)
{
    wr_type i64 = ty(WR_TYPE_BIGINT), str = ty(WR_TYPE_VARCHAR);
    wr_batch *b = int_column(i64, (int64_t[]){4, 9, -2, 6}, 4);
    const char *fns[] = {"SUM",         "COUNT",      "MIN", "MAX",
                         "FIRST_VALUE", "LAST_VALUE", "AVG", "VAR_POP"};
    int64_t want[] = {17, 4, -2, 9, 4, 6, 4, 16}; /* VAR_POP: 65/4 */
    for (size_t f = 0; f < WR_ARRAY_LEN(fns); f++) {
        acc_env e;
        acc_setup(&e, fns[f], &i64, 1);
        acc_apply(&e, b, 0, 2, 0, false); /* group 0: 4, 9 */
        acc_apply(&e, b, 2, 4, 1, false); /* group 1: -2, 6 (later rows) */
        wr_error err;
        cr_assert_eq(acc_merge(&e, &err), 0);
        cr_assert_eq(ival(acc_final(&e, 0), 0), want[f], "%s", fns[f]);
        acc_teardown(&e);
    }

    wr_batch *s = mkbatch(&str, 1);
    put_s(s, 0, 0, "a"), put_s(s, 0, 1, "b"), put_s(s, 0, 2, "c");
    s->count = 3;
    acc_env e;
    acc_setup(&e, "LISTAGG", &str, 1);
    acc_apply(&e, s, 0, 2, 0, false);
    acc_apply(&e, s, 2, 3, 1, false);
    wr_error err;
    cr_assert_eq(acc_merge(&e, &err), 0);
    assert_str(acc_final(&e, 0), 0, "a,b,c");
    acc_teardown(&e);

    /* Merging into an empty state takes the other one whole. */
    acc_setup(&e, "MAX", &str, 1);
    acc_apply(&e, s, 0, 3, 1, false);
    cr_assert_eq(acc_merge(&e, &err), 0);
    assert_str(acc_final(&e, 0), 0, "c");
    acc_teardown(&e);

    /* DECIMAL: exact sums merged; extremes and first/last values whole (16 bytes). */
    wr_type d = wr_type_decimal(30, 4, true);
    wr_batch *db = mkbatch(&d, 1);
    wr_int128 big = wr_decimal_pow10(25);
    put_dec(db, 0, 0, big), put_dec(db, 0, 1, -7), put_dec(db, 0, 2, 3), put_dec(db, 0, 3, -big);
    db->count = 4;
    const char *dfns[] = {"SUM", "AVG", "MIN", "MAX", "FIRST_VALUE", "LAST_VALUE"};
    wr_int128 dwant[] = {-4, -100, -big, big, big, -big}; /* AVG: -0.0004 / 4 at scale 6 */
    for (size_t f = 0; f < WR_ARRAY_LEN(dfns); f++) {
        acc_setup(&e, dfns[f], &d, 1);
        acc_apply(&e, db, 0, 2, 0, false);
        acc_apply(&e, db, 2, 4, 1, false);
        cr_assert_eq(acc_merge(&e, &err), 0);
        rowref r = acc_final(&e, 0);
        cr_assert(!isnull(r, 0), "%s", dfns[f]);
        cr_assert(((wr_int128 *)r.b->cols[0].data)[0] == dwant[f], "%s", dfns[f]);
        acc_teardown(&e);
    }
    acc_setup(&e, "$SINGLE_VALUE", &d, 1);
    acc_apply(&e, db, 0, 1, 0, false);
    acc_apply(&e, db, 1, 2, 1, false);
    cr_assert_eq(acc_merge(&e, &err), WR_ERR_RUNTIME);
    acc_teardown(&e);
    wr_batch_free(db);

    /* Two single values make an error. */
    acc_setup(&e, "$SINGLE_VALUE", &i64, 1);
    acc_apply(&e, b, 0, 1, 0, false);
    acc_apply(&e, b, 1, 2, 1, false);
    cr_assert_eq(acc_merge(&e, &err), WR_ERR_RUNTIME);
    acc_teardown(&e);
    wr_batch_free(s);
    wr_batch_free(b);
}

/* ---- Expand ---------------------------------------------------------------------- */

Test(expand, rollup_sets_then_aggregation)
{
    /* ROLLUP(a, b) over (a, b, v): sets {a, b}, {a}, {}. */
    wr_type in[3] = {ty_nn(WR_TYPE_INT), ty(WR_TYPE_VARCHAR), ty_nn(WR_TYPE_BIGINT)};
    int group_cols[] = {0, 1};
    uint64_t sets[] = {0x3, 0x1, 0x0};
    wr_operator_spec spec = wr_expand_spec(in, 3, group_cols, 2, sets, 3);
    capture cap;
    capture_init(&cap);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, &cap.base);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert(op, "%s", err.msg);
    op->ctx = &ctx;
    wr_batch *b = mkbatch(in, 3);
    put_i(b, 0, 0, 1), put_s(b, 1, 0, "x"), put_i(b, 2, 0, 10);
    put_i(b, 0, 1, 1), put_s(b, 1, 1, "y"), put_i(b, 2, 1, 20);
    put_i(b, 0, 2, 2), put_s(b, 1, 2, "x"), put_i(b, 2, 2, 40);
    put_i(b, 0, 3, 9), put_s(b, 1, 3, "skipped"), put_i(b, 2, 3, 1000);
    b->count = 4;
    /* Row 3 is not selected. */
    uint32_t *sel = wr_batch_sel_buffer(b);
    sel[0] = 0, sel[1] = 1, sel[2] = 2;
    b->sel = sel;
    b->nsel = 3;
    cr_assert_eq(spec.ops->process(op, 0, b, &err), 0, "%s", err.msg);
    wr_batch_free(b);
    spec.ops->destroy(op);
    wr_operator_spec_fini(&spec);

    cr_assert_eq(cap.rows, 9);
    cr_assert_eq(cap.nbatches, 3);
    for (int s = 0; s < 3; s++) {
        const wr_batch *out = cap.batches[s];
        cr_assert_eq(out->ncols, 4);
        cr_assert(out->cols[0].type.nullable && out->cols[1].type.nullable);
        cr_assert_not(out->cols[3].type.nullable);
        cr_assert_eq(out->cols[3].type.id, WR_TYPE_BIGINT);
        for (int i = 0; i < 3; i++) {
            rowref row = {out, i};
            cr_assert_eq(ival(row, 3), s);
            cr_assert_eq(isnull(row, 0), s == 2);
            cr_assert_eq(isnull(row, 1), s >= 1);
            cr_assert_eq(ival(row, 2), i == 0 ? 10 : i == 1 ? 20 : 40);
        }
    }

    /* The aggregation above it: GROUP BY a, b, set; SUM(v). */
    wr_type agg_in[4] = {ty(WR_TYPE_INT), ty(WR_TYPE_VARCHAR), ty_nn(WR_TYPE_BIGINT),
                         ty_nn(WR_TYPE_BIGINT)};
    wr_agg_call sum = agg("SUM", agg_in, 2);
    int groups[] = {0, 1, 3};
    agg_run r;
    run_start(&r, agg_in, 4, groups, 3, &sum, 1);
    for (int i = 0; i < cap.nbatches; i++) cr_assert_eq(run_feed(&r, cap.batches[i]), 0);
    run_end(&r);
    cr_assert_eq(r.cap.rows, 3 + 2 + 1);
    int64_t total = -1, a1 = -1, a2 = -1;
    for (int i = 0; i < r.cap.batches[0]->count; i++) {
        rowref row = {r.cap.batches[0], i};
        if (ival(row, 2) == 2) total = ival(row, 3);
        if (ival(row, 2) == 1 && ival(row, 0) == 1) a1 = ival(row, 3);
        if (ival(row, 2) == 1 && ival(row, 0) == 2) a2 = ival(row, 3);
    }
    cr_assert_eq(total, 70);
    cr_assert_eq(a1, 30);
    cr_assert_eq(a2, 40);
    run_fini(&r);
    capture_fini(&cap);
}

Test(expand, bad_specs_are_errors)
{
    wr_type in[2] = {ty(WR_TYPE_INT), ty(WR_TYPE_INT)};
    int cols[] = {5};
    uint64_t sets[] = {1};
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator_spec spec = wr_expand_spec(in, 2, cols, 1, sets, 1);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert_str_eq(err.msg, "Expand groups by column 5 of an input with 2 columns");
    wr_operator_spec_fini(&spec);
    cols[0] = 0;
    spec = wr_expand_spec(in, 2, cols, 1, sets, 0);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    wr_operator_spec_fini(&spec);
}

/* ---- two phases: local and global aggregation ------------------------------------- */

/* Columns of the random input: two group columns, one of every held type, a FILTER column. */
enum { P_K1, P_K2, P_I8, P_I16, P_I32, P_I64, P_F32, P_F64, P_STR, P_BOOL, P_TS, P_FLT, P_NCOLS };

static const wr_type *phase_types(void)
{
    static wr_type t[P_NCOLS];
    t[P_K1] = ty(WR_TYPE_INT);
    t[P_K2] = ty(WR_TYPE_VARCHAR);
    t[P_I8] = ty(WR_TYPE_TINYINT);
    t[P_I16] = ty(WR_TYPE_SMALLINT);
    t[P_I32] = ty(WR_TYPE_INT);
    t[P_I64] = ty(WR_TYPE_BIGINT);
    t[P_F32] = ty(WR_TYPE_FLOAT);
    t[P_F64] = ty(WR_TYPE_DOUBLE);
    t[P_STR] = ty(WR_TYPE_VARCHAR);
    t[P_BOOL] = ty(WR_TYPE_BOOLEAN);
    t[P_TS] = ty(WR_TYPE_TIMESTAMP);
    t[P_FLT] = ty(WR_TYPE_BOOLEAN);
    return t;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A value in [lo, hi]. */
static int64_t rng_range(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

/*
 * nrows random rows in batches of WR_BATCH_CAPACITY, about one value in eight
 * NULL. Floats are quarters, and the columns STDDEV and VAR read are small, so
 * that every sum is exact and the two plans must agree to the bit; integers
 * span their whole range, so SUM wraps.
 */
static int phase_batches(uint64_t seed, int nrows, int nkeys, wr_batch **out)
{
    static const char *const words[] = {"", "a", "pear", "apple", "a longer string than eight"};
    const wr_type *t = phase_types();
    uint64_t s = seed;
    int nb = 0;
    for (int at = 0; at < nrows; at += WR_BATCH_CAPACITY) {
        wr_batch *b = mkbatch(t, P_NCOLS);
        int n = WR_MIN(WR_BATCH_CAPACITY, nrows - at);
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < P_NCOLS; c++) {
                if (rng_next(&s) % 8 == 0) {
                    put_null(b, c, r);
                    continue;
                }
                switch (c) {
                case P_K1:
                    put_i(b, c, r, rng_range(&s, 0, nkeys - 1));
                    break;
                case P_K2:
                case P_STR:
                    put_s(b, c, r, words[rng_next(&s) % WR_ARRAY_LEN(words)]);
                    break;
                case P_I8:
                    put_i(b, c, r, rng_range(&s, -128, 127));
                    break;
                case P_I16:
                    put_i(b, c, r, rng_range(&s, -32768, 32767));
                    break;
                case P_I32:
                    put_i(b, c, r, (int32_t)rng_next(&s));
                    break;
                case P_I64:
                case P_TS:
                    put_i(b, c, r, (int64_t)rng_next(&s));
                    break;
                case P_F32:
                case P_F64:
                    put_d(b, c, r, (double)rng_range(&s, -4000, 4000) / 4);
                    break;
                default: /* BOOLEAN */
                    put_i(b, c, r, (int64_t)(rng_next(&s) & 1));
                }
            }
        }
        b->count = n;
        out[nb++] = b;
    }
    return nb;
}

static void phase_run_start(agg_run *r, wr_agg_phase phase, const wr_type *in, int nin,
                            const int *groups, int ngroups, const wr_agg_call *aggs, int naggs)
{
    r->spec = wr_hash_agg_spec_phase(in, nin, groups, ngroups, aggs, naggs, phase);
    capture_init(&r->cap);
    ctx_init(&r->ctx, 0, 1, &r->cap.base);
    wr_error_init(&r->err);
    r->op = r->spec.ops->create(r->spec.spec, &r->ctx, &r->err);
    cr_assert(r->op, "%s", r->err.msg);
    r->op->ctx = &r->ctx;
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The captured rows as text ("+I[1, x, 3]"), sorted; *n gets how many. Free with free_texts. */
static char **capture_texts(const capture *cap, int *n)
{
    char **texts = wr_calloc((size_t)cap->rows + 1, sizeof(char *));
    int k = 0;
    for (int b = 0; b < cap->nbatches; b++)
        for (int i = 0; i < cap->batches[b]->count; i++) {
            wr_buf buf;
            wr_buf_init(&buf);
            wr_batch_format_row(cap->batches[b], i, &buf);
            texts[k++] = wr_strdup(buf.data);
            wr_buf_fini(&buf);
        }
    qsort(texts, (size_t)k, sizeof(char *), cmp_text);
    *n = k;
    return texts;
}

static void free_texts(char **texts, int n)
{
    for (int i = 0; i < n; i++) wr_free(texts[i]);
    wr_free(texts);
}

#define MAX_LOCALS 5

/*
 * Aggregates the batches in one phase, and in two: local operator i gets the
 * rows whose owner is i (through selection vectors; a local may get none), one
 * global operator merges all their output. Asserts equal results and types,
 * and that the local phase emits the intermediate types and at most one row
 * per group. Returns the number of result rows.
 */
static int64_t check_phases(const int *groups, int ngroups, const wr_agg_call *aggs, int naggs,
                            wr_batch **batches, int nbatches, const uint8_t *owner, int nlocal)
{
    const wr_type *in = phase_types();
    cr_assert(wr_agg_mergeable(in, P_NCOLS, aggs, naggs));
    wr_type ptypes[WR_AGG_PARTIAL_MAX * 16];
    int npart = wr_agg_partial_types(in, P_NCOLS, aggs, naggs, ptypes);
    cr_assert_geq(npart, naggs);

    agg_run one;
    run_start(&one, in, P_NCOLS, groups, ngroups, aggs, naggs);
    for (int b = 0; b < nbatches; b++)
        cr_assert_eq(run_feed(&one, batches[b]), 0, "%s", one.err.msg);
    run_end(&one);

    agg_run local[MAX_LOCALS];
    for (int l = 0; l < nlocal; l++) {
        phase_run_start(&local[l], WR_AGG_LOCAL, in, P_NCOLS, groups, ngroups, aggs, naggs);
        for (int b = 0; b < nbatches; b++) {
            wr_batch *batch = batches[b];
            uint32_t *sel = wr_batch_sel_buffer(batch);
            int m = 0;
            for (int i = 0; i < batch->count; i++)
                if (owner[b * WR_BATCH_CAPACITY + i] == l) sel[m++] = (uint32_t)i;
            batch->sel = sel;
            batch->nsel = m;
            int rc = run_feed(&local[l], batch);
            batch->sel = NULL;
            batch->nsel = 0;
            cr_assert_eq(rc, 0, "%s", local[l].err.msg);
        }
        run_end(&local[l]);
        for (int b = 0; b < local[l].cap.nbatches; b++) {
            const wr_batch *out = local[l].cap.batches[b];
            cr_assert_eq(out->ncols, ngroups + npart);
            for (int c = 0; c < npart; c++)
                cr_assert(wr_type_equal(out->cols[ngroups + c].type, ptypes[c]),
                          "intermediate column %d", c);
        }
        if (ngroups == 0) cr_assert_eq(local[l].cap.rows, 1, "a local global aggregation");
        cr_assert_leq(local[l].cap.rows, one.cap.rows + (ngroups == 0));
    }

    agg_run global;
    phase_run_start(&global, WR_AGG_GLOBAL, in, P_NCOLS, groups, ngroups, aggs, naggs);
    for (int l = 0; l < nlocal; l++)
        for (int b = 0; b < local[l].cap.nbatches; b++)
            cr_assert_eq(run_feed(&global, local[l].cap.batches[b]), 0, "%s", global.err.msg);
    run_end(&global);

    int n1, n2;
    char **want = capture_texts(&one.cap, &n1), **got = capture_texts(&global.cap, &n2);
    cr_assert_eq(n2, n1, "two phases: %d rows, one phase: %d", n2, n1);
    for (int i = 0; i < n1; i++) cr_assert_str_eq(got[i], want[i]);
    if (one.cap.nbatches && global.cap.nbatches) {
        const wr_batch *a = one.cap.batches[0], *b = global.cap.batches[0];
        cr_assert_eq(a->ncols, b->ncols);
        for (int c = 0; c < a->ncols; c++)
            cr_assert(wr_type_equal(a->cols[c].type, b->cols[c].type), "column %d", c);
    }
    free_texts(want, n1);
    free_texts(got, n2);
    int64_t rows = one.cap.rows;
    run_fini(&one);
    for (int l = 0; l < nlocal; l++) run_fini(&local[l]);
    run_fini(&global);
    return rows;
}

/* Every mergeable function over every type it takes, some with FILTER. */
static int mergeable_calls(wr_agg_call *aggs)
{
    const wr_type *in = phase_types();
    int n = 0;
    aggs[n++] = mkcall("COUNT", in, -1, -1, false, -1);
    aggs[n++] = mkcall("COUNT", in, -1, -1, false, P_FLT);
    aggs[n++] = agg("COUNT", in, P_I32);
    aggs[n++] = agg("COUNT", in, P_STR);
    int nums[] = {P_I8, P_I16, P_I32, P_I64, P_F32, P_F64};
    for (size_t i = 0; i < WR_ARRAY_LEN(nums); i++) {
        aggs[n++] = agg("SUM", in, nums[i]);
        aggs[n++] = agg("$SUM0", in, nums[i]);
        aggs[n++] = agg("AVG", in, nums[i]);
    }
    aggs[n++] = mkcall("SUM", in, P_I32, -1, false, P_FLT);
    int ordered[] = {P_I8, P_I16, P_I32, P_I64, P_F32, P_F64, P_STR, P_BOOL, P_TS};
    for (size_t i = 0; i < WR_ARRAY_LEN(ordered); i++) {
        aggs[n++] = agg("MIN", in, ordered[i]);
        aggs[n++] = agg("MAX", in, ordered[i]);
    }
    aggs[n++] = mkcall("MIN", in, P_STR, -1, false, P_FLT);
    /* Small values only: sums of squares stay exact (see phase_batches). */
    int small[] = {P_I8, P_I16, P_F32, P_F64};
    const char *vars[] = {"STDDEV_POP", "STDDEV_SAMP", "VAR_POP", "VAR_SAMP"};
    for (size_t i = 0; i < WR_ARRAY_LEN(small); i++)
        for (size_t v = 0; v < WR_ARRAY_LEN(vars); v++) aggs[n++] = agg(vars[v], in, small[i]);
    aggs[n++] = agg("BOOL_AND", in, P_BOOL);
    aggs[n++] = agg("BOOL_OR", in, P_BOOL);
    return n;
}

/* check_phases over all mergeable calls, in runs small enough for the capture's 16 columns. */
static void check_all_calls(const int *groups, int ngroups, wr_batch **batches, int nbatches,
                            const uint8_t *owner, int nlocal)
{
    wr_agg_call aggs[96];
    int naggs = mergeable_calls(aggs);
    const wr_type *in = phase_types();
    for (int from = 0; from < naggs;) {
        int n = 0, cols = 0;
        wr_type t[WR_AGG_PARTIAL_MAX];
        while (from + n < naggs) {
            int k = wr_agg_partial_types(in, P_NCOLS, &aggs[from + n], 1, t);
            cr_assert_gt(k, 0);
            if (ngroups + cols + k > 16) break;
            cols += k;
            n++;
        }
        check_phases(groups, ngroups, aggs + from, n, batches, nbatches, owner, nlocal);
        from += n;
    }
}

Test(agg_phase, local_and_global_equal_one_phase)
{
    enum { NROWS = 5000 };
    wr_batch *batches[8];
    int nb = phase_batches(42, NROWS, 40, batches);
    /* Rows go to three locals at random; a fourth gets none. */
    uint8_t owner[8 * WR_BATCH_CAPACITY];
    uint64_t s = 7;
    for (int i = 0; i < NROWS; i++) owner[i] = (uint8_t)(rng_next(&s) % 3);
    int by_int[] = {P_K1}, by_two[] = {P_K1, P_K2}, by_str[] = {P_K2};
    check_all_calls(by_int, 1, batches, nb, owner, 4);
    check_all_calls(by_two, 2, batches, nb, owner, 4);
    check_all_calls(by_str, 1, batches, nb, owner, 4);
    check_all_calls(NULL, 0, batches, nb, owner, 4);
    /* Groups without calls: both phases only group (SELECT DISTINCT). */
    cr_assert_eq(check_phases(by_two, 2, NULL, 0, batches, nb, owner, 4), 41 * 6);
    for (int b = 0; b < nb; b++) wr_batch_free(batches[b]);
}

Test(agg_phase, empty_input)
{
    uint8_t owner[1] = {0};
    int by_int[] = {P_K1};
    wr_agg_call aggs[96];
    mergeable_calls(aggs);
    /* With groups nothing comes out; without, one row of empty results: COUNT 0, SUM NULL. */
    cr_assert_eq(check_phases(by_int, 1, aggs, 5, NULL, 0, owner, 3), 0);
    cr_assert_eq(check_phases(NULL, 0, aggs, 12, NULL, 0, owner, 3), 1);
    /* Locals that got rows where every value is NULL. */
    wr_batch *b = mkbatch(phase_types(), P_NCOLS);
    for (int r = 0; r < 10; r++) {
        put_i(b, P_K1, r, r % 2);
        for (int c = P_K2; c < P_NCOLS; c++) put_null(b, c, r);
    }
    b->count = 10;
    uint8_t split[WR_BATCH_CAPACITY];
    for (int r = 0; r < 10; r++) split[r] = (uint8_t)(r % 3);
    check_all_calls(by_int, 1, &b, 1, split, 3);
    check_all_calls(NULL, 0, &b, 1, split, 3);
    wr_batch_free(b);
}

/* Runs one call without groups over values dealt to locals by owner; text gets the result. */
static void two_phase_one(const char *name, wr_type type, const int64_t *v, const uint8_t *owner,
                          int n, int nlocal, wr_buf *text)
{
    wr_batch *b = int_column(type, v, n);
    wr_agg_call call = agg(name, &type, 0);
    agg_run local[MAX_LOCALS], global;
    phase_run_start(&global, WR_AGG_GLOBAL, &type, 1, NULL, 0, &call, 1);
    for (int l = 0; l < nlocal; l++) {
        phase_run_start(&local[l], WR_AGG_LOCAL, &type, 1, NULL, 0, &call, 1);
        uint32_t *sel = wr_batch_sel_buffer(b);
        int m = 0;
        for (int i = 0; i < n; i++)
            if (owner[i] == l) sel[m++] = (uint32_t)i;
        b->sel = sel;
        b->nsel = m;
        cr_assert_eq(run_feed(&local[l], b), 0, "%s", local[l].err.msg);
        run_end(&local[l]);
        for (int k = 0; k < local[l].cap.nbatches; k++)
            cr_assert_eq(run_feed(&global, local[l].cap.batches[k]), 0, "%s", global.err.msg);
        run_fini(&local[l]);
    }
    run_end(&global);
    rowref r = only_row(&global.cap);
    wr_vector_format(&r.b->cols[0], r.row, WR_FORMAT_SQL, text);
    run_fini(&global);
    wr_batch_free(b);
}

static void expect_two_phase(const char *name, wr_type_id id, const int64_t *v,
                             const uint8_t *owner, int n, int nlocal, const char *want)
{
    wr_buf text;
    wr_buf_init(&text);
    two_phase_one(name, ty(id), v, owner, n, nlocal, &text);
    cr_assert_str_eq(text.data, want, "%s", name);
    wr_buf_fini(&text);
}

Test(agg_phase, avg_truncates_once_over_all_values)
{
    /* Local averages would be 1 and 2 (and -1, -2), whose average truncates to 1 (-1): the
     * global phase must divide the whole sum by the whole count instead. */
    uint8_t two[] = {0, 0, 1, 1};
    expect_two_phase("AVG", WR_TYPE_INT, (int64_t[]){1, 2, 2, 3}, two, 4, 2, "2");
    expect_two_phase("AVG", WR_TYPE_INT, (int64_t[]){-1, -2, -2, -3}, two, 4, 2, "-2");
    expect_two_phase("AVG", WR_TYPE_TINYINT, (int64_t[]){1, 2, 2, 3}, two, 4, 2, "2");
    /* Weighted by the count: six tens and a zero. */
    uint8_t six[] = {0, 0, 0, 0, 0, 0, 1};
    expect_two_phase("AVG", WR_TYPE_INT, (int64_t[]){10, 10, 10, 10, 10, 10, 0}, six, 7, 2, "8");
    /* BIGINT's 128-bit sum crosses as DECIMAL(38, 0): (3 * max - 1) / 3 truncates to max - 1. */
    uint8_t three[] = {0, 1, 2};
    expect_two_phase("AVG", WR_TYPE_BIGINT, (int64_t[]){INT64_MAX, INT64_MAX, INT64_MAX - 1}, three,
                     3, 3, "9223372036854775806");
    expect_two_phase("AVG", WR_TYPE_BIGINT, (int64_t[]){INT64_MIN, INT64_MIN, INT64_MIN + 1}, three,
                     3, 3, "-9223372036854775807");
    /* SUM(INT) wraps like one phase though the partial sums did not. */
    expect_two_phase("SUM", WR_TYPE_INT, (int64_t[]){INT32_MAX, 1, 1}, three, 3, 3, "-2147483647");
    /* VAR_SAMP needs two values, which no local had alone. */
    uint8_t apart[] = {0, 1};
    expect_two_phase("VAR_SAMP", WR_TYPE_INT, (int64_t[]){1, 5}, apart, 2, 2, "8");
    expect_two_phase("STDDEV_SAMP", WR_TYPE_INT, (int64_t[]){1, 5}, apart, 2, 2, "2");
}

Test(agg_phase, order_dependent_and_distinct_calls_stay_one_phase)
{
    const wr_type *in = phase_types();
    wr_agg_call ok = agg("SUM", in, P_I32);
    wr_agg_call no[] = {
        agg("FIRST_VALUE", in, P_I32),
        agg("LAST_VALUE", in, P_STR),
        agg("LISTAGG", in, P_STR),
        agg("$SINGLE_VALUE", in, P_I32),
        mkcall("COUNT", in, P_I32, -1, true, -1),
        mkcall("SUM", in, P_I32, -1, true, -1),
    };
    const char *msgs[] = {
        "FIRST_VALUE cannot run as a local and a global aggregation",
        "LAST_VALUE cannot run as a local and a global aggregation",
        "LISTAGG cannot run as a local and a global aggregation",
        "$SINGLE_VALUE cannot run as a local and a global aggregation",
        "COUNT DISTINCT cannot run as a local and a global aggregation",
        "SUM DISTINCT cannot run as a local and a global aggregation",
    };
    cr_assert(wr_agg_mergeable(in, P_NCOLS, &ok, 1));
    cr_assert(wr_agg_mergeable(in, P_NCOLS, NULL, 0));
    wr_type t[2 * WR_AGG_PARTIAL_MAX];
    for (size_t i = 0; i < WR_ARRAY_LEN(no); i++) {
        wr_agg_call two[2] = {ok, no[i]};
        cr_assert_not(wr_agg_mergeable(in, P_NCOLS, two, 2), "call %zu", i);
        cr_assert_eq(wr_agg_partial_types(in, P_NCOLS, two, 2, t), -1);
        for (int phase = WR_AGG_LOCAL; phase <= WR_AGG_GLOBAL; phase++) {
            wr_operator_spec spec = wr_hash_agg_spec_phase(in, P_NCOLS, NULL, 0, two, 2, phase);
            wr_op_ctx ctx;
            capture cap;
            capture_init(&cap);
            ctx_init(&ctx, 0, 1, &cap.base);
            wr_error err;
            wr_error_init(&err);
            cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
            cr_assert_eq(err.code, WR_ERR_VALIDATION);
            cr_assert(strstr(err.msg, msgs[i]), "%s", err.msg);
            capture_fini(&cap);
            wr_operator_spec_fini(&spec);
        }
    }
    /* A call that does not fit its input is not mergeable; one phase reports it. */
    wr_agg_call bad = ok;
    bad.args[0] = 99;
    cr_assert_not(wr_agg_mergeable(in, P_NCOLS, &bad, 1));
    /* The intermediate types, in call order. */
    wr_agg_call calls[] = {agg("AVG", in, P_I64), agg("VAR_POP", in, P_I16)};
    wr_type want[] = {wr_type_decimal(38, 0, false), ty_nn(WR_TYPE_BIGINT), ty_nn(WR_TYPE_BIGINT),
                      ty_nn(WR_TYPE_DOUBLE), ty_nn(WR_TYPE_DOUBLE)};
    wr_type got[2 * WR_AGG_PARTIAL_MAX];
    cr_assert_eq(wr_agg_partial_types(in, P_NCOLS, calls, 2, got), 5);
    for (int i = 0; i < 5; i++) cr_assert(wr_type_equal(got[i], want[i]), "column %d", i);
}
