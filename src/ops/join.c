/*
 * join.c — the batch hash join; see join.h.
 *
 * Build (input 1): rows are copied into a column store. When the build side
 * ends the table is laid out once: each row gets a bucket, a counting pass
 * gives every bucket a contiguous range, and the rows are moved so that
 * bucket b holds store rows offsets[b] .. offsets[b+1]-1 in arrival order
 * (place_by_bucket). Probing a key then reads offsets[] once and scans
 * adjacent rows; there are no chains to chase. The bucket is the top bits of
 * the key hash, or, for one integer key whose values are dense enough, the
 * key minus the smallest key (choose_direct: no hashing, no key comparison,
 * and for a dense id column no offsets either). Rows whose key can match
 * nothing (a NULL in a key that is not null-safe) sit after the last bucket
 * when RIGHT or FULL must emit them, and are dropped on arrival otherwise.
 * With no keys every row is in the one bucket (a nested loop).
 *
 * Probe (input 0): a chunk of up to WR_BATCH_CAPACITY rows at a time. All
 * keys are hashed, every row gets its bucket's range (the directory entries
 * and first build keys are prefetched for the whole chunk, so their cache
 * misses overlap), and then rounds take the next build row of every row still
 * in range as a candidate pair, compare the keys column by column over all
 * candidates and keep the equal ones (with a dense id column, one pass: the
 * key is the build row). Full buffers of pairs are gathered column by column
 * into an output batch, which the residual filters by a selection before it
 * is emitted; pairs whose probe rows ascend (at most one per row, as in a
 * join on a unique key) are emitted over the probe batch itself, with the
 * paired rows selected and only the build columns gathered. Each round is a
 * handful of tight loops over arrays, with no per-row type dispatch. Probe
 * rows that arrive before the build side ended are copied and joined when it
 * does.
 */
#include "join.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/hash.h"
#include "../base/vec.h"
#include "../types/row_codec.h"
#include "colstore.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#define CAP WR_BATCH_CAPACITY

/* The hash a NULL of a null-safe key contributes (NULL matches NULL there). */
#define NULL_HASH 0x7f4a7c159e3779b9ULL

typedef struct join_spec {
    wr_join_desc d; /* every array owned; null_safe always set */
} join_spec;

/* The build rows laid out by bucket (build_table). */
typedef struct join_table {
    wr_colstore build;
    bool direct;     /* buckets by key - key_min (see choose_direct), else by hash */
    bool identity;   /* direct, and each bucket holds one row: bucket b is row b */
    int64_t key_min; /* direct: the smallest build key */
    int bits;        /* by hash: nbuckets = 1 << bits */
    uint64_t nbuckets;
    uint32_t *offsets; /* nbuckets + 2 entries: bucket ranges, then the unmatchable tail */
    uint64_t *hashes;  /* per build row, when keys are checked by hash first (else NULL) */
} join_table;

static void table_fini(join_table *t)
{
    wr_colstore_fini(&t->build);
    wr_free(t->offsets);
    wr_free(t->hashes);
}

/*
 * A table shared by all instances (wr_join_desc.shared_build), in ctx->shared: every
 * instance appends its build rows under lock; the last whose build side ends lays the
 * table out and sets ready; then all probe it, reading only.
 */
typedef struct join_shared {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* ready was set */
    int ended;           /* instances whose build side ended */
    atomic_bool ready;
    join_table table;
} join_shared;

static void shared_fini(void *p)
{
    join_shared *js = p;
    table_fini(&js->table);
    pthread_mutex_destroy(&js->lock);
    pthread_cond_destroy(&js->cond);
    wr_free(js);
}

typedef struct join_op {
    wr_operator base;
    const wr_join_desc *d;
    int nout;
    uint8_t *lkinds, *rkinds; /* wr_value_kind per left / right column */
    /*
     * Per right column: the left key column whose value it equals in every
     * pair, or -1. Integer and string keys of a pair are the same value, so
     * the output copies them from the probe batch instead of gathering them
     * from the build side; float keys are not (-0.0 joins 0.0).
     */
    int *key_twin;
    bool outer_left;  /* LEFT, FULL: unmatched probe rows are emitted */
    bool outer_right; /* RIGHT, FULL: unmatched build rows are emitted at the end */
    bool semi_like;   /* SEMI, ANTI: left columns only, each row at most once */

    /* Build side: the instance's own table, or the one all instances share. */
    join_table own;
    join_table *t;
    join_shared *js;     /* sharing: the shared table's bookkeeping, else NULL */
    bool build_ended;    /* input 1 ended */
    bool built;          /* the table is laid out and this instance may probe it */
    bool probe_ended;    /* input 0 ended */
    bool finished;       /* unmatched build rows were emitted */
    uint8_t *build_hits; /* RIGHT, FULL: per build row, whether it had a passing pair */

    /* Probe rows that arrived before the build side ended (copies). */
    WR_VEC(wr_batch *) pending;

    /* Probe scratch, CAP entries each, indexed by position in the chunk. */
    uint32_t *rows;   /* physical row of each position */
    uint64_t *ph;     /* key hash */
    uint8_t *ok;      /* key can match (no NULL in a key that is not null-safe) */
    uint32_t *cur;    /* next build row to try */
    uint32_t *end;    /* end of the bucket's range */
    uint8_t *hit;     /* had a passing pair */
    uint32_t *active; /* positions with build rows left to try */
    uint32_t *cand_k; /* candidate / matched pairs: chunk position ... */
    uint32_t *cand_r; /* ... and build row */
    uint32_t *lrows;  /* physical probe rows of pairs, for gathering */
    int npairs;

    const void **pkey_data, **bkey_data; /* key columns of the probe chunk / the build store */
    const uint64_t **pkey_valid, **bkey_valid;

    wr_batch *out;   /* output types */
    wr_batch *pairs; /* SEMI/ANTI with a residual: left ++ right columns */
} join_op;

/* ---- spec --------------------------------------------------------------- */

void wr_join_desc_copy(wr_join_desc *dst, const wr_join_desc *d)
{
    *dst = *d;
    dst->left_types = wr_memdup_array(d->left_types, d->nleft, sizeof(wr_type));
    dst->right_types = wr_memdup_array(d->right_types, d->nright, sizeof(wr_type));
    dst->left_keys = wr_memdup_array(d->left_keys, d->nkeys, sizeof(int));
    dst->right_keys = wr_memdup_array(d->right_keys, d->nkeys, sizeof(int));
    bool *null_safe = wr_calloc((size_t)(d->nkeys > 0 ? d->nkeys : 1), sizeof(bool));
    if (d->null_safe && d->nkeys > 0)
        memcpy(null_safe, d->null_safe, (size_t)d->nkeys * sizeof(bool));
    dst->null_safe = null_safe;
}

void wr_join_desc_fini(wr_join_desc *d)
{
    wr_free((void *)d->left_types);
    wr_free((void *)d->right_types);
    wr_free((void *)d->left_keys);
    wr_free((void *)d->right_keys);
    wr_free((void *)d->null_safe);
    wr_expr_free(d->residual);
    memset(d, 0, sizeof(*d));
}

