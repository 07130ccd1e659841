# SPDX-License-Identifier: AGPL-3.0-or-later
# Run every benchmark in $B/bench and print one table: figure, value,
# limit (measured in the same run, or a fixed number where a row's
# benchmark says so), ratio, target, verdict.
set -u
B=${B:-build-bench}
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
status=0
for b in "$B"/bench/*_bench; do
	[ -x "$b" ] || continue
	"$b" >>"$rows" || { echo "bench: $b failed" >&2; status=1; }
done
for b in bench/*_bench.sh; do
	[ -f "$b" ] || continue
	B=$B sh "$b" >>"$rows" || { echo "bench: $b failed" >&2; status=1; }
done
printf '\n%-44s %14s %-10s %12s %7s %8s %s\n' figure value unit limit ratio target verdict
awk -F '\t' '{ printf "%-44s %14s %-10s %12s %7s %8s %s\n", $1, $2, $3, $4, $5, $6, $7 }' "$rows"
grep -q 'FAIL$' "$rows" && status=1
exit $status
