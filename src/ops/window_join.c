/*
 * window_join.c — the window join; see window_join.h.
 *
 * State is a list of panes ordered by (window_end, window_start), one per
 * window that has rows and has not fired. A pane keeps each side's rows in a
 * column store (appended column by column from the input batches, so a row
 * costs no allocation of its own) with, per row, its key's row-codec bytes
 * and their hash (wr_hash_bytes, also the key group). A batch's rows are
 * sorted by pane (a counting sort over the few panes one batch touches)
 * before they are appended.
 *
 * Firing a pane is a small batch hash join: a chained table over the right
 * rows' key hashes (arrays head/next, rebuilt per pane), probed by every left
 * row in order; candidate pairs gather column-at-a-time from the two stores
 * into an output batch (strings stay views into the stores), which the
 * residual filters by selection, as the batch join does. Rows without a
 * partner are emitted afterwards, NULL-padded, then the pane is freed.
 */
#include "window_join.h"
#include "colstore.h"
#include "window_agg.h"
#include "../base/alloc.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../state/keygroup.h"
#include "../types/row_codec.h"

#include <string.h>

#define CAP WR_BATCH_CAPACITY
#define NONE UINT32_MAX
#define SNAPSHOT_MAGIC 0x4a575257u /* "WRWJ" */
#define SNAPSHOT_VERSION 1

typedef struct wj_spec {
    wr_join_desc d; /* every array owned; null_safe always set */
    int wcol[2][2]; /* per side: window_start, window_end columns */
} wj_spec;

/* One side's rows of one window. */
typedef struct wside {
    wr_colstore rows;
    WR_VEC(uint64_t) hash; /* per row: the hash of its key */
    WR_VEC(uint32_t) koff; /* per row: where its key starts in keys */
    wr_buf keys;
} wside;

typedef struct wpane {
    int64_t start, end; /* the rows' window_start and window_end (microseconds) */
    int64_t end_ms;
    uint32_t mark; /* scratch: 1 + the pane's index among those of one batch */
    wside side[2];
} wpane;

typedef struct wj_op {
    wr_operator base;
    const wj_spec *spec;
    const wr_join_desc *d;
    int ncols[2];
    const int *keys[2];
    bool semi_like, outer_left, outer_right;
    size_t nflag;     /* bytes of NULL flags that start a key */
    uint8_t *nn_mask; /* per flag byte: keys that are not null-safe (a NULL there matches none) */
    WR_VEC(wpane *) panes;
    int64_t wm; /* the last watermark */
    int64_t late;
    bool ended[2];
    int kg_first, kg_last;
    /* Firing. */
    wr_batch *out;   /* output rows */
    wr_batch *pairs; /* SEMI/ANTI with a residual: left ++ right columns */
    uint32_t cand_l[CAP], cand_r[CAP];
    int ncand;
    WR_VEC(uint32_t) head, next;
    WR_VEC(uint8_t) lhit, rhit;
    /* A batch's rows by pane. */
    wpane *last;
    wpane *touched[CAP];
    uint32_t slot[CAP], count[CAP + 1], sorted[CAP];
    wr_batch *scratch[2]; /* checkpoints: one side's rows decoded or gathered */
    int *all[2];          /* per side: 0 .. ncols - 1 */
} wj_op;

/* ---- spec ------------------------------------------------------------------------- */

static void spec_free(void *p)
{
    wj_spec *spec = p;
    wr_free((void *)spec->d.left_types);
    wr_free((void *)spec->d.right_types);
    wr_free((void *)spec->d.left_keys);
    wr_free((void *)spec->d.right_keys);
    wr_free((void *)spec->d.null_safe);
    wr_expr_free(spec->d.residual);
    wr_free(spec);
}

