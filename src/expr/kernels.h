/*
 * kernels.h — the vectorized function implementations behind wr_expr calls.
 *
 * One kernel per function and operand type, chosen once at bind time by
 * wr_kernel_find(); each runs a single loop over the active rows.
 */
#ifndef WR_KERNELS_H
#define WR_KERNELS_H

#include "expr.h"

/* The kernel for fn over these argument types and result type, or NULL. */
wr_kernel_fn wr_kernel_find(wr_func fn, wr_expr *const *args, int nargs, wr_type result);

const char *wr_func_name(wr_func fn);  /* "+", "CAST", "IS NULL", ... as SQL spells it */
const char *wr_func_infix(wr_func fn); /* the infix operator, or NULL for prefix calls */

/* A validity bitmap for the evaluation's rows, in the evaluation arena. */
uint64_t *wr_eval_validity(wr_eval *ev, bool all_valid);

#endif
