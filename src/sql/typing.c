/*
 * typing.c — Flink's typing rules for literals, written types and operators.
 *
 * The binder (binder.c) resolves names and builds plans; what a literal's
 * type is, which common type two operands widen to, and what an operator
 * returns is decided here, so the type rules live in one place.
 */
#include "typing.h"
#include "../base/alloc.h"
#include "../base/config.h"
#include "../types/decimal.h"
#include "../types/nested.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The number of fraction digits of a time literal's text, at most max. */
static int fraction_digits(const char *s, int max)
{
    const char *dot = strchr(s, '.');
    int p = 0;
    if (dot)
        while (dot[1 + p] >= '0' && dot[1 + p] <= '9') p++;
    return p > max ? max : p;
}

wr_expr *wr_bind_literal(const wr_ast_expr *ast, wr_error *err)
{
    switch (ast->lit.kind) {
    case WR_LIT_NULL:
        return wr_expr_null(wr_type_make(WR_TYPE_NULL, true), ast->pos);
    case WR_LIT_BOOL:
        return wr_expr_bool(ast->lit.b, ast->pos);
    case WR_LIT_INTEGER: {
        int64_t v;
        if (wr_parse_int64(ast->lit.text, &v)) {
            /* Past BIGINT an integer literal is a DECIMAL(p, 0), as in Flink. */
            wr_int128 d;
            const char *t = ast->lit.text;
            while (t[0] == '0' && t[1]) t++;
            size_t n = strlen(t);
            if (n > WR_DECIMAL_MAX_PRECISION ||
                wr_decimal_parse(ast->lit.text, strlen(ast->lit.text), (int)n, 0, &d)) {
                wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                                "numeric literal '%s' is out of the range of DECIMAL(38, 0)",
                                ast->lit.text);
                return NULL;
            }
            return wr_expr_decimal(wr_type_decimal((int)n, 0, false), d, ast->pos);
        }
        wr_type_id id = v <= INT32_MAX ? WR_TYPE_INT : WR_TYPE_BIGINT;
        return wr_expr_int64(wr_type_make(id, false), v, ast->pos);
    }
    case WR_LIT_DECIMAL: {
        /* An exact literal is DECIMAL(p, s): s digits after the point, p significant digits
         * (at least s and 1), as Flink types 1.5 as DECIMAL(2, 1) and 0.05 as DECIMAL(2, 2). */
        const char *t = ast->lit.text;
        const char *dot = strchr(t, '.');
        int scale = dot ? (int)strlen(dot + 1) : 0;
        int digits = 0;
        bool lead = true;
        for (const char *c = t; *c; c++) {
            if (*c < '0' || *c > '9') continue;
            if (lead && *c == '0') continue;
            lead = false;
            digits++;
        }
        int precision = WR_MAX(WR_MAX(digits, scale), 1);
        wr_int128 d;
        if (precision > WR_DECIMAL_MAX_PRECISION ||
            wr_decimal_parse(t, strlen(t), precision, scale, &d)) {
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                            "numeric literal '%s' has more than 38 digits; write it with an "
                            "exponent (1.5E40) to make it a DOUBLE",
                            t);
            return NULL;
        }
        return wr_expr_decimal(wr_type_decimal(precision, scale, false), d, ast->pos);
    }
    case WR_LIT_DOUBLE:
        return wr_expr_double(wr_type_make(WR_TYPE_DOUBLE, false), strtod(ast->lit.text, NULL),
                              ast->pos);
    case WR_LIT_STRING: {
        size_t len = strlen(ast->lit.text);
        wr_type t = wr_type_make(len ? WR_TYPE_CHAR : WR_TYPE_VARCHAR, false);
        t.length = (int32_t)len;
        return wr_expr_string(t, ast->lit.text, len, ast->pos);
    }
    case WR_LIT_TIMESTAMP: {
        int64_t us;
        const char *s = ast->lit.text;
        if (wr_timestamp_parse(s, strlen(s), &us)) {
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "invalid TIMESTAMP literal '%s'", s);
            return NULL;
        }
        wr_type t = wr_type_make(WR_TYPE_TIMESTAMP, false);
        t.length = fraction_digits(s, 9);
        return wr_expr_int64(t, us, ast->pos);
    }
    case WR_LIT_DATE: {
        int32_t days;
        const char *s = ast->lit.text;
        if (wr_date_parse(s, strlen(s), &days)) {
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                            "invalid DATE literal '%s': expected 'yyyy-MM-dd'", s);
            return NULL;
        }
        return wr_expr_int64(wr_type_make(WR_TYPE_DATE, false), days, ast->pos);
    }
    case WR_LIT_TIME: {
        int32_t ms;
        const char *s = ast->lit.text;
        if (wr_time_parse(s, strlen(s), &ms)) {
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                            "invalid TIME literal '%s': expected 'HH:mm:ss[.SSS]'", s);
            return NULL;
        }
        wr_type t = wr_type_make(WR_TYPE_TIME, false);
        t.length = fraction_digits(s, 3);
        return wr_expr_int64(t, ms, ast->pos);
    }
    case WR_LIT_BINARY: {
        /* X'0AFF': BINARY(n) of the bytes the hex digits spell */
        const char *h = ast->lit.text;
        size_t n = strlen(h) / 2;
        char *bytes = wr_malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            int v = 0;
            for (int k = 0; k < 2; k++) {
                char c = h[2 * i + k];
                v = v * 16 + (c >= '0' && c <= '9'   ? c - '0'
                              : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                     : c - 'A' + 10);
            }
            bytes[i] = (char)v;
        }
        wr_type t = wr_type_make(n ? WR_TYPE_BINARY : WR_TYPE_VARBINARY, false);
        if (n) t.length = (int32_t)n;
        wr_expr *e = wr_expr_string(t, bytes, n, ast->pos);
        wr_free(bytes);
        return e;
    }
    }
    wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "unsupported literal");
    return NULL;
}

