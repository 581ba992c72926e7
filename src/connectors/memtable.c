/*
 * memtable.c — tables stored by Weir; see memtable.h.
 *
 * A table's rows are an immutable list of immutable batches (a snapshot).
 * Writers never change a published snapshot: a commit builds a new list that
 * shares the old batches and swaps it in under the table's mutex, so a
 * reading job that took a reference to the old list reads it undisturbed
 * while other jobs commit. Sink subtasks copy their rows into a transaction;
 * nothing becomes visible before the commit.
 */
#include "memtable.h"
#include "../base/alloc.h"
#include "../expr/expr.h"
#include "connector.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../types/row_codec.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* One stored batch: all inserts, no selection, no timestamps; never changed once published. */
typedef struct mt_chunk {
    atomic_int refs;
    wr_batch *batch;
} mt_chunk;

/* The rows as of one commit: shared by the table and the jobs reading it. */
typedef struct mt_snapshot {
    atomic_int refs;
    mt_chunk **chunks;
    int nchunks;
    int64_t rows;
} mt_snapshot;

struct wr_memtable {
    atomic_int refs; /* the owner's, plus one per open transaction */
    wr_schema *schema;
    pthread_mutex_t lock; /* guards current */
    mt_snapshot *current;
};

struct wr_memtable_txn {
    wr_memtable *mt; /* a reference */
    bool overwrite;
    pthread_mutex_t lock; /* sink subtasks append concurrently */
    WR_VEC(wr_batch *) batches;
    int64_t rows;
    bool retracts; /* some row is -U or -D */
};

static void chunk_unref(mt_chunk *chunk)
{
    if (atomic_fetch_sub(&chunk->refs, 1) != 1) return;
    wr_batch_free(chunk->batch);
    wr_free(chunk);
}

static mt_snapshot *snapshot_new(void)
{
    mt_snapshot *snap = wr_calloc(1, sizeof(*snap));
    atomic_init(&snap->refs, 1);
    return snap;
}

static void snapshot_unref(mt_snapshot *snap)
{
    if (snap == NULL || atomic_fetch_sub(&snap->refs, 1) != 1) return;
    for (int i = 0; i < snap->nchunks; i++) chunk_unref(snap->chunks[i]);
    wr_free(snap->chunks);
    wr_free(snap);
}

static void snapshot_push(mt_snapshot *snap, mt_chunk *chunk)
{
    snap->chunks = wr_realloc(snap->chunks, (size_t)(snap->nchunks + 1) * sizeof(mt_chunk *));
    snap->chunks[snap->nchunks++] = chunk;
    snap->rows += chunk->batch->count;
}

/* A new reference to the table's rows as of now. */
static mt_snapshot *take_snapshot(wr_memtable *mt)
{
    pthread_mutex_lock(&mt->lock);
    mt_snapshot *snap = mt->current;
    atomic_fetch_add(&snap->refs, 1);
    pthread_mutex_unlock(&mt->lock);
    return snap;
}

wr_memtable *wr_memtable_new(const wr_schema *schema)
{
    wr_memtable *mt = wr_calloc(1, sizeof(*mt));
    atomic_init(&mt->refs, 1);
    mt->schema = wr_schema_copy(schema);
    pthread_mutex_init(&mt->lock, NULL);
    mt->current = snapshot_new();
    return mt;
}

/* Drops a reference; the last one frees the rows (readers keep their snapshots). */
void wr_memtable_free(wr_memtable *mt)
{
    if (mt == NULL || atomic_fetch_sub(&mt->refs, 1) != 1) return;
    snapshot_unref(mt->current);
    pthread_mutex_destroy(&mt->lock);
    wr_schema_free(mt->schema);
    wr_free(mt);
}

int64_t wr_memtable_rows(const wr_memtable *mt)
{
    wr_memtable *m = (wr_memtable *)mt; /* the lock is not part of the value */
    pthread_mutex_lock(&m->lock);
    int64_t rows = m->current->rows;
    pthread_mutex_unlock(&m->lock);
    return rows;
}

/* ---- source ------------------------------------------------------------------ */

/*
 * A scan: the rows as of planning, the table's columns it produces and the
 * filter it applies (the AND of the request's filters, over the table's
 * columns; NULL: none). Immutable; shared by the subtasks.
 */
