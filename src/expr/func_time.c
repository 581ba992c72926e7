/*
 * func_time.c — built-in time functions (functions.h): the current time,
 * EXTRACT and its short forms (YEAR, HOUR, ...), TIMESTAMPADD, TIMESTAMPDIFF,
 * DATE_FORMAT, TO_DATE, TO_TIMESTAMP, TO_TIMESTAMP_LTZ, UNIX_TIMESTAMP,
 * FROM_UNIXTIME and CONVERT_TZ, with Flink's types and NULL rules.
 *
 * The session time zone is UTC: TIMESTAMP_LTZ values, CURRENT_DATE and
 * friends are read and written in UTC. Date-time patterns are Java's
 * DateTimeFormatter letters (which Flink uses; the common ones agree with
 * SimpleDateFormat); a constant pattern is checked when the call is bound.
 * Named time zones (CONVERT_TZ) are read from the system's tz database
 * (/usr/share/zoneinfo), fixed offsets ('GMT+08:00', '+08:00') need none.
 */
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../types/decimal.h"
#include "functions.h"
#include "kernels.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MICROS_PER_MS 1000LL
#define MICROS_PER_SECOND 1000000LL

/* ---- binding helpers ---------------------------------------------------------- */

static void free_args(wr_expr **args, int nargs)
{
    for (int i = 0; i < nargs; i++) wr_expr_free(args[i]);
    wr_free(args);
}

/* Fails the bind of def: frees args, sets err at pos with the message and the signature. */
static wr_expr *WR_PRINTF(6, 7) fail(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                     wr_error *err, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wr_error_set_at(err, WR_ERR_VALIDATION, pos, "%s: %s; usage: %s", def->name, msg,
                    def->signature);
    free_args(args, nargs);
    return NULL;
}

/* "argument 2 of type INT" style message for a wrong argument type. */
static wr_expr *bad_arg(const wr_func_def *def, wr_expr **args, int nargs, int i, int pos,
                        wr_error *err)
{
    char t[64];
    return fail(def, args, nargs, pos, err, "argument %d has type %s", i + 1,
                wr_type_name(args[i]->type, t, sizeof(t)));
}

static bool is_text(const wr_expr *e)
{
    return wr_type_is_string(e->type.id) || e->type.id == WR_TYPE_NULL;
}

/* The constant string of e (NUL-terminated copy in buf), or NULL when e is not one. */
static const char *const_text(const wr_expr *e, char *buf, size_t size)
{
    if (e->kind != WR_EXPR_CONST || !wr_type_is_string(e->type.id) ||
        wr_vector_is_null(&e->cvec, 0))
        return NULL;
    wr_str s = ((const wr_str *)e->cvec.data)[0];
    snprintf(buf, size, "%.*s", (int)s.len, s.ptr);
    return buf;
}

/* Casts args[i] to type t when it has another type (implicit cast); false with err on failure. */
static bool coerce(wr_expr **args, int i, wr_type t, wr_error *err)
{
    t.nullable = args[i]->type.nullable || args[i]->type.id == WR_TYPE_NULL;
    if (wr_type_equal(args[i]->type, t)) return true;
    wr_expr *c = wr_expr_cast(args[i], t, false, args[i]->pos, err);
    args[i] = c;
    return c != NULL;
}

static bool any_nullable(wr_expr *const *args, int nargs)
{
    for (int i = 0; i < nargs; i++)
        if (args[i]->type.nullable || args[i]->type.id == WR_TYPE_NULL) return true;
    return false;
}

/* ---- values -------------------------------------------------------------------- */

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static inline int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* A DATE, TIME, TIMESTAMP or TIMESTAMP_LTZ value as micros since 1970-01-01 00:00 (UTC). */
static int64_t load_micros(const wr_vector *v, int r)
{
    switch (v->type.id) {
    case WR_TYPE_DATE:
        return (int64_t)((const int32_t *)v->data)[r] * WR_MICROS_PER_DAY;
    case WR_TYPE_TIME:
        return (int64_t)((const int32_t *)v->data)[r] * MICROS_PER_MS;
    default:
        return ((const int64_t *)v->data)[r];
    }
}

/* Stores micros into a DATE, TIME, TIMESTAMP or TIMESTAMP_LTZ slot (truncating to its precision).
 */
static void store_micros(wr_vector *v, int r, int64_t us)
{
    switch (v->type.id) {
    case WR_TYPE_DATE:
        ((int32_t *)v->data)[r] = (int32_t)floor_div(us, WR_MICROS_PER_DAY);
        break;
    case WR_TYPE_TIME: {
        int64_t ms = floor_div(floor_mod(us, WR_MICROS_PER_DAY), MICROS_PER_MS);
        int p = v->type.length;
        ((int32_t *)v->data)[r] = (int32_t)(p >= 3 ? ms
                                                   : ms - ms % (p == 2   ? 10
                                                                : p == 1 ? 100
                                                                         : 1000));
        break;
    }
    default:
        ((int64_t *)v->data)[r] = wr_timestamp_truncate(us, v->type.length);
        break;
    }
}

static int64_t load_int64(const wr_vector *v, int r)
{
    switch (wr_type_width(v->type.id)) {
    case 1:
        return ((const int8_t *)v->data)[r];
    case 2:
        return ((const int16_t *)v->data)[r];
    case 4:
        return ((const int32_t *)v->data)[r];
    default:
        return ((const int64_t *)v->data)[r];
    }
}

static wr_str arena_str(wr_eval *ev, const wr_buf *b)
{
    char *p = wr_arena_alloc(ev->arena, b->len ? b->len : 1);
    memcpy(p, b->data, b->len);
    return (wr_str){p, (uint32_t)b->len};
}

/* Fields of a point in time. */
typedef struct civil {
    int64_t year;
    int month, day, hour, minute, second, micros;
    int64_t days; /* since 1970-01-01 */
} civil;

static civil to_civil(int64_t us)
{
    civil c;
    c.days = floor_div(us, WR_MICROS_PER_DAY);
    int64_t rem = us - c.days * WR_MICROS_PER_DAY;
    wr_civil_from_days(c.days, &c.year, &c.month, &c.day);
    int64_t secs = rem / MICROS_PER_SECOND;
    c.micros = (int)(rem % MICROS_PER_SECOND);
    c.hour = (int)(secs / 3600);
    c.minute = (int)(secs / 60 % 60);
    c.second = (int)(secs % 60);
    return c;
}

/* 1 (Monday) .. 7 (Sunday). */
static int iso_weekday(int64_t days)
{
    return (int)floor_mod(days + 3, 7) + 1; /* 1970-01-01 was a Thursday */
}

/* ISO 8601 week number (1..53) and its week-based year. */
static int iso_week(int64_t days, int64_t *week_year)
{
    int64_t y;
    int m, d;
    wr_civil_from_days(days, &y, &m, &d);
    /* The Thursday of this week decides the year; week 1 holds January 4th. */
    int64_t thursday = days - iso_weekday(days) + 4;
    int64_t ty;
    wr_civil_from_days(thursday, &ty, &m, &d);
    *week_year = ty;
    return (int)((thursday - wr_days_from_civil(ty, 1, 1)) / 7 + 1);
}

