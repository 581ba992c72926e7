/*
 * test_table_api.c — the Table API: streams registered as tables, SQL and the
 * programmatic calls over them, and tables back as changelog streams that the
 * DataStream API continues, all in one job run by weir_execute.
 */
#include <weir.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- collecting sink: "+I|f0|f1|..." lines ---- */

typedef struct collected {
    pthread_mutex_t lock;
    char **lines;
    int n;
    bool timestamps; /* append "@<record timestamp>" */
} collected;

static void collected_init(collected *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
}

static void collected_fini(collected *c)
{
    for (int i = 0; i < c->n; i++) free(c->lines[i]);
    free(c->lines);
    pthread_mutex_destroy(&c->lock);
}

static const char *const kinds[] = {"+I", "-U", "+U", "-D"};

/* Strings as they are, other values through weir_row_int (TIMESTAMP: epoch ms); NULL "null". */
static int collect(void *arg, const weir_row *row, weir_ctx *ctx)
{
    collected *c = arg;
    char line[512];
    size_t at = (size_t)snprintf(line, sizeof(line), "%s", kinds[weir_row_kind(row)]);
    for (int f = 0; f < weir_row_fields(row); f++) {
        size_t len;
        const char *s = weir_row_str(row, f, &len);
        if (weir_row_is_null(row, f))
            at += (size_t)snprintf(line + at, sizeof(line) - at, "|null");
        else if (len)
            at += (size_t)snprintf(line + at, sizeof(line) - at, "|%.*s", (int)len, s);
        else
            at += (size_t)snprintf(line + at, sizeof(line) - at, "|%lld",
                                   (long long)weir_row_int(row, f));
    }
    if (c->timestamps)
        snprintf(line + at, sizeof(line) - at, "@%lld", (long long)weir_row_timestamp(row));
    pthread_mutex_lock(&c->lock);
    c->lines = realloc(c->lines, (size_t)(c->n + 1) * sizeof(char *));
    c->lines[c->n++] = strdup(line);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *joined(collected *c, bool sort)
{
    if (sort && c->n > 1) qsort(c->lines, (size_t)c->n, sizeof(char *), cmp_str);
    size_t total = 1;
    for (int i = 0; i < c->n; i++) total += strlen(c->lines[i]) + 1;
    char *out = calloc(1, total);
    for (int i = 0; i < c->n; i++) {
        if (i) strcat(out, ";");
        strcat(out, c->lines[i]);
    }
    return out;
}

static void expect_lines(collected *c, bool sort, const char *want)
{
    char *got = joined(c, sort);
    cr_expect_str_eq(got, want);
    free(got);
}

static void run_ok(weir_env *env)
{
    int rc = weir_execute(env, "table-test");
    cr_assert_eq(rc, 0, "job failed: %s", weir_env_error(env));
}

/* The error kept by env contains every one of the texts. */
static void expect_error(weir_env *env, const char *const *parts)
{
    const char *msg = weir_env_error(env);
    cr_assert(msg[0], "expected an error");
    for (int i = 0; parts[i]; i++)
        cr_expect(strstr(msg, parts[i]) != NULL, "error lacks \"%s\":\n%s", parts[i], msg);
}

/* ---- sources ---- */

static const char *const orders[] = {
    "a,1", "b,2", "a,3", "c,10", "b,5",
};

static weir_stream *orders_stream(weir_env *env)
{
    return weir_from_elements(env, "user STRING, amount INT", orders, 5);
}

/*
 * The same orders from a callback source, one row per call: each row reaches the SQL
 * operators in a batch of its own (a GROUP BY folds the rows of one batch into one
 * change), and the source never ends by itself, so SQL runs in streaming mode.
 */
typedef struct orders_gen {
    int next;
} orders_gen;

static int gen_orders(void *arg, weir_ctx *ctx)
{
    orders_gen *g = arg;
    if (g->next == 5) return WEIR_SOURCE_END;
    const char *row = orders[g->next++];
    weir_out *out = weir_output(ctx);
    weir_set_str(out, 0, row, 1);
    weir_set_int(out, 1, atoi(row + 2));
    return weir_emit(out) ? -1 : WEIR_SOURCE_MORE;
}

static weir_stream *orders_one_by_one(weir_env *env, orders_gen *g)
{
    g->next = 0;
    return weir_from_callback(env, "user STRING, amount INT", gen_orders, g);
}

/* Clicks over 25 seconds, in order except one late by 2 s (the watermark lags 5 s). */
static const char *const clicks[] = {
    "2024-01-01 00:00:01,a", "2024-01-01 00:00:03,b", "2024-01-01 00:00:04,a",
    "2024-01-01 00:00:12,a", "2024-01-01 00:00:10,b", "2024-01-01 00:00:15,b",
    "2024-01-01 00:00:24,a",
};

static weir_stream *clicks_stream(weir_env *env)
{
    return weir_from_elements(env, "ts TIMESTAMP(3), user STRING", clicks, 7);
}

static const char clicks_watermark[] = "WATERMARK FOR ts AS ts - INTERVAL '5' SECOND";

/* 2024-01-01 00:00:00 UTC in epoch milliseconds. */
#define T0 1704067200000LL

/* ---- insert-only queries ---- */

Test(table_api, insert_only_query)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    cr_assert_eq(weir_table_env_create_view(tenv, "orders", orders_stream(env), NULL), 0, "%s",
                 weir_env_error(env));
    weir_table *t = weir_table_sql(
        tenv, "SELECT user, amount * 10 AS big FROM orders WHERE amount > 1 AND user <> 'c'");
    cr_assert_not_null(t, "%s", weir_env_error(env));
    collected c;
    collected_init(&c);
    weir_sink_callback(weir_table_to_stream(t), collect, &c);
    run_ok(env);
    expect_lines(&c, true, "+I|a|30;+I|b|20;+I|b|50");
    collected_fini(&c);
    weir_env_free(env);
}

