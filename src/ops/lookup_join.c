/*
 * lookup_join.c — the processing-time lookup join; see lookup_join.h.
 *
 * Row by row: an input row's key columns go to the lookup source, the rows
 * it returns are decoded into a scratch batch of the table's columns in
 * chunks, each chunk is paired with the input row and filtered by the
 * residual, and the passing pairs are appended to the output batch, which
 * is emitted when full and at the end of every input batch. Output keeps
 * input order.
 */
#include "lookup_join.h"
#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../expr/expr.h"
#include "../types/row_codec.h"
#include "colstore.h"
#include "operator.h"

#include <string.h>

typedef struct lj_spec {
    wr_join_desc d;
    wr_lookup_spec src;
} lj_spec;

typedef struct lj_op {
    wr_operator base;
    const lj_spec *spec;
    wr_lookup *src;
    int nout;        /* output columns: left then right */
    size_t *widths;  /* slot width of each output column */
    bool *is_str;    /* whether it holds wr_str views */
    wr_batch *right; /* the table's rows found for one input row (a chunk of them) */
    wr_batch *pairs; /* the input row with each of them, for the residual */
    uint32_t *sel;
    wr_batch *out;
    wr_buf rows; /* what the source returned */
} lj_op;

static void spec_free(void *p)
{
    lj_spec *spec = p;
    wr_free((void *)spec->d.left_types);
    wr_free((void *)spec->d.right_types);
    wr_free((void *)spec->d.left_keys);
    wr_free((void *)spec->d.right_keys);
    wr_expr_free(spec->d.residual);
    if (spec->src.conf_free) spec->src.conf_free(spec->src.conf);
    wr_free(spec);
}

wr_operator_spec wr_lookup_join_spec(const wr_join_desc *d, wr_lookup_spec *source)
{
    lj_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->d = *d;
    spec->d.left_types = wr_memdup_array(d->left_types, d->nleft, sizeof(wr_type));
    spec->d.right_types = wr_memdup_array(d->right_types, d->nright, sizeof(wr_type));
    spec->d.left_keys = wr_memdup_array(d->left_keys, d->nkeys, sizeof(int));
    spec->d.right_keys = wr_memdup_array(d->right_keys, d->nkeys, sizeof(int));
    spec->d.null_safe = NULL;
    spec->d.shared_build = false;
    spec->src = *source;
    memset(source, 0, sizeof(*source));
    wr_operator_spec out = {&wr_lookup_join_ops, spec, spec_free, -1, false};
    return out;
}

static void lj_destroy(wr_operator *base)
{
    lj_op *op = (lj_op *)base;
    if (op->src) op->spec->src.close(op->src);
    wr_batch_free(op->right);
    wr_batch_free(op->pairs);
    wr_batch_free(op->out);
    wr_free(op->sel);
    wr_free(op->widths);
    wr_free(op->is_str);
    wr_buf_fini(&op->rows);
    wr_free(op);
}

static wr_operator *lj_create(const void *spec_p, wr_op_ctx *ctx, wr_error *err)
{
    const lj_spec *spec = spec_p;
    const wr_join_desc *d = &spec->d;
    if (wr_join_desc_check(d, "lookup join", err)) return NULL;
    if (d->type != WR_JOIN_TYPE_INNER && d->type != WR_JOIN_TYPE_LEFT) {
        wr_error_set(err, WR_ERR_ARGUMENT, "lookup join: %s is not INNER or LEFT",
                     wr_join_type_name(d->type));
        return NULL;
    }
    if (d->nkeys == 0 || spec->src.lookup == NULL) {
        wr_error_set(err, WR_ERR_ARGUMENT, "lookup join: no lookup keys or no lookup source");
        return NULL;
    }
    lj_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_lookup_join_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->nout = d->nleft + d->nright;
    wr_type *types = wr_malloc(sizeof(wr_type) * (size_t)(op->nout + 1));
    wr_join_output_types(d, types);
    op->widths = wr_malloc(sizeof(size_t) * (size_t)(op->nout + 1));
    op->is_str = wr_malloc(sizeof(bool) * (size_t)(op->nout + 1));
    for (int c = 0; c < op->nout; c++) {
        op->widths[c] = wr_type_width(types[c].id);
        op->is_str[c] = wr_value_kind_of(types[c].id) == WR_VALUE_STR;
    }
    op->right = wr_batch_new(d->right_types, d->nright, WR_BATCH_CAPACITY);
    op->pairs = wr_batch_new(types, op->nout, WR_BATCH_CAPACITY);
    op->out = wr_batch_new(types, op->nout, WR_BATCH_CAPACITY);
    op->sel = wr_malloc(sizeof(uint32_t) * WR_BATCH_CAPACITY);
    wr_free(types);
    wr_buf_init(&op->rows);
    return &op->base;
}

