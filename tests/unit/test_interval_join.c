/*
 * test_interval_join.c — the streaming interval join driven by hand as the
 * runtime would: exact output rows of every join type for rows inside, on
 * and outside both bounds, from either side; NULL padding as the watermark
 * expires rows, the state shrinking with it and the held-back watermark;
 * late rows; processing time on a fake clock; residual conditions; no keys;
 * end of input; bad specs and input; snapshot -> restore (also rescaled),
 * corrupt snapshots; and randomized inputs against a naive nested-loop join.
 */
#include <criterion/criterion.h>

#include "joinrig.h"

#include "../../src/base/alloc.h"
#include "../../src/base/vec.h"
#include "../../src/ops/interval_join.h"
#include "../../src/ops/temporal_join.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Left (k BIGINT, a VARCHAR, t TIMESTAMP(3)), right (k BIGINT, b VARCHAR, t TIMESTAMP(3)). */
static const wr_type LT[] = {{WR_TYPE_BIGINT, true, 0, 0},
                             {WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0},
                             {WR_TYPE_TIMESTAMP, true, 3, 0}};
/* Numeric sides (k BIGINT, v BIGINT, t TIMESTAMP(3)): residual and randomized tests. */
static const wr_type NT[] = {
    {WR_TYPE_BIGINT, true, 0, 0}, {WR_TYPE_BIGINT, true, 0, 0}, {WR_TYPE_TIMESTAMP, true, 3, 0}};
static const int KEY0[] = {0};

/* A spec over sides of types `types` keyed by column 0 (nkeys 0: no keys), times in column 2. */
static wr_operator_spec spec_of(wr_join_type type, const wr_type *types, int nkeys,
                                wr_expr *residual, int64_t lower, int64_t upper, bool proctime)
{
    wr_join_desc d = {.type = type,
                      .left_types = types,
                      .nleft = 3,
                      .right_types = types,
                      .nright = 3,
                      .left_keys = KEY0,
                      .right_keys = KEY0,
                      .nkeys = nkeys,
                      .residual = residual};
    return wr_interval_join_spec(&d, 2, 2, lower, upper, proctime);
}

#define FEED(in, input, ...)                                                                       \
    do {                                                                                           \
        const char *const rows_[] = {__VA_ARGS__};                                                 \
        rig_feed(in, input, LT, 3, rows_, (int)(sizeof(rows_) / sizeof(rows_[0])));                \
    } while (0)
#define FEEDN(in, input, ...)                                                                      \
    do {                                                                                           \
        const char *const rows_[] = {__VA_ARGS__};                                                 \
        rig_feed(in, input, NT, 3, rows_, (int)(sizeof(rows_) / sizeof(rows_[0])));                \
    } while (0)

static int64_t rows_of(const rig_inst *in, int s)
{
    return wr_interval_join_state_rows(in->op, s);
}

static wr_expr *call2(wr_func fn, wr_expr *x, wr_expr *y)
{
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = x;
    args[1] = y;
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_expr_call(fn, args, 2, wr_type_make(WR_TYPE_BOOLEAN, true), 0, &err);
    cr_assert_not_null(e, "%s", err.msg);
    return e;
}

/* left.v < right.w over the numeric sides (left ++ right: k, v, t, k, w, t). */
static wr_expr *v_less_w(void)
{
    return call2(WR_FN_LT, wr_expr_column(1, NT[1], 0), wr_expr_column(4, NT[1], 0));
}

/* ---- bounds, from either side ----------------------------------------------------------- */

Test(interval_join, inner_rows_inside_on_and_outside_the_bounds)
{
    /* l.t BETWEEN r.t - 5 AND r.t + 10 */
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_INNER, LT, 1, NULL, -5, 10, false);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 1, "+I 1 r 100");
    RIG_EXPECT_NONE(&in);
    FEED(&in, 0, "+I 1 a 94", "+I 1 b 95", "+I 1 c 100", "+I 1 d 110", "+I 1 e 111", "+I 2 f 100");
    RIG_EXPECT(&in, "+I[1, b, 95, 1, r, 100]", "+I[1, c, 100, 1, r, 100]",
               "+I[1, d, 110, 1, r, 100]");
    /* The other way round: a right row at t meets left rows in [t - 10, t + 5]. */
    FEED(&in, 0, "+I 3 x 200");
    FEED(&in, 1, "+I 3 p 189", "+I 3 q 190", "+I 3 s 205", "+I 3 u 206", "+I 4 v 200");
    RIG_EXPECT(&in, "+I[3, x, 200, 3, q, 190]", "+I[3, x, 200, 3, s, 205]");
    /* Every stored row keeps meeting new rows of the other side. */
    FEED(&in, 1, "+I 1 r2 105");
    RIG_EXPECT_SORTED(&in, "+I[1, c, 100, 1, r2, 105]", "+I[1, d, 110, 1, r2, 105]",
                      "+I[1, e, 111, 1, r2, 105]");
    cr_assert_eq(rows_of(&in, 0), 7);
    cr_assert_eq(rows_of(&in, 1), 7);
    /* INNER holds the watermark back by the interval's reach, max(5, 10). */
    rig_watermark(&in, 100);
    cr_assert_eq(in.ctx.out_watermark, 90);
    RIG_EXPECT_NONE(&in);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

