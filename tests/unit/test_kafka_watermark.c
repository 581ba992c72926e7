/*
 * test_kafka_watermark.c — watermarks pushed into the kafka source (per
 * partition, with idleness), the WatermarkAssigner's idle timeout, and the
 * source's start-up time, against librdkafka's mock cluster.
 *
 * Sources are driven by hand as the runtime drives them; the watermark a
 * subtask emitted is read from its context (out_watermark, out_idle). Waits
 * poll with deadlines; the idleness tests wait about a second at most.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "kafkarig.h"

#include "../../include/weir.h"
#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"
#include "../../src/connectors/kafka.h"
#include "../../src/expr/expr.h"
#include "../../src/ops/watermark.h"

#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <string.h>

#define DEADLINE_NS (20 * 1000000000LL)

/* CSV records "id,ts" with ts = the epoch + secs[i] seconds, into one partition. */
static void produce(const char *topic, int partition, int64_t first_id, const int *secs, int n)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_quiet);
    cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", servers, errstr, sizeof(errstr)), 0);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    for (int i = 0; i < n; i++) {
        char value[64];
        int s = secs[i];
        snprintf(value, sizeof(value), "%lld,1970-01-01 %02d:%02d:%02d", (long long)(first_id + i),
                 s / 3600, s / 60 % 60, s % 60);
        cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                       RD_KAFKA_V_VALUE(value, strlen(value)),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
    }
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
    rd_kafka_destroy(p);
}

static wr_type ts_type(void)
{
    wr_type t = wr_type_make(WR_TYPE_TIMESTAMP, true);
    t.length = 3;
    return t;
}

/* (id BIGINT, ts TIMESTAMP(3)) */
static wr_schema *id_ts_schema(void)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), ts_type()};
    return schema_of("id,ts", types);
}

/*
 * Plans a kafka scan of topic (earliest offsets) with WATERMARK FOR ts AS ts pushed down,
 * and extra options.
 */
static void plan_pushed(wr_operator_spec *spec, const char *topic, const char *extra)
{
    char topic_opt[64];
    snprintf(topic_opt, sizeof(topic_opt), "topic=%s", topic);
    const char *kv[] = {"connector=kafka",
                        servers_opt,
                        topic_opt,
                        "format=csv",
                        "scan.startup.mode=earliest-offset",
                        extra};
    wr_schema *schema = id_ts_schema();
    int cols[] = {0, 1};
    wr_expr *wm = wr_expr_column(1, ts_type(), -1);
    wr_scan_request req = {cols, 2, NULL, 0, &wm, 1};
    wr_error err;
    cr_assert_eq(plan_source_request("kafka", schema, kv, extra ? 6 : 5, &req, spec, &err), 0, "%s",
                 err.msg);
    cr_assert_null(wm, "the source takes the watermark expression");
    wr_schema_free(schema);
}

typedef struct src_run {
    wr_op_ctx ctx;
    wr_operator *op;
    const wr_operator_spec *spec;
    capture cap;
} src_run;

static void src_start(src_run *r, const wr_operator_spec *spec)
{
    memset(r, 0, sizeof(*r));
    r->spec = spec;
    capture_init(&r->cap);
    ctx_init(&r->ctx, 0, 1, &r->cap.base);
    r->ctx.out_watermark = WR_WATERMARK_MIN;
    wr_error err;
    wr_error_init(&err);
    r->op = spec->ops->create(spec->spec, &r->ctx, &err);
    cr_assert_not_null(r->op, "%s", err.msg);
    cr_assert_eq(spec->ops->open(r->op, &err), 0, "%s", err.msg);
}

static void src_step(src_run *r)
{
    wr_error err;
    wr_error_init(&err);
    wr_source_status status = WR_SOURCE_MORE;
    cr_assert_eq(r->spec->ops->run(r->op, &status, &err), 0, "%s", err.msg);
    if (status == WR_SOURCE_IDLE) wr_clock_sleep_ns(5 * 1000000LL);
}

static void src_until_rows(src_run *r, int64_t rows)
{
    int64_t deadline = wr_clock_mono_ns() + DEADLINE_NS;
    while (r->cap.rows < rows) {
        cr_assert(wr_clock_mono_ns() < deadline, "timed out with %lld rows (want %lld)",
                  (long long)r->cap.rows, (long long)rows);
        src_step(r);
    }
}

