# SPDX-License-Identifier: AGPL-3.0-or-later
# Crashes at any instant: amied on B is killed with SIGKILL at a random
# moment while it ingests a stream of records (written on B through the
# command line, and pushed by its peer A), CRASH_CYCLES times (default
# 100).  After each restart every record B acknowledged is there and
# amie check finds the store consistent; at the end B and A hold the same
# records (B resynced what it missed from A, and A what B wrote).
. tests/integration/lib.sh

CYCLES=${CRASH_CYCLES:-100}
# The nodes run with the default anti-entropy interval (60 s), as long
# as the convergence deadline below: a record A asked B for just before
# a kill is asked for again when B is back (fed_unanswered_want.sh), not
# at A's next round.

new_node A --federation Nord || finish
new_node B || finish
join B A || finish
wait_for 20 same_records A B || fail "A and B differ"
: >"$T/acked"

# writer CYCLE: add articles on B until its amied is gone; the id of
# each one acknowledged goes to $T/acked.  The command under way has its
# pid in $T/wchild, to be ended with the daemon (its reply never comes).
writer() {
	i=0
	echo "Written during crash cycle $1" >"$T/text"
	while :; do
		"$AMIE" --dir "$T/B" kb add --title "Crash $1 $i" "$T/text" \
		    >"$T/id" 2>/dev/null &
		echo $! >"$T/wchild"
		wait $! || break
		cat "$T/id" >>"$T/acked"
		i=$((i + 1))
	done
}

# The ids B lists, one a line.
listed() {
	"$AMIE" --dir "$T/B" kb list --json 2>/dev/null |
	    sed -n 's/^ *"id": "\([0-9a-f]*\)",\{0,1\}$/\1/p'
}

start=$(date +%s)
c=0
while [ "$c" -lt "$CYCLES" ]; do
	c=$((c + 1))
	: >"$T/wchild"
	writer "$c" 2>/dev/null &
	wpid=$!
	add_article A "From A, cycle $c" >/dev/null || fail "add on A"
	# A random moment, 0 to 255 ms from now.
	sleep "0.$(printf '%03d' "$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')")"
	kill -KILL "$PID_B"
	wait "$PID_B" 2>/dev/null
	w=$(cat "$T/wchild")
	[ -n "$w" ] && kill -TERM "$w" 2>/dev/null
	wait "$wpid"
	start_node "$T/B" || break
	PID_B=$NODE_PID
	listed >"$T/listed"
	if grep -v -x -F -f "$T/listed" "$T/acked" >"$T/missing"; then
		fail "cycle $c: B lost $(wc -l <"$T/missing") acknowledged record(s): $(head -n 3 "$T/missing")"
		break
	fi
	if ! "$AMIE" --dir "$T/B" check >"$T/check.out" 2>&1; then
		fail "cycle $c: amie check: $(tail -n 5 "$T/check.out")"
		break
	fi
done
acked=$(wc -l <"$T/acked")
[ "$acked" -gt "$CYCLES" ] || fail "only $acked records acknowledged in $CYCLES cycles"
wait_for 60 same_records A B || fail "B and A did not converge: $(records A) and $(records B)"
echo "$c crash cycles in $(($(date +%s) - start)) s: $acked records acknowledged by B, none lost; $(records B) records on both nodes after resync"

stop_node "$PID_A"
stop_node "$PID_B"
finish
