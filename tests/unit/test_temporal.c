/*
 * test_temporal.c — DATE, TIME, TIMESTAMP_LTZ, intervals and byte strings:
 * their text forms (SQL and print sink), casts and assignment rules, the
 * interval literals, the time functions bound through the registry, and the
 * csv and json formats reading and writing the new types.
 */
#include "../../src/base/alloc.h"
#include "../../src/expr/functions.h"
#include "../../src/formats/csv.h"
#include "../../src/formats/json.h"
#include "../../src/sql/typing.h"
#include "../../src/types/decimal.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The text of row 0 of a one-slot vector of type t holding *value. */
static const char *render(wr_type t, const void *value, wr_format_style style, char *buf)
{
    wr_vector v = {t, (void *)value, NULL, NULL, NULL};
    wr_buf b;
    wr_buf_init(&b);
    wr_vector_format(&v, 0, style, &b);
    snprintf(buf, 96, "%s", b.data);
    wr_buf_fini(&b);
    return buf;
}

Test(temporal, dates_parse_and_print)
{
    int32_t d;
    char b[96];
    cr_assert_eq(wr_date_parse("2024-02-29", 10, &d), 0);
    cr_assert_eq(d, 19782);
    cr_assert_eq(wr_date_parse(" 1970-1-1 ", 10, &d), 0);
    cr_assert_eq(d, 0);
    cr_assert_eq(wr_date_parse("1969-12-31", 10, &d), 0);
    cr_assert_eq(d, -1);
    const char *bad[] = {
        "2023-02-29", "2024-13-01", "2024-00-10", "24-01-01", "2024-01-01x", "2024/01/01", ""};
    for (size_t i = 0; i < WR_ARRAY_LEN(bad); i++)
        cr_assert_eq(wr_date_parse(bad[i], strlen(bad[i]), &d), -1, "'%s'", bad[i]);
    d = 19782;
    cr_assert_str_eq(render(wr_type_make(WR_TYPE_DATE, true), &d, WR_FORMAT_SQL, b), "2024-02-29");
    cr_assert_str_eq(render(wr_type_make(WR_TYPE_DATE, true), &d, WR_FORMAT_PRINT, b),
                     "2024-02-29");
}

Test(temporal, times_parse_and_print_in_both_styles)
{
    int32_t ms;
    char b[96];
    cr_assert_eq(wr_time_parse("12:34:56.789123", 15, &ms), 0);
    cr_assert_eq(ms, ((12 * 60 + 34) * 60 + 56) * 1000 + 789);
    cr_assert_eq(wr_time_parse("7:05", 4, &ms), 0);
    cr_assert_eq(ms, (7 * 60 + 5) * 60000);
    cr_assert_eq(wr_time_parse("24:00:00", 8, &ms), -1);
    cr_assert_eq(wr_time_parse("12:60", 5, &ms), -1);
    cr_assert_eq(wr_time_parse("12:00:00.", 9, &ms), -1);
    wr_type t3 = wr_type_make(WR_TYPE_TIME, true), t0 = t3;
    t3.length = 3;
    ms = ((12 * 60) * 60 + 1) * 1000 + 500;
    cr_assert_str_eq(render(t3, &ms, WR_FORMAT_SQL, b), "12:00:01.500");
    cr_assert_str_eq(render(t0, &ms, WR_FORMAT_SQL, b), "12:00:01");
    cr_assert_str_eq(render(t3, &ms, WR_FORMAT_PRINT, b), "12:00:01.500");
    ms = 12 * 3600 * 1000;
    cr_assert_str_eq(render(t0, &ms, WR_FORMAT_PRINT, b), "12:00"); /* LocalTime.toString */
}

