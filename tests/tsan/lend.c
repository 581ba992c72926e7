/*
 * lend.c — batches lent across exchanges under ThreadSanitizer: the nexmark source and the
 * Calcs after it produce lendable batches (types/batch.h), so a hash or rebalance exchange
 * hands each target its rows by reference and the producer takes another batch while the
 * consumers hold it. Runs aggregations over the bids, keyed by numbers and by strings, in
 * batch and streaming mode at parallelism 1 to 4; every parallelism must give parallelism
 * 1's figures in batch mode.
 * Prints "N passed, N failed"; exits non-zero on a failure.
 */
#include <weir.h>

#include <stdio.h>
#include <string.h>

static int passed, failed;

static void check(bool ok, const char *what, int p)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAIL: %s at parallelism %d\n", what, p);
    }
}

/* The query's one row of two integers, or false on an error. */
static bool pair(weir_session *s, const char *sql, int64_t out[2])
{
    weir_result *r = NULL;
    if (weir_exec(s, sql, "tsan", &r) != 0) {
        fprintf(stderr, "%s\n", weir_session_error(s));
        return false;
    }
    bool ok = r && weir_result_rows(r) == 1;
    if (ok) {
        out[0] = weir_result_int(r, 0, 0);
        out[1] = weir_result_int(r, 0, 1);
    }
    weir_result_free(r);
    return ok;
}

/* Aggregations over the bids, each into a stored table (the changelog of streaming mode
 * applied), and the totals of that table. */
static const struct {
    const char *table, *insert, *totals;
} queries[] = {
    /* keyed by a number: the bidders' spend */
    {"CREATE TABLE r (b BIGINT, s BIGINT)",
     "INSERT INTO r SELECT bid.bidder, SUM(bid.price) FROM nexmark WHERE event_type = 2 "
     "GROUP BY bid.bidder",
     "SELECT COUNT(*), SUM(s) FROM r"},
    /* keyed by a string of each row: the strings are read where the producer wrote them */
    {"CREATE TABLE r (u STRING, n BIGINT)",
     "INSERT INTO r SELECT bid.url, COUNT(*) FROM nexmark WHERE event_type = 2 GROUP BY bid.url",
     "SELECT COUNT(*), SUM(n * CHAR_LENGTH(u)) FROM r"},
    /* a computed string key and a string aggregated */
    {"CREATE TABLE r (c STRING, m INT)",
     "INSERT INTO r SELECT LOWER(bid.channel), MAX(CHAR_LENGTH(bid.extra)) FROM nexmark "
     "WHERE event_type = 2 GROUP BY LOWER(bid.channel)",
     "SELECT COUNT(*), SUM(m) FROM r"},
};
#define NQUERIES (int)(sizeof(queries) / sizeof(queries[0]))

/* Runs query q in mode at parallelism p into out; false on an error. */
static bool run(weir_session *s, int q, const char *mode, int p, int64_t out[2])
{
    char set[128];
    snprintf(set, sizeof set,
             "DROP TABLE IF EXISTS r; SET 'execution.runtime-mode' = '%s'; "
             "SET 'parallelism.default' = '%d'",
             mode, p);
    if (weir_exec(s, set, "tsan", NULL) || weir_exec(s, queries[q].table, "tsan", NULL) ||
        weir_exec(s, queries[q].insert, "tsan", NULL) ||
        weir_exec(s, "RESET 'execution.runtime-mode'; SET 'parallelism.default' = '1'", "tsan",
                  NULL)) {
        fprintf(stderr, "%s\n", weir_session_error(s));
        return false;
    }
    return pair(s, queries[q].totals, out);
}

int main(void)
{
    weir_session *s = weir_session_new();
    const char *setup =
        "CREATE TABLE nexmark (event_type INT, person ROW<id BIGINT, name VARCHAR, emailAddress "
        "VARCHAR, creditCard VARCHAR, city VARCHAR, state VARCHAR, dateTime TIMESTAMP(3), extra "
        "VARCHAR>, auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid "
        "BIGINT, reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, "
        "category BIGINT, extra VARCHAR>, bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, "
        "channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR>) WITH ("
        "'connector' = 'nexmark', 'events.num' = '60000', 'first-event.rate' = '10000000', "
        "'next-event.rate' = '10000000', 'base-time' = '1700000000000')";
    check(weir_exec(s, setup, "tsan", NULL) == 0, "setup", 0);
    static const char *const modes[] = {"batch", "streaming"};
    for (int q = 0; q < NQUERIES; q++) {
        int64_t want[2] = {-1, -1};
        check(run(s, q, "batch", 1, want) && want[0] > 0 && want[1] > 0, queries[q].insert, 1);
        for (int m = 0; m < 2; m++)
            for (int p = m ? 1 : 2; p <= 4; p++) {
                int64_t got[2] = {-1, -1};
                bool ok = run(s, q, modes[m], p, got);
                check(ok && got[0] == want[0] && got[1] == want[1], queries[q].insert, p);
            }
    }
    weir_session_free(s);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