wr_operator_spec wr_window_join_spec(const wr_join_desc *d, int left_wstart, int left_wend,
                                     int right_wstart, int right_wend)
{
    wj_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->d = *d;
    spec->d.shared_build = false;
    spec->d.left_types = wr_memdup_array(d->left_types, d->nleft, sizeof(wr_type));
    spec->d.right_types = wr_memdup_array(d->right_types, d->nright, sizeof(wr_type));
    spec->d.left_keys = wr_memdup_array(d->left_keys, d->nkeys, sizeof(int));
    spec->d.right_keys = wr_memdup_array(d->right_keys, d->nkeys, sizeof(int));
    bool *null_safe = wr_calloc((size_t)(d->nkeys > 0 ? d->nkeys : 1), sizeof(bool));
    if (d->null_safe && d->nkeys > 0)
        memcpy(null_safe, d->null_safe, (size_t)d->nkeys * sizeof(bool));
    spec->d.null_safe = null_safe;
    spec->wcol[0][0] = left_wstart;
    spec->wcol[0][1] = left_wend;
    spec->wcol[1][0] = right_wstart;
    spec->wcol[1][1] = right_wend;
    wr_operator_spec out = {&wr_window_join_ops, spec, spec_free, -1, false};
    return out;
}

int64_t wr_window_join_late_rows(const wr_operator *base)
{
    return ((const wj_op *)base)->late;
}

/* ---- panes ---------------------------------------------------------------------------- */

static const char *side_name(int s)
{
    return s == 0 ? "left" : "right";
}

static const wr_type *side_types(const wj_op *op, int s)
{
    return s == 0 ? op->d->left_types : op->d->right_types;
}

static wpane *pane_new(const wj_op *op, int64_t start, int64_t end)
{
    wpane *p = wr_calloc(1, sizeof(*p));
    p->start = start;
    p->end = end;
    p->end_ms = wr_window_micros_to_ms(end);
    for (int s = 0; s < 2; s++) {
        wr_colstore_init(&p->side[s].rows, side_types(op, s), op->ncols[s]);
        wr_buf_init(&p->side[s].keys);
    }
    return p;
}

static void pane_free(wpane *p)
{
    if (p == NULL) return;
    for (int s = 0; s < 2; s++) {
        wr_colstore_fini(&p->side[s].rows);
        WR_VEC_FREE(&p->side[s].hash);
        WR_VEC_FREE(&p->side[s].koff);
        wr_buf_fini(&p->side[s].keys);
    }
    wr_free(p);
}

/* Whether window (end, start) orders before pane p's. */
static inline bool before(int64_t end, int64_t start, const wpane *p)
{
    return end < p->end || (end == p->end && start < p->start);
}

/* The pane of window [start, end), made when there is none. */
static wpane *pane_get(wj_op *op, int64_t start, int64_t end)
{
    wpane *last = op->last;
    if (last && last->start == start && last->end == end) return last;
    int lo = 0, hi = op->panes.n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (before(end, start, op->panes.v[mid]))
            hi = mid;
        else
            lo = mid + 1;
    }
    /* lo: the first pane after (end, start); the one before it may be it. */
    if (lo > 0 && op->panes.v[lo - 1]->start == start && op->panes.v[lo - 1]->end == end)
        return op->last = op->panes.v[lo - 1];
    WR_VEC_GROW(&op->panes, op->panes.n + 1);
    memmove(op->panes.v + lo + 1, op->panes.v + lo, (size_t)(op->panes.n - lo) * sizeof(wpane *));
    op->panes.v[lo] = pane_new(op, start, end);
    op->panes.n++;
    return op->last = op->panes.v[lo];
}

/* Appends rows[0..n) of batch (side s) to pane p with their keys. */
static int pane_append(wj_op *op, wpane *p, int s, const wr_batch *batch, const uint32_t *rows,
                       int n, wr_error *err)
{
    wside *ws = &p->side[s];
    int rc = wr_colstore_append(&ws->rows, batch, rows, n, "window join", err);
    if (rc) return rc;
    WR_VEC_GROW(&ws->hash, ws->hash.n + n);
    WR_VEC_GROW(&ws->koff, ws->koff.n + n + 1); /* the one past the last: the end, for now */
    uint32_t *off = ws->koff.v + ws->koff.n;
    wr_row_encode_rows(batch, rows, n, op->keys[s], op->d->nkeys, &ws->keys, off);
    if (ws->keys.len >= UINT32_MAX) /* offsets past 4 GB would wrap */
        return wr_error_set(err, WR_ERR_RUNTIME,
                            "window join: a window holds more than 4 GB of keys");
    for (int i = 0; i < n; i++)
        ws->hash.v[ws->hash.n++] = wr_hash_bytes(ws->keys.data + off[i], off[i + 1] - off[i]);
    ws->koff.n += n;
    return 0;
}

