#!/bin/sh
# kakogawa-enroll check, the self-inspection, against crafted PAM stacks
# (--pam-dir), files and people: a clean host reports nothing and exits 0;
# each finding is reported with its severity and clause, and the exit
# status is 1 for warnings, 2 for anything critical.
# Needs no root; faketime(1) moves the clock for the unused-account case.
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

pam=$tmp/pam.d
mkdir "$pam"

# A service file from the lines given (one argument each).
service() {
	name=$1
	shift
	printf '%s\n' "$@" >"$pam/$name"
}

# The clean host: login and sshd use the module as they should.
clean() {
	service login "auth required pam_kakogawa.so" \
	    "account required pam_kakogawa.so"
	service common-auth "auth [success=1 default=ignore] pam_unix.so" \
	    "auth requisite pam_deny.so" "auth required pam_permit.so"
	service sshd "@include common-auth" "auth required pam_kakogawa.so" \
	    "account required pam_unix.so" "account required pam_kakogawa.so"
	rm -f "$pam/su"
}

inspect() {
	kgw_run check --only files,pam,policy --pam-dir "$pam"
}

tap_plan 22

tap_check "a throwaway deployment with three zones" setup_three_zones
kgw add alice --zones lgwan >/dev/null 2>&1
echo JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP |
	"$enroll" --config "$conf" totp alice --secret --show none >/dev/null 2>&1

clean
inspect
check "a clean host: no finding, exit 0" '[ "$rc" = 0 ] &&
	grep -qF "self-inspection of" "$out" && grep -qF ": 0 findings" "$out"'

service sshd "auth required pam_unix.so" "account required pam_kakogawa.so"
inspect
check "sshd without the module in auth: critical, exit 2" '[ "$rc" = 2 ] &&
	grep -qF "[critical] pam.sshd.missing (基本方針6(3)① 多要素認証)" "$out"'

service sshd "auth required pam_kakogawa.so" "account required pam_unix.so"
inspect
check "sshd without the module in account: SSH keys skip the zones" \
	'[ "$rc" = 2 ] && grep -qF "[critical] pam.sshd.account_missing" "$out"'

service sshd "auth sufficient pam_permit.so" "auth required pam_kakogawa.so" \
	"account required pam_kakogawa.so"
inspect
check "a sufficient module before it: skippable" '[ "$rc" = 2 ] &&
	grep -qF "sshd:1: pam_permit.so (sufficient) comes before" "$out"'

service sshd "auth [success=2 default=ignore] pam_unix.so" \
	"auth requisite pam_deny.so" "auth required pam_kakogawa.so" \
	"account required pam_kakogawa.so"
inspect
check "a jump over it: skippable (Debian's jump over pam_deny is not)" \
	'[ "$rc" = 2 ] && grep -qF "sshd:1: pam_unix.so ([success=2" "$out" &&
	! grep -qF "pam.login" "$out"'

service sshd "auth [success=ok default=1] pam_unix.so" \
	"auth required pam_kakogawa.so" "auth required pam_permit.so" \
	"account required pam_kakogawa.so"
inspect
check "a jump on failure over it: skippable too" '[ "$rc" = 2 ] &&
	grep -qF "sshd:1: pam_unix.so ([success=ok default=1])" "$out"'

service sshd "auth sufficient pam_rootok.so" "auth required pam_kakogawa.so" \
	"account required pam_kakogawa.so"
inspect
check "pam_rootok sufficient (root only): not a skip" '[ "$rc" = 0 ]'

service sshd "@include common-gone" "auth required pam_kakogawa.so" \
	"account required pam_kakogawa.so"
inspect
check "an include that is missing: cannot be judged, critical" \
	'[ "$rc" = 2 ] && grep -qF "[critical] pam.sshd.unreadable" "$out"'

kgw_run check --only files,pam,polcy
check "an unknown part of --only: a usage error" '[ "$rc" = 2 ] &&
	grep -qF "check: --only takes" "$err"'

service sshd "auth optional pam_kakogawa.so" "account required pam_kakogawa.so"
inspect
check "the module optional: its refusal would not count" '[ "$rc" = 2 ] &&
	grep -qF "[critical] pam.sshd.control" "$out"'