Test(temporal, instants_intervals_and_bytes_print_like_flink)
{
    char b[96];
    int64_t us = 1704103200000000LL; /* 2024-01-01 10:00:00 UTC */
    wr_type ltz = wr_type_make(WR_TYPE_TIMESTAMP_LTZ, true);
    ltz.length = 3;
    cr_assert_str_eq(render(ltz, &us, WR_FORMAT_SQL, b), "2024-01-01 10:00:00.000");
    cr_assert_str_eq(render(ltz, &us, WR_FORMAT_PRINT, b), "2024-01-01T10:00:00Z");
    us += 500000;
    cr_assert_str_eq(render(ltz, &us, WR_FORMAT_PRINT, b), "2024-01-01T10:00:00.500Z");

    wr_type ym = wr_type_make(WR_TYPE_INTERVAL_YM, true),
            dt = wr_type_make(WR_TYPE_INTERVAL_DT, true);
    int32_t months = 14;
    cr_assert_str_eq(render(ym, &months, WR_FORMAT_SQL, b), "+1-02");
    cr_assert_str_eq(render(ym, &months, WR_FORMAT_PRINT, b), "P1Y2M");
    months = -3;
    cr_assert_str_eq(render(ym, &months, WR_FORMAT_SQL, b), "-0-03");
    cr_assert_str_eq(render(ym, &months, WR_FORMAT_PRINT, b), "P-3M");
    int64_t ms = ((26 * 60 + 3) * 60 + 4) * 1000LL;
    cr_assert_str_eq(render(dt, &ms, WR_FORMAT_SQL, b), "+1 02:03:04.000");
    cr_assert_str_eq(render(dt, &ms, WR_FORMAT_PRINT, b), "PT26H3M4S");
    ms = -1500;
    cr_assert_str_eq(render(dt, &ms, WR_FORMAT_SQL, b), "-0 00:00:01.500");
    cr_assert_str_eq(render(dt, &ms, WR_FORMAT_PRINT, b), "PT-1.5S");
    ms = 0;
    cr_assert_str_eq(render(dt, &ms, WR_FORMAT_PRINT, b), "PT0S");

    wr_str bytes = {"\x0a\xff", 2};
    cr_assert_str_eq(render(wr_type_make(WR_TYPE_VARBINARY, true), &bytes, WR_FORMAT_SQL, b),
                     "x'0aff'");
    cr_assert_str_eq(render(wr_type_make(WR_TYPE_VARBINARY, true), &bytes, WR_FORMAT_PRINT, b),
                     "[10, -1]");
}

Test(temporal, type_names_are_flinks)
{
    char n[64];
    wr_type t = wr_type_decimal(10, 2, false);
    cr_assert_str_eq(wr_type_name(t, n, sizeof(n)), "DECIMAL(10, 2) NOT NULL");
    cr_assert_str_eq(wr_type_name(wr_type_make(WR_TYPE_TIME, true), n, sizeof(n)), "TIME(0)");
    cr_assert_str_eq(wr_type_name(wr_type_make(WR_TYPE_INTERVAL_YM, true), n, sizeof(n)),
                     "INTERVAL MONTH");
    cr_assert_str_eq(wr_type_name(wr_type_make(WR_TYPE_INTERVAL_DT, true), n, sizeof(n)),
                     "INTERVAL SECOND(3)");
    cr_assert_str_eq(wr_type_name(wr_type_make(WR_TYPE_VARBINARY, true), n, sizeof(n)), "BYTES");
    cr_assert_str_eq(wr_type_name(wr_type_make(WR_TYPE_TIMESTAMP_LTZ, true), n, sizeof(n)),
                     "TIMESTAMP_LTZ(6)");
}

