#!/bin/bash
# The Debian packages on this machine, as an administrator would use them:
# install them with apt-get, enable the pam-auth-update profile, log a
# real account in through the system's own "login" stack (pam_unix, then
# pam_kakogawa) with pamtester, disable the profile, purge. Twice: once
# disabling before the purge (the store stays: nobody asked), once
# purging with the profile still on and the store's removal asked for.
# Afterwards /etc/pam.d is as it was before. Run by scripts/test (CI) after
# scripts/package: tests/package.sh DEB_DIR. Root; refuses to run where
# pam_kakogawa is already installed or configured, as it purges it.
set -u
. "$(dirname "$0")/lib.sh"

debs=${1:?usage: tests/package.sh DEB_DIR}
[ "$(id -u)" = 0 ] || tap_skip_all "needs root (apt-get, /etc/pam.d)"
if dpkg -s libpam-kakogawa >/dev/null 2>&1 ||
    [ -e /etc/security/kakogawa.conf ] || [ -e /etc/security/kakogawa.key ] ||
    [ -e /var/lib/kakogawa ]; then
	tap_skip_all "pam_kakogawa is already on this machine; not touching it"
fi
export DEBIAN_FRONTEND=noninteractive
tmp=$(mktemp -d /tmp/kgw-pkg.XXXXXX)
user=kgwpkg$$
made_user=0
preseeded=0
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
secret=$(head -c 20 /dev/urandom | base32 | tr -d '=')

