/*
 * types.c — type names, widening rules and the text forms of dates, times,
 * timestamps, intervals, byte strings and floating-point numbers (DECIMAL's
 * are in decimal.c).
 */
#include "types.h"

#include "../base/alloc.h"
#include "nested.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t wr_type_widths[WR_TYPE_COUNT_] = {
    [WR_TYPE_NULL] = 1,
    [WR_TYPE_BOOLEAN] = 1,
    [WR_TYPE_TINYINT] = 1,
    [WR_TYPE_SMALLINT] = 2,
    [WR_TYPE_INT] = 4,
    [WR_TYPE_FLOAT] = 4,
    [WR_TYPE_DATE] = 4,
    [WR_TYPE_TIME] = 4,
    [WR_TYPE_INTERVAL_YM] = 4,
    [WR_TYPE_BIGINT] = 8,
    [WR_TYPE_DOUBLE] = 8,
    [WR_TYPE_TIMESTAMP] = 8,
    [WR_TYPE_TIMESTAMP_LTZ] = 8,
    [WR_TYPE_INTERVAL_DT] = 8,
    [WR_TYPE_DECIMAL] = sizeof(wr_int128),
    [WR_TYPE_CHAR] = sizeof(wr_str),
    [WR_TYPE_VARCHAR] = sizeof(wr_str),
    [WR_TYPE_BINARY] = sizeof(wr_str),
    [WR_TYPE_VARBINARY] = sizeof(wr_str),
    [WR_TYPE_ARRAY] = sizeof(wr_str),
    [WR_TYPE_MAP] = sizeof(wr_str),
    [WR_TYPE_MULTISET] = sizeof(wr_str),
    [WR_TYPE_ROW] = sizeof(wr_str),
};

/* ARRAY<INT>, MAP<STRING, INT>, MULTISET<INT>, ROW<`a` INT, `b` STRING> (Flink's spelling,
 * field names quoted). */
static void format_nested(wr_type type, wr_buf *out)
{
    const wr_nested *d = wr_type_nested(type);
    wr_buf_puts(out, type.id == WR_TYPE_ARRAY ? "ARRAY<"
                     : type.id == WR_TYPE_MAP ? "MAP<"
                     : type.id == WR_TYPE_ROW ? "ROW<"
                                              : "MULTISET<");
    for (int i = 0; i < d->nfields; i++) {
        if (i) wr_buf_puts(out, ", ");
        if (d->names) {
            wr_buf_putc(out, '`');
            for (const char *c = d->names[i]; *c; c++) {
                if (*c == '`') wr_buf_putc(out, '`');
                wr_buf_putc(out, *c);
            }
            wr_buf_puts(out, "` ");
        }
        wr_type_format(d->fields[i], out);
    }
    wr_buf_putc(out, '>');
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
    case WR_TYPE_DECIMAL:
        wr_buf_printf(out, "DECIMAL(%d, %d)", type.length, type.scale);
        break;
    case WR_TYPE_DATE:
        wr_buf_puts(out, "DATE");
        break;
    case WR_TYPE_TIME:
        wr_buf_printf(out, "TIME(%d)", type.length);
        break;
    case WR_TYPE_TIMESTAMP_LTZ:
        wr_buf_printf(out, "TIMESTAMP_LTZ(%d)", type.length);
        break;
    case WR_TYPE_INTERVAL_YM:
        wr_buf_puts(out, "INTERVAL MONTH");
        break;
    case WR_TYPE_INTERVAL_DT:
        wr_buf_printf(out, "INTERVAL SECOND(%d)", type.length);
        break;
    case WR_TYPE_BINARY:
        wr_buf_printf(out, "BINARY(%d)", type.length);
        break;
    case WR_TYPE_VARBINARY:
        if (type.length == WR_VARCHAR_MAX)
            wr_buf_puts(out, "BYTES");
        else
            wr_buf_printf(out, "VARBINARY(%d)", type.length);
        break;
    case WR_TYPE_ARRAY:
    case WR_TYPE_MAP:
    case WR_TYPE_MULTISET:
    case WR_TYPE_ROW:
        format_nested(type, out);
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
    return a.id == b.id && a.nullable == b.nullable && a.length == b.length && a.scale == b.scale;
}