Test(temporal, casts_and_assignments_follow_flinks_matrix)
{
    wr_type date = wr_type_make(WR_TYPE_DATE, true), time = wr_type_make(WR_TYPE_TIME, true);
    wr_type ts = wr_type_make(WR_TYPE_TIMESTAMP, true),
            ltz = wr_type_make(WR_TYPE_TIMESTAMP_LTZ, true);
    wr_type i = wr_type_make(WR_TYPE_INT, true), s = wr_type_make(WR_TYPE_VARCHAR, true);
    wr_type bytes = wr_type_make(WR_TYPE_VARBINARY, true), dec = wr_type_decimal(5, 2, true);
    cr_assert(wr_expr_can_cast(date, ts));
    cr_assert(wr_expr_can_cast(ts, time));
    cr_assert(wr_expr_can_cast(ltz, date));
    cr_assert_not(wr_expr_can_cast(date, time));
    cr_assert_not(wr_expr_can_cast(i, ts));
    cr_assert_not(wr_expr_can_cast(ts, i));
    cr_assert(wr_expr_can_cast(s, bytes));
    cr_assert(wr_expr_can_cast(bytes, s));
    cr_assert_not(wr_expr_can_cast(bytes, i));
    cr_assert(wr_expr_can_cast(dec, i));
    cr_assert(wr_expr_can_cast(s, dec));
    /* INSERT without CAST */
    cr_assert(wr_assignable(i, dec));
    cr_assert(wr_assignable(wr_type_make(WR_TYPE_DOUBLE, true), dec));
    cr_assert(wr_assignable(dec, wr_type_make(WR_TYPE_DOUBLE, true)));
    cr_assert_not(wr_assignable(dec, i));
    cr_assert(wr_assignable(ts, date));
    cr_assert(wr_assignable(ts, ltz));
    cr_assert_not(wr_assignable(date, ts));
    cr_assert_not(wr_assignable(s, date));
}

/* ---- interval literals ------------------------------------------------------------ */

static wr_expr *interval(const char *text, const char *unit, const char *to, wr_error *err)
{
    wr_ast_expr ast;
    memset(&ast, 0, sizeof(ast));
    ast.kind = WR_AST_INTERVAL;
    ast.pos = 7;
    ast.interval.text = text;
    ast.interval.unit = unit;
    ast.interval.to_unit = to;
    ast.interval.precision = -1;
    return wr_bind_interval(&ast, err);
}

static int64_t interval_value(const char *text, const char *unit, const char *to)
{
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = interval(text, unit, to, &err);
    cr_assert_not_null(e, "%s", err.msg);
    int64_t v = e->type.id == WR_TYPE_INTERVAL_YM ? ((int32_t *)e->cvec.data)[0]
                                                  : ((int64_t *)e->cvec.data)[0];
    wr_expr_free(e);
    return v;
}

Test(temporal, interval_literals)
{
    cr_assert_eq(interval_value("4", "SECOND", NULL), 4000);
    cr_assert_eq(interval_value("1.5", "SECOND", NULL), 1500);
    cr_assert_eq(interval_value("1 02:00", "DAY", "MINUTE"), (26 * 60) * 60000LL);
    cr_assert_eq(interval_value("-1 02:03:04.005", "DAY", "SECOND"),
                 -(((26 * 60 + 3) * 60 + 4) * 1000LL + 5));
    cr_assert_eq(interval_value("2-03", "YEAR", "MONTH"), 27);
    cr_assert_eq(interval_value("-2-3", "YEAR", "MONTH"), -27);
    cr_assert_eq(interval_value("100", "DAY", NULL), 100 * 86400000LL);
    cr_assert_eq(interval_value(" 5 ", "MONTH", NULL), 5);
    cr_assert_eq(interval_value("10:30", "HOUR", "MINUTE"), 630 * 60000LL);
    wr_error err;
    wr_error_init(&err);
    cr_assert_null(interval("1:60", "HOUR", "MINUTE", &err));
    cr_assert_str_eq(err.msg, "invalid interval '1:60' for HOUR TO MINUTE: expected 'h:m'");
    cr_assert_eq(err.offset, 7);
    cr_assert_null(interval("99999999999", "YEAR", NULL, &err));
    cr_assert_str_eq(err.msg, "interval '99999999999' is out of range: at most 2147483647 months");
    cr_assert_null(interval("123456789012345678901234", "SECOND", NULL, &err));
    cr_assert(strstr(err.msg, "out of range"), "%s", err.msg);
    cr_assert_null(interval("1 2", "DAY", NULL, &err));
    cr_assert_str_eq(err.msg, "invalid interval '1 2' for DAY: expected 'd'");
}

/* ---- functions ---------------------------------------------------------------------- */

