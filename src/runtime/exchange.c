/*
 * exchange.c — channels between tasks and the writers that partition into them.
 *
 * A writer collects rows per target subtask into batches of its own
 * (copying them, since its input is borrowed) and puts a batch on the
 * target's channel when it is full, when the buffer timeout passes, or at
 * end of input. A full channel blocks the producer: that is backpressure,
 * and it bounds what is in flight to capacity batches per channel.
 */
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../state/keygroup.h"
#include "runtime_int.h"

#include <string.h>

void wr_channel_init(wr_channel *ch, wr_task *consumer, int input, int cap)
{
    memset(ch, 0, sizeof(*ch));
    ch->consumer = consumer;
    ch->input = input;
    ch->cap = cap;
    ch->wake_batches = (cap + 1) / 2;
    ch->ring = wr_calloc((size_t)cap, sizeof(wr_elem));
    ch->spare = wr_calloc((size_t)cap, sizeof(wr_batch *));
    ch->watermark = WR_WATERMARK_MIN;
    pthread_cond_init(&ch->not_full, NULL);
}

void wr_channel_fini(wr_channel *ch)
{
    for (int i = 0; i < ch->len; i++) wr_batch_free(ch->ring[(ch->head + i) % ch->cap].batch);
    wr_free(ch->ring);
    for (int i = 0; i < ch->nspare; i++) wr_batch_free(ch->spare[i]);
    wr_free(ch->spare);
    pthread_cond_destroy(&ch->not_full);
}

static bool is_watermark(const wr_elem *e)
{
    return e->batch == NULL && e->mark.kind == WR_MARK_WATERMARK;
}

void wr_channel_recycle(wr_channel *ch, wr_batch *batch)
{
    if (ch->nspare < ch->cap)
        ch->spare[ch->nspare++] = batch;
    else
        wr_batch_free(batch);
}

/* A local channel doubles instead of making its producer (its consumer's own thread) wait. */
static void grow(wr_channel *ch)
{
    int cap = ch->cap * 2;
    wr_elem *ring = wr_malloc((size_t)cap * sizeof(wr_elem));
    for (int i = 0; i < ch->len; i++) ring[i] = ch->ring[(ch->head + i) % ch->cap];
    wr_free(ch->ring);
    ch->ring = ring;
    ch->head = 0;
    ch->cap = cap;
    ch->spare = wr_realloc(ch->spare, (size_t)cap * sizeof(wr_batch *));
}

int wr_channel_put(wr_channel *ch, wr_elem elem, wr_batch **reuse, wr_writer *defer, wr_error *err)
{
    if (reuse) *reuse = NULL;
    wr_task *t = ch->consumer;
    wr_job *job = t->job;
    pthread_mutex_lock(&t->lock);
    if (is_watermark(&elem) && ch->len > 0) {
        wr_elem *last = &ch->ring[(ch->head + ch->len - 1) % ch->cap];
        if (is_watermark(last)) {
            last->mark.time = elem.mark.time;
            pthread_mutex_unlock(&t->lock);
            return 0;
        }
    }
    if (ch->local && ch->len == ch->cap) grow(ch);
    while (ch->len == ch->cap && !atomic_load(&job->cancelled)) {
        if (defer && defer->owed_since_ns) {
            /* Consumers left asleep might be what this one waits for: wake them first. */
            pthread_mutex_unlock(&t->lock);
            wr_writer_wake(defer);
            pthread_mutex_lock(&t->lock);
            continue;
        }
        ch->producer_waits = true;
        pthread_cond_wait(&ch->not_full, &t->lock);
    }
    if (atomic_load(&job->cancelled)) {
        pthread_mutex_unlock(&t->lock);
        wr_batch_free(elem.batch);
        return wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
    }
    ch->ring[(ch->head + ch->len) % ch->cap] = elem;
    ch->len++;
    if (elem.batch) {
        ch->batches++;
        ch->queued_batches++;
    }
    if (ch->len > ch->max_len) ch->max_len = ch->len;
    if (reuse && ch->nspare > 0) *reuse = ch->spare[--ch->nspare];
    bool owed = false;
    if (t->sleeping) {
        if (defer && (elem.batch || is_watermark(&elem)) && ch->queued_batches < ch->wake_batches)
            owed = true;
        else
            pthread_cond_signal(&t->wake);
    }
    pthread_mutex_unlock(&t->lock);
    if (owed) {
        int i = 0;
        while (defer->targets[i] != ch) i++;
        defer->owed[i] = true;
        if (defer->owed_since_ns == 0) defer->owed_since_ns = wr_clock_mono_ns();
    }
    return 0;
}

