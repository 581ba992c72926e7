/*
 * temporal_join.c — the event-time temporal join; see temporal_join.h.
 *
 * Both sides live in one jstore (jstore.h). Per key, side 0 is the chain of
 * buffered probe rows in arrival order and side 1 the chain of versions
 * ordered by time (flag 1: a delete); versions almost always arrive in time
 * order, so a new one is placed by a short walk back from the tail. The
 * probe side's heap gives the rows a watermark releases; the versions' heap
 * gives the keys whose old versions a watermark makes useless.
 *
 * A watermark releases rows in chunks of up to WR_BATCH_CAPACITY, in arrival
 * order (their store indexes): each finds its version by walking back from
 * its key's newest one, then the probe columns and the version columns are
 * gathered column by column into one output batch, the residual is evaluated
 * over the rows that have a version, and INNER keeps the passing rows by a
 * selection while LEFT sets the version columns of the others to NULL.
 */
#include "temporal_join.h"
#include "../base/alloc.h"
#include "../base/vec.h"
#include "jstore.h"

#include <stdlib.h>
#include <string.h>

#define CAP WR_BATCH_CAPACITY
#define NONE WR_JSTORE_NONE
#define WHO "temporal join"

/* Checkpoint header: magic, then a version for the layout after it. */
static const char SNAP_MAGIC[4] = {'W', 'R', 'T', 'J'};
#define SNAP_VERSION 1

typedef struct tj_spec {
    wr_join_desc d; /* every array owned; null_safe always set */
    int time_col[2];
} tj_spec;

typedef struct tj_op {
    wr_operator base;
    const tj_spec *spec;
    const wr_join_desc *d;
    bool left_outer;
    int64_t wm;    /* the watermark rows have been released by */
    bool ended[2]; /* input s ended */
    wr_jstore st;
    wr_jchunk *ch; /* the input rows being taken in */
    /* Rows to add (CAP each): physical row, key record, time, flag. */
    uint32_t *rows, *krec;
    int64_t *times;
    uint8_t *flags;
    WR_VEC(uint32_t) due; /* probe rows a watermark released */
    /* Per released row of a chunk (CAP each): its version, or NONE; rows with a version; the
     * version rows to gather; the rows the residual passed. */
    uint32_t *ridx, *has, *gat, *pass;
    uint8_t *ok;
    wr_batch *out;
} tj_op;

/* ---- spec ------------------------------------------------------------------------------ */

static void spec_free(void *p)
{
    tj_spec *spec = p;
    wr_join_desc_fini(&spec->d);
    wr_free(spec);
}

wr_operator_spec wr_temporal_join_spec(const wr_join_desc *d, int left_time_col, int right_time_col)
{
    tj_spec *spec = wr_calloc(1, sizeof(*spec));
    wr_join_desc_copy(&spec->d, d);
    spec->d.shared_build = false;
    spec->time_col[0] = left_time_col;
    spec->time_col[1] = right_time_col;
    wr_operator_spec out = {&wr_temporal_join_ops, spec, spec_free, d->nkeys == 0 ? 1 : -1, false};
    return out;
}

int64_t wr_temporal_join_state_rows(const wr_operator *op, int s)
{
    return ((const tj_op *)op)->st.side[s].live;
}

/* ---- emitting --------------------------------------------------------------------------- */

/* The version probe row l finds: its key's newest at or before its time, unless a delete. */
static uint32_t version_of(const tj_op *op, uint32_t l)
{
    const wr_jrow *lm = op->st.side[0].meta, *rm = op->st.side[1].meta;
    uint32_t v = op->st.keys[lm[l].key].tail[1];
    while (v != NONE && rm[v].time > lm[l].time) v = rm[v].prev;
    return v != NONE && !rm[v].flag ? v : NONE;
}

