/*
 * avro.c — Flink's 'avro' format: the writer schema derived from a table's
 * columns, and the binary encoding of one record datum, read and written here.
 *
 * The binary encoding is small enough to walk by hand (zigzag varints,
 * length-prefixed bytes, little-endian floats, union indexes), which is
 * several times faster than libavro's generic values and writes straight into
 * the batch's vectors. libavro parses the derived schema once at planning, so
 * a name Avro does not allow fails at CREATE TABLE, not in the job.
 */
#include "avro.h"
#include "../types/decimal.h"
#include "../types/nested.h"

#include <avro.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- options ---------------------------------------------------------------------- */

static const char *const encoding_names[] = {"binary", "json", NULL};
static const char *const codec_names[] = {"null", "deflate",   "snappy", "bzip2",
                                          "xz",   "zstandard", NULL};

int wr_avro_options_read(const wr_config *options, wr_error *err)
{
    int encoding = 0, codec = 0;
    int rc = wr_config_get_enum(options, "avro.encoding", encoding_names, 0, &encoding, err);
    if (rc == 0) rc = wr_config_get_enum(options, "avro.codec", codec_names, 0, &codec, err);
    if (rc) return rc;
    if (encoding == 1) {
        const wr_config_entry *e = wr_config_find(options, "avro.encoding");
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "'avro.encoding' = 'json' is not supported yet; Weir reads and "
                               "writes Avro's binary encoding ('binary')");
    }
    return 0;
}

/* ---- the schema ------------------------------------------------------------------- */

/* Avro's names: [A-Za-z_][A-Za-z0-9_]*. */
static bool avro_name(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* Why a type has no Avro type here, or NULL when it has one. */
static const char *unsupported(wr_type t)
{
    switch ((wr_type_id)t.id) {
    case WR_TYPE_BOOLEAN:
    case WR_TYPE_TINYINT:
    case WR_TYPE_SMALLINT:
    case WR_TYPE_INT:
    case WR_TYPE_BIGINT:
    case WR_TYPE_FLOAT:
    case WR_TYPE_DOUBLE:
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR:
    case WR_TYPE_BINARY:
    case WR_TYPE_VARBINARY:
    case WR_TYPE_DECIMAL:
    case WR_TYPE_DATE:
        return NULL;
    case WR_TYPE_TIME:
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
        /* time-millis and timestamp-millis, as Flink's legacy mapping; it refuses more. */
        return t.length <= 3 ? NULL
                             : "Avro's time-millis and timestamp-millis hold precision 3 "
                               "at most";
    default:
        return "it has no Avro type in format 'avro' (ARRAY, MAP, MULTISET, ROW and intervals "
               "are not supported yet)";
    }
}

int wr_avro_check(const wr_schema *schema, wr_error *err)
{
    char tname[64];
    for (int c = 0; c < schema->ncols; c++) {
        const char *why = unsupported(schema->types[c]);
        if (why)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "format 'avro' cannot carry column '%s' "
                                "of type %s: %s",
                                schema->names[c],
                                wr_type_name(schema->types[c], tname, sizeof(tname)), why);
        if (!avro_name(schema->names[c]))
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "format 'avro' cannot carry column '%s': an Avro field name "
                                "starts with a letter or '_' and has only letters, digits and '_'",
                                schema->names[c]);
    }
    /* libavro must read what Weir writes: it checks names and structure once, here. */
    wr_buf json;
    wr_buf_init(&json);
    wr_avro_schema_json(schema, &json);
    avro_schema_t parsed = NULL;
    int rc = 0;
    if (avro_schema_from_json_length(json.data, json.len, &parsed))
        rc = wr_error_set(err, WR_ERR_VALIDATION,
                          "format 'avro': the derived schema %s is "
                          "invalid: %s",
                          json.data, avro_strerror());
    else
        avro_schema_decref(parsed);
    wr_buf_fini(&json);
    return rc;
}

