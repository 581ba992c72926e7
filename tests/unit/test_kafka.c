/*
 * test_kafka.c — the kafka connector against librdkafka's mock cluster, which
 * runs inside the test process (one cluster per test; Criterion forks each).
 *
 * Records are produced with a real producer; the source and sink operators
 * are driven by hand as the runtime drives them (snapshots, restores,
 * checkpoint notifications), and whole SQL jobs run through the C API.
 * Waits poll with deadlines, never fixed sleeps, so a loaded machine is only
 * slower.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "kafkarig.h"

#include "../../include/weir.h"
#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"
#include "../../src/connectors/kafka.h"

#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the mock cluster ----------------------------------------------------- */

#define DEADLINE_NS (30 * 1000000000LL)

static void make_topic(const char *name, int partitions)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mock, name, partitions, 1), 0);
}

static rd_kafka_conf_t *client_conf(void)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_quiet);
    cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", servers, errstr, sizeof(errstr)), 0);
    return conf;
}

static rd_kafka_t *new_producer(void)
{
    char errstr[256];
    rd_kafka_conf_t *conf = client_conf();
    rd_kafka_conf_set(conf, "linger.ms", "1", errstr, sizeof(errstr));
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    return p;
}

/* Sends one record (key may be NULL) and does not wait. */
static void send_one(rd_kafka_t *p, const char *topic, int partition, const char *key,
                     const char *value)
{
    rd_kafka_resp_err_t code =
        rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
                          RD_KAFKA_V_VALUE((void *)value, value ? strlen(value) : 0),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    cr_assert_eq(code, 0, "%s", rd_kafka_err2str(code));
}

static void flush(rd_kafka_t *p)
{
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
}

/* Records {"id":<id>,"p":<partition>} for ids from..to into a partition. */
static void send_rows(rd_kafka_t *p, const char *topic, int partition, int64_t from, int64_t to)
{
    char value[64];
    for (int64_t id = from; id <= to; id++) {
        snprintf(value, sizeof(value), "{\"id\":%lld,\"p\":%d}", (long long)id, partition);
        send_one(p, topic, partition, NULL, value);
    }
}

static void produce_rows(const char *topic, int partition, int64_t from, int64_t to)
{
    rd_kafka_t *p = new_producer();
    send_rows(p, topic, partition, from, to);
    flush(p);
    rd_kafka_destroy(p);
}

/* ---- reading a topic back ----------------------------------------------------- */

typedef struct record {
    int partition;
    int64_t offset;
    char *key;   /* NULL: none */
    char *value; /* NULL: none */
} record;

typedef struct records {
    record *v;
    int n;
} records;

static void records_free(records *rs)
{
    for (int i = 0; i < rs->n; i++) {
        free(rs->v[i].key);
        free(rs->v[i].value);
    }
    free(rs->v);
    rs->v = NULL;
    rs->n = 0;
}

/*
 * Reads every partition of a topic from the start until each is at its end
 * and at least `want` records came (isolation: "read_committed" or
 * "read_uncommitted").
 */
static records read_topic(const char *topic, int partitions, int want, const char *isolation)
{
    char errstr[256];
    rd_kafka_conf_t *conf = client_conf();
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "isolation.level", isolation, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "group.id", "reader", errstr, sizeof(errstr)); /* assign needs one */
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    cr_assert_not_null(c, "%s", errstr);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    cr_assert_eq(rd_kafka_assign(c, list), 0);
    rd_kafka_topic_partition_list_destroy(list);
    records rs = {0};
    bool at_end[64] = {false};
    int64_t deadline = wr_clock_mono_ns() + DEADLINE_NS;
    for (;;) {
        int ends = 0;
        for (int p = 0; p < partitions; p++) ends += at_end[p];
        if (ends == partitions && rs.n >= want) break;
        cr_assert(wr_clock_mono_ns() < deadline, "read %d records of %d from '%s'", rs.n, want,
                  topic);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 50);
        if (m == NULL) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            at_end[m->partition] = true;
        } else if (m->err == 0) {
            at_end[m->partition] = false;
            rs.v = realloc(rs.v, (size_t)(rs.n + 1) * sizeof(record));
            rs.v[rs.n++] = (record){
                .partition = m->partition,
                .offset = m->offset,
                .key = m->key ? strndup(m->key, m->key_len) : NULL,
                .value = m->payload ? strndup(m->payload, m->len) : NULL,
            };
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_destroy_flags(c, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return rs;
}

/* ---- driving the source ---------------------------------------------------------- */

typedef struct src_run {
    wr_op_ctx ctx;
    wr_operator *op;
    const wr_operator_spec *spec;
    capture cap;
    wr_restore restore;
    const wr_snapshot_part *parts[16];
    bool ended;
} src_run;

static wr_schema *id_p_schema(void)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_INT, true)};
    return schema_of("id,p", types);
}

/* Plans a kafka scan of (id BIGINT, p INT) with the given options besides the servers. */
static void plan_kafka(wr_operator_spec *spec, const char *const *kv, int n)
{
    const char *all[32] = {"connector=kafka", servers_opt};
    for (int i = 0; i < n; i++) all[2 + i] = kv[i];
    wr_schema *schema = id_p_schema();
    wr_error err;
    cr_assert_eq(plan_source("kafka", schema, all, n + 2, spec, &err), 0, "%s", err.msg);
    wr_schema_free(schema);
}

/* Creates and opens subtask `subtask` of `par`; restored from snap's parts when given. */
static void src_start(src_run *r, const wr_operator_spec *spec, int subtask, int par,
                      const wr_snapshot *const *snaps, int nsnaps, bool rescaled)
{
    memset(r, 0, sizeof(*r));
    r->spec = spec;
    capture_init(&r->cap);
    ctx_init(&r->ctx, subtask, par, &r->cap.base);
    if (nsnaps) {
        int n = 0;
        for (int s = 0; s < nsnaps; s++)
            for (int i = 0; i < snaps[s]->nparts; i++) r->parts[n++] = &snaps[s]->parts[i];
        r->restore =
            (wr_restore){.checkpoint = 1, .parts = r->parts, .nparts = n, .rescaled = rescaled};
        r->ctx.restore = &r->restore;
    }
    wr_error err;
    wr_error_init(&err);
    r->op = spec->ops->create(spec->spec, &r->ctx, &err);
    cr_assert_not_null(r->op, "%s", err.msg);
    cr_assert_eq(spec->ops->open(r->op, &err), 0, "%s", err.msg);
    r->ctx.restore = NULL;
}

