/*
 * test_pushdown.c — what the planner evaluates early and pushes into sources:
 * constant folding (wr_expr_fold), scan requests (columns and filters) as
 * the memtable, datagen and filesystem sources honour them, and CSV decoding
 * that skips the fields nobody reads.
 *
 * Sources are driven by hand, as the runtime would.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/base/clock.h"
#include "../../src/connectors/filesystem.h"
#include "../../src/connectors/memtable.h"
#include "../../src/expr/functions.h"
#include "../../src/formats/csv.h"
#include "../../src/formats/json.h"
#include "../../src/sql/plan.h"

#include <stdio.h>
#include <string.h>

static const wr_type INT_N = {WR_TYPE_INT, true, 0, 0};
static const wr_type INT_NN = {WR_TYPE_INT, false, 0, 0};
static const wr_type BOOL_N = {WR_TYPE_BOOLEAN, true, 0, 0};

/* ---- helpers ------------------------------------------------------------------ */

static wr_expr *lit(int v)
{
    return wr_expr_int64(INT_NN, v, 0);
}

static wr_expr *call2(wr_func fn, wr_expr *x, wr_expr *y, wr_type t)
{
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = x;
    args[1] = y;
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_expr_call(fn, args, 2, t, 0, &err);
    cr_assert_not_null(e, "%s", err.msg);
    return e;
}

/* A built-in function over args (taken). */
static wr_expr *fn(const char *name, wr_expr **args, int nargs)
{
    wr_expr **a = wr_malloc((size_t)(nargs ? nargs : 1) * sizeof(wr_expr *));
    for (int i = 0; i < nargs; i++) a[i] = args[i];
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_func_bind(name, a, nargs, 0, &err);
    cr_assert_not_null(e, "%s", err.msg);
    return e;
}

static int32_t int_at(const wr_batch *batch, int col, int row)
{
    return ((const int32_t *)batch->cols[col].data)[row];
}

static wr_str str_at(const wr_batch *batch, int col, int row)
{
    return ((const wr_str *)batch->cols[col].data)[row];
}

