# SPDX-License-Identifier: AGPL-3.0-or-later
# Five nodes in a chain: each is limited by its configuration to one
# outbound peer, and joins through the previous one, so that records
# written at either end cross the three middle nodes.
. tests/integration/lib.sh

MAX_PEERS=1
new_node N1 --federation Chaine || finish
for i in 2 3 4 5; do
	new_node "N$i" || finish
	join "N$i" "N$((i - 1))" || finish
done

FIRST=$(add_article N1 "From the first") || fail "add on N1"
LAST=$(add_article N5 "From the last") || fail "add on N5"
wait_for 60 has_article N5 "$FIRST" || fail "N5 lacks the first node's article"
wait_for 60 has_article N1 "$LAST" || fail "N1 lacks the last node's article"
wait_for 60 same_records N1 N5 || fail "N1 and N5 differ: $(records N1) vs $(records N5)"

# Each node keeps to its one outbound peer.
for i in 2 3 4 5; do
	"$AMIE" --dir "$T/N$i" peers --json >"$T/peers" 2>/dev/null
	out=$(grep -c '"direction": "out"' "$T/peers")
	[ "$out" -le 1 ] || fail "N$i has $out outbound peers, limit 1"
done

for i in 1 2 3 4 5; do
	eval "stop_node \$PID_N$i"
done
finish
