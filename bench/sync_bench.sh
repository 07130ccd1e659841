# SPDX-License-Identifier: AGPL-3.0-or-later
# Sync benchmarks with real amied processes over loopback CurveZMQ.
# Prints tab-separated rows: figure, value, unit, limit, ratio, target,
# verdict.  Limits are measured in the same run: the bare Ed25519 verify
# rate of the same records on one core, and the size of the records that
# must cross.  N is BENCH_SCALE (default 100000).
set -u
B=${B:-build-bench}
N=${BENCH_SCALE:-100000}
# Differences: 1,000 (1% of 100,000; fewer only below that), the same
# at a million, so that the figures show what grows with the set alone.
K=$((N / 100 < 1000 ? N / 100 : 1000))
AMIE="$(pwd)/$B/amie"
AMIED="$(pwd)/$B/amied"
CTL="$(pwd)/$B/tests/tools/ctltool"
T=$(mktemp -d "${TMPDIR:-/tmp}/amie-bench.XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT INT TERM
port=$((40000 + $$ % 10000))

now_ms() { date +%s%3N; }
pct() {	# FILE FRACTION: that percentile of the times in FILE, nearest rank
	sort -n "$1" | awk -v f="$2" '{ a[NR] = $1 } END {
	    i = int(NR * f + 0.999); printf "%.1f", a[i < 1 ? 1 : i] }'
}
wait_until() {	# SECONDS COMMAND...
	deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}
node() {	# NAME [init args]
	name=$1
	shift
	port=$((port + 1))
	"$AMIE" init --dir "$T/$name" --name "$name" \
	    --listen "tcp://127.0.0.1:$port" "$@" >/dev/null 2>&1 || exit 1
	printf '\n[sync]\ninterval = 3600\nmax_peers = %s\n' "${MAX_PEERS:-8}" \
	    >>"$T/$name/amied.conf"
	sed -i 's/^level = info/level = warning/' "$T/$name/amied.conf"
	"$AMIED" --dir "$T/$name" 2>>"$T/$name.log" &
	LASTPID=$!
	PIDS="$PIDS $!"
	wait_until 20 "$AMIE" --dir "$T/$name" status || exit 1
}
join() {	# NAME INVITER
	code=$("$AMIE" --dir "$T/$2" invite 2>/dev/null) &&
	    "$AMIE" --dir "$T/$1" join "$code" >/dev/null 2>&1 || {
		echo "bench: $1 could not join $2" >&2
		exit 1
	}
}
records() {
	"$AMIE" --dir "$T/$1" status --json | sed -n 's/^ *"records": \([0-9]*\).*/\1/p'
}
has_records() { [ "$(records "$1")" -ge "$2" ]; }
# out_link NAME: "bytes_sent bytes_received rounds wants received" of
# NAME's outbound link (to A).
out_link() {
	"$AMIE" --dir "$T/$1" peers --json | awk '
	    /"bytes_received"/ { br = $2 } /"bytes_sent"/ { bs = $2 }
	    /"rounds"/ { r = $2 } /"wants"/ { w = $2 } /"received"/ { rc = $2 }
	    /"direction": "out"/ { out = 1 }
	    /^    }/ { if (out) { gsub(",", "", bs); gsub(",", "", br);
	        gsub(",", "", r); gsub(",", "", w); gsub(",", "", rc);
	        print bs, br, r, w, rc; exit } out = 0 }'
}
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@"; }

echo "bench: $N records, building the nodes..." >&2
# A never connects out: each figure is the traffic of one link, the one
# the node under test opens to A.
MAX_PEERS=0 node A --federation Bench
set -- $("$CTL" verifyrate "$T/A" "$N")
VERIFY=$1
RECSIZE=$2
# The nodes under test join while A is still empty, then everyone loads
# its set quietly (no push, no sync: interval 3600 s), so that each
# figure below is one amie sync of a prepared pair.
for b in B1 B2 B3; do
	MAX_PEERS=1 node "$b"
	join "$b" A
done
# The reconciliations that follow a join must be over before A loads
# its set, or a node fetches part of it now, and its sync below has
# fewer records to fetch than its row says.
for b in B1 B2 B3; do
	"$AMIE" --dir "$T/$b" sync --wait --timeout 60 >/dev/null 2>&1 || exit 1
