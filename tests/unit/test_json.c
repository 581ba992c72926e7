/*
 * test_json.c — the json format (decoding, encoding, options) and the
 * filesystem connector reading and writing JSON Lines.
 *
 * The format is tested by decoding lines into a batch and encoding rows
 * back; malformed input by exact messages and by truncating and mutating
 * valid lines at every byte (under ASan: no read past the line). The
 * connector by files under a temporary directory, driving its operators
 * as the runtime would.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/connectors/connector.h"
#include "../../src/connectors/filesystem.h"
#include "../../src/formats/json.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers -------------------------------------------------------------------- */

static wr_json_options defaults(void)
{
    wr_json_options o;
    wr_json_options_default(&o);
    return o;
}

static wr_batch *batch_for(const wr_schema *schema)
{
    return wr_batch_new(schema->types, schema->ncols, WR_BATCH_CAPACITY);
}

/* Decodes line (of n bytes); asserts a new row. */
static void decode_n(const wr_json_options *o, const wr_schema *schema, const char *line, size_t n,
                     wr_batch *batch)
{
    wr_error err;
    wr_error_init(&err);
    int before = batch->count;
    int rc = wr_json_decode(o, schema, line, n, batch, &err);
    cr_assert_eq(rc, 0, "decoding '%s': %s", line, err.msg);
    cr_assert_eq(batch->count, before + 1);
}

static void decode_ok(const wr_json_options *o, const wr_schema *schema, const char *line,
                      wr_batch *batch)
{
    decode_n(o, schema, line, strlen(line), batch);
}

/* Decodes line expecting an error with exactly this message; the batch must not change. */
static void decode_fails(const wr_json_options *o, const wr_schema *schema, const char *line,
                         wr_batch *batch, const char *msg)
{
    wr_error err;
    wr_error_init(&err);
    int before = batch->count;
    int rc = wr_json_decode(o, schema, line, strlen(line), batch, &err);
    cr_assert_eq(rc, WR_ERR_PARSE, "decoding '%s' should fail (rc %d)", line, rc);
    cr_assert_str_eq(err.msg, msg, "decoding '%s'", line);
    cr_assert_eq(batch->count, before);
}

static wr_str str_at(const wr_batch *batch, int col, int row)
{
    return ((const wr_str *)batch->cols[col].data)[row];
}

static void assert_bytes(const wr_batch *batch, int col, int row, const char *want, size_t n)
{
    cr_assert(!wr_vector_is_null(&batch->cols[col], row), "column %d row %d is NULL", col, row);
    wr_str s = str_at(batch, col, row);
    cr_assert(s.len == n && memcmp(s.ptr, want, n) == 0, "column %d row %d: got '%.*s', want '%s'",
              col, row, (int)s.len, s.ptr, want);
}

static void assert_str(const wr_batch *batch, int col, int row, const char *want)
{
    assert_bytes(batch, col, row, want, strlen(want));
}

static void assert_null(const wr_batch *batch, int col, int row)
{
    cr_assert(wr_vector_is_null(&batch->cols[col], row), "column %d row %d should be NULL", col,
              row);
}

static int64_t i64_at(const wr_batch *batch, int col, int row)
{
    return ((const int64_t *)batch->cols[col].data)[row];
}

static double f64_at(const wr_batch *batch, int col, int row)
{
    return ((const double *)batch->cols[col].data)[row];
}

static int64_t ts(const char *text)
{
    int64_t us;
    cr_assert_eq(wr_timestamp_parse(text, strlen(text), &us), 0);
    return us;
}

/* (id BIGINT, key STRING, v DOUBLE): the benchmark's shape. */
static wr_schema *small_schema(void)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true),
                       wr_type_make(WR_TYPE_DOUBLE, true)};
    return schema_of("id,key,v", types);
}

/* One column of the given type, named x. */
static wr_schema *one_column(wr_type type)
{
    return schema_of("x", &type);
}

/* ---- decoding ------------------------------------------------------------------- */

/* Every type: b, t, s, i, l, f, d, c, str, ts, ts6. */
static wr_schema *every_type_schema(void)
{
    wr_type types[11] = {
        wr_type_make(WR_TYPE_BOOLEAN, true),   wr_type_make(WR_TYPE_TINYINT, true),
        wr_type_make(WR_TYPE_SMALLINT, true),  wr_type_make(WR_TYPE_INT, true),
        wr_type_make(WR_TYPE_BIGINT, true),    wr_type_make(WR_TYPE_FLOAT, true),
        wr_type_make(WR_TYPE_DOUBLE, true),    wr_type_make(WR_TYPE_CHAR, true),
        wr_type_make(WR_TYPE_VARCHAR, true),   wr_type_make(WR_TYPE_TIMESTAMP, true),
        wr_type_make(WR_TYPE_TIMESTAMP, true),
    };
    types[7].length = 3;
    types[10].length = 6;
    return schema_of("b,t,s,i,l,f,d,c,str,ts,ts6", types);
}

