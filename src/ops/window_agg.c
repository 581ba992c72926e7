/*
 * window_agg.c — the window aggregation over TUMBLE, HOP, CUMULATE and
 * SESSION windows (Flink's WindowAggregate); see window_agg.h.
 *
 * TUMBLE, HOP and CUMULATE keep their state in panes: a pane is the state
 * of every key over one stretch of time, ending at pane->end, a small hash
 * aggregation of its own (open-addressing table over the keys' row codec
 * bytes, contiguous state rows laid out by wr_agg_layout, one heap). Panes
 * sit in an array ordered by end, so what fires next is at its front.
 *
 * - Slicing (Flink's SlicingWindowOperator), for HOP and CUMULATE when every
 *   call can merge regardless of order: a pane is a slice (HOP: slide-long,
 *   the size being a multiple of the slide; CUMULATE: step-long), each row is
 *   accumulated once, and a window fires by merging its slices with the
 *   accumulators' merge. A slice is freed once no window that has not fired
 *   needs it.
 * - One pane per window otherwise: always for TUMBLE (its slice is its
 *   window), and for HOP and CUMULATE with calls whose result depends on
 *   arrival order or needs every value (DISTINCT, FIRST_VALUE, LAST_VALUE,
 *   LISTAGG, ARRAY_AGG, user functions without merge): each row goes into
 *   every window it falls in. DISTINCT calls keep a set of (row, value) per
 *   pane.
 *
 * Windows are [start, end) in milliseconds. Event time: window [s, e) fires
 * when the watermark reaches e - 1, emitting one row per key that has rows
 * in it, before the watermark is forwarded (cascaded windows rely on it); a
 * row whose windows have all fired is late, dropped and counted. Processing
 * time: rows take the wall clock at arrival and windows fire on
 * processing-time timers at e - 1. End of input fires everything.
 *
 * SESSION keeps, per key, its sessions in a list ordered by start (a row at
 * t opens [t, t + gap); windows that intersect, ends included as Flink's
 * TimeWindow.intersects, merge, their states folded with merge in start
 * order), each with a state row of one array, and a min-heap with one entry
 * per session (its end when it opened, brought up to date when it reaches the
 * top) says what fires. Sessions that fired leave dead
 * rows and keys behind; once they outnumber the live ones everything is
 * copied into fresh memory (states through wr_agg_acc_save/load), so memory
 * follows live state.
 *
 * Deliberate differences from Flink: a HOP or CUMULATE row is late only when
 * every window it falls in has fired (Flink's slicing drops it when its
 * slice's first window has); windows of times before the epoch align with a
 * floor modulo; TIMESTAMP_LTZ windows align in UTC; SESSION windows refuse
 * DISTINCT calls ("not supported yet"); allowed lateness is not implemented.
 */
#include "window_agg.h"
#include "aggregate_int.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../state/keygroup.h"
#include "../types/row_codec.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define SNAPSHOT_MAGIC 0x31474157u /* "WAG1" */
#define SPARE_PANES 4

/* A slot of a key table: the low 32 bits of the key's hash above the row + 1 (0: empty). */
#define SLOT(h, g) ((uint64_t)(uint32_t)(h) << 32 | ((uint64_t)(g) + 1))
#define SLOT_HASH(slot) ((uint32_t)((slot) >> 32))

typedef struct wagg_spec {
    wr_type *in_types;
    int nin;
    wr_window_def w;
    int *groups;
    int ngroups;
    wr_agg_call *aggs;
    int naggs;
} wagg_spec;

typedef struct key_ref {
    uint32_t off, len; /* into a key buffer */
} key_ref;

/* One value of a DISTINCT call's set: up to 8 bytes inline, longer ones in the heap. */
typedef struct dentry {
    uint64_t hash;
    uint64_t data;
    uint32_t row1; /* state row + 1; 0: empty */
    uint32_t len;
} dentry;

typedef struct dset {
    dentry *slots;
    uint32_t mask, count;
} dset;

/* The keys that had rows in one slice or window, and their states. */
typedef struct pane {
    int64_t end; /* ms: the slice's or window's end */
    uint32_t nrows, cap;
    wr_agg_states st; /* cap rows of stride bytes */
    wr_arena heap;
    uint64_t *slots; /* SLOT(hash, row) */
    uint32_t mask;
    uint64_t *hashes; /* per row: wr_hash_bytes of the key (its key group too) */
    key_ref *keys;    /* per row, into kdata */
    uint8_t *kdata;
    size_t klen, kcap;
    dset *dsets; /* per call; NULL without DISTINCT calls */
} pane;

typedef struct session {
    int64_t start, end; /* [start, end): the last row + gap */
    uint32_t key;       /* into skeys */
    uint32_t next;      /* the key's next session by start, or NONE */
    bool alive;
} session;

typedef struct skey {
    uint64_t hash;
    key_ref key; /* into skdata */
    uint32_t head, live;
} skey;

typedef struct sfire {
    int64_t end;
    uint32_t s;
} sfire;

/* A (row, pane end) pair of a batch, sorted by end before its panes are updated. */
typedef struct pair {
    int64_t end;
    uint32_t i; /* index among the batch's active rows */
    uint32_t unused;
} pair;

typedef struct wagg_op {
    wr_operator base;
    const wagg_spec *spec;
    wr_agg_acc *accs;
    int naggs;
    size_t stride;
    wr_type *out_types;
    int nout;
    bool sliced, distinct, proctime, session;
    int64_t grid; /* window ends lie on offset + k * grid: TUMBLE size, HOP slide, CUMULATE step */
    int kg_first, kg_last;
    int64_t progress;   /* windows ending at or before progress + 1 have fired */
    int64_t last_fired; /* sliced: the last window end fired; INT64_MIN: none */
    int64_t late;

    WR_VEC(pane *) panes; /* by end, ascending */
    WR_VEC(pane *) spare;
    pane *merged; /* sliced: a window's slices merged */

    /* SESSION */
    session *sess;
    uint32_t nsess, sess_cap, nlive;
    wr_agg_states sst;
    wr_arena sheap;
    skey *skeys;
    uint32_t nkeys, skeys_cap;
    uint64_t *kslots;
    uint32_t kmask;
    uint8_t *skdata;
    size_t sklen, skcap;
    WR_VEC(sfire) fires; /* min-heap by end */
    uint8_t *tmp_rows;   /* states of sessions being emitted, made contiguous */

    /* Per-batch scratch for scap rows (pairs: pcap). */
    int scap;
    uint32_t *ident, *grows, *ggroups, *frows, *fgroups, *drows, *dgroups, *eoff, *elen;
    uint64_t *hash;
    int64_t *ts;
    uint8_t *tsok;
    wr_buf enc;
    pair *pairs, *sorted;
    size_t pcap;

    wr_batch *out;
} wagg_op;

/* ---- spec ---------------------------------------------------------------------------- */

static void wagg_spec_free(void *p)
{
    wagg_spec *spec = p;
    wr_free(spec->in_types);
    wr_free(spec->groups);
    wr_free(spec->aggs);
    wr_free(spec);
}

wr_operator_spec wr_window_agg_spec(const wr_type *in_types, int nin, const wr_window_def *w,
                                    const int *groups, int ngroups, const wr_agg_call *aggs,
                                    int naggs)
{
    wagg_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->in_types = wr_memdup_array(in_types, nin, sizeof(*in_types));
    spec->nin = nin;
    spec->w = *w;
    spec->groups = wr_memdup_array(groups, ngroups, sizeof(*groups));
    spec->ngroups = ngroups;
    spec->aggs = wr_memdup_array(aggs, naggs, sizeof(*aggs));
    spec->naggs = naggs;
    return (wr_operator_spec){
        .ops = &wr_window_agg_ops, .spec = spec, .spec_free = wagg_spec_free, .parallelism = -1};
}

void wr_window_agg_output_types(const wr_type *in_types, int nin, const wr_window_def *w,
                                const int *groups, int ngroups, const wr_agg_call *aggs, int naggs,
                                wr_type *out)
{
    wr_agg_output_types(in_types, groups, ngroups, aggs, naggs, out);
    wr_window_columns(in_types, nin, w, out + ngroups + naggs);
}

int64_t wr_window_agg_late_rows(const wr_operator *base)
{
    return ((const wagg_op *)base)->late;
}

/* ---- window arithmetic (ms) ------------------------------------------------------------ */

