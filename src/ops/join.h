/*
 * join.h — the batch hash join operator.
 *
 * Input 0 is the probe side (left), input 1 the build side (right). The
 * operator builds a hash table over all build rows; probe rows that arrive
 * before the build side has ended are kept until it has (so the operator
 * needs no scheduling help from the runtime and cannot deadlock when both
 * inputs come from one upstream task). Then every probe row is matched
 * against the rows with equal keys and the residual condition is evaluated
 * on the candidate pairs.
 *
 * Key equality is SQL's: a NULL key matches nothing, unless the key is marked
 * null-safe (IS NOT DISTINCT FROM, used by decorrelated subqueries and set
 * operations). With no keys at all every pair is a candidate (a nested-loop
 * join, for conditions such as x.b < t.b).
 *
 * Output rows: left columns then right columns (INNER, LEFT, RIGHT, FULL; the
 * side without a match is NULL), or left columns only (SEMI: left rows with a
 * match, once each; ANTI: left rows without one). RIGHT and FULL emit the
 * unmatched build rows at the end of input.
 */
#ifndef WR_OPS_JOIN_H
#define WR_OPS_JOIN_H

#include "../expr/expr.h"
#include "operator.h"

typedef enum wr_join_type {
    WR_JOIN_TYPE_INNER,
    WR_JOIN_TYPE_LEFT,
    WR_JOIN_TYPE_RIGHT,
    WR_JOIN_TYPE_FULL,
    WR_JOIN_TYPE_SEMI,
    WR_JOIN_TYPE_ANTI,
} wr_join_type;

typedef struct wr_join_desc {
    wr_join_type type;
    const wr_type *left_types;
    int nleft;
    const wr_type *right_types;
    int nright;
    const int *left_keys; /* equal-length key column lists; the key types are equal */
    const int *right_keys;
    const bool *null_safe; /* per key, or NULL: none is */
    int nkeys;
    /*
     * BOOLEAN condition over a row of the left columns followed by the right
     * columns, checked on key-equal pairs; NULL for none. Owned by the spec.
     */
    wr_expr *residual;
    /*
     * All parallel instances build one table together and each probes all of it, so
     * neither side needs to be partitioned by key (any distribution works). Not for
     * RIGHT and FULL joins, which keep per-row matches of the build side.
     */
    bool shared_build;
} wr_join_desc;

/*
 * Checks a description: column types a join can hold, keys in range and of matching kinds,
 * a BOOLEAN residual over the joined row. 0, or WR_ERR_ARGUMENT "<who>: ..." naming the problem.
 */
int wr_join_desc_check(const wr_join_desc *d, const char *who, wr_error *err);

/* A hash join spec; copies the arrays and takes ownership of d->residual, even on error. */
wr_operator_spec wr_hash_join_spec(const wr_join_desc *d);

/* Output types of a join: left then right columns (outer sides made nullable), or left only. */
int wr_join_output_types(const wr_join_desc *d, wr_type *out);

const char *wr_join_type_name(wr_join_type type); /* "InnerJoin", "LeftOuterJoin", ... */

extern const wr_operator_ops wr_hash_join_ops;

#endif