static void spec_free(void *p)
{
    join_spec *spec = p;
    wr_join_desc_fini(&spec->d);
    wr_free(spec);
}

wr_operator_spec wr_hash_join_spec(const wr_join_desc *d)
{
    join_spec *spec = wr_calloc(1, sizeof(*spec));
    wr_join_desc_copy(&spec->d, d);
    wr_operator_spec out = {&wr_hash_join_ops, spec, spec_free, -1, false};
    return out;
}

int wr_join_output_types(const wr_join_desc *d, wr_type *out)
{
    bool semi_like = d->type == WR_JOIN_TYPE_SEMI || d->type == WR_JOIN_TYPE_ANTI;
    bool null_left = d->type == WR_JOIN_TYPE_RIGHT || d->type == WR_JOIN_TYPE_FULL;
    bool null_right = d->type == WR_JOIN_TYPE_LEFT || d->type == WR_JOIN_TYPE_FULL;
    for (int i = 0; i < d->nleft; i++) {
        out[i] = d->left_types[i];
        if (null_left) out[i].nullable = true;
    }
    if (semi_like) return d->nleft;
    for (int i = 0; i < d->nright; i++) {
        out[d->nleft + i] = d->right_types[i];
        if (null_right) out[d->nleft + i].nullable = true;
    }
    return d->nleft + d->nright;
}

const char *wr_join_type_name(wr_join_type type)
{
    switch (type) {
    case WR_JOIN_TYPE_INNER:
        return "InnerJoin";
    case WR_JOIN_TYPE_LEFT:
        return "LeftOuterJoin";
    case WR_JOIN_TYPE_RIGHT:
        return "RightOuterJoin";
    case WR_JOIN_TYPE_FULL:
        return "FullOuterJoin";
    case WR_JOIN_TYPE_SEMI:
        return "LeftSemiJoin";
    case WR_JOIN_TYPE_ANTI:
        return "LeftAntiJoin";
    }
    return "?";
}

/* ---- validation ------------------------------------------------------------ */

/* The highest column the expression reads, or -1. */
static int max_column(const wr_expr *e)
{
    int m = e->kind == WR_EXPR_COLUMN ? e->col : -1;
    for (int i = 0; i < e->nargs; i++) {
        int a = max_column(e->args[i]);
        if (a > m) m = a;
    }
    return m;
}

static int check_columns(const wr_type *types, int n, const char *side, const char *who,
                         wr_error *err)
{
    for (int i = 0; i < n; i++) {
        if (wr_value_kind_of(types[i].id) == WR_VALUE_UNSUPPORTED) {
            char name[64];
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "%s: column %d of the %s input has type %s, which the "
                                "join does not support",
                                who, i, side, wr_type_name(types[i], name, sizeof(name)));
        }
    }
    return 0;
}

int wr_join_desc_check(const wr_join_desc *d, const char *who, wr_error *err)
{
    if ((unsigned)d->type > WR_JOIN_TYPE_ANTI)
        return wr_error_set(err, WR_ERR_ARGUMENT, "%s: unknown join type %d", who, (int)d->type);
    if (d->nleft < 0 || d->nright < 0 || d->nkeys < 0)
        return wr_error_set(err, WR_ERR_ARGUMENT, "%s: negative column or key count (%d, %d, %d)",
                            who, d->nleft, d->nright, d->nkeys);
    int rc = check_columns(d->left_types, d->nleft, "left", who, err);
    if (rc == 0) rc = check_columns(d->right_types, d->nright, "right", who, err);
    if (rc) return rc;
    for (int k = 0; k < d->nkeys; k++) {
        int l = d->left_keys[k], r = d->right_keys[k];
        if (l < 0 || l >= d->nleft || r < 0 || r >= d->nright)
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "%s: key %d names column %d of %d on the left and %d of %d "
                                "on the right",
                                who, k, l, d->nleft, r, d->nright);
        /* Keys compare by their slots, so DECIMALs must agree on what the unscaled value
         * means: 1.5 is 15 at scale 1 but 150 at scale 2 (the planner casts such keys). */
        wr_type lt = d->left_types[l], rt = d->right_types[r];
        if (wr_value_kind_of(lt.id) != wr_value_kind_of(rt.id) ||
            (lt.id == WR_TYPE_DECIMAL && lt.scale != rt.scale)) {
            char a[64], b[64];
            return wr_error_set(err, WR_ERR_ARGUMENT, "%s: key %d compares %s with %s%s", who, k,
                                wr_type_name(lt, a, sizeof(a)), wr_type_name(rt, b, sizeof(b)),
                                lt.id == WR_TYPE_DECIMAL && rt.id == WR_TYPE_DECIMAL
                                    ? " (DECIMAL keys need the same scale)"
                                    : "");
        }
    }
    if (d->residual) {
        if (d->residual->type.id != WR_TYPE_BOOLEAN) {
            char a[64];
            return wr_error_set_at(err, WR_ERR_ARGUMENT, d->residual->pos,
                                   "%s: the join condition has type %s, not BOOLEAN", who,
                                   wr_type_name(d->residual->type, a, sizeof(a)));
        }
        int m = max_column(d->residual);
        if (m >= d->nleft + d->nright)
            return wr_error_set_at(err, WR_ERR_ARGUMENT, d->residual->pos,
                                   "%s: the join condition reads column %d of %d", who, m,
                                   d->nleft + d->nright);
    }
    return 0;
}

int wr_join_check_batch(const wr_batch *batch, const wr_type *types, int ncols, const char *who,
                        const char *side, wr_error *err)
{
    if (batch->ncols != ncols)
        return wr_error_set(err, WR_ERR_ARGUMENT,
                            "%s: a batch of %d columns on the %s input, which has %d", who,
                            batch->ncols, side, ncols);
    for (int c = 0; c < ncols; c++)
        if (wr_value_kind_of(batch->cols[c].type.id) != wr_value_kind_of(types[c].id)) {
            char a[64];
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "%s: column %d of a batch on the %s input has type %s", who, c,
                                side, wr_type_name(batch->cols[c].type, a, sizeof(a)));
        }
    return 0;
}

void wr_join_encode_keys(const wr_batch *batch, int start, int n, const int *keys, int nkeys,
                         wr_buf *out, uint32_t *koff)
{
    wr_buf_reset(out);
    for (int i = 0; i < n; i++) {
        koff[i] = (uint32_t)out->len;
        wr_row_encode(batch, wr_batch_row(batch, start + i), keys, nkeys, out);
    }
    koff[n] = (uint32_t)out->len;
}

int wr_join_foreign_key(const char *who, int kg, int subtask, int first, int last, wr_error *err)
{
    return wr_error_set(err, WR_ERR_RUNTIME,
                        "%s: a row of key group %d reached subtask %d, which owns key groups "
                        "%d..%d (the inputs must be partitioned by the join keys)",
                        who, kg, subtask, first, last);
}

/* ---- keys ------------------------------------------------------------------ */

static inline bool bit_get(const uint64_t *bits, uint32_t i)
{
    return (bits[i >> 6] >> (i & 63)) & 1;
}

