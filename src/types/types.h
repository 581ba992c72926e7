/*
 * types.h — Weir's logical types and their physical representation.
 *
 * Every logical type maps to one fixed-width physical slot in a vector:
 *   BOOLEAN -> uint8_t (0/1)          TINYINT -> int8_t     SMALLINT -> int16_t
 *   INT     -> int32_t                BIGINT  -> int64_t    FLOAT    -> float
 *   DOUBLE  -> double                 CHAR/VARCHAR/STRING -> wr_str (view)
 *   DECIMAL(p, s) -> wr_int128, the unscaled value (1.50 in DECIMAL(5, 2) is 150)
 *   DATE          -> int32_t days since 1970-01-01
 *   TIME(p)       -> int32_t milliseconds of the day (digits past 3 are dropped)
 *   TIMESTAMP(p)  -> int64_t microseconds since 1970-01-01 00:00:00 (no zone)
 *   TIMESTAMP_LTZ(p) -> int64_t microseconds since the epoch (an instant, UTC)
 *   INTERVAL YEAR TO MONTH -> int32_t months; INTERVAL DAY TO SECOND -> int64_t ms
 *   BINARY/VARBINARY/BYTES -> wr_str (view of the bytes)
 *   ARRAY, MAP, MULTISET, ROW -> wr_str (view of the value's encoding, nested.h)
 * Strings and byte strings are views (pointer + length) into memory owned by
 * the batch that holds the vector, so copying a row copies only the view.
 */
#ifndef WR_TYPES_H
#define WR_TYPES_H

#include "../base/buf.h"
#include "../base/wr.h"

/*
 * The order matters: wr_type_common widens numbers towards the larger id
 * (TINYINT < ... < BIGINT < DECIMAL < FLOAT < DOUBLE). Ids are never stored
 * on disk, so new ones may be inserted.
 */
typedef enum wr_type_id {
    WR_TYPE_NULL = 0, /* the type of an untyped NULL literal; never stored */
    WR_TYPE_BOOLEAN,
    WR_TYPE_TINYINT,
    WR_TYPE_SMALLINT,
    WR_TYPE_INT,
    WR_TYPE_BIGINT,
    WR_TYPE_DECIMAL, /* DECIMAL(p, s): length = p (1..38), scale = s (0..p) */
    WR_TYPE_FLOAT,
    WR_TYPE_DOUBLE,
    WR_TYPE_CHAR,    /* CHAR(n) */
    WR_TYPE_VARCHAR, /* VARCHAR(n); STRING is VARCHAR(WR_VARCHAR_MAX) */
    WR_TYPE_TIMESTAMP,
    WR_TYPE_DATE,
    WR_TYPE_TIME,          /* TIME(p): length = p */
    WR_TYPE_TIMESTAMP_LTZ, /* TIMESTAMP_LTZ(p): length = p */
    WR_TYPE_INTERVAL_YM,   /* INTERVAL YEAR TO MONTH (Flink types it INTERVAL MONTH) */
    WR_TYPE_INTERVAL_DT,   /* INTERVAL DAY TO SECOND (Flink types it INTERVAL SECOND(3)) */
    WR_TYPE_BINARY,        /* BINARY(n): exactly n bytes */
    WR_TYPE_VARBINARY,     /* VARBINARY(n); BYTES is VARBINARY(WR_VARCHAR_MAX) */
    WR_TYPE_ARRAY,         /* ARRAY<T>: length = its descriptor's number (nested.h) */
    WR_TYPE_MAP,           /* MAP<K, V> */
    WR_TYPE_MULTISET,      /* MULTISET<T> */
    WR_TYPE_ROW,           /* ROW<name T, ...> */
    WR_TYPE_COUNT_
} wr_type_id;

#define WR_VARCHAR_MAX 2147483647
#define WR_DECIMAL_MAX_PRECISION 38

/* A DECIMAL's unscaled value (GCC/Clang's 128-bit integer). */
typedef __int128 wr_int128;

/* Small and passed by value. length comes before scale so that an initializer written before
 * DECIMAL existed ({id, nullable, length}) still means what it says. */
typedef struct wr_type {
    uint8_t id; /* wr_type_id */
    bool nullable;
    int32_t length; /* CHAR/VARCHAR/BINARY/VARBINARY length; DECIMAL precision; TIME, TIMESTAMP,
                       TIMESTAMP_LTZ precision (0..9); INTERVAL SECOND's fraction digits (3) */
    int16_t scale;  /* DECIMAL scale; 0 otherwise */
    /* A time attribute (wr_time_attr): a TIMESTAMP(3) or TIMESTAMP_LTZ(3) column that
     * event time (a table's WATERMARK FOR column) or processing time (PROCTIME()) is read
     * from. A plain column reference keeps it; any computation on the value drops it. Not
     * part of the type's identity: wr_type_equal ignores it. */
    uint8_t attr;
} wr_type;