/* The end of the slice (window, for TUMBLE) that holds ts: also the first window end of ts. */
static int64_t slice_end(const wagg_op *op, int64_t ts)
{
    const wr_window_def *w = &op->spec->w;
    return wr_window_start(ts, w->offset_ms, op->grid) + op->grid;
}

/* The end of the last window that holds ts. */
static int64_t last_end(const wagg_op *op, int64_t ts)
{
    const wr_window_def *w = &op->spec->w;
    if (w->kind == WR_WINDOW_HOP)
        return wr_window_start(ts, w->offset_ms, w->slide_ms) + w->size_ms;
    return wr_window_start(ts, w->offset_ms, w->size_ms) + w->size_ms;
}

/* The start of the window that ends at end (TUMBLE, HOP, CUMULATE). */
static int64_t start_of(const wagg_op *op, int64_t end)
{
    const wr_window_def *w = &op->spec->w;
    if (w->kind == WR_WINDOW_CUMULATE) return wr_window_start(end - 1, w->offset_ms, w->size_ms);
    return end - w->size_ms;
}

/* The first window end at or after t. */
static int64_t align_up(const wagg_op *op, int64_t t)
{
    return t + wr_window_floor_mod(op->spec->w.offset_ms - t, op->grid);
}

/* ---- keys ------------------------------------------------------------------------------ */

/*
 * Encodes the group columns of the active rows with the row codec into op->enc: key i at
 * eoff[i], elen[i] bytes. These are the bytes the hash exchange routed by, so their hash
 * gives the key group.
 */
static void encode_keys(wagg_op *op, const wr_batch *in, const uint32_t *rows, int n)
{
    const wagg_spec *spec = op->spec;
    wr_buf_reset(&op->enc);
    wr_row_encode_rows(in, rows, n, spec->groups, spec->ngroups, &op->enc, op->eoff);
    const uint8_t *enc = (const uint8_t *)op->enc.data;
    for (int i = 0; i < n; i++) {
        op->elen[i] = op->eoff[i + 1] - op->eoff[i];
        op->hash[i] = wr_hash_bytes(enc + op->eoff[i], op->elen[i]);
    }
}

/* Whether key bytes restored from a checkpoint have the layout of the group columns. */
static bool key_valid(const wagg_op *op, const uint8_t *key, size_t len)
{
    const wagg_spec *spec = op->spec;
    size_t at = ((size_t)spec->ngroups + 7) / 8;
    if (len < at) return false;
    for (int k = 0; k < spec->ngroups; k++) {
        if (key[k >> 3] & (1 << (k & 7))) continue;
        wr_type_id id = spec->in_types[spec->groups[k]].id;
        if (wr_type_is_view(id)) {
            uint32_t l;
            if (len - at < 4) return false;
            memcpy(&l, key + at, 4);
            at += 4;
            if (len - at < l) return false;
            at += l;
        } else {
            size_t w = wr_type_width(id);
            if (len - at < w) return false;
            at += w;
        }
    }
    return at == len;
}

/* Writes a key's group columns into row `row` of out (strings are views of the key). */
static void decode_key(const wagg_op *op, const uint8_t *key, wr_batch *out, int row)
{
    const wagg_spec *spec = op->spec;
    size_t at = ((size_t)spec->ngroups + 7) / 8;
    for (int k = 0; k < spec->ngroups; k++) {
        wr_vector *v = &out->cols[k];
        if (key[k >> 3] & (1 << (k & 7))) {
            wr_batch_set_null(out, k, row);
            continue;
        }
        if (wr_type_is_view(v->type.id)) {
            uint32_t l;
            memcpy(&l, key + at, 4);
            ((wr_str *)v->data)[row] = (wr_str){(const char *)key + at + 4, l};
            at += 4 + l;
        } else {
            size_t w = wr_type_width(v->type.id);
            memcpy((uint8_t *)v->data + (size_t)row * w, key + at, w);
            at += w;
        }
    }
}

/* A key table's size for n keys (at most half full) and how many keys fit. */
static uint32_t table_size(size_t n)
{
    uint32_t cap = 16;
    while (cap / 2 < n) cap *= 2;
    return cap;
}

/* ---- DISTINCT sets --------------------------------------------------------------------- */

static void dset_put(dset *set, const dentry *e)
{
    uint32_t i = (uint32_t)e->hash & set->mask;
    while (set->slots[i].row1) i = (i + 1) & set->mask;
    set->slots[i] = *e;
}

static void dset_reserve(dset *set, size_t n)
{
    size_t need = (size_t)set->count + n;
    if (set->slots && need <= ((size_t)set->mask + 1) / 2) return;
    uint32_t cap = table_size(need);
    dentry *old = set->slots;
    uint32_t old_cap = old ? set->mask + 1 : 0;
    set->slots = wr_calloc_written(cap, sizeof(dentry));
    set->mask = cap - 1;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i].row1) dset_put(set, &old[i]);
    wr_free(old);
}

/* Adds (row, value); true when it was not there yet. Values over 8 bytes are copied to heap. */
static bool dset_add(dset *set, wr_arena *heap, uint32_t row, const void *p, uint32_t len)
{
    uint64_t h = wr_hash_u64(wr_hash_bytes(p, len) ^ row);
    uint64_t inl = 0;
    if (len && len <= 8) memcpy(&inl, p, len);
    uint32_t i = (uint32_t)h & set->mask;
    for (;; i = (i + 1) & set->mask) {
        dentry *e = &set->slots[i];
        if (e->row1 == 0) break;
        if (e->hash != h || e->row1 != row + 1 || e->len != len) continue;
        if (len <= 8 ? e->data == inl : memcmp((const void *)(uintptr_t)e->data, p, len) == 0)
            return false;
    }
    dentry *e = &set->slots[i];
    e->hash = h;
    e->row1 = row + 1;
    e->len = len;
    if (len <= 8) {
        e->data = inl;
    } else {
        void *copy = wr_arena_alloc(heap, len);
        memcpy(copy, p, len);
        e->data = (uint64_t)(uintptr_t)copy;
    }
    set->count++;
    return true;
}

static const void *dentry_bytes(const dentry *e)
{
    return e->len <= 8 ? (const void *)&e->data : (const void *)(uintptr_t)e->data;
}

/* ---- panes ----------------------------------------------------------------------------- */

static pane *pane_new(const wagg_op *op)
{
    pane *p = wr_calloc(1, sizeof(*p));
    wr_arena_init(&p->heap, 4096);
    p->st.heap = &p->heap;
    p->st.stride = op->stride;
    if (op->distinct) p->dsets = wr_calloc((size_t)op->naggs, sizeof(dset));
    return p;
}

static void pane_free(const wagg_op *op, pane *p)
{
    if (p == NULL) return;
    wr_free(p->st.rows);
    wr_arena_fini(&p->heap);
    wr_free(p->slots);
    wr_free(p->hashes);
    wr_free(p->keys);
    wr_free(p->kdata);
    if (p->dsets)
        for (int c = 0; c < op->naggs; c++) wr_free(p->dsets[c].slots);
    wr_free(p->dsets);
    wr_free(p);
}

/* Empties a pane for reuse, keeping its buffers. */
static void pane_reset(const wagg_op *op, pane *p)
{
    p->nrows = 0;
    p->klen = 0;
    if (p->slots) memset(p->slots, 0, ((size_t)p->mask + 1) * sizeof(uint64_t));
    wr_arena_reset(&p->heap);
    if (p->dsets)
        for (int c = 0; c < op->naggs; c++) {
            dset *set = &p->dsets[c];
            if (set->slots) memset(set->slots, 0, ((size_t)set->mask + 1) * sizeof(dentry));
            set->count = 0;
        }
}

/* Makes room for n more keys in p. */
static void pane_reserve(pane *p, size_t n)
{
    size_t need = (size_t)p->nrows + n;
    if (need > p->cap) {
        uint32_t cap = (uint32_t)WR_MAX(need, WR_MAX((size_t)p->cap * 2, 64));
        p->st.rows = wr_realloc(p->st.rows, (size_t)cap * p->st.stride);
        p->hashes = wr_realloc(p->hashes, (size_t)cap * sizeof(uint64_t));
        p->keys = wr_realloc(p->keys, (size_t)cap * sizeof(key_ref));
        p->cap = cap;
    }
    if (p->slots && need <= ((size_t)p->mask + 1) / 2) return;
    uint32_t size = table_size(need), mask = size - 1;
    uint64_t *slots = wr_calloc_written(size, sizeof(uint64_t));
    for (uint32_t r = 0; r < p->nrows; r++) {
        uint32_t s = (uint32_t)p->hashes[r] & mask;
        while (slots[s]) s = (s + 1) & mask;
        slots[s] = SLOT(p->hashes[r], r);
    }
    wr_free(p->slots);
    p->slots = slots;
    p->mask = mask;
}

