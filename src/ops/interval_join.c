/*
 * interval_join.c — the streaming interval join; see interval_join.h.
 *
 * Both sides' rows live in one jstore (jstore.h): per key a chain of left
 * rows and one of right rows in arrival order, each row with its time (ms)
 * and a flag that says it has had a partner; per side a heap by time, so
 * expiry pops exactly the rows a watermark (or the clock) passed.
 *
 * A batch goes in chunks of up to WR_BATCH_CAPACITY rows: key bytes, hashes
 * and times are computed for the whole chunk first (the key table's slots
 * prefetched), then each row walks the other side's chain of its key and
 * collects (row, stored row) pairs whose times are in range. Full buffers of
 * pairs are gathered column by column into the output batch, which the
 * residual filters by a selection before it is emitted, and the partners of
 * passing pairs are flagged. Only then are the chunk's rows stored (or, when
 * they can no longer match anything that may come, padded or dropped), so a
 * row never meets rows of its own side.
 */
#include "interval_join.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../state/keygroup.h"
#include "jstore.h"

#include <string.h>

#define CAP WR_BATCH_CAPACITY
#define NONE WR_JSTORE_NONE
#define WHO "interval join"

/* Checkpoint header: magic, then a version for the layout after it. */
static const char SNAP_MAGIC[4] = {'W', 'R', 'I', 'J'};
#define SNAP_VERSION 1

typedef struct ij_spec {
    wr_join_desc d; /* every array owned; null_safe always set */
    int time_col[2];
    int64_t lower, upper;
    bool proctime;
    wr_interval_join_clock clock;
    void *clock_arg;
} ij_spec;

typedef struct ij_op {
    wr_operator base;
    const ij_spec *spec;
    const wr_join_desc *d;
    bool outer[2]; /* side s shows its rows without partners (padded) */
    int64_t delay; /* event time: how far the forwarded watermark is held back */
    int64_t wm;    /* event time: the watermark the state has been expired by */
    bool ended[2]; /* input s ended: the other side's rows get no new partners */
    wr_jstore st;
    wr_jchunk *ch; /* the input rows being joined */
    uint8_t *hit;  /* per chunk row: had a partner */
    uint32_t *rec; /* per chunk row: its key's record when the chunk began, or NONE */
    /* Candidate pairs: chunk row, stored row of the other side. */
    uint32_t *pin, *pst;
    int npairs;
    /* Rows to store: physical row, key record, time, flag. */
    uint32_t *phys, *krec;
    int64_t *stime;
    wr_batch *out;
} ij_op;

/* ---- spec ------------------------------------------------------------------------------ */

static void spec_free(void *p)
{
    ij_spec *spec = p;
    wr_join_desc_fini(&spec->d);
    wr_free(spec);
}

wr_operator_spec wr_interval_join_spec(const wr_join_desc *d, int left_time_col, int right_time_col,
                                       int64_t lower_ms, int64_t upper_ms, bool proctime)
{
    ij_spec *spec = wr_calloc(1, sizeof(*spec));
    wr_join_desc_copy(&spec->d, d);
    spec->d.shared_build = false;
    spec->time_col[0] = left_time_col;
    spec->time_col[1] = right_time_col;
    spec->lower = lower_ms;
    spec->upper = upper_ms;
    spec->proctime = proctime;
    /* Without keys every row meets every row: one instance holds them all. */
    wr_operator_spec out = {&wr_interval_join_ops, spec, spec_free, d->nkeys == 0 ? 1 : -1, false};
    return out;
}

void wr_interval_join_spec_clock(wr_operator_spec *spec, wr_interval_join_clock clock, void *arg)
{
    ij_spec *s = spec->spec;
    s->clock = clock;
    s->clock_arg = arg;
}

int64_t wr_interval_join_state_rows(const wr_operator *op, int s)
{
    return ((const ij_op *)op)->st.side[s].live;
}

/* ---- time ------------------------------------------------------------------------------ */

static inline int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static inline int64_t sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t now_ms(const ij_op *op)
{
    return op->spec->clock ? op->spec->clock(op->spec->clock_arg) : wr_clock_wall_ms();
}

