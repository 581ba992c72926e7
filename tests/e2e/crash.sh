# The crash test of docs/checkpoints.md: a checkpointed job writing ids 1..N through the
# filesystem sink is killed with SIGKILL at random moments and resumed with --resume each
# time, then left to finish. The visible files (names not starting with '.') must hold every
# id exactly once: the source continues from its checkpointed position, and the sink makes
# only rows of completed checkpoints visible (two-phase commit).
. "$(dirname "$0")/lib.sh"

N=20000
ROUNDS=6
cat >"$TMP/job.sql" <<SQL
SET 'pipeline.name' = 'crash-test';
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '200 ms';
SET 'state.checkpoints.dir' = '$TMP/chk';
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '4000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '$N');
CREATE TABLE out (id BIGINT) WITH ('connector' = 'filesystem', 'path' = '$TMP/out/ids',
  'format' = 'csv', 'sink.rolling-policy.file-size' = '1 kb');
INSERT INTO out SELECT id FROM src;
SQL

# Prints the ids in the visible files, one per line.
visible_ids() {
    find "$TMP/out/ids" -maxdepth 1 -type f ! -name '.*' -exec cat {} + 2>/dev/null
}

# Checks, after a kill, that the visible files hold only rows the latest complete checkpoint
# covers. datagen's operator state lists the row-index ranges [lo, hi) a subtask had not produced
# yet (u32 version, u32 count, then u64 pairs, little-endian); id = index + 1. Without a
# checkpoint nothing is covered. The one exception: a subtask whose sink committed its last rows
# at end of input (every id of its half visible), which no checkpoint covers.
check_covered() {
    local dir="" ranges=""
    for d in "$TMP"/chk/crash-test/chk-*; do
        [ -f "$d/_metadata" ] || continue
        if [ -z "$dir" ] || [ "${d##*chk-}" -gt "${dir##*chk-}" ]; then dir=$d; fi
    done
    if [ -z "$dir" ]; then
        ranges="0 $N"
    else
        while read -r _ name v _ kg _ _; do
            [ "$v" = 0 ] && [ "$kg" = -1 ] || continue
            ranges="$ranges $(od -An -tu8 -j8 "$dir/$name" | tr -s ' \n' ' ')"
        done < <(grep '^file ' "$dir/_metadata")
    fi
    visible_ids | awk -v n=$N -v ranges="$ranges" -v chk="${dir##*/}" '
        BEGIN { k = split(ranges, r, " ") }
        {
            i = $1 - 1; s = i >= n / 2; count[s]++
            for (j = 1; j + 1 <= k; j += 2) if (i >= r[j] && i < r[j + 1]) { beyond[s]++; break }
        }
        END {
            for (s = 0; s < 2; s++)
                if (beyond[s] > 0 && count[s] != n / 2) {
                    printf "subtask %d: %d visible ids beyond %s\n", s, beyond[s],
                        chk == "" ? "the start (no checkpoint)" : chk
                    bad = 1
                }
            exit bad
        }'
}

killed=0 finished=0 round=0
while [ $round -lt $ROUNDS ]; do
    round=$((round + 1))
    resume=
    [ $round -gt 1 ] && resume=--resume
    "$WEIR" sql -f "$TMP/job.sql" $resume >"$TMP/run$round.log" 2>&1 &
    pid=$!
    ms=$((300 + RANDOM % 1200))
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    if kill -9 $pid 2>/dev/null; then
        wait $pid 2>/dev/null
        killed=$((killed + 1))
        # Whatever a crash leaves visible belongs to completed checkpoints: no id twice.
        dups=$(visible_ids | sort -n | uniq -d | wc -l)
        [ "$dups" -eq 0 ] || fail "round $round: $dups ids visible twice after the kill"
        check_covered || fail "round $round: rows of an uncompleted checkpoint are visible"
        echo "round $round: killed after $ms ms, $(visible_ids | wc -l) rows visible"
    else
        wait $pid || { cat "$TMP/run$round.log"; fail "round $round: the job failed"; }
        finished=1
        echo "round $round: the job finished before the kill ($ms ms)"
        break
    fi
done
if [ $finished -eq 0 ]; then
    "$WEIR" sql -f "$TMP/job.sql" --resume >"$TMP/final.log" 2>&1 ||
        { cat "$TMP/final.log"; fail "the final resumed run failed"; }
    echo "final run: finished"
fi
[ $killed -ge 1 ] || fail "the job was never killed: the test proves nothing"

visible_ids | sort -n >"$TMP/ids"
total=$(wc -l <"$TMP/ids")
distinct=$(uniq <"$TMP/ids" | wc -l)
inrange=$(uniq <"$TMP/ids" | awk -v n=$N '$1 >= 1 && $1 <= n' | wc -l)
lost=$((N - inrange))
duplicated=$((total - distinct))
files=$(find "$TMP/out/ids" -maxdepth 1 -type f ! -name '.*' | wc -l)
echo "crash: $killed kill(s), $total rows in $files visible files; lost = $lost, duplicated = $duplicated"
[ "$distinct" -eq "$inrange" ] || fail "ids outside 1..$N are visible"
[ $lost -eq 0 ] || fail "$lost ids lost"
[ $duplicated -eq 0 ] || fail "$duplicated ids duplicated"
echo "ok: crash (exactly-once through $killed kills)"
