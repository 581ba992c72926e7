/*
 * window.h — the keyed window operator of the DataStream API.
 *
 * Rows of a keyed stream are assigned to windows (tumbling, sliding,
 * session or global; by event or processing time); a trigger decides when a
 * window's contents are evaluated: incrementally (reduce, aggregate) or as a
 * whole (process). Windows fire on watermarks or processing-time timers,
 * keep their state per key and window in the keyed backend until their
 * allowed lateness has passed, and late rows are dropped or sent to a side
 * output. Semantics follow Flink's WindowOperator.
 */
#ifndef WR_OPS_WINDOW_H
#define WR_OPS_WINDOW_H

#include "udf.h"

typedef enum wr_window_fn_kind {
    WR_WINDOW_REDUCE,    /* reduce: the reduced row is the output row */
    WR_WINDOW_AGGREGATE, /* aggregate: result() emits */
    WR_WINDOW_PROCESS,   /* process: sees every row of the window */
} wr_window_fn_kind;

typedef struct wr_window_args {
    weir_window_spec window;     /* copied; window.trigger and late_tag borrowed */
    const wr_schema *in;         /* input rows; copied */
    const wr_schema *out;        /* output rows (= in for reduce); copied */
    const wr_keysel *key;        /* how key bytes are made; copied */
    const wr_schema *key_schema; /* the key row's fields; copied */
    const weir_tag *const *tags; /* side-output ports 1..ntags, borrowed (outlive the job) */
    int ntags;
    wr_window_fn_kind kind;
    weir_reduce_fn reduce;
    const weir_aggregate_fn *aggregate; /* borrowed */
    weir_window_fn process;
    void *arg;
} wr_window_args;

/*
 * The spec of a window operator, or a spec with ops == NULL and err filled
 * when the arguments are invalid (a size of 0, a session window with a
 * non-merging trigger, ...).
 */
wr_operator_spec wr_window_spec(const wr_window_args *args, wr_error *err);

/* Built-in triggers. The first two are static; the others are freed with wr_trigger_free. */
extern const weir_trigger wr_trigger_event_time;
extern const weir_trigger wr_trigger_processing_time;
weir_trigger *wr_trigger_count_new(int64_t count);
weir_trigger *wr_trigger_purging_new(const weir_trigger *inner);
void wr_trigger_free(weir_trigger *trigger);

/*
 * Late rows a window operator instance dropped: rows none of whose windows
 * took them because all were past their allowed lateness (Flink's
 * numLateRecordsDropped). Rows sent to window.late_tag are not counted.
 */
int64_t wr_window_late_rows(const wr_operator *op);
/* What an instance holds now: stored state entries and pending timers (tests, metrics). */
void wr_window_pending(const wr_operator *op, size_t *state_entries, size_t *timers);

/*
 * Notes on triggers (Flink's semantics):
 * - Callbacks run with the key and window current: state and timers they use
 *   are scoped to both. on_element sees the row's timestamp in ctx, the timer
 *   callbacks the timer's time.
 * - When session windows merge, the operator first moves the trigger's
 *   REDUCING and LIST state of the merged windows into the new window (as
 *   Flink's mergePartitionedState does), then calls on_merge for the new
 *   window and clear for each merged one. Other kinds of trigger state are
 *   not merged.
 */

#endif
