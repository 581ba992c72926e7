/*
 * test_decimal.c — DECIMAL values: parsing and text, HALF_UP rounding,
 * arithmetic across scales with overflow, exact comparison, conversions,
 * Flink's result types of the operators, and the kernels through expressions.
 */
#include "../../src/base/alloc.h"
#include "../../src/sql/typing.h"
#include "../../src/types/decimal.h"
#include "../../src/types/row_codec.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The text of v at scale s (a static buffer per call site is enough for assertions). */
static const char *text(wr_int128 v, int s, char *buf)
{
    wr_buf b;
    wr_buf_init(&b);
    wr_decimal_format(v, s, &b);
    snprintf(buf, 64, "%s", b.data);
    wr_buf_fini(&b);
    return buf;
}

/* Parses s as DECIMAL(p, sc); asserts success. */
static wr_int128 dec(const char *s, int p, int sc)
{
    wr_int128 v;
    int rc = wr_decimal_parse(s, strlen(s), p, sc, &v);
    cr_assert_eq(rc, 0, "parsing '%s' as DECIMAL(%d, %d): %d", s, p, sc, rc);
    return v;
}

Test(decimal, parse_rounds_half_up_and_formats_with_the_scale)
{
    char b[64];
    cr_assert_str_eq(text(dec("1.5", 5, 2), 2, b), "1.50");
    cr_assert_str_eq(text(dec("12.345", 4, 2), 2, b), "12.35");
    cr_assert_str_eq(text(dec("-12.345", 4, 2), 2, b), "-12.35");
    cr_assert_str_eq(text(dec("12.344", 4, 2), 2, b), "12.34");
    cr_assert_str_eq(text(dec("0.005", 3, 2), 2, b), "0.01");
    cr_assert_str_eq(text(dec("0.004", 3, 2), 2, b), "0.00");
    cr_assert_str_eq(text(dec(".5", 1, 0), 0, b), "1");
    cr_assert_str_eq(text(dec("-.5", 1, 0), 0, b), "-1");
    cr_assert_str_eq(text(dec("5.", 1, 0), 0, b), "5");
    cr_assert_str_eq(text(dec("+007.50", 3, 2), 2, b), "7.50");
    cr_assert_str_eq(text(dec("1.5e2", 5, 1), 1, b), "150.0");
    cr_assert_str_eq(text(dec("15E-3", 5, 3), 3, b), "0.015");
    cr_assert_str_eq(text(dec("-0.05", 2, 2), 2, b), "-0.05");
    cr_assert_str_eq(text(dec("99999999999999999999999999999999999999", 38, 0), 0, b),
                     "99999999999999999999999999999999999999");
    /* Rounding that carries into a new digit. */
    cr_assert_str_eq(text(dec("9.995", 4, 2), 2, b), "10.00");
}

Test(decimal, parse_rejects_bad_text_and_reports_overflow)
{
    wr_int128 v;
    const char *bad[] = {"", "-", ".", "abc", "1.2.3", "1e", "1e+", "1 2", "0x10", "1,5"};
    for (size_t i = 0; i < WR_ARRAY_LEN(bad); i++)
        cr_assert_eq(wr_decimal_parse(bad[i], strlen(bad[i]), 10, 2, &v), -1, "'%s'", bad[i]);
    cr_assert_eq(wr_decimal_parse("1000", 4, 5, 2, &v), -2);    /* 1000.00 needs 6 digits */
    cr_assert_eq(wr_decimal_parse("999.995", 7, 5, 2, &v), -2); /* rounds to 1000.00 */
    cr_assert_eq(wr_decimal_parse("1e40", 4, 38, 0, &v), -2);
    cr_assert_eq(wr_decimal_parse("1e-40", 5, 38, 2, &v), 0);
    cr_assert(v == 0);
}

Test(decimal, java_text_uses_an_exponent_below_minus_six)
{
    wr_buf b;
    wr_buf_init(&b);
    wr_decimal_format_java(150, 2, &b);
    cr_assert_str_eq(b.data, "1.50");
    wr_buf_reset(&b);
    wr_decimal_format_java(1, 7, &b);
    cr_assert_str_eq(b.data, "1E-7");
    wr_buf_reset(&b);
    wr_decimal_format_java(0, 10, &b);
    cr_assert_str_eq(b.data, "0E-10");
    wr_buf_reset(&b);
    wr_decimal_format_java(-123, 9, &b);
    cr_assert_str_eq(b.data, "-1.23E-7");
    wr_buf_reset(&b);
    wr_decimal_format_java(1, 6, &b);
    cr_assert_str_eq(b.data, "0.000001");
    wr_buf_fini(&b);
}

