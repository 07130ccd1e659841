# SPDX-License-Identifier: AGPL-3.0-or-later
# tech list answers however many technicians the federation registered:
# availability texts of up to 4096 bytes must not push a reply past
# CTL_MSG_MAX (1 MiB).  The daemon answers in pages and amie tech list
# shows every technician (before 2026-11-30 it showed the first page and
# counted the rest as "more").
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
grep -q "not shown" "$T/err" && fail "a notice: $(cat "$T/err")"
[ "$(grep -c "Tech " "$T/out")" = 260 ] ||
    fail "tech list shows $(grep -c "Tech " "$T/out") of 260"
expect_code 0 "$AMIE" --dir "$T/A" tech list --json
more=$(json_field more "$T/out")
shown=$(grep -c '"availability"' "$T/out")
[ "$more" = 0 ] && [ "$shown" = 260 ] ||
    fail "listed $shown, more $more, of 260 technicians"
grep -q '"next"' "$T/out" && fail "tech list --json shows a cursor"

stop_node "$PID_A"
finish
