/*
 * json.c — Flink's 'json' format; see json.h and README.md for the rules.
 *
 * The decoder scans the line once, without a parse tree: each member of the
 * top-level object is matched to a column and its value converted by the
 * column's type as it is scanned. Values of unknown members are validated
 * and skipped by skip_value, which keeps its nesting in a bit stack, so
 * deeply nested input cannot exhaust the C stack. Strings without escapes
 * and numbers within Clinger's fast path take no detour; escapes, long
 * numbers, conversions from other JSON kinds and errors are off the main path.
 */
#include "json.h"
#include "../types/decimal.h"
#include "../types/nested.h"

#include "../base/alloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest piece of bad text quoted in a message. */
#define SHOW_MAX 64
/* Deepest nesting of arrays and objects accepted (Jackson's default limit is 1000). */
#define MAX_DEPTH 1024

static const char *const standard_names[] = {"SQL", "ISO-8601", NULL};

void wr_json_options_default(wr_json_options *o)
{
    o->fail_on_missing_field = false;
    o->ignore_parse_errors = false;
    o->timestamp_standard = WR_JSON_TIMESTAMP_SQL;
}

int wr_json_options_read(const wr_config *options, wr_json_options *o, wr_error *err)
{
    wr_json_options_default(o);
    int rc = wr_config_get_bool(options, "json.fail-on-missing-field", false,
                                &o->fail_on_missing_field, err);
    if (rc == 0)
        rc = wr_config_get_bool(options, "json.ignore-parse-errors", false, &o->ignore_parse_errors,
                                err);
    if (rc == 0)
        rc = wr_config_get_enum(options, "json.timestamp-format.standard", standard_names,
                                WR_JSON_TIMESTAMP_SQL, &o->timestamp_standard, err);
    if (rc) return rc;
    if (o->fail_on_missing_field && o->ignore_parse_errors) {
        /* As Flink: a missing member cannot both fail the line and be skipped. */
        const wr_config_entry *e = wr_config_find(options, "json.ignore-parse-errors");
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->key_pos,
                               "options 'json.fail-on-missing-field' and "
                               "'json.ignore-parse-errors' cannot both be true");
    }
    return 0;
}

bool wr_json_supports(wr_type_id id)
{
    /* Nested types (ARRAY, MAP, MULTISET, ROW) have no text form here yet. */
    return id != WR_TYPE_NULL && id < WR_TYPE_COUNT_ && !wr_type_is_interval(id) &&
           !wr_type_is_nested(id);
}

/* ---- decoding: messages ------------------------------------------------------- */

/* The decoding of one line. */
typedef struct decoder {
    const char *s;
    size_t len;
    const wr_json_options *o;
    const wr_schema *schema;
    wr_batch *batch;
    int row;
    wr_error *err;
    /* The member being read, for messages: a column's name, or the name as written; or NULL. */
    const char *name;
    size_t name_len;
} decoder;

/* Bad text for a message: at most SHOW_MAX bytes, then "...". */
#define SHOW_FMT "'%.*s%s'"
#define SHOW_ARGS(s, n) (int)WR_MIN((n), (size_t)SHOW_MAX), (s), (n) > SHOW_MAX ? "..." : ""

/*
 * "field 'name' at offset N: " (or "at offset N: " outside any member)
 * followed by the message. Returns WR_ERR_PARSE.
 */
