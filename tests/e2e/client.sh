# The SQL client: statements piped into `weir sql` run one after another and
# an error does not stop the ones after it; results print as Flink's tableau;
# -f stops at the first error; on a terminal (through script(1), when present)
# the shell prompts, continues lines and keeps history.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/in.sql" <<'SQL'
CREATE TABLE t (a INT, b STRING);
INSERT INTO t VALUES (1, 'one'), (20, 'a;b'), (3, CAST(NULL AS STRING));
SELECT * FROM t WHERE a < 10;
SELECT nope FROM t;
SELEC 1;
-- a comment; with a semicolon
SELECT a, b FROM t WHERE a > 10;
SELECT a FROM t WHERE a > 100;
SET 'sql-client.execution.result-mode' = 'changelog';
SELECT a FROM t WHERE a = 1;
QUIT;
SELECT 'not run';
SQL
rc=0
"$WEIR" sql <"$TMP/in.sql" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ $rc -eq 1 ] || { cat "$TMP/out" "$TMP/err"; fail "piped: exit status $rc, expected 1 (a statement failed)"; }

# The first SELECT as a boxed table: numbers right, text left, NULL as <NULL>.
cat >"$TMP/want" <<'OUT'
+---+--------+
| a |      b |
+---+--------+
| 1 | one    |
| 3 | <NULL> |
+---+--------+
OUT
grep -A5 -F -- '+---+--------+' "$TMP/out" | head -6 | diff "$TMP/want" - ||
    fail "piped: tableau output differs"
grep -qE '^2 rows in set \([0-9]+\.[0-9]{2} seconds\)$' "$TMP/out" || { cat "$TMP/out"; fail "piped: no '2 rows in set (N seconds)'"; }
grep -qE '^Empty set \([0-9]+\.[0-9]{2} seconds\)$' "$TMP/out" || { cat "$TMP/out"; fail "piped: no 'Empty set'"; }
grep -qx '\[INFO\] Execute statement succeeded.' "$TMP/out" || fail "piped: no [INFO] for CREATE TABLE"
grep -q '^\[INFO\] Complete execution of the SQL update statement' "$TMP/out" || fail "piped: no [INFO] for INSERT"

# Both errors, with their place in the input, and the statements after them ran.
grep -qF "[ERROR] stdin: line 4, column 8: unknown column 'nope'" "$TMP/err" || { cat "$TMP/err"; fail "piped: unknown column error"; }
grep -qF "[ERROR] stdin: line 5, column 1: expected a statement" "$TMP/err" || { cat "$TMP/err"; fail "piped: syntax error"; }
[ "$(grep -c '^ *\^$' "$TMP/err")" -eq 2 ] || { cat "$TMP/err"; fail "piped: expected two caret lines"; }
grep -qF '| 20 | a;b |' "$TMP/out" || { cat "$TMP/out"; fail "piped: the SELECT after the errors did not run"; }

# changelog mode shows the op column; QUIT ends the input.
grep -qF '| +I | 1 |' "$TMP/out" || { cat "$TMP/out"; fail "piped: changelog mode without op column"; }
grep -q 'not run' "$TMP/out" && fail "piped: a statement after QUIT ran"

# An unbounded query in changelog mode shows its changes as they come, until it is cancelled.
cat >"$TMP/live.sql" <<'SQL'
SET 'sql-client.execution.result-mode' = 'changelog';
CREATE TABLE gen (k INT) WITH ('connector' = 'datagen', 'rows-per-second' = '20',
  'fields.k.min' = '1', 'fields.k.max' = '3');
SELECT k, COUNT(*) AS n FROM gen GROUP BY k;
SQL
"$WEIR" sql -f "$TMP/live.sql" >"$TMP/live.out" 2>"$TMP/live.err" &
pid=$!
for _ in $(seq 50); do
    grep -qE '^\| [-+]U \| [123] \| [0-9]+ \|$' "$TMP/live.out" && break
    sleep 0.1
done
kill -INT $pid
wait $pid && fail "live: the cancelled query reported success"
grep -qF '| op | k | n |' "$TMP/live.out" || { cat "$TMP/live.out"; fail "live: no header"; }
grep -qE '^\| \+U \| [123] \| [0-9]+ \|$' "$TMP/live.out" ||
    { cat "$TMP/live.out" "$TMP/live.err"; fail "live: no update shown while the query ran"; }
grep -q 'job cancelled (SIGINT)' "$TMP/live.err" || { cat "$TMP/live.err"; fail "live: no cancel notice"; }

