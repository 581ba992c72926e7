/*
 * coordinator.h — the checkpoint coordinator of a running job.
 *
 * Triggers checkpoints every 'execution.checkpointing.interval' (leaving at
 * least 'execution.checkpointing.min-pause' between the end of one and the
 * start of the next), aborts one that takes longer than
 * 'execution.checkpointing.timeout', writes each completed checkpoint to
 * 'state.checkpoints.dir' (storage.h), keeps 'state.checkpoints.num-retained'
 * of them, and only then tells the operators it is durable. More than
 * 'execution.checkpointing.tolerable-failed-checkpoints' failures in a row
 * fail the job. When the job fails, the restart strategy (restart.h) decides
 * whether it runs again from the latest complete checkpoint. It runs on the
 * thread that waits for the job (wr_coordinator_wait), so task threads never
 * wait for storage.
 */
#ifndef WR_CHECKPOINT_COORDINATOR_H
#define WR_CHECKPOINT_COORDINATOR_H

#include "../runtime/job.h"

typedef struct wr_coordinator wr_coordinator;

/*
 * Checks the values of the checkpointing options of a configuration (SET
 * time): 0, or WR_ERR_VALIDATION naming the key and value.
 */
int wr_coordinator_check_config(const wr_config *config, wr_error *err);

/*
 * A coordinator for job `name` under config, in *out; *out is NULL when
 * there is nothing to coordinate (no checkpoint interval, no restart strategy). Returns 0 or a
 * validation error (also for options that do not fit together, e.g. an interval without a
 * directory).
 */
int wr_coordinator_new(const wr_config *config, const char *name, wr_coordinator **out,
                       wr_error *err);

/*
 * Waits for a started job while coordinating its checkpoints (c may be
 * NULL). Returns as wr_job_wait does (1 when timeout_ms passed); when the
 * coordinator fails the job it cancels it, waits for it and returns that error.
 * cancel (may be NULL) is checked between waits and cancels the job when set.
 * stop (may be NULL) asks for stop-with-savepoint: with 'state.savepoints.dir'
 * a checkpoint is taken and written there, then the job is cancelled and
 * WR_ERR_CANCELLED returned (wr_coordinator_savepoint gives its path);
 * without it, stop cancels.
 */
int wr_coordinator_wait(wr_coordinator *c, wr_job *job, int64_t timeout_ms,
                        const atomic_bool *cancel, const atomic_bool *stop, wr_error *err);

/* The directory of the savepoint a stop wrote, or NULL. */
const char *wr_coordinator_savepoint(const wr_coordinator *c);
void wr_coordinator_free(wr_coordinator *c);

/*
 * Does what is due now: collects and stores a completed checkpoint, times
 * one out, triggers the next. Returns 0, or an error when the job must fail
 * (too many failed checkpoints, with the last failure's message).
 */
int wr_coordinator_poll(wr_coordinator *c, wr_job *job, wr_error *err);

/*
 * The checkpoint a job starts from, in *out (NULL: start fresh): the one at
 * 'execution.savepoint.path' when set, else with `resume` the latest
 * complete checkpoint of job `name` in 'state.checkpoints.dir' (none yet:
 * fresh). Its max parallelism must equal 'pipeline.max-parallelism'. The
 * coordinator c (may be NULL) remembers it: restarts go back to it until the
 * job has a checkpoint of its own.
 * Errors name the path and what is wrong with it.
 */
int wr_coordinator_restore_point(wr_coordinator *c, const wr_config *config, const char *name,
                                 bool resume, wr_checkpoint **out, wr_error *err);

/* How long the caller may wait before the next poll is due (ms; at most 50). */
int64_t wr_coordinator_wait_ms(const wr_coordinator *c);

typedef struct wr_coordinator_stats {
    int64_t completed, failed;
    int64_t restarts;         /* times the job ran again after a failure */
    int64_t last_id;          /* newest durable checkpoint, or 0 */
    int64_t last_duration_ms; /* trigger to durable */
    int64_t last_bytes;       /* state bytes of the newest durable checkpoint */
} wr_coordinator_stats;

void wr_coordinator_stats_get(const wr_coordinator *c, wr_coordinator_stats *stats);

#endif
