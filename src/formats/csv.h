/*
 * csv.h — Flink's 'csv' format: one line of text to one row of a batch and back.
 *
 * Decoding is driven by the schema and writes straight into the batch's
 * vectors (strings into the batch arena), one pass over the line, so a
 * connector can decode millions of lines per second per core. A bad field is
 * reported with the column's name, its byte offset in the line and the
 * offending text, so that the connector only has to add the file and line.
 */
#ifndef WR_CSV_H
#define WR_CSV_H

#include "../base/buf.h"
#include "../base/config.h"
#include "../base/error.h"
#include "../types/batch.h"
#include "../types/schema.h"

typedef struct wr_csv_options {
    char field_delimiter;     /* ',' */
    char quote_character;     /* '"'; '\0' when quoting is disabled */
    bool ignore_parse_errors; /* callers skip lines that do not decode */
    bool allow_comments;      /* lines starting with '#' are skipped */
    /*
     * An unquoted field equal to this is NULL (and NULL is written as it).
     * NULL: an empty field of a non-string type is NULL, NULL is written as
     * an empty field. Borrowed: whoever fills the options keeps it alive.
     */
    const char *null_literal;
} wr_csv_options;

/* Flink's defaults: ',' and '"', no comments, parse errors fail, no null literal. */
void wr_csv_options_default(wr_csv_options *o);

/*
 * Reads Flink's csv.* options from a table's WITH options (marking them
 * used): csv.field-delimiter and csv.quote-character (one character; '\t'
 * may be written as a backslash and 't'), csv.disable-quote-character,
 * csv.ignore-parse-errors, csv.allow-comments, csv.null-literal. Absent
 * options keep the defaults. A bad value is WR_ERR_VALIDATION positioned at
 * it. o->null_literal borrows the option's value: it lives as long as
 * options does.
 */
int wr_csv_options_read(const wr_config *options, wr_csv_options *o, wr_error *err);

/* The options wr_csv_options_read understands, for "supported options" messages. */
#define WR_CSV_OPTION_NAMES                                                                        \
    "csv.field-delimiter, csv.quote-character, csv.disable-quote-character, "                      \
    "csv.ignore-parse-errors, csv.allow-comments, csv.null-literal"

/* wr_csv_decode's result for a comment line (allow_comments): nothing appended. */
#define WR_CSV_SKIPPED 1

/*
 * Decodes one record (a line without its newline; a quoted field may
 * contain newlines) into a new row at batch->count, with the batch's
 * column types and the schema's column names, and increments count.
 * The batch must have no selection and room for one more row.
 *
 * Returns 0, WR_CSV_SKIPPED for a comment line, or WR_ERR_PARSE with a
 * message such as "field 'ts' at offset 3: invalid BIGINT 'x1'" or
 * "expected 2 fields, found 3". On error the batch's rows are unchanged
 * (count is not incremented; the arena may hold bytes of the failed row).
 */
int wr_csv_decode(const wr_csv_options *o, const wr_schema *schema, const char *line, size_t len,
                  wr_batch *batch, wr_error *err);

/*
 * wr_csv_decode for a scan that reads some fields only: field i of the line
 * (the schema's column i: the record still has schema->ncols fields) goes
 * into the batch's column targets[i], or is skipped when that is -1; the
 * batch has the target columns' types. A skipped field is scanned, not
 * converted: its value is not checked (a bad number or a NULL in a NOT NULL
 * column there is no error, as in Flink, whose converters see only the
 * projected fields); broken quoting and a wrong field count still are.
 * targets NULL is wr_csv_decode. Results and errors as wr_csv_decode's.
 */
int wr_csv_decode_fields(const wr_csv_options *o, const wr_schema *schema, const int *targets,
                         const char *line, size_t len, wr_batch *batch, wr_error *err);

/*
 * True when line ends inside a quoted field: the record continues on the
 * next line. Callers that split input on newlines use it after a failed
 * decode to join lines of a field that holds a newline.
 */
bool wr_csv_unterminated(const wr_csv_options *o, const char *line, size_t len);

/*
 * Appends the CSV text of physical row `row` of batch to out, without a
 * newline. Quotes a string only when needed; NULL is the null literal
 * (empty by default); FLOAT/DOUBLE as Java's Float/Double.toString;
 * TIMESTAMP as 'yyyy-MM-dd HH:mm:ss' plus the fraction digits needed,
 * TIMESTAMP_LTZ the same with a 'Z'; DECIMAL plain with its scale ('1.50');
 * DATE 'yyyy-MM-dd'; TIME 'HH:mm:ss[.SSS]'; bytes as base64.
 */
void wr_csv_encode(const wr_csv_options *o, const wr_batch *batch, int row, wr_buf *out);

/* True when the format can decode and encode values of this type. */
bool wr_csv_supports(wr_type_id id);

#endif