/* ---- updates: -U/+U from a GROUP BY, at parallelism 1 in arrival order ---- */

Test(table_api, group_by_emits_updates)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    orders_gen g;
    weir_table_env_create_view(tenv, "orders", orders_one_by_one(env, &g), NULL);
    weir_table *t =
        weir_table_sql(tenv, "SELECT user, SUM(amount) AS total FROM orders GROUP BY user");
    cr_assert_not_null(t, "%s", weir_env_error(env));
    collected c;
    collected_init(&c);
    weir_sink_callback(weir_table_to_changelog_stream(t), collect, &c);
    run_ok(env);
    expect_lines(&c, false, "+I|a|1;+I|b|2;-U|a|1;+U|a|4;+I|c|10;-U|b|2;+U|b|7");
    collected_fini(&c);
    weir_env_free(env);
}

Test(table_api, to_stream_refuses_updates)
{
    weir_env *env = weir_env_new();
    weir_env_set(env, "execution.runtime-mode", "streaming");
    weir_table_env *tenv = weir_table_env_new(env);
    weir_table_env_create_view(tenv, "orders", orders_stream(env), NULL);
    weir_table *t = weir_table_sql(tenv, "SELECT user, COUNT(*) AS n FROM orders GROUP BY user");
    cr_assert_not_null(t);
    cr_assert_null(weir_table_to_stream(t));
    const char *parts[] = {"weir_table_to_stream", "produces updates", "GroupAggregate",
                           "weir_table_to_changelog_stream", NULL};
    expect_error(env, parts);
    cr_expect_neq(weir_execute(env, "x"), 0);
    weir_env_free(env);
}

/* ---- event time: a watermark from schema_extra, a window TVF in SQL and in calls ---- */

