/*
 * sort.c — sort, Top-N and LIMIT over bounded input; see sort.h.
 *
 * Rows are copied into a column store and ordered at the end of input by
 * sorting row indexes. The first key is cut into 64-bit chunks whose unsigned
 * order is the key's order (sign bit flipped for integers, the IEEE bit trick
 * for floats, eight bytes at a time for strings, all inverted for DESC); a
 * stable radix sort orders the rows by the first chunk, runs that tie move on
 * to the next chunk, and only what the chunks cannot decide (short runs,
 * equal strings, further keys) is merge sorted with the full comparator. All
 * of it is stable and rows enter in arrival order, so equal keys keep their
 * arrival order. NULLs of the first key are set apart first and placed before
 * or after the rest.
 *
 * Top-N (keys and a limit) keeps at most about twice the offset+limit rows it
 * needs: when the store reaches that, it is sorted and cut back to the best
 * offset+limit rows, copied into a fresh store so their string bytes are the
 * only ones kept. From then on the worst kept row is a bound, and arriving
 * rows that are not better than it are dropped right away (a row equal to it
 * arrived later, so it loses the tie).
 */
#include "sort.h"
#include "../base/alloc.h"
#include "colstore.h"

#include <math.h>
#include <string.h>

#define CAP WR_BATCH_CAPACITY

typedef struct sort_spec {
    wr_type *types;
    int ncols;
    wr_sort_key *keys;
    int nkeys;
    int64_t offset, limit;
} sort_spec;

typedef struct sort_op {
    wr_operator base;
    const sort_spec *spec;
    uint8_t *kinds; /* wr_value_kind per column */
    wr_colstore rows;
    int64_t keep;      /* Top-N: rows to keep (offset + limit); -1 when all are kept */
    uint32_t prune_at; /* Top-N: cut back to `keep` rows when the store reaches this */
    bool bounded;      /* Top-N: rows not better than row `bound` of the store are dropped */
    uint32_t bound;    /* Top-N: the worst of the best `keep` rows (later rows follow it) */
    int64_t seen;      /* LIMIT without keys: rows that arrived so far */
    bool ended;
    wr_batch *out;
} sort_op;

/* What rows are ordered by: the keys and each column's value kind. */
typedef struct key_order {
    const wr_sort_key *keys;
    int nkeys;
    const uint8_t *kinds; /* wr_value_kind per column */
} key_order;

/* Rows as column arrays: a batch's vectors or a store's columns. */
typedef struct row_src {
    void *const *data;
    uint64_t *const *valid;
} row_src;

/* ---- spec --------------------------------------------------------------- */

static void spec_free(void *p)
{
    sort_spec *spec = p;
    wr_free(spec->types);
    wr_free(spec->keys);
    wr_free(spec);
}

wr_operator_spec wr_sort_spec(const wr_type *types, int ncols, const wr_sort_key *keys, int nkeys,
                              int64_t offset, int64_t limit)
{
    sort_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->ncols = ncols;
    spec->nkeys = nkeys;
    spec->types = wr_malloc((size_t)(ncols > 0 ? ncols : 1) * sizeof(wr_type));
    if (ncols > 0) memcpy(spec->types, types, (size_t)ncols * sizeof(wr_type));
    spec->keys = wr_malloc((size_t)(nkeys > 0 ? nkeys : 1) * sizeof(wr_sort_key));
    if (nkeys > 0) memcpy(spec->keys, keys, (size_t)nkeys * sizeof(wr_sort_key));
    spec->offset = offset;
    spec->limit = limit;
    wr_operator_spec out = {&wr_sort_ops, spec, spec_free, -1, false};
    return out;
}

/* ---- comparing ------------------------------------------------------------ */

static inline bool bit_get(const uint64_t *bits, uint32_t i)
{
    return (bits[i >> 6] >> (i & 63)) & 1;
}

/* NaN is greater than every number and equal to itself; -0.0 equals 0.0. */
static inline int cmp_double(double a, double b)
{
    if (a < b) return -1;
    if (a > b) return 1;
    if (a == b) return 0;
    return (int)isnan(a) - (int)isnan(b);
}

/* Strings compare as bytes (unsigned), then by length: Flink's binary string order. */
static inline int cmp_str(wr_str a, wr_str b)
{
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (a.len > b.len) - (a.len < b.len);
}

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

