/*
 * test_udf.c — user-defined functions in C through the public API:
 * registering descriptors (weir_session_create_function and CREATE FUNCTION
 * on symbols of this program), calls from SQL with implicit casts, every
 * value kind in and out, NULLs, errors from eval and from bad descriptors,
 * DROP and SHOW, and calls on several threads at once; aggregate functions
 * with GROUP BY and without, over no rows, with NULLs, FILTER and DISTINCT,
 * in one phase and in two (merging states), and their errors.
 *
 * The test binary is linked with -rdynamic, so CREATE FUNCTION without
 * USING JAR finds the descriptors below by their symbol names.
 */
#include <criterion/criterion.h>

#include <weir.h>

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* ---- functions ------------------------------------------------------------------ */

/* count_char(s, c): how often the first byte of c occurs in s (nexmark q14's countChar). */
static int count_char_eval(void *user, const weir_value *args, int nargs, weir_value *result,
                           char *errbuf, size_t errlen)
{
    if (args[0].is_null || args[1].is_null || args[1].len == 0) {
        result->is_null = true;
        return 0;
    }
    int64_t n = 0;
    for (size_t i = 0; i < args[0].len; i++) n += args[0].s[i] == args[1].s[0];
    result->i = n;
    return 0;
}

const weir_udf test_count_char_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_SCALAR,
    .result_type = "BIGINT",
    .arg_types = "STRING, STRING",
    .deterministic = true,
    .eval = count_char_eval,
};

/* shout(s): s in upper case with a '!', built in a buffer from weir_value_alloc. */
static int shout_eval(void *user, const weir_value *args, int nargs, weir_value *result,
                      char *errbuf, size_t errlen)
{
    if (args[0].is_null) {
        result->is_null = true;
        return 0;
    }
    char *p = weir_value_alloc(result, args[0].len + 1);
    if (p == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < args[0].len; i++) p[i] = (char)toupper((unsigned char)args[0].s[i]);
    p[args[0].len] = '!';
    return 0;
}

static const weir_udf shout_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_SCALAR,
    .result_type = "STRING",
    .arg_types = "STRING",
    .eval = shout_eval,
};

/* tail2(s): the bytes after the first two, pointing into the argument (Weir copies them). */
static int tail2_eval(void *user, const weir_value *args, int nargs, weir_value *result,
                      char *errbuf, size_t errlen)
{
    if (args[0].len < 2) {
        result->s = "short"; /* a literal */
        result->len = 5;
        return 0;
    }
    result->s = args[0].s + 2;
    result->len = args[0].len - 2;
    return 0;
}

/* Declared NOT NULL: never called with a NULL; declared VARCHAR(3): the result is cut. */
static const weir_udf tail2_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_SCALAR,
    .result_type = "VARCHAR(3)",
    .arg_types = "STRING NOT NULL",
    .eval = tail2_eval,
};

/* plus_one(n BIGINT NOT NULL): n + 1, counting its calls; fails on negative n. */
static atomic_int plus_one_calls;

static int plus_one_eval(void *user, const weir_value *args, int nargs, weir_value *result,
                         char *errbuf, size_t errlen)
{
    atomic_fetch_add(&plus_one_calls, 1);
    if (args[0].is_null || args[0].i < 0) {
        snprintf(errbuf, errlen, "negative input %lld", (long long)args[0].i);
        return -1;
    }
    result->i = args[0].i + 1;
    return 0;
}

static const weir_udf plus_one_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_SCALAR,
    .result_type = "BIGINT NOT NULL",
    .arg_types = "BIGINT NOT NULL",
    .eval = plus_one_eval,
};

/* echo(x): its argument's value as given, for every kind; user says the result's kind. */
static int echo_eval(void *user, const weir_value *args, int nargs, weir_value *result,
                     char *errbuf, size_t errlen)
{
    if (args[0].kind != result->kind) {
        snprintf(errbuf, errlen, "kind %d in, %d out", args[0].kind, result->kind);
        return -1;
    }
    int64_t add = user ? *(const int64_t *)user : 0;
    *result = (weir_value){.kind = result->kind,
                           .is_null = args[0].is_null,
                           .i = args[0].i + add,
                           .d = args[0].d * 2,
                           .s = args[0].s,
                           .len = args[0].len};
    return 0;
}

/* The text of a value as a function saw it: "kind:field", to test what arguments look like. */
static int describe_eval(void *user, const weir_value *args, int nargs, weir_value *result,
                         char *errbuf, size_t errlen)
{
    char *p = weir_value_alloc(result, 64);
    const weir_value *v = &args[0];
    int n;
    if (v->is_null)
        n = snprintf(p, 64, "%d:null", v->kind);
    else if (v->kind == WEIR_VALUE_DOUBLE)
        n = snprintf(p, 64, "%d:%g", v->kind, v->d);
    else if (v->kind == WEIR_VALUE_STRING || v->kind == WEIR_VALUE_BYTES ||
             v->kind == WEIR_VALUE_DECIMAL)
        n = snprintf(p, 64, "%d:%.*s", v->kind, (int)v->len, v->s);
    else
        n = snprintf(p, 64, "%d:%lld", v->kind, (long long)v->i);
    result->len = (size_t)n;
    return 0;
}

