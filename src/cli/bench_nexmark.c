/*
 * bench_nexmark.c — `weir bench nexmark`: the Nexmark queries of bench/nexmark/, timed.
 *
 * Each query runs in a child process of its own (fork), so that its peak RSS
 * is its own and a crash or a leak of one query cannot disturb the next. The
 * child starts a fresh session in a fresh temporary directory (q10 writes its
 * files there, q13 reads side_input.csv from there), sets streaming mode and
 * the parallelism, runs bench/nexmark/ddl.sql, bounds the nexmark table to N
 * events at the nexmark V1 rate (10M events per second of event time), and
 * runs the query's file; the wall time and the process's CPU time are taken
 * around the query's statements, which include planning. The child sends its
 * figures or its error to the parent through a pipe; the parent prints a
 * table or JSON lines and goes on with the next query after a failure.
 * The state size is the job's state_bytes_peak metric summed over its operators
 * (weir_session_last_job_metrics after the query's last statement, which is
 * its INSERT job).
 * Only the public API (weir.h) is used.
 */
#include "bench.h"
#include "weir.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The queries q0 to q22, in this order when none are named. */
#define NEXMARK_QUERIES 23
/* bench/nexmark/ is looked for this many directories above the executable. */
#define NEXMARK_DIR_DEPTH 4
/* Rows of side_input.csv (q13): keys 0 to 9999, as the nexmark project generates. */
#define SIDE_INPUT_ROWS 10000

/* How every query runs. */
typedef struct nexmark_opts {
    long long events;
    int parallelism;
    const char *sets; /* SET statements made of the --set options ("" for none) */
} nexmark_opts;

/* What a child reports about one run of one query. */
typedef struct nexmark_run {
    int ok;
    double wall, cpu;
    long peak_rss_kb;
    int64_t state_bytes; /* the sum over the query's operators of their peak state bytes */
    char error[4096];
} nexmark_run;

/*
 * count_char(s, c): how often the first byte of c occurs in s, the function
 * q14 calls. It is examples/c/udf_count_char.c's function; the bench
 * registers it itself so that q14 needs no library on disk (q14.sql's
 * CREATE FUNCTION IF NOT EXISTS then does nothing). Called on several
 * threads at once: it keeps nothing between calls.
 */
static int count_char(void *user, const weir_value *args, int nargs, weir_value *result,
                      char *errbuf, size_t errlen)
{
    if (args[0].is_null || args[1].is_null) {
        result->is_null = true;
        return 0;
    }
    if (args[1].len == 0) {
        snprintf(errbuf, errlen, "the character to count is empty");
        return -1;
    }
    int64_t n = 0;
    for (size_t i = 0; i < args[0].len; i++) n += args[0].s[i] == args[1].s[0];
    result->i = n;
    return 0;
}

static const weir_udf count_char_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_SCALAR,
    .result_type = "BIGINT",
    .arg_types = "STRING, STRING",
    .deterministic = true,
    .eval = count_char,
};

/* The whole file as a NUL-terminated string (free with free), or NULL. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
            if (fread(buf, 1, (size_t)n, f) == (size_t)n) {
                buf[n] = '\0';
            } else {
                free(buf);
                buf = NULL;
            }
        }
    }
    fclose(f);
    return buf;
}

/* dir/name into out; false when it does not fit. */
static bool path_join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < size;
}

static bool is_nexmark_dir(const char *dir)
{
    char path[PATH_MAX];
    return path_join(path, sizeof(path), dir, "ddl.sql") && access(path, R_OK) == 0;
}

/*
 * Finds bench/nexmark/ as the tests find their tools: beside the binary's
 * checkout (build/weir and build/asan/weir are one and two levels down),
 * else under the current directory. Writes an absolute path into dir.
 */
static bool find_nexmark_dir(char *dir, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < NEXMARK_DIR_DEPTH; up++) {
            char *slash = strrchr(exe, '/');
            if (slash == NULL) break;
            *slash = '\0';
            if (path_join(dir, size, exe, "bench/nexmark") && is_nexmark_dir(dir)) return true;
        }
    }
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == NULL) return false;
    return path_join(dir, size, cwd, "bench/nexmark") && is_nexmark_dir(dir);
}

