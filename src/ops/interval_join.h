/*
 * interval_join.h — the streaming interval join (Flink's TimeIntervalJoin:
 * RowTimeIntervalJoin and ProcTimeIntervalJoin), planned for an equi-join
 * whose condition also bounds the two sides' times against each other:
 *
 *   left.time BETWEEN right.time + lower_ms AND right.time + upper_ms
 *
 * (both bounds inclusive; the planner normalizes the SQL forms into this, a
 * strict bound becoming one millisecond narrower). Input 0 is the left side,
 * input 1 the right side, both hash-partitioned by the join keys (the row
 * codec of the key columns; with no keys the planner runs one subtask). Both
 * inputs must be insert-only (a -U or -D row is an error); the output is
 * insert-only: left columns then right columns (outer sides nullable), the
 * types of wr_join_output_types. INNER, LEFT, RIGHT and FULL.
 *
 * Every arriving row is joined at once with the stored rows of the other
 * side that have its key, whose time is in range and for which the residual
 * condition holds; the pairs are emitted (+I). The row is then stored while
 * rows of the other side can still match it. With event time that is while
 * its time is not below the watermark minus the bound on its side: a left
 * row until time < watermark + lower_ms, a right row until time < watermark
 * - upper_ms (the watermark being the smaller of the two inputs'). Rows are
 * dropped as the watermark passes that point; a row of an outer side that
 * never had a partner is then emitted padded with NULLs. When one input
 * ends, the other side's rows can get no new partners and go at once, and
 * later rows of that side are not stored. On bounded input the result is
 * the batch join with the same condition.
 *
 * Late rows (whose time the watermark has passed) are joined with what the
 * state still holds and, when they can no longer match anything that may
 * come, not stored (an outer side's row without a partner is padded at
 * once) — as Flink does; Flink drops nothing either.
 *
 * Times: TIMESTAMP(3) or TIMESTAMP_LTZ(3) columns (microseconds in the slot,
 * compared in milliseconds, rounded down). A row with a NULL time, or a NULL
 * in a key that is not null-safe, matches nothing: an outer side pads it at
 * once, an inner side drops it. With proctime the times are the processing
 * time (milliseconds) at which each row arrives, rows expire as that clock
 * passes the same bounds (checked on every batch and by a timer), and
 * watermarks pass through unchanged.
 *
 * Watermarks (event time): forwarded after the rows they expire, held back
 * so that no output row becomes late, neither by its left time nor by its
 * right time: by max(-lower_ms, upper_ms) for INNER (what Flink holds back,
 * the interval's reach) and one millisecond more for outer joins — a padded
 * row leaves the state one watermark after it stopped matching and would
 * otherwise sit exactly on the held-back watermark (a deliberate difference
 * from Flink, whose padded rows can be late by that millisecond).
 *
 * Deliberate differences from Flink: expiry is exact, at every watermark
 * (Flink cleans up by timers per key and joins late rows against whatever
 * its lazy cleanup left); no allowed lateness; no state TTL (the state is
 * bounded by the watermark).
 *
 * Checkpoints: one part per key group holding rows (docs/checkpoints.md,
 * "The time-based joins"), restored at any parallelism.
 */
#ifndef WR_OPS_INTERVAL_JOIN_H
#define WR_OPS_INTERVAL_JOIN_H

#include "join.h"

/*
 * An interval join spec: d's type (INNER, LEFT, RIGHT, FULL), column types,
 * keys (possibly none: the spec asks for parallelism 1), null_safe and
 * residual (over left ++ right columns, checked per pair; shared_build is
 * ignored); the time columns of both sides (ignored with proctime) and the
 * bounds. Copies the arrays and takes ownership of d->residual, even on
 * error; everything is checked when an instance is created.
 */
wr_operator_spec wr_interval_join_spec(const wr_join_desc *d, int left_time_col, int right_time_col,
                                       int64_t lower_ms, int64_t upper_ms, bool proctime);

/* Processing time in milliseconds; tests pass a fake clock. */
typedef int64_t (*wr_interval_join_clock)(void *arg);
/* Makes the spec's instances read processing time from clock(arg) instead of the wall clock. */
void wr_interval_join_spec_clock(wr_operator_spec *spec, wr_interval_join_clock clock, void *arg);

/* Rows an instance holds on side s (0 left, 1 right), for tests and metrics. */
int64_t wr_interval_join_state_rows(const wr_operator *op, int s);

extern const wr_operator_ops wr_interval_join_ops;

#endif
