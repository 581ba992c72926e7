/*
 * nested.c — interned descriptors of nested types, and the encoding of their values
 * (see nested.h for the layout).
 */
#include "nested.h"

#include "../base/alloc.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- descriptors --------------------------------------------------------------------------- */

/*
 * Descriptors are numbered from 1 (a zeroed wr_type is never a valid nested type) and kept in
 * chunks that never move, so readers need no lock: a number reaches a reader only after its
 * descriptor was published.
 */
#define CHUNK_BITS 8
#define CHUNK_SIZE (1 << CHUNK_BITS)
#define MAX_CHUNKS 256

static wr_nested *_Atomic chunks[MAX_CHUNKS];
static int ntypes; /* under lock */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

const wr_nested *wr_type_nested(wr_type t)
{
    int32_t i = t.length;
    assert(wr_type_is_nested((wr_type_id)t.id) && i > 0);
    wr_nested *chunk = atomic_load_explicit(&chunks[i >> CHUNK_BITS], memory_order_acquire);
    return &chunk[i & (CHUNK_SIZE - 1)];
}

static bool same_nested(const wr_nested *d, uint8_t id, const wr_type *fields,
                        const char *const *names, int n)
{
    if (d->id != id || d->nfields != n) return false;
    for (int i = 0; i < n; i++) {
        if (!wr_type_equal(d->fields[i], fields[i])) return false;
        if (names && strcmp(d->names[i], names[i]) != 0) return false;
    }
    return true;
}

/* The slot a ROW keeps for a field: fixed-width values inline, views as offset + length. */
static uint32_t row_slot_size(wr_type t)
{
    return wr_type_is_view((wr_type_id)t.id) ? 8 : (uint32_t)wr_type_width((wr_type_id)t.id);
}

static wr_type intern(uint8_t id, const wr_type *fields, const char *const *names, int n,
                      bool nullable)
{
    pthread_mutex_lock(&lock);
    int found = 0;
    for (int i = 1; i <= ntypes && !found; i++) {
        const wr_nested *d = &chunks[i >> CHUNK_BITS][i & (CHUNK_SIZE - 1)];
        if (same_nested(d, id, fields, names, n)) found = i;
    }
    if (!found) {
        found = ++ntypes;
        int c = found >> CHUNK_BITS;
        if (c >= MAX_CHUNKS) {
            /* 65535 distinct nested types: like running out of memory, not a user's error. */
            fprintf(stderr, "weir: more than %d distinct nested types\n",
                    CHUNK_SIZE * MAX_CHUNKS - 1);
            abort();
        }
        if (chunks[c] == NULL)
            atomic_store_explicit(&chunks[c], wr_calloc(CHUNK_SIZE, sizeof(wr_nested)),
                                  memory_order_release);
        wr_nested *d = &chunks[c][found & (CHUNK_SIZE - 1)];
        wr_type *f = wr_malloc((size_t)n * sizeof(wr_type));
        memcpy(f, fields, (size_t)n * sizeof(wr_type));
        d->id = id;
        d->nfields = n;
        d->fields = f;
        if (names) {
            char **nm = wr_malloc((size_t)n * sizeof(char *));
            uint32_t *off = wr_malloc((size_t)n * sizeof(uint32_t));
            uint32_t at = 0;
            for (int i = 0; i < n; i++) {
                nm[i] = wr_strdup(names[i]);
                off[i] = at;
                at += row_slot_size(fields[i]);
            }
            d->names = (const char *const *)nm;
            d->offsets = off;
            d->slots_size = at;
        }
    }
    pthread_mutex_unlock(&lock);
    /* The number goes where a length would be; the wr_type stays 8 bytes. */
    wr_type t = {id, nullable, found, 0};
    return t;
}

wr_type wr_type_array(wr_type elem, bool nullable)
{
    return intern(WR_TYPE_ARRAY, &elem, NULL, 1, nullable);
}

