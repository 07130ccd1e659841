# SPDX-License-Identifier: AGPL-3.0-or-later
# A reconciliation of ours cut off on a link the peer opened starts again
# when the peer is back, as amie sync --wait's message says ("it goes on
# when they are back").  B opens no link of its own; its amie sync runs on
# A's link to it.  A pauses, B drops the silent link and amie sync gives
# up with status 75; once A is back, B must start a session with it again.
. tests/integration/lib.sh

INTERVAL=3600
inbound_only_pair || finish
# B again, without the outbound link it joined on.
stop_node "$PID_B"
start_node "$T/B" || finish
PID_B=$NODE_PID
wait_for 20 only_inbound B || fail "B has no inbound link"
kill -STOP "$PID_A"
expect_code 75 "$AMIE" --dir "$T/B" sync --wait --timeout 40
grep -q "goes on when they are back" "$T/err" || fail "message: $(cat "$T/err")"
kill -CONT "$PID_A"
wait_for 30 only_inbound B || fail "A did not link again"
sessions_started() {
	[ "$(peer_field B sessions)" -ge 1 ]
}
wait_for 20 sessions_started ||
    fail "B never started its cut-off sync again: sessions $(peer_field B sessions)"

stop_node "$PID_A"
stop_node "$PID_B"
finish