static inline int cmp_value(wr_value_kind kind, const void *a, uint32_t ra, const void *b,
                            uint32_t rb)
{
    switch (kind) {
    case WR_VALUE_I8:
        return CMP(((const int8_t *)a)[ra], ((const int8_t *)b)[rb]);
    case WR_VALUE_I16:
        return CMP(((const int16_t *)a)[ra], ((const int16_t *)b)[rb]);
    case WR_VALUE_I32:
        return CMP(((const int32_t *)a)[ra], ((const int32_t *)b)[rb]);
    case WR_VALUE_I64:
        return CMP(((const int64_t *)a)[ra], ((const int64_t *)b)[rb]);
    case WR_VALUE_I128: {
        const uint64_t *x = (const uint64_t *)a + 2 * (size_t)ra;
        const uint64_t *y = (const uint64_t *)b + 2 * (size_t)rb;
        /* Little-endian: the high half, signed, decides first. */
        int c = CMP((int64_t)x[1], (int64_t)y[1]);
        return c ? c : CMP(x[0], y[0]);
    }
    case WR_VALUE_F32:
        return cmp_double(((const float *)a)[ra], ((const float *)b)[rb]);
    case WR_VALUE_F64:
        return cmp_double(((const double *)a)[ra], ((const double *)b)[rb]);
    case WR_VALUE_STR:
        return cmp_str(((const wr_str *)a)[ra], ((const wr_str *)b)[rb]);
    case WR_VALUE_UNSUPPORTED:
        break;
    }
    return 0;
}

/* Orders row ra of a against row rb of b by the keys from key `first` on; 0 when equal. */
static int cmp_rows(const key_order *ko, int first, const row_src *a, uint32_t ra, const row_src *b,
                    uint32_t rb)
{
    for (int k = first; k < ko->nkeys; k++) {
        const wr_sort_key *key = &ko->keys[k];
        int col = key->col;
        bool an = a->valid[col] && !bit_get(a->valid[col], ra);
        bool bn = b->valid[col] && !bit_get(b->valid[col], rb);
        if (an || bn) {
            if (an && bn) continue;
            /* NULLS FIRST / LAST place NULLs whatever the direction. */
            return an == key->nulls_first ? -1 : 1;
        }
        int c = cmp_value(ko->kinds[col], a->data[col], ra, b->data[col], rb);
        if (c) return key->desc ? -c : c;
    }
    return 0;
}

static row_src store_src(const wr_colstore *rows)
{
    row_src s = {rows->data, rows->validity};
    return s;
}

int wr_sort_compare(const wr_colstore *rows, const wr_sort_key *keys, int nkeys, uint32_t a,
                    uint32_t b)
{
    key_order ko = {keys, nkeys, rows->kinds};
    row_src src = store_src(rows);
    return cmp_rows(&ko, 0, &src, a, &src, b);
}

int wr_sort_compare_batch(const wr_batch *batch, uint32_t a, const wr_colstore *rows, uint32_t b,
                          const wr_sort_key *keys, int nkeys)
{
    int nc = batch->ncols ? batch->ncols : 1;
    void *data[nc];
    uint64_t *valid[nc];
    /* cmp_rows reads the key columns only. */
    for (int k = 0; k < nkeys; k++) {
        data[keys[k].col] = batch->cols[keys[k].col].data;
        valid[keys[k].col] = batch->cols[keys[k].col].validity;
    }
    key_order ko = {keys, nkeys, rows->kinds};
    row_src in = {data, valid}, kept = store_src(rows);
    return cmp_rows(&ko, 0, &in, a, &kept, b);
}

/* ---- sorting row indexes ------------------------------------------------------- */

typedef struct sorter {
    key_order ko;
    const wr_colstore *rows;
    const wr_op_ctx *ctx; /* for cancellation */
    row_src src;
    int first; /* keys before this one are known equal */
    uint32_t *tmp;
    bool stop; /* cancelled: the result is garbage and unused */
} sorter;

static void merge_sort(sorter *s, uint32_t *a, uint32_t n)
{
    if (s->stop) return;
    if (n <= 16) {
        for (uint32_t i = 1; i < n; i++) {
            uint32_t x = a[i], j = i;
            while (j > 0 && cmp_rows(&s->ko, s->first, &s->src, a[j - 1], &s->src, x) > 0) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        return;
    }
    if (n >= 65536 && wr_op_cancelled(s->ctx)) {
        s->stop = true;
        return;
    }
    uint32_t h = n / 2;
    merge_sort(s, a, h);
    merge_sort(s, a + h, n - h);
    /* Already in order: nothing to merge (common for presorted input). */
    if (cmp_rows(&s->ko, s->first, &s->src, a[h - 1], &s->src, a[h]) <= 0) return;
    uint32_t *t = s->tmp;
    memcpy(t, a, h * sizeof(uint32_t));
    uint32_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        /* Ties take the left run first: that keeps the sort stable. */
        if (cmp_rows(&s->ko, s->first, &s->src, a[j], &s->src, t[i]) < 0)
            a[k++] = a[j++];
        else
            a[k++] = t[i++];
    }
    while (i < h) a[k++] = t[i++];
}