wr_type wr_type_multiset(wr_type elem, bool nullable)
{
    return intern(WR_TYPE_MULTISET, &elem, NULL, 1, nullable);
}

wr_type wr_type_map(wr_type key, wr_type value, bool nullable)
{
    wr_type kv[2] = {key, value};
    return intern(WR_TYPE_MAP, kv, NULL, 2, nullable);
}

wr_type wr_type_row(const wr_type *types, const char *const *names, int n, bool nullable)
{
    return intern(WR_TYPE_ROW, types, names, n, nullable);
}

int wr_row_field_index(wr_type row, const char *name, size_t len)
{
    const wr_nested *d = wr_type_nested(row);
    for (int i = 0; i < d->nfields; i++)
        if (strlen(d->names[i]) == len && memcmp(d->names[i], name, len) == 0) return i;
    return -1;
}

int wr_type_depth(wr_type t)
{
    if (!wr_type_is_nested((wr_type_id)t.id)) return 0;
    const wr_nested *d = wr_type_nested(t);
    int depth = 0;
    for (int i = 0; i < d->nfields; i++) {
        int k = wr_type_depth(d->fields[i]);
        if (k > depth) depth = k;
    }
    return depth + 1;
}

/* ---- reading -----------------------------------------------------------------------------------
 */

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t x;
    memcpy(&x, p, 4);
    return x;
}

void wr_array_open(wr_array_reader *r, wr_type elem, wr_str value)
{
    const uint8_t *p = (const uint8_t *)value.ptr;
    r->elem = elem;
    r->n = get_u32(p);
    r->width = wr_type_width((wr_type_id)elem.id);
    r->view = wr_type_is_view((wr_type_id)elem.id);
    r->validity = p + 4;
    r->slots = r->validity + (r->n + 7) / 8;
    r->payload = r->view ? r->slots + 4 * ((size_t)r->n + 1) : NULL;
}

uint32_t wr_array_size(wr_str value)
{
    return get_u32((const uint8_t *)value.ptr);
}

bool wr_array_get(const wr_array_reader *r, uint32_t i, void *slot)
{
    if (!wr_array_present(r, i)) return false;
    if (r->view) {
        uint32_t from = get_u32(r->slots + 4 * (size_t)i);
        uint32_t to = get_u32(r->slots + 4 * ((size_t)i + 1));
        wr_str s = {(const char *)r->payload + from, to - from};
        memcpy(slot, &s, sizeof s);
    } else {
        memcpy(slot, r->slots + r->width * i, r->width);
    }
    return true;
}

uint32_t wr_map_size(wr_str value)
{
    return get_u32((const uint8_t *)value.ptr + 4);
}

wr_str wr_map_keys(wr_str value)
{
    uint32_t k = get_u32((const uint8_t *)value.ptr);
    return (wr_str){value.ptr + 4, k};
}

wr_str wr_map_values(wr_str value)
{
    uint32_t k = get_u32((const uint8_t *)value.ptr);
    return (wr_str){value.ptr + 4 + k, value.len - 4 - k};
}

bool wr_row_value_get(const wr_nested *row, wr_str value, int i, void *slot)
{
    const uint8_t *p = (const uint8_t *)value.ptr;
    if (!((p[i >> 3] >> (i & 7)) & 1)) return false;
    const uint8_t *s = p + (row->nfields + 7) / 8 + row->offsets[i];
    wr_type t = row->fields[i];
    if (wr_type_is_view((wr_type_id)t.id)) {
        const uint8_t *payload = p + (row->nfields + 7) / 8 + row->slots_size;
        wr_str v = {(const char *)payload + get_u32(s), get_u32(s + 4)};
        memcpy(slot, &v, sizeof v);
    } else {
        memcpy(slot, s, wr_type_width((wr_type_id)t.id));
    }
    return true;
}

/* ---- building ----------------------------------------------------------------------------------
 */

