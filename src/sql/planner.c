/*
 * planner.c — from logical plans to job graphs.
 *
 * Scans become connector sources, VALUES a values source, Calc a Calc
 * operator with its input's parallelism (so it chains), sinks connector
 * sinks. An edge is forward where parallelism matches and rebalance where it
 * does not, as Flink does. Operators that need all rows of a key together
 * get hash exchanges: aggregation by its group columns, RIGHT and FULL joins
 * by their keys on both sides. Other joins build one table shared by their
 * instances and probe it where the probe side already is. What has no key
 * runs as one subtask (a global aggregation, a sort).
 * An aggregation whose calls merge runs in two phases when parallel (a local
 * one chained to its input, then the exchange, then a global one), so that
 * only a row per group and subtask crosses the exchange.
 *
 * Aggregation, joins and sorts here are the bounded-input (batch)
 * operators: they emit when their input ends, so the planner refuses them
 * over unbounded sources (their streaming counterparts keep results updated
 * as a changelog).
 */
#include "../base/alloc.h"
#include "../connectors/connector.h"
#include "../connectors/memtable.h"
#include "../ops/calc.h"
#include "../ops/replicate.h"
#include "../ops/unnest.h"
#include "../ops/values.h"
#include "../ops/watermark.h"
#include "../ops/window_agg.h"
#include "../ops/group_agg.h"
#include "../ops/stream_join.h"
#include "plan.h"

#include <stdio.h>
#include <string.h>

typedef struct tctx {
    wr_jobgraph *graph;
    const wr_config *job;
    wr_error *err;
} tctx;

static int default_parallelism(const wr_config *job)
{
    int64_t p = 1;
    wr_error err;
    if (wr_config_get_int64(job, "parallelism.default", 1, &p, &err) || p < 1) p = 1;
    return (int)p;
}

static int resolve_parallelism(int requested, const wr_config *job)
{
    return requested > 0 ? requested : default_parallelism(job);
}

static int connect_edge(wr_jobgraph *graph, int from, int from_par, int to, int to_par)
{
    return wr_jobgraph_connect(graph, from, to,
                               from_par == to_par ? WR_PART_FORWARD : WR_PART_REBALANCE, NULL, 0);
}

/* An edge into input `input` of `to` that brings rows with equal keys together. */
static void connect_keyed(wr_jobgraph *graph, int from, int from_par, int to, int to_par, int input,
                          const int *keys, int nkeys)
{
    wr_keysel ks;
    wr_keysel_init_cols(&ks, keys, nkeys);
    wr_partition part = to_par == 1 ? (from_par == 1 ? WR_PART_FORWARD : WR_PART_REBALANCE)
                        : nkeys     ? WR_PART_HASH
                                    : WR_PART_REBALANCE;
    wr_jobgraph_connect_port(graph, from, 0, to, input, part, part == WR_PART_HASH ? &ks : NULL);
    wr_keysel_fini(&ks);
}

static int add_vertex(tctx *t, const char *name, wr_operator_spec *spec, const wr_plan *plan)
{
    return wr_jobgraph_add(t->graph, name, spec, plan->schema->types, plan->schema->ncols);
}

static void describe_columns(wr_buf *b, const wr_schema *s)
{
    for (int i = 0; i < s->ncols; i++) wr_buf_printf(b, "%s%s", i ? ", " : "", s->names[i]);
}

static int translate(tctx *t, wr_plan *plan, int *par, bool *bounded);

static int need_bounded(tctx *t, bool bounded, const char *what)
{
    if (bounded) return 0;
    return wr_error_set(t->err, WR_ERR_VALIDATION,
                        "%s over an unbounded input is not supported yet: it needs bounded "
                        "sources (for example datagen with 'number-of-rows', or files)",
                        what);
}

/* Flink's option and its values, in the order of agg_strategy. */
static const char *const agg_strategies[] = {"AUTO", "ONE_PHASE", "TWO_PHASE", NULL};
enum agg_strategy { AGG_AUTO, AGG_ONE_PHASE, AGG_TWO_PHASE };

/*
 * Whether an aggregation runs as a local and a global phase, so that only a
 * row per group and input subtask crosses the exchange: under
 * 'table.optimizer.agg-phase-strategy' AUTO (the default) when its input or
 * itself runs in parallel and every call can merge partial results; under
 * TWO_PHASE whenever they can; under ONE_PHASE never.
 */
