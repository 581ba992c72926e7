/*
 * csv.c — Flink's 'csv' format; see csv.h and README.md for the rules.
 *
 * Decoding scans each field once (memchr for the delimiter or closing
 * quote), converts it in place by the column's type and stores it in the
 * batch's vector. The slow paths — doubled quotes, errors, counting the
 * fields of a bad line — are kept out of the per-field loop.
 */
#include "csv.h"
#include "../types/decimal.h"
#include "../types/nested.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest piece of bad text quoted in a message. */
#define SHOW_MAX 64

void wr_csv_options_default(wr_csv_options *o)
{
    o->field_delimiter = ',';
    o->quote_character = '"';
    o->ignore_parse_errors = false;
    o->allow_comments = false;
    o->null_literal = NULL;
}

/* ---- options ---------------------------------------------------------------- */

/* A one-character option: one byte, or a backslash escape for tab. */
static int read_char(const wr_config *options, const char *key, char *out, bool *present,
                     wr_error *err)
{
    wr_config_entry *e = wr_config_find(options, key);
    *present = e != NULL;
    if (e == NULL) return 0;
    const char *v = e->value;
    char c;
    if (strlen(v) == 1)
        c = v[0];
    else if (strcmp(v, "\\t") == 0)
        c = '\t';
    else
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option '%s': expected a single character", v,
                               key);
    if (c == '\n' || c == '\r')
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value for option '%s': a line break cannot be used", key);
    *out = c;
    return 0;
}

int wr_csv_options_read(const wr_config *options, wr_csv_options *o, wr_error *err)
{
    wr_csv_options_default(o);
    bool has_delim, has_quote, disable = false;
    int rc = read_char(options, "csv.field-delimiter", &o->field_delimiter, &has_delim, err);
    if (rc == 0)
        rc = read_char(options, "csv.quote-character", &o->quote_character, &has_quote, err);
    if (rc == 0)
        rc = wr_config_get_bool(options, "csv.disable-quote-character", false, &disable, err);
    if (rc == 0)
        rc = wr_config_get_bool(options, "csv.ignore-parse-errors", false, &o->ignore_parse_errors,
                                err);
    if (rc == 0)
        rc = wr_config_get_bool(options, "csv.allow-comments", false, &o->allow_comments, err);
    if (rc) return rc;
    const wr_config_entry *nl = wr_config_find(options, "csv.null-literal");
    if (nl) o->null_literal = nl->value;
    if (disable && has_quote) {
        /* As Flink: the two options contradict each other. */
        const wr_config_entry *e = wr_config_find(options, "csv.quote-character");
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->key_pos,
                               "options 'csv.quote-character' and 'csv.disable-quote-character' "
                               "cannot be used together");
    }
    if (disable) o->quote_character = '\0';
    if (o->quote_character != '\0' && o->quote_character == o->field_delimiter) {
        const wr_config_entry *e =
            wr_config_find(options, has_quote ? "csv.quote-character" : "csv.field-delimiter");
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option '%s': the field delimiter and the "
                               "quote character must differ",
                               e->value, e->key);
    }
    return 0;
}

bool wr_csv_supports(wr_type_id id)
{
    /* Nested types (ARRAY, MAP, MULTISET, ROW) have no text form here yet. */
    return id != WR_TYPE_NULL && id < WR_TYPE_COUNT_ && !wr_type_is_interval(id) &&
           !wr_type_is_nested(id);
}

/* ---- decoding ----------------------------------------------------------------- */

/* One field of a line: its text (between the quotes when quoted) and where it starts. */
typedef struct field {
    const char *text;
    size_t len;
    size_t offset; /* of the field's first byte (the opening quote when quoted) */
    bool quoted;
    bool doubled; /* quoted and holds doubled quotes: text needs unescaping */
} field;

/*
 * Scans the field at *pos: sets f and moves *pos past the field and its
 * delimiter; *more says a delimiter followed (another field comes). Returns
 * 0, or -1 for an unterminated quoted field, or -2 for text after a closing
 * quote (*pos is then at that text).
 */
