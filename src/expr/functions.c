/*
 * functions.c — the registry of built-in scalar functions (functions.h).
 */
#include "functions.h"
#include "../base/alloc.h"

#include <string.h>
#include <strings.h>

static const wr_func_def *const families[] = {wr_funcs_string, wr_funcs_math, wr_funcs_time,
                                              wr_funcs_misc, wr_funcs_nested};

const wr_func_def *wr_func_find(const char *name)
{
    for (size_t f = 0; f < WR_ARRAY_LEN(families); f++)
        for (const wr_func_def *d = families[f]; d->name; d++)
            if (strcasecmp(d->name, name) == 0) return d;
    return NULL;
}

/*
 * The functions that are not deterministic, by name. Flink marks the same
 * ones (isDeterministic() false, or dynamic functions such as NOW); a
 * function added to a family table that reads the clock, a random source or
 * other state belongs here too.
 */
static const char *const nondeterministic[] = {
    "CURRENT_DATE",
    "CURRENT_ROW_TIMESTAMP",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NOW",
    "PROCTIME",
    "RAND",
    "RAND_INTEGER",
    "UNIX_TIMESTAMP",
    "UUID",
};

bool wr_func_is_deterministic(const wr_func_def *def)
{
    for (size_t i = 0; i < WR_ARRAY_LEN(nondeterministic); i++)
        if (strcmp(def->name, nondeterministic[i]) == 0) return false;
    return true;
}

void wr_func_each(void (*fn)(const wr_func_def *def, void *arg), void *arg)
{
    for (size_t f = 0; f < WR_ARRAY_LEN(families); f++)
        for (const wr_func_def *d = families[f]; d->name; d++) fn(d, arg);
}

static void free_args(wr_expr **args, int nargs)
{
    for (int i = 0; i < nargs; i++) wr_expr_free(args[i]);
    wr_free(args);
}

wr_expr *wr_func_bind(const char *name, wr_expr **args, int nargs, int pos, wr_error *err)
{
    const wr_func_def *d = wr_func_find(name);
    if (d == NULL) {
        free_args(args, nargs);
        wr_error_set_at(err, WR_ERR_VALIDATION, pos, "unknown function '%s'", name);
        return NULL;
    }
    if (nargs < d->min_args || (d->max_args >= 0 && nargs > d->max_args)) {
        free_args(args, nargs);
        wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                        "function %s takes %s%d argument%s but got %d; usage: %s", d->name,
                        d->max_args < 0              ? "at least "
                        : d->max_args != d->min_args ? "at least "
                                                     : "",
                        d->min_args, d->min_args == 1 ? "" : "s", nargs, d->signature);
        return NULL;
    }
    wr_expr *e = d->bind(d, args, nargs, pos, err);
    /* UNIX_TIMESTAMP(s) reads no clock, but one flag per function is simpler, and safe. */
    if (e && !wr_func_is_deterministic(d)) e->nondeterministic = true;
    return e;
}
