/*
 * rules.c — logical rewrites of bound plans, applied in passes over the
 * whole plan (a shared node once). The first pass, top-down:
 *
 * - Filter into join: the conjuncts of a filter above an inner join move into
 *   the join's condition, or below it to the one side they read; above a
 *   left join (or semi / anti join) conjuncts on the left side move below it.
 *   So a comma join with its WHERE becomes joins with conditions.
 * - Join keys: conjuncts of a join condition of the form l = r, where l reads
 *   only the left side and r only the right, become hash keys (computed keys
 *   are added as columns to their side and dropped again above the join); the
 *   rest stays as the residual condition checked on key-equal pairs.
 * - Join column pruning: a join under a Calc keeps, from each side, only the
 *   columns the Calc, the keys and the condition read (a projection below
 *   it), so the join copies no column nobody reads.
 * - Calc merge: a Calc over a Calc that nothing else reads becomes one Calc
 *   (the lower filter first, then the upper one over the lower projections),
 *   when every computed lower column is read at most once above (expressions
 *   are trees and are moved, not copied).
 *
 * Then, over the result:
 *
 * - Constant folding (Flink's ReduceExpressions): subexpressions that read
 *   no column and call nothing nondeterministic (RAND, NOW, UUID, ...) are
 *   evaluated once into literals of the same type; one whose evaluation
 *   fails (1 / 0, a bad CAST) stays, so it fails at run time and only when a
 *   row reaches it. TRUE conjuncts of filters go; a Calc filter (or an inner
 *   or semi join condition) that is FALSE or NULL makes the node an empty
 *   VALUES with the same columns.
 * - Filter into scan (Flink's SupportsFilterPushDown): the conjuncts of a
 *   Calc's filter over a scan only it reads are offered to the source in
 *   order; those it applies itself move into the scan (up to the first it
 *   declines), the rest stay.
 * - Projection into scan (SupportsProjectionPushDown): from the root down,
 *   every scan and Calc keeps only the columns its readers read (the union
 *   over them when shared; all of them when any reader passes rows on whole,
 *   a sort or a union, or for the query's result), so a Calc drops
 *   projections nobody reads and a scan asks its source for fewer columns.
 *   A window TVF, OVER and a join pass their input's columns on by position:
 *   what they read is what their own readers read of those columns plus what
 *   they use themselves (time attribute, partition and order keys, call
 *   arguments, join keys and condition), and a column dropped below them
 *   leaves their output too. Calcs left passing a scan's columns on
 *   unchanged go.
 * - Watermark into scan (SupportsWatermarkPushDown): a table's WATERMARK
 *   directly over its scan (it reads physical columns only) moves into the
 *   scan when the source generates watermarks itself, per split; the
 *   WATERMARK node stays, without its expression, for the rowtime attribute.
 */
#include "../base/alloc.h"
#include "../base/vec.h"
#include "plan.h"

#include <string.h>

typedef wr_exprs exprs;

void wr_rules_take_conjuncts(wr_expr *e, wr_exprs *out)
{
    if (e == NULL) return;
    if (e->kind == WR_EXPR_AND) {
        for (int i = 0; i < e->nargs; i++) wr_rules_take_conjuncts(e->args[i], out);
        e->nargs = 0;
        wr_expr_free(e);
        return;
    }
    WR_VEC_PUSH(out, e);
}

wr_expr *wr_rules_and_all(wr_exprs *v)
{
    wr_expr *r = NULL;
    if (v->n == 1) {
        r = v->v[0];
    } else if (v->n > 1) {
        bool nullable = false;
        for (int i = 0; i < v->n; i++) nullable |= v->v[i]->type.nullable;
        wr_expr **args = wr_malloc((size_t)v->n * sizeof(wr_expr *));
        memcpy(args, v->v, (size_t)v->n * sizeof(wr_expr *));
        r = wr_expr_logic(WR_EXPR_AND, args, v->n, wr_type_make(WR_TYPE_BOOLEAN, nullable),
                          v->v[0]->pos);
    }
    WR_VEC_FREE(v);
    return r;
}

/* Bit 1: reads a column below split; bit 2: reads one at or above it. */
static int sides(const wr_expr *e, int split)
{
    if (e->kind == WR_EXPR_COLUMN) return e->col < split ? 1 : 2;
    int s = 0;
    for (int i = 0; i < e->nargs; i++) s |= sides(e->args[i], split);
    return s;
}

static void shift_cols(wr_expr *e, int by)
{
    if (e->kind == WR_EXPR_COLUMN) e->col += by;
    for (int i = 0; i < e->nargs; i++) shift_cols(e->args[i], by);
}

static bool is_identity_calc(const wr_plan *p)
{
    if (p->nprojs != p->input->schema->ncols) return false;
    for (int i = 0; i < p->nprojs; i++)
        if (p->projs[i]->kind != WR_EXPR_COLUMN || p->projs[i]->col != i) return false;
    return true;
}

/* Adds a filter conjunct to plan's output rows (a Calc below whatever reads plan). */
static wr_plan *add_filter(wr_plan *plan, wr_expr *cond)
{
    if (plan->kind == WR_PLAN_CALC && plan->refs == 1 && is_identity_calc(plan)) {
        exprs v = {0};
        wr_rules_take_conjuncts(plan->filter, &v);
        WR_VEC_PUSH(&v, cond);
        plan->filter = wr_rules_and_all(&v);
        return plan;
    }
    wr_plan *c = wr_plan_new(WR_PLAN_CALC);
    c->input = plan;
    int n = plan->schema->ncols;
    c->projs = wr_malloc((size_t)(n ? n : 1) * sizeof(wr_expr *));
    c->nprojs = n;
    for (int i = 0; i < n; i++) {
        c->projs[i] = wr_expr_column(i, plan->schema->types[i], -1);
        wr_schema_add(c->schema, plan->schema->names[i], plan->schema->types[i]);
    }
    c->filter = cond;
    return c;
}

