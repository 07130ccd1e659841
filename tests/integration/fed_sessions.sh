# SPDX-License-Identifier: AGPL-3.0-or-later
# A first sync larger than [sync] session_ids goes on over several
# reconciliations, each closed once it has found that many ids to fetch
# and followed by one that goes on from where it stopped, and ends with
# every record.
. tests/integration/lib.sh

N=20000

# A only accepts links: B's reconciliations bring everything.
MAX_PEERS=0 new_node A --federation Nord || finish
"$CTLTOOL" bulk "$T/A" "$T/A" "$N" all >/dev/null || fail "bulk into A"
wait_for 30 test "$(records A)" -gt "$N" || fail "A holds $(records A) records"

new_node B || finish
printf '\n[sync]\nsession_ids = 256\n' >>"$T/B/amied.conf"
expect_code 0 "$AMIE" --dir "$T/B" daemon reload
join B A || finish
wait_for 120 same_records A B || fail "B has $(records B) of $(records A) records"

# Each reconciliation found at most a frame of ids (about 8,000) past
# the 256 that close it: three at least for 20,000 records.
"$AMIE" --dir "$T/B" peers --json >"$T/peers.json" 2>/dev/null ||
    fail "peers --json"
SESSIONS=$(json_field sessions "$T/peers.json")
[ "${SESSIONS:-0}" -ge 3 ] || fail "B started $SESSIONS reconciliations"
CONTINUED=$(json_field continued "$T/peers.json")
[ "${CONTINUED:-0}" -ge 2 ] ||
    fail "$CONTINUED of $SESSIONS reconciliations went on from the last"
# The sync below needs the link up.
wait_for 60 linked B || fail "B has no connected peer"
expect_code 0 "$AMIE" --dir "$T/B" sync --wait --timeout 60
expect_code 0 "$AMIE" --dir "$T/B" check
stop_node "$PID_A"
stop_node "$PID_B"
finish
