/*
 * aggregate_int.h — the accumulators of the aggregate functions, shared by
 * the batch hash aggregation (hash_agg.c) and, later, the streaming group
 * aggregation.
 *
 * An accumulator is prepared once per aggregate call (wr_agg_acc_init) and
 * works on state rows it does not own: the state of group g is the
 * acc->size bytes at rows + g * stride + acc->offset of a wr_agg_states.
 * All-zero bytes are the empty accumulator, so a caller makes room for new
 * groups with memset (a user function's state, which its init sets up, is
 * initialised on its first use: a flag before it says whether it was). Updates run
 * column-at-a-time: one call handles a vector of (input row, group) pairs with one loop per
 * function and physical type, chosen at init, so no per-row dispatch remains.
 */
#ifndef WR_OPS_AGGREGATE_INT_H
#define WR_OPS_AGGREGATE_INT_H

#include "aggregate.h"

/*
 * How values of a type are held. Adding a logical type means adding its case
 * to wr_agg_phys_of; every accumulator dispatches on this. The class says how
 * values are stored and ordered, not what they mean: a DATE is an I32, so the
 * functions that need a number (SUM, AVG, STDDEV, VAR) also check the logical
 * type.
 */
typedef enum wr_agg_phys {
    WR_PHYS_NONE = 0, /* no argument (COUNT(*)), or a type aggregates cannot hold */
    WR_PHYS_BOOL,     /* uint8_t 0/1 */
    WR_PHYS_I8,
    WR_PHYS_I16,
    WR_PHYS_I32,  /* also DATE, TIME, INTERVAL YEAR TO MONTH */
    WR_PHYS_I64,  /* also TIMESTAMP, TIMESTAMP_LTZ, INTERVAL DAY TO SECOND */
    WR_PHYS_I128, /* DECIMAL: the unscaled wr_int128 at the type's scale */
    WR_PHYS_F32,
    WR_PHYS_F64,
    WR_PHYS_STR, /* wr_str: character and byte strings */
} wr_agg_phys;

wr_agg_phys wr_agg_phys_of(wr_type_id id);

/* Where accumulator states live: group g's row at rows + g * stride. */
typedef struct wr_agg_states {
    uint8_t *rows;
    size_t stride;
    wr_arena *heap; /* memory for copied strings; lives as long as the states */
    bool single;    /* one group (an aggregation without GROUP BY): every groups[i] is 0 */
} wr_agg_states;

typedef struct wr_agg_acc wr_agg_acc;

/*
 * Adds (update) or removes (retract) the values of rows[i] of arg (and, for
 * LISTAGG, of the separator arg2) to the state of group groups[i], for i in
 * [0, n). NULL values are skipped except by COUNT(*) and SINGLE_VALUE. The
 * vectors are borrowed; strings that are kept are copied into st->heap.
 * Returns 0, or a negative code with err filled (SINGLE_VALUE's second row,
 * a user function's error). A user function (WR_AGG_USER) reads all its
 * arguments: arg is then the input's array of columns, which acc->args index.
 */
typedef int (*wr_agg_update_fn)(const wr_agg_acc *acc, const wr_agg_states *st,
                                const wr_vector *arg, const wr_vector *arg2, const uint32_t *rows,
                                const uint32_t *groups, int n, wr_error *err);

/*
 * Folds the accumulator src into dst (both point at the accumulator itself,
 * offset applied); src's strings are copied into heap. src comes after dst
 * in arrival order (FIRST_VALUE keeps dst's, LAST_VALUE takes src's).
 */
typedef int (*wr_agg_merge_fn)(const wr_agg_acc *acc, void *dst, const void *src, wr_arena *heap,
                               wr_error *err);

/*
 * Writes the results of groups first..first+n-1 into column col of out,
 * rows row0..row0+n-1 (NULLs through the column's validity). String results
 * are views of the states' memory: valid while the states are.
 */
typedef void (*wr_agg_final_fn)(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first,
                                int n, wr_batch *out, int col, int row0);

/* The same for functions whose results can fail (user functions); 0 or a negative code. */
typedef int (*wr_agg_final_err_fn)(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first,
                                   int n, wr_batch *out, int col, int row0, wr_error *err);

/*
 * Two-phase aggregation: merges the intermediate columns cols[0..acc->npartial)
 * of rows[i] into the state of group groups[i], for i in [0, n), through the
 * accumulator's merge. The vectors are borrowed; kept strings are copied into
 * st->heap.
 */
typedef int (*wr_agg_absorb_fn)(const wr_agg_acc *acc, const wr_agg_states *st,
                                const wr_vector *cols, const uint32_t *rows, const uint32_t *groups,
                                int n, wr_error *err);

