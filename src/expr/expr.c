/*
 * expr.c — building, formatting and evaluating bound expressions.
 *
 * Kernels live in kernels.c; this file walks the tree. Evaluation passes the
 * active rows down: AND/OR evaluate their later arguments only on rows the
 * earlier ones left undecided, and CASE evaluates each branch only on the
 * rows that reach it, so `CASE WHEN b = 0 THEN 0 ELSE a / b END` never
 * divides by zero.
 */
#include "expr.h"
#include "../base/alloc.h"
#include "../types/nested.h"
#include "kernels.h"

#include <string.h>

static wr_expr *node(wr_expr_kind kind, wr_type type, int pos)
{
    wr_expr *e = wr_calloc(1, sizeof(*e));
    e->kind = kind;
    e->type = type;
    e->pos = pos;
    e->col = -1;
    return e;
}

wr_expr *wr_expr_column(int col, wr_type type, int pos)
{
    wr_expr *e = node(WR_EXPR_COLUMN, type, pos);
    e->col = col;
    return e;
}

static wr_expr *constant(wr_type type, int pos)
{
    wr_expr *e = node(WR_EXPR_CONST, type, pos);
    e->cvec.type = type;
    size_t w = wr_type_width(type.id);
    e->cvec.data = e->cvec.own_data = wr_calloc(WR_BATCH_CAPACITY, w ? w : 1);
    return e;
}

wr_expr *wr_expr_null(wr_type type, int pos)
{
    type.nullable = true;
    wr_expr *e = constant(type, pos);
    e->cvec.validity = e->cvec.own_validity = wr_calloc(WR_BATCH_CAPACITY / 64, sizeof(uint64_t));
    return e;
}

wr_expr *wr_expr_bool(bool v, int pos)
{
    wr_expr *e = constant(wr_type_make(WR_TYPE_BOOLEAN, false), pos);
    memset(e->cvec.data, v ? 1 : 0, WR_BATCH_CAPACITY);
    return e;
}

wr_expr *wr_expr_int64(wr_type type, int64_t v, int pos)
{
    wr_expr *e = constant(type, pos);
    for (int i = 0; i < WR_BATCH_CAPACITY; i++) {
        switch (wr_type_width(type.id)) {
        case 1:
            ((int8_t *)e->cvec.data)[i] = (int8_t)v;
            break;
        case 2:
            ((int16_t *)e->cvec.data)[i] = (int16_t)v;
            break;
        case 4:
            ((int32_t *)e->cvec.data)[i] = (int32_t)v;
            break;
        default:
            ((int64_t *)e->cvec.data)[i] = v;
            break;
        }
    }
    return e;
}

wr_expr *wr_expr_decimal(wr_type type, wr_int128 unscaled, int pos)
{
    assert(type.id == WR_TYPE_DECIMAL);
    wr_expr *e = constant(type, pos);
    for (int i = 0; i < WR_BATCH_CAPACITY; i++) ((wr_int128 *)e->cvec.data)[i] = unscaled;
    return e;
}

wr_expr *wr_expr_double(wr_type type, double v, int pos)
{
    wr_expr *e = constant(type, pos);
    for (int i = 0; i < WR_BATCH_CAPACITY; i++) {
        if (type.id == WR_TYPE_FLOAT)
            ((float *)e->cvec.data)[i] = (float)v;
        else
            ((double *)e->cvec.data)[i] = v;
    }
    return e;
}

wr_expr *wr_expr_string(wr_type type, const char *s, size_t len, int pos)
{
    wr_expr *e = constant(type, pos);
    e->cstr = wr_strndup(s, len);
    wr_str v = {e->cstr, (uint32_t)len};
    for (int i = 0; i < WR_BATCH_CAPACITY; i++) ((wr_str *)e->cvec.data)[i] = v;
    return e;
}

/*
 * A value computed from others is no time attribute (types.h), even when its type is copied
 * from an argument's; a function of no arguments (PROCTIME()) makes one.
 */
static void drop_time_attr(wr_expr *e, int nargs)
{
    if (nargs > 0) e->type.attr = WR_ATTR_NONE;
}

