/*
 * binder.c — from syntax trees to typed logical plans.
 *
 * Resolves table and column names against the catalog, types expressions
 * (typing.c holds the rules), and builds the plan of each query block in
 * SQL's order: FROM (joins), WHERE, GROUP BY and aggregates, HAVING, the
 * select list, DISTINCT, ORDER BY, OFFSET and LIMIT. What it cannot accept
 * it reports at the position of the offending text.
 *
 * Subqueries in expressions are decorrelated here into joins:
 * - EXISTS / NOT EXISTS / IN as a conjunct of WHERE becomes a semi or anti
 *   join with the correlated conditions as its condition.
 * - Any other subquery expression is computed per distinct value of the
 *   outer columns it references (D = the distinct correlation values of the
 *   outer rows): the subquery's rows are joined to D by the correlated
 *   conditions (a right join, so every D value stays), aggregated per D value
 *   (COUNT(*) counts only rows that joined, so an empty match counts 0, not
 *   1), and the result is joined back to the outer rows on the correlation
 *   values (IS NOT DISTINCT FROM, exactly one match). EXISTS and IN outside
 *   WHERE conjuncts are aggregates over the same shape. An uncorrelated
 *   subquery is a one-row input joined to every outer row.
 */
#include "../base/alloc.h"
#include "../base/config.h"
#include "../base/vec.h"
#include "../expr/functions.h"
#include "../expr/like.h"
#include "../ops/unnest.h"
#include "../types/nested.h"
#include "parser.h"
#include "plan.h"
#include "userfunc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- scopes ------------------------------------------------------------- */

/* A relation of a FROM clause: its name and where its columns are in the row. */
typedef struct rel {
    const char *name; /* alias, or table / view / CTE name */
    int first, ncols;
    int nusing; /* leading columns hidden from '*' (a USING join's right keys) */
    const char **hidden;
} rel;

typedef struct scope scope;
struct scope {
    const wr_schema *schema; /* the row expressions read */
    rel *rels;
    int nrels;
    const scope *outer; /* the enclosing query block's scope, or NULL */
    /*
     * Outer references (columns of outer->schema) this block reads, found
     * before binding; the k-th reads column corr_base + k of this row.
     */
    int *corr;
    int ncorr;
    int corr_base;
    /* Per outer reference: the text (ast dump) of the outer expression it stands
     * for, or NULL for a plain column (such expressions were added to the outer
     * block's input as columns, so that D holds their distinct values). */
    char **corr_dumps;
};

typedef struct cte {
    const wr_ast_cte *def;
    const struct cte *next;
} cte;

typedef struct binder {
    const wr_catalog *cat;
    const cte *ctes;
    wr_error *err;
    bool temporal_right; /* the FROM item being bound is a temporal join's right side */
} binder;

/* A query block under construction: its input plan and its names. */
typedef struct block {
    wr_plan *plan;
    scope sc;
} block;

typedef struct aggctx aggctx;

/* What an expression is bound in. */
typedef struct ectx {
    binder *b;
    const scope *sc;
    block *blk;               /* where subqueries add their joins; NULL: no subqueries here */
    aggctx *agg;              /* after aggregation: groups and aggregate calls, or NULL */
    const char *clause;       /* for messages: "WHERE", "ON", ... */
    const struct winctx *win; /* OVER calls already computed as columns, or NULL */
} ectx;

/* OVER calls of a query block and the columns that hold their values. */
typedef struct winctx {
    char **dumps;
    int *cols;
    wr_type *types;
    int n;
} winctx;

struct aggctx {
    const scope *pre; /* the scope the groups and arguments were bound in */
    char **group_dumps;
    int *group_cols; /* the input column of a group that is a plain column, else -1 */
    wr_type *group_types;
    int ngroups;
    int ncorr; /* leading groups that are outer references (decorrelation) */
    char **agg_dumps;
    wr_type *agg_types;
    int naggs;
    uint64_t *sets; /* GROUPING SETS: each set's mask over the grouping expressions */
    int nsets;
    int ngx; /* grouping expressions (the set number is group ncorr + ngx) */
};

static wr_expr *bind_expr(ectx *cx, const wr_ast_expr *ast);
static wr_expr *bind_call(ectx *cx, const wr_ast_expr *ast);
static wr_expr *bind_subquery_expr(ectx *cx, const wr_ast_expr *ast);
static wr_plan *bind_query(binder *b, const wr_ast_query *q, const scope *outer);

static wr_plan *plan_new(wr_plan_kind kind)
{
    return wr_plan_new(kind);
}

static void scope_fini(scope *sc)
{
    for (int i = 0; i < sc->nrels; i++) wr_free(sc->rels[i].hidden);
    wr_free(sc->rels);
    for (int i = 0; sc->corr_dumps && i < sc->ncorr; i++) wr_free(sc->corr_dumps[i]);
    wr_free(sc->corr_dumps);
    wr_free(sc->corr);
    memset(sc, 0, sizeof(*sc));
    sc->corr_base = -1;
}

static void add_rel(scope *sc, const char *name, int first, int ncols)
{
    sc->rels = wr_realloc(sc->rels, (size_t)(sc->nrels + 1) * sizeof(rel));
    rel *r = &sc->rels[sc->nrels++];
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->first = first;
    r->ncols = ncols;
}

static char *ast_dump(const wr_ast_expr *e)
{
    wr_buf b;
    wr_buf_init(&b);
    wr_ast_expr_dump(e, &b);
    char *s = wr_strdup(b.data ? b.data : "");
    wr_buf_fini(&b);
    return s;
}

static void free_strs(char **v, int n)
{
    for (int i = 0; i < n; i++) wr_free(v[i]);
    wr_free(v);
}

/*
 * Resolves a (possibly qualified) column name in sc only. Returns the column,
 * -1 when not found, or -2 with err set (ambiguous, unknown qualifier).
 */
static int resolve_local(const scope *sc, const wr_ast_expr *ast, wr_error *err)
{
    int n = ast->ident.nparts;
    const char *name = ast->ident.parts[n - 1];
    if (n > 2) return -1;
    const char *q = n == 2 ? ast->ident.parts[0] : NULL;
    int found = -1;
    for (int r = 0; r < sc->nrels; r++) {
        const rel *rl = &sc->rels[r];
        if (q && (rl->name == NULL || strcmp(q, rl->name) != 0)) continue;
        for (int c = rl->first; c < rl->first + rl->ncols; c++) {
            if (strcmp(sc->schema->names[c], name) != 0) continue;
            if (found >= 0 && found != c) {
                wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                                "column '%s' is ambiguous: qualify it with its table's name", name);
                return -2;
            }
            found = c;
            if (!q) break;
        }
    }
    return found;
}

static bool has_rel(const scope *sc, const char *name)
{
    for (int r = 0; r < sc->nrels; r++)
        if (sc->rels[r].name && strcmp(sc->rels[r].name, name) == 0) return true;
    return false;
}

static void unknown_column(const scope *sc, const wr_ast_expr *ast, wr_error *err)
{
    int n = ast->ident.nparts;
    const char *name = ast->ident.parts[n - 1];
    if (n == 2 && !has_rel(sc, ast->ident.parts[0]) &&
        !(sc->outer && has_rel(sc->outer, ast->ident.parts[0]))) {
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "table '%s' not found",
                        ast->ident.parts[0]);
        return;
    }
    if (sc->schema == NULL || sc->nrels == 0) {
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                        "unknown column '%s': the query has no FROM clause", name);
        return;
    }
    wr_buf cols;
    wr_buf_init(&cols);
    for (int r = 0; r < sc->nrels; r++)
        for (int c = sc->rels[r].first; c < sc->rels[r].first + sc->rels[r].ncols; c++)
            wr_buf_printf(&cols, "%s%s", cols.len ? ", " : "", sc->schema->names[c]);
    if (sc->nrels == 1)
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                        "unknown column '%s' in table '%s' (columns: %s)", name,
                        sc->rels[0].name ? sc->rels[0].name : "", cols.data ? cols.data : "");
    else
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "unknown column '%s' (columns: %s)", name,
                        cols.data ? cols.data : "");
    wr_buf_fini(&cols);
}

/* The index of outer column `col` among sc's outer references, or -1. */
static int corr_index(const scope *sc, int col)
{
    for (int k = 0; k < sc->ncorr; k++)
        if (sc->corr[k] == col) return k;
    return -1;
}

/*
 * A column reference (name or table.name) in the expression's scope, its block's outer scope
 * (correlation) or, after aggregation, among the groups. NULL with *missing set when there is no
 * such column (err untouched, the caller reports it); NULL with err set for other errors.
 */
static wr_expr *bind_column(ectx *cx, const wr_ast_expr *ast, bool *missing)
{
    const scope *sc = cx->sc;
    wr_error *err = cx->b->err;
    if (cx->agg) {
        /* After aggregation a column is readable only as (part of) a group. */
        const aggctx *ag = cx->agg;
        int c = resolve_local(ag->pre, ast, err);
        if (c == -2) return NULL;
        if (c >= 0) {
            for (int g = 0; g < ag->ngroups; g++)
                if (ag->group_cols[g] == c) return wr_expr_column(g, ag->group_types[g], ast->pos);
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                            "column '%s' is neither grouped nor aggregated: add it to GROUP BY or "
                            "use it in an aggregate function",
                            ast->ident.parts[ast->ident.nparts - 1]);
            return NULL;
        }
        if (ag->pre->outer) {
            int oc = resolve_local(ag->pre->outer, ast, err);
            if (oc == -2) return NULL;
            int k = oc >= 0 ? corr_index(ag->pre, oc) : -1;
            if (k >= 0) return wr_expr_column(k, ag->pre->outer->schema->types[oc], ast->pos);
        }
        *missing = true;
        return NULL;
    }
    int c = resolve_local(sc, ast, err);
    if (c == -2) return NULL;
    if (c >= 0) return wr_expr_column(c, sc->schema->types[c], ast->pos);
    if (sc->outer) {
        int oc = resolve_local(sc->outer, ast, err);
        if (oc == -2) return NULL;
        int k = oc >= 0 ? corr_index(sc, oc) : -1;
        if (k >= 0 && sc->corr_base >= 0)
            return wr_expr_column(sc->corr_base + k, sc->outer->schema->types[oc], ast->pos);
        if (oc >= 0) {
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                            "outer reference '%s' is not supported in this part of a subquery",
                            ast->ident.parts[ast->ident.nparts - 1]);
            return NULL;
        }
        if (sc->outer->outer && resolve_local(sc->outer->outer, ast, err) >= 0) {
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                            "a subquery may reference the query directly around it only; '%s' "
                            "belongs to a query further out",
                            ast->ident.parts[ast->ident.nparts - 1]);
            return NULL;
        }
    }
    *missing = true;
    return NULL;
}

/* The byte offset of part k of a dotted name (exact for unquoted names). */
static int part_pos(const wr_ast_expr *ast, int k)
{
    int pos = ast->pos;
    for (int i = 0; i < k; i++) pos += (int)strlen(ast->ident.parts[i]) + 1;
    return pos;
}

/* x.name for a bound x of a ROW type; takes x; err positioned at pos when there is no field. */
static wr_expr *bind_field_name(wr_expr *x, const char *name, int pos, wr_error *err)
{
    char t[WR_TYPE_NAME_MAX];
    if (x->type.id != WR_TYPE_ROW) {
        wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                        "cannot read field '%s' of a value of type %s: only a ROW has fields", name,
                        wr_type_name(x->type, t, sizeof(t)));
        wr_expr_free(x);
        return NULL;
    }
    int f = wr_row_field_index(x->type, name, strlen(name));
    if (f < 0) {
        wr_buf names;
        wr_buf_init(&names);
        const wr_nested *d = wr_type_nested(x->type);
        for (int i = 0; i < d->nfields; i++)
            wr_buf_printf(&names, "%s%s", i ? ", " : "", d->names[i]);
        wr_error_set_at(err, WR_ERR_VALIDATION, pos, "unknown field '%s' of %s (fields: %s)", name,
                        wr_type_name(x->type, t, sizeof(t)), names.data);
        wr_buf_fini(&names);
        wr_expr_free(x);
        return NULL;
    }
    return wr_bind_field(x, f, pos);
}

/*
 * A dotted name: table.column or column first, then a column of a ROW type followed by field
 * names (t.r.f, r.f.g), as Calcite resolves them: the longest prefix that names a column wins,
 * a table qualifier before a column of the same name.
 */
static wr_expr *bind_ident(ectx *cx, const wr_ast_expr *ast)
{
    wr_error *err = cx->b->err;
    int n = ast->ident.nparts;
    for (int k = WR_MIN(n, 2); k >= 1; k--) {
        wr_ast_expr prefix = *ast;
        prefix.ident.nparts = k;
        bool missing = false;
        wr_expr *e = bind_column(cx, &prefix, &missing);
        if (e == NULL && !missing) return NULL;
        if (e == NULL) continue;
        for (int i = k; i < n && e; i++)
            e = bind_field_name(e, ast->ident.parts[i], part_pos(ast, i), err);
        return e;
    }
    const scope *sc = cx->agg ? cx->agg->pre : cx->sc;
    wr_ast_expr prefix = *ast;
    prefix.ident.nparts = WR_MIN(n, 2);
    unknown_column(sc, &prefix, err);
    return NULL;
}

/* ---- walking syntax trees ------------------------------------------------ */

/* The direct subexpressions of e (not those inside subqueries). */
static int ast_children(const wr_ast_expr *e, const wr_ast_expr **out, int max)
{
    int n = 0;
#define KID(x)                                                                                     \
    do {                                                                                           \
        if ((x) && n < max) out[n++] = (x);                                                        \
    } while (0)
    switch (e->kind) {
    case WR_AST_UNARY:
        KID(e->unary.arg);
        break;
    case WR_AST_BINARY:
        KID(e->binary.left);
        KID(e->binary.right);
        break;
    case WR_AST_IS:
        KID(e->is.arg);
        break;
    case WR_AST_BETWEEN:
        KID(e->between.arg);
        KID(e->between.low);
        KID(e->between.high);
        break;
    case WR_AST_IN_LIST:
        KID(e->in_list.arg);
        for (int i = 0; i < e->in_list.nitems; i++) KID(e->in_list.items[i]);
        break;
    case WR_AST_IN_QUERY:
        KID(e->subquery.arg);
        break;
    case WR_AST_LIKE:
        KID(e->like.arg);
        KID(e->like.pattern);
        KID(e->like.escape);
        break;
    case WR_AST_CASE:
        KID(e->case_.operand);
        for (int i = 0; i < e->case_.nwhens; i++) {
            KID(e->case_.whens[i]);
            KID(e->case_.thens[i]);
        }
        KID(e->case_.else_);
        break;
    case WR_AST_CAST:
        KID(e->cast.arg);
        break;
    case WR_AST_CALL:
        for (int i = 0; i < e->call.nargs; i++) KID(e->call.args[i]);
        KID(e->call.filter);
        break;
    case WR_AST_CONSTRUCTOR:
        for (int i = 0; i < e->ctor.nitems; i++) KID(e->ctor.items[i]);
        break;
    case WR_AST_SUBSCRIPT:
        KID(e->subscript.arg);
        KID(e->subscript.index);
        break;
    case WR_AST_FIELD:
        KID(e->field.arg);
        break;
    default:
        break;
    }
#undef KID
    return n;
}

#define MAX_KIDS 256

static bool has_group_by(const wr_ast_query *q)
{
    return q->select.ngroup_by > 0 || q->select.ngroup_elems > 0;
}

/* Whether name is an aggregate function: a built-in or one of the catalog's user functions. */
static bool is_agg_name(const binder *b, const char *name)
{
    return wr_agg_is_aggregate(name) || wr_userfunc_find_aggregate(b->cat, name) != NULL;
}

static bool is_agg_call(const binder *b, const wr_ast_expr *e)
{
    return e->kind == WR_AST_CALL && !e->call.over && is_agg_name(b, e->call.name);
}

static bool contains_agg(const binder *b, const wr_ast_expr *e)
{
    if (e == NULL) return false;
    if (is_agg_call(b, e)) return true;
    const wr_ast_expr *kids[MAX_KIDS];
    int n = ast_children(e, kids, MAX_KIDS);
    for (int i = 0; i < n; i++)
        if (contains_agg(b, kids[i])) return true;
    return false;
}

static bool contains_subquery(const wr_ast_expr *e)
{
    if (e == NULL) return false;
    if (e->kind == WR_AST_EXISTS || e->kind == WR_AST_SUBQUERY || e->kind == WR_AST_IN_QUERY)
        return true;
    const wr_ast_expr *kids[MAX_KIDS];
    int n = ast_children(e, kids, MAX_KIDS);
    for (int i = 0; i < n; i++)
        if (contains_subquery(kids[i])) return true;
    return false;
}

/*
 * What an expression of a subquery reads: 0 nothing (a constant), 1 only
 * columns of the enclosing query, 2 something of its own (or an aggregate, a
 * subquery), -1 with err set (an ambiguous name).
 */
static int outer_state(const binder *b, const scope *sc, const wr_ast_expr *e, wr_error *err)
{
    if (e->kind == WR_AST_IDENT) {
        int c = resolve_local(sc, e, err);
        if (c == -2) return -1;
        if (c >= 0) return 2;
        int oc = resolve_local(sc->outer, e, err);
        if (oc == -2) return -1;
        return oc >= 0 ? 1 : 2;
    }
    if (e->kind == WR_AST_LITERAL) return 0;
    if (is_agg_call(b, e) || e->kind == WR_AST_STAR || e->kind == WR_AST_EXISTS ||
        e->kind == WR_AST_SUBQUERY || e->kind == WR_AST_IN_QUERY)
        return 2;
    const wr_ast_expr *kids[MAX_KIDS];
    int n = ast_children(e, kids, MAX_KIDS), st = 0;
    for (int i = 0; i < n; i++) {
        int k = outer_state(b, sc, kids[i], err);
        if (k < 0) return k;
        if (k > st) st = k;
    }
    return st;
}

static void add_corr(scope *sc, int col, char *dump)
{
    sc->corr = wr_realloc(sc->corr, (size_t)(sc->ncorr + 1) * sizeof(int));
    sc->corr_dumps = wr_realloc(sc->corr_dumps, (size_t)(sc->ncorr + 1) * sizeof(char *));
    sc->corr[sc->ncorr] = col;
    sc->corr_dumps[sc->ncorr++] = dump;
}

static int add_block_column(block *blk, wr_expr *e, const char *name);

/*
 * Collects the outer references of a subquery's expression e: each largest
 * subexpression that reads only the enclosing query's columns (a column
 * itself, or t1.b % 100) becomes one correlation value. An expression is
 * computed as a new column of the outer block's input, so the subquery runs
 * once per distinct value of the expression rather than of its columns.
 */
static int collect_outer(binder *b, block *oblk, scope *sc, const wr_ast_expr *e, wr_error *err)
{
    if (e == NULL) return 0;
    int st = outer_state(b, sc, e, err);
    if (st < 0) return err->code;
    if (st == 0) return 0;
    if (st == 1 && e->kind == WR_AST_IDENT) {
        int oc = resolve_local(sc->outer, e, err);
        if (oc >= 0 && corr_index(sc, oc) < 0) add_corr(sc, oc, NULL);
        return 0;
    }
    if (st == 1) {
        char *d = ast_dump(e);
        for (int k = 0; k < sc->ncorr; k++)
            if (sc->corr_dumps[k] && strcmp(sc->corr_dumps[k], d) == 0) {
                wr_free(d);
                return 0;
            }
        ectx cx = {b, &oblk->sc, NULL, NULL, "a subquery", NULL};
        wr_expr *x = bind_expr(&cx, e);
        if (!x) {
            wr_free(d);
            return err->code;
        }
        add_corr(sc, add_block_column(oblk, x, "$corr"), d);
        return 0;
    }
    const wr_ast_expr *kids[MAX_KIDS];
    int n = ast_children(e, kids, MAX_KIDS);
    for (int i = 0; i < n; i++) {
        int rc = collect_outer(b, oblk, sc, kids[i], err);
        if (rc) return rc;
    }
    return 0;
}

/* An outer expression of the subquery being bound, as its correlation column; or NULL. */
static wr_expr *match_corr(ectx *cx, const wr_ast_expr *ast)
{
    const scope *cs = cx->agg ? cx->agg->pre : cx->sc;
    if (cs == NULL || cs->corr_dumps == NULL || ast->kind == WR_AST_IDENT ||
        ast->kind == WR_AST_LITERAL)
        return NULL;
    char *d = NULL;
    wr_expr *e = NULL;
    for (int k = 0; k < cs->ncorr && !e; k++) {
        if (!cs->corr_dumps[k]) continue;
        if (!d) d = ast_dump(ast);
        if (strcmp(cs->corr_dumps[k], d) != 0) continue;
        wr_type t = cs->outer->schema->types[cs->corr[k]];
        if (cx->agg)
            e = wr_expr_column(k, t, ast->pos);
        else if (cs->corr_base >= 0)
            e = wr_expr_column(cs->corr_base + k, t, ast->pos);
    }
    wr_free(d);
    return e;
}

/*
 * a IS [NOT] DISTINCT FROM b: equality where NULL equals NULL, never NULL.
 * CASE WHEN a IS NULL THEN b IS NULL WHEN b IS NULL THEN FALSE ELSE a = b END
 * (the second a and b are bound again: expressions are trees).
 */