Test(table_api, window_tvf_sql_and_calls)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    cr_assert_eq(weir_table_env_create_view(tenv, "clicks", clicks_stream(env), clicks_watermark),
                 0, "%s", weir_env_error(env));
    weir_table *sql = weir_table_sql(
        tenv, "SELECT user, window_start, window_end, COUNT(*) AS n "
              "FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND)) "
              "GROUP BY user, window_start, window_end");
    cr_assert_not_null(sql, "%s", weir_env_error(env));
    weir_table_window_spec tumble = {
        .kind = WEIR_TABLE_TUMBLE, .time_column = "ts", .size_ms = 10000};
    weir_table *windowed = weir_table_window(weir_table_from(tenv, "clicks"), &tumble);
    weir_table *grouped = weir_table_group_by(windowed, "user, window_start, window_end");
    weir_table *calls = weir_table_aggregate(grouped, "COUNT(*) AS n");
    cr_assert_not_null(calls, "%s", weir_env_error(env));
    collected a, b;
    collected_init(&a);
    collected_init(&b);
    weir_sink_callback(weir_table_to_stream(sql), collect, &a);
    weir_sink_callback(weir_table_to_stream(calls), collect, &b);
    run_ok(env);
    char want[512];
    snprintf(want, sizeof(want),
             "+I|a|%lld|%lld|2;+I|a|%lld|%lld|1;+I|a|%lld|%lld|1;+I|b|%lld|%lld|1;"
             "+I|b|%lld|%lld|2",
             T0, T0 + 10000, T0 + 10000, T0 + 20000, T0 + 20000, T0 + 30000, T0, T0 + 10000,
             T0 + 10000, T0 + 20000);
    expect_lines(&a, true, want);
    expect_lines(&b, true, want);
    collected_fini(&a);
    collected_fini(&b);
    weir_env_free(env);
}

Test(table_api, session_window_calls_equal_sql)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    weir_table_env_create_view(tenv, "clicks", clicks_stream(env), clicks_watermark);
    weir_table *sql = weir_table_sql(
        tenv, "SELECT user, window_start, window_end, COUNT(*) AS n FROM TABLE(SESSION("
              "TABLE clicks PARTITION BY user, DESCRIPTOR(ts), INTERVAL '6' SECOND)) "
              "GROUP BY user, window_start, window_end");
    weir_table_window_spec session = {
        .kind = WEIR_TABLE_SESSION, .time_column = "ts", .gap_ms = 6000, .partition_by = "user"};
    weir_table *calls = weir_table_aggregate(
        weir_table_group_by(weir_table_window(weir_table_from(tenv, "clicks"), &session),
                            "user, window_start, window_end"),
        "COUNT(*) AS n");
    cr_assert_not_null(sql, "%s", weir_env_error(env));
    cr_assert_not_null(calls, "%s", weir_env_error(env));
    collected a, b;
    collected_init(&a);
    collected_init(&b);
    weir_sink_callback(weir_table_to_stream(sql), collect, &a);
    weir_sink_callback(weir_table_to_stream(calls), collect, &b);
    run_ok(env);
    char want[512];
    snprintf(want, sizeof(want),
             "+I|a|%lld|%lld|2;+I|a|%lld|%lld|1;+I|a|%lld|%lld|1;+I|b|%lld|%lld|1;"
             "+I|b|%lld|%lld|2",
             T0 + 1000, T0 + 10000, T0 + 12000, T0 + 18000, T0 + 24000, T0 + 30000, T0 + 3000,
             T0 + 9000, T0 + 10000, T0 + 21000);
    expect_lines(&a, true, want);
    expect_lines(&b, true, want);
    collected_fini(&a);
    collected_fini(&b);
    weir_env_free(env);
}

/* Counts per key and 10 s window, emitted as "key|window_start|count". */
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
    size_t len;
    const char *key = weir_row_str(weir_ctx_key(ctx), 0, &len);
    weir_out *out = weir_output(ctx);
    weir_set_str(out, 0, key, len);
    weir_set_int(out, 1, weir_ctx_window_start(ctx));
    weir_set_int(out, 2, *(const int64_t *)acc);
    return weir_emit(out);
}

/*
 * A table's one rowtime column becomes the record timestamp, and its watermarks go on: the
 * DataStream API's event-time windows work on the table's rows.
 */
