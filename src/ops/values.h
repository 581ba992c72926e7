/*
 * values.h — a bounded source that emits a fixed set of rows once.
 *
 * Backs VALUES and SELECT without FROM. Runs with parallelism 1.
 */
#ifndef WR_VALUES_H
#define WR_VALUES_H

#include "operator.h"

/*
 * A spec that emits batches[0..n) in order (takes ownership of the batches
 * and the array). Each batch holds at most WR_BATCH_CAPACITY rows.
 */
wr_operator_spec wr_values_spec(wr_batch **batches, int n);

extern const wr_operator_ops wr_values_ops;

#endif
