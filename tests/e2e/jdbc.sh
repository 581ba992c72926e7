# The 'jdbc' connector end to end against a PostgreSQL server started here
# (tests/tools/pgtest.sh): `weir sql -f` inserts a datagen sequence into a
# table (COPY, parallelism 2), upserts an aggregate's changelog into a table
# with a primary key ('postgres' is the same connector), writes exactly-once
# without checkpointing, and reads a table back split into partitions; psql
# checks the rows. A missing table fails the job naming it. Skipped, with a
# notice, when the PostgreSQL server binaries are not installed.
. "$(dirname "$0")/lib.sh"
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
trap 'bash "$PGTEST" stop "$SRV"; rm -rf "$TMP"' EXIT
command -v psql >/dev/null || fail "psql is not installed"
pg() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U weir -d postgres -c "$1"; }
URL="jdbc:postgresql://127.0.0.1:$PORT/postgres"

pg "CREATE TABLE events (id bigint, name text, amount numeric(10, 2), ts timestamp(3));
    CREATE TABLE totals (name text PRIMARY KEY, n bigint, total numeric(12, 2));
    CREATE TABLE audit (id bigint, note text);" || fail "cannot create the tables"

cat >"$TMP/write.sql" <<SQL
SET 'parallelism.default' = '2';
CREATE TABLE gen (id BIGINT NOT NULL, k INT) WITH ('connector' = 'datagen',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '5000',
  'fields.k.min' = '0', 'fields.k.max' = '4');
CREATE TABLE events (id BIGINT, name STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3)) WITH (
  'connector' = 'jdbc', 'url' = '$URL', 'table-name' = 'events', 'username' = 'weir',
  'driver' = 'org.postgresql.Driver', 'sink.buffer-flush.max-rows' = '500');
INSERT INTO events SELECT id, CONCAT('n', CAST(MOD(id, 7) AS STRING)),
  CAST(id AS DECIMAL(10, 2)) / 100, TIMESTAMP '2024-01-01 00:00:00' FROM gen;
CREATE TABLE totals (name STRING, n BIGINT, total DECIMAL(12, 2),
  PRIMARY KEY (name) NOT ENFORCED) WITH (
  'connector' = 'postgres', 'url' = '$URL?user=weir', 'table-name' = 'totals');
INSERT INTO totals VALUES ('x', 1, 1.00), ('y', 1, 2.00), ('x', 5, 5.00);
INSERT INTO totals SELECT name, COUNT(*), SUM(amount) FROM events GROUP BY name;
CREATE TABLE audit (id BIGINT, note STRING) WITH ('connector' = 'jdbc', 'url' = '$URL',
  'table-name' = 'audit', 'username' = 'weir', 'sink.delivery-guarantee' = 'exactly-once');
INSERT INTO audit VALUES (1, 'tab	and ''quote'''), (2, CAST(NULL AS STRING));
SQL
"$WEIR" sql -f "$TMP/write.sql" >"$TMP/write.out" 2>&1 || { cat "$TMP/write.out"; fail "the writing jobs failed"; }

got=$(pg "SELECT count(*), count(DISTINCT id), sum(id), sum(amount), min(ts) FROM events")
[ "$got" = "5000|5000|12502500|125025.00|2024-01-01 00:00:00" ] || fail "events: got '$got'"
# The aggregate's last values per key, as PostgreSQL computes them, and the VALUES' upserts.
got=$(pg "SELECT string_agg(name || ':' || n || ':' || total, ' ' ORDER BY name) FROM totals")
want=$(pg "SELECT string_agg(name || ':' || n || ':' || total, ' ' ORDER BY name) FROM
  (SELECT name, count(*) AS n, sum(amount) AS total FROM events GROUP BY name
   UNION ALL VALUES ('x', 5, 5.00), ('y', 1, 2.00)) AS t")
case "$want" in n0:714:*' x:5:5.00 y:1:2.00') ;; *) fail "totals: unexpected expectation '$want'" ;; esac
[ "$got" = "$want" ] || fail "totals: got '$got', want '$want'"
got=$(pg "SELECT id || '=' || coalesce(note, 'NULL') FROM audit ORDER BY id" | tr '\n' ';')
[ "$got" = "1=tab	and 'quote';2=NULL;" ] || fail "audit: got '$got'"
[ "$(pg "SELECT count(*) FROM pg_prepared_xacts")" = 0 ] || fail "a prepared transaction was left"

# Read back in 4 partitions over 2 subtasks: every row once.
cat >"$TMP/read.sql" <<SQL
SET 'parallelism.default' = '2';
CREATE TABLE events (id BIGINT, name STRING, amount DECIMAL(10, 2)) WITH (
  'connector' = 'jdbc', 'url' = '$URL', 'table-name' = 'events', 'username' = 'weir',
  'scan.partition.column' = 'id', 'scan.partition.num' = '4',
  'scan.partition.lower-bound' = '1', 'scan.partition.upper-bound' = '5000',
  'scan.fetch-size' = '300');
SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids, SUM(amount) AS total FROM events;
SQL
"$WEIR" sql -f "$TMP/read.sql" >"$TMP/read.out" 2>&1 || { cat "$TMP/read.out"; fail "the scan failed"; }
grep -qE '^\| +5000 \| +5000 \| +125025\.00 \|$' "$TMP/read.out" ||
    { cat "$TMP/read.out"; fail "the scan: expected 5000 rows summing to 125025.00"; }

# A table that does not exist fails the job, naming it and quoting the server.
cat >"$TMP/missing.sql" <<SQL
CREATE TABLE nope (id BIGINT) WITH ('connector' = 'jdbc', 'url' = '$URL',
  'table-name' = 'nope', 'username' = 'weir');
INSERT INTO nope VALUES (1);
SQL
if "$WEIR" sql -f "$TMP/missing.sql" >"$TMP/missing.out" 2>&1; then fail "writing a missing table succeeded"; fi
grep -qF "jdbc sink: table 'nope'" "$TMP/missing.out" && grep -qF 'relation "nope" does not exist' "$TMP/missing.out" ||
    { cat "$TMP/missing.out"; fail "the error does not name the table"; }
echo "jdbc: ok"
