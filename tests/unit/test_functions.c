/*
 * test_functions.c — the built-in function registry and its kernels: calls
 * bound with wr_func_bind over constants and columns, evaluated on small
 * batches with NULLs and selection vectors; bind-time errors with positions;
 * lazy evaluation of COALESCE/IF; regular expressions shared by threads;
 * Java-compatible ROUND and RAND.
 */
#include "../../src/base/alloc.h"
#include "../../src/expr/func_util.h"
#include "../../src/types/decimal.h"

#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static const wr_type STR_N = {WR_TYPE_VARCHAR, true, WR_VARCHAR_MAX, 0};
static const wr_type INT_N = {WR_TYPE_INT, true, 0, 0};

/* ---- helpers --------------------------------------------------------------------------- */

static wr_expr **list(int n, ...)
{
    wr_expr **args = wr_malloc((size_t)(n > 0 ? n : 1) * sizeof(wr_expr *));
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) args[i] = va_arg(ap, wr_expr *);
    va_end(ap);
    return args;
}

/* A string literal as the SQL binder types it: CHAR(n) NOT NULL. */
static wr_expr *s_lit(const char *s, int pos)
{
    size_t n = strlen(s);
    wr_type t = wr_type_make(n ? WR_TYPE_CHAR : WR_TYPE_VARCHAR, false);
    t.length = (int32_t)n;
    return wr_expr_string(t, s, n, pos);
}

static wr_expr *i_lit(int v)
{
    return wr_expr_int64(wr_type_make(WR_TYPE_INT, false), v, 0);
}

static wr_expr *d_lit(double v)
{
    return wr_expr_double(wr_type_make(WR_TYPE_DOUBLE, false), v, 0);
}

static wr_expr *null_lit(void)
{
    return wr_expr_null(wr_type_make(WR_TYPE_NULL, true), 0);
}

/* Binds name(args) and fails the test with the binder's message if it does not bind. */
static wr_expr *bind(const char *name, wr_expr **args, int n)
{
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_func_bind(name, args, n, 0, &err);
    cr_assert_not_null(e, "%s: %s", name, err.msg);
    return e;
}

/* Binding that must fail; returns the error (code, message, offset). */
static wr_error bind_fails(const char *name, wr_expr **args, int n)
{
    wr_error err;
    wr_error_init(&err);
    wr_expr *e = wr_func_bind(name, args, n, 7, &err);
    cr_assert_null(e, "%s should not bind", name);
    cr_assert_neq(err.code, 0);
    return err;
}

/* A batch of one STRING and one INT column; s[i] NULL is a NULL string, i[k] INT32_MIN NULL. */
static wr_batch *rows(const char *const *s, const int32_t *i, int n)
{
    wr_batch *b = wr_batch_new((wr_type[]){STR_N, INT_N}, 2, WR_BATCH_CAPACITY);
    for (int r = 0; r < n; r++) {
        if (s[r])
            ((wr_str *)b->cols[0].data)[r] = wr_batch_str(b, s[r], strlen(s[r]));
        else
            wr_batch_set_null(b, 0, r);
        ((int32_t *)b->cols[1].data)[r] = i ? i[r] : 0;
        if (i && i[r] == INT32_MIN) wr_batch_set_null(b, 1, r);
    }
    b->count = n;
    return b;
}

static wr_expr *col_s(void)
{
    return wr_expr_column(0, STR_N, 3);
}

static wr_expr *col_i(void)
{
    return wr_expr_column(1, INT_N, 5);
}

typedef struct run {
    wr_arena arena;
    wr_vector v;
    wr_error err;
    int rc;
} run;

static void eval_on(run *x, const wr_expr *e, const wr_batch *in)
{
    wr_arena_init(&x->arena, 4096);
    wr_error_init(&x->err);
    wr_eval ev = {&x->arena, in->count};
    x->rc = wr_expr_eval(&ev, e, in, in->sel, wr_batch_rows(in), &x->v, &x->err);
}

/* A constant call evaluated on one row. */
static void eval_const(run *x, const wr_expr *e)
{
    static wr_batch *one;
    if (!one) {
        one = wr_batch_new(NULL, 0, 1);
        one->count = 1;
    }
    eval_on(x, e, one);
}

static bool is_null(const run *x, int r)
{
    return wr_vector_is_null(&x->v, r);
}

/* The string at row r as a NUL-terminated copy in the run's arena. */
static const char *text(run *x, int r)
{
    wr_str s = ((const wr_str *)x->v.data)[r];
    return wr_arena_strndup(&x->arena, s.ptr, s.len);
}

static void done(run *x, wr_expr *e)
{
    wr_arena_fini(&x->arena);
    wr_expr_free(e);
}

/* name(args) over constants must give the string want (NULL: a NULL result). */
static void check_str(const char *name, wr_expr **args, int n, const char *want)
{
    wr_expr *e = bind(name, args, n);
    run x;
    eval_const(&x, e);
    cr_assert_eq(x.rc, 0, "%s: %s", name, x.err.msg);
    if (want == NULL)
        cr_assert(is_null(&x, 0), "%s should be NULL, is '%s'", name, text(&x, 0));
    else {
        cr_assert(!is_null(&x, 0), "%s is NULL, should be '%s'", name, want);
        cr_assert_str_eq(text(&x, 0), want, "%s", name);
    }
    done(&x, e);
}

static int64_t eval_int(const char *name, wr_expr **args, int n)
{
    wr_expr *e = bind(name, args, n);
    run x;
    eval_const(&x, e);
    cr_assert_eq(x.rc, 0, "%s: %s", name, x.err.msg);
    cr_assert(!is_null(&x, 0), "%s is NULL", name);
    int64_t v = 0;
    switch (e->type.id) {
    case WR_TYPE_BOOLEAN:
        v = ((uint8_t *)x.v.data)[0];
        break;
    case WR_TYPE_TINYINT:
        v = ((int8_t *)x.v.data)[0];
        break;
    case WR_TYPE_SMALLINT:
        v = ((int16_t *)x.v.data)[0];
        break;
    case WR_TYPE_INT:
        v = ((int32_t *)x.v.data)[0];
        break;
    default:
        v = ((int64_t *)x.v.data)[0];
        break;
    }
    done(&x, e);
    return v;
}

static double eval_double(const char *name, wr_expr **args, int n)
{
    wr_expr *e = bind(name, args, n);
    cr_assert_eq(e->type.id, WR_TYPE_DOUBLE, "%s returns DOUBLE", name);
    run x;
    eval_const(&x, e);
    cr_assert_eq(x.rc, 0, "%s: %s", name, x.err.msg);
    double v = ((double *)x.v.data)[0];
    done(&x, e);
    return v;
}