/* wrong(): returns what its user pointer says: a value out of range, bad DECIMAL text. */
static int wrong_eval(void *user, const weir_value *args, int nargs, weir_value *result,
                      char *errbuf, size_t errlen)
{
    const char *what = user;
    if (strcmp(what, "null") == 0)
        result->is_null = true;
    else if (strcmp(what, "big") == 0)
        result->i = 1LL << 40;
    else
        result->s = what, result->len = strlen(what);
    return 0;
}

/* silent(n): fails without a message. */
static int silent_eval(void *user, const weir_value *args, int nargs, weir_value *result,
                       char *errbuf, size_t errlen)
{
    return 3;
}

/* ---- helpers ---------------------------------------------------------------------- */

static weir_session *session;

/* ---- aggregate functions ------------------------------------------------------- */

/* wavg(v, w): the average of v weighted by w; rows with a NULL v do not count, a NULL w never
 * arrives (declared NOT NULL), a negative w is an error. Mergeable. */
typedef struct wavg_state {
    double sum;
    int64_t weight;
    int64_t magic; /* set by init: proves that every state was initialised */
} wavg_state;

static atomic_int wavg_merges;

static void wavg_init(void *user, void *state)
{
    wavg_state *s = state;
    s->sum = 0;
    s->weight = 0;
    s->magic = 4242;
}

static int wavg_accumulate(void *user, void *state, const weir_value *args, int nargs, char *errbuf,
                           size_t errlen)
{
    wavg_state *s = state;
    cr_assert_eq(s->magic, 4242);
    cr_assert_eq(nargs, 2);
    cr_assert_eq(args[0].kind, WEIR_VALUE_DOUBLE);
    cr_assert(!args[1].is_null);
    if (args[0].is_null) return 0;
    if (args[1].i < 0) {
        snprintf(errbuf, errlen, "negative weight %lld", (long long)args[1].i);
        return 1;
    }
    s->sum += args[0].d * (double)args[1].i;
    s->weight += args[1].i;
    return 0;
}

static int wavg_merge(void *user, void *state, const void *other, char *errbuf, size_t errlen)
{
    wavg_state *s = state;
    const wavg_state *o = other;
    cr_assert_eq(s->magic, 4242);
    cr_assert_eq(o->magic, 4242);
    cr_assert_eq((uintptr_t)other % 16, 0);
    s->sum += o->sum;
    s->weight += o->weight;
    atomic_fetch_add(&wavg_merges, 1);
    return 0;
}

static int wavg_get_value(void *user, const void *state, weir_value *result, char *errbuf,
                          size_t errlen)
{
    const wavg_state *s = state;
    cr_assert_eq(s->magic, 4242);
    if (s->weight == 0)
        result->is_null = true;
    else
        result->d = s->sum / (double)s->weight;
    return 0;
}

static const weir_udf wavg_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_AGGREGATE,
    .result_type = "DOUBLE",
    .arg_types = "DOUBLE, BIGINT NOT NULL",
    .state_size = sizeof(wavg_state),
    .init = wavg_init,
    .accumulate = wavg_accumulate,
    .merge = wavg_merge,
    .get_value = wavg_get_value,
};

/* longest(s): the longest string (the first of equal length), up to 32 bytes; NULL over none.
 * The result points into the state, which Weir copies. Cannot merge: runs in one phase. */
typedef struct longest_state {
    char buf[32];
    uint32_t len;
    int32_t has;
} longest_state;

static void longest_init(void *user, void *state)
{
    memset(state, 0, sizeof(longest_state));
}

static int longest_accumulate(void *user, void *state, const weir_value *args, int nargs,
                              char *errbuf, size_t errlen)
{
    longest_state *s = state;
    if (args[0].is_null) return 0;
    if (args[0].len > sizeof(s->buf)) {
        snprintf(errbuf, errlen, "a string of %zu bytes is too long", args[0].len);
        return 1;
    }
    if (!s->has || args[0].len > s->len) {
        memcpy(s->buf, args[0].s, args[0].len);
        s->len = (uint32_t)args[0].len;
        s->has = 1;
    }
    return 0;
}

static int longest_get_value(void *user, const void *state, weir_value *result, char *errbuf,
                             size_t errlen)
{
    const longest_state *s = state;
    if (!s->has) {
        result->is_null = true;
        return 0;
    }
    if (s->len == 13) return -3; /* an error without a message */
    result->s = s->buf;
    result->len = s->len;
    return 0;
}

static const weir_udf longest_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_AGGREGATE,
    .result_type = "VARCHAR(5)",
    .arg_types = "STRING",
    .state_size = sizeof(longest_state),
    .init = longest_init,
    .accumulate = longest_accumulate,
    .get_value = longest_get_value,
};

/* total(x): a sum of BIGINTs with a count of calls, 0 over none (NOT NULL). Mergeable. */
static void total_init(void *user, void *state)
{
    memset(state, 0, 16);
}

static int total_accumulate(void *user, void *state, const weir_value *args, int nargs,
                            char *errbuf, size_t errlen)
{
    int64_t *s = state;
    if (nargs == 1 && !args[0].is_null) s[0] += args[0].i;
    s[1]++;
    return 0;
}

static int total_merge(void *user, void *state, const void *other, char *errbuf, size_t errlen)
{
    int64_t *s = state;
    const int64_t *o = other;
    s[0] += o[0];
    s[1] += o[1];
    return 0;
}

static int total_get_value(void *user, const void *state, weir_value *result, char *errbuf,
                           size_t errlen)
{
    result->i = ((const int64_t *)state)[0];
    return 0;
}

