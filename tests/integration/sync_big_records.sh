# SPDX-License-Identifier: AGPL-3.0-or-later
# Records too big for one answer all come in one amie sync --wait: A
# holds 40 articles of about 60 KB, 2.4 MB in all, while one RECORDS
# carries at most WIRE_MSG_MAX (1 MiB).  A answers a WANT with what fits
# and offers the rest right behind (HAVE), which the asker asks for
# again.  Before, what did not fit waited for the next reconciliation
# (the next interval, here an hour), and amie sync --wait said "synced"
# with 16 of the 42 records.  B fetches on its own link to A; C, which
# opens no link (max_peers 0), on the link A opened to it.
. tests/integration/lib.sh

INTERVAL=3600
new_node A --federation Nord || finish
i=0
while [ "$i" -lt 40 ]; do
	head -c 45000 /dev/urandom | base64 -w 76 >"$T/text"
	"$AMIE" --dir "$T/A" kb add --title "Big $i" "$T/text" >/dev/null ||
	    fail "add $i on A"
	i=$((i + 1))
done

new_node B || finish
join B A || finish
expect_code 0 "$AMIE" --dir "$T/B" sync --wait --timeout 60
same_records A B ||
    fail "B holds $(records B) of A's $(records A) records after amie sync --wait"

MAX_PEERS=0 new_node C || finish
join C A || finish
wait_for 20 linked C || fail "A did not link to C"
expect_code 0 "$AMIE" --dir "$T/C" sync --wait --timeout 60
same_records A C ||
    fail "C holds $(records C) of A's $(records A) records after amie sync --wait"

stop_node "$PID_A"
stop_node "$PID_B"
stop_node "$PID_C"
finish