static bool str_is(wr_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/*
 * Runs subtask `subtask` of parallelism of a source to its end into cap.
 * Returns the first error of run (err set), or 0.
 */
static int run_source(const wr_operator_spec *spec, int subtask, int parallelism, capture *cap,
                      wr_error *err)
{
    wr_op_ctx ctx;
    wr_error_init(err);
    ctx_init(&ctx, subtask, parallelism, &cap->base);
    wr_operator *op = spec->ops->create(spec->spec, &ctx, err);
    cr_assert(op, "%s", err->msg);
    op->ctx = &ctx;
    if (spec->ops->open) cr_assert_eq(spec->ops->open(op, err), 0, "%s", err->msg);
    int rc = 0;
    for (int runs = 0;; runs++) {
        wr_source_status status;
        /* The sources here end after a few batches; one that does not is a failure, not a hang. */
        cr_assert(runs < 10000, "the source does not end");
        if ((rc = spec->ops->run(op, &status, err))) break;
        if (status == WR_SOURCE_END) break;
        if (status == WR_SOURCE_IDLE) wr_clock_sleep_ns(ctx.idle_until_ns - wr_clock_mono_ns());
    }
    spec->ops->destroy(op);
    return rc;
}

/* Every subtask of a source, into one capture; asserts that none fails. */
static void read_all(const wr_operator_spec *spec, int parallelism, capture *cap)
{
    capture_init(cap);
    wr_error err;
    for (int s = 0; s < parallelism; s++)
        cr_assert_eq(run_source(spec, s, parallelism, cap, &err), 0, "%s", err.msg);
}

/* ---- constant folding -------------------------------------------------------------- */

Test(fold, arithmetic_keeps_its_type)
{
    wr_expr *e = call2(WR_FN_ADD, lit(40), call2(WR_FN_MUL, lit(1), lit(2), INT_NN), INT_NN);
    cr_assert(wr_expr_is_foldable(e));
    wr_error err;
    wr_error_init(&err);
    wr_expr *c = wr_expr_fold(e, &err);
    cr_assert_not_null(c, "%s", err.msg);
    cr_assert_eq(c->kind, WR_EXPR_CONST);
    cr_assert(wr_type_equal(c->type, INT_NN));
    cr_assert_null(c->cvec.validity);
    /* A constant's value is in every slot: evaluation hands the vector out as it is. */
    cr_assert_eq(((const int32_t *)c->cvec.data)[0], 42);
    cr_assert_eq(((const int32_t *)c->cvec.data)[WR_BATCH_CAPACITY - 1], 42);
    wr_expr_free(c);
    wr_expr_free(e);
}

Test(fold, strings_and_functions)
{
    wr_expr *abc = wr_expr_string(wr_type_make(WR_TYPE_VARCHAR, false), "abc", 3, 0);
    wr_expr *e = fn("UPPER", &abc, 1);
    cr_assert(wr_expr_is_foldable(e));
    wr_error err;
    wr_error_init(&err);
    wr_expr *c = wr_expr_fold(e, &err);
    cr_assert_not_null(c, "%s", err.msg);
    cr_assert(wr_type_equal(c->type, e->type));
    cr_assert(str_is(((const wr_str *)c->cvec.data)[0], "ABC"));
    cr_assert(str_is(((const wr_str *)c->cvec.data)[WR_BATCH_CAPACITY - 1], "ABC"));
    wr_buf text;
    wr_buf_init(&text);
    wr_expr_format(c, NULL, &text);
    cr_assert_str_eq(text.data, "'ABC'");
    wr_buf_fini(&text);
    wr_expr_free(c);
    wr_expr_free(e);
}

Test(fold, null_keeps_a_nullable_type)
{
    wr_expr *e = call2(WR_FN_ADD, wr_expr_null(INT_N, 0), lit(1), INT_N);
    wr_error err;
    wr_error_init(&err);
    wr_expr *c = wr_expr_fold(e, &err);
    cr_assert_not_null(c, "%s", err.msg);
    cr_assert(wr_type_equal(c->type, INT_N));
    cr_assert(wr_vector_is_null(&c->cvec, 0));
    cr_assert(wr_vector_is_null(&c->cvec, WR_BATCH_CAPACITY - 1));
    wr_expr_free(c);
    wr_expr_free(e);
}

Test(fold, a_failing_evaluation_is_left_to_run_time)
{
    wr_expr *e = call2(WR_FN_DIV, lit(1), lit(0), INT_NN);
    cr_assert(wr_expr_is_foldable(e));
    wr_error err;
    wr_error_init(&err);
    cr_assert_null(wr_expr_fold(e, &err));
    cr_assert_neq(err.code, 0);
    cr_assert(strstr(err.msg, "division by zero"), "%s", err.msg);
    /* The expression itself is untouched and still fails when evaluated. */
    cr_assert_eq(e->kind, WR_EXPR_CALL);
    wr_expr_free(e);
}

Test(fold, columns_and_nondeterministic_calls_are_not_foldable)
{
    wr_expr *e = call2(WR_FN_ADD, wr_expr_column(0, INT_N, 0), lit(1), INT_N);
    cr_assert_not(wr_expr_is_foldable(e));
    cr_assert(wr_expr_is_foldable(e->args[1]));
    wr_expr_free(e);

    wr_expr *rand = fn("RAND", NULL, 0);
    cr_assert(rand->nondeterministic);
    cr_assert(wr_expr_is_constant(rand));     /* reads no column ... */
    cr_assert_not(wr_expr_is_foldable(rand)); /* ... but gives another value each time */
    wr_expr *cmp = call2(WR_FN_LT, rand, wr_expr_double(wr_type_make(WR_TYPE_DOUBLE, false), 2, 0),
                         wr_type_make(WR_TYPE_BOOLEAN, false));
    cr_assert_not(wr_expr_is_foldable(cmp));
    wr_expr_free(cmp);

    wr_expr *now = fn("CURRENT_TIMESTAMP", NULL, 0);
    cr_assert_not(wr_expr_is_foldable(now));
    wr_expr_free(now);

    cr_assert_not(wr_func_is_deterministic(wr_func_find("uuid")));
    cr_assert_not(wr_func_is_deterministic(wr_func_find("NOW")));
    cr_assert(wr_func_is_deterministic(wr_func_find("UPPER")));
    cr_assert(wr_func_is_deterministic(wr_func_find("ABS")));
}

/* ---- CSV: fields that are not read ------------------------------------------------ */

/* a INT NOT NULL, b INT, c INT, d STRING: the fields of every line below. */
static wr_schema *csv_schema(void)
{
    wr_type types[] = {INT_NN, INT_N, INT_N, wr_type_make(WR_TYPE_VARCHAR, true)};
    return schema_of("a,b,c,d", types);
}

/* Reads b and d only: a and c are scanned and skipped. */
static const int csv_targets[] = {-1, 0, -1, 1};

static int decode_bd(const char *line, wr_batch *batch, wr_error *err)
{
    wr_schema *schema = csv_schema();
    wr_csv_options o;
    wr_csv_options_default(&o);
    wr_error_init(err);
    int rc = wr_csv_decode_fields(&o, schema, csv_targets, line, strlen(line), batch, err);
    wr_schema_free(schema);
    return rc;
}

static wr_batch *bd_batch(void)
{
    return wr_batch_new((wr_type[]){INT_N, wr_type_make(WR_TYPE_VARCHAR, true)}, 2,
                        WR_BATCH_CAPACITY);
}

Test(csv_fields, skipped_fields_are_not_converted)
{
    wr_batch *batch = bd_batch();
    wr_error err;
    /* 'x' is no INT and a NULL in NOT NULL a, 'zz' no INT: neither is read. */
    cr_assert_eq(decode_bd("x,2,zz,two", batch, &err), 0, "%s", err.msg);
    cr_assert_eq(decode_bd(",3,,\"th,ree\"", batch, &err), 0, "%s", err.msg);
    cr_assert_eq(batch->count, 2);
    cr_assert_eq(int_at(batch, 0, 0), 2);
    cr_assert(str_is(str_at(batch, 1, 0), "two"));
    cr_assert_eq(int_at(batch, 0, 1), 3);
    cr_assert(str_is(str_at(batch, 1, 1), "th,ree"));
    wr_batch_free(batch);
}

Test(csv_fields, read_fields_are_still_checked)
{
    wr_batch *batch = bd_batch();
    wr_error err;
    cr_assert_eq(decode_bd("1,x,3,d", batch, &err), WR_ERR_PARSE);
    cr_assert(strstr(err.msg, "field 'b' at offset 2: invalid INT 'x'"), "%s", err.msg);
    cr_assert_eq(batch->count, 0);
    wr_batch_free(batch);
}

Test(csv_fields, field_count_and_quoting_are_checked_everywhere)
{
    wr_batch *batch = bd_batch();
    wr_error err;
    cr_assert_eq(decode_bd("1,2,3", batch, &err), WR_ERR_PARSE);
    cr_assert(strstr(err.msg, "expected 4 fields, found 3"), "%s", err.msg);
    cr_assert_eq(decode_bd("1,2,3,4,5", batch, &err), WR_ERR_PARSE);
    cr_assert(strstr(err.msg, "expected 4 fields, found 5"), "%s", err.msg);
    /* Broken quoting in a skipped field is broken syntax. */
    cr_assert_eq(decode_bd("\"1,2,3,4", batch, &err), WR_ERR_PARSE);
    cr_assert(strstr(err.msg, "field 'a' at offset 0: unterminated quoted field"), "%s", err.msg);
    cr_assert_eq(decode_bd("1,2,\"3\"x,4", batch, &err), WR_ERR_PARSE);
    cr_assert(strstr(err.msg, "field 'c'"), "%s", err.msg);
    cr_assert_eq(batch->count, 0);
    wr_batch_free(batch);
}

Test(csv_fields, no_field_read_counts_rows)
{
    wr_schema *schema = csv_schema();
    wr_batch *batch = wr_batch_new(NULL, 0, WR_BATCH_CAPACITY);
    const int none[] = {-1, -1, -1, -1};
    wr_csv_options o;
    wr_csv_options_default(&o);
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_csv_decode_fields(&o, schema, none, "a,b,c,d", 7, batch, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(wr_csv_decode_fields(&o, schema, none, "a,b,c", 5, batch, &err), WR_ERR_PARSE);
    cr_assert_eq(batch->count, 1);
    wr_batch_free(batch);
    wr_schema_free(schema);
}

/* ---- memtable: columns and filters ------------------------------------------------- */

/* a INT, b STRING, c INT: rows (i, "s<i>", 2 * i) for i in 0..n-1, committed. */
static wr_memtable *table_of(int n, wr_schema **schema_out)
{
    wr_type types[] = {INT_N, wr_type_make(WR_TYPE_VARCHAR, true), INT_N};
    wr_schema *schema = schema_of("a,b,c", types);
    wr_memtable *mt = wr_memtable_new(schema);
    wr_memtable_txn *txn = wr_memtable_begin(mt, false);
    wr_operator_spec spec = wr_memtable_sink_spec(txn);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    op->ctx = &ctx;
    wr_batch *b = wr_batch_new(schema->types, schema->ncols, WR_BATCH_CAPACITY);
    for (int i = 0; i < n; i++) {
        char s[32];
        int len = snprintf(s, sizeof(s), "s%d", i);
        ((int32_t *)b->cols[0].data)[b->count] = i;
        ((wr_str *)b->cols[1].data)[b->count] = wr_batch_str(b, s, (size_t)len);
        ((int32_t *)b->cols[2].data)[b->count] = 2 * i;
        if (++b->count == WR_BATCH_CAPACITY || i == n - 1) {
            cr_assert_eq(spec.ops->process(op, 0, b, &err), 0, "%s", err.msg);
            wr_batch_reset(b);
        }
    }
    cr_assert_eq(spec.ops->end_input(op, 0, &err), 0, "%s", err.msg);
    spec.ops->destroy(op);
    wr_operator_spec_fini(&spec);
    wr_memtable_commit(txn);
    wr_batch_free(b);
    *schema_out = schema;
    return mt;
}

typedef struct ca_rows {
    int n, *seen;
} ca_rows;

/* Rows of (c, a): c is 2 * a, a below the filter's bound. */
static void check_ca(const wr_batch *batch, int row, void *arg)
{
    ca_rows *r = arg;
    int c = int_at(batch, 0, row), a = int_at(batch, 1, row);
    cr_assert_eq(c, 2 * a);
    cr_assert(a >= 0 && a < r->n, "row a = %d passed the filter", a);
    r->seen[a]++;
}

Test(memtable_scan, produces_the_requested_columns_of_passing_rows)
{
    wr_schema *schema;
    wr_memtable *mt = table_of(3000, &schema);
    const int cols[] = {2, 0};
    wr_expr *filters[] = {call2(WR_FN_LT, wr_expr_column(0, INT_N, 0), lit(1500), BOOL_N),
                          call2(WR_FN_GE, wr_expr_column(2, INT_N, 0), lit(0), BOOL_N)};
    wr_scan_request req = {cols, 2, filters, 2};
    cr_assert(wr_memtable_accepts_filter(filters[0]));
    wr_operator_spec spec = wr_memtable_source_spec(mt, &req);
    /* The source took the filters. */
    cr_assert_null(filters[0]);
    cr_assert_null(filters[1]);
    capture cap;
    read_all(&spec, 2, &cap);
    cr_assert_eq(cap.rows, 1500);
    for (int i = 0; i < cap.nbatches; i++) {
        cr_assert_eq(cap.batches[i]->ncols, 2);
        cr_assert_eq(cap.batches[i]->cols[0].type.id, WR_TYPE_INT);
    }
    ca_rows r = {1500, calloc(1500, sizeof(int))};
    capture_each(&cap, check_ca, &r);
    for (int a = 0; a < 1500; a++) cr_assert_eq(r.seen[a], 1, "row %d seen %d times", a, r.seen[a]);
    free(r.seen);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}

Test(memtable_scan, no_column_still_counts_rows)
{
    wr_schema *schema;
    wr_memtable *mt = table_of(2500, &schema);
    wr_scan_request req = {NULL, 0, NULL, 0};
    wr_operator_spec spec = wr_memtable_source_spec(mt, &req);
    capture cap;
    read_all(&spec, 3, &cap);
    cr_assert_eq(cap.rows, 2500);
    for (int i = 0; i < cap.nbatches; i++) cr_assert_eq(cap.batches[i]->ncols, 0);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}

/* A filter that fails on a=5 (10 / (a - 5)): an error where a row reaches it, none otherwise. */
static wr_expr *failing_filter(void)
{
    wr_expr *diff = call2(WR_FN_SUB, wr_expr_column(0, INT_N, 0), lit(5), INT_N);
    return call2(WR_FN_GT, call2(WR_FN_DIV, lit(10), diff, INT_N), lit(0), BOOL_N);
}

Test(memtable_scan, a_failing_filter_fails_only_on_rows)
{
    wr_schema *schema;
    const int cols[] = {1};
    wr_memtable *mt = table_of(10, &schema);
    wr_expr *filters[] = {failing_filter()};
    wr_scan_request req = {cols, 1, filters, 1};
    wr_operator_spec spec = wr_memtable_source_spec(mt, &req);
    capture cap;
    capture_init(&cap);
    wr_error err;
    cr_assert_eq(run_source(&spec, 0, 1, &cap, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "division by zero"), "%s", err.msg);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_memtable_free(mt);
    wr_schema_free(schema);

    mt = table_of(0, &schema);
    filters[0] = failing_filter();
    spec = wr_memtable_source_spec(mt, &req);
    read_all(&spec, 1, &cap);
    cr_assert_eq(cap.rows, 0);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_memtable_free(mt);
    wr_schema_free(schema);
}

/* ---- datagen: columns -------------------------------------------------------------- */

static wr_schema *datagen_schema(void)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, false), INT_N,
                       wr_type_make(WR_TYPE_VARCHAR, true)};
    return schema_of("s,r,k", types);
}

