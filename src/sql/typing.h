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

/*
 * An interval literal (WR_AST_INTERVAL): INTERVAL '4' SECOND, INTERVAL '1 02:00' DAY TO MINUTE,
 * INTERVAL '-2-03' YEAR TO MONTH. YEAR and MONTH intervals are INTERVAL MONTH (months), the others
 * INTERVAL SECOND(3) (milliseconds), as Flink types them. Fails with err at the literal when the
 * text does not match its unit.
 */
wr_expr *wr_bind_interval(const wr_ast_expr *ast, wr_error *err);

/*
 * The time-unit argument of TIMESTAMPADD(unit, n, t) and TIMESTAMPDIFF(unit, a, b), which the
 * parser leaves as a bare name (DAY): a string constant of the unit's upper-case name. NULL when
 * arg is not such an argument (bind it as an expression).
 */
wr_expr *wr_bind_unit_arg(const char *func, int index, const wr_ast_expr *arg);

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

/* Room for a type's name in messages (longer names are cut). */
#define WR_TYPE_NAME_MAX 256

/* Both types' names into x and y (WR_TYPE_NAME_MAX bytes each), for messages. */
void wr_type_names(wr_type a, wr_type b, char *x, char *y);

/*
 * Refuses a value whose type nests ARRAY, MAP, MULTISET or ROW more than WR_NESTED_MAX_DEPTH
 * levels deep (ARRAY[ARRAY[...]], an aggregate's array of arrays): 0, or an error at pos.
 */
int wr_check_nesting(wr_type t, int pos, wr_error *err);

/* Argument arrays for wr_expr_call. */
wr_expr **wr_args1(wr_expr *a);
wr_expr **wr_args2(wr_expr *a, wr_expr *b);

#endif
