#!/bin/sh
# kakogawa-enroll with hostile arguments, through the built tool in a
# throwaway deployment: odd user names for every command that takes one
# (a leading '-' never taken for an option that acts), odd zone names, odd
# --config paths. Each exits non-zero with a clear message that carries no
# raw control character and does not echo a name (it may be a password
# typed in the wrong place), and the store is the same before and after.
# Then: secrets never come from argv (a running enrolment's command line,
# as ps shows it, holds no secret; options that would take one refuse).
# A NUL cannot be tested here: argv entries are C strings, the kernel
# ends each at its first NUL, so no argument can carry one.
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

command -v timeout >/dev/null 2>&1 || tap_skip_all "no timeout(1)"

# Everything the tool shows of the store: people, alice, the audit trail.
dump() {
	{
		kgw --json list
		kgw --json show alice
		kgw audit export --format csv
	} 2>&1
}

same_store() {
	dump >"$tmp/after" && cmp -s "$tmp/before" "$tmp/after"
}

# No raw control byte (C0 but newline, DEL) in what the tool said, and
# every line its own (a newline given in an argument forges none).
clean() {
	! LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$1" &&
	! grep -qv '^kakogawa-enroll: ' "$1"
}

nl='
'
# The hostile names, one per index (empty past the end: see name_count).
big=$(head -c 10000 /dev/zero | tr '\0' a)
name_count=20
name_at() {
	case $1 in
	1) what="empty" name="" ;;
	2) what="10,000 bytes" name=$big ;;
	3) what="a slash" name="a/b" ;;
	4) what="dot dot" name=".." ;;
	5) what="a/../b" name="a/../b" ;;
	6) what="newline" name=$(printf 'ali\nce') ;;
	7) what="carriage return" name=$(printf 'alice\r') ;;
	8) what="tab" name=$(printf 'ali\tce') ;;
	9) what="escape" name=$(printf '\033[2Jalice') ;;
	10) what="DEL" name=$(printf 'alice\177') ;;
	11) what="byte 0xff" name=$(printf 'alice\377') ;;
	12) what="overlong '/'" name=$(printf 'a\300\257b') ;;
	13) what="full-width" name=$(printf '\357\275\201\357\275\214') ;;
	14) what="leading '-'" name="-alice" ;;
	15) what="an option" name="--config=$tmp/other.conf" ;;
	16) what="--json" name="--json" ;;
	17) what="leading space" name=" alice" ;;
	18) what="trailing space" name="alice " ;;
	19) what="format" name="alice%n%s" ;;
	20) what="all digits" name="12345" ;;
	esac
}

# One command with the name, as given and after "--"; $why is what
# failed. The name must not be echoed unless it is an option's name.
refused() {
	kgw_run "$@"
	if [ "$rc" = 0 ] || [ ! -s "$err" ] || [ -s "$out" ]; then
		why="$1: exit $rc"
		return 1
	fi
	if ! clean "$err"; then
		why="$1: control bytes in the message"
		return 1
	fi
	# grep takes a newline as two patterns: those names rely on clean.
	case $name in
	-* | *"$nl"*) ;;
	??*) if grep -qF -e "$name" "$err"; then
		why="$1: the name echoed"
		return 1
	fi ;;
	esac
	return 0
}

name_case() {
	for cmd in show delete disable enable unlock "revoke totp" \
	    "zones" "zones --add lgwan" "add --zones lgwan" \
	    "passwd --password-stdin"; do
		# shellcheck disable=SC2086 # the options are words
		set -- $cmd
		c=$1
		shift
		refused "$c" "$name" "$@" || return 1
		refused "$c" "$@" -- "$name" || return 1
	done
	same_store || { why="the store changed"; return 1; }
}

tap_plan 46

tap_check "a throwaway deployment with three zones" setup_three_zones
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
tap_secret "$password"
kgw_run add alice --zones lgwan
printf '%s\n' "$password" |
	"$enroll" --config "$conf" passwd alice --password-stdin >"$out" 2>"$err"
rc=$?
dump >"$tmp/before"
check "alice enrolled; the dump is stable" '[ "$rc" = 0 ] && same_store &&
	grep -q "\"user\":\"alice\"" "$tmp/before"'

i=1
while [ "$i" -le "$name_count" ]; do
	name_at "$i"
	why=
	if name_case; then
		tap_ok "user name $what: refused by every command, store unchanged"
	else
		tap_not_ok "user name $what: $why"
		diag_run
	fi
	i=$((i + 1))
done

# A name that differs in case is another (unknown) person.
kgw_run show ALICE
check "ALICE is not alice: no such user" '[ "$rc" = 1 ] &&
	grep -q "no such user" "$err" && same_store'

