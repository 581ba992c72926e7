/*
 * parser.h — Flink SQL text to syntax trees (ast.h).
 *
 * A hand-written recursive-descent parser over the tokens of lexer.h. It
 * reads one statement at a time so that a script can run statement by
 * statement and report errors at their place in the whole script text.
 */
#ifndef WR_SQL_PARSER_H
#define WR_SQL_PARSER_H

#include "../base/arena.h"
#include "../base/error.h"
#include "ast.h"

/*
 * Parses the next statement of text starting at *offset. Skips whitespace,
 * comments and empty statements (stray ';'). On success returns 1, stores
 * the statement (allocated in arena) in *stmt and moves *offset past the
 * statement and its terminating ';' (the last statement may omit it).
 * Returns 0 when only whitespace and comments remain. On a syntax error
 * returns WR_ERR_PARSE with err->offset at the offending token and a message
 * naming what was expected and what was found ("expected ')' but found
 * 'FROM'"); *offset is left unchanged.
 */
int wr_sql_parse_next(const char *text, int *offset, wr_arena *arena, wr_ast_stmt **stmt,
                      wr_error *err);

/*
 * Parses a single expression (the whole of text). Used for expressions that
 * arrive as strings, e.g. in options and tests.
 */
int wr_sql_parse_expr(const char *text, wr_arena *arena, wr_ast_expr **expr, wr_error *err);

/*
 * Parses a comma-separated list of data types (the whole of text; empty text
 * is no types) into *types (arena memory) and *ntypes, e.g. the argument
 * types a user-defined function declares: "STRING, DECIMAL(10, 2) NOT NULL".
 * Syntax errors are positioned in text.
 */
int wr_sql_parse_types(const char *text, wr_arena *arena, wr_ast_type **types, int *ntypes,
                       wr_error *err);

/*
 * Writes a canonical, fully parenthesised rendering of a tree, for tests and
 * EXPLAIN: e.g. "(a + (b * 2))", "CAST(x AS BIGINT)".
 */
struct wr_buf;
void wr_ast_expr_dump(const wr_ast_expr *expr, struct wr_buf *out);
void wr_ast_stmt_dump(const wr_ast_stmt *stmt, struct wr_buf *out);

#endif
