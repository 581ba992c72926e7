/*
 * binder.c — from syntax trees to typed logical plans.
 *
 * Resolves table and column names against the catalog, gives every
 * expression its type under Flink's rules for the types Weir has, inserts
 * implicit casts so that operands share a type, and reports what it cannot
 * accept at the position of the offending text.
 */
#include "../base/alloc.h"
#include "../base/config.h"
#include "../base/vec.h"
#include "../expr/functions.h"
#include "../ops/values.h"
#include "plan.h"
#include "typing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void wr_plan_free(wr_plan *plan)
{
    if (plan == NULL) return;
    wr_plan_free(plan->input);
    wr_schema_free(plan->schema);
    for (int i = 0; i < plan->nbatches; i++) wr_batch_free(plan->batches[i]);
    wr_free(plan->batches);
    wr_expr_free(plan->filter);
    for (int i = 0; i < plan->nprojs; i++) wr_expr_free(plan->projs[i]);
    wr_free(plan->projs);
    wr_free(plan);
}

static void explain_node(const wr_plan *plan, int depth, wr_buf *out)
{
    for (int i = 0; i < depth; i++) wr_buf_puts(out, "  ");
    const char *const *names = plan->input ? (const char *const *)plan->input->schema->names : NULL;
    switch (plan->kind) {
    case WR_PLAN_SCAN:
        wr_buf_printf(out, "TableSourceScan(table=[%s], fields=[", plan->table->name);
        for (int i = 0; i < plan->schema->ncols; i++)
            wr_buf_printf(out, "%s%s", i ? ", " : "", plan->schema->names[i]);
        wr_buf_puts(out, "])\n");
        break;
    case WR_PLAN_VALUES: {
        int rows = 0;
        for (int i = 0; i < plan->nbatches; i++) rows += plan->batches[i]->count;
        wr_buf_printf(out, "Values(rows=[%d])\n", rows);
        break;
    }
    case WR_PLAN_CALC:
        wr_buf_puts(out, "Calc(select=[");
        for (int i = 0; i < plan->nprojs; i++) {
            if (i) wr_buf_puts(out, ", ");
            wr_expr_format(plan->projs[i], names, out);
            if (plan->projs[i]->kind != WR_EXPR_COLUMN ||
                strcmp(names[plan->projs[i]->col], plan->schema->names[i]) != 0)
                wr_buf_printf(out, " AS %s", plan->schema->names[i]);
        }
        wr_buf_putc(out, ']');
        if (plan->filter) {
            wr_buf_puts(out, ", where=[");
            wr_expr_format(plan->filter, names, out);
            wr_buf_putc(out, ']');
        }
        wr_buf_puts(out, ")\n");
        break;
    }
    if (plan->input) explain_node(plan->input, depth + 1, out);
}

void wr_plan_explain(const wr_plan *plan, wr_buf *out)
{
    explain_node(plan, 0, out);
}

/* ---- scope -------------------------------------------------------------- */

typedef struct scope {
    const wr_schema *schema; /* columns visible to expressions, or NULL */
    const char *table;       /* the table's name */
    const char *alias;       /* its alias, or NULL */
} scope;

static wr_expr *bind_expr(const wr_ast_expr *ast, const scope *sc, wr_error *err);

static wr_expr *bind_ident(const wr_ast_expr *ast, const scope *sc, wr_error *err)
{
    int n = ast->ident.nparts;
    const char *name = ast->ident.parts[n - 1];
    if (n > 1) {
        const char *q = ast->ident.parts[n - 2];
        bool match = sc->schema && ((sc->alias && strcmp(q, sc->alias) == 0) ||
                                    (!sc->alias && sc->table && strcmp(q, sc->table) == 0));
        if (!match || n > 2) {
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "table '%s' not found", q);
            return NULL;
        }
    }
    int col = sc->schema ? wr_schema_find(sc->schema, name) : -1;
    if (col < 0) {
        wr_buf cols;
        wr_buf_init(&cols);
        for (int i = 0; sc->schema && i < sc->schema->ncols; i++)
            wr_buf_printf(&cols, "%s%s", i ? ", " : "", sc->schema->names[i]);
        if (sc->schema)
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                            "unknown column '%s' in table '%s' (columns: %s)", name, sc->table,
                            cols.data ? cols.data : "");
        else
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                            "unknown column '%s': the query has no FROM clause", name);
        wr_buf_fini(&cols);
        return NULL;
    }
    return wr_expr_column(col, sc->schema->types[col], ast->pos);
}

