# SPDX-License-Identifier: AGPL-3.0-or-later
# Disaster recovery: B's directory is deleted; it is re-created from its
# exported key alone, joins with a fresh invite, syncs, and shows the
# same contract usage as before.
. tests/integration/lib.sh

new_node A --federation Ouest || finish
new_node B || finish
join B A || finish

C=$("$AMIE" --dir "$T/B" contract add --member "Les Tilleuls" --hours-per-month 4 \
    --start 2026-01-01 --months 12) || fail "contract add"
"$AMIE" --dir "$T/B" contract log "$C" --minutes 90 --date 2026-03-05 --summary "Imprimante" >/dev/null ||
    fail "log 1"
"$AMIE" --dir "$T/B" contract log "$C" --minutes 45 --date 2026-03-20 --summary "Sauvegarde" >/dev/null ||
    fail "log 2"
"$AMIE" --dir "$T/B" contract usage --month 2026-03 --csv >"$T/usage.before" ||
    fail "usage before"
wait_for 30 same_records A B || fail "A did not get B's records"

printf 'correct horse battery\n' >"$T/pass"
printf 'wrong horse battery\n' >"$T/badpass"
expect_code 0 "$AMIE" --dir "$T/B" key export "$T/b.key" --passphrase-file "$T/pass"
[ "$(stat -c %a "$T/b.key")" = 600 ] || fail "key export mode $(stat -c %a "$T/b.key")"
grep -q "^AMIE-KEY-EXPORT-1 " "$T/b.key" || fail "key export format"
expect_code 65 "$AMIE" --dir "$T/B" key export "$T/b.key" --passphrase-file "$T/pass"
# FILE is looked at before the passphrase is asked (none can be here:
# no terminal, no --passphrase-file): taken (65), or in a directory
# that is not there (64), and nothing is left behind.
expect_code 65 "$AMIE" --dir "$T/B" key export "$T/b.key" </dev/null
expect_code 64 "$AMIE" --dir "$T/B" key export "$T/nowhere/b.key" </dev/null
# A passphrase refused leaves no file.
printf 'short\n' >"$T/shortpass"
expect_code 65 "$AMIE" --dir "$T/B" key export "$T/c.key" --passphrase-file "$T/shortpass"
[ -e "$T/c.key" ] && fail "a refused export left $T/c.key"

# The disk is lost.
stop_node "$PID_B"
old_id=$("$AMIE" --dir "$T/B" id 2>/dev/null)
rm -rf "$T/B"

# A wrong passphrase or a damaged file: exit 65, no node made.
expect_code 65 "$AMIE" init --dir "$T/B" --name B --restore-key "$T/b.key" \
    --passphrase-file "$T/badpass"
grep -q "wrong passphrase" "$T/err" || fail "wrong passphrase: $(cat "$T/err")"
head -c 40 "$T/b.key" >"$T/short.key"
expect_code 65 "$AMIE" init --dir "$T/B" --name B --restore-key "$T/short.key" \
    --passphrase-file "$T/pass"
[ ! -e "$T/B/node.key" ] || fail "a refused restore left a key"

"$AMIE" init --dir "$T/B" --name B --listen "tcp://127.0.0.1:$(free_port)" \
    --restore-key "$T/b.key" --passphrase-file "$T/pass" >"$T/new_id" 2>"$T/err" ||
    fail "restore: $(cat "$T/err")"
[ -z "$old_id" ] || [ "$(cat "$T/new_id")" = "$old_id" ] ||
    fail "restored id $(cat "$T/new_id"), was $old_id"
start_node "$T/B" || finish
PID_B=$NODE_PID
join B A || finish
has_contract() {
	"$AMIE" --dir "$T/B" contract usage --month 2026-03 --csv >"$T/usage.after" 2>/dev/null &&
	    cmp -s "$T/usage.before" "$T/usage.after"
}
wait_for 60 has_contract || fail "usage after restore: $(cat "$T/usage.after") vs $(cat "$T/usage.before")"
expect_code 0 "$AMIE" --dir "$T/B" contract show "$C"
grep -q "Sauvegarde" "$T/out" || fail "interventions not back: $(cat "$T/out")"

stop_node "$PID_A"
stop_node "$PID_B"
finish
