#!/bin/sh
# End to end: an unmodified PAM application (pamtester, standing in for
# login(1) and su(1)) logs in through the built pam_kakogawa.so with a
# password and a security key, under pam_wrapper so nothing in /etc
# changes. The software authenticator (tests/fido2) is preloaded into
# pamtester and into kakogawa-enroll, as a USB key would be plugged in:
# the module and the tool run their shipped code paths through libfido2.
# The zone requires the key and takes no remote login, so su on a
# pseudo-terminal is let in too (every session there began at this host).
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
set -u
. "$(dirname "$0")/../lib.sh"

softkey=${KGW_TEST_SOFTKEY:-}
module=${KGW_TEST_MODULE:-}
[ "${KGW_SANITIZERS:-}" != yes ] ||
	tap_skip_all "sanitizer build: pamtester cannot load an ASan module"
command -v pamtester >/dev/null 2>&1 || tap_skip_all "no pamtester"
if [ ! -r "$softkey" ] || [ ! -r "$module" ]; then
	tap_skip_all "KGW_TEST_SOFTKEY and KGW_TEST_MODULE must be built"
fi
. "$(dirname "$0")/../enroll/lib.sh"

mkdir "$tmp/key" "$tmp/other" "$tmp/pam.d"
export KGW_SOFTKEY="$tmp/key"
: >"$tmp/pam.d/other"
cat >"$tmp/pam.d/kgw-console" <<EOF
auth    required $module config=$conf
account required $module config=$conf
EOF
password=$(head -c 12 /dev/urandom | base64)
tap_secret "$password"

# pamtester as login: PAM_TTY tty, the password on stdin; the module's
# log lines come to stderr through pam_wrapper.
login_as() {
	tty=$1
	shift
	printf '%s\n' "$password" |
	    LD_PRELOAD="libpam_wrapper.so $softkey" PAM_WRAPPER=1 \
	    PAM_WRAPPER_SERVICE_DIR="$tmp/pam.d" PAM_WRAPPER_DEBUGLEVEL=2 \
	    pamtester -v -I tty="$tty" kgw-console alice authenticate \
	    acct_mgmt >"$out" 2>"$err"
	rc=$?
}

tap_plan 6

setup() {
	kgw init >/dev/null 2>&1 && cat >"$conf" <<-EOF
	store = $tmp/store.db
	key = $tmp/kakogawa.key
	fido2_insert_timeout = 0
	fido2_touch_timeout = 2
	host_zone = mynumber
	[zone mynumber]
	networks = 10.1.0.0/16
	factors = password fido2
	console_only = yes
	EOF
}
tap_check "a deployment whose console-only zone requires a key" setup

# add, a password, and the key (the authenticator preloaded as if
# plugged into the helpdesk's machine).
enrol_alice() {
	kgw add alice --zones mynumber >"$out" 2>"$err" &&
	    printf '%s\n' "$password" | "$enroll" --config "$conf" \
	    passwd alice --password-stdin >"$out" 2>"$err" &&
	    LD_PRELOAD="$softkey" "$enroll" --config "$conf" \
	    fido2 alice --label office </dev/null >"$out" 2>"$err"
}
enrol_alice
rc=$?
check "the helpdesk enrols alice's key (kakogawa-enroll fido2)" \
	'[ "$rc" = 0 ] && grep -qF "enrolled security key office" "$out"'

login_as tty1
check "console login: password, then a touch of the key" \
	'[ "$rc" = 0 ] && grep -qF "Touch your security key" "$out" &&
	grep -qF "rule=console factors=password,fido2 result=allow" "$err"'

login_as /dev/pts/4
check "su on a pseudo-terminal: the key shows who is here" \
	'[ "$rc" = 0 ] && grep -qF "rule=local_key" "$err"'

KGW_SOFTKEY="$tmp/other" login_as tty1
check "another key: refused (it holds no credential of alice)" \
	'[ "$rc" != 0 ] && grep -qF "result=deny reason=no_key" "$err"'

printf 'touch=timeout\n' >"$tmp/key/state"
login_as tty1
check "no touch: refused after fido2_touch_timeout" \
	'[ "$rc" != 0 ] && grep -qF "reason=key_timeout" "$err"'

tap_status