static inline int scan_field(const wr_csv_options *o, const char *line, size_t len, size_t *pos,
                             field *f, bool *more)
{
    size_t p = *pos;
    char q = o->quote_character;
    f->offset = p;
    f->doubled = false;
    f->quoted = q != '\0' && p < len && line[p] == q;
    if (!f->quoted) {
        const char *d = p < len ? memchr(line + p, o->field_delimiter, len - p) : NULL;
        size_t end = d ? (size_t)(d - line) : len;
        f->text = line + p;
        f->len = end - p;
        *more = d != NULL;
        *pos = d ? end + 1 : len;
        return 0;
    }
    size_t i = p + 1;
    for (;;) {
        const char *c = i < len ? memchr(line + i, q, len - i) : NULL;
        if (c == NULL) return -1;
        size_t k = (size_t)(c - line);
        if (k + 1 < len && line[k + 1] == q) {
            f->doubled = true;
            i = k + 2;
            continue;
        }
        f->text = line + p + 1;
        f->len = k - p - 1;
        p = k + 1;
        break;
    }
    if (p < len && line[p] != o->field_delimiter) {
        *pos = p;
        return -2;
    }
    *more = p < len;
    *pos = *more ? p + 1 : len;
    return 0;
}

/* The number of fields of a line, counting an unterminated last field as one. */
static int count_fields(const wr_csv_options *o, const char *line, size_t len)
{
    size_t pos = 0;
    int n = 0;
    for (;;) {
        field f;
        bool more = false;
        int rc = scan_field(o, line, len, &pos, &f, &more);
        n++;
        if (rc == -1) return n;
        if (rc == -2) {
            /* Text after a closing quote: up to the next delimiter belongs to this field. */
            const char *d = memchr(line + pos, o->field_delimiter, len - pos);
            if (d == NULL) return n;
            pos = (size_t)(d - line) + 1;
            more = true;
        }
        if (!more) return n;
    }
}

bool wr_csv_unterminated(const wr_csv_options *o, const char *line, size_t len)
{
    size_t pos = 0;
    for (;;) {
        field f;
        bool more = false;
        int rc = scan_field(o, line, len, &pos, &f, &more);
        if (rc == -1) return true;
        if (rc == -2) {
            const char *d = memchr(line + pos, o->field_delimiter, len - pos);
            if (d == NULL) return false;
            pos = (size_t)(d - line) + 1;
            more = true;
        }
        if (!more) return false;
    }
}

/* "field 'name' at offset N: " followed by the message. Returns WR_ERR_PARSE. */
static int WR_PRINTF(5, 6) field_error(wr_error *err, const wr_schema *schema, int col,
                                       size_t offset, const char *fmt, ...)
{
    char msg[WR_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return wr_error_set(err, WR_ERR_PARSE, "field '%s' at offset %zu: %s", schema->names[col],
                        offset, msg);
}

/* Bad text for a message: at most SHOW_MAX bytes, then "...". */
#define SHOW_FMT "'%.*s%s'"
#define SHOW_ARGS(s, n) (int)WR_MIN((n), (size_t)SHOW_MAX), (s), (n) > SHOW_MAX ? "..." : ""

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

/*
 * A decimal integer with an optional sign, in [lo, hi]. Returns 0, -1 when
 * the text is not an integer, -2 when it is out of range.
 */
static inline int parse_int(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
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
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9) return -1;
        if (v > (limit - d) / 10) over = true;
        v = v * 10 + d;
    }
    if (over) return -2;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
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

/* Copies the text of a quoted field with doubled quotes made single into dst; returns its length.
 */
static size_t unescape(const wr_csv_options *o, const field *f, char *dst)
{
    size_t n = 0;
    for (size_t i = 0; i < f->len; i++) {
        dst[n++] = f->text[i];
        if (f->text[i] == o->quote_character) i++; /* the second of a pair */
    }
    return n;
}

/*
 * Converts field f (the schema's column col, for messages) into row `row` of
 * the batch's column `to`. Returns 0 or WR_ERR_PARSE. The value's validity
 * is set by the caller.
 */