static wr_expr *str(const char *s)
{
    wr_type t = wr_type_make(WR_TYPE_CHAR, false);
    t.length = (int32_t)strlen(s);
    return wr_expr_string(t, s, strlen(s), 0);
}

static wr_expr *ts(const char *s)
{
    int64_t us;
    cr_assert_eq(wr_timestamp_parse(s, strlen(s), &us), 0);
    return wr_expr_int64(wr_type_make(WR_TYPE_TIMESTAMP, false), us, 0);
}

/* Binds name(args...) (NULL-terminated) and evaluates it on one row into buf; returns the error
 * code (0, and the message in err). */
static int call(const char *name, char *buf, wr_error *err, ...)
{
    va_list ap;
    va_start(ap, err);
    wr_expr *args[4];
    int n = 0;
    for (wr_expr *a; (a = va_arg(ap, wr_expr *)) != NULL;) args[n++] = a;
    va_end(ap);
    wr_expr **arr = wr_malloc(sizeof(wr_expr *) * (size_t)(n ? n : 1));
    memcpy(arr, args, sizeof(wr_expr *) * (size_t)n);
    wr_expr *e = wr_func_bind(name, arr, n, 3, err);
    if (e == NULL) return err->code;
    wr_batch *in = wr_batch_new(NULL, 0, 1);
    in->count = 1;
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_eval ev = {&arena, 1};
    wr_vector v;
    int rc = wr_expr_eval(&ev, e, in, NULL, 1, &v, err);
    if (rc == 0) {
        wr_buf b;
        wr_buf_init(&b);
        wr_vector_format(&v, 0, WR_FORMAT_SQL, &b);
        snprintf(buf, 96, "%s", b.data);
        wr_buf_fini(&b);
    }
    wr_expr_free(e);
    wr_arena_fini(&arena);
    wr_batch_free(in);
    return rc;
}

Test(temporal, functions_through_the_registry)
{
    char b[96];
    wr_error err;
    wr_error_init(&err);
    cr_assert_eq(call("date_format", b, &err, ts("2024-03-05 07:08:09.123456"),
                      str("yyyy-MM-dd'T'HH:mm:ss.SSSSSS"), NULL),
                 0, "%s", err.msg);
    cr_assert_str_eq(b, "2024-03-05T07:08:09.123456");
    cr_assert_eq(call("TIMESTAMPDIFF", b, &err, str("MONTH"), ts("2024-03-31 00:00:00"),
                      ts("2024-02-29 00:00:00"), NULL),
                 0, "%s", err.msg);
    cr_assert_str_eq(b, "-1");
    cr_assert_eq(call("TIMESTAMPDIFF", b, &err, str("QUARTER"), ts("2024-01-15 00:00:00"),
                      ts("2024-10-14 23:59:59"), NULL),
                 0, "%s", err.msg);
    cr_assert_str_eq(b, "2");
    cr_assert_eq(call("TO_TIMESTAMP", b, &err, str("2024-366 23:59"), str("yyyy-DDD HH:mm"), NULL),
                 0, "%s", err.msg);
    cr_assert_str_eq(b, "2024-12-31 23:59:00.000");
    cr_assert_eq(call("TO_DATE", b, &err, str("2024/02/30"), str("yyyy/MM/dd"), NULL), 0, "%s",
                 err.msg);
    cr_assert_str_eq(b, "NULL");
    /* DST: 02:30 does not exist in Berlin on 2024-03-31; 01:30 UTC is 03:30 there */
    cr_assert_eq(call("CONVERT_TZ", b, &err, str("2024-03-31 01:30:00"), str("UTC"),
                      str("Europe/Berlin"), NULL),
                 0, "%s", err.msg);
    cr_assert_str_eq(b, "2024-03-31 03:30:00");
    cr_assert_eq(call("CONVERT_TZ", b, &err, str("2024-10-27 12:00:00"), str("America/New_York"),
                      str("Asia/Kolkata"), NULL),
                 0, "%s", err.msg);
    cr_assert_str_eq(b, "2024-10-27 21:30:00");
    /* errors name the function, the problem and the usage */
    cr_assert_neq(call("TO_TIMESTAMP_LTZ", b, &err, str("1"), NULL), 0);
    cr_assert_str_eq(err.msg, "TO_TIMESTAMP_LTZ: argument 1 has type CHAR(1) NOT NULL; usage: "
                              "TO_TIMESTAMP_LTZ(NUMERIC, 0 | 3)");
    cr_assert_eq(err.offset, 3);
    cr_assert_neq(call("DATE_FORMAT", b, &err, ts("2024-01-01 00:00:00"), str("'unclosed"), NULL),
                  0);
    cr_assert_str_eq(err.msg, "DATE_FORMAT: invalid pattern ''unclosed': unclosed quote");
    cr_assert_neq(call("EXTRACT", b, &err, str("FORTNIGHT"), ts("2024-01-01 00:00:00"), NULL), 0);
    cr_assert(strstr(err.msg, "unknown time unit 'FORTNIGHT'"), "%s", err.msg);
}

