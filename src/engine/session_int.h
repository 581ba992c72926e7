/*
 * session_int.h — what the Table API (table.c) reaches inside a SQL session.
 *
 * A table environment owns a session for its catalog and its SET options, runs DDL and SET
 * through it as weir_exec does, and plans its INSERTs into the job graph of the DataStream
 * environment it belongs to instead of running them at once.
 */
#ifndef WR_ENGINE_SESSION_INT_H
#define WR_ENGINE_SESSION_INT_H

#include "../sql/ast.h"
#include "../sql/catalog.h"

#include <weir.h>

struct wr_jobgraph;

/* The session's catalog and configuration (borrowed; they live as long as the session). */
wr_catalog *wr_session_catalog(weir_session *session);
const wr_config *wr_session_config(const weir_session *session);

/*
 * Runs ddl, one CREATE TABLE statement without WITH options and without LIKE, as
 * CREATE TABLE does (computed columns, WATERMARK and PRIMARY KEY checked), and gives the
 * new table source (borrowed: it must outlive the table) in place of storage. Errors are
 * positioned in ddl.
 */
int wr_session_create_source_table(weir_session *session, const char *ddl,
                                   const wr_table_source *source, wr_error *err);

/*
 * Plans an INSERT, or each INSERT of a statement set, parsed from text st was parsed
 * from, into graph under the configuration job: the query's operators and the sink. A table
 * Weir stores cannot be the sink (its rows would be committed by the session, which does
 * not run the job). Errors are positioned in that text.
 */
int wr_session_plan_insert(weir_session *session, const wr_ast_stmt *st, struct wr_jobgraph *graph,
                           const wr_config *job, wr_error *err);

#endif
