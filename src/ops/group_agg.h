/*
 * group_agg.h — the streaming group aggregation (Flink's GroupAggFunction and
 * MiniBatchGroupAggFunction): GROUP BY over an unbounded changelog that keeps
 * its results up to date as a changelog of its own.
 *
 * Input rows +I and +U accumulate, -U and -D retract. Per group the operator
 * keeps the accumulators of every call and the number of rows (accumulated
 * minus retracted). It folds all the changes of a batch (with mini-batch, of
 * every batch since the last flush) per group first and then emits once per
 * touched group:
 *   - the group's first result:        +I new
 *   - its row count dropped to 0:      -D previous, and the group's state is removed
 *   - its result changed:              -U previous (retract mode only), +U new
 *   - its result is the same as before: nothing
 * Output rows are the group columns, then one column per call (the types of
 * wr_agg_output_types). Within one flush a group's rows are adjacent, -U
 * before +U; groups come in the order they were first touched.
 *
 * Functions: those whose accumulators retract (COUNT, COUNT(*), SUM, $SUM0,
 * AVG, STDDEV/VAR, BOOL_AND/OR); MIN and MAX, which keep per group a multiset
 * of values -> count (Flink's MinWithRetractAggFunction) and rescan it only
 * when the current extreme leaves; DISTINCT calls, which keep per group a map
 * of values -> count, a value entering the accumulator when its count goes
 * 0 -> 1 and leaving it on 1 -> 0; FILTER columns. Functions that cannot
 * retract (FIRST_VALUE, LAST_VALUE, LISTAGG, ARRAY_AGG, COLLECT, SINGLE_VALUE,
 * user functions) are accepted only with input_insert_only; over an updating
 * input create() fails with WR_ERR_VALIDATION naming the function.
 *
 * Global aggregation (no group columns) is one group under the empty key (the
 * planner runs it at parallelism 1): +I on the first row, -U/+U after, and
 * nothing at all for empty input (Flink's streaming behaviour; batch emits a
 * row).
 *
 * Deliberate differences from Flink:
 *   - A row count that a retraction takes to or below 0 (input that retracts
 *     more than it inserted, e.g. after TTL dropped a group) ends the group:
 *     -D of its last result and its state is removed. Flink keeps negative
 *     counts. A retraction for a group without state is ignored, as in Flink.
 *   - An unchanged result emits nothing also with state TTL on (Flink then
 *     re-emits it, to refresh the TTL of downstream state).
 *   - A watermark flushes a pending mini-batch before it is forwarded, so that
 *     results never trail their watermark (Flink's mini-batch operators also
 *     finish their bundle on a watermark).
 *   - MIN/MAX order floats as wr_value_cmp does (NaN above every number).
 *
 * State TTL (table.exec.state.ttl): a group not touched (by any change) for
 * state_ttl_ms of processing time is dropped when met and by a sweep that
 * runs at most once per TTL; its next row starts it afresh (+I).
 *
 * Checkpoints: one part per key group (the key's row-codec bytes hashed with
 * wr_hash_bytes, as the exchange does), format in docs/checkpoints.md;
 * restoring takes the parts of the groups this instance owns, at any
 * parallelism. A pending mini-batch is flushed before a snapshot.
 */
#ifndef WR_OPS_GROUP_AGG_H
#define WR_OPS_GROUP_AGG_H

#include "aggregate.h"

/* Processing time in milliseconds; tests pass a fake clock. */
typedef int64_t (*wr_group_agg_clock)(void *arg);

typedef struct wr_group_agg_opts {
    /* Retract mode: -U old then +U new. false: upsert mode, +U only (the consumer keys by the
     * group columns); -D is emitted in both modes. */
    bool emit_update_before;
    int64_t state_ttl_ms; /* 0: keep state forever */
    /*
     * Mini-batch (table.exec.mini-batch.*): results are emitted when
     * mini_batch_latency_ms of processing time passed since the first buffered
     * change (ctx->timer_at_ms) or mini_batch_size input rows were folded,
     * instead of after every batch. Changes are folded into the accumulators
     * as they come, so a mini-batch costs no buffered rows, only the previous
     * results of the touched groups.
     */
    bool mini_batch;
    int64_t mini_batch_latency_ms;
    int64_t mini_batch_size;
    /*
     * The input has +I rows only (the planner's changelog-mode inference):
     * functions that cannot retract are allowed then; a -U or -D row is an
     * error.
     */
    bool input_insert_only;
    /* Processing time for TTL and mini-batch latency; NULL: the wall clock. */
    wr_group_agg_clock clock;
    void *clock_arg;
} wr_group_agg_opts;

/*
 * The operator's spec over input columns of in_types[0..nin): group by
 * columns groups[0..ngroups), compute aggs[0..naggs). Copies the arrays and
 * opts (NULL: all defaults, retract mode). Calls that do not fit the input,
 * or cannot retract over an updating input, make create() fail with
 * WR_ERR_VALIDATION.
 */
wr_operator_spec wr_group_agg_spec(const wr_type *in_types, int nin, const int *groups, int ngroups,
                                   const wr_agg_call *aggs, int naggs,
                                   const wr_group_agg_opts *opts);

extern const wr_operator_ops wr_group_agg_ops;

#endif