static wr_expr *bind_case(const wr_ast_expr *ast, const scope *sc, wr_error *err)
{
    int n = ast->case_.nwhens;
    int nargs = 2 * n + (ast->case_.else_ ? 1 : 0);
    wr_expr **args = wr_calloc((size_t)nargs, sizeof(wr_expr *));
    int *branch = NULL, nbranch = 0;
    wr_expr *result = NULL;
    for (int i = 0; i < n; i++) {
        wr_expr *cond;
        if (ast->case_.operand) {
            wr_expr *l = bind_expr(ast->case_.operand, sc, err);
            wr_expr *r = l ? bind_expr(ast->case_.whens[i], sc, err) : NULL;
            if (!r) {
                wr_expr_free(l);
                goto fail;
            }
            cond = wr_bind_binary(WR_OP_EQ, l, r, ast->case_.whens[i]->pos, err);
        } else {
            cond = bind_expr(ast->case_.whens[i], sc, err);
            if (cond && cond->type.id == WR_TYPE_NULL)
                cond =
                    wr_expr_cast(cond, wr_type_make(WR_TYPE_BOOLEAN, true), false, cond->pos, err);
            if (cond && cond->type.id != WR_TYPE_BOOLEAN) {
                char t[64];
                wr_error_set_at(err, WR_ERR_VALIDATION, cond->pos,
                                "WHEN needs a BOOLEAN condition, but this one is %s",
                                wr_type_name(cond->type, t, sizeof(t)));
                wr_expr_free(cond);
                cond = NULL;
            }
        }
        if (!cond) goto fail;
        args[2 * i] = cond;
        if (!(args[2 * i + 1] = bind_expr(ast->case_.thens[i], sc, err))) goto fail;
    }
    if (ast->case_.else_ && !(args[nargs - 1] = bind_expr(ast->case_.else_, sc, err))) goto fail;
    /* The result type is the common type of all branches (THENs and ELSE). */
    branch = wr_malloc((size_t)(nargs > 0 ? nargs : 1) * sizeof(int));
    for (int i = 0; i < n; i++) branch[nbranch++] = 2 * i + 1;
    if (nargs % 2) branch[nbranch++] = nargs - 1;
    wr_type t = wr_type_make(WR_TYPE_NULL, true);
    for (int b = 0; b < nbranch; b++) {
        wr_type c;
        wr_expr *x = args[branch[b]];
        if (!wr_type_common(t, x->type, &c)) {
            char tx[64], ty[64];
            wr_type_names(t, x->type, tx, ty);
            wr_error_set_at(err, WR_ERR_VALIDATION, x->pos,
                            "CASE branches have incompatible types %s and %s", tx, ty);
            goto fail;
        }
        t = c;
    }
    if (t.id == WR_TYPE_NULL) t = wr_type_make(WR_TYPE_VARCHAR, true);
    if (t.id == WR_TYPE_CHAR) t.id = WR_TYPE_VARCHAR; /* branches of different lengths */
    if (nargs % 2 == 0) t.nullable = true;            /* no ELSE: NULL */
    for (int b = 0; b < nbranch; b++) {
        wr_expr **x = &args[branch[b]];
        wr_type want = t;
        want.nullable = (*x)->type.nullable || (*x)->type.id == WR_TYPE_NULL;
        if (!wr_type_equal((*x)->type, want) &&
            !(*x = wr_expr_cast(*x, want, false, (*x)->pos, err)))
            goto fail;
    }
    wr_free(branch);
    result = wr_expr_logic(WR_EXPR_CASE, args, nargs, t, ast->pos);
    return result;
fail:
    wr_free(branch);
    for (int i = 0; i < nargs; i++) wr_expr_free(args[i]);
    wr_free(args);
    return NULL;
}