/*
 * Rows of side s whose time is below this can match none of the rows that
 * may still come, given `now` (the watermark, or the processing time):
 * those of the other side are later than now, and a left row meets right
 * rows up to its time - lower, a right row left rows up to its time + upper.
 */
static int64_t expiry(const ij_op *op, int s, int64_t now)
{
    if (op->ended[1 - s] || now == INT64_MAX) return INT64_MAX;
    return s == 0 ? sat_add(now, op->spec->lower) : sat_sub(now, op->spec->upper);
}

/* ---- output ---------------------------------------------------------------------------- */

static int first_col(const ij_op *op, int s)
{
    return s == 0 ? 0 : op->d->nleft;
}

/* Emits rows idx[0..n) of side s (stored rows, or with batch physical rows of it) padded. */
static int emit_padded(ij_op *op, int s, const wr_batch *batch, const uint32_t *idx, int n,
                       wr_error *err)
{
    if (n == 0) return 0;
    wr_batch *out = op->out;
    wr_batch_reset(out);
    if (batch)
        wr_jstore_gather_input(&op->st, s, batch, idx, n, out, first_col(op, s));
    else
        wr_jstore_gather(&op->st, s, idx, n, out, first_col(op, s));
    wr_jstore_null_cols(out, first_col(op, 1 - s), op->st.side[1 - s].ncols, n);
    out->count = n;
    return wr_op_emit(op->base.ctx, out, err);
}

/*
 * Gathers the buffered pairs (chunk row of a batch of side s, stored row of
 * the other side), filters them by the residual, flags both ends of the
 * passing ones and emits those.
 */
static int flush_pairs(ij_op *op, int s, const wr_batch *batch, wr_error *err)
{
    int n = op->npairs;
    op->npairs = 0;
    if (n == 0) return 0;
    const wr_join_desc *d = op->d;
    wr_batch *out = op->out;
    wr_batch_reset(out);
    for (int i = 0; i < n; i++) op->phys[i] = op->ch->prow[op->pin[i]];
    wr_jstore_gather_input(&op->st, s, batch, op->phys, n, out, first_col(op, s));
    wr_jstore_gather(&op->st, 1 - s, op->pst, n, out, first_col(op, 1 - s));
    out->count = n;
    const uint32_t *pass = NULL;
    int npass = n;
    if (d->residual) {
        wr_eval ev = {&out->arena, out->count};
        uint32_t *sel = wr_batch_sel_buffer(out);
        int rc = wr_expr_filter(&ev, d->residual, out, NULL, n, sel, &npass, err);
        if (rc) return rc;
        pass = sel;
        out->sel = sel;
        out->nsel = npass;
    }
    wr_jrow *om = op->st.side[1 - s].meta;
    for (int j = 0; j < npass; j++) {
        int p = pass ? (int)pass[j] : j;
        op->hit[op->pin[p]] = 1;
        om[op->pst[p]].flag = 1;
    }
    return wr_op_emit(op->base.ctx, out, err);
}

/* ---- expiry ---------------------------------------------------------------------------- */

/* Drops the rows of side s with a time below thr, padding an outer side's rows without partners. */
static int expire(ij_op *op, int s, int64_t thr, wr_error *err)
{
    int64_t t;
    uint32_t row;
    int npad = 0;
    while (wr_jstore_top(&op->st, s, &t, &row) && t < thr) {
        wr_jstore_pop(&op->st, s);
        if (op->outer[s] && !op->st.side[s].meta[row].flag) {
            /* Removal keeps the row's columns until a compaction: gathering later is safe. */
            op->pst[npad++] = row;
            if (npad == CAP) {
                int rc = emit_padded(op, s, NULL, op->pst, npad, err);
                if (rc) return rc;
                npad = 0;
            }
        }
        wr_jstore_remove(&op->st, s, row);
    }
    return emit_padded(op, s, NULL, op->pst, npad, err);
}

