#!/bin/bash
# End to end: the zone check of the built pam_kakogawa.so under a real sshd.
# Loopback addresses stand in for the city's separated networks (Linux
# routes all of 127.0.0.0/8 to lo, so `ssh -b ADDR` can pick any of them as
# the source without configuring an interface, and sshd hands it to PAM as
# PAM_RHOST, numeric since UseDNS is no):
#   127.0.1.0/24 mynumber (console only)   127.0.2.0/24 lgwan (this host)
#   127.0.3.0/24 internet                  127.0.3.9    gateway into lgwan
#   127.0.4.0/24 no zone at all
# Each case asserts on what the client saw (ssh's exit status, the remote
# command's output, the prompts askpass was given, the message shown) AND on
# the module's own decision line (phase, source, zone, rule, result).
#
# How decisions are observed. The module logs through pam_syslog(3), that
# is syslog(3) to /dev/log; sshd's -E only redirects sshd's own messages,
# never libpam's. This machine has no /dev/log (no syslog daemon, no
# journald), so those lines would be lost, and creating a global /dev/log
# would change the machine and catch other programs' messages. Instead sshd
# runs in a private mount namespace whose /dev is a tmpfs holding binds of
# every real /dev entry plus a /dev/log bound onto this test's own datagram
# socket, read by a small perl listener into $tmp/syslog.log. Nothing
# outside the namespace sees it; it vanishes with sshd. To cut out exactly
# one login's lines, a marker is sent through the same socket (logger)
# before and after each login and waited for: the module's lines are sent
# before sshd answers the client, so all of them lie between the markers.
#
# Needs root; leaves nothing behind (user and its keys, /etc/pam.d file,
# sshd, listener).
set -u
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || tap_skip_all "needs root (a test account and /etc/pam.d)"
[ -x /usr/sbin/sshd ] || tap_skip_all "no /usr/sbin/sshd (openssh-server)"
[ "${KGW_SANITIZERS:-}" != yes ] ||
	tap_skip_all "sanitizer build: sshd cannot load an ASan module"
for tool in ssh ssh-keygen oathtool useradd userdel timeout unshare mount \
    perl logger; do
	command -v "$tool" >/dev/null 2>&1 || tap_skip_all "no $tool"
done
unshare -m --propagation private -- mount -t tmpfs none /mnt \
    >/dev/null 2>&1 ||
	tap_skip_all "cannot make a private mount namespace (for /dev/log)"

module=${KGW_TEST_MODULE:-}
enroll=${KGW_TEST_ENROLL:-}
if [ ! -r "$module" ] || [ ! -x "$enroll" ]; then
	echo "1..1"
	echo "not ok 1 - KGW_TEST_MODULE ($module) and KGW_TEST_ENROLL ($enroll) must be built"
	exit 1
fi

# Unique names: two builds may run this at once on one machine.
user=kgwzone$$
service=kgw-e2e-zones-$$
pamfile=/etc/pam.d/$service
tmp=$(mktemp -d /tmp/kgw-zones.XXXXXX)
chmod 700 "$tmp"
sshd_pid=
listener_pid=
made_user=

