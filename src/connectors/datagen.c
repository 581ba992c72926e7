/*
 * datagen.c — the 'datagen' source: random or sequential rows, as Flink's.
 *
 * Each subtask produces its share of what the options describe: the rate,
 * 'number-of-rows' and every sequence are split among the subtasks so that
 * together they produce exactly that. Values are generated a column at a
 * time, one tight loop per column chosen when the subtask is created, so the
 * unthrottled source is far faster than anything downstream of it.
 */
#include "connector_int.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/hash.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define DATAGEN_SUPPORTED                                                                          \
    "connector, rows-per-second, number-of-rows, scan.parallelism, fields.#.kind, "                \
    "fields.#.null-rate, fields.#.min, fields.#.max, fields.#.length, fields.#.max-past, "         \
    "fields.#.start, fields.#.end"

/* Longest random string; bounds a batch's string bytes to 64 MiB. */
#define DATAGEN_MAX_LENGTH 65536

/* Longest 'max-past': 10000 years. */
#define DATAGEN_MAX_PAST_MS (10000 * 366 * 86400000LL)

enum { KIND_RANDOM = 0, KIND_SEQUENCE = 1 };
static const char *const kind_names[] = {"random", "sequence", NULL};

/* How one column is generated; validated, immutable. */
typedef struct field_spec {
    int kind;
    int64_t start, end;  /* sequence: inclusive */
    int64_t imin, imax;  /* random TINYINT..BIGINT: inclusive */
    double dmin, dmax;   /* random FLOAT/DOUBLE */
    int32_t length;      /* random CHAR/VARCHAR */
    int64_t max_past_ms; /* random TIMESTAMP: now - [0, max_past_ms] */
    double null_rate;    /* 0..1 */
} field_spec;

/*
 * The columns a scan produces (its request's, in that order) and what bounds
 * the rows: number-of-rows and every sequence column of the table, produced
 * or not, so a projection never changes how many rows there are.
 */
typedef struct datagen_spec {
    int ncols; /* produced columns */
    wr_type *types;
    field_spec *fields;
    double rows_per_second; /* total over all subtasks */
    int64_t number_of_rows; /* total over all subtasks; -1: unlimited */
    bool has_sequence;      /* some column of the table is a sequence */
    uint64_t sequence_rows; /* the shortest sequence's length (has_sequence) */
} datagen_spec;

/* ---- the generator -------------------------------------------------------- */

typedef struct datagen datagen;
typedef void (*fill_fn)(datagen *gen, int col, int n);

typedef struct gen_col {
    fill_fn fill;
    int64_t next; /* sequence: this subtask's next value */
} gen_col;

struct datagen {
    wr_operator base;
    const datagen_spec *spec;
    wr_batch *batch;
    gen_col *cols;
    uint64_t rng;       /* wyrand state */
    bool bounded;       /* remaining counts down to 0 */
    uint64_t remaining; /* rows this subtask still produces when bounded */
    /*
     * Bounded sources produce rows by index: row i has sequence values
     * start + i. These are the index ranges [lo, hi) this subtask still
     * produces, in order (one at a fresh start; after a restore at another
     * parallelism, any of those the old subtasks left). Checkpointed.
     */
    struct range {
        uint64_t lo, hi;
    } * ranges;
    int nranges, at;
    /* Throttle: tokens accrue at rate per second from t0; emitted are spent. */
    double rate;  /* this subtask's rows per second */
    int chunk;    /* rows worth waiting for: about 50 ms of output, 1..capacity */
    bool started; /* t0 is set */
    int64_t t0;
    int64_t emitted;
};

/* wyrand: one multiply per 64 random bits and passes BigCrush. */
static inline uint64_t wyrand(uint64_t *s)
{
    *s += 0xa0761d6478bd642fULL;
    unsigned __int128 t = (unsigned __int128)*s * (*s ^ 0xe7037ed1a0b428dbULL);
    return (uint64_t)(t >> 64) ^ (uint64_t)t;
}

/* A value in [0, range) from 64 random bits (Lemire's multiply-shift). */
static inline uint64_t below(uint64_t r, uint64_t range)
{
    return (uint64_t)(((unsigned __int128)r * range) >> 64);
}

/* A double in [0, 1). */
static inline double unit(uint64_t r)
{
    return (double)(r >> 11) * 0x1p-53;
}

