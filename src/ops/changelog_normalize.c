/*
 * changelog_normalize.c — Flink's ChangelogNormalize (see the header for
 * what it emits).
 *
 * State is one open-addressing table (linear probing, backward-shift
 * deletion, so no tombstones) of slots pointing into a byte heap that holds
 * each key's row-codec key bytes followed by its last row's bytes. An update
 * of equal length overwrites in place; other updates append and leave
 * garbage, which a compaction drops once it outweighs the live bytes, so
 * memory stays proportional to the live keys and no row costs a malloc.
 */
#include "changelog_normalize.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../state/keygroup.h"
#include "../types/row_codec.h"

#include <string.h>

#define SNAP_MAGIC "CNRM"
#define SNAP_VERSION 1u
/* The heap is compacted when its garbage exceeds both the live bytes and this. */
#define COMPACT_MIN_BYTES (64 * 1024)

typedef struct cn_spec {
    wr_type *types;
    int ncols;
    int *key;
    int nkey;
    int *all; /* 0..ncols-1: the columns of a stored row */
    int64_t state_ttl_ms;
} cn_spec;

typedef struct cn_slot {
    uint64_t hash;
    uint64_t off; /* of the key bytes in the heap; the row's follow */
    uint32_t klen, rlen;
    int64_t touched_ms; /* TTL only */
    bool used;
} cn_slot;

typedef struct cn_op {
    wr_operator base;
    const cn_spec *spec;
    cn_slot *slots;
    uint32_t cap; /* a power of two */
    uint32_t count;
    wr_buf heap;
    size_t live; /* bytes of the heap that slots point to */
    wr_buf kbuf, rbuf;
    wr_batch *out;
    wr_batch *scratch; /* restore: decoded rows, to re-derive and check their keys */
    int kg_first, kg_last;
    int64_t next_sweep;
    int64_t (*clock)(void *);
    void *clock_arg;
} cn_op;

static int64_t now_ms(const cn_op *op)
{
    return op->clock ? op->clock(op->clock_arg) : wr_clock_wall_ms();
}

/* ---- the table ------------------------------------------------------------------ */

static const uint8_t *slot_key(const cn_op *op, const cn_slot *s)
{
    return (const uint8_t *)op->heap.data + s->off;
}

static const uint8_t *slot_row(const cn_op *op, const cn_slot *s)
{
    return slot_key(op, s) + s->klen;
}

/* The slot of key, or -1. */
static int64_t find(const cn_op *op, uint64_t hash, const void *key, size_t klen)
{
    uint32_t mask = op->cap - 1;
    for (uint32_t i = (uint32_t)hash & mask;; i = (i + 1) & mask) {
        const cn_slot *s = &op->slots[i];
        if (!s->used) return -1;
        if (s->hash == hash && s->klen == klen && memcmp(slot_key(op, s), key, klen) == 0) return i;
    }
}

static void place(cn_slot *slots, uint32_t cap, const cn_slot *s)
{
    uint32_t mask = cap - 1, i = (uint32_t)s->hash & mask;
    while (slots[i].used) i = (i + 1) & mask;
    slots[i] = *s;
}

static void grow(cn_op *op)
{
    uint32_t cap = op->cap * 2;
    cn_slot *slots = wr_calloc_written(cap, sizeof(cn_slot));
    for (uint32_t i = 0; i < op->cap; i++)
        if (op->slots[i].used) place(slots, cap, &op->slots[i]);
    wr_free(op->slots);
    op->slots = slots;
    op->cap = cap;
}

/* Stores key and row bytes as a new key. */
static void insert(cn_op *op, uint64_t hash, const wr_buf *key, const wr_buf *row, int64_t now)
{
    if ((op->count + 1) * 4 > op->cap * 3) grow(op);
    cn_slot s = {.hash = hash,
                 .off = op->heap.len,
                 .klen = (uint32_t)key->len,
                 .rlen = (uint32_t)row->len,
                 .touched_ms = now,
                 .used = true};
    wr_buf_append(&op->heap, key->data, key->len);
    wr_buf_append(&op->heap, row->data, row->len);
    op->live += key->len + row->len;
    place(op->slots, op->cap, &s);
    op->count++;
}

