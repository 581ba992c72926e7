/*
 * kafka_sink.c — the kafka sink operator: rows to records of one topic, with
 * Flink's three delivery guarantees.
 *
 * Each subtask has its own librdkafka producer. Rows are encoded (key and
 * value formats, as the filesystem sink encodes lines) and handed to the
 * producer, which batches and sends them on its own threads; delivery reports
 * come back on the task's thread whenever the producer is polled, and the
 * first failed one fails the job.
 *
 *   none           records are sent; only the end of input waits for them.
 *   at-least-once  a checkpoint barrier also waits until every record sent so
 *                  far is acknowledged, so a completed checkpoint never covers a
 *                  lost record (a restore may send some twice).
 *   exactly-once   records go into a Kafka transaction (transactional.id
 *                  '<prefix>-<subtask>'). At barrier k the transaction is
 *                  flushed and stays open, prepared; checkpoint_done(k)
 *                  commits it and begins the next. Rows that arrive between
 *                  the barrier and the commit are held in memory (one producer
 *                  has one transaction) and sent into the next transaction.
 *                  Opening the producer (init_transactions) aborts whatever
 *                  a previous run of the same subtask left open.
 */
#include "kafka.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../types/nested.h"

#include <stdio.h>
#include <string.h>

/* Waits on the producer are sliced so cancellation is noticed. */
#define KAFKA_WAIT_MS 100
/* Blocking transaction calls give up after this long. */
#define KAFKA_TXN_TIMEOUT_NS (60 * 1000000000LL)

typedef struct kafka_sink {
    wr_operator base;
    const wr_kafka_sink_spec *spec;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    wr_buf key, value;      /* one row's encoded key and value */
    wr_vector *kvec, *vvec; /* per batch: the input's vectors of the key's and value's columns */
    int32_t npartitions;    /* fixed and round-robin: the topic's partitions */
    int32_t next_partition; /* round-robin */
    /* The first failed delivery (set by the delivery report callback). */
    rd_kafka_resp_err_t dr_err;
    int32_t dr_partition;
    /* exactly-once */
    bool in_txn;      /* a transaction is open */
    int64_t prepared; /* the barrier whose rows the open transaction holds; 0: none yet */
    wr_buf held;      /* rows that wait for the prepared transaction's commit */
} kafka_sink;

static bool exactly_once(const kafka_sink *sink)
{
    return sink->spec->guarantee == WR_KAFKA_GUARANTEE_EXACTLY_ONCE;
}

/* Called on the task's thread, from rd_kafka_poll / rd_kafka_flush. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    kafka_sink *sink = opaque;
    if (m->err && sink->dr_err == 0) {
        sink->dr_err = m->err;
        sink->dr_partition = m->partition;
    }
}

/* Fails when a delivery failed or the producer hit a fatal error. */
static int check_delivery(kafka_sink *sink, wr_error *err)
{
    char errstr[512];
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(sink->rk, errstr, sizeof(errstr));
    if (fatal)
        return wr_error_set(err, WR_ERR_IO, "kafka sink: topic '%s': the producer failed: %s",
                            sink->spec->topic, errstr);
    if (sink->dr_err == 0) return 0;
    return wr_error_set(err, WR_ERR_IO,
                        "kafka sink: topic '%s', partition %d: a record was not "
                        "delivered: %s",
                        sink->spec->topic, (int)sink->dr_partition, rd_kafka_err2str(sink->dr_err));
}

/* Waits until every record handed to the producer is acknowledged. */
static int flush_all(kafka_sink *sink, wr_error *err)
{
    for (;;) {
        rd_kafka_resp_err_t code = rd_kafka_flush(sink->rk, KAFKA_WAIT_MS);
        int rc = check_delivery(sink, err);
        if (rc) return rc;
        if (code == 0) return 0;
        if (wr_op_cancelled(sink->base.ctx)) return WR_ERR_CANCELLED;
    }
}