static const weir_udf total_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_AGGREGATE,
    .result_type = "BIGINT NOT NULL",
    .arg_types = "BIGINT",
    .state_size = 16,
    .init = total_init,
    .accumulate = total_accumulate,
    .merge = total_merge,
    .get_value = total_get_value,
};

/* calls(): rows, counted by the calls of accumulate (an aggregate of no arguments). */
static int calls_get_value(void *user, const void *state, weir_value *result, char *errbuf,
                           size_t errlen)
{
    result->i = ((const int64_t *)state)[1];
    return 0;
}

static const weir_udf calls_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_AGGREGATE,
    .result_type = "BIGINT NOT NULL",
    .state_size = 16,
    .init = total_init,
    .accumulate = total_accumulate,
    .merge = total_merge,
    .get_value = calls_get_value,
};

static void setup(void)
{
    session = weir_session_new();
    atomic_store(&plus_one_calls, 0);
    atomic_store(&wavg_merges, 0);
}

static void teardown(void)
{
    weir_session_free(session);
}

TestSuite(udf, .init = setup, .fini = teardown);

static void create(const char *name, const weir_udf *udf)
{
    cr_assert_eq(weir_session_create_function(session, name, udf), 0, "%s",
                 weir_session_error(session));
}

/* Runs sql and returns its rows (asserting success). */
static weir_result *query(const char *sql)
{
    weir_result *r = NULL;
    int rc = weir_exec(session, sql, NULL, &r);
    cr_assert_eq(rc, 0, "%s: %s", sql, weir_session_error(session));
    cr_assert(r);
    return r;
}

/* The one value a query returns, as text. */
static void expect_value(const char *sql, const char *want)
{
    weir_result *r = query(sql);
    cr_assert_eq(weir_result_rows(r), 1, "%s", sql);
    cr_expect_str_eq(weir_result_text(r, 0, 0), want, "%s", sql);
    weir_result_free(r);
}

/* sql fails with a message containing want. */
static void expect_error(const char *sql, const char *want)
{
    int rc = weir_exec(session, sql, NULL, NULL);
    cr_assert_neq(rc, 0, "%s succeeded", sql);
    cr_expect(strstr(weir_session_error(session), want), "%s: expected '%s' in: %s", sql, want,
              weir_session_error(session));
}

static void create_error(const char *name, const weir_udf *udf, const char *want)
{
    cr_assert_neq(weir_session_create_function(session, name, udf), 0);
    cr_expect(strstr(weir_session_error(session), want), "expected '%s' in: %s", want,
              weir_session_error(session));
}

/* ---- calls ---------------------------------------------------------------------------- */

Test(udf, count_char_from_the_c_api)
{
    create("count_char", &test_count_char_udf);
    expect_value("SELECT count_char('banana', 'a')", "3");
    /* Names match in any case, as built-ins do. */
    expect_value("SELECT COUNT_CHAR('banana', 'n')", "2");
    weir_result *r = query("SELECT s, count_char(s, 'c') AS n FROM (VALUES ('cocoa'), ('x'), "
                           "(CAST(NULL AS STRING))) AS t(s) ORDER BY n");
    cr_assert_eq(weir_result_rows(r), 3);
    cr_expect_str_eq(weir_result_column_type(r, 1), "BIGINT");
    cr_expect(weir_result_is_null(r, 0, 1)); /* NULLs first */
    cr_expect_eq(weir_result_int(r, 1, 1), 0);
    cr_expect_eq(weir_result_int(r, 2, 1), 2);
    weir_result_free(r);
    /* In WHERE, under an aggregate and in GROUP BY. */
    expect_value("SELECT SUM(count_char(s, 'a')) FROM (VALUES ('aa'), ('ba'), ('c')) AS t(s) "
                 "WHERE count_char(s, 'c') = 0",
                 "3");
    expect_value("SELECT COUNT(*) FROM (SELECT count_char(s, 'a') AS k FROM (VALUES ('a'), ('b'), "
                 "('ab')) AS t(s) GROUP BY count_char(s, 'a')) AS g",
                 "2");
}

Test(udf, strings_from_a_buffer_an_argument_or_a_literal)
{
    create("shout", &shout_udf);
    create("tail2", &tail2_udf);
    expect_value("SELECT shout('hey')", "HEY!");
    expect_value("SELECT shout('')", "!");
    expect_value("SELECT shout(CAST(NULL AS STRING)) IS NULL", "TRUE");
    /* Implicit cast from CHAR/VARCHAR. */
    expect_value("SELECT shout(CAST('ab' AS CHAR(2)))", "AB!");
    /* Pointing into the argument and into a literal; VARCHAR(3) cuts the result. */
    expect_value("SELECT tail2('xyab')", "ab");
    expect_value("SELECT tail2('xyabcdef')", "abc");
    expect_value("SELECT tail2('x')", "sho");
    weir_result *r = query("SELECT tail2(s) FROM (VALUES ('12345'), ('abcd')) AS t(s)");
    cr_expect_str_eq(weir_result_text(r, 0, 0), "345");
    cr_expect_str_eq(weir_result_text(r, 1, 0), "cd");
    weir_result_free(r);
    r = query("SELECT tail2('abcd')");
    cr_expect_str_eq(weir_result_column_type(r, 0), "VARCHAR(3)"); /* as declared */
    weir_result_free(r);
    /* Results survive the batch they were made in: many rows, joined in a sort. */
    r = query("SELECT shout(s) FROM (VALUES ('a'), ('bb'), ('ccc'), ('dddd')) AS t(s) ORDER BY 1 "
              "DESC");
    cr_assert_eq(weir_result_rows(r), 4);
    cr_expect_str_eq(weir_result_text(r, 0, 0), "DDDD!");
    cr_expect_str_eq(weir_result_text(r, 3, 0), "A!");
    weir_result_free(r);
}

