/*
 * over_agg.c — the streaming OVER aggregation; see over_agg.h.
 *
 * Partitions are records in one array, found through an open-addressing
 * table over the hash of their key (the row-codec bytes of the partition
 * columns: the exchange's hash, so a record's hash gives its key group). A
 * partition's accumulators live in one state row of an array parallel to the
 * records (wr_agg_layout), and each call's frame start, as a row number, in
 * another. Rows are numbered in the order they are processed; each partition
 * holds two queues of rows as row-codec bytes with their times: the rows
 * waiting for the watermark (pend, in arrival order) and the processed rows
 * still inside a bounded frame (kept, numbered kseq, kseq + 1, ...).
 *
 * A min-heap of (time, partition) says which partitions hold rows the
 * watermark releases; a partition has one live entry, at its earliest
 * pending time (older entries are skipped when popped). A release sorts the
 * partition's due rows by time (stable) and processes them in peer groups
 * (rows of one time): the group is decoded into the output batch `rel`
 * (whose columns the output batch aliases), RANGE calls take the whole group
 * and slide, then row by row ROWS calls take their row and slide, and every
 * call's final writes the row's result. Sliding retracts the rows that left
 * where the function can retract and otherwise starts the state over from
 * the frame's new start (FIRST_VALUE, LISTAGG and the like over bounded
 * frames; MIN and MAX only when a row that leaves holds the result, which
 * they check by comparing it with their final). Rows fed to an accumulator
 * come from `rel` when they were decoded into it in this release, else from
 * the kept queue, decoded into `old` (which keeps the rows last read, as the
 * calls of a row often read the same ones).
 *
 * A watermark lists the partitions it releases before releasing any, so that
 * the records, queues and rows of the next ones are prefetched while earlier
 * ones are processed (over many partitions each release would otherwise wait
 * for several cache misses in turn); a batch's partition lookups likewise.
 *
 * Memory follows live state: queues drop rows as they leave and move their
 * live bytes to the front once the dead ones outweigh them, partitions are
 * removed by TTL, and the accumulators' heap (kept strings) is rebuilt
 * through wr_agg_acc_save/load when it has grown to twice what is live.
 */
#include "over_agg.h"
#include "aggregate_int.h"
#include "colstore.h"
#include "window_agg.h"
#include "../base/alloc.h"
#include "../base/idtab.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../state/keygroup.h"
#include "../types/nested.h"
#include "../types/row_codec.h"

#include <stdlib.h>
#include <string.h>

#define CAP WR_BATCH_CAPACITY
#define KEY_INLINE 16 /* keys up to this many bytes live in the partition's record */
#define FREE_PART UINT32_MAX
#define NONE UINT32_MAX
#define SNAPSHOT_MAGIC 0x564f5257u /* "WROV" */
#define SNAPSHOT_VERSION 1
#define NO_PEND INT64_MAX

typedef struct oa_spec {
    wr_type *in_types;
    int nin;
    int *partition;
    int npart;
    int time_col;
    bool proctime;
    wr_over_call *calls;
    int ncalls;
    wr_over_agg_opts opts;
} oa_spec;

/* A row of a queue: its time (microseconds) and its row-codec bytes. */
typedef struct rowent {
    int64_t ts;
    uint32_t off, len;
} rowent;

/* Rows in order: entries e[head..n), their bytes in `bytes` (dead: bytes of rows that left). */
typedef struct rowq {
    rowent *e;
    uint32_t head, n, cap;
    wr_buf bytes;
    size_t dead;
} rowq;

typedef struct part {
    uint64_t hash;     /* wr_hash_bytes of the key */
    int64_t access_ms; /* the last row's arrival, for TTL */
    uint64_t nseq;     /* rows processed: the number of the next one */
    uint64_t kseq;     /* the number of the first kept row (kseq + kept rows == nseq) */
    int64_t pend_ms;   /* time of the live heap entry; NO_PEND: none */
    uint32_t klen;     /* FREE_PART: the record is free */
    union {
        uint8_t b[KEY_INLINE];
        uint8_t *p;
    } key;
    rowq kept, pend;
} part;

typedef struct due {
    int64_t ms;
    uint32_t part;
} due;

/* A row of a release: its time and its entry in the pending queue. */
typedef struct relrow {
    int64_t ts;
    uint32_t idx;
} relrow;

typedef struct oa_op {
    wr_operator base;
    const oa_spec *spec;
    int nin, ncalls;
    wr_agg_acc *accs;
    bool *str_result;
    bool bounded; /* some call's frame has a start: processed rows are kept */
    int *all;     /* 0 .. nin-1 */

    part *parts;
    uint32_t nparts, cap, live; /* high water, capacity, live records */
    WR_VEC(uint32_t) freep;
    uint64_t *fstart; /* per partition and call: the frame's first row number */
    wr_agg_states st;
    wr_arena heap; /* strings the accumulators keep */
    size_t heap_live;
    size_t queue_bytes; /* rowq_mem over every partition's two queues */
    wr_arena tmp;       /* what finals make: until the output is emitted */
    wr_idtab tab;
    WR_VEC(due) dues;
    WR_VEC(uint32_t) list; /* partitions a watermark releases */
    int64_t wm;            /* the last watermark */
    int64_t late;
    int64_t next_sweep;

    /* The output: rows decoded into rel, whose columns out aliases when it is emitted. */
    wr_batch *rel, *out, *old;
    wr_batch *ext;                  /* MIN/MAX results, to compare the rows that leave with */
    uint32_t rel_part;              /* the partition being released */
    uint64_t rel_seq0, rel_seq_end; /* its rows in rel: numbers [rel_seq0, rel_seq_end) ... */
    int rel_row0;                   /* ... from this row of rel */
    uint32_t old_part;              /* rows old holds: kept rows [old_seq0, + old->count) */
    uint64_t old_seq0;

    /* Scratch. */
    wr_buf keys;
    uint32_t koff[CAP + 1];
    uint64_t hash[CAP];
    uint32_t rows[CAP], frows[CAP], groups[CAP];
    WR_VEC(relrow) order;
    WR_VEC(uint32_t) touched;
    wr_batch *kb; /* restoring: a key decoded, to check it */
} oa_op;

/* ---- spec ------------------------------------------------------------------------- */

static void spec_free(void *p)
{
    oa_spec *spec = p;
    wr_free(spec->in_types);
    wr_free(spec->partition);
    wr_free(spec->calls);
    wr_free(spec);
}

wr_operator_spec wr_over_agg_spec(const wr_type *in_types, int nin, const int *partition, int npart,
                                  int time_col, bool proctime, const wr_over_call *calls,
                                  int ncalls, const wr_over_agg_opts *opts)
{
    oa_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->in_types = wr_memdup_array(in_types, nin, sizeof(*in_types));
    spec->nin = nin;
    spec->partition = wr_memdup_array(partition, npart, sizeof(*partition));
    spec->npart = npart;
    spec->time_col = time_col;
    spec->proctime = proctime;
    spec->calls = wr_memdup_array(calls, ncalls, sizeof(*calls));
    spec->ncalls = ncalls;
    if (opts) spec->opts = *opts;
    wr_operator_spec out = {&wr_over_agg_ops, spec, spec_free, -1, false};
    return out;
}

int64_t wr_over_agg_late_rows(const wr_operator *base)
{
    return ((const oa_op *)base)->late;
}

