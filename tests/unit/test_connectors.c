/*
 * test_connectors.c — the datagen source and the print and blackhole sinks.
 *
 * Operators are driven directly, as the runtime would: a hand-made wr_op_ctx
 * whose collector keeps a copy of every emitted row.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"
#include "../../src/connectors/connector.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- harness ------------------------------------------------------------- */

/* Runs subtask `subtask` of a source to its end (or max_batches), into cap. */
static void run_source(const wr_operator_spec *spec, int subtask, int parallelism, capture *cap,
                       int max_batches)
{
    wr_op_ctx ctx;
    wr_error err;
    wr_error_init(&err);
    ctx_init(&ctx, subtask, parallelism, &cap->base);
    wr_operator *op = spec->ops->create(spec->spec, &ctx, &err);
    cr_assert(op);
    if (spec->ops->open) cr_assert_eq(spec->ops->open(op, &err), 0, "%s", err.msg);
    int start = cap->nbatches;
    int64_t start_rows = cap->rows;
    for (;;) {
        wr_source_status status;
        cr_assert_eq(spec->ops->run(op, &status, &err), 0, "%s", err.msg);
        if (status == WR_SOURCE_END) break;
        if (status == WR_SOURCE_IDLE) wr_clock_sleep_ns(ctx.idle_until_ns - wr_clock_mono_ns());
        if (max_batches && cap->nbatches - start >= max_batches) break;
    }
    cr_assert_eq(ctx.rows_out, cap->rows - start_rows);
    spec->ops->destroy(op);
}

static int64_t int_value(const wr_batch *batch, int col, int row)
{
    const wr_vector *v = &batch->cols[col];
    switch (v->type.id) {
    case WR_TYPE_TINYINT:
        return ((int8_t *)v->data)[row];
    case WR_TYPE_SMALLINT:
        return ((int16_t *)v->data)[row];
    case WR_TYPE_INT:
        return ((int32_t *)v->data)[row];
    default:
        return ((int64_t *)v->data)[row];
    }
}

/* ---- datagen: sequences and row counts ------------------------------------ */

typedef struct seen {
    int64_t lo;
    int n;
    int *count;
} seen;

static void count_value(const wr_batch *batch, int row, void *arg)
{
    seen *s = arg;
    int64_t v = int_value(batch, 0, row);
    cr_assert(v >= s->lo && v < s->lo + s->n, "value %lld out of range", (long long)v);
    s->count[v - s->lo]++;
}

/* Every value of start..end exactly once over all subtasks. */
static void check_sequence(int parallelism, int64_t start, int64_t end, wr_type type)
{
    wr_schema *schema = schema_of("id", &type);
    char s[64], e[64];
    snprintf(s, sizeof(s), "fields.id.start=%lld", (long long)start);
    snprintf(e, sizeof(e), "fields.id.end=%lld", (long long)end);
    const char *kv[] = {"fields.id.kind=sequence", s, e, "rows-per-second=1000000000000"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 4, &spec, &err), 0, "%s", err.msg);
    cr_assert(spec.bounded);
    cr_assert_eq(spec.parallelism, -1);
    capture cap;
    capture_init(&cap);
    for (int i = 0; i < parallelism; i++) run_source(&spec, i, parallelism, &cap, 0);
    seen sn = {start, (int)(end - start + 1), NULL};
    sn.count = calloc((size_t)sn.n, sizeof(int));
    capture_each(&cap, count_value, &sn);
    cr_assert_eq(cap.rows, sn.n);
    for (int i = 0; i < sn.n; i++)
        cr_assert_eq(sn.count[i], 1, "value %lld seen %d times", (long long)(start + i),
                     sn.count[i]);
    free(sn.count);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(datagen, sequence_one_subtask)
{
    check_sequence(1, 1, 5000, wr_type_make(WR_TYPE_BIGINT, true));
}

Test(datagen, sequence_split_across_subtasks)
{
    check_sequence(4, -7, 3001, wr_type_make(WR_TYPE_INT, true));
    check_sequence(4, 10, 11,
                   wr_type_make(WR_TYPE_SMALLINT, true)); /* fewer values than subtasks */
    check_sequence(3, 0, 2048, wr_type_make(WR_TYPE_BIGINT, false));
}

