# SPDX-License-Identifier: AGPL-3.0-or-later
# A node offers on the records it stores from a link only when they are
# recent (NET_RELAY_RECENT_MS): in a chain N1 - N2 - N3, old records N1
# offers reach N2 and stop there, a fresh article crosses to N3 at once,
# and N3's own reconciliation brings the old ones.
. tests/integration/lib.sh

N=200

# No periodic reconciliation: once the first sessions are over, only
# offers (and amie sync) move records.
INTERVAL=3600
MAX_PEERS=0 new_node N1 --federation Relais || finish
MAX_PEERS=1
new_node N2 || finish
join N2 N1 || finish
new_node N3 || finish
join N3 N2 || finish
wait_for 60 same_records N1 N3 || fail "N3 has $(records N3) of $(records N1) records"
# A new link runs one session when its HELLO is answered, then none for
# the interval (before 2026-11-30 the tick ran a second one at once).
# Once it has started, amie sync --wait returns when no session is under
# way: from there on only offers bring N3 anything.
one_session() {
	s=$(peer_field N3 sessions)
	[ "${s:-0}" -ge 1 ]
}
wait_for 30 one_session ||
    fail "N3's link ran $(peer_field N3 sessions) sessions, not 1"
expect_code 0 "$AMIE" --dir "$T/N3" sync --wait --timeout 60
SESSIONS=$(peer_field N3 sessions)
BEFORE=$(records N3)

# Old records (timestamps of 2025), which N1 offers to N2 as it stores
# them: N2 fetches them and does not offer them on.
"$CTLTOOL" bulk "$T/N1" "$T/N1" "$N" offered >/dev/null || fail "bulk into N1"
wait_for 60 same_records N1 N2 || fail "N2 has $(records N2) of $(records N1) records"

# A fresh article, offered by N1 to N2 and by N2 to N3.  N2's offers to
# N3 go in order on one link, and N3 asks for what it lacks in that
# order: had the old records been offered, they would be there first.
FRESH=$(add_article N1 "Fresh from the first") || fail "add on N1"
wait_for 60 has_article N3 "$FRESH" || fail "N3 lacks the fresh article"
GOT=$(records N3)
[ "$(peer_field N3 sessions)" = "$SESSIONS" ] ||
    fail "N3 reconciled meanwhile: $SESSIONS sessions, then $(peer_field N3 sessions)"
[ "$GOT" -eq $((BEFORE + 1)) ] ||
    fail "N3 went from $BEFORE to $GOT records: old ones were offered"

# Its own reconciliation brings the rest.
expect_code 0 "$AMIE" --dir "$T/N3" sync --wait --timeout 60
wait_for 30 same_records N1 N3 || fail "N3 has $(records N3) of $(records N1) records"
stop_node "$PID_N1"
stop_node "$PID_N2"
stop_node "$PID_N3"
finish
