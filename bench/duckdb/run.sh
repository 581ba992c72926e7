#!/usr/bin/env bash
# Weir against DuckDB on the same data and queries, on this machine, in one run:
# a GROUP BY over N rows and a hash join of N rows with N/10, each engine with one
# and two threads (Weir: parallelism 1 and 2). Installs DuckDB from npm
# (@duckdb/node-api) into bench/duckdb/node_modules on first use.
#   bash bench/duckdb/run.sh [ROWS] [RUNS]      (defaults 10000000 and 3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rows=${1:-10000000}
runs=${2:-3}
weir="$root/build/weir"
[ -x "$weir" ] || make -C "$root" build/weir >/dev/null
if [ ! -d "$here/node_modules/@duckdb/node-api" ]; then
    echo "installing @duckdb/node-api into $here/node_modules" >&2
    (cd "$here" && npm install --no-save --no-audit --no-fund @duckdb/node-api >/dev/null)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
subst() { sed -e "s/@ROWS@/$rows/g" -e "s/@LAST@/$((rows - 1))/g" -e "s/@DIM@/$((rows / 10))/g" "$1" > "$2"; }
for q in groupby join; do
    subst "$here/$q.weir.sql" "$tmp/$q.weir.sql"
    subst "$here/$q.duckdb.sql" "$tmp/$q.duckdb.sql"
    for p in 1 2; do
        w=$( (echo "SET 'parallelism.default' = '$p';"; cat "$tmp/$q.weir.sql") > "$tmp/$q.p$p.sql"
             "$weir" bench sql "$tmp/$q.p$p.sql" --runs "$runs" --rows "$rows" --json)
        d=$(node "$here/duckdb.mjs" "$tmp/$q.duckdb.sql" "$p" "$runs" "$rows")
        ws=$(sed -E 's/.*"seconds":([0-9.]+).*/\1/' <<<"$w")
        ds=$(sed -E 's/.*"seconds":([0-9.]+).*/\1/' <<<"$d")
        printf '%-8s threads=%d  weir %.3f s  duckdb %.3f s  weir/duckdb %.2fx\n' \
            "$q" "$p" "$ws" "$ds" "$(echo "$ws / $ds" | bc -l)"
        echo "  weir:   $w"
        echo "  duckdb: $d"
    done
done
