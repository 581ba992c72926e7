/*
 * test_temporal_join.c — the event-time temporal join driven by hand as the
 * runtime would: probe rows released by the watermark and joined with the
 * version valid at their time, versions that change, arrive out of order,
 * replace each other or end in a delete, out-of-order and late probe rows,
 * LEFT padding, the residual, NULLs, version cleanup, end of input, bad specs
 * and input, snapshot -> restore (also rescaled), corrupt snapshots, and
 * randomized inputs against a naive lookup over the final inputs.
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

/* Probe (k BIGINT, a VARCHAR, t TIMESTAMP(3)); versions (k BIGINT, b VARCHAR, t TIMESTAMP(3)). */
static const wr_type LT[] = {{WR_TYPE_BIGINT, true, 0, 0},
                             {WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0},
                             {WR_TYPE_TIMESTAMP, true, 3, 0}};
/* Numeric sides (k BIGINT, v BIGINT, t TIMESTAMP(3)). */
static const wr_type NT[] = {
    {WR_TYPE_BIGINT, true, 0, 0}, {WR_TYPE_BIGINT, true, 0, 0}, {WR_TYPE_TIMESTAMP, true, 3, 0}};
static const int KEY0[] = {0};

static wr_join_desc desc_of(wr_join_type type, const wr_type *types, wr_expr *residual)
{
    wr_join_desc d = {.type = type,
                      .left_types = types,
                      .nleft = 3,
                      .right_types = types,
                      .nright = 3,
                      .left_keys = KEY0,
                      .right_keys = KEY0,
                      .nkeys = 1,
                      .residual = residual};
    return d;
}

static wr_operator_spec spec_of(wr_join_type type, const wr_type *types, wr_expr *residual)
{
    wr_join_desc d = desc_of(type, types, residual);
    return wr_temporal_join_spec(&d, 2, 2);
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
    return wr_temporal_join_state_rows(in->op, s);
}

/* ---- versions over time -------------------------------------------------------------------- */

Test(temporal_join, versions_change_over_time)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, NULL);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 1, "+I 1 v1 10", "-U 1 v1 10", "+U 1 v2 20", "+I 2 w1 5");
    FEED(&in, 0, "+I 1 a 5", "+I 1 b 10", "+I 1 c 15", "+I 1 d 20", "+I 1 e 25", "+I 3 f 7");
    RIG_EXPECT_NONE(&in); /* probe rows wait for the watermark */
    cr_assert_eq(rows_of(&in, 0), 6);
    cr_assert_eq(rows_of(&in, 1), 3); /* -U is not a version */
    rig_watermark(&in, 12);
    RIG_EXPECT(&in, "+I[1, a, 5, null, null, null]", "+I[1, b, 10, 1, v1, 10]",
               "+I[3, f, 7, null, null, null]");
    cr_assert_eq(in.ctx.out_watermark, 12); /* forwarded as it is, after the rows */
    rig_watermark(&in, 30);
    RIG_EXPECT(&in, "+I[1, c, 15, 1, v1, 10]", "+I[1, d, 20, 1, v2, 20]",
               "+I[1, e, 25, 1, v2, 20]");
    cr_assert_eq(in.ctx.out_watermark, 30);
    /* v1 is older than v2, the newest version at or before 30: no probe row to come needs it. */
    cr_assert_eq(rows_of(&in, 0), 0);
    cr_assert_eq(rows_of(&in, 1), 2);
    FEED(&in, 0, "+I 1 g 40", "+I 2 h 40");
    rig_watermark(&in, 40);
    RIG_EXPECT(&in, "+I[1, g, 40, 1, v2, 20]", "+I[2, h, 40, 2, w1, 5]");
    rig_stop(&in);
    wr_operator_spec_fini(&spec);

    /* INNER drops what LEFT pads. */
    spec = spec_of(WR_JOIN_TYPE_INNER, LT, NULL);
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 1, "+I 1 v1 10", "+U 1 v2 20");
    FEED(&in, 0, "+I 1 a 5", "+I 1 b 10", "+I 3 f 7", "+I 1 d 20");
    rig_watermark(&in, 30);
    RIG_EXPECT(&in, "+I[1, b, 10, 1, v1, 10]", "+I[1, d, 20, 1, v2, 20]");
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

