# SPDX-License-Identifier: AGPL-3.0-or-later
# The full swap flow between two Amies: A asks for a technician, B offers
# one, A accepts and confirms the hours given; the ledger is the same on
# the three nodes of the federation.
. tests/integration/lib.sh

new_node A --federation Ouest || finish
new_node B || finish
new_node C || finish
join B A || finish
join C A || finish

T_B=$("$AMIE" --dir "$T/B" tech add "Camille Martin" --skill reseau --skill linux \
    --region Bretagne --lang fr) || fail "tech add on B"
T_A=$("$AMIE" --dir "$T/A" tech add "Dominique" --skill windows) || fail "tech add on A"
has_tech() {
	"$AMIE" --dir "$T/$1" tech show "$2" >/dev/null 2>&1
}
wait_for 30 has_tech A "$T_B" || fail "A does not see B's technician"

R=$("$AMIE" --dir "$T/A" swap request --skill reseau --from 2026-03-02 \
    --to 2026-03-13 --hours 20 --region Bretagne --note "arret maladie") ||
    fail "swap request"
has_request() {
	"$AMIE" --dir "$T/$1" swap list --json 2>/dev/null | grep -q "\"id\": \"$R\""
}
wait_for 30 has_request B || fail "B does not see the request"

# B offers its technician; A cannot offer on its own request.
O=$("$AMIE" --dir "$T/B" swap offer "$R" --tech "$T_B" --hours 20 --note "disponible") ||
    fail "swap offer"
expect_code 65 "$AMIE" --dir "$T/A" swap offer "$R" --tech "$T_A" --hours 5
grep -q "own" "$T/err" || fail "offer on its own request: $(cat "$T/err")"
has_offer() {
	"$AMIE" --dir "$T/$1" swap list --json 2>/dev/null | grep -q "\"id\": \"$O\""
}
wait_for 30 has_offer A || fail "A does not see the offer"

# Only the requester accepts; then it confirms the hours once.
expect_code 65 "$AMIE" --dir "$T/B" swap accept "$O"
grep -q "only the requesting Amie" "$T/err" || fail "B accepting: $(cat "$T/err")"
expect_code 0 "$AMIE" --dir "$T/A" swap accept "$O"
expect_code 0 "$AMIE" --dir "$T/A" swap done "$R" --hours 17.5
expect_code 65 "$AMIE" --dir "$T/A" swap done "$R" --hours 3
grep -q "already confirmed" "$T/err" || fail "second done: $(cat "$T/err")"

# A second swap the other way: A lends to B.
R2=$("$AMIE" --dir "$T/B" swap request --skill windows --from 2026-04-01 \
    --to 2026-04-03 --hours 6) || fail "second request"
has_r2() {
	"$AMIE" --dir "$T/A" swap list --json 2>/dev/null | grep -q "\"id\": \"$R2\""
}
wait_for 30 has_r2 || fail "A does not see the second request"
O2=$("$AMIE" --dir "$T/A" swap offer "$R2" --tech "$T_A" --hours 6) || fail "second offer"
has_o2() {
	"$AMIE" --dir "$T/B" swap list --json 2>/dev/null | grep -q "\"id\": \"$O2\""
}
wait_for 30 has_o2 || fail "B does not see the second offer"
expect_code 0 "$AMIE" --dir "$T/B" swap accept "$O2"
expect_code 0 "$AMIE" --dir "$T/B" swap done "$R2" --hours 5

# The ledger: A lent 5 h to B, B lent 17.5 h to A; the same everywhere.
# B's accept and done of the second swap reach A by push: wait for them
# (and ask for a reconciliation if one was refused for coming early).
a_ledger_both() {
	"$AMIE" --dir "$T/A" swap ledger --csv >"$T/ledger.A" 2>/dev/null &&
	    { grep -q ',17.50,5.00,' "$T/ledger.A" ||
	    grep -q ',5.00,17.50,' "$T/ledger.A"; } && return 0
	"$AMIE" --dir "$T/A" sync --wait --timeout 5 >/dev/null 2>&1
	return 1
}
wait_for 60 a_ledger_both || fail "ledger on A: $(cat "$T/ledger.A")"
[ "$(wc -l <"$T/ledger.A")" = 2 ] || fail "ledger has $(wc -l <"$T/ledger.A") lines"
# A record refused because its target had not arrived yet comes again
# with the next reconciliation: ask for one rather than wait for it.
same_ledger() {
	"$AMIE" --dir "$T/$1" swap ledger --json >"$T/ledger.$1.json" 2>/dev/null &&
	    "$AMIE" --dir "$T/A" swap ledger --json >"$T/ledger.A.json" 2>/dev/null &&
	    cmp -s "$T/ledger.A.json" "$T/ledger.$1.json" && return 0
	"$AMIE" --dir "$T/$1" sync --wait --timeout 5 >/dev/null 2>&1
	return 1
}
wait_for 60 same_ledger B || fail "B's ledger differs: $(cat "$T/ledger.B.json")"
wait_for 60 same_ledger C || fail "C's ledger differs: $(cat "$T/ledger.C.json")"
grep -q '"swaps": 2' "$T/ledger.A.json" || fail "ledger counts: $(cat "$T/ledger.A.json")"
bal=$(json_field balance_minutes "$T/ledger.A.json")
[ "$bal" = 750 ] || [ "$bal" = -750 ] || fail "balance $bal, expected 750 minutes either way"
"$AMIE" --dir "$T/C" swap list --json >"$T/list.C" || fail "swap list on C"
[ "$(grep -c '"state": "done"' "$T/list.C")" = 2 ] || fail "C does not see both swaps done"
expect_code 1 "$AMIE" --dir "$T/C" swap list --open

stop_node "$PID_A"
stop_node "$PID_B"
stop_node "$PID_C"
finish