/* Replaces the row of slot i; key holds its key bytes (the heap's may move while appending). */
static void replace(cn_op *op, uint32_t i, const wr_buf *key, const wr_buf *row)
{
    cn_slot *s = &op->slots[i];
    if (s->rlen == row->len) {
        memcpy(op->heap.data + s->off + s->klen, row->data, row->len);
        return;
    }
    uint64_t off = op->heap.len;
    wr_buf_append(&op->heap, key->data, key->len);
    wr_buf_append(&op->heap, row->data, row->len);
    op->live += row->len - (size_t)s->rlen;
    s->off = off;
    s->rlen = (uint32_t)row->len;
}

/* Removes slot i, shifting back the slots of its probe run so lookups need no tombstones. */
static void remove_slot(cn_op *op, uint32_t i)
{
    uint32_t mask = op->cap - 1;
    op->live -= op->slots[i].klen + (size_t)op->slots[i].rlen;
    op->count--;
    for (uint32_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        cn_slot *s = &op->slots[j];
        if (!s->used) break;
        uint32_t home = (uint32_t)s->hash & mask;
        /* s may move to i when i lies on its probe path: home .. j, cyclically. */
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (!movable) continue;
        op->slots[i] = *s;
        i = j;
    }
    op->slots[i].used = false;
}

/* Drops the heap's garbage once it outweighs the live bytes. */
static void maybe_compact(cn_op *op)
{
    size_t garbage = op->heap.len - op->live;
    if (garbage <= op->live || garbage < COMPACT_MIN_BYTES) return;
    wr_buf heap;
    wr_buf_init(&heap);
    for (uint32_t i = 0; i < op->cap; i++) {
        cn_slot *s = &op->slots[i];
        if (!s->used) continue;
        uint64_t off = heap.len;
        wr_buf_append(&heap, slot_key(op, s), s->klen + (size_t)s->rlen);
        s->off = off;
    }
    wr_buf_fini(&op->heap);
    op->heap = heap;
}

static bool expired(const cn_op *op, const cn_slot *s, int64_t now)
{
    int64_t ttl = op->spec->state_ttl_ms;
    return ttl > 0 && now - s->touched_ms >= ttl;
}

/* Drops every expired key; runs at most once per TTL. */
static void sweep(cn_op *op, int64_t now)
{
    for (uint32_t i = 0; i < op->cap;) {
        /* remove_slot may shift a later slot into i: look at i again. */
        if (op->slots[i].used && expired(op, &op->slots[i], now))
            remove_slot(op, i);
        else
            i++;
    }
    op->next_sweep = now + op->spec->state_ttl_ms;
}

/* ---- output ---------------------------------------------------------------------- */

static int flush(cn_op *op, wr_error *err)
{
    int rc = wr_op_emit(op->base.ctx, op->out, err);
    wr_batch_reset(op->out);
    return rc;
}

/* Makes room for n more rows in the output. */
static int room(cn_op *op, int n, wr_error *err)
{
    return op->out->count + n > op->out->capacity ? flush(op, err) : 0;
}

static void emit_input(cn_op *op, const wr_batch *batch, int row, wr_change_kind kind)
{
    uint32_t r = (uint32_t)row;
    wr_batch_append_rows(op->out, batch, &r, 1);
    wr_batch_kinds(op->out)[op->out->count - 1] = (uint8_t)kind;
}

/* Appends the stored row of slot i; its bytes were checked when they came in. */
static int emit_stored(cn_op *op, uint32_t i, wr_change_kind kind, wr_error *err)
{
    const cn_slot *s = &op->slots[i];
    int rc = wr_row_decode_append(op->out, slot_row(op, s), s->rlen, err);
    if (rc < 0) return rc;
    int row = op->out->count - 1;
    wr_batch_kinds(op->out)[row] = (uint8_t)kind;
    if (op->out->rowtimes) op->out->rowtimes[row] = WR_NO_TIMESTAMP;
    return 0;
}

/* ---- the operator ---------------------------------------------------------------- */

