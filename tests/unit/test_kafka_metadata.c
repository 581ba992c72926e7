/*
 * test_kafka_metadata.c — metadata columns of kafka and upsert-kafka tables (topic, partition,
 * offset, timestamp, timestamp-type, headers) read and written through SQL against librdkafka's
 * mock cluster, which runs inside the test process (one cluster per test; Criterion forks each).
 * The DDL's errors and DESCRIBE need no broker: tests/sql/metadata.slt.
 */
#include <criterion/criterion.h>

#include "../../include/weir.h"
#include "../../src/base/buf.h"
#include "kafkarig.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <string.h>

/* Records {"id":<id>} with CreateTime timestamps ts0 + id * step_ms into one partition. */
static void produce(const char *topic, int partition, int from, int to, int64_t ts0,
                    int64_t step_ms)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_quiet);
    cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", servers, errstr, sizeof(errstr)), 0);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    for (int id = from; id <= to; id++) {
        char value[32];
        snprintf(value, sizeof(value), "{\"id\":%d}", id);
        rd_kafka_resp_err_t code = rd_kafka_producev(
            p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_VALUE(value, strlen(value)), RD_KAFKA_V_TIMESTAMP(ts0 + id * step_ms),
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
    cr_assert_eq(rc, 0, "%s: %s", text, weir_session_error(s));
    return res;
}

/* A bounded kafka table over topic with the given columns. */
static void create(weir_session *s, const char *name, const char *columns, const char *topic)
{
    char ddl[2048];
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE %s (%s) WITH ('connector' = 'kafka', 'topic' = '%s', "
             "'properties.bootstrap.servers' = '%s', 'format' = 'json', "
             "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset')",
             name, columns, topic, servers);
    weir_result_free(sql(s, ddl));
}

/* 2024-01-01T00:00:00Z in milliseconds. */
#define T0 1704067200000LL

Test(kafka_metadata, read_beside_the_value_columns, .init = mock_init, .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "m", 2, 1), 0);
    produce("m", 0, 0, 2, T0, 1000);
    produce("m", 1, 10, 11, T0, 1000);
    weir_session *s = weir_session_new();
    weir_result_free(sql(s, "SET 'table.local-time-zone' = 'UTC'"));
    create(s, "src",
           "id BIGINT, part INT METADATA FROM 'partition' VIRTUAL, `offset` BIGINT METADATA "
           "VIRTUAL, tp STRING METADATA FROM 'topic' VIRTUAL, ts TIMESTAMP_LTZ(3) METADATA FROM "
           "'timestamp', tt STRING METADATA FROM 'timestamp-type' VIRTUAL, "
           "next_off AS `offset` + 1",
           "m");
    weir_result *res = sql(s, "SELECT * FROM src ORDER BY id");
    cr_assert_eq(weir_result_columns(res), 7);
    const char *names[] = {"id", "part", "offset", "tp", "ts", "tt", "next_off"};
    for (int c = 0; c < 7; c++) cr_assert_str_eq(weir_result_column_name(res, c), names[c]);
    cr_assert_eq(weir_result_rows(res), 5);
    const int ids[] = {0, 1, 2, 10, 11}, parts[] = {0, 0, 0, 1, 1}, offs[] = {0, 1, 2, 0, 1};
    for (int r = 0; r < 5; r++) {
        cr_assert_eq(weir_result_int(res, r, 0), ids[r]);
        cr_assert_eq(weir_result_int(res, r, 1), parts[r]);
        cr_assert_eq(weir_result_int(res, r, 2), offs[r]);
        cr_assert_str_eq(weir_result_text(res, r, 3), "m");
        char want[64];
        snprintf(want, sizeof(want), "2024-01-01 00:00:%02d.000", ids[r]);
        cr_assert_str_eq(weir_result_text(res, r, 4), want);
        cr_assert_str_eq(weir_result_text(res, r, 5), "CreateTime");
        cr_assert_eq(weir_result_int(res, r, 6), offs[r] + 1);
    }
    weir_result_free(res);
    /* Only some metadata, before the value column, and a filter over one. */
    res = sql(s, "SELECT `offset`, id FROM src WHERE part = 1 ORDER BY id");
    cr_assert_eq(weir_result_rows(res), 2);
    cr_assert_eq(weir_result_int(res, 0, 0), 0);
    cr_assert_eq(weir_result_int(res, 0, 1), 10);
    cr_assert_eq(weir_result_int(res, 1, 0), 1);
    cr_assert_eq(weir_result_int(res, 1, 1), 11);
    weir_result_free(res);
    /* Metadata alone: no value column is asked for. */
    res = sql(s, "SELECT SUM(part), MAX(`offset`) FROM src");
    cr_assert_eq(weir_result_int(res, 0, 0), 2);
    cr_assert_eq(weir_result_int(res, 0, 1), 2);
    weir_result_free(res);
    weir_session_free(s);
}