static int convert(const wr_csv_options *o, const wr_schema *schema, wr_batch *batch, int col,
                   int to, int row, const field *f, bool *is_null, wr_error *err)
{
    wr_vector *v = &batch->cols[to];
    wr_type_id id = (wr_type_id)v->type.id;
    const char *s = f->text;
    size_t n = f->len;
    *is_null = false;
    if (wr_type_is_string(id)) {
        if (n > UINT32_MAX)
            return field_error(err, schema, col, f->offset, "string of %zu bytes is too long", n);
        wr_str *d = (wr_str *)v->data + row;
        if (!f->doubled) {
            *d = wr_batch_str(batch, s, n);
        } else {
            char *p = wr_arena_alloc(&batch->arena, n);
            *d = (wr_str){p, (uint32_t)unescape(o, f, p)};
        }
        return 0;
    }
    if (wr_type_is_binary(id)) {
        /* Base64, as Jackson writes byte arrays. */
        const char *t = s;
        size_t m = n;
        char *unq = NULL;
        if (f->doubled) {
            unq = wr_arena_alloc(&batch->arena, n ? n : 1);
            m = unescape(o, f, unq);
            t = unq;
        }
        trim(&t, &m);
        char *p = wr_arena_alloc(&batch->arena, m / 4 * 3 + 3);
        ptrdiff_t len = wr_base64_decode(t, m, p);
        if (len < 0)
            return field_error(err, schema, col, f->offset,
                               "invalid BYTES " SHOW_FMT ": expected base64", SHOW_ARGS(t, m));
        ((wr_str *)v->data)[row] = (wr_str){p, (uint32_t)len};
        return 0;
    }
    char tmp[128];
    if (f->doubled) {
        /* Never a valid value of these types; unescaped for the message. */
        if (n >= sizeof(tmp)) n = sizeof(tmp) - 1;
        field g = *f;
        g.len = n;
        n = unescape(o, &g, tmp);
        s = tmp;
    }
    trim(&s, &n);
    if (n == 0) {
        *is_null = true;
        return 0;
    }
    char tname[32];
    switch (id) {
    case WR_TYPE_BOOLEAN: {
        uint8_t *d = (uint8_t *)v->data + row;
        if (n == 4 && strncasecmp(s, "true", 4) == 0)
            *d = 1;
        else if (n == 5 && strncasecmp(s, "false", 5) == 0)
            *d = 0;
        else
            return field_error(err, schema, col, f->offset, "invalid BOOLEAN " SHOW_FMT,
                               SHOW_ARGS(s, n));
        return 0;
    }
    case WR_TYPE_TINYINT:
    case WR_TYPE_SMALLINT:
    case WR_TYPE_INT:
    case WR_TYPE_BIGINT: {
        int64_t lo, hi, x;
        int_range(id, &lo, &hi);
        int rc = parse_int(s, n, lo, hi, &x);
        if (rc)
            return field_error(err, schema, col, f->offset, "invalid %s " SHOW_FMT "%s",
                               wr_type_name(wr_type_make(id, true), tname, sizeof(tname)),
                               SHOW_ARGS(s, n), rc == -2 ? ": out of range" : "");
        switch (id) {
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
        return 0;
    }
    case WR_TYPE_FLOAT:
    case WR_TYPE_DOUBLE: {
        char num[128];
        char *end = num;
        if (n < sizeof(num)) {
            memcpy(num, s, n);
            num[n] = '\0';
            if (id == WR_TYPE_FLOAT)
                ((float *)v->data)[row] = strtof(num, &end);
            else
                ((double *)v->data)[row] = strtod(num, &end);
        }
        if (end != num + n || n >= sizeof(num))
            return field_error(err, schema, col, f->offset, "invalid %s " SHOW_FMT,
                               id == WR_TYPE_FLOAT ? "FLOAT" : "DOUBLE", SHOW_ARGS(s, n));
        return 0;
    }
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ: {
        /* TIMESTAMP_LTZ is written with a 'Z' (Flink's SQL_TIMESTAMP_WITH_LOCAL_TIMEZONE_FORMAT);
         * read with or without it. */
        int64_t us;
        size_t m = id == WR_TYPE_TIMESTAMP_LTZ && n && s[n - 1] == 'Z' ? n - 1 : n;
        if (wr_timestamp_parse(s, m, &us))
            return field_error(err, schema, col, f->offset, "invalid %s " SHOW_FMT,
                               id == WR_TYPE_TIMESTAMP ? "TIMESTAMP" : "TIMESTAMP_LTZ",
                               SHOW_ARGS(s, n));
        ((int64_t *)v->data)[row] = wr_timestamp_truncate(us, v->type.length);
        return 0;
    }
    case WR_TYPE_DATE:
        if (wr_date_parse(s, n, (int32_t *)v->data + row))
            return field_error(err, schema, col, f->offset,
                               "invalid DATE " SHOW_FMT ": expected 'yyyy-MM-dd'", SHOW_ARGS(s, n));
        return 0;
    case WR_TYPE_TIME: {
        int32_t ms;
        if (wr_time_parse(s, n, &ms))
            return field_error(err, schema, col, f->offset,
                               "invalid TIME " SHOW_FMT ": expected 'HH:mm:ss[.SSS]'",
                               SHOW_ARGS(s, n));
        int p = v->type.length;
        ((int32_t *)v->data)[row] = p >= 3 ? ms : ms - ms % (p == 2 ? 10 : p == 1 ? 100 : 1000);
        return 0;
    }
    case WR_TYPE_DECIMAL: {
        /* A value with more whole digits than the type holds is NULL, as in Flink. */
        int rc = wr_decimal_parse(s, n, v->type.length, v->type.scale, (wr_int128 *)v->data + row);
        if (rc == -1)
            return field_error(err, schema, col, f->offset, "invalid %s " SHOW_FMT,
                               wr_type_name(wr_type_decimal(v->type.length, v->type.scale, true),
                                            tname, sizeof(tname)),
                               SHOW_ARGS(s, n));
        if (rc == -2 && !v->type.nullable)
            return field_error(err, schema, col, f->offset, "%s " SHOW_FMT " is out of range",
                               wr_type_name(wr_type_decimal(v->type.length, v->type.scale, true),
                                            tname, sizeof(tname)),
                               SHOW_ARGS(s, n));
        if (rc == -2) *is_null = true;
        return 0;
    }
    default:
        break;
    }
    return field_error(err, schema, col, f->offset, "type %s is not supported by format 'csv'",
                       wr_type_name(v->type, tname, sizeof(tname)));
}

int wr_csv_decode(const wr_csv_options *o, const wr_schema *schema, const char *line, size_t len,
                  wr_batch *batch, wr_error *err)
{
    assert(batch->ncols == schema->ncols);
    return wr_csv_decode_fields(o, schema, NULL, line, len, batch, err);
}

/*
 * One pass over the fields: each is scanned (so quoting and the field count
 * are checked on every line), and converted only when it has a target.
 */
int wr_csv_decode_fields(const wr_csv_options *o, const wr_schema *schema, const int *targets,
                         const char *line, size_t len, wr_batch *batch, wr_error *err)
{
    assert(batch->sel == NULL && batch->count < batch->capacity);
    if (o->allow_comments && len > 0 && line[0] == '#') return WR_CSV_SKIPPED;
    int ncols = schema->ncols;
    int row = batch->count;
    size_t nl_len = o->null_literal ? strlen(o->null_literal) : 0;
    size_t pos = 0;
    int col = 0;
    for (;; col++) {
        field f;
        bool more = false;
        int rc = scan_field(o, line, len, &pos, &f, &more);
        if (col >= ncols) {
            /* Too many fields: the count is what the message needs. */
            return wr_error_set(err, WR_ERR_PARSE, "expected %d fields, found %d", ncols,
                                count_fields(o, line, len));
        }
        if (WR_UNLIKELY(rc)) {
            /* Broken quoting makes any field count meaningless: report it as it is. */
            if (rc == -1)
                return field_error(err, schema, col, f.offset, "unterminated quoted field");
            return field_error(err, schema, col, pos,
                               "unexpected text after the closing quote of the field");
        }
        int to = targets ? targets[col] : col;
        if (to < 0) {
            /* Not read: neither converted nor checked against NOT NULL (as Flink). */
            if (!more) break;
            continue;
        }
        bool is_null, literal = false;
        if (!f.quoted && o->null_literal && f.len == nl_len &&
            memcmp(f.text, o->null_literal, nl_len) == 0) {
            is_null = literal = true;
        } else {
            rc = convert(o, schema, batch, col, to, row, &f, &is_null, err);
            if (WR_UNLIKELY(rc)) {
                int found = count_fields(o, line, len);
                if (found != ncols)
                    return wr_error_set(err, WR_ERR_PARSE, "expected %d fields, found %d", ncols,
                                        found);
                return rc;
            }
        }
        wr_vector *v = &batch->cols[to];
        if (is_null) {
            if (!v->type.nullable) {
                int found = count_fields(o, line, len);
                if (found != ncols)
                    return wr_error_set(err, WR_ERR_PARSE, "expected %d fields, found %d", ncols,
                                        found);
                return field_error(err, schema, col, f.offset, "NULL (%s) in a NOT NULL column",
                                   literal ? "the null literal" : "an empty field");
            }
            wr_batch_set_null(batch, to, row);
        } else if (v->validity) {
            /* A failed earlier decode may have cleared this row's bit. */
            wr_validity_set(wr_batch_validity(batch, to), row, true);
        }
        if (!more) break;
    }
    if (col + 1 != ncols)
        return wr_error_set(err, WR_ERR_PARSE, "expected %d fields, found %d", ncols, col + 1);
    batch->count++;
    return 0;
}

/* ---- encoding ------------------------------------------------------------------ */

/* Whether the string must be quoted to read back as itself. */
static bool needs_quotes(const wr_csv_options *o, wr_str s, bool first)
{
    if (o->null_literal && strlen(o->null_literal) == s.len &&
        memcmp(s.ptr, o->null_literal, s.len) == 0)
        return true;
    if (s.len == 0) return false;
    char c0 = s.ptr[0], cn = s.ptr[s.len - 1];
    if (c0 == ' ' || c0 == '\t' || cn == ' ' || cn == '\t') return true;
    if (first && o->allow_comments && c0 == '#') return true;
    for (uint32_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == o->field_delimiter || c == o->quote_character || c == '\n' || c == '\r')
            return true;
    }
    return false;
}

