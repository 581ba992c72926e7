/*
 * restart.c — restart strategies; see restart.h.
 */
#include "restart.h"
#include "../base/alloc.h"
#include "../base/hash.h"

#include <stdio.h>
#include <string.h>

static const char *const kinds[] = {"none", "fixed-delay", "failure-rate", "exponential-delay",
                                    NULL};

/* An integer option of at least min. */
static int int_option(const wr_config *cfg, const char *key, int64_t def, int64_t min, int64_t *out,
                      wr_error *err)
{
    int rc = wr_config_get_int64(cfg, key, def, out, err);
    if (rc == 0 && *out < min) {
        const wr_config_entry *e = wr_config_find(cfg, key);
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, e ? e->value_pos : -1,
                             "invalid value '%s' for option '%s': expected an integer of at "
                             "least %lld",
                             e ? e->value : "?", key, (long long)min);
    }
    return rc;
}

static int double_option(const wr_config *cfg, const char *key, double def, double min, double max,
                         double *out, wr_error *err)
{
    int rc = wr_config_get_double(cfg, key, def, out, err);
    if (rc == 0 && (*out < min || *out > max)) {
        const wr_config_entry *e = wr_config_find(cfg, key);
        rc = wr_error_set_at(err, WR_ERR_VALIDATION, e ? e->value_pos : -1,
                             "invalid value '%s' for option '%s': expected a number from %g to %g",
                             e ? e->value : "?", key, min, max);
    }
    return rc;
}

static int read(wr_restart *r, const wr_config *cfg, bool checkpointing, wr_error *err)
{
    int kind, rc;
    memset(r, 0, sizeof(*r));
    int def = checkpointing ? WR_RESTART_EXPONENTIAL_DELAY : WR_RESTART_NONE;
    if ((rc = wr_config_get_enum(cfg, "restart-strategy.type", kinds, def, &kind, err)) ||
        (rc = int_option(cfg, "restart-strategy.fixed-delay.attempts", 1, 0, &r->attempts, err)) ||
        (rc = wr_config_get_duration_ms(cfg, "restart-strategy.fixed-delay.delay", 1000,
                                        &r->delay_ms, err)) ||
        (rc = int_option(cfg, "restart-strategy.failure-rate.max-failures-per-interval", 1, 1,
                         &r->max_failures, err)) ||
        (rc = wr_config_get_duration_ms(cfg, "restart-strategy.failure-rate.failure-rate-interval",
                                        60000, &r->interval_ms, err)) ||
        (rc = wr_config_get_duration_ms(cfg, "restart-strategy.exponential-delay.initial-backoff",
                                        1000, &r->initial_ms, err)) ||
        (rc = wr_config_get_duration_ms(cfg, "restart-strategy.exponential-delay.max-backoff",
                                        60000, &r->max_ms, err)) ||
        (rc = wr_config_get_duration_ms(
             cfg, "restart-strategy.exponential-delay.reset-backoff-threshold", 3600000,
             &r->reset_ms, err)) ||
        (rc = double_option(cfg, "restart-strategy.exponential-delay.backoff-multiplier", 1.5, 1.0,
                            1000.0, &r->multiplier, err)) ||
        (rc = double_option(cfg, "restart-strategy.exponential-delay.jitter-factor", 0.1, 0.0, 1.0,
                            &r->jitter, err)) ||
        (rc = int_option(cfg, "restart-strategy.exponential-delay.attempts-before-reset-backoff",
                         INT64_MAX, 1, &r->attempts_before_reset, err)))
        return rc;
    r->kind = (wr_restart_kind)kind;
    if (r->kind == WR_RESTART_FAILURE_RATE)
        wr_config_get_duration_ms(cfg, "restart-strategy.failure-rate.delay", 1000, &r->delay_ms,
                                  err);
    return 0;
}

int wr_restart_check_config(const wr_config *config, wr_error *err)
{
    wr_restart r;
    return read(&r, config, false, err);
}

int wr_restart_init(wr_restart *r, const wr_config *config, bool checkpointing, wr_error *err)
{
    int rc = read(r, config, checkpointing, err);
    r->rng = wr_hash_u64((uint64_t)(uintptr_t)r);
    return rc;
}

void wr_restart_fini(wr_restart *r)
{
    wr_free(r->failures_ms);
    r->failures_ms = NULL;
}

bool wr_restart_allow(wr_restart *r, int64_t now_ms, int64_t *delay_ms, char *why, size_t size)
{
    switch (r->kind) {
    case WR_RESTART_NONE:
        snprintf(why, size, "restart-strategy.type is none");
        return false;
    case WR_RESTART_FIXED_DELAY:
        if (r->restarts >= r->attempts) {
            snprintf(why, size, "fixed-delay restart strategy: %lld attempt(s) used",
                     (long long)r->attempts);
            return false;
        }
        r->restarts++;
        *delay_ms = r->delay_ms;
        return true;
    case WR_RESTART_FAILURE_RATE: {
        /* Keep the failures within the interval, this one included. */
        int kept = 0;
        for (int i = 0; i < r->nfailures; i++)
            if (now_ms - r->failures_ms[i] < r->interval_ms)
                r->failures_ms[kept++] = r->failures_ms[i];
        r->failures_ms = wr_realloc(r->failures_ms, (size_t)(kept + 1) * sizeof(int64_t));
        r->failures_ms[kept++] = now_ms;
        r->nfailures = kept;
        if (kept > r->max_failures) {
            snprintf(why, size,
                     "failure-rate restart strategy: %d failures within %lld ms (at most %lld)",
                     kept, (long long)r->interval_ms, (long long)r->max_failures);
            return false;
        }
        *delay_ms = r->delay_ms;
        return true;
    }
    case WR_RESTART_EXPONENTIAL_DELAY: {
        bool calm = r->last_failure_ms && now_ms - r->last_failure_ms >= r->reset_ms;
        if (r->backoff_ms == 0 || calm || r->restarts >= r->attempts_before_reset) {
            r->backoff_ms = r->initial_ms;
            r->restarts = 0;
        } else {
            double next = (double)r->backoff_ms * r->multiplier;
            r->backoff_ms = next > (double)r->max_ms ? r->max_ms : (int64_t)next;
        }
        r->restarts++;
        r->last_failure_ms = now_ms;
        /* Jitter spreads restarts of many jobs: +- jitter * backoff. */
        r->rng ^= r->rng << 13, r->rng ^= r->rng >> 7, r->rng ^= r->rng << 17;
        double unit = (double)(r->rng >> 11) / (double)(1ULL << 53) * 2.0 - 1.0;
        int64_t d = (int64_t)((double)r->backoff_ms * (1.0 + unit * r->jitter));
        *delay_ms = d < 0 ? 0 : d;
        return true;
    }
    }
    return false;
}