Test(table_api, rowtime_and_watermarks_reach_the_stream)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    weir_table *clicks_t = weir_table_from_stream(tenv, clicks_stream(env), clicks_watermark);
    cr_assert_not_null(clicks_t, "%s", weir_env_error(env));
    weir_table *t = weir_table_select(weir_table_filter(clicks_t, "user = 'a'"), "user, ts");
    cr_assert_not_null(t, "%s", weir_env_error(env));
    weir_stream *s = weir_table_to_stream(t);
    collected c, w;
    collected_init(&c);
    collected_init(&w);
    c.timestamps = true;
    weir_sink_callback(s, collect, &c);
    weir_window_spec tumbling = {.kind = WEIR_WINDOW_TUMBLING, .size_ms = 10000};
    weir_aggregate_fn count = {
        .acc_size = sizeof(int64_t), .init = count_init, .add = count_add, .result = count_result};
    weir_sink_callback(weir_window_aggregate(weir_key_by(s, "user"), &tumbling,
                                             "user STRING, start BIGINT, n BIGINT", &count, NULL),
                       collect, &w);
    run_ok(env);
    char want[512];
    snprintf(want, sizeof(want), "+I|a|%lld@%lld;+I|a|%lld@%lld;+I|a|%lld@%lld;+I|a|%lld@%lld",
             T0 + 1000, T0 + 1000, T0 + 4000, T0 + 4000, T0 + 12000, T0 + 12000, T0 + 24000,
             T0 + 24000);
    expect_lines(&c, true, want);
    snprintf(want, sizeof(want), "+I|a|%lld|2;+I|a|%lld|1;+I|a|%lld|1", T0, T0 + 10000, T0 + 20000);
    expect_lines(&w, true, want);
    collected_fini(&c);
    collected_fini(&w);
    weir_env_free(env);
}

/* ---- parallel instances ---- */

/* Every instance of the source emits all orders, from its own position. */
typedef struct orders_par {
    int next[8];
} orders_par;

static int gen_orders_par(void *arg, weir_ctx *ctx)
{
    orders_par *g = arg;
    int *next = &g->next[weir_ctx_subtask(ctx)];
    if (*next == 5) return WEIR_SOURCE_END;
    const char *row = orders[(*next)++];
    weir_out *out = weir_output(ctx);
    weir_set_str(out, 0, row, 1);
    weir_set_int(out, 1, atoi(row + 2));
    return weir_emit(out) ? -1 : WEIR_SOURCE_MORE;
}

/* The last line of c for user (the changes of one key arrive in order), or "". */
static const char *last_of(const collected *c, const char *user)
{
    const char *last = "";
    char infix[16];
    snprintf(infix, sizeof(infix), "|%s|", user);
    for (int i = 0; i < c->n; i++)
        if (strncmp(c->lines[i] + 2, infix, strlen(infix)) == 0) last = c->lines[i];
    return last;
}

Test(table_api, parallel_sources_and_operators)
{
    weir_env *env = weir_env_new();
    weir_env_set(env, "parallelism.default", "3");
    weir_table_env *tenv = weir_table_env_new(env);
    orders_par g = {{0}};
    weir_stream *src = weir_from_callback(env, "user STRING, amount INT", gen_orders_par, &g);
    weir_set_parallelism(src, 2);
    weir_table_env_create_view(tenv, "orders", src, NULL);
    weir_table_env_create_view(tenv, "clicks", clicks_stream(env), clicks_watermark);
    weir_table *sums =
        weir_table_sql(tenv, "SELECT user, SUM(amount) AS total FROM orders GROUP BY user");
    weir_table *wins = weir_table_sql(
        tenv, "SELECT user, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), "
              "INTERVAL '10' SECOND)) GROUP BY user, window_start, window_end");
    cr_assert_not_null(sums, "%s", weir_env_error(env));
    cr_assert_not_null(wins, "%s", weir_env_error(env));
    collected a, b;
    collected_init(&a);
    collected_init(&b);
    weir_sink_callback(weir_key_by(weir_table_to_changelog_stream(sums), "user"), collect, &a);
    weir_sink_callback(weir_table_to_stream(wins), collect, &b);
    run_ok(env);
    /* Each instance emitted every order: the sums double, and each ends on its final value. */
    cr_expect_str_eq(last_of(&a, "a"), "+U|a|8");
    cr_expect_str_eq(last_of(&a, "b"), "+U|b|14");
    cr_expect_str_eq(last_of(&a, "c"), "+U|c|20");
    expect_lines(&b, true, "+I|a|1;+I|a|1;+I|a|2;+I|b|1;+I|b|2");
    collected_fini(&a);
    collected_fini(&b);
    weir_env_free(env);
}

