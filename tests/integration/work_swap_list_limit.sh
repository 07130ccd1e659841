# SPDX-License-Identifier: AGPL-3.0-or-later
# swap list answers however many requests the federation wrote: any
# member writes requests with notes of up to 4096 bytes, and they are
# never deleted, so the reply must not grow past CTL_MSG_MAX (1 MiB).
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
expect_code 0 "$AMIE" --dir "$T/A" swap list
expect_code 0 "$AMIE" --dir "$T/A" swap list --json
more=$(json_field more "$T/out")
shown=$(grep -c '"state": "open"' "$T/out")
[ "$more" -gt 0 ] && [ $((more + shown)) = 260 ] ||
    fail "listed $shown, more $more, of 260 requests"
expect_code 0 "$AMIE" --dir "$T/A" swap list
grep -q "$more more requests not shown" "$T/err" || fail "no notice: $(cat "$T/err")"

stop_node "$PID_A"
finish