static int cn_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    cn_op *op = (cn_op *)base;
    const cn_spec *spec = op->spec;
    int64_t now = spec->state_ttl_ms > 0 ? now_ms(op) : 0;
    if (spec->state_ttl_ms > 0 && now >= op->next_sweep) sweep(op, now);
    int n = wr_batch_rows(batch), rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        int row = wr_batch_row(batch, i);
        wr_change_kind kind = wr_batch_kind(batch, row);
        wr_buf_reset(&op->kbuf);
        wr_row_encode(batch, row, spec->key, spec->nkey, &op->kbuf);
        uint64_t hash = wr_hash_bytes(op->kbuf.data, op->kbuf.len);
        int64_t at = find(op, hash, op->kbuf.data, op->kbuf.len);
        if (at >= 0 && expired(op, &op->slots[at], now)) {
            remove_slot(op, (uint32_t)at);
            at = -1;
        }
        if (kind == WR_KIND_DELETE || kind == WR_KIND_UPDATE_BEFORE) {
            if (at < 0) continue; /* a key never seen or already deleted */
            if ((rc = room(op, 1, err)) == 0)
                rc = emit_stored(op, (uint32_t)at, WR_KIND_DELETE, err);
            remove_slot(op, (uint32_t)at);
            continue;
        }
        wr_buf_reset(&op->rbuf);
        wr_row_encode(batch, row, spec->all, spec->ncols, &op->rbuf);
        if (at < 0) {
            if ((rc = room(op, 1, err))) break;
            emit_input(op, batch, row, WR_KIND_INSERT);
            insert(op, hash, &op->kbuf, &op->rbuf, now);
            continue;
        }
        cn_slot *s = &op->slots[at];
        s->touched_ms = now;
        if (spec->state_ttl_ms == 0 && s->rlen == op->rbuf.len &&
            memcmp(slot_row(op, s), op->rbuf.data, op->rbuf.len) == 0)
            continue; /* a duplicate upsert */
        if ((rc = room(op, 2, err))) break;
        if ((rc = emit_stored(op, (uint32_t)at, WR_KIND_UPDATE_BEFORE, err))) break;
        emit_input(op, batch, row, WR_KIND_UPDATE_AFTER);
        replace(op, (uint32_t)at, &op->kbuf, &op->rbuf);
    }
    maybe_compact(op);
    if (rc == 0) rc = flush(op, err);
    return rc;
}

static int cn_end_input(wr_operator *base, int input, wr_error *err)
{
    return flush((cn_op *)base, err);
}

/* Sorts the live slots by key group (counting sort) into order; counts[kg] keys each. */
static uint32_t *by_keygroup(const cn_op *op, int maxp, uint32_t *counts)
{
    uint32_t *order = wr_malloc((size_t)(op->count ? op->count : 1) * sizeof(uint32_t));
    uint32_t *start = wr_calloc((size_t)maxp + 1, sizeof(uint32_t));
    for (uint32_t i = 0; i < op->cap; i++)
        if (op->slots[i].used) counts[wr_keygroup_of_hash(op->slots[i].hash, maxp)]++;
    for (int g = 0; g < maxp; g++) start[g + 1] = start[g] + counts[g];
    for (uint32_t i = 0; i < op->cap; i++)
        if (op->slots[i].used) order[start[wr_keygroup_of_hash(op->slots[i].hash, maxp)]++] = i;
    wr_free(start);
    return order;
}

/*
 * One part per key group that holds keys: "CNRM", u32 version, u32 column
 * count, u64 key count, then per key u32 length and the row's codec bytes
 * (the key is derived from the row again on restore).
 */
