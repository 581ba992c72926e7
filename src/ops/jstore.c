/*
 * jstore.c — the state of the time-based joins; see jstore.h.
 *
 * The key table is linear probing over record numbers with backward-shift
 * deletion (no tombstones, so lookups stay short however many keys come and
 * go). Key records are reused through a free list; their bytes are appended
 * to one buffer that is rewritten when freed bytes outnumber live ones. Row
 * records sit in an array parallel to the column store; the time entries
 * hold (time, row) by value, so sifting never touches the row records.
 */
#include "jstore.h"
#include "../base/alloc.h"
#include "../base/hash.h"
#include "../state/keygroup.h"
#include "../types/row_codec.h"

#include <stdlib.h>
#include <string.h>

#define NONE WR_JSTORE_NONE
#define CAP WR_BATCH_CAPACITY

/* Compaction waits for this many removed rows (or key bytes), so small states never churn. */
#define COMPACT_MIN 1024

/* ---- lifecycle ------------------------------------------------------------------------ */

static void side_init(wr_jside *sd, const wr_type *types, int ncols, const int *keys)
{
    sd->ncols = ncols;
    sd->keys = keys;
    sd->all = wr_malloc((size_t)(ncols > 0 ? ncols : 1) * sizeof(int));
    for (int c = 0; c < ncols; c++) sd->all[c] = c;
    wr_colstore_init(&sd->rows, types, ncols);
    sd->scratch = wr_batch_new(types, ncols, CAP);
}

void wr_jstore_init(wr_jstore *st, const wr_join_desc *d, const wr_op_ctx *ctx)
{
    memset(st, 0, sizeof(*st));
    st->d = d;
    st->maxp = ctx->max_parallelism > 0 ? ctx->max_parallelism : WR_DEFAULT_MAX_PARALLELISM;
    st->subtask = ctx->subtask;
    wr_keygroup_range(ctx->subtask, st->maxp, ctx->parallelism, &st->kg_first, &st->kg_last);
    st->free_key = NONE;
    wr_buf_init(&st->kbytes);
    wr_buf_init(&st->rekey);
    side_init(&st->side[0], d->left_types, d->nleft, d->left_keys);
    side_init(&st->side[1], d->right_types, d->nright, d->right_keys);
    int nk = d->nkeys > 0 ? d->nkeys : 1;
    wr_type kt[nk];
    for (int k = 0; k < d->nkeys; k++) kt[k] = d->left_types[d->left_keys[k]];
    st->keyb = wr_batch_new(kt, d->nkeys, 1);
}

void wr_jstore_fini(wr_jstore *st)
{
    for (int s = 0; s < 2; s++) {
        wr_jside *sd = &st->side[s];
        wr_free(sd->all);
        wr_colstore_fini(&sd->rows);
        wr_free(sd->meta);
        wr_free(sd->run);
        wr_free(sd->heap);
        wr_batch_free(sd->scratch);
    }
    wr_free(st->keys);
    wr_free(st->slots);
    wr_buf_fini(&st->kbytes);
    wr_buf_fini(&st->rekey);
    wr_batch_free(st->keyb);
}

size_t wr_jstore_bytes(const wr_jstore *st)
{
    size_t bytes = (size_t)st->capkeys * sizeof(wr_jkey) + st->kbytes.cap +
                   (st->slots ? ((size_t)st->mask + 1) * sizeof(uint32_t) : 0);
    for (int s = 0; s < 2; s++) {
        const wr_jside *side = &st->side[s];
        bytes += wr_colstore_bytes(&side->rows) + side->metacap * sizeof(wr_jrow) +
                 ((size_t)side->runcap + side->heapcap) * sizeof(wr_jentry);
    }
    return bytes;
}

/* ---- input chunks ----------------------------------------------------------------------- */

/* A TIMESTAMP slot (microseconds) in milliseconds, rounded down as Flink's millisecond is. */
static inline int64_t micros_to_ms(int64_t us)
{
    int64_t q = us / 1000;
    return us % 1000 < 0 ? q - 1 : q;
}

wr_jchunk *wr_jchunk_new(void)
{
    wr_jchunk *ch = wr_malloc(sizeof(*ch));
    ch->n = 0;
    wr_buf_init(&ch->key);
    return ch;
}

