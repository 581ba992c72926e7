/*
 * jobgraph.c — building and describing job graphs; see jobgraph.h.
 */
#include "jobgraph.h"
#include "../base/alloc.h"

#include <string.h>

const char *wr_partition_name(wr_partition part)
{
    switch (part) {
    case WR_PART_FORWARD:
        return "FORWARD";
    case WR_PART_HASH:
        return "HASH";
    case WR_PART_REBALANCE:
        return "REBALANCE";
    case WR_PART_BROADCAST:
        return "BROADCAST";
    }
    return "?";
}

wr_jobgraph *wr_jobgraph_new(const char *name)
{
    wr_jobgraph *graph = wr_calloc(1, sizeof(*graph));
    graph->name = wr_strdup(name ? name : "weir-job");
    return graph;
}

void wr_jobgraph_free(wr_jobgraph *graph)
{
    if (graph == NULL) return;
    for (int i = 0; i < graph->nvertices; i++) {
        wr_jg_vertex *v = &graph->vertices[i];
        wr_operator_spec_fini(&v->op);
        wr_free(v->name);
        for (int p = 0; p < v->nports; p++) wr_free(v->ports[p].types);
        wr_free(v->ports);
    }
    for (int i = 0; i < graph->nedges; i++) wr_keysel_fini(&graph->edges[i].key);
    wr_free(graph->vertices);
    wr_free(graph->edges);
    wr_free(graph->name);
    wr_free(graph);
}

int wr_jobgraph_add(wr_jobgraph *graph, const char *name, wr_operator_spec *op,
                    const wr_type *out_types, int nout)
{
    int id = graph->nvertices++;
    graph->vertices = wr_realloc(graph->vertices, (size_t)graph->nvertices * sizeof(wr_jg_vertex));
    wr_jg_vertex *v = &graph->vertices[id];
    memset(v, 0, sizeof(*v));
    v->name = wr_strdup(name);
    v->op = *op;
    memset(op, 0, sizeof(*op));
    wr_jobgraph_add_port(graph, id, out_types, nout);
    return id;
}

int wr_jobgraph_add_port(wr_jobgraph *graph, int vertex, const wr_type *types, int ncols)
{
    wr_jg_vertex *v = &graph->vertices[vertex];
    v->ports = wr_realloc(v->ports, (size_t)(v->nports + 1) * sizeof(wr_jg_port));
    wr_jg_port *port = &v->ports[v->nports];
    port->ncols = ncols;
    port->types = wr_malloc((size_t)(ncols ? ncols : 1) * sizeof(wr_type));
    if (ncols) memcpy(port->types, types, (size_t)ncols * sizeof(wr_type));
    return v->nports++;
}

int wr_jobgraph_connect_port(wr_jobgraph *graph, int from, int port, int to, int input,
                             wr_partition part, const wr_keysel *key)
{
    assert(from >= 0 && from < graph->nvertices && to >= 0 && to < graph->nvertices);
    assert(port >= 0 && port < graph->vertices[from].nports);
    graph->edges = wr_realloc(graph->edges, (size_t)(graph->nedges + 1) * sizeof(wr_jg_edge));
    wr_jg_edge *e = &graph->edges[graph->nedges++];
    memset(e, 0, sizeof(*e));
    e->from = from;
    e->port = port;
    e->to = to;
    e->part = part;
    wr_jg_vertex *v = &graph->vertices[to];
    e->input = input < 0 ? v->ninputs : input;
    if (e->input >= v->ninputs) v->ninputs = e->input + 1;
    if (key) wr_keysel_copy(&e->key, key);
    return e->input;
}

int wr_jobgraph_connect(wr_jobgraph *graph, int from, int to, wr_partition part, const int *keys,
                        int nkeys)
{
    wr_keysel key;
    wr_keysel_init_cols(&key, keys, nkeys);
    int input = wr_jobgraph_connect_port(graph, from, 0, to, -1, part, &key);
    wr_keysel_fini(&key);
    return input;
}

int wr_jobgraph_parallelism(const wr_jobgraph *graph, int vertex, const wr_config *config)
{
    int p = graph->vertices[vertex].op.parallelism;
    if (p > 0) return p;
    int64_t def = 1;
    wr_error err;
    if (wr_config_get_int64(config, "parallelism.default", 1, &def, &err) || def < 1) def = 1;
    return (int)def;
}

void wr_jobgraph_describe(const wr_jobgraph *graph, const wr_config *config, wr_buf *out)
{
    wr_buf_printf(out, "Job '%s'\n", graph->name);
    for (int i = 0; i < graph->nvertices; i++) {
        const wr_jg_vertex *v = &graph->vertices[i];
        wr_buf_printf(out, "  [%d] %s (%s, parallelism %d)\n", i, v->name, v->op.ops->kind,
                      wr_jobgraph_parallelism(graph, i, config));
    }
    for (int i = 0; i < graph->nedges; i++) {
        const wr_jg_edge *e = &graph->edges[i];
        wr_buf_printf(out, "  [%d] -> [%d] %s", e->from, e->to, wr_partition_name(e->part));
        if (e->port > 0) wr_buf_printf(out, " from side output %d", e->port);
        if (e->part == WR_PART_HASH && e->key.fn) {
            wr_buf_puts(out, " on a key function");
        } else if (e->part == WR_PART_HASH) {
            wr_buf_puts(out, " on columns");
            for (int k = 0; k < e->key.ncols; k++) wr_buf_printf(out, " %d", e->key.cols[k]);
        }
        wr_buf_putc(out, '\n');
    }
}
