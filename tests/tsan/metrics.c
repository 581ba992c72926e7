/*
 * metrics.c — weir_job_metrics read from the main thread while a job at parallelism 4
 * runs, under ThreadSanitizer: the counts only grow while it runs and are exact once it
 * ended; a keyed count's state bytes are read meanwhile too, their peak only grows. Prints "N
 * passed, N failed"; exits non-zero on a failure.
 */
#include <weir.h>

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

#define ROWS 200000

typedef struct gen {
    int64_t next[64];
} gen;

/* Each subtask emits its share of ROWS rows over 17 keys. */
static int generate(void *arg, weir_ctx *ctx)
{
    gen *g = arg;
    int s = weir_ctx_subtask(ctx), p = weir_ctx_parallelism(ctx);
    for (int i = 0; i < 128; i++) {
        int64_t idx = g->next[s]++ * p + s;
        if (idx >= ROWS) return WEIR_SOURCE_END;
        weir_out *out = weir_output(ctx);
        weir_set_int(out, 0, idx % 17);
        if (weir_emit(out)) return -1;
    }
    return WEIR_SOURCE_MORE;
}

static bool keep_all(void *arg, const weir_row *in)
{
    return true;
}

static int sink(void *arg, const weir_row *row, weir_ctx *ctx)
{
    return 0;
}

/* Counts rows per key in keyed state, so the operator holds state while the job runs. */
static const weir_state_desc count_state = {.name = "count", .kind = WEIR_STATE_VALUE};
static const weir_state_desc *const count_states[] = {&count_state, NULL};

static int count_row(void *arg, const weir_row *in, weir_ctx *ctx)
{
    weir_state_update_int(ctx, &count_state, weir_state_int(ctx, &count_state, 0) + 1);
    return 0;
}

int main(void)
{
    gen g = {{0}};
    weir_env *env = weir_env_new();
    weir_env_set(env, "parallelism.default", "4");
    weir_env_set(env, "execution.buffer-timeout", "1 ms");
    weir_stream *s = weir_from_callback(env, "k BIGINT", generate, &g);
    weir_set_name(s, "gen");
    weir_stream *f = weir_set_name(weir_filter(weir_key_by(s, "k"), keep_all, NULL), "filter");
    weir_sink_callback(f, sink, NULL);
    static const weir_process_fn count_fn = {.process_element = count_row, .states = count_states};
    weir_stream *c = weir_process(weir_key_by(s, "k"), "k BIGINT", &count_fn, NULL);
    weir_sink_callback(weir_set_name(c, "count"), sink, NULL);
    weir_job *job = weir_execute_async(env, "metrics");
    check(job != NULL, "job starts");
    if (job == NULL) {
        fprintf(stderr, "%s\n", weir_env_error(env));
        weir_env_free(env);
        return 1;
    }
    weir_vertex_metrics m[8];
    int64_t last_in = 0, last_peak = 0, reads = 0;
    bool monotonic = true, peak_monotonic = true;
    for (;;) {
        int rc = weir_job_wait(job, 0);
        int n = weir_job_metrics(job, m, 8);
        reads++;
        for (int i = 0; i < n; i++) {
            if (strcmp(m[i].name, "filter") == 0) {
                monotonic &= m[i].records_in >= last_in;
                last_in = m[i].records_in;
            }
            if (strcmp(m[i].name, "count") == 0) {
                peak_monotonic &= m[i].state_bytes_peak >= last_peak;
                last_peak = m[i].state_bytes_peak;
            }
        }
        if (rc != 1) {
            check(rc == 0, "job completes");
            break;
        }
    }
    check(monotonic, "records_in only grows while the job runs");
    check(peak_monotonic, "state_bytes_peak only grows while the job runs");
    int n = weir_job_metrics(job, m, 8);
    check(n == 5, "five operators");
    for (int i = 0; i < n; i++) {
        if (strcmp(m[i].name, "gen") == 0)
            check(m[i].records_out == ROWS && m[i].parallelism == 4, "source emitted every row");
        if (strcmp(m[i].name, "filter") == 0)
            check(m[i].records_in == ROWS && m[i].records_out == ROWS && m[i].state_bytes == 0,
                  "filter saw every row and keeps no state");
        if (strcmp(m[i].name, "count") == 0)
            check(m[i].state_bytes > 0 && m[i].state_bytes_peak >= m[i].state_bytes,
                  "the keyed count holds state");
    }
    printf("tsan: metrics read %lld times while running\n", (long long)reads);
    weir_job_free(job);
    weir_env_free(env);
    printf("tsan: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
