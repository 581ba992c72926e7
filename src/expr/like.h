/*
 * like.h — the LIKE predicate (see like.c).
 */
#ifndef WR_EXPR_LIKE_H
#define WR_EXPR_LIKE_H

#include "expr.h"

/*
 * x [NOT] LIKE pattern [ESCAPE e] over string operands; takes ownership of
 * them (escape may be NULL), also on failure.
 */
wr_expr *wr_bind_like(wr_expr *arg, wr_expr *pattern, wr_expr *escape, bool negated, int pos,
                      wr_error *err);

#endif
