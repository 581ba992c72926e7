/*
 * kafka_source.c — the kafka source operator: records of Kafka partitions to
 * rows, with the partitions' offsets in the checkpoints.
 *
 * Each subtask reads its share of the partitions (the p-th of the sorted
 * (topic, partition) list goes to subtask p % parallelism) with its own
 * librdkafka consumer, assigned manually: no group rebalancing, so the split
 * is Weir's and a checkpoint's offsets are exactly what was emitted. The
 * group, when there is one, only hears of the offsets as a courtesy once a
 * checkpoint is complete. Where each partition starts (and, for a bounded
 * scan, ends) is resolved to real offsets before the first record, so a
 * checkpoint never holds "latest" or "earliest", which would mean something
 * else after a restart.
 *
 * run() never blocks for long: it takes what the consumer has fetched (up to
 * a batch), decodes each record straight into the output batch, and reports
 * idle when nothing came, so checkpoint barriers and cancellation are served
 * promptly. Broker outages are librdkafka's to ride out (it reconnects and
 * fetches on from its position).
 */
#include "kafka.h"
#include "../base/alloc.h"
#include "../base/arena.h"
#include "../base/vec.h"
#include "../base/clock.h"
#include "../expr/expr.h"
#include "../types/nested.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records one run() takes from the consumer at most (errors and skipped ones included). */
#define KAFKA_RUN_RECORDS 4096
/* How long a run() that found nothing lets the task sleep. */
#define KAFKA_IDLE_NS (10 * 1000000LL)
/* Each blocking broker call while starting waits this long at most, */
#define KAFKA_CALL_MS 1000
/* and starting gives up after this long (the brokers are unreachable). */
#define KAFKA_START_TIMEOUT_NS (60 * 1000000000LL)
/* Bytes of a bad record shown in the error. */
#define KAFKA_SHOW_BYTES 80
/* Completed checkpoints whose offsets may still be committed to the group. */
#define KAFKA_MAX_PENDING_COMMITS 8

#define NO_STOP INT64_MAX

/* One partition this subtask reads. */
typedef struct kpart {
    char *topic;
    int32_t partition;
    int64_t next; /* the offset of the next record to emit */
    int64_t stop; /* bounded: the first offset not to read; NO_STOP when unbounded */
    bool done;    /* bounded: reached stop */
    /* A pushed-down watermark: the largest value of its expression over this partition's
     * rows (ms; WR_WATERMARK_MIN before one), and when its last record came (monotonic ns),
     * for idleness. Not checkpointed, as the WatermarkAssigner's is not. */
    int64_t wm_ms;
    int64_t last_ns;
} kpart;

/* Offsets of a checkpoint, to commit to the group when it completes. */
typedef struct pending_commit {
    int64_t checkpoint;
    rd_kafka_topic_partition_list_t *offsets;
} pending_commit;

typedef struct kafka_source {
    wr_operator base;
    const wr_kafka_source_spec *spec;
    rd_kafka_t *rk;
    wr_batch *batch;   /* the output */
    wr_batch *view;    /* a projected scan: what is emitted, a view of batch's columns */
    wr_batch *kb, *vb; /* key and value rows when the value lacks key columns */
    wr_batch *mb;      /* the scan's metadata columns (spec->meta), a row per decoded row */
    int *col_side;     /* per table column: 0 value, 1 key (split decoding only) */
    int *col_index;    /* its column in that side's batch */
    kpart *parts;      /* sorted by (topic, partition) */
    int nparts, ndone;
    int last;               /* the part of the previous record, to find the next one fast */
    bool started;           /* partitions resolved and assigned */
    bool finished;          /* restored as finished: emits nothing */
    int64_t start_deadline; /* monotonic ns */
    /*
     * Restored offsets (consumed when starting). complete: they covered every
     * partition the job read then, so a partition missing from them is new.
     */
    kpart *restored;
    int nrestored;
    bool restored_complete;
    pending_commit pending[KAFKA_MAX_PENDING_COMMITS];
    int npending;
    int64_t skipped;
    int64_t start_ms; /* how long the successful start() took; -1 before */
    int *row_part;    /* a pushed-down watermark: the part of each decoded row of this run */
    int64_t flushes;  /* batches emitted in the middle of a change event (decode_changes) */
    const rd_kafka_message_t *msg; /* the record being decoded */
    wr_arena arena;                /* the watermark expression's results, reset per run */
} kafka_source;

static bool split_rows(const wr_kafka_source_spec *spec)
{
    /* upsert-kafka reads the key columns of tombstones from the key: always split. */
    return spec->upsert || spec->value.schema->ncols != spec->schema->ncols;
}

/* ---- operator state ------------------------------------------------------------- */

/*
 * Operator state ("KSRC", version 1): u8 complete, u32 count, then per
 * partition u32 topic length, topic, u32 partition, u64 next, u64 stop.
 * complete is 0 when the subtask had not resolved its partitions yet (the
 * list is then what it was restored with). Little-endian, fixed width.
 */
#define KSRC_VERSION 1

static void put_parts(wr_buf *buf, bool complete, const kpart *parts, int n)
{
    wr_buf_append(buf, "KSRC", 4);
    wr_buf_put_u32(buf, KSRC_VERSION);
    wr_buf_putc(buf, complete ? 1 : 0);
    wr_buf_put_u32(buf, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(parts[i].topic);
        wr_buf_put_u32(buf, (uint32_t)len);
        wr_buf_append(buf, parts[i].topic, len);
        wr_buf_put_u32(buf, (uint32_t)parts[i].partition);
        wr_buf_put_u64(buf, (uint64_t)parts[i].next);
        wr_buf_put_u64(buf, (uint64_t)parts[i].stop);
    }
}

