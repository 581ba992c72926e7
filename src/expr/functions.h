/*
 * functions.h — Weir's built-in scalar functions, found by name at bind time.
 *
 * Each function is a definition with a bind callback: given the already bound
 * argument expressions, it checks their types (inserting implicit casts as
 * Flink does), picks the kernel for those types and returns the call, or fails
 * with an error positioned at the call that names the function and the types
 * it got. Binding may also rewrite a call into other expressions (COALESCE
 * into CASE). Definitions live in tables grouped by family (func_string.c,
 * func_math.c, func_time.c, func_misc.c); this registry searches them.
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

#endif
