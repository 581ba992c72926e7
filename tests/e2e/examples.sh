# The C API examples (built with ASan into build/asan/examples/) give the
# results their documentation promises: word counts, event-time window counts
# over out-of-order input, fraud alerts from state and timers, and SQL over a
# stream through the Table API.
. "$(dirname "$0")/lib.sh"
EX=${EXAMPLES:-$(dirname "$WEIR")/examples}

# wordcount: one "word count" line per distinct word, words lower-cased runs of letters.
cat >"$TMP/words.txt" <<'TXT'
The quick brown fox -- jumps over the lazy dog.
THE DOG barks; the fox runs!  x1y2z
TXT
"$EX/wordcount" "$TMP/words.txt" | sort >"$TMP/wc.out" || fail "wordcount failed"
tr -cs 'A-Za-z' '\n' <"$TMP/words.txt" | tr 'A-Z' 'a-z' | grep -v '^$' | sort | uniq -c |
    awk '{print $2, $1}' | sort >"$TMP/wc.want"
diff -u "$TMP/wc.want" "$TMP/wc.out" || fail "wordcount output differs"

# windowed_counts: 10 s tumbling windows, events up to 5 s out of order.
cat >"$TMP/events.csv" <<'CSV'
1000,a
4000,b
2000,a
9000,b
12000,a
8000,b
15000,b
11000,a
21000,a
16000,b
29000,a
35000,c
31000,a
CSV
"$EX/windowed_counts" <"$TMP/events.csv" >"$TMP/win.out" || fail "windowed_counts failed"
cat >"$TMP/win.want" <<'OUT'
0,a,2
0,b,3
10000,a,2
10000,b,2
20000,a,2
30000,a,1
30000,c,1
OUT
sort "$TMP/win.out" | diff -u "$TMP/win.want" - || fail "windowed_counts output differs"

# fraud_detection: a small then a large amount within a minute raises an alert.
cat >"$TMP/tx.csv" <<'CSV'
0,acct1,0.50
1000,acct1,900.00
2000,acct2,0.10
70000,acct2,800.00
80000,acct3,20.00
81000,acct3,700.00
90000,acct1,0.99
95000,acct1,501.00
CSV
"$EX/fraud_detection" "$TMP/tx.csv" >"$TMP/fraud.out" || fail "fraud_detection failed"
cat >"$TMP/fraud.want" <<'OUT'
ALERT account=acct1 small=0.50 large=900.00 at=1000
ALERT account=acct1 small=0.99 large=501.00 at=95000
OUT
sort "$TMP/fraud.out" | diff -u "$TMP/fraud.want" - || fail "fraud_detection output differs"

# table_api: 10 s windows in SQL and through the Table API calls (the same rows, +I only), and
# running counts per user that retract their previous value (-U) before the new one (+U).
"$EX/table_api" >"$TMP/table.out" || fail "table_api failed"
cat >"$TMP/table.want" <<'OUT'
calls> +I[alice, 2024-01-01T00:00, 2024-01-01T00:00:10, 2]
calls> +I[alice, 2024-01-01T00:00:10, 2024-01-01T00:00:20, 2]
calls> +I[alice, 2024-01-01T00:00:20, 2024-01-01T00:00:30, 1]
calls> +I[bob, 2024-01-01T00:00, 2024-01-01T00:00:10, 2]
calls> +I[bob, 2024-01-01T00:00:10, 2024-01-01T00:00:20, 1]
calls> +I[bob, 2024-01-01T00:00:20, 2024-01-01T00:00:30, 1]
calls> +I[carol, 2024-01-01T00:00, 2024-01-01T00:00:10, 1]
calls> +I[carol, 2024-01-01T00:00:20, 2024-01-01T00:00:30, 2]
totals> +I[alice, 1]
totals> +I[bob, 1]
totals> +I[carol, 1]
totals> +U[alice, 2]
totals> +U[alice, 3]
totals> +U[alice, 4]
totals> +U[alice, 5]
totals> +U[bob, 2]
totals> +U[bob, 3]
totals> +U[bob, 4]
totals> +U[carol, 2]
totals> +U[carol, 3]
totals> -U[alice, 1]
totals> -U[alice, 2]
totals> -U[alice, 3]
totals> -U[alice, 4]
totals> -U[bob, 1]
totals> -U[bob, 2]
totals> -U[bob, 3]
totals> -U[carol, 1]
totals> -U[carol, 2]
windows> +I[alice, 2024-01-01T00:00, 2024-01-01T00:00:10, 2]
windows> +I[alice, 2024-01-01T00:00:10, 2024-01-01T00:00:20, 2]
windows> +I[alice, 2024-01-01T00:00:20, 2024-01-01T00:00:30, 1]
windows> +I[bob, 2024-01-01T00:00, 2024-01-01T00:00:10, 2]
windows> +I[bob, 2024-01-01T00:00:10, 2024-01-01T00:00:20, 1]
windows> +I[bob, 2024-01-01T00:00:20, 2024-01-01T00:00:30, 1]
windows> +I[carol, 2024-01-01T00:00, 2024-01-01T00:00:10, 1]
windows> +I[carol, 2024-01-01T00:00:20, 2024-01-01T00:00:30, 2]
OUT
LC_ALL=C sort "$TMP/table.out" | diff -u "$TMP/table.want" - || fail "table_api output differs"
# The running counts come in order for each user: the last change is the final count.
grep '^totals> +U\[alice' "$TMP/table.out" | tail -1 | grep -q 'alice, 5' ||
    fail "table_api: alice's last count is not 5"
exit 0