wr_expr *wr_expr_call(wr_func fn, wr_expr **args, int nargs, wr_type result, int pos, wr_error *err)
{
    wr_expr *e = node(WR_EXPR_CALL, result, pos);
    drop_time_attr(e, nargs);
    e->fn = fn;
    e->args = args;
    e->nargs = nargs;
    e->kernel = wr_kernel_find(fn, args, nargs, result);
    if (e->kernel == NULL) {
        char a[256] = "", b[256] = "", r[256];
        if (nargs > 0) wr_type_name(args[0]->type, a, sizeof(a));
        if (nargs > 1) wr_type_name(args[1]->type, b, sizeof(b));
        wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                        "no implementation of %s for argument types (%s%s%s) returning %s",
                        wr_func_name(fn), a, nargs > 1 ? ", " : "", b,
                        wr_type_name(result, r, sizeof(r)));
        wr_expr_free(e);
        return NULL;
    }
    return e;
}

wr_expr *wr_expr_call_kernel(const char *name, wr_kernel_fn kernel, void *aux,
                             void (*aux_free)(void *), wr_expr **args, int nargs, wr_type result,
                             int pos)
{
    wr_expr *e = node(WR_EXPR_CALL, result, pos);
    drop_time_attr(e, nargs);
    e->fn = WR_FN_SCALAR;
    e->name = name;
    e->kernel = kernel;
    e->aux = aux;
    e->aux_free = aux_free;
    e->args = args;
    e->nargs = nargs;
    return e;
}

wr_expr *wr_expr_logic(wr_expr_kind kind, wr_expr **args, int nargs, wr_type result, int pos)
{
    wr_expr *e = node(kind, result, pos);
    drop_time_attr(e, nargs);
    e->args = args;
    e->nargs = nargs;
    return e;
}

/* Flink's casts of nested types: to text, or to the same kind whose parts cast (ARRAY<INT> to
 * ARRAY<STRING>, a ROW to a ROW of as many fields, their names aside). */
static bool can_cast_nested(wr_type from, wr_type to)
{
    wr_type_id f = (wr_type_id)from.id, t = (wr_type_id)to.id;
    if (wr_type_is_string(t)) return wr_type_is_nested(f);
    if (f != t) return false;
    const wr_nested *a = wr_type_nested(from), *b = wr_type_nested(to);
    if (a->nfields != b->nfields) return false;
    for (int i = 0; i < a->nfields; i++)
        if (!wr_expr_can_cast(a->fields[i], b->fields[i])) return false;
    return true;
}

bool wr_expr_can_cast(wr_type from, wr_type to)
{
    wr_type_id f = (wr_type_id)from.id, t = (wr_type_id)to.id;
    if (f == WR_TYPE_NULL) return true;
    if (wr_type_is_nested(f) || wr_type_is_nested(t)) return can_cast_nested(from, to);
    if (f == t) return true;
    /* Everything converts to text; text to every scalar type but intervals (they have no written
     * type yet). */
    if (wr_type_is_string(t)) return true;
    if (wr_type_is_string(f)) return !wr_type_is_interval(t);
    if (wr_type_is_binary(f) || wr_type_is_binary(t))
        return wr_type_is_binary(f) && wr_type_is_binary(t);
    bool fn = wr_type_is_numeric(f), tn = wr_type_is_numeric(t);
    if (fn && tn) return true;
    if ((f == WR_TYPE_BOOLEAN && tn) || (fn && t == WR_TYPE_BOOLEAN)) return true;
    /* Among DATE, TIME, TIMESTAMP and TIMESTAMP_LTZ: not DATE <-> TIME (Flink's rules). Numbers
     * do not cast to timestamps (Flink 1.15+: TO_TIMESTAMP_LTZ does that). */
    if (wr_type_is_datetime(f) && wr_type_is_datetime(t))
        return !((f == WR_TYPE_DATE && t == WR_TYPE_TIME) ||
                 (f == WR_TYPE_TIME && t == WR_TYPE_DATE));
    return false;
}

