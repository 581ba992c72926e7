/*
 * decimal.c — DECIMAL arithmetic; see decimal.h.
 *
 * Values have at most 38 digits, so an operand scaled to another's scale or a
 * product of two operands has at most 77 digits and fits 256 bits. Every
 * operation works on sign and magnitude: the magnitude in a small unsigned
 * 256-bit integer (four 64-bit limbs, least significant first), rounded HALF_UP
 * (ties away from zero) on the magnitude, then the sign put back. Values that
 * fit 128 bits take native paths first.
 */
#include "decimal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

typedef struct u256 {
    uint64_t w[4];
} u256;

static const uint64_t pow10_u64[20] = {1ULL,
                                       10ULL,
                                       100ULL,
                                       1000ULL,
                                       10000ULL,
                                       100000ULL,
                                       1000000ULL,
                                       10000000ULL,
                                       100000000ULL,
                                       1000000000ULL,
                                       10000000000ULL,
                                       100000000000ULL,
                                       1000000000000ULL,
                                       10000000000000ULL,
                                       100000000000000ULL,
                                       1000000000000000ULL,
                                       10000000000000000ULL,
                                       100000000000000000ULL,
                                       1000000000000000000ULL,
                                       10000000000000000000ULL};

static u128 pow10_u128(int n)
{
    u128 r = 1;
    while (n > 0) {
        int step = n > 19 ? 19 : n;
        r *= pow10_u64[step];
        n -= step;
    }
    return r;
}

wr_int128 wr_decimal_pow10(int n)
{
    assert(n >= 0 && n <= WR_DECIMAL_MAX_PRECISION);
    return (wr_int128)pow10_u128(n);
}

static u128 magnitude(wr_int128 v)
{
    return v < 0 ? 0 - (u128)v : (u128)v;
}

bool wr_decimal_fits(wr_int128 v, int precision)
{
    return magnitude(v) < pow10_u128(precision);
}

/* ---- 256-bit magnitudes ------------------------------------------------------ */

static u256 u256_of(u128 x)
{
    u256 r = {{(uint64_t)x, (uint64_t)(x >> 64), 0, 0}};
    return r;
}

static bool u256_is128(const u256 *a)
{
    return a->w[2] == 0 && a->w[3] == 0;
}

static u128 u256_low(const u256 *a)
{
    return ((u128)a->w[1] << 64) | a->w[0];
}

/* a *= m; false on overflow. */
static bool u256_mul_small(u256 *a, uint64_t m)
{
    u128 carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 t = (u128)a->w[i] * m + carry;
        a->w[i] = (uint64_t)t;
        carry = t >> 64;
    }
    return carry == 0;
}

/* a *= 10^k; false on overflow. */
static bool u256_mul_pow10(u256 *a, int k)
{
    while (k > 0) {
        int step = k > 19 ? 19 : k;
        if (!u256_mul_small(a, pow10_u64[step])) return false;
        k -= step;
    }
    return true;
}

static u256 u256_mul(u128 x, u128 y)
{
    uint64_t a[2] = {(uint64_t)x, (uint64_t)(x >> 64)};
    uint64_t b[2] = {(uint64_t)y, (uint64_t)(y >> 64)};
    u256 r = {{0, 0, 0, 0}};
    for (int i = 0; i < 2; i++) {
        u128 carry = 0;
        for (int j = 0; j < 2; j++) {
            u128 t = (u128)a[i] * b[j] + r.w[i + j] + carry;
            r.w[i + j] = (uint64_t)t;
            carry = t >> 64;
        }
        r.w[i + 2] = (uint64_t)carry;
    }
    return r;
}

static int u256_cmp(const u256 *a, const u256 *b)
{
    for (int i = 3; i >= 0; i--)
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

/* a += b; false on overflow. */
static bool u256_add(u256 *a, const u256 *b)
{
    u128 carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 t = (u128)a->w[i] + b->w[i] + carry;
        a->w[i] = (uint64_t)t;
        carry = t >> 64;
    }
    return carry == 0;
}

/* a -= b, with a >= b. */
static void u256_sub(u256 *a, const u256 *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t x = a->w[i], y = b->w[i];
        uint64_t d = x - y - borrow;
        borrow = (x < y) || (x == y && borrow) ? 1 : 0;
        a->w[i] = d;
    }
}

