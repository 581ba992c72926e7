# Bad SQL is reported with the line and column of the offending token, the
# source line and a caret, and a non-zero exit.
. "$(dirname "$0")/lib.sh"
check() { # name, expected message, expected "line L, column C", sql
    printf '%s\n' "$4" >"$TMP/$1.sql"
    if "$WEIR" sql -f "$TMP/$1.sql" >"$TMP/$1.out" 2>"$TMP/$1.err"; then
        fail "$1: expected an error"
    fi
    grep -qF -- "$2" "$TMP/$1.err" || { cat "$TMP/$1.err"; fail "$1: message '$2' missing"; }
    grep -qF -- "$3" "$TMP/$1.err" || { cat "$TMP/$1.err"; fail "$1: position '$3' missing"; }
    grep -q '^ *\^$' "$TMP/$1.err" || { cat "$TMP/$1.err"; fail "$1: no caret line"; }
}
check connector2 "unknown connector 'datagenx'" "line 2, column 21" \
"CREATE TABLE t (a INT)
WITH ('connector' = 'datagenx');"
check option "unsupported option 'rows-per-sec'" "line 3, column 3" \
"CREATE TABLE t (a INT) WITH (
  'connector' = 'datagen',
  'rows-per-sec' = '5');"
check value "invalid value 'fast' for option 'rows-per-second'" "line 2, column 75" \
"-- a comment line
CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'rows-per-second' = 'fast');"
check column "unknown column 'b'" "line 3, column 24" \
"CREATE TABLE src (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '1');
CREATE TABLE dst (a INT) WITH ('connector' = 'blackhole');
INSERT INTO dst SELECT b FROM src;"
check mismatch "type mismatch for column 'a' of table 'dst'" "line 3, column 24" \
"CREATE TABLE src (s STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '1');
CREATE TABLE dst (a INT) WITH ('connector' = 'blackhole');
INSERT INTO dst SELECT s FROM src;"
check operator "cannot apply '+'" "line 1, column 10" \
"SELECT 1 + 'x';"
check syntax "expected" "line 2, column 1" \
"SELECT (1
;"
check comment "unterminated" "line 1, column 8" \
"SELECT /* never closed"
echo "ok: errors carry positions"