static wr_expr *bind_distinct_from(ectx *cx, const wr_ast_expr *ast, wr_expr *a, wr_expr *b)
{
    wr_error *err = cx->b->err;
    int pos = ast->binary.op_pos;
    wr_type bt = wr_type_make(WR_TYPE_BOOLEAN, false);
    wr_expr *eq = wr_bind_binary(WR_OP_EQ, a, b, pos, err);
    if (!eq) return NULL;
    wr_expr *a2 = bind_expr(cx, ast->binary.left),
            *b2 = a2 ? bind_expr(cx, ast->binary.right) : NULL;
    wr_expr *b3 = b2 ? bind_expr(cx, ast->binary.right) : NULL;
    if (!b3) {
        wr_expr_free(eq);
        wr_expr_free(a2);
        wr_expr_free(b2);
        return NULL;
    }
    wr_expr **args = wr_calloc(5, sizeof(wr_expr *));
    args[0] = wr_expr_call(WR_FN_IS_NULL, wr_args1(a2), 1, bt, pos, err);
    args[1] = wr_expr_call(WR_FN_IS_NULL, wr_args1(b2), 1, bt, pos, err);
    args[2] = wr_expr_call(WR_FN_IS_NULL, wr_args1(b3), 1, bt, pos, err);
    args[3] = wr_expr_bool(false, pos);
    args[4] = eq->type.nullable ? wr_expr_call(WR_FN_IS_TRUE, wr_args1(eq), 1, bt, pos, err) : eq;
    wr_expr *r = wr_expr_logic(WR_EXPR_CASE, args, 5, bt, pos);
    if (ast->binary.op == WR_OP_IS_DISTINCT)
        r = wr_expr_call(WR_FN_NOT, wr_args1(r), 1, bt, pos, err);
    return r;
}

static wr_expr *bind_case(ectx *cx, const wr_ast_expr *ast)
{
    wr_error *err = cx->b->err;
    int n = ast->case_.nwhens;
    int nargs = 2 * n + (ast->case_.else_ ? 1 : 0);
    wr_expr **args = wr_calloc((size_t)nargs, sizeof(wr_expr *));
    int *branch = NULL, nbranch = 0;
    wr_expr *result = NULL;
    for (int i = 0; i < n; i++) {
        wr_expr *cond;
        if (ast->case_.operand) {
            wr_expr *l = bind_expr(cx, ast->case_.operand);
            wr_expr *r = l ? bind_expr(cx, ast->case_.whens[i]) : NULL;
            if (!r) {
                wr_expr_free(l);
                goto fail;
            }
            cond = wr_bind_binary(WR_OP_EQ, l, r, ast->case_.whens[i]->pos, err);
        } else {
            cond = bind_expr(cx, ast->case_.whens[i]);
            if (cond && cond->type.id == WR_TYPE_NULL)
                cond =
                    wr_expr_cast(cond, wr_type_make(WR_TYPE_BOOLEAN, true), false, cond->pos, err);
            if (cond && cond->type.id != WR_TYPE_BOOLEAN) {
                char t[WR_TYPE_NAME_MAX];
                wr_error_set_at(err, WR_ERR_VALIDATION, cond->pos,
                                "WHEN needs a BOOLEAN condition, but this one is %s",
                                wr_type_name(cond->type, t, sizeof(t)));
                wr_expr_free(cond);
                cond = NULL;
            }
        }
        if (!cond) goto fail;
        args[2 * i] = cond;
        if (!(args[2 * i + 1] = bind_expr(cx, ast->case_.thens[i]))) goto fail;
    }
    if (ast->case_.else_ && !(args[nargs - 1] = bind_expr(cx, ast->case_.else_))) goto fail;
    /* The result type is the common type of all branches (THENs and ELSE). */
    branch = wr_malloc((size_t)(nargs > 0 ? nargs : 1) * sizeof(int));
    for (int i = 0; i < n; i++) branch[nbranch++] = 2 * i + 1;
    if (nargs % 2) branch[nbranch++] = nargs - 1;
    wr_type t = wr_type_make(WR_TYPE_NULL, true);
    for (int b = 0; b < nbranch; b++) {
        wr_type c;
        wr_expr *x = args[branch[b]];
        if (!wr_type_common(t, x->type, &c)) {
            char tx[WR_TYPE_NAME_MAX], ty[WR_TYPE_NAME_MAX];
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

/* ARRAY[...], MAP[...], ROW(...) and (a, b, ...). */
static wr_expr *bind_constructor(ectx *cx, const wr_ast_expr *ast)
{
    wr_error *err = cx->b->err;
    int n = ast->ctor.nitems;
    wr_expr **items = wr_calloc((size_t)n, sizeof(wr_expr *));
    for (int i = 0; i < n; i++) {
        if ((items[i] = bind_expr(cx, ast->ctor.items[i])) == NULL) {
            for (int k = 0; k < i; k++) wr_expr_free(items[k]);
            wr_free(items);
            return NULL;
        }
    }
    wr_expr *e = ast->ctor.kind == WR_CTOR_ARRAY ? wr_bind_array_value(items, n, ast->pos, err)
                 : ast->ctor.kind == WR_CTOR_MAP ? wr_bind_map_value(items, n, ast->pos, err)
                                                 : wr_bind_row_value(items, n, ast->pos, err);
    if (e && wr_check_nesting(e->type, ast->pos, err)) {
        wr_expr_free(e);
        return NULL;
    }
    return e;
}

static wr_expr *bind_expr_node(ectx *cx, const wr_ast_expr *ast)
{
    wr_error *err = cx->b->err;
    switch (ast->kind) {
    case WR_AST_LITERAL:
        return wr_bind_literal(ast, err);
    case WR_AST_IDENT:
        return bind_ident(cx, ast);
    case WR_AST_UNARY: {
        wr_expr *a = bind_expr(cx, ast->unary.arg);
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
            char t[WR_TYPE_NAME_MAX];
            wr_error_set_at(
                err, WR_ERR_VALIDATION, ast->pos, "cannot apply '%s' to an argument of type %s",
                ast->unary.op == WR_OP_NOT ? "NOT" : "-", wr_type_name(a->type, t, sizeof(t)));
            wr_expr_free(a);
        }
        return NULL;
    }
    case WR_AST_BINARY: {
        wr_expr *a = bind_expr(cx, ast->binary.left);
        if (!a) return NULL;
        wr_expr *b = bind_expr(cx, ast->binary.right);
        if (!b) {
            wr_expr_free(a);
            return NULL;
        }
        if (ast->binary.op == WR_OP_IS_DISTINCT || ast->binary.op == WR_OP_IS_NOT_DISTINCT)
            return bind_distinct_from(cx, ast, a, b);
        return wr_bind_binary(ast->binary.op, a, b, ast->binary.op_pos, err);
    }
    case WR_AST_IS: {
        wr_expr *a = bind_expr(cx, ast->is.arg);
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
        wr_expr *x1 = bind_expr(cx, ast->between.arg);
        wr_expr *lo = x1 ? bind_expr(cx, ast->between.low) : NULL;
        wr_expr *x2 = lo ? bind_expr(cx, ast->between.arg) : NULL;
        wr_expr *hi = x2 ? bind_expr(cx, ast->between.high) : NULL;
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
            wr_expr *x = bind_expr(cx, ast->in_list.arg);
            wr_expr *v = x ? bind_expr(cx, ast->in_list.items[i]) : NULL;
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
        return bind_case(cx, ast);
    case WR_AST_LIKE: {
        if (ast->like.similar) {
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "SIMILAR TO is not supported yet");
            return NULL;
        }
        wr_expr *x = bind_expr(cx, ast->like.arg);
        wr_expr *p = x ? bind_expr(cx, ast->like.pattern) : NULL;
        wr_expr *e = p && ast->like.escape ? bind_expr(cx, ast->like.escape) : NULL;
        if (!p || (ast->like.escape && !e)) {
            wr_expr_free(x);
            wr_expr_free(p);
            return NULL;
        }
        return wr_bind_like(x, p, e, ast->like.negated, ast->pos, err);
    }
    case WR_AST_CAST: {
        wr_type t;
        if (!wr_bind_type(&ast->cast.type, &t, err)) return NULL;
        wr_expr *a = bind_expr(cx, ast->cast.arg);
        if (!a) return NULL;
        t.nullable = a->type.nullable || a->type.id == WR_TYPE_NULL;
        return wr_expr_cast(a, t, ast->cast.try_, ast->pos, err);
    }
    case WR_AST_CALL:
        return bind_call(cx, ast);
    case WR_AST_SUBQUERY:
    case WR_AST_EXISTS:
    case WR_AST_IN_QUERY:
        return bind_subquery_expr(cx, ast);
    case WR_AST_INTERVAL:
        return wr_bind_interval(ast, err);
    case WR_AST_STAR:
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "'*' is only allowed in a SELECT list");
        return NULL;
    case WR_AST_CONSTRUCTOR:
        return bind_constructor(cx, ast);
    case WR_AST_SUBSCRIPT: {
        wr_expr *x = bind_expr(cx, ast->subscript.arg);
        wr_expr *i = x ? bind_expr(cx, ast->subscript.index) : NULL;
        if (!i) {
            wr_expr_free(x);
            return NULL;
        }
        return wr_bind_subscript(x, i, ast->pos, err);
    }
    case WR_AST_FIELD: {
        wr_expr *x = bind_expr(cx, ast->field.arg);
        return x ? bind_field_name(x, ast->field.name, ast->field.name_pos, err) : NULL;
    }
    default:
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                        "this kind of expression is not supported here");
        return NULL;
    }
}

/* ---- queries ------------------------------------------------------------- */

/* ---- expression helpers -------------------------------------------------- */

static bool uses_cols_from(const wr_expr *e, int from)
{
    if (e->kind == WR_EXPR_COLUMN) return e->col >= from;
    for (int i = 0; i < e->nargs; i++)
        if (uses_cols_from(e->args[i], from)) return true;
    return false;
}

/* Rewrites column references: col -> map[col] (map covers every column e reads). */
static void remap_cols(wr_expr *e, const int *map)
{
    if (e->kind == WR_EXPR_COLUMN) e->col = map[e->col];
    for (int i = 0; i < e->nargs; i++) remap_cols(e->args[i], map);
}

/* a AND b, either may be NULL (then the other is returned). Takes ownership. */
static wr_expr *and_expr(wr_expr *a, wr_expr *b, wr_error *err)
{
    if (a == NULL) return b;
    if (b == NULL) return a;
    return wr_bind_binary(WR_OP_AND, a, b, a->pos, err);
}

/* The conjuncts of a WHERE / ON condition: a AND b AND c -> {a, b, c}. */
static void split_and(const wr_ast_expr *e, const wr_ast_expr ***out, int *n)
{
    if (e->kind == WR_AST_BINARY && e->binary.op == WR_OP_AND) {
        split_and(e->binary.left, out, n);
        split_and(e->binary.right, out, n);
        return;
    }
    *out = wr_realloc(*out, (size_t)(*n + 1) * sizeof(**out));
    (*out)[(*n)++] = e;
}

static wr_expr *need_boolean(wr_expr *e, const char *clause, wr_error *err)
{
    if (e == NULL) return NULL;
    if (e->type.id == WR_TYPE_NULL)
        return wr_expr_cast(e, wr_type_make(WR_TYPE_BOOLEAN, true), false, e->pos, err);
    if (e->type.id != WR_TYPE_BOOLEAN) {
        char t[WR_TYPE_NAME_MAX];
        wr_error_set_at(err, WR_ERR_VALIDATION, e->pos,
                        "%s needs a BOOLEAN condition, but this one is %s", clause,
                        wr_type_name(e->type, t, sizeof(t)));
        wr_expr_free(e);
        return NULL;
    }
    return e;
}

/* A Calc over input projecting all its columns, then extra expressions (owned). */
static wr_plan *calc_identity(wr_plan *input, wr_expr *filter, wr_expr **extra,
                              const char *const *extra_names, int nextra)
{
    wr_plan *p = plan_new(WR_PLAN_CALC);
    int n = input->schema->ncols;
    p->input = input;
    p->filter = filter;
    p->nprojs = n + nextra;
    p->projs = wr_calloc((size_t)(p->nprojs ? p->nprojs : 1), sizeof(wr_expr *));
    for (int i = 0; i < n; i++) {
        p->projs[i] = wr_expr_column(i, input->schema->types[i], -1);
        wr_schema_add(p->schema, input->schema->names[i], input->schema->types[i]);
    }
    for (int i = 0; i < nextra; i++) {
        p->projs[n + i] = extra[i];
        wr_schema_add(p->schema, extra_names[i], extra[i]->type);
    }
    return p;
}

/* A Calc projecting the given columns of input. */
static wr_plan *calc_columns(wr_plan *input, const int *cols, int ncols)
{
    wr_plan *p = plan_new(WR_PLAN_CALC);
    p->input = input;
    p->nprojs = ncols;
    p->projs = wr_calloc((size_t)(ncols ? ncols : 1), sizeof(wr_expr *));
    for (int i = 0; i < ncols; i++) {
        p->projs[i] = wr_expr_column(cols[i], input->schema->types[cols[i]], -1);
        wr_schema_add(p->schema, input->schema->names[cols[i]], input->schema->types[cols[i]]);
    }
    return p;
}

static wr_type nullable(wr_type t)
{
    t.nullable = true;
    return t;
}

/* A join node; its schema follows the join type (outer sides nullable). */
static wr_plan *join_new(wr_join_type type, wr_plan *left, wr_plan *right, wr_expr *cond)
{
    wr_plan *p = plan_new(WR_PLAN_JOIN);
    p->join_type = type;
    p->input = left;
    p->right = right;
    p->filter = cond;
    bool lnull = type == WR_JOIN_TYPE_RIGHT || type == WR_JOIN_TYPE_FULL;
    bool rnull = type == WR_JOIN_TYPE_LEFT || type == WR_JOIN_TYPE_FULL;
    for (int i = 0; i < left->schema->ncols; i++)
        wr_schema_add(p->schema, left->schema->names[i],
                      lnull ? nullable(left->schema->types[i]) : left->schema->types[i]);
    if (type != WR_JOIN_TYPE_SEMI && type != WR_JOIN_TYPE_ANTI)
        for (int i = 0; i < right->schema->ncols; i++)
            wr_schema_add(p->schema, right->schema->names[i],
                          rnull ? nullable(right->schema->types[i]) : right->schema->types[i]);
    return p;
}

/* An aggregation over input; aggs are copied. */
static wr_plan *agg_new(wr_plan *input, const int *groups, int ngroups, const wr_agg_call *aggs,
                        int naggs, const char *const *agg_names)
{
    wr_plan *p = plan_new(WR_PLAN_AGG);
    p->input = input;
    p->ngroups = ngroups;
    p->groups = wr_malloc((size_t)(ngroups ? ngroups : 1) * sizeof(int));
    if (ngroups) memcpy(p->groups, groups, (size_t)ngroups * sizeof(int));
    p->naggs = naggs;
    p->aggs = wr_malloc((size_t)(naggs ? naggs : 1) * sizeof(wr_agg_call));
    if (naggs) memcpy(p->aggs, aggs, (size_t)naggs * sizeof(wr_agg_call));
    for (int i = 0; i < ngroups; i++)
        wr_schema_add(p->schema, input->schema->names[groups[i]], input->schema->types[groups[i]]);
    for (int i = 0; i < naggs; i++) {
        char name[32];
        snprintf(name, sizeof(name), "EXPR$%d", i);
        wr_schema_add(p->schema, agg_names ? agg_names[i] : name, aggs[i].type);
    }
    return p;
}

static int make_agg_call(const char *name, wr_plan *input, const int *args, int nargs,
                         bool distinct, int filter, int pos, wr_agg_call *out, wr_error *err)
{
    memset(out, 0, sizeof(*out));
    wr_type types[2];
    for (int i = 0; i < nargs; i++) types[i] = input->schema->types[args[i]];
    wr_agg_kind kind;
    int rc = wr_agg_resolve(name, types, nargs, distinct, pos, &kind, &out->type, err);
    if (rc) return rc;
    out->kind = kind;
    out->nargs = nargs;
    for (int i = 0; i < nargs; i++) out->args[i] = args[i];
    out->distinct = distinct;
    out->filter = filter;
    return 0;
}

/* ---- calls ----------------------------------------------------------------- */

/*
 * GROUPING(a, b, ...) after aggregation: a bit per argument, 1 when the row's
 * grouping set does not group by it (the argument's value there is the NULL
 * Expand put in), first argument highest.
 */
static wr_expr *bind_grouping(ectx *cx, const wr_ast_expr *ast)
{
    wr_error *err = cx->b->err;
    const aggctx *ag = cx->agg;
    int n = ast->call.nargs, bits[64];
    if (n == 0 || n > 63) {
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "GROUPING takes 1 to 63 arguments");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        char *d = ast_dump(ast->call.args[i]);
        bits[i] = -1;
        for (int g = ag->ncorr; g < ag->ncorr + (ag->sets ? ag->ngx : ag->ngroups - ag->ncorr); g++)
            if (ag->group_dumps[g] && strcmp(ag->group_dumps[g], d) == 0) bits[i] = g - ag->ncorr;
        wr_free(d);
        if (bits[i] < 0) {
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->call.args[i]->pos,
                            "the argument of GROUPING must be one of the GROUP BY expressions");
            return NULL;
        }
    }
    wr_type bt = wr_type_make(WR_TYPE_BIGINT, false);
    if (!ag->sets) return wr_expr_int64(bt, 0, ast->pos);
    /* CASE WHEN $e = 0 THEN v0 WHEN $e = 1 THEN v1 ... ELSE 0 END */
    int ns = ag->nsets;
    wr_expr **args = wr_calloc((size_t)(2 * ns + 1), sizeof(wr_expr *));
    int ecol = ag->ncorr + ag->ngx;
    for (int sidx = 0; sidx < ns; sidx++) {
        int64_t v = 0;
        for (int i = 0; i < n; i++)
            if (!(ag->sets[sidx] & ((uint64_t)1 << bits[i]))) v |= (int64_t)1 << (n - 1 - i);
        args[2 * sidx] = wr_bind_binary(WR_OP_EQ, wr_expr_column(ecol, bt, ast->pos),
                                        wr_expr_int64(bt, sidx, ast->pos), ast->pos, err);
        args[2 * sidx + 1] = wr_expr_int64(bt, v, ast->pos);
    }
    args[2 * ns] = wr_expr_int64(bt, 0, ast->pos);
    return wr_expr_logic(WR_EXPR_CASE, args, 2 * ns + 1, bt, ast->pos);
}

static wr_expr *bind_call(ectx *cx, const wr_ast_expr *ast)
{
    wr_error *err = cx->b->err;
    if (strcasecmp(ast->call.name, "GROUPING") == 0 ||
        strcasecmp(ast->call.name, "GROUPING_ID") == 0) {
        if (!cx->agg) {
            wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                            "GROUPING is allowed only in a query with GROUP BY");
            return NULL;
        }
        return bind_grouping(cx, ast);
    }
    if (ast->call.over) {
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                        "OVER windows are allowed in the select list and ORDER BY only, not in %s",
                        cx->clause ? cx->clause : "this place");
        return NULL;
    }
    if (is_agg_call(cx->b, ast)) {
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                        "aggregate function %s is not allowed in %s", ast->call.name,
                        cx->clause ? cx->clause : "this place");
        return NULL;
    }
    if (ast->call.star || ast->call.distinct || ast->call.filter) {
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos,
                        "%s is not an aggregate function: '*', DISTINCT and FILTER apply to "
                        "aggregates only",
                        ast->call.name);
        return NULL;
    }
    int n = ast->call.nargs;
    wr_expr **args = wr_calloc((size_t)(n ? n : 1), sizeof(wr_expr *));
    for (int i = 0; i < n; i++) {
        wr_expr *unit = wr_bind_unit_arg(ast->call.name, i, ast->call.args[i]);
        if (!(args[i] = unit ? unit : bind_expr(cx, ast->call.args[i]))) {
            for (int k = 0; k < i; k++) wr_expr_free(args[k]);
            wr_free(args);
            return NULL;
        }
    }
    if (cx->b->cat && wr_catalog_find_function(cx->b->cat, ast->call.name))
        return wr_userfunc_bind(cx->b->cat, ast->call.name, args, n, ast->pos, err);
    wr_expr *e = wr_func_bind(ast->call.name, args, n, ast->pos, err);
    /* MAP_ENTRIES and the like wrap their argument's type in more levels. */
    if (e && wr_check_nesting(e->type, ast->pos, err)) {
        wr_expr_free(e);
        return NULL;
    }
    return e;
}

/* After aggregation: an aggregate call or a grouped expression becomes its column. */
static wr_expr *match_agg(ectx *cx, const wr_ast_expr *ast)
{
    const aggctx *ag = cx->agg;
    /* A dotted name may be a grouped field (GROUP BY r.f); plain names are bind_ident's. */
    if (ast->kind == WR_AST_LITERAL || (ast->kind == WR_AST_IDENT && ast->ident.nparts == 1))
        return NULL;
    char *d = ast_dump(ast);
    wr_expr *e = NULL;
    for (int g = 0; g < ag->ngroups && !e; g++)
        if (ag->group_dumps[g] && strcmp(ag->group_dumps[g], d) == 0)
            e = wr_expr_column(g, ag->group_types[g], ast->pos);
    for (int a = 0; a < ag->naggs && !e; a++)
        if (strcmp(ag->agg_dumps[a], d) == 0)
            e = wr_expr_column(ag->ngroups + a, ag->agg_types[a], ast->pos);
    wr_free(d);
    return e;
}