Test(interval_join, left_outer_pads_rows_the_watermark_expires)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, 1, NULL, -5, 10, false);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 0, "+I 1 a 94", "+I 1 b 100", "+I 2 c 100");
    FEED(&in, 1, "+I 1 r 100");
    RIG_EXPECT(&in, "+I[1, b, 100, 1, r, 100]");
    /* A left row at t can meet right rows up to t + 5: it goes when t < watermark - 5. */
    rig_watermark(&in, 99);
    RIG_EXPECT_NONE(&in);
    cr_assert_eq(rows_of(&in, 0), 3);
    rig_watermark(&in, 100);
    RIG_EXPECT(&in, "+I[1, a, 94, null, null, null]");
    cr_assert_eq(rows_of(&in, 0), 2);
    /* Outer joins hold back one millisecond more than the reach. */
    cr_assert_eq(in.ctx.out_watermark, 89);
    rig_watermark(&in, 105);
    RIG_EXPECT_NONE(&in);
    rig_watermark(&in, 106);
    RIG_EXPECT(&in, "+I[2, c, 100, null, null, null]"); /* b had a partner */
    cr_assert_eq(rows_of(&in, 0), 0);
    /* A right row at t can meet left rows up to t + 10. */
    cr_assert_eq(rows_of(&in, 1), 1);
    rig_watermark(&in, 110);
    cr_assert_eq(rows_of(&in, 1), 1);
    rig_watermark(&in, 111);
    cr_assert_eq(rows_of(&in, 1), 0);
    RIG_EXPECT_NONE(&in);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

Test(interval_join, right_and_full_outer)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_RIGHT, LT, 1, NULL, -5, 10, false);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 1, "+I 1 r 100", "+I 1 s 50");
    FEED(&in, 0, "+I 1 a 100", "+I 1 z 30");
    RIG_EXPECT(&in, "+I[1, a, 100, 1, r, 100]");
    rig_watermark(&in, 60);
    RIG_EXPECT_NONE(&in);
    rig_watermark(&in, 61);
    RIG_EXPECT(&in, "+I[null, null, null, 1, s, 50]");
    rig_watermark(&in, 200);
    RIG_EXPECT_NONE(&in); /* r had a partner; left rows are not shown alone */
    cr_assert_eq(rows_of(&in, 0) + rows_of(&in, 1), 0);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);

    spec = spec_of(WR_JOIN_TYPE_FULL, LT, 1, NULL, -5, 10, false);
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 0, "+I 1 a 100", "+I 2 b 100");
    FEED(&in, 1, "+I 1 r 96", "+I 3 s 100", "+I 1 q 89");
    RIG_EXPECT(&in, "+I[1, a, 100, 1, r, 96]");
    rig_watermark(&in, 500);
    RIG_EXPECT_SORTED(&in, "+I[2, b, 100, null, null, null]", "+I[null, null, null, 3, s, 100]",
                      "+I[null, null, null, 1, q, 89]");
    cr_assert_eq(in.ctx.out_watermark, 489);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

/* ---- late rows, processing time, residual, no keys, end of input ------------------------ */

Test(interval_join, late_rows_meet_what_the_state_holds)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, 1, NULL, -5, 10, false);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    rig_watermark(&in, 1000);
    FEED(&in, 1, "+I 1 r 995"); /* late, but left rows up to 1005 may still come */
    cr_assert_eq(rows_of(&in, 1), 1);
    /* Late left rows: 992 can no longer meet new right rows (> 1000) but meets r; 900 meets
     * nothing and is padded at once; 997 may still meet right rows up to 1002: stored. */
    FEED(&in, 0, "+I 1 a 992", "+I 1 b 900", "+I 1 c 997");
    RIG_EXPECT_SORTED(&in, "+I[1, a, 992, 1, r, 995]", "+I[1, b, 900, null, null, null]",
                      "+I[1, c, 997, 1, r, 995]");
    cr_assert_eq(rows_of(&in, 0), 1);
    /* A right row too late for any left row to come, with no stored partner: dropped. */
    FEED(&in, 1, "+I 1 q 980");
    RIG_EXPECT_NONE(&in);
    cr_assert_eq(rows_of(&in, 1), 1);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