static int agg_two_phase(tctx *t, const wr_plan *plan, int in_par, int par, bool *two)
{
    int strategy;
    int rc = wr_config_get_enum(t->job, "table.optimizer.agg-phase-strategy", agg_strategies,
                                AGG_AUTO, &strategy, t->err);
    if (rc) return rc;
    const wr_schema *is = plan->input->schema;
    *two = strategy != AGG_ONE_PHASE && (strategy == AGG_TWO_PHASE || in_par > 1 || par > 1) &&
           wr_agg_mergeable(is->types, is->ncols, plan->aggs, plan->naggs);
    return 0;
}

/* "<prefix>[columns]"; the caller finishes name. */
static void agg_vertex_name(wr_buf *name, const char *prefix, const wr_plan *plan)
{
    wr_buf_init(name);
    wr_buf_puts(name, prefix);
    wr_buf_puts(name, "[");
    describe_columns(name, plan->schema);
    wr_buf_puts(name, "]");
}

/*
 * input -> LocalHashAggregate (the input's parallelism, chained) -> hash by
 * the group columns (or to one subtask without groups) -> GlobalHashAggregate
 * with parallelism par. Returns the global vertex.
 */
static int translate_two_phase_agg(tctx *t, const wr_plan *plan, int in, int in_par, int par)
{
    const wr_schema *is = plan->input->schema;
    int ngroups = plan->ngroups;
    wr_type *types =
        wr_malloc(sizeof(wr_type) * (size_t)(ngroups + WR_AGG_PARTIAL_MAX * plan->naggs + 1));
    int *keys = wr_malloc(sizeof(int) * (size_t)(ngroups + 1));
    for (int k = 0; k < ngroups; k++) {
        types[k] = is->types[plan->groups[k]];
        keys[k] = k;
    }
    int npart =
        wr_agg_partial_types(is->types, is->ncols, plan->aggs, plan->naggs, types + ngroups);
    assert(npart >= 0); /* agg_two_phase saw them mergeable */
    wr_operator_spec local = wr_hash_agg_spec_phase(is->types, is->ncols, plan->groups, ngroups,
                                                    plan->aggs, plan->naggs, WR_AGG_LOCAL);
    local.parallelism = in_par;
    wr_buf name;
    agg_vertex_name(&name, "LocalHashAggregate", plan);
    int lv = wr_jobgraph_add(t->graph, name.data, &local, types, ngroups + npart);
    wr_buf_fini(&name);
    wr_jobgraph_connect(t->graph, in, lv, WR_PART_FORWARD, NULL, 0);

    wr_operator_spec global = wr_hash_agg_spec_phase(is->types, is->ncols, plan->groups, ngroups,
                                                     plan->aggs, plan->naggs, WR_AGG_GLOBAL);
    global.parallelism = par;
    agg_vertex_name(&name, "GlobalHashAggregate", plan);
    int v = add_vertex(t, name.data, &global, plan);
    wr_buf_fini(&name);
    connect_keyed(t->graph, lv, in_par, v, par, 0, keys, ngroups);
    wr_free(types);
    wr_free(keys);
    return v;
}

/* A join node's description for its operator, which takes the residual condition over. */
static wr_join_desc join_desc(wr_plan *plan)
{
    wr_join_desc d = {
        plan->join_type,
        plan->input->schema->types,
        plan->input->schema->ncols,
        plan->right->schema->types,
        plan->right->schema->ncols,
        plan->left_keys,
        plan->right_keys,
        plan->null_safe,
        plan->nkeys,
        plan->filter,
        false,
    };
    plan->filter = NULL;
    return d;
}

static wr_plan *window_agg_input(const wr_plan *plan, wr_plan **calc);
static int translate_window_agg(tctx *t, wr_plan *plan, wr_plan *win, wr_plan *calc, int *par,
                                bool *bounded);
static int translate_stream_agg(tctx *t, wr_plan *plan, int in, int in_par, int *par);
static int translate_stream_join(tctx *t, wr_plan *plan, int l, int lpar, int r, int rpar,
                                 int *par);
static wr_window_def window_def(const wr_plan *win, int time_col);

/*
 * A scan of a table whose rows another part of the job produces (wr_table_source: a
 * DataStream under the Table API): its source plans the vertex. No filter was pushed into it.
 */