static wr_expr *bind_expr(ectx *cx, const wr_ast_expr *ast)
{
    wr_expr *corr = match_corr(cx, ast);
    if (corr) return corr;
    if (cx->win && ast->kind == WR_AST_CALL && ast->call.over) {
        char *d = ast_dump(ast);
        wr_expr *e = NULL;
        for (int i = 0; i < cx->win->n && !e; i++)
            if (strcmp(cx->win->dumps[i], d) == 0)
                e = wr_expr_column(cx->win->cols[i], cx->win->types[i], ast->pos);
        wr_free(d);
        if (e) return e;
    }
    if (cx->agg) {
        wr_expr *e = match_agg(cx, ast);
        if (e) return e;
        if (is_agg_call(cx->b, ast)) {
            wr_error_set_at(cx->b->err, WR_ERR_INTERNAL, ast->pos, "aggregate call not collected");
            return NULL;
        }
    }
    return bind_expr_node(cx, ast);
}

/* ---- FROM ------------------------------------------------------------------ */

static const wr_ast_cte *find_cte(const binder *b, const char *name)
{
    for (const cte *c = b->ctes; c; c = c->next)
        if (strcmp(c->def->name, name) == 0) return c->def;
    return NULL;
}

/* A named query (view or CTE) read in a FROM clause: its plan, named by the view's columns. */
static wr_plan *bind_named_query(binder *b, const wr_ast_query *q, int pos)
{
    wr_plan *p = bind_query(b, q, NULL);
    if (p == NULL && b->err->offset >= 0 && pos >= 0) {
        /* The error's position is in the view's own text: report it at the reference. */
        b->err->offset = pos;
    }
    return p;
}

static int bind_from(binder *b, const wr_ast_from *f, const scope *outer, wr_plan **out, scope *sc);
static wr_plan *bind_window_tvf(binder *b, const wr_ast_from *f, const scope *outer, scope *sc);

/* Binds an expression's SQL text over the columns of schema, as relation `name`. */
static wr_expr *bind_text(const wr_catalog *cat, const char *name, const wr_schema *schema,
                          const char *text, const char *what, wr_error *err)
{
    wr_arena arena;
    wr_arena_init(&arena, 1024);
    wr_ast_expr *ast;
    wr_expr *e = NULL;
    if (wr_sql_parse_expr(text, &arena, &ast, err) == 0) {
        binder b = {cat, NULL, err};
        scope sc = {0};
        sc.corr_base = -1;
        sc.schema = schema;
        add_rel(&sc, name, 0, schema->ncols);
        ectx cx = {&b, &sc, NULL, NULL, what, NULL};
        e = bind_expr(&cx, ast);
        if (e && e->type.id == WR_TYPE_NULL)
            e = wr_expr_cast(e, wr_type_make(WR_TYPE_VARCHAR, true), false, e->pos, err);
        scope_fini(&sc);
    }
    wr_arena_fini(&arena);
    return e;
}

wr_expr *wr_bind_computed(const wr_catalog *cat, const wr_table *table, const char *text,
                          wr_error *err)
{
    /* Over what the scan produces: the physical columns, then the metadata columns. */
    wr_schema *scan = wr_table_scan_schema(table, true);
    wr_expr *e = bind_text(cat, table->name, scan, text, "a computed column", err);
    wr_schema_free(scan);
    return e;
}

wr_expr *wr_bind_watermark(const wr_catalog *cat, const wr_table *table, const wr_schema *row,
                           const char *text, wr_error *err)
{
    return bind_text(cat, table->name, row, text, "a WATERMARK", err);
}

static wr_plan *scan_columns(const wr_catalog *cat, const wr_table *t, wr_error *err);

/*
 * A table's rows: its scan, a Calc computing its computed columns in their places and, for a
 * table with a WATERMARK, the node that generates watermarks from them. The WATERMARK's
 * column becomes a rowtime attribute; a column computed by PROCTIME() is a processing-time
 * attribute by its type already.
 */
static wr_plan *scan_table(const wr_catalog *cat, const wr_table *t, wr_error *err)
{
    wr_plan *p = scan_columns(cat, t, err);
    if (p == NULL || t->watermark_column == NULL) return p;
    int col = wr_schema_find(p->schema, t->watermark_column);
    wr_expr *e = col >= 0 ? wr_bind_watermark(cat, t, p->schema, t->watermark_expr, err) : NULL;
    if (e == NULL) {
        /* Checked at CREATE TABLE: only a table changed since (a function dropped) gets here. */
        if (col < 0)
            wr_error_set(err, WR_ERR_VALIDATION, "the WATERMARK column '%s' of '%s' is gone",
                         t->watermark_column, t->name);
        wr_plan_free(p);
        return NULL;
    }
    wr_plan *w = plan_new(WR_PLAN_WATERMARK);
    w->input = p;
    w->time_col = col;
    w->projs = wr_malloc(sizeof(wr_expr *));
    w->projs[0] = e;
    w->nprojs = 1;
    wr_schema_free(w->schema);
    w->schema = wr_schema_copy(p->schema);
    w->schema->types[col].attr = WR_ATTR_ROWTIME;
    return w;
}

/*
 * The scan of a table with metadata columns whose read types are not the declared ones, and a
 * Calc that casts them (checked castable at CREATE TABLE), so computed columns read them as
 * declared.
 */
static wr_plan *cast_metadata(wr_plan *scan, const wr_table *t, wr_error *err)
{
    bool same = true;
    for (int m = 0; m < t->nmetadata; m++)
        same = same && wr_type_equal(t->metadata[m].read_type, t->metadata[m].type);
    if (same) return scan;
    wr_plan *c = plan_new(WR_PLAN_CALC);
    c->input = scan;
    int n = scan->schema->ncols, nphys = t->schema->ncols;
    c->projs = wr_calloc((size_t)n, sizeof(wr_expr *));
    for (int i = 0; i < n; i++) {
        wr_expr *e = wr_expr_column(i, scan->schema->types[i], -1);
        wr_type want = i < nphys ? e->type : t->metadata[i - nphys].type;
        if (!wr_type_equal(e->type, want) && !(e = wr_expr_cast(e, want, false, -1, err))) {
            wr_plan_free(c);
            return NULL;
        }
        c->projs[c->nprojs++] = e;
        wr_schema_add(c->schema, scan->schema->names[i], want);
    }
    return c;
}

/*
 * A table's columns: its scan (the physical columns, then the metadata columns, cast to their
 * declared types), and a Calc computing its computed columns, each column in its declared
 * place.
 */
static wr_plan *scan_columns(const wr_catalog *cat, const wr_table *t, wr_error *err)
{
    wr_plan *p = plan_new(WR_PLAN_SCAN);
    p->table = t;
    wr_schema_free(p->schema);
    p->schema = wr_table_scan_schema(t, false);
    if (t->ncomputed == 0 && t->nmetadata == 0) return p;
    if (!(p = cast_metadata(p, t, err))) return NULL;
    int nphys = t->schema->ncols;
    int total = nphys + t->ncomputed + t->nmetadata, phys = 0, k = 0, m = 0;
    wr_plan *c = plan_new(WR_PLAN_CALC);
    c->input = p;
    c->projs = wr_calloc((size_t)total, sizeof(wr_expr *));
    for (int i = 0; i < total; i++) {
        wr_expr *e;
        const char *name;
        if (k < t->ncomputed && t->computed[k].position == i) {
            name = t->computed[k].name;
            if (!(e = wr_bind_computed(cat, t, t->computed[k++].expr, err))) {
                wr_plan_free(c);
                return NULL;
            }
        } else if (m < t->nmetadata && t->metadata[m].position == i) {
            name = t->metadata[m].name;
            e = wr_expr_column(nphys + m, t->metadata[m].type, -1);
            m++;
        } else {
            name = t->schema->names[phys];
            e = wr_expr_column(phys, t->schema->types[phys], -1);
            phys++;
        }
        c->projs[c->nprojs++] = e;
        wr_schema_add(c->schema, name, e->type);
    }
    return c;
}

/* t AS x(a, b): the relation's columns get the given names. */
static int rename_columns(binder *b, const wr_ast_from *f, wr_plan *p)
{
    if (f->ncolumn_aliases == 0) return 0;
    if (f->ncolumn_aliases != p->schema->ncols)
        return wr_error_set_at(b->err, WR_ERR_VALIDATION, f->alias_pos >= 0 ? f->alias_pos : f->pos,
                               "%d column names given for a relation with %d columns",
                               f->ncolumn_aliases, p->schema->ncols);
    for (int i = 0; i < f->ncolumn_aliases; i++) {
        wr_free(p->schema->names[i]);
        p->schema->names[i] = wr_strdup(f->column_aliases[i]);
    }
    return 0;
}

/* One row without columns: what SELECT without FROM and a standalone UNNEST read. */
static wr_plan *one_empty_row(void)
{
    wr_plan *p = plan_new(WR_PLAN_VALUES);
    wr_batch *one = wr_batch_new(NULL, 0, 1);
    one->count = 1;
    p->batches = wr_malloc(sizeof(wr_batch *));
    p->batches[0] = one;
    p->nbatches = 1;
    return p;
}

/*
 * UNNEST(expr) [WITH ORDINALITY] [AS alias(names)] over input: expr is bound in ls (the FROM
 * items to its left), the element columns follow input's, named as Calcite names them (EXPR$0;
 * KEY, VALUE of a MAP; the fields of an array of ROWs; ORDINALITY) unless the alias renames
 * them. outer: LEFT JOIN ... ON TRUE. Adds the alias's relation to sc. Takes ownership of input.
 */
static wr_plan *bind_unnest(binder *b, const wr_ast_from *f, wr_plan *input, const scope *ls,
                            bool outer, scope *sc)
{
    wr_error *err = b->err;
    const wr_ast_expr *x = f->unnest.exprs[0];
    wr_expr *e = NULL;
    char tn[WR_TYPE_NAME_MAX];
    if (f->unnest.nexprs != 1) {
        wr_error_set_at(err, WR_ERR_VALIDATION, f->unnest.exprs[1]->pos,
                        "UNNEST of more than one collection is not supported");
        goto fail;
    }
    if (contains_subquery(x)) {
        wr_error_set_at(err, WR_ERR_VALIDATION, x->pos, "subqueries in UNNEST are not supported");
        goto fail;
    }
    ectx cx = {b, ls, NULL, NULL, "UNNEST", NULL};
    if (!(e = bind_expr(&cx, x))) goto fail;
    bool ord = f->unnest.with_ordinality;
    int nel = wr_unnest_types(e->type, outer, ord, NULL);
    if (nel < 0) {
        wr_error_set_at(err, WR_ERR_VALIDATION, x->pos,
                        "UNNEST expands an ARRAY, a MULTISET or a MAP, not %s",
                        wr_type_name(e->type, tn, sizeof(tn)));
        goto fail;
    }
    if (f->ncolumn_aliases && f->ncolumn_aliases != nel) {
        wr_error_set_at(err, WR_ERR_VALIDATION, f->alias_pos >= 0 ? f->alias_pos : f->pos,
                        "%d column names given for an UNNEST of %d columns", f->ncolumn_aliases,
                        nel);
        goto fail;
    }
    wr_type *types = wr_malloc((size_t)nel * sizeof(wr_type));
    wr_unnest_types(e->type, outer, ord, types);
    wr_plan *p = plan_new(WR_PLAN_UNNEST);
    p->input = input;
    p->join_type = outer ? WR_JOIN_TYPE_LEFT : WR_JOIN_TYPE_INNER;
    p->ordinality = ord;
    p->projs = wr_malloc(sizeof(wr_expr *));
    p->projs[0] = e;
    p->nprojs = 1;
    int nin = input->schema->ncols;
    for (int i = 0; i < nin; i++)
        wr_schema_add(p->schema, input->schema->names[i], input->schema->types[i]);
    wr_type elem = e->type.id == WR_TYPE_MAP ? e->type : wr_type_elem(e->type);
    for (int i = 0; i < nel; i++) {
        const char *name = "EXPR$0";
        if (f->ncolumn_aliases)
            name = f->column_aliases[i];
        else if (ord && i == nel - 1)
            name = "ORDINALITY";
        else if (elem.id == WR_TYPE_MAP)
            name = i == 0 ? "KEY" : "VALUE";
        else if (elem.id == WR_TYPE_ROW)
            name = wr_type_nested(elem)->names[i];
        wr_schema_add(p->schema, name, types[i]);
    }
    wr_free(types);
    add_rel(sc, f->alias, nin, nel);
    return p;
fail:
    wr_expr_free(e);
    wr_plan_free(input);
    return NULL;
}

/* t [CROSS|LEFT] JOIN UNNEST(t.a) [ON ...], also t, UNNEST(t.a): UNNEST reads the left side. */
static int bind_unnest_join(binder *b, const wr_ast_from *f, const scope *outer, wr_plan **out,
                            scope *sc)
{
    wr_error *err = b->err;
    wr_ast_join_kind k = f->join.kind;
    const wr_ast_expr *on = f->join.on;
    bool left_outer = k == WR_JOIN_LEFT;
    if (k == WR_JOIN_RIGHT || k == WR_JOIN_FULL || f->join.natural || f->join.nusing)
        return wr_error_set_at(err, WR_ERR_VALIDATION, f->join.right->pos,
                               "UNNEST joins the rows to its left with CROSS JOIN, a comma, "
                               "[INNER] JOIN ... ON or LEFT JOIN ... ON TRUE only");
    if (left_outer &&
        !(on && on->kind == WR_AST_LITERAL && on->lit.kind == WR_LIT_BOOL && on->lit.b))
        return wr_error_set_at(err, WR_ERR_VALIDATION, on ? on->pos : f->join.right->pos,
                               "LEFT JOIN UNNEST needs the condition ON TRUE");
    wr_plan *left = NULL;
    int rc = bind_from(b, f->join.left, outer, &left, sc);
    if (rc) return rc;
    scope ls = *sc;
    ls.schema = left->schema;
    ls.outer = NULL;
    ls.corr = NULL;
    ls.corr_dumps = NULL;
    ls.ncorr = 0;
    ls.corr_base = -1;
    wr_plan *p = bind_unnest(b, f->join.right, left, &ls, left_outer, sc);
    if (!p) return err->code;
    if (on && !left_outer) {
        /* An inner join's condition filters the expanded rows. */
        scope js = *sc;
        js.schema = p->schema;
        js.outer = NULL;
        js.corr = NULL;
        js.corr_dumps = NULL;
        js.ncorr = 0;
        js.corr_base = -1;
        if (contains_subquery(on)) {
            wr_plan_free(p);
            return wr_error_set_at(err, WR_ERR_VALIDATION, on->pos,
                                   "subqueries in ON conditions are not supported");
        }
        ectx cx = {b, &js, NULL, NULL, "ON", NULL};
        wr_expr *cond = need_boolean(bind_expr(&cx, on), "ON", err);
        if (!cond) {
            wr_plan_free(p);
            return err->code;
        }
        p = calc_identity(p, cond, NULL, NULL, 0);
    }
    *out = p;
    return 0;
}

static int bind_from_item(binder *b, const wr_ast_from *f, const scope *outer, wr_plan **out,
                          scope *sc)
{
    wr_error *err = b->err;
    if (f->kind == WR_FROM_TABLE && f->system_time && !b->temporal_right)
        return wr_error_set_at(err, WR_ERR_VALIDATION, f->system_time->pos,
                               "FOR SYSTEM_TIME AS OF is supported on the right side of a join "
                               "only (a temporal or lookup join)");
    b->temporal_right = false;
    if (f->kind == WR_FROM_TABLE) {
        const char *name = f->table.parts[f->table.nparts - 1];
        const wr_ast_cte *c = f->table.nparts == 1 ? find_cte(b, name) : NULL;
        wr_plan *p = NULL;
        if (c) {
            /* A CTE sees the CTEs defined before it only. */
            const cte *saved = b->ctes;
            while (b->ctes && b->ctes->def != c) b->ctes = b->ctes->next;
            if (b->ctes) b->ctes = b->ctes->next;
            p = bind_query(b, c->query, NULL);
            b->ctes = saved;
            if (!p) return err->code;
        } else if (f->table.nparts > 3) {
            return wr_error_set_at(err, WR_ERR_VALIDATION, f->pos, "table '%s' not found", name);
        } else {
            const wr_table *t = wr_catalog_find(b->cat, name);
            const wr_view *v = t ? NULL : wr_catalog_find_view(b->cat, name);
            if (t) {
                p = scan_table(b->cat, t, err);
                if (!p) {
                    err->offset = f->pos;
                    return err->code;
                }
            } else if (v) {
                const cte *saved = b->ctes;
                b->ctes = NULL;
                p = bind_named_query(b, v->query, f->pos);
                b->ctes = saved;
                if (!p) return err->code;
                for (int i = 0; i < p->schema->ncols && i < v->schema->ncols; i++) {
                    wr_free(p->schema->names[i]);
                    p->schema->names[i] = wr_strdup(v->schema->names[i]);
                }
            } else {
                return wr_error_set_at(err, WR_ERR_VALIDATION, f->pos,
                                       "table '%s' not found in default_catalog.default_database",
                                       name);
            }
        }
        *out = p;
        add_rel(sc, f->alias ? f->alias : name, 0, p->schema->ncols);
        return rename_columns(b, f, p);
    }
    if (f->kind == WR_FROM_SUBQUERY) {
        /* A derived table sees no outer columns (LATERAL is not supported). */
        wr_plan *p = bind_query(b, f->subquery.query, NULL);
        if (!p) return err->code;
        *out = p;
        add_rel(sc, f->alias, 0, p->schema->ncols);
        return rename_columns(b, f, p);
    }
    if (f->kind == WR_FROM_UNNEST) {
        /* UNNEST on its own: over one row without columns; it reads no other FROM item. */
        scope ls = {0};
        ls.corr_base = -1;
        ls.outer = outer;
        wr_plan *input = one_empty_row();
        ls.schema = input->schema;
        *out = bind_unnest(b, f, input, &ls, false, sc);
        return *out ? 0 : err->code;
    }
    if (f->kind == WR_FROM_TVF) {
        if (!(*out = bind_window_tvf(b, f, outer, sc))) return err->code;
        return rename_columns(b, f, *out);
    }
    if (f->kind != WR_FROM_JOIN)
        return wr_error_set_at(err, WR_ERR_VALIDATION, f->pos,
                               "table functions and window TVFs are not supported yet");
    return bind_from(b, f, outer, out, sc);
}

/*
 * A window TVF's interval argument: a constant INTERVAL DAY TO SECOND, positive (or, for an
 * OFFSET, any), in milliseconds.
 */
static int tvf_interval(binder *b, const wr_ast_expr *x, const char *fn, const char *param,
                        bool positive, int64_t *ms)
{
    scope none = {0};
    none.corr_base = -1;
    none.schema = NULL;
    wr_schema *empty = wr_schema_new();
    none.schema = empty;
    ectx cx = {b, &none, NULL, NULL, fn, NULL};
    wr_expr *e = bind_expr(&cx, x);
    scope_fini(&none);
    wr_schema_free(empty);
    if (e == NULL) return b->err->code;
    wr_expr *c = e->type.id == WR_TYPE_INTERVAL_DT ? wr_expr_fold(e, b->err) : NULL;
    wr_expr_free(e);
    bool ok = c && c->kind == WR_EXPR_CONST && !wr_vector_is_null(&c->cvec, 0);
    if (ok) *ms = ((const int64_t *)c->cvec.data)[0];
    wr_expr_free(c);
    wr_error_init(b->err);
    if (!ok)
        return wr_error_set_at(b->err, WR_ERR_VALIDATION, x->pos,
                               "the %s of %s must be a constant INTERVAL DAY TO SECOND, such as "
                               "INTERVAL '10' SECOND",
                               param, fn);
    if (positive && *ms <= 0)
        return wr_error_set_at(b->err, WR_ERR_VALIDATION, x->pos, "the %s of %s must be positive",
                               param, fn);
    return 0;
}

/*
 * TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset])), and HOP (slide, size [, offset]),
 * CUMULATE (step, size [, offset]) and SESSION (TABLE t [PARTITION BY k], DESCRIPTOR(ts),
 * gap), with Flink's parameter names (DATA, TIMECOL, SIZE, SLIDE, STEP, OFFSET, GAP) for
 * arguments passed by name. The rows of t with three columns more: window_start and
 * window_end (TIMESTAMP(3)), and window_time (the window's last instant, a time attribute of
 * the kind ts was); ts itself becomes a plain timestamp.
 */
