/*
 * test_avro.c — the 'avro' format: the derived writer schema, round trips of
 * every supported type, cross-checks against libavro (Avro C) in both
 * directions, errors for bad data, and a SQL job through the kafka connector
 * against librdkafka's mock cluster.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "kafkarig.h"

#include "../../include/weir.h"
#include "../../src/formats/avro.h"
#include "../../src/types/decimal.h"

#include <avro.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <string.h>

/* b, ti, si, i, bi (NOT NULL), f, d, s, vb, dec, dt, tm, ts, ltz: every supported type. */
#define ALL_NAMES "b,ti,si,i,bi,f,d,s,vb,dec,dt,tm,ts,ltz"

static wr_schema *all_schema(void)
{
    wr_type ts = wr_type_make(WR_TYPE_TIMESTAMP, true);
    wr_type ltz = wr_type_make(WR_TYPE_TIMESTAMP_LTZ, true);
    ltz.length = 3;
    wr_type tm = wr_type_make(WR_TYPE_TIME, true);
    tm.length = 3;
    wr_type types[] = {
        wr_type_make(WR_TYPE_BOOLEAN, true),
        wr_type_make(WR_TYPE_TINYINT, true),
        wr_type_make(WR_TYPE_SMALLINT, true),
        wr_type_make(WR_TYPE_INT, true),
        wr_type_make(WR_TYPE_BIGINT, false),
        wr_type_make(WR_TYPE_FLOAT, true),
        wr_type_make(WR_TYPE_DOUBLE, true),
        wr_type_make(WR_TYPE_VARCHAR, true),
        wr_type_make(WR_TYPE_VARBINARY, true),
        wr_type_decimal(10, 2, true),
        wr_type_make(WR_TYPE_DATE, true),
        tm,
        ts,
        ltz,
    };
    return schema_of(ALL_NAMES, types);
}

/* Fills row `row` of batch (the all_schema types): row 0 of values, row 1 of NULLs. */
static void fill_row(wr_batch *batch, int row, bool nulls)
{
    if (nulls) {
        for (int c = 0; c < batch->ncols; c++)
            if (c != 4) wr_batch_set_null(batch, c, row);
        ((int64_t *)batch->cols[4].data)[row] = INT64_MIN;
        batch->count++;
        return;
    }
    ((uint8_t *)batch->cols[0].data)[row] = 1;
    ((int8_t *)batch->cols[1].data)[row] = -128;
    ((int16_t *)batch->cols[2].data)[row] = 32767;
    ((int32_t *)batch->cols[3].data)[row] = -2147483647 - 1;
    ((int64_t *)batch->cols[4].data)[row] = INT64_MAX;
    ((float *)batch->cols[5].data)[row] = 1.5f;
    ((double *)batch->cols[6].data)[row] = -0.1;
    ((wr_str *)batch->cols[7].data)[row] = wr_batch_str(batch, "héllo, \"avro\"", 14);
    ((wr_str *)batch->cols[8].data)[row] = wr_batch_str(batch, "\0\x01\xff", 3);
    ((wr_int128 *)batch->cols[9].data)[row] = -12345678; /* -123456.78 */
    ((int32_t *)batch->cols[10].data)[row] = 19723;      /* 2024-01-01 */
    ((int32_t *)batch->cols[11].data)[row] = 45296789;   /* 12:34:56.789 */
    ((int64_t *)batch->cols[12].data)[row] = -1000;      /* 1969-12-31 23:59:59.999 */
    ((int64_t *)batch->cols[13].data)[row] = 1704067200123000LL;
    batch->count++;
}

static char *row_text(const wr_batch *batch, int row)
{
    wr_buf text;
    wr_buf_init(&text);
    wr_batch_format_row(batch, row, &text);
    return wr_buf_detach(&text);
}

