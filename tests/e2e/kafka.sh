# The 'kafka' connector end to end: a mock cluster (tests/tools/kafka_mock,
# librdkafka's, on loopback) holds a topic of JSON orders; `weir sql -f` reads
# it to its end, filters and projects, and writes CSV records into another
# topic with exactly-once transactions, which kafka_mock reads back
# (read_committed). A bad record fails the job naming its topic, partition
# and offset; json.ignore-parse-errors skips it. A job reading a growing
# topic into the exactly-once filesystem sink, killed with SIGKILL and resumed
# several times, ends up with every record exactly once: the source continues
# from the offsets of the checkpoint it resumes from.
. "$(dirname "$0")/lib.sh"
TOOLS=${TOOLS:-$(dirname "$WEIR")/tools}
[ -x "$TOOLS/kafka_mock" ] || TOOLS=build/asan/tools
MOCK="$TOOLS/kafka_mock"
[ -x "$MOCK" ] || fail "$MOCK is not built (make build/asan/tools/kafka_mock)"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# Starts kafka_mock with the given arguments, output in $TMP/$1.out; sets SERVERS.
start_mock() {
    local name=$1
    shift
    "$MOCK" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PIDS+=($!)
    MOCK_PID=$!
    for _ in $(seq 1 600); do
        [ -s "$TMP/$name.out" ] && break
        kill -0 "$MOCK_PID" 2>/dev/null || { cat "$TMP/$name.err"; fail "kafka_mock did not start"; }
        sleep 0.05
    done
    SERVERS=$(head -1 "$TMP/$name.out")
    [ -n "$SERVERS" ] || fail "kafka_mock printed no bootstrap servers"
}

for i in $(seq 1 200); do
    printf '{"id":%d,"customer":"c%d","amount":%d.5}\n' "$i" $((i % 7)) "$i"
done >"$TMP/orders.json"

# Kafka -> filter and projection at parallelism 2 -> Kafka (exactly-once).
start_mock pipe --topic orders:3 --topic big:2 --produce orders "$TMP/orders.json" \
    --consume big:2 51 --timeout 120
