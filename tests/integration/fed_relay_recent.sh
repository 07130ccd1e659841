# SPDX-License-Identifier: AGPL-3.0-or-later
# A node offers on the records it stores from a link only when they are
# recent (NET_RELAY_RECENT_MS): a fresh article crosses a chain of three
# at once, while old records that the middle node catches up on reach the
# far end with its own reconciliation, not through offers.
. tests/integration/lib.sh

N=200

MAX_PEERS=1
new_node N1 --federation Relais || finish
new_node N2 || finish
join N2 N1 || finish
new_node N3 || finish
join N3 N2 || finish
wait_for 60 same_records N1 N3 || fail "N3 has $(records N3) of $(records N1) records"
# No periodic reconciliation from here on: only offers move records.
for n in N2 N3; do
	printf 'interval = 3600\n' >>"$T/$n/amied.conf"
	expect_code 0 "$AMIE" --dir "$T/$n" daemon reload
done
wait_for 30 sh -c "'$AMIE' --dir '$T/N3' peers --json | grep -q '\"state\": \"connected\"'" ||
    fail "N3 has no connected peer"
BEFORE=$(records N3)

# Old records (timestamps of 2025), loaded on N1 without offers, fetched
# by N2's reconciliation.
"$CTLTOOL" bulk "$T/N1" "$T/N1" "$N" all >/dev/null || fail "bulk into N1"
expect_code 0 "$AMIE" --dir "$T/N2" sync --wait --timeout 60
wait_for 30 same_records N1 N2 || fail "N2 has $(records N2) of $(records N1) records"

# A fresh article, offered by N1 to N2 and by N2 to N3.  N2's offers to
# N3 go in order on one link, and N3 asks for what it lacks in that
# order: had the old records been offered, they would be there first.
FRESH=$(add_article N1 "Fresh from the first") || fail "add on N1"
wait_for 60 has_article N3 "$FRESH" || fail "N3 lacks the fresh article"
GOT=$(records N3)
[ "$GOT" -eq $((BEFORE + 1)) ] ||
    fail "N3 went from $BEFORE to $GOT records: old ones were offered"

# Its own reconciliation brings the rest.
expect_code 0 "$AMIE" --dir "$T/N3" sync --wait --timeout 60
wait_for 30 same_records N1 N3 || fail "N3 has $(records N3) of $(records N1) records"
stop_node "$PID_N1"
stop_node "$PID_N2"
stop_node "$PID_N3"
finish
