/*
 * job.c — execution graph, the task mailbox loop, completion and failure.
 *
 * Each task is one thread that runs a chain of operators. Its loop takes, in
 * order of priority: mail (actions posted from other threads), input batches
 * from its channels (round-robin, so no input starves), and end-of-input
 * markers; between them it flushes output buffers whose buffer timeout has
 * passed. A source task instead calls its source's run() and waits only when
 * the source is idle (throttled). Operators therefore never see two threads.
 */
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../state/keygroup.h"
#include "runtime_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- failure and cancellation ------------------------------------------- */

static void wake_all(wr_job *job)
{
    for (int i = 0; i < job->ntasks; i++) {
        wr_task *t = job->tasks[i];
        pthread_mutex_lock(&t->lock);
        pthread_cond_broadcast(&t->wake);
        for (int c = 0; c < t->ninputs; c++) pthread_cond_broadcast(&t->inputs[c]->not_full);
        pthread_mutex_unlock(&t->lock);
    }
}

/* Records the first failure and stops every task. */
static void job_fail(wr_job *job, const wr_error *err)
{
    pthread_mutex_lock(&job->lock);
    if (!job->failed) {
        job->failed = true;
        wr_error_copy(&job->error, err);
    }
    pthread_mutex_unlock(&job->lock);
    atomic_store(&job->cancelled, true);
    wake_all(job);
}

void wr_job_cancel(wr_job *job)
{
    wr_error err;
    wr_error_init(&err);
    wr_error_set(&err, WR_ERR_CANCELLED, "job cancelled");
    job_fail(job, &err);
}

/* ---- operator outputs ----------------------------------------------------- */

static int attribute(wr_task_op *top, int rc, wr_error *err)
{
    if (rc && rc != WR_ERR_CANCELLED && !err->attributed) {
        wr_error_prefix(err, "operator '%s' (subtask %d/%d) failed: ", top->ctx.name,
                        top->ctx.subtask + 1, top->ctx.parallelism);
        err->attributed = true;
    }
    return rc;
}

static int deliver(wr_task_op *top, int input, wr_batch *batch, wr_error *err)
{
    top->ctx.rows_in += wr_batch_rows(batch);
    return attribute(top, top->op->ops->process(top->op, input, batch, err), err);
}

static int take_barrier(wr_task_op *top, const wr_mark *mark, wr_error *err);

/* A mark for the operator's (combined) input. */
static int deliver_mark(wr_task_op *top, const wr_mark *mark, wr_error *err)
{
    wr_op_ctx *ctx = &top->ctx;
    if (mark->kind == WR_MARK_BARRIER) return take_barrier(top, mark, err);
    if (mark->kind != WR_MARK_WATERMARK)
        return wr_op_emit_idle(ctx, mark->kind == WR_MARK_IDLE, err);
    if (mark->time <= ctx->watermark) return 0;
    ctx->watermark = mark->time;
    if (top->op->ops->watermark)
        return attribute(top, top->op->ops->watermark(top->op, mark->time, err), err);
    return wr_op_emit_watermark(ctx, mark->time, err);
}

static int port_push(wr_collector *self, wr_batch *batch, wr_error *err)
{
    wr_task_port *port = (wr_task_port *)self;
    for (int i = 0; i < port->nchained; i++) {
        int rc = deliver(port->chained[i], 0, batch, err);
        if (rc) return rc;
    }
    for (int i = 0; i < port->nwriters; i++) {
        int rc = port->writers[i]->collector.push(&port->writers[i]->collector, batch, err);
        if (rc) return rc;
    }
    return 0;
}

static int port_mark(wr_collector *self, const wr_mark *mark, wr_error *err)
{
    wr_task_port *port = (wr_task_port *)self;
    for (int i = 0; i < port->nchained; i++) {
        int rc = deliver_mark(port->chained[i], mark, err);
        if (rc) return rc;
    }
    for (int i = 0; i < port->nwriters; i++) {
        int rc = wr_writer_mark(port->writers[i], mark, err);
        if (rc) return rc;
    }
    return 0;
}

/* A chained operator as the only consumer of a port. */
typedef struct chained_output {
    wr_collector collector;
    wr_task_op *top;
} chained_output;

static int chained_push(wr_collector *self, wr_batch *batch, wr_error *err)
{
    return deliver(((chained_output *)self)->top, 0, batch, err);
}

static int chained_mark(wr_collector *self, const wr_mark *mark, wr_error *err)
{
    return deliver_mark(((chained_output *)self)->top, mark, err);
}

static void wire_outputs(wr_task_op *top)
{
    top->outs = wr_calloc((size_t)(top->nports ? top->nports : 1), sizeof(wr_collector *));
    for (int p = 0; p < top->nports; p++) {
        wr_task_port *port = &top->ports[p];
        port->fanout.push = port_push;
        port->fanout.mark = port_mark;
        if (port->nchained == 0 && port->nwriters == 1) {
            top->outs[p] = &port->writers[0]->collector;
        } else if (port->nchained == 1 && port->nwriters == 0) {
            chained_output *c = wr_malloc(sizeof(*c));
            c->collector.push = chained_push;
            c->collector.mark = chained_mark;
            c->top = port->chained[0];
            top->outs[p] = &c->collector;
        } else if (port->nchained + port->nwriters > 0) {
            top->outs[p] = &port->fanout;
        }
    }
    top->ctx.outs = top->outs;
    top->ctx.nouts = top->nports;
    top->ctx.out = top->nports > 0 ? top->outs[0] : NULL;
}

static void unwire_outputs(wr_task_op *top)
{
    for (int p = 0; p < top->nports; p++) {
        wr_task_port *port = &top->ports[p];
        if (top->outs && top->outs[p] && top->outs[p]->push == chained_push) wr_free(top->outs[p]);
        for (int w = 0; w < port->nwriters; w++) {
            wr_writer_fini(port->writers[w]);
            wr_free(port->writers[w]->targets);
            wr_free(port->writers[w]);
        }
        wr_free(port->writers);
        wr_free(port->chained);
    }
    wr_free(top->outs);
    wr_free(top->ports);
}

/* ---- checkpoints ------------------------------------------------------------- */

static void post_task(wr_task *t, wr_mail_fn fn, void *arg);
static int flush_due(wr_task *t, bool force, bool wake, int64_t *next_deadline, wr_error *err);

/* Adds a snapshot to a checkpoint being assembled (taking its parts). */
static void checkpoint_add(wr_checkpoint *chk, wr_snapshot *s)
{
    chk->snapshots =
        wr_realloc(chk->snapshots, (size_t)(chk->nsnapshots + 1) * sizeof(wr_snapshot));
    chk->snapshots[chk->nsnapshots++] = *s;
    memset(s, 0, sizeof(*s));
}

void wr_checkpoint_free(wr_checkpoint *chk)
{
    if (chk == NULL) return;
    for (int i = 0; i < chk->nsnapshots; i++) wr_snapshot_fini(&chk->snapshots[i]);
    wr_free(chk->snapshots);
    wr_free(chk);
}

/* The barrier reached an operator: it snapshots, then the barrier goes on. */
static void add_pending(wr_task *t, const wr_snapshot *s, int64_t id)
{
    t->pending = wr_realloc(t->pending, (size_t)(t->npending + 1) * sizeof(wr_snapshot));
    t->pending_id = wr_realloc(t->pending_id, (size_t)(t->npending + 1) * sizeof(int64_t));
    t->pending[t->npending] = *s;
    t->pending_id[t->npending++] = id;
}

static int take_barrier(wr_task_op *top, const wr_mark *mark, wr_error *err)
{
    wr_task *t = top->task;
    if (top->op->ops->snapshot) {
        wr_snapshot s = {.vertex = top->vertex, .subtask = top->ctx.subtask};
        int64_t t0 = wr_clock_mono_ns();
        int rc = attribute(top, top->op->ops->snapshot(top->op, mark->checkpoint, &s, err), err);
        t->snapshot_ns += wr_clock_mono_ns() - t0; /* the task holds its records meanwhile */
        if (rc) {
            wr_snapshot_fini(&s);
            return rc;
        }
        add_pending(t, &s, mark->checkpoint);
    }
    return wr_op_emit_mark(&top->ctx, mark, err);
}