static void put_u32(uint8_t *p, uint32_t x)
{
    memcpy(p, &x, 4);
}

static void append_u32(wr_buf *out, uint32_t x)
{
    wr_buf_append(out, &x, 4);
}

/* Appends ceil(n/8) validity bytes. */
static void append_validity(wr_buf *out, uint32_t n, const bool *present)
{
    size_t nb = ((size_t)n + 7) / 8;
    uint8_t *v = (uint8_t *)wr_buf_reserve(out, nb);
    memset(v, 0, nb);
    for (uint32_t i = 0; i < n; i++)
        if (present == NULL || present[i]) v[i >> 3] |= (uint8_t)(1u << (i & 7));
    out->len += nb;
}

void wr_array_encode(wr_buf *out, wr_type elem, uint32_t n, const void *slots, const bool *present)
{
    size_t width = wr_type_width((wr_type_id)elem.id);
    append_u32(out, n);
    append_validity(out, n, present);
    const uint8_t *src = slots;
    if (!wr_type_is_view((wr_type_id)elem.id)) {
        uint8_t *dst = (uint8_t *)wr_buf_reserve(out, width * n);
        for (uint32_t i = 0; i < n; i++) {
            if (present == NULL || present[i])
                memcpy(dst + width * i, src + width * i, width);
            else
                memset(dst + width * i, 0, width);
        }
        out->len += width * n;
        return;
    }
    size_t at = out->len;
    uint8_t *offsets = (uint8_t *)wr_buf_reserve(out, 4 * ((size_t)n + 1));
    out->len += 4 * ((size_t)n + 1);
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        offsets = (uint8_t *)out->data + at; /* appending may move the buffer */
        put_u32(offsets + 4 * (size_t)i, off);
        if (present == NULL || present[i]) {
            wr_str s;
            memcpy(&s, src + width * i, sizeof s);
            wr_buf_append(out, s.ptr, s.len);
            off += s.len;
        }
    }
    put_u32((uint8_t *)out->data + at + 4 * (size_t)n, off);
}

void wr_map_encode(wr_buf *out, wr_type map, uint32_t n, const void *keys, const bool *keys_present,
                   const void *values, const bool *values_present)
{
    const wr_nested *d = wr_type_nested(map);
    size_t at = out->len;
    append_u32(out, 0);
    wr_array_encode(out, d->fields[0], n, keys, keys_present);
    put_u32((uint8_t *)out->data + at, (uint32_t)(out->len - at - 4));
    wr_array_encode(out, d->fields[1], n, values, values_present);
}

void wr_value_bytes(wr_type t, const void *slot, wr_buf *out)
{
    if (wr_type_is_view((wr_type_id)t.id)) {
        wr_str s;
        memcpy(&s, slot, sizeof s);
        wr_buf_append(out, s.ptr, s.len);
    } else {
        wr_buf_append(out, slot, wr_type_width((wr_type_id)t.id));
    }
}

/* Whether key slots i and j hold the same value (both absent counts as the same). */
static bool same_key(wr_type t, const uint8_t *keys, const bool *present, uint32_t i, uint32_t j)
{
    bool pi = present == NULL || present[i], pj = present == NULL || present[j];
    if (!pi || !pj) return pi == pj;
    size_t w = wr_type_width((wr_type_id)t.id);
    if (!wr_type_is_view((wr_type_id)t.id)) return memcmp(keys + w * i, keys + w * j, w) == 0;
    wr_str a, b;
    memcpy(&a, keys + w * i, sizeof a);
    memcpy(&b, keys + w * j, sizeof b);
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

uint32_t wr_map_dedup(wr_type map, uint32_t n, void *keys, bool *keys_present, void *values,
                      bool *values_present)
{
    const wr_nested *d = wr_type_nested(map);
    size_t kw = wr_type_width((wr_type_id)d->fields[0].id);
    size_t vw = wr_type_width((wr_type_id)d->fields[1].id);
    uint8_t *k = keys, *v = values;
    uint32_t m = 0;
    /* Quadratic, as map constructors are short; a repeated key overwrites the earlier value. */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = 0;
        while (j < m && !same_key(d->fields[0], k, keys_present, j, i)) j++;
        if (j == m) {
            if (j != i) {
                memmove(k + kw * j, k + kw * i, kw);
                if (keys_present) keys_present[j] = keys_present[i];
            }
            m++;
        }
        if (j != i) {
            memmove(v + vw * j, v + vw * i, vw);
            if (values_present) values_present[j] = values_present[i];
        }
    }
    return m;
}

