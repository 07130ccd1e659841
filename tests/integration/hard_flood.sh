# SPDX-License-Identifier: AGPL-3.0-or-later
# Floods by a member: HAVE messages as fast as it can send them, and one
# message whose frames never end.  amied's resident memory grows by less
# than 64 MiB (measured from /proc and printed), the flooder is
# rate-limited then dropped with a penalty (counted in amie peers), and
# the honest member keeps syncing meanwhile.
. tests/integration/lib.sh

FLOOD_MS=${FLOOD_MS:-5000}
RSS_GROWTH_MAX_KB=$((64 * 1024))
# Under AddressSanitizer (make check), freed blocks wait in a quarantine
# of 256 MiB by default, which would count as growth: keep it small.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"

new_node A --federation Nord || finish
new_node D || finish
join D A || finish
wait_for 20 same_records A D || fail "A and D differ"
peer_target A || fail "status of A"

rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$PID_A/status"
}

# counter NAME ID: the sum of counter NAME over the rows of node ID in
# A's amie peers --json.
counter() {
	"$AMIE" --dir "$T/A" peers --json >"$T/peers.json" 2>/dev/null
	awk -v id="$2" -v k="\"$1\":" '
	    $1 == "\"id\":" { cur = $2 }
	    $1 == k && index(cur, id) { gsub(/[^0-9]/, "", $2); s += $2 }
	    END { print s + 0 }' "$T/peers.json"
}

# flood MODE: a new member floods A in MODE while D writes and A must
# get it; the peak of A's RSS is sampled all along.
flood() {
	K="$T/key-$1"
	KID=$("$PEERTOOL" mint "$T/A" "$K" "$NET") || {
		fail "$1: cannot mint a member"
		return
	}
	base=$(rss_kb)
	PEERTOOL_FLOOD_MS=$FLOOD_MS "$PEERTOOL" "$K" "$EP" "$AID" "$NET" "$1" \
	    >"$T/flood.out" 2>&1 &
	fpid=$!
	peak=$base
	Y=$(add_article D "Written during the $1") || fail "add on D"
	got=0
	while kill -0 "$fpid" 2>/dev/null; do
		r=$(rss_kb)
		[ "$r" -gt "$peak" ] && peak=$r
		if [ "$got" = 0 ] && has_article A "$Y"; then
			got=1
		fi
		sleep 0.1
	done
	wait "$fpid"
	[ "$got" = 1 ] || wait_for 30 has_article A "$Y" ||
	    fail "$1: A stopped syncing with D"
	r=$(rss_kb)
	[ "$r" -gt "$peak" ] && peak=$r
	echo "$1: $(head -n 1 "$T/flood.out"); A's RSS $base kB, peak $peak kB, growth $(((peak - base) / 1024)) MiB"
	[ $((peak - base)) -lt "$RSS_GROWTH_MAX_KB" ] ||
	    fail "$1: RSS grew by $(((peak - base) / 1024)) MiB"
	tail -n 1 "$T/flood.out" | grep -q '^disconnected$' ||
	    fail "$1: the flooder was not dropped: $(cat "$T/flood.out")"
}

flood flood
[ "$(counter rate_limited "$KID")" -ge 1 ] ||
    fail "flood: not counted as rate-limited: $(cat "$T/peers.json")"
[ "$(counter penalties "$KID")" -ge 1 ] ||
    fail "flood: no penalty counted: $(cat "$T/peers.json")"
grep -q "flooding" "$T/A.log" || fail "flood: the drop is not logged"
flood multipart
[ "$(counter penalties "$KID")" -ge 1 ] ||
    fail "multipart: no penalty counted: $(cat "$T/peers.json")"
[ "$(json_field listen_resets "$T/peers.json")" -ge 1 ] ||
    fail "multipart: the listening socket was not reset"
grep -q "flooding: a message that never ends" "$T/A.log" ||
    fail "multipart: the drop is not logged"

X=$(add_article A "After the floods") || fail "add on A"
wait_for 30 has_article D "$X" || fail "D no longer syncs with A"
stop_node "$PID_A"
stop_node "$PID_D"
finish
