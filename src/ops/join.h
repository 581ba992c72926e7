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

/*
 * Copies d into *dst with arrays of its own (null_safe always set, all false when d has none)
 * and takes ownership of d->residual. Counts are not checked here (wr_join_desc_check does
 * that when an operator is created, where an error can be reported); what exists is copied.
 */
void wr_join_desc_copy(wr_join_desc *dst, const wr_join_desc *d);
/* Frees the arrays and the residual of a description made by wr_join_desc_copy. */
void wr_join_desc_fini(wr_join_desc *d);

/*
 * Checks that a batch arriving on a join input has the input's columns: ncols columns whose
 * slots are those of types (by wr_value_kind). 0, or WR_ERR_ARGUMENT "<who>: ..." naming the
 * column and the side ("left", "right").
 */
int wr_join_check_batch(const wr_batch *batch, const wr_type *types, int ncols, const char *who,
                        const char *side, wr_error *err);

/*
 * Appends the key bytes (row codec of key columns keys[0..nkeys)) of the active rows
 * start .. start + n - 1 of batch to out (reset first); row i's are out->data[koff[i] ..
 * koff[i + 1]) (koff has n + 1 entries). These are the bytes the hash exchange routed by.
 */
void wr_join_encode_keys(const wr_batch *batch, int start, int n, const int *keys, int nkeys,
                         wr_buf *out, uint32_t *koff);

/* false when physical row `row` has a NULL in a key column that is not null-safe: it matches
 * nothing. */
static inline bool wr_join_matchable(const wr_join_desc *d, const wr_batch *batch, const int *keys,
                                     int row)
{
    for (int k = 0; k < d->nkeys; k++)
        if (!d->null_safe[k] && wr_vector_is_null(&batch->cols[keys[k]], row)) return false;
    return true;
}

/*
 * The error of a keyed join that met a row of key group kg, which this subtask (owning groups
 * first .. last) does not own: its inputs were not partitioned by the join keys.
 */
int wr_join_foreign_key(const char *who, int kg, int subtask, int first, int last, wr_error *err);

/* A hash join spec; copies the arrays and takes ownership of d->residual, even on error. */
wr_operator_spec wr_hash_join_spec(const wr_join_desc *d);

/* Output types of a join: left then right columns (outer sides made nullable), or left only. */
int wr_join_output_types(const wr_join_desc *d, wr_type *out);

const char *wr_join_type_name(wr_join_type type); /* "InnerJoin", "LeftOuterJoin", ... */

extern const wr_operator_ops wr_hash_join_ops;

#endif
