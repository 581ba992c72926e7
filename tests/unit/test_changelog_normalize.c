/*
 * test_changelog_normalize.c — ChangelogNormalize: upserts and deletes to a
 * full changelog (exact kinds and rows), duplicate upserts, key-only
 * deletes, state TTL, snapshots (restore, rescale 1->2 and 2->1, bad bytes).
 */
#include "harness.h"
#include "../../src/base/alloc.h"
#include "../../src/base/hash.h"
#include "../../src/ops/changelog_normalize.h"
#include "../../src/state/keygroup.h"
#include "../../src/types/row_codec.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows are (k BIGINT, v STRING, n BIGINT) with PRIMARY KEY (k). */
static const wr_type types[3] = {{.id = WR_TYPE_BIGINT, .nullable = false},
                                 {.id = WR_TYPE_VARCHAR, .nullable = true},
                                 {.id = WR_TYPE_BIGINT, .nullable = true}};
static const int key[1] = {0};

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

static void stop(run *r)
{
    if (r->op) r->op->ops->destroy(r->op);
    r->op = NULL;
    capture_fini(&r->cap);
}

/*
 * Feeds rows written as "+I 1 a 10; -D 1 null null; ..." (kind, k, v, n;
 * 'null' for NULL), as one batch.
 */
static void feed(run *r, const char *rows)
{
    wr_batch *b = wr_batch_new(types, 3, WR_BATCH_CAPACITY);
    char *copy = strdup(rows);
    for (char *save, *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        char kind[4], v[32], n[32];
        long long k;
        cr_assert_eq(sscanf(tok, " %3s %lld %31s %31s", kind, &k, v, n), 4, "bad row '%s'", tok);
        int row = b->count++;
        static const char *const kinds[] = {"+I", "-U", "+U", "-D"};
        for (int i = 0; i < 4; i++)
            if (strcmp(kind, kinds[i]) == 0) wr_batch_kinds(b)[row] = (uint8_t)i;
        ((int64_t *)b->cols[0].data)[row] = k;
        if (strcmp(v, "null") == 0)
            wr_batch_set_null(b, 1, row);
        else
            ((wr_str *)b->cols[1].data)[row] = wr_batch_str(b, v, strlen(v));
        if (strcmp(n, "null") == 0)
            wr_batch_set_null(b, 2, row);
        else
            ((int64_t *)b->cols[2].data)[row] = strtoll(n, NULL, 10);
    }
    free(copy);
    cr_assert_eq(r->op->ops->process(r->op, 0, b, &r->err), 0, "process: %s", r->err.msg);
    wr_batch_free(b);
}

/* Every captured row as "+I[1, a, 10]" joined by "; ", then forgets them. */
static char *taken(run *r)
{
    wr_buf out;
    wr_buf_init(&out);
    for (int b = 0; b < r->cap.nbatches; b++)
        for (int i = 0; i < wr_batch_rows(r->cap.batches[b]); i++) {
            if (out.len) wr_buf_puts(&out, "; ");
            wr_batch_format_row(r->cap.batches[b], wr_batch_row(r->cap.batches[b], i), &out);
        }
    wr_buf_putc(&out, '\0');
    capture_fini(&r->cap);
    capture_init(&r->cap);
    r->ctx.out = &r->cap.base;
    char *s = strdup(out.data);
    wr_buf_fini(&out);
    return s;
}

static void expect(run *r, const char *want)
{
    char *got = taken(r);
    cr_assert_str_eq(got, want);
    free(got);
}

