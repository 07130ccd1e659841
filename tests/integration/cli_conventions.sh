# SPDX-License-Identifier: AGPL-3.0-or-later
# The command line conventions of amie(1): every read command answers
# --json with one object carrying "schema": 1; every command takes
# --help (usage on stdout, exit 0); colour only on a terminal and never
# with NO_COLOR; invite --qr draws a QR code on stderr while the code
# alone stays on stdout; progress only when stderr is a terminal.
. tests/integration/lib.sh

command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 77; }
command -v script >/dev/null || { echo "script(1) is needed" >&2; exit 77; }
export TERM=xterm
unset NO_COLOR

# on_tty COMMAND...: run the command on a pseudo-terminal (stdout and stderr
# both), its output in $T/tty.
on_tty() {
	script -qec "$*" /dev/null >"$T/tty" 2>&1 </dev/null
}

has_escape() {
	grep -q "$(printf '\033')" "$1"
}

new_node A --federation "Amies du Nord"
new_node B
join B A
wait_for 20 same_records A B || fail "B did not catch up with A"
ID=$(add_article A "Imprimante en panne")
printf 'Texte revu.\n' | "$AMIE" --dir "$T/A" kb edit "$ID" - >/dev/null ||
    fail "kb edit"
wait_for 20 same_records A B || fail "B did not get the article"

# The read commands, one per line: their arguments after amie --dir A.
cat >"$T/reads" <<EOT
status
id
peers
members
kb list
kb show $ID
kb search imprimante
kb history $ID
kb diff $ID
kb conflicts
sync
EOT

while IFS= read -r cmd; do
	# shellcheck disable=SC2086
	"$AMIE" --dir "$T/A" $cmd --json >"$T/json" 2>"$T/err"
	rc=$?
	case "$cmd:$rc" in
	"kb conflicts:1" | *:0) ;;
	*) fail "$cmd --json exited $rc: $(cat "$T/err")" ;;
	esac
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert isinstance(j, dict), "not an object"
assert j.get("schema") == 1, "schema is %r" % j.get("schema")
' "$T/json" 2>"$T/py" || fail "$cmd --json: $(tail -1 "$T/py")"
	has_escape "$T/json" && fail "$cmd --json has escape sequences"
	# Also on a terminal: JSON never carries colour.
	on_tty "$AMIE" --dir "$T/A" $cmd --json
	has_escape "$T/tty" && fail "$cmd --json on a terminal has escapes"
done <"$T/reads"

# --help on every command of amie --help, and every kb subcommand.
expect_code 0 "$AMIE" --help
grep -q "^usage: amie" "$T/out" || fail "amie --help prints no usage"
sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' "$T/out" >"$T/commands"
[ "$(wc -l <"$T/commands")" -ge 10 ] || fail "amie --help lists too few commands"
for sub in add edit show list search history diff conflicts resolve rm \
    reindex; do
	echo "kb $sub" >>"$T/commands"
done
while IFS= read -r cmd; do
	# shellcheck disable=SC2086
	"$AMIE" --dir "$T/A" $cmd --help >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 0 ] || fail "amie $cmd --help exited $rc"
	grep -qi "usage" "$T/out" || fail "amie $cmd --help: no usage on stdout"
	[ -s "$T/err" ] && fail "amie $cmd --help wrote on stderr: $(cat "$T/err")"
done <"$T/commands"
expect_code 64 "$AMIE" --dir "$T/A" status --bogus
grep -q "usage" "$T/err" || fail "a bad option prints no usage on stderr"
# --timeout bounds a wait: without --wait it is refused, not ignored.
expect_code 64 "$AMIE" --dir "$T/A" sync --timeout 5
grep -q "amie sync: --timeout goes with --wait" "$T/err" ||
    fail "sync --timeout alone: $(cat "$T/err")"
expect_code 64 "$AMIE" --dir "$T/A" join AAAA --timeout 5
grep -q "amie join: --timeout goes with --wait" "$T/err" ||
    fail "join --timeout alone: $(cat "$T/err")"

# amie alone: the short status.
expect_code 0 env AMIE_DIR="$T/A" "$AMIE"
grep -q "Amies du Nord" "$T/out" || fail "amie alone: no status: $(cat "$T/out")"

