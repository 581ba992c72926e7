/*
 * over_agg.h — the streaming OVER aggregation (Flink's
 * RowTimeRowsBoundedPrecedingFunction, RowTimeRangeBoundedPrecedingFunction,
 * RowTimeRowsUnboundedPrecedingFunction, RowTimeRangeUnboundedPrecedingFunction
 * and their ProcTime* counterparts): for every input row, aggregates over the
 * rows of its partition that precede it in time, up to the row itself.
 *
 * Windows are ordered by one time attribute, ascending: the TIMESTAMP(3) or
 * TIMESTAMP_LTZ(3) column time_col (microseconds), or processing time. Every
 * call has a frame that ends at the current row (upper 0) and starts
 * `lower` before it (or at the partition's first row, WR_OVER_UNBOUNDED):
 *   - ROWS: the current row and the -lower rows before it, in time order
 *     (rows with equal times in arrival order);
 *   - RANGE: the rows whose time is at least the current row's time plus
 *     lower (an offset in the time column's units, microseconds, as the
 *     binder and wr_over_spec take it), and all the current row's peers
 *     (rows with its time): peers get the same result.
 * Calls may have different frames. ROW_NUMBER, RANK and DENSE_RANK are
 * refused (Flink plans them as Top-N or deduplication, not here), as are
 * DISTINCT calls and frames that end anywhere but CURRENT ROW.
 *
 * Event time: a row is buffered in its partition until the watermark reaches
 * its time, then the released rows are processed in time order (equal times
 * in arrival order) and emitted before the watermark is forwarded. A row
 * whose time is at or below the watermark when it arrives is late: dropped
 * and counted (wr_over_agg_late_rows); a row without a time is dropped. End
 * of input releases everything. Processing time: each row takes the clock at
 * arrival and is processed at once, alone.
 *
 * Input is insert-only (a -U or -D row is an error naming the operator);
 * output rows are +I: the input columns then one column per call (of type
 * wr_over_call_type), in time order within a partition. On the same rows the
 * results equal the batch OVER operator's (over.h) ordered by the time
 * column.
 *
 * State per partition (the row-codec bytes of the partition columns, hashed
 * with wr_hash_bytes as the exchange does): one accumulator per call (the
 * aggregate_int.h accumulators), the processed rows still inside a bounded
 * frame and the rows waiting for the watermark; rows are freed as they leave.
 * Functions that retract (COUNT, SUM, AVG, STDDEV/VAR, BOOL_AND/OR) slide
 * their frames by retraction; the others (MIN, MAX, FIRST/LAST_VALUE,
 * LISTAGG, ...) over a bounded frame are recomputed over the kept frame rows
 * whenever a row leaves it (O(frame) per row, where Flink keeps a multiset
 * of values for MIN/MAX).
 *
 * Deliberate differences from Flink:
 *   - Processing time: rows are processed on arrival and are never peers; a
 *     RANGE frame holds the rows that arrived within the interval before the
 *     current one (Flink's ProcTimeRangeBoundedPrecedingFunction holds rows
 *     back to the next millisecond and treats a millisecond's rows as peers).
 *   - Calls of one operator may have different frames (Flink requires every
 *     OVER window of a SELECT to be the same).
 *   - A row is late when its time is at or below the watermark (Flink's
 *     older functions compared with the last time they processed per key).
 *
 * State TTL (table.exec.state.ttl): a partition no row reached for
 * state_ttl_ms of processing time is dropped, when met or by a sweep at most
 * once per TTL, unless it still holds rows waiting for the watermark (as
 * Flink's cleanup does); its next row starts over.
 *
 * Checkpoints: one part per key group (docs/checkpoints.md, "The streaming
 * OVER aggregation's state"), restored at any parallelism.
 */
#ifndef WR_OPS_OVER_AGG_H
#define WR_OPS_OVER_AGG_H

#include "over.h"

/* Processing time in milliseconds; tests pass a fake clock. */
typedef int64_t (*wr_over_agg_clock)(void *arg);

typedef struct wr_over_agg_opts {
    int64_t state_ttl_ms; /* 0: keep state forever */
    /* Processing time (proctime rows, TTL); NULL: the wall clock. */
    wr_over_agg_clock clock;
    void *clock_arg;
} wr_over_agg_opts;

/*
 * The operator over input columns in_types[0..nin), partitioned by
 * partition[0..npart) (none: one partition, which the planner runs in one
 * subtask), ordered by time_col (ignored with proctime, may be -1), computing
 * calls[0..ncalls). Copies the arrays and opts (NULL: defaults). Calls that
 * do not fit the input, ranking functions, DISTINCT and bad frames make
 * create() fail with WR_ERR_VALIDATION naming the call.
 */
wr_operator_spec wr_over_agg_spec(const wr_type *in_types, int nin, const int *partition, int npart,
                                  int time_col, bool proctime, const wr_over_call *calls,
                                  int ncalls, const wr_over_agg_opts *opts);

/* Rows dropped as late so far (Flink's numLateRecordsDropped); not checkpointed. */
int64_t wr_over_agg_late_rows(const wr_operator *op);

extern const wr_operator_ops wr_over_agg_ops;

#endif
