/*
 * test_checkpoint.c — checkpoint storage: write, find the latest complete
 * checkpoint, load and verify, retention, and damage of every kind.
 */
#include <criterion/criterion.h>

#include "../../src/base/alloc.h"
#include "../../src/checkpoint/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/weir-chk-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

/* A checkpoint of two vertices: sources with positions, a keyed vertex with 3 groups. */
static wr_checkpoint *sample(int64_t id)
{
    wr_checkpoint *chk = wr_calloc(1, sizeof(*chk));
    chk->id = id;
    chk->nsnapshots = 4;
    chk->snapshots = wr_calloc(4, sizeof(wr_snapshot));
    for (int s = 0; s < 2; s++) {
        chk->snapshots[s].vertex = 0;
        chk->snapshots[s].subtask = s;
        int64_t pos = id * 100 + s;
        wr_buf_append(wr_snapshot_add(&chk->snapshots[s], -1), &pos, sizeof(pos));
    }
    chk->snapshots[2].vertex = 1;
    chk->snapshots[2].subtask = 0;
    for (int kg = 0; kg < 3; kg++)
        wr_buf_printf(wr_snapshot_add(&chk->snapshots[2], kg), "group %d of checkpoint %lld", kg,
                      (long long)id);
    chk->snapshots[3].vertex = 2;
    chk->snapshots[3].subtask = 0;
    chk->snapshots[3].finished = true;
    return chk;
}

static char *path_of(int64_t id, const char *file)
{
    static char p[256];
    snprintf(p, sizeof(p), "%s/my_job/chk-%lld%s%s", dir, (long long)id, file ? "/" : "",
             file ? file : "");
    return p;
}

static void write_sample(int64_t id)
{
    wr_checkpoint *chk = sample(id);
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_chk_write(dir, "my/job", chk, 128, &err), 0, "%s", err.msg);
    wr_checkpoint_free(chk);
}

TestSuite(checkpoint, .init = setup, .fini = teardown);

Test(checkpoint, write_then_load_gives_the_same_snapshots)
{
    write_sample(3);
    char *path;
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_chk_latest(dir, "my/job", &path, NULL, &err), 1, "%s", err.msg);
    cr_expect_str_eq(path, path_of(3, NULL));
    wr_checkpoint *got;
    int maxp;
    cr_assert_eq(wr_chk_load(path, &got, &maxp, &err), 0, "%s", err.msg);
    wr_free(path);
    cr_expect_eq(got->id, 3);
    cr_expect_eq(maxp, 128);
    wr_checkpoint *want = sample(3);
    cr_assert_eq(got->nsnapshots, want->nsnapshots);
    for (int i = 0; i < want->nsnapshots; i++) {
        const wr_snapshot *w = &want->snapshots[i], *g = &got->snapshots[i];
        cr_expect_eq(g->vertex, w->vertex);
        cr_expect_eq(g->subtask, w->subtask);
        cr_expect_eq(g->finished, w->finished);
        cr_assert_eq(g->nparts, w->nparts);
        for (int p = 0; p < w->nparts; p++) {
            cr_expect_eq(g->parts[p].keygroup, w->parts[p].keygroup);
            cr_assert_eq(g->parts[p].data.len, w->parts[p].data.len);
            cr_expect(memcmp(g->parts[p].data.data, w->parts[p].data.data, w->parts[p].data.len) ==
                      0);
        }
    }
    wr_checkpoint_free(got);
    wr_checkpoint_free(want);
}

Test(checkpoint, no_checkpoint_and_incomplete_ones_are_not_latest)
{
    char *path;
    wr_error err;
    wr_error_init(&err);
    cr_expect_eq(wr_chk_latest(dir, "my/job", &path, NULL, &err), 0);
    write_sample(1);
    write_sample(2);
    /* A crash while checkpoint 2 was written: no _metadata yet. */
    cr_assert_eq(unlink(path_of(2, "_metadata")), 0);
    cr_expect_eq(wr_chk_latest(dir, "my/job", &path, NULL, &err), 1);
    cr_expect_str_eq(path, path_of(1, NULL));
    wr_free(path);
}

