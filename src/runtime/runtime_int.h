/*
 * runtime_int.h — structures shared by the runtime's files (job.c, exchange.c).
 *
 * Locking: each task owns one mutex (task->lock) and one condition variable
 * (task->wake). The channels a task consumes and its mailbox are guarded by
 * that task's mutex, so a consumer waits for "any input or mail" on a single
 * condition. A producer blocked on a full channel waits on the channel's
 * not_full condition with the consumer's mutex. Nothing holds two task locks.
 */
#ifndef WR_RUNTIME_INT_H
#define WR_RUNTIME_INT_H

#include "job.h"

#include <pthread.h>

/* What travels on a channel: a batch (owned), or a mark when batch is NULL. */
typedef struct wr_elem {
    wr_batch *batch;
    wr_mark mark;
} wr_elem;

typedef struct wr_channel {
    wr_task *consumer;
    int input;     /* logical input index at the consumer's head operator */
    wr_elem *ring; /* cap entries in flight */
    int cap, head, len;
    bool closed; /* producer sent end of input (after the queued batches) */
    /* The producer is a source run by the consumer's own task (fused into it): a put never
     * waits for room (the ring grows), and the task runs the source only when the channel
     * is empty, which bounds what it holds. */
    bool local;
    bool ended; /* consumer has taken end of input */
    /* Consumer's view of the producer's event time (consumer thread only). */
    int64_t watermark;
    bool idle;
    /* Barrier alignment (consumer thread only): the last barrier that arrived here, and
     * whether the channel is held back until that barrier arrived on every channel. */
    int64_t barrier;
    bool blocked;
    pthread_cond_t not_full;
    bool producer_waits; /* the producer sleeps on not_full (woken once half is free) */
    int queued_batches;  /* batches among the len elements */
    /* A sleeping consumer is woken by the batch that brings queued_batches to this (see
     * wr_channel_put). */
    int wake_batches;
    int max_len;
    int64_t batches;
    /* Batches the consumer is done with, emptied, for the producer to fill again (at most
     * cap): a batch that crosses a channel is allocated once, not once per trip. */
    wr_batch **spare;
    int nspare;
} wr_channel;

/* Ships one operator output to the subtasks of a downstream vertex. */
typedef struct wr_writer {
    wr_collector collector; /* first: the operator's output points here */
    wr_job *job;
    wr_partition part;
    const wr_keysel *key; /* borrowed from the job graph */
    int max_parallelism;
    int ntargets;
    wr_channel **targets; /* borrowed; owned by the job */
    wr_batch **bufs;      /* batch under construction per target, or NULL */
    uint32_t **rows;      /* scratch: row indexes per target */
    int *nrows;
    const wr_type *types;
    int ncols;
    int next_target;          /* rebalance position */
    int64_t pending_since_ns; /* when the oldest unsent row was buffered; 0 when none */
    /* Targets whose sleeping consumer this writer left asleep with a batch queued, and since
     * when (0: none); see wr_channel_put. */
    bool *owed;
    int64_t owed_since_ns;
    wr_buf keybuf;
    uint16_t *group_target; /* hash: target subtask of each key group (no division per row) */
} wr_writer;

void wr_writer_init(wr_writer *w, wr_job *job, wr_partition part, const wr_keysel *key,
                    const wr_type *types, int ncols, wr_channel **targets, int ntargets,
                    int max_parallelism);
void wr_writer_fini(wr_writer *w);
/* Sends every partially filled buffer. */
int wr_writer_flush(wr_writer *w, wr_error *err);
/* The longest a writer leaves a consumer asleep with a batch queued (wr_channel_put). */
#define WR_WAKE_DELAY_NS 1000000
/* Wakes the consumers this writer left asleep (wr_writer.owed). */
void wr_writer_wake(wr_writer *w);
/* Flushes, then sends the mark to every target (marks follow the rows before them). */
int wr_writer_mark(wr_writer *w, const wr_mark *mark, wr_error *err);
/* Flushes, then closes every target channel. */
int wr_writer_end(wr_writer *w, wr_error *err);

void wr_channel_init(wr_channel *ch, wr_task *consumer, int input, int cap);
void wr_channel_fini(wr_channel *ch);
/*
 * Puts elem on the channel, waiting while it is full; takes ownership of elem's batch, even
 * on error. A watermark right behind a queued watermark replaces it. When reuse is not NULL
 * it receives a spare batch to fill next (or NULL when there is none).
 *
 * Waking the consumer: one that is not asleep looks at its channels before it sleeps (under
 * the lock), so it needs no signal. A sleeping one is woken at once by marks other than
 * watermarks and by every put when defer is NULL. With defer (the writer), a batch or a
 * watermark leaves it asleep until the channel holds wake_batches batches: while a producer
 * is busy the next batch follows shortly, and waking per batch costs two context switches a
 * batch when producers and consumers share cores. The writer then owes the wake and pays it
 * when its task is about to sleep or block, after a buffer timeout flush, or after
 * WR_WAKE_DELAY_NS (wr_writer_wake); Flink's watermarks likewise travel in network buffers
 * that wait for the buffer timeout.
 */
int wr_channel_put(wr_channel *ch, wr_elem elem, wr_batch **reuse, wr_writer *defer, wr_error *err);
/* The consumer is done with batch (its own): keeps it as a spare or frees it. Called with
 * the consumer's lock held. */
