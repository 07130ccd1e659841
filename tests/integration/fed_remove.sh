# SPDX-License-Identifier: AGPL-3.0-or-later
# A removed member: its links are closed, and what it writes afterwards
# is refused everywhere.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
new_node C || finish
join B A || finish
join C A || finish
BEFORE=$(add_article C "Written by C before") || fail "add on C"
wait_for 30 has_article B "$BEFORE" || fail "B lacks C's first article"

CID=$("$AMIE" --dir "$T/C" id)
expect_code 0 "$AMIE" --dir "$T/A" member remove "$(printf %s "$CID" | cut -c1-7)" \
    --reason compromised
removed_on() {
	"$AMIE" --dir "$T/$1" members --json 2>/dev/null |
	    grep -A9 "\"id\": \"$CID\"" | grep -q '"state": "removed"'
}
wait_for 30 removed_on A || fail "A does not show C removed"
wait_for 30 removed_on B || fail "B does not show C removed"
no_link_with_c() {
	! "$AMIE" --dir "$T/$1" peers --json 2>/dev/null | grep -q "\"id\": \"$CID\""
}
wait_for 30 no_link_with_c A || fail "A still has a link with C"
wait_for 30 no_link_with_c B || fail "B still has a link with C"

AFTER=$(add_article C "Written by C after its removal")
"$AMIE" --dir "$T/C" sync >/dev/null 2>&1
# Give C every chance to push it, then check it went nowhere.
expect_code 0 "$AMIE" --dir "$T/A" sync --wait --timeout 20
expect_code 0 "$AMIE" --dir "$T/B" sync --wait --timeout 20
has_article A "$AFTER" && fail "A took an article of a removed member"
has_article B "$AFTER" && fail "B took an article of a removed member"
has_article A "$BEFORE" || fail "A lost C's article from before the removal"

stop_node "$PID_A"
stop_node "$PID_B"
stop_node "$PID_C"
finish
