/*
 * kafka_mock.c — a Kafka cluster for end-to-end tests: librdkafka's mock
 * cluster in this process, reachable over loopback by any Kafka client.
 *
 *   kafka_mock [--topic NAME:PARTITIONS]... [--produce TOPIC FILE]...
 *              [--trickle TOPIC FILE RATE] [--consume TOPIC:PARTITIONS N]
 *              [--timeout SECONDS]
 *
 * Creates the topics, produces each line of FILE as one record (no key) to
 * TOPIC, then prints the bootstrap servers as the first line of standard
 * output. With --consume it reads TOPIC from the start (read_committed) until
 * it has N records and every partition is at its end, prints each value on a
 * line, and exits 0. Without it, it serves until SIGINT or SIGTERM, meanwhile
 * producing the lines of --trickle's FILE at RATE records a second. Either
 * way it gives up (exit 2) after --timeout seconds (60), so a test never hangs.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "kafka_mock: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static rd_kafka_conf_t *conf_for(const char *servers)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet);
    if (rd_kafka_conf_set(conf, "bootstrap.servers", servers, errstr, sizeof(errstr)))
        die("bootstrap.servers", errstr);
    return conf;
}

/* "name:partitions" -> name (in buf) and the count. */
static int topic_arg(const char *arg, char *name, size_t size)
{
    const char *colon = strrchr(arg, ':');
    if (colon == NULL || colon == arg || (size_t)(colon - arg) >= size)
        die("expected NAME:PARTITIONS", arg);
    memcpy(name, arg, (size_t)(colon - arg));
    name[colon - arg] = '\0';
    int n = atoi(colon + 1);
    if (n < 1) die("expected NAME:PARTITIONS", arg);
    return n;
}

/* Sends up to max lines of f (all when max < 0); returns how many it sent. */
static long send_lines(rd_kafka_t *p, const char *topic, FILE *f, long max)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long sent = 0;
    while ((max < 0 || sent < max) && (len = getline(&line, &cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n') len--;
        while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(line, (size_t)len),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                die("produce", rd_kafka_err2str(rd_kafka_last_error()));
            rd_kafka_poll(p, 10);
        }
        sent++;
    }
    free(line);
    return sent;
}

static rd_kafka_t *new_producer(const char *servers)
{
    char errstr[256];
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf_for(servers), errstr, sizeof(errstr));
    if (p == NULL) die("producer", errstr);
    return p;
}

static FILE *open_input(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) die("cannot open", path);
    return f;
}

static void produce_file(const char *servers, const char *topic, const char *path)
{
    rd_kafka_t *p = new_producer(servers);
    FILE *f = open_input(path);
    send_lines(p, topic, f, -1);
    fclose(f);
    if (rd_kafka_flush(p, 30000)) die("flush", topic);
    rd_kafka_destroy(p);
}

/* Reads a topic from the start until `want` records and every partition at its end. */
static int consume(const char *servers, const char *topic, int partitions, long want,
                   double deadline)
{
    char errstr[256];
    rd_kafka_conf_t *conf = conf_for(servers);
    rd_kafka_conf_set(conf, "group.id", "kafka_mock", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "isolation.level", "read_committed", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "fetch.wait.max.ms", "20", errstr, sizeof(errstr));
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (c == NULL) die("consumer", errstr);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int i = 0; i < partitions; i++)
        rd_kafka_topic_partition_list_add(list, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    if (rd_kafka_assign(c, list)) die("assign", topic);
    rd_kafka_topic_partition_list_destroy(list);
    char *at_end = calloc((size_t)partitions, 1);
    long got = 0;
    int rc = 2;
    while (!stop && now_s() < deadline) {
        int ends = 0;
        for (int i = 0; i < partitions; i++) ends += at_end[i];
        if (ends == partitions && got >= want) {
            rc = 0;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 50);
        if (m == NULL) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            at_end[m->partition] = 1;
        } else if (m->err == 0) {
            at_end[m->partition] = 0;
            got++;
            printf("%.*s\n", (int)m->len, m->payload ? (const char *)m->payload : "");
            fflush(stdout);
        }
        rd_kafka_message_destroy(m);
    }
    if (rc) fprintf(stderr, "kafka_mock: read %ld of %ld records from '%s'\n", got, want, topic);
    free(at_end);
    rd_kafka_destroy_flags(c, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return rc;
}

int main(int argc, char **argv)
{
    char errstr[256];
    double timeout = 60;
    const char *consume_arg = NULL, *trickle_topic = NULL;
    FILE *trickle = NULL;
    double rate = 0;
    long want = 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) timeout = atof(argv[++i]);
    double deadline = now_s() + timeout;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) die("cannot start", errstr);
    rd_kafka_mock_cluster_t *mock = rd_kafka_mock_cluster_new(rk, 1);
    if (mock == NULL) die("cannot start the mock cluster", NULL);
    char servers[256];
    snprintf(servers, sizeof(servers), "%s", rd_kafka_mock_cluster_bootstraps(mock));

    char name[256];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
            int n = topic_arg(argv[++i], name, sizeof(name));
            if (rd_kafka_mock_topic_create(mock, name, n, 1)) die("cannot create topic", name);
        } else if (strcmp(argv[i], "--produce") == 0 && i + 2 < argc) {
            produce_file(servers, argv[i + 1], argv[i + 2]);
            i += 2;
        } else if (strcmp(argv[i], "--trickle") == 0 && i + 3 < argc) {
            trickle_topic = argv[i + 1];
            trickle = open_input(argv[i + 2]);
            rate = atof(argv[i + 3]);
            if (rate <= 0) die("expected a positive rate", argv[i + 3]);
            i += 3;
        } else if (strcmp(argv[i], "--consume") == 0 && i + 2 < argc) {
            consume_arg = argv[i + 1];
            want = atol(argv[i + 2]);
            i += 2;
        } else if (strcmp(argv[i], "--timeout") == 0) {
            i++;
        } else {
            die("unknown argument", argv[i]);
        }
    }
    printf("%s\n", servers);
    fflush(stdout);

    int rc = 0;
    if (consume_arg) {
        int n = topic_arg(consume_arg, name, sizeof(name));
        rc = consume(servers, name, n, want, deadline);
    } else {
        rd_kafka_t *p = trickle ? new_producer(servers) : NULL;
        double start = now_s();
        long sent = 0;
        while (!stop && now_s() < deadline) {
            if (trickle) {
                long due = (long)((now_s() - start) * rate) - sent;
                long n = due > 0 ? send_lines(p, trickle_topic, trickle, due) : 0;
                sent += n;
                if (due > 0 && n < due) {
                    fclose(trickle);
                    trickle = NULL;
                    rd_kafka_flush(p, 30000);
                    fprintf(stderr, "kafka_mock: produced %ld records\n", sent);
                }
                rd_kafka_poll(p, 0);
            }
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (trickle) fclose(trickle);
        if (p) rd_kafka_destroy(p);
        if (!stop) rc = 2;
    }
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(rk);
    return rc;
}
