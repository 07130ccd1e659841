# SPDX-License-Identifier: AGPL-3.0-or-later
# A network cut between regions.  Five nodes, each in its own network
# namespace, wired by veth pairs to two bridges (nodes 1-3 on one, 4-5 on
# the other) that a veth trunk joins, all in namespaces of this test.
# Taking the trunk down splits them in two groups for PARTITION_S seconds
# (default 20, past the ZeroMQ heartbeat timeout) while both sides write;
# once it is up again all five converge to the same item fingerprint
# (amie status) within CONVERGE_S seconds (default 120).  The time it took
# is printed.  Skipped (77) where network namespaces cannot be made.
. tests/integration/lib.sh

PARTITION_S=${PARTITION_S:-20}
CONVERGE_S=${CONVERGE_S:-120}
INTERVAL=5
NS="amie$$"

netns_cleanup() {
	for i in 1 2 3 4 5 br; do
		ip netns del "$NS-$i" 2>/dev/null
	done
}
trap 'cleanup; netns_cleanup' EXIT INT TERM

skip() {
	echo "SKIP: $*" >&2
	exit 77
}
[ "$(id -u)" = 0 ] || skip "network namespaces need root"
command -v ip >/dev/null 2>&1 || skip "no ip command (install iproute2)"
ip netns add "$NS-br" 2>"$T/err" ||
    skip "cannot create a network namespace: $(cat "$T/err")"

# The wiring: bridges b0 (nodes 1-3) and b1 (nodes 4-5) joined by t0-t1.
br() {
	ip -n "$NS-br" "$@" || fail "ip -n $NS-br $*"
}
br link set lo up
br link add b0 type bridge
br link add b1 type bridge
br link add t0 type veth peer name t1
br link set t0 master b0
br link set t1 master b1
for l in b0 b1 t0 t1; do
	br link set "$l" up
done
for i in 1 2 3 4 5; do
	ip netns add "$NS-$i" || skip "cannot create namespace $NS-$i"
	ip -n "$NS-$i" link set lo up
	ip link add "v$i" netns "$NS-br" type veth peer name eth0 \
	    netns "$NS-$i" || skip "cannot create a veth pair"
	ip -n "$NS-$i" addr add "10.77.0.$i/24" dev eth0
	ip -n "$NS-$i" link set eth0 up
	if [ "$i" -le 3 ]; then br link set "v$i" master b0; else br link set "v$i" master b1; fi
	br link set "v$i" up
done
[ "$FAILED" = 0 ] || finish

# node I [ARGS...]: init node I listening in its namespace, start it there.
node() {
	i=$1
	shift
	"$AMIE" init --dir "$T/n$i" --name "N$i" --listen "tcp://10.77.0.$i:4410" \
	    "$@" >/dev/null 2>&1 || fail "init N$i"
	printf '\n[sync]\ninterval = %s\n' "$INTERVAL" >>"$T/n$i/amied.conf"
	ip netns exec "$NS-$i" "$AMIED" --dir "$T/n$i" 2>>"$T/n$i.log" &
	eval "PID_$i=\$!"
	PIDS="$PIDS $!"
	wait_for 20 "$AMIE" --dir "$T/n$i" status ||
	    fail "amied N$i did not start: $(cat "$T/n$i.log")"
}

fingerprint() {
	"$AMIE" --dir "$T/n$1" status --json >"$T/fp.json" 2>/dev/null &&
	    json_field fingerprint "$T/fp.json"
}
all_same() {
	f1=$(fingerprint 1) || return 1
	[ -n "$f1" ] || return 1
	for i in 2 3 4 5; do
		[ "$(fingerprint "$i")" = "$f1" ] || return 1
	done
}

node 1 --federation Nord || finish
for i in 2 3 4 5; do
	node "$i" || finish
	join "n$i" n1 || finish
done
wait_for 60 all_same || fail "the five nodes do not converge before the cut"

# The cut.  Each side keeps writing while it lasts.
br link set t0 down
end=$(($(date +%s) + PARTITION_S))
k=0
while [ "$(date +%s)" -lt "$end" ]; do
	k=$((k + 1))
	for i in 1 2 4 5; do
		add_article "n$i" "Written on N$i during the cut, $k" >>"$T/ids-$i" ||
		    fail "add on N$i during the cut"
	done
	sleep 1
done
# Each side saw its own writes and not the other's.
X1=$(tail -n 1 "$T/ids-1")
X4=$(tail -n 1 "$T/ids-4")
wait_for 30 has_article n3 "$X1" || fail "N3 lacks N1's article within its side"
wait_for 30 has_article n5 "$X4" || fail "N5 lacks N4's article within its side"
has_article n4 "$X1" && fail "N4 got N1's article through the cut"
has_article n1 "$X4" && fail "N1 got N4's article through the cut"

t0=$(date +%s%N)
br link set t0 up
if wait_for "$CONVERGE_S" all_same; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "after a cut of ${PARTITION_S} s with $((4 * k)) articles written, five nodes converged in $ms ms ($(records n1) records each; sync interval ${INTERVAL} s)"
else
	fail "no convergence within ${CONVERGE_S} s: $(for i in 1 2 3 4 5; do records "n$i"; done | tr '\n' ' ')"
fi
for i in 1 2 3 4 5; do
	eval "stop_node \$PID_$i"
done
finish
