/*
 * test_kafka_metadata.c — metadata columns of kafka tables (topic, partition, offset,
 * timestamp, timestamp-type) read through SQL against librdkafka's mock cluster, which runs
 * inside the test process (one cluster per test; Criterion forks each). The DDL's errors and
 * DESCRIBE need no broker: tests/sql/metadata.slt.
 */
#include <criterion/criterion.h>

#include "../../include/weir.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <string.h>

static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mock;
static char servers[256];

static void quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static void mock_init(void)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet);
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    cr_assert_not_null(mock_rk, "%s", errstr);
    mock = rd_kafka_mock_cluster_new(mock_rk, 1);
    cr_assert_not_null(mock);
    snprintf(servers, sizeof(servers), "%s", rd_kafka_mock_cluster_bootstraps(mock));
}

static void mock_fini(void)
{
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(mock_rk);
}

/* Records {"id":<id>} with CreateTime timestamps ts0 + id * step_ms into one partition. */
static void produce(const char *topic, int partition, int from, int to, int64_t ts0,
                    int64_t step_ms)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet);
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
    /* A persisted metadata column would be written: not supported yet, and said so. */
    create(s, "dst2", "id BIGINT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'", "out");
    cr_assert_neq(weir_exec(s, "INSERT INTO dst2 SELECT id FROM src", "t.sql", &bad), 0);
    cr_assert(strstr(weir_session_error(s),
                     "cannot write metadata column 'ts' of table 'dst2': writing metadata is not "
                     "supported yet; declare it VIRTUAL"),
              "%s", weir_session_error(s));
    weir_session_free(s);
}
