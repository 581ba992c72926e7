/*
 * types.h — Weir's logical types and their physical representation.
 *
 * Every logical type maps to one fixed-width physical slot in a vector:
 *   BOOLEAN -> uint8_t (0/1)          TINYINT -> int8_t     SMALLINT -> int16_t
 *   INT     -> int32_t                BIGINT  -> int64_t    FLOAT    -> float
 *   DOUBLE  -> double                 CHAR/VARCHAR/STRING -> wr_str (view)
 *   TIMESTAMP(p) -> int64_t microseconds since 1970-01-01 00:00:00 (no zone)
 * Strings are views (pointer + length) into memory owned by the batch that
 * holds the vector, so copying a row copies only the view.
 */
#ifndef WR_TYPES_H
#define WR_TYPES_H

#include "../base/buf.h"
#include "../base/wr.h"

typedef enum wr_type_id {
    WR_TYPE_NULL = 0, /* the type of an untyped NULL literal; never stored */
    WR_TYPE_BOOLEAN,
    WR_TYPE_TINYINT,
    WR_TYPE_SMALLINT,
    WR_TYPE_INT,
    WR_TYPE_BIGINT,
    WR_TYPE_FLOAT,
    WR_TYPE_DOUBLE,
    WR_TYPE_CHAR,    /* CHAR(n) */
    WR_TYPE_VARCHAR, /* VARCHAR(n); STRING is VARCHAR(WR_VARCHAR_MAX) */
    WR_TYPE_TIMESTAMP,
    WR_TYPE_COUNT_
} wr_type_id;

#define WR_VARCHAR_MAX 2147483647

typedef struct wr_type {
    uint8_t id; /* wr_type_id */
    bool nullable;
    int32_t length; /* CHAR/VARCHAR length; TIMESTAMP precision (0..9) */
} wr_type;

typedef struct wr_str {
    const char *ptr;
    uint32_t len;
} wr_str;

static inline wr_type wr_type_make(wr_type_id id, bool nullable)
{
    wr_type t = {(uint8_t)id, nullable, 0};
    if (id == WR_TYPE_VARCHAR) t.length = WR_VARCHAR_MAX;
    if (id == WR_TYPE_CHAR) t.length = 1;
    if (id == WR_TYPE_TIMESTAMP) t.length = 3;
    return t;
}

/* Bytes of one physical slot. */
size_t wr_type_width(wr_type_id id);

static inline bool wr_type_is_string(wr_type_id id)
{
    return id == WR_TYPE_CHAR || id == WR_TYPE_VARCHAR;
}
static inline bool wr_type_is_integer(wr_type_id id)
{
    return id >= WR_TYPE_TINYINT && id <= WR_TYPE_BIGINT;
}
static inline bool wr_type_is_numeric(wr_type_id id)
{
    return id >= WR_TYPE_TINYINT && id <= WR_TYPE_DOUBLE;
}

/* Flink's spelling: INT, BIGINT, STRING, VARCHAR(10), TIMESTAMP(3), ... "NOT NULL" when not
 * nullable. */
void wr_type_format(wr_type type, wr_buf *out);
/* Same as wr_type_format into a static-free caller buffer; returns buf. */
const char *wr_type_name(wr_type type, char *buf, size_t size);

/* True when values of the two types can be compared or combined after implicit widening. */
bool wr_type_equal(wr_type a, wr_type b);

/*
 * The common type two operands are widened to for arithmetic and comparison
 * (Flink's rules for the types here: integers widen to the wider integer, any
 * integer with FLOAT/DOUBLE widens to DOUBLE, strings to STRING). Returns false
 * when the types have no common type.
 */
bool wr_type_common(wr_type a, wr_type b, wr_type *out);

/* ---- timestamps --------------------------------------------------------- */

/*
 * Parses 'yyyy-MM-dd[ HH:mm[:ss[.fffffffff]]]' (also with 'T') into micros.
 * Returns 0 on success, -1 when the text is not a timestamp.
 */
int wr_timestamp_parse(const char *s, size_t len, int64_t *micros);
/* 'yyyy-MM-dd HH:mm:ss[.fff]' with precision fractional digits (SQL style, CAST to STRING). */
void wr_timestamp_format_sql(int64_t micros, int precision, wr_buf *out);
/* As wr_timestamp_format_sql with microseconds, without trailing fraction zeros ("...:05.1"). */
void wr_timestamp_format_short(int64_t micros, wr_buf *out);
/* Java's LocalDateTime.toString(): '2024-01-01T10:00', '...T10:00:01.5' (print sink style). */
void wr_timestamp_format_iso(int64_t micros, wr_buf *out);

/* Java's Double.toString() / Float.toString() spelling, used by the print sink. */
void wr_double_format_java(double v, bool is_float, wr_buf *out);

#endif