/* Joins and emits the stored probe rows lrows[0..n) (n <= CAP), in that order. */
static int emit_rows(tj_op *op, const uint32_t *lrows, int n, wr_error *err)
{
    const wr_join_desc *d = op->d;
    int nh = 0;
    for (int i = 0; i < n; i++) {
        op->ridx[i] = version_of(op, lrows[i]);
        if (op->ridx[i] != NONE) op->has[nh++] = (uint32_t)i;
    }
    if (nh == 0 && !op->left_outer) return 0;
    wr_batch *out = op->out;
    wr_batch_reset(out);
    wr_jstore_gather(&op->st, 0, lrows, n, out, 0);
    if (nh > 0) {
        /* Rows without a version gather any version and are set to NULL below. */
        for (int i = 0; i < n; i++)
            op->gat[i] = op->ridx[i] != NONE ? op->ridx[i] : op->ridx[op->has[0]];
        wr_jstore_gather(&op->st, 1, op->gat, n, out, d->nleft);
    } else {
        wr_jstore_null_cols(out, d->nleft, d->nright, n);
    }
    out->count = n;
    const uint32_t *pass = op->has;
    int npass = nh;
    if (d->residual && nh > 0) {
        wr_eval ev = {&out->arena, out->count};
        int rc = wr_expr_filter(&ev, d->residual, out, op->has, nh, op->pass, &npass, err);
        if (rc) return rc;
        pass = op->pass;
    }
    if (!op->left_outer) {
        if (npass == 0) return 0;
        uint32_t *sel = wr_batch_sel_buffer(out);
        memcpy(sel, pass, (size_t)npass * sizeof(uint32_t));
        out->sel = sel;
        out->nsel = npass;
    } else if (nh > 0) {
        memset(op->ok, 0, (size_t)n);
        for (int j = 0; j < npass; j++) op->ok[pass[j]] = 1;
        for (int i = 0; i < n; i++)
            if (!op->ok[i])
                for (int c = 0; c < d->nright; c++) wr_batch_set_null(out, d->nleft + c, i);
    }
    return wr_op_emit(op->base.ctx, out, err);
}

