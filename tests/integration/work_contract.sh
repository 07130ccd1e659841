# SPDX-License-Identifier: AGPL-3.0-or-later
# Contracts and time logged: usage figures for a month with several
# interventions match the hand computation; the second Amie holds the
# encrypted records but neither lists them nor finds their words.
. tests/integration/lib.sh

new_node A --federation Ouest || finish
new_node B || finish
join B A || finish

TECH=$("$AMIE" --dir "$T/A" tech add "Camille" --skill reseau) || fail "tech add"
KB=$(echo "Redemarrer le spouleur." | "$AMIE" --dir "$T/A" kb add --title "Imprimante" -) ||
    fail "kb add"
# Tilleuls: 4 h a month from January 2026, 12 months; Ecole: 2.5 h from
# March, open-ended.
C1=$("$AMIE" --dir "$T/A" contract add --member "Association Tilleuls" \
    --hours-per-month 4 --start 2026-01-01 --months 12 --renewal express \
    --notice-months 2 --fee-per-month 120 --contact "tresorier@tilleuls.example") ||
    fail "contract add 1"
C2=$("$AMIE" --dir "$T/A" contract add --member "Ecole Zanzibar" \
    --hours-per-month 2.5 --start 2026-03-10) || fail "contract add 2"
log() {
	"$AMIE" --dir "$T/A" contract log "$@" >/dev/null || fail "contract log $*"
}
log "$C1" --minutes 60 --date 2026-01-15 --summary "Installation poste"
log "$C1" --minutes 90 --date 2026-03-02 --summary "Imprimante bloquee" \
    --tech "$TECH" --kb "$KB"
log "$C1" --minutes 45 --date 2026-03-17 --summary "Sauvegarde verifiee"
log "$C1" --minutes 120 --date 2026-03-31 --summary "Migration messagerie"
log "$C1" --minutes 30 --date 2026-04-01 --summary "Suivi"
log "$C2" --minutes 200 --date 2026-03-12 --summary "Reseau wifi zanzibarien"

# March by hand.  Tilleuls: committed 240, used 90+45+120 = 255, balance
# -15; since January: 3 months, 720 committed, 60+255 = 315 used, 405
# left.  Zanzibar: committed 150, used 200, balance -50; 1 month.
"$AMIE" --dir "$T/A" contract usage --month 2026-03 --csv >"$T/usage.csv" ||
    fail "usage"
grep -q "^2026-03,$C1,\"Association Tilleuls\",4.00,4.00,4.25,-0.25,3,12.00,5.25,6.75\$" \
    "$T/usage.csv" || fail "Tilleuls usage: $(cat "$T/usage.csv")"
grep -q "^2026-03,$C2,\"Ecole Zanzibar\",2.50,2.50,3.33,-0.83,1,2.50,3.33,-0.83\$" \
    "$T/usage.csv" || fail "Zanzibar usage: $(cat "$T/usage.csv")"
"$AMIE" --dir "$T/A" contract usage "$C1" --month 2026-03 --json >"$T/usage.json" ||
    fail "usage --json"
[ "$(json_field used_minutes "$T/usage.json")" = 255 ] || fail "used_minutes: $(cat "$T/usage.json")"
[ "$(json_field balance_minutes "$T/usage.json")" = -15 ] || fail "balance_minutes"
[ "$(json_field total_used_minutes "$T/usage.json")" = 315 ] || fail "total_used_minutes"
[ "$(json_field total_committed_minutes "$T/usage.json")" = 720 ] || fail "total_committed"
# February: nothing used on Tilleuls; Zanzibar had not started.
"$AMIE" --dir "$T/A" contract usage --month 2026-02 --csv >"$T/feb.csv" || fail "usage feb"
[ "$(wc -l <"$T/feb.csv")" = 2 ] || fail "February shows $(cat "$T/feb.csv")"
grep -q ",4.00,4.00,0.00,4.00,2,8.00,1.00,7.00\$" "$T/feb.csv" || fail "February: $(cat "$T/feb.csv")"

