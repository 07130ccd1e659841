# SPDX-License-Identifier: AGPL-3.0-or-later
# A reload whose [node] name cannot be published (node.info needs a name
# of 1 to 128 bytes): the reload must not answer done while the members
# keep the old name and the node runs with the new one.
. tests/integration/lib.sh

new_node A --federation Nord || finish
CONF="$T/A/amied.conf"
grep -q '^name = A$' "$CONF" || fail "no name line: $(cat "$CONF")"
sed -i 's/^name = A$/name =/' "$CONF"
"$AMIE" --dir "$T/A" daemon reload >"$T/out" 2>"$T/err"
rc=$?
"$AMIE" --dir "$T/A" members --json >"$T/members" 2>&1
"$AMIE" --dir "$T/A" status --json >"$T/status" 2>&1
if [ "$rc" = 0 ]; then
	# Accepted: then the members must see what the node now runs with.
	grep -q '"name": "A"' "$T/members" &&
	    fail "reload exit 0 ($(cat "$T/err")), but members still name A: $(cat "$T/members"); status: $(grep name "$T/status"); log: $(grep node.info "$T/A.log")"
else
	# Refused: the running configuration stays, name included.
	grep -q '"name": "A"' "$T/status" ||
	    fail "reload refused, but status: $(cat "$T/status")"
	grep -q "name" "$T/err" || fail "reload refused without why: $(cat "$T/err")"
fi
stop_node "$PID_A"
finish