Test(avro, derived_schema_is_flinks)
{
    wr_schema *schema = all_schema();
    wr_error err;
    cr_assert_eq(wr_avro_check(schema, &err), 0, "%s", err.msg);
    wr_buf json;
    wr_buf_init(&json);
    wr_avro_schema_json(schema, &json);
    const char *want =
        "{\"type\":\"record\",\"name\":\"record\",\"namespace\":\"org.apache.flink.avro."
        "generated\",\"fields\":["
        "{\"name\":\"b\",\"type\":[\"null\",\"boolean\"],\"default\":null},"
        "{\"name\":\"ti\",\"type\":[\"null\",\"int\"],\"default\":null},"
        "{\"name\":\"si\",\"type\":[\"null\",\"int\"],\"default\":null},"
        "{\"name\":\"i\",\"type\":[\"null\",\"int\"],\"default\":null},"
        "{\"name\":\"bi\",\"type\":\"long\"},"
        "{\"name\":\"f\",\"type\":[\"null\",\"float\"],\"default\":null},"
        "{\"name\":\"d\",\"type\":[\"null\",\"double\"],\"default\":null},"
        "{\"name\":\"s\",\"type\":[\"null\",\"string\"],\"default\":null},"
        "{\"name\":\"vb\",\"type\":[\"null\",\"bytes\"],\"default\":null},"
        "{\"name\":\"dec\",\"type\":[\"null\",{\"type\":\"bytes\",\"logicalType\":\"decimal\","
        "\"precision\":10,\"scale\":2}],\"default\":null},"
        "{\"name\":\"dt\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],"
        "\"default\":null},"
        "{\"name\":\"tm\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"time-millis\"}],"
        "\"default\":null},"
        "{\"name\":\"ts\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":"
        "\"timestamp-millis\"}],\"default\":null},"
        "{\"name\":\"ltz\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":"
        "\"timestamp-millis\"}],\"default\":null}]}";
    cr_assert_str_eq(json.data, want);
    wr_buf_fini(&json);
    wr_schema_free(schema);
}

Test(avro, unsupported_columns_are_named)
{
    wr_error err;
    wr_type ts6 = wr_type_make(WR_TYPE_TIMESTAMP, true);
    ts6.length = 6;
    wr_type t1[] = {wr_type_make(WR_TYPE_INT, true), ts6};
    wr_schema *s = schema_of("id,ts", t1);
    cr_assert_eq(wr_avro_check(s, &err), WR_ERR_VALIDATION);
    cr_assert(strstr(err.msg, "column 'ts' of type TIMESTAMP(6)") &&
                  strstr(err.msg, "precision 3 at most"),
              "%s", err.msg);
    wr_schema_free(s);
    wr_type t2[] = {wr_type_make(WR_TYPE_INTERVAL_YM, true)};
    s = schema_of("iv", t2);
    cr_assert_eq(wr_avro_check(s, &err), WR_ERR_VALIDATION);
    cr_assert(strstr(err.msg, "column 'iv'") && strstr(err.msg, "no Avro type"), "%s", err.msg);
    wr_schema_free(s);
    wr_type t3[] = {wr_type_make(WR_TYPE_INT, true)};
    s = schema_of("my-col", t3);
    cr_assert_eq(wr_avro_check(s, &err), WR_ERR_VALIDATION);
    cr_assert(strstr(err.msg, "column 'my-col'") && strstr(err.msg, "Avro field name"), "%s",
              err.msg);
    wr_schema_free(s);
}

