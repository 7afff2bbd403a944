#!/bin/sh
# kakogawa-enroll and the account lifecycle, through the built tool in a
# throwaway deployment: roles (only those the configuration defines),
# expiry dates (the last day, or never), a first password that is
# temporary unless --permanent, passwd --temporary, the password rules
# with a clear reason, and list, show, check and audit report naming
# roles, expired accounts and temporary passwords; every change audited.
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

pw1=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
pw2=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
tap_secret "$pw1"
tap_secret "$pw2"

setup() {
	setup_three_zones && cat >>"$conf" <<-CONF
	[role admin]
	lockout_attempts = 3
	factors = totp
	max_session = 28800
	password_min_length = 16
	CONF
}

# kgw_in INPUT ARGS...: the tool with INPUT on stdin.
kgw_in() {
	_in=$1
	shift
	printf '%s\n' "$_in" | "$enroll" --config "$conf" "$@" >"$out" 2>"$err"
	rc=$?
}

tap_plan 25

tap_check "a throwaway deployment with a [role admin]" setup

kgw_in "$pw1" add alice --zones lgwan --password-stdin
check "add --password-stdin: the first password is temporary" \
	'[ "$rc" = 0 ] && grep -qF "temporary password" "$out" &&
	kgw list | grep -q "^alice password=temporary .* role=staff expires=never expired=no$"'

kgw_in "$pw1" add bob --zones lgwan --password-stdin --permanent \
	--role admin --expires 2099-03-31
check "add --permanent --role admin --expires: all set at once" \
	'[ "$rc" = 0 ] &&
	kgw list | grep -q "^bob password=yes .* role=admin expires=2099-03-31 expired=no$"'

kgw_in "$pw1" add carol --zones lgwan --password-stdin --role boss
check "add --role unknown: refused, nobody added" \
	'[ "$rc" = 1 ] && grep -qF "unknown role boss" "$err" &&
	! kgw list | grep -q "^carol "'

kgw_run add carol --zones lgwan --expires 2099-02-30
check "add --expires not a date: a usage error" '[ "$rc" = 2 ]'

kgw_in "short" add carol --zones lgwan --password-stdin
check "a short password: refused with the rule, nobody added" \
	'[ "$rc" = 1 ] && grep -qF "too short: use at least 12" "$err" &&
	! kgw list | grep -q "^carol "'

kgw_in "abcdefghijklmnop" passwd bob --password-stdin
check "a common 16-character password: refused for an admin too" \
	'[ "$rc" = 1 ] && grep -qF "too common" "$err"'
kgw_in "$pw2" passwd bob --password-stdin
check "an admin's 24-character random password: accepted" \
	'[ "$rc" = 0 ]'
kgw_in "fifteen chars!!" passwd bob --password-stdin
check "an admin's 15-character password: refused (the role asks 16)" \
	'[ "$rc" = 1 ] && grep -qF "at least 16" "$err"'

kgw_in "bob-bob-bob-2027" passwd bob --password-stdin
check "a password that is mostly the user name: refused" \
	'[ "$rc" = 1 ] && grep -qF "like the user name" "$err"'
kgw_in "Kakogawa-2027" passwd alice --password-stdin
check "a password that is mostly the city's name: refused" \
	'[ "$rc" = 1 ] && grep -qF "like the name of the city" "$err"'
kgw_in "password12345" passwd alice --password-stdin
check "a dictionary word with digits: refused" \
	'[ "$rc" = 1 ] && grep -qF "too common" "$err"'
kgw_in "$pw2" passwd alice --password-stdin --temporary
check "passwd --temporary: said so, listed as temporary" \
	'[ "$rc" = 0 ] && grep -qF "to be changed at the next login" "$out" &&
	kgw list | grep -q "^alice password=temporary "'
kgw_in "$pw2" passwd alice --password-stdin
check "passwd without --temporary: a permanent password" \
	'[ "$rc" = 0 ] && kgw list | grep -q "^alice password=yes "'

kgw_run role alice
check "role USER: staff by default" '[ "$rc" = 0 ] && [ "$(cat "$out")" = "alice: staff" ]'
kgw_run role alice admin
check "role USER admin: set and shown" \
	'[ "$rc" = 0 ] && [ "$(cat "$out")" = "alice: admin" ]'
kgw_run role alice boss
check "role USER unknown: refused, unchanged" \
	'[ "$rc" = 1 ] && grep -qF "defines no [role boss]" "$err" &&
	[ "$(kgw role alice)" = "alice: admin" ]'
kgw_run --json role alice staff
check "role USER staff --json: back to the default" \
	'[ "$rc" = 0 ] && [ "$(cat "$out")" = "{\"user\":\"alice\",\"role\":\"staff\"}" ]'

kgw_run expires alice 2020-01-31
check "expires USER past date: shown as expired" \
	'[ "$rc" = 0 ] && [ "$(cat "$out")" = "alice: expires 2020-01-31 (expired)" ]'
kgw_run --json show alice
check "show --json: role, expiry, expired, the last login" \
	'[ "$rc" = 0 ] && grep -qF "\"role\":\"staff\"" "$out" &&
	grep -qF "\"expired\":true" "$out" && grep -qF "\"last_login\":null" "$out" &&
	grep -qF "\"password_temporary\":false" "$out"'
kgw_run show alice
check "show: the expiry said in words" \
	'[ "$rc" = 0 ] && grep -qF "expired: every login is refused" "$out"'
kgw_run check --only policy
check "check: an expired account still enabled is a finding" \
	'grep -qF "policy.expired.alice" "$out"'
kgw_run audit report
check "audit report: the expired accounts listed" \
	'[ "$rc" = 0 ] && grep -A2 "Accounts expired now" "$out" | grep -q "alice"'
kgw_run expires alice never
check "expires USER never: cleared" \
	'[ "$rc" = 0 ] && [ "$(cat "$out")" = "alice: expires never" ]'

kgw_run --json audit export
check "every change in the trail, with its operator" \
	'grep -qF "\"action\":\"role\",\"detail\":\"role=admin\"" "$out" &&
	grep -qF "\"action\":\"expires\",\"detail\":\"expires=never\"" "$out" &&
	grep -qF "\"action\":\"passwd\",\"detail\":\"temporary=yes\"" "$out" &&
	grep -qF "\"operator\":\"$operator\"" "$out"'

tap_status
