/*
 * sort.h — sort, limit and Top-N over bounded input.
 *
 * Collects every input row, sorts them by the keys at the end of input and
 * emits rows offset .. offset+limit-1 of the result. With a limit and keys it
 * keeps only the best offset+limit rows in a heap while consuming (Top-N);
 * with a limit and no keys it passes rows through and stops counting once it
 * has emitted enough (LIMIT). Sorting is stable: rows with equal keys keep
 * their arrival order.
 */
#ifndef WR_OPS_SORT_H
#define WR_OPS_SORT_H

#include "colstore.h"
#include "operator.h"

typedef struct wr_sort_key {
    int col;
    bool desc;
    bool nulls_first;
} wr_sort_key;

/* Copies types and keys. limit < 0: no limit. */
wr_operator_spec wr_sort_spec(const wr_type *types, int ncols, const wr_sort_key *keys, int nkeys,
                              int64_t offset, int64_t limit);

extern const wr_operator_ops wr_sort_ops;

/*
 * The ordering behind wr_sort_ops, for other operators that order rows they
 * collected (over.c): writes the store's row indexes in key order to
 * order[0..rows->n), stably (equal keys keep store order; NULLs equal each
 * other). Every key column must have a value kind. Checks ctx's cancellation
 * on large inputs and then returns WR_ERR_CANCELLED with err.
 */
int wr_sort_store(const wr_colstore *rows, const wr_sort_key *keys, int nkeys, const wr_op_ctx *ctx,
                  uint32_t *order, wr_error *err);

/* Compares rows a and b of a store by keys as wr_sort_store orders them: < 0, 0 (equal), > 0. */
int wr_sort_compare(const wr_colstore *rows, const wr_sort_key *keys, int nkeys, uint32_t a,
                    uint32_t b);

/*
 * The same order between physical row a of batch and row b of a store whose
 * columns have the batch's types, so an operator can place an arriving row
 * among kept ones (rank.c) before deciding to copy it.
 */
int wr_sort_compare_batch(const wr_batch *batch, uint32_t a, const wr_colstore *rows, uint32_t b,
                          const wr_sort_key *keys, int nkeys);

#endif
