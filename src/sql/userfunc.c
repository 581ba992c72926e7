/*
 * userfunc.c — user-defined functions in C: checking descriptors, loading
 * them with dlopen, binding calls and the kernel that calls eval; see
 * userfunc.h and docs/udf.md.
 *
 * A call evaluates like a built-in's: its kernel loops over the batch's
 * active rows, but per row, since the user's function takes one row's
 * weir_values. Arguments arrive already cast to the declared types (the
 * binder inserts the casts), so the kernel only converts between Weir's
 * physical slots and weir_value. Results whose declared type has a length
 * (CHAR(n), VARBINARY(n)) come out of the kernel as STRING or BYTES and go
 * through a CAST, which pads or truncates as Flink does.
 */
#include "userfunc.h"
#include "../base/alloc.h"
#include "../expr/functions.h"
#include "../expr/kernels.h"
#include "../ops/aggregate.h"
#include "../types/decimal.h"
#include "../types/nested.h"
#include "parser.h"
#include "typing.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The longest string or DECIMAL text a function may return (bytes), as for built-ins. */
#define MAX_RESULT_BYTES (1u << 30)

/* The largest accumulator of an aggregate function: it is copied around as bytes. */
#define MAX_STATE_BYTES (64u << 10)

static void agg_setup(wr_userfunc *fn);

/* ---- entries --------------------------------------------------------------- */

bool wr_userfunc_is_builtin(const char *name)
{
    return wr_func_find(name) || wr_agg_is_aggregate(name) || strcasecmp(name, "GROUPING") == 0 ||
           strcasecmp(name, "GROUPING_ID") == 0;
}

void wr_userfunc_free(wr_userfunc *fn)
{
    if (fn == NULL) return;
    wr_free(fn->name);
    wr_free(fn->symbol);
    wr_free(fn->path);
    wr_free(fn->args);
    /* dlopen counts references: the library unloads when its last function goes. */
    if (fn->lib) dlclose(fn->lib);
    wr_free(fn);
}

/*
 * Parses the types a descriptor declares in field (result_type or
 * arg_types). want is 1 for the result; -1 for any number. A failure is
 * reported at pos, quoting the text, since the text is not the SQL's.
 */
static int parse_types(const char *name, const char *field, const char *text, int want, int pos,
                       wr_type **out, int *nout, wr_error *err)
{
    wr_arena arena;
    wr_arena_init(&arena, 1024);
    wr_error perr;
    wr_error_init(&perr);
    wr_ast_type *types;
    int n = 0, rc = wr_sql_parse_types(text, &arena, &types, &n, &perr);
    if (rc == 0 && want == 1 && n != 1)
        rc = wr_error_set(&perr, WR_ERR_VALIDATION, "expected one data type");
    *out = wr_calloc((size_t)(n ? n : 1), sizeof(wr_type));
    *nout = n;
    for (int i = 0; i < n && rc == 0; i++) {
        if (!wr_bind_type(&types[i], &(*out)[i], &perr))
            rc = perr.code;
        else if (wr_type_is_nested((*out)[i].id)) /* weir_value has no nested values yet */
            rc = wr_error_set(&perr, WR_ERR_VALIDATION, "type %s is not supported here",
                              types[i].name);
    }
    wr_arena_fini(&arena);
    if (rc == 0) return 0;
    wr_free(*out);
    *out = NULL;
    return wr_error_set_at(err, WR_ERR_VALIDATION, pos, "function '%s': %s \"%s\": %s", name, field,
                           text, perr.msg);
}