Test(kafka_metadata, a_watermark_over_the_record_timestamp, .init = mock_init, .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "w", 1, 1), 0);
    produce("w", 0, 0, 24, T0, 1000); /* one record a second for 25 seconds */
    weir_session *s = weir_session_new();
    weir_result_free(sql(s, "SET 'table.local-time-zone' = 'UTC'"));
    weir_result_free(sql(s, "SET 'execution.runtime-mode' = 'streaming'"));
    create(s, "ev",
           "id BIGINT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL, "
           "WATERMARK FOR ts AS ts - INTERVAL '5' SECOND",
           "w");
    weir_result *res =
        sql(s, "SELECT window_start, COUNT(*), SUM(id) FROM TABLE(TUMBLE(TABLE ev, "
               "DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end");
    cr_assert_eq(weir_result_rows(res), 3);
    const char *starts[] = {"2024-01-01 00:00:00.000", "2024-01-01 00:00:10.000",
                            "2024-01-01 00:00:20.000"};
    const int counts[] = {10, 10, 5}, sums[] = {45, 145, 110};
    for (int r = 0; r < 3; r++) {
        int w = -1;
        for (int k = 0; k < 3; k++)
            if (strcmp(weir_result_text(res, r, 0), starts[k]) == 0) w = k;
        cr_assert_geq(w, 0, "%s", weir_result_text(res, r, 0));
        cr_assert_eq(weir_result_int(res, r, 1), counts[w]);
        cr_assert_eq(weir_result_int(res, r, 2), sums[w]);
    }
    weir_result_free(res);
    weir_session_free(s);
}

Test(kafka_metadata, insert_skips_virtual_columns, .init = mock_init, .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "in", 1, 1), 0);
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "out", 1, 1), 0);
    produce("in", 0, 1, 3, T0, 1000);
    weir_session *s = weir_session_new();
    create(s, "src", "id BIGINT", "in");
    create(s, "dst", "id BIGINT, `offset` BIGINT METADATA VIRTUAL", "out");
    /* The virtual column is no target: one query column, or a list without it. */
    weir_result_free(sql(s, "INSERT INTO dst SELECT id * 10 FROM src"));
    weir_result_free(sql(s, "INSERT INTO dst (id) VALUES (99)"));
    weir_result *res = sql(s, "SELECT id, `offset` FROM dst ORDER BY `offset`");
    cr_assert_eq(weir_result_rows(res), 4);
    const int ids[] = {10, 20, 30, 99};
    for (int r = 0; r < 4; r++) {
        cr_assert_eq(weir_result_int(res, r, 0), ids[r]);
        cr_assert_eq(weir_result_int(res, r, 1), r);
    }
    weir_result_free(res);
    /* Naming it is an error: it is not a column INSERT writes. */
    weir_result *bad = NULL;
    cr_assert_neq(weir_exec(s, "INSERT INTO dst (id, `offset`) VALUES (1, 2)", "t.sql", &bad), 0);
    cr_assert(strstr(weir_session_error(s), "unknown column 'offset'"), "%s",
              weir_session_error(s));
    /* A persisted column of a key that is only read: refused at INSERT, naming the key. */
    create(s, "dst2", "id BIGINT, `offset` BIGINT METADATA", "out");
    cr_assert_neq(weir_exec(s, "INSERT INTO dst2 SELECT id, 1 FROM src", "t.sql", &bad), 0);
    cr_assert(strstr(weir_session_error(s),
                     "metadata key 'offset' (column 'offset') of connector 'kafka' cannot be "
                     "written; writable keys: 'headers', 'timestamp'"),
              "%s", weir_session_error(s));
    /* The table is still read (Flink accepts it for SELECT). */
    weir_result *res2 = sql(s, "SELECT COUNT(*) FROM dst2");
    cr_assert_eq(weir_result_int(res2, 0, 0), 4);
    weir_result_free(res2);
    weir_session_free(s);
}

