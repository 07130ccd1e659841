# SPDX-License-Identifier: AGPL-3.0-or-later
# A list longer than one control reply holds (CTL_MSG_MAX, 1 MiB) comes
# in pages: amie kb history of an article of 5,000 revisions shows every
# revision, as rows and as one --json array (before, it failed past about
# 4,000).  amie members of 3,000 goes through the same pages.  A bad cursor is
# refused with its reason.
. tests/integration/lib.sh

new_node A --federation Ouest || finish

"$CTLTOOL" revisions "$T/A" 5000 || fail "ctltool revisions"
expect_code 0 "$AMIE" --dir "$T/A" kb history longhistory
[ "$(wc -l <"$T/out")" = 5000 ] || fail "history shows $(wc -l <"$T/out") rows"
[ "$(grep -c '(head)$' "$T/out")" = 1 ] || fail "history shows $(grep -c '(head)$' "$T/out") heads"
head -n 1 "$T/out" | grep -q ' revision 0$' || fail "first row: $(head -n 1 "$T/out")"
tail -n 1 "$T/out" | grep -q ' revision 4999  (head)$' || fail "last row: $(tail -n 1 "$T/out")"
expect_code 0 "$AMIE" --dir "$T/A" kb history longhistory --json
[ "$(grep -c '"revision":' "$T/out")" = 5000 ] || fail "history --json shows $(grep -c '"revision":' "$T/out") revisions"
[ "$(grep -c '"revisions": \[' "$T/out")" = 1 ] || fail "history --json is not one array"
grep -q '"next"' "$T/out" && fail "history --json shows a cursor"
[ "$(json_field id "$T/out")" = longhistory ] || fail "history --json id: $(json_field id "$T/out")"

# Members through the same pages: 3,000 with the longest names and
# regions fill more than one reply (tests/unit/members_test.c pages
# 2,703).  ctltool signs them in batches of 1,000 through the ingest
# command, which takes the members in once a batch (it reloaded every
# member's transport key after each member.add: the second batch did
# not answer in time).
"$CTLTOOL" members "$T/A" 3000 || fail "ctltool members"
expect_code 0 "$AMIE" --dir "$T/A" members
[ "$(wc -l <"$T/out")" = 3002 ] || fail "members shows $(wc -l <"$T/out") lines"
[ "$(grep -c '(this)' "$T/out")" = 1 ] || fail "members shows this node $(grep -c '(this)' "$T/out") times"
expect_code 0 "$AMIE" --dir "$T/A" members --json
[ "$(grep -c '"safety_code":' "$T/out")" = 3001 ] || fail "members --json shows $(grep -c '"safety_code":' "$T/out") members"
grep -q '"next"' "$T/out" && fail "members --json shows a cursor"

# A cursor of 3 bytes: {"after": 010203, "cmd": "kb.history", "id": ...}
# and {"after": 010203, "cmd": "members"}.
expect_code 0 "$CTLTOOL" raw "$T/A" \
    83a56166746572c403010203a3636d64aa6b622e686973746f7279a26964ab6c6f6e67686973746f7279
grep -q '^error 1 kb history: after: 3 bytes, not 40$' "$T/out" ||
    fail "history, bad cursor: $(cat "$T/out")"
expect_code 0 "$CTLTOOL" raw "$T/A" \
    82a56166746572c403010203a3636d64a76d656d62657273
grep -q '^error 1 members: after: 3 bytes, not 32$' "$T/out" ||
    fail "members, bad cursor: $(cat "$T/out")"
# A string where a cursor goes.
expect_code 0 "$CTLTOOL" raw "$T/A" \
    82a56166746572a3616263a3636d64a76d656d62657273
grep -q '^error 1 ' "$T/out" || fail "members, string cursor: $(cat "$T/out")"

stop_node "$PID_A"
finish
