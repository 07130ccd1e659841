# SPDX-License-Identifier: AGPL-3.0-or-later
# A node catching up with a federation of three members, in many
# reconciliations ([sync] session_ids = 256), runs that series with one
# peer: each goes on from where the one before stopped, and the other
# links wait instead of running the same series each.
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
printf '\n[sync]\nsession_ids = 256\n' >>"$T/C/amied.conf"
expect_code 0 "$AMIE" --dir "$T/C" daemon reload
join C A || finish
wait_for 120 same_records A C || fail "C has $(records C) of $(records A)"
"$AMIE" --dir "$T/C" peers --json >"$T/peers.json" 2>/dev/null ||
    fail "peers --json"
# One line a link: sessions, continued.
awk '/"continued"/ { c = $2 } /"sessions"/ { s = $2 }
    /^    }/ { gsub(",", "", c); gsub(",", "", s); print s + 0, c + 0 }' \
    "$T/peers.json" | sort -rn >"$T/series"
echo "  sessions, continued, per link: $(tr '\n' ';' <"$T/series")" >&2
# A message of the peer can reveal thousands of ids, so 5,000 records
# take two sessions or more at 256 a session, each after the first going
# on from the last.
read -r MOST CONT <"$T/series"
[ "${MOST:-0}" -ge 2 ] || fail "the busiest link ran $MOST sessions"
[ "${CONT:-0}" -ge 1 ] && [ "$CONT" -ge $((MOST - 1)) ] ||
    fail "$CONT of its $MOST sessions went on from the last"
# The others ran no series of their own: at most a session before it
# started and one after it ended, neither going on from another.
OTHERS=$(sed 1d "$T/series" | awk '$1 > 2 || $2 > 0 { n++ } END { print n + 0 }')
[ "$OTHERS" = 0 ] || fail "$OTHERS other links ran a series of their own"
expect_code 0 "$AMIE" --dir "$T/C" check
stop_node "$PID_A"
stop_node "$PID_B"
stop_node "$PID_D"
stop_node "$PID_C"
finish
