/*
 * colstore.h — rows an operator keeps past the call that delivered them.
 *
 * Batches are borrowed (batch.h), so operators that hold rows until the end
 * of their input (the hash join's build side, sort) copy them here: one
 * growable array per column in the batch's slot layout, a validity bitmap
 * only for columns that have held a NULL, and string bytes copied into the
 * store's own arena. Rows are addressed by uint32 index.
 *
 * wr_value_kind_of() is the one place that says how a type's slot is copied,
 * hashed, compared and ordered: a new type is one case there.
 */
#ifndef WR_OPS_COLSTORE_H
#define WR_OPS_COLSTORE_H

#include "../base/error.h"
#include "../types/batch.h"

typedef enum wr_value_kind {
    WR_VALUE_UNSUPPORTED = 0,
    WR_VALUE_I8,   /* BOOLEAN, TINYINT: signed bytes (a BOOLEAN is 0 or 1) */
    WR_VALUE_I16,  /* SMALLINT */
    WR_VALUE_I32,  /* INT, DATE, TIME, INTERVAL YEAR TO MONTH */
    WR_VALUE_I64,  /* BIGINT, TIMESTAMP, TIMESTAMP_LTZ, INTERVAL DAY TO SECOND */
    WR_VALUE_I128, /* 16-byte signed integers: DECIMAL's unscaled value (one scale per column) */
    WR_VALUE_F32,  /* FLOAT */
    WR_VALUE_F64,  /* DOUBLE */
    WR_VALUE_STR,  /* CHAR, VARCHAR, BINARY, VARBINARY: wr_str views, compared as bytes */
} wr_value_kind;

/* How values of a type are handled, or WR_VALUE_UNSUPPORTED for a type that has no case yet. */
wr_value_kind wr_value_kind_of(wr_type_id id);

/* Bytes of one slot of a kind. */
size_t wr_value_kind_width(wr_value_kind kind);

/* Most rows a store holds: indexes are uint32 and UINT32_MAX stays free as a marker. */
#define WR_COLSTORE_MAX_ROWS (UINT32_MAX - 1)

typedef struct wr_colstore {
    int ncols;
    wr_type *types;
    uint8_t *kinds;      /* wr_value_kind per column */
    void **data;         /* per column: cap slots */
    uint64_t **validity; /* per column: NULL while no NULL was stored in it */
    uint32_t n;
    size_t cap;
    wr_arena strings; /* bytes of every stored string */
} wr_colstore;

/* An empty store for columns of the given types (copied); every type must have a kind. */
void wr_colstore_init(wr_colstore *cs, const wr_type *types, int ncols);
void wr_colstore_fini(wr_colstore *cs);

/*
 * Appends the physical rows rows[0..n) of batch (same column types), copying
 * values, NULLs and string bytes. Fails with WR_ERR_RUNTIME, naming `what`,
 * when the store would exceed WR_COLSTORE_MAX_ROWS; nothing is appended then.
 */
int wr_colstore_append(wr_colstore *cs, const wr_batch *batch, const uint32_t *rows, int n,
                       const char *what, wr_error *err);

/* Appends rows idx[0..n) of src (same column types) to dst, copying their strings into dst. */
void wr_colstore_take(wr_colstore *dst, const wr_colstore *src, const uint32_t *idx, uint32_t n);

/*
 * Moves row i to position then[first[i]] (first and then are permutations of
 * 0..n-1). Each column is scattered twice, through a scratch array: that
 * stays cache-friendly when first splits the rows into a few sequential
 * streams and then moves them within small regions. Strings stay where they are.
 */
void wr_colstore_move(wr_colstore *cs, const uint32_t *first, const uint32_t *then);

/*
 * Writes rows idx[0..n) of column col as rows 0..n-1 of column out_col of out
 * (own slots, which must have room). Strings are views into the store, valid
 * until it is freed. A column without NULLs leaves out's validity alone.
 */
void wr_colstore_gather(const wr_colstore *cs, int col, const uint32_t *idx, int n, wr_batch *out,
                        int out_col);

/*
 * The same for any slot array: rows idx[0..n) of data (slots of width bytes;
 * validity NULL means no NULLs) into rows 0..n-1 of out's column out_col.
 */
void wr_gather_slots(const void *data, const uint64_t *validity, size_t width, const uint32_t *idx,
                     int n, wr_batch *out, int out_col);
/* The same, row idx[i] going to row at[i] of out (at: distinct rows below out's capacity). */
void wr_gather_slots_at(const void *data, const uint64_t *validity, size_t width,
                        const uint32_t *idx, const uint32_t *at, int n, wr_batch *out, int out_col);

static inline bool wr_colstore_is_null(const wr_colstore *cs, int col, uint32_t row)
{
    const uint64_t *v = cs->validity[col];
    return v && !((v[row >> 6] >> (row & 63)) & 1);
}

/* Bytes held (slots, bitmaps and string bytes), for memory accounting. */
size_t wr_colstore_bytes(const wr_colstore *cs);

#endif