/* Records an acknowledgement; completes the checkpoint with the last one. Holds job->lock. */
static void ack_locked(wr_job *job, wr_task *t, int64_t id)
{
    t->acked = id;
    if (++job->chk_acks < job->ntasks) return;
    wr_checkpoint_free(job->chk_done); /* an older one nobody took */
    job->chk_done = job->chk;
    job->chk = NULL;
    job->chk_id = 0;
}

/* The marker of an operator whose task had ended. */
static void add_finished(wr_checkpoint *chk, const wr_task *t)
{
    for (int o = 0; o < t->nops; o++) {
        wr_snapshot s = {.vertex = t->ops[o]->vertex, .subtask = t->subtask, .finished = true};
        checkpoint_add(chk, &s);
    }
}

/*
 * The task processed checkpoint id's barrier: hand over its snapshots. When
 * a snapshot failed (ok false) the checkpoint cannot complete: it is dropped.
 */
static void task_ack(wr_task *t, int64_t id, bool ok)
{
    wr_job *job = t->job;
    pthread_mutex_lock(&job->lock);
    bool current = job->chk_id == id && t->acked < id;
    job->max_snapshot_ns = WR_MAX(job->max_snapshot_ns, t->snapshot_ns);
    t->snapshot_ns = 0;
    if (current && !ok) {
        wr_checkpoint_free(job->chk);
        job->chk = NULL;
        job->chk_id = 0;
        current = false;
    }
    int keep = 0;
    for (int i = 0; i < t->npending; i++) {
        if (t->pending_id[i] > id) { /* a newer checkpoint's, taken meanwhile */
            t->pending_id[keep] = t->pending_id[i];
            t->pending[keep++] = t->pending[i];
        } else if (current && t->pending_id[i] == id) {
            checkpoint_add(job->chk, &t->pending[i]);
        } else {
            wr_snapshot_fini(&t->pending[i]); /* an aborted or abandoned checkpoint's */
        }
    }
    t->npending = keep;
    if (current) ack_locked(job, t, id);
    pthread_mutex_unlock(&job->lock);
}

static void free_pending(wr_task *t)
{
    for (int i = 0; i < t->npending; i++) wr_snapshot_fini(&t->pending[i]);
    wr_free(t->pending);
    wr_free(t->pending_id);
    t->pending = NULL;
    t->pending_id = NULL;
    t->npending = 0;
}

/* A task ended: it acknowledges the checkpoint in flight (and later ones) as finished. */
static void task_finished(wr_task *t)
{
    wr_job *job = t->job;
    pthread_mutex_lock(&job->lock);
    t->finished = true;
    if (job->chk_id && t->acked < job->chk_id) {
        add_finished(job->chk, t);
        ack_locked(job, t, job->chk_id);
    }
    pthread_mutex_unlock(&job->lock);
}

/*
 * Mail to a task with sources: inject the barrier of checkpoint (intptr_t)arg. A source task
 * acknowledges at once. A task with fused sources acknowledges when its head has the barrier
 * from every input, these sources' local channels among them (maybe_aligned).
 */
static void inject_barrier(wr_task *t, void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    wr_error err;
    wr_error_init(&err);
    wr_mark mark = {.kind = WR_MARK_BARRIER, .checkpoint = id};
    int rc = 0;
    if (t->is_source) {
        rc = deliver_mark(t->ops[0], &mark, &err);
    } else {
        for (int i = 0; i < t->nsources && rc == 0; i++)
            if (!t->sources[i]->source_ended) rc = deliver_mark(t->sources[i], &mark, &err);
        /* The chains of fused sources that ended are finished, as a source task that ended. */
        for (int o = 0; o < t->nops; o++) {
            if (t->ops[o]->fused == NULL || !t->ops[o]->fused->source_ended) continue;
            wr_snapshot s = {.vertex = t->ops[o]->vertex, .subtask = t->subtask, .finished = true};
            add_pending(t, &s, id);
        }
    }
    if (rc == 0) rc = flush_due(t, true, true, NULL, &err);
    if (rc && rc != WR_ERR_CANCELLED) job_fail(t->job, &err);
    pthread_mutex_lock(&t->job->lock);
    t->halted = t->job->stop_id == id;
    pthread_mutex_unlock(&t->job->lock);
    if (t->is_source || rc) task_ack(t, id, rc == 0);
}

int wr_job_trigger_checkpoint(wr_job *job, int64_t id)
{
    pthread_mutex_lock(&job->lock);
    if (job->chk_id || job->failed) {
        pthread_mutex_unlock(&job->lock);
        return 1;
    }
    job->chk_id = id;
    job->chk_acks = 0;
    job->chk = wr_calloc(1, sizeof(wr_checkpoint));
    job->chk->id = id;
    bool post[job->ntasks > 0 ? job->ntasks : 1];
    for (int i = 0; i < job->ntasks; i++) {
        wr_task *t = job->tasks[i];
        post[i] = false;
        if (t->finished) {
            add_finished(job->chk, t);
            ack_locked(job, t, id);
        } else {
            post[i] = t->is_source || t->nsources > 0;
        }
    }
    pthread_mutex_unlock(&job->lock);
    for (int i = 0; i < job->ntasks; i++)
        if (post[i]) post_task(job->tasks[i], inject_barrier, (void *)(intptr_t)id);
    return 0;
}

int wr_job_trigger_savepoint(wr_job *job, int64_t id)
{
    pthread_mutex_lock(&job->lock);
    bool busy = job->chk_id || job->failed;
    if (!busy) job->stop_id = id;
    pthread_mutex_unlock(&job->lock);
    return busy ? 1 : wr_job_trigger_checkpoint(job, id);
}

int wr_job_take_checkpoint(wr_job *job, wr_checkpoint **out)
{
    pthread_mutex_lock(&job->lock);
    *out = job->chk_done; /* complete: every task acknowledged with its snapshots */
    job->chk_done = NULL;
    pthread_mutex_unlock(&job->lock);
    return *out != NULL;
}

void wr_job_abort_checkpoint(wr_job *job, int64_t id)
{
    pthread_mutex_lock(&job->lock);
    if (job->chk_id == id) {
        wr_checkpoint_free(job->chk);
        job->chk = NULL;
        job->chk_id = 0;
    }
    pthread_mutex_unlock(&job->lock);
}

/* Mail: checkpoint (intptr_t)arg is durable. */
static void notify_done(wr_task *t, void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    wr_error err;
    wr_error_init(&err);
    for (int o = 0; o < t->nops; o++) {
        wr_task_op *top = t->ops[o];
        if (top->op == NULL || top->op->ops->checkpoint_done == NULL) continue;
        int rc = attribute(top, top->op->ops->checkpoint_done(top->op, id, &err), &err);
        if (rc) {
            if (rc != WR_ERR_CANCELLED) job_fail(t->job, &err);
            return;
        }
    }
}

void wr_job_checkpoint_done(wr_job *job, int64_t id)
{
    for (int i = 0; i < job->ntasks; i++) {
        pthread_mutex_lock(&job->lock);
        bool running = !job->tasks[i]->finished;
        pthread_mutex_unlock(&job->lock);
        if (running) post_task(job->tasks[i], notify_done, (void *)(intptr_t)id);
    }
}

/* ---- end of input ---------------------------------------------------------- */

static int finish_input(wr_task_op *top, int input, wr_error *err);

/* All inputs of top have ended: end of input is also the final watermark. */
static int finish_op(wr_task_op *top, wr_error *err)
{
    int rc = wr_op_emit_watermark(&top->ctx, WR_WATERMARK_MAX, err);
    if (rc) return rc;
    for (int p = 0; p < top->nports; p++) {
        wr_task_port *port = &top->ports[p];
        for (int i = 0; i < port->nchained; i++) {
            rc = finish_input(port->chained[i], 0, err);
            if (rc) return rc;
        }
        for (int i = 0; i < port->nwriters; i++) {
            rc = wr_writer_end(port->writers[i], err);
            if (rc) return rc;
        }
    }
    return 0;
}

