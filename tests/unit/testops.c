/*
 * testops.c — operators for runtime tests; see testops.h.
 */
#include "testops.h"
#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"

#include <string.h>

static const wr_type two_bigints[2] = {{WR_TYPE_BIGINT, false, 0, 0},
                                       {WR_TYPE_BIGINT, false, 0, 0}};

typedef struct src_op {
    wr_operator base;
    const test_source_spec *spec;
    int64_t start, next, end;
    wr_batch *out;
} src_op;

static const wr_operator_ops src_ops;

static wr_operator *src_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const test_source_spec *spec = p;
    src_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &src_ops;
    op->spec = spec;
    op->start = op->next = spec->rows * ctx->subtask / ctx->parallelism;
    /* Restored: continue after the rows emitted before the checkpoint. */
    for (int i = 0; ctx->restore && i < ctx->restore->nparts; i++) {
        int64_t emitted;
        memcpy(&emitted, ctx->restore->parts[i]->data.data, sizeof(emitted));
        op->next = op->start + emitted;
    }
    op->end = spec->rows * (ctx->subtask + 1) / ctx->parallelism;
    op->out = wr_batch_new(two_bigints, 2, WR_BATCH_CAPACITY);
    return &op->base;
}

static int src_run(wr_operator *base, wr_source_status *status, wr_error *err)
{
    src_op *op = (src_op *)base;
    if (op->next >= op->end && op->spec->hold && atomic_load(op->spec->hold)) {
        if (op->spec->hold_idle) {
            base->ctx->idle_until_ns = wr_clock_mono_ns() + 5000000;
            *status = WR_SOURCE_IDLE;
        } else {
            wr_clock_sleep_ns(1000000);
            *status = WR_SOURCE_MORE;
        }
        return 0;
    }
    if (op->next >= op->end) {
        *status = WR_SOURCE_END;
        return 0;
    }
    wr_batch_reset(op->out);
    int n = (int)WR_MIN(WR_BATCH_CAPACITY, op->end - op->next);
    int64_t *k = op->out->cols[0].data, *v = op->out->cols[1].data;
    for (int i = 0; i < n; i++) {
        k[i] = (op->next + i) % op->spec->nkeys;
        v[i] = op->next + i;
    }
    op->out->count = n;
    op->next += n;
    if (op->spec->emitted_batches) atomic_fetch_add(op->spec->emitted_batches, 1);
    *status = WR_SOURCE_MORE;
    return wr_op_emit(base->ctx, op->out, err);
}

/* Operator state: how many rows this subtask emitted before the barrier. */
static int src_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    src_op *op = (src_op *)base;
    int64_t emitted = op->next - op->start;
    wr_buf_append(wr_snapshot_add(out, -1), &emitted, sizeof(emitted));
    return 0;
}

static void src_destroy(wr_operator *base)
{
    wr_batch_free(((src_op *)base)->out);
    wr_free(base);
}

static const wr_operator_ops src_ops = {.kind = "test-source",
                                        .create = src_create,
                                        .run = src_run,
                                        .snapshot = src_snapshot,
                                        .destroy = src_destroy};

wr_operator_spec test_source(test_source_spec *spec)
{
    wr_operator_spec s = {&src_ops, spec, NULL, -1, true};
    return s;
}

typedef struct sink_op {
    wr_operator base;
    test_sink_state *st;
    int64_t received; /* rows this instance received */
} sink_op;

static const wr_operator_ops sink_ops;

static wr_operator *sink_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    sink_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &sink_ops;
    op->st = (test_sink_state *)p;
    return &op->base;
}

