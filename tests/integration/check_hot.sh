# SPDX-License-Identifier: AGPL-3.0-or-later
# amie check leaves the daemon answering: the check runs on a thread of
# its own.  strace holds that thread 3 s as it starts (fault injection
# into the prctl() with which it names itself, which nothing else in an
# idle amied makes), so the check is surely under way when amie status
# asks: status must answer before the check does.  Before, the check ran
# in the event loop, and status waited for it (2.3 s with 40,000
# records).  Skipped without strace or where it cannot attach.
. tests/integration/lib.sh

command -v strace >/dev/null 2>&1 || exit 77
new_node A --federation Nord || finish
X=$(add_article A "Avant la vérification") || fail "add"

strace_hold A -e trace=prctl -e inject=prctl:delay_exit=3000000

"$AMIE" --dir "$T/A" check >"$T/check.out" 2>&1 &
CK=$!
started() { grep -q "check: started" "$T/A.log"; }
wait_for 10 started || fail "the check did not start"
expect_code 0 "$AMIE" --dir "$T/A" status
kill -0 "$CK" 2>/dev/null ||
    fail "amie status was answered only once the check was done"
wait "$CK" || fail "check: $(cat "$T/check.out")"
kill "$ST" 2>/dev/null
wait "$ST" 2>/dev/null

has_article A "$X" || fail "the article is gone"
stop_node "$PID_A"
finish
