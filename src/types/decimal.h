/*
 * decimal.h — DECIMAL(p, s) values: exact arithmetic, rounding, text.
 *
 * A value is its unscaled integer (wr_int128) read with the scale of its
 * type: 1.50 in DECIMAL(5, 2) is 150. Operands of an operation may have
 * different scales; the caller names the result's precision and scale (the
 * typing rules in sql/typing.c pick them as Flink does). Intermediate results
 * are computed exactly in 256 bits, then rounded HALF_UP to the result scale.
 * A result that needs more digits than the result precision is an overflow:
 * the functions return false and Flink's rule makes the value NULL.
 */
#ifndef WR_DECIMAL_H
#define WR_DECIMAL_H

#include "types.h"

/* 10^n for n in 0..38. */
wr_int128 wr_decimal_pow10(int n);

/* Whether |v| < 10^precision. */
bool wr_decimal_fits(wr_int128 v, int precision);

/*
 * v (at scale from) at scale to in *out, rounding HALF_UP when to < from.
 * False when the result does not fit precision digits.
 */
bool wr_decimal_rescale(wr_int128 v, int from, int to, int precision, wr_int128 *out);

/*
 * a (scale sa) op b (scale sb) at result precision rp and scale rs.
 * False on overflow (more than rp digits). Division and remainder need b != 0.
 */
bool wr_decimal_add(wr_int128 a, int sa, wr_int128 b, int sb, int rp, int rs, wr_int128 *out);
bool wr_decimal_sub(wr_int128 a, int sa, wr_int128 b, int sb, int rp, int rs, wr_int128 *out);
bool wr_decimal_mul(wr_int128 a, int sa, wr_int128 b, int sb, int rp, int rs, wr_int128 *out);
bool wr_decimal_div(wr_int128 a, int sa, wr_int128 b, int sb, int rp, int rs, wr_int128 *out);
/* The remainder takes the sign of a, as Java's BigDecimal.remainder. */
bool wr_decimal_mod(wr_int128 a, int sa, wr_int128 b, int sb, int rp, int rs, wr_int128 *out);

/* -1, 0 or 1 as a (scale sa) is less than, equal to or greater than b (scale sb); exact. */
int wr_decimal_cmp(wr_int128 a, int sa, wr_int128 b, int sb);

/*
 * Parses a decimal number ([+-]digits[.digits][e[+-]digits], also '.5' and
 * '5.'; no blanks) to the given precision and scale, rounding HALF_UP.
 * Returns 0, -1 when the text is not a number, -2 when it has more whole
 * digits than the type allows.
 */
int wr_decimal_parse(const char *s, size_t len, int precision, int scale, wr_int128 *out);

/* Plain text with exactly scale fraction digits: '1.50', '-0.05', '12' (BigDecimal.toPlainString;
 * Flink's CAST to STRING). */
void wr_decimal_format(wr_int128 v, int scale, wr_buf *out);
/* Java's BigDecimal.toString(): plain unless the exponent is below -6 ('1E-7', '0E-10'); the
 * print sink's form. */
void wr_decimal_format_java(wr_int128 v, int scale, wr_buf *out);

/* Conversions to and from other numbers. */
double wr_decimal_to_double(wr_int128 v, int scale);
/* As Java's BigDecimal.valueOf(d).setScale(scale, HALF_UP); false for NaN, infinities and values
 * that do not fit precision digits. */
bool wr_decimal_from_double(double d, int precision, int scale, wr_int128 *out);
/* v * 10^scale; false when it does not fit precision digits. */
bool wr_decimal_from_int(int64_t v, int precision, int scale, wr_int128 *out);
/* The whole part, truncated towards zero and wrapped to 64 bits (Java's BigDecimal.longValue()). */
int64_t wr_decimal_to_int64(wr_int128 v, int scale);

#endif
