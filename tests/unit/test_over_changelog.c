/*
 * test_over_changelog.c — OVER windows over an updating input: the exact
 * changelog of a small case (inserts, an update of an earlier row that shifts
 * later rows' frames, deletes, retractions of rows not held), randomized runs
 * whose applied changelog must equal the batch OVER over the final rows
 * (unique order keys with every kind of frame, and ties with the calls that
 * ties cannot reorder), snapshots (restore, rescale 1->2 and 2->1), damaged
 * snapshot bytes, TTL and bad specs.
 *
 * Rows go in as text ("+I p t v s", missing trailing cells NULL) and come out
 * as "+I[p, t, v, s, call values...]".
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/base/hash.h"
#include "../../src/ops/over_changelog.h"
#include "../../src/state/keygroup.h"
#include "../../src/types/row_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Input columns: p BIGINT, t BIGINT (the order), v BIGINT, s VARCHAR. */
static const wr_type IN[] = {
    {WR_TYPE_BIGINT, true, 0, 0},
    {WR_TYPE_BIGINT, true, 0, 0},
    {WR_TYPE_BIGINT, true, 0, 0},
    {WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0},
};
enum { P, T, V, S, NIN };
static const int PART[] = {P};
static const wr_sort_key ORDER[] = {{T, false, false}};

#define UNB WR_OVER_UNBOUNDED

static wr_over_call rank_call(wr_over_kind kind)
{
    wr_over_call call;
    memset(&call, 0, sizeof(call));
    call.kind = kind;
    call.agg.filter = -1;
    return call;
}

/* An aggregate by name over column arg (-1: COUNT(*)) with a frame. */
static wr_over_call agg_call(const char *name, int arg, bool range, int64_t lower, int64_t upper)
{
    wr_over_call call = rank_call(WR_OVER_AGG);
    call.range = range;
    call.lower = lower;
    call.upper = upper;
    wr_error err;
    wr_error_init(&err);
    int nargs = arg >= 0;
    call.agg.nargs = nargs;
    call.agg.args[0] = arg;
    wr_type t = nargs ? IN[arg] : IN[V];
    cr_assert_eq(wr_agg_resolve(name, &t, nargs, false, 0, &call.agg.kind, &call.agg.type, &err), 0,
                 "%s", err.msg);
    return call;
}

/* ---- driving the operator ---------------------------------------------------------------- */

typedef struct run {
    wr_op_ctx ctx;
    capture cap;
    wr_operator *op;
    wr_error err;
} run;

static int start_at(run *r, const wr_operator_spec *spec, int subtask, int par,
                    const wr_restore *restore)
{
    memset(r, 0, sizeof(*r));
    capture_init(&r->cap);
    ctx_init(&r->ctx, subtask, par, &r->cap.base);
    r->ctx.restore = restore;
    wr_error_init(&r->err);
    r->op = spec->ops->create(spec->spec, &r->ctx, &r->err);
    r->ctx.restore = NULL;
    return r->op ? 0 : r->err.code;
}

static void start(run *r, const wr_operator_spec *spec)
{
    int rc = start_at(r, spec, 0, 1, NULL);
    cr_assert_eq(rc, 0, "create: %s", r->err.msg);
}

static void stop(run *r)
{
    if (r->op) r->op->ops->destroy(r->op);
    r->op = NULL;
    capture_fini(&r->cap);
}

/* A batch of rows "+I 1 10 5 x; -D ..." over IN (missing trailing cells NULL). */
static wr_batch *batch_of(const char *text)
{
    wr_batch *b = wr_batch_new(IN, NIN, WR_BATCH_CAPACITY);
    char *copy = wr_strdup(text), *save = NULL;
    uint8_t *kinds = wr_batch_kinds(b);
    for (char *row = strtok_r(copy, ";", &save); row; row = strtok_r(NULL, ";", &save)) {
        char *save2 = NULL, *tok = strtok_r(row, " ", &save2);
        const char *names[] = {"+I", "-U", "+U", "-D"};
        int kind = -1;
        for (int k = 0; k < 4; k++)
            if (strcmp(tok, names[k]) == 0) kind = k;
        cr_assert(kind >= 0, "bad kind %s", tok);
        int n = b->count;
        kinds[n] = (uint8_t)kind;
        for (int c = 0; c < NIN; c++) {
            tok = strtok_r(NULL, " ", &save2);
            if (!tok || strcmp(tok, "null") == 0)
                wr_batch_set_null(b, c, n);
            else if (c == S)
                ((wr_str *)b->cols[c].data)[n] = wr_batch_str(b, tok, strlen(tok));
            else
                ((int64_t *)b->cols[c].data)[n] = strtoll(tok, NULL, 10);
        }
        b->count++;
    }
    wr_free(copy);
    return b;
}