static int64_t fake_now;
static int64_t fake_clock(void *arg)
{
    (void)arg;
    return fake_now;
}

Test(interval_join, processing_time_on_a_fake_clock)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, 1, NULL, -5, 10, true);
    wr_interval_join_spec_clock(&spec, fake_clock, NULL);
    rig_inst in;
    wr_error err;
    wr_error_init(&err);
    fake_now = 1000;
    rig_start(&in, &spec, 0, 1, NULL);
    cr_assert_eq(in.ctx.timer_at_ms, INT64_MAX);
    FEED(&in, 0, "+I 1 a 0"); /* arrives at 1000; the time column is not read */
    RIG_EXPECT_NONE(&in);
    /* It can meet right rows arriving up to 1005: it goes once the clock passes that. */
    cr_assert_eq(in.ctx.timer_at_ms, 1006);
    fake_now = 1003;
    FEED(&in, 1, "+I 1 r 0");
    RIG_EXPECT(&in, "+I[1, a, 0, 1, r, 0]");
    cr_assert_eq(in.ctx.timer_at_ms, 1006);
    fake_now = 1010; /* a is gone (it had a partner); b meets r, which stays until 1013 */
    FEED(&in, 0, "+I 1 b 0");
    RIG_EXPECT(&in, "+I[1, b, 0, 1, r, 0]");
    cr_assert_eq(rows_of(&in, 0), 1);
    cr_assert_eq(in.ctx.timer_at_ms, 1014);
    fake_now = 1020;
    cr_assert_eq(in.op->ops->on_time(in.op, fake_now, &err), 0, "%s", err.msg);
    cr_assert_eq(rows_of(&in, 0) + rows_of(&in, 1), 0);
    cr_assert_eq(in.ctx.timer_at_ms, INT64_MAX);
    fake_now = 1030;
    FEED(&in, 0, "+I 1 c 7");
    cr_assert_eq(in.ctx.timer_at_ms, 1036);
    fake_now = 1035;
    cr_assert_eq(in.op->ops->on_time(in.op, fake_now, &err), 0, "%s", err.msg);
    RIG_EXPECT_NONE(&in);
    fake_now = 1036;
    cr_assert_eq(in.op->ops->on_time(in.op, fake_now, &err), 0, "%s", err.msg);
    RIG_EXPECT(&in, "+I[1, c, 7, null, null, null]");
    /* Watermarks pass unchanged: no output row carries event time from this join. */
    rig_watermark(&in, 500);
    cr_assert_eq(in.ctx.out_watermark, 500);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

Test(interval_join, residual_condition)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_FULL, NT, 1, v_less_w(), -100, 100, false);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    FEEDN(&in, 0, "+I 1 5 100", "+I 1 1 100", "+I 1 null 100");
    FEEDN(&in, 1, "+I 1 3 100", "+I 1 9 100");
    RIG_EXPECT_SORTED(&in, "+I[1, 1, 100, 1, 3, 100]", "+I[1, 1, 100, 1, 9, 100]",
                      "+I[1, 5, 100, 1, 9, 100]");
    FEEDN(&in, 1, "+I 1 0 100");
    RIG_EXPECT_NONE(&in);
    rig_watermark(&in, 1000);
    RIG_EXPECT_SORTED(&in, "+I[1, null, 100, null, null, null]", "+I[null, null, null, 1, 0, 100]");
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

Test(interval_join, no_keys_and_null_keys)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, 0, NULL, 0, 0, false);
    cr_assert_eq(spec.parallelism, 1);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 0, "+I 1 a 100", "+I 2 b 101", "+I null c 100");
    FEED(&in, 1, "+I 7 r 100");
    RIG_EXPECT_SORTED(&in, "+I[1, a, 100, 7, r, 100]", "+I[null, c, 100, 7, r, 100]");
    rig_watermark(&in, 102);
    RIG_EXPECT(&in, "+I[2, b, 101, null, null, null]");
    cr_assert_eq(in.ctx.out_watermark, 101);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);

    /* With a key, NULL matches nothing: padded at once, never stored. A NULL time too. */
    spec = spec_of(WR_JOIN_TYPE_LEFT, LT, 1, NULL, 0, 0, false);
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 1, "+I null r 100", "+I 1 s null");
    FEED(&in, 0, "+I null a 100", "+I 1 b null");
    RIG_EXPECT(&in, "+I[null, a, 100, null, null, null]", "+I[1, b, null, null, null, null]");
    cr_assert_eq(rows_of(&in, 0) + rows_of(&in, 1), 0);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

