#!/usr/bin/env bash
# Runs every tests/e2e/*.sh script with WEIR pointing at a built binary.
# Each script exits 0 on success; this prints one line per script and a total.
set -u
cd "$(dirname "$0")/.."
export WEIR_RELEASE=$PWD/build/weir
export WEIR=${WEIR:-$PWD/build/asan/weir}
pass=0 fail=0
for t in tests/e2e/*.sh; do
    [ "$(basename "$t")" = lib.sh ] && continue
    log=$(mktemp)
    if timeout 300 bash "$t" >"$log" 2>&1; then
        pass=$((pass + 1))
        echo "e2e: ok   $t"
    else
        fail=$((fail + 1))
        echo "e2e: FAIL $t"
        sed 's/^/    /' "$log"
    fi
    rm -f "$log"
done
echo "e2e: $pass passed, $fail failed"
[ $fail -eq 0 ]
