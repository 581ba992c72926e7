/*
 * test_changelog_formats.c — the changelog formats debezium-json and
 * canal-json: decoding change events into rows with kinds, encoding rows
 * back, their options, and both through the kafka connector against
 * librdkafka's mock cluster (a Debezium changelog aggregated by SQL, and an
 * updating query written as debezium-json and read back) and through the
 * filesystem connector (files of change events, read and written).
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "kafkarig.h"

#include "../../include/weir.h"
#include "../../src/formats/canal.h"
#include "../../src/formats/debezium.h"

#include <dirent.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers -------------------------------------------------------------------- */

/* (id BIGINT, name STRING, x INT) */
static wr_schema *schema3(void)
{
    wr_schema *s = wr_schema_new();
    wr_schema_add(s, "id", wr_type_make(WR_TYPE_BIGINT, true));
    wr_schema_add(s, "name", wr_type_make(WR_TYPE_VARCHAR, true));
    wr_schema_add(s, "x", wr_type_make(WR_TYPE_INT, true));
    return s;
}

/* The batch's rows as "+I[1, a, 3];-U[...];" */
static void expect_rows(const wr_batch *batch, const char *want)
{
    wr_buf text;
    wr_buf_init(&text);
    for (int row = 0; row < batch->count; row++) {
        wr_batch_format_row(batch, row, &text);
        wr_buf_putc(&text, ';');
    }
    cr_assert_str_eq(text.len ? text.data : "", want);
    wr_buf_fini(&text);
}

static void dbz_ok(const wr_debezium_options *o, const wr_schema *s, const char *event,
                   wr_batch *batch)
{
    wr_error err;
    wr_error_init(&err);
    int rc = wr_debezium_decode(o, s, event, strlen(event), batch, &err);
    cr_assert_eq(rc, 0, "decoding '%s': %s", event, err.msg);
}

/* Decodes expecting an error with exactly this message; the batch must not change. */
static void dbz_fails(const wr_debezium_options *o, const wr_schema *s, const char *event,
                      const char *want)
{
    wr_batch *batch = wr_batch_new(s->types, s->ncols, WR_BATCH_CAPACITY);
    wr_error err;
    wr_error_init(&err);
    int rc = wr_debezium_decode(o, s, event, strlen(event), batch, &err);
    cr_assert_eq(rc, WR_ERR_PARSE, "'%s' decoded", event);
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(batch->count, 0);
    wr_batch_free(batch);
}

/* ---- debezium-json ----------------------------------------------------------------- */

Test(debezium, every_operation_gives_its_rows_and_kinds)
{
    wr_schema *s = schema3();
    wr_batch *batch = wr_batch_new(s->types, s->ncols, WR_BATCH_CAPACITY);
    wr_debezium_options o;
    wr_debezium_options_default(&o);
    dbz_ok(&o, s, "{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\",\"x\":10},\"op\":\"c\"}",
           batch);
    dbz_ok(&o, s, "{\"op\":\"r\",\"after\":{\"id\":2,\"name\":\"b\",\"x\":20},\"source\":{}}",
           batch);
    dbz_ok(&o, s,
           "{\"before\":{\"id\":1,\"name\":\"a\",\"x\":10},\"after\":{\"id\":1,\"name\":\"a\","
           "\"x\":11},\"op\":\"u\",\"ts_ms\":1700000000000}",
           batch);
    dbz_ok(&o, s, "{\"before\":{\"id\":2,\"name\":\"b\",\"x\":20},\"after\":null,\"op\":\"d\"}",
           batch);
    expect_rows(batch, "+I[1, a, 10];+I[2, b, 20];-U[1, a, 10];+U[1, a, 11];-D[2, b, 20];");

    /* A tombstone (null value) and a blank record give no row. */
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_debezium_decode(&o, s, "null", 4, batch, &err), WR_JSON_SKIPPED);
    cr_assert_eq(wr_debezium_decode(&o, s, " ", 1, batch, &err), WR_JSON_SKIPPED);
    cr_assert_eq(batch->count, 5);

    /* An update needs two rows: with one slot left nothing is appended. */
    batch->count = batch->capacity - 1;
    const char *upd = "{\"before\":{\"id\":1},\"after\":{\"id\":1},\"op\":\"u\"}";
    cr_assert_eq(wr_debezium_decode(&o, s, upd, strlen(upd), batch, &err), WR_CHANGELOG_FULL);
    cr_assert_eq(batch->count, batch->capacity - 1);
    wr_batch_free(batch);
    wr_schema_free(s);
}

Test(debezium, schema_include_reads_the_payload)
{
    wr_schema *s = schema3();
    wr_batch *batch = wr_batch_new(s->types, s->ncols, WR_BATCH_CAPACITY);
    wr_debezium_options o;
    wr_debezium_options_default(&o);
    const char *event = "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"op\"}]},"
                        "\"payload\":{\"before\":{\"id\":7,\"name\":\"q\",\"x\":1},"
                        "\"after\":{\"id\":7,\"name\":\"q\",\"x\":2},\"op\":\"u\"}}";
    /* Without the option the envelope has no 'op': the message says what to set. */
    dbz_fails(&o, s, event,
              "the event has no 'op' member (it has a 'payload': set "
              "'debezium-json.schema-include' to 'true')");
    o.schema_include = true;
    dbz_ok(&o, s, event, batch);
    expect_rows(batch, "-U[7, q, 1];+U[7, q, 2];");
    dbz_fails(&o, s, "{\"before\":null,\"after\":{\"id\":1},\"op\":\"c\"}",
              "the event has no 'payload' object ('debezium-json.schema-include' is true)");
    wr_batch_free(batch);
    wr_schema_free(s);
}

