# SPDX-License-Identifier: AGPL-3.0-or-later
# Deletion: the tombstone reaches the other nodes, the article leaves
# lists there, its bodies are purged, and a node that still had the
# article does not bring the body back.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
new_node C || finish
join B A || finish
join C A || finish
X=$(add_article A "A supprimer") || fail "add"
KEEP=$(add_article A "A garder") || fail "add"
for n in B C; do
	wait_for 30 has_article "$n" "$X" || fail "$n lacks the article"
done

# Only the author deletes.
expect_code 65 "$AMIE" --dir "$T/B" kb rm "$X"
grep -q "only the author" "$T/err" || fail "rm by another member: $(cat "$T/err")"

stop_node "$PID_C"		# C keeps its copy while apart
expect_code 0 "$AMIE" --dir "$T/A" kb rm "$X" --reason "obsolete"
gone_on() { ! has_article "$1" "$X"; }
gone_on A || fail "A still shows the deleted article"
wait_for 30 gone_on B || fail "B still shows the deleted article"
expect_code 0 "$AMIE" --dir "$T/B" kb list
grep -q "A supprimer" "$T/out" && fail "B lists the deleted article"
grep -q "A garder" "$T/out" || fail "B lost the other article"
expect_code 1 "$AMIE" --dir "$T/B" kb history "$X"

start_node "$T/C" || finish
PID_C=$NODE_PID
wait_for 30 gone_on C || fail "C still shows the deleted article"
wait_for 30 same_records A C || fail "A and C differ"
gone_on A || fail "C brought the article back to A"
gone_on B || fail "C brought the article back to B"
for n in A B C; do
	eval "stop_node \$PID_$n"
done
finish
