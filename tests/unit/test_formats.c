/*
 * test_formats.c — the csv format, the filesystem source and the CSV file sink.
 *
 * The format is tested by decoding lines into a batch and encoding rows back;
 * the source by writing files under a temporary directory and driving the
 * operator directly, as the runtime would, with a collector that keeps a
 * copy of every emitted row (the harness of test_connectors.c).
 */
#include <criterion/criterion.h>

#include "harness.h"

#include "../../src/base/alloc.h"
#include "../../src/connectors/connector.h"
#include "../../src/connectors/filesystem.h"
#include "../../src/formats/csv.h"

#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- harness ------------------------------------------------------------- */

/*
 * Runs subtask `subtask` of a source to its end, into cap. Returns what
 * run() returned last (0 at the end); *skipped gets the lines it dropped.
 */
static int run_subtask(const wr_operator_spec *spec, int subtask, int parallelism, capture *cap,
                       int64_t *skipped, wr_error *err)
{
    wr_op_ctx ctx;
    wr_error_init(err);
    ctx_init(&ctx, subtask, parallelism, &cap->base);
    wr_operator *op = spec->ops->create(spec->spec, &ctx, err);
    cr_assert(op);
    int64_t start_rows = cap->rows;
    int rc = 0;
    for (int runs = 0;; runs++) {
        cr_assert(runs < 1000000, "source never ends");
        wr_source_status status;
        rc = spec->ops->run(op, &status, err);
        if (rc || status == WR_SOURCE_END) break;
        cr_assert_eq(status, WR_SOURCE_MORE);
    }
    if (rc == 0) cr_assert_eq(ctx.rows_out, cap->rows - start_rows);
    if (skipped) *skipped = wr_file_source_skipped(op);
    spec->ops->destroy(op);
    return rc;
}

static wr_str str_at(const wr_batch *batch, int col, int row)
{
    return ((const wr_str *)batch->cols[col].data)[row];
}

static void assert_str(const wr_batch *batch, int col, int row, const char *want)
{
    cr_assert(!wr_vector_is_null(&batch->cols[col], row), "column %d row %d is NULL", col, row);
    wr_str s = str_at(batch, col, row);
    cr_assert(s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0,
              "column %d row %d: got '%.*s', want '%s'", col, row, (int)s.len, s.ptr, want);
}

static int64_t i64_at(const wr_batch *batch, int col, int row)
{
    return ((const int64_t *)batch->cols[col].data)[row];
}

static int64_t ts(const char *text)
{
    int64_t us;
    cr_assert_eq(wr_timestamp_parse(text, strlen(text), &us), 0);
    return us;
}

/* ---- csv: decoding ------------------------------------------------------------ */

/* Decodes line with default options; asserts success. */
static void decode_ok(const wr_csv_options *o, const wr_schema *schema, const char *line,
                      wr_batch *batch)
{
    wr_error err;
    wr_error_init(&err);
    int before = batch->count;
    int rc = wr_csv_decode(o, schema, line, strlen(line), batch, &err);
    cr_assert_eq(rc, 0, "decoding '%s': %s", line, err.msg);
    cr_assert_eq(batch->count, before + 1);
}

/* Decodes line expecting an error with exactly this message; the batch must not change. */
static void decode_fails(const wr_csv_options *o, const wr_schema *schema, const char *line,
                         wr_batch *batch, const char *msg)
{
    wr_error err;
    wr_error_init(&err);
    int before = batch->count;
    int rc = wr_csv_decode(o, schema, line, strlen(line), batch, &err);
    cr_assert_eq(rc, WR_ERR_PARSE, "decoding '%s' should fail", line);
    cr_assert_str_eq(err.msg, msg, "decoding '%s'", line);
    cr_assert_eq(batch->count, before);
}