/* The day `months` months after `days`, clamped to the month's end (as Java's plusMonths). */
static int64_t add_months(int64_t days, int64_t months)
{
    int64_t y;
    int m, d;
    wr_civil_from_days(days, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + months;
    int64_t ny = floor_div(total, 12);
    int nm = (int)(total - ny * 12) + 1;
    int dim = wr_days_in_month(ny, nm);
    return wr_days_from_civil(ny, nm, d > dim ? dim : d);
}

/* ---- the current time ------------------------------------------------------------ */

/*
 * CURRENT_DATE, CURRENT_TIME, LOCALTIME, CURRENT_TIMESTAMP, NOW(), LOCALTIMESTAMP,
 * CURRENT_ROW_TIMESTAMP(): the wall clock (milliseconds) when the batch is evaluated, in the
 * result's type.
 */
static int now_kernel(WR_KERNEL_ARGS)
{
    int64_t us = wr_clock_wall_ms() * MICROS_PER_MS;
    if (out->type.id == WR_TYPE_TIME) us -= floor_mod(us, MICROS_PER_SECOND); /* TIME(0) */
    WR_FOR_ROWS(store_micros(out, r, us));
    return 0;
}

static wr_expr *bind_now(const wr_func_def *def, wr_expr **args, int nargs, int pos, wr_error *err)
{
    wr_type t = *(const wr_type *)def->data;
    return wr_expr_call_kernel(def->name, now_kernel, NULL, NULL, args, nargs, t, pos);
}

static const wr_type type_date = {WR_TYPE_DATE, false, 0, 0};
static const wr_type type_time0 = {WR_TYPE_TIME, false, 0, 0};
static const wr_type type_ts3 = {WR_TYPE_TIMESTAMP, false, 3, 0};
static const wr_type type_ltz3 = {WR_TYPE_TIMESTAMP_LTZ, false, 3, 0};
/* PROCTIME(): the wall clock as a processing-time attribute (windows and OVER can use it). */
static const wr_type type_proctime = {WR_TYPE_TIMESTAMP_LTZ, false, 3, 0, WR_ATTR_PROCTIME};

/* UNIX_TIMESTAMP(): seconds since the epoch. */
static int unix_now_kernel(WR_KERNEL_ARGS)
{
    int64_t s = floor_div(wr_clock_wall_ms(), 1000);
    WR_FOR_ROWS(((int64_t *)out->data)[r] = s);
    return 0;
}

/* ---- EXTRACT ----------------------------------------------------------------------- */

typedef enum time_unit {
    U_YEAR,
    U_QUARTER,
    U_MONTH,
    U_WEEK,
    U_DAY,
    U_DOY,
    U_DOW,
    U_ISODOW,
    U_ISOYEAR,
    U_HOUR,
    U_MINUTE,
    U_SECOND,
    U_MILLISECOND,
    U_MICROSECOND,
    U_NANOSECOND,
    U_EPOCH,
    U_DECADE,
    U_CENTURY,
    U_MILLENNIUM,
    U_COUNT_
} time_unit;

static const char *const unit_names[U_COUNT_] = {
    "YEAR",       "QUARTER", "MONTH",  "WEEK",    "DAY",        "DOY",         "DOW",
    "ISODOW",     "ISOYEAR", "HOUR",   "MINUTE",  "SECOND",     "MILLISECOND", "MICROSECOND",
    "NANOSECOND", "EPOCH",   "DECADE", "CENTURY", "MILLENNIUM",
};

static int find_unit(const char *name)
{
    for (int i = 0; i < U_COUNT_; i++)
        if (strcasecmp(name, unit_names[i]) == 0) return i;
    return -1;
}

/* A field of a point in time (micros since the epoch), as Calcite defines EXTRACT. */
static int64_t extract_point(time_unit u, int64_t us)
{
    civil c = to_civil(us);
    int64_t wy;
    switch (u) {
    case U_YEAR:
        return c.year;
    case U_QUARTER:
        return (c.month - 1) / 3 + 1;
    case U_MONTH:
        return c.month;
    case U_WEEK:
        return iso_week(c.days, &wy);
    case U_DAY:
        return c.day;
    case U_DOY:
        return c.days - wr_days_from_civil(c.year, 1, 1) + 1;
    case U_DOW:
        return iso_weekday(c.days) % 7 + 1; /* 1 Sunday .. 7 Saturday */
    case U_ISODOW:
        return iso_weekday(c.days);
    case U_ISOYEAR:
        iso_week(c.days, &wy);
        return wy;
    case U_HOUR:
        return c.hour;
    case U_MINUTE:
        return c.minute;
    case U_SECOND:
        return c.second;
    case U_MILLISECOND:
        return c.second * 1000LL + c.micros / 1000;
    case U_MICROSECOND:
        return c.second * MICROS_PER_SECOND + c.micros;
    case U_NANOSECOND:
        return (c.second * MICROS_PER_SECOND + c.micros) * 1000;
    case U_EPOCH:
        return floor_div(us, MICROS_PER_SECOND);
    case U_DECADE:
        return floor_div(c.year, 10);
    case U_CENTURY:
        return c.year > 0 ? (c.year + 99) / 100 : -((99 - c.year) / 100);
    case U_MILLENNIUM:
        return c.year > 0 ? (c.year + 999) / 1000 : -((999 - c.year) / 1000);
    case U_COUNT_:
        break;
    }
    return 0;
}

/* A field of an interval: months (INTERVAL MONTH) or milliseconds (INTERVAL SECOND). */
static int64_t extract_interval(time_unit u, bool months, int64_t v)
{
    if (months) {
        switch (u) {
        case U_YEAR:
            return v / 12;
        case U_QUARTER:
            return v % 12 / 3 + (v % 12 >= 0 ? 1 : -1);
        case U_MONTH:
            return v % 12;
        default:
            return 0;
        }
    }
    switch (u) {
    case U_DAY:
        return v / WR_MILLIS_PER_DAY;
    case U_HOUR:
        return v / 3600000 % 24;
    case U_MINUTE:
        return v / 60000 % 60;
    case U_SECOND:
        return v / 1000 % 60;
    case U_MILLISECOND:
        return v % 60000;
    case U_MICROSECOND:
        return v % 60000 * 1000;
    case U_EPOCH:
        return v / 1000;
    default:
        return 0;
    }
}

static int extract_kernel(WR_KERNEL_ARGS)
{
    time_unit u = (time_unit)(intptr_t)e->aux;
    const wr_vector *x = &args[e->nargs - 1]; /* EXTRACT('UNIT', x) or YEAR(x) */
    int64_t *o = out->data;
    const uint64_t *valid = out->validity = x->validity;
    wr_type_id id = x->type.id;
    if (wr_type_is_interval(id)) {
        bool months = id == WR_TYPE_INTERVAL_YM;
        WR_FOR_ROWS({
            if (wr_valid_row(valid, r)) o[r] = extract_interval(u, months, load_int64(x, r));
        });
    } else {
        WR_FOR_ROWS({
            if (wr_valid_row(valid, r)) o[r] = extract_point(u, load_micros(x, r));
        });
    }
    return 0;
}

/* Whether a field can be taken from a value of this type (no hours from a DATE, no years from a
 * TIME; intervals have the fields of their kind). */
static bool unit_applies(time_unit u, wr_type_id id)
{
    bool date_part = u <= U_ISOYEAR || u >= U_DECADE;
    bool time_part = u >= U_HOUR && u <= U_NANOSECOND;
    switch (id) {
    case WR_TYPE_DATE:
        return date_part || u == U_EPOCH;
    case WR_TYPE_TIME:
        return time_part;
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
        return true;
    case WR_TYPE_INTERVAL_YM:
        return u == U_YEAR || u == U_QUARTER || u == U_MONTH;
    case WR_TYPE_INTERVAL_DT:
        return u == U_DAY || time_part || u == U_EPOCH;
    default:
        return false;
    }
}

static wr_expr *bind_extract(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                             wr_error *err)
{
    int u;
    wr_expr *x = args[nargs - 1];
    if (def->data) {
        u = find_unit(def->data);
    } else {
        char name[32];
        if (!const_text(args[0], name, sizeof(name)))
            return fail(def, args, nargs, pos, err, "the unit must be a constant such as YEAR");
        if ((u = find_unit(name)) < 0)
            return fail(def, args, nargs, pos, err, "unknown time unit '%s'", name);
    }
    if (x->type.id == WR_TYPE_NULL) {
        if (!coerce(args, nargs - 1, wr_type_make(WR_TYPE_TIMESTAMP, true), err)) {
            free_args(args, nargs);
            return NULL;
        }
        x = args[nargs - 1];
    }
    if (!wr_type_is_datetime(x->type.id) && !wr_type_is_interval(x->type.id))
        return bad_arg(def, args, nargs, nargs - 1, pos, err);
    if (!unit_applies((time_unit)u, x->type.id)) {
        char t[64];
        return fail(def, args, nargs, pos, err, "%s cannot be extracted from %s", unit_names[u],
                    wr_type_name(x->type, t, sizeof(t)));
    }
    wr_type t = wr_type_make(WR_TYPE_BIGINT, x->type.nullable);
    return wr_expr_call_kernel(def->name, extract_kernel, (void *)(intptr_t)u, NULL, args, nargs, t,
                               pos);
}

/* ---- TIMESTAMPADD / TIMESTAMPDIFF ---------------------------------------------------- */

typedef enum add_unit {
    A_MICROSECOND,
    A_MILLISECOND,
    A_SECOND,
    A_MINUTE,
    A_HOUR,
    A_DAY,
    A_WEEK,
    A_MONTH,
    A_QUARTER,
    A_YEAR,
    A_COUNT_
} add_unit;

static const char *const add_unit_names[A_COUNT_] = {
    "MICROSECOND", "MILLISECOND", "SECOND", "MINUTE",  "HOUR",
    "DAY",         "WEEK",        "MONTH",  "QUARTER", "YEAR",
};
/* Micros of the fixed-length units; months of the others (negative: count of months). */
static const int64_t add_unit_micros[A_COUNT_] = {
    1,  1000, 1000000, 60000000, 3600000000LL, WR_MICROS_PER_DAY, 7 * WR_MICROS_PER_DAY,
    -1, -3,   -12};

static int find_add_unit(const wr_expr *e)
{
    char name[32];
    if (!const_text(e, name, sizeof(name))) return -1;
    if (strcasecmp(name, "FRAC_SECOND") == 0) return A_MICROSECOND;
    for (int i = 0; i < A_COUNT_; i++)
        if (strcasecmp(name, add_unit_names[i]) == 0) return i;
    return -2;
}

/*
 * us plus count units of `step` micros (months when negative: -step of them), or false when the
 * result leaves the range of int64 micros (about 292,000 years either way).
 */
static bool add_units(int64_t us, int64_t count, int64_t step, int64_t *out)
{
    int64_t d;
    if (step > 0)
        return !__builtin_mul_overflow(count, step, &d) && !__builtin_add_overflow(us, d, out);
    int64_t months;
    if (__builtin_mul_overflow(count, -step, &months) || months > 3600000 || months < -3600000)
        return false;
    int64_t day = floor_div(us, WR_MICROS_PER_DAY);
    return !__builtin_mul_overflow(add_months(day, months), WR_MICROS_PER_DAY, &d) &&
           !__builtin_add_overflow(d, us - day * WR_MICROS_PER_DAY, out);
}

static int timestampadd_kernel(WR_KERNEL_ARGS)
{
    add_unit u = (add_unit)(intptr_t)e->aux;
    const wr_vector *nv = &args[1], *tv = &args[2];
    const uint64_t *valid = out->validity = wr_eval_combine_validity(ev, args + 1, 2);
    int64_t step = add_unit_micros[u];
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_valid_row(valid, r)) continue;
        int64_t count = load_int64(nv, r), us;
        if (!add_units(load_micros(tv, r), count, step, &us)) {
            rc = wr_error_set(err, WR_ERR_RUNTIME,
                              "TIMESTAMPADD: adding %lld %s gives a time out of range",
                              (long long)count, add_unit_names[u]);
            break;
        }
        store_micros(out, r, us);
    });
    return rc;
}