# Colour: on a terminal there is some (so the check below can fail), with
# NO_COLOR none, and never through a pipe.
for cmd in status members peers "kb search imprimante" "kb show $ID" \
    "kb list"; do
	on_tty "$AMIE" --dir "$T/A" $cmd
	has_escape "$T/tty" || fail "$cmd on a terminal has no colour"
	on_tty env NO_COLOR=1 "$AMIE" --dir "$T/A" $cmd
	has_escape "$T/tty" && fail "$cmd with NO_COLOR=1 has escapes"
	grep -q . "$T/tty" || fail "$cmd with NO_COLOR=1 printed nothing"
	# shellcheck disable=SC2086
	"$AMIE" --dir "$T/A" $cmd >"$T/out" 2>&1
	has_escape "$T/out" && fail "$cmd through a pipe has escapes"
done
on_tty env NO_COLOR= "$AMIE" --dir "$T/A" status
has_escape "$T/tty" || fail "an empty NO_COLOR should not turn colour off"

# invite --qr: the code alone on stdout, the QR code on stderr; without
# --expires the code is valid for 48 hours.
before=$(date -d '+48 hours' '+%Y-%m-%d %H:%M')
"$AMIE" --dir "$T/A" invite --qr >"$T/code" 2>"$T/qr" || fail "invite --qr"
after=$(date -d '+48 hours' '+%Y-%m-%d %H:%M')
grep -q "\($before\|$after\) " "$T/qr" ||
    fail "invite without --expires: not valid for 48 hours: $(grep amie: "$T/qr")"
[ "$(wc -l <"$T/code")" = 1 ] || fail "invite --qr: stdout is not one line"
CODE=$(cat "$T/code")
case "$CODE" in
AMIE1-*) ;;
*) fail "invite --qr printed '$CODE', not a code" ;;
esac
grep -q '█' "$T/qr" || fail "invite --qr drew no full blocks"
grep -q '▀' "$T/qr" || fail "invite --qr drew no upper half blocks"
grep -q '▄' "$T/qr" || fail "invite --qr drew no lower half blocks"
# A square: as many modules across as rows of modules (two per line).
python3 -c '
import sys
rows = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n")
        if l and set(l) <= set("\u2588\u2580\u2584 ")]
w = len(rows[0])
assert all(len(r) == w for r in rows), "ragged rows"
assert w >= 25 and abs(2 * len(rows) - w) <= 1, "%d x %d" % (w, len(rows))
' "$T/qr" 2>"$T/py" || fail "invite --qr: not a square QR: $(tail -1 "$T/py")"
# The captured code works: a third node joins with it.
new_node C
"$AMIE" --dir "$T/C" join "$CODE" >/dev/null 2>"$T/err" ||
    fail "joining with the code captured from invite --qr: $(cat "$T/err")"

# Progress: drawn on stderr on a terminal (carriage returns, the line
# cleared at the end), never when stderr is a file or a pipe.
on_tty "$AMIE" --dir "$T/A" sync --wait
grep -q "$(printf '\r')syncing" "$T/tty" ||
    fail "sync --wait on a terminal shows no progress: $(od -c "$T/tty" | head)"
grep -q "$(printf '\033')\[K" "$T/tty" || fail "the progress line is not cleared"
"$AMIE" --dir "$T/A" sync --wait >"$T/out" 2>"$T/err" || fail "sync --wait"
grep -q "$(printf '\r')" "$T/err" && fail "progress drawn on a non-terminal stderr"
grep -q "syncing" "$T/err" && fail "progress label on a non-terminal stderr"
# stdout on a terminal, stderr to a file: no progress anywhere.
on_tty "$AMIE" --dir "$T/A" sync --wait "2>$T/err2"
grep -q "syncing" "$T/tty" && fail "progress went to stdout"
grep -q "syncing" "$T/err2" && fail "progress drawn on a file"
on_tty "$AMIE" --dir "$T/A" kb reindex
grep -q "$(printf '\r')rebuilding" "$T/tty" || fail "kb reindex shows no progress"
"$AMIE" --dir "$T/A" kb reindex >"$T/out" 2>"$T/err" || fail "kb reindex"
grep -q "rebuilding" "$T/err" && fail "kb reindex progress on a non-terminal"

# join --wait: returns once the first sync is done, with its progress on
# a terminal.
new_node D
ra=$(records A)
CODE=$("$AMIE" --dir "$T/A" invite 2>/dev/null)
on_tty "$AMIE" --dir "$T/D" join "$CODE" --wait
grep -q "first sync done" "$T/tty" || fail "join --wait: $(cat "$T/tty")"
grep -q "$(printf '\r')syncing" "$T/tty" || fail "join --wait shows no progress"
rd=$(records D)
[ -n "$rd" ] && [ "$rd" -ge "$ra" ] ||
    fail "after join --wait D has $rd records, A had $ra"

stop_node "$PID_A"
stop_node "$PID_B"
stop_node "$PID_C"
stop_node "$PID_D"
finish