/* Checks what a descriptor says about itself before anything of it is used. */
static int check_descriptor(const char *name, const weir_udf *udf, int pos, wr_error *err)
{
    if (udf == NULL)
        return wr_error_set_at(err, WR_ERR_ARGUMENT, pos, "function '%s': the descriptor is NULL",
                               name);
    if (udf->abi_version != WEIR_UDF_ABI_VERSION)
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                               "function '%s': the descriptor has ABI version %d, but Weir reads "
                               "version %d (WEIR_UDF_ABI_VERSION): build it against this Weir's "
                               "weir.h",
                               name, udf->abi_version, WEIR_UDF_ABI_VERSION);
    if (udf->kind == WEIR_UDF_AGGREGATE) {
        const char *missing = udf->result_type == NULL  ? "result_type"
                              : udf->init == NULL       ? "init"
                              : udf->accumulate == NULL ? "accumulate"
                              : udf->get_value == NULL  ? "get_value"
                                                        : NULL;
        if (missing)
            return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                                   "function '%s': an aggregate function's descriptor needs %s",
                                   name, missing);
        if (udf->state_size == 0 || udf->state_size > MAX_STATE_BYTES)
            return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                                   "function '%s': state_size is %zu bytes; an aggregate's state "
                                   "takes 1 to %u bytes",
                                   name, udf->state_size, MAX_STATE_BYTES);
        return 0;
    }
    if (udf->kind != WEIR_UDF_SCALAR)
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                               "function '%s': the descriptor's kind is %d, not WEIR_UDF_SCALAR "
                               "(%d) or WEIR_UDF_AGGREGATE (%d)",
                               name, udf->kind, WEIR_UDF_SCALAR, WEIR_UDF_AGGREGATE);
    if (udf->eval == NULL || udf->result_type == NULL)
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                               "function '%s': a scalar function's descriptor needs %s", name,
                               udf->eval == NULL ? "eval" : "result_type");
    return 0;
}

wr_userfunc *wr_userfunc_new(const char *name, const weir_udf *udf, void *lib, int pos,
                             wr_error *err)
{
    wr_type *result = NULL, *args = NULL;
    int nresult, nargs = 0;
    if (check_descriptor(name, udf, pos, err) ||
        parse_types(name, "result_type", udf->result_type, 1, pos, &result, &nresult, err) ||
        (udf->arg_types &&
         parse_types(name, "arg_types", udf->arg_types, -1, pos, &args, &nargs, err))) {
        wr_free(result);
        if (lib) dlclose(lib);
        return NULL;
    }
    if (udf->kind == WEIR_UDF_AGGREGATE && nargs > WR_AGG_MAX_ARGS) {
        wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                        "function '%s': an aggregate function takes at most %d arguments, it "
                        "declares %d",
                        name, WR_AGG_MAX_ARGS, nargs);
        wr_free(result);
        wr_free(args);
        if (lib) dlclose(lib);
        return NULL;
    }
    wr_userfunc *fn = wr_calloc(1, sizeof(*fn));
    fn->name = wr_strdup(name);
    fn->udf = udf;
    fn->lib = lib;
    fn->result = result[0];
    fn->args = args;
    fn->nargs = nargs;
    wr_free(result);
    if (udf->kind == WEIR_UDF_AGGREGATE) agg_setup(fn);
    return fn;
}

int wr_userfunc_load(const char *path, int path_pos, const char *symbol, int symbol_pos, void **lib,
                     const weir_udf **udf, wr_error *err)
{
    *lib = NULL;
    *udf = NULL;
    /*
     * dlopen reads a name without '/' as a library to search for (LD_LIBRARY_PATH,
     * the system's directories); a file of that name in the current directory is
     * what a user who writes USING JAR 'udfs.so' means.
     */
    char *local = NULL;
    if (path && strchr(path, '/') == NULL && access(path, F_OK) == 0) {
        local = wr_malloc(strlen(path) + 3);
        sprintf(local, "./%s", path);
    }
    dlerror();
    void *h = dlopen(local ? local : path, RTLD_NOW | RTLD_LOCAL);
    wr_free(local);
    if (h == NULL) {
        const char *why = dlerror();
        return wr_error_set_at(err, WR_ERR_VALIDATION, path_pos, "cannot load %s: %s",
                               path ? "the library" : "the running program",
                               why ? why : "unknown error");
    }
    dlerror();
    void *sym = dlsym(h, symbol);
    if (sym == NULL) {
        dlclose(h);
        if (path)
            return wr_error_set_at(err, WR_ERR_VALIDATION, symbol_pos,
                                   "symbol '%s' not found in '%s': the library must export the "
                                   "function's weir_udf descriptor under that name",
                                   symbol, path);
        return wr_error_set_at(err, WR_ERR_VALIDATION, symbol_pos,
                               "symbol '%s' not found in the running program (without USING JAR "
                               "the descriptor comes from the program itself, which must be "
                               "linked with -rdynamic to export it)",
                               symbol);
    }
    *lib = h;
    *udf = sym;
    return 0;
}

