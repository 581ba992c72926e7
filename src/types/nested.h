/*
 * nested.h — ARRAY, MAP, MULTISET and ROW: their types and their values.
 *
 * Types. A nested type is a wr_type whose id is WR_TYPE_ARRAY, _MAP,
 * _MULTISET or _ROW and whose `length` is the number of an interned
 * descriptor (wr_nested) holding the element, key and value, or field types
 * and the field names. Interning makes equal types have equal numbers, so
 * wr_type stays small, is passed by value and compares with wr_type_equal.
 * Descriptors live for the whole process and may be read from any thread.
 *
 * Values. A nested value is one self-contained byte string (a wr_str slot,
 * like VARCHAR: wr_type_is_view() holds), so batches, hashing, equality of
 * keys, the row codec and state handle nested values as they handle strings.
 * The encoding is canonical (one value, one encoding; NULL elements are
 * zeroed) and gives O(1) access to an element or a field. Integers are
 * little-endian and unaligned (read with memcpy):
 *
 *   ARRAY<T>  u32 n | validity, ceil(n/8) bytes (bit set = present) |
 *             T fixed-width: n slots of wr_type_width(T) bytes
 *             T a view:      n+1 u32 offsets into the payload | payload
 *   MULTISET<T> the ARRAY<T> of its elements, each as often as it occurs
 *   MAP<K, V> u32 k | the ARRAY<K> of the keys (k bytes) | the ARRAY<V> of the values
 *   ROW<f...> validity of the fields, ceil(nfields/8) bytes | one slot per
 *             field at a fixed offset (wr_nested.offsets): fixed-width fields
 *             inline, view fields as u32 offset into the payload + u32 length |
 *             payload
 *
 * A map keeps the order its entries were built in; a key occurs once (the
 * builders of MAP[...] keep the last value of a repeated key).
 */
#ifndef WR_NESTED_H
#define WR_NESTED_H

#include "types.h"

typedef struct wr_nested {
    uint8_t id;  /* WR_TYPE_ARRAY, WR_TYPE_MAP, WR_TYPE_MULTISET or WR_TYPE_ROW */
    int nfields; /* ARRAY and MULTISET 1 (the element), MAP 2 (key, value), ROW its fields */
    const wr_type *fields;
    const char *const *names; /* ROW: the field names; NULL otherwise */
    /* ROW: the byte offset of each field's slot after the validity bytes, and the size of all
     * slots (where the payload starts) */
    const uint32_t *offsets;
    uint32_t slots_size;
} wr_nested;

/* Most nesting levels a type may have (ARRAY<ARRAY<...>>); deeper types are refused. */
#define WR_NESTED_MAX_DEPTH 32
/* Most fields of a ROW. */
#define WR_ROW_MAX_FIELDS 4096

/* ARRAY<elem>, MULTISET<elem>, MAP<key, value>. */
wr_type wr_type_array(wr_type elem, bool nullable);
wr_type wr_type_multiset(wr_type elem, bool nullable);
wr_type wr_type_map(wr_type key, wr_type value, bool nullable);
/*
 * ROW<names[0] types[0], ...>. n is 1..WR_ROW_MAX_FIELDS (the binder checks names for
 * duplicates and the count before calling). The names are copied.
 */
wr_type wr_type_row(const wr_type *types, const char *const *names, int n, bool nullable);

static inline bool wr_type_is_nested(wr_type_id id)
{
    return id == WR_TYPE_ARRAY || id == WR_TYPE_MAP || id == WR_TYPE_MULTISET || id == WR_TYPE_ROW;
}
/* The descriptor of a nested type (t.id must be nested). */
const wr_nested *wr_type_nested(wr_type t);
/* ARRAY's and MULTISET's element type; MAP's key and value types. */
static inline wr_type wr_type_elem(wr_type t)
{
    return wr_type_nested(t)->fields[0];
}
static inline wr_type wr_type_map_value(wr_type t)
{
    return wr_type_nested(t)->fields[1];
}
/* The index of a ROW's field by name (case-sensitive), or -1. */
int wr_row_field_index(wr_type row, const char *name, size_t len);
/* Levels of nesting: 0 for a scalar, 1 for ARRAY<INT>, 2 for ARRAY<ROW<a INT>>, ... */
int wr_type_depth(wr_type t);