Test(interval_join, end_of_one_input_expires_the_other_side)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_FULL, LT, 1, NULL, -5, 10, false);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 0, "+I 1 a 100");
    FEED(&in, 1, "+I 1 r 100", "+I 2 s 100");
    RIG_EXPECT(&in, "+I[1, a, 100, 1, r, 100]");
    rig_end_input(&in, 0);
    /* No left row comes any more: the right rows are final now. */
    RIG_EXPECT(&in, "+I[null, null, null, 2, s, 100]");
    cr_assert_eq(rows_of(&in, 1), 0);
    cr_assert_eq(rows_of(&in, 0), 1);
    FEED(&in, 1, "+I 1 q 95", "+I 3 u 100");
    RIG_EXPECT(&in, "+I[1, a, 100, 1, q, 95]", "+I[null, null, null, 3, u, 100]");
    cr_assert_eq(rows_of(&in, 1), 0);
    rig_end_input(&in, 1);
    RIG_EXPECT_NONE(&in); /* a had partners */
    cr_assert_eq(rows_of(&in, 0), 0);
    rig_watermark(&in, WR_WATERMARK_MAX);
    cr_assert_eq(in.ctx.out_watermark, WR_WATERMARK_MAX);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

/* ---- bad specs and input ------------------------------------------------------------------ */

static void create_fails(wr_operator_spec spec, const char *want)
{
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert_eq(err.code, WR_ERR_ARGUMENT);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    wr_operator_spec_fini(&spec);
}

Test(interval_join, bad_specs_and_input)
{
    create_fails(spec_of(WR_JOIN_TYPE_INNER, LT, 1, NULL, 10, 5, false),
                 "lower bound 10 ms is above the upper bound 5 ms");
    create_fails(spec_of(WR_JOIN_TYPE_SEMI, LT, 1, NULL, 0, 5, false), "is not supported");
    wr_join_desc d = {.type = WR_JOIN_TYPE_INNER,
                      .left_types = LT,
                      .nleft = 3,
                      .right_types = LT,
                      .nright = 3,
                      .left_keys = KEY0,
                      .right_keys = KEY0,
                      .nkeys = 1};
    create_fails(wr_interval_join_spec(&d, 1, 2, 0, 5, false),
                 "the left time column 1 has type STRING, not TIMESTAMP");
    create_fails(wr_interval_join_spec(&d, 2, 3, 0, 5, false), "time column 3 of 3 on the right");
    /* Processing time reads no time column. */
    wr_operator_spec spec = wr_interval_join_spec(&d, -1, -1, 0, 5, true);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);

    spec = spec_of(WR_JOIN_TYPE_INNER, LT, 1, NULL, 0, 5, false);
    rig_start(&in, &spec, 0, 2, NULL);
    wr_error err;
    wr_error_init(&err);
    const char *const upd[] = {"-U 1 a 5"};
    cr_assert_eq(rig_feed_rc(&in, 1, LT, 3, upd, 1, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "interval join takes insert-only input, got a -U row"), "%s",
              err.msg);
    const char *const num[] = {"+I 1 5 5"};
    cr_assert_eq(rig_feed_rc(&in, 0, NT, 3, num, 1, &err), WR_ERR_ARGUMENT);
    cr_assert(strstr(err.msg, "column 1 of a batch on the left input has type BIGINT"), "%s",
              err.msg);
    cr_assert_eq(in.op->ops->process(in.op, 2, NULL, &err), WR_ERR_ARGUMENT);
    /* A key of a group this subtask does not own: the inputs were not partitioned by it. */
    int64_t foreign = 0;
    while (rig_owner(foreign, 2) == 0) foreign++;
    char row[32];
    snprintf(row, sizeof(row), "+I %lld a 5", (long long)foreign);
    const char *const rows[] = {row};
    cr_assert_eq(rig_feed_rc(&in, 0, LT, 3, rows, 1, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "partitioned by the join keys"), "%s", err.msg);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

/* ---- snapshots ------------------------------------------------------------------------------ */

/* Feeds one row to the instance of p that owns its key (column 0). */
static void feed_routed(rig_inst *ins, int p, int input, const char *row)
{
    int64_t key = strtoll(row + 3, NULL, 10);
    const char *const rows[] = {row};
    rig_feed(&ins[rig_owner(key, p)], input, LT, 3, rows, 1);
}

static void watermark_all(rig_inst *ins, int p, int64_t wm)
{
    for (int i = 0; i < p; i++) rig_watermark(&ins[i], wm);
}

