/*
 * slt.c — the sqllogictest runner behind `weir slt FILE...`.
 *
 * Reads SQLite's sqllogictest format (statement and query records, sort modes,
 * hash-threshold, labels, skipif/onlyif, halt) and runs each record through the
 * public API of weir.h, one session per file, so SQL tests see exactly what an
 * embedding program sees. Values are rendered as SQLite's reference runner
 * renders them, so its published .test files can be run unchanged.
 */
#include "slt.h"

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/vec.h"
#include "weir.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <md5.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ENGINE_NAME "weir"
#define SHOW_LINES 40 /* lines of expected / actual output shown per failure */

typedef struct slt_run {
    int passed;
    int failed;
    int skipped;
    bool verbose;
    bool halt_on_error;
    bool stop; /* --halt-on-error saw a failure: run nothing more */
    /* --set key=value: session options every file starts with (for example
     * execution.runtime-mode=streaming, to run the same files through streaming operators) */
    char **settings;
    int nsettings;
} slt_run;

typedef struct slt_label {
    char *name;
    char hash[MD5_DIGEST_STRING_LENGTH];
    int line;
} slt_label;

/* One file being run. lines point into text, each NUL-terminated in place. */
typedef struct slt_file {
    slt_run *run;
    const char *path;
    char *text;
    WR_VEC(char *) lines;
    int pos; /* index of the next unread line */
    weir_session *session;
    long hash_threshold;
    WR_VEC(slt_label) labels;
} slt_file;

/* The body of a record: SQL lines, then optionally "----" and result lines. */
typedef struct slt_body {
    wr_buf sql;
    bool has_results; /* a "----" line was seen */
    int result_first; /* index of the first result line */
    int result_count;
} slt_body;

typedef enum slt_sort { SORT_NONE, SORT_ROW, SORT_VALUE } slt_sort;

/* ---- small text helpers ------------------------------------------------ */

static bool is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t') return false;
    return true;
}

static bool is_separator(const char *s)
{
    return strncmp(s, "----", 4) == 0 && is_blank(s + 4);
}

/* The next whitespace-separated word at *p: returns its start and sets *len (0 at the end). */
static const char *next_word(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    const char *start = s;
    while (*s && *s != ' ' && *s != '\t') s++;
    *len = (size_t)(s - start);
    *p = s;
    return start;
}

static bool word_is(const char *w, size_t len, const char *lit)
{
    return len == strlen(lit) && strncmp(w, lit, len) == 0;
}

static bool word_is_nocase(const char *w, size_t len, const char *lit)
{
    return len == strlen(lit) && strncasecmp(w, lit, len) == 0;
}

/* Copies s with leading and trailing blanks removed; the caller frees the copy. */
static char *dup_trimmed(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    return wr_strndup(s, n);
}

static const char *session_error(const slt_file *f)
{
    const char *msg = weir_session_error(f->session);
    return msg && *msg ? msg : "(no error message)";
}

/* ---- reporting ----------------------------------------------------------- */

/* Prints each line of text to out indented by four spaces. */
static void print_indented(FILE *out, const char *text)
{
    const char *s = text;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        fprintf(out, "    %.*s\n", (int)n, s);
        s += n + (nl != NULL);
    }
}

static void print_lines(const char *title, char *const *lines, size_t n)
{
    fprintf(stderr, "  %s (%zu line%s):\n", title, n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < SHOW_LINES; i++) fprintf(stderr, "    %s\n", lines[i]);
    if (n > SHOW_LINES) fprintf(stderr, "    ... %zu more\n", n - SHOW_LINES);
}

