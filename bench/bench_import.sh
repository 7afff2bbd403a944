#!/bin/bash
# Times `kakogawa-enroll import` on a personnel transfer of ROWS rows: a
# file of adds with zones into an empty store, then a file of zone
# changes, disables and deletes of those people; each with --dry-run
# first, then for real. Each run is a fresh throwaway deployment under
# /tmp; the figures are wall-clock seconds of the whole command.
# Usage: bench/bench_import.sh [BUILD_DIR [ROWS [RUNS]]]
#        (defaults ./build, 10000 rows, 3 runs; no root needed)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$top/build"}
rows=${2:-10000}
runs=${3:-3}
enroll=$build/enroll/kakogawa-enroll
[ -x "$enroll" ] || { echo "bench_import: build $enroll first" >&2; exit 1; }

work=$(mktemp -d /tmp/kgw-bench-import.XXXXXX)
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT

# Row i adds u<i> with one of four zone lists; the second file then, by
# i mod 3, sets u<i>'s zones, disables u<i> or deletes u<i>.
awk -v n="$rows" 'BEGIN {
	split("lgwan|lgwan;internet|mynumber;lgwan|internet", z, "|")
	print "action,user,zones"
	for (i = 0; i < n; i++)
		printf "add,u%06d,%s\n", i, z[i % 4 + 1]
}' >"$work/adds.csv"
awk -v n="$rows" 'BEGIN {
	print "action,user,zones"
	for (i = 0; i < n; i++)
		if (i % 3 == 0)
			printf "zones,u%06d,mynumber lgwan internet\n", i
		else if (i % 3 == 1)
			printf "disable,u%06d,\n", i
		else
			printf "delete,u%06d,\n", i
}' >"$work/changes.csv"

deployment() {
	rm -rf "$work/d"
	mkdir -m 700 "$work/d"
	"$enroll" --config "$work/d/kakogawa.conf" init >/dev/null 2>&1
	cat >"$work/d/kakogawa.conf" <<-EOF
	store = $work/d/store.db
	key = $work/d/kakogawa.key
	host_zone = lgwan
	[zone mynumber]
	networks = 10.1.0.0/16
	[zone lgwan]
	networks = 10.2.0.0/16
	[zone internet]
	networks = 10.3.0.0/16
	EOF
}

# seconds NAME FILE [--dry-run]: runs one import, prints its time.
seconds() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$enroll" --config "$work/d/kakogawa.conf" import "$@" \
	    </dev/null >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v n="$name" -v r="$rows" \
	    'BEGIN { printf "%-22s %6.2f s  %8.0f rows/s\n", n, b - a, r / (b - a) }'
}

echo "import of $rows rows, $runs runs, $(nproc) cores; $enroll"
for run in $(seq "$runs"); do
	echo "== run $run"
	deployment
	seconds "adds --dry-run" "$work/adds.csv" --dry-run
	seconds "adds" "$work/adds.csv"
	seconds "changes --dry-run" "$work/changes.csv" --dry-run
	seconds "changes" "$work/changes.csv"
done