/*
 * A FULL join over keys 0..19 at parallelism p1: left rows for every key, right rows for the
 * even ones; snapshot; restore at p2; then right rows for every key, more left rows and a
 * watermark that expires everything. The output after the restore must be what one
 * uninterrupted instance gives.
 */
static void check_restore(int p1, int p2)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_FULL, LT, 1, NULL, -5, 10, false);
    rig_inst ref, a[4], b[4];
    rig_start(&ref, &spec, 0, 1, NULL);
    for (int i = 0; i < p1; i++) rig_start(&a[i], &spec, i, p1, NULL);
    char row[64];
    for (int k = 0; k < 20; k++) {
        snprintf(row, sizeof(row), "+I %d l%d %d", k, k, 100 + k);
        feed_routed(&ref, 1, 0, row);
        feed_routed(a, p1, 0, row);
        if (k % 2 == 0) {
            snprintf(row, sizeof(row), "+I %d r%d %d", k, k, 90 + k);
            feed_routed(&ref, 1, 1, row);
            feed_routed(a, p1, 1, row);
        }
    }
    /* Right rows at 90 + k expire at 101 + k: those of keys 0..8 go, unmatched ones padded. */
    watermark_all(&ref, 1, 110);
    watermark_all(a, p1, 110);
    char *want = rig_all_output(&ref, 1), *got = rig_all_output(a, p1);
    cr_assert_str_eq(got, want);
    cr_assert(strstr(want, "+I[2, l2, 102, 2, r2, 92]"), "%s", want);
    wr_free(want);
    wr_free(got);

    rig_saved sv;
    rig_snapshot_all(a, p1, &sv);
    for (int i = 0; i < p1; i++) rig_stop(&a[i]);
    for (int i = 0; i < p2; i++) {
        wr_restore r;
        const wr_snapshot_part *parts[128];
        rig_restore_for(&sv, i, p2, &r, parts, 128);
        rig_start(&b[i], &spec, i, p2, &r);
    }
    rig_saved_fini(&sv);
    /* Right rows meet the left rows still stored; late left rows (95 < 110 - 5) meet what
     * is stored and, without a partner, are padded at once: the restored watermark says so. */
    for (int k = 0; k < 20; k++) {
        snprintf(row, sizeof(row), "+I %d s%d %d", k, k, 103 + k);
        feed_routed(&ref, 1, 1, row);
        feed_routed(b, p2, 1, row);
        if (k % 3 == 0) {
            snprintf(row, sizeof(row), "+I %d m%d 95", k, k);
            feed_routed(&ref, 1, 0, row);
            feed_routed(b, p2, 0, row);
        }
    }
    want = rig_all_output(&ref, 1);
    got = rig_all_output(b, p2);
    cr_assert_str_eq(got, want);
    cr_assert(strstr(want, "+I[19, l19, 119, 19, s19, 122]"), "%s", want);
    cr_assert(strstr(want, "+I[0, m0, 95, null, null, null]"), "%s", want);
    wr_free(want);
    wr_free(got);
    cr_assert_eq(ref.ctx.out_watermark, 99);
    for (int i = 0; i < p2; i++) cr_assert_eq(b[i].ctx.out_watermark, WR_WATERMARK_MIN);
    watermark_all(&ref, 1, 400);
    watermark_all(b, p2, 400);
    want = rig_all_output(&ref, 1);
    got = rig_all_output(b, p2);
    cr_assert_str_eq(got, want);
    cr_assert(strstr(want, "+I[null, null, null, 1, s1, 104]"), "%s", want);
    for (int i = 0; i < p2; i++) {
        cr_assert_eq(b[i].ctx.out_watermark, 389);
        cr_assert_eq(rows_of(&b[i], 0) + rows_of(&b[i], 1), 0);
    }
    wr_free(want);
    wr_free(got);
    rig_stop(&ref);
    for (int i = 0; i < p2; i++) rig_stop(&b[i]);
    wr_operator_spec_fini(&spec);
}

Test(interval_join, snapshot_restore_same_parallelism)
{
    check_restore(1, 1);
    check_restore(2, 2);
}

Test(interval_join, snapshot_restore_rescaled)
{
    check_restore(1, 2);
    check_restore(2, 1);
    check_restore(3, 4);
}

