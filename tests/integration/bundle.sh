# SPDX-License-Identifier: AGPL-3.0-or-later
# amie export and import: a bundle exported from one node and imported
# into member nodes that were offline gives them the same records;
# importing it twice changes nothing; a bundle with one damaged record
# imports the others and reports that one; bundles of another federation
# and files that are no bundle are refused whole.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
new_node C || finish
join B A || finish
join C A || finish
wait_for 30 same_records A B || fail "B did not get the membership"
wait_for 30 same_records A C || fail "C did not get the membership"
stop_node "$PID_B"
stop_node "$PID_C"

# Written while B and C are offline: only the bundle brings them.
i=0
while [ $i -lt 8 ]; do
	echo "Corps unique $i" | "$AMIE" --dir "$T/A" kb add \
	    --title "Fiche $i" - >"$T/id.$i" 2>/dev/null || fail "add $i"
	i=$((i + 1))
done
echo "Corps révisé" | "$AMIE" --dir "$T/A" kb edit "$(cat "$T/id.1")" - \
    >/dev/null 2>&1 || fail "edit"
"$AMIE" --dir "$T/A" kb rm "$(cat "$T/id.2")" >/dev/null 2>&1 || fail "rm"
expect_code 0 "$AMIE" --dir "$T/A" export "$T/all.amie"
[ "$(stat -c %a "$T/all.amie")" = 600 ] || fail "bundle mode"
expect_code 64 "$AMIE" --dir "$T/A" export "$T/all.amie"
# Into a directory that is not there: a wrong FILE (64), named.
expect_code 64 "$AMIE" --dir "$T/A" export "$T/nowhere/all.amie"
grep -q "nowhere/all.amie" "$T/err" || fail "export names: $(cat "$T/err")"
expect_code 0 "$AMIE" --dir "$T/A" export --kind kb --json "$T/kb.amie"
grep -q '"records": 9' "$T/out" || fail "export --kind kb: $(cat "$T/out")"
expect_code 0 "$AMIE" --dir "$T/A" export --since 2099-01-01 "$T/none.amie"
expect_code 64 "$AMIE" --dir "$T/A" export --since yesterday "$T/x.amie"
RA=$(records A)
stop_node "$PID_A"

# One damaged record: a byte of the body of "Corps unique 5".
cp "$T/all.amie" "$T/bad.amie"
off=$(grep -obUa "Corps unique 5" "$T/bad.amie" | head -n 1 | cut -d: -f1)
[ -n "$off" ] || fail "no body to damage"
printf 'K' | dd of="$T/bad.amie" bs=1 seek="$off" conv=notrunc 2>/dev/null

start_node "$T/B" || finish
PID_B=$NODE_PID
expect_code 0 "$AMIE" --dir "$T/B" import "$T/all.amie"
grep -q "^[1-9][0-9]* new, [0-9]* known, 0 refused$" "$T/out" ||
    fail "first import: $(cat "$T/out")"
[ "$(records B)" = "$RA" ] || fail "B has $(records B) records, A had $RA"
expect_code 0 "$AMIE" --dir "$T/B" import --json "$T/all.amie"
grep -q '"new": 0' "$T/out" || fail "second import: $(cat "$T/out")"
grep -q '"refused": 0' "$T/out" || fail "second import: $(cat "$T/out")"
[ "$(records B)" = "$RA" ] || fail "the second import changed B"
has_article B "$(cat "$T/id.7")" || fail "B lacks an article"
has_article B "$(cat "$T/id.2")" && fail "B shows the deleted article"
expect_code 0 "$AMIE" --dir "$T/B" check
stop_node "$PID_B"

start_node "$T/C" || finish
PID_C=$NODE_PID
expect_code 65 "$AMIE" --dir "$T/C" import "$T/bad.amie"
grep -q "refused" "$T/err" || fail "damaged record not reported: $(cat "$T/err")"
[ "$(grep -c refused "$T/err")" = 1 ] || fail "refusals: $(cat "$T/err")"
grep -q "^[1-9][0-9]* new, [0-9]* known, 1 refused$" "$T/out" ||
    fail "damaged import: $(cat "$T/out")"
[ "$(records C)" = $((RA - 1)) ] || fail "C has $(records C) records"
has_article C "$(cat "$T/id.5")" && fail "the damaged article was stored"
has_article C "$(cat "$T/id.6")" || fail "the records after it were lost"
expect_code 0 "$AMIE" --dir "$T/C" import "$T/all.amie"
grep -q "^1 new, " "$T/out" || fail "import after the damaged one: $(cat "$T/out")"
[ "$(records C)" = "$RA" ] || fail "C has $(records C) records, A had $RA"
expect_code 0 "$AMIE" --dir "$T/C" check

# Refused whole: another federation, not a bundle, a cut bundle.
new_node S --federation Sud || finish
before=$(records S)
expect_code 65 "$AMIE" --dir "$T/S" import "$T/all.amie"
grep -q "another federation" "$T/err" || fail "Nord into Sud: $(cat "$T/err")"
[ "$(records S)" = "$before" ] || fail "S changed"
echo "not a bundle" >"$T/junk.amie"
expect_code 65 "$AMIE" --dir "$T/C" import "$T/junk.amie"
head -c 300 "$T/all.amie" >"$T/cut.amie"
expect_code 65 "$AMIE" --dir "$T/C" import "$T/cut.amie"
# A bundle announcing 16 Mi records in 64 MiB of zeros: import holds one
# batch at a time, not an entry per announced record (384 MiB before),
# and stops at the first record with the damage.  The address space is
# capped at 256 MiB, but for the sanitizers' build (its shadow memory is
# terabytes of address space).
{ head -c 12 "$T/all.amie"; printf '\001\000\000\000'
    dd if="$T/all.amie" bs=1 skip=16 count=32 2>/dev/null
    head -c $((64 << 20)) /dev/zero; } >"$T/big.amie"
cap="ulimit -v 262144"
grep -q __asan_init "$AMIE" 2>/dev/null && cap=:
(eval "$cap" && exec "$AMIE" --dir "$T/C" import "$T/big.amie") \
    >"$T/out" 2>"$T/err"
[ $? = 65 ] || fail "import of the 16 Mi count: $(cat "$T/err")"
grep -q "record 0: 0 bytes" "$T/err" ||
    fail "the damage is not reported: $(cat "$T/err")"
stop_node "$PID_C"
stop_node "$PID_S"
finish
