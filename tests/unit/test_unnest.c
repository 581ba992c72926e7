/*
 * test_unnest.c — the UNNEST operator driven as the runtime would: arrays with NULL, empty and
 * NULL collections (inner and outer), WITH ORDINALITY, change kinds and row times carried over,
 * a selection on the input, one row whose elements spread over several output batches, maps,
 * arrays of rows, and the element columns' types.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/ops/unnest.h"
#include "../../src/types/nested.h"

#include <string.h>

static wr_type int_t(bool nullable)
{
    return wr_type_make(WR_TYPE_INT, nullable);
}

/* Stores an encoded value (buf) as row r of column col of b. */
static void put_value(wr_batch *b, int col, int r, const wr_buf *buf)
{
    ((wr_str *)b->cols[col].data)[r] = wr_batch_str(b, buf->data, buf->len);
}

/* An ARRAY<INT> of n values v[i] (present[i], or all when NULL) into row r of column col. */
static void put_int_array(wr_batch *b, int col, int r, const int32_t *v, const bool *present,
                          uint32_t n)
{
    wr_buf buf;
    wr_buf_init(&buf);
    wr_array_encode(&buf, int_t(true), n, v, present);
    put_value(b, col, r, &buf);
    wr_buf_fini(&buf);
}

typedef struct run {
    capture cap;
    wr_operator_spec spec;
    wr_operator *op;
    wr_op_ctx ctx;
} run;

static void start(run *t, const wr_type *in, int nin, wr_expr *expr, bool outer, bool ord)
{
    capture_init(&t->cap);
    t->spec = wr_unnest_spec(in, nin, expr, outer, ord);
    ctx_init(&t->ctx, 0, 1, &t->cap.base);
    wr_error err;
    wr_error_init(&err);
    t->op = t->spec.ops->create(t->spec.spec, &t->ctx, &err);
    cr_assert_not_null(t->op, "%s", err.msg);
}

static void feed(run *t, wr_batch *b)
{
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(t->spec.ops->process(t->op, 0, b, &err), 0, "%s", err.msg);
}

static void finish(run *t)
{
    t->spec.ops->destroy(t->op);
    wr_operator_spec_fini(&t->spec);
    capture_fini(&t->cap);
}

/* Row i of everything captured, as a batch and a row in it. */
static const wr_batch *row_at(const run *t, int i, int *r)
{
    for (int b = 0; b < t->cap.nbatches; b++) {
        if (i < t->cap.batches[b]->count) {
            *r = i;
            return t->cap.batches[b];
        }
        i -= t->cap.batches[b]->count;
    }
    cr_assert_fail("row %d is not there", i);
    return NULL;
}

static int32_t int_at(const wr_batch *b, int col, int r)
{
    cr_assert_not(wr_vector_is_null(&b->cols[col], r), "column %d row %d is NULL", col, r);
    return ((const int32_t *)b->cols[col].data)[r];
}

/* Input: id INT NOT NULL, a ARRAY<INT>. Rows: 1 [10, NULL, 30]; 2 []; 3 NULL; 4 [40]. */
static wr_batch *array_input(wr_type *types)
{
    types[0] = int_t(false);
    types[1] = wr_type_array(int_t(true), true);
    wr_batch *b = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    int32_t v[] = {10, 0, 30};
    bool p[] = {true, false, true};
    int32_t forty = 40;
    for (int r = 0; r < 4; r++) ((int32_t *)b->cols[0].data)[r] = r + 1;
    put_int_array(b, 1, 0, v, p, 3);
    put_int_array(b, 1, 1, NULL, NULL, 0);
    wr_batch_set_null(b, 1, 2);
    put_int_array(b, 1, 3, &forty, NULL, 1);
    b->count = 4;
    return b;
}

Test(unnest, inner_expands_each_element_and_drops_empty_and_null)
{
    wr_type types[2];
    wr_batch *in = array_input(types);
    run t;
    start(&t, types, 2, wr_expr_column(1, types[1], -1), false, false);
    feed(&t, in);
    cr_assert_eq(t.cap.rows, 4);
    int ids[] = {1, 1, 1, 4}, xs[] = {10, 0, 30, 40};
    for (int i = 0; i < 4; i++) {
        int r;
        const wr_batch *b = row_at(&t, i, &r);
        cr_assert_eq(b->ncols, 3);
        cr_assert_eq(int_at(b, 0, r), ids[i]);
        if (i == 1)
            cr_assert(wr_vector_is_null(&b->cols[2], r), "a NULL element stays NULL");
        else
            cr_assert_eq(int_at(b, 2, r), xs[i]);
    }
    finish(&t);
    wr_batch_free(in);
}