wr_expr *wr_expr_cast(wr_expr *arg, wr_type type, bool try_cast, int pos, wr_error *err)
{
    if (wr_type_equal(arg->type, type) && !try_cast) return arg;
    if (!wr_expr_can_cast(arg->type, type)) {
        char a[256], b[256];
        wr_error_set_at(err, WR_ERR_VALIDATION, pos, "cannot cast %s to %s",
                        wr_type_name(arg->type, a, sizeof(a)), wr_type_name(type, b, sizeof(b)));
        wr_expr_free(arg);
        return NULL;
    }
    if (arg->type.id == WR_TYPE_NULL) {
        wr_expr_free(arg);
        return wr_expr_null(type, pos);
    }
    if (wr_type_is_nested(arg->type.id) && wr_type_is_nested(type.id))
        return wr_nested_cast(arg, type, try_cast, pos, err);
    if (try_cast) type.nullable = true;
    wr_expr **args = wr_malloc(sizeof(wr_expr *));
    args[0] = arg;
    return wr_expr_call(try_cast ? WR_FN_TRY_CAST : WR_FN_CAST, args, 1, type, pos, err);
}

void wr_expr_free(wr_expr *e)
{
    if (e == NULL) return;
    for (int i = 0; i < e->nargs; i++) wr_expr_free(e->args[i]);
    wr_free(e->args);
    wr_free(e->cvec.own_data);
    wr_free(e->cvec.own_validity);
    wr_free(e->cstr);
    if (e->aux_free) e->aux_free(e->aux);
    wr_free(e);
}

bool wr_expr_is_constant(const wr_expr *e)
{
    if (e->kind == WR_EXPR_COLUMN) return false;
    for (int i = 0; i < e->nargs; i++)
        if (!wr_expr_is_constant(e->args[i])) return false;
    return true;
}

/* Whether values of this type can be written as a literal (a WR_EXPR_CONST). */
static bool has_literals(wr_type_id id)
{
    switch (id) {
    case WR_TYPE_BOOLEAN:
    case WR_TYPE_TINYINT:
    case WR_TYPE_SMALLINT:
    case WR_TYPE_INT:
    case WR_TYPE_BIGINT:
    case WR_TYPE_DECIMAL:
    case WR_TYPE_FLOAT:
    case WR_TYPE_DOUBLE:
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR:
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_DATE:
    case WR_TYPE_TIME:
    case WR_TYPE_TIMESTAMP_LTZ:
    case WR_TYPE_INTERVAL_YM:
    case WR_TYPE_INTERVAL_DT:
    case WR_TYPE_BINARY:
    case WR_TYPE_VARBINARY:
        return true;
    default:
        return false;
    }
}

/* No column and no nondeterministic call anywhere in e. */
static bool is_fixed(const wr_expr *e)
{
    if (e->kind == WR_EXPR_COLUMN || e->nondeterministic) return false;
    for (int i = 0; i < e->nargs; i++)
        if (!is_fixed(e->args[i])) return false;
    return true;
}

bool wr_expr_is_foldable(const wr_expr *e)
{
    /* Only the result needs a literal: CARDINALITY(ARRAY[1, 2]) folds to an INT. */
    return has_literals((wr_type_id)e->type.id) && is_fixed(e);
}

wr_expr *wr_expr_fold(const wr_expr *e, wr_error *err)
{
    assert(wr_expr_is_foldable(e));
    wr_arena arena;
    wr_arena_init(&arena, 1024);
    wr_eval ev = {&arena, 1};
    wr_vector v;
    wr_expr *c = NULL;
    /* A foldable expression reads no column, so it needs no input batch. */
    if (wr_expr_eval(&ev, e, NULL, NULL, 1, &v, err) == 0) {
        if (wr_vector_is_null(&v, 0)) {
            c = constant(e->type, e->pos);
            c->cvec.validity = c->cvec.own_validity =
                wr_calloc(WR_BATCH_CAPACITY / 64, sizeof(uint64_t));
        } else if (wr_type_is_view((wr_type_id)e->type.id)) {
            wr_str str = ((const wr_str *)v.data)[0];
            c = wr_expr_string(e->type, str.ptr, str.len, e->pos);
        } else {
            c = constant(e->type, e->pos);
            size_t w = wr_type_width((wr_type_id)e->type.id);
            for (int i = 0; i < WR_BATCH_CAPACITY; i++)
                memcpy((char *)c->cvec.data + (size_t)i * w, v.data, w);
        }
    }
    wr_arena_fini(&arena);
    return c;
}

