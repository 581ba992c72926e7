/*
 * plan.h — logical plans of queries, and their translation into job graphs.
 *
 * The binder (binder.c) turns a query's syntax tree into a tree of plan
 * nodes with resolved columns and typed expressions; rules (rules.c) rewrite
 * it (filters into joins, join keys out of conditions, constant folding,
 * filters and projections into scans); the planner
 * (planner.c) turns it into a job graph: operators, parallelism and
 * partitioning. Plans know nothing of threads.
 *
 * A node may be the input of several others (a decorrelated subquery reads
 * the rows of its outer query): nodes are reference-counted and the planner
 * translates a shared node once, fanning its output out.
 */
#ifndef WR_PLAN_H
#define WR_PLAN_H

#include "../base/vec.h"
#include "../expr/expr.h"
#include "../ops/aggregate.h"
#include "../ops/join.h"
#include "../ops/over.h"
#include "../ops/sort.h"
#include "../runtime/jobgraph.h"
#include "ast.h"
#include "catalog.h"
#include "typing.h"

typedef enum wr_plan_kind {
    WR_PLAN_SCAN,      /* table */
    WR_PLAN_VALUES,    /* batches of constant rows */
    WR_PLAN_CALC,      /* filter + projections over input */
    WR_PLAN_AGG,       /* group columns + aggregate calls over input */
    WR_PLAN_EXPAND,    /* one copy of each row per grouping set */
    WR_PLAN_JOIN,      /* input (left) with right */
    WR_PLAN_SORT,      /* ORDER BY / OFFSET / LIMIT */
    WR_PLAN_UNION,     /* UNION ALL of inputs[] (equal column types) */
    WR_PLAN_REPLICATE, /* each input row as many times as its last (BIGINT) column says */
    WR_PLAN_OVER,      /* OVER window calls: input columns + one column per call */
    WR_PLAN_UNNEST,    /* input columns + the elements of projs[0] (ops/unnest.h), a row each */
    WR_PLAN_WATERMARK, /* input rows as they are; watermarks from projs[0] (a table's WATERMARK) */
    WR_PLAN_WINDOW,    /* window TVF: input columns + window_start, window_end, window_time */
} wr_plan_kind;

/* A window TVF's kind (WR_PLAN_WINDOW). */
typedef enum wr_plan_window {
    WR_PLAN_TUMBLE,
    WR_PLAN_HOP,
    WR_PLAN_CUMULATE,
    WR_PLAN_SESSION,
} wr_plan_window;

typedef enum wr_plan_temporal {
    WR_TEMPORAL_NONE,
    WR_TEMPORAL_EVENT,
    WR_TEMPORAL_PROC,
} wr_plan_temporal;