void wr_row_value_encode(wr_buf *out, const wr_nested *row, const void *const *slots,
                         const bool *present)
{
    int n = row->nfields;
    append_validity(out, (uint32_t)n, present);
    size_t base = out->len;
    uint8_t *s = (uint8_t *)wr_buf_reserve(out, row->slots_size);
    memset(s, 0, row->slots_size);
    out->len += row->slots_size;
    uint32_t off = 0;
    for (int i = 0; i < n; i++) {
        if (present && !present[i]) continue;
        wr_type t = row->fields[i];
        uint8_t *slot = (uint8_t *)out->data + base + row->offsets[i];
        if (wr_type_is_view((wr_type_id)t.id)) {
            wr_str v;
            memcpy(&v, slots[i], sizeof v);
            put_u32(slot, off);
            put_u32(slot + 4, v.len);
            wr_buf_append(out, v.ptr, v.len);
            off += v.len;
        } else {
            memcpy(slot, slots[i], wr_type_width((wr_type_id)t.id));
        }
    }
}

/* ---- order -------------------------------------------------------------------------------------
 */

int wr_value_cmp(wr_type t, const void *a, const void *b)
{
    union {
        wr_int128 i128;
        wr_str s;
        int64_t i64;
        double f64;
        float f32;
        int32_t i32;
        int16_t i16;
        int8_t i8;
        uint8_t u8;
    } x, y;
    size_t w = wr_type_width((wr_type_id)t.id);
    memcpy(&x, a, w);
    memcpy(&y, b, w);
    switch ((wr_type_id)t.id) {
    case WR_TYPE_NULL:
        return 0;
    case WR_TYPE_BOOLEAN:
        return (x.u8 != 0) - (y.u8 != 0);
    case WR_TYPE_TINYINT:
        return (x.i8 > y.i8) - (x.i8 < y.i8);
    case WR_TYPE_SMALLINT:
        return (x.i16 > y.i16) - (x.i16 < y.i16);
    case WR_TYPE_INT:
    case WR_TYPE_DATE:
    case WR_TYPE_TIME:
    case WR_TYPE_INTERVAL_YM:
        return (x.i32 > y.i32) - (x.i32 < y.i32);
    case WR_TYPE_BIGINT:
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
    case WR_TYPE_INTERVAL_DT:
        return (x.i64 > y.i64) - (x.i64 < y.i64);
    case WR_TYPE_DECIMAL:
        return (x.i128 > y.i128) - (x.i128 < y.i128);
    case WR_TYPE_FLOAT:
    case WR_TYPE_DOUBLE: {
        double p = t.id == WR_TYPE_FLOAT ? x.f32 : x.f64, q = t.id == WR_TYPE_FLOAT ? y.f32 : y.f64;
        if (p < q) return -1;
        if (p > q) return 1;
        bool pn = p != p, qn = q != q;
        if (pn || qn) return (int)pn - (int)qn;
        return (int)signbit(q) - (int)signbit(p);
    }
    default: { /* strings, byte strings, nested values */
        uint32_t n = x.s.len < y.s.len ? x.s.len : y.s.len;
        int c = n ? memcmp(x.s.ptr, y.s.ptr, n) : 0;
        if (c) return c;
        return (x.s.len > y.s.len) - (x.s.len < y.s.len);
    }
    }
}