static void u256_shl1(u256 *a)
{
    for (int i = 3; i > 0; i--) a->w[i] = (a->w[i] << 1) | (a->w[i - 1] >> 63);
    a->w[0] <<= 1;
}

/* q = a / b, r = a % b (b != 0): binary long division, native when both fit 128 bits. */
static void u256_divmod(const u256 *a, const u256 *b, u256 *q, u256 *r)
{
    if (u256_is128(a) && u256_is128(b)) {
        u128 x = u256_low(a), y = u256_low(b);
        *q = u256_of(x / y);
        *r = u256_of(x % y);
        return;
    }
    u256 quot = {{0, 0, 0, 0}}, rem = {{0, 0, 0, 0}};
    for (int bit = 255; bit >= 0; bit--) {
        u256_shl1(&rem);
        rem.w[0] |= (a->w[bit / 64] >> (bit % 64)) & 1;
        if (u256_cmp(&rem, b) >= 0) {
            u256_sub(&rem, b);
            quot.w[bit / 64] |= (uint64_t)1 << (bit % 64);
        }
    }
    *q = quot;
    *r = rem;
}

/* a / 10^k rounded HALF_UP on the magnitude. */
static u256 u256_div_pow10_round(const u256 *a, int k)
{
    if (k == 0) return *a;
    u256 d = u256_of(1);
    if (!u256_mul_pow10(&d, k)) return u256_of(0); /* 10^k beyond 256 bits: a is smaller */
    u256 q, r;
    u256_divmod(a, &d, &q, &r);
    /* Round up when 2r >= d. */
    u256 twice = r;
    bool big = !u256_add(&twice, &r);
    if (big || u256_cmp(&twice, &d) >= 0) {
        u256 one = u256_of(1);
        u256_add(&q, &one);
    }
    return q;
}

/*
 * The signed result of a magnitude at scale `scale`, rounded to scale rs (<= scale) and checked
 * against rp digits.
 */
static bool finish(bool neg, u256 mag, int scale, int rp, int rs, wr_int128 *out)
{
    if (rs < scale) mag = u256_div_pow10_round(&mag, scale - rs);
    if (!u256_is128(&mag)) return false;
    u128 m = u256_low(&mag);
    if (m >= pow10_u128(rp)) return false;
    *out = neg ? -(wr_int128)m : (wr_int128)m;
    return true;
}

/* ---- operations --------------------------------------------------------------- */

bool wr_decimal_rescale(wr_int128 v, int from, int to, int precision, wr_int128 *out)
{
    u256 mag = u256_of(magnitude(v));
    if (to > from && !u256_mul_pow10(&mag, to - from)) return false;
    return finish(v<0, mag, to> from ? to : from, precision, to, out);
}

/* The magnitudes of a and b aligned to the larger scale (at most 77 digits: they fit); returns
 * that scale. */
static int align(wr_int128 a, int sa, wr_int128 b, int sb, u256 *ma, u256 *mb)
{
    int s = sa > sb ? sa : sb;
    *ma = u256_of(magnitude(a));
    *mb = u256_of(magnitude(b));
    u256_mul_pow10(ma, s - sa); /* at most 38 + 38 digits: fits */
    u256_mul_pow10(mb, s - sb);
    return s;
}

static bool add_signed(wr_int128 a, int sa, wr_int128 b, bool b_neg, int sb, int rp, int rs,
                       wr_int128 *out)
{
    int s = sa > sb ? sa : sb;
    if (rs == s) {
        /* Native path: both aligned without overflow. */
        wr_int128 x, y, z;
        wr_int128 bb = b_neg ? -b : b;
        if (!__builtin_mul_overflow(a, wr_decimal_pow10(s - sa), &x) &&
            !__builtin_mul_overflow(bb, wr_decimal_pow10(s - sb), &y) &&
            !__builtin_add_overflow(x, y, &z)) {
            if (!wr_decimal_fits(z, rp)) return false;
            *out = z;
            return true;
        }
    }
    u256 ma, mb;
    align(a, sa, b, sb, &ma, &mb);
    bool na = a < 0, nb = (b < 0) != b_neg;
    bool neg;
    if (na == nb) {
        u256_add(&ma, &mb); /* < 2 * 10^76: fits */
        neg = na;
    } else if (u256_cmp(&ma, &mb) >= 0) {
        u256_sub(&ma, &mb);
        neg = na;
    } else {
        u256_sub(&mb, &ma);
        ma = mb;
        neg = nb;
    }
    return finish(neg, ma, s, rp, rs, out);
}