/* ---- binding ---------------------------------------------------------------- */

/* What a call's kernel needs; owned by the call (freed with it). */
typedef struct call_aux {
    char *name;
    const weir_udf *udf;
    weir_value_kind result_kind;
    bool result_not_null; /* declared NOT NULL: a NULL from eval is an error */
    bool *skip_null;      /* per argument: declared NOT NULL, so a NULL skips eval */
    int nargs;
} call_aux;

static void aux_free(void *p)
{
    call_aux *aux = p;
    wr_free(aux->name);
    wr_free(aux->skip_null);
    wr_free(aux);
}

static weir_value_kind value_kind(wr_type_id id)
{
    switch (id) {
    case WR_TYPE_BOOLEAN:
        return WEIR_VALUE_BOOLEAN;
    case WR_TYPE_TINYINT:
    case WR_TYPE_SMALLINT:
    case WR_TYPE_INT:
    case WR_TYPE_BIGINT:
        return WEIR_VALUE_INT;
    case WR_TYPE_FLOAT:
    case WR_TYPE_DOUBLE:
        return WEIR_VALUE_DOUBLE;
    case WR_TYPE_DECIMAL:
        return WEIR_VALUE_DECIMAL;
    case WR_TYPE_CHAR:
    case WR_TYPE_VARCHAR:
        return WEIR_VALUE_STRING;
    case WR_TYPE_BINARY:
    case WR_TYPE_VARBINARY:
        return WEIR_VALUE_BYTES;
    case WR_TYPE_DATE:
        return WEIR_VALUE_DATE;
    case WR_TYPE_TIME:
        return WEIR_VALUE_TIME;
    case WR_TYPE_TIMESTAMP:
        return WEIR_VALUE_TIMESTAMP;
    case WR_TYPE_TIMESTAMP_LTZ:
        return WEIR_VALUE_TIMESTAMP_LTZ;
    default:
        /* Declared types come from wr_bind_type, which knows no others. */
        assert(0);
        return WEIR_VALUE_STRING;
    }
}

/* "name(STRING, INT)", for messages. */
static void put_signature(const wr_userfunc *fn, wr_buf *b)
{
    wr_buf_printf(b, "%s(", fn->name);
    for (int i = 0; i < fn->nargs; i++) {
        if (i) wr_buf_puts(b, ", ");
        wr_type_format(fn->args[i], b);
    }
    wr_buf_puts(b, ")");
}

/* A string or byte string declared without a length limit reads any string as it is. */
static bool needs_no_cast(wr_type from, wr_type to)
{
    if (to.length != WR_VARCHAR_MAX) return false;
    return (to.id == WR_TYPE_VARCHAR && wr_type_is_string(from.id)) ||
           (to.id == WR_TYPE_VARBINARY && wr_type_is_binary(from.id));
}

/* Casts args[i] to the declared types in place; on failure frees every argument (not the array). */
static int cast_args(const wr_userfunc *fn, wr_expr **args, int nargs, int pos, wr_error *err)
{
    for (int i = 0; i < nargs; i++) {
        wr_type want = fn->args[i], have = args[i]->type;
        int apos = args[i]->pos >= 0 ? args[i]->pos : pos;
        if (!wr_assignable(have, want)) {
            char a[64], w[64];
            wr_buf sig;
            wr_buf_init(&sig);
            put_signature(fn, &sig);
            want.nullable = have.nullable = true; /* nullability is no reason for the error */
            wr_error_set_at(err, WR_ERR_VALIDATION, apos,
                            "argument %d of %s has type %s, which does not convert to %s "
                            "implicitly (CAST it); usage: %s",
                            i + 1, fn->name, wr_type_name(have, a, sizeof(a)),
                            wr_type_name(want, w, sizeof(w)), sig.data);
            wr_buf_fini(&sig);
            goto fail;
        }
        if (needs_no_cast(have, want)) continue;
        want.nullable = have.nullable || have.id == WR_TYPE_NULL;
        if (!(args[i] = wr_expr_cast(args[i], want, false, apos, err))) goto fail;
    }
    return 0;
fail:
    for (int i = 0; i < nargs; i++) wr_expr_free(args[i]);
    return err->code;
}