Test(avro, every_type_round_trips_with_nulls)
{
    wr_schema *schema = all_schema();
    wr_batch *in = wr_batch_new(schema->types, schema->ncols, 4);
    wr_batch *out = wr_batch_new(schema->types, schema->ncols, 4);
    fill_row(in, 0, false);
    fill_row(in, 1, true);
    wr_buf datum;
    wr_buf_init(&datum);
    wr_error err;
    for (int row = 0; row < 2; row++) {
        wr_buf_reset(&datum);
        wr_avro_encode(schema, in, row, &datum);
        cr_assert_eq(wr_avro_decode(schema, datum.data, datum.len, out, &err), 0, "%s", err.msg);
        char *a = row_text(in, row), *b = row_text(out, row);
        cr_assert_str_eq(b, a);
        free(a);
        free(b);
    }
    /* A NULL row is 13 union indexes 0 and the long. */
    cr_assert_eq(datum.len, 13 + 10);
    cr_assert_eq(((int64_t *)out->cols[4].data)[1], INT64_MIN);
    cr_assert_eq(((int64_t *)out->cols[12].data)[0], -1000);
    cr_assert(wr_vector_is_null(&out->cols[9], 1));
    cr_assert_eq(((wr_int128 *)out->cols[9].data)[0], -12345678);
    wr_str vb = ((wr_str *)out->cols[8].data)[0];
    cr_assert(vb.len == 3 && memcmp(vb.ptr, "\0\x01\xff", 3) == 0);
    wr_buf_fini(&datum);
    wr_batch_free(in);
    wr_batch_free(out);
    wr_schema_free(schema);
}

Test(avro, decimals_are_minimal_twos_complement)
{
    wr_type types[] = {wr_type_decimal(38, 0, false)};
    wr_schema *schema = schema_of("x", types);
    wr_batch *in = wr_batch_new(types, 1, 16);
    wr_batch *out = wr_batch_new(types, 1, 16);
    wr_int128 max = wr_decimal_pow10(38) - 1;
    wr_int128 values[] = {0, 1, -1, 127, 128, -128, -129, 255, 256, max, -max};
    int bytes[] = {1, 1, 1, 1, 2, 1, 2, 2, 2, 16, 16};
    wr_buf datum;
    wr_buf_init(&datum);
    wr_error err;
    for (int i = 0; i < 11; i++) {
        ((wr_int128 *)in->cols[0].data)[i] = values[i];
        in->count++;
        wr_buf_reset(&datum);
        wr_avro_encode(schema, in, i, &datum);
        cr_assert_eq((unsigned char)datum.data[0], bytes[i] * 2, "value %d", i); /* zigzag length */
        cr_assert_eq(datum.len, (size_t)bytes[i] + 1);
        cr_assert_eq(wr_avro_decode(schema, datum.data, datum.len, out, &err), 0, "%s", err.msg);
        cr_assert(((wr_int128 *)out->cols[0].data)[i] == values[i], "value %d", i);
    }
    /* 128 is 00 80, -129 is ff 7f. */
    wr_buf_reset(&datum);
    wr_avro_encode(schema, in, 4, &datum);
    cr_assert(memcmp(datum.data, "\x04\x00\x80", 3) == 0);
    wr_buf_reset(&datum);
    wr_avro_encode(schema, in, 6, &datum);
    cr_assert(memcmp(datum.data, "\x04\xff\x7f", 3) == 0);
    wr_buf_fini(&datum);
    wr_batch_free(in);
    wr_batch_free(out);
    wr_schema_free(schema);

    /* Wider than DECIMAL(3, 1): NULL in a nullable column, an error in a NOT NULL one. */
    wr_type small[] = {wr_type_decimal(3, 1, true), wr_type_decimal(3, 1, false)};
    schema = schema_of("a,b", small);
    out = wr_batch_new(small, 2, 4);
    const char wide_a[] = "\x02\x04\x27\x10\x04\x01\x00"; /* a = 1000.0 (10000), b = 25.6 */
    cr_assert_eq(wr_avro_decode(schema, wide_a, 7, out, &err), 0, "%s", err.msg);
    cr_assert(wr_vector_is_null(&out->cols[0], 0));
    cr_assert(((wr_int128 *)out->cols[1].data)[0] == 256);
    const char wide_b[] = "\x00\x04\x27\x10";
    cr_assert_eq(wr_avro_decode(schema, wide_b, 4, out, &err), WR_ERR_PARSE);
    cr_assert_str_eq(err.msg, "field 'b' at offset 1: a decimal of 2 bytes does not fit the NOT "
                              "NULL column's precision 3");
    wr_batch_free(out);
    wr_schema_free(schema);
}