void wr_jchunk_free(wr_jchunk *ch)
{
    if (ch == NULL) return;
    wr_buf_fini(&ch->key);
    wr_free(ch);
}

int wr_jstore_chunk(const wr_jstore *st, wr_jchunk *ch, int s, const wr_batch *batch, int start,
                    int n, int time_col, int64_t now, const char *who, wr_error *err)
{
    const wr_join_desc *d = st->d;
    const int *keys = st->side[s].keys;
    const wr_vector *tv = time_col >= 0 ? &batch->cols[time_col] : NULL;
    ch->n = n;
    wr_join_encode_keys(batch, start, n, keys, d->nkeys, &ch->key, ch->koff);
    for (int i = 0; i < n; i++) {
        int row = wr_batch_row(batch, start + i);
        ch->prow[i] = (uint32_t)row;
        ch->hash[i] = wr_hash_bytes(wr_jchunk_key(ch, i), wr_jchunk_klen(ch, i));
        int kg = wr_keygroup_of_hash(ch->hash[i], st->maxp);
        if (!wr_jstore_owns(st, kg))
            return wr_join_foreign_key(who, kg, st->subtask, st->kg_first, st->kg_last, err);
        bool usable = wr_join_matchable(d, batch, keys, row);
        ch->time[i] = now;
        if (tv && wr_vector_is_null(tv, row))
            usable = false;
        else if (tv)
            ch->time[i] = micros_to_ms(((const int64_t *)tv->data)[row]);
        ch->usable[i] = usable;
        wr_jstore_prefetch(st, ch->hash[i]);
    }
    return 0;
}

/* ---- keys ------------------------------------------------------------------------------- */

static inline bool key_is(const wr_jstore *st, uint32_t rec, uint64_t hash, const void *key,
                          uint32_t len)
{
    const wr_jkey *k = &st->keys[rec];
    return k->hash == hash && k->len == len && memcmp(st->kbytes.data + k->off, key, len) == 0;
}

uint32_t wr_jstore_find(const wr_jstore *st, uint64_t hash, const void *key, uint32_t len)
{
    if (st->slots == NULL) return NONE;
    for (uint32_t i = (uint32_t)hash & st->mask;; i = (i + 1) & st->mask) {
        uint32_t v = st->slots[i];
        if (v == 0) return NONE;
        if (key_is(st, v - 1, hash, key, len)) return v - 1;
    }
}

static void slots_put(uint32_t *slots, uint32_t mask, uint64_t hash, uint32_t rec)
{
    uint32_t i = (uint32_t)hash & mask;
    while (slots[i]) i = (i + 1) & mask;
    slots[i] = rec + 1;
}

/* Keeps the table at most half full. */
static void slots_grow(wr_jstore *st)
{
    uint32_t cap = st->slots ? st->mask + 1 : 0;
    if ((uint64_t)(st->live_keys + 1) * 2 <= cap) return;
    uint32_t ncap = cap ? cap * 2 : 64;
    uint32_t *slots = wr_calloc_written(ncap, sizeof(uint32_t));
    for (uint32_t i = 0; i < cap; i++)
        if (st->slots[i])
            slots_put(slots, ncap - 1, st->keys[st->slots[i] - 1].hash, st->slots[i] - 1);
    wr_free(st->slots);
    st->slots = slots;
    st->mask = ncap - 1;
}

uint32_t wr_jstore_key(wr_jstore *st, uint64_t hash, const void *key, uint32_t len)
{
    uint32_t rec = wr_jstore_find(st, hash, key, len);
    if (rec != NONE) return rec;
    slots_grow(st);
    if (st->free_key != NONE) {
        rec = st->free_key;
        st->free_key = st->keys[rec].head[0];
    } else {
        if (st->nkeys == st->capkeys) {
            st->capkeys = st->capkeys ? st->capkeys * 2 : 64;
            st->keys = wr_realloc(st->keys, (size_t)st->capkeys * sizeof(wr_jkey));
        }
        rec = st->nkeys++;
    }
    wr_jkey *k = &st->keys[rec];
    *k = (wr_jkey){.hash = hash,
                   .off = (uint32_t)st->kbytes.len,
                   .len = len,
                   .head = {NONE, NONE},
                   .tail = {NONE, NONE},
                   .used = true};
    wr_buf_append(&st->kbytes, key, len);
    slots_put(st->slots, st->mask, hash, rec);
    st->live_keys++;
    return rec;
}

