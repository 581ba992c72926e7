/*
 * planner_stream.c — batch or streaming execution, changelog modes, and the
 * streaming operators of the planner.
 *
 * wr_plan_annotate decides for every node whether it runs as a batch
 * operator (emitting at end of input) or a streaming one (keeping its result
 * up to date as a changelog), under 'execution.runtime-mode', and infers the
 * change kinds each node emits. The translations below turn the streaming
 * nodes into their operators: window aggregation, group aggregation, joins.
 */
#include "../base/alloc.h"
#include "../connectors/connector.h"
#include "../ops/calc.h"
#include "../connectors/memtable.h"
#include "../ops/group_agg.h"
#include "../ops/interval_join.h"
#include "../ops/lookup_join.h"
#include "../ops/over_agg.h"
#include "../ops/over_changelog.h"
#include "../ops/rank.h"
#include "../ops/temporal_join.h"
#include "../ops/window_join.h"
#include "../ops/stream_join.h"
#include "../ops/window_agg.h"
#include "planner_int.h"

#include <stdio.h>
#include <string.h>

/* ---- batch or streaming, and changelog modes ----------------------------------- */

/* 'execution.runtime-mode' values, in the order of run_mode. */
static const char *const run_modes[] = {"streaming", "batch", "automatic", NULL};
enum run_mode { MODE_STREAMING, MODE_BATCH, MODE_AUTOMATIC };

/* Whether a scan's source ends by itself: a stored table does; a connector says so. */
/*
 * Whether a scan's source ends by itself, and the change kinds it produces (WR_CHANGES_*), as
 * its connector plans it.
 */
static int scan_bounded(const wr_plan *plan, const wr_config *job, bool *bounded, uint8_t *changes,
                        wr_error *err)
{
    const wr_table *tb = plan->table;
    *bounded = true;
    *changes = WR_CHANGES_INSERT;
    if (tb->mem) return 0;
    if (tb->source) {
        *bounded = tb->source->bounded(tb->source->arg);
        return 0;
    }
    const char *name = wr_config_get(&tb->options, "connector", NULL);
    const wr_connector *conn = name ? wr_connector_find(name) : NULL;
    if (conn == NULL || conn->make_source == NULL)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "table '%s' (connector '%s') cannot be read as a source", tb->name,
                            name ? name : "");
    wr_operator_spec spec;
    int rc = conn->make_source(tb->schema, &tb->options, job, NULL, &spec, err);
    if (rc) return rc;
    *bounded = spec.bounded;
    if (spec.changes) *changes = spec.changes;
    wr_operator_spec_fini(&spec);
    return 0;
}

/* The input column a Calc's projection i passes on, or -1 when it computes something. */
static int calc_column(const wr_plan *calc, int i)
{
    const wr_expr *e = calc->projs[i];
    return e && e->kind == WR_EXPR_COLUMN ? e->col : -1;
}

static void count_column_reads(const wr_expr *e, int *reads)
{
    if (e->kind == WR_EXPR_COLUMN) reads[e->col]++;
    for (int i = 0; i < e->nargs; i++) count_column_reads(e->args[i], reads);
}

/*
 * The window aggregation pattern: an aggregation over a window TVF whose groups include the
 * window's window_start and window_end, reached through the Calc the binder puts below every
 * aggregation when that Calc reads no window column other than as a group key. Returns the
 * window node (and the Calc, or NULL) when plan has the pattern.
 */
wr_plan *wr_planner_window_agg_input(const wr_plan *plan, wr_plan **calc)
{
    wr_plan *in = plan->input, *c = NULL;
    if (in->kind == WR_PLAN_CALC && in->filter == NULL) {
        c = in;
        in = in->input;
    }
    if (in->kind != WR_PLAN_WINDOW) return NULL;
    int first = in->schema->ncols - 3; /* window_start, window_end, window_time */
    bool start = false, end = false;
    for (int g = 0; g < plan->ngroups; g++) {
        int col = plan->groups[g];
        if (c) {
            const wr_expr *e = c->projs[col];
            col = e->kind == WR_EXPR_COLUMN ? e->col : -1;
        }
        start |= col == first;
        end |= col == first + 1;
    }
    if (!start || !end) return NULL;
    /* Other uses of the window columns (as arguments) need the rows per window. */
    if (c) {
        int *reads = wr_calloc((size_t)in->schema->ncols + 1, sizeof(int));
        for (int i = 0; i < c->nprojs; i++) count_column_reads(c->projs[i], reads);
        int group_reads = 0;
        for (int i = 0; i < c->nprojs; i++)
            if (c->projs[i]->kind == WR_EXPR_COLUMN && c->projs[i]->col >= first) group_reads++;
        int all = reads[first] + reads[first + 1] + reads[first + 2];
        wr_free(reads);
        if (all != group_reads) return NULL;
        for (int i = 0; i < c->nprojs; i++) {
            const wr_expr *e = c->projs[i];
            if (e->kind != WR_EXPR_COLUMN || e->col < first) continue;
            bool grouped = false;
            for (int g = 0; g < plan->ngroups; g++) grouped |= plan->groups[g] == i;
            if (!grouped) return NULL;
            for (int a = 0; a < plan->naggs; a++) {
                const wr_agg_call *call = &plan->aggs[a];
                for (int k = 0; k < call->nargs; k++)
                    if (call->args[k] == i) return NULL;
                if (call->filter == i) return NULL;
            }
        }
    } else {
        for (int a = 0; a < plan->naggs; a++) {
            const wr_agg_call *call = &plan->aggs[a];
            for (int k = 0; k < call->nargs; k++)
                if (call->args[k] >= first) return NULL;
            if (call->filter >= first) return NULL;
        }
    }
    *calc = c;
    return in;
}

static bool insert_only(const wr_plan *p)
{
    return p->changes == WR_CHANGES_INSERT;
}

/* ---- interval and window joins ---------------------------------------------------- */

/* A time attribute plus or minus a constant interval: its column and offset in ms. */
static bool time_term(const wr_expr *e, int *col, int64_t *off)
{
    if (e->kind == WR_EXPR_COLUMN && e->type.attr != WR_ATTR_NONE) {
        *col = e->col;
        *off = 0;
        return true;
    }
    if (e->kind != WR_EXPR_CALL || (e->fn != WR_FN_ADD && e->fn != WR_FN_SUB) || e->nargs != 2)
        return false;
    const wr_expr *c = e->args[0], *k = e->args[1];
    if (c->kind != WR_EXPR_COLUMN || c->type.attr == WR_ATTR_NONE || k->kind != WR_EXPR_CONST ||
        k->type.id != WR_TYPE_INTERVAL_DT || wr_vector_is_null(&k->cvec, 0))
        return false;
    int64_t ms = ((const int64_t *)k->cvec.data)[0];
    *col = c->col;
    *off = e->fn == WR_FN_ADD ? ms : -ms;
    return true;
}

