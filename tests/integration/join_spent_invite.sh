# SPDX-License-Identifier: AGPL-3.0-or-later
# A join the inviter cannot admit spends no invite, and a node that is no
# longer a member invites nobody.  Before, the inviter spent the invite
# first and then failed to sign the member.add: a joiner without a
# [node] name got "member.add: name: empty" and its single-use code was
# gone; a node that had removed itself printed codes that could only
# fail, with "author: removed from the federation" (a message about the
# inviter that reads as one about the joiner).
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
new_node J || finish
join B A || finish

# J has no name: told so, and the code still works once it has one.
sed -i 's/^name = .*/name =/' "$T/J/amied.conf"
"$AMIE" --dir "$T/J" daemon reload >/dev/null 2>&1 || fail "reload J"
CODE=$("$AMIE" --dir "$T/A" invite 2>/dev/null) || fail "invite by A"
"$AMIE" --dir "$T/J" join "$CODE" >/dev/null 2>"$T/err" &&
    fail "J joined without a name"
grep -q "name" "$T/err" || fail "join without a name: $(cat "$T/err")"
sed -i 's/^name =$/name = J/' "$T/J/amied.conf"
"$AMIE" --dir "$T/J" daemon reload >/dev/null 2>&1 || fail "reload J"
"$AMIE" --dir "$T/J" join "$CODE" >/dev/null 2>"$T/err" ||
    fail "the code was spent by the refused join: $(cat "$T/err")"

# B invites, then removes itself: the code is refused for what it is,
# and B issues no new one.
new_node K || finish
CODE=$("$AMIE" --dir "$T/B" invite 2>/dev/null) || fail "invite by B"
BID=$("$AMIE" --dir "$T/B" id)
"$AMIE" --dir "$T/B" member remove "$BID" --reason retired >/dev/null 2>&1 ||
    fail "B removes itself"
"$AMIE" --dir "$T/K" join "$CODE" >/dev/null 2>"$T/err" &&
    fail "K joined through a removed member"
grep -q "no longer a member" "$T/err" ||
    fail "join through a removed member: $(cat "$T/err")"
"$AMIE" --dir "$T/B" invite >"$T/code" 2>"$T/err" &&
    fail "a removed member printed an invite code: $(cat "$T/code")"
grep -q "no longer a member" "$T/err" ||
    fail "invite by a removed member: $(cat "$T/err")"

stop_node "$PID_A"
stop_node "$PID_B"
stop_node "$PID_J"
stop_node "$PID_K"
finish
