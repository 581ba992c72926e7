# Kafka -> aggregate -> PostgreSQL, end to end: a mock Kafka cluster (tests/tools/kafka_mock)
# holds JSON orders and a topic of debezium-json change events; `weir sql -f` aggregates each
# at parallelism 2 and upserts the results into PostgreSQL (tests/tools/pgtest.sh) with
# exactly-once delivery and checkpoints. The change events' updates and deletes reach the
# database: an updated row moves its group's sum, a deleted group's row is deleted. psql checks
# the tables against the sums computed here. Skipped, with a notice, without the PostgreSQL
# server binaries.
. "$(dirname "$0")/lib.sh"
TOOLS=${TOOLS:-$(dirname "$WEIR")/tools}
[ -x "$TOOLS/kafka_mock" ] || TOOLS=build/asan/tools
MOCK="$TOOLS/kafka_mock"
[ -x "$MOCK" ] || fail "$MOCK is not built (make build/asan/tools/kafka_mock)"
PGTEST=$(dirname "$0")/../tools/pgtest.sh
chmod 711 "$TMP" # as root, the server runs as the postgres user inside it
SRV=$TMP/pg
PORT=$(bash "$PGTEST" start "$SRV")
rc=$?
if [ $rc -eq 77 ]; then
    echo "SKIP: the PostgreSQL server binaries are not installed (package 'postgresql')"
    exit 0
fi
[ $rc -eq 0 ] || fail "the PostgreSQL server did not start (see $SRV/server.log)"
MOCK_PID=
trap '[ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null; bash "$PGTEST" stop "$SRV"; rm -rf "$TMP"' EXIT
command -v psql >/dev/null || fail "psql is not installed"
pg() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U weir -d postgres -c "$1"; }
URL="jdbc:postgresql://127.0.0.1:$PORT/postgres"
pg "CREATE TABLE totals (customer text PRIMARY KEY, n bigint, total numeric(12, 2));
    CREATE TABLE stock (category text PRIMARY KEY, items bigint, value bigint);" ||
    fail "cannot create the tables"

for i in $(seq 1 300); do
    printf '{"id":%d,"customer":"c%d","amount":%d.25}\n' "$i" $((i % 7)) "$i"
done >"$TMP/orders.json"
# Products as a CDC tool writes them: snapshot reads, inserts, updates, a delete and its
# tombstone (a record without value cannot be produced by kafka_mock: 'null' stands in).
ev() { printf '{"before":%s,"after":%s,"op":"%s"}\n' "$1" "$2" "$3"; }
{
    ev null '{"id":1,"category":"a","price":10}' r
    ev null '{"id":2,"category":"a","price":5}' r
    ev null '{"id":3,"category":"b","price":7}' c
    ev null '{"id":4,"category":"c","price":1}' c
    ev '{"id":2,"category":"a","price":5}' '{"id":2,"category":"a","price":6}' u
    ev '{"id":4,"category":"c","price":1}' '{"id":4,"category":"b","price":2}' u
    ev '{"id":3,"category":"b","price":7}' null d
    echo null
    ev null '{"id":5,"category":"d","price":9}' c
    ev '{"id":5,"category":"d","price":9}' null d
} >"$TMP/products.json"

"$MOCK" --topic orders:3 --topic products:1 --produce orders "$TMP/orders.json" \
    --produce products "$TMP/products.json" --timeout 120 >"$TMP/mock.out" 2>"$TMP/mock.err" &
MOCK_PID=$!
for _ in $(seq 1 600); do
    [ -s "$TMP/mock.out" ] && break
    kill -0 "$MOCK_PID" 2>/dev/null || { cat "$TMP/mock.err"; fail "kafka_mock did not start"; }
    sleep 0.05
done
SERVERS=$(head -1 "$TMP/mock.out")
[ -n "$SERVERS" ] || fail "kafka_mock printed no bootstrap servers"

cat >"$TMP/job.sql" <<SQL
SET 'parallelism.default' = '2';
SET 'execution.runtime-mode' = 'streaming';
SET 'execution.checkpointing.interval' = '100 ms';
SET 'state.checkpoints.dir' = '$TMP/chk';
CREATE TABLE orders (id BIGINT, customer STRING, amount DECIMAL(10, 2)) WITH (
  'connector' = 'kafka', 'topic' = 'orders', 'properties.bootstrap.servers' = '$SERVERS',
  'format' = 'json', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset');
CREATE TABLE totals (customer STRING, n BIGINT, total DECIMAL(12, 2),
  PRIMARY KEY (customer) NOT ENFORCED) WITH (
  'connector' = 'jdbc', 'url' = '$URL', 'table-name' = 'totals', 'username' = 'weir',
  'sink.delivery-guarantee' = 'exactly-once');
INSERT INTO totals SELECT customer, COUNT(*), SUM(amount) FROM orders GROUP BY customer;
CREATE TABLE products (id INT, category STRING, price INT) WITH (
  'connector' = 'kafka', 'topic' = 'products', 'properties.bootstrap.servers' = '$SERVERS',
  'format' = 'debezium-json', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset');
CREATE TABLE stock (category STRING, items BIGINT, \`value\` BIGINT,
  PRIMARY KEY (category) NOT ENFORCED) WITH (
  'connector' = 'postgres', 'url' = '$URL?user=weir', 'table-name' = 'stock');
INSERT INTO stock SELECT category, COUNT(*), SUM(price) FROM products GROUP BY category;
SQL
"$WEIR" sql -f "$TMP/job.sql" >"$TMP/job.log" 2>&1 || { cat "$TMP/job.log"; fail "the jobs failed"; }

got=$(pg "SELECT string_agg(customer || '=' || n || '/' || total, ' ' ORDER BY customer) FROM totals")
want=$(seq 1 300 | awk '{ c = "c" ($1 % 7); n[c]++; s[c] += $1 + 0.25 }
    END { for (c in n) printf "%s=%d/%.2f\n", c, n[c], s[c] }' | sort | paste -sd' ')
[ "$got" = "$want" ] || fail "totals: got '$got', want '$want'"
echo "ok: Kafka JSON -> GROUP BY -> PostgreSQL upsert (exactly-once): $want"

# a: products 1 and 2 (price 10 and 6 after the update); b: only product 4 (moved from c,
# price 2), product 3 deleted; c: emptied by the move, so its row is deleted; d: inserted and
# deleted again, so it never stays.
got=$(pg "SELECT string_agg(category || '=' || items || '/' || value, ' ' ORDER BY category) FROM stock")
[ "$got" = "a=2/16 b=1/2" ] || fail "stock: got '$got', want 'a=2/16 b=1/2'"
echo "ok: Kafka debezium-json -> GROUP BY -> PostgreSQL upsert: $got"