/* The row of key in p, added (with empty states) when new; room must have been reserved. */
static uint32_t pane_row(pane *p, const uint8_t *key, uint32_t len, uint64_t hash, bool *added)
{
    uint32_t s = (uint32_t)hash & p->mask;
    for (;; s = (s + 1) & p->mask) {
        uint64_t slot = p->slots[s];
        if (slot == 0) break;
        if (SLOT_HASH(slot) != (uint32_t)hash) continue;
        uint32_t r = (uint32_t)slot - 1;
        if (p->keys[r].len == len &&
            (len == 0 || memcmp(p->kdata + p->keys[r].off, key, len) == 0)) {
            if (added) *added = false;
            return r;
        }
    }
    uint32_t r = p->nrows++;
    if (p->klen + len > p->kcap) {
        p->kcap = WR_MAX(p->klen + len, WR_MAX(p->kcap * 2, 1024));
        p->kdata = wr_realloc(p->kdata, p->kcap);
    }
    if (len) memcpy(p->kdata + p->klen, key, len);
    p->keys[r] = (key_ref){(uint32_t)p->klen, len};
    p->klen += len;
    p->hashes[r] = hash;
    memset(p->st.rows + (size_t)r * p->st.stride, 0, p->st.stride);
    p->slots[s] = SLOT(hash, r);
    if (added) *added = true;
    return r;
}

/* The index of the first pane whose end is >= end. */
static int pane_search(const wagg_op *op, int64_t end)
{
    int lo = 0, hi = op->panes.n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (op->panes.v[mid]->end < end)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The pane that ends at end, added when there is none. */
static pane *pane_get(wagg_op *op, int64_t end)
{
    int at = pane_search(op, end);
    if (at < op->panes.n && op->panes.v[at]->end == end) return op->panes.v[at];
    pane *p = op->spare.n ? op->spare.v[--op->spare.n] : pane_new(op);
    p->end = end;
    WR_VEC_GROW(&op->panes, op->panes.n + 1);
    memmove(op->panes.v + at + 1, op->panes.v + at, sizeof(pane *) * (size_t)(op->panes.n - at));
    op->panes.v[at] = p;
    op->panes.n++;
    return p;
}

/* Frees the first n panes (keeping a few for reuse). */
static void panes_drop(wagg_op *op, int n)
{
    for (int i = 0; i < n; i++) {
        pane *p = op->panes.v[i];
        if (op->spare.n < SPARE_PANES) {
            pane_reset(op, p);
            WR_VEC_PUSH(&op->spare, p);
        } else {
            pane_free(op, p);
        }
    }
    memmove(op->panes.v, op->panes.v + n, sizeof(pane *) * (size_t)(op->panes.n - n));
    op->panes.n -= n;
}

/* ---- updating states ------------------------------------------------------------------- */

static void ensure_scratch(wagg_op *op, int n)
{
    if (n <= op->scap) return;
    int cap = WR_MAX(n, WR_BATCH_CAPACITY);
    uint32_t **u32s[] = {&op->ident, &op->grows,   &op->ggroups, &op->frows, &op->fgroups,
                         &op->drows, &op->dgroups, &op->eoff,    &op->elen};
    for (size_t i = 0; i < WR_ARRAY_LEN(u32s); i++) /* eoff takes n + 1 */
        *u32s[i] = wr_realloc(*u32s[i], ((size_t)cap + 1) * sizeof(uint32_t));
    for (int i = 0; i < cap; i++) op->ident[i] = (uint32_t)i;
    op->hash = wr_realloc(op->hash, (size_t)cap * sizeof(uint64_t));
    op->ts = wr_realloc(op->ts, (size_t)cap * sizeof(int64_t));
    op->tsok = wr_realloc(op->tsok, (size_t)cap);
    op->scap = cap;
}

static void ensure_pairs(wagg_op *op, size_t n)
{
    if (n <= op->pcap) return;
    op->pcap = WR_MAX(n, op->pcap * 2);
    op->pairs = wr_realloc(op->pairs, op->pcap * sizeof(pair));
    op->sorted = wr_realloc(op->sorted, op->pcap * sizeof(pair));
}

/* Keeps the (row, group) pairs whose FILTER value is TRUE; returns how many (frows/fgroups). */
static int apply_filter(wagg_op *op, const wr_vector *f, const uint32_t *rows,
                        const uint32_t *groups, int n)
{
    const uint8_t *x = f->data;
    int m = 0;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (x[r] && !wr_vector_is_null(f, (int)r)) {
            op->frows[m] = r;
            op->fgroups[m] = groups[i];
            m++;
        }
    }
    return m;
}

/* Keeps the pairs whose value is new to its row of p (never NULLs); returns how many. */
static int apply_distinct(wagg_op *op, pane *p, dset *set, const wr_vector *v, const uint32_t *rows,
                          const uint32_t *groups, int n)
{
    dset_reserve(set, (size_t)n);
    bool str = wr_type_is_view(v->type.id);
    size_t w = wr_type_width(v->type.id);
    const uint8_t *d = v->data;
    int m = 0;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (wr_vector_is_null(v, (int)r)) continue;
        const void *x = d + (size_t)r * w;
        uint32_t len = (uint32_t)w;
        if (str) {
            wr_str s = ((const wr_str *)d)[r];
            x = s.ptr;
            len = s.len;
        }
        if (dset_add(set, &p->heap, groups[i], x, len)) {
            op->drows[m] = r;
            op->dgroups[m] = groups[i];
            m++;
        }
    }
    return m;
}

/*
 * Runs every call's update over input rows rows[i] into state rows groups[i]
 * of st (p: the pane, for DISTINCT sets; NULL for sessions).
 */
static int update_states(wagg_op *op, const wr_batch *in, const wr_agg_states *st, pane *p,
                         const uint32_t *rows, const uint32_t *groups, int n, wr_error *err)
{
    for (int c = 0; c < op->naggs && n > 0; c++) {
        const wr_agg_acc *acc = &op->accs[c];
        const uint32_t *r = rows, *g = groups;
        int m = n;
        if (acc->filter >= 0) {
            m = apply_filter(op, &in->cols[acc->filter], r, g, m);
            r = op->frows;
            g = op->fgroups;
        }
        const wr_vector *a = acc->nargs > 0 ? &in->cols[acc->args[0]] : NULL;
        const wr_vector *b = acc->nargs > 1 ? &in->cols[acc->args[1]] : NULL;
        if (acc->distinct && m > 0) {
            m = apply_distinct(op, p, &p->dsets[c], a, r, g, m);
            r = op->drows;
            g = op->dgroups;
        }
        if (m == 0) continue;
        if (acc->kind == WR_AGG_USER) a = in->cols; /* it reads all its arguments */
        int rc = acc->update(acc, st, a, b, r, g, m, err);
        if (rc) return rc;
    }
    return 0;
}