/* Emits physical rows rows[0..n) of a probe batch padded (LEFT), for rows that match nothing. */
static int emit_padded_input(tj_op *op, const wr_batch *batch, const uint32_t *rows, int n,
                             wr_error *err)
{
    if (n == 0 || !op->left_outer) return 0;
    wr_batch *out = op->out;
    wr_batch_reset(out);
    wr_jstore_gather_input(&op->st, 0, batch, rows, n, out, 0);
    wr_jstore_null_cols(out, op->d->nleft, op->d->nright, n);
    out->count = n;
    return wr_op_emit(op->base.ctx, out, err);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/*
 * Drops the versions of key rec that no probe row still to come can need at
 * watermark wm: those older than the newest one at or before wm, and that
 * one too when it is a delete (a probe row finds no version either way).
 */
static void clean_key(tj_op *op, uint32_t rec, int64_t wm)
{
    const wr_jrow *rm = op->st.side[1].meta;
    uint32_t v = op->st.keys[rec].tail[1];
    while (v != NONE && rm[v].time > wm) v = rm[v].prev;
    if (v == NONE) return;
    for (uint32_t p = rm[v].prev; p != NONE;) {
        uint32_t prev = rm[p].prev;
        wr_jstore_remove(&op->st, 1, p);
        p = prev;
    }
    if (rm[v].flag) wr_jstore_remove(&op->st, 1, v);
}

/*
 * Releases the probe rows with a time at or before wm, in arrival order, then
 * drops the versions that watermark made useless.
 */
static int release(tj_op *op, int64_t wm, wr_error *err)
{
    int64_t t;
    uint32_t row;
    op->due.n = 0;
    while (wr_jstore_top(&op->st, 0, &t, &row) && t <= wm) {
        wr_jstore_pop(&op->st, 0);
        WR_VEC_PUSH(&op->due, row);
    }
    /* Store indexes grow with arrival (compaction keeps their order). Rows that arrived in
     * time order come out in order already. */
    bool sorted = true;
    for (int i = 1; i < op->due.n && sorted; i++) sorted = op->due.v[i - 1] < op->due.v[i];
    if (!sorted) qsort(op->due.v, (size_t)op->due.n, sizeof(uint32_t), cmp_u32);
    int rc = 0;
    for (int start = 0; start < op->due.n && rc == 0; start += CAP) {
        int n = op->due.n - start < CAP ? op->due.n - start : CAP;
        rc = emit_rows(op, op->due.v + start, n, err);
    }
    if (rc) return rc;
    for (int i = 0; i < op->due.n; i++) wr_jstore_remove(&op->st, 0, op->due.v[i]);
    while (wr_jstore_top(&op->st, 1, &t, &row) && t <= wm) {
        wr_jstore_pop(&op->st, 1);
        clean_key(op, op->st.side[1].meta[row].key, wm);
    }
    /* Output that pointed into the stores has been emitted: they may move now. */
    wr_jstore_compact(&op->st);
    return 0;
}

/* ---- taking rows in ------------------------------------------------------------------------ */

/* Buffers the probe rows of a chunk (padding or dropping those that can match nothing). */
static int take_probe(tj_op *op, const wr_batch *batch, wr_error *err)
{
    const wr_jchunk *ch = op->ch;
    int m = 0, npad = 0;
    for (int i = 0; i < ch->n; i++) {
        if (!ch->usable[i]) {
            op->gat[npad++] = ch->prow[i];
            continue;
        }
        op->rows[m] = ch->prow[i];
        op->krec[m] = wr_jstore_key_row(&op->st, ch, i);
        op->times[m++] = ch->time[i];
    }
    int rc = emit_padded_input(op, batch, op->gat, npad, err);
    if (rc) return rc;
    uint32_t first;
    return wr_jstore_add(&op->st, 0, batch, op->rows, m, op->krec, op->times, NULL, true, &first,
                         err);
}

/* Puts new version v into its key's chain by time, replacing a version of the same time. */
static void place_version(tj_op *op, uint32_t v)
{
    const wr_jrow *rm = op->st.side[1].meta;
    uint32_t p = op->st.keys[rm[v].key].tail[1];
    while (p != NONE && rm[p].time > rm[v].time) p = rm[p].prev;
    wr_jstore_link_after(&op->st, 1, v, p);
    if (p != NONE && rm[p].time == rm[v].time) wr_jstore_remove(&op->st, 1, p);
}

/* Stores the versions of a chunk: +I/+U start one, -D ends the key's validity, -U is skipped. */
static int take_versions(tj_op *op, const wr_batch *batch, wr_error *err)
{
    const wr_jchunk *ch = op->ch;
    int m = 0;
    for (int i = 0; i < ch->n; i++) {
        wr_change_kind kind = wr_batch_kind(batch, (int)ch->prow[i]);
        if (kind == WR_KIND_UPDATE_BEFORE || !ch->usable[i]) continue;
        op->rows[m] = ch->prow[i];
        op->krec[m] = wr_jstore_key_row(&op->st, ch, i);
        op->times[m] = ch->time[i];
        op->flags[m++] = kind == WR_KIND_DELETE;
    }
    uint32_t first;
    int rc = wr_jstore_add(&op->st, 1, batch, op->rows, m, op->krec, op->times, op->flags, false,
                           &first, err);
    if (rc) return rc;
    /* In arrival order, so that of two versions with one time the later wins. */
    for (int j = 0; j < m; j++) place_version(op, first + (uint32_t)j);
    return 0;
}

/* ---- the operator ---------------------------------------------------------------------- */

static int tj_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    tj_op *op = (tj_op *)base;
    const wr_join_desc *d = op->d;
    if (input != 0 && input != 1)
        return wr_error_set(err, WR_ERR_ARGUMENT, WHO ": no input %d (0 probe, 1 versions)", input);
    int rc = wr_join_check_batch(batch, input == 0 ? d->left_types : d->right_types,
                                 input == 0 ? d->nleft : d->nright, WHO,
                                 input == 0 ? "left" : "right", err);
    if (rc == 0 && input == 0) rc = wr_batch_check_inserts(batch, WHO, err);
    int n = wr_batch_rows(batch);
    for (int start = 0; start < n && rc == 0; start += CAP) {
        rc =
            wr_jstore_chunk(&op->st, op->ch, input, batch, start, n - start < CAP ? n - start : CAP,
                            op->spec->time_col[input], 0, WHO, err);
        if (rc == 0) rc = input == 0 ? take_probe(op, batch, err) : take_versions(op, batch, err);
    }
    return rc;
}

