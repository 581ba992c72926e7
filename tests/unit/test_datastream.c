/*
 * test_datastream.c — the DataStream API end to end: jobs built with
 * include/weir.h run on the runtime, with keyed state, timers, watermarks,
 * windows, side outputs, two inputs, and the same results at any parallelism.
 */
#include <weir.h>

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- collecting sink: rows as text lines, sorted on demand ---- */

typedef struct collected {
    pthread_mutex_t lock;
    char **lines;
    int n;
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

/* "f0|f1|...": integers, doubles and strings as text; NULL as "null". */
static int collect(void *arg, const weir_row *row, weir_ctx *ctx)
{
    collected *c = arg;
    char line[512];
    size_t at = 0;
    for (int f = 0; f < weir_row_fields(row); f++) {
        if (f) line[at++] = '|';
        size_t len;
        const char *s = weir_row_str(row, f, &len);
        if (weir_row_is_null(row, f))
            at += (size_t)snprintf(line + at, sizeof(line) - at, "null");
        else if (len)
            at += (size_t)snprintf(line + at, sizeof(line) - at, "%.*s", (int)len, s);
        else
            at += (size_t)snprintf(line + at, sizeof(line) - at, "%lld",
                                   (long long)weir_row_int(row, f));
    }
    line[at] = '\0';
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

/* The lines joined with ';' (sorted when sort is true). */
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
    int rc = weir_execute(env, "test");
    cr_assert_eq(rc, 0, "job failed: %s", weir_env_error(env));
}

/* ---- stateless transformations ---- */

static int double_it(void *arg, const weir_row *in, weir_out *out)
{
    weir_set_int(out, 0, weir_row_int(in, 0) * 2);
    return 0;
}

static bool is_even(void *arg, const weir_row *in)
{
    return weir_row_int(in, 0) % 2 == 0;
}

static int repeat(void *arg, const weir_row *in, weir_ctx *ctx)
{
    for (int64_t i = 0; i < weir_row_int(in, 0); i++) {
        weir_out *out = weir_output(ctx);
        weir_set_int(out, 0, weir_row_int(in, 0));
        if (weir_emit(out)) return -1;
    }
    return 0;
}

Test(datastream, map_filter_flat_map)
{
    const char *rows[] = {"1", "2", "3", "4"};
    collected c;
    collected_init(&c);
    weir_env *env = weir_env_new();
    weir_stream *s = weir_from_elements(env, "n BIGINT", rows, 4);
    s = weir_flat_map(s, "n BIGINT", repeat, NULL); /* 1 2 2 3 3 3 4 4 4 4 */
    s = weir_filter(s, is_even, NULL);              /* 2 2 4 4 4 4 */
    s = weir_map(s, "n BIGINT", double_it, NULL);   /* 4 4 8 8 8 8 */
    weir_sink_callback(s, collect, &c);
    run_ok(env);
    expect_lines(&c, false, "4;4;8;8;8;8");
    weir_env_free(env);
    collected_fini(&c);
}

Test(datastream, build_errors_name_the_problem)
{
    weir_env *env = weir_env_new();
    weir_stream *s = weir_from_elements(env, "n BIGINT, s STRANG", NULL, 0);
    cr_expect_null(s);
    cr_expect(strstr(weir_env_error(env), "STRANG") != NULL, "%s", weir_env_error(env));
    cr_expect(strstr(weir_env_error(env), "column") != NULL, "%s", weir_env_error(env));
    /* Later calls keep the first error and do not crash. */
    cr_expect_null(weir_key_by(s, "n"));
    cr_expect_eq(weir_execute(env, "x"), -1);
    weir_env_free(env);

    env = weir_env_new();
    const char *rows[] = {"1,a"};
    s = weir_from_elements(env, "n BIGINT, s STRING", rows, 1);
    cr_expect_null(weir_key_by(s, "nope"));
    cr_expect(strstr(weir_env_error(env), "'nope' is not a field") != NULL, "%s",
              weir_env_error(env));
    weir_env_free(env);

    env = weir_env_new();
    const char *bad[] = {"1,a", "x,b"};
    cr_expect_null(weir_from_elements(env, "n BIGINT, s STRING", bad, 2));
    cr_expect(strstr(weir_env_error(env), "element 1") != NULL, "%s", weir_env_error(env));
    weir_env_free(env);
}

/* ---- keyed reduce and aggregate ---- */

static int sum_reduce(void *arg, const weir_row *acc, const weir_row *in, weir_out *out)
{
    size_t len;
    const char *k = weir_row_str(acc, 0, &len);
    weir_set_str(out, 0, k, len);
    weir_set_int(out, 1, weir_row_int(acc, 1) + weir_row_int(in, 1));
    return 0;
}

static const char *kv_rows[] = {"a,1", "b,10", "a,2", "c,100", "b,20", "a,3"};

static void reduce_job(const char *mode, const char *parallelism, collected *c)
{
    weir_env *env = weir_env_new();
    weir_env_set(env, "execution.runtime-mode", mode);
    weir_env_set(env, "parallelism.default", parallelism);
    weir_stream *s = weir_from_elements(env, "k STRING, v BIGINT", kv_rows, 6);
    s = weir_reduce(weir_key_by(s, "k"), sum_reduce, NULL);
    weir_sink_callback(s, collect, c);
    run_ok(env);
    weir_env_free(env);
}

Test(datastream, rolling_reduce_emits_every_update_in_streaming_mode)
{
    collected c;
    collected_init(&c);
    reduce_job("streaming", "2", &c);
    expect_lines(&c, true, "a|1;a|3;a|6;b|10;b|30;c|100");
    collected_fini(&c);
}

Test(datastream, automatic_mode_is_batch_for_bounded_sources)
{
    collected c;
    collected_init(&c);
    reduce_job("automatic", "2", &c);
    expect_lines(&c, true, "a|6;b|30;c|100");
    collected_fini(&c);
    weir_env *env = weir_env_new();
    cr_expect_eq(weir_env_set(env, "execution.runtime-mode", "batchh"), -1);
    cr_expect(strstr(weir_env_error(env), "batchh") != NULL, "%s", weir_env_error(env));
    weir_env_free(env);
}

Test(datastream, reduce_emits_final_rows_in_batch_mode)
{
    for (int p = 1; p <= 4; p *= 2) {
        collected c;
        collected_init(&c);
        char par[16];
        snprintf(par, sizeof(par), "%d", p);
        reduce_job("batch", par, &c);
        expect_lines(&c, true, "a|6;b|30;c|100");
        collected_fini(&c);
    }
}

typedef struct avg_acc {
    int64_t sum, n;
} avg_acc;

static void avg_add(void *arg, void *acc, const weir_row *in)
{
    avg_acc *a = acc;
    a->sum += weir_row_int(in, 1);
    a->n++;
}

static int avg_result(void *arg, const void *acc, weir_ctx *ctx)
{
    const avg_acc *a = acc;
    size_t len;
    const char *k = weir_row_str(weir_ctx_key(ctx), 0, &len);
    weir_out *out = weir_output(ctx);
    weir_set_str(out, 0, k, len);
    weir_set_int(out, 1, a->sum / a->n);
    return weir_emit(out);
}

/* The key is the first letter of k, upper-cased: "a" and "ab" share a key. */
static int first_letter(void *arg, const weir_row *in, weir_out *key)
{
    size_t len;
    const char *k = weir_row_str(in, 0, &len);
    char c = len ? (char)(k[0] - 'a' + 'A') : '?';
    weir_set_str(key, 0, &c, 1);
    return 0;
}

Test(datastream, keyed_aggregate_with_key_function)
{
    collected c;
    collected_init(&c);
    weir_env *env = weir_env_new();
    weir_env_set(env, "execution.runtime-mode", "batch");
    weir_env_set(env, "parallelism.default", "3");
    weir_stream *s = weir_from_elements(env, "k STRING, v BIGINT", kv_rows, 6);
    weir_aggregate_fn avg = {.acc_size = sizeof(avg_acc), .add = avg_add, .result = avg_result};
    s = weir_aggregate(weir_key_by_fn(s, "letter STRING", first_letter, NULL),
                       "k STRING, avg BIGINT", &avg, NULL);
    weir_sink_callback(s, collect, &c);
    run_ok(env);
    expect_lines(&c, true, "A|2;B|15;C|100");
    weir_env_free(env);
    collected_fini(&c);
}

/* ---- keyed process: state kinds, event-time timers in order ---- */

static const weir_state_desc seen = {.name = "seen", .kind = WEIR_STATE_LIST};
static const weir_state_desc total = {.name = "total", .kind = WEIR_STATE_VALUE};
static void add_i64(void *arg, void *acc, const void *v)
{
    *(int64_t *)acc += *(const int64_t *)v;
}
static const weir_state_desc reducing = {
    .name = "sum", .kind = WEIR_STATE_REDUCING, .size = sizeof(int64_t), .reduce = add_i64};
static const weir_state_desc distinct = {.name = "distinct", .kind = WEIR_STATE_MAP};
static const weir_state_desc *const process_states[] = {&seen, &total, &reducing, &distinct, NULL};

static int proc_element(void *arg, const weir_row *in, weir_ctx *ctx)
{
    int64_t v = weir_row_int(in, 1);
    weir_state_add(ctx, &seen, &v, sizeof(v));
    weir_state_update_int(ctx, &total, weir_state_int(ctx, &total, 0) + 1);
    weir_state_add(ctx, &reducing, &v, sizeof(v));
    weir_map_put(ctx, &distinct, &v, sizeof(v), "", 0);
    /* One timer per key at 100 (deduplicated) and one per element at its timestamp + 1000. */
    weir_timer_event(ctx, 100);
    weir_timer_event(ctx, weir_ctx_timestamp(ctx) + 1000);
    return 0;
}

static int proc_timer(void *arg, int64_t time, weir_ctx *ctx)
{
    size_t len;
    const char *k = weir_row_str(weir_ctx_key(ctx), 0, &len);
    size_t pos = 0, vlen;
    const void *v;
    int64_t list_sum = 0;
    while (weir_state_next(ctx, &seen, &pos, &v, &vlen)) {
        int64_t x; /* list values need not be aligned */
        memcpy(&x, v, sizeof(x));
        list_sum += x;
    }
    int64_t ndistinct = 0;
    const void *mk;
    size_t mklen;
    pos = 0;
    while (weir_map_next(ctx, &distinct, &pos, &mk, &mklen, &v, &vlen)) ndistinct++;
    char text[128];
    snprintf(text, sizeof(text), "%.*s@%lld:list=%lld,count=%lld,sum=%lld,distinct=%lld", (int)len,
             k, (long long)time, (long long)list_sum, (long long)weir_state_int(ctx, &total, 0),
             (long long)weir_state_int(ctx, &reducing, 0), (long long)ndistinct);
    weir_out *out = weir_output(ctx);
    weir_set_str(out, 0, text, strlen(text));
    weir_set_int(out, 1, time);
    return weir_emit(out);
}

Test(datastream, keyed_process_state_and_event_time_timers)
{
    /* Out of order; the watermark bound of 5000 keeps every row on time. */
    const char *rows[] = {"a,1,2000", "b,5,1000", "a,1,500", "a,7,3000"};
    collected c;
    collected_init(&c);
    weir_env *env = weir_env_new();
    weir_env_set(env, "parallelism.default", "2");
    weir_stream *s = weir_from_elements(env, "k STRING, v BIGINT, ts BIGINT", rows, 4);
    weir_watermark_strategy wm = {
        .kind = WEIR_WATERMARK_BOUNDED, .max_out_of_orderness_ms = 5000, .timestamp_field = "ts"};
    s = weir_assign_timestamps(s, &wm);
    weir_process_fn fn = {
        .process_element = proc_element, .on_timer = proc_timer, .states = process_states};
    s = weir_process(weir_key_by(s, "k"), "msg STRING, t BIGINT", &fn, NULL);
    s = weir_set_parallelism(
        weir_process(s, "msg STRING, t BIGINT", &(weir_process_fn){.process_element = NULL}, NULL),
        1);
    cr_expect_null(s, "process without process_element must be refused");
    weir_env_free(env);

    env = weir_env_new();
    weir_env_set(env, "parallelism.default", "2");
    s = weir_from_elements(env, "k STRING, v BIGINT, ts BIGINT", rows, 4);
    s = weir_assign_timestamps(s, &wm);
    s = weir_process(weir_key_by(s, "k"), "msg STRING, t BIGINT", &fn, NULL);
    weir_sink_callback(s, collect, &c);
    run_ok(env);
    /* Per key the timers fire in time order; every row is counted by every state. */
    expect_lines(&c, true,
                 "a@100:list=9,count=3,sum=9,distinct=2|100;"
                 "a@1500:list=9,count=3,sum=9,distinct=2|1500;"
                 "a@3000:list=9,count=3,sum=9,distinct=2|3000;"
                 "a@4000:list=9,count=3,sum=9,distinct=2|4000;"
                 "b@100:list=5,count=1,sum=5,distinct=1|100;"
                 "b@2000:list=5,count=1,sum=5,distinct=1|2000");
    weir_env_free(env);
    collected_fini(&c);
}

/* Timer order within one key: a sink at parallelism 1 sees a's timers ascending. */
Test(datastream, timers_fire_in_timestamp_order)
{
    const char *rows[] = {"a,1,9000", "a,1,100", "a,1,5000", "a,1,2500", "a,1,7000"};
    collected c;
    collected_init(&c);
    weir_env *env = weir_env_new();
    weir_stream *s = weir_from_elements(env, "k STRING, v BIGINT, ts BIGINT", rows, 5);
    weir_watermark_strategy wm = {
        .kind = WEIR_WATERMARK_BOUNDED, .max_out_of_orderness_ms = 60000, .timestamp_field = "ts"};
    weir_process_fn fn = {
        .process_element = proc_element, .on_timer = proc_timer, .states = process_states};
    s = weir_process(weir_key_by(weir_assign_timestamps(s, &wm), "k"), "msg STRING, t BIGINT", &fn,
                     NULL);
    weir_sink_callback(s, collect, &c);
    run_ok(env);
    cr_assert_eq(c.n, 6);
    int64_t last = -1;
    for (int i = 0; i < c.n; i++) {
        int64_t t = atoll(strrchr(c.lines[i], '|') + 1);
        cr_expect_gt(t, last, "timer %lld fired after %lld", (long long)t, (long long)last);
        last = t;
    }
    weir_env_free(env);
    collected_fini(&c);
}

/* ---- windows through the API, at parallelism 1 and 4 ---- */

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
    const char *k = weir_row_str(weir_ctx_key(ctx), 0, &len);
    weir_out *out = weir_output(ctx);
    weir_set_int(out, 0, weir_ctx_window_start(ctx));
    weir_set_str(out, 1, k, len);
    weir_set_int(out, 2, *(const int64_t *)acc);
    return weir_emit(out);
}