/* "function f takes 2 arguments, got 1; usage: f(STRING, INT)"; frees the arguments. */
static void arity_error(const wr_userfunc *fn, wr_expr **args, int nargs, int pos, wr_error *err)
{
    wr_buf sig;
    wr_buf_init(&sig);
    put_signature(fn, &sig);
    wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                    "function %s takes %d argument%s, got %d; usage: %s", fn->name, fn->nargs,
                    fn->nargs == 1 ? "" : "s", nargs, sig.data);
    wr_buf_fini(&sig);
    for (int i = 0; i < nargs; i++) wr_expr_free(args[i]);
}

static int k_user(WR_KERNEL_ARGS);

wr_expr *wr_userfunc_bind(const wr_catalog *cat, const char *name, wr_expr **args, int nargs,
                          int pos, wr_error *err)
{
    const wr_userfunc *fn = cat ? wr_catalog_find_function(cat, name) : NULL;
    if (fn == NULL) return NULL;
    if (fn->udf->kind == WEIR_UDF_AGGREGATE) {
        /* The binder sends aggregate calls elsewhere; this is a call where none may be. */
        wr_error_set_at(err, WR_ERR_VALIDATION, pos, "%s is an aggregate function", fn->name);
        for (int i = 0; i < nargs; i++) wr_expr_free(args[i]);
        wr_free(args);
        return NULL;
    }
    if (nargs != fn->nargs) {
        arity_error(fn, args, nargs, pos, err);
        wr_free(args);
        return NULL;
    }
    if (cast_args(fn, args, nargs, pos, err)) {
        wr_free(args);
        return NULL;
    }

    call_aux *aux = wr_calloc(1, sizeof(*aux));
    aux->name = wr_strdup(fn->name);
    aux->udf = fn->udf;
    aux->result_kind = value_kind(fn->result.id);
    aux->result_not_null = !fn->result.nullable;
    aux->nargs = nargs;
    aux->skip_null = wr_calloc((size_t)(nargs ? nargs : 1), sizeof(bool));
    bool nullable = fn->result.nullable;
    for (int i = 0; i < nargs; i++) {
        aux->skip_null[i] = !fn->args[i].nullable;
        if (aux->skip_null[i] && args[i]->type.nullable) nullable = true;
    }
    /* The kernel makes strings of any length; a declared length is the CAST's job. */
    wr_type ktype = fn->result;
    if (wr_type_is_string(ktype.id)) ktype = wr_type_make(WR_TYPE_VARCHAR, nullable);
    if (wr_type_is_binary(ktype.id)) ktype = wr_type_make(WR_TYPE_VARBINARY, nullable);
    ktype.nullable = nullable;
    wr_expr *call = wr_expr_call_kernel(aux->name, k_user, aux, aux_free, args, nargs, ktype, pos);
    /* The planner folds only deterministic calls into constants. */
    call->nondeterministic = !fn->udf->deterministic;
    wr_type declared = fn->result;
    declared.nullable = nullable;
    return wr_expr_cast(call, declared, false, pos, err);
}

/* ---- evaluation ---------------------------------------------------------- */

/* What weir_value_alloc needs (a result's `internal`): the arena, and the last buffer given. */
typedef struct result_scratch {
    wr_arena *arena; /* where result bytes go */
    const char *given;
    size_t given_len;
} result_scratch;

static char *alloc_result(weir_value *result, size_t len)
{
    result_scratch *sc = result->internal;
    if (len > MAX_RESULT_BYTES) return NULL;
    char *p = wr_arena_alloc(sc->arena, len ? len : 1);
    sc->given = p;
    sc->given_len = len;
    result->s = p;
    result->len = len;
    return p;
}