Test(changelog_normalize, upserts_to_full_changelog)
{
    wr_operator_spec spec = wr_changelog_normalize_spec(types, 3, key, 1, 0);
    run r;
    cr_assert_eq(start_at(&r, &spec, 0, 1, NULL), 0);
    feed(&r, "+U 1 a 10; +U 2 b 20; +U 1 a 11; +I 1 a 11; -D 3 null null; -D 2 null null");
    expect(&r, "+I[1, a, 10]; +I[2, b, 20]; -U[1, a, 10]; +U[1, a, 11]; -D[2, b, 20]");
    cr_assert_eq(wr_changelog_normalize_keys(r.op), 1);
    /* A deleted key starts over; -U acts as a delete; a delete of it again is dropped. */
    feed(&r, "+U 2 c null; -U 1 x 0; -D 1 null null; +U 2 c 5");
    expect(&r, "+I[2, c, null]; -D[1, a, 11]; -U[2, c, null]; +U[2, c, 5]");
    cr_assert_eq(wr_changelog_normalize_keys(r.op), 1);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

/* Many keys with growing and shrinking rows: the table grows, the heap is compacted. */
Test(changelog_normalize, many_keys_grow_and_compact)
{
    wr_operator_spec spec = wr_changelog_normalize_spec(types, 3, key, 1, 0);
    run r;
    cr_assert_eq(start_at(&r, &spec, 0, 1, NULL), 0);
    char rows[64 * 1000];
    for (int round = 0; round < 6; round++) {
        size_t at = 0;
        for (int k = 0; k < 1000; k++)
            at += (size_t)snprintf(rows + at, sizeof(rows) - at, "+U %d v%0*d %d;", k,
                                   round % 2 ? 20 : 1, round, round);
        feed(&r, rows);
        int64_t before = 0, after = 0;
        for (int b = 0; b < r.cap.nbatches; b++)
            for (int i = 0; i < r.cap.batches[b]->count; i++) {
                int kind = wr_batch_kind(r.cap.batches[b], i);
                before += kind == WR_KIND_UPDATE_BEFORE;
                after += kind == (round ? WR_KIND_UPDATE_AFTER : WR_KIND_INSERT);
            }
        cr_assert_eq(after, 1000, "round %d", round);
        cr_assert_eq(before, round ? 1000 : 0, "round %d", round);
        free(taken(&r));
    }
    /* Delete the even keys: each -D carries the last row. */
    size_t at = 0;
    for (int k = 0; k < 1000; k += 2)
        at += (size_t)snprintf(rows + at, sizeof(rows) - at, "-D %d null null;", k);
    feed(&r, rows);
    cr_assert_eq(r.cap.rows, 500);
    wr_buf line;
    wr_buf_init(&line);
    wr_batch_format_row(r.cap.batches[0], 1, &line);
    wr_buf_putc(&line, '\0');
    cr_assert_str_eq(line.data, "-D[2, v00000000000000000005, 5]");
    wr_buf_fini(&line);
    free(taken(&r));
    cr_assert_eq(wr_changelog_normalize_keys(r.op), 500);
    feed(&r, "+U 1 v00000000000000000005 5; +U 3 z 5");
    expect(&r, "-U[3, v00000000000000000005, 5]; +U[3, z, 5]");
    stop(&r);
    wr_operator_spec_fini(&spec);
}

static int64_t fake_now;
static int64_t fake_clock(void *arg)
{
    return fake_now;
}

Test(changelog_normalize, state_ttl)
{
    wr_operator_spec spec = wr_changelog_normalize_spec(types, 3, key, 1, 1000);
    run r;
    fake_now = 5000;
    cr_assert_eq(start_at(&r, &spec, 0, 1, NULL), 0);
    wr_changelog_normalize_set_clock(r.op, fake_clock, NULL);
    feed(&r, "+U 1 a 1; +U 2 b 2");
    /* With TTL on a duplicate upsert is emitted again (Flink), and touches the key. */
    fake_now = 5600;
    feed(&r, "+U 1 a 1");
    expect(&r, "+I[1, a, 1]; +I[2, b, 2]; -U[1, a, 1]; +U[1, a, 1]");
    fake_now = 6200; /* key 2 expired, key 1 not */
    feed(&r, "+U 2 b 3; -D 1 null null");
    expect(&r, "+I[2, b, 3]; -D[1, a, 1]");
    fake_now = 9000; /* the sweep drops key 2 */
    feed(&r, "-D 9 null null");
    cr_assert_eq(wr_changelog_normalize_keys(r.op), 0);
    stop(&r);
    wr_operator_spec_fini(&spec);
}

/* ---- checkpoints ------------------------------------------------------------------- */

static void snapshot_all(run *rs, int n, op_snapshots *sv)
{
    memset(sv, 0, sizeof(*sv));
    sv->n = n;
    for (int i = 0; i < n; i++) {
        cr_assert_eq(rs[i].op->ops->snapshot(rs[i].op, 1, &sv->snaps[i], &rs[i].err), 0);
        for (int p = 0; p < sv->snaps[i].nparts; p++)
            cr_assert(sv->snaps[i].parts[p].keygroup >= 0);
    }
}

/* The subtask of par that owns key k, as the hash exchange routes it. */
static int owner(int64_t k, int par)
{
    wr_batch *b = wr_batch_new(types, 3, 1);
    ((int64_t *)b->cols[0].data)[0] = k;
    wr_batch_set_null(b, 1, 0);
    wr_batch_set_null(b, 2, 0);
    b->count = 1;
    wr_buf kb;
    wr_buf_init(&kb);
    wr_row_encode(b, 0, key, 1, &kb);
    int kg = wr_keygroup_of_hash(wr_hash_bytes(kb.data, kb.len), 128);
    wr_buf_fini(&kb);
    wr_batch_free(b);
    return wr_keygroup_subtask(kg, 128, par);
}

/* Feeds "+U k v n" rows for keys 0..nkeys) to the instance that owns each. */
static void feed_keys(run *rs, int par, int nkeys, const char *v, int n)
{
    for (int k = 0; k < nkeys; k++) {
        char row[64];
        snprintf(row, sizeof(row), "+U %d %s %d", k, v, n);
        feed(&rs[owner(k, par)], row);
    }
}

static int64_t count_kind(run *rs, int par, wr_change_kind kind)
{
    int64_t n = 0;
    for (int s = 0; s < par; s++)
        for (int b = 0; b < rs[s].cap.nbatches; b++)
            for (int i = 0; i < rs[s].cap.batches[b]->count; i++)
                n += wr_batch_kind(rs[s].cap.batches[b], i) == kind;
    return n;
}

/*
 * p1 instances hold 40 keys; after a snapshot, p2 restored instances must
 * know every one of them: an update is -U old/+U new, a duplicate nothing.
 */
static void check_restore(int p1, int p2)
{
    wr_operator_spec spec = wr_changelog_normalize_spec(types, 3, key, 1, 0);
    run a[2], b[2];
    for (int s = 0; s < p1; s++) cr_assert_eq(start_at(&a[s], &spec, s, p1, NULL), 0);
    feed_keys(a, p1, 40, "old", 1);
    cr_assert_eq(count_kind(a, p1, WR_KIND_INSERT), 40);
    op_snapshots sv;
    snapshot_all(a, p1, &sv);
    for (int s = 0; s < p1; s++) stop(&a[s]);
    int64_t keys = 0;
    for (int s = 0; s < p2; s++) {
        wr_restore r;
        const wr_snapshot_part *parts[128];
        keyed_restore_for(&sv, s, p2, &r, parts);
        cr_assert_eq(start_at(&b[s], &spec, s, p2, &r), 0, "restore: %s", b[s].err.msg);
        keys += wr_changelog_normalize_keys(b[s].op);
    }
    cr_assert_eq(keys, 40);
    feed_keys(b, p2, 40, "old", 1); /* duplicates */
    cr_assert_eq(count_kind(b, p2, WR_KIND_INSERT) + count_kind(b, p2, WR_KIND_UPDATE_AFTER), 0);
    feed_keys(b, p2, 50, "new", 2);
    cr_assert_eq(count_kind(b, p2, WR_KIND_UPDATE_BEFORE), 40);
    cr_assert_eq(count_kind(b, p2, WR_KIND_UPDATE_AFTER), 40);
    cr_assert_eq(count_kind(b, p2, WR_KIND_INSERT), 10);
    /* The -U rows are the restored ones. */
    for (int s = 0; s < p2; s++) {
        char *got = taken(&b[s]);
        cr_assert(strstr(got, "-U[") == NULL || strstr(got, ", old, 1]") != NULL);
        cr_assert(strstr(got, "-U[1, old, 1]; +U[1, new, 2]") || owner(1, p2) != s);
        free(got);
    }
    for (int s = 0; s < p2; s++) stop(&b[s]);
    for (int i = 0; i < sv.n; i++) wr_snapshot_fini(&sv.snaps[i]);
    wr_operator_spec_fini(&spec);
}

Test(changelog_normalize, snapshot_and_restore)
{
    check_restore(1, 1);
}

Test(changelog_normalize, restore_rescaled)
{
    check_restore(1, 2);
    check_restore(2, 1);
}

Test(changelog_normalize, bad_snapshot_bytes)
{
    wr_operator_spec spec = wr_changelog_normalize_spec(types, 3, key, 1, 0);
    run a;
    cr_assert_eq(start_at(&a, &spec, 0, 1, NULL), 0);
    feed(&a, "+U 7 seven 7");
    op_snapshots sv;
    snapshot_all(&a, 1, &sv);
    stop(&a);
    cr_assert_eq(sv.snaps[0].nparts, 1);
    wr_snapshot_part *part = &sv.snaps[0].parts[0];
    const wr_snapshot_part *parts[1] = {part};
    wr_restore r = {.checkpoint = 1, .parts = parts, .nparts = 1};
    size_t len = part->data.len;
    /* Truncations at every length, a bad magic, a flipped column count, trailing bytes,
     * another key group. */
    for (size_t cut = 0; cut < len; cut++) {
        part->data.len = cut;
        run b;
        cr_assert_eq(start_at(&b, &spec, 0, 1, &r), WR_ERR_IO, "cut at %zu", cut);
        stop(&b);
    }
    part->data.len = len;
    const struct {
        size_t at;
        char byte;
        const char *msg;
    } flips[] = {{0, 'X', "not a changelog normalize snapshot"},
                 {4, 9, "unknown version"},
                 {8, 4, "columns"},
                 {20, 0x7f, "truncated"},
                 {24, 0x06, "after its columns"}};
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        char old = part->data.data[flips[i].at];
        part->data.data[flips[i].at] = flips[i].byte;
        run b;
        cr_assert_eq(start_at(&b, &spec, 0, 1, &r), WR_ERR_IO);
        cr_assert(strstr(b.err.msg, flips[i].msg), "%s", b.err.msg);
        stop(&b);
        part->data.data[flips[i].at] = old;
    }
    wr_buf_putc(&part->data, 0);
    run b;
    cr_assert_eq(start_at(&b, &spec, 0, 1, &r), WR_ERR_IO);
    cr_assert(strstr(b.err.msg, "after the last row"), "%s", b.err.msg);
    stop(&b);
    part->data.len = len;
    int kg = part->keygroup;
    part->keygroup = kg == 0 ? 1 : kg - 1;
    cr_assert_eq(start_at(&b, &spec, 0, 1, &r), WR_ERR_IO);
    cr_assert(strstr(b.err.msg, "does not belong"), "%s", b.err.msg);
    stop(&b);
    part->keygroup = kg;
    /* The untouched bytes restore. */
    cr_assert_eq(start_at(&b, &spec, 0, 1, &r), 0, "%s", b.err.msg);
    feed(&b, "-D 7 null null");
    expect(&b, "-D[7, seven, 7]");
    stop(&b);
    wr_snapshot_fini(&sv.snaps[0]);
    wr_operator_spec_fini(&spec);
}