#define RANDOM_INT_FILL(NAME, T)                                                                   \
    static void NAME(datagen *gen, int col, int n)                                                 \
    {                                                                                              \
        const field_spec *f = &gen->spec->fields[col];                                             \
        T *d = gen->batch->cols[col].data;                                                         \
        uint64_t s = gen->rng;                                                                     \
        uint64_t lo = (uint64_t)f->imin;                                                           \
        uint64_t range = (uint64_t)f->imax - lo + 1; /* 0: all 2^64 values */                      \
        if (range == 0) {                                                                          \
            for (int i = 0; i < n; i++) d[i] = (T)wyrand(&s);                                      \
        } else {                                                                                   \
            for (int i = 0; i < n; i++) d[i] = (T)(int64_t)(lo + below(wyrand(&s), range));        \
        }                                                                                          \
        gen->rng = s;                                                                              \
    }

RANDOM_INT_FILL(random_i8, int8_t)
RANDOM_INT_FILL(random_i16, int16_t)
RANDOM_INT_FILL(random_i32, int32_t)
RANDOM_INT_FILL(random_i64, int64_t)

#define SEQUENCE_FILL(NAME, T)                                                                     \
    static void NAME(datagen *gen, int col, int n)                                                 \
    {                                                                                              \
        T *d = gen->batch->cols[col].data;                                                         \
        uint64_t next = (uint64_t)gen->cols[col].next;                                             \
        for (int i = 0; i < n; i++) d[i] = (T)(int64_t)(next + (uint64_t)i);                       \
        gen->cols[col].next = (int64_t)(next + (uint64_t)n);                                       \
    }

SEQUENCE_FILL(sequence_i8, int8_t)
SEQUENCE_FILL(sequence_i16, int16_t)
SEQUENCE_FILL(sequence_i32, int32_t)
SEQUENCE_FILL(sequence_i64, int64_t)
SEQUENCE_FILL(sequence_f32, float)
SEQUENCE_FILL(sequence_f64, double)

/*
 * min + u * (max - min), clamped to max against rounding; when max - min
 * overflows (the default range of DOUBLE) the halves are used instead.
 */
static void random_f64(datagen *gen, int col, int n)
{
    const field_spec *f = &gen->spec->fields[col];
    double *d = gen->batch->cols[col].data;
    uint64_t s = gen->rng;
    double lo = f->dmin, hi = f->dmax, span = hi - lo;
    if (isfinite(span)) {
        for (int i = 0; i < n; i++) {
            double v = lo + unit(wyrand(&s)) * span;
            d[i] = v > hi ? hi : v;
        }
    } else {
        double half_lo = lo / 2, half_span = hi / 2 - lo / 2;
        for (int i = 0; i < n; i++) d[i] = 2 * (half_lo + unit(wyrand(&s)) * half_span);
    }
    gen->rng = s;
}

static void random_f32(datagen *gen, int col, int n)
{
    const field_spec *f = &gen->spec->fields[col];
    float *d = gen->batch->cols[col].data;
    uint64_t s = gen->rng;
    double lo = f->dmin, span = f->dmax - f->dmin; /* finite: FLOAT's range fits a double */
    float flo = (float)f->dmin, fhi = (float)f->dmax;
    for (int i = 0; i < n; i++) {
        float v = (float)(lo + unit(wyrand(&s)) * span);
        d[i] = v > fhi ? fhi : v < flo ? flo : v;
    }
    gen->rng = s;
}

static void random_bool(datagen *gen, int col, int n)
{
    uint8_t *d = gen->batch->cols[col].data;
    uint64_t s = gen->rng;
    for (int i = 0; i < n; i += 64) {
        uint64_t r = wyrand(&s);
        int m = WR_MIN(64, n - i);
        for (int j = 0; j < m; j++) d[i + j] = (uint8_t)((r >> j) & 1);
    }
    gen->rng = s;
}

/* Lowercase hex, as Flink's RandomDataGenerator.nextHexString; one block for the batch. */
static void random_str(datagen *gen, int col, int n)
{
    static const char hex[16] = "0123456789abcdef";
    wr_str *d = gen->batch->cols[col].data;
    uint32_t len = (uint32_t)gen->spec->fields[col].length;
    size_t total = (size_t)n * len;
    char *p = total ? wr_arena_alloc(&gen->batch->arena, total) : NULL;
    uint64_t s = gen->rng;
    size_t i = 0;
    for (; i + 16 <= total; i += 16) {
        uint64_t r = wyrand(&s);
        for (int k = 0; k < 16; k++) p[i + k] = hex[(r >> (4 * k)) & 15];
    }
    if (i < total) {
        uint64_t r = wyrand(&s);
        for (int k = 0; i < total; i++, k++) p[i] = hex[(r >> (4 * k)) & 15];
    }
    gen->rng = s;
    for (int row = 0; row < n; row++) d[row] = (wr_str){p ? p + (size_t)row * len : "", len};
}