/* Fills val with row r of v (of type type); decimal text goes into dec. */
static void read_arg(const wr_vector *v, wr_type type, int r, weir_value *val, wr_buf *dec)
{
    weir_value_kind kind = val->kind;
    memset(val, 0, sizeof(*val));
    val->kind = kind;
    if (!wr_valid_row(v->validity, r)) {
        val->is_null = true;
        return;
    }
    switch ((wr_type_id)type.id) {
    case WR_TYPE_BOOLEAN:
        val->i = ((const uint8_t *)v->data)[r] != 0;
        break;
    case WR_TYPE_TINYINT:
        val->i = ((const int8_t *)v->data)[r];
        break;
    case WR_TYPE_SMALLINT:
        val->i = ((const int16_t *)v->data)[r];
        break;
    case WR_TYPE_INT:
    case WR_TYPE_DATE:
    case WR_TYPE_TIME:
        val->i = ((const int32_t *)v->data)[r];
        break;
    case WR_TYPE_BIGINT:
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
        val->i = ((const int64_t *)v->data)[r];
        break;
    case WR_TYPE_FLOAT:
        val->d = ((const float *)v->data)[r];
        break;
    case WR_TYPE_DOUBLE:
        val->d = ((const double *)v->data)[r];
        break;
    case WR_TYPE_DECIMAL:
        wr_buf_reset(dec);
        wr_decimal_format(((const wr_int128 *)v->data)[r], type.scale, dec);
        val->s = dec->data;
        val->len = dec->len;
        break;
    default: {
        wr_str s = ((const wr_str *)v->data)[r];
        val->s = s.ptr;
        val->len = s.len;
        break;
    }
    }
}

static bool in_range(int64_t v, int64_t lo, int64_t hi)
{
    return v >= lo && v <= hi;
}

/*
 * Stores a non-NULL result at row r of out (of type type). Returns NULL, or a
 * message saying what is wrong with the value (in msg).
 */
static const char *store_result(const result_scratch *sc, const weir_value *res, wr_type type,
                                wr_vector *out, int r, char *msg, size_t size)
{
    const char *tn;
    char tbuf[64];
    switch ((wr_type_id)type.id) {
    case WR_TYPE_BOOLEAN:
        ((uint8_t *)out->data)[r] = res->i != 0;
        return NULL;
    case WR_TYPE_TINYINT:
        if (!in_range(res->i, INT8_MIN, INT8_MAX)) goto range;
        ((int8_t *)out->data)[r] = (int8_t)res->i;
        return NULL;
    case WR_TYPE_SMALLINT:
        if (!in_range(res->i, INT16_MIN, INT16_MAX)) goto range;
        ((int16_t *)out->data)[r] = (int16_t)res->i;
        return NULL;
    case WR_TYPE_INT:
    case WR_TYPE_DATE:
        if (!in_range(res->i, INT32_MIN, INT32_MAX)) goto range;
        ((int32_t *)out->data)[r] = (int32_t)res->i;
        return NULL;
    case WR_TYPE_TIME:
        if (!in_range(res->i, 0, WR_MILLIS_PER_DAY - 1)) goto range;
        ((int32_t *)out->data)[r] = (int32_t)res->i;
        return NULL;
    case WR_TYPE_BIGINT:
        ((int64_t *)out->data)[r] = res->i;
        return NULL;
    case WR_TYPE_TIMESTAMP:
    case WR_TYPE_TIMESTAMP_LTZ:
        ((int64_t *)out->data)[r] = wr_timestamp_truncate(res->i, type.length);
        return NULL;
    case WR_TYPE_FLOAT:
        ((float *)out->data)[r] = (float)res->d;
        return NULL;
    case WR_TYPE_DOUBLE:
        ((double *)out->data)[r] = res->d;
        return NULL;
    default:
        break;
    }
    /* Bytes: strings, byte strings and DECIMAL text. */
    if (res->s == NULL && res->len > 0) return "its result has a length but no bytes (s is NULL)";
    if (res->len > MAX_RESULT_BYTES) {
        snprintf(msg, size, "its result of %zu bytes is longer than 1 GiB", res->len);
        return msg;
    }
    const char *bytes = res->s ? res->s : "";
    if (type.id == WR_TYPE_DECIMAL) {
        wr_int128 v;
        int rc = wr_decimal_parse(bytes, res->len, type.length, type.scale, &v);
        if (rc == 0) {
            ((wr_int128 *)out->data)[r] = v;
            return NULL;
        }
        snprintf(msg, size, "its result '%.*s' %s %s", (int)WR_MIN(res->len, 60), bytes,
                 rc == -2 ? "does not fit" : "is not a number of type",
                 wr_type_name(type, tbuf, sizeof(tbuf)));
        return msg;
    }
    /* Bytes written into the buffer weir_value_alloc gave stay where they are. */
    bool owned = sc->given && bytes >= sc->given && bytes + res->len <= sc->given + sc->given_len;
    char *p = (char *)bytes;
    if (!owned) {
        p = wr_arena_alloc(sc->arena, res->len ? res->len : 1);
        if (res->len) memcpy(p, bytes, res->len);
    }
    ((wr_str *)out->data)[r] = (wr_str){p, (uint32_t)res->len};
    return NULL;
range:
    tn = wr_type_name(type, tbuf, sizeof(tbuf));
    snprintf(msg, size, "its result %" PRId64 " is out of range for %s", res->i, tn);
    return msg;
}