static int finish_input(wr_task_op *top, int input, wr_error *err)
{
    if (top->op->ops->end_input) {
        int rc = attribute(top, top->op->ops->end_input(top->op, input, err), err);
        if (rc) return rc;
    }
    if (++top->ninputs_ended < top->ninputs) return 0;
    return finish_op(top, err);
}

/* ---- processing-time callbacks --------------------------------------------- */

/*
 * Calls on_time() of every operator whose ctx.timer_at_ms has passed and
 * sets *deadline_ns (monotonic) to when the next one is due.
 */
static int run_timers(wr_task *t, int64_t *deadline_ns, wr_error *err)
{
    *deadline_ns = INT64_MAX;
    int64_t now_ms = 0, next = INT64_MAX;
    for (int i = 0; i < t->nops; i++) {
        wr_task_op *top = t->ops[i];
        if (top->ctx.timer_at_ms == INT64_MAX) continue;
        if (now_ms == 0) now_ms = wr_clock_wall_ms();
        if (top->ctx.timer_at_ms <= now_ms) {
            top->ctx.timer_at_ms = INT64_MAX;
            if (top->op->ops->on_time) {
                int rc = attribute(top, top->op->ops->on_time(top->op, now_ms, err), err);
                if (rc) return rc;
            }
        }
        next = WR_MIN(next, top->ctx.timer_at_ms);
    }
    if (next != INT64_MAX) {
        int64_t mono = wr_clock_mono_ns(), wait_ms = next - now_ms;
        /* Timers may lie centuries ahead (or at INT64_MAX): do not overflow the deadline. */
        *deadline_ns =
            wait_ms > (INT64_MAX - mono) / 1000000 ? INT64_MAX : mono + wait_ms * 1000000;
    }
    return 0;
}

/* ---- buffer timeout ------------------------------------------------------- */

/*
 * Flushes writers whose oldest row waited the buffer timeout (all when force), and wakes the
 * consumers they left asleep WR_WAKE_DELAY_NS ago or more (all when wake: this task is about
 * to sleep).
 */
static int flush_due(wr_task *t, bool force, bool wake, int64_t *next_deadline, wr_error *err)
{
    int64_t now = 0, next = INT64_MAX;
    int64_t timeout = t->job->buffer_timeout_ns;
    for (int i = 0; i < t->nops; i++) {
        for (int p = 0; p < t->ops[i]->nports; p++) {
            const wr_task_port *port = &t->ops[i]->ports[p];
            for (int w = 0; w < port->nwriters; w++) {
                wr_writer *wr = port->writers[w];
                if (wr->owed_since_ns) {
                    if (now == 0) now = wr_clock_mono_ns();
                    if (wake || now - wr->owed_since_ns >= WR_WAKE_DELAY_NS)
                        wr_writer_wake(wr);
                    else
                        next = WR_MIN(next, wr->owed_since_ns + WR_WAKE_DELAY_NS);
                }
                if (wr->pending_since_ns == 0) continue;
                if (!force && timeout > 0) {
                    if (now == 0) now = wr_clock_mono_ns();
                    if (now - wr->pending_since_ns < timeout) {
                        next = WR_MIN(next, wr->pending_since_ns + timeout);
                        continue;
                    }
                }
                int rc = wr_writer_flush(wr, err);
                if (rc) return rc;
                wr_writer_wake(wr); /* the rows waited long enough */
            }
        }
    }
    if (next_deadline) *next_deadline = next;
    return 0;
}

static void timed_wait(wr_task *t, int64_t deadline_ns)
{
    t->sleeping = true;
    if (deadline_ns == INT64_MAX) {
        pthread_cond_wait(&t->wake, &t->lock);
    } else {
        /* The condition variable uses CLOCK_MONOTONIC (see task_new). */
        struct timespec ts = {deadline_ns / 1000000000, deadline_ns % 1000000000};
        pthread_cond_timedwait(&t->wake, &t->lock, &ts);
    }
    t->sleeping = false;
}

/* Runs all pending mail. Called with t->lock held; returns with it held. */
static void run_mail(wr_task *t)
{
    while (t->mail_head) {
        wr_mail *m = t->mail_head;
        t->mail_head = m->next;
        if (t->mail_head == NULL) t->mail_tail = NULL;
        pthread_mutex_unlock(&t->lock);
        m->fn(t, m->arg);
        wr_free(m);
        pthread_mutex_lock(&t->lock);
    }
}

/* ---- metrics ----------------------------------------------------------------- */

/*
 * Copies the counters of the task's operators where other threads read them. Called on
 * the task's thread only; relaxed stores suffice, as each counter is read on its own (and
 * the end of the job orders the last ones before wr_job_wait returns).
 */
static void publish_counters(wr_task *t)
{
    for (int i = 0; i < t->nops; i++) {
        const wr_op_ctx *ctx = &t->ops[i]->ctx;
        wr_op_counters *c = t->ops[i]->counters;
        atomic_store_explicit(&c->rows_in, ctx->rows_in, memory_order_relaxed);
        atomic_store_explicit(&c->rows_out, ctx->rows_out, memory_order_relaxed);
        atomic_store_explicit(&c->records_in_errors, ctx->records_in_errors, memory_order_relaxed);
        atomic_store_explicit(&c->late_records_dropped, ctx->late_records_dropped,
                              memory_order_relaxed);
        const wr_operator *op = t->ops[i]->op;
        if (op && op->ops->state_bytes) {
            int64_t bytes = (int64_t)op->ops->state_bytes(op);
            atomic_store_explicit(&c->state_bytes, bytes, memory_order_relaxed);
            /* This thread alone writes the peak, so a load and a store keep it. */
            if (bytes > atomic_load_explicit(&c->state_bytes_peak, memory_order_relaxed))
                atomic_store_explicit(&c->state_bytes_peak, bytes, memory_order_relaxed);
        }
    }
}

/* A new attempt counts from zero; a reader may be loading meanwhile. */
static void counters_zero(wr_op_counters *c)
{
    atomic_store_explicit(&c->rows_in, 0, memory_order_relaxed);
    atomic_store_explicit(&c->rows_out, 0, memory_order_relaxed);
    atomic_store_explicit(&c->records_in_errors, 0, memory_order_relaxed);
    atomic_store_explicit(&c->late_records_dropped, 0, memory_order_relaxed);
    atomic_store_explicit(&c->state_bytes, 0, memory_order_relaxed);
    atomic_store_explicit(&c->state_bytes_peak, 0, memory_order_relaxed);
}

int wr_job_metrics(const wr_job *job, wr_vertex_metrics *out, int cap)
{
    const wr_jobgraph *g = job->graph;
    for (int v = 0; v < g->nvertices && v < cap; v++) {
        wr_vertex_metrics *m = &out[v];
        memset(m, 0, sizeof(*m));
        m->name = g->vertices[v].name;
        m->kind = g->vertices[v].op.ops->kind;
        m->parallelism = wr_jobgraph_parallelism(g, v, &job->config);
        m->source = g->vertices[v].ninputs == 0;
        for (int s = 0; s < m->parallelism; s++) {
            wr_op_counters *c = &job->counters[job->counters_at[v] + s];
            m->records_in += atomic_load_explicit(&c->rows_in, memory_order_relaxed);
            m->records_out += atomic_load_explicit(&c->rows_out, memory_order_relaxed);
            m->records_in_errors +=
                atomic_load_explicit(&c->records_in_errors, memory_order_relaxed);
            m->late_records_dropped +=
                atomic_load_explicit(&c->late_records_dropped, memory_order_relaxed);
            m->state_bytes += atomic_load_explicit(&c->state_bytes, memory_order_relaxed);
            m->state_bytes_peak += atomic_load_explicit(&c->state_bytes_peak, memory_order_relaxed);
        }
    }
    return g->nvertices;
}

/* ---- task loops ------------------------------------------------------------ */

/*
 * Flushes due output buffers, wakes consumers left asleep (all when idle: the task may sleep
 * next), runs due timers and publishes the counters; *deadline_ns: when a flush, wake or
 * timer is next due.
 */
