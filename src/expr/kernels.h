/*
 * kernels.h — the vectorized function implementations behind wr_expr calls.
 *
 * One kernel per function and operand type, chosen once at bind time by
 * wr_kernel_find(); each runs a single loop over the active rows. The
 * helpers below are shared with the function families (func_*.c).
 */
#ifndef WR_KERNELS_H
#define WR_KERNELS_H

#include "expr.h"

/* The kernel for fn over these argument types and result type, or NULL. */
wr_kernel_fn wr_kernel_find(wr_func fn, wr_expr *const *args, int nargs, wr_type result);

const char *wr_func_name(wr_func fn);  /* "+", "CAST", "IS NULL", ... as SQL spells it */
const char *wr_func_infix(wr_func fn); /* the infix operator, or NULL for prefix calls */

/*
 * CAST between two nested types of the same kind (func_nested.c): element by element, key by
 * key, field by field, with each part's own CAST rules; wr_expr_cast calls it once
 * wr_expr_can_cast said yes. Takes ownership of arg.
 */
wr_expr *wr_nested_cast(wr_expr *arg, wr_type to, bool try_cast, int pos, wr_error *err);

/* A validity bitmap for the evaluation's rows, in the evaluation arena. */
uint64_t *wr_eval_validity(wr_eval *ev, bool all_valid);

/* ---- for writing kernels --------------------------------------------------- */

/* The parameters of a wr_kernel_fn. */
#define WR_KERNEL_ARGS                                                                             \
    wr_eval *ev, const wr_expr *e, const wr_vector *args, wr_vector *out, const uint32_t *sel,     \
        int n, wr_error *err

/* Runs the statement for each active row, with the physical row index in `r`. */
#define WR_FOR_ROWS(...)                                                                           \
    do {                                                                                           \
        if (sel) {                                                                                 \
            for (int i_ = 0; i_ < n; i_++) {                                                       \
                int r = (int)sel[i_];                                                              \
                __VA_ARGS__;                                                                       \
            }                                                                                      \
        } else {                                                                                   \
            for (int r = 0; r < n; r++) {                                                          \
                __VA_ARGS__;                                                                       \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static inline bool wr_valid_row(const uint64_t *validity, int r)
{
    return validity == NULL || ((validity[r >> 6] >> (r & 63)) & 1);
}

/* Validity of a result that is NULL when any of args[0..nargs) is NULL; may alias an
 * argument's bitmap (do not modify it), NULL when all are present. */
uint64_t *wr_eval_combine_validity(wr_eval *ev, const wr_vector *args, int nargs);

/* A writable copy of a validity bitmap (all present when from is NULL), in the arena. */
uint64_t *wr_eval_validity_copy(wr_eval *ev, const uint64_t *from);

#endif