Test(debezium, bad_events_are_errors_naming_field_and_offset)
{
    wr_schema *s = schema3();
    wr_debezium_options o;
    wr_debezium_options_default(&o);
    dbz_fails(&o, s, "{\"after\":{\"id\":1},\"op\":\"x\"}",
              "field 'op' at offset 23: unknown operation 'x'; expected 'c', 'r', 'u' or 'd'");
    dbz_fails(&o, s, "{\"after\":{\"id\":1},\"op\":1}",
              "field 'op' at offset 23: expected a string, found '1'");
    dbz_fails(&o, s, "{\"before\":null,\"after\":{\"id\":1},\"op\":\"u\"}",
              "the 'before' of an update ('op' 'u') is null; Debezium needs the full old row "
              "(for PostgreSQL: REPLICA IDENTITY FULL)");
    dbz_fails(&o, s, "{\"op\":\"d\"}",
              "the 'before' of a delete ('op' 'd') is missing; Debezium needs the full old row "
              "(for PostgreSQL: REPLICA IDENTITY FULL)");
    /* A bad value inside "after": the json format's message, offset in the whole event. */
    dbz_fails(&o, s, "{\"op\":\"c\",\"after\":{\"id\":1.5}}",
              "field 'id' at offset 24: invalid BIGINT '1.5': not an integer");
    /* The +U of an update fails: its -U is not kept either. */
    dbz_fails(&o, s, "{\"op\":\"u\",\"before\":{\"id\":1},\"after\":{\"x\":\"y\"}}",
              "field 'x' at offset 41: invalid INT 'y'");
    dbz_fails(&o, s, "{\"op\":\"c\",\"after\":{\"id\":1}} x",
              "at offset 28: unexpected text after the object: 'x'");
    dbz_fails(&o, s, "{\"op\":\"c\",\"after\":[1]}",
              "at offset 18: expected a JSON object, found '[1]}'");
    dbz_fails(&o, s, "{\"op\":\"c\",\"after\":{\"id\":1}",
              "at offset 26: expected ',' or '}', "
              "found the end of the line");
    wr_schema_free(s);
}

static wr_config options_of(const char *const *kv, int n)
{
    wr_config c;
    wr_config_init(&c);
    for (int i = 0; i < n; i += 2) wr_config_set(&c, kv[i], kv[i + 1], i, i + 1);
    return c;
}

Test(debezium, options)
{
    const char *kv[] = {"debezium-json.schema-include",
                        "true",
                        "debezium-json.ignore-parse-errors",
                        "true",
                        "debezium-json.timestamp-format.standard",
                        "ISO-8601",
                        "debezium-json.map-null-key.mode",
                        "LITERAL",
                        "debezium-json.map-null-key.literal",
                        "null"};
    wr_config c = options_of(kv, 10);
    wr_debezium_options o;
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_debezium_options_read(&c, &o, &err), 0, "%s", err.msg);
    cr_assert(o.schema_include && o.ignore_parse_errors);
    cr_assert_eq(o.json.timestamp_standard, WR_JSON_TIMESTAMP_ISO_8601);
    for (int i = 0; i < c.n; i++) cr_assert(c.entries[i].used, "%s", c.entries[i].key);
    wr_config_fini(&c);
    const char *bad[] = {"debezium-json.map-null-key.mode", "SOMETIMES"};
    c = options_of(bad, 2);
    cr_assert_eq(wr_debezium_options_read(&c, &o, &err), WR_ERR_VALIDATION);
    cr_assert(strstr(err.msg, "SOMETIMES") != NULL, "%s", err.msg);
    wr_config_fini(&c);
}

Test(debezium, encoding_follows_flink_and_decodes_back)
{
    wr_schema *s = schema3();
    wr_batch *batch = wr_batch_new(s->types, s->ncols, WR_BATCH_CAPACITY);
    wr_debezium_options o;
    wr_debezium_options_default(&o);
    dbz_ok(&o, s, "{\"op\":\"c\",\"after\":{\"id\":1,\"name\":\"a\\\"b\",\"x\":null}}", batch);
    dbz_ok(&o, s, "{\"op\":\"u\",\"before\":{\"id\":1,\"x\":1},\"after\":{\"id\":1,\"x\":2}}",
           batch);
    dbz_ok(&o, s, "{\"op\":\"d\",\"before\":{\"id\":3,\"x\":3}}", batch);
    const char *want[] = {
        "{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\\\"b\",\"x\":null},\"op\":\"c\"}",
        "{\"before\":{\"id\":1,\"name\":null,\"x\":1},\"after\":null,\"op\":\"d\"}",
        "{\"before\":null,\"after\":{\"id\":1,\"name\":null,\"x\":2},\"op\":\"c\"}",
        "{\"before\":{\"id\":3,\"name\":null,\"x\":3},\"after\":null,\"op\":\"d\"}",
    };
    wr_batch *back = wr_batch_new(s->types, s->ncols, WR_BATCH_CAPACITY);
    wr_buf out;
    wr_buf_init(&out);
    for (int row = 0; row < 4; row++) {
        wr_buf_reset(&out);
        wr_debezium_encode(&o, batch, row, s, &out);
        cr_assert_str_eq(out.data, want[row]);
        dbz_ok(&o, s, out.data, back);
    }
    expect_rows(back, "+I[1, a\"b, null];-D[1, null, 1];+I[1, null, 2];-D[3, null, 3];");
    wr_buf_fini(&out);
    wr_batch_free(back);
    wr_batch_free(batch);
    wr_schema_free(s);
}