static int expire_all(ij_op *op, int64_t now, wr_error *err)
{
    int rc = expire(op, 0, expiry(op, 0, now), err);
    if (rc == 0) rc = expire(op, 1, expiry(op, 1, now), err);
    /* Output that pointed into the stores has been emitted: they may move now. */
    wr_jstore_compact(&op->st);
    return rc;
}

/* Processing time: asks for a call when the next stored row expires. */
static void set_timer(ij_op *op)
{
    int64_t next = INT64_MAX, t;
    uint32_t row;
    /* A left row goes once now + lower passes its time, a right row once now - upper does. */
    if (wr_jstore_top(&op->st, 0, &t, &row)) next = sat_add(sat_sub(t, op->spec->lower), 1);
    if (wr_jstore_top(&op->st, 1, &t, &row)) {
        int64_t r = sat_add(sat_add(t, op->spec->upper), 1);
        if (r < next) next = r;
    }
    op->base.ctx->timer_at_ms = next;
}

/* ---- joining ---------------------------------------------------------------------------- */

/*
 * Joins the active rows start .. start + n - 1 (n <= CAP) of a batch of
 * input s at `now` (watermark or processing time), then stores or pads them.
 */
static int join_chunk(ij_op *op, int s, const wr_batch *batch, int start, int n, int64_t now,
                      wr_error *err)
{
    const ij_spec *spec = op->spec;
    wr_jchunk *ch = op->ch;
    int rc = wr_jstore_chunk(&op->st, ch, s, batch, start, n,
                             spec->proctime ? -1 : spec->time_col[s], now, WHO, err);
    if (rc) return rc;
    memset(op->hit, 0, (size_t)n);

    /* A left row at t meets right rows in [t - upper, t - lower]; a right row at t left
     * rows in [t + lower, t + upper]. */
    const wr_jrow *om = op->st.side[1 - s].meta;
    for (int i = 0; i < n; i++) {
        uint32_t rec = op->rec[i] = ch->usable[i] ? wr_jstore_find_row(&op->st, ch, i) : NONE;
        if (rec == NONE) continue;
        int64_t t = ch->time[i];
        int64_t lo = s == 0 ? sat_sub(t, spec->upper) : sat_add(t, spec->lower);
        int64_t hi = s == 0 ? sat_sub(t, spec->lower) : sat_add(t, spec->upper);
        for (uint32_t r = op->st.keys[rec].head[1 - s]; r != NONE; r = om[r].next) {
            if (om[r].time < lo || om[r].time > hi) continue;
            op->pin[op->npairs] = (uint32_t)i;
            op->pst[op->npairs++] = r;
            if (op->npairs == CAP) {
                rc = flush_pairs(op, s, batch, err);
                if (rc) return rc;
            }
        }
    }
    rc = flush_pairs(op, s, batch, err);
    if (rc) return rc;

    /* Stored while the other side's rows to come may match; else padded (outer) or gone. */
    int64_t thr = expiry(op, s, now);
    int nstore = 0, npad = 0;
    for (int i = 0; i < n; i++) {
        if (ch->usable[i] && ch->time[i] >= thr) {
            op->phys[nstore] = ch->prow[i];
            /* Nothing left the store since the lookup; a key new to it may have been made
             * by an earlier row of the chunk. */
            op->krec[nstore] = op->rec[i] != NONE ? op->rec[i] : wr_jstore_key_row(&op->st, ch, i);
            op->stime[nstore] = ch->time[i];
            op->hit[nstore++] = op->hit[i];
        } else if (op->outer[s] && !op->hit[i]) {
            op->pin[npad++] = ch->prow[i];
        }
    }
    rc = emit_padded(op, s, batch, op->pin, npad, err);
    if (rc) return rc;
    uint32_t first;
    return wr_jstore_add(&op->st, s, batch, op->phys, nstore, op->krec, op->stime, op->hit, true,
                         &first, err);
}

/* ---- the operator ------------------------------------------------------------------------ */