/* Filter into join: a Calc's filter over a join it alone reads. */
static void push_filter(wr_plan *calc)
{
    wr_plan *j = calc->input;
    if (!calc->filter || j->kind != WR_PLAN_JOIN || j->refs != 1) return;
    int nl = j->input->schema->ncols;
    exprs in = {0}, keep = {0}, cond = {0};
    wr_rules_take_conjuncts(calc->filter, &in);
    calc->filter = NULL;
    wr_rules_take_conjuncts(j->filter, &cond);
    j->filter = NULL;
    bool inner = j->join_type == WR_JOIN_TYPE_INNER;
    bool left_ok = inner || j->join_type == WR_JOIN_TYPE_LEFT ||
                   j->join_type == WR_JOIN_TYPE_SEMI || j->join_type == WR_JOIN_TYPE_ANTI;
    for (int i = 0; i < in.n; i++) {
        wr_expr *e = in.v[i];
        int s = sides(e, nl);
        if (s == 1 && left_ok) {
            j->input = add_filter(j->input, e);
        } else if (s == 2 && inner && !j->temporal) {
            /* (Not into a temporal join's right side: that would drop versions or rows the
             * lookup must see; such conjuncts stay in the condition.) */
            shift_cols(e, -nl);
            j->right = add_filter(j->right, e);
        } else if (inner && s != 0) {
            WR_VEC_PUSH(&cond, e);
        } else {
            WR_VEC_PUSH(&keep, e);
        }
    }
    WR_VEC_FREE(&in);
    j->filter = wr_rules_and_all(&cond);
    calc->filter = wr_rules_and_all(&keep);
}

/* Appends a computed column to a join side; returns its index. */
static int add_key_column(wr_plan **side, wr_expr *e)
{
    wr_plan *p = *side;
    wr_plan *c = wr_plan_new(WR_PLAN_CALC);
    c->input = p;
    int n = p->schema->ncols;
    c->projs = wr_malloc((size_t)(n + 1) * sizeof(wr_expr *));
    c->nprojs = n + 1;
    for (int i = 0; i < n; i++) {
        c->projs[i] = wr_expr_column(i, p->schema->types[i], -1);
        wr_schema_add(c->schema, p->schema->names[i], p->schema->types[i]);
    }
    c->projs[n] = e;
    wr_schema_add(c->schema, "$key", e->type);
    *side = c;
    return n;
}

/*
 * Whether l = r can be a hash key, whose sides compare by their stored
 * values: the same type, where DECIMALs of different scales (1.5 is 15 at
 * scale 1 but 150 at scale 2) become keys in their common type, *common,
 * provided it holds both exactly. *common's id is NULL when no cast is needed.
 */
static bool key_pair(const wr_expr *l, const wr_expr *r, wr_type *common)
{
    wr_type a = l->type, b = r->type;
    common->id = WR_TYPE_NULL;
    if (a.id != b.id) return false;
    if (a.id != WR_TYPE_DECIMAL || a.scale == b.scale) return true;
    return wr_type_common(a, b, common) && common->scale == WR_MAX(a.scale, b.scale);
}

/* x cast to t (a wider DECIMAL, which cannot fail) with x's nullability. */
static wr_expr *widen_key(wr_expr *x, wr_type t)
{
    wr_error err;
    wr_error_init(&err);
    t.nullable = x->type.nullable;
    wr_expr *c = wr_expr_cast(x, t, false, x->pos, &err);
    assert(c != NULL);
    return c;
}

/* Join keys out of the condition. Returns the plan to use instead of j (j, or a Calc on it). */
static wr_plan *extract_keys(wr_plan *j)
{
    if (!j->filter || j->refs != 1) return j;
    int nl = j->input->schema->ncols;
    exprs cond = {0}, rest = {0}, lk = {0}, rk = {0};
    wr_rules_take_conjuncts(j->filter, &cond);
    j->filter = NULL;
    for (int i = 0; i < cond.n; i++) {
        wr_expr *e = cond.v[i];
        if (e->kind == WR_EXPR_CALL && e->fn == WR_FN_EQ && e->nargs == 2) {
            int a = sides(e->args[0], nl), b = sides(e->args[1], nl);
            wr_expr *l = NULL, *r = NULL;
            wr_type common;
            if (a == 1 && b == 2) l = e->args[0], r = e->args[1];
            if (a == 2 && b == 1) l = e->args[1], r = e->args[0];
            /* A lookup join looks its table up by columns, not computed values. */
            if (r && j->temporal == WR_TEMPORAL_PROC && r->kind != WR_EXPR_COLUMN) r = NULL;
            if (l && r && key_pair(l, r, &common) &&
                !(j->temporal == WR_TEMPORAL_PROC && common.id != WR_TYPE_NULL)) {
                e->nargs = 0;
                wr_expr_free(e);
                if (common.id != WR_TYPE_NULL) {
                    l = widen_key(l, common);
                    r = widen_key(r, common);
                }
                shift_cols(r, -nl);
                WR_VEC_PUSH(&lk, l);
                WR_VEC_PUSH(&rk, r);
                continue;
            }
        }
        WR_VEC_PUSH(&rest, e);
    }
    WR_VEC_FREE(&cond);
    if (lk.n == 0) {
        j->filter = wr_rules_and_all(&rest);
        return j;
    }
    /* Computed keys become columns of their side; the residual's right columns shift. */
    int old = j->nkeys, nkeys = old + lk.n, addl = 0, addr = 0;
    int *lcols = wr_malloc((size_t)nkeys * sizeof(int));
    int *rcols = wr_malloc((size_t)nkeys * sizeof(int));
    bool *safe = wr_calloc((size_t)nkeys, sizeof(bool));
    for (int k = 0; k < old; k++) {
        lcols[k] = j->left_keys[k];
        rcols[k] = j->right_keys[k];
        safe[k] = j->null_safe && j->null_safe[k];
    }
    for (int i = 0; i < lk.n; i++) {
        int k = old + i;
        if (lk.v[i]->kind == WR_EXPR_COLUMN) {
            lcols[k] = lk.v[i]->col;
            wr_expr_free(lk.v[i]);
        } else {
            lcols[k] = add_key_column(&j->input, lk.v[i]);
            addl++;
        }
        if (rk.v[i]->kind == WR_EXPR_COLUMN) {
            rcols[k] = rk.v[i]->col;
            wr_expr_free(rk.v[i]);
        } else {
            rcols[k] = add_key_column(&j->right, rk.v[i]);
            addr++;
        }
    }
    WR_VEC_FREE(&lk);
    WR_VEC_FREE(&rk);
    wr_free(j->left_keys);
    wr_free(j->right_keys);
    wr_free(j->null_safe);
    j->left_keys = lcols;
    j->right_keys = rcols;
    j->null_safe = safe;
    j->nkeys = nkeys;
    wr_expr *residual = wr_rules_and_all(&rest);
    if (addl + addr == 0) {
        j->filter = residual;
        return j;
    }
    /* The join's row grows: rebuild its schema, remap the residual, drop the extras above. */
    if (residual && addl) {
        /* right columns move by addl */
        wr_expr *stack[256];
        int sp = 0;
        stack[sp++] = residual;
        while (sp) {
            wr_expr *x = stack[--sp];
            if (x->kind == WR_EXPR_COLUMN && x->col >= nl) x->col += addl;
            for (int i = 0; i < x->nargs && sp < 256; i++) stack[sp++] = x->args[i];
        }
    }
    j->filter = residual;
    wr_schema *before = j->schema;
    j->schema = wr_schema_new();
    bool lnull = j->join_type == WR_JOIN_TYPE_RIGHT || j->join_type == WR_JOIN_TYPE_FULL;
    bool rnull = j->join_type == WR_JOIN_TYPE_LEFT || j->join_type == WR_JOIN_TYPE_FULL;
    const wr_schema *ls = j->input->schema, *rs = j->right->schema;
    for (int i = 0; i < ls->ncols; i++) {
        wr_type t = ls->types[i];
        t.nullable |= lnull;
        wr_schema_add(j->schema, ls->names[i], t);
    }
    bool semi = j->join_type == WR_JOIN_TYPE_SEMI || j->join_type == WR_JOIN_TYPE_ANTI;
    for (int i = 0; !semi && i < rs->ncols; i++) {
        wr_type t = rs->types[i];
        t.nullable |= rnull;
        wr_schema_add(j->schema, rs->names[i], t);
    }
    wr_plan *c = wr_plan_new(WR_PLAN_CALC);
    c->input = j;
    int nout = before->ncols;
    c->projs = wr_malloc((size_t)(nout ? nout : 1) * sizeof(wr_expr *));
    c->nprojs = nout;
    for (int i = 0; i < nout; i++) {
        int from = i < nl ? i : i + addl;
        c->projs[i] = wr_expr_column(from, j->schema->types[from], -1);
    }
    wr_schema_free(c->schema);
    c->schema = before;
    return c;
}