static int translate_source_scan(tctx *t, wr_plan *plan, int *par, bool *bounded)
{
    const wr_table_source *src = plan->table->source;
    int n = plan->scan_cols ? plan->nscan_cols : plan->table->schema->ncols;
    int *all = NULL;
    if (plan->scan_cols == NULL) {
        all = wr_malloc((size_t)(n ? n : 1) * sizeof(int));
        for (int i = 0; i < n; i++) all[i] = i;
    }
    wr_scan_request req = {plan->scan_cols ? plan->scan_cols : all, n, NULL, 0};
    int v = src->plan_scan(src->arg, t->graph, &req, par, t->err);
    wr_free(all);
    *bounded = src->bounded(src->arg);
    return v;
}

static int translate_node(tctx *t, wr_plan *plan, int *par, bool *bounded)
{
    wr_error *err = t->err;
    switch (plan->kind) {
    case WR_PLAN_SCAN: {
        const wr_table *tb = plan->table;
        if (tb->source) return translate_source_scan(t, plan, par, bounded);
        wr_operator_spec spec;
        /* The columns and filters the rules pushed into the scan; the source takes the
         * filters it keeps, the rest are freed here. */
        int n = plan->scan_cols ? plan->nscan_cols : tb->schema->ncols;
        int *all = NULL;
        if (plan->scan_cols == NULL) {
            all = wr_malloc((size_t)(n ? n : 1) * sizeof(int));
            for (int i = 0; i < n; i++) all[i] = i;
        }
        wr_scan_request req = {plan->scan_cols ? plan->scan_cols : all, n, plan->scan_filters,
                               plan->nscan_filters};
        int rc = 0;
        if (tb->mem) {
            /* A table Weir stores: its rows as of now. */
            spec = wr_memtable_source_spec(tb->mem, &req);
        } else {
            const char *name = wr_config_get(&tb->options, "connector", NULL);
            const wr_connector *conn = name ? wr_connector_find(name) : NULL;
            if (conn == NULL || conn->make_source == NULL)
                rc = wr_error_set(err, WR_ERR_VALIDATION,
                                  "table '%s' (connector '%s') cannot be read as a source",
                                  tb->name, name ? name : "");
            else
                rc = conn->make_source(tb->schema, &tb->options, t->job, &req, &spec, err);
        }
        wr_free(all);
        for (int i = 0; i < plan->nscan_filters; i++) {
            wr_expr_free(plan->scan_filters[i]);
            plan->scan_filters[i] = NULL;
        }
        if (rc) return rc;
        *par = resolve_parallelism(spec.parallelism, t->job);
        *bounded = spec.bounded;
        spec.parallelism = *par;
        char vname[256];
        snprintf(vname, sizeof(vname), "Source: %s", tb->name);
        return add_vertex(t, vname, &spec, plan);
    }
    case WR_PLAN_VALUES: {
        wr_operator_spec spec = wr_values_spec(plan->batches, plan->nbatches);
        plan->batches = NULL;
        plan->nbatches = 0;
        *par = 1;
        *bounded = true;
        return add_vertex(t, "Values", &spec, plan);
    }
    case WR_PLAN_CALC: {
        int in_par;
        int in = translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        wr_buf name;
        wr_buf_init(&name);
        wr_buf_puts(&name, "Calc[");
        describe_columns(&name, plan->schema);
        wr_buf_puts(&name, "]");
        wr_operator_spec spec = wr_calc_spec(plan->filter, plan->projs, plan->nprojs);
        plan->filter = NULL;
        plan->projs = NULL;
        plan->nprojs = 0;
        spec.parallelism = in_par;
        int v = add_vertex(t, name.data, &spec, plan);
        wr_buf_fini(&name);
        wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
        *par = in_par;
        return v;
    }
    case WR_PLAN_EXPAND: {
        int in_par;
        int in = translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec = wr_expand_spec(is->types, is->ncols, plan->groups, plan->ngroups,
                                               plan->sets, plan->nsets);
        spec.parallelism = in_par;
        int v = add_vertex(t, "Expand", &spec, plan);
        wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
        *par = in_par;
        return v;
    }
    case WR_PLAN_AGG: {
        wr_plan *calc;
        wr_plan *win = plan->window_agg ? window_agg_input(plan, &calc) : NULL;
        if (win) return translate_window_agg(t, plan, win, calc, par, bounded);
        int in_par;
        int in = translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        if (plan->streaming) return translate_stream_agg(t, plan, in, in_par, par);
        int rc = need_bounded(t, *bounded, "GROUP BY and aggregate functions");
        if (rc) return rc;
        *par = plan->ngroups ? default_parallelism(t->job) : 1;
        bool two;
        if ((rc = agg_two_phase(t, plan, in_par, *par, &two))) return rc;
        if (two) return translate_two_phase_agg(t, plan, in, in_par, *par);
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec = wr_hash_agg_spec(is->types, is->ncols, plan->groups, plan->ngroups,
                                                 plan->aggs, plan->naggs);
        spec.parallelism = *par;
        wr_buf name;
        agg_vertex_name(&name, "HashAggregate", plan);
        int v = add_vertex(t, name.data, &spec, plan);
        wr_buf_fini(&name);
        connect_keyed(t->graph, in, in_par, v, *par, 0, plan->groups, plan->ngroups);
        return v;
    }
    case WR_PLAN_JOIN: {
        int lpar, rpar;
        bool lb, rb;
        int l = translate(t, plan->input, &lpar, &lb);
        if (l < 0) return l;
        int r = translate(t, plan->right, &rpar, &rb);
        if (r < 0) return r;
        *bounded = lb && rb;
        if (plan->streaming) return translate_stream_join(t, plan, l, lpar, r, rpar, par);
        int rc = need_bounded(t, *bounded, "a join");
        if (rc) return rc;
        wr_join_desc d = join_desc(plan);
        bool outer_build =
            plan->join_type == WR_JOIN_TYPE_RIGHT || plan->join_type == WR_JOIN_TYPE_FULL;
        /*
         * Inner, left, semi and anti joins run where the probe side is, and their instances
         * build one table together from whatever build rows reach them (a shared build:
         * wr_join_desc.shared_build), so neither side is exchanged by key: the probe side
         * goes forward and the build side forward or round-robin. RIGHT and FULL joins must
         * find the build rows no probe row matched, so they hash-partition both sides by key
         * (or, without keys, run in one subtask).
         */
        bool shared = !outer_build;
        d.shared_build = shared && lpar > 1;
        wr_operator_spec spec = wr_hash_join_spec(&d);
        *par = shared ? lpar : plan->nkeys > 0 ? default_parallelism(t->job) : 1;
        spec.parallelism = *par;
        char vname[64];
        snprintf(vname, sizeof(vname), "%s", wr_join_type_name(plan->join_type));
        int v = add_vertex(t, vname, &spec, plan);
        if (shared) {
            wr_jobgraph_connect_port(t->graph, l, 0, v, 0, WR_PART_FORWARD, NULL);
            wr_jobgraph_connect_port(t->graph, r, 0, v, 1,
                                     rpar == *par ? WR_PART_FORWARD : WR_PART_REBALANCE, NULL);
        } else {
            connect_keyed(t->graph, l, lpar, v, *par, 0, plan->left_keys, plan->nkeys);
            connect_keyed(t->graph, r, rpar, v, *par, 1, plan->right_keys, plan->nkeys);
        }
        return v;
    }
    case WR_PLAN_SORT: {
        int in_par;
        int in = translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        int rc = need_bounded(t, *bounded || plan->nsort_keys == 0,
                              "ORDER BY (other than on a time attribute)");
        if (rc) return rc;
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec = wr_sort_spec(is->types, is->ncols, plan->sort_keys,
                                             plan->nsort_keys, plan->offset, plan->limit);
        *par = 1;
        spec.parallelism = 1;
        int v = add_vertex(t, plan->nsort_keys ? "Sort" : "Limit", &spec, plan);
        connect_edge(t->graph, in, in_par, v, 1);
        return v;
    }
    case WR_PLAN_OVER: {
        int in_par;
        int in = translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        int rc = need_bounded(t, *bounded, "an OVER window (other than on a time attribute)");
        if (rc) return rc;
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec =
            wr_over_spec(is->types, is->ncols, plan->groups, plan->ngroups, plan->sort_keys,
                         plan->nsort_keys, plan->over, plan->nover);
        *par = plan->ngroups ? default_parallelism(t->job) : 1;
        spec.parallelism = *par;
        int v = add_vertex(t, "OverAggregate", &spec, plan);
        connect_keyed(t->graph, in, in_par, v, *par, 0, plan->groups, plan->ngroups);
        return v;
    }
    case WR_PLAN_REPLICATE: {
        int in_par;
        int in = translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec = wr_replicate_spec(is->types, is->ncols);
        spec.parallelism = in_par;
        int v = add_vertex(t, "Replicate", &spec, plan);
        wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
        *par = in_par;
        return v;
    }
    case WR_PLAN_UNNEST: {
        /* Stateless and row by row: chained to its input, as a Calc is. */
        int in_par;
        int in = translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec =
            wr_unnest_spec(is->types, is->ncols, plan->projs[0],
                           plan->join_type == WR_JOIN_TYPE_LEFT, plan->ordinality);
        plan->projs[0] = NULL;
        spec.parallelism = in_par;
        int v = add_vertex(t, "Unnest", &spec, plan);
        wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
        *par = in_par;
        return v;
    }
    case WR_PLAN_WATERMARK: {
        /* Right after the source (and its computed columns), chained to it. */
        int in_par;
        int in = translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        wr_operator_spec spec = wr_watermark_spec(plan->projs[0]);
        plan->projs[0] = NULL;
        spec.parallelism = in_par;
        int v = add_vertex(t, "WatermarkAssigner", &spec, plan);
        wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
        *par = in_par;
        return v;
    }
    case WR_PLAN_WINDOW: {
        /* On its own (not under a window aggregation): each row once per window, chained. */
        int in_par;
        int in = translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        if (plan->window == WR_PLAN_SESSION)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "SESSION windows are supported under a window aggregation "
                                "only (GROUP BY window_start, window_end)");
        wr_window_def w = window_def(plan, plan->time_col);
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec = wr_window_tvf_spec(is->types, is->ncols, &w);
        spec.parallelism = in_par;
        int v = add_vertex(t, "WindowTableFunction", &spec, plan);
        wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
        *par = in_par;
        return v;
    }
    case WR_PLAN_UNION: {
        /* The union is the merge of several edges into one input: a pass-through Calc. */
        int n = plan->schema->ncols;
        wr_expr **projs = wr_calloc((size_t)(n ? n : 1), sizeof(wr_expr *));
        for (int i = 0; i < n; i++) projs[i] = wr_expr_column(i, plan->schema->types[i], -1);
        wr_operator_spec spec = wr_calc_spec(NULL, projs, n);
        *par = default_parallelism(t->job);
        spec.parallelism = *par;
        int v = add_vertex(t, "Union", &spec, plan);
        *bounded = true;
        for (int i = 0; i < plan->ninputs; i++) {
            int ip;
            bool ib;
            int in = translate(t, plan->inputs[i], &ip, &ib);
            if (in < 0) return in;
            *bounded = *bounded && ib;
            wr_jobgraph_connect_port(t->graph, in, 0, v, 0,
                                     ip == *par ? WR_PART_FORWARD : WR_PART_REBALANCE, NULL);
        }
        return v;
    }
    }
    return wr_error_set(err, WR_ERR_INTERNAL, "unknown plan node");
}

