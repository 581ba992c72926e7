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
#include "../ops/changelog_normalize.h"
#include "../ops/replicate.h"
#include "../ops/unnest.h"
#include "../ops/values.h"
#include "../ops/watermark.h"
#include "plan.h"
#include "planner_int.h"

#include <stdio.h>
#include <string.h>

int wr_planner_default_parallelism(const wr_config *job)
{
    int64_t p = 1;
    wr_error err;
    if (wr_config_get_int64(job, "parallelism.default", 1, &p, &err) || p < 1) p = 1;
    return (int)p;
}

static int resolve_parallelism(int requested, const wr_config *job)
{
    return requested > 0 ? requested : wr_planner_default_parallelism(job);
}

static int connect_edge(wr_jobgraph *graph, int from, int from_par, int to, int to_par)
{
    return wr_jobgraph_connect(graph, from, to,
                               from_par == to_par ? WR_PART_FORWARD : WR_PART_REBALANCE, NULL, 0);
}

/* An edge into input `input` of `to` that brings rows with equal keys together. */
void wr_planner_connect_keyed(wr_jobgraph *graph, int from, int from_par, int to, int to_par,
                              int input, const int *keys, int nkeys)
{
    wr_keysel ks;
    wr_keysel_init_cols(&ks, keys, nkeys);
    wr_partition part = to_par == 1 ? (from_par == 1 ? WR_PART_FORWARD : WR_PART_REBALANCE)
                        : nkeys     ? WR_PART_HASH
                                    : WR_PART_REBALANCE;
    wr_jobgraph_connect_port(graph, from, 0, to, input, part, part == WR_PART_HASH ? &ks : NULL);
    wr_keysel_fini(&ks);
}

int wr_planner_add_vertex(wr_planner *t, const char *name, wr_operator_spec *spec,
                          const wr_plan *plan)
{
    return wr_jobgraph_add(t->graph, name, spec, plan->schema->types, plan->schema->ncols);
}

void wr_planner_describe_columns(wr_buf *b, const wr_schema *s)
{
    for (int i = 0; i < s->ncols; i++) wr_buf_printf(b, "%s%s", i ? ", " : "", s->names[i]);
}

static int need_bounded(wr_planner *t, bool bounded, const char *what)
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
static int agg_two_phase(wr_planner *t, const wr_plan *plan, int in_par, int par, bool *two)
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
void wr_planner_vertex_name(wr_buf *name, const char *prefix, const wr_plan *plan)
{
    wr_buf_init(name);
    wr_buf_puts(name, prefix);
    wr_buf_puts(name, "[");
    wr_planner_describe_columns(name, plan->schema);
    wr_buf_puts(name, "]");
}

/*
 * input -> LocalHashAggregate (the input's parallelism, chained) -> hash by
 * the group columns (or to one subtask without groups) -> GlobalHashAggregate
 * with parallelism par. Returns the global vertex.
 */
static int translate_two_phase_agg(wr_planner *t, const wr_plan *plan, int in, int in_par, int par)
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
    wr_planner_vertex_name(&name, "LocalHashAggregate", plan);
    int lv = wr_jobgraph_add(t->graph, name.data, &local, types, ngroups + npart);
    wr_buf_fini(&name);
    wr_jobgraph_connect(t->graph, in, lv, WR_PART_FORWARD, NULL, 0);

    wr_operator_spec global = wr_hash_agg_spec_phase(is->types, is->ncols, plan->groups, ngroups,
                                                     plan->aggs, plan->naggs, WR_AGG_GLOBAL);
    global.parallelism = par;
    wr_planner_vertex_name(&name, "GlobalHashAggregate", plan);
    int v = wr_planner_add_vertex(t, name.data, &global, plan);
    wr_buf_fini(&name);
    wr_planner_connect_keyed(t->graph, lv, in_par, v, par, 0, keys, ngroups);
    wr_free(types);
    wr_free(keys);
    return v;
}