/* Counts the reads of each input column in e. */
static void count_reads(const wr_expr *e, int *reads)
{
    if (e->kind == WR_EXPR_COLUMN) reads[e->col]++;
    for (int i = 0; i < e->nargs; i++) count_reads(e->args[i], reads);
}

/* Replaces the column reads of e by the lower Calc's projections (moved out of it). */
static wr_expr *substitute(wr_expr *e, wr_plan *lower)
{
    if (e->kind == WR_EXPR_COLUMN) {
        wr_expr *p = lower->projs[e->col];
        wr_expr *r;
        if (p->kind == WR_EXPR_COLUMN) {
            r = wr_expr_column(p->col, p->type, e->pos);
        } else {
            r = p;
            lower->projs[e->col] = NULL;
        }
        wr_expr_free(e);
        return r;
    }
    for (int i = 0; i < e->nargs; i++) e->args[i] = substitute(e->args[i], lower);
    return e;
}

/* Merges upper (a Calc) with the Calc below it when that is safe; returns upper. */
static wr_plan *merge_calc(wr_plan *upper)
{
    wr_plan *lower = upper->input;
    if (upper->kind != WR_PLAN_CALC || lower->kind != WR_PLAN_CALC || lower->refs != 1)
        return upper;
    int n = lower->nprojs;
    int *reads = wr_calloc((size_t)(n ? n : 1), sizeof(int));
    for (int i = 0; i < upper->nprojs; i++) count_reads(upper->projs[i], reads);
    if (upper->filter) count_reads(upper->filter, reads);
    bool ok = true;
    for (int c = 0; c < n && ok; c++) ok = reads[c] <= 1 || lower->projs[c]->kind == WR_EXPR_COLUMN;
    wr_free(reads);
    if (!ok) return upper;
    for (int i = 0; i < upper->nprojs; i++) upper->projs[i] = substitute(upper->projs[i], lower);
    exprs conj = {0};
    wr_rules_take_conjuncts(lower->filter, &conj);
    lower->filter = NULL;
    if (upper->filter) wr_rules_take_conjuncts(substitute(upper->filter, lower), &conj);
    upper->filter = wr_rules_and_all(&conj);
    upper->input = lower->input;
    lower->input = NULL;
    wr_plan_free(lower);
    return upper;
}

/* Projects a join side onto the columns marked in keep; map gets old -> new indexes. */
static wr_plan *project_side(wr_plan *side, const bool *keep, int *map)
{
    int n = side->schema->ncols, k = 0;
    wr_plan *c = wr_plan_new(WR_PLAN_CALC);
    c->input = side;
    c->projs = wr_malloc((size_t)(n ? n : 1) * sizeof(wr_expr *));
    for (int i = 0; i < n; i++) {
        map[i] = -1;
        if (!keep[i]) continue;
        map[i] = k;
        c->projs[k++] = wr_expr_column(i, side->schema->types[i], -1);
        wr_schema_add(c->schema, side->schema->names[i], side->schema->types[i]);
    }
    c->nprojs = k;
    return c;
}

static void remap_all(wr_expr *e, const int *map)
{
    if (e->kind == WR_EXPR_COLUMN) e->col = map[e->col];
    for (int i = 0; i < e->nargs; i++) remap_all(e->args[i], map);
}