Test(temporal_join, out_of_order_rows_and_versions)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, NULL);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    /* Versions out of order are placed by time; one with an existing time replaces it. */
    FEED(&in, 1, "+I 1 v20 20", "+I 1 v10 10", "+I 1 v30 30", "+U 1 x10 10");
    /* Probe rows are released in arrival order, not by time. */
    FEED(&in, 0, "+I 1 a 25", "+I 1 b 15", "+I 1 c 5", "+I 1 d 35", "+I 1 e 10");
    rig_watermark(&in, 40);
    RIG_EXPECT(&in, "+I[1, a, 25, 1, v20, 20]", "+I[1, b, 15, 1, x10, 10]",
               "+I[1, c, 5, null, null, null]", "+I[1, d, 35, 1, v30, 30]",
               "+I[1, e, 10, 1, x10, 10]");
    cr_assert_eq(rows_of(&in, 1), 1);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

Test(temporal_join, a_delete_ends_a_version)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, NULL);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 1, "+I 1 v1 10", "-D 1 v1 30", "+I 1 v3 40", "-U 1 v3 50");
    FEED(&in, 0, "+I 1 a 29", "+I 1 b 30", "+I 1 c 35", "+I 1 d 45", "+I 1 e 55");
    rig_watermark(&in, 60);
    RIG_EXPECT(&in, "+I[1, a, 29, 1, v1, 10]", "+I[1, b, 30, null, null, null]",
               "+I[1, c, 35, null, null, null]", "+I[1, d, 45, 1, v3, 40]",
               "+I[1, e, 55, 1, v3, 40]");
    cr_assert_eq(rows_of(&in, 1), 1);
    /* A delete that is the newest version at or before the watermark leaves nothing behind:
     * a probe row would find no version either way. */
    FEED(&in, 1, "+I 2 w 10", "-D 2 w 20", "-D 1 v3 70");
    rig_watermark(&in, 75);
    cr_assert_eq(rows_of(&in, 1), 0);
    FEED(&in, 0, "+I 2 f 80", "+I 1 g 80");
    rig_watermark(&in, 80);
    RIG_EXPECT(&in, "+I[2, f, 80, null, null, null]", "+I[1, g, 80, null, null, null]");
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

Test(temporal_join, late_probe_rows_wait_for_the_next_watermark)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, NULL);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 1, "+I 1 v50 50", "+I 1 v80 80", "+I 1 v150 150");
    rig_watermark(&in, 100);
    cr_assert_eq(rows_of(&in, 1), 2); /* v50 is gone, v80 is the newest at or before 100 */
    FEED(&in, 0, "+I 1 a 60", "+I 1 b 90");
    RIG_EXPECT_NONE(&in);
    rig_watermark(&in, 101);
    /* As in Flink: a late row meets what the state still holds. */
    RIG_EXPECT(&in, "+I[1, a, 60, null, null, null]", "+I[1, b, 90, 1, v80, 80]");
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

static wr_expr *v_less_w(void)
{
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = wr_expr_column(1, NT[1], 0);
    args[1] = wr_expr_column(4, NT[1], 0);
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_expr_call(WR_FN_LT, args, 2, wr_type_make(WR_TYPE_BOOLEAN, true), 0, &err);
    cr_assert_not_null(e, "%s", err.msg);
    return e;
}

Test(temporal_join, residual_and_nulls)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, NT, v_less_w());
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    FEEDN(&in, 1, "+I 1 5 10", "+I null 9 10", "+I 2 9 null");
    cr_assert_eq(rows_of(&in, 1), 1); /* no version without a key or a time */
    FEEDN(&in, 0, "+I 1 3 20", "+I 1 7 20", "+I 1 null 20", "+I null 1 20", "+I 2 1 null");
    /* Rows that can match nothing are padded at once. */
    RIG_EXPECT(&in, "+I[null, 1, 20, null, null, null]", "+I[2, 1, null, null, null, null]");
    rig_watermark(&in, 20);
    RIG_EXPECT(&in, "+I[1, 3, 20, 1, 5, 10]", "+I[1, 7, 20, null, null, null]",
               "+I[1, null, 20, null, null, null]");
    rig_stop(&in);
    wr_operator_spec_fini(&spec);

    spec = spec_of(WR_JOIN_TYPE_INNER, NT, v_less_w());
    rig_start(&in, &spec, 0, 1, NULL);
    FEEDN(&in, 1, "+I 1 5 10");
    FEEDN(&in, 0, "+I 1 3 20", "+I 1 7 20", "+I null 1 20", "+I 1 1 null");
    RIG_EXPECT_NONE(&in);
    cr_assert_eq(rows_of(&in, 0), 2);
    rig_watermark(&in, 20);
    RIG_EXPECT(&in, "+I[1, 3, 20, 1, 5, 10]");
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