/* ---- queues of rows ---------------------------------------------------------------- */

static inline uint32_t rowq_len(const rowq *q)
{
    return q->n - q->head;
}

static inline const rowent *rowq_at(const rowq *q, uint64_t i)
{
    return &q->e[q->head + i];
}

static inline const uint8_t *rowq_bytes(const rowq *q, const rowent *e)
{
    return (const uint8_t *)q->bytes.data + e->off;
}

/* The bytes a queue holds: its entries' and its rows' buffers, by capacity. */
static inline size_t rowq_mem(const rowq *q)
{
    return (size_t)q->cap * sizeof(rowent) + q->bytes.cap;
}

static void rowq_fini(rowq *q)
{
    wr_free(q->e);
    wr_buf_fini(&q->bytes);
    memset(q, 0, sizeof(*q));
}

/*
 * Makes room for the bytes of one more row of len bytes; WR_ERR_RUNTIME when a partition's
 * queue would pass 4 GB (offsets are 32 bits).
 */
static int rowq_room(const rowq *q, size_t len, wr_error *err)
{
    if (q->bytes.len + len >= UINT32_MAX)
        return wr_error_set(err, WR_ERR_RUNTIME,
                            "over aggregation: a partition holds more than 4 GB of rows");
    return 0;
}

/* Adds an entry for the len bytes at offset off of q->bytes. */
static void rowq_push(rowq *q, int64_t ts, size_t off, size_t len)
{
    if (q->n == q->cap) {
        if (q->head >= q->n / 2 && q->head > 0) {
            memmove(q->e, q->e + q->head, (size_t)(q->n - q->head) * sizeof(rowent));
            q->n -= q->head;
            q->head = 0;
        } else {
            q->cap = q->cap ? q->cap * 2 : 4;
            q->e = wr_realloc(q->e, (size_t)q->cap * sizeof(rowent));
        }
    }
    q->e[q->n++] = (rowent){ts, (uint32_t)off, (uint32_t)len};
}

/*
 * Moves the live rows' bytes to the front of the buffer, in place (they are
 * in the order of their entries, so every row moves towards the front), once
 * the dead bytes outweigh them; and lets a large buffer go when the queue is
 * empty. So a queue's memory stays within about twice its live rows.
 */
static void rowq_tidy(rowq *q)
{
    if (q->head == q->n) {
        q->head = q->n = 0;
        q->dead = 0;
        if (q->bytes.cap > (16u << 10)) {
            wr_buf_fini(&q->bytes);
            wr_free(q->e);
            q->e = NULL;
            q->cap = 0;
        }
        wr_buf_reset(&q->bytes);
        return;
    }
    size_t live = q->bytes.len - q->dead;
    if (q->dead < 256 || q->dead < live) return;
    char *data = q->bytes.data;
    uint32_t at = 0;
    for (uint32_t i = q->head; i < q->n; i++) {
        rowent *e = &q->e[i];
        if (e->off != at) memmove(data + at, data + e->off, e->len);
        e->off = at;
        at += e->len;
    }
    q->bytes.len = at;
    data[at] = '\0';
    q->dead = 0;
    if (q->bytes.cap > (16u << 10) && (size_t)at * 4 < q->bytes.cap) {
        q->bytes.cap = (size_t)at * 2 + 1;
        q->bytes.data = wr_realloc(q->bytes.data, q->bytes.cap);
    }
}

/* Drops the first k rows. */
static void rowq_pop(rowq *q, uint32_t k)
{
    for (uint32_t i = 0; i < k; i++) q->dead += q->e[q->head + i].len;
    q->head += k;
    rowq_tidy(q);
}

/* ---- partitions ----------------------------------------------------------------------- */

static inline const uint8_t *key_of(const part *P)
{
    return P->klen <= KEY_INLINE ? P->key.b : P->key.p;
}

static inline uint8_t *state_of(const oa_op *op, uint32_t p)
{
    return op->st.rows + (size_t)p * op->st.stride;
}

static uint32_t find_part(const oa_op *op, uint64_t hash, const uint8_t *key, uint32_t len)
{
    uint32_t mask = op->tab.mask, h = (uint32_t)hash;
    for (uint32_t s = h & mask;; s = (s + 1) & mask) {
        uint64_t slot = op->tab.slots[s];
        if (slot == 0) return NONE;
        if (WR_IDTAB_HASH(slot) != h) continue;
        const part *P = &op->parts[WR_IDTAB_ID(slot)];
        if (P->klen == len && (len == 0 || memcmp(key_of(P), key, len) == 0))
            return WR_IDTAB_ID(slot);
    }
}

/* Makes room for n more partitions, so that none moves during a batch. */
static void reserve_parts(oa_op *op, size_t n)
{
    wr_idtab_reserve(&op->tab, n, 256);
    size_t need = (size_t)op->nparts + n;
    if (need <= op->cap) return;
    if (need >= UINT32_MAX) need = UINT32_MAX - 1;
    size_t cap = WR_MAX((size_t)op->cap * 2, WR_MAX(need, 64));
    if (cap >= UINT32_MAX) cap = UINT32_MAX - 1;
    op->parts = wr_realloc(op->parts, cap * sizeof(part));
    if (op->st.stride) op->st.rows = wr_realloc(op->st.rows, cap * op->st.stride);
    op->fstart = wr_realloc(op->fstart, cap * (size_t)WR_MAX(op->ncalls, 1) * sizeof(uint64_t));
    op->cap = (uint32_t)cap;
}

/* A new partition with empty accumulators; room was reserved. */
static uint32_t new_part(oa_op *op, uint64_t hash, const uint8_t *key, uint32_t len, int64_t now)
{
    uint32_t p = op->freep.n ? op->freep.v[--op->freep.n] : op->nparts++;
    part *P = &op->parts[p];
    memset(P, 0, sizeof(*P));
    P->hash = hash;
    P->access_ms = now;
    P->pend_ms = NO_PEND;
    P->klen = len;
    if (len > KEY_INLINE) {
        P->key.p = wr_malloc(len);
        memcpy(P->key.p, key, len);
    } else if (len) {
        memcpy(P->key.b, key, len);
    }
    wr_buf_init(&P->kept.bytes);
    wr_buf_init(&P->pend.bytes);
    if (op->st.stride) memset(state_of(op, p), 0, op->st.stride);
    memset(op->fstart + (size_t)p * (size_t)op->ncalls, 0, (size_t)op->ncalls * sizeof(uint64_t));
    wr_idtab_put(&op->tab, hash, p);
    op->live++;
    return p;
}

/* Removes partition p with its rows (its number is reused). */
static void drop_part(oa_op *op, uint32_t p)
{
    part *P = &op->parts[p];
    wr_idtab_del(&op->tab, P->hash, p);
    if (op->old_part == p) op->old_part = NONE; /* its numbers start over when reused */
    if (P->klen > KEY_INLINE) wr_free(P->key.p);
    op->queue_bytes -= rowq_mem(&P->kept) + rowq_mem(&P->pend);
    rowq_fini(&P->kept);
    rowq_fini(&P->pend);
    P->klen = FREE_PART;
    WR_VEC_PUSH(&op->freep, p);
    op->live--;
}