void wr_type_names(wr_type a, wr_type b, char *x, char *y)
{
    wr_type_name(a, x, WR_TYPE_NAME_MAX);
    wr_type_name(b, y, WR_TYPE_NAME_MAX);
}

int wr_check_nesting(wr_type t, int pos, wr_error *err)
{
    if (wr_type_depth(t) <= WR_NESTED_MAX_DEPTH) return 0;
    return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                           "this value's type is nested more than %d levels deep",
                           WR_NESTED_MAX_DEPTH);
}

/*
 * What an operand of type t becomes for an operation on the common type
 * target: strings compare as they are; DECIMALs keep their precision and
 * scale and integers become the DECIMAL that holds them (the DECIMAL kernels
 * take operands of any scale); times and timestamps keep their precision.
 */
static wr_type operand_type(wr_type t, wr_type target)
{
    wr_type out = target;
    out.nullable = t.nullable || t.id == WR_TYPE_NULL;
    if (wr_type_is_string(target.id) && wr_type_is_string(t.id)) return t;
    if (wr_type_is_binary(target.id) && wr_type_is_binary(t.id)) return t;
    if (target.id == WR_TYPE_DECIMAL && wr_type_is_exact(t.id)) return wr_type_as_decimal(t);
    if (target.id == t.id && (target.id == WR_TYPE_TIMESTAMP ||
                              target.id == WR_TYPE_TIMESTAMP_LTZ || target.id == WR_TYPE_TIME))
        return t;
    return out;
}

int wr_unify(wr_expr **a, wr_expr **b, const char *op, int pos, bool numeric_only, wr_type *common,
             wr_error *err)
{
    wr_type ta = (*a)->type, tb = (*b)->type;
    bool ok = wr_type_common(ta, tb, common);
    if (ok && numeric_only && !wr_type_is_numeric(common->id)) ok = false;
    if (!ok) {
        char x[WR_TYPE_NAME_MAX], y[WR_TYPE_NAME_MAX];
        wr_type_names(ta, tb, x, y);
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                               "cannot apply '%s' to arguments of type %s and %s", op, x, y);
    }
    wr_type target = *common;
    if (common->id == WR_TYPE_NULL) {
        /* NULL op NULL: type it as the most general of its kind. */
        target = wr_type_make(numeric_only ? WR_TYPE_INT : WR_TYPE_VARCHAR, true);
        *common = target;
    }
    wr_type ca = operand_type(ta, target), cb = operand_type(tb, target);
    if (!wr_type_equal(ta, ca)) {
        *a = wr_expr_cast(*a, ca, false, (*a)->pos, err);
        if (*a == NULL) return err->code;
    }
    if (!wr_type_equal(tb, cb)) {
        *b = wr_expr_cast(*b, cb, false, (*b)->pos, err);
        if (*b == NULL) return err->code;
    }
    return 0;
}