/* ---- canal-json -------------------------------------------------------------------- */

static int canal(const wr_canal_options *o, const wr_schema *s, const char *msg, int *next,
                 wr_batch *batch, wr_error *err)
{
    wr_error_init(err);
    return wr_canal_decode(o, s, msg, strlen(msg), next, batch, err);
}

Test(canal, types_give_rows_and_kinds)
{
    wr_schema *s = schema3();
    wr_batch *batch = wr_batch_new(s->types, s->ncols, WR_BATCH_CAPACITY);
    wr_canal_options o;
    wr_canal_options_default(&o);
    wr_error err;
    int next = 0;
    cr_assert_eq(
        canal(&o, s,
              "{\"data\":[{\"id\":1,\"name\":\"a\",\"x\":1},{\"id\":2,\"name\":\"b\",\"x\":"
              "2}],\"database\":\"db\",\"table\":\"t\",\"type\":\"INSERT\",\"old\":null}",
              &next, batch, &err),
        0, "%s", err.msg);
    /* "old" holds only the changed members; the -U row is the data row with them over it. */
    cr_assert_eq(
        canal(&o, s,
              "{\"type\":\"UPDATE\",\"data\":[{\"id\":1,\"name\":\"a2\",\"x\":5},{\"id\":2,"
              "\"name\":\"b\",\"x\":6}],\"old\":[{\"name\":\"a\",\"x\":1},{\"x\":null}]}",
              &next, batch, &err),
        0, "%s", err.msg);
    cr_assert_eq(canal(&o, s, "{\"type\":\"DELETE\",\"data\":[{\"id\":2,\"name\":\"b\",\"x\":6}]}",
                       &next, batch, &err),
                 0, "%s", err.msg);
    cr_assert_eq(canal(&o, s, "{\"type\":\"CREATE\",\"data\":null,\"sql\":\"CREATE TABLE t\"}",
                       &next, batch, &err),
                 WR_JSON_SKIPPED);
    expect_rows(batch,
                "+I[1, a, 1];+I[2, b, 2];-U[1, a, 1];+U[1, a2, 5];-U[2, b, null];+U[2, b, 6];"
                "-D[2, b, 6];");
    cr_assert_eq(next, 0);
    wr_batch_free(batch);
    wr_schema_free(s);
}

Test(canal, a_message_resumes_in_the_next_batch)
{
    wr_schema *s = schema3();
    wr_batch *batch = wr_batch_new(s->types, s->ncols, 3);
    wr_canal_options o;
    wr_canal_options_default(&o);
    wr_error err;
    int next = 0;
    const char *msg =
        "{\"type\":\"UPDATE\",\"data\":[{\"id\":1,\"x\":2},{\"id\":2,\"x\":3},{\"id\":"
        "3,\"x\":4}],\"old\":[{\"x\":1},{\"x\":2},{\"x\":3}]}";
    cr_assert_eq(canal(&o, s, msg, &next, batch, &err), WR_CHANGELOG_FULL);
    cr_assert_eq(next, 1);
    expect_rows(batch, "-U[1, null, 1];+U[1, null, 2];");
    wr_batch_reset(batch);
    cr_assert_eq(canal(&o, s, msg, &next, batch, &err), WR_CHANGELOG_FULL);
    cr_assert_eq(next, 2);
    expect_rows(batch, "-U[2, null, 2];+U[2, null, 3];");
    wr_batch_reset(batch);
    cr_assert_eq(canal(&o, s, msg, &next, batch, &err), 0);
    cr_assert_eq(next, 0);
    expect_rows(batch, "-U[3, null, 3];+U[3, null, 4];");
    wr_batch_free(batch);
    wr_schema_free(s);
}