static wr_expr *bind_expr(const wr_ast_expr *ast, const scope *sc, wr_error *err)
{
    switch (ast->kind) {
    case WR_AST_LITERAL:
        return wr_bind_literal(ast, err);
    case WR_AST_IDENT:
        return bind_ident(ast, sc, err);
    case WR_AST_UNARY: {
        wr_expr *a = bind_expr(ast->unary.arg, sc, err);
        if (!a) return NULL;
        if (ast->unary.op == WR_OP_PLUS) {
            if (wr_type_is_numeric(a->type.id)) return a;
        } else if (ast->unary.op == WR_OP_NEG) {
            if (a->type.id == WR_TYPE_NULL)
                a = wr_expr_cast(a, wr_type_make(WR_TYPE_INT, true), false, a->pos, err);
            if (a && wr_type_is_numeric(a->type.id))
                return wr_expr_call(WR_FN_NEG, wr_args1(a), 1, a->type, ast->pos, err);
        } else {
            if (a->type.id == WR_TYPE_NULL)
                a = wr_expr_cast(a, wr_type_make(WR_TYPE_BOOLEAN, true), false, a->pos, err);
            if (a && a->type.id == WR_TYPE_BOOLEAN)
                return wr_expr_call(WR_FN_NOT, wr_args1(a), 1, a->type, ast->pos, err);
        }
        if (a) {
            char t[64];
            wr_error_set_at(
                err, WR_ERR_VALIDATION, ast->pos, "cannot apply '%s' to an argument of type %s",
                ast->unary.op == WR_OP_NOT ? "NOT" : "-", wr_type_name(a->type, t, sizeof(t)));
            wr_expr_free(a);
        }
        return NULL;
    }
    case WR_AST_BINARY: {
        wr_expr *a = bind_expr(ast->binary.left, sc, err);
        if (!a) return NULL;
        wr_expr *b = bind_expr(ast->binary.right, sc, err);
        if (!b) {
            wr_expr_free(a);
            return NULL;
        }
        return wr_bind_binary(ast->binary.op, a, b, ast->binary.op_pos, err);
    }
    case WR_AST_IS: {
        wr_expr *a = bind_expr(ast->is.arg, sc, err);
        if (!a) return NULL;
        wr_func fn;
        if (ast->is.what == WR_IS_NULL || ast->is.what == WR_IS_UNKNOWN) {
            fn = ast->is.negated ? WR_FN_IS_NOT_NULL : WR_FN_IS_NULL;
            if (ast->is.what == WR_IS_UNKNOWN && a->type.id != WR_TYPE_BOOLEAN &&
                a->type.id != WR_TYPE_NULL) {
                wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                                "IS UNKNOWN needs a BOOLEAN operand");
                wr_expr_free(a);
                return NULL;
            }
        } else {
            if (a->type.id == WR_TYPE_NULL)
                a = wr_expr_cast(a, wr_type_make(WR_TYPE_BOOLEAN, true), false, a->pos, err);
            if (a && a->type.id != WR_TYPE_BOOLEAN) {
                wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                                "IS TRUE and IS FALSE need a BOOLEAN operand");
                wr_expr_free(a);
                return NULL;
            }
            if (!a) return NULL;
            bool t = ast->is.what == WR_IS_TRUE;
            fn = t ? (ast->is.negated ? WR_FN_IS_NOT_TRUE : WR_FN_IS_TRUE)
                   : (ast->is.negated ? WR_FN_IS_NOT_FALSE : WR_FN_IS_FALSE);
        }
        return wr_expr_call(fn, wr_args1(a), 1, wr_type_make(WR_TYPE_BOOLEAN, false), ast->pos,
                            err);
    }
    case WR_AST_BETWEEN: {
        /* x BETWEEN lo AND hi == x >= lo AND x <= hi (x is evaluated twice) */
        wr_expr *x1 = bind_expr(ast->between.arg, sc, err);
        wr_expr *lo = x1 ? bind_expr(ast->between.low, sc, err) : NULL;
        wr_expr *x2 = lo ? bind_expr(ast->between.arg, sc, err) : NULL;
        wr_expr *hi = x2 ? bind_expr(ast->between.high, sc, err) : NULL;
        if (!hi) {
            wr_expr_free(x1);
            wr_expr_free(lo);
            wr_expr_free(x2);
            return NULL;
        }
        wr_expr *ge = wr_bind_binary(WR_OP_GE, x1, lo, ast->pos, err);
        wr_expr *le = ge ? wr_bind_binary(WR_OP_LE, x2, hi, ast->pos, err) : NULL;
        if (!ge || !le) {
            wr_expr_free(ge);
            if (!ge) {
                wr_expr_free(x2);
                wr_expr_free(hi);
            }
            return NULL;
        }
        wr_expr *both = wr_bind_binary(WR_OP_AND, ge, le, ast->pos, err);
        if (both && ast->between.negated)
            both = wr_expr_call(WR_FN_NOT, wr_args1(both), 1, both->type, ast->pos, err);
        return both;
    }
    case WR_AST_IN_LIST: {
        wr_expr *any = NULL;
        for (int i = 0; i < ast->in_list.nitems; i++) {
            wr_expr *x = bind_expr(ast->in_list.arg, sc, err);
            wr_expr *v = x ? bind_expr(ast->in_list.items[i], sc, err) : NULL;
            wr_expr *eq =
                v ? wr_bind_binary(WR_OP_EQ, x, v, ast->in_list.items[i]->pos, err) : NULL;
            if (!v) wr_expr_free(x);
            if (!eq) {
                wr_expr_free(any);
                return NULL;
            }
            any = any ? wr_bind_binary(WR_OP_OR, any, eq, ast->pos, err) : eq;
            if (!any) return NULL;
        }
        if (any && ast->in_list.negated)
            any = wr_expr_call(WR_FN_NOT, wr_args1(any), 1, any->type, ast->pos, err);
        return any;
    }
    case WR_AST_CASE:
        return bind_case(ast, sc, err);
    case WR_AST_CAST: {
        wr_type t;
        if (!wr_bind_type(&ast->cast.type, &t, err)) return NULL;
        wr_expr *a = bind_expr(ast->cast.arg, sc, err);
        if (!a) return NULL;
        t.nullable = a->type.nullable || a->type.id == WR_TYPE_NULL;
        return wr_expr_cast(a, t, ast->cast.try_, ast->pos, err);
    }
    case WR_AST_INTERVAL:
        return wr_bind_interval(ast, err);
    case WR_AST_CALL: {
        /* Scalar functions of the registry (functions.h). */
        if (ast->call.star || ast->call.distinct || ast->call.filter) {
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "unknown function '%s'",
                            ast->call.name);
            return NULL;
        }
        int nargs = ast->call.nargs;
        wr_expr **args = wr_calloc((size_t)(nargs ? nargs : 1), sizeof(wr_expr *));
        for (int i = 0; i < nargs; i++) {
            wr_expr *unit = wr_bind_unit_arg(ast->call.name, i, ast->call.args[i]);
            if (!(args[i] = unit ? unit : bind_expr(ast->call.args[i], sc, err))) {
                for (int k = 0; k < i; k++) wr_expr_free(args[k]);
                wr_free(args);
                return NULL;
            }
        }
        return wr_func_bind(ast->call.name, args, nargs, ast->pos, err);
    }
    case WR_AST_STAR:
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "'*' is only allowed in a SELECT list");
        return NULL;
    default:
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                        "this kind of expression is not supported here");
        return NULL;
    }
}