/* Adds the partitions of one state part to src->restored. Returns false when it is damaged. */
static bool read_part(kafka_source *src, const wr_snapshot_part *part, bool *complete)
{
    wr_buf_reader c = wr_buf_reader_of(part->data.data, part->data.len);
    const unsigned char *tag = wr_buf_take(&c, 4);
    if (tag == NULL || memcmp(tag, "KSRC", 4) != 0 || wr_buf_get_u32(&c) != KSRC_VERSION)
        return false;
    const unsigned char *flag = wr_buf_take(&c, 1);
    *complete = flag && *flag == 1;
    uint32_t n = (uint32_t)wr_buf_get_u32(&c);
    for (uint32_t i = 0; i < n && !c.bad; i++) {
        uint32_t len = (uint32_t)wr_buf_get_u32(&c);
        const unsigned char *name = wr_buf_take(&c, len);
        kpart p = {.partition = (int32_t)wr_buf_get_u32(&c)};
        p.next = (int64_t)wr_buf_get_u64(&c);
        p.stop = (int64_t)wr_buf_get_u64(&c);
        if (c.bad || p.partition < 0 || p.next < 0) return false;
        p.topic = wr_strndup((const char *)name, len);
        src->restored = wr_realloc(src->restored, (size_t)(src->nrestored + 1) * sizeof(kpart));
        src->restored[src->nrestored++] = p;
    }
    return !c.bad && c.left == 0;
}

/*
 * Takes the offsets of a restore: this subtask's part, or, after a change of
 * parallelism, every old subtask's (union state: each keeps the partitions
 * it now owns when it starts).
 */
static int restore_state(kafka_source *src, const wr_restore *restore, wr_error *err)
{
    bool all_complete = true, any = false;
    for (int k = 0; k < restore->nparts; k++) {
        if (restore->parts[k]->keygroup >= 0) continue;
        bool complete = false;
        if (!read_part(src, restore->parts[k], &complete))
            return wr_error_set(err, WR_ERR_IO,
                                "kafka source: the operator state of subtask %d in checkpoint "
                                "%lld is damaged or of another version",
                                src->base.ctx->subtask, (long long)restore->checkpoint);
        any = true;
        all_complete &= complete;
    }
    src->restored_complete = any && all_complete;
    return 0;
}

/* ---- lifecycle ------------------------------------------------------------------ */

static wr_operator *ks_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int ks_open(wr_operator *op, wr_error *err);
/*
 * The batch to emit: the decoded rows, or for a projected scan a view of the requested
 * columns (their slots alias the decoded batch, which outlives the emit).
 */
static wr_batch *project(kafka_source *src)
{
    const wr_kafka_source_spec *spec = src->spec;
    if (src->view == NULL) return src->batch;
    wr_batch *v = src->view, *b = src->batch;
    for (int i = 0; i < spec->nout; i++) {
        v->cols[i].data = b->cols[spec->out_cols[i]].data;
        v->cols[i].validity = b->cols[spec->out_cols[i]].validity;
    }
    for (int i = 0; i < spec->nmeta; i++) {
        v->cols[spec->nout + i].data = src->mb->cols[i].data;
        v->cols[spec->nout + i].validity = src->mb->cols[i].validity;
    }
    v->count = b->count;
    v->sel = b->sel;
    v->nsel = b->nsel;
    v->kinds = b->kinds;
    v->rowtimes = b->rowtimes;
    return v;
}

static int ks_run(wr_operator *op, wr_source_status *status, wr_error *err);
static int ks_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err);
static int ks_checkpoint_done(wr_operator *op, int64_t checkpoint, wr_error *err);
static void ks_destroy(wr_operator *op);

const wr_operator_ops wr_kafka_source_ops = {
    .kind = "kafka",
    .create = ks_create,
    .open = ks_open,
    .run = ks_run,
    .snapshot = ks_snapshot,
    .checkpoint_done = ks_checkpoint_done,
    .union_state = true,
    .destroy = ks_destroy,
};

static wr_operator *ks_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const wr_kafka_source_spec *spec = vspec;
    kafka_source *src = wr_calloc(1, sizeof(*src));
    src->base.ops = &wr_kafka_source_ops;
    src->base.ctx = ctx;
    src->spec = spec;
    src->start_ms = -1;
    if (spec->watermark) {
        src->row_part = wr_calloc(WR_BATCH_CAPACITY, sizeof(int));
        wr_arena_init(&src->arena, 4096);
    }
    src->batch = wr_batch_new(spec->schema->types, spec->schema->ncols, WR_BATCH_CAPACITY);
    if (spec->out_cols) {
        int n = spec->nout + spec->nmeta;
        wr_type types[n > 0 ? n : 1];
        for (int i = 0; i < spec->nout; i++) types[i] = spec->schema->types[spec->out_cols[i]];
        for (int i = 0; i < spec->nmeta; i++)
            types[spec->nout + i] = wr_kafka_metadata[spec->meta[i]].type;
        src->view = wr_batch_new(types, n, WR_BATCH_CAPACITY);
        if (spec->nmeta) src->mb = wr_batch_new(types + spec->nout, spec->nmeta, WR_BATCH_CAPACITY);
    }
    if (split_rows(spec)) {
        const wr_kafka_format *k = &spec->key, *v = &spec->value;
        src->kb = wr_batch_new(k->schema->types, k->schema->ncols, WR_BATCH_CAPACITY);
        src->vb = wr_batch_new(v->schema->types, v->schema->ncols, WR_BATCH_CAPACITY);
        src->col_side = wr_calloc((size_t)spec->schema->ncols, sizeof(int));
        src->col_index = wr_calloc((size_t)spec->schema->ncols, sizeof(int));
        for (int i = 0; i < k->schema->ncols; i++) {
            src->col_side[k->cols[i]] = 1;
            src->col_index[k->cols[i]] = i;
        }
        for (int i = 0; i < v->schema->ncols; i++)
            if (!src->col_side[v->cols[i]]) src->col_index[v->cols[i]] = i;
    }
    const wr_restore *restore = ctx->restore;
    if (restore && restore->finished) src->finished = true;
    if (restore && !restore->finished && restore_state(src, restore, err)) {
        ks_destroy(&src->base);
        return NULL;
    }
    return &src->base;
}

