# SPDX-License-Identifier: AGPL-3.0-or-later
# amie doctor: a peer whose clock is ten minutes behind ours, then ahead,
# is reported with its skew and the fix, from the clock its PINGs carry
# (tests/tools/peertool.c, mode clock); a peer with a right clock is no
# problem.  amie peers shows the skew.
. tests/integration/lib.sh

new_node A --federation Nord || finish
peer_target A || fail "status of A"

expect_code 0 "$AMIE" --dir "$T/A" doctor
grep -q "ok       clock .*no peer has sent its clock yet" "$T/out" ||
    fail "alone: $(cat "$T/out")"
K="$T/peer"
KID=$("$PEERTOOL" mint "$T/A" "$K" "$NET") || fail "cannot mint a member"

PT=""
# clockpeer OFFSET_S: the new member on a link to A, its PINGs dated
# OFFSET_S seconds off our clock, until stop_clockpeer.
clockpeer() {
	PEERTOOL_CLOCK_S=$1 PEERTOOL_HOLD_MS=120000 \
	    "$PEERTOOL" "$K" "$EP" "$AID" "$NET" clock >"$T/pt.out" 2>&1 &
	PT=$!
	PIDS="$PIDS $PT"
	wait_for 20 grep -q answered "$T/pt.out" ||
	    fail "peertool clock $1: $(cat "$T/pt.out")"
}
stop_clockpeer() {
	kill "$PT" 2>/dev/null
	wait "$PT" 2>/dev/null
}
# skew_in LOW HIGH: doctor --json's skew for the member, within [LOW, HIGH].
skew_in() {
	grep -q "\"peer\": \"$KID\"" "$T/out" || return 1
	s=$(sed -n 's/^ *"clock_skew_ms": \(-\{0,1\}[0-9]*\),*$/\1/p' "$T/out")
	[ -n "$s" ] && [ "$s" -ge "$1" ] && [ "$s" -le "$2" ]
}

# Ten minutes behind.
clockpeer -600
expect_code 1 "$AMIE" --dir "$T/A" doctor --json
grep -q '"healthy": false' "$T/out" || fail "behind: $(cat "$T/out")"
skew_in -605000 -595000 || fail "behind: no skew near -600 s: $(cat "$T/out")"
expect_code 1 "$AMIE" --dir "$T/A" doctor
grep -q "PROBLEM  clock .* is [0-9]* s behind this machine's" "$T/out" ||
    fail "behind: $(cat "$T/out")"
grep -q "fix: install and enable systemd-timesyncd or chrony" "$T/out" ||
    fail "behind: no fix: $(cat "$T/out")"
expect_code 0 "$AMIE" --dir "$T/A" peers
grep -q "clock -[56][09][0-9] s" "$T/out" || fail "peers: $(cat "$T/out")"
expect_code 0 "$AMIE" --dir "$T/A" peers --json
grep -q '"clock_skew_ms": -' "$T/out" || fail "peers --json: $(cat "$T/out")"
stop_clockpeer

# Ten minutes ahead, on the same member's link.
clockpeer 600
expect_code 1 "$AMIE" --dir "$T/A" doctor --json
skew_in 595000 605000 || fail "ahead: no skew near 600 s: $(cat "$T/out")"
expect_code 1 "$AMIE" --dir "$T/A" doctor
grep -q "PROBLEM  clock .* is [0-9]* s ahead of this machine's" "$T/out" ||
    fail "ahead: $(cat "$T/out")"
stop_clockpeer

# A right clock: no clock problem, and doctor is healthy.
clockpeer 0
expect_code 0 "$AMIE" --dir "$T/A" doctor --json
grep -q '"healthy": true' "$T/out" || fail "right clock: $(cat "$T/out")"
grep -q '"clock_skew_ms"' "$T/out" && fail "right clock: a skew: $(cat "$T/out")"
expect_code 0 "$AMIE" --dir "$T/A" doctor
grep -q "ok       clock .*the clocks of the peers known (1) are within 60 s" \
    "$T/out" || fail "right clock: $(cat "$T/out")"
stop_clockpeer

stop_node "$PID_A"
finish