Test(temporal_join, end_of_input_emits_everything)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, NULL);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    FEED(&in, 1, "+I 1 v1 10", "+I 1 v2 150");
    FEED(&in, 0, "+I 1 a 100", "+I 1 b 200", "+I 2 c 5");
    rig_end_input(&in, 0);
    RIG_EXPECT_NONE(&in); /* versions may still come */
    rig_end_input(&in, 1);
    RIG_EXPECT(&in, "+I[1, a, 100, 1, v1, 10]", "+I[1, b, 200, 1, v2, 150]",
               "+I[2, c, 5, null, null, null]");
    cr_assert_eq(rows_of(&in, 0) + rows_of(&in, 1), 0);
    rig_watermark(&in, WR_WATERMARK_MAX);
    RIG_EXPECT_NONE(&in);
    cr_assert_eq(in.ctx.out_watermark, WR_WATERMARK_MAX);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

/* ---- bad specs and input -------------------------------------------------------------- */

Test(temporal_join, bad_specs_and_input)
{
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_RIGHT, LT, NULL);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert(strstr(err.msg, "temporal join: RightOuterJoin is not supported"), "%s", err.msg);
    wr_operator_spec_fini(&spec);
    wr_join_desc d = desc_of(WR_JOIN_TYPE_INNER, LT, NULL);
    spec = wr_temporal_join_spec(&d, 2, 0);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert(strstr(err.msg, "the right time column 0 has type BIGINT"), "%s", err.msg);
    wr_operator_spec_fini(&spec);

    spec = spec_of(WR_JOIN_TYPE_INNER, LT, NULL);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    const char *const del[] = {"-D 1 a 5"};
    cr_assert_eq(rig_feed_rc(&in, 0, LT, 3, del, 1, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "temporal join takes insert-only input, got a -D row"), "%s",
              err.msg);
    cr_assert_eq(rig_feed_rc(&in, 1, LT, 3, del, 1, &err), 0, "%s", err.msg);
    const char *const num[] = {"+I 1 5 5"};
    cr_assert_eq(rig_feed_rc(&in, 1, NT, 3, num, 1, &err), WR_ERR_ARGUMENT);
    cr_assert(strstr(err.msg, "column 1 of a batch on the right input"), "%s", err.msg);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}

/* ---- snapshots ---------------------------------------------------------------------------- */

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
 * A LEFT temporal join over keys 0..19 at parallelism p1: versions of every key but 19,
 * probe rows, a watermark; snapshot; restore at p2; then new versions of the even keys, more
 * probe rows and a late one, watermarks. After the restore the output must be what one
 * uninterrupted instance gives.
 */