/*
 * Marks in reads (over the combined row: left columns, then right ones) what join j itself
 * reads: its keys, its condition and its time attributes; a lookup join reads its table's
 * rows whole (its right side is a scan, never run).
 */
static void count_join_reads(const wr_plan *j, int *reads)
{
    int nl = j->input->schema->ncols, nr = j->right->schema->ncols;
    if (j->filter) count_reads(j->filter, reads);
    for (int k = 0; k < j->nkeys; k++) {
        reads[j->left_keys[k]]++;
        reads[nl + j->right_keys[k]]++;
    }
    if (j->temporal) reads[j->time_col]++;
    if (j->temporal == WR_TEMPORAL_EVENT) reads[nl + j->right_time_col]++;
    if (j->temporal == WR_TEMPORAL_PROC)
        for (int i = 0; i < nr; i++) reads[nl + i]++;
}

/* Join column pruning under a Calc (see the top of the file). */
static void prune_join(wr_plan *calc)
{
    wr_plan *j = calc->input;
    if (j->kind != WR_PLAN_JOIN || j->refs != 1) return;
    int nl = j->input->schema->ncols, nr = j->right->schema->ncols;
    int nout = j->schema->ncols;
    int *reads = wr_calloc((size_t)(nl + nr + 1), sizeof(int));
    for (int i = 0; i < calc->nprojs; i++) count_reads(calc->projs[i], reads);
    if (calc->filter) count_reads(calc->filter, reads);
    count_join_reads(j, reads);
    bool *keepl = wr_calloc((size_t)nl + 1, sizeof(bool)), *keepr = wr_calloc((size_t)nr + 1, 1);
    int kl = 0, kr = 0;
    for (int i = 0; i < nl; i++) kl += keepl[i] = reads[i] > 0;
    for (int i = 0; i < nr; i++) kr += keepr[i] = reads[nl + i] > 0;
    wr_free(reads);
    if ((kl == nl && kr == nr) || (kl == 0 && nl > 0) || (kr == 0 && nr > 0)) {
        /* Nothing to drop, or a side would lose all columns (keep it as it is). */
        wr_free(keepl);
        wr_free(keepr);
        return;
    }
    int *lmap = wr_malloc((size_t)(nl + 1) * sizeof(int)),
        *rmap = wr_malloc((size_t)(nr + 1) * sizeof(int));
    if (kl < nl) {
        j->input = project_side(j->input, keepl, lmap);
    } else {
        for (int i = 0; i < nl; i++) lmap[i] = i;
    }
    if (kr < nr) {
        j->right = project_side(j->right, keepr, rmap);
    } else {
        for (int i = 0; i < nr; i++) rmap[i] = i;
    }
    int nl2 = j->input->schema->ncols;
    /* Combined-row map: left i -> lmap[i], right nl+k -> nl2 + rmap[k]. */
    int *map = wr_malloc((size_t)(nl + nr + 1) * sizeof(int));
    for (int i = 0; i < nl; i++) map[i] = lmap[i];
    for (int i = 0; i < nr; i++) map[nl + i] = rmap[i] < 0 ? -1 : nl2 + rmap[i];
    for (int k = 0; k < j->nkeys; k++) {
        j->left_keys[k] = lmap[j->left_keys[k]];
        j->right_keys[k] = rmap[j->right_keys[k]];
    }
    if (j->temporal) j->time_col = lmap[j->time_col];
    if (j->temporal == WR_TEMPORAL_EVENT) j->right_time_col = rmap[j->right_time_col];
    if (j->filter) remap_all(j->filter, map);
    for (int i = 0; i < calc->nprojs; i++) remap_all(calc->projs[i], map);
    if (calc->filter) remap_all(calc->filter, map);
    /* The join's output row follows its new sides. */
    wr_schema *old = j->schema;
    j->schema = wr_schema_new();
    for (int i = 0; i < nout; i++)
        if (map[i] >= 0) wr_schema_add(j->schema, old->names[i], old->types[i]);
    wr_schema_free(old);
    wr_free(map);
    wr_free(lmap);
    wr_free(rmap);
    wr_free(keepl);
    wr_free(keepr);
}

typedef WR_VEC(wr_plan *) plans;

static wr_plan *rewrite(wr_plan *p, plans *seen)
{
    for (int i = 0; i < seen->n; i++)
        if (seen->v[i] == p) return p;
    WR_VEC_PUSH(seen, p);
    if (p->kind == WR_PLAN_CALC) push_filter(p);
    if (p->kind == WR_PLAN_CALC) prune_join(p);
    if (p->input) p->input = rewrite(p->input, seen);
    if (p->right) p->right = rewrite(p->right, seen);
    for (int i = 0; i < p->ninputs; i++) p->inputs[i] = rewrite(p->inputs[i], seen);
    if (p->kind == WR_PLAN_JOIN) return extract_keys(p);
    if (p->kind == WR_PLAN_CALC) return merge_calc(p);
    return p;
}

/* ---- constant folding ----------------------------------------------------- */

/*
 * Folds the largest foldable subexpressions of e into literals (Flink's
 * ReduceExpressions). One whose evaluation fails stays as it is, so its
 * error happens at run time, when a row reaches it; its parts are folded.
 */
static wr_expr *fold_expr(wr_expr *e)
{
    if (e->kind == WR_EXPR_CONST) return e;
    if (wr_expr_is_foldable(e)) {
        wr_error err;
        wr_error_init(&err);
        wr_expr *c = wr_expr_fold(e, &err);
        if (c) {
            wr_expr_free(e);
            return c;
        }
    }
    for (int i = 0; i < e->nargs; i++) e->args[i] = fold_expr(e->args[i]);
    return e;
}

/* A condition as a filter sees it: 1 a TRUE literal, 0 FALSE or NULL (no row passes), -1 other. */
static int literal_truth(const wr_expr *e)
{
    if (e->kind != WR_EXPR_CONST) return -1;
    if (e->type.id == WR_TYPE_NULL || wr_vector_is_null(&e->cvec, 0)) return 0;
    return ((const uint8_t *)e->cvec.data)[0] != 0;
}