/* Drops an empty key record: backward-shift deletion from the table, then the free list. */
static void key_free(wr_jstore *st, uint32_t rec)
{
    uint32_t mask = st->mask, i = (uint32_t)st->keys[rec].hash & mask;
    while (st->slots[i] != rec + 1) i = (i + 1) & mask;
    for (uint32_t j = i;;) {
        j = (j + 1) & mask;
        if (st->slots[j] == 0) break;
        uint32_t home = (uint32_t)st->keys[st->slots[j] - 1].hash & mask;
        /* The entry at j may move to the hole at i unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        st->slots[i] = st->slots[j];
        i = j;
    }
    st->slots[i] = 0;
    wr_jkey *k = &st->keys[rec];
    st->kdead += k->len;
    k->used = false;
    k->head[0] = st->free_key;
    st->free_key = rec;
    st->live_keys--;
}

/* ---- rows --------------------------------------------------------------------------------- */

static void heap_push(wr_jside *sd, int64_t time, uint32_t row)
{
    if (sd->nheap == sd->heapcap) {
        sd->heapcap = sd->heapcap ? sd->heapcap * 2 : 256;
        sd->heap = wr_realloc(sd->heap, (size_t)sd->heapcap * sizeof(wr_jentry));
    }
    uint32_t i = sd->nheap++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (sd->heap[p].time <= time) break;
        sd->heap[i] = sd->heap[p];
        i = p;
    }
    sd->heap[i] = (wr_jentry){time, row};
}

/* Moves the entry at i down to its place among the first n. */
static void heap_sift_down(wr_jentry *heap, uint32_t n, uint32_t i)
{
    wr_jentry e = heap[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap[c + 1].time < heap[c].time) c++;
        if (heap[c].time >= e.time) break;
        heap[i] = heap[c];
        i = c;
    }
    heap[i] = e;
}

/* An entry joins the run when it is not earlier than the run's last, else the heap. */
static void time_push(wr_jside *sd, int64_t time, uint32_t row)
{
    if (sd->rend > sd->rhead && sd->run[sd->rend - 1].time > time) {
        heap_push(sd, time, row);
        return;
    }
    if (sd->rend == sd->runcap) {
        if (sd->rhead > sd->runcap / 2) {
            /* Mostly consumed: slide what is left to the front instead of growing. */
            memmove(sd->run, sd->run + sd->rhead, (sd->rend - sd->rhead) * sizeof(wr_jentry));
            sd->rend -= sd->rhead;
            sd->rhead = 0;
        } else {
            sd->runcap = sd->runcap ? sd->runcap * 2 : 256;
            sd->run = wr_realloc(sd->run, (size_t)sd->runcap * sizeof(wr_jentry));
        }
    }
    sd->run[sd->rend++] = (wr_jentry){time, row};
}

/* Where the earliest entry is: the run's head (1), the heap's top (2), or nowhere (0). */
static int time_front(const wr_jside *sd)
{
    bool r = sd->rhead<sd->rend, h = sd->nheap> 0;
    if (r && h) return sd->run[sd->rhead].time <= sd->heap[0].time ? 1 : 2;
    return r ? 1 : h ? 2 : 0;
}

void wr_jstore_pop(wr_jstore *st, int s)
{
    wr_jside *sd = &st->side[s];
    int f = time_front(sd);
    if (f == 1) {
        if (++sd->rhead == sd->rend) sd->rhead = sd->rend = 0;
    } else if (f == 2) {
        sd->heap[0] = sd->heap[--sd->nheap];
        if (sd->nheap) heap_sift_down(sd->heap, sd->nheap, 0);
    }
}

bool wr_jstore_top(wr_jstore *st, int s, int64_t *time, uint32_t *row)
{
    wr_jside *sd = &st->side[s];
    for (;;) {
        int f = time_front(sd);
        if (f == 0) return false;
        const wr_jentry *e = f == 1 ? &sd->run[sd->rhead] : &sd->heap[0];
        if (sd->meta[e->row].live) {
            *time = e->time;
            *row = e->row;
            return true;
        }
        wr_jstore_pop(st, s);
    }
}