/*
 * Runs a blocking transaction call (init, commit, abort), again while it
 * fails with a retriable error, until the deadline. A commit that needs an
 * abort aborts, and fails: the transaction's rows are lost.
 */
static int txn_call(kafka_sink *sink, const char *what,
                    rd_kafka_error_t *(*call)(rd_kafka_t *, int), wr_error *err)
{
    int64_t deadline = wr_clock_mono_ns() + KAFKA_TXN_TIMEOUT_NS;
    for (;;) {
        rd_kafka_error_t *e = call(sink->rk, 1000);
        if (e == NULL) return 0;
        bool retry = rd_kafka_error_is_retriable(e) && wr_clock_mono_ns() < deadline;
        bool abort = rd_kafka_error_txn_requires_abort(e);
        if (retry && !wr_op_cancelled(sink->base.ctx)) {
            rd_kafka_error_destroy(e);
            continue;
        }
        wr_error_set(err, WR_ERR_IO,
                     "kafka sink: topic '%s', transactional id '%s-%d': cannot %s "
                     "the transaction: %s",
                     sink->spec->topic, sink->spec->txn_prefix, sink->base.ctx->subtask, what,
                     rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        if (abort) {
            rd_kafka_error_t *e2 = rd_kafka_abort_transaction(sink->rk, 5000);
            if (e2) rd_kafka_error_destroy(e2);
            sink->in_txn = false;
        }
        return WR_ERR_IO;
    }
}

static int begin_txn(kafka_sink *sink, wr_error *err)
{
    rd_kafka_error_t *e = rd_kafka_begin_transaction(sink->rk);
    if (e) {
        wr_error_set(err, WR_ERR_IO, "kafka sink: topic '%s': cannot begin a transaction: %s",
                     sink->spec->topic, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return WR_ERR_IO;
    }
    sink->in_txn = true;
    sink->prepared = 0;
    return 0;
}

/* ---- lifecycle ------------------------------------------------------------------ */

static wr_operator *sink_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int sink_open(wr_operator *op, wr_error *err);
static int sink_process(wr_operator *op, int input, wr_batch *batch, wr_error *err);
static int sink_end_input(wr_operator *op, int input, wr_error *err);
static int sink_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err);
static int sink_checkpoint_done(wr_operator *op, int64_t checkpoint, wr_error *err);
static void sink_destroy(wr_operator *op);

const wr_operator_ops wr_kafka_sink_ops = {
    .kind = "kafka_sink",
    .create = sink_create,
    .open = sink_open,
    .process = sink_process,
    .end_input = sink_end_input,
    .snapshot = sink_snapshot,
    .checkpoint_done = sink_checkpoint_done,
    .destroy = sink_destroy,
};

static wr_operator *sink_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const wr_kafka_sink_spec *spec = vspec;
    kafka_sink *sink = wr_calloc(1, sizeof(*sink));
    sink->base.ops = &wr_kafka_sink_ops;
    sink->base.ctx = ctx;
    sink->spec = spec;
    wr_buf_init(&sink->key);
    wr_buf_init(&sink->value);
    wr_buf_init(&sink->held);
    sink->vvec = wr_calloc((size_t)WR_MAX(spec->value.schema->ncols, 1), sizeof(wr_vector));
    if (spec->key.kind != WR_KAFKA_FORMAT_NONE)
        sink->kvec = wr_calloc((size_t)spec->key.schema->ncols, sizeof(wr_vector));
    return &sink->base;
}

/*
 * The topic's partition count, for the fixed and round-robin partitioners.
 * Retries while the brokers do not answer; a topic that does not exist fails.
 */