# ---- zone names ------------------------------------------------------------

zone_count=9
zone_at() {
	case $1 in
	1) what="../x" zone="lgwan,../x" ;;
	2) what="newline" zone=$(printf 'lgwan\nevil') ;;
	3) what="escape" zone=$(printf '\033[31mlgwan') ;;
	4) what="10,000 bytes" zone=$big ;;
	5) what="undefined" zone="nosuch" ;;
	6) what="upper case" zone="LGWAN" ;;
	7) what="shell" zone='lgwan;$(reboot)' ;;
	8) what="leading '-'" zone="-lgwan" ;;
	9) what="byte 0xff" zone=$(printf 'lgwan\377') ;;
	esac
}

zone_case() {
	name=
	for how in "add bob --zones" "zones alice --set" "zones alice --add" \
	    "zones-check"; do
		[ "$how" = zones-check ] && {
			refused zone-check alice --host-zone "$zone" || return 1
			continue
		}
		# shellcheck disable=SC2086 # the command is words
		refused $how "$zone" || return 1
	done
	same_store || { why="the store changed"; return 1; }
}

i=1
while [ "$i" -le "$zone_count" ]; do
	zone_at "$i"
	why=
	if zone_case; then
		tap_ok "zone name $what: refused by add, zones and zone-check"
	else
		tap_not_ok "zone name $what: $why"
		diag_run
	fi
	i=$((i + 1))
done

# ---- --config paths ---------------------------------------------------------

mkfifo "$tmp/fifo.conf"
ln -s "$conf" "$tmp/link.conf"
config_count=9
config_at() {
	case $1 in
	1) what="empty" path="" ;;
	2) what="a directory" path=$tmp ;;
	3) what="a FIFO" path=$tmp/fifo.conf ;;
	4) what="a symlink" path=$tmp/link.conf ;;
	5) what="/dev/null" path=/dev/null ;;
	6) what="10,000 bytes" path=/$big ;;
	7) what="newline and escape" path=$(printf '%s/a\n\033[2J.conf' "$tmp") ;;
	8) what="'..'" path=$tmp/../$(basename "$tmp")/kakogawa.conf ;;
	9) what="missing" path=$tmp/none/kakogawa.conf ;;
	esac
}

i=1
while [ "$i" -le "$config_count" ]; do
	config_at "$i"
	timeout 20 "$enroll" --config "$path" show alice </dev/null \
	    >"$out" 2>"$err"
	rc=$?
	check "--config $what: refused at once, with a message" '
	    [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ -s "$err" ] &&
	    [ ! -s "$out" ] && clean "$err" && same_store'
	i=$((i + 1))
done

# ---- secrets never in argv --------------------------------------------------

# A value given to a secret option is refused and never echoed.
kgw_run passwd alice "--password=$password"
check "passwd --password=SECRET: refused, the value not echoed" '
	[ "$rc" = 2 ] && ! grep -qF -e "$password" "$err" && same_store'
kgw_run totp alice "--secret=JBSWY3DPEHPK3PXPJBSWY3DP"
check "totp --secret=VALUE: refused, the value not echoed" '
	[ "$rc" = 2 ] && ! grep -qF JBSWY3DP "$err" && same_store'
kgw_run passwd alice "$password"
check "a password typed in place of the user: not echoed" '
	[ "$rc" != 0 ] && ! grep -qF -e "$password" "$err" && same_store'

# While passwd waits for its secret on stdin, its command line (what ps
# shows every user) is just the command; the secret goes through the pipe.
mkfifo "$tmp/pwin"
"$enroll" --config "$conf" passwd alice --password-stdin <"$tmp/pwin" \
    >"$out" 2>"$err" &
pid=$!
exec 3>"$tmp/pwin"
n=0
while [ "$n" -lt 50 ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
    grep -q -- "--password-stdin"; do
	sleep 0.1
	n=$((n + 1))
done
tr '\0' ' ' <"/proc/$pid/cmdline" >"$tmp/cmdline" 2>/dev/null
printf '%s\n' "$password" >&3
exec 3>&-
wait "$pid"
rc=$?
check "the running passwd's argv holds the command, never the password" '
	[ "$rc" = 0 ] && grep -q "passwd alice --password-stdin" "$tmp/cmdline" &&
	! grep -qF -e "$password" "$tmp/cmdline"'

# The usage names no option that takes a secret as its value.
kgw_run --help
check "--help: no option takes a password, secret, PIN or code" '
	[ "$rc" = 0 ] && grep -q "Secrets are never taken from the command line" "$out" &&
	! grep -Eiq -- "--(password|secret|pin|code|totp)[a-z-]*[ =][A-Z]" "$out"'

tap_status
