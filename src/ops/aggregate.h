/*
 * aggregate.h — aggregate functions and the batch hash aggregation operator.
 *
 * The binder puts a Calc below every aggregation that computes the grouping
 * keys and the aggregate arguments, so aggregation works on input columns
 * only: group by columns groups[], compute aggs[] over their argument
 * columns. The output row is the group columns followed by one column per
 * aggregate call.
 *
 * Aggregate functions follow Flink's result types (AVG of INT is INT, SUM of
 * INT is INT, COUNT is BIGINT NOT NULL, STDDEV and VAR of integers are the
 * integer type, of DECIMAL a DECIMAL, ...); wr_agg_resolve applies them.
 * Their accumulators support update and merge (for two-phase aggregation)
 * and, where the function allows it, retraction (streaming aggregation over
 * changelogs reuses them).
 */
#ifndef WR_OPS_AGGREGATE_H
#define WR_OPS_AGGREGATE_H

#include "../types/schema.h"
#include "operator.h"

typedef enum wr_agg_kind {
    WR_AGG_COUNT_STAR, /* COUNT(*): rows, including NULLs */
    WR_AGG_COUNT,      /* COUNT(x): non-NULL values */
    WR_AGG_SUM,        /* NULL over no non-NULL values */
    WR_AGG_SUM0,       /* SUM that is 0 over no values (for decorrelated COUNT plans) */
    WR_AGG_AVG,        /* in the argument's type: integer AVG truncates as Flink's does */
    WR_AGG_MIN,
    WR_AGG_MAX,
    WR_AGG_STDDEV_POP,
    WR_AGG_STDDEV_SAMP, /* also STDDEV */
    WR_AGG_VAR_POP,
    WR_AGG_VAR_SAMP,    /* also VARIANCE */
    WR_AGG_LISTAGG,     /* strings joined by a separator (default ",") */
    WR_AGG_FIRST_VALUE, /* first non-NULL value in arrival order */
    WR_AGG_LAST_VALUE,  /* last non-NULL value in arrival order */
    WR_AGG_BOOL_AND,
    WR_AGG_BOOL_OR,
    WR_AGG_ARRAY_AGG,    /* the values (NULLs too) in arrival order; NULL over no rows */
    WR_AGG_COLLECT,      /* the non-NULL values as a MULTISET; empty over no rows */
    WR_AGG_SINGLE_VALUE, /* a scalar subquery's value: NULL over no rows, an error over two */
    WR_AGG_USER,         /* a user-defined function (wr_agg_user), e.g. one written in C */
    WR_AGG_KIND_COUNT_
} wr_agg_kind;

/* The most arguments of a call (user-defined functions; built-ins take at most two). */
#define WR_AGG_MAX_ARGS 8

typedef struct wr_agg_user wr_agg_user;

typedef struct wr_agg_call {
    wr_agg_kind kind;
    int args[WR_AGG_MAX_ARGS]; /* input columns; LISTAGG's second is its separator (constant) */
    int nargs;
    bool distinct; /* over distinct argument values of the group */
    int filter;    /* BOOLEAN input column: only rows where it is TRUE count; -1 for none */
    wr_type type;  /* result type (from wr_agg_resolve; a user function's declared one) */
    const wr_agg_user *user; /* WR_AGG_USER: the function (borrowed); NULL for built-ins */
} wr_agg_call;

/*
 * A user-defined aggregate function, as the layer that knows it prepares it
 * (sql/userfunc.c for functions written in C): the operators keep its state
 * in their state rows and call back for everything that concerns its values,
 * so they need not know weir_udf or weir_value. It must outlive every plan
 * and operator of the calls that point to it (a catalog entry does: a
 * function is never dropped while a statement runs).
 *
 * A state is state_size bytes at a 16-byte aligned address. Callbacks return
 * 0, or a negative code with err set (WR_ERR_RUNTIME, naming the function).
 */
struct wr_agg_user {
    const char *name; /* for messages and EXPLAIN */
    int nargs;        /* every call has exactly these arguments, already of the declared types */
    size_t state_size;
    /* Sets up the empty accumulator. */
    void (*init)(const wr_agg_user *u, void *state);
    /*
     * Adds rows[i] of the argument vectors args[0..nargs) to the state of
     * group groups[i] (at states + groups[i] * stride), for i in [0, n).
     */
    int (*accumulate)(const wr_agg_user *u, const wr_vector *const *args, const uint32_t *rows,
                      const uint32_t *groups, int n, uint8_t *states, size_t stride, wr_error *err);
    /* Adds the accumulator other into state; NULL when the function cannot merge (one phase). */
    int (*merge)(const wr_agg_user *u, void *state, const void *other, wr_error *err);
    /* Writes the result of state at row of column col of out (of the call's type); result
     * bytes that must be kept go into heap, which lives as long as the states. */
    int (*get_value)(const wr_agg_user *u, const void *state, wr_batch *out, int col, int row,
                     wr_arena *heap, wr_error *err);
};

/* Whether name (any case) is an aggregate function: COUNT, SUM, ..., also STDDEV, VARIANCE. */
bool wr_agg_is_aggregate(const char *name);

/*
 * Resolves an aggregate call by name and argument types (nargs 0 for
 * COUNT(*)), giving its kind and Flink's result type. On failure returns a
 * negative code with err positioned at pos ("SUM needs a numeric argument,
 * got STRING").
 */
