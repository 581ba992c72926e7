/*
 * test_upsert_kafka.c — the upsert-kafka connector against librdkafka's mock
 * cluster: the round trip of Weir issue 7 (updates and a delete written as
 * records and a tombstone, read back raw, then read through an upsert-kafka
 * table whose ChangelogNormalize turns them into a full changelog), and the
 * option errors.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "kafkarig.h"

#include "../../include/weir.h"
#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every record of partition 0 as "key=>value" ("null" for none), joined by "; ". */
static char *read_raw(const char *topic, int want)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_quiet);
    rd_kafka_conf_set(conf, "bootstrap.servers", servers, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "group.id", "reader", errstr, sizeof(errstr));
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    cr_assert_not_null(c, "%s", errstr);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    cr_assert_eq(rd_kafka_assign(c, list), 0);
    rd_kafka_topic_partition_list_destroy(list);
    wr_buf out;
    wr_buf_init(&out);
    int n = 0;
    bool at_end = false;
    int64_t deadline = wr_clock_mono_ns() + 30 * 1000000000LL;
    while (!(at_end && n >= want)) {
        cr_assert(wr_clock_mono_ns() < deadline, "read %d records of %d", n, want);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 50);
        if (m == NULL) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            at_end = true;
        } else if (m->err == 0) {
            at_end = false;
            if (n++) wr_buf_puts(&out, "; ");
            wr_buf_printf(&out, "%.*s=>%.*s", m->key ? (int)m->key_len : 4,
                          m->key ? (const char *)m->key : "null", m->payload ? (int)m->len : 4,
                          m->payload ? (const char *)m->payload : "null");
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_destroy_flags(c, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    wr_buf_putc(&out, '\0');
    char *s = strdup(out.data);
    wr_buf_fini(&out);
    return s;
}

static weir_result *sql(weir_session *s, const char *text)
{
    weir_result *res = NULL;
    int rc = weir_exec(s, text, "test.sql", &res);
    cr_assert_eq(rc, 0, "%s", weir_session_error(s));
    return res;
}

/* Writes rows of (k BIGINT, s BIGINT) with kinds by hand through the upsert-kafka sink. */
static void sink_rows(const char *topic, const wr_change_kind *kinds, const int64_t *ks,
                      const int64_t *ss, int n)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, false), wr_type_make(WR_TYPE_BIGINT, true)};
    wr_schema *schema = schema_of("k,s", types);
    int pk = 0;
    wr_schema_set_primary_key(schema, &pk, 1);
    char topic_opt[64];
    snprintf(topic_opt, sizeof(topic_opt), "topic=%s", topic);
    const char *kv[] = {"connector=upsert-kafka", topic_opt, servers_opt, "key.format=json",
                        "value.format=json"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_table_sink("upsert-kafka", schema, kv, 5, &spec, &err), 0, "%s", err.msg);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_not_null(op);
    cr_assert_eq(spec.ops->open(op, &err), 0, "%s", err.msg);
    wr_batch *b = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    for (int i = 0; i < n; i++) {
        ((int64_t *)b->cols[0].data)[i] = ks[i];
        if (ss[i] < 0)
            wr_batch_set_null(b, 1, i);
        else
            ((int64_t *)b->cols[1].data)[i] = ss[i];
        wr_batch_kinds(b)[i] = (uint8_t)kinds[i];
    }
    b->count = n;
    cr_assert_eq(spec.ops->process(op, 0, b, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.ops->end_input(op, 0, &err), 0, "%s", err.msg);
    spec.ops->destroy(op);
    wr_batch_free(b);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(upsert_kafka, round_trip, .init = mock_init, .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "up", 1, 1), 0);
    weir_session *s = weir_session_new();
    char ddl[2048];
    snprintf(ddl, sizeof(ddl),
             "SET 'execution.runtime-mode' = 'streaming';"
             "SET 'parallelism.default' = '1';"
             "CREATE TABLE up (k BIGINT NOT NULL, s BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH "
             "('connector' = 'upsert-kafka', 'topic' = 'up', "
             "'properties.bootstrap.servers' = '%s', 'key.format' = 'json', "
             "'value.format' = 'json', 'scan.bounded.mode' = 'latest-offset')",
             servers);
    sql(s, ddl);
    /* An updating query: the sink writes the latest sum per key, -U rows are not written. */
    sql(s, "INSERT INTO up SELECT k, SUM(v) FROM (VALUES (CAST(1 AS BIGINT), CAST(10 AS "
           "BIGINT)), (2, 20), (3, 30)) AS t(k, v) GROUP BY k");
    /* An update of 1, a -U (skipped), a delete of 2 that carries only the key, a duplicate. */
    wr_change_kind kinds[] = {WR_KIND_UPDATE_BEFORE, WR_KIND_UPDATE_AFTER, WR_KIND_DELETE,
                              WR_KIND_INSERT};
    int64_t ks[] = {1, 1, 2, 3}, ss[] = {10, 11, -1, 30};
    sink_rows("up", kinds, ks, ss, 4);
    char *raw = read_raw("up", 6);
    cr_assert_str_eq(raw, "{\"k\":1}=>{\"k\":1,\"s\":10}; {\"k\":2}=>{\"k\":2,\"s\":20}; "
                          "{\"k\":3}=>{\"k\":3,\"s\":30}; {\"k\":1}=>{\"k\":1,\"s\":11}; "
                          "{\"k\":2}=>null; {\"k\":3}=>{\"k\":3,\"s\":30}");
    free(raw);
    /* Read back: the normalized changelog, -D with the whole stored row, the duplicate
     * dropped. Both keys hash to one normalize instance or two: compare per key. */
    sql(s, "SET 'parallelism.default' = '2'");
    weir_result *res = sql(s, "SELECT k, s FROM up");
    wr_buf got[4];
    for (int k = 0; k < 4; k++) wr_buf_init(&got[k]);
    for (int64_t r = 0; r < weir_result_rows(res); r++) {
        int64_t k = weir_result_int(res, r, 0);
        cr_assert(k >= 1 && k <= 3);
        wr_buf_printf(&got[k], "%s[%lld, %s] ", weir_result_change(res, r), (long long)k,
                      weir_result_text(res, r, 1));
    }
    const char *want[4] = {"", "+I[1, 10] -U[1, 10] +U[1, 11] ", "+I[2, 20] -D[2, 20] ",
                           "+I[3, 30] "};
    for (int k = 1; k <= 3; k++) {
        wr_buf_putc(&got[k], '\0');
        cr_assert_str_eq(got[k].data, want[k]);
        wr_buf_fini(&got[k]);
    }
    weir_result_free(res);
    /* EXPLAIN shows the normalize after the source. */
    res = sql(s, "EXPLAIN SELECT s FROM up");
    const char *plan = weir_result_text(res, 0, 0);
    cr_assert(strstr(plan, "ChangelogNormalize[key=[k]]"), "%s", plan);
    weir_result_free(res);
    /* Batch mode cannot read an upsert source. */
    sql(s, "SET 'execution.runtime-mode' = 'batch'");
    cr_assert_lt(weir_exec(s, "SELECT * FROM up", "test.sql", &res), 0);
    cr_assert(strstr(weir_session_error(s), "upsert source"), "%s", weir_session_error(s));
    weir_session_free(s);
}