wr_expr **wr_args2(wr_expr *a, wr_expr *b)
{
    wr_expr **args = wr_malloc(2 * sizeof(wr_expr *));
    args[0] = a;
    args[1] = b;
    return args;
}

wr_expr **wr_args1(wr_expr *a)
{
    wr_expr **args = wr_malloc(sizeof(wr_expr *));
    args[0] = a;
    return args;
}

/*
 * Flink's result type of DECIMAL arithmetic (LogicalTypeMerging): precision
 * and scale from the operands', then, past 38 digits, the scale cut so that
 * the whole digits fit but at least min(scale, 6) fraction digits remain.
 */
static wr_type decimal_result(wr_func fn, wr_type a, wr_type b)
{
    int p1 = a.length, s1 = a.scale, p2 = b.length, s2 = b.scale, p, s;
    switch (fn) {
    case WR_FN_ADD:
    case WR_FN_SUB:
        s = WR_MAX(s1, s2);
        p = WR_MAX(p1 - s1, p2 - s2) + s + 1;
        break;
    case WR_FN_MUL:
        s = s1 + s2;
        p = p1 + p2 + 1;
        break;
    case WR_FN_DIV:
        s = WR_MAX(6, s1 + p2 + 1);
        p = p1 - s1 + s2 + s;
        break;
    default: /* WR_FN_MOD */
        s = WR_MAX(s1, s2);
        p = WR_MIN(p1 - s1, p2 - s2) + s;
        break;
    }
    if (p > WR_DECIMAL_MAX_PRECISION) {
        int whole = p - s;
        s = WR_MAX(WR_DECIMAL_MAX_PRECISION - whole, WR_MIN(s, 6));
        p = WR_DECIMAL_MAX_PRECISION;
    }
    if (p < 1) p = 1;
    return wr_type_decimal(p, s, a.nullable || b.nullable);
}

/* DECIMAL with DECIMAL or an integer (or NULL): integers become DECIMALs, each operand keeps its
 * precision and scale, the result type is Flink's. Takes ownership of a and b. */
static wr_expr *bind_decimal(wr_func fn, wr_expr *a, wr_expr *b, int pos, wr_error *err)
{
    for (int k = 0; k < 2; k++) {
        wr_expr **x = k ? &b : &a, *other = k ? a : b;
        wr_type t = (*x)->type.id == WR_TYPE_NULL ? other->type : wr_type_as_decimal((*x)->type);
        t.nullable = (*x)->type.nullable || (*x)->type.id == WR_TYPE_NULL;
        if (!wr_type_equal((*x)->type, t) && !(*x = wr_expr_cast(*x, t, false, (*x)->pos, err))) {
            wr_expr_free(other);
            return NULL;
        }
    }
    wr_type result = decimal_result(fn, a->type, b->type);
    return wr_expr_call(fn, wr_args2(a, b), 2, result, pos, err);
}

/*
 * Arithmetic with times and intervals, as Flink allows it: datetime +/- interval
 * (also interval + datetime), interval +/- interval of the same kind, interval
 * * number, number * interval and interval / number. DATE + a day-time
 * interval stays a DATE (whole days), TIME + a year-month interval is an
 * error. Takes ownership of a and b.
 */