/* ---- the registry ------------------------------------------------------------------------ */

static void collect(const wr_func_def *def, void *arg)
{
    const wr_func_def ***out = arg;
    *(*out)++ = def;
}

Test(functions, tables_are_sorted_unique_and_complete)
{
    const wr_func_def *all[512], **p = all;
    wr_func_each(collect, &p);
    int n = (int)(p - all);
    cr_assert_gt(n, 80, "only %d functions", n);
    for (int i = 0; i < n; i++) {
        cr_assert_not_null(all[i]->bind, "%s", all[i]->name);
        cr_assert_not_null(all[i]->signature, "%s", all[i]->name);
        cr_assert(strncmp(all[i]->signature, all[i]->name, strlen(all[i]->name)) == 0,
                  "the signature of %s starts with its name: %s", all[i]->name, all[i]->signature);
        cr_assert(all[i]->max_args < 0 || all[i]->max_args >= all[i]->min_args, "%s", all[i]->name);
        for (int k = 0; k < i; k++)
            cr_assert(strcmp(all[k]->name, all[i]->name) != 0, "%s defined twice", all[i]->name);
        /* Within a family, name order (wr_func_each promises it). */
        if (i > 0 && all[i - 1] + 1 == all[i])
            cr_assert_lt(strcmp(all[i - 1]->name, all[i]->name), 0, "%s before %s",
                         all[i - 1]->name, all[i]->name);
    }
    cr_assert_not_null(wr_func_find("regexp_extract"));
    cr_assert_not_null(wr_func_find("Coalesce"));
    cr_assert_null(wr_func_find("NO_SUCH"));
}

Test(functions, arity_and_type_errors_name_the_function_and_signature)
{
    wr_error err = bind_fails("lpad", list(2, s_lit("a", 0), i_lit(2)), 2);
    cr_assert_str_eq(err.msg,
                     "function LPAD takes 3 arguments but got 2; usage: LPAD(STRING, INT, STRING)");
    cr_assert_eq(err.offset, 7);

    err = bind_fails("UPPER", list(1, i_lit(1)), 1);
    cr_assert_str_eq(
        err.msg, "cannot apply UPPER to arguments of type (INT NOT NULL); usage: UPPER(STRING)");

    /* The offending argument's position, when it has one. */
    err = bind_fails("REPEAT", list(2, s_lit("a", 0), s_lit("b", 42)), 2);
    cr_assert_eq(err.offset, 42);
    cr_assert(strstr(err.msg, "(CHAR(1) NOT NULL, CHAR(1) NOT NULL)"), "%s", err.msg);

    err = bind_fails("nope", list(1, i_lit(1)), 1);
    cr_assert_str_eq(err.msg, "unknown function 'nope'");
}

/* ---- strings over columns ------------------------------------------------------------------ */

Test(functions, string_kernels_respect_nulls_and_the_selection)
{
    const char *s[] = {"héllo", NULL, "abc", "", "ñandú"};
    wr_batch *in = rows(s, NULL, 5);
    uint32_t *sel = wr_batch_sel_buffer(in);
    sel[0] = 0, sel[1] = 1, sel[2] = 4;
    in->sel = sel;
    in->nsel = 3;

    wr_expr *e = bind("UPPER", list(1, col_s()), 1);
    cr_assert(e->type.nullable);
    cr_assert_eq(e->type.id, WR_TYPE_VARCHAR);
    run x;
    eval_on(&x, e, in);
    cr_assert_eq(x.rc, 0, "%s", x.err.msg);
    cr_assert_str_eq(text(&x, 0), "HÉLLO");
    cr_assert(is_null(&x, 1));
    cr_assert_str_eq(text(&x, 4), "ÑANDÚ");
    done(&x, e);

    e = bind("CHAR_LENGTH", list(1, col_s()), 1);
    eval_on(&x, e, in);
    cr_assert_eq(((int32_t *)x.v.data)[0], 5);
    cr_assert(is_null(&x, 1));
    cr_assert_eq(((int32_t *)x.v.data)[4], 5);
    done(&x, e);

    /* Rows outside the selection are not computed: '!' is not base64 but row 2 is skipped. */
    const char *b[] = {"YQ==", "YWI=", "!", "YWJj"};
    wr_batch *in2 = rows(b, NULL, 4);
    sel = wr_batch_sel_buffer(in2);
    sel[0] = 0, sel[1] = 1, sel[2] = 3;
    in2->sel = sel;
    in2->nsel = 3;
    e = bind("FROM_BASE64", list(1, col_s()), 1);
    eval_on(&x, e, in2);
    cr_assert_eq(x.rc, 0, "%s", x.err.msg);
    cr_assert_str_eq(text(&x, 0), "a");
    cr_assert_str_eq(text(&x, 1), "ab");
    cr_assert_str_eq(text(&x, 3), "abc");
    done(&x, e);
    in2->sel = NULL;
    e = bind("FROM_BASE64", list(1, col_s()), 1);
    eval_on(&x, e, in2);
    cr_assert_eq(x.rc, WR_ERR_RUNTIME);
    cr_assert_str_eq(x.err.msg, "FROM_BASE64: invalid base64 input '!': illegal base64 character");
    done(&x, e);
    wr_batch_free(in2);
    wr_batch_free(in);
}