/*
 * Whether conjunct e bounds a left time attribute against a right one of the same kind
 * (columns of the joined row, the right ones from nl): sets *l, *r and narrows the bounds on
 * left - right in ms.
 */
static bool interval_bound(const wr_expr *e, const wr_schema *row, int nl, int *l, int *r,
                           int64_t *lo, int64_t *hi)
{
    if (e->kind != WR_EXPR_CALL || e->nargs != 2 || e->fn < WR_FN_LT || e->fn > WR_FN_GE)
        return false;
    int a, b;
    int64_t oa, ob;
    if (!time_term(e->args[0], &a, &oa) || !time_term(e->args[1], &b, &ob)) return false;
    wr_func fn = e->fn;
    if (a >= nl && b < nl) { /* right OP left: mirror */
        static const wr_func mirror[] = {[WR_FN_LT] = WR_FN_GT,
                                         [WR_FN_LE] = WR_FN_GE,
                                         [WR_FN_GT] = WR_FN_LT,
                                         [WR_FN_GE] = WR_FN_LE};
        int t = a;
        a = b;
        b = t;
        int64_t to = oa;
        oa = ob;
        ob = to;
        fn = mirror[fn];
    }
    if (a >= nl || b < nl || row->types[a].attr != row->types[b].attr) return false;
    if (*l >= 0 && (*l != a || *r != b)) return false; /* one pair of attributes */
    /* a + oa OP b + ob  is  a - b OP ob - oa */
    int64_t c = ob - oa;
    switch (fn) {
    case WR_FN_LT:
        *hi = WR_MIN(*hi, c - 1);
        break;
    case WR_FN_LE:
        *hi = WR_MIN(*hi, c);
        break;
    case WR_FN_GT:
        *lo = WR_MAX(*lo, c + 1);
        break;
    default:
        *lo = WR_MAX(*lo, c);
        break;
    }
    *l = a;
    *r = b;
    return true;
}

/*
 * The interval join pattern: a join of inserts whose condition bounds a left time attribute
 * from both sides by a right one (l.t BETWEEN r.t - INTERVAL '1' HOUR AND r.t). Moves those
 * conjuncts out of the residual into the node's interval fields.
 */
static bool take_interval(wr_plan *j)
{
    if (j->join_type == WR_JOIN_TYPE_SEMI || j->join_type == WR_JOIN_TYPE_ANTI || !j->filter)
        return false;
    int nl = j->input->schema->ncols;
    wr_schema *row = wr_schema_new();
    for (int i = 0; i < nl; i++) wr_schema_add(row, "", j->input->schema->types[i]);
    for (int i = 0; i < j->right->schema->ncols; i++)
        wr_schema_add(row, "", j->right->schema->types[i]);
    wr_exprs cs = {0}, rest = {0};
    wr_rules_take_conjuncts(j->filter, &cs);
    j->filter = NULL;
    int l = -1, r = -1;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    bool *used = wr_calloc((size_t)cs.n + 1, sizeof(bool));
    for (int i = 0; i < cs.n; i++) used[i] = interval_bound(cs.v[i], row, nl, &l, &r, &lo, &hi);
    bool found = lo != INT64_MIN && hi != INT64_MAX;
    for (int i = 0; i < cs.n; i++) {
        if (found && used[i])
            wr_expr_free(cs.v[i]);
        else
            WR_VEC_PUSH(&rest, cs.v[i]);
    }
    WR_VEC_FREE(&cs);
    wr_free(used);
    wr_schema_free(row);
    j->filter = wr_rules_and_all(&rest);
    if (!found) return false;
    j->interval_join = true;
    j->time_col = l;
    j->right_time_col = r - nl;
    j->lower_ms = lo;
    j->upper_ms = hi;
    return true;
}

/* ---- Top-N and deduplication ------------------------------------------------------ */

/* The value of an integer constant, when e is one. */
static bool int_const(const wr_expr *e, int64_t *v)
{
    if (e->kind != WR_EXPR_CONST || wr_vector_is_null(&e->cvec, 0)) return false;
    switch (e->type.id) {
    case WR_TYPE_TINYINT:
        *v = ((const int8_t *)e->cvec.data)[0];
        return true;
    case WR_TYPE_SMALLINT:
        *v = ((const int16_t *)e->cvec.data)[0];
        return true;
    case WR_TYPE_INT:
        *v = ((const int32_t *)e->cvec.data)[0];
        return true;
    case WR_TYPE_BIGINT:
        *v = ((const int64_t *)e->cvec.data)[0];
        return true;
    default:
        return false;
    }
}

/*
 * Whether conjunct e bounds column col by a constant (col <= N, col < N, col = N, col >= M,
 * col > M, either way round); narrows [*lo, *hi] when it does.
 */
static bool rank_bound(const wr_expr *e, int col, int64_t *lo, int64_t *hi)
{
    if (e->kind != WR_EXPR_CALL || e->nargs != 2) return false;
    wr_func fn = e->fn;
    const wr_expr *a = e->args[0], *b = e->args[1];
    int64_t v;
    if (b->kind == WR_EXPR_COLUMN && b->col == col && int_const(a, &v)) {
        /* N >= col is col <= N */
        static const wr_func mirror[] = {[WR_FN_LT] = WR_FN_GT,
                                         [WR_FN_LE] = WR_FN_GE,
                                         [WR_FN_GT] = WR_FN_LT,
                                         [WR_FN_GE] = WR_FN_LE,
                                         [WR_FN_EQ] = WR_FN_EQ};
        if (fn < WR_FN_EQ || fn > WR_FN_GE || fn == WR_FN_NE) return false;
        fn = mirror[fn];
    } else if (!(a->kind == WR_EXPR_COLUMN && a->col == col && int_const(b, &v))) {
        return false;
    }
    switch (fn) {
    case WR_FN_LE:
        *hi = WR_MIN(*hi, v);
        return true;
    case WR_FN_LT:
        *hi = WR_MIN(*hi, v - 1);
        return true;
    case WR_FN_GE:
        *lo = WR_MAX(*lo, v);
        return true;
    case WR_FN_GT:
        *lo = WR_MAX(*lo, v + 1);
        return true;
    case WR_FN_EQ:
        *lo = WR_MAX(*lo, v);
        *hi = WR_MIN(*hi, v);
        return true;
    default:
        return false;
    }
}

