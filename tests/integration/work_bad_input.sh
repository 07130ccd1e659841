# SPDX-License-Identifier: AGPL-3.0-or-later
# Bad input to the contract, tech and swap commands: exit 65 with a
# message naming the problem, and nothing written on either node.
. tests/integration/lib.sh

new_node A --federation Ouest || finish
new_node B || finish
join B A || finish

C=$("$AMIE" --dir "$T/A" contract add --member "Tilleuls" --hours-per-month 4 \
    --start 2026-01-01 --end 2026-12-31) || fail "contract add"
TA=$("$AMIE" --dir "$T/A" tech add "Camille" --skill reseau) || fail "tech add A"
TB=$("$AMIE" --dir "$T/B" tech add "Dominique" --skill linux) || fail "tech add B"
R=$("$AMIE" --dir "$T/A" swap request --skill linux --from 2026-03-01 --to 2026-03-05 \
    --hours 10) || fail "swap request"
has_request() {
	"$AMIE" --dir "$T/B" swap list --json 2>/dev/null | grep -q "\"id\": \"$R\""
}
wait_for 30 has_request || fail "B does not see the request"
O=$("$AMIE" --dir "$T/B" swap offer "$R" --tech "$TB" --hours 10) || fail "swap offer"
has_offer() {
	"$AMIE" --dir "$T/A" swap list --json 2>/dev/null | grep -q "\"id\": \"$O\""
}
wait_for 30 has_offer || fail "A does not see the offer"
# B cannot accept an offer on A's request (before A has accepted).
expect_code 65 "$AMIE" --dir "$T/B" swap accept "$O"
grep -q "only the requesting Amie accepts" "$T/err" || fail "accept by B: $(cat "$T/err")"
expect_code 0 "$AMIE" --dir "$T/A" swap accept "$O"
expect_code 0 "$AMIE" --dir "$T/A" swap done "$R" --hours 8
wait_for 30 same_records A B || fail "A and B differ before the bad input"

before_a=$(records A)
before_b=$(records B)

# bad CMD... : exit 65 and the message names WORD.
bad() {
	word=$1
	shift
	expect_code 65 "$AMIE" "$@"
	grep -qi -- "$word" "$T/err" || fail "$*: message lacks '$word': $(cat "$T/err")"
}
A="--dir $T/A"
# Dates that do not parse.
bad start $A contract add --member X --hours-per-month 4 --start 2026-13-01
bad start $A contract add --member X --hours-per-month 4 --start 2026-02-30
bad start $A contract add --member X --hours-per-month 4 --start demain
bad end $A contract add --member X --hours-per-month 4 --start 2026-01-01 --end 31/12/2026
bad date $A contract log "$C" --minutes 30 --date 2026-03-32 --summary x
bad date $A contract end "$C" --date 2026-3-1
bad month $A contract usage --month 2026-14
bad from $A swap request --skill linux --from 1er-mars --to 2026-03-05 --hours 4
# End before start.
bad "before the start" $A contract add --member X --hours-per-month 4 --start 2026-05-01 --end 2026-04-30
bad "before the start" $A contract end "$C" --date 2025-12-31
bad "before from" $A swap request --skill linux --from 2026-03-05 --to 2026-03-01 --hours 4
bad outside $A contract log "$C" --minutes 30 --date 2025-12-31 --summary "avant"
# Negative or absurd hours.
bad hours-per-month $A contract add --member X --hours-per-month -4 --start 2026-01-01
bad hours-per-month $A contract add --member X --hours-per-month 800 --start 2026-01-01
bad hours-per-month $A contract add --member X --hours-per-month 0 --start 2026-01-01
bad hours-per-month $A contract edit "$C" --hours-per-month abc
bad minutes $A contract log "$C" --minutes -30 --summary x
bad minutes $A contract log "$C" --minutes 100000 --summary x
bad hours $A swap request --skill linux --from 2026-03-01 --to 2026-03-05 --hours -2
bad hours $A swap request --skill linux --from 2026-03-01 --to 2026-03-05 --hours 99999
bad hours --dir "$T/B" swap offer "$R" --tech "$TB" --hours 0
bad fee $A contract add --member X --hours-per-month 4 --start 2026-01-01 --fee-per-month -10
bad months $A contract add --member X --hours-per-month 4 --start 2026-01-01 --months 0
# Unknown contract, technician, request, offer and article ids.
bad "no contract" $A contract log ffffffff --minutes 30 --summary x
bad "no contract" $A contract edit ffffffff --hours-per-month 3
bad "no contract" $A contract end ffffffff
bad "no technician" $A contract log "$C" --minutes 30 --summary x --tech ffffffff
bad "no article" $A contract log "$C" --minutes 30 --summary x --kb ffffffff
bad "no technician" --dir "$T/B" swap offer "$R" --tech ffffffff --hours 2
bad "no swap request" --dir "$T/B" swap offer ffffffff --tech "$TB" --hours 2
bad "no swap request" $A swap done ffffffff --hours 2
bad "no offer" $A swap accept ffffffff
# Someone else's things.
bad "another Amie" $A swap offer "$R" --tech "$TB" --hours 2
bad "only the borrowing Amie" --dir "$T/B" swap done "$R" --hours 2
bad "another Amie" --dir "$T/B" tech edit "$TA" --name "Pris"
bad "no contract" --dir "$T/B" contract log "$C" --minutes 30 --summary x
# Twice.
bad "already has an accepted offer" $A swap accept "$O"
bad "already confirmed" $A swap done "$R" --hours 8

[ "$(records A)" = "$before_a" ] || fail "bad input wrote on A: $(records A) records, was $before_a"
[ "$(records B)" = "$before_b" ] || fail "bad input wrote on B: $(records B) records, was $before_b"
expect_code 0 "$AMIE" --dir "$T/A" status
expect_code 0 "$AMIE" --dir "$T/B" status

stop_node "$PID_A"
stop_node "$PID_B"
finish