Test(checkpoint, damaged_metadata_falls_back_and_is_counted)
{
    write_sample(1);
    write_sample(2);
    /* Cut the metadata of checkpoint 2 short. */
    const char *meta = path_of(2, "_metadata");
    struct stat st;
    cr_assert_eq(stat(meta, &st), 0);
    cr_assert_eq(truncate(meta, st.st_size - 10), 0);
    char *path;
    int skipped;
    wr_error err;
    wr_error_init(&err);
    cr_expect_eq(wr_chk_latest(dir, "my/job", &path, &skipped, &err), 1);
    cr_expect_str_eq(path, path_of(1, NULL));
    cr_expect_eq(skipped, 1);
    wr_free(path);
    wr_checkpoint *chk;
    cr_expect_neq(wr_chk_load(path_of(2, NULL), &chk, NULL, &err), 0);
    cr_expect(strstr(err.msg, "_metadata") != NULL, "%s", err.msg);
}

Test(checkpoint, a_damaged_state_file_is_named)
{
    write_sample(5);
    FILE *f = fopen(path_of(5, "v1-kg2.kg"), "r+");
    cr_assert_not_null(f);
    fputc('X', f);
    fclose(f);
    wr_checkpoint *chk;
    wr_error err;
    wr_error_init(&err);
    cr_expect_eq(wr_chk_load(path_of(5, NULL), &chk, NULL, &err), WR_ERR_IO);
    cr_expect(strstr(err.msg, "v1-kg2.kg") != NULL, "%s", err.msg);
    cr_assert_eq(unlink(path_of(5, "v0-s1-p0.op")), 0);
    wr_error_init(&err);
    cr_expect_eq(wr_chk_load(path_of(5, NULL), &chk, NULL, &err), WR_ERR_IO);
    cr_expect(strstr(err.msg, "v0-s1-p0.op") != NULL, "%s", err.msg);
}

Test(checkpoint, retention_keeps_the_newest_complete_ones)
{
    for (int id = 1; id <= 5; id++) write_sample(id);
    cr_assert_eq(unlink(path_of(4, "_metadata")), 0); /* 4 is incomplete, older than 5 */
    write_sample(6);
    cr_assert_eq(unlink(path_of(6, "_metadata")), 0); /* 6 may still be being written */
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_chk_retain(dir, "my/job", 2, &err), 0, "%s", err.msg);
    struct stat st;
    cr_expect_eq(stat(path_of(6, NULL), &st), 0, "a newer incomplete one stays");
    cr_expect_eq(stat(path_of(5, NULL), &st), 0);
    cr_expect_eq(stat(path_of(3, NULL), &st), 0);
    cr_expect_neq(stat(path_of(4, NULL), &st), 0, "an older incomplete one goes");
    cr_expect_neq(stat(path_of(2, NULL), &st), 0);
    cr_expect_neq(stat(path_of(1, NULL), &st), 0);
}

Test(checkpoint, an_unwritable_directory_is_an_error_naming_it)
{
    wr_checkpoint *chk = sample(1);
    wr_error err;
    wr_error_init(&err);
    cr_expect_eq(wr_chk_write("/proc/weir-no", "job", chk, 128, &err), WR_ERR_IO);
    cr_expect(strstr(err.msg, "/proc/weir-no") != NULL, "%s", err.msg);
    wr_checkpoint_free(chk);
}

/* ---- the coordinator with a running job ---- */

#include "../../src/checkpoint/coordinator.h"
#include "../../src/checkpoint/restart.h"
#include "testops.h"

/* Sum of a vertex's int64 states; -1 when a subtask had finished (its count is not stored). */
static int64_t part_sum(const wr_checkpoint *chk, int vertex)
{
    int64_t sum = 0;
    for (int i = 0; i < chk->nsnapshots; i++) {
        const wr_snapshot *s = &chk->snapshots[i];
        if (s->vertex != vertex) continue;
        if (s->finished) return -1;
        if (s->nparts == 0) continue;
        int64_t v;
        memcpy(&v, s->parts[0].data.data, sizeof(v));
        sum += v;
    }
    return sum;
}

