/*
 * test_over.c — OVER windows over bounded input, driven as the runtime would:
 * ROW_NUMBER, RANK and DENSE_RANK with ties and NULL keys, aggregates over
 * the default frame (peers), sliding and unbounded ROWS frames, RANGE
 * frames, no ORDER BY, strings, many partitions across many batches, all
 * checked row by row against a straightforward reference; empty input and
 * bad specs.
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/ops/over.h"

#include <stdlib.h>
#include <string.h>

/* Rows: p INT, o INT, v BIGINT, s VARCHAR (all nullable), seq BIGINT NOT NULL (arrival order). */
static const wr_type TYPES[] = {{WR_TYPE_INT, true, 0, 0},
                                {WR_TYPE_INT, true, 0, 0},
                                {WR_TYPE_BIGINT, true, 0, 0},
                                {WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0},
                                {WR_TYPE_BIGINT, false, 0, 0}};
enum { P, O, V, S, SEQ, NIN };

typedef struct row {
    bool p_null, o_null, v_null, s_null;
    int32_t p, o;
    int64_t v;
    char s[8];
} row;

/* One call as a test states it: a ranking kind, or an aggregate by name over column arg. */
typedef struct tcall {
    wr_over_kind kind;
    const char *agg; /* WR_OVER_AGG: "SUM", "COUNT", ...; arg -1 for COUNT(*) */
    int arg;
    bool range;
    int64_t lower, upper;
} tcall;

#define UNB WR_OVER_UNBOUNDED

/* A value of a call's result: BIGINT or VARCHAR. */
typedef struct value {
    bool null;
    int64_t i;
    char s[8];
    uint32_t len;
} value;

static wr_over_call make_call(const tcall *t)
{
    wr_over_call call;
    memset(&call, 0, sizeof(call));
    call.kind = t->kind;
    call.range = t->range;
    call.lower = t->lower;
    call.upper = t->upper;
    call.agg.filter = -1;
    if (t->kind == WR_OVER_AGG) {
        wr_error err;
        wr_error_init(&err);
        int nargs = t->arg >= 0;
        call.agg.nargs = nargs;
        call.agg.args[0] = t->arg;
        wr_type arg = nargs ? TYPES[t->arg] : TYPES[SEQ];
        cr_assert_eq(
            wr_agg_resolve(t->agg, &arg, nargs, false, 0, &call.agg.kind, &call.agg.type, &err), 0,
            "%s", err.msg);
    }
    return call;
}

/* ---- the reference ---------------------------------------------------------------- */

static const row *ref_rows;
static bool ref_part;
static const wr_sort_key *ref_order; /* on column O, or NULL */

static int cmp_o(const row *x, const row *y)
{
    if (!ref_order) return 0;
    if (x->o_null || y->o_null) {
        if (x->o_null && y->o_null) return 0;
        return x->o_null == ref_order->nulls_first ? -1 : 1;
    }
    int c = (x->o > y->o) - (x->o < y->o);
    return ref_order->desc ? -c : c;
}

static int cmp_p(const row *x, const row *y)
{
    if (!ref_part) return 0;
    if (x->p_null || y->p_null) return (int)y->p_null - (int)x->p_null; /* NULLs first */
    return (x->p > y->p) - (x->p < y->p);
}

static int cmp_ref(const void *pa, const void *pb)
{
    int i = *(const int *)pa, j = *(const int *)pb;
    int c = cmp_p(&ref_rows[i], &ref_rows[j]);
    if (!c) c = cmp_o(&ref_rows[i], &ref_rows[j]);
    return c ? c : (i > j) - (i < j);
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a, b); /* ASCII test strings without NULs: byte order */
}

/* The aggregate t over rows idx[a..b). */
static value aggregate(const row *rows, const int *idx, int a, int b, const tcall *t)
{
    value out = {true, 0, "", 0};
    int64_t sum = 0, count = 0;
    for (int j = a; j < b; j++) {
        const row *r = &rows[idx[j]];
        if (t->arg < 0) {
            count++;
            continue;
        }
        bool null = t->arg == V ? r->v_null : r->s_null;
        if (null) continue;
        count++;
        if (t->arg == V) {
            sum += r->v;
            bool better = out.null || (!strcmp(t->agg, "MIN") ? r->v < out.i : r->v > out.i);
            if (better) out.i = r->v;
            out.null = false;
        } else {
            bool first = out.null;
            bool better = first || (!strcmp(t->agg, "MIN")   ? cmp_str(r->s, out.s) < 0
                                    : !strcmp(t->agg, "MAX") ? cmp_str(r->s, out.s) > 0
                                                             : false);
            if (better) {
                strcpy(out.s, r->s);
                out.len = (uint32_t)strlen(r->s);
            }
            out.null = false;
        }
    }
    if (!strcmp(t->agg, "COUNT")) {
        value c = {false, count, "", 0};
        return c;
    }
    if (!strcmp(t->agg, "SUM")) out.i = sum;
    if (!strcmp(t->agg, "AVG") && count) out.i = sum / count; /* truncates as Flink's does */
    return out;
}

