/*
 * planner.c — from logical plans to job graphs.
 *
 * Scans become connector source operators, VALUES a values source, Calc a
 * Calc operator with its input's parallelism (so it chains), sinks connector
 * sink operators. An edge is forward where parallelism matches and
 * rebalance where it does not, as Flink does.
 */
#include "../connectors/connector.h"
#include "../connectors/memtable.h"
#include "../ops/calc.h"
#include "../ops/values.h"
#include "plan.h"

#include <stdio.h>

static int connect_edge(wr_jobgraph *graph, int from, int from_par, int to, int to_par)
{
    return wr_jobgraph_connect(graph, from, to,
                               from_par == to_par ? WR_PART_FORWARD : WR_PART_REBALANCE, NULL, 0);
}

static int resolve_parallelism(int requested, const wr_config *job)
{
    if (requested > 0) return requested;
    int64_t p = 1;
    wr_error err;
    if (wr_config_get_int64(job, "parallelism.default", 1, &p, &err) || p < 1) p = 1;
    return (int)p;
}

int wr_plan_translate(wr_plan *plan, wr_jobgraph *graph, const wr_config *job, int *parallelism,
                      wr_error *err)
{
    switch (plan->kind) {
    case WR_PLAN_SCAN: {
        const wr_table *t = plan->table;
        wr_operator_spec spec;
        if (t->mem) {
            /* A table Weir stores: its rows as of now. */
            spec = wr_memtable_source_spec(t->mem);
        } else {
            const char *name = wr_config_get(&t->options, "connector", NULL);
            const wr_connector *conn = name ? wr_connector_find(name) : NULL;
            if (conn == NULL || conn->make_source == NULL)
                return wr_error_set(err, WR_ERR_VALIDATION,
                                    "table '%s' (connector '%s') cannot be read as a source",
                                    t->name, name ? name : "");
            int rc = conn->make_source(t->schema, &t->options, job, &spec, err);
            if (rc) return rc;
        }
        *parallelism = resolve_parallelism(spec.parallelism, job);
        spec.parallelism = *parallelism;
        char vname[256];
        snprintf(vname, sizeof(vname), "Source: %s", t->name);
        return wr_jobgraph_add(graph, vname, &spec, t->schema->types, t->schema->ncols);
    }
    case WR_PLAN_VALUES: {
        wr_operator_spec spec = wr_values_spec(plan->batches, plan->nbatches);
        plan->batches = NULL;
        plan->nbatches = 0;
        *parallelism = 1;
        return wr_jobgraph_add(graph, "Values", &spec, plan->schema->types, plan->schema->ncols);
    }
    case WR_PLAN_CALC: {
        int in_par;
        int in = wr_plan_translate(plan->input, graph, job, &in_par, err);
        if (in < 0) return in;
        wr_buf name;
        wr_buf_init(&name);
        wr_buf_puts(&name, "Calc[");
        for (int i = 0; i < plan->schema->ncols; i++)
            wr_buf_printf(&name, "%s%s", i ? ", " : "", plan->schema->names[i]);
        wr_buf_puts(&name, "]");
        wr_operator_spec spec = wr_calc_spec(plan->filter, plan->projs, plan->nprojs);
        plan->filter = NULL;
        plan->projs = NULL;
        plan->nprojs = 0;
        spec.parallelism = in_par;
        int v = wr_jobgraph_add(graph, name.data, &spec, plan->schema->types, plan->schema->ncols);
        wr_buf_fini(&name);
        wr_jobgraph_connect(graph, in, v, WR_PART_FORWARD, NULL, 0);
        *parallelism = in_par;
        return v;
    }
    }
    return wr_error_set(err, WR_ERR_INTERNAL, "unknown plan node");
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