static int cn_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    cn_op *op = (cn_op *)base;
    int maxp = base->ctx->max_parallelism;
    uint32_t *counts = wr_calloc((size_t)maxp, sizeof(uint32_t));
    uint32_t *order = by_keygroup(op, maxp, counts);
    uint32_t k = 0;
    for (int g = 0; g < maxp; g++) {
        if (counts[g] == 0) continue;
        wr_buf *b = wr_snapshot_add(out, g);
        wr_buf_append(b, SNAP_MAGIC, 4);
        wr_buf_put_u32(b, SNAP_VERSION);
        wr_buf_put_u32(b, (uint32_t)op->spec->ncols);
        wr_buf_put_u64(b, counts[g]);
        for (uint32_t j = 0; j < counts[g]; j++, k++) {
            const cn_slot *s = &op->slots[order[k]];
            wr_buf_put_u32(b, s->rlen);
            wr_buf_append(b, slot_row(op, s), s->rlen);
        }
    }
    wr_free(order);
    wr_free(counts);
    return 0;
}

/* Restores one key's row from r; the bytes must decode and their key belong to group kg. */
static int restore_row(cn_op *op, wr_buf_reader *r, int kg, size_t at, int64_t now, wr_error *err)
{
    uint32_t len = wr_buf_get_u32(r);
    const uint8_t *bytes = wr_buf_take(r, len);
    if (r->bad || len == 0) return wr_error_set(err, WR_ERR_IO, "row truncated at byte %zu", at);
    wr_batch_reset(op->scratch);
    int used = wr_row_decode_append(op->scratch, bytes, len, err);
    if (used < 0) {
        wr_error_prefix(err, "malformed row at byte %zu", at);
        return WR_ERR_IO;
    }
    if (used != (int)len)
        return wr_error_set(err, WR_ERR_IO, "row at byte %zu has %u bytes after its columns", at,
                            len - (uint32_t)used);
    wr_buf_reset(&op->kbuf);
    wr_row_encode(op->scratch, 0, op->spec->key, op->spec->nkey, &op->kbuf);
    uint64_t hash = wr_hash_bytes(op->kbuf.data, op->kbuf.len);
    if (wr_keygroup_of_hash(hash, op->base.ctx->max_parallelism) != kg)
        return wr_error_set(err, WR_ERR_IO, "row at byte %zu does not belong to key group %d", at,
                            kg);
    if (find(op, hash, op->kbuf.data, op->kbuf.len) >= 0)
        return wr_error_set(err, WR_ERR_IO, "row at byte %zu repeats a key", at);
    wr_buf_reset(&op->rbuf);
    wr_buf_append(&op->rbuf, bytes, len);
    insert(op, hash, &op->kbuf, &op->rbuf, now);
    return 0;
}

static int restore_part(cn_op *op, const wr_snapshot_part *part, wr_error *err)
{
    if (part->keygroup < 0)
        return wr_error_set(err, WR_ERR_IO, "changelog normalize snapshot has operator state");
    if (part->keygroup < op->kg_first || part->keygroup > op->kg_last) return 0; /* not ours */
    const uint8_t *data = (const uint8_t *)part->data.data;
    size_t len = part->data.len;
    wr_buf_reader r = wr_buf_reader_of(data, len);
    const void *magic = wr_buf_take(&r, 4);
    uint32_t version = wr_buf_get_u32(&r);
    uint32_t ncols = wr_buf_get_u32(&r);
    uint64_t n = wr_buf_get_u64(&r);
    int rc = 0;
    if (r.bad || memcmp(magic, SNAP_MAGIC, 4) != 0)
        rc = wr_error_set(err, WR_ERR_IO, "not a changelog normalize snapshot");
    else if (version != SNAP_VERSION)
        rc = wr_error_set(err, WR_ERR_IO, "changelog normalize snapshot of unknown version %u",
                          version);
    else if (ncols != (uint32_t)op->spec->ncols)
        rc = wr_error_set(err, WR_ERR_IO,
                          "changelog normalize snapshot of rows of %u columns, "
                          "not %d",
                          ncols, op->spec->ncols);
    else if (n > len)
        rc = wr_error_set(err, WR_ERR_IO,
                          "changelog normalize snapshot claims %llu rows in %zu "
                          "bytes",
                          (unsigned long long)n, len);
    int64_t now = op->spec->state_ttl_ms > 0 ? now_ms(op) : 0;
    for (uint64_t i = 0; rc == 0 && i < n; i++)
        rc = restore_row(op, &r, part->keygroup, len - r.left, now, err);
    if (rc == 0 && r.left)
        rc = wr_error_set(err, WR_ERR_IO, "%zu bytes after the last row", r.left);
    if (rc) wr_error_prefix(err, "restoring key group %d", part->keygroup);
    return rc;
}

