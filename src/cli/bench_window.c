/*
 * bench_window.c — `weir bench window`: a keyed tumbling-window count
 * through the DataStream API.
 *
 * A parallel callback source generates N events (BIGINT key out of K keys,
 * 1000 events per millisecond of event time, ascending per subtask);
 * timestamps and a monotonous watermark are assigned; the stream is keyed
 * by key into 1-second tumbling windows counting events per key (an
 * incremental aggregate); results go to a blackhole sink. So the window
 * operator's state holds up to K keys per open window and every event
 * crosses a hash exchange.
 */
#include "bench.h"
#include "weir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gen {
    int64_t events, keys;
    int64_t next[1024]; /* per subtask: index of its next event */
} gen;

static int generate(void *arg, weir_ctx *ctx)
{
    gen *g = arg;
    int s = weir_ctx_subtask(ctx), p = weir_ctx_parallelism(ctx);
    int64_t *next = &g->next[s];
    for (int i = 0; i < 1024; i++) {
        int64_t idx = *next * p + s;
        if (idx >= g->events) return WEIR_SOURCE_END;
        (*next)++;
        weir_out *out = weir_output(ctx);
        weir_set_int(out, 0, idx / 1000);
        weir_set_int(out, 1, (int64_t)(((uint64_t)idx * 2654435761u) % (uint64_t)g->keys));
        if (weir_emit(out)) return -1;
    }
    return WEIR_SOURCE_MORE;
}

static void count_init(void *arg, void *acc)
{
    *(int64_t *)acc = 0;
}

static void count_add(void *arg, void *acc, const weir_row *in)
{
    ++*(int64_t *)acc;
}

static int count_result(void *arg, const void *acc, weir_ctx *ctx)
{
    weir_out *out = weir_output(ctx);
    weir_set_int(out, 0, weir_ctx_window_start(ctx));
    weir_set_int(out, 1, weir_row_int(weir_ctx_key(ctx), 0));
    weir_set_int(out, 2, *(const int64_t *)acc);
    return weir_emit(out);
}

static int run_once(int64_t events, int64_t keys, int parallelism, const char *interval,
                    double *wall, double *cpu)
{
    gen *g = calloc(1, sizeof(*g));
    g->events = events;
    g->keys = keys;
    weir_env *env = weir_env_new();
    char par[16];
    snprintf(par, sizeof(par), "%d", parallelism);
    weir_env_set(env, "parallelism.default", par);
    char dir[] = "/tmp/weir-bench-chk-XXXXXX";
    if (interval) {
        if (mkdtemp(dir) == NULL) {
            perror("weir bench window: mkdtemp");
            weir_env_free(env);
            free(g);
            return 1;
        }
        weir_env_set(env, "execution.checkpointing.interval", interval);
        weir_env_set(env, "state.checkpoints.dir", dir);
    }
    weir_stream *s = weir_from_callback(env, "ts BIGINT, k BIGINT", generate, g);
    weir_watermark_strategy wm = {.kind = WEIR_WATERMARK_MONOTONOUS, .timestamp_field = "ts"};
    s = weir_assign_timestamps(s, &wm);
    weir_window_spec tumbling = {.kind = WEIR_WINDOW_TUMBLING, .size_ms = 1000};
    weir_aggregate_fn count = {
        .acc_size = sizeof(int64_t), .init = count_init, .add = count_add, .result = count_result};
    s = weir_window_aggregate(weir_key_by(s, "k"), &tumbling, "start BIGINT, k BIGINT, n BIGINT",
                              &count, NULL);
    const char *blackhole[] = {"connector", "blackhole", NULL};
    weir_to_connector(s, blackhole);
    double w0 = wr_bench_now_s(), c0 = wr_bench_cpu_s();
    int rc = weir_execute(env, "bench-window");
    *wall = wr_bench_now_s() - w0;
    *cpu = wr_bench_cpu_s() - c0;
    if (rc) fprintf(stderr, "weir bench window: %s\n", weir_env_error(env));
    weir_env_free(env);
    free(g);
    if (interval) {
        char cmd[96];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0) fprintf(stderr, "weir bench window: cannot remove %s\n", dir);
    }
    return rc;
}

int wr_cli_bench_window(int argc, char **argv)
{
    long long events = 10000000, keys = 100000;
    int runs = 3;
    bool json = false;
    int pars[8] = {1, 2}, npars = 2;
    const char *interval = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
            events = atoll(argv[++i]);
        } else if (strcmp(argv[i], "--keys") == 0 && i + 1 < argc) {
            keys = atoll(argv[++i]);
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--parallelism") == 0 && i + 1 < argc) {
            pars[0] = atoi(argv[++i]);
            npars = 1;
        } else if (strcmp(argv[i], "--checkpoint-interval") == 0 && i + 1 < argc) {
            interval = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else {
            printf(
                "usage: weir bench window [--events N] [--keys K] [--runs R] [--parallelism P]"
                " [--checkpoint-interval D] [--json]\n"
                "\n"
                "Counts N events (default 10000000) over K keys (default 100000) in 1 s\n"
                "event-time tumbling windows (1000 events per ms of event time): callback\n"
                "source -> timestamps/watermarks -> hash exchange by key -> window aggregate\n"
                "-> blackhole, at parallelism 1 and 2 (or P), R times each (default 3);\n"
                "prints the medians. With --checkpoint-interval (e.g. '1 s') the job checkpoints\n"
                "its window state to a temporary directory at that interval.\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (events < 1 || keys < 1 || runs < 1 || pars[0] < 1 || pars[0] > 1024) {
        fprintf(stderr, "weir bench window: --events, --keys, --runs and --parallelism (1..1024) "
                        "must be positive\n");
        return 2;
    }
    if (!json)
        printf("%-24s %4s %12s %9s %9s %9s %14s %16s %10s\n", "pipeline", "par", "events", "keys",
               "wall s", "cpu s", "events/s", "events/cpu-s", "peak MB");
    for (int p = 0; p < npars; p++) {
        double wall[runs], cpu[runs], per_cpu[runs];
        for (int r = 0; r < runs; r++) {
            if (run_once(events, keys, pars[p], interval, &wall[r], &cpu[r])) return 1;
            per_cpu[r] = events / cpu[r];
        }
        qsort(wall, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        qsort(cpu, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        qsort(per_cpu, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        double mw = wall[runs / 2], mc = cpu[runs / 2], mpc = per_cpu[runs / 2];
        if (json)
            printf("{\"pipeline\":\"window-count\",\"parallelism\":%d,\"events\":%lld,"
                   "\"keys\":%lld,\"seconds\":%.4f,\"cpu_seconds\":%.4f,"
                   "\"events_per_second\":%.0f,\"events_per_cpu_second\":%.0f,"
                   "\"peak_rss_bytes\":%ld}\n",
                   pars[p], events, keys, mw, mc, events / mw, mpc, wr_bench_peak_rss_kb() * 1024L);
        else
            printf("%-24s %4d %12lld %9lld %9.3f %9.3f %14.0f %16.0f %10.1f\n", "window-count",
                   pars[p], events, keys, mw, mc, events / mw, mpc,
                   wr_bench_peak_rss_kb() / 1024.0);
        fflush(stdout);
    }
    return 0;
}
