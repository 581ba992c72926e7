/*
 * over.h — OVER windows over bounded input (batch): ROW_NUMBER, RANK,
 * DENSE_RANK and aggregates over a frame of each row's partition.
 *
 * Collects every input row, orders them by the partition columns and the
 * ORDER BY keys (stable), and computes for each row and call its value over
 * the row's frame. Output: the input columns (rows in that order) followed by
 * one column per call. The planner hash-partitions the input by the
 * partition columns (or runs one subtask without them).
 *
 * Frames, as in SQL (and Flink):
 * - ROWS: lower/upper are row offsets from the current row (negative before
 *   it); WR_OVER_UNBOUNDED for no limit on that side.
 * - RANGE with ORDER BY: UNBOUNDED PRECEDING .. CURRENT ROW includes the
 *   current row's peers (rows with equal ORDER BY keys); with offsets it
 *   covers rows whose single ORDER BY key (a number or time) is within the
 *   offsets of the current row's.
 * - Without ORDER BY the frame is the whole partition.
 * The ranking functions ignore the frame.
 */
#ifndef WR_OPS_OVER_H
#define WR_OPS_OVER_H

#include "aggregate.h"
#include "sort.h"

#define WR_OVER_UNBOUNDED INT64_MIN

typedef enum wr_over_kind {
    WR_OVER_ROW_NUMBER, /* BIGINT NOT NULL */
    WR_OVER_RANK,       /* BIGINT NOT NULL: 1 + rows before the first peer */
    WR_OVER_DENSE_RANK, /* BIGINT NOT NULL: 1 + distinct keys before */
    WR_OVER_AGG,        /* agg over the frame (agg.type is the result type) */
} wr_over_kind;

typedef struct wr_over_call {
    wr_over_kind kind;
    wr_agg_call agg; /* WR_OVER_AGG: the aggregate over input columns (no DISTINCT) */
    bool range;      /* RANGE frame (else ROWS) */
    int64_t lower;   /* frame start: offset from the current row (<= 0), or WR_OVER_UNBOUNDED */
    int64_t upper;   /* frame end: offset (>= 0; 0 = current row), or WR_OVER_UNBOUNDED */
} wr_over_call;

/*
 * Copies the arrays. All calls share the partition columns and order keys
 * (the planner makes one operator per distinct window).
 */
wr_operator_spec wr_over_spec(const wr_type *in_types, int nin, const int *partition, int npart,
                              const wr_sort_key *order, int norder, const wr_over_call *calls,
                              int ncalls);

/* The type of a call's output column. */
wr_type wr_over_call_type(const wr_over_call *call);

extern const wr_operator_ops wr_over_ops;

#endif
