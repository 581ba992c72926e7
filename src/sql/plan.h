/*
 * plan.h — logical plans of queries, and their translation into job graphs.
 *
 * The binder (binder.c) turns a query's syntax tree into a tree of plan
 * nodes with resolved columns and typed expressions; the planner (planner.c)
 * turns that tree into a job graph: operators, parallelism and partitioning.
 * Plans are immutable once built and know nothing of threads.
 */
#ifndef WR_PLAN_H
#define WR_PLAN_H

#include "../expr/expr.h"
#include "../runtime/jobgraph.h"
#include "catalog.h"
#include "ast.h"
#include "typing.h"

typedef enum wr_plan_kind {
    WR_PLAN_SCAN,   /* table */
    WR_PLAN_VALUES, /* batches of constant rows */
    WR_PLAN_CALC,   /* filter + projections over input */
} wr_plan_kind;

typedef struct wr_plan wr_plan;
struct wr_plan {
    wr_plan_kind kind;
    wr_schema *schema; /* output columns; owned */
    wr_plan *input;
    const wr_table *table; /* SCAN; borrowed from the catalog */
    wr_batch **batches;    /* VALUES; owned */
    int nbatches;
    wr_expr *filter; /* CALC; owned, may be NULL */
    wr_expr **projs; /* CALC; owned */
    int nprojs;
};

void wr_plan_free(wr_plan *plan);
/* An indented description, one node per line, for EXPLAIN. */
void wr_plan_explain(const wr_plan *plan, wr_buf *out);

/*
 * Binds a query against the catalog. Returns the plan, or NULL with err
 * positioned at the offending name, type or expression.
 */
wr_plan *wr_bind_query(const wr_ast_query *query, const wr_catalog *cat, wr_error *err);

/*
 * Makes plan's output assignable to the columns of a sink table: checks
 * the column count and adds implicit casts (widening numbers, any string
 * to a string column, NULL to anything). Takes ownership of plan; returns
 * the new plan or NULL with err positioned at the offending select item of
 * query (or at the query when the item cannot be told).
 */
wr_plan *wr_bind_insert(wr_plan *plan, const wr_table *sink, const wr_ast_query *query,
                        wr_error *err);

/*
 * Adds the operators of plan to graph and returns the vertex whose output
 * is the plan's result (its parallelism in *parallelism), or a negative
 * error such as a connector rejecting its options. Moves the plan's
 * expressions and batches into the operator specs it creates: the plan must
 * be freed afterwards and not translated again.
 */
int wr_plan_translate(wr_plan *plan, wr_jobgraph *graph, const wr_config *job, int *parallelism,
                      wr_error *err);

/* Adds a sink vertex for table after vertex `from` (of parallelism from_par). */
int wr_plan_add_sink(wr_jobgraph *graph, int from, int from_par, const wr_table *table,
                     const wr_config *job, wr_error *err);

/*
 * Adds a sink vertex for a table Weir stores (table->mem) after vertex
 * `from`, with from's parallelism, writing into txn (borrowed: the caller
 * commits or aborts it after the job).
 */
struct wr_memtable_txn;
int wr_plan_add_memtable_sink(wr_jobgraph *graph, int from, int from_par, const wr_table *table,
                              struct wr_memtable_txn *txn, wr_error *err);

#endif
