/*
 * expr.h — bound scalar expressions, evaluated a batch at a time.
 *
 * The binder turns SQL syntax into these trees once per query: every node
 * has its result type, column references are resolved to input positions,
 * operands already have a common type (the binder inserts casts) and each
 * call has its kernel chosen. Evaluation then runs one tight loop per node
 * over the active rows of a batch; there is no per-row dispatch.
 *
 * Trees are immutable after binding and may be evaluated by several threads
 * at once; per-evaluation memory comes from the caller's arena.
 */
#ifndef WR_EXPR_H
#define WR_EXPR_H

#include "../base/arena.h"
#include "../base/error.h"
#include "../types/batch.h"

typedef enum wr_expr_kind {
    WR_EXPR_COLUMN, /* col */
    WR_EXPR_CONST,  /* constant; value in cvec (row 0 broadcast to every slot) */
    WR_EXPR_CALL,   /* fn(args) with a kernel */
    WR_EXPR_AND,    /* three-valued, args[0..nargs) */
    WR_EXPR_OR,
    WR_EXPR_CASE, /* args: when0, then0, when1, then1, ..., [else] (odd count: has else) */
} wr_expr_kind;

typedef enum wr_func {
    WR_FN_NONE,
    WR_FN_ADD,
    WR_FN_SUB,
    WR_FN_MUL,
    WR_FN_DIV,
    WR_FN_MOD,
    WR_FN_NEG,
    WR_FN_EQ,
    WR_FN_NE,
    WR_FN_LT,
    WR_FN_LE,
    WR_FN_GT,
    WR_FN_GE,
    WR_FN_NOT,
    WR_FN_IS_NULL,
    WR_FN_IS_NOT_NULL,
    WR_FN_IS_TRUE,
    WR_FN_IS_NOT_TRUE,
    WR_FN_IS_FALSE,
    WR_FN_IS_NOT_FALSE,
    WR_FN_CONCAT,
    WR_FN_CAST,
    WR_FN_TRY_CAST, /* CAST that yields NULL instead of failing */
    WR_FN_SCALAR,   /* a named scalar function (functions.h, or a user's): name and kernel set */
    WR_FN_FIELD,    /* a ROW's field: args[0].name (name is the field's; kernel set) */
} wr_func;

typedef struct wr_expr wr_expr;
typedef struct wr_eval wr_eval;

/*
 * A kernel computes out for the rows sel[0..n) (or 0..n-1 when sel is NULL)
 * from its already evaluated arguments. out->data has room for the batch;
 * the kernel sets out->validity (arena memory) when the result has NULLs.
 */
typedef int (*wr_kernel_fn)(wr_eval *ev, const wr_expr *e, const wr_vector *args, wr_vector *out,
                            const uint32_t *sel, int n, wr_error *err);

struct wr_expr {
    wr_expr_kind kind;
    wr_type type;
    int pos; /* byte offset of the expression in the SQL text, or -1 */
    int col;
    wr_func fn;
    wr_expr **args;
    int nargs;
    wr_kernel_fn kernel;
    wr_vector cvec; /* WR_EXPR_CONST: WR_BATCH_CAPACITY copies of the value */
    char *cstr;     /* WR_EXPR_CONST strings: the bytes cvec points to */
    /* WR_FN_SCALAR: the function's name as EXPLAIN prints it (static or owned by aux). */
    const char *name;
    /* Per-call data a kernel prepared at bind time (a compiled pattern, a user function's
     * entry point); read-only during evaluation, released with aux_free. */
    void *aux;
    void (*aux_free)(void *aux);
    /* CALL: the same arguments may give another result (RAND, NOW, UUID, a user function not
     * declared deterministic): never evaluated at plan time. */
    bool nondeterministic;
    /* CALL: its slot + 1 in the result cache of the expressions it was marked in with
     * wr_expr_mark_common (the same for every copy of it there), or 0. */
    int cse;
};

/*
 * The result of a common subexpression in one batch: its vector and the physical rows it
 * was computed for (all of them, or those of the bitmap rows).
 */
typedef struct wr_expr_cache {
    bool valid;
    bool all;
    uint64_t *rows; /* arena memory of the batch */
    wr_vector v;
} wr_expr_cache;

/* Per-evaluation context: where results and strings are allocated. */
struct wr_eval {
    wr_arena *arena;
    int capacity; /* physical rows of the input batch */
    /* Results of common subexpressions (wr_expr_mark_common) for the batch being evaluated,
     * or NULL: each is computed once for the rows a later use asks for, when those are among
     * the rows it was computed for. Invalidated by the caller for every batch. */
    wr_expr_cache *cache;
};

/* ---- building (binder) -------------------------------------------------- */