static int count_partitions(kafka_sink *sink, wr_error *err)
{
    const wr_kafka_sink_spec *spec = sink->spec;
    int64_t deadline = wr_clock_mono_ns() + KAFKA_TXN_TIMEOUT_NS;
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t code = rd_kafka_metadata(sink->rk, 0, sink->rkt, &md, 1000);
        if (code == 0 && md->topic_cnt == 1) {
            code = md->topics[0].err;
            if (code == 0) sink->npartitions = md->topics[0].partition_cnt;
        }
        if (md) rd_kafka_metadata_destroy(md);
        if (sink->npartitions > 0) return 0;
        if (code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            return wr_error_set(err, WR_ERR_IO,
                                "kafka sink: topic '%s' does not exist (brokers "
                                "'%s')",
                                spec->topic, wr_kafka_props_get(&spec->props, "bootstrap.servers"));
        if (wr_op_cancelled(sink->base.ctx)) return WR_ERR_CANCELLED;
        if (wr_clock_mono_ns() >= deadline)
            return wr_error_set(err, WR_ERR_IO,
                                "kafka sink: cannot learn the partitions of "
                                "topic '%s' from '%s': %s",
                                spec->topic, wr_kafka_props_get(&spec->props, "bootstrap.servers"),
                                code ? rd_kafka_err2str(code) : "it has none");
        wr_clock_sleep_ns(100 * 1000000LL);
    }
}

/*
 * Creates the producer; exactly-once also fences the previous run of this
 * subtask (aborting its open transaction) and begins the first transaction.
 */
