/*
 * unnest.h — UNNEST: one output row per element of a collection computed from each input row.
 *
 * Backs `FROM t CROSS JOIN UNNEST(t.arr) AS u(x)` (also the comma form), `LEFT JOIN UNNEST(..)
 * ON TRUE` and a standalone `FROM UNNEST(ARRAY[..])` (over a one-row input without columns).
 * An output row is the input row's columns followed by the element's columns:
 *   ARRAY<T>, MULTISET<T>   one column of T (each occurrence of a MULTISET's element is a row)
 *   ARRAY<ROW<f T, ...>>    one column per field (a NULL element gives NULL fields)
 *   MAP<K, V>               the key and the value
 * then, WITH ORDINALITY, the element's position from 1 (INT). The operator is stateless: every
 * output row of an input row goes out during the call that brought it (in as many batches as
 * needed), with the input row's change kind and row time, so marks never overtake rows.
 */
#ifndef WR_OPS_UNNEST_H
#define WR_OPS_UNNEST_H

#include "../expr/expr.h"
#include "operator.h"

/*
 * The element columns of UNNEST over a collection of type coll (with outer, every one is
 * nullable: an empty or NULL collection gives one row of NULLs; an element type NULL is
 * STRING): writes them to types (when not NULL) and returns how many, the ordinality column
 * included; -1 when coll is not an ARRAY, MULTISET or MAP.
 */
int wr_unnest_types(wr_type coll, bool outer, bool ordinality, wr_type *types);

/*
 * An UNNEST spec over input rows of in_types[0..nin): expr (the collection, over the input
 * row) is evaluated per batch. outer: an input row whose collection is empty or NULL gives one
 * row with NULL element columns (LEFT JOIN ... ON TRUE) instead of none. Takes ownership of
 * expr, even on error; copies in_types.
 */
wr_operator_spec wr_unnest_spec(const wr_type *in_types, int nin, wr_expr *expr, bool outer,
                                bool ordinality);

extern const wr_operator_ops wr_unnest_ops;

#endif