int wr_agg_resolve(const char *name, const wr_type *args, int nargs, bool distinct, int pos,
                   wr_agg_kind *kind, wr_type *result, wr_error *err);

/* The SQL name of a kind, for EXPLAIN: "COUNT", "SUM", ... ("USER" for WR_AGG_USER). */
const char *wr_agg_name(wr_agg_kind kind);

/* The name of a call's function: wr_agg_name, or a user function's own. */
const char *wr_agg_call_name(const wr_agg_call *call);

/*
 * Batch hash aggregation: consumes all input, emits one row per group at the
 * end of input (in no particular order). With no group columns it emits
 * exactly one row, also for empty input (COUNT(*) = 0, SUM = NULL), as SQL's
 * global aggregation does. Memory grows with the number of groups (and of
 * distinct values for DISTINCT calls). Copies what it needs from the arrays.
 */
wr_operator_spec wr_hash_agg_spec(const wr_type *in_types, int nin, const int *groups, int ngroups,
                                  const wr_agg_call *aggs, int naggs);

/* The output types of such an aggregation: group column types, then each call's type. */
void wr_agg_output_types(const wr_type *in_types, const int *groups, int ngroups,
                         const wr_agg_call *aggs, int naggs, wr_type *out);

/*
 * Two-phase (local-global) aggregation, Flink's default for batch: a local
 * aggregation in each input subtask folds its rows into one intermediate row
 * per group, only those rows cross the exchange, and a global aggregation
 * merges them into the results one phase would give (same types, same NULL
 * rules). The intermediate row is the group columns followed by each call's
 * state as columns, in call order:
 *   COUNT, COUNT(*)         BIGINT NOT NULL count
 *   SUM, $SUM0              the sum: BIGINT for integers (the wrapping 64-bit
 *                           sum), DOUBLE for FLOAT/DOUBLE; NULL over no values
 *   AVG                     sum NOT NULL (BIGINT; DECIMAL(38, 0) for BIGINT,
 *                           whose sum is 128-bit; DOUBLE), BIGINT NOT NULL count
 *   MIN, MAX                the value in the result type, NULL over none
 *   STDDEV_*, VAR_*         BIGINT count, DOUBLE sum, DOUBLE sum of squares
 *   BOOL_AND, BOOL_OR       BOOLEAN, NULL over no values
 *   user functions          VARBINARY: the state's bytes, NULL for an empty
 *                           state; only functions that can merge
 * FIRST_VALUE and LAST_VALUE depend on arrival order, which an exchange does
 * not keep; LISTAGG and ARRAY_AGG too; COLLECT's state is a list as well;
 * SINGLE_VALUE must see every row; DISTINCT calls need all values of a group
 * together: such aggregations run in one phase.
 */
typedef enum wr_agg_phase {
    WR_AGG_ONE_PHASE, /* input rows in, results out */
    WR_AGG_LOCAL,     /* input rows in, intermediate rows out */
    WR_AGG_GLOBAL,    /* intermediate rows in, results out */
} wr_agg_phase;

/* The most intermediate columns of one call (STDDEV and VAR have three). */
#define WR_AGG_PARTIAL_MAX 3

/*
 * Whether every call can run in two phases over input columns in_types (an
 * aggregation without calls can: both phases group). A call that does not
 * fit its input at all is not mergeable either; the one-phase operator then
 * reports what is wrong.
 */
bool wr_agg_mergeable(const wr_type *in_types, int nin, const wr_agg_call *aggs, int naggs);

/*
 * The intermediate column types of the calls, in call order (not the group
 * columns): writes them to out, room for WR_AGG_PARTIAL_MAX * naggs, and
 * returns how many; -1 when the calls are not mergeable.
 */
int wr_agg_partial_types(const wr_type *in_types, int nin, const wr_agg_call *aggs, int naggs,
                         wr_type *out);

/*
 * The hash aggregation of one phase. in_types, groups and aggs always
 * describe the whole aggregation over its original input (what
 * wr_hash_agg_spec takes), so the planner passes the same to both phases:
 * the local phase reads that input and emits intermediate rows; the global
 * phase reads intermediate rows (groups 0..ngroups-1, then the intermediate
 * columns in call order) and emits the group columns and results. Calls that
 * are not mergeable make creating a local or global operator fail.
 */
wr_operator_spec wr_hash_agg_spec_phase(const wr_type *in_types, int nin, const int *groups,
                                        int ngroups, const wr_agg_call *aggs, int naggs,
                                        wr_agg_phase phase);

/*
 * Expand, for GROUPING SETS / ROLLUP / CUBE: every input row is emitted once
 * per grouping set, with the group columns not in that set set to NULL, and
 * one BIGINT column appended holding the set's number (0..nsets-1); the
 * aggregation then groups by the group columns and that number. sets[s] is a
 * bitmask over group_cols[] (bit i: group_cols[i] is in set s). Output types
 * are the input types with group columns made nullable, plus BIGINT NOT NULL.
 */
wr_operator_spec wr_expand_spec(const wr_type *in_types, int nin, const int *group_cols,
                                int ngroup_cols, const uint64_t *sets, int nsets);

extern const wr_operator_ops wr_hash_agg_ops;
extern const wr_operator_ops wr_expand_ops;

#endif