wr_type wr_type_as_decimal(wr_type t)
{
    static const int digits[] = {
        [WR_TYPE_TINYINT] = 3, [WR_TYPE_SMALLINT] = 5, [WR_TYPE_INT] = 10, [WR_TYPE_BIGINT] = 19};
    if (t.id == WR_TYPE_DECIMAL || !wr_type_is_integer((wr_type_id)t.id)) return t;
    return wr_type_decimal(digits[t.id], 0, t.nullable);
}

/* Flink's createCommonExactNumericType for two DECIMALs: whole digits and scale of both, the
 * scale cut first when they do not fit 38 digits. */
static wr_type common_decimal(wr_type a, wr_type b, bool nullable)
{
    a = wr_type_as_decimal(a);
    b = wr_type_as_decimal(b);
    int d = WR_MAX(a.length - a.scale, b.length - b.scale);
    d = WR_MIN(d, WR_DECIMAL_MAX_PRECISION);
    int s = WR_MAX(a.scale, b.scale);
    s = WR_MIN(s, WR_DECIMAL_MAX_PRECISION - d);
    if (d + s == 0) d = 1;
    return wr_type_decimal(d + s, s, nullable);
}

static bool is_timestamp(wr_type_id id)
{
    return id == WR_TYPE_TIMESTAMP || id == WR_TYPE_TIMESTAMP_LTZ;
}

/* Nested types of one kind: the common type of each element, key, value or field (a ROW's
 * names are a's; both must have as many fields). */
static bool common_nested(wr_type a, wr_type b, bool nullable, wr_type *out)
{
    const wr_nested *da = wr_type_nested(a), *db = wr_type_nested(b);
    if (da->nfields != db->nfields) return false;
    wr_type *fields = wr_malloc((size_t)da->nfields * sizeof(wr_type));
    for (int i = 0; i < da->nfields; i++) {
        if (!wr_type_common(da->fields[i], db->fields[i], &fields[i])) {
            wr_free(fields);
            return false;
        }
        /* Elements and fields stay NOT NULL only when they are on both sides. */
        fields[i].nullable = da->fields[i].nullable || db->fields[i].nullable;
    }
    switch ((wr_type_id)a.id) {
    case WR_TYPE_ARRAY:
        *out = wr_type_array(fields[0], nullable);
        break;
    case WR_TYPE_MULTISET:
        *out = wr_type_multiset(fields[0], nullable);
        break;
    case WR_TYPE_MAP:
        *out = wr_type_map(fields[0], fields[1], nullable);
        break;
    default:
        *out = wr_type_row(fields, da->names, da->nfields, nullable);
        break;
    }
    wr_free(fields);
    return true;
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
    wr_type_id x = (wr_type_id)a.id, y = (wr_type_id)b.id;
    if (wr_type_is_numeric(x) && wr_type_is_numeric(y)) {
        wr_type_id id = x > y ? x : y;
        if (id == WR_TYPE_DECIMAL) {
            *out = common_decimal(a, b, nullable);
            return true;
        }
        /* FLOAT combined with any other numeric other than FLOAT becomes DOUBLE. */
        if (id == WR_TYPE_FLOAT && x != y) id = WR_TYPE_DOUBLE;
        *out = wr_type_make(id, nullable);
        return true;
    }
    if ((wr_type_is_string(x) && wr_type_is_string(y)) ||
        (wr_type_is_binary(x) && wr_type_is_binary(y))) {
        bool fixed = x == y && (x == WR_TYPE_CHAR || x == WR_TYPE_BINARY);
        wr_type_id var = wr_type_is_string(x) ? WR_TYPE_VARCHAR : WR_TYPE_VARBINARY;
        *out = wr_type_make(fixed ? x : var, nullable);
        out->length = WR_MAX(a.length, b.length);
        return true;
    }
    if ((is_timestamp(x) || x == WR_TYPE_DATE) && (is_timestamp(y) || y == WR_TYPE_DATE)) {
        /* DATE with a timestamp compares as a timestamp at midnight (Calcite's coercion). */
        wr_type_id id = x == WR_TYPE_TIMESTAMP_LTZ || y == WR_TYPE_TIMESTAMP_LTZ
                            ? WR_TYPE_TIMESTAMP_LTZ
                        : x == WR_TYPE_DATE && y == WR_TYPE_DATE ? WR_TYPE_DATE
                                                                 : WR_TYPE_TIMESTAMP;
        *out = wr_type_make(id, nullable);
        if (id != WR_TYPE_DATE)
            out->length =
                WR_MAX(x == WR_TYPE_DATE ? 0 : a.length, y == WR_TYPE_DATE ? 0 : b.length);
        return true;
    }
    if (x == y && wr_type_is_nested(x)) return common_nested(a, b, nullable, out);
    if (x == y) {
        *out = a;
        out->nullable = nullable;
        out->length = WR_MAX(a.length, b.length);
        return true;
    }
    return false;
}

