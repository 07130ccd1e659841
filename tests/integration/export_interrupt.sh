# SPDX-License-Identifier: AGPL-3.0-or-later
# amie export stopped by a signal (Ctrl-C, a service stop) while it
# writes its temporary file leaves no part of the bundle behind.
. tests/integration/lib.sh

new_node A --federation Nord || finish
head -c 240000 /dev/zero | tr '\0' 'x' >"$T/big.txt"
i=0
while [ $i -lt 300 ]; do
	"$AMIE" --dir "$T/A" kb add --title "Gros $i" - <"$T/big.txt" \
	    >/dev/null 2>&1 || fail "add $i"
	i=$((i + 1))
done
# SIGINT is handled the same way, but a background job of sh ignores it.
for sig in TERM HUP; do
	"$AMIE" --dir "$T/A" export "$T/e.amie" 2>/dev/null &
	EX=$!
	half_written() { ls "$T"/e.amie.* >/dev/null 2>&1; }
	wait_for 20 half_written || fail "no temporary file"
	kill -"$sig" "$EX"
	wait "$EX"
	ls "$T"/e.amie* >/dev/null 2>&1 &&
	    fail "SIG$sig left $(ls "$T"/e.amie*)"
	rm -f "$T"/e.amie*
done
stop_node "$PID_A"
finish