static wr_plan *bind_window_tvf(binder *b, const wr_ast_from *f, const scope *outer, scope *sc)
{
    wr_error *err = b->err;
    static const char *const names[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
    /* Positional scalar parameters after DATA and TIMECOL, by kind. */
    static const char *const params[4][3] = {{"SIZE", "OFFSET", NULL},
                                             {"SLIDE", "SIZE", "OFFSET"},
                                             {"STEP", "SIZE", "OFFSET"},
                                             {"GAP", NULL, NULL}};
    int kind = -1;
    for (int k = 0; k < 4; k++)
        if (strcasecmp(f->tvf.name, names[k]) == 0) kind = k;
    if (kind < 0) {
        wr_error_set_at(err, WR_ERR_VALIDATION, f->tvf.name_pos,
                        "table function '%s' is not supported: Weir has the window TVFs TUMBLE, "
                        "HOP, CUMULATE and SESSION",
                        f->tvf.name);
        return NULL;
    }
    const char *fn = names[kind];
    if (f->tvf.table == NULL || f->tvf.descriptor == NULL) {
        wr_error_set_at(err, WR_ERR_VALIDATION, f->pos,
                        "%s needs a table (TABLE t) and a time attribute (DESCRIPTOR(column))", fn);
        return NULL;
    }
    if (f->tvf.npartition_by && kind != WR_PLAN_SESSION) {
        wr_error_set_at(err, WR_ERR_VALIDATION, f->tvf.partition_by[0]->pos,
                        "PARTITION BY is for SESSION windows only");
        return NULL;
    }
    /* The scalar arguments, by parameter. */
    const wr_ast_expr *args[3] = {NULL, NULL, NULL};
    for (int i = 0; i < f->tvf.nexprs; i++) {
        const char *pname = f->tvf.expr_names[i];
        int slot = -1;
        for (int k = 0; k < 3 && params[kind][k]; k++)
            if (pname ? strcmp(pname, params[kind][k]) == 0 : args[k] == NULL) {
                slot = k;
                break;
            }
        if (slot < 0 || args[slot]) {
            wr_error_set_at(err, WR_ERR_VALIDATION, f->tvf.exprs[i]->pos,
                            pname ? "%s has no parameter %s, or it is given twice"
                                  : "too many arguments for %s",
                            fn, pname);
            return NULL;
        }
        args[slot] = f->tvf.exprs[i];
    }
    bool has_size = kind == WR_PLAN_TUMBLE    ? args[0] != NULL
                    : kind == WR_PLAN_SESSION ? args[0] != NULL
                                              : args[0] && args[1];
    if (!has_size) {
        wr_error_set_at(err, WR_ERR_VALIDATION, f->pos, "%s is missing its %s", fn,
                        kind == WR_PLAN_TUMBLE    ? "SIZE"
                        : kind == WR_PLAN_SESSION ? "GAP"
                        : args[0] == NULL         ? params[kind][0]
                                                  : "SIZE");
        return NULL;
    }
    scope ts = {0};
    ts.corr_base = -1;
    wr_plan *in = NULL;
    if (bind_from_item(b, f->tvf.table, outer, &in, &ts)) {
        scope_fini(&ts);
        return NULL;
    }
    scope_fini(&ts);
    wr_plan *w = plan_new(WR_PLAN_WINDOW);
    w->input = in;
    w->window = (wr_plan_window)kind;
    int rc = 0;
    if (kind == WR_PLAN_TUMBLE) {
        rc = tvf_interval(b, args[0], fn, "SIZE", true, &w->win_size);
        if (!rc && args[1]) rc = tvf_interval(b, args[1], fn, "OFFSET", false, &w->win_offset);
    } else if (kind == WR_PLAN_SESSION) {
        rc = tvf_interval(b, args[0], fn, "GAP", true, &w->win_gap);
    } else {
        rc = tvf_interval(b, args[0], fn, params[kind][0], true, &w->win_slide);
        if (!rc) rc = tvf_interval(b, args[1], fn, "SIZE", true, &w->win_size);
        if (!rc && args[2]) rc = tvf_interval(b, args[2], fn, "OFFSET", false, &w->win_offset);
        /* Windows are made of slices of the slide (step): the size must hold whole ones. */
        if (!rc && w->win_size % w->win_slide != 0)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, args[1]->pos,
                                 "the SIZE of %s must be a whole multiple of its %s", fn,
                                 params[kind][0]);
    }
    const wr_schema *is = in->schema;
    int tcol = rc ? -1 : wr_schema_find(is, f->tvf.descriptor);
    char tn[WR_TYPE_NAME_MAX];
    if (!rc && tcol < 0)
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, f->tvf.descriptor_pos,
                             "column '%s' of DESCRIPTOR is not a column of %s's table",
                             f->tvf.descriptor, fn);
    else if (!rc && is->types[tcol].attr == WR_ATTR_NONE)
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, f->tvf.descriptor_pos,
                             "%s needs a time attribute in DESCRIPTOR (a table's WATERMARK "
                             "column or a PROCTIME() column), but '%s' is %s",
                             fn, f->tvf.descriptor, wr_type_name(is->types[tcol], tn, sizeof(tn)));
    for (int i = 0; !rc && i < f->tvf.npartition_by; i++) {
        const wr_ast_expr *k = f->tvf.partition_by[i];
        int c = k->kind == WR_AST_IDENT && k->ident.nparts == 1
                    ? wr_schema_find(is, k->ident.parts[0])
                    : -1;
        if (c < 0) {
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, k->pos,
                                 "PARTITION BY of SESSION takes columns of its table");
            break;
        }
        w->groups = wr_realloc(w->groups, (size_t)(w->ngroups + 1) * sizeof(int));
        w->groups[w->ngroups++] = c;
    }
    if (rc) {
        wr_plan_free(w);
        return NULL;
    }
    w->time_col = tcol;
    for (int i = 0; i < is->ncols; i++) {
        wr_type t = is->types[i];
        if (i == tcol) t.attr = WR_ATTR_NONE;
        wr_schema_add(w->schema, is->names[i], t);
    }
    wr_type bound = wr_type_make(WR_TYPE_TIMESTAMP, false);
    wr_type wtime = is->types[tcol];
    wtime.nullable = false;
    wtime.length = 3;
    wr_schema_add(w->schema, "window_start", bound);
    wr_schema_add(w->schema, "window_end", bound);
    wr_schema_add(w->schema, "window_time", wtime);
    add_rel(sc, f->alias, 0, w->schema->ncols);
    return w;
}

/* Whether e reads columns below n only. */
static bool reads_below(const wr_expr *e, int n)
{
    if (e->kind == WR_EXPR_COLUMN && e->col >= n) return false;
    for (int i = 0; i < e->nargs; i++)
        if (!reads_below(e->args[i], n)) return false;
    return true;
}

/* Whether cond (a join condition over left ++ right) has a conjunct x = right column col. */
static bool equates_right_column(const wr_expr *cond, int nl, int col)
{
    if (cond == NULL) return false;
    if (cond->kind == WR_EXPR_AND) {
        for (int i = 0; i < cond->nargs; i++)
            if (equates_right_column(cond->args[i], nl, col)) return true;
        return false;
    }
    if (cond->kind != WR_EXPR_CALL || cond->fn != WR_FN_EQ || cond->nargs != 2) return false;
    for (int k = 0; k < 2; k++) {
        const wr_expr *r = cond->args[k], *l = cond->args[1 - k];
        if (r->kind == WR_EXPR_COLUMN && r->col == nl + col && reads_below(l, nl)) return true;
    }
    return false;
}

/*
 * `l JOIN t FOR SYSTEM_TIME AS OF x ON ...` (j is the bound join): x must be a time attribute
 * of the left side. A rowtime makes an event-time temporal join against t as a versioned table
 * (t needs a primary key, equated in ON, and a rowtime attribute); a processing-time attribute
 * makes a lookup join (t is looked up by the columns ON equates). Both are INNER or LEFT.
 */
static int bind_temporal(binder *b, const wr_ast_from *f, const scope *sc, wr_plan *j)
{
    wr_error *err = b->err;
    const wr_ast_from *rf = f->join.right;
    const wr_ast_expr *at = rf->system_time;
    wr_plan *left = j->input, *right = j->right;
    int nl = left->schema->ncols;
    scope ls = *sc;
    ls.schema = left->schema;
    ls.nrels = 0; /* the left side's relations come first */
    while (ls.nrels < sc->nrels && sc->rels[ls.nrels].first < nl) ls.nrels++;
    ls.outer = NULL;
    ls.corr = NULL;
    ls.corr_dumps = NULL;
    ls.ncorr = 0;
    ls.corr_base = -1;
    ectx cx = {b, &ls, NULL, NULL, "FOR SYSTEM_TIME AS OF", NULL};
    wr_expr *e = bind_expr(&cx, at);
    if (e == NULL) return err->code;
    bool column = e->kind == WR_EXPR_COLUMN && e->col < nl;
    wr_time_attr attr = column ? e->type.attr : WR_ATTR_NONE;
    int col = column ? e->col : -1;
    wr_expr_free(e);
    if (attr == WR_ATTR_NONE)
        return wr_error_set_at(err, WR_ERR_VALIDATION, at->pos,
                               "FOR SYSTEM_TIME AS OF needs a time attribute of the left table "
                               "(a rowtime column with a WATERMARK, or a PROCTIME() column)");
    if (j->join_type != WR_JOIN_TYPE_INNER && j->join_type != WR_JOIN_TYPE_LEFT)
        return wr_error_set_at(err, WR_ERR_VALIDATION, f->pos,
                               "a temporal join is INNER or LEFT, not %s",
                               wr_join_type_name(j->join_type));
    const char *name = rf->table.parts[rf->table.nparts - 1];
    const wr_table *t = wr_catalog_find(b->cat, name);
    if (t == NULL)
        return wr_error_set_at(err, WR_ERR_VALIDATION, rf->pos,
                               "the right side of a temporal join must be a table, and '%s' is "
                               "not one",
                               name);
    j->time_col = col;
    if (attr == WR_ATTR_PROCTIME) {
        j->temporal = WR_TEMPORAL_PROC;
        bool keyed = false;
        for (int c = 0; c < right->schema->ncols; c++)
            keyed |= equates_right_column(j->filter, nl, c);
        if (!keyed)
            return wr_error_set_at(err, WR_ERR_VALIDATION, f->join.on ? f->join.on->pos : f->pos,
                                   "a lookup join needs an equality condition on a column of "
                                   "'%s' (left_expression = %s.column)",
                                   name, name);
        return 0;
    }
    j->temporal = WR_TEMPORAL_EVENT;
    j->right_time_col = -1;
    for (int c = 0; c < right->schema->ncols; c++)
        if (right->schema->types[c].attr == WR_ATTR_ROWTIME) j->right_time_col = c;
    if (t->nprimary_key == 0 || j->right_time_col < 0)
        return wr_error_set_at(err, WR_ERR_VALIDATION, rf->pos,
                               "an event-time temporal join needs a versioned table: '%s' must "
                               "have a PRIMARY KEY and a WATERMARK (a rowtime attribute)",
                               name);
    for (int k = 0; k < t->nprimary_key; k++) {
        const char *pk = t->schema->names[t->primary_key[k]];
        int c = wr_schema_find(right->schema, pk);
        if (c < 0 || !equates_right_column(j->filter, nl, c))
            return wr_error_set_at(err, WR_ERR_VALIDATION, f->join.on ? f->join.on->pos : f->pos,
                                   "the temporal join's condition must equate the primary key "
                                   "column '%s' of '%s' with an expression of the left side",
                                   pk, name);
    }
    return 0;
}

static int bind_from(binder *b, const wr_ast_from *f, const scope *outer, wr_plan **out, scope *sc)
{
    wr_error *err = b->err;
    if (f->kind != WR_FROM_JOIN) return bind_from_item(b, f, outer, out, sc);
    if (f->join.right->kind == WR_FROM_UNNEST) return bind_unnest_join(b, f, outer, out, sc);
    wr_plan *left = NULL, *right = NULL;
    scope rs = {0};
    rs.corr_base = -1;
    int rc = bind_from(b, f->join.left, outer, &left, sc);
    if (rc) return rc;
    const wr_ast_from *rf = f->join.right;
    bool temporal = rf->kind == WR_FROM_TABLE && rf->system_time;
    b->temporal_right = temporal;
    rc = bind_from(b, rf, outer, &right, &rs);
    b->temporal_right = false;
    if (rc) {
        wr_plan_free(left);
        scope_fini(&rs);
        return rc;
    }
    int nl = left->schema->ncols;
    for (int r = 0; r < rs.nrels; r++) {
        add_rel(sc, rs.rels[r].name, nl + rs.rels[r].first, rs.rels[r].ncols);
        sc->rels[sc->nrels - 1].hidden = rs.rels[r].hidden;
        sc->rels[sc->nrels - 1].nusing = rs.rels[r].nusing;
        rs.rels[r].hidden = NULL;
    }
    scope_fini(&rs);
    static const wr_join_type types[] = {
        [WR_JOIN_INNER] = WR_JOIN_TYPE_INNER, [WR_JOIN_LEFT] = WR_JOIN_TYPE_LEFT,
        [WR_JOIN_RIGHT] = WR_JOIN_TYPE_RIGHT, [WR_JOIN_FULL] = WR_JOIN_TYPE_FULL,
        [WR_JOIN_CROSS] = WR_JOIN_TYPE_INNER,
    };
    wr_plan *j = join_new(types[f->join.kind], left, right, NULL);
    scope js = *sc;
    js.schema = j->schema;
    js.outer = NULL;
    js.corr = NULL;
    js.ncorr = 0;
    wr_expr *cond = NULL;
    if (f->join.on) {
        if (contains_subquery(f->join.on)) {
            wr_plan_free(j);
            return wr_error_set_at(err, WR_ERR_VALIDATION, f->join.on->pos,
                                   "subqueries in ON conditions are not supported");
        }
        ectx cx = {b, &js, NULL, NULL, "ON", NULL};
        cond = need_boolean(bind_expr(&cx, f->join.on), "ON", err);
        if (!cond) {
            wr_plan_free(j);
            return err->code;
        }
    }
    const char **using_cols = (const char **)f->join.using_cols;
    int nusing = f->join.nusing;
    const char **natural = NULL;
    if (f->join.natural) {
        /* NATURAL: USING every column name both sides have. */
        natural = wr_calloc((size_t)(nl ? nl : 1), sizeof(char *));
        nusing = 0;
        for (int i = 0; i < nl; i++)
            if (wr_schema_find(right->schema, left->schema->names[i]) >= 0)
                natural[nusing++] = left->schema->names[i];
        using_cols = natural;
    }
    for (int u = 0; u < nusing; u++) {
        const char *col = using_cols[u];
        int lc = -1, rcol = -1;
        for (int i = 0; i < nl; i++)
            if (strcmp(left->schema->names[i], col) == 0) lc = i;
        for (int i = 0; i < right->schema->ncols; i++)
            if (strcmp(right->schema->names[i], col) == 0) rcol = i;
        if (lc < 0 || rcol < 0) {
            wr_expr_free(cond);
            wr_plan_free(j);
            wr_free(natural);
            return wr_error_set_at(err, WR_ERR_VALIDATION, f->pos,
                                   "column '%s' of USING is not in both sides of the join", col);
        }
        wr_expr *eq = wr_bind_binary(WR_OP_EQ, wr_expr_column(lc, j->schema->types[lc], f->pos),
                                     wr_expr_column(nl + rcol, j->schema->types[nl + rcol], f->pos),
                                     f->pos, err);
        if (!eq || !(cond = and_expr(cond, eq, err))) {
            wr_plan_free(j);
            wr_free(natural);
            return err->code;
        }
        /* SELECT * shows a USING column once, from the left side. */
        rel *rr = NULL;
        for (int r = 0; r < sc->nrels; r++)
            if (nl + rcol >= sc->rels[r].first && nl + rcol < sc->rels[r].first + sc->rels[r].ncols)
                rr = &sc->rels[r];
        if (rr) {
            rr->hidden = wr_realloc(rr->hidden, (size_t)(rr->nusing + 1) * sizeof(char *));
            rr->hidden[rr->nusing++] = col;
        }
    }
    wr_free(natural);
    j->filter = cond;
    if (temporal && (rc = bind_temporal(b, f, sc, j))) {
        wr_plan_free(j);
        return rc;
    }
    *out = j;
    return 0;
}

/* ---- subqueries -------------------------------------------------------------- */

/*
 * A subquery block prepared for decorrelation: its FROM, its outer
 * references, and its WHERE split into what reads only its own rows (applied
 * to `from`) and what correlates (over the row from ++ marker ++ D).
 */
typedef struct subprep {
    wr_plan *from;      /* the FROM rows, filtered by the uncorrelated conjuncts, plus the marker */
    int nfrom;          /* columns of the FROM rows (the marker is column nfrom of `from`) */
    scope sc;           /* names: the FROM rows, outer references at nfrom + 1 + k */
    wr_schema *row;     /* from ++ marker ++ D: what correlated expressions read */
    wr_expr *corr_cond; /* the correlated conjuncts, or NULL */
} subprep;

static void subprep_fini(subprep *sp)
{
    wr_plan_free(sp->from);
    scope_fini(&sp->sc);
    wr_schema_free(sp->row);
    wr_expr_free(sp->corr_cond);
}

/*
 * Prepares q (a SELECT) as a subquery of outer. extra_outer (or -1) is an
 * outer column to treat as referenced (IN's operand).
 */
static int prep_subquery(binder *b, const wr_ast_query *q, block *oblk, int extra_outer,
                         subprep *sp)
{
    const scope *outer = &oblk->sc;
    wr_error *err = b->err;
    memset(sp, 0, sizeof(*sp));
    sp->sc.corr_base = -1;
    if (q->kind != WR_QUERY_SELECT || q->select.from == NULL)
        return wr_error_set_at(err, WR_ERR_VALIDATION, q->pos,
                               "this form of subquery is not supported here");
    if (q->nctes || q->limit || q->offset)
        return wr_error_set_at(err, WR_ERR_VALIDATION, q->pos,
                               "WITH, LIMIT and OFFSET are not supported in correlated subqueries");
    int rc = bind_from(b, q->select.from, outer, &sp->from, &sp->sc);
    if (rc) return rc;
    sp->nfrom = sp->from->schema->ncols;
    sp->sc.schema = sp->from->schema;
    sp->sc.outer = outer;
    if (extra_outer >= 0) add_corr(&sp->sc, extra_outer, NULL);
    rc = collect_outer(b, oblk, &sp->sc, q->select.where, err);
    for (int i = 0; rc == 0 && i < q->select.nitems; i++)
        rc = collect_outer(b, oblk, &sp->sc, q->select.items[i].expr, err);
    for (int i = 0; rc == 0 && i < q->select.ngroup_by; i++)
        rc = collect_outer(b, oblk, &sp->sc, q->select.group_by[i], err);
    if (rc == 0) rc = collect_outer(b, oblk, &sp->sc, q->select.having, err);
    if (rc) return rc;
    /* The row correlated expressions read: FROM columns, the marker, the outer references. */
    sp->row = wr_schema_copy(sp->from->schema);
    for (int i = 0; i < sp->nfrom; i++) sp->row->types[i].nullable = true;
    wr_schema_add(sp->row, "$matched", wr_type_make(WR_TYPE_BOOLEAN, true));
    for (int k = 0; k < sp->sc.ncorr; k++)
        wr_schema_add(sp->row, outer->schema->names[sp->sc.corr[k]],
                      outer->schema->types[sp->sc.corr[k]]);
    sp->sc.corr_base = sp->nfrom + 1;
    sp->sc.schema = sp->row;
    /* WHERE: uncorrelated conjuncts filter the FROM rows; correlated ones join. */
    wr_expr *local = NULL;
    if (q->select.where) {
        const wr_ast_expr **conj = NULL;
        int nconj = 0;
        split_and(q->select.where, &conj, &nconj);
        for (int i = 0; i < nconj && rc == 0; i++) {
            if (contains_subquery(conj[i])) {
                rc = wr_error_set_at(err, WR_ERR_VALIDATION, conj[i]->pos,
                                     "subqueries inside correlated subqueries are not supported");
                break;
            }
            ectx cx = {b, &sp->sc, NULL, NULL, "WHERE", NULL};
            wr_expr *e = need_boolean(bind_expr(&cx, conj[i]), "WHERE", err);
            if (!e) {
                rc = err->code;
                break;
            }
            if (uses_cols_from(e, sp->nfrom)) {
                if (!(sp->corr_cond = and_expr(sp->corr_cond, e, err))) rc = err->code;
            } else if (!(local = and_expr(local, e, err))) {
                rc = err->code;
            }
        }
        wr_free(conj);
    }
    if (rc) {
        wr_expr_free(local);
        return rc;
    }
    wr_expr *marker = wr_expr_bool(true, -1);
    const char *mname = "$matched";
    sp->from = calc_identity(sp->from, local, &marker, &mname, 1);
    return 0;
}

/*
 * The correlation values of the outer rows (D): the distinct values of the
 * referenced outer columns of the block's current input.
 */
static wr_plan *distinct_outer(block *blk, const int *corr, int ncorr)
{
    return agg_new(wr_plan_ref(blk->plan), corr, ncorr, NULL, 0, NULL);
}

/* Joins the prepared FROM rows to D: from ++ marker ++ D, every D value kept. */
static wr_plan *join_to_outer(subprep *sp, block *blk)
{
    wr_plan *d = distinct_outer(blk, sp->sc.corr, sp->sc.ncorr);
    wr_plan *j = join_new(WR_JOIN_TYPE_RIGHT, sp->from, d, sp->corr_cond);
    sp->from = NULL;
    sp->corr_cond = NULL;
    return j;
}

typedef enum sub_kind { SUB_SCALAR, SUB_EXISTS, SUB_IN } sub_kind;

static wr_plan *bind_projection(binder *b, const wr_ast_query *q, block *blk, int ncorr, int marker,
                                bool top, int *nvisible);