Test(canal, database_and_table_filters_and_options)
{
    const char *kv[] = {"canal-json.database.include",    "shop_.*",
                        "canal-json.table.include",       "orders",
                        "canal-json.ignore-parse-errors", "true"};
    wr_config c = options_of(kv, 6);
    wr_canal_options o;
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_canal_options_read(&c, &o, &err), 0, "%s", err.msg);
    cr_assert(o.ignore_parse_errors);
    wr_config_fini(&c);
    wr_schema *s = schema3();
    wr_batch *batch = wr_batch_new(s->types, s->ncols, WR_BATCH_CAPACITY);
    int next = 0;
    const char *fmt = "{\"database\":\"%s\",\"table\":\"%s\",\"type\":\"INSERT\","
                      "\"data\":[{\"id\":%d}]}";
    char msg[256];
    snprintf(msg, sizeof(msg), fmt, "shop_eu", "orders", 1);
    cr_assert_eq(canal(&o, s, msg, &next, batch, &err), 0, "%s", err.msg);
    snprintf(msg, sizeof(msg), fmt, "shop_eu", "orders_old", 2); /* matched whole */
    cr_assert_eq(canal(&o, s, msg, &next, batch, &err), WR_JSON_SKIPPED);
    snprintf(msg, sizeof(msg), fmt, "crm", "orders", 3);
    cr_assert_eq(canal(&o, s, msg, &next, batch, &err), WR_JSON_SKIPPED);
    expect_rows(batch, "+I[1, null, null];");
    wr_canal_options_fini(&o);

    const char *bad[] = {"canal-json.table.include", "a("};
    c = options_of(bad, 2);
    cr_assert_eq(wr_canal_options_read(&c, &o, &err), WR_ERR_VALIDATION);
    cr_assert(strstr(err.msg, "invalid value 'a(' for option 'canal-json.table.include'") != NULL,
              "%s", err.msg);
    wr_config_fini(&c);
    wr_batch_free(batch);
    wr_schema_free(s);
}

Test(canal, bad_messages_are_errors_and_append_nothing)
{
    wr_schema *s = schema3();
    wr_batch *batch = wr_batch_new(s->types, s->ncols, WR_BATCH_CAPACITY);
    wr_canal_options o;
    wr_canal_options_default(&o);
    wr_error err;
    int next = 0;
    struct {
        const char *msg, *want;
    } cases[] = {
        {"{\"type\":\"UPDATE\",\"data\":[{\"id\":1}]}",
         "the 'old' of an UPDATE message is missing"},
        {"{\"type\":\"UPDATE\",\"data\":[{\"id\":1},{\"id\":2}],\"old\":[{\"id\":0}]}",
         "'old' has 1 rows; 'data' has more"},
        {"{\"type\":\"INSERT\",\"data\":[{\"id\":1},{\"id\":\"z\"}]}",
         "field 'id' at offset 40: invalid BIGINT 'z'"},
        {"{\"data\":[]}", "the message has no 'type' member"},
        {"{\"type\":\"DELETE\",\"data\":null}", "the 'data' of an DELETE message is null"},
        {"{\"type\":\"INSERT\",\"data\":{\"id\":1}}",
         "at offset 24: expected a JSON array, found '{\"id\":1}}'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_assert_eq(canal(&o, s, cases[i].msg, &next, batch, &err), WR_ERR_PARSE, "%s",
                     cases[i].msg);
        cr_assert_str_eq(err.msg, cases[i].want);
        cr_assert_eq(batch->count, 0);
        cr_assert_eq(next, 0);
    }
    wr_batch_free(batch);
    wr_schema_free(s);
}

Test(canal, encoding)
{
    wr_schema *s = schema3();
    wr_batch *batch = wr_batch_new(s->types, s->ncols, WR_BATCH_CAPACITY);
    wr_canal_options o;
    wr_canal_options_default(&o);
    wr_error err;
    int next = 0;
    cr_assert_eq(canal(&o, s,
                       "{\"type\":\"UPDATE\",\"data\":[{\"id\":1,\"x\":2}],\"old\":[{\"x\":1}]}",
                       &next, batch, &err),
                 0);
    wr_buf out;
    wr_buf_init(&out);
    wr_canal_encode(&o, batch, 0, s, &out);
    cr_assert_str_eq(out.data, "{\"data\":[{\"id\":1,\"name\":null,\"x\":1}],\"type\":\"DELETE\"}");
    wr_buf_reset(&out);
    wr_canal_encode(&o, batch, 1, s, &out);
    cr_assert_str_eq(out.data, "{\"data\":[{\"id\":1,\"name\":null,\"x\":2}],\"type\":\"INSERT\"}");
    wr_buf_fini(&out);
    wr_batch_free(batch);
    wr_schema_free(s);
}

/* ---- through the kafka connector (librdkafka's mock cluster) ------------------------- */

/* Sends records (NULL: a tombstone) to partition 0 of topic and waits for them. */
static void produce(const char *topic, const char *const *values, int n)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_quiet);
    cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", servers, errstr, sizeof(errstr)), 0);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    for (int i = 0; i < n; i++) {
        const char *v = values[i];
        rd_kafka_resp_err_t code =
            rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                              RD_KAFKA_V_VALUE((void *)v, v ? strlen(v) : 0),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        cr_assert_eq(code, 0, "%s", rd_kafka_err2str(code));
    }
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
    rd_kafka_destroy(p);
}

static weir_result *sql(weir_session *s, const char *text)
{
    weir_result *res = NULL;
    int rc = weir_exec(s, text, "test.sql", &res);
    cr_assert_eq(rc, 0, "%s", weir_session_error(s));
    return res;
}

/*
 * The result of an updating query folded into its final rows: "k=v;" per
 * key in key order (keys 0..9), applying +I/+U as upserts and -U/-D as
 * deletes.
 */
static void expect_final(weir_result *res, const char *want)
{
    long long vals[10];
    bool live[10] = {false};
    for (int64_t r = 0; r < weir_result_rows(res); r++) {
        int64_t k = weir_result_int(res, r, 0);
        cr_assert(k >= 0 && k < 10);
        const char *ch = weir_result_change(res, r);
        live[k] = ch[0] == '+';
        if (live[k]) vals[k] = weir_result_int(res, r, 1);
    }
    char got[256] = "";
    for (int k = 0; k < 10; k++)
        if (live[k]) snprintf(got + strlen(got), sizeof(got) - strlen(got), "%d=%lld;", k, vals[k]);
    cr_assert_str_eq(got, want);
}