Test(kafka_metadata, insert_writes_timestamp_and_headers, .init = mock_init, .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "o", 1, 1), 0);
    weir_session *s = weir_session_new();
    weir_result_free(sql(s, "SET 'table.local-time-zone' = 'UTC'"));
    /* A metadata column between physical ones: targets follow the declaration order. */
    create(s, "dst",
           "id BIGINT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', name STRING, "
           "h MAP<STRING, BYTES> METADATA FROM 'headers', `offset` BIGINT METADATA VIRTUAL",
           "o");
    weir_result_free(sql(s, "INSERT INTO dst VALUES "
                            "(1, TO_TIMESTAMP_LTZ(1704067205000, 3), 'a', "
                            "MAP['k', CAST('v1' AS BYTES), 'z', CAST('' AS BYTES)]), "
                            "(2, TO_TIMESTAMP_LTZ(1704067207500, 3), 'b', MAP['k', X'00ff'])"));
    /* A column list without the metadata: the producer's timestamp, no headers. */
    weir_result_free(sql(s, "INSERT INTO dst (name, id) VALUES ('c', 3)"));
    create(s, "back",
           "id BIGINT, name STRING, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL, "
           "tt STRING METADATA FROM 'timestamp-type' VIRTUAL, "
           "h MAP<STRING, BYTES> METADATA FROM 'headers' VIRTUAL",
           "o");
    weir_result *res = sql(s, "SELECT id, name, ts, tt, CARDINALITY(h), h['k'], h['z'] FROM back "
                              "ORDER BY id");
    cr_assert_eq(weir_result_rows(res), 3);
    cr_assert_str_eq(weir_result_text(res, 0, 1), "a");
    cr_assert_str_eq(weir_result_text(res, 0, 2), "2024-01-01 00:00:05.000");
    cr_assert_str_eq(weir_result_text(res, 1, 2), "2024-01-01 00:00:07.500");
    for (int r = 0; r < 3; r++) cr_assert_str_eq(weir_result_text(res, r, 3), "CreateTime");
    cr_assert_eq(weir_result_int(res, 0, 4), 2);
    cr_assert_eq(weir_result_int(res, 1, 4), 1);
    cr_assert_eq(weir_result_int(res, 2, 4), 0);
    cr_assert_str_eq(weir_result_text(res, 0, 5), "x'7631'", "%s", weir_result_text(res, 0, 5));
    cr_assert_str_eq(weir_result_text(res, 0, 6), "x''", "%s", weir_result_text(res, 0, 6));
    cr_assert_str_eq(weir_result_text(res, 1, 5), "x'00ff'", "%s", weir_result_text(res, 1, 5));
    /* The third record got the producer's clock: not the epoch, and after 2024. */
    cr_assert(strcmp(weir_result_text(res, 2, 2), "2024-01-02") > 0, "%s",
              weir_result_text(res, 2, 2));
    weir_result_free(res);
    /* A value of the wrong type for a metadata column: a type mismatch naming it. */
    weir_result *bad = NULL;
    cr_assert_neq(
        weir_exec(s, "INSERT INTO dst VALUES (4, 'soon', 'd', MAP['k', X'01'])", "t.sql", &bad), 0);
    cr_assert(strstr(weir_session_error(s), "type mismatch: this value is CHAR(4) NOT NULL but its "
                                            "column is TIMESTAMP_LTZ(3)"),
              "%s", weir_session_error(s));
    /* A declared type the key's type does not cast to: refused at CREATE TABLE. */
    cr_assert_neq(weir_exec(s,
                            "CREATE TABLE t2 (id BIGINT, h BOOLEAN METADATA FROM 'headers') "
                            "WITH ('connector' = 'kafka', 'topic' = 'o', "
                            "'properties.bootstrap.servers' = 'x:1', 'format' = 'json')",
                            "t.sql", &bad),
                  0);
    cr_assert(strstr(weir_session_error(s), "metadata column 'h' cannot be declared as BOOLEAN"),
              "%s", weir_session_error(s));
    weir_session_free(s);
}

Test(kafka_metadata, upsert_kafka_reads_and_writes_metadata, .init = mock_init, .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "u", 1, 1), 0);
    weir_session *s = weir_session_new();
    weir_result_free(sql(s, "SET 'table.local-time-zone' = 'UTC'"));
    char ddl[1024];
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE u (id BIGINT, v STRING, ts TIMESTAMP_LTZ(3) METADATA FROM "
             "'timestamp', part INT METADATA FROM 'partition' VIRTUAL, `offset` BIGINT METADATA "
             "VIRTUAL, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'upsert-kafka', "
             "'topic' = 'u', 'properties.bootstrap.servers' = '%s', 'key.format' = 'json', "
             "'value.format' = 'json', 'scan.bounded.mode' = 'latest-offset')",
             servers);
    weir_result_free(sql(s, ddl));
    weir_result_free(sql(s, "INSERT INTO u VALUES (1, 'a', TO_TIMESTAMP_LTZ(1704067201000, 3)), "
                            "(2, 'b', TO_TIMESTAMP_LTZ(1704067202000, 3))"));
    weir_result_free(sql(s, "INSERT INTO u VALUES (1, 'c', TO_TIMESTAMP_LTZ(1704067203000, 3))"));
    /* Streaming (an upsert source), one subtask: the changelog in offset order. */
    weir_result_free(sql(s, "SET 'execution.runtime-mode' = 'streaming'"));
    weir_result_free(sql(s, "SET 'parallelism.default' = '1'"));
    weir_result *res = sql(s, "SELECT id, v, ts, part, `offset` FROM u");
    wr_buf got;
    wr_buf_init(&got);
    for (int64_t r = 0; r < weir_result_rows(res); r++)
        wr_buf_printf(&got, "%s[%lld, %s, %s, %lld, %lld] ", weir_result_change(res, r),
                      (long long)weir_result_int(res, r, 0), weir_result_text(res, r, 1),
                      weir_result_text(res, r, 2), (long long)weir_result_int(res, r, 3),
                      (long long)weir_result_int(res, r, 4));
    wr_buf_putc(&got, '\0');
    cr_assert_str_eq(got.data,
                     "+I[1, a, 2024-01-01 00:00:01.000, 0, 0] +I[2, b, 2024-01-01 00:00:02.000, 0, "
                     "1] -U[1, a, 2024-01-01 00:00:01.000, 0, 0] +U[1, c, 2024-01-01 "
                     "00:00:03.000, 0, 2] ");
    wr_buf_fini(&got);
    weir_result_free(res);
    weir_session_free(s);
}