struct wr_agg_acc {
    wr_agg_kind kind;
    wr_agg_phys phys; /* of the argument */
    wr_type arg;      /* argument type (BIGINT NOT NULL for COUNT(*)) */
    wr_type result;
    int args[WR_AGG_MAX_ARGS], nargs, filter;
    bool distinct;
    const wr_agg_user *user; /* WR_AGG_USER: the function */
    uint32_t size, align;    /* of one state */
    uint32_t offset;         /* within a state row: set by the caller (wr_agg_layout) */
    wr_agg_update_fn update;
    wr_agg_update_fn retract; /* NULL: the function cannot retract (MIN, MAX, LISTAGG, ...) */
    wr_agg_merge_fn merge;
    wr_agg_final_fn final;         /* NULL when final_err is set */
    wr_agg_final_err_fn final_err; /* set instead of final where results can fail: callers
                                      use wr_agg_acc_final */
    /* Two-phase aggregation (wr_agg_acc_phase): the state as npartial intermediate columns,
     * written by partial (as final writes results) and merged back by absorb. */
    int npartial;
    wr_type partial_types[WR_AGG_PARTIAL_MAX];
    wr_agg_final_fn partial;
    wr_agg_absorb_fn absorb;
};

/*
 * Prepares the accumulator of call over input columns of types in[0..nin).
 * Fails with WR_ERR_VALIDATION naming the function when the call does not fit
 * the input (a column out of range, an argument type the function cannot
 * take, a result type other than the argument's where it must be equal, a
 * FILTER column that is not BOOLEAN).
 */
int wr_agg_acc_init(wr_agg_acc *acc, const wr_agg_call *call, const wr_type *in, int nin,
                    wr_error *err);

/* Writes results as acc->final or acc->final_err does (the arguments of wr_agg_final_fn). */
int wr_agg_acc_final(const wr_agg_acc *acc, const wr_agg_states *st, uint32_t first, int n,
                     wr_batch *out, int col, int row0, wr_error *err);

/*
 * Lays accs[0..n) out in one state row: sets each offset and returns the
 * stride (a multiple of the strictest alignment; 0 when n is 0).
 */
size_t wr_agg_layout(wr_agg_acc *accs, int n);

/* Whether the function of kind can retract values (streaming over changelogs). */
bool wr_agg_can_retract(wr_agg_kind kind);

/*
 * Prepares an initialised accumulator for two-phase aggregation: sets
 * npartial, partial_types, partial and absorb. Returns false (and leaves
 * them unset) when its state has no intermediate columns: DISTINCT calls,
 * FIRST_VALUE, LAST_VALUE, LISTAGG, SINGLE_VALUE, or a state this does not
 * know (aggfuncs.c recognises states by their merge and final functions).
 */
bool wr_agg_acc_phase(wr_agg_acc *acc);

/*
 * wr_agg_acc_phase for the local phase of a streaming aggregation over an
 * updating input, whose states are deltas: rows accumulated minus rows
 * retracted since the last flush, so counts may be 0 or negative while sums
 * are not. Retractions then never restart a state from zero, and SUM's (and
 * $SUM0's) intermediate columns are its sum and count, NOT NULL (the layout
 * of AVG's), instead of the sum alone. Returns false for the calls whose
 * intermediate columns cannot carry retractions: every call but COUNT,
 * COUNT(*), SUM, $SUM0, AVG, STDDEV and VAR, and those wr_agg_acc_phase
 * refuses. The global phase absorbs such deltas with the same accumulator.
 */
bool wr_agg_acc_phase_delta(wr_agg_acc *acc);

/*
 * Checkpoints: appends the state at `state` (the accumulator itself, offset
 * applied) to out, including the bytes it keeps in the heap, and reads one
 * back into `state` (copying kept bytes into heap). A state written by an
 * accumulator of the same call loads into an equal one; truncated or
 * malformed bytes give WR_ERR_IO. The bytes are those of this build's
 * layouts (little-endian), which a change of a state struct changes.
 */
void wr_agg_acc_save(const wr_agg_acc *acc, const void *state, wr_buf *out);
int wr_agg_acc_load(const wr_agg_acc *acc, void *state, wr_buf_reader *in, wr_arena *heap,
                    wr_error *err);

/* agg_phase.c: the calls of one operator in two phases. */

/* wr_agg_acc_phase for accs[0..n); fails with WR_ERR_VALIDATION naming the first call that
 * cannot run in two phases. */
int wr_agg_phase_init(wr_agg_acc *accs, int n, wr_error *err);

/* The intermediate column types of accs[0..n) (prepared), in order; returns how many. */
int wr_agg_phase_types(const wr_agg_acc *accs, int n, wr_type *out);

/* The local phase's end: writes the states of groups first..first+n-1 as intermediate columns
 * from column col of out, rows 0..n-1. */
void wr_agg_phase_partial(const wr_agg_acc *accs, int naccs, const wr_agg_states *st,
                          uint32_t first, int n, wr_batch *out, int col);

/* The global phase's update: merges the intermediate columns of in, from column col, of
 * rows[i] into group groups[i], for i in [0, n). */
int wr_agg_phase_absorb(const wr_agg_acc *accs, int naccs, const wr_agg_states *st,
                        const wr_batch *in, int col, const uint32_t *rows, const uint32_t *groups,
                        int n, wr_error *err);

#endif
