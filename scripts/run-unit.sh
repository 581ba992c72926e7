#!/usr/bin/env bash
# Runs each Criterion unit-test binary given on the command line and sums the
# results into one closing line. Exits non-zero when any binary fails.
set -u
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
pass=0 fail=0 bad=0
for t in "$@"; do
    out=$("$t" --jobs 2 2>&1)
    rc=$?
    line=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -1)
    p=$(printf '%s' "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(printf '%s' "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    c=$(printf '%s' "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
    pass=$((pass + ${p:-0}))
    fail=$((fail + ${f:-0}))
    if [ $rc -ne 0 ] || [ -z "$line" ]; then
        bad=1
        printf '%s\n' "$out" | grep -v '^\[----\]' >&2
        [ -z "$line" ] && fail=$((fail + 1))
    fi
    echo "unit: $(basename "$t"): ${line:-crashed (exit $rc)}"
done
echo "unit: $pass passed, $fail failed"
exit $bad
