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

# Resumed at parallelism 4 instead, datagen's left ranges are shared out: again every row once.
sed "s/'parallelism.default' = '2'/'parallelism.default' = '4'/" "$TMP/job.sql" >"$TMP/job4.sql"
"$WEIR" sql -f "$TMP/job4.sql" -D "execution.savepoint.path=$path" >"$TMP/run3" 2>&1 ||
    { cat "$TMP/run3"; fail "resuming at parallelism 4 failed"; }
cat "$TMP/run1" "$TMP/run3" | sed -n 's/.*+I\[\([0-9]*\)\].*/\1/p' | sort -n >"$TMP/ids4"
[ "$(uniq "$TMP/ids4" | wc -l)" -eq 4000 ] || fail "at parallelism 4: $(uniq "$TMP/ids4" | wc -l) of 4000"
[ "$(wc -l <"$TMP/ids4")" -eq 4000 ] || fail "at parallelism 4: rows duplicated"
grep -q "'parallelism.default' = '4'" "$TMP/job4.sql" || fail "the script was not changed to parallelism 4"
# And at parallelism 1: one instance takes every range left.
sed "s/'parallelism.default' = '2'/'parallelism.default' = '1'/" "$TMP/job.sql" >"$TMP/job1.sql"
"$WEIR" sql -f "$TMP/job1.sql" -D "execution.savepoint.path=$path" >"$TMP/run4" 2>&1 ||
    { cat "$TMP/run4"; fail "resuming at parallelism 1 failed"; }
cat "$TMP/run1" "$TMP/run4" | sed -n 's/.*+I\[\([0-9]*\)\].*/\1/p' | sort -n | uniq -c |
    awk '$1 != 1 { bad++ } END { exit bad > 0 || NR != 4000 }' || fail "at parallelism 1: not every row once"
echo "ok: savepoint"