static inline const uint8_t *key_at(const wside *ws, uint32_t r, uint32_t *len)
{
    uint32_t end = r + 1 < (uint32_t)ws->koff.n ? ws->koff.v[r + 1] : (uint32_t)ws->keys.len;
    *len = end - ws->koff.v[r];
    return (const uint8_t *)ws->keys.data + ws->koff.v[r];
}

/* Whether a key can match: no NULL where a key is not null-safe. */
static inline bool matchable(const wj_op *op, const uint8_t *key)
{
    for (size_t j = 0; j < op->nflag; j++)
        if (key[j] & op->nn_mask[j]) return false;
    return true;
}

/*
 * Takes rows[0..n) (n <= CAP) of a batch of side s into their panes. Rows of
 * windows that fired are late (dropped and counted) unless restoring, which
 * brings back what a checkpoint held.
 */
static int take(wj_op *op, int s, const wr_batch *batch, const uint32_t *rows, int n,
                bool restoring, wr_error *err)
{
    const wr_vector *vs = &batch->cols[op->spec->wcol[s][0]];
    const wr_vector *ve = &batch->cols[op->spec->wcol[s][1]];
    int nt = 0, m = 0, rc = 0;
    for (int i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (wr_vector_is_null(vs, (int)r) || wr_vector_is_null(ve, (int)r)) {
            rc = wr_error_set(err, restoring ? WR_ERR_IO : WR_ERR_RUNTIME,
                              "window join: a %s row without window_start or window_end",
                              side_name(s));
            break;
        }
        int64_t start = ((const int64_t *)vs->data)[r], end = ((const int64_t *)ve->data)[r];
        if (!restoring && wr_window_micros_to_ms(end) - 1 <= op->wm) {
            op->late++;
            op->base.ctx->late_records_dropped++;
            continue;
        }
        wpane *p = pane_get(op, start, end);
        if (p->mark == 0) {
            op->touched[nt++] = p;
            p->mark = (uint32_t)nt;
        }
        op->slot[m] = p->mark - 1;
        op->sorted[m++] = r; /* kept rows, sorted by pane below */
    }
    /* Counting sort of the kept rows by pane, stable. */
    uint32_t kept[CAP];
    memcpy(kept, op->sorted, (size_t)m * sizeof(uint32_t));
    memset(op->count, 0, (size_t)(nt + 1) * sizeof(uint32_t));
    for (int i = 0; i < m; i++) op->count[op->slot[i] + 1]++;
    for (int t = 0; t < nt; t++) op->count[t + 1] += op->count[t];
    uint32_t at[CAP];
    memcpy(at, op->count, (size_t)nt * sizeof(uint32_t));
    for (int i = 0; i < m; i++) op->sorted[at[op->slot[i]]++] = kept[i];
    for (int t = 0; t < nt; t++) {
        wpane *p = op->touched[t];
        p->mark = 0;
        if (rc == 0)
            rc = pane_append(op, p, s, batch, op->sorted + op->count[t],
                             (int)(op->count[t + 1] - op->count[t]), err);
    }
    return rc;
}

/* ---- firing --------------------------------------------------------------------------- */

/* Sets out's column col to NULL in rows 0..n-1. */
static void null_column(wr_batch *out, int col, int n)
{
    uint64_t *v = wr_batch_validity(out, col);
    memset(v, 0, ((size_t)n + 63) / 64 * sizeof(uint64_t));
}

/*
 * Gathers the candidate pairs into a batch, filters them by the residual,
 * marks which rows have a partner and, unless the join reports left rows
 * only, emits the pairs that passed.
 */
