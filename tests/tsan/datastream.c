/*
 * datastream.c — keyed windows, timers, watermarks and idleness under
 * ThreadSanitizer: DataStream jobs at parallelism 4 with hash exchanges,
 * unions of two sources and periodic watermarks, checked for complete
 * results. Prints "N passed, N failed"; exits non-zero on a failure.
 */
#include <weir.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

static void check(bool ok, const char *what)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAIL: %s\n", what);
    }
}

typedef struct gen {
    int64_t rows;
    int64_t next[64];
} gen;

/* Each subtask emits its share of rows, ts ascending with jitter, over 37 keys. */
static int generate(void *arg, weir_ctx *ctx)
{
    gen *g = arg;
    int s = weir_ctx_subtask(ctx), p = weir_ctx_parallelism(ctx);
    for (int i = 0; i < 256; i++) {
        int64_t idx = g->next[s]++ * p + s;
        if (idx >= g->rows) return WEIR_SOURCE_END;
        weir_out *out = weir_output(ctx);
        weir_set_int(out, 0, idx - (idx * 7 % 50));
        weir_set_int(out, 1, idx % 37);
        if (weir_emit(out)) return -1;
    }
    return WEIR_SOURCE_MORE;
}

static void init(void *arg, void *acc)
{
    *(int64_t *)acc = 0;
}

static void add(void *arg, void *acc, const weir_row *in)
{
    ++*(int64_t *)acc;
}

static int result(void *arg, const void *acc, weir_ctx *ctx)
{
    weir_out *out = weir_output(ctx);
    weir_set_int(out, 0, weir_ctx_window_start(ctx));
    weir_set_int(out, 1, *(const int64_t *)acc);
    return weir_emit(out);
}

static atomic_llong total;

static int sink(void *arg, const weir_row *row, weir_ctx *ctx)
{
    atomic_fetch_add(&total, weir_row_int(row, 1));
    return 0;
}

static const weir_state_desc seen = {.name = "seen", .kind = WEIR_STATE_VALUE};
static const weir_state_desc *const states[] = {&seen, NULL};

static int element(void *arg, const weir_row *in, weir_ctx *ctx)
{
    weir_state_update_int(ctx, &seen, weir_state_int(ctx, &seen, 0) + 1);
    weir_timer_event(ctx, weir_ctx_timestamp(ctx) / 1000 * 1000 + 999);
    return 0;
}

static int on_timer(void *arg, int64_t time, weir_ctx *ctx)
{
    weir_out *out = weir_output(ctx);
    weir_set_int(out, 0, time);
    weir_set_int(out, 1, weir_state_int(ctx, &seen, 0));
    weir_state_clear(ctx, &seen);
    return weir_emit(out);
}

static void run(bool process, const char *what)
{
    atomic_store(&total, 0);
    gen a = {.rows = 60000}, b = {.rows = 40000};
    weir_env *env = weir_env_new();
    weir_env_set(env, "parallelism.default", "4");
    weir_env_set(env, "pipeline.auto-watermark-interval", "1 ms");
    weir_env_set(env, "execution.buffer-timeout", "1 ms");
    weir_watermark_strategy wm = {.kind = WEIR_WATERMARK_BOUNDED,
                                  .max_out_of_orderness_ms = 100,
                                  .timestamp_field = "ts",
                                  .idle_timeout_ms = 20};
    weir_stream *sa =
        weir_assign_timestamps(weir_from_callback(env, "ts BIGINT, k BIGINT", generate, &a), &wm);
    weir_stream *sb =
        weir_assign_timestamps(weir_from_callback(env, "ts BIGINT, k BIGINT", generate, &b), &wm);
    weir_stream *keyed = weir_key_by(weir_union(sa, sb), "k");
    weir_stream *out;
    if (process) {
        weir_process_fn fn = {.process_element = element, .on_timer = on_timer, .states = states};
        out = weir_process(keyed, "t BIGINT, n BIGINT", &fn, NULL);
    } else {
        weir_window_spec w = {.kind = WEIR_WINDOW_TUMBLING, .size_ms = 1000};
        weir_aggregate_fn count = {
            .acc_size = sizeof(int64_t), .init = init, .add = add, .result = result};
        out = weir_window_aggregate(keyed, &w, "start BIGINT, n BIGINT", &count, NULL);
    }
    weir_sink_callback(weir_set_parallelism(out, 2), sink, NULL);
    int rc = weir_execute(env, what);
    if (rc) fprintf(stderr, "%s: %s\n", what, weir_env_error(env));
    check(rc == 0, what);
    check(atomic_load(&total) == 100000, what);
    weir_env_free(env);
}

int main(void)
{
    run(false, "window aggregate at parallelism 4 over a union");
    run(true, "keyed process with event-time timers at parallelism 4");
    printf("tsan: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