/*
 * The output the operator should give: the row order (seq values) in want_seq
 * and the calls' values per output row in want[row * ncalls + k].
 */
static void reference(const row *rows, int n, bool part, const wr_sort_key *order,
                      const tcall *calls, int ncalls, int *want_seq, value *want)
{
    ref_rows = rows;
    ref_part = part;
    ref_order = order;
    for (int i = 0; i < n; i++) want_seq[i] = i;
    qsort(want_seq, (size_t)n, sizeof(int), cmp_ref);
    const int *idx = want_seq;
    for (int ps = 0; ps < n;) {
        int pe = ps + 1;
        while (pe < n && cmp_p(&rows[idx[ps]], &rows[idx[pe]]) == 0) pe++;
        for (int i = ps; i < pe; i++) {
            int gs = i, ge = i + 1, dense = 1;
            while (gs > ps && cmp_o(&rows[idx[gs - 1]], &rows[idx[i]]) == 0) gs--;
            while (ge < pe && cmp_o(&rows[idx[ge]], &rows[idx[i]]) == 0) ge++;
            for (int j = ps + 1; j <= i; j++) dense += cmp_o(&rows[idx[j - 1]], &rows[idx[j]]) != 0;
            for (int k = 0; k < ncalls; k++) {
                const tcall *t = &calls[k];
                value *w = &want[(size_t)i * ncalls + k];
                memset(w, 0, sizeof(*w));
                if (t->kind != WR_OVER_AGG) {
                    w->i = t->kind == WR_OVER_ROW_NUMBER ? i - ps + 1
                           : t->kind == WR_OVER_RANK     ? gs - ps + 1
                                                         : dense;
                    continue;
                }
                int a = ps, b = pe;
                if (order && t->range) {
                    if (t->lower == 0) a = gs;
                    if (t->upper == 0) b = ge;
                } else if (order) {
                    if (t->lower != UNB) a = i + (int)t->lower;
                    if (t->upper != UNB) b = i + (int)t->upper + 1;
                    a = a < ps ? ps : a > pe ? pe : a;
                    b = b < ps ? ps : b > pe ? pe : b;
                    if (b < a) b = a;
                }
                *w = aggregate(rows, idx, a, b, t);
            }
        }
        ps = pe;
    }
}

/* ---- running the operator ---------------------------------------------------------- */

static wr_batch *rows_batch(const row *rows, int from, int n)
{
    wr_batch *batch = wr_batch_new(TYPES, NIN, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        const row *r = &rows[from + i];
        ((int32_t *)batch->cols[P].data)[i] = r->p;
        ((int32_t *)batch->cols[O].data)[i] = r->o;
        ((int64_t *)batch->cols[V].data)[i] = r->v;
        ((wr_str *)batch->cols[S].data)[i] = wr_batch_str(batch, r->s, (uint32_t)strlen(r->s));
        ((int64_t *)batch->cols[SEQ].data)[i] = from + i;
        if (r->p_null) wr_batch_set_null(batch, P, i);
        if (r->o_null) wr_batch_set_null(batch, O, i);
        if (r->v_null) wr_batch_set_null(batch, V, i);
        if (r->s_null) wr_batch_set_null(batch, S, i);
    }
    batch->count = n;
    return batch;
}

typedef struct collected {
    const row *rows;
    int ncalls;
    const wr_over_call *calls;
    int *seq;
    value *got;
    int n;
} collected;

