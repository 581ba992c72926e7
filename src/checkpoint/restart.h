/*
 * restart.h — restart strategies: whether, and after how long, a failed job
 * runs again (from its latest checkpoint). Flink's options:
 *
 *   restart-strategy.type = none | fixed-delay | failure-rate | exponential-delay
 *     (default: exponential-delay when checkpointing is on, none otherwise)
 *   restart-strategy.fixed-delay.attempts (1), .delay (1 s)
 *   restart-strategy.failure-rate.max-failures-per-interval (1),
 *     .failure-rate-interval (1 min), .delay (1 s)
 *   restart-strategy.exponential-delay.initial-backoff (1 s), .max-backoff (1 min),
 *     .backoff-multiplier (1.5), .reset-backoff-threshold (1 h), .jitter-factor (0.1),
 *     .attempts-before-reset-backoff (unlimited)
 */
#ifndef WR_CHECKPOINT_RESTART_H
#define WR_CHECKPOINT_RESTART_H

#include "../base/config.h"
#include "../base/error.h"

typedef enum wr_restart_kind {
    WR_RESTART_NONE,
    WR_RESTART_FIXED_DELAY,
    WR_RESTART_FAILURE_RATE,
    WR_RESTART_EXPONENTIAL_DELAY,
} wr_restart_kind;

typedef struct wr_restart {
    wr_restart_kind kind;
    int64_t attempts, delay_ms;           /* fixed-delay; failure-rate delay */
    int64_t max_failures, interval_ms;    /* failure-rate */
    int64_t initial_ms, max_ms, reset_ms; /* exponential-delay */
    double multiplier, jitter;
    int64_t attempts_before_reset;
    /* What happened so far. */
    int64_t restarts;     /* fixed-delay: restarts made; exponential: since the last reset */
    int64_t *failures_ms; /* failure-rate: times of recent failures */
    int nfailures;
    int64_t backoff_ms, last_failure_ms;
    uint64_t rng;
} wr_restart;

/* Checks the options' values (at SET): 0 or WR_ERR_VALIDATION naming the key. */
int wr_restart_check_config(const wr_config *config, wr_error *err);
/* Reads the strategy; `checkpointing` picks the default. */
int wr_restart_init(wr_restart *r, const wr_config *config, bool checkpointing, wr_error *err);
void wr_restart_fini(wr_restart *r);
/*
 * A failure at now_ms (monotonic): true with *delay_ms when the job may run
 * again after that delay, false when the strategy gives up. *why names the
 * strategy and its limit for the message.
 */
bool wr_restart_allow(wr_restart *r, int64_t now_ms, int64_t *delay_ms, char *why, size_t size);

#endif
