/*
 * windowed_counts.c — event-time tumbling windows over out-of-order input.
 *
 *   printf '1000,a\n12000,b\n3000,a\n' | build/examples/windowed_counts
 *
 * Reads "ts_millis,key" lines from standard input. Events may arrive up to
 * 5 s out of order, so the watermark trails the highest timestamp by 5 s
 * (bounded out-of-orderness). Counts events per key in 10 s tumbling
 * windows and prints "window_start_millis,key,count" when a window fires;
 * the windows still open fire at the end of input.
 */
#include <weir.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void init(void *arg, void *acc)
{
    memset(acc, 0, sizeof(int64_t));
}

static void add(void *arg, void *acc, const weir_row *in)
{
    ++*(int64_t *)acc;
}

static int result(void *arg, const void *acc, weir_ctx *ctx)
{
    size_t len;
    const char *key = weir_row_str(weir_ctx_key(ctx), 0, &len);
    weir_out *out = weir_output(ctx);
    weir_set_int(out, 0, weir_ctx_window_start(ctx));
    weir_set_str(out, 1, key, len);
    weir_set_int(out, 2, *(const int64_t *)acc);
    return weir_emit(out);
}

static int print(void *arg, const weir_row *row, weir_ctx *ctx)
{
    size_t len;
    const char *key = weir_row_str(row, 1, &len);
    printf("%" PRId64 ",%.*s,%" PRId64 "\n", weir_row_int(row, 0), (int)len, key,
           weir_row_int(row, 2));
    fflush(stdout);
    return 0;
}

int main(void)
{
    weir_env *env = weir_env_new();
    weir_stream *events = weir_from_csv_file(env, "ts BIGINT, key STRING", "-");
    weir_watermark_strategy wm = {
        .kind = WEIR_WATERMARK_BOUNDED,
        .max_out_of_orderness_ms = 5000,
        .timestamp_field = "ts",
    };
    weir_stream *timed = weir_assign_timestamps(events, &wm);
    weir_window_spec tumbling = {.kind = WEIR_WINDOW_TUMBLING, .size_ms = 10000};
    weir_aggregate_fn count = {
        .acc_size = sizeof(int64_t), .init = init, .add = add, .result = result};
    weir_stream *counts =
        weir_window_aggregate(weir_key_by(timed, "key"), &tumbling,
                              "window_start BIGINT, key STRING, cnt BIGINT", &count, NULL);
    weir_sink_callback(counts, print, NULL);
    int rc = weir_execute(env, "windowed_counts");
    if (rc) fprintf(stderr, "windowed_counts: %s\n", weir_env_error(env));
    weir_env_free(env);
    return rc ? 1 : 0;
}