/*
 * Binds the select list of a prepared subquery over j (from ++ marker ++ D)
 * into a plan with D's columns first and the value last, one row per D value.
 */
static wr_plan *finish_correlated(binder *b, const wr_ast_query *q, subprep *sp, wr_plan *j,
                                  sub_kind kind, wr_expr *in_arg)
{
    wr_error *err = b->err;
    int nd = sp->sc.ncorr, base = sp->nfrom + 1, marker = sp->nfrom;
    /* Every shape aggregates per D value: gather the groups and aggregate arguments. */
    WR_VEC(wr_expr *) pre = {0};
    WR_VEC(char *) pre_names = {0};
    for (int k = 0; k < nd; k++) {
        WR_VEC_PUSH(&pre, wr_expr_column(base + k, j->schema->types[base + k], -1));
        WR_VEC_PUSH(&pre_names, wr_strdup(j->schema->names[base + k]));
    }
    int groups[64];
    if (nd > 64) {
        wr_error_set_at(err, WR_ERR_VALIDATION, q->pos, "too many outer references");
        goto fail;
    }
    for (int k = 0; k < nd; k++) groups[k] = k;
    scope jsc = sp->sc;
    jsc.schema = j->schema;
    wr_plan *result = NULL;
    if (kind == SUB_EXISTS || kind == SUB_IN) {
        /* EXISTS: COUNT(matched) > 0. IN: TRUE if some y equals x, else NULL if some
         * comparison was NULL, else FALSE. */
        WR_VEC_PUSH(&pre, wr_expr_column(marker, j->schema->types[marker], -1));
        WR_VEC_PUSH(&pre_names, wr_strdup("$matched"));
        if (kind == SUB_IN) {
            if (q->select.nitems != 1 || q->select.items[0].expr->kind == WR_AST_STAR ||
                contains_agg(b, q->select.items[0].expr) || has_group_by(q)) {
                wr_error_set_at(err, WR_ERR_VALIDATION, q->pos,
                                "the subquery of IN must select exactly one column and no "
                                "aggregate");
                goto fail;
            }
            ectx cx = {b, &jsc, NULL, NULL, "SELECT", NULL};
            wr_expr *y = bind_expr(&cx, q->select.items[0].expr);
            if (!y) goto fail;
            wr_expr *eq = wr_bind_binary(WR_OP_EQ, in_arg, y, in_arg->pos, err);
            in_arg = NULL;
            if (!eq) goto fail;
            /* matched rows where x = y is TRUE, and where it is NULL */
            wr_expr *t = wr_expr_call(WR_FN_IS_TRUE, wr_args1(eq), 1,
                                      wr_type_make(WR_TYPE_BOOLEAN, false), -1, err);
            if (!t) goto fail;
            /* Bind the comparison again for the NULL test (expressions are trees, not DAGs). */
            wr_expr *y2 = bind_expr(&cx, q->select.items[0].expr);
            wr_expr *x2 = wr_expr_column(base, j->schema->types[base], -1);
            wr_expr *eqn = y2 ? wr_bind_binary(WR_OP_EQ, x2, y2, -1, err) : NULL;
            if (!y2) wr_expr_free(x2);
            wr_expr *n = eqn ? wr_expr_call(WR_FN_IS_NULL, wr_args1(eqn), 1,
                                            wr_type_make(WR_TYPE_BOOLEAN, false), -1, err)
                             : NULL;
            if (!n) {
                wr_expr_free(t);
                goto fail;
            }
            WR_VEC_PUSH(&pre, t);
            WR_VEC_PUSH(&pre_names, wr_strdup("$eq"));
            WR_VEC_PUSH(&pre, n);
            WR_VEC_PUSH(&pre_names, wr_strdup("$null"));
        }
        wr_plan *pc = plan_new(WR_PLAN_CALC);
        pc->input = j;
        j = NULL;
        pc->projs = pre.v;
        pc->nprojs = pre.n;
        for (int i = 0; i < pre.n; i++) wr_schema_add(pc->schema, pre_names.v[i], pre.v[i]->type);
        pre.v = NULL;
        pre.n = 0;
        wr_agg_call calls[3];
        int ncalls = 0, m = nd;
        if (make_agg_call("COUNT", pc, &m, 1, false, kind == SUB_IN ? nd + 1 : -1, q->pos,
                          &calls[ncalls++], err))
            goto fail_pc;
        if (kind == SUB_IN &&
            make_agg_call("COUNT", pc, &m, 1, false, nd + 2, q->pos, &calls[ncalls++], err))
            goto fail_pc;
        if (kind == SUB_EXISTS) {
            wr_plan *agg = agg_new(pc, groups, nd, calls, ncalls, NULL);
            wr_expr *cnt = wr_expr_column(nd, agg->schema->types[nd], -1);
            wr_expr *gt = wr_bind_binary(
                WR_OP_GT, cnt, wr_expr_int64(wr_type_make(WR_TYPE_BIGINT, false), 0, -1), -1, err);
            if (!gt) {
                wr_plan_free(agg);
                goto fail;
            }
            const char *nm = "$exists";
            wr_plan *c = calc_columns(agg, groups, nd);
            wr_schema_add(c->schema, nm, gt->type);
            c->projs = wr_realloc(c->projs, (size_t)(nd + 1) * sizeof(wr_expr *));
            c->projs[c->nprojs++] = gt;
            result = c;
        } else {
            wr_plan *agg = agg_new(pc, groups, nd, calls, ncalls, NULL);
            /* CASE WHEN eq > 0 THEN TRUE WHEN nulls > 0 THEN NULL ELSE FALSE END */
            wr_type bt = wr_type_make(WR_TYPE_BOOLEAN, true);
            wr_expr **args = wr_calloc(5, sizeof(wr_expr *));
            args[0] =
                wr_bind_binary(WR_OP_GT, wr_expr_column(nd, agg->schema->types[nd], -1),
                               wr_expr_int64(wr_type_make(WR_TYPE_BIGINT, false), 0, -1), -1, err);
            args[1] = wr_expr_cast(wr_expr_bool(true, -1), bt, false, -1, err);
            args[2] =
                wr_bind_binary(WR_OP_GT, wr_expr_column(nd + 1, agg->schema->types[nd + 1], -1),
                               wr_expr_int64(wr_type_make(WR_TYPE_BIGINT, false), 0, -1), -1, err);
            args[3] = wr_expr_null(bt, -1);
            args[4] = wr_expr_cast(wr_expr_bool(false, -1), bt, false, -1, err);
            wr_expr *cs = wr_expr_logic(WR_EXPR_CASE, args, 5, bt, -1);
            wr_plan *c = calc_columns(agg, groups, nd);
            wr_schema_add(c->schema, "$in", bt);
            c->projs = wr_realloc(c->projs, (size_t)(nd + 1) * sizeof(wr_expr *));
            c->projs[c->nprojs++] = cs;
            result = c;
        }
        free_strs(pre_names.v, pre_names.n);
        return result;
    fail_pc:
        free_strs(pre_names.v, pre_names.n);
        wr_plan_free(pc);
        return NULL;
    }
    /* Scalar subquery. */
    if (q->select.nitems != 1 || q->select.items[0].expr->kind == WR_AST_STAR) {
        wr_error_set_at(err, WR_ERR_VALIDATION, q->pos,
                        "a scalar subquery must select exactly one column");
        goto fail;
    }
    bool aggregate =
        has_group_by(q) || contains_agg(b, q->select.items[0].expr) || (q->select.having != NULL);
    if (!aggregate) {
        ectx cx = {b, &jsc, NULL, NULL, "SELECT", NULL};
        wr_expr *v = bind_expr(&cx, q->select.items[0].expr);
        if (!v) goto fail;
        WR_VEC_PUSH(&pre, v);
        WR_VEC_PUSH(&pre_names, wr_strdup("$value"));
        wr_plan *pc = plan_new(WR_PLAN_CALC);
        pc->input = j;
        j = NULL;
        pc->projs = pre.v;
        pc->nprojs = pre.n;
        for (int i = 0; i < pre.n; i++) wr_schema_add(pc->schema, pre_names.v[i], pre.v[i]->type);
        pre.v = NULL;
        pre.n = 0;
        free_strs(pre_names.v, pre_names.n);
        wr_agg_call call;
        int vc = nd;
        if (make_agg_call("$SINGLE_VALUE", pc, &vc, 1, false, -1, q->pos, &call, err)) {
            wr_plan_free(pc);
            return NULL;
        }
        return agg_new(pc, groups, nd, &call, 1, NULL);
    }
    /* Aggregate subquery: groups are D's columns, then its own GROUP BY. */
    {
        wr_plan *inner = NULL;
        block blk = {j, jsc};
        j = NULL;
        inner = bind_projection(b, q, &blk, nd, marker, false, NULL);
        wr_plan_free(blk.plan);
        for (int i = 0; i < pre.n; i++) wr_expr_free(pre.v[i]);
        WR_VEC_FREE(&pre);
        free_strs(pre_names.v, pre_names.n);
        if (!inner) return NULL;
        if (!has_group_by(q)) return inner;
        wr_agg_call call;
        int vc = nd;
        if (make_agg_call("$SINGLE_VALUE", inner, &vc, 1, false, -1, q->pos, &call, err)) {
            wr_plan_free(inner);
            return NULL;
        }
        return agg_new(inner, groups, nd, &call, 1, NULL);
    }
fail:
    wr_expr_free(in_arg);
    for (int i = 0; i < pre.n; i++) wr_expr_free(pre.v[i]);
    WR_VEC_FREE(&pre);
    free_strs(pre_names.v, pre_names.n);
    wr_plan_free(j);
    return NULL;
}

/* Makes the block's input the join of its rows with sub (one row per correlation value). */
static int join_subquery(block *blk, wr_plan *sub, const int *corr, int ncorr)
{
    int np = blk->plan->schema->ncols;
    wr_plan *j = join_new(WR_JOIN_TYPE_LEFT, blk->plan, sub, NULL);
    j->nkeys = ncorr;
    j->left_keys = wr_malloc((size_t)(ncorr ? ncorr : 1) * sizeof(int));
    j->right_keys = wr_malloc((size_t)(ncorr ? ncorr : 1) * sizeof(int));
    j->null_safe = wr_malloc((size_t)(ncorr ? ncorr : 1) * sizeof(bool));
    for (int k = 0; k < ncorr; k++) {
        j->left_keys[k] = corr[k];
        j->right_keys[k] = k;
        j->null_safe[k] = true;
    }
    blk->plan = j;
    blk->sc.schema = j->schema;
    return np + ncorr; /* the value column */
}

/* Whether q is a plain SELECT ... FROM ... [WHERE ...] (a semi join can take it). */
static bool is_simple_select(const binder *b, const wr_ast_query *q)
{
    if (q->kind != WR_QUERY_SELECT || !q->select.from || has_group_by(q) || q->select.having ||
        q->limit || q->offset || q->nctes)
        return false;
    for (int i = 0; i < q->select.nitems; i++)
        if (contains_agg(b, q->select.items[i].expr)) return false;
    return true;
}

/* Appends a computed column to the block's input and returns its index. */
static int add_block_column(block *blk, wr_expr *e, const char *name)
{
    blk->plan = calc_identity(blk->plan, NULL, &e, &name, 1);
    blk->sc.schema = blk->plan->schema;
    return blk->plan->schema->ncols - 1;
}

/* A subquery used as a value: joins what computes it to the block and reads the result. */
static wr_expr *bind_subquery_expr(ectx *cx, const wr_ast_expr *ast)
{
    binder *b = cx->b;
    wr_error *err = b->err;
    block *blk = cx->blk;
    if (blk == NULL || cx->sc != &blk->sc) {
        wr_error_set_at(err, WR_ERR_VALIDATION, ast->pos, "subqueries are not supported in %s",
                        cx->clause ? cx->clause : "this place");
        return NULL;
    }
    const wr_ast_query *q = ast->subquery.query;
    sub_kind kind = ast->kind == WR_AST_EXISTS     ? SUB_EXISTS
                    : ast->kind == WR_AST_IN_QUERY ? SUB_IN
                                                   : SUB_SCALAR;
    int xcol = -1;
    if (kind == SUB_IN) {
        wr_expr *x = bind_expr(cx, ast->subquery.arg);
        if (!x) return NULL;
        xcol = add_block_column(blk, x, "$in_arg");
    }
    subprep sp;
    bool correlated = false;
    if (q->kind == WR_QUERY_SELECT && q->select.from) {
        if (prep_subquery(b, q, blk, xcol, &sp)) {
            subprep_fini(&sp);
            return NULL;
        }
        correlated = sp.sc.ncorr > 0;
        if (!correlated) subprep_fini(&sp);
    } else if (kind == SUB_IN) {
        wr_error_set_at(err, WR_ERR_VALIDATION, q->pos,
                        "IN needs a SELECT ... FROM subquery; use IN (v1, v2, ...) for values");
        return NULL;
    }
    int col;
    if (!correlated) {
        wr_plan *sub = bind_query(b, q, NULL);
        if (!sub) return NULL;
        if (kind == SUB_SCALAR) {
            if (sub->schema->ncols != 1) {
                wr_plan_free(sub);
                wr_error_set_at(err, WR_ERR_VALIDATION, q->pos,
                                "a scalar subquery must select exactly one column");
                return NULL;
            }
            bool one_row = q->kind == WR_QUERY_SELECT && !has_group_by(q) &&
                           q->select.nitems == 1 && contains_agg(b, q->select.items[0].expr);
            if (!one_row) {
                wr_agg_call call;
                int c0 = 0;
                if (make_agg_call("$SINGLE_VALUE", sub, &c0, 1, false, -1, q->pos, &call, err)) {
                    wr_plan_free(sub);
                    return NULL;
                }
                sub = agg_new(sub, NULL, 0, &call, 1, NULL);
            }
        } else {
            wr_agg_call call;
            if (make_agg_call("COUNT", sub, NULL, 0, false, -1, q->pos, &call, err)) {
                wr_plan_free(sub);
                return NULL;
            }
            sub = agg_new(sub, NULL, 0, &call, 1, NULL);
            wr_expr *gt =
                wr_bind_binary(WR_OP_GT, wr_expr_column(0, call.type, -1),
                               wr_expr_int64(wr_type_make(WR_TYPE_BIGINT, false), 0, -1), -1, err);
            const char *nm = "$exists";
            sub = calc_identity(sub, NULL, &gt, &nm, 1);
            int keep = 1;
            sub = calc_columns(sub, &keep, 1);
        }
        col = join_subquery(blk, sub, NULL, 0);
    } else {
        wr_plan *j = join_to_outer(&sp, blk);
        wr_expr *in_arg = NULL;
        if (kind == SUB_IN)
            in_arg = wr_expr_column(sp.nfrom + 1, j->schema->types[sp.nfrom + 1], ast->pos);
        wr_plan *sub = finish_correlated(b, q, &sp, j, kind, in_arg);
        int *corr = sp.sc.corr;
        int ncorr = sp.sc.ncorr;
        sp.sc.corr = NULL;
        subprep_fini(&sp);
        if (!sub) {
            wr_free(corr);
            return NULL;
        }
        col = join_subquery(blk, sub, corr, ncorr);
        wr_free(corr);
    }
    wr_expr *e = wr_expr_column(col, blk->plan->schema->types[col], ast->pos);
    if (kind == SUB_IN && ast->subquery.negated)
        e = wr_expr_call(WR_FN_NOT, wr_args1(e), 1, e->type, ast->pos, err);
    return e;
}

/* EXISTS / NOT EXISTS / IN as a WHERE conjunct: a semi or anti join. NULL: not this shape. */
static int bind_semi_join(binder *b, block *blk, const wr_ast_expr *conj, bool *done)
{
    wr_error *err = b->err;
    *done = false;
    bool negated = false;
    const wr_ast_expr *e = conj;
    if (e->kind == WR_AST_UNARY && e->unary.op == WR_OP_NOT &&
        e->unary.arg->kind == WR_AST_EXISTS) {
        negated = true;
        e = e->unary.arg;
    }
    if (e->kind == WR_AST_IN_QUERY && e->subquery.negated) return 0; /* NULLs: not an anti join */
    if ((e->kind != WR_AST_EXISTS && e->kind != WR_AST_IN_QUERY) ||
        !is_simple_select(b, e->subquery.query))
        return 0;
    const wr_ast_query *q = e->subquery.query;
    if (e->kind == WR_AST_IN_QUERY &&
        (q->select.nitems != 1 || q->select.items[0].expr->kind == WR_AST_STAR))
        return 0;
    int xcol = -1;
    if (e->kind == WR_AST_IN_QUERY) {
        ectx cx = {b, &blk->sc, blk, NULL, "WHERE", NULL};
        wr_expr *x = bind_expr(&cx, e->subquery.arg);
        if (!x) return err->code;
        xcol = add_block_column(blk, x, "$in_arg");
    }
    subprep sp;
    int rc = prep_subquery(b, q, blk, xcol, &sp);
    if (rc) {
        subprep_fini(&sp);
        return rc;
    }
    wr_expr *cond = sp.corr_cond;
    sp.corr_cond = NULL;
    if (e->kind == WR_AST_IN_QUERY) {
        ectx cx = {b, &sp.sc, NULL, NULL, "SELECT", NULL};
        wr_expr *y = bind_expr(&cx, q->select.items[0].expr);
        wr_expr *x = wr_expr_column(sp.nfrom + 1, sp.row->types[sp.nfrom + 1], e->pos);
        wr_expr *eq = y ? wr_bind_binary(WR_OP_EQ, x, y, e->pos, err) : NULL;
        if (!y) wr_expr_free(x);
        if (!eq || !(cond = and_expr(cond, eq, err))) {
            wr_expr_free(cond);
            subprep_fini(&sp);
            return err->code;
        }
    }
    /* From the subquery's row (from ++ marker ++ D) to the join's row (outer ++ from). */
    int np = blk->plan->schema->ncols;
    int nrow = sp.row->ncols;
    int *map = wr_malloc((size_t)nrow * sizeof(int));
    for (int i = 0; i <= sp.nfrom; i++) map[i] = np + i;
    for (int k = 0; k < sp.sc.ncorr; k++) map[sp.nfrom + 1 + k] = sp.sc.corr[k];
    if (cond) remap_cols(cond, map);
    wr_free(map);
    blk->plan = join_new(negated ? WR_JOIN_TYPE_ANTI : WR_JOIN_TYPE_SEMI, blk->plan, sp.from, cond);
    sp.from = NULL;
    blk->sc.schema = blk->plan->schema;
    subprep_fini(&sp);
    *done = true;
    return 0;
}

/* WHERE: semi joins for EXISTS / IN conjuncts, a filter for the rest. */
static int bind_where(binder *b, block *blk, const wr_ast_expr *where)
{
    wr_error *err = b->err;
    const wr_ast_expr **conj = NULL;
    int nconj = 0, rc = 0;
    split_and(where, &conj, &nconj);
    wr_expr *filter = NULL;
    for (int i = 0; i < nconj && rc == 0; i++) {
        bool done;
        if ((rc = bind_semi_join(b, blk, conj[i], &done)) || done) continue;
        ectx cx = {b, &blk->sc, blk, NULL, "WHERE", NULL};
        wr_expr *e = need_boolean(bind_expr(&cx, conj[i]), "WHERE", err);
        if (!e || !(filter = and_expr(filter, e, err))) rc = err->code;
    }
    wr_free(conj);
    if (rc) {
        wr_expr_free(filter);
        return rc;
    }
    if (filter) {
        blk->plan = calc_identity(blk->plan, filter, NULL, NULL, 0);
        blk->sc.schema = blk->plan->schema;
    }
    return 0;
}

/* ---- the select list, aggregation, ORDER BY ------------------------------------ */

static void default_name(const wr_ast_select_item *item, int i, char *buf, size_t size)
{
    if (item->alias)
        snprintf(buf, size, "%s", item->alias);
    else if (item->expr->kind == WR_AST_IDENT)
        snprintf(buf, size, "%s", item->expr->ident.parts[item->expr->ident.nparts - 1]);
    else
        snprintf(buf, size, "EXPR$%d", i);
}

/* Collects the distinct aggregate calls of e (not looking into subqueries). */
static int collect_aggs(const binder *b, const wr_ast_expr *e, const wr_ast_expr ***calls, int *n,
                        wr_error *err)
{
    if (e == NULL) return 0;
    if (is_agg_call(b, e)) {
        for (int i = 0; i < e->call.nargs; i++)
            if (contains_agg(b, e->call.args[i]))
                return wr_error_set_at(err, WR_ERR_VALIDATION, e->call.args[i]->pos,
                                       "aggregate functions cannot be nested");
        char *d = ast_dump(e);
        bool seen = false;
        for (int i = 0; i < *n && !seen; i++) {
            char *o = ast_dump((*calls)[i]);
            seen = strcmp(o, d) == 0;
            wr_free(o);
        }
        wr_free(d);
        if (!seen) {
            *calls = wr_realloc(*calls, (size_t)(*n + 1) * sizeof(**calls));
            (*calls)[(*n)++] = e;
        }
        return 0;
    }
    const wr_ast_expr *kids[MAX_KIDS];
    int k = ast_children(e, kids, MAX_KIDS);
    for (int i = 0; i < k; i++) {
        int rc = collect_aggs(b, kids[i], calls, n, err);
        if (rc) return rc;
    }
    return 0;
}

typedef WR_VEC(wr_sort_key) sortkeys;