static int64_t now_ms(const oa_op *op)
{
    const wr_over_agg_opts *o = &op->spec->opts;
    return o->clock ? o->clock(o->clock_arg) : wr_clock_wall_ms();
}

static bool expired(const oa_op *op, const part *P, int64_t now)
{
    int64_t ttl = op->spec->opts.state_ttl_ms;
    return ttl > 0 && now - P->access_ms >= ttl && rowq_len(&P->pend) == 0;
}

/* Drops every expired partition that holds no rows waiting for the watermark. */
static void sweep(oa_op *op, int64_t now)
{
    for (uint32_t p = 0; p < op->nparts; p++)
        if (op->parts[p].klen != FREE_PART && expired(op, &op->parts[p], now)) drop_part(op, p);
    op->next_sweep = now + op->spec->opts.state_ttl_ms;
}

/* ---- the release heap ------------------------------------------------------------------- */

static void due_push(oa_op *op, int64_t ms, uint32_t p)
{
    WR_VEC_PUSH(&op->dues, ((due){ms, p}));
    due *h = op->dues.v;
    for (int i = op->dues.n - 1; i > 0;) {
        int up = (i - 1) / 2;
        if (h[up].ms <= h[i].ms) break;
        due t = h[up];
        h[up] = h[i];
        h[i] = t;
        i = up;
    }
}

static void due_pop(oa_op *op)
{
    due *h = op->dues.v;
    int n = --op->dues.n;
    h[0] = h[n];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].ms < h[m].ms) m = l;
        if (r < n && h[r].ms < h[m].ms) m = r;
        if (m == i) break;
        due t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

/* ---- output ------------------------------------------------------------------------------ */

/* Emits the rows of rel with their results and starts a new output batch. */
static int flush_out(oa_op *op, wr_error *err)
{
    wr_batch *rel = op->rel, *out = op->out;
    int rc = 0;
    if (rel->count > 0) {
        for (int c = 0; c < op->nin; c++) {
            out->cols[c].data = rel->cols[c].data;
            out->cols[c].validity = rel->cols[c].validity;
        }
        out->count = rel->count;
        rc = wr_op_emit(op->base.ctx, out, err);
    }
    wr_batch_reset(out);
    wr_batch_reset(rel);
    wr_arena_reset(&op->tmp);
    op->rel_seq0 = op->rel_seq_end;
    op->rel_row0 = 0;
    return rc;
}

/* Decodes row bytes into batch (the input's columns). Bytes were checked when they came. */
static int decode_row(wr_batch *batch, const uint8_t *bytes, uint32_t len, wr_error *err)
{
    int used = wr_row_decode_append(batch, bytes, len, err);
    if (used >= 0 && (uint32_t)used != len)
        return wr_error_set(err, WR_ERR_INTERNAL,
                            "over aggregation: a kept row has %u bytes "
                            "too many",
                            len - (uint32_t)used);
    return used < 0 ? used : 0;
}

/* ---- feeding accumulators ------------------------------------------------------------------ */

/*
 * The first rows of the rows numbered [from, to) of partition p (from < to):
 * sets *src to the batch that holds them and op->rows[0..m) to their rows
 * there and returns m > 0, or a negative code. Rows decoded into rel in this
 * release come from there, earlier ones from the kept queue, decoded into
 * old (which keeps them: the calls of a row often read the same ones).
 */
static int rows_of(oa_op *op, uint32_t p, uint64_t from, uint64_t to, const wr_batch **src,
                   wr_error *err)
{
    const part *P = &op->parts[p];
    int m;
    if (p == op->rel_part && from >= op->rel_seq0 && from < op->rel_seq_end) {
        m = (int)(WR_MIN(to, op->rel_seq_end) - from);
        int r0 = op->rel_row0 + (int)(from - op->rel_seq0);
        for (int i = 0; i < m; i++) op->rows[i] = (uint32_t)(r0 + i);
        *src = op->rel;
        return m;
    }
    /* Rows before rel's, or after them (a peer group too large for rel). */
    uint64_t end = WR_MIN(to, from + CAP);
    if (p == op->rel_part && from < op->rel_seq0) end = WR_MIN(end, op->rel_seq0);
    assert(from >= P->kseq && end > from);
    wr_batch *old = op->old;
    if (!(op->old_part == p && from >= op->old_seq0 &&
          end <= op->old_seq0 + (uint64_t)old->count)) {
        wr_batch_reset(old);
        op->old_part = p;
        op->old_seq0 = from;
        for (uint64_t q = from; q < end; q++) {
            const rowent *e = rowq_at(&P->kept, q - P->kseq);
            int rc = decode_row(old, rowq_bytes(&P->kept, e), e->len, err);
            if (rc) {
                op->old_part = NONE;
                return rc;
            }
        }
    }
    m = (int)(end - from);
    uint32_t r0 = (uint32_t)(from - op->old_seq0);
    for (int i = 0; i < m; i++) op->rows[i] = r0 + (uint32_t)i;
    *src = old;
    return m;
}

/* Keeps the rows rows[0..m) of src where call c's FILTER column is TRUE; returns the rows. */
static const uint32_t *filtered(oa_op *op, const wr_agg_acc *acc, const wr_batch *src,
                                const uint32_t *rows, int *m)
{
    if (acc->filter < 0) return rows;
    const wr_vector *f = &src->cols[acc->filter];
    const uint8_t *x = f->data;
    int k = 0;
    for (int i = 0; i < *m; i++)
        if (x[rows[i]] && !wr_vector_is_null(f, (int)rows[i])) op->frows[k++] = rows[i];
    *m = k;
    return op->frows;
}

/* Folds (retract: removes) the rows numbered [from, to) of partition p into call c's state. */
static int feed(oa_op *op, uint32_t p, int c, uint64_t from, uint64_t to, bool retract,
                wr_error *err)
{
    const wr_agg_acc *acc = &op->accs[c];
    wr_agg_update_fn fn = retract ? acc->retract : acc->update;
    while (from < to) {
        const wr_batch *src;
        int m = rows_of(op, p, from, to, &src, err);
        if (m < 0) return m;
        from += (uint64_t)m;
        const uint32_t *rows = filtered(op, acc, src, op->rows, &m);
        if (m == 0) continue;
        for (int i = 0; i < m; i++) op->groups[i] = p;
        const wr_vector *a = acc->nargs > 0 ? &src->cols[acc->args[0]] : NULL;
        const wr_vector *b = acc->nargs > 1 ? &src->cols[acc->args[1]] : NULL;
        if (acc->kind == WR_AGG_USER) a = src->cols; /* it reads all its arguments */
        int rc = fn(acc, &op->st, a, b, rows, op->groups, m, err);
        if (rc) return rc;
    }
    return 0;
}

/*
 * MIN/MAX: whether one of the rows numbered [from, to), which leave call c's
 * frame, holds its current result. Only then does the result change; the
 * others can leave without the state starting over.
 */
