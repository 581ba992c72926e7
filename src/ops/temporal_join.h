/*
 * temporal_join.h — the event-time temporal join (Flink's
 * TemporalRowTimeJoinOperator): `probe JOIN versioned FOR SYSTEM_TIME AS OF
 * probe.rowtime ON keys`, each probe row joined with the version of the
 * versioned table that was valid at the probe row's time.
 *
 * Input 0 is the probe side (insert-only, e.g. orders; a -U or -D row is an
 * error), input 1 the versioned table: a changelog keyed by its primary key,
 * which the join keys contain, so each join key has one sequence of
 * versions. Both are hash-partitioned by the join keys. A +I or +U row of the
 * versioned side is the version valid from its time on (right_time_col); a
 * -D row ends the key's validity at its time (a version that matches
 * nothing); -U rows are ignored (the +U that follows carries the change). A
 * version with the time of an existing one replaces it (the later row wins).
 *
 * Probe rows wait for the watermark (the smaller of the two inputs'): once it
 * reaches a probe row's time no version at or before that time can still
 * come, and the row is joined with the version whose time is the largest at
 * or before its own. If there is none, it is a delete, or the residual
 * condition fails, INNER drops the row and LEFT emits it padded with NULLs.
 * The rows a watermark releases are emitted in their arrival order; the
 * output is insert-only (+I), left columns then
 * right columns, the types of wr_join_output_types. Watermarks are
 * forwarded after the rows they released, unchanged (an output row's time is
 * its probe row's, which the watermark has just reached).
 *
 * State: buffered probe rows and versions per key. After each watermark the
 * versions older than the newest one at or before it are dropped (no probe
 * row that may still come can need them), and so is that one when it is a
 * delete with nothing older (a probe row would find no version either way).
 * When both inputs have ended, every buffered probe row is emitted, as under
 * a watermark of +infinity.
 *
 * Like Flink: a probe row the watermark has already passed waits for the
 * next watermark and is joined with what the state still holds (versions
 * older than the newest one at or before the previous watermark are gone);
 * a late version is stored like any other. Times are TIMESTAMP(3) or
 * TIMESTAMP_LTZ(3) columns (microseconds in the slot, compared in
 * milliseconds, rounded down). A probe row with a NULL time (it cannot be
 * placed in time) or a NULL in a key column that is not null-safe (it
 * matches nothing) is emitted padded at once by LEFT and dropped by INNER; a
 * version with either is ignored.
 * Deliberate differences from Flink: no state retention (state TTL) — the
 * state is bounded by the watermark and the number of keys; a sole delete
 * version is dropped (see above).
 *
 * Checkpoints: one part per key group holding rows (docs/checkpoints.md,
 * "The time-based joins"), restored at any parallelism.
 */
#ifndef WR_OPS_TEMPORAL_JOIN_H
#define WR_OPS_TEMPORAL_JOIN_H

#include "join.h"

/*
 * A temporal join spec: d's type (INNER or LEFT), column types, keys, null_safe
 * and residual (over probe ++ version columns; shared_build is ignored), the
 * time columns of both sides. Copies the arrays and takes ownership of
 * d->residual, even on error; everything is checked when an instance is
 * created.
 */
wr_operator_spec wr_temporal_join_spec(const wr_join_desc *d, int left_time_col,
                                       int right_time_col);

/* Rows an instance holds: buffered probe rows (s 0) or versions (s 1), for tests and metrics. */
int64_t wr_temporal_join_state_rows(const wr_operator *op, int s);

extern const wr_operator_ops wr_temporal_join_ops;

#endif