Test(udf, not_null_arguments_skip_the_call)
{
    create("plus_one", &plus_one_udf);
    create("tail2", &tail2_udf);
    weir_result *r = query("SELECT plus_one(n) FROM (VALUES (1), (CAST(NULL AS BIGINT)), (41)) AS "
                           "t(n)");
    cr_assert_eq(weir_result_rows(r), 3);
    cr_expect_eq(weir_result_int(r, 0, 0), 2);
    cr_expect(weir_result_is_null(r, 1, 0));
    cr_expect_eq(weir_result_int(r, 2, 0), 42);
    /* The result may be NULL because the argument may: the type says so. */
    cr_expect_str_eq(weir_result_column_type(r, 0), "BIGINT");
    weir_result_free(r);
    cr_expect_eq(atomic_load(&plus_one_calls), 2);
    /* A NOT NULL argument gives a NOT NULL result, as declared. INT converts to BIGINT. */
    r = query("SELECT plus_one(CAST(5 AS INT))");
    cr_expect_str_eq(weir_result_column_type(r, 0), "BIGINT NOT NULL");
    cr_expect_eq(weir_result_int(r, 0, 0), 6);
    weir_result_free(r);
    expect_value("SELECT tail2(CAST(NULL AS STRING)) IS NULL", "TRUE");
    expect_value("SELECT plus_one(NULL) IS NULL", "TRUE");
}

Test(udf, every_kind_in_and_out)
{
    static int64_t one = 1;
    static const struct {
        const char *type, *arg, *want, *seen;
    } cases[] = {
        {"BOOLEAN", "TRUE", "TRUE", "1:1"},
        {"TINYINT", "CAST(-7 AS TINYINT)", "-7", "2:-7"},
        {"SMALLINT", "CAST(300 AS SMALLINT)", "300", "2:300"},
        {"INT", "70000", "70000", "2:70000"},
        {"BIGINT", "CAST(9000000000 AS BIGINT)", "9000000000", "2:9000000000"},
        {"FLOAT", "CAST(1.5 AS FLOAT)", "1.5", "3:1.5"},
        {"DOUBLE", "CAST(2.25 AS DOUBLE)", "2.25", "3:2.25"},
        {"DECIMAL(10, 2)", "CAST(-12.5 AS DECIMAL(10, 2))", "-12.50", "4:-12.50"},
        {"STRING", "'héllo'", "héllo", "5:héllo"},
        {"BYTES", "X'0aff'", "x'0aff'", NULL},
        {"DATE", "DATE '1970-01-03'", "1970-01-03", "7:2"},
        {"TIME", "TIME '00:00:01'", "00:00:01", "8:1000"},
        {"TIMESTAMP(3)", "TIMESTAMP '1970-01-01 00:00:01.5'", "1970-01-01 00:00:01.500",
         "9:1500000"},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        weir_udf echo = {
            .abi_version = WEIR_UDF_ABI_VERSION,
            .kind = WEIR_UDF_SCALAR,
            .result_type = cases[c].type,
            .arg_types = cases[c].type,
            .eval = echo_eval,
        };
        weir_udf describe = echo;
        describe.result_type = "STRING";
        describe.eval = describe_eval;
        weir_session_drop_function(session, "echo");
        weir_session_drop_function(session, "describe");
        create("echo", &echo);
        create("describe", &describe);
        char sql[256];
        /* echo doubles doubles: compare with the argument doubled. */
        bool is_double = strstr(cases[c].type, "FLOAT") || strstr(cases[c].type, "DOUBLE");
        snprintf(sql, sizeof(sql), "SELECT echo(%s) = %s%s", cases[c].arg, cases[c].arg,
                 is_double ? " * 2" : "");
        expect_value(sql, "TRUE");
        if (!is_double) {
            snprintf(sql, sizeof(sql), "SELECT echo(%s)", cases[c].arg);
            expect_value(sql, cases[c].want);
        }
        if (cases[c].seen) {
            snprintf(sql, sizeof(sql), "SELECT describe(%s)", cases[c].arg);
            expect_value(sql, cases[c].seen);
        }
        snprintf(sql, sizeof(sql), "SELECT echo(CAST(NULL AS %s)) IS NULL", cases[c].type);
        expect_value(sql, "TRUE");
        weir_session_drop_function(session, "echo");
        weir_session_drop_function(session, "describe");
    }
    /* user reaches eval: echo adds *user to integers. */
    weir_udf add = {.abi_version = WEIR_UDF_ABI_VERSION,
                    .kind = WEIR_UDF_SCALAR,
                    .result_type = "DATE",
                    .arg_types = "DATE",
                    .eval = echo_eval,
                    .user = &one};
    create("next_day", &add);
    expect_value("SELECT next_day(DATE '2024-02-28')", "2024-02-29");
}

