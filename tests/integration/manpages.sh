# SPDX-License-Identifier: AGPL-3.0-or-later
# The man pages build from docs/*.scd, and document what the programs
# say they do: every command, subcommand and option of `amie --help` and
# `amie CMD --help` in amie(1), with its exit codes; amied's options,
# SIGHUP and exit codes in amied(8); every key `amied -T` prints in
# amied.conf(5).  The lists come from the programs, so a command added
# without its documentation fails here.
. tests/integration/lib.sh

command -v scdoc >/dev/null 2>&1 || {
	echo "manpages.sh: scdoc not found (Debian package scdoc)" >&2
	exit 77
}
for f in docs/*.scd; do
	scdoc <"$f" >"$T/${f##*/}.man" 2>"$T/scdoc.err" ||
	    fail "scdoc $f: $(cat "$T/scdoc.err")"
	n=${f##*/}
	n=${n%.scd}
	# The .TH line carries the date the page was built.
	grep -v '^\.TH ' "$T/$n.scd.man" >"$T/$n.want"
	grep -v '^\.TH ' "$BUILD/man/$n" >"$T/$n.got"
	cmp -s "$T/$n.want" "$T/$n.got" ||
	    fail "$BUILD/man/$n is not the page of $f (run make)"
done
M1="$BUILD/man/amie.1"
M5="$BUILD/man/amied.conf.5"
M8="$BUILD/man/amied.8"

# documented PAGE WORD: WORD appears in bold in PAGE.
documented() {
	grep -qF -- "\\fB$2\\fR" "$1"
}
# options_of HELP-OUTPUT-FILE PATTERN: the long options on the lines that
# contain PATTERN or name no amie command.
options_of() {
	awk -v p="$2" 'index($0, p) || !index($0, "amie ")' "$1" |
	    grep -o -- '--[a-z][a-z-]*' | sort -u
}

LC_ALL=C "$AMIE" --help >"$T/help" || fail "amie --help"
commands=$(sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' "$T/help")
[ -n "$commands" ] || fail "no command in amie --help"
for c in $commands; do
	grep -Eq "^\.SS amie $c( |\$)" "$M1" ||
	    fail "amie(1) has no section for amie $c"
	LC_ALL=C "$AMIE" "$c" --help >"$T/c.help" 2>&1 ||
	    fail "amie $c --help exits non-zero"
	subs=$(sed -n "s/.*amie $c \([a-z][a-z-]*\).*/\1/p" "$T/c.help" |
	    sort -u)
	for s in $subs; do
		grep -Eq "^\.SS amie $c $s( |\$)" "$M1" ||
		    fail "amie(1) has no section for amie $c $s"
	done
	for o in $(options_of "$T/c.help" "amie $c"); do
		documented "$M1" "$o" || fail "amie(1) lacks $o of amie $c"
	done
done
grep -q '^\.SH EXIT STATUS' "$M1" || fail "amie(1) has no EXIT STATUS"
for code in 0 1 64 65 69 75 77 78; do
	sed -n '/^\.SH EXIT STATUS/,/^\.SH EXAMPLES/p' "$M1" |
	    grep -qx "\\\\fB$code\\\\fR" || fail "amie(1) lacks exit code $code"
done

"$AMIED" --help >"$T/amied.help" || fail "amied --help"
for o in $(grep -o -- '--[a-z][a-z-]*' "$T/amied.help" | sort -u) -t -T; do
	documented "$M8" "$o" || fail "amied(8) lacks $o"
done
grep -q '^\\fBSIGHUP\\fR' "$M8" || fail "amied(8) lacks SIGHUP"
for code in 0 64 75 77 78; do
	sed -n '/^\.SH EXIT STATUS/,/^\.SH FILES/p' "$M8" |
	    grep -qx "\\\\fB$code\\\\fR" || fail "amied(8) lacks exit code $code"
done

mkdir -m 700 "$T/node"
: >"$T/node/amied.conf"
"$AMIED" -T --dir "$T/node" >"$T/conf" || fail "amied -T"
keys=$(sed -n 's/^\([a-z_]*\) =.*/\1/p' "$T/conf")
[ -n "$keys" ] || fail "amied -T prints no key"
for k in $keys; do
	documented "$M5" "$k" || fail "amied.conf(5) lacks the key $k"
done
for s in $(sed -n 's/^\[\([a-z]*\)\]$/\1/p' "$T/conf"); do
	grep -q "^\.SH SECTION \[$s\]" "$M5" ||
	    fail "amied.conf(5) has no SECTION [$s]"
done
finish