static int flush_pairs(wj_op *op, const wpane *p, wr_error *err)
{
    const wr_join_desc *d = op->d;
    int n = op->ncand;
    op->ncand = 0;
    if (n == 0) return 0;
    wr_batch *pb = op->semi_like ? op->pairs : op->out;
    wr_batch_reset(pb);
    for (int c = 0; c < d->nleft; c++)
        wr_colstore_gather(&p->side[0].rows, c, op->cand_l, n, pb, c);
    for (int c = 0; c < d->nright; c++)
        wr_colstore_gather(&p->side[1].rows, c, op->cand_r, n, pb, d->nleft + c);
    pb->count = n;
    const uint32_t *pass = NULL;
    int npass = n;
    if (d->residual) {
        wr_eval ev = {&pb->arena, pb->count};
        uint32_t *sel = wr_batch_sel_buffer(pb);
        int rc = wr_expr_filter(&ev, d->residual, pb, NULL, n, sel, &npass, err);
        if (rc) return rc;
        pass = sel;
        if (npass < n) {
            pb->sel = sel;
            pb->nsel = npass;
        }
    }
    for (int i = 0; i < npass; i++) {
        uint32_t k = pass ? pass[i] : (uint32_t)i;
        op->lhit.v[op->cand_l[k]] = 1;
        op->rhit.v[op->cand_r[k]] = 1;
    }
    return op->semi_like ? 0 : wr_op_emit(op->base.ctx, pb, err);
}

/* Emits side s's rows whose hit flag equals want, the other side NULL (or absent). */
static int emit_alone(wj_op *op, const wpane *p, int s, const uint8_t *hit, uint8_t want,
                      wr_error *err)
{
    const wr_join_desc *d = op->d;
    const wside *ws = &p->side[s];
    wr_batch *out = op->out;
    uint32_t n = ws->rows.n;
    int first = s == 0 ? 0 : d->nleft, ncols = op->ncols[s];
    for (uint32_t r = 0; r < n;) {
        int m = 0;
        for (; r < n && m < CAP; r++)
            if (hit[r] == want) op->cand_l[m++] = r;
        if (m == 0) break;
        wr_batch_reset(out);
        for (int c = 0; c < ncols; c++)
            wr_colstore_gather(&ws->rows, c, op->cand_l, m, out, first + c);
        if (!op->semi_like) {
            int ofirst = s == 0 ? d->nleft : 0, oncols = op->ncols[1 - s];
            for (int c = 0; c < oncols; c++) null_column(out, ofirst + c, m);
        }
        out->count = m;
        int rc = wr_op_emit(op->base.ctx, out, err);
        if (rc) return rc;
    }
    return 0;
}

