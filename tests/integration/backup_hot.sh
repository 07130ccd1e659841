# SPDX-License-Identifier: AGPL-3.0-or-later
# amie backup is hot: while the copy is written, the daemon goes on
# answering.  The backup's fsync is held 3 s by strace (fault injection
# into that one system call, which nothing else in amied makes), so the
# copy is surely under way when amie status asks: status must answer
# while the temporary file is still there.  Before, the copy and its
# fsync ran in the event loop, and status waited for them.  Skipped
# without strace or where it cannot attach.
. tests/integration/lib.sh

command -v strace >/dev/null 2>&1 || exit 77
new_node A --federation Nord || finish
X=$(add_article A "Avant la sauvegarde") || fail "add"

strace_hold A -e trace=fsync -e inject=fsync:delay_enter=3000000

"$AMIE" --dir "$T/A" backup "$T/a.mdb" >"$T/backup.out" 2>&1 &
BK=$!
copying() { ls "$T"/a.mdb.* >/dev/null 2>&1; }
wait_for 10 copying || fail "no temporary file"
expect_code 0 "$AMIE" --dir "$T/A" status
copying || fail "amie status was answered only once the backup was done"
wait "$BK" || fail "backup: $(cat "$T/backup.out")"
[ -f "$T/a.mdb" ] || fail "no backup written"
copying && fail "the temporary file is left"
kill "$ST" 2>/dev/null
wait "$ST" 2>/dev/null

has_article A "$X" || fail "the article is gone"
stop_node "$PID_A"
finish