void wr_jstore_link_after(wr_jstore *st, int s, uint32_t row, uint32_t after)
{
    wr_jrow *m = st->side[s].meta;
    wr_jkey *k = &st->keys[m[row].key];
    uint32_t next = after == NONE ? k->head[s] : m[after].next;
    m[row].prev = after;
    m[row].next = next;
    if (after == NONE)
        k->head[s] = row;
    else
        m[after].next = row;
    if (next == NONE)
        k->tail[s] = row;
    else
        m[next].prev = row;
    k->count[s]++;
}

int wr_jstore_add(wr_jstore *st, int s, const wr_batch *batch, const uint32_t *rows, int n,
                  const uint32_t *keys, const int64_t *times, const uint8_t *flags, bool link,
                  uint32_t *first, wr_error *err)
{
    wr_jside *sd = &st->side[s];
    *first = sd->rows.n;
    int rc = wr_colstore_append(&sd->rows, batch, rows, n,
                                s == 0 ? "the join's left state" : "the join's right state", err);
    if (rc) return rc;
    if (sd->rows.n > sd->metacap) {
        size_t cap = sd->metacap ? sd->metacap : 256;
        while (cap < sd->rows.n) cap *= 2;
        sd->meta = wr_realloc(sd->meta, cap * sizeof(wr_jrow));
        sd->metacap = cap;
    }
    for (int i = 0; i < n; i++) {
        uint32_t row = *first + (uint32_t)i;
        sd->meta[row] = (wr_jrow){.time = times[i],
                                  .key = keys[i],
                                  .prev = NONE,
                                  .next = NONE,
                                  .flag = flags ? flags[i] : 0,
                                  .live = true};
        time_push(sd, times[i], row);
        if (link) wr_jstore_link_after(st, s, row, st->keys[keys[i]].tail[s]);
    }
    sd->live += (uint32_t)n;
    return 0;
}

void wr_jstore_remove(wr_jstore *st, int s, uint32_t row)
{
    wr_jside *sd = &st->side[s];
    wr_jrow *m = &sd->meta[row];
    uint32_t rec = m->key;
    wr_jkey *k = &st->keys[rec];
    if (m->prev == NONE)
        k->head[s] = m->next;
    else
        sd->meta[m->prev].next = m->next;
    if (m->next == NONE)
        k->tail[s] = m->prev;
    else
        sd->meta[m->next].prev = m->prev;
    m->live = false;
    sd->live--;
    k->count[s]--;
    if (k->count[0] == 0 && k->count[1] == 0) key_free(st, rec);
}

/* ---- compaction ------------------------------------------------------------------------- */

/* Copies side s's live rows into a fresh store, in index order, and renumbers everything. */
static void compact_side(wr_jstore *st, int s)
{
    wr_jside *sd = &st->side[s];
    uint32_t n = sd->rows.n, live = sd->live;
    uint32_t *map = wr_malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    uint32_t *idx = wr_malloc((size_t)(live ? live : 1) * sizeof(uint32_t));
    uint32_t j = 0;
    for (uint32_t i = 0; i < n; i++) {
        map[i] = sd->meta[i].live ? j : NONE;
        if (sd->meta[i].live) idx[j++] = i;
    }
    wr_colstore rows;
    wr_colstore_init(&rows, sd->rows.types, sd->ncols);
    wr_colstore_take(&rows, &sd->rows, idx, live);
    wr_colstore_fini(&sd->rows);
    sd->rows = rows;
    /* The ends of the chains are found through their rows, so the cost follows the side's
     * rows, not the number of keys (a versioned table may hold many more). */
    for (uint32_t i = 0; i < live; i++) {
        wr_jrow m = sd->meta[idx[i]];
        if (m.prev != NONE)
            m.prev = map[m.prev];
        else
            st->keys[m.key].head[s] = i;
        if (m.next != NONE)
            m.next = map[m.next];
        else
            st->keys[m.key].tail[s] = i;
        sd->meta[i] = m;
    }
    /* Entries of removed rows go. The run stays in order; the holes break the heap's shape,
     * so it is rebuilt. */
    uint32_t e = 0;
    for (uint32_t i = sd->rhead; i < sd->rend; i++)
        if (map[sd->run[i].row] != NONE)
            sd->run[e++] = (wr_jentry){sd->run[i].time, map[sd->run[i].row]};
    sd->rhead = 0;
    sd->rend = e;
    uint32_t h = 0;
    for (uint32_t i = 0; i < sd->nheap; i++)
        if (map[sd->heap[i].row] != NONE)
            sd->heap[h++] = (wr_jentry){sd->heap[i].time, map[sd->heap[i].row]};
    sd->nheap = h;
    for (uint32_t i = h / 2; i-- > 0;) heap_sift_down(sd->heap, h, i);
    wr_free(map);
    wr_free(idx);
}