static wr_expr *bind_timestampadd(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                  wr_error *err)
{
    int u = find_add_unit(args[0]);
    if (u < 0)
        return fail(def, args, nargs, pos, err,
                    "the unit must be one of MICROSECOND, MILLISECOND, SECOND, MINUTE, HOUR, DAY, "
                    "WEEK, MONTH, QUARTER, YEAR");
    if (!wr_type_is_integer(args[1]->type.id) && args[1]->type.id != WR_TYPE_NULL)
        return bad_arg(def, args, nargs, 1, pos, err);
    if (args[2]->type.id == WR_TYPE_NULL &&
        !coerce(args, 2, wr_type_make(WR_TYPE_TIMESTAMP, true), err)) {
        free_args(args, nargs);
        return NULL;
    }
    wr_type_id id = args[2]->type.id;
    if (!wr_type_is_datetime(id)) return bad_arg(def, args, nargs, 2, pos, err);
    if (!coerce(args, 1, wr_type_make(WR_TYPE_BIGINT, true), err)) {
        free_args(args, nargs);
        return NULL;
    }
    wr_type t = args[2]->type;
    bool sub_day = u < A_DAY;
    if (id == WR_TYPE_TIME && !sub_day)
        return fail(def, args, nargs, pos, err, "a TIME has no %s", add_unit_names[u]);
    if (id == WR_TYPE_DATE && sub_day) t = type_ts3; /* a DATE plus hours is a TIMESTAMP */
    if (u == A_MICROSECOND && id == WR_TYPE_TIMESTAMP) t.length = WR_MAX(t.length, 6);
    t.nullable = any_nullable(args + 1, 2);
    return wr_expr_call_kernel(def->name, timestampadd_kernel, (void *)(intptr_t)u, NULL, args,
                               nargs, t, pos);
}

/* Whole months from day d1 to day d0 (negative when d0 < d1), as Calcite counts them: the most
 * months that, added to d1, do not pass d0. */
static int64_t months_between_days(int64_t d0, int64_t d1)
{
    if (d0 < d1) return -months_between_days(d1, d0);
    int64_t y0, y1;
    int m0, m1, dd;
    wr_civil_from_days(d0, &y0, &m0, &dd);
    wr_civil_from_days(d1, &y1, &m1, &dd);
    int64_t m = (y0 * 12 + m0) - (y1 * 12 + m1);
    return add_months(d1, m) > d0 ? m - 1 : m;
}

/* Whole months from t1 to t0 (micros), a month not counted until its time of day is reached. */
static int64_t months_between(int64_t t0, int64_t t1)
{
    int64_t d0 = floor_div(t0, WR_MICROS_PER_DAY), d1 = floor_div(t1, WR_MICROS_PER_DAY);
    int64_t r0 = t0 - d0 * WR_MICROS_PER_DAY, r1 = t1 - d1 * WR_MICROS_PER_DAY;
    int64_t x = months_between_days(d0, d1);
    if (add_months(d1, x) == d0) {
        if (x > 0 && r0 < r1) x--;
        if (x < 0 && r0 > r1) x++;
    }
    return x;
}

static int timestampdiff_kernel(WR_KERNEL_ARGS)
{
    add_unit u = (add_unit)(intptr_t)e->aux;
    const wr_vector *a = &args[1], *b = &args[2];
    int32_t *o = out->data;
    const uint64_t *valid = out->validity = wr_eval_combine_validity(ev, args + 1, 2);
    int64_t step = add_unit_micros[u];
    WR_FOR_ROWS({
        if (!wr_valid_row(valid, r)) continue;
        int64_t ta = load_micros(a, r), tb = load_micros(b, r);
        int64_t v = step > 0 ? (int64_t)((uint64_t)tb - (uint64_t)ta) / step
                             : months_between(tb, ta) / -step;
        o[r] = (int32_t)v;
    });
    return 0;
}