/* Counts a failed record and prints its first line, "file:line: message". */
static void fail(slt_file *f, int line, const char *fmt, ...) WR_PRINTF(3, 4);
static void fail(slt_file *f, int line, const char *fmt, ...)
{
    fflush(stdout);
    fprintf(stderr, "%s:%d: ", f->path, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    f->run->failed++;
    if (f->run->halt_on_error) f->run->stop = true;
}

static void print_sql(const slt_body *body)
{
    fprintf(stderr, "  sql:\n");
    print_indented(stderr, body->sql.data ? body->sql.data : "");
}

/* ---- reading a record ---------------------------------------------------- */

/*
 * Reads the lines after a command up to a blank line or the end of the file:
 * SQL lines (comment lines dropped), then, after a "----" line, result lines.
 */
static void read_body(slt_file *f, slt_body *body)
{
    wr_buf_init(&body->sql);
    body->has_results = false;
    body->result_first = body->result_count = 0;
    while (f->pos < f->lines.n && !is_blank(f->lines.v[f->pos])) {
        const char *line = f->lines.v[f->pos];
        if (body->has_results) {
            body->result_count++;
        } else if (is_separator(line)) {
            body->has_results = true;
            body->result_first = f->pos + 1;
        } else if (line[0] != '#') {
            if (body->sql.len > 0) wr_buf_putc(&body->sql, '\n');
            wr_buf_puts(&body->sql, line);
        }
        f->pos++;
    }
}

static char **result_lines(const slt_file *f, const slt_body *body)
{
    return f->lines.v + body->result_first;
}

/* True when msg contains pattern, or matches it as a POSIX extended regex. */
static bool error_matches(const char *msg, const char *pattern)
{
    if (strstr(msg, pattern)) return true;
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) return false;
    bool match = regexec(&re, msg, 0, NULL, 0) == 0;
    regfree(&re);
    return match;
}

/* ---- statement ----------------------------------------------------------- */

/*
 * "statement ok" / "statement error [pattern]"; the pattern may also be given
 * as the lines after "----". args is the rest of the command line.
 */
static void run_statement(slt_file *f, int line, const char *args, const slt_body *body, bool skip)
{
    size_t len;
    const char *w = next_word(&args, &len);
    bool expect_error = word_is(w, len, "error");
    if (!expect_error && !word_is(w, len, "ok")) {
        fail(f, line, "malformed record: expected 'statement ok' or 'statement error'");
        return;
    }
    if (!expect_error && !is_blank(args)) {
        fail(f, line, "malformed record: unexpected text after 'statement ok'");
        return;
    }
    if (body->sql.len == 0) {
        fail(f, line, "malformed record: statement without SQL");
        return;
    }
    if (!expect_error && body->has_results) {
        fail(f, line, "malformed record: 'statement ok' followed by '----'");
        return;
    }
    if (skip) {
        f->run->skipped++;
        return;
    }

    wr_buf pattern;
    wr_buf_init(&pattern);
    if (expect_error) {
        char *inline_pattern = dup_trimmed(args);
        wr_buf_puts(&pattern, inline_pattern);
        wr_free(inline_pattern);
        char **lines = result_lines(f, body);
        for (int i = 0; i < body->result_count; i++) {
            if (pattern.len > 0) wr_buf_putc(&pattern, '\n');
            wr_buf_puts(&pattern, lines[i]);
        }
    }

    int rc = weir_exec(f->session, body->sql.data, f->path, NULL);
    if (!expect_error && rc != 0) {
        fail(f, line, "statement failed");
        print_sql(body);
        fprintf(stderr, "  error:\n");
        print_indented(stderr, session_error(f));
    } else if (expect_error && rc == 0) {
        fail(f, line, "statement succeeded but an error was expected");
        print_sql(body);
        if (pattern.len > 0) fprintf(stderr, "  expected error matching: %s\n", pattern.data);
    } else if (expect_error && pattern.len > 0 && !error_matches(session_error(f), pattern.data)) {
        fail(f, line, "statement failed with an unexpected error");
        print_sql(body);
        fprintf(stderr, "  expected error matching: %s\n  actual error:\n", pattern.data);
        print_indented(stderr, session_error(f));
    } else {
        f->run->passed++;
    }
    wr_buf_fini(&pattern);
}

/* ---- query: rendering values --------------------------------------------- */

