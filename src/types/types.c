/*
 * types.c — type names, widening rules and the text forms of values.
 */
#include "types.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t wr_type_width(wr_type_id id)
{
    switch (id) {
    case WR_TYPE_NULL:
    case WR_TYPE_BOOLEAN:
    case WR_TYPE_TINYINT:
        return 1;
    case WR_TYPE_SMALLINT:
        return 2;
    case WR_TYPE_INT:
    case WR_TYPE_FLOAT:
        return 4;
    case WR_TYPE_BIGINT:
    case WR_TYPE_DOUBLE:
    case WR_TYPE_TIMESTAMP:
        return 8;
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR:
        return sizeof(wr_str);
    case WR_TYPE_COUNT_:
        break;
    }
    return 8;
}

void wr_type_format(wr_type type, wr_buf *out)
{
    switch ((wr_type_id)type.id) {
    case WR_TYPE_NULL:
        wr_buf_puts(out, "NULL");
        break;
    case WR_TYPE_BOOLEAN:
        wr_buf_puts(out, "BOOLEAN");
        break;
    case WR_TYPE_TINYINT:
        wr_buf_puts(out, "TINYINT");
        break;
    case WR_TYPE_SMALLINT:
        wr_buf_puts(out, "SMALLINT");
        break;
    case WR_TYPE_INT:
        wr_buf_puts(out, "INT");
        break;
    case WR_TYPE_BIGINT:
        wr_buf_puts(out, "BIGINT");
        break;
    case WR_TYPE_FLOAT:
        wr_buf_puts(out, "FLOAT");
        break;
    case WR_TYPE_DOUBLE:
        wr_buf_puts(out, "DOUBLE");
        break;
    case WR_TYPE_CHAR:
        wr_buf_printf(out, "CHAR(%d)", type.length);
        break;
    case WR_TYPE_VARCHAR:
        if (type.length == WR_VARCHAR_MAX)
            wr_buf_puts(out, "STRING");
        else
            wr_buf_printf(out, "VARCHAR(%d)", type.length);
        break;
    case WR_TYPE_TIMESTAMP:
        wr_buf_printf(out, "TIMESTAMP(%d)", type.length);
        break;
    case WR_TYPE_COUNT_:
        break;
    }
    if (!type.nullable && type.id != WR_TYPE_NULL) wr_buf_puts(out, " NOT NULL");
}

const char *wr_type_name(wr_type type, char *buf, size_t size)
{
    wr_buf b;
    wr_buf_init(&b);
    wr_type_format(type, &b);
    snprintf(buf, size, "%s", b.data);
    wr_buf_fini(&b);
    return buf;
}

bool wr_type_equal(wr_type a, wr_type b)
{
    return a.id == b.id && a.nullable == b.nullable && a.length == b.length;
}

bool wr_type_common(wr_type a, wr_type b, wr_type *out)
{
    bool nullable = a.nullable || b.nullable;
    if (a.id == WR_TYPE_NULL) {
        *out = b;
        out->nullable = true;
        return true;
    }
    if (b.id == WR_TYPE_NULL) {
        *out = a;
        out->nullable = true;
        return true;
    }
    if (wr_type_is_numeric(a.id) && wr_type_is_numeric(b.id)) {
        wr_type_id id = a.id > b.id ? a.id : b.id;
        /* FLOAT combined with any other numeric other than FLOAT becomes DOUBLE. */
        if (id == WR_TYPE_FLOAT && a.id != b.id) id = WR_TYPE_DOUBLE;
        *out = wr_type_make(id, nullable);
        return true;
    }
    if (wr_type_is_string(a.id) && wr_type_is_string(b.id)) {
        if (a.id == WR_TYPE_CHAR && b.id == WR_TYPE_CHAR) {
            *out = wr_type_make(WR_TYPE_CHAR, nullable);
            out->length = WR_MAX(a.length, b.length);
        } else {
            *out = wr_type_make(WR_TYPE_VARCHAR, nullable);
            out->length = WR_MAX(a.length, b.length);
        }
        return true;
    }
    if (a.id == b.id) {
        *out = a;
        out->nullable = nullable;
        if (a.id == WR_TYPE_TIMESTAMP) out->length = WR_MAX(a.length, b.length);
        return true;
    }
    return false;
}

