# The same job at parallelism 1 and 4 prints the same multiset of rows, and at
# parallelism 4 every line carries a subtask prefix "N> ".
. "$(dirname "$0")/lib.sh"
job() {
    cat <<SQL
SET 'parallelism.default' = '$1';
CREATE TABLE src (id BIGINT, k INT, s STRING) WITH (
  'connector' = 'datagen', 'rows-per-second' = '1000000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '5000',
  'fields.k.kind' = 'sequence', 'fields.k.start' = '-2499', 'fields.k.end' = '2500',
  'fields.s.kind' = 'sequence', 'fields.s.start' = '1', 'fields.s.end' = '5000');
CREATE TABLE out (id BIGINT, k INT, label STRING) WITH ('connector' = 'print');
INSERT INTO out SELECT id, k * 2, 'v' || s FROM src WHERE k % 3 <> 0 OR id < 10;
SQL
}
job 1 >"$TMP/p1.sql"
job 4 >"$TMP/p4.sql"
"$WEIR" sql -f "$TMP/p1.sql" >"$TMP/p1.out" || fail "parallelism 1 failed"
"$WEIR" sql -f "$TMP/p4.sql" >"$TMP/p4.out" || fail "parallelism 4 failed"
n1=$(wc -l <"$TMP/p1.out")
[ "$n1" -gt 3000 ] || fail "expected more than 3000 rows, got $n1"
grep -qv '^+I\[' "$TMP/p1.out" && fail "parallelism 1 lines must have no prefix"
grep -qvE '^[1-4]> \+I\[' "$TMP/p4.out" && fail "parallelism 4 lines must start with 'N> '"
for s in 1 2 3 4; do grep -q "^$s> " "$TMP/p4.out" || fail "subtask $s printed nothing"; done
sort "$TMP/p1.out" >"$TMP/a"
sed 's/^[0-9]*> //' "$TMP/p4.out" | sort >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" || { diff "$TMP/a" "$TMP/b" | head; fail "row multisets differ"; }
grep -qx '+I\[2, -4996, v2\]' "$TMP/a" || fail "missing expected row"
echo "ok: $n1 rows identical at parallelism 1 and 4"