/* Rewrites the key bytes without those of freed records. */
static void compact_keys(wr_jstore *st)
{
    wr_buf bytes;
    wr_buf_init(&bytes);
    wr_buf_reserve(&bytes, st->kbytes.len - st->kdead);
    for (uint32_t r = 0; r < st->nkeys; r++) {
        wr_jkey *k = &st->keys[r];
        if (!k->used) continue;
        uint32_t off = (uint32_t)bytes.len;
        wr_buf_append(&bytes, st->kbytes.data + k->off, k->len);
        k->off = off;
    }
    wr_buf_fini(&st->kbytes);
    st->kbytes = bytes;
    st->kdead = 0;
}

void wr_jstore_compact(wr_jstore *st)
{
    for (int s = 0; s < 2; s++) {
        wr_jside *sd = &st->side[s];
        uint32_t dead = sd->rows.n - sd->live;
        if (dead >= COMPACT_MIN && dead > sd->live) compact_side(st, s);
    }
    if (st->kdead >= COMPACT_MIN && st->kdead > st->kbytes.len - st->kdead) compact_keys(st);
}

/* ---- output ------------------------------------------------------------------------------- */

void wr_jstore_gather(const wr_jstore *st, int s, const uint32_t *idx, int n, wr_batch *out,
                      int first_col)
{
    const wr_jside *sd = &st->side[s];
    for (int c = 0; c < sd->ncols; c++)
        wr_colstore_gather(&sd->rows, c, idx, n, out, first_col + c);
}

void wr_jstore_gather_input(const wr_jstore *st, int s, const wr_batch *batch, const uint32_t *rows,
                            int n, wr_batch *out, int first_col)
{
    const wr_jside *sd = &st->side[s];
    for (int c = 0; c < sd->ncols; c++) {
        const wr_vector *v = &batch->cols[c];
        wr_gather_slots(v->data, v->validity, wr_value_kind_width(sd->rows.kinds[c]), rows, n, out,
                        first_col + c);
    }
}

void wr_jstore_null_cols(wr_batch *out, int first_col, int ncols, int n)
{
    for (int c = first_col; c < first_col + ncols; c++)
        memset(wr_batch_validity(out, c), 0, ((size_t)n + 63) / 64 * sizeof(uint64_t));
}

/* ---- checkpoints ------------------------------------------------------------------------ */

/* Writes the rows of one chain: per row i64 time, u8 flag, u32 length and the row codec bytes. */
static void put_chain(wr_jstore *st, int s, uint32_t row, wr_buf *b)
{
    wr_jside *sd = &st->side[s];
    uint32_t idx[CAP];
    while (row != NONE) {
        int n = 0;
        for (; row != NONE && n < CAP; row = sd->meta[row].next) idx[n++] = row;
        wr_batch_reset(sd->scratch);
        wr_jstore_gather(st, s, idx, n, sd->scratch, 0);
        sd->scratch->count = n;
        for (int i = 0; i < n; i++) {
            const wr_jrow *m = &sd->meta[idx[i]];
            wr_buf_put_u64(b, (uint64_t)m->time);
            wr_buf_putc(b, (char)m->flag);
            size_t at = b->len;
            wr_buf_put_u32(b, 0);
            wr_row_encode(sd->scratch, i, sd->all, sd->ncols, b);
            uint32_t len = (uint32_t)(b->len - at - 4);
            for (int k = 0; k < 4; k++) b->data[at + k] = (char)(len >> (8 * k));
        }
    }
}

