/*
 * snapshot.h — the on-disk form of one key group's keyed state and timers.
 *
 * A checkpoint writes the state of an operator instance key group by key
 * group, each group as one self-describing snapshot (format: "Keyed state and
 * timers, per key group" in docs/checkpoints.md), so a restore can hand whole
 * groups to whichever subtask owns them at the new parallelism. States are
 * named in the snapshot and matched by name on restore: a state's id is only
 * the order in which one run happened to register it.
 *
 * Thread rule: as the backend and timer service passed in (their task's thread).
 */
#ifndef WR_STATE_SNAPSHOT_H
#define WR_STATE_SNAPSHOT_H

#include "../base/buf.h"
#include "../base/error.h"
#include "keyed.h"
#include "timers.h"

#define WR_STATE_SNAPSHOT_VERSION 1
/* Bytes of the fixed header: magic, version, total size, key group, max parallelism. */
#define WR_STATE_SNAPSHOT_HEADER 24

/*
 * Appends the snapshot of key group kg (its keyed state and, if timers is
 * not NULL, its timers) to out. ks must own kg. Expired TTL content is
 * removed from ks on the way (as wr_keyed_for_each does) and not written.
 */
void wr_state_snapshot_kg(wr_keyed *ks, wr_timers *timers, int kg, wr_buf *out);

/*
 * Restores one key-group snapshot (exactly len bytes) into ks and timers.
 * States are matched by name; a state in the snapshot that ks has not
 * registered is registered with the snapshot's kind and TTL; one that ks has
 * registered keeps ks's TTL, and its content keeps the last-access times of
 * the snapshot (the restore time when the snapshot's state had no TTL).
 * Timers are registered in the snapshot's order. Borrows data.
 *
 * Returns 0, or WR_ERR_IO with a message naming what is wrong and its byte
 * offset (also in err->offset): bad magic, unsupported version, truncated,
 * checksum mismatch, max parallelism or kind mismatch, malformed content; or
 * WR_ERR_ARGUMENT when ks does not own the snapshot's group, already holds
 * state in it, or timers is NULL but the snapshot has timers. Everything is
 * validated (checksum first) before anything changes: on error ks and timers
 * are as they were.
 */
int wr_state_restore_kg(wr_keyed *ks, wr_timers *timers, const void *data, size_t len,
                        wr_error *err);

/*
 * Reads the key group number of a snapshot from its fixed header (data may
 * hold just those WR_STATE_SNAPSHOT_HEADER bytes), for redistributing
 * snapshots on rescale; -1 with err (WR_ERR_IO) when the header is malformed.
 * Does not verify the checksum: restoring does.
 */
int wr_state_snapshot_keygroup(const void *data, size_t len, wr_error *err);

/*
 * The size in bytes of the snapshot that starts at data, from its fixed
 * header, so snapshots appended one after another can be split; 0 with err
 * when the header is malformed.
 */
size_t wr_state_snapshot_size(const void *data, size_t len, wr_error *err);

#endif