static int takes_extreme(oa_op *op, uint32_t p, int c, uint64_t from, uint64_t to, bool *takes,
                         wr_error *err)
{
    const wr_agg_acc *acc = &op->accs[c];
    wr_agg_states fin = {op->st.rows, op->st.stride, &op->tmp};
    wr_batch_reset(op->ext);
    int rc = wr_agg_acc_final(acc, &fin, p, 1, op->ext, c, 0, err);
    *takes = false;
    if (rc || wr_vector_is_null(&op->ext->cols[c], 0)) return rc; /* no values: none leaves */
    size_t width = wr_value_kind_width(wr_value_kind_of(acc->arg.id));
    const void *ext = op->ext->cols[c].data;
    while (from < to && !*takes) {
        const wr_batch *src;
        int m = rows_of(op, p, from, to, &src, err);
        if (m < 0) return m;
        from += (uint64_t)m;
        const uint32_t *rows = filtered(op, acc, src, op->rows, &m);
        const wr_vector *v = &src->cols[acc->args[0]];
        for (int i = 0; i < m && !*takes; i++)
            *takes = !wr_vector_is_null(v, (int)rows[i]) &&
                     wr_value_cmp(acc->arg, (const uint8_t *)v->data + rows[i] * width, ext) == 0;
    }
    return 0;
}

static inline bool is_minmax(const wr_agg_acc *acc)
{
    return acc->kind == WR_AGG_MIN || acc->kind == WR_AGG_MAX;
}

/*
 * Moves call c's frame of partition p to [start, end), where rows [from,
 * end) are new to it: rows before start leave by retraction; for a function
 * that cannot retract the state starts over from start (MIN and MAX only
 * when a row that leaves holds the result).
 */
static int advance(oa_op *op, uint32_t p, int c, uint64_t from, uint64_t end, uint64_t start,
                   wr_error *err)
{
    const wr_agg_acc *acc = &op->accs[c];
    uint64_t *fs = &op->fstart[(size_t)p * (size_t)op->ncalls + (size_t)c];
    int rc = 0;
    if (start > *fs) {
        bool over = acc->retract == NULL || start > from;
        if (over && start <= from && is_minmax(acc)) {
            rc = takes_extreme(op, p, c, *fs, start, &over, err);
            if (rc) return rc;
        }
        if (over) {
            memset(state_of(op, p) + acc->offset, 0, acc->size);
            *fs = start;
            return feed(op, p, c, start, end, false, err);
        }
        if (acc->retract) rc = feed(op, p, c, *fs, start, true, err);
        *fs = start;
    }
    return rc ? rc : feed(op, p, c, from, end, false, err);
}

/* The first row of a RANGE frame with a start, for rows of time ts. */
static uint64_t range_start(const oa_op *op, uint32_t p, int c, int64_t ts)
{
    const part *P = &op->parts[p];
    __int128 lo = (__int128)ts + op->spec->calls[c].lower;
    uint64_t s = op->fstart[(size_t)p * (size_t)op->ncalls + (size_t)c];
    while (s < P->nseq && rowq_at(&P->kept, s - P->kseq)->ts < lo) s++;
    return s;
}

/* The first row of a ROWS frame with a start, for row q. */
static uint64_t rows_start(const oa_op *op, int c, uint64_t q)
{
    uint64_t back = (uint64_t)0 - (uint64_t)op->spec->calls[c].lower; /* -lower (lower <= 0) */
    return q >= back ? q - back : 0;
}

static inline bool has_start(const wr_over_call *call)
{
    return call->lower != WR_OVER_UNBOUNDED;
}

/* Writes call c's result for partition p into row r of the output. */
static int result(oa_op *op, uint32_t p, int c, int r, wr_error *err)
{
    wr_agg_states fin = {op->st.rows, op->st.stride, &op->tmp};
    int col = op->nin + c;
    int rc = wr_agg_acc_final(&op->accs[c], &fin, p, 1, op->out, col, r, err);
    if (rc) return rc;
    /* A string result is a view of the state, which later rows change in place. */
    if (op->str_result[c] && !wr_vector_is_null(&op->out->cols[col], r)) {
        wr_str *v = (wr_str *)op->out->cols[col].data + r;
        *v = wr_batch_str(op->out, v->ptr, v->len);
    }
    return 0;
}

/* ---- releasing rows --------------------------------------------------------------------- */

/*
 * Processes the peer group order[i .. i + k) of partition p's release: rows
 * of one time (one row in processing time), in arrival order.
 */
static int peer_group(oa_op *op, uint32_t p, int i, int k, wr_error *err)
{
    const oa_spec *spec = op->spec;
    part *P = &op->parts[p];
    const relrow *G = op->order.v + i;
    int64_t ts = G[0].ts;
    int rc = 0;
    bool fits = k <= CAP - op->rel->count;
    if (!fits && op->rel->count > 0) {
        rc = flush_out(op, err);
        if (rc) return rc;
        fits = k <= CAP;
    }
    uint64_t seq0 = P->nseq;
    /* A group too large for rel is read back from the kept queue, so it goes there too. */
    bool keep = op->bounded || !fits;
    size_t kept0 = rowq_mem(&P->kept);
    for (int j = 0; j < k; j++) {
        const rowent *e = &P->pend.e[G[j].idx];
        if (keep) {
            rc = rowq_room(&P->kept, e->len, err);
            if (rc) return rc;
            size_t off = P->kept.bytes.len;
            wr_buf_append(&P->kept.bytes, rowq_bytes(&P->pend, e), e->len);
            rowq_push(&P->kept, e->ts, off, e->len);
        }
        if (fits) {
            rc = decode_row(op->rel, rowq_bytes(&P->pend, e), e->len, err);
            if (rc) return rc;
        }
    }
    op->queue_bytes += rowq_mem(&P->kept) - kept0;
    P->nseq += (uint64_t)k;
    if (!keep) P->kseq = P->nseq;
    if (fits) op->rel_seq_end += (uint64_t)k;

    /* RANGE: the whole group enters the frame before any of it gets a result. */
    for (int c = 0; c < op->ncalls; c++) {
        const wr_over_call *call = &spec->calls[c];
        if (!call->range) continue;
        uint64_t start = has_start(call) ? range_start(op, p, c, ts) : 0;
        rc = advance(op, p, c, seq0, seq0 + (uint64_t)k, start, err);
        if (rc) return rc;
    }
    for (int done = 0; done < k;) {
        int chunk = k;
        if (!fits) {
            if (op->rel->count == CAP) {
                rc = flush_out(op, err);
                if (rc) return rc;
            }
            chunk = WR_MIN(k - done, CAP - op->rel->count);
            for (int j = 0; j < chunk; j++) {
                const rowent *e = rowq_at(&P->kept, seq0 + (uint64_t)(done + j) - P->kseq);
                rc = decode_row(op->rel, rowq_bytes(&P->kept, e), e->len, err);
                if (rc) return rc;
            }
            op->rel_seq_end += (uint64_t)chunk;
        }
        for (int x = 0; x < chunk; x++) {
            uint64_t q = seq0 + (uint64_t)(done + x);
            int r = op->rel_row0 + (int)(q - op->rel_seq0);
            for (int c = 0; c < op->ncalls; c++) {
                const wr_over_call *call = &spec->calls[c];
                if (call->range) continue;
                uint64_t start = has_start(call) ? rows_start(op, c, q) : 0;
                rc = advance(op, p, c, q, q + 1, start, err);
                if (rc) return rc;
            }
            for (int c = 0; c < op->ncalls; c++) {
                rc = result(op, p, c, r, err);
                if (rc) return rc;
            }
        }
        done += chunk;
    }
    return 0;
}