/* The bounds the conjuncts of filter put on column col. */
static void bounds_of(const wr_expr *filter, int col, int64_t *lo, int64_t *hi)
{
    if (filter->kind == WR_EXPR_AND) {
        for (int i = 0; i < filter->nargs; i++) bounds_of(filter->args[i], col, lo, hi);
        return;
    }
    rank_bound(filter, col, lo, hi);
}

static bool reads_column(const wr_expr *e, int col)
{
    if (e->kind == WR_EXPR_COLUMN) return e->col == col;
    for (int i = 0; i < e->nargs; i++)
        if (reads_column(e->args[i], col)) return true;
    return false;
}

/*
 * Which window column (0 window_start, 1 window_end, 2 window_time) column col of p is, traced
 * through column references down to a window TVF (also through a window aggregation's
 * groups), or -1.
 */
static int window_column(const wr_plan *p, int col)
{
    switch (p->kind) {
    case WR_PLAN_CALC: {
        const wr_expr *e = p->projs[col];
        return e->kind == WR_EXPR_COLUMN ? window_column(p->input, e->col) : -1;
    }
    case WR_PLAN_WATERMARK:
        return window_column(p->input, col);
    case WR_PLAN_WINDOW: {
        int first = p->schema->ncols - 3;
        return col >= first ? col - first : -1;
    }
    case WR_PLAN_AGG:
        return p->window_agg && col < p->ngroups ? window_column(p->input, p->groups[col]) : -1;
    default:
        return -1;
    }
}

/*
 * The Top-N pattern (Flink's Rank): calc, streaming, filters the one ranking function of the
 * OVER node below it by constant bounds on its rank. Moves the bounds into the OVER node (its
 * rank fields) and leaves the rest of the filter in the Calc. Nothing changes when the pattern
 * does not hold.
 */
static void take_rank(wr_plan *calc)
{
    wr_plan *over = calc->input;
    if (over->refs != 1 || over->nover != 1 || over->nsort_keys == 0 ||
        over->over[0].kind == WR_OVER_AGG || calc->filter == NULL)
        return;
    int rn = over->schema->ncols - 1;
    int64_t lo = 1, hi = INT64_MAX;
    bounds_of(calc->filter, rn, &lo, &hi);
    if (hi == INT64_MAX) return; /* no upper bound: not a Top-N */
    lo = 1;
    hi = INT64_MAX;
    wr_exprs cs = {0}, rest = {0};
    wr_rules_take_conjuncts(calc->filter, &cs);
    calc->filter = NULL;
    for (int i = 0; i < cs.n; i++) {
        if (rank_bound(cs.v[i], rn, &lo, &hi))
            wr_expr_free(cs.v[i]);
        else
            WR_VEC_PUSH(&rest, cs.v[i]);
    }
    WR_VEC_FREE(&cs);
    calc->filter = wr_rules_and_all(&rest);
    over->rank = true;
    over->offset = lo;
    over->limit = hi;
    bool read = calc->filter && reads_column(calc->filter, rn);
    for (int i = 0; i < calc->nprojs; i++) read |= reads_column(calc->projs[i], rn);
    over->rank_column = read;
    over->rank_window_end = -1;
    int start = -1, end = -1;
    for (int g = 0; g < over->ngroups; g++) {
        int w = window_column(over->input, over->groups[g]);
        if (w == 0) start = g;
        if (w == 1) end = g;
    }
    if (start >= 0 && end >= 0) over->rank_window_end = over->groups[end];
}

/* Whether an OVER node with rank set deduplicates without updates: keep the first row by
 * processing time, over inserts. */
static bool keeps_first_by_proctime(const wr_plan *over)
{
    const wr_sort_key *k = &over->sort_keys[0];
    return over->over[0].kind == WR_OVER_ROW_NUMBER && over->offset == 1 && over->limit == 1 &&
           over->nsort_keys == 1 && !k->desc &&
           over->input->schema->types[k->col].attr == WR_ATTR_PROCTIME &&
           over->input->changes == WR_CHANGES_INSERT && !over->rank_column;
}

/*
 * The window join pattern: a join whose keys equate the window_start and the window_end of
 * window TVFs on both sides. Moves those two keys into the node's window columns.
 */
static bool take_window_join(wr_plan *j)
{
    int ks = -1, ke = -1;
    for (int k = 0; k < j->nkeys; k++) {
        int a = window_column(j->input, j->left_keys[k]);
        int b = window_column(j->right, j->right_keys[k]);
        if (a == 0 && b == 0) ks = k;
        if (a == 1 && b == 1) ke = k;
    }
    if (ks < 0 || ke < 0) return false;
    j->window_join = true;
    j->window_cols[0] = j->left_keys[ks];
    j->window_cols[1] = j->left_keys[ke];
    j->window_cols[2] = j->right_keys[ks];
    j->window_cols[3] = j->right_keys[ke];
    int n = 0;
    for (int k = 0; k < j->nkeys; k++) {
        if (k == ks || k == ke) continue;
        j->left_keys[n] = j->left_keys[k];
        j->right_keys[n] = j->right_keys[k];
        if (j->null_safe) j->null_safe[n] = j->null_safe[k];
        n++;
    }
    j->nkeys = n;
    return true;
}