/* Floats hash and compare by value: -0.0 equals 0.0 and every NaN equals every NaN. */
static inline uint64_t f64_key(double x)
{
    uint64_t u;
    if (x == 0) x = 0;
    if (isnan(x)) x = NAN;
    memcpy(&u, &x, sizeof(u));
    return u;
}

static inline bool f64_eq(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/*
 * The hash of a fixed-width key: Fibonacci hashing. Buckets take the top bits
 * of the product, which depend on every bit of the key, and one multiply is
 * all a probe row pays. (Key groups and exchanges use wr_hash_bytes over the
 * row codec; a join's table only has to agree with itself.)
 */
static inline uint64_t spread(uint64_t x)
{
    return x * 0x9e3779b97f4a7c15ULL;
}

typedef struct i128 {
    uint64_t lo, hi;
} i128;

/*
 * Hashes the keys of rows[0..n) into h[] and sets ok[i] to whether row i can
 * match (no NULL in a key that is not null-safe). data/valid hold each key's
 * slots and bitmap (a probe batch's vectors or the build store's columns).
 */
static void hash_keys(const join_op *op, const void *const *data, const uint64_t *const *valid,
                      const uint32_t *rows, int n, uint64_t *h, uint8_t *ok)
{
    const wr_join_desc *d = op->d;
    memset(ok, 1, (size_t)n);
    if (d->nkeys == 0) memset(h, 0, (size_t)n * sizeof(uint64_t));
    for (int k = 0; k < d->nkeys; k++) {
        const void *src = data[k];
        const uint64_t *v = valid[k];
        bool null_safe = d->null_safe[k];
        /* Keys after the first are folded in by multiplying: every part is already mixed. */
#define HASH_LOOP(T, HASH)                                                                         \
    {                                                                                              \
        const T *s = src;                                                                          \
        for (int i = 0; i < n; i++) {                                                              \
            uint32_t r = rows[i];                                                                  \
            uint64_t hc;                                                                           \
            if (v && !bit_get(v, r)) {                                                             \
                hc = NULL_HASH;                                                                    \
                if (!null_safe) ok[i] = 0;                                                         \
            } else {                                                                               \
                T x = s[r];                                                                        \
                hc = (HASH);                                                                       \
            }                                                                                      \
            h[i] = k == 0 ? hc : (h[i] * 0x9e3779b97f4a7c15ULL) ^ hc;                              \
        }                                                                                          \
    }                                                                                              \
    break;
        switch ((wr_value_kind)op->rkinds[d->right_keys[k]]) {
        case WR_VALUE_I8:
            HASH_LOOP(int8_t, spread((uint64_t)(int64_t)x))
        case WR_VALUE_I16:
            HASH_LOOP(int16_t, spread((uint64_t)(int64_t)x))
        case WR_VALUE_I32:
            HASH_LOOP(int32_t, spread((uint64_t)(int64_t)x))
        case WR_VALUE_I64:
            HASH_LOOP(int64_t, spread((uint64_t)x))
        case WR_VALUE_I128:
            HASH_LOOP(i128, spread(spread(x.hi) ^ x.lo))
        case WR_VALUE_F32:
            HASH_LOOP(float, spread(f64_key(x)))
        case WR_VALUE_F64:
            HASH_LOOP(double, spread(f64_key(x)))
        case WR_VALUE_STR:
            HASH_LOOP(wr_str, wr_hash_bytes(x.ptr, x.len))
        case WR_VALUE_UNSUPPORTED:
            assert(!"checked in create");
            break;
#undef HASH_LOOP
        }
    }
}

static inline uint32_t bucket_of(const join_op *op, uint64_t h)
{
    return op->t->bits ? (uint32_t)(h >> (64 - op->t->bits)) : 0;
}

/*
 * Keeps the candidate pairs [from, m) whose keys are equal, moving them down
 * to start at `from`; returns the new end. NULL equals NULL here: a NULL in a
 * key that is not null-safe never becomes a candidate in the first place.
 */
static int compare_keys(join_op *op, int from, int m)
{
    const wr_join_desc *d = op->d;
    if (op->t->direct) return m; /* a bucket holds exactly one key */
    uint32_t *ck = op->cand_k, *cr = op->cand_r;
    const uint32_t *rows = op->rows;
    if (op->t->hashes) {
        const uint64_t *bh = op->t->hashes, *ph = op->ph;
        int j = from;
        for (int i = from; i < m; i++) {
            ck[j] = ck[i];
            cr[j] = cr[i];
            j += bh[cr[i]] == ph[ck[i]];
        }
        m = j;
    }
    for (int k = 0; k < d->nkeys && m > from; k++) {
        const uint64_t *pv = op->pkey_valid[k], *bv = op->bkey_valid[k];
        const void *pdata = op->pkey_data[k], *bdata = op->bkey_data[k];
        int j = from;
#define EQ_LOOP(T, EQ)                                                                             \
    {                                                                                              \
        const T *pa = pdata, *ba = bdata;                                                          \
        if (pv == NULL && bv == NULL) {                                                            \
            for (int i = from; i < m; i++) {                                                       \
                T a = pa[rows[ck[i]]], b = ba[cr[i]];                                              \
                ck[j] = ck[i];                                                                     \
                cr[j] = cr[i];                                                                     \
                j += (EQ);                                                                         \
            }                                                                                      \
        } else {                                                                                   \
            for (int i = from; i < m; i++) {                                                       \
                uint32_t pr = rows[ck[i]], br = cr[i];                                             \
                bool pn = pv && !bit_get(pv, pr), bn = bv && !bit_get(bv, br);                     \
                T a = pa[pr], b = ba[br];                                                          \
                ck[j] = ck[i];                                                                     \
                cr[j] = cr[i];                                                                     \
                j += (pn || bn) ? (pn && bn) : (EQ);                                               \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    break;
        switch ((wr_value_kind)op->rkinds[d->right_keys[k]]) {
        case WR_VALUE_I8:
            EQ_LOOP(int8_t, a == b)
        case WR_VALUE_I16:
            EQ_LOOP(int16_t, a == b)
        case WR_VALUE_I32:
            EQ_LOOP(int32_t, a == b)
        case WR_VALUE_I64:
            EQ_LOOP(int64_t, a == b)
        case WR_VALUE_I128:
            EQ_LOOP(i128, a.lo == b.lo && a.hi == b.hi)
        case WR_VALUE_F32:
            EQ_LOOP(float, f64_eq(a, b))
        case WR_VALUE_F64:
            EQ_LOOP(double, f64_eq(a, b))
        case WR_VALUE_STR:
            EQ_LOOP(wr_str, a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0))
        case WR_VALUE_UNSUPPORTED:
            break;
#undef EQ_LOOP
        }
        m = j;
    }
    return m;
}

/* ---- create / destroy --------------------------------------------------------- */

static void join_destroy(wr_operator *base)
{
    join_op *op = (join_op *)base;
    table_fini(&op->own);
    wr_free(op->lkinds);
    wr_free(op->rkinds);
    wr_free(op->key_twin);
    wr_free(op->build_hits);
    for (int i = 0; i < op->pending.n; i++) wr_batch_free(op->pending.v[i]);
    WR_VEC_FREE(&op->pending);
    wr_free(op->rows);
    wr_free(op->ph);
    wr_free(op->ok);
    wr_free(op->cur);
    wr_free(op->end);
    wr_free(op->hit);
    wr_free(op->active);
    wr_free(op->cand_k);
    wr_free(op->cand_r);
    wr_free(op->lrows);
    wr_free(op->pkey_data);
    wr_free(op->bkey_data);
    wr_free(op->pkey_valid);
    wr_free(op->bkey_valid);
    wr_batch_free(op->out);
    wr_batch_free(op->pairs);
    wr_free(op);
}

static wr_operator *join_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const join_spec *spec = p;
    const wr_join_desc *d = &spec->d;
    if (wr_join_desc_check(d, "hash join", err)) return NULL;
    join_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_hash_join_ops;
    op->base.ctx = ctx;
    op->d = d;
    op->outer_left = d->type == WR_JOIN_TYPE_LEFT || d->type == WR_JOIN_TYPE_FULL;
    op->outer_right = d->type == WR_JOIN_TYPE_RIGHT || d->type == WR_JOIN_TYPE_FULL;
    op->semi_like = d->type == WR_JOIN_TYPE_SEMI || d->type == WR_JOIN_TYPE_ANTI;
    /* Read the build side first, so probe rows need not be kept until it ends. */
    ctx->preferred_input = 1;
    op->lkinds = wr_malloc((size_t)d->nleft + 1);
    op->rkinds = wr_malloc((size_t)d->nright + 1);
    for (int i = 0; i < d->nleft; i++)
        op->lkinds[i] = (uint8_t)wr_value_kind_of(d->left_types[i].id);
    for (int i = 0; i < d->nright; i++)
        op->rkinds[i] = (uint8_t)wr_value_kind_of(d->right_types[i].id);
    wr_colstore_init(&op->own.build, d->right_types, d->nright);
    op->t = &op->own;
    if (d->shared_build && ctx->parallelism > 1) {
        /* Sharing needs the runtime's shared slot, and no per-row record of build matches. */
        if (ctx->shared == NULL || op->outer_right) {
            wr_error_set(err, WR_ERR_INTERNAL,
                         "hash join: a shared build side needs the runtime and an inner, left, "
                         "semi or anti join");
            join_destroy(&op->base);
            return NULL;
        }
        wr_op_shared *sh = ctx->shared;
        pthread_mutex_lock(&sh->lock);
        if (sh->data == NULL) {
            join_shared *js = wr_calloc(1, sizeof(*js));
            pthread_mutex_init(&js->lock, NULL);
            pthread_cond_init(&js->cond, NULL);
            wr_colstore_init(&js->table.build, d->right_types, d->nright);
            sh->data = js;
            sh->fini = shared_fini;
        }
        op->js = sh->data;
        pthread_mutex_unlock(&sh->lock);
        op->t = &op->js->table;
    }
    op->key_twin = wr_malloc((size_t)(d->nright + 1) * sizeof(int));
    for (int c = 0; c < d->nright; c++) op->key_twin[c] = -1;
    for (int k = 0; k < d->nkeys; k++) {
        wr_value_kind kind = op->rkinds[d->right_keys[k]];
        if (kind != WR_VALUE_F32 && kind != WR_VALUE_F64)
            op->key_twin[d->right_keys[k]] = d->left_keys[k];
    }

    int nall = d->nleft + d->nright;
    wr_type types[nall > 0 ? nall : 1];
    op->nout = wr_join_output_types(d, types);
    op->out = wr_batch_new(types, op->nout, CAP);
    if (op->semi_like && d->residual) {
        memcpy(types, d->left_types, (size_t)d->nleft * sizeof(wr_type));
        memcpy(types + d->nleft, d->right_types, (size_t)d->nright * sizeof(wr_type));
        op->pairs = wr_batch_new(types, nall, CAP);
    }

    op->rows = wr_malloc(CAP * sizeof(uint32_t));
    op->ph = wr_malloc(CAP * sizeof(uint64_t));
    op->ok = wr_malloc(CAP);
    op->cur = wr_malloc(CAP * sizeof(uint32_t));
    op->end = wr_malloc(CAP * sizeof(uint32_t));
    op->hit = wr_malloc(CAP);
    op->active = wr_malloc(CAP * sizeof(uint32_t));
    op->cand_k = wr_malloc(CAP * sizeof(uint32_t));
    op->cand_r = wr_malloc(CAP * sizeof(uint32_t));
    op->lrows = wr_malloc(CAP * sizeof(uint32_t));
    size_t nk = (size_t)(d->nkeys > 0 ? d->nkeys : 1);
    op->pkey_data = wr_calloc(nk, sizeof(void *));
    op->bkey_data = wr_calloc(nk, sizeof(void *));
    op->pkey_valid = wr_calloc(nk, sizeof(uint64_t *));
    op->bkey_valid = wr_calloc(nk, sizeof(uint64_t *));
    return &op->base;
}

/* ---- build ------------------------------------------------------------------- */

static int cancelled(join_op *op, wr_error *err)
{
    if (wr_op_cancelled(op->base.ctx)) return wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
    return 0;
}

static int build_process(join_op *op, const wr_batch *batch, wr_error *err)
{
    const wr_join_desc *d = op->d;
    int n = wr_batch_rows(batch);
    uint32_t rows[CAP];
    for (int start = 0; start < n; start += CAP) {
        int m = n - start < CAP ? n - start : CAP;
        for (int i = 0; i < m; i++) rows[i] = (uint32_t)wr_batch_row(batch, start + i);
        /* A row with a NULL in a key that is not null-safe matches nothing: only RIGHT and
         * FULL joins, which emit it at the end, keep it. */
        if (!op->outer_right) {
            for (int k = 0; k < d->nkeys; k++) {
                const wr_vector *v = &batch->cols[d->right_keys[k]];
                if (d->null_safe[k] || v->validity == NULL) continue;
                int j = 0;
                for (int i = 0; i < m; i++) {
                    rows[j] = rows[i];
                    j += !wr_vector_is_null(v, (int)rows[i]);
                }
                m = j;
            }
        }
        if (op->js) pthread_mutex_lock(&op->js->lock);
        int rc =
            wr_colstore_append(&op->t->build, batch, rows, m, "the build side of a hash join", err);
        if (op->js) pthread_mutex_unlock(&op->js->lock);
        if (rc) return rc;
    }
    return 0;
}

/*
 * Direct addressing for one integer key whose values lie in a range not much
 * wider than the build side (ids, dates): the bucket is the key minus the
 * smallest build key, so a bucket holds exactly the rows of one key and
 * neither hashing nor key comparison is needed. Decides it from the build
 * keys and sets op->t->direct, op->t->key_min and op->t->nbuckets.
 */
static void choose_direct(join_op *op)
{
    const wr_join_desc *d = op->d;
    uint32_t n = op->t->build.n;
    if (d->nkeys != 1 || d->null_safe[0] || n == 0) return;
    wr_value_kind kind = op->rkinds[d->right_keys[0]];
    if (kind != WR_VALUE_I8 && kind != WR_VALUE_I16 && kind != WR_VALUE_I32 && kind != WR_VALUE_I64)
        return;
    const void *data = op->bkey_data[0];
    const uint64_t *valid = op->bkey_valid[0];
    int64_t lo = INT64_MAX, hi = INT64_MIN;
#define MINMAX(T)                                                                                  \
    {                                                                                              \
        const T *s = data;                                                                         \
        for (uint32_t i = 0; i < n; i++) {                                                         \
            if (valid && !bit_get(valid, i)) continue;                                             \
            int64_t x = s[i];                                                                      \
            lo = x < lo ? x : lo;                                                                  \
            hi = x > hi ? x : hi;                                                                  \
        }                                                                                          \
    }                                                                                              \
    break;
    switch (kind) {
    case WR_VALUE_I8:
        MINMAX(int8_t)
    case WR_VALUE_I16:
        MINMAX(int16_t)
    case WR_VALUE_I32:
        MINMAX(int32_t)
    default:
        MINMAX(int64_t)
#undef MINMAX
    }
    if (lo > hi) return; /* every key NULL */
    uint64_t range = (uint64_t)hi - (uint64_t)lo + 1;
    /* At most about two directory entries per row: no more memory than hashing takes. */
    if (range == 0 || range > 2 * (uint64_t)n + 1024 || range > UINT32_MAX / 2) return;
    op->t->direct = true;
    op->t->key_min = lo;
    op->t->nbuckets = range;
}

/*
 * Direct mode: the bucket of each of rows[0..n) into b[], and whether it can
 * match into ok[] (its key is not NULL and within the build keys' range;
 * otherwise its bucket is the unmatchable tail).
 */
static void direct_buckets(const join_op *op, const void *data, const uint64_t *valid,
                           const uint32_t *rows, int n, uint32_t *b, uint8_t *ok)
{
    uint64_t min = (uint64_t)op->t->key_min, nb = op->t->nbuckets;
#define DIRECT(T)                                                                                  \
    {                                                                                              \
        const T *s = data;                                                                         \
        for (int i = 0; i < n; i++) {                                                              \
            uint64_t off = (uint64_t)(int64_t)s[rows[i]] - min;                                    \
            bool in = off < nb && !(valid && !bit_get(valid, rows[i]));                            \
            ok[i] = in;                                                                            \
            b[i] = in ? (uint32_t)off : (uint32_t)nb;                                              \
        }                                                                                          \
    }                                                                                              \
    break;
    switch ((wr_value_kind)op->rkinds[op->d->right_keys[0]]) {
    case WR_VALUE_I8:
        DIRECT(int8_t)
    case WR_VALUE_I16:
        DIRECT(int16_t)
    case WR_VALUE_I32:
        DIRECT(int32_t)
    default:
        DIRECT(int64_t)
#undef DIRECT
    }
}

/*
 * Places rows 0..n-1 stably by bucket[i] (at most nb): fills offsets[0..nb+1]
 * with each bucket's first position (offsets[nb+1] = n), and says where each
 * row goes in two steps: row i goes to position then[first[i]]. The first
 * step splits the rows by the high bits of their bucket, in arrival order
 * (a few sequential streams); the second moves them within a slice of at most
 * 64K buckets. So both the counting here and the moving of the columns work
 * on cache-sized regions instead of missing the cache on every row of a large
 * build side. first may be bucket itself; then is a new array of n entries.
 */
static uint32_t *place_by_bucket(uint32_t *bucket, uint32_t n, uint64_t nb, uint32_t *offsets,
                                 uint32_t *first)
{
    uint64_t nvals = nb + 1;
    int vbits = 0;
    while (((uint64_t)1 << vbits) < nvals) vbits++;
    /* Slices of up to 64K buckets (256 KB of offsets), and at most 4096 of them. */
    int shift = vbits <= 16 ? vbits : (vbits - 12 > 16 ? vbits - 12 : 16);
    uint32_t nparts = (uint32_t)((nvals - 1) >> shift) + 1;
    uint32_t *part = wr_calloc((size_t)nparts + 1, sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) part[(bucket[i] >> shift) + 1]++;
    for (uint32_t p = 0; p < nparts; p++) part[p + 1] += part[p];
    uint32_t *fill = wr_malloc((size_t)nparts * sizeof(uint32_t));
    memcpy(fill, part, (size_t)nparts * sizeof(uint32_t));
    /* The buckets in slice order; overwritten by the final positions below. */
    uint32_t *then = wr_malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t b = bucket[i];
        uint32_t at = fill[b >> shift]++;
        then[at] = b;
        first[i] = at;
    }
    wr_free(fill);
    memset(offsets, 0, ((size_t)nb + 2) * sizeof(uint32_t));
    for (uint32_t p = 0; p < nparts; p++) {
        uint32_t a = part[p], z = part[p + 1];
        uint64_t lo = (uint64_t)p << shift;
        uint64_t hi = lo + ((uint64_t)1 << shift) < nvals ? lo + ((uint64_t)1 << shift) : nvals;
        for (uint32_t j = a; j < z; j++) offsets[then[j]]++;
        /* Ends of the slice's buckets; filling from the back turns them into starts. */
        uint32_t sum = a;
        for (uint64_t v = lo; v < hi; v++) {
            sum += offsets[v];
            offsets[v] = sum;
        }
        for (uint32_t j = z; j-- > a;) then[j] = --offsets[then[j]];
    }
    offsets[nb + 1] = n;
    wr_free(part);
    return then;
}

/*
 * Lays the build rows out by bucket (see the file comment). Bucket b's rows
 * are offsets[b] .. offsets[b+1]-1; the rows that match nothing follow, up to
 * offsets[nbuckets+1] = the row count.
 */
static int build_table(join_op *op, wr_error *err)
{
    const wr_join_desc *d = op->d;
    wr_colstore *cs = &op->t->build;
    uint32_t n = cs->n;
    if (d->nkeys == 0) {
        op->t->nbuckets = 1;
        op->t->offsets = wr_malloc(3 * sizeof(uint32_t));
        op->t->offsets[0] = 0;
        op->t->offsets[1] = op->t->offsets[2] = n;
        return 0;
    }
    for (int k = 0; k < d->nkeys; k++) {
        op->bkey_data[k] = cs->data[d->right_keys[k]];
        op->bkey_valid[k] = cs->validity[d->right_keys[k]];
    }
    choose_direct(op);
    if (!op->t->direct) {
        /* At most 2^31 buckets, so that the tail bucket's number fits 32 bits too. */
        int bits = 0;
        while (bits < 31 && ((uint64_t)1 << bits) < n) bits++;
        op->t->bits = bits;
        op->t->nbuckets = (uint64_t)1 << bits;
    }
    uint64_t nb = op->t->nbuckets;
    /* Strings and several keys are compared by hash first; one fixed-width key directly. */
    bool by_hash = !op->t->direct && (d->nkeys > 1 || op->rkinds[d->right_keys[0]] == WR_VALUE_STR);
    uint64_t *hashes = by_hash ? wr_malloc((size_t)(n ? n : 1) * sizeof(uint64_t)) : NULL;
    uint32_t *bucket = wr_malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    uint32_t rows[CAP];
    uint64_t h[CAP];
    uint8_t ok[CAP];
    for (uint32_t start = 0; start < n; start += CAP) {
        int m = n - start < CAP ? (int)(n - start) : CAP;
        for (int i = 0; i < m; i++) rows[i] = start + (uint32_t)i;
        if (op->t->direct) {
            direct_buckets(op, op->bkey_data[0], op->bkey_valid[0], rows, m, bucket + start, ok);
        } else {
            uint64_t *hm = hashes ? hashes + start : h;
            hash_keys(op, op->bkey_data, op->bkey_valid, rows, m, hm, ok);
            for (int i = 0; i < m; i++)
                bucket[start + i] = ok[i] ? bucket_of(op, hm[i]) : (uint32_t)nb;
        }
        if ((start & 0xfffff) == 0 && wr_op_cancelled(op->base.ctx)) {
            wr_free(hashes);
            wr_free(bucket);
            return cancelled(op, err);
        }
    }
    /* The unmatchable rows form bucket nb, after all others. */
    uint32_t *offsets = wr_malloc(((size_t)nb + 2) * sizeof(uint32_t));
    uint32_t *first = bucket;
    uint32_t *then = place_by_bucket(bucket, n, nb, offsets, first);
    /* Every key of the range exactly once (a dense id column): bucket b is row b. */
    bool unique = op->t->direct;
    for (uint64_t b = 0; b <= nb && unique; b++) unique = offsets[b] == b;
    op->t->identity = unique;
    wr_colstore_move(cs, first, then);
    if (by_hash) {
        uint64_t *moved = wr_malloc((size_t)(n ? n : 1) * sizeof(uint64_t));
        for (uint32_t i = 0; i < n; i++) moved[first[i]] = hashes[i];
        for (uint32_t j = 0; j < n; j++) hashes[then[j]] = moved[j];
        op->t->hashes = hashes;
        hashes = moved;
    }
    wr_free(hashes);
    wr_free(first);
    wr_free(then);
    op->t->offsets = offsets;
    for (int k = 0; k < d->nkeys; k++) {
        op->bkey_data[k] = cs->data[d->right_keys[k]];
        op->bkey_valid[k] = cs->validity[d->right_keys[k]];
    }
    return cancelled(op, err);
}

/* ---- probe -------------------------------------------------------------------- */

/* Sets out's column col to NULL in rows 0..n-1. */
static void null_column(wr_batch *out, int col, int n)
{
    uint64_t *v = wr_batch_validity(out, col);
    memset(v, 0, ((size_t)n + 63) / 64 * sizeof(uint64_t));
}

static void gather_left(join_op *op, const wr_batch *batch, const uint32_t *rows, int n,
                        wr_batch *out)
{
    for (int c = 0; c < op->d->nleft; c++) {
        const wr_vector *v = &batch->cols[c];
        wr_gather_slots(v->data, v->validity, wr_value_kind_width(op->lkinds[c]), rows, n, out, c);
    }
}

/*
 * Emits the n pairs when each probe row has at most one (their rows lrows[0..n)
 * ascend), without copying the probe side: the output points at the probe
 * batch's columns (and at its key columns for the build keys equal to them),
 * selects the paired rows, and the build columns are gathered to those rows.
 * An inner join on unique build keys, the common case, copies only the build
 * columns it reads.
 */
static int emit_in_place(join_op *op, const wr_batch *batch, int n, wr_error *err)
{
    const wr_join_desc *d = op->d;
    wr_batch *out = op->out;
    for (int c = 0; c < d->nleft; c++) {
        out->cols[c].data = batch->cols[c].data;
        out->cols[c].validity = batch->cols[c].validity;
    }
    for (int c = 0; c < d->nright; c++) {
        int from = op->key_twin[c];
        if (from >= 0) {
            out->cols[d->nleft + c].data = batch->cols[from].data;
            out->cols[d->nleft + c].validity = batch->cols[from].validity;
        } else {
            const wr_colstore *cs = &op->t->build;
            wr_gather_slots_at(cs->data[c], cs->validity[c], wr_value_kind_width(op->rkinds[c]),
                               op->cand_r, op->lrows, n, out, d->nleft + c);
        }
    }
    out->count = batch->count;
    if (n < batch->count) {
        uint32_t *sel = wr_batch_sel_buffer(out);
        memcpy(sel, op->lrows, (size_t)n * sizeof(uint32_t));
        out->sel = sel;
        out->nsel = n;
    }
    if (op->outer_left)
        for (int i = 0; i < n; i++) op->hit[op->cand_k[i]] = 1;
    if (op->outer_right)
        for (int i = 0; i < n; i++) op->build_hits[op->cand_r[i]] = 1;
    return wr_op_emit(op->base.ctx, out, err);
}

/*
 * Gathers the pairs (cand_k[i], cand_r[i]) for i < npairs, filters them by the
 * residual, records which probe and build rows had a passing pair and, unless
 * the join only reports left rows, emits them.
 */
static int flush_pairs(join_op *op, const wr_batch *batch, wr_error *err)
{
    const wr_join_desc *d = op->d;
    int n = op->npairs;
    op->npairs = 0;
    if (n == 0) return 0;
    wr_batch *out = op->semi_like ? op->pairs : op->out;
    wr_batch_reset(out);
    bool ascending = true;
    for (int i = 0; i < n; i++) {
        op->lrows[i] = op->rows[op->cand_k[i]];
        ascending &= i == 0 || op->lrows[i] > op->lrows[i - 1];
    }
    if (ascending && !op->semi_like && !d->residual && batch->count <= out->capacity)
        return emit_in_place(op, batch, n, err);
    gather_left(op, batch, op->lrows, n, out);
    for (int c = 0; c < d->nright; c++) {
        int from = op->key_twin[c];
        if (from >= 0) {
            /* A key equal to the probe row's: copied from there, which is read in order. */
            const wr_vector *v = &batch->cols[from];
            wr_gather_slots(v->data, v->validity, wr_value_kind_width(op->rkinds[c]), op->lrows, n,
                            out, d->nleft + c);
        } else {
            wr_colstore_gather(&op->t->build, c, op->cand_r, n, out, d->nleft + c);
        }
    }
    out->count = n;
    const uint32_t *pass = NULL;
    int npass = n;
    if (d->residual) {
        wr_eval ev = {&out->arena, out->count};
        uint32_t *sel = wr_batch_sel_buffer(out);
        int rc = wr_expr_filter(&ev, d->residual, out, NULL, n, sel, &npass, err);
        if (rc) return rc;
        /* sel holds pair positions, which are the rows of out. */
        pass = sel;
        if (npass < n) {
            out->sel = sel;
            out->nsel = npass;
        }
    }
    if (op->outer_left || op->semi_like)
        for (int i = 0; i < npass; i++) op->hit[op->cand_k[pass ? pass[i] : (uint32_t)i]] = 1;
    if (op->outer_right)
        for (int i = 0; i < npass; i++)
            op->build_hits[op->cand_r[pass ? pass[i] : (uint32_t)i]] = 1;
    if (op->semi_like) return 0;
    return wr_op_emit(op->base.ctx, out, err);
}

/* Emits the probe rows rows[0..n) with the right side NULL (or alone, for SEMI/ANTI). */
static int emit_left_rows(join_op *op, const wr_batch *batch, const uint32_t *rows, int n,
                          wr_error *err)
{
    if (n == 0) return 0;
    wr_batch *out = op->out;
    wr_batch_reset(out);
    gather_left(op, batch, rows, n, out);
    for (int c = op->d->nleft; c < op->nout; c++) null_column(out, c, n);
    out->count = n;
    return wr_op_emit(op->base.ctx, out, err);
}

/*
 * After the pairs of a chunk of n probe rows: LEFT and FULL joins emit the rows
 * without a passing pair, SEMI the rows with one, ANTI those without.
 */
static int emit_probe_rows(join_op *op, const wr_batch *batch, int n, wr_error *err)
{
    if (!op->outer_left && !op->semi_like) return 0;
    bool want = op->d->type == WR_JOIN_TYPE_SEMI;
    int m = 0;
    for (int i = 0; i < n; i++) {
        op->lrows[m] = op->rows[i];
        m += op->hit[i] == want;
    }
    return emit_left_rows(op, batch, op->lrows, m, err);
}

/*
 * probe_chunk for a table whose bucket b is build row b (t->identity): a probe
 * row's key gives its one candidate, which is its match, so the pairs come
 * from one pass over the keys.
 */
static int probe_identity(join_op *op, const wr_batch *batch, int n, wr_error *err)
{
    uint32_t *restrict ck = op->cand_k, *restrict cr = op->cand_r;
    const uint32_t *restrict bucket = op->cur;
    const uint8_t *restrict ok = op->ok;
    direct_buckets(op, op->pkey_data[0], op->pkey_valid[0], op->rows, n, op->cur, op->ok);
    int m = 0;
    for (int i = 0; i < n; i++) {
        ck[m] = (uint32_t)i;
        cr[m] = bucket[i];
        m += ok[i];
    }
    int rc = 0;
    if (!op->semi_like || op->d->residual) {
        op->npairs = m;
        rc = flush_pairs(op, batch, err);
    } else {
        for (int i = 0; i < m; i++) op->hit[ck[i]] = 1;
    }
    return rc ? rc : emit_probe_rows(op, batch, n, err);
}

/* Joins probe rows rows[0..n) (physical rows of batch, n <= CAP; copied to op->rows). */
static int probe_chunk(join_op *op, const wr_batch *batch, const uint32_t *rows, int n,
                       wr_error *err)
{
    const wr_join_desc *d = op->d;
    memcpy(op->rows, rows, (size_t)n * sizeof(uint32_t));
    for (int k = 0; k < d->nkeys; k++) {
        const wr_vector *v = &batch->cols[d->left_keys[k]];
        op->pkey_data[k] = v->data;
        op->pkey_valid[k] = v->validity;
    }
    memset(op->hit, 0, (size_t)n);
    if (op->t->identity) return probe_identity(op, batch, n, err);
    /*
     * Directory entries and build keys are cache misses for a large build side:
     * touch them for the whole chunk first (prefetches), so that the misses
     * overlap instead of being paid one after another.
     */
    const uint32_t *offsets = op->t->offsets;
    uint32_t *cur = op->cur, *end = op->end, *active = op->active;
    const uint8_t *ok = op->ok;
    if (op->t->direct) {
        direct_buckets(op, op->pkey_data[0], op->pkey_valid[0], op->rows, n, cur, op->ok);
    } else {
        hash_keys(op, op->pkey_data, op->pkey_valid, op->rows, n, op->ph, op->ok);
        for (int i = 0; i < n; i++) cur[i] = bucket_of(op, op->ph[i]);
    }
    if (!op->t->identity)
        for (int i = 0; i < n; i++) __builtin_prefetch(&offsets[cur[i]]);
    const char *key0 = d->nkeys && !op->t->direct ? op->bkey_data[0] : NULL;
    size_t width0 = d->nkeys ? wr_value_kind_width(op->rkinds[d->right_keys[0]]) : 0;
    int nactive = 0;
    for (int i = 0; i < n; i++) {
        uint32_t b = cur[i];
        cur[i] = op->t->identity ? b : offsets[b];
        end[i] = op->t->identity ? b + 1 : offsets[b + 1];
        if (ok[i] && cur[i] < end[i]) {
            active[nactive++] = (uint32_t)i;
            if (key0) __builtin_prefetch(key0 + (size_t)cur[i] * width0);
            if (op->t->hashes) __builtin_prefetch(&op->t->hashes[cur[i]]);
        }
    }
    /* Left rows that are reported once stop looking after their first passing pair. */
    bool pair_once = op->semi_like;
    bool keep_pairs = !op->semi_like || d->residual;
    op->npairs = 0;
    while (nactive > 0) {
        int rc = cancelled(op, err);
        if (rc) return rc;
        int from = op->npairs, m = from, still = 0;
        for (int a = 0; a < nactive; a++) {
            uint32_t k = op->active[a];
            if (pair_once && op->hit[k]) continue;
            if (m < CAP) {
                op->cand_k[m] = k;
                op->cand_r[m] = op->cur[k]++;
                m++;
            }
            if (op->cur[k] < op->end[k]) op->active[still++] = k;
        }
        nactive = still;
        m = compare_keys(op, from, m);
        if (keep_pairs) {
            op->npairs = m;
            /* SEMI/ANTI flush every round, so rows with a passing pair drop out early. */
            if (m == CAP || (pair_once && m > 0)) {
                rc = flush_pairs(op, batch, err);
                if (rc) return rc;
            }
        } else {
            for (int i = from; i < m; i++) op->hit[op->cand_k[i]] = 1;
        }
    }
    int rc = flush_pairs(op, batch, err);
    if (rc) return rc;
    return emit_probe_rows(op, batch, n, err);
}

static int probe_batch(join_op *op, const wr_batch *batch, wr_error *err)
{
    int n = wr_batch_rows(batch);
    uint32_t rows[CAP];
    for (int start = 0; start < n; start += CAP) {
        int m = n - start < CAP ? n - start : CAP;
        for (int i = 0; i < m; i++) rows[i] = (uint32_t)wr_batch_row(batch, start + i);
        int rc = probe_chunk(op, batch, rows, m, err);
        if (rc) return rc;
    }
    return 0;
}

/* Keeps a copy of probe rows that arrived before the build side ended. */
static void buffer_probe(join_op *op, const wr_batch *batch)
{
    int n = wr_batch_rows(batch);
    uint32_t rows[CAP];
    for (int start = 0; start < n;) {
        wr_batch *last = op->pending.n ? op->pending.v[op->pending.n - 1] : NULL;
        if (last == NULL || last->count == last->capacity) {
            last = wr_batch_new(op->d->left_types, op->d->nleft, CAP);
            WR_VEC_PUSH(&op->pending, last);
        }
        int room = last->capacity - last->count;
        int m = n - start < room ? n - start : room;
        for (int i = 0; i < m; i++) rows[i] = (uint32_t)wr_batch_row(batch, start + i);
        wr_batch_append_rows(last, batch, rows, m);
        start += m;
    }
}

/* Both inputs ended: emits the build rows that had no passing pair (RIGHT, FULL). */
static int finish(join_op *op, wr_error *err)
{
    if (op->finished) return 0;
    op->finished = true;
    if (!op->outer_right) return 0;
    const wr_join_desc *d = op->d;
    uint32_t idx[CAP];
    uint32_t n = op->t->build.n;
    for (uint32_t start = 0; start < n;) {
        int m = 0;
        for (; start < n && m < CAP; start++)
            if (!op->build_hits[start]) idx[m++] = start;
        if (m == 0) continue;
        int rc = cancelled(op, err);
        if (rc) return rc;
        wr_batch *out = op->out;
        wr_batch_reset(out);
        for (int c = 0; c < d->nleft; c++) null_column(out, c, m);
        for (int c = 0; c < d->nright; c++)
            wr_colstore_gather(&op->t->build, c, idx, m, out, d->nleft + c);
        out->count = m;
        rc = wr_op_emit(op->base.ctx, out, err);
        if (rc) return rc;
    }
    return 0;
}

/* ---- callbacks ------------------------------------------------------------------ */

/* The table is laid out: points the key columns at it and probes the rows kept meanwhile. */
static int start_probing(join_op *op, wr_error *err)
{
    const wr_join_desc *d = op->d;
    op->built = true;
    op->base.ctx->preferred_input = -1;
    op->base.ctx->timer_at_ms = INT64_MAX;
    for (int k = 0; k < d->nkeys; k++) {
        op->bkey_data[k] = op->t->build.data[d->right_keys[k]];
        op->bkey_valid[k] = op->t->build.validity[d->right_keys[k]];
    }
    if (op->outer_right) op->build_hits = wr_calloc(op->t->build.n ? op->t->build.n : 1, 1);
    for (int i = 0; i < op->pending.n; i++) {
        int rc = probe_batch(op, op->pending.v[i], err);
        if (rc) return rc;
        wr_batch_free(op->pending.v[i]);
        op->pending.v[i] = NULL;
    }
    WR_VEC_FREE(&op->pending);
    return 0;
}

/* Sharing: starts probing if the shared table has become ready. */
static int check_shared(join_op *op, wr_error *err)
{
    if (!op->built && op->js && atomic_load_explicit(&op->js->ready, memory_order_acquire))
        return start_probing(op, err);
    return 0;
}

/*
 * Sharing, with both inputs of this instance ended: waits for the other instances' build
 * sides. Blocking is safe here: this task reads nothing more, so no upstream waits on it.
 */
static int wait_shared(join_op *op, wr_error *err)
{
    join_shared *js = op->js;
    pthread_mutex_lock(&js->lock);
    while (!atomic_load(&js->ready) && !wr_op_cancelled(op->base.ctx)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&js->cond, &js->lock, &ts);
    }
    pthread_mutex_unlock(&js->lock);
    int rc = cancelled(op, err);
    return rc ? rc : start_probing(op, err);
}

