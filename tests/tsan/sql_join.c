/*
 * sql_join.c — parallel hash joins under ThreadSanitizer: the instances of a join build one
 * shared table (appending under a lock, the last laying it out) and probe it together, and
 * the exchanges recycle their batches. Runs joins at parallelism 1 to 4 over sources of
 * other parallelism and checks their sums, which are known in closed form.
 * Prints "N passed, N failed"; exits non-zero on a failure.
 */
#include <weir.h>

#include <stdio.h>
#include <string.h>

static int passed, failed;

static void check(bool ok, const char *what)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAIL: %s\n", what);
    }
}

/* The one integer the query returns, or -1 on an error. */
static int64_t scalar(weir_session *s, const char *sql)
{
    weir_result *r = NULL;
    if (weir_exec(s, sql, "tsan", &r) != 0) {
        fprintf(stderr, "%s\n", weir_session_error(s));
        return -1;
    }
    int64_t v = r && weir_result_rows(r) == 1 ? weir_result_int(r, 0, 0) : -1;
    weir_result_free(r);
    return v;
}

int main(void)
{
    weir_session *s = weir_session_new();
    const char *setup =
        "CREATE TABLE seq (id BIGINT) WITH ('connector' = 'datagen', 'fields.id.kind' = "
        "'sequence', 'fields.id.start' = '0', 'fields.id.end' = '59999', 'rows-per-second' = "
        "'1000000000');"
        "CREATE TABLE f (id BIGINT, k BIGINT);"
        "CREATE TABLE d (k BIGINT, w BIGINT);"
        "INSERT INTO f SELECT id, MOD(id, 7000) FROM seq;"
        "INSERT INTO d SELECT id, id * 2 FROM seq WHERE id < 5000;";
    check(weir_exec(s, setup, "tsan", NULL) == 0, "setup");
    for (int p = 1; p <= 4; p++) {
        char set[64];
        snprintf(set, sizeof set, "SET 'parallelism.default' = '%d'", p);
        check(weir_exec(s, set, "tsan", NULL) == 0, "set parallelism");
        /* Keys 0..4999 of f (each 60000/7000 rows rounded) find one row of d. */
        int64_t inner = scalar(s, "SELECT COUNT(*) FROM f JOIN d ON f.k = d.k");
        int64_t want = 0;
        for (int64_t k = 0; k < 5000; k++) want += (60000 - k + 6999) / 7000;
        check(inner == want, "inner join count");
        int64_t left = scalar(s, "SELECT COUNT(*) FROM f LEFT JOIN d ON f.k = d.k");
        check(left == 60000, "left join keeps every probe row");
        int64_t semi = scalar(s, "SELECT COUNT(*) FROM f WHERE k IN (SELECT k FROM d)");
        check(semi == want, "semi join");
        int64_t anti = scalar(s, "SELECT COUNT(*) FROM f WHERE k NOT IN (SELECT k FROM d)");
        check(anti == 60000 - want, "anti join");
        int64_t sum = scalar(s, "SELECT SUM(w) FROM d JOIN (VALUES (1), (2), (3)) AS v(k) "
                                "ON d.k = v.k");
        check(sum == 12, "join with a build side of parallelism 1");
        int64_t full = scalar(s, "SELECT COUNT(*) FROM f FULL JOIN d ON f.k = d.k + 6000");
        /* Every f row once; the d rows with k 1000..4999 match nothing. */
        check(full == 60000 + 4000, "full join");
    }
    weir_session_free(s);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