static int lj_open(wr_operator *base, wr_error *err)
{
    lj_op *op = (lj_op *)base;
    return op->spec->src.open(op->spec->src.conf, &op->src, err);
}

/* Copies columns [from, from + n) of src row srow into dst row drow at column first. */
static void put_cols(lj_op *op, wr_batch *dst, int drow, int first, const wr_batch *src, int srow,
                     int n)
{
    for (int c = 0; c < n; c++) {
        wr_vector *v = &dst->cols[first + c];
        if (src == NULL || wr_vector_is_null(&src->cols[c], srow)) {
            wr_batch_set_null(dst, first + c, drow);
            continue;
        }
        size_t w = op->widths[first + c];
        wr_slot_copy((char *)v->data + (size_t)drow * w,
                     (const char *)src->cols[c].data + (size_t)srow * w, w);
        if (v->validity) wr_validity_set(v->validity, drow, true);
    }
}

static int flush(lj_op *op, wr_error *err)
{
    int rc = wr_op_emit(op->base.ctx, op->out, err);
    wr_batch_reset(op->out);
    return rc;
}

/* Appends row r of src (output columns) with the given kind, emitting a full batch first. */
static int append(lj_op *op, const wr_batch *src, int r, const wr_batch *left, int lrow,
                  wr_change_kind kind, wr_error *err)
{
    if (op->out->count == op->out->capacity) {
        int rc = flush(op, err);
        if (rc) return rc;
    }
    int o = op->out->count++;
    if (src) {
        put_cols(op, op->out, o, 0, src, r, op->nout);
        /* The table's strings live in a scratch batch the next chunk reuses: copy them. */
        const wr_join_desc *d = &op->spec->d;
        for (int c = d->nleft; c < op->nout; c++) {
            wr_vector *v = &op->out->cols[c];
            if (!op->is_str[c] || wr_vector_is_null(v, o)) continue;
            wr_str *slot = (wr_str *)v->data + o;
            *slot = wr_batch_str(op->out, slot->ptr, slot->len);
        }
    } else {
        /* The input row padded with NULLs. */
        put_cols(op, op->out, o, 0, left, lrow, op->spec->d.nleft);
        put_cols(op, op->out, o, op->spec->d.nleft, NULL, 0, op->spec->d.nright);
    }
    if (kind != WR_KIND_INSERT || op->out->kinds) wr_batch_kinds(op->out)[o] = (uint8_t)kind;
    return 0;
}

/* Joins one input row with the rows the source finds for it. */
static int join_row(lj_op *op, const wr_batch *in, int row, wr_error *err)
{
    const wr_join_desc *d = &op->spec->d;
    wr_change_kind kind = wr_batch_kind(in, row);
    bool hit = false;
    bool nullkey = false;
    for (int k = 0; k < d->nkeys; k++)
        nullkey |= wr_vector_is_null(&in->cols[d->left_keys[k]], row);
    int n = 0;
    wr_buf_reset(&op->rows);
    if (!nullkey) {
        n = op->spec->src.lookup(op->src, in, d->left_keys, row, &op->rows, err);
        if (n < 0) return n;
    }
    size_t off = 0;
    const uint8_t *bytes = (const uint8_t *)op->rows.data;
    for (int done = 0; done < n;) {
        wr_batch_reset(op->right);
        wr_batch_reset(op->pairs);
        int k = 0;
        for (; k < WR_BATCH_CAPACITY && done + k < n; k++) {
            uint32_t len;
            if (off + 4 > op->rows.len)
                return wr_error_set(err, WR_ERR_INTERNAL, "lookup join: short row list");
            memcpy(&len, bytes + off, 4);
            off += 4;
            int used = wr_row_decode_append(op->right, bytes + off, len, err);
            if (used < 0) return used;
            off += len;
            put_cols(op, op->pairs, k, 0, in, row, d->nleft);
            put_cols(op, op->pairs, k, d->nleft, op->right, k, d->nright);
        }
        op->pairs->count = k;
        int npass = k;
        if (d->residual) {
            wr_eval ev = {&op->pairs->arena, k};
            int rc = wr_expr_filter(&ev, d->residual, op->pairs, NULL, k, op->sel, &npass, err);
            if (rc) return rc;
        } else {
            for (int i = 0; i < k; i++) op->sel[i] = (uint32_t)i;
        }
        for (int i = 0; i < npass; i++) {
            int rc = append(op, op->pairs, (int)op->sel[i], NULL, 0, kind, err);
            if (rc) return rc;
        }
        hit |= npass > 0;
        done += k;
    }
    if (!hit && d->type == WR_JOIN_TYPE_LEFT) return append(op, NULL, 0, in, row, kind, err);
    return 0;
}