static int housekeeping(wr_task *t, int64_t *deadline_ns, bool idle, wr_error *err)
{
    publish_counters(t);
    int64_t flush_at = INT64_MAX, timer_at = INT64_MAX;
    int rc = flush_due(t, t->job->buffer_timeout_ns == 0, idle, &flush_at, err);
    if (rc == 0) rc = run_timers(t, &timer_at, err);
    *deadline_ns = WR_MIN(flush_at, timer_at);
    return rc;
}

static int run_source(wr_task *t, wr_error *err)
{
    wr_task_op *head = t->ops[0];
    wr_job *job = t->job;
    for (;;) {
        pthread_mutex_lock(&t->lock);
        run_mail(t);
        pthread_mutex_unlock(&t->lock);
        if (atomic_load(&job->cancelled)) return WR_ERR_CANCELLED;
        if (t->halted) {
            /* Stopped by a savepoint: produce nothing more; wait for mail or cancellation. */
            pthread_mutex_lock(&t->lock);
            if (t->mail_head == NULL && !atomic_load(&job->cancelled))
                timed_wait(t, wr_clock_mono_ns() + 50000000);
            pthread_mutex_unlock(&t->lock);
            continue;
        }
        wr_source_status status = WR_SOURCE_MORE;
        int rc = attribute(head, head->op->ops->run(head->op, &status, err), err);
        if (rc) return rc;
        if (status == WR_SOURCE_END) return finish_op(head, err);
        int64_t deadline;
        if ((rc = housekeeping(t, &deadline, status == WR_SOURCE_IDLE, err))) return rc;
        if (status == WR_SOURCE_IDLE) {
            deadline = WR_MIN(deadline, head->ctx.idle_until_ns);
            pthread_mutex_lock(&t->lock);
            if (t->mail_head == NULL && !atomic_load(&job->cancelled) &&
                wr_clock_mono_ns() < deadline)
                timed_wait(t, deadline);
            pthread_mutex_unlock(&t->lock);
        }
    }
}

/*
 * The head's input watermark is the minimum over its channels that are not
 * idle (ended channels count as WR_WATERMARK_MAX); when every channel is idle
 * the head's input is idle. Called on the task's thread after a channel's
 * watermark or status changed.
 */
static int combine_watermarks(wr_task *t, wr_error *err)
{
    wr_task_op *head = t->ops[0];
    int64_t wm = INT64_MAX;
    bool all_idle = true;
    for (int c = 0; c < t->ninputs; c++) {
        const wr_channel *ch = t->inputs[c];
        if (ch->idle) continue;
        all_idle = false;
        wm = WR_MIN(wm, ch->watermark);
    }
    if (all_idle && !t->inputs_idle) {
        /*
         * The channel that went idle may have held the minimum: the others
         * have progressed to at least their own watermarks, so advance to the
         * highest of them before idling (as Flink's StatusWatermarkValve).
         */
        int64_t high = WR_WATERMARK_MIN;
        for (int c = 0; c < t->ninputs; c++)
            if (!t->inputs[c]->ended) high = WR_MAX(high, t->inputs[c]->watermark);
        if (high != WR_WATERMARK_MIN) {
            wr_mark mark = {.kind = WR_MARK_WATERMARK, .time = high};
            int rc = deliver_mark(head, &mark, err);
            if (rc) return rc;
        }
    }
    if (all_idle != t->inputs_idle) {
        t->inputs_idle = all_idle;
        wr_mark status = {.kind = all_idle ? WR_MARK_IDLE : WR_MARK_ACTIVE};
        int rc = deliver_mark(head, &status, err);
        if (rc) return rc;
    }
    if (all_idle || wm == WR_WATERMARK_MIN) return 0;
    wr_mark mark = {.kind = WR_MARK_WATERMARK, .time = wm};
    return deliver_mark(head, &mark, err);
}

/*
 * If every channel that has not ended delivered the barrier of the
 * checkpoint being aligned, the head operator (and its chain) snapshots, the
 * barrier moves on, blocked channels are released and the task acknowledges.
 */
static int maybe_aligned(wr_task *t, wr_error *err)
{
    int64_t id = t->aligning;
    if (id == 0) return 0;
    for (int c = 0; c < t->ninputs; c++)
        if (!t->inputs[c]->ended && t->inputs[c]->barrier < id) return 0;
    t->aligning = 0;
    for (int c = 0; c < t->ninputs; c++) t->inputs[c]->blocked = false;
    wr_mark mark = {.kind = WR_MARK_BARRIER, .checkpoint = id};
    int rc = deliver_mark(t->ops[0], &mark, err);
    task_ack(t, id, rc == 0);
    return rc;
}

static int channel_barrier(wr_task *t, wr_channel *ch, int64_t id, wr_error *err)
{
    if (id < t->aligning || id <= ch->barrier) return 0; /* a barrier of an abandoned checkpoint */
    if (id > t->aligning) {
        /* A newer checkpoint: the older alignment (if any) is abandoned. */
        for (int c = 0; c < t->ninputs; c++) t->inputs[c]->blocked = false;
        t->aligning = id;
    }
    ch->barrier = id;
    /* Exactly-once holds the channel back: its rows after the barrier belong to the next
     * checkpoint. At-least-once lets them through (they may be replayed after a restore). */
    ch->blocked = t->job->exactly_once;
    return maybe_aligned(t, err);
}

static int channel_mark(wr_task *t, wr_channel *ch, const wr_mark *mark, wr_error *err)
{
    switch (mark->kind) {
    case WR_MARK_BARRIER:
        return channel_barrier(t, ch, mark->checkpoint, err);
    case WR_MARK_WATERMARK:
        if (mark->time <= ch->watermark) return 0;
        ch->watermark = mark->time;
        break;
    case WR_MARK_IDLE:
    case WR_MARK_ACTIVE:
        if (ch->idle == (mark->kind == WR_MARK_IDLE)) return 0;
        ch->idle = mark->kind == WR_MARK_IDLE;
        break;
    }
    return combine_watermarks(t, err);
}

static bool channel_ready(const wr_channel *c)
{
    return !c->blocked && (c->len > 0 || (c->closed && !c->ended));
}

/*
 * The next channel to read, round-robin over the ready ones; while the head
 * operator prefers an input that is still open, only that input's channels,
 * or another channel whose producer is waiting for room (reading it, down to
 * half, keeps an upstream task that feeds both inputs going). NULL: nothing
 * to read now.
 */
static wr_channel *next_channel(wr_task *t, const int *ended, const int *total)
{
    int pref = t->ops[0]->ctx.preferred_input;
    /* Holding prefers no input: only full or ended channels are read. */
    bool prefer = pref == WR_INPUT_HOLD ||
                  (pref >= 0 && pref < t->ops[0]->ninputs && ended[pref] < total[pref]);
    for (int pass = prefer ? 0 : 1; pass < 2; pass++) {
        for (int k = 0; k < t->ninputs; k++) {
            int i = (t->next_input + k) % t->ninputs;
            wr_channel *c = t->inputs[i];
            if (!channel_ready(c)) continue;
            if (prefer && pass == 0 && c->input != pref) continue;
            /* A fused source's channel counts as full once it holds anything: its source
             * runs only when all its channels are empty. */
            if (prefer && pass == 1 && c->len < c->cap && !c->producer_waits &&
                !(c->closed && c->len == 0) && !(c->local && c->len > 0))
                continue;
            t->next_input = (i + 1) % t->ninputs;
            return c;
        }
    }
    return NULL;
}

/*
 * The next source fused into this task to run, round-robin: one that has not ended, whose
 * channels are all empty and not held by barrier alignment, that has no reason to be idle
 * now, and that feeds the input the head prefers while it prefers one (none while it holds
 * its inputs, nor after a stop savepoint). *wake_at: the earliest time an idle one wants to
 * run again. NULL: none now.
 */