/* Flink turns the sequence number into its decimal text. */
static void sequence_str(datagen *gen, int col, int n)
{
    wr_str *d = gen->batch->cols[col].data;
    char *p = wr_arena_alloc(&gen->batch->arena, (size_t)n * 20);
    uint64_t next = (uint64_t)gen->cols[col].next;
    for (int i = 0; i < n; i++) {
        int64_t v = (int64_t)(next + (uint64_t)i);
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        char tmp[20];
        int k = 0;
        do {
            tmp[k++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        char *start = p;
        if (v < 0) *p++ = '-';
        while (k) *p++ = tmp[--k];
        d[i] = (wr_str){start, (uint32_t)(p - start)};
    }
    gen->cols[col].next = (int64_t)(next + (uint64_t)n);
}

/* Processing time now, minus up to max-past, at Flink's millisecond granularity. */
static void random_timestamp(datagen *gen, int col, int n)
{
    int64_t *d = gen->batch->cols[col].data;
    int64_t now_ms = wr_clock_wall_ms();
    uint64_t range = (uint64_t)gen->spec->fields[col].max_past_ms + 1;
    if (range == 1) {
        for (int i = 0; i < n; i++) d[i] = now_ms * 1000;
        return;
    }
    uint64_t s = gen->rng;
    for (int i = 0; i < n; i++) d[i] = (now_ms - (int64_t)below(wyrand(&s), range)) * 1000;
    gen->rng = s;
}

/* Clears validity bits with probability null_rate, 64 rows per word. */
static void fill_nulls(datagen *gen, int col, int n)
{
    double rate = gen->spec->fields[col].null_rate;
    uint64_t *validity = wr_batch_validity(gen->batch, col);
    int words = (n + 63) / 64;
    if (rate >= 1) {
        memset(validity, 0, (size_t)words * sizeof(uint64_t));
        return;
    }
    uint64_t threshold = (uint64_t)(rate * 0x1p64); /* null when r < threshold */
    uint64_t s = gen->rng;
    for (int w = 0; w < words; w++) {
        uint64_t bits = 0;
        for (int j = 0; j < 64; j++) bits |= (uint64_t)(wyrand(&s) >= threshold) << j;
        validity[w] = bits;
    }
    gen->rng = s;
}

static fill_fn choose_fill(wr_type_id id, int kind)
{
    bool seq = kind == KIND_SEQUENCE;
    switch (id) {
    case WR_TYPE_BOOLEAN:
        return random_bool;
    case WR_TYPE_TINYINT:
        return seq ? sequence_i8 : random_i8;
    case WR_TYPE_SMALLINT:
        return seq ? sequence_i16 : random_i16;
    case WR_TYPE_INT:
        return seq ? sequence_i32 : random_i32;
    case WR_TYPE_BIGINT:
        return seq ? sequence_i64 : random_i64;
    case WR_TYPE_FLOAT:
        return seq ? sequence_f32 : random_f32;
    case WR_TYPE_DOUBLE:
        return seq ? sequence_f64 : random_f64;
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR:
        return seq ? sequence_str : random_str;
    case WR_TYPE_TIMESTAMP:
        return random_timestamp;
    default:
        break;
    }
    return NULL;
}

/* The part of a total of `total` things that subtask i of p gets; parts differ by at most 1. */
static uint64_t share(uint64_t total, int i, int p)
{
    return total / (uint64_t)p + ((uint64_t)i < total % (uint64_t)p ? 1 : 0);
}

/* Where subtask i's part of a sequence starts: after the parts of subtasks 0..i-1. */
static uint64_t share_offset(uint64_t total, int i, int p)
{
    uint64_t rem = total % (uint64_t)p;
    return (total / (uint64_t)p) * (uint64_t)i + WR_MIN((uint64_t)i, rem);
}

static wr_operator *datagen_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int datagen_run(wr_operator *op, wr_source_status *status, wr_error *err);
static void datagen_destroy(wr_operator *op);
static int datagen_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err);
static void range_add(datagen *gen, uint64_t lo, uint64_t hi);
static int datagen_restore(datagen *gen, const wr_restore *r, int subtask, int p, wr_error *err);

static const wr_operator_ops datagen_ops = {
    .kind = "datagen",
    .create = datagen_create,
    .run = datagen_run,
    .snapshot = datagen_snapshot,
    .destroy = datagen_destroy,
    .union_state = true,
};

static void range_add(datagen *gen, uint64_t lo, uint64_t hi)
{
    if (lo >= hi) return;
    gen->ranges = wr_realloc(gen->ranges, (size_t)(gen->nranges + 1) * sizeof(*gen->ranges));
    gen->ranges[gen->nranges].lo = lo;
    gen->ranges[gen->nranges].hi = hi;
    gen->nranges++;
}

#define DATAGEN_STATE_VERSION 2

/*
 * Operator state: version, then the count and the [lo, hi) index ranges
 * this subtask had not produced yet. At the same parallelism an instance
 * gets its own part; at another, every instance gets every part (the
 * runtime's union redistribution) and takes every p-th range, so each left
 * row is produced exactly once.
 */
static int datagen_restore(datagen *gen, const wr_restore *r, int subtask, int p, wr_error *err)
{
    gen->nranges = 0;
    int seen = 0;
    for (int k = 0; k < r->nparts; k++) {
        const wr_buf *d = &r->parts[k]->data;
        uint32_t version, n;
        if (r->parts[k]->keygroup >= 0) continue;
        if (d->len < 8) goto bad;
        memcpy(&version, d->data, 4);
        memcpy(&n, d->data + 4, 4);
        if (version != DATAGEN_STATE_VERSION || d->len != 8 + (size_t)n * 16) goto bad;
        for (uint32_t j = 0; j < n; j++, seen++) {
            uint64_t lo, hi;
            memcpy(&lo, d->data + 8 + (size_t)j * 16, 8);
            memcpy(&hi, d->data + 16 + (size_t)j * 16, 8);
            if (!r->rescaled || seen % p == subtask) range_add(gen, lo, hi);
        }
    }
    return 0;
bad:
    return wr_error_set(err, WR_ERR_IO,
                        "datagen: the checkpointed position is not in a format this version "
                        "reads");
}

/*
 * Sets up subtask ctx->subtask of ctx->parallelism: its rate, its share of
 * number-of-rows and of each sequence, and a PRNG seeded for this subtask
 * and run (random values differ between runs, as in Flink).
 */
static wr_operator *datagen_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const datagen_spec *spec = vspec;
    int p = ctx->parallelism > 0 ? ctx->parallelism : 1;
    int i = ctx->subtask;
    datagen *gen = wr_calloc(1, sizeof(*gen));
    gen->base.ops = &datagen_ops;
    gen->base.ctx = ctx;
    gen->spec = spec;
    gen->batch = wr_batch_new(spec->types, spec->ncols, WR_BATCH_CAPACITY);
    gen->cols = wr_calloc((size_t)(spec->ncols ? spec->ncols : 1), sizeof(gen_col));
    gen->rng =
        wr_hash_u64((uint64_t)wr_clock_mono_ns() ^ wr_hash_u64((uint64_t)wr_clock_wall_ms())) ^
        wr_hash_u64((uint64_t)i + 1);
    /* The rows of a bounded source: number-of-rows, or the shortest sequence. */
    uint64_t total = UINT64_MAX;
    if (spec->number_of_rows >= 0) {
        gen->bounded = true;
        total = (uint64_t)spec->number_of_rows;
    }
    for (int c = 0; c < spec->ncols; c++)
        gen->cols[c].fill = choose_fill((wr_type_id)spec->types[c].id, spec->fields[c].kind);
    if (spec->has_sequence) {
        total = WR_MIN(total, spec->sequence_rows);
        gen->bounded = true;
    }
    if (gen->bounded) {
        uint64_t lo = share_offset(total, i, p);
        range_add(gen, lo, lo + share(total, i, p));
    }
    /* Restored: continue with the ranges left at the checkpoint (sequences continue; random
     * values are not replayed, as in Flink). */
    const wr_restore *r = ctx->restore;
    if (r && gen->bounded && datagen_restore(gen, r, i, p, err)) {
        datagen_destroy(&gen->base);
        return NULL;
    }
    if (r && r->finished) gen->nranges = 0;
    gen->remaining = 0;
    for (int k = 0; k < gen->nranges; k++) gen->remaining += gen->ranges[k].hi - gen->ranges[k].lo;
    gen->rate = spec->rows_per_second / p;
    gen->chunk = (int)WR_MAX(1.0, WR_MIN((double)WR_BATCH_CAPACITY, gen->rate / 20));
    return &gen->base;
}

