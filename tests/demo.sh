# SPDX-License-Identifier: AGPL-3.0-or-later
# make demo: one amie node end to end in a temporary directory.
set -eu
B=${B:-build}
AMIE="$(pwd)/$B/amie"
AMIED="$(pwd)/$B/amied"
T=$(mktemp -d "${TMPDIR:-/tmp}/amie-demo.XXXXXX")
D="$T/lille"
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT INT TERM

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
run() { printf '$ %s\n' "$*" | sed "s#$T#\$DEMO#g; s#$(pwd)/$B/##g" >&2; "$@"; }

say "Create the node of the Amie of Lille, founding the federation"
run "$AMIE" init --dir "$D" --name "Amie de Lille" --region "Hauts-de-France" \
    --federation "Amies du Nord"

say "Start amied (it logs to $D.log)"
"$AMIED" --dir "$D" 2>"$D.log" &
PID=$!
i=0
until "$AMIE" --dir "$D" status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 200 ]; then
		echo "amied did not start:" >&2
		cat "$D.log" >&2
		exit 1
	fi
	sleep 0.05
done
run "$AMIE" --dir "$D" status

say "A technician writes two articles"
cat >"$T/imprimante.md" <<'MD'
# Imprimante HP introuvable après un changement de box

La nouvelle box distribue d'autres adresses : l'imprimante garde l'ancienne.

1. Relever l'adresse MAC sur la page de configuration de l'imprimante.
2. Réserver un bail DHCP pour cette adresse sur la box.
3. Redémarrer l'imprimante, puis réinstaller le port sur les postes.
MD
A1=$(run "$AMIE" --dir "$D" kb add --title "Imprimante HP introuvable après un changement de box" \
    --tag imprimante --tag dhcp --lang fr --category impression "$T/imprimante.md")
echo "$A1"
A2=$(printf 'Use restic with a weekly prune; test restores every month.\n' |
    run "$AMIE" --dir "$D" kb add --title "Backups of an association's server" \
    --tag backup --lang en -)
echo "$A2"

say "List them, then show one by a prefix of its id"
run "$AMIE" --dir "$D" kb list
run "$AMIE" --dir "$D" kb show "$(printf %s "$A1" | cut -c1-6)"

say "The same, as JSON for scripts"
run "$AMIE" --dir "$D" kb list --tag backup --json

say "Stop the node (SIGTERM: it finishes the current transaction, exits 0)"
kill -TERM "$PID"
wait "$PID"
echo "amied exited $?"
PID=""
say "Demo done: the node, its key and its store lived in a temporary directory, now removed."
