# Shared helpers for the shell tests: TAP output and small checks.
# Sourced, not run: `. "$(dirname "$0")/../lib.sh"`.

tap_n=0
tap_failed=0

# The plan line; call once, before the first result.
tap_plan() {
	echo "1..$1"
}

# Skips the whole script (only before any result was printed).
tap_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

tap_ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

tap_not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=1
	echo "not ok $tap_n - $*"
}

# tap_check DESCRIPTION COMMAND...: one result from a command's status.
tap_check() {
	tap_desc=$1
	shift
	if "$@"; then
		tap_ok "$tap_desc"
	else
		tap_not_ok "$tap_desc"
	fi
}

# Copies standard input as TAP diagnostics ("# " lines).
tap_diag() {
	sed 's/^/# /'
}

# Exit status for the end of a script.
tap_status() {
	return "$tap_failed"
}

# tap_secret SECRET...: registers secrets this test made (passwords, TOTP
# secrets, codes) for secrets_scan.sh, which looks for them in everything
# the suite captured. KGW_TEST_SECRETS names the list (make check sets it).
tap_secret() {
	[ -n "${KGW_TEST_SECRETS:-}" ] || return 0
	for tap_s in "$@"; do
		printf '%s\n' "$tap_s" >>"$KGW_TEST_SECRETS"
	done
}

# tap_keep FILE...: keeps what a test captured (a daemon's log, syslog
# lines) in KGW_TEST_CAPTURES, for secrets_scan.sh, before the test's
# temporary directory goes.
tap_keep() {
	[ -n "${KGW_TEST_CAPTURES:-}" ] || return 0
	mkdir -p "$KGW_TEST_CAPTURES" || return 0
	for tap_f in "$@"; do
		[ -f "$tap_f" ] && cp "$tap_f" \
		    "$KGW_TEST_CAPTURES/$(basename "$0" .sh).$$.$(basename "$tap_f")"
	done
	return 0
}