service common-kgw "auth required pam_unix.so nullok" \
	"auth required pam_kakogawa.so"
service sshd "auth include common-kgw" "account required pam_kakogawa.so"
inspect
check "through include: found; nullok: a warning, exit 1" '[ "$rc" = 1 ] &&
	grep -qF "[warning] pam.sshd.nullok" "$out" &&
	grep -qF "common-kgw:1: pam_unix.so lets an account with no password" "$out" &&
	! grep -qF "pam.sshd.missing" "$out"'

clean
service su "auth required pam_unix.so"
inspect
check "su without the module: a warning (1 finding, singular)" \
	'[ "$rc" = 1 ] && grep -qF "[warning] pam.su.missing" "$out" &&
	grep -qF ": 1 finding" "$out" && ! grep -qF ": 1 findings" "$out"'
rm -f "$pam/su"

kgw add bob --zones mynumber >/dev/null 2>&1
inspect
check "a person of mynumber with no second factor: critical" \
	'[ "$rc" = 2 ] && grep -qF "[critical] policy.no_second.bob" "$out"'
echo JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP |
	"$enroll" --config "$conf" totp bob --secret --show none >/dev/null 2>&1
inspect
check "... with a TOTP and no key: a warning" '[ "$rc" = 1 ] &&
	grep -qF "[warning] policy.no_key.bob" "$out" &&
	grep -qF "bob may log in to mynumber and has no security key" "$out"'
kgw disable bob >/dev/null 2>&1
inspect
check "... disabled: nothing to say" '[ "$rc" = 0 ]'

# libfaketime and a sanitizer's runtime deadlock at start: not under ASan.
if command -v faketime >/dev/null 2>&1 && [ "${KGW_SANITIZERS:-}" != yes ]; then
	faketime -f '+100d' "$enroll" --config "$conf" check --only policy \
	    >"$out" 2>"$err"
	rc=$?
	check "no login for more than 90 days: a warning" '[ "$rc" = 1 ] &&
		grep -qF "[warning] policy.unused.alice" "$out"'
else
	tap_ok "# SKIP no faketime, or a sanitizer build"
fi

chmod 666 "$tmp/kakogawa.key"
inspect
check "a key file others can write: critical" '[ "$rc" = 2 ] &&
	grep -qF "[critical] files.key" "$out"'
chmod 600 "$tmp/kakogawa.key"

sed -i 's/^host_zone = lgwan$//' "$conf"
inspect
check "no host_zone and no address in a zone: critical" '[ "$rc" = 2 ] &&
	grep -qF "[critical] policy.host_zone" "$out"'

# The Japanese is po/ja.po's, through gettext (the code holds English
# only): these fail when a translation is missing.
service sshd "auth required pam_unix.so" "account required pam_kakogawa.so"
kgw_run_ja check --only pam,policy --pam-dir "$pam"
check "in Japanese under a Japanese locale, from the catalogue" \
	'[ "$rc" = 2 ] && grep -qF "自己点検 " "$out" &&
	grep -qF ": 指摘 2 件" "$out" &&
	grep -qF "[critical] pam.sshd.missing (基本方針6(3)① 多要素認証)" "$out" &&
	grep -qF "sshd: auth スタックに pam_kakogawa.so がありません。ゾーン確認と多要素認証が行われません" "$out" &&
	grep -qF "このホストのゾーンが判別できません (host_zone を設定してください)" "$out" &&
	! grep -qF "self-inspection" "$out"'
clean

kgw_run_ja --json check --only policy
check "--json in Japanese: the same keys and ids, the text in Japanese" \
	'[ "$rc" = 2 ] &&
	grep -qF "{\"findings\":[{\"severity\":\"critical\",\"id\":\"policy.host_zone\",\"clause\":\"基本方針6(3)② 通信経路の分割\",\"text\":\"このホストのゾーンが判別できません" "$out"'

kgw_run --json check --only policy
check "--json: the findings with severity, id, clause, text" '[ "$rc" = 2 ] &&
	grep -qF "{\"findings\":[{\"severity\":\"critical\",\"id\":\"policy.host_zone\",\"clause\":\"基本方針6(3)② 通信経路の分割\",\"text\":\"this host" "$out"'

tap_status