static void check_restore(int p1, int p2)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, NULL);
    rig_inst ref, a[4], b[4];
    rig_start(&ref, &spec, 0, 1, NULL);
    for (int i = 0; i < p1; i++) rig_start(&a[i], &spec, i, p1, NULL);
    char row[64];
    for (int k = 0; k < 20; k++) {
        snprintf(row, sizeof(row), "+I %d o%d 5", k, k);
        feed_routed(&ref, 1, 1, row);
        feed_routed(a, p1, 1, row);
        if (k < 19) {
            snprintf(row, sizeof(row), "+U %d v%d 10", k, k);
            feed_routed(&ref, 1, 1, row);
            feed_routed(a, p1, 1, row);
        }
        snprintf(row, sizeof(row), "+I %d p%d %d", k, k, 8 + k % 5);
        feed_routed(&ref, 1, 0, row);
        feed_routed(a, p1, 0, row);
    }
    watermark_all(&ref, 1, 9);
    watermark_all(a, p1, 9);
    char *want = rig_all_output(&ref, 1), *got = rig_all_output(a, p1);
    cr_assert_str_eq(got, want);
    cr_assert(strstr(want, "+I[0, p0, 8, 0, o0, 5]"), "%s", want);
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
    int64_t state = 0;
    for (int i = 0; i < p2; i++) state += rows_of(&b[i], 0) + rows_of(&b[i], 1);
    cr_assert_eq(state, rows_of(&ref, 0) + rows_of(&ref, 1));
    for (int k = 0; k < 20; k++) {
        if (k % 2 == 0) {
            snprintf(row, sizeof(row), "+U %d u%d 20", k, k);
            feed_routed(&ref, 1, 1, row);
            feed_routed(b, p2, 1, row);
        }
        snprintf(row, sizeof(row), "+I %d q%d 25", k, k);
        feed_routed(&ref, 1, 0, row);
        feed_routed(b, p2, 0, row);
    }
    watermark_all(&ref, 1, 30);
    watermark_all(b, p2, 30);
    want = rig_all_output(&ref, 1);
    got = rig_all_output(b, p2);
    cr_assert_str_eq(got, want);
    cr_assert(strstr(want, "+I[2, p2, 10, 2, v2, 10]"), "%s", want);
    cr_assert(strstr(want, "+I[2, q2, 25, 2, u2, 20]"), "%s", want);
    cr_assert(strstr(want, "+I[3, q3, 25, 3, v3, 10]"), "%s", want);
    cr_assert(strstr(want, "+I[19, q19, 25, 19, o19, 5]"), "%s", want);
    wr_free(want);
    wr_free(got);
    /* Late rows: o3 went at 30 (older than v3, the newest version at or before 30), so this
     * finds nothing; key 19's newest is still o19. */
    feed_routed(&ref, 1, 0, "+I 3 late 6");
    feed_routed(b, p2, 0, "+I 3 late 6");
    feed_routed(&ref, 1, 0, "+I 19 late 6");
    feed_routed(b, p2, 0, "+I 19 late 6");
    watermark_all(&ref, 1, 31);
    watermark_all(b, p2, 31);
    want = rig_all_output(&ref, 1);
    got = rig_all_output(b, p2);
    cr_assert_str_eq(got, want);
    cr_assert_str_eq(want, "+I[19, late, 6, 19, o19, 5] +I[3, late, 6, null, null, null]");
    for (int i = 0; i < p2; i++) cr_assert_eq(b[i].ctx.out_watermark, 31);
    rig_stop(&ref);
    for (int i = 0; i < p2; i++) rig_stop(&b[i]);
    wr_free(want);
    wr_free(got);
    wr_operator_spec_fini(&spec);
}

Test(temporal_join, snapshot_restore_same_parallelism)
{
    check_restore(1, 1);
    check_restore(2, 2);
}

Test(temporal_join, snapshot_restore_rescaled)
{
    check_restore(1, 2);
    check_restore(2, 1);
    check_restore(3, 4);
}

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
    cr_assert(strstr(err.msg, "temporal join: restoring key group") ||
                  strstr(err.msg, "interval join: restoring key group"),
              "%s", err.msg);
    cr_assert(strstr(err.msg, want), "want '%s' in: %s", want, err.msg);
}

Test(temporal_join, corrupt_snapshot_is_an_error)
{
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, NULL);
    rig_inst a;
    rig_start(&a, &spec, 0, 1, NULL);
    FEED(&a, 1, "+I 1 v 10", "-D 1 v 20");
    FEED(&a, 0, "+I 1 x 15");
    rig_saved sv;
    rig_snapshot_all(&a, 1, &sv);
    rig_stop(&a);
    cr_assert_eq(sv.snaps[0].nparts, 1);

    wr_buf *data = &sv.snaps[0].parts[0].data;
    wr_buf keep;
    wr_buf_init(&keep);
    wr_buf_append(&keep, data->data, data->len);
    for (size_t at = 0; at < data->len; at += 7) {
        data->data[at] ^= 0x21;
        restore_fails(&spec, &sv, "checksum mismatch");
        data->data[at] ^= 0x21;
    }
    data->len = 20;
    restore_fails(&spec, &sv, "checksum mismatch");
    data->len = 0;
    wr_buf_append(data, keep.data, keep.len);
    wr_buf_fini(&keep);

    wr_operator_spec other = spec_of(WR_JOIN_TYPE_INNER, LT, NULL);
    restore_fails(&other, &sv, "the state of another temporal join");
    wr_operator_spec_fini(&other);
    wr_join_desc d = desc_of(WR_JOIN_TYPE_LEFT, LT, NULL);
    other = wr_interval_join_spec(&d, 2, 2, 0, 0, false);
    restore_fails(&other, &sv, "not an interval join's state");
    wr_operator_spec_fini(&other);

    /* The intact one restores, delete version and all. */
    wr_restore r;
    const wr_snapshot_part *parts[128];
    rig_restore_for(&sv, 0, 1, &r, parts, 128);
    rig_start(&a, &spec, 0, 1, &r);
    FEED(&a, 0, "+I 1 y 25");
    rig_watermark(&a, 30);
    RIG_EXPECT(&a, "+I[1, x, 15, 1, v, 10]", "+I[1, y, 25, null, null, null]");
    rig_stop(&a);
    rig_saved_fini(&sv);
    wr_operator_spec_fini(&spec);
}

