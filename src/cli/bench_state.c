/*
 * bench_state.c — `weir bench state`: how much memory streaming state takes
 * per key, for the group aggregation and the regular join.
 *
 * Each measurement runs in a child process (so its peak RSS is its own): a
 * streaming query over a bounded datagen source whose key column counts
 * 1..N, so the operator ends up holding N keys. The figure per key is the
 * difference of the peak RSS at N keys and at N/10 keys over the 0.9 N keys
 * between them, which leaves out what the process holds anyway (code,
 * buffers, the source). Rows carry a BIGINT key and a BIGINT value.
 */
#include "bench.h"
#include "weir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct state_case {
    const char *name;
    const char *what;
    const char *query; /* over tables a and b (k BIGINT, v BIGINT); %s: nothing */
} state_case;

static const state_case cases[] = {
    {"group", "GROUP BY k with COUNT(*), SUM(v), MAX(v)",
     "INSERT INTO out SELECT k, COUNT(*), SUM(v), MAX(v) FROM a GROUP BY k"},
    {"join", "a JOIN b ON a.k = b.k (a row per key on each side)",
     "INSERT INTO out2 SELECT a.k, a.v, b.k, b.v FROM a JOIN b ON a.k = b.k"},
};

/* Runs one case at n keys in this process; returns 0 or 1. */
static int run_case(const state_case *c, long long n)
{
    char sql[4096];
    snprintf(sql, sizeof(sql),
             "SET 'execution.runtime-mode' = 'streaming';\n"
             "SET 'parallelism.default' = '1';\n"
             "CREATE TABLE a (k BIGINT, v BIGINT) WITH ('connector' = 'datagen',\n"
             "  'rows-per-second' = '1000000000000', 'fields.k.kind' = 'sequence',\n"
             "  'fields.k.start' = '1', 'fields.k.end' = '%lld');\n"
             "CREATE TABLE b (k BIGINT, v BIGINT) WITH ('connector' = 'datagen',\n"
             "  'rows-per-second' = '1000000000000', 'fields.k.kind' = 'sequence',\n"
             "  'fields.k.start' = '1', 'fields.k.end' = '%lld');\n"
             "CREATE TABLE out (k BIGINT, n BIGINT, s BIGINT, m BIGINT) WITH ('connector' = "
             "'blackhole');\n"
             "CREATE TABLE out2 (k BIGINT, v BIGINT, k2 BIGINT, v2 BIGINT) WITH ('connector' = "
             "'blackhole');\n"
             "%s;\n",
             n, n, c->query);
    weir_session *s = weir_session_new();
    int rc = weir_exec(s, sql, "bench-state", NULL);
    if (rc) fprintf(stderr, "weir bench state: %s\n", weir_session_error(s));
    weir_session_free(s);
    return rc ? 1 : 0;
}

/* Peak RSS (KiB) of a child that runs the case, or -1. */
static long child_peak(const state_case *c, long long n)
{
    int fd[2];
    if (pipe(fd)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fd[0]);
        int rc = run_case(c, n);
        long peak = wr_bench_peak_rss_kb();
        if (write(fd[1], &peak, sizeof(peak)) != (ssize_t)sizeof(peak)) rc = 1;
        _exit(rc);
    }
    close(fd[1]);
    long peak = -1;
    if (read(fd[0], &peak, sizeof(peak)) != (ssize_t)sizeof(peak)) peak = -1;
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? peak : -1;
}

int wr_cli_bench_state(int argc, char **argv)
{
    long long keys = 1000000;
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keys") == 0 && i + 1 < argc) {
            keys = atoll(argv[++i]);
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else {
            fprintf(stderr,
                    "usage: weir bench state [--keys N] [--runs R]\n"
                    "  streaming state per key of the group aggregation and the join:\n"
                    "  (peak RSS at N keys - peak RSS at N/10 keys) / 0.9 N, median of R\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (keys < 10 || runs < 1) {
        fprintf(stderr, "weir bench state: --keys must be at least 10, --runs at least 1\n");
        return 2;
    }
    printf("%-6s %12s %14s %14s %14s  %s\n", "case", "keys", "peak RSS (MB)", "at N/10 (MB)",
           "bytes per key", "query");
    int status = 0;
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const state_case *c = &cases[k];
        double *per = calloc((size_t)runs, sizeof(double));
        long big = 0, small = 0;
        int ok = 0;
        for (int r = 0; r < runs; r++) {
            big = child_peak(c, keys);
            small = child_peak(c, keys / 10);
            if (big < 0 || small < 0) {
                status = 1;
                break;
            }
            per[ok++] = (double)(big - small) * 1024.0 / (0.9 * (double)keys);
        }
        if (ok > 0) {
            qsort(per, (size_t)ok, sizeof(double), wr_bench_cmp_double);
            printf("%-6s %12lld %14.1f %14.1f %14.0f  %s\n", c->name, keys, big / 1024.0,
                   small / 1024.0, per[ok / 2], c->what);
        }
        free(per);
    }
    return status;
}
