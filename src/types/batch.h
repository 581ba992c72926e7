/*
 * batch.h — the columnar batch: the unit of data that flows through Weir.
 *
 * A batch holds up to `capacity` rows as one vector per column. Each vector
 * has its values in a fixed-width array and an optional validity bitmap
 * (bit set = value present; no bitmap = no NULLs). A selection vector names
 * the active rows, so a filter narrows a batch without copying it. An
 * optional change-kind array gives each row's kind (+I, -U, +U, -D); without
 * it every row is an insert. An optional timestamp array gives each row's
 * event time. Strings and byte strings are views into the batch's arena.
 *
 * Borrowing rule: a batch handed to an operator is borrowed for the duration
 * of the call. A vector may alias another batch's memory (a projection of an
 * input column does so) only while that batch is borrowed; anything that
 * keeps rows past the call copies them (wr_batch_append_rows).
 */
#ifndef WR_BATCH_H
#define WR_BATCH_H

#include "../base/arena.h"
#include "../base/buf.h"
#include "types.h"

#include <stdatomic.h>
#include <string.h>

#define WR_BATCH_CAPACITY 1024

typedef enum wr_change_kind {
    WR_KIND_INSERT = 0,        /* +I */
    WR_KIND_UPDATE_BEFORE = 1, /* -U */
    WR_KIND_UPDATE_AFTER = 2,  /* +U */
    WR_KIND_DELETE = 3,        /* -D */
} wr_change_kind;

const char *wr_change_kind_short(wr_change_kind kind); /* "+I", "-U", "+U", "-D" */

typedef struct wr_vector {
    wr_type type;
    void *data;         /* capacity slots; may alias a borrowed batch */
    uint64_t *validity; /* NULL: every value present */
    void *own_data;     /* the batch's own slots (data points here unless aliased) */
    uint64_t *own_validity;
} wr_vector;

typedef struct wr_batch {
    int ncols;
    int count; /* physical rows 0..count-1 */
    int capacity;
    wr_vector *cols;
    uint32_t *sel; /* active rows in ascending order, or NULL: all of 0..count-1 */
    int nsel;
    uint8_t *kinds; /* wr_change_kind per physical row, or NULL: all inserts */
    uint8_t *own_kinds;
    int64_t *rowtimes; /* event timestamp (ms) per physical row, or NULL: rows carry none */
    int64_t *own_rowtimes;
    uint32_t *own_sel;
    wr_arena arena; /* string bytes; reset with the batch */
    /*
     * The column values, NULL bits and string bytes (not sel, kinds or rowtimes) never
     * change and outlive the job, as a stored table's chunks do: an exchange may hand them
     * to another thread by reference instead of copying (runtime/exchange.c). Cleared by
     * wr_batch_reset.
     */
    bool stable;
    /*
     * Lending. A lendable batch's memory (and that of deps, the batches its vectors, kinds,
     * times and selection point into) stays as it is while it is held: its producer takes
     * another batch for its next output (wr_batch_ring) instead of resetting a held one, so
     * an exchange may hand its rows to another thread by reference (a view whose lent_from
     * holds it, released when the view is reset or freed). refs counts the producer's
     * reference and the holds; the memory is freed when both are gone. lendable and deps
     * are cleared by wr_batch_reset.
     */
    bool lendable;
    int ndeps;
    struct wr_batch *deps[2];
    struct wr_batch *lent_from;
    _Atomic int refs;
} wr_batch;

/* A new empty batch with the given column types. Never NULL. */
wr_batch *wr_batch_new(const wr_type *types, int ncols, int capacity);
/* Drops the producer's reference (and a view's hold); the memory goes with the last one. */
void wr_batch_free(wr_batch *batch);

/* Holds batch and its deps (their memory stays until wr_batch_release), from any thread. */
void wr_batch_hold(wr_batch *batch);
void wr_batch_release(wr_batch *batch);
/* Whether another thread still holds batch (its producer must not reuse it). */
bool wr_batch_held(const wr_batch *batch);

/*
 * The output batch of a producer whose batches may be lent: take() returns an empty batch
 * that nobody holds, the last one when it is free again, else one whose holds are gone,
 * else a new one like it.
 */
typedef struct wr_batch_ring {
    wr_batch *cur;
    wr_batch **held; /* taken and still held when last looked at */
    int nheld, cap;
} wr_batch_ring;

void wr_batch_ring_init(wr_batch_ring *ring, wr_batch *first);
wr_batch *wr_batch_ring_take(wr_batch_ring *ring);
void wr_batch_ring_fini(wr_batch_ring *ring);
/* Empties the batch: no rows, no selection, no kinds, own vectors, arena reset. */
void wr_batch_reset(wr_batch *batch);

