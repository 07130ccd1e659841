# SPDX-License-Identifier: AGPL-3.0-or-later
# amied refuses to start on a directory or key that others can read, and
# when another amied holds the directory; amie init refuses to overwrite a
# node, or a configuration or charter it did not write, and then leaves
# the directory as it was; a node without a federation refuses to write
# records.
. tests/integration/lib.sh

D="$T/node"
"$AMIE" init --dir "$D" --name Solo >/dev/null 2>&1 || fail "init"
expect_code 78 "$AMIE" init --dir "$D" --name Again
grep -q "already a node" "$T/err" || fail "second init message: $(cat "$T/err")"

# A directory with a hand-written configuration and charter, no key.
K="$T/kept"
mkdir -m 755 "$K"
echo "# mine" >"$K/amied.conf"
echo "not a charter" >"$K/charter.amie"
expect_code 78 "$AMIE" init --dir "$K" --name Kept --federation Nord
grep -q "amied.conf already exists" "$T/err" ||
    fail "init over a configuration: $(cat "$T/err")"
[ "$(cat "$K/amied.conf")" = "# mine" ] || fail "init removed amied.conf"
[ "$(cat "$K/charter.amie")" = "not a charter" ] ||
    fail "init removed charter.amie"
[ ! -e "$K/node.key" ] || fail "init left a node.key"
[ "$(stat -c %a "$K")" = 755 ] || fail "init changed the directory's mode"
rm "$K/amied.conf"
expect_code 78 "$AMIE" init --dir "$K" --name Kept --federation Nord
grep -q "charter.amie already exists" "$T/err" ||
    fail "init over a charter: $(cat "$T/err")"
[ -e "$K/charter.amie" ] || fail "init removed charter.amie"

chmod 755 "$D"
expect_code 77 "$AMIED" --dir "$D"
grep -q "chmod 700" "$T/err" || fail "open directory message: $(cat "$T/err")"
chmod 700 "$D"
chmod 644 "$D/node.key"
expect_code 77 "$AMIED" --dir "$D"
grep -q "node.key: mode 644" "$T/err" || fail "open key message: $(cat "$T/err")"
chmod 600 "$D/node.key"

start_node "$D" || finish
expect_code 75 "$AMIED" --dir "$D"
grep -q "another amied is running" "$T/err" || fail "lock message: $(cat "$T/err")"
expect_code 0 "$AMIE" --dir "$D" status

echo text >"$T/text"
expect_code 78 "$AMIE" --dir "$D" kb add --title T - <"$T/text"
grep -q "no federation yet" "$T/err" || fail "no federation message: $(cat "$T/err")"
stop_node "$NODE_PID"

printf '[node]\nname = x\ncolour = blue\n[log]\nlevel = loud\n' >"$D/amied.conf"
expect_code 78 "$AMIED" --dir "$D"
grep -q "amied.conf:3: unknown key \[node\] colour" "$T/err" ||
    fail "config error message: $(cat "$T/err")"
finish
