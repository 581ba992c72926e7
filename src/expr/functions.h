/*
 * functions.h — Weir's built-in scalar functions, found by name at bind time.
 *
 * Each function is a definition with a bind callback: given the already bound
 * argument expressions, it checks their types (inserting implicit casts as
 * Flink does), picks the kernel for those types and returns the call, or fails
 * with an error positioned at the call that names the function and the types
 * it got. Binding may also rewrite a call into other expressions (COALESCE
 * into CASE). Definitions live in tables grouped by family (func_string.c,
 * func_math.c, func_time.c, func_misc.c, func_nested.c); this registry searches them.
 */
#ifndef WR_FUNCTIONS_H
#define WR_FUNCTIONS_H

#include "expr.h"

typedef struct wr_func_def wr_func_def;

/*
 * Binds a call: takes ownership of args (the array and its expressions, freed
 * on failure too) and returns the call expression or NULL with err set.
 */
typedef wr_expr *(*wr_func_bind_fn)(const wr_func_def *def, wr_expr **args, int nargs, int pos,
                                    wr_error *err);

struct wr_func_def {
    const char *name;      /* upper-case SQL name: "LPAD" */
    int min_args;          /* arity checked before bind is called */
    int max_args;          /* -1: any number */
    wr_func_bind_fn bind;  /* NULL ends a table */
    const char *signature; /* for SHOW FUNCTIONS and errors: "LPAD(STRING, INT, STRING)" */
    const void *data;      /* for bind: e.g. which of a family of similar functions */
};

/* The family tables, each ended by an entry with name NULL. */
extern const wr_func_def wr_funcs_string[];
extern const wr_func_def wr_funcs_math[];
extern const wr_func_def wr_funcs_time[];
extern const wr_func_def wr_funcs_misc[];
extern const wr_func_def wr_funcs_nested[];

/* The definition of a function by name (case-insensitive), or NULL. */
const wr_func_def *wr_func_find(const char *name);

/*
 * False for a function whose calls may give another result for the same
 * arguments: RAND, RAND_INTEGER, UUID and those that read the clock
 * (CURRENT_TIMESTAMP, NOW, UNIX_TIMESTAMP, ...). The planner never folds
 * their calls into constants.
 */
bool wr_func_is_deterministic(const wr_func_def *def);

/*
 * Binds name(args). Takes ownership of args. Fails with "unknown function" or
 * an arity error naming the expected signature, positioned at pos. The call
 * of a nondeterministic function is marked (wr_expr.nondeterministic).
 */
wr_expr *wr_func_bind(const char *name, wr_expr **args, int nargs, int pos, wr_error *err);

/* Calls fn for every built-in function, in name order within each family. */
void wr_func_each(void (*fn)(const wr_func_def *def, void *arg), void *arg);

/* ---- nested values (func_nested.c) ------------------------------------------------------- */

/*
 * The value constructors over bound items. Each takes ownership of items (the array and the
 * expressions), also when it fails; errors are positioned at the offending item or at pos.
 * ARRAY[a, b, ...]: the items are cast to their common type (CHARs of different lengths
 * become VARCHAR; all NULL: ARRAY<NULL>), elements NOT NULL when every item is; the array is
 * NOT NULL. MAP[k1, v1, ...] (an even number of items): keys and values each to their common
 * type; a repeated key keeps its last value. ROW(a, b, ...): fields EXPR$0, EXPR$1, ... of the
 * items' types.
 */
wr_expr *wr_bind_array_value(wr_expr **items, int n, int pos, wr_error *err);
wr_expr *wr_bind_map_value(wr_expr **items, int n, int pos, wr_error *err);
wr_expr *wr_bind_row_value(wr_expr **items, int n, int pos, wr_error *err);

/*
 * x[index]: an ARRAY's element at an integer position from 1 (NULL outside 1..n) or a MAP's
 * value for a key (NULL when absent); anything else is an error. Takes ownership of x and index.
 */
wr_expr *wr_bind_subscript(wr_expr *x, wr_expr *index, int pos, wr_error *err);

/* Field `field` of a ROW value (nullable when the row is). Takes ownership of row. */
wr_expr *wr_bind_field(wr_expr *row, int field, int pos);

#endif