cleanup() {
	local _
	# Only the test's own shell: never a subshell that inherited the trap.
	[ "$BASHPID" = "$$" ] || return 0
	if [ -n "$sshd_pid" ]; then
		# Let connections finish closing, so sshd reaps its children
		# itself; then stop the listener.
		for _ in $(seq 50); do
			pgrep -P "$sshd_pid" >/dev/null || break
			sleep 0.1
		done
		kill -TERM "$sshd_pid" 2>/dev/null
		wait "$sshd_pid" 2>/dev/null
	fi
	if [ -n "$listener_pid" ]; then
		kill -TERM "$listener_pid" 2>/dev/null
		wait "$listener_pid" 2>/dev/null
	fi
	[ -n "$made_user" ] && userdel -r -f "$user" >/dev/null 2>&1
	rm -f "$pamfile"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tap_plan 14

# ---- deployment and account --------------------------------------------

conf=$tmp/kakogawa.conf
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
secret=$(head -c 20 /dev/urandom | base32 | tr -d '=')
tap_secret "$password" "$secret"
printf '%s\n' "$password" > "$tmp/password"	# read by askpass, mode 0600
chmod 600 "$tmp/password"

# totp_window = 5: the successful logins use codes of increasing past steps
# (now-60 s, now-30 s, now), each fresh, so no login is a replay and the
# test never waits for a new 30 s step.
setup_deployment() {
	"$enroll" --config "$conf" init &&
	cat > "$conf" <<-EOF &&
	store = $tmp/store.db
	key = $tmp/kakogawa.key
	totp_window = 5
	lockout_attempts = 10
	lockout_time = 600
	fail_delay = 0
	host_zone = lgwan
	[zone mynumber]
	networks = 127.0.1.0/24
	console_only = yes
	[zone lgwan]
	networks = 127.0.2.0/24
	gateways = 127.0.3.9
	remote_from = lgwan
	[zone internet]
	networks = 127.0.3.0/24
	EOF
	useradd -m -s /bin/sh "$user" && made_user=1 &&
	"$enroll" --config "$conf" add "$user" --zones lgwan &&
	printf '%s\n' "$password" |
	    "$enroll" --config "$conf" passwd "$user" --password-stdin &&
	printf '%s\n' "$secret" |
	    "$enroll" --config "$conf" totp "$user" --secret --show none &&
	# The key for the public-key logins, in the account's own home (sshd's
	# StrictModes refuses a file below the world-writable /tmp).
	ssh-keygen -q -t ed25519 -N '' -C "$user" -f "$tmp/userkey" &&
	home=$(getent passwd "$user" | cut -d: -f6) &&
	install -d -m 700 -o "$user" -g "$user" "$home/.ssh" &&
	install -m 600 -o "$user" -g "$user" "$tmp/userkey.pub" \
	    "$home/.ssh/authorized_keys"
} > "$tmp/setup.log" 2>&1

if setup_deployment; then
	tap_ok "deployment (three zones, host_zone lgwan), account $user, enrolment and key"
else
	tap_not_ok "deployment (three zones, host_zone lgwan), account $user, enrolment and key"
	tap_diag < "$tmp/setup.log"
fi

# ---- the private syslog ------------------------------------------------

cat > "$tmp/listen.pl" <<'EOF'
# listen.pl SOCKET FILE: one line in FILE per datagram received on SOCKET.
use strict;
use Socket;
my ($path, $file) = @ARGV;
socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
bind($s, pack_sockaddr_un($path)) or die "bind $path: $!\n";
chmod(0666, $path);
open(my $out, '>>', $file) or die "$file: $!\n";
$out->autoflush(1);
my $msg;
while (defined(recv($s, $msg, 65536, 0))) {
	$msg =~ s/[\0\r\n]+\z//;
	print $out "$msg\n";
}
EOF
: > "$tmp/syslog.log"
perl "$tmp/listen.pl" "$tmp/syslog.sock" "$tmp/syslog.log" \
    2> "$tmp/listener.err" &
listener_pid=$!

mark_n=0
mark_line=
# log_sync: sends a marker through the socket and waits until the listener
# wrote it; sets mark_line to its line number in syslog.log. (Not to be run
# in a subshell: the counter would not advance.)
log_sync() {
	local tag n _
	mark_line=
	mark_n=$((mark_n + 1))
	tag="kgw-zones-mark-$$-$mark_n"
	for _ in $(seq 100); do
		[ -S "$tmp/syslog.sock" ] && break
		sleep 0.05
	done
	logger -d -u "$tmp/syslog.sock" -t kgw-zones-test -- "$tag" || return 1
	for _ in $(seq 200); do
		n=$(grep -n -E -e " kgw-zones-test: $tag\$" "$tmp/syslog.log" | cut -d: -f1)
		if [ -n "$n" ]; then
			mark_line=$n
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# The namespace's setup, run by unshare before it becomes sshd.
cat > "$tmp/in-ns.sh" <<EOF
#!/bin/sh
# In a new private mount namespace: /dev as before plus /dev/log bound to
# the test's socket; then exec "\$@".
set -e
real=$tmp/realdev
mkdir "\$real"
mount --rbind /dev "\$real"
mount -t tmpfs -o mode=755,size=1m kgw-zones-dev /dev
for e in "\$real"/* "\$real"/.[!.]*; do
	[ -e "\$e" ] || [ -L "\$e" ] || continue
	n=/dev/\${e##*/}
	if [ "\$n" = /dev/log ]; then
		continue
	elif [ -L "\$e" ]; then
		ln -s "\$(readlink "\$e")" "\$n"
	elif [ -d "\$e" ]; then
		mkdir "\$n" && mount --rbind "\$e" "\$n"
	else
		: > "\$n" && mount --bind "\$e" "\$n"
	fi
done
: > /dev/log
mount --bind $tmp/syslog.sock /dev/log
umount -l "\$real"
exec "\$@"
EOF
chmod 700 "$tmp/in-ns.sh"

# ---- sshd ----------------------------------------------------------------

cat > "$pamfile" <<EOF
# pam_kakogawa end-to-end zone test ($0); removed when the test ends.
auth required $module config=$conf
account required $module config=$conf
session required pam_permit.so
EOF
ln -s /usr/sbin/sshd "$tmp/$service"	# sshd's PAM service: basename(argv[0])
ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey" >/dev/null
# /run/sshd stays when we leave: another test's sshd may be using it,
# and /run is emptied at boot.
if [ ! -d /run/sshd ]; then
	mkdir -p /run/sshd && chmod 755 /run/sshd
fi

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Either method is enough: keyboard-interactive runs PAM's auth and
# account phases; publickey skips auth, so only the account phase judges.
write_sshd_config() {
	cat > "$tmp/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $1
HostKey $tmp/hostkey
PidFile $tmp/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
AuthenticationMethods publickey keyboard-interactive
UseDNS no
PermitRootLogin no
AllowUsers $user
MaxAuthTries 3
LogLevel VERBOSE
EOF
}

# Starts sshd in the foreground (-D) inside its namespace; unshare and the
# setup script exec, so $! is sshd's PID. Tries a few ports.
start_sshd() {
	local p tries=0
	for p in $(seq 22122 22199); do
		port_free "$p" || continue
		tries=$((tries + 1))
		[ "$tries" -gt 5 ] && return 1
		write_sshd_config "$p"
		"$tmp/$service" -t -f "$tmp/sshd_config" || return 1
		rmdir "$tmp/realdev" 2>/dev/null
		unshare -m --propagation private -- "$tmp/in-ns.sh" \
		    "$tmp/$service" -D -f "$tmp/sshd_config" \
		    -E "$tmp/sshd.log" &
		sshd_pid=$!
		for _ in $(seq 50); do
			if ! kill -0 "$sshd_pid" 2>/dev/null; then
				wait "$sshd_pid" 2>/dev/null
				sshd_pid=
				break	# lost the port: next one
			fi
			if ! port_free "$p"; then
				port=$p
				return 0
			fi
			sleep 0.1
		done
		if [ -n "$sshd_pid" ]; then
			kill -TERM "$sshd_pid" 2>/dev/null
			wait "$sshd_pid" 2>/dev/null
			sshd_pid=
		fi
	done
	return 1
}

port=
if start_sshd > "$tmp/start.log" 2>&1 && log_sync; then
	tap_ok "sshd started as service $service on 127.0.0.1:$port, private /dev/log"
else
	tap_not_ok "sshd started as service $service, private /dev/log"
	tap_diag < "$tmp/start.log"
	tap_diag < "$tmp/listener.err"
	[ -r "$tmp/sshd.log" ] && tap_diag < "$tmp/sshd.log"
fi
touch "$tmp/sshd.log"

# ---- logins ----------------------------------------------------------------

# The askpass program answers by prompt text (the code prompt first) and
# logs every prompt it is given: an empty log means no question was asked.
cat > "$tmp/askpass" <<EOF
#!/bin/sh
printf '%s\n' "\$1" >> "$tmp/prompts.log"
case "\$1" in
*"Verification code"*) cat "$tmp/code" ;;
*"Password"*) cat "$tmp/password" ;;
*) exit 1 ;;
esac
EOF
chmod 700 "$tmp/askpass"

