/*
 * timers.h — the timer service of a keyed operator instance.
 *
 * Timers belong to a key and a namespace (opaque bytes, e.g. an encoded
 * window) in one of two time domains: event time (fired when the watermark
 * passes them) and processing time (fired when the wall clock does). A timer
 * is registered at most once per (domain, time, key, namespace), so
 * registering it again is a no-op. Timers pop in time order; timers with the
 * same time pop in the order they were registered. Each timer remembers its
 * key group so a checkpoint can store timers group by group.
 *
 * Thread rule: used by its task's thread only.
 */
#ifndef WR_STATE_TIMERS_H
#define WR_STATE_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum wr_time_domain {
    WR_EVENT_TIME = 0,
    WR_PROCESSING_TIME = 1,
} wr_time_domain;

typedef struct wr_timers wr_timers;

/* A popped timer; its bytes stay valid until the next call on the service. */
typedef struct wr_timer {
    wr_time_domain domain;
    int64_t time;
    const void *key, *ns;
    size_t klen, nslen;
    int keygroup;
} wr_timer;

wr_timers *wr_timers_new(void);
void wr_timers_free(wr_timers *ts);

/*
 * Registers a timer (copying key and ns); returns false when it already
 * existed. keygroup must be >= 0; the service keeps a chain per key group up
 * to the largest one seen.
 */
bool wr_timers_register(wr_timers *ts, wr_time_domain domain, int64_t time, const void *key,
                        size_t klen, const void *ns, size_t nslen, int keygroup);
/* Deletes a timer; returns false when there was none. */
bool wr_timers_delete(wr_timers *ts, wr_time_domain domain, int64_t time, const void *key,
                      size_t klen, const void *ns, size_t nslen);
/* The earliest timer's time in a domain, or INT64_MAX when there is none. */
int64_t wr_timers_next(const wr_timers *ts, wr_time_domain domain);
/*
 * Removes the earliest timer of the domain if its time is <= limit and
 * describes it in *out; returns false when there is none that early.
 */
bool wr_timers_pop(wr_timers *ts, wr_time_domain domain, int64_t limit, wr_timer *out);
size_t wr_timers_count(const wr_timers *ts);
/*
 * Calls fn for every timer of key group kg (for snapshots) in registration
 * order, both domains interleaved; the cost is that of the group's timers
 * only. Registering them in this order into another service keeps the order
 * in which timers of equal time pop. fn must not call the service.
 */
void wr_timers_for_each(const wr_timers *ts, int kg, void (*fn)(void *arg, const wr_timer *t),
                        void *arg);

#endif
