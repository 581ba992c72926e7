/*
 * test_memtable.c — tables stored by Weir: transactions (commit, abort,
 * overwrite, retractions), snapshot isolation of readers, sink subtasks
 * writing from several threads, every column type, copied strings.
 *
 * The source and sink operators are driven by hand, as the runtime would.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/connectors/memtable.h"
#include "../../src/types/nested.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------------- */

static wr_schema *int_string_schema(void)
{
    wr_type types[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    types[1].length = WR_VARCHAR_MAX;
    return schema_of("a,b", types);
}

/* Rows (first + i, "s<first + i>") for i in 0..n, all of the given kind. */
static wr_batch *int_string_batch(const wr_schema *schema, int first, int n, wr_change_kind kind)
{
    wr_batch *b = wr_batch_new(schema->types, schema->ncols, WR_BATCH_CAPACITY);
    for (int i = 0; i < n; i++) {
        char s[32];
        int len = snprintf(s, sizeof(s), "s%d", first + i);
        ((int32_t *)b->cols[0].data)[i] = first + i;
        ((wr_str *)b->cols[1].data)[i] = wr_batch_str(b, s, (size_t)len);
        if (kind != WR_KIND_INSERT) wr_batch_kinds(b)[i] = (uint8_t)kind;
    }
    b->count = n;
    return b;
}

/* Runs one sink subtask over batches, then ends its input. */
static void write_rows(wr_memtable_txn *txn, int subtask, int parallelism, wr_batch **batches,
                       int n)
{
    wr_operator_spec spec = wr_memtable_sink_spec(txn);
    wr_op_ctx ctx;
    ctx_init(&ctx, subtask, parallelism, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert(op);
    op->ctx = &ctx;
    for (int i = 0; i < n; i++)
        cr_assert_eq(spec.ops->process(op, 0, batches[i], &err), 0, "%s", err.msg);
    cr_assert_eq(spec.ops->end_input(op, 0, &err), 0, "%s", err.msg);
    spec.ops->destroy(op);
    wr_operator_spec_fini(&spec);
}

/* Commits the rows (first + i, "s<first + i>"), i in 0..n, in one transaction. */
static void insert_range(wr_memtable *mt, const wr_schema *schema, int first, int n, bool overwrite)
{
    wr_memtable_txn *txn = wr_memtable_begin(mt, overwrite);
    int nb = (n + WR_BATCH_CAPACITY - 1) / WR_BATCH_CAPACITY;
    wr_batch **batches = wr_calloc((size_t)(nb ? nb : 1), sizeof(wr_batch *));
    for (int i = 0; i < nb; i++)
        batches[i] =
            int_string_batch(schema, first + i * WR_BATCH_CAPACITY,
                             WR_MIN(WR_BATCH_CAPACITY, n - i * WR_BATCH_CAPACITY), WR_KIND_INSERT);
    write_rows(txn, 0, 1, batches, nb);
    for (int i = 0; i < nb; i++) wr_batch_free(batches[i]);
    wr_free(batches);
    wr_memtable_commit(txn);
}

/* Reads what a source spec yields with the given parallelism, into cap. */
static void read_spec(const wr_operator_spec *spec, int parallelism, capture *cap)
{
    for (int s = 0; s < parallelism; s++) {
        wr_op_ctx ctx;
        ctx_init(&ctx, s, parallelism, &cap->base);
        wr_error err;
        wr_error_init(&err);
        wr_operator *op = spec->ops->create(spec->spec, &ctx, &err);
        cr_assert(op);
        op->ctx = &ctx;
        for (;;) {
            wr_source_status status;
            cr_assert_eq(spec->ops->run(op, &status, &err), 0, "%s", err.msg);
            if (status == WR_SOURCE_END) break;
        }
        spec->ops->destroy(op);
    }
}

static void read_all(wr_memtable *mt, int parallelism, capture *cap)
{
    capture_init(cap);
    wr_operator_spec spec = wr_memtable_source_spec(mt);
    cr_assert(spec.bounded);
    read_spec(&spec, parallelism, cap);
    wr_operator_spec_fini(&spec);
}

typedef struct tally {
    int lo, n;
    int *seen;
} tally;

/* Counts each a and checks that b is "s<a>". */
static void tally_row(const wr_batch *batch, int row, void *arg)
{
    tally *t = arg;
    int a = ((const int32_t *)batch->cols[0].data)[row];
    const wr_str *b = &((const wr_str *)batch->cols[1].data)[row];
    char want[32];
    snprintf(want, sizeof(want), "s%d", a);
    cr_assert(b->len == strlen(want) && memcmp(b->ptr, want, b->len) == 0, "row %d has b '%.*s'", a,
              (int)b->len, b->ptr);
    cr_assert(a >= t->lo && a < t->lo + t->n, "unexpected row %d", a);
    cr_assert_eq(wr_batch_kind(batch, row), WR_KIND_INSERT);
    t->seen[a - t->lo]++;
}

/* The table holds exactly the rows lo..lo+n-1, once each. */
static void expect_range(wr_memtable *mt, int parallelism, int lo, int n)
{
    capture cap;
    read_all(mt, parallelism, &cap);
    tally t = {lo, n, wr_calloc((size_t)(n ? n : 1), sizeof(int))};
    capture_each(&cap, tally_row, &t);
    cr_assert_eq(cap.rows, n, "read %lld rows, expected %d", (long long)cap.rows, n);
    for (int i = 0; i < n; i++)
        cr_assert_eq(t.seen[i], 1, "row %d seen %d times", lo + i, t.seen[i]);
    cr_assert_eq(wr_memtable_rows(mt), n);
    wr_free(t.seen);
    capture_fini(&cap);
}

/* ---- transactions --------------------------------------------------------------- */

Test(memtable, commit_makes_rows_visible)
{
    wr_schema *schema = int_string_schema();
    wr_memtable *mt = wr_memtable_new(schema);
    expect_range(mt, 1, 0, 0);
    insert_range(mt, schema, 0, 2500, false);
    expect_range(mt, 1, 0, 2500);
    expect_range(mt, 3, 0, 2500); /* the chunks split between subtasks */
    insert_range(mt, schema, 2500, 7, false);
    insert_range(mt, schema, 2507, 1, false);
    expect_range(mt, 2, 0, 2508);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}

Test(memtable, rows_are_invisible_until_commit_and_abort_drops_them)
{
    wr_schema *schema = int_string_schema();
    wr_memtable *mt = wr_memtable_new(schema);
    insert_range(mt, schema, 0, 10, false);
    wr_memtable_txn *txn = wr_memtable_begin(mt, false);
    wr_batch *batch = int_string_batch(schema, 10, 5, WR_KIND_INSERT);
    write_rows(txn, 0, 1, &batch, 1);
    expect_range(mt, 1, 0, 10);
    wr_memtable_abort(txn);
    expect_range(mt, 1, 0, 10);

    /* A sink subtask that never saw the end of its input (a failed job). */
    txn = wr_memtable_begin(mt, true);
    wr_operator_spec spec = wr_memtable_sink_spec(txn);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    op->ctx = &ctx;
    cr_assert_eq(spec.ops->process(op, 0, batch, &err), 0);
    spec.ops->destroy(op);
    wr_memtable_abort(txn);
    expect_range(mt, 1, 0, 10);
    wr_batch_free(batch);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}

Test(memtable, overwrite_replaces_the_rows)
{
    wr_schema *schema = int_string_schema();
    wr_memtable *mt = wr_memtable_new(schema);
    insert_range(mt, schema, 0, 3000, false);
    insert_range(mt, schema, 100, 3, true);
    expect_range(mt, 1, 100, 3);
    insert_range(mt, schema, 0, 0, true); /* overwrite with nothing empties the table */
    expect_range(mt, 1, 0, 0);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}

Test(memtable, a_reader_keeps_its_snapshot)
{
    wr_schema *schema = int_string_schema();
    wr_memtable *mt = wr_memtable_new(schema);
    insert_range(mt, schema, 0, 1500, false);
    wr_operator_spec before = wr_memtable_source_spec(mt);
    insert_range(mt, schema, 1500, 100, false); /* merges into the old last chunk's copy */
    insert_range(mt, schema, 0, 5, true);
    capture cap;
    capture_init(&cap);
    read_spec(&before, 2, &cap);
    tally t = {0, 1500, wr_calloc(1500, sizeof(int))};
    capture_each(&cap, tally_row, &t);
    cr_assert_eq(cap.rows, 1500);
    for (int i = 0; i < 1500; i++) cr_assert_eq(t.seen[i], 1);
    wr_free(t.seen);
    capture_fini(&cap);
    /* The table may even go away while a job reads it. */
    wr_operator_spec later = wr_memtable_source_spec(mt);
    wr_memtable_free(mt);
    capture_init(&cap);
    read_spec(&later, 1, &cap);
    cr_assert_eq(cap.rows, 5);
    capture_fini(&cap);
    wr_operator_spec_fini(&later);
    wr_operator_spec_fini(&before);
    wr_schema_free(schema);
}

/* A consumer that narrows the batch it was handed and leaves it so. */
static int narrow_push(wr_collector *self, wr_batch *batch, wr_error *err)
{
    static uint32_t first[1] = {0};
    batch->sel = first;
    batch->nsel = 1;
    wr_batch_kinds(batch)[0] = WR_KIND_DELETE;
    return 0;
}

Test(memtable, consumers_cannot_change_the_stored_rows)
{
    wr_schema *schema = int_string_schema();
    wr_memtable *mt = wr_memtable_new(schema);
    insert_range(mt, schema, 0, 3000, false);
    wr_collector narrow = {narrow_push, NULL};
    wr_operator_spec spec = wr_memtable_source_spec(mt);
    for (int s = 0; s < 2; s++) {
        wr_op_ctx ctx;
        ctx_init(&ctx, s, 2, &narrow);
        wr_error err;
        wr_error_init(&err);
        wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
        op->ctx = &ctx;
        wr_source_status status;
        do cr_assert_eq(spec.ops->run(op, &status, &err), 0);
        while (status != WR_SOURCE_END);
        spec.ops->destroy(op);
    }
    wr_operator_spec_fini(&spec);
    expect_range(mt, 1, 0, 3000);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}

Test(memtable, strings_are_copied_into_the_table)
{
    wr_schema *schema = int_string_schema();
    wr_memtable *mt = wr_memtable_new(schema);
    wr_memtable_txn *txn = wr_memtable_begin(mt, false);
    char text[64];
    wr_batch *batch = wr_batch_new(schema->types, schema->ncols, 4);
    for (int i = 0; i < 3; i++) {
        snprintf(text, sizeof(text), "s%d", 40 + i);
        ((int32_t *)batch->cols[0].data)[i] = 40 + i;
        /* a view of memory the caller reuses: the sink must copy the bytes */
        ((wr_str *)batch->cols[1].data)[i] = (wr_str){wr_strdup(text), (uint32_t)strlen(text)};
    }
    batch->count = 3;
    write_rows(txn, 0, 1, &batch, 1);
    for (int i = 0; i < 3; i++) {
        char *p = (char *)((wr_str *)batch->cols[1].data)[i].ptr;
        memset(p, 'x', strlen(p));
        wr_free(p);
    }
    wr_batch_free(batch);
    wr_memtable_commit(txn);
    expect_range(mt, 1, 40, 3);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}

/* ---- parallel sink subtasks ------------------------------------------------------- */

typedef struct writer {
    wr_memtable_txn *txn;
    const wr_schema *schema;
    int subtask, parallelism, per;
} writer;

static void *write_thread(void *arg)
{
    writer *w = arg;
    int first = w->subtask * w->per;
    int nb = (w->per + 299) / 300;
    wr_batch **batches = wr_calloc((size_t)nb, sizeof(wr_batch *));
    for (int i = 0; i < nb; i++) /* 300-row batches: the sink's own buffers fill unevenly */
        batches[i] = int_string_batch(w->schema, first + i * 300, WR_MIN(300, w->per - i * 300), 0);
    write_rows(w->txn, w->subtask, w->parallelism, batches, nb);
    for (int i = 0; i < nb; i++) wr_batch_free(batches[i]);
    wr_free(batches);
    return NULL;
}

Test(memtable, sink_subtasks_write_concurrently)
{
    wr_schema *schema = int_string_schema();
    wr_memtable *mt = wr_memtable_new(schema);
    insert_range(mt, schema, 100000, 10, false);
    wr_memtable_txn *txn = wr_memtable_begin(mt, true);
    enum { N = 4, PER = 10000 };
    pthread_t threads[N];
    writer w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (writer){txn, schema, i, N, PER};
        cr_assert_eq(pthread_create(&threads[i], NULL, write_thread, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) pthread_join(threads[i], NULL);
    expect_range(mt, 1, 100000, 10);
    wr_memtable_commit(txn);
    expect_range(mt, 4, 0, N * PER);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}

/* ---- retractions ---------------------------------------------------------------- */

Test(memtable, retractions_remove_equal_rows)
{
    wr_schema *schema = int_string_schema();
    wr_memtable *mt = wr_memtable_new(schema);
    insert_range(mt, schema, 0, 1000, false);
    wr_memtable_txn *txn = wr_memtable_begin(mt, false);
    wr_batch *b[4] = {
        int_string_batch(schema, 2000, 10, WR_KIND_INSERT), /* 2000..2009 */
        int_string_batch(schema, 5, 995, WR_KIND_DELETE),   /* takes back 5..999 */
        int_string_batch(schema, 2005, 5, WR_KIND_UPDATE_BEFORE),
        int_string_batch(schema, 2005, 3, WR_KIND_UPDATE_AFTER),
    };
    /* A retraction of a row that is not there is ignored. */
    wr_batch *missing = int_string_batch(schema, 99999, 1, WR_KIND_DELETE);
    write_rows(txn, 0, 2, b, 2);
    write_rows(txn, 1, 2, b + 2, 2);
    write_rows(txn, 1, 2, &missing, 1);
    wr_memtable_commit(txn);
    /* Left: 0..4 and 2000..2007 (2005..2009 retracted, 2005..2007 added again). */
    capture cap;
    read_all(mt, 1, &cap);
    tally t = {0, 2010, wr_calloc(2010, sizeof(int))};
    capture_each(&cap, tally_row, &t);
    cr_assert_eq(cap.rows, 13);
    for (int i = 0; i < 2010; i++) {
        int want = i < 5 || (i >= 2000 && i < 2008);
        cr_assert_eq(t.seen[i], want, "row %d seen %d times", i, t.seen[i]);
    }
    wr_free(t.seen);
    capture_fini(&cap);
    for (int i = 0; i < 4; i++) wr_batch_free(b[i]);
    wr_batch_free(missing);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}

Test(memtable, not_null_columns_reject_nulls)
{
    wr_type types[] = {wr_type_make(WR_TYPE_INT, false), wr_type_make(WR_TYPE_VARCHAR, true)};
    types[1].length = WR_VARCHAR_MAX;
    wr_schema *schema = schema_of("a,b", types);
    wr_memtable *mt = wr_memtable_new(schema);
    wr_memtable_txn *txn = wr_memtable_begin(mt, false);
    wr_batch *batch = int_string_batch(schema, 0, 3, WR_KIND_INSERT);
    wr_batch_set_null(batch, 0, 1);
    wr_operator_spec spec = wr_memtable_sink_spec(txn);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    op->ctx = &ctx;
    cr_assert_eq(spec.ops->process(op, 0, batch, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "column 'a' is NOT NULL"), "%s", err.msg);
    spec.ops->destroy(op);
    wr_memtable_abort(txn);
    cr_assert_eq(wr_memtable_rows(mt), 0);
    wr_batch_free(batch);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}

/* ---- every type --------------------------------------------------------------- */

Test(memtable, every_type_round_trips_with_nulls)
{
    wr_type types[WR_TYPE_COUNT_];
    char names[512] = "";
    int ncols = 0;
    for (int id = WR_TYPE_BOOLEAN; id < WR_TYPE_COUNT_; id++) {
        /* Nested types need a descriptor and encoded values (test_nested.c covers those). */
        if (wr_type_is_nested((wr_type_id)id)) continue;
        types[ncols] = wr_type_make((wr_type_id)id, true);
        if (id == WR_TYPE_CHAR || id == WR_TYPE_VARCHAR) types[ncols].length = 8;
        if (id == WR_TYPE_TIMESTAMP) types[ncols].length = 3;
        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%sc%d", ncols ? "," : "",
                 ncols);
        ncols++;
    }
    wr_schema *schema = schema_of(names, types);
    wr_batch *batch = wr_batch_new(types, ncols, 16);
    for (int r = 0; r < 16; r++) {
        for (int c = 0; c < ncols; c++) {
            wr_vector *v = &batch->cols[c];
            if ((r + c) % 5 == 0) {
                wr_batch_set_null(batch, c, r);
                continue;
            }
            switch (v->type.id) {
            case WR_TYPE_BOOLEAN:
            case WR_TYPE_TINYINT:
                ((uint8_t *)v->data)[r] = (uint8_t)(r % 2);
                break;
            case WR_TYPE_SMALLINT:
                ((int16_t *)v->data)[r] = (int16_t)(r * 100 - 7);
                break;
            case WR_TYPE_INT:
                ((int32_t *)v->data)[r] = r * 100000 + 1;
                break;
            case WR_TYPE_BIGINT:
            case WR_TYPE_TIMESTAMP:
                ((int64_t *)v->data)[r] = (int64_t)r * 1700000000123LL;
                break;
            case WR_TYPE_FLOAT:
                ((float *)v->data)[r] = (float)r / 4;
                break;
            case WR_TYPE_DOUBLE:
                ((double *)v->data)[r] = r * 1e10 + 0.5;
                break;
            default:
                if (wr_type_is_view(v->type.id)) {
                    char s[16];
                    int len = snprintf(s, sizeof(s), "v%d-%d", r, c);
                    ((wr_str *)v->data)[r] = wr_batch_str(batch, s, (size_t)len);
                } else {
                    /* Any other fixed-width type (DECIMAL, DATE, intervals, ...): a byte
                     * pattern of its width, which the table must keep as it is. */
                    size_t w = wr_type_width(v->type.id);
                    for (size_t k = 0; k < w; k++)
                        ((uint8_t *)v->data)[(size_t)r * w + k] = (uint8_t)(r * 31 + c + k);
                }
            }
        }
    }
    batch->count = 16;
    wr_memtable *mt = wr_memtable_new(schema);
    wr_memtable_txn *txn = wr_memtable_begin(mt, false);
    write_rows(txn, 0, 1, &batch, 1);
    wr_memtable_commit(txn);
    capture cap;
    read_all(mt, 1, &cap);
    cr_assert_eq(cap.rows, 16);
    wr_buf want, got;
    wr_buf_init(&want);
    wr_buf_init(&got);
    int row = 0;
    for (int b = 0; b < cap.nbatches; b++) {
        for (int r = 0; r < cap.batches[b]->count; r++, row++) {
            wr_buf_reset(&want);
            wr_buf_reset(&got);
            wr_batch_format_row(batch, row, &want);
            wr_batch_format_row(cap.batches[b], r, &got);
            cr_assert_str_eq(got.data, want.data);
        }
    }
    wr_buf_fini(&want);
    wr_buf_fini(&got);
    capture_fini(&cap);
    wr_batch_free(batch);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}
