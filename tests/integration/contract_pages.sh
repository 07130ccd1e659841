# SPDX-License-Identifier: AGPL-3.0-or-later
# amie contract show of a contract with 280 interventions of 4 KB (some
# 1.1 MiB, more than one reply holds) shows every one, as rows and as
# one --json array without a cursor; amie contract list of 250 contracts
# with contacts of 4 KB lists every one.  Before 2026-11-30 both failed.
. tests/integration/lib.sh

new_node A --federation Ouest || finish
S=$(printf '%4000s' '' | tr ' ' s)
C=$("$AMIE" --dir "$T/A" contract add --member "Tilleuls" \
    --hours-per-month 4 --start 2026-01-01 --contact "$S") || fail "contract add"
i=0
while [ $i -lt 280 ]; do
	d=$(printf '2026-%02d-%02d' $((1 + i % 10)) $((1 + i / 10 % 28)))
	"$AMIE" --dir "$T/A" contract log "$C" --minutes 1 --date "$d" \
	    --summary "$S$i" >/dev/null || fail "contract log $i"
	i=$((i + 1))
done
"$AMIE" --dir "$T/A" contract show "$C" >"$T/show" || fail "contract show"
n=$(grep -c "^  2026-" "$T/show")
[ "$n" = 280 ] || fail "contract show: $n interventions, not 280"
"$AMIE" --dir "$T/A" contract show "$C" --json >"$T/show.json" ||
    fail "contract show --json"
python3 - "$T/show.json" <<'PY' || fail "contract show --json: not one list"
import json, sys
j = json.load(open(sys.argv[1]))
ids = [i["id"] for i in j["interventions"]]
assert len(ids) == 280 and len(set(ids)) == 280, len(ids)
assert "next" not in j and j["member"] == "Tilleuls"
PY

i=1
while [ $i -lt 250 ]; do
	"$AMIE" --dir "$T/A" contract add --member "M$i" --hours-per-month 1 \
	    --start 2026-01-01 --contact "$S" >/dev/null || fail "contract add $i"
	i=$((i + 1))
done
"$AMIE" --dir "$T/A" contract list --json >"$T/list.json" ||
    fail "contract list --json"
python3 - "$T/list.json" <<'PY' || fail "contract list --json: not one list"
import json, sys
j = json.load(open(sys.argv[1]))
ids = [c["id"] for c in j["contracts"]]
assert len(ids) == 250 and ids == sorted(set(ids)), len(ids)
assert "next" not in j and j["held_encrypted"] == 0
PY
finish