/*
 * Folds a filter (consumed) and drops its TRUE conjuncts. Returns the rest
 * (NULL when none is left) and sets *never when a conjunct is FALSE or NULL.
 */
static wr_expr *fold_filter(wr_expr *filter, bool *never)
{
    *never = false;
    if (filter == NULL) return NULL;
    exprs in = {0}, keep = {0};
    wr_rules_take_conjuncts(fold_expr(filter), &in);
    for (int i = 0; i < in.n; i++) {
        int truth = literal_truth(in.v[i]);
        if (truth == 0) *never = true;
        if (truth >= 0)
            wr_expr_free(in.v[i]);
        else
            WR_VEC_PUSH(&keep, in.v[i]);
    }
    WR_VEC_FREE(&in);
    return wr_rules_and_all(&keep);
}

/*
 * Folds the expressions of every node. A Calc whose filter can never hold,
 * and an inner or semi join whose condition cannot, becomes an empty VALUES
 * in place (its schema stays; its parents still read it).
 */
static void fold_node(wr_plan *p, plans *seen)
{
    for (int i = 0; i < seen->n; i++)
        if (seen->v[i] == p) return;
    WR_VEC_PUSH(seen, p);
    if (p->input) fold_node(p->input, seen);
    if (p->right) fold_node(p->right, seen);
    for (int i = 0; i < p->ninputs; i++) fold_node(p->inputs[i], seen);
    bool never;
    if (p->kind == WR_PLAN_CALC) {
        for (int i = 0; i < p->nprojs; i++) p->projs[i] = fold_expr(p->projs[i]);
        p->filter = fold_filter(p->filter, &never);
        if (never) wr_plan_make_empty(p);
    } else if (p->kind == WR_PLAN_JOIN) {
        p->filter = fold_filter(p->filter, &never);
        if (never && (p->join_type == WR_JOIN_TYPE_INNER || p->join_type == WR_JOIN_TYPE_SEMI))
            wr_plan_make_empty(p);
        else if (never) { /* outer and anti joins keep their rows: the condition matches none */
            wr_expr_free(p->filter);
            p->filter = wr_expr_bool(false, -1);
        }
    }
}

/* ---- filters and projections into scans ----------------------------------- */

/*
 * Filter into scan: the conjuncts of a Calc's filter over a scan that only it
 * reads are offered to the scan's source in their order; those it applies
 * move into the scan, up to the first it declines, so a conjunct that
 * guards a later one (a <> 0 AND 10 / a > 1) still runs first.
 */
static void push_scan_filter(wr_plan *calc)
{
    wr_plan *scan = calc->input;
    if (!calc->filter || scan->kind != WR_PLAN_SCAN || scan->refs != 1) return;
    /* Projections are pushed afterwards: the scan still produces the table's columns. */
    assert(scan->scan_cols == NULL);
    exprs in = {0}, rest = {0};
    wr_rules_take_conjuncts(calc->filter, &in);
    calc->filter = NULL;
    int taken = 0;
    while (taken < in.n && wr_plan_scan_accepts_filter(scan->table, in.v[taken])) taken++;
    if (taken) {
        int n = scan->nscan_filters;
        scan->scan_filters =
            wr_realloc(scan->scan_filters, (size_t)(n + taken) * sizeof(wr_expr *));
        memcpy(scan->scan_filters + n, in.v, (size_t)taken * sizeof(wr_expr *));
        scan->nscan_filters = n + taken;
    }
    for (int i = taken; i < in.n; i++) WR_VEC_PUSH(&rest, in.v[i]);
    WR_VEC_FREE(&in);
    calc->filter = wr_rules_and_all(&rest);
}

/*
 * Watermark into scan: the WATERMARK's input is the scan itself when the
 * table has no computed columns, so its expression reads physical columns
 * by their table index already (the scan under a WATERMARK is never
 * narrowed: the node reads its rows whole).
 */
static void push_scan_watermark(wr_plan *w)
{
    wr_plan *scan = w->input;
    if (scan->kind != WR_PLAN_SCAN || scan->refs != 1 || scan->scan_cols || scan->scan_watermark ||
        w->watermark_pushed)
        return;
    if (!wr_plan_scan_accepts_watermark(scan->table, w->projs[0])) return;
    scan->scan_watermark = w->projs[0];
    scan->scan_rowtime = w->time_col;
    w->projs[0] = NULL;
    w->watermark_pushed = true;
}

/* An edge of the plan: parent reads child's rows (input, right or one of inputs). */
typedef struct plan_use {
    wr_plan *child, *parent;
} plan_use;
typedef WR_VEC(plan_use) plan_uses;

/*
 * Collects every edge of the plan, and its nodes in post-order (inputs
 * before whoever reads them; a shared node once).
 */
static void find_uses(wr_plan *p, plans *order, plan_uses *uses)
{
    for (int i = 0; i < order->n; i++)
        if (order->v[i] == p) return;
    wr_plan *kids[2] = {p->input, p->right};
    for (int k = 0; k < 2 + p->ninputs; k++) {
        wr_plan *c = k < 2 ? kids[k] : p->inputs[k - 2];
        if (c == NULL) continue;
        WR_VEC_PUSH(uses, ((plan_use){c, p}));
        find_uses(c, order, uses);
    }
    WR_VEC_PUSH(order, p);
}

/*
 * Nodes that pass their input's columns on by position, followed by columns of their own: a
 * window TVF (window_start, window_end, window_time), OVER (a column per call) and a join
 * (the left side's columns, then the right side's unless it is a semi or anti join). When
 * their readers leave some of those columns unread, the input below can drop them, and the
 * node's output loses them with it.
 */
static bool passes_columns(const wr_plan *p)
{
    return p->kind == WR_PLAN_WINDOW || p->kind == WR_PLAN_OVER ||
           (p->kind == WR_PLAN_JOIN && p->input != p->right);
}

static bool join_outputs_right(const wr_plan *j)
{
    return j->join_type != WR_JOIN_TYPE_SEMI && j->join_type != WR_JOIN_TYPE_ANTI;
}

static bool mark_reads(const wr_plan *parent, const wr_plan *child, const plan_uses *uses,
                       int *reads);

