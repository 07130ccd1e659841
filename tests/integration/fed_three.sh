# SPDX-License-Identifier: AGPL-3.0-or-later
# Three nodes: A founds, B joins through A, C through B.  Writes on each
# reach the others; an edit on C is seen on A; all converge.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
new_node C || finish
join B A || finish
join C B || finish

expect_code 0 "$AMIE" --dir "$T/A" members --json
[ "$(grep -c '"state": "current"' "$T/out")" = 3 ] ||
    wait_for 20 sh -c "'$AMIE' --dir '$T/A' members --json | grep -c '\"state\": \"current\"' | grep -qx 3" ||
    fail "A does not count 3 current members"

X=$(add_article A "Written on A") || fail "add on A"
Y=$(add_article B "Written on B") || fail "add on B"
Z=$(add_article C "Written on C") || fail "add on C"
for n in A B C; do
	for id in "$X" "$Y" "$Z"; do
		wait_for 30 has_article "$n" "$id" || fail "$n lacks $id"
	done
done

expect_code 0 "$AMIE" --dir "$T/C" kb edit "$X" --title "Edited on C"
wait_for 30 title_is A "$X" "Edited on C" || fail "A does not see C's edit"
wait_for 30 same_records A C || fail "A and C differ: $(records A) vs $(records C)"
wait_for 30 same_records A B || fail "A and B differ: $(records A) vs $(records B)"

expect_code 0 "$AMIE" --dir "$T/A" sync --wait --timeout 30
expect_code 0 "$AMIE" --dir "$T/B" peers --json
grep -q '"received"' "$T/out" || fail "peers --json has no received count"

for n in A B C; do
	eval "stop_node \$PID_$n"
done
finish