Test(csv, decodes_every_type)
{
    wr_type types[] = {
        wr_type_make(WR_TYPE_BOOLEAN, true),  wr_type_make(WR_TYPE_TINYINT, true),
        wr_type_make(WR_TYPE_SMALLINT, true), wr_type_make(WR_TYPE_INT, true),
        wr_type_make(WR_TYPE_BIGINT, true),   wr_type_make(WR_TYPE_FLOAT, true),
        wr_type_make(WR_TYPE_DOUBLE, true),   wr_type_make(WR_TYPE_CHAR, true),
        wr_type_make(WR_TYPE_VARCHAR, true),  wr_type_make(WR_TYPE_TIMESTAMP, true),
    };
    types[7].length = 3;
    wr_schema *schema = schema_of("b,t,s,i,l,f,d,c,v,ts", types);
    wr_batch *batch = wr_batch_new(types, 10, WR_BATCH_CAPACITY);
    wr_csv_options o;
    wr_csv_options_default(&o);
    decode_ok(&o, schema,
              "TRUE,-128,32767,-2147483648,9223372036854775807,1.5,-2.25E10,abc,hello world,"
              "2024-01-02 03:04:05.678",
              batch);
    decode_ok(&o, schema,
              "false,127,-32768,2147483647,-9223372036854775808, 0.1 ,1e-3,x, lead,"
              "2024-02-29T23:59:59",
              batch);
    decode_ok(&o, schema, "False,+5, 7 ,0,-0,-Infinity,NaN,,,2024-01-01 00:00", batch);
    cr_assert_eq(batch->count, 3);

    const uint8_t *b = batch->cols[0].data;
    cr_assert(b[0] == 1 && b[1] == 0 && b[2] == 0);
    const int8_t *t = batch->cols[1].data;
    cr_assert(t[0] == -128 && t[1] == 127 && t[2] == 5);
    const int16_t *s = batch->cols[2].data;
    cr_assert(s[0] == 32767 && s[1] == -32768 && s[2] == 7);
    const int32_t *i = batch->cols[3].data;
    cr_assert(i[0] == INT32_MIN && i[1] == INT32_MAX && i[2] == 0);
    cr_assert_eq(i64_at(batch, 4, 0), INT64_MAX);
    cr_assert_eq(i64_at(batch, 4, 1), INT64_MIN);
    cr_assert_eq(i64_at(batch, 4, 2), 0);
    const float *f = batch->cols[5].data;
    cr_assert(f[0] == 1.5f && f[1] == 0.1f && isinf(f[2]) && f[2] < 0);
    const double *d = batch->cols[6].data;
    cr_assert(d[0] == -2.25e10 && d[1] == 1e-3 && isnan(d[2]));
    assert_str(batch, 7, 0, "abc");
    assert_str(batch, 7, 1, "x");
    assert_str(batch, 8, 0, "hello world");
    assert_str(batch, 8, 1, " lead"); /* strings keep their blanks */
    assert_str(batch, 8, 2, "");      /* an empty string is not NULL */
    cr_assert(wr_vector_is_null(&batch->cols[7], 2) == false);
    /* TIMESTAMP(3): SQL and ISO forms. */
    cr_assert_eq(i64_at(batch, 9, 0), ts("2024-01-02 03:04:05.678"));
    cr_assert_eq(i64_at(batch, 9, 1), ts("2024-02-29 23:59:59"));
    cr_assert_eq(i64_at(batch, 9, 2), ts("2024-01-01 00:00:00"));
    for (int c = 0; c < 10; c++)
        for (int r = 0; r < 3; r++)
            if (!(c == 7 && r == 2) && !(c == 8 && r == 2))
                cr_assert(!wr_vector_is_null(&batch->cols[c], r));
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(csv, timestamp_truncated_to_precision)
{
    wr_type types[] = {wr_type_make(WR_TYPE_TIMESTAMP, true),
                       wr_type_make(WR_TYPE_TIMESTAMP, true)};
    types[0].length = 0;
    types[1].length = 6;
    wr_schema *schema = schema_of("a,b", types);
    wr_batch *batch = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    wr_csv_options o;
    wr_csv_options_default(&o);
    decode_ok(&o, schema, "2024-01-01 10:00:01.999999,1969-12-31 23:59:59.123456", batch);
    cr_assert_eq(i64_at(batch, 0, 0), ts("2024-01-01 10:00:01"));
    cr_assert_eq(i64_at(batch, 1, 0), ts("1969-12-31 23:59:59.123456"));
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(csv, integer_ranges_and_syntax)
{
    wr_type types[] = {wr_type_make(WR_TYPE_TINYINT, true), wr_type_make(WR_TYPE_BIGINT, true)};
    wr_schema *schema = schema_of("small,big", types);
    wr_batch *batch = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    wr_csv_options o;
    wr_csv_options_default(&o);
    decode_fails(&o, schema, "128,1", batch,
                 "field 'small' at offset 0: invalid TINYINT '128': out of range");
    decode_fails(&o, schema, "-129,1", batch,
                 "field 'small' at offset 0: invalid TINYINT '-129': out of range");
    decode_fails(&o, schema, "1,9223372036854775808", batch,
                 "field 'big' at offset 2: invalid BIGINT '9223372036854775808': out of range");
    decode_fails(&o, schema, "1,-9223372036854775809", batch,
                 "field 'big' at offset 2: invalid BIGINT '-9223372036854775809': out of range");
    decode_fails(&o, schema, "1,1.0", batch, "field 'big' at offset 2: invalid BIGINT '1.0'");
    decode_fails(&o, schema, "-,1", batch, "field 'small' at offset 0: invalid TINYINT '-'");
    decode_fails(&o, schema, "1,12 3", batch, "field 'big' at offset 2: invalid BIGINT '12 3'");
    decode_ok(&o, schema, "\t-128 ,\" 42\"", batch);
    cr_assert_eq(((int8_t *)batch->cols[0].data)[0], -128);
    cr_assert_eq(i64_at(batch, 1, 0), 42);
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(csv, quoting)
{
    wr_type types[] = {wr_type_make(WR_TYPE_VARCHAR, true), wr_type_make(WR_TYPE_VARCHAR, true),
                       wr_type_make(WR_TYPE_INT, true)};
    wr_schema *schema = schema_of("a,b,n", types);
    wr_batch *batch = wr_batch_new(types, 3, WR_BATCH_CAPACITY);
    wr_csv_options o;
    wr_csv_options_default(&o);
    decode_ok(&o, schema, "\"a,b\",\"say \"\"hi\"\"\",\"42\"", batch);
    assert_str(batch, 0, 0, "a,b");
    assert_str(batch, 1, 0, "say \"hi\"");
    cr_assert_eq(((int32_t *)batch->cols[2].data)[0], 42);
    /* Empty quoted string; a quote inside an unquoted field is an ordinary character. */
    decode_ok(&o, schema, "\"\",ab\"c\",7", batch);
    assert_str(batch, 0, 1, "");
    assert_str(batch, 1, 1, "ab\"c\"");
    /* A quoted field may hold a newline (a record of several lines), and only quotes. */
    decode_ok(&o, schema, "\"line1\nline2\",\"\"\"\"\"\",1", batch);
    assert_str(batch, 0, 2, "line1\nline2");
    assert_str(batch, 1, 2, "\"\"");
    decode_fails(&o, schema, "x,\"open,1", batch,
                 "field 'b' at offset 2: unterminated quoted field");
    decode_fails(&o, schema, "\"ab\"c,d,1", batch,
                 "field 'a' at offset 4: unexpected text after the closing quote of the field");
    cr_assert(wr_csv_unterminated(&o, "x,\"open,1", 9));
    cr_assert(!wr_csv_unterminated(&o, "x,\"closed\",1", 12));
    cr_assert(!wr_csv_unterminated(&o, "x,a\"b,1", 7));

    /* Other delimiter and quote; quoting disabled. */
    o.field_delimiter = ';';
    o.quote_character = '\'';
    decode_ok(&o, schema, "'a;b';'it''s';3", batch);
    assert_str(batch, 0, 3, "a;b");
    assert_str(batch, 1, 3, "it's");
    o.quote_character = '\0';
    decode_ok(&o, schema, "\"x\";'y';4", batch);
    assert_str(batch, 0, 4, "\"x\"");
    assert_str(batch, 1, 4, "'y'");
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(csv, empty_fields_and_null_literal)
{
    wr_type types[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_VARCHAR, true),
                       wr_type_make(WR_TYPE_DOUBLE, true), wr_type_make(WR_TYPE_BOOLEAN, true)};
    wr_schema *schema = schema_of("i,s,d,b", types);
    wr_batch *batch = wr_batch_new(types, 4, WR_BATCH_CAPACITY);
    wr_csv_options o;
    wr_csv_options_default(&o);
    decode_ok(&o, schema, ",,  ,", batch);
    cr_assert(wr_vector_is_null(&batch->cols[0], 0));
    assert_str(batch, 1, 0, "");
    cr_assert(wr_vector_is_null(&batch->cols[2], 0));
    cr_assert(wr_vector_is_null(&batch->cols[3], 0));
    decode_ok(&o, schema, "1,a,2.5,true", batch);
    for (int c = 0; c < 4; c++) cr_assert(!wr_vector_is_null(&batch->cols[c], 1));

    o.null_literal = "n/a";
    decode_ok(&o, schema, "n/a,n/a,n/a,n/a", batch);
    for (int c = 0; c < 4; c++) cr_assert(wr_vector_is_null(&batch->cols[c], 2), "col %d", c);
    /* Quoted, the literal is text: a valid string, an invalid DOUBLE. */
    decode_ok(&o, schema, "1,\"n/a\",,", batch);
    assert_str(batch, 1, 3, "n/a");
    decode_fails(&o, schema, "1,x,\"n/a\",", batch, "field 'd' at offset 4: invalid DOUBLE 'n/a'");
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(csv, not_null_columns)
{
    wr_type types[] = {wr_type_make(WR_TYPE_INT, false), wr_type_make(WR_TYPE_VARCHAR, false)};
    wr_schema *schema = schema_of("id,name", types);
    wr_batch *batch = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    wr_csv_options o;
    wr_csv_options_default(&o);
    decode_fails(&o, schema, ",x", batch,
                 "field 'id' at offset 0: NULL (an empty field) in a NOT NULL column");
    decode_ok(&o, schema, "1,", batch); /* the empty string is a value */
    o.null_literal = "NULL";
    decode_fails(&o, schema, "2,NULL", batch,
                 "field 'name' at offset 2: NULL (the null literal) in a NOT NULL column");
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(csv, error_messages_and_field_counts)
{
    wr_type types[] = {wr_type_make(WR_TYPE_VARCHAR, true), wr_type_make(WR_TYPE_BIGINT, true),
                       wr_type_make(WR_TYPE_BOOLEAN, true)};
    wr_schema *schema = schema_of("key,ts,flag", types);
    wr_batch *batch = wr_batch_new(types, 3, WR_BATCH_CAPACITY);
    wr_csv_options o;
    wr_csv_options_default(&o);
    decode_fails(&o, schema, "ab,x1,true", batch, "field 'ts' at offset 3: invalid BIGINT 'x1'");
    decode_fails(&o, schema, "ab,1,yes", batch, "field 'flag' at offset 5: invalid BOOLEAN 'yes'");
    decode_fails(&o, schema, "a,1,true,extra", batch, "expected 3 fields, found 4");
    decode_fails(&o, schema, "a,1,true,", batch, "expected 3 fields, found 4");
    decode_fails(&o, schema, "a,1", batch, "expected 3 fields, found 2");
    decode_fails(&o, schema, "", batch, "expected 3 fields, found 1");
    /* A wrong delimiter: the count explains it better than the bad value. */
    decode_fails(&o, schema, "a;1;true", batch, "expected 3 fields, found 1");
    decode_fails(&o, schema, "a,\"x,y\",1,2", batch, "expected 3 fields, found 4");
    /* Long bad text is cut in the message. */
    char line[300];
    memset(line, '9', sizeof(line));
    memcpy(line, "k,", 2);
    memcpy(line + 290, "x,true", 7);
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_csv_decode(&o, schema, line, strlen(line), batch, &err), WR_ERR_PARSE);
    cr_assert(strstr(err.msg, "field 'ts' at offset 2: invalid BIGINT '9999") != NULL, "%s",
              err.msg);
    cr_assert(strstr(err.msg, "...'") != NULL && strlen(err.msg) < 150, "%s", err.msg);
    cr_assert_eq(batch->count, 0);

    /* After failures (which may have touched the row's NULL bits) a good row decodes clean. */
    decode_fails(&o, schema, ",,maybe", batch, "field 'flag' at offset 2: invalid BOOLEAN 'maybe'");
    decode_ok(&o, schema, "k,5,false", batch);
    for (int c = 0; c < 3; c++) cr_assert(!wr_vector_is_null(&batch->cols[c], 0));
    cr_assert_eq(i64_at(batch, 1, 0), 5);
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(csv, comments)
{
    wr_type types[] = {wr_type_make(WR_TYPE_VARCHAR, true), wr_type_make(WR_TYPE_INT, true)};
    wr_schema *schema = schema_of("a,b", types);
    wr_batch *batch = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    wr_csv_options o;
    wr_csv_options_default(&o);
    wr_error err;
    wr_error_init(&err);
    decode_fails(&o, schema, "# a comment", batch, "expected 2 fields, found 1");
    o.allow_comments = true;
    cr_assert_eq(wr_csv_decode(&o, schema, "# a comment", 11, batch, &err), WR_CSV_SKIPPED);
    cr_assert_eq(batch->count, 0);
    decode_ok(&o, schema, "\"#x\",1", batch);
    assert_str(batch, 0, 0, "#x");
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(csv, options)
{
    wr_csv_options o;
    wr_error err;
    wr_config cfg;
    wr_error_init(&err);

    options_make(&cfg, NULL, 0);
    cr_assert_eq(wr_csv_options_read(&cfg, &o, &err), 0);
    cr_assert(o.field_delimiter == ',' && o.quote_character == '"' && !o.allow_comments &&
              !o.ignore_parse_errors && o.null_literal == NULL);
    wr_config_fini(&cfg);

    const char *good[] = {"csv.field-delimiter=\\t", "csv.quote-character='",
                          "csv.ignore-parse-errors=true", "csv.allow-comments=TRUE",
                          "csv.null-literal=\\N"};
    options_make(&cfg, good, 5);
    cr_assert_eq(wr_csv_options_read(&cfg, &o, &err), 0, "%s", err.msg);
    cr_assert(o.field_delimiter == '\t' && o.quote_character == '\'' && o.allow_comments &&
              o.ignore_parse_errors);
    cr_assert_str_eq(o.null_literal, "\\N");
    for (int i = 0; i < cfg.n; i++) cr_assert(cfg.entries[i].used);
    wr_config_fini(&cfg);

    const char *disable[] = {"csv.disable-quote-character=true", "csv.field-delimiter=|"};
    options_make(&cfg, disable, 2);
    cr_assert_eq(wr_csv_options_read(&cfg, &o, &err), 0, "%s", err.msg);
    cr_assert(o.quote_character == '\0' && o.field_delimiter == '|');
    wr_config_fini(&cfg);

    struct {
        const char *kv[2];
        int n;
        int offset;
        const char *msg;
    } bad[] = {
        {{"csv.field-delimiter=ab"},
         1,
         50,
         "invalid value 'ab' for option 'csv.field-delimiter': expected a single character"},
        {{"csv.allow-comments=yes"},
         1,
         50,
         "invalid value 'yes' for option 'csv.allow-comments': expected true or false"},
        {{"csv.quote-character=,"},
         1,
         50,
         "invalid value ',' for option 'csv.quote-character': the field delimiter and the quote "
         "character must differ"},
        {{"csv.quote-character=\"", "csv.disable-quote-character=true"},
         2,
         0,
         "options 'csv.quote-character' and 'csv.disable-quote-character' cannot be used "
         "together"},
        {{"csv.field-delimiter=\n"},
         1,
         50,
         "invalid value for option 'csv.field-delimiter': a line break cannot be used"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        options_make(&cfg, bad[i].kv, bad[i].n);
        wr_error_init(&err);
        cr_assert_eq(wr_csv_options_read(&cfg, &o, &err), WR_ERR_VALIDATION, "case %zu", i);
        cr_assert_str_eq(err.msg, bad[i].msg);
        cr_assert_eq(err.offset, bad[i].offset, "case %zu: offset %d", i, err.offset);
        wr_config_fini(&cfg);
    }
}

/* ---- csv: encoding ------------------------------------------------------------ */

static char *encode_row(const wr_csv_options *o, const wr_batch *batch, int row)
{
    wr_buf out;
    wr_buf_init(&out);
    wr_csv_encode(o, batch, row, &out);
    return wr_buf_detach(&out);
}

Test(csv, encodes)
{
    wr_type types[] = {
        wr_type_make(WR_TYPE_BOOLEAN, true), wr_type_make(WR_TYPE_INT, true),
        wr_type_make(WR_TYPE_DOUBLE, true),  wr_type_make(WR_TYPE_FLOAT, true),
        wr_type_make(WR_TYPE_VARCHAR, true), wr_type_make(WR_TYPE_TIMESTAMP, true),
    };
    wr_batch *batch = wr_batch_new(types, 6, WR_BATCH_CAPACITY);
    const char *strs[] = {"plain", "a,b", "say \"hi\"", " lead", "two\nlines", "", "#x"};
    for (int r = 0; r < 7; r++) {
        ((uint8_t *)batch->cols[0].data)[r] = r & 1;
        ((int32_t *)batch->cols[1].data)[r] = r == 1 ? INT32_MIN : r * 10;
        ((double *)batch->cols[2].data)[r] = r == 0 ? 1.0 : r == 1 ? 1e10 : 0.1 * r;
        ((float *)batch->cols[3].data)[r] = 1.1f;
        ((wr_str *)batch->cols[4].data)[r] = wr_batch_str(batch, strs[r], strlen(strs[r]));
        ((int64_t *)batch->cols[5].data)[r] =
            r == 0 ? ts("2024-01-02 03:04:05") : ts("2024-01-02 03:04:05.5");
    }
    batch->count = 7;
    wr_csv_options o;
    wr_csv_options_default(&o);
    const char *want[] = {
        "false,0,1.0,1.1,plain,2024-01-02 03:04:05",
        "true,-2147483648,1.0E10,1.1,\"a,b\",2024-01-02 03:04:05.5",
        "false,20,0.2,1.1,\"say \"\"hi\"\"\",2024-01-02 03:04:05.5",
        "true,30,0.30000000000000004,1.1,\" lead\",2024-01-02 03:04:05.5",
        "false,40,0.4,1.1,\"two\nlines\",2024-01-02 03:04:05.5",
        "true,50,0.5,1.1,,2024-01-02 03:04:05.5",
        "false,60,0.6000000000000001,1.1,#x,2024-01-02 03:04:05.5",
    };
    for (int r = 0; r < 7; r++) {
        char *text = encode_row(&o, batch, r);
        cr_assert_str_eq(text, want[r]);
        wr_free(text);
    }
    /* NULL is empty, or the null literal; a string equal to the literal is quoted. */
    for (int c = 0; c < 6; c++) wr_batch_set_null(batch, c, 0);
    char *text = encode_row(&o, batch, 0);
    cr_assert_str_eq(text, ",,,,,");
    wr_free(text);
    o.null_literal = "null";
    o.field_delimiter = '|';
    ((wr_str *)batch->cols[4].data)[1] = wr_batch_str(batch, "null", 4);
    text = encode_row(&o, batch, 0);
    cr_assert_str_eq(text, "null|null|null|null|null|null");
    wr_free(text);
    text = encode_row(&o, batch, 1);
    cr_assert_str_eq(text, "true|-2147483648|1.0E10|1.1|\"null\"|2024-01-02 03:04:05.5");
    wr_free(text);
    wr_batch_free(batch);
}

Test(csv, encode_decode_round_trip)
{
    wr_type types[] = {
        wr_type_make(WR_TYPE_BOOLEAN, true),   wr_type_make(WR_TYPE_TINYINT, true),
        wr_type_make(WR_TYPE_SMALLINT, true),  wr_type_make(WR_TYPE_INT, true),
        wr_type_make(WR_TYPE_BIGINT, true),    wr_type_make(WR_TYPE_FLOAT, true),
        wr_type_make(WR_TYPE_DOUBLE, true),    wr_type_make(WR_TYPE_VARCHAR, true),
        wr_type_make(WR_TYPE_TIMESTAMP, true),
    };
    types[8].length = 6;
    wr_schema *schema = schema_of("b,t,s,i,l,f,d,v,ts", types);
    wr_batch *in = wr_batch_new(types, 9, WR_BATCH_CAPACITY);
    const char *strs[] = {"", "x", "a,b", "\"q\"", " pad ", "multi\r\nline", "#c", "é ü", "null"};
    uint64_t seed = 42;
    int n = 500;
    for (int r = 0; r < n; r++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t x = (int64_t)seed;
        ((uint8_t *)in->cols[0].data)[r] = (uint8_t)(x & 1);
        ((int8_t *)in->cols[1].data)[r] = (int8_t)x;
        ((int16_t *)in->cols[2].data)[r] = (int16_t)x;
        ((int32_t *)in->cols[3].data)[r] = (int32_t)x;
        ((int64_t *)in->cols[4].data)[r] = r == 0 ? INT64_MIN : x;
        ((float *)in->cols[5].data)[r] = (float)x / 3.0f;
        ((double *)in->cols[6].data)[r] = r == 1 ? 5e-324 : (double)x / 7.0;
        const char *s = strs[r % 9];
        ((wr_str *)in->cols[7].data)[r] = wr_batch_str(in, s, strlen(s));
        ((int64_t *)in->cols[8].data)[r] = (x % 4102444800000000LL); /* around 1900..2100 */
        if (r % 7 == 3) wr_batch_set_null(in, r % 9, r);
    }
    in->count = n;
    for (int variant = 0; variant < 2; variant++) {
        wr_csv_options o;
        wr_csv_options_default(&o);
        if (variant) {
            o.null_literal = "null";
            o.allow_comments = true;
            o.field_delimiter = '\t';
        }
        wr_batch *out = wr_batch_new(types, 9, WR_BATCH_CAPACITY);
        wr_buf line;
        wr_buf_init(&line);
        for (int r = 0; r < n; r++) {
            wr_buf_reset(&line);
            wr_csv_encode(&o, in, r, &line);
            decode_ok(&o, schema, line.data, out);
        }
        wr_buf_fini(&line);
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < 9; c++) {
                bool null_in = wr_vector_is_null(&in->cols[c], r);
                /* Without a null literal a NULL string reads back as the empty string. */
                if (c == 7 && null_in && !variant) {
                    assert_str(out, 7, r, "");
                    continue;
                }
                cr_assert_eq(wr_vector_is_null(&out->cols[c], r), null_in, "row %d col %d", r, c);
                if (null_in) continue;
                size_t w = wr_type_width(types[c].id);
                if (c == 7) {
                    wr_str s = str_at(in, 7, r);
                    cr_assert(s.len == str_at(out, 7, r).len &&
                                  memcmp(s.ptr, str_at(out, 7, r).ptr, s.len) == 0,
                              "row %d", r);
                } else {
                    cr_assert(memcmp((char *)in->cols[c].data + (size_t)r * w,
                                     (char *)out->cols[c].data + (size_t)r * w, w) == 0,
                              "row %d col %d differs", r, c);
                }
            }
        }
        wr_batch_free(out);
    }
    wr_batch_free(in);
    wr_schema_free(schema);
}

/* ---- filesystem source ------------------------------------------------------------ */

typedef struct seen {
    int n;
    int *count;
} seen;

static void count_id(const wr_batch *batch, int row, void *arg)
{
    seen *s = arg;
    int64_t id = i64_at(batch, 0, row);
    cr_assert(id >= 0 && id < s->n, "id %lld out of range", (long long)id);
    s->count[id]++;
    char want[32];
    snprintf(want, sizeof(want), "k%lld", (long long)id);
    assert_str(batch, 1, row, want);
}

Test(filesystem, directory_split_over_subtasks, .init = tmp_init, .fini = tmp_fini)
{
    /* 5 visible files of 300 rows each; hidden, in-progress and nested files are not read. */
    wr_buf text;
    wr_buf_init(&text);
    for (int f = 0; f < 5; f++) {
        wr_buf_reset(&text);
        for (int i = 0; i < 300; i++) wr_buf_printf(&text, "%d,k%d\n", f * 300 + i, f * 300 + i);
        char name[32];
        snprintf(name, sizeof(name), "part-%d.csv", f);
        tmp_file(name, text.data);
    }
    wr_buf_fini(&text);
    tmp_file(".hidden", "bad\n");
    tmp_file("_SUCCESS", "bad\n");
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/nested", tmp_dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    tmp_file("nested/more.csv", "bad\n");

    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("id,key", types);
    char path[128];
    snprintf(path, sizeof(path), "path=%s", tmp_dir);
    const char *kv[] = {"connector=filesystem", path, "format=csv"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("filesystem", schema, kv, 3, &spec, &err), 0, "%s", err.msg);
    cr_assert(spec.bounded);
    cr_assert_eq(spec.parallelism, -1);

    seen sn = {1500, calloc(1500, sizeof(int))};
    int64_t rows[2];
    for (int s = 0; s < 2; s++) {
        capture cap;
        capture_init(&cap);
        cr_assert_eq(run_subtask(&spec, s, 2, &cap, NULL, &err), 0, "%s", err.msg);
        rows[s] = cap.rows;
        capture_each(&cap, count_id, &sn);
        capture_fini(&cap);
    }
    /* Files 0, 2, 4 to subtask 0; 1, 3 to subtask 1. */
    cr_assert_eq(rows[0], 900);
    cr_assert_eq(rows[1], 600);
    for (int i = 0; i < 1500; i++)
        cr_assert_eq(sn.count[i], 1, "id %d read %d times", i, sn.count[i]);
    free(sn.count);

    /* More subtasks than files: the extra ones end at once. */
    capture cap;
    capture_init(&cap);
    cr_assert_eq(run_subtask(&spec, 7, 8, &cap, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, 0);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(filesystem, raw_format_crlf_and_last_line, .init = tmp_init, .fini = tmp_fini)
{
    const char *path = tmp_file("lines.txt", "first line\r\n\r\n  a, \"b\"  \nno newline at end");
    wr_type type = wr_type_make(WR_TYPE_VARCHAR, true);
    wr_schema *schema = schema_of("line", &type);
    char p[160];
    snprintf(p, sizeof(p), "path=%s", path);
    const char *kv[] = {"connector=filesystem", p, "format=raw"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("filesystem", schema, kv, 3, &spec, &err), 0, "%s", err.msg);
    capture cap;
    capture_init(&cap);
    cr_assert_eq(run_subtask(&spec, 0, 1, &cap, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, 4);
    const wr_batch *b = cap.batches[0];
    assert_str(b, 0, 0, "first line");
    assert_str(b, 0, 1, "");
    assert_str(b, 0, 2, "  a, \"b\"  ");
    assert_str(b, 0, 3, "no newline at end");
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

/* Plans a csv scan of one file with (id BIGINT, key STRING) and extra options. */
static void plan_csv_file(const char *path, const char *const *extra, int nextra,
                          wr_schema **schema, wr_operator_spec *spec)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    *schema = schema_of("id,key", types);
    char p[200];
    snprintf(p, sizeof(p), "path=%s", path);
    const char *kv[8] = {"connector=filesystem", p, "format=csv"};
    for (int i = 0; i < nextra; i++) kv[3 + i] = extra[i];
    wr_error err;
    cr_assert_eq(plan_source("filesystem", *schema, kv, 3 + nextra, spec, &err), 0, "%s", err.msg);
}

Test(filesystem, csv_crlf_no_final_newline, .init = tmp_init, .fini = tmp_fini)
{
    const char *path = tmp_file("in.csv", "0,k0\r\n1,\"k1\"\r\n2,k2");
    wr_schema *schema;
    wr_operator_spec spec;
    plan_csv_file(path, NULL, 0, &schema, &spec);
    capture cap;
    capture_init(&cap);
    wr_error err;
    cr_assert_eq(run_subtask(&spec, 0, 1, &cap, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, 3);
    seen sn = {3, calloc(3, sizeof(int))};
    capture_each(&cap, count_id, &sn);
    free(sn.count);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(filesystem, quoted_newlines_and_comments, .init = tmp_init, .fini = tmp_fini)
{
    const char *path =
        tmp_file("in.csv", "# header comment\n1,\"two\nlines\"\n2,\"three\r\n\n\"\"lines\"\"\"\n"
                           "#another\n3,x\n");
    wr_schema *schema;
    wr_operator_spec spec;
    const char *extra[] = {"csv.allow-comments=true"};
    plan_csv_file(path, extra, 1, &schema, &spec);
    capture cap;
    capture_init(&cap);
    wr_error err;
    cr_assert_eq(run_subtask(&spec, 0, 1, &cap, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, 3);
    const wr_batch *b = cap.batches[0];
    assert_str(b, 1, 0, "two\nlines");
    assert_str(b, 1, 1, "three\r\n\n\"lines\"");
    assert_str(b, 1, 2, "x");
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(filesystem, bad_line_fails_with_file_and_line, .init = tmp_init, .fini = tmp_fini)
{
    /* Line 4 is bad; line 2's quoted field spans lines 2-3. */
    const char *path = tmp_file("in.csv", "1,a\n2,\"b\nc\"\nx1,d\n4,e\n");
    char want[300];
    snprintf(want, sizeof(want), "file '%s', line 4: field 'id' at offset 0: invalid BIGINT 'x1'",
             path);
    wr_schema *schema;
    wr_operator_spec spec;
    plan_csv_file(path, NULL, 0, &schema, &spec);
    capture cap;
    capture_init(&cap);
    wr_error err;
    cr_assert_eq(run_subtask(&spec, 0, 1, &cap, NULL, &err), WR_ERR_RUNTIME);
    cr_assert_str_eq(err.msg, want);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);

    /* An unterminated quote at the end of the file names the line where the record starts. */
    path = tmp_file("open.csv", "1,a\n2,\"never\nclosed\n");
    snprintf(want, sizeof(want),
             "file '%s', line 2: field 'key' at offset 2: unterminated quoted field", path);
    plan_csv_file(path, NULL, 0, &schema, &spec);
    capture_init(&cap);
    cr_assert_eq(run_subtask(&spec, 0, 1, &cap, NULL, &err), WR_ERR_RUNTIME);
    cr_assert_str_eq(err.msg, want);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(filesystem, ignore_parse_errors_skips_and_counts, .init = tmp_init, .fini = tmp_fini)
{
    const char *path = tmp_file("in.csv", "0,k0\nbad\n1,k1\nx,k\n2,k2,extra\n2,k2\n");
    wr_schema *schema;
    wr_operator_spec spec;
    const char *extra[] = {"csv.ignore-parse-errors=true"};
    plan_csv_file(path, extra, 1, &schema, &spec);
    capture cap;
    capture_init(&cap);
    wr_error err;
    int64_t skipped = -1;
    cr_assert_eq(run_subtask(&spec, 0, 1, &cap, &skipped, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, 3);
    cr_assert_eq(skipped, 3);
    seen sn = {3, calloc(3, sizeof(int))};
    capture_each(&cap, count_id, &sn);
    for (int i = 0; i < 3; i++) cr_assert_eq(sn.count[i], 1);
    free(sn.count);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(filesystem, large_file_spans_reads, .init = tmp_init, .fini = tmp_fini)
{
    /* About 3.5 MB: lines cross the 1 MiB read boundaries; one very long line grows the buffer. */
    int n = 200000;
    wr_buf text;
    wr_buf_init(&text);
    for (int i = 0; i < n; i++) {
        if (i == 1000) {
            wr_buf_printf(&text, "%d,", i);
            for (int k = 0; k < (3 << 20); k++) wr_buf_putc(&text, 'z');
            wr_buf_putc(&text, '\n');
            continue;
        }
        wr_buf_printf(&text, "%d,k%d\n", i, i);
    }
    const char *path = tmp_file("big.csv", text.data);
    wr_buf_fini(&text);
    wr_schema *schema;
    wr_operator_spec spec;
    plan_csv_file(path, NULL, 0, &schema, &spec);
    capture cap;
    capture_init(&cap);
    wr_error err;
    cr_assert_eq(run_subtask(&spec, 0, 1, &cap, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, n);
    int64_t expect = 0, sum = 0;
    for (int b = 0; b < cap.nbatches; b++) {
        cr_assert(cap.batches[b]->count <= WR_BATCH_CAPACITY);
        for (int r = 0; r < cap.batches[b]->count; r++) {
            int64_t id = i64_at(cap.batches[b], 0, r);
            cr_assert_eq(id, expect, "rows out of order");
            sum += id;
            expect++;
            if (id == 1000) cr_assert_eq(str_at(cap.batches[b], 1, r).len, 3u << 20);
        }
    }
    cr_assert_eq(sum, (int64_t)n * (n - 1) / 2);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(filesystem, quoted_fields_across_reads, .init = tmp_init, .fini = tmp_fini)
{
    /* Every record spans three lines and holds doubled quotes; about 2.4 MB, so some straddle
     * the 1 MiB reads. The bad last line is numbered as in the file. */
    int n = 100000;
    wr_buf text;
    wr_buf_init(&text);
    for (int i = 0; i < n; i++) wr_buf_printf(&text, "%d,\"k%d\n\"\"q\"\"\r\nz\"\r\n", i, i);
    wr_buf_puts(&text, "oops,x\n");
    const char *path = tmp_file("multi.csv", text.data);
    wr_buf_fini(&text);
    wr_schema *schema;
    wr_operator_spec spec;
    plan_csv_file(path, NULL, 0, &schema, &spec);
    capture cap;
    capture_init(&cap);
    wr_error err;
    cr_assert_eq(run_subtask(&spec, 0, 1, &cap, NULL, &err), WR_ERR_RUNTIME);
    char want[300];
    snprintf(want, sizeof(want),
             "file '%s', line %d: field 'id' at offset 0: invalid BIGINT 'oops'", path, 3 * n + 1);
    cr_assert_str_eq(err.msg, want);
    /* Rows before the failing batch were emitted, each intact. */
    cr_assert(cap.rows > n / 2);
    int64_t expect = 0;
    for (int b = 0; b < cap.nbatches; b++) {
        for (int r = 0; r < cap.batches[b]->count; r++, expect++) {
            cr_assert_eq(i64_at(cap.batches[b], 0, r), expect);
            char key[64];
            snprintf(key, sizeof(key), "k%lld\n\"q\"\r\nz", (long long)expect);
            assert_str(cap.batches[b], 1, r, key);
        }
    }
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);

    /* A stray quote runs to the end of the input: one bad record, read in one pass. */
    wr_buf_init(&text);
    wr_buf_puts(&text, "1,\"stray\n");
    for (int i = 0; i < n; i++) wr_buf_printf(&text, "%d,k%d\n", i, i);
    path = tmp_file("stray.csv", text.data);
    wr_buf_fini(&text);
    wr_schema_free(schema);
    const char *extra[] = {"csv.ignore-parse-errors=true"};
    plan_csv_file(path, extra, 1, &schema, &spec);
    capture_init(&cap);
    int64_t skipped;
    cr_assert_eq(run_subtask(&spec, 0, 1, &cap, &skipped, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, 0);
    cr_assert_eq(skipped, 1);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(filesystem, standard_input, .init = tmp_init, .fini = tmp_fini)
{
    const char *path = tmp_file("stdin.csv", "0,k0\n1,k1\n");
    int fd = open(path, O_RDONLY);
    cr_assert(fd >= 0);
    int saved = dup(STDIN_FILENO);
    cr_assert(dup2(fd, STDIN_FILENO) >= 0);
    close(fd);
    wr_schema *schema;
    wr_operator_spec spec;
    plan_csv_file("-", NULL, 0, &schema, &spec);
    capture cap;
    capture_init(&cap);
    wr_error err;
    /* Only subtask 0 reads standard input. */
    cr_assert_eq(run_subtask(&spec, 1, 2, &cap, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, 0);
    cr_assert_eq(run_subtask(&spec, 0, 2, &cap, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(cap.rows, 2);
    dup2(saved, STDIN_FILENO);
    close(saved);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(filesystem, option_errors, .init = tmp_init, .fini = tmp_fini)
{
    const char *file = tmp_file("in.csv", "1,a\n");
    char path[160], missing[160];
    snprintf(path, sizeof(path), "path=%s", file);
    snprintf(missing, sizeof(missing), "path=%s/nope.csv", tmp_dir);
    char missing_msg[200];
    snprintf(missing_msg, sizeof(missing_msg), "no such file or directory: '%s/nope.csv'", tmp_dir);
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("id,key", types);
    struct {
        const char *kv[4];
        int n;
        int offset;
        const char *msg; /* a prefix of the message */
    } cases[] = {
        {{"connector=filesystem", "format=csv"},
         2,
         50,
         "option 'path' is required for connector 'filesystem'"},
        {{"connector=filesystem", path},
         2,
         50,
         "option 'format' is required for connector 'filesystem'"},
        {{"connector=filesystem", missing, "format=csv"}, 3, 150, missing_msg},
        {{"connector=filesystem", "path=", "format=csv"},
         3,
         150,
         "invalid value '' for option 'path'"},
        {{"connector=filesystem", path, "format=parquet"},
         3,
         250,
         "invalid value 'parquet' for option 'format': expected 'csv', 'raw', 'json'"},
        {{"connector=filesystem", path, "format=csv", "csv.delimiter=;"},
         4,
         300,
         "unsupported option 'csv.delimiter' for connector 'filesystem'; supported options: "
         "connector, path, format, csv.field-delimiter"},
        {{"connector=filesystem", path, "format=raw", "csv.allow-comments=true"},
         4,
         300,
         "unsupported option 'csv.allow-comments' for connector 'filesystem'; supported "
         "options: connector, path, format"},
        {{"connector=filesystem", path, "format=raw"},
         3,
         250,
         "format 'raw' needs exactly one column of type STRING or VARCHAR; the table has 2 "
         "columns"},
        {{"connector=filesystem", path, "format=csv", "csv.field-delimiter=::"},
         4,
         350,
         "invalid value '::' for option 'csv.field-delimiter'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wr_operator_spec spec;
        wr_error err;
        int rc = plan_source("filesystem", schema, cases[i].kv, cases[i].n, &spec, &err);
        cr_assert_eq(rc, WR_ERR_VALIDATION, "case %zu", i);
        cr_assert(strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) == 0, "case %zu: got '%s'",
                  i, err.msg);
        cr_assert_eq(err.offset, cases[i].offset, "case %zu: offset %d", i, err.offset);
    }
    /* Standard input needs no file; planning twice works (used flags already set). */
    const char *stdin_kv[] = {"connector=filesystem", "path=-", "format=csv"};
    wr_operator_spec spec;
    wr_error err;
    cr_assert_eq(plan_source("filesystem", schema, stdin_kv, 3, &spec, &err), 0, "%s", err.msg);
    wr_operator_spec_fini(&spec);
    cr_assert_not_null(wr_connector_find("filesystem")->make_sink);
    wr_schema_free(schema);
}

Test(filesystem, c_api_source, .init = tmp_init, .fini = tmp_fini)
{
    tmp_file("a.txt", "0|k0\n");
    tmp_file("b.txt", "1|'k1'\n");
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("id,key", types);
    wr_csv_options o;
    wr_csv_options_default(&o);
    o.field_delimiter = '|';
    o.quote_character = '\'';
    wr_operator_spec spec;
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(wr_file_source_spec(tmp_dir, "csv", schema, &o, &spec, &err), 0, "%s", err.msg);
    capture cap;
    capture_init(&cap);
    cr_assert_eq(run_subtask(&spec, 0, 1, &cap, NULL, &err), 0, "%s", err.msg);
    seen sn = {2, calloc(2, sizeof(int))};
    capture_each(&cap, count_id, &sn);
    cr_assert(sn.count[0] == 1 && sn.count[1] == 1);
    free(sn.count);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);

    cr_assert_eq(wr_file_source_spec(tmp_dir, "avro", schema, NULL, &spec, &err), WR_ERR_ARGUMENT);
    cr_assert_str_eq(err.msg, "unknown format 'avro': expected 'csv', 'raw' or 'json'");
    cr_assert_eq(wr_file_source_spec("/nonexistent/x", "csv", schema, NULL, &spec, &err),
                 WR_ERR_ARGUMENT);
    cr_assert_str_eq(err.msg, "no such file or directory: '/nonexistent/x'");
    cr_assert_eq(wr_file_source_spec(tmp_dir, "raw", schema, NULL, &spec, &err), WR_ERR_ARGUMENT);
    wr_schema_free(schema);
}

/* ---- CSV file sink ---------------------------------------------------------------- */

Test(csv_sink, writes_a_file, .init = tmp_init, .fini = tmp_fini)
{
    wr_type types[] = {wr_type_make(WR_TYPE_INT, true), wr_type_make(WR_TYPE_VARCHAR, true),
                       wr_type_make(WR_TYPE_DOUBLE, true)};
    wr_schema *schema = schema_of("a,b,c", types);
    char path[160];
    snprintf(path, sizeof(path), "%s/out.csv", tmp_dir);
    tmp_file("out.csv", "old contents that must go away\n");
    wr_operator_spec spec = wr_csv_file_sink_spec(path, schema);
    cr_assert_eq(spec.parallelism, 1);

    wr_batch *batch = wr_batch_new(types, 3, WR_BATCH_CAPACITY);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_eq(spec.ops->open(op, &err), 0, "%s", err.msg);
    /* 100 batches of 1024 rows (about 2 MB: several flushes); every third row filtered out. */
    wr_buf want;
    wr_buf_init(&want);
    int64_t id = 0;
    for (int b = 0; b < 100; b++) {
        wr_batch_reset(batch);
        uint32_t *sel = wr_batch_sel_buffer(batch);
        int nsel = 0;
        for (int r = 0; r < WR_BATCH_CAPACITY; r++, id++) {
            ((int32_t *)batch->cols[0].data)[r] = (int32_t)id;
            ((wr_str *)batch->cols[1].data)[r] =
                wr_batch_str(batch, id % 2 ? "x,y" : "z", id % 2 ? 3 : 1);
            ((double *)batch->cols[2].data)[r] = (double)id / 2;
            if (id % 5 == 0) wr_batch_set_null(batch, 2, r);
            if (r % 3 == 2) continue;
            sel[nsel++] = (uint32_t)r;
            wr_buf_printf(&want, "%lld,%s,", (long long)id, id % 2 ? "\"x,y\"" : "z");
            if (id % 5) wr_double_format_java((double)id / 2, false, &want);
            wr_buf_putc(&want, '\n');
        }
        batch->count = WR_BATCH_CAPACITY;
        batch->sel = sel;
        batch->nsel = nsel;
        cr_assert_eq(spec.ops->process(op, 0, batch, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(spec.ops->end_input(op, 0, &err), 0, "%s", err.msg);
    char *text = read_text(path);
    cr_assert(strcmp(text, want.data) == 0, "file differs (%zu vs %zu bytes)", strlen(text),
              want.len);
    free(text);

    /* Only inserts: a retraction fails the job. */
    wr_batch_reset(batch);
    ((int32_t *)batch->cols[0].data)[0] = 1;
    ((wr_str *)batch->cols[1].data)[0] = wr_batch_str(batch, "", 0);
    ((double *)batch->cols[2].data)[0] = 1;
    wr_batch_kinds(batch)[0] = WR_KIND_DELETE;
    batch->count = 1;
    cr_assert_eq(spec.ops->process(op, 0, batch, &err), WR_ERR_RUNTIME);
    cr_assert(strstr(err.msg, "accepts only inserts, got a -D row"), "%s", err.msg);
    spec.ops->destroy(op);
    wr_buf_fini(&want);
    wr_batch_free(batch);
    wr_operator_spec_fini(&spec);

    /* A directory that does not exist fails at open. */
    spec = wr_csv_file_sink_spec("/nonexistent/dir/out.csv", schema);
    op = spec.ops->create(spec.spec, &ctx, &err);
    cr_assert_eq(spec.ops->open(op, &err), WR_ERR_IO);
    cr_assert(strstr(err.msg, "cannot open '/nonexistent/dir/out.csv'"), "%s", err.msg);
    spec.ops->destroy(op);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}

Test(csv_sink, file_round_trips_through_the_source, .init = tmp_init, .fini = tmp_fini)
{
    wr_type types[] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_schema *schema = schema_of("id,key", types);
    char path[160];
    snprintf(path, sizeof(path), "%s/rt.csv", tmp_dir);
    wr_operator_spec sink = wr_csv_file_sink_spec(path, schema);
    wr_op_ctx ctx;
    ctx_init(&ctx, 0, 1, NULL);
    wr_error err;
    wr_error_init(&err);
    wr_operator *op = sink.ops->create(sink.spec, &ctx, &err);
    cr_assert_eq(sink.ops->open(op, &err), 0, "%s", err.msg);
    wr_batch *batch = wr_batch_new(types, 2, WR_BATCH_CAPACITY);
    for (int r = 0; r < 3; r++) {
        ((int64_t *)batch->cols[0].data)[r] = r;
        char key[16];
        snprintf(key, sizeof(key), "k%d", r);
        ((wr_str *)batch->cols[1].data)[r] = wr_batch_str(batch, key, strlen(key));
    }
    batch->count = 3;
    cr_assert_eq(sink.ops->process(op, 0, batch, &err), 0, "%s", err.msg);
    sink.ops->destroy(op); /* flushes what is buffered even without end_input */
    wr_batch_free(batch);
    wr_operator_spec_fini(&sink);

    wr_operator_spec spec;
    cr_assert_eq(wr_file_source_spec(path, "csv", schema, NULL, &spec, &err), 0, "%s", err.msg);
    capture cap;
    capture_init(&cap);
    cr_assert_eq(run_subtask(&spec, 0, 1, &cap, NULL, &err), 0, "%s", err.msg);
    seen sn = {3, calloc(3, sizeof(int))};
    capture_each(&cap, count_id, &sn);
    cr_assert_eq(cap.rows, 3);
    free(sn.count);
    capture_fini(&cap);
    wr_operator_spec_fini(&spec);
    wr_schema_free(schema);
}