code_at() {
	oathtool --totp -b "$secret" -N "@$1"
}

# login kbd|key SRC [CODE]: one ssh login from source address SRC running
# `id -un`. Sets ssh_rc, src; leaves ssh.out, ssh.err, prompts.log, the
# module's lines of this login in decisions, sshd's new lines in sshd.new
# (from line sshd_from_line of sshd.log).
login() {
	local method=$1 from to
	src=$2
	printf '%s\n' "${3:-000000}" > "$tmp/code"
	: > "$tmp/prompts.log"
	sshd_from_line=$(($(wc -l < "$tmp/sshd.log") + 1))
	log_sync
	from=$mark_line
	if [ "$method" = kbd ]; then
		set -- -o PreferredAuthentications=keyboard-interactive \
		    -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1
	else
		set -- -o PreferredAuthentications=publickey \
		    -o IdentitiesOnly=yes -i "$tmp/userkey" \
		    -o KbdInteractiveAuthentication=no \
		    -o PasswordAuthentication=no -o BatchMode=yes
	fi
	SSH_ASKPASS=$tmp/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=none \
	timeout 60 ssh -F /dev/null -p "${port:-1}" -b "$src" "$@" \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o ConnectTimeout=10 -o LogLevel=INFO \
	    "$user@127.0.0.1" 'id -un' < /dev/null > "$tmp/ssh.out" \
	    2> "$tmp/ssh.err"
	ssh_rc=$?
	log_sync
	to=$mark_line
	if [ -n "$from" ] && [ -n "$to" ]; then
		sed -n "$((from + 1)),$((to - 1))p" "$tmp/syslog.log" |
		    grep 'pam_kakogawa' > "$tmp/decisions"
	else
		echo "(syslog markers not seen)" > "$tmp/decisions"
	fi
	# sshd writes its log itself: give it a moment to catch up.
	sleep 0.1
	tail -n "+$sshd_from_line" "$tmp/sshd.log" > "$tmp/sshd.new"
}

