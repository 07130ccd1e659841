# SPDX-License-Identifier: AGPL-3.0-or-later
# Every kind of hostile message a member can send (tests/tools/peertool.c
# lists them) is refused, logged with its reason and counted in amie
# peers, stores nothing, and leaves the node serving its honest members;
# a key that is no member is refused at the handshake and counted.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node D || finish
join D A || finish
wait_for 20 same_records A D || fail "A and D differ"

peer_target A || fail "status of A"

# counter NAME ID: the sum of counter NAME over the rows of node ID in
# A's amie peers --json.
counter() {
	"$AMIE" --dir "$T/A" peers --json >"$T/peers.json" 2>/dev/null
	awk -v id="$2" -v k="\"$1\":" '
	    $1 == "\"id\":" { cur = $2 }
	    $1 == k && index(cur, id) { gsub(/[^0-9]/, "", $2); s += $2 }
	    END { print s + 0 }' "$T/peers.json"
}

# hostile MODE ANSWER COUNTER GROWTH LOGTEXT: a new member plays MODE
# against A; peertool must print ANSWER, A's record count must grow by
# GROWTH, COUNTER of that member must be at least 1 in amie peers and A's
# log must say LOGTEXT since ("-": no counter, no log expected).
hostile() {
	mode=$1
	K="$T/key-$mode"
	KID=$("$PEERTOOL" mint "$T/A" "$K" "$NET") || {
		fail "$mode: cannot mint a member"
		return
	}
	before=$(records A)
	lines=$(wc -l <"$T/A.log")
	out=$("$PEERTOOL" "$K" "$EP" "$AID" "$NET" "$mode")
	[ "$out" = "$2" ] || fail "$mode: peertool says '$out', expected '$2'"
	after=$(records A)
	[ "$after" = $((before + $4)) ] ||
	    fail "$mode: A went from $before to $after records"
	[ "$3" = - ] || [ "$(counter "$3" "$KID")" -ge 1 ] ||
	    fail "$mode: no $3 counted in amie peers: $(cat "$T/peers.json")"
	[ "$5" = - ] || tail -n +$((lines + 1)) "$T/A.log" | grep -q -- "$5" ||
	    fail "$mode: '$5' not in the log: $(tail -n +$((lines + 1)) "$T/A.log")"
}

hostile badsig disconnected penalties 0 "sig: does not verify"
hostile foreignnet disconnected penalties 0 "sig: does not verify"
hostile nonmember "still answering" refused 0 "not a member"
hostile bigheader disconnected penalties 0 "record.header"
hostile bigbody disconnected penalties 0 "body"
hostile longint disconnected penalties 0 "non-canonical"
hostile unsorted disconnected penalties 0 "sorted"
hostile dupkey disconnected penalties 0 "map keys unsorted or repeated"
hostile badutf8 disconnected penalties 0 "UTF-8"
hostile trailing disconnected penalties 0 "trailing"
hostile deepbody disconnected penalties 0 "nest"
hostile future "still answering" refused 0 "ahead of this node's clock"
# Three copies of one valid record: stored once, and no harm done.
hostile replay "still answering" - 1 -
hostile garbage disconnected penalties 0 "malformed message"
hostile countbomb disconnected penalties 0 "RECORDS"
hostile truncated disconnected penalties 0 "malformed message"
hostile unknowntype disconnected penalties 0 "unknown message type"
hostile negversion disconnected penalties 0 "version"
hostile negframe disconnected penalties 0 "frame of 307200 bytes"
hostile negvarint disconnected penalties 0 "varint over 10 bytes"

# A key that is no member is refused at the handshake, and counted.
new_node E --federation Sud || finish
stop_node "$PID_E"
out=$("$PEERTOOL" "$T/E" "$EP" "$AID" "$NET" hello)
[ "$out" = "refused at handshake" ] || fail "a foreign key got through: $out"
"$AMIE" --dir "$T/A" peers --json >"$T/peers.json" 2>/dev/null
[ "$(json_field handshakes_refused "$T/peers.json")" -ge 1 ] ||
    fail "the refused handshake is not counted: $(cat "$T/peers.json")"
grep -q "refused a handshake from key" "$T/A.log" ||
    fail "the refused handshake is not logged"

# The node still serves its honest member, both ways.
X=$(add_article A "Still serving") || fail "add on A"
wait_for 30 has_article D "$X" || fail "D no longer syncs with A"
Y=$(add_article D "Still heard") || fail "add on D"
wait_for 30 has_article A "$Y" || fail "A no longer syncs with D"

stop_node "$PID_A"
stop_node "$PID_D"
finish
