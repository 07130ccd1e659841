# SPDX-License-Identifier: AGPL-3.0-or-later
# A node catching up with a federation of three members, in several
# reconciliations ([sync] session_ids = 256), runs that series with one
# peer: each goes on from where the one before stopped, and the other
# links wait instead of running the same series each.
. tests/integration/lib.sh

N=20000

# The members join while A is empty, then each loads the same records
# quietly: quicker than syncing them.  They only accept links, so that
# C's own reconciliations bring everything (a member's would offer it).
MAX_PEERS=0 new_node A --federation Nord || finish
MAX_PEERS=0 new_node B || finish
join B A || finish
MAX_PEERS=0 new_node D || finish
join D A || finish
for n in A B D; do
	"$CTLTOOL" bulk "$T/$n" "$T/A" "$N" all >/dev/null || fail "bulk into $n"
done
wait_for 60 same_records A B || fail "B has $(records B) of $(records A)"
wait_for 60 same_records A D || fail "D has $(records D) of $(records A)"

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
# A message of the peer reveals up to about 8,000 ids, so 20,000 records
# take three sessions or more at 256 a session, those after the first
# going on from the last (one more may follow the series, and a series
# whose link drops starts over).
read -r MOST CONT <"$T/series"
# The others waited: together they went on from a session fewer times
# than the leading link did.  (Without the wait each link runs the whole
# series.  With it, a series can still start over on another link when
# its own link drops and forgets where it stopped.)
OTHERS=$(sed 1d "$T/series" | awk '{ n += $2 } END { print n + 0 }')
[ "${MOST:-0}" -ge 3 ] || fail "the busiest link ran $MOST sessions"
[ "${CONT:-0}" -ge 1 ] ||
    fail "$CONT of its $MOST sessions went on from the last"
[ "$OTHERS" -lt "$CONT" ] ||
    fail "the other links went on $OTHERS times, the leading one $CONT"
expect_code 0 "$AMIE" --dir "$T/C" check
stop_node "$PID_A"
stop_node "$PID_B"
stop_node "$PID_D"
stop_node "$PID_C"
finish
