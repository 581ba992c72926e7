/*
 * client.c — the SQL client behind `weir sql` without -f; see client.h.
 *
 * The shell collects lines until they end a statement (a ';' outside quotes
 * and comments; a statement set only at END;), then runs what was typed one
 * statement at a time through weir_exec_next, so an error is shown with its
 * line, column and caret and the next statement still runs. Results are
 * printed per 'sql-client.execution.result-mode' (print.h). Client commands
 * (HELP, QUIT, EXIT, CLEAR) are handled here and never reach the session.
 */
#include "client.h"
#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/clock.h"
#include "print.h"

#include <ctype.h>
#include <errno.h>
#include <histedit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- signals ------------------------------------------------------------------- */

static weir_session *volatile running_session;
static volatile sig_atomic_t got_signal;

/* Only async-signal-safe calls: the session's cancel and stop set flags. */
static void on_signal(int sig)
{
    got_signal = sig;
    weir_session *s = running_session;
    if (s == NULL) return;
    if (sig == SIGTERM)
        weir_session_stop(s);
    else
        weir_session_cancel(s);
}

void wr_cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a signal at the prompt interrupts the terminal read. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void wr_cli_running(weir_session *session)
{
    running_session = session;
}

int wr_cli_take_signal(void)
{
    int sig = got_signal;
    got_signal = 0;
    return sig;
}

char *wr_cli_read_all(FILE *f, const char *name)
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

/* ---- reading statements ---------------------------------------------------------- */

/* Where a text stands after its last byte, for the shell to decide whether to run it. */
typedef struct scan_result {
    bool complete; /* one or more statements, each ended, then only blanks and comments */
    bool blank;    /* nothing but blanks and comments */
} scan_result;

static bool is_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/*
 * Scans text as the lexer would for what matters here: strings ('' inside
 * doubles a quote), `identifiers`, -- and block comments, words and ';'. A
 * ';' ends a statement, except inside [EXECUTE] STATEMENT SET BEGIN ... END,
 * which only the ';' after END ends.
 */
static scan_result scan_statements(const char *text)
{
    enum { CODE, QUOTE, BACKQUOTE, LINE_COMMENT, BLOCK_COMMENT } state = CODE;
    bool ended = false, pending = false, in_set = false;
    char first[2][16] = {"", ""};
    char last[16] = "";
    int nwords = 0;
    for (const char *p = text; *p; p++) {
        char c = *p;
        switch (state) {
        case QUOTE:
        case BACKQUOTE: {
            char q = state == QUOTE ? '\'' : '`';
            if (c == q && p[1] == q)
                p++;
            else if (c == q)
                state = CODE;
            continue;
        }
        case LINE_COMMENT:
            if (c == '\n') state = CODE;
            continue;
        case BLOCK_COMMENT:
            if (c == '*' && p[1] == '/') {
                state = CODE;
                p++;
            }
            continue;
        case CODE:
            break;
        }
        if (c == '-' && p[1] == '-') {
            state = LINE_COMMENT;
            p++;
        } else if (c == '/' && p[1] == '*') {
            state = BLOCK_COMMENT;
            p++;
        } else if (isspace((unsigned char)c)) {
            /* between tokens */
        } else if (c == ';') {
            if (in_set && strcasecmp(last, "END") != 0) {
                pending = true;
            } else {
                ended = true;
                pending = in_set = false;
                nwords = 0;
            }
            last[0] = '\0';
        } else if (is_word_char(c)) {
            const char *start = p;
            while (is_word_char(p[1])) p++;
            size_t len = (size_t)(p - start + 1);
            snprintf(last, sizeof(last), "%.*s", (int)WR_MIN(len, sizeof(last) - 1), start);
            if (nwords < 2) memcpy(first[nwords], last, sizeof(last));
            nwords++;
            bool set_word = strcasecmp(last, "SET") == 0;
            if (set_word && nwords == 2 && strcasecmp(first[0], "STATEMENT") == 0) in_set = true;
            if (set_word && nwords == 3 && strcasecmp(first[0], "EXECUTE") == 0 &&
                strcasecmp(first[1], "STATEMENT") == 0)
                in_set = true;
            pending = true;
        } else {
            pending = true;
            last[0] = '\0';
            if (c == '\'') state = QUOTE;
            if (c == '`') state = BACKQUOTE;
        }
    }
    bool outside = state == CODE || state == LINE_COMMENT;
    scan_result r = {outside && ended && !pending, outside && !ended && !pending};
    return r;
}

/* Skips blanks and comments from text + at; returns the offset of what follows. */
static int skip_blank(const char *text, int at)
{
    for (;;) {
        while (isspace((unsigned char)text[at])) at++;
        if (text[at] == '-' && text[at + 1] == '-') {
            while (text[at] && text[at] != '\n') at++;
        } else if (text[at] == '/' && text[at + 1] == '*') {
            const char *end = strstr(text + at + 2, "*/");
            at = end ? (int)(end - text) + 2 : (int)strlen(text);
        } else {
            return at;
        }
    }
}