/* ---- text --------------------------------------------------------------------------------------
 */

/* The widest slot of any type (DECIMAL's 16 bytes, a view's wr_str). */
typedef union slot {
    wr_int128 i128;
    wr_str s;
    int64_t i64;
    double d;
} slot;

static void format_array(wr_type elem, wr_str value, int style, wr_value_format_fn fmt, wr_buf *out)
{
    wr_array_reader r;
    wr_array_open(&r, elem, value);
    wr_buf_putc(out, '[');
    for (uint32_t i = 0; i < r.n; i++) {
        if (i) wr_buf_puts(out, ", ");
        slot s;
        bool present = wr_array_get(&r, i, &s);
        fmt(elem, &s, present, style, out);
    }
    wr_buf_putc(out, ']');
}

/* Whether elements i and j of r are the same value (both NULL counts as the same). */
static bool same_elem(const wr_array_reader *r, uint32_t i, uint32_t j)
{
    slot a, b;
    bool pa = wr_array_get(r, i, &a), pb = wr_array_get(r, j, &b);
    if (!pa || !pb) return pa == pb;
    if (!r->view) return memcmp(&a, &b, r->width) == 0;
    return a.s.len == b.s.len && (a.s.len == 0 || memcmp(a.s.ptr, b.s.ptr, a.s.len) == 0);
}

/* {a=2, b=1}: each distinct element once, in the order it first occurs, with its count. */
static void format_multiset(wr_type elem, wr_str value, int style, wr_value_format_fn fmt,
                            wr_buf *out)
{
    wr_array_reader r;
    wr_array_open(&r, elem, value);
    wr_buf_putc(out, '{');
    bool first = true;
    for (uint32_t i = 0; i < r.n; i++) {
        bool seen = false;
        for (uint32_t k = 0; k < i && !seen; k++) seen = same_elem(&r, k, i);
        if (seen) continue;
        uint32_t count = 1;
        for (uint32_t k = i + 1; k < r.n; k++) count += same_elem(&r, i, k);
        if (!first) wr_buf_puts(out, ", ");
        first = false;
        slot s;
        bool present = wr_array_get(&r, i, &s);
        fmt(elem, &s, present, style, out);
        wr_buf_printf(out, "=%u", count);
    }
    wr_buf_putc(out, '}');
}

void wr_nested_format(wr_type t, wr_str value, int style, wr_value_format_fn fmt, wr_buf *out)
{
    const wr_nested *d = wr_type_nested(t);
    switch ((wr_type_id)t.id) {
    case WR_TYPE_ARRAY:
        format_array(d->fields[0], value, style, fmt, out);
        break;
    case WR_TYPE_MULTISET:
        format_multiset(d->fields[0], value, style, fmt, out);
        break;
    case WR_TYPE_MAP: {
        wr_array_reader k, v;
        wr_array_open(&k, d->fields[0], wr_map_keys(value));
        wr_array_open(&v, d->fields[1], wr_map_values(value));
        wr_buf_putc(out, '{');
        for (uint32_t i = 0; i < k.n; i++) {
            if (i) wr_buf_puts(out, ", ");
            slot s;
            bool present = wr_array_get(&k, i, &s);
            fmt(d->fields[0], &s, present, style, out);
            wr_buf_putc(out, '=');
            present = wr_array_get(&v, i, &s);
            fmt(d->fields[1], &s, present, style, out);
        }
        wr_buf_putc(out, '}');
        break;
    }
    case WR_TYPE_ROW:
        wr_buf_putc(out, '(');
        for (int i = 0; i < d->nfields; i++) {
            if (i) wr_buf_puts(out, ", ");
            slot s;
            bool present = wr_row_value_get(d, value, i, &s);
            fmt(d->fields[i], &s, present, style, out);
        }
        wr_buf_putc(out, ')');
        break;
    default:
        break;
    }
}