/* This instance's build side ended: lays the table out, or, sharing, counts itself and lays
 * the shared table out when it is the last. */
static int end_build(join_op *op, wr_error *err)
{
    op->build_ended = true;
    join_shared *js = op->js;
    if (js == NULL) {
        int rc = build_table(op, err);
        return rc ? rc : start_probing(op, err);
    }
    pthread_mutex_lock(&js->lock);
    bool last = ++js->ended == op->base.ctx->parallelism;
    pthread_mutex_unlock(&js->lock);
    if (last) {
        /* Every instance has appended all its rows: the table is this thread's alone. */
        int rc = build_table(op, err);
        if (rc) return rc;
        pthread_mutex_lock(&js->lock);
        atomic_store_explicit(&js->ready, true, memory_order_release);
        pthread_cond_broadcast(&js->cond);
        pthread_mutex_unlock(&js->lock);
        return start_probing(op, err);
    }
    if (op->probe_ended) return wait_shared(op, err);
    /* Hold the probe side (reading it only when its channels fill up) and look again soon. */
    op->base.ctx->preferred_input = WR_INPUT_HOLD;
    op->base.ctx->timer_at_ms = wr_clock_wall_ms() + 1;
    return 0;
}

static int join_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    join_op *op = (join_op *)base;
    const wr_join_desc *d = op->d;
    int want = input == 0 ? d->nleft : d->nright;
    if (input < 0 || input > 1 || batch->ncols != want)
        return wr_error_set(err, WR_ERR_INTERNAL,
                            "hash join: input %d delivered a batch of %d columns, expected %d",
                            input, batch->ncols, want);
    if (input == 1) {
        if (op->build_ended)
            return wr_error_set(err, WR_ERR_INTERNAL,
                                "hash join: build rows after the build side ended");
        return build_process(op, batch, err);
    }
    if (op->probe_ended)
        return wr_error_set(err, WR_ERR_INTERNAL,
                            "hash join: probe rows after the probe side ended");
    int rc = check_shared(op, err);
    if (rc) return rc;
    if (!op->built) {
        buffer_probe(op, batch);
        return 0;
    }
    return probe_batch(op, batch, err);
}