/* One run() call; returns its status (and fails the test on an error). */
static wr_source_status src_step(src_run *r)
{
    wr_error err;
    wr_error_init(&err);
    wr_source_status status = WR_SOURCE_MORE;
    cr_assert_eq(r->spec->ops->run(r->op, &status, &err), 0, "%s", err.msg);
    if (status == WR_SOURCE_END) r->ended = true;
    if (status == WR_SOURCE_IDLE) {
        int64_t wait = r->ctx.idle_until_ns - wr_clock_mono_ns();
        if (wait > 0) wr_clock_sleep_ns(WR_MIN(wait, 20 * 1000000LL));
    }
    return status;
}

/* Runs until the source ended (until_end) or has emitted at least `rows` rows. */
static void src_until(src_run *r, int64_t rows, bool until_end)
{
    int64_t deadline = wr_clock_mono_ns() + DEADLINE_NS;
    while (until_end ? !r->ended : r->cap.rows < rows) {
        cr_assert(!r->ended || !until_end, "the source ended");
        cr_assert(wr_clock_mono_ns() < deadline, "timed out with %lld rows (want %lld)",
                  (long long)r->cap.rows, (long long)rows);
        src_step(r);
    }
}

static void src_snapshot(src_run *r, int64_t checkpoint, wr_snapshot *snap)
{
    memset(snap, 0, sizeof(*snap));
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(r->spec->ops->snapshot(r->op, checkpoint, snap, &err), 0, "%s", err.msg);
}

static void src_stop(src_run *r)
{
    r->spec->ops->destroy(r->op);
    capture_fini(&r->cap);
}

/* The (id, p) rows a source emitted, in order. */
typedef struct idp {
    int64_t id;
    int p;
} idp;

typedef struct idps {
    idp v[8192];
    int n;
} idps;

static void collect_row(const wr_batch *batch, int row, void *arg)
{
    idps *out = arg;
    cr_assert(out->n < 8192);
    cr_assert(!wr_vector_is_null(&batch->cols[0], row));
    out->v[out->n++] = (idp){((const int64_t *)batch->cols[0].data)[row],
                             ((const int32_t *)batch->cols[1].data)[row]};
}

/*
 * Checks that rows (of any number of runs, in order) hold, for each
 * partition p < partitions, exactly ids first[p]..last[p], each once and in
 * increasing order (per partition; partitions interleave).
 */
static void check_rows(const idps *rows, int partitions, const int64_t *first, const int64_t *last)
{
    for (int p = 0; p < partitions; p++) {
        int64_t want = first[p];
        for (int i = 0; i < rows->n; i++) {
            if (rows->v[i].p != p) continue;
            cr_assert_eq(rows->v[i].id, want, "partition %d: got id %lld, want %lld", p,
                         (long long)rows->v[i].id, (long long)want);
            want++;
        }
        cr_assert_eq(want, last[p] + 1, "partition %d: ended before id %lld", p, (long long)want);
    }
    for (int i = 0; i < rows->n; i++) cr_assert(rows->v[i].p >= 0 && rows->v[i].p < partitions);
}

static void gather(const src_run *r, idps *out)
{
    capture_each(&r->cap, collect_row, out);
}

/* ---- options ----------------------------------------------------------------------- */

/* Plans with options (servers added) and expects an error whose message has `want`. */
static void plan_fails(const char *const *kv, int n, bool sink, const char *want, int pos)
{
    const char *all[32] = {"connector=kafka", "properties.bootstrap.servers=localhost:9092"};
    for (int i = 0; i < n; i++) all[2 + i] = kv[i];
    wr_schema *schema = id_p_schema();
    wr_operator_spec spec;
    wr_error err;
    int rc = sink ? plan_table_sink("kafka", schema, all, n + 2, &spec, &err)
                  : plan_source("kafka", schema, all, n + 2, &spec, &err);
    wr_schema_free(schema);
    cr_assert_eq(rc, WR_ERR_VALIDATION, "expected an error with '%s'", want);
    cr_assert(strstr(err.msg, want) != NULL, "message: %s\nwanted: %s", err.msg, want);
    if (pos >= 0) cr_assert_eq(err.offset, pos, "%s: offset %d, want %d", err.msg, err.offset, pos);
}

/* Option i (counting 'connector' and the servers) sits at 100*i, its value at 100*i + 50. */
#define KEY_AT(i) (100 * ((i) + 2))
#define VALUE_AT(i) (100 * ((i) + 2) + 50)