static int pair_cmp(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Orders op->pairs[0..n) by end, keeping arrival order within an end, into
 * op->sorted: a counting sort over the few distinct ends a batch usually
 * has, qsort when there are many.
 */
static void sort_pairs(wagg_op *op, size_t n)
{
    enum { MAX_ENDS = 64, TABLE = 256 };
    int64_t ends[MAX_ENDS];
    uint32_t counts[MAX_ENDS + 1];
    int16_t table[TABLE];
    int nends = 0;
    memset(table, -1, sizeof(table));
    uint8_t bucket_of_last = 0;
    int64_t last = 0;
    bool have_last = false;
    for (size_t i = 0; i < n; i++) {
        int64_t e = op->pairs[i].end;
        if (have_last && e == last) {
            op->pairs[i].unused = bucket_of_last;
            continue;
        }
        uint32_t h = (uint32_t)(wr_hash_u64((uint64_t)e) & (TABLE - 1));
        while (table[h] >= 0 && ends[table[h]] != e) h = (h + 1) & (TABLE - 1);
        if (table[h] < 0) {
            if (nends == MAX_ENDS) {
                memcpy(op->sorted, op->pairs, n * sizeof(pair));
                qsort(op->sorted, n, sizeof(pair), pair_cmp);
                return;
            }
            ends[nends] = e;
            table[h] = (int16_t)nends++;
        }
        bucket_of_last = (uint8_t)table[h];
        last = e;
        have_last = true;
        op->pairs[i].unused = bucket_of_last;
    }
    /* Buckets in order of their ends. */
    int order[MAX_ENDS], rank[MAX_ENDS];
    for (int b = 0; b < nends; b++) order[b] = b;
    for (int i = 1; i < nends; i++) /* insertion sort: few ends */
        for (int j = i; j > 0 && ends[order[j - 1]] > ends[order[j]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int b = 0; b < nends; b++) rank[order[b]] = b;
    memset(counts, 0, sizeof(counts));
    for (size_t i = 0; i < n; i++) counts[rank[op->pairs[i].unused] + 1]++;
    for (int b = 0; b < nends; b++) counts[b + 1] += counts[b];
    for (size_t i = 0; i < n; i++) op->sorted[counts[rank[op->pairs[i].unused]]++] = op->pairs[i];
}

/* Adds the sorted pairs, pane by pane: keys first, then every call's update over the pane. */
static int update_panes(wagg_op *op, const wr_batch *in, const uint32_t *rows, size_t n,
                        wr_error *err)
{
    const pair *sp = op->sorted;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && sp[j].end == sp[i].end) j++;
        pane *p = pane_get(op, sp[i].end);
        for (size_t from = i; from < j; from += (size_t)op->scap) {
            int m = (int)WR_MIN((size_t)op->scap, j - from);
            pane_reserve(p, (size_t)m);
            for (int k = 0; k < m; k++) {
                uint32_t x = sp[from + (size_t)k].i;
                op->grows[k] = rows[x];
                op->ggroups[k] = pane_row(p, (const uint8_t *)op->enc.data + op->eoff[x],
                                          op->elen[x], op->hash[x], NULL);
            }
            int rc = update_states(op, in, &p->st, p, op->grows, op->ggroups, m, err);
            if (rc) return rc;
        }
        i = j;
    }
    return 0;
}

/* ---- sessions -------------------------------------------------------------------------- */

static void fires_push(wagg_op *op, int64_t end, uint32_t s)
{
    WR_VEC_PUSH(&op->fires, ((sfire){end, s}));
    sfire *h = op->fires.v;
    int i = op->fires.n - 1;
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (h[parent].end <= h[i].end) break;
        sfire t = h[parent];
        h[parent] = h[i];
        h[i] = t;
        i = parent;
    }
}

/* Moves the top entry down to its place. */
static void fires_sift(wagg_op *op)
{
    sfire *h = op->fires.v;
    int n = op->fires.n, i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].end < h[m].end) m = l;
        if (r < n && h[r].end < h[m].end) m = r;
        if (m == i) break;
        sfire t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

static void fires_pop(wagg_op *op)
{
    int n = --op->fires.n;
    if (n == 0) return;
    op->fires.v[0] = op->fires.v[n];
    fires_sift(op);
}

/*
 * Makes the top entry current. A live session has one entry, pushed when it opened, whose
 * end is at most the session's (extending or merging a session leaves the entry as it is,
 * so that the heap grows by sessions, not by rows): a top whose session moved its end
 * takes the new end and goes down to its place; a top whose session died is dropped. The
 * top is then the live session that ends first.
 */
static void fires_clean(wagg_op *op)
{
    while (op->fires.n) {
        sfire *top = &op->fires.v[0];
        const session *s = &op->sess[top->s];
        if (!s->alive) {
            fires_pop(op);
        } else if (s->end != top->end) {
            top->end = s->end;
            fires_sift(op);
        } else {
            return;
        }
    }
}

static void skeys_reserve(wagg_op *op, size_t n)
{
    size_t need = (size_t)op->nkeys + n;
    if (need > op->skeys_cap) {
        op->skeys_cap = (uint32_t)WR_MAX(need, WR_MAX((size_t)op->skeys_cap * 2, 64));
        op->skeys = wr_realloc(op->skeys, op->skeys_cap * sizeof(skey));
    }
    if (op->kslots && need <= ((size_t)op->kmask + 1) / 2) return;
    uint32_t size = table_size(need), mask = size - 1;
    uint64_t *slots = wr_calloc_written(size, sizeof(uint64_t));
    for (uint32_t k = 0; k < op->nkeys; k++) {
        uint32_t s = (uint32_t)op->skeys[k].hash & mask;
        while (slots[s]) s = (s + 1) & mask;
        slots[s] = SLOT(op->skeys[k].hash, k);
    }
    wr_free(op->kslots);
    op->kslots = slots;
    op->kmask = mask;
}

/* The index of a key among the session keys, added when new; room must have been reserved. */
static uint32_t skey_get(wagg_op *op, const uint8_t *key, uint32_t len, uint64_t hash)
{
    uint32_t s = (uint32_t)hash & op->kmask;
    for (;; s = (s + 1) & op->kmask) {
        uint64_t slot = op->kslots[s];
        if (slot == 0) break;
        if (SLOT_HASH(slot) != (uint32_t)hash) continue;
        uint32_t k = (uint32_t)slot - 1;
        const skey *sk = &op->skeys[k];
        if (sk->key.len == len && (len == 0 || memcmp(op->skdata + sk->key.off, key, len) == 0))
            return k;
    }
    uint32_t k = op->nkeys++;
    if (op->sklen + len > op->skcap) {
        op->skcap = WR_MAX(op->sklen + len, WR_MAX(op->skcap * 2, 4096));
        op->skdata = wr_realloc(op->skdata, op->skcap);
    }
    if (len) memcpy(op->skdata + op->sklen, key, len);
    op->skeys[k] = (skey){hash, {(uint32_t)op->sklen, len}, NONE, 0};
    op->sklen += len;
    op->kslots[s] = SLOT(hash, k);
    return k;
}

/* A new live session of key k, linked into its list by start, with empty states. */
static uint32_t session_new(wagg_op *op, uint32_t k, int64_t start, int64_t end)
{
    if (op->nsess == op->sess_cap) {
        op->sess_cap = WR_MAX(op->sess_cap * 2, 64);
        op->sess = wr_realloc(op->sess, op->sess_cap * sizeof(session));
        op->sst.rows = wr_realloc(op->sst.rows, (size_t)op->sess_cap * op->stride);
    }
    uint32_t s = op->nsess++;
    memset(op->sst.rows + (size_t)s * op->stride, 0, op->stride);
    session *x = &op->sess[s];
    *x = (session){start, end, k, NONE, true};
    skey *sk = &op->skeys[k];
    uint32_t *link = &sk->head;
    while (*link != NONE && op->sess[*link].start < start) link = &op->sess[*link].next;
    x->next = *link;
    *link = s;
    sk->live++;
    op->nlive++;
    fires_push(op, end, s);
    return s;
}

/* Takes session s out of its key's list; it stays in the array as dead. */
static void session_kill(wagg_op *op, uint32_t s)
{
    session *x = &op->sess[s];
    skey *sk = &op->skeys[x->key];
    uint32_t *link = &sk->head;
    while (*link != s) link = &op->sess[*link].next;
    *link = x->next;
    x->alive = false;
    sk->live--;
    op->nlive--;
}

static uint8_t *session_state(const wagg_op *op, uint32_t s)
{
    return op->sst.rows + (size_t)s * op->stride;
}

/* Folds session from into session into (the earlier one) and kills from. */
static int session_merge(wagg_op *op, uint32_t into, uint32_t from, wr_error *err)
{
    uint8_t *dst = session_state(op, into), *src = session_state(op, from);
    for (int c = 0; c < op->naggs; c++) {
        const wr_agg_acc *acc = &op->accs[c];
        int rc = acc->merge(acc, dst + acc->offset, src + acc->offset, &op->sheap, err);
        if (rc) return rc;
    }
    session *a = &op->sess[into], *b = &op->sess[from];
    a->start = WR_MIN(a->start, b->start);
    a->end = WR_MAX(a->end, b->end);
    session_kill(op, from);
    return 0;
}

/*
 * Assigns each row to its key's session, opening, extending and merging
 * sessions as rows come. Updates are batched; a merge first applies the
 * updates gathered so far, since they may go to the session it removes.
 */