static int sink_process(wr_operator *base, int input, wr_batch *b, wr_error *err)
{
    test_sink_state *st = ((sink_op *)base)->st;
    if (st->emitted_batches) {
        long in_flight = atomic_load(st->emitted_batches) - atomic_load(&st->consumed_batches);
        pthread_mutex_lock(&st->lock);
        if (in_flight > st->max_in_flight) st->max_in_flight = in_flight;
        pthread_mutex_unlock(&st->lock);
    }
    if (st->sleep_us_per_batch) wr_clock_sleep_ns(st->sleep_us_per_batch * 1000);
    pthread_mutex_lock(&st->lock);
    int n = wr_batch_rows(b);
    if (st->n + n > st->cap) {
        st->cap = (st->n + n) * 2;
        st->subtask = wr_realloc(st->subtask, (size_t)st->cap * sizeof(int));
        st->key = wr_realloc(st->key, (size_t)st->cap * sizeof(int64_t));
        st->value = wr_realloc(st->value, (size_t)st->cap * sizeof(int64_t));
    }
    for (int i = 0; i < n; i++) {
        int r = wr_batch_row(b, i);
        st->subtask[st->n] = base->ctx->subtask;
        st->key[st->n] = ((int64_t *)b->cols[0].data)[r];
        st->value[st->n] = ((int64_t *)b->cols[1].data)[r];
        st->n++;
    }
    int64_t seen = st->n;
    ((sink_op *)base)->received += n;
    bool fail = st->fail_after_rows > 0 && seen >= st->fail_after_rows &&
                !(st->fail_once && st->has_failed);
    if (fail) st->has_failed = true;
    pthread_mutex_unlock(&st->lock);
    atomic_fetch_add(&st->consumed_batches, 1);
    if (fail)
        return wr_error_set(err, WR_ERR_RUNTIME, "test sink gave up after %lld rows",
                            (long long)seen);
    return 0;
}

/* Operator state: how many rows this instance received before the barrier. */
static int sink_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    int64_t received = ((sink_op *)base)->received;
    wr_buf_append(wr_snapshot_add(out, -1), &received, sizeof(received));
    if (((sink_op *)base)->st->fail_snapshot)
        return wr_error_set(err, WR_ERR_IO, "test sink could not pre-commit");
    return 0;
}

static int sink_checkpoint_done(wr_operator *base, int64_t checkpoint, wr_error *err)
{
    atomic_fetch_add(&((sink_op *)base)->st->checkpoints_done, 1);
    return 0;
}

static void sink_destroy(wr_operator *base)
{
    wr_free(base);
}

static const wr_operator_ops sink_ops = {.kind = "test-sink",
                                         .create = sink_create,
                                         .process = sink_process,
                                         .snapshot = sink_snapshot,
                                         .checkpoint_done = sink_checkpoint_done,
                                         .destroy = sink_destroy};

wr_operator_spec test_sink(test_sink_state *state)
{
    wr_operator_spec s = {&sink_ops, state, NULL, -1, false};
    return s;
}

void test_sink_init(test_sink_state *st)
{
    memset(st, 0, sizeof(*st));
    pthread_mutex_init(&st->lock, NULL);
    atomic_init(&st->consumed_batches, 0);
    atomic_init(&st->checkpoints_done, 0);
}

void test_sink_fini(test_sink_state *st)
{
    wr_free(st->subtask);
    wr_free(st->key);
    wr_free(st->value);
    pthread_mutex_destroy(&st->lock);
}

wr_jobgraph *test_pipeline(test_source_spec *src, test_sink_state *sink, int ps, int pk,
                           wr_partition part, int *sink_vertex)
{
    wr_jobgraph *g = wr_jobgraph_new("test");
    wr_operator_spec s = test_source(src), k = test_sink(sink);
    s.parallelism = ps;
    k.parallelism = pk;
    int a = wr_jobgraph_add(g, "source", &s, two_bigints, 2);
    int b = wr_jobgraph_add(g, "sink", &k, two_bigints, 2);
    int key = 0;
    wr_jobgraph_connect(g, a, b, part, &key, part == WR_PART_HASH ? 1 : 0);
    if (sink_vertex) *sink_vertex = b;
    return g;
}
