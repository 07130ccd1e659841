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