static const char *const datagen_kv[] = {"fields.s.kind=sequence", "fields.s.start=1",
                                         "fields.s.end=3000",      "fields.r.min=5",
                                         "fields.r.max=6",         "rows-per-second=1000000000000"};

static void check_r(const wr_batch *batch, int row, void *arg)
{
    int r = int_at(batch, 0, row);
    cr_assert(r == 5 || r == 6, "r = %d", r);
}

Test(datagen_scan, a_sequence_not_produced_still_bounds_the_rows)
{
    wr_schema *schema = datagen_schema();
    const int cols[] = {1};
    wr_scan_request req = {cols, 1, NULL, 0};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source_request("datagen", schema, datagen_kv, 6, &req, &spec, &err), 0, "%s",
                 err.msg);
    cr_assert(spec.bounded);
    capture cap;
    read_all(&spec, 2, &cap);
    cr_assert_eq(cap.rows, 3000);
    for (int i = 0; i < cap.nbatches; i++) {
        cr_assert_eq(cap.batches[i]->ncols, 1);
        cr_assert_eq(cap.batches[i]->cols[0].type.id, WR_TYPE_INT);
    }
    capture_each(&cap, check_r, NULL);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

static void count_s(const wr_batch *batch, int row, void *arg)
{
    int64_t s = ((const int64_t *)batch->cols[0].data)[row];
    cr_assert(s >= 1 && s <= 3000, "s = %lld", (long long)s);
    ((int *)arg)[s - 1]++;
}

