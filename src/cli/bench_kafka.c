/*
 * bench_kafka.c — `weir bench kafka`: JSON ingestion from Kafka, events per
 * CPU-second.
 *
 * librdkafka's mock cluster (the real protocol on loopback TCP) runs in this
 * process. The bench first produces N JSON bids (about 120 bytes each, the
 * shape of Nexmark's bid) into a topic of P partitions (by default enough for
 * 30,000 each: the mock keeps only about the last 32K messages of a partition)
 * and waits until they are stored; then, timed, a bounded SQL job reads the topic from the earliest
 * to the latest offset ('scan.bounded.mode' = 'latest-offset'), decodes the
 * JSON by the table's schema and writes to the blackhole sink. CPU seconds are
 * the process's, so they include the mock broker's threads serving the fetches:
 * a real broker's work would be elsewhere, which makes the figure a lower bound
 * of Weir's own per-CPU rate.
 */
#include "bench.h"
#include "weir.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOCK_PER_PARTITION 30000

static void quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

/* Produces n bids round-robin over the partitions; returns 0 when all were stored. */
static int produce(const char *servers, const char *topic, int partitions, long long n)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet);
    if (rd_kafka_conf_set(conf, "bootstrap.servers", servers, errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "linger.ms", "20", errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "batch.num.messages", "10000", errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", errstr,
                          sizeof(errstr))) {
        fprintf(stderr, "weir bench kafka: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (p == NULL) {
        fprintf(stderr, "weir bench kafka: %s\n", errstr);
        return 1;
    }
    static const char *const channels[] = {"Google", "Facebook", "Baidu", "Apple"};
    char msg[256];
    for (long long i = 0; i < n; i++) {
        int len = snprintf(msg, sizeof(msg),
                           "{\"auction\":%lld,\"bidder\":%lld,\"price\":%lld,\"channel\":\"%s\","
                           "\"url\":\"https://www.nexmark.com/item/%lld\","
                           "\"dateTime\":\"2024-01-01 00:00:%02lld.%03lld\"}",
                           1000 + i % 997, 2000 + i % 7919, 100 + (i * 7919) % 100000,
                           channels[i % 4], i % 10007, (i / 1000) % 60, i % 1000);
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION((int32_t)(i % partitions)),
                RD_KAFKA_V_VALUE(msg, (size_t)len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "weir bench kafka: produce: %s\n", rd_kafka_err2str(e));
                rd_kafka_destroy(p);
                return 1;
            }
            rd_kafka_poll(p, 10);
        }
        rd_kafka_poll(p, 0);
    }
    int rc = rd_kafka_flush(p, 120000) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : 1;
    if (rc) fprintf(stderr, "weir bench kafka: the messages were not all delivered\n");
    rd_kafka_destroy(p);
    return rc;
}

int wr_cli_bench_kafka(int argc, char **argv)
{
    long long events = 2000000;
    int partitions = 0, parallelism = 1, runs = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
            events = atoll(argv[++i]);
        } else if (strcmp(argv[i], "--partitions") == 0 && i + 1 < argc) {
            partitions = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--parallelism") == 0 && i + 1 < argc) {
            parallelism = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else {
            fprintf(stderr,
                    "usage: weir bench kafka [--events N] [--partitions P] [--parallelism P] "
                    "[--runs R]\n"
                    "  JSON bids from librdkafka's mock cluster through SQL into blackhole\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    /* The mock cluster keeps about the last 32K messages of a partition (older segments go). */
    if (partitions == 0) partitions = (int)(events / MOCK_PER_PARTITION + 1);
    if (events < 1 || partitions < 1 || parallelism < 1 || runs < 1 ||
        events / partitions > MOCK_PER_PARTITION) {
        fprintf(stderr,
                "weir bench kafka: counts must be positive, and at most %d events per "
                "partition (what the mock cluster keeps)\n",
                MOCK_PER_PARTITION);
        return 2;
    }
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet);
    rd_kafka_t *mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (mock_rk == NULL) {
        fprintf(stderr, "weir bench kafka: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mock = rd_kafka_mock_cluster_new(mock_rk, 1);
    int status = mock ? 0 : 1;
    char servers[256] = "";
    if (mock) snprintf(servers, sizeof(servers), "%s", rd_kafka_mock_cluster_bootstraps(mock));
    if (status == 0 && rd_kafka_mock_topic_create(mock, "bids", partitions, 1) != 0) status = 1;
    if (status == 0) status = produce(servers, "bids", partitions, events);
    double *rate = calloc((size_t)runs, sizeof(double)),
           *per_cpu = calloc((size_t)runs, sizeof(double));
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "SET 'parallelism.default' = '%d';\n"
             "CREATE TABLE bids (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING,\n"
             "  url STRING, dateTime TIMESTAMP(3)) WITH ('connector' = 'kafka', 'topic' = 'bids',\n"
             "  'properties.bootstrap.servers' = '%s', 'properties.group.id' = 'bench',\n"
             "  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',\n"
             "  'format' = 'json');\n"
             "CREATE TABLE out (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING,\n"
             "  url STRING, dateTime TIMESTAMP(3)) WITH ('connector' = 'blackhole');\n"
             "INSERT INTO out SELECT * FROM bids;\n",
             parallelism, servers);
    for (int r = 0; r < runs && status == 0; r++) {
        weir_session *s = weir_session_new();
        double w0 = wr_bench_now_s(), c0 = wr_bench_cpu_s();
        if (weir_exec(s, sql, "bench-kafka", NULL)) {
            fprintf(stderr, "weir bench kafka: %s\n", weir_session_error(s));
            status = 1;
        }
        double wall = wr_bench_now_s() - w0, cpu = wr_bench_cpu_s() - c0;
        weir_session_free(s);
        rate[r] = (double)events / wall;
        per_cpu[r] = (double)events / cpu;
    }
    if (status == 0) {
        /* Untimed: the job read every message. */
        weir_session *s = weir_session_new();
        weir_result *res = NULL;
        char count[2300];
        snprintf(count, sizeof(count), "%.*sSELECT COUNT(*) FROM bids",
                 (int)(strstr(sql, "CREATE TABLE out") - sql), sql);
        if (weir_exec(s, count, "bench-kafka-count", &res) || weir_result_rows(res) != 1 ||
            weir_result_int(res, 0, 0) != events) {
            fprintf(stderr, "weir bench kafka: the topic read back %lld rows, not %lld (%s)\n",
                    res && weir_result_rows(res) == 1 ? (long long)weir_result_int(res, 0, 0)
                                                      : -1LL,
                    events, weir_session_error(s));
            status = 1;
        }
        weir_result_free(res);
        weir_session_free(s);
    }
    if (status == 0) {
        qsort(rate, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        qsort(per_cpu, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        printf("kafka json -> blackhole: %lld events, %d partitions, parallelism %d, median of "
               "%d: %.0f events/s, %.0f events per CPU-second (mock broker included), peak RSS "
               "%.1f MB\n",
               events, partitions, parallelism, runs, rate[runs / 2], per_cpu[runs / 2],
               wr_bench_peak_rss_kb() / 1024.0);
    }
    free(rate);
    free(per_cpu);
    if (mock) rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(mock_rk);
    return status;
}