static int relrow_cmp(const void *a, const void *b)
{
    const relrow *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Drops the kept rows that no frame reaches any more. */
static void trim_kept(oa_op *op, uint32_t p)
{
    part *P = &op->parts[p];
    uint64_t lo = P->nseq;
    if (op->bounded)
        for (int c = 0; c < op->ncalls; c++)
            if (has_start(&op->spec->calls[c]))
                lo = WR_MIN(lo, op->fstart[(size_t)p * (size_t)op->ncalls + (size_t)c]);
    if (lo > P->kseq) {
        size_t kept0 = rowq_mem(&P->kept);
        rowq_pop(&P->kept, (uint32_t)(lo - P->kseq));
        op->queue_bytes += rowq_mem(&P->kept) - kept0; /* wraps when it shrinks: still exact */
        P->kseq = lo;
    }
}

/*
 * Processes partition p's pending rows whose time (ms) is at most w, in time
 * order, and leaves its heap entry at its earliest remaining row.
 */
static int release(oa_op *op, uint32_t p, int64_t w, wr_error *err)
{
    part *P = &op->parts[p];
    rowq *q = &P->pend;
    size_t pend0 = rowq_mem(q);
    op->order.n = 0;
    bool sorted = true;
    int64_t last = INT64_MIN, rest = NO_PEND;
    for (uint32_t i = q->head; i < q->n; i++) {
        int64_t ts = q->e[i].ts, ms = wr_window_micros_to_ms(ts);
        if (ms > w) {
            rest = WR_MIN(rest, ms);
            continue;
        }
        WR_VEC_PUSH(&op->order, ((relrow){ts, i}));
        sorted = sorted && ts >= last;
        last = ts;
    }
    int m = op->order.n, rc = 0;
    if (!sorted) qsort(op->order.v, (size_t)m, sizeof(relrow), relrow_cmp);
    op->rel_part = p;
    op->rel_seq0 = op->rel_seq_end = P->nseq;
    op->rel_row0 = op->rel->count;
    for (int i = 0, j; rc == 0 && i < m; i = j) {
        j = i + 1;
        if (!op->spec->proctime)
            while (j < m && op->order.v[j].ts == op->order.v[i].ts) j++;
        rc = peer_group(op, p, i, j - i, err);
    }
    op->rel_part = NONE;
    if (rc) return rc;
    /* The released rows leave the queue, the others keep their order. */
    uint32_t to = q->head;
    for (uint32_t i = q->head; i < q->n; i++) {
        if (wr_window_micros_to_ms(q->e[i].ts) > w)
            q->e[to++] = q->e[i];
        else
            q->dead += q->e[i].len;
    }
    q->n = to;
    rowq_tidy(q);
    op->queue_bytes += rowq_mem(q) - pend0;
    trim_kept(op, p);
    P->pend_ms = rest;
    if (rest != NO_PEND && !op->spec->proctime) due_push(op, rest, p);
    return 0;
}

/*
 * Releases the rows of every partition that the watermark w reached. The due
 * partitions are listed first, so that the memory of the ones coming next is
 * fetched while earlier ones are processed: over many partitions every
 * release would otherwise wait for several cache misses in turn.
 */
static int release_due(oa_op *op, int64_t w, wr_error *err)
{
    op->list.n = 0;
    while (op->dues.n > 0 && op->dues.v[0].ms <= w) {
        due d = op->dues.v[0];
        due_pop(op);
        if (d.part >= op->nparts || op->parts[d.part].klen == FREE_PART ||
            op->parts[d.part].pend_ms != d.ms)
            continue; /* a stale entry: the partition's earliest row changed */
        op->parts[d.part].pend_ms = INT64_MIN; /* listed: its other entries are stale */
        WR_VEC_PUSH(&op->list, d.part);
    }
    const uint32_t *list = op->list.v;
    for (int i = 0, n = op->list.n; i < n; i++) {
        /* In three steps, as the pointers arrive: the record, what it points to, the rows.
         * (Written here: a function of prefetches only is pure to the compiler, and its
         * calls vanish.) */
        if (i + 16 < n) __builtin_prefetch(&op->parts[list[i + 16]]);
        if (i + 8 < n) {
            const part *Q = &op->parts[list[i + 8]];
            __builtin_prefetch(Q->pend.e + Q->pend.head);
            __builtin_prefetch(Q->kept.e + Q->kept.head);
            if (op->st.stride) __builtin_prefetch(state_of(op, list[i + 8]));
            __builtin_prefetch(op->fstart + (size_t)list[i + 8] * (size_t)op->ncalls);
        }
        if (i + 4 < n) {
            const part *Q = &op->parts[list[i + 4]];
            if (Q->pend.head < Q->pend.n)
                __builtin_prefetch(Q->pend.bytes.data + Q->pend.e[Q->pend.head].off);
            if (Q->kept.head < Q->kept.n)
                __builtin_prefetch(Q->kept.bytes.data + Q->kept.e[Q->kept.head].off);
        }
        int rc = release(op, list[i], w, err);
        if (rc) return rc;
        if (i % 256 == 255 && wr_op_cancelled(op->base.ctx))
            return wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
    }
    return 0;
}

/*
 * Rebuilds the accumulators' heap once it has grown to twice what was live
 * after the last rebuild (states started over leave their strings behind).
 */
static void tidy_heap(oa_op *op)
{
    size_t used = wr_arena_used(&op->heap);
    if (used < 2 * op->heap_live + (4u << 20)) return;
    wr_arena fresh;
    wr_arena_init(&fresh, 64 << 10);
    wr_buf b;
    wr_buf_init(&b);
    wr_error err;
    wr_error_init(&err);
    for (uint32_t p = 0; p < op->nparts; p++) {
        if (op->parts[p].klen == FREE_PART) continue;
        for (int c = 0; c < op->ncalls; c++) {
            void *state = state_of(op, p) + op->accs[c].offset;
            wr_buf_reset(&b);
            wr_agg_acc_save(&op->accs[c], state, &b);
            wr_buf_reader r = wr_buf_reader_of(b.data, b.len);
            int rc = wr_agg_acc_load(&op->accs[c], state, &r, &fresh, &err);
            assert(rc == 0);
            (void)rc;
        }
    }
    wr_buf_fini(&b);
    wr_arena_fini(&op->heap);
    op->heap = fresh;
    op->heap_live = wr_arena_used(&op->heap);
}

/* ---- input ------------------------------------------------------------------------------ */

/* The row-codec bytes of the partition columns of rows[0..n) into op->keys, with hashes. */
static void encode_keys(oa_op *op, const wr_batch *in, const uint32_t *rows, int n)
{
    const oa_spec *spec = op->spec;
    wr_buf_reset(&op->keys);
    wr_row_encode_rows(in, rows, n, spec->partition, spec->npart, &op->keys, op->koff);
    for (int i = 0; i < n; i++)
        op->hash[i] = wr_hash_bytes(op->keys.data + op->koff[i], op->koff[i + 1] - op->koff[i]);
}

/* Buffers rows[0..n) (n <= CAP) of in in their partitions. */
static int take_rows(oa_op *op, const wr_batch *in, const uint32_t *rows, int n, int64_t now,
                     wr_error *err)
{
    const oa_spec *spec = op->spec;
    encode_keys(op, in, rows, n);
    reserve_parts(op, (size_t)n);
    /* Over a table past the caches a lookup costs two dependent misses (slot, record): announce
     * a chunk's lookups together so that they overlap. */
    if ((size_t)op->tab.mask * sizeof(uint64_t) > (256u << 10)) {
        for (int i = 0; i < n; i++) __builtin_prefetch(&op->tab.slots[op->hash[i] & op->tab.mask]);
        for (int i = 0; i < n; i++) {
            uint64_t slot = op->tab.slots[op->hash[i] & op->tab.mask];
            if (slot) __builtin_prefetch(&op->parts[WR_IDTAB_ID(slot)]);
        }
    }
    const wr_vector *tv = spec->proctime ? NULL : &in->cols[spec->time_col];
    for (int i = 0; i < n; i++) {
        int r = (int)rows[i];
        int64_t ts;
        if (tv) {
            if (wr_vector_is_null(tv, r)) continue; /* no time: in no window */
            ts = ((const int64_t *)tv->data)[r];
            if (wr_window_micros_to_ms(ts) <= op->wm) {
                op->late++;
                op->base.ctx->late_records_dropped++;
                continue;
            }
        } else {
            ts = now * 1000;
        }
        const uint8_t *key = (const uint8_t *)op->keys.data + op->koff[i];
        uint32_t klen = op->koff[i + 1] - op->koff[i];
        uint32_t p = find_part(op, op->hash[i], key, klen);
        if (p != NONE && expired(op, &op->parts[p], now)) {
            drop_part(op, p);
            p = NONE;
        }
        if (p == NONE) p = new_part(op, op->hash[i], key, klen, now);
        part *P = &op->parts[p];
        P->access_ms = now;
        rowq *q = &P->pend;
        int rc = rowq_room(q, 0, err);
        if (rc) return rc;
        size_t off = q->bytes.len, mem0 = rowq_mem(q);
        wr_row_encode(in, r, op->all, op->nin, &q->bytes);
        rowq_push(q, ts, off, q->bytes.len - off);
        op->queue_bytes += rowq_mem(q) - mem0;
        if (spec->proctime) {
            if (P->pend_ms == NO_PEND) {
                P->pend_ms = 0; /* marks it touched */
                WR_VEC_PUSH(&op->touched, p);
            }
        } else {
            int64_t ms = wr_window_micros_to_ms(ts);
            if (ms < P->pend_ms) {
                P->pend_ms = ms;
                due_push(op, ms, p);
            }
        }
    }
    return 0;
}

static int oa_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    oa_op *op = (oa_op *)base;
    const oa_spec *spec = op->spec;
    if (in->ncols != op->nin)
        return wr_error_set(err, WR_ERR_INTERNAL,
                            "over aggregation: a batch of %d columns, expected %d", in->ncols,
                            op->nin);
    int n = wr_batch_rows(in), rc = wr_batch_check_inserts(in, "over aggregation", err);
    if (rc || n == 0) return rc;
    bool clock = spec->proctime || spec->opts.state_ttl_ms > 0;
    int64_t now = clock ? now_ms(op) : 0;
    if (spec->opts.state_ttl_ms > 0 && now >= op->next_sweep) sweep(op, now);
    for (int start = 0; start < n; start += CAP) {
        int m = WR_MIN(n - start, CAP);
        uint32_t rows[CAP];
        for (int i = 0; i < m; i++) rows[i] = (uint32_t)wr_batch_row(in, start + i);
        rc = take_rows(op, in, rows, m, now, err);
        if (rc) return rc;
    }
    if (spec->proctime) {
        /* Processing time: every row is due at once. */
        for (int i = 0; rc == 0 && i < op->touched.n; i++) {
            uint32_t p = op->touched.v[i];
            op->parts[p].pend_ms = NO_PEND;
            rc = release(op, p, INT64_MAX, err);
        }
        op->touched.n = 0;
    }
    if (rc == 0) rc = flush_out(op, err);
    tidy_heap(op);
    return rc;
}

