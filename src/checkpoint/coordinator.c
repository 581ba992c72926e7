/*
 * coordinator.c — triggering, timing out, storing and confirming checkpoints;
 * see coordinator.h.
 */
#include "coordinator.h"
#include "../base/alloc.h"
#include "../base/clock.h"
#include "restart.h"
#include "storage.h"

#include <stdio.h>

#include <string.h>

struct wr_coordinator {
    char *dir, *name;
    int max_parallelism;
    int64_t interval_ms, timeout_ms, min_pause_ms, retained, tolerable;
    int64_t next_id;
    int64_t inflight;     /* checkpoint id in flight, or 0 */
    int64_t triggered_ms; /* when it was triggered (monotonic) */
    int64_t last_end_ms;  /* when the last one completed or failed */
    int64_t last_trigger_ms;
    int64_t failures_in_row;
    wr_restart restart;
    char *start_path; /* 'execution.savepoint.path' the job started from, for restarts */
    char *savepoints; /* 'state.savepoints.dir', or NULL */
    char *savepoint;  /* path of the savepoint a stop wrote */
    bool stopping;    /* a stop with savepoint is under way */
    bool gave_up;     /* the restart strategy declined: the failure stands */
    int64_t first_id; /* checkpoints of this run have ids from here */
    wr_coordinator_stats stats;
};

typedef struct options {
    int64_t interval_ms, timeout_ms, min_pause_ms, max_concurrent, tolerable, retained;
    const char *dir;
} options;

static int64_t mono_ms(void)
{
    return wr_clock_mono_ns() / 1000000;
}

/* A non-negative integer option. */
static int count_option(const wr_config *cfg, const char *key, int64_t def, int64_t min,
                        int64_t *out, wr_error *err)
{
    int rc = wr_config_get_int64(cfg, key, def, out, err);
    if (rc) return rc;
    if (*out < min) {
        const wr_config_entry *e = wr_config_find(cfg, key);
        return wr_error_set_at(err, WR_ERR_VALIDATION, e ? e->value_pos : -1,
                               "invalid value '%s' for option '%s': expected an integer of at "
                               "least %lld",
                               e ? e->value : "?", key, (long long)min);
    }
    return 0;
}

/* Reads and checks every option; `whole` also checks how they combine (at job start). */
static int read_options(const wr_config *cfg, options *o, bool whole, wr_error *err)
{
    int rc;
    memset(o, 0, sizeof(*o));
    if ((rc = wr_config_get_duration_ms(cfg, "execution.checkpointing.interval", 0, &o->interval_ms,
                                        err)) ||
        (rc = wr_config_get_duration_ms(cfg, "execution.checkpointing.timeout", 600000,
                                        &o->timeout_ms, err)) ||
        (rc = wr_config_get_duration_ms(cfg, "execution.checkpointing.min-pause", 0,
                                        &o->min_pause_ms, err)) ||
        (rc = count_option(cfg, "execution.checkpointing.max-concurrent-checkpoints", 1, 1,
                           &o->max_concurrent, err)) ||
        (rc = count_option(cfg, "execution.checkpointing.tolerable-failed-checkpoints", 0, 0,
                           &o->tolerable, err)) ||
        (rc = count_option(cfg, "state.checkpoints.num-retained", 1, 1, &o->retained, err)))
        return rc;
    const wr_config_entry *e =
        wr_config_find(cfg, "execution.checkpointing.max-concurrent-checkpoints");
    if (o->max_concurrent != 1)
        return wr_error_set_at(err, WR_ERR_VALIDATION, e ? e->value_pos : -1,
                               "'execution.checkpointing.max-concurrent-checkpoints' = '%lld' is "
                               "not supported: Weir runs one checkpoint at a time",
                               (long long)o->max_concurrent);
    o->dir = wr_config_get(cfg, "state.checkpoints.dir", NULL);
    if (!whole) return 0; /* SET statements come one at a time, in any order */
    if (o->interval_ms > 0 && (o->dir == NULL || o->dir[0] == '\0')) {
        e = wr_config_find(cfg, "execution.checkpointing.interval");
        return wr_error_set_at(err, WR_ERR_VALIDATION, e ? e->key_pos : -1,
                               "'execution.checkpointing.interval' is set but "
                               "'state.checkpoints.dir' is not: checkpoints need a directory");
    }
    if (o->interval_ms > 0 && o->timeout_ms <= 0) {
        e = wr_config_find(cfg, "execution.checkpointing.timeout");
        return wr_error_set_at(err, WR_ERR_VALIDATION, e ? e->value_pos : -1,
                               "'execution.checkpointing.timeout' must be positive");
    }
    return 0;
}

