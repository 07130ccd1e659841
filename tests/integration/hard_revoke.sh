# SPDX-License-Identifier: AGPL-3.0-or-later
# A member removed as compromised has its links closed on every node
# within one sync interval (measured and printed), whatever it writes
# afterwards is refused everywhere, and its key is refused at the next
# handshake.  A key file that others can read stops amied at start with
# the command that fixes it.
. tests/integration/lib.sh

INTERVAL=5

# node NAME [ARGS...]: like new_node, with a short sync interval.
node() {
	name=$1
	shift
	"$AMIE" init --dir "$T/$name" --name "$name" \
	    --listen "tcp://127.0.0.1:$(free_port)" "$@" >/dev/null 2>&1 ||
	    fail "init $name"
	printf '\n[sync]\ninterval = %s\n' "$INTERVAL" >>"$T/$name/amied.conf"
	start_node "$T/$name"
	eval "PID_$name=\$NODE_PID"
}

node A --federation Nord || finish
node B || finish
node C || finish
join B A || finish
join C A || finish
BEFORE=$(add_article C "Written by C before") || fail "add on C"
wait_for 30 has_article B "$BEFORE" || fail "B lacks C's first article"
wait_for 30 has_article A "$BEFORE" || fail "A lacks C's first article"

CID=$("$AMIE" --dir "$T/C" id)
link_with_c() {
	"$AMIE" --dir "$T/$1" peers --json 2>/dev/null >"$T/p-$1.json"
	awk -v id="\"$CID\"," '$1 == "\"id\":" && $2 == id { f = 1 }
	    f && $1 == "\"state\":" { print; exit }' "$T/p-$1.json" |
	    grep -q -E '"(connected|connecting)"'
}
closed_everywhere() {
	! link_with_c A && ! link_with_c B
}
wait_for 30 link_with_c A || fail "A has no link with C to close"
wait_for 30 link_with_c B || fail "B has no link with C to close"

t0=$(date +%s%N)
expect_code 0 "$AMIE" --dir "$T/A" member remove "$(printf %s "$CID" | cut -c1-7)" \
    --reason compromised
wait_for $((INTERVAL * 3)) closed_everywhere || fail "C's links stay open"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "links of the removed member closed on every node in $ms ms (sync interval ${INTERVAL} s)"
[ "$ms" -le $((INTERVAL * 1000)) ] ||
    fail "closing took $ms ms, over one sync interval"

# What C writes now goes nowhere.
AFTER=$(add_article C "Written by C after its removal")
"$AMIE" --dir "$T/C" sync >/dev/null 2>&1
expect_code 0 "$AMIE" --dir "$T/A" sync --wait --timeout 20
expect_code 0 "$AMIE" --dir "$T/B" sync --wait --timeout 20
has_article A "$AFTER" && fail "A took an article of a removed member"
has_article B "$AFTER" && fail "B took an article of a removed member"
has_article A "$BEFORE" || fail "A lost C's article from before the removal"

# Its key no longer gets through a handshake, with any message.
stop_node "$PID_C"
peer_target A || fail "status of A"
out=$("$PEERTOOL" "$T/C" "$EP" "$AID" "$NET" future)
[ "$out" = "refused at handshake" ] || fail "C's key got through: $out"
stop_node "$PID_A"
stop_node "$PID_B"

# A key file readable by the group or by others stops amied at start.
for mode in 640 604 644; do
	chmod "$mode" "$T/A/node.key"
	expect_code 77 "$AMIED" --dir "$T/A"
	grep -q "node.key: mode $mode lets others read it; run chmod 600 " "$T/err" ||
	    fail "key file mode $mode: $(cat "$T/err")"
done
chmod 600 "$T/A/node.key"
finish