/* The Avro type of one column, without the union for NULL. */
static void type_json(wr_type t, wr_buf *out)
{
    switch ((wr_type_id)t.id) {
    case WR_TYPE_BOOLEAN:
        wr_buf_puts(out, "\"boolean\"");
        break;
    case WR_TYPE_TINYINT:
    case WR_TYPE_SMALLINT:
    case WR_TYPE_INT:
        wr_buf_puts(out, "\"int\"");
        break;
    case WR_TYPE_BIGINT:
        wr_buf_puts(out, "\"long\"");
        break;
    case WR_TYPE_FLOAT:
        wr_buf_puts(out, "\"float\"");
        break;
    case WR_TYPE_DOUBLE:
        wr_buf_puts(out, "\"double\"");
        break;
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR:
        wr_buf_puts(out, "\"string\"");
        break;
    case WR_TYPE_BINARY:
    case WR_TYPE_VARBINARY:
        wr_buf_puts(out, "\"bytes\"");
        break;
    case WR_TYPE_DECIMAL:
        /* Flink's converter writes bytes (its docs say fixed). */
        wr_buf_printf(out,
                      "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":%d,"
                      "\"scale\":%d}",
                      t.length, t.scale);
        break;
    case WR_TYPE_DATE:
        wr_buf_puts(out, "{\"type\":\"int\",\"logicalType\":\"date\"}");
        break;
    case WR_TYPE_TIME:
        wr_buf_puts(out, "{\"type\":\"int\",\"logicalType\":\"time-millis\"}");
        break;
    default: /* TIMESTAMP, TIMESTAMP_LTZ */
        wr_buf_puts(out, "{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}");
        break;
    }
}

void wr_avro_schema_json(const wr_schema *schema, wr_buf *out)
{
    wr_buf_puts(out, "{\"type\":\"record\",\"name\":\"record\","
                     "\"namespace\":\"org.apache.flink.avro.generated\",\"fields\":[");
    for (int c = 0; c < schema->ncols; c++) {
        wr_type t = schema->types[c];
        wr_buf_printf(out, "%s{\"name\":\"%s\",\"type\":", c ? "," : "", schema->names[c]);
        if (t.nullable) wr_buf_puts(out, "[\"null\",");
        type_json(t, out);
        wr_buf_puts(out, t.nullable ? "],\"default\":null}" : "}");
    }
    wr_buf_puts(out, "]}");
}

/* ---- decoding --------------------------------------------------------------------- */

/* The decoding of one datum. */
typedef struct decoder {
    const uint8_t *p, *end, *start;
    const wr_schema *schema;
    int col;   /* the field being read, for messages */
    size_t at; /* its offset in the datum */
    wr_error *err;
} decoder;

static int fail(decoder *d, const char *fmt, ...) WR_PRINTF(2, 3);
static int fail(decoder *d, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return wr_error_set(d->err, WR_ERR_PARSE, "field '%s' at offset %zu: %s",
                        d->schema->names[d->col], d->at, msg);
}

/* A zigzag varint of at most 64 bits (an Avro long; an int is checked by the caller). */
static int read_long(decoder *d, const char *what, int64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (d->p == d->end) return fail(d, "the datum ends inside %s", what);
        uint8_t b = *d->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            /* The tenth byte holds one bit: more is a number that does not fit 64 bits. */
            if (shift == 63 && b > 1) break;
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return 0;
        }
    }
    return fail(d, "%s is a varint longer than 64 bits", what);
}

static int read_int(decoder *d, const char *what, int32_t *out)
{
    int64_t v;
    int rc = read_long(d, what, &v);
    if (rc) return rc;
    if (v < INT32_MIN || v > INT32_MAX)
        return fail(d, "%s %lld does not fit an Avro int", what, (long long)v);
    *out = (int32_t)v;
    return 0;
}

/* A length-prefixed string or bytes: a view into the datum. */
static int read_bytes(decoder *d, const char *what, const uint8_t **ptr, size_t *len)
{
    int64_t n;
    int rc = read_long(d, what, &n);
    if (rc) return rc;
    if (n < 0) return fail(d, "%s has a negative length %lld", what, (long long)n);
    if ((uint64_t)n > (uint64_t)(d->end - d->p))
        return fail(d, "the datum ends inside %s of %lld bytes (%lld left)", what, (long long)n,
                    (long long)(d->end - d->p));
    *ptr = d->p;
    *len = (size_t)n;
    d->p += n;
    return 0;
}

static int read_fixed(decoder *d, const char *what, size_t n, uint8_t *out)
{
    if ((size_t)(d->end - d->p) < n)
        return fail(d, "the datum ends inside %s (%lld bytes, %lld left)", what, (long long)n,
                    (long long)(d->end - d->p));
    memcpy(out, d->p, n);
    d->p += n;
    return 0;
}

/* A big-endian two's complement integer (Java's BigInteger.toByteArray); false when too wide. */
static bool unscaled(const uint8_t *b, size_t n, wr_int128 *out)
{
    uint8_t fill = n && (b[0] & 0x80) ? 0xff : 0x00;
    /* Bytes beyond 16 must only extend the sign. */
    for (; n > 16; b++, n--)
        if (b[0] != fill || ((b[1] & 0x80) != 0) != (fill != 0)) return false;
    unsigned __int128 v = fill ? ~(unsigned __int128)0 : 0;
    for (size_t i = 0; i < n; i++) v = (v << 8) | b[i];
    *out = (wr_int128)v;
    return true;
}

