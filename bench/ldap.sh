#!/bin/bash
# The login benchmark against the directory store: whole PAM transactions
# (bench_login run) at a host bound to a private OpenLDAP provider, plain
# and over ldaps, and to its read-only replica (writes follow the referral
# to the provider), beside the SQLite store on the same users; then what
# one connection costs by phase (bench_login connect). With SYNC=1, the
# provider also runs again with fsync on (the test rig turns it off).
# Usage: [SYNC=1] bench/ldap.sh [BUILD_DIR [LOGINS]]   (default ./build 1000:
# logins per target and path; root, as PAM modules expect; runs itself
# under tests/ldap/with-slapd; about a minute, two with SYNC=1)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${KGW_LDAP_URI:-}" ]; then
	exec "$top/tests/ldap/with-slapd" "$0" "$@"
fi
build=${1:-"$top/build"}
logins=${2:-1000}
bench="$build/bench/bench_login"
[ -x "$bench" ] || { echo "ldap.sh: $bench not built" >&2; exit 1; }
work=$(mktemp -d /tmp/kgw-bench-ldap.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

# lines NAME URI WHO TLS [CA]: the directory_* lines of a deployment
# bound as WHO (HELPDESK, HOST1), as tests/pam/test_ldap.c writes them.
lines() {
	local dn pw
	eval "dn=\$KGW_LDAP_${3}_DN pw=\$KGW_LDAP_${3}_PWFILE"
	{
		printf '%s\n' "directory = $2" "directory_base = $KGW_LDAP_STAFF" \
			"directory_bind_dn = $dn" \
			"directory_bind_password_file = $pw" \
			"directory_tls = $4" "directory_timeout = 1000"
		[ -z "${5:-}" ] || echo "directory_ca = $5"
	} >"$work/$1.lines"
}

rounds=5			# the targets take turns, so load from others hits all
chunk=$((logins / rounds))
targets="sqlite provider provider-ldaps replica"
[ "${SYNC:-0}" = 1 ] && targets="$targets sync-sqlite sync-provider sync-replica"
ntargets=$(wc -w <<<"$targets")
first_logins=50
# Success runs use fresh users; wrong-code runs reuse the first ones.
users=$((ntargets * logins + 2 * first_logins))

lines helpdesk "$KGW_LDAP_URI" HELPDESK none
mkdir -m 700 "$work/sqlite" "$work/dir" "$work/raw"
t0=$(date +%s)
"$bench" populate "$work/sqlite" "$users"
"$bench" populate "$work/dir" "$users" "$work/helpdesk.lines"
echo "== $users users, in SQLite and enrolled in the directory by the helpdesk ($(( $(date +%s) - t0 )) s)"
last=uid=u$(printf '%07d' $((users - 1))),$KGW_LDAP_STAFF
for i in $(seq 500); do
	ldapsearch -x -H "$KGW_LDAP_REPLICA_URI" -D "$KGW_LDAP_REPLICATOR_DN" \
		-y "$KGW_LDAP_REPLICATOR_PWFILE" -b "$last" -s base -LLL 1.1 \
		2>/dev/null | grep -q '^dn:' && break
	[ "$i" = 500 ] && { echo "ldap.sh: the replica never caught up" >&2; exit 1; }
	sleep 0.02
done

# target NAME: points the host at it; echoes its deployment directory.
# shellcheck disable=SC2153 # KGW_LDAPS_URI: exported by with-slapd
target() {
	case ${1#sync-} in
	sqlite) echo "$work/sqlite"; return ;;
	provider) lines host "$KGW_LDAP_URI" HOST1 none ;;
	provider-ldaps) lines host "$KGW_LDAPS_URI" HOST1 ldaps "$KGW_LDAP_CA" ;;
	replica) lines host "$KGW_LDAP_REPLICA_URI $KGW_LDAP_URI" HOST1 none ;;
	esac
	"$bench" conf "$work/dir" "$work/host.lines"
	echo "$work/dir"
}

