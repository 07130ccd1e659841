# SPDX-License-Identifier: AGPL-3.0-or-later
# A node whose clock is set back an hour after some writes goes on
# syncing (its timers run on the monotonic clock) and writing: its
# records are dated after its last one (max(now, last + 1)), its own
# ingest takes them though they are ahead of its clock, the log, amie
# status and amie doctor say the clock went back, and a peer whose clock
# is right takes them.  Then the clock set a day ahead and back:
# the records of that day stay refused by the peer (more than 10 minutes
# ahead of its clock), and the node still writes.  amied A runs under
# libfaketime, its clock read from a file the test rewrites; skipped (77)
# without libfaketime (Debian package faketime).
. tests/integration/lib.sh

FT_LIB=""
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 \
    /usr/lib/faketime/libfaketimeMT.so.1; do
	[ -r "$f" ] && FT_LIB=$f && break
done
[ -n "$FT_LIB" ] || { echo "libfaketime is missing (make deps)"; exit 77; }
FT="$T/faketime"
echo "+0" >"$FT"
# faked COMMAND...: exec it with the clock of $FT, re-read at each call
# (in a subshell: "faked amied &" leaves amied's pid in $!).  The
# monotonic clock stays true, as on a real machine: faked, it would go
# back with the other and stall the timers of amied and libzmq.
# An ASan build's runtime must come first in the preload list.
faked() {
	asan=$(ldd "$1" 2>/dev/null | awk '/libasan/ { print $3 }')
	LD_PRELOAD="${asan:+$asan }$FT_LIB" FAKETIME_TIMESTAMP_FILE=$FT \
	    FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 exec "$@"
}
echo "-1h" >"$FT"
s=$(faked date +%s)
[ $(($(date +%s) - s)) -ge 3590 ] || { echo "libfaketime does not work here"; exit 77; }
echo "+0" >"$FT"

"$AMIE" init --dir "$T/A" --name A --listen "tcp://127.0.0.1:$(free_port)" \
    --federation Nord >/dev/null 2>&1 || fail "init A"
faked "$AMIED" --dir "$T/A" 2>>"$T/A.log" &
PID_A=$!
PIDS="$PIDS $PID_A"
wait_for 20 "$AMIE" --dir "$T/A" status || { fail "A: $(cat "$T/A.log")"; finish; }
new_node B || finish
join B A || finish

ART=$(add_article A "Avant") || fail "kb add before"
C=$("$AMIE" --dir "$T/A" contract add --member Mairie --hours-per-month 4 \
    --start 2026-01-01 --months 12) || fail "contract add before"
TECH=$("$AMIE" --dir "$T/A" tech add "Camille" --skill linux) || fail "tech add"
expect_code 0 "$AMIE" --dir "$T/A" status
grep -q "^clock" "$T/out" && fail "status before: $(cat "$T/out")"

# The clock an hour back: amied's timers go on (its PINGs tell B the
# new clock, amie sync --wait answers) and every write goes on, none
# refused.
echo "-1h" >"$FT"
expect_code 0 "$AMIE" --dir "$T/A" sync --wait --timeout 5
b_sees_clock() {
	"$AMIE" --dir "$T/B" peers >"$T/peers.B" 2>&1 &&
	    grep -q "clock -3[56][0-9][0-9] s" "$T/peers.B"
}
wait_for 20 b_sees_clock || fail "no PING from A: $(cat "$T/peers.B")"
ART2=$(echo "Texte" | "$AMIE" --dir "$T/A" kb add --title "Apres" - 2>"$T/err") ||
    fail "kb add after the clock went back: $(cat "$T/err")"
expect_code 0 sh -c "echo 'Texte revu' | '$AMIE' --dir '$T/A' kb edit $ART -"
expect_code 0 "$AMIE" --dir "$T/A" contract log "$C" --minutes 30 \
    --summary "imprimante" --tech "$TECH"
expect_code 0 "$AMIE" --dir "$T/A" contract end "$C"
expect_code 0 "$AMIE" --dir "$T/A" swap request --skill linux \
    --from 2026-12-01 --to 2026-12-03 --hours 4
grep -q "^<4>clock: this machine's clock is 3[56][0-9][0-9] s behind the last record" \
    "$T/A.log" || fail "no warning in the log: $(cat "$T/A.log")"
[ "$(grep -c "clock:" "$T/A.log")" = 1 ] || fail "warned more than once: $(cat "$T/A.log")"
expect_code 0 "$AMIE" --dir "$T/A" status
grep -q "^clock *3[56][0-9][0-9] s behind the last record this node wrote" \
    "$T/out" || fail "status: $(cat "$T/out")"
expect_code 0 "$AMIE" --dir "$T/A" status --json
grep -q '"clock_behind_ms": 3[56][0-9]\{5\}' "$T/out" || fail "status --json: $(cat "$T/out")"
expect_code 1 "$AMIE" --dir "$T/A" doctor
grep -q "PROBLEM  clock .* behind the last record this node wrote: new records are dated after it, and a peer" \
    "$T/out" || fail "doctor: $(cat "$T/out")"
# B's clock is right: it takes what A wrote.
[ -n "$ART2" ] && { wait_for 30 has_article B "$ART2" ||
    fail "B does not get the article written after the clock went back"; }
# The clock right again: the log says it caught up, status is quiet.
echo "+0" >"$FT"
expect_code 0 "$AMIE" --dir "$T/A" status
grep -q "^clock" "$T/out" && fail "status, clock right: $(cat "$T/out")"
grep -q "clock: this machine's clock has caught up" "$T/A.log" ||
    fail "no catching up in the log: $(cat "$T/A.log")"

# A day ahead, then right again: what A wrote in between, and after,
# is dated ahead of B's clock; B refuses it and A still writes.
echo "+1d" >"$FT"
add_article A "Demain" >/dev/null || fail "kb add a day ahead"
echo "+0" >"$FT"
ART3=$(add_article A "Remis") || fail "kb add after the clock came back"
expect_code 0 "$AMIE" --dir "$T/A" sync --wait --timeout 5
expect_code 1 "$AMIE" --dir "$T/A" doctor
grep -q "PROBLEM  clock .* is 86[34][0-9][0-9] s behind the last record" "$T/out" ||
    fail "doctor, a day: $(cat "$T/out")"
wait_for 30 grep -q "refused a record: header.ts: 86[34][0-9]\{5\} ms ahead of this node's clock" \
    "$T/B.log" || fail "B does not refuse: $(cat "$T/B.log")"
[ -n "$ART3" ] && has_article B "$ART3" && fail "B took a record a day ahead"

stop_node "$PID_A"
finish