static wr_task_op *next_source(wr_task *t, const int *ended, const int *total, int64_t *wake_at)
{
    int pref = t->ops[0]->ctx.preferred_input;
    if (t->halted || pref == WR_INPUT_HOLD) return NULL;
    bool prefer = pref >= 0 && pref < t->ops[0]->ninputs && ended[pref] < total[pref];
    int64_t now = 0;
    for (int k = 0; k < t->nsources; k++) {
        int i = (t->next_source + k) % t->nsources;
        wr_task_op *src = t->sources[i];
        if (src->source_ended) continue;
        bool busy = false, feeds = !prefer;
        for (int c = 0; c < src->nlocal_out; c++) {
            const wr_channel *ch = src->local_out[c];
            busy |= ch->len > 0 || ch->blocked;
            feeds |= ch->input == pref;
        }
        if (busy || !feeds) continue;
        if (src->idle_until_ns) {
            if (now == 0) now = wr_clock_mono_ns();
            if (now < src->idle_until_ns) {
                *wake_at = WR_MIN(*wake_at, src->idle_until_ns);
                continue;
            }
        }
        t->next_source = (i + 1) % t->nsources;
        return src;
    }
    return NULL;
}

int wr_channel_deliver_local(wr_channel *ch, wr_batch *batch, wr_error *err)
{
    /* Only this thread changes a local channel's queue, so it reads it without the lock. */
    if (ch->len > 0 || ch->blocked || ch->closed) return 1;
    return deliver(ch->consumer->ops[0], ch->input, batch, err);
}

/* Runs a fused source once (without t->lock): its rows go to its local channels. */
static int run_fused(wr_task_op *src, wr_error *err)
{
    wr_source_status status = WR_SOURCE_MORE;
    int rc = attribute(src, src->op->ops->run(src->op, &status, err), err);
    if (rc) return rc;
    src->idle_until_ns = status == WR_SOURCE_IDLE ? src->ctx.idle_until_ns : 0;
    if (status != WR_SOURCE_END) return 0;
    src->source_ended = true;
    return finish_op(src, err);
}