static int tj_watermark(wr_operator *base, int64_t watermark, wr_error *err)
{
    tj_op *op = (tj_op *)base;
    if (watermark > op->wm) op->wm = watermark;
    int rc = release(op, op->wm, err);
    if (rc) return rc;
    return wr_op_emit_watermark(base->ctx, op->wm, err);
}

static int tj_end_input(wr_operator *base, int input, wr_error *err)
{
    tj_op *op = (tj_op *)base;
    if (input != 0 && input != 1) return 0;
    op->ended[input] = true;
    if (!op->ended[0] || !op->ended[1]) return 0;
    /* Nothing more comes: every buffered row is final, and then no version is needed. */
    int rc = release(op, INT64_MAX, err);
    if (rc) return rc;
    for (uint32_t r = 0; r < op->st.nkeys; r++)
        while (op->st.keys[r].used && op->st.keys[r].count[1] > 0)
            wr_jstore_remove(&op->st, 1, op->st.keys[r].head[1]);
    wr_jstore_compact(&op->st);
    return 0;
}

/* ---- checkpoints ---------------------------------------------------------------------------- */

/* The header of every part: what must match to restore (the watermark follows). */
static void put_header(const tj_op *op, wr_buf *b)
{
    const tj_spec *spec = op->spec;
    wr_buf_append(b, SNAP_MAGIC, 4);
    wr_buf_put_u32(b, SNAP_VERSION);
    wr_buf_put_u32(b, (uint32_t)spec->d.type);
    wr_buf_put_u32(b, (uint32_t)spec->d.nleft);
    wr_buf_put_u32(b, (uint32_t)spec->d.nright);
    wr_buf_put_u32(b, (uint32_t)spec->d.nkeys);
    wr_buf_put_u32(b, (uint32_t)spec->time_col[0]);
    wr_buf_put_u32(b, (uint32_t)spec->time_col[1]);
}

static int tj_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    tj_op *op = (tj_op *)base;
    wr_buf header;
    wr_buf_init(&header);
    put_header(op, &header);
    wr_buf_put_u64(&header, (uint64_t)op->wm);
    wr_jstore_snapshot(&op->st, &header, out);
    wr_buf_fini(&header);
    return 0;
}