/* Joins the rows of one window and emits the result. */
static int join_pane(wj_op *op, const wpane *p, wr_error *err)
{
    const wr_join_desc *d = op->d;
    const wside *L = &p->side[0], *R = &p->side[1];
    uint32_t nl = L->rows.n, nr = R->rows.n;
    WR_VEC_GROW(&op->lhit, (int)nl + 1);
    WR_VEC_GROW(&op->rhit, (int)nr + 1);
    memset(op->lhit.v, 0, nl);
    memset(op->rhit.v, 0, nr);
    op->ncand = 0;
    int rc = 0;
    if (nl > 0 && nr > 0) {
        uint32_t nb = 16;
        while (nb < 2 * nr) nb *= 2;
        WR_VEC_GROW(&op->head, (int)nb);
        WR_VEC_GROW(&op->next, (int)nr);
        memset(op->head.v, 0xff, nb * sizeof(uint32_t));
        /* Built from the last row back, so a chain lists rows in arrival order. */
        for (uint32_t r = nr; r-- > 0;) {
            uint32_t len;
            if (!matchable(op, key_at(R, r, &len))) continue;
            uint32_t b = (uint32_t)R->hash.v[r] & (nb - 1);
            op->next.v[r] = op->head.v[b];
            op->head.v[b] = r;
        }
        /* SEMI/ANTI without a residual only need to know that a partner exists. */
        bool need_pairs = !op->semi_like || d->residual;
        /* Left rows go in chunks: over a large window every probe misses the cache twice (the
         * bucket, then the row it names), so a chunk's misses are announced together. */
        enum { PROBE = 256 };
        uint32_t first[PROBE];
        uint32_t mask = nb - 1;
        for (uint32_t l0 = 0; l0 < nl && rc == 0; l0 += PROBE) {
            uint32_t n = WR_MIN((uint32_t)PROBE, nl - l0);
            for (uint32_t i = 0; i < n; i++)
                __builtin_prefetch(&op->head.v[(uint32_t)L->hash.v[l0 + i] & mask]);
            for (uint32_t i = 0; i < n; i++) {
                first[i] = op->head.v[(uint32_t)L->hash.v[l0 + i] & mask];
                if (first[i] != NONE) {
                    __builtin_prefetch(&R->hash.v[first[i]]);
                    __builtin_prefetch(&R->koff.v[first[i]]);
                }
            }
            for (uint32_t i = 0; i < n && rc == 0; i++) {
                uint32_t l = l0 + i, llen;
                const uint8_t *lkey = key_at(L, l, &llen);
                if (!matchable(op, lkey)) continue;
                uint64_t h = L->hash.v[l];
                for (uint32_t r = first[i]; r != NONE; r = op->next.v[r]) {
                    uint32_t rlen;
                    const uint8_t *rkey = key_at(R, r, &rlen);
                    if (R->hash.v[r] != h || rlen != llen || memcmp(rkey, lkey, llen) != 0)
                        continue;
                    if (!need_pairs) {
                        op->lhit.v[l] = 1;
                        break;
                    }
                    op->cand_l[op->ncand] = l;
                    op->cand_r[op->ncand++] = r;
                    if (op->ncand == CAP) {
                        rc = flush_pairs(op, p, err);
                        if (rc) break;
                    }
                }
            }
        }
        if (rc == 0) rc = flush_pairs(op, p, err);
    }
    if (rc == 0 && (op->outer_left || op->semi_like))
        rc = emit_alone(op, p, 0, op->lhit.v, d->type == WR_JOIN_TYPE_SEMI ? 1 : 0, err);
    if (rc == 0 && op->outer_right) rc = emit_alone(op, p, 1, op->rhit.v, 0, err);
    return rc;
}

/* Fires (joins, emits and frees) every window whose end - 1 the watermark w reached. */
static int fire(wj_op *op, int64_t w, wr_error *err)
{
    int fired = 0, rc = 0;
    while (fired < op->panes.n && op->panes.v[fired]->end_ms - 1 <= w) {
        if (wr_op_cancelled(op->base.ctx)) {
            rc = wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
            break;
        }
        rc = join_pane(op, op->panes.v[fired], err);
        pane_free(op->panes.v[fired++]);
        if (rc) break;
    }
    if (fired == 0) return rc;
    memmove(op->panes.v, op->panes.v + fired, (size_t)(op->panes.n - fired) * sizeof(wpane *));
    op->panes.n -= fired;
    op->last = NULL;
    return rc;
}

/* ---- the operator ------------------------------------------------------------------ */

static int wj_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    wj_op *op = (wj_op *)base;
    if (input != 0 && input != 1)
        return wr_error_set(err, WR_ERR_ARGUMENT, "window join: no input %d (0 left, 1 right)",
                            input);
    if (batch->ncols != op->ncols[input])
        return wr_error_set(err, WR_ERR_ARGUMENT,
                            "window join: a batch of %d columns on the %s input, which has %d",
                            batch->ncols, side_name(input), op->ncols[input]);
    int rc = wr_batch_check_inserts(batch, "window join", err);
    int n = wr_batch_rows(batch);
    for (int start = 0; rc == 0 && start < n; start += CAP) {
        int m = WR_MIN(n - start, CAP);
        uint32_t rows[CAP];
        for (int i = 0; i < m; i++) rows[i] = (uint32_t)wr_batch_row(batch, start + i);
        rc = take(op, input, batch, rows, m, false, err);
    }
    return rc;
}

static int wj_watermark(wr_operator *base, int64_t watermark, wr_error *err)
{
    wj_op *op = (wj_op *)base;
    if (watermark > op->wm) {
        op->wm = watermark;
        int rc = fire(op, watermark, err);
        if (rc) return rc;
    }
    return wr_op_emit_watermark(base->ctx, watermark, err);
}

