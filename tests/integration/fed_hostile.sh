# SPDX-License-Identifier: AGPL-3.0-or-later
# Hostile and foreign peers over CurveZMQ: a key that is no member (or
# belongs to another federation) is refused at the handshake; a member
# speaking for another federation, sending garbage or a record with a
# bad signature is dropped and backed off, nothing of it is stored, and
# the node keeps serving.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
new_node C || finish
new_node D || finish
new_node E --federation Sud || finish
join B A || finish
join C A || finish
join D A || finish
wait_for 20 same_records A B || fail "A and B differ"

peer_target A || fail "status of A"

# E is no member: refused before it can say anything.
stop_node "$PID_E"
out=$("$PEERTOOL" "$T/E" "$EP" "$AID" "$NET" hello)
[ "$out" = "refused at handshake" ] || fail "a foreign key got through: $out"

# Members play hostile with their own keys (their amied stopped).
stop_node "$PID_B"
out=$("$PEERTOOL" "$T/B" "$EP" "$AID" "$NET" wrongnet)
case "$out" in "error: "*federation*) ;; *) fail "HELLO of another federation: $out" ;; esac
out=$("$PEERTOOL" "$T/B" "$EP" "$AID" "$NET" hello)
[ "$out" = "no answer" ] || fail "a peer in its penalty got an answer: $out"

backed_off() {
	"$AMIE" --dir "$T/A" peers --json 2>/dev/null | grep -q '"state": "backoff"'
}
stop_node "$PID_C"
BEFORE=$(records A)
out=$("$PEERTOOL" "$T/C" "$EP" "$AID" "$NET" badsig)
[ "$out" = "disconnected" ] || fail "a peer with a bad signature stayed: $out"
[ "$(records A)" = "$BEFORE" ] || fail "something of the bad record was stored"
backed_off || fail "amie peers does not show the backoff"
"$AMIE" --dir "$T/A" peers --json >"$T/peers.json"
grep -q "invalid record" "$T/peers.json" || fail "no reason in amie peers: $(cat "$T/peers.json")"
grep -q "sig: does not verify" "$T/A.log" || fail "the refusal is not logged with its reason"

# The node still serves its other members.
X=$(add_article A "Still serving") || fail "add on A"
wait_for 30 has_article D "$X" || fail "D no longer syncs with A"

stop_node "$PID_A"
stop_node "$PID_D"
finish