static wr_expr *bind_temporal(wr_func fn, const char *name, wr_expr *a, wr_expr *b, int pos,
                              wr_error *err)
{
    /* An untyped NULL takes the type the other operand needs. */
    for (int k = 0; k < 2; k++) {
        wr_expr **x = k ? &b : &a, *other = k ? a : b;
        if ((*x)->type.id != WR_TYPE_NULL) continue;
        wr_type_id o = (wr_type_id)other->type.id;
        wr_type t = wr_type_is_interval(o) && (fn == WR_FN_MUL || fn == WR_FN_DIV)
                        ? wr_type_make(WR_TYPE_DOUBLE, true)
                    : wr_type_is_interval(o) ? other->type
                                             : wr_type_make(WR_TYPE_INTERVAL_DT, true);
        t.nullable = true;
        if (!(*x = wr_expr_cast(*x, t, false, (*x)->pos, err))) {
            wr_expr_free(other);
            return NULL;
        }
    }
    wr_type_id x = (wr_type_id)a->type.id, y = (wr_type_id)b->type.id;
    bool nullable = a->type.nullable || b->type.nullable;
    if (fn == WR_FN_ADD && wr_type_is_interval(x) && wr_type_is_datetime(y)) {
        wr_expr *t = a; /* interval + datetime == datetime + interval */
        a = b;
        b = t;
        x = (wr_type_id)a->type.id;
        y = (wr_type_id)b->type.id;
    }
    if ((fn == WR_FN_MUL) && wr_type_is_numeric(x) && wr_type_is_interval(y)) {
        wr_expr *t = a;
        a = b;
        b = t;
        x = (wr_type_id)a->type.id;
        y = (wr_type_id)b->type.id;
    }
    wr_type result = a->type;
    result.nullable = nullable;
    bool ok = false;
    const char *hint = "";
    if ((fn == WR_FN_ADD || fn == WR_FN_SUB) && wr_type_is_datetime(x) && wr_type_is_interval(y)) {
        ok = !(x == WR_TYPE_TIME && y == WR_TYPE_INTERVAL_YM);
    } else if ((fn == WR_FN_ADD || fn == WR_FN_SUB) && wr_type_is_interval(x) && x == y) {
        ok = true;
        result.length = WR_MAX(a->type.length, b->type.length);
    } else if ((fn == WR_FN_MUL || fn == WR_FN_DIV) && wr_type_is_interval(x) &&
               wr_type_is_numeric(y)) {
        wr_type d = wr_type_make(WR_TYPE_DOUBLE, b->type.nullable);
        if (!wr_type_equal(b->type, d) && !(b = wr_expr_cast(b, d, false, b->pos, err))) {
            wr_expr_free(a);
            return NULL;
        }
        ok = true;
    } else if (fn == WR_FN_SUB && wr_type_is_datetime(x) && wr_type_is_datetime(y)) {
        hint = "; use TIMESTAMPDIFF(unit, a, b) for the time between two points";
    }
    if (!ok) {
        char tx[WR_TYPE_NAME_MAX], ty[WR_TYPE_NAME_MAX];
        wr_type_names(a->type, b->type, tx, ty);
        wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                        "cannot apply '%s' to arguments of type %s and %s%s", name, tx, ty, hint);
        wr_expr_free(a);
        wr_expr_free(b);
        return NULL;
    }
    return wr_expr_call(fn, wr_args2(a, b), 2, result, pos, err);
}