# take_turns TARGETS...: each round, each target a success run on fresh users
# (from $fresh on) and a wrong-code run; latencies kept per target.
fresh=0
take_turns() {
	local t d
	for _ in $(seq "$rounds"); do
		for t in "$@"; do
			d=$(target "$t")
			"$bench" run "$d" kakogawa success "$chunk" 1 "$fresh" \
				"$work/raw/$t.success" >>"$work/runs.log"
			fresh=$((fresh + chunk))
			"$bench" run "$d" kakogawa wrong "$chunk" 1 0 \
				"$work/raw/$t.wrong" >>"$work/runs.log"
		done
	done
}

# pct FILE P [COL]: the P-th percentile of a column of FILE (1: the whole
# login; 2-6: in libldap: init, connect+bind, search, write, unbind; 7:
# all of libldap), in ms.
pct() {
	awk -v c="${3:-1}" '{ $7 = $2 + $3 + $4 + $5 + $6; print $c }' "$1" |
		sort -n | awk -v p="$2" '{ v[NR - 1] = $1 }
		END { printf "%.2f", v[int(NR * p / 100)] / 1000 }'
}

take_turns sqlite provider provider-ldaps replica
if [ "${SYNC:-0}" = 1 ]; then
	# The provider's database with fsync on, as production keeps it:
	# changed offline in its cn=config, then started on the same ports.
	"$KGW_LDAP_CTL" stop-provider
	printf '%s\n' "dn: olcDatabase={1}mdb,cn=config" "changetype: modify" \
		"replace: olcDbNoSync" "olcDbNoSync: FALSE" >"$work/sync.ldif"
	/usr/sbin/slapmodify -n0 -F "$KGW_LDAP_RUNDIR/provider/slapd.d" \
		-l "$work/sync.ldif" >/dev/null
	"$KGW_LDAP_CTL" start-provider
	take_turns sync-sqlite sync-provider sync-replica
fi
# The first login of a process (sshd's per-connection monitor): libldap's
# process-wide set-up (SASL's plugins) comes on top. One process a login.
for t in sqlite provider; do
	d=$(target "$t")
	for _ in $(seq "$first_logins"); do
		"$bench" run "$d" kakogawa success 1 1 "$fresh" \
			"$work/raw/first-$t.success" >>"$work/runs.log"
		fresh=$((fresh + 1))
	done
done
bad=$(grep '^kakogawa' "$work/runs.log" |
	grep -vc "correct=\([0-9]*\)/\1\$" || true)
echo "-- logins per target: $logins success, $logins wrong code, in $rounds rounds; runs not 100% correct: $bad"
printf '%-16s %-8s %6s %6s | %6s %6s %6s %6s %6s %6s\n' target path median \
	p95 ldap "p95" init bind search write
for t in $targets; do
	for path in success wrong; do
		f=$work/raw/$t.$path
		printf '%-16s %-8s %6s %6s | %6s %6s %6s %6s %6s %6s\n' "$t" "$path" \
			"$(pct "$f" 50)" "$(pct "$f" 95)" "$(pct "$f" 50 7)" \
			"$(pct "$f" 95 7)" "$(pct "$f" 50 2)" "$(pct "$f" 50 3)" \
			"$(pct "$f" 50 4)" "$(pct "$f" 50 5)"
	done
done
for t in sqlite provider; do
	printf '%-16s %-8s %6s %6s   (first login of %s processes)\n' \
		"first-$t" success "$(pct "$work/raw/first-$t.success" 50)" \
		"$(pct "$work/raw/first-$t.success" 95)" "$first_logins"
done
echo "(ms; left: whole login; right: time inside libldap, all of it (median,"
echo "p95) and the medians of ldap_initialize, connect+bind, the search and"
echo "the write; unbind is the rest; via the replica bind and write include"
echo "the second connection, to the provider the referral names)"

echo "-- one connection by phase (as HOST1, reading u0000000; ms median/p95)"
entry=uid=u0000000,$KGW_LDAP_STAFF
for t in "$KGW_LDAP_URI -" "$KGW_LDAPS_URI $KGW_LDAP_CA" \
	"$KGW_LDAP_URI $KGW_LDAP_CA" "$KGW_LDAP_REPLICA_URI -"; do
	# shellcheck disable=SC2086
	set -- $t
	"$bench" connect "$1" "$KGW_LDAP_HOST1_DN" "$KGW_LDAP_HOST1_PWFILE" \
		"$2" "$entry" "$logins"
done
