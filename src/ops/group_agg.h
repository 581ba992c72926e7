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

/*
 * Two phases (table.optimizer.agg-phase-strategy TWO_PHASE with mini-batch
 * on; Flink's MiniBatchLocalGroupAggFunction and
 * MiniBatchGlobalGroupAggFunction), for skewed keys: a local phase chained to
 * the input folds each mini-batch per group before the exchange, so a hot key
 * sends one row per bundle instead of one per change.
 *
 * The local phase (wr_group_agg_local_spec) has no keyed state and nothing to
 * checkpoint: +I/+U rows accumulate and -U/-D rows retract into fresh
 * accumulators per group, which it emits and then forgets on every flush
 * (mini-batch size or latency reached, a watermark, a snapshot, end of input;
 * after every batch without mini-batch). Per touched group it emits one +I
 * row: the group columns, the partial columns of each call
 * (wr_group_agg_local_types), then a BIGINT NOT NULL row count delta (rows
 * accumulated minus rows retracted). Over an insert-only input the partial
 * columns are exactly the batch local phase's (wr_agg_partial_types). Over an
 * updating input they are deltas (wr_agg_acc_phase_delta): counts may be 0 or
 * negative, and SUM/$SUM0 carry their count beside the sum (two columns, as
 * AVG), since a lone sum cannot tell "no values" from a zero sum.
 *
 * The global phase (wr_group_agg_global_spec) is this operator keyed by the
 * group columns (the first columns of its input), merging partial rows into
 * the accumulators instead of folding input rows, and adding the deltas to the
 * row count; it emits and checkpoints exactly as the one-phase operator
 * (same snapshot format, TTL and mini-batch). A partial row of a group without
 * state starts it only when its delta is positive. Both phases take the
 * ORIGINAL input's types, group columns, calls and options.
 *
 * Differences from one phase: float sums are summed in another order (and a
 * global state emptied by merging keeps its rounding residue instead of
 * restarting from an exact 0), so float results may differ in the last bits;
 * between two flushes of every local instance, the global's changelog may
 * take other (equally valid) intermediate steps, e.g. a group deleted and
 * inserted again when one instance's retraction arrives before another's
 * insertion.
 */

/*
 * Whether the calls may run in two phases: each mergeable (wr_agg_mergeable),
 * none DISTINCT, and over an updating input (input_insert_only false) only
 * COUNT, COUNT(*), SUM, $SUM0, AVG, STDDEV and VAR, whose partials carry
 * retractions; MIN, MAX, BOOL_AND/OR and user functions only over an
 * insert-only input.
 */
bool wr_group_agg_two_phase_ok(const wr_type *in_types, int nin, const wr_agg_call *aggs, int naggs,
                               bool input_insert_only);

/*
 * The local phase's output types (see above) into out, room for
 * ngroups + WR_AGG_PARTIAL_MAX * naggs + 1; returns how many, or -1 when
 * wr_group_agg_two_phase_ok says no (or a group column is out of range).
 */
int wr_group_agg_local_types(const wr_type *in_types, int nin, const int *groups, int ngroups,
                             const wr_agg_call *aggs, int naggs, bool input_insert_only,
                             wr_type *out);

/*
 * The two phases' specs; the arguments are those of wr_group_agg_spec for the
 * same aggregation (the original input). Calls that cannot run in two phases
 * (wr_group_agg_two_phase_ok) make create() fail with WR_ERR_VALIDATION. The
 * local phase ignores state_ttl_ms and emit_update_before; it fails to create
 * when asked to restore state.
 */
wr_operator_spec wr_group_agg_local_spec(const wr_type *in_types, int nin, const int *groups,
                                         int ngroups, const wr_agg_call *aggs, int naggs,
                                         const wr_group_agg_opts *opts);
wr_operator_spec wr_group_agg_global_spec(const wr_type *in_types, int nin, const int *groups,
                                          int ngroups, const wr_agg_call *aggs, int naggs,
                                          const wr_group_agg_opts *opts);

extern const wr_operator_ops wr_group_agg_ops;
extern const wr_operator_ops wr_group_agg_local_ops;
extern const wr_operator_ops wr_group_agg_global_ops;

#endif
