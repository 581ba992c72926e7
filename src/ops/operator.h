/*
 * operator.h — the contract between operators and the runtime.
 *
 * An operator is created once per parallel subtask from an immutable spec
 * (the plan's part) and keeps its per-run state in its own struct, which
 * embeds wr_operator first. The runtime calls it from one thread only (the
 * task's), so operators take no locks. Batches passed to process() are
 * borrowed for the call (see batch.h). Output goes through wr_op_emit(),
 * which hands the batch synchronously to the next chained operator or to
 * the exchange that ships it to other tasks; the batch is again only
 * borrowed, so an operator may reuse its output batch after emit returns.
 *
 * Every callback returns 0 or a negative wr_errcode with err filled; an
 * error fails the whole job with that message.
 */
#ifndef WR_OPERATOR_H
#define WR_OPERATOR_H

#include "../base/config.h"
#include "../base/error.h"
#include "../types/batch.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct wr_operator wr_operator;
typedef struct wr_op_ctx wr_op_ctx;

/*
 * Stream elements other than batches. A watermark says that no more rows
 * with an event time at or before it are expected (milliseconds; INT64_MAX at
 * end of input). IDLE and ACTIVE mark a stream that stopped or resumed
 * producing rows, so consumers leave it out of their watermark meanwhile.
 */
typedef enum wr_mark_kind {
    WR_MARK_WATERMARK,
    WR_MARK_IDLE,
    WR_MARK_ACTIVE,
    WR_MARK_BARRIER, /* checkpoint barrier: the rows before it belong to checkpoint `checkpoint` */
} wr_mark_kind;

typedef struct wr_mark {
    wr_mark_kind kind;
    int64_t time;       /* WR_MARK_WATERMARK */
    int64_t checkpoint; /* WR_MARK_BARRIER */
} wr_mark;

/*
 * What an operator instance writes at a checkpoint barrier: parts of bytes,
 * each either operator state (keygroup -1, e.g. a source's position) or the
 * keyed state of one key group. Filled on the task thread; written to
 * storage elsewhere, so an operator only copies its state into memory here.
 */
typedef struct wr_snapshot_part {
    int keygroup; /* -1: operator state */
    wr_buf data;
} wr_snapshot_part;

typedef struct wr_snapshot {
    int vertex, subtask; /* set by the runtime */
    bool finished;       /* the task had ended: nothing to restore, nothing to rerun */
    wr_snapshot_part *parts;
    int nparts;
} wr_snapshot;

/*
 * What a restored operator instance starts from: the parts of a checkpoint
 * that belong to it (its subtask's operator state, the keyed state of the
 * key groups it owns). Valid during create() and open() only.
 */
typedef struct wr_restore {
    int64_t checkpoint;
    bool finished; /* this subtask had ended: a source emits nothing more */
    bool rescaled; /* the parallelism changed: parts holds every old instance's operator state */
    const wr_snapshot_part **parts;
    int nparts;
} wr_restore;

/* Adds an empty part and returns its buffer to fill. */
wr_buf *wr_snapshot_add(wr_snapshot *snapshot, int keygroup);
void wr_snapshot_fini(wr_snapshot *snapshot);
/* Seals a part written into buf: appends the XXH3-64 (wr_hash_bytes) of its bytes. */
void wr_snapshot_seal(wr_buf *buf);
/*
 * Opens a part sealed by wr_snapshot_seal: checks the checksum and sets *r over the bytes
 * before it. WR_ERR_IO when the part is shorter than a checksum or does not match it.
 */
int wr_snapshot_part_open(const wr_snapshot_part *part, wr_buf_reader *r, wr_error *err);

#define WR_WATERMARK_MIN INT64_MIN /* no watermark yet */
#define WR_WATERMARK_MAX INT64_MAX /* end of input */

/* Where an operator's output goes; implemented by the runtime. */
typedef struct wr_collector wr_collector;
struct wr_collector {
    int (*push)(wr_collector *self, wr_batch *batch, wr_error *err);
    int (*mark)(wr_collector *self, const wr_mark *mark, wr_error *err);
};

