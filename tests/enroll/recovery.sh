#!/bin/sh
# kakogawa-enroll's recovery commands through the built tool in a
# throwaway deployment: backup-codes and temp-code (shown once, bounds,
# JSON, where they are taken), their revocation, totp --verify and
# --confirm (a new TOTP active only once a code matches), resync, and the
# changes recorded with the operator. Codes come from oathtool.
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
set -u
. "$(dirname "$0")/../lib.sh"
command -v oathtool >/dev/null 2>&1 || tap_skip_all "no oathtool"
. "$(dirname "$0")/lib.sh"

tap_plan 30

tap_check "a throwaway deployment with three zones" setup_three_zones
# lgwan takes backup codes; mynumber takes neither kind of code.
sed -i '/^\[zone lgwan\]/a backup_codes = yes' "$conf"
sed -i '/^\[zone mynumber\]/a temp_codes = no' "$conf"
kgw add alice --zones lgwan >/dev/null 2>&1
kgw add bob --zones mynumber >/dev/null 2>&1
secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
other=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
tap_secret "$secret" "$other"
code_at() {	# code_at SECRET UNIX_TIME
	oathtool --totp -b "$1" -N "@$2"
}
# The codes the last run showed, registered for secrets_scan.sh.
keep_codes() {
	grep -Eo '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' "$out" |
	    while read -r c; do tap_secret "$c"; done
}

kgw_run backup-codes alice
codes=$(grep -Eo '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' "$out")
keep_codes
check "backup-codes: ten codes of 16 symbols, and where they are taken" \
	'[ "$rc" = 0 ] && [ "$(echo "$codes" | wc -l)" = 10 ] &&
	[ "$(echo "$codes" | sort -u | wc -l)" = 10 ] &&
	! echo "$codes" | grep -q "[ILOU]" &&
	grep -qF "Accepted in the zones: lgwan" "$out"'
kgw_run show alice
check "show: the count, never a code" '[ "$rc" = 0 ] &&
	grep -q "10 codes left" "$out" &&
	! grep -qF "$(echo "$codes" | head -n 1)" "$out" &&
	grep -q "backup_codes  count=10" "$out"'
kgw_run --json backup-codes alice --count 3
check "backup-codes --count 3 --json: three codes, the old set gone" \
	'[ "$rc" = 0 ] &&
	[ "$(grep -Eo "\"[0-9A-Z-]{19}\"" "$out" | wc -l)" = 3 ] &&
	grep -qF "\"action\":\"backup_codes\"" "$out" &&
	kgw --json show alice | grep -qF "\"backup_codes\":3"'
keep_codes
kgw_run backup-codes alice --count 0
check "backup-codes --count 0: a command line error" \
	'[ "$rc" = 2 ] && [ ! -s "$out" ]'
kgw_run backup-codes alice --count 21
check "backup-codes --count 21: a command line error" '[ "$rc" = 2 ]'
kgw_run backup-codes nobody
check "backup-codes for nobody: refused, no code shown" \
	'[ "$rc" = 1 ] && [ ! -s "$out" ] && grep -q "no such user" "$err"'
kgw_run backup-codes bob --count 1
check "backup-codes for a person whose zones take none: issued, with a note" \
	'[ "$rc" = 0 ] && grep -q "none of the zones of bob takes" "$err"'
keep_codes

kgw_run temp-code alice --ttl 2h
temp=$(grep -Eo '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' "$out")
tap_secret "$temp"
check "temp-code --ttl 2h: one code, until when" '[ "$rc" = 0 ] &&
	[ -n "$temp" ] && grep -q "It works once, until" "$out"'
now=$(date +%s)
kgw_run --json temp-code alice --ttl 90m
exp=$(grep -o '"expires":[0-9]*' "$out" | cut -d: -f2)
keep_codes
check "temp-code --json: the code and its end, 90 minutes on" \
	'[ "$rc" = 0 ] && [ "$exp" -ge $((now + 5400)) ] &&
	[ "$exp" -le $((now + 5410)) ] && grep -q "\"code\":\"" "$out"'
ttl_refused=
for ttl in 30s 25h 0m 1d abc 90 -1h 99999999999h; do
	kgw temp-code alice --ttl "$ttl" >/dev/null 2>&1
	[ $? = 2 ] || ttl_refused="$ttl_refused $ttl"
done
check "temp-code: a duration out of 1m..24h, or no duration, is refused" \
	'[ -z "$ttl_refused" ]'
kgw_run temp-code bob --ttl 1h
check "temp-code for a person whose zones take none: issued, with a note" \
	'[ "$rc" = 0 ] && grep -q "temp_codes in kakogawa.conf" "$err"'
keep_codes

kgw_run zone-check bob --host-zone mynumber
check "zone-check: bob's codes, not taken in mynumber: no_token" \
	'[ "$rc" = 1 ] && grep -q "^verdict: *deny (reason no_token)" "$out" &&
	grep -q "^recovery: *backup codes 1, temporary code yes; taken on this host: no" "$out"'
kgw_run zone-check alice --host-zone lgwan
check "zone-check: alice's codes, taken in lgwan" '[ "$rc" = 0 ] &&
	grep -q "taken on this host: yes" "$out"'
kgw_run revoke alice temp-code
check "revoke alice temp-code" '[ "$rc" = 0 ] &&
	grep -qF "revoked the temporary code of alice" "$out" &&
	kgw --json show alice | grep -qF "\"temp_code\":null"'
