# SPDX-License-Identifier: AGPL-3.0-or-later
# amied.conf(5) names [::1] among the hosts of listen (and advertise has
# the same form): two nodes on the IPv6 loopback start, one joins the
# other and they sync.  Before, amied could not bind it ("cannot start:
# listen tcp://[::1]:PORT: No such device"): its sockets were not
# IPv6-enabled (ZMQ_IPV6), nor could they connect to such an endpoint.
. tests/integration/lib.sh

grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null || {
	echo "no IPv6 loopback here" >&2
	exit 77
}

v6_node() {
	name=$1
	shift
	"$AMIE" init --dir "$T/$name" --name "$name" \
	    --listen "tcp://[::1]:$(free_port)" "$@" >/dev/null 2>"$T/err" ||
	    fail "init $name: $(cat "$T/err")"
	start_node "$T/$name"
}

# free_port looks at the IPv4 ports; ::1 has its own, freer still.
v6_node A --federation Nord || finish
PID_A=$NODE_PID
v6_node B || finish
PID_B=$NODE_PID
join B A || finish
X=$(add_article A "Sur IPv6") || fail "add"
wait_for 30 has_article B "$X" || fail "B lacks A's article over IPv6"

# The IPv6 wildcard, like 0.0.0.0, is no address to put in a code.
v6_node W --federation Sud || finish
PID_W=$NODE_PID
sed -i 's/^listen = tcp:\/\/\[::1\]/listen = tcp:\/\/[::]/' "$T/W/amied.conf"
stop_node "$PID_W"
start_node "$T/W" || finish
PID_W=$NODE_PID
expect_code 78 "$AMIE" --dir "$T/W" invite
grep -q "advertise" "$T/err" || fail "invite on [::]: $(cat "$T/err")"

stop_node "$PID_A"
stop_node "$PID_B"
stop_node "$PID_W"
finish