bool wr_expr_same(const wr_expr *a, const wr_expr *b)
{
    if (a == NULL || b == NULL) return a == b;
    if (a->kind != b->kind || !wr_type_equal(a->type, b->type) || a->col != b->col ||
        a->fn != b->fn || a->kernel != b->kernel || a->nargs != b->nargs || a->nondeterministic ||
        b->nondeterministic)
        return false;
    if ((a->name == NULL) != (b->name == NULL) || (a->name && strcmp(a->name, b->name) != 0))
        return false;
    if (a->kind == WR_EXPR_CONST) {
        /* The value's bytes (a string's or nested value's encoding, else its slot). */
        bool null = wr_vector_is_null(&a->cvec, 0);
        if (null != wr_vector_is_null(&b->cvec, 0)) return false;
        if (!null && wr_type_is_view(a->type.id)) {
            wr_str x = ((const wr_str *)a->cvec.data)[0], y = ((const wr_str *)b->cvec.data)[0];
            if (x.len != y.len || (x.len && memcmp(x.ptr, y.ptr, x.len) != 0)) return false;
        } else if (!null &&
                   memcmp(a->cvec.data, b->cvec.data, wr_type_width((wr_type_id)a->type.id)) != 0) {
            return false;
        }
    }
    for (int i = 0; i < a->nargs; i++)
        if (!wr_expr_same(a->args[i], b->args[i])) return false;
    return true;
}

void wr_expr_format(const wr_expr *e, const char *const *names, wr_buf *out)
{
    switch (e->kind) {
    case WR_EXPR_COLUMN:
        if (names)
            wr_buf_puts(out, names[e->col]);
        else
            wr_buf_printf(out, "$%d", e->col);
        return;
    case WR_EXPR_CONST: {
        /* Literals as SQL writes them: 'abc', DATE '2024-01-01', INTERVAL '+1 00:00:00.000' ... */
        static const char *const prefix[WR_TYPE_COUNT_] = {
            [WR_TYPE_DATE] = "DATE ",
            [WR_TYPE_TIME] = "TIME ",
            [WR_TYPE_TIMESTAMP] = "TIMESTAMP ",
            [WR_TYPE_TIMESTAMP_LTZ] = "TIMESTAMP_LTZ ",
            [WR_TYPE_INTERVAL_YM] = "INTERVAL ",
            [WR_TYPE_INTERVAL_DT] = "INTERVAL ",
        };
        static const char *const suffix[WR_TYPE_COUNT_] = {
            [WR_TYPE_INTERVAL_YM] = " YEAR TO MONTH",
            [WR_TYPE_INTERVAL_DT] = " DAY TO SECOND",
        };
        bool null = wr_vector_is_null(&e->cvec, 0);
        bool quote = !null && (wr_type_is_string(e->type.id) || prefix[e->type.id]);
        if (!null && prefix[e->type.id]) wr_buf_puts(out, prefix[e->type.id]);
        if (quote) wr_buf_putc(out, '\'');
        wr_vector_format(&e->cvec, 0, WR_FORMAT_SQL, out);
        if (quote) wr_buf_putc(out, '\'');
        if (!null && suffix[e->type.id]) wr_buf_puts(out, suffix[e->type.id]);
        return;
    }
    case WR_EXPR_AND:
    case WR_EXPR_OR:
        wr_buf_putc(out, '(');
        for (int i = 0; i < e->nargs; i++) {
            if (i) wr_buf_puts(out, e->kind == WR_EXPR_AND ? " AND " : " OR ");
            wr_expr_format(e->args[i], names, out);
        }
        wr_buf_putc(out, ')');
        return;
    case WR_EXPR_CASE:
        wr_buf_puts(out, "CASE");
        for (int i = 0; i + 1 < e->nargs; i += 2) {
            wr_buf_puts(out, " WHEN ");
            wr_expr_format(e->args[i], names, out);
            wr_buf_puts(out, " THEN ");
            wr_expr_format(e->args[i + 1], names, out);
        }
        if (e->nargs % 2) {
            wr_buf_puts(out, " ELSE ");
            wr_expr_format(e->args[e->nargs - 1], names, out);
        }
        wr_buf_puts(out, " END");
        return;
    case WR_EXPR_CALL:
        break;
    }
    const char *infix = wr_func_infix(e->fn);
    if (e->fn == WR_FN_FIELD) {
        wr_expr_format(e->args[0], names, out);
        wr_buf_printf(out, ".%s", e->name);
    } else if (infix && e->nargs == 2) {
        wr_buf_putc(out, '(');
        wr_expr_format(e->args[0], names, out);
        wr_buf_printf(out, " %s ", infix);
        wr_expr_format(e->args[1], names, out);
        wr_buf_putc(out, ')');
    } else if (e->fn == WR_FN_CAST || e->fn == WR_FN_TRY_CAST) {
        wr_buf_puts(out, e->fn == WR_FN_CAST ? "CAST(" : "TRY_CAST(");
        wr_expr_format(e->args[0], names, out);
        wr_buf_puts(out, " AS ");
        wr_type_format(e->type, out);
        wr_buf_putc(out, ')');
    } else {
        wr_buf_printf(out, "%s(", e->fn == WR_FN_SCALAR ? e->name : wr_func_name(e->fn));
        for (int i = 0; i < e->nargs; i++) {
            if (i) wr_buf_puts(out, ", ");
            wr_expr_format(e->args[i], names, out);
        }
        wr_buf_putc(out, ')');
    }
}

