# SPDX-License-Identifier: AGPL-3.0-or-later
# make demo: three Amies federate on this machine (loopback), share an
# article and an edit, then stop.  Everything lives in a temporary
# directory that is removed at the end.
set -eu
B=${B:-build}
AMIE="$(pwd)/$B/amie"
AMIED="$(pwd)/$B/amied"
T=$(mktemp -d "${TMPDIR:-/tmp}/amie-demo.XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT INT TERM

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
run() { printf '$ %s\n' "$*" | sed "s#$T/##g; s#$(pwd)/$B/##g" >&2; "$@"; }

port=$((20000 + $$ % 12000))	# below the ephemeral range (32768 and up)
start() {
	"$AMIED" --dir "$T/$1" 2>"$T/$1.log" &
	PIDS="$PIDS $!"
	i=0
	until "$AMIE" --dir "$T/$1" status >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			echo "amied of $1 did not start:" >&2
			cat "$T/$1.log" >&2
			exit 1
		fi
		sleep 0.05
	done
}
# until_true SECONDS COMMAND...: wait for what sync brings, with a deadline.
until_true() {
	deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "demo: timed out waiting for: $*" >&2
			exit 1
		fi
		sleep 0.1
	done
}

say "Lille founds the federation 'Amies du Nord'"
run "$AMIE" init --dir "$T/lille" --name "Amie de Lille" --region "Hauts-de-France" \
    --listen "tcp://127.0.0.1:$port" --federation "Amies du Nord"
start lille

say "Arras and Amiens create their nodes (no federation yet)"
run "$AMIE" init --dir "$T/arras" --name "Amie d'Arras" --region "Hauts-de-France" \
    --listen "tcp://127.0.0.1:$((port + 1))"
run "$AMIE" init --dir "$T/amiens" --name "Amie d'Amiens" --region "Hauts-de-France" \
    --listen "tcp://127.0.0.1:$((port + 2))"
start arras
start amiens

say "Lille invites Arras: the code carries Lille's key, address and a one-time secret"
CODE=$(run "$AMIE" --dir "$T/lille" invite)
echo "$CODE"
run "$AMIE" --dir "$T/arras" join "$CODE"

say "Arras, now a member, invites Amiens"
CODE=$(run "$AMIE" --dir "$T/arras" invite)
echo "$CODE"
run "$AMIE" --dir "$T/amiens" join "$CODE"
run "$AMIE" --dir "$T/amiens" members

say "A technician in Lille writes an article"
cat >"$T/imprimante.md" <<'MD'
# Imprimante HP introuvable après un changement de box

La nouvelle box distribue d'autres adresses : l'imprimante garde l'ancienne.

1. Relever l'adresse MAC sur la page de configuration de l'imprimante.
2. Réserver un bail DHCP pour cette adresse sur la box.
3. Redémarrer l'imprimante, puis réinstaller le port sur les postes.
MD
ID=$(run "$AMIE" --dir "$T/lille" kb add --title "Imprimante HP introuvable après un changement de box" \
    --tag imprimante --tag dhcp --lang fr --category impression "$T/imprimante.md")
echo "$ID"

say "It reaches Amiens through Arras (signed by Lille, checked on each hop)"
until_true 30 "$AMIE" --dir "$T/amiens" kb show "$ID"
run "$AMIE" --dir "$T/amiens" kb show "$(printf %s "$ID" | cut -c1-6)"

say "A technician in Amiens improves the title; Lille sees the new revision"
run "$AMIE" --dir "$T/amiens" kb edit "$ID" --title "Imprimante HP perdue après un changement de box (bail DHCP)"
title_on_lille() {
	"$AMIE" --dir "$T/lille" kb show "$ID" --json | grep -q '"title": "Imprimante HP perdue'
}
until_true 30 title_on_lille
run "$AMIE" --dir "$T/lille" kb list
run "$AMIE" --dir "$T/lille" peers
run "$AMIE" --dir "$T/lille" status

say "Lille's contract with a member structure: 4 hours a month, time logged"
C=$(run "$AMIE" --dir "$T/lille" contract add --member "Centre social Les Tilleuls" \
    --hours-per-month 4 --start 2026-09-01 --months 12 --fee-per-month 120) || exit 1
echo "$C"
run "$AMIE" --dir "$T/lille" contract log "$C" --date 2026-11-03 --minutes 90 \
    --summary "Imprimante réseau : bail DHCP réservé" --kb "$ID" >/dev/null || exit 1
run "$AMIE" --dir "$T/lille" contract log "$C" --date 2026-11-17 --minutes 150 \
    --summary "Sauvegardes du poste de l'accueil" >/dev/null || exit 1
run "$AMIE" --dir "$T/lille" contract usage --month 2026-11
say "The contract is private: Arras keeps the encrypted copy but cannot read it"
until_true 30 sh -c "'$AMIE' --dir '$T/arras' contract list --json 2>/dev/null | grep -q '\"held_encrypted\": [1-9]'"
run "$AMIE" --dir "$T/arras" contract list || true

say "Lille's technician is on leave: Lille asks, Arras lends one, the time bank records it"
TA=$(run "$AMIE" --dir "$T/arras" tech add "Camille" --skill reseau --skill linux \
    --region Hauts-de-France --lang fr) || exit 1
R=$(run "$AMIE" --dir "$T/lille" swap request --skill reseau --from 2026-12-01 \
    --to 2026-12-15 --hours 12 --note "congé de notre technicien") || exit 1
until_true 30 sh -c "'$AMIE' --dir '$T/arras' swap list --json 2>/dev/null | grep -q '$R'"
O=$(run "$AMIE" --dir "$T/arras" swap offer "$R" --tech "$TA" --hours 12) || exit 1
until_true 30 sh -c "'$AMIE' --dir '$T/lille' swap list --json 2>/dev/null | grep -q '$O'"
run "$AMIE" --dir "$T/lille" swap accept "$O" >/dev/null || exit 1
run "$AMIE" --dir "$T/lille" swap done "$R" --hours 10.5 >/dev/null || exit 1
# A pair is shown once, from the side of the lower node id: lent or
# borrowed, depending on the keys this run drew.
until_true 30 sh -c "'$AMIE' --dir '$T/amiens' swap ledger --json 2>/dev/null | grep -qE '\"(lent|borrowed)_minutes\": 630'"
run "$AMIE" --dir "$T/amiens" swap ledger

say "Stop the three nodes (SIGTERM: each finishes its transaction and exits 0)"
for p in $PIDS; do
	kill -TERM "$p"
	wait "$p" || { echo "amied exited $?" >&2; exit 1; }
done
PIDS=""
echo "all three stopped cleanly"
say "Demo done: the nodes, keys and stores lived in $T, now removed."