typedef struct projection {
    WR_VEC(wr_expr *) exprs;
    WR_VEC(char *) names;
} projection;

static void projection_fini(projection *p)
{
    for (int i = 0; i < p->exprs.n; i++) wr_expr_free(p->exprs.v[i]);
    WR_VEC_FREE(&p->exprs);
    free_strs(p->names.v, p->names.n);
    memset(p, 0, sizeof(*p));
}

static void projection_add(projection *p, wr_expr *e, const char *name)
{
    WR_VEC_PUSH(&p->exprs, e);
    WR_VEC_PUSH(&p->names, wr_strdup(name));
}

/*
 * Adds e to p unless an equal one is already there at index from or later (then
 * frees e); returns its index. Aggregates of one argument then read one
 * column: COUNT(DISTINCT x) and COUNT(DISTINCT x) FILTER (...) share x's.
 */
static int projection_add_shared(projection *p, int from, wr_expr *e, const char *name)
{
    for (int i = from; i < p->exprs.n; i++)
        if (wr_expr_same(p->exprs.v[i], e)) {
            wr_expr_free(e);
            return i;
        }
    projection_add(p, e, name);
    return p->exprs.n - 1;
}

static wr_plan *projection_plan(projection *p, wr_plan *input, wr_expr *filter)
{
    wr_plan *c = plan_new(WR_PLAN_CALC);
    c->input = input;
    c->filter = filter;
    c->projs = p->exprs.v;
    c->nprojs = p->exprs.n;
    for (int i = 0; i < p->exprs.n; i++)
        wr_schema_add(c->schema, p->names.v[i], p->exprs.v[i]->type);
    p->exprs.v = NULL;
    p->exprs.n = 0;
    projection_fini(p);
    return c;
}

/* Refuses to sort by a nested value (Flink does too): nonzero with err at pos. */
static int unordered(wr_type t, int pos, const char *clause, wr_error *err)
{
    if (!wr_type_is_nested(t.id)) return 0;
    char tn[WR_TYPE_NAME_MAX];
    return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                           "%s cannot sort by a value of type %s: ARRAY, MAP, MULTISET and ROW "
                           "values have no order",
                           clause, wr_type_name(t, tn, sizeof(tn)));
}

/* A constant integer of an ORDER BY item (ORDER BY 2), or 0. */
static int ordinal_of(const wr_ast_expr *e)
{
    if (e->kind != WR_AST_LITERAL || e->lit.kind != WR_LIT_INTEGER) return 0;
    long v = strtol(e->lit.text, NULL, 10);
    return v > 0 && v < 1000000 ? (int)v : -1;
}

/*
 * ORDER BY items of a full query: an ordinal, an output column's name, or an
 * expression over what the select list reads (added as a hidden column).
 */
static int bind_order(ectx *cx, const wr_ast_query *q, projection *proj, int first_visible,
                      int nvisible, sortkeys *keys)
{
    wr_error *err = cx->b->err;
    for (int i = 0; i < q->norder_by; i++) {
        const wr_ast_order_item *it = &q->order_by[i];
        int col = -1;
        int ord = ordinal_of(it->expr);
        if (ord < 0 || ord > nvisible)
            return wr_error_set_at(err, WR_ERR_VALIDATION, it->expr->pos,
                                   "ORDER BY position %s is not in the select list (1..%d)",
                                   it->expr->lit.text, nvisible);
        if (ord > 0) col = first_visible + ord - 1;
        if (col < 0 && it->expr->kind == WR_AST_IDENT && it->expr->ident.nparts == 1) {
            for (int c = first_visible; c < first_visible + nvisible; c++)
                if (strcmp(proj->names.v[c], it->expr->ident.parts[0]) == 0) {
                    col = c;
                    break;
                }
        }
        if (col < 0) {
            wr_expr *e = bind_expr(cx, it->expr);
            if (!e) return err->code;
            for (int c = first_visible; c < first_visible + nvisible && col < 0; c++) {
                const wr_expr *v = proj->exprs.v[c];
                if (e->kind == WR_EXPR_COLUMN && v->kind == WR_EXPR_COLUMN && v->col == e->col)
                    col = c;
            }
            if (col < 0) {
                char name[32];
                snprintf(name, sizeof(name), "$order%d", i);
                projection_add(proj, e, name);
                col = proj->exprs.n - 1;
            } else {
                wr_expr_free(e);
            }
        }
        if (unordered(proj->exprs.v[col]->type, it->expr->pos, "ORDER BY", err)) return err->code;
        wr_sort_key k = {col, it->desc, it->nulls ? it->nulls == 1 : !it->desc};
        WR_VEC_PUSH(keys, k);
    }
    return 0;
}

/* ---- GROUPING SETS, ROLLUP, CUBE ---------------------------------------------- */

typedef WR_VEC(uint64_t) masks;
typedef WR_VEC(const wr_ast_expr *) astlist;

/* The bit of a grouping expression in the list of distinct ones (added if new). */
static int group_bit(astlist *g, const wr_ast_expr *e, wr_error *err)
{
    char *d = ast_dump(e);
    for (int i = 0; i < g->n; i++) {
        char *o = ast_dump(g->v[i]);
        bool same = strcmp(o, d) == 0;
        wr_free(o);
        if (same) {
            wr_free(d);
            return i;
        }
    }
    wr_free(d);
    if (g->n >= 63)
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->pos,
                               "at most 63 distinct grouping expressions are supported");
    WR_VEC_PUSH(g, e);
    return g->n - 1;
}

/* The grouping sets one GROUP BY element stands for, as masks over g. */
static int elem_sets(const wr_ast_group_elem *el, astlist *g, masks *out, wr_error *err)
{
    switch (el->kind) {
    case WR_GROUP_EXPR: {
        int b = group_bit(g, el->expr, err);
        if (b < 0) return b;
        WR_VEC_PUSH(out, (uint64_t)1 << b);
        return 0;
    }
    case WR_GROUP_SET: {
        uint64_t m = 0;
        for (int i = 0; i < el->nchildren; i++) {
            masks one = {0};
            int rc = elem_sets(&el->children[i], g, &one, err);
            if (rc == 0) m |= one.v[0];
            WR_VEC_FREE(&one);
            if (rc) return rc;
        }
        WR_VEC_PUSH(out, m);
        return 0;
    }
    case WR_GROUP_GROUPING_SETS:
        for (int i = 0; i < el->nchildren; i++) {
            int rc = elem_sets(&el->children[i], g, out, err);
            if (rc) return rc;
        }
        return 0;
    case WR_GROUP_ROLLUP:
    case WR_GROUP_CUBE: {
        int n = el->nchildren;
        uint64_t part[64];
        if (n > 16)
            return wr_error_set_at(err, WR_ERR_VALIDATION, el->pos,
                                   "ROLLUP and CUBE take at most 16 elements");
        for (int i = 0; i < n; i++) {
            masks one = {0};
            int rc = elem_sets(&el->children[i], g, &one, err);
            if (rc == 0) part[i] = one.v[0];
            WR_VEC_FREE(&one);
            if (rc) return rc;
        }
        if (el->kind == WR_GROUP_ROLLUP) {
            for (int k = n; k >= 0; k--) {
                uint64_t m = 0;
                for (int i = 0; i < k; i++) m |= part[i];
                WR_VEC_PUSH(out, m);
            }
        } else {
            for (int sub = (1 << n) - 1; sub >= 0; sub--) {
                uint64_t m = 0;
                for (int i = 0; i < n; i++)
                    if (sub & (1 << (n - 1 - i))) m |= part[i];
                WR_VEC_PUSH(out, m);
            }
        }
        return 0;
    }
    }
    return 0;
}

/* All grouping sets of a GROUP BY: the cross product of its elements' sets. */
static int grouping_sets(const wr_ast_query *q, astlist *g, masks *sets, wr_error *err)
{
    WR_VEC_PUSH(sets, (uint64_t)0);
    for (int i = 0; i < q->select.ngroup_elems; i++) {
        masks es = {0}, next = {0};
        int rc = elem_sets(&q->select.group_elems[i], g, &es, err);
        for (int a = 0; rc == 0 && a < sets->n; a++)
            for (int b2 = 0; b2 < es.n; b2++) WR_VEC_PUSH(&next, sets->v[a] | es.v[b2]);
        WR_VEC_FREE(&es);
        WR_VEC_FREE(sets);
        *sets = next;
        if (rc) return rc;
    }
    if (sets->n > 4096)
        return wr_error_set_at(err, WR_ERR_VALIDATION, q->pos, "too many grouping sets (%d)",
                               sets->n);
    return 0;
}

/* ---- OVER windows -------------------------------------------------------------- */

static void collect_over(const wr_ast_expr *e, const wr_ast_expr ***calls, int *n)
{
    if (e == NULL) return;
    if (e->kind == WR_AST_CALL && e->call.over) {
        char *d = ast_dump(e);
        bool seen = false;
        for (int i = 0; i < *n && !seen; i++) {
            char *o = ast_dump((*calls)[i]);
            seen = strcmp(o, d) == 0;
            wr_free(o);
        }
        wr_free(d);
        if (!seen) {
            *calls = wr_realloc(*calls, (size_t)(*n + 1) * sizeof(**calls));
            (*calls)[(*n)++] = e;
        }
        return;
    }
    const wr_ast_expr *kids[MAX_KIDS];
    int k = ast_children(e, kids, MAX_KIDS);
    for (int i = 0; i < k; i++) collect_over(kids[i], calls, n);
}

static void winctx_fini(winctx *w)
{
    free_strs(w->dumps, w->n);
    wr_free(w->cols);
    wr_free(w->types);
    memset(w, 0, sizeof(*w));
}

/* The window a call uses: its own, or the named one it refers to (refined by its own parts). */
static int resolve_window(binder *b, const wr_ast_query *q, const wr_ast_window *w,
                          wr_ast_window *out)
{
    *out = *w;
    if (w->name == NULL) return 0;
    for (int i = 0; i < q->select.nwindows; i++) {
        const wr_ast_window *nw = q->select.windows[i].window;
        if (strcmp(q->select.windows[i].name, w->name) != 0) continue;
        if (!out->npartition_by) {
            out->partition_by = nw->partition_by;
            out->npartition_by = nw->npartition_by;
        }
        if (!out->norder_by) {
            out->order_by = nw->order_by;
            out->norder_by = nw->norder_by;
        }
        if (out->frame == WR_FRAME_NONE) {
            out->frame = nw->frame;
            out->lower = nw->lower;
            out->upper = nw->upper;
        }
        return 0;
    }
    return wr_error_set_at(b->err, WR_ERR_VALIDATION, w->name_pos, "window '%s' is not defined",
                           w->name);
}

/* A frame bound as an offset from the current row (ROWS: a row count). */
/*
 * A RANGE frame's offset in the units of the ORDER BY key's slots: an integer for an
 * integer key, an INTERVAL DAY TO SECOND for a TIMESTAMP (micros), TIMESTAMP_LTZ, TIME
 * (millis) or DATE (whole days), an interval of the key's kind for an interval key.
 */
static int range_offset(binder *b, ectx *cx, const wr_ast_bound *bd, wr_type key, int64_t *out)
{
    wr_error *err = b->err;
    wr_expr *e = bind_expr(cx, bd->offset);
    if (!e) return err->code;
    char kt[64], ot[64];
    wr_type_name(key, kt, sizeof kt);
    wr_type_name(e->type, ot, sizeof ot);
    wr_type_id k = (wr_type_id)key.id, o = (wr_type_id)e->type.id;
    bool ok = (wr_type_is_integer(k) && wr_type_is_integer(o)) ||
              ((wr_type_is_datetime(k) || k == WR_TYPE_INTERVAL_DT) && o == WR_TYPE_INTERVAL_DT) ||
              (k == WR_TYPE_INTERVAL_YM && o == WR_TYPE_INTERVAL_YM);
    int rc = 0;
    if (!ok) {
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, bd->pos,
                             "a RANGE frame offset of type %s does not apply to an ORDER BY key of "
                             "type %s: use an integer offset for an integer key, an INTERVAL DAY "
                             "TO SECOND for a date, time or timestamp",
                             ot, kt);
    } else if (!wr_expr_is_constant(e)) {
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, bd->pos, "a frame offset must be a constant");
    } else {
        wr_arena arena;
        wr_arena_init(&arena, 256);
        wr_eval ev = {&arena, 1};
        wr_vector v;
        rc = wr_expr_eval(&ev, e, NULL, NULL, 1, &v, err);
        int64_t x = 0;
        bool null = rc == 0 && wr_vector_is_null(&v, 0);
        if (rc == 0 && !null) {
            switch (wr_type_width(o)) {
            case 1:
                x = ((const int8_t *)v.data)[0];
                break;
            case 2:
                x = ((const int16_t *)v.data)[0];
                break;
            case 4:
                x = ((const int32_t *)v.data)[0];
                break;
            default:
                x = ((const int64_t *)v.data)[0];
                break;
            }
        }
        wr_arena_fini(&arena);
        if (rc == 0 && (null || x < 0))
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, bd->pos,
                                 "a frame offset must not be NULL or negative");
        else if (rc == 0 && k == WR_TYPE_DATE && x % 86400000 != 0)
            rc = wr_error_set_at(err, WR_ERR_VALIDATION, bd->pos,
                                 "a RANGE frame offset over a DATE must be whole days");
        if (rc == 0) {
            if (k == WR_TYPE_DATE) x /= 86400000;
            if (k == WR_TYPE_TIMESTAMP || k == WR_TYPE_TIMESTAMP_LTZ)
                x = x > INT64_MAX / 1000 ? INT64_MAX : x * 1000;
            *out = bd->kind == WR_BOUND_PRECEDING ? -x : x;
        }
    }
    wr_expr_free(e);
    return rc;
}

/*
 * A frame bound as an offset from the current row (<= 0 before it), or WR_OVER_UNBOUNDED.
 * ROWS offsets count rows; RANGE offsets are in the units of the one ORDER BY key, whose
 * type is key (range_offset).
 */
static int frame_bound(binder *b, ectx *cx, const wr_ast_bound *bd, bool lower, bool range,
                       int norder, wr_type key, int64_t *out)
{
    switch (bd->kind) {
    case WR_BOUND_NONE:
    case WR_BOUND_CURRENT_ROW:
        *out = 0;
        return 0;
    case WR_BOUND_UNBOUNDED_PRECEDING:
    case WR_BOUND_UNBOUNDED_FOLLOWING:
        *out = WR_OVER_UNBOUNDED;
        return 0;
    case WR_BOUND_PRECEDING:
    case WR_BOUND_FOLLOWING: {
        if ((lower && bd->kind == WR_BOUND_FOLLOWING) || (!lower && bd->kind == WR_BOUND_PRECEDING))
            return wr_error_set_at(b->err, WR_ERR_VALIDATION, bd->pos,
                                   "frames that start after or end before the current row are "
                                   "not supported");
        if (range) {
            if (norder != 1)
                return wr_error_set_at(b->err, WR_ERR_VALIDATION, bd->pos,
                                       "a RANGE frame with an offset needs exactly one ORDER BY "
                                       "key, not %d",
                                       norder);
            return range_offset(b, cx, bd, key, out);
        }
        int64_t v;
        const wr_ast_expr *o = bd->offset;
        if (!o || o->kind != WR_AST_LITERAL || o->lit.kind != WR_LIT_INTEGER ||
            wr_parse_int64(o->lit.text, &v))
            return wr_error_set_at(b->err, WR_ERR_VALIDATION, bd->pos,
                                   "a ROWS frame offset must be a non-negative integer");
        *out = bd->kind == WR_BOUND_PRECEDING ? -v : v;
        return 0;
    }
    }
    return 0;
}

static char *window_key(const wr_ast_window *w)
{
    wr_buf k;
    wr_buf_init(&k);
    for (int i = 0; i < w->npartition_by; i++) {
        wr_ast_expr_dump(w->partition_by[i], &k);
        wr_buf_putc(&k, ',');
    }
    wr_buf_putc(&k, '|');
    for (int i = 0; i < w->norder_by; i++) {
        wr_ast_expr_dump(w->order_by[i].expr, &k);
        wr_buf_printf(&k, " %d %d,", w->order_by[i].desc, w->order_by[i].nulls);
    }
    char *s = wr_strdup(k.data ? k.data : "");
    wr_buf_fini(&k);
    return s;
}

/*
 * Computes the OVER calls of q's select list (and ORDER BY) as columns of
 * *input: per distinct window (partition and order), a Calc adds the
 * partition keys, order keys and arguments as columns and an OverAggregate
 * adds one column per call. cx binds those expressions (after aggregation
 * it is the aggregation's context). win maps each call to its column.
 */
static int bind_windows(binder *b, const wr_ast_query *q, ectx *cx, wr_plan **input, bool full,
                        block *blk, winctx *win)
{
    wr_error *err = b->err;
    const wr_ast_expr **calls = NULL;
    int ncalls = 0, rc = 0;
    for (int i = 0; i < q->select.nitems; i++)
        collect_over(q->select.items[i].expr, &calls, &ncalls);
    for (int i = 0; full && i < q->norder_by; i++)
        collect_over(q->order_by[i].expr, &calls, &ncalls);
    bool *done = wr_calloc((size_t)(ncalls ? ncalls : 1), sizeof(bool));
    wr_ast_window *spec = wr_calloc((size_t)(ncalls ? ncalls : 1), sizeof(wr_ast_window));
    for (int i = 0; i < ncalls && rc == 0; i++)
        rc = resolve_window(b, q, calls[i]->call.over, &spec[i]);
    const char *saved = cx->clause;
    cx->clause = "an OVER window";
    for (int first = 0; first < ncalls && rc == 0; first++) {
        if (done[first]) continue;
        char *key = window_key(&spec[first]);
        const wr_ast_window *w = &spec[first];
        projection pre = {0};
        int nin = (*input)->schema->ncols;
        for (int c = 0; c < nin; c++)
            projection_add(&pre, wr_expr_column(c, (*input)->schema->types[c], -1),
                           (*input)->schema->names[c]);
        int *part = wr_malloc((size_t)(w->npartition_by + 1) * sizeof(int));
        wr_sort_key *order = wr_malloc((size_t)(w->norder_by + 1) * sizeof(wr_sort_key));
        WR_VEC(wr_over_call) oc = {0};
        WR_VEC(int) members = {0};
        for (int i = 0; i < w->npartition_by && rc == 0; i++) {
            wr_expr *e = bind_expr(cx, w->partition_by[i]);
            if (!e)
                rc = err->code;
            else {
                projection_add(&pre, e, "$part");
                part[i] = pre.exprs.n - 1;
            }
        }
        for (int i = 0; i < w->norder_by && rc == 0; i++) {
            const wr_ast_order_item *it = &w->order_by[i];
            wr_expr *e = bind_expr(cx, it->expr);
            if (e && unordered(e->type, it->expr->pos, "ORDER BY of an OVER window", err)) {
                wr_expr_free(e);
                e = NULL;
            }
            if (!e)
                rc = err->code;
            else {
                projection_add(&pre, e, "$order");
                order[i] = (wr_sort_key){pre.exprs.n - 1, it->desc,
                                         it->nulls ? it->nulls == 1 : !it->desc};
            }
        }
        for (int i = first; i < ncalls && rc == 0; i++) {
            char *k2 = window_key(&spec[i]);
            bool same = strcmp(k2, key) == 0;
            wr_free(k2);
            if (!same || done[i]) continue;
            const wr_ast_expr *c = calls[i];
            wr_over_call call = {0};
            const char *name = c->call.name;
            if (strcasecmp(name, "ROW_NUMBER") == 0 || strcasecmp(name, "RANK") == 0 ||
                strcasecmp(name, "DENSE_RANK") == 0) {
                if (c->call.nargs) {
                    rc = wr_error_set_at(err, WR_ERR_VALIDATION, c->pos, "%s takes no arguments",
                                         name);
                    break;
                }
                call.kind = strcasecmp(name, "ROW_NUMBER") == 0 ? WR_OVER_ROW_NUMBER
                            : strcasecmp(name, "RANK") == 0     ? WR_OVER_RANK
                                                                : WR_OVER_DENSE_RANK;
            } else if (wr_agg_is_aggregate(name)) {
                if (c->call.distinct) {
                    rc = wr_error_set_at(err, WR_ERR_VALIDATION, c->pos,
                                         "DISTINCT is not supported in OVER windows");
                    break;
                }
                int args[2], nargs = 0;
                wr_type types[2];
                for (int k = 0; k < c->call.nargs && k < 2 && rc == 0; k++) {
                    wr_expr *e = bind_expr(cx, c->call.args[k]);
                    if (!e) {
                        rc = err->code;
                        break;
                    }
                    projection_add(&pre, e, "$arg");
                    args[nargs] = pre.exprs.n - 1;
                    types[nargs++] = e->type;
                }
                if (rc) break;
                call.kind = WR_OVER_AGG;
                if ((rc = wr_agg_resolve(name, types, nargs, false, c->pos, &call.agg.kind,
                                         &call.agg.type, err)))
                    break;
                call.agg.nargs = nargs;
                for (int k = 0; k < nargs; k++) call.agg.args[k] = args[k];
                call.agg.filter = -1;
                if (c->call.filter) {
                    wr_expr *f = need_boolean(bind_expr(cx, c->call.filter), "FILTER", err);
                    if (!f) {
                        rc = err->code;
                        break;
                    }
                    projection_add(&pre, f, "$filter");
                    call.agg.filter = pre.exprs.n - 1;
                }
            } else {
                rc = wr_error_set_at(err, WR_ERR_VALIDATION, c->pos,
                                     "%s cannot be used with OVER: use an aggregate function or "
                                     "ROW_NUMBER, RANK, DENSE_RANK",
                                     name);
                break;
            }
            /* The frame: SQL's default is RANGE UNBOUNDED PRECEDING .. CURRENT ROW with an
             * ORDER BY, the whole partition without. */
            if (spec[i].frame == WR_FRAME_NONE) {
                call.range = true;
                call.lower = WR_OVER_UNBOUNDED;
                call.upper = spec[i].norder_by ? 0 : WR_OVER_UNBOUNDED;
            } else {
                call.range = spec[i].frame == WR_FRAME_RANGE;
                wr_type okey = w->norder_by ? pre.exprs.v[order[0].col]->type
                                            : wr_type_make(WR_TYPE_NULL, true);
                if ((rc = frame_bound(b, cx, &spec[i].lower, true, call.range, w->norder_by, okey,
                                      &call.lower)) ||
                    (rc = frame_bound(b, cx, &spec[i].upper, false, call.range, w->norder_by, okey,
                                      &call.upper)))
                    break;
            }
            WR_VEC_PUSH(&oc, call);
            WR_VEC_PUSH(&members, i);
            done[i] = true;
        }
        wr_free(key);
        if (rc) {
            projection_fini(&pre);
            wr_free(part);
            wr_free(order);
            WR_VEC_FREE(&oc);
            WR_VEC_FREE(&members);
            break;
        }
        wr_plan *below = projection_plan(&pre, *input, NULL);
        wr_plan *o = plan_new(WR_PLAN_OVER);
        o->input = below;
        o->groups = part;
        o->ngroups = w->npartition_by;
        o->sort_keys = order;
        o->nsort_keys = w->norder_by;
        o->over = oc.v;
        o->nover = oc.n;
        wr_schema_free(o->schema);
        o->schema = wr_schema_copy(below->schema);
        for (int k = 0; k < oc.n; k++) {
            wr_type t = wr_over_call_type(&oc.v[k]);
            char name[32];
            snprintf(name, sizeof(name), "w%d$o%d", first, k);
            wr_schema_add(o->schema, name, t);
            win->dumps = wr_realloc(win->dumps, (size_t)(win->n + 1) * sizeof(char *));
            win->cols = wr_realloc(win->cols, (size_t)(win->n + 1) * sizeof(int));
            win->types = wr_realloc(win->types, (size_t)(win->n + 1) * sizeof(wr_type));
            win->dumps[win->n] = ast_dump(calls[members.v[k]]);
            win->cols[win->n] = below->schema->ncols + k;
            win->types[win->n++] = t;
        }
        WR_VEC_FREE(&members);
        *input = o;
        if (blk) blk->sc.schema = o->schema;
    }
    cx->clause = saved;
    wr_free(done);
    wr_free(spec);
    wr_free(calls);
    return rc;
}

