/*
 * filesystem.h — file sources and sinks for the C API, without SQL options.
 *
 * The 'filesystem' connector (filesystem.c) builds the same source, and an
 * exactly-once sink of part files, from a table's WITH options; these entry
 * points let a C program read files of CSV, JSON or raw lines and write
 * CSV without going through a catalog.
 */
#ifndef WR_FILESYSTEM_H
#define WR_FILESYSTEM_H

#include "../formats/csv.h"
#include "../formats/json.h"
#include "../ops/operator.h"
#include "../types/schema.h"

/*
 * A bounded source reading path: a file, a directory (its regular files
 * whose names do not start with '.' or '_', in name order, file i read by
 * subtask i % parallelism) or "-" for standard input (read by subtask 0).
 * format is "csv", "json" (JSON Lines, default json options) or "raw" (one
 * STRING/VARCHAR column: each line). csv may be NULL for the defaults; it
 * is copied (with its null literal) and ignored for other formats. Borrows
 * schema. Returns 0 and fills out (parallelism -1: the job default), or
 * WR_ERR_ARGUMENT for a bad format or schema or a path that does not exist.
 */
int wr_file_source_spec(const char *path, const char *format, const wr_schema *schema,
                        const wr_csv_options *csv, wr_operator_spec *out, wr_error *err);

/*
 * A sink writing each row as a CSV line (default options) to path, created
 * or truncated when the operator opens, or to standard output for "-".
 * Parallelism 1. Output is written in large chunks: whenever more than
 * 64 KiB is buffered, and at end of input. Accepts only inserts. Borrows
 * schema and path (both are copied).
 */
wr_operator_spec wr_csv_file_sink_spec(const char *path, const wr_schema *schema);

/* Lines a running filesystem source dropped under csv/json.ignore-parse-errors. */
int64_t wr_file_source_skipped(const wr_operator *op);

#endif