/* A join node's description for its operator, which takes the residual condition over. */
wr_join_desc wr_planner_join_desc(wr_plan *plan)
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

/*
 * A scan of a table whose rows another part of the job produces (wr_table_source: a
 * DataStream under the Table API): its source plans the vertex. No filter was pushed into it.
 */
static int translate_source_scan(wr_planner *t, wr_plan *plan, int *par, bool *bounded)
{
    const wr_table_source *src = plan->table->source;
    int n = plan->scan_cols ? plan->nscan_cols : plan->table->schema->ncols;
    int *all = NULL;
    if (plan->scan_cols == NULL) {
        all = wr_malloc((size_t)(n ? n : 1) * sizeof(int));
        for (int i = 0; i < n; i++) all[i] = i;
    }
    wr_scan_request req = {plan->scan_cols ? plan->scan_cols : all, n, NULL, 0, NULL, -1};
    int v = src->plan_scan(src->arg, t->graph, &req, par, t->err);
    wr_free(all);
    *bounded = src->bounded(src->arg);
    return v;
}

/*
 * An upsert source (Flink's upsert changelog mode: +U and -D by primary key,
 * no -U) and its ChangelogNormalize: the source's whole rows are hashed by
 * the primary key to the normalize, which turns them into a full changelog;
 * a Calc after it keeps the columns the scan asked for. Takes ownership of
 * spec. Returns the last vertex.
 */
static int translate_upsert_scan(wr_planner *t, const wr_plan *plan, const char *vname,
                                 wr_operator_spec *spec, int *par)
{
    const wr_schema *ts = plan->table->schema;
    /* The source's row: the physical columns, then the metadata the scan reads (its scan
     * columns past the physical ones, in order, or all: translate_node asked for those). */
    int nphys = ts->ncols, nrow = nphys;
    wr_type types[nphys + plan->table->nmetadata + 1];
    memcpy(types, ts->types, (size_t)nphys * sizeof(wr_type));
    int n = plan->scan_cols ? plan->nscan_cols : nphys + plan->table->nmetadata;
    for (int i = 0; i < n; i++) {
        int c = plan->scan_cols ? plan->scan_cols[i] : i;
        if (c >= nphys) types[nrow++] = plan->table->metadata[c - nphys].read_type;
    }
    if (ts->nprimary_key == 0) {
        wr_operator_spec_fini(spec);
        return wr_error_set(t->err, WR_ERR_VALIDATION,
                            "table '%s' is an upsert source and needs a PRIMARY KEY",
                            plan->table->name);
    }
    int64_t ttl = 0;
    int rc = wr_config_get_duration_ms(t->job, "table.exec.state.ttl", 0, &ttl, t->err);
    if (rc) {
        wr_operator_spec_fini(spec);
        return rc;
    }
    int src = wr_jobgraph_add(t->graph, vname, spec, types, nrow);
    wr_operator_spec norm =
        wr_changelog_normalize_spec(types, nrow, ts->primary_key, ts->nprimary_key, ttl);
    int npar = wr_planner_default_parallelism(t->job);
    norm.parallelism = npar;
    wr_buf name;
    wr_buf_init(&name);
    wr_buf_puts(&name, "ChangelogNormalize[key=[");
    for (int i = 0; i < ts->nprimary_key; i++)
        wr_buf_printf(&name, "%s%s", i ? ", " : "", ts->names[ts->primary_key[i]]);
    wr_buf_puts(&name, "]]");
    int v = wr_jobgraph_add(t->graph, name.data, &norm, types, nrow);
    wr_buf_fini(&name);
    wr_planner_connect_keyed(t->graph, src, *par, v, npar, 0, ts->primary_key, ts->nprimary_key);
    *par = npar;
    if (plan->scan_cols == NULL) return v;
    wr_expr **projs =
        wr_malloc((size_t)(plan->nscan_cols ? plan->nscan_cols : 1) * sizeof(wr_expr *));
    for (int i = 0, m = nphys; i < plan->nscan_cols; i++) {
        int c = plan->scan_cols[i] < nphys ? plan->scan_cols[i] : m++;
        projs[i] = wr_expr_column(c, types[c], -1);
    }
    wr_operator_spec calc = wr_calc_spec(NULL, projs, plan->nscan_cols);
    calc.parallelism = npar;
    int c = wr_planner_add_vertex(t, "Calc[scan columns]", &calc, plan);
    connect_edge(t->graph, v, npar, c, npar);
    return c;
}

