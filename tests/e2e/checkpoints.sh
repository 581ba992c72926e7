# SQL jobs with checkpointing write complete checkpoints to state.checkpoints.dir, and
# checkpoint options that do not fit together are reported.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/job.sql" <<SQL
SET 'pipeline.name' = 'ck job';
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '50 ms';
SET 'state.checkpoints.dir' = '$TMP/chk';
SET 'state.checkpoints.num-retained' = '3';
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '2000');
CREATE TABLE out (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT id FROM src;
SQL
"$WEIR" sql -f "$TMP/job.sql" >"$TMP/out" 2>&1 || { cat "$TMP/out"; fail "checkpointed job failed"; }
n=$(ls "$TMP/chk/ck_job" | wc -l)
complete=$(ls "$TMP"/chk/ck_job/chk-*/_metadata 2>/dev/null | wc -l)
[ "$n" -ge 1 ] && [ "$n" -le 4 ] || fail "expected 1..4 checkpoint directories, found $n"
[ "$complete" -ge 1 ] && [ "$complete" -le 3 ] || fail "expected 1..3 complete checkpoints, found $complete"
head -1 "$(ls "$TMP"/chk/ck_job/chk-*/_metadata | tail -1)" | grep -q '^weir-checkpoint 1$' ||
    fail "metadata format"

cat >"$TMP/bad.sql" <<'SQL'
SET 'execution.checkpointing.interval' = '1 s';
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE out (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT id FROM src;
SQL
if "$WEIR" sql -f "$TMP/bad.sql" >"$TMP/bad.out" 2>&1; then fail "interval without dir accepted"; fi
grep -q "state.checkpoints.dir" "$TMP/bad.out" || { cat "$TMP/bad.out"; fail "no message"; }
echo "ok: checkpoints"