/* Generates 20000 rows over 50 keys with timestamps up to 4 s out of order. */
static int gen_events(void *arg, weir_ctx *ctx)
{
    int64_t *next = arg;
    if (*next >= 20000) return WEIR_SOURCE_END;
    for (int i = 0; i < 500; i++, (*next)++) {
        int64_t n = *next;
        int64_t ts = n * 10 - (n * 7919 % 400) * 10;
        char key[16];
        int len = snprintf(key, sizeof(key), "k%lld", (long long)(n * 31 % 50));
        weir_out *out = weir_output(ctx);
        weir_set_int(out, 0, ts);
        weir_set_str(out, 1, key, (size_t)len);
        if (weir_emit(out)) return -1;
    }
    return WEIR_SOURCE_MORE;
}

static char *window_counts(int parallelism)
{
    collected c;
    collected_init(&c);
    weir_env *env = weir_env_new();
    char par[16];
    snprintf(par, sizeof(par), "%d", parallelism);
    weir_env_set(env, "parallelism.default", par);
    weir_env_set(env, "pipeline.auto-watermark-interval", "1 ms");
    int64_t next = 0;
    weir_stream *s = weir_from_callback(env, "ts BIGINT, k STRING", gen_events, &next);
    s = weir_set_parallelism(s, 1);
    weir_watermark_strategy wm = {
        .kind = WEIR_WATERMARK_BOUNDED, .max_out_of_orderness_ms = 4000, .timestamp_field = "ts"};
    s = weir_assign_timestamps(s, &wm);
    weir_window_spec tumbling = {.kind = WEIR_WINDOW_TUMBLING, .size_ms = 10000};
    weir_aggregate_fn count = {
        .acc_size = sizeof(int64_t), .init = count_init, .add = count_add, .result = count_result};
    s = weir_window_aggregate(weir_key_by(s, "k"), &tumbling, "start BIGINT, k STRING, n BIGINT",
                              &count, NULL);
    weir_sink_callback(s, collect, &c);
    run_ok(env);
    weir_env_free(env);
    char *out = joined(&c, true);
    collected_fini(&c);
    return out;
}