/*
 * Chunk `chunk` of a value as 64 bits whose unsigned order is the value's
 * order among values with equal earlier chunks. Integers and floats are one
 * chunk (sign bit flipped; the IEEE trick for floats, NaN last and -0.0 as
 * 0.0); 16-byte integers two; strings eight bytes per chunk, zero-padded.
 */
static uint64_t chunk_of(wr_value_kind kind, const void *data, uint32_t r, int chunk)
{
    const uint64_t sign = (uint64_t)1 << 63;
    switch (kind) {
    case WR_VALUE_I8:
        return (uint64_t)(int64_t)((const int8_t *)data)[r] ^ sign;
    case WR_VALUE_I16:
        return (uint64_t)(int64_t)((const int16_t *)data)[r] ^ sign;
    case WR_VALUE_I32:
        return (uint64_t)(int64_t)((const int32_t *)data)[r] ^ sign;
    case WR_VALUE_I64:
        return (uint64_t)((const int64_t *)data)[r] ^ sign;
    case WR_VALUE_I128: {
        const uint64_t *x = (const uint64_t *)data + 2 * (size_t)r;
        return chunk == 0 ? x[1] ^ sign : x[0];
    }
    case WR_VALUE_F32:
    case WR_VALUE_F64: {
        double x = kind == WR_VALUE_F32 ? ((const float *)data)[r] : ((const double *)data)[r];
        if (isnan(x)) return UINT64_MAX;
        if (x == 0) x = 0; /* -0.0 sorts as 0.0 */
        uint64_t u;
        memcpy(&u, &x, sizeof(u));
        return (u & sign) ? ~u : u | sign;
    }
    case WR_VALUE_STR: {
        wr_str s = ((const wr_str *)data)[r];
        uint32_t from = 8 * (uint32_t)chunk;
        uint64_t p = 0;
        for (uint32_t i = from; i < from + 8; i++) p = p << 8 | (i < s.len ? (uint8_t)s.ptr[i] : 0);
        return p;
    }
    case WR_VALUE_UNSUPPORTED:
        break;
    }
    return 0;
}

/* Chunks a kind has (strings: as many as their bytes need, see sort_chunks). */
static int chunks_of(wr_value_kind kind)
{
    return kind == WR_VALUE_STR ? INT32_MAX : kind == WR_VALUE_I128 ? 2 : 1;
}

/*
 * Stable LSD radix sort of (key, idx) pairs by key, skipping bytes that are
 * all equal; tk and ti are scratch of n entries.
 */
static void radix_sort(uint64_t *key, uint32_t *idx, uint32_t n, uint64_t *tk, uint32_t *ti)
{
    uint32_t hist[8][256];
    memset(hist, 0, sizeof(hist));
    for (uint32_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++) hist[b][(key[i] >> (8 * b)) & 0xff]++;
    uint64_t *sk = key, *dk = tk;
    uint32_t *si = idx, *di = ti;
    for (int b = 0; b < 8; b++) {
        uint32_t *h = hist[b];
        if (h[(sk[0] >> (8 * b)) & 0xff] == n) continue;
        uint32_t sum = 0;
        for (int v = 0; v < 256; v++) {
            uint32_t c = h[v];
            h[v] = sum;
            sum += c;
        }
        for (uint32_t i = 0; i < n; i++) {
            uint32_t p = h[(sk[i] >> (8 * b)) & 0xff]++;
            dk[p] = sk[i];
            di[p] = si[i];
        }
        uint64_t *t64 = sk;
        sk = dk;
        dk = t64;
        uint32_t *t32 = si;
        si = di;
        di = t32;
    }
    if (sk != key) {
        memcpy(key, sk, (size_t)n * sizeof(uint64_t));
        memcpy(idx, si, (size_t)n * sizeof(uint32_t));
    }
}