void wr_jstore_snapshot(wr_jstore *st, const wr_buf *header, wr_snapshot *out)
{
    int max_parallelism = st->maxp;
    uint32_t *count = wr_calloc((size_t)max_parallelism, sizeof(uint32_t));
    int *part = wr_malloc((size_t)max_parallelism * sizeof(int));
    for (uint32_t r = 0; r < st->nkeys; r++)
        if (st->keys[r].used) count[wr_keygroup_of_hash(st->keys[r].hash, max_parallelism)]++;
    /* Every part is added before any is written: adding may move the parts. */
    for (int kg = 0; kg < max_parallelism; kg++)
        if (count[kg]) {
            part[kg] = out->nparts;
            wr_snapshot_add(out, kg);
        }
    for (int kg = 0; kg < max_parallelism; kg++) {
        if (!count[kg]) continue;
        wr_buf *b = &out->parts[part[kg]].data;
        wr_buf_append(b, header->data, header->len);
        wr_buf_put_u64(b, count[kg]);
    }
    for (uint32_t r = 0; r < st->nkeys; r++) {
        const wr_jkey *k = &st->keys[r];
        if (!k->used) continue;
        wr_buf *b = &out->parts[part[wr_keygroup_of_hash(k->hash, max_parallelism)]].data;
        wr_buf_put_u32(b, k->len);
        wr_buf_append(b, st->kbytes.data + k->off, k->len);
        for (int s = 0; s < 2; s++) {
            wr_buf_put_u32(b, k->count[s]);
            put_chain(st, s, k->head[s], b);
        }
    }
    for (int kg = 0; kg < max_parallelism; kg++) {
        if (!count[kg]) continue;
        wr_buf *b = &out->parts[part[kg]].data;
        wr_buf_put_u64(b, wr_hash_bytes(b->data, b->len));
    }
    wr_free(count);
    wr_free(part);
}

/* Adds the rows decoded into side s's scratch batch to key rec. */
static int restore_flush(wr_jstore *st, int s, uint32_t rec, const int64_t *times,
                         const uint8_t *flags, wr_error *err)
{
    wr_batch *sb = st->side[s].scratch;
    int n = sb->count;
    if (n == 0) return 0;
    uint32_t rows[CAP], keys[CAP], first;
    for (int i = 0; i < n; i++) {
        rows[i] = (uint32_t)i;
        keys[i] = rec;
    }
    int rc = wr_jstore_add(st, s, sb, rows, n, keys, times, flags, true, &first, err);
    wr_batch_reset(sb);
    return rc;
}

/* Restores the chain of side s of key rec (bytes key, len) from r; `at` is for messages. */
static int restore_chain(wr_jstore *st, wr_buf_reader *r, int s, uint32_t rec, const void *key,
                         uint32_t len, size_t at, wr_error *err)
{
    wr_jside *sd = &st->side[s];
    uint32_t n = wr_buf_get_u32(r);
    /* A row takes at least 13 bytes: a count beyond that is garbage, not an allocation. */
    if (r->bad || n > r->left / 13)
        return wr_error_set(err, WR_ERR_IO, "the key at byte %zu is truncated", at);
    int64_t times[CAP];
    uint8_t flags[CAP];
    wr_batch_reset(sd->scratch);
    for (uint32_t i = 0; i < n; i++) {
        int64_t t = (int64_t)wr_buf_get_u64(r);
        const uint8_t *flag = wr_buf_take(r, 1);
        uint32_t rlen = wr_buf_get_u32(r);
        const uint8_t *bytes = r->bad ? NULL : wr_buf_take(r, rlen);
        if (bytes == NULL)
            return wr_error_set(err, WR_ERR_IO, "a row of the key at byte %zu is truncated", at);
        if (*flag > 1)
            return wr_error_set(err, WR_ERR_IO, "a row of the key at byte %zu has flag %u", at,
                                *flag);
        int row = sd->scratch->count;
        wr_error derr;
        wr_error_init(&derr);
        int used = wr_row_decode_append(sd->scratch, bytes, rlen, &derr);
        if (used < 0 || (uint32_t)used != rlen)
            return wr_error_set(err, WR_ERR_IO, "a %s row of the key at byte %zu is malformed%s%s",
                                s == 0 ? "left" : "right", at, used < 0 ? ": " : "",
                                used < 0 ? derr.msg : "");
        /* The row must have the key it is stored under, or it would be joined wrongly. */
        wr_buf_reset(&st->rekey);
        wr_row_encode(sd->scratch, row, sd->keys, st->d->nkeys, &st->rekey);
        if (st->rekey.len != len || memcmp(st->rekey.data, key, len) != 0)
            return wr_error_set(err, WR_ERR_IO, "a %s row of the key at byte %zu has another key",
                                s == 0 ? "left" : "right", at);
        times[row] = t;
        flags[row] = *flag;
        if (sd->scratch->count == CAP) {
            int rc = restore_flush(st, s, rec, times, flags, err);
            if (rc) return rc;
        }
    }
    return restore_flush(st, s, rec, times, flags, err);
}

