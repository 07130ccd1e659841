# SPDX-License-Identifier: AGPL-3.0-or-later
# A full disk.  B's node directory sits on a small tmpfs: once it is full
# a write fails with a clear message (the disk is full, exit 75), logged,
# and the daemon stays up; A keeps writing meanwhile; nothing stored
# before is lost or damaged (amie check).  When space
# returns (the tmpfs grows), writes work again and B catches up with A.
# Skipped (77) when not root or when tmpfs cannot be mounted.
. tests/integration/lib.sh

MNT="$T/mnt"
umount_mnt() {
	umount "$MNT" 2>/dev/null
}
trap 'umount_mnt; cleanup' EXIT INT TERM

skip() {
	echo "SKIP: $*" >&2
	exit 77
}
[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
mkdir "$MNT"
mount -t tmpfs -o size=3m,mode=0700 tmpfs "$MNT" 2>"$T/err" ||
    skip "cannot mount a tmpfs: $(cat "$T/err")"

new_node A --federation Nord || finish
"$AMIE" init --dir "$MNT/B" --name B --listen "tcp://127.0.0.1:$(free_port)" \
    >/dev/null 2>&1 || fail "init B on the tmpfs"
# Its log goes beside, off the tmpfs.
"$AMIED" --dir "$MNT/B" 2>>"$T/B.log" &
PID_B=$!
PIDS="$PIDS $PID_B"
wait_for 20 "$AMIE" --dir "$MNT/B" status || fail "amied on B did not start"
code=$("$AMIE" --dir "$T/A" invite 2>/dev/null) || fail "invite"
"$AMIE" --dir "$MNT/B" join "$code" >/dev/null 2>&1 || fail "B joins A"
bsame() {
	ra=$(records A) && rb=$("$AMIE" --dir "$MNT/B" status --json 2>/dev/null |
	    sed -n 's/^ *"records": \([0-9]*\),$/\1/p') && [ "$ra" = "$rb" ]
}
wait_for 20 bsame || fail "A and B differ"

# Articles of 64 KiB until the disk is full.
head -c 49152 /dev/urandom | base64 -w 76 >"$T/text"
: >"$T/acked"
i=0
while [ "$i" -lt 200 ]; do
	i=$((i + 1))
	"$AMIE" --dir "$MNT/B" kb add --title "Filler $i" "$T/text" \
	    >"$T/id" 2>"$T/err"
	rc=$?
	[ "$rc" = 0 ] || break
	cat "$T/id" >>"$T/acked"
done
[ "$i" -lt 200 ] || fail "the disk never filled"
[ "$rc" = 75 ] || fail "a write on a full disk exited $rc, expected 75"
grep -q "the disk is full" "$T/err" || fail "no clear message: $(cat "$T/err")"
echo "disk full after $(wc -l <"$T/acked") articles: $(cat "$T/err")"
kill -0 "$PID_B" || fail "amied stopped on a full disk"
grep -q "kb.add: store: ingest: the disk is full" "$T/B.log" ||
    fail "the full disk is not logged: $(tail -n 5 "$T/B.log")"

# A writes while B's disk is full; B has it at the latest once space
# returns.
X=$(add_article A "Written on A while B is full") || fail "add on A"
expect_code 0 "$AMIE" --dir "$MNT/B" status
"$AMIE" --dir "$MNT/B" kb list --json 2>/dev/null |
    sed -n 's/^ *"id": "\([0-9a-f]*\)",\{0,1\}$/\1/p' >"$T/listed"
grep -v -x -F -f "$T/listed" "$T/acked" >"$T/missing" &&
    fail "B lost articles on a full disk: $(head -n 3 "$T/missing")"
expect_code 0 "$AMIE" --dir "$MNT/B" check

# Space returns.
mount -o remount,size=64m "$MNT" || fail "cannot grow the tmpfs"
Y=$(echo "Room again" | "$AMIE" --dir "$MNT/B" kb add --title "Room again" -) ||
    fail "B still cannot write"
expect_code 0 "$AMIE" --dir "$MNT/B" sync --wait --timeout 30
wait_for 60 has_article A "$Y" || fail "A lacks B's article"
wait_for 60 bsame || fail "B did not catch up with A"
"$AMIE" --dir "$MNT/B" kb show "$X" >/dev/null 2>&1 || fail "B lacks A's article"
expect_code 0 "$AMIE" --dir "$MNT/B" check
stop_node "$PID_B"
stop_node "$PID_A"
finish
