/*
 * calc.h — the Calc operator: an optional filter followed by a projection.
 *
 * Flink's Calc: WHERE and SELECT expressions of one query block fused into
 * one operator. The filter narrows the selection vector without copying;
 * projections of plain columns alias the input vectors; computed columns are
 * evaluated for the surviving rows only.
 */
#ifndef WR_CALC_H
#define WR_CALC_H

#include "../expr/expr.h"
#include "operator.h"

/*
 * A Calc spec. Takes ownership of filter (may be NULL), of every
 * projection and of the projs array, even on error.
 */
wr_operator_spec wr_calc_spec(wr_expr *filter, wr_expr **projs, int nprojs);

extern const wr_operator_ops wr_calc_ops;

#endif
