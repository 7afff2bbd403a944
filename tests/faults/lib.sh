# shellcheck shell=sh
# Shared by the fault scripts: a deployment in a directory made by the real
# kakogawa-enroll, a PAM service for the built module, one person enrolled,
# and logins through crash_driver. Sourced after ../lib.sh.
# shellcheck disable=SC2034

enroll=${KGW_TEST_ENROLL:-}
module=${KGW_TEST_MODULE:-}
driver=${KGW_TEST_CRASH_DRIVER:-}
for f in "$enroll" "$module" "$driver"; do
	if [ ! -e "$f" ]; then
		echo "1..1"
		echo "not ok 1 - KGW_TEST_ENROLL, KGW_TEST_MODULE and" \
		    "KGW_TEST_CRASH_DRIVER must be built ($f)"
		exit 1
	fi
done
unset SUDO_USER SUDO_UID

# deploy DIR: init there, then a config for the driver's login (its
# address is in the lgwan zone), no delay on failure, a short busy
# timeout, and a lockout far away unless LOCKOUT says otherwise.
deploy() {
	dep=$1
	conf=$dep/kakogawa.conf
	store=$dep/store.db
	key=$dep/kakogawa.key
	pamdir=$dep/pam.d
	"$enroll" --config "$conf" init >/dev/null 2>&1 || return 1
	cat >"$conf" <<-CONF || return 1
	store = $store
	key = $key
	issuer = Kakogawa Test
	totp_window = 1
	lockout_attempts = ${LOCKOUT:-1000}
	lockout_time = 900
	busy_timeout = 200
	fail_delay = 0
	host_zone = lgwan
	[zone lgwan]
	networks = 192.0.2.0/24
	CONF
	mkdir -p "$pamdir" && : >"$pamdir/other" || return 1
	printf 'auth required %s config=%s\naccount required %s config=%s\n' \
	    "$module" "$conf" "$module" "$conf" >"$pamdir/kgwtest"
}

# The tool on the deployment, never on a terminal.
kgw() {
	"$enroll" --config "$conf" "$@" </dev/null
}

# enrol USER: a random password ($password) and TOTP secret ($secret).
enrol() {
	password=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
	secret=$(head -c 20 /dev/urandom | base32)
	kgw add "$1" --zones lgwan >/dev/null 2>&1 &&
	printf '%s\n' "$secret" | "$enroll" --config "$conf" totp "$1" \
	    --secret --show none >/dev/null 2>&1 &&
	printf '%s\n' "$password" | "$enroll" --config "$conf" passwd "$1" \
	    --password-stdin >/dev/null 2>&1
}

# login USER ARGS...: the driver; its verdict in $verdict ("allow ok"),
# the module's log in $login_log ($dep/login.log unless set); the
# driver's status is returned.
login() {
	verdict=$(printf '%s\n%s\n' "$password" "$secret" |
	    "$driver" "$pamdir" "$@" 2>"${login_log:-$dep/login.log}")
}
login_once() {
	_u=$1
	shift
	login "$_u" once "$@"
}

# The store's own check of every page and index.
integrity() {
	sqlite3 "$store" 'PRAGMA integrity_check' 2>&1
}

# What a change must leave untouched: people, changes, the audit trail.
# (sqlite3 reads the WAL too; secrets are compared as they are sealed.)
snapshot() {
	sqlite3 "$store" "SELECT * FROM users ORDER BY name;
	    SELECT count(*) FROM changes; SELECT count(*), max(seq) FROM audit;
	    SELECT quote(mac) FROM audit_head" 2>&1
}

# Shows a file as TAP diagnostics.
diag_file() {
	[ -f "$1" ] && tap_diag <"$1"
}

# check DESCRIPTION CONDITION: one result from a shell condition (eval'd).
# shellcheck disable=SC2016
check() {
	if eval "$2"; then
		tap_ok "$1"
	else
		tap_not_ok "$1"
	fi
}