Test(datagen_scan, a_produced_sequence_keeps_its_values)
{
    wr_schema *schema = datagen_schema();
    const int cols[] = {0};
    wr_scan_request req = {cols, 1, NULL, 0};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source_request("datagen", schema, datagen_kv, 6, &req, &spec, &err), 0, "%s",
                 err.msg);
    capture cap;
    read_all(&spec, 3, &cap);
    int *seen = calloc(3000, sizeof(int));
    capture_each(&cap, count_s, seen);
    for (int i = 0; i < 3000; i++) cr_assert_eq(seen[i], 1, "s = %d seen %d times", i + 1, seen[i]);
    free(seen);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);

    /* No column at all: the same number of rows. */
    req.ncolumns = 0;
    cr_assert_eq(plan_source_request("datagen", schema, datagen_kv, 6, &req, &spec, &err), 0, "%s",
                 err.msg);
    read_all(&spec, 2, &cap);
    cr_assert_eq(cap.rows, 3000);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(datagen_scan, options_of_columns_not_produced_are_still_validated)
{
    wr_schema *schema = datagen_schema();
    const int cols[] = {1};
    wr_scan_request req = {cols, 1, NULL, 0};
    const char *kv[] = {"fields.k.length=-1"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source_request("datagen", schema, kv, 1, &req, &spec, &err),
                 WR_ERR_VALIDATION);
    cr_assert(strstr(err.msg, "fields.k.length"), "%s", err.msg);
    wr_schema_free(schema);
}

