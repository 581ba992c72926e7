/*
 * datastream_int.h — what the Table API (table.c) needs of a DataStream environment.
 *
 * A table turned into a stream is an operator node that translates itself at weir_execute
 * (an "external" node: it adds a SQL plan's vertices); a stream read as a table is reached
 * at that moment through the producers behind it. Nodes are translated in creation order,
 * so every stream a table reads has its vertex when the table's node is translated.
 */
#ifndef WR_ENGINE_DATASTREAM_INT_H
#define WR_ENGINE_DATASTREAM_INT_H

#include "../base/config.h"
#include "../runtime/jobgraph.h"
#include "../types/schema.h"

#include <weir.h>

/*
 * Adds a node's vertices to graph (config: the environment's) and returns the vertex whose
 * port 0 carries the node's rows, with its parallelism in *par; or a negative error with
 * err set (without a position: render it first).
 */
typedef int (*wr_ds_translate_fn)(void *arg, wr_jobgraph *graph, const wr_config *config, int *par,
                                  wr_error *err);

/*
 * A node of env that fn translates; takes ownership of schema (its rows). bounded says
 * whether its rows end by themselves (for the 'automatic' runtime mode). arg is borrowed
 * and must live as long as env (wr_ds_attach).
 */
weir_stream *wr_ds_external(weir_env *env, const char *name, wr_schema *schema,
                            wr_ds_translate_fn fn, void *arg, bool bounded);

/* Keeps obj until weir_env_free, which calls free_fn(obj) before it frees the streams. */
void wr_ds_attach(weir_env *env, void *obj, void (*free_fn)(void *obj));

weir_env *wr_ds_env(const weir_stream *stream);
const wr_schema *wr_ds_schema(const weir_stream *stream);
const wr_config *wr_ds_config(const weir_env *env);
/* Whether env holds an error already (every later call then fails). */
bool wr_ds_failed(const weir_env *env);

/*
 * Keeps the first error of env, as the DataStream calls do: err rendered against text when
 * it has a position there (text may be NULL), after "what: " when what is not NULL.
 */
void wr_ds_fail(weir_env *env, const wr_error *err, const char *text, const char *what);

/* Whether every source behind stream ends by itself. */
bool wr_ds_bounded(const weir_stream *stream);

/*
 * During translation: the parallelism of the producers behind stream when they share one,
 * else 0; and the edges from them into input 0 of vertex `to` of parallelism to_par
 * (forward where the parallelism matches, round-robin elsewhere; a key_by only partitions
 * the operator that follows it in the DataStream API, so it is not kept here).
 */
int wr_ds_parallelism(const weir_stream *stream);
int wr_ds_connect(const weir_stream *stream, wr_jobgraph *graph, int to, int to_par, wr_error *err);

#endif
