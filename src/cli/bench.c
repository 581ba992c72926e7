/*
 * bench.c — `weir bench`: datagen -> filter -> blackhole, through SQL.
 *
 * Measures what the engine costs per row on the simplest real pipeline: a
 * three-column datagen source (unthrottled, bounded), a Calc with a filter
 * that keeps about half the rows, and a blackhole sink; once chained into one
 * task per subtask, once unchained so every batch crosses a channel between
 * threads. Reports wall time, CPU time of the process (getrusage), rows per
 * second, rows per CPU-second and peak RSS; medians over --runs runs per
 * parallelism. `weir bench window` is in bench_window.c, `weir bench nexmark`
 * in bench_nexmark.c.
 */
#include "bench.h"
#include "weir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct run {
    double wall, cpu;
} run;

double wr_bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double wr_bench_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

long wr_bench_peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int wr_bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run_once(long long rows, int parallelism, bool chained, run *out)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "SET 'parallelism.default' = '%d';\n"
             "SET 'pipeline.operator-chaining' = '%s';\n"
             "CREATE TABLE src (id BIGINT, v INT, d DOUBLE) WITH (\n"
             "  'connector' = 'datagen', 'rows-per-second' = '1000000000000',\n"
             "  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '%lld',\n"
             "  'fields.v.min' = '0', 'fields.v.max' = '999',\n"
             "  'fields.d.min' = '0', 'fields.d.max' = '1');\n"
             "CREATE TABLE out (id BIGINT, v INT, d DOUBLE) WITH ('connector' = 'blackhole');\n"
             "INSERT INTO out SELECT id, v, d FROM src WHERE v < 500;\n",
             parallelism, chained ? "true" : "false", rows);
    weir_session *s = weir_session_new();
    double w0 = wr_bench_now_s(), c0 = wr_bench_cpu_s();
    int rc = weir_exec(s, sql, "bench", NULL);
    out->wall = wr_bench_now_s() - w0;
    out->cpu = wr_bench_cpu_s() - c0;
    if (rc) fprintf(stderr, "weir bench: %s\n", weir_session_error(s));
    weir_session_free(s);
    return rc;
}

int wr_cli_bench(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "window") == 0) return wr_cli_bench_window(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "checkpoint") == 0)
        return wr_cli_bench_checkpoint(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "sql") == 0) return wr_cli_bench_sql(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "state") == 0) return wr_cli_bench_state(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "kafka") == 0) return wr_cli_bench_kafka(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "nexmark") == 0)
        return wr_cli_bench_nexmark(argc - 1, argv + 1);
    long long rows = 50000000;
    int runs = 3;
    bool json = false;
    int pars[8] = {1, 2}, npars = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
            rows = atoll(argv[++i]);
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--parallelism") == 0 && i + 1 < argc) {
            pars[0] = atoi(argv[++i]);
            npars = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else {
            printf("usage: weir bench [--rows N] [--runs R] [--parallelism P] [--json]\n"
                   "       weir bench window [--help]   (keyed tumbling-window count)\n"
                   "       weir bench checkpoint [--help]   (checkpoints of large keyed state)\n"
                   "       weir bench state [--help]   (streaming state per key)\n"
                   "       weir bench kafka [--help]   (JSON ingestion from Kafka)\n"
                   "       weir bench sql FILE [--help]   (times the last statement of FILE)\n"
                   "       weir bench nexmark [q...] [--help]   (the Nexmark queries)\n"
                   "\n"
                   "Runs datagen (BIGINT sequence, INT and DOUBLE random; unthrottled) -> filter\n"
                   "(v < 500, keeps half) -> blackhole at parallelism 1 and 2 (or P), chained\n"
                   "and unchained, R times each (default 3), N rows (default 50000000), and\n"
                   "prints the medians. Peak RSS is the process's high-water mark so far.\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (rows < 1 || runs < 1 || pars[0] < 1) {
        fprintf(stderr, "weir bench: --rows, --runs and --parallelism must be positive\n");
        return 2;
    }
    if (!json)
        printf("%-28s %4s %12s %9s %9s %14s %16s %10s\n", "pipeline", "par", "rows", "wall s",
               "cpu s", "rows/s", "rows/cpu-s", "peak MB");
    for (int k = 0; k < 2 * npars; k++) {
        int p = k % npars;
        bool chained = k < npars;
        const char *name = chained ? "datagen-filter-blackhole" : "unchained (3 tasks/subtask)";
        double wall[runs], cpu[runs], per_cpu[runs];
        for (int r = 0; r < runs; r++) {
            run one;
            if (run_once(rows, pars[p], chained, &one)) return 1;
            wall[r] = one.wall;
            cpu[r] = one.cpu;
            per_cpu[r] = rows / one.cpu;
        }
        qsort(wall, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        qsort(cpu, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        qsort(per_cpu, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        double mw = wall[runs / 2], mc = cpu[runs / 2], mpc = per_cpu[runs / 2];
        double peak_mb = wr_bench_peak_rss_kb() / 1024.0;
        if (json)
            printf("{\"pipeline\":\"%s\",\"chained\":%s,\"parallelism\":%d,\"rows\":%lld,"
                   "\"seconds\":%.4f,\"cpu_seconds\":%.4f,\"rows_per_second\":%.0f,"
                   "\"rows_per_cpu_second\":%.0f,\"peak_rss_bytes\":%ld}\n",
                   "datagen-filter-blackhole", chained ? "true" : "false", pars[p], rows, mw, mc,
                   rows / mw, mpc, wr_bench_peak_rss_kb() * 1024L);
        else
            printf("%-28s %4d %12lld %9.3f %9.3f %14.0f %16.0f %10.1f\n", name, pars[p], rows, mw,
                   mc, rows / mw, mpc, peak_mb);
        fflush(stdout);
    }
    return 0;
}