typedef enum wr_time_attr {
    WR_ATTR_NONE = 0,
    WR_ATTR_ROWTIME,  /* Flink's *ROWTIME* */
    WR_ATTR_PROCTIME, /* Flink's *PROCTIME* */
} wr_time_attr;

typedef struct wr_str {
    const char *ptr;
    uint32_t len;
} wr_str;

/* A type with Flink's default parameters: CHAR(1), STRING, DECIMAL(10, 0), TIME(0),
 * TIMESTAMP(3) (Weir's default; Flink's is 6), TIMESTAMP_LTZ(6), BINARY(1), BYTES. */
static inline wr_type wr_type_make(wr_type_id id, bool nullable)
{
    wr_type t = {(uint8_t)id, nullable, 0, 0, 0};
    switch (id) {
    case WR_TYPE_VARCHAR:
    case WR_TYPE_VARBINARY:
        t.length = WR_VARCHAR_MAX;
        break;
    case WR_TYPE_CHAR:
    case WR_TYPE_BINARY:
        t.length = 1;
        break;
    case WR_TYPE_TIMESTAMP:
        t.length = 3;
        break;
    case WR_TYPE_TIMESTAMP_LTZ:
        t.length = 6;
        break;
    case WR_TYPE_DECIMAL:
        t.length = 10;
        break;
    case WR_TYPE_INTERVAL_DT:
        t.length = 3;
        break;
    default:
        break;
    }
    return t;
}

/* DECIMAL(precision, scale). */
static inline wr_type wr_type_decimal(int precision, int scale, bool nullable)
{
    wr_type t = {(uint8_t)WR_TYPE_DECIMAL, nullable, precision, (int16_t)scale, 0};
    return t;
}

/* Bytes of one physical slot: a table lookup, as it runs per column on every copy path. */
extern const uint8_t wr_type_widths[WR_TYPE_COUNT_];
static inline size_t wr_type_width(wr_type_id id)
{
    return (unsigned)id < WR_TYPE_COUNT_ ? wr_type_widths[id] : 8;
}

/* Character strings (CHAR, VARCHAR, STRING). */
static inline bool wr_type_is_string(wr_type_id id)
{
    return id == WR_TYPE_CHAR || id == WR_TYPE_VARCHAR;
}
/* Byte strings (BINARY, VARBINARY, BYTES). */
static inline bool wr_type_is_binary(wr_type_id id)
{
    return id == WR_TYPE_BINARY || id == WR_TYPE_VARBINARY;
}
/* Types whose slots are wr_str views into a batch's memory: copy their bytes, not the slot.
 * Strings, byte strings and the nested types (ARRAY, MAP, MULTISET, ROW; nested.h). */
static inline bool wr_type_is_view(wr_type_id id)
{
    return wr_type_is_string(id) || wr_type_is_binary(id) ||
           (id >= WR_TYPE_ARRAY && id <= WR_TYPE_ROW);
}
/* DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ. */
static inline bool wr_type_is_datetime(wr_type_id id)
{
    return id == WR_TYPE_DATE || id == WR_TYPE_TIME || id == WR_TYPE_TIMESTAMP ||
           id == WR_TYPE_TIMESTAMP_LTZ;
}
static inline bool wr_type_is_interval(wr_type_id id)
{
    return id == WR_TYPE_INTERVAL_YM || id == WR_TYPE_INTERVAL_DT;
}
static inline bool wr_type_is_integer(wr_type_id id)
{
    return id >= WR_TYPE_TINYINT && id <= WR_TYPE_BIGINT;
}
/* Integers, DECIMAL, FLOAT and DOUBLE. */
static inline bool wr_type_is_numeric(wr_type_id id)
{
    return id >= WR_TYPE_TINYINT && id <= WR_TYPE_DOUBLE;
}
/* Integers and DECIMAL (Flink's EXACT_NUMERIC). */
static inline bool wr_type_is_exact(wr_type_id id)
{
    return id >= WR_TYPE_TINYINT && id <= WR_TYPE_DECIMAL;
}
/* The DECIMAL an integer type converts to without loss: TINYINT DECIMAL(3, 0), SMALLINT (5, 0),
 * INT (10, 0), BIGINT (19, 0); a DECIMAL stays itself. */
wr_type wr_type_as_decimal(wr_type t);