static void src_stop(src_run *r)
{
    r->spec->ops->destroy(r->op);
    capture_fini(&r->cap);
}

/* ---- per-partition watermarks ------------------------------------------------------ */

Test(kafka_watermark, a_fast_partition_does_not_make_a_slow_ones_rows_late, .init = mock_init,
     .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "ev", 2, 1), 0);
    int fast[] = {3600, 3601, 3602}, slow[] = {10, 11, 12};
    produce("ev", 1, 100, fast, 3);
    wr_operator_spec spec;
    plan_pushed(&spec, "ev", NULL);
    src_run r;
    src_start(&r, &spec);
    src_until_rows(&r, 3);
    /* Partition 0 has no row yet and is not idle (no timeout): it holds the watermark. */
    cr_assert_eq(r.ctx.out_watermark, WR_WATERMARK_MIN);

    /* The WatermarkAssigner after the source, as without push-down: the fast rows alone
     * move it past every row partition 0 will bring, which would be late. */
    wr_op_ctx actx;
    capture acap;
    capture_init(&acap);
    ctx_init(&actx, 0, 1, &acap.base);
    actx.out_watermark = WR_WATERMARK_MIN;
    wr_operator_spec aspec = wr_watermark_spec(wr_expr_column(1, ts_type(), -1));
    wr_error err;
    wr_error_init(&err);
    wr_operator *assigner = aspec.ops->create(aspec.spec, &actx, &err);
    cr_assert_not_null(assigner, "%s", err.msg);
    for (int i = 0; i < r.cap.nbatches; i++)
        cr_assert_eq(aspec.ops->process(assigner, 0, r.cap.batches[i], &err), 0, "%s", err.msg);
    cr_assert_eq(actx.out_watermark, 3602 * 1000LL);
    cr_assert_gt(actx.out_watermark, 12 * 1000LL, "the slow rows would be late");
    aspec.ops->destroy(assigner);
    wr_operator_spec_fini(&aspec);
    capture_fini(&acap);

    /* Per partition: the slow partition's rows raise the watermark only to its own time. */
    produce("ev", 0, 0, slow, 3);
    src_until_rows(&r, 6);
    cr_assert_eq(r.ctx.out_watermark, 12 * 1000LL);
    cr_assert(!r.ctx.out_idle);
    int later[] = {20};
    produce("ev", 0, 3, later, 1);
    src_until_rows(&r, 7);
    cr_assert_eq(r.ctx.out_watermark, 20 * 1000LL);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
}

/* ---- idleness ------------------------------------------------------------------------- */

/* Steps the source until its watermark reaches want or until ms passed; returns the time. */
static int64_t step_until_watermark(src_run *r, int64_t want, int64_t ms)
{
    int64_t t0 = wr_clock_mono_ns(), end = t0 + ms * 1000000LL;
    while (r->ctx.out_watermark < want && wr_clock_mono_ns() < end) src_step(r);
    return (wr_clock_mono_ns() - t0) / 1000000;
}