Test(temporal, a_pattern_from_a_column_is_checked_per_row)
{
    wr_type s = wr_type_make(WR_TYPE_VARCHAR, false);
    wr_batch *in = wr_batch_new((wr_type[]){s}, 1, WR_BATCH_CAPACITY);
    ((wr_str *)in->cols[0].data)[0] = wr_batch_str(in, "yyyy", 4);
    ((wr_str *)in->cols[0].data)[1] = wr_batch_str(in, "yyyy-bb", 7);
    in->count = 2;
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = ts("2024-03-05 07:08:09");
    args[1] = wr_expr_column(0, s, 0);
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_func_bind("DATE_FORMAT", args, 2, 0, &err);
    cr_assert_not_null(e, "%s", err.msg);
    wr_arena arena;
    wr_arena_init(&arena, 4096);
    wr_eval ev = {&arena, 2};
    wr_vector v;
    cr_assert_eq(wr_expr_eval(&ev, e, in, (uint32_t[]){0}, 1, &v, &err), 0, "%s", err.msg);
    wr_str r = ((wr_str *)v.data)[0];
    cr_assert_eq(r.len, 4);
    cr_assert_eq(memcmp(r.ptr, "2024", 4), 0);
    cr_assert_neq(wr_expr_eval(&ev, e, in, NULL, 2, &v, &err), 0);
    cr_assert_str_eq(err.msg,
                     "DATE_FORMAT: invalid pattern 'yyyy-bb': unsupported pattern letter 'b'");
    wr_expr_free(e);
    wr_arena_fini(&arena);
    wr_batch_free(in);
}

/* ---- formats ------------------------------------------------------------------------- */

static wr_schema *new_types_schema(void)
{
    wr_schema *schema = wr_schema_new();
    wr_schema_add(schema, "d", wr_type_decimal(6, 2, true));
    wr_schema_add(schema, "day", wr_type_make(WR_TYPE_DATE, true));
    wr_type t = wr_type_make(WR_TYPE_TIME, true);
    t.length = 3;
    wr_schema_add(schema, "t", t);
    wr_type l = wr_type_make(WR_TYPE_TIMESTAMP_LTZ, true);
    l.length = 3;
    wr_schema_add(schema, "ltz", l);
    wr_schema_add(schema, "b", wr_type_make(WR_TYPE_VARBINARY, true));
    return schema;
}