/* ---- timestamps --------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
int64_t wr_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void wr_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
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

int wr_days_in_month(int64_t year, int month)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return mdays[month - 1] + (month == 2 && is_leap(year));
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
    if (mo < 1 || mo > 12 || d < 1 || d > wr_days_in_month(y, (int)mo)) return -1;
    if (h > 23 || mi > 59 || sec > 59) return -1;
    int64_t days = wr_days_from_civil(y, (int)mo, (int)d);
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
    wr_civil_from_days(days, y, mo, d);
    int64_t secs = rem / 1000000;
    *us = (int)(rem % 1000000);
    *h = (int)(secs / 3600);
    *mi = (int)(secs / 60 % 60);
    *s = (int)(secs % 60);
}

/* "yyyy-MM-dd" then sep then "HH:mm" (a year below zero as printf's %04lld writes it). */
static void put_date_hm(wr_buf *out, int64_t y, int mo, int d, char sep, int h, int mi)
{
    if (y < 0) wr_buf_putc(out, '-');
    wr_buf_put_padded(out, y < 0 ? 0 - (uint64_t)y : (uint64_t)y, y < 0 ? 3 : 4);
    wr_buf_putc(out, '-');
    wr_buf_put_padded(out, (uint64_t)mo, 2);
    wr_buf_putc(out, '-');
    wr_buf_put_padded(out, (uint64_t)d, 2);
    wr_buf_putc(out, sep);
    wr_buf_put_padded(out, (uint64_t)h, 2);
    wr_buf_putc(out, ':');
    wr_buf_put_padded(out, (uint64_t)mi, 2);
}

void wr_timestamp_format_sql(int64_t micros, int precision, wr_buf *out)
{
    int64_t y;
    int mo, d, h, mi, s, us;
    split(micros, &y, &mo, &d, &h, &mi, &s, &us);
    put_date_hm(out, y, mo, d, ' ', h, mi);
    wr_buf_putc(out, ':');
    wr_buf_put_padded(out, (uint64_t)s, 2);
    if (precision > 0) {
        /* Microseconds as nanoseconds (three more zeros), cut to the precision. */
        char frac[9];
        for (int i = 5, u = us; i >= 0; i--, u /= 10) frac[i] = (char)('0' + u % 10);
        memset(frac + 6, '0', 3);
        wr_buf_putc(out, '.');
        wr_buf_append(out, frac, (size_t)WR_MIN(precision, 9));
    }
}

