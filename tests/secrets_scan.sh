#!/bin/sh
# The last test of the suite (its log waits for all the others: see
# Makefile.am): every secret the tests made and registered in
# KGW_TEST_SECRETS (passwords, base32 TOTP secrets, codes, key files in
# hex; harness.c h_secret_publish, lib.sh tap_secret) is looked for in
# everything the suite captured: each test's .log and .trs in this build
# directory, and what tests kept in KGW_TEST_CAPTURES (the module's log
# lines and prompts of every pam/ test process, sshd's and syslog's lines
# of the e2e tests). Fixed strings; a code (all digits) only as a whole number, not
# inside a longer one. A find names the file, never the secret.
# shellcheck source-path=SCRIPTDIR
set -u
. "$(dirname "$0")/lib.sh"

list=${KGW_TEST_SECRETS:-}
[ -n "$list" ] || tap_skip_all "KGW_TEST_SECRETS not set (run by make check)"
work=$(mktemp -d /tmp/kgw-scan.XXXXXX)
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

# Splits a list into codes (-w) and the rest; both may be empty.
# Lines under 6 bytes are too short to tell from ordinary text.
split() {
	awk 'length($0) >= 6' "$1" | grep -E '^[0-9]+$' | sort -u >"$2.digits"
	awk 'length($0) >= 6' "$1" | grep -vE '^[0-9]+$' | sort -u >"$2.text"
}

# Prints the files (of the rest of the arguments) holding a secret of
# list $1 (split by split()).
holders() {
	set_=$1
	shift
	{
		[ -s "$set_.digits" ] && grep -lFw -f "$set_.digits" -- "$@"
		[ -s "$set_.text" ] && grep -lF -f "$set_.text" -- "$@"
	} 2>/dev/null | sort -u
}

tap_plan 4

# 1. The list is not empty: the tests did register what they made.
touch "$list"
split "$list" "$work/all"
count=$(cat "$work/all.digits" "$work/all.text" | wc -l)
if [ "$count" -gt 0 ]; then
	tap_ok "the tests registered $count secrets"
else
	tap_not_ok "no secret registered in $list"
fi

# 2. What the suite captured: every test's log and result, not this one's.
{
	find . \( -name '*.log' -o -name '*.trs' \) -type f \
	    ! -name 'secrets_scan.*' ! -name 'test-suite.log' ! -path '*/captures/*'
	captures=${KGW_TEST_CAPTURES:-}
	[ -n "$captures" ] && [ -d "$captures" ] && find "$captures" -type f
} | sort >"$work/files"
nkept=$(grep -c '/captures/' "$work/files")
nfiles=$(wc -l <"$work/files")
if [ "$nfiles" -gt 0 ]; then
	tap_ok "$nfiles captured files to scan ($nkept kept by tests)"
else
	tap_not_ok "no captured file found under $(pwd)"
fi

# 3. The scan finds a planted secret, and a code only as a whole number.
printf 'Xk3-planted-%s\n' "$$" >"$work/plant.list"
printf '%s\n' 402913 >>"$work/plant.list"
split "$work/plant.list" "$work/plant"
printf 'a line with Xk3-planted-%s inside\n' "$$" >"$work/leaky.log"
printf 'code=402913 here\n' >"$work/leaky-code.log"
printf 'time 14029130 and id 4029131\n' >"$work/clean.log"
found=$(holders "$work/plant" "$work/leaky.log" "$work/leaky-code.log" \
    "$work/clean.log" | sed 's|.*/||' | tr '\n' ' ')
if [ "$found" = "leaky-code.log leaky.log " ]; then
	tap_ok "self-test: a planted secret and code are found, a longer number is not"
else
	tap_not_ok "self-test: found in: $found"
fi

# 4. The scan itself.
if [ "$nfiles" -gt 0 ]; then
	# shellcheck disable=SC2046 # file names made by automake: no spaces
	holders "$work/all" $(cat "$work/files") >"$work/found"
else
	: >"$work/found"
fi
if [ ! -s "$work/found" ]; then
	tap_ok "none of $count secrets in $nfiles captured files"
else
	tap_not_ok "a registered secret appears in captured output"
	tap_diag <"$work/found"
fi
tap_status
