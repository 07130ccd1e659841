# SPDX-License-Identifier: AGPL-3.0-or-later
# A WANT that is never answered does not hold up the record: B's key
# (played by peertool, B's amied stopped) offers a record A lacks, is
# asked for it, and leaves without sending it, as a node killed at that
# moment would.  When B's amied comes back, A asks for the record again
# at once.  Before, the id stayed "in flight" for 30 s (NET_DEAD_MS) and
# came only with the anti-entropy round after that.
. tests/integration/lib.sh

# No anti-entropy round comes to the rescue within the test.
INTERVAL=3600
new_node A --federation Nord || finish
new_node B || finish
join B A || finish
wait_for 20 same_records A B || fail "A and B differ"

peer_target A || fail "status of A"

# A record on B that A does not have.
missed_article A B "Written while A was away" || finish

out=$(PEERTOOL_ID=$REC "$PEERTOOL" "$T/B" "$EP" "$AID" "$NET" unanswered)
[ "$out" = "asked" ] || fail "A did not ask for the record offered: $out"
has_article A "$X" && fail "A holds a record nobody sent"

start_node "$T/B" || finish
PID_B=$NODE_PID
wait_for 15 has_article A "$X" ||
    fail "A did not fetch the record from B within 15 s of its return"

stop_node "$PID_A"
stop_node "$PID_B"
finish
