/*
 * kafkarig.h — librdkafka's mock cluster for the Kafka tests: one broker in the test
 * process speaking the real protocol on loopback TCP, started and stopped around each test
 * (Test(..., .init = mock_init, .fini = mock_fini); Criterion forks every test).
 */
#ifndef WR_TEST_KAFKARIG_H
#define WR_TEST_KAFKARIG_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

extern rd_kafka_t *mock_rk;           /* the handle the cluster lives in */
extern rd_kafka_mock_cluster_t *mock; /* the cluster, for topics and injected errors */
extern char servers[256];             /* its bootstrap servers */
extern char servers_opt[300];         /* "properties.bootstrap.servers=<servers>" */

void mock_init(void);
void mock_fini(void);

/* A log callback that drops librdkafka's lines, for the tests' own clients too. */
void kafka_quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

#endif