Test(json, decodes_every_type)
{
    wr_schema *schema = every_type_schema();
    wr_batch *batch = batch_for(schema);
    wr_json_options o = defaults();
    decode_ok(&o, schema,
              "{\"b\": true, \"t\": -128, \"s\": 32767, \"i\": -2147483648, "
              "\"l\": 9223372036854775807, \"f\": 1.5, \"d\": -2.25e-3, \"c\": \"abc\", "
              "\"str\": \"h\\u00e9llo\", \"ts\": \"2024-01-01 10:00:01.2349\", "
              "\"ts6\": \"2024-02-29 23:59:59.123456\"}",
              batch);
    /* All NULL. */
    decode_ok(&o, schema,
              "{\"b\":null,\"t\":null,\"s\":null,\"i\":null,\"l\":null,\"f\":null,\"d\":null,"
              "\"c\":null,\"str\":null,\"ts\":null,\"ts6\":null}",
              batch);
    /* Numbers and booleans as strings (Flink parses the text), trimmed. */
    decode_ok(&o, schema,
              "{\"b\": \" FALSE \", \"t\": \"127\", \"s\": \"-7\", \"i\": \" +42 \", "
              "\"l\": \"-9223372036854775808\", \"f\": \"NaN\", \"d\": \"-Infinity\", "
              "\"c\": 12, \"str\": false, \"ts\": \"2024-01-01 00:00:00\", "
              "\"ts6\": \"1969-12-31 23:59:59.999999\"}",
              batch);
    cr_assert_eq(batch->count, 3);

    const wr_batch *b = batch;
    cr_assert_eq(((uint8_t *)b->cols[0].data)[0], 1);
    cr_assert_eq(((int8_t *)b->cols[1].data)[0], -128);
    cr_assert_eq(((int16_t *)b->cols[2].data)[0], 32767);
    cr_assert_eq(((int32_t *)b->cols[3].data)[0], INT32_MIN);
    cr_assert_eq(i64_at(b, 4, 0), INT64_MAX);
    cr_assert_eq(((float *)b->cols[5].data)[0], 1.5f);
    cr_assert_eq(f64_at(b, 6, 0), -2.25e-3);
    assert_str(b, 7, 0, "abc");
    assert_str(b, 8, 0, "h\xc3\xa9llo");
    cr_assert_eq(i64_at(b, 9, 0), ts("2024-01-01 10:00:01.234")); /* TIMESTAMP(3): truncated */
    cr_assert_eq(i64_at(b, 10, 0), ts("2024-02-29 23:59:59.123456"));
    for (int c = 0; c < 11; c++) {
        cr_assert(!wr_vector_is_null(&b->cols[c], 0), "col %d", c);
        assert_null(b, c, 1);
        cr_assert(!wr_vector_is_null(&b->cols[c], 2), "col %d", c);
    }
    cr_assert_eq(((uint8_t *)b->cols[0].data)[2], 0);
    cr_assert_eq(((int8_t *)b->cols[1].data)[2], 127);
    cr_assert_eq(((int16_t *)b->cols[2].data)[2], -7);
    cr_assert_eq(((int32_t *)b->cols[3].data)[2], 42);
    cr_assert_eq(i64_at(b, 4, 2), INT64_MIN);
    cr_assert(isnan(((float *)b->cols[5].data)[2]));
    cr_assert(isinf(f64_at(b, 6, 2)) && f64_at(b, 6, 2) < 0);
    assert_str(b, 7, 2, "12");
    assert_str(b, 8, 2, "false");
    cr_assert_eq(i64_at(b, 9, 2), ts("2024-01-01 00:00:00"));
    cr_assert_eq(i64_at(b, 10, 2), -1);
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(json, integers_are_range_checked_and_integral)
{
    wr_json_options o = defaults();
    struct {
        wr_type_id id;
        const char *value;
        int64_t want; /* when msg is NULL */
        const char *msg;
    } cases[] = {
        {WR_TYPE_TINYINT, "127", 127, NULL},
        {WR_TYPE_TINYINT, "-128", -128, NULL},
        {WR_TYPE_TINYINT, "128", 0, "field 'x' at offset 6: invalid TINYINT '128': out of range"},
        {WR_TYPE_TINYINT, "-129", 0, "field 'x' at offset 6: invalid TINYINT '-129': out of range"},
        {WR_TYPE_SMALLINT, "-32768", -32768, NULL},
        {WR_TYPE_SMALLINT, "32768", 0,
         "field 'x' at offset 6: invalid SMALLINT '32768': out of range"},
        {WR_TYPE_INT, "2147483647", INT32_MAX, NULL},
        {WR_TYPE_INT, "-2147483649", 0,
         "field 'x' at offset 6: invalid INT '-2147483649': out of range"},
        {WR_TYPE_INT, "\"2147483648\"", 0,
         "field 'x' at offset 6: invalid INT '2147483648': out of range"},
        {WR_TYPE_INT, "\"007\"", 7, NULL},
        {WR_TYPE_INT, "-0", 0, NULL},
        {WR_TYPE_INT, "1.5", 0, "field 'x' at offset 6: invalid INT '1.5': not an integer"},
        {WR_TYPE_INT, "1e3", 0, "field 'x' at offset 6: invalid INT '1e3': not an integer"},
        {WR_TYPE_INT, "1.0", 0, "field 'x' at offset 6: invalid INT '1.0': not an integer"},
        {WR_TYPE_INT, "\"1.0\"", 0, "field 'x' at offset 6: invalid INT '1.0'"},
        {WR_TYPE_INT, "\"\"", 0, "field 'x' at offset 6: invalid INT ''"},
        {WR_TYPE_INT, "\"x1\"", 0, "field 'x' at offset 6: invalid INT 'x1'"},
        {WR_TYPE_INT, "true", 0, "field 'x' at offset 6: expected INT, found 'true'"},
        {WR_TYPE_INT, "[1]", 0, "field 'x' at offset 6: expected INT, found an array '[1]}'"},
        {WR_TYPE_BIGINT, "-9223372036854775808", INT64_MIN, NULL},
        {WR_TYPE_BIGINT, "9223372036854775808", 0,
         "field 'x' at offset 6: invalid BIGINT '9223372036854775808': out of range"},
        {WR_TYPE_BIGINT, "-9223372036854775809", 0,
         "field 'x' at offset 6: invalid BIGINT '-9223372036854775809': out of range"},
        {WR_TYPE_BIGINT, "123456789012345678901234567890", 0,
         "field 'x' at offset 6: invalid BIGINT '123456789012345678901234567890': out of range"},
        {WR_TYPE_BIGINT, "1700000000000", 1700000000000LL, NULL},
        {WR_TYPE_BIGINT, "{}", 0, "field 'x' at offset 6: expected BIGINT, found an object '{}}'"},
    };
    for (size_t k = 0; k < WR_ARRAY_LEN(cases); k++) {
        wr_schema *schema = one_column(wr_type_make(cases[k].id, true));
        wr_batch *batch = batch_for(schema);
        char line[128];
        snprintf(line, sizeof(line), "{\"x\": %s}", cases[k].value);
        if (cases[k].msg) {
            decode_fails(&o, schema, line, batch, cases[k].msg);
        } else {
            decode_ok(&o, schema, line, batch);
            wr_vector *v = &batch->cols[0];
            int64_t got = cases[k].id == WR_TYPE_TINYINT    ? ((int8_t *)v->data)[0]
                          : cases[k].id == WR_TYPE_SMALLINT ? ((int16_t *)v->data)[0]
                          : cases[k].id == WR_TYPE_INT      ? ((int32_t *)v->data)[0]
                                                            : ((int64_t *)v->data)[0];
            cr_assert_eq(got, cases[k].want, "case %zu: %s", k, line);
        }
        wr_batch_free(batch);
        wr_schema_free(schema);
    }
}

Test(json, floating_point_is_correctly_rounded)
{
    wr_json_options o = defaults();
    wr_schema *schema = small_schema();
    wr_type ft = wr_type_make(WR_TYPE_FLOAT, true);
    wr_schema *fschema = schema_of("v", &ft);
    /* Fixed cases and pseudo-random ones (fast path and strtod path) must agree with strtod. */
    const char *fixed[] = {"0",
                           "-0",
                           "-0.0",
                           "0.1",
                           "1.5",
                           "123456789012345678",
                           "9007199254740993",
                           "1e22",
                           "1e23",
                           "1.7976931348623157e308",
                           "2.2250738585072014e-308",
                           "4.9e-324",
                           "1e400",
                           "-1e-400",
                           "0.000000000000000000000000000001",
                           "3.141592653589793238462643383279",
                           "123456789012345678901234567890e-10",
                           "1E+2",
                           "5e-1"};
    uint64_t seed = 42;
    for (int k = 0; k < 20000 + (int)WR_ARRAY_LEN(fixed); k++) {
        char num[64];
        if (k < (int)WR_ARRAY_LEN(fixed)) {
            snprintf(num, sizeof(num), "%s", fixed[k]);
        } else {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            uint64_t r = seed >> 11;
            int digits = 1 + (int)(r % 20), exp = (int)((r >> 5) % 60) - 30;
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            char mant[32];
            snprintf(mant, sizeof(mant), "%llu0", (unsigned long long)(seed >> 1));
            mant[digits < (int)strlen(mant) ? digits : (int)strlen(mant)] = '\0';
            if (mant[1] == '\0') strcat(mant, "5"); /* a digit after the point */
            if (r & 1)
                snprintf(num, sizeof(num), "%s%.1s.%se%d", (r & 2) ? "-" : "", mant, mant + 1, exp);
            else
                snprintf(num, sizeof(num), "%s%s", (r & 2) ? "-" : "", mant);
        }
        char line[128];
        snprintf(line, sizeof(line), "{\"v\": %s}", num);
        wr_batch *batch = batch_for(schema);
        decode_ok(&o, schema, line, batch);
        double want = strtod(num, NULL), got = f64_at(batch, 2, 0);
        cr_assert(memcmp(&want, &got, sizeof(double)) == 0, "%s: got %.17g, want %.17g", num, got,
                  want);
        wr_batch_free(batch);
        batch = batch_for(fschema);
        decode_ok(&o, fschema, line, batch);
        float fwant = strtof(num, NULL), fgot = ((float *)batch->cols[0].data)[0];
        cr_assert(memcmp(&fwant, &fgot, sizeof(float)) == 0, "%s: got %.9g, want %.9g", num,
                  (double)fgot, (double)fwant);
        wr_batch_free(batch);
    }
    wr_schema_free(schema);
    wr_schema_free(fschema);
}

Test(json, strings_and_escapes)
{
    wr_json_options o = defaults();
    wr_type st = wr_type_make(WR_TYPE_VARCHAR, true);
    wr_schema *schema = one_column(st);
    wr_batch *batch = batch_for(schema);
    struct {
        const char *json;
        const char *want;
        size_t n;
    } cases[] = {
        {"\"plain\"", "plain", 5},
        {"\"\"", "", 0},
        {"\"\\n\\t\\\"\\\\\\/\\b\\f\\r\"", "\n\t\"\\/\b\f\r", 8},
        {"\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6},
        {"\"\\ud83d\\ude00!\"", "\xf0\x9f\x98\x80!", 5}, /* a surrogate pair */
        {"\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4},   /* U+10FFFF */
        {"\"a\\u0000b\"", "a\0b", 3},                    /* NUL inside */
        {"\"raw \xc3\xa9 \xf0\x9f\x98\x80\"", "raw \xc3\xa9 \xf0\x9f\x98\x80", 11}, /* UTF-8 */
        {"\"tab\there\"", "tab\there", 8}, /* raw control characters, as Flink allows */
        {"\"{\\\"not\\\": [an, object]}\"", "{\"not\": [an, object]}", 21},
    };
    for (size_t k = 0; k < WR_ARRAY_LEN(cases); k++) {
        char line[128];
        snprintf(line, sizeof(line), "{\"x\":%s}", cases[k].json);
        decode_ok(&o, schema, line, batch);
        assert_bytes(batch, 0, batch->count - 1, cases[k].want, cases[k].n);
    }
    /* Escapes in a name: "\u0078" is "x". */
    decode_ok(&o, schema, "{\"\\u0078\": \"named by an escape\"}", batch);
    assert_str(batch, 0, batch->count - 1, "named by an escape");
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(json, any_value_into_a_string_column)
{
    /* Flink's convertToString: a scalar's text, an array's or object's JSON text. */
    wr_json_options o = defaults();
    wr_schema *schema = one_column(wr_type_make(WR_TYPE_VARCHAR, true));
    wr_batch *batch = batch_for(schema);
    struct {
        const char *json, *want;
    } cases[] = {
        {"123", "123"},
        {"-0", "0"},
        {"-17", "-17"},
        {"123456789012345678901234567890", "123456789012345678901234567890"},
        {"1.50", "1.5"},
        {"1e3", "1000.0"},
        {"1E20", "1.0E20"},
        {"-2.5e-5", "-2.5E-5"},
        {"true", "true"},
        {"false", "false"},
        {"{ \"a\" : [ 1 , 2 ], \"b c\": \"d \\\" e\" }", "{\"a\":[1,2],\"b c\":\"d \\\" e\"}"},
        {"[ ]", "[]"},
        {"[\"x\", {}, null]", "[\"x\",{},null]"},
    };
    for (size_t k = 0; k < WR_ARRAY_LEN(cases); k++) {
        char line[128];
        snprintf(line, sizeof(line), "{\"x\": %s}", cases[k].json);
        decode_ok(&o, schema, line, batch);
        assert_str(batch, 0, batch->count - 1, cases[k].want);
    }
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(json, booleans)
{
    wr_json_options o = defaults();
    wr_schema *schema = one_column(wr_type_make(WR_TYPE_BOOLEAN, true));
    wr_batch *batch = batch_for(schema);
    decode_ok(&o, schema, "{\"x\":true}", batch);
    decode_ok(&o, schema, "{\"x\":false}", batch);
    decode_ok(&o, schema, "{\"x\":\"True\"}", batch);
    cr_assert_eq(((uint8_t *)batch->cols[0].data)[0], 1);
    cr_assert_eq(((uint8_t *)batch->cols[0].data)[1], 0);
    cr_assert_eq(((uint8_t *)batch->cols[0].data)[2], 1);
    decode_fails(&o, schema, "{\"x\":1}", batch,
                 "field 'x' at offset 5: expected BOOLEAN, found '1'");
    decode_fails(&o, schema, "{\"x\":\"yes\"}", batch,
                 "field 'x' at offset 5: invalid BOOLEAN 'yes'");
    decode_fails(&o, schema, "{\"x\":True}", batch,
                 "field 'x' at offset 5: expected a value, found 'True}'");
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(json, timestamps_follow_the_standard)
{
    wr_type tt = wr_type_make(WR_TYPE_TIMESTAMP, true);
    tt.length = 6;
    wr_schema *schema = one_column(tt);
    wr_batch *batch = batch_for(schema);
    wr_json_options sql = defaults(), iso = defaults();
    iso.timestamp_standard = WR_JSON_TIMESTAMP_ISO_8601;

    decode_ok(&sql, schema, "{\"x\": \"2024-01-01 10:00:00\"}", batch);
    decode_ok(&sql, schema, "{\"x\": \"2024-01-01 10:00:00.5\"}", batch);
    decode_ok(&sql, schema, "{\"x\": \"2024-01-01 10:00:00.123456789\"}", batch);
    decode_ok(&iso, schema, "{\"x\": \"2024-01-01T10:00\"}", batch);
    decode_ok(&iso, schema, "{\"x\": \"2024-01-01T10:00:00.000001\"}", batch);
    cr_assert_eq(i64_at(batch, 0, 0), ts("2024-01-01 10:00:00"));
    cr_assert_eq(i64_at(batch, 0, 1), ts("2024-01-01 10:00:00.5"));
    cr_assert_eq(i64_at(batch, 0, 2), ts("2024-01-01 10:00:00.123456"));
    cr_assert_eq(i64_at(batch, 0, 3), ts("2024-01-01 10:00:00"));
    cr_assert_eq(i64_at(batch, 0, 4), ts("2024-01-01 10:00:00.000001"));

    const char *sql_msg = "': expected 'yyyy-MM-dd HH:mm:ss[.fffffffff]' "
                          "(json.timestamp-format.standard 'SQL')";
    const char *iso_msg = "': expected 'yyyy-MM-ddTHH:mm[:ss[.fffffffff]]' "
                          "(json.timestamp-format.standard 'ISO-8601')";
    struct {
        const wr_json_options *o;
        const char *value, *suffix;
    } bad[] = {
        {&sql, "2024-01-01T10:00:00", sql_msg},  {&sql, "2024-01-01 10:00", sql_msg},
        {&sql, "2024-1-01 10:00:00", sql_msg},   {&sql, "2024-02-30 10:00:00", sql_msg},
        {&sql, "2024-01-01 24:00:00", sql_msg},  {&sql, "2024-01-01 10:00:00.", sql_msg},
        {&sql, " 2024-01-01 10:00:00", sql_msg}, {&sql, "2024-01-01 10:00:00.1234567890", sql_msg},
        {&iso, "2024-01-01 10:00:00", iso_msg},  {&iso, "2024-01-01T10", iso_msg},
        {&iso, "2024-01-01T10:00:00Z", iso_msg}, {&iso, "", iso_msg},
    };
    for (size_t k = 0; k < WR_ARRAY_LEN(bad); k++) {
        char line[128], msg[300];
        snprintf(line, sizeof(line), "{\"x\": \"%s\"}", bad[k].value);
        snprintf(msg, sizeof(msg), "field 'x' at offset 6: invalid TIMESTAMP(6) '%s%s",
                 bad[k].value, bad[k].suffix);
        decode_fails(bad[k].o, schema, line, batch, msg);
    }
    /* Strings only: epoch numbers are not timestamps (as Flink). */
    decode_fails(&sql, schema, "{\"x\": 1700000000000}", batch,
                 "field 'x' at offset 6: invalid TIMESTAMP(6) '1700000000000': expected a string");
    decode_fails(&sql, schema, "{\"x\": true}", batch,
                 "field 'x' at offset 6: expected TIMESTAMP(6), found 'true'");
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(json, members_by_exact_name_in_any_order)
{
    wr_json_options o = defaults();
    wr_schema *schema = small_schema();
    wr_batch *batch = batch_for(schema);
    decode_ok(&o, schema, "{\"v\": 2.5, \"key\": \"k\", \"id\": 7}", batch);
    cr_assert_eq(i64_at(batch, 0, 0), 7);
    assert_str(batch, 1, 0, "k");
    cr_assert_eq(f64_at(batch, 2, 0), 2.5);
    /* Case-sensitive: "ID" and "Key" are unknown members; the columns are missing. */
    decode_ok(&o, schema, "{\"ID\": 1, \"Key\": \"x\", \"v\": 1}", batch);
    assert_null(batch, 0, 1);
    assert_null(batch, 1, 1);
    cr_assert_eq(f64_at(batch, 2, 1), 1.0);
    /* The last of duplicate members wins, as in Jackson's ObjectNode. */
    decode_ok(&o, schema, "{\"id\": 1, \"id\": null, \"key\": null, \"key\": \"b\", \"id\": 3}",
              batch);
    cr_assert_eq(i64_at(batch, 0, 2), 3);
    cr_assert(!wr_vector_is_null(&batch->cols[0], 2));
    assert_str(batch, 1, 2, "b");
    assert_null(batch, 2, 2);
    /* Blanks of every kind between tokens; an empty object. */
    decode_ok(&o, schema, " \t{ \"id\" :\t1 ,\r\"key\"\n:\"a\" } \r", batch);
    decode_ok(&o, schema, "{}", batch);
    for (int c = 0; c < 3; c++) assert_null(batch, c, 4);
    /* A byte order mark, as at the start of a file. */
    decode_ok(&o, schema, "\xEF\xBB\xBF{\"id\": 9}", batch);
    cr_assert_eq(i64_at(batch, 0, 5), 9);
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(json, unknown_members_are_skipped_whatever_they_hold)
{
    wr_json_options o = defaults();
    wr_schema *schema = small_schema();
    wr_batch *batch = batch_for(schema);
    decode_ok(&o, schema,
              "{\"meta\": {\"a\": [1, -2.5e3, {\"b\": [[], {}, [null, true, false]]}], "
              "\"s\": \"} ] , \\\" \\\\\"}, \"id\": 1, \"list\": [ \"x\" , [ ] ], "
              "\"n\": -0.0e+0, \"t\": true, \"f\": false, \"z\": null, "
              "\"e\\u0073c\": \"\\ud83d\\ude00\", \"key\": \"k1\", \"v\": 0.5, \"tail\": {}}",
              batch);
    cr_assert_eq(i64_at(batch, 0, 0), 1);
    assert_str(batch, 1, 0, "k1");
    cr_assert_eq(f64_at(batch, 2, 0), 0.5);

    /* Deep nesting is fine up to 1024 levels, an error beyond (no recursion in C). */
    for (int depth = 1024; depth <= 1025; depth++) {
        wr_buf line;
        wr_buf_init(&line);
        wr_buf_puts(&line, "{\"deep\": ");
        for (int k = 0; k < depth; k++) wr_buf_puts(&line, k % 2 ? "{\"a\":" : "[");
        wr_buf_putc(&line, '0');
        for (int k = depth - 1; k >= 0; k--) wr_buf_puts(&line, k % 2 ? "}" : "]");
        wr_buf_puts(&line, ", \"id\": 5}");
        if (depth == 1024) {
            decode_ok(&o, schema, line.data, batch);
            cr_assert_eq(i64_at(batch, 0, batch->count - 1), 5);
        } else {
            /* The 1025th opening bracket: 9 bytes of prefix, 1024 openings of 1 or 5 bytes. */
            char msg[200];
            snprintf(msg, sizeof(msg),
                     "field 'deep' at offset %d: arrays and objects nested deeper than 1024 "
                     "levels",
                     9 + 512 * 1 + 512 * 5);
            decode_fails(&o, schema, line.data, batch, msg);
        }
        wr_buf_fini(&line);
    }
    /* Bad syntax inside an unknown member is still an error, naming the member. */
    decode_fails(&o, schema, "{\"x\": [1, 2,, 3]}", batch,
                 "field 'x' at offset 12: expected a value, found ', 3]}'");
    decode_fails(&o, schema, "{\"x\": [1, 2}", batch,
                 "field 'x' at offset 11: expected ',' or ']', found '}'");
    decode_fails(&o, schema, "{\"x\": {\"a\" 1}}", batch,
                 "field 'x' at offset 11: expected ':' after a field name, found '1}}'");
    decode_fails(&o, schema, "{\"x\": {\"a\": 1,}}", batch,
                 "field 'x' at offset 14: expected a field name (a string), found '}}'");
    decode_fails(&o, schema, "{\"x\": \"bad \\q\"}", batch,
                 "field 'x' at offset 11: invalid escape '\\q' in a string");
    decode_fails(&o, schema, "{\"x\": [01]}", batch, "field 'x' at offset 7: invalid number '01'");
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(json, missing_members)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, false), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("id,name", types);
    wr_batch *batch = batch_for(schema);
    wr_json_options o = defaults();
    decode_ok(&o, schema, "{\"id\": 1}", batch);
    assert_null(batch, 1, 0);
    decode_ok(&o, schema, "{\"id\": 2, \"name\": null}", batch);
    assert_null(batch, 1, 1);
    decode_fails(&o, schema, "{\"name\": \"x\"}", batch,
                 "field 'id' is missing, and its column is NOT NULL");
    decode_fails(&o, schema, "{\"id\": null}", batch,
                 "field 'id' at offset 7: null in a NOT NULL column");
    o.fail_on_missing_field = true;
    decode_fails(&o, schema, "{\"id\": 3}", batch,
                 "field 'name' is missing (json.fail-on-missing-field is true)");
    /* An explicit null is not missing. */
    decode_ok(&o, schema, "{\"id\": 4, \"name\": null}", batch);
    assert_null(batch, 1, 2);
    /* A failed line leaves no trace in the row that comes next. */
    decode_fails(&o, schema, "{\"name\": null, \"id\": \"x\"}", batch,
                 "field 'id' at offset 21: invalid BIGINT 'x'");
    decode_ok(&o, schema, "{\"name\": \"n\", \"id\": 5}", batch);
    cr_assert_eq(batch->count, 4);
    assert_str(batch, 1, 3, "n");
    cr_assert_eq(i64_at(batch, 0, 3), 5);
    wr_batch_free(batch);
    wr_schema_free(schema);

    /* More columns than one word of the bitmap of seen members. */
    wr_type many[300];
    wr_buf names, line;
    wr_buf_init(&names);
    wr_buf_init(&line);
    wr_buf_putc(&line, '{');
    for (int c = 0; c < 300; c++) {
        many[c] = wr_type_make(WR_TYPE_INT, true);
        wr_buf_printf(&names, "%sc%d", c ? "," : "", c);
        if (c != 299) wr_buf_printf(&line, "%s\"c%d\": %d", c ? ", " : "", c, c);
    }
    wr_buf_putc(&line, '}');
    schema = schema_of(names.data, many);
    batch = batch_for(schema);
    o.fail_on_missing_field = false;
    decode_ok(&o, schema, line.data, batch);
    cr_assert_eq(((int32_t *)batch->cols[298].data)[0], 298);
    assert_null(batch, 299, 0);
    o.fail_on_missing_field = true;
    decode_fails(&o, schema, line.data, batch,
                 "field 'c299' is missing (json.fail-on-missing-field is true)");
    wr_buf_fini(&names);
    wr_buf_fini(&line);
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(json, blank_lines_and_null_are_skipped)
{
    wr_json_options o = defaults();
    wr_schema *schema = small_schema();
    wr_batch *batch = batch_for(schema);
    wr_error err;
    wr_error_init(&err);
    const char *skipped[] = {"", "  ", "\t\r", "null", " null "};
    for (size_t k = 0; k < WR_ARRAY_LEN(skipped); k++)
        cr_assert_eq(wr_json_decode(&o, schema, skipped[k], strlen(skipped[k]), batch, &err),
                     WR_JSON_SKIPPED, "'%s'", skipped[k]);
    cr_assert_eq(batch->count, 0);
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(json, malformed_lines)
{
    wr_json_options o = defaults();
    wr_schema *schema = small_schema();
    wr_batch *batch = batch_for(schema);
    struct {
        const char *line, *msg;
    } cases[] = {
        {"[1,2]", "at offset 0: expected a JSON object, found '[1,2]'"},
        {"  42", "at offset 2: expected a JSON object, found '42'"},
        {"nul", "at offset 0: expected a JSON object, found 'nul'"},
        {"null x", "at offset 0: expected a JSON object, found 'null x'"},
        {"{", "at offset 1: expected a field name (a string), found the end of the line"},
        {"{\"id\": 1", "field 'id' at offset 8: expected ',' or '}' after the value, found the "
                       "end of the line"},
        {"{\"id\": 1 \"key\": \"a\"}",
         "field 'id' at offset 9: expected ',' or '}' after the value, found '\"key\": \"a\"}'"},
        {"{\"id\": 1,}", "at offset 9: expected a field name (a string), found '}'"},
        {"{id: 1}", "at offset 1: expected a field name (a string), found 'id: 1}'"},
        {"{'id': 1}", "at offset 1: expected a field name (a string), found ''id': 1}'"},
        {"{\"id\" 1}", "field 'id' at offset 6: expected ':' after the field name, found '1}'"},
        {"{\"id\":}", "field 'id' at offset 6: expected a value, found '}'"},
        {"{\"id", "at offset 1: unterminated field name"},
        {"{\"id\": 1} x", "at offset 10: unexpected text after the object: 'x'"},
        {"{\"id\": 1}}", "at offset 9: unexpected text after the object: '}'"},
        {"{} {}", "at offset 3: unexpected text after the object: '{}'"},
        {"{\"id\": 01}", "field 'id' at offset 7: invalid number '01'"},
        {"{\"id\": -}", "field 'id' at offset 7: invalid number '-'"},
        {"{\"id\": +1}", "field 'id' at offset 7: expected a value, found '+1}'"},
        {"{\"id\": .5}", "field 'id' at offset 7: expected a value, found '.5}'"},
        {"{\"v\": 1.}", "field 'v' at offset 6: invalid number '1.'"},
        {"{\"v\": 1.5e}", "field 'v' at offset 6: invalid number '1.5e'"},
        {"{\"v\": 1.5e+}", "field 'v' at offset 6: invalid number '1.5e+'"},
        {"{\"v\": 12abc}", "field 'v' at offset 6: invalid number '12abc'"},
        {"{\"v\": NaN}", "field 'v' at offset 6: expected a value, found 'NaN}'"},
        {"{\"v\": Infinity}", "field 'v' at offset 6: expected a value, found 'Infinity}'"},
        {"{\"v\": \"one\"}", "field 'v' at offset 6: invalid DOUBLE 'one'"},
        {"{\"id\": tru}", "field 'id' at offset 7: expected a value, found 'tru}'"},
        {"{\"id\": nulL}", "field 'id' at offset 7: expected a value, found 'nulL}'"},
        {"{\"id\": \"x1\"}", "field 'id' at offset 7: invalid BIGINT 'x1'"},
        {"{\"key\": \"abc", "field 'key' at offset 8: unterminated string"},
        {"{\"key\": \"abc\\\"}", "field 'key' at offset 8: unterminated string"},
        {"{\"key\": \"a\\x\"}", "field 'key' at offset 10: invalid escape '\\x' in a string"},
        {"{\"key\": \"\\u12\"}",
         "field 'key' at offset 9: invalid escape '\\u12' in a string: expected four "
         "hexadecimal digits after \\u"},
        {"{\"key\": \"\\u12G4\"}",
         "field 'key' at offset 9: invalid escape '\\u12G4' in a string: expected four "
         "hexadecimal digits after \\u"},
        {"{\"key\": \"\\ud800\"}",
         "field 'key' at offset 9: unpaired surrogate '\\ud800' in a string"},
        {"{\"key\": \"\\ud800\\u0041\"}",
         "field 'key' at offset 9: unpaired surrogate '\\ud800' in a string"},
        {"{\"key\": \"x\\udc00\"}",
         "field 'key' at offset 10: unpaired surrogate '\\udc00' in a string"},
        {"{\"k\\ey\": 1}", "field 'k\\ey' at offset 3: invalid escape '\\e' in a string"},
    };
    for (size_t k = 0; k < WR_ARRAY_LEN(cases); k++)
        decode_fails(&o, schema, cases[k].line, batch, cases[k].msg);
    /* Long bad text is cut in messages. */
    char line[300];
    memset(line, 'z', sizeof(line));
    memcpy(line, "{\"id\": \"", 8);
    memcpy(line + 290, "\"}", 3);
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_json_decode(&o, schema, line, strlen(line), batch, &err), WR_ERR_PARSE);
    cr_assert(strstr(err.msg, "invalid BIGINT 'zzzz") && strstr(err.msg, "zzz...'"), "%s", err.msg);
    cr_assert(strlen(err.msg) < 120, "%s", err.msg);
    cr_assert_eq(batch->count, 0);
    wr_batch_free(batch);
    wr_schema_free(schema);
}

/*
 * Decodes line: it must succeed, be skipped, or fail with a positioned
 * message, and the batch count must say which. Returns the result.
 */
static int decode_any(const wr_json_options *o, const wr_schema *schema, const char *line, size_t n,
                      wr_batch *batch)
{
    wr_error err;
    wr_error_init(&err);
    int before = batch->count;
    /* A copy of exactly n bytes, so ASan catches a read past the line. */
    char *copy = malloc(n ? n : 1);
    memcpy(copy, line, n);
    int rc = wr_json_decode(o, schema, copy, n, batch, &err);
    free(copy);
    cr_assert(rc == 0 || rc == WR_JSON_SKIPPED || rc == WR_ERR_PARSE, "rc %d", rc);
    cr_assert_eq(batch->count, before + (rc == 0), "'%.*s'", (int)n, line);
    if (rc == WR_ERR_PARSE)
        cr_assert(strstr(err.msg, "offset ") || strstr(err.msg, "is missing"),
                  "'%.*s': message without a position: %s", (int)n, line, err.msg);
    if (batch->count == batch->capacity) wr_batch_reset(batch);
    return rc;
}

static const char *const rich_lines[] = {
    "{\"b\": true, \"t\": -12, \"s\": 300, \"i\": \"42\", \"l\": -9007199254740993, "
    "\"f\": 1.25e-2, \"d\": -0.0, \"c\": \"a\\u00e9\", \"str\": \"q\\\"\\\\\\/\\b\\f\\n\\r\\t"
    "\\ud83d\\ude00\", \"ts\": \"2024-01-01 10:00:00.5\", \"ts6\": null, \"extra\": "
    "{\"n\": [1, 2.5, -3e2, \"s\", true, false, null, {}, []]}}",
    "  {\"str\" : [ {\"a\" : \"}\" } , 1 ] , \"l\" : 0 , \"x\" : \"\\u0000\" }  ",
};

Test(json, truncated_at_every_length)
{
    wr_json_options o = defaults();
    wr_schema *schema = every_type_schema();
    wr_batch *batch = batch_for(schema);
    for (size_t k = 0; k < WR_ARRAY_LEN(rich_lines); k++) {
        const char *line = rich_lines[k];
        size_t n = strlen(line);
        cr_assert_eq(decode_any(&o, schema, line, n, batch), 0);
        /* A cut before the closing brace is never a row. */
        size_t close = (size_t)(strrchr(line, '}') - line);
        for (size_t cut = 0; cut < n; cut++) {
            int rc = decode_any(&o, schema, line, cut, batch);
            if (cut <= close) cr_assert_neq(rc, 0, "prefix of %zu bytes decoded", cut);
        }
    }
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(json, mutated_lines_never_crash)
{
    /* Every byte replaced by each of the bytes that matter to the grammar. */
    wr_json_options o = defaults();
    wr_schema *schema = every_type_schema();
    wr_batch *batch = batch_for(schema);
    const char subst[] = "\"\\{}[],:x0-.eE \tnu\x80";
    char buf[512];
    int outcomes[3] = {0};
    for (size_t k = 0; k < WR_ARRAY_LEN(rich_lines); k++) {
        size_t n = strlen(rich_lines[k]);
        cr_assert(n < sizeof(buf));
        for (size_t at = 0; at < n; at++) {
            for (size_t s = 0; s < sizeof(subst); s++) { /* the terminating NUL too */
                memcpy(buf, rich_lines[k], n);
                buf[at] = subst[s];
                int rc = decode_any(&o, schema, buf, n, batch);
                outcomes[rc == 0 ? 0 : rc == WR_JSON_SKIPPED ? 1 : 2]++;
            }
        }
    }
    cr_assert(outcomes[0] > 0 && outcomes[2] > 0);
    wr_batch_free(batch);
    wr_schema_free(schema);
}

/* ---- options -------------------------------------------------------------------- */

/* Reads json options from "key=value" strings; returns the error code. */
static int read_opts(const char *const *kv, int n, wr_json_options *o, wr_error *err)
{
    wr_config cfg;
    options_make(&cfg, kv, n);
    wr_error_init(err);
    int rc = wr_json_options_read(&cfg, o, err);
    wr_config_fini(&cfg);
    return rc;
}

Test(json, options)
{
    wr_json_options o;
    wr_error err;
    cr_assert_eq(read_opts(NULL, 0, &o, &err), 0);
    cr_assert(!o.fail_on_missing_field && !o.ignore_parse_errors);
    cr_assert_eq(o.timestamp_standard, WR_JSON_TIMESTAMP_SQL);

    const char *all[] = {"json.fail-on-missing-field=true", "json.ignore-parse-errors=false",
                         "json.timestamp-format.standard=ISO-8601"};
    cr_assert_eq(read_opts(all, 3, &o, &err), 0, "%s", err.msg);
    cr_assert(o.fail_on_missing_field && !o.ignore_parse_errors);
    cr_assert_eq(o.timestamp_standard, WR_JSON_TIMESTAMP_ISO_8601);
    const char *lower[] = {"json.timestamp-format.standard=iso-8601",
                           "json.ignore-parse-errors=TRUE"};
    cr_assert_eq(read_opts(lower, 2, &o, &err), 0, "%s", err.msg);
    cr_assert_eq(o.timestamp_standard, WR_JSON_TIMESTAMP_ISO_8601);
    cr_assert(o.ignore_parse_errors);

    struct {
        const char *kv[2];
        int n, offset;
        const char *msg;
    } bad[] = {
        {{"json.fail-on-missing-field=yes"},
         1,
         50,
         "invalid value 'yes' for option 'json.fail-on-missing-field'"},
        {{"json.ignore-parse-errors=1"},
         1,
         50,
         "invalid value '1' for option 'json.ignore-parse-errors'"},
        {{"json.timestamp-format.standard=RFC-3339"},
         1,
         50,
         "invalid value 'RFC-3339' for option 'json.timestamp-format.standard': expected 'SQL', "
         "'ISO-8601'"},
        {{"json.fail-on-missing-field=true", "json.ignore-parse-errors=true"},
         2,
         100,
         "options 'json.fail-on-missing-field' and 'json.ignore-parse-errors' cannot both be "
         "true"},
    };
    for (size_t k = 0; k < WR_ARRAY_LEN(bad); k++) {
        cr_assert_eq(read_opts(bad[k].kv, bad[k].n, &o, &err), WR_ERR_VALIDATION, "case %zu", k);
        cr_assert(strncmp(err.msg, bad[k].msg, strlen(bad[k].msg)) == 0, "case %zu: %s", k,
                  err.msg);
        cr_assert_eq(err.offset, bad[k].offset, "case %zu: offset %d", k, err.offset);
    }
}

/* ---- encoding ------------------------------------------------------------------- */

Test(json, encodes)
{
    wr_schema *schema = every_type_schema();
    wr_batch *batch = batch_for(schema);
    wr_json_options o = defaults();
    decode_ok(&o, schema,
              "{\"b\": false, \"t\": -1, \"s\": 2, \"i\": 3, \"l\": -9223372036854775808, "
              "\"f\": 0.1, \"d\": 1e10, \"c\": \"\\u0001\\u001f\\u007f\", "
              "\"str\": \"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u00e9\", "
              "\"ts\": \"2024-01-01 10:00:00.120\", \"ts6\": \"2024-01-01 10:00:00\"}",
              batch);
    decode_ok(&o, schema,
              "{\"d\": \"NaN\", \"f\": \"-Infinity\", \"ts\": \"1969-12-31 23:59:59.5\"}", batch);
    decode_ok(&o, schema, "{\"d\": 1.0E-5, \"f\": 3.4028235e38, \"str\": \"\"}", batch);
    const char *want[] = {
        "{\"b\":false,\"t\":-1,\"s\":2,\"i\":3,\"l\":-9223372036854775808,\"f\":0.1,"
        "\"d\":1.0E10,\"c\":\"\\u0001\\u001F\x7f\",\"str\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\xc3\xa9\","
        "\"ts\":\"2024-01-01 10:00:00.12\",\"ts6\":\"2024-01-01 10:00:00\"}",
        "{\"b\":null,\"t\":null,\"s\":null,\"i\":null,\"l\":null,\"f\":\"-Infinity\","
        "\"d\":\"NaN\",\"c\":null,\"str\":null,\"ts\":\"1969-12-31 23:59:59.5\",\"ts6\":null}",
        "{\"b\":null,\"t\":null,\"s\":null,\"i\":null,\"l\":null,\"f\":3.4028235E38,"
        "\"d\":1.0E-5,\"c\":null,\"str\":\"\",\"ts\":null,\"ts6\":null}",
    };
    wr_buf out;
    wr_buf_init(&out);
    for (int r = 0; r < 3; r++) {
        wr_buf_reset(&out);
        wr_json_encode(&o, batch, r, schema, &out);
        cr_assert_str_eq(out.data, want[r], "row %d", r);
    }
    /* ISO-8601 timestamps; names are escaped too. */
    wr_type tt = wr_type_make(WR_TYPE_TIMESTAMP, true);
    wr_schema *odd = schema_of("a\"b", &tt);
    wr_batch *one = batch_for(odd);
    ((int64_t *)one->cols[0].data)[0] = ts("2024-03-04 05:06:07.000800");
    ((int64_t *)one->cols[0].data)[1] = ts("2024-03-04 05:06:00");
    one->count = 2;
    o.timestamp_standard = WR_JSON_TIMESTAMP_ISO_8601;
    wr_buf_reset(&out);
    wr_json_encode(&o, one, 0, odd, &out);
    wr_buf_putc(&out, '\n');
    wr_json_encode(&o, one, 1, odd, &out);
    cr_assert_str_eq(out.data, "{\"a\\\"b\":\"2024-03-04T05:06:07.0008\"}\n"
                               "{\"a\\\"b\":\"2024-03-04T05:06:00\"}");
    wr_buf_fini(&out);
    wr_batch_free(one);
    wr_schema_free(odd);
    wr_batch_free(batch);
    wr_schema_free(schema);
}

/* A value of every type for row r of a pseudo-random batch; NULL now and then. */
static void fill_random_row(wr_batch *batch, int r, uint64_t *seed)
{
    for (int c = 0; c < batch->ncols; c++) {
        *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t x = *seed >> 1;
        wr_vector *v = &batch->cols[c];
        if (x % 11 == 0) {
            wr_batch_set_null(batch, c, r);
            continue;
        }
        switch ((wr_type_id)v->type.id) {
        case WR_TYPE_BOOLEAN:
            ((uint8_t *)v->data)[r] = x & 1;
            break;
        case WR_TYPE_TINYINT:
            ((int8_t *)v->data)[r] = (int8_t)x;
            break;
        case WR_TYPE_SMALLINT:
            ((int16_t *)v->data)[r] = (int16_t)x;
            break;
        case WR_TYPE_INT:
            ((int32_t *)v->data)[r] = (int32_t)x;
            break;
        case WR_TYPE_BIGINT:
            ((int64_t *)v->data)[r] = (int64_t)(x * 2654435761u) ^ (int64_t)(x << 40);
            break;
        case WR_TYPE_FLOAT: {
            uint32_t bits = (uint32_t)(x >> 7);
            float f;
            memcpy(&f, &bits, sizeof(f));
            ((float *)v->data)[r] = isnan(f) ? 1.0f / 3 : f;
            break;
        }
        case WR_TYPE_DOUBLE: {
            uint64_t bits = x * 0x9E3779B97F4A7C15ULL;
            double d;
            memcpy(&d, &bits, sizeof(d));
            ((double *)v->data)[r] = isnan(d) ? (x & 2 ? INFINITY : -0.0) : d;
            break;
        }
        case WR_TYPE_CHAR:
        case WR_TYPE_VARCHAR: {
            /* Any bytes: quotes, backslashes, control characters, NUL, UTF-8. */
            char text[24];
            int n = (int)(x % 24);
            for (int k = 0; k < n; k++) {
                *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
                text[k] = (char)(*seed >> 56);
            }
            ((wr_str *)v->data)[r] = wr_batch_str(batch, text, (size_t)n);
            break;
        }
        case WR_TYPE_TIMESTAMP: {
            int64_t us = (int64_t)(x % 8000000000000000ULL) - 4000000000000000LL; /* +-126 years */
            int p = v->type.length, unit = 1;
            for (int k = p; k < 6; k++) unit *= 10;
            us -= ((us % unit) + unit) % unit;
            ((int64_t *)v->data)[r] = us;
            break;
        }
        default:
            cr_assert(false);
        }
    }
}

/* Asserts that rows of a and b hold the same values (NULLs, bytes of every value). */
static void assert_same_rows(const wr_batch *a, const wr_batch *b, int n)
{
    for (int r = 0; r < n; r++) {
        for (int c = 0; c < a->ncols; c++) {
            bool null_a = wr_vector_is_null(&a->cols[c], r);
            cr_assert_eq(wr_vector_is_null(&b->cols[c], r), null_a, "row %d col %d", r, c);
            if (null_a) continue;
            wr_type_id id = (wr_type_id)a->cols[c].type.id;
            if (wr_type_is_string(id)) {
                wr_str x = str_at(a, c, r), y = str_at(b, c, r);
                cr_assert(x.len == y.len && memcmp(x.ptr, y.ptr, x.len) == 0,
                          "row %d col %d: '%.*s' vs '%.*s'", r, c, (int)x.len, x.ptr, (int)y.len,
                          y.ptr);
                continue;
            }
            size_t w = wr_type_width(id);
            cr_assert(memcmp((const char *)a->cols[c].data + (size_t)r * w,
                             (const char *)b->cols[c].data + (size_t)r * w, w) == 0,
                      "row %d col %d differs", r, c);
        }
    }
}

Test(json, encode_decode_round_trip)
{
    wr_schema *schema = every_type_schema();
    uint64_t seed = 7;
    for (int standard = 0; standard < 2; standard++) {
        wr_json_options o = defaults();
        o.timestamp_standard = standard;
        wr_batch *in = batch_for(schema), *out = batch_for(schema);
        int n = WR_BATCH_CAPACITY;
        for (int r = 0; r < n; r++) fill_random_row(in, r, &seed);
        in->count = n;
        wr_buf line;
        wr_buf_init(&line);
        for (int r = 0; r < n; r++) {
            wr_buf_reset(&line);
            wr_json_encode(&o, in, r, schema, &line);
            cr_assert_null(memchr(line.data, '\n', line.len), "a newline in '%s'", line.data);
            decode_n(&o, schema, line.data, line.len, out);
        }
        wr_buf_fini(&line);
        assert_same_rows(in, out, n);
        wr_batch_free(in);
        wr_batch_free(out);
    }
    wr_schema_free(schema);
}

/* ---- the filesystem connector ------------------------------------------------------ */

/* Runs subtask 0 of 1 of a source to its end into cap. Returns run()'s last result. */
static int run_source(const wr_operator_spec *spec, capture *cap, int64_t *skipped, wr_error *err)
{
    wr_op_ctx ctx;
    wr_error_init(err);
    ctx_init(&ctx, 0, 1, &cap->base);
    wr_operator *op = spec->ops->create(spec->spec, &ctx, err);
    cr_assert_not_null(op, "%s", err->msg);
    int rc = 0;
    for (int runs = 0;; runs++) {
        cr_assert(runs < 100000, "source never ends");
        wr_source_status status;
        rc = spec->ops->run(op, &status, err);
        if (rc || status == WR_SOURCE_END) break;
    }
    if (skipped) *skipped = wr_file_source_skipped(op);
    spec->ops->destroy(op);
    return rc;
}

/* Plans a json source over path with (id, key, v) and extra options; asserts success. */
static void plan_json_source(const char *path, const wr_schema *schema, const char *const *extra,
                             int nextra, wr_operator_spec *spec)
{
    char p[200];
    snprintf(p, sizeof(p), "path=%s", path);
    const char *kv[8] = {"connector=filesystem", p, "format=json"};
    for (int i = 0; i < nextra; i++) kv[3 + i] = extra[i];
    wr_error err;
    cr_assert_eq(plan_source("filesystem", schema, kv, 3 + nextra, spec, &err), 0, "%s", err.msg);
}

Test(json_filesystem, reads_json_lines, .init = tmp_init, .fini = tmp_fini)
{
    const char *path =
        tmp_file("in.json", "{\"id\": 1, \"key\": \"a\", \"v\": 1.5}\r\n"
                            "\n"
                            "{\"key\": \"b\\nc\", \"id\": 2, \"nested\": {\"v\": [1]}}\n"
                            "null\n"
                            "   \n"
                            "{\"id\": 3, \"v\": \"2.5\"}"); /* no final newline */
    wr_schema *schema = small_schema();
    wr_operator_spec spec;
    plan_json_source(path, schema, NULL, 0, &spec);
    capture cap;
    capture_init(&cap);
    wr_error err;
    int64_t skipped = -1;
    cr_assert_eq(run_source(&spec, &cap, &skipped, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, 3);
    cr_assert_eq(skipped, 0);
    const wr_batch *b = cap.batches[0];
    cr_assert_eq(i64_at(b, 0, 0), 1);
    assert_str(b, 1, 0, "a");
    cr_assert_eq(f64_at(b, 2, 0), 1.5);
    assert_str(b, 1, 1, "b\nc");
    assert_null(b, 2, 1);
    cr_assert_eq(i64_at(b, 0, 2), 3);
    assert_null(b, 1, 2);
    cr_assert_eq(f64_at(b, 2, 2), 2.5);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(json_filesystem, bad_line_fails_with_file_and_line, .init = tmp_init, .fini = tmp_fini)
{
    const char *path = tmp_file("in.json", "{\"id\": 1}\n\n{\"id\": 1.5}\n{\"id\": 4}\n");
    char want[300];
    snprintf(want, sizeof(want),
             "file '%s', line 3: field 'id' at offset 7: invalid BIGINT '1.5': not an integer",
             path);
    wr_schema *schema = small_schema();
    wr_operator_spec spec;
    plan_json_source(path, schema, NULL, 0, &spec);
    capture cap;
    capture_init(&cap);
    wr_error err;
    cr_assert_eq(run_source(&spec, &cap, NULL, &err), WR_ERR_RUNTIME);
    cr_assert_str_eq(err.msg, want);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);

    /* json.fail-on-missing-field makes a missing member an error. */
    path = tmp_file("missing.json", "{\"id\": 1, \"key\": \"a\", \"v\": 0}\n{\"id\": 2}\n");
    const char *strict[] = {"json.fail-on-missing-field=true"};
    plan_json_source(path, schema, strict, 1, &spec);
    capture_init(&cap);
    cr_assert_eq(run_source(&spec, &cap, NULL, &err), WR_ERR_RUNTIME);
    snprintf(want, sizeof(want),
             "file '%s', line 2: field 'key' is missing (json.fail-on-missing-field is true)",
             path);
    cr_assert_str_eq(err.msg, want);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(json_filesystem, ignore_parse_errors_skips_and_counts, .init = tmp_init, .fini = tmp_fini)
{
    const char *path = tmp_file("in.json", "{\"id\": 0, \"key\": \"k0\"}\n"
                                           "{\"id\": 1, \"key\": \"k1\"\n" /* truncated */
                                           "not json\n"
                                           "{\"id\": \"x\"}\n"
                                           "\n"
                                           "{\"id\": 1, \"key\": \"k1\"} trailing\n"
                                           "{\"id\": 2, \"key\": \"k2\", \"v\": 1e999}\n");
    wr_schema *schema = small_schema();
    wr_operator_spec spec;
    const char *extra[] = {"json.ignore-parse-errors=true"};
    plan_json_source(path, schema, extra, 1, &spec);
    capture cap;
    capture_init(&cap);
    wr_error err;
    int64_t skipped = -1;
    cr_assert_eq(run_source(&spec, &cap, &skipped, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, 2);
    cr_assert_eq(skipped, 4);
    const wr_batch *b = cap.batches[0];
    cr_assert_eq(i64_at(b, 0, 0), 0);
    cr_assert_eq(i64_at(b, 0, 1), 2);
    cr_assert(isinf(f64_at(b, 2, 1))); /* as Java's Double.parseDouble */
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(json_filesystem, option_errors, .init = tmp_init, .fini = tmp_fini)
{
    const char *file = tmp_file("in.json", "{}\n");
    char path[160];
    snprintf(path, sizeof(path), "path=%s", file);
    wr_schema *schema = small_schema();
    struct {
        const char *kv[5];
        int n, offset;
        const char *msg; /* a prefix of the message */
    } cases[] = {
        {{"connector=filesystem", path, "format=json", "csv.field-delimiter=;"},
         4,
         300,
         "unsupported option 'csv.field-delimiter' for connector 'filesystem'; supported "
         "options: connector, path, format, json.fail-on-missing-field, json.ignore-parse-errors, "
         "json.timestamp-format.standard, source.monitor-interval, "
         "sink.rolling-policy.file-size"},
        {{"connector=filesystem", path, "format=csv", "json.ignore-parse-errors=true"},
         4,
         300,
         "unsupported option 'json.ignore-parse-errors' for connector 'filesystem'; supported "
         "options: connector, path, format, csv.field-delimiter"},
        {{"connector=filesystem", path, "format=raw", "json.fail-on-missing-field=true"},
         4,
         300,
         "unsupported option 'json.fail-on-missing-field' for connector 'filesystem'"},
        {{"connector=filesystem", path, "format=json", "json.timestamp-format.standard=unix"},
         4,
         350,
         "invalid value 'unix' for option 'json.timestamp-format.standard': expected 'SQL', "
         "'ISO-8601'"},
        {{"connector=filesystem", path, "format=json", "json.ignore-parse-errors=true",
          "json.fail-on-missing-field=true"},
         5,
         300,
         "options 'json.fail-on-missing-field' and 'json.ignore-parse-errors' cannot both be "
         "true"},
    };
    for (size_t i = 0; i < WR_ARRAY_LEN(cases); i++) {
        for (int sink = 0; sink < 2; sink++) {
            wr_operator_spec spec;
            wr_error err;
            int rc =
                sink ? plan_table_sink("filesystem", schema, cases[i].kv, cases[i].n, &spec, &err)
                     : plan_source("filesystem", schema, cases[i].kv, cases[i].n, &spec, &err);
            cr_assert_eq(rc, WR_ERR_VALIDATION, "case %zu sink %d", i, sink);
            cr_assert(strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) == 0,
                      "case %zu: got '%s'", i, err.msg);
            cr_assert_eq(err.offset, cases[i].offset, "case %zu: offset %d", i, err.offset);
        }
    }
    /* Every json option is accepted by both roles; "JSON" in any case. */
    char dir[160];
    snprintf(dir, sizeof(dir), "path=%s/out", tmp_dir);
    const char *ok[] = {"connector=filesystem", dir, "format=JSON",
                        "json.fail-on-missing-field=true",
                        "json.timestamp-format.standard=ISO-8601"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_table_sink("filesystem", schema, ok, 5, &spec, &err), 0, "%s", err.msg);
    wr_operator_spec_fini(&spec);
    ok[1] = path;
    cr_assert_eq(plan_source("filesystem", schema, ok, 5, &spec, &err), 0, "%s", err.msg);
    wr_operator_spec_fini(&spec);
    /* The C API's source takes "json" with the default options. */
    cr_assert_eq(wr_file_source_spec(file, "json", schema, NULL, &spec, &err), 0, "%s", err.msg);
    capture cap;
    capture_init(&cap);
    cr_assert_eq(run_source(&spec, &cap, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, 1);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* Writes batch through a planned filesystem sink (subtask 0 of 1) to its end. */
static void write_through_sink(const wr_operator_spec *spec, const wr_batch *batch)
{
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec->ops->create(spec->spec, &ctx, &err);
    cr_assert_not_null(op, "%s", err.msg);
    cr_assert_eq(spec->ops->open(op, &err), 0, "%s", err.msg);
    cr_assert_eq(spec->ops->process(op, 0, (wr_batch *)batch, &err), 0, "%s", err.msg);
    cr_assert_eq(spec->ops->end_input(op, 0, &err), 0, "%s", err.msg);
    spec->ops->destroy(op);
}

Test(json_filesystem, sink_then_source_round_trip, .init = tmp_init, .fini = tmp_fini)
{
    wr_schema *schema = every_type_schema();
    for (int standard = 0; standard < 2; standard++) {
        char dir[160], path[200];
        snprintf(dir, sizeof(dir), "%s/out%d", tmp_dir, standard);
        snprintf(path, sizeof(path), "path=%s", dir);
        const char *kv[] = {"connector=filesystem", path, "format=json",
                            standard ? "json.timestamp-format.standard=ISO-8601"
                                     : "json.fail-on-missing-field=true"};
        wr_operator_spec sink, source;
        wr_error err;
        cr_assert_eq(plan_table_sink("filesystem", schema, kv, 4, &sink, &err), 0, "%s", err.msg);
        wr_batch *in = batch_for(schema);
        uint64_t seed = 99 + (uint64_t)standard;
        for (int r = 0; r < 500; r++) fill_random_row(in, r, &seed);
        in->count = 500;
        write_through_sink(&sink, in);
        wr_operator_spec_fini(&sink);

        /* One visible part file of 500 JSON lines. */
        char part[256];
        snprintf(part, sizeof(part), "%s/part-0-0", dir);
        char *text = read_text(part);
        int lines = 0;
        for (char *p = text; (p = strchr(p, '\n')) != NULL; p++) lines++;
        cr_assert_eq(lines, 500);
        cr_assert(strncmp(text, "{\"b\":", 5) == 0, "%.60s", text);
        /* Timestamps in the standard: the date, then ' ' or 'T'. */
        int seen = 0;
        for (const char *p = text; (p = strstr(p, "\"ts6\":\"")) != NULL; p++, seen++)
            cr_assert_eq(p[7 + 10], standard ? 'T' : ' ', "%.40s", p);
        cr_assert(seen > 400);
        free(text);

        cr_assert_eq(plan_source("filesystem", schema, kv, 4, &source, &err), 0, "%s", err.msg);
        capture cap;
        capture_init(&cap);
        cr_assert_eq(run_source(&source, &cap, NULL, &err), 0, "%s", err.msg);
        cr_assert_eq(cap.rows, 500);
        wr_batch *out = batch_for(schema);
        for (int b = 0; b < cap.nbatches; b++) wr_batch_append_active(out, cap.batches[b]);
        assert_same_rows(in, out, 500);
        wr_batch_free(out);
        capture_fini(&cap);
        wr_operator_spec_fini(&source);
        wr_batch_free(in);
    }
    wr_schema_free(schema);
}