kgw_run revoke alice temp-code
check "revoke a temp-code that is not there: refused" \
	'[ "$rc" = 1 ] && grep -q "factor not enrolled" "$err"'
kgw_run --json revoke alice backup-codes
check "revoke alice backup-codes --json" '[ "$rc" = 0 ] &&
	grep -qF "\"action\":\"revoke_backup_codes\"" "$out" &&
	kgw --json show alice | grep -qF "\"backup_codes\":0"'
kgw_run revoke alice paper-codes
check "revoke an unknown kind: a command line error" '[ "$rc" = 2 ]'

# A new TOTP, pending until a code from the new device matches.
printf '%s\n' "$secret" | kgw totp alice --secret --show none >/dev/null 2>&1
kgw_run totp alice --verify --show uri
uri_secret=$(grep -o 'secret=[A-Z2-7]*' "$out" | cut -d= -f2)
tap_secret "$uri_secret"
check "totp --verify with no code: shown, pending, exit 1, old one active" \
	'[ "$rc" = 1 ] && [ -n "$uri_secret" ] &&
	grep -q "is not active" "$err" &&
	kgw --json show alice | grep -qF "\"totp_pending\":true" &&
	kgw show alice | grep -q "^pending:"'
code=$(code_at "$uri_secret" "$(date +%s)")
tap_secret "$code"
kgw_run totp alice --confirm </dev/null
check "totp --confirm with no code: still pending" '[ "$rc" = 1 ] &&
	kgw --json show alice | grep -qF "\"totp_pending\":true"'
printf '%s\n' "$code" | "$enroll" --config "$conf" totp alice --confirm \
    >"$out" 2>"$err"
rc=$?
check "totp --confirm with its code: active" '[ "$rc" = 0 ] &&
	grep -qF "TOTP verified and active for alice" "$out" &&
	kgw --json show alice | grep -qF "\"totp_pending\":false"'
kgw_run totp alice --confirm
check "totp --confirm with nothing pending: refused" '[ "$rc" = 1 ] &&
	grep -q "no TOTP waiting" "$err"'
kgw_run totp alice --confirm --digits 8
check "totp --confirm takes no other option" '[ "$rc" = 2 ]'
code=$(code_at "$other" "$(date +%s)")
printf '%s\n000000\n%s\n' "$other" "$code" |
    "$enroll" --config "$conf" --json totp alice --secret --verify \
    --show none >"$out" 2>"$err"
rc=$?
check "totp --secret --verify --json: pending, a wrong code, the right one" \
	'[ "$rc" = 0 ] && [ "$(wc -l <"$out")" = 2 ] &&
	head -n 1 "$out" | grep -qF "\"uri\":null,\"pending\":true}" &&
	tail -n 1 "$out" | grep -qxF "{\"user\":\"alice\",\"action\":\"totp_verify\",\"verified\":true}" &&
	grep -q "does not match" "$err"'
kgw_run totp alice --verify --show none
check "totp --verify with a secret neither shown nor given: refused" \
	'[ "$rc" = 2 ] && kgw --json show alice | grep -qF "\"totp_pending\":false"'

# A token 200 steps ahead, put right with two consecutive codes.
t=$(($(date +%s) + 6000))
c1=$(code_at "$other" "$t")
c2=$(code_at "$other" $((t + 30)))
tap_secret "$c1" "$c2"
printf '%s\n%s\n' "$c2" "$c1" | "$enroll" --config "$conf" resync alice \
    >"$out" 2>"$err"
rc=$?
check "resync with two codes out of order: refused" '[ "$rc" = 1 ] &&
	grep -q "not two consecutive codes" "$err"'
printf '%s\n%s\n' "$c1" "$c2" | "$enroll" --config "$conf" --json resync \
    alice >"$out" 2>"$err"
rc=$?
offset=$(grep -o '"offset":[0-9-]*' "$out" | cut -d: -f2)
check "resync: the token's offset, about 200 steps" '[ "$rc" = 0 ] &&
	[ "$offset" -ge 200 ] && [ "$offset" -le 202 ] &&
	kgw show alice | grep -q "^clock: .* +$offset steps"'
kgw_run resync bob </dev/null
check "resync of a person without TOTP: refused" \
	'[ "$rc" = 1 ] && grep -q "factor not enrolled" "$err"'

kgw_run show alice
check "every change recorded, with the operator" '[ "$rc" = 0 ] &&
	grep -q "$operator  backup_codes  count=3" "$out" &&
	grep -Eq "$operator  temp_code  expires=[0-9]+ ttl=(7199|7200)" "$out" &&
	grep -q "$operator  revoke:temp_code" "$out" &&
	grep -q "$operator  revoke:backup_codes" "$out" &&
	grep -q "$operator  totp_pending  alg=SHA1 digits=6" "$out" &&
	grep -q "$operator  totp  alg=SHA1 digits=6 verified" "$out" &&
	grep -q "$operator  resync  offset=+$offset" "$out"'
kgw_run audit verify
check "the audit trail verifies, and holds no code" '[ "$rc" = 0 ] &&
	! kgw audit export | grep -qF "$temp" &&
	! kgw audit export | grep -qF "$(echo "$codes" | head -n 1)"'

tap_status