wr_expr *wr_bind_binary(wr_ast_op op, wr_expr *a, wr_expr *b, int pos, wr_error *err)
{
    static const struct {
        wr_ast_op op;
        wr_func fn;
        const char *name;
    } map[] = {
        {WR_OP_ADD, WR_FN_ADD, "+"}, {WR_OP_SUB, WR_FN_SUB, "-"},
        {WR_OP_MUL, WR_FN_MUL, "*"}, {WR_OP_DIV, WR_FN_DIV, "/"},
        {WR_OP_MOD, WR_FN_MOD, "%"}, {WR_OP_EQ, WR_FN_EQ, "="},
        {WR_OP_NE, WR_FN_NE, "<>"},  {WR_OP_LT, WR_FN_LT, "<"},
        {WR_OP_LE, WR_FN_LE, "<="},  {WR_OP_GT, WR_FN_GT, ">"},
        {WR_OP_GE, WR_FN_GE, ">="},  {WR_OP_CONCAT, WR_FN_CONCAT, "||"},
    };
    wr_func fn = WR_FN_NONE;
    const char *name = "?";
    for (size_t i = 0; i < WR_ARRAY_LEN(map); i++)
        if (map[i].op == op) fn = map[i].fn, name = map[i].name;
    if (op == WR_OP_AND || op == WR_OP_OR) {
        for (int k = 0; k < 2; k++) {
            wr_expr **x = k ? &b : &a;
            if ((*x)->type.id == WR_TYPE_NULL) {
                *x = wr_expr_cast(*x, wr_type_make(WR_TYPE_BOOLEAN, true), false, (*x)->pos, err);
            } else if ((*x)->type.id != WR_TYPE_BOOLEAN) {
                char t[WR_TYPE_NAME_MAX];
                wr_error_set_at(err, WR_ERR_VALIDATION, (*x)->pos,
                                "%s needs BOOLEAN operands, but this one is %s",
                                op == WR_OP_AND ? "AND" : "OR",
                                wr_type_name((*x)->type, t, sizeof(t)));
                wr_expr_free(a);
                wr_expr_free(b);
                return NULL;
            }
        }
        wr_type t = wr_type_make(WR_TYPE_BOOLEAN, a->type.nullable || b->type.nullable);
        return wr_expr_logic(op == WR_OP_AND ? WR_EXPR_AND : WR_EXPR_OR, wr_args2(a, b), 2, t, pos);
    }
    bool arith =
        fn == WR_FN_ADD || fn == WR_FN_SUB || fn == WR_FN_MUL || fn == WR_FN_DIV || fn == WR_FN_MOD;
    wr_type_id x = (wr_type_id)a->type.id, y = (wr_type_id)b->type.id;
    if (arith && (wr_type_is_datetime(x) || wr_type_is_datetime(y) || wr_type_is_interval(x) ||
                  wr_type_is_interval(y)))
        return bind_temporal(fn, name, a, b, pos, err);
    if (arith && (x == WR_TYPE_DECIMAL || y == WR_TYPE_DECIMAL) &&
        (wr_type_is_exact(x) || x == WR_TYPE_NULL) && (wr_type_is_exact(y) || y == WR_TYPE_NULL))
        return bind_decimal(fn, a, b, pos, err);
    bool compare = !arith && fn != WR_FN_CONCAT;
    if (compare && fn != WR_FN_EQ && fn != WR_FN_NE &&
        (wr_type_is_nested(x) || wr_type_is_nested(y))) {
        /* Nested values have no order, as in Flink: only = and <> (and IS DISTINCT FROM). */
        char tx[WR_TYPE_NAME_MAX], ty[WR_TYPE_NAME_MAX];
        wr_type_names(a->type, b->type, tx, ty);
        wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                        "cannot apply '%s' to arguments of type %s and %s: ARRAY, MAP, MULTISET "
                        "and ROW values compare with = and <> only",
                        name, tx, ty);
        wr_expr_free(a);
        wr_expr_free(b);
        return NULL;
    }
    if (compare) {
        /* A string compared with a time is read as that time (Calcite's implicit coercion):
         * WHERE d > '2024-01-01'. Strings never turn into numbers. */
        for (int k = 0; k < 2; k++) {
            wr_expr **s = k ? &b : &a, *other = k ? a : b;
            if (wr_type_is_string((*s)->type.id) && wr_type_is_datetime(other->type.id)) {
                wr_type t = other->type;
                t.nullable = (*s)->type.nullable;
                if (!(*s = wr_expr_cast(*s, t, false, (*s)->pos, err))) {
                    wr_expr_free(other);
                    return NULL;
                }
            }
        }
    }
    wr_type common;
    if (fn == WR_FN_CONCAT) {
        for (int k = 0; k < 2; k++) {
            wr_expr *e = k ? b : a;
            if (!wr_type_is_string(e->type.id) && e->type.id != WR_TYPE_NULL) {
                char t[WR_TYPE_NAME_MAX];
                wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                                "cannot apply '||' to an argument of type %s; CAST it to STRING",
                                wr_type_name(e->type, t, sizeof(t)));
                wr_expr_free(a);
                wr_expr_free(b);
                return NULL;
            }
        }
    }
    if (wr_unify(&a, &b, name, pos, arith, &common, err)) {
        wr_expr_free(a);
        wr_expr_free(b);
        return NULL;
    }
    bool nullable = a->type.nullable || b->type.nullable;
    wr_type result;
    if (arith) {
        result = common;
    } else if (fn == WR_FN_CONCAT) {
        result = wr_type_make(WR_TYPE_VARCHAR, nullable);
        int64_t len = (int64_t)a->type.length + b->type.length;
        result.length = len >= WR_VARCHAR_MAX ? WR_VARCHAR_MAX : (int32_t)len;
    } else {
        result = wr_type_make(WR_TYPE_BOOLEAN, nullable);
    }
    result.nullable = nullable;
    return wr_expr_call(fn, wr_args2(a, b), 2, result, pos, err);
}

/* A type's parameter p, checked to be in [lo, hi]; false with err (naming what) otherwise. */
static bool check_param(const wr_ast_type *t, int p, int lo, int hi, const char *what,
                        wr_error *err)
{
    if (p >= lo && p <= hi) return true;
    wr_error_set_at(err, WR_ERR_VALIDATION, t->pos, "the %s of %s must be between %d and %d", what,
                    t->name, lo, hi);
    return false;
}

static bool map_type(const wr_ast_type *t, int depth, wr_type *out, wr_error *err);

