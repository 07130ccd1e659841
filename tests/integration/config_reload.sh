# SPDX-License-Identifier: AGPL-3.0-or-later
# amied -t checks amied.conf (exit 78 and the line on an error), amied -T
# prints it with every default; a reload (amie daemon reload or SIGHUP)
# changes the log level and the node's name without dropping its peers,
# keeps the running configuration when the file has an error, and leaves
# listen for the next start.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
join B A || finish
CONF="$T/A/amied.conf"
AID=$("$AMIE" --dir "$T/A" id)

# -t and -T on the running node's file.
expect_code 0 "$AMIED" -t --dir "$T/A"
grep -q "configuration ok" "$T/err" || fail "-t message: $(cat "$T/err")"
expect_code 0 "$AMIED" -T --dir "$T/A"
for k in name region contact listen advertise max_peers interval level \
    peer_messages_per_sec peer_bytes_per_sec; do
	grep -q "^$k =" "$T/out" || fail "-T lacks $k: $(cat "$T/out")"
done
grep -q "^peer_bytes_per_sec = 33554432$" "$T/out" ||
    fail "-T default of peer_bytes_per_sec: $(cat "$T/out")"
mkdir -m 700 "$T/printed"
cp "$T/out" "$T/printed/amied.conf"
expect_code 0 "$AMIED" -t --dir "$T/printed"

cp "$CONF" "$T/good.conf"
printf '[sync]\ninterval = 10\nmax_peer = 3\n' >>"$CONF"
expect_code 78 "$AMIED" -t --dir "$T/A"
line=$(grep -n '^max_peer = 3' "$CONF" | cut -d: -f1)
grep -q "amied.conf:$line: unknown key \[sync\] max_peer" "$T/err" ||
    fail "-t error message: $(cat "$T/err")"

wait_for 30 both_links A || fail "A and B never linked both ways"
# bytes: what A's links received, summed (the order of the rows, and
# whether A's own link to B is up yet, may differ from one call to the
# next); a link dropped and made again would lower it.
bytes() {
	"$AMIE" --dir "$T/A" peers --json 2>/dev/null >"$T/b.json" &&
	    awk '$1 == "\"bytes_received\":" { gsub(/[^0-9]/, "", $2); s += $2 }
	    END { print s + 0 }' "$T/b.json"
}
before=$(bytes)

# A bad file on reload: exit 78 with the line, the old one stays.
expect_code 78 "$AMIE" --dir "$T/A" daemon reload
grep -q "amied.conf:$line: unknown key \[sync\] max_peer" "$T/err" ||
    fail "reload error message: $(cat "$T/err")"
grep -q "the running configuration stays" "$T/A.log" ||
    fail "no log of the refused reload"

# At level info a failed request is logged; at warning it is not.
expect_code 1 "$AMIE" --dir "$T/A" kb show aaaa1111
grep -q "no kb with id aaaa1111" "$T/A.log" || fail "info line not logged"
sed -e 's/^level = info/level = warning/' -e 's/^name = A$/name = A renamed/' \
    "$T/good.conf" >"$CONF"
expect_code 0 "$AMIE" --dir "$T/A" daemon reload
grep -q "\[log\] level: 'info' -> 'warning'" "$T/err" ||
    fail "reload output: $(cat "$T/err")"
grep -q "\[node\] name: 'A' -> 'A renamed'" "$T/err" ||
    fail "reload output: $(cat "$T/err")"
expect_code 1 "$AMIE" --dir "$T/A" kb show bbbb2222
grep -q "bbbb2222" "$T/A.log" && fail "info line logged at level warning"

# The new name reaches B in a new node.info, over the same link.
renamed_on_b() {
	"$AMIE" --dir "$T/B" members --json 2>/dev/null |
	    grep -A6 "\"id\": \"$AID\"" | grep -q '"name": "A renamed"'
}
wait_for 30 renamed_on_b || fail "B does not see A's new name"
linked A || fail "A lost its link with B after the reload"
after=$(bytes)
[ -n "$before" ] && [ -n "$after" ] && [ "$after" -ge "$before" ] ||
    fail "A's link with B was dropped (bytes received $before then $after)"
grep -q "dropping" "$T/A.log" && fail "a link was dropped: $(grep dropping "$T/A.log")"

# SIGHUP does the same; listen waits for a restart, JSON says so.
sed -i 's/^level = warning/level = info/' "$CONF"
kill -HUP "$PID_A"
wait_for 20 grep -q "reload: \[log\] level: 'warning' -> 'info'" "$T/A.log" ||
    fail "SIGHUP did not reload: $(tail -n 5 "$T/A.log")"
expect_code 1 "$AMIE" --dir "$T/A" kb show cccc3333
grep -q "cccc3333" "$T/A.log" || fail "info line not logged after SIGHUP"
port=$(free_port)
sed -i "s|^listen = .*|listen = tcp://127.0.0.1:$port|" "$CONF"
expect_code 0 "$AMIE" --dir "$T/A" daemon reload --json
grep -q '"restart": true' "$T/out" || fail "reload --json: $(cat "$T/out")"
grep -q '"schema": 1' "$T/out" || fail "reload --json has no schema"
grep -q "listen changed to 'tcp://127.0.0.1:$port': restart amied" "$T/A.log" ||
    fail "no log of the listen change"
expect_code 0 "$AMIE" --dir "$T/A" daemon reload
grep -q "restart amied to apply it" "$T/err" || fail "listen not pending"

stop_node "$PID_A"
stop_node "$PID_B"
finish