# -f stops at the first error.
printf "CREATE TABLE t (a INT);\nSELECT nope FROM t;\nSELECT 'after' AS x;\n" >"$TMP/stop.sql"
"$WEIR" sql -f "$TMP/stop.sql" >"$TMP/stop.out" 2>"$TMP/stop.err" && fail "-f: expected a failure"
grep -q "unknown column 'nope'" "$TMP/stop.err" || { cat "$TMP/stop.err"; fail "-f: error missing"; }
grep -q after "$TMP/stop.out" && fail "-f: ran a statement after the error"

# Bad input never crashes the client: unterminated strings and comments, garbage bytes.
printf "SELECT 'open;\nSELECT 1; /* never closed\n" | "$WEIR" sql >"$TMP/bad.out" 2>"$TMP/bad.err"
[ $? -eq 1 ] || { cat "$TMP/bad.err"; fail "bad input: expected exit status 1"; }
grep -q '\[ERROR\]' "$TMP/bad.err" || fail "bad input: no error reported"
printf '\001\377 ;;; SELECT 2;\n' | "$WEIR" sql >"$TMP/bytes.out" 2>"$TMP/bytes.err"
[ $? -eq 1 ] || { cat "$TMP/bytes.err"; fail "garbage: expected exit status 1"; }
grep -qF '|      2 |' "$TMP/bytes.out" || { cat "$TMP/bytes.out" "$TMP/bytes.err"; fail "garbage: the statement after it did not run"; }

# SIGINT cancels the running statement of piped input and stops the rest.
printf "CREATE TABLE g (a INT) WITH ('connector' = 'datagen', 'rows-per-second' = '10');\nSELECT * FROM g;\nSELECT 'after' AS x;\n" >"$TMP/int.sql"
"$WEIR" sql <"$TMP/int.sql" >"$TMP/int.out" 2>&1 &
pid=$!
sleep 2
kill -INT $pid
rc=0
wait $pid || rc=$?
[ $rc -eq 130 ] || { cat "$TMP/int.out"; fail "SIGINT: exit status $rc, expected 130"; }
grep -qF '[INFO] Statement cancelled (SIGINT).' "$TMP/int.out" || { cat "$TMP/int.out"; fail "SIGINT: no message"; }
grep -q after "$TMP/int.out" && fail "SIGINT: a statement after the cancelled one ran"

# On a terminal: prompts, a statement over two lines, history.
if command -v script >/dev/null 2>&1; then
    printf "CREATE TABLE s (a INT,\nb STRING);\nINSERT INTO s VALUES (7, 'x');\nSELECT * FROM s;\nSELECT oops;\nQUIT;\n" >"$TMP/tty.in"
    WEIR_HISTORY="$TMP/history" timeout 60 script -qec "$WEIR sql" /dev/null <"$TMP/tty.in" >"$TMP/tty.out" 2>&1 ||
        { cat "$TMP/tty.out"; fail "terminal: the shell failed"; }
    tr -d '\r' <"$TMP/tty.out" >"$TMP/tty.txt"
    grep -qx 'weir> CREATE TABLE s (a INT,' "$TMP/tty.txt" || { cat "$TMP/tty.txt"; fail "terminal: no prompt"; }
    grep -qx '    -> b STRING);' "$TMP/tty.txt" || { cat "$TMP/tty.txt"; fail "terminal: no continuation prompt"; }
    grep -qF '| 7 | x |' "$TMP/tty.txt" || { cat "$TMP/tty.txt"; fail "terminal: no result"; }
    grep -qF "[ERROR] line 1, column 8: unknown column 'oops'" "$TMP/tty.txt" || { cat "$TMP/tty.txt"; fail "terminal: no error"; }
    grep -q 'SELECT\\040\*\\040FROM\\040s;' "$TMP/history" || { cat "$TMP/history"; fail "terminal: history not saved"; }
    # Table mode redraws an unbounded query's table while it runs.
    sed "s/'changelog'/'table'/" "$TMP/live.sql" >"$TMP/tlive.sql"
    timeout -s INT 4 script -qec "$WEIR sql -f $TMP/tlive.sql" /dev/null >"$TMP/tlive.out" 2>&1
    tr -d '\r' <"$TMP/tlive.out" >"$TMP/tlive.txt"
    grep -q '(running; Ctrl-C cancels)' "$TMP/tlive.txt" || { cat "$TMP/tlive.txt"; fail "terminal: table mode did not redraw"; }
    grep -qE '^\| [123] \| +[0-9]+ \|$' "$TMP/tlive.txt" || { cat "$TMP/tlive.txt"; fail "terminal: no live table rows"; }
fi
exit 0