static int session_process(wagg_op *op, const wr_batch *in, const uint32_t *rows, int n,
                           wr_error *err)
{
    int64_t gap = op->spec->w.gap_ms;
    int m = 0, rc;
    skeys_reserve(op, (size_t)n);
    for (int i = 0; i < n; i++) {
        if (!op->tsok[i]) continue;
        int64_t t = op->ts[i], e = t + gap;
        uint32_t k =
            skey_get(op, (const uint8_t *)op->enc.data + op->eoff[i], op->elen[i], op->hash[i]);
        uint32_t target = NONE;
        for (uint32_t s = op->skeys[k].head; s != NONE;) {
            session *x = &op->sess[s];
            uint32_t next = x->next;
            if (x->start > e) break; /* ordered by start: no later one intersects */
            if (x->end >= t) {
                if (target == NONE) {
                    target = s;
                } else {
                    if ((rc =
                             update_states(op, in, &op->sst, NULL, op->grows, op->ggroups, m, err)))
                        return rc;
                    m = 0;
                    if ((rc = session_merge(op, target, s, err))) return rc;
                }
            }
            s = next;
        }
        if (target == NONE) {
            if (e - 1 <= op->progress) { /* its session would already have fired */
                op->late++;
                op->base.ctx->late_records_dropped++;
                continue;
            }
            target = session_new(op, k, t, e);
        } else {
            session *x = &op->sess[target];
            x->start = WR_MIN(x->start, t);
            if (e > x->end) x->end = e; /* its entry in fires is made current when on top */
        }
        op->grows[m] = rows[i];
        op->ggroups[m] = target;
        m++;
    }
    return update_states(op, in, &op->sst, NULL, op->grows, op->ggroups, m, err);
}

/*
 * Copies the live sessions, their keys and states into fresh memory, so that
 * what fired stops taking room. States move through save and load, which
 * copy the bytes they keep in the heap.
 */
static int sessions_compact(wagg_op *op, wr_error *err)
{
    session *sess = wr_malloc((size_t)WR_MAX(op->nlive, 1) * sizeof(session));
    uint8_t *rows = wr_malloc((size_t)WR_MAX(op->nlive, 1) * op->stride);
    skey *keys = wr_malloc((size_t)WR_MAX(op->nkeys, 1) * sizeof(skey));
    uint8_t *kdata = wr_malloc(WR_MAX(op->sklen, 1));
    wr_arena heap;
    wr_arena_init(&heap, 64 << 10);
    wr_buf buf;
    wr_buf_init(&buf);
    uint32_t ns = 0, nk = 0;
    size_t klen = 0;
    int rc = 0;
    for (uint32_t k = 0; k < op->nkeys && rc == 0; k++) {
        const skey *sk = &op->skeys[k];
        if (sk->live == 0) continue;
        skey *nkey = &keys[nk];
        *nkey = *sk;
        nkey->key.off = (uint32_t)klen;
        memcpy(kdata + klen, op->skdata + sk->key.off, sk->key.len);
        klen += sk->key.len;
        uint32_t *link = &nkey->head;
        for (uint32_t s = sk->head; s != NONE && rc == 0; s = op->sess[s].next) {
            session *x = &sess[ns];
            *x = op->sess[s];
            x->key = nk;
            *link = ns;
            link = &x->next;
            uint8_t *dst = rows + (size_t)ns * op->stride;
            memset(dst, 0, op->stride);
            const uint8_t *src = session_state(op, s);
            for (int c = 0; c < op->naggs && rc == 0; c++) {
                const wr_agg_acc *acc = &op->accs[c];
                wr_buf_reset(&buf);
                wr_agg_acc_save(acc, src + acc->offset, &buf);
                wr_buf_reader r = wr_buf_reader_of(buf.data, buf.len);
                rc = wr_agg_acc_load(acc, dst + acc->offset, &r, &heap, err);
            }
            ns++;
        }
        *link = NONE;
        nk++;
    }
    wr_buf_fini(&buf);
    if (rc) {
        wr_free(sess);
        wr_free(rows);
        wr_free(keys);
        wr_free(kdata);
        wr_arena_fini(&heap);
        return rc;
    }
    wr_free(op->sess);
    wr_free(op->sst.rows);
    wr_free(op->skeys);
    wr_free(op->skdata);
    wr_arena_fini(&op->sheap);
    op->sess = sess;
    op->sess_cap = op->nsess = ns;
    op->sst.rows = rows;
    op->sheap = heap;
    op->sst.heap = &op->sheap;
    op->skeys = keys;
    op->skeys_cap = op->nkeys = nk;
    op->skdata = kdata;
    op->skcap = WR_MAX(op->sklen, 1);
    op->sklen = klen;
    wr_free(op->kslots);
    op->kslots = NULL;
    op->kmask = 0;
    op->fires.n = 0;
    skeys_reserve(op, 0); /* without a table: makes one and hashes every key in */
    for (uint32_t s = 0; s < ns; s++) fires_push(op, op->sess[s].end, s);
    return 0;
}

/* ---- firing ---------------------------------------------------------------------------- */

/* Writes window_start, window_end, window_time for rows row0..row0+n-1 of out. */
static void put_window(const wagg_op *op, wr_batch *out, int row0, int n, const int64_t *starts,
                       const int64_t *ends, int64_t start, int64_t end)
{
    int col = op->spec->ngroups + op->naggs;
    int64_t *ws = out->cols[col].data, *we = out->cols[col + 1].data, *wt = out->cols[col + 2].data;
    for (int i = 0; i < n; i++) {
        int64_t s = starts ? starts[i] : start, e = ends ? ends[i] : end;
        /* Times past the range of microseconds (only restored bytes can hold them) wrap. */
        ws[row0 + i] = (int64_t)((uint64_t)s * 1000);
        we[row0 + i] = (int64_t)((uint64_t)e * 1000);
        wt[row0 + i] = (int64_t)((uint64_t)e * 1000 - 1000);
    }
}

/* Emits one row per key of p for the window [start, end). */
static int emit_pane(wagg_op *op, pane *p, int64_t start, int64_t end, wr_error *err)
{
    wr_batch *out = op->out;
    for (uint32_t first = 0; first < p->nrows; first += (uint32_t)out->capacity) {
        if (wr_op_cancelled(op->base.ctx))
            return wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
        int n = (int)WR_MIN((uint32_t)out->capacity, p->nrows - first);
        wr_batch_reset(out);
        for (int i = 0; i < n; i++)
            decode_key(op, p->kdata + p->keys[first + (uint32_t)i].off, out, i);
        for (int c = 0; c < op->naggs; c++) {
            int rc = wr_agg_acc_final(&op->accs[c], &p->st, first, n, out, op->spec->ngroups + c, 0,
                                      err);
            if (rc) return rc;
        }
        put_window(op, out, 0, n, NULL, NULL, start, end);
        out->count = n;
        int rc = wr_op_emit(op->base.ctx, out, err);
        if (rc) return rc;
    }
    return 0;
}

/* Merges panes[0..n) (the slices of one window, earliest first) into op->merged. */
static int merge_slices(wagg_op *op, int n, wr_error *err)
{
    pane *m = op->merged;
    pane_reset(op, m);
    for (int i = 0; i < n; i++) {
        const pane *p = op->panes.v[i];
        pane_reserve(m, p->nrows);
        for (uint32_t r = 0; r < p->nrows; r++) {
            const key_ref *k = &p->keys[r];
            uint32_t g = pane_row(m, p->kdata + k->off, k->len, p->hashes[r], NULL);
            uint8_t *dst = m->st.rows + (size_t)g * m->st.stride;
            const uint8_t *src = p->st.rows + (size_t)r * p->st.stride;
            for (int c = 0; c < op->naggs; c++) {
                const wr_agg_acc *acc = &op->accs[c];
                int rc = acc->merge(acc, dst + acc->offset, src + acc->offset, &m->heap, err);
                if (rc) return rc;
            }
        }
    }
    return 0;
}

/* The next window end to fire with slicing (INT64_MAX: none). */
static int64_t sliced_next(const wagg_op *op)
{
    if (op->panes.n == 0) return INT64_MAX;
    int64_t e = align_up(op, op->panes.v[0]->end);
    if (op->last_fired != INT64_MIN && e <= op->last_fired) e = op->last_fired + op->grid;
    return e;
}

/*
 * Counts every window that ends at or before progress + 1 as fired, also
 * those without rows at the time: a row arriving later must not open them.
 */