Test(datastream, windows_give_the_same_result_at_parallelism_1_and_4)
{
    char *p1 = window_counts(1);
    char *p4 = window_counts(4);
    cr_expect_str_eq(p1, p4);
    /* 20000 rows, 50 keys, 10 s windows over 200 s of event time. */
    int64_t sum = 0;
    for (char *line = strtok(p1, ";"); line; line = strtok(NULL, ";"))
        sum += atoll(strrchr(line, '|') + 1);
    cr_expect_eq(sum, 20000);
    free(p1);
    free(p4);
}

/* ---- connectors and files ---- */

Test(datastream, connector_source_and_csv_file_sink)
{
    char path[] = "/tmp/weir-ds-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    weir_env *env = weir_env_new();
    weir_env_set(env, "parallelism.default", "2");
    const char *datagen[] = {
        "connector", "datagen",       "fields.id.kind", "sequence",        "fields.id.start",
        "1",         "fields.id.end", "1000",           "fields.s.length", "3",
        NULL};
    weir_stream *s = weir_from_connector(env, "id BIGINT, s STRING", datagen);
    cr_assert_not_null(s, "%s", weir_env_error(env));
    weir_sink_csv_file(s, path);
    const char *blackhole[] = {"connector", "blackhole", NULL};
    weir_to_connector(s, blackhole);
    run_ok(env);
    weir_env_free(env);
    FILE *f = fopen(path, "r");
    char line[128];
    int64_t lines = 0, sum = 0;
    while (fgets(line, sizeof(line), f)) {
        lines++;
        sum += atoll(line);
    }
    fclose(f);
    unlink(path);
    cr_expect_eq(lines, 1000);
    cr_expect_eq(sum, 500500);

    env = weir_env_new();
    const char *bad[] = {"connector", "datagen", "rows-per-secnd", "5", NULL};
    cr_expect_null(weir_from_connector(env, "id BIGINT", bad));
    cr_expect(strstr(weir_env_error(env), "rows-per-secnd") != NULL, "%s", weir_env_error(env));
    weir_env_free(env);
}