/*
 * Sorts idx[0..n) (in arrival order on entry) by the first key from chunk
 * `chunk` on, then by the further keys. Each chunk is a radix pass over the
 * run; runs that tie on it take the next chunk, and only what chunks cannot
 * decide (short runs, equal strings, further keys) meets the comparator.
 * key, tk and ti are scratch of n entries.
 */
static void sort_chunks(sorter *s, uint32_t *idx, uint32_t n, int chunk, uint64_t *key,
                        uint64_t *tk, uint32_t *ti)
{
    const wr_sort_key *k0 = &s->ko.keys[0];
    wr_value_kind kind = s->ko.kinds[k0->col];
    const void *data = s->rows->data[k0->col];
    if (s->stop || n < 2) return;
    if (n >= 65536 && wr_op_cancelled(s->ctx)) {
        s->stop = true;
        return;
    }
    /* Short runs, and strings alike in their first 64 bytes, go to the comparator. */
    if (n <= 32 || (kind == WR_VALUE_STR && chunk >= 8)) {
        s->first = 0;
        merge_sort(s, idx, n);
        return;
    }
    if (kind == WR_VALUE_STR && chunk > 0) {
        /* Strings that all end before this chunk are equal up to their length. */
        bool longer = false;
        for (uint32_t i = 0; i < n && !longer; i++)
            longer = ((const wr_str *)data)[idx[i]].len > 8 * (uint32_t)chunk;
        if (!longer) {
            s->first = 0;
            merge_sort(s, idx, n);
            return;
        }
    }
    uint64_t flip = k0->desc ? UINT64_MAX : 0;
    for (uint32_t i = 0; i < n; i++) key[i] = chunk_of(kind, data, idx[i], chunk) ^ flip;
    radix_sort(key, idx, n, tk, ti);
    bool last_chunk = chunk + 1 >= chunks_of(kind);
    if (last_chunk && s->ko.nkeys == 1) return;
    for (uint32_t i = 0; i < n && !s->stop;) {
        uint32_t j = i + 1;
        while (j < n && key[j] == key[i]) j++;
        if (j - i > 1) {
            if (last_chunk) {
                s->first = 1; /* the first key is equal: the further keys decide */
                merge_sort(s, idx + i, j - i);
            } else {
                /* Overwrites key[i..j) only: the scan goes on at j. */
                sort_chunks(s, idx + i, j - i, chunk + 1, key + i, tk + i, ti + i);
            }
        }
        i = j;
    }
}

int wr_sort_store(const wr_colstore *rows, const wr_sort_key *keys, int nkeys, const wr_op_ctx *ctx,
                  uint32_t *order, wr_error *err)
{
    uint32_t n = rows->n;
    for (uint32_t i = 0; i < n; i++) order[i] = i;
    if (n < 2 || nkeys == 0) return 0;
    sorter s = {{keys, nkeys, rows->kinds},
                rows,
                ctx,
                store_src(rows),
                0,
                wr_malloc(((size_t)n / 2 + 1) * sizeof(uint32_t)),
                false};
    const wr_sort_key *key = &keys[0];
    const uint64_t *valid = rows->validity[key->col];
    /* NULLs of the first key apart, in arrival order; they go first or last. */
    uint32_t nnull = 0, nval = 0;
    uint32_t *nulls = wr_malloc((size_t)n * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) {
        if (valid && !bit_get(valid, i))
            nulls[nnull++] = i;
        else
            order[nval++] = i;
    }
    uint64_t *chunks = wr_malloc((size_t)nval * sizeof(uint64_t) + 1);
    uint64_t *tk = wr_malloc((size_t)nval * sizeof(uint64_t) + 1);
    uint32_t *ti = wr_malloc((size_t)nval * sizeof(uint32_t) + 1);
    sort_chunks(&s, order, nval, 0, chunks, tk, ti);
    wr_free(chunks);
    wr_free(tk);
    wr_free(ti);
    if (nnull > 1 && nkeys > 1) {
        s.first = 1;
        merge_sort(&s, nulls, nnull);
    }
    if (key->nulls_first) {
        memmove(order + nnull, order, (size_t)nval * sizeof(uint32_t));
        memcpy(order, nulls, (size_t)nnull * sizeof(uint32_t));
    } else {
        memcpy(order + nval, nulls, (size_t)nnull * sizeof(uint32_t));
    }
    wr_free(nulls);
    wr_free(s.tmp);
    if (s.stop || wr_op_cancelled(ctx)) return wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
    return 0;
}