static int restore_part(tj_op *op, const wr_snapshot_part *part, wr_error *err)
{
    wr_buf header;
    wr_buf_init(&header);
    put_header(op, &header);
    int64_t wm = WR_WATERMARK_MIN;
    int rc = wr_jstore_restore_part(
        &op->st, part, &header, "a temporal join",
        "the state of another temporal join (version, type, columns, keys or "
        "times differ)",
        &wm, err);
    wr_buf_fini(&header);
    /* Every instance saw the same watermarks before the barrier: go on from there. */
    if (rc == 0 && wm > op->wm) op->wm = wm;
    return rc;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static void tj_destroy(wr_operator *base)
{
    tj_op *op = (tj_op *)base;
    if (op == NULL) return;
    wr_jstore_fini(&op->st);
    wr_jchunk_free(op->ch);
    wr_free(op->rows);
    wr_free(op->krec);
    wr_free(op->times);
    wr_free(op->flags);
    WR_VEC_FREE(&op->due);
    wr_free(op->ridx);
    wr_free(op->has);
    wr_free(op->gat);
    wr_free(op->pass);
    wr_free(op->ok);
    wr_batch_free(op->out);
    wr_free(op);
}

/* Rejects what the operator cannot run, naming the problem. */
static int check_spec(const tj_spec *spec, wr_error *err)
{
    const wr_join_desc *d = &spec->d;
    int rc = wr_join_desc_check(d, WHO, err);
    if (rc) return rc;
    if (d->type != WR_JOIN_TYPE_INNER && d->type != WR_JOIN_TYPE_LEFT)
        return wr_error_set(err, WR_ERR_ARGUMENT, WHO ": %s is not supported (INNER or LEFT)",
                            wr_join_type_name(d->type));
    for (int s = 0; s < 2; s++) {
        int col = spec->time_col[s], n = s == 0 ? d->nleft : d->nright;
        const wr_type *types = s == 0 ? d->left_types : d->right_types;
        if (col < 0 || col >= n)
            return wr_error_set(err, WR_ERR_ARGUMENT, WHO ": time column %d of %d on the %s side",
                                col, n, s == 0 ? "left" : "right");
        if (types[col].id != WR_TYPE_TIMESTAMP && types[col].id != WR_TYPE_TIMESTAMP_LTZ) {
            char a[64];
            return wr_error_set(
                err, WR_ERR_ARGUMENT, WHO ": the %s time column %d has type %s, not TIMESTAMP",
                s == 0 ? "left" : "right", col, wr_type_name(types[col], a, sizeof(a)));
        }
    }
    return 0;
}

static wr_operator *tj_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const tj_spec *spec = p;
    const wr_join_desc *d = &spec->d;
    if (check_spec(spec, err)) return NULL;
    tj_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_temporal_join_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->d = d;
    op->left_outer = d->type == WR_JOIN_TYPE_LEFT;
    op->wm = WR_WATERMARK_MIN;
    wr_jstore_init(&op->st, d, ctx);
    op->ch = wr_jchunk_new();
    op->rows = wr_malloc(CAP * sizeof(uint32_t));
    op->krec = wr_malloc(CAP * sizeof(uint32_t));
    op->times = wr_malloc(CAP * sizeof(int64_t));
    op->flags = wr_malloc(CAP);
    op->ridx = wr_malloc(CAP * sizeof(uint32_t));
    op->has = wr_malloc(CAP * sizeof(uint32_t));
    op->gat = wr_malloc(CAP * sizeof(uint32_t));
    op->pass = wr_malloc(CAP * sizeof(uint32_t));
    op->ok = wr_malloc(CAP);
    int nall = d->nleft + d->nright;
    wr_type types[nall > 0 ? nall : 1];
    int nout = wr_join_output_types(d, types);
    op->out = wr_batch_new(types, nout, CAP);
    if (ctx->restore)
        for (int i = 0; i < ctx->restore->nparts; i++) {
            const wr_snapshot_part *part = ctx->restore->parts[i];
            if (part->keygroup >= 0 && !wr_jstore_owns(&op->st, part->keygroup)) continue;
            if (restore_part(op, part, err)) {
                wr_error_prefix(err, WHO ": restoring key group %d: ", part->keygroup);
                tj_destroy(&op->base);
                return NULL;
            }
        }
    return &op->base;
}

/* State bytes: both sides' rows (versions and waiting probe rows) and the keys (jstore). */
static size_t tj_state_bytes(const wr_operator *base)
{
    return wr_jstore_bytes(&((const tj_op *)base)->st);
}

const wr_operator_ops wr_temporal_join_ops = {
    .kind = "temporal_join",
    .create = tj_create,
    .process = tj_process,
    .end_input = tj_end_input,
    .watermark = tj_watermark,
    .snapshot = tj_snapshot,
    .state_bytes = tj_state_bytes,
    .destroy = tj_destroy,
};