static void collect_row(const wr_batch *batch, int r, void *arg)
{
    collected *c = arg;
    int64_t seq = ((int64_t *)batch->cols[SEQ].data)[r];
    const row *want = &c->rows[seq];
    /* The input columns come along unchanged. */
    cr_assert_eq(wr_vector_is_null(&batch->cols[P], r), want->p_null);
    cr_assert_eq(wr_vector_is_null(&batch->cols[O], r), want->o_null);
    cr_assert_eq(wr_vector_is_null(&batch->cols[V], r), want->v_null);
    cr_assert_eq(wr_vector_is_null(&batch->cols[S], r), want->s_null);
    if (!want->p_null) cr_assert_eq(((int32_t *)batch->cols[P].data)[r], want->p);
    if (!want->v_null) cr_assert_eq(((int64_t *)batch->cols[V].data)[r], want->v);
    if (!want->s_null) {
        wr_str s = ((wr_str *)batch->cols[S].data)[r];
        cr_assert(s.len == strlen(want->s) && memcmp(s.ptr, want->s, s.len) == 0);
    }
    c->seq[c->n] = (int)seq;
    for (int k = 0; k < c->ncalls; k++) {
        const wr_vector *v = &batch->cols[NIN + k];
        value *g = &c->got[(size_t)c->n * c->ncalls + k];
        memset(g, 0, sizeof(*g));
        g->null = wr_vector_is_null(v, r);
        if (g->null) continue;
        if (v->type.id == WR_TYPE_BIGINT) {
            g->i = ((int64_t *)v->data)[r];
        } else {
            wr_str s = ((wr_str *)v->data)[r];
            cr_assert_lt(s.len, sizeof(g->s));
            memcpy(g->s, s.ptr, s.len);
            g->len = s.len;
        }
    }
    c->n++;
}

/* Runs the operator over rows in batches of batch_rows; fills seq and got as reference does. */
static int run_over(const row *rows, int n, bool part, const wr_sort_key *order, const tcall *calls,
                    int ncalls, int batch_rows, int *seq, value *got)
{
    wr_over_call oc[16];
    for (int k = 0; k < ncalls; k++) oc[k] = make_call(&calls[k]);
    int pcol = P;
    wr_operator_spec spec =
        wr_over_spec(TYPES, NIN, &pcol, part ? 1 : 0, order, order ? 1 : 0, oc, ncalls);
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
        wr_batch *batch = rows_batch(rows, from, m);
        cr_assert_eq(spec.ops->process(op, 0, batch, &err), 0, "%s", err.msg);
        wr_batch_free(batch);
        cr_assert_eq(cap.rows, 0); /* nothing before the end of input */
    }
    cr_assert_eq(spec.ops->end_input(op, 0, &err), 0, "%s", err.msg);
    for (int b = 0; b < cap.nbatches; b++) {
        cr_assert_leq(cap.batches[b]->count, WR_BATCH_CAPACITY);
        cr_assert_eq(cap.batches[b]->ncols, NIN + ncalls);
        for (int k = 0; k < ncalls; k++)
            cr_assert_eq(cap.batches[b]->cols[NIN + k].type.id, wr_over_call_type(&oc[k]).id);
    }
    collected c = {rows, ncalls, oc, seq, got, 0};
    capture_each(&cap, collect_row, &c);
    cr_assert_eq(ctx.rows_out, c.n);
    spec.ops->destroy(op);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    return c.n;
}

static void check(const row *rows, int n, bool part, const wr_sort_key *order, const tcall *calls,
                  int ncalls, int batch_rows)
{
    int *want_seq = malloc(((size_t)n + 1) * sizeof(int));
    int *got_seq = malloc(((size_t)n + 1) * sizeof(int));
    value *want = malloc(((size_t)n * ncalls + 1) * sizeof(value));
    value *got = malloc(((size_t)n * ncalls + 1) * sizeof(value));
    reference(rows, n, part, order, calls, ncalls, want_seq, want);
    int m = run_over(rows, n, part, order, calls, ncalls, batch_rows, got_seq, got);
    cr_assert_eq(m, n);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(got_seq[i], want_seq[i], "row %d: seq %d, expected %d", i, got_seq[i],
                     want_seq[i]);
        for (int k = 0; k < ncalls; k++) {
            const value *g = &got[(size_t)i * ncalls + k], *w = &want[(size_t)i * ncalls + k];
            cr_assert_eq(g->null, w->null, "row %d (seq %d) call %d %s: null %d, expected %d", i,
                         got_seq[i], k, calls[k].agg ? calls[k].agg : "rank", g->null, w->null);
            if (g->null) continue;
            cr_assert_eq(g->i, w->i, "row %d (seq %d) call %d %s: %lld, expected %lld", i,
                         got_seq[i], k, calls[k].agg ? calls[k].agg : "rank", (long long)g->i,
                         (long long)w->i);
            cr_assert(g->len == w->len && memcmp(g->s, w->s, g->len) == 0,
                      "row %d call %d: '%.*s', expected '%s'", i, k, (int)g->len, g->s, w->s);
        }
    }
    free(want_seq);
    free(got_seq);
    free(want);
    free(got);
}

