/*
 * test_nested.c — nested types (types/nested.c): interning, names, common types, and the
 * encoding of ARRAY, MAP and ROW values read back element by element and as text.
 */
#include <criterion/criterion.h>

#include "../../src/types/batch.h"
#include "../../src/types/nested.h"

#include <stdio.h>
#include <string.h>

static const char *type_text(wr_type t)
{
    static char buf[256];
    return wr_type_name(t, buf, sizeof buf);
}

/* The SQL text of one value of type t encoded in b. */
static const char *value_text(wr_type t, const wr_buf *b)
{
    static char text[512];
    wr_str s = {b->data, (uint32_t)b->len};
    wr_vector v = {.type = t, .data = &s};
    wr_buf out;
    wr_buf_init(&out);
    wr_vector_format(&v, 0, WR_FORMAT_SQL, &out);
    snprintf(text, sizeof text, "%.*s", (int)out.len, out.data);
    wr_buf_fini(&out);
    return text;
}

Test(nested, types_are_interned_and_named)
{
    wr_type i = wr_type_make(WR_TYPE_INT, true);
    wr_type s = wr_type_make(WR_TYPE_VARCHAR, true);
    wr_type a1 = wr_type_array(i, true), a2 = wr_type_array(i, true);
    cr_assert(wr_type_equal(a1, a2));
    cr_assert_not(wr_type_equal(a1, wr_type_array(wr_type_make(WR_TYPE_INT, false), true)));
    cr_assert_not(wr_type_equal(a1, wr_type_multiset(i, true)));
    cr_assert_str_eq(type_text(a1), "ARRAY<INT>");
    cr_assert_str_eq(type_text(wr_type_map(s, a1, false)), "MAP<STRING, ARRAY<INT>> NOT NULL");
    const char *names[] = {"a", "b`c"};
    wr_type f[] = {i, s};
    wr_type r = wr_type_row(f, names, 2, true);
    cr_assert_str_eq(type_text(r), "ROW<`a` INT, `b``c` STRING>");
    const char *other[] = {"a", "x"};
    cr_assert_not(wr_type_equal(r, wr_type_row(f, other, 2, true)));
    cr_assert_eq(wr_row_field_index(r, "b`c", 3), 1);
    cr_assert_eq(wr_row_field_index(r, "B`C", 3), -1);
    cr_assert_eq(wr_type_depth(wr_type_array(r, true)), 2);
    cr_assert_eq(wr_type_width(WR_TYPE_ROW), sizeof(wr_str));
    cr_assert(wr_type_is_view(WR_TYPE_MAP));
}

Test(nested, common_type_widens_elements)
{
    wr_type a = wr_type_array(wr_type_make(WR_TYPE_INT, false), false);
    wr_type b = wr_type_array(wr_type_make(WR_TYPE_DOUBLE, true), true);
    wr_type c;
    cr_assert(wr_type_common(a, b, &c));
    cr_assert_str_eq(type_text(c), "ARRAY<DOUBLE>");
    wr_type m =
        wr_type_map(wr_type_make(WR_TYPE_INT, false), wr_type_make(WR_TYPE_INT, false), false);
    cr_assert_not(wr_type_common(a, m, &c));
}