static int lj_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    (void)input;
    lj_op *op = (lj_op *)base;
    int n = wr_batch_rows(batch);
    for (int i = 0; i < n; i++) {
        int rc = join_row(op, batch, wr_batch_row(batch, i), err);
        if (rc) return rc;
    }
    return flush(op, err);
}

const wr_operator_ops wr_lookup_join_ops = {
    .kind = "lookup_join",
    .create = lj_create,
    .open = lj_open,
    .process = lj_process,
    .destroy = lj_destroy,
};

/* ---- rows indexed by key ------------------------------------------------------------ */

typedef struct ix_entry {
    uint64_t hash;
    uint32_t next; /* next entry of the bucket + 1, or 0 */
    uint32_t klen;
    size_t koff; /* the key's bytes in bytes */
    size_t roff; /* the row's length (u32) and bytes in bytes */
} ix_entry;

struct wr_row_index {
    int *keys, nkeys;
    int *all, ncols;
    WR_VEC(ix_entry) entries;
    uint32_t *buckets; /* first entry + 1, or 0 */
    uint64_t nbuckets;
    wr_buf bytes;
    wr_buf probe;
};

wr_row_index *wr_row_index_new(const int *keys, int nkeys, int ncols)
{
    wr_row_index *ix = wr_calloc(1, sizeof(*ix));
    ix->keys = wr_memdup_array(keys, nkeys, sizeof(int));
    ix->nkeys = nkeys;
    ix->ncols = ncols;
    ix->all = wr_malloc(sizeof(int) * (size_t)(ncols > 0 ? ncols : 1));
    for (int i = 0; i < ncols; i++) ix->all[i] = i;
    wr_buf_init(&ix->bytes);
    wr_buf_init(&ix->probe);
    wr_row_index_clear(ix);
    return ix;
}

void wr_row_index_clear(wr_row_index *ix)
{
    ix->entries.n = 0;
    wr_buf_reset(&ix->bytes);
    wr_free(ix->buckets);
    ix->nbuckets = 16;
    ix->buckets = wr_calloc(ix->nbuckets, sizeof(uint32_t));
}

void wr_row_index_free(wr_row_index *ix)
{
    if (ix == NULL) return;
    wr_free(ix->keys);
    wr_free(ix->all);
    WR_VEC_FREE(&ix->entries);
    wr_free(ix->buckets);
    wr_buf_fini(&ix->bytes);
    wr_buf_fini(&ix->probe);
    wr_free(ix);
}

static void ix_link(wr_row_index *ix, uint32_t i)
{
    ix_entry *e = &ix->entries.v[i];
    uint32_t *head = &ix->buckets[e->hash & (ix->nbuckets - 1)];
    e->next = *head;
    *head = i + 1;
}

void wr_row_index_add(wr_row_index *ix, const wr_batch *batch)
{
    int n = wr_batch_rows(batch);
    for (int i = 0; i < n; i++) {
        int r = wr_batch_row(batch, i);
        ix_entry e = {0};
        e.koff = ix->bytes.len;
        wr_row_encode(batch, r, ix->keys, ix->nkeys, &ix->bytes);
        e.klen = (uint32_t)(ix->bytes.len - e.koff);
        e.hash = wr_hash_bytes(ix->bytes.data + e.koff, e.klen);
        e.roff = ix->bytes.len;
        uint32_t len = 0;
        wr_buf_append(&ix->bytes, &len, sizeof(len));
        wr_row_encode(batch, r, ix->all, ix->ncols, &ix->bytes);
        len = (uint32_t)(ix->bytes.len - e.roff - sizeof(len));
        memcpy(ix->bytes.data + e.roff, &len, sizeof(len));
        WR_VEC_PUSH(&ix->entries, e);
        if ((uint64_t)ix->entries.n * 2 > ix->nbuckets) {
            ix->nbuckets *= 4;
            wr_free(ix->buckets);
            ix->buckets = wr_calloc_written(ix->nbuckets, sizeof(uint32_t));
            for (uint32_t k = 0; k < (uint32_t)ix->entries.n; k++) ix_link(ix, k);
        } else {
            ix_link(ix, (uint32_t)ix->entries.n - 1);
        }
    }
}

int wr_row_index_find(wr_row_index *ix, const wr_batch *keys, const int *cols, int row,
                      wr_buf *rows)
{
    wr_buf_reset(&ix->probe);
    wr_row_encode(keys, row, cols, ix->nkeys, &ix->probe);
    uint64_t h = wr_hash_bytes(ix->probe.data, ix->probe.len);
    int found = 0;
    for (uint32_t i = ix->buckets[h & (ix->nbuckets - 1)]; i; i = ix->entries.v[i - 1].next) {
        const ix_entry *e = &ix->entries.v[i - 1];
        if (e->hash != h || e->klen != ix->probe.len ||
            memcmp(ix->bytes.data + e->koff, ix->probe.data, e->klen) != 0)
            continue;
        uint32_t len;
        memcpy(&len, ix->bytes.data + e->roff, sizeof(len));
        wr_buf_append(rows, ix->bytes.data + e->roff, sizeof(len) + len);
        found++;
    }
    return found;
}

