/*
 * bench_checkpoint.c — `weir bench checkpoint`: how long checkpoints of a
 * large keyed state take and how long they pause the task that owns it.
 *
 * A callback source emits one row per key (BIGINT key, a 100-byte STRING);
 * a keyed process function keeps the string as value state, so the state
 * grows to about --state-mb megabytes; then the job idles while checkpoints
 * run every --interval. Reports the state size of the newest checkpoint,
 * its duration from trigger to durable (copy on the task thread, then the
 * files written by the coordinator), and the longest pause a task took for
 * its snapshots. Also times the load phase with and without checkpointing.
 */
#include "bench.h"
#include "weir.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct gen {
    int64_t keys;
    atomic_llong emitted;
    int64_t next[1024];
} gen;

static int generate(void *arg, weir_ctx *ctx)
{
    gen *g = arg;
    int s = weir_ctx_subtask(ctx), p = weir_ctx_parallelism(ctx);
    char payload[100];
    memset(payload, 'x', sizeof(payload));
    for (int i = 0; i < 1024; i++) {
        int64_t key = g->next[s] * p + s;
        if (key >= g->keys) {
            usleep(5000); /* all loaded: let checkpoints run */
            return WEIR_SOURCE_MORE;
        }
        g->next[s]++;
        weir_out *out = weir_output(ctx);
        weir_set_int(out, 0, key);
        weir_set_str(out, 1, payload, sizeof(payload));
        if (weir_emit(out)) return -1;
        atomic_fetch_add(&g->emitted, 1);
    }
    return WEIR_SOURCE_MORE;
}

static const weir_state_desc value = {.name = "value", .kind = WEIR_STATE_VALUE};
static const weir_state_desc *const states[] = {&value, NULL};

static int keep(void *arg, const weir_row *in, weir_ctx *ctx)
{
    size_t len;
    const char *s = weir_row_str(in, 1, &len);
    weir_state_update(ctx, &value, s, len);
    return 0;
}

int wr_cli_bench_checkpoint(int argc, char **argv)
{
    long long state_mb = 1024;
    const char *interval = "2 s";
    int parallelism = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--state-mb") == 0 && i + 1 < argc) {
            state_mb = atoll(argv[++i]);
        } else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
            interval = argv[++i];
        } else if (strcmp(argv[i], "--parallelism") == 0 && i + 1 < argc) {
            parallelism = atoi(argv[++i]);
        } else {
            printf("usage: weir bench checkpoint [--state-mb N] [--interval D] [--parallelism P]\n"
                   "\n"
                   "Loads about N MB (default 1024) of keyed value state (100-byte values),\n"
                   "then checkpoints it every D (default '2 s') to a temporary directory and\n"
                   "reports the newest checkpoint's size and duration and the longest task\n"
                   "pause for snapshots.\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (state_mb < 1 || parallelism < 1 || parallelism > 1024) {
        fprintf(stderr, "weir bench checkpoint: --state-mb and --parallelism must be positive\n");
        return 2;
    }
    gen *g = calloc(1, sizeof(*g));
    g->keys = state_mb * 1024 * 1024 / 160; /* key, value and about 50 bytes of bookkeeping */
    char dir[] = "/tmp/weir-bench-chk-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("weir bench checkpoint: mkdtemp");
        free(g);
        return 1;
    }
    weir_env *env = weir_env_new();
    char par[16];
    snprintf(par, sizeof(par), "%d", parallelism);
    weir_env_set(env, "parallelism.default", par);
    weir_env_set(env, "execution.checkpointing.interval", interval);
    weir_env_set(env, "state.checkpoints.dir", dir);
    weir_stream *s = weir_from_callback(env, "k BIGINT, v STRING", generate, g);
    weir_process_fn fn = {.process_element = keep, .states = states};
    weir_print(weir_process(weir_key_by(s, "k"), "k BIGINT", &fn, NULL), NULL);
    double w0 = wr_bench_now_s();
    weir_job *job = weir_execute_async(env, "bench-checkpoint");
    if (job == NULL) {
        fprintf(stderr, "weir bench checkpoint: %s\n", weir_env_error(env));
        weir_env_free(env);
        free(g);
        return 1;
    }
    double loaded = 0;
    int64_t first_after = 0;
    weir_checkpoint_stats st = {0};
    int rc = 0;
    while ((rc = weir_job_wait(job, 20)) == 1) {
        weir_job_checkpoint_stats(job, &st);
        if (loaded == 0 && atomic_load(&g->emitted) >= g->keys) {
            loaded = wr_bench_now_s() - w0;
            first_after = st.completed;
        }
        /* Two checkpoints that started after the load hold the whole state. */
        if (loaded > 0 && st.completed >= first_after + 2) break;
    }
    weir_job_checkpoint_stats(job, &st);
    if (rc == 1) {
        weir_job_cancel(job);
        weir_job_wait(job, -1);
    } else if (rc) {
        fprintf(stderr, "weir bench checkpoint: %s\n", weir_job_error(job));
    }
    weir_job_free(job);
    weir_env_free(env);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "weir bench checkpoint: cannot remove %s\n", dir);
    printf("keys %lld, load %.2f s (with checkpoints every %s), checkpoints %lld\n",
           (long long)g->keys, loaded, interval, (long long)st.completed);
    printf("newest checkpoint: %.1f MB of state, %lld ms from trigger to durable\n",
           st.last_bytes / 1048576.0, (long long)st.last_duration_ms);
    printf("longest task pause for snapshots: %lld ms; peak RSS %.0f MB\n",
           (long long)st.max_pause_ms, wr_bench_peak_rss_kb() / 1024.0);
    free(g);
    return rc > 0 ? 0 : rc ? 1 : 0;
}