/* ---- cross-checks against libavro ---------------------------------------------------- */

static avro_schema_t libavro_schema(const wr_schema *schema)
{
    wr_buf json;
    wr_buf_init(&json);
    wr_avro_schema_json(schema, &json);
    avro_schema_t s = NULL;
    cr_assert_eq(avro_schema_from_json_length(json.data, json.len, &s), 0, "%s", avro_strerror());
    wr_buf_fini(&json);
    return s;
}

/* Field i of a record value: its union's value branch, or NULL branch when null. */
static avro_value_t set_field(avro_value_t *rec, int i, bool nullable, bool null)
{
    avro_value_t field, branch;
    cr_assert_eq(avro_value_get_by_index(rec, (size_t)i, &field, NULL), 0);
    if (!nullable) return field;
    cr_assert_eq(avro_value_set_branch(&field, null ? 0 : 1, &branch), 0);
    if (null) avro_value_set_null(&branch);
    return branch;
}

Test(avro, decodes_what_libavro_writes)
{
    wr_schema *schema = all_schema();
    avro_schema_t as = libavro_schema(schema);
    avro_value_iface_t *iface = avro_generic_class_from_schema(as);
    avro_value_t rec, f;
    cr_assert_eq(avro_generic_value_new(iface, &rec), 0);
    f = set_field(&rec, 0, true, false), avro_value_set_boolean(&f, 1);
    f = set_field(&rec, 1, true, false), avro_value_set_int(&f, -7);
    f = set_field(&rec, 2, true, true);
    f = set_field(&rec, 3, true, false), avro_value_set_int(&f, 123456789);
    f = set_field(&rec, 4, false, false), avro_value_set_long(&f, -9000000000LL);
    f = set_field(&rec, 5, true, false), avro_value_set_float(&f, -2.25f);
    f = set_field(&rec, 6, true, false), avro_value_set_double(&f, 3.141592653589793);
    f = set_field(&rec, 7, true, false), avro_value_set_string_len(&f, "naïve", 7);
    f = set_field(&rec, 8, true, false), avro_value_set_bytes(&f, "\x00\x80", 2);
    f = set_field(&rec, 9, true, false), avro_value_set_bytes(&f, "\xff\x85", 2); /* -1.23 */
    f = set_field(&rec, 10, true, false), avro_value_set_int(&f, -1);
    f = set_field(&rec, 11, true, false), avro_value_set_int(&f, 1);
    f = set_field(&rec, 12, true, false), avro_value_set_long(&f, 1700000000123LL);
    f = set_field(&rec, 13, true, true);
    char buf[512];
    avro_writer_t w = avro_writer_memory(buf, sizeof(buf));
    cr_assert_eq(avro_value_write(w, &rec), 0, "%s", avro_strerror());
    size_t len = (size_t)avro_writer_tell(w);
    avro_writer_free(w);

    wr_batch *out = wr_batch_new(schema->types, schema->ncols, 4);
    wr_error err;
    cr_assert_eq(wr_avro_decode(schema, buf, len, out, &err), 0, "%s", err.msg);
    char *text = row_text(out, 0);
    cr_assert_str_eq(text,
                     "+I[true, -7, null, 123456789, -9000000000, -2.25, 3.141592653589793, naïve, "
                     "[0, -128], -1.23, 1969-12-31, 00:00:00.001, 2023-11-14T22:13:20.123, null]",
                     "%s", text);
    free(text);
    wr_batch_free(out);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
    avro_schema_decref(as);
    wr_schema_free(schema);
}

