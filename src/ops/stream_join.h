/*
 * stream_join.h — the streaming regular join over changelogs (Flink's
 * StreamingJoinOperator and StreamingSemiAntiJoinOperator).
 *
 * Input 0 is the left side, input 1 the right side; both are hash-partitioned
 * by their join keys (the row codec of the key columns, so equal keys of the
 * two sides are equal bytes and meet in one subtask and one key group). Rows
 * may be +I, -U, +U or -D. Each side keeps, per join key, the multiset of its
 * rows in keyed state (row bytes -> count); a side whose rows can appear
 * without a partner (the outer side of LEFT / RIGHT / FULL, the left side of
 * SEMI / ANTI) also keeps per row how many rows of the other side it matches
 * (its associations). Every input row is joined at once against the other
 * side's rows of its key (the residual condition checked per pair), the
 * output changelog is emitted, and the row is added to or removed from its
 * side's state. Nothing waits for end of input: on bounded inputs the results
 * are complete when the last row has been processed.
 *
 * Output: left columns then right columns (the outer sides nullable), exactly
 * wr_join_output_types(d); SEMI and ANTI: the left columns only. Kinds follow
 * Flink: an INNER join forwards the input row's kind (+I/+U in give +I/+U
 * pairs, -U/-D in give -U/-D pairs); outer joins emit only +I and -D. A
 * row of an outer side without partners is emitted padded with NULLs (+I);
 * when it gets its first partner that row is retracted (-D) before the pair
 * (+I), and when it loses its last partner the pair's -D is followed by the
 * padded +I again. SEMI emits a left row when it has a partner (with the
 * kind of the input row that decided it: a left row's own kind, or the kind
 * of the right row that gave it its first / took its last partner); ANTI
 * emits a left row while it has none (-D when a right row gives it its
 * first partner, +I when the last goes). A NULL in a key that is not
 * null-safe matches nothing.
 *
 * Deliberate differences from Flink: a retraction (-U/-D) of a row that is
 * not in its side's state (never seen, or expired by TTL) is ignored
 * entirely, where Flink would still emit retractions of its pairs; rows with
 * a NULL key on a side that never emits them unmatched are not stored. Keys
 * compare as bytes, as in Flink (-0.0 and 0.0 are different keys).
 *
 * State TTL (table.exec.state.ttl): a stored row not written for ttl ms
 * expires (Flink's OnCreateAndWrite, never returning expired state); it is
 * dropped lazily when its key is next touched or at the next checkpoint.
 * As in Flink, results past expiry may be inconsistent (a retraction of an
 * expired row is ignored).
 *
 * Checkpoints: the state lives in the keyed backend (state/keyed.h) under
 * "weir.join-left" and "weir.join-right", one key-group snapshot per group
 * holding rows (docs/checkpoints.md, "The streaming join"), so restores
 * rescale by key group.
 */
#ifndef WR_OPS_STREAM_JOIN_H
#define WR_OPS_STREAM_JOIN_H

#include "join.h"

typedef struct wr_stream_join_opts {
    int64_t state_ttl_ms; /* 0: state is kept forever */
} wr_stream_join_opts;

/*
 * A streaming join spec from d (type, column types, keys, null_safe, residual;
 * shared_build is ignored) and opts (NULL: defaults). Copies the arrays and
 * takes ownership of d->residual, even on error; the description is checked
 * when an instance is created.
 */
wr_operator_spec wr_stream_join_spec(const wr_join_desc *d, const wr_stream_join_opts *opts);

extern const wr_operator_ops wr_stream_join_ops;

#endif