/*
 * Marks in out the columns of p its readers read. Returns false when one of them reads its
 * rows whole, or when p has an owner that is not a reader in the plan (the query's result).
 */
static bool reader_reads(const wr_plan *p, const plan_uses *uses, int *out)
{
    int nuses = 0;
    for (int u = 0; u < uses->n; u++) {
        if (uses->v[u].child != p) continue;
        if (!mark_reads(uses->v[u].parent, p, uses, out)) return false;
        nuses++;
    }
    return nuses == p->refs;
}

/* mark_reads for a node that passes columns on (passes_columns); child is one of its inputs. */
static bool mark_passed_reads(const wr_plan *p, const wr_plan *child, const plan_uses *uses,
                              int *reads)
{
    int nout = p->schema->ncols, n = child->schema->ncols;
    int nl = p->kind == WR_PLAN_JOIN ? p->input->schema->ncols : n;
    int nr = p->kind == WR_PLAN_JOIN ? p->right->schema->ncols : 0;
    int *out = wr_calloc((size_t)nout + 1, sizeof(int));
    int *mine = wr_calloc((size_t)(nl + nr) + 1, sizeof(int)); /* over the combined row */
    bool partial = reader_reads(p, uses, out);
    bool left = p->kind != WR_PLAN_JOIN || child == p->input;
    int base = left ? 0 : nl; /* where child's columns start in mine */
    if (partial) {
        if (left) {
            for (int i = 0; i < n; i++) mine[i] = out[i];
        } else if (join_outputs_right(p)) {
            for (int i = 0; i < n; i++) mine[nl + i] = out[nl + i];
        }
        switch (p->kind) {
        case WR_PLAN_WINDOW:
            mine[p->time_col]++;
            for (int i = 0; i < p->ngroups; i++) mine[p->groups[i]]++;
            break;
        case WR_PLAN_OVER:
            for (int i = 0; i < p->ngroups; i++) mine[p->groups[i]]++;
            for (int i = 0; i < p->nsort_keys; i++) mine[p->sort_keys[i].col]++;
            for (int i = 0; i < p->nover; i++) {
                const wr_agg_call *a = &p->over[i].agg;
                if (p->over[i].kind != WR_OVER_AGG) continue;
                for (int k = 0; k < a->nargs; k++) mine[a->args[k]]++;
                if (a->filter >= 0) mine[a->filter]++;
            }
            break;
        default: /* WR_PLAN_JOIN */
            count_join_reads(p, mine);
            break;
        }
        /* An input keeps a column at least: operators do not take rows of none. */
        int any = 0;
        for (int i = 0; i < n; i++) any += mine[base + i] > 0;
        if (any == 0 && n > 0) mine[base]++;
        for (int i = 0; i < n; i++) reads[i] += mine[base + i];
    }
    wr_free(mine);
    wr_free(out);
    return partial;
}

/*
 * Marks in reads the columns of child that parent reads. Returns false when it reads them
 * all (it passes its input's rows on whole: a sort, a union...; or a node that passes columns
 * on whose own readers read them all).
 */
static bool mark_reads(const wr_plan *parent, const wr_plan *child, const plan_uses *uses,
                       int *reads)
{
    switch (parent->kind) {
    case WR_PLAN_CALC:
        for (int i = 0; i < parent->nprojs; i++) count_reads(parent->projs[i], reads);
        if (parent->filter) count_reads(parent->filter, reads);
        return true;
    case WR_PLAN_AGG:
        for (int i = 0; i < parent->ngroups; i++) reads[parent->groups[i]]++;
        for (int i = 0; i < parent->naggs; i++) {
            const wr_agg_call *a = &parent->aggs[i];
            for (int k = 0; k < a->nargs; k++) reads[a->args[k]]++;
            if (a->filter >= 0) reads[a->filter]++;
        }
        return true;
    default:
        return passes_columns(parent) && mark_passed_reads(parent, child, uses, reads);
    }
}

static void remap_reads(wr_plan *parent, const wr_plan *child, const int *map, int n,
                        const plan_uses *uses);

/*
 * remap_reads for a node that passes columns on: child (one of its inputs) dropped the columns
 * whose map entry is -1 (of n). Its own references are renumbered, its output loses those
 * columns, and its readers are renumbered in turn.
 */
static void remap_passed(wr_plan *p, const wr_plan *child, const int *map, int n,
                         const plan_uses *uses)
{
    int kept = 0;
    for (int i = 0; i < n; i++) kept += map[i] >= 0;
    bool left = p->kind != WR_PLAN_JOIN || child == p->input;
    int nl = p->kind == WR_PLAN_JOIN && !left ? p->input->schema->ncols : n;
    int nr = p->kind == WR_PLAN_JOIN ? (left ? p->right->schema->ncols : n) : 0;
    /* The combined row (a join's left and right columns; else the input's) old -> new; the
     * node's own columns follow the input's and shift with them. */
    int nout = p->schema->ncols, ncomb = WR_MAX(nl + nr, nout);
    int *cmap = wr_malloc((size_t)ncomb * sizeof(int));
    for (int i = 0; i < ncomb; i++) {
        if (left)
            cmap[i] = i < n ? map[i] : i - n + kept;
        else
            cmap[i] = i < nl ? i : i < nl + n ? (map[i - nl] < 0 ? -1 : nl + map[i - nl]) : i;
    }
    switch (p->kind) {
    case WR_PLAN_WINDOW:
        p->time_col = map[p->time_col];
        for (int i = 0; i < p->ngroups; i++) p->groups[i] = map[p->groups[i]];
        break;
    case WR_PLAN_OVER:
        for (int i = 0; i < p->ngroups; i++) p->groups[i] = map[p->groups[i]];
        for (int i = 0; i < p->nsort_keys; i++) p->sort_keys[i].col = map[p->sort_keys[i].col];
        for (int i = 0; i < p->nover; i++) {
            wr_agg_call *a = &p->over[i].agg;
            if (p->over[i].kind != WR_OVER_AGG) continue;
            for (int k = 0; k < a->nargs; k++) a->args[k] = map[a->args[k]];
            if (a->filter >= 0) a->filter = map[a->filter];
        }
        break;
    default: /* WR_PLAN_JOIN */
        for (int k = 0; k < p->nkeys; k++) {
            if (left)
                p->left_keys[k] = map[p->left_keys[k]];
            else
                p->right_keys[k] = map[p->right_keys[k]];
        }
        if (p->filter) remap_all(p->filter, cmap);
        if (left && p->temporal) p->time_col = map[p->time_col];
        if (!left && p->temporal == WR_TEMPORAL_EVENT) p->right_time_col = map[p->right_time_col];
        break;
    }
    wr_schema *old = p->schema;
    p->schema = wr_schema_new();
    for (int i = 0; i < nout; i++)
        if (cmap[i] >= 0) wr_schema_add(p->schema, old->names[i], old->types[i]);
    wr_schema_free(old);
    for (int u = 0; u < uses->n; u++)
        if (uses->v[u].child == p) remap_reads(uses->v[u].parent, p, cmap, nout, uses);
    wr_free(cmap);
}