static int64_t double_to_int(double d)
{
    if (isnan(d)) return 0;
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

/* Like SQLite's conversion of text to a number: the leading numeric prefix, else 0. */
static int64_t text_to_int(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    if (strncasecmp(s, "true", 4) == 0) return 1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E') return double_to_int(strtod(s, NULL));
    return v;
}

static double text_to_double(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    if (strncasecmp(s, "true", 4) == 0) return 1;
    return strtod(s, NULL);
}

/*
 * Renders one value for type character type ('I', 'R' or 'T') the way
 * SQLite's reference runner does: NULL as "NULL", integers in decimal (reals
 * and DECIMALs truncated, text by its numeric prefix), reals and DECIMALs as "%.3f", text
 * (dates, times, intervals, x'..' bytes too) as is with
 * "(empty)" for the empty string and '@' for each byte outside ' '..'~'.
 * Returns a new string.
 */
static char *render_value(const weir_result *res, int64_t row, int col, char type)
{
    if (weir_result_is_null(res, row, col)) return wr_strdup("NULL");
    weir_kind kind = weir_result_column_kind(res, col);
    char num[64];
    if (type == 'I') {
        int64_t v;
        /* A DECIMAL's whole part exactly (truncated), not through a double. */
        bool decimal = strncmp(weir_result_column_type(res, col), "DECIMAL", 7) == 0;
        if (kind == WEIR_KIND_INTEGER || decimal)
            v = weir_result_int(res, row, col);
        else if (kind == WEIR_KIND_REAL)
            v = double_to_int(weir_result_double(res, row, col));
        else
            v = text_to_int(weir_result_text(res, row, col));
        snprintf(num, sizeof(num), "%" PRId64, v);
        return wr_strdup(num);
    }
    if (type == 'R') {
        double v;
        if (kind == WEIR_KIND_REAL)
            v = weir_result_double(res, row, col);
        else if (kind == WEIR_KIND_INTEGER)
            v = (double)weir_result_int(res, row, col);
        else
            v = text_to_double(weir_result_text(res, row, col));
        snprintf(num, sizeof(num), "%.3f", v);
        return wr_strdup(num);
    }
    const char *text = weir_result_text(res, row, col);
    if (text == NULL) return wr_strdup("NULL");
    if (*text == '\0') return wr_strdup("(empty)");
    char *out = wr_strdup(text);
    for (unsigned char *p = (unsigned char *)out; *p; p++)
        if (*p < 0x20 || *p > 0x7e) *p = '@';
    return out;
}

typedef struct slt_row {
    char **vals;
    int cols;
} slt_row;

static int compare_rows(const void *a, const void *b)
{
    const slt_row *x = a, *y = b;
    for (int i = 0; i < x->cols; i++) {
        int c = strcmp(x->vals[i], y->vals[i]);
        if (c != 0) return c;
    }
    return 0;
}

static int compare_values(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts vals (rows x cols, row-major) as sort says. */
static void sort_values(char **vals, size_t rows, int cols, slt_sort sort)
{
    size_t n = rows * (size_t)cols;
    if (sort == SORT_VALUE) {
        qsort(vals, n, sizeof(*vals), compare_values);
    } else if (sort == SORT_ROW && rows > 1 && cols > 0) {
        slt_row *order = wr_malloc(rows * sizeof(*order));
        for (size_t r = 0; r < rows; r++) order[r] = (slt_row){vals + r * (size_t)cols, cols};
        qsort(order, rows, sizeof(*order), compare_rows);
        char **sorted = wr_malloc(n * sizeof(*sorted));
        for (size_t r = 0; r < rows; r++)
            memcpy(sorted + r * (size_t)cols, order[r].vals, (size_t)cols * sizeof(*sorted));
        memcpy(vals, sorted, n * sizeof(*vals));
        wr_free(sorted);
        wr_free(order);
    }
}

/* The md5 of every value followed by "\n", as SQLite's runner computes it. */
static void hash_values(char *const *vals, size_t n, char out[MD5_DIGEST_STRING_LENGTH])
{
    MD5_CTX ctx;
    MD5Init(&ctx);
    for (size_t i = 0; i < n; i++) {
        MD5Update(&ctx, (const uint8_t *)vals[i], strlen(vals[i]));
        MD5Update(&ctx, (const uint8_t *)"\n", 1);
    }
    MD5End(&ctx, out);
}

/* Parses "<count> values hashing to <32 hex digits>"; false when line is not one. */
static bool parse_hash_line(const char *line, long long *count, char hash[MD5_DIGEST_STRING_LENGTH])
{
    const char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    if (*s < '0' || *s > '9') return false;
    char *end;
    *count = strtoll(s, &end, 10);
    static const char mid[] = " values hashing to ";
    if (strncmp(end, mid, sizeof(mid) - 1) != 0) return false;
    s = end + sizeof(mid) - 1;
    for (int i = 0; i < 32; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
        hash[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    hash[32] = '\0';
    return is_blank(s + 32);
}

/* Collapses runs of blanks in a row-per-line result line to single spaces. */
static void normalize_row_line(const char *line, wr_buf *out)
{
    wr_buf_reset(out);
    const char *p = line;
    size_t len;
    for (const char *w = next_word(&p, &len); len > 0; w = next_word(&p, &len)) {
        if (out->len > 0) wr_buf_putc(out, ' ');
        wr_buf_append(out, w, len);
    }
    if (out->data == NULL) wr_buf_puts(out, "");
}

/* Joins each row's values with single spaces; returns rows new strings. */
static char **join_rows(char *const *vals, size_t rows, int cols)
{
    char **out = wr_malloc((rows ? rows : 1) * sizeof(*out));
    wr_buf buf;
    wr_buf_init(&buf);
    for (size_t r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            if (c > 0) wr_buf_putc(&buf, ' ');
            wr_buf_puts(&buf, vals[r * (size_t)cols + (size_t)c]);
        }
        out[r] = wr_buf_detach(&buf);
    }
    return out;
}

static void free_strings(char **strs, size_t n)
{
    if (strs == NULL) return;
    for (size_t i = 0; i < n; i++) wr_free(strs[i]);
    wr_free(strs);
}

/*
 * Compares the expected lines with the rendered values: one value per line,
 * or (when the line count is the row count) one row per line with values
 * separated by blanks.
 */
static bool results_equal(char *const *expected, size_t nexpected, char *const *vals, size_t rows,
                          int cols)
{
    size_t n = rows * (size_t)cols;
    if (nexpected == n) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(expected[i], vals[i]) != 0) return false;
        return true;
    }
    if (nexpected != rows || cols < 2) return false;
    char **joined = join_rows(vals, rows, cols);
    wr_buf line;
    wr_buf_init(&line);
    bool equal = true;
    for (size_t r = 0; r < rows && equal; r++) {
        normalize_row_line(expected[r], &line);
        equal = strcmp(line.data, joined[r]) == 0;
    }
    wr_buf_fini(&line);
    free_strings(joined, rows);
    return equal;
}

static slt_label *find_label(slt_file *f, const char *name)
{
    for (int i = 0; i < f->labels.n; i++)
        if (strcmp(f->labels.v[i].name, name) == 0) return &f->labels.v[i];
    return NULL;
}

/* ---- query ----------------------------------------------------------------- */

/* The parsed "query <types> [sortmode] [label]" line. */
typedef struct slt_query {
    char types[64];
    slt_sort sort;
    char *label; /* owned; NULL when absent */
} slt_query;

/* Parses the arguments of a query line; returns an error message, or NULL. */
static const char *parse_query_line(const char *args, slt_query *q)
{
    size_t len;
    const char *w = next_word(&args, &len);
    if (len == 0) return "query without a type string";
    if (len >= sizeof(q->types)) return "type string too long";
    memcpy(q->types, w, len);
    q->types[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (!strchr("ITR", w[i])) return "type string may only contain I, T and R";
    w = next_word(&args, &len);
    if (len == 0) return NULL;
    if (word_is(w, len, "nosort"))
        q->sort = SORT_NONE;
    else if (word_is(w, len, "rowsort"))
        q->sort = SORT_ROW;
    else if (word_is(w, len, "valuesort"))
        q->sort = SORT_VALUE;
    else
        return "unknown sort mode (expected nosort, rowsort or valuesort)";
    w = next_word(&args, &len);
    if (len == 0) return NULL;
    q->label = wr_strndup(w, len);
    next_word(&args, &len);
    if (len != 0) return "unexpected text after the label";
    return NULL;
}

/*
 * Prints the actual result in the shape the expected one uses (row per line
 * when the expected lines are rows), plus its hash when it is large or the
 * expected result is a hash.
 */
static void print_actual(char *const *vals, size_t rows, int cols, size_t nexpected, bool hashed,
                         const char *hash)
{
    size_t n = rows * (size_t)cols;
    if (hashed) fprintf(stderr, "  actual: %zu values hashing to %s\n", n, hash);
    if (nexpected == rows && nexpected != n && cols > 1) {
        char **joined = join_rows(vals, rows, cols);
        print_lines("actual", joined, rows);
        free_strings(joined, rows);
    } else {
        print_lines("actual", vals, n);
    }
}

static bool same_values(char **vals, size_t a, size_t b, int cols)
{
    for (int c = 0; c < cols; c++)
        if (strcmp(vals[a * (size_t)cols + (size_t)c], vals[b * (size_t)cols + (size_t)c]) != 0)
            return false;
    return true;
}

/*
 * A streaming query's result is a changelog: applies it, as Flink's table result does, so
 * what remains is the table it describes. Each -U or -D takes back the latest earlier equal
 * row still standing. Keeps the remaining rows in vals (the others' strings are freed) and
 * their count in *rows. Returns NULL, or what breaks the rules of changelogs: a retraction
 * of a row that was never emitted, or -U and +U rows that do not pair up.
 */
static const char *apply_changes(const weir_result *res, char **vals, size_t *rows, int cols)
{
    size_t n = *rows, kept = 0;
    bool *gone = wr_calloc(n ? n : 1, sizeof(bool));
    const char *bad = NULL;
    long long before = 0, after = 0;
    for (size_t r = 0; r < n && !bad; r++) {
        const char *op = weir_result_change(res, (int64_t)r);
        before += strcmp(op, "-U") == 0;
        after += strcmp(op, "+U") == 0;
        if (strcmp(op, "-U") != 0 && strcmp(op, "-D") != 0) continue;
        gone[r] = true;
        size_t p = r;
        while (p-- > 0)
            if (!gone[p] && same_values(vals, p, r, cols)) break;
        if (p == (size_t)-1)
            bad = "a row is retracted (-U or -D) that was not emitted before";
        else
            gone[p] = true;
    }
    if (!bad && before != after) bad = "the numbers of -U and +U rows differ";
    for (size_t r = 0; r < n; r++) {
        for (int c = 0; c < cols; c++) {
            char **v = &vals[r * (size_t)cols + (size_t)c];
            if (gone[r] && !bad)
                wr_free(*v);
            else
                vals[kept * (size_t)cols + (size_t)c] = *v;
        }
        if (!gone[r] || bad) kept++;
    }
    wr_free(gone);
    *rows = kept;
    return bad;
}

static void run_query(slt_file *f, int line, const char *args, const slt_body *body, bool skip)
{
    slt_query q = {.sort = SORT_NONE};
    weir_result *res = NULL;
    char **vals = NULL;
    size_t n = 0;

    {
        const char *probe = args;
        size_t len;
        const char *w = next_word(&probe, &len);
        if (word_is(w, len, "error")) {
            /* "query error [pattern]" is "statement error" spelled as a query. */
            run_statement(f, line, args, body, skip);
            return;
        }
    }
    const char *problem = parse_query_line(args, &q);
    if (problem) {
        fail(f, line, "malformed record: %s", problem);
        goto out;
    }
    if (body->sql.len == 0) {
        fail(f, line, "malformed record: query without SQL");
        goto out;
    }
    if (skip) {
        f->run->skipped++;
        goto out;
    }

    if (weir_exec(f->session, body->sql.data, f->path, &res) != 0) {
        fail(f, line, "query failed");
        print_sql(body);
        fprintf(stderr, "  error:\n");
        print_indented(stderr, session_error(f));
        goto out;
    }
    if (res == NULL) {
        fail(f, line, "the SQL returned no result set (expected a query)");
        print_sql(body);
        goto out;
    }
    int cols = weir_result_columns(res);
    int64_t nrows = weir_result_rows(res);
    int ntypes = (int)strlen(q.types);
    if (cols != ntypes) {
        fail(f, line, "query returned %d column%s, type string '%s' has %d", cols,
             cols == 1 ? "" : "s", q.types, ntypes);
        print_sql(body);
        goto out;
    }
    if (nrows < 0) nrows = 0;
    size_t rows = (size_t)nrows;
    n = rows * (size_t)cols;
    vals = wr_malloc((n ? n : 1) * sizeof(*vals));
    for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            vals[r * (size_t)cols + (size_t)c] = render_value(res, (int64_t)r, c, q.types[c]);
    const char *bad = apply_changes(res, vals, &rows, cols);
    if (bad) {
        fail(f, line, "the query's changelog is inconsistent: %s", bad);
        print_sql(body);
        n = rows * (size_t)cols;
        goto out;
    }
    n = rows * (size_t)cols;
    sort_values(vals, rows, cols, q.sort);

    char hash[MD5_DIGEST_STRING_LENGTH];
    hash_values(vals, n, hash);
    bool large = f->hash_threshold > 0 && n > (size_t)f->hash_threshold;

    char **expected = result_lines(f, body);
    size_t nexpected = (size_t)body->result_count;
    long long want_count;
    char want_hash[MD5_DIGEST_STRING_LENGTH];
    /* Without "----" the query only has to run. */
    if (!body->has_results) {
        /* nothing to compare */
    } else if (nexpected == 1 && parse_hash_line(expected[0], &want_count, want_hash)) {
        if (want_count != (long long)n || strcmp(want_hash, hash) != 0) {
            fail(f, line, "query result differs (hashed)");
            print_sql(body);
            fprintf(stderr, "  expected: %s\n", expected[0]);
            print_actual(vals, rows, cols, nexpected, true, hash);
            goto out;
        }
    } else if (!results_equal(expected, nexpected, vals, rows, cols)) {
        fail(f, line, "query result differs");
        print_sql(body);
        print_lines("expected", expected, nexpected);
        /* A mistyped hash line is still best answered with the actual hash. */
        bool hashed = large || (nexpected == 1 && strstr(expected[0], "values hashing to"));
        print_actual(vals, rows, cols, nexpected, hashed, hash);
        goto out;
    }

    if (q.label) {
        slt_label *label = find_label(f, q.label);
        if (label && strcmp(label->hash, hash) != 0) {
            fail(f, line, "query result differs from that of line %d with the same label '%s'",
                 label->line, q.label);
            print_sql(body);
            print_actual(vals, rows, cols, nexpected, true, hash);
            fprintf(stderr, "  line %d: hashing to %s\n", label->line, label->hash);
            goto out;
        }
        if (label == NULL) {
            slt_label added = {.name = q.label, .line = line};
            memcpy(added.hash, hash, sizeof(hash));
            WR_VEC_PUSH(&f->labels, added);
            q.label = NULL; /* now owned by f->labels */
        }
    }
    f->run->passed++;

out:
    free_strings(vals, n);
    if (res) weir_result_free(res);
    wr_free(q.label);
}

/* ---- records and files --------------------------------------------------- */

/* Skips blank and comment lines; true when a record starts at f->pos. */
static bool at_record(slt_file *f)
{
    while (f->pos < f->lines.n) {
        const char *line = f->lines.v[f->pos];
        if (!is_blank(line) && line[0] != '#') return true;
        f->pos++;
    }
    return false;
}

static void print_record(const slt_file *f, int line, const slt_body *body)
{
    printf("%s:%d: %s\n", f->path, line, f->lines.v[line - 1]);
    if (body->sql.len > 0) print_indented(stdout, body->sql.data);
    fflush(stdout);
}

/*
 * Runs the record at f->pos (after at_record): its skipif/onlyif conditions,
 * then the command and its body. Returns false when the file is done (halt).
 */
static bool run_record(slt_file *f)
{
    bool skip = false;
    const char *args;
    const char *w;
    size_t len;
    for (;;) {
        args = f->lines.v[f->pos];
        w = next_word(&args, &len);
        bool skipif = word_is(w, len, "skipif");
        if (!skipif && !word_is(w, len, "onlyif")) break;
        const char *engine = next_word(&args, &len);
        if (len == 0) {
            fail(f, f->pos + 1, "malformed record: %s without an engine name",
                 skipif ? "skipif" : "onlyif");
            f->pos++;
            slt_body ignored;
            read_body(f, &ignored);
            wr_buf_fini(&ignored.sql);
            return true;
        }
        bool is_weir = word_is_nocase(engine, len, ENGINE_NAME);
        if (skipif == is_weir) skip = true;
        f->pos++;
        while (f->pos < f->lines.n && f->lines.v[f->pos][0] == '#') f->pos++;
        if (f->pos >= f->lines.n || is_blank(f->lines.v[f->pos])) {
            fail(f, f->pos, "malformed record: condition without a record");
            return true;
        }
    }

    int line = f->pos + 1;
    f->pos++;
    slt_body body;
    read_body(f, &body);
    if (f->run->verbose && !skip) print_record(f, line, &body);

    if (word_is(w, len, "statement")) {
        run_statement(f, line, args, &body, skip);
    } else if (word_is(w, len, "query")) {
        run_query(f, line, args, &body, skip);
    } else if (word_is(w, len, "hash-threshold")) {
        char *end;
        errno = 0;
        long threshold = strtol(args, &end, 10);
        if (end == args || !is_blank(end) || threshold < 0 || errno != 0 || body.sql.len > 0 ||
            body.has_results)
            fail(f, line, "malformed record: expected 'hash-threshold <count>'");
        else if (!skip)
            f->hash_threshold = threshold;
    } else if (word_is(w, len, "halt")) {
        if (!skip) {
            wr_buf_fini(&body.sql);
            return false;
        }
    } else if (!skip) {
        /* Skipped records may use another engine's commands. */
        fail(f, line, "malformed record: unknown command '%.*s'", (int)len, w);
    }
    wr_buf_fini(&body.sql);
    return true;
}

/* Reads path into f->text and splits it into lines; false (errno set) when it cannot. */
static bool load_file(slt_file *f)
{
    FILE *fp = fopen(f->path, "rb");
    if (fp == NULL) return false;
    wr_buf buf;
    wr_buf_init(&buf);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0) wr_buf_append(&buf, chunk, got);
    bool failed = ferror(fp);
    int saved = errno;
    fclose(fp);
    if (failed) {
        wr_buf_fini(&buf);
        errno = saved ? saved : EIO;
        return false;
    }
    f->text = wr_buf_detach(&buf);
    char *s = f->text;
    while (*s) {
        char *nl = strchr(s, '\n');
        char *end = nl ? nl : s + strlen(s);
        if (end > s && end[-1] == '\r') end[-1] = '\0';
        if (nl) *nl = '\0';
        WR_VEC_PUSH(&f->lines, s);
        s = nl ? nl + 1 : end;
    }
    return true;
}

static void run_file(slt_run *run, const char *path)
{
    slt_file f = {.run = run, .path = path};
    if (!load_file(&f)) {
        fflush(stdout);
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
        run->failed++;
        if (run->halt_on_error) run->stop = true;
        return;
    }
    f.session = weir_session_new();
    for (int i = 0; i < run->nsettings; i++) {
        char *kv = run->settings[i], *eq = strchr(kv, '=');
        *eq = '\0';
        int rc = weir_session_set(f.session, kv, eq + 1);
        *eq = '=';
        if (rc) {
            fprintf(stderr, "%s: --set %s: %s\n", path, kv, weir_session_error(f.session));
            run->failed++;
            goto out;
        }
    }
    if (f.session == NULL) {
        fprintf(stderr, "%s: cannot create a session\n", path);
        run->failed++;
        if (run->halt_on_error) run->stop = true;
        goto out;
    }
    while (!run->stop && at_record(&f) && run_record(&f)) {
    }

out:
    if (f.session) weir_session_free(f.session);
    for (int i = 0; i < f.labels.n; i++) wr_free(f.labels.v[i].name);
    WR_VEC_FREE(&f.labels);
    WR_VEC_FREE(&f.lines);
    wr_free(f.text);
}

static void usage(void)
{
    fprintf(stderr, "usage: weir slt [-v] [--halt-on-error] [--set KEY=VALUE]... FILE...\n"
                    "Runs sqllogictest files (engine name '" ENGINE_NAME "'); --set gives every\n"
                    "file's session an option first, as SET would.\n");
}

int wr_slt_main(int argc, char **argv)
{
    slt_run run = {0};
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        const char *opt = argv[first];
        if (strcmp(opt, "--") == 0) {
            first++;
            break;
        }
        if (strcmp(opt, "-v") == 0 || strcmp(opt, "--verbose") == 0) {
            run.verbose = true;
        } else if (strcmp(opt, "--halt-on-error") == 0) {
            run.halt_on_error = true;
        } else if (strcmp(opt, "--set") == 0 && first + 1 < argc && strchr(argv[first + 1], '=')) {
            run.settings = wr_realloc(run.settings, (size_t)(run.nsettings + 1) * sizeof(char *));
            run.settings[run.nsettings++] = argv[++first];
        } else if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            usage();
            return 0;
        } else {
            fprintf(stderr, "weir slt: unknown option '%s'\n", opt);
            usage();
            return 2;
        }
    }
    if (first >= argc) {
        usage();
        return 2;
    }
    for (int i = first; i < argc && !run.stop; i++) run_file(&run, argv[i]);
    wr_free(run.settings);
    printf("%d passed, %d failed, %d skipped\n", run.passed, run.failed, run.skipped);
    fflush(stdout);
    return run.failed > 0 ? 1 : 0;
}
