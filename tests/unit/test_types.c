/*
 * test_types.c — batches, the row codec, timestamps and number formatting.
 */
#include "../../src/base/alloc.h"
#include "../../src/types/row_codec.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static wr_batch *sample(void)
{
    wr_type types[3] = {wr_type_make(WR_TYPE_BIGINT, true), wr_type_make(WR_TYPE_VARCHAR, true),
                        wr_type_make(WR_TYPE_DOUBLE, true)};
    wr_batch *b = wr_batch_new(types, 3, WR_BATCH_CAPACITY);
    for (int i = 0; i < 5; i++) {
        ((int64_t *)b->cols[0].data)[i] = i * 10;
        char s[16];
        snprintf(s, sizeof(s), "s%d", i);
        ((wr_str *)b->cols[1].data)[i] = wr_batch_str(b, s, strlen(s));
        ((double *)b->cols[2].data)[i] = i / 2.0;
    }
    b->count = 5;
    wr_batch_set_null(b, 1, 2);
    wr_batch_set_null(b, 2, 4);
    return b;
}

Test(batch, append_rows_copies_values_nulls_strings_and_kinds)
{
    wr_batch *src = sample();
    wr_batch_kinds(src)[3] = WR_KIND_UPDATE_AFTER;
    wr_batch *dst = wr_batch_new(
        (wr_type[]){src->cols[0].type, src->cols[1].type, src->cols[2].type}, 3, WR_BATCH_CAPACITY);
    uint32_t rows[] = {4, 2, 3};
    wr_batch_append_rows(dst, src, rows, 3);
    wr_batch_free(src); /* the copy must not point into the source */
    cr_assert_eq(dst->count, 3);
    wr_buf out;
    wr_buf_init(&out);
    for (int r = 0; r < 3; r++) {
        wr_batch_format_row(dst, r, &out);
        wr_buf_putc(&out, '\n');
    }
    cr_assert_str_eq(out.data, "+I[40, s4, null]\n+I[20, null, 1.0]\n+U[30, s3, 1.5]\n");
    wr_buf_fini(&out);
    wr_batch_free(dst);
}

Test(batch, selection_vector_picks_active_rows)
{
    wr_batch *b = sample();
    uint32_t *sel = wr_batch_sel_buffer(b);
    sel[0] = 1;
    sel[1] = 3;
    b->sel = sel;
    b->nsel = 2;
    cr_assert_eq(wr_batch_rows(b), 2);
    cr_assert_eq(wr_batch_row(b, 1), 3);
    wr_batch_reset(b);
    cr_assert_eq(wr_batch_rows(b), 0);
    cr_assert_null(b->sel);
    wr_batch_free(b);
}

Test(batch, a_held_batch_is_not_reused_and_outlives_its_producer)
{
    wr_batch_ring ring;
    wr_batch_ring_init(&ring, sample());
    wr_batch *first = wr_batch_ring_take(&ring);
    cr_assert_eq(first->count, 0);
    /* A view: its columns point into the producer's batch, which it holds with its deps. */
    wr_batch *dep = sample();
    first->deps[first->ndeps++] = dep;
    wr_batch_hold(first);
    cr_assert(wr_batch_held(first) && wr_batch_held(dep));
    wr_batch *second = wr_batch_ring_take(&ring);
    cr_assert_neq(second, first, "a held batch is not handed out again");
    cr_assert_eq(second->ncols, 3);
    wr_batch_release(first);
    cr_assert(!wr_batch_held(first) && !wr_batch_held(dep));
    /* Held again, then the producer goes: the memory stays until the hold is released. */
    wr_batch *third = wr_batch_ring_take(&ring);
    cr_assert(third == first || third == second);
    ((wr_str *)third->cols[1].data)[0] = wr_batch_str(third, "kept", 4);
    third->count = 1;
    wr_batch_hold(third);
    wr_batch_ring_fini(&ring);
    cr_assert_eq(memcmp(((wr_str *)third->cols[1].data)[0].ptr, "kept", 4), 0);
    wr_batch_release(third);
    wr_batch_free(dep);
}

