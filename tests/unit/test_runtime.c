/*
 * test_runtime.c — the runtime: partitioning, chaining, backpressure,
 * completion, failure, cancellation and mail.
 */
#include "testops.h"
#include "../../src/base/clock.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Runs g to completion, with one option set when extra_key is given. */
static int run_graph(wr_jobgraph *g, const char *extra_key, const char *extra_value,
                     wr_job_stats *stats, wr_error *err)
{
    wr_config cfg;
    wr_config_init(&cfg);
    if (extra_key) wr_config_set(&cfg, extra_key, extra_value, -1, -1);
    wr_job *job = wr_job_start(g, &cfg, err);
    wr_config_fini(&cfg);
    if (job == NULL) return err->code;
    int rc = wr_job_wait(job, -1, err);
    if (stats) wr_job_stats_get(job, stats);
    wr_job_free(job);
    return rc;
}

/* source(par_src) -> sink(par_sink) over `part`; runs to completion. */
static int run_pipeline(test_source_spec *src, test_sink_state *sink, int par_src, int par_sink,
                        wr_partition part, const char *extra_key, const char *extra_value,
                        wr_job_stats *stats, wr_error *err)
{
    return run_graph(test_pipeline(src, sink, par_src, par_sink, part, NULL), extra_key,
                     extra_value, stats, err);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

Test(runtime, hash_partitioning_sends_each_key_to_one_subtask)
{
    test_source_spec src = {.rows = 20000, .nkeys = 97};
    test_sink_state sink;
    test_sink_init(&sink);
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run_pipeline(&src, &sink, 3, 4, WR_PART_HASH, NULL, NULL, NULL, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(sink.n, 20000);
    int owner[97];
    memset(owner, -1, sizeof(owner));
    int used[4] = {0};
    for (int64_t i = 0; i < sink.n; i++) {
        int k = (int)sink.key[i];
        if (owner[k] < 0) owner[k] = sink.subtask[i];
        cr_assert_eq(owner[k], sink.subtask[i], "key %d reached subtasks %d and %d", k, owner[k],
                     sink.subtask[i]);
        used[sink.subtask[i]] = 1;
    }
    for (int s = 0; s < 4; s++) cr_assert(used[s], "subtask %d got no key", s);
    test_sink_fini(&sink);
}

Test(runtime, every_partitioning_delivers_every_row_once)
{
    wr_partition parts[] = {WR_PART_FORWARD, WR_PART_REBALANCE, WR_PART_HASH};
    for (size_t p = 0; p < 3; p++) {
        test_source_spec src = {.rows = 10007, .nkeys = 13};
        test_sink_state sink;
        test_sink_init(&sink);
        wr_error err;
        wr_error_init(&err);
        int par_sink = parts[p] == WR_PART_FORWARD ? 2 : 3;
        cr_assert_eq(run_pipeline(&src, &sink, 2, par_sink, parts[p], NULL, NULL, NULL, &err), 0,
                     "%s", err.msg);
        cr_assert_eq(sink.n, 10007, "%s delivered %lld rows", wr_partition_name(parts[p]),
                     (long long)sink.n);
        qsort(sink.value, (size_t)sink.n, sizeof(int64_t), cmp_i64);
        for (int64_t i = 0; i < sink.n; i++) cr_assert_eq(sink.value[i], i);
        test_sink_fini(&sink);
    }
}

Test(runtime, rebalance_spreads_rows_evenly)
{
    test_source_spec src = {.rows = 900, .nkeys = 1};
    test_sink_state sink;
    test_sink_init(&sink);
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run_pipeline(&src, &sink, 1, 3, WR_PART_REBALANCE, NULL, NULL, NULL, &err), 0);
    int per[3] = {0};
    for (int64_t i = 0; i < sink.n; i++) per[sink.subtask[i]]++;
    for (int s = 0; s < 3; s++) cr_assert_eq(per[s], 300);
    test_sink_fini(&sink);
}

Test(runtime, broadcast_copies_every_row_to_every_subtask)
{
    test_source_spec src = {.rows = 500, .nkeys = 1};
    test_sink_state sink;
    test_sink_init(&sink);
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(run_pipeline(&src, &sink, 1, 3, WR_PART_BROADCAST, NULL, NULL, NULL, &err), 0);
    cr_assert_eq(sink.n, 1500);
    test_sink_fini(&sink);
}

Test(runtime, forward_edges_of_equal_parallelism_are_chained)
{
    test_source_spec src = {.rows = 5000, .nkeys = 5};
    test_sink_state sink;
    test_sink_init(&sink);
    wr_error err;
    wr_error_init(&err);
    wr_job_stats stats;
    cr_assert_eq(run_pipeline(&src, &sink, 2, 2, WR_PART_FORWARD, NULL, NULL, &stats, &err), 0);
    cr_assert_eq(stats.ntasks, 2, "source and sink should share a task per subtask");
    cr_assert_eq(stats.nchannels, 0);
    test_sink_fini(&sink);

    test_sink_init(&sink);
    cr_assert_eq(run_pipeline(&src, &sink, 2, 2, WR_PART_FORWARD, "pipeline.operator-chaining",
                              "false", &stats, &err),
                 0);
    cr_assert_eq(stats.ntasks, 4);
    cr_assert_eq(stats.nchannels, 2);
    cr_assert_eq(sink.n, 5000);
    cr_assert_eq(stats.rows_into_sinks, 5000);
    test_sink_fini(&sink);
}

static const wr_type two_bigints[2] = {{WR_TYPE_BIGINT, false, 0, 0},
                                       {WR_TYPE_BIGINT, false, 0, 0}};

/* Two sources (parallelism 2), each forward into its own input of one sink (2); the vertex
 * ids are 0, 1 and 2. */
static wr_jobgraph *two_sources(test_source_spec *a, test_source_spec *b, wr_operator_spec k)
{
    wr_jobgraph *g = wr_jobgraph_new("test");
    wr_operator_spec sa = test_source(a), sb = test_source(b);
    sa.parallelism = sb.parallelism = k.parallelism = 2;
    int va = wr_jobgraph_add(g, "a", &sa, two_bigints, 2);
    int vb = wr_jobgraph_add(g, "b", &sb, two_bigints, 2);
    int vk = wr_jobgraph_add(g, "sink", &k, two_bigints, 2);
    wr_jobgraph_connect(g, va, vk, WR_PART_FORWARD, NULL, 0); /* input 0 */
    wr_jobgraph_connect(g, vb, vk, WR_PART_FORWARD, NULL, 0); /* input 1 */
    return g;
}

Test(runtime, sources_forward_into_a_two_input_operator_run_in_its_task)
{
    for (int chaining = 1; chaining >= 0; chaining--) {
        test_source_spec a = {.rows = 50000, .nkeys = 5}, b = {.rows = 30000, .nkeys = 3};
        test_sink_state sink;
        test_sink_init(&sink);
        wr_error err;
        wr_error_init(&err);
        wr_job_stats stats;
        cr_assert_eq(run_graph(two_sources(&a, &b, test_sink(&sink)), "pipeline.operator-chaining",
                               chaining ? "true" : "false", &stats, &err),
                     0, "%s", err.msg);
        cr_expect_eq(stats.ntasks, chaining ? 2 : 6);
        cr_expect_eq(stats.nchannels, 4);
        /* Fused, a source's batch goes straight to the operator when nothing is queued before
         * it: nothing crosses the channels here but end of input. */
        if (chaining) cr_expect_eq(stats.batches_exchanged, 0);
        cr_assert_eq(sink.n, 80000);
        /* Each source's rows once each, at the subtask of the source that emitted them. */
        int64_t *seen = calloc(50000, sizeof(int64_t));
        for (int64_t i = 0; i < sink.n; i++) {
            int64_t v = sink.value[i];
            cr_assert_lt(v, 50000);
            seen[v]++;
            int subtask_a = v >= 25000, subtask_b = v >= 15000; /* where a and b emit v */
            cr_assert(sink.subtask[i] == subtask_a || (v < 30000 && sink.subtask[i] == subtask_b),
                      "row %lld reached subtask %d", (long long)v, sink.subtask[i]);
        }
        for (int64_t v = 0; v < 50000; v++)
            cr_assert_eq(seen[v], v < 30000 ? 2 : 1, "row %lld", (long long)v);
        free(seen);
        test_sink_fini(&sink);
    }
}

/* Prefers input 1 until it ends, as a hash join its build side, and counts the rows of input 0
 * that arrived before that. */
typedef struct prefer_counts {
    atomic_long early, rows0, rows1;
} prefer_counts;

typedef struct prefer_op {
    wr_operator base;
    prefer_counts *counts;
    bool ended1;
} prefer_op;

static const wr_operator_ops prefer_ops;

static wr_operator *prefer_create(const void *spec, wr_op_ctx *ctx, wr_error *err)
{
    prefer_op *op = calloc(1, sizeof(*op));
    op->base.ops = &prefer_ops;
    op->counts = (prefer_counts *)spec;
    ctx->preferred_input = 1;
    return &op->base;
}

static int prefer_process(wr_operator *base, int input, wr_batch *b, wr_error *err)
{
    prefer_op *op = (prefer_op *)base;
    long n = wr_batch_rows(b);
    atomic_fetch_add(input == 0 ? &op->counts->rows0 : &op->counts->rows1, n);
    if (input == 0 && !op->ended1) atomic_fetch_add(&op->counts->early, n);
    return 0;
}

static int prefer_end_input(wr_operator *base, int input, wr_error *err)
{
    prefer_op *op = (prefer_op *)base;
    if (input == 1) {
        op->ended1 = true;
        base->ctx->preferred_input = -1;
    }
    return 0;
}

static void prefer_destroy(wr_operator *base)
{
    free(base);
}

static const wr_operator_ops prefer_ops = {.kind = "test-prefer",
                                           .create = prefer_create,
                                           .process = prefer_process,
                                           .end_input = prefer_end_input,
                                           .destroy = prefer_destroy};

Test(runtime, a_fused_source_waits_while_its_operator_prefers_another_input)
{
    test_source_spec a = {.rows = 200000, .nkeys = 5}, b = {.rows = 100000, .nkeys = 3};
    prefer_counts counts;
    atomic_init(&counts.early, 0);
    atomic_init(&counts.rows0, 0);
    atomic_init(&counts.rows1, 0);
    wr_operator_spec k = {&prefer_ops, &counts, NULL, -1, false};
    wr_error err;
    wr_error_init(&err);
    wr_job_stats stats;
    cr_assert_eq(run_graph(two_sources(&a, &b, k), NULL, NULL, &stats, &err), 0, "%s", err.msg);
    cr_expect_eq(stats.ntasks, 2);
    cr_expect_eq(atomic_load(&counts.rows0), 200000);
    cr_expect_eq(atomic_load(&counts.rows1), 100000);
    cr_expect_eq(atomic_load(&counts.early), 0, "%ld rows of input 0 came first",
                 atomic_load(&counts.early));
}

Test(runtime, forward_between_different_parallelism_is_rejected)
{
    test_source_spec src = {.rows = 10, .nkeys = 1};
    test_sink_state sink;
    test_sink_init(&sink);
    wr_error err;
    wr_error_init(&err);
    int rc = run_pipeline(&src, &sink, 2, 3, WR_PART_FORWARD, NULL, NULL, NULL, &err);
    cr_assert_eq(rc, WR_ERR_VALIDATION);
    cr_assert(strstr(err.msg, "needs equal parallelism"), "%s", err.msg);
    test_sink_fini(&sink);
}

Test(runtime, backpressure_bounds_batches_in_flight)
{
    /* A fast source and a sink that sleeps per batch: without backpressure the
     * source would run thousands of batches ahead. */
    atomic_long emitted;
    atomic_init(&emitted, 0);
    test_source_spec src = {
        .rows = 300 * WR_BATCH_CAPACITY, .nkeys = 7, .emitted_batches = &emitted};
    test_sink_state sink;
    test_sink_init(&sink);
    sink.sleep_us_per_batch = 300;
    sink.emitted_batches = &emitted;
    wr_error err;
    wr_error_init(&err);
    wr_job_stats stats;
    cr_assert_eq(run_pipeline(&src, &sink, 1, 1, WR_PART_REBALANCE,
                              "taskmanager.network.channel-capacity", "4", &stats, &err),
                 0, "%s", err.msg);
    cr_assert_eq(sink.n, 300 * WR_BATCH_CAPACITY);
    cr_assert_leq(stats.max_channel_depth, 4);
    /* In flight: 4 queued, one being built by the writer, one in the sink, one in the source. */
    cr_assert_leq(sink.max_in_flight, 4 + 3, "source ran %ld batches ahead", sink.max_in_flight);
    test_sink_fini(&sink);
}

Test(runtime, an_operator_error_fails_the_whole_job)
{
    test_source_spec src = {.rows = 1000000, .nkeys = 3};
    test_sink_state sink;
    test_sink_init(&sink);
    sink.fail_after_rows = 5000;
    wr_error err;
    wr_error_init(&err);
    int rc = run_pipeline(&src, &sink, 2, 3, WR_PART_HASH, NULL, NULL, NULL, &err);
    cr_assert_eq(rc, WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "test sink gave up"), "%s", err.msg);
    cr_assert(strstr(err.msg, "operator 'sink'"), "%s", err.msg);
    test_sink_fini(&sink);
}