static int oa_watermark(wr_operator *base, int64_t watermark, wr_error *err)
{
    oa_op *op = (oa_op *)base;
    int rc = 0;
    if (watermark > op->wm) {
        op->wm = watermark;
        if (!op->spec->proctime) rc = release_due(op, watermark, err);
        int rc2 = flush_out(op, err);
        if (rc == 0) rc = rc2;
        tidy_heap(op);
    }
    return rc ? rc : wr_op_emit_watermark(base->ctx, watermark, err);
}

static int oa_end_input(wr_operator *base, int input, wr_error *err)
{
    oa_op *op = (oa_op *)base;
    int rc = release_due(op, INT64_MAX, err);
    int rc2 = flush_out(op, err);
    return rc ? rc : rc2;
}

/* ---- checkpoints ------------------------------------------------------------------------ */

/*
 * Part layout (docs/checkpoints.md): a header saying what operator wrote it
 * (checked against the restoring one), the watermark, then one record per
 * partition, then the XXH3 of everything before it.
 */
static void put_header(const oa_op *op, wr_buf *b)
{
    const oa_spec *spec = op->spec;
    wr_buf_put_u32(b, SNAPSHOT_MAGIC);
    wr_buf_put_u32(b, SNAPSHOT_VERSION);
    wr_buf_put_u32(b, (uint32_t)op->nin);
    for (int c = 0; c < op->nin; c++) wr_buf_put_u32(b, (uint32_t)spec->in_types[c].id);
    wr_buf_put_u32(b, (uint32_t)spec->npart);
    wr_buf_put_u32(b, (uint32_t)spec->proctime);
    wr_buf_put_u32(b, (uint32_t)op->ncalls);
    for (int c = 0; c < op->ncalls; c++) {
        const wr_over_call *call = &spec->calls[c];
        wr_buf_put_u32(b, (uint32_t)call->agg.kind | (uint32_t)call->range << 8);
        wr_buf_put_u64(b, (uint64_t)call->lower);
        wr_buf_put_u32(b, op->accs[c].size);
    }
}

static void put_queue(const rowq *q, wr_buf *b)
{
    wr_buf_put_u32(b, rowq_len(q));
    for (uint32_t i = q->head; i < q->n; i++) {
        const rowent *e = &q->e[i];
        wr_buf_put_u64(b, (uint64_t)e->ts);
        wr_buf_put_u32(b, e->len);
        wr_buf_append(b, rowq_bytes(q, e), e->len);
    }
}

static int oa_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    oa_op *op = (oa_op *)base;
    int maxp = base->ctx->max_parallelism;
    int *idx = wr_calloc((size_t)maxp, sizeof(int)); /* part index + 1 per key group */
    for (uint32_t p = 0; p < op->nparts; p++) {
        const part *P = &op->parts[p];
        if (P->klen == FREE_PART) continue;
        int kg = wr_keygroup_of_hash(P->hash, maxp);
        if (idx[kg] == 0) {
            idx[kg] = out->nparts + 1;
            wr_buf *b = wr_snapshot_add(out, kg);
            put_header(op, b);
            wr_buf_put_u64(b, (uint64_t)op->wm);
        }
        /* Adding a part may move the others: look the buffer up each time. */
        wr_buf *b = &out->parts[idx[kg] - 1].data;
        wr_buf_put_u32(b, P->klen);
        wr_buf_append(b, key_of(P), P->klen);
        wr_buf_put_u64(b, (uint64_t)P->access_ms);
        for (int c = 0; c < op->ncalls; c++) {
            uint64_t fs = op->fstart[(size_t)p * (size_t)op->ncalls + (size_t)c];
            wr_buf_put_u64(b, has_start(&op->spec->calls[c]) ? fs - P->kseq : 0);
            wr_agg_acc_save(&op->accs[c], state_of(op, p) + op->accs[c].offset, b);
        }
        put_queue(&P->kept, b);
        put_queue(&P->pend, b);
    }
    for (int kg = 0; kg < maxp; kg++) {
        if (idx[kg] == 0) continue;
        wr_buf *b = &out->parts[idx[kg] - 1].data;
        wr_buf_put_u64(b, wr_hash_bytes(b->data, b->len));
    }
    wr_free(idx);
    return 0;
}

