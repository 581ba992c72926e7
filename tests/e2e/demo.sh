# examples/quickstart.sql (what `make demo` runs) prints rows in Flink's format.
. "$(dirname "$0")/lib.sh"
"$WEIR" sql -f examples/quickstart.sql >"$TMP/out" || fail "quickstart failed"
[ "$(wc -l <"$TMP/out")" -ge 5 ] || fail "quickstart printed too few rows"
grep -qvE '^[12]> \+I\[[0-9]+, cust-[0-9a-zA-Z]+, [0-9]+, (high|express|normal)\]$' "$TMP/out" &&
    { cat "$TMP/out"; fail "unexpected line format"; }
echo "ok: quickstart"
