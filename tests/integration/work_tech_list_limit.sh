# SPDX-License-Identifier: AGPL-3.0-or-later
# tech list answers however many technicians the federation registered:
# availability texts of up to 4096 bytes must not push the reply past
# CTL_MSG_MAX (1 MiB) for good.
. tests/integration/lib.sh

new_node A --federation Ouest || finish

AV=$(head -c 4000 /dev/zero | tr '\0' 'a')
i=0
while [ $i -lt 260 ]; do
	"$AMIE" --dir "$T/A" tech add "Tech $i" --skill reseau \
	    --availability "$AV" >/dev/null || { fail "tech add $i"; break; }
	i=$((i + 1))
done
expect_code 0 "$AMIE" --dir "$T/A" tech list
expect_code 0 "$AMIE" --dir "$T/A" tech list --skill reseau
grep -q "more technicians not shown" "$T/err" || fail "no notice: $(cat "$T/err")"
expect_code 0 "$AMIE" --dir "$T/A" tech list --json
more=$(json_field more "$T/out")
shown=$(grep -c '"availability"' "$T/out")
[ "$more" -gt 0 ] && [ $((more + shown)) = 260 ] ||
    fail "listed $shown, more $more, of 260 technicians"

stop_node "$PID_A"
finish
