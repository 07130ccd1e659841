# SPDX-License-Identifier: AGPL-3.0-or-later
# amie backup and restore: a backup taken while articles are being
# written restores, on the stopped node, to a store that passes amie
# check and holds what was there before the backup; a backup is private,
# never overwritten without --force; a restore is refused while amied
# runs, for another federation's backup, and for a file that is no
# backup, and then changes nothing.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node S --federation Sud || finish
FIRST=$(add_article A "Avant la sauvegarde") || fail "add"
# An invite in the backup: a restore does not bring it back (used since,
# it would let a stranger in again).
CODE=$("$AMIE" --dir "$T/A" invite 2>/dev/null) || fail "invite"

# Writes go on while the backup is taken.
(
	i=0
	while [ $i -lt 30 ]; do
		add_article A "Pendant $i" >/dev/null 2>&1
		i=$((i + 1))
	done
) &
WRITER=$!
check "backup during writes" "$AMIE" --dir "$T/A" backup "$T/a.mdb"
wait "$WRITER"
[ "$(stat -c %a "$T/a.mdb")" = 600 ] || fail "backup mode $(stat -c %a "$T/a.mdb")"
AFTER=$(records A)

expect_code 64 "$AMIE" --dir "$T/A" backup "$T/a.mdb"
grep -q "exists" "$T/err" || fail "overwrite: $(cat "$T/err")"
# Into a directory that is not there: a wrong FILE (64), named as given.
expect_code 64 "$AMIE" --dir "$T/A" backup "$T/nowhere/b.mdb"
grep -q "cannot create $T/nowhere/b.mdb: No such file" "$T/err" ||
    fail "backup into a missing directory: $(cat "$T/err")"
expect_code 0 "$AMIE" --dir "$T/A" backup --force --json "$T/a2.mdb"
grep -q '"schema": 1' "$T/out" || fail "backup --json: $(cat "$T/out")"
grep -q '"bytes": [1-9]' "$T/out" || fail "backup --json: $(cat "$T/out")"
(cd "$T" && "$AMIE" --dir "$T/S" backup s.mdb) 2>/dev/null ||
    fail "backup to a relative path"
expect_code 75 "$AMIE" --dir "$T/A" restore "$T/a.mdb"
grep -q "running" "$T/err" || fail "restore while running: $(cat "$T/err")"

stop_node "$PID_A"
stop_node "$PID_S"
echo "no backup" >"$T/junk.mdb"
expect_code 65 "$AMIE" --dir "$T/A" restore "$T/junk.mdb"
grep -q "not an amie backup" "$T/err" || fail "junk: $(cat "$T/err")"
expect_code 65 "$AMIE" --dir "$T/A" restore "$T/s.mdb"
grep -q "another federation" "$T/err" || fail "Sud into Nord: $(cat "$T/err")"
[ -d "$T/A/store.old" ] && fail "a refused restore moved the store"

expect_code 0 "$AMIE" --dir "$T/A" restore "$T/a.mdb"
[ -d "$T/A/store.old" ] || fail "the replaced store was not kept"
start_node "$T/A" || finish
PID_A=$NODE_PID
grep -q "invite(s) the backup held are not brought back" "$T/err" ||
    fail "restore says nothing of the invite: $(cat "$T/err")"
new_node C || finish
"$AMIE" --dir "$T/C" join "$CODE" >"$T/join.out" 2>&1 &&
    fail "the backup's invite still works: $(cat "$T/join.out")"
grep -q "no pending invite" "$T/join.out" ||
    fail "join with the backup's invite: $(cat "$T/join.out")"
stop_node "$PID_C"
expect_code 0 "$AMIE" --dir "$T/A" check
has_article A "$FIRST" || fail "the article written before the backup is gone"
R=$(records A)
[ "$R" -ge 3 ] && [ "$R" -le "$AFTER" ] ||
    fail "restored $R records, $AFTER after the writes"
# The restored node goes on working.
add_article A "Après la restauration" >/dev/null || fail "add after restore"
expect_code 0 "$AMIE" --dir "$T/A" check
stop_node "$PID_A"
finish
