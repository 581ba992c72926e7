/*
 * test_metrics.c — operator metrics through the public API: weir_job_metrics on DataStream
 * jobs (numRecordsIn/Out, numRecordsInErrors of a source skipping malformed lines,
 * numLateRecordsDropped of a window) and the notes a SQL session gives after such a job.
 */
#include <weir.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A temporary file holding text; the path is returned in path (at least 32 bytes). */
static void write_file(char *path, const char *text)
{
    strcpy(path, "/tmp/weir-metrics-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

/* Runs the environment's job to its end and copies the metrics of its operators. */
static int run_metrics(weir_env *env, weir_vertex_metrics *out, int cap)
{
    weir_job *job = weir_execute_async(env, "metrics");
    cr_assert_not_null(job, "%s", weir_env_error(env));
    cr_assert_eq(weir_job_wait(job, -1), 0, "job failed: %s", weir_job_error(job));
    int n = weir_job_metrics(job, out, cap);
    cr_assert_eq(weir_job_metrics(job, NULL, 0), n, "cap 0 only counts");
    /* Names belong to the job: keep copies past weir_job_free. */
    for (int i = 0; i < n && i < cap; i++) out[i].name = strdup(out[i].name);
    weir_job_free(job);
    return n;
}

static void free_names(weir_vertex_metrics *m, int n)
{
    for (int i = 0; i < n; i++) free((char *)m[i].name);
}

static const weir_vertex_metrics *find(const weir_vertex_metrics *m, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(m[i].name, name) == 0) return &m[i];
    cr_assert_fail("no operator named '%s'", name);
    return NULL;
}

static int sink_nothing(void *arg, const weir_row *row, weir_ctx *ctx)
{
    return 0;
}

Test(metrics, skipped_malformed_lines_are_records_in_errors)
{
    char path[64];
    write_file(path, "1,a\n2,b\nx3,c\n4,d\n5\n6,f\n");
    weir_env *env = weir_env_new();
    const char *opts[] = {
        "connector", "filesystem", "path", path, "format", "csv", "csv.ignore-parse-errors",
        "true",      NULL};
    weir_stream *s = weir_from_connector(env, "id INT, k STRING", opts);
    cr_assert_not_null(s, "%s", weir_env_error(env));
    weir_set_name(s, "lines");
    weir_sink_callback(s, sink_nothing, NULL);
    weir_vertex_metrics m[8];
    int n = run_metrics(env, m, 8);
    cr_assert_eq(n, 2);
    const weir_vertex_metrics *src = find(m, n, "lines");
    cr_expect_eq(src->parallelism, 1);
    cr_expect_eq(src->records_in, 0, "a source receives nothing");
    cr_expect_eq(src->records_out, 4);
    cr_expect_eq(src->records_in_errors, 2, "'x3,c' and '5' are malformed");
    cr_expect_eq(src->late_records_dropped, 0);
    const weir_vertex_metrics *sink = m[0].name == src->name ? &m[1] : &m[0];
    cr_expect_eq(sink->records_in, 4);
    cr_expect_eq(sink->records_out, 0);
    cr_expect_eq(sink->records_in_errors, 0);
    free_names(m, n);
    weir_env_free(env);
    unlink(path);
}

/* ---- a window fed a late row ---- */

static int64_t punctuate(void *arg, void *state, int64_t ts)
{
    return ts - 1;
}

static void count_init(void *arg, void *acc)
{
    *(int64_t *)acc = 0;
}

static void count_add(void *arg, void *acc, const weir_row *in)
{
    ++*(int64_t *)acc;
}

static int count_result(void *arg, const void *acc, weir_ctx *ctx)
{
    weir_out *out = weir_output(ctx);
    weir_set_int(out, 0, weir_ctx_window_start(ctx));
    weir_set_int(out, 1, *(const int64_t *)acc);
    return weir_emit(out);
}

Test(metrics, late_rows_dropped_by_a_window)
{
    /* 25000 closes [0, 10000): the row at 2000 after it is late, and dropped (no late tag). */
    const char *rows[] = {"a,1000", "a,3000", "a,25000", "a,2000", "a,26000"};
    weir_env *env = weir_env_new();
    weir_stream *s = weir_from_elements(env, "k STRING, ts BIGINT", rows, 5);
    weir_watermark_strategy wm = {
        .kind = WEIR_WATERMARK_CUSTOM, .timestamp_field = "ts", .on_event = punctuate};
    s = weir_assign_timestamps(s, &wm);
    weir_window_spec w = {.kind = WEIR_WINDOW_TUMBLING, .size_ms = 10000};
    weir_aggregate_fn count = {
        .acc_size = sizeof(int64_t), .init = count_init, .add = count_add, .result = count_result};
    weir_stream *counts =
        weir_window_aggregate(weir_key_by(s, "k"), &w, "start BIGINT, n BIGINT", &count, NULL);
    weir_set_name(counts, "counts");
    weir_sink_callback(counts, sink_nothing, NULL);
    weir_vertex_metrics m[8];
    int n = run_metrics(env, m, 8);
    const weir_vertex_metrics *win = find(m, n, "counts");
    cr_expect_eq(win->records_in, 5);
    cr_expect_eq(win->records_out, 2, "windows [0, 10000) and [20000, 30000)");
    cr_expect_eq(win->late_records_dropped, 1);
    cr_expect_eq(win->records_in_errors, 0);
    int64_t late = 0;
    for (int i = 0; i < n; i++) late += m[i].late_records_dropped;
    cr_expect_eq(late, 1, "only the window drops");
    free_names(m, n);
    weir_env_free(env);
}

/* A cap below the number of operators fills that many and still returns the number. */
Test(metrics, cap_limits_what_is_filled)
{
    const char *rows[] = {"1", "2", "3"};
    weir_env *env = weir_env_new();
    weir_stream *s = weir_from_elements(env, "x BIGINT", rows, 3);
    weir_sink_callback(s, sink_nothing, NULL);
    weir_vertex_metrics m[2];
    memset(m, 0, sizeof(m));
    m[1].records_in = -7;
    int n = run_metrics(env, m, 1);
    cr_expect_eq(n, 2);
    cr_expect_eq(m[0].records_out + m[0].records_in, 3);
    cr_expect_eq(m[1].records_in, -7, "past cap nothing is written");
    free((char *)m[0].name);
    weir_env_free(env);
}

/* ---- the SQL session's notes ---- */

typedef struct notes {
    char text[1024];
    int n;
} notes;

static void on_note(void *arg, const char *note)
{
    notes *ns = arg;
    size_t at = strlen(ns->text);
    snprintf(ns->text + at, sizeof(ns->text) - at, "%s\n", note);
    ns->n++;
}

Test(metrics, session_notes_skipped_records)
{
    char path[64];
    write_file(path, "1,a\nx,b\n3,c\n");
    weir_session *s = weir_session_new();
    notes ns = {0};
    weir_session_on_note(s, on_note, &ns);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE src (id INT, k STRING) WITH ('connector' = 'filesystem', "
             "'path' = '%s', 'format' = 'csv', 'csv.ignore-parse-errors' = 'true');"
             "CREATE TABLE out (id INT, k STRING) WITH ('connector' = 'blackhole');"
             "INSERT INTO out SELECT * FROM src;",
             path);
    cr_assert_eq(weir_exec(s, sql, "t.sql", NULL), 0, "%s", weir_session_error(s));
    cr_expect_eq(ns.n, 1, "%s", ns.text);
    cr_expect_str_eq(ns.text,
                     "source 'Source: src' skipped 1 malformed record (ignore-parse-errors)\n");
    /* A clean job says nothing. */
    memset(&ns, 0, sizeof(ns));
    cr_assert_eq(weir_exec(s, "INSERT INTO out VALUES (1, 'x');", NULL, NULL), 0, "%s",
                 weir_session_error(s));
    cr_expect_eq(ns.n, 0, "%s", ns.text);
    weir_session_free(s);
    unlink(path);
}

/* ---- state size ---- */

/* A CSV file of n rows "i,1" (n distinct keys) in path (at least 32 bytes). */
static void write_keys(char *path, int n)
{
    strcpy(path, "/tmp/weir-metrics-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < n; i++) fprintf(f, "%d,1\n", i);
    fclose(f);
}

/*
 * Runs `query` (an INSERT INTO out) in streaming mode over a CSV table src (k, v) of n
 * distinct keys; returns the sum over the job's operators of state_bytes_peak, and of
 * state_bytes in *now.
 */
static int64_t state_peak_of(const char *query, int n, int64_t *now)
{
    char path[64], sql[1024];
    write_keys(path, n);
    weir_session *s = weir_session_new();
    cr_expect_eq(weir_session_last_job_metrics(s, NULL, 0), 0, "no job yet");
    snprintf(sql, sizeof(sql),
             "SET 'execution.runtime-mode' = 'streaming';"
             "CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'filesystem', "
             "'path' = '%s', 'format' = 'csv');"
             "CREATE TABLE out (k INT, c BIGINT) WITH ('connector' = 'blackhole');%s",
             path, query);
    cr_assert_eq(weir_exec(s, sql, "t.sql", NULL), 0, "%s", weir_session_error(s));
    weir_vertex_metrics m[8];
    int nm = weir_session_last_job_metrics(s, m, 8);
    cr_assert(nm >= 2 && nm <= 8, "%d operators", nm);
    int64_t peak = 0;
    *now = 0;
    for (int i = 0; i < nm; i++) {
        cr_expect_not_null(m[i].name);
        cr_expect_geq(m[i].state_bytes_peak, m[i].state_bytes, "'%s': the peak is a maximum",
                      m[i].name);
        peak += m[i].state_bytes_peak;
        *now += m[i].state_bytes;
    }
    weir_session_free(s);
    unlink(path);
    return peak;
}

Test(metrics, group_by_state_grows_with_its_keys)
{
    const char *q = "INSERT INTO out SELECT k, SUM(v) FROM src GROUP BY k;";
    int64_t now_small, now_large;
    int64_t small = state_peak_of(q, 2000, &now_small);
    int64_t large = state_peak_of(q, 20000, &now_large);
    cr_expect_gt(small, 0, "a GROUP BY keeps its groups");
    cr_expect_gt(now_small, 0, "the groups are still held at the end");
    cr_expect_geq(large, 5 * small, "10x the keys: %lld bytes against %lld", (long long)large,
                  (long long)small);
}

Test(metrics, stateless_job_has_no_state)
{
    int64_t now;
    int64_t peak =
        state_peak_of("INSERT INTO out SELECT k, v + 1 FROM src WHERE k > 3;", 1000, &now);
    cr_expect_eq(peak, 0);
    cr_expect_eq(now, 0);
}