Test(functions, substring_family_counts_characters)
{
    check_str("SUBSTRING", list(3, s_lit("ñandú", 0), i_lit(2), i_lit(3)), 3, "and");
    check_str("SUBSTR", list(2, s_lit("hello", 0), i_lit(-3)), 2, "llo");
    check_str("SUBSTR", list(2, s_lit("hello", 0), i_lit(0)), 2, "hello");
    check_str("SUBSTR", list(3, s_lit("hello", 0), i_lit(2), i_lit(-1)), 3, NULL);
    check_str("SUBSTR", list(3, s_lit("hello", 0), i_lit(-9), i_lit(3)), 3, "");
    check_str("LEFT", list(2, s_lit("ñandú", 0), i_lit(2)), 2, "ña");
    check_str("RIGHT", list(2, s_lit("ñandú", 0), i_lit(2)), 2, "dú");
    check_str("RIGHT", list(2, s_lit("ab", 0), i_lit(5)), 2, "ab");
    check_str("OVERLAY", list(3, s_lit("xxxxxtest", 0), s_lit("xxxx", 0), i_lit(6)), 3,
              "xxxxxxxxx");
    check_str("REVERSE", list(1, s_lit("añb", 0)), 1, "bña");
    check_str("LPAD", list(3, s_lit("ab", 0), i_lit(5), s_lit("ñx", 0)), 3, "ñxñab");
    check_str("RPAD", list(3, s_lit("abcdef", 0), i_lit(3), s_lit("x", 0)), 3, "abc");
    check_str("LPAD", list(3, s_lit("ab", 0), i_lit(-1), s_lit("x", 0)), 3, NULL);
    check_str("TRIM", list(3, s_lit("BOTH", 0), s_lit("ñ", 0), s_lit("ññañ", 0)), 3, "a");
    check_str("TRIM", list(3, s_lit("TRAILING", 0), s_lit("x", 0), s_lit("xax", 0)), 3, "xa");
    check_str("LTRIM", list(1, s_lit("  a ", 0)), 1, "a ");
    check_str("REPLACE", list(3, s_lit("abc", 0), s_lit("", 0), s_lit("-", 0)), 3, "-a-b-c-");
    check_str("REPLACE", list(3, s_lit("aXbXc", 0), s_lit("X", 0), s_lit("YY", 0)), 3, "aYYbYYc");
    check_str("CONCAT_WS", list(4, s_lit(",", 0), s_lit("a", 0), null_lit(), s_lit("b", 0)), 4,
              "a,b");
    check_str("CONCAT", list(3, s_lit("a", 0), null_lit(), s_lit("b", 0)), 3, NULL);
    check_str("SPLIT_INDEX", list(3, s_lit("a,,b", 0), s_lit(",", 0), i_lit(1)), 3, "");
    check_str("SPLIT_INDEX", list(3, s_lit("", 0), s_lit(",", 0), i_lit(0)), 3, NULL);
    check_str("INITCAP", list(1, s_lit("hello wORLD-x", 0)), 1, "Hello World-X");
    check_str("CHR", list(1, i_lit(256 + 65)), 1, "A");
    check_str("CHR", list(1, i_lit(0)), 1, ""); /* "\0": one NUL byte, compared as C string */
    check_str("TO_BASE64", list(1, s_lit("ñ", 0)), 1, "w7E=");
    cr_assert_eq(eval_int("POSITION", list(2, s_lit("dú", 0), s_lit("ñandú", 0)), 2), 4);
    cr_assert_eq(eval_int("LOCATE", list(3, s_lit("a", 0), s_lit("ñaña", 0), i_lit(3)), 3), 4);
    cr_assert_eq(
        eval_int("INSTR", list(4, s_lit("abab", 0), s_lit("ab", 0), i_lit(-1), i_lit(1)), 4), 3);
    cr_assert_eq(eval_int("ASCII", list(1, s_lit("é", 0)), 1),
                 -61); /* Flink: the signed first byte */
}

Test(functions, string_results_have_flink_types)
{
    wr_expr *e = bind("UPPER", list(1, s_lit("abc", 0)), 1);
    cr_assert_eq(e->type.id, WR_TYPE_VARCHAR);
    cr_assert_eq(e->type.length, WR_VARCHAR_MAX);
    cr_assert(!e->type.nullable);
    wr_expr_free(e);
    e = bind("LEFT", list(2, s_lit("abc", 0), i_lit(2)), 2);
    cr_assert_eq(e->type.length, 3);
    wr_expr_free(e);
    /* A constant length >= 0 cannot give NULL; a column length can. */
    e = bind("SUBSTRING", list(3, s_lit("abc", 0), i_lit(1), i_lit(2)), 3);
    cr_assert(!e->type.nullable);
    wr_expr_free(e);
    e = bind(
        "SUBSTRING",
        list(3, s_lit("abc", 0), i_lit(1), wr_expr_column(1, wr_type_make(WR_TYPE_INT, false), 0)),
        3);
    cr_assert(e->type.nullable);
    wr_expr_free(e);
    e = bind("CONCAT", list(2, s_lit("ab", 0), s_lit("cde", 0)), 2);
    cr_assert_eq(e->type.length, 5);
    wr_expr_free(e);
    /* A BIGINT where INT is expected is cast; an untyped NULL becomes a typed one. */
    e = bind("REPEAT",
             list(2, null_lit(), wr_expr_int64(wr_type_make(WR_TYPE_BIGINT, false), 2, 0)), 2);
    cr_assert_eq(e->args[1]->type.id, WR_TYPE_INT);
    cr_assert_eq(e->args[0]->type.id, WR_TYPE_VARCHAR);
    cr_assert(e->type.nullable);
    wr_expr_free(e);
}

Test(functions, long_results_are_runtime_errors)
{
    wr_expr *e = bind("REPEAT", list(2, s_lit("abcdefgh", 0), i_lit(200000000)), 2);
    run x;
    eval_const(&x, e);
    cr_assert_eq(x.rc, WR_ERR_RUNTIME);
    cr_assert(strstr(x.err.msg, "REPEAT: the result would be 1600000000 bytes long"), "%s",
              x.err.msg);
    done(&x, e);
    e = bind("INSTR", list(4, s_lit("a", 0), s_lit("a", 0), i_lit(1), i_lit(-2)), 4);
    eval_const(&x, e);
    cr_assert_eq(x.rc, WR_ERR_RUNTIME);
    cr_assert_str_eq(x.err.msg, "INSTR: the occurrence to find must be positive, got -2");
    done(&x, e);
}

/* ---- regular expressions -------------------------------------------------------------------- */

Test(functions, constant_patterns_compile_at_bind_time)
{
    wr_expr *e = bind("REGEXP_EXTRACT", list(3, col_s(), s_lit("(\\d+)-(\\d+)", 0), i_lit(2)), 3);
    cr_assert_not_null(e->aux, "the compiled pattern is kept with the call");
    wr_expr_free(e);

    wr_error err =
        bind_fails("REGEXP_REPLACE", list(3, col_s(), s_lit("a(b", 11), s_lit("", 0)), 3);
    cr_assert_eq(err.offset, 11);
    cr_assert(strstr(err.msg, "REGEXP_REPLACE: invalid regular expression 'a(b': missing closing "
                              "parenthesis"),
              "%s", err.msg);
    err = bind_fails("REGEXP_EXTRACT", list(3, col_s(), s_lit("(a)", 0), i_lit(2)), 3);
    cr_assert_str_eq(err.msg, "REGEXP_EXTRACT: group 2 does not exist in '(a)', which has 1 group");

    /* Java escapes: \uXXXX; '.' does not cross a line break. */
    check_str("REGEXP_REPLACE", list(3, s_lit("año", 0), s_lit("\\u00f1", 0), s_lit("n", 0)), 3,
              "ano");
    cr_assert_eq(eval_int("REGEXP", list(2, s_lit("a\nb", 0), s_lit("a.b", 0)), 2), 0);
    check_str("REGEXP_REPLACE", list(3, s_lit("aaa", 0), s_lit("a*?", 0), s_lit("-", 0)), 3,
              "-a-a-a-");
    check_str("REGEXP_EXTRACT", list(2, s_lit("x12y", 0), s_lit("\\d+", 0)), 2, "12");
}

