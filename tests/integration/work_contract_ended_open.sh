# SPDX-License-Identifier: AGPL-3.0-or-later
# An ended contract stops at its end: an edit that clears the end date of
# an ended contract must not make it run, and count hours, for good.
. tests/integration/lib.sh

new_node A --federation Ouest || finish

C=$("$AMIE" --dir "$T/A" contract add --member "Mairie" --hours-per-month 2 \
    --start 2026-01-01 --end 2026-03-31 --renewal none) || fail "contract add"
expect_code 0 "$AMIE" --dir "$T/A" contract end "$C" --date 2026-02-28
"$AMIE" --dir "$T/A" contract edit "$C" --end "" >"$T/edit.out" 2>"$T/edit.err"
code=$?
[ $code = 0 ] || [ $code = 65 ] || fail "edit exited $code: $(cat "$T/edit.err")"
if [ $code = 0 ]; then
	# Accepted: the contract must still not run after its end.
	expect_code 1 "$AMIE" --dir "$T/A" contract usage --month 2030-06
	grep -q "^$(echo "$C" | cut -c1-8)" "$T/out" && fail "an ended contract runs in 2030: $(cat "$T/out")"
	expect_code 1 "$AMIE" --dir "$T/A" contract list --active
fi

stop_node "$PID_A"
finish