Test(avro, libavro_reads_what_weir_writes)
{
    wr_schema *schema = all_schema();
    wr_batch *in = wr_batch_new(schema->types, schema->ncols, 4);
    fill_row(in, 0, false);
    fill_row(in, 1, true);
    avro_schema_t as = libavro_schema(schema);
    avro_value_iface_t *iface = avro_generic_class_from_schema(as);
    wr_buf datum;
    wr_buf_init(&datum);
    for (int row = 0; row < 2; row++) {
        wr_buf_reset(&datum);
        wr_avro_encode(schema, in, row, &datum);
        avro_value_t rec, field, v;
        cr_assert_eq(avro_generic_value_new(iface, &rec), 0);
        avro_reader_t r = avro_reader_memory(datum.data, (int64_t)datum.len);
        cr_assert_eq(avro_value_read(r, &rec), 0, "%s", avro_strerror());
        avro_reader_free(r);
        for (int c = 0; c < schema->ncols; c++) {
            avro_value_get_by_index(&rec, (size_t)c, &field, NULL);
            if (c == 4) {
                int64_t l;
                avro_value_get_long(&field, &l);
                cr_assert_eq(l, row ? INT64_MIN : INT64_MAX);
                continue;
            }
            int disc;
            avro_value_get_discriminant(&field, &disc);
            cr_assert_eq(disc, row ? 0 : 1, "column %d row %d", c, row);
        }
        if (row == 0) {
            int i;
            int64_t l;
            float fl;
            double d;
            const char *s;
            const void *b;
            size_t n;
#define BRANCH(c)                                                                                  \
    (avro_value_get_by_index(&rec, c, &field, NULL), avro_value_get_current_branch(&field, &v))
            BRANCH(0), avro_value_get_boolean(&v, &i);
            cr_assert_eq(i, 1);
            BRANCH(1), avro_value_get_int(&v, &i);
            cr_assert_eq(i, -128);
            BRANCH(2), avro_value_get_int(&v, &i);
            cr_assert_eq(i, 32767);
            BRANCH(3), avro_value_get_int(&v, &i);
            cr_assert_eq(i, INT32_MIN);
            BRANCH(5), avro_value_get_float(&v, &fl);
            cr_assert_eq(fl, 1.5f);
            BRANCH(6), avro_value_get_double(&v, &d);
            cr_assert_eq(d, -0.1);
            BRANCH(7), avro_value_get_string(&v, &s, &n);
            cr_assert(n == 15 && strcmp(s, "héllo, \"avro\"") == 0); /* n counts the NUL */
            BRANCH(8), avro_value_get_bytes(&v, &b, &n);
            cr_assert(n == 3 && memcmp(b, "\0\x01\xff", 3) == 0);
            BRANCH(9), avro_value_get_bytes(&v, &b, &n); /* -12345678 = ff 43 9e b2 */
            cr_assert(n == 4 && memcmp(b, "\xff\x43\x9e\xb2", 4) == 0);
            BRANCH(10), avro_value_get_int(&v, &i);
            cr_assert_eq(i, 19723);
            BRANCH(11), avro_value_get_int(&v, &i);
            cr_assert_eq(i, 45296789);
            BRANCH(12), avro_value_get_long(&v, &l);
            cr_assert_eq(l, -1);
            BRANCH(13), avro_value_get_long(&v, &l);
            cr_assert_eq(l, 1704067200123LL);
#undef BRANCH
        }
        avro_value_decref(&rec);
    }
    wr_buf_fini(&datum);
    avro_value_iface_decref(iface);
    avro_schema_decref(as);
    wr_batch_free(in);
    wr_schema_free(schema);
}

/* ---- bad data --------------------------------------------------------------------- */

static void bad(const wr_schema *schema, const char *data, size_t len, const char *want)
{
    wr_batch *out = wr_batch_new(schema->types, schema->ncols, 4);
    wr_error err;
    cr_assert_eq(wr_avro_decode(schema, data, len, out, &err), WR_ERR_PARSE, "%s", want);
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(out->count, 0);
    wr_batch_free(out);
}