int wr_coordinator_check_config(const wr_config *config, wr_error *err)
{
    options o;
    int rc = read_options(config, &o, false, err);
    return rc ? rc : wr_restart_check_config(config, err);
}

int wr_coordinator_new(const wr_config *config, const char *name, wr_coordinator **out,
                       wr_error *err)
{
    options o;
    *out = NULL;
    int64_t max_parallelism = 128;
    int rc = read_options(config, &o, true, err);
    if (rc == 0)
        rc = wr_config_get_int64(config, "pipeline.max-parallelism", 128, &max_parallelism, err);
    if (rc) return rc;
    wr_restart restart;
    if ((rc = wr_restart_init(&restart, config, o.interval_ms > 0, err))) return rc;
    const char *sdir = wr_config_get(config, "state.savepoints.dir", NULL);
    if (sdir && sdir[0] == '\0') sdir = NULL;
    if (o.interval_ms <= 0 && restart.kind == WR_RESTART_NONE && sdir == NULL)
        return 0; /* nothing to do */
    wr_coordinator *c = wr_calloc(1, sizeof(*c));
    c->restart = restart;
    if (sdir) c->savepoints = wr_strdup(sdir);
    const char *sp = wr_config_get(config, "execution.savepoint.path", NULL);
    if (sp && sp[0]) c->start_path = wr_strdup(sp);
    c->dir = o.dir ? wr_strdup(o.dir) : NULL;
    c->name = wr_strdup(name ? name : "job");
    c->max_parallelism = (int)max_parallelism;
    c->interval_ms = o.interval_ms;
    c->timeout_ms = o.timeout_ms;
    c->min_pause_ms = o.min_pause_ms;
    c->retained = o.retained;
    c->tolerable = o.tolerable;
    /* Ids continue after whatever an earlier run of the job left, so the newest is the latest. */
    c->next_id = c->dir ? wr_chk_max_id(c->dir, c->name) + 1 : 1;
    c->first_id = c->next_id;
    c->last_trigger_ms = c->last_end_ms = mono_ms();
    *out = c;
    return 0;
}

void wr_coordinator_free(wr_coordinator *c)
{
    if (c == NULL) return;
    wr_free(c->dir);
    wr_free(c->name);
    wr_free(c->start_path);
    wr_free(c->savepoints);
    wr_free(c->savepoint);
    wr_restart_fini(&c->restart);
    wr_free(c);
}

/* Counts a failed checkpoint; the job fails past the tolerated number in a row. */
static int failed(wr_coordinator *c, int64_t now, const wr_error *why, wr_error *err)
{
    c->inflight = 0;
    c->last_end_ms = now;
    c->stats.failed++;
    if (++c->failures_in_row <= c->tolerable) return 0;
    wr_error_copy(err, why);
    wr_error_prefix(err,
                    "checkpointing failed %lld time(s) in a row (more than "
                    "'execution.checkpointing.tolerable-failed-checkpoints' = %lld): ",
                    (long long)c->failures_in_row, (long long)c->tolerable);
    return err->code ? err->code : WR_ERR_RUNTIME;
}

int wr_coordinator_poll(wr_coordinator *c, wr_job *job, wr_error *err)
{
    int64_t now = mono_ms();
    if (c->inflight) {
        wr_checkpoint *chk;
        if (wr_job_take_checkpoint(job, &chk)) {
            wr_error werr;
            wr_error_init(&werr);
            int rc = wr_chk_write(c->dir, c->name, chk, c->max_parallelism, &werr);
            if (rc == 0) rc = wr_chk_retain(c->dir, c->name, (int)c->retained, &werr);
            int64_t id = chk->id, bytes = 0;
            for (int i = 0; i < chk->nsnapshots; i++)
                for (int k = 0; k < chk->snapshots[i].nparts; k++)
                    bytes += (int64_t)chk->snapshots[i].parts[k].data.len;
            wr_checkpoint_free(chk);
            now = mono_ms();
            if (rc) return failed(c, now, &werr, err);
            wr_job_checkpoint_done(job, id);
            c->stats.completed++;
            c->stats.last_id = id;
            c->stats.last_duration_ms = now - c->triggered_ms;
            c->stats.last_bytes = rc == 0 ? bytes : c->stats.last_bytes;
            c->failures_in_row = 0;
            c->inflight = 0;
            c->last_end_ms = now;
        } else if (now - c->triggered_ms >= c->timeout_ms) {
            wr_job_abort_checkpoint(job, c->inflight);
            wr_error why;
            wr_error_init(&why);
            wr_error_set(&why, WR_ERR_RUNTIME, "checkpoint %lld expired after %lld ms",
                         (long long)c->inflight, (long long)c->timeout_ms);
            return failed(c, now, &why, err);
        }
    }
    if (c->interval_ms > 0 && !c->stopping && c->inflight == 0 &&
        now - c->last_trigger_ms >= c->interval_ms && now - c->last_end_ms >= c->min_pause_ms &&
        wr_job_trigger_checkpoint(job, c->next_id) == 0) {
        c->inflight = c->next_id++;
        c->triggered_ms = c->last_trigger_ms = now;
    }
    return 0;
}

