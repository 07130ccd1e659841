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

port=$((30000 + $$ % 20000))
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

say "Stop the three nodes (SIGTERM: each finishes its transaction and exits 0)"
for p in $PIDS; do
	kill -TERM "$p"
	wait "$p" || { echo "amied exited $?" >&2; exit 1; }
done
PIDS=""
echo "all three stopped cleanly"
say "Demo done: the nodes, keys and stores lived in $T, now removed."