static int annotate(wr_plan *plan, const wr_config *job, int mode, wr_error *err)
{
    if (plan->changes) return 0; /* a shared node, done already */
    wr_plan *kids[2] = {plan->input, plan->right};
    bool bounded = true;
    uint8_t in_changes = 0;
    /* A lookup join's right side is a table it looks up, not an input. */
    if (plan->kind == WR_PLAN_JOIN && plan->temporal == WR_TEMPORAL_PROC) kids[1] = NULL;
    for (int k = 0; k < 2 + plan->ninputs; k++) {
        wr_plan *c = k < 2 ? kids[k] : plan->inputs[k - 2];
        if (c == NULL) continue;
        int rc = annotate(c, job, mode, err);
        if (rc) return rc;
        bounded = bounded && c->bounded;
        in_changes |= c->changes;
    }
    uint8_t scan_changes = WR_CHANGES_INSERT;
    if (plan->kind == WR_PLAN_SCAN) {
        int rc = scan_bounded(plan, job, &bounded, &scan_changes, err);
        if (rc) return rc;
    }
    plan->bounded = bounded;
    plan->streaming = mode == MODE_STREAMING || (mode == MODE_AUTOMATIC && !bounded);
    switch (plan->kind) {
    case WR_PLAN_SCAN:
        plan->changes = scan_changes;
        if (wr_changes_upsert(scan_changes)) {
            /* An upsert source is followed by a ChangelogNormalize (planner.c), which needs
             * streaming; what comes out of it is a full changelog. */
            if (!plan->streaming)
                return wr_error_set(err, WR_ERR_VALIDATION,
                                    "table '%s' is an upsert source (its changes are upserts by "
                                    "key), which only streaming mode reads; set "
                                    "'execution.runtime-mode' to 'streaming'",
                                    plan->table->name);
            plan->changes = WR_CHANGES_ALL;
        }
        break;
    case WR_PLAN_VALUES:
        plan->changes = WR_CHANGES_INSERT;
        break;
    case WR_PLAN_WINDOW:
        if (in_changes != WR_CHANGES_INSERT)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "a window TVF needs an input of inserts only, but its input "
                                "produces updates or deletes (a GROUP BY or a join)");
        plan->changes = WR_CHANGES_INSERT;
        break;
    case WR_PLAN_AGG: {
        wr_plan *calc;
        /* SESSION windows exist only under their aggregation, in batch mode too. */
        wr_plan *win = wr_planner_window_agg_input(plan, &calc);
        plan->window_agg = win && (plan->streaming || win->window == WR_PLAN_SESSION);
        if (!plan->streaming || plan->window_agg)
            plan->changes = WR_CHANGES_INSERT;
        else
            plan->changes = WR_CHANGES_INSERT | WR_CHANGES_UPDATE_BEFORE | WR_CHANGES_UPDATE_AFTER |
                            (in_changes != WR_CHANGES_INSERT ? WR_CHANGES_DELETE : 0);
        break;
    }
    case WR_PLAN_JOIN: {
        /* The streaming join (ops/stream_join.h): inner joins pass their inputs' kinds on;
         * outer joins emit +I and -D (a NULL-padded row retracted and restored); semi and anti
         * joins pass the left row's kind on, and -D when a match comes or (semi) goes. */
        if (plan->temporal == WR_TEMPORAL_PROC) {
            /* Each row is joined once, with its own kind. */
            plan->changes = plan->input->changes;
            break;
        }
        if (plan->temporal == WR_TEMPORAL_EVENT) {
            if (!insert_only(plan->input))
                return wr_error_set(err, WR_ERR_VALIDATION,
                                    "an event-time temporal join needs a left input of inserts "
                                    "only, but it produces updates or deletes");
            plan->changes = WR_CHANGES_INSERT;
            break;
        }
        if (plan->streaming && insert_only(plan->input) && insert_only(plan->right) &&
            (plan->window_join || plan->interval_join || take_window_join(plan) ||
             take_interval(plan))) {
            /* Rows meet once, and unmatched outer rows are emitted once they can no longer
             * match: inserts only. */
            plan->changes = WR_CHANGES_INSERT;
            break;
        }
        uint8_t left = plan->input->changes, right = plan->right->changes;
        bool right_retracts = right & (WR_CHANGES_UPDATE_BEFORE | WR_CHANGES_DELETE);
        if (!plan->streaming)
            plan->changes = WR_CHANGES_INSERT;
        else if (plan->join_type == WR_JOIN_TYPE_INNER)
            plan->changes = in_changes;
        else if (plan->join_type == WR_JOIN_TYPE_SEMI)
            plan->changes = left | (right_retracts ? WR_CHANGES_DELETE : 0);
        else if (plan->join_type == WR_JOIN_TYPE_ANTI)
            plan->changes = left | WR_CHANGES_DELETE;
        else
            plan->changes = WR_CHANGES_INSERT | WR_CHANGES_DELETE;
        break;
    }
    case WR_PLAN_SORT:
        plan->changes = WR_CHANGES_INSERT;
        break;
    case WR_PLAN_OVER:
        /* Over updates, every row's values may change again (the Calc above may still make
         * it a Top-N, which sets its own mode). */
        plan->changes =
            plan->streaming && in_changes != WR_CHANGES_INSERT ? WR_CHANGES_ALL : WR_CHANGES_INSERT;
        break;
    case WR_PLAN_CALC:
        if (plan->streaming && plan->input->kind == WR_PLAN_OVER && plan->input->streaming &&
            !plan->input->rank) {
            wr_plan *over = plan->input;
            take_rank(plan);
            /* A window Top-N emits each window's rows once; keeping the first row by
             * processing time never changes its mind; other Top-Ns update. */
            if (over->rank && over->rank_window_end < 0 && !keeps_first_by_proctime(over))
                over->changes = WR_CHANGES_ALL;
        }
        plan->changes = plan->input->changes;
        break;
    default:
        /* Row by row: Calc, Expand, Replicate, Unnest, Union, WatermarkAssigner. */
        plan->changes = in_changes ? in_changes : WR_CHANGES_INSERT;
        break;
    }
    if (!plan->streaming && in_changes != WR_CHANGES_INSERT && in_changes &&
        (plan->kind == WR_PLAN_AGG || (plan->kind == WR_PLAN_JOIN && !plan->temporal) ||
         plan->kind == WR_PLAN_SORT || plan->kind == WR_PLAN_OVER))
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "batch execution needs inputs of inserts only; run the query with "
                            "'execution.runtime-mode' = 'streaming'");
    return 0;
}

int wr_plan_annotate(wr_plan *plan, const wr_config *job, wr_error *err)
{
    int mode;
    int rc =
        wr_config_get_enum(job, "execution.runtime-mode", run_modes, MODE_AUTOMATIC, &mode, err);
    return rc ? rc : annotate(plan, job, mode, err);
}

/* The operator name EXPLAIN gives a node that produces updates or deletes. */
static const char *producer_name(const wr_plan *p)
{
    switch (p->kind) {
    case WR_PLAN_AGG:
        return "GroupAggregate (a GROUP BY or an aggregate function)";
    case WR_PLAN_JOIN:
        return "Join (a regular join over updates, or an outer join)";
    case WR_PLAN_OVER:
        return "Rank (a Top-N or a deduplication keeping the last row)";
    default:
        return "a changelog source";
    }
}

/* The topmost node whose inputs emit inserts only while it does not. */
static const wr_plan *update_producer(const wr_plan *p)
{
    const wr_plan *kids[2] = {p->input, p->right};
    for (int k = 0; k < 2 + p->ninputs; k++) {
        const wr_plan *c = k < 2 ? kids[k] : p->inputs[k - 2];
        if (c && !insert_only(c)) return update_producer(c);
    }
    return p;
}

const wr_plan *wr_plan_update_producer(const wr_plan *plan, const char **what)
{
    if (insert_only(plan)) return NULL;
    const wr_plan *p = update_producer(plan);
    if (what) *what = producer_name(p);
    return p;
}