/* ---- option errors ------------------------------------------------------------------ */

static void plan_fails(bool with_pk, const char *const *kv, int n, const char *want, int pos)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, false), wr_type_make(WR_TYPE_BIGINT, true)};
    wr_schema *schema = schema_of("k,s", types);
    int pk = 0;
    if (with_pk) wr_schema_set_primary_key(schema, &pk, 1);
    for (int sink = 0; sink < 2; sink++) {
        wr_operator_spec spec;
        wr_error err;
        wr_error_init(&err);
        int rc = sink ? plan_table_sink("upsert-kafka", schema, kv, n, &spec, &err)
                      : plan_source("upsert-kafka", schema, kv, n, &spec, &err);
        cr_assert_eq(rc, WR_ERR_VALIDATION, "%s: planned", want);
        cr_assert(strstr(err.msg, want), "%s", err.msg);
        cr_assert_eq(err.offset, pos, "%s at %d", err.msg, err.offset);
    }
    wr_schema_free(schema);
}

Test(upsert_kafka, option_errors)
{
    const char *ok[] = {"connector=upsert-kafka", "topic=t", "properties.bootstrap.servers=x:1",
                        "key.format=json", "value.format=json"};
    plan_fails(false, ok, 5, "needs a table with a PRIMARY KEY", 50);
    plan_fails(true, (const char *[]){ok[0], ok[1], ok[2], ok[4]}, 4,
               "option 'key.format' is required", 50);
    plan_fails(true, (const char *[]){ok[0], ok[1], ok[2], ok[3]}, 4,
               "option 'value.format' is required", 50);
    plan_fails(true, (const char *[]){ok[0], ok[1], ok[2], ok[3], ok[4], "scan.startup.mode=x"}, 6,
               "unsupported option 'scan.startup.mode'", 500);
    plan_fails(true, (const char *[]){ok[0], ok[1], ok[2], ok[3], ok[4], "key.fields=k"}, 6,
               "unsupported option 'key.fields'", 500);
    plan_fails(true, (const char *[]){ok[0], "topic=a;b", ok[2], ok[3], ok[4]}, 5,
               "reads and writes one topic", 150);
    plan_fails(true,
               (const char *[]){ok[0], ok[1], ok[2], ok[3], ok[4], "sink.buffer-flush.max-rows=9"},
               6, "does not buffer rows", 550);
    /* A valid table plans both roles; the source is an upsert source. */
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, false), wr_type_make(WR_TYPE_BIGINT, true)};
    wr_schema *schema = schema_of("k,s", types);
    int pk = 0;
    wr_schema_set_primary_key(schema, &pk, 1);
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("upsert-kafka", schema, ok, 5, &spec, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.changes,
                 1u << WR_KIND_INSERT | 1u << WR_KIND_UPDATE_AFTER | 1u << WR_KIND_DELETE);
    cr_assert(!spec.bounded);
    wr_operator_spec_fini(&spec);
    cr_assert_eq(plan_table_sink("upsert-kafka", schema, ok, 5, &spec, &err), 0, "%s", err.msg);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}