/* "'abc', 1, NULL": the arguments of row r, for messages (long values cut). */
static void put_args(const wr_vector *const *args, int nargs, int r, wr_buf *b)
{
    wr_buf one;
    wr_buf_init(&one);
    for (int a = 0; a < nargs; a++) {
        wr_buf_reset(&one);
        wr_vector_format(args[a], r, WR_FORMAT_SQL, &one);
        bool quote = wr_type_is_string(args[a]->type.id) && wr_valid_row(args[a]->validity, r);
        if (a) wr_buf_puts(b, ", ");
        if (quote) wr_buf_putc(b, '\'');
        wr_buf_append(b, one.data, WR_MIN(one.len, 60));
        if (one.len > 60) wr_buf_puts(b, "...");
        if (quote) wr_buf_putc(b, '\'');
    }
    wr_buf_fini(&one);
}

/* Fails with the function's message and row r's arguments. */
static int fail_at_row(const char *name, const wr_vector *const *args, int nargs, int r,
                       const char *why, wr_error *err)
{
    wr_buf b;
    wr_buf_init(&b);
    put_args(args, nargs, r, &b);
    wr_error_set(err, WR_ERR_RUNTIME, "function %s: %s (arguments: %s)", name, why,
                 b.len ? b.data : "none");
    wr_buf_fini(&b);
    return err->code;
}

/* The same for a scalar call's kernel. */
static int call_failed(const wr_expr *e, const wr_vector *args, int r, const char *why,
                       wr_error *err)
{
    const wr_vector **ptrs = wr_malloc((size_t)(e->nargs ? e->nargs : 1) * sizeof(*ptrs));
    for (int a = 0; a < e->nargs; a++) ptrs[a] = &args[a];
    int rc = fail_at_row(e->name, ptrs, e->nargs, r, why, err);
    wr_free(ptrs);
    return rc;
}

/* A callback's message, or "failed (returned N)" when it wrote none. */
static const char *user_message(char *errbuf, size_t size, int urc)
{
    errbuf[size - 1] = '\0';
    if (errbuf[0] == '\0') snprintf(errbuf, size, "failed (returned %d)", urc);
    return errbuf;
}

/*
 * The kernel of every user function's call: per active row, the arguments as
 * weir_values, eval, the result into out. A row with a NULL argument declared
 * NOT NULL is NULL without a call.
 */