/* ---- late rows to a side output, with punctuated watermarks ---- */

static int64_t punctuate(void *arg, void *state, int64_t ts)
{
    return ts - 1;
}

static weir_tag *late_tag;

Test(datastream, late_rows_go_to_the_late_side_output)
{
    const char *rows[] = {"a,1000", "a,3000", "a,25000", "a,2000", "a,26000"};
    collected on_time, late;
    collected_init(&on_time);
    collected_init(&late);
    weir_env *env = weir_env_new();
    late_tag = weir_tag_new(env, "late", "k STRING, ts BIGINT");
    weir_stream *s = weir_from_elements(env, "k STRING, ts BIGINT", rows, 5);
    weir_watermark_strategy wm = {
        .kind = WEIR_WATERMARK_CUSTOM, .timestamp_field = "ts", .on_event = punctuate};
    s = weir_assign_timestamps(s, &wm);
    weir_window_spec w = {.kind = WEIR_WINDOW_TUMBLING, .size_ms = 10000, .late_tag = late_tag};
    weir_aggregate_fn count = {
        .acc_size = sizeof(int64_t), .init = count_init, .add = count_add, .result = count_result};
    weir_stream *counts = weir_window_aggregate(weir_key_by(s, "k"), &w,
                                                "start BIGINT, k STRING, n BIGINT", &count, NULL);
    weir_sink_callback(counts, collect, &on_time);
    weir_sink_callback(weir_get_side_output(counts, late_tag), collect, &late);
    run_ok(env);
    expect_lines(&on_time, true, "0|a|2;20000|a|2");
    expect_lines(&late, true, "a|2000");
    weir_env_free(env);
    collected_fini(&on_time);
    collected_fini(&late);
}

