/*
 * udf_count_char.c — a user-defined SQL function in C, registered from the
 * program that embeds Weir.
 *
 *   build/examples/udf_count_char ["SQL"]
 *
 * Registers count_char(s, c) (how often the first character of c occurs in
 * s, as nexmark's query 14 uses it) with weir_session_create_function, then
 * runs the SQL given (by default a query over a few bids) and prints the rows
 * as "a,b,..." lines. The same descriptor, exported from a shared library,
 * is what CREATE FUNCTION count_char AS 'count_char_udf' USING JAR 'lib.so'
 * loads (docs/udf.md).
 */
#include <weir.h>

#include <stdio.h>

/* Called on several threads at once: it keeps nothing between calls. */
static int count_char(void *user, const weir_value *args, int nargs, weir_value *result,
                      char *errbuf, size_t errlen)
{
    if (args[0].is_null || args[1].is_null) {
        result->is_null = true;
        return 0;
    }
    if (args[1].len == 0) {
        snprintf(errbuf, errlen, "the character to count is empty");
        return -1;
    }
    int64_t n = 0;
    for (size_t i = 0; i < args[0].len; i++) n += args[0].s[i] == args[1].s[0];
    result->i = n;
    return 0;
}

static const weir_udf count_char_udf = {
    .abi_version = WEIR_UDF_ABI_VERSION,
    .kind = WEIR_UDF_SCALAR,
    .result_type = "BIGINT",
    .arg_types = "STRING, STRING",
    .deterministic = true,
    .eval = count_char,
};

static const char default_sql[] =
    "SELECT auction, bidder, count_char(extra, 'c') AS c_counts "
    "FROM (VALUES (1, 10, 'abc'), (2, 20, 'cccx'), (3, 30, 'xyz'), (4, 40, CAST(NULL AS STRING))) "
    "AS bid(auction, bidder, extra) "
    "WHERE count_char(extra, 'x') < 2 "
    "ORDER BY auction";

int main(int argc, char **argv)
{
    const char *sql = argc > 1 ? argv[1] : default_sql;
    weir_session *session = weir_session_new();
    weir_result *result = NULL;
    int rc = weir_session_create_function(session, "count_char", &count_char_udf);
    if (rc == 0) rc = weir_exec(session, sql, "query", &result);
    if (rc != 0) {
        fprintf(stderr, "udf_count_char: %s\n", weir_session_error(session));
        weir_session_free(session);
        return 1;
    }
    for (int64_t r = 0; result && r < weir_result_rows(result); r++) {
        for (int c = 0; c < weir_result_columns(result); c++)
            printf("%s%s", c ? "," : "", weir_result_text(result, r, c));
        printf("\n");
    }
    weir_result_free(result);
    weir_session_free(session);
    return 0;
}