Test(functions, patterns_from_a_column_compile_per_row_and_bad_ones_give_null)
{
    const char *p[] = {"b+", "(", NULL, "b+", "^a", "x"};
    wr_batch *in = rows(p, NULL, 6);
    wr_expr *e = bind("REGEXP_REPLACE", list(3, s_lit("abbc", 0), col_s(), s_lit("X", 0)), 3);
    cr_assert_null(e->aux);
    cr_assert(e->type.nullable);
    run x;
    eval_on(&x, e, in);
    cr_assert_eq(x.rc, 0, "%s", x.err.msg);
    cr_assert_str_eq(text(&x, 0), "aXc");
    cr_assert(is_null(&x, 1), "an invalid pattern gives NULL");
    cr_assert(is_null(&x, 2));
    cr_assert_str_eq(text(&x, 3), "aXc");
    cr_assert_str_eq(text(&x, 4), "Xbbc");
    cr_assert_str_eq(text(&x, 5), "abbc");
    done(&x, e);
    e = bind("REGEXP", list(2, s_lit("abbc", 0), col_s()), 2);
    eval_on(&x, e, in);
    cr_assert_eq(((uint8_t *)x.v.data)[0], 1);
    cr_assert_eq(((uint8_t *)x.v.data)[1], 0, "an invalid pattern does not match");
    cr_assert(is_null(&x, 2));
    cr_assert_eq(((uint8_t *)x.v.data)[5], 0);
    done(&x, e);
    wr_batch_free(in);
}

typedef struct shared {
    const wr_expr *e;
    const wr_batch *in;
    int bad;
} shared;

static void *match_many(void *arg)
{
    shared *sh = arg;
    for (int round = 0; round < 200; round++) {
        run x;
        eval_on(&x, sh->e, sh->in);
        for (int r = 0; r < sh->in->count; r++) {
            char want[32];
            snprintf(want, sizeof(want), "%d", r * 7);
            if (x.rc || is_null(&x, r) || strcmp(text(&x, r), want) != 0) sh->bad++;
        }
        wr_arena_fini(&x.arena);
    }
    return NULL;
}