typedef struct wr_plan wr_plan;
struct wr_plan {
    wr_plan_kind kind;
    int refs;            /* owners of this node (parents and the caller) */
    int vertex;          /* planner: the vertex it became (-1 before), for shared nodes */
    int vertex_par;      /* planner: that vertex's parallelism */
    bool vertex_bounded; /* planner: whether its input ends */
    wr_schema *schema;   /* output columns; owned */
    wr_plan *input;      /* CALC, AGG, EXPAND, SORT; JOIN's left */
    wr_plan *right;      /* JOIN */
    wr_plan **inputs;    /* UNION */
    int ninputs;
    const wr_table *table; /* SCAN; borrowed from the catalog */
    /* SCAN: the table's physical column behind each of its columns (schema column i is table
     * column scan_cols[i]); the rules narrow them to what is read above. NULL: all of the
     * table's, in its order. */
    int *scan_cols;
    int nscan_cols;
    /* SCAN: conjuncts its source applies (it accepted them), over the table's physical columns
     * (column i is the table's column i, produced or not); evaluated in order. */
    wr_expr **scan_filters;
    int nscan_filters;
    /* SCAN: the table's WATERMARK expression its source generates watermarks from (pushed
     * down; the WATERMARK node above then only marks the rowtime attribute), over the table's
     * physical columns, and the rowtime column; NULL: none. */
    wr_expr *scan_watermark;
    int scan_rowtime;
    bool watermark_pushed; /* WATERMARK: its expression moved into the scan below */
    wr_batch **batches;    /* VALUES; owned */
    int nbatches;
    wr_expr *filter; /* CALC (may be NULL); JOIN: the residual condition (may be NULL) */
    wr_expr **projs; /* CALC; UNNEST: the collection over the input row (one) */
    int nprojs;
    int *groups; /* AGG: group columns of input; EXPAND: the grouped columns */
    int ngroups;
    wr_agg_call *aggs; /* AGG */
    int naggs;
    uint64_t *sets; /* EXPAND: one bitmask over groups[] per grouping set */
    int nsets;
    wr_join_type join_type; /* JOIN; UNNEST: INNER, or LEFT for a row of NULLs when empty */
    bool ordinality;        /* UNNEST: WITH ORDINALITY */
    int *left_keys, *right_keys;
    bool *null_safe;
    int nkeys;
    wr_over_call *over; /* OVER: calls (partition columns in groups, order in sort_keys) */
    int nover;
    wr_sort_key *sort_keys; /* SORT, OVER */
    int nsort_keys;
    int64_t offset, limit; /* SORT; limit -1: none */
    /* WATERMARK: the rowtime column; WINDOW: the time attribute column of the input; a
     * temporal JOIN: the left side's time attribute its FOR SYSTEM_TIME AS OF names. */
    int time_col;
    /*
     * JOIN: a temporal join, `JOIN t FOR SYSTEM_TIME AS OF l.time`. EVENT: l.time is a rowtime
     * attribute and t a versioned table (a primary key and a rowtime attribute, right_time_col):
     * each left row meets the version of t valid at its time. PROC: a processing-time
     * attribute, a lookup join: each left row looks t up by its keys when it arrives (the right
     * input is a scan of t that is never run as a source).
     */
    wr_plan_temporal temporal;
    int right_time_col;
    /*
     * JOIN, streaming, set by wr_plan_annotate. An interval join (Flink's IntervalJoin): its
     * condition bounds the left time attribute time_col by the right one right_time_col,
     * lower_ms <= left - right <= upper_ms, and those conjuncts left the residual. A window
     * join: its keys equated both sides' window_start and window_end, which left the keys
     * for window_cols (left start, left end, right start, right end).
     */
    bool interval_join;
    bool window_join;
    int64_t lower_ms, upper_ms;
    int window_cols[4];
    /* WINDOW: which TVF and its parameters in milliseconds (slide: HOP's slide, CUMULATE's
     * step; gap: SESSION's). Its partition keys (SESSION's PARTITION BY) are in groups. */
    wr_plan_window window;
    int64_t win_size, win_slide, win_gap, win_offset;
    /* Set by wr_plan_annotate: whether the node's input ends (all its sources are bounded),
     * whether it runs as a streaming operator (keeping its result up to date as rows come)
     * rather than a batch one (emitting at end of input), and the change kinds its output may
     * hold (WR_CHANGES_*; 0 before annotation). */
    bool bounded;
    bool streaming;
    bool window_agg; /* AGG: streaming, and over a window TVF: a window aggregation */
    /*
     * OVER, streaming, whose one ranking function (ROW_NUMBER, RANK, DENSE_RANK) the Calc
     * above bounds (Flink's Rank: Top-N, deduplication): the ranks kept are offset .. limit
     * (1-based, inclusive), the bounds moved out of the Calc's filter; rank_column: whether
     * the rank is read above (else the operator does not produce that column);
     * rank_window_end: in the partition columns, the one holding window_end when they
     * include a window's window_start and window_end (a window Top-N, emitting once per
     * window), or -1.
     */
    bool rank;
    bool rank_column;
    int rank_window_end;
    uint8_t changes;
};

/* Change kinds of a node's output, as a mask (Flink's changelog modes). */
#define WR_CHANGES_INSERT 1u
#define WR_CHANGES_UPDATE_BEFORE 2u
#define WR_CHANGES_UPDATE_AFTER 4u
#define WR_CHANGES_DELETE 8u
#define WR_CHANGES_ALL 15u

/* Flink's upsert changelog mode: updates or deletes without UPDATE_BEFORE. */
static inline bool wr_changes_upsert(uint8_t changes)
{
    return (changes & (WR_CHANGES_UPDATE_AFTER | WR_CHANGES_DELETE)) &&
           !(changes & WR_CHANGES_UPDATE_BEFORE);
}