/* ---- batch or streaming, and changelog modes ----------------------------------- */

/* 'execution.runtime-mode' values, in the order of run_mode. */
static const char *const run_modes[] = {"streaming", "batch", "automatic", NULL};
enum run_mode { MODE_STREAMING, MODE_BATCH, MODE_AUTOMATIC };

/* Whether a scan's source ends by itself: a stored table does; a connector says so. */
static int scan_bounded(const wr_plan *plan, const wr_config *job, bool *bounded, wr_error *err)
{
    const wr_table *tb = plan->table;
    *bounded = true;
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
static wr_plan *window_agg_input(const wr_plan *plan, wr_plan **calc)
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

static int annotate(wr_plan *plan, const wr_config *job, int mode, wr_error *err)
{
    if (plan->changes) return 0; /* a shared node, done already */
    wr_plan *kids[2] = {plan->input, plan->right};
    bool bounded = true;
    uint8_t in_changes = 0;
    for (int k = 0; k < 2 + plan->ninputs; k++) {
        wr_plan *c = k < 2 ? kids[k] : plan->inputs[k - 2];
        if (c == NULL) continue;
        int rc = annotate(c, job, mode, err);
        if (rc) return rc;
        bounded = bounded && c->bounded;
        in_changes |= c->changes;
    }
    if (plan->kind == WR_PLAN_SCAN) {
        int rc = scan_bounded(plan, job, &bounded, err);
        if (rc) return rc;
    }
    plan->bounded = bounded;
    plan->streaming = mode == MODE_STREAMING || (mode == MODE_AUTOMATIC && !bounded);
    switch (plan->kind) {
    case WR_PLAN_SCAN:
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
        wr_plan *win = window_agg_input(plan, &calc);
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
    case WR_PLAN_OVER:
        plan->changes = WR_CHANGES_INSERT;
        break;
    default:
        /* Row by row: Calc, Expand, Replicate, Unnest, Union, WatermarkAssigner. */
        plan->changes = in_changes ? in_changes : WR_CHANGES_INSERT;
        break;
    }
    if (!plan->streaming && in_changes != WR_CHANGES_INSERT && in_changes &&
        (plan->kind == WR_PLAN_AGG || plan->kind == WR_PLAN_JOIN || plan->kind == WR_PLAN_SORT ||
         plan->kind == WR_PLAN_OVER))
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
    wr_sink_changes accepts = conn ? conn->sink_changes : WR_SINK_INSERT_ONLY;
    if (accepts == WR_SINK_ANY || (accepts == WR_SINK_UPSERT && sink->nprimary_key)) return 0;
    return wr_error_set(err, WR_ERR_VALIDATION,
                        "table sink '%s' (connector '%s') takes inserts only, but the query "
                        "produces updates and deletes in %s; %s",
                        sink->name, name, producer_name(update_producer(plan)),
                        accepts == WR_SINK_UPSERT
                            ? "declare a PRIMARY KEY on the sink table so it can upsert"
                            : "write to a sink that takes updates (upsert-kafka, jdbc with a "
                              "PRIMARY KEY, print) or make the query insert-only (a window "
                              "aggregation instead of a GROUP BY)");
}

/* ---- streaming operators ---------------------------------------------------------- */

static wr_window_def window_def(const wr_plan *win, int time_col)
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
static int state_ttl(tctx *t, int64_t *ms)
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
static int translate_window_agg(tctx *t, wr_plan *plan, wr_plan *win, wr_plan *calc, int *par,
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
    int in = translate(t, win->input, &in_par, bounded);
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
    wr_window_def w = window_def(win, time_col);
    wr_operator_spec spec = wr_window_agg_spec(types, np, &w, groups, ng, aggs, plan->naggs);
    *par = ng ? default_parallelism(t->job) : 1;
    spec.parallelism = *par;
    int nout = ng + plan->naggs + 3;
    wr_type *out = wr_malloc(sizeof(wr_type) * (size_t)nout);
    for (int g = 0; g < ng; g++) out[g] = types[groups[g]];
    for (int a = 0; a < plan->naggs; a++) out[ng + a] = plan->aggs[a].type;
    for (int k = 0; k < 3; k++) out[ng + plan->naggs + k] = ws->types[first + k];
    wr_buf name;
    agg_vertex_name(&name, "WindowAggregate", plan);
    int av = wr_jobgraph_add(t->graph, name.data, &spec, out, nout);
    wr_buf_fini(&name);
    connect_keyed(t->graph, cv, in_par, av, *par, 0, groups, ng);

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
    int v = add_vertex(t, "Calc", &bspec, plan);
    wr_jobgraph_connect(t->graph, av, v, WR_PART_FORWARD, NULL, 0);
    wr_free(map);
    wr_free(types);
    wr_free(groups);
    wr_free(aggs);
    wr_free(out);
    return v;
}

/*
 * A GROUP BY in streaming mode (Flink's GroupAggregate): rows hashed by the group columns to
 * an operator that keeps each group's accumulators and emits its result's changes.
 */
static int translate_stream_agg(tctx *t, wr_plan *plan, int in, int in_par, int *par)
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
    wr_operator_spec spec = wr_group_agg_spec(is->types, is->ncols, plan->groups, plan->ngroups,
                                              plan->aggs, plan->naggs, &opts);
    if (spec.ops == NULL) return t->err->code ? t->err->code : WR_ERR_VALIDATION;
    *par = plan->ngroups ? default_parallelism(t->job) : 1;
    spec.parallelism = *par;
    wr_buf name;
    agg_vertex_name(&name, "GroupAggregate", plan);
    int v = add_vertex(t, name.data, &spec, plan);
    wr_buf_fini(&name);
    connect_keyed(t->graph, in, in_par, v, *par, 0, plan->groups, plan->ngroups);
    return v;
}