Test(avro, bad_data_names_the_field_and_offset)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, false), wr_type_make(WR_TYPE_VARCHAR, true),
                       wr_type_make(WR_TYPE_SMALLINT, true)};
    wr_schema *schema = schema_of("id,name,n", types);
    /* id 1, name "abc", n 5 is 02 02 06 'a' 'b' 'c' 02 0a. */
    bad(schema,
        "\x02\x02\x06"
        "ab",
        5, "field 'name' at offset 1: the datum ends inside a string of 3 bytes (2 left)");
    bad(schema, "\x02\x04", 2,
        "field 'name' at offset 1: union index 2 (expected 0 for null or 1)");
    bad(schema, "\x02\x02\x05", 3, "field 'name' at offset 1: a string has a negative length -3");
    bad(schema, "\x02\x00\x02\x0a\x00\x00", 6, "at offset 4: 2 bytes after the end of the record");
    bad(schema, "\x02\x00\x02\x80\x80\x04", 6,
        "field 'n' at offset 2: 32768 does not fit SMALLINT");
    bad(schema, "", 0, "field 'id' at offset 0: the datum ends inside a long");
    bad(schema, "\x02\x00\x02\x80", 4, "field 'n' at offset 2: the datum ends inside an int");
    bad(schema, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10,
        "field 'id' at offset 0: a long is a varint longer than 64 bits");
    /* The largest long is fine. */
    wr_batch *out = wr_batch_new(types, 3, 4);
    wr_error err;
    cr_assert_eq(
        wr_avro_decode(schema, "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00", 12, out, &err),
        0, "%s", err.msg);
    cr_assert_eq(((int64_t *)out->cols[0].data)[0], INT64_MAX);
    wr_batch_free(out);
    wr_schema_free(schema);
}

Test(avro, options)
{
    wr_config cfg;
    wr_error err;
    const char *ok[] = {"avro.encoding=binary", "avro.codec=snappy"};
    options_make(&cfg, ok, 2);
    cr_assert_eq(wr_avro_options_read(&cfg, &err), 0, "%s", err.msg);
    wr_config_fini(&cfg);
    const char *json[] = {"avro.encoding=json"};
    options_make(&cfg, json, 1);
    cr_assert_eq(wr_avro_options_read(&cfg, &err), WR_ERR_VALIDATION);
    cr_assert(strstr(err.msg, "'avro.encoding' = 'json' is not supported"), "%s", err.msg);
    cr_assert_eq(err.offset, 50);
    wr_config_fini(&cfg);
    const char *codec[] = {"avro.codec=lz4"};
    options_make(&cfg, codec, 1);
    cr_assert_eq(wr_avro_options_read(&cfg, &err), WR_ERR_VALIDATION);
    wr_config_fini(&cfg);
}

/* ---- through the kafka connector ------------------------------------------------------ */

static void exec_ok(weir_session *s, const char *text, weir_result **res)
{
    int rc = weir_exec(s, text, "test.sql", res);
    cr_assert_eq(rc, 0, "%s", weir_session_error(s));
}