/* Reads a queue of rows into q, checking that every row decodes as the input's columns. */
static int load_queue(oa_op *op, wr_buf_reader *r, rowq *q, wr_error *err)
{
    uint32_t n = wr_buf_get_u32(r);
    if (r->bad || n > r->left / 12) return wr_error_set(err, WR_ERR_IO, "a row queue is truncated");
    for (uint32_t i = 0; i < n; i++) {
        int64_t ts = (int64_t)wr_buf_get_u64(r);
        uint32_t len = wr_buf_get_u32(r);
        const uint8_t *bytes = r->bad ? NULL : wr_buf_take(r, len);
        if (bytes == NULL) return wr_error_set(err, WR_ERR_IO, "a row is truncated");
        if (op->old->count == op->old->capacity) wr_batch_reset(op->old);
        wr_error derr;
        wr_error_init(&derr);
        int used = wr_row_decode_append(op->old, bytes, len, &derr);
        if (used < 0 || (uint32_t)used != len)
            return wr_error_set(err, WR_ERR_IO, "a row is malformed%s%s", used < 0 ? ": " : "",
                                used < 0 ? derr.msg : "");
        int rc = rowq_room(q, len, err);
        if (rc) return rc;
        size_t off = q->bytes.len, mem0 = rowq_mem(q);
        wr_buf_append(&q->bytes, bytes, len);
        rowq_push(q, ts, off, len);
        op->queue_bytes += rowq_mem(q) - mem0;
    }
    return 0;
}

/* Restores one partition from r into a new record. */
static int restore_partition(oa_op *op, wr_buf_reader *r, int kg, wr_error *err)
{
    uint32_t klen = wr_buf_get_u32(r);
    const uint8_t *key = r->bad ? NULL : wr_buf_take(r, klen);
    int64_t access = (int64_t)wr_buf_get_u64(r);
    if (key == NULL || r->bad) return wr_error_set(err, WR_ERR_IO, "a partition is truncated");
    wr_batch_reset(op->kb);
    wr_error derr;
    wr_error_init(&derr);
    int used = wr_row_decode_append(op->kb, key, klen, &derr);
    if (used < 0 || (uint32_t)used != klen)
        return wr_error_set(err, WR_ERR_IO, "a partition key is malformed");
    uint64_t hash = wr_hash_bytes(key, klen);
    if (wr_keygroup_of_hash(hash, op->base.ctx->max_parallelism) != kg)
        return wr_error_set(err, WR_ERR_IO, "a partition key does not belong to the key group");
    if (find_part(op, hash, key, klen) != NONE)
        return wr_error_set(err, WR_ERR_IO, "a partition is restored twice");
    reserve_parts(op, 1);
    uint32_t p = new_part(op, hash, key, klen, access);
    uint64_t *fs = op->fstart + (size_t)p * (size_t)op->ncalls;
    for (int c = 0; c < op->ncalls; c++) {
        fs[c] = wr_buf_get_u64(r);
        int rc =
            wr_agg_acc_load(&op->accs[c], state_of(op, p) + op->accs[c].offset, r, &op->heap, err);
        if (rc) return rc;
    }
    part *P = &op->parts[p];
    int rc = load_queue(op, r, &P->kept, err);
    if (rc == 0) rc = load_queue(op, r, &P->pend, err);
    if (rc) return rc;
    P->kseq = 0;
    P->nseq = rowq_len(&P->kept);
    for (int c = 0; c < op->ncalls; c++)
        if (fs[c] > P->nseq || (fs[c] && !has_start(&op->spec->calls[c])))
            return wr_error_set(err, WR_ERR_IO, "call %d's frame starts after its partition's rows",
                                c);
    if (!op->bounded && P->nseq)
        return wr_error_set(err, WR_ERR_IO, "rows are kept that no frame needs");
    for (uint32_t i = P->pend.head; i < P->pend.n; i++)
        P->pend_ms = WR_MIN(P->pend_ms, wr_window_micros_to_ms(P->pend.e[i].ts));
    if (P->pend_ms != NO_PEND) {
        if (op->spec->proctime) return wr_error_set(err, WR_ERR_IO, "rows wait in processing time");
        due_push(op, P->pend_ms, p);
    }
    return 0;
}

static int restore_part(oa_op *op, const wr_snapshot_part *sp, wr_error *err)
{
    wr_buf_reader r;
    int rc = wr_snapshot_part_open(sp, &r, err);
    if (rc) return rc;
    wr_buf header;
    wr_buf_init(&header);
    put_header(op, &header);
    const char *at = r.left >= header.len + 8 ? wr_buf_take(&r, header.len) : NULL;
    bool same = at && memcmp(at, header.data, header.len) == 0;
    wr_buf_fini(&header);
    if (!same)
        return wr_error_set(err, WR_ERR_IO,
                            "not the state of this OVER aggregation (header differs)");
    /* Every instance saw the same watermarks before the barrier. */
    int64_t wm = (int64_t)wr_buf_get_u64(&r);
    if (wm > op->wm) op->wm = wm;
    while (r.left > 0) {
        rc = restore_partition(op, &r, sp->keygroup, err);
        if (rc) return rc;
    }
    return 0;
}

/* ---- the operator ----------------------------------------------------------------------- */

static void oa_destroy(wr_operator *base)
{
    oa_op *op = (oa_op *)base;
    for (uint32_t p = 0; p < op->nparts; p++) {
        part *P = &op->parts[p];
        if (P->klen == FREE_PART) continue;
        if (P->klen > KEY_INLINE) wr_free(P->key.p);
        rowq_fini(&P->kept);
        rowq_fini(&P->pend);
    }
    wr_free(op->parts);
    WR_VEC_FREE(&op->freep);
    wr_free(op->fstart);
    wr_free(op->st.rows);
    wr_arena_fini(&op->heap);
    wr_arena_fini(&op->tmp);
    wr_idtab_fini(&op->tab);
    WR_VEC_FREE(&op->dues);
    WR_VEC_FREE(&op->list);
    WR_VEC_FREE(&op->order);
    WR_VEC_FREE(&op->touched);
    wr_buf_fini(&op->keys);
    wr_batch_free(op->rel);
    wr_batch_free(op->out);
    wr_batch_free(op->old);
    wr_batch_free(op->ext);
    wr_batch_free(op->kb);
    wr_free(op->accs);
    wr_free(op->str_result);
    wr_free(op->all);
    wr_free(op);
}

static const char *ranking_name(wr_over_kind kind)
{
    switch (kind) {
    case WR_OVER_ROW_NUMBER:
        return "ROW_NUMBER";
    case WR_OVER_RANK:
        return "RANK";
    case WR_OVER_DENSE_RANK:
        return "DENSE_RANK";
    default:
        return NULL;
    }
}

