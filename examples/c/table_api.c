/*
 * table_api.c — SQL and the Table API over a DataStream, in one streaming job.
 *
 *   build/examples/table_api
 *
 * A callback source emits page views (user, page, event time) with timestamps up
 * to 2 s out of order. The stream is registered as the table `views` with a
 * watermark, and three tables are made of it:
 *
 *   - views per user and 10 s tumbling window, in SQL (window TVF);
 *   - the same through the programmatic calls (window, group_by, aggregate);
 *   - a running count per user (a GROUP BY without window: it updates its rows).
 *
 * Each goes back to the DataStream API as a changelog stream and is printed with
 * its change kinds: "windows> +I[...]", "calls> +I[...]", "totals> -U[...]". The
 * windows print +I only (each fires once, when the watermark passes its end);
 * the running counts retract their previous value (-U) before the new one (+U).
 */
#include <weir.h>

#include <stdio.h>
#include <string.h>

#define START_MS 1704067200000LL /* 2024-01-01 00:00:00 UTC */

static const struct view {
    const char *user, *page;
    int64_t at_ms; /* after START_MS */
} views[] = {
    {"alice", "/home", 1000},  {"bob", "/cart", 2500},    {"alice", "/shop", 4000},
    {"carol", "/home", 9000},  {"bob", "/home", 7500},    {"alice", "/cart", 12000},
    {"bob", "/shop", 14000},   {"alice", "/home", 11000}, {"carol", "/cart", 21000},
    {"alice", "/shop", 26000}, {"bob", "/cart", 24500},   {"carol", "/home", 29000},
};

/* One view per call, so every row reaches the SQL operators on its own. */
static int emit_view(void *arg, weir_ctx *ctx)
{
    int *next = arg;
    if (*next == (int)(sizeof(views) / sizeof(views[0]))) return WEIR_SOURCE_END;
    const struct view *v = &views[(*next)++];
    weir_out *out = weir_output(ctx);
    weir_set_str(out, 0, v->user, strlen(v->user));
    weir_set_str(out, 1, v->page, strlen(v->page));
    weir_set_int(out, 2, START_MS + v->at_ms); /* TIMESTAMP fields take epoch ms */
    return weir_emit(out) ? -1 : WEIR_SOURCE_MORE;
}

int main(void)
{
    weir_env *env = weir_env_new();
    weir_table_env *tenv = weir_table_env_new(env);
    int next = 0;
    weir_stream *stream =
        weir_from_callback(env, "user STRING, page STRING, ts TIMESTAMP(3)", emit_view, &next);
    weir_table_env_create_view(tenv, "views", stream,
                               "WATERMARK FOR ts AS ts - INTERVAL '2' SECOND");

    /* SQL: a window TVF and a window aggregation. */
    weir_table *windows = weir_table_sql(
        tenv, "SELECT user, window_start, window_end, COUNT(*) AS n\n"
              "FROM TABLE(TUMBLE(TABLE views, DESCRIPTOR(ts), INTERVAL '10' SECOND))\n"
              "GROUP BY user, window_start, window_end");

    /* The same through the calls: each composes SQL over its input. */
    weir_table_window_spec tumble = {
        .kind = WEIR_TABLE_TUMBLE, .time_column = "ts", .size_ms = 10000};
    weir_table *calls = weir_table_window(weir_table_from(tenv, "views"), &tumble);
    calls = weir_table_group_by(calls, "user, window_start, window_end");
    calls = weir_table_aggregate(calls, "COUNT(*) AS n");

    /* A GROUP BY over the whole stream keeps its result up to date: -U/+U. */
    weir_table *totals = weir_table_aggregate(
        weir_table_group_by(weir_table_from(tenv, "views"), "user"), "COUNT(*) AS views");

    weir_print(weir_table_to_changelog_stream(windows), "windows");
    weir_print(weir_table_to_changelog_stream(calls), "calls");
    weir_print(weir_table_to_changelog_stream(totals), "totals");

    int rc = weir_execute(env, "table_api");
    if (rc) fprintf(stderr, "table_api: %s\n", weir_env_error(env));
    weir_env_free(env);
    return rc ? 1 : 0;
}
