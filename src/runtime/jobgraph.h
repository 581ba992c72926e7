/*
 * jobgraph.h — the job graph: operators (vertices) and edges with partitioning.
 *
 * What the planner (or a C program) builds and the runtime executes. A vertex
 * is an operator spec with a parallelism and an output row type; an edge says
 * how rows move from one vertex's subtasks to another's. The graph is
 * immutable once handed to wr_job_start().
 */
#ifndef WR_JOBGRAPH_H
#define WR_JOBGRAPH_H

#include "../base/buf.h"
#include "../base/config.h"
#include "../ops/operator.h"
#include "../state/keysel.h"

typedef enum wr_partition {
    WR_PART_FORWARD,   /* subtask i -> subtask i; needs equal parallelism */
    WR_PART_HASH,      /* by key group of the key columns */
    WR_PART_REBALANCE, /* round-robin over all consumer subtasks, row by row */
    WR_PART_BROADCAST, /* every row to every consumer subtask */
} wr_partition;

const char *wr_partition_name(wr_partition part);

/* An output of a vertex: port 0 is the main output, others are side outputs. */
typedef struct wr_jg_port {
    wr_type *types; /* row type; owned */
    int ncols;
} wr_jg_port;

typedef struct wr_jg_vertex {
    char *name;
    wr_operator_spec op; /* owned */
    wr_jg_port *ports;   /* at least one */
    int nports;
    int ninputs; /* number of logical inputs (edges into one input are merged) */
} wr_jg_vertex;

typedef struct wr_jg_edge {
    int from, to;
    int port;  /* output port of `from` */
    int input; /* input index at the consumer (0 for the first edge into it) */
    wr_partition part;
    wr_keysel key; /* for WR_PART_HASH; owned */
} wr_jg_edge;

typedef struct wr_jobgraph {
    char *name;
    wr_jg_vertex *vertices;
    int nvertices;
    wr_jg_edge *edges;
    int nedges;
} wr_jobgraph;

wr_jobgraph *wr_jobgraph_new(const char *name);
void wr_jobgraph_free(wr_jobgraph *graph);
/*
 * Adds a vertex and returns its id. Takes ownership of op->spec (op is
 * cleared). out_types (nout entries) is copied.
 */
int wr_jobgraph_add(wr_jobgraph *graph, const char *name, wr_operator_spec *op,
                    const wr_type *out_types, int nout);
/* Adds a side output port to a vertex and returns its number (>= 1). types is copied. */
int wr_jobgraph_add_port(wr_jobgraph *graph, int vertex, const wr_type *types, int ncols);
/*
 * Adds an edge from the main output of `from`; returns the input index it
 * has at `to`. keys (key columns for WR_PART_HASH) is copied.
 */
int wr_jobgraph_connect(wr_jobgraph *graph, int from, int to, wr_partition part, const int *keys,
                        int nkeys);
/*
 * As wr_jobgraph_connect, from output port `port`, into logical input
 * `input` of `to` (-1: a new input; several edges may feed one input, as a
 * union does), with any key selector (copied; may be NULL).
 */
int wr_jobgraph_connect_port(wr_jobgraph *graph, int from, int port, int to, int input,
                             wr_partition part, const wr_keysel *key);

/* The parallelism a vertex runs with under the given configuration. */
int wr_jobgraph_parallelism(const wr_jobgraph *graph, int vertex, const wr_config *config);

/*
 * Writes a readable description of the graph as it will run: vertices with
 * parallelism, edges with partitioning, and which vertices are chained into
 * one task.
 */
void wr_jobgraph_describe(const wr_jobgraph *graph, const wr_config *config, wr_buf *out);

#endif