/* Flink's spelling: INT, BIGINT, STRING, VARCHAR(10), DECIMAL(10, 2), DATE, TIME(0),
 * TIMESTAMP(3), TIMESTAMP_LTZ(3), INTERVAL MONTH, INTERVAL SECOND(3), BYTES, BINARY(4), ...
 * "NOT NULL" when not nullable. */
void wr_type_format(wr_type type, wr_buf *out);
/* Same as wr_type_format into a static-free caller buffer; returns buf. */
const char *wr_type_name(wr_type type, char *buf, size_t size);

/* True when the two types are the same, parameters and nullability included. */
bool wr_type_equal(wr_type a, wr_type b);

/*
 * The common type two operands are widened to for comparison, CASE and
 * VALUES (Flink's LogicalTypeMerging): integers widen to the wider integer,
 * integers with DECIMAL to a DECIMAL with room for both (INT as DECIMAL(10, 0)),
 * anything with FLOAT/DOUBLE to DOUBLE (FLOAT with FLOAT stays FLOAT), strings
 * to STRING, byte strings to BYTES; DATE with TIMESTAMP is TIMESTAMP,
 * TIMESTAMP with TIMESTAMP_LTZ is TIMESTAMP_LTZ, each with the larger
 * precision; an interval only with an interval of its kind. Strings never
 * widen to numbers or times here (comparisons of a string with a time are
 * handled by the binder). Returns false when the types have no common type.
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

/* As wr_timestamp_format_iso for an instant: Java's Instant.toString(), always with seconds and a
 * 'Z' ('2024-01-01T10:00:00Z', '...T10:00:00.500Z'); TIMESTAMP_LTZ in the print sink. */
void wr_timestamp_format_instant(int64_t micros, wr_buf *out);

/* Drops the digits of micros past precision (0..9) towards negative infinity, as Flink does when a
 * timestamp is cast to a smaller precision. */
int64_t wr_timestamp_truncate(int64_t micros, int precision);

/* ---- dates and times ------------------------------------------------------ */

#define WR_MICROS_PER_DAY 86400000000LL
#define WR_MILLIS_PER_DAY 86400000

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t wr_days_from_civil(int64_t year, int month, int day);
void wr_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
/* Days in the month (1..12) of the year. */
int wr_days_in_month(int64_t year, int month);

/* Parses 'yyyy-MM-dd' (month and day may have one digit; blanks around are ignored). Returns 0 or
 * -1 when the text is not a valid date. */
int wr_date_parse(const char *s, size_t len, int32_t *days);
/* 'yyyy-MM-dd' (SQL style and Java's LocalDate.toString()). */
void wr_date_format(int32_t days, wr_buf *out);

/* Parses 'HH:mm[:ss[.fffffffff]]' into milliseconds of the day (digits past 3 are dropped).
 * Returns 0 or -1 when the text is not a valid time. */
int wr_time_parse(const char *s, size_t len, int32_t *millis);
/* 'HH:mm:ss' with precision (0..9) fraction digits (SQL style, CAST to STRING). */
void wr_time_format_sql(int32_t millis, int precision, wr_buf *out);
/* Java's LocalTime.toString(): '12:00', '12:00:01', '12:00:01.500' (print sink style). */
void wr_time_format_java(int32_t millis, wr_buf *out);

/* ---- intervals -------------------------------------------------------------- */

/* Flink's SQL text of intervals: '+1-02' (years-months), '+1 02:03:04.000' (days, time). */
void wr_interval_ym_format(int32_t months, wr_buf *out);
void wr_interval_dt_format(int64_t millis, wr_buf *out);
/* Java's Period.toString() and Duration.toString(): 'P1Y2M', 'PT26H3M4S' (print sink style). */
void wr_interval_ym_format_java(int32_t months, wr_buf *out);
void wr_interval_dt_format_java(int64_t millis, wr_buf *out);

/* ---- byte strings ----------------------------------------------------------- */

/* x'0aff' (SQL style, as Flink's SQL client prints BYTES). */
void wr_bytes_format_sql(const char *p, size_t len, wr_buf *out);
/* Java's Arrays.toString(byte[]): '[10, -1]' (print sink style). */
void wr_bytes_format_java(const char *p, size_t len, wr_buf *out);
/* Base64 (RFC 4648, with padding), as Jackson writes bytes in CSV and JSON. */
void wr_base64_encode(const char *p, size_t len, wr_buf *out);
/* Decodes base64 text (padding optional) into dst, which has room for len * 3 / 4 + 3 bytes.
 * Returns the byte count, or -1 when the text is not base64. */
ptrdiff_t wr_base64_decode(const char *s, size_t len, char *dst);

#endif