static int k_user(WR_KERNEL_ARGS)
{
    const call_aux *aux = e->aux;
    const weir_udf *udf = aux->udf;
    int nargs = e->nargs;
    weir_value *vals = wr_arena_calloc(ev->arena, (size_t)(nargs ? nargs : 1) * sizeof(*vals));
    wr_buf *decs = wr_calloc((size_t)(nargs ? nargs : 1), sizeof(wr_buf));
    for (int a = 0; a < nargs; a++) {
        vals[a].kind = value_kind(e->args[a]->type.id);
        wr_buf_init(&decs[a]);
    }
    uint64_t *valid = out->validity = wr_eval_validity(ev, true);
    result_scratch sc = {ev->arena, NULL, 0};
    char errbuf[WEIR_UDF_ERROR_MAX], msg[256];
    int rc = 0;
    WR_FOR_ROWS({
        bool skip = false;
        for (int a = 0; a < nargs; a++) {
            read_arg(&args[a], e->args[a]->type, r, &vals[a], &decs[a]);
            skip |= vals[a].is_null && aux->skip_null[a];
        }
        if (skip) {
            valid[r >> 6] &= ~((uint64_t)1 << (r & 63));
            continue;
        }
        weir_value res = {.kind = aux->result_kind, .alloc = alloc_result, .internal = &sc};
        sc.given = NULL;
        errbuf[0] = '\0';
        int urc = udf->eval(udf->user, vals, nargs, &res, errbuf, sizeof(errbuf));
        if (urc != 0) {
            rc = call_failed(e, args, r, user_message(errbuf, sizeof(errbuf), urc), err);
        } else if (res.is_null) {
            if (aux->result_not_null)
                rc = call_failed(e, args, r,
                                 "it returned NULL, but its result type is declared NOT NULL", err);
            valid[r >> 6] &= ~((uint64_t)1 << (r & 63));
        } else {
            const char *why = store_result(&sc, &res, e->type, out, r, msg, sizeof(msg));
            if (why) rc = call_failed(e, args, r, why, err);
        }
        if (rc) break;
    });
    for (int a = 0; a < nargs; a++) wr_buf_fini(&decs[a]);
    wr_free(decs);
    return rc;
}

/* ---- aggregate functions -------------------------------------------------- */

/*
 * An aggregate's call is a WR_AGG_USER call of the hash aggregation, which
 * keeps the states and calls back through the entry's wr_agg_user (agg);
 * these callbacks convert between vectors and weir_values as the scalar
 * kernel does.
 */

static const wr_userfunc *agg_entry(const wr_agg_user *u)
{
    return (const wr_userfunc *)(const void *)((const char *)u - offsetof(wr_userfunc, agg));
}

static void agg_init(const wr_agg_user *u, void *state)
{
    const weir_udf *udf = agg_entry(u)->udf;
    memset(state, 0, udf->state_size); /* what init leaves alone is at least the same each time */
    udf->init(udf->user, state);
}

static int agg_accumulate(const wr_agg_user *u, const wr_vector *const *args, const uint32_t *rows,
                          const uint32_t *groups, int n, uint8_t *states, size_t stride,
                          wr_error *err)
{
    const wr_userfunc *fn = agg_entry(u);
    const weir_udf *udf = fn->udf;
    int nargs = fn->nargs;
    weir_value vals[WR_AGG_MAX_ARGS + 1];
    wr_buf decs[WR_AGG_MAX_ARGS + 1];
    for (int a = 0; a < nargs; a++) {
        vals[a].kind = value_kind(fn->args[a].id);
        wr_buf_init(&decs[a]);
    }
    char errbuf[WEIR_UDF_ERROR_MAX];
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        int r = (int)rows[i];
        bool skip = false;
        for (int a = 0; a < nargs; a++) {
            read_arg(args[a], args[a]->type, r, &vals[a], &decs[a]);
            skip |= vals[a].is_null && !fn->args[a].nullable;
        }
        /* As for scalar functions: a NULL where NOT NULL is declared never reaches the function. */
        if (skip) continue;
        errbuf[0] = '\0';
        int urc = udf->accumulate(udf->user, states + (size_t)groups[i] * stride, vals, nargs,
                                  errbuf, sizeof(errbuf));
        if (urc != 0)
            rc = fail_at_row(fn->name, args, nargs, r, user_message(errbuf, sizeof(errbuf), urc),
                             err);
    }
    for (int a = 0; a < nargs; a++) wr_buf_fini(&decs[a]);
    return rc;
}

static int agg_merge(const wr_agg_user *u, void *state, const void *other, wr_error *err)
{
    const wr_userfunc *fn = agg_entry(u);
    char errbuf[WEIR_UDF_ERROR_MAX];
    errbuf[0] = '\0';
    int urc = fn->udf->merge(fn->udf->user, state, other, errbuf, sizeof(errbuf));
    if (urc == 0) return 0;
    return wr_error_set(err, WR_ERR_RUNTIME, "function %s: %s (merging partial aggregates)",
                        fn->name, user_message(errbuf, sizeof(errbuf), urc));
}