static void pass_windows(wagg_op *op, int64_t progress)
{
    if (progress == INT64_MIN || progress == INT64_MAX) return;
    int64_t e = progress + 1;
    e -= wr_window_floor_mod(e - op->spec->w.offset_ms, op->grid);
    if (e > op->last_fired) op->last_fired = e;
}

static int fire_sliced(wagg_op *op, int64_t progress, wr_error *err)
{
    for (;;) {
        int64_t e = sliced_next(op);
        if (e == INT64_MAX || e - 1 > progress) {
            pass_windows(op, progress);
            return 0;
        }
        int64_t s = start_of(op, e);
        /* Slices that end at or before the window's start serve no window left. */
        int stale = pane_search(op, s + 1);
        if (stale) panes_drop(op, stale);
        int n = pane_search(op, e + 1);
        int rc = 0;
        if (n == 1)
            rc = emit_pane(op, op->panes.v[0], s, e, err);
        else if (n > 1 && (rc = merge_slices(op, n, err)) == 0)
            rc = emit_pane(op, op->merged, s, e, err);
        if (rc) return rc;
        op->last_fired = e;
        int done = pane_search(op, start_of(op, e + op->grid) + 1);
        if (done) panes_drop(op, done);
    }
}

static int fire_windows(wagg_op *op, int64_t progress, wr_error *err)
{
    while (op->panes.n && op->panes.v[0]->end - 1 <= progress) {
        pane *p = op->panes.v[0];
        int rc = emit_pane(op, p, start_of(op, p->end), p->end, err);
        if (rc) return rc;
        panes_drop(op, 1);
    }
    return 0;
}

static int fire_sessions(wagg_op *op, int64_t progress, wr_error *err)
{
    wr_batch *out = op->out;
    int64_t starts[WR_BATCH_CAPACITY], ends[WR_BATCH_CAPACITY];
    uint32_t ids[WR_BATCH_CAPACITY];
    wr_agg_states tmp = {op->tmp_rows, op->stride, &op->sheap};
    for (;;) {
        int n = 0;
        for (fires_clean(op); n < out->capacity && n < WR_BATCH_CAPACITY && op->fires.n;
             fires_clean(op)) {
            const sfire *top = &op->fires.v[0];
            if (top->end - 1 > progress) break;
            uint32_t s = top->s;
            fires_pop(op);
            const session *x = &op->sess[s];
            /* The states of the sessions emitted together are made contiguous for final. */
            memcpy(op->tmp_rows + (size_t)n * op->stride, session_state(op, s), op->stride);
            starts[n] = x->start;
            ends[n] = x->end;
            ids[n] = s;
            session_kill(op, s); /* stays readable until compaction */
            n++;
        }
        if (n == 0) break;
        if (wr_op_cancelled(op->base.ctx))
            return wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
        wr_batch_reset(out);
        for (int i = 0; i < n; i++) {
            const skey *sk = &op->skeys[op->sess[ids[i]].key];
            decode_key(op, op->skdata + sk->key.off, out, i);
        }
        for (int c = 0; c < op->naggs; c++) {
            int rc = wr_agg_acc_final(&op->accs[c], &tmp, 0, n, out, op->spec->ngroups + c, 0, err);
            if (rc) return rc;
        }
        put_window(op, out, 0, n, starts, ends, 0, 0);
        out->count = n;
        int rc = wr_op_emit(op->base.ctx, out, err);
        if (rc) return rc;
    }
    uint32_t dead = op->nsess - op->nlive;
    if (dead > 4096 && dead > op->nlive) return sessions_compact(op, err);
    if (op->nlive == 0 && op->nsess > 0) { /* nothing live: start over cheaply */
        op->nsess = op->nkeys = 0;
        op->sklen = 0;
        op->fires.n = 0;
        if (op->kslots) memset(op->kslots, 0, ((size_t)op->kmask + 1) * sizeof(uint64_t));
        wr_arena_reset(&op->sheap);
    }
    return 0;
}

/* Fires every window that ends at or before progress + 1. */
static int fire(wagg_op *op, int64_t progress, wr_error *err)
{
    if (progress > op->progress) op->progress = progress;
    if (op->session) return fire_sessions(op, progress, err);
    if (op->sliced) return fire_sliced(op, progress, err);
    return fire_windows(op, progress, err);
}

/* When the next window fires (ms; INT64_MAX: none), for processing-time timers. */
static int64_t next_fire(wagg_op *op)
{
    int64_t e = INT64_MAX;
    if (op->session) {
        fires_clean(op);
        if (op->fires.n) e = op->fires.v[0].end;
    } else if (op->sliced) {
        e = sliced_next(op);
    } else if (op->panes.n) {
        e = op->panes.v[0]->end;
    }
    return e == INT64_MAX ? e : e - 1;
}

/* ---- checkpoints ----------------------------------------------------------------------- */

/*
 * One part per key group holding state:
 *   u32 magic "WAG1", u32 window kind, u32 sliced, u64 progress (the watermark or processing
 *   time up to which windows fired), u32 number of calls, u32 state size per call
 *   records to the end of the part:
 *     u64 a, u64 b      pane: a = its end (slice or window), b = 0; session: start, end
 *     u32 length, key   the group columns' row codec bytes
 *     per call          wr_agg_acc_save
 *     per DISTINCT call u32 count, then count times u32 length and the value's bytes
 *   u64 XXH3-64 (wr_hash_bytes) of every byte before it
 */
static void put_header(const wagg_op *op, wr_buf *b)
{
    wr_buf_put_u32(b, SNAPSHOT_MAGIC);
    wr_buf_put_u32(b, (uint32_t)op->spec->w.kind);
    wr_buf_put_u32(b, op->sliced);
    wr_buf_put_u64(b, (uint64_t)op->progress);
    wr_buf_put_u32(b, (uint32_t)op->naggs);
    for (int c = 0; c < op->naggs; c++) wr_buf_put_u32(b, op->accs[c].size);
}

/* The part of the key group of a key's hash, made on first use (parts[kg]: its index + 1). */
static wr_buf *part_of(const wagg_op *op, int *parts, uint64_t hash, wr_snapshot *out)
{
    int kg = wr_keygroup_of_hash(hash, op->base.ctx->max_parallelism);
    if (parts[kg] == 0) {
        put_header(op, wr_snapshot_add(out, kg));
        parts[kg] = out->nparts; /* out->parts moves as parts are added: keep the index */
    }
    return &out->parts[parts[kg] - 1].data;
}

static void put_key_states(const wagg_op *op, wr_buf *b, const uint8_t *key, uint32_t len,
                           const uint8_t *states)
{
    wr_buf_put_u32(b, len);
    wr_buf_append(b, key, len);
    for (int c = 0; c < op->naggs; c++)
        wr_agg_acc_save(&op->accs[c], states + op->accs[c].offset, b);
}

/* The entries of a DISTINCT set grouped by row: rows' entries at order[first[r]..first[r+1]). */
static void dset_by_row(const dset *set, uint32_t nrows, uint32_t **first, const dentry ***order)
{
    uint32_t *f = wr_calloc((size_t)nrows + 2, sizeof(uint32_t));
    const dentry **o = wr_malloc(sizeof(dentry *) * (size_t)WR_MAX(set->count, 1));
    uint32_t cap = set->slots ? set->mask + 1 : 0;
    for (uint32_t i = 0; i < cap; i++)
        if (set->slots[i].row1) f[set->slots[i].row1 + 1]++;
    for (uint32_t r = 0; r < nrows + 1; r++) f[r + 1] += f[r];
    for (uint32_t i = 0; i < cap; i++)
        if (set->slots[i].row1) o[f[set->slots[i].row1]++] = &set->slots[i];
    /* Each row's counter moved from its start to its end, which is the next row's start. */
    *first = f;
    *order = o;
}

