# SPDX-License-Identifier: AGPL-3.0-or-later
# amie sync --wait does not report a reconciliation the peer refused as a
# sync: a peer that cannot open a snapshot (its store full, or out of
# readers) answers NEG_OPEN with NEG_ERR "busy".  A ended its session and
# printed "synced with 1 peer(s)", exit 0, though nothing was reconciled.
. tests/integration/lib.sh

INTERVAL=3600
MAX_PEERS=0 new_node A --federation Nord || finish
peer_target A || fail "status of A"
K="$T/busy"
"$PEERTOOL" mint "$T/A" "$K" "$NET" >/dev/null || fail "cannot mint a member"
"$PEERTOOL" "$K" "$EP" "$AID" "$NET" busy >"$T/pt.out" 2>&1 &
PT=$!
PIDS="$PIDS $PT"
wait_for 20 linked A || fail "the peer has no link to A"

expect_code 75 "$AMIE" --dir "$T/A" sync --wait --timeout 5
grep -q refused "$T/pt.out" || fail "the peer saw no NEG_OPEN: $(cat "$T/pt.out")"

kill "$PT" 2>/dev/null
wait "$PT" 2>/dev/null
stop_node "$PID_A"
finish
