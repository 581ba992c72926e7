/*
 * test_runtime.c — the runtime: partitioning, chaining, backpressure,
 * completion, failure, cancellation and mail.
 */
#include "testops.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* source(par_src) -> sink(par_sink) over `part`; runs to completion. */
static int run_pipeline(test_source_spec *src, test_sink_state *sink, int par_src, int par_sink,
                        wr_partition part, const char *extra_key, const char *extra_value,
                        wr_job_stats *stats, wr_error *err)
{
    wr_jobgraph *g = test_pipeline(src, sink, par_src, par_sink, part, NULL);
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