wr_expr *wr_expr_column(int col, wr_type type, int pos);
/* Constants; the string is copied. A NULL constant of any type: wr_expr_null. */
wr_expr *wr_expr_null(wr_type type, int pos);
wr_expr *wr_expr_bool(bool v, int pos);
/* Any integer type, or a type stored as an integer: DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ,
 * intervals. */
wr_expr *wr_expr_int64(wr_type type, int64_t v, int pos);
wr_expr *wr_expr_decimal(wr_type type, wr_int128 unscaled, int pos);       /* DECIMAL(p, s) */
wr_expr *wr_expr_double(wr_type type, double v, int pos);                  /* FLOAT or DOUBLE */
wr_expr *wr_expr_string(wr_type type, const char *s, size_t len, int pos); /* also byte strings */
/*
 * A call of fn over args (takes ownership of args and the array). Picks the
 * kernel for the argument types; returns NULL with err (positioned at pos)
 * when no kernel fits: operands must already have the types the function
 * takes (see wr_expr_arg_type). result is the call's result type.
 */
wr_expr *wr_expr_call(wr_func fn, wr_expr **args, int nargs, wr_type result, int pos,
                      wr_error *err);
/*
 * A call of a named scalar function whose kernel the caller chose (the function
 * registry, functions.h, or a user-defined function). Takes ownership of args
 * and of aux (released with aux_free, which may be NULL). Never fails.
 */
wr_expr *wr_expr_call_kernel(const char *name, wr_kernel_fn kernel, void *aux,
                             void (*aux_free)(void *), wr_expr **args, int nargs, wr_type result,
                             int pos);
/* AND / OR over BOOLEAN args, and CASE (see wr_expr_kind). Take ownership. */
wr_expr *wr_expr_logic(wr_expr_kind kind, wr_expr **args, int nargs, wr_type result, int pos);
/* A CAST to type; returns arg itself when it already has that type. NULL + err if impossible. */
wr_expr *wr_expr_cast(wr_expr *arg, wr_type type, bool try_cast, int pos, wr_error *err);
/* Whether a CAST from one type to another is supported (Flink's explicit casts). */
bool wr_expr_can_cast(wr_type from, wr_type to);
void wr_expr_free(wr_expr *e);

/* A readable form for EXPLAIN and tests: "($0 + 1)", "CAST($1 AS STRING)". */
void wr_expr_format(const wr_expr *e, const char *const *names, wr_buf *out);

/*
 * Whether a and b compute the same over the same input: the same tree of kinds, functions,
 * kernels, columns, types and constants. A nondeterministic call is never the same as
 * another (two RAND() give different values).
 */
bool wr_expr_same(const wr_expr *a, const wr_expr *b);

/*
 * Marks the calls that occur more than once in exprs[0..n) (wr_expr_same: deterministic, the
 * same tree), each group with a slot of a result cache (wr_eval.cache), and clears the marks
 * of the others; returns the number of slots. An evaluation with a cache then computes such
 * a call once per batch wherever the rows it is asked for were computed before: never for a
 * row that the expressions would not have computed it for, so errors stay where they were.
 */
int wr_expr_mark_common(wr_expr **exprs, int n);

/* True when the expression reads no column (it can be evaluated without input rows). */
bool wr_expr_is_constant(const wr_expr *e);

/*
 * True when e can be folded into a literal at plan time: it reads no
 * column, calls nothing nondeterministic, and its type has literals (the
 * scalar types: BOOLEAN, numbers, strings, byte strings, date and time
 * types, intervals).
 */
bool wr_expr_is_foldable(const wr_expr *e);

/*
 * Evaluates a foldable expression once and returns a new constant of the
 * same type (nullability included) holding its value. Returns NULL with err
 * when the evaluation fails (1 / 0, a bad CAST): the caller keeps e, so the
 * error happens at run time, and only when a row reaches it. Borrows e.
 */
wr_expr *wr_expr_fold(const wr_expr *e, wr_error *err);

/* ---- evaluation ---------------------------------------------------------- */

/*
 * Evaluates e for the rows sel[0..n) of in (sel NULL: rows 0..n-1) and
 * describes the result in *out: values at the same physical positions as the
 * input rows. out may alias an input column or the constant (do not modify
 * it). Returns 0, or an error such as division by zero or a failed CAST that
 * names the offending value.
 */
int wr_expr_eval(wr_eval *ev, const wr_expr *e, const wr_batch *in, const uint32_t *sel, int n,
                 wr_vector *out, wr_error *err);

/*
 * Evaluates a BOOLEAN predicate and writes the rows among sel[0..n) where it
 * is TRUE (not FALSE, not NULL) to out_sel; returns their count via *nout.
 */
int wr_expr_filter(wr_eval *ev, const wr_expr *e, const wr_batch *in, const uint32_t *sel, int n,
                   uint32_t *out_sel, int *nout, wr_error *err);

#endif