Test(changelog_kafka, debezium_changelog_to_aggregate_and_back, .init = mock_init,
     .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "cdc", 1, 1), 0);
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "sums", 1, 1), 0);
    const char *events[] = {
        "{\"before\":null,\"after\":{\"id\":1,\"k\":1,\"x\":10},\"op\":\"r\"}",
        "{\"before\":null,\"after\":{\"id\":2,\"k\":1,\"x\":5},\"op\":\"c\"}",
        "{\"before\":null,\"after\":{\"id\":3,\"k\":2,\"x\":7},\"op\":\"c\"}",
        "{\"before\":null,\"after\":{\"id\":4,\"k\":3,\"x\":1},\"op\":\"c\"}",
        /* id 1 moves from 10 to 100; id 2 is deleted, then its tombstone */
        "{\"before\":{\"id\":1,\"k\":1,\"x\":10},\"after\":{\"id\":1,\"k\":1,\"x\":100},"
        "\"op\":\"u\"}",
        "{\"before\":{\"id\":2,\"k\":1,\"x\":5},\"after\":null,\"op\":\"d\"}",
        NULL,
        /* id 3 moves to key 3; key 2 is then empty */
        "{\"before\":{\"id\":3,\"k\":2,\"x\":7},\"after\":{\"id\":3,\"k\":3,\"x\":7},\"op\":\"u\"}",
    };
    produce("cdc", events, 8);
    weir_session *s = weir_session_new();
    char ddl[2048];
    snprintf(ddl, sizeof(ddl),
             "SET 'execution.runtime-mode' = 'streaming';"
             "CREATE TABLE cdc (id BIGINT, k INT, x BIGINT) WITH ('connector' = 'kafka', "
             "'topic' = 'cdc', 'properties.bootstrap.servers' = '%s', "
             "'format' = 'debezium-json', 'scan.startup.mode' = 'earliest-offset', "
             "'scan.bounded.mode' = 'latest-offset');"
             "CREATE TABLE sums (k INT, s BIGINT) WITH ('connector' = 'kafka', 'topic' = 'sums', "
             "'properties.bootstrap.servers' = '%s', 'value.format' = 'debezium-json', "
             "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset')",
             servers, servers);
    sql(s, ddl);
    /* Batch execution takes inserts only, as Flink's: a changelog is read in streaming mode. */
    weir_result *res = sql(s, "SELECT k, SUM(x) FROM cdc GROUP BY k");
    expect_final(res, "1=100;3=8;");
    weir_result_free(res);

    /* An updating query into a debezium-json sink, read back as a changelog. */
    sql(s, "INSERT INTO sums SELECT k, SUM(x) FROM cdc GROUP BY k");
    res = sql(s, "SELECT k, SUM(s) FROM sums GROUP BY k");
    expect_final(res, "1=100;3=8;");
    weir_result_free(res);
    weir_session_free(s);
}

Test(changelog_kafka, options_are_checked, .init = mock_init, .fini = mock_fini)
{
    weir_session *s = weir_session_new();
    char ddl[1024];
    struct {
        const char *with, *want;
    } cases[] = {
        {"'format' = 'json', 'key.format' = 'debezium-json', 'key.fields' = 'k'",
         "format 'debezium-json' is a changelog format, for 'value.format' only"},
        {"'format' = 'canal-json', 'key.format' = 'json', 'key.fields' = 'k'",
         "option 'key.format' is not supported with the changelog format 'canal-json'"},
        {"'format' = 'canal-json', 'canal-json.table.include' = '('",
         "invalid value '(' for option 'canal-json.table.include'"},
        {"'format' = 'debezium-json', 'debezium-json.schema-include' = 'maybe'",
         "invalid value 'maybe'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(ddl, sizeof(ddl),
                 "CREATE TABLE t%zu (k INT, x BIGINT) WITH ('connector' = 'kafka', 'topic' = 't', "
                 "'properties.bootstrap.servers' = '%s', %s)",
                 i, servers, cases[i].with);
        weir_result *res = NULL;
        int rc = weir_exec(s, ddl, "test.sql", &res);
        if (rc == 0) {
            weir_result_free(res);
            snprintf(ddl, sizeof(ddl), "SELECT * FROM t%zu", i);
            rc = weir_exec(s, ddl, "test.sql", &res);
        }
        cr_assert_neq(rc, 0, "%s was accepted", cases[i].with);
        cr_assert(strstr(weir_session_error(s), cases[i].want) != NULL, "%s",
                  weir_session_error(s));
    }
    weir_session_free(s);
}

/* ---- through the filesystem connector (JSON Lines of change events) ------------------ */

/* Runs a statement expected to fail (at CREATE or at the SELECT after it) with `want` in the
 * message. */
static void expect_fails(weir_session *s, const char *ddl, const char *query, const char *want)
{
    weir_result *res = NULL;
    int rc = weir_exec(s, ddl, "test.sql", &res);
    if (rc == 0) {
        weir_result_free(res);
        res = NULL;
        rc = query ? weir_exec(s, query, "test.sql", &res) : 0;
        if (rc == 0) weir_result_free(res);
    }
    cr_assert_neq(rc, 0, "%s was accepted", ddl);
    cr_assert(strstr(weir_session_error(s), want) != NULL, "got: %s", weir_session_error(s));
}