/* Creating an instance from sv fails with WR_ERR_IO and a message containing want. */
static void restore_fails(const wr_operator_spec *spec, const rig_saved *sv, const char *want)
{
    wr_restore r;
    const wr_snapshot_part *parts[128];
    rig_restore_for(sv, 0, 1, &r, parts, 128);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    ctx.restore = &r;
    wr_error err;
    wr_error_init(&err);
    cr_assert_null(spec->ops->create(spec->spec, &ctx, &err));
    cr_assert_eq(err.code, WR_ERR_IO, "%s", err.msg);
    cr_assert(strstr(err.msg, "restoring key group"), "%s", err.msg);
    cr_assert(strstr(err.msg, want), "want '%s' in: %s", want, err.msg);
}

Test(interval_join, corrupt_snapshot_is_an_error)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, 1, NULL, -5, 10, false);
    rig_inst a;
    rig_start(&a, &spec, 0, 1, NULL);
    FEED(&a, 0, "+I 1 a 100", "+I 2 b 100");
    FEED(&a, 1, "+I 1 r 100");
    rig_saved sv;
    rig_snapshot_all(&a, 1, &sv);
    rig_stop(&a);
    cr_assert_geq(sv.snaps[0].nparts, 1);

    wr_buf *data = &sv.snaps[0].parts[0].data;
    wr_buf keep;
    wr_buf_init(&keep);
    wr_buf_append(&keep, data->data, data->len);
    data->data[data->len / 2] ^= 0x5a;
    restore_fails(&spec, &sv, "checksum mismatch");
    memcpy(data->data, keep.data, keep.len);
    data->len -= 9;
    restore_fails(&spec, &sv, "checksum mismatch");
    data->len = 3;
    restore_fails(&spec, &sv, "truncated part");
    data->len = 0;
    wr_buf_append(data, keep.data, keep.len);
    wr_buf_fini(&keep);

    /* Intact bytes of another interval join, or of another operator, are refused too. */
    wr_operator_spec other = spec_of(WR_JOIN_TYPE_LEFT, LT, 1, NULL, -5, 11, false);
    restore_fails(&other, &sv, "the state of another interval join");
    wr_operator_spec_fini(&other);
    wr_join_desc d = {.type = WR_JOIN_TYPE_LEFT,
                      .left_types = LT,
                      .nleft = 3,
                      .right_types = LT,
                      .nright = 3,
                      .left_keys = KEY0,
                      .right_keys = KEY0,
                      .nkeys = 1};
    other = wr_temporal_join_spec(&d, 2, 2);
    restore_fails(&other, &sv, "not a temporal join's state");
    wr_operator_spec_fini(&other);

    /* An intact part restored as another key group's: its keys do not belong there. */
    int kg = sv.snaps[0].parts[0].keygroup;
    sv.snaps[0].parts[0].keygroup = kg == 0 ? 1 : 0;
    restore_fails(&spec, &sv, "does not belong to key group");
    sv.snaps[0].parts[0].keygroup = kg;

    /* And the intact snapshot restores. */
    wr_restore r;
    const wr_snapshot_part *parts[128];
    rig_restore_for(&sv, 0, 1, &r, parts, 128);
    rig_start(&a, &spec, 0, 1, &r);
    cr_assert_eq(rows_of(&a, 0), 2);
    rig_watermark(&a, 200);
    RIG_EXPECT(&a, "+I[2, b, 100, null, null, null]");
    rig_stop(&a);
    rig_saved_fini(&sv);
    wr_operator_spec_fini(&spec);
}

/* ---- randomized inputs against a naive join --------------------------------------------- */

typedef struct nrow {
    int64_t k, v, t;
    bool knull, vnull, tnull;
} nrow;

/* A row's cells separated by sep ("1, 5, 100" or "1 5 100"). */
static void put_num(char *buf, size_t size, const nrow *r, const char *sep)
{
    char k[24], v[24], t[24];
    snprintf(k, sizeof(k), "%lld", (long long)r->k);
    snprintf(v, sizeof(v), "%lld", (long long)r->v);
    snprintf(t, sizeof(t), "%lld", (long long)r->t);
    snprintf(buf, size, "%s%s%s%s%s", r->knull ? "null" : k, sep, r->vnull ? "null" : v, sep,
             r->tnull ? "null" : t);
}

