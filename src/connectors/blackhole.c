/*
 * blackhole.c — the 'blackhole' sink: accepts every row and drops it.
 *
 * Useful for measuring a pipeline without the cost of output; the runtime
 * still counts the rows it hands over (ctx->rows_in).
 */
#include "connector_int.h"
#include "../base/alloc.h"

static wr_operator *blackhole_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int blackhole_process(wr_operator *op, int input, wr_batch *batch, wr_error *err);
static void blackhole_destroy(wr_operator *op);

static const wr_operator_ops blackhole_ops = {
    .kind = "blackhole",
    .create = blackhole_create,
    .process = blackhole_process,
    .destroy = blackhole_destroy,
};

static wr_operator *blackhole_create(const void *spec, wr_op_ctx *ctx, wr_error *err)
{
    wr_operator *op = wr_calloc(1, sizeof(*op));
    op->ops = &blackhole_ops;
    op->ctx = ctx;
    return op;
}

static int blackhole_process(wr_operator *op, int input, wr_batch *batch, wr_error *err)
{
    return 0;
}

static void blackhole_destroy(wr_operator *op)
{
    wr_free(op);
}

/* Accepts only 'connector' and 'sink.parallelism'. */
static int blackhole_make_sink(const wr_schema *schema, const wr_config *options,
                               const wr_config *job, wr_operator_spec *out, wr_error *err)
{
    int parallelism;
    int rc = wr_connector_get_parallelism(options, "sink.parallelism", &parallelism, err);
    if (rc) return rc;
    rc = wr_connector_check_unused(options, "blackhole", "connector, sink.parallelism", err);
    if (rc) return rc;
    *out = (wr_operator_spec){.ops = &blackhole_ops, .parallelism = parallelism};
    return 0;
}

const wr_connector wr_connector_blackhole = {
    .name = "blackhole",
    .sink_changes = WR_SINK_ANY,
    .make_source = NULL,
    .make_sink = blackhole_make_sink,
};