static void feed(run *r, const char *text)
{
    wr_batch *b = batch_of(text);
    int rc = r->op->ops->process(r->op, 0, b, &r->err);
    wr_batch_free(b);
    cr_assert_eq(rc, 0, "process: %s", r->err.msg);
}

/* Row i of an output batch as "+I[1, 10, 5, x, 3]"; with_kind false leaves the kind out. */
static void format_row(const wr_batch *b, int i, bool with_kind, wr_buf *out)
{
    if (with_kind) wr_buf_puts(out, wr_change_kind_short(wr_batch_kind(b, i)));
    wr_buf_putc(out, '[');
    for (int c = 0; c < b->ncols; c++) {
        const wr_vector *v = &b->cols[c];
        if (c) wr_buf_puts(out, ", ");
        if (wr_vector_is_null(v, i)) {
            wr_buf_puts(out, "null");
        } else if (v->type.id == WR_TYPE_VARCHAR) {
            wr_str s = ((const wr_str *)v->data)[i];
            wr_buf_append(out, s.ptr, s.len);
        } else {
            cr_assert_eq(v->type.id, WR_TYPE_BIGINT);
            wr_buf_put_int64(out, ((const int64_t *)v->data)[i]);
        }
    }
    wr_buf_putc(out, ']');
}

/* What was emitted since the last call, rows joined by '\n' (a new string). */
static char *take_output(run *r)
{
    wr_buf got;
    wr_buf_init(&got);
    for (int b = 0; b < r->cap.nbatches; b++)
        for (int i = 0; i < r->cap.batches[b]->count; i++) {
            if (got.len) wr_buf_putc(&got, '\n');
            format_row(r->cap.batches[b], i, true, &got);
        }
    capture_fini(&r->cap);
    capture_init(&r->cap);
    char *s = wr_strdup(got.len ? got.data : "");
    wr_buf_fini(&got);
    return s;
}

static void expect(run *r, const char *want)
{
    char *got = take_output(r);
    cr_assert_str_eq(got, want);
    wr_free(got);
}

/* ---- the exact changelog of a small case ------------------------------------------------- */