wr_plan *wr_plan_new(wr_plan_kind kind);
/* Another reference to plan (returns it). */
wr_plan *wr_plan_ref(wr_plan *plan);
/* Drops a reference; frees the node and its inputs' references with the last. */
void wr_plan_free(wr_plan *plan);
/* An indented description, one node per line, for EXPLAIN. */
void wr_plan_explain(const wr_plan *plan, wr_buf *out);
/*
 * Turns plan, in place, into VALUES without rows and with the same schema, so
 * every node that reads it still can: drops its inputs and expressions.
 */
void wr_plan_make_empty(wr_plan *plan);

/*
 * Binds a query against the catalog. Returns the plan (before the rules of
 * wr_plan_optimize), or NULL with err positioned at the offending name, type
 * or expression.
 */
wr_plan *wr_bind_query(const wr_ast_query *query, const wr_catalog *cat, wr_error *err);

/*
 * Makes plan's output assignable to the columns of a sink table: with
 * columns (INSERT INTO t (b, a) ...; NULL for all in order) the query's
 * columns go to those, the others get NULL; checks counts and adds implicit
 * casts (widening numbers, any string to a string column, NULL to anything).
 * Takes ownership of plan; returns the new plan or NULL with err positioned
 * at the offending select item of query (or at the query).
 */
wr_plan *wr_bind_insert(wr_plan *plan, const wr_catalog *cat, const wr_table *sink,
                        const wr_ast_query *query, const char *const *columns, int ncolumns,
                        int columns_pos, wr_error *err);

/*
 * Binds a computed column's expression (SQL text) over table's physical
 * columns, then its metadata columns (wr_table_scan_schema, declared types);
 * err positions are offsets into text.
 */
wr_expr *wr_bind_computed(const wr_catalog *cat, const wr_table *table, const char *text,
                          wr_error *err);

/*
 * Binds a table's WATERMARK expression (SQL text) over row, the table's columns as a scan
 * of it produces them (physical and computed); err positions are offsets into text.
 */
wr_expr *wr_bind_watermark(const wr_catalog *cat, const wr_table *table, const wr_schema *row,
                           const char *text, wr_error *err);

/* Filters as lists of conjuncts (rules.c). */
typedef WR_VEC(wr_expr *) wr_exprs;
/* Moves the conjuncts of e (AND trees flattened) into out; consumes e (NULL: none). */
void wr_rules_take_conjuncts(wr_expr *e, wr_exprs *out);
/* The AND of a list (consumed), or NULL for an empty one. */
wr_expr *wr_rules_and_all(wr_exprs *v);

/*
 * Logical rewrites before translation (rules.c): filters into joins, join
 * keys, join column pruning, Calc merging, constant folding, then filters
 * and projections into scans. Takes ownership of plan; returns the plan to
 * use instead.
 */
wr_plan *wr_plan_optimize(wr_plan *plan);

/*
 * Whether the source of table applies filter (over the table's physical
 * columns) itself when a scan request offers it (planner.c: the memtable
 * source, or the connector's accepts_filter).
 */
bool wr_plan_scan_accepts_filter(const wr_table *table, const wr_expr *filter);
/* Whether the table's source generates watermarks from its WATERMARK expression watermark
 * (over the physical columns) itself (the connector's accepts_watermark). */
bool wr_plan_scan_accepts_watermark(const wr_table *table, const wr_expr *watermark);

/*
 * Decides, for every node of plan, between batch and streaming execution under the job's
 * 'execution.runtime-mode' ('batch', 'streaming', or Weir's default 'automatic': streaming
 * where an input is unbounded), and infers the change kinds every node emits (Flink's
 * changelog modes), which EXPLAIN then shows. Fails where a node cannot take its input's
 * changes (a window TVF over updates) or where batch mode meets an unbounded source.
 * wr_plan_translate calls it; calling it again changes nothing.
 */
int wr_plan_annotate(wr_plan *plan, const wr_config *job, wr_error *err);

/*
 * Whether the sink table can take what plan emits (an annotated plan): a sink that takes
 * inserts only, fed updates or deletes, is an error naming the node that produces them and
 * how to fix it.
 */
int wr_plan_check_sink(const wr_plan *plan, const wr_table *sink, wr_error *err);

/*
 * For an annotated plan that emits updates or deletes: the node that produces them (the
 * topmost whose inputs emit inserts only), with how EXPLAIN names it in *what (may be NULL).
 * NULL when plan emits inserts only.
 */
const wr_plan *wr_plan_update_producer(const wr_plan *plan, const char **what);

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
