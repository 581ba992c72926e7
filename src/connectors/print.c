/*
 * print.c — the 'print' sink: each row as Flink prints it, one per line.
 *
 * Lines look like "+I[1, abc]" with Flink's prefix ("2> ", "id:2> ", "id> ").
 * A batch's text is built in memory and written with one write(2) loop
 * straight to the file descriptor, without stdio buffering, so lines of
 * subtasks running on different threads never mix within a line and
 * nothing is left to flush when the job ends.
 */
#include "connector_int.h"
#include "../base/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

typedef struct print_spec {
    char *identifier; /* NULL when absent or blank */
    bool to_stderr;
} print_spec;

typedef struct print_sink {
    wr_operator base;
    const print_spec *spec;
    int fd;
    wr_buf prefix; /* "", "3> ", "id> " or "id:3> " */
    wr_buf text;   /* the current batch's lines; reused */
} print_sink;

static wr_operator *print_create(const void *spec, wr_op_ctx *ctx, wr_error *err);
static int print_process(wr_operator *op, int input, wr_batch *batch, wr_error *err);
static void print_destroy(wr_operator *op);

static const wr_operator_ops print_ops = {
    .kind = "print",
    .create = print_create,
    .process = print_process,
    .destroy = print_destroy,
};

/* Flink's PrintSinkOutputWriter prefix: identifier, ":" and subtask+1 when parallel, "> ". */
static wr_operator *print_create(const void *vspec, wr_op_ctx *ctx, wr_error *err)
{
    const print_spec *spec = vspec;
    print_sink *sink = wr_calloc(1, sizeof(*sink));
    sink->base.ops = &print_ops;
    sink->base.ctx = ctx;
    sink->spec = spec;
    sink->fd = spec->to_stderr ? STDERR_FILENO : STDOUT_FILENO;
    wr_buf_init(&sink->prefix);
    wr_buf_init(&sink->text);
    if (spec->identifier) wr_buf_puts(&sink->prefix, spec->identifier);
    if (ctx->parallelism > 1) {
        if (spec->identifier) wr_buf_putc(&sink->prefix, ':');
        wr_buf_printf(&sink->prefix, "%d", ctx->subtask + 1);
    }
    if (sink->prefix.len) wr_buf_puts(&sink->prefix, "> ");
    return &sink->base;
}

static int print_process(wr_operator *op, int input, wr_batch *batch, wr_error *err)
{
    print_sink *sink = (print_sink *)op;
    int rows = wr_batch_rows(batch);
    if (rows == 0) return 0;
    wr_buf_reset(&sink->text);
    for (int i = 0; i < rows; i++) {
        if (sink->prefix.len) wr_buf_append(&sink->text, sink->prefix.data, sink->prefix.len);
        wr_batch_format_row(batch, wr_batch_row(batch, i), &sink->text);
        wr_buf_putc(&sink->text, '\n');
    }
    int errnum = wr_connector_write_all(sink->fd, sink->text.data, sink->text.len);
    if (errnum)
        return wr_error_set(err, WR_ERR_IO, "print sink '%s': cannot write to %s: %s",
                            op->ctx->name ? op->ctx->name : "print",
                            sink->spec->to_stderr ? "standard error" : "standard output",
                            strerror(errnum));
    return 0;
}

static void print_destroy(wr_operator *op)
{
    print_sink *sink = (print_sink *)op;
    wr_buf_fini(&sink->prefix);
    wr_buf_fini(&sink->text);
    wr_free(sink);
}

static void print_spec_free(void *vspec)
{
    print_spec *spec = vspec;
    wr_free(spec->identifier);
    wr_free(spec);
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return false;
    return true;
}

/* Options: 'print-identifier', 'standard-error', 'sink.parallelism'. */
static int print_make_sink(const wr_schema *schema, const wr_config *options, const wr_config *job,
                           wr_operator_spec *out, wr_error *err)
{
    bool to_stderr;
    int parallelism;
    int rc = wr_config_get_bool(options, "standard-error", false, &to_stderr, err);
    if (rc == 0) rc = wr_connector_get_parallelism(options, "sink.parallelism", &parallelism, err);
    const char *identifier = wr_config_get(options, "print-identifier", NULL);
    if (rc == 0)
        rc = wr_connector_check_unused(
            options, "print", "connector, print-identifier, standard-error, sink.parallelism", err);
    if (rc) return rc;
    print_spec *spec = wr_calloc(1, sizeof(*spec));
    spec->to_stderr = to_stderr;
    /* Flink treats a blank identifier as none. */
    if (identifier && !blank(identifier)) spec->identifier = wr_strdup(identifier);
    *out = (wr_operator_spec){
        .ops = &print_ops, .spec = spec, .spec_free = print_spec_free, .parallelism = parallelism};
    return 0;
}

const wr_connector wr_connector_print = {
    .name = "print",
    .sink_changes = WR_SINK_ANY,
    .make_source = NULL,
    .make_sink = print_make_sink,
};