# decided PHASE SRC_ZONE RULE FACTORS RESULT: exactly one PHASE line in this
# login, about this user from this source, with that verdict.
decided() {
	local lines
	lines=$(grep -F "phase=$1 " "$tmp/decisions") &&
	[ "$(printf '%s\n' "$lines" | grep -c .)" -eq 1 ] &&
	printf '%s\n' "$lines" | grep -q -E -e "phase=$1 user=$user .*rhost=${src//./\\.} .*src_zone=$2 host_zone=lgwan rule=$3 factors=$4 result=$5( |$)"
}

# no_phase PHASE: the module was not called for that phase in this login.
no_phase() {
	[ -r "$tmp/decisions" ] && ! grep -q -F "phase=$1 " "$tmp/decisions"
}

logged_in() {
	[ "$ssh_rc" -eq 0 ] && [ "$(cat "$tmp/ssh.out")" = "$user" ]
}

refused() {
	[ "$ssh_rc" -eq 255 ] && [ ! -s "$tmp/ssh.out" ]
}

no_prompt() {
	[ ! -s "$tmp/prompts.log" ]
}

# ssh shows PAM's prompts as "(user@host) Password: ".
both_prompts() {
	[ "$(grep -c . "$tmp/prompts.log")" -eq 2 ] &&
	sed -n 1p "$tmp/prompts.log" | grep -q 'Password: *$' &&
	sed -n 2p "$tmp/prompts.log" | grep -q 'Verification code: *$'
}

# The client saw the module's message (its English half: how ssh renders
# the Japanese one depends on the locale).
told() {
	grep -q -F -e "$1" "$tmp/ssh.err"
}
MSG_SITE="Login from this location is not permitted."
MSG_ACCOUNT="Login to this host is not permitted."

# sshd_said REGEX: sshd's log of this login has the line (waits a little:
# messages of its unprivileged child reach the file through the monitor).
sshd_said() {
	local _
	for _ in $(seq 30); do
		tail -n "+$sshd_from_line" "$tmp/sshd.log" |
		    grep -q -E -e "$1" && return 0
		sleep 0.1
	done
	return 1
}

show_failure() {
	{
		echo "source $src, ssh exit $ssh_rc"
		echo "ssh stdout:"; cat "$tmp/ssh.out"
		echo "ssh stderr:"; cat "$tmp/ssh.err"
		echo "prompts:"; cat "$tmp/prompts.log"
		echo "module decisions:"; cat "$tmp/decisions"
		echo "sshd log of this login:"; cat "$tmp/sshd.new"
	} 2>/dev/null | tap_diag
}

# check DESCRIPTION CONDITION...: one TAP line; all conditions must hold.
check() {
	local desc=$1 c
	shift
	for c in "$@"; do
		if ! eval "$c"; then
			tap_not_ok "$desc"
			echo "# failed: $c"
			show_failure
			return 1
		fi
	done
	tap_ok "$desc"
}

now=$(date +%s)

# 1. Same zone: the host's zone is lgwan and so is the source.
login kbd 127.0.2.5 "$(code_at $((now - 60)))"
cp "$tmp/prompts.log" "$tmp/prompts.same_zone"
check "lgwan 127.0.2.5 -> lgwan host: password and code, logged in, id -un ran" \
	logged_in both_prompts \
	'decided auth lgwan same_zone password,totp allow' \
	'decided account lgwan same_zone - allow'

# 2. The internet may not log in to lgwan: refused before any question.
login kbd 127.0.3.5
check "internet 127.0.3.5 -> lgwan: refused before any prompt, told why" \
	refused no_prompt "told '$MSG_SITE'" \
	'decided auth internet cross_zone - deny' 'no_phase account'

