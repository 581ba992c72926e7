/*
 * window_agg.h — Flink's window table-valued functions as operators: the
 * window assigner a bare TUMBLE / HOP / CUMULATE call becomes (window_tvf.c)
 * and the window aggregation over TUMBLE / HOP / CUMULATE / SESSION windows
 * (window_agg.c, Flink's WindowAggregate), which fires on watermarks.
 *
 * Time: a rowtime column is TIMESTAMP(3) or TIMESTAMP_LTZ(3), int64
 * microseconds; windows are computed in milliseconds, as watermarks are.
 * window_start and window_end are TIMESTAMP(3) NOT NULL; window_time is
 * window_end - 1 ms, of the time column's type (TIMESTAMP_LTZ(3) for
 * processing time, Flink's PROCTIME() type). TIMESTAMP_LTZ windows are
 * aligned in UTC (Flink aligns them in the session time zone).
 */
#ifndef WR_OPS_WINDOW_AGG_H
#define WR_OPS_WINDOW_AGG_H

#include "aggregate.h"

typedef enum wr_window_kind {
    WR_WINDOW_TUMBLE,
    WR_WINDOW_HOP,
    WR_WINDOW_CUMULATE,
    WR_WINDOW_SESSION,
} wr_window_kind;

typedef struct wr_window_def {
    wr_window_kind kind;
    /* Input column holding the time attribute; -1: processing time (the wall clock at arrival,
     * windows fired by processing-time timers). */
    int time_col;
    int64_t size_ms;   /* TUMBLE, HOP, CUMULATE (the largest window) */
    int64_t slide_ms;  /* HOP: slide; CUMULATE: step */
    int64_t gap_ms;    /* SESSION */
    int64_t offset_ms; /* TUMBLE, HOP, CUMULATE: shifts the windows' alignment; any value */
} wr_window_def;

/*
 * Validates the window's parameters: size > 0 (TUMBLE, HOP, CUMULATE), HOP's
 * slide > 0 and size a multiple of it, CUMULATE's step > 0 and size a
 * multiple of it, SESSION's gap > 0. Returns 0, or WR_ERR_VALIDATION with a
 * message naming the parameter and its value.
 */
int wr_window_def_check(const wr_window_def *w, wr_error *err);

/*
 * wr_window_def_check, and that the time column is an input column of type
 * TIMESTAMP or TIMESTAMP_LTZ; what names the operator in the message.
 */
int wr_window_check_input(const wr_type *in_types, int nin, const wr_window_def *w,
                          const char *what, wr_error *err);

/* The three columns a window adds: window_start, window_end, window_time. */
void wr_window_columns(const wr_type *in_types, int nin, const wr_window_def *w, wr_type out[3]);

/*
 * The TVF as an operator: the input columns followed by window_start,
 * window_end and window_time, one row per window the input row falls in
 * (TUMBLE one, HOP size/slide, CUMULATE the windows of its period that end
 * after it). Rows with a NULL time are dropped (Flink). SESSION cannot be
 * assigned row by row: create fails. Stateless, so it runs in batch and
 * streaming; change kinds and row times pass through. Copies what it needs.
 */
wr_operator_spec wr_window_tvf_spec(const wr_type *in_types, int nin, const wr_window_def *w);
extern const wr_operator_ops wr_window_tvf_ops;

/* Options of a window aggregation; zero is Flink's default. */
typedef struct wr_window_agg_opts {
    int64_t allowed_lateness_ms; /* not used yet: late rows are dropped */
} wr_window_agg_opts;

/*
 * The window aggregation. groups are the non-window GROUP BY columns (rows
 * arrive hash-partitioned by them; none: one global group). The output row
 * is the group columns, one column per call, then window_start, window_end,
 * window_time (wr_window_agg_output_types). Input and output are insert-only
 * (a -U or -D row is an error). Copies what it needs from the arrays.
 */
wr_operator_spec wr_window_agg_spec(const wr_type *in_types, int nin, const wr_window_def *w,
                                    const int *groups, int ngroups, const wr_agg_call *aggs,
                                    int naggs);
extern const wr_operator_ops wr_window_agg_ops;

/* The output types of such an aggregation (room for ngroups + naggs + 3). */
void wr_window_agg_output_types(const wr_type *in_types, int nin, const wr_window_def *w,
                                const int *groups, int ngroups, const wr_agg_call *aggs, int naggs,
                                wr_type *out);

/* Rows dropped as late so far (Flink's numLateRecordsDropped); not checkpointed. */
int64_t wr_window_agg_late_rows(const wr_operator *op);

/* ---- window arithmetic shared by the two operators (milliseconds) ---------------------- */

/* x mod m in [0, m) for m > 0, also for negative x. */
static inline int64_t wr_window_floor_mod(int64_t x, int64_t m)
{
    int64_t r = x % m;
    return r < 0 ? r + m : r;
}

/*
 * The start of the window of `size` that holds ts, windows being aligned to
 * offset: Flink's TimeWindow.getWindowStartWithOffset, with a floor modulo so
 * that times before the epoch get the window that holds them too.
 */
static inline int64_t wr_window_start(int64_t ts, int64_t offset, int64_t size)
{
    return ts - wr_window_floor_mod(ts - offset, size);
}

/* A row time (microseconds) in milliseconds, rounded down as Flink's conversion does. */
static inline int64_t wr_window_micros_to_ms(int64_t micros)
{
    return micros / 1000 - (micros % 1000 < 0);
}

#endif