/* ---- evaluation ---------------------------------------------------------- */

static void *alloc_values(wr_eval *ev, wr_type type)
{
    return wr_arena_alloc(ev->arena, (size_t)ev->capacity * wr_type_width(type.id));
}

uint64_t *wr_eval_validity(wr_eval *ev, bool all_valid)
{
    size_t words = ((size_t)ev->capacity + 63) / 64;
    uint64_t *v = wr_arena_alloc(ev->arena, words * sizeof(uint64_t));
    memset(v, all_valid ? 0xff : 0, words * sizeof(uint64_t));
    return v;
}

/* Rows of sel[0..n) for which flag(row) holds, into out; returns the count. */
#define SELECT_ROWS(out, sel, n, cond)                                                             \
    ({                                                                                             \
        int k_ = 0;                                                                                \
        for (int i_ = 0; i_ < (n); i_++) {                                                         \
            int row = (sel) ? (int)(sel)[i_] : i_;                                                 \
            if (cond) (out)[k_++] = (uint32_t)row;                                                 \
        }                                                                                          \
        k_;                                                                                        \
    })

static inline int bool_state(const wr_vector *v, int row)
{
    /* 0 false, 1 true, 2 unknown */
    if (wr_vector_is_null(v, row)) return 2;
    return ((const uint8_t *)v->data)[row] ? 1 : 0;
}

static int eval_logic(wr_eval *ev, const wr_expr *e, const wr_batch *in, const uint32_t *sel, int n,
                      wr_vector *out, wr_error *err)
{
    bool is_and = e->kind == WR_EXPR_AND;
    uint8_t *res = alloc_values(ev, e->type);
    uint64_t *valid = NULL;
    /* Every active row starts undecided (neutral value, valid). */
    uint32_t *pending = wr_arena_alloc(ev->arena, (size_t)(n ? n : 1) * sizeof(uint32_t));
    int npending = 0;
    for (int i = 0; i < n; i++) {
        int row = sel ? (int)sel[i] : i;
        res[row] = is_and ? 1 : 0;
        pending[npending++] = (uint32_t)row;
    }
    for (int a = 0; a < e->nargs && npending > 0; a++) {
        wr_vector v;
        int rc = wr_expr_eval(ev, e->args[a], in, pending, npending, &v, err);
        if (rc) return rc;
        int k = 0;
        for (int i = 0; i < npending; i++) {
            int row = (int)pending[i];
            int s = bool_state(&v, row);
            if (s == 2) {
                if (valid == NULL) valid = wr_eval_validity(ev, true);
                wr_validity_set(valid, row, false);
                pending[k++] = (uint32_t)row;
            } else if ((s == 0 && is_and) || (s == 1 && !is_and)) {
                res[row] = (uint8_t)s; /* decided: FALSE for AND, TRUE for OR */
                if (valid) wr_validity_set(valid, row, true);
            } else {
                pending[k++] = (uint32_t)row;
            }
        }
        npending = k;
    }
    out->type = e->type;
    out->data = res;
    out->validity = valid;
    return 0;
}

