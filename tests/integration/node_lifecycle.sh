# SPDX-License-Identifier: AGPL-3.0-or-later
# One node end to end: init, start, status, articles added, listed and
# shown, restart, the data is found again, SIGTERM exits 0.
. tests/integration/lib.sh

D="$T/lille"
expect_code 0 "$AMIE" init --dir "$D" --name Lille --region "Hauts-de-France" \
    --federation "Amies du Nord" --listen "tcp://127.0.0.1:$(free_port)"
ID=$(cat "$T/out")
case "$ID" in
???????-???????-???????-???????-???????-???????-???????-???????) ;;
*) fail "init printed '$ID', not a node id" ;;
esac
[ "$(stat -c %a "$D/node.key")" = 600 ] || fail "node.key is not 0600"
[ "$(stat -c %a "$D")" = 700 ] || fail "node directory is not 0700"
expect_code 0 "$AMIE" --dir "$D" id
[ "$(cat "$T/out")" = "$ID" ] || fail "amie id differs from init's id"

expect_code 69 "$AMIE" --dir "$D" status
grep -q "amied --dir" "$T/err" || fail "no advice to start amied: $(cat "$T/err")"

start_node "$D" || finish
[ "$(stat -c %a "$D/amied.sock")" = 600 ] || fail "amied.sock is not 0600"
expect_code 0 "$AMIE" --dir "$D" status --json
[ "$(json_field node_id "$T/out")" = "$ID" ] || fail "status node_id"
[ "$(json_field federation "$T/out")" = "Amies du Nord" ] || fail "status federation"
[ "$(json_field schema "$T/out")" = 1 ] || fail "status schema"
[ "$(json_field records "$T/out")" = 2 ] || fail "status records: the charter and node.info"
grep -q '"peers_connected"' "$T/out" || fail "status has no peers_connected"
grep -q '"members"' "$T/out" || fail "status has no members"

printf 'Après un changement de box, fixer une IP (bail DHCP).\n' >"$T/a1.md"
expect_code 0 "$AMIE" --dir "$D" kb add --title "Imprimante HP introuvable" \
    --tag hp --tag dhcp --lang fr --category impression "$T/a1.md"
A1=$(cat "$T/out")
[ ${#A1} = 32 ] || fail "kb add printed '$A1', not an article id"
printf 'Backups with restic.\n' | "$AMIE" --dir "$D" kb add --title "Backups" \
    --tag backup --lang en - >"$T/a2" || fail "kb add from stdin"
A2=$(cat "$T/a2")

expect_code 0 "$AMIE" --dir "$D" kb list
[ "$(wc -l <"$T/out")" = 2 ] || fail "kb list shows $(wc -l <"$T/out") lines"
expect_code 0 "$AMIE" --dir "$D" kb list --tag hp --json
grep -q "\"$A1\"" "$T/out" || fail "kb list --tag hp misses the article"
grep -q "\"$A2\"" "$T/out" && fail "kb list --tag hp shows the backup article"
expect_code 1 "$AMIE" --dir "$D" kb list --tag nothing-like-it

PREFIX=$(printf '%s' "$A1" | cut -c1-6)
expect_code 0 "$AMIE" --dir "$D" kb show "$PREFIX"
grep -q "Imprimante HP introuvable" "$T/out" || fail "kb show title"
grep -q "bail DHCP" "$T/out" || fail "kb show body"
expect_code 0 "$AMIE" --dir "$D" kb show "$A2" --json
[ "$(json_field title "$T/out")" = Backups ] || fail "kb show --json title"
[ "$(json_field lang "$T/out")" = en ] || fail "kb show --json lang"
[ "$(json_field licence "$T/out")" = CC-BY-SA-4.0 ] || fail "kb show --json licence"

stop_node "$NODE_PID"
start_node "$D" || finish
expect_code 0 "$AMIE" --dir "$D" kb show "$A1" --json
[ "$(json_field title "$T/out")" = "Imprimante HP introuvable" ] ||
    fail "the article is gone after a restart"
expect_code 0 "$AMIE" --dir "$D" status --json
[ "$(json_field records "$T/out")" = 4 ] || fail "4 records after restart"
stop_node "$NODE_PID"
finish
