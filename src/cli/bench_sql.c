/*
 * bench_sql.c — `weir bench sql FILE`: times the last statement of a SQL file.
 *
 * Every statement but the last is setup (creating and filling tables) and is
 * not timed; the last one runs --runs times and the medians of its wall time
 * and of the process's CPU time over that statement are printed, with the
 * rows per second and per CPU-second when --rows says how many input rows the
 * statement reads. bench/duckdb/ uses it to compare with DuckDB on the same
 * data and queries.
 */
#include "bench.h"
#include "weir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Offset of the last statement of sql (statements end with ';'), or -1 on an error. */
static int last_statement(weir_session *s, const char *sql, const char *name, int *last)
{
    int off = 0, prev = -1;
    for (;;) {
        int start = off;
        weir_result *r = NULL;
        /* Peek: run everything; remember where each statement started. */
        int rc = weir_exec_next(s, sql, name, &off, &r);
        weir_result_free(r);
        if (rc == 0) break;
        if (rc < 0) return rc;
        prev = start;
    }
    *last = prev;
    return 0;
}

int wr_cli_bench_sql(int argc, char **argv)
{
    const char *path = NULL;
    int runs = 3;
    long long rows = 0;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
            rows = atoll(argv[++i]);
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (argv[i][0] != '-' && path == NULL) {
            path = argv[i];
        } else {
            printf("usage: weir bench sql FILE [--runs R] [--rows N] [--json]\n"
                   "\n"
                   "Runs the statements of FILE, then runs its last statement R more times\n"
                   "(default 3) and prints the medians of its wall time and of the process's\n"
                   "CPU time; with --rows, N input rows give rows/s and rows per CPU-second.\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (path == NULL || runs < 1) {
        fprintf(stderr, "weir bench sql: give a SQL file (and a positive --runs)\n");
        return 2;
    }
    char *sql = read_file(path);
    if (sql == NULL) {
        fprintf(stderr, "weir bench sql: cannot read '%s'\n", path);
        return 1;
    }
    weir_session *s = weir_session_new();
    int last = -1, rc = last_statement(s, sql, path, &last);
    if (rc == 0 && last < 0) {
        fprintf(stderr, "weir bench sql: '%s' has no statements\n", path);
        rc = 1;
    }
    double *wall = calloc((size_t)runs, sizeof(double)),
           *cpu = calloc((size_t)runs, sizeof(double));
    weir_result *res = NULL;
    for (int r = 0; rc == 0 && r < runs; r++) {
        int off = last;
        weir_result_free(res);
        res = NULL;
        double w0 = wr_bench_now_s(), c0 = wr_bench_cpu_s();
        int k = weir_exec_next(s, sql, path, &off, &res);
        wall[r] = wr_bench_now_s() - w0;
        cpu[r] = wr_bench_cpu_s() - c0;
        if (k < 0) rc = k;
    }
    if (rc) {
        fprintf(stderr, "weir bench sql: %s\n", weir_session_error(s));
    } else {
        qsort(wall, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        qsort(cpu, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        double mw = wall[runs / 2], mc = cpu[runs / 2];
        long peak = wr_bench_peak_rss_kb();
        /* The first row of the result, so runs can be checked against each other. */
        char first[512] = "";
        size_t used = 0;
        for (int c = 0; res && weir_result_rows(res) > 0 && c < weir_result_columns(res); c++) {
            const char *v = weir_result_is_null(res, 0, c) ? "NULL" : weir_result_text(res, 0, c);
            int n = snprintf(first + used, sizeof(first) - used, "%s\"%s\"", c ? "," : "", v);
            if (n < 0 || (size_t)n >= sizeof(first) - used) break;
            used += (size_t)n;
        }
        if (json)
            printf("{\"file\":\"%s\",\"rows\":%lld,\"seconds\":%.4f,\"cpu_seconds\":%.4f,"
                   "\"rows_per_second\":%.0f,\"rows_per_cpu_second\":%.0f,"
                   "\"peak_rss_bytes\":%ld,\"result\":[[%s]]}\n",
                   path, rows, mw, mc, rows ? rows / mw : 0, rows ? rows / mc : 0, peak * 1024L,
                   first);
        else
            printf("%s: %.3f s wall, %.3f s CPU (median of %d), peak RSS %.1f MB; first row: %s\n",
                   path, mw, mc, runs, peak / 1024.0, first);
    }
    weir_result_free(res);
    free(wall);
    free(cpu);
    weir_session_free(s);
    free(sql);
    return rc ? 1 : 0;
}
