/*
 * test_sort.c — sort, Top-N and LIMIT, driven directly as the runtime would:
 * orders checked row by row against a stable reference sort over several
 * keys (ASC/DESC, NULLS FIRST/LAST, strings as bytes, NaN and -0.0),
 * offset/limit windows, Top-N with ties and its bounded memory, LIMIT without
 * keys passing rows through, empty input and bad specs.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/ops/sort.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows: a INT, b VARCHAR, c DOUBLE (all nullable), seq BIGINT NOT NULL (arrival order). */
static const wr_type TYPES[] = {{WR_TYPE_INT, true, 0, 0},
                                {WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0},
                                {WR_TYPE_DOUBLE, true, 0, 0},
                                {WR_TYPE_BIGINT, false, 0, 0}};

typedef struct row {
    bool a_null, b_null, c_null;
    int32_t a;
    char b[24];
    uint32_t blen; /* b may hold NUL bytes */
    double c;
} row;

/* ---- the reference ------------------------------------------------------------- */

static int cmp_num(double x, double y)
{
    if (x < y) return -1;
    if (x > y) return 1;
    if (x == y) return 0;
    return (int)isnan(x) - (int)isnan(y);
}

static int cmp_key(const row *x, const row *y, const wr_sort_key *key)
{
    bool xn = key->col == 0 ? x->a_null : key->col == 1 ? x->b_null : x->c_null;
    bool yn = key->col == 0 ? y->a_null : key->col == 1 ? y->b_null : y->c_null;
    if (xn || yn) {
        if (xn && yn) return 0;
        return xn == key->nulls_first ? -1 : 1;
    }
    int c;
    if (key->col == 0) {
        c = (x->a > y->a) - (x->a < y->a);
    } else if (key->col == 1) {
        uint32_t n = x->blen < y->blen ? x->blen : y->blen;
        c = memcmp(x->b, y->b, n);
        c = c ? (c > 0 ? 1 : -1) : (x->blen > y->blen) - (x->blen < y->blen);
    } else {
        c = cmp_num(x->c, y->c);
    }
    return key->desc ? -c : c;
}

static const row *ref_rows;
static const wr_sort_key *ref_keys;
static int ref_nkeys;

static int cmp_ref(const void *pa, const void *pb)
{
    int64_t i = *(const int64_t *)pa, j = *(const int64_t *)pb;
    for (int k = 0; k < ref_nkeys; k++) {
        int c = cmp_key(&ref_rows[i], &ref_rows[j], &ref_keys[k]);
        if (c) return c;
    }
    return (i > j) - (i < j); /* stable: arrival order */
}

/* The seq values the sort should emit, in order; returns their count. */
static int reference(const row *rows, int n, const wr_sort_key *keys, int nkeys, int64_t offset,
                     int64_t limit, int64_t *out)
{
    int64_t *idx = malloc(((size_t)n + 1) * sizeof(int64_t));
    for (int i = 0; i < n; i++) idx[i] = i;
    ref_rows = rows;
    ref_keys = keys;
    ref_nkeys = nkeys;
    if (nkeys > 0) qsort(idx, (size_t)n, sizeof(int64_t), cmp_ref);
    int m = 0;
    for (int64_t i = offset; i < n && (limit < 0 || i < offset + limit); i++) out[m++] = idx[i];
    free(idx);
    return m;
}

/*
 * Bytes the process has allocated and not freed, from the sanitizer's
 * allocator (the unit tests run under ASan); 0 when it is not linked in.
 */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static long heap_bytes(void)
{
    return __sanitizer_get_current_allocated_bytes ? (long)__sanitizer_get_current_allocated_bytes()
                                                   : 0;
}

/* ---- running the operator ------------------------------------------------------ */

static wr_batch *rows_batch(const row *rows, int from, int n, bool with_sel)
{
    /* With a selection the batch has twice the rows, so it may exceed WR_BATCH_CAPACITY. */
    int capacity = with_sel ? 2 * n : n;
    wr_batch *batch = wr_batch_new(TYPES, 4, capacity > 0 ? capacity : 1);
    uint32_t *sel = with_sel ? wr_batch_sel_buffer(batch) : NULL;
    int p = 0;
    for (int i = 0; i < n; i++) {
        if (with_sel) {
            /* A skipped row that would sort first everywhere. */
            ((int32_t *)batch->cols[0].data)[p] = INT32_MIN;
            ((wr_str *)batch->cols[1].data)[p] = wr_batch_str(batch, "", 0);
            ((double *)batch->cols[2].data)[p] = -INFINITY;
            ((int64_t *)batch->cols[3].data)[p] = -1;
            p++;
            sel[i] = (uint32_t)p;
        }
        const row *r = &rows[from + i];
        ((int32_t *)batch->cols[0].data)[p] = r->a;
        ((wr_str *)batch->cols[1].data)[p] = wr_batch_str(batch, r->b, r->blen);
        ((double *)batch->cols[2].data)[p] = r->c;
        ((int64_t *)batch->cols[3].data)[p] = from + i;
        if (r->a_null) wr_batch_set_null(batch, 0, p);
        if (r->b_null) wr_batch_set_null(batch, 1, p);
        if (r->c_null) wr_batch_set_null(batch, 2, p);
        p++;
    }
    batch->count = p;
    if (with_sel) {
        batch->sel = sel;
        batch->nsel = n;
    }
    return batch;
}