bool wr_decimal_add(wr_int128 a, int sa, wr_int128 b, int sb, int rp, int rs, wr_int128 *out)
{
    return add_signed(a, sa, b, false, sb, rp, rs, out);
}

bool wr_decimal_sub(wr_int128 a, int sa, wr_int128 b, int sb, int rp, int rs, wr_int128 *out)
{
    return add_signed(a, sa, b, true, sb, rp, rs, out);
}

bool wr_decimal_mul(wr_int128 a, int sa, wr_int128 b, int sb, int rp, int rs, wr_int128 *out)
{
    int s = sa + sb;
    wr_int128 z;
    if (rs == s && !__builtin_mul_overflow(a, b, &z)) {
        if (!wr_decimal_fits(z, rp)) return false;
        *out = z;
        return true;
    }
    u256 m = u256_mul(magnitude(a), magnitude(b));
    bool neg = (a < 0) != (b < 0);
    if (rs > s) {
        if (!u256_mul_pow10(&m, rs - s)) return false;
        s = rs;
    }
    return finish(neg, m, s, rp, rs, out);
}

bool wr_decimal_div(wr_int128 a, int sa, wr_int128 b, int sb, int rp, int rs, wr_int128 *out)
{
    assert(b != 0);
    /* q = a * 10^(rs - sa + sb) / b, with one more digit kept for rounding. */
    int k = rs - sa + sb + 1;
    u256 num = u256_of(magnitude(a)), den = u256_of(magnitude(b));
    if (k >= 0) {
        /* Past 256 bits the quotient (den < 10^38) has more than 38 digits anyway. */
        if (!u256_mul_pow10(&num, k)) return false;
    } else {
        if (!u256_mul_pow10(&den, -k)) {
            *out = 0;
            return true;
        }
    }
    u256 q, r;
    u256_divmod(&num, &den, &q, &r);
    /* q has one digit too many: round it away HALF_UP. The remainder only matters for exact ties,
     * and a tie at that digit (5) rounds up whatever follows. */
    return finish((a < 0) != (b < 0), q, rs + 1, rp, rs, out);
}

bool wr_decimal_mod(wr_int128 a, int sa, wr_int128 b, int sb, int rp, int rs, wr_int128 *out)
{
    assert(b != 0);
    u256 ma, mb, q, r;
    int s = align(a, sa, b, sb, &ma, &mb);
    u256_divmod(&ma, &mb, &q, &r);
    if (rs > s) {
        if (!u256_mul_pow10(&r, rs - s)) return false;
        s = rs;
    }
    return finish(a < 0, r, s, rp, rs, out);
}

int wr_decimal_cmp(wr_int128 a, int sa, wr_int128 b, int sb)
{
    if (sa == sb) return a < b ? -1 : a > b;
    bool na = a < 0, nb = b < 0;
    if (na != nb) return na ? -1 : 1;
    u256 ma, mb;
    align(a, sa, b, sb, &ma, &mb);
    int c = u256_cmp(&ma, &mb);
    return na ? -c : c;
}

/* ---- text ------------------------------------------------------------------------ */