Test(functions, a_constant_pattern_is_shared_by_threads)
{
    enum { N = 64, THREADS = 4 };
    wr_batch *in = wr_batch_new((wr_type[]){STR_N}, 1, WR_BATCH_CAPACITY);
    for (int r = 0; r < N; r++) {
        char buf[32];
        snprintf(buf, sizeof(buf), "id=%d;", r * 7);
        ((wr_str *)in->cols[0].data)[r] = wr_batch_str(in, buf, strlen(buf));
    }
    in->count = N;
    wr_expr *e = bind("REGEXP_EXTRACT", list(3, col_s(), s_lit("id=(\\d+);", 0), i_lit(1)), 3);
    shared sh[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        sh[i] = (shared){e, in, 0};
        pthread_create(&t[i], NULL, match_many, &sh[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(sh[i].bad, 0, "thread %d saw %d wrong values", i, sh[i].bad);
    }
    wr_expr_free(e);
    wr_batch_free(in);
}

/* ---- conditional functions ---------------------------------------------------------------- */

Test(functions, coalesce_types_and_laziness)
{
    /* NOT NULL as soon as one argument is; later arguments are dropped. */
    wr_expr *e = bind("COALESCE", list(3, col_i(), i_lit(1), col_i()), 3);
    cr_assert(!e->type.nullable);
    cr_assert_eq(e->nargs, 2);
    wr_expr_free(e);
    e = bind("COALESCE", list(2, col_i(), d_lit(1.5)), 2);
    cr_assert_eq(e->type.id, WR_TYPE_DOUBLE);
    wr_expr_free(e);
    wr_error err = bind_fails("COALESCE", list(2, col_i(), s_lit("x", 0)), 2);
    cr_assert(strstr(err.msg, "cannot apply COALESCE"), "%s", err.msg);

    /*
     * COALESCE(s, FROM_BASE64(s2)) with a fallback that fails on the rows
     * where s is present: it must run only where s is NULL.
     */
    const char *s[] = {"x", NULL, "y"};
    int32_t i[] = {0, 0, 0};
    wr_batch *in = rows(s, i, 3);
    e = bind("COALESCE",
             list(2, col_s(),
                  bind("FROM_BASE64",
                       list(1, bind("IF",
                                    list(3, bind("IS_ALPHA", list(1, col_s()), 1), s_lit("!", 0),
                                         s_lit("YQ==", 0)),
                                    3)),
                       1)),
             2);
    cr_assert_eq(e->kind, WR_EXPR_CASE);
    run x;
    eval_on(&x, e, in);
    cr_assert_eq(x.rc, 0, "%s", x.err.msg);
    cr_assert_str_eq(text(&x, 0), "x");
    cr_assert_str_eq(text(&x, 1), "a");
    cr_assert_str_eq(text(&x, 2), "y");
    done(&x, e);

    /* Fallbacks that are columns or constants: one kernel, no CASE. */
    e = bind("COALESCE", list(3, bind("UPPER", list(1, col_s()), 1), null_lit(), s_lit("-", 0)), 3);
    cr_assert_eq(e->kind, WR_EXPR_CALL);
    eval_on(&x, e, in);
    cr_assert_str_eq(text(&x, 0), "X");
    cr_assert_str_eq(text(&x, 1), "-");
    done(&x, e);
    wr_batch_free(in);
}

Test(functions, coalesce_copies_share_prepared_patterns)
{
    /* The tested argument appears twice in the CASE; its compiled pattern is borrowed once. */
    const char *s[] = {"ab", "b", "c"};
    wr_batch *in = rows(s, NULL, 3);
    wr_expr *e =
        bind("COALESCE",
             list(3, bind("REGEXP_EXTRACT", list(3, col_s(), s_lit("(a)", 0), i_lit(1)), 3),
                  bind("REGEXP_EXTRACT", list(3, col_s(), s_lit("(b)", 0), i_lit(1)), 3),
                  s_lit("none", 0)),
             3);
    cr_assert_eq(e->kind, WR_EXPR_CASE);
    run x;
    eval_on(&x, e, in);
    cr_assert_eq(x.rc, 0, "%s", x.err.msg);
    cr_assert_str_eq(text(&x, 0), "a");
    cr_assert_str_eq(text(&x, 1), "b");
    cr_assert_str_eq(text(&x, 2), "none");
    done(&x, e); /* ASan checks that each pattern is freed exactly once */
    wr_batch_free(in);
}

Test(functions, if_nullif_ifnull)
{
    const char *s[] = {"a", "b", "c"};
    int32_t i[] = {0, 2, INT32_MIN};
    wr_batch *in = rows(s, i, 3);
    /* IF(i = 0, 0, 10 / i): the division runs only on its own rows. */
    wr_expr **eq = list(2, col_i(), i_lit(0));
    wr_error err;
    wr_error_init(&err);
    wr_expr *cond = wr_expr_call(WR_FN_EQ, eq, 2, wr_type_make(WR_TYPE_BOOLEAN, true), 0, &err);
    wr_expr *div =
        wr_expr_call(WR_FN_DIV, list(2, wr_expr_cast(i_lit(10), INT_N, false, 0, &err), col_i()), 2,
                     INT_N, 0, &err);
    cr_assert_not_null(div, "%s", err.msg);
    wr_expr *e = bind("IF", list(3, cond, i_lit(0), div), 3);
    run x;
    eval_on(&x, e, in);
    cr_assert_eq(x.rc, 0, "%s", x.err.msg);
    cr_assert_eq(((int32_t *)x.v.data)[0], 0);
    cr_assert_eq(((int32_t *)x.v.data)[1], 5);
    cr_assert(is_null(&x, 2), "a NULL condition takes the ELSE branch, here 10 / NULL");
    done(&x, e);

    e = bind("NULLIF", list(2, col_i(), i_lit(2)), 2);
    cr_assert(e->type.nullable);
    eval_on(&x, e, in);
    cr_assert_eq(((int32_t *)x.v.data)[0], 0);
    cr_assert(is_null(&x, 1));
    cr_assert(is_null(&x, 2));
    done(&x, e);

    /* IFNULL is nullable exactly when the replacement is. */
    e = bind("IFNULL", list(2, col_i(), i_lit(7)), 2);
    cr_assert(!e->type.nullable);
    eval_on(&x, e, in);
    cr_assert_eq(((int32_t *)x.v.data)[2], 7);
    cr_assert_eq(((int32_t *)x.v.data)[1], 2);
    done(&x, e);
    e = bind("IFNULL", list(2, i_lit(1), col_i()), 2);
    cr_assert(e->type.nullable);
    wr_expr_free(e);
    wr_batch_free(in);
}

Test(functions, greatest_least_and_string_tests)
{
    cr_assert_eq(eval_int("GREATEST", list(3, i_lit(3), i_lit(9), i_lit(-1)), 3), 9);
    cr_assert_eq(
        eval_int("LEAST",
                 list(2, wr_expr_int64(wr_type_make(WR_TYPE_BIGINT, false), -5, 0), i_lit(2)), 2),
        -5);
    check_str("GREATEST", list(3, s_lit("b", 0), s_lit("abc", 0), s_lit("ab", 0)), 3, "b");
    check_str("LEAST", list(2, s_lit("b", 0), null_lit()), 2, NULL);
    cr_assert_eq(eval_int("IS_DIGIT", list(1, s_lit("0123", 0)), 1), 1);
    cr_assert_eq(eval_int("IS_DIGIT", list(1, null_lit()), 1), 0);
    cr_assert_eq(eval_int("IS_DECIMAL", list(1, s_lit("-.5e-3d", 0)), 1), 1);
    cr_assert_eq(eval_int("IS_DECIMAL", list(1, s_lit("1e", 0)), 1), 0);
    cr_assert_eq(eval_int("IS_ALPHA", list(1, s_lit("日本", 0)), 1), 1);
}

/* ---- math ----------------------------------------------------------------------------------- */

Test(functions, round_and_truncate_follow_java_decimals)
{
    struct {
        double x;
        int d;
        double round, trunc;
    } cases[] = {
        {2.675, 2, 2.68, 2.67},     {1.005, 2, 1.01, 1.0},        {0.285, 2, 0.29, 0.28},
        {-2.5, 0, -3.0, -2.0},      {2.5, 0, 3.0, 2.0},           {-0.4, 0, 0.0, 0.0},
        {999.96, 1, 1000.0, 999.9}, {1234.5, -2, 1200.0, 1200.0}, {1e-20, 5, 0.0, 0.0},
        {0.0005, 3, 0.001, 0.0},    {1e300, 2, 1e300, 1e300},     {123.456, -5, 0.0, 0.0},
    };
    for (size_t k = 0; k < WR_ARRAY_LEN(cases); k++) {
        double r = eval_double("ROUND", list(2, d_lit(cases[k].x), i_lit(cases[k].d)), 2);
        double t = eval_double("TRUNCATE", list(2, d_lit(cases[k].x), i_lit(cases[k].d)), 2);
        cr_assert_eq(r, cases[k].round, "ROUND(%.17g, %d) = %.17g", cases[k].x, cases[k].d, r);
        cr_assert_eq(t, cases[k].trunc, "TRUNCATE(%.17g, %d) = %.17g", cases[k].x, cases[k].d, t);
        cr_assert(!signbit(r) || r != 0, "no negative zero");
    }
    cr_assert_eq(eval_int("ROUND", list(2, i_lit(-25), i_lit(-1)), 2), -30);
    cr_assert_eq(eval_int("ROUND", list(2, i_lit(INT32_MAX), i_lit(-1)), 2),
                 (int32_t)2147483650LL); /* wraps as BigDecimal.intValue() */
    cr_assert_eq(eval_int("TRUNCATE", list(2, i_lit(-1299), i_lit(-2)), 2), -1200);
    cr_assert_eq(eval_int("ROUND", list(1, i_lit(7)), 1), 7);
}

Test(functions, math_types_and_java_special_cases)
{
    wr_expr *e =
        bind("ABS", list(1, wr_expr_int64(wr_type_make(WR_TYPE_SMALLINT, false), -3, 0)), 1);
    cr_assert_eq(e->type.id, WR_TYPE_SMALLINT);
    wr_expr_free(e);
    cr_assert_eq(eval_int("ABS",
                          list(1, wr_expr_int64(wr_type_make(WR_TYPE_BIGINT, false), INT64_MIN, 0)),
                          1),
                 INT64_MIN);
    /* CEIL of an integer is the integer itself. */
    wr_expr *c = col_i();
    e = bind("CEIL", list(1, c), 1);
    cr_assert_eq(e, c);
    wr_expr_free(e);
    cr_assert(isnan(eval_double("POWER", list(2, d_lit(1), d_lit(INFINITY)), 2)), "Java: NaN");
    cr_assert(isnan(eval_double("POWER", list(2, d_lit(1), d_lit(NAN)), 2)));
    cr_assert_eq(eval_double("POWER", list(2, i_lit(2), i_lit(-2)), 2), 0.25);
    cr_assert_eq(eval_double("LOG", list(2, i_lit(10), i_lit(1000)), 2), log(1000) / log(10));
    cr_assert_eq(eval_double("DEGREES", list(1, d_lit(M_PI)), 1), 180.0);
    cr_assert_eq(eval_double("SIGN", list(1, d_lit(-0.0)), 1), 0.0);
    cr_assert(signbit(eval_double("SIGN", list(1, d_lit(-0.0)), 1)));

    /* MOD: the divisor's type; a zero divisor names the values. */
    e = bind("MOD",
             list(2, wr_expr_int64(wr_type_make(WR_TYPE_BIGINT, false), -7, 0),
                  wr_expr_int64(wr_type_make(WR_TYPE_TINYINT, false), 3, 0)),
             2);
    cr_assert_eq(e->type.id, WR_TYPE_TINYINT);
    wr_expr_free(e);
    const char *s[] = {"", "", ""};
    int32_t i[] = {2, 0, INT32_MIN};
    wr_batch *in = rows(s, i, 3);
    e = bind("MOD", list(2, i_lit(9), col_i()), 2);
    run x;
    eval_on(&x, e, in);
    cr_assert_eq(x.rc, WR_ERR_RUNTIME);
    cr_assert_str_eq(x.err.msg, "MOD(9, 0): division by zero");
    done(&x, e);
    wr_batch_free(in);

    check_str("BIN", list(1, i_lit(10)), 1, "1010");
    check_str("HEX", list(1, i_lit(255)), 1, "FF");
    check_str("HEX", list(1, d_lit(255.9)), 1, "FF");
    check_str("HEX", list(1, s_lit("é", 0)), 1, "C3A9");
}

Test(functions, seeded_rand_is_javas_sequence)
{
    /* new java.util.Random(42): nextDouble() twice; new Random(7): nextInt(100) three times. */
    wr_expr *e = bind("RAND", list(1, i_lit(42)), 1);
    cr_assert(!e->type.nullable);
    wr_batch *in = rows((const char *[]){"", ""}, NULL, 2);
    run x;
    eval_on(&x, e, in);
    cr_assert_eq(((double *)x.v.data)[0], 0.7275636800328681);
    cr_assert_eq(((double *)x.v.data)[1], 0.6832234717598454);
    done(&x, e);

    e = bind("RAND_INTEGER", list(2, i_lit(7), i_lit(100)), 2);
    in->count = 1;
    int got[3];
    for (int k = 0; k < 3; k++) { /* one sequence across calls */
        eval_on(&x, e, in);
        got[k] = ((int32_t *)x.v.data)[0];
        wr_arena_fini(&x.arena);
    }
    wr_expr_free(e);
    cr_assert_eq(got[0], 36);
    cr_assert_eq(got[1], 64);
    cr_assert_eq(got[2], 85);
    wr_batch_free(in);

    wr_error err = bind_fails("RAND", list(1, col_i()), 1);
    cr_assert_str_eq(err.msg, "RAND: the seed must be a constant");
    cr_assert_eq(err.offset, 5);
}

/* ---- hashing and JSON ---------------------------------------------------------------------- */

Test(functions, hashes)
{
    check_str("SHA224", list(1, s_lit("", 0)), 1,
              "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f");
    check_str("SHA2", list(2, s_lit("", 0), i_lit(256)), 2,
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_str("MD5", list(1, s_lit("ñ", 0)), 1, "94e9342ecbb1458b6043ecd3bfcbc192");
    wr_error err = bind_fails("SHA2", list(2, s_lit("", 0), i_lit(100)), 2);
    cr_assert(strstr(err.msg, "SHA2: unsupported hash length 100"), "%s", err.msg);
    wr_expr *e = bind("SHA2", list(2, s_lit("x", 0), i_lit(384)), 2);
    cr_assert_eq(e->type.length, 96);
    wr_expr_free(e);
}

Test(functions, json_value_and_exists)
{
    const char *doc =
        "{\"a\": {\"b\": [1, 2.50, {\"c\": \"x\\u00e9\\ud83d\\ude00\"}]}, \"n\": null,"
        " \"k\\\"q\": -0, \"big\": 123456789012345678901234567890}";
    check_str("JSON_VALUE", list(2, s_lit(doc, 0), s_lit("$.a.b[0]", 0)), 2, "1");
    check_str("JSON_VALUE", list(2, s_lit(doc, 0), s_lit("$.a.b[1]", 0)), 2, "2.5");
    check_str("JSON_VALUE", list(2, s_lit(doc, 0), s_lit("$.a.b[2].c", 0)), 2, "xé😀");
    check_str("JSON_VALUE", list(2, s_lit(doc, 0), s_lit("$.a.b[-1]['c']", 0)), 2, "xé😀");
    check_str("JSON_VALUE", list(2, s_lit(doc, 0), s_lit("$['k\"q']", 0)), 2, "0");
    check_str("JSON_VALUE", list(2, s_lit(doc, 0), s_lit("$.big", 0)), 2,
              "123456789012345678901234567890");
    check_str("JSON_VALUE", list(2, s_lit(doc, 0), s_lit("$.n", 0)), 2, NULL);
    check_str("JSON_VALUE", list(2, s_lit(doc, 0), s_lit("$.a", 0)), 2, NULL);
    check_str("JSON_VALUE", list(2, s_lit(doc, 0), s_lit("$.a.b[3]", 0)), 2, NULL);
    check_str("JSON_VALUE", list(2, s_lit("{\"a\": 1", 0), s_lit("$.a", 0)), 2, NULL);
    check_str("JSON_VALUE", list(2, s_lit("{\"a\": 01}", 0), s_lit("$.a", 0)), 2, NULL);
    cr_assert_eq(eval_int("JSON_EXISTS", list(2, s_lit(doc, 0), s_lit("$.a.b[2]", 0)), 2), 1);
    cr_assert_eq(eval_int("JSON_EXISTS", list(2, s_lit(doc, 0), s_lit("$.n", 0)), 2), 0);
    cr_assert_eq(eval_int("JSON_EXISTS", list(2, s_lit("[", 0), s_lit("$", 0)), 2), 0);

    wr_error err = bind_fails("JSON_VALUE", list(2, col_s(), s_lit("$..a", 13)), 2);
    cr_assert_str_eq(err.msg, "JSON_VALUE: invalid JSON path '$..a': wildcards and recursive "
                              "descent are not supported");
    cr_assert_eq(err.offset, 13);

    /* A path per row: a malformed one gives NULL. */
    const char *paths[] = {"$.x", "$[", NULL, "lax $.y[1]"};
    wr_batch *in = rows(paths, NULL, 4);
    wr_expr *e =
        bind("JSON_VALUE", list(2, s_lit("{\"x\": \"1\", \"y\": [0, true]}", 0), col_s()), 2);
    run x;
    eval_on(&x, e, in);
    cr_assert_eq(x.rc, 0, "%s", x.err.msg);
    cr_assert_str_eq(text(&x, 0), "1");
    cr_assert(is_null(&x, 1));
    cr_assert(is_null(&x, 2));
    cr_assert_str_eq(text(&x, 3), "true");
    done(&x, e);
    wr_batch_free(in);

    check_str("JSON_QUOTE", list(1, s_lit("a\"\n😀", 0)), 1, "\"a\\\"\\n\\ud83d\\ude00\"");
    check_str("JSON_UNQUOTE", list(1, s_lit(" \"a\\tb\" ", 0)), 1, "a\tb");
}

Test(functions, typeof_is_a_constant)
{
    wr_expr *e = bind("TYPEOF", list(1, col_i()), 1);
    cr_assert_eq(e->kind, WR_EXPR_CONST);
    wr_expr_free(e);
    check_str("TYPEOF", list(1, col_s()), 1, "STRING");
    check_str("TYPEOF", list(2, s_lit("ab", 0), wr_expr_bool(true, 0)), 2, "CHAR(2) NOT NULL");
}

/* ---- UTF-8 helpers -------------------------------------------------------------------------- */

Test(functions, utf8_decode_encode_and_malformed_bytes)
{
    const char s[] = "a\xc3\xb1\xe2\x82\xac\xf0\x9f\x98\x80\xff\xc3";
    uint32_t len = (uint32_t)strlen(s), at = 0;
    uint32_t want[] = {'a', 0xF1, 0x20AC, 0x1F600, 0xFFFD, 0xFFFD};
    for (size_t k = 0; k < WR_ARRAY_LEN(want); k++) {
        cr_assert_lt(at, len);
        cr_assert_eq(wr_utf8_decode(s, len, &at), want[k], "character %zu", k);
    }
    cr_assert_eq(at, len);
    cr_assert_eq(wr_utf8_count(s, len), 6);
    char buf[4];
    for (size_t k = 0; k < 4; k++) {
        int n = wr_utf8_encode(want[k], buf);
        uint32_t i = 0;
        cr_assert_eq(wr_utf8_decode(buf, (uint32_t)n, &i), want[k]);
    }
    cr_assert_eq(wr_utf8_encode(0xD800, buf), 3, "a surrogate becomes U+FFFD");
}

/* ---- PARSE_URL --------------------------------------------------------------------------------
 */

Test(functions, parse_url_matches_java_net_url)
{
    /* Expected values printed by java.net.URL's getters (NULL where they return null). */
    static const struct {
        const char *url, *part, *want;
    } cases[] = {
        {"http://a.com?x=/y", "HOST", "a.com"},
        {"http://a.com?x=/y", "PATH", ""},
        {"http://a.com?x=/y", "QUERY", "x=/y"},
        {"http://a.com?x=/y", "FILE", "?x=/y"},
        {"mailto:a@b.com", "HOST", ""},
        {"mailto:a@b.com", "PATH", "a@b.com"},
        {"mailto:a@b.com", "AUTHORITY", NULL},
        {"mailto:a@b.com", "USERINFO", NULL},
        {"file:/tmp/x", "PATH", "/tmp/x"},
        {"http://[::1]:80/p", "HOST", "[::1]"},
        {"http://[::1]:80/p", "AUTHORITY", "[::1]:80"},
        {"http://h.com?", "QUERY", ""},
        {"http://h.com?", "FILE", "?"},
        {"  http://h.com/x  ", "PATH", "/x"},
        {"url:http://h.com/p#", "REF", ""},
        {"url:http://h.com/p#", "PATH", "/p"},
        {"http://h.com:8x/", "HOST", NULL}, /* a bad port: MalformedURLException */
        {"http://h.com/p", "Host", NULL},
        {"http://h.com/p", "REF", NULL},
    };
    for (size_t k = 0; k < WR_ARRAY_LEN(cases); k++)
        check_str("PARSE_URL", list(2, s_lit(cases[k].url, 0), s_lit(cases[k].part, 0)), 2,
                  cases[k].want);
    check_str("PARSE_URL",
              list(3, s_lit("http://h/?a=1&bb=2&b=3", 0), s_lit("QUERY", 0), s_lit("b", 0)), 3,
              "3");
    check_str("PARSE_URL", list(3, s_lit("http://h/?a=1", 0), s_lit("QUERY", 0), s_lit("x", 0)), 3,
              NULL);
}

Test(functions, is_decimal_matches_java_parsers)
{
    /* Double.parseDouble accepts these (and so Flink's IS_DECIMAL) ... */
    const char *yes[] = {" 7 ", "-.5e-3d", "0x1p3", "NaN", "-Infinity", "+1f", "0x1.8p1", "12"};
    /* ... and rejects these. */
    const char *no[] = {"1e", "", "1.2.3", "0x1", "abc", "1 2", "--1", "."};
    for (size_t k = 0; k < WR_ARRAY_LEN(yes); k++)
        cr_assert_eq(eval_int("IS_DECIMAL", list(1, s_lit(yes[k], 0)), 1), 1, "'%s'", yes[k]);
    for (size_t k = 0; k < WR_ARRAY_LEN(no); k++)
        cr_assert_eq(eval_int("IS_DECIMAL", list(1, s_lit(no[k], 0)), 1), 0, "'%s'", no[k]);
}

/* ---- DECIMAL arguments -------------------------------------------------------------------- */

static wr_expr *dec_lit(int p, int s, int64_t unscaled)
{
    return wr_expr_decimal(wr_type_decimal(p, s, false), unscaled, 0);
}

/*
 * name(args) over constants must be a DECIMAL(p, s) with the unscaled value want
 * (p < 0: a NULL result of that type).
 */
static void check_dec(const char *name, wr_expr **args, int n, int p, int s, int64_t want)
{
    wr_expr *e = bind(name, args, n);
    char t[64];
    cr_assert(e->type.id == WR_TYPE_DECIMAL && e->type.length == (p < 0 ? -p : p) &&
                  e->type.scale == s,
              "%s: %s, want DECIMAL(%d, %d)", name, wr_type_name(e->type, t, sizeof(t)),
              p < 0 ? -p : p, s);
    run x;
    eval_const(&x, e);
    cr_assert_eq(x.rc, 0, "%s: %s", name, x.err.msg);
    if (p < 0) {
        cr_assert(is_null(&x, 0), "%s should be NULL", name);
    } else {
        cr_assert(!is_null(&x, 0), "%s is NULL", name);
        wr_int128 got = ((const wr_int128 *)x.v.data)[0];
        cr_assert(got == want, "%s: %lld, want %lld", name, (long long)got, (long long)want);
    }
    done(&x, e);
}

Test(functions, math_of_decimals_keeps_decimal_with_flinks_types)
{
    /* ABS and SIGN keep the type; CEIL and FLOOR drop the scale (DECIMAL(p, 0)). */
    check_dec("ABS", list(1, dec_lit(5, 2, -125)), 1, 5, 2, 125);
    check_dec("SIGN", list(1, dec_lit(5, 2, -125)), 1, 5, 2, -100);
    check_dec("SIGN", list(1, dec_lit(5, 2, 0)), 1, 5, 2, 0);
    check_dec("CEIL", list(1, dec_lit(3, 1, -41)), 1, 3, 0, -4);
    check_dec("CEIL", list(1, dec_lit(3, 1, 41)), 1, 3, 0, 5);
    check_dec("FLOOR", list(1, dec_lit(3, 1, -41)), 1, 3, 0, -5);
    check_dec("FLOOR", list(1, dec_lit(3, 1, 40)), 1, 3, 0, 4);
    /* A DECIMAL without a fraction is its own CEIL. */
    wr_expr *whole = dec_lit(7, 0, 12);
    wr_expr *e = bind("FLOOR", list(1, whole), 1);
    cr_assert_eq(e, whole);
    wr_expr_free(e);

    /* ROUND and TRUNCATE: exact HALF_UP on the digits, DECIMAL(1 + p - s + r, r). */
    check_dec("ROUND", list(2, dec_lit(6, 5, 123456), i_lit(2)), 2, 4, 2, 123);
    check_dec("ROUND", list(2, dec_lit(4, 3, 2675), i_lit(2)), 2, 4, 2, 268);
    check_dec("ROUND", list(2, dec_lit(4, 3, -2675), i_lit(2)), 2, 4, 2, -268);
    check_dec("ROUND", list(1, dec_lit(2, 1, -25)), 1, 2, 0, -3);
    check_dec("ROUND", list(1, dec_lit(3, 1, 995)), 1, 3, 0, 100);
    check_dec("ROUND", list(2, dec_lit(4, 1, 1250), i_lit(-1)), 2, 4, 0, 130);
    check_dec("ROUND", list(2, dec_lit(4, 1, 1250), i_lit(5)), 2, 4, 1, 1250);
    check_dec("ROUND", list(2, dec_lit(5, 1, 1250), i_lit(-45)), 2, 5, 0, 0);
    check_dec("TRUNCATE", list(1, dec_lit(3, 1, -429)), 1, 3, 0, -42);
    check_dec("TRUNCATE", list(2, dec_lit(3, 3, 999), i_lit(1)), 2, 2, 1, 9);
    check_dec("TRUNCATE", list(2, dec_lit(6, 2, -98765), i_lit(-2)), 2, 5, 0, -900);
    /* A result with more digits than its type is NULL (Flink's decimal overflow). */
    wr_expr *nines = wr_expr_decimal(wr_type_decimal(38, 0, false), wr_decimal_pow10(38) - 1, 0);
    check_dec("ROUND", list(2, nines, i_lit(-1)), 2, -38, 0, 0);
    check_dec("ROUND", list(2, dec_lit(2, 0, 99), i_lit(-1)), 2, 3, 0, 100); /* room for it */
    /* The places must be known at bind time, since the type depends on them. */
    wr_error err = bind_fails("ROUND", list(2, dec_lit(4, 1, 1250), col_i()), 2);
    cr_assert_str_eq(err.msg, "ROUND of a DECIMAL needs a constant number of places");
    cr_assert_eq(err.offset, 5);

    /* MOD of exact numbers with a DECIMAL: DECIMAL(min(p1 - s1, p2 - s2) + s, s). */
    check_dec("MOD", list(2, dec_lit(2, 1, 75), i_lit(2)), 2, 2, 1, 15);
    check_dec("MOD", list(2, dec_lit(3, 2, -725), dec_lit(2, 1, 25)), 2, 3, 2, -225);
    check_dec("MOD", list(2, i_lit(-7), dec_lit(3, 1, 25)), 2, 3, 1, -20);
    cr_assert_eq(eval_double("MOD", list(2, dec_lit(2, 1, 75), d_lit(2)), 2), 1.5);
    const char *s[] = {"", ""};
    int32_t i[] = {0, 3};
    wr_batch *in = rows(s, i, 2);
    e = bind("MOD", list(2, dec_lit(3, 2, 750), col_i()), 2);
    run x;
    eval_on(&x, e, in);
    cr_assert_eq(x.rc, WR_ERR_RUNTIME);
    cr_assert_str_eq(x.err.msg, "MOD(7.50, 0): division by zero");
    done(&x, e);
    wr_batch_free(in);

    /* DOUBLE functions take a DECIMAL as its DOUBLE value. */
    cr_assert_eq(eval_double("SQRT", list(1, dec_lit(3, 2, 225)), 1), 1.5);
    cr_assert_eq(eval_double("POWER", list(2, dec_lit(2, 1, 15), i_lit(2)), 2), 2.25);
    cr_assert_eq(eval_double("LOG10", list(1, dec_lit(5, 1, 10000)), 1), 3.0);
    check_str("HEX", list(1, dec_lit(4, 1, 2559)), 1, "FF");

    /* GREATEST and LEAST meet in the common DECIMAL: INT and DECIMAL(2, 1) as DECIMAL(11, 1),
     * with a DECIMAL(3, 2) as DECIMAL(12, 2). */
    check_dec("GREATEST", list(2, dec_lit(2, 1, 15), i_lit(2)), 2, 11, 1, 20);
    check_dec("GREATEST", list(3, dec_lit(2, 1, 15), i_lit(2), dec_lit(3, 2, -100)), 3, 12, 2, 200);
    check_dec("LEAST", list(3, dec_lit(2, 1, 15), i_lit(2), dec_lit(3, 2, -100)), 3, 12, 2, -100);
}