/* A table over tmp_dir/name: "CREATE TABLE <table> (id BIGINT, k INT, x BIGINT) ...". */
static void create_fs_table(weir_session *s, const char *table, const char *name, const char *with)
{
    char ddl[1024];
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE %s (id BIGINT, k INT, x BIGINT) WITH ('connector' = 'filesystem', "
             "'path' = '%s/%s'%s%s)",
             table, tmp_dir, name, with[0] ? ", " : "", with);
    weir_result_free(sql(s, ddl));
}

/* The same changes as the kafka test's, as a file: inserts, a snapshot read, an update, a
 * delete followed by Debezium's tombstone (a 'null' line), a blank line, an update that
 * moves a row to another key. */
static const char dbz_events[] =
    "{\"before\":null,\"after\":{\"id\":1,\"k\":1,\"x\":10},\"op\":\"r\"}\n"
    "{\"before\":null,\"after\":{\"id\":2,\"k\":1,\"x\":5},\"op\":\"c\"}\n"
    "{\"before\":null,\"after\":{\"id\":3,\"k\":2,\"x\":7},\"op\":\"c\"}\n"
    "{\"before\":null,\"after\":{\"id\":4,\"k\":3,\"x\":1},\"op\":\"c\"}\n"
    "{\"before\":{\"id\":1,\"k\":1,\"x\":10},\"after\":{\"id\":1,\"k\":1,\"x\":100},"
    "\"op\":\"u\"}\n"
    "{\"before\":{\"id\":2,\"k\":1,\"x\":5},\"after\":null,\"op\":\"d\"}\n"
    "null\n"
    "\n"
    "{\"before\":{\"id\":3,\"k\":2,\"x\":7},\"after\":{\"id\":3,\"k\":3,\"x\":7},"
    "\"op\":\"u\"}\r\n";

/* Every visible file of directory tmp_dir/sub, concatenated (a new string). */
static char *dir_text(const char *sub)
{
    char dir[256], path[512];
    snprintf(dir, sizeof(dir), "%s/%s", tmp_dir, sub);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "no directory %s", dir);
    wr_buf all;
    wr_buf_init(&all);
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (de->d_name[0] == '.') continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        char *text = read_text(path);
        cr_assert_not_null(text);
        wr_buf_puts(&all, text);
        free(text);
    }
    closedir(d);
    wr_buf_putc(&all, '\0');
    return wr_buf_detach(&all);
}

Test(changelog_filesystem, debezium_file_to_aggregate_and_back, .init = tmp_init, .fini = tmp_fini)
{
    tmp_file("cdc.json", dbz_events);
    char out[256];
    snprintf(out, sizeof(out), "%s/sums", tmp_dir);
    weir_session *s = weir_session_new();
    weir_result_free(sql(s, "SET 'execution.runtime-mode' = 'streaming'"));
    create_fs_table(s, "cdc", "cdc.json", "'format' = 'debezium-json'");
    weir_result *res = sql(s, "SELECT k, SUM(x) FROM cdc GROUP BY k");
    expect_final(res, "1=100;3=8;");
    weir_result_free(res);

    /* The rows themselves carry the events' kinds: +I, -U/+U, -D. */
    res = sql(s, "SELECT id, x FROM cdc");
    cr_assert_eq(weir_result_rows(res), 9);
    const char *kinds[] = {"+I", "+I", "+I", "+I", "-U", "+U", "-D", "-U", "+U"};
    for (int r = 0; r < 9; r++) cr_assert_str_eq(weir_result_change(res, r), kinds[r], "row %d", r);
    cr_assert_eq(weir_result_int(res, 5, 1), 100);
    weir_result_free(res);

    /* An updating query into a debezium-json directory, read back as a changelog. */
    char ddl[1024];
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE sums (k INT, s BIGINT) WITH ('connector' = 'filesystem', 'path' = "
             "'%s', 'format' = 'debezium-json')",
             out);
    weir_result_free(sql(s, ddl));
    weir_result_free(sql(s, "INSERT INTO sums SELECT k, SUM(x) FROM cdc GROUP BY k"));
    char *text = dir_text("sums");
    cr_assert(strstr(text, "{\"before\":null,\"after\":{\"k\":1,\"s\":100},\"op\":\"c\"}") != NULL,
              "%s", text);
    free(text);
    res = sql(s, "SELECT k, SUM(s) FROM sums GROUP BY k");
    expect_final(res, "1=100;3=8;");
    weir_result_free(res);

    /* The changelog itself (every kind) written and read back: -U and -D are written as
     * "d" events and +U as "c", as Flink does. */
    create_fs_table(s, "copy", "copy", "'format' = 'debezium-json'");
    weir_result_free(sql(s, "INSERT INTO copy SELECT * FROM cdc"));
    text = dir_text("copy");
    cr_assert(strstr(text, "{\"before\":{\"id\":1,\"k\":1,\"x\":10},\"after\":null,"
                           "\"op\":\"d\"}\n{\"before\":null,\"after\":{\"id\":1,\"k\":1,"
                           "\"x\":100},\"op\":\"c\"}\n{\"before\":{\"id\":2,\"k\":1,\"x\":5},"
                           "\"after\":null,\"op\":\"d\"}\n") != NULL,
              "%s", text);
    free(text);
    res = sql(s, "SELECT k, SUM(x) FROM copy GROUP BY k");
    expect_final(res, "1=100;3=8;");
    weir_result_free(res);
    weir_session_free(s);
}