/*
 * Everything of a SELECT after FROM and WHERE, over blk: aggregation, HAVING,
 * the select list and (for a full query) ORDER BY keys. The result has the
 * ncorr correlation columns first (decorrelated subqueries: they are the
 * leading groups, at blk->sc.corr_base), then the select items, then hidden
 * ORDER BY columns; *nvisible counts the select items. marker (or -1) is the
 * column COUNT(*) counts instead of rows (decorrelation).
 */
static wr_plan *bind_projection_keys(binder *b, const wr_ast_query *q, block *blk, int ncorr,
                                     int marker, bool full, int *nvisible, sortkeys *keys)
{
    wr_error *err = b->err;
    bool aggregate =
        q->select.ngroup_by > 0 || q->select.ngroup_elems > 0 || q->select.having != NULL;
    for (int i = 0; i < q->select.nitems && !aggregate; i++)
        aggregate = contains_agg(b, q->select.items[i].expr);
    for (int i = 0; full && i < q->norder_by && !aggregate; i++)
        aggregate = contains_agg(b, q->order_by[i].expr);
    winctx win = {0};
    projection proj = {0};
    wr_plan *input = NULL;
    wr_expr *having = NULL;
    aggctx ag = {0};
    const wr_ast_expr **calls = NULL;
    int ncalls = 0;
    ectx cx = {b, &blk->sc, full ? blk : NULL, NULL, "SELECT", NULL};
    if (aggregate) {
        /* Below the aggregation: groups, then each call's arguments and filter. */
        projection pre = {0};
        const scope *ps = &blk->sc;
        ectx pcx = {b, ps, NULL, NULL, "GROUP BY", NULL};
        astlist gl = {0};
        masks sets = {0};
        bool gsets = q->select.has_grouping_sets;
        if (gsets) {
            if (ncorr) {
                wr_error_set_at(err, WR_ERR_VALIDATION, q->pos,
                                "GROUPING SETS are not supported in correlated subqueries");
                goto agg_fail;
            }
            if (grouping_sets(q, &gl, &sets, err)) {
                WR_VEC_FREE(&gl);
                WR_VEC_FREE(&sets);
                goto agg_fail;
            }
        } else {
            for (int g = 0; g < q->select.ngroup_by; g++) WR_VEC_PUSH(&gl, q->select.group_by[g]);
        }
        int ngx = gl.n; /* grouping expressions */
        int ng = ncorr + ngx + (gsets ? 1 : 0);
        ag.pre = ps;
        ag.ngroups = ng;
        ag.group_dumps = wr_calloc((size_t)(ng ? ng : 1), sizeof(char *));
        ag.group_cols = wr_malloc((size_t)(ng ? ng : 1) * sizeof(int));
        ag.group_types = wr_malloc((size_t)(ng ? ng : 1) * sizeof(wr_type));
        ag.ncorr = ncorr;
        for (int k = 0; k < ncorr; k++) {
            int c = blk->sc.corr_base + k;
            projection_add(&pre, wr_expr_column(c, ps->schema->types[c], -1), ps->schema->names[c]);
            ag.group_cols[k] = -1;
            ag.group_types[k] = ps->schema->types[c];
        }
        for (int g = 0; g < ngx; g++) {
            const wr_ast_expr *ge = gl.v[g];
            if (contains_agg(b, ge) || contains_subquery(ge)) {
                WR_VEC_FREE(&gl);
                WR_VEC_FREE(&sets);
                wr_error_set_at(err, WR_ERR_VALIDATION, ge->pos,
                                "GROUP BY expressions cannot contain aggregates or subqueries");
                goto agg_fail;
            }
            wr_expr *e = bind_expr(&pcx, ge);
            if (!e) {
                WR_VEC_FREE(&gl);
                WR_VEC_FREE(&sets);
                goto agg_fail;
            }
            char name[32];
            snprintf(name, sizeof(name), "$g%d", g);
            ag.group_dumps[ncorr + g] = ast_dump(ge);
            ag.group_cols[ncorr + g] = e->kind == WR_EXPR_COLUMN ? e->col : -1;
            ag.group_types[ncorr + g] = gsets ? nullable(e->type) : e->type;
            projection_add(&pre, e, e->kind == WR_EXPR_COLUMN ? ps->schema->names[e->col] : name);
        }
        WR_VEC_FREE(&gl);
        if (gsets) {
            /* The grouping set's number: a group of its own, read by GROUPING(). */
            ag.group_cols[ng - 1] = -1;
            ag.group_types[ng - 1] = wr_type_make(WR_TYPE_BIGINT, false);
            ag.sets = sets.v;
            ag.nsets = sets.n;
            ag.ngx = ngx;
        }
        int rc = 0;
        for (int i = 0; i < q->select.nitems && rc == 0; i++)
            rc = collect_aggs(b, q->select.items[i].expr, &calls, &ncalls, err);
        if (rc == 0) rc = collect_aggs(b, q->select.having, &calls, &ncalls, err);
        for (int i = 0; full && i < q->norder_by && rc == 0; i++)
            rc = collect_aggs(b, q->order_by[i].expr, &calls, &ncalls, err);
        if (rc) goto agg_fail;
        wr_agg_call *acalls = wr_calloc((size_t)(ncalls ? ncalls : 1), sizeof(wr_agg_call));
        ag.agg_dumps = wr_calloc((size_t)(ncalls ? ncalls : 1), sizeof(char *));
        ag.agg_types = wr_malloc((size_t)(ncalls ? ncalls : 1) * sizeof(wr_type));
        ag.naggs = ncalls;
        pcx.clause = "an aggregate's arguments";
        int first_arg = pre.exprs.n; /* arguments and filters share columns from here on */
        for (int a = 0; a < ncalls; a++) {
            const wr_ast_expr *c = calls[a];
            const wr_userfunc *ufn = wr_userfunc_find_aggregate(b->cat, c->call.name);
            int args[WR_AGG_MAX_ARGS], nargs = 0, filter = -1;
            if (c->call.star && ufn) {
                wr_error_set_at(err, WR_ERR_VALIDATION, c->pos,
                                "%s(*) is not valid: '*' is COUNT's", c->call.name);
                wr_free(acalls);
                goto agg_fail;
            }
            if (c->call.star) {
                if (marker >= 0) {
                    projection_add(&pre, wr_expr_column(marker, ps->schema->types[marker], -1),
                                   "$matched");
                    args[nargs++] = pre.exprs.n - 1;
                }
            } else {
                int most = ufn ? WR_AGG_MAX_ARGS : 2;
                if (c->call.nargs > most) {
                    wr_error_set_at(err, WR_ERR_VALIDATION, c->pos, "%s takes at most %d arguments",
                                    c->call.name, most);
                    wr_free(acalls);
                    goto agg_fail;
                }
                wr_expr *bound[WR_AGG_MAX_ARGS];
                for (int k = 0; k < c->call.nargs; k++) {
                    if (contains_subquery(c->call.args[k])) {
                        wr_error_set_at(err, WR_ERR_VALIDATION, c->call.args[k]->pos,
                                        "subqueries in aggregate arguments are not supported");
                        wr_free(acalls);
                        goto agg_fail;
                    }
                    wr_expr *e = bind_expr(&pcx, c->call.args[k]);
                    if (!e) {
                        for (int j = 0; j < k; j++) wr_expr_free(bound[j]);
                        wr_free(acalls);
                        goto agg_fail;
                    }
                    if (e->type.id == WR_TYPE_NULL && !ufn)
                        e = wr_expr_cast(e, wr_type_make(WR_TYPE_INT, true), false, e->pos, err);
                    bound[k] = e;
                }
                /* A user function's arguments become its declared types (which frees them on
                 * failure). */
                if (ufn && wr_userfunc_bind_aggregate(ufn, bound, c->call.nargs, c->call.distinct,
                                                      c->pos, &acalls[a], err)) {
                    wr_free(acalls);
                    goto agg_fail;
                }
                for (int k = 0; k < c->call.nargs; k++) {
                    char name[32];
                    snprintf(name, sizeof(name), "$a%d_%d", a, k);
                    args[nargs++] = projection_add_shared(&pre, first_arg, bound[k], name);
                }
            }
            if (c->call.filter) {
                wr_expr *f = need_boolean(bind_expr(&pcx, c->call.filter), "FILTER", err);
                if (!f) {
                    wr_free(acalls);
                    goto agg_fail;
                }
                char name[32];
                snprintf(name, sizeof(name), "$f%d", a);
                filter = projection_add_shared(&pre, first_arg, f, name);
            }
            /* Resolve against the argument types of the projection below. */
            wr_type types[WR_AGG_MAX_ARGS];
            for (int k = 0; k < nargs; k++) types[k] = pre.exprs.v[args[k]]->type;
            wr_agg_kind kind = WR_AGG_USER;
            wr_type rt = acalls[a].type;
            bool count_marker = c->call.star && marker >= 0;
            if (!ufn && wr_agg_resolve(count_marker ? "COUNT" : c->call.name, types, nargs,
                                       c->call.distinct, c->pos, &kind, &rt, err)) {
                wr_free(acalls);
                goto agg_fail;
            }
            acalls[a].kind = kind;
            acalls[a].nargs = nargs;
            for (int k = 0; k < nargs; k++) acalls[a].args[k] = args[k];
            acalls[a].distinct = c->call.distinct;
            acalls[a].filter = filter;
            acalls[a].type = rt;
            ag.agg_dumps[a] = ast_dump(c);
            ag.agg_types[a] = rt;
        }
        int *groups = wr_malloc((size_t)(ng ? ng : 1) * sizeof(int));
        for (int g = 0; g < ng; g++) groups[g] = g;
        wr_plan *below = projection_plan(&pre, blk->plan, NULL);
        blk->plan = NULL;
        if (gsets) {
            /* Expand: one copy of each row per set; the set number is its last column. */
            wr_plan *x = plan_new(WR_PLAN_EXPAND);
            x->input = below;
            x->ngroups = ngx;
            x->groups = wr_malloc((size_t)(ngx ? ngx : 1) * sizeof(int));
            for (int g = 0; g < ngx; g++) x->groups[g] = g;
            x->nsets = ag.nsets;
            x->sets = wr_malloc((size_t)ag.nsets * sizeof(uint64_t));
            memcpy(x->sets, ag.sets, (size_t)ag.nsets * sizeof(uint64_t));
            for (int c = 0; c < below->schema->ncols; c++)
                wr_schema_add(x->schema, below->schema->names[c],
                              c < ngx ? nullable(below->schema->types[c])
                                      : below->schema->types[c]);
            wr_schema_add(x->schema, "$e", wr_type_make(WR_TYPE_BIGINT, false));
            groups[ng - 1] = below->schema->ncols;
            below = x;
        }
        input = agg_new(below, groups, ng, acalls, ncalls, NULL);
        wr_free(groups);
        wr_free(acalls);
        cx.sc = NULL;
        cx.blk = NULL;
        cx.agg = &ag;
        if (q->select.having) {
            cx.clause = "HAVING";
            if (contains_subquery(q->select.having)) {
                wr_error_set_at(err, WR_ERR_VALIDATION, q->select.having->pos,
                                "subqueries in HAVING are not supported");
                goto fail;
            }
            having = need_boolean(bind_expr(&cx, q->select.having), "HAVING", err);
            if (!having) goto fail;
            cx.clause = "SELECT";
        }
        for (int k = 0; k < ncorr; k++)
            projection_add(&proj, wr_expr_column(k, input->schema->types[k], -1),
                           input->schema->names[k]);
        goto items;
    agg_fail:
        projection_fini(&pre);
        goto fail;
    }
    for (int k = 0; k < ncorr; k++) {
        int c = blk->sc.corr_base + k;
        projection_add(&proj, wr_expr_column(c, blk->sc.schema->types[c], -1),
                       blk->sc.schema->names[c]);
    }
items:;
    bool has_over = false;
    {
        const wr_ast_expr **oc = NULL;
        int n = 0;
        for (int i = 0; i < q->select.nitems; i++) collect_over(q->select.items[i].expr, &oc, &n);
        for (int i = 0; full && i < q->norder_by; i++) collect_over(q->order_by[i].expr, &oc, &n);
        has_over = n > 0;
        wr_free(oc);
    }
    if (has_over) {
        /* Windows see the rows after WHERE, GROUP BY and HAVING. */
        if (aggregate && having) {
            input = calc_identity(input, having, NULL, NULL, 0);
            having = NULL;
        }
        if (bind_windows(b, q, &cx, aggregate ? &input : &blk->plan, full, aggregate ? NULL : blk,
                         &win))
            goto fail;
        cx.win = &win;
    }
    for (int i = 0; i < q->select.nitems; i++) {
        const wr_ast_select_item *item = &q->select.items[i];
        if (item->expr->kind == WR_AST_STAR) {
            const scope *sc = aggregate ? ag.pre : &blk->sc;
            const char *qual = item->expr->star.qualifier;
            if (aggregate) {
                wr_error_set_at(err, WR_ERR_VALIDATION, item->expr->pos,
                                "'*' cannot be used with GROUP BY or aggregates");
                goto fail;
            }
            if (sc->nrels == 0) {
                wr_error_set_at(err, WR_ERR_VALIDATION, item->expr->pos, "'*' needs a FROM clause");
                goto fail;
            }
            if (qual && !has_rel(sc, qual)) {
                wr_error_set_at(err, WR_ERR_VALIDATION, item->expr->pos, "table '%s' not found",
                                qual);
                goto fail;
            }
            for (int r = 0; r < sc->nrels; r++) {
                const rel *rl = &sc->rels[r];
                if (qual && (!rl->name || strcmp(qual, rl->name) != 0)) continue;
                for (int c = rl->first; c < rl->first + rl->ncols; c++) {
                    bool hidden = false;
                    for (int h = 0; h < rl->nusing && !qual; h++)
                        hidden |= strcmp(rl->hidden[h], sc->schema->names[c]) == 0;
                    if (hidden) continue;
                    projection_add(&proj, wr_expr_column(c, sc->schema->types[c], item->expr->pos),
                                   sc->schema->names[c]);
                }
            }
            continue;
        }
        wr_expr *e = bind_expr(&cx, item->expr);
        if (!e) goto fail;
        if (e->type.id == WR_TYPE_NULL) {
            e = wr_expr_cast(e, wr_type_make(WR_TYPE_VARCHAR, true), false, e->pos, err);
            if (!e) goto fail;
        }
        char name[256];
        default_name(item, proj.exprs.n - ncorr, name, sizeof(name));
        projection_add(&proj, e, name);
    }
    *nvisible = proj.exprs.n - ncorr;
    if (full && q->norder_by && !q->select.distinct) {
        cx.clause = "ORDER BY";
        if (bind_order(&cx, q, &proj, ncorr, *nvisible, keys)) goto fail;
    }
    /* Subqueries in the select list may have joined more inputs to the block. */
    if (!aggregate) input = blk->plan, blk->plan = NULL;
    winctx_fini(&win);
    wr_plan *out = projection_plan(&proj, input, having);
    if (aggregate) {
        wr_free(ag.sets);
        free_strs(ag.group_dumps, ag.ngroups);
        wr_free(ag.group_cols);
        wr_free(ag.group_types);
        free_strs(ag.agg_dumps, ag.naggs);
        wr_free(ag.agg_types);
    }
    wr_free(calls);
    return out;
fail:
    winctx_fini(&win);
    projection_fini(&proj);
    wr_expr_free(having);
    wr_plan_free(input);
    wr_free(ag.sets);
    free_strs(ag.group_dumps, ag.ngroups);
    wr_free(ag.group_cols);
    wr_free(ag.group_types);
    free_strs(ag.agg_dumps, ag.naggs);
    wr_free(ag.agg_types);
    wr_free(calls);
    return NULL;
}

static wr_plan *bind_projection(binder *b, const wr_ast_query *q, block *blk, int ncorr, int marker,
                                bool full, int *nvisible)
{
    int nv;
    sortkeys keys = {0};
    wr_plan *p =
        bind_projection_keys(b, q, blk, ncorr, marker, full, nvisible ? nvisible : &nv, &keys);
    WR_VEC_FREE(&keys);
    return p;
}

/* ORDER BY over a query's output columns only (set operations, DISTINCT): ordinals and names. */
static int bind_output_order(binder *b, const wr_ast_query *q, const wr_schema *out, sortkeys *keys)
{
    for (int i = 0; i < q->norder_by; i++) {
        const wr_ast_order_item *it = &q->order_by[i];
        int ord = ordinal_of(it->expr), col = -1;
        if (ord < 0 || ord > out->ncols)
            return wr_error_set_at(b->err, WR_ERR_VALIDATION, it->expr->pos,
                                   "ORDER BY position %s is not in the select list (1..%d)",
                                   it->expr->lit.text, out->ncols);
        if (ord > 0) col = ord - 1;
        if (col < 0 && it->expr->kind == WR_AST_IDENT)
            col = wr_schema_find(out, it->expr->ident.parts[it->expr->ident.nparts - 1]);
        if (col < 0)
            return wr_error_set_at(b->err, WR_ERR_VALIDATION, it->expr->pos,
                                   "ORDER BY here must name an output column or give its position");
        if (unordered(out->types[col], it->expr->pos, "ORDER BY", b->err)) return b->err->code;
        wr_sort_key k = {col, it->desc, it->nulls ? it->nulls == 1 : !it->desc};
        WR_VEC_PUSH(keys, k);
    }
    return 0;
}

/* A constant, non-negative integer for LIMIT / OFFSET. */
static int bind_count(binder *b, const wr_ast_expr *e, const char *what, int64_t *out)
{
    if (e->kind != WR_AST_LITERAL || e->lit.kind != WR_LIT_INTEGER ||
        wr_parse_int64(e->lit.text, out) || *out < 0)
        return wr_error_set_at(b->err, WR_ERR_VALIDATION, e->pos,
                               "%s must be a non-negative integer literal", what);
    return 0;
}

/* DISTINCT: group by every column. */
static wr_plan *distinct_plan(wr_plan *input)
{
    int n = input->schema->ncols;
    int *cols = wr_malloc((size_t)(n ? n : 1) * sizeof(int));
    for (int i = 0; i < n; i++) cols[i] = i;
    wr_plan *p = agg_new(input, cols, n, NULL, 0, NULL);
    wr_free(cols);
    return p;
}