Test(datagen, sequence_subtask_ranges_are_contiguous)
{
    wr_type type = wr_type_make(WR_TYPE_BIGINT, true);
    wr_schema *schema = schema_of("id", &type);
    const char *kv[] = {"fields.id.kind=sequence", "fields.id.start=1", "fields.id.end=10",
                        "rows-per-second=1000000000000"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 4, &spec, &err), 0, "%s", err.msg);
    /* 10 over 4 subtasks: 1..3, 4..6, 7..8, 9..10. */
    int64_t firsts[] = {1, 4, 7, 9}, lens[] = {3, 3, 2, 2};
    for (int i = 0; i < 4; i++) {
        capture cap;
        capture_init(&cap);
        run_source(&spec, i, 4, &cap, 0);
        cr_assert_eq(cap.rows, lens[i]);
        for (int r = 0; r < cap.batches[0]->count; r++)
            cr_assert_eq(int_value(cap.batches[0], 0, r), firsts[i] + r);
        capture_fini(&cap);
    }
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(datagen, sequence_as_string)
{
    wr_type type = wr_type_make(WR_TYPE_VARCHAR, true);
    wr_schema *schema = schema_of("s", &type);
    const char *kv[] = {"fields.s.kind=sequence", "fields.s.start=-2", "fields.s.end=1100",
                        "rows-per-second=1000000000000"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 4, &spec, &err), 0, "%s", err.msg);
    capture cap;
    capture_init(&cap);
    run_source(&spec, 0, 1, &cap, 0);
    cr_assert_eq(cap.rows, 1103);
    int64_t expect = -2;
    for (int b = 0; b < cap.nbatches; b++) {
        for (int r = 0; r < cap.batches[b]->count; r++, expect++) {
            wr_str s = ((wr_str *)cap.batches[b]->cols[0].data)[r];
            char want[32];
            snprintf(want, sizeof(want), "%lld", (long long)expect);
            cr_assert_eq(s.len, strlen(want));
            cr_assert(memcmp(s.ptr, want, s.len) == 0);
        }
    }
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(datagen, number_of_rows_split_exact)
{
    wr_type types[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("a,b", types);
    const char *kv[] = {"number-of-rows=5003", "rows-per-second=1000000000000"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 2, &spec, &err), 0, "%s", err.msg);
    cr_assert(spec.bounded);
    for (int p = 1; p <= 7; p += 3) {
        capture cap;
        capture_init(&cap);
        for (int i = 0; i < p; i++) run_source(&spec, i, p, &cap, 0);
        cr_assert_eq(cap.rows, 5003, "parallelism %d gave %lld rows", p, (long long)cap.rows);
        for (int b = 0; b < cap.nbatches; b++)
            cr_assert(cap.batches[b]->count <= WR_BATCH_CAPACITY);
        capture_fini(&cap);
    }
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(datagen, number_of_rows_zero_ends_at_once)
{
    wr_type type = wr_type_make(WR_TYPE_INT, true);
    wr_schema *schema = schema_of("a", &type);
    const char *kv[] = {"number-of-rows=0"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 1, &spec, &err), 0, "%s", err.msg);
    capture cap;
    capture_init(&cap);
    run_source(&spec, 0, 1, &cap, 0);
    cr_assert_eq(cap.rows, 0);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(datagen, number_of_rows_shorter_than_sequence)
{
    wr_type type = wr_type_make(WR_TYPE_BIGINT, true);
    wr_schema *schema = schema_of("id", &type);
    const char *kv[] = {"fields.id.kind=sequence", "fields.id.start=1", "fields.id.end=100000",
                        "number-of-rows=10", "rows-per-second=1000000000000"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 5, &spec, &err), 0, "%s", err.msg);
    capture cap;
    capture_init(&cap);
    run_source(&spec, 0, 1, &cap, 0);
    cr_assert_eq(cap.rows, 10);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(datagen, unbounded_by_default)
{
    wr_type type = wr_type_make(WR_TYPE_INT, true);
    wr_schema *schema = schema_of("a", &type);
    const char *kv[] = {"scan.parallelism=3", "rows-per-second=1000000000000"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 2, &spec, &err), 0, "%s", err.msg);
    cr_assert(!spec.bounded);
    cr_assert_eq(spec.parallelism, 3);
    capture cap;
    capture_init(&cap);
    run_source(&spec, 0, 1, &cap, 5);
    cr_assert_eq(cap.nbatches, 5);
    cr_assert_eq(cap.rows, 5 * WR_BATCH_CAPACITY);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* A slow rate makes run() idle with a deadline in the future rather than wait. */
Test(datagen, throttle_idles)
{
    wr_type type = wr_type_make(WR_TYPE_INT, true);
    wr_schema *schema = schema_of("a", &type);
    const char *kv[] = {"rows-per-second=2"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 1, &spec, &err), 0, "%s", err.msg);
    capture cap;
    capture_init(&cap);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, &cap.base);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    wr_source_status status;
    cr_assert_eq(spec.ops->run(op, &status, &err), 0);
    cr_assert_eq(status, WR_SOURCE_MORE);
    cr_assert_eq(cap.rows, 1);
    int64_t before = wr_clock_mono_ns();
    cr_assert_eq(spec.ops->run(op, &status, &err), 0);
    cr_assert_eq(status, WR_SOURCE_IDLE);
    cr_assert(ctx.idle_until_ns > before);
    cr_assert_eq(cap.rows, 1);
    spec.ops->destroy(op);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* ---- datagen: random values ---------------------------------------------- */