static int write_side_input(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) return -1;
    for (int i = 0; i < SIDE_INPUT_ROWS; i++) fprintf(f, "%d,%d\n", i, i);
    return fclose(f) == 0 ? 0 : -1;
}

/* The sum over the operators of the session's last job of their peak state bytes. */
static int64_t last_job_state_bytes(const weir_session *s)
{
    int n = weir_session_last_job_metrics(s, NULL, 0);
    weir_vertex_metrics *m = calloc((size_t)(n > 0 ? n : 1), sizeof(*m));
    int64_t bytes = 0;
    if (m == NULL) return 0;
    weir_session_last_job_metrics(s, m, n);
    for (int i = 0; i < n; i++) bytes += m[i].state_bytes_peak;
    free(m);
    return bytes;
}

/* Runs every statement of sql; on an error copies the session's message into run. */
static int exec_all(weir_session *s, const char *sql, const char *name, nexmark_run *run)
{
    if (weir_exec(s, sql, name, NULL) == 0) return 0;
    snprintf(run->error, sizeof(run->error), "%s", weir_session_error(s));
    return -1;
}

/*
 * The child's work: one query in a fresh session in the current directory
 * (the temporary one). Fills run; run->ok says whether the query ran.
 */
static void run_query(const char *dir, const char *query, const nexmark_opts *o, nexmark_run *run)
{
    char file[64], path[PATH_MAX], setup[512];
    bool named = snprintf(file, sizeof(file), "%s.sql", query) < (int)sizeof(file);
    char *ddl = named && path_join(path, sizeof(path), dir, "ddl.sql") ? read_text(path) : NULL;
    char *sql = ddl && path_join(path, sizeof(path), dir, file) ? read_text(path) : NULL;
    weir_session *s = weir_session_new();
    if (ddl == NULL || sql == NULL) {
        snprintf(run->error, sizeof(run->error), "cannot read '%.1024s': %s", path,
                 strerror(errno));
        goto done;
    }
    if (write_side_input("side_input.csv")) {
        snprintf(run->error, sizeof(run->error), "cannot write side_input.csv: %s",
                 strerror(errno));
        goto done;
    }
    if (weir_session_create_function(s, "count_char", &count_char_udf)) {
        snprintf(run->error, sizeof(run->error), "%s", weir_session_error(s));
        goto done;
    }
    snprintf(setup, sizeof(setup),
             "SET 'execution.runtime-mode' = 'streaming';\n"
             "SET 'parallelism.default' = '%d';\n",
             o->parallelism);
    if (exec_all(s, setup, "setup", run) || exec_all(s, o->sets, "--set", run) ||
        exec_all(s, ddl, "ddl.sql", run))
        goto done;
    snprintf(setup, sizeof(setup),
             "ALTER TABLE nexmark SET ('events.num' = '%lld', "
             "'first-event.rate' = '10000000', 'next-event.rate' = '10000000');\n",
             o->events);
    if (exec_all(s, setup, "setup", run)) goto done;
    double w0 = wr_bench_now_s(), c0 = wr_bench_cpu_s();
    if (exec_all(s, sql, file, run)) goto done;
    run->wall = wr_bench_now_s() - w0;
    run->cpu = wr_bench_cpu_s() - c0;
    run->peak_rss_kb = wr_bench_peak_rss_kb();
    run->state_bytes = last_job_state_bytes(s);
    run->ok = 1;
done:
    weir_session_free(s);
    free(sql);
    free(ddl);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

/*
 * One run of query in a child process. Returns 0 with *run filled, or -1 with
 * run->error set (the query failed, or the child could not be started or died).
 */
static int run_child(const char *dir, const char *query, const nexmark_opts *o, nexmark_run *run)
{
    memset(run, 0, sizeof(*run));
    char tmp[] = "/tmp/weir-nexmark-XXXXXX";
    int fds[2];
    if (mkdtemp(tmp) == NULL) {
        snprintf(run->error, sizeof(run->error), "cannot make a directory: %s", strerror(errno));
        return -1;
    }
    if (pipe(fds) != 0) {
        snprintf(run->error, sizeof(run->error), "cannot make a pipe: %s", strerror(errno));
        rmdir(tmp);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        nexmark_run mine;
        memset(&mine, 0, sizeof(mine));
        if (chdir(tmp) != 0)
            snprintf(mine.error, sizeof(mine.error), "cannot enter %s: %s", tmp, strerror(errno));
        else
            run_query(dir, query, o, &mine);
        ssize_t put = write(fds[1], &mine, sizeof(mine));
        _exit(put == (ssize_t)sizeof(mine) ? 0 : 1);
    }
    close(fds[1]);
    int rc = -1;
    if (pid < 0) {
        snprintf(run->error, sizeof(run->error), "cannot fork: %s", strerror(errno));
    } else {
        size_t got = 0;
        while (got < sizeof(*run)) {
            ssize_t k = read(fds[0], (char *)run + got, sizeof(*run) - got);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) break;
            got += (size_t)k;
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (got < sizeof(*run)) {
            memset(run, 0, sizeof(*run));
            if (WIFSIGNALED(status))
                snprintf(run->error, sizeof(run->error), "the query's process died of signal %d",
                         WTERMSIG(status));
            else
                snprintf(run->error, sizeof(run->error),
                         "the query's process ended without a result (status %d)",
                         WEXITSTATUS(status));
        } else {
            rc = run->ok ? 0 : -1;
        }
    }
    close(fds[0]);
    nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

/* "q5" or "5" -> "q5" in name; false when arg names no query number. */
static bool query_name(const char *arg, char *name, size_t size)
{
    const char *digits = arg[0] == 'q' || arg[0] == 'Q' ? arg + 1 : arg;
    char *end;
    long q = strtol(digits, &end, 10);
    if (digits[0] < '0' || digits[0] > '9' || *end != '\0' || q < 0 || q > 999) return false;
    snprintf(name, size, "q%ld", q);
    return true;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: weir bench nexmark [q...] [--events N] [--parallelism P] [--runs R]\n"
                 "                          [--set KEY=VALUE]... [--json] [--dir DIR]\n"
                 "\n"
                 "Runs Nexmark queries (default: q0 to q22) from bench/nexmark/ (or DIR) in\n"
                 "streaming mode, each in a process of its own: the nexmark source with N events\n"
                 "(default 1000000) at the V1 rate of 10M events/s of event time, parallelism P\n"
                 "(default 1), into the blackhole sinks the files declare. Prints per query the\n"
                 "events, wall and CPU seconds, events/s, events per CPU-second, the peak RSS\n"
                 "of its process and the peak state size (the sum over its operators of the\n"
                 "largest state each held; medians of R runs, default 1); --json prints one\n"
                 "object per query per line. A query that fails prints its error; the others\n"
                 "still run and the exit status is then 1. --set runs SET 'KEY' = 'VALUE' before\n"
                 "ddl.sql (a configuration option, as in the SQL client).\n");
}

int wr_cli_bench_nexmark(int argc, char **argv)
{
    long long events = 1000000;
    int parallelism = 1, runs = 1;
    bool json = false;
    const char *dir_arg = NULL;
    /* The --set options as SET statements, quotes doubled. */
    size_t sets_len = 0;
    char *sets = calloc(1, 1);
    char names[64][16];
    int nnames = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool value = i + 1 < argc;
        if (strcmp(a, "--events") == 0 && value) {
            events = atoll(argv[++i]);
        } else if (strcmp(a, "--parallelism") == 0 && value) {
            parallelism = atoi(argv[++i]);
        } else if (strcmp(a, "--runs") == 0 && value) {
            runs = atoi(argv[++i]);
        } else if (strcmp(a, "--dir") == 0 && value) {
            dir_arg = argv[++i];
        } else if (strcmp(a, "--set") == 0 && value) {
            const char *kv = argv[++i], *eq = strchr(kv, '=');
            if (eq == NULL || eq == kv) {
                fprintf(stderr, "weir bench nexmark: --set wants KEY=VALUE, got '%s'\n", kv);
                goto usage_error;
            }
            /* What the bench sets itself, and reports. */
            if (strncmp(kv, "parallelism.default=", 20) == 0 ||
                strncmp(kv, "execution.runtime-mode=", 23) == 0) {
                fprintf(stderr,
                        "weir bench nexmark: --set cannot change %.*s (give --parallelism; "
                        "the bench runs in streaming mode)\n",
                        (int)(eq - kv), kv);
                goto usage_error;
            }
            char *grown = realloc(sets, sets_len + 2 * strlen(kv) + 16);
            if (grown == NULL) goto usage_error;
            sets = grown;
            sets_len += (size_t)sprintf(sets + sets_len, "SET '");
            for (const char *c = kv; *c; c++) {
                if (c == eq) {
                    sets_len += (size_t)sprintf(sets + sets_len, "' = '");
                    continue;
                }
                if (*c == '\'') sets[sets_len++] = '\'';
                sets[sets_len++] = *c;
            }
            sets_len += (size_t)sprintf(sets + sets_len, "';\n");
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--help") == 0) {
            usage(stdout);
            free(sets);
            return 0;
        } else if (a[0] != '-' && nnames < 64 && query_name(a, names[nnames], sizeof(names[0]))) {
            nnames++;
        } else {
            fprintf(stderr, "weir bench nexmark: unexpected argument '%s'\n", a);
            usage(stderr);
            goto usage_error;
        }
    }
    if (events < 1 || parallelism < 1 || runs < 1) {
        fprintf(stderr, "weir bench nexmark: --events, --parallelism and --runs must be "
                        "positive\n");
        goto usage_error;
    }
    char dir[PATH_MAX];
    if (dir_arg != NULL) {
        if (realpath(dir_arg, dir) == NULL || !is_nexmark_dir(dir)) {
            fprintf(stderr, "weir bench nexmark: '%s' has no ddl.sql\n", dir_arg);
            goto usage_error;
        }
    } else if (!find_nexmark_dir(dir, sizeof(dir))) {
        fprintf(stderr, "weir bench nexmark: bench/nexmark/ not found beside the executable or "
                        "in the current directory; give --dir\n");
        goto usage_error;
    }
    nexmark_opts opts = {events, parallelism, sets};
    if (nnames == 0)
        for (nnames = 0; nnames < NEXMARK_QUERIES; nnames++)
            snprintf(names[nnames], sizeof(names[0]), "q%d", nnames);

    if (!json)
        printf("%-6s %11s %8s %8s %12s %14s %9s %9s\n", "query", "events", "wall s", "cpu s",
               "events/s", "events/cpu-s", "peak MB", "state MB");
    int failed = 0;
    for (int q = 0; q < nnames; q++) {
        double wall[runs], cpu[runs];
        long peak[runs];
        double state[runs];
        nexmark_run run;
        int r = 0;
        for (; r < runs; r++) {
            if (run_child(dir, names[q], &opts, &run)) break;
            wall[r] = run.wall;
            cpu[r] = run.cpu;
            peak[r] = run.peak_rss_kb;
            state[r] = (double)run.state_bytes;
        }
        if (r < runs) {
            failed++;
            if (!json) printf("%-6s %11lld   failed: see below\n", names[q], events);
            fflush(stdout);
            fprintf(stderr, "weir bench nexmark: %s: %s\n", names[q], run.error);
            fflush(stderr);
            continue;
        }
        qsort(wall, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        qsort(cpu, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        /* Peak RSS: the median run's, sorted as doubles for the shared comparator. */
        double peaks[runs];
        for (int k = 0; k < runs; k++) peaks[k] = (double)peak[k];
        qsort(peaks, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        qsort(state, (size_t)runs, sizeof(double), wr_bench_cmp_double);
        double mw = wall[runs / 2], mc = cpu[runs / 2], mp = peaks[runs / 2], ms = state[runs / 2];
        if (json)
            printf("{\"query\":\"%s\",\"events\":%lld,\"parallelism\":%d,\"seconds\":%.4f,"
                   "\"cpu_seconds\":%.4f,\"events_per_second\":%.0f,"
                   "\"events_per_cpu_second\":%.0f,\"peak_rss_bytes\":%.0f,\"state_bytes\":%.0f}\n",
                   names[q], events, parallelism, mw, mc, events / mw, events / mc, mp * 1024, ms);
        else
            printf("%-6s %11lld %8.3f %8.3f %12.0f %14.0f %9.1f %9.1f\n", names[q], events, mw, mc,
                   events / mw, events / mc, mp / 1024, ms / (1024 * 1024));
        fflush(stdout);
    }
    free(sets);
    return failed ? 1 : 0;
usage_error:
    free(sets);
    return 2;
}