/* ---- reading values --------------------------------------------------------------------- */

/* An ARRAY or MULTISET value opened for reading; elements by position from 0. */
typedef struct wr_array_reader {
    wr_type elem;
    uint32_t n;
    size_t width;            /* wr_type_width(elem) */
    bool view;               /* elements are views: offsets + payload */
    const uint8_t *validity; /* ceil(n/8) bytes */
    const uint8_t *slots;    /* fixed-width: n slots; views: n+1 u32 offsets */
    const uint8_t *payload;  /* views only */
} wr_array_reader;

void wr_array_open(wr_array_reader *r, wr_type elem, wr_str value);
/* The number of elements of an ARRAY or MULTISET value (each occurrence counts). */
uint32_t wr_array_size(wr_str value);
/* Whether element i (< n) is present; its slot is written to *slot (width bytes; a view's
 * slot points into the value) when present. */
bool wr_array_get(const wr_array_reader *r, uint32_t i, void *slot);
static inline bool wr_array_present(const wr_array_reader *r, uint32_t i)
{
    return (r->validity[i >> 3] >> (i & 7)) & 1;
}

/* A MAP value: the number of entries and its key and value arrays (views into value). */
uint32_t wr_map_size(wr_str value);
wr_str wr_map_keys(wr_str value);
wr_str wr_map_values(wr_str value);

/* Whether field i of a ROW value is present; its slot is written to *slot when present. */
bool wr_row_value_get(const wr_nested *row, wr_str value, int i, void *slot);

/* ---- building values -------------------------------------------------------------------- */

/*
 * Appends the encoding of an ARRAY (or MULTISET) of n elements of type elem to out:
 * slots holds n slots of wr_type_width(elem) bytes, present[i] whether element i is
 * present (NULL: all are).
 */
void wr_array_encode(wr_buf *out, wr_type elem, uint32_t n, const void *slots, const bool *present);
/* Appends a MAP of n entries (keys must be distinct; see wr_map_encode_dedup). */
void wr_map_encode(wr_buf *out, wr_type map, uint32_t n, const void *keys, const bool *keys_present,
                   const void *values, const bool *values_present);
/*
 * Removes repeated keys in place, keeping each key's first position and its last value (as
 * MAP['a', 1, 'a', 2] is {a=2}); returns the new count. Keys compare by their encoded bytes.
 */
uint32_t wr_map_dedup(wr_type map, uint32_t n, void *keys, bool *keys_present, void *values,
                      bool *values_present);
/*
 * Appends a ROW: field i's slot is at slots[i] (a pointer to wr_type_width(field) bytes),
 * present[i] whether it is present.
 */
void wr_row_value_encode(wr_buf *out, const wr_nested *row, const void *const *slots,
                         const bool *present);

/* Appends the encoding of a one-slot value of type t that is present (the bytes a view
 * element takes in the payload, a fixed-width slot as it is). Used for comparing keys. */
void wr_value_bytes(wr_type t, const void *slot, wr_buf *out);

/*
 * A total order of two present values of type t (slots as in vectors): numbers, times and
 * booleans by value (Java's Double.compare for FLOAT and DOUBLE: -0.0 before 0.0, NaN last),
 * DECIMALs of the type's scale by value, strings, byte strings and nested values by their bytes.
 * Returns <0, 0 or >0. Nested values have no order in SQL; this one makes a MULTISET's
 * encoding canonical.
 */
int wr_value_cmp(wr_type t, const void *a, const void *b);

/* ---- text --------------------------------------------------------------------------------- */

/*
 * Appends the text of a nested value as CAST(... AS STRING) gives it in Flink:
 * [1, 2, NULL], {a=1, b=2}, (1, abc), and a MULTISET as a map of its elements to their counts,
 * {a=2, b=1}. Elements are written with element_format, which is
 * wr_vector_format's text of one value (batch.c passes itself, keeping this layer free of
 * vectors).
 */
typedef void (*wr_value_format_fn)(wr_type t, const void *slot, bool present, int style,
                                   wr_buf *out);
void wr_nested_format(wr_type t, wr_str value, int style, wr_value_format_fn element_format,
                      wr_buf *out);

#endif