Test(datagen, min_max_respected)
{
    wr_type types[] = {wr_type_make(WR_TYPE_TINYINT, true), wr_type_make(WR_TYPE_INT, true),
                       wr_type_make(WR_TYPE_BIGINT, true),  wr_type_make(WR_TYPE_DOUBLE, true),
                       wr_type_make(WR_TYPE_FLOAT, true),   wr_type_make(WR_TYPE_SMALLINT, true)};
    wr_schema *schema = schema_of("a,b,c,d,e,f", types);
    const char *kv[] = {
        "fields.a.min=-3",   "fields.a.max=4",       "fields.b.min=100",
        "fields.b.max=100",  "fields.c.min=-5",      "fields.c.max=5",
        "fields.d.min=-1.5", "fields.d.max=2.25",    "fields.e.min=10",
        "fields.e.max=10.5", "number-of-rows=20000", "rows-per-second=1000000000000"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 12, &spec, &err), 0, "%s", err.msg);
    capture cap;
    capture_init(&cap);
    run_source(&spec, 0, 1, &cap, 0);
    cr_assert_eq(cap.rows, 20000);
    bool seen_a[8] = {false};
    int64_t fmin = 0, fmax = 0;
    for (int b = 0; b < cap.nbatches; b++) {
        const wr_batch *batch = cap.batches[b];
        for (int r = 0; r < batch->count; r++) {
            int64_t a = int_value(batch, 0, r);
            cr_assert(a >= -3 && a <= 4);
            seen_a[a + 3] = true;
            cr_assert_eq(int_value(batch, 1, r), 100);
            int64_t c = int_value(batch, 2, r);
            cr_assert(c >= -5 && c <= 5);
            double d = ((double *)batch->cols[3].data)[r];
            cr_assert(d >= -1.5 && d <= 2.25);
            float e = ((float *)batch->cols[4].data)[r];
            cr_assert(e >= 10.0f && e <= 10.5f);
            int64_t f = int_value(batch, 5, r); /* default: SMALLINT's whole range */
            fmin = f < fmin ? f : fmin;
            fmax = f > fmax ? f : fmax;
            for (int col = 0; col < 6; col++) cr_assert(!wr_vector_is_null(&batch->cols[col], r));
        }
    }
    for (int i = 0; i < 8; i++) cr_assert(seen_a[i], "value %d never generated", i - 3);
    cr_assert(fmin < -16000 && fmax > 16000);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(datagen, null_rate)
{
    wr_type types[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_VARCHAR, true),
                       wr_type_make(WR_TYPE_BOOLEAN, true), wr_type_make(WR_TYPE_TIMESTAMP, true)};
    wr_schema *schema = schema_of("a,b,c,t", types);
    const char *kv[] = {"fields.a.null-rate=1", "fields.b.null-rate=0", "fields.c.null-rate=0.5",
                        "number-of-rows=4000", "rows-per-second=1000000000000"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 5, &spec, &err), 0, "%s", err.msg);
    capture cap;
    capture_init(&cap);
    run_source(&spec, 0, 1, &cap, 0);
    int nulls_c = 0;
    for (int b = 0; b < cap.nbatches; b++) {
        const wr_batch *batch = cap.batches[b];
        for (int r = 0; r < batch->count; r++) {
            cr_assert(wr_vector_is_null(&batch->cols[0], r));
            cr_assert(!wr_vector_is_null(&batch->cols[1], r));
            cr_assert(!wr_vector_is_null(&batch->cols[3], r));
            nulls_c += wr_vector_is_null(&batch->cols[2], r);
        }
    }
    /* 4000 draws at 0.5: far outside these bounds only with negligible probability. */
    cr_assert(nulls_c > 1000 && nulls_c < 3000, "%d nulls", nulls_c);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(datagen, string_length)
{
    wr_type vc10 = wr_type_make(WR_TYPE_VARCHAR, true);
    vc10.length = 10;
    wr_type types[] = {wr_type_make(WR_TYPE_VARCHAR, true), wr_type_make(WR_TYPE_VARCHAR, true),
                       vc10, wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("dflt,seven,short,empty", types);
    const char *kv[] = {"fields.seven.length=7", "fields.empty.length=0", "number-of-rows=1500",
                        "rows-per-second=1000000000000"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 4, &spec, &err), 0, "%s", err.msg);
    capture cap;
    capture_init(&cap);
    run_source(&spec, 0, 1, &cap, 0);
    cr_assert_eq(cap.rows, 1500);
    uint32_t want[] = {100, 7, 10, 0};
    for (int b = 0; b < cap.nbatches; b++) {
        const wr_batch *batch = cap.batches[b];
        for (int r = 0; r < batch->count; r++) {
            for (int c = 0; c < 4; c++) {
                wr_str s = ((wr_str *)batch->cols[c].data)[r];
                cr_assert_eq(s.len, want[c]);
                for (uint32_t i = 0; i < s.len; i++)
                    cr_assert(strchr("0123456789abcdef", s.ptr[i]) && s.ptr[i]);
            }
        }
    }
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(datagen, timestamp_max_past)
{
    wr_type types[] = {wr_type_make(WR_TYPE_TIMESTAMP, true),
                       wr_type_make(WR_TYPE_TIMESTAMP, true)};
    wr_schema *schema = schema_of("now,past", types);
    const char *kv[] = {"fields.past.max-past=1 h", "number-of-rows=2000",
                        "rows-per-second=1000000000000"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("datagen", schema, kv, 3, &spec, &err), 0, "%s", err.msg);
    int64_t before = wr_clock_wall_ms() * 1000;
    capture cap;
    capture_init(&cap);
    run_source(&spec, 0, 1, &cap, 0);
    int64_t after = wr_clock_wall_ms() * 1000;
    for (int b = 0; b < cap.nbatches; b++) {
        const wr_batch *batch = cap.batches[b];
        for (int r = 0; r < batch->count; r++) {
            int64_t now = ((int64_t *)batch->cols[0].data)[r];
            int64_t past = ((int64_t *)batch->cols[1].data)[r];
            cr_assert(now >= before && now <= after);
            cr_assert(past >= before - 3600000000LL && past <= after);
        }
    }
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* ---- datagen: option errors ----------------------------------------------- */

/* Plans with kv and expects a validation error at offset whose message contains needle. */
static void expect_error(const wr_schema *schema, const char *const *kv, int n, int offset,
                         const char *needle)
{
    wr_operator_spec spec;
    wr_error err;
    long live = wr_alloc_live();
    int rc = plan_source("datagen", schema, kv, n, &spec, &err);
    cr_assert_eq(rc, WR_ERR_VALIDATION, "rc %d for '%s'", rc, needle);
    cr_assert_eq(err.code, WR_ERR_VALIDATION);
    cr_assert_eq(err.offset, offset, "offset %d, message: %s", err.offset, err.msg);
    cr_assert(strstr(err.msg, needle), "message: %s", err.msg);
    cr_assert_eq(wr_alloc_live(), live, "leak on error: %s", err.msg);
}

Test(datagen, option_errors)
{
    wr_type types[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_VARCHAR, true),
                       wr_type_make(WR_TYPE_TIMESTAMP, true), wr_type_make(WR_TYPE_INT, false)};
    wr_schema *schema = schema_of("id,s,ts,nn", types);

    const char *unknown[] = {"number-of-rows=5", "rows-per-sec=10"};
    expect_error(schema, unknown, 2, 100,
                 "unsupported option 'rows-per-sec' for connector 'datagen'; supported options: "
                 "connector, rows-per-second");

    const char *no_end[] = {"fields.id.kind=sequence", "fields.id.start=1"};
    expect_error(schema, no_end, 2, 0, "option 'fields.id.end' is required");

    const char *bad_number[] = {"fields.id.kind=sequence", "fields.id.start=1",
                                "fields.id.end=ten"};
    expect_error(schema, bad_number, 3, 250, "invalid value 'ten' for option 'fields.id.end'");

    const char *bad_min[] = {"fields.id.min=x1"};
    expect_error(schema, bad_min, 1, 50, "'fields.id.min'");

    const char *min_gt_max[] = {"fields.id.min=10", "fields.id.max=5"};
    expect_error(schema, min_gt_max, 2, 150, "'fields.id.min' (10) is greater");

    const char *int_overflow[] = {"fields.id.max=3000000000"};
    expect_error(schema, int_overflow, 1, 50, "expected a INT from");

    const char *bad_kind[] = {"fields.id.kind=random", "fields.s.kind=sorted"};
    expect_error(schema, bad_kind, 2, 150, "'fields.s.kind'");

    const char *no_column[] = {"fields.nope.kind=random"};
    expect_error(schema, no_column, 1, 0, "no column 'nope'");

    const char *length_on_int[] = {"fields.id.length=5"};
    expect_error(schema, length_on_int, 1, 0, "'fields.id.length'");

    const char *start_on_random[] = {"fields.id.start=5"};
    expect_error(schema, start_on_random, 1, 0, "'fields.id.start'");

    const char *seq_ts[] = {"fields.ts.kind=sequence", "fields.ts.start=1", "fields.ts.end=2"};
    expect_error(schema, seq_ts, 3, 50, "cannot be a sequence");

    const char *bad_rate[] = {"fields.s.null-rate=1.5"};
    expect_error(schema, bad_rate, 1, 50, "'fields.s.null-rate'");

    const char *null_not_null[] = {"fields.nn.null-rate=0.1"};
    expect_error(schema, null_not_null, 1, 50, "NOT NULL");

    const char *zero_rps[] = {"rows-per-second=0"};
    expect_error(schema, zero_rps, 1, 50, "'rows-per-second'");

    const char *neg_rows[] = {"number-of-rows=-1"};
    expect_error(schema, neg_rows, 1, 50, "'number-of-rows'");

    const char *start_gt_end[] = {"fields.id.kind=sequence", "fields.id.start=5",
                                  "fields.id.end=4"};
    expect_error(schema, start_gt_end, 3, 250, "is less than");

    const char *bad_par[] = {"scan.parallelism=0"};
    expect_error(schema, bad_par, 1, 50, "'scan.parallelism'");

    const char *bad_past[] = {"fields.ts.max-past=soon"};
    expect_error(schema, bad_past, 1, 50, "'fields.ts.max-past'");

    wr_schema_free(schema);
    wr_type vc5 = wr_type_make(WR_TYPE_VARCHAR, true);
    vc5.length = 5;
    schema = schema_of("v", &vc5);
    const char *too_long[] = {"fields.v.length=6"};
    expect_error(schema, too_long, 1, 50, "'fields.v.length'");
    wr_schema_free(schema);
}

/* ---- registry ------------------------------------------------------------- */

Test(registry, find_and_names)
{
    cr_assert_str_eq(wr_connector_names(),
                     "blackhole, datagen, filesystem, jdbc, kafka, nexmark, postgres, print, "
                     "upsert-kafka");
    cr_assert_not_null(wr_connector_find("datagen"));
    cr_assert_not_null(wr_connector_find("print"));
    cr_assert_not_null(wr_connector_find("blackhole"));
    cr_assert_not_null(wr_connector_find("kafka"));
    cr_assert_not_null(wr_connector_find("upsert-kafka"));
    cr_assert_null(wr_connector_find("Print"));
    cr_assert_null(wr_connector_find("datagen")->make_sink);
    cr_assert_null(wr_connector_find("print")->make_source);
}

/* ---- sinks ---------------------------------------------------------------- */

static int plan_sink(const char *name, const char *const *kv, int n, wr_operator_spec *spec,
                     wr_error *err)
{
    wr_type types[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("a,b", types);
    wr_config options, job;
    options_make(&options, kv, n);
    wr_config_init(&job);
    wr_error_init(err);
    memset(spec, 0, sizeof(*spec));
    int rc = wr_connector_find(name)->make_sink(schema, &options, &job, spec, err);
    wr_config_fini(&options);
    wr_config_fini(&job);
    wr_schema_free(schema);
    return rc;
}

/* Two rows, "+I[1, abc]" and "-U[null, ]", plus a filtered-out row between them. */
static wr_batch *sample_batch(void)
{
    wr_type types[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_batch *batch = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    int32_t *a = batch->cols[0].data;
    wr_str *b = batch->cols[1].data;
    a[0] = 1;
    b[0] = wr_batch_str(batch, "abc", 3);
    a[1] = 2;
    b[1] = wr_batch_str(batch, "skip", 4);
    wr_batch_set_null(batch, 0, 2);
    b[2] = wr_batch_str(batch, "", 0);
    wr_batch_kinds(batch)[2] = WR_KIND_UPDATE_BEFORE;
    batch->count = 3;
    uint32_t *sel = wr_batch_sel_buffer(batch);
    sel[0] = 0;
    sel[1] = 2;
    batch->sel = sel;
    batch->nsel = 2;
    return batch;
}

/* Runs a print sink as subtask of parallelism on the sample batch; returns what it wrote to fd. */
static char *print_capture(const char *const *kv, int n, int subtask, int parallelism, int fd)
{
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_sink("print", kv, n, &spec, &err), 0, "%s", err.msg);
    char path[] = "/tmp/weir_print_XXXXXX";
    int tmp = mkstemp(path);
    cr_assert(tmp >= 0);
    unlink(path);
    int saved = dup(fd);
    cr_assert(dup2(tmp, fd) >= 0);

    wr_op_ctx ctx;
    ctx_init(&ctx, subtask, parallelism, NULL);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    wr_batch *batch = sample_batch();
    int rc = spec.ops->process(op, 0, batch, &err);
    if (rc == 0 && spec.ops->end_input) rc = spec.ops->end_input(op, 0, &err);
    spec.ops->destroy(op);

    dup2(saved, fd);
    close(saved);
    cr_assert_eq(rc, 0, "%s", err.msg);
    off_t size = lseek(tmp, 0, SEEK_END);
    char *text = calloc(1, (size_t)size + 1);
    cr_assert_eq(pread(tmp, text, (size_t)size, 0), size);
    close(tmp);
    wr_batch_free(batch);
    wr_operator_spec_fini(&spec);
    return text;
}

Test(print, prefixes)
{
    char *text = print_capture(NULL, 0, 0, 1, STDOUT_FILENO);
    cr_assert_str_eq(text, "+I[1, abc]\n-U[null, ]\n");
    free(text);

    text = print_capture(NULL, 0, 2, 4, STDOUT_FILENO);
    cr_assert_str_eq(text, "3> +I[1, abc]\n3> -U[null, ]\n");
    free(text);

    const char *id[] = {"print-identifier=sink1"};
    text = print_capture(id, 1, 0, 1, STDOUT_FILENO);
    cr_assert_str_eq(text, "sink1> +I[1, abc]\nsink1> -U[null, ]\n");
    free(text);

    text = print_capture(id, 1, 1, 2, STDOUT_FILENO);
    cr_assert_str_eq(text, "sink1:2> +I[1, abc]\nsink1:2> -U[null, ]\n");
    free(text);

    const char *blank[] = {"print-identifier=  "};
    text = print_capture(blank, 1, 0, 1, STDOUT_FILENO);
    cr_assert_str_eq(text, "+I[1, abc]\n-U[null, ]\n");
    free(text);
}

Test(print, standard_error)
{
    const char *kv[] = {"standard-error=true", "sink.parallelism=2"};
    char *text = print_capture(kv, 2, 1, 2, STDERR_FILENO);
    cr_assert_str_eq(text, "2> +I[1, abc]\n2> -U[null, ]\n");
    free(text);
}

Test(print, options)
{
    wr_operator_spec spec;
    wr_error err;
    const char *par[] = {"sink.parallelism=3"};
    cr_assert_eq(plan_sink("print", par, 1, &spec, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.parallelism, 3);
    cr_assert(!spec.bounded);
    wr_operator_spec_fini(&spec);

    const char *unknown[] = {"standard-error=false", "identifier=x"};
    cr_assert_eq(plan_sink("print", unknown, 2, &spec, &err), WR_ERR_VALIDATION);
    cr_assert_eq(err.offset, 100);
    cr_assert(strstr(err.msg, "unsupported option 'identifier' for connector 'print'"), "%s",
              err.msg);

    const char *bad_bool[] = {"standard-error=yes"};
    cr_assert_eq(plan_sink("print", bad_bool, 1, &spec, &err), WR_ERR_VALIDATION);
    cr_assert_eq(err.offset, 50);
}

Test(print, write_error)
{
    signal(SIGPIPE, SIG_IGN);
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_sink("print", NULL, 0, &spec, &err), 0, "%s", err.msg);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    close(fds[0]); /* nobody reads: EPIPE */
    int saved = dup(STDOUT_FILENO);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[1]);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    ctx.name = "out_table";
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    wr_batch *batch = sample_batch();
    int rc = spec.ops->process(op, 0, batch, &err);
    spec.ops->destroy(op);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    cr_assert_eq(rc, WR_ERR_IO);
    cr_assert_eq(err.code, WR_ERR_IO);
    cr_assert(strstr(err.msg, "out_table"), "%s", err.msg);
    cr_assert(strstr(err.msg, strerror(EPIPE)), "%s", err.msg);
    wr_batch_free(batch);
    wr_operator_spec_fini(&spec);
}

Test(blackhole, discards)
{
    wr_operator_spec spec;
    wr_error err;
    const char *par[] = {"connector=blackhole", "sink.parallelism=2"};
    cr_assert_eq(plan_sink("blackhole", par, 2, &spec, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.parallelism, 2);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 2, NULL);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    wr_batch *batch = sample_batch();
    for (int i = 0; i < 3; i++) cr_assert_eq(spec.ops->process(op, 0, batch, &err), 0);
    if (spec.ops->end_input) cr_assert_eq(spec.ops->end_input(op, 0, &err), 0);
    spec.ops->destroy(op);
    wr_batch_free(batch);
    wr_operator_spec_fini(&spec);

    const char *other[] = {"connector=blackhole", "path=/tmp/x"};
    cr_assert_eq(plan_sink("blackhole", other, 2, &spec, &err), WR_ERR_VALIDATION);
    cr_assert_eq(err.offset, 100);
    cr_assert(strstr(err.msg, "unsupported option 'path' for connector 'blackhole'; supported "
                              "options: connector, sink.parallelism"),
              "%s", err.msg);
}