static void cn_destroy(wr_operator *base)
{
    cn_op *op = (cn_op *)base;
    wr_free(op->slots);
    wr_buf_fini(&op->heap);
    wr_buf_fini(&op->kbuf);
    wr_buf_fini(&op->rbuf);
    wr_batch_free(op->out);
    wr_batch_free(op->scratch);
    wr_free(op);
}

static wr_operator *cn_create(const void *vspec, wr_op_ctx *ctx, wr_error *err);

/* State bytes: the capacity of the key table and of the heap of keys and rows. */
static size_t cn_state_bytes(const wr_operator *base)
{
    const cn_op *op = (const cn_op *)base;
    return (size_t)op->cap * sizeof(cn_slot) + op->heap.cap;
}

static const wr_operator_ops cn_ops = {
    .kind = "changelog_normalize",
    .create = cn_create,
    .process = cn_process,
    .end_input = cn_end_input,
    .snapshot = cn_snapshot,
    .state_bytes = cn_state_bytes,
    .destroy = cn_destroy,
};

static wr_operator *cn_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const cn_spec *spec = vspec;
    cn_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &cn_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->cap = 64;
    op->slots = wr_calloc(op->cap, sizeof(cn_slot));
    wr_buf_init(&op->heap);
    wr_buf_init(&op->kbuf);
    wr_buf_init(&op->rbuf);
    op->out = wr_batch_new(spec->types, spec->ncols, WR_BATCH_CAPACITY);
    wr_keygroup_range(ctx->subtask, ctx->max_parallelism, ctx->parallelism, &op->kg_first,
                      &op->kg_last);
    if (spec->state_ttl_ms > 0) op->next_sweep = now_ms(op) + spec->state_ttl_ms;
    if (ctx->restore && ctx->restore->nparts) {
        op->scratch = wr_batch_new(spec->types, spec->ncols, 1);
        for (int i = 0; i < ctx->restore->nparts; i++) {
            if (restore_part(op, ctx->restore->parts[i], err) == 0) continue;
            cn_destroy(&op->base);
            return NULL;
        }
    }
    return &op->base;
}

static void cn_spec_free(void *vspec)
{
    cn_spec *spec = vspec;
    if (spec == NULL) return;
    wr_free(spec->types);
    wr_free(spec->key);
    wr_free(spec->all);
    wr_free(spec);
}

wr_operator_spec wr_changelog_normalize_spec(const wr_type *types, int ncols, const int *key,
                                             int nkey, int64_t state_ttl_ms)
{
    cn_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->types = wr_malloc((size_t)(ncols ? ncols : 1) * sizeof(wr_type));
    memcpy(spec->types, types, (size_t)ncols * sizeof(wr_type));
    spec->ncols = ncols;
    spec->key = wr_malloc((size_t)(nkey ? nkey : 1) * sizeof(int));
    memcpy(spec->key, key, (size_t)nkey * sizeof(int));
    spec->nkey = nkey;
    spec->all = wr_malloc((size_t)(ncols ? ncols : 1) * sizeof(int));
    for (int i = 0; i < ncols; i++) spec->all[i] = i;
    spec->state_ttl_ms = state_ttl_ms > 0 ? state_ttl_ms : 0;
    return (wr_operator_spec){
        .ops = &cn_ops, .spec = spec, .spec_free = cn_spec_free, .parallelism = -1};
}

int64_t wr_changelog_normalize_keys(const wr_operator *op)
{
    return ((const cn_op *)op)->count;
}

void wr_changelog_normalize_set_clock(wr_operator *base, int64_t (*fn)(void *), void *arg)
{
    cn_op *op = (cn_op *)base;
    op->clock = fn;
    op->clock_arg = arg;
    if (op->spec->state_ttl_ms > 0) op->next_sweep = now_ms(op) + op->spec->state_ttl_ms;
}