Test(over_changelog, small_case_exact_changelog)
{
    /* SUM(v) OVER (ROWS 1 PRECEDING), ROW_NUMBER(). */
    wr_over_call calls[] = {agg_call("SUM", V, false, -1, 0), rank_call(WR_OVER_ROW_NUMBER)};
    wr_operator_spec spec = wr_over_changelog_spec(IN, NIN, PART, 1, ORDER, 1, calls, 2, 0);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 1 a; +I 1 30 3 c");
    expect(&r, "+I[1, 10, 1, a, 1, 1]\n+I[1, 30, 3, c, 4, 2]");
    /* A row between them: the later row's frame and number change. */
    feed(&r, "+I 1 20 2 b");
    expect(&r, "+I[1, 20, 2, b, 3, 2]\n-U[1, 30, 3, c, 4, 2]\n+U[1, 30, 3, c, 5, 3]");
    /* Another partition is independent. */
    feed(&r, "+I 2 5 100 z");
    expect(&r, "+I[2, 5, 100, z, 100, 1]");
    /* An update of the first row shifts the later rows' frames twice (-U, then +U). */
    feed(&r, "-U 1 10 1 a; +U 1 10 7 a");
    expect(&r, "-D[1, 10, 1, a, 1, 1]\n"
               "-U[1, 20, 2, b, 3, 2]\n+U[1, 20, 2, b, 2, 1]\n"
               "-U[1, 30, 3, c, 5, 3]\n+U[1, 30, 3, c, 5, 2]\n"
               "+I[1, 10, 7, a, 7, 1]\n"
               "-U[1, 20, 2, b, 2, 1]\n+U[1, 20, 2, b, 9, 2]\n"
               "-U[1, 30, 3, c, 5, 2]\n+U[1, 30, 3, c, 5, 3]");
    /* Deleting the last row changes nobody else; a row not held is ignored. */
    feed(&r, "-D 1 30 3 c; -D 1 99 9 q; -U 3 1 1 x");
    expect(&r, "-D[1, 30, 3, c, 5, 3]");
    /* Deleting the first row: the next one's frame and number change. */
    feed(&r, "-D 1 10 7 a");
    expect(&r, "-D[1, 10, 7, a, 7, 1]\n-U[1, 20, 2, b, 9, 2]\n+U[1, 20, 2, b, 2, 1]");
    /* A changed value of an equal row is another row: not held, ignored. */
    feed(&r, "-D 1 20 3 b");
    expect(&r, "");
    feed(&r, "-D 1 20 2 b; +I 1 20 2 b");
    expect(&r, "-D[1, 20, 2, b, 2, 1]\n+I[1, 20, 2, b, 2, 1]");
    cr_assert_eq(r.op->ops->end_input(r.op, 0, &r.err), 0);
    expect(&r, "");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(over_changelog, ties_rank_and_range_frames)
{
    /* RANK, DENSE_RANK, COUNT(*) OVER (RANGE UNBOUNDED PRECEDING). */
    wr_over_call calls[] = {rank_call(WR_OVER_RANK), rank_call(WR_OVER_DENSE_RANK),
                            agg_call("COUNT", -1, true, UNB, 0)};
    wr_operator_spec spec = wr_over_changelog_spec(IN, NIN, PART, 1, ORDER, 1, calls, 3, 0);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 1; +I 1 20 1");
    expect(&r, "+I[1, 10, 1, null, 1, 1, 1]\n+I[1, 20, 1, null, 2, 2, 2]");
    /* A peer of the first row: both see it in their frame, the later rank moves. Ties go by
     * the whole row, so v 0 comes before v 1. */
    feed(&r, "+I 1 10 0");
    expect(&r, "+I[1, 10, 0, null, 1, 1, 2]\n"
               "-U[1, 10, 1, null, 1, 1, 1]\n+U[1, 10, 1, null, 1, 1, 2]\n"
               "-U[1, 20, 1, null, 2, 2, 2]\n+U[1, 20, 1, null, 3, 2, 3]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

/* ---- randomized: the applied changelog equals the batch OVER of the final rows ------------ */

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* A multiset of texts. */
typedef struct bag {
    char **v;
    int n, cap;
} bag;

static void bag_add(bag *b, const char *text)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->v = wr_realloc(b->v, (size_t)b->cap * sizeof(char *));
    }
    b->v[b->n++] = wr_strdup(text);
}

static bool bag_remove(bag *b, const char *text)
{
    for (int i = 0; i < b->n; i++)
        if (strcmp(b->v[i], text) == 0) {
            wr_free(b->v[i]);
            b->v[i] = b->v[--b->n];
            return true;
        }
    return false;
}

static void bag_free(bag *b)
{
    for (int i = 0; i < b->n; i++) wr_free(b->v[i]);
    wr_free(b->v);
    memset(b, 0, sizeof(*b));
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Applies the captured changelog of r to results (every retraction must find its row); with
 * log, also adds each change as "+I[...]" there.
 */
static void apply_log(run *r, bag *results, bag *log)
{
    wr_buf row;
    wr_buf_init(&row);
    for (int b = 0; b < r->cap.nbatches; b++) {
        const wr_batch *batch = r->cap.batches[b];
        for (int i = 0; i < batch->count; i++) {
            wr_buf_reset(&row);
            format_row(batch, i, false, &row);
            wr_change_kind kind = wr_batch_kind(batch, i);
            if (log) {
                char change[512];
                snprintf(change, sizeof(change), "%s%s", wr_change_kind_short(kind), row.data);
                bag_add(log, change);
            }
            if (kind == WR_KIND_INSERT || kind == WR_KIND_UPDATE_AFTER)
                bag_add(results, row.data);
            else
                cr_assert(bag_remove(results, row.data), "%s %s retracts a row never emitted",
                          wr_change_kind_short(kind), row.data);
        }
    }
    capture_fini(&r->cap);
    capture_init(&r->cap);
    wr_buf_fini(&row);
}

static void apply_output(run *r, bag *results)
{
    apply_log(r, results, NULL);
}

/* The batch OVER (over.h) of the rows in held ("p t v s" texts): its rows, sorted, into out. */
static void batch_over(const bag *held, const wr_over_call *calls, int ncalls, bag *out)
{
    wr_operator_spec spec = wr_over_spec(IN, NIN, PART, 1, ORDER, 1, calls, ncalls);
    run r;
    start(&r, &spec);
    wr_buf text;
    wr_buf_init(&text);
    for (int i = 0; i < held->n; i++) {
        if (text.len) wr_buf_puts(&text, "; ");
        wr_buf_printf(&text, "+I %s", held->v[i]);
        if ((i + 1) % 500 == 0 || i == held->n - 1) {
            feed(&r, text.data);
            wr_buf_reset(&text);
        }
    }
    cr_assert_eq(r.op->ops->end_input(r.op, 0, &r.err), 0, "%s", r.err.msg);
    apply_output(&r, out);
    wr_buf_fini(&text);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

static void assert_same(bag *a, bag *b)
{
    qsort(a->v, (size_t)a->n, sizeof(char *), cmp_text);
    qsort(b->v, (size_t)b->n, sizeof(char *), cmp_text);
    cr_assert_eq(a->n, b->n, "%d rows from the changelog, %d from the batch OVER", a->n, b->n);
    for (int i = 0; i < a->n; i++) cr_assert_str_eq(a->v[i], b->v[i], "row %d", i);
}

/*
 * A random workload on held rows: inserts, deletes, updates (-U old, +U new),
 * retractions of rows never inserted. ties: order keys from a small range;
 * otherwise every order key is unique. Appends one batch's text to out.
 */
static int64_t next_t;

static void random_batch(bag *held, bool ties, int nparts, int only_sub, int par, wr_buf *out);

static int owner(int64_t p, int par)
{
    wr_batch *b = wr_batch_new(IN, NIN, 1);
    ((int64_t *)b->cols[P].data)[0] = p;
    b->count = 1;
    wr_buf key;
    wr_buf_init(&key);
    wr_row_encode(b, 0, PART, 1, &key);
    int kg = wr_keygroup_of_hash(wr_hash_bytes(key.data, key.len), 128);
    wr_buf_fini(&key);
    wr_batch_free(b);
    return wr_keygroup_subtask(kg, 128, par);
}

static void new_row(bool ties, int64_t p, char *buf, size_t size)
{
    int64_t t = ties ? (int64_t)rnd(6) : (int64_t)rnd(1000) * 1000 + next_t++;
    if (rnd(10) == 0)
        snprintf(buf, size, "%lld %lld null", (long long)p, (long long)t);
    else
        snprintf(buf, size, "%lld %lld %u s%u", (long long)p, (long long)t, rnd(20), rnd(5));
}

static void random_batch(bag *held, bool ties, int nparts, int only_sub, int par, wr_buf *out)
{
    int m = 1 + (int)rnd(6);
    char row[96];
    for (int j = 0; j < m; j++) {
        if (out->len) wr_buf_puts(out, "; ");
        int64_t p = rnd((uint32_t)nparts);
        while (only_sub >= 0 && owner(p, par) != only_sub) p = rnd((uint32_t)nparts);
        /* Held rows of partition p. */
        int cand[4096], nc = 0;
        for (int i = 0; i < held->n && nc < 4096; i++)
            if (strtoll(held->v[i], NULL, 10) == p) cand[nc++] = i;
        uint32_t what = rnd(10);
        if (nc == 0 || what < 5) {
            new_row(ties, p, row, sizeof(row));
            wr_buf_printf(out, "+I %s", row);
            bag_add(held, row);
        } else if (what < 7) {
            int i = cand[rnd((uint32_t)nc)];
            wr_buf_printf(out, "-D %s", held->v[i]);
            bag_remove(held, held->v[i]);
        } else if (what < 9) {
            int i = cand[rnd((uint32_t)nc)];
            new_row(ties, p, row, sizeof(row));
            wr_buf_printf(out, "-U %s; +U %s", held->v[i], row);
            bag_remove(held, held->v[i]);
            bag_add(held, row);
        } else {
            wr_buf_printf(out, "-D %lld 123456789 1 never", (long long)p);
        }
    }
}

static void check_random(const wr_over_call *calls, int ncalls, bool ties, int steps)
{
    wr_operator_spec spec = wr_over_changelog_spec(IN, NIN, PART, 1, ORDER, 1, calls, ncalls, 0);
    run r;
    start(&r, &spec);
    bag held = {0}, results = {0}, want = {0};
    wr_buf text;
    wr_buf_init(&text);
    for (int s = 0; s < steps; s++) {
        wr_buf_reset(&text);
        random_batch(&held, ties, 4, -1, 1, &text);
        feed(&r, text.data);
        apply_output(&r, &results);
        /* Check along the way too, not only at the end. */
        if (s % 100 == 99 || s == steps - 1) {
            bag got = {0};
            for (int i = 0; i < results.n; i++) bag_add(&got, results.v[i]);
            batch_over(&held, calls, ncalls, &want);
            assert_same(&got, &want);
            bag_free(&got);
            bag_free(&want);
        }
    }
    wr_buf_fini(&text);
    bag_free(&held);
    bag_free(&results);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(over_changelog, random_unique_order_keys_match_batch_over)
{
    wr_over_call calls[] = {
        agg_call("SUM", V, false, -2, 0),
        agg_call("AVG", V, false, -10, 0),
        agg_call("COUNT", -1, false, UNB, 0),
        agg_call("MAX", V, false, -3, 1),
        agg_call("MIN", V, true, UNB, 0),
        rank_call(WR_OVER_ROW_NUMBER),
        rank_call(WR_OVER_RANK),
        rank_call(WR_OVER_DENSE_RANK),
        agg_call("SUM", V, false, -1, UNB),
        agg_call("MAX", S, false, -2, 0),
        agg_call("COUNT", V, false, UNB, UNB),
        agg_call("MIN", S, false, 0, 2),
    };
    check_random(calls, 12, false, 600);
}

Test(over_changelog, random_ties_match_batch_over)
{
    /* Only calls whose values ties cannot reorder. */
    wr_over_call calls[] = {
        rank_call(WR_OVER_RANK),           rank_call(WR_OVER_DENSE_RANK),
        agg_call("MIN", V, true, UNB, 0),  agg_call("SUM", V, true, 0, UNB),
        agg_call("COUNT", -1, true, 0, 0), agg_call("SUM", V, false, UNB, UNB),
        agg_call("MAX", S, true, UNB, 0),
    };
    check_random(calls, 7, true, 600);
}

/* Frames alone, so that no other call's wider range hides a missed row (q6's shape). */
Test(over_changelog, random_sliding_frames_match_batch_over)
{
    wr_over_call calls[] = {
        agg_call("AVG", V, false, -10, 0),
        agg_call("SUM", V, false, -2, 0),
        agg_call("MAX", V, false, -3, 1),
        agg_call("MIN", S, false, 0, 2),
    };
    check_random(calls, 4, false, 400);
}

Test(over_changelog, random_peer_frames_match_batch_over)
{
    wr_over_call calls[] = {
        agg_call("COUNT", -1, true, 0, 0),
        agg_call("MAX", S, true, 0, 0),
    };
    check_random(calls, 2, true, 400);
}

/* ---- checkpoints --------------------------------------------------------------------------- */

static void snapshot_all(run *rs, int n, op_snapshots *sv)
{
    memset(sv, 0, sizeof(*sv));
    sv->n = n;
    for (int i = 0; i < n; i++) {
        cr_assert_eq(rs[i].op->ops->snapshot(rs[i].op, 1, &sv->snaps[i], &rs[i].err), 0, "%s",
                     rs[i].err.msg);
        for (int p = 0; p < sv->snaps[i].nparts; p++)
            cr_assert(sv->snaps[i].parts[p].keygroup >= 0);
    }
}

static void saved_fini(op_snapshots *sv)
{
    for (int i = 0; i < sv->n; i++) wr_snapshot_fini(&sv->snaps[i]);
}

static const wr_over_call *ckpt_calls(int *n)
{
    static wr_over_call calls[5];
    calls[0] = agg_call("AVG", V, false, -10, 0);
    calls[1] = rank_call(WR_OVER_ROW_NUMBER);
    calls[2] = agg_call("MAX", S, false, -2, 0);
    calls[3] = agg_call("COUNT", -1, true, UNB, 0);
    calls[4] = rank_call(WR_OVER_DENSE_RANK);
    *n = 5;
    return calls;
}

#define NPARTS 12

/*
 * Runs p1 instances over a workload, snapshots them, restores p2 instances
 * and runs more; the changelog of everything (before and after) applied must
 * equal the batch OVER of the final rows, and the output after the restore
 * must equal that of one instance that ran without a checkpoint.
 */
static void check_restore(int p1, int p2)
{
    int ncalls;
    const wr_over_call *calls = ckpt_calls(&ncalls);
    wr_operator_spec spec = wr_over_changelog_spec(IN, NIN, PART, 1, ORDER, 1, calls, ncalls, 0);
    run ref, a[2], b[2];
    start(&ref, &spec);
    for (int s = 0; s < p1; s++) cr_assert_eq(start_at(&a[s], &spec, s, p1, NULL), 0);
    bag held = {0}, results = {0}, ref_results = {0}, ref_after = {0}, after = {0};
    wr_buf text;
    wr_buf_init(&text);
    for (int phase = 0; phase < 2; phase++) {
        int par = phase ? p2 : p1;
        run *rs = phase ? b : a;
        for (int step = 0; step < 80; step++) {
            int sub = (int)rnd((uint32_t)par);
            wr_buf_reset(&text);
            random_batch(&held, false, NPARTS, sub, par, &text);
            feed(&rs[sub], text.data);
            feed(&ref, text.data);
            apply_log(&ref, &ref_results, phase ? &ref_after : NULL);
            apply_log(&rs[sub], &results, phase ? &after : NULL);
        }
        if (phase) break;
        op_snapshots sv;
        snapshot_all(a, p1, &sv);
        for (int s = 0; s < p1; s++) stop(&a[s]);
        for (int s = 0; s < p2; s++) {
            wr_restore rr;
            const wr_snapshot_part *parts[128];
            keyed_restore_for(&sv, s, p2, &rr, parts);
            cr_assert_eq(start_at(&b[s], &spec, s, p2, &rr), 0, "restore: %s", b[s].err.msg);
        }
        saved_fini(&sv);
    }
    cr_assert(after.n > 0);
    /* What came out after the restore is what the uninterrupted instance emitted then... */
    assert_same(&ref_after, &after);
    /* ...and the changelog across the restore applied is the batch OVER of the final rows. */
    bag want = {0};
    batch_over(&held, calls, ncalls, &want);
    assert_same(&results, &want);
    wr_buf_fini(&text);
    bag_free(&want);
    bag_free(&held);
    bag_free(&results);
    bag_free(&ref_results);
    bag_free(&ref_after);
    bag_free(&after);
    for (int s = 0; s < p2; s++) stop(&b[s]);
    stop(&ref);
    wr_operator_spec_fini(&spec);
}

Test(over_changelog, snapshot_and_restore)
{
    check_restore(1, 1);
}

Test(over_changelog, restore_rescaled)
{
    check_restore(1, 2);
    check_restore(2, 1);
    check_restore(2, 2);
}

/* Restoring part bytes damaged in some way must fail with WR_ERR_IO. */
static void check_bad(const wr_operator_spec *spec, const wr_buf *good, int kg, size_t cut,
                      size_t flip, const char *what)
{
    wr_snapshot_part part = {kg, {0}};
    wr_buf_init(&part.data);
    wr_buf_append(&part.data, good->data, cut);
    if (flip < cut) part.data.data[flip] ^= 0x5a;
    const wr_snapshot_part *parts[] = {&part};
    wr_restore rs = {.checkpoint = 1, .parts = parts, .nparts = 1};
    run r;
    int rc = start_at(&r, spec, 0, 1, &rs);
    cr_assert_eq(rc, WR_ERR_IO, "%s at %zu/%zu: rc %d (%s)", what, cut, flip, rc, r.err.msg);
    cr_assert(strstr(r.err.msg, "key group") != NULL, "%s: %s", what, r.err.msg);
    stop(&r);
    wr_buf_fini(&part.data);
}

Test(over_changelog, corrupt_snapshot_is_an_error)
{
    int ncalls;
    const wr_over_call *calls = ckpt_calls(&ncalls);
    wr_operator_spec spec = wr_over_changelog_spec(IN, NIN, PART, 1, ORDER, 1, calls, ncalls, 0);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 5 a-string-longer-than-sixteen; +I 1 3 7 x; +I 1 4 null");
    op_snapshots sv;
    snapshot_all(&r, 1, &sv);
    stop(&r);
    cr_assert_eq(sv.snaps[0].nparts, 1);
    const wr_snapshot_part *good = &sv.snaps[0].parts[0];
    size_t len = good->data.len;
    /* The good bytes restore and continue. */
    {
        const wr_snapshot_part *parts[] = {good};
        wr_restore rs = {.checkpoint = 1, .parts = parts, .nparts = 1};
        run ok;
        cr_assert_eq(start_at(&ok, &spec, 0, 1, &rs), 0, "%s", ok.err.msg);
        feed(&ok, "-D 1 3 7 x");
        char *got = take_output(&ok);
        const char *want = "-D[1, 3, 7, x, 7, 1, x, 1, 1]\n";
        cr_assert(strncmp(got, want, strlen(want)) == 0, "%s", got);
        wr_free(got);
        stop(&ok);
    }
    for (size_t cut = 0; cut < len; cut++)
        check_bad(&spec, &good->data, good->keygroup, cut, len, "cut");
    for (size_t flip = 0; flip < len; flip += 3)
        check_bad(&spec, &good->data, good->keygroup, len, flip, "flip");
    check_bad(&spec, &good->data, (good->keygroup + 1) % 128, len, len, "key group");
    /* Past the checksum: a body cut anywhere (with a checksum that matches it) still fails. */
    for (size_t cut = 0; cut < len - 8; cut++) {
        wr_buf body;
        wr_buf_init(&body);
        wr_buf_append(&body, good->data.data, cut);
        wr_buf_put_u64(&body, wr_hash_bytes(body.data, body.len));
        check_bad(&spec, &body, good->keygroup, body.len, body.len, "cut body");
        wr_buf_fini(&body);
    }
    /* The same state restored into another OVER operator. */
    wr_over_call other[5];
    memcpy(other, calls, sizeof(other));
    other[0].lower = -9;
    wr_operator_spec ospec = wr_over_changelog_spec(IN, NIN, PART, 1, ORDER, 1, other, 5, 0);
    check_bad(&ospec, &good->data, good->keygroup, len, len, "other operator");
    wr_operator_spec_fini(&ospec);
    saved_fini(&sv);
    wr_operator_spec_fini(&spec);
}

/* ---- TTL and bad specs ------------------------------------------------------------------- */

Test(over_changelog, idle_partitions_expire)
{
    wr_over_call calls[] = {rank_call(WR_OVER_ROW_NUMBER)};
    wr_operator_spec spec = wr_over_changelog_spec(IN, NIN, PART, 1, ORDER, 1, calls, 1, 40);
    run r;
    start(&r, &spec);
    feed(&r, "+I 1 10 1; +I 1 20 2");
    expect(&r, "+I[1, 10, 1, null, 1]\n+I[1, 20, 2, null, 2]");
    usleep(80 * 1000);
    /* The partition expired: its rows are gone without output, a retraction finds nothing. */
    feed(&r, "-D 1 10 1; +I 1 30 3");
    expect(&r, "+I[1, 30, 3, null, 1]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

static void check_bad_spec(wr_operator_spec spec, const char *needle)
{
    run r;
    int rc = start_at(&r, &spec, 0, 1, NULL);
    cr_assert_eq(rc, WR_ERR_VALIDATION, "%s: rc %d", needle, rc);
    cr_assert(strstr(r.err.msg, needle) != NULL, "%s", r.err.msg);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

Test(over_changelog, bad_specs)
{
    wr_over_call calls[] = {agg_call("SUM", V, true, -5, 0)};
    check_bad_spec(wr_over_changelog_spec(IN, NIN, PART, 1, ORDER, 1, calls, 1, 0),
                   "RANGE frame with offsets");
    calls[0] = agg_call("SUM", V, false, -5, 0);
    calls[0].agg.distinct = true;
    check_bad_spec(wr_over_changelog_spec(IN, NIN, PART, 1, ORDER, 1, calls, 1, 0), "DISTINCT");
    calls[0].agg.distinct = false;
    int bad_part[] = {7};
    check_bad_spec(wr_over_changelog_spec(IN, NIN, bad_part, 1, ORDER, 1, calls, 1, 0),
                   "partition column 7");
    wr_sort_key bad_order[] = {{9, false, false}};
    check_bad_spec(wr_over_changelog_spec(IN, NIN, PART, 1, bad_order, 1, calls, 1, 0),
                   "ORDER BY column 9");
    check_bad_spec(wr_over_changelog_spec(IN, NIN, PART, 1, ORDER, 1, calls, 1, -1), "TTL");
}
