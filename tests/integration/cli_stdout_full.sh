# SPDX-License-Identifier: AGPL-3.0-or-later
# A command whose output cannot be written fails: `amie invite >FILE` on a
# full disk must not exit 0 with FILE empty (the invite is stored and
# pending, its code lost), nor `kb add` with the new id lost.  Before,
# every command exited 0 whatever became of stdout.
. tests/integration/lib.sh

[ -w /dev/full ] || {
	echo "no /dev/full here" >&2
	exit 77
}
new_node A --federation Nord || finish
add_article A "Imprimante" >/dev/null || fail "add"

for cmd in invite id "kb list" status; do
	# shellcheck disable=SC2086
	"$AMIE" --dir "$T/A" $cmd >/dev/full 2>"$T/err" &&
	    fail "amie $cmd >/dev/full exited 0"
	grep -q "stdout" "$T/err" || fail "amie $cmd >/dev/full: $(cat "$T/err")"
done
echo "Texte" | "$AMIE" --dir "$T/A" kb add --title T - >/dev/full 2>"$T/err" &&
    fail "amie kb add >/dev/full exited 0"
# A good stdout still exits 0.
expect_code 0 "$AMIE" --dir "$T/A" invite

stop_node "$PID_A"
finish