Test(unnest, outer_keeps_empty_and_null_collections_with_ordinality)
{
    wr_type types[2];
    wr_batch *in = array_input(types);
    run t;
    start(&t, types, 2, wr_expr_column(1, types[1], -1), true, true);
    feed(&t, in);
    cr_assert_eq(t.cap.rows, 6);
    /* id, element (-1: NULL), ordinality (-1: NULL) */
    int want[6][3] = {{1, 10, 1}, {1, -1, 2}, {1, 30, 3}, {2, -1, -1}, {3, -1, -1}, {4, 40, 1}};
    for (int i = 0; i < 6; i++) {
        int r;
        const wr_batch *b = row_at(&t, i, &r);
        cr_assert_eq(b->ncols, 4);
        cr_assert_eq(int_at(b, 0, r), want[i][0]);
        for (int c = 1; c < 3; c++) {
            if (want[i][c] < 0)
                cr_assert(wr_vector_is_null(&b->cols[c + 1], r), "row %d col %d", i, c + 1);
            else
                cr_assert_eq(int_at(b, c + 1, r), want[i][c], "row %d col %d", i, c + 1);
        }
        /* The input array column is carried as it is. */
        cr_assert_eq(wr_vector_is_null(&b->cols[1], r), want[i][0] == 3);
    }
    finish(&t);
    wr_batch_free(in);
}

Test(unnest, keeps_change_kinds_and_row_times_and_reads_the_selection)
{
    wr_type types[2];
    wr_batch *in = array_input(types);
    uint8_t *k = wr_batch_kinds(in);
    int64_t *ts = wr_batch_rowtimes(in);
    for (int r = 0; r < 4; r++) {
        k[r] = r == 0 ? WR_KIND_DELETE : WR_KIND_UPDATE_AFTER;
        ts[r] = 1000 + r;
    }
    /* Only rows 0 and 3 are active. */
    uint32_t *sel = wr_batch_sel_buffer(in);
    sel[0] = 0;
    sel[1] = 3;
    in->sel = sel;
    in->nsel = 2;
    run t;
    start(&t, types, 2, wr_expr_column(1, types[1], -1), false, false);
    feed(&t, in);
    cr_assert_eq(t.cap.rows, 4);
    for (int i = 0; i < 4; i++) {
        int r;
        const wr_batch *b = row_at(&t, i, &r);
        bool first = i < 3;
        cr_assert_eq(int_at(b, 0, r), first ? 1 : 4);
        cr_assert_eq(wr_batch_kind(b, r), first ? WR_KIND_DELETE : WR_KIND_UPDATE_AFTER);
        cr_assert_eq(wr_batch_rowtime(b, r), first ? 1000 : 1003);
    }
    finish(&t);
    wr_batch_free(in);
}

Test(unnest, a_long_collection_spreads_over_batches_in_order)
{
    wr_type types[2];
    types[0] = int_t(false);
    types[1] = wr_type_array(int_t(true), true);
    wr_batch *in = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    enum { N = 2500 };
    int32_t *v = wr_malloc(N * sizeof(int32_t));
    for (int i = 0; i < N; i++) v[i] = i * 3;
    int32_t one = 7;
    put_int_array(in, 1, 0, &one, NULL, 1);
    put_int_array(in, 1, 1, v, NULL, N);
    put_int_array(in, 1, 2, &one, NULL, 1);
    for (int r = 0; r < 3; r++) ((int32_t *)in->cols[0].data)[r] = r;
    in->count = 3;
    run t;
    start(&t, types, 2, wr_expr_column(1, types[1], -1), false, true);
    feed(&t, in);
    cr_assert_eq(t.cap.rows, N + 2);
    cr_assert_geq(t.cap.nbatches, 3, "%d elements need three batches", N + 2);
    for (int b = 0; b < t.cap.nbatches; b++)
        cr_assert_leq(t.cap.batches[b]->count, WR_BATCH_CAPACITY);
    for (int i = 0; i < N + 2; i++) {
        int r;
        const wr_batch *b = row_at(&t, i, &r);
        int id = i == 0 ? 0 : i <= N ? 1 : 2;
        cr_assert_eq(int_at(b, 0, r), id);
        if (id == 1) {
            cr_assert_eq(int_at(b, 2, r), (i - 1) * 3);
            cr_assert_eq(int_at(b, 3, r), i, "ordinality");
        } else {
            cr_assert_eq(int_at(b, 2, r), 7);
            cr_assert_eq(int_at(b, 3, r), 1);
        }
    }
    finish(&t);
    wr_free(v);
    wr_batch_free(in);
}

