/*
 * userfunc.h — user-defined functions written in C (weir_udf, weir.h): the
 * catalog's entries, loading them from shared libraries, binding their calls.
 *
 * An entry keeps the descriptor it was made from (borrowed: it lives in a
 * loaded library or in the program that registered it) with the types it
 * declares, parsed once. A scalar call binds to a kernel that hands each
 * row's arguments to the descriptor's eval as weir_values and stores the
 * results; an aggregate call to a WR_AGG_USER call of the aggregation, whose
 * accumulators call back through the entry's wr_agg_user (docs/udf.md).
 */
#ifndef WR_SQL_USERFUNC_H
#define WR_SQL_USERFUNC_H

#include "../expr/expr.h"
#include "../ops/aggregate.h"
#include "catalog.h"

#include <weir.h>

struct wr_userfunc {
    char *name;          /* as created; found in any case */
    const weir_udf *udf; /* borrowed */
    void *lib;           /* the dlopen handle that keeps udf loaded, or NULL */
    char *symbol, *path; /* where udf came from (SQL), or NULL (C API; path: the program) */
    wr_type result;      /* declared; nullable unless declared NOT NULL */
    wr_type *args;       /* declared; NOT NULL: the call is NULL when that argument is */
    int nargs;
    bool temporary, system;
    wr_agg_user agg; /* an aggregate's callbacks for the operators (calls point here) */
};

/*
 * Checks a descriptor (ABI version, kind, callbacks) and parses its types into
 * a new entry named name; udf is borrowed. Takes ownership of lib (a handle
 * from wr_userfunc_load, or NULL), closing it on failure. An aggregate needs
 * init, accumulate and get_value and a state of 1 byte to 64 KiB. Errors are positioned at pos (the
 * AS 'symbol' of CREATE FUNCTION; -1 from the C API) and name the function.
 */
wr_userfunc *wr_userfunc_new(const char *name, const weir_udf *udf, void *lib, int pos,
                             wr_error *err);

/*
 * Opens the shared library at path (NULL: the running program, whose symbols
 * are visible when it was linked with -rdynamic) and finds the descriptor
 * exported under symbol. On success *lib is a handle for wr_userfunc_free to
 * close (store it in the entry). Errors: a library that does not load, at
 * path_pos; a missing symbol, at symbol_pos.
 */
int wr_userfunc_load(const char *path, int path_pos, const char *symbol, int symbol_pos, void **lib,
                     const weir_udf **udf, wr_error *err);

/* Frees the entry and closes its library handle (the library unloads with its last handle). */
void wr_userfunc_free(wr_userfunc *fn);

/*
 * Whether name is a built-in function (scalar or aggregate, any case), which
 * user functions may not shadow.
 */
bool wr_userfunc_is_builtin(const char *name);

/*
 * Binds a call of the user function name over args, when the catalog has one:
 * then takes ownership of args (freed on failure too) and returns the call,
 * with arguments cast implicitly to the declared types, or NULL with err
 * positioned at the call or the offending argument. Returns NULL with err
 * untouched and args still the caller's when there is no such function.
 */
wr_expr *wr_userfunc_bind(const wr_catalog *cat, const char *name, wr_expr **args, int nargs,
                          int pos, wr_error *err);

/* The user aggregate function name (any case), or NULL: none, or a scalar one. */
const wr_userfunc *wr_userfunc_find_aggregate(const wr_catalog *cat, const char *name);

/*
 * Prepares a call of the aggregate fn over args[0..nargs) (bound below the
 * aggregation): checks their number (and one argument for DISTINCT), casts
 * them in place to the declared types as scalar calls do, and fills call's
 * kind (WR_AGG_USER), user, nargs, distinct and type (the declared result
 * type); the caller sets args and filter. On failure frees the arguments
 * (not the array) and returns a negative code with err positioned at pos or
 * the offending argument.
 */
int wr_userfunc_bind_aggregate(const wr_userfunc *fn, wr_expr **args, int nargs, bool distinct,
                               int pos, wr_agg_call *call, wr_error *err);

#endif
