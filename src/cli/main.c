/*
 * main.c — the weir command: `weir sql`, `weir slt`, `weir bench`.
 *
 * Uses only the public API (weir.h) and the commands beside it; SIGINT and
 * SIGTERM cancel the running statement, which then stops cleanly. `weir sql`
 * runs a file (-f, stopping at the first error) or hands stdin to the SQL
 * client (client.h): a shell on a terminal, statements from a pipe.
 */
#include "../base/alloc.h"
#include "bench.h"
#include "client.h"
#include "print.h"
#include "slt.h"
#include "weir.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage: weir <command> [options]\n"
          "\n"
          "Weir is a stream and batch processor: Flink SQL in one small native binary.\n"
          "\n"
          "commands:\n"
          "  sql [-f FILE]     the SQL client: a shell on a terminal, else runs statements\n"
          "                    from FILE or stdin\n"
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
          "CREATE TABLE [... WITH (...)], CREATE VIEW, DROP, SET 'key' = 'value', INSERT INTO\n"
          "... SELECT ..., SELECT, SHOW TABLES, DESCRIBE, EXPLAIN. A table created without\n"
          "WITH is stored by Weir for the session. An INSERT runs its job to the end of its\n"
          "input; Ctrl-C cancels it.\n"
          "\n"
          "With -f, the file's statements run until the first error. Without -f, on a\n"
          "terminal, an interactive shell starts (history in $WEIR_HISTORY or\n"
          "~/.weir_history; HELP; lists what it takes); from a pipe, every statement of\n"
          "stdin runs and an error does not stop the ones after it.\n"
          "\n"
          "options:\n"
          "  -f FILE           the script to run\n"
          "  -D key=value      set a configuration option first (like SET)\n"
          "  --resume          start each job from its latest complete checkpoint in\n"
          "                    'state.checkpoints.dir' (by 'pipeline.name'), if any\n"
          "  --help            print this help\n"
          "\n"
          "Results are printed per 'sql-client.execution.result-mode': 'tableau' (default;\n"
          "an op column only for changelogs), 'table' (the changelog applied) or\n"
          "'changelog' (every change with its op).\n"
          "\n"
          "After a job whose sources skipped malformed records ('*.ignore-parse-errors') or\n"
          "whose operators dropped late rows, a line \"note: ...\" on stderr says how many.\n"
          "\n"
          "SIGINT cancels the running job; SIGTERM stops it, with a savepoint written to\n"
          "'state.savepoints.dir' when that is set (its path is printed).\n"
          "\n"
          "exit status: 0 when every statement succeeded (or a stop wrote its savepoint),\n"
          "1 on an error, 130 after SIGINT, 143 after SIGTERM without a savepoint\n",
          f);
}

static void show_result(void *arg, const weir_result *result)
{
    wr_cli_live *live = arg;
    if (live->printed > 0) { /* the rows were printed as they came */
        wr_cli_live_footer(live, -1);
        return;
    }
    const char *mode = weir_session_get(live->session, "sql-client.execution.result-mode");
    wr_cli_print_result(stdout, result, wr_cli_mode_of(mode), -1);
}

/* A job's summary (skipped malformed records, late rows dropped): on stderr, beside errors. */
static void show_note(void *arg, const char *note)
{
    (void)arg;
    fflush(stdout); /* after the rows the job printed */
    fprintf(stderr, "note: %s\n", note);
}

static int cmd_sql(int argc, char **argv)
{
    const char *file = NULL;
    weir_session *s = weir_session_new();
    weir_session_on_note(s, show_note, NULL);
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
    wr_cli_signals_install();
    if (file == NULL) {
        int status = wr_cli_client(s, isatty(STDIN_FILENO));
        weir_session_free(s);
        return status;
    }
    FILE *f = fopen(file, "r");
    if (f == NULL) {
        fprintf(stderr, "weir: cannot open %s: %s\n", file, strerror(errno));
        weir_session_free(s);
        return 1;
    }
    char *text = wr_cli_read_all(f, file);
    fclose(f);
    if (text == NULL) {
        weir_session_free(s);
        return 1;
    }
    wr_cli_running(s);
    wr_cli_live live;
    wr_cli_live_begin(&live, stdout, s);
    int rc = weir_exec_each(s, text, file, show_result, &live);
    wr_cli_live_stop(&live);
    wr_cli_running(NULL);
    fflush(stdout);
    int status = 0, sig = wr_cli_take_signal();
    if (rc && weir_session_savepoint(s)) {
        fprintf(stderr, "weir: job stopped with a savepoint: %s\n", weir_session_savepoint(s));
    } else if (rc) {
        if (sig) {
            fprintf(stderr, "weir: job cancelled (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
            if (strstr(weir_session_error(s), "savepoint failed"))
                fprintf(stderr, "weir: %s\n", weir_session_error(s));
            status = 128 + sig;
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