/*
 * How many of want rows the rate allows now; 0 when the source should idle
 * (ctx->idle_until_ns is then set). Waits for a chunk rather than a single
 * row so that fast rates emit full batches, and forgets a backlog of more
 * than one batch (after backpressure) instead of bursting to catch up.
 */
static int throttle(datagen *gen, int want)
{
    int64_t now = wr_clock_mono_ns();
    if (!gen->started) {
        gen->started = true;
        gen->t0 = now - (int64_t)(gen->chunk * 1e9 / gen->rate); /* first chunk at once */
        gen->emitted = 0;
    }
    double allowed = (double)(now - gen->t0) * gen->rate / 1e9 - (double)gen->emitted;
    if (allowed > 2.0 * WR_BATCH_CAPACITY) {
        gen->t0 = now - (int64_t)(WR_BATCH_CAPACITY * 1e9 / gen->rate);
        gen->emitted = 0;
        allowed = WR_BATCH_CAPACITY;
    }
    int target = WR_MIN(want, gen->chunk);
    if (allowed < target) {
        gen->base.ctx->idle_until_ns = now + (int64_t)ceil((target - allowed) * 1e9 / gen->rate);
        return 0;
    }
    return allowed < want ? (int)allowed : want;
}

/* Emits one batch; returns END with the last batch of a bounded source. */
static int datagen_run(wr_operator *op, wr_source_status *status, wr_error *err)
{
    datagen *gen = (datagen *)op;
    if (gen->bounded && gen->remaining == 0) {
        *status = WR_SOURCE_END;
        return 0;
    }
    while (gen->bounded && gen->ranges[gen->at].lo == gen->ranges[gen->at].hi) gen->at++;
    uint64_t in_range =
        gen->bounded ? gen->ranges[gen->at].hi - gen->ranges[gen->at].lo : UINT64_MAX;
    int n = (int)WR_MIN((uint64_t)WR_BATCH_CAPACITY, in_range);
    n = throttle(gen, n);
    if (n == 0) {
        *status = WR_SOURCE_IDLE;
        return 0;
    }
    wr_batch *batch = gen->batch;
    wr_batch_reset(batch);
    for (int c = 0; c < gen->spec->ncols; c++) {
        const field_spec *f = &gen->spec->fields[c];
        if (f->kind == KIND_SEQUENCE) /* value = start + row index */
            gen->cols[c].next = (int64_t)((uint64_t)f->start + gen->ranges[gen->at].lo);
        gen->cols[c].fill(gen, c, n);
        if (gen->spec->fields[c].null_rate > 0) fill_nulls(gen, c, n);
    }
    batch->count = n;
    gen->emitted += n;
    if (gen->bounded) {
        gen->ranges[gen->at].lo += (uint64_t)n;
        gen->remaining -= (uint64_t)n;
    }
    *status = gen->bounded && gen->remaining == 0 ? WR_SOURCE_END : WR_SOURCE_MORE;
    return wr_op_emit(op->ctx, batch, err);
}

