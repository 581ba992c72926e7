/*
 * bench.h — `weir bench`: built-in throughput benchmarks.
 */
#ifndef WR_CLI_BENCH_H
#define WR_CLI_BENCH_H

/* argv[0] is "bench". Returns the process exit status. */
int wr_cli_bench(int argc, char **argv);
/* argv[0] is "window". */
int wr_cli_bench_window(int argc, char **argv);
/* argv[0] is "checkpoint". */
int wr_cli_bench_checkpoint(int argc, char **argv);
/* argv[0] is "sql". */
int wr_cli_bench_sql(int argc, char **argv);
/* argv[0] is "kafka". */
int wr_cli_bench_kafka(int argc, char **argv);
/* argv[0] is "state". */
int wr_cli_bench_state(int argc, char **argv);
/* argv[0] is "nexmark". */
int wr_cli_bench_nexmark(int argc, char **argv);

/* Measuring helpers shared by the benchmarks. */
double wr_bench_now_s(void);     /* monotonic clock */
double wr_bench_cpu_s(void);     /* user + system CPU of the process */
long wr_bench_peak_rss_kb(void); /* high-water mark of resident memory */
int wr_bench_cmp_double(const void *a, const void *b);

#endif
