/*
 * changelog_normalize.h — Flink's ChangelogNormalize: an upsert changelog
 * (the latest row per primary key, deletes that may carry only the key) into
 * a full changelog with -U before every +U and the whole row in every -D.
 *
 * Input is hash-partitioned by the key. Per key the operator keeps the last
 * row (keyed state, one part per key group in checkpoints) and emits:
 *
 *   +I/+U of a key not held   +I row
 *   +I/+U of a held key       -U old, +U row; nothing when row equals old
 *                             (a duplicate upsert), unless state TTL is on
 *   -D/-U of a held key       -D old (the stored row: the input's -D may have
 *                             only the key set, its other columns NULL)
 *   -D/-U of a key not held   nothing
 *
 * which is Flink's DeduplicateFunctionHelper.processLastRowOnChangelog with
 * generateUpdateBefore. Rows are compared by their row-codec bytes, so -0.0
 * and 0.0 differ and NaNs with equal bits are equal (Flink's equaliser
 * compares the binary rows too). Emitted rows carry the input's row time
 * (+I/+U) or none (-U, -D from state).
 *
 * State TTL (table.exec.state.ttl, processing time): a key not touched for
 * state_ttl_ms is dropped when met and by a sweep at most once per TTL; as
 * in Flink, with TTL on a duplicate upsert is emitted again (-U/+U), because
 * downstream state may have expired meanwhile.
 */
#ifndef WR_CHANGELOG_NORMALIZE_H
#define WR_CHANGELOG_NORMALIZE_H

#include "operator.h"

/*
 * The spec over rows of types[0..ncols) whose primary key is the columns
 * key[0..nkey) (both copied). state_ttl_ms 0 keeps keys forever. The
 * runtime must partition the input by those key columns.
 */
wr_operator_spec wr_changelog_normalize_spec(const wr_type *types, int ncols, const int *key,
                                             int nkey, int64_t state_ttl_ms);

/* Keys this instance holds (tests). */
int64_t wr_changelog_normalize_keys(const wr_operator *op);

/* Replaces the wall clock of TTL checks (tests); fn(arg) returns milliseconds. */
void wr_changelog_normalize_set_clock(wr_operator *op, int64_t (*fn)(void *), void *arg);

#endif