static int WR_PRINTF(3, 4) json_error(const decoder *d, size_t offset, const char *fmt, ...)
{
    char msg[WR_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (d->name)
        return wr_error_set(d->err, WR_ERR_PARSE, "field " SHOW_FMT " at offset %zu: %s",
                            SHOW_ARGS(d->name, d->name_len), offset, msg);
    return wr_error_set(d->err, WR_ERR_PARSE, "at offset %zu: %s", offset, msg);
}

/* What a message says was found at an offset: "'text...'" or "the end of the line". */
typedef struct found_text {
    char s[48];
} found_text;

static found_text found(const decoder *d, size_t at)
{
    found_text f;
    if (at >= d->len) {
        snprintf(f.s, sizeof(f.s), "the end of the line");
    } else {
        size_t n = d->len - at;
        snprintf(f.s, sizeof(f.s), "'%.*s%s'", (int)WR_MIN(n, (size_t)32), d->s + at,
                 n > 32 ? "..." : "");
    }
    return f;
}

/* A column's type for messages, without NOT NULL: INT, TIMESTAMP(3), STRING. */
typedef struct type_text {
    char s[32];
} type_text;

static type_text type_of(const wr_vector *v)
{
    type_text t;
    wr_type type = v->type;
    type.nullable = true;
    wr_type_name(type, t.s, sizeof(t.s));
    return t;
}

/* ---- decoding: tokens ------------------------------------------------------------ */

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline size_t skip_ws(const char *s, size_t len, size_t i)
{
    while (i < len && is_blank(s[i])) i++;
    return i;
}

/* True when s[i..] starts with the n bytes of word. */
static inline bool has_word(const char *s, size_t len, size_t i, const char *word, size_t n)
{
    return len - i >= n && memcmp(s + i, word, n) == 0;
}

/*
 * Scans the string whose opening quote is at s[i]: returns the offset of
 * its closing quote, or len when it is unterminated. *escaped is set when
 * it holds a backslash. Raw control characters are accepted, as Flink
 * (Jackson's ALLOW_UNESCAPED_CONTROL_CHARS).
 */
static inline size_t scan_string(const char *s, size_t len, size_t i, bool *escaped)
{
    size_t k = i + 1;
    while (k < len) {
        char c = s[k];
        if (c == '"') return k;
        if (WR_UNLIKELY(c == '\\')) {
            *escaped = true;
            k += 2;
            continue;
        }
        k++;
    }
    return len;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The code unit of the \uXXXX escape at s[i] (the backslash), or -1. */
static long u_escape(const char *s, size_t to, size_t i)
{
    if (to - i < 6 || s[i] != '\\' || s[i + 1] != 'u') return -1;
    long v = 0;
    for (int k = 2; k < 6; k++) {
        int h = hex_digit(s[i + (size_t)k]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t put_utf8(char *dst, unsigned long cp)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Decodes the escapes of a string's body s[from..to) into dst, which has
 * room for to - from bytes (decoded text is never longer); with dst NULL
 * it only checks them. \uXXXX becomes UTF-8, a surrogate pair one code
 * point. Returns the decoded length, or -1 with an error message in d.
 */
static ptrdiff_t unescape(const decoder *d, size_t from, size_t to, char *dst)
{
    const char *s = d->s;
    size_t n = 0;
    for (size_t i = from; i < to;) {
        const char *bs = memchr(s + i, '\\', to - i);
        size_t run = bs ? (size_t)(bs - s) - i : to - i;
        if (dst) memcpy(dst + n, s + i, run);
        n += run;
        i += run;
        if (bs == NULL) break;
        /* s[i] is a backslash; scan_string guarantees a byte after it before `to`. */
        char e = s[i + 1], c;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            c = e;
            break;
        case 'b':
            c = '\b';
            break;
        case 'f':
            c = '\f';
            break;
        case 'n':
            c = '\n';
            break;
        case 'r':
            c = '\r';
            break;
        case 't':
            c = '\t';
            break;
        case 'u': {
            long u = u_escape(s, to, i);
            if (u < 0)
                return json_error(d, i,
                                  "invalid escape " SHOW_FMT " in a string: expected "
                                  "four hexadecimal digits after \\u",
                                  SHOW_ARGS(s + i, WR_MIN(to - i, (size_t)6)));
            size_t used = 6;
            unsigned long cp = (unsigned long)u;
            if (u >= 0xD800 && u <= 0xDBFF) {
                long lo = u_escape(s, to, i + 6);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return json_error(d, i, "unpaired surrogate " SHOW_FMT " in a string",
                                      SHOW_ARGS(s + i, (size_t)6));
                cp = 0x10000 + ((unsigned long)(u - 0xD800) << 10) + (unsigned long)(lo - 0xDC00);
                used = 12;
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                return json_error(d, i, "unpaired surrogate " SHOW_FMT " in a string",
                                  SHOW_ARGS(s + i, (size_t)6));
            }
            char tmp[4];
            size_t k = put_utf8(tmp, cp);
            if (dst) memcpy(dst + n, tmp, k);
            n += k;
            i += used;
            continue;
        }
        default:
            return json_error(d, i, "invalid escape " SHOW_FMT " in a string",
                              SHOW_ARGS(s + i, (size_t)2));
        }
        if (dst) dst[n] = c;
        n++;
        i += 2;
    }
    return (ptrdiff_t)n;
}

/* A JSON number as scanned: enough to convert it exactly in the common cases. */
typedef struct number {
    size_t end; /* offset after its last byte */
    bool neg;
    bool integral; /* no fraction, no exponent */
    bool exact;    /* mant holds every significant digit (at most 19) */
    uint64_t mant;
    int exp10; /* when exact, the value is mant * 10^exp10 (negated when neg) */
} number;

/* Bytes that may follow a value. */
static inline bool ends_value(char c)
{
    return c == ',' || c == '}' || c == ']' || is_blank(c);
}

/*
 * Scans the JSON number at s[i] (strict: no '+', no leading zeros, digits
 * on both sides of '.'). Returns 0, or -1 when it is not a number, with
 * num->end at the end of the bad token.
 */
static inline int scan_number(const char *s, size_t len, size_t i, number *num)
{
    size_t k = i;
    int sig = 0; /* significant digits in mant */
    num->neg = false;
    num->integral = true;
    num->exact = true;
    num->mant = 0;
    num->exp10 = 0;
    if (s[k] == '-') {
        num->neg = true;
        k++;
    }
    if (k >= len || !is_digit(s[k])) goto bad;
    if (s[k] == '0') {
        k++;
    } else {
        for (; k < len && is_digit(s[k]); k++) {
            if (sig < 19) {
                num->mant = num->mant * 10 + (uint64_t)(s[k] - '0');
                sig++;
            } else {
                num->exact = false;
            }
        }
    }
    if (k < len && s[k] == '.') {
        num->integral = false;
        k++;
        if (k >= len || !is_digit(s[k])) goto bad;
        for (; k < len && is_digit(s[k]); k++) {
            if (num->mant == 0 && s[k] == '0') {
                num->exp10--; /* leading zeros of the fraction take no room in mant */
            } else if (sig < 19) {
                num->mant = num->mant * 10 + (uint64_t)(s[k] - '0');
                num->exp10--;
                sig++;
            } else {
                num->exact = false;
            }
        }
    }
    if (k < len && (s[k] == 'e' || s[k] == 'E')) {
        num->integral = false;
        k++;
        bool eneg = false;
        if (k < len && (s[k] == '+' || s[k] == '-')) eneg = s[k++] == '-';
        if (k >= len || !is_digit(s[k])) goto bad;
        int e = 0;
        for (; k < len && is_digit(s[k]); k++)
            if (e < 100000) e = e * 10 + (s[k] - '0');
        num->exp10 += eneg ? -e : e;
    }
    if (k < len && !ends_value(s[k])) goto bad;
    num->end = k;
    return 0;
bad:
    while (k < len && !ends_value(s[k])) k++;
    num->end = k;
    return -1;
}

static const double pow10_double[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static const float pow10_float[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                    1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

/* strtod/strtof of the n bytes at s (a scanned number, or trimmed text); -1 when not all used. */
static int parse_floating(const char *s, size_t n, bool is_float, double *out)
{
    char tmp[128];
    char *buf = n < sizeof(tmp) ? tmp : wr_malloc(n + 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    *out = is_float ? (double)strtof(buf, &end) : strtod(buf, &end);
    int rc = n > 0 && end == buf + n ? 0 : -1;
    if (buf != tmp) wr_free(buf);
    return rc;
}

/*
 * The value of a scanned number. Clinger's fast path: a mantissa and a
 * power of ten both exact in the type give the correctly rounded result in
 * one operation; anything else goes through strtod/strtof.
 */
static double number_value(const char *s, size_t start, const number *num, bool is_float)
{
    double x;
    if (is_float) {
        if (num->exact && num->mant <= (1u << 24) && num->exp10 >= -10 && num->exp10 <= 10) {
            float f = (float)num->mant;
            f = num->exp10 < 0 ? f / pow10_float[-num->exp10] : f * pow10_float[num->exp10];
            return num->neg ? -f : f;
        }
    } else if (num->exact && num->mant <= ((uint64_t)1 << 53) && num->exp10 >= -22 &&
               num->exp10 <= 22) {
        x = (double)num->mant;
        x = num->exp10 < 0 ? x / pow10_double[-num->exp10] : x * pow10_double[num->exp10];
        return num->neg ? -x : x;
    }
    parse_floating(s + start, num->end - start, is_float, &x); /* a valid number: never fails */
    return x;
}

/*
 * Checks the name of a member at s[*i] (expected to be a string) and the
 * ':' after it; moves *i to the value. Used while skipping.
 */
static int skip_name(decoder *d, size_t *i)
{
    const char *s = d->s;
    size_t k = *i;
    if (k >= d->len || s[k] != '"')
        return json_error(d, k, "expected a field name (a string), found %s", found(d, k).s);
    bool escaped = false;
    size_t q = scan_string(s, d->len, k, &escaped);
    if (q >= d->len) return json_error(d, k, "unterminated field name");
    if (escaped && unescape(d, k + 1, q, NULL) < 0) return WR_ERR_PARSE;
    k = skip_ws(s, d->len, q + 1);
    if (k >= d->len || s[k] != ':')
        return json_error(d, k, "expected ':' after a field name, found %s", found(d, k).s);
    *i = skip_ws(s, d->len, k + 1);
    return 0;
}

/* Checks the string, number or literal at s[*i] and moves *i past it. */
static int skip_scalar(decoder *d, size_t *i)
{
    const char *s = d->s;
    size_t k = *i, len = d->len;
    char c = s[k];
    if (c == '"') {
        bool escaped = false;
        size_t q = scan_string(s, len, k, &escaped);
        if (q >= len) return json_error(d, k, "unterminated string");
        if (escaped && unescape(d, k + 1, q, NULL) < 0) return WR_ERR_PARSE;
        *i = q + 1;
        return 0;
    }
    if (c == '-' || is_digit(c)) {
        number num;
        if (scan_number(s, len, k, &num))
            return json_error(d, k, "invalid number " SHOW_FMT, SHOW_ARGS(s + k, num.end - k));
        *i = num.end;
        return 0;
    }
    size_t n = c == 'f' ? 5 : 4;
    if ((c == 't' && has_word(s, len, k, "true", 4)) ||
        (c == 'f' && has_word(s, len, k, "false", 5)) ||
        (c == 'n' && has_word(s, len, k, "null", 4))) {
        *i = k + n;
        return 0;
    }
    return json_error(d, k, "expected a value, found %s", found(d, k).s);
}

/*
 * Checks the value at s[i] (blanks skipped), whatever it is, and sets *end
 * after it. Nesting is kept in a bit stack (set: an object) rather than by
 * recursion.
 */
static int skip_value(decoder *d, size_t i, size_t *end)
{
    const char *s = d->s;
    size_t len = d->len;
    uint64_t stack[MAX_DEPTH / 64];
    int depth = 0, rc;
    for (;;) {
        if (i >= len) return json_error(d, i, "expected a value, found the end of the line");
        char c = s[i];
        if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH)
                return json_error(d, i, "arrays and objects nested deeper than %d levels",
                                  MAX_DEPTH);
            uint64_t bit = (uint64_t)1 << (depth & 63);
            if (c == '{')
                stack[depth >> 6] |= bit;
            else
                stack[depth >> 6] &= ~bit;
            depth++;
            i = skip_ws(s, len, i + 1);
            if (i < len && s[i] == (c == '{' ? '}' : ']')) {
                i++;
                depth--;
            } else {
                if (c == '{' && (rc = skip_name(d, &i))) return rc;
                continue;
            }
        } else if ((rc = skip_scalar(d, &i))) {
            return rc;
        }
        /* A value ends at i: close the arrays and objects that end with it. */
        for (;;) {
            if (depth == 0) {
                *end = i;
                return 0;
            }
            bool object = (stack[(depth - 1) >> 6] >> ((depth - 1) & 63)) & 1;
            i = skip_ws(s, len, i);
            if (i < len && s[i] == ',') {
                i = skip_ws(s, len, i + 1);
                if (object && (rc = skip_name(d, &i))) return rc;
                break;
            }
            if (i < len && s[i] == (object ? '}' : ']')) {
                i++;
                depth--;
                continue;
            }
            return json_error(d, i, "expected ',' or '%c', found %s", object ? '}' : ']',
                              found(d, i).s);
        }
    }
}

/* ---- decoding: values ----------------------------------------------------------- */

/* Java's String.trim(): drops bytes up to ' ' at both ends. */
static inline void trim(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n;
    while (len && (unsigned char)*p <= ' ') p++, len--;
    while (len && (unsigned char)p[len - 1] <= ' ') len--;
    *s = p;
    *n = len;
}

static void int_range(wr_type_id id, int64_t *lo, int64_t *hi)
{
    switch (id) {
    case WR_TYPE_TINYINT:
        *lo = INT8_MIN, *hi = INT8_MAX;
        break;
    case WR_TYPE_SMALLINT:
        *lo = INT16_MIN, *hi = INT16_MAX;
        break;
    case WR_TYPE_INT:
        *lo = INT32_MIN, *hi = INT32_MAX;
        break;
    default:
        *lo = INT64_MIN, *hi = INT64_MAX;
        break;
    }
}

static inline void store_int(wr_vector *v, int row, int64_t x)
{
    switch ((wr_type_id)v->type.id) {
    case WR_TYPE_TINYINT:
        ((int8_t *)v->data)[row] = (int8_t)x;
        break;
    case WR_TYPE_SMALLINT:
        ((int16_t *)v->data)[row] = (int16_t)x;
        break;
    case WR_TYPE_INT:
        ((int32_t *)v->data)[row] = (int32_t)x;
        break;
    default:
        ((int64_t *)v->data)[row] = x;
        break;
    }
}

/*
 * Java's Integer.parseInt on trimmed text: an optional sign and decimal
 * digits, in [lo, hi]. Returns 0, -1 when the text is not an integer, -2
 * when it is out of range.
 */
static int parse_int(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n) return -1;
    uint64_t limit = neg ? (uint64_t)(-(lo + 1)) + 1 : (uint64_t)hi;
    uint64_t v = 0;
    bool over = false;
    for (; i < n; i++) {
        unsigned dgt = (unsigned)((unsigned char)s[i] - '0');
        if (dgt > 9) return -1;
        if (v > (limit - dgt) / 10) over = true;
        if (!over) v = v * 10 + dgt;
    }
    if (over) return -2;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/*
 * Whether text has the shape of the timestamp standard: SQL
 * 'yyyy-MM-dd HH:mm:ss[.f]', ISO-8601 'yyyy-MM-ddTHH:mm[:ss[.f]]', with 1
 * to 9 fraction digits (Flink's SQL_TIMESTAMP_FORMAT and
 * ISO8601_TIMESTAMP_FORMAT). The values are checked by wr_timestamp_parse.
 */
static bool timestamp_shape(const char *t, size_t n, int standard)
{
    static const char pattern[] = "dddd-dd-dd?dd:dd";
    size_t k = sizeof(pattern) - 1;
    if (n < k) return false;
    for (size_t i = 0; i < k; i++) {
        char p = pattern[i];
        if (p == 'd' ? !is_digit(t[i])
                     : t[i] != (p == '?' ? (standard == WR_JSON_TIMESTAMP_SQL ? ' ' : 'T') : p))
            return false;
    }
    if (k == n) return standard == WR_JSON_TIMESTAMP_ISO_8601;
    if (n - k < 3 || t[k] != ':' || !is_digit(t[k + 1]) || !is_digit(t[k + 2])) return false;
    k += 3;
    if (k == n) return true;
    if (t[k] != '.' || n - k - 1 < 1 || n - k - 1 > 9) return false;
    for (k++; k < n; k++)
        if (!is_digit(t[k])) return false;
    return true;
}

/* A value converter's result for a value stored as NULL (a DECIMAL too large for its type). */
#define NULLED 2

/*
 * A number's text (a JSON number or a string) into a DECIMAL column. A value with more whole
 * digits than the type holds is NULL, as in Flink (an error in a NOT NULL column).
 */
static int decimal_value(decoder *d, wr_vector *v, size_t offset, const char *s, size_t n)
{
    int rc = wr_decimal_parse(s, n, v->type.length, v->type.scale, (wr_int128 *)v->data + d->row);
    if (rc == -1)
        return json_error(d, offset, "invalid %s " SHOW_FMT, type_of(v).s, SHOW_ARGS(s, n));
    if (rc == -2) {
        if (!v->type.nullable)
            return json_error(d, offset, "%s " SHOW_FMT " is out of range", type_of(v).s,
                              SHOW_ARGS(s, n));
        wr_batch_set_null(d->batch, (int)(v - d->batch->cols), d->row);
        return NULLED;
    }
    return 0;
}

/* A string's text (escapes decoded) into a column of a non-string type; offset: the string's. */
static int from_text(decoder *d, wr_vector *v, size_t offset, const char *s, size_t n)
{
    wr_type_id id = (wr_type_id)v->type.id;
    int row = d->row;
    if (id == WR_TYPE_TIMESTAMP || id == WR_TYPE_TIMESTAMP_LTZ) {
        /* TIMESTAMP_LTZ text ends with 'Z' (Flink's *_WITH_LOCAL_TIMEZONE formats). */
        bool ltz = id == WR_TYPE_TIMESTAMP_LTZ;
        size_t m = ltz && n && s[n - 1] == 'Z' ? n - 1 : n;
        int64_t us;
        bool sql = d->o->timestamp_standard == WR_JSON_TIMESTAMP_SQL;
        if ((ltz && m == n) || !timestamp_shape(s, m, d->o->timestamp_standard) ||
            wr_timestamp_parse(s, m, &us))
            return json_error(d, offset,
                              "invalid %s " SHOW_FMT ": expected '%s%s' "
                              "(json.timestamp-format.standard '%s')",
                              type_of(v).s, SHOW_ARGS(s, n),
                              sql ? "yyyy-MM-dd HH:mm:ss[.fffffffff]"
                                  : "yyyy-MM-ddTHH:mm[:ss[.fffffffff]]",
                              ltz ? "Z" : "", sql ? "SQL" : "ISO-8601");
        ((int64_t *)v->data)[row] = wr_timestamp_truncate(us, v->type.length);
        return 0;
    }
    if (wr_type_is_binary(id)) {
        /* Base64, as Jackson writes byte arrays. */
        char *p = wr_arena_alloc(&d->batch->arena, n / 4 * 3 + 3);
        ptrdiff_t len = wr_base64_decode(s, n, p);
        if (len < 0)
            return json_error(d, offset, "invalid %s " SHOW_FMT ": expected base64", type_of(v).s,
                              SHOW_ARGS(s, n));
        ((wr_str *)v->data)[row] = (wr_str){p, (uint32_t)len};
        return 0;
    }
    if (id == WR_TYPE_DATE) {
        if (wr_date_parse(s, n, (int32_t *)v->data + row))
            return json_error(d, offset, "invalid DATE " SHOW_FMT ": expected 'yyyy-MM-dd'",
                              SHOW_ARGS(s, n));
        return 0;
    }
    if (id == WR_TYPE_TIME) {
        int32_t ms;
        if (wr_time_parse(s, n, &ms))
            return json_error(d, offset, "invalid %s " SHOW_FMT ": expected 'HH:mm:ss[.SSS]'",
                              type_of(v).s, SHOW_ARGS(s, n));
        int p = v->type.length;
        ((int32_t *)v->data)[row] = p >= 3 ? ms : ms - ms % (p == 2 ? 10 : p == 1 ? 100 : 1000);
        return 0;
    }
    trim(&s, &n);
    switch (id) {
    case WR_TYPE_BOOLEAN:
        if (n == 4 && strncasecmp(s, "true", 4) == 0)
            ((uint8_t *)v->data)[row] = 1;
        else if (n == 5 && strncasecmp(s, "false", 5) == 0)
            ((uint8_t *)v->data)[row] = 0;
        else
            return json_error(d, offset, "invalid BOOLEAN " SHOW_FMT, SHOW_ARGS(s, n));
        return 0;
    case WR_TYPE_TINYINT:
    case WR_TYPE_SMALLINT:
    case WR_TYPE_INT:
    case WR_TYPE_BIGINT: {
        int64_t lo, hi, x;
        int_range(id, &lo, &hi);
        int rc = parse_int(s, n, lo, hi, &x);
        if (rc)
            return json_error(d, offset, "invalid %s " SHOW_FMT "%s", type_of(v).s, SHOW_ARGS(s, n),
                              rc == -2 ? ": out of range" : "");
        store_int(v, row, x);
        return 0;
    }
    case WR_TYPE_FLOAT:
    case WR_TYPE_DOUBLE: {
        double x;
        if (parse_floating(s, n, id == WR_TYPE_FLOAT, &x))
            return json_error(d, offset, "invalid %s " SHOW_FMT, type_of(v).s, SHOW_ARGS(s, n));
        if (id == WR_TYPE_FLOAT)
            ((float *)v->data)[row] = (float)x;
        else
            ((double *)v->data)[row] = x;
        return 0;
    }
    case WR_TYPE_DECIMAL:
        return decimal_value(d, v, offset, s, n);
    default:
        break;
    }
    return json_error(d, offset, "type %s is not supported by format 'json'", type_of(v).s);
}

/* A number into any column; offset: where it starts. */
static int from_number(decoder *d, wr_vector *v, size_t offset, const number *num)
{
    wr_type_id id = (wr_type_id)v->type.id;
    int row = d->row;
    const char *text = d->s + offset;
    size_t n = num->end - offset;
    switch (id) {
    case WR_TYPE_TINYINT:
    case WR_TYPE_SMALLINT:
    case WR_TYPE_INT:
    case WR_TYPE_BIGINT: {
        if (!num->integral)
            return json_error(d, offset, "invalid %s " SHOW_FMT ": not an integer", type_of(v).s,
                              SHOW_ARGS(text, n));
        int64_t lo, hi;
        int_range(id, &lo, &hi);
        uint64_t limit = num->neg ? (uint64_t)(-(lo + 1)) + 1 : (uint64_t)hi;
        if (!num->exact || num->mant > limit)
            return json_error(d, offset, "invalid %s " SHOW_FMT ": out of range", type_of(v).s,
                              SHOW_ARGS(text, n));
        store_int(v, row, num->neg ? (int64_t)(0 - num->mant) : (int64_t)num->mant);
        return 0;
    }
    case WR_TYPE_FLOAT:
        ((float *)v->data)[row] = (float)number_value(d->s, offset, num, true);
        return 0;
    case WR_TYPE_DECIMAL:
        return decimal_value(d, v, offset, text, n);
    case WR_TYPE_DOUBLE:
        ((double *)v->data)[row] = number_value(d->s, offset, num, false);
        return 0;
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR: {
        /* Jackson's text of the number: an integer as written, others as Double.toString. */
        wr_str *dst = (wr_str *)v->data + row;
        if (num->integral) {
            bool minus_zero = n == 2 && text[0] == '-' && text[1] == '0';
            *dst = minus_zero ? (wr_str){"0", 1} : wr_batch_str(d->batch, text, n);
            return 0;
        }
        wr_buf tmp;
        wr_buf_init(&tmp);
        wr_double_format_java(number_value(d->s, offset, num, false), false, &tmp);
        *dst = wr_batch_str(d->batch, tmp.data, tmp.len);
        wr_buf_fini(&tmp);
        return 0;
    }
    default:
        break;
    }
    if (id == WR_TYPE_TIMESTAMP)
        return json_error(d, offset, "invalid %s " SHOW_FMT ": expected a string", type_of(v).s,
                          SHOW_ARGS(text, n));
    return json_error(d, offset, "expected %s, found " SHOW_FMT, type_of(v).s, SHOW_ARGS(text, n));
}

/*
 * The JSON text of an array or object s[from..to) without the blanks
 * between tokens, for a string column (Flink keeps the value's JSON text).
 */
static wr_str compact_text(wr_batch *batch, const char *s, size_t from, size_t to)
{
    char *p = wr_arena_alloc(&batch->arena, to - from);
    size_t n = 0;
    bool in_string = false;
    for (size_t k = from; k < to; k++) {
        char c = s[k];
        if (in_string) {
            p[n++] = c;
            if (c == '\\')
                p[n++] = s[++k];
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (is_blank(c)) continue;
        if (c == '"') in_string = true;
        p[n++] = c;
    }
    return (wr_str){p, (uint32_t)n};
}

/*
 * Reads the value at s[*pos] (blanks skipped) into row d->row of column
 * col and moves *pos past it. Returns 0 or WR_ERR_PARSE.
 */
static int read_value(decoder *d, int col, size_t *pos)
{
    const char *s = d->s;
    size_t i = *pos, len = d->len;
    wr_batch *batch = d->batch;
    wr_vector *v = &batch->cols[col];
    wr_type_id id = (wr_type_id)v->type.id;
    int row = d->row, rc = 0;
    char c = i < len ? s[i] : '\0';
    if (c == '"') {
        bool escaped = false;
        size_t q = scan_string(s, len, i, &escaped);
        if (q >= len) return json_error(d, i, "unterminated string");
        const char *text = s + i + 1;
        size_t n = q - i - 1;
        if (WR_UNLIKELY(escaped)) {
            char *buf = wr_arena_alloc(&batch->arena, n);
            ptrdiff_t m = unescape(d, i + 1, q, buf);
            if (m < 0) return WR_ERR_PARSE;
            text = buf;
            n = (size_t)m;
        }
        if (WR_LIKELY(wr_type_is_string(id))) {
            if (n > UINT32_MAX) return json_error(d, i, "string of %zu bytes is too long", n);
            ((wr_str *)v->data)[row] =
                escaped ? (wr_str){text, (uint32_t)n} : wr_batch_str(batch, text, n);
        } else if ((rc = from_text(d, v, i, text, n))) {
            if (rc != NULLED) return rc;
            *pos = q + 1;
            return 0;
        }
        *pos = q + 1;
    } else if (c == '-' || is_digit(c)) {
        number num;
        if (scan_number(s, len, i, &num))
            return json_error(d, i, "invalid number " SHOW_FMT, SHOW_ARGS(s + i, num.end - i));
        if (WR_LIKELY(id == WR_TYPE_BIGINT && num.integral && num.exact &&
                      num.mant <= (num.neg ? (uint64_t)1 << 63 : (uint64_t)INT64_MAX)))
            ((int64_t *)v->data)[row] = num.neg ? (int64_t)(0 - num.mant) : (int64_t)num.mant;
        else if (WR_LIKELY(id == WR_TYPE_DOUBLE))
            ((double *)v->data)[row] = number_value(s, i, &num, false);
        else if ((rc = from_number(d, v, i, &num))) {
            if (rc != NULLED) return rc;
            *pos = num.end;
            return 0;
        }
        *pos = num.end;
    } else if ((c == 't' && has_word(s, len, i, "true", 4)) ||
               (c == 'f' && has_word(s, len, i, "false", 5))) {
        size_t n = c == 't' ? 4 : 5;
        if (id == WR_TYPE_BOOLEAN)
            ((uint8_t *)v->data)[row] = c == 't';
        else if (wr_type_is_string(id))
            ((wr_str *)v->data)[row] = (wr_str){c == 't' ? "true" : "false", (uint32_t)n};
        else
            return json_error(d, i, "expected %s, found " SHOW_FMT, type_of(v).s,
                              SHOW_ARGS(s + i, n));
        *pos = i + n;
    } else if (c == 'n' && has_word(s, len, i, "null", 4)) {
        if (!v->type.nullable) return json_error(d, i, "null in a NOT NULL column");
        wr_batch_set_null(batch, col, row);
        *pos = i + 4;
        return 0;
    } else if (c == '{' || c == '[') {
        if (!wr_type_is_string(id))
            return json_error(d, i, "expected %s, found an %s %s", type_of(v).s,
                              c == '{' ? "object" : "array", found(d, i).s);
        size_t end;
        if ((rc = skip_value(d, i, &end))) return rc;
        if (end - i > UINT32_MAX)
            return json_error(d, i, "value of %zu bytes is too long for a string", end - i);
        ((wr_str *)v->data)[row] = compact_text(batch, s, i, end);
        *pos = end;
    } else {
        return json_error(d, i, "expected a value, found %s", found(d, i).s);
    }
    /* A null of this row in a line that failed may have cleared the bit. */
    if (WR_UNLIKELY(v->validity != NULL)) wr_validity_set(wr_batch_validity(batch, col), row, true);
    return 0;
}

/* ---- decoding: the object ------------------------------------------------------- */

/* True when the column's name is the n bytes at key (which may hold NUL bytes). */
static inline bool name_is(const char *name, const char *key, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (name[i] != key[i] || name[i] == '\0') return false;
    return name[n] == '\0';
}

/* The column named key, trying `hint` (the column after the last one matched) first; or -1. */
static inline int find_column(const wr_schema *schema, const char *key, size_t n, int hint)
{
    if (hint < schema->ncols && name_is(schema->names[hint], key, n)) return hint;
    for (int c = 0; c < schema->ncols; c++)
        if (c != hint && name_is(schema->names[c], key, n)) return c;
    return -1;
}

/*
 * Columns without a member: NULL, or an error with fail_on_missing_field or
 * for a NOT NULL column. Checks all of them before changing any.
 */
static int fill_missing(decoder *d, const uint64_t *seen)
{
    const wr_schema *schema = d->schema;
    for (int c = 0; c < schema->ncols; c++) {
        if ((seen[c >> 6] >> (c & 63)) & 1) continue;
        if (d->o->fail_on_missing_field)
            return wr_error_set(d->err, WR_ERR_PARSE,
                                "field '%s' is missing (json.fail-on-missing-field is true)",
                                schema->names[c]);
        if (!d->batch->cols[c].type.nullable)
            return wr_error_set(d->err, WR_ERR_PARSE,
                                "field '%s' is missing, and its column is NOT NULL",
                                schema->names[c]);
    }
    for (int c = 0; c < schema->ncols; c++)
        if (!((seen[c >> 6] >> (c & 63)) & 1)) wr_batch_set_null(d->batch, c, d->row);
    return 0;
}

/*
 * Decodes the members of the object whose '{' is at line[i] into row d->row
 * and sets *end after its '}'. Without overlay, columns without a member
 * are filled as fill_missing says; with overlay they keep the row's values
 * (canal-json's "old" object names only the columns an update changed).
 */
static int decode_members(decoder *d, size_t i, size_t *end, bool overlay)
{
    const char *line = d->s;
    size_t len = d->len;
    const wr_schema *schema = d->schema;
    int ncols = schema->ncols, nseen = 0, hint = 0, rc = 0;
    uint64_t seen_here[4], *seen = seen_here; /* columns that had a member */
    size_t words = ((size_t)ncols + 63) / 64;
    if (words > WR_ARRAY_LEN(seen_here)) seen = wr_malloc(words * sizeof(uint64_t));
    memset(seen, 0, words * sizeof(uint64_t));
    i = skip_ws(line, len, i + 1);
    if (i < len && line[i] == '}') {
        i++;
    } else {
        for (;;) {
            d->name = NULL;
            if (i >= len || line[i] != '"') {
                rc = json_error(d, i, "expected a field name (a string), found %s", found(d, i).s);
                goto out;
            }
            bool escaped = false;
            size_t q = scan_string(line, len, i, &escaped);
            if (q >= len) {
                rc = json_error(d, i, "unterminated field name");
                goto out;
            }
            const char *key = line + i + 1;
            size_t klen = q - i - 1;
            d->name = key;
            d->name_len = klen;
            if (WR_UNLIKELY(escaped)) {
                char *buf = wr_arena_alloc(&d->batch->arena, klen);
                ptrdiff_t m = unescape(d, i + 1, q, buf);
                if (m < 0) {
                    rc = WR_ERR_PARSE;
                    goto out;
                }
                key = buf;
                klen = (size_t)m;
            }
            int col = find_column(schema, key, klen, hint);
            if (col >= 0) {
                d->name = schema->names[col];
                d->name_len = klen;
            }
            i = skip_ws(line, len, q + 1);
            if (i >= len || line[i] != ':') {
                rc = json_error(d, i, "expected ':' after the field name, found %s", found(d, i).s);
                goto out;
            }
            i = skip_ws(line, len, i + 1);
            if (col >= 0) {
                if ((rc = read_value(d, col, &i))) goto out;
                uint64_t bit = (uint64_t)1 << (col & 63);
                if (!(seen[col >> 6] & bit)) {
                    seen[col >> 6] |= bit;
                    nseen++;
                }
                hint = col + 1;
            } else if ((rc = skip_value(d, i, &i))) {
                goto out;
            }
            i = skip_ws(line, len, i);
            if (i < len && line[i] == ',') {
                i = skip_ws(line, len, i + 1);
                continue;
            }
            if (i < len && line[i] == '}') {
                i++;
                break;
            }
            rc = json_error(d, i, "expected ',' or '}' after the value, found %s", found(d, i).s);
            goto out;
        }
    }
    d->name = NULL;
    if (!overlay && nseen < ncols && (rc = fill_missing(d, seen))) goto out;
    *end = i;
out:
    if (seen != seen_here) wr_free(seen);
    return rc;
}

int wr_json_decode(const wr_json_options *o, const wr_schema *schema, const char *line, size_t len,
                   wr_batch *batch, wr_error *err)
{
    assert(batch->sel == NULL && batch->count < batch->capacity);
    assert(batch->ncols == schema->ncols);
    decoder d = {.s = line,
                 .len = len,
                 .o = o,
                 .schema = schema,
                 .batch = batch,
                 .row = batch->count,
                 .err = err};
    /* A UTF-8 byte order mark (at the start of a file) is skipped, as Jackson does. */
    size_t bom = len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    size_t i = skip_ws(line, len, bom);
    if (i == len) return WR_JSON_SKIPPED;
    if (line[i] != '{') {
        /* Flink drops a row that is null (and an empty message). */
        if (has_word(line, len, i, "null", 4) && skip_ws(line, len, i + 4) == len)
            return WR_JSON_SKIPPED;
        return json_error(&d, i, "expected a JSON object, found %s", found(&d, i).s);
    }
    int rc = decode_members(&d, i, &i, false);
    if (rc) return rc;
    i = skip_ws(line, len, i);
    if (i < len) return json_error(&d, i, "unexpected text after the object: %s", found(&d, i).s);
    batch->count++;
    return 0;
}

int wr_json_decode_object(const wr_json_options *o, const wr_schema *schema, const char *text,
                          size_t len, size_t pos, int flags, wr_batch *batch, wr_error *err)
{
    bool overlay = flags & WR_JSON_OVERLAY;
    assert(batch->sel == NULL && batch->ncols == schema->ncols);
    assert(overlay ? batch->count > 0 : batch->count < batch->capacity);
    decoder d = {.s = text,
                 .len = len,
                 .o = o,
                 .schema = schema,
                 .batch = batch,
                 .row = overlay ? batch->count - 1 : batch->count,
                 .err = err};
    size_t i = skip_ws(text, len, pos);
    if (i >= len || text[i] != '{')
        return json_error(&d, i, "expected a JSON object, found %s", found(&d, i).s);
    int rc = decode_members(&d, i, &i, overlay);
    if (rc == 0 && !overlay) batch->count++;
    return rc;
}

/* ---- envelopes: walking objects and arrays ------------------------------------------ */

int wr_json_iter_begin(wr_json_iter *it, const char *text, size_t len, size_t pos, char open,
                       wr_error *err)
{
    assert(open == '{' || open == '[');
    decoder d = {.s = text, .len = len, .err = err};
    memset(it, 0, sizeof(*it));
    it->text = text;
    it->len = len;
    it->err = err;
    it->close = open == '{' ? '}' : ']';
    size_t i = skip_ws(text, len, pos);
    if (i >= len || text[i] != open)
        return json_error(&d, i, "expected a JSON %s, found %s", open == '{' ? "object" : "array",
                          found(&d, i).s);
    it->pos = skip_ws(text, len, i + 1);
    return 0;
}

int wr_json_iter_record(wr_json_iter *it, const char *text, size_t len, wr_error *err)
{
    size_t bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    size_t i = skip_ws(text, len, bom);
    if (i == len || (has_word(text, len, i, "null", 4) && skip_ws(text, len, i + 4) == len))
        return WR_JSON_SKIPPED;
    int rc = wr_json_iter_begin(it, text, len, i, '{', err);
    it->whole = true;
    return rc;
}

int wr_json_iter_next(wr_json_iter *it, wr_json_item *item)
{
    const char *s = it->text;
    size_t len = it->len, i = it->pos;
    decoder d = {.s = s, .len = len, .err = it->err};
    if (it->done) return 0;
    bool closed = false;
    if (it->n == 0) {
        closed = i < len && s[i] == it->close;
    } else if (i < len && s[i] == ',') {
        i = skip_ws(s, len, i + 1);
    } else if (i < len && s[i] == it->close) {
        closed = true;
    } else {
        return json_error(&d, i, "expected ',' or '%c', found %s", it->close, found(&d, i).s);
    }
    if (closed) {
        it->done = true;
        it->pos = skip_ws(s, len, i + 1);
        if (it->whole && it->pos < len)
            return json_error(&d, it->pos, "unexpected text after the object: %s",
                              found(&d, it->pos).s);
        return 0;
    }
    item->name = NULL;
    item->name_len = 0;
    if (it->close == '}') {
        if (i >= len || s[i] != '"')
            return json_error(&d, i, "expected a field name (a string), found %s", found(&d, i).s);
        bool escaped = false;
        size_t q = scan_string(s, len, i, &escaped);
        if (q >= len) return json_error(&d, i, "unterminated field name");
        item->name = s + i + 1;
        item->name_len = q - i - 1;
        if (escaped) {
            /* Names of envelope members are short; a longer escaped name matches none. */
            ptrdiff_t m = unescape(&d, i + 1, q, NULL);
            if (m < 0) return WR_ERR_PARSE;
            if ((size_t)m <= sizeof(it->name_buf)) {
                unescape(&d, i + 1, q, it->name_buf);
                item->name = it->name_buf;
                item->name_len = (size_t)m;
            }
        }
        d.name = item->name;
        d.name_len = item->name_len;
        i = skip_ws(s, len, q + 1);
        if (i >= len || s[i] != ':')
            return json_error(&d, i, "expected ':' after the field name, found %s", found(&d, i).s);
        i = skip_ws(s, len, i + 1);
    }
    item->start = i;
    int rc = skip_value(&d, i, &item->end);
    if (rc) return rc;
    it->pos = skip_ws(s, len, item->end);
    it->n++;
    return 1;
}

int wr_json_string(const char *text, size_t start, size_t end, const char *what, wr_buf *out,
                   wr_error *err)
{
    decoder d = {.s = text, .len = end, .err = err, .name = what, .name_len = strlen(what)};
    if (start >= end || text[start] != '"' || text[end - 1] != '"' || end - start < 2)
        return json_error(&d, start, "expected a string, found %s", found(&d, start).s);
    size_t from = start + 1, to = end - 1;
    ptrdiff_t n = unescape(&d, from, to, NULL);
    if (n < 0) return WR_ERR_PARSE;
    wr_buf_reserve(out, (size_t)n + 1);
    unescape(&d, from, to, out->data + out->len);
    out->len += (size_t)n;
    out->data[out->len] = '\0';
    return 0;
}

/* ---- encoding ------------------------------------------------------------------ */

/*
 * s as a JSON string, escaped as Jackson does: '"', '\\' and control
 * characters (short forms where JSON has them, else \u00XX); '/' and
 * non-ASCII bytes are written as they are.
 */
static void put_string(const char *s, size_t n, wr_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    wr_buf_putc(out, '"');
    size_t run = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (WR_LIKELY(c >= 0x20 && c != '"' && c != '\\')) continue;
        wr_buf_append(out, s + run, k - run);
        run = k + 1;
        char esc[6] = {'\\', 0};
        size_t m = 2;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            m = 6;
            break;
        }
        wr_buf_append(out, esc, m);
    }
    wr_buf_append(out, s + run, n - run);
    wr_buf_putc(out, '"');
}

/* Flink's SQL or ISO-8601 timestamp text: seconds always, only the fraction digits needed. */
static void put_timestamp(const wr_json_options *o, int64_t us, bool ltz, wr_buf *out)
{
    wr_buf_putc(out, '"');
    size_t at = out->len;
    wr_timestamp_format_short(us, out);
    if (o->timestamp_standard == WR_JSON_TIMESTAMP_ISO_8601) {
        char *sp = memchr(out->data + at, ' ', out->len - at);
        if (WR_ALWAYS(sp != NULL)) *sp = 'T';
    }
    if (ltz) wr_buf_putc(out, 'Z'); /* an instant in UTC */
    wr_buf_putc(out, '"');
}

static void put_floating(double x, bool is_float, wr_buf *out)
{
    /* Jackson writes NaN and the infinities as strings (WRITE_NAN_AS_STRINGS). */
    bool quote = !isfinite(x);
    if (quote) wr_buf_putc(out, '"');
    wr_double_format_java(x, is_float, out);
    if (quote) wr_buf_putc(out, '"');
}

void wr_json_encode(const wr_json_options *o, const wr_batch *batch, int row,
                    const wr_schema *schema, wr_buf *out)
{
    assert(batch->ncols == schema->ncols);
    wr_buf_putc(out, '{');
    for (int c = 0; c < batch->ncols; c++) {
        if (c) wr_buf_putc(out, ',');
        put_string(schema->names[c], strlen(schema->names[c]), out);
        wr_buf_putc(out, ':');
        const wr_vector *v = &batch->cols[c];
        if (wr_vector_is_null(v, row)) {
            wr_buf_append(out, "null", 4);
            continue;
        }
        switch ((wr_type_id)v->type.id) {
        case WR_TYPE_BOOLEAN:
            wr_buf_puts(out, ((const uint8_t *)v->data)[row] ? "true" : "false");
            break;
        case WR_TYPE_TINYINT:
            wr_buf_put_int64(out, ((const int8_t *)v->data)[row]);
            break;
        case WR_TYPE_SMALLINT:
            wr_buf_put_int64(out, ((const int16_t *)v->data)[row]);
            break;
        case WR_TYPE_INT:
            wr_buf_put_int64(out, ((const int32_t *)v->data)[row]);
            break;
        case WR_TYPE_BIGINT:
            wr_buf_put_int64(out, ((const int64_t *)v->data)[row]);
            break;
        case WR_TYPE_FLOAT:
            put_floating(((const float *)v->data)[row], true, out);
            break;
        case WR_TYPE_DOUBLE:
            put_floating(((const double *)v->data)[row], false, out);
            break;
        case WR_TYPE_CHAR:
        case WR_TYPE_VARCHAR: {
            wr_str s = ((const wr_str *)v->data)[row];
            put_string(s.ptr, s.len, out);
            break;
        }
        case WR_TYPE_TIMESTAMP:
        case WR_TYPE_TIMESTAMP_LTZ:
            put_timestamp(o, ((const int64_t *)v->data)[row], v->type.id == WR_TYPE_TIMESTAMP_LTZ,
                          out);
            break;
        case WR_TYPE_DECIMAL:
            /* A JSON number with all its digits (BigDecimal.toPlainString). */
            wr_decimal_format(((const wr_int128 *)v->data)[row], v->type.scale, out);
            break;
        case WR_TYPE_DATE:
            wr_buf_putc(out, '"');
            wr_date_format(((const int32_t *)v->data)[row], out);
            wr_buf_putc(out, '"');
            break;
        case WR_TYPE_TIME:
            wr_buf_putc(out, '"');
            wr_time_format_sql(((const int32_t *)v->data)[row], WR_MIN(v->type.length, 3), out);
            wr_buf_putc(out, '"');
            break;
        case WR_TYPE_BINARY:
        case WR_TYPE_VARBINARY: {
            wr_str b = ((const wr_str *)v->data)[row];
            wr_buf_putc(out, '"');
            wr_base64_encode(b.ptr, b.len, out);
            wr_buf_putc(out, '"');
            break;
        }
        default:
            assert(!"type not supported by format json");
            break;
        }
    }
    wr_buf_putc(out, '}');
}
