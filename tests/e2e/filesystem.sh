# The 'filesystem' source reads CSV files (a file, a directory split over
# subtasks, standard input as '-') through SQL; a bad line fails the job
# naming the file and line; a missing path fails at CREATE TABLE.
. "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/in"
printf '1,alice,2024-01-01 10:00:00,1.5\r\n2,"bob, jr",2024-01-01 10:00:01.25,\r\n' >"$TMP/in/a.csv"
printf '3,"say ""hi""",,2e3\n4,,2024-01-01T10:00:03,-0.5' >"$TMP/in/b.csv" # no final newline
printf 'never read\n' >"$TMP/in/.hidden"

# One file, into a print table.
cat >"$TMP/one.sql" <<SQL
CREATE TABLE src (id BIGINT, name STRING, ts TIMESTAMP(3), score DOUBLE) WITH (
  'connector' = 'filesystem', 'path' = '$TMP/in/a.csv', 'format' = 'csv');
CREATE TABLE out (id BIGINT, name STRING, ts TIMESTAMP(3), score DOUBLE)
  WITH ('connector' = 'print');
INSERT INTO out SELECT * FROM src;
SQL
"$WEIR" sql -f "$TMP/one.sql" >"$TMP/one.out" 2>"$TMP/one.err" || { cat "$TMP/one.err"; fail "one file failed"; }
printf '%s\n' '+I[1, alice, 2024-01-01T10:00, 1.5]' '+I[2, bob, jr, 2024-01-01T10:00:01.250, null]' \
    >"$TMP/one.want"
cmp -s "$TMP/one.out" "$TMP/one.want" || { diff "$TMP/one.want" "$TMP/one.out"; fail "one file: wrong rows"; }

# The directory at parallelism 2: each file once, hidden files skipped.
cat >"$TMP/dir.sql" <<SQL
SET 'parallelism.default' = '2';
CREATE TABLE src (id BIGINT, name STRING, ts TIMESTAMP(3), score DOUBLE) WITH (
  'connector' = 'filesystem', 'path' = '$TMP/in', 'format' = 'csv');
CREATE TABLE out (id BIGINT, name STRING) WITH ('connector' = 'print');
INSERT INTO out SELECT id, name FROM src WHERE score IS NULL OR score > 0;
SQL
"$WEIR" sql -f "$TMP/dir.sql" >"$TMP/dir.out" 2>"$TMP/dir.err" || { cat "$TMP/dir.err"; fail "directory failed"; }
sed 's/^[0-9]*> //' "$TMP/dir.out" | sort >"$TMP/dir.sorted"
printf '%s\n' '+I[1, alice]' '+I[2, bob, jr]' '+I[3, say "hi"]' | sort >"$TMP/dir.want"
cmp -s "$TMP/dir.sorted" "$TMP/dir.want" || { diff "$TMP/dir.want" "$TMP/dir.sorted"; fail "directory: wrong rows"; }
grep -q '^1> ' "$TMP/dir.out" && grep -q '^2> ' "$TMP/dir.out" || fail "directory: both subtasks should print"

# Standard input, raw lines, through SELECT.
printf 'first\nsecond line\n' >"$TMP/stdin.txt"
cat >"$TMP/raw.sql" <<SQL
CREATE TABLE lines (line STRING) WITH ('connector' = 'filesystem', 'path' = '-', 'format' = 'raw');
SELECT line FROM lines;
SQL
"$WEIR" sql -f "$TMP/raw.sql" <"$TMP/stdin.txt" >"$TMP/raw.out" 2>"$TMP/raw.err" ||
    { cat "$TMP/raw.err"; fail "standard input failed"; }
grep -q 'second line' "$TMP/raw.out" && grep -q 'first' "$TMP/raw.out" || { cat "$TMP/raw.out"; fail "standard input: rows missing"; }
grep -q '2 rows in set' "$TMP/raw.out" || { cat "$TMP/raw.out"; fail "standard input: expected 2 rows"; }

# A bad line fails the job with the file and line; ignore-parse-errors skips it.
printf '1,a\n2,b\nx3,c\n4,d\n' >"$TMP/bad.csv"
cat >"$TMP/bad.sql" <<SQL
CREATE TABLE src (id INT, k STRING) WITH ('connector' = 'filesystem', 'path' = '$TMP/bad.csv', 'format' = 'csv');
CREATE TABLE out (id INT, k STRING) WITH ('connector' = 'print');
INSERT INTO out SELECT * FROM src;
SQL
if "$WEIR" sql -f "$TMP/bad.sql" >"$TMP/bad.out" 2>"$TMP/bad.err"; then fail "bad line: expected an error"; fi
grep -qF "file '$TMP/bad.csv', line 3: field 'id' at offset 0: invalid INT 'x3'" "$TMP/bad.err" ||
    { cat "$TMP/bad.err"; fail "bad line: message"; }