static int sort_rows(sort_op *op, uint32_t *order, wr_error *err)
{
    return wr_sort_store(&op->rows, op->spec->keys, op->spec->nkeys, op->base.ctx, order, err);
}

/* ---- Top-N ------------------------------------------------------------------ */

/* Sorts the store and keeps its best `keep` rows, in order, in a fresh store. */
static int prune(sort_op *op, wr_error *err)
{
    uint32_t n = op->rows.n;
    uint32_t *order = wr_malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    int rc = sort_rows(op, order, err);
    if (rc == 0) {
        uint32_t keep = (int64_t)n < op->keep ? n : (uint32_t)op->keep;
        wr_colstore kept;
        wr_colstore_init(&kept, op->spec->types, op->spec->ncols);
        wr_colstore_take(&kept, &op->rows, order, keep);
        wr_colstore_fini(&op->rows);
        op->rows = kept;
        op->bounded = kept.n == op->keep;
        op->bound = kept.n - 1;
    }
    wr_free(order);
    return rc;
}

/* ---- callbacks ------------------------------------------------------------------ */

static void sort_destroy(wr_operator *base)
{
    sort_op *op = (sort_op *)base;
    wr_colstore_fini(&op->rows);
    wr_free(op->kinds);
    wr_batch_free(op->out);
    wr_free(op);
}

/* Rejects a spec the operator cannot run, with a message naming the problem. */
static int check_spec(const sort_spec *spec, wr_error *err)
{
    if (spec->ncols < 0 || spec->nkeys < 0)
        return wr_error_set(err, WR_ERR_ARGUMENT, "sort: negative column or key count (%d, %d)",
                            spec->ncols, spec->nkeys);
    if (spec->offset < 0)
        return wr_error_set(err, WR_ERR_ARGUMENT, "sort: negative OFFSET %lld",
                            (long long)spec->offset);
    for (int i = 0; i < spec->ncols; i++) {
        if (wr_value_kind_of(spec->types[i].id) == WR_VALUE_UNSUPPORTED) {
            char name[64];
            return wr_error_set(err, WR_ERR_ARGUMENT,
                                "sort: column %d has type %s, which sorting does not support", i,
                                wr_type_name(spec->types[i], name, sizeof(name)));
        }
    }
    for (int k = 0; k < spec->nkeys; k++)
        if (spec->keys[k].col < 0 || spec->keys[k].col >= spec->ncols)
            return wr_error_set(err, WR_ERR_ARGUMENT, "sort: key %d names column %d of %d", k,
                                spec->keys[k].col, spec->ncols);
    return 0;
}

/* offset + limit, saturating (both are >= 0). */
static int64_t window_end(const sort_spec *spec)
{
    return spec->limit > INT64_MAX - spec->offset ? INT64_MAX : spec->offset + spec->limit;
}

static wr_operator *sort_create(const void *p, wr_op_ctx *ctx, wr_error *err)
{
    const sort_spec *spec = p;
    if (check_spec(spec, err)) return NULL;
    sort_op *op = wr_calloc(1, sizeof(*op));
    op->base.ops = &wr_sort_ops;
    op->base.ctx = ctx;
    op->spec = spec;
    op->kinds = wr_malloc((size_t)spec->ncols + 1);
    for (int i = 0; i < spec->ncols; i++)
        op->kinds[i] = (uint8_t)wr_value_kind_of(spec->types[i].id);
    wr_colstore_init(&op->rows, spec->types, spec->ncols);
    op->out = wr_batch_new(spec->types, spec->ncols, CAP);
    op->keep = -1;
    if (spec->limit >= 0 && spec->nkeys > 0) {
        /* Past the store's capacity Top-N would keep everything anyway: no pruning. */
        int64_t keep = window_end(spec);
        if (keep < (int64_t)WR_COLSTORE_MAX_ROWS / 2) {
            op->keep = keep;
            int64_t at = 2 * keep > keep + 4096 ? 2 * keep : keep + 4096;
            op->prune_at = (uint32_t)at;
        }
    }
    return &op->base;
}