/* ---- side outputs, union, co-process ---- */

static weir_tag *odd_tag;

static int split_odd(void *arg, const weir_row *in, weir_ctx *ctx)
{
    int64_t n = weir_row_int(in, 0);
    weir_out *out = n % 2 ? weir_side_output(ctx, odd_tag) : weir_output(ctx);
    weir_set_int(out, 0, n);
    if (n % 2) weir_set_str(out, 1, "odd", 3);
    return weir_emit(out);
}

Test(datastream, side_outputs_and_union)
{
    const char *rows[] = {"1", "2", "3", "4", "5"};
    collected evens, odds, both;
    collected_init(&evens);
    collected_init(&odds);
    collected_init(&both);
    weir_env *env = weir_env_new();
    odd_tag = weir_tag_new(env, "odd", "n BIGINT, label STRING");
    weir_stream *s = weir_from_elements(env, "n BIGINT", rows, 5);
    weir_stream *main =
        weir_process(s, "n BIGINT", &(weir_process_fn){.process_element = split_odd}, NULL);
    weir_stream *side = weir_get_side_output(main, odd_tag);
    weir_sink_callback(main, collect, &evens);
    weir_sink_callback(side, collect, &odds);
    weir_stream *again = weir_from_elements(env, "n BIGINT", rows, 2);
    weir_sink_callback(weir_union(main, again), collect, &both);
    run_ok(env);
    expect_lines(&evens, true, "2;4");
    expect_lines(&odds, true, "1|odd;3|odd;5|odd");
    expect_lines(&both, true, "1;2;2;4");
    weir_env_free(env);
    collected_fini(&evens);
    collected_fini(&odds);
    collected_fini(&both);
}

/* Two keyed inputs share the state of their key: rules add 1000, values add themselves. */
static const weir_state_desc shared = {.name = "shared", .kind = WEIR_STATE_VALUE};
static const weir_state_desc *const co_states[] = {&shared, NULL};

static int co_add(weir_ctx *ctx, int64_t n)
{
    weir_state_update_int(ctx, &shared, weir_state_int(ctx, &shared, 0) + n);
    weir_timer_event(ctx, 0); /* fires with the final watermark at the end */
    return 0;
}

static int co_rule(void *arg, const weir_row *in, weir_ctx *ctx)
{
    return co_add(ctx, 1000);
}

static int co_value(void *arg, const weir_row *in, weir_ctx *ctx)
{
    return co_add(ctx, weir_row_int(in, 1));
}

static int co_timer(void *arg, int64_t time, weir_ctx *ctx)
{
    size_t len;
    const char *k = weir_row_str(weir_ctx_key(ctx), 0, &len);
    weir_out *out = weir_output(ctx);
    weir_set_str(out, 0, k, len);
    weir_set_int(out, 1, weir_state_int(ctx, &shared, 0));
    return weir_emit(out);
}

Test(datastream, keyed_co_process_shares_state_between_inputs)
{
    const char *rules[] = {"a,0", "b,0"};
    const char *values[] = {"a,5", "a,50", "b,50", "b,500", "c,1"};
    collected c;
    collected_init(&c);
    weir_env *env = weir_env_new();
    weir_env_set(env, "parallelism.default", "2");
    weir_stream *r = weir_from_elements(env, "k STRING, n BIGINT", rules, 2);
    weir_stream *v = weir_from_elements(env, "k STRING, n BIGINT", values, 5);
    weir_co_process_fn fn = {.process_element1 = co_rule,
                             .process_element2 = co_value,
                             .on_timer = co_timer,
                             .states = co_states};
    weir_stream *out =
        weir_co_process(weir_key_by(r, "k"), weir_key_by(v, "k"), "k STRING, n BIGINT", &fn, NULL);
    weir_sink_callback(out, collect, &c);
    run_ok(env);
    expect_lines(&c, true, "a|1055;b|1550;c|1");
    weir_env_free(env);
    collected_fini(&c);
}

