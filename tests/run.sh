#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Run amie's tests against the build in $B (default build/):
#   - every $B/tests/unit/*_test binary, counting its "PASS: name" and
#     "FAIL: name" lines (a binary that dies or exits non-zero without a
#     FAIL line is one failure named after the binary);
#   - every $B/tests/fuzz/*_fuzz replay binary over
#     tests/fuzz/corpus/<target>/ (one result per target);
#   - every tests/integration/*.sh script but the helpers they source
#     (lib.sh, lib_*.sh, *_lib.sh), as `B=$B sh script`, with a timeout
#     of $TEST_TIMEOUT seconds (exit 0 passes, 77 skips).
# Prints each failure with its output and ends with one line:
# "N passed, N failed" (", N skipped" when some were).  Exits 1 if any
# test failed.
#
# Usage: B=build sh tests/run.sh [FILTER...]
# With filters, only tests whose name contains one of them are counted
# (names as printed: tests/unit/mp_test.c/rejects_floats, fuzz/record,
# integration/sync.sh).  V=1 prints every PASS line too.

B=${B:-build}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
V=${V:-0}

case ${1-} in
-h | --help)
	sed -n '4,21s/^# \{0,1\}//p' "$0"
	exit 0
	;;
esac

# Run from the repository root, whatever the caller's directory; a
# relative B is taken from there too, and handed on as given (the
# integration scripts prefix it with the root themselves).
cd "$(dirname "$0")/.." || exit 1

nl='
'
filters=
for f in "$@"; do
	filters=$filters$f$nl
done

passed=0
failed=0
skipped=0

work=$(mktemp -d "${TMPDIR:-/tmp}/amie-tests.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if command -v timeout >/dev/null 2>&1; then
	with_timeout() { timeout -k 10 "$TEST_TIMEOUT" "$@"; }
else
	with_timeout() { "$@"; }
fi

# True when name is selected by the filters (or there are none).
selected() {
	[ -z "$filters" ] && return 0
	_old_ifs=$IFS
	IFS=$nl
	set -f
	for _f in $filters; do
		case $1 in
		*"$_f"*)
			IFS=$_old_ifs
			set +f
			return 0
			;;
		esac
	done
	IFS=$_old_ifs
	set +f
	return 1
}

pass() {
	passed=$((passed + 1))
	[ "$V" = 1 ] && echo "PASS: $1"
	return 0
}

# fail NAME [WHY]
fail() {
	failed=$((failed + 1))
	echo "FAIL: $1${2:+ ($2)}"
}

# Print the output file $1 under a heading naming $2, without PASS lines.
show_output() {
	echo "--- output of $2"
	grep -v '^PASS: ' "$1"
	echo "---"
}

# Describe an exit status.
status_text() {
	if [ "$1" -eq 124 ]; then
		echo "timed out after ${TEST_TIMEOUT} s"
	elif [ "$1" -gt 128 ]; then
		echo "killed by signal $(($1 - 128))"
	else
		echo "exit status $1"
	fi
}

if [ ! -d "$B" ]; then
	echo "run.sh: $B: no build directory (run make first)" >&2
	fail "build directory $B"
fi

# Unit tests.
for bin in "$B"/tests/unit/*_test; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then continue; fi
	name=${bin#"$B"/}
	with_timeout "$bin" >"$work/stdout" 2>"$work/stderr" </dev/null
	rc=$?
	nfail=0
	allfail=0
	while IFS= read -r line; do
		case $line in
		"PASS: "*)
			t=${line#PASS: }
			selected "$t" && pass "$t"
			;;
		"FAIL: "*)
			allfail=$((allfail + 1))
			t=${line#FAIL: }
			if selected "$t"; then
				fail "$t"
				nfail=$((nfail + 1))
			fi
			;;
		esac
	done <"$work/stdout"
	if [ "$rc" -ne 0 ] && [ "$allfail" -eq 0 ]; then
		# Died before reporting (a sanitizer abort loses the buffered
		# PASS lines too): always counted, whatever the filters.
		fail "$name" "$(status_text "$rc")"
		nfail=1
	fi
	if [ "$nfail" -gt 0 ]; then
		cat "$work/stderr" "$work/stdout" >"$work/all"
		show_output "$work/all" "$name"
	fi
done

# Fuzz corpora, replayed.
for bin in "$B"/tests/fuzz/*_fuzz; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then continue; fi
	target=${bin##*/}
	target=${target%_fuzz}
	name=fuzz/$target
	selected "$name" || continue
	with_timeout "$bin" "tests/fuzz/corpus/$target" >"$work/all" 2>&1 \
	    </dev/null
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "$(status_text "$rc")"
		show_output "$work/all" "$name"
	fi
done

# Integration scripts: real daemons, driven through the CLI.
for script in tests/integration/*.sh; do
	[ -f "$script" ] || continue
	# Helpers sourced by the scripts are not tests.
	case ${script##*/} in
	lib.sh | lib_*.sh | *_lib.sh) continue ;;
	esac
	name=integration/${script##*/}
	selected "$name" || continue
	with_timeout env B="$B" sh "$script" >"$work/all" 2>&1 </dev/null
	rc=$?
	case $rc in
	0)
		passed=$((passed + 1))
		echo "PASS: $name"
		;;
	77)
		skipped=$((skipped + 1))
		echo "SKIP: $name"
		;;
	*)
		fail "$name" "$(status_text "$rc")"
		show_output "$work/all" "$name"
		;;
	esac
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