int wr_jstore_restore_part(wr_jstore *st, const wr_snapshot_part *part, const wr_buf *header,
                           const char *kind, const char *other, int64_t *wm, wr_error *err)
{
    if (part->keygroup < 0) return wr_error_set(err, WR_ERR_IO, "a part of operator state");
    wr_buf_reader r;
    int rc = wr_snapshot_part_open(part, &r, err);
    if (rc) return rc;
    const void *got = wr_buf_take(&r, header->len);
    if (got == NULL || memcmp(got, header->data, 4) != 0)
        return wr_error_set(err, WR_ERR_IO, "not %s's state", kind);
    if (memcmp(got, header->data, header->len) != 0)
        return wr_error_set(err, WR_ERR_IO, "%s", other);
    *wm = (int64_t)wr_buf_get_u64(&r);
    if (r.bad) return wr_error_set(err, WR_ERR_IO, "truncated header");
    return wr_jstore_restore(st, &r, part->keygroup, err);
}

int wr_jstore_restore(wr_jstore *st, wr_buf_reader *r, int kg, wr_error *err)
{
    size_t total = r->left;
    uint64_t nkeys = wr_buf_get_u64(r);
    if (r->bad) return wr_error_set(err, WR_ERR_IO, "truncated header");
    for (uint64_t i = 0; i < nkeys; i++) {
        size_t at = total - r->left;
        uint32_t len = wr_buf_get_u32(r);
        const uint8_t *key = r->bad ? NULL : wr_buf_take(r, len);
        if (key == NULL)
            return wr_error_set(err, WR_ERR_IO, "the key at byte %zu is truncated", at);
        wr_batch_reset(st->keyb);
        wr_error derr;
        wr_error_init(&derr);
        int used = wr_row_decode_append(st->keyb, key, len, &derr);
        if (used < 0 || (uint32_t)used != len)
            return wr_error_set(err, WR_ERR_IO, "the key at byte %zu is malformed%s%s", at,
                                used < 0 ? ": " : "", used < 0 ? derr.msg : "");
        uint64_t hash = wr_hash_bytes(key, len);
        if (wr_keygroup_of_hash(hash, st->maxp) != kg)
            return wr_error_set(err, WR_ERR_IO,
                                "the key at byte %zu does not belong to key group %d", at, kg);
        if (wr_jstore_find(st, hash, key, len) != NONE)
            return wr_error_set(err, WR_ERR_IO, "the key at byte %zu is restored twice", at);
        uint32_t rec = wr_jstore_key(st, hash, key, len);
        for (int s = 0; s < 2; s++) {
            int rc = restore_chain(st, r, s, rec, key, len, at, err);
            if (rc) return rc;
        }
        /* Keys are kept while they hold rows: an empty one is not ours. */
        if (st->keys[rec].count[0] == 0 && st->keys[rec].count[1] == 0) {
            key_free(st, rec);
            return wr_error_set(err, WR_ERR_IO, "the key at byte %zu has no rows", at);
        }
    }
    if (r->left) return wr_error_set(err, WR_ERR_IO, "%zu bytes after the last key", r->left);
    return 0;
}