/* n random rows: nparts partitions (some NULL), order keys in [0, okeys) so there are ties. */
static row *random_rows(int n, int nparts, int okeys, unsigned seed)
{
    srand(seed);
    row *rows = calloc((size_t)n + 1, sizeof(row));
    static const char *const words[] = {"", "a", "ab", "b", "ba", "zz", "m", "abc"};
    for (int i = 0; i < n; i++) {
        row *r = &rows[i];
        r->p = rand() % nparts;
        r->p_null = rand() % 50 == 0;
        r->o = rand() % okeys - okeys / 3;
        r->o_null = rand() % 20 == 0;
        r->v = rand() % 2001 - 1000;
        r->v_null = rand() % 10 == 0;
        strcpy(r->s, words[rand() % 8]);
        r->s_null = rand() % 10 == 0;
    }
    return rows;
}

static const wr_sort_key ASC_LAST = {O, false, false};
static const wr_sort_key DESC_FIRST = {O, true, true};

/* ---- tests ------------------------------------------------------------------------ */

Test(over, ranking_with_ties_and_null_keys)
{
    /* Partition 1 ordered by o ASC NULLS LAST: 10, 20, 20, 30, NULL, NULL; partition NULL: 5, 5. */
    row rows[8];
    memset(rows, 0, sizeof(rows));
    int32_t os[8] = {20, 5, 10, 0, 30, 20, 5, 0};
    bool onull[8] = {false, false, false, true, false, false, false, true};
    bool pnull[8] = {false, true, false, false, false, false, true, false};
    for (int i = 0; i < 8; i++) {
        rows[i].p = 1;
        rows[i].p_null = pnull[i];
        rows[i].o = os[i];
        rows[i].o_null = onull[i];
        rows[i].v = i;
    }
    tcall calls[] = {{WR_OVER_ROW_NUMBER, NULL, 0, false, 0, 0},
                     {WR_OVER_RANK, NULL, 0, false, 0, 0},
                     {WR_OVER_DENSE_RANK, NULL, 0, false, 0, 0},
                     {WR_OVER_AGG, "SUM", V, true, UNB, 0}};
    int seq[8];
    value got[8 * 4];
    cr_assert_eq(run_over(rows, 8, true, &ASC_LAST, calls, 4, 3, seq, got), 8);
    /* NULL partition first, then partition 1 in key order (ties in arrival order). */
    int want_seq[8] = {1, 6, 2, 0, 5, 4, 3, 7};
    int64_t want[8][4] = {{1, 1, 1, 1 + 6}, {2, 1, 1, 7},  {1, 1, 1, 2},          {2, 2, 2, 7},
                          {3, 2, 2, 7},     {4, 4, 3, 11}, {5, 5, 4, 11 + 3 + 7}, {6, 5, 4, 21}};
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(seq[i], want_seq[i], "row %d", i);
        for (int k = 0; k < 4; k++)
            cr_assert_eq(got[i * 4 + k].i, want[i][k], "row %d call %d: %lld", i, k,
                         (long long)got[i * 4 + k].i);
    }
    check(rows, 8, true, &ASC_LAST, calls, 4, 3);
    check(rows, 8, true, &DESC_FIRST, calls, 4, 1);
}

Test(over, many_partitions_across_batches)
{
    int n = 50000;
    row *rows = random_rows(n, 100, 60, 7);
    tcall calls[] = {{WR_OVER_ROW_NUMBER, NULL, 0, false, 0, 0},
                     {WR_OVER_RANK, NULL, 0, false, 0, 0},
                     {WR_OVER_DENSE_RANK, NULL, 0, false, 0, 0},
                     {WR_OVER_AGG, "SUM", V, true, UNB, 0},
                     {WR_OVER_AGG, "MAX", V, false, -2, 0}};
    check(rows, n, true, &ASC_LAST, calls, 5, 1000);
    check(rows, n, true, &DESC_FIRST, calls, 5, 777);
    free(rows);
}