/* What a source reports after one call of run(). */
typedef enum wr_source_status {
    WR_SOURCE_MORE = 0, /* call again soon */
    WR_SOURCE_IDLE = 1, /* nothing now: call again at ctx->idle_until_ns (monotonic) */
    WR_SOURCE_END = 2,  /* bounded input is exhausted */
} wr_source_status;

/*
 * What the parallel instances of one operator share during one run of a job:
 * the runtime gives every instance the same one (ctx->shared), zeroed, and
 * when the run ends, after every instance was destroyed, calls fini(data) if
 * data is set. Operators create data under lock and synchronize their use of
 * it themselves: this is the one place where an operator sees other threads.
 * A hash join builds one table here that all its instances probe.
 */
typedef struct wr_op_shared {
    pthread_mutex_t lock;
    void *data;
    void (*fini)(void *data);
} wr_op_shared;

/*
 * ctx->preferred_input value: read no input until one of its channels is full
 * or has ended (so an upstream task is never blocked for good), because the
 * operator waits for something outside its task; it sets a processing-time
 * timer to look again.
 */
#define WR_INPUT_HOLD (-2)

struct wr_op_ctx {
    int subtask;             /* 0-based index of this parallel instance */
    int parallelism;         /* number of parallel instances of this operator */
    int max_parallelism;     /* number of key groups */
    const char *name;        /* operator name, for messages */
    const wr_config *config; /* the job's configuration (read-only) */
    wr_collector *out;       /* main output (port 0); NULL when nothing consumes it */
    wr_collector **outs;     /* outputs by port: 0 main, 1.. side outputs; entries may be NULL */
    int nouts;
    const atomic_bool *cancelled; /* set when the job is cancelled or failed */
    int64_t idle_until_ns;        /* sources: set before returning WR_SOURCE_IDLE */
    int64_t rows_in;              /* counted by the runtime */
    int64_t rows_out;
    /*
     * Counted by operators (Flink's numRecordsInErrors and numLateRecordsDropped): records
     * a source skipped as malformed ('*.ignore-parse-errors'), rows dropped as late. The
     * task thread alone writes them; the runtime publishes them for other threads to read
     * (wr_job_metrics).
     */
    int64_t records_in_errors;
    int64_t late_records_dropped;
    /* Event time: the combined watermark of the inputs (maintained by the runtime). */
    int64_t watermark;
    /* What this operator last emitted (maintained by wr_op_emit_mark). */
    int64_t out_watermark;
    bool out_idle;
    /* Processing time: when set (wall-clock ms), the runtime calls on_time() at or after it. */
    int64_t timer_at_ms; /* INT64_MAX: no callback wanted */
    /*
     * An input to read before the others while it is open (a hash join's build
     * side), or -1 (the runtime's default): the others are read meanwhile only
     * when their channels are full, so an upstream task feeding both inputs is
     * never blocked for good; a source fused into the task (docs/architecture.md,
     * "Source fusion") that feeds only other inputs does not run meanwhile, nor does any
     * while the operator holds. Operators set and clear it as they go.
     */
    int preferred_input;
    /* Shared by the instances of this operator in this run; NULL when an operator is driven
     * without the runtime (tests). */
    wr_op_shared *shared;
    /* Restoring from a checkpoint: set during create() and open(), NULL otherwise. */
    const wr_restore *restore;
};