/* ORDER BY keys, OFFSET and LIMIT over plan, then only its first nvisible columns. */
static wr_plan *finish_query(binder *b, const wr_ast_query *q, wr_plan *plan, wr_sort_key *keys,
                             int nkeys, int nvisible)
{
    int64_t offset = 0, limit = -1;
    if ((q->offset && bind_count(b, q->offset, "OFFSET", &offset)) ||
        (q->limit && bind_count(b, q->limit, "LIMIT", &limit))) {
        wr_plan_free(plan);
        return NULL;
    }
    if (nkeys || q->offset || q->limit) {
        wr_plan *s = plan_new(WR_PLAN_SORT);
        s->input = plan;
        wr_schema_free(s->schema);
        s->schema = wr_schema_copy(plan->schema);
        s->sort_keys = wr_malloc((size_t)(nkeys ? nkeys : 1) * sizeof(wr_sort_key));
        if (nkeys) memcpy(s->sort_keys, keys, (size_t)nkeys * sizeof(wr_sort_key));
        s->nsort_keys = nkeys;
        s->offset = offset;
        s->limit = limit;
        plan = s;
    }
    if (nvisible < plan->schema->ncols) {
        int *cols = wr_malloc((size_t)(nvisible ? nvisible : 1) * sizeof(int));
        for (int i = 0; i < nvisible; i++) cols[i] = i;
        plan = calc_columns(plan, cols, nvisible);
        wr_free(cols);
    }
    return plan;
}

static wr_plan *bind_values_query(binder *b, const wr_ast_query *q, const wr_type *hint);

static wr_plan *bind_select(binder *b, const wr_ast_query *q, const scope *outer)
{
    block blk = {0};
    blk.sc.corr_base = -1;
    blk.sc.outer = outer;
    if (q->select.from) {
        if (bind_from(b, q->select.from, outer, &blk.plan, &blk.sc)) goto fail;
    } else {
        /* SELECT without FROM reads one empty row. */
        blk.plan = one_empty_row();
    }
    blk.sc.schema = blk.plan->schema;
    if (q->select.where && bind_where(b, &blk, q->select.where)) goto fail;
    int nvisible = 0;
    sortkeys keys = {0};
    wr_plan *p = bind_projection_keys(b, q, &blk, 0, -1, true, &nvisible, &keys);
    wr_plan_free(blk.plan);
    blk.plan = NULL;
    if (!p) {
        WR_VEC_FREE(&keys);
        goto fail;
    }
    if (q->select.distinct) {
        p = distinct_plan(p);
        if (bind_output_order(b, q, p->schema, &keys)) {
            WR_VEC_FREE(&keys);
            wr_plan_free(p);
            goto fail;
        }
    }
    p = finish_query(b, q, p, keys.v, keys.n, nvisible);
    WR_VEC_FREE(&keys);
    scope_fini(&blk.sc);
    return p;
fail:
    wr_plan_free(blk.plan);
    scope_fini(&blk.sc);
    return NULL;
}

/* Casts every column of plan to types (a Calc), unless they already are. */
static wr_plan *cast_columns(wr_plan *plan, const wr_type *types, int pos, wr_error *err)
{
    bool same = true;
    for (int i = 0; i < plan->schema->ncols; i++)
        same &= wr_type_equal(plan->schema->types[i], types[i]);
    if (same) return plan;
    projection proj = {0};
    for (int i = 0; i < plan->schema->ncols; i++) {
        wr_expr *e = wr_expr_column(i, plan->schema->types[i], pos);
        if (!wr_type_equal(e->type, types[i]) &&
            !(e = wr_expr_cast(e, types[i], false, pos, err))) {
            projection_fini(&proj);
            wr_plan_free(plan);
            return NULL;
        }
        projection_add(&proj, e, plan->schema->names[i]);
    }
    return projection_plan(&proj, plan, NULL);
}

/*
 * INTERSECT ALL / EXCEPT ALL: count each distinct row's occurrences on both
 * sides (a union of the sides tagged 1/0 and 0/1, grouped by every column),
 * then repeat the row min(left, right) or left - right times. l and r have
 * equal column types; both are consumed.
 */
static wr_plan *setop_all(bool intersect, wr_plan *l, wr_plan *r, int pos, wr_error *err)
{
    int n = l->schema->ncols;
    wr_type bt = wr_type_make(WR_TYPE_BIGINT, false);
    const char *tags[2] = {"$left", "$right"};
    wr_plan *sides[2] = {l, r};
    for (int s = 0; s < 2; s++) {
        wr_expr *x[2] = {wr_expr_int64(bt, s == 0, pos), wr_expr_int64(bt, s == 1, pos)};
        sides[s] = calc_identity(sides[s], NULL, x, tags, 2);
    }
    wr_plan *u = plan_new(WR_PLAN_UNION);
    wr_schema_free(u->schema);
    u->schema = wr_schema_copy(sides[0]->schema);
    u->inputs = wr_malloc(2 * sizeof(wr_plan *));
    u->inputs[0] = sides[0];
    u->inputs[1] = sides[1];
    u->ninputs = 2;
    int *cols = wr_malloc((size_t)(n + 1) * sizeof(int));
    for (int i = 0; i < n; i++) cols[i] = i;
    wr_agg_call calls[2];
    for (int s = 0; s < 2; s++) {
        int arg = n + s;
        if (make_agg_call("SUM", u, &arg, 1, false, -1, pos, &calls[s], err)) {
            wr_free(cols);
            wr_plan_free(u);
            return NULL;
        }
    }
    wr_plan *agg = agg_new(u, cols, n, calls, 2, tags);
    /* times = LEAST(left, right) or left - right; rows with times < 1 are dropped */
    wr_expr *cl = wr_expr_column(n, agg->schema->types[n], pos);
    wr_expr *cr = wr_expr_column(n + 1, agg->schema->types[n + 1], pos);
    wr_expr *times;
    if (intersect) {
        wr_expr **a = wr_calloc(3, sizeof(wr_expr *));
        a[0] = wr_bind_binary(WR_OP_LT, cl, cr, pos, err);
        a[1] = wr_expr_column(n, agg->schema->types[n], pos);
        a[2] = wr_expr_column(n + 1, agg->schema->types[n + 1], pos);
        times = wr_expr_logic(WR_EXPR_CASE, a, 3, agg->schema->types[n], pos);
    } else {
        times = wr_bind_binary(WR_OP_SUB, cl, cr, pos, err);
    }
    wr_plan *c = calc_columns(agg, cols, n);
    c->projs = wr_realloc(c->projs, (size_t)(n + 1) * sizeof(wr_expr *));
    c->projs[c->nprojs++] = times;
    wr_schema_add(c->schema, "$times", times->type);
    wr_plan *rep = plan_new(WR_PLAN_REPLICATE);
    rep->input = c;
    wr_schema_free(rep->schema);
    rep->schema = wr_schema_copy(c->schema);
    wr_plan *out = calc_columns(rep, cols, n);
    wr_free(cols);
    return out;
}

static wr_plan *bind_setop(binder *b, const wr_ast_query *q, const scope *outer)
{
    wr_error *err = b->err;
    wr_plan *l = bind_query(b, q->setop.left, outer);
    if (!l) return NULL;
    wr_plan *r = bind_query(b, q->setop.right, outer);
    if (!r) {
        wr_plan_free(l);
        return NULL;
    }
    static const char *const names[] = {"UNION", "INTERSECT", "EXCEPT"};
    const char *opname = names[q->setop.op];
    int n = l->schema->ncols;
    if (r->schema->ncols != n) {
        wr_error_set_at(err, WR_ERR_VALIDATION, q->setop.right->pos,
                        "%s needs inputs with the same number of columns, but they have %d and %d",
                        opname, n, r->schema->ncols);
        goto fail;
    }
    wr_type *types = wr_malloc((size_t)(n ? n : 1) * sizeof(wr_type));
    for (int i = 0; i < n; i++) {
        wr_type a = l->schema->types[i], c = r->schema->types[i];
        if (!wr_type_common(a, c, &types[i])) {
            char x[WR_TYPE_NAME_MAX], y[WR_TYPE_NAME_MAX];
            wr_type_names(a, c, x, y);
            wr_error_set_at(err, WR_ERR_VALIDATION, q->setop.right->pos,
                            "column %d of %s has incompatible types %s and %s", i + 1, opname, x,
                            y);
            wr_free(types);
            goto fail;
        }
        if (types[i].id == WR_TYPE_NULL) types[i] = wr_type_make(WR_TYPE_VARCHAR, true);
        if (types[i].id == WR_TYPE_CHAR && a.length != c.length) types[i].id = WR_TYPE_VARCHAR;
        types[i].nullable =
            a.nullable || c.nullable || a.id == WR_TYPE_NULL || c.id == WR_TYPE_NULL;
    }
    l = cast_columns(l, types, q->pos, err);
    r = l ? cast_columns(r, types, q->pos, err) : r;
    wr_free(types);
    if (!l || !r) goto fail;
    wr_plan *p;
    if (q->setop.op == WR_SETOP_UNION) {
        p = plan_new(WR_PLAN_UNION);
        wr_schema_free(p->schema);
        p->schema = wr_schema_copy(l->schema);
        p->inputs = wr_malloc(2 * sizeof(wr_plan *));
        p->inputs[0] = l;
        p->inputs[1] = r;
        p->ninputs = 2;
        if (!q->setop.all) p = distinct_plan(p);
    } else {
        if (q->setop.all) {
            p = setop_all(q->setop.op == WR_SETOP_INTERSECT, l, r, q->pos, err);
            if (!p) return NULL;
            goto order;
        }
        /* INTERSECT: distinct left rows with a match on the right (NULLs equal); EXCEPT: without.
         */
        wr_plan *j =
            join_new(q->setop.op == WR_SETOP_INTERSECT ? WR_JOIN_TYPE_SEMI : WR_JOIN_TYPE_ANTI,
                     distinct_plan(l), r, NULL);
        j->nkeys = n;
        j->left_keys = wr_malloc((size_t)(n ? n : 1) * sizeof(int));
        j->right_keys = wr_malloc((size_t)(n ? n : 1) * sizeof(int));
        j->null_safe = wr_malloc((size_t)(n ? n : 1) * sizeof(bool));
        for (int i = 0; i < n; i++) {
            j->left_keys[i] = j->right_keys[i] = i;
            j->null_safe[i] = true;
        }
        p = j;
    }
order:;
    sortkeys keys = {0};
    if (bind_output_order(b, q, p->schema, &keys)) {
        WR_VEC_FREE(&keys);
        wr_plan_free(p);
        return NULL;
    }
    p = finish_query(b, q, p, keys.v, keys.n, p->schema->ncols);
    WR_VEC_FREE(&keys);
    return p;
fail:
    wr_plan_free(l);
    wr_plan_free(r);
    return NULL;
}

static wr_plan *bind_query(binder *b, const wr_ast_query *q, const scope *outer)
{
    /* WITH: the CTEs are visible in this query (and later CTEs see earlier ones). */
    cte *ctes = q->nctes ? wr_calloc((size_t)q->nctes, sizeof(cte)) : NULL;
    const cte *saved = b->ctes;
    for (int i = 0; i < q->nctes; i++) {
        ctes[i].def = &q->ctes[i];
        ctes[i].next = b->ctes;
        b->ctes = &ctes[i];
    }
    wr_plan *p;
    if (q->kind == WR_QUERY_SELECT)
        p = bind_select(b, q, outer);
    else if (q->kind == WR_QUERY_VALUES)
        p = bind_values_query(b, q, NULL);
    else
        p = bind_setop(b, q, outer);
    b->ctes = saved;
    wr_free(ctes);
    return p;
}

wr_plan *wr_bind_query(const wr_ast_query *q, const wr_catalog *cat, wr_error *err)
{
    binder b = {cat, NULL, err};
    return bind_query(&b, q, NULL);
}

/* Evaluates constant expressions (one row each) into VALUES batches. */
static wr_plan *bind_values(wr_expr ***rows, int nrows, int ncols, const char *const *names,
                            const wr_type *hint, wr_error *err)
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
                char x[WR_TYPE_NAME_MAX], y[WR_TYPE_NAME_MAX];
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
        if (hint) {
            /* Rows written to a table take the table's column types (checked by the caller). */
            bool null = t.nullable;
            t = hint[c];
            t.nullable = null;
        }
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

static wr_plan *bind_values_query(binder *b, const wr_ast_query *q, const wr_type *hint)
{
    wr_error *err = b->err;
    int nrows = q->values.nrows, ncols = q->values.ncols;
    wr_expr ***rows = wr_calloc((size_t)nrows, sizeof(wr_expr **));
    scope sc = {0};
    sc.corr_base = -1;
    ectx cx = {b, &sc, NULL, NULL, "VALUES", NULL};
    wr_plan *plan = NULL;
    int bound = 0;
    for (; bound < nrows; bound++) {
        rows[bound] = wr_calloc((size_t)ncols, sizeof(wr_expr *));
        int c;
        for (c = 0; c < ncols; c++)
            if (!(rows[bound][c] = bind_expr(&cx, q->values.rows[bound][c]))) break;
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
        for (int r = 0; hint && r < nrows; r++)
            for (int c = 0; c < ncols; c++)
                if (!wr_assignable(rows[r][c]->type, hint[c])) {
                    char x[WR_TYPE_NAME_MAX], y[WR_TYPE_NAME_MAX];
                    wr_type_names(rows[r][c]->type, hint[c], x, y);
                    wr_error_set_at(err, WR_ERR_VALIDATION, rows[r][c]->pos,
                                    "type mismatch: this value is %s but its column is %s", x, y);
                    free_strs(names, ncols);
                    goto done;
                }
        plan = bind_values(rows, nrows, ncols, (const char *const *)names, hint, err);
        free_strs(names, ncols);
    }
done:
    for (int r = 0; r < bound; r++) {
        for (int c = 0; c < ncols; c++) wr_expr_free(rows[r][c]);
        wr_free(rows[r]);
    }
    wr_free(rows);
    if (plan) {
        sortkeys keys = {0};
        if (bind_output_order(b, q, plan->schema, &keys)) {
            wr_plan_free(plan);
            plan = NULL;
        } else {
            plan = finish_query(b, q, plan, keys.v, keys.n, plan->schema->ncols);
        }
        WR_VEC_FREE(&keys);
    }
    return plan;
}

/* Position of the i-th output column's expression in a SELECT without '*'. */
static int item_pos(const wr_ast_query *q, int i)
{
    if (q->kind != WR_QUERY_SELECT) return q->pos;
    for (int k = 0; k < q->select.nitems; k++)
        if (q->select.items[k].expr->kind == WR_AST_STAR) return q->pos;
    return i < q->select.nitems ? q->select.items[i].expr->pos : q->pos;
}

/*
 * The columns an INSERT writes (Flink's persisted columns): the physical ones, then the
 * metadata columns that are not VIRTUAL, in the sink's row order; order[j] is the sink slot
 * of the j-th of them as declared (the order of a query without a column list). A metadata
 * column is written with its key's type (read_type, the connector's), nullable: NULL lets
 * the connector choose.
 */
typedef struct insert_targets {
    int n;
    const char **names;
    wr_type *types; /* declared: what the query's values must be assignable to */
    wr_type *write; /* what the sink takes */
    int *order;
} insert_targets;

static void insert_targets_init(insert_targets *it, const wr_table *sink)
{
    const wr_schema *phys = sink->schema;
    int cap = phys->ncols + sink->nmetadata + 1;
    it->names = wr_malloc((size_t)cap * sizeof(char *));
    it->types = wr_malloc((size_t)cap * sizeof(wr_type));
    it->write = wr_malloc((size_t)cap * sizeof(wr_type));
    it->order = wr_malloc((size_t)cap * sizeof(int));
    it->n = phys->ncols;
    for (int i = 0; i < phys->ncols; i++) {
        it->names[i] = phys->names[i];
        it->types[i] = it->write[i] = phys->types[i];
    }
    int total = phys->ncols + sink->ncomputed + sink->nmetadata, nord = 0;
    for (int i = 0, p = 0, k = 0, m = 0; i < total; i++) {
        if (k < sink->ncomputed && sink->computed[k].position == i) {
            k++;
        } else if (m < sink->nmetadata && sink->metadata[m].position == i) {
            const wr_metadata_column *mc = &sink->metadata[m++];
            if (mc->is_virtual) continue;
            it->names[it->n] = mc->name;
            it->types[it->n] = mc->type;
            it->write[it->n] = mc->read_type;
            it->write[it->n].nullable = true;
            it->order[nord++] = it->n++;
        } else {
            it->order[nord++] = p++;
        }
    }
}

static void insert_targets_fini(insert_targets *it)
{
    wr_free(it->names);
    wr_free(it->types);
    wr_free(it->write);
    wr_free(it->order);
}

static int insert_target_find(const insert_targets *it, const char *name)
{
    for (int i = 0; i < it->n; i++)
        if (strcmp(it->names[i], name) == 0) return i;
    return -1;
}

wr_plan *wr_bind_insert(wr_plan *plan, const wr_catalog *cat, const wr_table *sink,
                        const wr_ast_query *query, const char *const *columns, int ncolumns,
                        int columns_pos, wr_error *err)
{
    int pos = query->pos;
    const wr_schema *in = plan->schema;
    /* The targets are the physical and the persisted metadata columns: a VIRTUAL metadata
     * column is only read. Whether the connector can write a persisted one is the planner's
     * question (wr_connector_make_sink), as Flink asks at INSERT. */
    insert_targets want;
    insert_targets_init(&want, sink);
    /* target[i]: the query column written to sink slot i, or -1 for NULL. */
    int *target = wr_malloc((size_t)(want.n ? want.n : 1) * sizeof(int));
    int expect = columns ? ncolumns : want.n;
    for (int j = 0; j < want.n; j++) target[want.order[j]] = columns ? -1 : j;
    for (int k = 0; columns && k < ncolumns; k++) {
        int c = insert_target_find(&want, columns[k]);
        if (c < 0 || target[c] >= 0) {
            wr_error_set_at(err, WR_ERR_VALIDATION, columns_pos,
                            c < 0 ? "unknown column '%s' of table '%s' in the column list"
                                  : "column '%s' of table '%s' is listed twice",
                            columns[k], sink->name);
            goto fail;
        }
        target[c] = k;
    }
    if (query->kind == WR_QUERY_VALUES && query->values.ncols == expect && !query->norder_by &&
        !query->limit && !query->offset) {
        /* INSERT ... VALUES: the rows take the columns' types (an untyped NULL included). */
        wr_type *hint = wr_malloc((size_t)(expect ? expect : 1) * sizeof(wr_type));
        for (int i = 0; i < want.n; i++)
            if (target[i] >= 0) hint[target[i]] = want.types[i];
        binder bb = {cat, NULL, err};
        wr_plan *typed = bind_values_query(&bb, query, hint);
        wr_free(hint);
        if (!typed) goto fail;
        wr_plan_free(plan);
        plan = typed;
        in = plan->schema;
    }
    if (in->ncols != expect) {
        wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                        "the query produces %d columns but %stable '%s' has %d", in->ncols,
                        columns ? "the column list of " : "", sink->name, expect);
        goto fail;
    }
    bool need_calc = columns != NULL;
    for (int i = 0; i < want.n; i++) {
        if (want.order[i] != i || !wr_type_equal(want.types[i], want.write[i])) need_calc = true;
        if (target[i] < 0) {
            if (!want.types[i].nullable) {
                wr_error_set_at(err, WR_ERR_VALIDATION, columns_pos,
                                "column '%s' of table '%s' is NOT NULL and must be given a value",
                                want.names[i], sink->name);
                goto fail;
            }
            continue;
        }
        wr_type a = in->types[target[i]], b = want.types[i];
        if (!wr_assignable(a, b)) {
            char x[WR_TYPE_NAME_MAX], y[WR_TYPE_NAME_MAX];
            wr_type_names(a, b, x, y);
            wr_error_set_at(err, WR_ERR_VALIDATION, item_pos(query, target[i]),
                            "type mismatch for column '%s' of table '%s': the query produces %s "
                            "(column %d, '%s') but the column is %s",
                            want.names[i], sink->name, x, target[i] + 1, in->names[target[i]], y);
            goto fail;
        }
        if (!wr_type_equal(a, b)) need_calc = true;
    }
    if (!need_calc) {
        wr_free(target);
        insert_targets_fini(&want);
        return plan;
    }
    projection proj = {0};
    for (int i = 0; i < want.n; i++) {
        wr_type t = want.types[i];
        wr_expr *e;
        if (target[i] < 0) {
            e = wr_expr_null(want.write[i], pos);
        } else {
            wr_type it = in->types[target[i]];
            t.nullable = it.nullable || it.id == WR_TYPE_NULL;
            e = wr_expr_column(target[i], it, pos);
            if (!wr_type_equal(it, t)) e = wr_expr_cast(e, t, false, pos, err);
            /* A metadata value: the declared type, then the key's (check_metadata allowed). */
            if (e && !wr_type_equal(t, want.write[i])) {
                wr_type w = want.write[i];
                w.nullable = t.nullable;
                e = wr_expr_cast(e, w, false, pos, err);
            }
        }
        if (!e) {
            projection_fini(&proj);
            goto fail;
        }
        projection_add(&proj, e, want.names[i]);
    }
    wr_free(target);
    insert_targets_fini(&want);
    return projection_plan(&proj, plan, NULL);
fail:
    wr_free(target);
    insert_targets_fini(&want);
    wr_plan_free(plan);
    return NULL;
}