/* Copies rows sel[0..n) of src into dst (same type), including NULLs. */
static void gather(wr_eval *ev, wr_vector *dst, const wr_vector *src, const uint32_t *sel, int n)
{
    size_t w = wr_type_width(dst->type.id);
    for (int i = 0; i < n; i++) {
        int row = (int)sel[i];
        memcpy((char *)dst->data + (size_t)row * w, (const char *)src->data + (size_t)row * w, w);
    }
    if (src->validity || dst->validity) {
        if (dst->validity == NULL) dst->validity = wr_eval_validity(ev, true);
        for (int i = 0; i < n; i++)
            wr_validity_set(dst->validity, (int)sel[i], !wr_vector_is_null(src, (int)sel[i]));
    }
}

static int eval_case(wr_eval *ev, const wr_expr *e, const wr_batch *in, const uint32_t *sel, int n,
                     wr_vector *out, wr_error *err)
{
    out->type = e->type;
    out->data = alloc_values(ev, e->type);
    out->validity = NULL;
    uint32_t *rest = wr_arena_alloc(ev->arena, (size_t)(n ? n : 1) * sizeof(uint32_t));
    uint32_t *hit = wr_arena_alloc(ev->arena, (size_t)(n ? n : 1) * sizeof(uint32_t));
    int nrest = 0;
    for (int i = 0; i < n; i++) rest[nrest++] = sel ? sel[i] : (uint32_t)i;
    int w;
    for (w = 0; w + 1 < e->nargs && nrest > 0; w += 2) {
        wr_vector cond;
        int rc = wr_expr_eval(ev, e->args[w], in, rest, nrest, &cond, err);
        if (rc) return rc;
        int nhit = 0, k = 0;
        for (int i = 0; i < nrest; i++) {
            if (bool_state(&cond, (int)rest[i]) == 1)
                hit[nhit++] = rest[i];
            else
                rest[k++] = rest[i];
        }
        nrest = k;
        if (nhit) {
            wr_vector v;
            rc = wr_expr_eval(ev, e->args[w + 1], in, hit, nhit, &v, err);
            if (rc) return rc;
            gather(ev, out, &v, hit, nhit);
        }
    }
    if (nrest > 0) {
        if (e->nargs % 2) {
            wr_vector v;
            int rc = wr_expr_eval(ev, e->args[e->nargs - 1], in, rest, nrest, &v, err);
            if (rc) return rc;
            gather(ev, out, &v, rest, nrest);
        } else {
            if (out->validity == NULL) out->validity = wr_eval_validity(ev, true);
            for (int i = 0; i < nrest; i++) wr_validity_set(out->validity, (int)rest[i], false);
        }
    }
    return 0;
}

/* ---- common subexpressions -------------------------------------------------------- */

static void collect_calls(wr_expr *e, wr_expr ***v, int *n, int *cap)
{
    if (e == NULL) return;
    if (e->kind == WR_EXPR_CALL) {
        e->cse = 0;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            *v = wr_realloc(*v, (size_t)*cap * sizeof(wr_expr *));
        }
        (*v)[(*n)++] = e;
    }
    for (int i = 0; i < e->nargs; i++) collect_calls(e->args[i], v, n, cap);
}