static wr_expr *bind_timestampdiff(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                   wr_error *err)
{
    int u = find_add_unit(args[0]);
    if (u < 0)
        return fail(def, args, nargs, pos, err,
                    "the unit must be one of MICROSECOND, MILLISECOND, SECOND, MINUTE, HOUR, DAY, "
                    "WEEK, MONTH, QUARTER, YEAR");
    for (int i = 1; i < 3; i++) {
        if (args[i]->type.id == WR_TYPE_NULL &&
            !coerce(args, i, wr_type_make(WR_TYPE_TIMESTAMP, true), err)) {
            free_args(args, nargs);
            return NULL;
        }
        wr_type_id id = args[i]->type.id;
        if (!wr_type_is_datetime(id) || id == WR_TYPE_TIME)
            return bad_arg(def, args, nargs, i, pos, err);
    }
    wr_type t = wr_type_make(WR_TYPE_INT, any_nullable(args + 1, 2));
    return wr_expr_call_kernel(def->name, timestampdiff_kernel, (void *)(intptr_t)u, NULL, args,
                               nargs, t, pos);
}

/* ---- date-time patterns ------------------------------------------------------------- */

static const char *const month_names[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};
static const char *const day_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};

/* The pattern letters supported, for formatting and parsing. */
static bool known_letter(char c)
{
    return strchr("GyuMLdDQqEaHkKhmsSXxZz", c) != NULL;
}

/*
 * Checks a pattern: quotes closed, letters known. Returns NULL, or a message naming the problem
 * (static or in buf).
 */
static const char *pattern_error(const char *p, size_t len, char *buf, size_t size)
{
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c == '\'') {
            size_t j = i + 1;
            while (j < len && (p[j] != '\'' || (j + 1 < len && p[j + 1] == '\'' && j > i + 1)))
                j += p[j] == '\'' ? 2 : 1;
            if (j >= len) return "unclosed quote";
            i = j;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            if (!known_letter(c)) {
                snprintf(buf, size, "unsupported pattern letter '%c'", c);
                return buf;
            }
        }
    }
    return NULL;
}

static void put_num(wr_buf *out, int64_t v, int width)
{
    if (v < 0) wr_buf_putc(out, '-');
    wr_buf_put_padded(out, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, width);
}

/* Formats micros since the epoch with a DateTimeFormatter pattern (checked by pattern_error). */
static void format_pattern(const char *p, size_t len, int64_t us, wr_buf *out)
{
    civil c = to_civil(us);
    for (size_t i = 0; i < len;) {
        char ch = p[i];
        if (ch == '\'') {
            /* 'text' is literal, and '' a quote, inside or outside it. */
            size_t j = i + 1;
            if (j < len && p[j] == '\'') {
                wr_buf_putc(out, '\'');
                i += 2;
                continue;
            }
            for (; j < len; j++) {
                if (p[j] == '\'' && j + 1 < len && p[j + 1] == '\'') {
                    wr_buf_putc(out, '\'');
                    j++;
                } else if (p[j] == '\'') {
                    break;
                } else {
                    wr_buf_putc(out, p[j]);
                }
            }
            i = j + 1;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) {
            wr_buf_putc(out, ch);
            i++;
            continue;
        }
        int n = 0;
        while (i < len && p[i] == ch) i++, n++;
        int dow = iso_weekday(c.days);
        switch (ch) {
        case 'G':
            wr_buf_puts(out, c.year > 0 ? "AD" : "BC");
            break;
        case 'y':
        case 'u':
            if (n == 2)
                put_num(out, floor_mod(c.year, 100), 2);
            else
                put_num(out, ch == 'y' && c.year <= 0 ? 1 - c.year : c.year, n);
            break;
        case 'M':
        case 'L':
            if (n >= 4)
                wr_buf_puts(out, month_names[c.month - 1]);
            else if (n == 3)
                wr_buf_append(out, month_names[c.month - 1], 3);
            else
                put_num(out, c.month, n);
            break;
        case 'd':
            put_num(out, c.day, n);
            break;
        case 'D':
            put_num(out, c.days - wr_days_from_civil(c.year, 1, 1) + 1, n);
            break;
        case 'Q':
        case 'q':
            put_num(out, (c.month - 1) / 3 + 1, n);
            break;
        case 'E':
            if (n >= 4)
                wr_buf_puts(out, day_names[dow - 1]);
            else
                wr_buf_append(out, day_names[dow - 1], 3);
            break;
        case 'a':
            wr_buf_puts(out, c.hour < 12 ? "AM" : "PM");
            break;
        case 'H':
            put_num(out, c.hour, n);
            break;
        case 'k':
            put_num(out, c.hour == 0 ? 24 : c.hour, n);
            break;
        case 'K':
            put_num(out, c.hour % 12, n);
            break;
        case 'h':
            put_num(out, c.hour % 12 == 0 ? 12 : c.hour % 12, n);
            break;
        case 'm':
            put_num(out, c.minute, n);
            break;
        case 's':
            put_num(out, c.second, n);
            break;
        case 'S': {
            /* Fraction of the second: n digits, truncated. */
            char frac[16];
            snprintf(frac, sizeof(frac), "%06d000", c.micros);
            wr_buf_append(out, frac, (size_t)WR_MIN(n, 9));
            break;
        }
        case 'X':
            wr_buf_putc(out, 'Z'); /* UTC */
            break;
        case 'x':
            wr_buf_puts(out, n == 1 ? "+00" : n == 2 || n == 4 ? "+0000" : "+00:00");
            break;
        case 'Z':
            wr_buf_puts(out, n <= 3 ? "+0000" : n == 4 ? "GMT" : "Z");
            break;
        case 'z':
            wr_buf_puts(out, "UTC");
            break;
        default:
            break;
        }
    }
}

/*
 * Parses text with a DateTimeFormatter pattern into micros since the epoch (fields not in the
 * pattern default to 1970-01-01 00:00:00). A numeric field takes exactly as many digits as its
 * letter count when another number follows at once (yyyyMMdd), else one or more digits. An
 * offset (X, x, Z) is applied. Returns 0, or -1 when the text does not match or names no valid
 * date.
 */