cat >"$TMP/pipe.sql" <<SQL
SET 'parallelism.default' = '2';
CREATE TABLE orders (id BIGINT, customer STRING, amount DOUBLE) WITH (
  'connector' = 'kafka', 'topic' = 'orders', 'properties.bootstrap.servers' = '$SERVERS',
  'format' = 'json', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset');
CREATE TABLE big (id BIGINT, customer STRING, amount DOUBLE) WITH (
  'connector' = 'kafka', 'topic' = 'big', 'properties.bootstrap.servers' = '$SERVERS',
  'format' = 'csv', 'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'e2e');
INSERT INTO big SELECT id, UPPER(customer), amount * 2 FROM orders WHERE amount > 150;
SQL
"$WEIR" sql -f "$TMP/pipe.sql" >"$TMP/pipe.log" 2>&1 || { cat "$TMP/pipe.log"; fail "the Kafka job failed"; }
wait "$MOCK_PID" || { cat "$TMP/pipe.err"; fail "kafka_mock did not read the output"; }
tail -n +2 "$TMP/pipe.out" | sort >"$TMP/pipe.got"
for i in $(seq 150 200); do printf '%d,C%d,%d.0\n' "$i" $((i % 7)) $((2 * i + 1)); done |
    sort >"$TMP/pipe.want"
diff -u "$TMP/pipe.want" "$TMP/pipe.got" || fail "the output topic holds other records"

# A bad record fails the job with its position; json.ignore-parse-errors skips it.
printf '{"id":1}\n{"id":"one"}\n{"id":3}\n' >"$TMP/bad.json"
start_mock bad --topic in:1 --produce in "$TMP/bad.json"
cat >"$TMP/bad.sql" <<SQL
CREATE TABLE src (id BIGINT) WITH (
  'connector' = 'kafka', 'topic' = 'in', 'properties.bootstrap.servers' = '$SERVERS',
  'format' = 'json', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset');
SELECT SUM(id) AS total FROM src;
SQL
if "$WEIR" sql -f "$TMP/bad.sql" >"$TMP/bad.log" 2>&1; then fail "a bad record was accepted"; fi
grep -qF "topic 'in', partition 0, offset 1: field 'id'" "$TMP/bad.log" ||
    { cat "$TMP/bad.log"; fail "the error does not name the record"; }
sed -i "s/'format' = 'json',/'format' = 'json', 'json.ignore-parse-errors' = 'true',/" "$TMP/bad.sql"
"$WEIR" sql -f "$TMP/bad.sql" >"$TMP/skip.log" 2>&1 || { cat "$TMP/skip.log"; fail "ignore-parse-errors failed"; }
grep -qE '^\| +4 \|$' "$TMP/skip.log" || { cat "$TMP/skip.log"; fail "ignore-parse-errors: expected a sum of 4"; }

# A bad option is reported at CREATE TABLE, where it was written.
cat >"$TMP/opt.sql" <<SQL
CREATE TABLE src (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'in',
  'properties.bootstrap.servers' = '$SERVERS', 'format' = 'json',
  'scan.startup.mode' = 'earliest');
SQL
if "$WEIR" sql -f "$TMP/opt.sql" >"$TMP/opt.log" 2>&1; then fail "a bad startup mode was accepted"; fi
grep -qF "line 3, column" "$TMP/opt.log" && grep -qF "scan.startup.mode" "$TMP/opt.log" ||
    { cat "$TMP/opt.log"; fail "bad option: position"; }
# Crash and resume (as crash.sh, with a Kafka source).
N=9000
seq 1 $N | sed 's/.*/{"id":&}/' >"$TMP/ids.json"
start_mock crash --topic ids:3 --trickle ids "$TMP/ids.json" 1500 --timeout 240
cat >"$TMP/crash.sql" <<SQL
SET 'pipeline.name' = 'kafka-crash';
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '200 ms';
SET 'state.checkpoints.dir' = '$TMP/chk';
CREATE TABLE src (id BIGINT) WITH (
  'connector' = 'kafka', 'topic' = 'ids', 'properties.bootstrap.servers' = '$SERVERS',
  'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE out (id BIGINT) WITH ('connector' = 'filesystem', 'path' = '$TMP/out',
  'format' = 'csv', 'sink.rolling-policy.file-size' = '4 kb');
INSERT INTO out SELECT id FROM src;
SQL
visible_ids() {
    find "$TMP/out" -maxdepth 1 -type f ! -name '.*' -exec cat {} + 2>/dev/null
}
killed=0
for round in 1 2 3 4; do
    resume=
    [ $round -gt 1 ] && resume=--resume
    "$WEIR" sql -f "$TMP/crash.sql" $resume >"$TMP/crash$round.log" 2>&1 &
    pid=$!
    PIDS+=($pid)
    ms=$((400 + RANDOM % 800))
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    kill -9 $pid 2>/dev/null || { cat "$TMP/crash$round.log"; fail "round $round: the job ended"; }
    wait $pid 2>/dev/null
    killed=$((killed + 1))
    dups=$(visible_ids | sort -n | uniq -d | wc -l)
    [ "$dups" -eq 0 ] || fail "round $round: $dups ids visible twice after the kill"
    echo "round $round: killed after $ms ms, $(visible_ids | wc -l) ids visible"
done
"$WEIR" sql -f "$TMP/crash.sql" --resume >"$TMP/crash-final.log" 2>&1 &
pid=$!
PIDS+=($pid)
for _ in $(seq 1 1200); do
    [ "$(visible_ids | wc -l)" -ge $N ] && break
    kill -0 $pid 2>/dev/null || { cat "$TMP/crash-final.log"; fail "the resumed job ended"; }
    sleep 0.05
done
{ kill -9 $pid && wait $pid; } 2>/dev/null
visible_ids | sort -n >"$TMP/crash.ids"
seq 1 $N >"$TMP/crash.want"
cmp -s "$TMP/crash.want" "$TMP/crash.ids" || {
    echo "$(wc -l <"$TMP/crash.ids") ids visible, $(uniq -d "$TMP/crash.ids" | wc -l) twice"
    fail "after $killed kills the files do not hold every id exactly once"
}
echo "ok: kafka"