typedef struct mt_source_spec {
    mt_snapshot *snap;
    int *cols;
    int ncols;
    wr_type *types; /* of cols */
    wr_expr *filter;
} mt_source_spec;

typedef struct mt_source_op {
    wr_operator base;
    const mt_source_spec *spec;
    const mt_snapshot *snap;
    int next;       /* index of the next chunk this subtask emits */
    wr_batch *view; /* aliases the chunk being emitted; see source_run */
    wr_arena arena; /* the filter's evaluation, reset per chunk */
} mt_source_op;

static void source_spec_free(void *vspec)
{
    mt_source_spec *spec = vspec;
    snapshot_unref(spec->snap);
    wr_free(spec->cols);
    wr_free(spec->types);
    wr_expr_free(spec->filter);
    wr_free(spec);
}

static wr_operator *source_create(const void *spec, wr_op_ctx *ctx, wr_error *err);

/* Operator state: how many of its chunks the subtask emitted before the barrier. */
static int source_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    mt_source_op *op = (mt_source_op *)base;
    int64_t emitted = (op->next - base->ctx->subtask) / base->ctx->parallelism;
    wr_buf_append(wr_snapshot_add(out, -1), &emitted, sizeof(emitted));
    return 0;
}

/* Chunks one run may filter away without emitting, so the task still answers its mail. */
#define MT_RUN_CHUNKS 64

/*
 * Emits this subtask's next chunk with a row in it. The filter runs over the
 * stored chunk itself (it reads the table's columns, produced or not) into
 * the view's selection, so a row that fails it is never touched again, and
 * a chunk without a passing row is not emitted at all.
 */
static int source_run(wr_operator *base, wr_source_status *status, wr_error *err)
{
    mt_source_op *op = (mt_source_op *)base;
    const mt_source_spec *spec = op->spec;
    for (int budget = MT_RUN_CHUNKS; budget > 0; budget--) {
        if (op->next >= op->snap->nchunks) {
            *status = WR_SOURCE_END;
            return 0;
        }
        *status = WR_SOURCE_MORE;
        const wr_batch *chunk = op->snap->chunks[op->next]->batch;
        op->next += base->ctx->parallelism;
        /*
         * Chunks never change and the snapshot outlives the job, so their values are
         * lent, not copied. A chunk may be read by several scans of one job at once
         * (a self-join), so what a consumer may set on the batch it is handed
         * (selection, kinds) goes into this subtask's own view of the chunk.
         */
        wr_batch_reset(op->view);
        op->view->count = chunk->count;
        op->view->stable = true;
        if (spec->filter) {
            wr_arena_reset(&op->arena);
            wr_eval ev = {&op->arena, chunk->count};
            uint32_t *sel = wr_batch_sel_buffer(op->view);
            int n;
            int rc = wr_expr_filter(&ev, spec->filter, chunk, NULL, chunk->count, sel, &n, err);
            if (rc) return rc;
            if (n == 0) continue;
            if (n < chunk->count) {
                op->view->sel = sel;
                op->view->nsel = n;
            }
        }
        for (int c = 0; c < spec->ncols; c++) {
            op->view->cols[c].data = chunk->cols[spec->cols[c]].data;
            op->view->cols[c].validity = chunk->cols[spec->cols[c]].validity;
        }
        return wr_op_emit(base->ctx, op->view, err);
    }
    return 0; /* MORE: the next run goes on */
}

static void source_destroy(wr_operator *base)
{
    mt_source_op *op = (mt_source_op *)base;
    wr_batch_free(op->view);
    wr_arena_fini(&op->arena);
    wr_free(op);
}

static const wr_operator_ops source_ops = {
    .kind = "memtable-source",
    .create = source_create,
    .run = source_run,
    .snapshot = source_snapshot,
    .destroy = source_destroy,
};

static wr_operator *source_create(const void *spec, wr_op_ctx *ctx, wr_error *err)
{
    mt_source_op *op = wr_calloc(1, sizeof(*op));
    const mt_source_spec *mspec = spec;
    op->base.ops = &source_ops;
    op->spec = mspec;
    op->snap = mspec->snap;
    op->view = wr_batch_new(mspec->types, mspec->ncols, WR_BATCH_CAPACITY);
    wr_arena_init(&op->arena, 16384);
    int64_t skip = 0;
    const wr_restore *r = ctx->restore;
    for (int i = 0; r && i < r->nparts; i++)
        if (r->parts[i]->keygroup < 0 && r->parts[i]->data.len == sizeof(skip))
            memcpy(&skip, r->parts[i]->data.data, sizeof(skip));
    skip = WR_MAX(0, WR_MIN(skip, (int64_t)op->snap->nchunks));
    /* Chunk i belongs to subtask i % parallelism. */
    op->next = ctx->subtask + (int)skip * ctx->parallelism;
    if (r && r->finished) op->next = op->snap->nchunks;
    return &op->base;
}