done
"$CTL" bulk "$T/A" "$T/A" "$N" all >/dev/null || exit 1
"$CTL" bulk "$T/B1" "$T/A" "$N" all >/dev/null || exit 1
"$CTL" bulk "$T/B2" "$T/A" "$N" "newest:$K" >/dev/null || exit 1
# Every M-th record is missing, records 0, M, 2M...: ceil(N / M) of them,
# K when M divides N.
M=$((N / K))
KS=$(((N + M - 1) / M))
"$CTL" bulk "$T/B3" "$T/A" "$N" "spread:$M" >/dev/null || exit 1

# sync_case NAME MISSING: one amie sync --wait on NAME, which lacks
# MISSING of A's records, traffic of its link to A.  The figure is only
# what its row says if NAME lacks exactly those before, and fetches
# them all over that link.
sync_case() {
	wait_until 30 sh -c "'$AMIE' --dir '$T/$1' peers --json | grep -q '\"direction\": \"out\"'" || exit 1
	[ -n "${BENCH_DEBUG:-}" ] && echo "bench: $1 holds $(records "$1") records before its sync" >&2
	ra=$(records A)
	r0=$(records "$1")
	[ "$r0" -eq $((ra - $2)) ] || {
		echo "bench: $1 holds $r0 records before its sync, not $((ra - $2))" >&2
		exit 1
	}
	set -- "$1" "$2" $(out_link "$1")
	bs0=$3 br0=$4 w0=$6 rc0=$7
	"$AMIE" --dir "$T/$1" sync --wait --timeout 300 >/dev/null 2>&1 || exit 1
	set -- "$1" "$2" $(out_link "$1")
	[ "$(records "$1")" -eq "$ra" ] && [ $(($7 - rc0)) -eq "$2" ] || {
		echo "bench: $1 received $(($7 - rc0)) of $2 records from A" >&2
		exit 1
	}
	SENT=$(($3 - bs0))
	RECV=$(($4 - br0))
	ROUNDS=$5
	WANTS=$(($6 - w0))
}

sync_case B1 0
row "sync, 100% common: round trips" "$ROUNDS" "rounds" "1" "$(echo "$ROUNDS" | awk '{printf "%.2f", $1}')" "= 1" "$([ "$ROUNDS" = 1 ] && echo pass || echo FAIL)"
row "sync, 100% common: bytes sent" "$SENT" "bytes" "2048" "$(awk -v a="$SENT" 'BEGIN{printf "%.2f", a/2048}')" "<= 1" "$([ "$SENT" -le 2048 ] && echo pass || echo FAIL)"
row "sync, 100% common: bytes received" "$RECV" "bytes" "2048" "$(awk -v a="$RECV" 'BEGIN{printf "%.2f", a/2048}')" "<= 1" "$([ "$RECV" -le 2048 ] && echo pass || echo FAIL)"

sync_case B2 "$K"
LIMIT=$(awk -v k="$K" -v s="$RECSIZE" 'BEGIN{printf "%.0f", 1.2 * k * s + 64 * k}')
TOTAL=$((SENT + RECV))
row "sync, $K newest missing: bytes both ways" "$TOTAL" "bytes" "$LIMIT" "$(awk -v a="$TOTAL" -v l="$LIMIT" 'BEGIN{printf "%.2f", a/l}')" "<= 1" "$([ "$TOTAL" -le "$LIMIT" ] && echo pass || echo FAIL)"
TRIPS=$((ROUNDS + (WANTS + 3) / 4))
row "sync, $K newest missing: round trips" "$TRIPS" "rounds" "4" "$(awk -v a="$TRIPS" 'BEGIN{printf "%.2f", a/4}')" "<= 1" "$([ "$TRIPS" -le 4 ] && echo pass || echo FAIL)"

# The two daemons announce the short-ids extension in HELLO, so this is
# its figure; neg_bench prints V1's and the extension's reconciliation
# bytes for the same shape of sets in process.
sync_case B3 "$KS"
TOTAL=$((SENT + RECV))
LIMIT=$(awk -v k="$KS" -v s="$RECSIZE" 'BEGIN{printf "%.0f", 1.5 * k * s + 128 * k}')
row "sync, $KS spread missing: bytes both ways" "$TOTAL" "bytes" "$LIMIT" "$(awk -v a="$TOTAL" -v l="$LIMIT" 'BEGIN{printf "%.2f", a/l}')" "<= 1" "$([ "$TOTAL" -le "$LIMIT" ] && echo pass || echo FAIL)"
TRIPS=$((ROUNDS + (WANTS + 3) / 4))
row "sync, $KS spread missing: round trips" "$TRIPS" "rounds" "-" "-" "(printed)" "-"