static void mark(wr_task *task, void *arg)
{
    atomic_store((atomic_int *)arg, 1);
}

Test(runtime, cancel_stops_an_unbounded_job_and_mail_runs)
{
    test_source_spec src = {.rows = INT64_MAX / 2, .nkeys = 3};
    test_sink_state sink;
    test_sink_init(&sink);
    int b;
    wr_jobgraph *g = test_pipeline(&src, &sink, 1, 1, WR_PART_REBALANCE, &b);
    wr_config cfg;
    wr_config_init(&cfg);
    wr_error err;
    wr_error_init(&err);
    wr_job *job = wr_job_start(g, &cfg, &err);
    cr_assert_not_null(job);
    atomic_int ran;
    atomic_init(&ran, 0);
    cr_assert_eq(wr_job_post(job, b, 0, mark, &ran), 0);
    cr_assert_eq(wr_job_wait(job, 200, &err), 1, "an endless job must still run");
    cr_assert_eq(atomic_load(&ran), 1, "mail was not run");
    wr_job_cancel(job);
    cr_assert_eq(wr_job_wait(job, -1, &err), WR_ERR_CANCELLED);
    wr_job_free(job);
    wr_config_fini(&cfg);
    test_sink_fini(&sink);
}

/*
 * A full batch alone in a channel leaves a sleeping consumer asleep for a moment (the next
 * batch usually follows); when none follows, the wake still comes: at once when the producer
 * goes idle, within about a millisecond while it stays busy. The buffer timeout is an hour,
 * so it is not what delivers the rows.
 */