static int wagg_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    wagg_op *op = (wagg_op *)base;
    int *parts = wr_calloc((size_t)base->ctx->max_parallelism, sizeof(int));
    if (op->session) {
        for (uint32_t k = 0; k < op->nkeys; k++) {
            const skey *sk = &op->skeys[k];
            if (sk->live == 0) continue;
            wr_buf *b = part_of(op, parts, sk->hash, out);
            for (uint32_t s = sk->head; s != NONE; s = op->sess[s].next) {
                wr_buf_put_u64(b, (uint64_t)op->sess[s].start);
                wr_buf_put_u64(b, (uint64_t)op->sess[s].end);
                put_key_states(op, b, op->skdata + sk->key.off, sk->key.len, session_state(op, s));
            }
        }
    }
    for (int i = 0; i < op->panes.n; i++) {
        const pane *p = op->panes.v[i];
        uint32_t **firsts = op->distinct ? wr_calloc((size_t)op->naggs, sizeof(uint32_t *)) : NULL;
        const dentry ***orders =
            op->distinct ? wr_calloc((size_t)op->naggs, sizeof(const dentry **)) : NULL;
        for (int c = 0; op->distinct && c < op->naggs; c++)
            if (op->accs[c].distinct) dset_by_row(&p->dsets[c], p->nrows, &firsts[c], &orders[c]);
        for (uint32_t r = 0; r < p->nrows; r++) {
            wr_buf *b = part_of(op, parts, p->hashes[r], out);
            wr_buf_put_u64(b, (uint64_t)p->end);
            wr_buf_put_u64(b, 0);
            put_key_states(op, b, p->kdata + p->keys[r].off, p->keys[r].len,
                           p->st.rows + (size_t)r * p->st.stride);
            for (int c = 0; op->distinct && c < op->naggs; c++) {
                if (!op->accs[c].distinct) continue;
                uint32_t from = firsts[c][r], to = firsts[c][r + 1];
                wr_buf_put_u32(b, to - from);
                for (uint32_t j = from; j < to; j++) {
                    const dentry *e = orders[c][j];
                    wr_buf_put_u32(b, e->len);
                    wr_buf_append(b, dentry_bytes(e), e->len);
                }
            }
        }
        for (int c = 0; op->distinct && c < op->naggs; c++) {
            wr_free(firsts[c]);
            wr_free(orders[c]);
        }
        wr_free(firsts);
        wr_free(orders);
    }
    /* Parts are written interleaved; each gets its checksum once complete. */
    for (int kg = 0; kg < base->ctx->max_parallelism; kg++) {
        if (parts[kg] == 0) continue;
        wr_buf *b = &out->parts[parts[kg] - 1].data;
        wr_buf_put_u64(b, wr_hash_bytes(b->data, b->len));
    }
    wr_free(parts);
    return 0;
}

/* Restores one key group's part; WR_ERR_IO when its bytes are not such a part. */
static int restore_part(wagg_op *op, const wr_snapshot_part *part, wr_error *err)
{
    wr_buf_reader r;
    int rc = wr_snapshot_part_open(part, &r, err);
    if (rc) return rc;
    bool ok = wr_buf_get_u32(&r) == SNAPSHOT_MAGIC;
    ok = ok && wr_buf_get_u32(&r) == (uint32_t)op->spec->w.kind;
    ok = ok && wr_buf_get_u32(&r) == (uint32_t)op->sliced;
    int64_t progress = (int64_t)wr_buf_get_u64(&r);
    ok = ok && wr_buf_get_u32(&r) == (uint32_t)op->naggs;
    for (int c = 0; ok && c < op->naggs; c++) ok = wr_buf_get_u32(&r) == op->accs[c].size;
    if (!ok || r.bad)
        return wr_error_set(err, WR_ERR_IO,
                            "not the state of this window aggregation (header differs)");
    /* Every instance saw the same watermarks before the barrier: any part's progress is the
     * one to go on from, so windows that fired before the checkpoint do not fire again. */
    if (progress > op->progress) op->progress = progress;
    while (r.left > 0) {
        int64_t a = (int64_t)wr_buf_get_u64(&r), b = (int64_t)wr_buf_get_u64(&r);
        uint32_t len = wr_buf_get_u32(&r);
        const uint8_t *key = r.bad ? NULL : wr_buf_take(&r, len);
        if (key == NULL || !key_valid(op, key, len))
            return wr_error_set(err, WR_ERR_IO, "a key is truncated or malformed");
        uint64_t hash = wr_hash_bytes(key, len);
        if (wr_keygroup_of_hash(hash, op->base.ctx->max_parallelism) != part->keygroup)
            return wr_error_set(err, WR_ERR_IO, "a key does not belong to the part's key group");
        uint8_t *states;
        wr_arena *heap;
        pane *p = NULL;
        uint32_t row = 0;
        if (op->session) {
            if (a >= b) return wr_error_set(err, WR_ERR_IO, "a session ends before it starts");
            skeys_reserve(op, 1);
            uint32_t k = skey_get(op, key, len, hash);
            uint32_t s = session_new(op, k, a, b);
            states = session_state(op, s);
            heap = &op->sheap;
        } else {
            p = pane_get(op, a);
            pane_reserve(p, 1);
            bool added;
            row = pane_row(p, key, len, hash, &added);
            if (!added) return wr_error_set(err, WR_ERR_IO, "a key appears twice in one window");
            states = p->st.rows + (size_t)row * p->st.stride;
            heap = &p->heap;
        }
        for (int c = 0; c < op->naggs; c++) {
            const wr_agg_acc *acc = &op->accs[c];
            rc = wr_agg_acc_load(acc, states + acc->offset, &r, heap, err);
            if (rc) return rc;
        }
        for (int c = 0; p && op->distinct && c < op->naggs; c++) {
            if (!op->accs[c].distinct) continue;
            uint32_t count = wr_buf_get_u32(&r);
            if (r.bad || count > r.left / 4)
                return wr_error_set(err, WR_ERR_IO, "a DISTINCT set is truncated");
            dset_reserve(&p->dsets[c], count);
            for (uint32_t j = 0; j < count; j++) {
                uint32_t vlen = wr_buf_get_u32(&r);
                const void *v = r.bad ? NULL : wr_buf_take(&r, vlen);
                if (v == NULL) return wr_error_set(err, WR_ERR_IO, "a DISTINCT value is truncated");
                dset_add(&p->dsets[c], &p->heap, row, v, vlen);
            }
        }
    }
    return 0;
}

static int wagg_restore(wagg_op *op, const wr_restore *restore, wr_error *err)
{
    for (int i = 0; i < restore->nparts; i++) {
        const wr_snapshot_part *part = restore->parts[i];
        /* Only this instance's key groups (the runtime hands no others; a test may). */
        if (part->keygroup < op->kg_first || part->keygroup > op->kg_last) continue;
        int rc = restore_part(op, part, err);
        if (rc) {
            wr_error_prefix(err, "window aggregation: restoring key group %d of checkpoint %lld: ",
                            part->keygroup, (long long)restore->checkpoint);
            return rc;
        }
    }
    if (op->sliced) pass_windows(op, op->progress);
    return 0;
}

/* ---- the operator ---------------------------------------------------------------------- */

static void wagg_destroy(wr_operator *base)
{
    wagg_op *op = (wagg_op *)base;
    for (int i = 0; i < op->panes.n; i++) pane_free(op, op->panes.v[i]);
    for (int i = 0; i < op->spare.n; i++) pane_free(op, op->spare.v[i]);
    WR_VEC_FREE(&op->panes);
    WR_VEC_FREE(&op->spare);
    pane_free(op, op->merged);
    wr_free(op->sess);
    wr_free(op->sst.rows);
    wr_arena_fini(&op->sheap);
    wr_free(op->skeys);
    wr_free(op->kslots);
    wr_free(op->skdata);
    WR_VEC_FREE(&op->fires);
    wr_free(op->tmp_rows);
    uint32_t *u32s[] = {op->ident, op->grows,   op->ggroups, op->frows, op->fgroups,
                        op->drows, op->dgroups, op->eoff,    op->elen};
    for (size_t i = 0; i < WR_ARRAY_LEN(u32s); i++) wr_free(u32s[i]);
    wr_free(op->hash);
    wr_free(op->ts);
    wr_free(op->tsok);
    wr_buf_fini(&op->enc);
    wr_free(op->pairs);
    wr_free(op->sorted);
    wr_batch_free(op->out);
    wr_free(op->out_types);
    wr_free(op->accs);
    wr_free(op);
}

/* Whether a call's slices may be merged in any order into its windows' results. */
static bool slice_mergeable(const wr_agg_acc *acc)
{
    if (acc->distinct) return false;
    switch (acc->kind) {
    case WR_AGG_FIRST_VALUE:
    case WR_AGG_LAST_VALUE:
    case WR_AGG_LISTAGG:
    case WR_AGG_ARRAY_AGG:
        return false;
    case WR_AGG_USER:
        return acc->user->merge != NULL;
    default:
        return true;
    }
}

