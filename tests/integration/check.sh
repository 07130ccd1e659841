# SPDX-License-Identifier: AGPL-3.0-or-later
# amie check: consistent stores pass (after revisions, a deletion and a
# sync), a damaged index is reported with its database named and exit
# 65, and the offline check of storetool agrees.
. tests/integration/lib.sh
STORETOOL="$BUILD/tests/tools/storetool"

new_node A --federation Nord || finish
new_node B || finish
join B A || finish
X=$(add_article A "Sauvegarde des postes") || fail "add"
Y=$(add_article A "Imprimante du secrétariat") || fail "add"
echo "Nouvelle procédure" | "$AMIE" --dir "$T/A" kb edit "$X" - >/dev/null ||
    fail "edit"
"$AMIE" --dir "$T/A" kb rm "$Y" >/dev/null 2>&1 || fail "rm"
wait_for 30 same_records A B || fail "B did not catch up"

# Records hidden by a removal: B stores C's records written after C's
# removal (B hears of it later), then hides them; check agrees.
new_node C || finish
join C A || finish
CID=$("$AMIE" --dir "$T/C" id)
state_on() {
	"$AMIE" --dir "$T/$1" members --json 2>/dev/null |
	    grep -A9 "\"id\": \"$CID\"" | grep -q "\"state\": \"$2\""
}
wait_for 30 state_on B current || fail "B does not know C"
wait_for 30 has_article C "$X" || fail "C lacks the article"
stop_node "$PID_B"
expect_code 0 "$AMIE" --dir "$T/A" member remove "$(printf %s "$CID" | cut -c1-7)" \
    --reason compromised
echo "Version de C" | "$AMIE" --dir "$T/C" kb edit "$X" - >/dev/null ||
    fail "edit on C"
Z=$(add_article C "Article de C") || fail "add on C"
stop_node "$PID_A"
start_node "$T/B" || finish
PID_B=$NODE_PID
wait_for 30 has_article B "$Z" || fail "B did not get C's article from C"
stop_node "$PID_C"
start_node "$T/A" || finish
PID_A=$NODE_PID
wait_for 30 state_on B removed || fail "B does not see C removed"
gone_z() { ! has_article "$1" "$Z"; }
wait_for 30 gone_z B || fail "B still shows C's late article"

for n in A B; do
	expect_code 0 "$AMIE" --dir "$T/$n" check
	grep -q "consistent" "$T/out" || fail "check on $n: $(cat "$T/out")"
done
expect_code 0 "$AMIE" --dir "$T/A" check --json
grep -q '"schema": 1' "$T/out" || fail "check --json has no schema"
grep -q '"problems_total": 0' "$T/out" || fail "check --json: $(cat "$T/out")"
expect_code 64 "$AMIE" --dir "$T/A" check extra

# Damage the search index of a stopped A: check names it, exit 65.
stop_node "$PID_A"
expect_code 0 "$STORETOOL" check "$T/A"
expect_code 0 "$STORETOOL" damage "$T/A" terms
expect_code 65 "$STORETOOL" check "$T/A"
grep -q "^terms: " "$T/out" || fail "storetool check: $(cat "$T/out")"
start_node "$T/A" || finish
PID_A=$NODE_PID
expect_code 65 "$AMIE" --dir "$T/A" check
grep -q "^terms: article" "$T/out" || fail "check after damage: $(cat "$T/out")"
grep -q "PROBLEMS FOUND" "$T/out" || fail "no verdict: $(cat "$T/out")"
expect_code 65 "$AMIE" --dir "$T/A" check --json
grep -q '"db": "terms"' "$T/out" || fail "check --json: $(cat "$T/out")"
# A reindex repairs it.
"$AMIE" --dir "$T/A" kb reindex >/dev/null 2>&1 || fail "reindex"
expect_code 0 "$AMIE" --dir "$T/A" check

stop_node "$PID_A"
stop_node "$PID_B"
finish