static int sink_open(wr_operator *op, wr_error *err)
{
    kafka_sink *sink = (kafka_sink *)op;
    const wr_kafka_sink_spec *spec = sink->spec;
    rd_kafka_conf_t *conf = wr_kafka_conf_new(&spec->props, err);
    if (conf == NULL) return err->code;
    char errstr[512];
    if (exactly_once(sink)) {
        char id[512];
        snprintf(id, sizeof(id), "%s-%d", spec->txn_prefix, op->ctx->subtask);
        if (rd_kafka_conf_set(conf, "transactional.id", id, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return wr_error_set(err, WR_ERR_RUNTIME, "kafka sink: transactional.id '%s': %s", id,
                                errstr);
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, sink);
    sink->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (sink->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        return wr_error_set(err, WR_ERR_RUNTIME, "kafka sink: cannot create a producer: %s",
                            errstr);
    }
    sink->rkt = rd_kafka_topic_new(sink->rk, spec->topic, NULL);
    if (sink->rkt == NULL)
        return wr_error_set(err, WR_ERR_RUNTIME, "kafka sink: topic '%s': %s", spec->topic,
                            rd_kafka_err2str(rd_kafka_last_error()));
    int rc = 0;
    if (spec->partitioner != WR_KAFKA_PARTITION_DEFAULT) rc = count_partitions(sink, err);
    if (rc == 0 && exactly_once(sink))
        rc = txn_call(sink, "initialize", rd_kafka_init_transactions, err);
    if (rc == 0 && exactly_once(sink)) rc = begin_txn(sink, err);
    return rc;
}

/*
 * A failed or cancelled run: what the producer still holds is dropped, an
 * open transaction aborted (best effort: the next run's init aborts it too).
 */
static void sink_destroy(wr_operator *op)
{
    kafka_sink *sink = (kafka_sink *)op;
    if (sink->rk) {
        rd_kafka_purge(sink->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        if (sink->in_txn) {
            rd_kafka_error_t *e = rd_kafka_abort_transaction(sink->rk, 1000);
            if (e) rd_kafka_error_destroy(e);
        }
        if (sink->rkt) rd_kafka_topic_destroy(sink->rkt);
        rd_kafka_destroy(sink->rk);
    }
    wr_buf_fini(&sink->key);
    wr_buf_fini(&sink->value);
    wr_buf_fini(&sink->held);
    wr_free(sink->kvec);
    wr_free(sink->vvec);
    wr_free(sink);
}

/* ---- rows ------------------------------------------------------------------------- */

/*
 * Encodes one side of row `row` into out; *is_null is set when the record
 * gets no bytes (a raw NULL). vecs are the side's columns of the batch, kinds its change
 * kinds (a changelog format writes them).
 */
static void encode(const wr_kafka_format *f, wr_vector *vecs, uint8_t *kinds, int row, wr_buf *out,
                   bool *is_null)
{
    wr_buf_reset(out);
    *is_null = false;
    if (f->kind == WR_KAFKA_FORMAT_RAW) {
        if (wr_vector_is_null(&vecs[0], row)) {
            *is_null = true;
            return;
        }
        wr_str s = ((const wr_str *)vecs[0].data)[row];
        wr_buf_append(out, s.ptr, s.len);
        return;
    }
    wr_batch view = {.ncols = f->schema->ncols, .cols = vecs, .kinds = kinds};
    if (f->kind == WR_KAFKA_FORMAT_DEBEZIUM_JSON)
        wr_debezium_encode(&f->debezium, &view, row, f->schema, out);
    else if (f->kind == WR_KAFKA_FORMAT_CANAL_JSON)
        wr_canal_encode(&f->canal, &view, row, f->schema, out);
    else if (f->kind == WR_KAFKA_FORMAT_JSON)
        wr_json_encode(&f->json, &view, row, f->schema, out);
    else if (f->kind == WR_KAFKA_FORMAT_AVRO)
        wr_avro_encode(f->schema, &view, row, out);
    else
        wr_csv_encode(&f->csv, &view, row, out);
}

/* The partition of the next record, or RD_KAFKA_PARTITION_UA for the producer's partitioner. */
static int32_t pick_partition(kafka_sink *sink)
{
    switch (sink->spec->partitioner) {
    case WR_KAFKA_PARTITION_FIXED:
        return sink->base.ctx->subtask % sink->npartitions;
    case WR_KAFKA_PARTITION_ROUND_ROBIN: {
        int32_t p = sink->next_partition;
        sink->next_partition = (p + 1) % sink->npartitions;
        return p;
    }
    default:
        return RD_KAFKA_PARTITION_UA;
    }
}

/* A record's metadata (wr_kafka_sink_spec.meta): CreateTime (0: the producer's), and the
 * encoded MAP<STRING, BYTES> of its headers (NULL: none). */
typedef struct record_meta {
    int64_t ts_ms;
    const void *headers;
    size_t headers_len;
} record_meta;

/* The headers of an encoded MAP<STRING, BYTES>, in its order; NULL for an empty map. */
static rd_kafka_headers_t *make_headers(const void *data, size_t len)
{
    wr_str map = {data, (uint32_t)len};
    uint32_t n = wr_map_size(map);
    if (n == 0) return NULL;
    const wr_nested *d = wr_type_nested(wr_kafka_writable_metadata[0].type);
    wr_array_reader keys, values;
    wr_array_open(&keys, d->fields[0], wr_map_keys(map));
    wr_array_open(&values, d->fields[1], wr_map_values(map));
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(n);
    for (uint32_t i = 0; i < n; i++) {
        wr_str k = {"", 0}, v = {NULL, 0};
        wr_array_get(&keys, i, &k); /* STRING NOT NULL keys: always present */
        bool has = wr_array_get(&values, i, &v);
        rd_kafka_header_add(hdrs, k.ptr, (ssize_t)k.len, has ? v.ptr : NULL, has ? v.len : 0);
    }
    return hdrs;
}

/* Hands one record to the producer, waiting (backpressure) while its queue is full. */
static int produce(kafka_sink *sink, int32_t partition, const void *key, size_t key_len,
                   const void *value, size_t value_len, const record_meta *meta, wr_error *err)
{
    for (;;) {
        /* producev takes the headers only when it succeeds: built anew per attempt. */
        rd_kafka_headers_t *hdrs =
            meta->headers ? make_headers(meta->headers, meta->headers_len) : NULL;
        rd_kafka_resp_err_t code = rd_kafka_producev(
            sink->rk, RD_KAFKA_V_RKT(sink->rkt), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE((void *)value, value_len),
            RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_TIMESTAMP(meta->ts_ms),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (code == 0) return 0;
        if (hdrs) rd_kafka_headers_destroy(hdrs);
        if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return wr_error_set(err, WR_ERR_IO, "kafka sink: topic '%s': cannot send a record: %s",
                                sink->spec->topic, rd_kafka_err2str(code));
        rd_kafka_poll(sink->rk, KAFKA_WAIT_MS);
        int rc = check_delivery(sink, err);
        if (rc) return rc;
        if (wr_op_cancelled(sink->base.ctx)) return WR_ERR_CANCELLED;
    }
}

/* Held rows: i32 partition, then key, value and headers as i32 length (-1: none) and bytes,
 * then the i64 timestamp. */
static void hold_bytes(wr_buf *held, const void *data, size_t len, bool none)
{
    int32_t n = none ? -1 : (int32_t)len;
    wr_buf_append(held, &n, sizeof(n));
    if (!none) wr_buf_append(held, data, len);
}

static const char *unhold_bytes(const char *p, const void **data, size_t *len)
{
    int32_t n;
    memcpy(&n, p, sizeof(n));
    p += sizeof(n);
    *data = n < 0 ? NULL : p;
    *len = n < 0 ? 0 : (size_t)n;
    return p + (n < 0 ? 0 : n);
}

/* Sends the held rows into the open transaction. */
static int send_held(kafka_sink *sink, wr_error *err)
{
    const char *p = sink->held.data, *end = p + sink->held.len;
    while (p < end) {
        int32_t partition;
        memcpy(&partition, p, sizeof(partition));
        const void *key, *value;
        size_t key_len, value_len;
        record_meta meta;
        p = unhold_bytes(p + sizeof(partition), &key, &key_len);
        p = unhold_bytes(p, &value, &value_len);
        p = unhold_bytes(p, &meta.headers, &meta.headers_len);
        memcpy(&meta.ts_ms, p, sizeof(meta.ts_ms));
        p += sizeof(meta.ts_ms);
        int rc = produce(sink, partition, key, key_len, value, value_len, &meta, err);
        if (rc) return rc;
    }
    wr_buf_reset(&sink->held);
    return 0;
}

/* Row row's metadata, from the batch's columns after the physical ones. */
static record_meta row_meta(const wr_kafka_sink_spec *spec, const wr_batch *batch, int row)
{
    record_meta meta = {0, NULL, 0};
    for (int i = 0; i < spec->nmeta; i++) {
        const wr_vector *v = &batch->cols[spec->schema->ncols + i];
        if (wr_vector_is_null(v, row)) continue;
        if (spec->meta[i] == WR_KAFKA_META_TIMESTAMP) {
            meta.ts_ms = ((const int64_t *)v->data)[row] / 1000; /* microseconds */
        } else {
            wr_str h = ((const wr_str *)v->data)[row];
            meta.headers = h.ptr;
            meta.headers_len = h.len;
        }
    }
    return meta;
}

static int sink_process(wr_operator *op, int input, wr_batch *batch, wr_error *err)
{
    kafka_sink *sink = (kafka_sink *)op;
    const wr_kafka_sink_spec *spec = sink->spec;
    bool has_key = spec->key.kind != WR_KAFKA_FORMAT_NONE;
    for (int i = 0; i < spec->value.schema->ncols; i++)
        sink->vvec[i] = batch->cols[spec->value.cols[i]];
    for (int i = 0; has_key && i < spec->key.schema->ncols; i++)
        sink->kvec[i] = batch->cols[spec->key.cols[i]];
    int rows = wr_batch_rows(batch);
    bool hold = exactly_once(sink) && sink->prepared != 0;
    for (int i = 0; i < rows; i++) {
        int row = wr_batch_row(batch, i);
        wr_change_kind kind = wr_batch_kind(batch, row);
        if (spec->upsert && kind == WR_KIND_UPDATE_BEFORE) continue; /* the +U follows */
        if (kind != WR_KIND_INSERT && !spec->upsert &&
            !wr_kafka_format_is_changelog(spec->value.kind))
            return wr_error_set(err, WR_ERR_RUNTIME,
                                "kafka sink '%s' accepts only inserts, got a %s row (the query "
                                "produces updates or deletes; upsert-kafka will take them)",
                                spec->topic, wr_change_kind_short(kind));
        bool key_null = true, value_null;
        if (has_key) encode(&spec->key, sink->kvec, batch->kinds, row, &sink->key, &key_null);
        value_null = spec->upsert && kind == WR_KIND_DELETE; /* a tombstone */
        if (!value_null)
            encode(&spec->value, sink->vvec, batch->kinds, row, &sink->value, &value_null);
        int32_t partition = pick_partition(sink);
        record_meta meta = row_meta(spec, batch, row);
        if (hold) {
            wr_buf_append(&sink->held, &partition, sizeof(partition));
            hold_bytes(&sink->held, sink->key.data, sink->key.len, key_null);
            hold_bytes(&sink->held, sink->value.data, sink->value.len, value_null);
            hold_bytes(&sink->held, meta.headers, meta.headers_len, meta.headers == NULL);
            wr_buf_append(&sink->held, &meta.ts_ms, sizeof(meta.ts_ms));
            continue;
        }
        int rc = produce(sink, partition, key_null ? NULL : sink->key.data,
                         key_null ? 0 : sink->key.len, value_null ? NULL : sink->value.data,
                         value_null ? 0 : sink->value.len, &meta, err);
        if (rc) return rc;
    }
    rd_kafka_poll(sink->rk, 0); /* serve delivery reports */
    return check_delivery(sink, err);
}

/* ---- checkpoints and the end ------------------------------------------------------- */

/*
 * Barrier k. at-least-once: every record so far is acknowledged before the
 * barrier moves on. exactly-once: the open transaction also takes the rows
 * held since an earlier barrier whose checkpoint did not complete, is
 * flushed, and is prepared for k. The sink keeps no operator state: its
 * transactional id is fixed by its subtask.
 */
static int sink_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    kafka_sink *sink = (kafka_sink *)op;
    if (sink->spec->guarantee == WR_KAFKA_GUARANTEE_NONE) return 0;
    int rc = exactly_once(sink) ? send_held(sink, err) : 0;
    if (rc == 0) rc = flush_all(sink, err);
    if (rc == 0 && exactly_once(sink)) sink->prepared = checkpoint;
    return rc;
}

/* Commits the transaction prepared for a checkpoint this one covers, and begins the next. */
static int sink_checkpoint_done(wr_operator *op, int64_t checkpoint, wr_error *err)
{
    kafka_sink *sink = (kafka_sink *)op;
    if (!exactly_once(sink) || sink->prepared == 0 || checkpoint < sink->prepared) return 0;
    int rc = txn_call(sink, "commit", rd_kafka_commit_transaction, err);
    if (rc == 0) sink->in_txn = false;
    if (rc == 0) rc = begin_txn(sink, err);
    if (rc == 0) rc = send_held(sink, err);
    return rc;
}

/*
 * End of input: every record is delivered; exactly-once commits the
 * transaction (no later checkpoint reaches a finished task).
 */
static int sink_end_input(wr_operator *op, int input, wr_error *err)
{
    kafka_sink *sink = (kafka_sink *)op;
    if (!exactly_once(sink)) return flush_all(sink, err);
    int rc = send_held(sink, err);
    if (rc == 0) rc = flush_all(sink, err);
    if (rc == 0) rc = txn_call(sink, "commit", rd_kafka_commit_transaction, err);
    if (rc == 0) sink->in_txn = false;
    return rc;
}