int64_t wr_coordinator_wait_ms(const wr_coordinator *c)
{
    if (c->interval_ms <= 0) return 50;
    if (c->inflight) return 5; /* collect it soon after it completes */
    int64_t due = c->last_trigger_ms + c->interval_ms - mono_ms();
    return due < 1 ? 1 : due > 50 ? 50 : due;
}

void wr_coordinator_stats_get(const wr_coordinator *c, wr_coordinator_stats *stats)
{
    *stats = c->stats;
}

/*
 * The job failed with err: if the restart strategy allows, waits its delay
 * and runs the job again from the latest complete checkpoint (or from where
 * it started). Returns true when it runs again; false leaves err as the
 * job's failure, noting why it was not restarted.
 */
static bool restarted(wr_coordinator *c, wr_job *job, const atomic_bool *cancel, wr_error *err)
{
    char why[200];
    int64_t delay;
    if (c->gave_up) return false;
    if (!wr_restart_allow(&c->restart, mono_ms(), &delay, why, sizeof(why))) {
        c->gave_up = true;
        if (c->restart.kind != WR_RESTART_NONE) {
            char note[260];
            snprintf(note, sizeof(note), " (not restarted: %s)", why);
            size_t len = strlen(err->msg);
            snprintf(err->msg + len, sizeof(err->msg) - len, "%s", note);
        }
        return false;
    }
    for (int64_t end = mono_ms() + delay; mono_ms() < end;) {
        if (cancel && atomic_load(cancel)) return false;
        wr_clock_sleep_ns(WR_MIN(end - mono_ms(), 20) * 1000000);
    }
    /* This run's latest complete checkpoint, else where the job started. */
    wr_checkpoint *from = NULL;
    char *path = NULL;
    wr_error lerr;
    wr_error_init(&lerr);
    int found = c->dir ? wr_chk_latest(c->dir, c->name, &path, NULL, &lerr) : 0;
    if (found < 0) {
        wr_error_copy(err, &lerr);
        return false;
    }
    int maxp = 0;
    if (path && wr_chk_load(path, &from, &maxp, &lerr)) {
        wr_free(path);
        wr_error_copy(err, &lerr);
        return false;
    }
    wr_free(path);
    if (from && from->id < c->first_id) { /* an earlier run's: not this job's progress */
        wr_checkpoint_free(from);
        from = NULL;
    }
    if (from == NULL && c->start_path && wr_chk_load(c->start_path, &from, &maxp, &lerr)) {
        wr_error_copy(err, &lerr);
        return false;
    }
    if (from && maxp != c->max_parallelism) {
        wr_checkpoint_free(from);
        wr_error_set(err, WR_ERR_VALIDATION,
                     "cannot restart: the checkpoint has another 'pipeline.max-parallelism'");
        return false;
    }
    if (wr_job_restart(job, from, &lerr)) {
        wr_error_copy(err, &lerr);
        return false;
    }
    c->inflight = 0;
    c->last_trigger_ms = c->last_end_ms = mono_ms();
    c->stats.restarts++;
    wr_error_init(err);
    return true;
}

const char *wr_coordinator_savepoint(const wr_coordinator *c)
{
    return c ? c->savepoint : NULL;
}

/*
 * Stop with a savepoint: stores the checkpoint in flight (if any) the
 * normal way, then takes one more whose barrier halts the sources, writes it
 * to the savepoints directory and confirms it to the operators (sinks
 * commit). Returns 0, 1 when the job ended by itself meanwhile, or an error.
 */