static wr_operator *wagg_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const wagg_spec *spec = p;
    const wr_window_def *w = &spec->w;
    if (wr_window_check_input(spec->in_types, spec->nin, w, "window aggregation", err)) return NULL;
    wagg_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_window_agg_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->naggs = spec->naggs;
    op->progress = INT64_MIN;
    op->last_fired = INT64_MIN;
    op->proctime = w->time_col < 0;
    op->session = w->kind == WR_WINDOW_SESSION;
    op->grid = w->kind == WR_WINDOW_TUMBLE ? w->size_ms : w->slide_ms;
    wr_arena_init(&op->sheap, 64 << 10);
    op->sst.heap = &op->sheap;
    for (int k = 0; k < spec->ngroups; k++) {
        if (spec->groups[k] < 0 || spec->groups[k] >= spec->nin) {
            wr_error_set(err, WR_ERR_VALIDATION,
                         "window aggregation groups by column %d of an input with %d columns",
                         spec->groups[k], spec->nin);
            goto fail;
        }
    }
    op->accs = wr_calloc((size_t)WR_MAX(spec->naggs, 1), sizeof(wr_agg_acc));
    bool mergeable = true;
    for (int c = 0; c < spec->naggs; c++) {
        wr_agg_acc *acc = &op->accs[c];
        if (wr_agg_acc_init(acc, &spec->aggs[c], spec->in_types, spec->nin, err)) goto fail;
        if (acc->distinct) op->distinct = true;
        if (!slice_mergeable(acc)) mergeable = false;
        if (op->session && acc->distinct) {
            wr_error_set(err, WR_ERR_VALIDATION,
                         "%s(DISTINCT ...) over SESSION windows is not supported yet",
                         wr_agg_call_name(&spec->aggs[c]));
            goto fail;
        }
        if (op->session && acc->kind == WR_AGG_USER && acc->user->merge == NULL) {
            wr_error_set(err, WR_ERR_VALIDATION,
                         "%s cannot aggregate SESSION windows: sessions merge, and it has no "
                         "merge",
                         wr_agg_call_name(&spec->aggs[c]));
            goto fail;
        }
    }
    op->sliced = mergeable && (w->kind == WR_WINDOW_HOP || w->kind == WR_WINDOW_CUMULATE);
    op->stride = wr_agg_layout(op->accs, spec->naggs);
    if (op->stride == 0) op->stride = 8; /* no calls: rows still mark the keys */
    op->sst.stride = op->stride;
    op->nout = spec->ngroups + spec->naggs + 3;
    op->out_types = wr_malloc(sizeof(wr_type) * (size_t)op->nout);
    wr_window_agg_output_types(spec->in_types, spec->nin, w, spec->groups, spec->ngroups,
                               spec->aggs, spec->naggs, op->out_types);
    op->out = wr_batch_new(op->out_types, op->nout, WR_BATCH_CAPACITY);
    if (op->session) op->tmp_rows = wr_malloc((size_t)WR_BATCH_CAPACITY * op->stride);
    if (op->sliced) op->merged = pane_new(op);
    ensure_scratch(op, WR_BATCH_CAPACITY);
    if (ctx->max_parallelism < ctx->parallelism || ctx->max_parallelism <= 0) {
        wr_error_set(err, WR_ERR_VALIDATION,
                     "window aggregation: the maximum parallelism (%d) must be at least the "
                     "parallelism (%d)",
                     ctx->max_parallelism, ctx->parallelism);
        goto fail;
    }
    wr_keygroup_range(ctx->subtask, ctx->max_parallelism, ctx->parallelism, &op->kg_first,
                      &op->kg_last);
    ctx->timer_at_ms = INT64_MAX;
    if (ctx->restore && wagg_restore(op, ctx->restore, err)) goto fail;
    if (op->proctime) ctx->timer_at_ms = next_fire(op);
    return &op->base;
fail:
    wagg_destroy(&op->base);
    return NULL;
}

static int wagg_process(wr_operator *base, int input, wr_batch *in, wr_error *err)
{
    wagg_op *op = (wagg_op *)base;
    const wr_window_def *w = &op->spec->w;
    int n = wr_batch_rows(in), rc;
    if (n == 0) return 0;
    ensure_scratch(op, in->count);
    const uint32_t *rows = in->sel ? in->sel : op->ident;
    if ((rc = wr_batch_check_inserts(in, "window aggregation", err))) return rc;
    if (op->proctime) {
        int64_t now = wr_clock_wall_ms();
        for (int i = 0; i < n; i++) {
            op->ts[i] = now;
            op->tsok[i] = 1;
        }
    } else {
        const wr_vector *tv = &in->cols[w->time_col];
        const int64_t *t = tv->data;
        for (int i = 0; i < n; i++) {
            op->tsok[i] = !wr_vector_is_null(tv, (int)rows[i]); /* no time: in no window */
            op->ts[i] = wr_window_micros_to_ms(t[rows[i]]);
        }
    }
    encode_keys(op, in, rows, n);
    if (op->session) {
        rc = session_process(op, in, rows, n, err);
    } else {
        /* Each row's slice, or each window of it that has not fired. */
        size_t per =
            op->sliced || w->kind == WR_WINDOW_TUMBLE ? 1 : (size_t)(w->size_ms / op->grid);
        ensure_pairs(op, (size_t)n * per);
        size_t np = 0;
        for (int i = 0; i < n; i++) {
            if (!op->tsok[i]) continue;
            int64_t ts = op->ts[i], last = last_end(op, ts);
            if (last - 1 <= op->progress) {
                op->late++;
                op->base.ctx->late_records_dropped++;
                continue;
            }
            int64_t e = slice_end(op, ts);
            if (op->sliced) {
                op->pairs[np++] = (pair){e, (uint32_t)i, 0};
                continue;
            }
            for (; e <= last; e += op->grid)
                if (e - 1 > op->progress) op->pairs[np++] = (pair){e, (uint32_t)i, 0};
        }
        sort_pairs(op, np);
        rc = update_panes(op, in, rows, np, err);
    }
    if (rc) return rc;
    if (op->proctime) base->ctx->timer_at_ms = next_fire(op);
    return 0;
}

static int wagg_watermark(wr_operator *base, int64_t watermark, wr_error *err)
{
    wagg_op *op = (wagg_op *)base;
    if (!op->proctime) {
        int rc = fire(op, watermark, err);
        if (rc) return rc;
    }
    return wr_op_emit_watermark(base->ctx, watermark, err);
}

static int wagg_on_time(wr_operator *base, int64_t now_ms, wr_error *err)
{
    wagg_op *op = (wagg_op *)base;
    if (!op->proctime) return 0;
    int rc = fire(op, now_ms, err);
    base->ctx->timer_at_ms = next_fire(op);
    return rc;
}

static int wagg_end_input(wr_operator *base, int input, wr_error *err)
{
    wagg_op *op = (wagg_op *)base;
    int rc = fire(op, INT64_MAX, err);
    base->ctx->timer_at_ms = INT64_MAX;
    return rc;
}

/*
 * State bytes: per open pane (a few: the windows in progress) the capacity of its state rows,
 * key hashes, key references, key bytes and key table, and its accumulators' strings; for
 * SESSION windows the capacity of the sessions, their state rows, keys and key table.
 * DISTINCT value sets are not counted.
 */
static size_t wagg_state_bytes(const wr_operator *base)
{
    const wagg_op *op = (const wagg_op *)base;
    size_t bytes = 0;
    for (int i = 0; i < op->panes.n; i++) {
        const pane *p = op->panes.v[i];
        bytes += (size_t)p->cap * (p->st.stride + sizeof(uint64_t) + sizeof(key_ref)) + p->kcap +
                 (p->slots ? ((size_t)p->mask + 1) * sizeof(uint64_t) : 0) +
                 wr_arena_used(&p->heap);
    }
    bytes += (size_t)op->sess_cap * (sizeof(session) + op->stride) +
             (size_t)op->skeys_cap * sizeof(skey) + op->skcap +
             (op->kslots ? ((size_t)op->kmask + 1) * sizeof(uint64_t) : 0) +
             (size_t)op->fires.cap * sizeof(sfire) + wr_arena_used(&op->sheap);
    return bytes;
}

const wr_operator_ops wr_window_agg_ops = {
    .kind = "window_agg",
    .create = wagg_create,
    .process = wagg_process,
    .end_input = wagg_end_input,
    .watermark = wagg_watermark,
    .on_time = wagg_on_time,
    .snapshot = wagg_snapshot,
    .state_bytes = wagg_state_bytes,
    .destroy = wagg_destroy,
};