# An edit is a new revision; end closes the contract.
expect_code 0 "$AMIE" --dir "$T/A" contract edit "$C2" --hours-per-month 3
expect_code 0 "$AMIE" --dir "$T/A" contract show "$C2" --json
[ "$(json_field minutes_per_month "$T/out")" = 180 ] || fail "edit: $(cat "$T/out")"
expect_code 0 "$AMIE" --dir "$T/A" contract end "$C2" --date 2026-06-30
expect_code 0 "$AMIE" --dir "$T/A" contract show "$C2" --json
[ "$(json_field status "$T/out")" = ended ] || fail "end: $(cat "$T/out")"
[ "$(json_field end "$T/out")" = 2026-06-30 ] || fail "end date: $(cat "$T/out")"
expect_code 0 "$AMIE" --dir "$T/A" contract list --json
[ "$(grep -c '"member"' "$T/out")" = 2 ] || fail "A lists $(grep -c '"member"' "$T/out") contracts"
[ "$(json_field held_encrypted "$T/out")" = 0 ] || fail "A holds others' records"

# B holds them, encrypted: 4 contract revisions, 6 interventions.
held_on_b() {
	"$AMIE" --dir "$T/B" contract list --json >"$T/b.json" 2>/dev/null
	[ "$(json_field held_encrypted "$T/b.json")" = 10 ]
}
wait_for 30 held_on_b || fail "B holds $(json_field held_encrypted "$T/b.json") records, expected 10"
expect_code 1 "$AMIE" --dir "$T/B" contract list
[ ! -s "$T/out" ] || fail "B lists contracts: $(cat "$T/out")"
expect_code 1 "$AMIE" --dir "$T/B" contract usage --month 2026-03
expect_code 1 "$AMIE" --dir "$T/B" contract show "$C1"
wait_for 30 has_article B "$KB" || fail "the article did not reach B"
for w in Tilleuls Zanzibar zanzibarien messagerie tresorier Migration; do
	expect_code 1 "$AMIE" --dir "$T/B" kb search "$w"
	expect_code 1 "$AMIE" --dir "$T/A" kb search "$w"
done
expect_code 0 "$AMIE" --dir "$T/B" kb search spouleur
# B's own contract is private too: A cannot read it.
CB=$("$AMIE" --dir "$T/B" contract add --member "Mairie" --hours-per-month 1 \
    --start 2026-01-01) || fail "contract on B"
held_on_a() {
	"$AMIE" --dir "$T/A" contract list --json >"$T/a.json" 2>/dev/null
	[ "$(json_field held_encrypted "$T/a.json")" = 1 ]
}
wait_for 30 held_on_a || fail "A does not hold B's contract"
grep -q Mairie "$T/a.json" && fail "A lists B's contract"
expect_code 1 "$AMIE" --dir "$T/A" contract show "$CB"

# Tacit renewal: a contract not ended runs on after its end date, until
# contract end sets its last day.
C3=$("$AMIE" --dir "$T/A" contract add --member "Mairie" --hours-per-month 1 \
    --start 2026-01-01 --end 2026-01-31) || fail "contract add 3"
log "$C3" --minutes 30 --date 2026-03-05 --summary "Apres l'echeance"
"$AMIE" --dir "$T/A" contract usage "$C3" --month 2026-03 --csv >"$T/c3.csv" ||
    fail "usage C3"
grep -q ",1.00,1.00,0.50,0.50,3,3.00,0.50,2.50\$" "$T/c3.csv" ||
    fail "tacit renewal: $(cat "$T/c3.csv")"
expect_code 0 "$AMIE" --dir "$T/A" contract end "$C3" --date 2026-02-28
expect_code 65 "$AMIE" --dir "$T/A" contract log "$C3" --minutes 30 \
    --date 2026-03-06 --summary "Trop tard"
"$AMIE" --dir "$T/A" contract usage --month 2026-03 --csv >"$T/march.csv" ||
    fail "usage March"
grep -q "$C3" "$T/march.csv" && fail "an ended contract still runs in March"

stop_node "$PID_A"
stop_node "$PID_B"
finish
