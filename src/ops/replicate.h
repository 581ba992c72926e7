/*
 * replicate.h — repeats each row as many times as its last column says.
 *
 * Backs INTERSECT ALL and EXCEPT ALL: after counting a row's occurrences on
 * each side, the row is emitted min(left, right) or left - right times. The
 * count column (BIGINT; NULL or below 1: the row is dropped) stays in the
 * output; the plan drops it above.
 */
#ifndef WR_OPS_REPLICATE_H
#define WR_OPS_REPLICATE_H

#include "operator.h"

/* Copies types (ncols of them; the last is the BIGINT count). */
wr_operator_spec wr_replicate_spec(const wr_type *types, int ncols);

extern const wr_operator_ops wr_replicate_ops;

#endif
