# SPDX-License-Identifier: AGPL-3.0-or-later
# amie init writes only what amied then reads back as given: a --name,
# --region or --listen that amied.conf cannot hold as it is (an inline
# comment, blanks at the ends, bytes that are not UTF-8, an endpoint
# without a port) is refused (65) instead of making a node that amied
# refuses to start or names otherwise.  init changes nothing when it
# fails: not the mode of an existing directory, nor a file given as
# --dir.
. tests/integration/lib.sh

# init_or_refused DIR ARGS...: init must refuse (65), or make a node
# whose configuration amied accepts (the caller checks it reads back the
# same name and region).  Messages name DIR, not ARGS: they may not be
# text.
init_or_refused() {
	dir=$1
	what=$(basename "$dir")
	shift
	"$AMIE" init --dir "$dir" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	case $rc in
	65) return 0 ;;
	0) ;;
	*) fail "init ($what) exited $rc"; return 0 ;;
	esac
	"$AMIED" -T --dir "$dir" >"$T/conf" 2>"$T/err" || {
		fail "init ($what) succeeded, but amied refuses its amied.conf: $(tr -c '[:print:]' '?' <"$T/err")"
		return 0
	}
}

N="$T/semicolon"
init_or_refused "$N" --name "Amie ; Nord"
if [ -e "$N/node.key" ]; then
	grep -qx "name = Amie ; Nord" "$T/conf" ||
	    fail "--name 'Amie ; Nord' became: $(grep '^name' "$T/conf")"
fi
N="$T/blanks"
init_or_refused "$N" --name Amie --region " Bretagne "
if [ -e "$N/node.key" ]; then
	grep -qx "region =  Bretagne " "$T/conf" ||
	    fail "--region ' Bretagne ' became: $(grep '^region' "$T/conf")"
fi
init_or_refused "$T/latin1" --name "$(printf 'Tr\351gor')"
init_or_refused "$T/noport" --name Amie --listen tcp://127.0.0.1
init_or_refused "$T/badport" --name Amie --listen tcp://127.0.0.1:99999

# A failed init leaves an existing directory's mode alone.
K="$T/kept"
mkdir -m 755 "$K"
expect_code 65 "$AMIE" init --dir "$K" --name Amie \
    --federation "$(printf 'Nord\377')"
[ "$(stat -c %a "$K")" = 755 ] ||
    fail "a failed init changed the directory's mode to $(stat -c %a "$K")"
[ -z "$(ls -A "$K")" ] || fail "a failed init left $(ls -A "$K")"

# --dir naming a file: refused, and the file keeps its mode.
echo notes >"$T/notes.txt"
chmod 644 "$T/notes.txt"
"$AMIE" init --dir "$T/notes.txt" --name Amie >/dev/null 2>&1 &&
    fail "init in a file succeeded"
[ "$(stat -c %a "$T/notes.txt")" = 644 ] ||
    fail "init --dir FILE changed the file's mode to $(stat -c %a "$T/notes.txt")"
finish