Test(checkpoint, the_coordinator_stores_consistent_checkpoints_while_the_job_runs, .timeout = 120)
{
    test_source_spec src = {.rows = 2000000, .nkeys = 31};
    test_sink_state sink;
    test_sink_init(&sink);
    sink.sleep_us_per_batch = 50;
    int sink_vertex;
    wr_jobgraph *g = test_pipeline(&src, &sink, 2, 2, WR_PART_HASH, &sink_vertex);
    wr_config cfg;
    wr_config_init(&cfg);
    wr_config_set(&cfg, "execution.checkpointing.interval", "20 ms", -1, -1);
    wr_config_set(&cfg, "state.checkpoints.dir", dir, -1, -1);
    wr_config_set(&cfg, "state.checkpoints.num-retained", "2", -1, -1);
    wr_error err;
    wr_error_init(&err);
    wr_coordinator *coord;
    cr_assert_eq(wr_coordinator_new(&cfg, "pipe", &coord, &err), 0, "%s", err.msg);
    cr_assert_not_null(coord);
    wr_job *job = wr_job_start(g, &cfg, &err);
    cr_assert_not_null(job, "%s", err.msg);
    /* Look at the newest checkpoint on disk several times while the job runs. */
    int looked = 0;
    while (wr_coordinator_wait(coord, job, 30, NULL, NULL, &err) == 1) {
        char *path;
        if (wr_chk_latest(dir, "pipe", &path, NULL, &err) != 1) continue;
        wr_checkpoint *chk;
        cr_assert_eq(wr_chk_load(path, &chk, NULL, &err), 0, "%s", err.msg);
        wr_free(path);
        int64_t emitted = part_sum(chk, 0), received = part_sum(chk, sink_vertex);
        /* Taken while the sources were ending, a checkpoint has finished markers instead. */
        if (emitted >= 0 && received >= 0)
            cr_expect_eq(emitted, received, "checkpoint %lld", (long long)chk->id);
        wr_checkpoint_free(chk);
        looked++;
    }
    cr_expect_eq(wr_job_wait(job, -1, &err), 0, "%s", err.msg);
    wr_coordinator_stats st;
    wr_coordinator_stats_get(coord, &st);
    cr_expect_geq(st.completed, 3, "%lld checkpoints completed", (long long)st.completed);
    cr_expect_eq(st.failed, 0);
    cr_expect_gt(looked, 0);
    cr_expect_gt(atomic_load(&sink.checkpoints_done), 0);
    wr_job_free(job);
    wr_coordinator_free(coord);
    wr_config_fini(&cfg);
    test_sink_fini(&sink);
    /* Retention kept at most two complete checkpoints. */
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "test $(ls %s/pipe | wc -l) -le 3", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(checkpoint, options_are_checked)
{
    wr_config cfg;
    wr_config_init(&cfg);
    wr_error err;
    wr_error_init(&err);
    wr_coordinator *coord;
    wr_config_set(&cfg, "execution.checkpointing.interval", "1 s", -1, -1);
    cr_expect_eq(wr_coordinator_check_config(&cfg, &err), 0, "one SET at a time is fine");
    cr_expect_neq(wr_coordinator_new(&cfg, "j", &coord, &err), 0);
    cr_expect(strstr(err.msg, "state.checkpoints.dir") != NULL, "%s", err.msg);
    wr_config_set(&cfg, "execution.checkpointing.max-concurrent-checkpoints", "2", -1, -1);
    wr_error_init(&err);
    cr_expect_neq(wr_coordinator_check_config(&cfg, &err), 0);
    cr_expect(strstr(err.msg, "one checkpoint at a time") != NULL, "%s", err.msg);
    wr_config_set(&cfg, "execution.checkpointing.max-concurrent-checkpoints", "1", -1, -1);
    wr_config_set(&cfg, "execution.checkpointing.interval", "soon", -1, -1);
    wr_error_init(&err);
    cr_expect_neq(wr_coordinator_check_config(&cfg, &err), 0);
    cr_expect(strstr(err.msg, "soon") != NULL, "%s", err.msg);
    wr_config_unset(&cfg, "execution.checkpointing.interval");
    wr_error_init(&err);
    cr_expect_eq(wr_coordinator_new(&cfg, "j", &coord, &err), 0);
    cr_expect_null(coord, "no interval: no checkpoints");
    wr_config_fini(&cfg);
}

/* ---- restarts ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Runs source -> sink with a sink that fails once after fail_after rows; returns wait's result. */
static int run_failing(const char *strategy, int64_t rows, test_sink_state *sink,
                       wr_coordinator_stats *st, wr_error *err)
{
    static test_source_spec src;
    src = (test_source_spec){.rows = rows, .nkeys = 13};
    test_sink_init(sink);
    sink->sleep_us_per_batch = 300;
    sink->fail_after_rows = (int)(rows / 2);
    sink->fail_once = true;
    wr_jobgraph *g = test_pipeline(&src, sink, 2, 2, WR_PART_HASH, NULL);
    wr_config cfg;
    wr_config_init(&cfg);
    wr_config_set(&cfg, "execution.checkpointing.interval", "10 ms", -1, -1);
    wr_config_set(&cfg, "state.checkpoints.dir", dir, -1, -1);
    wr_config_set(&cfg, "restart-strategy.type", strategy, -1, -1);
    wr_config_set(&cfg, "restart-strategy.fixed-delay.delay", "10 ms", -1, -1);
    wr_coordinator *coord;
    cr_assert_eq(wr_coordinator_new(&cfg, "restarting", &coord, err), 0, "%s", err->msg);
    wr_job *job = wr_job_start(g, &cfg, err);
    cr_assert_not_null(job, "%s", err->msg);
    int rc = wr_coordinator_wait(coord, job, -1, NULL, NULL, err);
    wr_coordinator_stats_get(coord, st);
    wr_job_free(job);
    wr_coordinator_free(coord);
    wr_config_fini(&cfg);
    return rc;
}

Test(checkpoint, a_failed_job_restarts_from_its_latest_checkpoint_without_losing_rows,
     .timeout = 120)
{
    test_sink_state sink;
    wr_coordinator_stats st;
    wr_error err;
    wr_error_init(&err);
    const int64_t rows = 400000;
    cr_assert_eq(run_failing("fixed-delay", rows, &sink, &st, &err), 0, "%s", err.msg);
    cr_expect_eq(st.restarts, 1);
    cr_expect_gt(st.completed, 0, "no checkpoint completed");
    /* Every row arrived; rows after the last checkpoint before the failure came twice. */
    qsort(sink.value, (size_t)sink.n, sizeof(int64_t), cmp_i64);
    int64_t distinct = 0;
    for (int64_t i = 0; i < sink.n; i++)
        if (i == 0 || sink.value[i] != sink.value[i - 1]) distinct++;
    cr_expect_eq(distinct, rows);
    cr_expect_lt(sink.n, rows + rows / 2 - rows / 20,
                 "the restart replayed from the start (%lld rows)", (long long)sink.n);
    test_sink_fini(&sink);
}

Test(checkpoint, without_a_restart_strategy_the_failure_stands, .timeout = 60)
{
    test_sink_state sink;
    wr_coordinator_stats st;
    wr_error err;
    wr_error_init(&err);
    cr_expect_eq(run_failing("none", 100000, &sink, &st, &err), WR_ERR_RUNTIME);
    cr_expect(strstr(err.msg, "test sink gave up") != NULL, "%s", err.msg);
    cr_expect_eq(st.restarts, 0);
    test_sink_fini(&sink);
}

Test(checkpoint, restart_strategies_follow_their_limits)
{
    wr_config cfg;
    wr_config_init(&cfg);
    wr_restart r;
    wr_error err;
    wr_error_init(&err);
    char why[200];
    int64_t delay;
    wr_config_set(&cfg, "restart-strategy.type", "fixed-delay", -1, -1);
    wr_config_set(&cfg, "restart-strategy.fixed-delay.attempts", "2", -1, -1);
    cr_assert_eq(wr_restart_init(&r, &cfg, true, &err), 0);
    cr_expect(wr_restart_allow(&r, 0, &delay, why, sizeof(why)));
    cr_expect_eq(delay, 1000);
    cr_expect(wr_restart_allow(&r, 10, &delay, why, sizeof(why)));
    cr_expect_not(wr_restart_allow(&r, 20, &delay, why, sizeof(why)));
    cr_expect(strstr(why, "2 attempt") != NULL, "%s", why);
    wr_restart_fini(&r);

    wr_config_set(&cfg, "restart-strategy.type", "failure-rate", -1, -1);
    wr_config_set(&cfg, "restart-strategy.failure-rate.max-failures-per-interval", "2", -1, -1);
    wr_config_set(&cfg, "restart-strategy.failure-rate.failure-rate-interval", "1 s", -1, -1);
    cr_assert_eq(wr_restart_init(&r, &cfg, true, &err), 0);
    cr_expect(wr_restart_allow(&r, 0, &delay, why, sizeof(why)));
    cr_expect(wr_restart_allow(&r, 500, &delay, why, sizeof(why)));
    cr_expect_not(wr_restart_allow(&r, 900, &delay, why, sizeof(why)), "3 in a second");
    cr_expect(wr_restart_allow(&r, 2000, &delay, why, sizeof(why)), "old failures expire");
    wr_restart_fini(&r);

    wr_config_set(&cfg, "restart-strategy.type", "exponential-delay", -1, -1);
    wr_config_set(&cfg, "restart-strategy.exponential-delay.jitter-factor", "0", -1, -1);
    wr_config_set(&cfg, "restart-strategy.exponential-delay.backoff-multiplier", "2", -1, -1);
    wr_config_set(&cfg, "restart-strategy.exponential-delay.max-backoff", "5 s", -1, -1);
    cr_assert_eq(wr_restart_init(&r, &cfg, true, &err), 0);
    int64_t want[] = {1000, 2000, 4000, 5000, 5000};
    for (int i = 0; i < 5; i++) {
        cr_expect(wr_restart_allow(&r, i * 10, &delay, why, sizeof(why)));
        cr_expect_eq(delay, want[i]);
    }
    /* A calm hour resets the backoff. */
    cr_expect(wr_restart_allow(&r, 3600000 + 100, &delay, why, sizeof(why)));
    cr_expect_eq(delay, 1000);
    wr_restart_fini(&r);

    wr_config_unset(&cfg, "restart-strategy.type");
    cr_assert_eq(wr_restart_init(&r, &cfg, false, &err), 0);
    cr_expect_eq(r.kind, WR_RESTART_NONE, "no checkpointing: no restarts by default");
    wr_restart_fini(&r);
    cr_assert_eq(wr_restart_init(&r, &cfg, true, &err), 0);
    cr_expect_eq(r.kind, WR_RESTART_EXPONENTIAL_DELAY, "checkpointing: exponential-delay");
    wr_restart_fini(&r);

    wr_config_set(&cfg, "restart-strategy.type", "sometimes", -1, -1);
    cr_expect_neq(wr_restart_check_config(&cfg, &err), 0);
    cr_expect(strstr(err.msg, "sometimes") != NULL, "%s", err.msg);
    wr_config_fini(&cfg);
}

Test(checkpoint, a_failed_snapshot_never_makes_a_durable_checkpoint, .timeout = 60)
{
    test_source_spec src = {.rows = 1 << 22, .nkeys = 7};
    test_sink_state sink;
    test_sink_init(&sink);
    sink.sleep_us_per_batch = 200;
    sink.fail_snapshot = true;
    wr_jobgraph *g = test_pipeline(&src, &sink, 2, 2, WR_PART_HASH, NULL);
    wr_config cfg;
    wr_config_init(&cfg);
    wr_config_set(&cfg, "execution.checkpointing.interval", "10 ms", -1, -1);
    wr_config_set(&cfg, "state.checkpoints.dir", dir, -1, -1);
    wr_config_set(&cfg, "restart-strategy.type", "none", -1, -1);
    wr_error err;
    wr_error_init(&err);
    wr_coordinator *coord;
    cr_assert_eq(wr_coordinator_new(&cfg, "failing", &coord, &err), 0, "%s", err.msg);
    wr_job *job = wr_job_start(g, &cfg, &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_expect_neq(wr_coordinator_wait(coord, job, -1, NULL, NULL, &err), 0);
    cr_expect(strstr(err.msg, "could not pre-commit") != NULL, "%s", err.msg);
    wr_coordinator_stats st;
    wr_coordinator_stats_get(coord, &st);
    cr_expect_eq(st.completed, 0, "a checkpoint without the sink's state was stored");
    char *path;
    cr_expect_eq(wr_chk_latest(dir, "failing", &path, NULL, &err), 0);
    wr_job_free(job);
    wr_coordinator_free(coord);
    wr_config_fini(&cfg);
    test_sink_fini(&sink);
}