typedef struct wr_operator_ops {
    const char *kind; /* "datagen", "calc", "print", ... */
    /* Creates an instance for one subtask. spec is borrowed and outlives the instance. */
    wr_operator *(*create)(const void *spec, wr_op_ctx *ctx, wr_error *err);
    /* Called once before any data; may fail. Optional. */
    int (*open)(wr_operator *op, wr_error *err);
    /* Sources only: produce at most about one batch of output. */
    int (*run)(wr_operator *op, wr_source_status *status, wr_error *err);
    /* One batch of input `input` (0 for single-input operators). */
    int (*process)(wr_operator *op, int input, wr_batch *batch, wr_error *err);
    /* All channels of input `input` have ended. Emit final results here. Optional. */
    int (*end_input)(wr_operator *op, int input, wr_error *err);
    /*
     * The combined watermark of all inputs advanced to ctx->watermark. Optional:
     * without it the watermark is forwarded. An operator with this callback
     * forwards the watermark itself (wr_op_emit_watermark) after acting on it.
     */
    int (*watermark)(wr_operator *op, int64_t watermark, wr_error *err);
    /* Processing time reached ctx->timer_at_ms (now_ms is the wall clock). Optional. */
    int (*on_time)(wr_operator *op, int64_t now_ms, wr_error *err);
    /*
     * Checkpoint `checkpoint`'s barrier reached this operator (on every input):
     * copy its state into out. The runtime forwards the barrier afterwards.
     * Optional: operators without state need none.
     */
    int (*snapshot)(wr_operator *op, int64_t checkpoint, wr_snapshot *out, wr_error *err);
    /* Checkpoint `checkpoint` is complete and durable: commit what it covers. Optional. */
    int (*checkpoint_done)(wr_operator *op, int64_t checkpoint, wr_error *err);
    /*
     * Operator state can move to another parallelism as a union: every new
     * instance gets every old instance's parts (wr_restore.rescaled) and
     * keeps its share. Without it such a restore is refused.
     */
    bool union_state;
    /*
     * The bytes of state the instance holds now: what grows with the data and is checkpointed
     * (keyed state, buffered rows, hash tables, heaps), not per-batch scratch. Where live bytes
     * are not tracked, the allocated capacity of the structures that hold state. Must be O(1)
     * (a maintained counter or a sum of a few capacities, never a walk over the state): the
     * runtime calls it after every batch. Task thread only. Optional: stateless operators
     * hold none.
     */
    size_t (*state_bytes)(const wr_operator *op);
    /* Releases the instance; called once for every created instance, after success or failure. */
    void (*destroy)(wr_operator *op);
} wr_operator_ops;

struct wr_operator {
    const wr_operator_ops *ops;
    wr_op_ctx *ctx;
};

/*
 * An operator together with its immutable spec: what a plan hands the
 * runtime for one job-graph vertex. spec is owned and freed with spec_free.
 */
typedef struct wr_operator_spec {
    const wr_operator_ops *ops;
    void *spec; /* owned; freed with spec_free */
    void (*spec_free)(void *spec);
    int parallelism; /* requested parallelism, or -1 for the job default */
    bool bounded;    /* sources: input ends by itself */
    /* Sources: the change kinds the rows may carry, a bit (1 << wr_change_kind) per kind; 0
     * means inserts only. Without UPDATE_BEFORE but with UPDATE_AFTER or DELETE it is an
     * upsert source (Flink's upsert changelog mode): rows are the latest version per primary
     * key, a -D row may carry only the key, and the planner normalizes it. */
    uint8_t changes;
} wr_operator_spec;

/* Frees the spec (not the ops table). */
void wr_operator_spec_fini(wr_operator_spec *spec);

static inline int wr_op_emit(wr_op_ctx *ctx, wr_batch *batch, wr_error *err)
{
    int n = wr_batch_rows(batch);
    if (n == 0 || ctx->out == NULL) return 0;
    ctx->rows_out += n;
    return ctx->out->push(ctx->out, batch, err);
}

/* Emits a batch on output port `port` (0 is the main output). */
static inline int wr_op_emit_to(wr_op_ctx *ctx, int port, wr_batch *batch, wr_error *err)
{
    int n = wr_batch_rows(batch);
    if (n == 0 || port >= ctx->nouts || ctx->outs[port] == NULL) return 0;
    ctx->rows_out += n;
    return ctx->outs[port]->push(ctx->outs[port], batch, err);
}

/*
 * Emits a watermark on every output. Watermarks only advance: one at or
 * below the last emitted is dropped. An idle output becomes active first.
 */
int wr_op_emit_watermark(wr_op_ctx *ctx, int64_t watermark, wr_error *err);
/* Marks every output idle or active (no-op when unchanged). */
int wr_op_emit_idle(wr_op_ctx *ctx, bool idle, wr_error *err);
/* Sends a mark on every output as it is (the runtime forwards barriers with it). */
int wr_op_emit_mark(wr_op_ctx *ctx, const wr_mark *mark, wr_error *err);

static inline bool wr_op_cancelled(const wr_op_ctx *ctx)
{
    return ctx->cancelled && atomic_load_explicit(ctx->cancelled, memory_order_relaxed);
}

#endif
