/*
 * strings.c — user-defined functions for tests/e2e/udf.sh, built into a
 * shared library that CREATE FUNCTION ... USING JAR loads. It needs weir.h
 * only and links against nothing of Weir's.
 */
#include <weir.h>

#include <stdio.h>

/* count_char(s, c): how often the first byte of c occurs in s (nexmark q14's countChar). */
static int count_char(void *user, const weir_value *args, int nargs, weir_value *result,
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

const weir_udf count_char_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_SCALAR,
    .result_type = "BIGINT",
    .arg_types = "STRING, STRING",
    .deterministic = true,
    .eval = count_char,
};

/* reverse(s): the bytes of s backwards, written into a buffer Weir owns. */
static int reverse(void *user, const weir_value *args, int nargs, weir_value *result, char *errbuf,
                   size_t errlen)
{
    char *p = weir_value_alloc(result, args[0].len);
    if (p == NULL) {
        snprintf(errbuf, errlen, "a string of %zu bytes is too long", args[0].len);
        return -1;
    }
    for (size_t i = 0; i < args[0].len; i++) p[i] = args[0].s[args[0].len - 1 - i];
    return 0;
}

/* NOT NULL argument: Weir does not call reverse for a NULL. */
const weir_udf reverse_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_SCALAR,
    .result_type = "STRING",
    .arg_types = "STRING NOT NULL",
    .deterministic = true,
    .eval = reverse,
};

/* checked_div(a, b): a / b, failing with a message when b is 0. */
static int checked_div(void *user, const weir_value *args, int nargs, weir_value *result,
                       char *errbuf, size_t errlen)
{
    if (args[1].i == 0) {
        snprintf(errbuf, errlen, "division of %lld by zero", (long long)args[0].i);
        return -1;
    }
    result->i = args[0].i / args[1].i;
    return 0;
}

const weir_udf checked_div_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_SCALAR,
    .result_type = "BIGINT",
    .arg_types = "BIGINT NOT NULL, BIGINT NOT NULL",
    .eval = checked_div,
};

/* A descriptor built against another version of weir.h. */
const weir_udf future_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION + 1,
    .kind = WEIR_UDF_SCALAR,
    .result_type = "BIGINT",
    .eval = count_char,
};

/* my_sum(x): an aggregate without merge, so its aggregation runs in one phase. */
static void sum_init(void *user, void *state)
{
    *(int64_t *)state = 0;
}

static int sum_accumulate(void *user, void *state, const weir_value *args, int nargs, char *errbuf,
                          size_t errlen)
{
    if (!args[0].is_null) *(int64_t *)state += args[0].i;
    return 0;
}

static int sum_get_value(void *user, const void *state, weir_value *result, char *errbuf,
                         size_t errlen)
{
    result->i = *(const int64_t *)state;
    return 0;
}

const weir_udf my_sum_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_AGGREGATE,
    .result_type = "BIGINT",
    .arg_types = "BIGINT",
    .state_size = sizeof(int64_t),
    .init = sum_init,
    .accumulate = sum_accumulate,
    .get_value = sum_get_value,
};

/* my_avg(x): the average of non-negative BIGINTs; merges, so it runs in two phases at
 * parallelism 2 (its state crosses the exchange as bytes). A negative value is an error. */
typedef struct avg_state {
    int64_t sum, n;
} avg_state;

static void avg_init(void *user, void *state)
{
    avg_state *s = state;
    s->sum = s->n = 0;
}

static int avg_accumulate(void *user, void *state, const weir_value *args, int nargs, char *errbuf,
                          size_t errlen)
{
    avg_state *s = state;
    if (args[0].is_null) return 0;
    if (args[0].i < 0) {
        snprintf(errbuf, errlen, "negative value %lld", (long long)args[0].i);
        return 1;
    }
    s->sum += args[0].i;
    s->n++;
    return 0;
}

static int avg_merge(void *user, void *state, const void *other, char *errbuf, size_t errlen)
{
    avg_state *s = state;
    const avg_state *o = other;
    s->sum += o->sum;
    s->n += o->n;
    return 0;
}

static int avg_get_value(void *user, const void *state, weir_value *result, char *errbuf,
                         size_t errlen)
{
    const avg_state *s = state;
    if (s->n == 0)
        result->is_null = true;
    else
        result->d = (double)s->sum / (double)s->n;
    return 0;
}

const weir_udf my_avg_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_AGGREGATE,
    .result_type = "DOUBLE",
    .arg_types = "BIGINT",
    .state_size = sizeof(avg_state),
    .init = avg_init,
    .accumulate = avg_accumulate,
    .merge = avg_merge,
    .get_value = avg_get_value,
};
