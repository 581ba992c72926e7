/*
 * canal.h — Flink's 'canal-json' format: Canal's change messages
 * ({"data":[{...}],"old":[{...}],"type":"INSERT"|"UPDATE"|"DELETE",
 * "database":..., "table":..., ...}) to rows with change kinds.
 *
 * One message carries any number of rows, so decoding can stop when the
 * batch is full and resume at the next row of the same message. Rows are
 * decoded by the json format (wr_json_decode_object); the envelope is walked
 * with json.h's iterator.
 */
#ifndef WR_CANAL_H
#define WR_CANAL_H

#include "json.h"

typedef struct wr_canal_options {
    bool ignore_parse_errors; /* callers skip messages that do not decode */
    wr_json_options json;     /* how row values convert (timestamp standard) */
    /* canal-json.database.include / table.include: owned copies of the regular expressions
     * and their compiled forms (pcre2_code *, matched whole; NULL: every name). */
    char *database_include, *table_include;
    void *database_re, *table_re;
} wr_canal_options;

void wr_canal_options_default(wr_canal_options *o);
/* Frees the compiled expressions; the options are then the defaults. */
void wr_canal_options_fini(wr_canal_options *o);

/*
 * Reads Flink's canal-json.* options (marking them used):
 * canal-json.ignore-parse-errors, canal-json.timestamp-format.standard,
 * canal-json.database.include and canal-json.table.include (regular
 * expressions a message's "database" and "table" must match whole). A bad
 * value or expression is WR_ERR_VALIDATION at it. On error o holds nothing
 * to free.
 */
int wr_canal_options_read(const wr_config *options, wr_canal_options *o, wr_error *err);

#define WR_CANAL_OPTION_NAMES                                                                      \
    "canal-json.ignore-parse-errors, canal-json.timestamp-format.standard, "                       \
    "canal-json.database.include, canal-json.table.include"

/*
 * Decodes the rows of one message, starting with its row *next (0 for a new
 * message), into rows at batch->count with change kinds: INSERT gives +I of
 * each "data" row; UPDATE gives, per row, -U of the "data" row with the
 * members of the same "old" row over it, then +U of the "data" row; DELETE
 * gives -D of each "data" row. Other types (CREATE, ALTER, QUERY, ...) and
 * messages whose database or table is not included give no rows.
 *
 * Returns 0 when the message is done (*next back to 0); WR_JSON_SKIPPED when
 * it gives no rows; WR_CHANGELOG_FULL when the batch filled
 * first: *next is the row to resume at, with the next batch; or
 * WR_ERR_PARSE naming the member and offset. On error the rows of this call
 * are not appended (those of earlier calls for the message were).
 */
int wr_canal_decode(const wr_canal_options *o, const wr_schema *schema, const char *text,
                    size_t len, int *next, wr_batch *batch, wr_error *err);

/*
 * Appends the message of physical row `row` of batch, as Flink writes it:
 * {"data":[{row}],"type":"INSERT"} for +I and +U, "DELETE" for -U and -D.
 */
void wr_canal_encode(const wr_canal_options *o, const wr_batch *batch, int row,
                     const wr_schema *schema, wr_buf *out);

#endif