/* ---- timestamps --------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int read_digits(const char *s, size_t len, size_t *i, int min, int max, int64_t *v)
{
    int n = 0;
    *v = 0;
    while (*i < len && n < max && s[*i] >= '0' && s[*i] <= '9') {
        *v = *v * 10 + (s[*i] - '0');
        (*i)++;
        n++;
    }
    return n >= min ? 0 : -1;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int wr_timestamp_parse(const char *s, size_t len, int64_t *micros)
{
    size_t i = 0;
    while (i < len && s[i] == ' ') i++;
    while (len > i && s[len - 1] == ' ') len--;
    int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
    if (read_digits(s, len, &i, 4, 4, &y) || i >= len || s[i++] != '-') return -1;
    if (read_digits(s, len, &i, 1, 2, &mo) || i >= len || s[i++] != '-') return -1;
    if (read_digits(s, len, &i, 1, 2, &d)) return -1;
    if (i < len) {
        if (s[i] != ' ' && s[i] != 'T') return -1;
        i++;
        if (read_digits(s, len, &i, 1, 2, &h) || i >= len || s[i++] != ':') return -1;
        if (read_digits(s, len, &i, 1, 2, &mi)) return -1;
        if (i < len) {
            if (s[i++] != ':' || read_digits(s, len, &i, 1, 2, &sec)) return -1;
            if (i < len) {
                if (s[i++] != '.') return -1;
                int digits = 0;
                while (i < len && s[i] >= '0' && s[i] <= '9') {
                    if (digits < 6) frac = frac * 10 + (s[i] - '0');
                    digits++;
                    i++;
                }
                if (digits == 0 || digits > 9) return -1;
                for (int k = digits; k < 6; k++) frac *= 10;
            }
        }
    }
    if (i != len) return -1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1) return -1;
    if (d > mdays[mo - 1] + (mo == 2 && is_leap(y))) return -1;
    if (h > 23 || mi > 59 || sec > 59) return -1;
    int64_t days = days_from_civil(y, (int)mo, (int)d);
    *micros = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + frac;
    return 0;
}

static void split(int64_t micros, int64_t *y, int *mo, int *d, int *h, int *mi, int *s, int *us)
{
    int64_t days = micros / 86400000000LL;
    int64_t rem = micros % 86400000000LL;
    if (rem < 0) {
        rem += 86400000000LL;
        days--;
    }
    civil_from_days(days, y, mo, d);
    int64_t secs = rem / 1000000;
    *us = (int)(rem % 1000000);
    *h = (int)(secs / 3600);
    *mi = (int)(secs / 60 % 60);
    *s = (int)(secs % 60);
}

void wr_timestamp_format_sql(int64_t micros, int precision, wr_buf *out)
{
    int64_t y;
    int mo, d, h, mi, s, us;
    split(micros, &y, &mo, &d, &h, &mi, &s, &us);
    wr_buf_printf(out, "%04lld-%02d-%02d %02d:%02d:%02d", (long long)y, mo, d, h, mi, s);
    if (precision > 0) {
        char frac[16];
        snprintf(frac, sizeof(frac), "%06d000", us);
        wr_buf_putc(out, '.');
        wr_buf_append(out, frac, (size_t)WR_MIN(precision, 9));
    }
}

void wr_timestamp_format_iso(int64_t micros, wr_buf *out)
{
    int64_t y;
    int mo, d, h, mi, s, us;
    split(micros, &y, &mo, &d, &h, &mi, &s, &us);
    wr_buf_printf(out, "%04lld-%02d-%02dT%02d:%02d", (long long)y, mo, d, h, mi);
    if (s == 0 && us == 0) return;
    wr_buf_printf(out, ":%02d", s);
    if (us == 0) return;
    /* Java prints milliseconds, micros or nanos: 3, 6 or 9 digits. */
    if (us % 1000 == 0)
        wr_buf_printf(out, ".%03d", us / 1000);
    else
        wr_buf_printf(out, ".%06d", us);
}

void wr_double_format_java(double v, bool is_float, wr_buf *out)
{
    if (isnan(v)) {
        wr_buf_puts(out, "NaN");
        return;
    }
    if (isinf(v)) {
        wr_buf_puts(out, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (v == 0) {
        wr_buf_puts(out, signbit(v) ? "-0.0" : "0.0");
        return;
    }
    /* Shortest digits that read back to the same value. */
    char digits[40];
    int maxp = is_float ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(digits, sizeof(digits), "%.*e", p - 1, v);
        if (is_float ? (float)strtod(digits, NULL) == (float)v : strtod(digits, NULL) == v) break;
    }
    /* digits is [-]d.ddde[+-]xx; rebuild in Java's form. */
    const char *p = digits;
    bool neg = *p == '-';
    if (neg) p++;
    char mant[40];
    int nm = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.') mant[nm++] = *p;
    while (nm > 1 && mant[nm - 1] == '0') nm--;
    int exp = atoi(p + 1);
    if (neg) wr_buf_putc(out, '-');
    if (exp >= -3 && exp < 7) {
        if (exp < 0) {
            wr_buf_puts(out, "0.");
            for (int i = -1; i > exp; i--) wr_buf_putc(out, '0');
            wr_buf_append(out, mant, (size_t)nm);
        } else {
            for (int i = 0; i <= exp; i++) wr_buf_putc(out, i < nm ? mant[i] : '0');
            wr_buf_putc(out, '.');
            if (nm > exp + 1)
                wr_buf_append(out, mant + exp + 1, (size_t)(nm - exp - 1));
            else
                wr_buf_putc(out, '0');
        }
    } else {
        wr_buf_putc(out, mant[0]);
        wr_buf_putc(out, '.');
        if (nm > 1)
            wr_buf_append(out, mant + 1, (size_t)(nm - 1));
        else
            wr_buf_putc(out, '0');
        wr_buf_printf(out, "E%d", exp);
    }
}

void wr_timestamp_format_short(int64_t micros, wr_buf *out)
{
    wr_timestamp_format_sql(micros, 6, out);
    while (out->data[out->len - 1] == '0') out->len--;
    if (out->data[out->len - 1] == '.') out->len--;
    out->data[out->len] = '\0';
}