sed -i "s/'format' = 'csv'/'format' = 'csv', 'csv.ignore-parse-errors' = 'true'/" "$TMP/bad.sql"
"$WEIR" sql -f "$TMP/bad.sql" >"$TMP/skip.out" 2>"$TMP/skip.err" || { cat "$TMP/skip.err"; fail "ignore-parse-errors failed"; }
[ "$(wc -l <"$TMP/skip.out")" -eq 3 ] || { cat "$TMP/skip.out"; fail "ignore-parse-errors: expected 3 rows"; }
# ... and counted: the job's summary says so on stderr (numRecordsInErrors).
grep -qxF "note: source 'Source: src' skipped 1 malformed record (ignore-parse-errors)" "$TMP/skip.err" ||
    { cat "$TMP/skip.err"; fail "ignore-parse-errors: expected the summary note"; }
if grep -q 'note:' "$TMP/dir.err"; then cat "$TMP/dir.err"; fail "a clean job should print no note"; fi

# A missing path is fine for a table that will be written, and an error when it is read.
cat >"$TMP/missing.sql" <<SQL
CREATE TABLE src (id INT) WITH (
  'connector' = 'filesystem',
  'path' = '$TMP/nope', 'format' = 'csv');
SELECT * FROM src;
SQL
if "$WEIR" sql -f "$TMP/missing.sql" >/dev/null 2>"$TMP/missing.err"; then fail "missing path: expected an error"; fi
grep -qF "no such file or directory: '$TMP/nope'" "$TMP/missing.err" || { cat "$TMP/missing.err"; fail "missing path: message"; }
# A bad option is still reported at CREATE TABLE, where it was written.
cat >"$TMP/badopt.sql" <<SQL
CREATE TABLE src (id INT) WITH (
  'connector' = 'filesystem',
  'path' = '$TMP', 'format' = 'csv', 'sink.rolling-policy.file-size' = 'huge');
SQL
if "$WEIR" sql -f "$TMP/badopt.sql" >/dev/null 2>"$TMP/badopt.err"; then fail "bad option accepted"; fi
grep -qF 'line 3, column' "$TMP/badopt.err" || { cat "$TMP/badopt.err"; fail "bad option: position"; }

# 'source.monitor-interval': an unbounded job reads the files that appear in the directory,
# each once, at parallelism 2, into an exactly-once filesystem sink; killed and resumed, it
# neither loses nor repeats a row.
mkdir -p "$TMP/watch"
seq 1 1000 >"$TMP/watch/a.csv"
cat >"$TMP/watch.sql" <<SQL
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '100 ms';
SET 'state.checkpoints.dir' = '$TMP/watch-chk';
CREATE TABLE src (id INT) WITH ('connector' = 'filesystem', 'path' = '$TMP/watch',
  'format' = 'csv', 'source.monitor-interval' = '50 ms');
CREATE TABLE dst (id INT) WITH ('connector' = 'filesystem', 'path' = '$TMP/watch-out',
  'format' = 'csv');
INSERT INTO dst SELECT id FROM src;
SQL
# rows_out: the rows committed so far.
rows_out() { cat "$TMP"/watch-out/part-* 2>/dev/null | wc -l; }
wait_rows() {
    for _ in $(seq 1 200); do
        [ "$(rows_out)" -ge "$1" ] && return 0
        sleep 0.05
    done
    fail "monitoring: expected $1 rows committed, have $(rows_out)"
}
"$WEIR" sql -f "$TMP/watch.sql" >"$TMP/watch.log" 2>&1 &
pid=$!
wait_rows 1000
seq 1001 2000 >"$TMP/watch/.b.csv.tmp" && mv "$TMP/watch/.b.csv.tmp" "$TMP/watch/b.csv"
wait_rows 2000
kill -9 $pid
wait $pid 2>/dev/null
seq 2001 3000 >"$TMP/watch/c.csv"
"$WEIR" sql -f "$TMP/watch.sql" --resume >"$TMP/watch2.log" 2>&1 &
pid=$!
wait_rows 3000
sleep 0.3
kill $pid
wait $pid 2>/dev/null
cat "$TMP"/watch-out/part-* | sort -n >"$TMP/watch.rows"
seq 1 3000 | cmp -s - "$TMP/watch.rows" || {
    cat "$TMP/watch.log" "$TMP/watch2.log"
    fail "monitoring: every id once expected ($(wc -l <"$TMP/watch.rows") rows)"
}
echo "ok: filesystem source"