/* ---- a bounded source as a lookup source ------------------------------------------------ */

typedef struct src_conf {
    wr_operator_spec source;
    int ncols;
    int *keys, nkeys;
    int64_t reload_ms;
    wr_config config; /* what the source's instance sees as the job's options: none */
} src_conf;

struct wr_lookup {
    const src_conf *conf;
    wr_row_index *ix;
    int64_t loaded_ms;
    bool loaded;
};

/* Collects the source's rows into the index. */
typedef struct index_collector {
    wr_collector base;
    wr_row_index *ix;
} index_collector;

static int index_push(wr_collector *self, wr_batch *batch, wr_error *err)
{
    (void)err;
    wr_row_index_add(((index_collector *)self)->ix, batch);
    return 0;
}

static int index_mark(wr_collector *self, const wr_mark *mark, wr_error *err)
{
    (void)self, (void)mark, (void)err;
    return 0;
}

/* Runs the source to its end into a fresh index. */
static int load(wr_lookup *l, wr_error *err)
{
    const src_conf *conf = l->conf;
    wr_row_index_clear(l->ix);
    index_collector col = {{index_push, index_mark}, l->ix};
    wr_op_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.parallelism = 1;
    ctx.max_parallelism = 128;
    ctx.name = "lookup source";
    ctx.config = &conf->config;
    ctx.out = &col.base;
    wr_collector *outs[1] = {&col.base};
    ctx.outs = outs;
    ctx.nouts = 1;
    ctx.timer_at_ms = INT64_MAX;
    ctx.preferred_input = -1;
    const wr_operator_ops *ops = conf->source.ops;
    wr_operator *op = ops->create(conf->source.spec, &ctx, err);
    if (op == NULL) return err->code ? err->code : WR_ERR_INTERNAL;
    op->ctx = &ctx; /* as the runtime does */
    int rc = ops->open ? ops->open(op, err) : 0;
    for (wr_source_status st = WR_SOURCE_MORE; rc == 0 && st != WR_SOURCE_END;) {
        rc = ops->run(op, &st, err);
        if (rc == 0 && st == WR_SOURCE_IDLE) {
            int64_t wait = ctx.idle_until_ns - wr_clock_mono_ns();
            if (wait > 0) wr_clock_sleep_ns(wait < 50000000 ? wait : 50000000);
        }
    }
    ops->destroy(op);
    if (rc) {
        wr_error_prefix(err, "loading the looked-up table: ");
        return rc;
    }
    l->loaded = true;
    l->loaded_ms = wr_clock_wall_ms();
    return 0;
}

static int src_open(const void *p, wr_lookup **out, wr_error *err)
{
    const src_conf *conf = p;
    wr_lookup *l = wr_calloc(1, sizeof(*l));
    l->conf = conf;
    l->ix = wr_row_index_new(conf->keys, conf->nkeys, conf->ncols);
    *out = l;
    return load(l, err);
}

static int src_lookup(wr_lookup *l, const wr_batch *keys, const int *cols, int row, wr_buf *rows,
                      wr_error *err)
{
    if (l->conf->reload_ms > 0 && wr_clock_wall_ms() - l->loaded_ms >= l->conf->reload_ms) {
        int rc = load(l, err);
        if (rc) return rc;
    }
    return wr_row_index_find(l->ix, keys, cols, row, rows);
}

static void src_close(wr_lookup *l)
{
    wr_row_index_free(l->ix);
    wr_free(l);
}

static void src_conf_free(void *p)
{
    src_conf *conf = p;
    wr_operator_spec_fini(&conf->source);
    wr_free(conf->keys);
    wr_config_fini(&conf->config);
    wr_free(conf);
}

wr_lookup_spec wr_lookup_from_source(wr_operator_spec *source, int ncols, const int *keys,
                                     int nkeys, int64_t reload_ms)
{
    src_conf *conf = wr_calloc(1, sizeof(*conf));
    conf->source = *source;
    memset(source, 0, sizeof(*source));
    conf->ncols = ncols;
    conf->keys = wr_memdup_array(keys, nkeys, sizeof(int));
    conf->nkeys = nkeys;
    conf->reload_ms = reload_ms;
    wr_config_init(&conf->config);
    wr_lookup_spec spec = {src_open, src_lookup, src_close, conf, src_conf_free};
    return spec;
}
