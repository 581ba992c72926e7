/*
 * result.h — rows a statement returns (weir_result), and the collect sink
 * that gathers a query's rows into one.
 */
#ifndef WR_RESULT_H
#define WR_RESULT_H

#include "../ops/operator.h"
#include "../types/schema.h"
#include "weir.h"

#include <pthread.h>

struct weir_result {
    wr_schema *schema;
    char **type_names;
    wr_batch **batches; /* dense, WR_BATCH_CAPACITY rows each but the last */
    int nbatches;
    int64_t nrows;
    char **texts;         /* nrows * ncols, built on first use */
    pthread_mutex_t lock; /* the collect sink's subtasks append under it */
    /* Called under lock after each append with the new rows (weir_session_on_rows). */
    weir_rows_fn live;
    void *live_arg;
};

/* An empty result with a copy of schema. */
weir_result *wr_result_new(const wr_schema *schema);
/* Appends the active rows of batch (copies them). Thread-safe. */
void wr_result_append(weir_result *result, const wr_batch *batch);
/* Appends one row of strings (for SHOW / DESCRIBE / EXPLAIN); columns must be strings. */
void wr_result_add_text_row(weir_result *result, const char *const *values);

/* A sink spec that appends what it receives to result (borrowed; must outlive the job). */
wr_operator_spec wr_collect_spec(weir_result *result);

#endif