Test(avro_kafka, insert_then_select_gives_the_same_values, .init = mock_init, .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "av", 2, 1), 0);
    weir_session *s = weir_session_new();
    char ddl[2048];
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE t (id BIGINT NOT NULL, name STRING, price DECIMAL(10, 2), d DATE, "
             "ts TIMESTAMP(3), ok BOOLEAN, x DOUBLE, k INT) WITH ('connector' = 'kafka', "
             "'topic' = 'av', 'properties.bootstrap.servers' = '%s', 'value.format' = 'avro', "
             "'key.format' = 'avro', 'key.fields' = 'k', "
             "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset')",
             servers);
    exec_ok(s, ddl, NULL);
    exec_ok(s,
            "INSERT INTO t VALUES "
            "(1, 'one', 1.50, DATE '2024-02-29', TIMESTAMP '2024-01-01 10:00:00.125', TRUE, "
            "0.5, 7), "
            "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
            "(3, '', -99999999.99, DATE '1969-12-31', TIMESTAMP '1969-12-31 23:59:59.999', "
            "FALSE, -1e300, -1)",
            NULL);
    weir_result *res = NULL;
    exec_ok(s, "SELECT * FROM t ORDER BY id", &res);
    cr_assert_eq(weir_result_rows(res), 3);
    const char *want[3][8] = {
        {"1", "one", "1.50", "2024-02-29", "2024-01-01 10:00:00.125", "TRUE", "0.5", "7"},
        {"2", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
        {"3", "", "-99999999.99", "1969-12-31", "1969-12-31 23:59:59.999", "FALSE", "-1.0E300",
         "-1"},
    };
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 8; c++) {
            if (want[r][c] == NULL) {
                cr_assert(weir_result_is_null(res, r, c), "row %d col %d", r, c);
                continue;
            }
            cr_assert(!weir_result_is_null(res, r, c), "row %d col %d", r, c);
            cr_assert_str_eq(weir_result_text(res, r, c), want[r][c], "row %d col %d", r, c);
        }
    weir_result_free(res);

    /* Column types Avro cannot carry fail at CREATE TABLE, naming the column. */
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE bad (id INT, tags ARRAY<INT>) WITH ('connector' = 'kafka', "
             "'topic' = 'av', 'properties.bootstrap.servers' = '%s', 'format' = 'avro')",
             servers);
    cr_assert_neq(weir_exec(s, ddl, "test.sql", NULL), 0);
    cr_assert(strstr(weir_session_error(s), "column 'tags'"), "%s", weir_session_error(s));
    weir_session_free(s);
}

Test(avro_kafka, a_bad_record_fails_the_job_with_its_position, .init = mock_init, .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "avbad", 1, 1), 0);
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_quiet);
    rd_kafka_conf_set(conf, "bootstrap.servers", servers, errstr, sizeof(errstr));
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    /* id 1 (a good record), then id 2 with a union index of 3. */
    cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("avbad"), RD_KAFKA_V_PARTITION(0),
                                   RD_KAFKA_V_VALUE("\x02\x00", 2),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                 0);
    cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("avbad"), RD_KAFKA_V_PARTITION(0),
                                   RD_KAFKA_V_VALUE("\x04\x06", 2),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                 0);
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
    rd_kafka_destroy(p);
    weir_session *s = weir_session_new();
    char ddl[1024];
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE t (id BIGINT NOT NULL, name STRING) WITH ('connector' = 'kafka', "
             "'topic' = 'avbad', 'properties.bootstrap.servers' = '%s', 'format' = 'avro', "
             "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset')",
             servers);
    exec_ok(s, ddl, NULL);
    weir_result *res = NULL;
    cr_assert_neq(weir_exec(s, "SELECT * FROM t", "test.sql", &res), 0);
    const char *msg = weir_session_error(s);
    cr_assert(strstr(msg, "topic 'avbad', partition 0, offset 1") &&
                  strstr(msg, "field 'name' at offset 1: union index 3"),
              "%s", msg);
    weir_result_free(res);
    weir_session_free(s);
}

Test(avro_fs, the_filesystem_connector_refuses_avro)
{
    weir_session *s = weir_session_new();
    int rc = weir_exec(s,
                       "CREATE TABLE f (id INT) WITH ('connector' = 'filesystem', "
                       "'path' = '/tmp/none', 'format' = 'avro')",
                       "test.sql", NULL);
    cr_assert_neq(rc, 0);
    cr_assert(strstr(weir_session_error(s), "format 'avro' is not supported by connector "
                                            "'filesystem'"),
              "%s", weir_session_error(s));
    weir_session_free(s);
}
