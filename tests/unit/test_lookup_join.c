/*
 * test_lookup_join.c — the lookup join operator over an in-memory lookup source: kinds kept,
 * LEFT padding, the residual per pair, NULL keys, and a key with more rows than a batch.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/expr/expr.h"
#include "../../src/ops/lookup_join.h"
#include "../../src/ops/values.h"

#include <stdio.h>
#include <string.h>

/* The table: (k INT, v STRING); key 7 has 3000 rows, keys 1 and 2 one each. */
static wr_lookup_spec table_source(void)
{
    wr_type types[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    int nb = 4;
    wr_batch **bs = wr_malloc(sizeof(wr_batch *) * (size_t)nb);
    int next = 0;
    for (int b = 0; b < nb; b++) {
        bs[b] = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
        for (int r = 0; r < 750; r++, next++) {
            int k = next == 0 ? 1 : next == 1 ? 2 : 7;
            char v[32];
            snprintf(v, sizeof(v), "row-%d-with-a-long-name", next);
            ((int32_t *)bs[b]->cols[0].data)[r] = k;
            ((wr_str *)bs[b]->cols[1].data)[r] = wr_batch_str(bs[b], v, strlen(v));
        }
        bs[b]->count = 750;
    }
    wr_operator_spec src = wr_values_spec(bs, nb);
    return wr_lookup_from_source(&src, 2, (const int[]){0}, 1, 0);
}

typedef struct run {
    capture cap;
    wr_op_ctx ctx;
    wr_operator *op;
    wr_operator_spec spec;
} run;

static void start(run *r, wr_join_type type, wr_expr *residual)
{
    wr_type left[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_INT, true)};
    wr_type right[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_join_desc d = {type, left, 2,        right, 2, (const int[]){1}, (const int[]){0},
                      NULL, 1,    residual, false};
    wr_lookup_spec ls = table_source();
    r->spec = wr_lookup_join_spec(&d, &ls);
    capture_init(&r->cap);
    ctx_init(&r->ctx, 0, 1, &r->cap.base);
    wr_error err;
    wr_error_init(&err);
    r->op = r->spec.ops->create(r->spec.spec, &r->ctx, &err);
    cr_assert_not_null(r->op, "%s", err.msg);
    cr_assert_eq(r->spec.ops->open(r->op, &err), 0, "%s", err.msg);
}

static void stop(run *r)
{
    r->spec.ops->destroy(r->op);
    wr_operator_spec_fini(&r->spec);
    capture_fini(&r->cap);
}

/* Input rows (id, key) with kinds; key -1 is NULL. */
static void push(run *r, const int *ids, const int *keys, const wr_change_kind *kinds, int n)
{
    wr_type t[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_INT, true)};
    wr_batch *b = wr_batch_new(t, 2, WR_BATCH_CAPACITY);
    for (int i = 0; i < n; i++) {
        ((int32_t *)b->cols[0].data)[i] = ids[i];
        if (keys[i] < 0)
            wr_batch_set_null(b, 1, i);
        else
            ((int32_t *)b->cols[1].data)[i] = keys[i];
        if (kinds) wr_batch_kinds(b)[i] = (uint8_t)kinds[i];
    }
    b->count = n;
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(r->spec.ops->process(r->op, 0, b, &err), 0, "%s", err.msg);
    wr_batch_free(b);
}

static void describe(const wr_batch *b, int row, void *arg)
{
    wr_buf *out = arg;
    wr_batch_format_row(b, row, out); /* "+I[a, b, ...]" */
    wr_buf_putc(out, ';');
}

static char *rows_of(run *r)
{
    wr_buf b;
    wr_buf_init(&b);
    capture_each(&r->cap, describe, &b);
    return b.data ? wr_buf_detach(&b) : wr_strdup("");
}

Test(lookup_join, inner_keeps_kinds_and_drops_rows_without_match)
{
    run r;
    start(&r, WR_JOIN_TYPE_INNER, NULL);
    push(&r, (const int[]){10, 11, 12, 13}, (const int[]){1, 3, -1, 2},
         (const wr_change_kind[]){WR_KIND_INSERT, WR_KIND_INSERT, WR_KIND_INSERT, WR_KIND_DELETE},
         4);
    char *got = rows_of(&r);
    cr_assert_str_eq(got,
                     "+I[10, 1, 1, row-0-with-a-long-name];-D[13, 2, 2, row-1-with-a-long-name];");
    wr_free(got);
    stop(&r);
}

Test(lookup_join, left_pads_and_the_residual_is_checked_per_pair)
{
    /* residual: v = 'row-1-with-a-long-name' over left ++ right (column 3) */
    wr_error err;
    wr_error_init(&err);
    wr_type s = wr_type_make(WR_TYPE_VARCHAR, true);
    const char *want = "row-1-with-a-long-name";
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = wr_expr_column(3, s, -1);
    args[1] = wr_expr_string(s, want, strlen(want), -1);
    wr_expr *eq = wr_expr_call(WR_FN_EQ, args, 2, wr_type_make(WR_TYPE_BOOLEAN, true), -1, &err);
    cr_assert_not_null(eq, "%s", err.msg);
    run r;
    start(&r, WR_JOIN_TYPE_LEFT, eq);
    push(&r, (const int[]){1, 2, 3}, (const int[]){1, 2, -1}, NULL, 3);
    char *got = rows_of(&r);
    cr_assert_str_eq(got, "+I[1, 1, null, null];+I[2, 2, 2, row-1-with-a-long-name];"
                          "+I[3, null, null, null];");
    wr_free(got);
    stop(&r);
}

static void count_key7(const wr_batch *b, int row, void *arg)
{
    int *seen = arg;
    cr_assert_eq(((const int32_t *)b->cols[2].data)[row], 7);
    wr_str v = ((const wr_str *)b->cols[3].data)[row];
    int n;
    cr_assert_eq(sscanf(v.ptr, "row-%d-with", &n), 1);
    cr_assert(n >= 2 && n < 3000);
    seen[n]++;
}

Test(lookup_join, a_key_with_more_rows_than_a_batch_gives_them_all)
{
    run r;
    start(&r, WR_JOIN_TYPE_INNER, NULL);
    push(&r, (const int[]){5, 6}, (const int[]){7, 7}, NULL, 2);
    cr_assert_eq(r.cap.rows, 2 * 2998);
    int *seen = wr_calloc(3000, sizeof(int));
    capture_each(&r.cap, count_key7, seen);
    for (int i = 2; i < 3000; i++) cr_assert_eq(seen[i], 2, "row %d", i);
    wr_free(seen);
    stop(&r);
}
