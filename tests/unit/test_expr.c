/*
 * test_expr.c — vectorized evaluation: NULLs, three-valued logic, CASE over
 * row subsets, selection vectors, errors.
 */
#include "../../src/base/alloc.h"
#include "../../src/expr/expr.h"

#include <criterion/criterion.h>

static const wr_type INT_N = {WR_TYPE_INT, true, 0, 0};
static const wr_type BOOL_N = {WR_TYPE_BOOLEAN, true, 0, 0};

/* A batch with INT columns a, b of n rows; NULL where the value is INT32_MIN. */
static wr_batch *ints(const int32_t *a, const int32_t *b, int n)
{
    wr_batch *batch = wr_batch_new((wr_type[]){INT_N, INT_N}, 2, WR_BATCH_CAPACITY);
    for (int i = 0; i < n; i++) {
        ((int32_t *)batch->cols[0].data)[i] = a[i];
        ((int32_t *)batch->cols[1].data)[i] = b[i];
        if (a[i] == INT32_MIN) wr_batch_set_null(batch, 0, i);
        if (b[i] == INT32_MIN) wr_batch_set_null(batch, 1, i);
    }
    batch->count = n;
    return batch;
}

static wr_expr *call2(wr_func fn, wr_expr *x, wr_expr *y, wr_type t)
{
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = x;
    args[1] = y;
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_expr_call(fn, args, 2, t, 0, &err);
    cr_assert_not_null(e, "%s", err.msg);
    return e;
}

static wr_expr *col(int i)
{
    return wr_expr_column(i, INT_N, 0);
}

static wr_expr *lit(int v)
{
    return wr_expr_int64(wr_type_make(WR_TYPE_INT, false), v, 0);
}

static int eval(const wr_expr *e, wr_batch *in, wr_arena *arena, wr_vector *out, wr_error *err)
{
    wr_eval ev = {arena, in->count};
    return wr_expr_eval(&ev, e, in, in->sel, wr_batch_rows(in), out, err);
}

Test(expr, arithmetic_propagates_nulls)
{
    int32_t a[] = {1, INT32_MIN, 5, INT32_MAX};
    int32_t b[] = {2, 3, INT32_MIN, 1};
    wr_batch *in = ints(a, b, 4);
    wr_expr *e = call2(WR_FN_ADD, col(0), col(1), INT_N);
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_vector v;
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(eval(e, in, &arena, &v, &err), 0);
    cr_assert_eq(((int32_t *)v.data)[0], 3);
    cr_assert(wr_vector_is_null(&v, 1));
    cr_assert(wr_vector_is_null(&v, 2));
    cr_assert_eq(((int32_t *)v.data)[3], INT32_MIN, "overflow wraps");
    wr_expr_free(e);
    wr_arena_fini(&arena);
    wr_batch_free(in);
}

Test(expr, and_or_follow_three_valued_logic)
{
    /* p = (a > 0), q = (b > 0); NULL inputs make NULL comparisons. */
    int32_t a[] = {1, 1, 1, -1, -1, -1, INT32_MIN, INT32_MIN, INT32_MIN};
    int32_t b[] = {1, -1, INT32_MIN, 1, -1, INT32_MIN, 1, -1, INT32_MIN};
    /* expected: 1 true, 0 false, 2 null */
    int and_expect[] = {1, 0, 2, 0, 0, 0, 2, 0, 2};
    int or_expect[] = {1, 1, 1, 1, 0, 2, 1, 2, 2};
    wr_batch *in = ints(a, b, 9);
    for (int k = 0; k < 2; k++) {
        wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
        args[0] = call2(WR_FN_GT, col(0), lit(0), BOOL_N);
        args[1] = call2(WR_FN_GT, col(1), lit(0), BOOL_N);
        wr_expr *e = wr_expr_logic(k ? WR_EXPR_OR : WR_EXPR_AND, args, 2, BOOL_N, 0);
        wr_arena arena;
        wr_arena_init(&arena, 4096);
        wr_vector v;
        wr_error err;
        wr_error_init(&err);
        cr_assert_eq(eval(e, in, &arena, &v, &err), 0);
        for (int r = 0; r < 9; r++) {
            int got = wr_vector_is_null(&v, r) ? 2 : ((uint8_t *)v.data)[r];
            cr_assert_eq(got, k ? or_expect[r] : and_expect[r], "%s row %d", k ? "OR" : "AND", r);
        }
        wr_expr_free(e);
        wr_arena_fini(&arena);
    }
    wr_batch_free(in);
}

Test(expr, case_guards_division_by_zero)
{
    int32_t a[] = {10, 10, 10};
    int32_t b[] = {2, 0, 5};
    wr_batch *in = ints(a, b, 3);
    wr_error err;
    wr_error_init(&err);
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_vector v;

    wr_expr *div = call2(WR_FN_DIV, col(0), col(1), INT_N);
    cr_assert_eq(eval(div, in, &arena, &v, &err), WR_ERR_RUNTIME);
    cr_assert_str_eq(err.msg, "division by zero");

    wr_expr **args = wr_malloc(3 * sizeof(wr_expr *));
    args[0] = call2(WR_FN_EQ, col(1), lit(0), BOOL_N);
    args[1] = lit(-1);
    args[2] = div;
    wr_expr *c = wr_expr_logic(WR_EXPR_CASE, args, 3, INT_N, 0);
    wr_error_init(&err);
    cr_assert_eq(eval(c, in, &arena, &v, &err), 0, "%s", err.msg);
    cr_assert_eq(((int32_t *)v.data)[0], 5);
    cr_assert_eq(((int32_t *)v.data)[1], -1);
    cr_assert_eq(((int32_t *)v.data)[2], 2);
    wr_expr_free(c);
    wr_arena_fini(&arena);
    wr_batch_free(in);
}