static int run_inputs(wr_task *t, wr_error *err)
{
    wr_task_op *head = t->ops[0];
    wr_job *job = t->job;
    int nlogical = head->ninputs;
    int total[nlogical > 0 ? nlogical : 1], ended[nlogical > 0 ? nlogical : 1];
    memset(total, 0, sizeof(total));
    memset(ended, 0, sizeof(ended));
    for (int c = 0; c < t->ninputs; c++) total[t->inputs[c]->input]++;
    int channels_ended = 0;
    int rc = 0;

    pthread_mutex_lock(&t->lock);
    while (channels_ended < t->ninputs) {
        if (atomic_load(&job->cancelled)) {
            rc = WR_ERR_CANCELLED;
            break;
        }
        if (t->mail_head) {
            run_mail(t);
            continue;
        }
        /* Fused sources take turns with the channels: a batch read gives them the next turn,
         * so neither starves the other. */
        int64_t deadline = INT64_MAX, wake_at = INT64_MAX;
        wr_task_op *src = t->source_turn ? next_source(t, ended, total, &wake_at) : NULL;
        wr_channel *ch = src ? NULL : next_channel(t, ended, total);
        if (ch && ch->len > 0) {
            t->source_turn = t->nsources > 0;
            wr_elem e = ch->ring[ch->head];
            ch->head = (ch->head + 1) % ch->cap;
            ch->len--;
            if (e.batch) ch->queued_batches--;
            /*
             * A producer waiting for room is woken once half the channel is free, not
             * after each batch taken, so the two threads do not trade places per batch.
             */
            if (ch->producer_waits && ch->len <= ch->cap / 2) {
                ch->producer_waits = false;
                pthread_cond_signal(&ch->not_full);
            }
            pthread_mutex_unlock(&t->lock);
            if (e.batch) {
                rc = deliver(head, ch->input, e.batch, err);
                wr_batch_reset(e.batch);
            } else {
                rc = channel_mark(t, ch, &e.mark, err);
            }
            if (rc == 0) rc = housekeeping(t, &deadline, false, err);
            pthread_mutex_lock(&t->lock);
            if (e.batch) wr_channel_recycle(ch, e.batch);
            if (rc) break;
            continue;
        }
        if (ch) { /* closed and drained: its watermark is final */
            ch->ended = true;
            channels_ended++;
            pthread_mutex_unlock(&t->lock);
            ch->watermark = WR_WATERMARK_MAX;
            ch->idle = false;
            rc = combine_watermarks(t, err);
            if (rc == 0) rc = maybe_aligned(t, err); /* an ended channel owes no barrier */
            if (rc == 0 && ++ended[ch->input] == total[ch->input])
                rc = finish_input(head, ch->input, err);
            pthread_mutex_lock(&t->lock);
            if (rc) break;
            continue;
        }
        if (src == NULL && t->nsources) src = next_source(t, ended, total, &wake_at);
        t->source_turn = false;
        pthread_mutex_unlock(&t->lock);
        if (src) rc = run_fused(src, err);
        /* Nothing to read and no source to run: this task may sleep next. */
        if (rc == 0) rc = housekeeping(t, &deadline, src == NULL, err);
        pthread_mutex_lock(&t->lock);
        if (rc) break;
        if (src || t->mail_head || atomic_load(&job->cancelled)) continue;
        /* Housekeeping may have changed what the head prefers (a timer). */
        if (!next_channel(t, ended, total) &&
            !(t->nsources && next_source(t, ended, total, &wake_at)))
            timed_wait(t, WR_MIN(deadline, wake_at));
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

static void *task_main(void *arg)
{
    wr_task *t = arg;
    wr_job *job = t->job;
    wr_error err;
    wr_error_init(&err);
    int rc = 0;
    /* The thread is named after its head and subtask ("InnerJoin/2"), for top -H and perf. */
    char thread_name[16];
    snprintf(thread_name, sizeof(thread_name), "%.*s/%d", t->subtask < 9 ? 13 : 12,
             t->ops[0]->ctx.name, t->subtask + 1);
    pthread_setname_np(pthread_self(), thread_name);
    for (int i = 0; i < t->nops && rc == 0; i++) {
        wr_task_op *top = t->ops[i];
        if (top->op->ops->open) {
            rc = top->op->ops->open(top->op, &err);
            if (rc)
                wr_error_prefix(&err,
                                "operator '%s' (subtask %d/%d) failed to open: ", top->ctx.name,
                                top->ctx.subtask + 1, top->ctx.parallelism);
        }
        top->opened = true;
        top->ctx.restore = NULL; /* only create() and open() see it */
    }
    if (rc == 0) rc = t->is_source ? run_source(t, &err) : run_inputs(t, &err);
    if (rc && rc != WR_ERR_CANCELLED) {
        job_fail(job, &err);
    }
    publish_counters(t); /* final: before `running` drops, so wr_job_wait orders them */
    if (rc == 0) task_finished(t);
    free_pending(t);
    for (int i = 0; i < t->nops; i++) {
        wr_task_op *top = t->ops[i];
        top->op->ops->destroy(top->op);
        top->op = NULL;
    }
    pthread_mutex_lock(&job->lock);
    job->running--;
    pthread_cond_broadcast(&job->done);
    pthread_mutex_unlock(&job->lock);
    return NULL;
}

/* ---- building the execution graph ---------------------------------------- */

static wr_task *task_new(wr_job *job, const char *name, int subtask, int parallelism)
{
    wr_task *t = wr_calloc(1, sizeof(*t));
    t->job = job;
    t->index = job->ntasks;
    t->subtask = subtask;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s (%d/%d)", name, subtask + 1, parallelism);
    t->name = wr_strdup(buf);
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &attr);
    pthread_condattr_destroy(&attr);
    job->tasks = wr_realloc(job->tasks, (size_t)(job->ntasks + 1) * sizeof(wr_task *));
    job->tasks[job->ntasks++] = t;
    return t;
}

static wr_channel *channel_new(wr_job *job, wr_task *consumer, int input)
{
    wr_channel *ch = wr_malloc(sizeof(*ch));
    wr_channel_init(ch, consumer, input, job->channel_capacity);
    job->channels = wr_realloc(job->channels, (size_t)(job->nchannels + 1) * sizeof(ch));
    job->channels[job->nchannels++] = ch;
    consumer->inputs = wr_realloc(consumer->inputs, (size_t)(consumer->ninputs + 1) * sizeof(ch));
    consumer->inputs[consumer->ninputs++] = ch;
    return ch;
}

/* An integer option within [lo, hi]; out of range is reported at the value. */
static int int_in_range(const wr_config *cfg, const char *key, int64_t def, int64_t lo, int64_t hi,
                        int64_t *out, wr_error *err)
{
    int rc = wr_config_get_int64(cfg, key, def, out, err);
    if (rc) return rc;
    const wr_config_entry *e = wr_config_find(cfg, key);
    if (e && (*out < lo || *out > hi))
        return wr_error_set_at(err, WR_ERR_VALIDATION, e->value_pos,
                               "invalid value '%s' for option '%s': expected an integer from "
                               "%lld to %lld",
                               e->value, key, (long long)lo, (long long)hi);
    return 0;
}

typedef struct runtime_config {
    int64_t parallelism, max_parallelism, channel_capacity, buffer_timeout_ms;
    bool chaining;
    int checkpointing_mode; /* 0 EXACTLY_ONCE, 1 AT_LEAST_ONCE */
} runtime_config;

static const char *const checkpointing_modes[] = {"EXACTLY_ONCE", "AT_LEAST_ONCE", NULL};

static int read_runtime_config(const wr_config *cfg, runtime_config *out, wr_error *err)
{
    int rc;
    if ((rc = int_in_range(cfg, "parallelism.default", 1, 1, 1024, &out->parallelism, err)) ||
        (rc = int_in_range(cfg, "pipeline.max-parallelism", WR_DEFAULT_MAX_PARALLELISM, 1, 32768,
                           &out->max_parallelism, err)) ||
        (rc = int_in_range(cfg, "taskmanager.network.channel-capacity", 4, 1, 1 << 20,
                           &out->channel_capacity, err)) ||
        (rc = wr_config_get_duration_ms(cfg, "execution.buffer-timeout", 100,
                                        &out->buffer_timeout_ms, err)) ||
        (rc = wr_config_get_bool(cfg, "pipeline.operator-chaining", true, &out->chaining, err)) ||
        (rc = wr_config_get_enum(cfg, "execution.checkpointing.mode", checkpointing_modes, 0,
                                 &out->checkpointing_mode, err)))
        return rc;
    return 0;
}

int wr_job_check_config(const wr_config *config, wr_error *err)
{
    runtime_config c;
    return read_runtime_config(config, &c, err);
}

static int read_config(wr_job *job, bool *chaining, wr_error *err)
{
    runtime_config c;
    int rc = read_runtime_config(&job->config, &c, err);
    if (rc) return rc;
    job->max_parallelism = (int)c.max_parallelism;
    job->channel_capacity = (int)c.channel_capacity;
    job->buffer_timeout_ns = c.buffer_timeout_ms * 1000000;
    job->exactly_once = c.checkpointing_mode == 0;
    *chaining = c.chaining;
    return 0;
}

/* Kahn's algorithm; fails on a cycle. */
static int topo_order(const wr_jobgraph *g, int *order, wr_error *err)
{
    int n = g->nvertices, indeg[n > 0 ? n : 1], k = 0;
    memset(indeg, 0, sizeof(indeg));
    for (int e = 0; e < g->nedges; e++) indeg[g->edges[e].to]++;
    for (int v = 0; v < n; v++)
        if (indeg[v] == 0) order[k++] = v;
    for (int i = 0; i < k; i++)
        for (int e = 0; e < g->nedges; e++)
            if (g->edges[e].from == order[i] && --indeg[g->edges[e].to] == 0)
                order[k++] = g->edges[e].to;
    if (k != n) return wr_error_set(err, WR_ERR_VALIDATION, "the job graph has a cycle");
    return 0;
}

/* Frees the execution graph (tasks, channels, checkpoint state); keeps the job graph. */
static void teardown(wr_job *job)
{
    for (int i = 0; i < job->ntasks; i++) {
        wr_task *t = job->tasks[i];
        for (int o = 0; o < t->nops; o++) {
            wr_task_op *top = t->ops[o];
            if (top->op) top->op->ops->destroy(top->op);
            unwire_outputs(top);
            wr_free(top->restore.parts);
            wr_free(top->local_out);
            wr_free(top);
        }
        while (t->mail_head) {
            wr_mail *m = t->mail_head;
            t->mail_head = m->next;
            wr_free(m);
        }
        wr_free(t->ops);
        wr_free(t->sources);
        wr_free(t->inputs);
        wr_free(t->name);
        wr_free(t->pending);
        wr_free(t->pending_id);
        pthread_mutex_destroy(&t->lock);
        pthread_cond_destroy(&t->wake);
        wr_free(t);
    }
    for (int i = 0; i < job->nchannels; i++) {
        wr_channel_fini(job->channels[i]);
        wr_free(job->channels[i]);
    }
    if (job->graph && job->vertex_tasks) {
        for (int v = 0; v < job->graph->nvertices; v++) {
            wr_free(job->vertex_tasks[v]);
            wr_free(job->vertex_ops[v]);
        }
    }
    wr_free(job->vertex_tasks);
    wr_free(job->vertex_ops);
    /* After the operators: what their instances shared. */
    if (job->graph && job->vertex_shared) {
        for (int v = 0; v < job->graph->nvertices; v++) {
            wr_op_shared *sh = &job->vertex_shared[v];
            if (sh->data && sh->fini) sh->fini(sh->data);
            pthread_mutex_destroy(&sh->lock);
        }
    }
    wr_free(job->vertex_shared);
    job->vertex_shared = NULL;
    wr_checkpoint_free(job->chk);
    wr_checkpoint_free(job->chk_done);
    wr_checkpoint_free(job->restore);
    wr_free(job->tasks);
    wr_free(job->channels);
    job->tasks = NULL;
    job->channels = NULL;
    job->vertex_tasks = NULL;
    job->vertex_ops = NULL;
    job->chk = job->chk_done = job->restore = NULL;
    job->ntasks = job->nchannels = 0;
    job->chk_id = 0;
    job->chk_acks = 0;
    job->stop_id = 0;
}

static void job_destroy(wr_job *job)
{
    teardown(job);
    wr_free(job->counters);
    wr_free(job->counters_at);
    wr_jobgraph_free(job->graph);
    wr_config_fini(&job->config);
    pthread_mutex_destroy(&job->lock);
    pthread_cond_destroy(&job->done);
    wr_free(job);
}

/*
 * Picks the parts of the checkpoint the job starts from that belong to one
 * operator instance: the keyed state of the key groups it owns, and, when
 * the vertex runs at the parallelism it was checkpointed at, its subtask's
 * operator state and whether it had finished.
 */
static int restore_parts(wr_job *job, wr_task_op *top, const wr_jobgraph *g, int par, wr_error *err)
{
    const wr_checkpoint *chk = job->restore;
    int v = top->vertex, s = top->ctx.subtask, first, last, was = 0, finished = 0, seen = 0;
    bool op_state = false;
    wr_keygroup_range(s, job->max_parallelism, par, &first, &last);
    for (int i = 0; i < chk->nsnapshots; i++) {
        const wr_snapshot *snap = &chk->snapshots[i];
        if (snap->vertex != v) continue;
        was = WR_MAX(was, snap->subtask + 1);
        seen++;
        finished += snap->finished;
        for (int p = 0; p < snap->nparts; p++) op_state |= snap->parts[p].keygroup < 0;
    }
    /* At another parallelism, only keyed state moves; a vertex that had wholly finished
     * stays finished; anything else would be replayed or lost. */
    bool all_finished = seen > 0 && finished == seen && finished == was;
    bool unions = g->vertices[v].op.ops->union_state;
    if (was != 0 && was != par && !unions && (op_state || (finished > 0 && !all_finished)))
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "operator '%s' was checkpointed at parallelism %d with operator state "
                            "or finished subtasks, which cannot be redistributed to parallelism "
                            "%d yet",
                            g->vertices[v].name, was, par);
    wr_restore *r = &top->restore;
    r->checkpoint = chk->id;
    r->rescaled = was != 0 && was != par;
    if (all_finished) r->finished = true;
    for (int i = 0; i < chk->nsnapshots; i++) {
        const wr_snapshot *snap = &chk->snapshots[i];
        if (snap->vertex != v) continue;
        bool mine = r->rescaled ? unions : snap->subtask == s;
        if (!r->rescaled && mine && snap->finished) r->finished = true;
        for (int p = 0; p < snap->nparts; p++) {
            const wr_snapshot_part *part = &snap->parts[p];
            int kg = part->keygroup;
            if (kg < 0 ? !mine : kg < first || kg > last) continue;
            r->parts = wr_realloc(r->parts, (size_t)(r->nparts + 1) * sizeof(*r->parts));
            r->parts[r->nparts++] = part;
        }
    }
    return 0;
}