int wr_decimal_parse(const char *s, size_t len, int precision, int scale, wr_int128 *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    /* Significant digits (leading zeros dropped), and how many came after the point. */
    const char *digits = NULL;
    int ndigits = 0, frac = 0, seen = 0;
    bool point = false;
    size_t first = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '.' && !point) {
            point = true;
            continue;
        }
        if (c < '0' || c > '9') break;
        seen++;
        if (point) frac++;
        if (ndigits == 0 && c == '0') continue;
        if (ndigits == 0) first = i;
        ndigits++;
    }
    if (seen == 0) return -1;
    int64_t exp = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i >= len) return -1;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (exp < 100000) exp = exp * 10 + (s[i] - '0');
        if (eneg) exp = -exp;
    }
    if (i != len) return -1;
    if (ndigits) digits = s + first;
    /* value = D * 10^(exp - frac); unscaled = D * 10^shift. */
    int64_t shift = exp - frac + scale;
    int64_t kept = ndigits + (shift < 0 ? shift : 0);
    if (ndigits == 0 || kept < 0) {
        *out = 0;
        return 0;
    }
    if (kept + (shift > 0 ? shift : 0) > precision) return -2;
    u128 v = 0;
    int taken = 0;
    bool round_up = false;
    for (size_t k = 0; digits && taken <= kept && k < len - (size_t)(digits - s); k++) {
        char c = digits[k];
        if (c == '.') continue;
        if (c < '0' || c > '9') break;
        if (taken == kept) {
            round_up = c >= '5';
            break;
        }
        v = v * 10 + (u128)(c - '0');
        taken++;
    }
    if (round_up) v++;
    if (shift > 0) v *= pow10_u128((int)shift);
    if (v >= pow10_u128(precision)) return -2;
    *out = neg ? -(wr_int128)v : (wr_int128)v;
    return 0;
}

/* The decimal digits of x into buf (no terminator); returns their count. */
static int u128_digits(u128 x, char *buf)
{
    char tmp[48];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(x % 10));
        x /= 10;
    } while (x);
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    return n;
}

void wr_decimal_format(wr_int128 v, int scale, wr_buf *out)
{
    char d[48];
    int n = u128_digits(magnitude(v), d);
    if (v < 0) wr_buf_putc(out, '-');
    if (n <= scale) {
        wr_buf_putc(out, '0');
        wr_buf_putc(out, '.');
        for (int i = n; i < scale; i++) wr_buf_putc(out, '0');
        wr_buf_append(out, d, (size_t)n);
        return;
    }
    wr_buf_append(out, d, (size_t)(n - scale));
    if (scale > 0) {
        wr_buf_putc(out, '.');
        wr_buf_append(out, d + n - scale, (size_t)scale);
    }
}

void wr_decimal_format_java(wr_int128 v, int scale, wr_buf *out)
{
    char d[48];
    int n = u128_digits(magnitude(v), d);
    int adjusted = -scale + (n - 1);
    if (adjusted >= -6) {
        wr_decimal_format(v, scale, out);
        return;
    }
    if (v < 0) wr_buf_putc(out, '-');
    wr_buf_putc(out, d[0]);
    if (n > 1) {
        wr_buf_putc(out, '.');
        wr_buf_append(out, d + 1, (size_t)(n - 1));
    }
    wr_buf_printf(out, "E%d", adjusted);
}

/* ---- conversions ------------------------------------------------------------------ */

double wr_decimal_to_double(wr_int128 v, int scale)
{
    /* Powers of ten that are exact doubles. */
    static const double exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    u128 m = magnitude(v);
    if (m < ((u128)1 << 53) && scale <= 22) {
        /* Both exact doubles: one correctly rounded division. */
        double d = (double)m / exact[scale];
        return v < 0 ? -d : d;
    }
    wr_buf b;
    wr_buf_init(&b);
    wr_decimal_format(v, scale, &b);
    double d = strtod(b.data, NULL);
    wr_buf_fini(&b);
    return d;
}

bool wr_decimal_from_double(double d, int precision, int scale, wr_int128 *out)
{
    if (!isfinite(d)) return false;
    /* Java's Double.toString digits: the shortest that read back to d. */
    char text[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(text, sizeof(text), "%.*e", p - 1, d);
        if (strtod(text, NULL) == d) break;
    }
    return wr_decimal_parse(text, strlen(text), precision, scale, out) == 0;
}

bool wr_decimal_from_int(int64_t v, int precision, int scale, wr_int128 *out)
{
    wr_int128 x = (wr_int128)v * wr_decimal_pow10(scale); /* |v| < 2^63, 10^38: fits */
    if (!wr_decimal_fits(x, precision)) return false;
    *out = x;
    return true;
}

int64_t wr_decimal_to_int64(wr_int128 v, int scale)
{
    wr_int128 whole = v / wr_decimal_pow10(scale);
    return (int64_t)(uint64_t)(u128)whole;
}
