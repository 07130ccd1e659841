# SPDX-License-Identifier: AGPL-3.0-or-later
# Under LANG=fr_FR.UTF-8 the messages for people are French (from the
# catalogue built in $B/locale, which AMIE_LOCALEDIR points the uninstalled
# amie to), while the --json output of every read command is byte for
# byte the English one: keys never change, and numbers are not written
# with a decimal comma (LC_NUMERIC).
. tests/integration/lib.sh

if ! locale -a 2>/dev/null | grep -qix 'fr_FR\.utf-\{0,1\}8'; then
	echo "SKIP: the fr_FR.UTF-8 locale is not generated on this machine;" \
	    "make deps as root generates it (localedef -i fr_FR -f UTF-8" \
	    "fr_FR.UTF-8)" >&2
	exit 77
fi
[ -f "$BUILD/locale/fr/LC_MESSAGES/amie.mo" ] ||
    { echo "no $BUILD/locale/fr/LC_MESSAGES/amie.mo: run make" >&2; exit 1; }
unset LC_ALL LC_MESSAGES LC_NUMERIC LANGUAGE
export AMIE_LOCALEDIR="$BUILD/locale"
en() { LANG=C "$@"; }
fr() { LANG=fr_FR.UTF-8 "$@"; }

# Messages of the CLI itself, daemon or not.
fr "$AMIE" --help >"$T/out" 2>&1
grep -q "^usage : amie" "$T/out" || fail "amie --help is not French: $(head -3 "$T/out")"
grep -q "créer un nœud" "$T/out" || fail "command help is not French"
en "$AMIE" --help >"$T/out" 2>&1
grep -q "create a node" "$T/out" || fail "amie --help is not English under LANG=C"
mkdir -p "$T/none"
expect_code 69 fr "$AMIE" --dir "$T/none" status
grep -q "amied ne tourne pas pour" "$T/err" || fail "not running, in French: $(cat "$T/err")"
expect_code 64 fr "$AMIE" --dir "$T/none" kb list --limit 3
grep -q "ne s'applique pas ici" "$T/err" || fail "usage error in French: $(cat "$T/err")"

new_node A --federation "Amies du Nord"
new_node B
join B A
ID=$(printf 'Redémarrer le spouleur.\n' | "$AMIE" --dir "$T/A" kb add \
    --title "Imprimante en panne" --tag impression --lang fr -)
printf 'Redémarrer le spouleur, puis la box.\n' |
    "$AMIE" --dir "$T/A" kb edit "$ID" - >/dev/null || fail "kb edit"
wait_for 20 same_records A B || fail "B did not catch up with A"

# Human output and the daemon's messages.
expect_code 0 fr "$AMIE" --dir "$T/A" status
grep -q "^fédération  *Amies du Nord (réseau" "$T/out" || fail "status is not French: $(cat "$T/out")"
expect_code 0 fr "$AMIE" --dir "$T/A" members
grep -q "actif" "$T/out" || fail "member states are not French: $(cat "$T/out")"
grep -q "fondateur" "$T/out" || fail "members is not French"
expect_code 0 fr "$AMIE" --dir "$T/A" kb search imprimante
grep -q "[0-9],[0-9][0-9]  " "$T/out" || fail "a score for people has no decimal comma: $(cat "$T/out")"
expect_code 1 fr "$AMIE" --dir "$T/A" kb search zzyzx
grep -q "rien ne correspond à « zzyzx »" "$T/err" || fail "no match, in French: $(cat "$T/err")"
expect_code 65 fr "$AMIE" --dir "$T/B" join AMIE1-AAAA
grep -q "données mal formées : invite code" "$T/err" ||
    fail "a bad code, in French: $(cat "$T/err")"
# A fixed message of the daemon, translated whole; another, with its
# class in French before the English detail.
expect_code 64 fr "$AMIE" --dir "$T/B" join "$("$AMIE" --dir "$T/A" invite 2>/dev/null)"
grep -q "ce nœud appartient déjà à une fédération" "$T/err" ||
    fail "daemon message not translated: $(cat "$T/err")"
expect_code 1 fr "$AMIE" --dir "$T/A" kb show zzzzzzzz
grep -q "introuvable : " "$T/err" || fail "no French class before the detail: $(cat "$T/err")"
expect_code 1 en "$AMIE" --dir "$T/A" kb show zzzzzzzz
grep -q "introuvable" "$T/err" && fail "French in the English run"

# --json: byte for byte the same in both languages.  peers and status
# carry counters that move on their own (bytes, last sync): numbers are
# masked there, everything else compared, once both of A's links are up
# (a link that comes up between the two runs would be a difference).
wait_for 30 both_links A || fail "A's links: $(cat "$T/both.json")"
# clock_skew_ms shows only once a PING came (every 10 s), so it may come
# between the two runs: its line is left out.
mask() {
	sed -e '/"clock_skew_ms":/d' -e 's/": -\{0,1\}[0-9][0-9]*/": N/' "$1"
}
for cmd in "status" "id" "peers" "members" "kb list" "kb show $ID" \
    "kb search imprimante" "kb history $ID" "kb diff $ID" \
    "kb conflicts" "kb list --tag impression"; do
	# shellcheck disable=SC2086
	en "$AMIE" --dir "$T/A" $cmd --json >"$T/en.json" 2>/dev/null
	# shellcheck disable=SC2086
	fr "$AMIE" --dir "$T/A" $cmd --json >"$T/fr.json" 2>/dev/null
	[ -s "$T/en.json" ] || fail "$cmd --json printed nothing"
	case $cmd in
	status | peers)
		mask "$T/en.json" >"$T/en.m"
		mask "$T/fr.json" >"$T/fr.m"
		cmp -s "$T/en.m" "$T/fr.m" ||
		    fail "$cmd --json differs by locale: $(diff "$T/en.m" "$T/fr.m")"
		;;
	*)
		cmp -s "$T/en.json" "$T/fr.json" ||
		    fail "$cmd --json differs by locale: $(diff "$T/en.json" "$T/fr.json")"
		;;
	esac
done
fr "$AMIE" --dir "$T/A" kb search imprimante --json >"$T/fr.json"
grep -q '"score": [0-9]*\.[0-9]' "$T/fr.json" ||
    fail "the score in French --json is not written with a point: $(cat "$T/fr.json")"

# Exit codes do not change with the locale either.
expect_code 1 en "$AMIE" --dir "$T/A" kb conflicts
expect_code 1 fr "$AMIE" --dir "$T/A" kb conflicts

stop_node "$PID_A"
stop_node "$PID_B"
finish