typedef struct collected {
    int64_t *seq;
    int n;
    const row *rows; /* to check that every column came along */
} collected;

static void collect_row(const wr_batch *batch, int r, void *arg)
{
    collected *c = arg;
    int64_t seq = ((int64_t *)batch->cols[3].data)[r];
    cr_assert(seq >= 0, "a row outside the selection was emitted");
    const row *want = &c->rows[seq];
    cr_assert_eq(wr_vector_is_null(&batch->cols[0], r), want->a_null);
    cr_assert_eq(wr_vector_is_null(&batch->cols[1], r), want->b_null);
    cr_assert_eq(wr_vector_is_null(&batch->cols[2], r), want->c_null);
    if (!want->a_null) cr_assert_eq(((int32_t *)batch->cols[0].data)[r], want->a);
    if (!want->b_null) {
        wr_str s = ((wr_str *)batch->cols[1].data)[r];
        cr_assert(s.len == want->blen && memcmp(s.ptr, want->b, s.len) == 0);
    }
    if (!want->c_null) {
        double x = ((double *)batch->cols[2].data)[r];
        cr_assert(memcmp(&x, &want->c, sizeof(x)) == 0);
    }
    c->seq[c->n++] = seq;
}

/*
 * Sorts rows in batches of batch_rows (every other one with a selection);
 * returns the emitted seq values. heap_growth, if given, receives the most
 * heap bytes seen allocated above the start while input was arriving.
 */
static int run_sort(const row *rows, int n, const wr_sort_key *keys, int nkeys, int64_t offset,
                    int64_t limit, int batch_rows, int64_t *out, long *heap_growth)
{
    wr_operator_spec spec = wr_sort_spec(TYPES, 4, keys, nkeys, offset, limit);
    capture cap;
    capture_init(&cap);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, &cap.base);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_not_null(op, "%s", err.msg);
    long base = heap_bytes(), most = 0;
    for (int from = 0, b = 0; from < n; from += batch_rows, b++) {
        int m = n - from < batch_rows ? n - from : batch_rows;
        wr_batch *batch = rows_batch(rows, from, m, b % 2 == 1);
        cr_assert_eq(spec.ops->process(op, 0, batch, &err), 0, "%s", err.msg);
        wr_batch_free(batch);
        long live = heap_bytes() - base;
        if (live > most) most = live;
        /* With keys nothing comes out before the end of input. */
        if (nkeys > 0) cr_assert_eq(cap.rows, 0);
    }
    cr_assert_eq(spec.ops->end_input(op, 0, &err), 0, "%s", err.msg);
    /* Output goes to the capture, which allocates: count growth before the end only. */
    if (heap_growth) *heap_growth = most;
    collected c = {out, 0, rows};
    capture_each(&cap, collect_row, &c);
    cr_assert_eq(ctx.rows_out, c.n);
    for (int b = 0; b < cap.nbatches; b++) cr_assert_leq(cap.batches[b]->count, WR_BATCH_CAPACITY);
    spec.ops->destroy(op);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    return c.n;
}

static void check(const row *rows, int n, const wr_sort_key *keys, int nkeys, int64_t offset,
                  int64_t limit, int batch_rows)
{
    int64_t *want = malloc(((size_t)n + 1) * sizeof(int64_t));
    int64_t *got = malloc(((size_t)n + 1) * sizeof(int64_t));
    int nw = reference(rows, n, keys, nkeys, offset, limit, want);
    int ng = run_sort(rows, n, keys, nkeys, offset, limit, batch_rows, got, NULL);
    cr_assert_eq(ng, nw, "%d rows, want %d (offset %lld, limit %lld)", ng, nw, (long long)offset,
                 (long long)limit);
    for (int i = 0; i < nw; i++)
        cr_assert_eq(got[i], want[i], "row %d: seq %lld, want %lld (offset %lld, limit %lld)", i,
                     (long long)got[i], (long long)want[i], (long long)offset, (long long)limit);
    free(want);
    free(got);
}

/* ---- data ------------------------------------------------------------------------ */

static uint64_t rnd(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 33;
}

