/*
 * over_changelog.h — OVER windows over an updating input (a changelog with
 * -U/+U/-D), which Flink cannot run: Nexmark q6's
 *   AVG(price) OVER (PARTITION BY seller ORDER BY dateTime
 *                    ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
 * over the changelog of a Top-1.
 *
 * Per partition the operator keeps the rows in window order (the ORDER BY
 * keys, ties broken by the whole row: every column ascending, NULLs first,
 * so the order does not depend on arrival) and, per row, the call values it
 * last emitted. +I and +U insert a row, -U and -D remove one equal row (by
 * every column under the sort order's comparison; a row not held is
 * ignored, as Flink's retracting operators do). After each change it
 * recomputes the rows whose frame may contain the changed position and emits
 *   +I row ++ values        for the inserted row,
 *   -D row ++ last values   for the removed row,
 *   -U row ++ old / +U row ++ new   for every other recomputed row whose
 *                           values changed (equal by the sort comparison),
 * so applying the output changelog always gives what the batch OVER
 * (over.h) computes over the rows held, up to the order of ties.
 *
 * Calls are wr_over_call (over.h): ROW_NUMBER, RANK, DENSE_RANK and
 * aggregates over ROWS frames (any offsets) or RANGE frames bounded by
 * UNBOUNDED and CURRENT ROW; without ORDER BY the frame is the partition.
 * Deliberate limits: RANGE frames with offsets, DISTINCT calls and results
 * of types the column store cannot keep (ARRAY_AGG, COLLECT) are rejected
 * with WR_ERR_VALIDATION. Emitted rows carry no row times.
 *
 * State TTL (table.exec.state.ttl): a partition not touched for
 * state_ttl_ms of processing time is dropped, without output, when met and by
 * a sweep at most once per TTL; its next row starts it afresh.
 *
 * Checkpoints: one part per key group holding partitions (the wr_hash_bytes
 * of the partition columns' row codec, as the exchange routes them), format
 * in docs/checkpoints.md; restoring takes the parts of the groups this
 * instance owns, at any parallelism. Damaged bytes are WR_ERR_IO.
 */
#ifndef WR_OPS_OVER_CHANGELOG_H
#define WR_OPS_OVER_CHANGELOG_H

#include "over.h"

/*
 * The spec over input columns in_types[0..nin), partitioned by
 * partition[0..npart) (rows arrive hash-partitioned by them; none: one
 * partition, parallelism 1), ordered by order[0..norder). Copies the
 * arrays. Output: the input columns, then one column per call
 * (wr_over_call_type). A spec that does not fit makes create() fail.
 */
wr_operator_spec wr_over_changelog_spec(const wr_type *in_types, int nin, const int *partition,
                                        int npart, const wr_sort_key *order, int norder,
                                        const wr_over_call *calls, int ncalls,
                                        int64_t state_ttl_ms);

extern const wr_operator_ops wr_over_changelog_ops;

#endif
