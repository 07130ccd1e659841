# SPDX-License-Identifier: AGPL-3.0-or-later
# A node stopped while the others write catches up when it restarts.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
join B A || finish
FIRST=$(add_article A "Before the stop") || fail "add"
wait_for 30 has_article B "$FIRST" || fail "B lacks the first article"

stop_node "$PID_B"
i=0
while [ $i -lt 20 ]; do
	add_article A "Written while B was stopped $i" >/dev/null || fail "add $i"
	i=$((i + 1))
done
LAST=$(add_article A "The last one") || fail "add last"

start_node "$T/B" || finish
PID_B=$NODE_PID
wait_for 60 has_article B "$LAST" || fail "B did not catch up"
wait_for 60 same_records A B || fail "A and B differ: $(records A) vs $(records B)"
expect_code 0 "$AMIE" --dir "$T/B" sync --wait --timeout 30
stop_node "$PID_A"
stop_node "$PID_B"
finish
