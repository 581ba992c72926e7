# The 'json' format of the 'filesystem' connector through SQL: a job reads a JSON Lines file
# (members in any order, unknown and nested members, blank and null lines, escapes) and writes
# JSON Lines through the filesystem sink; a bad line fails the job naming the file, line and
# field, and 'json.ignore-parse-errors' skips it.
. "$(dirname "$0")/lib.sh"
cat >"$TMP/in.json" <<'JSON'
{"id": 1, "name": "alice", "ts": "2024-01-01 10:00:00", "score": 1.5, "ok": true}
{"score": -0.25, "id": 2, "extra": {"nested": [1, {"a": "}"}]}, "name": "b\"o\\b\u00e9", "ok": true}

{"id": 3, "name": null, "ts": "2024-01-01 10:00:01.25"}
null
{"id": "4", "name": "\ud83d\ude00 tab\there", "score": "1e3", "ts": "2024-01-02 00:00:00.001"}
{"id": 5, "name": "filtered out", "ok": false}
JSON

cat >"$TMP/job.sql" <<SQL
CREATE TABLE src (id BIGINT, name STRING, ts TIMESTAMP(3), score DOUBLE, ok BOOLEAN) WITH (
  'connector' = 'filesystem', 'path' = '$TMP/in.json', 'format' = 'json');
CREATE TABLE dst (id BIGINT, name STRING, ts TIMESTAMP(3), score DOUBLE) WITH (
  'connector' = 'filesystem', 'path' = '$TMP/out', 'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601');
INSERT INTO dst SELECT id, name, ts, score * 2 FROM src WHERE ok IS NULL OR ok;
SQL
"$WEIR" sql -f "$TMP/job.sql" >"$TMP/job.out" 2>"$TMP/job.err" || { cat "$TMP/job.err"; fail "json job failed"; }
find "$TMP/out" -maxdepth 1 -type f ! -name '.*' -exec cat {} + | sort >"$TMP/got"
printf '%s\n' \
    '{"id":1,"name":"alice","ts":"2024-01-01T10:00:00","score":3.0}' \
    "{\"id\":2,\"name\":\"b\\\"o\\\\b$(printf '\303\251')\",\"ts\":null,\"score\":-0.5}" \
    '{"id":3,"name":null,"ts":"2024-01-01T10:00:01.25","score":null}' \
    "{\"id\":4,\"name\":\"$(printf '\360\237\230\200') tab\\there\",\"ts\":\"2024-01-02T00:00:00.001\",\"score\":2000.0}" \
    | sort >"$TMP/want"
cmp -s "$TMP/got" "$TMP/want" || { diff "$TMP/want" "$TMP/got"; fail "json job: wrong output"; }

# The output reads back (ISO-8601 timestamps), here into a print table.
cat >"$TMP/back.sql" <<SQL
CREATE TABLE back (id BIGINT, name STRING, ts TIMESTAMP(3)) WITH (
  'connector' = 'filesystem', 'path' = '$TMP/out', 'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601');
CREATE TABLE out (id BIGINT, ts TIMESTAMP(3)) WITH ('connector' = 'print');
INSERT INTO out SELECT id, ts FROM back WHERE id > 1;
SQL
"$WEIR" sql -f "$TMP/back.sql" >"$TMP/back.out" 2>"$TMP/back.err" || { cat "$TMP/back.err"; fail "read back failed"; }
sort "$TMP/back.out" >"$TMP/back.sorted"
printf '%s\n' '+I[2, null]' '+I[3, 2024-01-01T10:00:01.250]' '+I[4, 2024-01-02T00:00:00.001]' >"$TMP/back.want"
cmp -s "$TMP/back.sorted" "$TMP/back.want" || { diff "$TMP/back.want" "$TMP/back.sorted"; fail "read back: wrong rows"; }

# A bad line fails the job with file, line, field and offset; ignore-parse-errors skips it.
printf '{"id": 1}\n{"id": 2.5}\n{"id": 3}\n' >"$TMP/bad.json"
cat >"$TMP/bad.sql" <<SQL
CREATE TABLE src (id INT) WITH ('connector' = 'filesystem', 'path' = '$TMP/bad.json', 'format' = 'json');
CREATE TABLE out (id INT) WITH ('connector' = 'print');
INSERT INTO out SELECT * FROM src;
SQL
if "$WEIR" sql -f "$TMP/bad.sql" >"$TMP/bad.out" 2>"$TMP/bad.err"; then fail "bad line: expected an error"; fi
grep -qF "file '$TMP/bad.json', line 2: field 'id' at offset 7: invalid INT '2.5': not an integer" "$TMP/bad.err" ||
    { cat "$TMP/bad.err"; fail "bad line: message"; }
sed -i "s/'format' = 'json'/'format' = 'json', 'json.ignore-parse-errors' = 'true'/" "$TMP/bad.sql"
"$WEIR" sql -f "$TMP/bad.sql" >"$TMP/skip.out" 2>"$TMP/skip.err" || { cat "$TMP/skip.err"; fail "ignore-parse-errors failed"; }
[ "$(wc -l <"$TMP/skip.out")" -eq 2 ] || { cat "$TMP/skip.out"; fail "ignore-parse-errors: expected 2 rows"; }

# A csv option with format 'json' is reported at CREATE TABLE.
cat >"$TMP/opt.sql" <<SQL
CREATE TABLE src (id INT) WITH ('connector' = 'filesystem', 'path' = '$TMP/bad.json',
  'format' = 'json', 'csv.field-delimiter' = ';');
SQL
if "$WEIR" sql -f "$TMP/opt.sql" >/dev/null 2>"$TMP/opt.err"; then fail "csv option with json accepted"; fi
grep -qF "unsupported option 'csv.field-delimiter'" "$TMP/opt.err" || { cat "$TMP/opt.err"; fail "option: message"; }
echo "ok: json format"
