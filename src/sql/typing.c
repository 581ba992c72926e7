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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                            "numeric literal '%s' is out of the range of BIGINT", ast->lit.text);
            return NULL;
        }
        wr_type_id id = v <= INT32_MAX ? WR_TYPE_INT : WR_TYPE_BIGINT;
        return wr_expr_int64(wr_type_make(id, false), v, ast->pos);
    }
    case WR_LIT_DECIMAL:
    case WR_LIT_DOUBLE:
        /* Without a DECIMAL type yet, exact numeric literals are DOUBLE (docs/sql.md). */
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
        const char *dot = strchr(s, '.');
        int p = 0;
        if (dot)
            while (dot[1 + p] >= '0' && dot[1 + p] <= '9') p++;
        wr_type t = wr_type_make(WR_TYPE_TIMESTAMP, false);
        t.length = p > 9 ? 9 : p;
        return wr_expr_int64(t, us, ast->pos);
    }
    case WR_LIT_DATE:
    case WR_LIT_TIME:
        break;
    case WR_LIT_BINARY:
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "binary literals are not supported yet");
        return NULL;
    }
    wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "DATE and TIME literals are not supported");
    return NULL;
}

void wr_type_names(wr_type a, wr_type b, char *x, char *y)
{
    wr_type_name(a, x, 64);
    wr_type_name(b, y, 64);
}

int wr_unify(wr_expr **a, wr_expr **b, const char *op, int pos, bool numeric_only, wr_type *common,
             wr_error *err)
{
    wr_type ta = (*a)->type, tb = (*b)->type;
    bool ok = wr_type_common(ta, tb, common);
    if (ok && numeric_only && !wr_type_is_numeric(common->id)) ok = false;
    if (!ok) {
        char x[64], y[64];
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
    wr_type ca = target, cb = target;
    ca.nullable = ta.nullable || ta.id == WR_TYPE_NULL;
    cb.nullable = tb.nullable || tb.id == WR_TYPE_NULL;
    /* Strings compare and concatenate as they are; only numbers widen. */
    if (wr_type_is_string(target.id)) {
        if (wr_type_is_string(ta.id)) ca = ta;
        if (wr_type_is_string(tb.id)) cb = tb;
    }
    if (ca.id == WR_TYPE_TIMESTAMP && ta.id == WR_TYPE_TIMESTAMP) ca = ta;
    if (cb.id == WR_TYPE_TIMESTAMP && tb.id == WR_TYPE_TIMESTAMP) cb = tb;
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
                char t[64];
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
    wr_type common;
    if (fn == WR_FN_CONCAT) {
        for (int k = 0; k < 2; k++) {
            wr_expr *x = k ? b : a;
            if (!wr_type_is_string(x->type.id) && x->type.id != WR_TYPE_NULL) {
                char t[64];
                wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                                "cannot apply '||' to an argument of type %s; CAST it to STRING",
                                wr_type_name(x->type, t, sizeof(t)));
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

static bool map_type(const wr_ast_type *t, wr_type *out, wr_error *err)
{
    static const struct {
        const char *name;
        wr_type_id id;
    } names[] = {
        {"BOOLEAN", WR_TYPE_BOOLEAN},     {"TINYINT", WR_TYPE_TINYINT},
        {"SMALLINT", WR_TYPE_SMALLINT},   {"INT", WR_TYPE_INT},
        {"BIGINT", WR_TYPE_BIGINT},       {"FLOAT", WR_TYPE_FLOAT},
        {"DOUBLE", WR_TYPE_DOUBLE},       {"CHAR", WR_TYPE_CHAR},
        {"VARCHAR", WR_TYPE_VARCHAR},     {"STRING", WR_TYPE_VARCHAR},
        {"TIMESTAMP", WR_TYPE_TIMESTAMP},
    };
    for (size_t i = 0; i < WR_ARRAY_LEN(names); i++) {
        if (strcmp(t->name, names[i].name) != 0) continue;
        *out = wr_type_make(names[i].id, !t->not_null);
        if (t->nparams > 0) {
            int p = t->params[0];
            if (names[i].id == WR_TYPE_CHAR || names[i].id == WR_TYPE_VARCHAR) {
                if (p < 1) {
                    wr_error_set_at(err, WR_ERR_VALIDATION, t->pos,
                                    "the length of %s must be at least 1", t->name);
                    return false;
                }
                out->length = p;
            } else if (names[i].id == WR_TYPE_TIMESTAMP) {
                if (p < 0 || p > 9) {
                    wr_error_set_at(err, WR_ERR_VALIDATION, t->pos,
                                    "the precision of TIMESTAMP must be between 0 and 9");
                    return false;
                }
                out->length = p;
            } else {
                wr_error_set_at(err, WR_ERR_VALIDATION, t->pos, "type %s takes no parameters",
                                t->name);
                return false;
            }
        }
        return true;
    }
    wr_error_set_at(err, WR_ERR_VALIDATION, t->pos,
                    "type %s is not supported; supported types: BOOLEAN, TINYINT, SMALLINT, INT, "
                    "BIGINT, FLOAT, DOUBLE, CHAR, VARCHAR, STRING, TIMESTAMP",
                    t->name);
    return false;
}

bool wr_bind_type(const wr_ast_type *t, wr_type *out, wr_error *err)
{
    return map_type(t, out, err);
}

/* Whether a value of type from may be written to a column of type to without an explicit CAST. */
bool wr_assignable(wr_type from, wr_type to)
{
    if (from.id == WR_TYPE_NULL || from.id == to.id) return true;
    if (wr_type_is_string(from.id) && wr_type_is_string(to.id)) return true;
    if (wr_type_is_numeric(from.id) && wr_type_is_numeric(to.id)) {
        wr_type c;
        return wr_type_common(from, to, &c) && c.id == to.id;
    }
    return false;
}