/*
 * ARRAY<T>, MULTISET<T>, MAP<K, V> and ROW<name T, ...>: the parts first, then the interned
 * type. depth is the nesting level t is at (1 for an outermost constructed type), so that a
 * type nested deeper than WR_NESTED_MAX_DEPTH is refused at the level that is too deep.
 */
static bool map_nested(const wr_ast_type *t, int depth, wr_type *out, wr_error *err)
{
    if (depth > WR_NESTED_MAX_DEPTH) {
        wr_error_set_at(err, WR_ERR_VALIDATION, t->pos,
                        "type %s is nested more than %d levels deep", t->name, WR_NESTED_MAX_DEPTH);
        return false;
    }
    bool is_row = strcmp(t->name, "ROW") == 0;
    if (is_row && t->nchildren > WR_ROW_MAX_FIELDS) {
        wr_error_set_at(err, WR_ERR_VALIDATION, t->pos, "a ROW may have at most %d fields, not %d",
                        WR_ROW_MAX_FIELDS, t->nchildren);
        return false;
    }
    wr_type parts[2]; /* ARRAY and MULTISET: the element; MAP: key and value */
    wr_type *fields = is_row ? wr_malloc((size_t)t->nchildren * sizeof(wr_type)) : parts;
    bool ok = true;
    for (int i = 0; i < t->nchildren && ok; i++) {
        ok = map_type(&t->children[i], depth + 1, &fields[i], err);
        for (int k = 0; ok && is_row && k < i; k++) {
            if (strcmp(t->field_names[k], t->field_names[i]) != 0) continue;
            wr_error_set_at(err, WR_ERR_VALIDATION, t->children[i].pos,
                            "field '%s' appears twice in the ROW", t->field_names[i]);
            ok = false;
        }
    }
    if (ok) {
        bool nullable = !t->not_null;
        if (is_row)
            *out = wr_type_row(fields, t->field_names, t->nchildren, nullable);
        else if (strcmp(t->name, "MAP") == 0)
            *out = wr_type_map(fields[0], fields[1], nullable);
        else if (strcmp(t->name, "MULTISET") == 0)
            *out = wr_type_multiset(fields[0], nullable);
        else
            *out = wr_type_array(fields[0], nullable);
    }
    if (is_row) wr_free(fields);
    return ok;
}

static bool map_type(const wr_ast_type *t, int depth, wr_type *out, wr_error *err)
{
    static const struct {
        const char *name;
        wr_type_id id;
    } names[] = {
        {"BOOLEAN", WR_TYPE_BOOLEAN},     {"TINYINT", WR_TYPE_TINYINT},
        {"SMALLINT", WR_TYPE_SMALLINT},   {"INT", WR_TYPE_INT},
        {"BIGINT", WR_TYPE_BIGINT},       {"FLOAT", WR_TYPE_FLOAT},
        {"DOUBLE", WR_TYPE_DOUBLE},       {"DECIMAL", WR_TYPE_DECIMAL},
        {"CHAR", WR_TYPE_CHAR},           {"VARCHAR", WR_TYPE_VARCHAR},
        {"STRING", WR_TYPE_VARCHAR},      {"BINARY", WR_TYPE_BINARY},
        {"VARBINARY", WR_TYPE_VARBINARY}, {"BYTES", WR_TYPE_VARBINARY},
        {"DATE", WR_TYPE_DATE},           {"TIME", WR_TYPE_TIME},
        {"TIMESTAMP", WR_TYPE_TIMESTAMP}, {"TIMESTAMP_LTZ", WR_TYPE_TIMESTAMP_LTZ},
    };
    if (t->children) return map_nested(t, depth, out, err);
    for (size_t i = 0; i < WR_ARRAY_LEN(names); i++) {
        if (strcmp(t->name, names[i].name) != 0) continue;
        wr_type_id id = names[i].id;
        *out = wr_type_make(id, !t->not_null);
        if (t->nparams == 0) return true;
        int p = t->params[0];
        switch (id) {
        case WR_TYPE_CHAR:
        case WR_TYPE_VARCHAR:
        case WR_TYPE_BINARY:
        case WR_TYPE_VARBINARY:
            if (p < 1) {
                wr_error_set_at(err, WR_ERR_VALIDATION, t->pos,
                                "the length of %s must be at least 1", t->name);
                return false;
            }
            out->length = p;
            return true;
        case WR_TYPE_TIME:
        case WR_TYPE_TIMESTAMP:
        case WR_TYPE_TIMESTAMP_LTZ:
            if (!check_param(t, p, 0, 9, "precision", err)) return false;
            out->length = p;
            return true;
        case WR_TYPE_DECIMAL: {
            if (!check_param(t, p, 1, WR_DECIMAL_MAX_PRECISION, "precision", err)) return false;
            int scale = t->nparams > 1 ? t->params[1] : 0;
            if (!check_param(t, scale, 0, p, "scale", err)) return false;
            *out = wr_type_decimal(p, scale, !t->not_null);
            return true;
        }
        default:
            wr_error_set_at(err, WR_ERR_VALIDATION, t->pos, "type %s takes no parameters", t->name);
            return false;
        }
    }
    wr_error_set_at(err, WR_ERR_VALIDATION, t->pos,
                    "type %s is not supported; supported types: BOOLEAN, TINYINT, SMALLINT, INT, "
                    "BIGINT, FLOAT, DOUBLE, DECIMAL, CHAR, VARCHAR, STRING, BINARY, VARBINARY, "
                    "BYTES, DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ, ARRAY, MAP, MULTISET, ROW",
                    t->name);
    return false;
}

