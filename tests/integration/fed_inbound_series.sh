# SPDX-License-Identifier: AGPL-3.0-or-later
# amie sync on a link the peer opened goes on to the end of its series.
# B opens no link of its own (max_peers 0), so its only link to A is the
# one A opened; A then holds 20,000 records B lacks, stored quietly (no
# push), and neither side syncs on its own within the test (interval one
# hour).  B's amie sync --wait must bring all of them, although a session
# stops once it has 256 ids to fetch (session_ids; a message of the peer
# reveals up to about 8,000) and the rest comes in the sessions that go
# on from it.  Before, the series was never continued
# on such a link (only our own links continued theirs): amie sync
# returned with about 256 of the records, and the resume data left on
# the link stopped every other link's anti-entropy.
. tests/integration/lib.sh

INTERVAL=3600
inbound_only_pair || finish

# B again, without the link it joined on.
stop_node "$PID_B"
printf 'session_ids = 256\n' >>"$T/B/amied.conf"
start_node "$T/B" || finish
PID_B=$NODE_PID
wait_for 30 only_inbound B || fail "B does not have just A's link: $(cat "$T/inb.json")"

"$CTLTOOL" bulk "$T/A" "$T/A" 20000 all >/dev/null || fail "bulk on A"
before=$(records B)
"$AMIE" --dir "$T/B" sync --wait --timeout 120 >"$T/sync.out" 2>&1 ||
    fail "amie sync on B: $(cat "$T/sync.out")"
same_records A B ||
    fail "amie sync returned with $(records B) records on B ($before before), $(records A) on A"

stop_node "$PID_A"
stop_node "$PID_B"
finish