Test(changelog_filesystem, canal_file_and_canal_sink, .init = tmp_init, .fini = tmp_fini)
{
    tmp_file("canal.json",
             "{\"data\":[{\"id\":1,\"k\":1,\"x\":10},{\"id\":2,\"k\":1,\"x\":5}],"
             "\"database\":\"db\",\"table\":\"t\",\"type\":\"INSERT\"}\n"
             "{\"data\":null,\"database\":\"db\",\"table\":\"t\",\"type\":\"CREATE\"}\n"
             "{\"data\":[{\"id\":3,\"k\":2,\"x\":7}],\"database\":\"other\",\"table\":\"t\","
             "\"type\":\"INSERT\"}\n"
             "{\"data\":[{\"id\":1,\"k\":1,\"x\":100}],\"old\":[{\"x\":10}],\"database\":\"db\","
             "\"table\":\"t\",\"type\":\"UPDATE\"}\n"
             "{\"data\":[{\"id\":2,\"k\":1,\"x\":5}],\"database\":\"db\",\"table\":\"t\","
             "\"type\":\"DELETE\"}\n"
             "{\"data\":[{\"id\":4,\"k\":3,\"x\":8}],\"database\":\"db\",\"table\":\"t\","
             "\"type\":\"INSERT\"}\n");
    weir_session *s = weir_session_new();
    weir_result_free(sql(s, "SET 'execution.runtime-mode' = 'streaming'"));
    create_fs_table(s, "cdc", "canal.json",
                    "'format' = 'canal-json', 'canal-json.database.include' = 'db'");
    weir_result *res = sql(s, "SELECT k, SUM(x) FROM cdc GROUP BY k");
    expect_final(res, "1=100;3=8;");
    weir_result_free(res);

    char ddl[1024];
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE sums (k INT, s BIGINT) WITH ('connector' = 'filesystem', 'path' = "
             "'%s/sums', 'format' = 'canal-json')",
             tmp_dir);
    weir_result_free(sql(s, ddl));
    weir_result_free(sql(s, "INSERT INTO sums SELECT k, SUM(x) FROM cdc GROUP BY k"));
    res = sql(s, "SELECT k, SUM(s) FROM sums GROUP BY k");
    expect_final(res, "1=100;3=8;");
    weir_result_free(res);
    weir_session_free(s);
}

/* Events with more rows than a batch holds: a canal message of 2500 rows, and updates (two
 * rows each) after one insert, so that one straddles the end of every batch. */
Test(changelog_filesystem, events_larger_than_a_batch, .init = tmp_init, .fini = tmp_fini)
{
    wr_buf text;
    wr_buf_init(&text);
    wr_buf_puts(&text, "{\"type\":\"INSERT\",\"data\":[");
    for (int i = 0; i < 2500; i++)
        wr_buf_printf(&text, "%s{\"id\":%d,\"k\":%d,\"x\":1}", i ? "," : "", i, i % 3);
    wr_buf_puts(&text, "]}\n");
    wr_buf_putc(&text, '\0');
    tmp_file("big.json", text.data);
    wr_buf_reset(&text);
    wr_buf_puts(&text, "{\"op\":\"c\",\"after\":{\"id\":0,\"k\":0,\"x\":0}}\n");
    for (int i = 1; i <= 1500; i++)
        wr_buf_printf(&text,
                      "{\"op\":\"u\",\"before\":{\"id\":0,\"k\":0,\"x\":%d},"
                      "\"after\":{\"id\":0,\"k\":0,\"x\":%d}}\n",
                      i - 1, i);
    wr_buf_putc(&text, '\0');
    tmp_file("updates.json", text.data);
    wr_buf_fini(&text);

    weir_session *s = weir_session_new();
    weir_result_free(sql(s, "SET 'execution.runtime-mode' = 'streaming'"));
    create_fs_table(s, "big", "big.json", "'format' = 'canal-json'");
    weir_result *res = sql(s, "SELECT k, SUM(x) FROM big GROUP BY k");
    expect_final(res, "0=834;1=833;2=833;");
    weir_result_free(res);
    create_fs_table(s, "upd", "updates.json", "'format' = 'debezium-json'");
    res = sql(s, "SELECT k, SUM(x) FROM upd GROUP BY k");
    expect_final(res, "0=1500;");
    weir_result_free(res);
    res = sql(s, "SELECT COUNT(*) FROM upd");
    cr_assert_eq(weir_result_rows(res) > 0, true);
    weir_result_free(res);
    weir_session_free(s);
}