/* ---- idleness: an idle source does not hold the watermark back ---- */

static atomic_int windows_fired;

static int count_fired(void *arg, const weir_row *row, weir_ctx *ctx)
{
    atomic_fetch_add(&windows_fired, 1);
    return 0;
}

/* Emits ts 0..29999 then waits (up to 5 s) for a window to fire before ending. */
static int busy_source(void *arg, weir_ctx *ctx)
{
    int64_t *next = arg;
    if (*next < 30000) {
        for (int i = 0; i < 1000; i++, (*next)++) {
            weir_out *out = weir_output(ctx);
            weir_set_int(out, 0, *next);
            weir_set_str(out, 1, "k", 1);
            if (weir_emit(out)) return -1;
        }
        return WEIR_SOURCE_MORE;
    }
    if (atomic_load(&windows_fired) > 0 || (*next)++ > 30000 + 500) return WEIR_SOURCE_END;
    usleep(10000);
    return WEIR_SOURCE_MORE;
}

/* Never emits; ends only when the other source did. */
static int silent_source(void *arg, weir_ctx *ctx)
{
    int64_t *other = arg;
    if (*other > 30000 + 500 || atomic_load(&windows_fired) > 0) return WEIR_SOURCE_END;
    usleep(10000);
    return WEIR_SOURCE_MORE;
}

static int fired_before_end(int64_t idle_timeout_ms)
{
    atomic_store(&windows_fired, 0);
    weir_env *env = weir_env_new();
    weir_env_set(env, "pipeline.auto-watermark-interval", "10 ms");
    int64_t next = 0;
    weir_watermark_strategy wm = {.kind = WEIR_WATERMARK_MONOTONOUS,
                                  .timestamp_field = "ts",
                                  .idle_timeout_ms = idle_timeout_ms};
    weir_stream *a = weir_assign_timestamps(
        weir_from_callback(env, "ts BIGINT, k STRING", busy_source, &next), &wm);
    weir_stream *b = weir_assign_timestamps(
        weir_from_callback(env, "ts BIGINT, k STRING", silent_source, &next), &wm);
    weir_window_spec tumbling = {.kind = WEIR_WINDOW_TUMBLING, .size_ms = 10000};
    weir_aggregate_fn count = {
        .acc_size = sizeof(int64_t), .init = count_init, .add = count_add, .result = count_result};
    weir_stream *w = weir_window_aggregate(weir_key_by(weir_union(a, b), "k"), &tumbling,
                                           "start BIGINT, k STRING, n BIGINT", &count, NULL);
    weir_sink_callback(w, count_fired, NULL);
    run_ok(env);
    weir_env_free(env);
    /* Fired while running: the busy source stopped waiting early. */
    return next <= 30000 + 500;
}

Test(datastream, idleness_unblocks_a_stalled_watermark, .timeout = 60)
{
    cr_expect_not(fired_before_end(0), "without idleness the idle input holds the watermark");
    cr_expect(fired_before_end(50), "an idle input must not hold the watermark back");
}

/* ---- async execution and cancellation ---- */

static int endless(void *arg, weir_ctx *ctx)
{
    weir_out *out = weir_output(ctx);
    weir_set_int(out, 0, 1);
    usleep(1000);
    return weir_emit(out) ? -1 : WEIR_SOURCE_MORE;
}

Test(datastream, execute_async_wait_and_cancel)
{
    weir_env *env = weir_env_new();
    weir_stream *s = weir_from_callback(env, "n BIGINT", endless, NULL);
    weir_print(weir_filter(s, is_even, NULL), NULL);
    weir_job *job = weir_execute_async(env, "endless");
    cr_assert_not_null(job, "%s", weir_env_error(env));
    cr_expect_eq(weir_job_wait(job, 50), 1, "the job is still running");
    weir_job_cancel(job);
    cr_expect_eq(weir_job_wait(job, -1), -1);
    cr_expect(strstr(weir_job_error(job), "cancelled") != NULL, "%s", weir_job_error(job));
    weir_job_free(job);
    weir_env_free(env);
}

static int fail_on_three(void *arg, const weir_row *in, weir_ctx *ctx)
{
    if (weir_row_int(in, 0) == 3)
        return weir_fail(ctx, "value %lld is not allowed", (long long)weir_row_int(in, 0));
    return 0;
}

Test(datastream, a_failing_function_fails_the_job_with_its_message)
{
    const char *rows[] = {"1", "2", "3"};
    weir_env *env = weir_env_new();
    weir_stream *s = weir_from_elements(env, "n BIGINT", rows, 3);
    s = weir_flat_map(s, "n BIGINT", fail_on_three, NULL);
    weir_print(s, NULL);
    cr_expect_eq(weir_execute(env, "failing"), -1);
    cr_expect(strstr(weir_env_error(env), "value 3 is not allowed") != NULL, "%s",
              weir_env_error(env));
    cr_expect(strstr(weir_env_error(env), "FlatMap") != NULL, "%s", weir_env_error(env));
    weir_env_free(env);
}