void wr_timestamp_format_iso(int64_t micros, wr_buf *out)
{
    int64_t y;
    int mo, d, h, mi, s, us;
    split(micros, &y, &mo, &d, &h, &mi, &s, &us);
    put_date_hm(out, y, mo, d, 'T', h, mi);
    if (s == 0 && us == 0) return;
    wr_buf_putc(out, ':');
    wr_buf_put_padded(out, (uint64_t)s, 2);
    if (us == 0) return;
    /* Java prints milliseconds, micros or nanos: 3, 6 or 9 digits. */
    wr_buf_putc(out, '.');
    if (us % 1000 == 0)
        wr_buf_put_padded(out, (uint64_t)(us / 1000), 3);
    else
        wr_buf_put_padded(out, (uint64_t)us, 6);
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

void wr_timestamp_format_instant(int64_t micros, wr_buf *out)
{
    int64_t y;
    int mo, d, h, mi, s, us;
    split(micros, &y, &mo, &d, &h, &mi, &s, &us);
    wr_buf_printf(out, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, mo, d, h, mi, s);
    if (us % 1000 == 0 && us)
        wr_buf_printf(out, ".%03d", us / 1000);
    else if (us)
        wr_buf_printf(out, ".%06d", us);
    wr_buf_putc(out, 'Z');
}

int64_t wr_timestamp_truncate(int64_t micros, int precision)
{
    if (precision >= 6) return micros;
    int64_t unit = 1;
    for (int k = precision; k < 6; k++) unit *= 10;
    /* Unsigned: a wrapped value near INT64_MIN must not overflow. */
    return (int64_t)((uint64_t)micros - (uint64_t)(((micros % unit) + unit) % unit));
}

/* ---- dates and times ------------------------------------------------------ */

static void trim_blanks(const char **s, size_t *len)
{
    while (*len && **s == ' ') (*s)++, (*len)--;
    while (*len && (*s)[*len - 1] == ' ') (*len)--;
}

int wr_date_parse(const char *s, size_t len, int32_t *days)
{
    trim_blanks(&s, &len);
    size_t i = 0;
    int64_t y, mo, d;
    if (read_digits(s, len, &i, 4, 4, &y) || i >= len || s[i++] != '-') return -1;
    if (read_digits(s, len, &i, 1, 2, &mo) || i >= len || s[i++] != '-') return -1;
    if (read_digits(s, len, &i, 1, 2, &d) || i != len) return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > wr_days_in_month(y, (int)mo)) return -1;
    *days = (int32_t)wr_days_from_civil(y, (int)mo, (int)d);
    return 0;
}

void wr_date_format(int32_t days, wr_buf *out)
{
    int64_t y;
    int m, d;
    wr_civil_from_days(days, &y, &m, &d);
    wr_buf_printf(out, "%04lld-%02d-%02d", (long long)y, m, d);
}

int wr_time_parse(const char *s, size_t len, int32_t *millis)
{
    trim_blanks(&s, &len);
    size_t i = 0;
    int64_t h, mi, sec = 0, ms = 0;
    if (read_digits(s, len, &i, 1, 2, &h) || i >= len || s[i++] != ':') return -1;
    if (read_digits(s, len, &i, 1, 2, &mi)) return -1;
    if (i < len) {
        if (s[i++] != ':' || read_digits(s, len, &i, 1, 2, &sec)) return -1;
        if (i < len) {
            if (s[i++] != '.') return -1;
            int digits = 0;
            while (i < len && s[i] >= '0' && s[i] <= '9') {
                if (digits < 3) ms = ms * 10 + (s[i] - '0');
                digits++;
                i++;
            }
            if (digits == 0 || digits > 9) return -1;
            for (int k = digits; k < 3; k++) ms *= 10;
        }
    }
    if (i != len || h > 23 || mi > 59 || sec > 59) return -1;
    *millis = (int32_t)(((h * 60 + mi) * 60 + sec) * 1000 + ms);
    return 0;
}

void wr_time_format_sql(int32_t millis, int precision, wr_buf *out)
{
    int secs = millis / 1000, ms = millis % 1000;
    wr_buf_printf(out, "%02d:%02d:%02d", secs / 3600, secs / 60 % 60, secs % 60);
    if (precision > 0) {
        char frac[16];
        snprintf(frac, sizeof(frac), "%03d000000", ms);
        wr_buf_putc(out, '.');
        wr_buf_append(out, frac, (size_t)WR_MIN(precision, 9));
    }
}

void wr_time_format_java(int32_t millis, wr_buf *out)
{
    int secs = millis / 1000, ms = millis % 1000;
    wr_buf_printf(out, "%02d:%02d", secs / 3600, secs / 60 % 60);
    if (secs % 60 == 0 && ms == 0) return;
    wr_buf_printf(out, ":%02d", secs % 60);
    if (ms) wr_buf_printf(out, ".%03d", ms);
}

/* ---- intervals -------------------------------------------------------------- */