Test(changelog_filesystem, bad_lines_fail_or_are_skipped, .init = tmp_init, .fini = tmp_fini)
{
    tmp_file("bad.json", "{\"op\":\"c\",\"after\":{\"id\":1,\"k\":1,\"x\":10}}\n"
                         "{\"op\":\"x\",\"after\":{\"id\":2,\"k\":1,\"x\":5}}\n"
                         "{\"op\":\"c\",\"after\":{\"id\":3,\"k\":2,\"x\":\"seven\"}}\n"
                         "{\"op\":\"u\",\"before\":null,\"after\":{\"id\":1,\"k\":1,\"x\":1}}\n"
                         "not json\n"
                         "{\"op\":\"c\",\"after\":{\"id\":4,\"k\":2,\"x\":2}}\n");
    tmp_file("bad_canal.json", "{\"type\":\"INSERT\",\"data\":[{\"id\":1,\"k\":1,\"x\":3}]}\n"
                               "{\"type\":\"INSERT\",\"data\":{\"id\":2}}\n"
                               "{\"type\":\"INSERT\",\"data\":[{\"id\":3,\"k\":1,\"x\":4}]}\n");
    weir_session *s = weir_session_new();
    weir_result_free(sql(s, "SET 'execution.runtime-mode' = 'streaming'"));
    create_fs_table(s, "strict", "bad.json", "'format' = 'debezium-json'");
    char want[512];
    snprintf(want, sizeof(want), "file '%s/bad.json', line 2: field 'op'", tmp_dir);
    expect_fails(s, "SELECT 1", "SELECT k, SUM(x) FROM strict GROUP BY k", want);

    create_fs_table(s, "lenient", "bad.json",
                    "'format' = 'debezium-json', 'debezium-json.ignore-parse-errors' = 'true'");
    weir_result *res = sql(s, "SELECT k, SUM(x) FROM lenient GROUP BY k");
    expect_final(res, "1=10;2=2;");
    weir_result_free(res);

    create_fs_table(s, "strict_canal", "bad_canal.json", "'format' = 'canal-json'");
    snprintf(want, sizeof(want), "file '%s/bad_canal.json', line 2: ", tmp_dir);
    expect_fails(s, "SELECT 1", "SELECT k, SUM(x) FROM strict_canal GROUP BY k", want);
    create_fs_table(s, "lenient_canal", "bad_canal.json",
                    "'format' = 'canal-json', 'canal-json.ignore-parse-errors' = 'true'");
    res = sql(s, "SELECT k, SUM(x) FROM lenient_canal GROUP BY k");
    expect_final(res, "1=7;");
    weir_result_free(res);
    weir_session_free(s);
}

Test(changelog_filesystem, options_and_partitions_are_checked, .init = tmp_init, .fini = tmp_fini)
{
    tmp_file("e.json", "");
    weir_session *s = weir_session_new();
    char ddl[1024];
    struct {
        const char *columns, *with, *query, *want;
    } cases[] = {
        {"(k INT, x BIGINT) PARTITIONED BY (k)", "'format' = 'debezium-json'", "SELECT * FROM t%d",
         "format 'debezium-json' cannot be used with a partitioned table (PARTITIONED BY)"},
        {"(k INT, x BIGINT) PARTITIONED BY (k)", "'format' = 'canal-json'",
         "INSERT INTO t%d VALUES (1, 2)",
         "format 'canal-json' cannot be used with a partitioned table (PARTITIONED BY)"},
        {"(k INT, x BIGINT)", "'format' = 'debezium-json', 'json.fail-on-missing-field' = 'true'",
         "SELECT * FROM t%d", "unsupported option 'json.fail-on-missing-field'"},
        {"(k INT, x BIGINT)", "'format' = 'csv', 'debezium-json.schema-include' = 'true'",
         "SELECT * FROM t%d", "unsupported option 'debezium-json.schema-include'"},
        {"(k INT, x BIGINT)", "'format' = 'canal-json', 'canal-json.table.include' = '('",
         "SELECT * FROM t%d", "invalid value '(' for option 'canal-json.table.include'"},
        {"(k INT, x BIGINT)", "'format' = 'debezium-json', 'debezium-json.schema-include' = 'true'",
         "INSERT INTO t%d VALUES (1, 2)",
         "set 'debezium-json.schema-include' to 'false' for a sink table"},
    };
    for (int i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
        char path[256], query[128];
        /* A partitioned table's path is a directory; the others read the empty file. */
        snprintf(path, sizeof(path), "%s%s", tmp_dir,
                 strstr(cases[i].columns, "PARTITIONED") ? "" : "/e.json");
        snprintf(ddl, sizeof(ddl),
                 "CREATE TABLE t%d %s WITH ('connector' = 'filesystem', 'path' = '%s', %s)", i,
                 cases[i].columns, path, cases[i].with);
        snprintf(query, sizeof(query), cases[i].query, i);
        expect_fails(s, ddl, query, cases[i].want);
    }
    /* A debezium-json file sink takes updates; a json one still refuses them at planning. */
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE plain (k INT, s BIGINT) WITH ('connector' = 'filesystem', 'path' = "
             "'%s/plain', 'format' = 'json')",
             tmp_dir);
    weir_result_free(sql(s, ddl));
    weir_result_free(sql(s, "SET 'execution.runtime-mode' = 'streaming'"));
    expect_fails(s, "SELECT 1",
                 "INSERT INTO plain SELECT k, COUNT(*) FROM (VALUES (1), (1)) AS v(k) GROUP BY k",
                 "table sink 'plain' (connector 'filesystem') takes inserts only");
    weir_session_free(s);
}