/* Random rows over small domains (many ties), about 10% NULLs per column. */
static row *random_rows(int n, uint64_t seed)
{
    static const char *const words[] = {"",
                                        "a",
                                        "ab",
                                        "abc",
                                        "b",
                                        "ba",
                                        "zz",
                                        "\xc3\xa9",
                                        "A",
                                        "apple pie with cream",
                                        "apple pie with crumble"};
    static const double nums[] = {-1.5, 0.0, -0.0, 2.25, 1e300, -INFINITY, INFINITY, NAN, 3};
    row *rows = calloc((size_t)n + 1, sizeof(row));
    for (int i = 0; i < n; i++) {
        row *r = &rows[i];
        r->a_null = rnd(&seed) % 10 == 0;
        r->a = (int32_t)(rnd(&seed) % 7) - 3;
        if (rnd(&seed) % 50 == 0) r->a = rnd(&seed) % 2 ? INT32_MAX : INT32_MIN;
        r->b_null = rnd(&seed) % 10 == 0;
        const char *w = words[rnd(&seed) % (sizeof(words) / sizeof(words[0]))];
        r->blen = (uint32_t)strlen(w);
        memcpy(r->b, w, r->blen);
        if (rnd(&seed) % 20 == 0) r->b[r->blen++] = '\0'; /* "ab\0" sorts after "ab" */
        r->c_null = rnd(&seed) % 10 == 0;
        r->c = nums[rnd(&seed) % (sizeof(nums) / sizeof(nums[0]))];
    }
    return rows;
}

#define KEY(col, desc, nf) ((wr_sort_key){(col), (desc), (nf)})

/* ---- tests ------------------------------------------------------------------------ */

Test(sort, single_keys_every_direction_and_null_placement)
{
    row *rows = random_rows(3000, 1);
    for (int col = 0; col < 3; col++)
        for (int desc = 0; desc < 2; desc++)
            for (int nf = 0; nf < 2; nf++) {
                wr_sort_key k = KEY(col, desc, nf);
                check(rows, 3000, &k, 1, 0, -1, 100);
                check(rows, 40, &k, 1, 0, -1, 7); /* small: merge sort only */
            }
    free(rows);
}

Test(sort, multiple_keys)
{
    row *rows = random_rows(5000, 2);
    wr_sort_key keys[][3] = {
        {KEY(0, false, false), KEY(1, true, true), KEY(2, false, true)},
        {KEY(1, false, false), KEY(2, true, false), KEY(0, true, true)},
        {KEY(2, true, true), KEY(0, false, false), KEY(1, false, true)},
    };
    for (int i = 0; i < 3; i++) {
        check(rows, 5000, keys[i], 3, 0, -1, 1024);
        check(rows, 5000, keys[i], 2, 0, -1, 333);
    }
    free(rows);
}

Test(sort, stable_for_equal_keys)
{
    /* One key with three values: every run of equal keys must keep arrival order. */
    row *rows = calloc(2000, sizeof(row));
    for (int i = 0; i < 2000; i++) rows[i].a = i % 3;
    wr_sort_key k = KEY(0, true, false);
    int64_t got[2000];
    cr_assert_eq(run_sort(rows, 2000, &k, 1, 0, -1, 100, got, NULL), 2000);
    for (int i = 1; i < 2000; i++) {
        int32_t a = rows[got[i - 1]].a, b = rows[got[i]].a;
        cr_assert(a > b || (a == b && got[i - 1] < got[i]), "rows %d and %d", i - 1, i);
    }
    /* Strings with one long common prefix: all ties go through the comparator. */
    for (int i = 0; i < 2000; i++) {
        rows[i].blen = (uint32_t)sprintf(rows[i].b, "same prefix %d", i % 2);
    }
    k = KEY(1, false, false);
    check(rows, 2000, &k, 1, 0, -1, 512);
    free(rows);
}

Test(sort, strings_order_by_bytes_then_length)
{
    static const char *const words[] = {"b", "a\xff", "a", "", "a\0", "ab", "\xc3\xa9", "Z"};
    static const uint32_t lens[] = {1, 2, 1, 0, 2, 2, 2, 1};
    row rows[8] = {{0}};
    for (int i = 0; i < 8; i++) {
        memcpy(rows[i].b, words[i], lens[i]);
        rows[i].blen = lens[i];
    }
    wr_sort_key k = KEY(1, false, false);
    int64_t got[8];
    cr_assert_eq(run_sort(rows, 8, &k, 1, 0, -1, 3, got, NULL), 8);
    /* "", "Z", "a", "a\0", "ab", "a\xff", "b", "é": bytes unsigned, a prefix first. */
    static const int64_t want[] = {3, 7, 2, 4, 5, 1, 0, 6};
    for (int i = 0; i < 8; i++)
        cr_assert_eq(got[i], want[i], "position %d: %lld", i, (long long)got[i]);
}

