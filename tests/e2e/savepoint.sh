# SIGTERM stops a job with a savepoint when state.savepoints.dir is set and prints its path;
# the job continues from it with execution.savepoint.path, so the two runs print every row.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/job.sql" <<SQL
SET 'pipeline.name' = 'sp';
SET 'parallelism.default' = '2';
SET 'state.savepoints.dir' = '$TMP/sp';
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '4000');
CREATE TABLE out (id BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT id FROM src;
SQL
"$WEIR" sql -f "$TMP/job.sql" >"$TMP/run1" 2>"$TMP/err1" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 0 ] || { cat "$TMP/err1"; fail "stop with savepoint exited $rc"; }
path=$(sed -n 's/^weir: job stopped with a savepoint: //p' "$TMP/err1")
[ -n "$path" ] && [ -f "$path/_metadata" ] || { cat "$TMP/err1"; fail "no savepoint path printed"; }
"$WEIR" sql -f "$TMP/job.sql" -D "execution.savepoint.path=$path" >"$TMP/run2" 2>&1 ||
    { cat "$TMP/run2"; fail "resuming from the savepoint failed"; }
cat "$TMP/run1" "$TMP/run2" | sed -n 's/.*+I\[\([0-9]*\)\].*/\1/p' | sort -n >"$TMP/ids"
[ "$(uniq "$TMP/ids" | wc -l)" -eq 4000 ] || fail "rows lost: $(uniq "$TMP/ids" | wc -l) of 4000"
[ "$(wc -l <"$TMP/ids")" -eq 4000 ] || fail "rows duplicated: $(wc -l <"$TMP/ids") lines"

# Operator state (datagen's positions) cannot move to another parallelism yet: a clear error.
sed "s/'parallelism.default' = '2'/'parallelism.default' = '4'/" "$TMP/job.sql" >"$TMP/job4.sql"
if "$WEIR" sql -f "$TMP/job4.sql" -D "execution.savepoint.path=$path" >"$TMP/run3" 2>&1; then
    fail "rescaling datagen's operator state was accepted"
fi
grep -q "checkpointed at parallelism 2" "$TMP/run3" || { cat "$TMP/run3"; fail "no rescale message"; }
echo "ok: savepoint"