bool wr_bind_type(const wr_ast_type *t, wr_type *out, wr_error *err)
{
    return map_type(t, 1, out, err);
}

/* ---- interval literals ------------------------------------------------------- */

/* Reads an unsigned decimal number at s[*i]; false when there is none, or when it is too large
 * (*range set). */
static bool read_field(const char *s, size_t *i, int64_t *v, bool *range)
{
    size_t start = *i;
    *v = 0;
    while (s[*i] >= '0' && s[*i] <= '9') {
        if (*v > (INT64_MAX - 9) / 10) return !(*range = true);
        *v = *v * 10 + (s[*i] - '0');
        (*i)++;
    }
    return *i > start;
}

wr_expr *wr_bind_interval(const wr_ast_expr *ast, wr_error *err)
{
    static const char *const units[] = {"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"};
    /* Milliseconds of DAY, HOUR, MINUTE, SECOND. */
    static const int64_t unit_ms[] = {0, 0, 86400000, 3600000, 60000, 1000};
    /* The largest value of a field that is not the first: months, hours, minutes, seconds. */
    static const int64_t field_max[] = {0, 11, 0, 23, 59, 59};
    int from = -1, to = -1;
    for (int k = 0; k < 6; k++) {
        if (strcmp(ast->interval.unit, units[k]) == 0) from = k;
        if (ast->interval.to_unit && strcmp(ast->interval.to_unit, units[k]) == 0) to = k;
    }
    if (to < 0) to = from;
    const char *text = ast->interval.text;
    const char *shape[6][6] = {
        {"'y'", "'y-m'"},
        {NULL, "'m'"},
        {NULL, NULL, "'d'", "'d h'", "'d h:m'", "'d h:m:s[.fff]'"},
        {NULL, NULL, NULL, "'h'", "'h:m'", "'h:m:s[.fff]'"},
        {NULL, NULL, NULL, NULL, "'m'", "'m:s[.fff]'"},
        {NULL, NULL, NULL, NULL, NULL, "'s[.fff]'"},
    };
    assert(from >= 0 && to >= from && shape[from][to] != NULL);
    size_t i = 0;
    while (text[i] == ' ') i++;
    bool neg = false;
    if (text[i] == '-' || text[i] == '+') neg = text[i++] == '-';
    int64_t total = 0, ms = 0;
    bool ok = true, range = false; /* range: well formed but too large */
    for (int k = from; k <= to && ok; k++) {
        /* Separators: '-' between years and months, ' ' after days, ':' between time fields. */
        if (k > from) {
            char sep = k == 1 ? '-' : k == 3 ? ' ' : ':';
            if (text[i] != sep) {
                ok = false;
                break;
            }
            i++;
        }
        int64_t v;
        if (!read_field(text, &i, &v, &range) || (k > from && v > field_max[k])) {
            ok = false;
            break;
        }
        if (from <= 1) {
            if ((k == 0 && __builtin_mul_overflow(v, 12, &v)) ||
                __builtin_add_overflow(total, v, &total))
                range = true;
        } else {
            int64_t part;
            if (__builtin_mul_overflow(v, unit_ms[k], &part) ||
                __builtin_add_overflow(total, part, &total))
                range = true;
        }
        if (k == 5 && text[i] == '.') {
            /* Milliseconds: digits past three are dropped. */
            i++;
            int digits = 0;
            while (text[i] >= '0' && text[i] <= '9') {
                if (digits < 3) ms = ms * 10 + (text[i] - '0');
                digits++;
                i++;
            }
            for (int d = digits; d < 3; d++) ms *= 10;
            if (digits == 0 || digits > 9) ok = false;
        }
    }
    while (text[i] == ' ') i++;
    if (ok && text[i] != '\0') ok = false;
    if (ok && __builtin_add_overflow(total, ms, &total)) range = true;
    bool months = from <= 1;
    if (ok && months && total > INT32_MAX) range = true;
    if (range) {
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                        "interval '%s' is out of range: at most %s", text,
                        months ? "2147483647 months" : "9223372036854775807 milliseconds");
        return NULL;
    }
    if (!ok) {
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                        "invalid interval '%s' for %s%s%s: expected %s", text, units[from],
                        to != from ? " TO " : "", to != from ? units[to] : "", shape[from][to]);
        return NULL;
    }
    if (neg) total = -total;
    wr_type t = wr_type_make(months ? WR_TYPE_INTERVAL_YM : WR_TYPE_INTERVAL_DT, false);
    return wr_expr_int64(t, total, ast->pos);
}