static int wj_end_input(wr_operator *base, int input, wr_error *err)
{
    wj_op *op = (wj_op *)base;
    if (input == 0 || input == 1) op->ended[input] = true;
    return op->ended[0] && op->ended[1] ? fire(op, INT64_MAX, err) : 0;
}

/* ---- checkpoints ------------------------------------------------------------------- */

/*
 * Part layout (docs/checkpoints.md): a header describing the join (checked
 * against the restoring one), the watermark, one record per row (its side and
 * its row-codec bytes, window columns included), the XXH3 of all before it.
 */
static void put_header(const wj_op *op, wr_buf *b)
{
    const wr_join_desc *d = op->d;
    wr_buf_put_u32(b, SNAPSHOT_MAGIC);
    wr_buf_put_u32(b, SNAPSHOT_VERSION);
    wr_buf_put_u32(b, (uint32_t)d->type);
    for (int s = 0; s < 2; s++) {
        wr_buf_put_u32(b, (uint32_t)op->ncols[s]);
        for (int c = 0; c < op->ncols[s]; c++) wr_buf_put_u32(b, (uint32_t)side_types(op, s)[c].id);
        wr_buf_put_u32(b, (uint32_t)op->spec->wcol[s][0]);
        wr_buf_put_u32(b, (uint32_t)op->spec->wcol[s][1]);
    }
    wr_buf_put_u32(b, (uint32_t)d->nkeys);
    for (int k = 0; k < d->nkeys; k++) {
        wr_buf_put_u32(b, (uint32_t)d->left_keys[k]);
        wr_buf_put_u32(b, (uint32_t)d->right_keys[k]);
        wr_buf_put_u32(b, (uint32_t)d->null_safe[k]);
    }
}

static int wj_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    wj_op *op = (wj_op *)base;
    int maxp = base->ctx->max_parallelism;
    int *idx = wr_calloc((size_t)maxp, sizeof(int)); /* part index + 1 per key group */
    wr_buf row;
    wr_buf_init(&row);
    for (int i = 0; i < op->panes.n; i++) {
        const wpane *p = op->panes.v[i];
        for (int s = 0; s < 2; s++) {
            const wside *ws = &p->side[s];
            wr_batch *sb = op->scratch[s];
            for (uint32_t r0 = 0; r0 < ws->rows.n; r0 += CAP) {
                int m = (int)WR_MIN((uint32_t)CAP, ws->rows.n - r0);
                uint32_t ids[CAP];
                for (int j = 0; j < m; j++) ids[j] = r0 + (uint32_t)j;
                wr_batch_reset(sb);
                for (int c = 0; c < op->ncols[s]; c++)
                    wr_colstore_gather(&ws->rows, c, ids, m, sb, c);
                sb->count = m;
                for (int j = 0; j < m; j++) {
                    int kg = wr_keygroup_of_hash(ws->hash.v[r0 + (uint32_t)j], maxp);
                    if (idx[kg] == 0) {
                        idx[kg] = out->nparts + 1;
                        wr_buf *b = wr_snapshot_add(out, kg);
                        put_header(op, b);
                        wr_buf_put_u64(b, (uint64_t)op->wm);
                    }
                    /* Adding a part may move the others: look the buffer up each time. */
                    wr_buf *b = &out->parts[idx[kg] - 1].data;
                    wr_buf_reset(&row);
                    wr_row_encode(sb, j, op->all[s], op->ncols[s], &row);
                    wr_buf_put_u32(b, (uint32_t)s);
                    wr_buf_put_u32(b, (uint32_t)row.len);
                    wr_buf_append(b, row.data, row.len);
                }
            }
        }
    }
    for (int kg = 0; kg < maxp; kg++) {
        if (idx[kg] == 0) continue;
        wr_buf *b = &out->parts[idx[kg] - 1].data;
        wr_buf_put_u64(b, wr_hash_bytes(b->data, b->len));
    }
    wr_buf_fini(&row);
    wr_free(idx);
    return 0;
}

