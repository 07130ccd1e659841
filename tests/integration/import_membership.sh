# SPDX-License-Identifier: AGPL-3.0-or-later
# A membership record brought by amie import takes effect at once, as one
# that comes from a peer does: C is removed on B while A and C are down,
# and the removal reaches A only in a bundle.  Once A imports it, A drops
# C's links and refuses C.  Before, import stored it quietly and A went
# on talking with C until its next restart.
. tests/integration/lib.sh

INTERVAL=3600
new_node A --federation Nord || finish
new_node B || finish
new_node C || finish
join B A || finish
join C A || finish
wait_for 20 linked B || fail "B has no link"
wait_for 20 linked C || fail "C has no link"
CID=$("$AMIE" --dir "$T/C" id) || fail "id of C"

stop_node "$PID_A"
stop_node "$PID_C"
"$AMIE" --dir "$T/B" member remove "$CID" --reason compromised \
    >/dev/null 2>"$T/rm.err" || fail "member remove on B: $(cat "$T/rm.err")"
"$AMIE" --dir "$T/B" export "$T/rm.bndl" >/dev/null 2>&1 || fail "export on B"
stop_node "$PID_B"
start_node "$T/A" || finish
PID_A=$NODE_PID
start_node "$T/C" || finish
PID_C=$NODE_PID

# c_connected: A has a connected link with C.
c_connected() {
	"$AMIE" --dir "$T/A" peers --json >"$T/ap.json" 2>/dev/null &&
	    awk -v id="$CID" '
	    $1 == "\"id\":" { cur = $2 }
	    $1 == "\"state\":" && index(cur, id) && $2 ~ /"connected"/ { f = 1 }
	    END { exit !f }' "$T/ap.json"
}
c_gone() {
	! c_connected
}
wait_for 30 c_connected || fail "A and C did not link again: $(cat "$T/ap.json")"
"$AMIE" --dir "$T/A" import "$T/rm.bndl" >"$T/import.out" 2>&1 ||
    fail "import on A: $(cat "$T/import.out")"
"$AMIE" --dir "$T/A" members --json >"$T/members.json" 2>/dev/null
grep -q '"removed"' "$T/members.json" ||
    fail "A does not show C removed: $(cat "$T/members.json")"
wait_for 10 c_gone ||
    fail "A still has a link with C 10 s after the import: $(cat "$T/ap.json")"

stop_node "$PID_A"
stop_node "$PID_C"
finish
