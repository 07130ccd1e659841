# SPDX-License-Identifier: AGPL-3.0-or-later
# An inviter that answers a JOIN with another federation than its code
# names leaves nothing behind: J joins with a code of S (federation Sud)
# rewritten to name Nord.  S answers with Sud's charter; J refuses it,
# stores none of it, and can then join Nord through A.  Before, J stored
# Sud's charter first, and every later join said "this node already
# belongs to a federation".
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node S --federation Sud || finish
new_node J || finish
peer_target A || fail "status of A"
CODE=$("$AMIE" --dir "$T/S" invite 2>/dev/null) || fail "invite by S"
BAD=$("$PEERTOOL" recode "$CODE" "$NET") || fail "recode"

expect_code 65 "$AMIE" --dir "$T/J" join "$BAD"
grep -q "does not make this node a member" "$T/err" ||
    fail "join through S: $(cat "$T/err")"
"$AMIE" --dir "$T/J" status --json >"$T/j.json" 2>/dev/null
grep -q '"federation": ""' "$T/j.json" ||
    fail "J took a federation from S: $(grep federation "$T/j.json")"
join J A || fail "J cannot join Nord after the refused answer"

stop_node "$PID_A"
stop_node "$PID_S"
stop_node "$PID_J"
finish