/* ---- regressions ---- */

static const weir_state_desc per_key = {.name = "per-key", .kind = WEIR_STATE_VALUE};
static const weir_state_desc *const per_key_states[] = {&per_key, NULL};

static int count_per_key(void *arg, const weir_row *in, weir_ctx *ctx)
{
    weir_state_update_int(ctx, &per_key, weir_state_int(ctx, &per_key, 0) + 1);
    weir_timer_event(ctx, 0);
    return 0;
}

static int emit_per_key(void *arg, int64_t time, weir_ctx *ctx)
{
    size_t len;
    const char *k = weir_row_str(weir_ctx_key(ctx), 0, &len);
    weir_out *out = weir_output(ctx);
    weir_set_str(out, 0, k, len);
    weir_set_int(out, 1, weir_state_int(ctx, &per_key, 0));
    return weir_emit(out);
}

Test(datastream, the_outermost_key_by_decides)
{
    const char *rows[] = {"a,x", "a,y", "b,x", "c,x", "c,y", "c,z"};
    collected c;
    collected_init(&c);
    weir_env *env = weir_env_new();
    weir_env_set(env, "parallelism.default", "4");
    weir_stream *s = weir_from_elements(env, "k STRING, v STRING", rows, 6);
    weir_process_fn fn = {
        .process_element = count_per_key, .on_timer = emit_per_key, .states = per_key_states};
    s = weir_process(weir_key_by(weir_key_by(s, "k"), "v"), "v STRING, n BIGINT", &fn, NULL);
    weir_sink_callback(s, collect, &c);
    run_ok(env);
    expect_lines(&c, true, "x|3;y|2;z|1");
    weir_env_free(env);
    collected_fini(&c);
}

static int to_keyed_row(void *arg, const weir_row *in, weir_out *out)
{
    weir_set_str(out, 0, "abc", 3);
    weir_set_int(out, 1, weir_row_int(in, 0));
    return 0;
}

static int collect_nothing(void *arg, const weir_row *row, weir_ctx *ctx)
{
    return 0;
}

Test(datastream, freeing_the_environment_stops_its_async_job)
{
    weir_env *env = weir_env_new();
    weir_stream *s = weir_from_callback(env, "n BIGINT", endless, NULL);
    weir_stream *keyed = weir_key_by_fn(weir_map(s, "k STRING, n BIGINT", to_keyed_row, NULL),
                                        "letter STRING", first_letter, NULL);
    weir_sink_callback(weir_reduce(keyed, sum_reduce, NULL), collect_nothing, NULL);
    weir_job *job = weir_execute_async(env, "async");
    cr_assert_not_null(job, "%s", weir_env_error(env));
    usleep(20000);
    weir_env_free(env); /* cancels the job: it must not outlive its streams */
    cr_expect_eq(weir_job_wait(job, -1), -1);
    weir_job_free(job);
}

static int64_t seen_watermark = INT64_MIN, seen_timestamp = INT64_MIN;

static int note_time(void *arg, const weir_row *in, weir_ctx *ctx)
{
    seen_watermark = weir_ctx_watermark(ctx);
    seen_timestamp = weir_ctx_timestamp(ctx);
    return 0;
}

Test(datastream, batch_results_come_before_the_final_watermark)
{
    weir_env *env = weir_env_new();
    weir_env_set(env, "execution.runtime-mode", "batch");
    weir_stream *s = weir_from_elements(env, "k STRING, v BIGINT", kv_rows, 6);
    s = weir_reduce(weir_key_by(s, "k"), sum_reduce, NULL);
    s = weir_process(weir_key_by(s, "k"), "k STRING",
                     &(weir_process_fn){.process_element = note_time}, NULL);
    weir_print(s, NULL);
    run_ok(env);
    cr_expect_neq(seen_watermark, INT64_MAX, "a final row arrived after the final watermark");
    cr_expect_eq(seen_timestamp, INT64_MAX);
    weir_env_free(env);
}

static int far_timer(void *arg, const weir_row *in, weir_ctx *ctx)
{
    weir_timer_processing(ctx, INT64_MAX - 1);
    return 0;
}

Test(datastream, a_processing_timer_at_the_end_of_time_is_harmless)
{
    const char *rows[] = {"a,1", "b,2"};
    weir_env *env = weir_env_new();
    weir_stream *s = weir_from_elements(env, "k STRING, v BIGINT", rows, 2);
    s = weir_process(weir_key_by(s, "k"), "k STRING",
                     &(weir_process_fn){.process_element = far_timer}, NULL);
    weir_print(s, NULL);
    run_ok(env);
    weir_env_free(env);
}

/* ---- restoring from a checkpoint ---- */

#include <glob.h>

static int slow_copy(void *arg, const weir_row *in, weir_out *out)
{
    usleep(100);
    weir_set_row(out, in);
    return 0;
}