int wr_plan_check_sink(const wr_plan *plan, const wr_table *sink, wr_error *err)
{
    if (insert_only(plan) || sink->mem) return 0;
    const char *name = wr_config_get(&sink->options, "connector", "");
    const wr_connector *conn = wr_connector_find(name);
    wr_sink_changes accepts = conn == NULL         ? WR_SINK_INSERT_ONLY
                              : conn->sink_accepts ? conn->sink_accepts(&sink->options)
                                                   : conn->sink_changes;
    if (accepts == WR_SINK_ANY || (accepts == WR_SINK_UPSERT && sink->nprimary_key)) return 0;
    return wr_error_set(err, WR_ERR_VALIDATION,
                        "table sink '%s' (connector '%s') takes inserts only, but the query "
                        "produces updates and deletes in %s; %s",
                        sink->name, name, producer_name(update_producer(plan)),
                        accepts == WR_SINK_UPSERT
                            ? "declare a PRIMARY KEY on the sink table so it can upsert"
                            : "write to a sink that takes updates (upsert-kafka, jdbc with a "
                              "PRIMARY KEY, kafka or filesystem with 'format' = "
                              "'debezium-json', print) or make the query insert-only (a "
                              "window aggregation instead of a GROUP BY)");
}

/* ---- streaming operators ---------------------------------------------------------- */

wr_window_def wr_planner_window_def(const wr_plan *win, int time_col)
{
    static const wr_window_kind kinds[] = {WR_WINDOW_TUMBLE, WR_WINDOW_HOP, WR_WINDOW_CUMULATE,
                                           WR_WINDOW_SESSION};
    wr_window_def w;
    memset(&w, 0, sizeof(w));
    w.kind = kinds[win->window];
    /* A processing-time attribute: the wall clock when the row arrives. */
    w.time_col = win->input->schema->types[win->time_col].attr == WR_ATTR_PROCTIME ? -1 : time_col;
    w.size_ms = win->win_size;
    w.slide_ms = win->win_slide;
    w.gap_ms = win->win_gap;
    w.offset_ms = win->win_offset;
    return w;
}

/* 'table.exec.state.ttl': how long state of an idle key is kept (0: for ever). */
static int state_ttl(wr_planner *t, int64_t *ms)
{
    return wr_config_get_duration_ms(t->job, "table.exec.state.ttl", 0, ms, t->err);
}

/*
 * A window aggregation in streaming mode (Flink's WindowAggregate): the rows go to the
 * window aggregation operator as they were before the window TVF, with the Calc below the
 * aggregation computed over them and the time column appended; the operator assigns the
 * windows itself (so a HOP row is not copied per window) and emits one row per group and
 * window when the watermark passes the window's end. A Calc on top puts its output (groups,
 * results, window_start, window_end, window_time) in the aggregation's column order.
 */
int wr_planner_window_agg(wr_planner *t, wr_plan *plan, wr_plan *win, wr_plan *calc, int *par,
                          bool *bounded)
{
    /* SESSION ... PARTITION BY k: sessions are per key, so k must be grouped on. */
    for (int i = 0; i < win->ngroups; i++) {
        bool grouped = false;
        for (int g = 0; g < plan->ngroups; g++) {
            int col = plan->groups[g];
            if (calc) col = calc_column(calc, col);
            grouped |= col == win->groups[i];
        }
        if (!grouped) {
            return wr_error_set(t->err, WR_ERR_VALIDATION,
                                "the SESSION window's PARTITION BY column '%s' must be in the "
                                "GROUP BY of its aggregation",
                                win->input->schema->names[win->groups[i]]);
        }
    }
    int in_par;
    int in = wr_planner_translate(t, win->input, &in_par, bounded);
    if (in < 0) return in;
    const wr_schema *ws = win->schema;
    int first = ws->ncols - 3; /* window_start */
    int nagg_in = calc ? calc->nprojs : ws->ncols;
    /* map[i]: where column i the aggregation reads is in the operator's input; -1 - k for the
     * window's column first + k. */
    int *map = wr_malloc(sizeof(int) * (size_t)(nagg_in + 1));
    wr_expr **projs = wr_malloc(sizeof(wr_expr *) * (size_t)(nagg_in + 2));
    int np = 0;
    for (int i = 0; i < nagg_in; i++) {
        const wr_expr *e = calc ? calc->projs[i] : NULL;
        int col = calc ? (e->kind == WR_EXPR_COLUMN ? e->col : -1) : i;
        if (col >= first) {
            map[i] = -1 - (col - first);
            continue;
        }
        map[i] = np;
        if (calc) {
            projs[np++] = calc->projs[i];
            calc->projs[i] = NULL;
        } else {
            projs[np++] = wr_expr_column(i, ws->types[i], -1);
        }
    }
    int time_col = np;
    projs[np++] = wr_expr_column(win->time_col, win->input->schema->types[win->time_col], -1);
    wr_type *types = wr_malloc(sizeof(wr_type) * (size_t)np);
    for (int i = 0; i < np; i++) types[i] = projs[i]->type;
    wr_operator_spec cspec = wr_calc_spec(NULL, projs, np);
    cspec.parallelism = in_par;
    int cv = wr_jobgraph_add(t->graph, "Calc", &cspec, types, np);
    wr_jobgraph_connect(t->graph, in, cv, WR_PART_FORWARD, NULL, 0);

    int *groups = wr_malloc(sizeof(int) * (size_t)(plan->ngroups + 1));
    int ng = 0;
    for (int g = 0; g < plan->ngroups; g++)
        if (map[plan->groups[g]] >= 0) groups[ng++] = map[plan->groups[g]];
    wr_agg_call *aggs = wr_malloc(sizeof(wr_agg_call) * (size_t)(plan->naggs + 1));
    for (int a = 0; a < plan->naggs; a++) {
        aggs[a] = plan->aggs[a];
        for (int k = 0; k < aggs[a].nargs; k++) aggs[a].args[k] = map[aggs[a].args[k]];
        if (aggs[a].filter >= 0) aggs[a].filter = map[aggs[a].filter];
    }
    wr_window_def w = wr_planner_window_def(win, time_col);
    wr_operator_spec spec = wr_window_agg_spec(types, np, &w, groups, ng, aggs, plan->naggs);
    *par = ng ? wr_planner_default_parallelism(t->job) : 1;
    spec.parallelism = *par;
    int nout = ng + plan->naggs + 3;
    wr_type *out = wr_malloc(sizeof(wr_type) * (size_t)nout);
    for (int g = 0; g < ng; g++) out[g] = types[groups[g]];
    for (int a = 0; a < plan->naggs; a++) out[ng + a] = plan->aggs[a].type;
    for (int k = 0; k < 3; k++) out[ng + plan->naggs + k] = ws->types[first + k];
    wr_buf name;
    wr_planner_vertex_name(&name, "WindowAggregate", plan);
    int av = wr_jobgraph_add(t->graph, name.data, &spec, out, nout);
    wr_buf_fini(&name);
    wr_planner_connect_keyed(t->graph, cv, in_par, av, *par, 0, groups, ng);

    /* Back to the aggregation's columns: its groups in order, then its calls. */
    int n = plan->schema->ncols;
    wr_expr **back = wr_malloc(sizeof(wr_expr *) * (size_t)(n + 1));
    for (int g = 0, k = 0; g < plan->ngroups; g++) {
        int m = map[plan->groups[g]];
        int col = m >= 0 ? k++ : ng + plan->naggs + (-1 - m);
        back[g] = wr_expr_column(col, out[col], -1);
    }
    for (int a = 0; a < plan->naggs; a++)
        back[plan->ngroups + a] = wr_expr_column(ng + a, out[ng + a], -1);
    wr_operator_spec bspec = wr_calc_spec(NULL, back, n);
    bspec.parallelism = *par;
    int v = wr_planner_add_vertex(t, "Calc", &bspec, plan);
    wr_jobgraph_connect(t->graph, av, v, WR_PART_FORWARD, NULL, 0);
    wr_free(map);
    wr_free(types);
    wr_free(groups);
    wr_free(aggs);
    wr_free(out);
    return v;
}

