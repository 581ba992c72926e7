/*
 * fraud_detection.c — a keyed process function with state and timers, after
 * Flink's fraud detection tutorial.
 *
 *   build/examples/fraud_detection [FILE]     (default: standard input)
 *
 * Reads "ts_millis,account,amount" lines. For each account it remembers
 * whether the last transaction was small (below 1.00); a large one (above
 * 500.00) right after a small one, within one minute of event time, raises
 * an alert "ALERT account=... small=... large=... at=...". An event-time
 * timer clears the flag when the minute has passed.
 */
#include <weir.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define SMALL 1.00
#define LARGE 500.00
#define ONE_MINUTE 60000

typedef struct flag {
    double amount; /* the small amount */
    int64_t timer; /* when the flag expires */
} flag;

static const weir_state_desc small_flag = {.name = "small-flag", .kind = WEIR_STATE_VALUE};
static const weir_state_desc *const states[] = {&small_flag, NULL};

static int process(void *arg, const weir_row *tx, weir_ctx *ctx)
{
    double amount = weir_row_double(tx, 2);
    size_t len;
    const flag *f = weir_state_value(ctx, &small_flag, &len);
    if (f && len == sizeof(*f)) {
        flag last = *f;
        if (amount > LARGE && weir_ctx_timestamp(ctx) <= last.timer) {
            size_t alen;
            const char *account = weir_row_str(tx, 1, &alen);
            weir_out *out = weir_output(ctx);
            weir_set_str(out, 0, account, alen);
            weir_set_double(out, 1, last.amount);
            weir_set_double(out, 2, amount);
            weir_set_int(out, 3, weir_row_timestamp(tx));
            if (weir_emit(out)) return -1;
        }
        weir_timer_delete_event(ctx, last.timer);
        weir_state_clear(ctx, &small_flag);
    }
    if (amount < SMALL) {
        flag next = {amount, weir_ctx_timestamp(ctx) + ONE_MINUTE};
        weir_state_update(ctx, &small_flag, &next, sizeof(next));
        weir_timer_event(ctx, next.timer);
    }
    return 0;
}

static int on_timer(void *arg, int64_t time, weir_ctx *ctx)
{
    weir_state_clear(ctx, &small_flag);
    return 0;
}

static int print(void *arg, const weir_row *alert, weir_ctx *ctx)
{
    size_t len;
    const char *account = weir_row_str(alert, 0, &len);
    printf("ALERT account=%.*s small=%.2f large=%.2f at=%" PRId64 "\n", (int)len, account,
           weir_row_double(alert, 1), weir_row_double(alert, 2), weir_row_int(alert, 3));
    return 0;
}

int main(int argc, char **argv)
{
    weir_env *env = weir_env_new();
    weir_stream *tx = weir_from_csv_file(env, "ts BIGINT, account STRING, amount DOUBLE",
                                         argc > 1 ? argv[1] : "-");
    weir_watermark_strategy wm = {.kind = WEIR_WATERMARK_MONOTONOUS, .timestamp_field = "ts"};
    weir_process_fn detector = {.process_element = process, .on_timer = on_timer, .states = states};
    weir_stream *alerts =
        weir_process(weir_key_by(weir_assign_timestamps(tx, &wm), "account"),
                     "account STRING, small DOUBLE, large DOUBLE, ts BIGINT", &detector, NULL);
    weir_sink_callback(alerts, print, NULL);
    int rc = weir_execute(env, "fraud-detection");
    if (rc) fprintf(stderr, "fraud_detection: %s\n", weir_env_error(env));
    weir_env_free(env);
    return rc ? 1 : 0;
}
