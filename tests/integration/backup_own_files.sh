# SPDX-License-Identifier: AGPL-3.0-or-later
# amie backup --force never writes over the node's own files: over
# DIR/store/data.mdb the daemon goes on writing the old, unlinked file
# and what it writes is gone at the next start; over DIR/node.key the
# node loses its identity.  Both are refused (64) and change nothing.
. tests/integration/lib.sh

new_node A --federation Nord || finish
cp "$T/A/node.key" "$T/key.before"
expect_code 64 "$AMIE" --dir "$T/A" backup --force "$T/A/store/data.mdb"
expect_code 64 "$AMIE" --dir "$T/A" backup --force "$T/A/node.key"
cmp -s "$T/A/node.key" "$T/key.before" || fail "node.key was replaced"
X=$(add_article A "Après la sauvegarde") || fail "add"
stop_node "$PID_A"
start_node "$T/A" || finish
PID_A=$NODE_PID
has_article A "$X" || fail "the article written after the backup is lost"
# Elsewhere, --force still replaces a backup.
expect_code 0 "$AMIE" --dir "$T/A" backup "$T/a.mdb"
expect_code 0 "$AMIE" --dir "$T/A" backup --force "$T/a.mdb"
stop_node "$PID_A"
finish