/* Renumbers parent's reads of child (n columns before) by map (old -> new). */
static void remap_reads(wr_plan *parent, const wr_plan *child, const int *map, int n,
                        const plan_uses *uses)
{
    if (parent->kind == WR_PLAN_CALC) {
        for (int i = 0; i < parent->nprojs; i++) remap_all(parent->projs[i], map);
        if (parent->filter) remap_all(parent->filter, map);
        return;
    }
    if (parent->kind != WR_PLAN_AGG) {
        remap_passed(parent, child, map, n, uses);
        return;
    }
    for (int i = 0; i < parent->ngroups; i++) parent->groups[i] = map[parent->groups[i]];
    for (int i = 0; i < parent->naggs; i++) {
        wr_agg_call *a = &parent->aggs[i];
        for (int k = 0; k < a->nargs; k++) a->args[k] = map[a->args[k]];
        if (a->filter >= 0) a->filter = map[a->filter];
    }
}

/*
 * Projection pushdown on one node, a scan or a Calc: it keeps only the
 * columns its readers read (the union over all of them when it is shared),
 * and their references are renumbered. A scan asks its source for fewer
 * columns; a Calc drops the projections nobody reads, so what it reads of
 * its own input shrinks too. Nothing changes when a reader reads the rows
 * whole, or when the node has an owner that is not a reader in the plan
 * (the query's result).
 */
static void narrow(wr_plan *p, const plan_uses *uses)
{
    int n = p->schema->ncols, nuses = 0;
    int *reads = wr_calloc((size_t)n + 1, sizeof(int));
    bool partial = true;
    for (int u = 0; u < uses->n && partial; u++) {
        if (uses->v[u].child != p) continue;
        partial = mark_reads(uses->v[u].parent, p, uses, reads);
        nuses++;
    }
    partial = partial && nuses == p->refs;
    int kept = 0;
    for (int i = 0; i < n; i++) kept += reads[i] > 0;
    if (!partial || kept == n) {
        wr_free(reads);
        return;
    }
    int *map = wr_malloc((size_t)(n + 1) * sizeof(int));
    int *cols = wr_malloc((size_t)(kept ? kept : 1) * sizeof(int));
    wr_schema *schema = wr_schema_new();
    for (int i = 0, k = 0; i < n; i++) {
        map[i] = -1;
        if (reads[i] == 0) {
            if (p->kind == WR_PLAN_CALC) wr_expr_free(p->projs[i]);
            continue;
        }
        map[i] = k;
        if (p->kind == WR_PLAN_CALC)
            p->projs[k] = p->projs[i];
        else
            cols[k] = p->scan_cols ? p->scan_cols[i] : i;
        k++;
        wr_schema_add(schema, p->schema->names[i], p->schema->types[i]);
    }
    for (int u = 0; u < uses->n; u++)
        if (uses->v[u].child == p) remap_reads(uses->v[u].parent, p, map, n, uses);
    if (p->kind == WR_PLAN_CALC) {
        p->nprojs = kept;
        wr_free(cols);
    } else {
        wr_free(p->scan_cols);
        p->scan_cols = cols;
        p->nscan_cols = kept;
    }
    wr_schema_free(p->schema);
    p->schema = schema;
    wr_free(map);
    wr_free(reads);
}

/*
 * A Calc that passes a scan's columns on unchanged, under the same types,
 * and the same names when others read the scan too (it cannot take the
 * Calc's names then).
 */
static bool passes_scan(const wr_plan *calc)
{
    const wr_plan *scan = calc->input;
    if (calc->kind != WR_PLAN_CALC || calc->filter || scan->kind != WR_PLAN_SCAN ||
        !is_identity_calc(calc))
        return false;
    for (int i = 0; i < calc->nprojs; i++)
        if (!wr_type_equal(calc->schema->types[i], scan->schema->types[i]) ||
            (scan->refs > 1 && strcmp(calc->schema->names[i], scan->schema->names[i]) != 0))
            return false;
    return true;
}

/*
 * Filter into scan over the whole plan (a shared node once); and join column
 * pruning again, now that Calcs are merged (a WHERE above a comma join was a
 * Calc of its own in the first pass), so projections reach the scans below
 * joins.
 */
static wr_plan *push_into_scans(wr_plan *p, plans *seen)
{
    for (int i = 0; i < seen->n; i++)
        if (seen->v[i] == p) return p;
    WR_VEC_PUSH(seen, p);
    if (p->kind == WR_PLAN_CALC) push_scan_filter(p);
    if (p->kind == WR_PLAN_CALC) prune_join(p);
    if (p->kind == WR_PLAN_WATERMARK) push_scan_watermark(p);
    if (p->input) p->input = push_into_scans(p->input, seen);
    if (p->right) p->right = push_into_scans(p->right, seen);
    for (int i = 0; i < p->ninputs; i++) p->inputs[i] = push_into_scans(p->inputs[i], seen);
    return p;
}

/*
 * Calcs left with nothing to do over a scan go: the scan takes their column
 * names and their owners (a shared Calc is replaced for every reader; repl
 * holds what each node of seen became).
 */