/* Number of active rows and the physical index of the i-th active row. */
static inline int wr_batch_rows(const wr_batch *batch)
{
    return batch->sel ? batch->nsel : batch->count;
}
static inline int wr_batch_row(const wr_batch *batch, int i)
{
    return batch->sel ? (int)batch->sel[i] : i;
}

static inline bool wr_vector_is_null(const wr_vector *v, int row)
{
    return v->validity && !((v->validity[row >> 6] >> (row & 63)) & 1);
}

/* Makes column col's validity writable (the batch's own bitmap, all rows present). */
uint64_t *wr_batch_validity(wr_batch *batch, int col);
static inline void wr_validity_set(uint64_t *validity, int row, bool valid)
{
    if (valid)
        validity[row >> 6] |= (uint64_t)1 << (row & 63);
    else
        validity[row >> 6] &= ~((uint64_t)1 << (row & 63));
}
void wr_batch_set_null(wr_batch *batch, int col, int row);

/* Change kinds: writable array (all +I initially); the kind of a row. */
uint8_t *wr_batch_kinds(wr_batch *batch);
static inline wr_change_kind wr_batch_kind(const wr_batch *batch, int row)
{
    return batch->kinds ? (wr_change_kind)batch->kinds[row] : WR_KIND_INSERT;
}
/*
 * For operators that fold rows in and cannot take them back: 0 when none of the active rows of
 * batch is a -U or -D, else WR_ERR_RUNTIME "<who> takes insert-only input, got a -D row".
 */
struct wr_error;
int wr_batch_check_inserts(const wr_batch *batch, const char *who, struct wr_error *err);

/*
 * Event timestamps (the record timestamps of Flink's DataStream API, in
 * milliseconds): a writable array (initially WR_NO_TIMESTAMP) and a row's value.
 */
#define WR_NO_TIMESTAMP INT64_MIN
int64_t *wr_batch_rowtimes(wr_batch *batch);
static inline int64_t wr_batch_rowtime(const wr_batch *batch, int row)
{
    return batch->rowtimes ? batch->rowtimes[row] : WR_NO_TIMESTAMP;
}

/* A writable selection array of capacity entries (the batch's own). */
uint32_t *wr_batch_sel_buffer(wr_batch *batch);

/* Copies len bytes into the batch arena and returns a view of them. */
wr_str wr_batch_str(wr_batch *batch, const char *s, size_t len);

/*
 * Appends rows[0..n) of src (physical indexes) to dst after its last row,
 * copying values, NULLs, kinds, timestamps and string bytes. dst must have no selection,
 * the same column types as src and room for n more rows.
 */
void wr_batch_append_rows(wr_batch *dst, const wr_batch *src, const uint32_t *rows, int n);

/*
 * Copies one slot of `width` bytes (1, 2, 4, 8 or 16). A memcpy of a width known only at
 * run time becomes `rep movs` or a libc call, slow for a single slot; each case here is one
 * load and one store.
 */
static inline void wr_slot_copy(void *dst, const void *src, size_t width)
{
    switch (width) {
    case 1:
        memcpy(dst, src, 1);
        break;
    case 2:
        memcpy(dst, src, 2);
        break;
    case 4:
        memcpy(dst, src, 4);
        break;
    case 8:
        memcpy(dst, src, 8);
        break;
    case 16:
        memcpy(dst, src, 16);
        break;
    default:
        memcpy(dst, src, width);
        break;
    }
}

/*
 * dst[i] = src[idx[i]] for i < n, over slots of width bytes (1, 2, 4, 8 or 16:
 * any physical slot, string views included; their bytes are not copied).
 */
void wr_slots_gather(void *dst, const void *src, size_t width, const uint32_t *idx, int n);
/* Appends every active row of src. */
void wr_batch_append_active(wr_batch *dst, const wr_batch *src);

/*
 * Value text styles. PRINT is the Java toString() of Flink's external classes, as its print sink
 * writes them: true, 1.0E10, 1.50 (BigDecimal), 2024-01-01, 12:00:01 (LocalTime),
 * 2024-01-01T10:00 (LocalDateTime), 2024-01-01T10:00:00Z (Instant), P1Y2M (Period), PT1H
 * (Duration), [10, -1] (byte[]). SQL is CAST(x AS STRING), as Flink's SQL client shows values:
 * TRUE, 1.0E10, 1.50, 2024-01-01, 12:00:01, 2024-01-01 10:00:00.000, +1-02, +0 01:00:00.000,
 * and byte strings as x'0aff'.
 */
typedef enum wr_format_style {
    WR_FORMAT_PRINT,
    WR_FORMAT_SQL,
} wr_format_style;

/* Appends the text of one value; NULL is "null" in PRINT style, "NULL" in SQL style. */
void wr_vector_format(const wr_vector *v, int row, wr_format_style style, wr_buf *out);
/* Appends Flink's print form of a row: "+I[1, abc, null]". */
void wr_batch_format_row(const wr_batch *batch, int row, wr_buf *out);

#endif
