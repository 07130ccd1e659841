# SPDX-License-Identifier: AGPL-3.0-or-later
# A peer this node cannot reach, but which reaches it: B advertises an
# endpoint nothing listens on, so A's link to B fails ("no answer to
# HELLO") and A backs off from B.  The link B opened to A must stay:
# dropping it too would end the session B runs with A on it, and leave
# what A writes meanwhile unpushed to B.
. tests/integration/lib.sh

# Only push brings B what A writes within the test.
INTERVAL=3600
new_node A --federation Nord || finish
new_node B || finish
DEAD=$(free_port)	# while B runs, so not B's own port
stop_node "$PID_B"
sed -i "/^listen = /a advertise = tcp://127.0.0.1:$DEAD" "$T/B/amied.conf"
start_node "$T/B" || finish
PID_B=$NODE_PID
join B A || finish
wait_for 20 same_records A B || fail "A and B differ after the join"

"$AMIE" --dir "$T/B" status --json >"$T/b.json"
BSHORT=$(json_field node_id "$T/b.json" | cut -c1-7)
[ -n "$BSHORT" ] || fail "no node id for B"

# A's own link to B gets no answer (15 s), then again after its backoff.
wait_for 45 grep -q "dropping outbound link with $BSHORT: no answer to HELLO" "$T/A.log" ||
    fail "A's link to B did not fail: $(grep -i drop "$T/A.log")"
if grep -q "dropping inbound link with $BSHORT" "$T/A.log"; then
	fail "A dropped the link B opened: $(grep "inbound link with $BSHORT" "$T/A.log")"
fi

# B's link to A still carries A's pushes.
X=$(add_article A "Written after A's link to B failed") || fail "add on A"
wait_for 5 has_article B "$X" || fail "A's new article did not reach B"

stop_node "$PID_A"
stop_node "$PID_B"
finish
