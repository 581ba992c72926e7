/*
 * json.h — Flink's 'json' format: one JSON object (a line of JSON Lines) to
 * one row of a batch and back.
 *
 * Decoding is driven by the schema: members are matched to columns by exact
 * name and converted straight into the batch's vectors (strings into the
 * batch arena) in one pass over the line, with no parse tree. A bad value or
 * broken syntax is reported with the member's name, the byte offset in the
 * line and the offending text, so that a connector only adds file and line.
 */
#ifndef WR_JSON_H
#define WR_JSON_H

#include "../base/buf.h"
#include "../base/config.h"
#include "../base/error.h"
#include "../types/batch.h"
#include "../types/schema.h"

/* json.timestamp-format.standard */
typedef enum wr_json_timestamp {
    WR_JSON_TIMESTAMP_SQL = 0,      /* 'yyyy-MM-dd HH:mm:ss[.fffffffff]' */
    WR_JSON_TIMESTAMP_ISO_8601 = 1, /* 'yyyy-MM-ddTHH:mm[:ss[.fffffffff]]' */
} wr_json_timestamp;

typedef struct wr_json_options {
    bool fail_on_missing_field; /* a member missing from the object is an error, not NULL */
    bool ignore_parse_errors;   /* callers skip lines that do not decode */
    int timestamp_standard;     /* wr_json_timestamp: how TIMESTAMP values are read and written */
} wr_json_options;

/* Flink's defaults: missing members are NULL, parse errors fail, SQL timestamps. */
void wr_json_options_default(wr_json_options *o);

/*
 * Reads Flink's json.* options from a table's WITH options (marking them
 * used): json.fail-on-missing-field, json.ignore-parse-errors (booleans),
 * json.timestamp-format.standard ('SQL' or 'ISO-8601', in any case).
 * Absent options keep the defaults. A bad value is WR_ERR_VALIDATION
 * positioned at it; as in Flink, fail-on-missing-field and
 * ignore-parse-errors cannot both be true.
 */
int wr_json_options_read(const wr_config *options, wr_json_options *o, wr_error *err);

/* The options wr_json_options_read understands, for "supported options" messages. */
#define WR_JSON_OPTION_NAMES                                                                       \
    "json.fail-on-missing-field, json.ignore-parse-errors, json.timestamp-format.standard"

/* wr_json_decode's result for a blank line or a top-level null: nothing appended (as Flink). */
#define WR_JSON_SKIPPED 1

/*
 * Decodes one JSON object (a line without its newline) into a new row at
 * batch->count, with the batch's column types and the schema's column
 * names, and increments count. The batch must have no selection and room
 * for one more row.
 *
 * Members are matched to columns by exact (case-sensitive) name; the last
 * of duplicate members wins; unknown members are validated and skipped,
 * whatever their value. A column without a member is NULL, or an error with
 * fail_on_missing_field. Conversions follow Flink's JsonToRowDataConverters:
 * numeric columns also take their value as a string ("123"), a string
 * column takes any value as its text. README.md has the full rules.
 *
 * Returns 0, WR_JSON_SKIPPED, or WR_ERR_PARSE with a message such as
 * "field 'ts' at offset 7: invalid BIGINT '1.5': not an integer" or
 * "at offset 0: expected a JSON object, found '[1]'". On error the batch's
 * rows are unchanged (count is not incremented; the arena may hold bytes
 * of the failed row).
 */
int wr_json_decode(const wr_json_options *o, const wr_schema *schema, const char *line, size_t len,
                   wr_batch *batch, wr_error *err);

/*
 * Appends the JSON object of physical row `row` of batch to out, without a
 * newline: {"name":value,...} in column order, with the schema's names, no
 * blanks (as Jackson writes it). NULL is null; FLOAT/DOUBLE as Java's
 * Float/Double.toString (NaN and infinities as the strings "NaN",
 * "Infinity", "-Infinity", as Jackson); TIMESTAMP as a string in the
 * configured standard with only the fraction digits needed, TIMESTAMP_LTZ
 * the same with a 'Z'; DECIMAL as a plain number with its scale; DATE and
 * TIME as strings; bytes as base64 strings.
 */
void wr_json_encode(const wr_json_options *o, const wr_batch *batch, int row,
                    const wr_schema *schema, wr_buf *out);

/* True when the format can decode and encode values of this type. */
bool wr_json_supports(wr_type_id id);

#endif