Test(kafka_watermark, an_empty_partition_holds_the_watermark_until_it_is_idle, .init = mock_init,
     .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "ev", 2, 1), 0);
    int secs[] = {5, 6, 70};
    produce("ev", 0, 0, secs, 3);

    /* No timeout: partition 1 never has a record, the watermark never moves. */
    wr_operator_spec spec;
    plan_pushed(&spec, "ev", NULL);
    src_run r;
    src_start(&r, &spec);
    src_until_rows(&r, 3);
    step_until_watermark(&r, 70 * 1000LL, 800);
    cr_assert_eq(r.ctx.out_watermark, WR_WATERMARK_MIN);
    cr_assert(!r.ctx.out_idle);
    src_stop(&r);
    wr_operator_spec_fini(&spec);

    /* With the table's timeout, partition 1 stops holding it back after 300 ms. */
    plan_pushed(&spec, "ev", "scan.watermark.idle-timeout=300 ms");
    src_start(&r, &spec);
    src_until_rows(&r, 3);
    int64_t took = step_until_watermark(&r, 70 * 1000LL, 5000);
    cr_assert_eq(r.ctx.out_watermark, 70 * 1000LL, "took %lld ms", (long long)took);
    /* Then partition 0 runs dry too: the subtask is idle until a record comes. */
    int64_t deadline = wr_clock_mono_ns() + 5 * 1000000000LL;
    while (!r.ctx.out_idle && wr_clock_mono_ns() < deadline) src_step(&r);
    cr_assert(r.ctx.out_idle);
    int more[] = {80};
    produce("ev", 1, 10, more, 1);
    src_until_rows(&r, 4);
    cr_assert(!r.ctx.out_idle, "a record makes the output active again");
    src_stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(kafka_watermark, the_job_idle_timeout_applies_and_bad_values_are_errors)
{
    wr_schema *schema = id_ts_schema();
    const char *kv[] = {"connector=kafka",
                        "properties.bootstrap.servers=localhost:9092",
                        "topic=t",
                        "format=csv",
                        "scan.startup.mode=latest-offset",
                        "scan.watermark.idle-timeout=soon"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_neq(plan_source("kafka", schema, kv, 6, &spec, &err), 0);
    cr_assert(strstr(err.msg, "scan.watermark.idle-timeout") && strstr(err.msg, "soon"), "%s",
              err.msg);
    cr_assert_eq(plan_source("kafka", schema, kv, 5, &spec, &err), 0, "%s", err.msg);
    cr_assert_eq(((wr_kafka_source_spec *)spec.spec)->idle_timeout_ms, 0);
    cr_assert_null(((wr_kafka_source_spec *)spec.spec)->watermark);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* The generic assigner (sources that take no watermark): idle after the job's timeout. */
Test(kafka_watermark, the_assigner_marks_an_idle_subtask)
{
    wr_config job;
    wr_config_init(&job);
    wr_config_set(&job, "table.exec.source.idle-timeout", "200 ms", -1, -1);
    wr_op_ctx ctx;
    capture cap;
    capture_init(&cap);
    ctx_init(&ctx, 0, 1, &cap.base);
    ctx.config = &job;
    ctx.out_watermark = WR_WATERMARK_MIN;
    ctx.timer_at_ms = INT64_MAX;
    wr_operator_spec spec = wr_watermark_spec(wr_expr_column(1, ts_type(), -1));
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_not_null(op, "%s", err.msg);
    int64_t now = wr_clock_wall_ms();
    cr_assert(ctx.timer_at_ms >= now + 100 && ctx.timer_at_ms <= now + 200);
    /* Before the timeout: still active, the timer moves to the deadline. */
    cr_assert_eq(spec.ops->on_time(op, now, &err), 0);
    cr_assert(!ctx.out_idle);
    cr_assert_eq(spec.ops->on_time(op, now + 250, &err), 0);
    cr_assert(ctx.out_idle);
    /* A row makes it active again. */
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), ts_type()};
    wr_batch *b = wr_batch_new(types, 2, 4);
    ((int64_t *)b->cols[0].data)[0] = 1;
    ((int64_t *)b->cols[1].data)[0] = 5000 * 1000LL;
    b->count = 1;
    cr_assert_eq(spec.ops->process(op, 0, b, &err), 0, "%s", err.msg);
    cr_assert(!ctx.out_idle);
    cr_assert_eq(ctx.out_watermark, 5000);
    wr_batch_free(b);
    spec.ops->destroy(op);
    wr_operator_spec_fini(&spec);
    capture_fini(&cap);

    /* A bad duration is an error naming the option. */
    wr_config_set(&job, "table.exec.source.idle-timeout", "a while", -1, -1);
    spec = wr_watermark_spec(wr_expr_column(1, ts_type(), -1));
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert(strstr(err.msg, "table.exec.source.idle-timeout"), "%s", err.msg);
    wr_operator_spec_fini(&spec);
    wr_config_fini(&job);
}

/* ---- SQL: EXPLAIN and a windowed aggregation --------------------------------------- */

static weir_result *sql(weir_session *s, const char *text)
{
    weir_result *res = NULL;
    int rc = weir_exec(s, text, "test.sql", &res);
    cr_assert_eq(rc, 0, "%s", weir_session_error(s));
    return res;
}

