/*
 * planner_int.h — what the planner's files share: planner.c translates
 * plans into job graphs (sources, Calc, batch operators, sinks);
 * planner_stream.c decides between batch and streaming execution, infers
 * changelog modes, and translates the streaming operators.
 */
#ifndef WR_SQL_PLANNER_INT_H
#define WR_SQL_PLANNER_INT_H

#include "../ops/join.h"
#include "../ops/window_agg.h"
#include "../runtime/jobgraph.h"
#include "plan.h"

/* One translation: the graph being built, the job's options, where errors go. */
typedef struct wr_planner {
    wr_jobgraph *graph;
    const wr_config *job;
    wr_error *err;
} wr_planner;

/* planner.c */
int wr_planner_translate(wr_planner *t, wr_plan *plan, int *par, bool *bounded);
int wr_planner_default_parallelism(const wr_config *job);
/* An edge into input `input` of `to` that brings rows with equal keys together. */
void wr_planner_connect_keyed(wr_jobgraph *graph, int from, int from_par, int to, int to_par,
                              int input, const int *keys, int nkeys);
int wr_planner_add_vertex(wr_planner *t, const char *name, wr_operator_spec *spec,
                          const wr_plan *plan);
void wr_planner_describe_columns(wr_buf *b, const wr_schema *s);
/* "<prefix>[columns]" into a new buffer the caller finishes. */
void wr_planner_vertex_name(wr_buf *name, const char *prefix, const wr_plan *plan);
/* A join node's description for its operator, which takes the residual condition over. */
wr_join_desc wr_planner_join_desc(wr_plan *plan);

/* planner_stream.c */
wr_plan *wr_planner_window_agg_input(const wr_plan *plan, wr_plan **calc);
wr_window_def wr_planner_window_def(const wr_plan *win, int time_col);
int wr_planner_window_agg(wr_planner *t, wr_plan *plan, wr_plan *win, wr_plan *calc, int *par,
                          bool *bounded);
int wr_planner_stream_agg(wr_planner *t, wr_plan *plan, int in, int in_par, int *par);
int wr_planner_rank(wr_planner *t, wr_plan *plan, int *par, bool *bounded);
int wr_planner_over_agg(wr_planner *t, wr_plan *plan, int *par, bool *bounded);
int wr_planner_time_join(wr_planner *t, wr_plan *plan, int l, int lpar, int r, int rpar, int *par);
int wr_planner_lookup_join(wr_planner *t, wr_plan *plan, int *par, bool *bounded);
int wr_planner_stream_join(wr_planner *t, wr_plan *plan, int l, int lpar, int r, int rpar,
                           int *par);

#endif
