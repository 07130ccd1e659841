# SPDX-License-Identifier: AGPL-3.0-or-later
# swap list answers however many requests the federation wrote: any
# member writes requests with notes of up to 4096 bytes, and they are
# never deleted, so no reply may grow past CTL_MSG_MAX (1 MiB).  The
# daemon answers in pages and amie swap list shows every request (before
# 2026-11-30 it showed the first page and counted the rest as "more").
. tests/integration/lib.sh

new_node A --federation Ouest || finish

NOTE=$(head -c 4000 /dev/zero | tr '\0' 'n')
i=0
while [ $i -lt 260 ]; do
	"$AMIE" --dir "$T/A" swap request --skill reseau --from 2026-03-02 \
	    --to 2026-03-13 --hours 1 --note "$NOTE" >/dev/null ||
	    { fail "swap request $i"; break; }
	i=$((i + 1))
done
expect_code 0 "$AMIE" --dir "$T/A" swap list --json
more=$(json_field more "$T/out")
shown=$(grep -c '"state": "open"' "$T/out")
[ "$more" = 0 ] && [ "$shown" = 260 ] ||
    fail "listed $shown, more $more, of 260 requests"
grep -q '"next"' "$T/out" && fail "swap list --json shows a cursor"
expect_code 0 "$AMIE" --dir "$T/A" swap list --open
grep -q "not shown" "$T/err" && fail "a notice: $(cat "$T/err")"
[ "$(grep -c ' 2026-03-02 to 2026-03-13 ' "$T/out")" = 260 ] ||
    fail "swap list shows $(grep -c ' 2026-03-02 to 2026-03-13 ' "$T/out") of 260"

stop_node "$PID_A"
finish
