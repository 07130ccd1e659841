# SPDX-License-Identifier: AGPL-3.0-or-later
# Bad input, from a client of the control socket and from the command
# line: each gets a clear error naming the problem, nothing is stored, and
# the daemon keeps serving.
. tests/integration/lib.sh

D="$T/node"
"$AMIE" init --dir "$D" --name Node --federation Fed \
    --listen "tcp://127.0.0.1:$(free_port)" >/dev/null 2>&1 ||
    fail "init"
start_node "$D" || finish

records() {
	"$AMIE" --dir "$D" status --json >"$T/status" &&
	    json_field records "$T/status"
}

# refused MODE PATTERN: the record of MODE is refused with a message
# matching PATTERN, and the record count does not move.
refused() {
	before=$(records)
	out=$("$CTLTOOL" record "$D" "$1")
	case "$out" in
	"refused "*) ;;
	*) fail "$1: not refused: $out" ;;
	esac
	echo "$out" | grep -q "$2" || fail "$1: message '$out' lacks '$2'"
	[ "$(records)" = "$before" ] || fail "$1: the store changed"
}

refused badsig "sig: does not verify"
refused badbody "body: hash does not match"
refused foreignnet "sig: does not verify"
refused nonmember "not a member"
refused future "ahead of this node's clock"
refused bigkey "header.key: 129 bytes, limit 128"
refused bigbody "limit 262144"
refused unknownkind "not known"
refused noncanonical "non-canonical"
refused trailing "trailing bytes"
refused truncated "announced"
refused countbomb "4294967295 elements announced"

# A replayed record is stored once.
before=$(records)
out=$("$CTLTOOL" record "$D" replay | tr '\n' ' ')
[ "$out" = "stored known " ] || fail "replay: $out"
[ "$(records)" = $((before + 1)) ] || fail "replay stored more than once"

# Malformed control requests get an error reply, and the daemon goes on.
out=$("$CTLTOOL" raw "$D" 81a3636d64)
case "$out" in "error 1 request: truncated") ;; *) fail "truncated request: $out" ;; esac
out=$("$CTLTOOL" raw "$D" 81a3636d64a6666f6f626172)
echo "$out" | grep -q "unknown command 'foobar'" || fail "unknown command: $out"
out=$("$CTLTOOL" raw "$D" 82a3636d64a6737461747573a3636d64a6737461747573)
echo "$out" | grep -q "unsorted or repeated" || fail "repeated key: $out"
out=$("$CTLTOOL" raw "$D" dfffffffff)
echo "$out" | grep -q "announced" || fail "count bomb request: $out"
out=$("$CTLTOOL" raw "$D" 81a3636d64a66b622e616464)
echo "$out" | grep -q "title" || fail "kb.add without title: $out"

# The command line: bad files and bad ids.
printf '\377\376 not utf-8' >"$T/bin.md"
expect_code 65 "$AMIE" --dir "$D" kb add --title T "$T/bin.md"
grep -q "not UTF-8" "$T/err" || fail "non-UTF-8 body message: $(cat "$T/err")"
head -c 262145 /dev/zero | tr '\0' x >"$T/big.md"
expect_code 65 "$AMIE" --dir "$D" kb add --title T "$T/big.md"
grep -q "over 262144 bytes" "$T/err" || fail "big body message: $(cat "$T/err")"
expect_code 65 "$AMIE" --dir "$D" kb add --title T "$T/missing.md"
echo text >"$T/text"
long=$(head -c 600 /dev/zero | tr '\0' t)
expect_code 65 "$AMIE" --dir "$D" kb add --title "$long" - <"$T/text"
grep -q "title" "$T/err" || fail "long title message: $(cat "$T/err")"
expect_code 64 "$AMIE" --dir "$D" kb add - </dev/null
expect_code 1 "$AMIE" --dir "$D" kb show ffffffff
expect_code 64 "$AMIE" --dir "$D" kb show ab
expect_code 64 "$AMIE" --dir "$D" kb frobnicate
expect_code 64 "$AMIE" --dir "$D" frobnicate

# Still serving after all that.
expect_code 0 "$AMIE" --dir "$D" status
echo body | "$AMIE" --dir "$D" kb add --title "Still here" - >/dev/null ||
    fail "the daemon no longer takes articles"
stop_node "$NODE_PID"
finish