/*
 * A join in streaming mode (Flink's Join): both sides hashed by their keys to an operator
 * that keeps both in state and emits the joined rows' changes.
 */
static int translate_stream_join(tctx *t, wr_plan *plan, int l, int lpar, int r, int rpar, int *par)
{
    wr_join_desc d = join_desc(plan);
    wr_stream_join_opts opts;
    memset(&opts, 0, sizeof(opts));
    int rc = state_ttl(t, &opts.state_ttl_ms);
    if (rc) {
        wr_expr_free(d.residual);
        return rc;
    }
    wr_operator_spec spec = wr_stream_join_spec(&d, &opts);
    *par = plan->nkeys > 0 ? default_parallelism(t->job) : 1;
    spec.parallelism = *par;
    char vname[64];
    snprintf(vname, sizeof(vname), "Join(%s)", wr_join_type_name(plan->join_type));
    int v = add_vertex(t, vname, &spec, plan);
    connect_keyed(t->graph, l, lpar, v, *par, 0, plan->left_keys, plan->nkeys);
    connect_keyed(t->graph, r, rpar, v, *par, 1, plan->right_keys, plan->nkeys);
    return v;
}

bool wr_plan_scan_accepts_filter(const wr_table *table, const wr_expr *filter)
{
    if (table->mem) return wr_memtable_accepts_filter(filter);
    const char *name = wr_config_get(&table->options, "connector", NULL);
    const wr_connector *conn = name ? wr_connector_find(name) : NULL;
    return conn && conn->accepts_filter &&
           conn->accepts_filter(table->schema, &table->options, filter);
}