Test(kafka_watermark, explain_shows_the_watermark_in_the_scan, .init = mock_init, .fini = mock_fini)
{
    weir_session *s = weir_session_new();
    char ddl[1024];
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE ev (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' "
             "SECOND) WITH ('connector' = 'kafka', 'topic' = 'ev', "
             "'properties.bootstrap.servers' = '%s', 'format' = 'csv', "
             "'scan.startup.mode' = 'earliest-offset');"
             "CREATE TABLE gen (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH "
             "('connector' = 'datagen')",
             servers);
    sql(s, ddl);
    weir_result *res = sql(s, "EXPLAIN SELECT id FROM ev WHERE id > 1");
    const char *text = weir_result_text(res, 0, 0);
    const char *opt = strstr(text, "== Optimized Physical Plan ==");
    cr_assert_not_null(opt, "%s", text);
    cr_assert_not_null(strstr(opt, "TableSourceScan(table=[ev], watermark=[(ts - INTERVAL"), "%s",
                       text);
    const char *jg = strstr(opt, "== Job Graph ==");
    cr_assert_null(strstr(opt, "WatermarkAssigner"), "%s", text);
    cr_assert_not_null(jg);
    weir_result_free(res);
    /* A source that takes no watermark keeps the assigner. */
    res = sql(s, "EXPLAIN SELECT id FROM gen");
    text = weir_result_text(res, 0, 0);
    opt = strstr(text, "== Optimized Physical Plan ==");
    cr_assert_not_null(opt);
    cr_assert_not_null(strstr(opt, "WatermarkAssigner(rowtime=[ts]"), "%s", text);
    cr_assert_null(strstr(opt, "watermark=[ts]), fields"), "%s", text);
    weir_result_free(res);
    weir_session_free(s);
}

Test(kafka_watermark, a_window_aggregation_keeps_the_slow_partitions_rows, .init = mock_init,
     .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "ev", 2, 1), 0);
    int slow[200], fast[200];
    for (int i = 0; i < 200; i++) {
        slow[i] = i / 10;   /* 0 .. 19 s */
        fast[i] = 7200 + i; /* two hours ahead */
    }
    produce("ev", 0, 0, slow, 200);
    produce("ev", 1, 1000, fast, 200);
    weir_session *s = weir_session_new();
    char ddl[1024];
    snprintf(ddl, sizeof(ddl),
             "SET 'parallelism.default' = '1';"
             "CREATE TABLE ev (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH "
             "('connector' = 'kafka', 'topic' = 'ev', 'properties.bootstrap.servers' = '%s', "
             "'format' = 'csv', 'scan.startup.mode' = 'earliest-offset', "
             "'scan.bounded.mode' = 'latest-offset')",
             servers);
    sql(s, ddl);
    weir_result *res =
        sql(s, "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), "
               "INTERVAL '10' SECOND)) WHERE id < 1000 GROUP BY window_start, window_end");
    int64_t total = 0;
    for (int64_t i = 0; i < weir_result_rows(res); i++) total += weir_result_int(res, i, 1);
    cr_assert_eq(total, 200, "every row of the slow partition is counted");
    cr_assert_eq(weir_result_rows(res), 2);
    weir_result_free(res);
    weir_session_free(s);
}

/* ---- start-up ----------------------------------------------------------------------- */

/* The time a subtask takes to resolve and assign 32 partitions (printed for the record). */
Test(kafka_watermark, a_32_partition_topic_starts_in_a_few_broker_calls, .init = mock_init,
     .fini = mock_fini)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, "wide", 32, 1), 0);
    for (int rtt = 0; rtt <= 10; rtt += 10) {
        /* A network round trip of rtt ms to the broker. */
        rd_kafka_mock_broker_set_rtt(mock, 1, rtt);
        wr_operator_spec spec;
        const char *kv[] = {"connector=kafka", servers_opt, "topic=wide", "format=csv",
                            "scan.startup.mode=earliest-offset"};
        wr_schema *schema = id_ts_schema();
        wr_error err;
        cr_assert_eq(plan_source("kafka", schema, kv, 5, &spec, &err), 0, "%s", err.msg);
        wr_schema_free(schema);
        src_run r;
        src_start(&r, &spec);
        int64_t deadline = wr_clock_mono_ns() + DEADLINE_NS;
        while (wr_kafka_source_start_ms(r.op) < 0) {
            cr_assert(wr_clock_mono_ns() < deadline);
            src_step(&r);
        }
        int64_t ms = wr_kafka_source_start_ms(r.op);
        fprintf(stderr, "kafka source start, 32 partitions, rtt %d ms: %lld ms\n", rtt,
                (long long)ms);
        /* Batched: a fixed number of round trips, not one per partition. */
        if (rtt) cr_assert_lt(ms, 16 * rtt, "%lld ms", (long long)ms);
        src_stop(&r);
        wr_operator_spec_fini(&spec);
    }
}