/* LIMIT/OFFSET without keys: passes the rows of the window through as they come. */
static int pass_through(sort_op *op, wr_batch *batch, wr_error *err)
{
    const sort_spec *spec = op->spec;
    int n = wr_batch_rows(batch);
    int64_t seen = op->seen;
    op->seen += n;
    int64_t lo = spec->offset - seen, hi = spec->limit < 0 ? n : window_end(spec) - seen;
    if (lo < 0) lo = 0;
    if (hi > n) hi = n;
    if (lo >= hi) return 0;
    if (lo == 0 && hi == n) return wr_op_emit(op->base.ctx, batch, err);
    uint32_t rows[CAP];
    for (int64_t start = lo; start < hi; start += CAP) {
        int m = hi - start < CAP ? (int)(hi - start) : CAP;
        for (int i = 0; i < m; i++) rows[i] = (uint32_t)wr_batch_row(batch, (int)start + i);
        wr_batch_reset(op->out);
        for (int c = 0; c < spec->ncols; c++) {
            const wr_vector *v = &batch->cols[c];
            wr_gather_slots(v->data, v->validity, wr_value_kind_width(op->kinds[c]), rows, m,
                            op->out, c);
        }
        op->out->count = m;
        int rc = wr_op_emit(op->base.ctx, op->out, err);
        if (rc) return rc;
    }
    return 0;
}

static int sort_process(wr_operator *base, int input, wr_batch *batch, wr_error *err)
{
    sort_op *op = (sort_op *)base;
    const sort_spec *spec = op->spec;
    if (batch->ncols != spec->ncols)
        return wr_error_set(err, WR_ERR_INTERNAL, "sort: a batch of %d columns, expected %d",
                            batch->ncols, spec->ncols);
    if (spec->limit == 0) return 0;
    if (spec->nkeys == 0) {
        if (spec->limit >= 0 && op->seen >= window_end(spec)) return 0;
        return pass_through(op, batch, err);
    }
    int n = wr_batch_rows(batch);
    uint32_t rows[CAP];
    for (int start = 0; start < n; start += CAP) {
        int m = n - start < CAP ? n - start : CAP;
        for (int i = 0; i < m; i++) rows[i] = (uint32_t)wr_batch_row(batch, start + i);
        if (op->bounded) {
            /* Only rows better than the worst kept one can make it. */
            row_src in = {NULL, NULL};
            void *data[spec->ncols];
            uint64_t *valid[spec->ncols];
            for (int c = 0; c < spec->ncols; c++) {
                data[c] = batch->cols[c].data;
                valid[c] = batch->cols[c].validity;
            }
            in.data = data;
            in.valid = valid;
            row_src kept = store_src(&op->rows);
            key_order ko = {spec->keys, spec->nkeys, op->kinds};
            int j = 0;
            for (int i = 0; i < m; i++) {
                rows[j] = rows[i];
                j += cmp_rows(&ko, 0, &in, rows[i], &kept, op->bound) < 0;
            }
            m = j;
        }
        int rc = wr_colstore_append(&op->rows, batch, rows, m, "sort", err);
        if (rc) return rc;
        if (op->keep >= 0 && op->rows.n >= op->prune_at) {
            rc = prune(op, err);
            if (rc) return rc;
        }
    }
    return 0;
}

static int sort_end_input(wr_operator *base, int input, wr_error *err)
{
    sort_op *op = (sort_op *)base;
    const sort_spec *spec = op->spec;
    if (op->ended || spec->nkeys == 0 || spec->limit == 0) return 0;
    op->ended = true;
    uint32_t n = op->rows.n;
    uint32_t *order = wr_malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    int rc = sort_rows(op, order, err);
    int64_t lo = spec->offset < n ? spec->offset : n;
    int64_t hi = spec->limit >= 0 && spec->limit < (int64_t)n - lo ? lo + spec->limit : n;
    for (int64_t start = lo; rc == 0 && start < hi; start += CAP) {
        int m = hi - start < CAP ? (int)(hi - start) : CAP;
        wr_batch_reset(op->out);
        for (int c = 0; c < spec->ncols; c++)
            wr_colstore_gather(&op->rows, c, order + start, m, op->out, c);
        op->out->count = m;
        rc = wr_op_emit(op->base.ctx, op->out, err);
        if (rc == 0 && wr_op_cancelled(op->base.ctx))
            rc = wr_error_set(err, WR_ERR_CANCELLED, "job cancelled");
    }
    wr_free(order);
    return rc;
}

/* State bytes: the row store holding the buffered rows. */
static size_t sort_state_bytes(const wr_operator *base)
{
    return wr_colstore_bytes(&((const sort_op *)base)->rows);
}

const wr_operator_ops wr_sort_ops = {
    .kind = "sort",
    .create = sort_create,
    .process = sort_process,
    .end_input = sort_end_input,
    .state_bytes = sort_state_bytes,
    .destroy = sort_destroy,
};
