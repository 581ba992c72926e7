/*
 * typing.h — Flink's typing rules for literals, written types and operators.
 *
 * Used by the binder: every function takes already bound operands, widens them
 * to a common type with implicit casts where Flink does, and returns the typed
 * expression, or NULL with err positioned at the offending text. Functions
 * that take expressions take ownership of them, also when they fail.
 */
#ifndef WR_SQL_TYPING_H
#define WR_SQL_TYPING_H

#include "../expr/expr.h"
#include "ast.h"

/* The type of a literal and its constant expression. */
wr_expr *wr_bind_literal(const wr_ast_expr *ast, wr_error *err);

/* Maps a written type to a Weir type; false with err at its position if unsupported. */
bool wr_bind_type(const wr_ast_type *t, wr_type *out, wr_error *err);

/* A binary operator (arithmetic, comparison, ||, AND, OR) over bound operands. */
wr_expr *wr_bind_binary(wr_ast_op op, wr_expr *a, wr_expr *b, int pos, wr_error *err);

/*
 * Casts both operands to their common type (numeric_only: it must be numeric);
 * fails with "cannot apply 'op' to arguments of type X and Y". Does not free
 * the operands on failure.
 */
int wr_unify(wr_expr **a, wr_expr **b, const char *op, int pos, bool numeric_only, wr_type *common,
             wr_error *err);

/* Whether a value of type from may be written to a column of type to without an explicit CAST. */
bool wr_assignable(wr_type from, wr_type to);

/* Both types' names into x and y (64 bytes each), for messages. */
void wr_type_names(wr_type a, wr_type b, char *x, char *y);

/* Argument arrays for wr_expr_call. */
wr_expr **wr_args1(wr_expr *a);
wr_expr **wr_args2(wr_expr *a, wr_expr *b);

#endif