/* ---- programmatic calls give what the SQL text gives ---- */

Test(table_api, calls_equal_sql)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    orders_gen g;
    weir_table_env_create_view(tenv, "orders", orders_one_by_one(env, &g), NULL);
    weir_table *sql = weir_table_sql(tenv, "SELECT user, SUM(amount * 2) AS total, COUNT(*) AS n "
                                           "FROM orders WHERE amount > 1 GROUP BY user");
    weir_table *t = weir_table_from(tenv, "orders");
    t = weir_table_filter(t, "amount > 1");
    t = weir_table_select(t, "user, amount * 2 AS twice");
    t = weir_table_group_by(t, "user");
    weir_table *calls = weir_table_select(t, "user, SUM(twice) AS total, COUNT(*) AS n");
    cr_assert_not_null(sql, "%s", weir_env_error(env));
    cr_assert_not_null(calls, "%s", weir_env_error(env));
    collected a, b;
    collected_init(&a);
    collected_init(&b);
    weir_sink_callback(weir_table_to_changelog_stream(sql), collect, &a);
    weir_sink_callback(weir_table_to_changelog_stream(calls), collect, &b);
    run_ok(env);
    const char *want = "+I|b|4|1;+I|a|6|1;+I|c|20|1;-U|b|4|1;+U|b|14|2";
    expect_lines(&a, false, want);
    expect_lines(&b, false, want);
    collected_fini(&a);
    collected_fini(&b);
    weir_env_free(env);
}

/* ---- the DataStream API continues after a table ---- */

/* Doubles the amount and keeps the row's change kind. */
static int double_amount(void *arg, const weir_row *in, weir_out *out)
{
    weir_set_row(out, in);
    weir_set_int(out, 1, weir_row_int(in, 1) * 2);
    return 0;
}

/* The row as an insert, whatever its kind was. */
static int as_insert(void *arg, const weir_row *in, weir_out *out)
{
    weir_set_row(out, in);
    weir_set_kind(out, WEIR_INSERT);
    return 0;
}

static bool not_a(void *arg, const weir_row *in)
{
    size_t len;
    const char *s = weir_row_str(in, 0, &len);
    return !(len == 1 && s[0] == 'a');
}

Test(table_api, datastream_continues_with_kinds)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    orders_gen g;
    weir_table *orders_t = weir_table_from_stream(tenv, orders_one_by_one(env, &g), NULL);
    weir_table *sums =
        weir_table_aggregate(weir_table_group_by(orders_t, "user"), "SUM(amount) AS total");
    cr_assert_not_null(sums, "%s", weir_env_error(env));
    weir_stream *s = weir_table_to_changelog_stream(sums);
    s = weir_filter(weir_map(s, "user STRING, total INT", double_amount, NULL), not_a, NULL);
    collected c, d;
    collected_init(&c);
    collected_init(&d);
    weir_sink_callback(s, collect, &c);
    weir_sink_callback(weir_map(s, "user STRING, total INT", as_insert, NULL), collect, &d);
    run_ok(env);
    expect_lines(&c, false, "+I|b|4;+I|c|20;-U|b|4;+U|b|14");
    expect_lines(&d, false, "+I|b|4;+I|c|20;+I|b|4;+I|b|14");
    collected_fini(&c);
    collected_fini(&d);
    weir_env_free(env);
}

/* ---- catalog tables: DDL with connectors, views, INSERT in the same job ---- */

static char *read_dir_files(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    char *all = calloc(1, 1);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        char buf[4096];
        size_t got;
        while (f && (got = fread(buf, 1, sizeof(buf), f)) > 0) {
            all = realloc(all, n + got + 1);
            memcpy(all + n, buf, got);
            n += got;
            all[n] = '\0';
        }
        if (f) fclose(f);
    }
    closedir(d);
    return all;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text sorted, joined with ';'. */