static int translate_node(wr_planner *t, wr_plan *plan, int *par, bool *bounded)
{
    wr_error *err = t->err;
    switch (plan->kind) {
    case WR_PLAN_SCAN: {
        const wr_table *tb = plan->table;
        if (tb->source) return translate_source_scan(t, plan, par, bounded);
        wr_operator_spec spec;
        /* The columns and filters the rules pushed into the scan; the source takes the
         * filters it keeps, the rest are freed here. Scan columns past the physical ones are
         * the table's metadata columns (wr_table_scan_schema); they come last, in order. */
        int nphys = tb->schema->ncols;
        int n = plan->scan_cols ? plan->nscan_cols : nphys + tb->nmetadata;
        int *all = wr_malloc((size_t)(n ? n : 1) * sizeof(int));
        const char **keys = wr_malloc((size_t)(n ? n : 1) * sizeof(char *));
        int ncols = 0, nkeys = 0;
        for (int i = 0; i < n; i++) {
            int c = plan->scan_cols ? plan->scan_cols[i] : i;
            if (c < nphys)
                all[ncols++] = c;
            else
                keys[nkeys++] = tb->metadata[c - nphys].key;
        }
        wr_scan_request req = {.columns = all,
                               .ncolumns = ncols,
                               .filters = plan->scan_filters,
                               .nfilters = plan->nscan_filters,
                               .watermark = plan->scan_watermark ? &plan->scan_watermark : NULL,
                               .rowtime = plan->scan_rowtime,
                               .metadata = keys,
                               .nmetadata = nkeys};
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
        if (rc == 0 && plan->scan_watermark)
            rc =
                wr_error_set(err, WR_ERR_INTERNAL,
                             "the source of '%s' did not take its pushed-down watermark", tb->name);
        if (rc) {
            wr_free(keys);
            return rc;
        }
        bool upsert = wr_changes_upsert(spec.changes);
        if (upsert && plan->scan_cols) {
            /* ChangelogNormalize needs whole rows: read them all (with the metadata asked
             * for, after them), project after it. */
            wr_operator_spec_fini(&spec);
            const char *name = wr_config_get(&tb->options, "connector", NULL);
            int *phys = wr_scan_request_columns(NULL, tb->schema, &ncols);
            wr_scan_request whole = {.columns = phys,
                                     .ncolumns = ncols,
                                     .rowtime = -1,
                                     .metadata = keys,
                                     .nmetadata = nkeys};
            rc = wr_connector_find(name)->make_source(tb->schema, &tb->options, t->job,
                                                      nkeys ? &whole : NULL, &spec, err);
            wr_free(phys);
            if (rc) {
                wr_free(keys);
                return rc;
            }
        }
        wr_free(keys);
        *par = resolve_parallelism(spec.parallelism, t->job);
        *bounded = spec.bounded;
        spec.parallelism = *par;
        char vname[256];
        snprintf(vname, sizeof(vname), "Source: %s", tb->name);
        if (upsert) return translate_upsert_scan(t, plan, vname, &spec, par);
        return wr_planner_add_vertex(t, vname, &spec, plan);
    }
    case WR_PLAN_VALUES: {
        wr_operator_spec spec = wr_values_spec(plan->batches, plan->nbatches);
        plan->batches = NULL;
        plan->nbatches = 0;
        *par = 1;
        *bounded = true;
        return wr_planner_add_vertex(t, "Values", &spec, plan);
    }
    case WR_PLAN_CALC: {
        int in_par;
        int in = wr_planner_translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        wr_buf name;
        wr_buf_init(&name);
        wr_buf_puts(&name, "Calc[");
        wr_planner_describe_columns(&name, plan->schema);
        wr_buf_puts(&name, "]");
        wr_operator_spec spec = wr_calc_spec(plan->filter, plan->projs, plan->nprojs);
        plan->filter = NULL;
        plan->projs = NULL;
        plan->nprojs = 0;
        spec.parallelism = in_par;
        int v = wr_planner_add_vertex(t, name.data, &spec, plan);
        wr_buf_fini(&name);
        wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
        *par = in_par;
        return v;
    }
    case WR_PLAN_EXPAND: {
        int in_par;
        int in = wr_planner_translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec = wr_expand_spec(is->types, is->ncols, plan->groups, plan->ngroups,
                                               plan->sets, plan->nsets);
        spec.parallelism = in_par;
        int v = wr_planner_add_vertex(t, "Expand", &spec, plan);
        wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
        *par = in_par;
        return v;
    }
    case WR_PLAN_AGG: {
        wr_plan *calc;
        wr_plan *win = plan->window_agg ? wr_planner_window_agg_input(plan, &calc) : NULL;
        if (win) return wr_planner_window_agg(t, plan, win, calc, par, bounded);
        int in_par;
        int in = wr_planner_translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        if (plan->streaming) return wr_planner_stream_agg(t, plan, in, in_par, par);
        int rc = need_bounded(t, *bounded, "GROUP BY and aggregate functions");
        if (rc) return rc;
        *par = plan->ngroups ? wr_planner_default_parallelism(t->job) : 1;
        bool two;
        if ((rc = agg_two_phase(t, plan, in_par, *par, &two))) return rc;
        if (two) return translate_two_phase_agg(t, plan, in, in_par, *par);
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec = wr_hash_agg_spec(is->types, is->ncols, plan->groups, plan->ngroups,
                                                 plan->aggs, plan->naggs);
        spec.parallelism = *par;
        wr_buf name;
        wr_planner_vertex_name(&name, "HashAggregate", plan);
        int v = wr_planner_add_vertex(t, name.data, &spec, plan);
        wr_buf_fini(&name);
        wr_planner_connect_keyed(t->graph, in, in_par, v, *par, 0, plan->groups, plan->ngroups);
        return v;
    }
    case WR_PLAN_JOIN: {
        if (plan->temporal == WR_TEMPORAL_PROC)
            return wr_planner_lookup_join(t, plan, par, bounded);
        int lpar, rpar;
        bool lb, rb;
        int l = wr_planner_translate(t, plan->input, &lpar, &lb);
        if (l < 0) return l;
        int r = wr_planner_translate(t, plan->right, &rpar, &rb);
        if (r < 0) return r;
        *bounded = lb && rb;
        if (plan->temporal == WR_TEMPORAL_EVENT || plan->interval_join || plan->window_join)
            return wr_planner_time_join(t, plan, l, lpar, r, rpar, par);
        if (plan->streaming) return wr_planner_stream_join(t, plan, l, lpar, r, rpar, par);
        int rc = need_bounded(t, *bounded, "a join");
        if (rc) return rc;
        wr_join_desc d = wr_planner_join_desc(plan);
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
        *par = shared ? lpar : plan->nkeys > 0 ? wr_planner_default_parallelism(t->job) : 1;
        spec.parallelism = *par;
        char vname[64];
        snprintf(vname, sizeof(vname), "%s", wr_join_type_name(plan->join_type));
        int v = wr_planner_add_vertex(t, vname, &spec, plan);
        if (shared) {
            wr_jobgraph_connect_port(t->graph, l, 0, v, 0, WR_PART_FORWARD, NULL);
            wr_jobgraph_connect_port(t->graph, r, 0, v, 1,
                                     rpar == *par ? WR_PART_FORWARD : WR_PART_REBALANCE, NULL);
        } else {
            wr_planner_connect_keyed(t->graph, l, lpar, v, *par, 0, plan->left_keys, plan->nkeys);
            wr_planner_connect_keyed(t->graph, r, rpar, v, *par, 1, plan->right_keys, plan->nkeys);
        }
        return v;
    }
    case WR_PLAN_SORT: {
        int in_par;
        int in = wr_planner_translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        int rc = need_bounded(t, *bounded || plan->nsort_keys == 0,
                              "ORDER BY (other than on a time attribute)");
        if (rc) return rc;
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec = wr_sort_spec(is->types, is->ncols, plan->sort_keys,
                                             plan->nsort_keys, plan->offset, plan->limit);
        *par = 1;
        spec.parallelism = 1;
        int v = wr_planner_add_vertex(t, plan->nsort_keys ? "Sort" : "Limit", &spec, plan);
        connect_edge(t->graph, in, in_par, v, 1);
        return v;
    }
    case WR_PLAN_OVER: {
        if (plan->rank) return wr_planner_rank(t, plan, par, bounded);
        if (plan->streaming) return wr_planner_over_agg(t, plan, par, bounded);
        int in_par;
        int in = wr_planner_translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        int rc = need_bounded(t, *bounded, "an OVER window (other than on a time attribute)");
        if (rc) return rc;
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec =
            wr_over_spec(is->types, is->ncols, plan->groups, plan->ngroups, plan->sort_keys,
                         plan->nsort_keys, plan->over, plan->nover);
        *par = plan->ngroups ? wr_planner_default_parallelism(t->job) : 1;
        spec.parallelism = *par;
        int v = wr_planner_add_vertex(t, "OverAggregate", &spec, plan);
        wr_planner_connect_keyed(t->graph, in, in_par, v, *par, 0, plan->groups, plan->ngroups);
        return v;
    }
    case WR_PLAN_REPLICATE: {
        int in_par;
        int in = wr_planner_translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec = wr_replicate_spec(is->types, is->ncols);
        spec.parallelism = in_par;
        int v = wr_planner_add_vertex(t, "Replicate", &spec, plan);
        wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
        *par = in_par;
        return v;
    }
    case WR_PLAN_UNNEST: {
        /* Stateless and row by row: chained to its input, as a Calc is. */
        int in_par;
        int in = wr_planner_translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec =
            wr_unnest_spec(is->types, is->ncols, plan->projs[0],
                           plan->join_type == WR_JOIN_TYPE_LEFT, plan->ordinality);
        plan->projs[0] = NULL;
        spec.parallelism = in_par;
        int v = wr_planner_add_vertex(t, "Unnest", &spec, plan);
        wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
        *par = in_par;
        return v;
    }
    case WR_PLAN_WATERMARK: {
        /* Right after the source (and its computed columns), chained to it. */
        int in_par;
        int in = wr_planner_translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        /* Pushed into the source (the rules moved the expression): it generates them. */
        if (plan->watermark_pushed) {
            *par = in_par;
            return in;
        }
        wr_operator_spec spec = wr_watermark_spec(plan->projs[0]);
        plan->projs[0] = NULL;
        spec.parallelism = in_par;
        int v = wr_planner_add_vertex(t, "WatermarkAssigner", &spec, plan);
        wr_jobgraph_connect(t->graph, in, v, WR_PART_FORWARD, NULL, 0);
        *par = in_par;
        return v;
    }
    case WR_PLAN_WINDOW: {
        /* On its own (not under a window aggregation): each row once per window, chained. */
        int in_par;
        int in = wr_planner_translate(t, plan->input, &in_par, bounded);
        if (in < 0) return in;
        if (plan->window == WR_PLAN_SESSION)
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "SESSION windows are supported under a window aggregation "
                                "only (GROUP BY window_start, window_end)");
        wr_window_def w = wr_planner_window_def(plan, plan->time_col);
        const wr_schema *is = plan->input->schema;
        wr_operator_spec spec = wr_window_tvf_spec(is->types, is->ncols, &w);
        spec.parallelism = in_par;
        int v = wr_planner_add_vertex(t, "WindowTableFunction", &spec, plan);
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
        *par = wr_planner_default_parallelism(t->job);
        spec.parallelism = *par;
        int v = wr_planner_add_vertex(t, "Union", &spec, plan);
        *bounded = true;
        for (int i = 0; i < plan->ninputs; i++) {
            int ip;
            bool ib;
            int in = wr_planner_translate(t, plan->inputs[i], &ip, &ib);
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

bool wr_plan_scan_accepts_filter(const wr_table *table, const wr_expr *filter)
{
    if (table->mem) return wr_memtable_accepts_filter(filter);
    /* Filters given to a source read physical columns only (wr_scan_request). */
    if (table->nmetadata) return false;
    const char *name = wr_config_get(&table->options, "connector", NULL);
    const wr_connector *conn = name ? wr_connector_find(name) : NULL;
    return conn && conn->accepts_filter &&
           conn->accepts_filter(table->schema, &table->options, filter);
}

/* A node read by several others (a decorrelated subquery's outer rows) becomes one vertex. */
int wr_planner_translate(wr_planner *t, wr_plan *plan, int *par, bool *bounded)
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
    wr_planner t = {graph, job, err};
    bool bounded;
    return wr_planner_translate(&t, plan, parallelism, &bounded);
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
    /* The persisted metadata columns follow the physical ones in the sink's row (wr_bind_insert
     * put them there, cast to the keys' types: their read_type). */
    int nphys = table->schema->ncols, nmeta = 0;
    const char *keys[table->nmetadata ? table->nmetadata : 1];
    const char *columns[table->nmetadata ? table->nmetadata : 1];
    wr_type types[nphys + table->nmetadata + 1];
    memcpy(types, table->schema->types, (size_t)nphys * sizeof(wr_type));
    for (int m = 0; m < table->nmetadata; m++) {
        if (table->metadata[m].is_virtual) continue;
        keys[nmeta] = table->metadata[m].key;
        columns[nmeta] = table->metadata[m].name;
        types[nphys + nmeta] = table->metadata[m].read_type;
        types[nphys + nmeta++].nullable = true;
    }
    wr_sink_request req = {keys, nmeta};
    wr_operator_spec spec;
    int rc = wr_connector_make_sink(conn, table->schema, &table->options, job, &req, columns, &spec,
                                    err);
    if (rc) return rc;
    /* A sink runs with its input's parallelism unless 'sink.parallelism' says otherwise. */
    int par = spec.parallelism > 0 ? spec.parallelism : from_par;
    spec.parallelism = par;
    char vname[256];
    snprintf(vname, sizeof(vname), "Sink: %s", table->name);
    int v = wr_jobgraph_add(graph, vname, &spec, types, nphys + nmeta);
    /* Changes of one key must reach one sink subtask in order: a sink with a primary key at
     * another parallelism than its input gets its rows hashed by the key (Flink's
     * table.exec.sink.keyed-shuffle AUTO) instead of round-robin. */
    if (table->nprimary_key && par != from_par && par > 1)
        wr_planner_connect_keyed(graph, from, from_par, v, par, 0, table->primary_key,
                                 table->nprimary_key);
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

bool wr_plan_scan_accepts_watermark(const wr_table *table, const wr_expr *watermark)
{
    /* Metadata columns follow the physical ones in the scan; a source evaluates the
     * expression over its physical columns only. */
    if (table->mem || table->source || table->nmetadata) return false;
    const char *name = wr_config_get(&table->options, "connector", NULL);
    const wr_connector *conn = name ? wr_connector_find(name) : NULL;
    return conn && conn->accepts_watermark &&
           conn->accepts_watermark(table->schema, &table->options, watermark);
}