static int take_savepoint(wr_coordinator *c, wr_job *job, const atomic_bool *cancel, wr_error *err)
{
    int64_t deadline = mono_ms() + (c->timeout_ms > 0 ? c->timeout_ms : 600000);
    int64_t id = 0;
    wr_checkpoint *chk = NULL;
    c->stopping = true; /* poll triggers no more checkpoints */
    while (chk == NULL) {
        wr_error werr;
        wr_error_init(&werr);
        if (wr_job_wait(job, 0, &werr) != 1) return 1;
        if (cancel && atomic_load(cancel))
            return wr_error_set(err, WR_ERR_CANCELLED, "stop with savepoint cancelled");
        if (mono_ms() >= deadline)
            return wr_error_set(err, WR_ERR_RUNTIME,
                                "the savepoint did not complete within "
                                "'execution.checkpointing.timeout'");
        if (c->inflight) {
            int rc = wr_coordinator_poll(c, job, err); /* store the one in flight first */
            if (rc) return rc;
        } else if (id == 0) {
            int64_t want = WR_MAX(c->next_id, wr_chk_max_id(c->savepoints, c->name) + 1);
            if (wr_job_trigger_savepoint(job, want) == 0) {
                id = want;
                c->next_id = want + 1;
            }
        } else if (wr_job_take_checkpoint(job, &chk) && chk->id != id) {
            wr_checkpoint_free(chk); /* cannot happen: nothing else was in flight */
            chk = NULL;
        }
        if (chk == NULL) wr_clock_sleep_ns(2000000);
    }
    int rc = wr_chk_write(c->savepoints, c->name, chk, c->max_parallelism, err);
    if (rc == 0) {
        wr_free(c->savepoint);
        c->savepoint = wr_chk_path(c->savepoints, c->name, id);
        wr_job_checkpoint_done(job, id);
    }
    wr_checkpoint_free(chk);
    return rc;
}

int wr_coordinator_wait(wr_coordinator *c, wr_job *job, int64_t timeout_ms,
                        const atomic_bool *cancel, const atomic_bool *stop, wr_error *err)
{
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : mono_ms() + timeout_ms;
    bool cancelled = false;
    for (;;) {
        int64_t now = mono_ms();
        int64_t wait = c ? wr_coordinator_wait_ms(c) : 50;
        if (deadline != INT64_MAX) wait = WR_MIN(wait, WR_MAX(deadline - now, 0));
        int rc = wr_job_wait(job, wait, err);
        if (rc != 1 && (c == NULL || rc == 0 || rc == WR_ERR_CANCELLED || cancelled ||
                        !restarted(c, job, cancel, err)))
            return rc;
        if (rc != 1) continue; /* running again */
        if (!cancelled && stop && atomic_load(stop)) {
            int src = c && c->savepoints ? take_savepoint(c, job, cancel, err) : 0;
            if (src == 1) continue; /* the job ended by itself: report how */
            wr_job_cancel(job);
            wr_error ignored;
            wr_error_init(&ignored);
            wr_job_wait(job, -1, &ignored);
            if (src) {
                wr_error_prefix(err, "stop with savepoint failed: ");
                return src;
            }
            return wr_error_set(err, WR_ERR_CANCELLED, "job stopped%s%s",
                                c && c->savepoint ? " with a savepoint in " : "",
                                c && c->savepoint ? c->savepoint : "");
        }
        if (!cancelled && cancel && atomic_load(cancel)) {
            wr_job_cancel(job);
            cancelled = true;
        }
        if (c && !cancelled && (rc = wr_coordinator_poll(c, job, err))) {
            wr_job_cancel(job);
            wr_error ignored;
            wr_error_init(&ignored);
            wr_job_wait(job, -1, &ignored);
            return rc;
        }
        if (mono_ms() >= deadline) return 1;
    }
}

int wr_coordinator_restore_point(wr_coordinator *c, const wr_config *config, const char *name,
                                 bool resume, wr_checkpoint **out, wr_error *err)
{
    *out = NULL;
    const char *given = wr_config_get(config, "execution.savepoint.path", NULL);
    char *path = NULL;
    int rc = 0;
    if (given && given[0]) {
        path = wr_strdup(given);
    } else if (resume) {
        const char *dir = wr_config_get(config, "state.checkpoints.dir", NULL);
        if (dir == NULL || dir[0] == '\0')
            return wr_error_set(err, WR_ERR_VALIDATION,
                                "resuming needs 'state.checkpoints.dir' (where the job's "
                                "checkpoints are)");
        int skipped = 0;
        rc = wr_chk_latest(dir, name, &path, &skipped, err);
        if (rc <= 0) return rc; /* nothing to resume from: start fresh */
        rc = 0;
    } else {
        return 0;
    }
    int64_t want = 128;
    int maxp = 0;
    rc = wr_config_get_int64(config, "pipeline.max-parallelism", 128, &want, err);
    if (rc == 0) rc = wr_chk_load(path, out, &maxp, err);
    if (rc == 0 && c) {
        wr_free(c->start_path);
        c->start_path = wr_strdup(path);
    }
    if (rc == 0 && maxp != want) {
        rc = wr_error_set(err, WR_ERR_VALIDATION,
                          "checkpoint '%s' was taken with 'pipeline.max-parallelism' = %d, the "
                          "job runs with %lld: key groups cannot be mapped",
                          path, maxp, (long long)want);
        wr_checkpoint_free(*out);
        *out = NULL;
    }
    wr_free(path);
    return rc;
}