static char *sorted_lines(char *text)
{
    size_t size = strlen(text) + 2;
    char *lines[64];
    int n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < 64;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, (size_t)n, sizeof(char *), cmp_line);
    char *out = calloc(1, size);
    for (int i = 0; i < n; i++) {
        if (i) strcat(out, ";");
        strcat(out, lines[i]);
    }
    return out;
}

Test(table_api, catalog_views_and_insert_join_the_job)
{
    char dir[] = "/tmp/weir_table_api_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    weir_table_env_create_view(tenv, "orders", orders_stream(env), NULL);
    char ddl[1024];
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE big (user STRING, amount INT) WITH ("
             "  'connector' = 'filesystem', 'path' = '%s', 'format' = 'csv');"
             "CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount >= 3;"
             "INSERT INTO big SELECT user, amount FROM big_orders",
             dir);
    cr_assert_eq(weir_table_env_exec(tenv, ddl), 0, "%s", weir_env_error(env));
    /* The view is a catalog table for the calls as for SQL, and a table can be one too. */
    weir_table *t = weir_table_filter(weir_table_from(tenv, "big_orders"), "user <> 'c'");
    cr_assert_eq(weir_table_env_register(tenv, "not_c", t), 0, "%s", weir_env_error(env));
    t = weir_table_sql(tenv, "SELECT * FROM not_c WHERE user = 'b'");
    cr_assert_not_null(t, "%s", weir_env_error(env));
    collected c;
    collected_init(&c);
    weir_sink_callback(weir_table_to_stream(t), collect, &c);
    run_ok(env);
    expect_lines(&c, true, "+I|b|5");
    char *files = read_dir_files(dir);
    char *got = sorted_lines(files);
    cr_expect_str_eq(got, "a,3;b,5;c,10");
    free(got);
    free(files);
    collected_fini(&c);
    weir_env_free(env);
    char cmd[1100];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(table_api, set_and_exec_errors)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    weir_table_env_create_view(tenv, "orders", orders_stream(env), NULL);
    cr_assert_eq(weir_table_env_exec(tenv, "SELECT * FROM orders"), -1);
    const char *parts[] = {"weir_table_env_exec", "line 1, column 1", "weir_table_sql", NULL};
    expect_error(env, parts);
    weir_env_free(env);

    env = weir_env_new();
    tenv = weir_table_env_new(env);
    cr_assert_eq(weir_table_env_set(tenv, "parallelism.default", "many"), -1);
    const char *parts2[] = {"weir_table_env_set", "'many'", "parallelism.default", NULL};
    expect_error(env, parts2);
    weir_env_free(env);
}

/* ---- errors name the call and the place in the text it was given ---- */

Test(table_api, bad_expression_positions)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    weir_table_env_create_view(tenv, "orders", orders_stream(env), NULL);
    weir_table *t = weir_table_from(tenv, "orders");
    cr_assert_null(weir_table_filter(t, "amount > 1 AND amout < 5"));
    const char *parts[] = {"weir_table_filter: line 1, column 16:", "unknown column 'amout'",
                           "  amount > 1 AND amout < 5\n                 ^", NULL};
    expect_error(env, parts);
    /* The first error stays; later calls fail. */
    cr_assert_null(weir_table_select(t, "user"));
    expect_error(env, parts);
    weir_env_free(env);

    env = weir_env_new();
    tenv = weir_table_env_new(env);
    weir_table_env_create_view(tenv, "orders", orders_stream(env), NULL);
    t = weir_table_from(tenv, "orders");
    cr_assert_null(weir_table_select(t, "user,\n  amount +* 2"));
    const char *parts2[] = {"weir_table_select: line 2, column 11:", NULL};
    expect_error(env, parts2);
    weir_env_free(env);

    env = weir_env_new();
    tenv = weir_table_env_new(env);
    cr_assert_null(weir_table_sql(tenv, "SELECT 1 FROM nowhere"));
    const char *parts3[] = {"weir_table_sql: line 1, column 15:", "nowhere", NULL};
    expect_error(env, parts3);
    weir_env_free(env);

    env = weir_env_new();
    tenv = weir_table_env_new(env);
    cr_assert_eq(
        weir_table_env_create_view(tenv, "clicks", clicks_stream(env), "WATERMARK FOR tss AS tss"),
        -1);
    const char *parts4[] = {"weir_table_env_create_view: line 1, column 15:", "tss", NULL};
    expect_error(env, parts4);
    weir_env_free(env);

    /* A window over a column that is no time attribute. */
    env = weir_env_new();
    tenv = weir_table_env_new(env);
    weir_table_env_create_view(tenv, "clicks", clicks_stream(env), NULL);
    weir_table_window_spec tumble = {
        .kind = WEIR_TABLE_TUMBLE, .time_column = "ts", .size_ms = 10000};
    cr_assert_null(weir_table_window(weir_table_from(tenv, "clicks"), &tumble));
    const char *parts5[] = {"weir_table_window: line 1, column 1:", "time attribute", "'ts'", NULL};
    expect_error(env, parts5);
    weir_env_free(env);
}