bool wr_memtable_accepts_filter(const wr_expr *filter)
{
    /* Any predicate: the source evaluates it as a Calc would, on the same rows. */
    return true;
}

wr_operator_spec wr_memtable_source_spec(wr_memtable *mt, const wr_scan_request *req)
{
    mt_source_spec *spec = wr_calloc(1, sizeof(*spec));
    /* The rows as of planning, so that every subtask reads the same ones. */
    spec->snap = take_snapshot(mt);
    spec->cols = wr_scan_request_columns(req, mt->schema, &spec->ncols);
    spec->types = wr_malloc((size_t)(spec->ncols ? spec->ncols : 1) * sizeof(wr_type));
    for (int c = 0; c < spec->ncols; c++) spec->types[c] = mt->schema->types[spec->cols[c]];
    /* The filters, taken from the request, become one AND in their order. */
    int nf = req ? req->nfilters : 0;
    if (nf == 1) {
        spec->filter = req->filters[0];
    } else if (nf > 1) {
        wr_expr **args = wr_malloc((size_t)nf * sizeof(wr_expr *));
        bool nullable = false;
        for (int i = 0; i < nf; i++) {
            args[i] = req->filters[i];
            nullable |= args[i]->type.nullable;
        }
        spec->filter = wr_expr_logic(WR_EXPR_AND, args, nf, wr_type_make(WR_TYPE_BOOLEAN, nullable),
                                     args[0]->pos);
    }
    for (int i = 0; i < nf; i++) req->filters[i] = NULL;
    wr_operator_spec out = {&source_ops, spec, source_spec_free, -1, true};
    return out;
}

/* ---- transactions and the sink -------------------------------------------- */

wr_memtable_txn *wr_memtable_begin(wr_memtable *mt, bool overwrite)
{
    wr_memtable_txn *txn = wr_calloc(1, sizeof(*txn));
    atomic_fetch_add(&mt->refs, 1);
    txn->mt = mt;
    txn->overwrite = overwrite;
    pthread_mutex_init(&txn->lock, NULL);
    return txn;
}

/* Takes ownership of batch (no selection). Thread-safe. */
static void txn_append(wr_memtable_txn *txn, wr_batch *batch)
{
    bool retracts = false;
    for (int i = 0; batch->kinds && i < batch->count && !retracts; i++)
        retracts = batch->kinds[i] == WR_KIND_UPDATE_BEFORE || batch->kinds[i] == WR_KIND_DELETE;
    pthread_mutex_lock(&txn->lock);
    WR_VEC_PUSH(&txn->batches, batch);
    txn->rows += batch->count;
    txn->retracts |= retracts;
    pthread_mutex_unlock(&txn->lock);
}

static void txn_free(wr_memtable_txn *txn)
{
    for (int i = 0; i < txn->batches.n; i++) wr_batch_free(txn->batches.v[i]);
    WR_VEC_FREE(&txn->batches);
    pthread_mutex_destroy(&txn->lock);
    wr_memtable_free(txn->mt);
    wr_free(txn);
}

void wr_memtable_abort(wr_memtable_txn *txn)
{
    if (txn) txn_free(txn);
}

typedef struct mt_sink_op {
    wr_operator base;
    wr_memtable_txn *txn;
    wr_batch *buf; /* rows copied so far, handed to txn when full and at the end */
} mt_sink_op;

static wr_operator *sink_create(const void *spec, wr_op_ctx *ctx, wr_error *err);

static void sink_flush(mt_sink_op *op)
{
    if (op->buf == NULL || op->buf->count == 0) return;
    txn_append(op->txn, op->buf);
    op->buf = NULL;
}

