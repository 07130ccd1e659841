# SPDX-License-Identifier: AGPL-3.0-or-later
# amie doctor run by a user who may not enter the node's directory (the
# node belongs to the amie system user, the admin forgot runuser): the
# node is there, so the fix is to run amie as its owner, not to create a
# new node or put a saved key back over the real one.
. tests/integration/lib.sh

[ "$(id -u)" = 0 ] || { echo "needs root to run as nobody" >&2; exit 77; }
command -v runuser >/dev/null || { echo "needs runuser" >&2; exit 77; }
runuser -u nobody -- test -x "$AMIE" ||
    { echo "nobody cannot run $AMIE" >&2; exit 77; }

"$AMIE" init --dir "$T/A" --name A --listen tcp://127.0.0.1:9 \
    >/dev/null 2>&1 || fail "init A"
as_nobody() { runuser -u nobody -- "$AMIE" --dir "$T/A" doctor; }

# The directory can be looked at, node.key cannot (mode 0700 of root).
chmod 711 "$T"
expect_code 1 as_nobody
grep -q "fix: run amie as the user that owns the node directory" \
    "$T/out" || fail "key not readable: $(cat "$T/out")"
grep -q "copy your saved node.key\|amie init" "$T/out" &&
    fail "advises replacing the key of a node that is there: $(cat "$T/out")"

# Not even the directory can be looked at.
chmod 700 "$T"
expect_code 1 as_nobody
grep -q "fix: run amie as the user that owns the node directory" \
    "$T/out" || fail "directory not searchable: $(cat "$T/out")"
grep -q "no node directory here\|amie init" "$T/out" &&
    fail "advises amie init over a node that is there: $(cat "$T/out")"
finish