/*
 * input -> LocalGroupAggregate (the input's parallelism, chained) -> hash by the group
 * columns -> GlobalGroupAggregate (par), which emits what the one-phase operator would.
 */
static int local_global_agg(wr_planner *t, wr_plan *plan, int in, int in_par, int par,
                            const wr_group_agg_opts *opts)
{
    const wr_schema *is = plan->input->schema;
    int ngroups = plan->ngroups;
    wr_type *types =
        wr_malloc(sizeof(wr_type) * (size_t)(ngroups + WR_AGG_PARTIAL_MAX * plan->naggs + 1));
    int *keys = wr_malloc(sizeof(int) * (size_t)(ngroups + 1));
    for (int k = 0; k < ngroups; k++) keys[k] = k;
    /* groups, the partial columns, the row count delta */
    int nlocal = wr_group_agg_local_types(is->types, is->ncols, plan->groups, ngroups, plan->aggs,
                                          plan->naggs, opts->input_insert_only, types);
    assert(nlocal > 0); /* two_phase_ok said yes */
    wr_operator_spec local = wr_group_agg_local_spec(is->types, is->ncols, plan->groups, ngroups,
                                                     plan->aggs, plan->naggs, opts);
    wr_operator_spec global = wr_group_agg_global_spec(is->types, is->ncols, plan->groups, ngroups,
                                                       plan->aggs, plan->naggs, opts);
    int v = -1;
    if (local.ops && global.ops) {
        local.parallelism = in_par;
        wr_buf name;
        wr_planner_vertex_name(&name, "LocalGroupAggregate", plan);
        int lv = wr_jobgraph_add(t->graph, name.data, &local, types, nlocal);
        wr_buf_fini(&name);
        wr_jobgraph_connect(t->graph, in, lv, WR_PART_FORWARD, NULL, 0);
        global.parallelism = par;
        wr_planner_vertex_name(&name, "GlobalGroupAggregate", plan);
        v = wr_planner_add_vertex(t, name.data, &global, plan);
        wr_buf_fini(&name);
        wr_planner_connect_keyed(t->graph, lv, in_par, v, par, 0, keys, ngroups);
    } else {
        if (local.ops) wr_operator_spec_fini(&local);
        if (global.ops) wr_operator_spec_fini(&global);
        v = t->err->code ? t->err->code : WR_ERR_VALIDATION;
    }
    wr_free(types);
    wr_free(keys);
    return v;
}

/*
 * A GROUP BY in streaming mode (Flink's GroupAggregate): rows hashed by the group columns to
 * an operator that keeps each group's accumulators and emits its result's changes.
 */
int wr_planner_stream_agg(wr_planner *t, wr_plan *plan, int in, int in_par, int *par)
{
    wr_group_agg_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.emit_update_before = true;
    opts.input_insert_only = insert_only(plan->input);
    int rc = state_ttl(t, &opts.state_ttl_ms);
    if (!rc)
        rc = wr_config_get_bool(t->job, "table.exec.mini-batch.enabled", false, &opts.mini_batch,
                                t->err);
    if (!rc)
        rc = wr_config_get_duration_ms(t->job, "table.exec.mini-batch.allow-latency", 0,
                                       &opts.mini_batch_latency_ms, t->err);
    if (!rc)
        rc = wr_config_get_int64(t->job, "table.exec.mini-batch.size", -1, &opts.mini_batch_size,
                                 t->err);
    if (rc) return rc;
    if (opts.mini_batch && (opts.mini_batch_latency_ms <= 0 || opts.mini_batch_size <= 0))
        return wr_error_set(t->err, WR_ERR_VALIDATION,
                            "'table.exec.mini-batch.enabled' needs "
                            "'table.exec.mini-batch.allow-latency' and "
                            "'table.exec.mini-batch.size' set to positive values");
    const wr_schema *is = plan->input->schema;
    /* Local-global (Flink's agg-phase-strategy with mini-batch): a local phase chained to the
     * input folds each mini-batch per group, so a hot key sends one row per batch and
     * subtask across the exchange instead of every change. */
    static const char *const strategies[] = {"AUTO", "ONE_PHASE", "TWO_PHASE", NULL};
    int strategy;
    rc = wr_config_get_enum(t->job, "table.optimizer.agg-phase-strategy", strategies, 0, &strategy,
                            t->err);
    if (rc) return rc;
    *par = plan->ngroups ? wr_planner_default_parallelism(t->job) : 1;
    if (opts.mini_batch && strategy != 1 && (strategy == 2 || in_par > 1 || *par > 1) &&
        wr_group_agg_two_phase_ok(is->types, is->ncols, plan->aggs, plan->naggs,
                                  opts.input_insert_only))
        return local_global_agg(t, plan, in, in_par, *par, &opts);
    wr_operator_spec spec = wr_group_agg_spec(is->types, is->ncols, plan->groups, plan->ngroups,
                                              plan->aggs, plan->naggs, &opts);
    if (spec.ops == NULL) return t->err->code ? t->err->code : WR_ERR_VALIDATION;
    spec.parallelism = *par;
    wr_buf name;
    wr_planner_vertex_name(&name, "GroupAggregate", plan);
    int v = wr_planner_add_vertex(t, name.data, &spec, plan);
    wr_buf_fini(&name);
    wr_planner_connect_keyed(t->graph, in, in_par, v, *par, 0, plan->groups, plan->ngroups);
    return v;
}