Test(sort, floats_nan_last_and_negative_zero_equal)
{
    static const double vals[] = {NAN, 1.0, -0.0, -INFINITY, 0.0, INFINITY, -2.5, -0.0, NAN};
    row rows[9] = {{0}};
    for (int i = 0; i < 9; i++) rows[i].c = vals[i];
    wr_sort_key k = KEY(2, false, false);
    int64_t got[9];
    cr_assert_eq(run_sort(rows, 9, &k, 1, 0, -1, 4, got, NULL), 9);
    /* -inf, -2.5, then -0.0, 0.0, -0.0 as equals in arrival order, 1, inf, NaN, NaN. */
    static const int64_t want[] = {3, 6, 2, 4, 7, 1, 5, 0, 8};
    for (int i = 0; i < 9; i++)
        cr_assert_eq(got[i], want[i], "position %d: %lld", i, (long long)got[i]);
    /* The same over enough rows to take the radix path. */
    row *many = calloc(900, sizeof(row));
    for (int i = 0; i < 900; i++) many[i].c = vals[i % 9];
    for (int desc = 0; desc < 2; desc++) {
        k.desc = desc;
        check(many, 900, &k, 1, 0, -1, 100);
    }
    free(many);
}

Test(sort, offset_and_limit)
{
    row *rows = random_rows(3000, 3);
    wr_sort_key keys[] = {KEY(1, false, true), KEY(0, true, false)};
    static const int64_t offsets[] = {0, 1, 999, 2999, 3000, 5000};
    static const int64_t limits[] = {-1, 0, 1, 10, 1024, 1025, 2999, 100000};
    for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++)
        for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++)
            check(rows, 3000, keys, 2, offsets[o], limits[l], 500);
    free(rows);
}

Test(sort, top_n_with_ties_over_many_rows, .timeout = 60)
{
    /* Few distinct keys: the bound row ties with most arriving rows, earlier ones must win. */
    row *rows = random_rows(60000, 4);
    wr_sort_key keys[] = {KEY(0, false, false), KEY(2, true, true)};
    check(rows, 60000, keys, 1, 0, 5, 1000);
    check(rows, 60000, keys, 1, 7, 3, 1000);
    check(rows, 60000, keys, 2, 100, 1000, 1000);
    check(rows, 60000, keys, 2, 0, 20000, 777); /* prunes to 20000 rows, twice as many held */
    wr_sort_key desc = KEY(1, true, false);
    check(rows, 60000, &desc, 1, 3, 50, 1000);
    free(rows);
}

Test(sort, top_n_does_not_keep_every_row, .timeout = 60)
{
    /* 300k rows with 20-byte strings, LIMIT 3: Top-N holds a few thousand rows at most. */
    if (!__sanitizer_get_current_allocated_bytes) cr_skip_test("needs the sanitizer's allocator");
    enum { N = 300000 };
    row *rows = calloc(N, sizeof(row));
    uint64_t st = 9;
    for (int i = 0; i < N; i++) {
        rows[i].a = (int32_t)(rnd(&st) % 1000000);
        rows[i].blen = (uint32_t)sprintf(rows[i].b, "row number %09d", i);
    }
    wr_sort_key k = KEY(0, false, false);
    int64_t got[3];
    long growth = 0;
    cr_assert_eq(run_sort(rows, N, &k, 1, 0, 3, 1024, got, &growth), 3);
    cr_assert_lt(growth, 2 << 20, "%ld bytes held while consuming", growth);
    int64_t want[3];
    reference(rows, N, &k, 1, 0, 3, want);
    for (int i = 0; i < 3; i++) cr_assert_eq(got[i], want[i]);
    /* Sorting the same input fully holds every row: 300k x (20 string bytes + 36 of slots). */
    int64_t *all = malloc(N * sizeof(int64_t));
    long full = 0;
    cr_assert_eq(run_sort(rows, N, &k, 1, 0, -1, 1024, all, &full), N);
    cr_assert_gt(full, 16 << 20, "%ld bytes", full);
    free(all);
    free(rows);
}