Test(decimal, arithmetic_across_scales)
{
    char b[64];
    wr_int128 r;
    /* 1.5 + 0.25 = 1.75 at scale 2 */
    cr_assert(wr_decimal_add(15, 1, 25, 2, 10, 2, &r));
    cr_assert_str_eq(text(r, 2, b), "1.75");
    cr_assert(wr_decimal_sub(15, 1, 25, 2, 10, 2, &r));
    cr_assert_str_eq(text(r, 2, b), "1.25");
    cr_assert(wr_decimal_mul(15, 1, 225, 2, 10, 3, &r));
    cr_assert_str_eq(text(r, 3, b), "3.375");
    /* 1 / 3 at scale 6, and 2 / 3 rounds up */
    cr_assert(wr_decimal_div(1, 0, 3, 0, 10, 6, &r));
    cr_assert_str_eq(text(r, 6, b), "0.333333");
    cr_assert(wr_decimal_div(2, 0, 3, 0, 10, 6, &r));
    cr_assert_str_eq(text(r, 6, b), "0.666667");
    cr_assert(wr_decimal_div(-2, 0, 3, 0, 10, 6, &r));
    cr_assert_str_eq(text(r, 6, b), "-0.666667");
    /* remainder takes the dividend's sign */
    cr_assert(wr_decimal_mod(-15, 1, 10, 1, 10, 1, &r));
    cr_assert_str_eq(text(r, 1, b), "-0.5");
    cr_assert(wr_decimal_mod(7, 0, 25, 1, 10, 1, &r));
    cr_assert_str_eq(text(r, 1, b), "2.0");
    /* a product rounded to a smaller scale, HALF_UP */
    cr_assert(wr_decimal_mul(125, 2, 1, 1, 10, 2, &r)); /* 1.25 * 0.1 = 0.125 -> 0.13 */
    cr_assert_str_eq(text(r, 2, b), "0.13");
}

Test(decimal, wide_intermediates_stay_exact)
{
    char b[64];
    wr_int128 r;
    wr_int128 max38 = dec("99999999999999999999999999999999999999", 38, 0);
    /* (10^38 - 1) * 0.5 needs 39 digits before rounding: computed in 256 bits. */
    cr_assert(wr_decimal_mul(max38, 0, 5, 1, 38, 0, &r));
    cr_assert_str_eq(text(r, 0, b), "50000000000000000000000000000000000000");
    /* ... and max / max == 1 with 6 fraction digits */
    cr_assert(wr_decimal_div(max38, 0, max38, 0, 38, 6, &r));
    cr_assert_str_eq(text(r, 6, b), "1.000000");
    /* (10^38 - 1) + 1 overflows DECIMAL(38, 0) */
    cr_assert_not(wr_decimal_add(max38, 0, 1, 0, 38, 0, &r));
    /* aligning 10^38 - 1 to a scale of 10 passes 128 bits on the way; the result fits */
    wr_int128 frac = dec("9999999999999999999999999999.9999999999", 38, 10);
    cr_assert(wr_decimal_sub(max38, 0, frac, 10, 38, 0, &r));
    cr_assert_str_eq(text(r, 0, b), "99999999989999999999999999999999999999");
    /* a quotient whose scaled dividend passes 256 bits is an overflow, not garbage */
    cr_assert_not(wr_decimal_div(max38, 0, 1, 38, 38, 6, &r));
}

Test(decimal, compare_is_exact_across_scales)
{
    wr_int128 max38 = dec("99999999999999999999999999999999999999", 38, 0);
    cr_assert_eq(wr_decimal_cmp(150, 2, 15, 1), 0);
    cr_assert_eq(wr_decimal_cmp(151, 2, 15, 1), 1);
    cr_assert_eq(wr_decimal_cmp(-151, 2, -15, 1), -1);
    cr_assert_eq(wr_decimal_cmp(-1, 0, 1, 38), -1);
    /* 10^38 - 1 against 0.99...9 (38 nines) */
    cr_assert_eq(wr_decimal_cmp(max38, 0, max38, 38), 1);
    cr_assert_eq(wr_decimal_cmp(max38, 38, 1, 0), -1);
}

Test(decimal, conversions)
{
    char b[64];
    wr_int128 r;
    cr_assert(wr_decimal_from_double(0.1, 5, 3, &r));
    cr_assert_str_eq(text(r, 3, b), "0.100");
    cr_assert(wr_decimal_from_double(2.675, 5, 2, &r)); /* Double.toString is 2.675: HALF_UP */
    cr_assert_str_eq(text(r, 2, b), "2.68");
    cr_assert_not(wr_decimal_from_double(NAN, 5, 2, &r));
    cr_assert_not(wr_decimal_from_double(1e10, 5, 2, &r));
    cr_assert(wr_decimal_from_int(-42, 5, 2, &r));
    cr_assert_str_eq(text(r, 2, b), "-42.00");
    cr_assert_not(wr_decimal_from_int(1000, 5, 2, &r));
    cr_assert_eq(wr_decimal_to_int64(-259, 2), -2);
    cr_assert_eq(wr_decimal_to_int64(259, 2), 2);
    cr_assert(wr_decimal_to_double(15, 1) == 1.5);
    cr_assert(fabs(wr_decimal_to_double(dec("12345678901234567890.123", 23, 3), 3) -
                   12345678901234567890.123) < 1e5);
    cr_assert(wr_decimal_rescale(12345, 3, 1, 5, &r));
    cr_assert_str_eq(text(r, 1, b), "12.3");
    cr_assert_not(wr_decimal_rescale(12345, 0, 2, 6, &r));
}