static int decode_value(decoder *d, wr_batch *batch, int row)
{
    wr_type t = d->schema->types[d->col];
    wr_vector *v = &batch->cols[d->col];
    int rc = 0;
    int32_t i32 = 0;
    int64_t i64 = 0;
    uint8_t b[8] = {0};
    const uint8_t *ptr;
    size_t len;
    switch ((wr_type_id)t.id) {
    case WR_TYPE_BOOLEAN:
        if ((rc = read_fixed(d, "a boolean", 1, b))) return rc;
        if (b[0] > 1) return fail(d, "a boolean is %d (expected 0 or 1)", b[0]);
        ((uint8_t *)v->data)[row] = b[0];
        break;
    case WR_TYPE_TINYINT:
    case WR_TYPE_SMALLINT:
        if ((rc = read_int(d, "an int", &i32))) return rc;
        if (t.id == WR_TYPE_TINYINT ? (i32 < INT8_MIN || i32 > INT8_MAX)
                                    : (i32 < INT16_MIN || i32 > INT16_MAX))
            return fail(d, "%d does not fit %s", i32,
                        t.id == WR_TYPE_TINYINT ? "TINYINT" : "SMALLINT");
        if (t.id == WR_TYPE_TINYINT)
            ((int8_t *)v->data)[row] = (int8_t)i32;
        else
            ((int16_t *)v->data)[row] = (int16_t)i32;
        break;
    case WR_TYPE_INT:
    case WR_TYPE_DATE:
        if ((rc = read_int(d, "an int", &i32))) return rc;
        ((int32_t *)v->data)[row] = i32;
        break;
    case WR_TYPE_TIME:
        if ((rc = read_int(d, "an int", &i32))) return rc;
        if (i32 < 0 || i32 >= 86400000)
            return fail(d, "a time-millis of %d is not a time of day", i32);
        ((int32_t *)v->data)[row] = i32;
        break;
    case WR_TYPE_BIGINT:
        if ((rc = read_long(d, "a long", &i64))) return rc;
        ((int64_t *)v->data)[row] = i64;
        break;
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
        if ((rc = read_long(d, "a long", &i64))) return rc;
        if (i64 < INT64_MIN / 1000 || i64 > INT64_MAX / 1000)
            return fail(d, "a timestamp-millis of %lld is out of range", (long long)i64);
        ((int64_t *)v->data)[row] = i64 * 1000; /* microseconds */
        break;
    case WR_TYPE_FLOAT: {
        if ((rc = read_fixed(d, "a float", 4, b))) return rc;
        uint32_t u =
            (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&((float *)v->data)[row], &u, 4);
        break;
    }
    case WR_TYPE_DOUBLE: {
        if ((rc = read_fixed(d, "a double", 8, b))) return rc;
        uint64_t u = 0;
        for (int i = 7; i >= 0; i--) u = u << 8 | b[i];
        memcpy(&((double *)v->data)[row], &u, 8);
        break;
    }
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR:
    case WR_TYPE_BINARY:
    case WR_TYPE_VARBINARY:
        rc = read_bytes(d, wr_type_is_string((wr_type_id)t.id) ? "a string" : "bytes", &ptr, &len);
        if (rc) return rc;
        if (len > UINT32_MAX) return fail(d, "a value of %zu bytes is too long", len);
        ((wr_str *)v->data)[row] = wr_batch_str(batch, (const char *)ptr, len);
        break;
    case WR_TYPE_DECIMAL: {
        if ((rc = read_bytes(d, "a decimal", &ptr, &len))) return rc;
        if (len == 0) return fail(d, "a decimal has no bytes");
        wr_int128 u;
        if (!unscaled(ptr, len, &u) || !wr_decimal_fits(u, t.length)) {
            /* Flink reads a value wider than the column as NULL. */
            if (!t.nullable)
                return fail(
                    d, "a decimal of %zu bytes does not fit the NOT NULL column's precision %d",
                    len, (int)t.length);
            wr_batch_set_null(batch, d->col, row);
            return 0;
        }
        ((wr_int128 *)v->data)[row] = u;
        break;
    }
    default:
        return fail(d, "type %d has no Avro form", t.id);
    }
    if (v->validity) wr_validity_set(v->validity, row, true);
    return 0;
}