Test(over, running_aggregates_default_frame)
{
    int n = 5000;
    row *rows = random_rows(n, 7, 40, 11);
    tcall calls[] = {
        {WR_OVER_AGG, "SUM", V, true, UNB, 0},    {WR_OVER_AGG, "COUNT", V, true, UNB, 0},
        {WR_OVER_AGG, "COUNT", -1, true, UNB, 0}, {WR_OVER_AGG, "AVG", V, true, UNB, 0},
        {WR_OVER_AGG, "MIN", V, true, UNB, 0},    {WR_OVER_AGG, "MAX", V, true, UNB, 0}};
    check(rows, n, true, &ASC_LAST, calls, 6, 512);
    check(rows, n, true, &DESC_FIRST, calls, 6, 100);
    /* ROWS UNBOUNDED PRECEDING .. CURRENT ROW: without the peers. */
    tcall rows_calls[] = {{WR_OVER_AGG, "SUM", V, false, UNB, 0},
                          {WR_OVER_AGG, "MIN", V, false, UNB, 0},
                          {WR_OVER_AGG, "COUNT", -1, false, UNB, 0}};
    check(rows, n, true, &ASC_LAST, rows_calls, 3, 300);
    free(rows);
}

Test(over, sliding_rows_frames)
{
    int n = 4000;
    row *rows = random_rows(n, 5, 1000, 3);
    /* SUM, COUNT and AVG retract; MIN and MAX recompute their frame. */
    tcall calls[] = {
        {WR_OVER_AGG, "SUM", V, false, -2, 0},    {WR_OVER_AGG, "COUNT", V, false, -2, 0},
        {WR_OVER_AGG, "AVG", V, false, -2, 0},    {WR_OVER_AGG, "MIN", V, false, -2, 0},
        {WR_OVER_AGG, "MAX", V, false, -1, 1},    {WR_OVER_AGG, "SUM", V, false, -1, 1},
        {WR_OVER_AGG, "COUNT", -1, false, -1, 1}, {WR_OVER_AGG, "AVG", V, false, -1, 1}};
    check(rows, n, true, &ASC_LAST, calls, 8, 256);
    /* Frames that start after or end before the current row, so some are empty (COUNT 0, SUM
     * NULL), and a frame from the current row to the partition's end. */
    tcall odd[] = {{WR_OVER_AGG, "COUNT", V, false, -3, -1}, {WR_OVER_AGG, "SUM", V, false, -3, -1},
                   {WR_OVER_AGG, "MIN", V, false, 1, 3},     {WR_OVER_AGG, "SUM", V, false, 1, 3},
                   {WR_OVER_AGG, "SUM", V, false, 0, UNB},   {WR_OVER_AGG, "MAX", V, false, 0, UNB},
                   {WR_OVER_AGG, "COUNT", -1, false, -5, 5}};
    check(rows, n, true, &DESC_FIRST, odd, 7, 999);
    free(rows);
}

Test(over, unbounded_frames)
{
    int n = 3000;
    row *rows = random_rows(n, 9, 30, 5);
    tcall calls[] = {
        {WR_OVER_AGG, "SUM", V, true, UNB, UNB},  {WR_OVER_AGG, "MIN", V, false, UNB, UNB},
        {WR_OVER_AGG, "COUNT", -1, true, 0, UNB}, {WR_OVER_AGG, "MAX", V, true, 0, UNB},
        {WR_OVER_AGG, "SUM", V, true, 0, 0},      {WR_OVER_AGG, "AVG", V, true, 0, UNB}};
    check(rows, n, true, &ASC_LAST, calls, 6, 400);
    check(rows, n, false, &DESC_FIRST, calls, 6, 400);
    free(rows);
}

Test(over, no_order_by_is_the_whole_partition)
{
    int n = 3000;
    row *rows = random_rows(n, 13, 30, 9);
    /* Frames do not matter without ORDER BY; every row is a peer of every other. */
    tcall calls[] = {
        {WR_OVER_ROW_NUMBER, NULL, 0, false, 0, 0}, {WR_OVER_RANK, NULL, 0, false, 0, 0},
        {WR_OVER_DENSE_RANK, NULL, 0, false, 0, 0}, {WR_OVER_AGG, "SUM", V, true, UNB, 0},
        {WR_OVER_AGG, "COUNT", -1, false, -1, 1},   {WR_OVER_AGG, "MAX", S, false, UNB, 0}};
    check(rows, n, true, NULL, calls, 6, 1024);
    check(rows, n, false, NULL, calls, 6, 1024);
    free(rows);
}

