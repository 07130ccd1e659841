# SPDX-License-Identifier: AGPL-3.0-or-later
# amie sync --wait does not report a sync that was cut off as done: B
# stops answering (SIGSTOP) while A's amie sync --wait runs a session
# with it.  When A drops the silent link, nothing is under way any more,
# but the session never ended: amie sync must give up at its timeout with
# status 75 and say so.  Before, it printed "synced with 1 peer(s)" and
# exited 0 as soon as the link was gone.  Once B answers again, the link
# comes back without a penalty and amie sync --wait succeeds.  Before,
# B's first message after the pause, a session on the connection whose
# inbound link A had dropped, made a new link that had forgotten the
# extensions of B's HELLO: A refused B's short ids as an unknown range
# mode and penalised it for 60 s.
. tests/integration/lib.sh

INTERVAL=3600
new_node A --federation Nord || finish
new_node B || finish
join B A || finish
wait_for 20 linked A || fail "A has no link"

kill -STOP "$PID_B"
# The link is dropped at most NET_DEAD_MS (30 s) after B's last message.
expect_code 75 "$AMIE" --dir "$T/A" sync --wait --timeout 40
grep -q "cut off" "$T/err" || fail "amie sync does not say it was cut off: $(cat "$T/err")"
kill -CONT "$PID_B"

wait_for 60 linked A || fail "A and B did not link again"
expect_code 0 "$AMIE" --dir "$T/A" sync --wait --timeout 60
"$AMIE" --dir "$T/A" peers --json >"$T/peers.json" 2>/dev/null
grep -q '"penalties": [1-9]' "$T/peers.json" &&
    fail "A penalised B: $(grep -i "dropping" "$T/A.log")"

stop_node "$PID_A"
stop_node "$PID_B"
finish