/* Operator state: the index ranges not produced before the barrier (see datagen_restore). */
static int datagen_snapshot(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err)
{
    datagen *gen = (datagen *)op;
    if (!gen->bounded) return 0; /* random rows: nothing to continue */
    wr_buf *b = wr_snapshot_add(out, -1);
    uint32_t version = DATAGEN_STATE_VERSION, n = 0;
    for (int k = gen->at; k < gen->nranges; k++) n += gen->ranges[k].lo < gen->ranges[k].hi;
    wr_buf_append(b, &version, 4);
    wr_buf_append(b, &n, 4);
    for (int k = gen->at; k < gen->nranges; k++) {
        if (gen->ranges[k].lo == gen->ranges[k].hi) continue;
        wr_buf_append(b, &gen->ranges[k].lo, 8);
        wr_buf_append(b, &gen->ranges[k].hi, 8);
    }
    return 0;
}

static void datagen_destroy(wr_operator *op)
{
    datagen *gen = (datagen *)op;
    wr_batch_free(gen->batch);
    wr_free(gen->cols);
    wr_free(gen->ranges);
    wr_free(gen);
}

/* ---- options -------------------------------------------------------------- */

static void datagen_spec_free(void *vspec)
{
    datagen_spec *spec = vspec;
    if (spec == NULL) return;
    wr_free(spec->types);
    wr_free(spec->fields);
    wr_free(spec);
}

/* The inclusive range of an integer type. */
static void int_range(wr_type_id id, int64_t *lo, int64_t *hi)
{
    switch (id) {
    case WR_TYPE_TINYINT:
        *lo = INT8_MIN, *hi = INT8_MAX;
        break;
    case WR_TYPE_SMALLINT:
        *lo = INT16_MIN, *hi = INT16_MAX;
        break;
    case WR_TYPE_INT:
        *lo = INT32_MIN, *hi = INT32_MAX;
        break;
    default:
        *lo = INT64_MIN, *hi = INT64_MAX;
        break;
    }
}