/* The naive join of the final inputs: every pair checked, outer rows padded. */
static char *naive(const nrow *l, int nl, const nrow *r, int nr, wr_join_type type, int64_t lower,
                   int64_t upper, bool residual)
{
    WR_VEC(char *) rows = {0};
    bool *rhit = wr_calloc((size_t)nr + 1, 1);
    char a[96], b[96], line[256];
    for (int i = 0; i < nl; i++) {
        bool hit = false;
        put_num(a, sizeof(a), &l[i], ", ");
        for (int j = 0; j < nr; j++) {
            const nrow *x = &l[i], *y = &r[j];
            if (x->knull || y->knull || x->k != y->k || x->tnull || y->tnull) continue;
            if (x->t < y->t + lower || x->t > y->t + upper) continue;
            if (residual && (x->vnull || y->vnull || !(x->v < y->v))) continue;
            hit = rhit[j] = true;
            put_num(b, sizeof(b), y, ", ");
            snprintf(line, sizeof(line), "+I[%s, %s]", a, b);
            WR_VEC_PUSH(&rows, wr_strdup(line));
        }
        if (!hit && (type == WR_JOIN_TYPE_LEFT || type == WR_JOIN_TYPE_FULL)) {
            snprintf(line, sizeof(line), "+I[%s, null, null, null]", a);
            WR_VEC_PUSH(&rows, wr_strdup(line));
        }
    }
    for (int j = 0; j < nr; j++)
        if (!rhit[j] && (type == WR_JOIN_TYPE_RIGHT || type == WR_JOIN_TYPE_FULL)) {
            put_num(b, sizeof(b), &r[j], ", ");
            snprintf(line, sizeof(line), "+I[null, null, null, %s]", b);
            WR_VEC_PUSH(&rows, wr_strdup(line));
        }
    wr_free(rhit);
    qsort(rows.v, (size_t)rows.n, sizeof(char *), rig_cmp_str);
    wr_buf out;
    wr_buf_init(&out);
    wr_buf_puts(&out, "");
    for (int i = 0; i < rows.n; i++) {
        wr_buf_printf(&out, "%s%s", i ? " " : "", rows.v[i]);
        wr_free(rows.v[i]);
    }
    WR_VEC_FREE(&rows);
    return wr_buf_detach(&out);
}

/*
 * Checks that the rows emitted since the last check are not late against out_wm (the
 * watermark forwarded before the call that emitted them) by either time, and keeps them.
 */
static void drain(rig_inst *in, int64_t out_wm, rig_inst *keep)
{
    for (int b = 0; b < in->cap.nbatches; b++) {
        const wr_batch *batch = in->cap.batches[b];
        for (int r = 0; r < batch->count; r++)
            for (int c = 2; c < 6; c += 3) {
                const wr_vector *v = &batch->cols[c];
                if (wr_vector_is_null(v, r)) continue;
                int64_t t = ((const int64_t *)v->data)[r] / 1000;
                cr_assert_gt(t, out_wm, "an output row at %lld trails the watermark %lld",
                             (long long)t, (long long)out_wm);
            }
        keep->cap.base.push(&keep->cap.base, in->cap.batches[b], NULL);
    }
    capture_fini(&in->cap);
    capture_init(&in->cap);
}

static void random_run(unsigned seed, wr_join_type type)
{
    srand(seed);
    int64_t lower = rand() % 70 - 50, upper = lower + rand() % 60;
    bool residual = rand() % 2;
    int n[2] = {100 + rand() % 200, 100 + rand() % 200};
    nrow *rows[2];
    for (int s = 0; s < 2; s++) {
        rows[s] = wr_calloc((size_t)n[s], sizeof(nrow));
        int64_t t = 0;
        for (int i = 0; i < n[s]; i++) {
            nrow *r = &rows[s][i];
            t += rand() % 6;
            r->k = rand() % 5;
            r->knull = rand() % 40 == 0;
            r->v = rand() % 10;
            r->vnull = rand() % 15 == 0;
            r->t = t + rand() % 30; /* out of order within 30 ms */
            r->tnull = rand() % 50 == 0;
        }
    }
    wr_operator_spec spec = spec_of(type, NT, 1, residual ? v_less_w() : NULL, lower, upper, false);
    rig_inst in, all;
    rig_start(&in, &spec, 0, 1, NULL);
    capture_init(&all.cap);
    int next[2] = {0, 0};
    char line[128], cells[96];
    while (next[0] < n[0] || next[1] < n[1]) {
        int s = next[0] == n[0] ? 1 : next[1] == n[1] ? 0 : rand() % 2;
        int m = 1 + rand() % 8;
        const char *batch[8];
        char *own[8];
        int k = 0;
        for (; k < m && next[s] < n[s]; k++) {
            put_num(cells, sizeof(cells), &rows[s][next[s]++], " ");
            snprintf(line, sizeof(line), "+I %s", cells);
            own[k] = wr_strdup(line);
            batch[k] = own[k];
        }
        int64_t before = in.ctx.out_watermark;
        rig_feed(&in, s, NT, 3, batch, k);
        drain(&in, before, &all);
        for (int i = 0; i < k; i++) wr_free(own[i]);
        if (rand() % 4 == 0) {
            /* The highest watermark that leaves every row to come on time. */
            int64_t wm = INT64_MAX;
            for (int side = 0; side < 2; side++)
                for (int i = next[side]; i < n[side]; i++)
                    if (!rows[side][i].tnull && rows[side][i].t - 1 < wm) wm = rows[side][i].t - 1;
            if (wm != INT64_MAX) {
                before = in.ctx.out_watermark;
                rig_watermark(&in, wm);
                drain(&in, before, &all);
            }
        }
    }
    int first = rand() % 2;
    int64_t before = in.ctx.out_watermark;
    rig_end_input(&in, first);
    rig_end_input(&in, 1 - first);
    rig_watermark(&in, WR_WATERMARK_MAX);
    drain(&in, before, &all);
    cr_assert_eq(rows_of(&in, 0) + rows_of(&in, 1), 0);
    char *got = rig_all_output(&all, 1);
    char *want = naive(rows[0], n[0], rows[1], n[1], type, lower, upper, residual);
    cr_assert_str_eq(got, want, "seed %u, type %d, [%lld, %lld], residual %d", seed, (int)type,
                     (long long)lower, (long long)upper, residual);
    wr_free(got);
    wr_free(want);
    capture_fini(&all.cap);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
    wr_free(rows[0]);
    wr_free(rows[1]);
}