static void one_batch_then_hold(bool idle)
{
    atomic_bool hold;
    atomic_init(&hold, true);
    test_source_spec src = {
        .rows = WR_BATCH_CAPACITY, .nkeys = 3, .hold = &hold, .hold_idle = idle};
    test_sink_state sink;
    test_sink_init(&sink);
    wr_jobgraph *g = test_pipeline(&src, &sink, 1, 1, WR_PART_REBALANCE, NULL);
    wr_config cfg;
    wr_config_init(&cfg);
    wr_config_set(&cfg, "execution.buffer-timeout", "1 h", -1, -1);
    wr_error err;
    wr_error_init(&err);
    wr_job *job = wr_job_start(g, &cfg, &err);
    cr_assert_not_null(job, "%s", err.msg);
    int64_t got = 0;
    for (int i = 0; i < 400 && got < WR_BATCH_CAPACITY; i++) {
        wr_clock_sleep_ns(5000000);
        pthread_mutex_lock(&sink.lock);
        got = sink.n;
        pthread_mutex_unlock(&sink.lock);
    }
    atomic_store(&hold, false);
    cr_assert_eq(wr_job_wait(job, -1, &err), 0, "%s", err.msg);
    cr_assert_eq(got, WR_BATCH_CAPACITY, "the sink had %lld rows while the source held",
                 (long long)got);
    wr_job_free(job);
    wr_config_fini(&cfg);
    test_sink_fini(&sink);
}

