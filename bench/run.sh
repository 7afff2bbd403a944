#!/bin/bash
# Runs the login benchmark: pam_kakogawa (TOTP only) against pam_oath and
# pam_google_authenticator on the same 1k, 10k and 100k users; success and
# wrong-code paths; one and two workers; callgrind instructions per login;
# heap and RSS over 10,000 logins in one process.
# Usage: bench/run.sh [BUILD_DIR]   (default ./build; root, as PAM modules expect)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$top/build"}
[ -x "$build/bench/bench_login" ] || "$top/scripts/build" "$build"
bench="$build/bench/bench_login"
logins=400	# per run; each success run uses fresh users (codes are single use)

for users in 1000 10000 100000; do
	dir=$(mktemp -d /tmp/kgw-bench.XXXXXX)
	t0=$(date +%s)
	"$bench" populate "$dir" "$users"
	echo "== $users users (populated in $(( $(date +%s) - t0 )) s)"
	out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
	    --toggle-collect=bench_one_login "$bench" run "$dir" permit \
	    success 50 1 0 2>&1)
	ir=$(printf '%s\n' "$out" | awk '/Collected :/ {s += $NF} END {printf "%.0f\n", s}')
	echo "pam_permit (libpam's own cost) callgrind_instructions_per_login=$((ir / 50))"
	for service in kakogawa oath ga; do
		"$bench" run "$dir" "$service" success "$logins" 1 0
		"$bench" run "$dir" "$service" success "$logins" 2 "$logins"
		"$bench" run "$dir" "$service" wrong "$logins" 1 0
		"$bench" run "$dir" "$service" wrong "$logins" 2 0
		for path in success wrong; do
			first=$((2 * logins)); [ "$path" = wrong ] && first=0
			out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			    --toggle-collect=bench_one_login "$bench" run "$dir" \
			    "$service" "$path" 50 1 "$first" 2>&1)
			# The forked worker and the parent each report; only the worker logs in.
			ir=$(printf '%s\n' "$out" | awk '/Collected :/ {s += $NF} END {printf "%.0f\n", s}')
			ok=$(printf '%s\n' "$out" | sed -n 's/.*\(correct=[0-9/]*\).*/\1/p')
			echo "$service $path callgrind_instructions_per_login=$((ir / 50)) $ok"
		done
	done
	rm -rf "$dir"
done

# Memory over 10,000 logins in one process (as sshd's monitor, login or gdm
# load the module again and again). glibc's per-thread cache keeps freed
# chunks counted as in use, so it is off for an exact heap figure.
dir=$(mktemp -d /tmp/kgw-bench.XXXXXX)
"$bench" populate "$dir" 10000
for run in "permit success" "kakogawa success" "kakogawa wrong"; do
	echo "== memory: $run, 10000 logins"
	# shellcheck disable=SC2086
	GLIBC_TUNABLES=glibc.malloc.tcache_count=0 "$bench" memory "$dir" $run 10000
done
rm -rf "$dir"