static int ij_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    ij_op *op = (ij_op *)base;
    const wr_join_desc *d = op->d;
    if (input != 0 && input != 1)
        return wr_error_set(err, WR_ERR_ARGUMENT, WHO ": no input %d (0 left, 1 right)", input);
    int rc = wr_join_check_batch(batch, input == 0 ? d->left_types : d->right_types,
                                 input == 0 ? d->nleft : d->nright, WHO,
                                 input == 0 ? "left" : "right", err);
    if (rc == 0) rc = wr_batch_check_inserts(batch, WHO, err);
    if (rc) return rc;
    int64_t now = op->wm;
    if (op->spec->proctime) {
        /* Rows whose time has passed go before the new ones are looked at. */
        now = now_ms(op);
        rc = expire_all(op, now, err);
    }
    int n = wr_batch_rows(batch);
    for (int start = 0; start < n && rc == 0; start += CAP)
        rc = join_chunk(op, input, batch, start, n - start < CAP ? n - start : CAP, now, err);
    if (op->spec->proctime) set_timer(op);
    return rc;
}

static int ij_watermark(wr_operator *base, int64_t watermark, wr_error *err)
{
    ij_op *op = (ij_op *)base;
    if (op->spec->proctime) return wr_op_emit_watermark(base->ctx, watermark, err);
    if (watermark > op->wm) op->wm = watermark;
    int rc = expire_all(op, op->wm, err);
    if (rc) return rc;
    int64_t held = op->wm == WR_WATERMARK_MAX ? WR_WATERMARK_MAX : sat_sub(op->wm, op->delay);
    return wr_op_emit_watermark(base->ctx, held, err);
}

static int ij_on_time(wr_operator *base, int64_t now, wr_error *err)
{
    ij_op *op = (ij_op *)base;
    if (!op->spec->proctime) return 0;
    int rc = expire_all(op, now_ms(op), err);
    set_timer(op);
    return rc;
}

static int ij_end_input(wr_operator *base, int input, wr_error *err)
{
    ij_op *op = (ij_op *)base;
    if (input != 0 && input != 1) return 0;
    op->ended[input] = true;
    int rc = expire(op, 1 - input, INT64_MAX, err);
    wr_jstore_compact(&op->st);
    if (op->spec->proctime) set_timer(op);
    return rc;
}

/* ---- checkpoints ---------------------------------------------------------------------------- */

/* The header of every part: what must match to restore, then the watermark. */
static void put_header(const ij_op *op, wr_buf *b)
{
    const ij_spec *spec = op->spec;
    wr_buf_append(b, SNAP_MAGIC, 4);
    wr_buf_put_u32(b, SNAP_VERSION);
    wr_buf_put_u32(b, (uint32_t)spec->d.type);
    wr_buf_put_u32(b, (uint32_t)spec->d.nleft);
    wr_buf_put_u32(b, (uint32_t)spec->d.nright);
    wr_buf_put_u32(b, (uint32_t)spec->d.nkeys);
    wr_buf_put_u32(b, (uint32_t)spec->time_col[0]);
    wr_buf_put_u32(b, (uint32_t)spec->time_col[1]);
    wr_buf_put_u64(b, (uint64_t)spec->lower);
    wr_buf_put_u64(b, (uint64_t)spec->upper);
    wr_buf_put_u32(b, spec->proctime);
}

static int ij_snapshot(wr_operator *base, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    ij_op *op = (ij_op *)base;
    wr_buf header;
    wr_buf_init(&header);
    put_header(op, &header);
    wr_buf_put_u64(&header, (uint64_t)op->wm);
    wr_jstore_snapshot(&op->st, &header, out);
    wr_buf_fini(&header);
    return 0;
}