Test(runtime, a_lone_batch_reaches_a_sleeping_consumer_while_its_source_idles)
{
    one_batch_then_hold(true);
}

Test(runtime, a_lone_batch_reaches_a_sleeping_consumer_while_its_producer_is_busy)
{
    one_batch_then_hold(false);
}

/* ---- checkpoints ---------------------------------------------------------------- */

/* Sum of the int64 operator states of a vertex's snapshots; -1 if one is missing. */
static int64_t state_sum(const wr_checkpoint *chk, int vertex, int parallelism)
{
    int64_t sum = 0;
    int seen = 0;
    for (int i = 0; i < chk->nsnapshots; i++) {
        const wr_snapshot *s = &chk->snapshots[i];
        if (s->vertex != vertex) continue;
        seen++;
        if (s->finished) return -2; /* not expected while the job runs */
        cr_assert_eq(s->nparts, 1);
        cr_assert_eq(s->parts[0].keygroup, -1);
        int64_t v;
        memcpy(&v, s->parts[0].data.data, sizeof(v));
        sum += v;
    }
    return seen == parallelism ? sum : -1;
}

/*
 * Triggers checkpoints while rows flow from 2 sources through a hash
 * exchange into 3 slow sinks, and checks each completed one is a consistent
 * cut: the rows the sinks had received equal the rows the sources had
 * emitted before their barriers (exactly-once), or at least as many
 * (at-least-once, where rows after a barrier may pass before alignment).
 */