void wr_channel_close(wr_channel *ch)
{
    wr_task *t = ch->consumer;
    pthread_mutex_lock(&t->lock);
    ch->closed = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

/* ---- writer -------------------------------------------------------------- */

static int writer_push(wr_collector *self, wr_batch *batch, wr_error *err);

static int writer_collect_mark(wr_collector *self, const wr_mark *mark, wr_error *err)
{
    return wr_writer_mark((wr_writer *)self, mark, err);
}

void wr_writer_init(wr_writer *w, wr_job *job, wr_partition part, const wr_keysel *key,
                    const wr_type *types, int ncols, wr_channel **targets, int ntargets,
                    int max_parallelism)
{
    memset(w, 0, sizeof(*w));
    w->collector.push = writer_push;
    w->collector.mark = writer_collect_mark;
    w->job = job;
    w->part = part;
    w->key = key;
    w->types = types;
    w->ncols = ncols;
    w->targets = targets;
    w->ntargets = ntargets;
    w->max_parallelism = max_parallelism;
    if (part == WR_PART_HASH) {
        w->group_target = wr_malloc((size_t)max_parallelism * sizeof(uint16_t));
        for (int g = 0; g < max_parallelism; g++)
            w->group_target[g] = (uint16_t)wr_keygroup_subtask(g, max_parallelism, ntargets);
    }
    w->bufs = wr_calloc((size_t)ntargets, sizeof(wr_batch *));
    w->rows = wr_calloc((size_t)ntargets, sizeof(uint32_t *));
    w->nrows = wr_calloc((size_t)ntargets, sizeof(int));
    w->owed = wr_calloc((size_t)ntargets, sizeof(bool));
    for (int i = 0; i < ntargets; i++) w->rows[i] = wr_malloc(WR_BATCH_CAPACITY * sizeof(uint32_t));
    wr_buf_init(&w->keybuf);
}

void wr_writer_fini(wr_writer *w)
{
    for (int i = 0; i < w->ntargets; i++) {
        wr_batch_free(w->bufs[i]);
        wr_free(w->rows[i]);
    }
    wr_free(w->bufs);
    wr_free(w->rows);
    wr_free(w->nrows);
    wr_free(w->owed);
    wr_buf_fini(&w->keybuf);
    wr_free(w->group_target);
}

/* The writer that may owe its puts' wakes (wr_channel_put), or NULL: with a buffer timeout of
 * 0 every row is meant to be seen at once, so every put wakes. */
static wr_writer *deferring(wr_writer *w)
{
    return w->job->buffer_timeout_ns > 0 ? w : NULL;
}

static int send_buffer(wr_writer *w, int t, wr_error *err)
{
    wr_batch *b = w->bufs[t];
    if (b == NULL || b->count == 0) return 0;
    w->bufs[t] = NULL;
    return wr_channel_put(w->targets[t], (wr_elem){.batch = b}, &w->bufs[t], deferring(w), err);
}

/* Appends rows[0..n) of batch to target t's buffer, sending full buffers. */
static int append_to(wr_writer *w, int t, const wr_batch *batch, const uint32_t *rows, int n,
                     wr_error *err)
{
    while (n > 0) {
        if (w->bufs[t] == NULL) w->bufs[t] = wr_batch_new(w->types, w->ncols, WR_BATCH_CAPACITY);
        wr_batch *b = w->bufs[t];
        int room = b->capacity - b->count;
        int k = WR_MIN(room, n);
        wr_batch_append_rows(b, batch, rows, k);
        rows += k;
        n -= k;
        if (b->count == b->capacity) {
            int rc = send_buffer(w, t, err);
            if (rc) return rc;
        }
    }
    return 0;
}

/*
 * Sends target t rows[0..n) of batch by reference (rows NULL: its active rows): a batch whose
 * columns point at batch's, with a copy of the selection. A stable batch (wr_batch.stable)
 * lends its values only: kinds and timestamps are copied too. A lendable one
 * (wr_batch.lendable) lends everything and is held until the consumer resets the view.
 * Rows buffered for t go first, so the order holds.
 */
static int lend_to(wr_writer *w, int t, wr_batch *batch, const uint32_t *rows, int n, wr_error *err)
{
    int rc = send_buffer(w, t, err);
    if (rc) return rc;
    wr_batch *b = w->bufs[t] ? w->bufs[t] : wr_batch_new(w->types, w->ncols, WR_BATCH_CAPACITY);
    w->bufs[t] = NULL;
    assert(b->count == 0);
    b->count = batch->count;
    for (int c = 0; c < w->ncols; c++) {
        b->cols[c].data = batch->cols[c].data;
        b->cols[c].validity = batch->cols[c].validity;
    }
    if (rows == NULL && batch->sel) {
        rows = batch->sel;
        n = batch->nsel;
    }
    if (rows) {
        b->sel = wr_batch_sel_buffer(b);
        b->nsel = n;
        memcpy(b->sel, rows, (size_t)n * sizeof(uint32_t));
    }
    if (batch->lendable) {
        b->kinds = batch->kinds;
        b->rowtimes = batch->rowtimes;
        wr_batch_hold(batch);
        b->lent_from = batch;
    } else {
        if (batch->kinds) memcpy(wr_batch_kinds(b), batch->kinds, (size_t)batch->count);
        if (batch->rowtimes)
            memcpy(wr_batch_rowtimes(b), batch->rowtimes, (size_t)batch->count * sizeof(int64_t));
        b->stable = true;
    }
    return wr_channel_put(w->targets[t], (wr_elem){.batch = b}, &w->bufs[t], deferring(w), err);
}

/* Fewest rows for one target that go by reference rather than copied into its buffer. */
#define LEND_MIN_ROWS (WR_BATCH_CAPACITY / 8)

static int writer_push(wr_collector *self, wr_batch *batch, wr_error *err)
{
    wr_writer *w = (wr_writer *)self;
    /* Into a local channel with nothing buffered before it: delivered as a chained batch. */
    if (w->part == WR_PART_FORWARD && w->targets[0]->local &&
        (w->bufs[0] == NULL || w->bufs[0]->count == 0)) {
        int rc = wr_channel_deliver_local(w->targets[0], batch, err);
        if (rc <= 0) return rc;
    }
    int n = wr_batch_rows(batch);
    uint32_t all[WR_BATCH_CAPACITY];
    const uint32_t *active = batch->sel;
    if (active == NULL) {
        assert(batch->count <= WR_BATCH_CAPACITY);
        for (int i = 0; i < n; i++) all[i] = (uint32_t)i;
        active = all;
    }
    int rc = 0;
    if (w->pending_since_ns == 0) w->pending_since_ns = wr_clock_mono_ns();
    /* A stable or lendable batch at least half full goes to every target by reference
     * (forward, broadcast). */
    bool lendable = (batch->stable || batch->lendable) && batch->count <= WR_BATCH_CAPACITY;
    if (lendable && 2 * n >= WR_BATCH_CAPACITY &&
        (w->part == WR_PART_FORWARD || w->part == WR_PART_BROADCAST)) {
        for (int t = 0; t < w->ntargets && rc == 0; t++) rc = lend_to(w, t, batch, NULL, 0, err);
        return rc;
    }
    switch (w->part) {
    case WR_PART_FORWARD:
        rc = append_to(w, 0, batch, active, n, err);
        break;
    case WR_PART_BROADCAST:
        for (int t = 0; t < w->ntargets && rc == 0; t++)
            rc = append_to(w, t, batch, active, n, err);
        break;
    case WR_PART_REBALANCE:
    case WR_PART_HASH:
        memset(w->nrows, 0, (size_t)w->ntargets * sizeof(int));
        if (w->part == WR_PART_REBALANCE) {
            int t = w->next_target;
            for (int i = 0; i < n; i++) {
                w->rows[t][w->nrows[t]++] = active[i];
                if (++t == w->ntargets) t = 0;
            }
            w->next_target = t;
        } else {
            uint64_t hashes[WR_BATCH_CAPACITY];
            rc = wr_keysel_hash_rows(w->key, batch, active, n, hashes, &w->keybuf, err);
            if (rc) return rc;
            uint64_t maxp = (uint64_t)w->max_parallelism;
            if ((maxp & (maxp - 1)) == 0) { /* the usual power of two: a mask, not a division */
                for (int i = 0; i < n; i++) {
                    int t = w->group_target[hashes[i] & (maxp - 1)];
                    w->rows[t][w->nrows[t]++] = active[i];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    int t = w->group_target[wr_keygroup_of_hash(hashes[i], w->max_parallelism)];
                    w->rows[t][w->nrows[t]++] = active[i];
                }
            }
        }
        /* A lendable batch's share for a target goes by reference when it is not small. */
        bool shares = batch->lendable && batch->count <= WR_BATCH_CAPACITY;
        for (int t = 0; t < w->ntargets && rc == 0; t++) {
            if (w->nrows[t] == 0) continue;
            if (shares && w->nrows[t] >= LEND_MIN_ROWS)
                rc = lend_to(w, t, batch, w->rows[t], w->nrows[t], err);
            else
                rc = append_to(w, t, batch, w->rows[t], w->nrows[t], err);
        }
        break;
    }
    return rc;
}

int wr_writer_flush(wr_writer *w, wr_error *err)
{
    for (int t = 0; t < w->ntargets; t++) {
        int rc = send_buffer(w, t, err);
        if (rc) return rc;
    }
    w->pending_since_ns = 0;
    return 0;
}

void wr_writer_wake(wr_writer *w)
{
    if (w->owed_since_ns == 0) return;
    w->owed_since_ns = 0;
    for (int i = 0; i < w->ntargets; i++) {
        if (!w->owed[i]) continue;
        w->owed[i] = false;
        wr_task *t = w->targets[i]->consumer;
        pthread_mutex_lock(&t->lock);
        if (t->sleeping) pthread_cond_signal(&t->wake);
        pthread_mutex_unlock(&t->lock);
    }
}

int wr_writer_mark(wr_writer *w, const wr_mark *mark, wr_error *err)
{
    int rc = wr_writer_flush(w, err);
    for (int t = 0; t < w->ntargets && rc == 0; t++)
        rc = wr_channel_put(w->targets[t], (wr_elem){.mark = *mark}, NULL, deferring(w), err);
    return rc;
}

int wr_writer_end(wr_writer *w, wr_error *err)
{
    int rc = wr_writer_flush(w, err);
    if (rc) return rc;
    for (int t = 0; t < w->ntargets; t++) wr_channel_close(w->targets[t]);
    return 0;
}