/* ---- queries ------------------------------------------------------------- */

static wr_plan *plan_new(wr_plan_kind kind)
{
    wr_plan *p = wr_calloc(1, sizeof(*p));
    p->kind = kind;
    p->schema = wr_schema_new();
    return p;
}

/* Evaluates constant expressions (one row each) into VALUES batches. */
static wr_plan *bind_values(wr_expr ***rows, int nrows, int ncols, const char *const *names,
                            wr_error *err)
{
    wr_plan *plan = plan_new(WR_PLAN_VALUES);
    wr_type types[ncols > 0 ? ncols : 1];
    int rc = 0;
    /* Column types: the common type of each column over all rows. */
    for (int c = 0; c < ncols && rc == 0; c++) {
        wr_type t = wr_type_make(WR_TYPE_NULL, true);
        for (int r = 0; r < nrows; r++) {
            wr_type u;
            if (!wr_type_common(t, rows[r][c]->type, &u)) {
                char x[64], y[64];
                wr_type_names(t, rows[r][c]->type, x, y);
                rc = wr_error_set_at(err, WR_ERR_VALIDATION, rows[r][c]->pos,
                                     "VALUES column %d has incompatible types %s and %s", c + 1, x,
                                     y);
                break;
            }
            t = u;
        }
        if (t.id == WR_TYPE_NULL) t = wr_type_make(WR_TYPE_VARCHAR, true);
        if (t.id == WR_TYPE_CHAR && nrows > 1) t.id = WR_TYPE_VARCHAR; /* differing lengths */
        types[c] = t;
        wr_schema_add(plan->schema, names[c], t);
    }
    wr_batch *batch = NULL;
    wr_batch *one = wr_batch_new(NULL, 0, 1);
    one->count = 1;
    wr_arena scratch;
    wr_arena_init(&scratch, 4096);
    for (int r = 0; r < nrows && rc == 0; r++) {
        if (batch == NULL || batch->count == batch->capacity) {
            batch = wr_batch_new(types, ncols, WR_BATCH_CAPACITY);
            plan->batches = wr_realloc(plan->batches, (size_t)(plan->nbatches + 1) * sizeof(batch));
            plan->batches[plan->nbatches++] = batch;
        }
        for (int c = 0; c < ncols; c++) {
            wr_type want = types[c];
            want.nullable = rows[r][c]->type.nullable;
            wr_expr *e = rows[r][c];
            rows[r][c] = NULL;
            if (!wr_type_equal(e->type, want) && !(e = wr_expr_cast(e, want, false, e->pos, err))) {
                rc = err->code;
                break;
            }
            wr_eval ev = {&scratch, 1};
            wr_vector v;
            rc = wr_expr_eval(&ev, e, one, NULL, 1, &v, err);
            if (rc == 0) {
                /* Copy the one value into column c of the batch. */
                wr_batch *dst = batch;
                int row = dst->count;
                if (wr_vector_is_null(&v, 0)) {
                    wr_batch_set_null(dst, c, row);
                } else {
                    if (dst->cols[c].validity) wr_validity_set(dst->cols[c].validity, row, true);
                    size_t w = wr_type_width(types[c].id);
                    if (wr_type_is_view(types[c].id)) {
                        wr_str s = ((wr_str *)v.data)[0];
                        ((wr_str *)dst->cols[c].data)[row] = wr_batch_str(dst, s.ptr, s.len);
                    } else {
                        memcpy((char *)dst->cols[c].data + (size_t)row * w, v.data, w);
                    }
                }
            }
            wr_expr_free(e);
            wr_arena_reset(&scratch);
            if (rc) break;
        }
        if (rc == 0) batch->count++;
    }
    wr_arena_fini(&scratch);
    wr_batch_free(one);
    if (rc) {
        wr_plan_free(plan);
        return NULL;
    }
    return plan;
}

