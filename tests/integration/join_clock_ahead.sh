# SPDX-License-Identifier: AGPL-3.0-or-later
# An inviter whose clock is far ahead (over RECORD_FUTURE_MAX_MS, 10
# minutes) signs a member.add the joiner must refuse.  The join fails
# saying why, and leaves nothing behind: the node can join later.
# Before, the joiner stored the charter and not its admission: "the
# inviter's answer does not make this node a member", then every later
# join said "this node already belongs to a federation".
. tests/integration/lib.sh

FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[ -f "$FAKETIME_LIB" ] || {
	echo "libfaketime is needed (Debian package faketime)" >&2
	exit 77
}
new_node J || finish

# A's charter is dated now; A then runs 30 minutes ahead.
"$AMIE" init --dir "$T/A" --name A --listen "tcp://127.0.0.1:$(free_port)" \
    --federation Nord >/dev/null 2>&1 || fail "init A"
# Under ASan its runtime must come first in the preloads.
ASAN_LIB=$(ldd "$AMIED" | awk '/libasan/ { print $3 }')
LD_PRELOAD="${ASAN_LIB:+$ASAN_LIB }$FAKETIME_LIB" FAKETIME=+30m FAKETIME_DONT_FAKE_MONOTONIC=1 \
    "$AMIED" --dir "$T/A" 2>>"$T/A.log" &
PID_A=$!
PIDS="$PIDS $PID_A"
wait_for 20 "$AMIE" --dir "$T/A" status || fail "A did not start: $(cat "$T/A.log")"

CODE=$("$AMIE" --dir "$T/A" invite 2>/dev/null) || fail "invite by A"
"$AMIE" --dir "$T/J" join "$CODE" >/dev/null 2>"$T/err" &&
    fail "J joined through an inviter 30 minutes ahead"
grep -q "clock" "$T/err" || fail "join with A ahead: $(cat "$T/err")"
"$AMIE" --dir "$T/J" status --json >"$T/j.json" 2>/dev/null
grep -q '"federation": ""' "$T/j.json" ||
    fail "J kept a federation from the failed join: $(grep federation "$T/j.json")"

# Nothing is left behind: J joins another federation.  (A itself signs
# ahead until the real time catches up: its timestamps only go up.)
new_node C --federation Sud || finish
join J C || fail "J cannot join after the failed join"

stop_node "$PID_A"
stop_node "$PID_C"
stop_node "$PID_J"
finish