Test(over, strings)
{
    int n = 3000;
    row *rows = random_rows(n, 4, 50, 21);
    tcall calls[] = {{WR_OVER_AGG, "MIN", S, true, UNB, 0},
                     {WR_OVER_AGG, "MAX", S, false, -2, 0},
                     {WR_OVER_AGG, "MIN", S, false, -1, 1},
                     {WR_OVER_AGG, "COUNT", S, false, -1, 1},
                     {WR_OVER_AGG, "MAX", S, true, UNB, UNB}};
    check(rows, n, true, &ASC_LAST, calls, 5, 200);
    free(rows);
}

Test(over, empty_input)
{
    tcall calls[] = {{WR_OVER_ROW_NUMBER, NULL, 0, false, 0, 0},
                     {WR_OVER_AGG, "SUM", V, true, UNB, 0}};
    int seq[1];
    value got[2];
    cr_assert_eq(run_over(NULL, 0, true, &ASC_LAST, calls, 2, 10, seq, got), 0);
}

Test(over, cancelled)
{
    int n = 2000;
    row *rows = random_rows(n, 3, 10, 1);
    tcall sum = {WR_OVER_AGG, "SUM", V, true, UNB, 0};
    wr_over_call call = make_call(&sum);
    int p = P;
    wr_operator_spec spec = wr_over_spec(TYPES, NIN, &p, 1, &ASC_LAST, 1, &call, 1);
    capture cap;
    capture_init(&cap);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, &cap.base);
    atomic_bool cancelled = false;
    ctx.cancelled = &cancelled;
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_not_null(op, "%s", err.msg);
    wr_batch *batch = rows_batch(rows, 0, n);
    cr_assert_eq(spec.ops->process(op, 0, batch, &err), 0, "%s", err.msg);
    wr_batch_free(batch);
    atomic_store(&cancelled, true);
    cr_assert_eq(spec.ops->end_input(op, 0, &err), WR_ERR_CANCELLED);
    cr_assert_eq(cap.rows, 0);
    spec.ops->destroy(op);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    free(rows);
}

Test(over, result_types)
{
    tcall rank = {WR_OVER_DENSE_RANK, NULL, 0, false, 0, 0};
    wr_over_call call = make_call(&rank);
    wr_type t = wr_over_call_type(&call);
    cr_assert_eq(t.id, WR_TYPE_BIGINT);
    cr_assert(!t.nullable);
    tcall sum = {WR_OVER_AGG, "SUM", V, true, UNB, 0};
    call = make_call(&sum);
    t = wr_over_call_type(&call);
    cr_assert_eq(t.id, WR_TYPE_BIGINT);
    cr_assert(t.nullable);
}

/* Creating the operator fails with msg in the error. */
static void create_fails(const int *part, int npart, const wr_sort_key *order, int norder,
                         const wr_over_call *calls, int ncalls, const char *msg)
{
    wr_operator_spec spec = wr_over_spec(TYPES, NIN, part, npart, order, norder, calls, ncalls);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_null(op);
    cr_assert(strstr(err.msg, msg), "%s", err.msg);
    wr_operator_spec_fini(&spec);
}

Test(over, bad_specs)
{
    int p = P, bad = 9;
    tcall sum = {WR_OVER_AGG, "SUM", V, true, -10, 0};
    wr_over_call call = make_call(&sum);
    wr_sort_key by_string = {S, false, false};
    create_fails(&p, 1, &by_string, 1, &call, 1, "needs one ORDER BY key of an integer");
    wr_sort_key two[] = {ASC_LAST, ASC_LAST};
    create_fails(&p, 1, two, 2, &call, 1, "needs one ORDER BY key of an integer");
    call.range = false;
    call.agg.distinct = true;
    create_fails(&p, 1, &ASC_LAST, 1, &call, 1, "DISTINCT");
    call.agg.distinct = false;
    create_fails(&bad, 1, &ASC_LAST, 1, &call, 1, "partition column 0 names column 9");
    wr_sort_key key = {bad, false, false};
    create_fails(&p, 1, &key, 1, &call, 1, "ORDER BY key 0 names column 9");
    call.agg.args[0] = 7;
    create_fails(&p, 1, &ASC_LAST, 1, &call, 1, "SUM");
}