static int build(wr_job *job, wr_error *err)
{
    wr_jobgraph *g = job->graph;
    int n = g->nvertices;
    if (n == 0) return wr_error_set(err, WR_ERR_VALIDATION, "the job has no operators");
    bool chaining;
    int rc = read_config(job, &chaining, err);
    if (rc) return rc;

    int order[n], par[n], head[n];
    if ((rc = topo_order(g, order, err))) return rc;
    for (int v = 0; v < n; v++) par[v] = wr_jobgraph_parallelism(g, v, &job->config);
    if (job->counters == NULL) { /* the first build; a restart keeps them (same parallelism) */
        job->counters_at = wr_calloc((size_t)n, sizeof(int));
        int total = 0;
        for (int v = 0; v < n; v++) {
            job->counters_at[v] = total;
            total += par[v];
        }
        job->counters = wr_calloc((size_t)(total > 0 ? total : 1), sizeof(wr_op_counters));
    }

    /* Validate edges and decide chaining: an edge chains when it is the only one into a vertex. */
    bool chained_edge[g->nedges > 0 ? g->nedges : 1];
    int edges_into[n];
    memset(edges_into, 0, sizeof(edges_into));
    for (int e = 0; e < g->nedges; e++) edges_into[g->edges[e].to]++;
    for (int e = 0; e < g->nedges; e++) {
        const wr_jg_edge *edge = &g->edges[e];
        const wr_jg_vertex *from = &g->vertices[edge->from], *to = &g->vertices[edge->to];
        if (edge->part == WR_PART_FORWARD && par[edge->from] != par[edge->to])
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "forward partitioning from '%s' (parallelism %d) to '%s' "
                                "(parallelism %d) needs equal parallelism",
                                from->name, par[edge->from], to->name, par[edge->to]);
        for (int k = 0; k < edge->key.ncols; k++)
            if (edge->key.cols[k] < 0 || edge->key.cols[k] >= from->ports[edge->port].ncols)
                return wr_error_set(err, WR_ERR_VALIDATION,
                                    "hash key column %d is outside the output of '%s'",
                                    edge->key.cols[k], from->name);
        if (edge->part == WR_PART_HASH && wr_keysel_empty(&edge->key))
            return wr_error_set(err, WR_ERR_VALIDATION, "hash partitioning into '%s' has no key",
                                to->name);
        if (to->op.ops->process == NULL)
            return wr_error_set(err, WR_ERR_VALIDATION, "'%s' (%s) takes no input", to->name,
                                to->op.ops->kind);
        chained_edge[e] = chaining && edge->part == WR_PART_FORWARD && edges_into[edge->to] == 1;
    }
    for (int v = 0; v < n; v++)
        if (g->vertices[v].ninputs == 0 && g->vertices[v].op.ops->run == NULL)
            return wr_error_set(err, WR_ERR_VALIDATION, "'%s' (%s) has no input and is no source",
                                g->vertices[v].name, g->vertices[v].op.ops->kind);
    for (int i = 0; i < n; i++) {
        int v = order[i];
        head[v] = v;
        for (int e = 0; e < g->nedges; e++)
            if (g->edges[e].to == v && chained_edge[e]) head[v] = head[g->edges[e].from];
    }

    /*
     * Source fusion (as Flink chains sources into a multiple-input task): a chain headed by a
     * source whose every other output crosses a forward edge into one other chain's head runs
     * in that head's task, on its thread, feeding it through local channels. A join of two
     * stored tables then runs in one thread per subtask instead of three.
     */
    int host[n];
    for (int v = 0; v < n; v++) {
        host[v] = -1;
        if (!chaining || head[v] != v || g->vertices[v].ninputs > 0) continue;
        int to = -1;
        bool fuse = true;
        for (int e = 0; e < g->nedges && fuse; e++) {
            const wr_jg_edge *edge = &g->edges[e];
            if (chained_edge[e] || head[edge->from] != v) continue;
            fuse = edge->part == WR_PART_FORWARD && (to < 0 || to == head[edge->to]);
            to = head[edge->to];
        }
        if (fuse) host[v] = to;
    }

    /* Tasks and operator instances, head chains in topological order. */
    job->vertex_tasks = wr_calloc((size_t)n, sizeof(wr_task **));
    job->vertex_ops = wr_calloc((size_t)n, sizeof(wr_task_op **));
    job->vertex_shared = wr_calloc((size_t)n, sizeof(wr_op_shared));
    for (int v = 0; v < n; v++) pthread_mutex_init(&job->vertex_shared[v].lock, NULL);
    for (int v = 0; v < n; v++) {
        job->vertex_tasks[v] = wr_calloc((size_t)par[v], sizeof(wr_task *));
        job->vertex_ops[v] = wr_calloc((size_t)par[v], sizeof(wr_task_op *));
    }
    for (int i = 0; i < n; i++) {
        int h = order[i];
        if (head[h] != h || host[h] >= 0) continue;
        for (int s = 0; s < par[h]; s++) {
            /* Name the task after its chain, fused sources first: "a, b -> c -> d". */
            wr_buf name;
            wr_buf_init(&name);
            for (int f = 0; f < n; f++) {
                if (host[order[f]] != h) continue;
                if (name.len) wr_buf_puts(&name, ", ");
                wr_buf_puts(&name, g->vertices[order[f]].name);
            }
            for (int j = 0; j < n; j++)
                if (head[order[j]] == h) {
                    if (name.len) wr_buf_puts(&name, " -> ");
                    wr_buf_puts(&name, g->vertices[order[j]].name);
                }
            wr_task *t = task_new(job, name.data, s, par[h]);
            wr_buf_fini(&name);
            t->is_source = g->vertices[h].ninputs == 0;
            /* The head's chain, then each fused source's chain. */
            int chains[n], nchains = 0;
            chains[nchains++] = h;
            for (int f = 0; f < n; f++)
                if (host[order[f]] == h) chains[nchains++] = order[f];
            for (int j = 0; j < nchains * n; j++) {
                int chain = chains[j / n], v = order[j % n];
                if (head[v] != chain) continue;
                wr_task_op *top = wr_calloc(1, sizeof(*top));
                top->task = t;
                top->vertex = v;
                top->ninputs = g->vertices[v].ninputs;
                top->ctx.subtask = s;
                top->ctx.parallelism = par[v];
                top->ctx.max_parallelism = job->max_parallelism;
                top->ctx.name = g->vertices[v].name;
                top->ctx.config = &job->config;
                top->ctx.cancelled = &job->cancelled;
                top->ctx.watermark = WR_WATERMARK_MIN;
                top->ctx.out_watermark = WR_WATERMARK_MIN;
                top->ctx.timer_at_ms = INT64_MAX;
                top->ctx.preferred_input = -1;
                top->ctx.shared = &job->vertex_shared[v];
                top->counters = &job->counters[job->counters_at[v] + s];
                counters_zero(top->counters);
                top->nports = g->vertices[v].nports;
                top->ports = wr_calloc((size_t)top->nports, sizeof(wr_task_port));
                t->ops = wr_realloc(t->ops, (size_t)(t->nops + 1) * sizeof(top));
                t->ops[t->nops++] = top;
                job->vertex_tasks[v][s] = t;
                job->vertex_ops[v][s] = top;
                if (job->restore && (rc = restore_parts(job, top, g, par[v], err))) return rc;
                top->ctx.restore = job->restore ? &top->restore : NULL;
                top->op = g->vertices[v].op.ops->create(g->vertices[v].op.spec, &top->ctx, err);
                if (top->op == NULL) {
                    wr_error_prefix(err, "operator '%s': ", g->vertices[v].name);
                    return err->code ? err->code : WR_ERR_INTERNAL;
                }
                top->op->ctx = &top->ctx;
                if (chain != h) top->fused = job->vertex_ops[chain][s];
                if (v != h && v == chain) {
                    t->sources = wr_realloc(t->sources, (size_t)(t->nsources + 1) * sizeof(top));
                    t->sources[t->nsources++] = top;
                }
            }
        }
    }

    /* Edges: chained outputs, or writers over channels. */
    for (int e = 0; e < g->nedges; e++) {
        const wr_jg_edge *edge = &g->edges[e];
        int u = edge->from, v = edge->to;
        for (int s = 0; s < par[u]; s++) {
            wr_task_port *port = &job->vertex_ops[u][s]->ports[edge->port];
            if (chained_edge[e]) {
                port->chained =
                    wr_realloc(port->chained, (size_t)(port->nchained + 1) * sizeof(wr_task_op *));
                port->chained[port->nchained++] = job->vertex_ops[v][s];
                continue;
            }
            int ntargets = edge->part == WR_PART_FORWARD ? 1 : par[v];
            wr_channel **targets = wr_malloc((size_t)ntargets * sizeof(wr_channel *));
            for (int j = 0; j < ntargets; j++) {
                int consumer = edge->part == WR_PART_FORWARD ? s : j;
                targets[j] = channel_new(job, job->vertex_tasks[v][consumer], edge->input);
            }
            if (host[head[u]] >= 0) { /* a fused source's chain: local channel */
                wr_task_op *src = job->vertex_ops[head[u]][s];
                targets[0]->local = true;
                src->local_out = wr_realloc(src->local_out,
                                            (size_t)(src->nlocal_out + 1) * sizeof(wr_channel *));
                src->local_out[src->nlocal_out++] = targets[0];
            }
            wr_writer *w = wr_malloc(sizeof(*w));
            const wr_jg_port *out = &g->vertices[u].ports[edge->port];
            wr_writer_init(w, job, edge->part, &edge->key, out->types, out->ncols, targets,
                           ntargets, job->max_parallelism);
            port->writers = wr_realloc(port->writers, (size_t)(port->nwriters + 1) * sizeof(w));
            port->writers[port->nwriters++] = w;
        }
    }
    for (int i = 0; i < job->ntasks; i++)
        for (int o = 0; o < job->tasks[i]->nops; o++) wire_outputs(job->tasks[i]->ops[o]);
    return 0;
}

