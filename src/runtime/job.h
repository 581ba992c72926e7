/*
 * job.h — running a job graph: tasks on threads, channels, completion, failure.
 *
 * wr_job_start() expands the graph into subtasks, fuses forward-connected
 * operators of equal parallelism into one task (operator chaining, unless
 * 'pipeline.operator-chaining' is false), connects tasks with bounded
 * channels and starts one thread per task. The job ends when every task has
 * seen end of input, or fails as a whole when any operator fails: the first
 * error is kept, every task is woken and stops, and wr_job_wait() returns it.
 *
 * Configuration read here: 'parallelism.default' (1), 'pipeline.max-parallelism'
 * (128), 'execution.buffer-timeout' (100 ms; 0 flushes after every batch),
 * 'taskmanager.network.channel-capacity' (batches per channel, 4),
 * 'pipeline.operator-chaining' (true).
 */
#ifndef WR_JOB_H
#define WR_JOB_H

#include "jobgraph.h"

typedef struct wr_job wr_job;
typedef struct wr_task wr_task;
typedef struct wr_checkpoint wr_checkpoint;

/*
 * Starts the job. Takes ownership of graph, even on error. Returns NULL with
 * err filled when the graph or configuration is invalid (e.g. a forward edge
 * between different parallelisms).
 */
wr_job *wr_job_start(wr_jobgraph *graph, const wr_config *config, wr_error *err);

/*
 * As wr_job_start, restoring every operator from checkpoint `from` (taken
 * over, even on error): each instance gets its subtask's operator state and
 * the keyed state of the key groups it owns (ctx->restore). Keyed state
 * follows its key groups to any parallelism; operator state needs the
 * parallelism it was written at (WR_ERR_VALIDATION otherwise).
 */
wr_job *wr_job_start_from(wr_jobgraph *graph, const wr_config *config, wr_checkpoint *from,
                          wr_error *err);

/*
 * Checks the runtime's configuration keys (listed above) without starting
 * anything: 0, or WR_ERR_VALIDATION naming the key and value.
 */
int wr_job_check_config(const wr_config *config, wr_error *err);

/*
 * Blocks until the job finishes. Returns 0 when it completed, the failing
 * operator's error (prefixed with the operator's name and subtask), or
 * WR_ERR_CANCELLED. timeout_ms < 0 waits forever; on timeout returns 1 and
 * the job keeps running.
 */
int wr_job_wait(wr_job *job, int64_t timeout_ms, wr_error *err);

/*
 * Runs a job that ended (failed) again from checkpoint `from` (taken over;
 * NULL: from the start), with the same graph and configuration: its tasks
 * are torn down and rebuilt. 0, or an error (the job then stays failed).
 */
int wr_job_restart(wr_job *job, wr_checkpoint *from, wr_error *err);

/* Requests cancellation; safe from any thread (not from a signal handler). */
void wr_job_cancel(wr_job *job);

/* Frees a finished job (waits for it first if needed). */
void wr_job_free(wr_job *job);

/* Mail: an action run on a task's thread between batches. */
typedef void (*wr_mail_fn)(wr_task *task, void *arg);
/* Posts fn(arg) to the task running subtask `subtask` of `vertex`. Returns -1 if unknown. */
int wr_job_post(wr_job *job, int vertex, int subtask, wr_mail_fn fn, void *arg);

/*
 * Checkpoints (asynchronous barrier snapshots). wr_job_trigger_checkpoint
 * posts a barrier to every source task; each task snapshots its operators
 * when the barrier has arrived on all its inputs (aligned: exactly-once, the
 * default; or not: 'execution.checkpointing.mode' = AT_LEAST_ONCE), forwards
 * it and acknowledges. Tasks that have ended acknowledge as finished. When
 * every task acknowledged, the checkpoint is complete in memory and
 * wr_job_take_checkpoint hands it to the caller (a coordinator, which makes
 * it durable and then calls wr_job_checkpoint_done). One checkpoint is in
 * flight at a time. These functions may be called from any thread.
 */
struct wr_checkpoint {
    int64_t id;
    wr_snapshot *snapshots; /* one per task operator that wrote state or finished */
    int nsnapshots;
};

void wr_checkpoint_free(wr_checkpoint *checkpoint);

/* 0, or 1 when a checkpoint is still in flight (then nothing is triggered); ids must ascend. */
int wr_job_trigger_checkpoint(wr_job *job, int64_t id);
/*
 * As wr_job_trigger_checkpoint for a savepoint that stops the job: sources
 * emit nothing after its barrier, so no row follows the savepoint (the
 * caller cancels the job once it completed).
 */
int wr_job_trigger_savepoint(wr_job *job, int64_t id);
/* Hands over the checkpoint completed since the last call: 1 and *out, or 0. */
int wr_job_take_checkpoint(wr_job *job, wr_checkpoint **out);
/* Drops the checkpoint in flight (e.g. after a timeout); its late acknowledgements are ignored. */
void wr_job_abort_checkpoint(wr_job *job, int64_t id);
/* Tells every running operator (checkpoint_done, on its task's thread) that id is durable. */
void wr_job_checkpoint_done(wr_job *job, int64_t id);

typedef struct wr_job_stats {
    int ntasks;
    int nchannels;
    int channel_capacity;  /* batches */
    int max_channel_depth; /* most batches ever queued in one channel */
    int64_t batches_exchanged;
    int64_t rows_into_sinks; /* rows received by operators without outputs */
    int64_t max_snapshot_ns; /* longest pause of a task for its snapshots at one barrier */
} wr_job_stats;

void wr_job_stats_get(wr_job *job, wr_job_stats *stats);

/*
 * Metrics of one vertex, summed over its subtasks (Flink's operator metrics of the same
 * names). A source's records_in stays 0: its rows enter as records_out.
 */
typedef struct wr_vertex_metrics {
    const char *name; /* borrowed from the job graph */
    const char *kind; /* the operator's kind ("filesystem", "window-agg", ...) */
    int parallelism;
    bool source;
    int64_t records_in;           /* numRecordsIn: rows the operator received */
    int64_t records_out;          /* numRecordsOut: rows it emitted, on every output port */
    int64_t records_in_errors;    /* numRecordsInErrors: malformed records skipped */
    int64_t late_records_dropped; /* numLateRecordsDropped: rows dropped as late */
    int64_t state_bytes;          /* bytes of state held now (at the end once it ended) */
    int64_t state_bytes_peak;     /* the sum of each instance's largest state_bytes */
} wr_vertex_metrics;

/*
 * Fills out[v] for the vertices v < cap of the job graph and returns the number of
 * vertices (cap 0 only counts them). Safe from any thread while the job runs: a running task
 * publishes its counters after each batch it handles, so they may lag by one batch; once the job
 * has ended (wr_job_wait returned) they are final. After wr_job_restart they count from the
 * restart.
 */
int wr_job_metrics(const wr_job *job, wr_vertex_metrics *out, int cap);

#endif
