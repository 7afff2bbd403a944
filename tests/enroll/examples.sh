#!/bin/sh
# The configurations the documentation ships hold what they promise:
# doc/examples/city.conf (the three-zone city of kakogawa.conf(5)) makes
# the decisions its comments describe, judged by `kakogawa-enroll
# zone-check`; doc/kakogawa.conf.example parses; the city printed in
# kakogawa.conf(5) decides as the example does.
#
# Needs KGW_TEST_ENROLL (the built tool; `make check` exports it). The
# documents are found through KGW_TEST_SRCDIR, else two levels above this
# script.

# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

enroll=${KGW_TEST_ENROLL:-}
if [ -z "$enroll" ] || [ ! -x "$enroll" ]; then
	tap_skip_all "KGW_TEST_ENROLL is not set to the built kakogawa-enroll"
fi
srcdir=${KGW_TEST_SRCDIR:-"$(dirname "$0")/../.."}
city=$srcdir/doc/examples/city.conf
example=$srcdir/doc/kakogawa.conf.example
manpage=$srcdir/doc/kakogawa.conf.5
for doc in "$city" "$example" "$manpage"; do
	[ -r "$doc" ] || tap_skip_all "cannot read $doc"
done

dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' HUP INT TERM
chmod 700 "$dir"
conf=$dir/kakogawa.conf
out=$dir/out
err=$dir/err
# A TOTP secret for the people of the example (20 bytes, base32).
secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP

kgw() {
	"$enroll" --config "$conf" "$@"
}

# step DESCRIPTION COMMAND...: one result from a command whose output is
# kept out of the TAP stream (and shown as diagnostics when it fails).
step() {
	step_desc=$1
	shift
	if "$@" >"$out" 2>"$err"; then
		tap_ok "$step_desc"
	else
		tap_not_ok "$step_desc"
		cat "$out" "$err" | tap_diag
	fi
}

# A copy of a shipped configuration with its store and key in $dir.
deploy() {
	{
		printf 'store = %s/store.db\n' "$dir"
		printf 'key = %s/kakogawa.key\n' "$dir"
		sed -e '/^store[ 	]*=/d' -e '/^key[ 	]*=/d' "$1"
	} >"$2" && chmod 644 "$2"
}

# expect DESCRIPTION USER RHOST HOST_ZONE RESULT REASON RULE
# zone-check's verdict for USER logging in from RHOST ("-": the console;
# "tty:NAME": the local terminal NAME, no remote host) to a host of HOST_ZONE: the exit status (0 allow, 1 deny) and the JSON
# result, reason and rule must all be as the example intends.
expect() {
	desc=$1 user=$2 rhost=$3 zone=$4 result=$5 reason=$6 rule=$7
	if [ "$rhost" = - ]; then
		set -- "$user" --host-zone "$zone"
	elif [ "${rhost#tty:}" != "$rhost" ]; then
		set -- "$user" --tty "${rhost#tty:}" --host-zone "$zone"
	else
		set -- "$user" --rhost "$rhost" --host-zone "$zone"
	fi
	kgw --json zone-check "$@" >"$out" 2>"$err"
	status=$?
	want=0
	[ "$result" = allow ] || want=1
	fields="\"result\":\"$result\",\"reason\":\"$reason\",\"rule\":\"$rule\""
	if [ "$status" -eq "$want" ] && grep -qF "$fields" "$out"; then
		tap_ok "$desc"
	else
		tap_not_ok "$desc"
		echo "expected exit $want and $fields, got exit $status:" |
		    tap_diag
		cat "$out" "$err" | tap_diag
	fi
}

tap_plan 36

# A throwaway deployment, then the city's zones in place of its starter
# configuration.
step "init makes a throwaway deployment" kgw init
step "the city example installs with this deployment's store and key" \
    deploy "$city" "$conf"

# sato works in LGWAN and also uses internet-zone hosts; tanaka works in
# マイナンバー利用事務系; suzuki is new in LGWAN and has no token yet.
step "add sato for lgwan and internet" \
    kgw add sato --zones "lgwan internet"
step "add tanaka for mynumber" \
    kgw add tanaka --zones mynumber
step "add suzuki for lgwan, without a token" \
    kgw add suzuki --zones lgwan
for who in sato tanaka; do
	if printf '%s\n' "$secret" |
	    kgw totp "$who" --secret --show none >"$out" 2>"$err"; then
		tap_ok "enrol a TOTP for $who"
	else
		tap_not_ok "enrol a TOTP for $who"
		tap_diag <"$err"
	fi
done

# Same zone: allowed, over IPv4, IPv6 and IPv4-mapped IPv6 alike.
expect "lgwan host, lgwan source: allowed" \
    sato 10.20.1.5 lgwan allow ok same_zone
expect "lgwan host, lgwan IPv6 source: allowed" \
    sato fd00:6b67:20::5 lgwan allow ok same_zone
