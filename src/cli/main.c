/*
 * main.c — the weir command: `weir sql`, `weir slt`, `weir bench`.
 *
 * Uses only the public API (weir.h) and the commands beside it; SIGINT and
 * SIGTERM cancel the running statement, which then stops cleanly.
 */
#include "../base/alloc.h"
#include "../base/buf.h"
#include "bench.h"
#include "print.h"
#include "slt.h"
#include "weir.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static weir_session *volatile current_session;
static volatile sig_atomic_t got_signal;

/* SIGINT cancels; SIGTERM stops with a savepoint when 'state.savepoints.dir' is set. */
static void on_signal(int sig)
{
    got_signal = sig;
    weir_session *s = current_session;
    if (s == NULL) return;
    if (sig == SIGTERM)
        weir_session_stop(s);
    else
        weir_session_cancel(s);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void usage(FILE *f)
{
    fputs("usage: weir <command> [options]\n"
          "\n"
          "Weir is a stream and batch processor: Flink SQL in one small native binary.\n"
          "\n"
          "commands:\n"
          "  sql [-f FILE]     run Flink SQL statements from FILE, or read them from stdin\n"
          "  slt FILE...       run sqllogictest files against the engine\n"
          "  bench [options]   run the built-in benchmark (see weir bench --help)\n"
          "\n"
          "options:\n"
          "  --version         print the version\n"
          "  --help            print this help\n",
          f);
}

static void sql_usage(FILE *f)
{
    fputs("usage: weir sql [-f FILE] [-D key=value]... [--resume]\n"
          "\n"
          "Runs Flink SQL statements separated by ';' (with -- and /* */ comments) in order:\n"
          "CREATE TABLE ... WITH (...), SET 'key' = 'value', INSERT INTO ... SELECT ...,\n"
          "SELECT, SHOW TABLES, DESCRIBE, EXPLAIN. An INSERT runs its job to the end of\n"
          "its input; Ctrl-C cancels it. Without -f, statements are read from stdin.\n"
          "\n"
          "options:\n"
          "  -f FILE           the script to run\n"
          "  -D key=value      set a configuration option first (like SET)\n"
          "  --resume          start each job from its latest complete checkpoint in\n"
          "                    'state.checkpoints.dir' (by 'pipeline.name'), if any\n"
          "  --help            print this help\n"
          "\n"
          "SIGINT cancels the running job; SIGTERM stops it, with a savepoint written to\n"
          "'state.savepoints.dir' when that is set (its path is printed).\n"
          "\n"
          "exit status: 0 when every statement succeeded (or a stop wrote its savepoint),\n"
          "1 on an error, 130 after SIGINT, 143 after SIGTERM without a savepoint\n",
          f);
}

/* Reads all of f into a new string (free with wr_free), or NULL after reporting why. */
static char *read_all(FILE *f, const char *name)
{
    wr_buf buf;
    wr_buf_init(&buf);
    size_t n;
    do {
        char *p = wr_buf_reserve(&buf, 65536);
        n = fread(p, 1, 65536, f);
        buf.len += n;
        buf.data[buf.len] = '\0';
    } while (n > 0);
    if (ferror(f)) {
        fprintf(stderr, "weir: cannot read %s: %s\n", name, strerror(errno));
        wr_buf_fini(&buf);
        return NULL;
    }
    return wr_buf_detach(&buf);
}

static void show_result(void *arg, const weir_result *result)
{
    wr_cli_print_table(stdout, result);
}

static int cmd_sql(int argc, char **argv)
{
    const char *file = NULL;
    weir_session *s = weir_session_new();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            sql_usage(stdout);
            weir_session_free(s);
            return 0;
        } else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc) {
            file = argv[++i];
        } else if (strcmp(argv[i], "--resume") == 0) {
            weir_session_set_resume(s, true);
        } else if (strcmp(argv[i], "-D") == 0 && i + 1 < argc) {
            char *kv = argv[++i], *eq = strchr(kv, '=');
            if (!eq) {
                fprintf(stderr, "weir sql: -D needs key=value, got '%s'\n", kv);
                weir_session_free(s);
                return 2;
            }
            *eq = '\0';
            weir_session_set(s, kv, eq + 1);
        } else {
            fprintf(stderr, "weir sql: unknown argument '%s'\n", argv[i]);
            sql_usage(stderr);
            weir_session_free(s);
            return 2;
        }
    }
    FILE *f = stdin;
    if (file && !(f = fopen(file, "r"))) {
        fprintf(stderr, "weir: cannot open %s: %s\n", file, strerror(errno));
        weir_session_free(s);
        return 1;
    }
    char *text = read_all(f, file ? file : "stdin");
    if (f != stdin) fclose(f);
    if (text == NULL) {
        weir_session_free(s);
        return 1;
    }
    current_session = s;
    install_signals();
    int rc = weir_exec_each(s, text, file ? file : "stdin", show_result, NULL);
    current_session = NULL;
    fflush(stdout);
    int status = 0;
    if (rc && weir_session_savepoint(s)) {
        fprintf(stderr, "weir: job stopped with a savepoint: %s\n", weir_session_savepoint(s));
    } else if (rc) {
        if (got_signal) {
            fprintf(stderr, "weir: job cancelled (%s)\n",
                    got_signal == SIGINT ? "SIGINT" : "SIGTERM");
            if (strstr(weir_session_error(s), "savepoint failed"))
                fprintf(stderr, "weir: %s\n", weir_session_error(s));
            status = 128 + got_signal;
        } else {
            fprintf(stderr, "weir: error: %s\n", weir_session_error(s));
            status = 1;
        }
    }
    wr_free(text);
    weir_session_free(s);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("weir %s\n", WEIR_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "sql") == 0) return cmd_sql(argc - 1, argv + 1);
    if (strcmp(cmd, "slt") == 0) return wr_slt_main(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0) return wr_cli_bench(argc - 1, argv + 1);
    fprintf(stderr, "weir: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