Test(kafka_options, errors_name_the_option_where_it_was_written)
{
    plan_fails((const char *[]){"format=json"}, 1, false, "option 'topic' is required", 50);
    plan_fails((const char *[]){"topic=t", "topic-pattern=t.*", "format=json"}, 3, false,
               "'topic' and 'topic-pattern' cannot both be set", KEY_AT(1));
    plan_fails((const char *[]){"topic=t"}, 1, false, "option 'format' is required", 50);
    plan_fails((const char *[]){"topic=t", "format=parquet"}, 2, false,
               "invalid value 'parquet' for option 'format'", VALUE_AT(1));
    plan_fails((const char *[]){"topic=t", "format=json"}, 2, false,
               "'group-offsets' (the default) needs 'properties.group.id'", 50);
    plan_fails((const char *[]){"topic=t", "format=json", "scan.startup.mode=first"}, 3, false,
               "invalid value 'first' for option 'scan.startup.mode'", VALUE_AT(2));
    plan_fails((const char *[]){"topic=t", "format=json", "scan.startup.mode=timestamp"}, 3, false,
               "'scan.startup.timestamp-millis' is required", 50);
    plan_fails((const char *[]){"topic=t", "format=json", "scan.startup.mode=specific-offsets",
                                "scan.startup.specific-offsets=partition:0;offset:1"},
               4, false, "expected partition and offset pairs", VALUE_AT(3));
    plan_fails((const char *[]){"topic=a;b", "format=json", "scan.startup.mode=specific-offsets",
                                "scan.startup.specific-offsets=partition:0,offset:1"},
               4, false, "specific offsets need a single 'topic'", KEY_AT(3));
    plan_fails((const char *[]){"topic=t", "format=json", "scan.startup.mode=earliest-offset",
                                "scan.bounded.timestamp-millis=-5"},
               4, false, "invalid value '-5' for option 'scan.bounded.timestamp-millis'",
               VALUE_AT(3));
    /* properties.* go to librdkafka, which names what it does not know or accept. */
    plan_fails((const char *[]){"topic=t", "format=json", "scan.startup.mode=earliest-offset",
                                "properties.no.such.thing=1"},
               4, false, "librdkafka has no property 'no.such.thing'", KEY_AT(3));
    plan_fails((const char *[]){"topic=t", "format=json", "scan.startup.mode=earliest-offset",
                                "properties.fetch.wait.max.ms=soon"},
               4, false, "invalid value 'soon' for option 'properties.fetch.wait.max.ms'",
               VALUE_AT(3));
    plan_fails((const char *[]){"topic=t", "format=json", "scan.startup.mode=earliest-offset",
                                "csv.field-delimiter=;"},
               4, false, "unsupported option 'csv.field-delimiter' for connector 'kafka'",
               KEY_AT(3));
    plan_fails((const char *[]){"topic=t", "format=json", "scan.startup.mode=earliest-offset",
                                "json.ignore-parse-errors=maybe"},
               4, false, "invalid value 'maybe'", VALUE_AT(3));
    plan_fails((const char *[]){"topic=t", "format=raw", "scan.startup.mode=earliest-offset"}, 3,
               false, "format 'raw' needs exactly one column", VALUE_AT(1));
    plan_fails((const char *[]){"topic=t", "format=json", "scan.startup.mode=earliest-offset",
                                "key.format=json"},
               4, false, "'key.format' needs 'key.fields'", KEY_AT(3));
    plan_fails((const char *[]){"topic=t", "format=json", "scan.startup.mode=earliest-offset",
                                "key.format=json", "key.fields=id;nope"},
               5, false, "the table has no column 'nope'", VALUE_AT(4));
    plan_fails((const char *[]){"topic=t", "format=json", "scan.startup.mode=earliest-offset",
                                "key.format=json", "key.fields=id", "key.fields-prefix=k_"},
               6, false, "'key.fields-prefix' needs 'value.fields-include' = 'EXCEPT_KEY'",
               KEY_AT(5));
    plan_fails(
        (const char *[]){"topic=t", "format=json", "scan.topic-partition-discovery.interval=1 min"},
        3, false, "only '0' (disabled) is accepted", VALUE_AT(2));
    /* The sink's own rules. */
    plan_fails((const char *[]){"topic=a;b", "format=json"}, 2, true,
               "the kafka sink writes to one topic, not a list", VALUE_AT(0));
    plan_fails((const char *[]){"topic-pattern=a.*", "format=json"}, 2, true,
               "'topic-pattern' is for reading", KEY_AT(0));
    plan_fails((const char *[]){"topic=t", "format=json", "sink.delivery-guarantee=exactly-once"},
               3, true, "'sink.transactional-id-prefix' is required", 50);
    plan_fails((const char *[]){"topic=t", "format=json", "sink.partitioner=hash"}, 3, true,
               "invalid value 'hash' for option 'sink.partitioner'", VALUE_AT(2));
    plan_fails((const char *[]){"topic=t", "format=json", "properties.transactional.id=x"}, 3, true,
               "sets transactional.id from 'sink.transactional-id-prefix'", KEY_AT(2));
    plan_fails(
        (const char *[]){"topic-pattern=a(", "format=json", "scan.startup.mode=earliest-offset"}, 3,
        false, "invalid value 'a(' for option 'topic-pattern'", VALUE_AT(0));
}