pam_snapshot() {
	(cd /etc/pam.d && md5sum ./*)
}

cleanup() {
	if dpkg -s libpam-kakogawa >/dev/null 2>&1; then
		pam-auth-update --package --remove kakogawa >/dev/null 2>&1
		apt-get purge -y -q libpam-kakogawa kakogawa-enroll >/dev/null 2>&1
	fi
	rm -rf /var/lib/kakogawa /etc/security/kakogawa.key
	# debconf-set-selections registered the question under the bare name,
	# an owner the package's db_purge (libpam-kakogawa:amd64) leaves.
	[ "$preseeded" = 1 ] &&
	    echo PURGE | debconf-communicate libpam-kakogawa >/dev/null 2>&1
	[ "$made_user" = 1 ] && userdel -r "$user" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
pam_snapshot > "$tmp/pam.before"

tap_plan 25

# ---- install ---------------------------------------------------------------

install_debs() {
	apt-get install -y -q "$debs"/libpam-kakogawa_*.deb \
	    "$debs"/kakogawa-enroll_*.deb > "$tmp/apt.log" 2>&1 ||
	    { tap_diag < "$tmp/apt.log"; return 1; }
}
tap_check "apt-get install ./libpam-kakogawa_*.deb ./kakogawa-enroll_*.deb" \
    install_debs
module=$(dpkg -L libpam-kakogawa | grep '/security/pam_kakogawa\.so$')
tap_check "the module is in libpam's directory (${module:-none})" \
    test -n "$module" -a -f "$module"
tap_check "/etc/security/kakogawa.conf is a conffile" \
    sh -c "dpkg-query -W -f='\${Conffiles}' libpam-kakogawa |
	grep -q '^ /etc/security/kakogawa.conf '"
tap_check "the store's directory is root's only (0700)" \
    test "$(stat -c '%a %U %G' /var/lib/kakogawa)" = "700 root root"
tap_check "installing changed no PAM stack (the profile is off by default)" \
    sh -c "cd /etc/pam.d && md5sum ./* | cmp -s - '$tmp/pam.before'"

# ---- an administrator's first enrolment ----------------------------------

enrol() {
	# The city's file would name the real networks; this host is lgwan.
	sed -i -e 's|^#host_zone = lgwan$|host_zone = lgwan|' \
	    -e 's|^fail_delay = .*|fail_delay = 0|' \
	    -e 's|^networks = 10.20.0.0/16.*|networks = 127.0.0.0/8|' \
	    /etc/security/kakogawa.conf &&
	kakogawa-enroll init &&
	useradd -M -s /usr/sbin/nologin "$user" && made_user=1 &&
	printf '%s:%s\n' "$user" "$password" | chpasswd &&
	kakogawa-enroll add "$user" --zones lgwan &&
	printf '%s\n' "$secret" |
	    kakogawa-enroll totp "$user" --secret --show none
}
if enrol > "$tmp/enrol.log" 2>&1; then
	tap_ok "init, a system account and its enrolment with kakogawa-enroll"
else
	tap_not_ok "init, a system account and its enrolment with kakogawa-enroll"
	tap_diag < "$tmp/enrol.log"
fi

tap_check "the tool speaks Japanese under a Japanese locale" \
    sh -c "LC_ALL=ja_JP.UTF-8 kakogawa-enroll show nosuchuser 2>&1 |
	grep -q 'ユーザ'"
tap_check "the man pages are there in Japanese too" \
    test -f /usr/share/man/ja/man8/pam_kakogawa.8.gz -a \
	-f /usr/share/man/ja/man8/kakogawa-enroll.8.gz -a \
	-f /usr/share/man/ja/man5/kakogawa.conf.5.gz
tap_check "the bash completion is installed" \
    test -f /usr/share/bash-completion/completions/kakogawa-enroll

tap_check "pam-auth-update --enable kakogawa" \
    pam-auth-update --enable kakogawa
# After the primary block's pam_permit: a pam_unix success jumps to it,
# so nothing reaches the end of auth without passing pam_kakogawa.
tap_check "common-auth runs pam_kakogawa after the primary block, required" \
    awk '/^auth.*pam_permit\.so/ { p = 1 }
	p && /^auth[ \t]+required[ \t]+pam_kakogawa\.so second_factor_only/ { ok = 1 }
	END { exit !ok }' /etc/pam.d/common-auth
tap_check "common-account requires pam_kakogawa" \
    grep -Eq '^account[[:space:]]+required[[:space:]]+pam_kakogawa\.so' \
    /etc/pam.d/common-account

# ---- logins through the system's "login" stack ----------------------------

# A code for a step with at least 3 s left, so it cannot expire mid-login.
fresh_code() {
	while [ $(( 30 - $(date +%s) % 30 )) -lt 3 ]; do sleep 1; done
	oathtool --totp -b "$secret"
}

# pamtester answers the prompts in order: the password, then the code.
login() {
	printf '%s\n%s\n' "$password" "$1" |
	    pamtester -I rhost=127.0.0.1 login "$user" authenticate acct_mgmt \
	    > "$tmp/login.log" 2>&1
}

code=$(fresh_code)
wrong=$(printf '%06d' $(( (10#$code + 1) % 1000000 )))
if login "$wrong"; then
	tap_not_ok "the right password and a wrong code are refused"
	tap_diag < "$tmp/login.log"
else
	tap_ok "the right password and a wrong code are refused"
fi
if login "$code"; then
	tap_ok "the right password and code log in through common-auth/account"
else
	tap_not_ok "the right password and code log in through common-auth/account"
	tap_diag < "$tmp/login.log"
fi
if login "$code"; then
	tap_not_ok "the same code again is refused (replay)"
else
	tap_ok "the same code again is refused (replay)"
fi
tap_check "each decision is in the audit trail, which verifies" \
    sh -c "kakogawa-enroll audit verify >/dev/null &&
	test \$(kakogawa-enroll audit export | grep -c '$user') -ge 3"

tap_check "pam-auth-update --disable kakogawa" \
    pam-auth-update --disable kakogawa
tap_check "disabling gave back the PAM stacks as they were" \
    sh -c "cd /etc/pam.d && md5sum ./* | cmp -s - '$tmp/pam.before'"

# ---- purge, not asked to remove the store --------------------------------

apt-get purge -y -q libpam-kakogawa kakogawa-enroll > "$tmp/apt.log" 2>&1
tap_check "purge removes the module, the profile and the conffile" \
    sh -c "! test -e '$module' && ! test -e /usr/share/pam-configs/kakogawa &&
	! test -e /etc/security/kakogawa.conf"
tap_check "purge keeps the store and its key unless asked (debconf default)" \
    test -f /var/lib/kakogawa/store.db -a -f /etc/security/kakogawa.key

# ---- again: purged while enabled, the store's removal asked for ----------

tap_check "reinstall over the kept store" install_debs
tap_check "pam-auth-update --enable kakogawa (again)" \
    pam-auth-update --enable kakogawa
echo "libpam-kakogawa libpam-kakogawa/purge_store boolean true" |
    debconf-set-selections && preseeded=1
apt-get purge -y -q libpam-kakogawa kakogawa-enroll > "$tmp/apt.log" 2>&1
tap_check "purge with the removal asked for removes the store and its key" \
    sh -c "! test -e /var/lib/kakogawa && ! test -e /etc/security/kakogawa.key"
tap_check "purging while enabled gave back the PAM stacks as they were" \
    sh -c "cd /etc/pam.d && md5sum ./* | cmp -s - '$tmp/pam.before'"
tap_check "the answer does not outlive the purge it was for" \
    sh -c "! debconf-show libpam-kakogawa 2>/dev/null | grep -q 'purge_store: true'"

tap_status