void wr_channel_recycle(wr_channel *ch, wr_batch *batch);
void wr_channel_close(wr_channel *ch);
/*
 * A local channel's batch handed to its consumer at once, as a chained operator's: only
 * while nothing is queued before it and the channel is not held by barrier alignment.
 * Called on the consumer's own thread (the fused source's). Returns 1 when it could not
 * (the caller queues the batch), 0 when delivered, or an error.
 */
int wr_channel_deliver_local(wr_channel *ch, wr_batch *batch, wr_error *err);

/* The consumers of one output port of an operator inside a task. */
typedef struct wr_task_port {
    wr_collector fanout; /* first: used when the port has more than one consumer */
    struct wr_task_op **chained;
    int nchained;
    wr_writer **writers;
    int nwriters;
} wr_task_port;

/*
 * The counters of one operator instance as its task last published them (after every batch
 * or source call and when the task ends), for any thread to read without a lock. They
 * belong to the job, not to the task: they outlive the tasks and survive a restart (which
 * zeroes them, as the new attempt counts from zero).
 */
typedef struct wr_op_counters {
    _Atomic int64_t rows_in, rows_out, records_in_errors, late_records_dropped;
    _Atomic int64_t state_bytes, state_bytes_peak; /* ops->state_bytes now, and its maximum */
} wr_op_counters;

/* One operator instance inside a task. */
typedef struct wr_task_op {
    struct wr_task *task;
    int vertex;
    wr_operator *op;
    wr_op_ctx ctx;
    wr_task_port *ports; /* one per output port of the vertex */
    int nports;
    wr_collector **outs; /* ctx.outs: per port the single consumer, the fanout or NULL */
    int ninputs;         /* inputs of the head; chained operators have 1 */
    int ninputs_ended;
    bool opened;
    wr_restore restore; /* what it starts from (parts borrowed from job->restore) */
    /* A source fused into another chain's task: the local channels its chain writes into,
     * whether it has ended, and until when it said it has nothing (WR_SOURCE_IDLE). */
    wr_channel **local_out;
    int nlocal_out;
    struct wr_task_op *fused; /* in a fused source's chain: that source; else NULL */
    bool source_ended;
    int64_t idle_until_ns;
    wr_op_counters *counters; /* where ctx's counters are published (owned by the job) */
} wr_task_op;

typedef struct wr_mail {
    wr_mail_fn fn;
    void *arg;
    struct wr_mail *next;
} wr_mail;

struct wr_task {
    wr_job *job;
    int index;
    char *name;
    int subtask;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool sleeping; /* in timed_wait (lock): only then does a put need to signal wake */
    wr_mail *mail_head, *mail_tail;
    wr_channel **inputs; /* borrowed; owned by the job */
    int ninputs;
    int next_input;   /* round-robin position over inputs */
    wr_task_op **ops; /* ops[0] is the head, then its chain, then the fused sources' chains */
    int nops;
    bool is_source;       /* the head is a source (run_source) */
    wr_task_op **sources; /* sources fused into this task, run when their channels are empty */
    int nsources;
    int next_source;     /* round-robin position over sources */
    bool source_turn;    /* a fused source runs next if one can (task thread) */
    bool halted;         /* a source past a stop savepoint's barrier (task thread) */
    int64_t snapshot_ns; /* time in snapshot callbacks for the barrier in hand (task thread) */
    bool inputs_idle;    /* every input channel is idle (task thread only) */
    /* Barrier alignment (task thread only). */
    int64_t aligning; /* checkpoint whose barriers are arriving, or 0 */
    /* Checkpoints (job->lock). */
    int64_t acked; /* the last checkpoint this task acknowledged */
    bool finished; /* the task ended; it acknowledges as finished */
    /* Snapshots taken for barriers not yet acknowledged, and their checkpoints (task thread).
     * A task with fused sources holds theirs from the barrier's injection until its head is
     * aligned, and a newer checkpoint may overtake an abandoned one meanwhile. */
    wr_snapshot *pending;
    int64_t *pending_id;
    int npending;
};

struct wr_job {
    wr_jobgraph *graph;
    wr_config config;
    atomic_bool cancelled;
    pthread_mutex_t lock;
    pthread_cond_t done;
    int running;
    bool failed;
    wr_error error;
    wr_task **tasks;
    int ntasks;
    wr_channel **channels;
    int nchannels;
    int max_parallelism;
    int channel_capacity;
    int64_t buffer_timeout_ns;
    bool exactly_once;       /* barrier alignment ('execution.checkpointing.mode') */
    int64_t stop_id;         /* a savepoint after whose barrier sources stop (lock) */
    int64_t max_snapshot_ns; /* longest a task spent in snapshots for one barrier (lock) */
    /* Checkpoint in flight and the last completed one (lock). */
    int64_t chk_id;          /* in flight, or 0 */
    int chk_acks;            /* tasks that acknowledged it */
    wr_checkpoint *chk;      /* being assembled */
    wr_checkpoint *chk_done; /* complete, not yet taken */
    wr_checkpoint *restore;  /* the checkpoint the job started from, or NULL */
    /* vertex -> subtask -> (task, op) */
    wr_task ***vertex_tasks;
    wr_task_op ***vertex_ops;
    wr_op_shared *vertex_shared; /* per vertex: what its operator instances share */
    /* Per vertex, per subtask: published counters (job->counters + counters_at[v] + s).
     * Allocated by the first build, freed with the job. */
    wr_op_counters *counters;
    int *counters_at;
};

#endif
