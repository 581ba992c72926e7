/*
 * agg_phase.c — two-phase (local-global) aggregation; see aggregate.h.
 *
 * The hash aggregation (hash_agg.c) runs in one of three modes: one phase,
 * local (input rows in, intermediate rows out) or global (intermediate rows
 * in, results out). What a call's intermediate columns are, and how a state
 * is written to them and merged back, belongs to the accumulator
 * (wr_agg_acc_phase in aggfuncs.c, beside the state layouts). This file
 * answers the planner (is an aggregation mergeable, what does its local
 * phase emit) and walks the calls' intermediate columns for the operator.
 */
#include "aggregate_int.h"

bool wr_agg_mergeable(const wr_type *in_types, int nin, const wr_agg_call *aggs, int naggs)
{
    wr_type types[WR_AGG_PARTIAL_MAX];
    for (int i = 0; i < naggs; i++)
        if (wr_agg_partial_types(in_types, nin, &aggs[i], 1, types) < 0) return false;
    return true;
}

int wr_agg_partial_types(const wr_type *in_types, int nin, const wr_agg_call *aggs, int naggs,
                         wr_type *out)
{
    int n = 0;
    for (int i = 0; i < naggs; i++) {
        wr_agg_acc acc;
        wr_error err;
        wr_error_init(&err);
        if (wr_agg_acc_init(&acc, &aggs[i], in_types, nin, &err) || !wr_agg_acc_phase(&acc))
            return -1;
        n += wr_agg_phase_types(&acc, 1, out + n);
    }
    return n;
}

int wr_agg_phase_init(wr_agg_acc *accs, int n, wr_error *err)
{
    for (int i = 0; i < n; i++) {
        if (wr_agg_acc_phase(&accs[i])) continue;
        return wr_error_set(err, WR_ERR_VALIDATION,
                            "%s%s cannot run as a local and a global aggregation: %s",
                            accs[i].user ? accs[i].user->name : wr_agg_name(accs[i].kind),
                            accs[i].distinct ? " DISTINCT" : "",
                            accs[i].distinct ? "each group's values must meet in one place"
                                             : "its partial results cannot be merged");
    }
    return 0;
}

int wr_agg_phase_types(const wr_agg_acc *accs, int n, wr_type *out)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < accs[i].npartial; j++) out[k++] = accs[i].partial_types[j];
    return k;
}

void wr_agg_phase_partial(const wr_agg_acc *accs, int naccs, const wr_agg_states *st,
                          uint32_t first, int n, wr_batch *out, int col)
{
    for (int i = 0; i < naccs; i++) {
        accs[i].partial(&accs[i], st, first, n, out, col, 0);
        col += accs[i].npartial;
    }
}

int wr_agg_phase_absorb(const wr_agg_acc *accs, int naccs, const wr_agg_states *st,
                        const wr_batch *in, int col, const uint32_t *rows, const uint32_t *groups,
                        int n, wr_error *err)
{
    for (int i = 0; i < naccs; i++) {
        if (col + accs[i].npartial > in->ncols)
            return wr_error_set(err, WR_ERR_INTERNAL,
                                "global aggregation: an intermediate row of %d columns is too "
                                "short for %s",
                                in->ncols,
                                accs[i].user ? accs[i].user->name : wr_agg_name(accs[i].kind));
        int rc = accs[i].absorb(&accs[i], st, &in->cols[col], rows, groups, n, err);
        if (rc) return rc;
        col += accs[i].npartial;
    }
    return 0;
}