Test(udf, results_are_checked)
{
    weir_udf wrong = {.abi_version = WEIR_UDF_ABI_VERSION,
                      .kind = WEIR_UDF_SCALAR,
                      .result_type = "INT NOT NULL",
                      .eval = wrong_eval,
                      .user = "null"};
    create("null_result", &wrong);
    expect_error("SELECT null_result()",
                 "function null_result: it returned NULL, but its result type is declared NOT "
                 "NULL (arguments: none)");
    wrong.user = "big";
    create("big_result", &wrong);
    expect_error("SELECT big_result()", "its result 1099511627776 is out of range for INT");
    wrong.result_type = "DECIMAL(5, 2)";
    wrong.user = "12.345";
    create("dec_result", &wrong);
    expect_value("SELECT dec_result()", "12.35"); /* rounded HALF_UP */
    wrong.user = "1234.5";
    create("dec_big", &wrong);
    expect_error("SELECT dec_big()", "its result '1234.5' does not fit DECIMAL(5, 2)");
    wrong.user = "twelve";
    create("dec_text", &wrong);
    expect_error("SELECT dec_text()", "its result 'twelve' is not a number of type DECIMAL(5, 2)");
}

Test(udf, eval_errors_fail_the_statement)
{
    create("plus_one", &plus_one_udf);
    expect_error("SELECT plus_one(n) FROM (VALUES (3), (-5)) AS t(n)",
                 "function plus_one: negative input -5 (arguments: -5)");
    /* The session goes on. */
    expect_value("SELECT plus_one(3)", "4");
    /* A failure without a message still says which function failed. */
    weir_udf silent = plus_one_udf;
    silent.result_type = "INT";
    silent.eval = silent_eval;
    create("silent", &silent);
    expect_error("SELECT silent(7)", "function silent: failed (returned 3) (arguments: 7)");
}

Test(udf, calls_are_type_checked)
{
    create("count_char", &test_count_char_udf);
    expect_error("SELECT count_char(1, 'a')",
                 "argument 1 of count_char has type INT, which does not convert to STRING "
                 "implicitly (CAST it)");
    expect_error("SELECT count_char('a')",
                 "function count_char takes 2 arguments, got 1; usage: count_char(STRING, STRING)");
    /* The error points at the argument. */
    expect_error("SELECT count_char('a',\n  DATE '2024-01-01')", "line 2, column 3");
    create("plus_one", &plus_one_udf);
    expect_error("SELECT plus_one(CAST(1.5 AS DOUBLE))", "does not convert to BIGINT");
    expect_error("SELECT plus_one('1')", "CAST it");
}

Test(udf, descriptors_are_checked)
{
    weir_udf d = test_count_char_udf;
    d.abi_version = 99;
    create_error("f", &d, "ABI version 99, but Weir reads version 1");
    d = wavg_udf;
    d.accumulate = NULL;
    create_error("f", &d, "function 'f': an aggregate function's descriptor needs accumulate");
    d = wavg_udf;
    d.get_value = NULL;
    create_error("f", &d, "needs get_value");
    d = wavg_udf;
    d.state_size = 0;
    create_error("f", &d, "state_size is 0 bytes; an aggregate's state takes 1 to 65536 bytes");
    d.state_size = 65537;
    create_error("f", &d, "state_size is 65537 bytes");
    d = wavg_udf;
    d.arg_types = "INT, INT, INT, INT, INT, INT, INT, INT, INT";
    create_error("f", &d, "an aggregate function takes at most 8 arguments, it declares 9");
    d = test_count_char_udf;
    d.kind = 7;
    create_error("f", &d, "kind is 7");
    d = test_count_char_udf;
    d.result_type = "BIGIN";
    create_error("f", &d, "function 'f': result_type \"BIGIN\": expected a data type");
    d.result_type = "INT, INT";
    create_error("f", &d, "expected one data type");
    d = test_count_char_udf;
    d.arg_types = "STRING,";
    create_error("f", &d, "arg_types \"STRING,\"");
    d.arg_types = "ARRAY<INT>";
    create_error("f", &d, "ARRAY is not supported");
    create_error("f", NULL, "the descriptor is NULL");
    /* Names: not a built-in's, not twice; drop frees the name. */
    create_error("upper", &test_count_char_udf, "'upper' is a built-in function");
    create_error("Sum", &test_count_char_udf, "'Sum' is a built-in function");
    create("f", &test_count_char_udf);
    create_error("F", &test_count_char_udf, "function 'f' already exists");
    cr_expect_eq(weir_session_drop_function(session, "F"), 0);
    cr_expect_neq(weir_session_drop_function(session, "f"), 0);
    cr_expect(strstr(weir_session_error(session), "function 'f' does not exist"));
    create("f", &test_count_char_udf);
    expect_value("SELECT f('aa', 'a')", "2");
}

/* ---- SQL statements ------------------------------------------------------------------- */