/* The word at text + at (after blanks and comments), upper-cased into word; "" when none. */
static int word_at(const char *text, int at, char *word, size_t size)
{
    at = skip_blank(text, at);
    size_t n = 0;
    while (is_word_char(text[at])) {
        if (n + 1 < size) word[n++] = (char)toupper((unsigned char)text[at]);
        at++;
    }
    word[n] = '\0';
    return at;
}

typedef enum client_cmd { CMD_NONE, CMD_HELP, CMD_QUIT, CMD_CLEAR } client_cmd;

/*
 * A client command at text + *at: HELP, QUIT, EXIT or CLEAR alone, with or
 * without ';'. Moves *at past it.
 */
static client_cmd command_at(const char *text, int *at)
{
    char word[16];
    int end = word_at(text, *at, word, sizeof(word));
    client_cmd cmd = strcmp(word, "HELP") == 0                                ? CMD_HELP
                     : strcmp(word, "QUIT") == 0 || strcmp(word, "EXIT") == 0 ? CMD_QUIT
                     : strcmp(word, "CLEAR") == 0                             ? CMD_CLEAR
                                                                              : CMD_NONE;
    if (cmd == CMD_NONE) return CMD_NONE;
    while (text[end] == ' ' || text[end] == '\t') end++;
    if (text[end] == ';')
        end++;
    else if (text[end] != '\0' && text[end] != '\n' && text[end] != '\r')
        return CMD_NONE;
    *at = end;
    return cmd;
}

/* ---- running statements ------------------------------------------------------------ */

typedef struct client {
    weir_session *session;
    bool interactive;
    const char *name; /* the text's name in error messages, or NULL */
    int errors;
    int signal; /* the signal that stopped a statement, 0 when none */
    bool quit;
} client;

static void print_help(void)
{
    fputs("Statements (end each with ';'):\n"
          "  CREATE [TEMPORARY] TABLE [IF NOT EXISTS] t (col type, ...) [WITH (...)]\n"
          "                     without WITH the rows are stored by Weir for the session\n"
          "  CREATE [TEMPORARY] VIEW [IF NOT EXISTS] v AS query\n"
          "  DROP [TEMPORARY] TABLE|VIEW [IF EXISTS] name\n"
          "  INSERT INTO|OVERWRITE t SELECT ... | VALUES (...)\n"
          "  EXECUTE STATEMENT SET BEGIN INSERT ...; INSERT ...; END\n"
          "  SELECT ... | VALUES (...)\n"
          "  SHOW TABLES | VIEWS | CATALOGS | DATABASES | CREATE TABLE t | CREATE VIEW v\n"
          "  DESCRIBE name, EXPLAIN statement\n"
          "  SET 'key' = 'value', SET, RESET ['key']\n"
          "      'sql-client.execution.result-mode' = 'tableau' | 'table' | 'changelog'\n"
          "\n"
          "Client commands:\n"
          "  HELP               this text\n"
          "  CLEAR              clear the screen\n"
          "  QUIT, EXIT         leave (also Ctrl-D)\n"
          "\n"
          "Ctrl-C cancels the running statement, or clears the line being typed.\n",
          stdout);
}

