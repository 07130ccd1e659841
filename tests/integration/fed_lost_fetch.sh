# SPDX-License-Identifier: AGPL-3.0-or-later
# amie sync --wait does not report as done a sync whose fetch was lost:
# A's reconciliation with B's key (played by peertool, B's amied
# stopped) ends done and finds a record A lacks; A asks for it, and
# peertool leaves without sending it.  A gives the WANT up after 30 s
# (NET_DEAD_MS) and drops the silent link.  Nothing is under way any
# more, but the record never came: amie sync must give up at its
# timeout with status 75 and say the sync was cut off.  Before, it
# printed "synced with 1 peer(s)" and exited 0 once the WANT was given
# up.  When B's amied is back, A syncs with it, fetches the record, and
# amie sync --wait succeeds.
. tests/integration/lib.sh

INTERVAL=3600
new_node A --federation Nord || finish
new_node B || finish
join B A || finish
wait_for 20 same_records A B || fail "A and B differ"

peer_target A || fail "status of A"

# A record on B that A does not have.
missed_article A B "Written while A was away" || finish

PEERTOOL_ID=$REC PEERTOOL_TS=$TS "$PEERTOOL" "$T/B" "$EP" "$AID" "$NET" \
    unfetched >"$T/peertool.out" &
PT=$!
wait_for 10 linked A || fail "peertool did not link to A"
expect_code 75 "$AMIE" --dir "$T/A" sync --wait --timeout 40
grep -q "cut off" "$T/err" ||
    fail "amie sync does not say it was cut off: $(cat "$T/err")"
wait "$PT"
[ "$(cat "$T/peertool.out")" = "asked" ] ||
    fail "A did not ask peertool for the record: $(cat "$T/peertool.out")"
has_article A "$X" && fail "A holds a record nobody sent"

start_node "$T/B" || finish
PID_B=$NODE_PID
wait_for 30 linked A || fail "A did not link to B again"
expect_code 0 "$AMIE" --dir "$T/A" sync --wait --timeout 60
has_article A "$X" || fail "A did not fetch the record from B"

stop_node "$PID_A"
stop_node "$PID_B"
finish
