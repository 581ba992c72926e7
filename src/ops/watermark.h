/*
 * watermark.h — the watermark assigner of a table with WATERMARK FOR column AS expr.
 *
 * Flink's WatermarkAssigner: rows pass through unchanged; the watermark
 * expression is evaluated for every row and the largest value seen so far,
 * in milliseconds, is the watermark, emitted after the rows of the batch that
 * raised it. Rows whose expression is NULL do not move it. Watermarks coming
 * from upstream are ignored, except the end of input (WR_WATERMARK_MAX),
 * which is passed on. The watermark is not checkpointed: after a restore it
 * starts again from the first rows, as Flink's does. With the job option
 * 'table.exec.source.idle-timeout' (a duration; 0, the default, is off) a
 * subtask that sees no row for that long marks its output idle until the
 * next row.
 */
#ifndef WR_OPS_WATERMARK_H
#define WR_OPS_WATERMARK_H

#include "../expr/expr.h"
#include "operator.h"

/* A spec over expr (TIMESTAMP(p) or TIMESTAMP_LTZ(p), p <= 3); takes ownership of expr. */
wr_operator_spec wr_watermark_spec(wr_expr *expr);

extern const wr_operator_ops wr_watermark_ops;

#endif
