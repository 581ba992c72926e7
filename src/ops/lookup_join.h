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
 * d: INNER or LEFT; left = the input, right = the table's physical columns,
 * right_keys the table's columns looked up by left_keys (no null-safe keys:
 * a NULL key finds nothing); d->residual over left ++ right. Takes ownership
 * of d->residual and of source (its conf), even on error (reported by
 * create()).
 */
wr_operator_spec wr_lookup_join_spec(const wr_join_desc *d, wr_lookup_spec *source);

extern const wr_operator_ops wr_lookup_join_ops;

#endif