/* A string or byte string to a declared length, as CAST does: CHAR(n), BINARY(n) padded. */
static void fit_length(wr_type type, wr_str *v, wr_arena *arena)
{
    bool fixed = type.id == WR_TYPE_CHAR || type.id == WR_TYPE_BINARY;
    if (type.length == WR_VARCHAR_MAX || (!fixed && v->len <= (uint32_t)type.length)) return;
    if (!fixed) {
        v->len = (uint32_t)type.length;
        return;
    }
    uint32_t n = (uint32_t)type.length, k = WR_MIN(v->len, n);
    char *q = wr_arena_alloc(arena, n ? n : 1);
    if (k) memcpy(q, v->ptr, k);
    memset(q + k, type.id == WR_TYPE_CHAR ? ' ' : '\0', n - k);
    *v = (wr_str){q, n};
}

static int agg_get_value(const wr_agg_user *u, const void *state, wr_batch *out, int col, int row,
                         wr_arena *heap, wr_error *err)
{
    const wr_userfunc *fn = agg_entry(u);
    const weir_udf *udf = fn->udf;
    result_scratch sc = {heap, NULL, 0};
    weir_value res = {.kind = value_kind(fn->result.id), .alloc = alloc_result, .internal = &sc};
    char errbuf[WEIR_UDF_ERROR_MAX], msg[256];
    errbuf[0] = '\0';
    int urc = udf->get_value(udf->user, state, &res, errbuf, sizeof(errbuf));
    const char *why = urc ? user_message(errbuf, sizeof(errbuf), urc) : NULL;
    if (why == NULL && res.is_null) {
        if (fn->result.nullable) {
            wr_batch_set_null(out, col, row);
            return 0;
        }
        why = "it returned NULL, but its result type is declared NOT NULL";
    }
    wr_vector *v = &out->cols[col];
    if (why == NULL) why = store_result(&sc, &res, v->type, v, row, msg, sizeof(msg));
    if (why)
        return wr_error_set(err, WR_ERR_RUNTIME, "function %s: %s (computing a group's result)",
                            fn->name, why);
    if (wr_type_is_string(v->type.id) || wr_type_is_binary(v->type.id))
        fit_length(v->type, &((wr_str *)v->data)[row], heap);
    return 0;
}

static void agg_setup(wr_userfunc *fn)
{
    fn->agg = (wr_agg_user){
        .name = fn->name,
        .nargs = fn->nargs,
        .state_size = fn->udf->state_size,
        .init = agg_init,
        .accumulate = agg_accumulate,
        .merge = fn->udf->merge ? agg_merge : NULL,
        .get_value = agg_get_value,
    };
}

const wr_userfunc *wr_userfunc_find_aggregate(const wr_catalog *cat, const char *name)
{
    const wr_userfunc *fn = cat ? wr_catalog_find_function(cat, name) : NULL;
    return fn && fn->udf->kind == WEIR_UDF_AGGREGATE ? fn : NULL;
}

int wr_userfunc_bind_aggregate(const wr_userfunc *fn, wr_expr **args, int nargs, bool distinct,
                               int pos, wr_agg_call *call, wr_error *err)
{
    if (nargs != fn->nargs) {
        arity_error(fn, args, nargs, pos, err);
        return err->code;
    }
    if (distinct && nargs != 1) {
        for (int i = 0; i < nargs; i++) wr_expr_free(args[i]);
        return wr_error_set_at(err, WR_ERR_VALIDATION, pos,
                               "DISTINCT needs an aggregate function of one argument; %s takes %d",
                               fn->name, nargs);
    }
    if (cast_args(fn, args, nargs, pos, err)) return err->code;
    memset(call, 0, sizeof(*call));
    call->kind = WR_AGG_USER;
    call->user = &fn->agg;
    call->nargs = nargs;
    call->distinct = distinct;
    call->filter = -1;
    call->type = fn->result;
    return 0;
}