static void checkpoint_cuts(const char *mode, bool fused)
{
    test_source_spec src = {.rows = 3000000, .nkeys = 101}, src2 = {.rows = 1000000, .nkeys = 7};
    test_sink_state sink;
    test_sink_init(&sink);
    sink.sleep_us_per_batch = 20;
    int sink_vertex = 2, sink_par = 2;
    wr_jobgraph *g;
    if (fused) /* both sources run in the sink's tasks: one task acknowledges for the three */
        g = two_sources(&src, &src2, test_sink(&sink));
    else
        g = test_pipeline(&src, &sink, 2, sink_par = 3, WR_PART_HASH, &sink_vertex);
    wr_config cfg;
    wr_config_init(&cfg);
    wr_config_set(&cfg, "execution.checkpointing.mode", mode, -1, -1);
    wr_error err;
    wr_error_init(&err);
    wr_job *job = wr_job_start(g, &cfg, &err);
    wr_config_fini(&cfg);
    cr_assert_not_null(job, "%s", err.msg);
    bool exactly = strcmp(mode, "EXACTLY_ONCE") == 0;
    int64_t next_id = 1;
    int completed = 0;
    while (wr_job_wait(job, 2, &err) == 1) {
        wr_checkpoint *chk;
        if (wr_job_take_checkpoint(job, &chk)) {
            int64_t emitted = state_sum(chk, 0, 2),
                    received = state_sum(chk, sink_vertex, sink_par);
            if (fused && emitted >= 0) {
                int64_t second = state_sum(chk, 1, 2);
                emitted = second < 0 ? second : emitted + second;
            }
            cr_expect_neq(emitted, -1, "checkpoint %lld lacks source snapshots",
                          (long long)chk->id);
            cr_expect_neq(received, -1, "checkpoint %lld lacks sink snapshots", (long long)chk->id);
            if (emitted < 0 || received < 0) /* taken while tasks were ending */
                ;
            else if (exactly)
                cr_expect_eq(received, emitted, "checkpoint %lld: sinks %lld, sources %lld",
                             (long long)chk->id, (long long)received, (long long)emitted);
            else
                cr_expect_geq(received, emitted);
            wr_job_checkpoint_done(job, chk->id);
            completed += emitted >= 0 && received >= 0;
            wr_checkpoint_free(chk);
        }
        if (wr_job_trigger_checkpoint(job, next_id) == 0) next_id++;
    }
    cr_expect_eq(wr_job_wait(job, -1, &err), 0, "%s", err.msg);
    wr_job_free(job);
    cr_expect_geq(completed, 3, "only %d checkpoints completed", completed);
    cr_expect_gt(atomic_load(&sink.checkpoints_done), 0);
    cr_expect_eq(sink.n, src.rows + (fused ? src2.rows : 0));
    test_sink_fini(&sink);
}

Test(runtime, exactly_once_checkpoints_are_consistent_cuts, .timeout = 120)
{
    checkpoint_cuts("EXACTLY_ONCE", false);
}

Test(runtime, at_least_once_checkpoints_cover_the_sources, .timeout = 120)
{
    checkpoint_cuts("AT_LEAST_ONCE", false);
}

Test(runtime, checkpoints_of_fused_sources_are_consistent_cuts, .timeout = 120)
{
    checkpoint_cuts("EXACTLY_ONCE", true);
}

Test(runtime, tasks_that_ended_acknowledge_as_finished)
{
    test_source_spec src = {.rows = 1000, .nkeys = 3};
    test_sink_state sink;
    test_sink_init(&sink);
    wr_jobgraph *g = test_pipeline(&src, &sink, 2, 2, WR_PART_HASH, NULL);
    wr_config cfg;
    wr_config_init(&cfg);
    wr_error err;
    wr_error_init(&err);
    wr_job *job = wr_job_start(g, &cfg, &err);
    wr_config_fini(&cfg);
    cr_assert_eq(wr_job_wait(job, -1, &err), 0);
    cr_assert_eq(wr_job_trigger_checkpoint(job, 7), 0);
    wr_checkpoint *chk;
    cr_assert(wr_job_take_checkpoint(job, &chk), "a job that ended completes at once");
    cr_expect_eq(chk->id, 7);
    cr_expect_eq(chk->nsnapshots, 4);
    for (int i = 0; i < chk->nsnapshots; i++) cr_expect(chk->snapshots[i].finished);
    wr_checkpoint_free(chk);
    wr_job_free(job);
    test_sink_fini(&sink);
}

Test(runtime, checkpointing_mode_is_validated)
{
    wr_config cfg;
    wr_config_init(&cfg);
    wr_config_set(&cfg, "execution.checkpointing.mode", "SOMETIMES", -1, -1);
    wr_error err;
    wr_error_init(&err);
    cr_expect_neq(wr_job_check_config(&cfg, &err), 0);
    cr_expect(strstr(err.msg, "SOMETIMES") != NULL, "%s", err.msg);
    wr_config_fini(&cfg);
}
