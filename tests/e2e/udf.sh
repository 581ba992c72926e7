# User-defined functions in C: a shared library built from tests/e2e/udf/*.c
# is loaded by CREATE FUNCTION ... USING JAR and called from SQL, scalar
# functions and aggregates (in one phase and, at parallelism 2, in two); a bad
# path, a missing symbol and a descriptor of another ABI version are refused
# with positioned errors.
. "$(dirname "$0")/lib.sh"
CC=${CC:-cc}
LIB="$TMP/libudfs.so"
$CC -std=c11 -shared -fPIC -Wall -Wextra -Wno-unused-parameter -Iinclude \
    -o "$LIB" tests/e2e/udf/*.c || fail "the library does not build"

cat >"$TMP/ok.sql" <<SQL
CREATE FUNCTION count_char AS 'count_char_udf' LANGUAGE C USING JAR '$LIB';
CREATE TEMPORARY FUNCTION reverse_str AS 'reverse_udf' USING JAR '$LIB';
CREATE TABLE bids (auction BIGINT, extra STRING);
INSERT INTO bids VALUES (1, 'abcabc'), (2, 'ccc'), (3, NULL), (4, 'xyz');
SELECT auction, count_char(extra, 'c') AS c_counts, reverse_str(extra) AS r
FROM bids WHERE auction < 4 ORDER BY auction;
SHOW USER FUNCTIONS;
DROP TEMPORARY FUNCTION reverse_str;
SHOW USER FUNCTIONS;
SQL
"$WEIR" sql -f "$TMP/ok.sql" >"$TMP/ok.out" 2>"$TMP/ok.err" || {
    cat "$TMP/ok.err"
    fail "the functions do not run"
}
for want in '|       1 |        2 | cbacba |' '|       2 |        3 | ccc    |' \
    '|       3 |   <NULL> | <NULL> |'; do
    grep -qF -- "$want" "$TMP/ok.out" || { cat "$TMP/ok.out"; fail "missing row: $want"; }
done
[ "$(grep -c '^| count_char  *|$' "$TMP/ok.out")" = 2 ] || { cat "$TMP/ok.out"; fail "SHOW USER FUNCTIONS"; }
[ "$(grep -c '^| reverse_str  *|$' "$TMP/ok.out")" = 1 ] || { cat "$TMP/ok.out"; fail "DROP FUNCTION"; }

# Parallel evaluation over many rows: every row is counted once.
cat >"$TMP/par.sql" <<SQL
SET 'parallelism.default' = '2';
CREATE FUNCTION count_char AS 'count_char_udf' USING JAR '$LIB';
CREATE TABLE src (id BIGINT, s STRING) WITH ('connector' = 'datagen',
  'number-of-rows' = '50000', 'fields.s.length' = '4');
SELECT COUNT(*) AS n, SUM(count_char('aXa', 'a')) AS twice FROM src WHERE count_char(s, '') IS NULL;
SQL
"$WEIR" sql -f "$TMP/par.sql" >"$TMP/par.out" 2>"$TMP/par.err" || {
    cat "$TMP/par.err"
    fail "the parallel query fails"
}
grep -qF '| 50000 | 100000 |' "$TMP/par.out" || { cat "$TMP/par.out"; fail "parallel counts"; }

# Aggregates: my_sum has no merge (one phase), my_avg merges (two phases at parallelism 2).
cat >"$TMP/agg.sql" <<SQL
SET 'parallelism.default' = '2';
CREATE FUNCTION my_sum AS 'my_sum_udf' USING JAR '$LIB';
CREATE FUNCTION my_avg AS 'my_avg_udf' USING JAR '$LIB';
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '10000');
SELECT id % 2 AS g, my_avg(id) AS a, COUNT(*) AS n FROM src GROUP BY id % 2 ORDER BY g;
SELECT my_sum(id) AS s, my_avg(id) FILTER (WHERE id <= 10) AS a FROM src;
SELECT my_avg(id) AS a FROM src WHERE id < 0;
SQL
"$WEIR" sql -f "$TMP/agg.sql" >"$TMP/agg.out" 2>"$TMP/agg.err" || {
    cat "$TMP/agg.err"
    fail "the aggregates do not run"
}
for want in '| 0 | 5001.0 | 5000 |' '| 1 | 5000.0 | 5000 |' '| 50005000 | 5.5 |' '| <NULL> |'; do
    grep -qF -- "$want" "$TMP/agg.out" || { cat "$TMP/agg.out"; fail "aggregates: missing row $want"; }
done

check() { # name, expected message, expected "line L, column C", sql
    printf '%s\n' "$4" >"$TMP/$1.sql"
    if "$WEIR" sql -f "$TMP/$1.sql" >"$TMP/$1.out" 2>"$TMP/$1.err"; then
        fail "$1: expected an error"
    fi
    grep -qF -- "$2" "$TMP/$1.err" || { cat "$TMP/$1.err"; fail "$1: message '$2' missing"; }
    [ -z "$3" ] || grep -qF -- "$3" "$TMP/$1.err" || {
        cat "$TMP/$1.err"
        fail "$1: position '$3' missing"
    }
}
check missing_file "cannot load the library: $TMP/nope.so: cannot open shared object file" \
    "line 2, column 13" \
    "CREATE FUNCTION f AS 'count_char_udf'
  USING JAR '$TMP/nope.so';"
printf 'not an ELF file\n' >"$TMP/bad.so"
check not_a_library "cannot load the library" "line 1, column 49" \
    "CREATE FUNCTION f AS 'count_char_udf' USING JAR '$TMP/bad.so';"
check missing_symbol "symbol 'no_such_udf' not found in '$LIB'" "line 1, column 22" \
    "CREATE FUNCTION f AS 'no_such_udf' USING JAR '$LIB';"
check abi "ABI version 2, but Weir reads version 1" "line 1, column 22" \
    "CREATE FUNCTION f AS 'future_udf' USING JAR '$LIB';"
check aggregate_error "function my_avg: negative value -3 (arguments: -3)" "" \
    "CREATE FUNCTION my_avg AS 'my_avg_udf' USING JAR '$LIB';
SELECT my_avg(x) FROM (VALUES (1), (-3)) AS t(x);"
check aggregate_in_where "aggregate function my_sum is not allowed in WHERE" "line 2, column 42" \
    "CREATE FUNCTION my_sum AS 'my_sum_udf' USING JAR '$LIB';
SELECT x FROM (VALUES (1)) AS t(x) WHERE my_sum(x) > 0;"
check java "Weir runs functions written in C (LANGUAGE C), not JAVA" "line 1, column 47" \
    "CREATE FUNCTION f AS 'com.example.F' LANGUAGE JAVA USING JAR '/tmp/f.jar';"
check builtin "'upper' is a built-in function" "line 1, column 17" \
    "CREATE FUNCTION upper AS 'reverse_udf' USING JAR '$LIB';"
check runtime "function checked_div: division of 7 by zero (arguments: 7, 0)" "" \
    "CREATE FUNCTION checked_div AS 'checked_div_udf' USING JAR '$LIB';
SELECT checked_div(a, b) FROM (VALUES (8, 2), (7, 0)) AS t(a, b);"
check arg_type "argument 2 of checked_div has type CHAR(1), which does not convert to BIGINT" "line 2, column 23" \
    "CREATE FUNCTION checked_div AS 'checked_div_udf' USING JAR '$LIB';
SELECT checked_div(1, 'x');"
# The example registers the same function from C (weir_session_create_function).
EX=${EXAMPLES:-$(dirname "$WEIR")/examples}
"$EX/udf_count_char" >"$TMP/ex.out" || fail "udf_count_char failed"
printf '1,10,1\n2,20,3\n3,30,0\n' | diff -u - "$TMP/ex.out" || fail "udf_count_char output differs"
echo "ok: user-defined functions in C"
