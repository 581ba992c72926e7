/*
 * window_join.h — the window join (Flink's WindowJoinOperator): joins the
 * rows of two window table-valued functions' outputs that fall in the same
 * window and have equal keys, once the window is complete.
 *
 * Both inputs carry window_start and window_end columns (TIMESTAMP(3),
 * microseconds) at the positions the spec names; rows join when their keys
 * are equal (d's keys, SQL equality: a NULL key that is not null-safe matches
 * nothing) and both window columns are equal (the operator adds that itself:
 * d's keys do not include the window columns), and the residual condition
 * holds for the pair. Input 0 is the left side, input 1 the right side, both
 * hash-partitioned by their join keys (the row codec of the key columns);
 * both are insert-only (a -U or -D row is an error naming the operator).
 *
 * Rows are kept per window until the watermark (ms) reaches window_end - 1
 * (as a window aggregation fires), then the window's rows are joined, the
 * output emitted before the watermark is forwarded, and the window's state
 * freed. INNER emits the pairs; LEFT, RIGHT and FULL also emit the rows of
 * their outer sides that had no partner in the window, NULL-padded; SEMI
 * emits each left row that has a partner, once; ANTI each that has none.
 * Output rows are +I, the columns of wr_join_output_types(d): left then
 * right (SEMI/ANTI: left only). Within a window, pairs come first (in left
 * then right arrival order), then unmatched left rows, then unmatched right
 * rows. A row of a window that has fired already is late: dropped and
 * counted (wr_window_join_late_rows). When both inputs have ended every
 * window fires.
 *
 * Deliberate differences from Flink: windows are identified by window_start
 * and window_end (Flink keys its state by window_end alone, which the TVFs
 * make equivalent); keys compare as row-codec bytes, as in Flink (-0.0 and
 * 0.0 are different keys, NaN meets NaN); a row without window columns is an
 * error (the TVFs never produce one).
 *
 * Checkpoints: one part per key group (docs/checkpoints.md, "The window
 * join's state"), restored at any parallelism.
 */
#ifndef WR_OPS_WINDOW_JOIN_H
#define WR_OPS_WINDOW_JOIN_H

#include "join.h"

/*
 * A window join spec from d (type, column types, keys, null_safe, residual;
 * shared_build is ignored) and the window columns of each side. Copies the
 * arrays and takes ownership of d->residual, even on error; the description
 * and the window columns (TIMESTAMP or TIMESTAMP_LTZ columns of their side)
 * are checked when an instance is created (WR_ERR_ARGUMENT).
 */
wr_operator_spec wr_window_join_spec(const wr_join_desc *d, int left_wstart, int left_wend,
                                     int right_wstart, int right_wend);

/* Rows dropped as late so far, both sides (Flink's numLateRecordsDropped); not checkpointed. */
int64_t wr_window_join_late_rows(const wr_operator *op);

extern const wr_operator_ops wr_window_join_ops;

#endif