Test(unnest, maps_give_keys_and_values_rows_give_fields)
{
    wr_type vs = wr_type_make(WR_TYPE_VARCHAR, true);
    wr_type mt = wr_type_map(vs, int_t(true), true);
    wr_type ft[] = {int_t(false), vs};
    const char *names[] = {"x", "y"};
    wr_type rt = wr_type_row(ft, names, 2, true);
    wr_type at = wr_type_array(rt, true);
    wr_type types[] = {mt, at};
    wr_batch *in = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    wr_buf buf;
    wr_buf_init(&buf);
    wr_str keys[] = {{"a", 1}, {"bb", 2}};
    int32_t vals[] = {1, 0};
    bool vp[] = {true, false};
    wr_map_encode(&buf, mt, 2, keys, NULL, vals, vp);
    put_value(in, 0, 0, &buf);
    /* [(5, 'five'), NULL] */
    const wr_nested *d = wr_type_nested(rt);
    int32_t x = 5;
    wr_str y = {"five", 4};
    const void *slots[] = {&x, &y};
    wr_buf rowbuf;
    wr_buf_init(&rowbuf);
    wr_row_value_encode(&rowbuf, d, slots, NULL);
    wr_str rows[2] = {{rowbuf.data, (uint32_t)rowbuf.len}, {NULL, 0}};
    bool rp[] = {true, false};
    wr_buf_reset(&buf);
    wr_array_encode(&buf, rt, 2, rows, rp);
    put_value(in, 1, 0, &buf);
    in->count = 1;

    run t;
    start(&t, types, 2, wr_expr_column(0, mt, -1), false, false);
    feed(&t, in);
    cr_assert_eq(t.cap.rows, 2);
    int r;
    const wr_batch *b = row_at(&t, 1, &r);
    cr_assert_eq(b->ncols, 4);
    wr_str k = ((const wr_str *)b->cols[2].data)[r];
    cr_assert(k.len == 2 && memcmp(k.ptr, "bb", 2) == 0);
    cr_assert(wr_vector_is_null(&b->cols[3], r), "the NULL value stays NULL");
    finish(&t);

    start(&t, types, 2, wr_expr_column(1, at, -1), false, false);
    feed(&t, in);
    cr_assert_eq(t.cap.rows, 2);
    b = row_at(&t, 0, &r);
    cr_assert_eq(b->ncols, 4);
    cr_assert_eq(int_at(b, 2, r), 5);
    wr_str got = ((const wr_str *)b->cols[3].data)[r];
    cr_assert(got.len == 4 && memcmp(got.ptr, "five", 4) == 0);
    b = row_at(&t, 1, &r);
    cr_assert(wr_vector_is_null(&b->cols[2], r) && wr_vector_is_null(&b->cols[3], r),
              "a NULL row element gives NULL fields");
    finish(&t);
    wr_buf_fini(&buf);
    wr_buf_fini(&rowbuf);
    wr_batch_free(in);
}

Test(unnest, element_column_types)
{
    wr_type out[4];
    wr_type arr = wr_type_array(int_t(false), false);
    cr_assert_eq(wr_unnest_types(arr, false, false, out), 1);
    cr_assert(wr_type_equal(out[0], int_t(false)));
    cr_assert_eq(wr_unnest_types(arr, true, true, out), 2);
    cr_assert(wr_type_equal(out[0], int_t(true)), "outer makes elements nullable");
    cr_assert(wr_type_equal(out[1], int_t(true)));
    cr_assert_eq(wr_unnest_types(arr, false, true, out), 2);
    cr_assert(wr_type_equal(out[1], int_t(false)), "ordinality is INT NOT NULL");
    wr_type m = wr_type_map(wr_type_make(WR_TYPE_VARCHAR, false), int_t(false), false);
    cr_assert_eq(wr_unnest_types(m, false, false, out), 2);
    cr_assert_eq(out[0].id, WR_TYPE_VARCHAR);
    cr_assert_eq(wr_unnest_types(wr_type_multiset(int_t(true), false), false, false, out), 1);
    cr_assert_eq(
        wr_unnest_types(wr_type_array(wr_type_make(WR_TYPE_NULL, true), false), false, false, out),
        1);
    cr_assert_eq(out[0].id, WR_TYPE_VARCHAR, "an ARRAY<NULL> unnests into STRING NULLs");
    cr_assert_eq(wr_unnest_types(int_t(false), false, false, out), -1);

    /* A spec over something that is not a collection does not create. */
    wr_type in = int_t(false);
    wr_operator_spec spec = wr_unnest_spec(&in, 1, wr_expr_column(0, in, -1), false, false);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    cr_assert_null(spec.ops->create(spec.spec, &ctx, &err));
    cr_assert(strstr(err.msg, "cannot expand"), "%s", err.msg);
    wr_operator_spec_fini(&spec);
}