static void default_name(const wr_ast_select_item *item, int i, char *buf, size_t size)
{
    if (item->alias)
        snprintf(buf, size, "%s", item->alias);
    else if (item->expr->kind == WR_AST_IDENT)
        snprintf(buf, size, "%s", item->expr->ident.parts[item->expr->ident.nparts - 1]);
    else
        snprintf(buf, size, "EXPR$%d", i);
}

static wr_plan *bind_select(const wr_ast_query *q, const wr_catalog *cat, wr_error *err)
{
    const wr_ast_from *from = q->select.from;
    wr_plan *input = NULL;
    scope sc = {0};
    if (q->select.group_by || q->select.having || q->select.distinct) {
        int pos = q->select.having      ? q->select.having->pos
                  : q->select.ngroup_by ? q->select.group_by[0]->pos
                                        : q->pos;
        wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                        "GROUP BY, HAVING and DISTINCT are not supported yet");
        return NULL;
    }
    if (from) {
        if (from->kind != WR_FROM_TABLE) {
            wr_error_set_at(err, WR_ERR_VALIDATION, from->pos,
                            "joins and subqueries in FROM are not supported yet");
            return NULL;
        }
        const char *name = from->table.parts[from->table.nparts - 1];
        const wr_table *table = wr_catalog_find(cat, name);
        if (table == NULL || from->table.nparts > 3) {
            wr_error_set_at(err, WR_ERR_VALIDATION, from->pos,
                            "table '%s' not found in default_catalog.default_database", name);
            return NULL;
        }
        input = plan_new(WR_PLAN_SCAN);
        input->table = table;
        wr_schema_free(input->schema);
        input->schema = wr_schema_copy(table->schema);
        sc.schema = input->schema;
        sc.table = table->name;
        sc.alias = from->alias;
    }

    /* The select list, with * expanded. */
    WR_VEC(wr_expr *) projs = {0};
    wr_schema *out = wr_schema_new();
    wr_expr *filter = NULL;
    for (int i = 0; i < q->select.nitems; i++) {
        const wr_ast_select_item *item = &q->select.items[i];
        if (item->expr->kind == WR_AST_STAR) {
            if (!sc.schema) {
                wr_error_set_at(err, WR_ERR_VALIDATION, item->expr->pos, "'*' needs a FROM clause");
                goto fail;
            }
            const char *qual = item->expr->star.qualifier;
            if (qual && strcmp(qual, sc.alias ? sc.alias : sc.table) != 0) {
                wr_error_set_at(err, WR_ERR_VALIDATION, item->expr->pos, "table '%s' not found",
                                qual);
                goto fail;
            }
            for (int c = 0; c < sc.schema->ncols; c++) {
                WR_VEC_PUSH(&projs, wr_expr_column(c, sc.schema->types[c], item->expr->pos));
                wr_schema_add(out, sc.schema->names[c], sc.schema->types[c]);
            }
            continue;
        }
        wr_expr *e = bind_expr(item->expr, &sc, err);
        if (!e) goto fail;
        if (e->type.id == WR_TYPE_NULL) {
            e = wr_expr_cast(e, wr_type_make(WR_TYPE_VARCHAR, true), false, e->pos, err);
            if (!e) goto fail;
        }
        char name[256];
        default_name(item, projs.n, name, sizeof(name));
        WR_VEC_PUSH(&projs, e);
        wr_schema_add(out, name, e->type);
    }
    if (q->select.where) {
        filter = bind_expr(q->select.where, &sc, err);
        if (!filter) goto fail;
        if (filter->type.id != WR_TYPE_BOOLEAN) {
            char t[64];
            wr_error_set_at(err, WR_ERR_VALIDATION, q->select.where->pos,
                            "WHERE needs a BOOLEAN condition, but this one is %s",
                            wr_type_name(filter->type, t, sizeof(t)));
            goto fail;
        }
    }
    if (input == NULL) {
        /* SELECT without FROM: one row of constants. */
        if (filter) {
            wr_error_set_at(err, WR_ERR_VALIDATION, q->select.where->pos,
                            "WHERE needs a FROM clause");
            goto fail;
        }
        wr_expr **row = projs.v;
        wr_plan *values = bind_values(&row, 1, projs.n, (const char *const *)out->names, err);
        for (int i = 0; i < projs.n; i++) wr_expr_free(projs.v[i]);
        WR_VEC_FREE(&projs);
        wr_schema_free(out);
        return values;
    }
    wr_plan *calc = plan_new(WR_PLAN_CALC);
    wr_schema_free(calc->schema);
    calc->schema = out;
    calc->input = input;
    calc->filter = filter;
    calc->projs = projs.v;
    calc->nprojs = projs.n;
    return calc;