/* "fields.<col>.<prop>" in key (reset first). */
static const char *field_key(wr_buf *key, const char *col, const char *prop)
{
    wr_buf_reset(key);
    wr_buf_printf(key, "fields.%s.%s", col, prop);
    return key->data;
}

/* Reads an integer option and checks it against [lo, hi]; absent: def. */
static int get_int_in(const wr_config *options, const char *key, int64_t def, int64_t lo,
                      int64_t hi, const char *what, int64_t *out, wr_error *err)
{
    int rc = wr_config_get_int64(options, key, def, out, err);
    if (rc) return rc;
    const wr_config_entry *e = wr_config_find(options, key);
    if (e != NULL && (*out < lo || *out > hi)) {
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option '%s': expected %s from %" PRId64
                               " to %" PRId64,
                               e->value, key, what, lo, hi);
    }
    return 0;
}

/* Reports min > max at the max option (or min when max is absent). */
static int min_above_max(const wr_config *options, wr_buf *key, const char *col,
                         const char *shown_min, const char *shown_max, wr_error *err)
{
    const wr_config_entry *e = wr_config_find(options, field_key(key, col, "max"));
    if (e == NULL) e = wr_config_find(options, field_key(key, col, "min"));
    return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                           "invalid options for column '%s': 'fields.%s.min' (%s) is greater "
                           "than 'fields.%s.max' (%s)",
                           col, col, shown_min, col, shown_max);
}

/* Reads the sequence options of column c: 'start' and 'end', both required. */
static int read_sequence(const wr_config *options, const char *col, wr_type type, wr_buf *key,
                         field_spec *f, wr_error *err)
{
    char tname[64];
    const wr_config_entry *kind = wr_config_find(options, field_key(key, col, "kind"));
    bool ok = wr_type_is_numeric((wr_type_id)type.id) || wr_type_is_string((wr_type_id)type.id);
    if (!ok)
        return wr_error_set_at(err, WR_ERR_VALIDATION, kind->value_pos,
                               "invalid value 'sequence' for option 'fields.%s.kind': column "
                               "'%s' of type %s cannot be a sequence; use 'random'",
                               col, col, wr_type_name(type, tname, sizeof(tname)));
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (wr_type_is_integer((wr_type_id)type.id)) int_range((wr_type_id)type.id, &lo, &hi);
    const char *props[2] = {"start", "end"};
    int64_t *vals[2] = {&f->start, &f->end};
    for (int k = 0; k < 2; k++) {
        if (wr_config_find(options, field_key(key, col, props[k])) == NULL)
            return wr_error_set_at(err, WR_ERR_VALIDATION, kind->key_pos,
                                   "option 'fields.%s.%s' is required for the sequence column "
                                   "'%s' of connector 'datagen'",
                                   col, props[k], col);
        int rc = get_int_in(options, key->data, 0, lo, hi, "an integer", vals[k], err);
        if (rc) return rc;
    }
    if (f->start > f->end) {
        const wr_config_entry *e = wr_config_find(options, field_key(key, col, "end"));
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid options for column '%s': 'fields.%s.end' (%" PRId64
                               ") is less than 'fields.%s.start' (%" PRId64 ")",
                               col, col, f->end, col, f->start);
    }
    if (f->start == INT64_MIN && f->end == INT64_MAX) {
        const wr_config_entry *e = wr_config_find(options, field_key(key, col, "end"));
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "the sequence of column '%s' is too long", col);
    }
    return 0;
}