Test(udf, create_function_from_the_running_program)
{
    cr_assert_eq(weir_exec(session,
                           "CREATE FUNCTION cc AS 'test_count_char_udf' LANGUAGE C;"
                           "CREATE TEMPORARY FUNCTION IF NOT EXISTS cc AS 'nothing'",
                           NULL, NULL),
                 0, "%s", weir_session_error(session));
    expect_value("SELECT cc('abcabc', 'b')", "2");
    expect_error("CREATE FUNCTION cc AS 'test_count_char_udf'", "function 'cc' already exists");
    expect_error("CREATE FUNCTION c2 AS 'no_such_symbol'",
                 "symbol 'no_such_symbol' not found in the running program");
    expect_error("CREATE FUNCTION c2 AS 'x' LANGUAGE JAVA",
                 "Weir runs functions written in C (LANGUAGE C), not JAVA");
    expect_error("CREATE FUNCTION lower AS 'test_count_char_udf'",
                 "'lower' is a built-in function: a user function may not shadow it");
    expect_error("CREATE FUNCTION c2 AS 'x' USING JAR 'a.so', JAR 'b.so'",
                 "comes from one shared library");
    /* Positioned at the symbol. */
    expect_error("CREATE FUNCTION c2\n  AS 'no_such_symbol'", "line 2, column 6");
    expect_error("CREATE FUNCTION c2 AS 'x' USING JAR '/no/such/lib.so'",
                 "cannot load the library");

    weir_result *r = query("SHOW USER FUNCTIONS");
    cr_assert_eq(weir_result_rows(r), 1);
    cr_expect_str_eq(weir_result_column_name(r, 0), "function name");
    cr_expect_str_eq(weir_result_text(r, 0, 0), "cc");
    weir_result_free(r);

    expect_error("DROP TEMPORARY FUNCTION cc", "'cc' is a function: use DROP FUNCTION");
    expect_error("DROP FUNCTION upper", "'upper' is a built-in function, which cannot be dropped");
    cr_assert_eq(weir_exec(session, "DROP FUNCTION cc; DROP FUNCTION IF EXISTS cc", NULL, NULL), 0,
                 "%s", weir_session_error(session));
    expect_error("SELECT cc('a', 'a')", "unknown function");
    expect_error("DROP FUNCTION cc", "function 'cc' does not exist");

    cr_assert_eq(weir_exec(session, "CREATE TEMPORARY SYSTEM FUNCTION ts AS 'test_count_char_udf'",
                           NULL, NULL),
                 0, "%s", weir_session_error(session));
    expect_error("DROP FUNCTION ts",
                 "'ts' is a temporary system function: use DROP TEMPORARY SYSTEM FUNCTION");
    cr_expect_eq(weir_exec(session, "DROP TEMPORARY SYSTEM FUNCTION ts", NULL, NULL), 0);
}

Test(udf, show_functions)
{
    create("count_char", &test_count_char_udf);
    create("Shout", &shout_udf);
    weir_result *r = query("SHOW FUNCTIONS");
    bool upper = false, count = false, mine = false, shout = false;
    for (int64_t i = 0; i < weir_result_rows(r); i++) {
        const char *name = weir_result_text(r, i, 0);
        upper |= strcmp(name, "upper") == 0;
        count |= strcmp(name, "count") == 0;
        mine |= strcmp(name, "count_char") == 0;
        shout |= strcmp(name, "Shout") == 0;
        cr_expect(name[0] != '$', "%s", name);
    }
    cr_expect(upper && count && mine && shout);
    cr_expect_gt(weir_result_rows(r), 50);
    weir_result_free(r);
    r = query("SHOW FUNCTIONS LIKE 'count%'");
    cr_assert_eq(weir_result_rows(r), 2);
    cr_expect_str_eq(weir_result_text(r, 0, 0), "count");
    cr_expect_str_eq(weir_result_text(r, 1, 0), "count_char");
    weir_result_free(r);
    r = query("SHOW USER FUNCTIONS NOT LIKE 'c%'");
    cr_assert_eq(weir_result_rows(r), 1);
    cr_expect_str_eq(weir_result_text(r, 0, 0), "Shout");
    weir_result_free(r);
}

Test(udf, explain_names_the_function)
{
    create("count_char", &test_count_char_udf);
    weir_result *r = query("EXPLAIN SELECT count_char(s, 'x') FROM (VALUES ('a')) AS t(s)");
    cr_expect(strstr(weir_result_text(r, 0, 0), "count_char(s, 'x')"), "%s",
              weir_result_text(r, 0, 0));
    weir_result_free(r);
}

/* Many rows at parallelism 2: eval runs on two threads at once and every row is counted. */
Test(udf, parallel_evaluation)
{
    create("count_char", &test_count_char_udf);
    create("plus_one", &plus_one_udf);
    cr_assert_eq(weir_exec(session,
                           "SET 'parallelism.default' = '2';"
                           "CREATE TABLE src (id BIGINT, s STRING) WITH ('connector' = "
                           "'datagen', 'number-of-rows' = '20000', 'fields.id.kind' = "
                           "'sequence', 'fields.id.start' = '1', 'fields.id.end' = '20000', "
                           "'fields.s.length' = '10')",
                           NULL, NULL),
                 0, "%s", weir_session_error(session));
    weir_result *r = query("EXPLAIN SELECT SUM(plus_one(id)), COUNT(count_char(s, 'a')) FROM src");
    cr_expect(strstr(weir_result_text(r, 0, 0), "(calc, parallelism 2)"), "%s",
              weir_result_text(r, 0, 0));
    weir_result_free(r);
    r = query("SELECT SUM(plus_one(id)), COUNT(count_char(s, 'a')) FROM src");
    cr_expect_eq(weir_result_int(r, 0, 0), 20000LL * 20001 / 2 + 20000);
    cr_expect_eq(weir_result_int(r, 0, 1), 20000);
    weir_result_free(r);
    cr_expect_eq(atomic_load(&plus_one_calls), 20000);
}