/* k -> the last reduced value the sink saw, as "k|v" lines. */
typedef struct last_values {
    pthread_mutex_t lock;
    int64_t v[8];
} last_values;

static int keep_last(void *arg, const weir_row *row, weir_ctx *ctx)
{
    last_values *lv = arg;
    size_t len;
    const char *k = weir_row_str(row, 0, &len);
    pthread_mutex_lock(&lv->lock);
    lv->v[k[0] - 'a'] = weir_row_int(row, 1);
    pthread_mutex_unlock(&lv->lock);
    return 0;
}

/* elements (k, 1) x 6000 over keys a..e -> slow map -> key_by -> sum -> sink, checkpointed. */
static weir_env *sum_job(const char *dir, last_values *lv, const char **rows, int n)
{
    weir_env *env = weir_env_new();
    weir_env_set(env, "parallelism.default", "2");
    weir_env_set(env, "execution.checkpointing.interval", "30 ms");
    weir_env_set(env, "state.checkpoints.dir", dir);
    weir_stream *s = weir_from_elements(env, "k STRING, v BIGINT", rows, (size_t)n);
    /* Chained to the source, the slow map keeps the source running (checkpoints need running
     * sources: a finished source's rows still in flight could not be replayed). */
    s = weir_set_parallelism(weir_map(s, "k STRING, v BIGINT", slow_copy, NULL), 1);
    s = weir_reduce(weir_key_by(s, "k"), sum_reduce, NULL);
    weir_sink_callback(s, keep_last, lv);
    return env;
}

/* Crashes a checkpointed job halfway, resumes it at `parallelism` and checks the sums. */
static void crash_and_resume(const char *parallelism)
{
    char dir[] = "/tmp/weir-resume-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    enum { N = 6000 };
    static char text[N][8];
    static const char *rows[N];
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof(text[i]), "%c,1", 'a' + i % 5);
        rows[i] = text[i];
    }
    last_values first = {.lock = PTHREAD_MUTEX_INITIALIZER};
    weir_env *env = sum_job(dir, &first, rows, N);
    weir_job *job = weir_execute_async(env, "resumable");
    cr_assert_not_null(job, "%s", weir_env_error(env));
    /* Let a few checkpoints complete, then "crash" in the middle. */
    char pattern[128];
    snprintf(pattern, sizeof(pattern), "%s/resumable/chk-*/_metadata", dir);
    glob_t g = {0};
    for (int i = 0; i < 2000 && weir_job_wait(job, 5) == 1; i++) {
        globfree(&g);
        if (i >= 30 && glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc >= 1) break;
    }
    weir_job_cancel(job);
    weir_job_wait(job, -1);
    weir_job_free(job);
    weir_env_free(env);
    cr_assert_geq(g.gl_pathc, 1, "no checkpoint completed before the crash");
    int64_t before = 0;
    for (int k = 0; k < 5; k++) before += first.v[k];
    cr_expect_lt(before, N, "the first run must stop before the end (it counted %lld)",
                 (long long)before);
    /* Resume from the newest complete checkpoint. */
    char *newest = g.gl_pathv[g.gl_pathc - 1];
    for (size_t i = 0; i < g.gl_pathc; i++) {
        int64_t a = atoll(strstr(g.gl_pathv[i], "chk-") + 4);
        if (a > atoll(strstr(newest, "chk-") + 4)) newest = g.gl_pathv[i];
    }
    *strrchr(newest, '/') = '\0';
    last_values second = {.lock = PTHREAD_MUTEX_INITIALIZER};
    env = sum_job(dir, &second, rows, N);
    weir_env_set(env, "parallelism.default", parallelism); /* keyed state moves by key group */
    weir_env_set(env, "execution.savepoint.path", newest);
    globfree(&g);
    cr_assert_eq(weir_execute(env, "resumable"), 0, "%s", weir_env_error(env));
    weir_env_free(env);
    /* Restored sums and the source position fit: every key ends at exactly its count. */
    for (int k = 0; k < 5; k++)
        cr_expect_eq(second.v[k], N / 5, "key %c ends at %lld", 'a' + k, (long long)second.v[k]);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(datastream, a_job_resumes_from_its_checkpoint_with_exact_state, .timeout = 120)
{
    crash_and_resume("2");
}

Test(datastream, keyed_state_rescales_from_2_to_1_and_4, .timeout = 120)
{
    crash_and_resume("1");
    crash_and_resume("4");
}

Test(datastream, a_missing_savepoint_path_is_an_error_naming_it)
{
    const char *rows[] = {"a,1"};
    weir_env *env = weir_env_new();
    weir_env_set(env, "execution.savepoint.path", "/tmp/weir-no-such-checkpoint");
    weir_print(weir_from_elements(env, "k STRING, v BIGINT", rows, 1), NULL);
    cr_expect_eq(weir_execute(env, "x"), -1);
    cr_expect(strstr(weir_env_error(env), "/tmp/weir-no-such-checkpoint") != NULL, "%s",
              weir_env_error(env));
    weir_env_free(env);
}
