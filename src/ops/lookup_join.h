/*
 * lookup_join.h — the processing-time lookup join (Flink's LookupJoin):
 * `l JOIN t FOR SYSTEM_TIME AS OF l.proctime ON l.k = t.k`.
 *
 * Each input row looks the table up by its key values when it arrives and
 * is joined with the rows found (the residual condition checked per pair);
 * INNER drops a row without a passing match, LEFT emits it padded with
 * NULLs. The table is not a stream: later changes to it do not change rows
 * already emitted. Output rows carry their input row's change kind, so a
 * changelog input stays a changelog (Flink's behaviour). Stateless: nothing
 * to snapshot; a source may cache (its own options say how).
 *
 * The table is reached through a lookup source, which a table's connector
 * (connector.h: make_lookup) or Weir's stored tables provide.
 */
#ifndef WR_OPS_LOOKUP_JOIN_H
#define WR_OPS_LOOKUP_JOIN_H

#include "join.h"

/* One operator instance's open lookup source. */
typedef struct wr_lookup wr_lookup;

/*
 * How to reach a table by key: built while planning, immutable, shared by the
 * join's instances, each of which opens its own source. Rows are the table's
 * physical columns (row codec bytes, types/row_codec.h).
 */
typedef struct wr_lookup_spec {
    int (*open)(const void *conf, wr_lookup **out, wr_error *err);
    /*
     * Appends to rows, each as a u32 length (little-endian) and its row-codec
     * bytes, the rows whose key columns equal columns cols[0..nkeys) of row
     * `row` of keys (the key columns' types are the table's). Returns how many
     * rows it appended, or a negative error naming the table.
     */
    int (*lookup)(wr_lookup *l, const wr_batch *keys, const int *cols, int row, wr_buf *rows,
                  wr_error *err);
    void (*close)(wr_lookup *l);
    void *conf;
    void (*conf_free)(void *conf);
} wr_lookup_spec;

/*
 * Rows indexed by key columns, for lookup sources that hold a table in memory:
 * rows are copied in (row codec) and found by the bytes of their key columns.
 */
typedef struct wr_row_index wr_row_index;
/* An empty index of rows of ncols columns, keyed by columns keys[0..nkeys). */
wr_row_index *wr_row_index_new(const int *keys, int nkeys, int ncols);
void wr_row_index_free(wr_row_index *ix);
void wr_row_index_clear(wr_row_index *ix);
/* Copies the active rows of batch in. */
void wr_row_index_add(wr_row_index *ix, const wr_batch *batch);
/* wr_lookup_spec.lookup over the index: appends the rows whose key equals the probe's. */
int wr_row_index_find(wr_row_index *ix, const wr_batch *keys, const int *cols, int row,
                      wr_buf *rows);

/*
 * A lookup source over a bounded source (a table whose connector has no lookup of its own,
 * such as files): each join instance runs the source to its end when it opens and indexes
 * the rows by keys, and runs it again when they are older than reload_ms (0: never). Takes
 * ownership of source (a spec of ncols output columns, the table's physical columns).
 */
wr_lookup_spec wr_lookup_from_source(wr_operator_spec *source, int ncols, const int *keys,
                                     int nkeys, int64_t reload_ms);

/*
 * d: INNER or LEFT; left = the input, right = the table's physical columns,
 * right_keys the table's columns looked up by left_keys (no null-safe keys:
 * a NULL key finds nothing); d->residual over left ++ right. Takes ownership
 * of d->residual and of source (its conf), even on error (reported by
 * create()).
 */
wr_operator_spec wr_lookup_join_spec(const wr_join_desc *d, wr_lookup_spec *source);

extern const wr_operator_ops wr_lookup_join_ops;

#endif