# 3. Nor may mynumber (its console_only concerns hosts of mynumber).
login kbd 127.0.1.5
check "mynumber 127.0.1.5 -> lgwan: refused before any prompt (cross_zone)" \
	refused no_prompt "told '$MSG_SITE'" \
	'decided auth mynumber cross_zone - deny' 'no_phase account'

# 4. The screen-transfer server: an internet address, a gateway into lgwan.
login kbd 127.0.3.9 "$(code_at $((now - 30)))"
check "gateway 127.0.3.9 (internet) -> lgwan: password and code, logged in" \
	logged_in both_prompts \
	'decided auth internet gateway password,totp allow' \
	'decided account internet gateway - allow'

# 5. An address in no zone.
login kbd 127.0.4.5
check "no zone 127.0.4.5 -> lgwan: refused before any prompt (source_unknown)" \
	refused no_prompt "told '$MSG_SITE'" \
	'decided auth unknown source_unknown - deny' 'no_phase account'

# 6. A person not authorised for lgwan: the questions do not depend on the
# person, so the same two are asked, and a right password with a fresh,
# unused code is still refused.
set_zones() {
	"$enroll" --config "$conf" zones "$user" --set "$1" \
	    > "$tmp/zones.log" 2>&1 || tap_diag < "$tmp/zones.log"
}
set_zones internet
login kbd 127.0.2.5 "$(code_at "$now")"
set_zones lgwan
check "not authorised for lgwan (zones internet): same prompts, refused" \
	refused both_prompts 'cmp -s "$tmp/prompts.log" "$tmp/prompts.same_zone"' \
	"! told '$MSG_SITE'" \
	'decided auth lgwan not_authorised password,totp deny' \
	'no_phase account'

# 7. Public-key logins: sshd skips PAM's auth phase, so the account phase
# alone applies the zone check. sshd calls it only once the key has
# signed in, so an account line with no auth line shows the key was
# accepted; sshd logs "Postponed publickey" when it accepts the offered
# key, "Accepted publickey" only after the account phase allowed it.
login key 127.0.2.5
check "public key from lgwan 127.0.2.5: logged in, auth phase skipped, account allows" \
	logged_in no_prompt 'no_phase auth' \
	'decided account lgwan same_zone - allow' \
	"sshd_said 'Accepted publickey for $user from 127\\.0\\.2\\.5 '"

login key 127.0.3.5
check "public key from internet 127.0.3.5: key accepted, account phase refuses (cross_zone)" \
	refused no_prompt 'no_phase auth' "told '$MSG_ACCOUNT'" \
	'decided account internet cross_zone - deny' \
	"sshd_said 'Postponed publickey for $user from 127\\.0\\.3\\.5 '" \
	"sshd_said 'Access denied for user $user by PAM account configuration'" \
	"! grep -q 'Accepted publickey' \"\$tmp/sshd.new\""

# 8. The person's zones change: the account phase sees it at once.
set_zones internet
login key 127.0.2.5
set_zones lgwan
check "public key from lgwan after zones --set internet: account phase refuses (not_authorised)" \
	refused no_prompt 'no_phase auth' "told '$MSG_ACCOUNT'" \
	'decided account lgwan not_authorised - deny' \
	"sshd_said 'Access denied for user $user by PAM account configuration'"

login key 127.0.2.5
check "zones restored to lgwan: the key logs in from lgwan again" \
	logged_in 'decided account lgwan same_zone - allow'

# The source addresses really were the chosen ones (ssh -b on loopback).
check "sshd saw each chosen source address" \
	"grep -q 'Connection from 127\\.0\\.1\\.5 ' \"\$tmp/sshd.log\"" \
	"grep -q 'Connection from 127\\.0\\.3\\.9 ' \"\$tmp/sshd.log\"" \
	"grep -q 'Connection from 127\\.0\\.4\\.5 ' \"\$tmp/sshd.log\""

# Nothing secret in the module's log lines nor in sshd's own log.
if [ -s "$tmp/syslog.log" ] && [ -s "$tmp/sshd.log" ] &&
    ! grep -q -F -e "$password" -e "$secret" "$tmp/syslog.log" "$tmp/sshd.log"; then
	tap_ok "logs hold neither the password nor the secret"
else
	tap_not_ok "logs hold neither the password nor the secret"
fi

# Every decision of the run, for the log of this test.
grep 'pam_kakogawa' "$tmp/syslog.log" | sed 's/^<[0-9]*>//' | tap_diag
tap_keep "$tmp/syslog.log" "$tmp/sshd.log"
tap_status
