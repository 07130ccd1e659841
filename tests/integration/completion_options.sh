#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# The bash completion (dist/amie.bash) reads each subcommand's options
# from `amie CMD --help`, so a usage line that leaves an option out hides
# it from completion.  Every option of each SYNOPSIS line of amie(1) must
# be offered when completing that subcommand, and contract edit takes
# every option of contract add.
. "$(dirname "$0")/lib.sh"

command -v bash >/dev/null || { echo "bash is needed" >&2; exit 77; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# complete CMD SUB: the options completion offers after "amie CMD SUB ID".
complete_opts() {
	bash -c '. "$1"; COMP_WORDS=("$2" "$3" "$4" ID --); COMP_CWORD=4;
	    _amie; printf "%s\n" "${COMPREPLY[@]}"' sh \
	    "$ROOT/dist/amie.bash" "$AMIE" "$1" "$2"
}

grep '^\*amie [a-z]* [a-z]*\*' "$ROOT/docs/amie.1.scd" |
    sed 's/^\*amie \([a-z]*\) \([a-z]*\)\*.*/\1 \2/' | sort -u >"$T/subs"
check "amie(1) has SYNOPSIS lines with subcommands" test -s "$T/subs"
while read -r cmd sub; do
	line=$(grep "^\*amie $cmd $sub\*" "$ROOT/docs/amie.1.scd" | head -1)
	complete_opts "$cmd" "$sub" >"$T/offered"
	for o in $(echo "$line" | grep -o -- '\*--[a-z-]*\*' | tr -d '*'); do
		grep -qx -- "$o" "$T/offered" ||
		    fail "amie $cmd $sub $o: in amie(1), not offered by completion"
	done
done <"$T/subs"

complete_opts contract add >"$T/add"
complete_opts contract edit >"$T/edit"
for o in $(grep -v -- '--json\|--csv' "$T/add"); do
	grep -qx -- "$o" "$T/edit" ||
	    fail "amie contract edit $o: taken, not offered by completion"
done

exit $FAILED