static int sink_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    mt_sink_op *op = (mt_sink_op *)base;
    const wr_schema *schema = op->txn->mt->schema;
    int n = wr_batch_rows(batch);
    /* NOT NULL columns reject NULLs, as Flink's default 'table.exec.sink.not-null-enforcer'. */
    for (int c = 0; c < schema->ncols; c++) {
        if (schema->types[c].nullable || batch->cols[c].validity == NULL) continue;
        for (int i = 0; i < n; i++)
            if (wr_vector_is_null(&batch->cols[c], wr_batch_row(batch, i)))
                return wr_error_set(err, WR_ERR_RUNTIME,
                                    "column '%s' is NOT NULL, but a NULL value is being written "
                                    "into it",
                                    schema->names[c]);
    }
    uint32_t rows[WR_BATCH_CAPACITY];
    for (int i = 0; i < n;) {
        if (op->buf == NULL)
            op->buf = wr_batch_new(schema->types, schema->ncols, WR_BATCH_CAPACITY);
        int k = WR_MIN(n - i, op->buf->capacity - op->buf->count);
        for (int j = 0; j < k; j++) rows[j] = (uint32_t)wr_batch_row(batch, i + j);
        wr_batch_append_rows(op->buf, batch, rows, k);
        i += k;
        if (op->buf->count == op->buf->capacity) sink_flush(op);
    }
    return 0;
}

static int sink_end_input(wr_operator *base, int input, wr_error *err)
{
    sink_flush((mt_sink_op *)base);
    return 0;
}

static void sink_destroy(wr_operator *base)
{
    mt_sink_op *op = (mt_sink_op *)base;
    wr_batch_free(op->buf); /* rows of a job that did not end: the txn is aborted anyway */
    wr_free(op);
}

static const wr_operator_ops sink_ops = {
    .kind = "memtable-sink",
    .create = sink_create,
    .process = sink_process,
    .end_input = sink_end_input,
    .destroy = sink_destroy,
};

static wr_operator *sink_create(const void *spec, wr_op_ctx *ctx, wr_error *err)
{
    mt_sink_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &sink_ops;
    op->txn = (wr_memtable_txn *)spec;
    return &op->base;
}

wr_operator_spec wr_memtable_sink_spec(wr_memtable_txn *txn)
{
    /* The spec borrows txn: whoever began it commits or aborts it after the job. */
    wr_operator_spec spec = {&sink_ops, txn, NULL, -1, false};
    return spec;
}

/* ---- commit ---------------------------------------------------------------- */

/* Packs rows into new chunks of up to WR_BATCH_CAPACITY rows, sized to what is left. */
typedef struct packer {
    const wr_schema *schema;
    mt_snapshot *out;
    wr_batch *cur;
    int64_t left; /* rows still to come, including those in cur */
} packer;

static void pack_close(packer *pk)
{
    if (pk->cur == NULL) return;
    /* Stored rows are inserts without timestamps; the arrays stay owned by the batch. */
    pk->cur->kinds = NULL;
    pk->cur->rowtimes = NULL;
    mt_chunk *chunk = wr_malloc(sizeof(*chunk));
    atomic_init(&chunk->refs, 1);
    chunk->batch = pk->cur;
    snapshot_push(pk->out, chunk);
    pk->cur = NULL;
}

static void pack_rows(packer *pk, const wr_batch *src, const uint32_t *rows, int n)
{
    while (n > 0) {
        if (pk->cur == NULL)
            pk->cur = wr_batch_new(pk->schema->types, pk->schema->ncols,
                                   (int)WR_MIN(pk->left, WR_BATCH_CAPACITY));
        int k = WR_MIN(n, pk->cur->capacity - pk->cur->count);
        wr_batch_append_rows(pk->cur, src, rows, k);
        rows += k;
        n -= k;
        pk->left -= k;
        if (pk->cur->count == pk->cur->capacity) pack_close(pk);
    }
}

static bool is_retract(const wr_batch *batch, int row)
{
    wr_change_kind kind = wr_batch_kind(batch, row);
    return kind == WR_KIND_UPDATE_BEFORE || kind == WR_KIND_DELETE;
}

/*
 * Counts of encoded rows: how many equal rows retractions still have to
 * remove. Open addressing over a power-of-two table, the keys in one buffer.
 */
typedef struct row_slot {
    uint64_t hash; /* 0: an empty slot (real hashes have their low bit set) */
    size_t off;
    uint32_t len;
    int64_t count;
} row_slot;

typedef struct row_counts {
    row_slot *slots;
    size_t cap, n;
    wr_buf keys;
    wr_buf tmp;
} row_counts;

