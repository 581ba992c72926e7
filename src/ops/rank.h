/*
 * rank.h — the streaming rank operator: Flink's Top-N and deduplication
 * (AppendOnlyTopNFunction, RetractableTopNFunction, the Deduplicate
 * functions) and their window forms (WindowRankOperator, window
 * deduplication). It runs
 *
 *   SELECT * FROM (SELECT *, ROW_NUMBER() | RANK() | DENSE_RANK()
 *                  OVER (PARTITION BY p ORDER BY o) AS rn FROM t)
 *   WHERE rn <= N   (or rn = 1, rn BETWEEN a AND b)
 *
 * over a changelog: per partition it keeps rows in rank order and emits the
 * changes of the partition's visible rows (ranks rank_start..rank_end).
 *
 * Continuous mode (window_end_col < 0):
 *   - Without the rank column a row entering the visible rows is +I, a row
 *     leaving them -D (pushed out by a better row, retracted, shifted across
 *     rank_start or past rank_end); -D comes before the +I of one change.
 *   - With the rank column, ROW_NUMBER pairs changes by rank position (the
 *     upsert key is partition + rank, as in Flink): a position whose row
 *     changed is -U old (retract mode only) then +U new, a position that
 *     appears is +I, one that vanishes -D. RANK and DENSE_RANK pair them by
 *     row (the upsert key is the row): a row whose rank changed is -U/+U.
 *   - Ties: ROW_NUMBER puts the earlier-arrived row first; RANK and
 *     DENSE_RANK give peers one rank, so with them more than N rows may be
 *     visible.
 *   - Deduplication is ROW_NUMBER with ranks 1..1 and a single TIMESTAMP or
 *     TIMESTAMP_LTZ order column: ASC keeps the first row, DESC the last.
 *     Over insert-only input a partition holds one row and no sorted
 *     structure; a row replaces the kept one when its time is smaller (keep
 *     first) or not smaller (keep last: equal times take the newer row), and
 *     the change is -U/+U (+U only in upsert mode) whether or not the rank
 *     column is there, as Flink's deduplication emits.
 *   - Over insert-only input a partition keeps only the rows that can still
 *     be visible (rank <= rank_end); over an updating input it keeps every
 *     row, so that retractions promote the next ones. A -U/-D of a row that
 *     is not held (by equality of every column) is ignored.
 *
 * Window mode (window_end_col >= 0, Flink's window Top-N and window
 * deduplication): the partition columns hold window_start and window_end;
 * input must be insert-only. Rows are kept per partition (only those that
 * can be visible) and nothing is emitted until the watermark (ms) reaches the
 * partition's window_end - 1: then its visible rows are emitted as +I in rank
 * order (with their ranks), its state is freed and the watermark forwarded.
 * Rows of windows that already fired are late: dropped and counted
 * (wr_rank_late_rows); rows with a NULL window_end are dropped. End of input
 * fires every window.
 *
 * Deliberate differences from Flink:
 *   - RANK and DENSE_RANK are supported in streaming (Flink only has
 *     ROW_NUMBER there).
 *   - Deduplication is recognised by the order column's type (a TIMESTAMP or
 *     TIMESTAMP_LTZ column), not by its being a time attribute; the only
 *     effect is that equal times in DESC order take the newer row.
 *   - Emitted rows carry no row times.
 *   - Rows are retracted by equality of every column under the sort order's
 *     comparison (-0.0 equals 0.0, NaN equals NaN).
 *
 * State TTL (table.exec.state.ttl, continuous mode only): a partition not
 * touched for state_ttl_ms of processing time is dropped when met and by a
 * sweep at most once per TTL, without emitting anything; its next row starts
 * it afresh.
 *
 * Checkpoints: one part per key group (the wr_hash_bytes of the partition
 * columns' row codec, as the exchange routes them; window mode writes a part
 * for every owned key group, to carry the watermark progress), format in
 * docs/checkpoints.md; restoring takes the parts of the key groups this
 * instance owns, at any parallelism. Damaged bytes are WR_ERR_IO.
 */
#ifndef WR_OPS_RANK_H
#define WR_OPS_RANK_H

#include "operator.h"
#include "sort.h"

typedef enum wr_rank_fn { WR_RANK_ROW_NUMBER, WR_RANK_RANK, WR_RANK_DENSE_RANK } wr_rank_fn;

/* Processing time in milliseconds; tests pass a fake clock. */
typedef int64_t (*wr_rank_clock)(void *arg);

typedef struct wr_rank_opts {
    wr_rank_fn fn;
    /* Ranks kept, inclusive, 1-based (rn <= 10: 1..10; rn = 1: 1..1; BETWEEN 3 AND 5). */
    int64_t rank_start, rank_end;
    bool output_rank; /* append the rank as a BIGINT NOT NULL column */
    /* The planner's changelog inference: the input is +I only (a -U or -D row is an error). */
    bool input_insert_only;
    /* Retract mode (-U/+U); false: upsert mode (+U only; -D in both modes). */
    bool emit_update_before;
    int64_t state_ttl_ms; /* 0: keep state forever */
    /* -1: continuous Top-N. >= 0: window Top-N over this TIMESTAMP(3) window_end column. */
    int window_end_col;
    /* Processing time for TTL; NULL: the wall clock. */
    wr_rank_clock clock;
    void *clock_arg;
} wr_rank_opts;

/*
 * The operator's spec over input columns in_types[0..nin), partitioned by
 * partition[0..npart) (rows arrive hash-partitioned by them; none: one
 * partition, parallelism 1) and ordered by order[0..norder). Copies the
 * arrays and opts. Output: the input columns, then the rank when
 * output_rank. A spec that does not fit the input (columns out of range,
 * ranks not 1 <= start <= end, a window_end column that is not a partition
 * column of type TIMESTAMP, ...) makes create() fail with WR_ERR_VALIDATION.
 */
wr_operator_spec wr_rank_spec(const wr_type *in_types, int nin, const int *partition, int npart,
                              const wr_sort_key *order, int norder, const wr_rank_opts *opts);

extern const wr_operator_ops wr_rank_ops;

/* Window mode: rows dropped as late so far (Flink's numLateRecordsDropped); not checkpointed. */
int64_t wr_rank_late_rows(const wr_operator *op);

#endif