int wr_avro_decode(const wr_schema *schema, const void *data, size_t len, wr_batch *batch,
                   wr_error *err)
{
    decoder d = {
        .p = data, .end = (const uint8_t *)data + len, .start = data, .schema = schema, .err = err};
    int row = batch->count;
    for (d.col = 0; d.col < schema->ncols; d.col++) {
        d.at = (size_t)(d.p - d.start);
        if (schema->types[d.col].nullable) {
            int64_t branch;
            int rc = read_long(&d, "a union index", &branch);
            if (rc) return rc;
            if (branch == 0) {
                wr_batch_set_null(batch, d.col, row);
                continue;
            }
            if (branch != 1)
                return fail(&d, "union index %lld (expected 0 for null or 1)", (long long)branch);
        }
        int rc = decode_value(&d, batch, row);
        if (rc) return rc;
    }
    if (d.p != d.end)
        return wr_error_set(err, WR_ERR_PARSE,
                            "at offset %zu: %zu bytes after the end of the "
                            "record",
                            (size_t)(d.p - d.start), (size_t)(d.end - d.p));
    batch->count++;
    return 0;
}

/* ---- encoding --------------------------------------------------------------------- */

static void put_long(wr_buf *out, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    uint8_t b[10];
    int n = 0;
    while (z >= 0x80) {
        b[n++] = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    b[n++] = (uint8_t)z;
    wr_buf_append(out, b, (size_t)n);
}

static void put_bytes(wr_buf *out, const void *p, size_t n)
{
    put_long(out, (int64_t)n);
    wr_buf_append(out, p, n);
}

/* The fewest big-endian two's complement bytes of v (Java's BigInteger.toByteArray). */
static void put_unscaled(wr_buf *out, wr_int128 v)
{
    uint8_t b[16];
    unsigned __int128 u = (unsigned __int128)v;
    for (int i = 15; i >= 0; i--, u >>= 8) b[i] = (uint8_t)u;
    int i = 0;
    while (i < 15 && ((b[i] == 0x00 && !(b[i + 1] & 0x80)) || (b[i] == 0xff && (b[i + 1] & 0x80))))
        i++;
    put_bytes(out, b + i, (size_t)(16 - i));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void wr_avro_encode(const wr_schema *schema, const wr_batch *batch, int row, wr_buf *out)
{
    for (int c = 0; c < schema->ncols; c++) {
        wr_type t = schema->types[c];
        const wr_vector *v = &batch->cols[c];
        if (t.nullable) {
            bool null = wr_vector_is_null(v, row);
            put_long(out, null ? 0 : 1);
            if (null) continue;
        }
        uint8_t b[8];
        switch ((wr_type_id)t.id) {
        case WR_TYPE_BOOLEAN:
            wr_buf_putc(out, ((const uint8_t *)v->data)[row] ? 1 : 0);
            break;
        case WR_TYPE_TINYINT:
            put_long(out, ((const int8_t *)v->data)[row]);
            break;
        case WR_TYPE_SMALLINT:
            put_long(out, ((const int16_t *)v->data)[row]);
            break;
        case WR_TYPE_INT:
        case WR_TYPE_DATE:
        case WR_TYPE_TIME:
            put_long(out, ((const int32_t *)v->data)[row]);
            break;
        case WR_TYPE_BIGINT:
            put_long(out, ((const int64_t *)v->data)[row]);
            break;
        case WR_TYPE_TIMESTAMP:
        case WR_TYPE_TIMESTAMP_LTZ:
            put_long(out, floor_div(((const int64_t *)v->data)[row], 1000));
            break;
        case WR_TYPE_FLOAT: {
            uint32_t u;
            memcpy(&u, &((const float *)v->data)[row], 4);
            for (int i = 0; i < 4; i++) b[i] = (uint8_t)(u >> (8 * i));
            wr_buf_append(out, b, 4);
            break;
        }
        case WR_TYPE_DOUBLE: {
            uint64_t u;
            memcpy(&u, &((const double *)v->data)[row], 8);
            for (int i = 0; i < 8; i++) b[i] = (uint8_t)(u >> (8 * i));
            wr_buf_append(out, b, 8);
            break;
        }
        case WR_TYPE_DECIMAL:
            put_unscaled(out, ((const wr_int128 *)v->data)[row]);
            break;
        default: { /* strings and bytes (wr_avro_check allows nothing else) */
            wr_str s = ((const wr_str *)v->data)[row];
            put_bytes(out, s.ptr, s.len);
            break;
        }
        }
    }
}