Test(sort, limit_without_keys_passes_rows_through)
{
    row *rows = random_rows(5000, 5);
    static const int64_t offsets[] = {0, 1, 1000, 1023, 4999, 5000, 7000};
    static const int64_t limits[] = {-1, 0, 1, 500, 1024, 3000, 10000};
    for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++)
        for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++)
            check(rows, 5000, NULL, 0, offsets[o], limits[l], 700);

    /* Rows come out as they arrive, and input past the limit is ignored. */
    wr_operator_spec spec = wr_sort_spec(TYPES, 4, NULL, 0, 2, 3);
    capture cap;
    capture_init(&cap);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, &cap.base);
    wr_error err;
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    wr_batch *b = rows_batch(rows, 0, 4, false);
    cr_assert_eq(spec.ops->process(op, 0, b, &err), 0);
    cr_assert_eq(cap.rows, 2); /* rows 2 and 3 */
    cr_assert_eq(spec.ops->process(op, 0, b, &err), 0);
    cr_assert_eq(cap.rows, 3); /* the 5th row overall */
    cr_assert_eq(spec.ops->process(op, 0, b, &err), 0);
    cr_assert_eq(spec.ops->end_input(op, 0, &err), 0);
    cr_assert_eq(cap.rows, 3);
    cr_assert_eq(((int64_t *)cap.batches[1]->cols[3].data)[0], 0);
    spec.ops->destroy(op);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_batch_free(b);
    free(rows);
}

Test(sort, empty_input_and_limit_zero)
{
    wr_sort_key k = KEY(0, false, false);
    int64_t got[1];
    cr_assert_eq(run_sort(NULL, 0, &k, 1, 0, -1, 10, got, NULL), 0);
    cr_assert_eq(run_sort(NULL, 0, &k, 1, 0, 5, 10, got, NULL), 0);
    cr_assert_eq(run_sort(NULL, 0, NULL, 0, 0, 5, 10, got, NULL), 0);
    row *rows = random_rows(100, 6);
    cr_assert_eq(run_sort(rows, 100, &k, 1, 0, 0, 10, got, NULL), 0);
    cr_assert_eq(run_sort(rows, 100, &k, 1, 3, 0, 10, got, NULL), 0);
    cr_assert_eq(run_sort(rows, 100, NULL, 0, 0, 0, 10, got, NULL), 0);
    free(rows);
}

Test(sort, large_random_input, .timeout = 120)
{
    row *rows = random_rows(200000, 7);
    wr_sort_key keys[] = {KEY(2, false, false), KEY(1, true, true), KEY(0, false, true)};
    check(rows, 200000, keys, 3, 0, -1, 1024);
    wr_sort_key ints = KEY(0, true, true);
    check(rows, 200000, &ints, 1, 10, 150000, 1024);
    free(rows);
}

/* create() on a spec; returns the error code and message. */
static int create_error(const wr_sort_key *keys, int nkeys, int64_t offset, char *msg)
{
    wr_operator_spec spec = wr_sort_spec(TYPES, 4, keys, nkeys, offset, -1);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    if (op) spec.ops->destroy(op);
    strcpy(msg, err.msg);
    wr_operator_spec_fini(&spec);
    return op ? 0 : err.code;
}

Test(sort, bad_specs_are_errors)
{
    char msg[WR_ERROR_MSG_MAX];
    wr_sort_key k = KEY(4, false, false);
    cr_assert_eq(create_error(&k, 1, 0, msg), WR_ERR_ARGUMENT);
    cr_assert(strstr(msg, "key 0 names column 4 of 4"), "%s", msg);
    k.col = 0;
    cr_assert_eq(create_error(&k, 1, -1, msg), WR_ERR_ARGUMENT);
    cr_assert(strstr(msg, "negative OFFSET"), "%s", msg);
    cr_assert_eq(create_error(&k, 1, 0, msg), 0, "%s", msg);
}

Test(sort, cancelled_while_sorting)
{
    row *rows = random_rows(100, 8);
    wr_sort_key k = KEY(1, false, false);
    wr_operator_spec spec = wr_sort_spec(TYPES, 4, &k, 1, 0, -1);
    capture cap;
    capture_init(&cap);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, &cap.base);
    atomic_bool cancel = false;
    ctx.cancelled = &cancel;
    wr_error err;
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    wr_batch *b = rows_batch(rows, 0, 100, false);
    cr_assert_eq(spec.ops->process(op, 0, b, &err), 0);
    atomic_store(&cancel, true);
    cr_assert_eq(spec.ops->end_input(op, 0, &err), WR_ERR_CANCELLED);
    cr_assert_eq(cap.rows, 0);
    spec.ops->destroy(op);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_batch_free(b);
    free(rows);
}

/* ---- long strings ------------------------------------------------------------------ */

static wr_str *long_strs;