static int restore_part(ij_op *op, const wr_snapshot_part *part, wr_error *err)
{
    wr_buf header;
    wr_buf_init(&header);
    put_header(op, &header);
    int64_t wm = WR_WATERMARK_MIN;
    int rc =
        wr_jstore_restore_part(&op->st, part, &header, "an interval join",
                               "the state of another interval join (version, type, columns, keys, "
                               "times or bounds differ)",
                               &wm, err);
    wr_buf_fini(&header);
    /* Every instance saw the same watermarks before the barrier: go on from there. */
    if (rc == 0 && wm > op->wm) op->wm = wm;
    return rc;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static void ij_destroy(wr_operator *base)
{
    ij_op *op = (ij_op *)base;
    if (op == NULL) return;
    wr_jstore_fini(&op->st);
    wr_jchunk_free(op->ch);
    wr_free(op->hit);
    wr_free(op->rec);
    wr_free(op->pin);
    wr_free(op->pst);
    wr_free(op->phys);
    wr_free(op->krec);
    wr_free(op->stime);
    wr_batch_free(op->out);
    wr_free(op);
}

/* Rejects what the operator cannot run, naming the problem. */
static int check_spec(const ij_spec *spec, wr_error *err)
{
    const wr_join_desc *d = &spec->d;
    int rc = wr_join_desc_check(d, WHO, err);
    if (rc) return rc;
    if (d->type > WR_JOIN_TYPE_FULL)
        return wr_error_set(err, WR_ERR_ARGUMENT,
                            WHO ": %s is not supported (INNER, LEFT, "
                                "RIGHT or FULL)",
                            wr_join_type_name(d->type));
    if (spec->lower > spec->upper)
        return wr_error_set(err, WR_ERR_ARGUMENT,
                            WHO ": the lower bound %lld ms is above the upper bound %lld ms",
                            (long long)spec->lower, (long long)spec->upper);
    if (spec->proctime) return 0;
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

static wr_operator *ij_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const ij_spec *spec = p;
    const wr_join_desc *d = &spec->d;
    if (check_spec(spec, err)) return NULL;
    ij_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_interval_join_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->d = d;
    op->outer[0] = d->type == WR_JOIN_TYPE_LEFT || d->type == WR_JOIN_TYPE_FULL;
    op->outer[1] = d->type == WR_JOIN_TYPE_RIGHT || d->type == WR_JOIN_TYPE_FULL;
    /* lower <= upper, so max(-lower, upper) >= 0: pairs never trail the input watermark. */
    int64_t reach = sat_sub(0, spec->lower) > spec->upper ? sat_sub(0, spec->lower) : spec->upper;
    op->delay = op->outer[0] || op->outer[1] ? sat_add(reach, 1) : reach;
    op->wm = WR_WATERMARK_MIN;
    wr_jstore_init(&op->st, d, ctx);
    op->ch = wr_jchunk_new();
    op->hit = wr_malloc(CAP);
    op->rec = wr_malloc(CAP * sizeof(uint32_t));
    op->pin = wr_malloc(CAP * sizeof(uint32_t));
    op->pst = wr_malloc(CAP * sizeof(uint32_t));
    op->phys = wr_malloc(CAP * sizeof(uint32_t));
    op->krec = wr_malloc(CAP * sizeof(uint32_t));
    op->stime = wr_malloc(CAP * sizeof(int64_t));
    int nall = d->nleft + d->nright;
    wr_type types[nall > 0 ? nall : 1];
    int nout = wr_join_output_types(d, types);
    op->out = wr_batch_new(types, nout, CAP);
    if (ctx->restore)
        for (int i = 0; i < ctx->restore->nparts; i++) {
            const wr_snapshot_part *part = ctx->restore->parts[i];
            /* Only this instance's key groups (the runtime hands no others; a test may). */
            if (part->keygroup >= 0 && !wr_jstore_owns(&op->st, part->keygroup)) continue;
            if (restore_part(op, part, err)) {
                wr_error_prefix(err, WHO ": restoring key group %d: ", part->keygroup);
                ij_destroy(&op->base);
                return NULL;
            }
        }
    if (spec->proctime) set_timer(op);
    return &op->base;
}

/* State bytes: both sides' rows, their records and time order, and the keys (jstore). */
static size_t ij_state_bytes(const wr_operator *base)
{
    return wr_jstore_bytes(&((const ij_op *)base)->st);
}

const wr_operator_ops wr_interval_join_ops = {
    .kind = "interval_join",
    .create = ij_create,
    .process = ij_process,
    .end_input = ij_end_input,
    .watermark = ij_watermark,
    .on_time = ij_on_time,
    .snapshot = ij_snapshot,
    .state_bytes = ij_state_bytes,
    .destroy = ij_destroy,
};
