# SPDX-License-Identifier: AGPL-3.0-or-later
# Revisions, history and diff; two nodes editing the same head while
# apart leave a conflict that both report, one resolves, both then show
# one head.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
join B A || finish
printf 'Ligne une.\nLigne deux.\n' >"$T/v1.md"
X=$("$AMIE" --dir "$T/A" kb add --title "Sauvegardes" --tag backup "$T/v1.md") ||
    fail "add"
printf 'Ligne une.\nLigne deux, corrigee.\n' >"$T/v2.md"
expect_code 0 "$AMIE" --dir "$T/A" kb edit "$X" "$T/v2.md"
expect_code 0 "$AMIE" --dir "$T/A" kb history "$X" --json
[ "$(grep -c '"revision"' "$T/out")" = 2 ] || fail "history shows $(grep -c '"revision"' "$T/out") revisions"
expect_code 0 "$AMIE" --dir "$T/A" kb diff "$X"
grep -q '^-Ligne deux\.$' "$T/out" || fail "diff lacks the old line: $(cat "$T/out")"
grep -q '^+Ligne deux, corrigee\.$' "$T/out" || fail "diff lacks the new line"
expect_code 1 "$AMIE" --dir "$T/A" kb conflicts

# Bad input: nothing written.
before=$(records A)
expect_code 65 "$AMIE" --dir "$T/A" kb edit "$X" --tag "two words"
expect_code 65 "$AMIE" --dir "$T/A" kb edit "$X" --lang de
expect_code 65 "$AMIE" --dir "$T/A" kb edit "$X" --title ""
[ "$(records A)" = "$before" ] || fail "bad input wrote a record"
# An option of another subcommand is a usage error, not ignored.
expect_code 64 "$AMIE" --dir "$T/A" kb edit "$X" --keep abcd --title Y
grep -q -- "--keep does not apply here" "$T/err" || fail "edit --keep: $(cat "$T/err")"
expect_code 64 "$AMIE" --dir "$T/A" kb list --lang en
expect_code 64 "$AMIE" --dir "$T/A" kb conflicts extra
[ "$(records A)" = "$before" ] || fail "a usage error wrote a record"

wait_for 30 same_records A B || fail "A and B differ before the split"
# Apart: B edits while A is stopped, then A while B is stopped.
stop_node "$PID_A"
expect_code 0 "$AMIE" --dir "$T/B" kb edit "$X" --title "Sauvegardes (B)"
stop_node "$PID_B"
start_node "$T/A" || finish
PID_A=$NODE_PID
expect_code 0 "$AMIE" --dir "$T/A" kb edit "$X" --title "Sauvegardes (A)"
start_node "$T/B" || finish
PID_B=$NODE_PID
conflict_on() {
	"$AMIE" --dir "$T/$1" kb conflicts --json 2>/dev/null | grep -q "\"id\": \"$X\""
}
wait_for 60 conflict_on A || fail "A does not report the conflict"
wait_for 60 conflict_on B || fail "B does not report the conflict"
expect_code 0 "$AMIE" --dir "$T/B" kb show "$X"
grep -q "conflict: 1 other head" "$T/out" || fail "kb show does not name the conflict"
# Both show the same deterministic winner.
wa=$(article_title A "$X")
wb=$(article_title B "$X")
[ "$wa" = "$wb" ] || fail "winners differ: '$wa' vs '$wb'"

"$AMIE" --dir "$T/A" kb show "$X" --json >"$T/w.json" || fail "show"
WINNER=$(json_field revision "$T/w.json")
expect_code 0 "$AMIE" --dir "$T/A" kb resolve "$X" --title "Sauvegardes (fusion)"
# The resolved revision started from the winner (no --keep): kb diff
# compares it with that one by default.
"$AMIE" --dir "$T/A" kb diff "$X" --json >"$T/d.json" || fail "diff"
[ "$(json_field from_revision "$T/d.json")" = "$WINNER" ] ||
    fail "kb diff compares with $(json_field from_revision "$T/d.json"), not the winner $WINNER"
resolved_on() {
	! conflict_on "$1" && title_is "$1" "$X" "Sauvegardes (fusion)"
}
wait_for 60 resolved_on A || fail "A still has the conflict"
wait_for 60 resolved_on B || fail "B still has the conflict"
stop_node "$PID_A"
stop_node "$PID_B"
finish