/* A node read by several others (a decorrelated subquery's outer rows) becomes one vertex. */
static int translate(tctx *t, wr_plan *plan, int *par, bool *bounded)
{
    if (plan->vertex >= 0) {
        *par = plan->vertex_par;
        *bounded = plan->vertex_bounded;
        return plan->vertex;
    }
    int v = translate_node(t, plan, par, bounded);
    if (v >= 0) {
        plan->vertex = v;
        plan->vertex_par = *par;
        plan->vertex_bounded = *bounded;
    }
    return v;
}

int wr_plan_translate(wr_plan *plan, wr_jobgraph *graph, const wr_config *job, int *parallelism,
                      wr_error *err)
{
    int rc = wr_plan_annotate(plan, job, err);
    if (rc) return rc;
    tctx t = {graph, job, err};
    bool bounded;
    return translate(&t, plan, parallelism, &bounded);
}

int wr_plan_add_sink(wr_jobgraph *graph, int from, int from_par, const wr_table *table,
                     const wr_config *job, wr_error *err)
{
    const char *name = wr_config_get(&table->options, "connector", NULL);
    const wr_connector *conn = name ? wr_connector_find(name) : NULL;
    if (conn == NULL || conn->make_sink == NULL)
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "table '%s' (connector '%s') cannot be written as a sink", table->name,
                            name ? name : "");
    wr_operator_spec spec;
    int rc = conn->make_sink(table->schema, &table->options, job, &spec, err);
    if (rc) return rc;
    /* A sink runs with its input's parallelism unless 'sink.parallelism' says otherwise. */
    int par = spec.parallelism > 0 ? spec.parallelism : from_par;
    spec.parallelism = par;
    char vname[256];
    snprintf(vname, sizeof(vname), "Sink: %s", table->name);
    int v = wr_jobgraph_add(graph, vname, &spec, table->schema->types, table->schema->ncols);
    /* Changes of one key must reach one sink subtask in order: a sink with a primary key at
     * another parallelism than its input gets its rows hashed by the key (Flink's
     * table.exec.sink.keyed-shuffle AUTO) instead of round-robin. */
    if (table->nprimary_key && par != from_par && par > 1)
        connect_keyed(graph, from, from_par, v, par, 0, table->primary_key, table->nprimary_key);
    else
        connect_edge(graph, from, from_par, v, par);
    return v;
}

int wr_plan_add_memtable_sink(wr_jobgraph *graph, int from, int from_par, const wr_table *table,
                              struct wr_memtable_txn *txn, wr_error *err)
{
    wr_operator_spec spec = wr_memtable_sink_spec(txn);
    spec.parallelism = from_par;
    char vname[256];
    snprintf(vname, sizeof(vname), "Sink: %s", table->name);
    int v = wr_jobgraph_add(graph, vname, &spec, table->schema->types, table->schema->ncols);
    connect_edge(graph, from, from_par, v, from_par);
    return v;
}