static row_slot *counts_find(row_counts *rc, const char *key, size_t len, uint64_t hash)
{
    size_t mask = rc->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        row_slot *s = &rc->slots[i];
        if (s->hash == 0) return s;
        if (s->hash == hash && s->len == len && memcmp(rc->keys.data + s->off, key, len) == 0)
            return s;
    }
}

static void counts_grow(row_counts *rc)
{
    row_slot *old = rc->slots;
    size_t oldcap = rc->cap;
    rc->cap = oldcap ? oldcap * 2 : 64;
    rc->slots = wr_calloc_written(rc->cap, sizeof(row_slot));
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].hash == 0) continue;
        size_t mask = rc->cap - 1, j = old[i].hash & mask;
        while (rc->slots[j].hash) j = (j + 1) & mask;
        rc->slots[j] = old[i];
    }
    wr_free(old);
}

/* The slot of row `row` of batch; with add, created when missing. NULL when missing. */
static row_slot *counts_row(row_counts *rc, const wr_batch *batch, int row, bool add)
{
    int cols[batch->ncols > 0 ? batch->ncols : 1];
    for (int c = 0; c < batch->ncols; c++) cols[c] = c;
    wr_buf_reset(&rc->tmp);
    wr_row_encode(batch, row, cols, batch->ncols, &rc->tmp);
    uint64_t hash = wr_hash_bytes(rc->tmp.data, rc->tmp.len) | 1;
    if (rc->cap == 0 || (add && (rc->n + 1) * 2 > rc->cap)) counts_grow(rc);
    row_slot *s = counts_find(rc, rc->tmp.data, rc->tmp.len, hash);
    if (s->hash == 0) {
        if (!add) return NULL;
        s->hash = hash;
        s->off = rc->keys.len;
        s->len = (uint32_t)rc->tmp.len;
        wr_buf_append(&rc->keys, rc->tmp.data, rc->tmp.len);
        rc->n++;
    }
    return s;
}

/*
 * Applies a transaction with retractions: each -U or -D row removes one
 * equal row (all columns equal, NULLs equal) of the old rows or of the
 * transaction's +I/+U rows; one with no equal row left is ignored. The result
 * does not depend on the order in which sink subtasks appended, since that
 * order is arbitrary.
 */
static void pack_with_retractions(packer *pk, mt_snapshot *base, wr_memtable_txn *txn)
{
    row_counts rc = {0};
    wr_buf_init(&rc.keys);
    wr_buf_init(&rc.tmp);
    for (int b = 0; b < txn->batches.n; b++) {
        const wr_batch *batch = txn->batches.v[b];
        for (int r = 0; r < batch->count; r++)
            if (is_retract(batch, r)) counts_row(&rc, batch, r, true)->count++;
    }
    /* Two passes over the rows that may stay: decide (and count), then copy. */
    int nsources = (base ? base->nchunks : 0) + txn->batches.n;
    const wr_batch **sources = wr_malloc((size_t)(nsources ? nsources : 1) * sizeof(wr_batch *));
    int k = 0;
    for (int i = 0; base && i < base->nchunks; i++) sources[k++] = base->chunks[i]->batch;
    for (int b = 0; b < txn->batches.n; b++) sources[k++] = txn->batches.v[b];
    WR_VEC(uint8_t) keep = {0};
    int64_t kept = 0;
    for (int i = 0; i < nsources; i++) {
        for (int r = 0; r < sources[i]->count; r++) {
            bool stays = !is_retract(sources[i], r);
            if (stays) {
                row_slot *s = counts_row(&rc, sources[i], r, false);
                if (s && s->count > 0) {
                    s->count--;
                    stays = false;
                }
            }
            WR_VEC_PUSH(&keep, (uint8_t)stays);
            kept += stays;
        }
    }
    pk->left = kept;
    uint32_t rows[WR_BATCH_CAPACITY];
    int64_t at = 0;
    for (int i = 0; i < nsources; i++) {
        int n = 0;
        for (int r = 0; r < sources[i]->count; r++)
            if (keep.v[at++]) rows[n++] = (uint32_t)r;
        pack_rows(pk, sources[i], rows, n);
    }
    WR_VEC_FREE(&keep);
    wr_free(sources);
    wr_free(rc.slots);
    wr_buf_fini(&rc.keys);
    wr_buf_fini(&rc.tmp);
}

