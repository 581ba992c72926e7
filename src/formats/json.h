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
/* A changelog format's result (debezium.h, canal.h) when the batch has no room for a row. */
#define WR_CHANGELOG_FULL 2

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

/* Flags of wr_json_decode_object. */
#define WR_JSON_OVERLAY 1 /* update the last row in place; see wr_json_decode_object */

/*
 * Decodes the JSON object at text[pos] (blanks skipped) into a new row at
 * batch->count, as wr_json_decode does a line, for formats that wrap rows
 * in an envelope (debezium-json's "before"/"after", canal-json's "data").
 * Text after the object is not looked at; offsets in messages count from
 * text, so they point into the whole record. With WR_JSON_OVERLAY the
 * object updates the last row (batch->count - 1) instead: each member
 * replaces its column's value, columns without a member keep theirs, and
 * count does not change. Returns 0 or WR_ERR_PARSE ("at offset 9: expected
 * a JSON object, found 'null'"); on error an appended row is not counted
 * and an overlaid row may be partly updated.
 */
int wr_json_decode_object(const wr_json_options *o, const wr_schema *schema, const char *text,
                          size_t len, size_t pos, int flags, wr_batch *batch, wr_error *err);

/*
 * Walking an envelope: the members of an object or the elements of an
 * array, each checked whole (its syntax, as skipped members are) and given
 * as a byte range of the text, so the caller decodes the ones it wants
 * with wr_json_decode_object or wr_json_string. Borrows text.
 */
typedef struct wr_json_iter {
    const char *text;
    size_t len;
    size_t pos; /* the next token */
    char close; /* '}' or ']' */
    int n;      /* items returned so far */
    bool done;
    bool whole;        /* the record's top-level object: nothing may follow it */
    char name_buf[64]; /* a member name with escapes, decoded */
    wr_error *err;
} wr_json_iter;

typedef struct wr_json_item {
    const char *name; /* an object member's name (escapes decoded), or NULL in an array */
    size_t name_len;
    size_t start, end; /* the value: text[start..end) */
} wr_json_item;

/*
 * Starts at the object (open '{') or array ('[') at text[pos], blanks
 * skipped. Returns 0, or WR_ERR_PARSE when something else is there.
 */
int wr_json_iter_begin(wr_json_iter *it, const char *text, size_t len, size_t pos, char open,
                       wr_error *err);

/*
 * Starts at the top-level object of a record: as wr_json_iter_begin, and
 * returns WR_JSON_SKIPPED for a blank record or a top-level null (a byte
 * order mark is skipped); text after the object is an error at its end.
 */
int wr_json_iter_record(wr_json_iter *it, const char *text, size_t len, wr_error *err);

/* Returns 1 with the next member or element in *item, 0 after the last, or WR_ERR_PARSE. */
int wr_json_iter_next(wr_json_iter *it, wr_json_item *item);

/*
 * Appends the string value text[start..end) with its escapes decoded to
 * out. Returns 0, or WR_ERR_PARSE naming the member `what` when the value
 * is not a string.
 */
int wr_json_string(const char *text, size_t start, size_t end, const char *what, wr_buf *out,
                   wr_error *err);

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
