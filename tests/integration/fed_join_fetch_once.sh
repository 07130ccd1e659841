# SPDX-License-Identifier: AGPL-3.0-or-later
# A node joining a federation of several members hears of every record
# from each of its peers, but asks for each record on one link only:
# next to none of the records it receives are ones it has already.
. tests/integration/lib.sh

N=5000

new_node A --federation Nord || finish
"$CTLTOOL" bulk "$T/A" "$T/A" "$N" all >/dev/null || fail "bulk into A"
new_node B || finish
join B A || finish
wait_for 120 same_records A B || fail "B has $(records B) of $(records A)"
new_node D || finish
join D A || finish
wait_for 120 same_records A D || fail "D has $(records D) of $(records A)"

new_node C || finish
join C A || finish
wait_for 120 same_records A C || fail "C has $(records C) of $(records A)"
"$AMIE" --dir "$T/C" peers --json >"$T/peers.json" 2>/dev/null ||
    fail "peers --json"
TOTAL=$(sed -n 's/.*"bytes_received": \([0-9]*\).*/\1/p' "$T/peers.json" |
    awk '{ s += $1 } END { print s + 0 }')
DUPS=$(sed -n 's/.*"duplicates": \([0-9]*\).*/\1/p' "$T/peers.json" |
    awk '{ s += $1 } END { print s + 0 }')
echo "  C received $TOTAL bytes, $((TOTAL / N)) a record; $DUPS twice" >&2
# A record pushed by two peers at once may still come twice; asked for
# on every link, most did.
[ "$DUPS" -lt $((N / 50)) ] || fail "C received $DUPS records it had"
expect_code 0 "$AMIE" --dir "$T/C" check
stop_node "$PID_A"
stop_node "$PID_B"
stop_node "$PID_D"
stop_node "$PID_C"
finish