Test(nested, arrays_of_numbers_and_strings)
{
    wr_type it = wr_type_make(WR_TYPE_BIGINT, true);
    int64_t v[] = {7, 0, -3};
    bool present[] = {true, false, true};
    wr_buf b;
    wr_buf_init(&b);
    wr_array_encode(&b, it, 3, v, present);
    wr_array_reader r;
    wr_array_open(&r, it, (wr_str){b.data, (uint32_t)b.len});
    cr_assert_eq(r.n, 3);
    int64_t x = 99;
    cr_assert(wr_array_get(&r, 0, &x) && x == 7);
    cr_assert_not(wr_array_get(&r, 1, &x));
    cr_assert(wr_array_get(&r, 2, &x) && x == -3);
    cr_assert_str_eq(value_text(wr_type_array(it, true), &b), "[7, NULL, -3]");

    /* Equal values encode to equal bytes, whatever the slot of a NULL held. */
    wr_buf b2;
    wr_buf_init(&b2);
    int64_t v2[] = {7, 12345, -3};
    wr_array_encode(&b2, it, 3, v2, present);
    cr_assert(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);

    wr_type st = wr_type_make(WR_TYPE_VARCHAR, true);
    wr_str sv[] = {{"ab", 2}, {"", 0}, {NULL, 0}, {"xyz", 3}};
    bool sp[] = {true, true, false, true};
    wr_buf_reset(&b);
    wr_array_encode(&b, st, 4, sv, sp);
    wr_array_open(&r, st, (wr_str){b.data, (uint32_t)b.len});
    wr_str got;
    cr_assert(wr_array_get(&r, 3, &got) && got.len == 3 && memcmp(got.ptr, "xyz", 3) == 0);
    cr_assert(wr_array_get(&r, 1, &got) && got.len == 0);
    cr_assert_str_eq(value_text(wr_type_array(st, true), &b), "[ab, , NULL, xyz]");

    /* An empty array and an array of arrays. */
    wr_buf_reset(&b);
    wr_array_encode(&b, it, 0, NULL, NULL);
    cr_assert_str_eq(value_text(wr_type_array(it, true), &b), "[]");
    wr_str inner[2] = {{b.data, (uint32_t)b.len}, {b2.data, (uint32_t)b2.len}};
    wr_buf outer;
    wr_buf_init(&outer);
    wr_array_encode(&outer, wr_type_array(it, true), 2, inner, NULL);
    cr_assert_str_eq(value_text(wr_type_array(wr_type_array(it, true), true), &outer),
                     "[[], [7, NULL, -3]]");
    wr_buf_fini(&outer);
    wr_buf_fini(&b);
    wr_buf_fini(&b2);
}

Test(nested, maps_keep_one_value_per_key)
{
    wr_type st = wr_type_make(WR_TYPE_VARCHAR, false);
    wr_type it = wr_type_make(WR_TYPE_INT, true);
    wr_type mt = wr_type_map(st, it, true);
    wr_str k[] = {{"a", 1}, {"b", 1}, {"a", 1}};
    int32_t v[] = {1, 2, 3};
    bool vp[] = {true, false, true};
    uint32_t n = wr_map_dedup(mt, 3, k, NULL, v, vp);
    cr_assert_eq(n, 2);
    wr_buf b;
    wr_buf_init(&b);
    wr_map_encode(&b, mt, n, k, NULL, v, vp);
    wr_str m = {b.data, (uint32_t)b.len};
    cr_assert_eq(wr_map_size(m), 2);
    cr_assert_str_eq(value_text(mt, &b), "{a=3, b=NULL}");
    wr_array_reader r;
    wr_array_open(&r, it, wr_map_values(m));
    int32_t x;
    cr_assert(wr_array_get(&r, 0, &x) && x == 3);
    wr_buf_fini(&b);
}

Test(nested, rows_give_fields_at_fixed_offsets)
{
    wr_type f[] = {wr_type_make(WR_TYPE_BIGINT, false), wr_type_make(WR_TYPE_VARCHAR, true),
                   wr_type_make(WR_TYPE_DOUBLE, true), wr_type_make(WR_TYPE_VARCHAR, true)};
    const char *names[] = {"id", "name", "price", "extra"};
    wr_type rt = wr_type_row(f, names, 4, true);
    const wr_nested *d = wr_type_nested(rt);
    int64_t id = 42;
    wr_str name = {"bob", 3}, extra = {"zz", 2};
    double price = 1.5;
    const void *slots[] = {&id, &name, &price, &extra};
    bool present[] = {true, true, false, true};
    wr_buf b;
    wr_buf_init(&b);
    wr_row_value_encode(&b, d, slots, present);
    wr_str v = {b.data, (uint32_t)b.len};
    int64_t gid;
    wr_str gs;
    double gd;
    cr_assert(wr_row_value_get(d, v, 0, &gid) && gid == 42);
    cr_assert(wr_row_value_get(d, v, 3, &gs) && gs.len == 2 && memcmp(gs.ptr, "zz", 2) == 0);
    cr_assert(wr_row_value_get(d, v, 1, &gs) && gs.len == 3 && memcmp(gs.ptr, "bob", 3) == 0);
    cr_assert_not(wr_row_value_get(d, v, 2, &gd));
    cr_assert_str_eq(value_text(rt, &b), "(42, bob, NULL, zz)");
    wr_buf_fini(&b);
}