/* Reports the session's last error; stops here when a signal caused it. */
static void report_error(client *c)
{
    int sig = wr_cli_take_signal();
    fflush(stdout);
    FILE *out = c->interactive ? stdout : stderr;
    const char *savepoint = weir_session_savepoint(c->session);
    if (savepoint) {
        fprintf(out, "[INFO] Job stopped with a savepoint: %s\n", savepoint);
    } else if (sig) {
        /* On a terminal the line holds the echoed ^C. */
        fprintf(out, "%s[INFO] Statement cancelled (%s).\n", c->interactive ? "\n" : "",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
    } else {
        fprintf(out, "[ERROR] %s\n", weir_session_error(c->session));
        c->errors++;
    }
    fflush(out);
    if (sig) c->signal = sig;
}

/* Runs the statements of text in order, going on after errors unless a signal stopped one. */
static void run_text(client *c, const char *text)
{
    int offset = 0;
    while (!c->quit && c->signal == 0) {
        /* A signal between two statements stops the rest as well. */
        if ((c->signal = wr_cli_take_signal()) != 0) break;
        client_cmd cmd = command_at(text, &offset);
        if (cmd == CMD_QUIT) {
            c->quit = true;
            break;
        }
        if (cmd == CMD_HELP) print_help();
        if (cmd == CMD_CLEAR && c->interactive) fputs("\033[H\033[2J", stdout);
        if (cmd != CMD_NONE) continue;
        char word[16];
        word_at(text, offset, word, sizeof(word));
        bool update = strcmp(word, "INSERT") == 0 || strcmp(word, "EXECUTE") == 0;
        int64_t start = wr_clock_mono_ns();
        weir_result *result = NULL;
        wr_cli_running(c->session);
        wr_cli_live live;
        wr_cli_live_begin(&live, stdout, c->session);
        int rc = weir_exec_next(c->session, text, c->name, &offset, &result);
        wr_cli_live_stop(&live);
        wr_cli_running(NULL);
        double seconds = (double)(wr_clock_mono_ns() - start) / 1e9;
        if (rc == 0) break;
        if (rc < 0) {
            report_error(c);
            continue;
        }
        if (result && live.printed > 0) {
            /* The rows were printed as they came. */
            wr_cli_live_footer(&live, seconds);
            weir_result_free(result);
        } else if (result) {
            const char *mode = weir_session_get(c->session, "sql-client.execution.result-mode");
            wr_cli_print_result(stdout, result, wr_cli_mode_of(mode), seconds);
            weir_result_free(result);
        } else if (update) {
            printf("[INFO] Complete execution of the SQL update statement (%.2f seconds).\n",
                   seconds);
        } else {
            puts("[INFO] Execute statement succeeded.");
        }
        fflush(stdout);
    }
}

/* ---- the shell ------------------------------------------------------------------ */

static bool continuing; /* the prompt is for a statement's next line */

static char *prompt(EditLine *el)
{
    return continuing ? "    -> " : "weir> ";
}

static char *history_path(void)
{
    const char *env = getenv("WEIR_HISTORY");
    if (env && *env) return wr_strdup(env);
    const char *home = getenv("HOME");
    if (home == NULL || *home == '\0') return NULL;
    wr_buf b;
    wr_buf_init(&b);
    wr_buf_printf(&b, "%s/.weir_history", home);
    return wr_buf_detach(&b);
}

static int run_shell(client *c)
{
    EditLine *el = el_init("weir", stdin, stdout, stderr);
    if (el == NULL) {
        fputs("weir: cannot start the line editor\n", stderr);
        return 1;
    }
    History *hist = history_init();
    HistEvent ev;
    history(hist, &ev, H_SETSIZE, 1000);
    history(hist, &ev, H_SETUNIQUE, 1);
    char *path = history_path();
    if (path) history(hist, &ev, H_LOAD, path); /* a missing file is a first run */
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, prompt);
    el_set(el, EL_HIST, history, hist);
    el_set(el, EL_SIGNAL, 1); /* the editor restores the terminal on signals */
    el_source(el, NULL);      /* ~/.editrc */
    printf("Weir %s SQL client. End statements with ';'. Type HELP; for help, QUIT; to leave.\n\n",
           WEIR_VERSION);
    wr_buf text;
    wr_buf_init(&text);
    wr_buf_puts(&text, "");
    while (!c->quit) {
        continuing = text.len > 0;
        wr_cli_take_signal(); /* one that came as a statement ended is not for this line */
        int count = 0;
        const char *line = el_gets(el, &count);
        int sig = wr_cli_take_signal();
        if (sig == SIGTERM) break;
        if (sig == SIGINT) {
            /* Ctrl-C at the prompt: forget what was typed. */
            fputc('\n', stdout);
            wr_buf_reset(&text);
            wr_buf_puts(&text, "");
            continue;
        }
        if (line == NULL) {
            if (count < 0 && errno == EINTR) continue;
            fputc('\n', stdout); /* Ctrl-D */
            break;
        }
        wr_buf_puts(&text, line);
        if (text.len > 0 && text.data[text.len - 1] != '\n') wr_buf_putc(&text, '\n');
        int at = 0;
        scan_result sr = scan_statements(text.data);
        bool command = command_at(text.data, &at) != CMD_NONE;
        if (sr.blank && !command) {
            wr_buf_reset(&text);
            wr_buf_puts(&text, "");
            continue;
        }
        if (!sr.complete && !command) continue;
        /* One history entry per statement as typed, without its last newline. */
        char *entry = wr_strndup(text.data, text.len - 1);
        history(hist, &ev, H_ENTER, entry);
        wr_free(entry);
        if (path) history(hist, &ev, H_SAVE, path);
        run_text(c, text.data);
        c->signal = 0; /* a cancelled statement returns to the prompt */
        wr_buf_reset(&text);
        wr_buf_puts(&text, "");
    }
    wr_buf_fini(&text);
    if (path) history(hist, &ev, H_SAVE, path);
    wr_free(path);
    history_end(hist);
    el_end(el);
    return 0;
}

int wr_cli_client(weir_session *session, bool interactive)
{
    client c = {.session = session, .interactive = interactive};
    if (interactive) return run_shell(&c);
    char *text = wr_cli_read_all(stdin, "stdin");
    if (text == NULL) return 1;
    c.name = "stdin";
    run_text(&c, text);
    wr_free(text);
    if (c.signal && weir_session_savepoint(session)) return 0;
    if (c.signal) return 128 + c.signal;
    return c.errors ? 1 : 0;
}
