/*
 * storage.h — checkpoints on disk: one directory per checkpoint, written so
 * that a crash at any moment leaves either a complete checkpoint or one that
 * is recognizably incomplete, never one that reads as complete but is not.
 *
 * Layout (docs/checkpoints.md):
 *   <dir>/<job>/chk-<id>/v<vertex>-s<subtask>.op    operator state of a subtask
 *   <dir>/<job>/chk-<id>/v<vertex>-kg<group>.kg     keyed state of a key group
 *   <dir>/<job>/chk-<id>/_metadata                  written last (temp + fsync + rename)
 * A checkpoint is complete when its _metadata exists and verifies: it lists
 * every file with its size and checksum, the finished subtasks, and its own
 * checksum. Called by the checkpoint coordinator, never on a task thread.
 */
#ifndef WR_CHECKPOINT_STORAGE_H
#define WR_CHECKPOINT_STORAGE_H

#include "../runtime/job.h"

/*
 * Writes chk as checkpoint chk->id of job under dir (directories are
 * created). max_parallelism is recorded so a restore can check it. Returns
 * 0, or WR_ERR_IO naming the path; a failed write leaves no _metadata.
 */
int wr_chk_write(const char *dir, const char *job, const wr_checkpoint *chk, int max_parallelism,
                 wr_error *err);

/*
 * Keeps the newest `retain` complete checkpoints of job and removes the
 * older ones and any incomplete directory older than the newest complete.
 */
int wr_chk_retain(const char *dir, const char *job, int retain, wr_error *err);

/*
 * The path of the newest complete checkpoint of job (caller frees): 1 when
 * found, 0 when there is none. A checkpoint whose _metadata does not verify
 * is skipped for an older one, and *skipped (if not NULL) counts them.
 */
int wr_chk_latest(const char *dir, const char *job, char **path, int *skipped, wr_error *err);

/* The directory checkpoint id of job has (or would have) under dir; caller frees. */
char *wr_chk_path(const char *dir, const char *job, int64_t id);

/* The highest checkpoint id under the job's directory, complete or not (0 when none). */
int64_t wr_chk_max_id(const char *dir, const char *job);

/*
 * Loads the checkpoint at path: every file is read and checked against its
 * size and checksum in _metadata. On success *out is a new checkpoint (free
 * with wr_checkpoint_free) and *max_parallelism the recorded value. A missing,
 * truncated or corrupt file is WR_ERR_IO naming the file.
 */
int wr_chk_load(const char *path, wr_checkpoint **out, int *max_parallelism, wr_error *err);

#endif
