#!/bin/bash
# End to end: a private sshd on loopback authenticates a real account
# through the built pam_kakogawa.so (password, then a TOTP code), and a
# wrong or replayed code keeps the door shut. Needs root; leaves nothing
# behind (user, /etc/pam.d file, sshd).
set -u
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || tap_skip_all "needs root (a test account and /etc/pam.d)"
[ -x /usr/sbin/sshd ] || tap_skip_all "no /usr/sbin/sshd (openssh-server)"
[ "${KGW_SANITIZERS:-}" != yes ] ||
	tap_skip_all "sanitizer build: sshd cannot load an ASan module"
for tool in ssh ssh-keygen oathtool useradd userdel timeout; do
	command -v "$tool" >/dev/null 2>&1 || tap_skip_all "no $tool"
done

module=${KGW_TEST_MODULE:-}
enroll=${KGW_TEST_ENROLL:-}
if [ ! -r "$module" ] || [ ! -x "$enroll" ]; then
	echo "1..1"
	echo "not ok 1 - KGW_TEST_MODULE ($module) and KGW_TEST_ENROLL ($enroll) must be built"
	exit 1
fi

# Unique names: two builds may run this at once on one machine.
user=kgwe2e$$
service=kgw-e2e-sshd-$$
pamfile=/etc/pam.d/$service
tmp=$(mktemp -d /tmp/kgw-e2e.XXXXXX)
chmod 700 "$tmp"
sshd_pid=
made_user=