Test(table_api, grouped_tables_and_joins)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    weir_table *t = weir_table_from_stream(tenv, orders_stream(env), NULL);
    weir_table *g = weir_table_group_by(t, "user");
    cr_assert_not_null(g, "%s", weir_env_error(env));
    cr_assert_null(weir_table_to_changelog_stream(g));
    const char *parts[] = {"weir_table_to_changelog_stream", "grouped", NULL};
    expect_error(env, parts);
    weir_env_free(env);

    env = weir_env_new();
    tenv = weir_table_env_new(env);
    t = weir_table_from_stream(tenv, orders_stream(env), NULL);
    cr_assert_null(weir_table_join(t, t, "TRUE"));
    const char *parts2[] = {"weir_table_join", "both tables have a column 'user'", NULL};
    expect_error(env, parts2);
    weir_env_free(env);
}

Test(table_api, join_of_two_streams)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    const char *const cities[] = {"a,Paris", "b,Oslo"};
    weir_table *o = weir_table_from_stream(tenv, orders_stream(env), NULL);
    weir_table *u = weir_table_from_stream(
        tenv, weir_from_elements(env, "name STRING, city STRING", cities, 2), NULL);
    weir_table *j =
        weir_table_select(weir_table_left_join(o, u, "user = name"), "user, amount, city");
    cr_assert_not_null(j, "%s", weir_env_error(env));
    collected c;
    collected_init(&c);
    weir_sink_callback(weir_table_to_changelog_stream(j), collect, &c);
    run_ok(env);
    expect_lines(&c, true, "+I|a|1|Paris;+I|a|3|Paris;+I|b|2|Oslo;+I|b|5|Oslo;+I|c|10|null");
    collected_fini(&c);
    weir_env_free(env);
}

Test(table_api, explain_shows_plans)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    weir_table_env_create_view(tenv, "clicks", clicks_stream(env),
                               "pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND");
    cr_assert_eq(weir_table_env_set(tenv, "parallelism.default", "3"), 0);
    cr_assert_eq(weir_table_env_exec(tenv, "SET 'table.optimizer.agg-phase-strategy' = "
                                           "'ONE_PHASE'"),
                 0);
    weir_table *t = weir_table_sql(tenv, "SELECT user, COUNT(pt) FROM clicks GROUP BY user");
    cr_assert_not_null(t, "%s", weir_env_error(env));
    const char *plan = weir_table_explain(t);
    cr_assert_not_null(plan, "%s", weir_env_error(env));
    cr_expect(strstr(plan, "== Abstract Syntax Tree ==") != NULL, "%s", plan);
    cr_expect(strstr(plan, "DataStream(table=[clicks]") != NULL, "%s", plan);
    cr_expect(strstr(plan, "WatermarkAssigner") != NULL, "%s", plan);
    /* The table environment's options apply to its plans. */
    cr_expect(strstr(plan, "HashAggregate[user, EXPR$0] (hash_agg, parallelism 3)") != NULL, "%s",
              plan);
    weir_env_free(env);
}