Test(expr, filter_respects_selection_and_nulls)
{
    int32_t a[] = {5, 6, INT32_MIN, 8, 9};
    int32_t b[] = {0, 0, 0, 0, 0};
    wr_batch *in = ints(a, b, 5);
    uint32_t *sel = wr_batch_sel_buffer(in);
    sel[0] = 0, sel[1] = 2, sel[2] = 3, sel[3] = 4;
    in->sel = sel;
    in->nsel = 4;
    wr_expr *e = call2(WR_FN_GE, col(0), lit(6), BOOL_N);
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_eval ev = {&arena, in->count};
    uint32_t out[8];
    int n = -1;
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_expr_filter(&ev, e, in, in->sel, in->nsel, out, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(out[0], 3);
    cr_assert_eq(out[1], 4);
    wr_expr_free(e);
    wr_arena_fini(&arena);
    wr_batch_free(in);
}

Test(expr, cast_string_to_int_fails_with_the_value_or_yields_null)
{
    wr_batch *in = wr_batch_new((wr_type[]){wr_type_make(WR_TYPE_VARCHAR, true)}, 1, 8);
    ((wr_str *)in->cols[0].data)[0] = wr_batch_str(in, "12", 2);
    ((wr_str *)in->cols[0].data)[1] = wr_batch_str(in, "x1", 2);
    in->count = 2;
    wr_error err;
    wr_error_init(&err);
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_vector v;
    wr_expr *c = wr_expr_cast(wr_expr_column(0, in->cols[0].type, 0), INT_N, false, 0, &err);
    cr_assert_eq(eval(c, in, &arena, &v, &err), WR_ERR_RUNTIME);
    cr_assert_str_eq(err.msg, "cannot cast 'x1' to INT");
    wr_expr_free(c);
    wr_expr *t = wr_expr_cast(wr_expr_column(0, in->cols[0].type, 0), INT_N, true, 0, &err);
    cr_assert_eq(eval(t, in, &arena, &v, &err), 0);
    cr_assert_eq(((int32_t *)v.data)[0], 12);
    cr_assert(wr_vector_is_null(&v, 1));
    wr_expr_free(t);
    wr_arena_fini(&arena);
    wr_batch_free(in);
}

/* ---- common subexpressions ------------------------------------------------------------ */

static int counted_rows; /* rows the counting kernel computed */

/* counted(a) = a + 1, counting its rows. */
static int k_counted(wr_eval *ev, const wr_expr *e, const wr_vector *args, wr_vector *out,
                     const uint32_t *sel, int n, wr_error *err)
{
    const int32_t *a = args[0].data;
    int32_t *o = out->data;
    for (int i = 0; i < n; i++) {
        uint32_t r = sel ? sel[i] : (uint32_t)i;
        o[r] = a[r] + 1;
    }
    out->validity = args[0].validity;
    counted_rows += n;
    return 0;
}

static wr_expr *counted(void)
{
    wr_expr **args = wr_malloc(sizeof(wr_expr *));
    args[0] = col(0);
    return wr_expr_call_kernel("counted", k_counted, NULL, NULL, args, 1, INT_N, 0);
}

/* CASE WHEN a > lo THEN counted(a) END */
static wr_expr *counted_above(int lo)
{
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = call2(WR_FN_GT, col(0), lit(lo), BOOL_N);
    args[1] = counted();
    return wr_expr_logic(WR_EXPR_CASE, args, 2, INT_N, 0);
}

Test(expr, a_repeated_call_is_computed_once_for_the_rows_asked_before)
{
    int32_t a[] = {5, -1, 2, 1, 7, 0};
    wr_batch *in = ints(a, a, 6);
    /* counted(a) for rows with a > 0 (4 rows), then a > 1 (3 of those), then every row
     * (6: more than before), then every row again inside an addition. */
    wr_expr *exprs[4] = {counted_above(0), counted_above(1), counted(),
                         call2(WR_FN_ADD, counted(), lit(1), INT_N)};
    cr_assert_eq(wr_expr_mark_common(exprs, 4), 1);
    wr_expr_cache cache[1];
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_error err;
    wr_error_init(&err);
    int32_t want[4][6] = {
        {6, 0, 3, 2, 8, 0}, {6, 0, 3, 0, 8, 0}, {6, 0, 3, 2, 8, 1}, {7, 1, 4, 3, 9, 2}};
    bool null[4][6] = {{0, 1, 0, 0, 0, 1}, {0, 1, 0, 1, 0, 1}, {0}, {0}};
    for (int with = 0; with < 2; with++) {
        wr_eval ev = {&arena, in->count, with ? cache : NULL};
        cache[0].valid = false;
        counted_rows = 0;
        for (int k = 0; k < 4; k++) {
            wr_vector v;
            cr_assert_eq(wr_expr_eval(&ev, exprs[k], in, NULL, 6, &v, &err), 0, "%s", err.msg);
            for (int r = 0; r < 6; r++) {
                cr_assert_eq(wr_vector_is_null(&v, r), null[k][r], "expression %d row %d", k, r);
                if (!null[k][r]) cr_assert_eq(((int32_t *)v.data)[r], want[k][r]);
            }
        }
        cr_assert_eq(counted_rows, with ? 4 + 6 : 4 + 3 + 6 + 6);
        wr_arena_reset(&arena);
    }
    for (int k = 0; k < 4; k++) wr_expr_free(exprs[k]);
    wr_arena_fini(&arena);
    wr_batch_free(in);
}