Test(temporal, csv_reads_and_writes_the_new_types)
{
    wr_schema *schema = new_types_schema();
    wr_csv_options o;
    wr_csv_options_default(&o);
    wr_batch *batch = wr_batch_new(schema->types, schema->ncols, WR_BATCH_CAPACITY);
    wr_error err;
    wr_error_init(&err);
    const char *line = "1234.565,2024-02-29,12:00:01.5,2024-01-01 10:00:00.25Z,CvA=";
    cr_assert_eq(wr_csv_decode(&o, schema, line, strlen(line), batch, &err), 0, "%s", err.msg);
    const char *nulls = "99999.5,,,,";
    cr_assert_eq(wr_csv_decode(&o, schema, nulls, strlen(nulls), batch, &err), 0, "%s", err.msg);
    cr_assert(wr_vector_is_null(&batch->cols[0], 1)); /* too many digits: NULL, as Flink */
    wr_buf out;
    wr_buf_init(&out);
    wr_csv_encode(&o, batch, 0, &out);
    cr_assert_str_eq(out.data, "1234.57,2024-02-29,12:00:01.500,2024-01-01 10:00:00.25Z,CvA=");
    wr_buf_fini(&out);
    const char *bad[][2] = {
        {"x,,,,", "field 'd' at offset 0: invalid DECIMAL(6, 2) 'x'"},
        {",2024-02-30,,,", "field 'day' at offset 1: invalid DATE '2024-02-30': expected "
                           "'yyyy-MM-dd'"},
        {",,25:00,,", "field 't' at offset 2: invalid TIME '25:00': expected 'HH:mm:ss[.SSS]'"},
        {",,,,***", "field 'b' at offset 4: invalid BYTES '***': expected base64"},
    };
    for (size_t i = 0; i < WR_ARRAY_LEN(bad); i++) {
        cr_assert_neq(wr_csv_decode(&o, schema, bad[i][0], strlen(bad[i][0]), batch, &err), 0);
        cr_assert_str_eq(err.msg, bad[i][1]);
    }
    wr_batch_free(batch);
    wr_schema_free(schema);
}

Test(temporal, json_reads_and_writes_the_new_types)
{
    wr_schema *schema = new_types_schema();
    wr_json_options o;
    wr_json_options_default(&o);
    wr_batch *batch = wr_batch_new(schema->types, schema->ncols, WR_BATCH_CAPACITY);
    wr_error err;
    wr_error_init(&err);
    const char *line = "{\"d\":12.345,\"day\":\"2024-02-29\",\"t\":\"12:00:01\","
                       "\"ltz\":\"2024-01-01 10:00:00Z\",\"b\":\"CvA=\"}";
    cr_assert_eq(wr_json_decode(&o, schema, line, strlen(line), batch, &err), 0, "%s", err.msg);
    const char *other = "{\"d\":\"-0.5\",\"b\":null,\"ltz\":null}";
    cr_assert_eq(wr_json_decode(&o, schema, other, strlen(other), batch, &err), 0, "%s", err.msg);
    const char *big = "{\"d\":1e10}";
    cr_assert_eq(wr_json_decode(&o, schema, big, strlen(big), batch, &err), 0, "%s", err.msg);
    cr_assert(wr_vector_is_null(&batch->cols[0], 2));
    wr_buf out;
    wr_buf_init(&out);
    wr_json_encode(&o, batch, 0, schema, &out);
    cr_assert_str_eq(out.data, "{\"d\":12.35,\"day\":\"2024-02-29\",\"t\":\"12:00:01.000\","
                               "\"ltz\":\"2024-01-01 10:00:00Z\",\"b\":\"CvA=\"}");
    wr_buf_reset(&out);
    wr_json_encode(&o, batch, 1, schema, &out);
    cr_assert_str_eq(out.data, "{\"d\":-0.50,\"day\":null,\"t\":null,\"ltz\":null,\"b\":null}");
    o.timestamp_standard = WR_JSON_TIMESTAMP_ISO_8601;
    wr_buf_reset(&out);
    wr_json_encode(&o, batch, 0, schema, &out);
    cr_assert(strstr(out.data, "\"ltz\":\"2024-01-01T10:00:00Z\""), "%s", out.data);
    wr_buf_fini(&out);
    const char *no_z = "{\"ltz\":\"2024-01-01T10:00:00\"}";
    cr_assert_neq(wr_json_decode(&o, schema, no_z, strlen(no_z), batch, &err), 0);
    cr_assert(strstr(err.msg, "invalid TIMESTAMP_LTZ(3) '2024-01-01T10:00:00'"), "%s", err.msg);
    wr_batch_free(batch);
    wr_schema_free(schema);
}