/*
 * A join in streaming mode (Flink's Join): both sides hashed by their keys to an operator
 * that keeps both in state and emits the joined rows' changes.
 */
int wr_planner_stream_join(wr_planner *t, wr_plan *plan, int l, int lpar, int r, int rpar, int *par)
{
    wr_join_desc d = wr_planner_join_desc(plan);
    wr_stream_join_opts opts;
    memset(&opts, 0, sizeof(opts));
    int rc = state_ttl(t, &opts.state_ttl_ms);
    if (rc) {
        wr_expr_free(d.residual);
        return rc;
    }
    wr_operator_spec spec = wr_stream_join_spec(&d, &opts);
    *par = plan->nkeys > 0 ? wr_planner_default_parallelism(t->job) : 1;
    spec.parallelism = *par;
    char vname[64];
    snprintf(vname, sizeof(vname), "Join(%s)", wr_join_type_name(plan->join_type));
    int v = wr_planner_add_vertex(t, vname, &spec, plan);
    wr_planner_connect_keyed(t->graph, l, lpar, v, *par, 0, plan->left_keys, plan->nkeys);
    wr_planner_connect_keyed(t->graph, r, rpar, v, *par, 1, plan->right_keys, plan->nkeys);
    return v;
}

/*
 * A lookup join (Flink's LookupJoin): the left input flows through an operator, chained to it,
 * that looks the right table up for each row; the table's scan below the join is never run.
 */
int wr_planner_lookup_join(wr_planner *t, wr_plan *plan, int *par, bool *bounded)
{
    wr_plan *r = plan->right;
    if (r->kind == WR_PLAN_WATERMARK) r = r->input;
    const wr_table *tb = r->kind == WR_PLAN_SCAN ? r->table : NULL;
    if (tb == NULL || (r->scan_cols && r->nscan_cols != tb->schema->ncols) || r->nscan_filters)
        return wr_error_set(t->err, WR_ERR_VALIDATION,
                            "a lookup join reads a table's columns as they are stored; computed "
                            "columns of the looked-up table are not supported");
    if (plan->nkeys == 0)
        return wr_error_set(t->err, WR_ERR_VALIDATION,
                            "a lookup join needs an equality condition between a left expression "
                            "and a column of '%s' of the same type",
                            tb->name);
    wr_lookup_spec ls;
    memset(&ls, 0, sizeof(ls));
    if (tb->mem) {
        ls = wr_memtable_lookup_spec(tb->mem, plan->right_keys, plan->nkeys);
    } else {
        const char *name = wr_config_get(&tb->options, "connector", "");
        const wr_connector *conn = wr_connector_find(name);
        int rc = WR_ERR_VALIDATION;
        if (conn && conn->make_lookup) {
            rc = conn->make_lookup(tb->schema, &tb->options, t->job, plan->right_keys, plan->nkeys,
                                   &ls, t->err);
        } else if (conn && conn->make_source) {
            /* A bounded table without a lookup of its own (files): each join instance
             * reads it whole when it starts and indexes it by the keys. */
            wr_operator_spec src;
            rc = conn->make_source(tb->schema, &tb->options, t->job, NULL, &src, t->err);
            if (rc == 0 && src.bounded) {
                ls = wr_lookup_from_source(&src, tb->schema->ncols, plan->right_keys, plan->nkeys,
                                           0);
            } else if (rc == 0) {
                wr_operator_spec_fini(&src);
                rc = WR_ERR_VALIDATION;
            }
        }
        if (rc == WR_ERR_VALIDATION && t->err->code == 0)
            return wr_error_set(t->err, WR_ERR_VALIDATION,
                                "table '%s' (connector '%s') cannot be looked up: a lookup join "
                                "needs a table stored by Weir, a jdbc table or a bounded source",
                                tb->name, name);
        if (rc) return rc;
    }
    int in_par;
    int in = wr_planner_translate(t, plan->input, &in_par, bounded);
    if (in < 0) {
        if (ls.conf_free) ls.conf_free(ls.conf);
        return in;
    }
    wr_join_desc d = wr_planner_join_desc(plan);
    wr_operator_spec spec = wr_lookup_join_spec(&d, &ls);
    spec.parallelism = in_par;
    char vname[300];
    snprintf(vname, sizeof(vname), "LookupJoin(table=[%s], joinType=[%s])", tb->name,
             wr_join_type_name(plan->join_type));
    int v = wr_planner_add_vertex(t, vname, &spec, plan);
    wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
    *par = in_par;
    return v;
}

/* ---- time-based joins -------------------------------------------------------------- */

/* Both sides of a join hashed by its keys to one operator (one subtask without keys). */
static int add_keyed_join(wr_planner *t, wr_plan *plan, const char *name, wr_operator_spec *spec,
                          int l, int lpar, int r, int rpar, int *par)
{
    if (spec->ops == NULL) return t->err->code ? t->err->code : WR_ERR_VALIDATION;
    *par = plan->nkeys > 0 ? wr_planner_default_parallelism(t->job) : 1;
    spec->parallelism = *par;
    char vname[96];
    snprintf(vname, sizeof(vname), "%s(%s)", name, wr_join_type_name(plan->join_type));
    int v = wr_planner_add_vertex(t, vname, spec, plan);
    wr_planner_connect_keyed(t->graph, l, lpar, v, *par, 0, plan->left_keys, plan->nkeys);
    wr_planner_connect_keyed(t->graph, r, rpar, v, *par, 1, plan->right_keys, plan->nkeys);
    return v;
}

/*
 * The joins bound to time (all of inserts, all emitting inserts): an interval join (Flink's
 * IntervalJoin), whose state the watermark expires; a window join, which joins each window's
 * rows when the watermark passes its end; an event-time temporal join (Flink's TemporalJoin),
 * which joins each left row with the right version valid at its time once the watermark passes
 * it. The temporal join runs this way in batch mode too: the result is the same, and a regular
 * join would not know versions.
 */