/* Reads the random options that apply to a column of this type. */
static int read_random(const wr_config *options, const char *col, wr_type type, wr_buf *key,
                       field_spec *f, wr_error *err)
{
    wr_type_id id = (wr_type_id)type.id;
    int rc = 0;
    if (wr_type_is_integer(id)) {
        int64_t lo, hi;
        int_range(id, &lo, &hi);
        char what[32], expect[48];
        snprintf(expect, sizeof(expect), "a %s",
                 wr_type_name(wr_type_make(id, true), what, sizeof(what)));
        rc = get_int_in(options, field_key(key, col, "min"), lo, lo, hi, expect, &f->imin, err);
        if (rc == 0)
            rc = get_int_in(options, field_key(key, col, "max"), hi, lo, hi, expect, &f->imax, err);
        if (rc == 0 && f->imin > f->imax) {
            char a[24], b[24];
            snprintf(a, sizeof(a), "%" PRId64, f->imin);
            snprintf(b, sizeof(b), "%" PRId64, f->imax);
            return min_above_max(options, key, col, a, b, err);
        }
    } else if (id == WR_TYPE_FLOAT || id == WR_TYPE_DOUBLE) {
        /* Flink's defaults: Float/Double.MIN_VALUE (the smallest positive) to MAX_VALUE. */
        double lo = id == WR_TYPE_FLOAT ? FLT_TRUE_MIN : DBL_TRUE_MIN;
        double hi = id == WR_TYPE_FLOAT ? FLT_MAX : DBL_MAX;
        const char *props[2] = {"min", "max"};
        double *vals[2] = {&f->dmin, &f->dmax};
        for (int k = 0; k < 2 && rc == 0; k++) {
            rc = wr_config_get_double(options, field_key(key, col, props[k]), k ? hi : lo, vals[k],
                                      err);
            if (rc == 0 && fabs(*vals[k]) > hi) {
                const wr_config_entry *e = wr_config_find(options, key->data);
                rc = wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                                     "invalid value '%s' for option '%s': out of the range of "
                                     "FLOAT",
                                     e->value, e->key);
            }
        }
        if (rc == 0 && f->dmin > f->dmax) {
            const wr_config_entry *emin = wr_config_find(options, field_key(key, col, "min"));
            const wr_config_entry *emax = wr_config_find(options, field_key(key, col, "max"));
            return min_above_max(options, key, col, emin ? emin->value : "default",
                                 emax ? emax->value : "default", err);
        }
    } else if (wr_type_is_string(id)) {
        int64_t declared = WR_MIN((int64_t)type.length, DATAGEN_MAX_LENGTH);
        int64_t def = id == WR_TYPE_CHAR ? declared : WR_MIN(100, declared);
        int64_t len;
        rc = get_int_in(options, field_key(key, col, "length"), def, 0, declared, "a length", &len,
                        err);
        f->length = (int32_t)len;
    } else if (id == WR_TYPE_TIMESTAMP) {
        rc = wr_config_get_duration_ms(options, field_key(key, col, "max-past"), 0, &f->max_past_ms,
                                       err);
        /* Keeps now - max-past far inside int64 microseconds. */
        if (rc == 0 && f->max_past_ms > DATAGEN_MAX_PAST_MS) {
            const wr_config_entry *e = wr_config_find(options, key->data);
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                                 "invalid value '%s' for option '%s': expected at most 10000 "
                                 "years",
                                 e->value, e->key);
        }
    }
    return rc;
}

/* The options a column accepts, for the message about one it does not. */
static const char *field_props(wr_type_id id, int kind)
{
    if (kind == KIND_SEQUENCE) return "kind, null-rate, start, end";
    if (wr_type_is_numeric(id)) return "kind, null-rate, min, max";
    if (wr_type_is_string(id)) return "kind, null-rate, length";
    if (id == WR_TYPE_TIMESTAMP) return "kind, null-rate, max-past";
    return "kind, null-rate";
}

/*
 * Rejects every 'fields.*' option that no column read: one naming a column
 * that is not in the schema, or one that does not apply to its column.
 */
static int check_field_options(const wr_schema *schema, const wr_config *options,
                               const field_spec *fields, wr_error *err)
{
    for (int i = 0; i < options->n; i++) {
        const wr_config_entry *e = &options->entries[i];
        if (e->used || strncmp(e->key, "fields.", 7) != 0) continue;
        const char *rest = e->key + 7;
        const char *dot = strrchr(rest, '.');
        if (dot == NULL) continue; /* left to wr_connector_check_unused */
        char *col = wr_strndup(rest, (size_t)(dot - rest));
        int c = wr_schema_find(schema, col);
        int rc;
        if (c < 0) {
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, e->key_pos,
                                 "unsupported option '%s' for connector 'datagen': the table "
                                 "has no column '%s'",
                                 e->key, col);
        } else {
            char tname[64];
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, e->key_pos,
                                 "unsupported option '%s' for connector 'datagen': column '%s' "
                                 "of type %s with kind '%s' accepts fields.%s.{%s}",
                                 e->key, col, wr_type_name(schema->types[c], tname, sizeof(tname)),
                                 kind_names[fields[c].kind], col,
                                 field_props((wr_type_id)schema->types[c].id, fields[c].kind));
        }
        wr_free(col);
        return rc;
    }
    return 0;
}

/*
 * Narrows a spec of every table column to the columns of req, after the
 * sequences of all of them have set the bound.
 */