/* ---- filesystem: columns ------------------------------------------------------------- */

TestSuite(fs_scan, .init = tmp_init, .fini = tmp_fini);

static void check_name_id(const wr_batch *batch, int row, void *arg)
{
    int *n = arg;
    int id = int_at(batch, 1, row);
    char want[16];
    snprintf(want, sizeof(want), "n%d", id);
    cr_assert(str_is(str_at(batch, 0, row), want), "row %d", id);
    (*n)++;
}

Test(fs_scan, csv_decodes_the_requested_fields)
{
    /* score is bad on line 1, but never read. */
    tmp_file("in.csv", "1,n1,oops,x\n2,n2,20,y\n3,n3,30,z\n");
    wr_type types[] = {INT_N, wr_type_make(WR_TYPE_VARCHAR, true), INT_N,
                       wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("id,name,score,note", types);
    char path[128];
    snprintf(path, sizeof(path), "path=%s/in.csv", tmp_dir);
    const char *kv[] = {path, "format=csv"};
    const int cols[] = {1, 0};
    wr_scan_request req = {cols, 2, NULL, 0};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source_request("filesystem", schema, kv, 2, &req, &spec, &err), 0, "%s",
                 err.msg);
    capture cap;
    read_all(&spec, 1, &cap);
    int n = 0;
    capture_each(&cap, check_name_id, &n);
    cr_assert_eq(n, 3);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);

    /* Reading score fails on line 1, with the file and line. */
    const int score[] = {2};
    req = (wr_scan_request){score, 1, NULL, 0};
    cr_assert_eq(plan_source_request("filesystem", schema, kv, 2, &req, &spec, &err), 0, "%s",
                 err.msg);
    capture_init(&cap);
    cr_assert_eq(run_source(&spec, 0, 1, &cap, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "line 1: field 'score' at offset 5: invalid INT 'oops'"), "%s",
              err.msg);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(fs_scan, json_checks_only_the_syntax_of_members_not_read)
{
    tmp_file("in.json",
             "{\"id\": 1, \"name\": \"n1\", \"score\": \"bad\", \"x\": [1, {\"y\": 2}]}\n"
             "{\"name\": \"n2\", \"id\": 2}\n");
    wr_type types[] = {INT_N, wr_type_make(WR_TYPE_VARCHAR, true), INT_NN};
    wr_schema *schema = schema_of("id,name,score", types);
    char path[128];
    snprintf(path, sizeof(path), "path=%s/in.json", tmp_dir);
    /* score is missing on line 2 (and NOT NULL), bad on line 1: neither matters unread. */
    const char *kv[] = {path, "format=json", "json.fail-on-missing-field=true"};
    const int cols[] = {1, 0};
    wr_scan_request req = {cols, 2, NULL, 0};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source_request("filesystem", schema, kv, 3, &req, &spec, &err), 0, "%s",
                 err.msg);
    capture cap;
    read_all(&spec, 1, &cap);
    int n = 0;
    capture_each(&cap, check_name_id, &n);
    cr_assert_eq(n, 2);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);

    /* Broken syntax in a member not read is still an error. */
    tmp_file("in.json", "{\"id\": 1, \"name\": \"n1\", \"score\": [1, }\n");
    cr_assert_eq(plan_source_request("filesystem", schema, kv, 3, &req, &spec, &err), 0, "%s",
                 err.msg);
    capture_init(&cap);
    cr_assert_eq(run_source(&spec, 0, 1, &cap, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "line 1:"), "%s", err.msg);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(fs_scan, raw_without_its_column_counts_lines)
{
    tmp_file("in.txt", "a\n\nccc\nd");
    wr_type t = wr_type_make(WR_TYPE_VARCHAR, true);
    wr_schema *schema = schema_of("line", &t);
    char path[128];
    snprintf(path, sizeof(path), "path=%s/in.txt", tmp_dir);
    const char *kv[] = {path, "format=raw"};
    wr_scan_request req = {NULL, 0, NULL, 0};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source_request("filesystem", schema, kv, 2, &req, &spec, &err), 0, "%s",
                 err.msg);
    capture cap;
    read_all(&spec, 1, &cap);
    cr_assert_eq(cap.rows, 4);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(scan_request, columns_of_a_full_scan)
{
    wr_type types[] = {INT_N, INT_N, INT_N};
    wr_schema *schema = schema_of("a,b,c", types);
    int n;
    int *cols = wr_scan_request_columns(NULL, schema, &n);
    cr_assert_eq(n, 3);
    for (int i = 0; i < 3; i++) cr_assert_eq(cols[i], i);
    wr_free(cols);
    const int some[] = {2, 0};
    wr_scan_request req = {some, 2, NULL, 0};
    cols = wr_scan_request_columns(&req, schema, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(cols[0], 2);
    cr_assert_eq(cols[1], 0);
    wr_free(cols);
    wr_schema_free(schema);
}

/* ---- plans ----------------------------------------------------------------------------- */

Test(plan, make_empty_keeps_the_schema_and_drops_the_inputs)
{
    wr_plan *values = wr_plan_new(WR_PLAN_VALUES);
    wr_schema_add(values->schema, "a", INT_N);
    wr_plan *calc = wr_plan_new(WR_PLAN_CALC);
    calc->input = wr_plan_ref(values); /* values: owned by calc and by this test */
    calc->projs = wr_malloc(sizeof(wr_expr *));
    calc->projs[0] = wr_expr_column(0, INT_N, 0);
    calc->nprojs = 1;
    calc->filter = wr_expr_bool(false, 0);
    wr_schema_add(calc->schema, "x", INT_N);
    wr_plan_ref(calc); /* a second reader keeps its pointer */
    wr_plan_make_empty(calc);
    cr_assert_eq(calc->kind, WR_PLAN_VALUES);
    cr_assert_eq(calc->refs, 2);
    cr_assert_eq(calc->nbatches, 0);
    cr_assert_null(calc->input);
    cr_assert_null(calc->filter);
    cr_assert_eq(calc->nprojs, 0);
    cr_assert_eq(calc->schema->ncols, 1);
    cr_assert_str_eq(calc->schema->names[0], "x");
    cr_assert_eq(values->refs, 1);
    wr_buf text;
    wr_buf_init(&text);
    wr_plan_explain(calc, &text);
    cr_assert_str_eq(text.data, "Values(rows=[0], fields=[x])\n");
    wr_buf_fini(&text);
    wr_plan_free(calc);
    wr_plan_free(calc);
    wr_plan_free(values);
}