Test(row_codec, round_trip_with_nulls_and_strings)
{
    wr_batch *b = sample();
    wr_batch *back = wr_batch_new((wr_type[]){b->cols[0].type, b->cols[1].type, b->cols[2].type}, 3,
                                  WR_BATCH_CAPACITY);
    int cols[3] = {0, 1, 2};
    wr_buf enc;
    wr_buf_init(&enc);
    wr_error err;
    wr_error_init(&err);
    for (int r = 0; r < b->count; r++) {
        wr_buf_reset(&enc);
        wr_row_encode(b, r, cols, 3, &enc);
        int used = wr_row_decode_append(back, (const uint8_t *)enc.data, enc.len, &err);
        cr_assert_eq(used, (int)enc.len, "%s", err.msg);
        /* Every truncation is reported, never read past. */
        for (size_t cut = 0; cut < enc.len; cut++) {
            wr_batch *scratch =
                wr_batch_new((wr_type[]){b->cols[0].type, b->cols[1].type, b->cols[2].type}, 3, 4);
            cr_assert_lt(wr_row_decode_append(scratch, (const uint8_t *)enc.data, cut, &err), 0);
            wr_batch_free(scratch);
        }
    }
    wr_buf a, c;
    wr_buf_init(&a);
    wr_buf_init(&c);
    for (int r = 0; r < b->count; r++) {
        wr_batch_format_row(b, r, &a);
        wr_batch_format_row(back, r, &c);
    }
    cr_assert_str_eq(a.data, c.data);
    wr_buf_fini(&a);
    wr_buf_fini(&c);
    wr_buf_fini(&enc);
    wr_batch_free(b);
    wr_batch_free(back);
}

Test(row_codec, equal_keys_encode_equal)
{
    wr_batch *b = sample();
    ((int64_t *)b->cols[0].data)[1] = 0; /* rows 0 and 1 share column 0 */
    int key[1] = {0};
    wr_buf x, y;
    wr_buf_init(&x);
    wr_buf_init(&y);
    wr_row_encode(b, 0, key, 1, &x);
    wr_row_encode(b, 1, key, 1, &y);
    cr_assert_eq(x.len, y.len);
    cr_assert(memcmp(x.data, y.data, x.len) == 0);
    wr_buf_fini(&x);
    wr_buf_fini(&y);
    wr_batch_free(b);
}

/* A batch's keys encoded at once, column by column, are wr_row_encode's bytes row by row. */
Test(row_codec, rows_encoded_at_once_match_row_by_row)
{
    wr_type types[6] = {wr_type_make(WR_TYPE_BOOLEAN, true), wr_type_make(WR_TYPE_SMALLINT, true),
                        wr_type_make(WR_TYPE_INT, true),     wr_type_make(WR_TYPE_BIGINT, true),
                        wr_type_decimal(20, 2, true),        wr_type_make(WR_TYPE_VARCHAR, true)};
    wr_batch *b = wr_batch_new(types, 6, WR_BATCH_CAPACITY);
    for (int i = 0; i < 6; i++) {
        ((bool *)b->cols[0].data)[i] = i & 1;
        ((int16_t *)b->cols[1].data)[i] = (int16_t)(-i * 300);
        ((int32_t *)b->cols[2].data)[i] = i * 70000;
        ((int64_t *)b->cols[3].data)[i] = (int64_t)i << 40;
        ((wr_int128 *)b->cols[4].data)[i] = (wr_int128)i * 1000000007;
        char text[32];
        snprintf(text, sizeof(text), "%.*s", i * 3, "abcdefghijklmnopqrstuvwxyz");
        ((wr_str *)b->cols[5].data)[i] = wr_batch_str(b, text, strlen(text)); /* row 0: "" */
    }
    b->count = 6;
    wr_batch_set_null(b, 5, 1);
    wr_batch_set_null(b, 0, 2);
    wr_batch_set_null(b, 4, 2);
    wr_batch_set_null(b, 3, 4);
    /* Nine key columns (two bytes of NULL flags), in another order, one of them twice. */
    int cols[9] = {5, 3, 0, 4, 1, 2, 5, 3, 4};
    uint32_t rows[5] = {4, 0, 2, 3, 1};
    wr_buf all, one;
    wr_buf_init(&all);
    wr_buf_init(&one);
    wr_buf_puts(&all, "xyz"); /* appended after what the buffer holds */
    uint32_t off[6];
    wr_row_encode_rows(b, rows, 5, cols, 9, &all, off);
    cr_assert_eq(off[0], 3);
    cr_assert_eq(off[5], all.len);
    for (int i = 0; i < 5; i++) {
        wr_buf_reset(&one);
        wr_row_encode(b, (int)rows[i], cols, 9, &one);
        cr_assert_eq(off[i + 1] - off[i], one.len, "row %u", rows[i]);
        cr_assert(memcmp(all.data + off[i], one.data, one.len) == 0, "row %u", rows[i]);
    }
    wr_buf_fini(&all);
    wr_buf_fini(&one);
    wr_batch_free(b);
}