static int parse_pattern(const char *p, size_t plen, const char *s, size_t slen, int64_t *us)
{
    int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, frac = 0;
    int64_t offset_s = 0;
    bool pm = false, has_ampm = false, hour12 = false;
    size_t i = 0, k = 0;
    while (i < plen) {
        char ch = p[i];
        if (ch == '\'') {
            size_t j = i + 1;
            if (j < plen && p[j] == '\'') {
                if (k >= slen || s[k] != '\'') return -1;
                k++;
                i += 2;
                continue;
            }
            for (; j < plen; j++, k++) {
                if (p[j] == '\'' && !(j + 1 < plen && p[j + 1] == '\'')) break;
                if (p[j] == '\'') j++; /* '' inside quotes */
                if (k >= slen || s[k] != p[j]) return -1;
            }
            i = j + 1;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) {
            if (k >= slen || s[k] != ch) return -1;
            i++, k++;
            continue;
        }
        int n = 0;
        while (i < plen && p[i] == ch) i++, n++;
        bool adjacent = i < plen && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z'));
        if ((ch == 'M' || ch == 'L') && n >= 3) {
            int found = -1;
            for (int m = 0; m < 12 && found < 0; m++) {
                size_t ml = n == 3 ? 3 : strlen(month_names[m]);
                if (slen - k >= ml && strncasecmp(s + k, month_names[m], ml) == 0) {
                    found = m;
                    k += ml;
                }
            }
            if (found < 0) return -1;
            month = found + 1;
            continue;
        }
        if (ch == 'E') {
            int found = -1;
            for (int d = 0; d < 7 && found < 0; d++) {
                size_t dl = n >= 4 ? strlen(day_names[d]) : 3;
                if (slen - k >= dl && strncasecmp(s + k, day_names[d], dl) == 0) {
                    found = d;
                    k += dl;
                }
            }
            if (found < 0) return -1;
            continue; /* the day of the week does not move the date */
        }
        if (ch == 'a') {
            if (slen - k < 2) return -1;
            if (strncasecmp(s + k, "AM", 2) == 0)
                pm = false;
            else if (strncasecmp(s + k, "PM", 2) == 0)
                pm = true;
            else
                return -1;
            has_ampm = true;
            k += 2;
            continue;
        }
        if (ch == 'G') {
            if (slen - k < 2 || strncasecmp(s + k, "AD", 2) != 0) return -1;
            k += 2;
            continue;
        }
        if (ch == 'X' || ch == 'x' || ch == 'Z' || ch == 'z') {
            /* 'Z' for UTC, or +HH[[:]MM]. */
            if (k < slen && s[k] == 'Z' && ch != 'x') {
                k++;
                continue;
            }
            if (ch == 'z' || ch == 'Z') {
                if (slen - k >= 3 &&
                    (strncmp(s + k, "UTC", 3) == 0 || strncmp(s + k, "GMT", 3) == 0)) {
                    k += 3;
                    if (k >= slen || (s[k] != '+' && s[k] != '-')) continue;
                }
            }
            if (k >= slen || (s[k] != '+' && s[k] != '-')) return -1;
            int sign = s[k++] == '-' ? -1 : 1;
            int64_t hh = 0, mm = 0;
            int d = 0;
            for (; d < 2 && k < slen && s[k] >= '0' && s[k] <= '9'; d++, k++)
                hh = hh * 10 + (s[k] - '0');
            if (d != 2) return -1;
            if (k < slen && s[k] == ':') k++;
            for (d = 0; d < 2 && k < slen && s[k] >= '0' && s[k] <= '9'; d++, k++)
                mm = mm * 10 + (s[k] - '0');
            if (d == 1 || hh > 18 || mm > 59) return -1;
            offset_s = sign * (hh * 3600 + mm * 60);
            continue;
        }
        /* A number. */
        bool neg = false;
        if ((ch == 'y' || ch == 'u') && n > 2 && k < slen && (s[k] == '-' || s[k] == '+'))
            neg = s[k++] == '-';
        int maxd = ch == 'S' ? 9 : (ch == 'y' || ch == 'u') ? 9 : n > 2 ? n : 2;
        if (adjacent || ch == 'S' || n == 2) maxd = ch == 'S' ? WR_MIN(n, 9) : n;
        if ((ch == 'y' || ch == 'u') && n == 2) maxd = 2;
        int64_t v = 0;
        int d = 0;
        for (; d < maxd && k < slen && s[k] >= '0' && s[k] <= '9'; d++, k++)
            v = v * 10 + (s[k] - '0');
        if (d == 0 || ((adjacent || n == 2) && ch != 'S' && d != maxd)) return -1;
        if (neg) v = -v;
        switch (ch) {
        case 'y':
        case 'u':
            year = n == 2 ? 2000 + v : v;
            break;
        case 'M':
        case 'L':
            month = v;
            break;
        case 'd':
            day = v;
            break;
        case 'D': {
            /* Day of the year: the month and day follow from it (the year must come first). */
            int64_t days = wr_days_from_civil(year, 1, 1) + v - 1;
            int mo, dd;
            int64_t yy;
            wr_civil_from_days(days, &yy, &mo, &dd);
            if (yy != year) return -1;
            month = mo;
            day = dd;
            break;
        }
        case 'H':
            hour = v;
            break;
        case 'k':
            hour = v == 24 ? 0 : v;
            break;
        case 'h':
        case 'K':
            hour = v % 12;
            hour12 = true;
            break;
        case 'm':
            minute = v;
            break;
        case 's':
            second = v;
            break;
        case 'S':
            for (int z = d; z < 6; z++) v *= 10;
            for (int z = 6; z < d; z++) v /= 10;
            frac = v;
            break;
        default: /* Q, q: the quarter does not move the date */
            break;
        }
    }
    if (k != slen) return -1;
    if (has_ampm && pm) hour += 12;
    (void)hour12;
    if (month < 1 || month > 12 || day < 1 || day > wr_days_in_month(year, (int)month) ||
        hour > 23 || minute > 59 || second > 59)
        return -1;
    int64_t days = wr_days_from_civil(year, (int)month, (int)day);
    *us =
        ((days * 86400 + hour * 3600 + minute * 60 + second - offset_s) * MICROS_PER_SECOND) + frac;
    return 0;
}

/* The pattern of args[i] when it is a constant, checked; true with *pat NULL when it is not
 * constant (checked per row), false with err when it is a bad constant. */
static bool check_pattern(const wr_func_def *def, wr_expr **args, int i, int pos, wr_error *err)
{
    char buf[512], msg[64];
    const char *p = const_text(args[i], buf, sizeof(buf));
    if (p == NULL) return true;
    const char *bad = pattern_error(p, strlen(p), msg, sizeof(msg));
    if (bad == NULL) return true;
    wr_error_set_at(err, WR_ERR_VALIDATION, args[i]->pos, "%s: invalid pattern '%s': %s", def->name,
                    p, bad);
    return false;
}

/* A per-row pattern that is not valid: the error names it. */
static int bad_pattern(const wr_expr *e, wr_str p, const char *why, wr_error *err)
{
    return wr_error_set(err, WR_ERR_RUNTIME, "%s: invalid pattern '%.*s': %s", e->name,
                        (int)WR_MIN(p.len, 200), p.ptr, why);
}

/* ---- DATE_FORMAT / FROM_UNIXTIME ---------------------------------------------------- */

/*
 * The span of time (micros) within which a pattern's text does not change: a day for dates
 * ('yyyy-MM-dd'), an hour, a minute, a second, or 1 with fractions. Months and years vary in
 * length, so a pattern of them counts in days too; zone letters print a constant (UTC).
 */
static int64_t pattern_unit(const char *p, size_t len)
{
    int64_t unit = WR_MICROS_PER_DAY;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c == '\'') { /* quoted text */
            for (i++; i < len && p[i] != '\''; i++) {
            }
            continue;
        }
        if (c == 'S') return 1;
        if (c == 's') unit = WR_MIN(unit, MICROS_PER_SECOND);
        if (c == 'm') unit = WR_MIN(unit, 60 * MICROS_PER_SECOND);
        if (c == 'H' || c == 'k' || c == 'K' || c == 'h' || c == 'a')
            unit = WR_MIN(unit, 3600 * MICROS_PER_SECOND);
    }
    return unit;
}

/*
 * The pattern and result of the row formatted last. Streams arrive roughly in time order, so
 * consecutive rows mostly fall in the same span of the pattern's unit and share one result:
 * its bytes in the arena, checked and formatted once.
 */
typedef struct format_memo {
    wr_str pattern; /* the last pattern checked; {NULL, 0} before any */
    int64_t unit;   /* pattern_unit of it */
    int64_t span;   /* floor(micros / unit) of the last result, valid when has_last */
    bool has_last;
    wr_str last;
} format_memo;

/* Checks p unless it is the pattern checked last; NULL or the reason it is bad. */
static const char *memo_pattern(format_memo *m, wr_str p, char *msg, size_t size)
{
    if (m->pattern.ptr && p.len == m->pattern.len &&
        (p.ptr == m->pattern.ptr || memcmp(p.ptr, m->pattern.ptr, p.len) == 0))
        return NULL;
    const char *bad = pattern_error(p.ptr, p.len, msg, size);
    if (bad) return bad;
    m->pattern = p;
    m->unit = pattern_unit(p.ptr, p.len);
    m->has_last = false;
    return NULL;
}

/* us formatted with the memo's pattern (memo_pattern), in the arena. */
static wr_str memo_format(format_memo *m, wr_eval *ev, int64_t us, wr_buf *b)
{
    int64_t span = floor_div(us, m->unit);
    if (m->has_last && span == m->span) return m->last;
    wr_buf_reset(b);
    format_pattern(m->pattern.ptr, m->pattern.len, us, b);
    m->last = arena_str(ev, b);
    m->span = span;
    m->has_last = true;
    return m->last;
}

