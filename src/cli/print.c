/*
 * print.c — boxed tables for results; see print.h.
 *
 * Widths count UTF-8 characters, not bytes, so names and values with
 * accents keep the box straight.
 */
#include "print.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

wr_cli_mode wr_cli_mode_of(const char *value)
{
    if (value && strcasecmp(value, "table") == 0) return WR_CLI_TABLE;
    if (value && strcasecmp(value, "changelog") == 0) return WR_CLI_CHANGELOG;
    return WR_CLI_TABLEAU;
}

/* Characters of a UTF-8 string: every byte that does not continue a sequence. */
static int text_width(const char *s)
{
    int w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void pad(FILE *f, int n)
{
    for (int i = 0; i < n; i++) fputc(' ', f);
}

static void rule(FILE *f, const int *width, int n)
{
    fputc('+', f);
    for (int c = 0; c < n; c++) {
        for (int i = 0; i < width[c] + 2; i++) fputc('-', f);
        fputc('+', f);
    }
    fputc('\n', f);
}

static void cell(FILE *f, const char *text, int width, bool right)
{
    int fill = width - text_width(text);
    fputc(' ', f);
    if (right) pad(f, fill);
    fputs(text, f);
    if (!right) pad(f, fill);
    fputs(" |", f);
}

static const char *value_text(const weir_result *r, int64_t row, int col)
{
    return weir_result_is_null(r, row, col) ? "<NULL>" : weir_result_text(r, row, col);
}

static bool is_retraction(const char *op)
{
    return strcmp(op, "-U") == 0 || strcmp(op, "-D") == 0;
}

static bool same_row(const weir_result *r, int64_t a, int64_t b)
{
    for (int c = 0; c < weir_result_columns(r); c++) {
        bool na = weir_result_is_null(r, a, c), nb = weir_result_is_null(r, b, c);
        if (na != nb || (!na && strcmp(weir_result_text(r, a, c), weir_result_text(r, b, c))))
            return false;
    }
    return true;
}

/*
 * Which rows to show: in table mode, each -U or -D takes back the latest
 * earlier equal row still shown, and itself is not shown. Returns the count.
 */
static int64_t visible_rows(const weir_result *r, wr_cli_mode mode, bool *shown)
{
    int64_t nrows = weir_result_rows(r), n = 0;
    for (int64_t row = 0; row < nrows; row++) {
        shown[row] = true;
        if (mode != WR_CLI_TABLE || !is_retraction(weir_result_change(r, row))) continue;
        shown[row] = false;
        for (int64_t prev = row - 1; prev >= 0; prev--) {
            if (shown[prev] && same_row(r, prev, row)) {
                shown[prev] = false;
                break;
            }
        }
    }
    for (int64_t row = 0; row < nrows; row++) n += shown[row];
    return n;
}

static void footer(FILE *f, int64_t n, double seconds)
{
    if (n == 0)
        fputs("Empty set", f);
    else
        fprintf(f, "%lld row%s in set", (long long)n, n == 1 ? "" : "s");
    if (seconds >= 0) fprintf(f, " (%.2f seconds)", seconds);
    fputc('\n', f);
}

void wr_cli_print_result(FILE *f, const weir_result *r, wr_cli_mode mode, double seconds)
{
    int ncols = weir_result_columns(r);
    int64_t nrows = weir_result_rows(r);
    if (ncols == 1 && nrows == 1 && !weir_result_is_null(r, 0, 0) &&
        strchr(weir_result_text(r, 0, 0), '\n')) {
        const char *text = weir_result_text(r, 0, 0);
        fputs(text, f);
        if (text[strlen(text) - 1] != '\n') fputc('\n', f);
        if (seconds >= 0) footer(f, 1, seconds);
        return;
    }
    bool *shown = calloc((size_t)(nrows > 0 ? nrows : 1), sizeof(bool));
    int *width = calloc((size_t)ncols + 1, sizeof(int));
    if (shown == NULL || width == NULL) {
        free(shown);
        free(width);
        return;
    }
    int64_t nshown = visible_rows(r, mode, shown);
    bool op = mode == WR_CLI_CHANGELOG;
    for (int64_t row = 0; row < nrows && mode == WR_CLI_TABLEAU; row++)
        op |= strcmp(weir_result_change(r, row), "+I") != 0;
    int first = op ? 0 : 1; /* width[0] is the op column's */
    width[0] = 2;
    for (int c = 0; c < ncols; c++) {
        width[c + 1] = text_width(weir_result_column_name(r, c));
        for (int64_t row = 0; row < nrows; row++) {
            int w = shown[row] ? text_width(value_text(r, row, c)) : 0;
            if (w > width[c + 1]) width[c + 1] = w;
        }
    }
    if (nshown > 0) {
        rule(f, width + first, ncols + 1 - first);
        fputc('|', f);
        if (op) cell(f, "op", width[0], true);
        for (int c = 0; c < ncols; c++) cell(f, weir_result_column_name(r, c), width[c + 1], true);
        fputc('\n', f);
        rule(f, width + first, ncols + 1 - first);
    }
    for (int64_t row = 0; row < nrows; row++) {
        if (!shown[row]) continue;
        fputc('|', f);
        if (op) cell(f, weir_result_change(r, row), width[0], true);
        for (int c = 0; c < ncols; c++) {
            /* Numbers right-aligned, text left-aligned. */
            weir_kind k = weir_result_column_kind(r, c);
            cell(f, value_text(r, row, c), width[c + 1],
                 k == WEIR_KIND_INTEGER || k == WEIR_KIND_REAL);
        }
        fputc('\n', f);
    }
    if (nshown > 0) rule(f, width + first, ncols + 1 - first);
    footer(f, nshown, seconds);
    free(width);
    free(shown);
}

/* Prints rows from .. to - 1, under the header before the first, in changelog mode. */
static void live_rows(const weir_result *r, int64_t from, int64_t to, void *arg)
{
    wr_cli_live *live = arg;
    const char *mode = weir_session_get(live->session, "sql-client.execution.result-mode");
    if (wr_cli_mode_of(mode) == WR_CLI_TABLE && live->tty) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        if (now - live->drawn_at_ms < 1000) return;
        live->drawn_at_ms = now;
        fputs("\033[H\033[2J", live->f); /* home, clear */
        wr_cli_print_result(live->f, r, WR_CLI_TABLE, -1);
        fputs("(running; Ctrl-C cancels)\n", live->f);
        fflush(live->f);
        return;
    }
    if (wr_cli_mode_of(mode) != WR_CLI_CHANGELOG) return;
    int ncols = weir_result_columns(r);
    if (live->printed == 0 && from < to) {
        fputs("| op |", live->f);
        for (int c = 0; c < ncols; c++) fprintf(live->f, " %s |", weir_result_column_name(r, c));
        fputc('\n', live->f);
    }
    for (int64_t row = from; row < to; row++) {
        fprintf(live->f, "| %s |", weir_result_change(r, row));
        for (int c = 0; c < ncols; c++) fprintf(live->f, " %s |", value_text(r, row, c));
        fputc('\n', live->f);
    }
    live->printed += to - from;
    fflush(live->f);
}

void wr_cli_live_begin(wr_cli_live *live, FILE *f, weir_session *session)
{
    live->f = f;
    live->session = session;
    live->printed = 0;
    live->tty = isatty(fileno(f));
    live->drawn_at_ms = 0;
    weir_session_on_rows(session, live_rows, live);
}

void wr_cli_live_footer(wr_cli_live *live, double seconds)
{
    footer(live->f, live->printed, seconds);
    live->printed = 0;
}

void wr_cli_live_stop(wr_cli_live *live)
{
    weir_session_on_rows(live->session, NULL, NULL);
}
