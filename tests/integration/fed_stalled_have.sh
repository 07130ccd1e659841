# SPDX-License-Identifier: AGPL-3.0-or-later
# A member that offers ids with HAVE and never answers the WANTs they
# bring does not stop this node's reconciliations with the others.  A
# link's periodic reconciliation (and the first one on a new link) waits
# while another link has ids to fetch or WANTs out; those of a HAVE
# counted too, so a peer offering an id every second, and never sending
# it, kept B from ever reconciling with A: B never got the article A
# wrote while B was down.
. tests/integration/lib.sh

INTERVAL=2
MAX_PEERS=0 new_node A --federation Nord || finish
MAX_PEERS=8 new_node B || finish
join B A || finish
peer_target A || fail "status of A"
K="$T/stall"
"$PEERTOOL" mint "$T/A" "$K" "$NET" >/dev/null || fail "cannot mint a member"
wait_for 20 same_records A B || fail "B lacks the new member"

# An article on A that B lacks: A opens no link, so only B's
# reconciliation brings it.
stop_node "$PID_B"
ID=$(add_article A "Written while B was down") || fail "kb add on A"
stop_node "$PID_A"

start_node "$T/B" || finish
PID_B=$NODE_PID
peer_target B || fail "status of B"
PEERTOOL_HOLD_MS=60000 "$PEERTOOL" "$K" "$EP" "$AID" "$NET" stall \
    >"$T/pt.out" 2>&1 &
PT=$!
PIDS="$PIDS $PT"
wait_for 10 linked B || fail "the staller has no link to B"
start_node "$T/A" || finish
PID_A=$NODE_PID

wait_for 30 has_article B "$ID" ||
    fail "B never reconciled with A while the staller was linked: $(grep -i 'net:' "$T/B.log" | tail -5)"

kill "$PT" 2>/dev/null
wait "$PT" 2>/dev/null
stop_node "$PID_A"
stop_node "$PID_B"
finish