Test(kafka_options, a_valid_table_plans_both_roles)
{
    const char *kv[] = {
        "connector=kafka",
        "properties.bootstrap.servers=localhost:9092",
        "topic=t",
        "value.format=csv",
        "value.csv.field-delimiter=|",
        "key.format=raw",
        "key.fields=k_id",
        "key.fields-prefix=k_",
        "value.fields-include=EXCEPT_KEY",
        "scan.startup.mode=specific-offsets",
        "scan.startup.specific-offsets=partition:0,offset:42; partition:1,offset:300;",
        "scan.bounded.mode=latest-offset",
        "scan.parallelism=3",
        "sink.partitioner=round-robin",
        "sink.parallelism=2",
        "properties.linger.ms=5"};
    wr_type types[] = {wr_type_make(WR_TYPE_VARCHAR, true), wr_type_make(WR_TYPE_BIGINT, true),
                       wr_type_make(WR_TYPE_INT, true)};
    wr_schema *schema = schema_of("k_id,id,p", types);
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("kafka", schema, kv, 16, &spec, &err), 0, "%s", err.msg);
    const wr_kafka_source_spec *src = spec.spec;
    cr_assert(spec.bounded);
    cr_assert_eq(spec.parallelism, 3);
    cr_assert_eq(src->nstart_offsets, 2);
    cr_assert_eq(src->start_offsets[1].partition, 1);
    cr_assert_eq(src->start_offsets[1].offset, 300);
    cr_assert_str_eq(src->key.schema->names[0], "id"); /* the prefix removed */
    cr_assert_eq(src->key.cols[0], 0);
    cr_assert_eq(src->value.schema->ncols, 2);
    cr_assert_eq(src->value.csv.field_delimiter, '|');
    cr_assert_str_eq(wr_kafka_props_get(&src->props, "linger.ms"), "5");
    cr_assert_str_eq(wr_kafka_props_get(&src->props, "enable.auto.commit"), "false");
    wr_operator_spec_fini(&spec);
    cr_assert_eq(plan_table_sink("kafka", schema, kv, 16, &spec, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.parallelism, 2);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* ---- the source ---------------------------------------------------------------------- */

Test(kafka_source, reads_every_partition_once_in_order, .init = mock_init, .fini = mock_fini)
{
    make_topic("in", 3);
    rd_kafka_t *p = new_producer();
    send_rows(p, "in", 0, 0, 999);
    send_rows(p, "in", 1, 1000, 2499);
    send_rows(p, "in", 2, 5000, 5009);
    flush(p);
    rd_kafka_destroy(p);
    wr_operator_spec spec;
    plan_kafka(&spec,
               (const char *[]){"topic=in", "format=json", "scan.startup.mode=earliest-offset",
                                "scan.bounded.mode=latest-offset"},
               4);
    src_run r;
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    src_until(&r, 0, true);
    idps *rows = calloc(1, sizeof(idps));
    gather(&r, rows);
    check_rows(rows, 3, (int64_t[]){0, 1000, 5000}, (int64_t[]){999, 2499, 5009});
    cr_assert_eq(r.ctx.rows_out, 2510);
    free(rows);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(kafka_source, partitions_are_spread_over_subtasks, .init = mock_init, .fini = mock_fini)
{
    make_topic("in", 3);
    rd_kafka_t *p = new_producer();
    for (int part = 0; part < 3; part++) send_rows(p, "in", part, 100 * part, 100 * part + 49);
    flush(p);
    rd_kafka_destroy(p);
    wr_operator_spec spec;
    plan_kafka(&spec,
               (const char *[]){"topic=in", "format=json", "scan.startup.mode=earliest-offset",
                                "scan.bounded.mode=latest-offset"},
               4);
    /* Parallelism 2: partitions 0 and 2 to subtask 0, partition 1 to subtask 1. */
    idps *all = calloc(1, sizeof(idps));
    for (int s = 0; s < 2; s++) {
        src_run r;
        src_start(&r, &spec, s, 2, NULL, 0, false);
        src_until(&r, 0, true);
        idps *rows = calloc(1, sizeof(idps));
        gather(&r, rows);
        for (int i = 0; i < rows->n; i++) {
            cr_assert_eq(rows->v[i].p % 2, s, "subtask %d read partition %d", s, rows->v[i].p);
            all->v[all->n++] = rows->v[i];
        }
        cr_assert_eq(rows->n, s == 0 ? 100 : 50);
        free(rows);
        src_stop(&r);
    }
    check_rows(all, 3, (int64_t[]){0, 100, 200}, (int64_t[]){49, 149, 249});
    /* Parallelism 4: subtask 3 has no partition and ends at once. */
    src_run r;
    src_start(&r, &spec, 3, 4, NULL, 0, false);
    int64_t deadline = wr_clock_mono_ns() + DEADLINE_NS;
    while (src_step(&r) != WR_SOURCE_END) cr_assert(wr_clock_mono_ns() < deadline);
    cr_assert_eq(r.cap.rows, 0);
    src_stop(&r);
    free(all);
    wr_operator_spec_fini(&spec);
}

Test(kafka_source, specific_offsets_start_and_stop, .init = mock_init, .fini = mock_fini)
{
    make_topic("in", 3);
    rd_kafka_t *p = new_producer();
    for (int part = 0; part < 3; part++) send_rows(p, "in", part, 100 * part, 100 * part + 19);
    flush(p);
    rd_kafka_destroy(p);
    wr_operator_spec spec;
    /* Partition 0 from offset 5 to 10, partition 1 from its start (not listed: earliest) to
     * offset 3, partition 2 (no stop listed) not at all. */
    plan_kafka(&spec,
               (const char *[]){"topic=in", "format=json", "scan.startup.mode=specific-offsets",
                                "scan.startup.specific-offsets=partition:0,offset:5",
                                "scan.bounded.mode=specific-offsets",
                                "scan.bounded.specific-offsets=partition:0,offset:10;partition:1,"
                                "offset:3"},
               6);
    src_run r;
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    src_until(&r, 0, true);
    idps *rows = calloc(1, sizeof(idps));
    gather(&r, rows);
    check_rows(rows, 3, (int64_t[]){5, 100, 200}, (int64_t[]){9, 102, 199});
    free(rows);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(kafka_source, latest_offset_reads_only_what_comes_later, .init = mock_init, .fini = mock_fini)
{
    make_topic("in", 1);
    produce_rows("in", 0, 1, 10);
    wr_operator_spec spec;
    plan_kafka(&spec,
               (const char *[]){"topic=in", "format=json", "scan.startup.mode=latest-offset"}, 3);
    cr_assert(!spec.bounded);
    src_run r;
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    /* Started (offsets resolved) once a run() went by without idling for the start. */
    wr_snapshot snap;
    int64_t deadline = wr_clock_mono_ns() + DEADLINE_NS;
    for (;;) {
        src_step(&r);
        src_snapshot(&r, 1, &snap);
        bool started = snap.parts[0].data.len > 13; /* the partition is listed */
        wr_snapshot_fini(&snap);
        if (started) break;
        cr_assert(wr_clock_mono_ns() < deadline);
    }
    produce_rows("in", 0, 11, 15);
    src_until(&r, 5, false);
    idps *rows = calloc(1, sizeof(idps));
    gather(&r, rows);
    check_rows(rows, 1, (int64_t[]){11}, (int64_t[]){15});
    free(rows);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(kafka_source, topic_lists_and_patterns, .init = mock_init, .fini = mock_fini)
{
    make_topic("orders-a", 1);
    make_topic("orders-b", 1);
    make_topic("other", 1);
    produce_rows("orders-a", 0, 1, 3);
    produce_rows("orders-b", 0, 4, 5);
    produce_rows("other", 0, 100, 100);
    const char *pattern[] = {"topic-pattern=orders-.*", "format=json",
                             "scan.startup.mode=earliest-offset",
                             "scan.bounded.mode=latest-offset"};
    const char *list[] = {"topic=orders-b; orders-a", "format=json",
                          "scan.startup.mode=earliest-offset", "scan.bounded.mode=latest-offset"};
    const char *const *cases[] = {pattern, list};
    for (int k = 0; k < 2; k++) {
        wr_operator_spec spec;
        plan_kafka(&spec, cases[k], 4);
        src_run r;
        src_start(&r, &spec, 0, 1, NULL, 0, false);
        src_until(&r, 0, true);
        idps *rows = calloc(1, sizeof(idps));
        gather(&r, rows);
        cr_assert_eq(rows->n, 5, "case %d: %d rows", k, rows->n);
        int64_t sum = 0;
        for (int i = 0; i < rows->n; i++) sum += rows->v[i].id;
        cr_assert_eq(sum, 15);
        free(rows);
        src_stop(&r);
        wr_operator_spec_fini(&spec);
    }
    /* A listed topic that does not exist fails the job, naming it. */
    wr_operator_spec spec;
    plan_kafka(
        &spec,
        (const char *[]){"topic=orders-a;nope", "format=json", "scan.startup.mode=earliest-offset"},
        3);
    src_run r;
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    wr_error err;
    wr_error_init(&err);
    wr_source_status status;
    cr_assert_eq(spec.ops->run(r.op, &status, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "topic 'nope' does not exist") != NULL, "%s", err.msg);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(kafka_source, restore_continues_without_loss_or_duplicates, .init = mock_init,
     .fini = mock_fini)
{
    make_topic("in", 2);
    rd_kafka_t *p = new_producer();
    send_rows(p, "in", 0, 0, 2999);
    send_rows(p, "in", 1, 10000, 10999);
    flush(p);
    rd_kafka_destroy(p);
    wr_operator_spec spec;
    plan_kafka(&spec,
               (const char *[]){"topic=in", "format=json", "scan.startup.mode=earliest-offset",
                                "scan.bounded.mode=latest-offset"},
               4);
    idps *rows = calloc(1, sizeof(idps));
    src_run r;
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    src_until(&r, 1500, false); /* part of it: at most a batch per run() */
    cr_assert(!r.ended);
    wr_snapshot snap;
    src_snapshot(&r, 1, &snap);
    gather(&r, rows);
    int before = rows->n;
    /* Rows after the checkpoint are replayed by the restore: forget them, as a crash would. */
    src_until(&r, r.cap.rows + 10, false);
    src_stop(&r);

    /* The same subtask, restored. */
    const wr_snapshot *snaps[] = {&snap};
    src_start(&r, &spec, 0, 1, snaps, 1, false);
    src_until(&r, 0, true);
    gather(&r, rows);
    src_stop(&r);
    check_rows(rows, 2, (int64_t[]){0, 10000}, (int64_t[]){2999, 10999});

    /* At parallelism 2 (union state), each subtask continues its own partition. */
    idps *rescaled = calloc(1, sizeof(idps));
    for (int i = 0; i < before; i++) rescaled->v[rescaled->n++] = rows->v[i];
    for (int s = 0; s < 2; s++) {
        src_start(&r, &spec, s, 2, snaps, 1, true);
        src_until(&r, 0, true);
        gather(&r, rescaled);
        src_stop(&r);
    }
    check_rows(rescaled, 2, (int64_t[]){0, 10000}, (int64_t[]){2999, 10999});
    free(rescaled);
    free(rows);
    wr_snapshot_fini(&snap);
    wr_operator_spec_fini(&spec);
}

Test(kafka_source, a_bad_record_fails_with_its_position_or_is_skipped, .init = mock_init,
     .fini = mock_fini)
{
    make_topic("in", 2);
    rd_kafka_t *p = new_producer();
    send_rows(p, "in", 1, 1, 3);
    send_one(p, "in", 1, NULL, "{\"id\": \"x1\", \"p\": 1}");
    send_rows(p, "in", 1, 4, 5);
    send_one(p, "in", 1, NULL, "not json at all");
    flush(p);
    rd_kafka_destroy(p);
    const char *kv[] = {"topic=in", "format=json", "scan.startup.mode=earliest-offset",
                        "scan.bounded.mode=latest-offset", "json.ignore-parse-errors=true"};
    wr_operator_spec spec;
    plan_kafka(&spec, kv, 4);
    src_run r;
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    wr_error err;
    wr_error_init(&err);
    int64_t deadline = wr_clock_mono_ns() + DEADLINE_NS;
    int rc = 0;
    while (rc == 0) {
        wr_source_status status;
        rc = spec.ops->run(r.op, &status, &err);
        cr_assert(rc != 0 || status != WR_SOURCE_END, "the bad record was not noticed");
        cr_assert(wr_clock_mono_ns() < deadline);
    }
    cr_assert_eq(rc, WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "kafka source: topic 'in', partition 1, offset 3: field 'id' at "
                              "offset ") != NULL,
              "%s", err.msg);
    cr_assert(strstr(err.msg, "invalid BIGINT 'x1'") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "record: '{\"id\": \"x1\", \"p\": 1}'") != NULL, "%s", err.msg);
    src_stop(&r);
    wr_operator_spec_fini(&spec);

    plan_kafka(&spec, kv, 5);
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    src_until(&r, 0, true);
    idps *rows = calloc(1, sizeof(idps));
    gather(&r, rows);
    check_rows(rows, 2, (int64_t[]){0, 1}, (int64_t[]){-1, 5});
    cr_assert_eq(wr_kafka_source_skipped(r.op), 2);
    free(rows);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(kafka_source, a_broker_outage_loses_nothing, .init = mock_init, .fini = mock_fini)
{
    make_topic("in", 2);
    rd_kafka_t *p = new_producer();
    send_rows(p, "in", 0, 0, 499);
    send_rows(p, "in", 1, 1000, 1499);
    flush(p);
    wr_operator_spec spec;
    plan_kafka(&spec,
               (const char *[]){"topic=in", "format=json", "scan.startup.mode=earliest-offset",
                                "properties.reconnect.backoff.ms=10",
                                "properties.reconnect.backoff.max.ms=100",
                                "properties.log_level=0"},
               6);
    src_run r;
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    src_until(&r, 100, false);
    cr_assert_eq(rd_kafka_mock_broker_set_down(mock, 1), 0);
    /* While the broker is down the source idles (or drains what it had fetched). */
    int64_t until = wr_clock_mono_ns() + 300 * 1000000LL;
    while (wr_clock_mono_ns() < until) src_step(&r);
    send_rows(p, "in", 0, 500, 599); /* queued by the producer until the broker is back */
    send_rows(p, "in", 1, 1500, 1599);
    cr_assert_eq(rd_kafka_mock_broker_set_up(mock, 1), 0);
    flush(p);
    rd_kafka_destroy(p);
    src_until(&r, 1200, false);
    /* Nothing more comes: no record was read twice. */
    until = wr_clock_mono_ns() + 200 * 1000000LL;
    while (wr_clock_mono_ns() < until) src_step(&r);
    idps *rows = calloc(1, sizeof(idps));
    gather(&r, rows);
    check_rows(rows, 2, (int64_t[]){0, 1000}, (int64_t[]){599, 1599});
    free(rows);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(kafka_source, group_offsets_follow_completed_checkpoints, .init = mock_init, .fini = mock_fini)
{
    make_topic("in", 1);
    produce_rows("in", 0, 0, 1999);
    const char *kv[] = {"topic=in", "format=json", "properties.group.id=g1",
                        "scan.bounded.mode=latest-offset", "properties.auto.offset.reset=earliest"};
    /* No committed offset and no auto.offset.reset: the job says what to set. */
    wr_operator_spec spec;
    plan_kafka(&spec, kv, 4);
    src_run r;
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    wr_error err;
    wr_error_init(&err);
    wr_source_status status;
    int64_t deadline = wr_clock_mono_ns() + DEADLINE_NS;
    int rc;
    while ((rc = spec.ops->run(r.op, &status, &err)) == 0 && status == WR_SOURCE_IDLE)
        cr_assert(wr_clock_mono_ns() < deadline);
    cr_assert_eq(rc, WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "the group 'g1' has no committed offset for topic 'in', partition "
                              "0; set 'properties.auto.offset.reset'") != NULL,
              "%s", err.msg);
    src_stop(&r);
    wr_operator_spec_fini(&spec);

    /* With the fallback it starts at the earliest; a completed checkpoint commits its offsets. */
    plan_kafka(&spec, kv, 5);
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    src_until(&r, 700, false);
    wr_snapshot snap;
    src_snapshot(&r, 1, &snap);
    int64_t at_checkpoint = r.cap.rows;
    cr_assert_eq(spec.ops->checkpoint_done(r.op, 1, &err), 0, "%s", err.msg);
    /* The commit is asynchronous: the consumer sends it while it runs. */
    rd_kafka_conf_t *conf = client_conf();
    char errstr[256];
    rd_kafka_conf_set(conf, "group.id", "g1", errstr, sizeof(errstr));
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    for (;;) {
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(list, "in", 0);
        cr_assert_eq(rd_kafka_committed(c, list, 5000), 0);
        int64_t committed = list->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(list);
        if (committed == at_checkpoint) break;
        cr_assert(committed < 0, "committed %lld", (long long)committed);
        cr_assert(wr_clock_mono_ns() < deadline);
        if (!r.ended)
            src_step(&r);
        else
            wr_clock_sleep_ns(5 * 1000000LL);
    }
    rd_kafka_destroy_flags(c, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    src_stop(&r);
    wr_snapshot_fini(&snap);

    /* A new job (no checkpoint) starts where the group is. */
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    src_until(&r, 0, true);
    idps *rows = calloc(1, sizeof(idps));
    gather(&r, rows);
    check_rows(rows, 1, (int64_t[]){at_checkpoint}, (int64_t[]){1999});
    free(rows);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(kafka_source, keys_and_raw_values, .init = mock_init, .fini = mock_fini)
{
    make_topic("in", 1);
    rd_kafka_t *p = new_producer();
    send_one(p, "in", 0, "k1", "1|alpha");
    send_one(p, "in", 0, NULL, "2|beta\n");
    send_one(p, "in", 0, "k3", NULL); /* a tombstone: no row */
    send_one(p, "in", 0, "k4", "4|");
    flush(p);
    rd_kafka_destroy(p);
    /* Key (raw) k STRING, value (csv) id BIGINT, name STRING. */
    wr_type types[] = {wr_type_make(WR_TYPE_VARCHAR, true), wr_type_make(WR_TYPE_BIGINT, true),
                       wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("k,id,name", types);
    const char *kv[] = {"connector=kafka",
                        servers_opt,
                        "topic=in",
                        "value.format=csv",
                        "value.csv.field-delimiter=|",
                        "key.format=raw",
                        "key.fields=k",
                        "value.fields-include=EXCEPT_KEY",
                        "scan.startup.mode=earliest-offset",
                        "scan.bounded.mode=latest-offset"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("kafka", schema, kv, 10, &spec, &err), 0, "%s", err.msg);
    src_run r;
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    src_until(&r, 0, true);
    wr_buf text;
    wr_buf_init(&text);
    for (int b = 0; b < r.cap.nbatches; b++)
        for (int row = 0; row < r.cap.batches[b]->count; row++) {
            wr_batch_format_row(r.cap.batches[b], row, &text);
            wr_buf_putc(&text, '\n');
        }
    cr_assert_str_eq(text.data, "+I[k1, 1, alpha]\n+I[null, 2, beta]\n+I[k4, 4, ]\n");
    wr_buf_fini(&text);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);

    /* raw value: the bytes as they are, a tombstone as NULL. */
    wr_type one[] = {wr_type_make(WR_TYPE_VARCHAR, true)};
    schema = schema_of("line", one);
    const char *kv2[] = {"connector=kafka",
                         servers_opt,
                         "topic=in",
                         "format=raw",
                         "scan.startup.mode=earliest-offset",
                         "scan.bounded.mode=latest-offset"};
    cr_assert_eq(plan_source("kafka", schema, kv2, 6, &spec, &err), 0, "%s", err.msg);
    src_start(&r, &spec, 0, 1, NULL, 0, false);
    src_until(&r, 0, true);
    wr_buf_init(&text);
    for (int b = 0; b < r.cap.nbatches; b++)
        for (int row = 0; row < r.cap.batches[b]->count; row++) {
            wr_batch_format_row(r.cap.batches[b], row, &text);
            wr_buf_putc(&text, ';');
        }
    cr_assert_str_eq(text.data, "+I[1|alpha];+I[2|beta\n];+I[null];+I[4|];");
    wr_buf_fini(&text);
    src_stop(&r);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* ---- SQL --------------------------------------------------------------------------- */

static weir_result *sql(weir_session *s, const char *text)
{
    weir_result *res = NULL;
    int rc = weir_exec(s, text, "test.sql", &res);
    cr_assert_eq(rc, 0, "%s", weir_session_error(s));
    return res;
}

Test(kafka_sql, a_bounded_scan_and_an_insert, .init = mock_init, .fini = mock_fini)
{
    make_topic("in", 4);
    make_topic("out", 2);
    rd_kafka_t *p = new_producer();
    for (int part = 0; part < 4; part++) send_rows(p, "in", part, 1000 * part, 1000 * part + 299);
    flush(p);
    rd_kafka_destroy(p);
    weir_session *s = weir_session_new();
    char ddl[2048];
    snprintf(ddl, sizeof(ddl),
             "SET 'parallelism.default' = '3';"
             "CREATE TABLE src (id BIGINT, p INT) WITH ('connector' = 'kafka', 'topic' = 'in', "
             "'properties.bootstrap.servers' = '%s', 'format' = 'json', "
             "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');"
             "CREATE TABLE dst (id BIGINT, tag STRING) WITH ('connector' = 'kafka', "
             "'topic' = 'out', 'properties.bootstrap.servers' = '%s', 'format' = 'csv', "
             "'sink.parallelism' = '2')",
             servers, servers);
    sql(s, ddl);
    weir_result *res = sql(s, "SELECT COUNT(*), SUM(id), COUNT(DISTINCT id) FROM src");
    cr_assert_eq(weir_result_rows(res), 1);
    cr_assert_eq(weir_result_int(res, 0, 0), 1200);
    cr_assert_eq(weir_result_int(res, 0, 1), 300 * (0 + 1000 + 2000 + 3000) + 4 * (299 * 300 / 2));
    cr_assert_eq(weir_result_int(res, 0, 2), 1200);
    weir_result_free(res);
    sql(s, "INSERT INTO dst SELECT id, CASE WHEN p = 0 THEN 'zero' ELSE 'more' END FROM src "
           "WHERE MOD(id, 10) = 0");
    weir_session_free(s);
    records rs = read_topic("out", 2, 120, "read_uncommitted");
    cr_assert_eq(rs.n, 120);
    bool seen[4000] = {false};
    for (int i = 0; i < rs.n; i++) {
        long long id;
        char tag[16];
        cr_assert_eq(sscanf(rs.v[i].value, "%lld,%15s", &id, tag), 2, "%s", rs.v[i].value);
        cr_assert(id >= 0 && id < 4000 && id % 10 == 0 && !seen[id]);
        seen[id] = true;
        cr_assert_str_eq(tag, id < 1000 ? "zero" : "more");
        cr_assert_null(rs.v[i].key);
    }
    records_free(&rs);
}

/* ---- the sink ---------------------------------------------------------------------- */

typedef struct sink_run {
    wr_op_ctx ctx;
    wr_operator *op;
    const wr_operator_spec *spec;
} sink_run;

static void plan_sink(wr_operator_spec *spec, const char *const *kv, int n)
{
    const char *all[32] = {"connector=kafka", servers_opt};
    for (int i = 0; i < n; i++) all[2 + i] = kv[i];
    wr_schema *schema = id_p_schema();
    wr_error err;
    cr_assert_eq(plan_table_sink("kafka", schema, all, n + 2, spec, &err), 0, "%s", err.msg);
    wr_schema_free(schema);
}

static void sink_start(sink_run *r, const wr_operator_spec *spec, int subtask, int par)
{
    memset(r, 0, sizeof(*r));
    r->spec = spec;
    ctx_init(&r->ctx, subtask, par, NULL);
    wr_error err;
    wr_error_init(&err);
    r->op = spec->ops->create(spec->spec, &r->ctx, &err);
    cr_assert_not_null(r->op, "%s", err.msg);
    cr_assert_eq(spec->ops->open(r->op, &err), 0, "%s", err.msg);
}

/* Writes rows (id, p) for ids from..to with p = id % 7. */
static void sink_write(sink_run *r, int64_t from, int64_t to)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_INT, true)};
    wr_batch *batch = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    wr_error err;
    wr_error_init(&err);
    for (int64_t id = from; id <= to; id++) {
        int row = batch->count++;
        ((int64_t *)batch->cols[0].data)[row] = id;
        ((int32_t *)batch->cols[1].data)[row] = (int32_t)(id % 7);
        if (batch->count == batch->capacity || id == to) {
            cr_assert_eq(r->spec->ops->process(r->op, 0, batch, &err), 0, "%s", err.msg);
            wr_batch_reset(batch);
        }
    }
    wr_batch_free(batch);
}

static void sink_call(sink_run *r, const char *what, int64_t checkpoint)
{
    wr_error err;
    wr_error_init(&err);
    int rc;
    if (strcmp(what, "snapshot") == 0) {
        wr_snapshot snap = {0};
        rc = r->spec->ops->snapshot(r->op, checkpoint, &snap, &err);
        wr_snapshot_fini(&snap);
    } else if (strcmp(what, "done") == 0) {
        rc = r->spec->ops->checkpoint_done(r->op, checkpoint, &err);
    } else {
        rc = r->spec->ops->end_input(r->op, 0, &err);
    }
    cr_assert_eq(rc, 0, "%s: %s", what, err.msg);
}

/* The ids of JSON records {"id":N,...}, each expected once, from..to. */
static void check_ids(const records *rs, int64_t from, int64_t to)
{
    int64_t n = to - from + 1;
    cr_assert_eq(rs->n, n, "%d records, want %lld", rs->n, (long long)n);
    bool *seen = calloc((size_t)n, 1);
    for (int i = 0; i < rs->n; i++) {
        long long id;
        cr_assert_eq(sscanf(rs->v[i].value, "{\"id\":%lld", &id), 1, "%s", rs->v[i].value);
        cr_assert(id >= from && id <= to && !seen[id - from], "id %lld", id);
        seen[id - from] = true;
    }
    free(seen);
}

Test(kafka_sink, at_least_once_flushes_at_barriers_and_end, .init = mock_init, .fini = mock_fini)
{
    make_topic("out", 3);
    wr_operator_spec spec;
    plan_sink(&spec,
              (const char *[]){"topic=out", "format=json", "key.format=json", "key.fields=p",
                               "properties.linger.ms=10000"},
              5);
    sink_run r;
    sink_start(&r, &spec, 0, 1);
    sink_write(&r, 1, 500);
    /* linger.ms keeps records in the producer; the barrier must send them all. */
    sink_call(&r, "snapshot", 1);
    records rs = read_topic("out", 3, 500, "read_uncommitted");
    check_ids(&rs, 1, 500);
    /* The default partitioner hashes the key: one p, one partition. */
    int part_of[7];
    for (int k = 0; k < 7; k++) part_of[k] = -1;
    for (int i = 0; i < rs.n; i++) {
        int p;
        cr_assert_eq(sscanf(rs.v[i].key, "{\"p\":%d}", &p), 1, "%s", rs.v[i].key);
        if (part_of[p] < 0) part_of[p] = rs.v[i].partition;
        cr_assert_eq(part_of[p], rs.v[i].partition);
    }
    records_free(&rs);
    sink_write(&r, 501, 800);
    sink_call(&r, "end", 0);
    rs = read_topic("out", 3, 800, "read_uncommitted");
    check_ids(&rs, 1, 800);
    records_free(&rs);
    spec.ops->destroy(r.op);
    wr_operator_spec_fini(&spec);
}

Test(kafka_sink, fixed_and_round_robin_partitioners, .init = mock_init, .fini = mock_fini)
{
    make_topic("fixed", 3);
    make_topic("rr", 3);
    wr_operator_spec spec;
    plan_sink(&spec, (const char *[]){"topic=fixed", "format=json", "sink.partitioner=fixed"}, 3);
    for (int s = 0; s < 2; s++) {
        sink_run r;
        sink_start(&r, &spec, s + 3, 5); /* subtasks 3 and 4: partitions 0 and 1 */
        sink_write(&r, 100 * s, 100 * s + 9);
        sink_call(&r, "end", 0);
        spec.ops->destroy(r.op);
    }
    wr_operator_spec_fini(&spec);
    records rs = read_topic("fixed", 3, 20, "read_uncommitted");
    for (int i = 0; i < rs.n; i++) {
        long long id;
        sscanf(rs.v[i].value, "{\"id\":%lld", &id);
        cr_assert_eq(rs.v[i].partition, id < 100 ? 0 : 1);
    }
    records_free(&rs);

    plan_sink(&spec, (const char *[]){"topic=rr", "format=json", "sink.partitioner=round-robin"},
              3);
    sink_run r;
    sink_start(&r, &spec, 0, 1);
    sink_write(&r, 0, 29);
    sink_call(&r, "end", 0);
    spec.ops->destroy(r.op);
    wr_operator_spec_fini(&spec);
    rs = read_topic("rr", 3, 30, "read_uncommitted");
    int per[3] = {0};
    for (int i = 0; i < rs.n; i++) per[rs.v[i].partition]++;
    cr_assert(per[0] == 10 && per[1] == 10 && per[2] == 10, "%d %d %d", per[0], per[1], per[2]);
    records_free(&rs);
}

Test(kafka_sink, exactly_once_commits_when_the_checkpoint_completes, .init = mock_init,
     .fini = mock_fini)
{
    make_topic("out", 2);
    wr_operator_spec spec;
    plan_sink(&spec,
              (const char *[]){"topic=out", "format=json", "sink.delivery-guarantee=exactly-once",
                               "sink.transactional-id-prefix=job"},
              4);
    sink_run r;
    sink_start(&r, &spec, 0, 1);
    sink_write(&r, 1, 100);
    sink_call(&r, "snapshot", 1); /* flushed, prepared, not committed */
    sink_write(&r, 101, 150);     /* after the barrier: held until the commit */
    records rs = read_topic("out", 2, 0, "read_uncommitted");
    for (int i = 0; i < rs.n; i++) {
        long long id;
        sscanf(rs.v[i].value, "{\"id\":%lld", &id);
        cr_assert(id <= 100, "row %lld of the next checkpoint was sent before the commit", id);
    }
    records_free(&rs);
    sink_call(&r, "done", 1);
    rs = read_topic("out", 2, 100, "read_committed");
    cr_assert(rs.n >= 100);
    records_free(&rs);
    /* An older notification commits nothing; the next barrier and its completion do. */
    sink_write(&r, 151, 200);
    sink_call(&r, "snapshot", 2);
    sink_call(&r, "done", 1);
    sink_call(&r, "done", 2);
    rs = read_topic("out", 2, 200, "read_committed");
    check_ids(&rs, 1, 200);
    records_free(&rs);
    sink_write(&r, 201, 250);
    sink_call(&r, "end", 0);
    rs = read_topic("out", 2, 250, "read_committed");
    check_ids(&rs, 1, 250);
    records_free(&rs);
    spec.ops->destroy(r.op);
    wr_operator_spec_fini(&spec);
}

/*
 * A restart (a restore) opens a producer with the same transactional id while
 * the old run's transaction is still open: initializing takes the id over
 * (Kafka fences the old producer and aborts its transaction; the 2.0.2 mock
 * neither fences nor hides aborted records, so only the new run's commit is
 * checked here).
 */
Test(kafka_sink, exactly_once_restart_takes_over_the_transactional_id, .init = mock_init,
     .fini = mock_fini)
{
    make_topic("out", 1);
    wr_operator_spec spec;
    plan_sink(&spec,
              (const char *[]){"topic=out", "format=json", "sink.delivery-guarantee=exactly-once",
                               "sink.transactional-id-prefix=job"},
              4);
    sink_run old;
    sink_start(&old, &spec, 0, 1);
    sink_write(&old, 1, 10);
    sink_call(&old, "snapshot", 1);
    sink_run r;
    sink_start(&r, &spec, 0, 1);
    sink_write(&r, 11, 20);
    sink_call(&r, "end", 0);
    spec.ops->destroy(r.op);
    spec.ops->destroy(old.op);
    wr_operator_spec_fini(&spec);
    records rs = read_topic("out", 1, 10, "read_committed");
    int new_rows = 0;
    for (int i = 0; i < rs.n; i++) {
        long long id;
        sscanf(rs.v[i].value, "{\"id\":%lld", &id);
        new_rows += id > 10;
    }
    cr_assert_eq(new_rows, 10);
    records_free(&rs);
}

/* Brings broker 1 of the mock cluster back after a delay (the sink's flush waits meanwhile). */
static void *broker_up_later(void *arg)
{
    (void)arg;
    usleep(300 * 1000);
    rd_kafka_mock_broker_set_up(mock, 1);
    return NULL;
}

Test(kafka_sink, request_errors_and_an_outage_lose_nothing, .init = mock_init, .fini = mock_fini)
{
    make_topic("out", 2);
    wr_operator_spec spec;
    plan_sink(&spec,
              (const char *[]){"topic=out", "format=json", "properties.retry.backoff.ms=10",
                               "properties.reconnect.backoff.ms=10",
                               "properties.reconnect.backoff.max.ms=100", "properties.log_level=0"},
              6);
    sink_run r;
    sink_start(&r, &spec, 0, 1);
    /* The first produce requests fail with retriable errors (ApiKey 0 is Produce). */
    rd_kafka_mock_push_request_errors(
        mock, 0, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
    sink_write(&r, 1, 300);
    sink_call(&r, "snapshot", 1);
    /* Rows written while the broker is down wait in the producer; the barrier's flush
     * waits for the broker to come back. */
    cr_assert_eq(rd_kafka_mock_broker_set_down(mock, 1), 0);
    sink_write(&r, 301, 600);
    pthread_t up;
    cr_assert_eq(pthread_create(&up, NULL, broker_up_later, NULL), 0);
    sink_call(&r, "snapshot", 2);
    pthread_join(up, NULL);
    sink_call(&r, "end", 0);
    /* The mock rejects a failed request before appending: every id once. */
    records rs = read_topic("out", 2, 600, "read_uncommitted");
    check_ids(&rs, 1, 600);
    records_free(&rs);
    spec.ops->destroy(r.op);
    wr_operator_spec_fini(&spec);
}