void wr_memtable_commit(wr_memtable_txn *txn)
{
    wr_memtable *mt = txn->mt;
    pthread_mutex_lock(&mt->lock);
    mt_snapshot *old = mt->current;
    mt_snapshot *next = snapshot_new();
    packer pk = {mt->schema, next, NULL, 0};
    uint32_t rows[WR_BATCH_CAPACITY];
    if (txn->retracts) {
        pack_with_retractions(&pk, txn->overwrite ? NULL : old, txn);
    } else {
        /* Old chunks are shared; a partly filled last one is merged with the new rows. */
        int shared = txn->overwrite ? 0 : old->nchunks;
        const wr_batch *tail = NULL;
        if (shared > 0 && old->chunks[shared - 1]->batch->count < WR_BATCH_CAPACITY &&
            txn->rows > 0)
            tail = old->chunks[--shared]->batch;
        for (int i = 0; i < shared; i++) {
            atomic_fetch_add(&old->chunks[i]->refs, 1);
            snapshot_push(next, old->chunks[i]);
        }
        pk.left = txn->rows + (tail ? tail->count : 0);
        if (tail) {
            for (int r = 0; r < tail->count; r++) rows[r] = (uint32_t)r;
            pack_rows(&pk, tail, rows, tail->count);
        }
        for (int b = 0; b < txn->batches.n; b++) {
            const wr_batch *batch = txn->batches.v[b];
            for (int r = 0; r < batch->count; r++) rows[r] = (uint32_t)r;
            pack_rows(&pk, batch, rows, batch->count);
        }
    }
    pack_close(&pk);
    mt->current = next;
    pthread_mutex_unlock(&mt->lock);
    snapshot_unref(old);
    txn_free(txn);
}

/* ---- lookup ------------------------------------------------------------------- */

/*
 * A lookup source over a stored table (lookup joins): the rows whose key
 * columns equal a probe's, as of the latest commit. Each instance indexes
 * the snapshot it reads (wr_row_index) and indexes again when a commit
 * replaced the table's rows, so a lookup sees what a query started at that
 * moment would see.
 */
typedef struct mt_lookup_conf {
    wr_memtable *mt; /* a reference */
    int *keys;
    int nkeys;
} mt_lookup_conf;

struct wr_lookup {
    const mt_lookup_conf *conf;
    mt_snapshot *snap; /* what the index covers */
    wr_row_index *ix;
};

static void lookup_conf_free(void *p)
{
    mt_lookup_conf *conf = p;
    wr_memtable_free(conf->mt);
    wr_free(conf->keys);
    wr_free(conf);
}

static int lookup_open(const void *p, wr_lookup **out, wr_error *err)
{
    (void)err;
    const mt_lookup_conf *conf = p;
    wr_lookup *l = wr_calloc(1, sizeof(*l));
    l->conf = conf;
    l->ix = wr_row_index_new(conf->keys, conf->nkeys, conf->mt->schema->ncols);
    *out = l;
    return 0;
}

static void lookup_close(wr_lookup *l)
{
    snapshot_unref(l->snap);
    wr_row_index_free(l->ix);
    wr_free(l);
}

static int lookup_rows(wr_lookup *l, const wr_batch *keys, const int *cols, int row, wr_buf *rows,
                       wr_error *err)
{
    (void)err;
    /* Index the table's current rows when they are not what the index covers. */
    mt_snapshot *snap = take_snapshot(l->conf->mt);
    if (snap == l->snap) {
        snapshot_unref(snap);
    } else {
        snapshot_unref(l->snap);
        l->snap = snap;
        wr_row_index_clear(l->ix);
        for (int c = 0; c < snap->nchunks; c++) wr_row_index_add(l->ix, snap->chunks[c]->batch);
    }
    return wr_row_index_find(l->ix, keys, cols, row, rows);
}

wr_lookup_spec wr_memtable_lookup_spec(wr_memtable *mt, const int *keys, int nkeys)
{
    mt_lookup_conf *conf = wr_calloc(1, sizeof(*conf));
    atomic_fetch_add(&mt->refs, 1);
    conf->mt = mt;
    conf->keys = wr_malloc(sizeof(int) * (size_t)(nkeys ? nkeys : 1));
    memcpy(conf->keys, keys, sizeof(int) * (size_t)nkeys);
    conf->nkeys = nkeys;
    wr_lookup_spec spec = {lookup_open, lookup_rows, lookup_close, conf, lookup_conf_free};
    return spec;
}