/* Takes the rows decoded into side s's scratch batch, checking their key group. */
static int restore_rows(wj_op *op, int s, int kg, wr_error *err)
{
    wr_batch *sb = op->scratch[s];
    if (sb->count == 0) return 0;
    uint32_t rows[CAP];
    wr_buf key;
    wr_buf_init(&key);
    int rc = 0;
    for (int i = 0; i < sb->count && rc == 0; i++) {
        rows[i] = (uint32_t)i;
        wr_buf_reset(&key);
        wr_row_encode(sb, i, op->keys[s], op->d->nkeys, &key);
        if (wr_keygroup_of_hash(wr_hash_bytes(key.data, key.len), op->base.ctx->max_parallelism) !=
            kg)
            rc = wr_error_set(err, WR_ERR_IO, "a %s row does not belong to the key group",
                              side_name(s));
    }
    wr_buf_fini(&key);
    if (rc == 0) rc = take(op, s, sb, rows, sb->count, true, err);
    wr_batch_reset(sb);
    return rc;
}

static int restore_part(wj_op *op, const wr_snapshot_part *sp, wr_error *err)
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
        return wr_error_set(err, WR_ERR_IO, "not the state of this window join (header differs)");
    /* Every instance saw the same watermarks before the barrier. */
    int64_t wm = (int64_t)wr_buf_get_u64(&r);
    if (wm > op->wm) op->wm = wm;
    while (rc == 0 && r.left > 0) {
        uint32_t s = wr_buf_get_u32(&r), len = wr_buf_get_u32(&r);
        const uint8_t *bytes = r.bad ? NULL : wr_buf_take(&r, len);
        if (bytes == NULL || s > 1)
            return wr_error_set(err, WR_ERR_IO, "a row is truncated or malformed");
        wr_batch *sb = op->scratch[s];
        if (sb->count == sb->capacity) rc = restore_rows(op, (int)s, sp->keygroup, err);
        if (rc) break;
        wr_error derr;
        wr_error_init(&derr);
        int used = wr_row_decode_append(sb, bytes, len, &derr);
        if (used < 0 || (uint32_t)used != len)
            return wr_error_set(err, WR_ERR_IO, "a %s row is malformed%s%s", side_name((int)s),
                                used < 0 ? ": " : "", used < 0 ? derr.msg : "");
    }
    for (int s = 0; rc == 0 && s < 2; s++) rc = restore_rows(op, s, sp->keygroup, err);
    return rc;
}

static void wj_destroy(wr_operator *base)
{
    wj_op *op = (wj_op *)base;
    for (int i = 0; i < op->panes.n; i++) pane_free(op->panes.v[i]);
    WR_VEC_FREE(&op->panes);
    WR_VEC_FREE(&op->head);
    WR_VEC_FREE(&op->next);
    WR_VEC_FREE(&op->lhit);
    WR_VEC_FREE(&op->rhit);
    wr_batch_free(op->out);
    wr_batch_free(op->pairs);
    for (int s = 0; s < 2; s++) {
        wr_batch_free(op->scratch[s]);
        wr_free(op->all[s]);
    }
    wr_free(op->nn_mask);
    wr_free(op);
}

/* Rejects window columns that are not TIMESTAMP columns of their side. */
static int check_windows(const wj_spec *spec, wr_error *err)
{
    const wr_join_desc *d = &spec->d;
    static const char *const what[2] = {"window_start", "window_end"};
    for (int s = 0; s < 2; s++) {
        int n = s == 0 ? d->nleft : d->nright;
        const wr_type *types = s == 0 ? d->left_types : d->right_types;
        for (int w = 0; w < 2; w++) {
            int c = spec->wcol[s][w];
            if (c < 0 || c >= n)
                return wr_error_set(err, WR_ERR_ARGUMENT,
                                    "window join: %s column %d is not one of the %d %s columns",
                                    what[w], c, n, side_name(s));
            if (types[c].id != WR_TYPE_TIMESTAMP && types[c].id != WR_TYPE_TIMESTAMP_LTZ) {
                char name[64];
                return wr_error_set(err, WR_ERR_ARGUMENT,
                                    "window join: the %s %s column %d has type %s, not TIMESTAMP",
                                    side_name(s), what[w], c,
                                    wr_type_name(types[c], name, sizeof(name)));
            }
        }
    }
    return 0;
}