# Initial sync: a new node joins and fetches everything.  Meanwhile
# `amie status` runs on it every 50 ms (process start and control socket
# included), which also tells when the sync is over, and the daemon's
# anonymous resident memory (RssAnon: the LMDB map, file-backed, is not
# counted) is sampled each time.
# The same command on an idle node first, for comparison.
: >"$T/idle_lat"
for i in $(seq 40); do
	"$CTL" time "$T/idle_lat" "$AMIE" --dir "$T/B1" status --json \
	    >/dev/null 2>&1
done
node C
CPID=$LASTPID
: >"$T/status_lat"
RSS=0
t0=$(now_ms)
join C A
deadline=$(($(date +%s) + 600))
while :; do
	"$CTL" time "$T/status_lat" "$AMIE" --dir "$T/C" status --json \
	    >"$T/status.json" 2>/dev/null
	got=$(sed -n 's/^ *"records": \([0-9]*\).*/\1/p' "$T/status.json")
	r=$(awk '/^RssAnon:/ { print $2 }' "/proc/$CPID/status" 2>/dev/null)
	[ -n "$r" ] && [ "$r" -gt "$RSS" ] && RSS=$r
	[ "${got:-0}" -ge "$N" ] && break
	[ "$(date +%s)" -lt "$deadline" ] || { echo "bench: initial sync did not finish" >&2; exit 1; }
	sleep 0.05
done
t1=$(now_ms)
RATE=$(awk -v n="$N" -v ms="$((t1 - t0))" 'BEGIN{printf "%.0f", n * 1000 / ms}')
row "bare Ed25519 verify, 1 core (same records)" "$VERIFY" "records/s" "-" "-" "-" "-"
row "initial sync of $N records" "$RATE" "records/s" "$VERIFY" "$(awk -v a="$RATE" -v l="$VERIFY" 'BEGIN{printf "%.2f", a/l}')" ">= 0.50" "$(awk -v a="$RATE" -v l="$VERIFY" 'BEGIN{print (a/l >= 0.5) ? "pass" : "FAIL"}')"
SP50=$(pct "$T/status_lat" 0.5)
SP99=$(pct "$T/status_lat" 0.99)
SN=$(wc -l <"$T/status_lat")
IP99=$(pct "$T/idle_lat" 0.99)
row "amie status on an idle node, p99 (40 runs)" "$IP99" "ms" "-" "-" "(printed)" "-"
row "amie status during initial sync, p50 ($SN runs)" "$SP50" "ms" "-" "-" "(printed)" "-"
row "amie status during initial sync, p99" "$SP99" "ms" "50" "$(awk -v a="$SP99" 'BEGIN{printf "%.2f", a/50}')" "< 1.00" "$(awk -v a="$SP99" 'BEGIN{print (a < 50) ? "pass" : "FAIL"}')"
RSSM=$(awk -v k="$RSS" 'BEGIN{printf "%.1f", k / 1024}')
row "amied resident memory during initial sync" "$RSSM" "MiB" "64" "$(awk -v m="$RSSM" 'BEGIN{printf "%.2f", m/64}')" "< 1.00" "$(awk -v m="$RSSM" 'BEGIN{print (m < 64) ? "pass" : "FAIL"}')"
# Search through the command line, process start included, on A's
# articles.
i=0
: >"$T/lat"
for q in imprimante "bail dhcp" reseau poste "changement de box" \
    imprimantes reserver "port du reseau" article box; do
	j=0
	while [ $j -lt 10 ]; do
		"$CTL" time "$T/lat" "$AMIE" --dir "$T/A" kb search $q \
		    >/dev/null 2>&1
		j=$((j + 1))
	done
done
P50=$(pct "$T/lat" 0.5)
P99=$(pct "$T/lat" 0.99)
row "kb search through the CLI, p50 (100 queries)" "$P50" "ms" "-" "-" "(printed)" "-"
row "kb search through the CLI, p99" "$P99" "ms" "-" "-" "(printed)" "-"

for p in $PIDS; do kill -TERM "$p"; done
wait
PIDS=""