static void put_string(const wr_csv_options *o, wr_str s, bool first, wr_buf *out)
{
    char q = o->quote_character;
    if (q == '\0' || !needs_quotes(o, s, first)) {
        wr_buf_append(out, s.ptr, s.len);
        return;
    }
    wr_buf_putc(out, q);
    const char *p = s.ptr, *end = s.ptr + s.len;
    while (p < end) {
        const char *hit = memchr(p, q, (size_t)(end - p));
        if (hit == NULL) {
            wr_buf_append(out, p, (size_t)(end - p));
            break;
        }
        wr_buf_append(out, p, (size_t)(hit - p + 1));
        wr_buf_putc(out, q); /* doubled */
        p = hit + 1;
    }
    wr_buf_putc(out, q);
}

/* Flink's SQL_TIMESTAMP_FORMAT: seconds always, then only the fraction digits needed. */
void wr_csv_encode(const wr_csv_options *o, const wr_batch *batch, int row, wr_buf *out)
{
    for (int c = 0; c < batch->ncols; c++) {
        if (c) wr_buf_putc(out, o->field_delimiter);
        const wr_vector *v = &batch->cols[c];
        if (wr_vector_is_null(v, row)) {
            if (o->null_literal) wr_buf_puts(out, o->null_literal);
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
            wr_double_format_java(((const float *)v->data)[row], true, out);
            break;
        case WR_TYPE_DOUBLE:
            wr_double_format_java(((const double *)v->data)[row], false, out);
            break;
        case WR_TYPE_CHAR:
        case WR_TYPE_VARCHAR:
            put_string(o, ((const wr_str *)v->data)[row], c == 0, out);
            break;
        case WR_TYPE_TIMESTAMP:
            wr_timestamp_format_short(((const int64_t *)v->data)[row], out);
            break;
        case WR_TYPE_TIMESTAMP_LTZ:
            wr_timestamp_format_short(((const int64_t *)v->data)[row], out);
            wr_buf_putc(out, 'Z');
            break;
        case WR_TYPE_DECIMAL:
            wr_decimal_format(((const wr_int128 *)v->data)[row], v->type.scale, out);
            break;
        case WR_TYPE_DATE:
            wr_date_format(((const int32_t *)v->data)[row], out);
            break;
        case WR_TYPE_TIME:
            wr_time_format_sql(((const int32_t *)v->data)[row], WR_MIN(v->type.length, 3), out);
            break;
        case WR_TYPE_BINARY:
        case WR_TYPE_VARBINARY: {
            wr_str b = ((const wr_str *)v->data)[row];
            wr_base64_encode(b.ptr, b.len, out);
            break;
        }
        default:
            assert(!"type not supported by format csv");
            break;
        }
    }
}