static const wr_str default_datetime_pattern = {"yyyy-MM-dd HH:mm:ss", 19};

/*
 * DATE_FORMAT(x, pattern) (x a DATE, TIMESTAMP, TIMESTAMP_LTZ or a timestamp string; a string
 * that is not one gives NULL) and FROM_UNIXTIME(seconds[, pattern]).
 */
static int format_kernel(WR_KERNEL_ARGS)
{
    bool from_unix = e->aux != NULL;
    const wr_vector *x = &args[0];
    const wr_vector *pv = e->nargs > 1 ? &args[1] : NULL;
    wr_str *o = out->data;
    const uint64_t *in_valid = wr_eval_combine_validity(ev, args, e->nargs);
    uint64_t *valid = NULL;
    wr_buf b;
    wr_buf_init(&b);
    int rc = 0;
    char msg[64];
    format_memo memo = {0};
    WR_FOR_ROWS({
        if (!wr_valid_row(in_valid, r)) continue;
        wr_str p = pv ? ((const wr_str *)pv->data)[r] : default_datetime_pattern;
        const char *bad = memo_pattern(&memo, p, msg, sizeof(msg));
        if (bad) {
            rc = bad_pattern(e, p, bad, err);
            break;
        }
        int64_t us;
        if (from_unix) {
            us = load_int64(x, r) * MICROS_PER_SECOND;
        } else if (wr_type_is_string(x->type.id)) {
            wr_str s = ((const wr_str *)x->data)[r];
            if (wr_timestamp_parse(s.ptr, s.len, &us)) {
                if (valid == NULL) valid = wr_eval_validity_copy(ev, in_valid);
                wr_validity_set(valid, r, false);
                continue;
            }
        } else {
            us = load_micros(x, r);
        }
        o[r] = memo_format(&memo, ev, us, &b);
    });
    wr_buf_fini(&b);
    out->validity = valid ? valid : (uint64_t *)in_valid;
    return rc;
}

static wr_expr *bind_date_format(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                 wr_error *err)
{
    wr_type_id id = args[0]->type.id;
    if (id == WR_TYPE_NULL) {
        if (!coerce(args, 0, wr_type_make(WR_TYPE_TIMESTAMP, true), err)) {
            free_args(args, nargs);
            return NULL;
        }
    } else if (!(wr_type_is_datetime(id) && id != WR_TYPE_TIME) && !wr_type_is_string(id)) {
        return bad_arg(def, args, nargs, 0, pos, err);
    }
    if (!is_text(args[1])) return bad_arg(def, args, nargs, 1, pos, err);
    if (!coerce(args, 1, wr_type_make(WR_TYPE_VARCHAR, true), err) ||
        !check_pattern(def, args, 1, pos, err)) {
        free_args(args, nargs);
        return NULL;
    }
    wr_type t = wr_type_make(WR_TYPE_VARCHAR, true);
    return wr_expr_call_kernel(def->name, format_kernel, NULL, NULL, args, nargs, t, pos);
}

static wr_expr *bind_from_unixtime(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                   wr_error *err)
{
    if (!wr_type_is_exact(args[0]->type.id) && args[0]->type.id != WR_TYPE_NULL)
        return bad_arg(def, args, nargs, 0, pos, err);
    if (nargs > 1 && !is_text(args[1])) return bad_arg(def, args, nargs, 1, pos, err);
    if (!coerce(args, 0, wr_type_make(WR_TYPE_BIGINT, true), err) ||
        (nargs > 1 && (!coerce(args, 1, wr_type_make(WR_TYPE_VARCHAR, true), err) ||
                       !check_pattern(def, args, 1, pos, err)))) {
        free_args(args, nargs);
        return NULL;
    }
    wr_type t = wr_type_make(WR_TYPE_VARCHAR, any_nullable(args, nargs));
    return wr_expr_call_kernel(def->name, format_kernel, (void *)1, NULL, args, nargs, t, pos);
}

/* ---- TO_DATE / TO_TIMESTAMP / UNIX_TIMESTAMP ------------------------------------------- */

/* Which parse function: the result type decides, except UNIX_TIMESTAMP (seconds, BIGINT). */
enum { PARSE_DATE, PARSE_TIMESTAMP, PARSE_UNIX };

/*
 * TO_DATE(s[, pattern]), TO_TIMESTAMP(s[, pattern]) and UNIX_TIMESTAMP(s[, pattern]). Without a
 * pattern the text is read as 'yyyy-MM-dd' (TO_DATE) or 'yyyy-MM-dd HH:mm:ss[.fff]' (the others;
 * a date alone is midnight). Text that does not match is NULL, or Long.MIN_VALUE for
 * UNIX_TIMESTAMP, as in Flink.
 */
static int parse_kernel(WR_KERNEL_ARGS)
{
    int kind = (int)(intptr_t)e->aux;
    const wr_vector *x = &args[0];
    const wr_vector *pv = e->nargs > 1 ? &args[1] : NULL;
    const uint64_t *in_valid = wr_eval_combine_validity(ev, args, e->nargs);
    uint64_t *valid = NULL;
    int rc = 0;
    char msg[64];
    WR_FOR_ROWS({
        if (!wr_valid_row(in_valid, r)) continue;
        wr_str s = ((const wr_str *)x->data)[r];
        int64_t us;
        int bad;
        if (pv) {
            wr_str p = ((const wr_str *)pv->data)[r];
            const char *why = pattern_error(p.ptr, p.len, msg, sizeof(msg));
            if (why) {
                rc = bad_pattern(e, p, why, err);
                break;
            }
            bad = parse_pattern(p.ptr, p.len, s.ptr, s.len, &us);
        } else if (kind == PARSE_DATE) {
            int32_t days;
            bad = wr_date_parse(s.ptr, s.len, &days);
            us = (int64_t)days * WR_MICROS_PER_DAY;
        } else {
            bad = wr_timestamp_parse(s.ptr, s.len, &us);
        }
        if (kind == PARSE_UNIX) {
            ((int64_t *)out->data)[r] = bad ? INT64_MIN : floor_div(us, MICROS_PER_SECOND);
        } else if (bad) {
            if (valid == NULL) valid = wr_eval_validity_copy(ev, in_valid);
            wr_validity_set(valid, r, false);
        } else {
            store_micros(out, r, us);
        }
    });
    out->validity = valid ? valid : (uint64_t *)in_valid;
    return rc;
}

static wr_expr *bind_parse(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                           wr_error *err)
{
    int kind = (int)(intptr_t)def->data;
    if (kind == PARSE_UNIX && nargs == 0) {
        wr_type t = wr_type_make(WR_TYPE_BIGINT, false);
        return wr_expr_call_kernel(def->name, unix_now_kernel, NULL, NULL, args, nargs, t, pos);
    }
    for (int i = 0; i < nargs; i++) {
        if (!is_text(args[i])) return bad_arg(def, args, nargs, i, pos, err);
        if (!coerce(args, i, wr_type_make(WR_TYPE_VARCHAR, true), err)) {
            free_args(args, nargs);
            return NULL;
        }
    }
    if (nargs > 1 && !check_pattern(def, args, 1, pos, err)) {
        free_args(args, nargs);
        return NULL;
    }
    wr_type t = kind == PARSE_DATE        ? wr_type_make(WR_TYPE_DATE, true)
                : kind == PARSE_TIMESTAMP ? type_ts3
                                          : wr_type_make(WR_TYPE_BIGINT, any_nullable(args, nargs));
    if (kind != PARSE_UNIX) t.nullable = true;
    return wr_expr_call_kernel(def->name, parse_kernel, (void *)(intptr_t)kind, NULL, args, nargs,
                               t, pos);
}

/* ---- TO_TIMESTAMP_LTZ ---------------------------------------------------------------- */

