# SPDX-License-Identifier: AGPL-3.0-or-later
# A peer that comes back ends the sessions its connection carried, and a
# reconciliation we were running with it on that link starts again at
# once.  B opens no link of its own (max_peers 0): its amie sync runs on
# the link A opened.  A's key (played by peertool, A's amied stopped) is
# opened a session by amie sync and leaves without answering, as a node
# killed at that moment would.  When A's amied comes back, B's amie sync
# must end, with what A wrote meanwhile, within 15 s.  Before, B waited
# for an answer on the dead session until its 30 s timeout (NET_DEAD_MS).
. tests/integration/lib.sh

INTERVAL=3600
inbound_only_pair || finish

# B again, without the link it joined on; A with an article B lacks.
stop_node "$PID_B"
X=$(add_article A "Written while B was away") || fail "add on A"
stop_node "$PID_A"
start_node "$T/B" || finish
PID_B=$NODE_PID
peer_target B || fail "status of B"

"$PEERTOOL" "$T/A" "$EP" "$AID" "$NET" unopened >"$T/pt.out" 2>&1 &
ptpid=$!
wait_for 15 only_inbound B || fail "peertool has no link to B: $(cat "$T/inb.json")"
"$AMIE" --dir "$T/B" sync --wait --timeout 60 >"$T/sync.out" 2>&1 &
spid=$!
wait "$ptpid"
[ "$(cat "$T/pt.out")" = "opened" ] ||
    fail "amie sync opened no session on A's link: $(cat "$T/pt.out")"

start_node "$T/A" || finish
PID_A=$NODE_PID
sync_done() {
	! kill -0 "$spid" 2>/dev/null
}
wait_for 15 sync_done ||
    fail "amie sync on B still waits 15 s after A came back"
wait "$spid" || fail "amie sync on B: $(cat "$T/sync.out")"
has_article B "$X" || fail "B lacks what A wrote"

stop_node "$PID_A"
stop_node "$PID_B"
finish
