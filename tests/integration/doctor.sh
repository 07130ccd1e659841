# SPDX-License-Identifier: AGPL-3.0-or-later
# amie doctor: a healthy pair of nodes passes; a readable key, an open
# directory, a record dated ahead of the clock, a stopped peer and a
# stopped daemon are each reported with the command that fixes them.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
join B A || finish
healthy() { "$AMIE" --dir "$T/A" doctor; }
wait_for 30 healthy || fail "A never healthy: $("$AMIE" --dir "$T/A" doctor)"
expect_code 0 "$AMIE" --dir "$T/A" doctor --json
grep -q '"schema": 1' "$T/out" || fail "doctor --json: no schema"
grep -q '"healthy": true' "$T/out" || fail "doctor --json: $(cat "$T/out")"
grep -q '"name": "listen"' "$T/out" || fail "no listen check"
expect_code 0 "$AMIE" --dir "$T/A" doctor
grep -q "^healthy$" "$T/out" || fail "doctor: $(cat "$T/out")"
expect_code 64 "$AMIE" --dir "$T/A" doctor extra

chmod 644 "$T/A/node.key"
expect_code 1 "$AMIE" --dir "$T/A" doctor
grep -q "fix: chmod 600 $T/A/node.key" "$T/out" || fail "key: $(cat "$T/out")"
chmod 600 "$T/A/node.key"
chmod 750 "$T/A"
expect_code 1 "$AMIE" --dir "$T/A" doctor --json
grep -q "\"fix\": \"chmod 700 $T/A\"" "$T/out" || fail "dir: $(cat "$T/out")"
grep -q '"healthy": false' "$T/out" || fail "dir: $(cat "$T/out")"
chmod 700 "$T/A"

# A record of A dated five minutes ahead: A's clock looks behind.
"$CTLTOOL" record "$T/A" ahead >"$T/ahead" || fail "ctltool ahead"
grep -q stored "$T/ahead" || fail "ahead record: $(cat "$T/ahead")"
expect_code 1 "$AMIE" --dir "$T/A" doctor
grep -q "clock is [0-9]* s behind" "$T/out" || fail "clock: $(cat "$T/out")"
grep -q "fix: timedatectl" "$T/out" || fail "clock fix: $(cat "$T/out")"
# B sees A's record ahead of its own clock.
ahead_on_b() {
	"$AMIE" --dir "$T/B" doctor | grep -q "records of A .* ahead"
}
wait_for 30 ahead_on_b || fail "B: $("$AMIE" --dir "$T/B" doctor)"

stop_node "$PID_A"
expect_code 1 "$AMIE" --dir "$T/A" doctor
grep -q "not running" "$T/out" || fail "daemon: $(cat "$T/out")"
grep -q "fix: systemctl start amied, or amied --dir $T/A" "$T/out" ||
    fail "daemon fix: $(cat "$T/out")"
peer_down() { "$AMIE" --dir "$T/B" doctor | grep -q "PROBLEM  peer"; }
wait_for 30 peer_down || fail "B: $("$AMIE" --dir "$T/B" doctor)"
stop_node "$PID_B"
finish