/* ---- typing and kernels ----------------------------------------------------------- */

static wr_expr *dlit(const char *s, int p, int sc)
{
    return wr_expr_decimal(wr_type_decimal(p, sc, false), dec(s, p, sc), 0);
}

static wr_expr *ilit(int v)
{
    return wr_expr_int64(wr_type_make(WR_TYPE_INT, false), v, 0);
}

/* Binds a op b, evaluates it on one row and returns its type and text (NULL -> "NULL"). */
static wr_type run(wr_ast_op op, wr_expr *a, wr_expr *b, char *out)
{
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_bind_binary(op, a, b, 0, &err);
    cr_assert_not_null(e, "%s", err.msg);
    wr_batch *in = wr_batch_new(NULL, 0, 1);
    in->count = 1;
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_eval ev = {&arena, 1};
    wr_vector v;
    cr_assert_eq(wr_expr_eval(&ev, e, in, NULL, 1, &v, &err), 0, "%s", err.msg);
    wr_buf b2;
    wr_buf_init(&b2);
    wr_vector_format(&v, 0, WR_FORMAT_SQL, &b2);
    snprintf(out, 64, "%s", b2.data);
    wr_buf_fini(&b2);
    wr_type t = e->type;
    wr_expr_free(e);
    wr_arena_fini(&arena);
    wr_batch_free(in);
    return t;
}

static void assert_type(wr_type t, int p, int s)
{
    char n[64];
    cr_assert(t.id == WR_TYPE_DECIMAL && t.length == p && t.scale == s, "got %s, want (%d, %d)",
              wr_type_name(t, n, sizeof(n)), p, s);
}

Test(decimal, result_types_follow_flink)
{
    char out[64];
    /* DECIMAL(5, 2) + DECIMAL(3, 1) -> (6, 2) */
    assert_type(run(WR_OP_ADD, dlit("123.45", 5, 2), dlit("12.5", 3, 1), out), 6, 2);
    cr_assert_str_eq(out, "135.95");
    /* DECIMAL(5, 2) * INT -> DECIMAL(5, 2) * DECIMAL(10, 0) -> (16, 2) */
    assert_type(run(WR_OP_MUL, dlit("1.25", 5, 2), ilit(3), out), 16, 2);
    cr_assert_str_eq(out, "3.75");
    /* DECIMAL(2, 1) / DECIMAL(10, 0): scale max(6, 1 + 10 + 1) = 12, precision 2 - 1 + 0 + 12 */
    assert_type(run(WR_OP_DIV, dlit("1.0", 2, 1), ilit(3), out), 13, 12);
    cr_assert_str_eq(out, "0.333333333333");
    /* INT % DECIMAL(2, 1): scale 1, precision min(10, 1) + 1 */
    assert_type(run(WR_OP_MOD, ilit(7), dlit("2.5", 2, 1), out), 2, 1);
    cr_assert_str_eq(out, "2.0");
    /* past 38 digits: (38, 10) + (38, 10) -> (38, 9), rounded HALF_UP */
    assert_type(run(WR_OP_ADD, dlit("1.0123456789", 38, 10), dlit("1", 38, 10), out), 38, 9);
    cr_assert_str_eq(out, "2.012345679");
    /* (38, 0) * INT -> (38, 0): an overflow is NULL */
    assert_type(
        run(WR_OP_MUL, dlit("99999999999999999999999999999999999999", 38, 0), ilit(10), out), 38,
        0);
    cr_assert_str_eq(out, "NULL");
    /* DECIMAL with DOUBLE is DOUBLE */
    wr_type t = run(WR_OP_ADD, dlit("1.5", 2, 1),
                    wr_expr_double(wr_type_make(WR_TYPE_DOUBLE, false), 1, 0), out);
    cr_assert_eq(t.id, WR_TYPE_DOUBLE);
    cr_assert_str_eq(out, "2.5");
    /* comparison across scales and with an integer */
    run(WR_OP_EQ, dlit("1.50", 3, 2), dlit("1.5", 2, 1), out);
    cr_assert_str_eq(out, "TRUE");
    run(WR_OP_LT, ilit(1), dlit("1.01", 3, 2), out);
    cr_assert_str_eq(out, "TRUE");
}