/* TO_TIMESTAMP_LTZ(n, 0): epoch seconds; TO_TIMESTAMP_LTZ(n, 3): epoch milliseconds. */
static int to_ltz_kernel(WR_KERNEL_ARGS)
{
    int64_t scale = (intptr_t)e->aux == 0 ? MICROS_PER_SECOND : MICROS_PER_MS;
    const wr_vector *x = &args[0];
    const uint64_t *in_valid = x->validity;
    uint64_t *valid = NULL;
    int64_t *o = out->data;
    wr_type_id id = x->type.id;
    WR_FOR_ROWS({
        if (!wr_valid_row(in_valid, r)) continue;
        if (wr_type_is_integer(id)) {
            o[r] = (int64_t)((uint64_t)load_int64(x, r) * (uint64_t)scale);
            continue;
        }
        double d = id == WR_TYPE_DECIMAL
                       ? wr_decimal_to_double(((const wr_int128 *)x->data)[r], x->type.scale)
                   : id == WR_TYPE_FLOAT ? ((const float *)x->data)[r]
                                         : ((const double *)x->data)[r];
        double us = floor(d * (double)scale);
        if (!(us > -9.2e18 && us < 9.2e18)) { /* NaN, infinite or out of range: NULL */
            if (valid == NULL) valid = wr_eval_validity_copy(ev, in_valid);
            wr_validity_set(valid, r, false);
            continue;
        }
        o[r] = (int64_t)us;
    });
    out->validity = valid ? valid : (uint64_t *)in_valid;
    return 0;
}

static wr_expr *bind_to_ltz(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                            wr_error *err)
{
    if (!wr_type_is_numeric(args[0]->type.id) && args[0]->type.id != WR_TYPE_NULL)
        return bad_arg(def, args, nargs, 0, pos, err);
    int64_t precision = 3;
    if (nargs > 1) {
        const wr_expr *p = args[1];
        if (p->kind != WR_EXPR_CONST || !wr_type_is_integer(p->type.id) ||
            wr_vector_is_null(&p->cvec, 0))
            return fail(def, args, nargs, pos, err, "the precision must be the constant 0 or 3");
        precision = load_int64(&p->cvec, 0);
    }
    if (precision != 0 && precision != 3)
        return fail(def, args, nargs, pos, err,
                    "precision %lld is not supported: use 0 (epoch "
                    "seconds) or 3 (epoch milliseconds)",
                    (long long)precision);
    if (args[0]->type.id == WR_TYPE_NULL &&
        !coerce(args, 0, wr_type_make(WR_TYPE_BIGINT, true), err)) {
        free_args(args, nargs);
        return NULL;
    }
    wr_type t = type_ltz3;
    t.nullable = true;
    return wr_expr_call_kernel(def->name, to_ltz_kernel, (void *)(intptr_t)precision, NULL, args,
                               nargs, t, pos);
}

/* ---- time zones ------------------------------------------------------------------------ */

/*
 * A time zone: a fixed offset, or the transitions of a tz database zone
 * (TZif files, 64-bit section). Zones are loaded once and kept for the
 * process (a registry under a mutex), so kernels may hold pointers to them.
 * Instants past the last transition keep its offset (Debian's tzdata lists
 * transitions up to 2037).
 */
typedef struct tzone {
    char name[64];
    int32_t fixed; /* offset in seconds when ntrans == 0 */
    int ntrans;
    int64_t *at;     /* transition instants, seconds since the epoch, ascending */
    int32_t *offset; /* offset in effect from at[i] on */
    int32_t first;   /* offset before the first transition */
    struct tzone *next;
} tzone;

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static tzone *tz_list;

/* Offsets written as 'UTC', 'GMT', 'Z', '+08:00', 'GMT+8', 'UTC-03:30'; false if not one. */
static bool parse_fixed(const char *s, int32_t *off)
{
    if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0 || strcmp(s, "GMT") == 0 ||
        strcmp(s, "UT") == 0) {
        *off = 0;
        return true;
    }
    if (strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0)
        s += 3;
    else if (strncmp(s, "UT", 2) == 0)
        s += 2;
    if (*s != '+' && *s != '-') return false;
    int sign = *s++ == '-' ? -1 : 1;
    int h = 0, m = 0, d = 0;
    while (*s >= '0' && *s <= '9' && d < 2) h = h * 10 + (*s++ - '0'), d++;
    if (d == 0) return false;
    if (*s == ':') s++;
    d = 0;
    while (*s >= '0' && *s <= '9' && d < 2) m = m * 10 + (*s++ - '0'), d++;
    if (*s || d == 1 || h > 18 || m > 59) return false;
    *off = sign * (h * 3600 + m * 60);
    return true;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads /usr/share/zoneinfo/<name> (version 2+: the 64-bit section). */
static bool load_tzif(const char *name, tzone *z)
{
    for (const char *c = name; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '/' || *c == '_' || *c == '-' || *c == '+'))
            return false;
    if (strstr(name, "..") || name[0] == '/') return false;
    char path[256];
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return false;
    unsigned char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            if (cap > (1 << 22)) break;
            data = wr_realloc(data, cap);
        }
        size_t got = fread(data + len, 1, cap - len, f);
        if (got == 0) break;
        len += got;
    }
    fclose(f);
    bool ok = false;
    /* Header: "TZif", version, 15 unused, six counts. */
    if (len >= 44 && memcmp(data, "TZif", 4) == 0 && data[4] >= '2') {
        const unsigned char *h = data;
        uint32_t isutc = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28);
        uint32_t timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
        size_t v1 = 44 + (size_t)timecnt * 5 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 8 +
                    isstd + isutc;
        if (len >= v1 + 44 && memcmp(data + v1, "TZif", 4) == 0) {
            h = data + v1;
            isutc = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28);
            timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
            const unsigned char *times = h + 44;
            const unsigned char *idx = times + (size_t)timecnt * 8;
            const unsigned char *types = idx + timecnt;
            if (typecnt > 0 && (size_t)(types + (size_t)typecnt * 6 - data) <= len) {
                z->ntrans = (int)timecnt;
                z->at = wr_malloc((timecnt ? timecnt : 1) * sizeof(int64_t));
                z->offset = wr_malloc((timecnt ? timecnt : 1) * sizeof(int32_t));
                ok = true;
                for (uint32_t i = 0; i < timecnt; i++) {
                    uint64_t t = (uint64_t)be32(times + 8 * i) << 32 | be32(times + 8 * i + 4);
                    uint8_t ti = idx[i];
                    if (ti >= typecnt) ok = false;
                    z->at[i] = (int64_t)t;
                    z->offset[i] = ok ? (int32_t)be32(types + 6 * ti) : 0;
                }
                /* Before the first transition: the first standard-time type (or type 0). */
                z->first = (int32_t)be32(types);
                for (uint32_t t = 0; t < typecnt; t++)
                    if (types[6 * t + 4] == 0) {
                        z->first = (int32_t)be32(types + 6 * t);
                        break;
                    }
            }
        }
    }
    wr_free(data);
    if (!ok) {
        wr_free(z->at);
        wr_free(z->offset);
    }
    return ok;
}

/* The zone of a name, loaded on first use and kept for the process; NULL if unknown. */
static const tzone *tz_find(const char *name)
{
    if (strlen(name) >= sizeof(((tzone *)0)->name)) return NULL;
    pthread_mutex_lock(&tz_lock);
    tzone *z = tz_list;
    while (z && strcmp(z->name, name) != 0) z = z->next;
    if (z == NULL) {
        tzone tmp = {{0}, 0, 0, NULL, NULL, 0, NULL};
        snprintf(tmp.name, sizeof(tmp.name), "%s", name);
        if (parse_fixed(name, &tmp.fixed) || load_tzif(name, &tmp)) {
            z = wr_malloc(sizeof(*z));
            *z = tmp;
            z->next = tz_list;
            tz_list = z;
        }
    }
    pthread_mutex_unlock(&tz_lock);
    return z;
}

