/*
 * testops.h — small operators for runtime tests: a counting source, a sink
 * that records what reached each subtask, a slow sink and a failing operator.
 */
#ifndef WR_TESTOPS_H
#define WR_TESTOPS_H

#include "../../src/runtime/job.h"

#include <pthread.h>
#include <stdatomic.h>

/*
 * Emits BIGINT rows (key = i % nkeys, value = i) for i in [0, rows), split among
 * subtasks. Its snapshot is the number of rows its subtask emitted (int64),
 * from which a restored instance continues.
 */
typedef struct test_source_spec {
    int64_t rows;
    int nkeys;
    atomic_long *emitted_batches; /* optional: counts emitted batches */
    /* Optional: once it emitted all its rows, it holds the job open, emitting nothing, until
     * *hold turns false: returning WR_SOURCE_IDLE when hold_idle, else staying busy (a
     * millisecond's sleep inside each run). */
    atomic_bool *hold;
    bool hold_idle;
} test_source_spec;

/*
 * Records (subtask, key, value) of every row it receives. Its snapshot is the
 * number of rows its instance received (int64); it counts checkpoint_done calls.
 */
typedef struct test_sink_state {
    pthread_mutex_t lock;
    int64_t n, cap;
    int *subtask;
    int64_t *key;
    int64_t *value;
    int64_t sleep_us_per_batch;   /* slow sink */
    atomic_long *emitted_batches; /* with the source's counter: in-flight check */
    long max_in_flight;           /* most batches emitted but not yet consumed */
    atomic_long consumed_batches;
    int fail_after_rows; /* > 0: fail once this many rows arrived */
    bool fail_once;      /* fail only the first time (a restarted job then succeeds) */
    bool fail_snapshot;  /* its snapshots fail (as a sink whose pre-commit fails) */
    bool has_failed;
    atomic_long checkpoints_done; /* checkpoint_done calls */
} test_sink_state;

wr_operator_spec test_source(test_source_spec *spec);
wr_operator_spec test_sink(test_sink_state *state);
void test_sink_init(test_sink_state *state);
/*
 * A two-vertex graph: source (parallelism ps) -> sink (pk) over part, keyed on
 * column 0 for WR_PART_HASH. Stores the sink's vertex id in *sink_vertex if given.
 */
wr_jobgraph *test_pipeline(test_source_spec *src, test_sink_state *sink, int ps, int pk,
                           wr_partition part, int *sink_vertex);
void test_sink_fini(test_sink_state *state);

#endif