void wr_interval_ym_format(int32_t months, wr_buf *out)
{
    int64_t m = months;
    bool neg = m < 0;
    if (neg) m = -m;
    wr_buf_printf(out, "%c%lld-%02d", neg ? '-' : '+', (long long)(m / 12), (int)(m % 12));
}

void wr_interval_dt_format(int64_t millis, wr_buf *out)
{
    /* The magnitude as unsigned: INT64_MIN has no positive int64. */
    uint64_t m = millis < 0 ? 0 - (uint64_t)millis : (uint64_t)millis;
    uint64_t secs = m / 1000;
    wr_buf_printf(out, "%c%llu %02d:%02d:%02d.%03d", millis < 0 ? '-' : '+',
                  (unsigned long long)(secs / 86400), (int)(secs / 3600 % 24),
                  (int)(secs / 60 % 60), (int)(secs % 60), (int)(m % 1000));
}

void wr_interval_ym_format_java(int32_t months, wr_buf *out)
{
    int32_t y = months / 12, m = months % 12;
    if (months == 0) {
        wr_buf_puts(out, "P0D");
        return;
    }
    wr_buf_putc(out, 'P');
    if (y) wr_buf_printf(out, "%dY", y);
    if (m) wr_buf_printf(out, "%dM", m);
}

void wr_interval_dt_format_java(int64_t millis, wr_buf *out)
{
    if (millis == 0) {
        wr_buf_puts(out, "PT0S");
        return;
    }
    /* Duration keeps floor seconds and a non-negative fraction; the text puts the sign on each
     * field. */
    int64_t seconds = millis / 1000, ms = millis % 1000;
    if (ms < 0) ms += 1000, seconds--;
    int64_t hours = seconds / 3600;
    int minutes = (int)(seconds % 3600 / 60), secs = (int)(seconds % 60);
    wr_buf_puts(out, "PT");
    if (hours) wr_buf_printf(out, "%lldH", (long long)hours);
    if (minutes) wr_buf_printf(out, "%dM", minutes);
    if (secs == 0 && ms == 0) return;
    if (secs < 0 && ms > 0) {
        if (secs == -1)
            wr_buf_puts(out, "-0");
        else
            wr_buf_printf(out, "%d", secs + 1);
    } else {
        wr_buf_printf(out, "%d", secs);
    }
    if (ms > 0) {
        int frac = secs < 0 ? (int)(1000 - ms) : (int)ms;
        char digits[8];
        snprintf(digits, sizeof(digits), "%03d", frac);
        int n = 3;
        while (n > 0 && digits[n - 1] == '0') n--;
        wr_buf_putc(out, '.');
        wr_buf_append(out, digits, (size_t)n);
    }
    wr_buf_putc(out, 'S');
}

/* ---- byte strings ----------------------------------------------------------- */

void wr_bytes_format_sql(const char *p, size_t len, wr_buf *out)
{
    static const char hex[] = "0123456789abcdef";
    wr_buf_puts(out, "x'");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        wr_buf_putc(out, hex[c >> 4]);
        wr_buf_putc(out, hex[c & 15]);
    }
    wr_buf_putc(out, '\'');
}

void wr_bytes_format_java(const char *p, size_t len, wr_buf *out)
{
    wr_buf_putc(out, '[');
    for (size_t i = 0; i < len; i++) wr_buf_printf(out, "%s%d", i ? ", " : "", (signed char)p[i]);
    wr_buf_putc(out, ']');
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void wr_base64_encode(const char *p, size_t len, wr_buf *out)
{
    const unsigned char *u = (const unsigned char *)p;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)u[i] << 16;
        if (i + 1 < len) v |= (uint32_t)u[i + 1] << 8;
        if (i + 2 < len) v |= u[i + 2];
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < len ? b64[(v >> 6) & 63] : '=',
                     i + 2 < len ? b64[v & 63] : '='};
        wr_buf_append(out, q, 4);
    }
}

ptrdiff_t wr_base64_decode(const char *s, size_t len, char *dst)
{
    while (len && s[len - 1] == '=') len--;
    if (len % 4 == 1) return -1;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        const char *hit = s[i] ? strchr(b64, s[i]) : NULL;
        if (hit == NULL) return -1;
        acc = acc << 6 | (uint32_t)(hit - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    return (ptrdiff_t)n;
}