fail:
    for (int i = 0; i < projs.n; i++) wr_expr_free(projs.v[i]);
    WR_VEC_FREE(&projs);
    wr_expr_free(filter);
    wr_schema_free(out);
    wr_plan_free(input);
    return NULL;
}

wr_plan *wr_bind_query(const wr_ast_query *q, const wr_catalog *cat, wr_error *err)
{
    if (q->nctes || q->norder_by || q->limit || q->offset) {
        int pos = q->norder_by ? q->order_by[0].expr->pos : q->limit ? q->limit->pos : q->pos;
        wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                        "WITH, ORDER BY, LIMIT and OFFSET are not supported yet");
        return NULL;
    }
    if (q->kind == WR_QUERY_SELECT) return bind_select(q, cat, err);
    if (q->kind == WR_QUERY_VALUES) {
        int nrows = q->values.nrows, ncols = q->values.ncols;
        wr_expr ***rows = wr_calloc((size_t)nrows, sizeof(wr_expr **));
        scope sc = {0};
        wr_plan *plan = NULL;
        int bound = 0;
        for (; bound < nrows; bound++) {
            rows[bound] = wr_calloc((size_t)ncols, sizeof(wr_expr *));
            int c;
            for (c = 0; c < ncols; c++)
                if (!(rows[bound][c] = bind_expr(q->values.rows[bound][c], &sc, err))) break;
            if (c < ncols) {
                bound++;
                goto done;
            }
        }
        {
            char **names = wr_calloc((size_t)(ncols ? ncols : 1), sizeof(char *));
            for (int c = 0; c < ncols; c++) {
                char buf[32];
                snprintf(buf, sizeof(buf), "EXPR$%d", c);
                names[c] = wr_strdup(buf);
            }
            plan = bind_values(rows, nrows, ncols, (const char *const *)names, err);
            for (int c = 0; c < ncols; c++) wr_free(names[c]);
            wr_free(names);
        }
    done:
        for (int r = 0; r < bound; r++) {
            for (int c = 0; c < ncols; c++) wr_expr_free(rows[r][c]);
            wr_free(rows[r]);
        }
        wr_free(rows);
        return plan;
    }
    wr_error_set_at(err, WR_ERR_VALIDATION, q->pos,
                    "UNION, INTERSECT and EXCEPT are not supported yet");
    return NULL;
}