static wr_operator *wj_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const wj_spec *spec = p;
    const wr_join_desc *d = &spec->d;
    if (wr_join_desc_check(d, "window join", err) || check_windows(spec, err)) return NULL;
    if (ctx->max_parallelism <= 0 || ctx->max_parallelism < ctx->parallelism) {
        wr_error_set(err, WR_ERR_ARGUMENT,
                     "window join: the maximum parallelism (%d) must be at least the "
                     "parallelism (%d)",
                     ctx->max_parallelism, ctx->parallelism);
        return NULL;
    }
    wj_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_window_join_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->d = d;
    op->wm = INT64_MIN;
    op->ncols[0] = d->nleft;
    op->ncols[1] = d->nright;
    op->keys[0] = d->left_keys;
    op->keys[1] = d->right_keys;
    op->semi_like = d->type == WR_JOIN_TYPE_SEMI || d->type == WR_JOIN_TYPE_ANTI;
    op->outer_left = d->type == WR_JOIN_TYPE_LEFT || d->type == WR_JOIN_TYPE_FULL;
    op->outer_right = d->type == WR_JOIN_TYPE_RIGHT || d->type == WR_JOIN_TYPE_FULL;
    op->nflag = ((size_t)d->nkeys + 7) / 8;
    op->nn_mask = wr_calloc(op->nflag + 1, 1);
    for (int k = 0; k < d->nkeys; k++)
        if (!d->null_safe[k]) op->nn_mask[k / 8] |= (uint8_t)(1 << (k % 8));
    for (int s = 0; s < 2; s++) {
        op->all[s] = wr_malloc(sizeof(int) * (size_t)WR_MAX(op->ncols[s], 1));
        for (int c = 0; c < op->ncols[s]; c++) op->all[s][c] = c;
        op->scratch[s] = wr_batch_new(side_types(op, s), op->ncols[s], CAP);
    }
    int nall = d->nleft + d->nright;
    wr_type *types = wr_malloc(sizeof(wr_type) * (size_t)WR_MAX(nall, 1));
    int nout = wr_join_output_types(d, types);
    op->out = wr_batch_new(types, nout, CAP);
    if (op->semi_like && d->residual) {
        memcpy(types, d->left_types, (size_t)d->nleft * sizeof(wr_type));
        memcpy(types + d->nleft, d->right_types, (size_t)d->nright * sizeof(wr_type));
        op->pairs = wr_batch_new(types, nall, CAP);
    }
    wr_free(types);
    wr_keygroup_range(ctx->subtask, ctx->max_parallelism, ctx->parallelism, &op->kg_first,
                      &op->kg_last);
    if (ctx->restore) {
        for (int i = 0; i < ctx->restore->nparts; i++) {
            const wr_snapshot_part *sp = ctx->restore->parts[i];
            /* Only this instance's key groups (the runtime hands no others; a test may). */
            if (sp->keygroup < op->kg_first || sp->keygroup > op->kg_last) continue;
            if (restore_part(op, sp, err)) {
                wr_error_prefix(err, "window join: restoring key group %d of checkpoint %lld: ",
                                sp->keygroup, (long long)ctx->restore->checkpoint);
                wj_destroy(&op->base);
                return NULL;
            }
        }
    }
    return &op->base;
}

/*
 * State bytes: per open pane (the windows in progress) and side, the row store, the per-row
 * hashes and key offsets, and the key bytes.
 */
static size_t wj_state_bytes(const wr_operator *base)
{
    const wj_op *op = (const wj_op *)base;
    size_t bytes = 0;
    for (int i = 0; i < op->panes.n; i++)
        for (int s = 0; s < 2; s++) {
            const wside *w = &op->panes.v[i]->side[s];
            bytes += wr_colstore_bytes(&w->rows) + (size_t)w->hash.cap * sizeof(uint64_t) +
                     (size_t)w->koff.cap * sizeof(uint32_t) + w->keys.cap;
        }
    return bytes;
}

const wr_operator_ops wr_window_join_ops = {
    .kind = "window_join",
    .create = wj_create,
    .process = wj_process,
    .end_input = wj_end_input,
    .watermark = wj_watermark,
    .snapshot = wj_snapshot,
    .state_bytes = wj_state_bytes,
    .destroy = wj_destroy,
};