/* ---- aggregate functions ---------------------------------------------------------------- */

static void create_aggregates(void)
{
    create("wavg", &wavg_udf);
    create("longest", &longest_udf);
    create("total", &total_udf);
    create("calls", &calls_udf);
    cr_assert_eq(weir_exec(session,
                           "CREATE TEMPORARY VIEW t AS SELECT * FROM (VALUES "
                           "(1, CAST(2.0 AS DOUBLE), 1, 'ab'), "
                           "(1, CAST(4.0 AS DOUBLE), 3, 'abcd'), "
                           "(2, CAST(NULL AS DOUBLE), 5, 'xyz'), "
                           "(2, CAST(10.0 AS DOUBLE), CAST(NULL AS INT), CAST(NULL AS STRING)), "
                           "(2, CAST(6.0 AS DOUBLE), 2, 'abcdefgh'), "
                           "(3, CAST(1.0 AS DOUBLE), 0, 'q')) AS v(k, x, w, s)",
                           NULL, NULL),
                 0, "%s", weir_session_error(session));
}

Test(udf, aggregates_by_group)
{
    create_aggregates();
    weir_result *r = query("SELECT k, wavg(x, w), longest(s), total(w), calls() FROM t GROUP BY k "
                           "ORDER BY k");
    cr_assert_eq(weir_result_rows(r), 3);
    /* Declared types: the result nullable unless declared NOT NULL. */
    cr_expect_str_eq(weir_result_column_type(r, 1), "DOUBLE");
    cr_expect_str_eq(weir_result_column_type(r, 2), "VARCHAR(5)");
    cr_expect_str_eq(weir_result_column_type(r, 3), "BIGINT NOT NULL");
    /* k = 1: (2 * 1 + 4 * 3) / 4 = 3.5. */
    cr_expect_eq(weir_result_double(r, 0, 1), 3.5);
    cr_expect_str_eq(weir_result_text(r, 0, 2), "abcd");
    cr_expect_eq(weir_result_int(r, 0, 3), 4);
    cr_expect_eq(weir_result_int(r, 0, 4), 2);
    /* k = 2: the NULL x is the function's to skip, the NULL w (NOT NULL) Weir's: 6.0; the
     * longest string is cut to the declared VARCHAR(5). */
    cr_expect_eq(weir_result_double(r, 1, 1), 6.0);
    cr_expect_str_eq(weir_result_text(r, 1, 2), "abcde");
    cr_expect_eq(weir_result_int(r, 1, 3), 7);
    cr_expect_eq(weir_result_int(r, 1, 4), 3);
    /* k = 3: weight 0, the function's NULL. */
    cr_expect(weir_result_is_null(r, 2, 1));
    cr_expect_str_eq(weir_result_text(r, 2, 2), "q");
    weir_result_free(r);
    /* In expressions, HAVING and ORDER BY, beside built-ins. */
    r = query("SELECT k, total(w) * 2 + COUNT(*) AS n FROM t GROUP BY k HAVING wavg(x, w) > 3 "
              "ORDER BY total(w) DESC");
    cr_assert_eq(weir_result_rows(r), 2);
    cr_expect_eq(weir_result_int(r, 0, 0), 2);
    cr_expect_eq(weir_result_int(r, 0, 1), 7 * 2 + 3);
    cr_expect_eq(weir_result_int(r, 1, 0), 1);
    weir_result_free(r);
}

Test(udf, aggregates_global_and_over_no_rows)
{
    create_aggregates();
    weir_result *r = query("SELECT wavg(x, w), longest(s), total(w), calls() FROM t");
    cr_assert_eq(weir_result_rows(r), 1);
    cr_expect_eq(weir_result_double(r, 0, 0), 26.0 / 6);
    cr_expect_str_eq(weir_result_text(r, 0, 1), "abcde");
    cr_expect_eq(weir_result_int(r, 0, 2), 11);
    cr_expect_eq(weir_result_int(r, 0, 3), 6);
    weir_result_free(r);
    /* No rows: one row of the empty accumulators' results (init ran: wavg checks). */
    r = query("SELECT wavg(x, w), longest(s), total(w), calls() FROM t WHERE k > 5");
    cr_assert_eq(weir_result_rows(r), 1);
    cr_expect(weir_result_is_null(r, 0, 0));
    cr_expect(weir_result_is_null(r, 0, 1));
    cr_expect_eq(weir_result_int(r, 0, 2), 0);
    cr_expect_eq(weir_result_int(r, 0, 3), 0);
    weir_result_free(r);
    /* With GROUP BY, no rows are no groups. */
    r = query("SELECT k, wavg(x, w) FROM t WHERE k > 5 GROUP BY k");
    cr_expect_eq(weir_result_rows(r), 0);
    weir_result_free(r);
    /* NULL literals and implicit casts (INT to DOUBLE, BIGINT); CHAR to STRING. */
    expect_value("SELECT total(NULL) FROM t", "0");
    expect_value("SELECT longest(CAST('ab' AS CHAR(2))) FROM t", "ab");
}

