/*
 * udf.h — what stands behind the DataStream API's weir_row, weir_out and
 * weir_ctx: reading rows of a batch, building output rows into batches,
 * and reaching keyed state and timers from user callbacks.
 *
 * Every operator that calls user functions (ops/stream.c, ops/window.c,
 * the callback source and sink) embeds one wr_udf. Output rows are built
 * straight into per-port batches, which the operator sends with
 * wr_udf_flush() before returning to the runtime and before forwarding a
 * watermark, so rows and watermarks keep their order.
 */
#ifndef WR_OPS_UDF_H
#define WR_OPS_UDF_H

#include "../state/keyed.h"
#include "../state/keysel.h"
#include "../state/timers.h"
#include "../types/schema.h"
#include "operator.h"

#include <weir.h>

/* A side output: a name and a schema; ports of an operator are its tags in order. */
struct weir_tag {
    char *name;
    wr_schema *schema;
};

struct weir_row {
    const wr_batch *batch;
    int row; /* physical row */
    const wr_schema *schema;
};

struct weir_out {
    struct weir_ctx *ctx;
    int port;
    const wr_schema *schema;
    wr_batch *batch; /* rows being built; sent when full or flushed */
    bool open;       /* a row is under construction at batch->count */
    int64_t timestamp;
    bool timestamp_set;
};

typedef struct wr_udf_state {
    const weir_state_desc *desc;
    int id; /* in the keyed backend */
} wr_udf_state;

struct weir_ctx {
    wr_op_ctx *op;
    wr_error *err;         /* where weir_fail and misuse are reported during a callback */
    bool failed;           /* a setter was misused: the next weir_emit fails */
    wr_error deferred;     /* a failure met while err was not set, for wr_udf_check */
    struct weir_out *outs; /* per port: 0 main, then one per tag */
    int nouts;
    const weir_tag *const *tags; /* tags[p - 1] is port p's */
    int64_t timestamp;           /* current record or timer */
    wr_keyed *keyed;             /* keyed operators; NULL otherwise */
    wr_timers *timers;           /* keyed operators; NULL otherwise */
    const void *ns;              /* state and timer namespace (a window), or NULL */
    size_t nslen;
    const wr_schema *key_schema;
    wr_batch *key_batch; /* decoded current key, one row */
    bool key_decoded;
    weir_row key_row;
    int64_t window_start, window_end; /* WEIR_NO_TIMESTAMP outside windows */
    wr_udf_state *states;
    int nstates;
    weir_row row; /* scratch for handing rows to callbacks */
};

typedef struct weir_ctx wr_udf;

/*
 * Sets up a context for an operator instance: port 0 has schema out (NULL:
 * no main output, as in sinks), ports 1..ntags the side outputs of tags
 * (all borrowed). keyed and timers may be NULL (not keyed); key_schema
 * describes the key bytes (row codec of its fields).
 */
void wr_udf_init(wr_udf *u, wr_op_ctx *op, const wr_schema *out, const weir_tag *const *tags,
                 int ntags, wr_keyed *keyed, wr_timers *timers, const wr_schema *key_schema);
void wr_udf_fini(wr_udf *u);
/* Registers NULL-terminated state descriptors with the keyed backend; WR_ERR_VALIDATION on a clash.
 */
int wr_udf_register_states(wr_udf *u, const weir_state_desc *const *descs, wr_error *err);
/* Sends every output row built so far. */
int wr_udf_flush(wr_udf *u, wr_error *err);
/* Makes key bytes the current key of state and timers. */
void wr_udf_set_key(wr_udf *u, const void *key, size_t len);
/* Points the scratch row at a physical row of batch and returns it. */
const weir_row *wr_udf_row(wr_udf *u, const wr_batch *batch, int row, const wr_schema *schema);
/*
 * The result of a user callback: rc 0 is success; otherwise the job fails
 * with the message set by weir_fail, or one naming `what`.
 */
int wr_udf_check(wr_udf *u, int rc, const char *what, wr_error *err);

/*
 * Keyed state of an operator instance in checkpoints: one part per owned key
 * group that holds state or timers (state/snapshot.h format), and back.
 */
void wr_udf_snapshot_keyed(wr_keyed *keyed, wr_timers *timers, wr_snapshot *out);
int wr_udf_restore_keyed(wr_keyed *keyed, wr_timers *timers, const wr_restore *restore,
                         wr_error *err);

#endif