Test(decimal, common_type_holds_both_operands)
{
    wr_type c;
    cr_assert(wr_type_common(wr_type_decimal(5, 2, false), wr_type_make(WR_TYPE_INT, false), &c));
    assert_type(c, 12, 2);
    cr_assert(wr_type_common(wr_type_decimal(38, 10, false), wr_type_decimal(38, 0, true), &c));
    assert_type(c, 38, 0); /* whole digits win */
    cr_assert(c.nullable);
    cr_assert(wr_type_common(wr_type_decimal(5, 2, false), wr_type_make(WR_TYPE_FLOAT, false), &c));
    cr_assert_eq(c.id, WR_TYPE_DOUBLE);
    cr_assert_not(
        wr_type_common(wr_type_decimal(5, 2, false), wr_type_make(WR_TYPE_VARCHAR, false), &c));
}

Test(decimal, division_by_zero_fails_and_rows_keep_their_own_nulls)
{
    wr_type t = wr_type_decimal(10, 2, true);
    wr_batch *in = wr_batch_new((wr_type[]){t, t}, 2, WR_BATCH_CAPACITY);
    wr_int128 *x = in->cols[0].data, *y = in->cols[1].data;
    x[0] = 100, y[0] = 300; /* 1.00 / 3.00 */
    x[1] = 100, y[1] = 0;   /* NULL divisor: no error */
    x[2] = 500, y[2] = 200; /* 5.00 / 2.00 */
    in->count = 3;
    wr_batch_set_null(in, 1, 1);
    wr_error err;
    wr_error_init(&err);
    wr_expr *e =
        wr_bind_binary(WR_OP_DIV, wr_expr_column(0, t, 0), wr_expr_column(1, t, 0), 0, &err);
    cr_assert_not_null(e, "%s", err.msg);
    assert_type(e->type, 23, 13);
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_eval ev = {&arena, in->count};
    wr_vector v;
    cr_assert_eq(wr_expr_eval(&ev, e, in, NULL, 3, &v, &err), 0, "%s", err.msg);
    cr_assert(wr_vector_is_null(&v, 1));
    char b[64];
    cr_assert_str_eq(text(((wr_int128 *)v.data)[0], 13, b), "0.3333333333333");
    cr_assert_str_eq(text(((wr_int128 *)v.data)[2], 13, b), "2.5000000000000");
    /* a zero divisor in a present row is an error */
    y[1] = 0;
    wr_validity_set(in->cols[1].validity, 1, true);
    cr_assert_neq(wr_expr_eval(&ev, e, in, NULL, 3, &v, &err), 0);
    cr_assert_str_eq(err.msg, "division by zero");
    wr_expr_free(e);
    wr_arena_fini(&arena);
    wr_batch_free(in);
}

Test(decimal, batches_and_the_row_codec_keep_all_16_bytes)
{
    wr_type types[2] = {wr_type_decimal(38, 4, true), wr_type_make(WR_TYPE_VARBINARY, true)};
    wr_batch *src = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    wr_int128 big = -dec("12345678901234567890123456789012.3456", 38, 4);
    ((wr_int128 *)src->cols[0].data)[0] = big;
    ((wr_str *)src->cols[1].data)[0] = wr_batch_str(src, "\x00\xff\x10", 3);
    ((wr_int128 *)src->cols[0].data)[1] = 0;
    wr_batch_set_null(src, 1, 1);
    src->count = 2;
    wr_batch *copy = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    wr_batch_append_rows(copy, src, (uint32_t[]){0, 1}, 2);
    wr_batch *back = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    wr_buf enc;
    wr_buf_init(&enc);
    wr_error err;
    wr_error_init(&err);
    for (int r = 0; r < 2; r++) {
        wr_buf_reset(&enc);
        wr_row_encode(copy, r, (int[]){0, 1}, 2, &enc);
        cr_assert_eq(wr_row_decode_append(back, (const uint8_t *)enc.data, enc.len, &err),
                     (int)enc.len, "%s", err.msg);
    }
    wr_batch_free(src);
    wr_batch_free(copy);
    wr_buf out;
    wr_buf_init(&out);
    wr_batch_format_row(back, 0, &out);
    wr_buf_putc(&out, '\n');
    wr_batch_format_row(back, 1, &out);
    cr_assert_str_eq(out.data, "+I[-12345678901234567890123456789012.3456, [0, -1, 16]]\n"
                               "+I[0.0000, null]");
    wr_buf_reset(&out);
    wr_vector_format(&back->cols[1], 0, WR_FORMAT_SQL, &out);
    cr_assert_str_eq(out.data, "x'00ff10'");
    wr_buf_fini(&out);
    wr_buf_fini(&enc);
    wr_batch_free(back);
}