Test(udf, aggregates_with_filter_and_distinct)
{
    create_aggregates();
    weir_result *r = query("SELECT wavg(x, w) FILTER (WHERE k = 1), total(w) FILTER (WHERE s "
                           "LIKE 'a%'), calls() FILTER (WHERE w > 1), total(DISTINCT k), "
                           "longest(DISTINCT s) FROM t");
    cr_assert_eq(weir_result_rows(r), 1);
    cr_expect_eq(weir_result_double(r, 0, 0), 3.5);
    cr_expect_eq(weir_result_int(r, 0, 1), 1 + 3 + 2);
    cr_expect_eq(weir_result_int(r, 0, 2), 3);
    cr_expect_eq(weir_result_int(r, 0, 3), 1 + 2 + 3);
    cr_expect_str_eq(weir_result_text(r, 0, 4), "abcde");
    weir_result_free(r);
    expect_value("SELECT calls() FILTER (WHERE k = 2) FROM t WHERE k < 3 GROUP BY k HAVING k = 2",
                 "3");
}

Test(udf, aggregate_calls_are_checked)
{
    create_aggregates();
    expect_error("SELECT wavg(x) FROM t",
                 "function wavg takes 2 arguments, got 1; usage: wavg(DOUBLE, BIGINT NOT NULL)");
    expect_error("SELECT wavg(s, w) FROM t", "argument 1 of wavg has type STRING");
    expect_error("SELECT k FROM t WHERE total(w) > 1", "aggregate function total is not allowed");
    expect_error("SELECT total(SUM(w)) FROM t", "aggregate functions cannot be nested");
    expect_error("SELECT SUM(total(w)) FROM t", "aggregate functions cannot be nested");
    expect_error("SELECT wavg(DISTINCT x, w) FROM t",
                 "DISTINCT needs an aggregate function of one argument; wavg takes 2");
    expect_error("SELECT total(*) FROM t", "total(*) is not valid");
    /* A name is one function: not a scalar's too. */
    create_error("WAVG", &test_count_char_udf, "already exists");
}

Test(udf, aggregate_errors_fail_the_statement)
{
    create_aggregates();
    expect_error("SELECT k, wavg(x, w - 2) FROM t GROUP BY k",
                 "function wavg: negative weight -1 (arguments: 2.0, -1)");
    /* get_value without a message (longest fails on 13 bytes: 'abcdefgh' || 'vwxyz'). */
    expect_error("SELECT longest(s || 'vwxyz') FROM t", "function longest: failed (returned -3)");
    expect_error("SELECT longest(s || 'vwxyz') FROM t", "computing a group's result");
    expect_error("SELECT longest(CONCAT(s, s, s, s, s, s, s, s, s, s, s)) FROM t",
                 "a string of 44 bytes is too long (arguments: 'abcdabcd");
}

Test(udf, explain_names_the_aggregate)
{
    create_aggregates();
    weir_result *r = query("EXPLAIN SELECT k, wavg(x, w) FROM t GROUP BY k");
    cr_expect(strstr(weir_result_text(r, 0, 0), "wavg($a0_0, $a0_1)"), "%s",
              weir_result_text(r, 0, 0));
    weir_result_free(r);
}

/* At parallelism 2: functions with merge run in two phases, their states crossing the
 * exchange as bytes; one without (longest) keeps the aggregation in one phase. */
Test(udf, aggregates_in_parallel)
{
    create_aggregates();
    cr_assert_eq(weir_exec(session,
                           "SET 'parallelism.default' = '2';"
                           "CREATE TABLE src (id BIGINT, s STRING) WITH ('connector' = "
                           "'datagen', 'number-of-rows' = '20000', 'fields.id.kind' = "
                           "'sequence', 'fields.id.start' = '1', 'fields.id.end' = '20000', "
                           "'fields.s.length' = '10')",
                           NULL, NULL),
                 0, "%s", weir_session_error(session));
    const char *two = "SELECT id % 3 AS g, total(id), wavg(CAST(id AS DOUBLE), 1), calls() FROM "
                      "src GROUP BY id % 3 ORDER BY g";
    char sql[512];
    snprintf(sql, sizeof(sql), "EXPLAIN %s", two);
    weir_result *r = query(sql);
    cr_expect(strstr(weir_result_text(r, 0, 0), "LocalHashAggregate"), "%s",
              weir_result_text(r, 0, 0));
    weir_result_free(r);
    r = query(two);
    cr_assert_eq(weir_result_rows(r), 3);
    int64_t all = 0, n = 0;
    for (int g = 0; g < 3; g++) {
        all += weir_result_int(r, g, 1);
        n += weir_result_int(r, g, 3);
    }
    cr_expect_eq(all, 20000LL * 20001 / 2);
    cr_expect_eq(n, 20000);
    /* Group 1: 1, 4, ..., 19999: 6667 values averaging 10000. */
    cr_expect_eq(weir_result_double(r, 1, 2), 10000.0);
    weir_result_free(r);
    cr_expect_gt(atomic_load(&wavg_merges), 0);
    /* Global, over both subtasks' states; and with longest, in one phase. */
    expect_value("SELECT total(id) FROM src", "200010000");
    r = query("EXPLAIN SELECT total(id), longest(s) FROM src");
    cr_expect(!strstr(weir_result_text(r, 0, 0), "LocalHashAggregate"), "%s",
              weir_result_text(r, 0, 0));
    weir_result_free(r);
    r = query("SELECT total(id), CHAR_LENGTH(longest(s)) FROM src");
    cr_expect_eq(weir_result_int(r, 0, 0), 20000LL * 20001 / 2);
    cr_expect_eq(weir_result_int(r, 0, 1), 5);
    weir_result_free(r);
}
