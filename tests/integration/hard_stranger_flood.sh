# SPDX-License-Identifier: AGPL-3.0-or-later
# A key that is no member, let in at the handshake while an invite is
# pending, cannot flood the node: its messages are under the same rate
# as a member's, and the log says so once, not once a message.  Before,
# every message of such a key was decoded and logged ("net: dropped HAVE
# from a key that is not a member"), tens of thousands of lines a second
# for as long as it went on, and a removed member's open connection could
# do the same.
. tests/integration/lib.sh

new_node A --federation Nord || finish
"$AMIE" --dir "$T/A" invite --expires 1h >/dev/null || fail "invite"
peer_target A || fail "status of A"
"$AMIE" init --dir "$T/E" --name E >/dev/null 2>&1 || fail "init E"

lines=$(wc -l <"$T/A.log")
PEERTOOL_FLOOD_MS=3000 "$PEERTOOL" "$T/E" "$EP" "$AID" "$NET" strangerflood \
    >"$T/pt.out" 2>&1 || fail "peertool: $(cat "$T/pt.out")"
sleep 1
n=$(tail -n +$((lines + 1)) "$T/A.log" | wc -l)
echo "stranger: $(cat "$T/pt.out"); $n log lines"
[ "$n" -le 100 ] || fail "A logged $n lines for a stranger's flood: $(tail -n +$((lines + 1)) "$T/A.log" | sort | uniq -c | sort -rn | head -3)"
expect_code 0 "$AMIE" --dir "$T/A" status

stop_node "$PID_A"
finish