/* ---- randomized inputs against a naive lookup ---------------------------------------------- */

typedef struct trow {
    int64_t k, v, t;
    wr_change_kind kind;
    bool knull, tnull;
} trow;

static void cells(char *buf, size_t size, const trow *r, const char *sep)
{
    char k[24], t[24];
    snprintf(k, sizeof(k), "%lld", (long long)r->k);
    snprintf(t, sizeof(t), "%lld", (long long)r->t);
    snprintf(buf, size, "%s%s%lld%s%s", r->knull ? "null" : k, sep, (long long)r->v, sep,
             r->tnull ? "null" : t);
}

/* For each probe row the version valid at its time among all versions, as the join defines it. */
static char *naive(const trow *p, int np, const trow *v, int nv, bool left_outer, bool residual)
{
    WR_VEC(char *) rows = {0};
    char a[96], b[96], line[256];
    for (int i = 0; i < np; i++) {
        int best = -1;
        if (!p[i].knull && !p[i].tnull)
            for (int j = 0; j < nv; j++) {
                if (v[j].knull || v[j].tnull || v[j].kind == WR_KIND_UPDATE_BEFORE) continue;
                if (v[j].k != p[i].k || v[j].t > p[i].t) continue;
                if (best < 0 || v[j].t >= v[best].t) best = j; /* the later of equal times */
            }
        bool hit = best >= 0 && v[best].kind != WR_KIND_DELETE && (!residual || p[i].v < v[best].v);
        cells(a, sizeof(a), &p[i], ", ");
        if (hit) {
            cells(b, sizeof(b), &v[best], ", ");
            snprintf(line, sizeof(line), "+I[%s, %s]", a, b);
        } else if (left_outer) {
            snprintf(line, sizeof(line), "+I[%s, null, null, null]", a);
        } else {
            continue;
        }
        WR_VEC_PUSH(&rows, wr_strdup(line));
    }
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

static void random_run(unsigned seed, wr_join_type type)
{
    srand(seed);
    bool residual = rand() % 2;
    int n[2] = {100 + rand() % 300, 50 + rand() % 200};
    trow *rows[2];
    for (int s = 0; s < 2; s++) {
        rows[s] = wr_calloc((size_t)n[s], sizeof(trow));
        int64_t t = 0;
        for (int i = 0; i < n[s]; i++) {
            trow *r = &rows[s][i];
            t += rand() % 5;
            r->k = rand() % 6;
            r->knull = rand() % 40 == 0;
            r->v = rand() % 10;
            r->t = t + rand() % 20;
            r->tnull = rand() % 60 == 0;
            static const wr_change_kind kinds[] = {WR_KIND_INSERT, WR_KIND_UPDATE_AFTER,
                                                   WR_KIND_UPDATE_AFTER, WR_KIND_UPDATE_BEFORE,
                                                   WR_KIND_DELETE};
            r->kind = s == 0 ? WR_KIND_INSERT : kinds[rand() % 5];
        }
    }
    wr_operator_spec spec = spec_of(type, NT, residual ? v_less_w() : NULL);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    int next[2] = {0, 0};
    int64_t max_rows = 0;
    while (next[0] < n[0] || next[1] < n[1]) {
        int s = next[0] == n[0] ? 1 : next[1] == n[1] ? 0 : rand() % 2;
        int m = 1 + rand() % 8, k = 0;
        char *own[8];
        for (; k < m && next[s] < n[s]; k++) {
            char c[96], line[128];
            const trow *r = &rows[s][next[s]++];
            cells(c, sizeof(c), r, " ");
            snprintf(line, sizeof(line), "%s %s", wr_change_kind_short(r->kind), c);
            own[k] = wr_strdup(line);
        }
        rig_feed(&in, s, NT, 3, (const char *const *)own, k);
        for (int i = 0; i < k; i++) wr_free(own[i]);
        if (rand() % 4 == 0) {
            int64_t wm = INT64_MAX;
            for (int side = 0; side < 2; side++)
                for (int i = next[side]; i < n[side]; i++)
                    if (!rows[side][i].tnull && rows[side][i].t - 1 < wm) wm = rows[side][i].t - 1;
            if (wm != INT64_MAX) rig_watermark(&in, wm);
        }
        int64_t held = rows_of(&in, 1);
        if (held > max_rows) max_rows = held;
    }
    /* Versions do not pile up: each key keeps about those after the watermark. */
    cr_assert_lt(max_rows, n[1] / 2 + 20, "%lld versions held of %d", (long long)max_rows, n[1]);
    rig_end_input(&in, 1);
    rig_end_input(&in, 0);
    cr_assert_eq(rows_of(&in, 0) + rows_of(&in, 1), 0);
    char *got = rig_all_output(&in, 1);
    char *want = naive(rows[0], n[0], rows[1], n[1], type == WR_JOIN_TYPE_LEFT, residual);
    cr_assert_str_eq(got, want, "seed %u, type %d, residual %d", seed, (int)type, residual);
    wr_free(got);
    wr_free(want);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
    wr_free(rows[0]);
    wr_free(rows[1]);
}

Test(temporal_join, randomized_against_a_naive_lookup)
{
    for (unsigned seed = 1; seed <= 12; seed++) {
        random_run(seed * 104729, WR_JOIN_TYPE_INNER);
        random_run(seed * 104729 + 1, WR_JOIN_TYPE_LEFT);
    }
}

/* ---- many rows: the state stays bounded and compacts ---------------------------------------- */

Test(temporal_join, many_rows_with_keys_coming_and_going)
{
    enum { N = 30000, STEP = 100 };
    wr_operator_spec spec = spec_of(WR_JOIN_TYPE_LEFT, LT, NULL);
    rig_inst in;
    rig_start(&in, &spec, 0, 1, NULL);
    char **rows = wr_malloc(STEP * sizeof(char *));
    char line[96], want[96];
    int64_t checked = 0;
    for (int at = 0; at < N; at += STEP) {
        for (int s = 1; s >= 0; s--) {
            int m = 0;
            for (int i = at; i < at + STEP; i++) {
                if (s == 1 && i % 3 != 0) continue;
                snprintf(line, sizeof(line), "%s %d %c%d %d", s ? "+U" : "+I", i / 50,
                         s ? 'v' : 'p', i, i);
                rows[m++] = wr_strdup(line);
            }
            rig_feed(&in, s, LT, 3, (const char *const *)rows, m);
            for (int i = 0; i < m; i++) wr_free(rows[i]);
        }
        rig_watermark(&in, at + STEP - 1);
        /* Probe rows leave at each watermark; each key keeps its newest version only. */
        cr_assert_eq(rows_of(&in, 0), 0);
        cr_assert_eq(rows_of(&in, 1), (at + STEP) / 50);
        int n;
        char **got = rig_taken(&in, &n);
        cr_assert_eq(n, STEP);
        /* In arrival order: probe i meets the newest version of its key at or before it. */
        for (int j = 0; j < n; j++) {
            int i = at + j, v = i - i % 3;
            if (v / 50 == i / 50)
                snprintf(want, sizeof(want), "+I[%d, p%d, %d, %d, v%d, %d]", i / 50, i, i, i / 50,
                         v, v);
            else
                snprintf(want, sizeof(want), "+I[%d, p%d, %d, null, null, null]", i / 50, i, i);
            cr_assert_str_eq(got[j], want);
            checked++;
            wr_free(got[j]);
        }
        wr_free(got);
    }
    cr_assert_eq(checked, N);
    wr_free(rows);
    rig_stop(&in);
    wr_operator_spec_fini(&spec);
}