/* The zone's offset (seconds) at an instant (seconds since the epoch). */
static int32_t tz_offset_at(const tzone *z, int64_t t)
{
    if (z->ntrans == 0) return z->at ? z->first : z->fixed;
    if (t < z->at[0]) return z->first;
    int lo = 0, hi = z->ntrans - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (z->at[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return z->offset[lo];
}

/* The instant of a local time in the zone (for a local time in a gap or overlap, as Java does:
 * the earlier offset). */
static int64_t tz_local_to_utc(const tzone *z, int64_t local)
{
    int32_t o1 = tz_offset_at(z, local - tz_offset_at(z, local));
    int32_t o2 = tz_offset_at(z, local - o1);
    return local - (o1 == o2 ? o1 : WR_MAX(o1, o2));
}

/* CONVERT_TZ(text, from, to): the zones are named per row (a constant is checked at bind). */
static int convert_tz_kernel(WR_KERNEL_ARGS)
{
    const uint64_t *in_valid = wr_eval_combine_validity(ev, args, 3);
    uint64_t *valid = NULL;
    wr_str *o = out->data;
    wr_buf b;
    wr_buf_init(&b);
    int rc = 0;
    WR_FOR_ROWS({
        if (!wr_valid_row(in_valid, r)) continue;
        wr_str s = ((const wr_str *)args[0].data)[r];
        const tzone *zone[2];
        for (int k = 0; k < 2 && rc == 0; k++) {
            wr_str name = ((const wr_str *)args[1 + k].data)[r];
            char buf[64];
            snprintf(buf, sizeof(buf), "%.*s", (int)WR_MIN(name.len, 63), name.ptr);
            if (name.len >= 64 || !(zone[k] = tz_find(buf)))
                rc = wr_error_set(err, WR_ERR_RUNTIME, "CONVERT_TZ: unknown time zone '%.*s'",
                                  (int)WR_MIN(name.len, 200), name.ptr);
        }
        if (rc) break;
        int64_t us;
        if (wr_timestamp_parse(s.ptr, s.len, &us)) {
            if (valid == NULL) valid = wr_eval_validity_copy(ev, in_valid);
            wr_validity_set(valid, r, false);
            continue;
        }
        int64_t secs = floor_div(us, MICROS_PER_SECOND), frac = us - secs * MICROS_PER_SECOND;
        int64_t utc = tz_local_to_utc(zone[0], secs);
        int64_t local = utc + tz_offset_at(zone[1], utc);
        wr_buf_reset(&b);
        format_pattern(default_datetime_pattern.ptr, default_datetime_pattern.len,
                       local * MICROS_PER_SECOND + frac, &b);
        o[r] = arena_str(ev, &b);
    });
    wr_buf_fini(&b);
    out->validity = valid ? valid : (uint64_t *)in_valid;
    return rc;
}

static wr_expr *bind_convert_tz(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                wr_error *err)
{
    for (int i = 0; i < nargs; i++) {
        if (!is_text(args[i])) return bad_arg(def, args, nargs, i, pos, err);
        if (!coerce(args, i, wr_type_make(WR_TYPE_VARCHAR, true), err)) {
            free_args(args, nargs);
            return NULL;
        }
        char name[128];
        if (i > 0 && const_text(args[i], name, sizeof(name)) && !tz_find(name)) {
            wr_error_set_at(err, WR_ERR_VALIDATION, args[i]->pos,
                            "CONVERT_TZ: unknown time zone '%s' (use a zone of the tz database "
                            "such as 'Europe/Berlin', or an offset such as 'GMT+08:00')",
                            name);
            free_args(args, nargs);
            return NULL;
        }
    }
    wr_type t = wr_type_make(WR_TYPE_VARCHAR, true);
    return wr_expr_call_kernel(def->name, convert_tz_kernel, NULL, NULL, args, nargs, t, pos);
}

/* ---- the table ------------------------------------------------------------------------ */

const wr_func_def wr_funcs_time[] = {
    {"CONVERT_TZ", 3, 3, bind_convert_tz, "CONVERT_TZ(STRING, STRING, STRING)", NULL},
    {"CURRENT_DATE", 0, 0, bind_now, "CURRENT_DATE", &type_date},
    {"CURRENT_ROW_TIMESTAMP", 0, 0, bind_now, "CURRENT_ROW_TIMESTAMP()", &type_ltz3},
    {"CURRENT_TIME", 0, 0, bind_now, "CURRENT_TIME", &type_time0},
    {"CURRENT_TIMESTAMP", 0, 0, bind_now, "CURRENT_TIMESTAMP", &type_ltz3},
    {"DATE_FORMAT", 2, 2, bind_date_format, "DATE_FORMAT(TIMESTAMP | STRING, STRING)", NULL},
    {"DAYOFMONTH", 1, 1, bind_extract, "DAYOFMONTH(DATE | TIMESTAMP)", "DAY"},
    {"DAYOFWEEK", 1, 1, bind_extract, "DAYOFWEEK(DATE | TIMESTAMP)", "DOW"},
    {"DAYOFYEAR", 1, 1, bind_extract, "DAYOFYEAR(DATE | TIMESTAMP)", "DOY"},
    {"EXTRACT", 2, 2, bind_extract, "EXTRACT(unit FROM DATE | TIME | TIMESTAMP | INTERVAL)", NULL},
    {"FROM_UNIXTIME", 1, 2, bind_from_unixtime, "FROM_UNIXTIME(BIGINT[, STRING])", NULL},
    {"HOUR", 1, 1, bind_extract, "HOUR(TIME | TIMESTAMP)", "HOUR"},
    {"LOCALTIME", 0, 0, bind_now, "LOCALTIME", &type_time0},
    {"LOCALTIMESTAMP", 0, 0, bind_now, "LOCALTIMESTAMP", &type_ts3},
    {"MINUTE", 1, 1, bind_extract, "MINUTE(TIME | TIMESTAMP)", "MINUTE"},
    {"MONTH", 1, 1, bind_extract, "MONTH(DATE | TIMESTAMP)", "MONTH"},
    {"NOW", 0, 0, bind_now, "NOW()", &type_ltz3},
    {"PROCTIME", 0, 0, bind_now, "PROCTIME()", &type_proctime},
    {"QUARTER", 1, 1, bind_extract, "QUARTER(DATE | TIMESTAMP)", "QUARTER"},
    {"SECOND", 1, 1, bind_extract, "SECOND(TIME | TIMESTAMP)", "SECOND"},
    {"TIMESTAMPADD", 3, 3, bind_timestampadd, "TIMESTAMPADD(unit, INT, DATE | TIME | TIMESTAMP)",
     NULL},
    {"TIMESTAMPDIFF", 3, 3, bind_timestampdiff, "TIMESTAMPDIFF(unit, TIMESTAMP, TIMESTAMP)", NULL},
    {"TO_DATE", 1, 2, bind_parse, "TO_DATE(STRING[, STRING])", (void *)(intptr_t)PARSE_DATE},
    {"TO_TIMESTAMP", 1, 2, bind_parse, "TO_TIMESTAMP(STRING[, STRING])",
     (void *)(intptr_t)PARSE_TIMESTAMP},
    {"TO_TIMESTAMP_LTZ", 1, 2, bind_to_ltz, "TO_TIMESTAMP_LTZ(NUMERIC, 0 | 3)", NULL},
    {"UNIX_TIMESTAMP", 0, 2, bind_parse, "UNIX_TIMESTAMP([STRING[, STRING]])",
     (void *)(intptr_t)PARSE_UNIX},
    {"WEEK", 1, 1, bind_extract, "WEEK(DATE | TIMESTAMP)", "WEEK"},
    {"YEAR", 1, 1, bind_extract, "YEAR(DATE | TIMESTAMP)", "YEAR"},
    {NULL, 0, 0, NULL, NULL, NULL},
};