/* The consumer is made here, not in create, so a job that fails to plan starts no threads. */
static int ks_open(wr_operator *op, wr_error *err)
{
    kafka_source *src = (kafka_source *)op;
    if (src->finished) return 0;
    rd_kafka_conf_t *conf = wr_kafka_conf_new(&src->spec->props, err);
    if (conf == NULL) return err->code;
    char errstr[512];
    src->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (src->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        return wr_error_set(err, WR_ERR_RUNTIME, "kafka source: cannot create a consumer: %s",
                            errstr);
    }
    src->start_deadline = wr_clock_mono_ns() + KAFKA_START_TIMEOUT_NS;
    return 0;
}

static void ks_destroy(wr_operator *op)
{
    kafka_source *src = (kafka_source *)op;
    /* Nothing to leave or commit: the consumer joined no group. */
    if (src->rk) rd_kafka_destroy_flags(src->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    for (int i = 0; i < src->npending; i++)
        rd_kafka_topic_partition_list_destroy(src->pending[i].offsets);
    for (int i = 0; i < src->nparts; i++) wr_free(src->parts[i].topic);
    for (int i = 0; i < src->nrestored; i++) wr_free(src->restored[i].topic);
    wr_free(src->parts);
    wr_free(src->restored);
    wr_free(src->col_side);
    wr_free(src->col_index);
    if (src->row_part) wr_arena_fini(&src->arena);
    wr_free(src->row_part);
    wr_batch_free(src->batch);
    wr_batch_free(src->view);
    wr_batch_free(src->kb);
    wr_batch_free(src->vb);
    wr_batch_free(src->mb);
    wr_free(src);
}

int64_t wr_kafka_source_start_ms(const wr_operator *op)
{
    assert(op->ops == &wr_kafka_source_ops);
    return ((const kafka_source *)op)->start_ms;
}

int64_t wr_kafka_source_skipped(const wr_operator *op)
{
    assert(op->ops == &wr_kafka_source_ops);
    return ((const kafka_source *)op)->skipped;
}

/* ---- starting: partitions and offsets ---------------------------------------------- */

static int by_topic_partition(const void *a, const void *b)
{
    const kpart *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* A failed broker call while starting: try again later, or give up past the deadline. */
static int start_failed(kafka_source *src, const char *what, rd_kafka_resp_err_t code, bool *ready,
                        wr_error *err)
{
    *ready = false;
    if (wr_clock_mono_ns() < src->start_deadline) return 0;
    return wr_error_set(err, WR_ERR_RUNTIME, "kafka source: cannot %s from '%s' within %lld s: %s",
                        what, wr_kafka_props_get(&src->spec->props, "bootstrap.servers"),
                        (long long)(KAFKA_START_TIMEOUT_NS / 1000000000LL), rd_kafka_err2str(code));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool topic_matches(const wr_kafka_source_spec *spec, const char *topic)
{
    if (spec->pattern_code == NULL)
        return bsearch(&topic, spec->topics, (size_t)spec->ntopics, sizeof(char *), cmp_str);
    /* Kafka's internal topics are not listed for patterns, as Java's admin client does. */
    if (strcmp(topic, "__consumer_offsets") == 0 || strcmp(topic, "__transaction_state") == 0)
        return false;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(spec->pattern_code, NULL);
    int rc =
        pcre2_match(spec->pattern_code, (PCRE2_SPTR)topic, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

/*
 * Lists this subtask's partitions from the cluster's metadata: every
 * partition of the matching topics, sorted, the i-th to subtask
 * i % parallelism. A listed topic that does not exist fails the job.
 */
static int list_partitions(kafka_source *src, bool *ready, wr_error *err)
{
    const wr_kafka_source_spec *spec = src->spec;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t code = rd_kafka_metadata(src->rk, 1, NULL, &md, KAFKA_CALL_MS);
    if (code) return start_failed(src, "fetch the metadata", code, ready, err);
    WR_VEC(kpart) all = {0};
    int rc = 0;
    for (int t = 0; t < md->topic_cnt && rc == 0; t++) {
        const struct rd_kafka_metadata_topic *mt = &md->topics[t];
        if (!topic_matches(spec, mt->topic)) continue;
        if (mt->err) {
            rc = start_failed(src, "read the metadata of a topic", mt->err, ready, err);
            break;
        }
        for (int p = 0; p < mt->partition_cnt; p++)
            WR_VEC_PUSH(&all, ((kpart){.topic = mt->topic, .partition = mt->partitions[p].id}));
    }
    for (int i = 0; i < spec->ntopics && rc == 0 && *ready; i++) {
        bool found = false;
        for (int t = 0; t < md->topic_cnt && !found; t++)
            found = !strcmp(md->topics[t].topic, spec->topics[i]);
        if (!found)
            rc = wr_error_set(
                err, WR_ERR_RUNTIME, "kafka source: topic '%s' does not exist (brokers '%s')",
                spec->topics[i], wr_kafka_props_get(&spec->props, "bootstrap.servers"));
    }
    if (rc == 0 && *ready) {
        qsort(all.v, (size_t)all.n, sizeof(kpart), by_topic_partition);
        int par = src->base.ctx->parallelism > 0 ? src->base.ctx->parallelism : 1;
        for (int i = 0; i < all.n; i++) {
            if (i % par != src->base.ctx->subtask) continue;
            src->parts = wr_realloc(src->parts, (size_t)(src->nparts + 1) * sizeof(kpart));
            kpart p = all.v[i];
            p.topic = wr_strdup(p.topic);
            p.next = -1;
            p.stop = NO_STOP;
            p.wm_ms = WR_WATERMARK_MIN;
            src->parts[src->nparts++] = p;
        }
    }
    wr_free(all.v);
    rd_kafka_metadata_destroy(md);
    return rc;
}

static const wr_kafka_offset *find_offset(const wr_kafka_offset *offs, int n, int32_t partition)
{
    for (int i = 0; i < n; i++)
        if (offs[i].partition == partition) return &offs[i];
    return NULL;
}

static const kpart *find_restored(const kafka_source *src, const kpart *p)
{
    for (int i = 0; i < src->nrestored; i++)
        if (src->restored[i].partition == p->partition && !strcmp(src->restored[i].topic, p->topic))
            return &src->restored[i];
    return NULL;
}

/* A list of the partitions with offset set to `value` (a timestamp, or ignored). */
static rd_kafka_topic_partition_list_t *part_list(const kafka_source *src, int64_t value)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(src->nparts);
    for (int i = 0; i < src->nparts; i++)
        rd_kafka_topic_partition_list_add(list, src->parts[i].topic, src->parts[i].partition)
            ->offset = value;
    return list;
}

/*
 * The earliest and latest offsets of every partition in low and high, in two
 * batched ListOffsets lookups (Kafka's timestamps -2 and -1) rather than one
 * round trip per partition: a source with many partitions starts in a
 * fixed number of broker calls.
 */
static rd_kafka_resp_err_t list_offsets(kafka_source *src, int64_t *low, int64_t *high)
{
    if (src->nparts == 0) return RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int k = 0; k < 2 && code == 0; k++) {
        int64_t *out = k == 0 ? low : high;
        rd_kafka_topic_partition_list_t *list =
            part_list(src, k == 0 ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END);
        code = rd_kafka_offsets_for_times(src->rk, list, KAFKA_CALL_MS);
        for (int i = 0; i < src->nparts && code == 0; i++) {
            const rd_kafka_topic_partition_t *e = &list->elems[i];
            if (e->err)
                code = e->err;
            else if (e->offset < 0)
                code = RD_KAFKA_RESP_ERR__BAD_MSG;
            out[i] = e->offset;
        }
        rd_kafka_topic_partition_list_destroy(list);
    }
    return code;
}

/*
 * Resolves where each partition starts and stops. Fills next (and stop)
 * of every part; *ready stays false when a broker call must be retried.
 * The order of precedence: the restored offsets; then, for a partition a
 * complete restore does not know, the earliest offset (it is new since) or,
 * for a bounded scan, nothing (a subtask that had read it to its end
 * finished and left no state; bounded scans take no new partitions); then
 * the startup mode.
 */
static int resolve_offsets(kafka_source *src, bool *ready, wr_error *err)
{
    const wr_kafka_source_spec *spec = src->spec;
    int n = src->nparts;
    int64_t low[WR_MAX(n, 1)], high[WR_MAX(n, 1)];
    rd_kafka_resp_err_t code = list_offsets(src, low, high);
    if (code) return start_failed(src, "read the offsets of the partitions", code, ready, err);
    rd_kafka_topic_partition_list_t *committed = NULL, *by_time = NULL, *stop_time = NULL;
    if (spec->has_group && n > 0 &&
        (spec->start == WR_KAFKA_START_GROUP || spec->start == WR_KAFKA_START_SPECIFIC ||
         spec->bound == WR_KAFKA_BOUND_GROUP)) {
        committed = part_list(src, RD_KAFKA_OFFSET_INVALID);
        code = rd_kafka_committed(src->rk, committed, KAFKA_CALL_MS);
    }
    if (code == 0 && spec->start == WR_KAFKA_START_TIMESTAMP && n > 0) {
        by_time = part_list(src, spec->start_ms);
        code = rd_kafka_offsets_for_times(src->rk, by_time, KAFKA_CALL_MS);
    }
    if (code == 0 && spec->bound == WR_KAFKA_BOUND_TIMESTAMP && n > 0) {
        stop_time = part_list(src, spec->bound_ms);
        code = rd_kafka_offsets_for_times(src->rk, stop_time, KAFKA_CALL_MS);
    }
    int rc = code ? start_failed(src, "look up offsets", code, ready, err) : 0;
    for (int i = 0; i < n && rc == 0 && *ready; i++) {
        kpart *p = &src->parts[i];
        const kpart *r = find_restored(src, p);
        int64_t done_at = committed ? committed->elems[i].offset : RD_KAFKA_OFFSET_INVALID;
        if (r) {
            p->next = r->next;
        } else if (src->restored_complete) {
            p->next = low[i];
            if (spec->bound != WR_KAFKA_BOUND_NONE) {
                p->stop = p->next;
                continue;
            }
        } else {
            switch (spec->start) {
            case WR_KAFKA_START_EARLIEST:
                p->next = low[i];
                break;
            case WR_KAFKA_START_LATEST:
                p->next = high[i];
                break;
            case WR_KAFKA_START_TIMESTAMP:
                /* No record at or after the time: start at the end, as Flink. */
                p->next = by_time->elems[i].offset >= 0 ? by_time->elems[i].offset : high[i];
                break;
            case WR_KAFKA_START_SPECIFIC: {
                /* A partition not listed starts at the group's offset, else the earliest. */
                const wr_kafka_offset *o =
                    find_offset(spec->start_offsets, spec->nstart_offsets, p->partition);
                p->next = o ? o->offset : done_at >= 0 ? done_at : low[i];
                break;
            }
            case WR_KAFKA_START_GROUP:
                if (done_at >= 0)
                    p->next = done_at;
                else if (spec->reset == WR_KAFKA_RESET_EARLIEST)
                    p->next = low[i];
                else if (spec->reset == WR_KAFKA_RESET_LATEST)
                    p->next = high[i];
                else
                    rc = wr_error_set(err, WR_ERR_RUNTIME,
                                      "kafka source: the group '%s' has no committed offset for "
                                      "topic '%s', partition %d; set "
                                      "'properties.auto.offset.reset' ('earliest' or 'latest') "
                                      "or another 'scan.startup.mode'",
                                      wr_kafka_props_get(&spec->props, "group.id"), p->topic,
                                      (int)p->partition);
                break;
            }
        }
        if (rc) break;
        if (r && r->stop != NO_STOP && spec->bound != WR_KAFKA_BOUND_NONE) {
            p->stop = r->stop;
            continue;
        }
        switch (spec->bound) {
        case WR_KAFKA_BOUND_NONE:
            p->stop = NO_STOP;
            break;
        case WR_KAFKA_BOUND_LATEST:
            p->stop = high[i];
            break;
        case WR_KAFKA_BOUND_TIMESTAMP:
            p->stop = stop_time->elems[i].offset >= 0 ? stop_time->elems[i].offset : high[i];
            break;
        case WR_KAFKA_BOUND_SPECIFIC: {
            /* A partition not listed is not read, as Flink. */
            const wr_kafka_offset *o =
                find_offset(spec->bound_offsets, spec->nbound_offsets, p->partition);
            p->stop = o ? o->offset : p->next;
            break;
        }
        case WR_KAFKA_BOUND_GROUP:
            if (done_at < 0)
                rc = wr_error_set(err, WR_ERR_RUNTIME,
                                  "kafka source: scan.bounded.mode 'group-offsets': the group "
                                  "'%s' has no committed offset for topic '%s', partition %d",
                                  wr_kafka_props_get(&spec->props, "group.id"), p->topic,
                                  (int)p->partition);
            p->stop = done_at;
            break;
        }
    }
    if (committed) rd_kafka_topic_partition_list_destroy(committed);
    if (by_time) rd_kafka_topic_partition_list_destroy(by_time);
    if (stop_time) rd_kafka_topic_partition_list_destroy(stop_time);
    return rc;
}

/*
 * Lists and resolves this subtask's partitions and assigns them to the
 * consumer. Each call makes one attempt (a few blocking broker calls of at
 * most KAFKA_CALL_MS); *ready is false when it must be called again.
 */
static int start(kafka_source *src, bool *ready, wr_error *err)
{
    *ready = true;
    int64_t began = wr_clock_mono_ns();
    int rc = list_partitions(src, ready, err);
    if (rc == 0 && *ready) rc = resolve_offsets(src, ready, err);
    if (rc || !*ready) {
        for (int i = 0; i < src->nparts; i++) wr_free(src->parts[i].topic);
        src->nparts = 0;
        return rc;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(src->nparts);
    for (int i = 0; i < src->nparts; i++) {
        kpart *p = &src->parts[i];
        if (p->next >= p->stop) {
            p->done = true;
            src->ndone++;
            continue;
        }
        rd_kafka_topic_partition_list_add(list, p->topic, p->partition)->offset = p->next;
    }
    rd_kafka_resp_err_t code = rd_kafka_assign(src->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (code)
        return wr_error_set(err, WR_ERR_RUNTIME, "kafka source: cannot assign partitions: %s",
                            rd_kafka_err2str(code));
    for (int i = 0; i < src->nrestored; i++) wr_free(src->restored[i].topic);
    wr_free(src->restored);
    src->restored = NULL;
    src->nrestored = 0;
    src->started = true;
    int64_t now = wr_clock_mono_ns();
    for (int i = 0; i < src->nparts; i++) src->parts[i].last_ns = now;
    src->start_ms = (now - began) / 1000000;
    return 0;
}

/* ---- records ---------------------------------------------------------------------- */

/* The part a record belongs to, or NULL. Records come in runs of one partition. */
static kpart *find_part(kafka_source *src, const rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    for (int k = 0; k < src->nparts; k++) {
        int i = (src->last + k) % src->nparts;
        kpart *p = &src->parts[i];
        if (p->partition == m->partition && strcmp(p->topic, topic) == 0) {
            src->last = i;
            return p;
        }
    }
    return NULL;
}

/* A bounded partition reached its end: stop fetching it. */
static void part_done(kafka_source *src, kpart *p)
{
    if (p->done) return;
    p->done = true;
    src->ndone++;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, p->topic, p->partition);
    rd_kafka_pause_partitions(src->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
}

/* A raw key or value: the bytes of the one column, NULL for no bytes. */
static int decode_raw(const wr_kafka_format *f, const void *data, size_t len, wr_batch *batch,
                      wr_error *err)
{
    int row = batch->count;
    if (data == NULL) {
        if (!f->schema->types[0].nullable)
            return wr_error_set(err, WR_ERR_PARSE, "column '%s' is NOT NULL, the record has none",
                                f->schema->names[0]);
        wr_batch_set_null(batch, 0, row);
    } else {
        wr_vector *v = &batch->cols[0];
        ((wr_str *)v->data)[row] = wr_batch_str(batch, data, len);
        if (v->validity) wr_validity_set(v->validity, row, true);
    }
    batch->count++;
    return 0;
}

/*
 * Decodes a key or value into a new row of batch. Returns 0, 1 when the
 * format makes no row of it (a JSON null or blank, a CSV comment, no bytes),
 * or WR_ERR_PARSE.
 */
static int decode(const wr_kafka_format *f, const void *data, size_t len, wr_batch *batch,
                  wr_error *err)
{
    if (f->kind == WR_KAFKA_FORMAT_RAW) return decode_raw(f, data, len, batch, err);
    if (data == NULL) return 1;
    if (f->kind == WR_KAFKA_FORMAT_AVRO) return wr_avro_decode(f->schema, data, len, batch, err);
    const char *text = data;
    if (f->kind == WR_KAFKA_FORMAT_JSON) {
        int rc = wr_json_decode(&f->json, f->schema, text, len, batch, err);
        return rc == WR_JSON_SKIPPED ? 1 : rc;
    }
    /* A record is one CSV line; producers often end it with a newline. */
    if (len && text[len - 1] == '\n') len--;
    if (len && text[len - 1] == '\r') len--;
    int rc = wr_csv_decode(&f->csv, f->schema, text, len, batch, err);
    return rc == WR_CSV_SKIPPED ? 1 : rc;
}

/*
 * Decodes a change event (debezium-json, canal-json) into rows with their
 * kinds. A record may hold more rows than the batch has room for (a canal
 * message of many rows, an update's two rows in the last slot): the full
 * batch is emitted and decoding goes on in the emptied one, within this
 * run, so a checkpoint never falls inside a record. Returns as decode, or
 * an emit's error.
 */
static void add_metadata(kafka_source *src, const rd_kafka_message_t *m);

static int decode_changes(kafka_source *src, const char *text, size_t len, wr_error *err)
{
    const wr_kafka_format *f = &src->spec->value;
    if (text == NULL) return 1; /* a tombstone (Debezium writes one after a delete) */
    int next = 0, rc;
    for (;;) {
        rc = f->kind == WR_KAFKA_FORMAT_DEBEZIUM_JSON
                 ? wr_debezium_decode(&f->debezium, f->schema, text, len, src->batch, err)
                 : wr_canal_decode(&f->canal, f->schema, text, len, &next, src->batch, err);
        if (rc != WR_CHANGELOG_FULL) break;
        /* Rows make an idle output active again (watermarks follow at the end of the run). */
        if (src->mb) add_metadata(src, src->msg);
        if ((rc = wr_op_emit_idle(src->base.ctx, false, err))) return rc;
        if ((rc = wr_op_emit(src->base.ctx, project(src), err))) return rc;
        wr_batch_reset(src->batch);
        if (src->mb) wr_batch_reset(src->mb);
        src->flushes++;
    }
    return rc == WR_JSON_SKIPPED ? 1 : rc;
}

/* A key without bytes (or a JSON null): every key column NULL, unless one is NOT NULL. */
static int null_key(const wr_kafka_format *f, wr_batch *batch, wr_error *err)
{
    for (int c = 0; c < f->schema->ncols; c++)
        if (!f->schema->types[c].nullable)
            return wr_error_set(err, WR_ERR_PARSE,
                                "the record has no key, but key column '%s' is NOT NULL",
                                f->schema->names[c]);
    for (int c = 0; c < f->schema->ncols; c++) wr_batch_set_null(batch, c, batch->count);
    batch->count++;
    return 0;
}

/*
 * Decodes a record into a row. Returns 0 (row added), 1 (no row), or
 * WR_ERR_PARSE with *failed the format that failed.
 */
static int decode_record(kafka_source *src, const rd_kafka_message_t *m,
                         const wr_kafka_format **failed, wr_error *err)
{
    const wr_kafka_source_spec *spec = src->spec;
    *failed = &spec->value;
    if (wr_kafka_format_is_changelog(spec->value.kind))
        return decode_changes(src, m->payload, m->len, err);
    if (!split_rows(spec)) return decode(&spec->value, m->payload, m->len, src->batch, err);
    *failed = &spec->key;
    int rc = m->key ? decode(&spec->key, m->key, m->key_len, src->kb, err) : 1;
    if (rc == 1) rc = null_key(&spec->key, src->kb, err);
    if (rc) return rc;
    *failed = &spec->value;
    if (spec->upsert && m->payload == NULL) { /* a tombstone: -D of the key */
        for (int c = 0; c < src->vb->ncols; c++) wr_batch_set_null(src->vb, c, src->vb->count);
        wr_batch_kinds(src->batch)[src->vb->count++] = WR_KIND_DELETE;
        return 0;
    }
    rc = decode(&spec->value, m->payload, m->len, src->vb, err);
    if (rc) src->kb->count--; /* no value row: drop the key row too */
    if (rc == 0 && spec->upsert)
        wr_batch_kinds(src->batch)[src->vb->count - 1] = WR_KIND_UPDATE_AFTER;
    return rc;
}

/*
 * The error for a record that does not decode: the decoder's message, with
 * the topic, partition and offset, and the start of the bytes that failed
 * (the key's when the key failed).
 */
static int bad_record(const rd_kafka_message_t *m, bool key, wr_error *err)
{
    const unsigned char *b = key ? m->key : m->payload;
    size_t len = key ? m->key_len : m->len;
    wr_buf text;
    wr_buf_init(&text);
    wr_buf_printf(&text, "kafka source: topic '%s', partition %d, offset %lld: %s%s; %s: ",
                  rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset,
                  key ? "key: " : "", err->msg, key ? "key" : "record");
    if (b == NULL) {
        wr_buf_puts(&text, "null");
    } else {
        size_t n = WR_MIN(len, (size_t)KAFKA_SHOW_BYTES);
        wr_buf_putc(&text, '\'');
        for (size_t i = 0; i < n; i++) {
            if (b[i] >= 0x20 && b[i] < 0x7f)
                wr_buf_putc(&text, (char)b[i]);
            else
                wr_buf_printf(&text, "\\x%02x", b[i]);
        }
        wr_buf_putc(&text, '\'');
        if (len > n) wr_buf_printf(&text, "... (%zu bytes)", len);
    }
    wr_error_set(err, WR_ERR_RUNTIME, "%s", text.data);
    wr_buf_fini(&text);
    return WR_ERR_RUNTIME;
}

/* Errors the consumer cannot recover from by retrying; the others it rides out. */
static bool consumer_error_is_fatal(rd_kafka_resp_err_t code)
{
    switch (code) {
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
        return true;
    default:
        return false;
    }
}

/* librdkafka's name of a timestamp's type, as Java's TimestampType prints it. */
static const char *timestamp_type_name(rd_kafka_timestamp_type_t type)
{
    switch (type) {
    case RD_KAFKA_TIMESTAMP_CREATE_TIME:
        return "CreateTime";
    case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME:
        return "LogAppendTime";
    default:
        return "NoTimestampType";
    }
}

/*
 * The record's headers as a MAP<STRING, BYTES> value in the metadata batch's strings:
 * in the record's order, a repeated name keeping its last value (as Flink's map of them).
 */
static wr_str headers_value(wr_batch *mb, const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *hdrs = NULL;
    size_t n = 0;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
        n = rd_kafka_header_cnt(hdrs);
    wr_str *keys = wr_malloc((n ? n : 1) * 2 * sizeof(wr_str)), *values = keys + (n ? n : 1);
    bool *present = wr_malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        const void *val;
        size_t size;
        rd_kafka_header_get_all(hdrs, i, &name, &val, &size);
        keys[i] = (wr_str){name, (uint32_t)strlen(name)};
        values[i] = (wr_str){val, (uint32_t)size};
        present[i] = val != NULL;
    }
    wr_type type = wr_kafka_metadata[WR_KAFKA_META_HEADERS].type;
    uint32_t count = wr_map_dedup(type, (uint32_t)n, keys, NULL, values, present);
    wr_buf buf;
    wr_buf_init(&buf);
    wr_map_encode(&buf, type, count, keys, NULL, values, present);
    wr_str v = wr_batch_str(mb, buf.data, buf.len);
    wr_buf_fini(&buf);
    wr_free(keys);
    wr_free(present);
    return v;
}

/*
 * The scan's metadata of record m into the metadata batch, for each of the rows its
 * decoding added: the decoded rows that have none yet (every value NOT NULL). A record without a
 * timestamp reads as the epoch, with timestamp-type 'NoTimestampType'.
 */
static void add_metadata(kafka_source *src, const rd_kafka_message_t *m)
{
    const wr_kafka_source_spec *spec = src->spec;
    wr_batch *mb = src->mb;
    const wr_batch *rows = src->vb ? src->vb : src->batch;
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    if (ts < 0) ts = 0;
    while (mb->count < rows->count) {
        int row = mb->count++;
        for (int i = 0; i < spec->nmeta; i++) {
            void *data = mb->cols[i].data;
            const char *s;
            switch (spec->meta[i]) {
            case WR_KAFKA_META_TOPIC:
                s = rd_kafka_topic_name(m->rkt);
                ((wr_str *)data)[row] = wr_batch_str(mb, s, strlen(s));
                break;
            case WR_KAFKA_META_PARTITION:
                ((int32_t *)data)[row] = m->partition;
                break;
            case WR_KAFKA_META_OFFSET:
                ((int64_t *)data)[row] = m->offset;
                break;
            case WR_KAFKA_META_TIMESTAMP:
                ((int64_t *)data)[row] = ts * 1000; /* microseconds */
                break;
            case WR_KAFKA_META_TIMESTAMP_TYPE:
                s = timestamp_type_name(tstype);
                ((wr_str *)data)[row] = wr_batch_str(mb, s, strlen(s));
                break;
            case WR_KAFKA_META_HEADERS:
                ((wr_str *)data)[row] = headers_value(mb, m);
                break;
            }
        }
    }
}

/* Takes one message of the consumer: a record, the end of a partition, or an error. */
static int take_message(kafka_source *src, const rd_kafka_message_t *m, wr_error *err)
{
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        /* The end of what the partition holds: past stop (a gap, such as a transaction's
         * commit marker, may have hidden the last offset before it). */
        kpart *p = m->rkt ? find_part(src, m) : NULL;
        if (p && m->offset >= p->stop) part_done(src, p);
        return 0;
    }
    if (m->err) {
        if (!consumer_error_is_fatal(m->err)) return 0;
        return wr_error_set(err, WR_ERR_RUNTIME, "kafka source: %s%s%s: %s", m->rkt ? "topic " : "",
                            m->rkt ? rd_kafka_topic_name(m->rkt) : "", m->rkt ? "" : "consumer",
                            rd_kafka_message_errstr(m));
    }
    kpart *p = find_part(src, m);
    if (p == NULL || p->done || m->offset < p->next) return 0;
    if (m->offset >= p->stop) {
        part_done(src, p);
        return 0;
    }
    const wr_kafka_format *failed;
    const wr_batch *rows = src->vb ? src->vb : src->batch;
    int before = rows->count;
    int64_t flushes = src->flushes;
    src->msg = m;
    int rc = decode_record(src, m, &failed, err);
    if (rc < 0 && rc != WR_ERR_PARSE) return rc; /* an emit's error (decode_changes) */
    if (src->mb) add_metadata(src, m);
    if (src->row_part) {
        /* Every row the record added (a change event may add several, after emitting a
         * full batch: then from the top of the emptied one). */
        p->last_ns = wr_clock_mono_ns();
        for (int r = flushes == src->flushes ? before : 0; r < rows->count; r++)
            src->row_part[r] = (int)(p - src->parts);
    }
    if (rc < 0) {
        if (!wr_kafka_format_ignores_errors(failed))
            return bad_record(m, failed == &src->spec->key, err);
        src->skipped++;
        src->base.ctx->records_in_errors++;
    }
    p->next = m->offset + 1;
    if (p->next >= p->stop) part_done(src, p);
    return 0;
}

/* Split decoding: the output's columns are views of the key and value rows. */
static void assemble(kafka_source *src)
{
    wr_batch *batch = src->batch;
    batch->count = src->vb->count;
    for (int c = 0; c < batch->ncols; c++) {
        const wr_batch *from = src->col_side[c] ? src->kb : src->vb;
        const wr_vector *v = &from->cols[src->col_index[c]];
        batch->cols[c].data = v->data;
        batch->cols[c].validity = v->validity;
    }
}

/* ---- watermarks (pushed down: wr_scan_request.watermark) ---------------------------- */

/* Microseconds to whole milliseconds, rounding toward the past. */
static int64_t floor_ms(int64_t us)
{
    return us / 1000 - (us % 1000 < 0);
}

/*
 * Evaluates the watermark expression over the decoded rows (the table's
 * columns) and raises each partition's watermark by its own rows: a
 * partition far ahead in event time no longer pushes the subtask's watermark
 * past the rows of a slow one. Rows whose expression is NULL do not move it.
 */
static int part_watermarks(kafka_source *src, wr_error *err)
{
    wr_batch *batch = src->batch;
    int n = wr_batch_rows(batch);
    if (n == 0) return 0;
    wr_arena_reset(&src->arena);
    wr_eval ev = {&src->arena, batch->count};
    wr_vector v;
    int rc = wr_expr_eval(&ev, src->spec->watermark, batch, batch->sel, n, &v, err);
    if (rc) return rc;
    const int64_t *us = v.data;
    for (int i = 0; i < n; i++) {
        int r = wr_batch_row(batch, i);
        if (wr_vector_is_null(&v, r)) continue;
        kpart *p = &src->parts[src->row_part[r]];
        int64_t ms = floor_ms(us[r]);
        if (ms > p->wm_ms) p->wm_ms = ms;
    }
    return 0;
}

/*
 * The subtask's watermark, at most once per run(): the minimum over its
 * partitions that are neither finished nor idle (no record for
 * idle_timeout_ms). When every partition is idle, the smallest watermark
 * they reached is emitted (nothing older can come without a record that
 * makes its partition active again) and the output is marked idle, so
 * downstream operators do not wait for this subtask; a subtask without
 * partitions is idle from the start.
 */
static int emit_watermark(kafka_source *src, wr_error *err)
{
    wr_op_ctx *ctx = src->base.ctx;
    int64_t idle_ns = src->spec->idle_timeout_ms * 1000000LL, now = wr_clock_mono_ns();
    int64_t active_min = INT64_MAX, idle_min = INT64_MAX;
    int nactive = 0, nlive = 0;
    for (int i = 0; i < src->nparts; i++) {
        const kpart *p = &src->parts[i];
        if (p->done) continue;
        nlive++;
        if (idle_ns > 0 && now - p->last_ns >= idle_ns) {
            if (p->wm_ms != WR_WATERMARK_MIN) idle_min = WR_MIN(idle_min, p->wm_ms);
            continue;
        }
        nactive++;
        active_min = WR_MIN(active_min, p->wm_ms);
    }
    if (nactive > 0)
        return active_min == WR_WATERMARK_MIN ? 0 : wr_op_emit_watermark(ctx, active_min, err);
    if (nlive == 0 && src->nparts > 0) return 0; /* bounded and finished: the end follows */
    int rc = idle_min != INT64_MAX ? wr_op_emit_watermark(ctx, idle_min, err) : 0;
    return rc ? rc : wr_op_emit_idle(ctx, true, err);
}

static int ks_run(wr_operator *op, wr_source_status *status, wr_error *err)
{
    kafka_source *src = (kafka_source *)op;
    const wr_kafka_source_spec *spec = src->spec;
    bool bounded = spec->bound != WR_KAFKA_BOUND_NONE;
    if (src->finished) {
        *status = WR_SOURCE_END;
        return 0;
    }
    if (!src->started) {
        bool ready;
        int rc = start(src, &ready, err);
        if (rc) return rc;
        if (!ready) {
            *status = WR_SOURCE_IDLE;
            op->ctx->idle_until_ns = wr_clock_mono_ns() + 100 * 1000000LL;
            return 0;
        }
    }
    wr_batch_reset(src->batch);
    if (src->mb) wr_batch_reset(src->mb);
    if (src->kb) {
        wr_batch_reset(src->kb);
        wr_batch_reset(src->vb);
    }
    wr_batch *rows = src->vb ? src->vb : src->batch;
    int taken = 0;
    while (rows->count < rows->capacity && taken < KAFKA_RUN_RECORDS &&
           !(bounded && src->ndone == src->nparts)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(src->rk, 0);
        if (m == NULL) break;
        taken++;
        int rc = take_message(src, m, err);
        rd_kafka_message_destroy(m);
        if (rc) return rc;
    }
    if (src->kb) assemble(src);
    if (src->spec->watermark) {
        int rc = part_watermarks(src, err);
        if (rc) return rc;
    }
    if (bounded && src->ndone == src->nparts)
        *status = WR_SOURCE_END;
    else if (taken == 0) {
        *status = WR_SOURCE_IDLE;
        op->ctx->idle_until_ns = wr_clock_mono_ns() + KAFKA_IDLE_NS;
    } else
        *status = WR_SOURCE_MORE;
    if (spec->watermark == NULL) return wr_op_emit(op->ctx, project(src), err);
    /* Rows make an idle output active again; the watermark follows the rows that raised it. */
    int rc = wr_batch_rows(src->batch) ? wr_op_emit_idle(op->ctx, false, err) : 0;
    if (rc == 0) rc = wr_op_emit(op->ctx, project(src), err);
    return rc ? rc : emit_watermark(src, err);
}

/* ---- checkpoints ------------------------------------------------------------------ */

static int ks_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    kafka_source *src = (kafka_source *)op;
    wr_buf *buf = wr_snapshot_add(out, -1);
    if (!src->started) {
        /* Not started yet: what it was restored with (maybe nothing) is still its position. */
        put_parts(buf, src->nrestored > 0 && src->restored_complete, src->restored, src->nrestored);
        return 0;
    }
    put_parts(buf, true, src->parts, src->nparts);
    if (!src->spec->has_group || !src->spec->commit_offsets || src->nparts == 0) return 0;
    if (src->npending == KAFKA_MAX_PENDING_COMMITS) {
        rd_kafka_topic_partition_list_destroy(src->pending[0].offsets);
        memmove(src->pending, src->pending + 1, (size_t)(--src->npending) * sizeof(pending_commit));
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(src->nparts);
    for (int i = 0; i < src->nparts; i++)
        rd_kafka_topic_partition_list_add(list, src->parts[i].topic, src->parts[i].partition)
            ->offset = src->parts[i].next;
    src->pending[src->npending++] = (pending_commit){.checkpoint = checkpoint, .offsets = list};
    return 0;
}

/*
 * The checkpoint's offsets go to the group, asynchronously: Weir restores
 * from its checkpoints, the group's offsets only inform others (lag
 * monitoring, a later 'group-offsets' start). A failed commit is ignored.
 */
static int ks_checkpoint_done(wr_operator *op, int64_t checkpoint, wr_error *err)
{
    kafka_source *src = (kafka_source *)op;
    int upto = -1;
    for (int i = 0; i < src->npending; i++)
        if (src->pending[i].checkpoint <= checkpoint) upto = i;
    if (upto < 0) return 0;
    rd_kafka_commit(src->rk, src->pending[upto].offsets, 1);
    for (int i = 0; i <= upto; i++) rd_kafka_topic_partition_list_destroy(src->pending[i].offsets);
    src->npending -= upto + 1;
    memmove(src->pending, src->pending + upto + 1, (size_t)src->npending * sizeof(pending_commit));
    return 0;
}
