/*
 * bench.h — `weir bench`: built-in throughput benchmarks.
 */
#ifndef WR_CLI_BENCH_H
#define WR_CLI_BENCH_H

/* argv[0] is "bench". Returns the process exit status. */
int wr_cli_bench(int argc, char **argv);

#endif
