/*
 * joinrig.h — driving the time-based joins (interval, temporal) by hand in
 * unit tests: instances with captured output, batches from text rows
 * ("+I 1 a 100": BIGINT, VARCHAR, and TIMESTAMP cells written in
 * milliseconds), output rows as text with TIMESTAMPs in milliseconds,
 * watermarks, snapshots and their restore at another parallelism.
 */
#ifndef WR_TEST_JOINRIG_H
#define WR_TEST_JOINRIG_H

#include "harness.h"

extern const wr_type RIG_BIGINT, RIG_STR, RIG_TS;

/* One operator instance and the output it emitted since the last check. */
typedef struct rig_inst {
    wr_op_ctx ctx;
    capture cap;
    wr_operator *op;
} rig_inst;

/* Creates subtask i of p from spec, restoring from r (or NULL); asserts success. */
void rig_start(rig_inst *in, const wr_operator_spec *spec, int i, int p, const wr_restore *r);
void rig_stop(rig_inst *in);

/* A batch of the given types from rows like "+I 1 abc 100" or "-D null x null". */
wr_batch *rig_batch(const wr_type *types, int ncols, const char *const *rows, int n);
/* Feeds rows to input `input`; returns the operator's return code. */
int rig_feed_rc(rig_inst *in, int input, const wr_type *types, int ncols, const char *const *rows,
                int n, wr_error *err);
void rig_feed(rig_inst *in, int input, const wr_type *types, int ncols, const char *const *rows,
              int n);
/* Delivers a watermark as the runtime does (ctx.watermark, then the callback). */
void rig_watermark(rig_inst *in, int64_t wm);
void rig_end_input(rig_inst *in, int input);

/* A captured row as text: "+I[1, a, 100, null]", TIMESTAMPs in milliseconds. */
void rig_format_row(const wr_batch *batch, int row, wr_buf *out);
/* The output since the last call, one row per entry (caller frees each and the array). */
char **rig_taken(rig_inst *in, int *n);
/* Asserts that the output since the last check is exactly want (in order, or as a multiset). */
void rig_expect(rig_inst *in, bool sorted, const char *const *want, int nwant);
/* The output of instances ins[0..p) since the last check, sorted, joined by spaces (free it). */
char *rig_all_output(rig_inst *ins, int p);
int rig_cmp_str(const void *a, const void *b);

#define RIG_EXPECT(in, ...)                                                                        \
    do {                                                                                           \
        const char *const want_[] = {__VA_ARGS__};                                                 \
        rig_expect(in, false, want_, (int)(sizeof(want_) / sizeof(want_[0])));                     \
    } while (0)
#define RIG_EXPECT_SORTED(in, ...)                                                                 \
    do {                                                                                           \
        const char *const want_[] = {__VA_ARGS__};                                                 \
        rig_expect(in, true, want_, (int)(sizeof(want_) / sizeof(want_[0])));                      \
    } while (0)
#define RIG_EXPECT_NONE(in) rig_expect(in, false, NULL, 0)

/* Snapshots of instances, and the restore of one new instance from them. */
typedef struct rig_saved {
    wr_snapshot snaps[8];
    int n;
} rig_saved;

void rig_snapshot_all(rig_inst *ins, int p, rig_saved *sv);
void rig_saved_fini(rig_saved *sv);
/* The restore of subtask i of p: the parts of the key groups it owns, whoever wrote them. */
void rig_restore_for(const rig_saved *sv, int i, int p, wr_restore *r,
                     const wr_snapshot_part **parts, int cap);
/* The subtask of p that owns the join key of a single BIGINT key column. */
int rig_owner(int64_t key, int p);

#endif