int wr_expr_mark_common(wr_expr **exprs, int n)
{
    wr_expr **calls = NULL;
    int ncalls = 0, cap = 0, slots = 0;
    for (int i = 0; i < n; i++) collect_calls(exprs[i], &calls, &ncalls, &cap);
    for (int i = 0; i < ncalls; i++) {
        if (calls[i]->cse) continue;
        for (int j = i + 1; j < ncalls; j++) {
            if (calls[j]->cse || calls[j] == calls[i] || !wr_expr_same(calls[i], calls[j]))
                continue;
            if (calls[i]->cse == 0) calls[i]->cse = ++slots;
            calls[j]->cse = calls[i]->cse;
        }
    }
    wr_free(calls);
    return slots;
}

/* Whether cache c holds the rows sel[0..n) (0..n-1 when sel is NULL). */
static bool cache_covers(const wr_expr_cache *c, const uint32_t *sel, int n)
{
    if (!c->valid) return false;
    if (c->all) return true;
    for (int i = 0; i < n; i++) {
        uint32_t r = sel ? sel[i] : (uint32_t)i;
        if (!((c->rows[r >> 6] >> (r & 63)) & 1)) return false;
    }
    return true;
}

static void cache_store(wr_eval *ev, wr_expr_cache *c, const wr_vector *v, const uint32_t *sel,
                        int n)
{
    c->valid = true;
    c->v = *v;
    c->all = sel == NULL && n >= ev->capacity;
    if (c->all) return;
    size_t words = ((size_t)ev->capacity + 63) / 64;
    c->rows = wr_arena_calloc(ev->arena, (words ? words : 1) * sizeof(uint64_t));
    for (int i = 0; i < n; i++) {
        uint32_t r = sel ? sel[i] : (uint32_t)i;
        c->rows[r >> 6] |= (uint64_t)1 << (r & 63);
    }
}

int wr_expr_eval(wr_eval *ev, const wr_expr *e, const wr_batch *in, const uint32_t *sel, int n,
                 wr_vector *out, wr_error *err)
{
    switch (e->kind) {
    case WR_EXPR_COLUMN:
        *out = in->cols[e->col];
        return 0;
    case WR_EXPR_CONST:
        *out = e->cvec;
        return 0;
    case WR_EXPR_AND:
    case WR_EXPR_OR:
        return eval_logic(ev, e, in, sel, n, out, err);
    case WR_EXPR_CASE:
        return eval_case(ev, e, in, sel, n, out, err);
    case WR_EXPR_CALL:
        break;
    }
    wr_expr_cache *cached = e->cse && ev->cache ? &ev->cache[e->cse - 1] : NULL;
    if (cached && cache_covers(cached, sel, n)) {
        *out = cached->v;
        return 0;
    }
    wr_vector fixed[4];
    wr_vector *args =
        e->nargs <= 4 ? fixed : wr_arena_alloc(ev->arena, (size_t)e->nargs * sizeof(wr_vector));
    for (int i = 0; i < e->nargs; i++) {
        int rc = wr_expr_eval(ev, e->args[i], in, sel, n, &args[i], err);
        if (rc) return rc;
    }
    out->type = e->type;
    out->data = alloc_values(ev, e->type);
    out->validity = NULL;
    out->own_data = NULL;
    out->own_validity = NULL;
    int rc = e->kernel(ev, e, args, out, sel, n, err);
    if (rc && err->offset < 0) err->offset = e->pos;
    if (rc == 0 && cached) cache_store(ev, cached, out, sel, n);
    return rc;
}

int wr_expr_filter(wr_eval *ev, const wr_expr *e, const wr_batch *in, const uint32_t *sel, int n,
                   uint32_t *out_sel, int *nout, wr_error *err)
{
    wr_vector v;
    int rc = wr_expr_eval(ev, e, in, sel, n, &v, err);
    if (rc) return rc;
    const uint8_t *b = v.data;
    int k = 0;
    if (v.validity == NULL) {
        if (sel) {
            for (int i = 0; i < n; i++) {
                out_sel[k] = sel[i];
                k += b[sel[i]] != 0;
            }
        } else {
            for (int i = 0; i < n; i++) {
                out_sel[k] = (uint32_t)i;
                k += b[i] != 0;
            }
        }
    } else {
        k = SELECT_ROWS(out_sel, sel, n, b[row] && !wr_vector_is_null(&v, row));
    }
    *nout = k;
    return 0;
}