Test(interval_join, randomized_against_a_nested_loop_join)
{
    static const wr_join_type types[] = {WR_JOIN_TYPE_INNER, WR_JOIN_TYPE_LEFT, WR_JOIN_TYPE_RIGHT,
                                         WR_JOIN_TYPE_FULL};
    for (unsigned seed = 1; seed <= 12; seed++)
        for (int t = 0; t < 4; t++) random_run(seed * 7919 + (unsigned)t, types[t]);
}

/* ---- many rows: the state stays bounded and compacts ---------------------------------------- */

Test(interval_join, many_rows_with_keys_coming_and_going)
{
    enum { N = 30000, STEP = 100 };
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, 1, NULL, 0, 0, false);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    WR_VEC(char *) want = {0};
    char **rows = wr_malloc(STEP * sizeof(char *));
    char line[96];
    int64_t most = 0, pairs = 0, padded = 0;
    for (int at = 0; at < N; at += STEP) {
        for (int s = 0; s < 2; s++) {
            int m = 0;
            for (int i = at; i < at + STEP; i++) {
                if (s == 1 && i % 7 == 0) continue;
                snprintf(line, sizeof(line), "+I %d %c%d %d", i / 10, s ? 'r' : 'l', i, i);
                rows[m++] = wr_strdup(line);
            }
            rig_feed(&in, s, LT, 3, (const char *const *)rows, m);
            for (int i = 0; i < m; i++) wr_free(rows[i]);
        }
        rig_watermark(&in, at + STEP - 1);
        int64_t held = rows_of(&in, 0) + rows_of(&in, 1);
        if (held > most) most = held;
        int n;
        char **got = rig_taken(&in, &n);
        for (int i = 0; i < n; i++) {
            if (strstr(got[i], "null"))
                padded++;
            else
                pairs++;
            WR_VEC_PUSH(&want, got[i]);
        }
        wr_free(got);
    }
    rig_end_input(&in, 0);
    rig_end_input(&in, 1);
    cr_assert_eq(rows_of(&in, 0) + rows_of(&in, 1), 0);
    int n;
    char **got = rig_taken(&in, &n);
    for (int i = 0; i < n; i++) {
        padded++;
        WR_VEC_PUSH(&want, got[i]);
    }
    wr_free(got);
    /* Rows live for about one step: memory follows that, not the N rows that went through. */
    cr_assert_leq(most, 3 * STEP);
    cr_assert_eq(pairs, N - (N + 6) / 7);
    cr_assert_eq(padded, (N + 6) / 7);
    /* Every row is the one its index says, strings included (compactions moved them). */
    qsort(want.v, (size_t)want.n, sizeof(char *), rig_cmp_str);
    for (int i = 0; i < N; i++) {
        if (i % 7 == 0)
            snprintf(line, sizeof(line), "+I[%d, l%d, %d, null, null, null]", i / 10, i, i);
        else
            snprintf(line, sizeof(line), "+I[%d, l%d, %d, %d, r%d, %d]", i / 10, i, i, i / 10, i,
                     i);
        char *key = line;
        cr_assert_not_null(bsearch(&key, want.v, (size_t)want.n, sizeof(char *), rig_cmp_str),
                           "missing %s", line);
    }
    for (int i = 0; i < want.n; i++) wr_free(want.v[i]);
    WR_VEC_FREE(&want);
    wr_free(rows);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}
