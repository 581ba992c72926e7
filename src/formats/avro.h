/*
 * avro.h — Flink's 'avro' format: one Avro binary datum to one row of a batch and back.
 *
 * The writer schema is derived from the table's columns, as Flink's
 * AvroSchemaConverter does: a record with one field per column, a nullable
 * column a union ["null", T]. A record or key is one datum with no container
 * header and no schema id. Decoding walks the binary encoding itself (zigzag
 * varints, length-prefixed bytes, union indexes), straight into the batch's
 * vectors; libavro only validates the derived schema's JSON.
 */
#ifndef WR_AVRO_H
#define WR_AVRO_H

#include "../base/buf.h"
#include "../base/config.h"
#include "../base/error.h"
#include "../types/batch.h"
#include "../types/schema.h"

/*
 * Reads Flink's avro.* options from a format's WITH options (marking them
 * used): 'avro.encoding' ('binary', the default; 'json' is refused) and
 * 'avro.codec' (a container file's compression: accepted and ignored, as
 * Flink ignores it outside the filesystem connector; the value must still
 * be one of null, deflate, snappy, bzip2, xz, zstandard). A bad value is
 * WR_ERR_VALIDATION positioned at it.
 */
int wr_avro_options_read(const wr_config *options, wr_error *err);

#define WR_AVRO_OPTION_NAMES "avro.encoding, avro.codec"

/*
 * Checks that every column of schema has an Avro type and a valid Avro
 * name, and that libavro accepts the derived schema. Returns 0 or
 * WR_ERR_VALIDATION naming the column: "column 'tags' of type ARRAY<INT>
 * has no Avro type in format 'avro'", "column 'ts' of type TIMESTAMP(6): ...
 * precision 3 at most". The caller adds the position of the option.
 */
int wr_avro_check(const wr_schema *schema, wr_error *err);

/*
 * The writer schema of schema as JSON text (Flink's
 * AvroSchemaConverter.convertToSchema): {"type":"record","name":"record",
 * "namespace":"org.apache.flink.avro.generated","fields":[...]}, a nullable
 * field {"name":"x","type":["null",T],"default":null}. Appended to out,
 * without blanks. The schema must pass wr_avro_check.
 */
void wr_avro_schema_json(const wr_schema *schema, wr_buf *out);

/*
 * Decodes one datum of the schema's record into a new row at batch->count,
 * with the batch's column types and the schema's column names, and
 * increments count. The batch must have no selection and room for one more
 * row; strings and bytes are copied into the batch arena.
 *
 * Returns 0 or WR_ERR_PARSE with the column and the byte offset in the
 * datum: "field 'name' at offset 3: the datum ends inside a STRING of 9
 * bytes (4 left)", "field 'id' at offset 0: union index 5 (expected 0 for
 * null or 1)", "at offset 12: 2 bytes after the end of the record". On
 * error the batch's rows are unchanged (count is not incremented; the
 * arena may hold bytes of the failed row).
 */
int wr_avro_decode(const wr_schema *schema, const void *data, size_t len, wr_batch *batch,
                   wr_error *err);

/* Appends the Avro binary datum of physical row `row` of batch (the schema's types) to out. */
void wr_avro_encode(const wr_schema *schema, const wr_batch *batch, int row, wr_buf *out);

#endif