/* Position of the i-th output column's expression in a SELECT without '*'. */
static int item_pos(const wr_ast_query *q, int i)
{
    if (q->kind != WR_QUERY_SELECT) return q->pos;
    for (int k = 0; k < q->select.nitems; k++)
        if (q->select.items[k].expr->kind == WR_AST_STAR) return q->pos;
    return i < q->select.nitems ? q->select.items[i].expr->pos : q->pos;
}

wr_plan *wr_bind_insert(wr_plan *plan, const wr_table *sink, const wr_ast_query *query,
                        wr_error *err)
{
    int pos = query->pos;
    const wr_schema *in = plan->schema, *want = sink->schema;
    if (in->ncols != want->ncols) {
        wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                        "the query produces %d columns but table '%s' has %d", in->ncols,
                        sink->name, want->ncols);
        wr_plan_free(plan);
        return NULL;
    }
    bool need_cast = false;
    for (int i = 0; i < in->ncols; i++) {
        wr_type a = in->types[i], b = want->types[i];
        if (!wr_assignable(a, b)) {
            char x[64], y[64];
            wr_type_names(a, b, x, y);
            wr_error_set_at(err, WR_ERR_VALIDATION, item_pos(query, i),
                            "type mismatch for column '%s' of table '%s': the query produces %s "
                            "(column %d, '%s') but the column is %s",
                            want->names[i], sink->name, x, i + 1, in->names[i], y);
            wr_plan_free(plan);
            return NULL;
        }
        if (!wr_type_equal(a, b)) need_cast = true;
    }
    if (!need_cast) return plan;
    wr_plan *calc = plan_new(WR_PLAN_CALC);
    calc->input = plan;
    calc->projs = wr_calloc((size_t)want->ncols, sizeof(wr_expr *));
    calc->nprojs = want->ncols;
    for (int i = 0; i < want->ncols; i++) {
        wr_type t = want->types[i];
        t.nullable = in->types[i].nullable || in->types[i].id == WR_TYPE_NULL;
        wr_expr *e = wr_expr_column(i, in->types[i], pos);
        if (!wr_type_equal(in->types[i], t)) e = wr_expr_cast(e, t, false, pos, err);
        if (!e) {
            wr_plan_free(calc);
            return NULL;
        }
        calc->projs[i] = e;
        wr_schema_add(calc->schema, want->names[i], t);
    }
    return calc;
}