wr_expr *wr_bind_unit_arg(const char *func, int index, const wr_ast_expr *arg)
{
    static const char *const units[] = {"MICROSECOND", "MILLISECOND", "SECOND",     "MINUTE",
                                        "HOUR",        "DAY",         "WEEK",       "MONTH",
                                        "QUARTER",     "YEAR",        "FRAC_SECOND"};
    if (index != 0 || arg->kind != WR_AST_IDENT || arg->ident.nparts != 1) return NULL;
    if (strcasecmp(func, "TIMESTAMPADD") != 0 && strcasecmp(func, "TIMESTAMPDIFF") != 0)
        return NULL;
    /* A unit is a keyword there, never a column: an unknown word is left to the function's
     * error, which lists the units. */
    const char *name = arg->ident.parts[0];
    for (size_t i = 0; i < WR_ARRAY_LEN(units); i++)
        if (strcasecmp(name, units[i]) == 0) name = units[i];
    return wr_expr_string(wr_type_make(WR_TYPE_VARCHAR, false), name, strlen(name), arg->pos);
}

/* ---- assignment ---------------------------------------------------------------- */

/*
 * Whether a value of type from may be written to a column of type to without an explicit CAST
 * (Flink's implicit casts): numbers to wider numbers, any number to DECIMAL, DECIMAL to
 * FLOAT/DOUBLE, text to text, bytes to bytes, TIMESTAMP to DATE and TIME, TIMESTAMP to and from
 * TIMESTAMP_LTZ, a type to itself with other parameters.
 */
bool wr_assignable(wr_type from, wr_type to)
{
    wr_type_id f = (wr_type_id)from.id, t = (wr_type_id)to.id;
    if (wr_type_is_nested(f) && f == t) {
        /* Part by part: ARRAY<INT> goes into ARRAY<BIGINT>, a ROW into a ROW of as many fields
         * whatever their names (Flink matches fields by position). */
        const wr_nested *a = wr_type_nested(from), *b = wr_type_nested(to);
        if (a->nfields != b->nfields) return false;
        for (int i = 0; i < a->nfields; i++)
            if (!wr_assignable(a->fields[i], b->fields[i])) return false;
        return true;
    }
    if (f == WR_TYPE_NULL || f == t) return true;
    if (wr_type_is_string(f) && wr_type_is_string(t)) return true;
    if (wr_type_is_binary(f) && wr_type_is_binary(t)) return true;
    if (wr_type_is_numeric(f) && wr_type_is_numeric(t)) {
        if (t == WR_TYPE_DECIMAL) return true;
        if (f == WR_TYPE_DECIMAL) return t == WR_TYPE_FLOAT || t == WR_TYPE_DOUBLE;
        wr_type c;
        return wr_type_common(from, to, &c) && c.id == to.id;
    }
    if (f == WR_TYPE_TIMESTAMP)
        return t == WR_TYPE_DATE || t == WR_TYPE_TIME || t == WR_TYPE_TIMESTAMP_LTZ;
    if (f == WR_TYPE_TIMESTAMP_LTZ) return t == WR_TYPE_TIMESTAMP;
    return false;
}
