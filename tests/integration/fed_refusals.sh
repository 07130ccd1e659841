# SPDX-License-Identifier: AGPL-3.0-or-later
# Invites: a mistyped code fails before any connection, a used or
# expired invite is refused with its message, a node of another
# federation cannot join with a code.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
new_node C || finish
new_node D || finish
new_node E --federation Sud || finish

CODE=$("$AMIE" --dir "$T/A" invite 2>/dev/null) || fail "invite"
# A typo: change one character after the prefix.
TYPO=$(printf %s "$CODE" | sed 's/^\(AMIE1-.\{20\}\)\(.\)/\1#/')
TYPO=$(printf %s "$TYPO" | sed 's/#/'"$(printf %s "$CODE" | cut -c27 | tr 'A-Z2-7' 'B-Z2-7A')"'/')
expect_code 65 "$AMIE" --dir "$T/B" join "$TYPO"
grep -q "checksum does not match" "$T/err" || fail "typo message: $(cat "$T/err")"
expect_code 65 "$AMIE" --dir "$T/B" join "AMIE1-NOTACODE"
# A well-formed code with a wrong secret reaches the inviter, which says no.
WRONG=$("$CTLTOOL" badinvite "$CODE") || fail "badinvite"
expect_code 65 "$AMIE" --dir "$T/B" join "$WRONG"
grep -q "unknown secret" "$T/err" || fail "wrong secret message: $(cat "$T/err")"

expect_code 0 "$AMIE" --dir "$T/B" join "$CODE"
# Used up, with no other invite pending: the handshake itself is refused.
expect_code 65 "$AMIE" --dir "$T/C" join "$CODE"
grep -q "no pending invite" "$T/err" || fail "used-up invite message: $(cat "$T/err")"
# Used up, while another invite is pending: the inviter says why.
"$AMIE" --dir "$T/A" invite >/dev/null 2>&1 || fail "second invite"
expect_code 65 "$AMIE" --dir "$T/C" join "$CODE"
grep -q "already used" "$T/err" || fail "reused invite message: $(cat "$T/err")"

expect_code 0 "$AMIE" --dir "$T/A" invite --expires 1s
SHORT=$(cat "$T/out")
past() { [ "$(date +%s)" -ge "$1" ]; }
wait_for 10 past $(($(date +%s) + 2)) || fail "the clock does not move"
expect_code 65 "$AMIE" --dir "$T/C" join "$SHORT"
grep -q "expired" "$T/err" || fail "expired invite message: $(cat "$T/err")"

CODE2=$("$AMIE" --dir "$T/A" invite 2>/dev/null) || fail "invite"
expect_code 64 "$AMIE" --dir "$T/E" join "$CODE2"
grep -q "already belongs to a federation" "$T/err" || fail "other federation: $(cat "$T/err")"
expect_code 0 "$AMIE" --dir "$T/D" join "$CODE2"

expect_code 0 "$AMIE" --dir "$T/A" members --json
grep -q '"name": "E"' "$T/out" && fail "E of another federation is listed"
[ "$(grep -c '"state": "current"' "$T/out")" = 3 ] || fail "A should have 3 members"
grep -q '"name": "C"' "$T/out" && fail "C joined with a used or expired invite"

for n in A B C D E; do
	eval "stop_node \$PID_$n"
done
finish