static void project_spec(datagen_spec *spec, const wr_schema *schema, const wr_scan_request *req)
{
    for (int c = 0; c < spec->ncols; c++) {
        const field_spec *f = &spec->fields[c];
        if (f->kind != KIND_SEQUENCE) continue;
        uint64_t len = (uint64_t)f->end - (uint64_t)f->start + 1; /* validated: no wrap */
        spec->sequence_rows = spec->has_sequence ? WR_MIN(spec->sequence_rows, len) : len;
        spec->has_sequence = true;
    }
    int n;
    int *cols = wr_scan_request_columns(req, schema, &n);
    wr_type *types = wr_calloc((size_t)(n ? n : 1), sizeof(wr_type));
    field_spec *fields = wr_calloc((size_t)(n ? n : 1), sizeof(field_spec));
    for (int i = 0; i < n; i++) {
        types[i] = spec->types[cols[i]];
        fields[i] = spec->fields[cols[i]];
    }
    wr_free(cols);
    wr_free(spec->types);
    wr_free(spec->fields);
    spec->types = types;
    spec->fields = fields;
    spec->ncols = n;
}

/*
 * Validates every option against the schema (all columns, whatever req
 * produces) and returns the spec of req's columns. Bounded when
 * 'number-of-rows' is set or any column is a sequence. Takes no filters.
 */
static int datagen_make_source(const wr_schema *schema, const wr_config *options,
                               const wr_config *job, const wr_scan_request *req,
                               wr_operator_spec *out, wr_error *err)
{
    assert(req == NULL || req->nfilters == 0);
    datagen_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->ncols = schema->ncols;
    spec->types = wr_calloc((size_t)(schema->ncols ? schema->ncols : 1), sizeof(wr_type));
    spec->fields = wr_calloc((size_t)(schema->ncols ? schema->ncols : 1), sizeof(field_spec));
    wr_buf key;
    wr_buf_init(&key);
    bool bounded = false;
    int parallelism = -1;
    int64_t rps;
    int rc =
        get_int_in(options, "rows-per-second", 10000, 1, INT64_MAX, "a number of rows", &rps, err);
    spec->rows_per_second = (double)rps;
    if (rc == 0)
        rc = get_int_in(options, "number-of-rows", -1, 0, INT64_MAX, "a number of rows",
                        &spec->number_of_rows, err);
    if (rc == 0 && spec->number_of_rows >= 0) bounded = true;
    if (rc == 0) rc = wr_connector_get_parallelism(options, "scan.parallelism", &parallelism, err);

    for (int c = 0; c < schema->ncols && rc == 0; c++) {
        const char *col = schema->names[c];
        wr_type type = schema->types[c];
        field_spec *f = &spec->fields[c];
        spec->types[c] = type;
        if (choose_fill((wr_type_id)type.id, KIND_RANDOM) == NULL) {
            char tname[64];
            rc = wr_error_set(err, WR_ERR_VALIDATION,
                              "connector 'datagen' cannot generate column '%s' of type %s", col,
                              wr_type_name(type, tname, sizeof(tname)));
            break;
        }
        rc = wr_config_get_enum(options, field_key(&key, col, "kind"), kind_names, KIND_RANDOM,
                                &f->kind, err);
        if (rc) break;
        rc =
            wr_config_get_double(options, field_key(&key, col, "null-rate"), 0, &f->null_rate, err);
        if (rc) break;
        if (f->null_rate < 0 || f->null_rate > 1 || (f->null_rate > 0 && !type.nullable)) {
            const wr_config_entry *e = wr_config_find(options, key.data);
            rc = wr_error_set_at(
                err, WR_ERR_VALIDATION, e->value_pos,
                "invalid value '%s' for option '%s': expected %s", e->value, e->key,
                type.nullable ? "a rate from 0 to 1" : "0 because the column is NOT NULL");
            break;
        }
        if (f->kind == KIND_SEQUENCE) {
            rc = read_sequence(options, col, type, &key, f, err);
            bounded = true;
        } else {
            rc = read_random(options, col, type, &key, f, err);
        }
    }
    if (rc == 0) rc = check_field_options(schema, options, spec->fields, err);
    if (rc == 0) rc = wr_connector_check_unused(options, "datagen", DATAGEN_SUPPORTED, err);
    wr_buf_fini(&key);
    if (rc) {
        datagen_spec_free(spec);
        return rc;
    }
    project_spec(spec, schema, req);
    *out = (wr_operator_spec){.ops = &datagen_ops,
                              .spec = spec,
                              .spec_free = datagen_spec_free,
                              .parallelism = parallelism,
                              .bounded = bounded};
    return 0;
}

const wr_connector wr_connector_datagen = {
    .name = "datagen",
    .make_source = datagen_make_source,
    .accepts_filter = NULL,
    .make_sink = NULL,
};