static int join_on_time(wr_operator *base, int64_t now_ms, wr_error *err)
{
    join_op *op = (join_op *)base;
    int rc = check_shared(op, err);
    if (rc == 0 && !op->built) base->ctx->timer_at_ms = now_ms + 1;
    return rc;
}

static int join_end_input(wr_operator *base, int input, wr_error *err)
{
    join_op *op = (join_op *)base;
    int rc = 0;
    if (input == 1 && !op->build_ended) {
        rc = end_build(op, err);
    } else if (input == 0) {
        op->probe_ended = true;
        if (op->build_ended && !op->built) rc = wait_shared(op, err);
    }
    if (rc) return rc;
    if (op->built && op->probe_ended) return finish(op, err);
    return 0;
}

/*
 * State bytes: the build side's row store, bucket directory and row hashes. A table all
 * instances share is counted once, by subtask 0, once it is laid out (before, other
 * instances are still appending to it); probe rows held back are not counted.
 */
static size_t join_state_bytes(const wr_operator *base)
{
    const join_op *op = (const join_op *)base;
    const join_table *t = &op->own;
    if (op->js) {
        if (!op->built || base->ctx->subtask != 0) return 0;
        t = op->t;
    }
    size_t bytes = wr_colstore_bytes(&t->build);
    if (t->offsets) bytes += (size_t)(t->nbuckets + 2) * sizeof(uint32_t);
    if (t->hashes) bytes += (size_t)t->build.cap * sizeof(uint64_t);
    return bytes;
}

const wr_operator_ops wr_hash_join_ops = {
    .kind = "hash_join",
    .create = join_create,
    .process = join_process,
    .end_input = join_end_input,
    .on_time = join_on_time,
    .state_bytes = join_state_bytes,
    .destroy = join_destroy,
};
