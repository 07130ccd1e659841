# SPDX-License-Identifier: AGPL-3.0-or-later
# No node's secret key appears in any log (at debug level) or in the
# output of the ordinary commands, in any encoding the key could take:
# hex or base64 of the seed (node.key holds it in hex) or of the 64-byte
# secret key, hex or Z85 of the CurveZMQ secret key, or half of the seed.
. tests/integration/lib.sh

debug_node() {
	name=$1
	shift
	"$AMIE" init --dir "$T/$name" --name "$name" \
	    --listen "tcp://127.0.0.1:$(free_port)" "$@" >>"$T/cli.out" 2>&1 ||
	    fail "init $name"
	sed -i "s/^level = .*/level = debug/" "$T/$name/amied.conf"
	start_node "$T/$name"
	eval "PID_$name=\$NODE_PID"
}
cli() {
	"$AMIE" "$@" >>"$T/cli.out" 2>&1
}

debug_node A --federation Nord || finish
debug_node B || finish
debug_node C || finish
code=$("$AMIE" --dir "$T/A" invite 2>>"$T/cli.out") || fail "invite"
echo "$code" >>"$T/cli.out"
cli --dir "$T/B" join "$code" || fail "B joins"
code=$("$AMIE" --dir "$T/B" invite --expires 1h 2>>"$T/cli.out") || fail "invite"
cli --dir "$T/C" join "$code" || fail "C joins"
X=$(add_article A "Clés et secrets" 2>>"$T/cli.out") || fail "add"
wait_for 30 has_article C "$X" || fail "C lacks A's article"
for d in A B C; do
	cli --dir "$T/$d" status
	cli --dir "$T/$d" status --json
	cli --dir "$T/$d" id
	cli --dir "$T/$d" members --json
	cli --dir "$T/$d" members
	cli --dir "$T/$d" peers --json
	cli --dir "$T/$d" peers
	cli --dir "$T/$d" sync --wait --timeout 20
	cli --dir "$T/$d" kb list --json
	cli --dir "$T/$d" kb show "$X" --json
	cli --dir "$T/$d" kb search secrets
	cli --dir "$T/$d" kb history "$X"
done
echo "edited" | cli --dir "$T/B" kb edit "$X" -
cli --dir "$T/A" kb rm "$X"
CID=$("$AMIE" --dir "$T/C" id)
cli --dir "$T/A" member remove "$CID" --reason compromised
cli --dir "$T/A" sync --wait --timeout 20
cli --dir "$T/A" --help
cli --dir "$T/A" kb --help
stop_node "$PID_A"
stop_node "$PID_B"
stop_node "$PID_C"

for d in A B C; do
	"$PEERTOOL" secrets "$T/$d" >"$T/secrets"
	head -n 1 "$T/secrets" | cut -c1-32 >>"$T/secrets"
	head -n 1 "$T/secrets" | cut -c33-64 >>"$T/secrets"
	[ "$(wc -l <"$T/secrets")" -ge 17 ] || fail "peertool secrets"
	for f in "$T/A.log" "$T/B.log" "$T/C.log" "$T/cli.out"; do
		if grep -i -F -f "$T/secrets" "$f" >"$T/leak"; then
			fail "the secret key of $d is in ${f##*/}: $(head -n 3 "$T/leak")"
		fi
	done
done
# There was something to grep.
[ "$(wc -l <"$T/A.log")" -gt 5 ] || fail "A's log is nearly empty"
[ "$(wc -l <"$T/cli.out")" -gt 100 ] || fail "the commands said little"
finish