wr_job *wr_job_start(wr_jobgraph *graph, const wr_config *config, wr_error *err)
{
    return wr_job_start_from(graph, config, NULL, err);
}

/* Starts one thread per task. */
static void launch(wr_job *job)
{
    for (int i = 0; i < job->ntasks; i++) {
        wr_task *t = job->tasks[i];
        pthread_mutex_lock(&job->lock);
        job->running++;
        pthread_mutex_unlock(&job->lock);
        int rc = pthread_create(&t->thread, NULL, task_main, t);
        if (rc != 0) {
            pthread_mutex_lock(&job->lock);
            job->running--;
            pthread_mutex_unlock(&job->lock);
            wr_error e;
            wr_error_init(&e);
            wr_error_set(&e, WR_ERR_RUNTIME, "cannot start a thread for task '%s': %s", t->name,
                         strerror(rc));
            job_fail(job, &e);
            break;
        }
        t->started = true;
    }
}

wr_job *wr_job_start_from(wr_jobgraph *graph, const wr_config *config, wr_checkpoint *from,
                          wr_error *err)
{
    wr_job *job = wr_calloc(1, sizeof(*job));
    job->graph = graph;
    job->restore = from;
    wr_config_init(&job->config);
    wr_config_copy(&job->config, config);
    atomic_init(&job->cancelled, false);
    pthread_mutex_init(&job->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&job->done, &attr);
    pthread_condattr_destroy(&attr);
    wr_error_init(&job->error);

    if (build(job, err)) {
        job_destroy(job);
        return NULL;
    }
    launch(job);
    return job;
}

int wr_job_restart(wr_job *job, wr_checkpoint *from, wr_error *err)
{
    wr_error ignored;
    wr_error_init(&ignored);
    wr_job_wait(job, -1, &ignored);
    for (int i = 0; i < job->ntasks; i++)
        if (job->tasks[i]->started) pthread_join(job->tasks[i]->thread, NULL);
    teardown(job);
    job->restore = from;
    job->failed = false;
    wr_error_init(&job->error);
    atomic_store(&job->cancelled, false);
    int rc = build(job, err);
    if (rc) {
        /* The job stays failed, with this error. */
        pthread_mutex_lock(&job->lock);
        job->failed = true;
        wr_error_copy(&job->error, err);
        pthread_mutex_unlock(&job->lock);
        return rc;
    }
    launch(job);
    return 0;
}

int wr_job_wait(wr_job *job, int64_t timeout_ms, wr_error *err)
{
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : wr_clock_mono_ns() + timeout_ms * 1000000;
    pthread_mutex_lock(&job->lock);
    while (job->running > 0) {
        if (deadline == INT64_MAX) {
            pthread_cond_wait(&job->done, &job->lock);
        } else {
            struct timespec ts = {deadline / 1000000000, deadline % 1000000000};
            if (pthread_cond_timedwait(&job->done, &job->lock, &ts) == ETIMEDOUT &&
                job->running > 0) {
                pthread_mutex_unlock(&job->lock);
                return 1;
            }
        }
    }
    int rc = 0;
    if (job->failed) {
        wr_error_copy(err, &job->error);
        rc = job->error.code ? job->error.code : WR_ERR_RUNTIME;
    }
    pthread_mutex_unlock(&job->lock);
    return rc;
}

void wr_job_free(wr_job *job)
{
    if (job == NULL) return;
    wr_error err;
    wr_error_init(&err);
    if (wr_job_wait(job, 0, &err) == 1) {
        wr_job_cancel(job);
        wr_job_wait(job, -1, &err);
    }
    for (int i = 0; i < job->ntasks; i++)
        if (job->tasks[i]->started) pthread_join(job->tasks[i]->thread, NULL);
    job_destroy(job);
}

int wr_job_post(wr_job *job, int vertex, int subtask, wr_mail_fn fn, void *arg)
{
    if (vertex < 0 || vertex >= job->graph->nvertices || subtask < 0 ||
        subtask >= wr_jobgraph_parallelism(job->graph, vertex, &job->config))
        return -1;
    post_task(job->vertex_tasks[vertex][subtask], fn, arg);
    return 0;
}

static void post_task(wr_task *t, wr_mail_fn fn, void *arg)
{
    wr_mail *m = wr_malloc(sizeof(*m));
    m->fn = fn;
    m->arg = arg;
    m->next = NULL;
    pthread_mutex_lock(&t->lock);
    if (t->mail_tail)
        t->mail_tail->next = m;
    else
        t->mail_head = m;
    t->mail_tail = m;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

void wr_job_stats_get(wr_job *job, wr_job_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    stats->ntasks = job->ntasks;
    stats->nchannels = job->nchannels;
    stats->channel_capacity = job->channel_capacity;
    pthread_mutex_lock(&job->lock);
    stats->max_snapshot_ns = job->max_snapshot_ns;
    pthread_mutex_unlock(&job->lock);
    for (int i = 0; i < job->nchannels; i++) {
        wr_channel *ch = job->channels[i];
        pthread_mutex_lock(&ch->consumer->lock);
        stats->max_channel_depth = WR_MAX(stats->max_channel_depth, ch->max_len);
        stats->batches_exchanged += ch->batches;
        pthread_mutex_unlock(&ch->consumer->lock);
    }
    /* Counters are written by the task threads; read them once the job has ended. */
    if (wr_job_wait(job, 0, &(wr_error){0}) == 1) return;
    for (int i = 0; i < job->ntasks; i++)
        for (int o = 0; o < job->tasks[i]->nops; o++) {
            wr_task_op *top = job->tasks[i]->ops[o];
            bool consumed = false;
            for (int p = 0; p < top->nports; p++) consumed |= top->outs && top->outs[p] != NULL;
            if (!consumed) stats->rows_into_sinks += top->ctx.rows_in;
        }
}
