# shellcheck shell=sh
# Shared by the kakogawa-enroll scripts: a throwaway directory, the built
# tool on it, and checks that show what the tool said when they fail.
# Sourced after ../lib.sh; sets enroll, tmp, conf, out and err.
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034

enroll=${KGW_TEST_ENROLL:-}
if [ ! -x "$enroll" ]; then
	echo "1..1"
	echo "not ok 1 - KGW_TEST_ENROLL ($enroll) must be built"
	exit 1
fi

# The operator recorded is then the account running the test.
unset SUDO_USER SUDO_UID
operator=$(id -un)
tmp=$(mktemp -d /tmp/kgw-enroll.XXXXXX)
chmod 700 "$tmp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
conf=$tmp/kakogawa.conf
out=$tmp/out
err=$tmp/err

# The tool on this deployment, never on a terminal.
kgw() {
	"$enroll" --config "$conf" "$@" </dev/null
}

# kgw_run ARGS...: runs the tool into $out and $err; $rc is its status.
kgw_run() {
	kgw "$@" >"$out" 2>"$err"
	rc=$?
}

# kgw_run_ja ARGS...: kgw_run under a Japanese locale, the text domain
# bound to the build tree's catalogue (tests/Makefile.am preloads it):
# without it the tool would read an installed catalogue, or none.
kgw_run_ja() {
	LD_PRELOAD=${KGW_TEST_TEXTDOMAIN:-} LC_ALL=ja_JP.UTF-8 \
	    "$enroll" --config "$conf" "$@" </dev/null >"$out" 2>"$err"
	rc=$?
}

# Shows what the tool said, when a case fails.
diag_run() {
	echo "exit status $rc" | tap_diag
	tap_diag <"$out"
	tap_diag <"$err"
}

# check DESCRIPTION CONDITION: one result from a shell condition (eval'd),
# with the last run shown when it fails.
check() {
	if eval "$2"; then
		tap_ok "$1"
	else
		tap_not_ok "$1"
		diag_run
	fi
}

# A deployment in $tmp with three zones; this host is in lgwan.
setup_three_zones() {
	kgw init >/dev/null 2>&1 &&
	cat >"$conf" <<-CONF
	store = $tmp/store.db
	key = $tmp/kakogawa.key
	host_zone = lgwan
	[zone mynumber]
	networks = 10.1.0.0/16
	[zone lgwan]
	networks = 10.2.0.0/16
	[zone internet]
	networks = 10.3.0.0/16
	CONF
}
