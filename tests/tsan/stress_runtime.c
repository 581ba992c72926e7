/*
 * stress_runtime.c — the runtime under ThreadSanitizer.
 *
 * Criterion's runner does not start under TSan, so this plain program runs
 * multi-threaded jobs (every partitioning, failure, cancellation, mail,
 * checkpoints) and
 * lets TSan report any data race; it also checks that every row arrived.
 * Prints "N passed, N failed" and exits non-zero on a failure.
 */
#include "../unit/testops.h"

#include <stdio.h>
#include <string.h>

static int passed, failed;

static void check(bool ok, const char *what)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAIL: %s\n", what);
    }
}

static wr_job *start(test_source_spec *src, test_sink_state *sink, int ps, int pk,
                     wr_partition part, int *sink_vertex)
{
    wr_jobgraph *g = test_pipeline(src, sink, ps, pk, part, sink_vertex);
    wr_config cfg;
    wr_config_init(&cfg);
    wr_config_set(&cfg, "execution.buffer-timeout", "1 ms", -1, -1);
    wr_error err;
    wr_error_init(&err);
    wr_job *job = wr_job_start(g, &cfg, &err);
    wr_config_fini(&cfg);
    return job;
}

/*
 * Starts g with buffer timeout 1 ms (and the checkpointing mode, if given), triggers
 * checkpoints until it ends and counts those that completed; returns its result.
 */
static int run_checkpointed(wr_jobgraph *g, const char *mode, wr_job_stats *stats, int *completed)
{
    memset(stats, 0, sizeof(*stats));
    *completed = 0;
    wr_config cfg;
    wr_config_init(&cfg);
    if (mode) wr_config_set(&cfg, "execution.checkpointing.mode", mode, -1, -1);
    wr_config_set(&cfg, "execution.buffer-timeout", "1 ms", -1, -1);
    wr_error err;
    wr_error_init(&err);
    wr_job *job = wr_job_start(g, &cfg, &err);
    wr_config_fini(&cfg);
    if (job == NULL) return err.code;
    int64_t id = 1;
    while (wr_job_wait(job, 1, &err) == 1) {
        wr_checkpoint *chk;
        if (wr_job_take_checkpoint(job, &chk)) {
            wr_job_checkpoint_done(job, chk->id);
            wr_checkpoint_free(chk);
            (*completed)++;
        }
        if (wr_job_trigger_checkpoint(job, id) == 0) id++;
    }
    int rc = wr_job_wait(job, -1, &err);
    wr_job_stats_get(job, stats);
    wr_job_free(job);
    return rc;
}

static void mail(wr_task *task, void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
}

int main(void)
{
    wr_partition parts[] = {WR_PART_FORWARD, WR_PART_REBALANCE, WR_PART_HASH, WR_PART_BROADCAST};
    for (size_t p = 0; p < 4; p++) {
        test_source_spec src = {.rows = 50000, .nkeys = 31};
        test_sink_state sink;
        test_sink_init(&sink);
        int ps = 2, pk = parts[p] == WR_PART_FORWARD ? 2 : 3;
        wr_job *job = start(&src, &sink, ps, pk, parts[p], NULL);
        wr_error err;
        wr_error_init(&err);
        check(job && wr_job_wait(job, -1, &err) == 0, "job completes");
        wr_job_free(job);
        int64_t want = parts[p] == WR_PART_BROADCAST ? 150000 : 50000;
        check(sink.n == want, wr_partition_name(parts[p]));
        test_sink_fini(&sink);
    }

    /* Failure while every task is busy. */
    test_source_spec src = {.rows = 1 << 24, .nkeys = 5};
    test_sink_state sink;
    test_sink_init(&sink);
    sink.fail_after_rows = 20000;
    wr_job *job = start(&src, &sink, 2, 2, WR_PART_HASH, NULL);
    wr_error err;
    wr_error_init(&err);
    check(job && wr_job_wait(job, -1, &err) == WR_ERR_RUNTIME, "failure fails the job");
    wr_job_free(job);
    test_sink_fini(&sink);

    /* Cancellation of an endless job, with mail posted while it runs. */
    test_source_spec endless = {.rows = INT64_MAX / 2, .nkeys = 5};
    test_sink_init(&sink);
    int sink_vertex;
    job = start(&endless, &sink, 2, 2, WR_PART_REBALANCE, &sink_vertex);
    atomic_int mails;
    atomic_init(&mails, 0);
    for (int i = 0; i < 10; i++) wr_job_post(job, sink_vertex, i % 2, mail, &mails);
    check(wr_job_wait(job, 100, &err) == 1, "endless job runs");
    wr_job_cancel(job);
    check(wr_job_wait(job, -1, &err) == WR_ERR_CANCELLED, "cancel stops it");
    wr_job_free(job);
    check(atomic_load(&mails) == 10, "all mail ran");
    test_sink_fini(&sink);

    /* Checkpoints while rows flow through a hash exchange: barriers, alignment, acks. */
    for (int mode = 0; mode < 2; mode++) {
        test_source_spec cs = {.rows = 200000, .nkeys = 17};
        test_sink_init(&sink);
        wr_jobgraph *g = test_pipeline(&cs, &sink, 2, 3, WR_PART_HASH, NULL);
        wr_job_stats stats;
        int completed;
        check(run_checkpointed(g, mode ? "AT_LEAST_ONCE" : "EXACTLY_ONCE", &stats, &completed) == 0,
              "job with checkpoints completes");
        check(completed > 0, "checkpoints complete");
        check(sink.n == cs.rows, "every row arrives with checkpoints");
        test_sink_fini(&sink);
    }

    /* Two sources fused into the sink's tasks (forward) and a third feeding it across a hash
     * exchange, with checkpoints: local and remote channels side by side. */
    {
        static const wr_type two_bigints[2] = {{WR_TYPE_BIGINT, false, 0, 0},
                                               {WR_TYPE_BIGINT, false, 0, 0}};
        test_source_spec sa = {.rows = 100000, .nkeys = 7}, sb = {.rows = 60000, .nkeys = 5},
                         sc = {.rows = 80000, .nkeys = 11};
        test_sink_init(&sink);
        wr_jobgraph *g = wr_jobgraph_new("fused");
        wr_operator_spec a = test_source(&sa), b = test_source(&sb), c = test_source(&sc),
                         k = test_sink(&sink);
        a.parallelism = b.parallelism = c.parallelism = k.parallelism = 2;
        int va = wr_jobgraph_add(g, "a", &a, two_bigints, 2);
        int vb = wr_jobgraph_add(g, "b", &b, two_bigints, 2);
        int vc = wr_jobgraph_add(g, "c", &c, two_bigints, 2);
        int vk = wr_jobgraph_add(g, "sink", &k, two_bigints, 2);
        int key = 0;
        wr_jobgraph_connect(g, va, vk, WR_PART_FORWARD, NULL, 0);
        wr_jobgraph_connect(g, vb, vk, WR_PART_FORWARD, NULL, 0);
        wr_jobgraph_connect(g, vc, vk, WR_PART_HASH, &key, 1);
        wr_job_stats stats;
        int completed;
        check(run_checkpointed(g, NULL, &stats, &completed) == 0,
              "job with fused sources completes");
        check(stats.ntasks == 4, "fused sources share the sink's tasks");
        check(completed > 0, "checkpoints of fused sources complete");
        check(sink.n == sa.rows + sb.rows + sc.rows, "every row of three sources arrives");
        test_sink_fini(&sink);
    }

    printf("tsan: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