static int cmp_long_str(int64_t i, int64_t j)
{
    wr_str a = long_strs[i], b = long_strs[j];
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

static int cmp_long(const void *pa, const void *pb)
{
    int64_t i = *(const int64_t *)pa, j = *(const int64_t *)pb;
    int c = cmp_long_str(i, j);
    return c ? c : (i > j) - (i < j);
}

Test(sort, long_strings_with_shared_prefixes, .timeout = 60)
{
    /* Strings of 0..150 bytes over {'a', 'b', '\0'} that share long prefixes (runs that tie
     * over several 8-byte chunks and past 64 bytes), in batches, ascending and descending. */
    enum { N = 6000 };
    static const wr_type t[] = {{WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0},
                                {WR_TYPE_BIGINT, false, 0, 0}};
    char(*text)[160] = calloc(N, 160);
    long_strs = calloc(N, sizeof(wr_str));
    uint64_t st = 11;
    for (int i = 0; i < N; i++) {
        uint32_t len = (uint32_t)(rnd(&st) % 151);
        uint32_t common = (uint32_t)(rnd(&st) % 4) * 40; /* 0, 40, 80 or 120 bytes of 'a' */
        for (uint32_t c = 0; c < len; c++)
            text[i][c] = c < common ? 'a' : "ab\0"[rnd(&st) % (rnd(&st) % 5 == 0 ? 3 : 2)];
        long_strs[i] = (wr_str){text[i], len};
    }
    for (int desc = 0; desc < 2; desc++) {
        wr_sort_key k = {0, desc, false};
        wr_operator_spec spec = wr_sort_spec(t, 2, &k, 1, 0, -1);
        capture cap;
        capture_init(&cap);
        wr_op_ctx ctx;
        ctx_init(&ctx, 0, 1, &cap.base);
        wr_error err;
        wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
        for (int from = 0; from < N; from += 1000) {
            wr_batch *b = wr_batch_new(t, 2, WR_BATCH_CAPACITY);
            for (int i = 0; i < 1000; i++) {
                ((wr_str *)b->cols[0].data)[i] =
                    wr_batch_str(b, text[from + i], long_strs[from + i].len);
                ((int64_t *)b->cols[1].data)[i] = from + i;
            }
            b->count = 1000;
            cr_assert_eq(spec.ops->process(op, 0, b, &err), 0);
            wr_batch_free(b);
        }
        cr_assert_eq(spec.ops->end_input(op, 0, &err), 0);
        int64_t *want = malloc(N * sizeof(int64_t));
        for (int i = 0; i < N; i++) want[i] = i;
        qsort(want, N, sizeof(int64_t), cmp_long);
        if (desc) {
            /* Descending keeps arrival order among equal strings: reverse runs of equals. */
            int64_t *rev = malloc(N * sizeof(int64_t));
            int o = 0;
            for (int j = N; j > 0;) {
                int i = j - 1;
                while (i > 0 && cmp_long_str(want[i - 1], want[j - 1]) == 0) i--;
                for (int x = i; x < j; x++) rev[o++] = want[x];
                j = i;
            }
            free(want);
            want = rev;
        }
        int r = 0;
        for (int b = 0; b < cap.nbatches; b++)
            for (int i = 0; i < cap.batches[b]->count; i++, r++)
                cr_assert_eq(((int64_t *)cap.batches[b]->cols[1].data)[i], want[r],
                             "desc %d, row %d: %lld, want %lld", desc, r,
                             (long long)((int64_t *)cap.batches[b]->cols[1].data)[i],
                             (long long)want[r]);
        cr_assert_eq(r, N);
        free(want);
        spec.ops->destroy(op);
        capture_fini(&cap);
        wr_operator_spec_fini(&spec);
    }
    free(text);
    free(long_strs);
}

/* ---- DECIMAL, temporal and byte-string columns ------------------------------------------ */

/*
 * Rows of every other slot kind: DECIMAL(38, 4) (16 bytes, both halves
 * used), DATE, TIMESTAMP_LTZ, TIME, the two intervals and VARBINARY, then
 * seq BIGINT NOT NULL. Each column is a sort key in turn and a payload that
 * must come along unchanged.
 */
enum { W_DEC, W_DATE, W_LTZ, W_TIME, W_YM, W_DT, W_BYTES, W_SEQ, W_NCOLS };

static const wr_type W_TYPES[W_NCOLS] = {{WR_TYPE_DECIMAL, true, 38, 4},
                                         {WR_TYPE_DATE, true, 0, 0},
                                         {WR_TYPE_TIMESTAMP_LTZ, true, 3, 0},
                                         {WR_TYPE_TIME, true, 0, 0},
                                         {WR_TYPE_INTERVAL_YM, true, 0, 0},
                                         {WR_TYPE_INTERVAL_DT, true, 3, 0},
                                         {WR_TYPE_VARBINARY, true, WR_VARCHAR_MAX, 0},
                                         {WR_TYPE_BIGINT, false, 0, 0}};

typedef struct wide_row {
    bool null[W_SEQ];
    wr_int128 dec;
    int32_t date, time, ym;
    int64_t ltz, dt;
    uint8_t bytes[4];
    uint32_t blen;
} wide_row;

static int cmp_wide_key(const wide_row *x, const wide_row *y, const wr_sort_key *key)
{
    int col = key->col;
    if (x->null[col] || y->null[col]) {
        if (x->null[col] && y->null[col]) return 0;
        return x->null[col] == key->nulls_first ? -1 : 1;
    }
    int c;
    switch (col) {
    case W_DEC:
        c = (x->dec > y->dec) - (x->dec < y->dec);
        break;
    case W_DATE:
        c = (x->date > y->date) - (x->date < y->date);
        break;
    case W_LTZ:
        c = (x->ltz > y->ltz) - (x->ltz < y->ltz);
        break;
    case W_TIME:
        c = (x->time > y->time) - (x->time < y->time);
        break;
    case W_YM:
        c = (x->ym > y->ym) - (x->ym < y->ym);
        break;
    case W_DT:
        c = (x->dt > y->dt) - (x->dt < y->dt);
        break;
    default: { /* unsigned bytes, then length */
        uint32_t n = x->blen < y->blen ? x->blen : y->blen;
        c = n ? memcmp(x->bytes, y->bytes, n) : 0;
        c = c ? (c > 0 ? 1 : -1) : (x->blen > y->blen) - (x->blen < y->blen);
    }
    }
    return key->desc ? -c : c;
}

static const wide_row *wref_rows;

static int cmp_wide_ref(const void *pa, const void *pb)
{
    int64_t i = *(const int64_t *)pa, j = *(const int64_t *)pb;
    for (int k = 0; k < ref_nkeys; k++) {
        int c = cmp_wide_key(&wref_rows[i], &wref_rows[j], &ref_keys[k]);
        if (c) return c;
    }
    return (i > j) - (i < j);
}

static wide_row *random_wide_rows(int n, uint64_t seed)
{
    const wr_int128 two64 = (wr_int128)1 << 64,
                    e37 = (wr_int128)10000000000000000000ULL * (wr_int128)1000000000000000000ULL;
    const wr_int128 decs[] = {0, 1, -1, e37 + 5, -e37 + 3, two64, two64 - 1, -two64, 99999};
    const int32_t dates[] = {-1, 0, 19723, -719162, 2932896};
    const int64_t ltzs[] = {INT64_MIN + 1, -1, 0, 1704067200000000LL, 1};
    const int32_t times[] = {0, 86399999, 3600000};
    const int32_t yms[] = {-12, 0, 14, INT32_MIN};
    const int64_t dts[] = {INT64_MAX, -5, 0, 86400000};
    static const struct {
        const char *p;
        uint32_t n;
    } bytes[] = {{"", 0}, {"\0", 1}, {"\0\1", 2}, {"\xff", 1}, {"\x7f", 1}, {"\x80\0", 2}};
#define PICK(a) a[rnd(&seed) % (sizeof(a) / sizeof(a[0]))]
    wide_row *rows = calloc((size_t)n + 1, sizeof(wide_row));
    for (int i = 0; i < n; i++) {
        wide_row *r = &rows[i];
        for (int c = 0; c < W_SEQ; c++) r->null[c] = rnd(&seed) % 8 == 0;
        r->dec = PICK(decs);
        r->date = PICK(dates);
        r->ltz = PICK(ltzs);
        r->time = PICK(times);
        r->ym = PICK(yms);
        r->dt = PICK(dts);
        size_t b = rnd(&seed) % (sizeof(bytes) / sizeof(bytes[0]));
        memcpy(r->bytes, bytes[b].p, bytes[b].n);
        r->blen = bytes[b].n;
    }
#undef PICK
    return rows;
}

static wr_batch *wide_batch(const wide_row *rows, int from, int n)
{
    wr_batch *b = wr_batch_new(W_TYPES, W_NCOLS, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        const wide_row *r = &rows[from + i];
        ((wr_int128 *)b->cols[W_DEC].data)[i] = r->dec;
        ((int32_t *)b->cols[W_DATE].data)[i] = r->date;
        ((int64_t *)b->cols[W_LTZ].data)[i] = r->ltz;
        ((int32_t *)b->cols[W_TIME].data)[i] = r->time;
        ((int32_t *)b->cols[W_YM].data)[i] = r->ym;
        ((int64_t *)b->cols[W_DT].data)[i] = r->dt;
        ((wr_str *)b->cols[W_BYTES].data)[i] = wr_batch_str(b, (const char *)r->bytes, r->blen);
        ((int64_t *)b->cols[W_SEQ].data)[i] = from + i;
        for (int c = 0; c < W_SEQ; c++)
            if (r->null[c]) wr_batch_set_null(b, c, i);
    }
    b->count = n;
    return b;
}

typedef struct wide_collected {
    const wide_row *rows;
    int64_t *seq;
    int n;
} wide_collected;

/* Checks that the emitted row equals the input row of its seq, column by column. */
static void collect_wide(const wr_batch *b, int i, void *arg)
{
    wide_collected *c = arg;
    int64_t seq = ((int64_t *)b->cols[W_SEQ].data)[i];
    const wide_row *r = &c->rows[seq];
    for (int col = 0; col < W_SEQ; col++)
        cr_assert_eq(wr_vector_is_null(&b->cols[col], i), r->null[col], "seq %lld col %d",
                     (long long)seq, col);
    if (!r->null[W_DEC]) cr_assert(((wr_int128 *)b->cols[W_DEC].data)[i] == r->dec);
    if (!r->null[W_DATE]) cr_assert_eq(((int32_t *)b->cols[W_DATE].data)[i], r->date);
    if (!r->null[W_LTZ]) cr_assert_eq(((int64_t *)b->cols[W_LTZ].data)[i], r->ltz);
    if (!r->null[W_TIME]) cr_assert_eq(((int32_t *)b->cols[W_TIME].data)[i], r->time);
    if (!r->null[W_YM]) cr_assert_eq(((int32_t *)b->cols[W_YM].data)[i], r->ym);
    if (!r->null[W_DT]) cr_assert_eq(((int64_t *)b->cols[W_DT].data)[i], r->dt);
    if (!r->null[W_BYTES]) {
        wr_str s = ((wr_str *)b->cols[W_BYTES].data)[i];
        cr_assert(s.len == r->blen && (s.len == 0 || memcmp(s.ptr, r->bytes, s.len) == 0));
    }
    c->seq[c->n++] = seq;
}

/* Sorts the rows (batches of batch_rows, each freed once processed) and checks the order. */
static void check_wide(const wide_row *rows, int n, const wr_sort_key *keys, int nkeys,
                       int64_t offset, int64_t limit, int batch_rows)
{
    int64_t *want = malloc(((size_t)n + 1) * sizeof(int64_t));
    for (int i = 0; i < n; i++) want[i] = i;
    wref_rows = rows;
    ref_keys = keys;
    ref_nkeys = nkeys;
    qsort(want, (size_t)n, sizeof(int64_t), cmp_wide_ref);
    wr_operator_spec spec = wr_sort_spec(W_TYPES, W_NCOLS, keys, nkeys, offset, limit);
    capture cap;
    capture_init(&cap);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, &cap.base);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_not_null(op, "%s", err.msg);
    for (int from = 0; from < n; from += batch_rows) {
        int m = n - from < batch_rows ? n - from : batch_rows;
        wr_batch *b = wide_batch(rows, from, m);
        cr_assert_eq(spec.ops->process(op, 0, b, &err), 0, "%s", err.msg);
        wr_batch_free(b);
    }
    cr_assert_eq(spec.ops->end_input(op, 0, &err), 0, "%s", err.msg);
    int64_t *got = malloc(((size_t)n + 1) * sizeof(int64_t));
    wide_collected c = {rows, got, 0};
    capture_each(&cap, collect_wide, &c);
    int64_t end = limit < 0 || offset + limit > n ? n : offset + limit;
    int64_t nwant = offset < end ? end - offset : 0;
    cr_assert_eq(c.n, nwant, "%d rows, want %lld", c.n, (long long)nwant);
    for (int i = 0; i < c.n; i++)
        cr_assert_eq(got[i], want[offset + i], "key col %d desc %d: row %d is seq %lld, want %lld",
                     keys[0].col, keys[0].desc, i, (long long)got[i], (long long)want[offset + i]);
    spec.ops->destroy(op);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    free(got);
    free(want);
}

Test(sort, decimal_temporal_and_byte_keys)
{
    enum { N = 3000 };
    wide_row *rows = random_wide_rows(N, 7);
    for (int col = 0; col < W_SEQ; col++)
        for (int desc = 0; desc < 2; desc++)
            for (int nf = 0; nf < 2; nf++) {
                wr_sort_key k = KEY(col, desc, nf);
                check_wide(rows, N, &k, 1, 0, -1, 1000);
            }
    /* Several keys; Top-N and an offset window over them; tiny batches. */
    wr_sort_key keys[] = {KEY(W_YM, false, true), KEY(W_DEC, true, false),
                          KEY(W_BYTES, false, false)};
    check_wide(rows, N, keys, 3, 0, -1, 1000);
    check_wide(rows, N, keys, 3, 5, 20, 7);
    wr_sort_key bytes_desc = KEY(W_BYTES, true, true);
    check_wide(rows, 200, &bytes_desc, 1, 0, 10, 3);
    free(rows);
}
