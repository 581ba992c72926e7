/*
 * harness.h — driving operators by hand in unit tests: a collector that keeps
 * a copy of every batch, a hand-made operator context, connector options with
 * fake SQL positions, and planning a connector's scan or sink.
 */
#ifndef WR_TEST_HARNESS_H
#define WR_TEST_HARNESS_H

#include "../../src/connectors/connector.h"

/* Keeps a copy of every batch pushed to it. */
typedef struct capture {
    wr_collector base;
    wr_batch **batches;
    int nbatches;
    int64_t rows;
} capture;

void capture_init(capture *cap);
void capture_fini(capture *cap);
/* Calls fn(batch, row, arg) for every captured row. */
void capture_each(const capture *cap, void (*fn)(const wr_batch *, int, void *), void *arg);

/* A context for subtask `subtask` of `parallelism`, emitting into out. */
void ctx_init(wr_op_ctx *ctx, int subtask, int parallelism, wr_collector *out);

/* The snapshots of an operator's instances, as a checkpoint holds them (at most 4). */
typedef struct op_snapshots {
    wr_snapshot snaps[4];
    int n;
} op_snapshots;
/*
 * The restore of subtask s of par from sv: the keyed parts of the key groups it owns (max
 * parallelism 128), whatever parallelism sv was taken at. parts has room for every part.
 */
void keyed_restore_for(const op_snapshots *sv, int s, int par, wr_restore *r,
                       const wr_snapshot_part **parts);

/*
 * Options from "key=value" strings; key i sits at byte 100*i and its value
 * at 100*i + 50 of an imaginary SQL text, so tests can check positions.
 */
void options_make(wr_config *cfg, const char *const *kv, int n);

/* A schema from comma-separated names and their types. */
wr_schema *schema_of(const char *names, const wr_type *types);

/* Plans a scan with a connector's make_source; returns the error code (0 on success). */
int plan_source(const char *connector, const wr_schema *schema, const char *const *kv, int n,
                wr_operator_spec *spec, wr_error *err);

/* Plans a scan of some columns (and filters) with a connector's make_source. */
int plan_source_request(const char *connector, const wr_schema *schema, const char *const *kv,
                        int n, const wr_scan_request *req, wr_operator_spec *spec, wr_error *err);

/* Plans a sink with a connector's make_sink; returns the error code (0 on success). */
int plan_table_sink(const char *connector, const wr_schema *schema, const char *const *kv, int n,
                    wr_operator_spec *spec, wr_error *err);

/*
 * A temporary directory per test, for Criterion's .init/.fini: tmp_init
 * creates tmp_dir, tmp_fini removes it with everything in it.
 */
extern char tmp_dir[64];
void tmp_init(void);
void tmp_fini(void);
/* Writes text to tmp_dir/name; returns the path (a static buffer, until the next call). */
const char *tmp_file(const char *name, const char *text);
/* A file's content as a new NUL-terminated string (free it), or NULL when it cannot be read. */
char *read_text(const char *path);

#endif
