# SPDX-License-Identifier: AGPL-3.0-or-later
# The command line at its edges: --json stays one valid object whatever
# bytes a path has (export, doctor), -h is --help for every command, and
# a command refuses an operand it does not take (usage error, 64).
. tests/integration/lib.sh

command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 77; }

# valid_json FILE: FILE holds one JSON object.
valid_json() {
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1], "rb"))
assert isinstance(j, dict)
' "$1" 2>/dev/null
}

new_node A --federation Nord || finish

# A file name that is not UTF-8 (Latin-1 "sauvé").
F="$T/$(printf 'sauv\351').bundle"
expect_code 0 "$AMIE" --dir "$T/A" export "$F" --json
[ -e "$F" ] || fail "export did not write its file"
valid_json "$T/out" || fail "export --json to a Latin-1 name: stdout is not JSON: $(od -c "$T/out" | head -3)"

# doctor --json lists each problem it counts.
"$AMIE" --dir "$T/$(printf 'absent\351')" doctor --json >"$T/doc.json" 2>/dev/null
valid_json "$T/doc.json" || fail "doctor --json is not JSON"
python3 -c '
import json, sys
j = json.load(open(sys.argv[1], "rb"))
listed = sum(1 for c in j["checks"] if c["status"] == "problem")
assert listed == j["problems"], "%d problems, %d listed" % (j["problems"], listed)
' "$T/doc.json" 2>"$T/py" || fail "doctor --json: $(tail -1 "$T/py")"

# -h is --help: usage on stdout, exit 0 (amie(1), GLOBAL OPTIONS).
for cmd in "" status invite join members member peers sync kb contract \
    tech swap key doctor; do
	# shellcheck disable=SC2086
	"$AMIE" --dir "$T/A" $cmd -h >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 0 ] || fail "amie $cmd -h exited $rc"
	grep -qi usage "$T/out" || fail "amie $cmd -h: no usage on stdout"
done

# An operand a command does not take is a usage error, as for status.
expect_code 64 "$AMIE" --dir "$T/A" status extra
for cmd in members peers sync "sync --wait"; do
	# shellcheck disable=SC2086
	expect_code 64 "$AMIE" --dir "$T/A" $cmd extra
done

# invite --expires: at most a year, whatever the unit (the cap is a
# year of seconds; in days it let a code live 86,000 years).
expect_code 0 "$AMIE" --dir "$T/A" invite --expires 365d
for e in 366d 8761h 525601m 31536001s; do
	expect_code 64 "$AMIE" --dir "$T/A" invite --expires "$e"
done

# An empty --dir is a usage error, before or after the command: never
# the default directory (another node) nor paths at the root.
mkdir -p "$T/home/.local/share"
"$AMIE" init --dir "$T/home/.local/share/amie" --name Default >/dev/null 2>&1 ||
    fail "init of the default node"
for args in "--dir '' id" "id --dir ''" "--dir '' init --name X"; do
	eval "set -- $args"
	expect_code 64 env HOME="$T/home" XDG_DATA_HOME= AMIE_DIR="$T/A" \
	    "$AMIE" "$@"
done

stop_node "$PID_A"
finish
