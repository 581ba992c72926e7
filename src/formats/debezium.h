/*
 * debezium.h — Flink's 'debezium-json' format: Debezium's change events
 * ({"before":{...},"after":{...},"op":"c"|"r"|"u"|"d", ...}) to rows with
 * change kinds, and rows with change kinds back to change events.
 *
 * The envelope is walked with json.h's iterator and the "before" and
 * "after" objects are decoded by the json format itself
 * (wr_json_decode_object), so every value converts as in format 'json'.
 */
#ifndef WR_DEBEZIUM_H
#define WR_DEBEZIUM_H

#include "json.h"

typedef struct wr_debezium_options {
    bool schema_include;      /* events are {"schema":...,"payload":{...}} (Kafka Connect's JSON) */
    bool ignore_parse_errors; /* callers skip events that do not decode */
    wr_json_options json;     /* how "before" and "after" values convert (timestamp standard) */
} wr_debezium_options;

/* Flink's defaults: no schema, parse errors fail, SQL timestamps. */
void wr_debezium_options_default(wr_debezium_options *o);

/*
 * Reads Flink's debezium-json.* options from a table's WITH options
 * (marking them used): debezium-json.schema-include,
 * debezium-json.ignore-parse-errors (booleans),
 * debezium-json.timestamp-format.standard ('SQL' or 'ISO-8601'),
 * debezium-json.map-null-key.mode ('FAIL', 'DROP', 'LITERAL') and
 * debezium-json.map-null-key.literal, which are checked and have no effect
 * (no column type here is a MAP). Bad values are WR_ERR_VALIDATION at them.
 */
int wr_debezium_options_read(const wr_config *options, wr_debezium_options *o, wr_error *err);

#define WR_DEBEZIUM_OPTION_NAMES                                                                   \
    "debezium-json.schema-include, debezium-json.ignore-parse-errors, "                            \
    "debezium-json.timestamp-format.standard, debezium-json.map-null-key.mode, "                   \
    "debezium-json.map-null-key.literal"

/*
 * Decodes one change event (a Kafka record's value, or a line) into rows at
 * batch->count with their change kinds (wr_batch_kinds): "c" and "r" give
 * +I of "after"; "u" gives -U of "before" then +U of "after"; "d" gives -D
 * of "before". The batch must have no selection.
 *
 * Returns 0; WR_JSON_SKIPPED for a blank event or a null one (Debezium's
 * tombstone after a delete); WR_CHANGELOG_FULL when the batch has no room
 * for the event's rows (an update needs two), with nothing appended; or
 * WR_ERR_PARSE with a message naming the member and offset, such as
 * "field 'op' at offset 40: unknown operation 'x'; expected 'c', 'r', 'u'
 * or 'd'" or "the 'before' of an update ('op' 'u') is null ...". On error
 * no row is appended.
 */
int wr_debezium_decode(const wr_debezium_options *o, const wr_schema *schema, const char *text,
                       size_t len, wr_batch *batch, wr_error *err);

/*
 * Appends the change event of physical row `row` of batch, as Flink writes
 * it: +I and +U as {"before":null,"after":{row},"op":"c"}, -U and -D as
 * {"before":{row},"after":null,"op":"d"}. Without a schema whatever
 * schema_include says (Weir's sinks refuse schema-include).
 */
void wr_debezium_encode(const wr_debezium_options *o, const wr_batch *batch, int row,
                        const wr_schema *schema, wr_buf *out);

#endif
