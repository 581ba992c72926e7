# The stateful crash test: examples/c/checkpointed_counts keeps a count per key in keyed state
# and writes every updated count through the exactly-once filesystem sink. Killed with SIGKILL
# at random moments and started again (it resumes from its newest checkpoint) until it
# finishes, its visible output must hold every count 1..N/10 of every key exactly once: a lost
# state would restart counts at 1 (duplicates), a replayed source would count past N/10.
. "$(dirname "$0")/lib.sh"
EX=${EXAMPLES:-$(dirname "$WEIR")/examples}
N=20000

killed=0
for round in 1 2 3 4 5 6 7 8 9 10; do
    "$EX/checkpointed_counts" "$TMP/out" "$TMP/chk" $N >"$TMP/run$round.log" 2>&1 &
    pid=$!
    ms=$((400 + RANDOM % 1200))
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    if kill -9 $pid 2>/dev/null; then
        wait $pid 2>/dev/null
        killed=$((killed + 1))
        [ $killed -ge 4 ] && break
    else
        wait $pid || { cat "$TMP/run$round.log"; fail "round $round failed"; }
        break
    fi
done
# Let it finish.
timeout 120 "$EX/checkpointed_counts" "$TMP/out" "$TMP/chk" $N >"$TMP/last.log" 2>&1 ||
    { cat "$TMP/last.log"; fail "the last run failed"; }
find "$TMP/out" -maxdepth 1 -type f ! -name '.*' -exec cat {} + | sort -t, -k1,1n -k2,2n >"$TMP/counts"
total=$(wc -l <"$TMP/counts")
dups=$(uniq -d "$TMP/counts" | wc -l)
want=$(for k in 0 1 2 3 4 5 6 7 8 9; do seq 1 $((N / 10)) | sed "s/^/$k,/"; done | sort -t, -k1,1n -k2,2n)
missing=$(comm -23 <(echo "$want" | sort) <(uniq "$TMP/counts" | sort) | wc -l)
echo "stateful crash: $killed kill(s), $total count lines; missing = $missing, duplicated = $dups"
[ "$dups" -eq 0 ] || fail "$dups count lines appear twice"
[ "$missing" -eq 0 ] || fail "$missing counts are missing"
[ "$total" -eq "$N" ] || fail "expected $N count lines, found $total"
echo "ok: stateful crash"