Test(timestamp, parse_and_format)
{
    int64_t us;
    const char *s = "2024-02-29 23:59:58.123456";
    cr_assert_eq(wr_timestamp_parse(s, strlen(s), &us), 0);
    wr_buf out;
    wr_buf_init(&out);
    wr_timestamp_format_sql(us, 3, &out);
    cr_assert_str_eq(out.data, "2024-02-29 23:59:58.123");
    wr_buf_reset(&out);
    wr_timestamp_format_iso(us - 123456, &out);
    cr_assert_str_eq(out.data, "2024-02-29T23:59:58");
    wr_buf_reset(&out);
    cr_assert_eq(wr_timestamp_parse("1969-12-31T23:00", 16, &us), 0);
    cr_assert_eq(us, -3600LL * 1000000);
    wr_timestamp_format_iso(us, &out);
    cr_assert_str_eq(out.data, "1969-12-31T23:00");
    cr_assert_neq(wr_timestamp_parse("2023-02-29", 10, &us), 0);
    cr_assert_neq(wr_timestamp_parse("2023-13-01", 10, &us), 0);
    cr_assert_neq(wr_timestamp_parse("2023-01-01 24:00", 16, &us), 0);
    wr_buf_fini(&out);
}

Test(timestamp, formats_every_field_width_and_precision)
{
    /* Years before 0 and after 9999, every precision, millis and micros in ISO form. */
    static const struct {
        int64_t us;
        int precision;
        const char *sql, *iso;
    } cases[] = {
        {0, 0, "1970-01-01 00:00:00", "1970-01-01T00:00"},
        {1000, 3, "1970-01-01 00:00:00.001", "1970-01-01T00:00:00.001"},
        {1, 9, "1970-01-01 00:00:00.000001000", "1970-01-01T00:00:00.000001"},
        {61123456, 6, "1970-01-01 00:01:01.123456", "1970-01-01T00:01:01.123456"},
        {-1, 2, "1969-12-31 23:59:59.99", "1969-12-31T23:59:59.999999"},
        {253402300799000000LL, 1, "9999-12-31 23:59:59.0", "9999-12-31T23:59:59"},
        {253402300800000000LL, 0, "10000-01-01 00:00:00", "10000-01-01T00:00"},
        {-62198755200000000LL, 0, "-001-01-01 00:00:00", "-001-01-01T00:00"},
    };
    wr_buf out;
    wr_buf_init(&out);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wr_buf_reset(&out);
        wr_timestamp_format_sql(cases[i].us, cases[i].precision, &out);
        cr_assert_str_eq(out.data, cases[i].sql);
        wr_buf_reset(&out);
        wr_timestamp_format_iso(cases[i].us, &out);
        cr_assert_str_eq(out.data, cases[i].iso);
    }
    /* Zero padding as printf's %0*llu. */
    static const uint64_t xs[] = {0, 7, 42, 999, 123456, UINT64_MAX};
    for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
        for (int w = 0; w <= 22; w++) {
            char want[32];
            snprintf(want, sizeof(want), "%0*llu", w, (unsigned long long)xs[i]);
            wr_buf_reset(&out);
            wr_buf_put_padded(&out, xs[i], w);
            cr_assert_str_eq(out.data, want, "%llu at width %d", (unsigned long long)xs[i], w);
        }
    wr_buf_fini(&out);
}

Test(format, doubles_as_java_prints_them)
{
    struct {
        double v;
        const char *s;
    } cases[] = {{1.0, "1.0"},        {0.5, "0.5"},       {100.25, "100.25"},
                 {1e7, "1.0E7"},      {1.5e-4, "1.5E-4"}, {0.001, "0.001"},
                 {-2.0, "-2.0"},      {0.1, "0.1"},       {1234567.0, "1234567.0"},
                 {3.14159, "3.14159"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wr_buf out;
        wr_buf_init(&out);
        wr_double_format_java(cases[i].v, false, &out);
        cr_assert_str_eq(out.data, cases[i].s);
        wr_buf_fini(&out);
    }
}
