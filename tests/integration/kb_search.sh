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

# A reindex of a few hundred articles goes a step at a time: the same
# results, a progress line with the count on a terminal (stderr), only
# the JSON on stdout.  Its total counts the deleted article's id too.
"$CTLTOOL" bulk "$T/B" "$T/A" 600 all >/dev/null || fail "bulk articles"
many() {	# the results of a few queries over the bulk articles too
	ids B electricite imprimante sauvegardes oeuvre printing
	ids B 00000417
	ids B reserver bail | sort
	ids B imprimante reseau | sort
}
expect_code 0 "$AMIE" --dir "$T/B" kb reindex --json
before=$(many)
[ "$(ids B reserver bail | wc -l)" = 100 ] || fail "bulk articles not found"
script -qec "'$AMIE' --dir '$T/B' kb reindex --json >'$T/json'" /dev/null \
    >"$T/tty" 2>&1 </dev/null || fail "kb reindex on a terminal"
grep -q "$(printf '\r')rebuilding the search index.* 256/606 articles" "$T/tty" ||
    fail "no progress with a count on a terminal: $(cat -v "$T/tty")"
[ "$(tr -d ' \n' <"$T/json")" = '{"articles":605,"schema":1}' ] ||
    fail "kb reindex --json: $(cat -v "$T/json")"
[ "$(many)" = "$before" ] || fail "the reindex in steps changed the results"
expect_code 0 "$AMIE" --dir "$T/B" kb reindex
grep -q "^amie: 605 articles indexed$" "$T/err" || fail "reindex: $(cat "$T/err")"
[ -s "$T/out" ] && fail "reindex wrote on stdout: $(cat "$T/out")"

# A rebuild cut short after its first step (256 articles): searches say
# so and miss articles, amie check names it, and a restart finishes it.
"$CTLTOOL" raw "$T/B" 82a3636d64aa6b622e7265696e646578a473746570c3 \
    >"$T/raw" || fail "one reindex step"
expect_code 0 "$AMIE" --dir "$T/B" kb search --json --limit 100 reserver bail
grep -q '"index_complete": false' "$T/out" || fail "partial: $(cat "$T/out")"
grep -q "being rebuilt" "$T/err" || fail "no word of the rebuild: $(cat "$T/err")"
[ -z "$(ids B 00000417)" ] || fail "a partial index finds every article"
expect_code 65 "$AMIE" --dir "$T/B" check
grep -q "rebuild of the index is under way (256 of 606" "$T/out" ||
    fail "check: $(cat "$T/out")"
stop_node "$PID_B"
start_node "$T/B" || finish
PID_B=$NODE_PID
grep -q "finishing the rebuild of the search index" "$T/B.log" ||
    fail "the restart did not finish the rebuild"
[ "$(many)" = "$before" ] || fail "the finished rebuild changed the results"
expect_code 0 "$AMIE" --dir "$T/B" kb search --json imprimante
grep -q '"index_complete": true' "$T/out" || fail "complete: $(cat "$T/out")"
expect_code 0 "$AMIE" --dir "$T/B" check

stop_node "$PID_A"
stop_node "$PID_B"
finish
