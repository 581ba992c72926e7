# A failing operator fails the job with its message and a non-zero exit; SIGINT
# cancels an unbounded job cleanly; the CLI answers --version and --help.
. "$(dirname "$0")/lib.sh"

"$WEIR" --version | grep -q '^weir [0-9]' || fail "--version"
"$WEIR" --help | grep -q 'usage: weir' || fail "--help"
"$WEIR" sql --help | grep -q 'usage: weir sql' || fail "sql --help"

cat >"$TMP/fail.sql" <<'SQL'
SET 'parallelism.default' = '2';
CREATE TABLE src (id BIGINT, s STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '100000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000000000',
  'fields.s.length' = '4');
CREATE TABLE dst (n INT) WITH ('connector' = 'blackhole');
INSERT INTO dst SELECT CAST(s AS INT) FROM src;
SQL
timeout 60 "$WEIR" sql -f "$TMP/fail.sql" >"$TMP/fail.out" 2>"$TMP/fail.err"
rc=$?
[ $rc -eq 1 ] || { cat "$TMP/fail.err"; fail "failing job exited $rc, expected 1"; }
grep -q "cannot cast '" "$TMP/fail.err" || { cat "$TMP/fail.err"; fail "no cast message"; }
grep -q "operator 'Calc" "$TMP/fail.err" || { cat "$TMP/fail.err"; fail "failing operator not named"; }

cat >"$TMP/endless.sql" <<'SQL'
SET 'parallelism.default' = '2';
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50');
CREATE TABLE out (id BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT id FROM src;
SQL
for sig in INT TERM; do
    "$WEIR" sql -f "$TMP/endless.sql" >"$TMP/endless.out" 2>"$TMP/endless.err" &
    pid=$!
    sleep 1.5
    kill -$sig $pid
    for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "SIG$sig did not stop the job"; }
    wait $pid
    rc=$?
    want=$([ $sig = INT ] && echo 130 || echo 143)
    [ $rc -eq $want ] || { cat "$TMP/endless.err"; fail "SIG$sig: exit $rc, expected $want"; }
    grep -q 'job cancelled' "$TMP/endless.err" || fail "SIG$sig: no cancel message"
    [ "$(wc -l <"$TMP/endless.out")" -gt 10 ] || fail "SIG$sig: the job printed too little"
done
echo "ok: failure, cancellation and CLI"
