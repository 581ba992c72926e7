/*
 * kafkarig.c — the mock cluster of the Kafka tests; see kafkarig.h.
 */
#include "kafkarig.h"

#include <criterion/criterion.h>
#include <stdio.h>

rd_kafka_t *mock_rk;
rd_kafka_mock_cluster_t *mock;
char servers[256];
char servers_opt[300];

/* The cluster's own log lines (connections coming and going) would drown the test output. */
void kafka_quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

void mock_init(void)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_quiet);
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    cr_assert_not_null(mock_rk, "%s", errstr);
    mock = rd_kafka_mock_cluster_new(mock_rk, 1);
    cr_assert_not_null(mock);
    snprintf(servers, sizeof(servers), "%s", rd_kafka_mock_cluster_bootstraps(mock));
    snprintf(servers_opt, sizeof(servers_opt), "properties.bootstrap.servers=%s", servers);
}

void mock_fini(void)
{
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(mock_rk);
}
