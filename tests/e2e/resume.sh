# A checkpointed SQL job killed with SIGKILL resumes with --resume from its latest
# checkpoint: the source continues from its checkpointed position, so together the two runs
# print every row (rows after the last checkpoint may print twice: print is not transactional).
. "$(dirname "$0")/lib.sh"

cat >"$TMP/job.sql" <<SQL
SET 'pipeline.name' = 'resume-test';
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '100 ms';
SET 'state.checkpoints.dir' = '$TMP/chk';
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '4000');
CREATE TABLE out (id BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT id FROM src;
SQL
"$WEIR" sql -f "$TMP/job.sql" >"$TMP/run1" 2>&1 &
pid=$!
sleep 1
kill -9 $pid
wait $pid 2>/dev/null
ls "$TMP"/chk/resume-test/chk-*/_metadata >/dev/null 2>&1 || fail "no complete checkpoint before the kill"
first=$(grep -c '+I' "$TMP/run1")
[ "$first" -lt 4000 ] || fail "the first run finished before the kill ($first rows)"
"$WEIR" sql -f "$TMP/job.sql" --resume >"$TMP/run2" 2>&1 || { cat "$TMP/run2"; fail "resume failed"; }
second=$(grep -c '+I' "$TMP/run2")
[ "$second" -lt 4000 ] || fail "the resumed run started over ($second rows)"
cat "$TMP/run1" "$TMP/run2" | sed -n 's/.*+I\[\([0-9]*\)\].*/\1/p' | sort -n | uniq >"$TMP/ids"
[ "$(wc -l <"$TMP/ids")" -eq 4000 ] || fail "rows lost: $(wc -l <"$TMP/ids") distinct of 4000"
[ "$(head -1 "$TMP/ids")" -eq 1 ] && [ "$(tail -1 "$TMP/ids")" -eq 4000 ] || fail "wrong ids"
echo "ok: resume ($first + $second rows printed for 4000)"
