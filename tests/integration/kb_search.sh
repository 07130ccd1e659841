# SPDX-License-Identifier: AGPL-3.0-or-later
# Search through the command line: accents, case, plurals, ligatures,
# ranking, filters, JSON; the index follows sync, deletion, restarts and
# reindex.
. tests/integration/lib.sh

new_node A --federation Nord || finish
new_node B || finish
join B A || finish

add() {	# NAME LANG TITLE TEXT [TAG]
	printf '%s\n' "$4" >"$T/art.md"
	"$AMIE" --dir "$T/$1" kb add --title "$3" --lang "$2" ${5:+--tag "$5"} "$T/art.md"
}
P=$(add A fr "Imprimantes réseau" "Relever l'adresse MAC, réserver le bail." impression) || fail add
E=$(add A fr "Coupure d'électricité" "Onduleur et arrêt propre des serveurs.") || fail add
S=$(add A fr "Données sauvegardées" "Les sauvegardes chiffrées hors site.") || fail add
O=$(add A fr "Mise en œuvre du pare-feu" "Règles du pare-feu de la box.") || fail add
EN=$(add A en "Printing from laptops" "Printers need their drivers; printing queues." ) || fail add
BODY=$(add A fr "Divers" "Note: une imprimante partagée sur le réseau local.") || fail add

found() {	# NAME ID WORDS...: the search finds ID
	n=$1 id=$2
	shift 2
	"$AMIE" --dir "$T/$n" kb search --json "$@" 2>/dev/null | grep -q "\"id\": \"$id\""
}
ids() {	# NAME WORDS...: the ids found, in order
	n=$1
	shift
	"$AMIE" --dir "$T/$n" kb search --json --limit 100 "$@" 2>/dev/null |
	    sed -n 's/^ *"id": "\(.*\)",*$/\1/p'
}

found A "$P" imprimante reseau || fail "'imprimante reseau' misses 'Imprimantes réseau'"
[ "$(ids A électricité)" = "$(ids A electricite)" ] || fail "accents change the results"
[ "$(ids A ÉLECTRICITÉ)" = "$(ids A electricite)" ] || fail "case changes the results"
found A "$E" electricite || fail "electricite misses électricité"
found A "$S" sauvegardes || fail "sauvegardes misses sauvegardées"
found A "$S" SAUVEGARDÉES || fail "SAUVEGARDÉES misses"
found A "$O" oeuvre || fail "oeuvre misses œuvre"
found A "$O" pare feu || fail "'pare feu' misses pare-feu"
found A "$EN" printer || fail "printer misses printers"
found A "$EN" print || fail "print misses printing"
first=$(ids A imprimante | head -n 1)
[ "$first" = "$P" ] || fail "a body-only match ranks above the title match"
found A "$BODY" imprimante || fail "the body-only match is missing"
found A "$P" imprimante --tag impression || fail "--tag filter"
found A "$BODY" imprimante --tag impression && fail "--tag lets others through"
found A "$EN" printing --lang en || fail "--lang filter"

expect_code 0 "$AMIE" --dir "$T/A" kb search --json imprimante
grep -q '"schema": 1' "$T/out" || fail "no schema"
grep -q '"query": "imprimante"' "$T/out" || fail "no query in JSON"
for k in id title score snippet lang tags author updated; do
	grep -q "\"$k\":" "$T/out" || fail "JSON results lack $k"
done
expect_code 1 "$AMIE" --dir "$T/A" kb search zzzyyyxxx
grep -q "nothing matches" "$T/err" || fail "no hint on no match"

# The index follows sync, and deletion removes it on the other node.
wait_for 30 found B "$P" imprimante || fail "B cannot search what it received"
expect_code 0 "$AMIE" --dir "$T/A" kb rm "$P"
gone() { ! found B "$P" imprimante; }
wait_for 30 gone || fail "the deleted article is still found on B"

# Restart and reindex give the same results.
before=$(ids B electricite imprimante sauvegardes oeuvre printing)
[ -n "$before" ] || fail "nothing found before the restart"
stop_node "$PID_B"
start_node "$T/B" || finish
PID_B=$NODE_PID
[ "$(ids B electricite imprimante sauvegardes oeuvre printing)" = "$before" ] ||
    fail "results changed across a restart"
expect_code 0 "$AMIE" --dir "$T/B" kb reindex
[ "$(ids B electricite imprimante sauvegardes oeuvre printing)" = "$before" ] ||
    fail "reindex changed the results"
stop_node "$PID_A"
stop_node "$PID_B"
finish