static wr_plan *drop_passing_calcs(wr_plan *p, plans *seen, plans *repl)
{
    for (int i = 0; i < seen->n; i++)
        if (seen->v[i] == p) return repl->v[i];
    /* A Calc freed here leaves its address in seen; no plan node is allocated in this pass,
     * so no live node can have it. */
    int at = seen->n;
    WR_VEC_PUSH(seen, p);
    WR_VEC_PUSH(repl, p);
    if (p->input) p->input = drop_passing_calcs(p->input, seen, repl);
    if (p->right) p->right = drop_passing_calcs(p->right, seen, repl);
    for (int i = 0; i < p->ninputs; i++)
        p->inputs[i] = drop_passing_calcs(p->inputs[i], seen, repl);
    if (!passes_scan(p)) return p;
    wr_plan *scan = p->input;
    p->input = NULL;
    if (scan->refs == 1) {
        wr_schema_free(scan->schema);
        scan->schema = p->schema;
        p->schema = wr_schema_new();
    }
    scan->refs += p->refs - 1; /* the Calc's owners instead of the Calc */
    p->refs = 1;
    wr_plan_free(p);
    repl->v[at] = scan;
    return scan;
}

static bool same_schema(const wr_schema *a, const wr_schema *b)
{
    if (a->ncols != b->ncols) return false;
    for (int i = 0; i < a->ncols; i++)
        if (!wr_type_equal(a->types[i], b->types[i]) || strcmp(a->names[i], b->names[i]) != 0)
            return false;
    return true;
}

static bool same_exprs(wr_expr *const *a, wr_expr *const *b, int n)
{
    for (int i = 0; i < n; i++)
        if (!wr_expr_same(a[i], b[i])) return false;
    return true;
}

/* Whether a and b (whose inputs are already shared when equal) produce the same rows. */
static bool same_node(const wr_plan *a, const wr_plan *b)
{
    if (a->kind != b->kind || a->input != b->input || !same_schema(a->schema, b->schema))
        return false;
    switch (a->kind) {
    case WR_PLAN_SCAN:
        return a->table == b->table && a->nscan_cols == b->nscan_cols &&
               (a->scan_cols == NULL) == (b->scan_cols == NULL) &&
               (a->scan_cols == NULL ||
                memcmp(a->scan_cols, b->scan_cols, (size_t)a->nscan_cols * sizeof(int)) == 0) &&
               a->nscan_filters == b->nscan_filters &&
               same_exprs(a->scan_filters, b->scan_filters, a->nscan_filters) &&
               wr_expr_same(a->scan_watermark, b->scan_watermark) &&
               a->scan_rowtime == b->scan_rowtime;
    case WR_PLAN_CALC:
        return a->nprojs == b->nprojs && same_exprs(a->projs, b->projs, a->nprojs) &&
               wr_expr_same(a->filter, b->filter);
    case WR_PLAN_WATERMARK:
        return a->time_col == b->time_col && a->watermark_pushed == b->watermark_pushed &&
               wr_expr_same(a->projs[0], b->projs[0]);
    default:
        return false;
    }
}

/*
 * Source reuse (Flink's table.optimizer.reuse-source-enabled, on by default there too):
 * scans of the same table with the same request become one node with several readers, and
 * so do equal WATERMARK nodes over it and the Calcs of computed columns below them. The job
 * then reads (or generates) the source once and fans its rows out. Calcs elsewhere stay
 * apart: operators above may take a Calc into themselves. seen/repl map each node visited to
 * what it became; canon holds the distinct nodes kept. A node freed here leaves its address
 * in seen; no plan node is allocated in this pass, so no live node can have it.
 */
static wr_plan *reuse_sources(wr_plan *p, bool below_watermark, plans *seen, plans *repl,
                              plans *canon)
{
    for (int i = 0; i < seen->n; i++)
        if (seen->v[i] == p) return repl->v[i];
    int at = seen->n;
    WR_VEC_PUSH(seen, p);
    WR_VEC_PUSH(repl, p);
    bool watermark = p->kind == WR_PLAN_WATERMARK;
    if (p->input) p->input = reuse_sources(p->input, watermark, seen, repl, canon);
    if (p->right) p->right = reuse_sources(p->right, false, seen, repl, canon);
    for (int i = 0; i < p->ninputs; i++)
        p->inputs[i] = reuse_sources(p->inputs[i], false, seen, repl, canon);
    bool candidate =
        p->kind == WR_PLAN_SCAN || watermark || (p->kind == WR_PLAN_CALC && below_watermark);
    if (!candidate) return p;
    for (int i = 0; i < canon->n; i++) {
        wr_plan *q = canon->v[i];
        if (!same_node(p, q)) continue;
        q->refs += p->refs; /* p's owners read q instead */
        p->refs = 1;
        repl->v[at] = q;
        wr_plan_free(p);
        return q;
    }
    WR_VEC_PUSH(canon, p);
    return p;
}

wr_plan *wr_plan_optimize(wr_plan *plan)
{
    plans seen = {0};
    plan = rewrite(plan, &seen);
    seen.n = 0;
    fold_node(plan, &seen);
    seen.n = 0;
    plan = push_into_scans(plan, &seen);
    /*
     * Projections last (what filters took into scans is no longer read above
     * them), from the root down: a node's readers are final when it narrows.
     */
    plan_uses uses = {0};
    seen.n = 0;
    find_uses(plan, &seen, &uses);
    for (int i = seen.n - 1; i >= 0; i--)
        if (seen.v[i]->kind == WR_PLAN_SCAN || seen.v[i]->kind == WR_PLAN_CALC)
            narrow(seen.v[i], &uses);
    WR_VEC_FREE(&uses);
    plans repl = {0};
    seen.n = 0;
    plan = drop_passing_calcs(plan, &seen, &repl);
    plans canon = {0};
    seen.n = repl.n = 0;
    plan = reuse_sources(plan, false, &seen, &repl, &canon);
    WR_VEC_FREE(&canon);
    WR_VEC_FREE(&repl);
    WR_VEC_FREE(&seen);
    return plan;
}