cleanup() {
	local _
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
	[ -n "$made_user" ] && userdel -r -f "$user" >/dev/null 2>&1
	rm -f "$pamfile"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tap_plan 8

# ---- deployment and account --------------------------------------------

conf=$tmp/kakogawa.conf
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
secret=$(head -c 20 /dev/urandom | base32 | tr -d '=')
tap_secret "$password" "$secret"
printf '%s\n' "$password" > "$tmp/password"	# read by askpass, mode 0600
chmod 600 "$tmp/password"

setup_deployment() {
	"$enroll" --config "$conf" init &&
	cat > "$conf" <<-EOF &&
	store = $tmp/store.db
	key = $tmp/kakogawa.key
	totp_window = 1
	lockout_attempts = 10
	lockout_time = 600
	fail_delay = 0
	host_zone = lgwan
	[zone lgwan]
	networks = 127.0.0.0/8
	EOF
	useradd -m -s /bin/sh "$user" && made_user=1 &&
	"$enroll" --config "$conf" add "$user" --zones lgwan &&
	printf '%s\n' "$password" |
	    "$enroll" --config "$conf" passwd "$user" --password-stdin &&
	printf '%s\n' "$secret" |
	    "$enroll" --config "$conf" totp "$user" --secret --show none
} > "$tmp/setup.log" 2>&1

if setup_deployment; then
	tap_ok "deployment, account $user and enrolment"
else
	tap_not_ok "deployment, account $user and enrolment"
	tap_diag < "$tmp/setup.log"
fi

# ---- sshd ----------------------------------------------------------------

cat > "$pamfile" <<EOF
# pam_kakogawa end-to-end test ($0); removed when the test ends.
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

write_sshd_config() {
	cat > "$tmp/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $1
HostKey $tmp/hostkey
PidFile $tmp/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication no
AuthorizedKeysFile none
AuthenticationMethods keyboard-interactive
UseDNS no
PermitRootLogin no
AllowUsers $user
MaxAuthTries 3
LogLevel VERBOSE
EOF
}

# Starts sshd in the foreground (-D) so $! is its PID; tries a few ports.
start_sshd() {
	local p tries=0
	for p in $(seq 22022 22099); do
		port_free "$p" || continue
		tries=$((tries + 1))
		[ "$tries" -gt 5 ] && return 1
		write_sshd_config "$p"
		"$tmp/$service" -t -f "$tmp/sshd_config" || return 1
		"$tmp/$service" -D -f "$tmp/sshd_config" -E "$tmp/sshd.log" &
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
if start_sshd > "$tmp/start.log" 2>&1; then
	tap_ok "sshd started as service $service on 127.0.0.1:$port"
else
	tap_not_ok "sshd started as service $service"
	tap_diag < "$tmp/start.log"
	[ -r "$tmp/sshd.log" ] && tap_diag < "$tmp/sshd.log"
fi

# ---- logins ----------------------------------------------------------------

# The askpass program answers by prompt text: the code prompt first, since
# "Password" could appear in other prompts too. It logs what it was asked.
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

# login CODE: one ssh login running `echo OK`; its output in $tmp/ssh.out.
login() {
	printf '%s\n' "$1" > "$tmp/code"
	: > "$tmp/prompts.log"
	SSH_ASKPASS=$tmp/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=none \
	timeout 60 ssh -F /dev/null -p "${port:-1}" \
	    -o BindAddress=127.0.0.2 \
	    -o PreferredAuthentications=keyboard-interactive \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 \
	    -o LogLevel=ERROR \
	    "$user@127.0.0.1" 'echo OK' < /dev/null > "$tmp/ssh.out" 2> "$tmp/ssh.err"
}

# Waits for a fresh 30 s step when fewer than 3 s are left in this one.
wait_step_margin() {
	local left=$((30 - $(date +%s) % 30))
	[ "$left" -ge 3 ] || sleep "$left"
}

logged_in() {
	[ "$(cat "$tmp/ssh.out")" = OK ]
}

refused() {
	! logged_in && ! grep -q OK "$tmp/ssh.out"
}

show_failure() {
	{
		echo "ssh stderr:"; cat "$tmp/ssh.err"
		echo "prompts:"; cat "$tmp/prompts.log"
		echo "sshd log (tail):"; tail -n 20 "$tmp/sshd.log"
	} 2>/dev/null | tap_diag
}

# The order matters: the wrong password comes first, with the code that
# then logs in, so the refusal cannot be blamed on a used-up code.
wait_step_margin
code=$(oathtool --totp -b "$secret")
mv "$tmp/password" "$tmp/password.right"
printf 'not-%s\n' "$password" > "$tmp/password"
login "$code"
if refused; then
	tap_ok "a wrong password with the current code: refused"
else
	tap_not_ok "a wrong password with the current code: refused"
	show_failure
fi
mv "$tmp/password.right" "$tmp/password"

login "$code"
if logged_in; then
	tap_ok "password and current code: logged in, echo OK ran"
else
	tap_not_ok "password and current code: logged in, echo OK ran"
	show_failure
fi

prompts_in_order() {
	[ "$(grep -c . "$tmp/prompts.log")" -eq 2 ] &&
	sed -n 1p "$tmp/prompts.log" | grep -q 'Password: *$' &&
	sed -n 2p "$tmp/prompts.log" | grep -q 'Verification code: *$'
}
# prompts.log was reset by the login above; check it before the next one.
if prompts_in_order; then
	tap_ok "asked the password, then the verification code"
else
	tap_not_ok "asked the password, then the verification code"
	tap_diag < "$tmp/prompts.log"
fi

# The same code again, at once: used up.
login "$code"
if refused; then
	tap_ok "the same code replayed: refused"
else
	tap_not_ok "the same code replayed: refused"
	show_failure
fi

# A code that is neither this step's nor the previous one's.
now=$(date +%s)
cur=$(oathtool --totp -b "$secret" -N "@$now")
prev=$(oathtool --totp -b "$secret" -N "@$((now - 30))")
bad=$(( (10#$cur + 1) % 1000000 ))
while [ "$(printf '%06d' "$bad")" = "$prev" ]; do
	bad=$(( (bad + 1) % 1000000 ))
done
bad=$(printf '%06d' "$bad")
login "$bad"
if refused; then
	tap_ok "a wrong code: refused"
else
	tap_not_ok "a wrong code: refused"
	show_failure
fi

# Nothing secret in sshd's own log.
if [ -r "$tmp/sshd.log" ] && ! grep -q -F -e "$password" -e "$secret" -e "$code" "$tmp/sshd.log"; then
	tap_ok "sshd log holds neither the password, the secret nor the code"
else
	tap_not_ok "sshd log holds neither the password, the secret nor the code"
fi
tap_keep "$tmp/sshd.log"
tap_status