int wr_planner_time_join(wr_planner *t, wr_plan *plan, int l, int lpar, int r, int rpar, int *par)
{
    wr_join_desc d = wr_planner_join_desc(plan);
    wr_operator_spec spec;
    const char *name;
    if (plan->temporal == WR_TEMPORAL_EVENT) {
        spec = wr_temporal_join_spec(&d, plan->time_col, plan->right_time_col);
        name = "TemporalJoin";
    } else if (plan->window_join) {
        const int *w = plan->window_cols;
        spec = wr_window_join_spec(&d, w[0], w[1], w[2], w[3]);
        name = "WindowJoin";
    } else {
        bool proctime = plan->input->schema->types[plan->time_col].attr == WR_ATTR_PROCTIME;
        spec = wr_interval_join_spec(&d, plan->time_col, plan->right_time_col, plan->lower_ms,
                                     plan->upper_ms, proctime);
        name = "IntervalJoin";
    }
    return add_keyed_join(t, plan, name, &spec, l, lpar, r, rpar, par);
}

/* ---- Top-N and OVER ------------------------------------------------------------------ */

/*
 * Top-N, deduplication and their window forms (Flink's Rank, Deduplicate, WindowRank): rows
 * hashed by the partition columns to the rank operator, which keeps the top rows per
 * partition and emits their changes (a window form: each window's rows once, when the
 * watermark passes its end).
 */
int wr_planner_rank(wr_planner *t, wr_plan *plan, int *par, bool *bounded)
{
    int in_par;
    int in = wr_planner_translate(t, plan->input, &in_par, bounded);
    if (in < 0) return in;
    wr_rank_opts o;
    memset(&o, 0, sizeof(o));
    static const wr_rank_fn fns[] = {[WR_OVER_ROW_NUMBER] = WR_RANK_ROW_NUMBER,
                                     [WR_OVER_RANK] = WR_RANK_RANK,
                                     [WR_OVER_DENSE_RANK] = WR_RANK_DENSE_RANK};
    o.fn = fns[plan->over[0].kind];
    o.rank_start = plan->offset;
    o.rank_end = plan->limit;
    o.output_rank = plan->rank_column;
    o.input_insert_only = insert_only(plan->input);
    o.emit_update_before = true;
    o.window_end_col = plan->rank_window_end;
    int rc = state_ttl(t, &o.state_ttl_ms);
    if (rc) return rc;
    const wr_schema *is = plan->input->schema;
    wr_operator_spec spec = wr_rank_spec(is->types, is->ncols, plan->groups, plan->ngroups,
                                         plan->sort_keys, plan->nsort_keys, &o);
    if (spec.ops == NULL) return t->err->code ? t->err->code : WR_ERR_VALIDATION;
    *par = plan->ngroups ? wr_planner_default_parallelism(t->job) : 1;
    spec.parallelism = *par;
    const char *name = plan->rank_window_end >= 0 ? "WindowRank"
                       : o.fn == WR_RANK_ROW_NUMBER && o.rank_start == 1 && o.rank_end == 1 &&
                               plan->nsort_keys == 1 &&
                               is->types[plan->sort_keys[0].col].attr != WR_ATTR_NONE
                           ? "Deduplicate"
                           : "Rank";
    /* Without the rank column the operator emits the input's columns only. */
    int nout = plan->schema->ncols - (plan->rank_column ? 0 : 1);
    int v = wr_jobgraph_add(t->graph, name, &spec, plan->schema->types, nout);
    wr_planner_connect_keyed(t->graph, in, in_par, v, *par, 0, plan->groups, plan->ngroups);
    return v;
}

/*
 * An OVER window over an updating input (which Flink cannot run): the operator keeps each
 * partition's rows in order and emits the changes of every row whose frame a change touched.
 */
static int over_changelog(wr_planner *t, wr_plan *plan, int *par, bool *bounded)
{
    int in_par;
    int in = wr_planner_translate(t, plan->input, &in_par, bounded);
    if (in < 0) return in;
    int64_t ttl;
    int rc = state_ttl(t, &ttl);
    if (rc) return rc;
    const wr_schema *is = plan->input->schema;
    wr_operator_spec spec =
        wr_over_changelog_spec(is->types, is->ncols, plan->groups, plan->ngroups, plan->sort_keys,
                               plan->nsort_keys, plan->over, plan->nover, ttl);
    if (spec.ops == NULL) return t->err->code ? t->err->code : WR_ERR_VALIDATION;
    *par = plan->ngroups ? wr_planner_default_parallelism(t->job) : 1;
    spec.parallelism = *par;
    int v = wr_planner_add_vertex(t, "OverAggregate(changelog)", &spec, plan);
    wr_planner_connect_keyed(t->graph, in, in_par, v, *par, 0, plan->groups, plan->ngroups);
    return v;
}

/*
 * An OVER window in streaming mode (Flink's OverAggregate): ORDER BY one time attribute,
 * ascending, every frame ending at the current row; rows hashed by the partition columns.
 */
int wr_planner_over_agg(wr_planner *t, wr_plan *plan, int *par, bool *bounded)
{
    const wr_schema *is = plan->input->schema;
    bool ok = plan->nsort_keys == 1 && !plan->sort_keys[0].desc &&
              is->types[plan->sort_keys[0].col].attr != WR_ATTR_NONE;
    for (int i = 0; ok && i < plan->nover; i++)
        ok = plan->over[i].kind == WR_OVER_AGG && plan->over[i].upper == 0;
    if (!insert_only(plan->input)) return over_changelog(t, plan, par, bounded);
    if (!ok)
        return wr_error_set(t->err, WR_ERR_VALIDATION,
                            "an OVER window over an unbounded or streaming input needs ORDER BY "
                            "one time attribute ascending and a frame ending at CURRENT ROW; "
                            "ROW_NUMBER, RANK and DENSE_RANK need a filter on the rank (the "
                            "Top-N pattern: WHERE rn <= N)");
    int in_par;
    int in = wr_planner_translate(t, plan->input, &in_par, bounded);
    if (in < 0) return in;
    wr_over_agg_opts o;
    memset(&o, 0, sizeof(o));
    int rc = state_ttl(t, &o.state_ttl_ms);
    if (rc) return rc;
    int time_col = plan->sort_keys[0].col;
    bool proctime = is->types[time_col].attr == WR_ATTR_PROCTIME;
    wr_operator_spec spec = wr_over_agg_spec(is->types, is->ncols, plan->groups, plan->ngroups,
                                             time_col, proctime, plan->over, plan->nover, &o);
    if (spec.ops == NULL) return t->err->code ? t->err->code : WR_ERR_VALIDATION;
    *par = plan->ngroups ? wr_planner_default_parallelism(t->job) : 1;
    spec.parallelism = *par;
    int v = wr_planner_add_vertex(t, "OverAggregate", &spec, plan);
    wr_planner_connect_keyed(t->graph, in, in_par, v, *par, 0, plan->groups, plan->ngroups);
    return v;
}
