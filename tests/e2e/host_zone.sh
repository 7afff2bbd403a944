#!/bin/sh
# End to end: a host with no host_zone takes its zone from its own
# addresses, as getifaddrs(3) reports them. Each case runs `kakogawa-enroll
# zone-check` (the module's own decision code) in a fresh network
# namespace whose only interface is lo, given the addresses the case needs:
#   198.18.0.0/24 lgwan   198.19.0.0/24 internet   (RFC 2544: on no real
#   network, so the machine's own addresses never take part)
# Loopback is listed in lgwan too, as the starter configuration lists it,
# and must place no host there.
# Needs root (network namespaces) and ip(8).
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
set -u
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || tap_skip_all "needs root (network namespaces)"
command -v ip >/dev/null 2>&1 || tap_skip_all "no ip (iproute2)"
unshare -n true >/dev/null 2>&1 ||
	tap_skip_all "cannot make a network namespace"
. "$(dirname "$0")/../enroll/lib.sh"

# in_netns SETUP ARGS...: zone-check ARGS in a namespace where lo is up
# and SETUP (ip -batch commands, one per line) has run.
in_netns() {
	printf '%s\n' "$1" >"$tmp/batch"
	shift
	unshare -n sh -c 'ip link set lo up && ip -batch "$1" && shift &&
	    exec "$@"' sh "$tmp/batch" \
	    "$enroll" --config "$conf" --json zone-check alice "$@" \
	    </dev/null >"$out" 2>"$err"
	rc=$?
}

# verdict RESULT RULE: what the last zone-check printed.
verdict() {
	grep -qF "\"result\":\"$1\"" "$out" && grep -qF "\"rule\":\"$2\"" "$out"
}

tap_plan 7

kgw init >/dev/null 2>&1
cat >"$conf" <<EOF
store = $tmp/store.db
key = $tmp/kakogawa.key
[zone lgwan]
networks = 127.0.0.0/8 ::1 198.18.0.0/24
[zone internet]
networks = 198.19.0.0/24
EOF
kgw_run add alice --zones "lgwan internet"
[ "$rc" = 0 ] && echo JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP |
	"$enroll" --config "$conf" totp alice --secret --show none \
	>"$out" 2>"$err"
rc=$?
check "a deployment without host_zone; alice in both zones, with a TOTP" \
	'[ "$rc" = 0 ]'

in_netns "" --rhost 198.18.0.9
check "loopback only: no zone, every login refused, and why" \
	'[ "$rc" = 1 ] && verdict deny host_zone_unknown &&
	grep -qF "no address of this host (loopback and link-local aside)" "$err"'

in_netns "addr add 198.18.0.1/32 dev lo" --rhost 198.18.0.9
check "an address in lgwan: an lgwan host" '[ "$rc" = 0 ] &&
	verdict allow same_zone && grep -qF "\"host_zone\":\"lgwan\"" "$out"'

in_netns "addr add 198.19.0.1/32 dev lo" --rhost 198.19.0.9
check "an address in internet, loopback in lgwan: an internet host" \
	'[ "$rc" = 0 ] && verdict allow same_zone &&
	grep -qF "\"host_zone\":\"internet\"" "$out"'

in_netns "addr add 198.18.0.1/32 dev lo
addr add 198.19.0.1/32 dev lo" --rhost 198.18.0.9
check "addresses in two zones: a bridge, refused, both named" \
	'[ "$rc" = 1 ] && verdict deny host_zone_unknown &&
	grep -qF "bridges two zones (198.18.0.1 in lgwan, 198.19.0.1 in internet)" "$err"'

# As many addresses as can be judged, then one more: unread addresses
# could bridge a zone, so too many is no zone at all. lo has 127.0.0.1 and,
# where IPv6 is on, ::1; fill up to 256 in all.
base=$(unshare -n sh -c 'ip link set lo up && ip -o addr show | wc -l')
fill() {
	i=0
	echo "addr add 198.18.0.1/32 dev lo"
	while [ "$i" -lt "$1" ]; do
		echo "addr add 10.9.$((i / 250)).$((i % 250 + 1))/32 dev lo"
		i=$((i + 1))
	done
}
in_netns "$(fill $((256 - base - 1)))" --rhost 198.18.0.9
check "256 addresses: judged" '[ "$rc" = 0 ] && verdict allow same_zone'
in_netns "$(fill $((256 - base)))" --rhost 198.18.0.9
check "257 addresses: no zone, refused, and why" \
	'[ "$rc" = 1 ] && verdict deny host_zone_unknown &&
	grep -qF "more than 256 addresses to judge; set host_zone" "$err"'

tap_status