/* Rejects a spec the operator cannot run, naming the problem. */
static int check_spec(const oa_spec *spec, const wr_op_ctx *ctx, wr_error *err)
{
    if (spec->nin < 0 || spec->npart < 0 || spec->ncalls < 0)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "over aggregation: negative column, partition or call count");
    for (int c = 0; c < spec->nin; c++)
        if (wr_value_kind_of(spec->in_types[c].id) == WR_VALUE_UNSUPPORTED) {
            char name[64];
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over aggregation: column %d has type %s, which OVER windows do "
                                "not support",
                                c, wr_type_name(spec->in_types[c], name, sizeof(name)));
        }
    for (int k = 0; k < spec->npart; k++)
        if (spec->partition[k] < 0 || spec->partition[k] >= spec->nin)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over aggregation: partition column %d names column %d of %d", k,
                                spec->partition[k], spec->nin);
    if (!spec->proctime) {
        int t = spec->time_col;
        if (t < 0 || t >= spec->nin)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over aggregation: the time column %d is not one of the %d input "
                                "columns",
                                t, spec->nin);
        wr_type_id id = spec->in_types[t].id;
        if (id != WR_TYPE_TIMESTAMP && id != WR_TYPE_TIMESTAMP_LTZ) {
            char name[64];
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over aggregation: OVER windows over a stream must be ordered by "
                                "a time attribute, not a column of type %s",
                                wr_type_name(spec->in_types[t], name, sizeof(name)));
        }
    }
    for (int c = 0; c < spec->ncalls; c++) {
        const wr_over_call *call = &spec->calls[c];
        const char *rank = ranking_name(call->kind);
        if (rank)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over aggregation: %s is not supported over a stream in an OVER "
                                "window ordered by time (only as Top-N or deduplication)",
                                rank);
        if (call->kind != WR_OVER_AGG)
            return wr_error_set(err, WR_ERR_VALIDATION, "over aggregation: call %d has kind %d", c,
                                (int)call->kind);
        const char *name = wr_agg_call_name(&call->agg);
        if (call->agg.distinct)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over aggregation: %s(DISTINCT ...) OVER a window is not supported",
                                name);
        if (call->upper != 0)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over aggregation: %s's frame must end at CURRENT ROW over a "
                                "stream (FOLLOWING rows are not known yet)",
                                name);
        if (call->lower > 0)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "over aggregation: %s's frame starts after the current row", name);
    }
    if (spec->opts.state_ttl_ms < 0)
        return wr_error_set(err, WR_ERR_VALIDATION, "over aggregation: state TTL of %lld ms",
                            (long long)spec->opts.state_ttl_ms);
    if (ctx->max_parallelism <= 0 || ctx->max_parallelism < ctx->parallelism)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "over aggregation: the maximum parallelism (%d) must be at least the "
                            "parallelism (%d)",
                            ctx->max_parallelism, ctx->parallelism);
    return 0;
}

static wr_operator *oa_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const oa_spec *spec = p;
    if (check_spec(spec, ctx, err)) return NULL;
    oa_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_over_agg_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->nin = spec->nin;
    op->ncalls = spec->ncalls;
    op->wm = INT64_MIN;
    op->rel_part = op->old_part = NONE;
    ctx->timer_at_ms = INT64_MAX;
    wr_arena_init(&op->heap, 64 << 10);
    wr_arena_init(&op->tmp, 16 << 10);
    op->st.heap = &op->heap;
    wr_buf_init(&op->keys);
    int ncalls = spec->ncalls;
    op->accs = wr_calloc((size_t)WR_MAX(ncalls, 1), sizeof(wr_agg_acc));
    op->str_result = wr_calloc((size_t)WR_MAX(ncalls, 1), sizeof(bool));
    for (int c = 0; c < ncalls; c++) {
        const wr_over_call *call = &spec->calls[c];
        if (wr_agg_acc_init(&op->accs[c], &call->agg, spec->in_types, spec->nin, err)) {
            wr_error_prefix(err, "over aggregation: ");
            goto fail;
        }
        op->str_result[c] = wr_type_is_view(wr_over_call_type(call).id);
        if (has_start(call)) op->bounded = true;
    }
    op->st.stride = wr_agg_layout(op->accs, ncalls);
    op->all = wr_malloc(sizeof(int) * (size_t)WR_MAX(spec->nin, 1));
    for (int c = 0; c < spec->nin; c++) op->all[c] = c;
    int nout = spec->nin + ncalls;
    wr_type *types = wr_malloc(sizeof(wr_type) * (size_t)WR_MAX(nout, 1));
    if (spec->nin) memcpy(types, spec->in_types, sizeof(wr_type) * (size_t)spec->nin);
    for (int c = 0; c < ncalls; c++) types[spec->nin + c] = wr_over_call_type(&spec->calls[c]);
    op->out = wr_batch_new(types, nout, CAP);
    op->ext = wr_batch_new(types + spec->nin, ncalls, 1);
    op->rel = wr_batch_new(spec->in_types, spec->nin, CAP);
    op->old = wr_batch_new(spec->in_types, spec->nin, CAP);
    for (int k = 0; k < spec->npart; k++) types[k] = spec->in_types[spec->partition[k]];
    op->kb = wr_batch_new(types, spec->npart, 1);
    wr_free(types);
    reserve_parts(op, 0);
    if (ctx->restore) {
        int first, last;
        wr_keygroup_range(ctx->subtask, ctx->max_parallelism, ctx->parallelism, &first, &last);
        for (int i = 0; i < ctx->restore->nparts; i++) {
            const wr_snapshot_part *sp = ctx->restore->parts[i];
            /* Only this instance's key groups (the runtime hands no others; a test may). */
            if (sp->keygroup < first || sp->keygroup > last) continue;
            if (restore_part(op, sp, err)) {
                wr_error_prefix(err,
                                "over aggregation: restoring key group %d of checkpoint %lld: ",
                                sp->keygroup, (long long)ctx->restore->checkpoint);
                goto fail;
            }
        }
        op->heap_live = wr_arena_used(&op->heap);
    }
    if (spec->opts.state_ttl_ms > 0) op->next_sweep = now_ms(op) + spec->opts.state_ttl_ms;
    return &op->base;
fail:
    oa_destroy(&op->base);
    return NULL;
}

/*
 * State bytes: the capacity of the partition records, their accumulator state rows, frame
 * starts and table, the accumulators' live strings, the due releases, and the queues of rows
 * the partitions keep and hold back (entries and row bytes, by capacity).
 */
static size_t oa_state_bytes(const wr_operator *base)
{
    const oa_op *op = (const oa_op *)base;
    return (size_t)op->cap *
               (sizeof(part) + op->st.stride + (size_t)op->ncalls * sizeof(uint64_t)) +
           wr_idtab_bytes(&op->tab) + op->heap_live + (size_t)op->dues.cap * sizeof(due) +
           op->queue_bytes;
}

const wr_operator_ops wr_over_agg_ops = {
    .kind = "over_agg",
    .create = oa_create,
    .process = oa_process,
    .end_input = oa_end_input,
    .watermark = oa_watermark,
    .snapshot = oa_snapshot,
    .state_bytes = oa_state_bytes,
    .destroy = oa_destroy,
};