expect "lgwan host, IPv4-mapped lgwan source: allowed" \
    sato ::ffff:10.21.7.8 lgwan allow ok same_zone
expect "mynumber host, mynumber source: allowed" \
    tanaka 10.10.3.4 mynumber allow ok same_zone

# Across the separated zones: refused by remote_from.
expect "internet host, lgwan source: cross_zone" \
    sato 10.20.1.5 internet deny zone cross_zone
expect "lgwan host, internet source: cross_zone" \
    sato 10.30.2.9 lgwan deny zone cross_zone
expect "mynumber host, lgwan source: cross_zone" \
    tanaka 10.20.1.5 mynumber deny zone cross_zone

# The screen-transfer servers: into the internet zone that lists them,
# into nothing else (in lgwan they are ordinary lgwan addresses).
expect "internet host, screen-transfer server: gateway" \
    sato 10.20.50.11 internet allow ok gateway
expect "internet host, second screen-transfer server: gateway" \
    sato 10.20.50.12 internet allow ok gateway
expect "lgwan host, screen-transfer server: an lgwan address" \
    sato 10.20.50.11 lgwan allow ok same_zone
expect "mynumber host, screen-transfer server: cross_zone" \
    tanaka 10.20.50.11 mynumber deny zone cross_zone

# Where nothing says which zone: refused.
expect "address in no zone: source_unknown" \
    sato 192.0.2.10 lgwan deny zone source_unknown
expect "host name, never resolved: rhost_not_address" \
    sato ws01.example.lg.jp lgwan deny zone rhost_not_address

# Console logins, and the person's side of the check.
expect "mynumber console: allowed" \
    tanaka - mynumber allow ok console
expect "mynumber X display (:0), not trusted by default: tty_not_console" \
    tanaka tty::0 mynumber deny zone tty_not_console
expect "mynumber, su in a session (pts/2): tty_not_console" \
    tanaka tty:pts/2 mynumber deny zone tty_not_console
expect "mynumber, serial line (ttyS0): tty_not_console" \
    tanaka tty:/dev/ttyS0 mynumber deny zone tty_not_console
expect "mynumber console, person of lgwan: not_authorised" \
    sato - mynumber deny zone not_authorised
expect "lgwan host, person without a token: no_token" \
    suzuki 10.20.1.5 lgwan deny no_token no_token
expect "unknown person: unknown_user" \
    nobody 10.20.1.5 lgwan deny unknown_user same_zone

# A lost phone: backup codes stand in for a code where the zone takes
# them (lgwan), not in mynumber; the helpdesk's temporary code does.
backup_only() {
	kgw add ito --zones lgwan && kgw backup-codes ito &&
	    kgw add kato --zones mynumber && kgw backup-codes kato
}
step "ito of lgwan and kato of mynumber: backup codes, no token" \
    backup_only
expect "lgwan host, person with backup codes only: allowed" \
    ito 10.20.1.5 lgwan allow ok same_zone
expect "mynumber console, backup codes only: no_token" \
    kato - mynumber deny no_token no_token
step "kato gets a temporary code" kgw temp-code kato --ttl 1h
expect "mynumber console, a temporary code: allowed" \
    kato - mynumber allow ok console

# doc/kakogawa.conf.example parses: zone-check reaches a verdict (allow
# or deny) instead of "cannot judge".
deploy "$example" "$dir/example.conf"
"$enroll" --config "$dir/example.conf" --json zone-check sato \
    --host-zone lgwan >"$out" 2>"$err"
status=$?
if [ "$status" -le 1 ] && grep -q '"result":' "$out" &&
    ! grep -q 'cannot judge' "$err"; then
	tap_ok "doc/kakogawa.conf.example parses"
else
	tap_not_ok "doc/kakogawa.conf.example parses (exit $status)"
	cat "$out" "$err" | tap_diag
fi

# ... and its zones separate lgwan from internet as the city's do.
"$enroll" --config "$dir/example.conf" --json zone-check sato \
    --rhost 10.20.1.5 --host-zone internet >"$out" 2>"$err"
if grep -qF '"source_zone":"lgwan"' "$out" &&
    grep -qF '"rule":"cross_zone"' "$out"; then
	tap_ok "doc/kakogawa.conf.example separates lgwan from internet"
else
	tap_not_ok "doc/kakogawa.conf.example separates lgwan from internet"
	cat "$out" "$err" | tap_diag
fi

# The three-zone city printed in kakogawa.conf(5) (between the BEGIN and
# END comments, roff requests dropped) is the same city.
sed -n '/^\.\\" BEGIN city example/,/^\.\\" END city example/p' \
    "$manpage" | sed '/^\./d' >"$dir/manpage.txt"
deploy "$dir/manpage.txt" "$conf"
expect "kakogawa.conf(5) example: screen-transfer server into internet" \
    sato 10.20.50.11 internet allow ok gateway
expect "kakogawa.conf(5) example: lgwan into internet is cross_zone" \
    sato 10.20.1.5 internet deny zone cross_zone

tap_status
