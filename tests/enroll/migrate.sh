#!/bin/sh
# kakogawa-enroll migrate through the built tool: a SQLite store whose
# people hold every kind of field (password, TOTP with a used step and a
# drift, a pending TOTP, security keys, backup and temp codes, lock,
# disabled, role, expiry, last login) copied into a private directory
# (tests/ldap/with-slapd, re-run under it when not there yet) and back
# into a fresh SQLite store: list and show the same through every config;
# the watermark kept; secrets never in clear (tool output, directory);
# refused, changing nothing, when someone is already there or the key
# files differ; both trails record the run.
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
if [ -z "${KGW_LDAP_URI:-}" ]; then
	"$here/../ldap/with-slapd" sh "$here/migrate.sh" "$@"
	st=$?
	[ "$st" = 77 ] && tap_skip_all "slapd or ldap-utils missing"
	exit "$st"
fi
for t in oathtool sqlite3 base32 xxd; do
	command -v "$t" >/dev/null 2>&1 || tap_skip_all "no $t"
done
. "$here/lib.sh"
umask 077

tap_plan 22

# conf_for NAME [DIRECTORY]: $tmp/NAME.conf, its store $tmp/NAME.db, the
# key $tmp/NAME.key; a directory's lines come before any [zone].
conf_for() {
	{
		echo "store = $tmp/$1.db"
		echo "key = $tmp/$1.key"
		echo "host_zone = lgwan"
		if [ "${2:-}" = directory ]; then
			echo "directory = $KGW_LDAP_URI"
			echo "directory_base = $KGW_LDAP_STAFF"
			echo "directory_bind_dn = $KGW_LDAP_HELPDESK_DN"
			echo "directory_bind_password_file = $KGW_LDAP_HELPDESK_PWFILE"
			echo "directory_tls = none"
			echo "directory_timeout = 2000"
		fi
		cat <<-CONF
		[zone mynumber]
		networks = 10.1.0.0/16
		[zone lgwan]
		networks = 10.2.0.0/16
		backup_codes = yes
		[zone internet]
		networks = 10.3.0.0/16
		[role admin]
		factors = totp
		CONF
	} >"$tmp/$1.conf"
}
# deploy NAME [DIRECTORY]: the config, the city key shared first (a new
# key otherwise: NAME=other), then init makes the store or the trail.
deploy() {
	conf_for "$@"
	if [ "$1" != src ] && [ "$1" != other ]; then
		cp "$tmp/src.key" "$tmp/$1.key"
	fi
	"$enroll" --config "$tmp/$1.conf" init >/dev/null 2>&1
}
# on NAME ARGS...: the tool on that deployment, into $out and $err.
on() {
	c=$1
	shift
	"$enroll" --config "$tmp/$c.conf" "$@" </dev/null >"$out" 2>"$err"
	rc=$?
}
in_on() {	# in_on INPUT NAME ARGS...: the same, INPUT on stdin
	i=$1
	c=$2
	shift 2
	printf '%s\n' "$i" | "$enroll" --config "$tmp/$c.conf" "$@" \
	    >"$out" 2>"$err"
	rc=$?
}
entry() {	# the directory's entry of $1, as the helpdesk reads it
	ldapsearch -LLL -x -H "$KGW_LDAP_URI" -D "$KGW_LDAP_HELPDESK_DN" \
	    -y "$KGW_LDAP_HELPDESK_PWFILE" -b "uid=$1,$KGW_LDAP_STAFF" \
	    -s base '*' 2>&1
}
everyone() {	# every person's entry under the base
	ldapsearch -LLL -x -H "$KGW_LDAP_URI" -D "$KGW_LDAP_HELPDESK_DN" \
	    -y "$KGW_LDAP_HELPDESK_PWFILE" -b "$KGW_LDAP_STAFF" -s one \
	    '(objectClass=kgwStaff)' '*' 2>&1
}
sq() {	# sq NAME SQL: the store file of NAME, through the sqlite3 CLI
	sqlite3 "$tmp/$1.db" "$2"
}
# list --json and show --json (without the trail's changes) of NAME.
views() {
	"$enroll" --config "$tmp/$1.conf" --json list </dev/null
	for u in alice bob carol; do
		"$enroll" --config "$tmp/$1.conf" --json show "$u" </dev/null |
		    sed 's/,"changes":.*//'
	done
}

secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
pending=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
tap_secret "$secret" "$pending" "$pw"
secret_hex=$(printf '%s' "$secret" | base32 -d | xxd -p -u | tr -d '\n')

tap_check "a SQLite deployment" deploy src
# alice: a permanent password, TOTP with a drift and a used step, codes,
# a role, an expiry, two security keys (one flagged), a last login.
in_on "$pw" src add alice --zones lgwan,internet --role admin \
    --expires 2099-03-31 --password-stdin --permanent
in_on "$secret" src totp alice --secret --show none
t=$(($(date +%s) + 90))
c1=$(oathtool --totp -b "$secret" -N "@$t")
c2=$(oathtool --totp -b "$secret" -N "@$((t + 30))")
tap_secret "$c1" "$c2"
printf '%s\n%s\n' "$c1" "$c2" | "$enroll" --config "$tmp/src.conf" \
    resync alice >/dev/null 2>&1
on src backup-codes alice --count 5
grep -Eo '[0-9A-Z]{4}(-[0-9A-Z]{4}){3}' "$out" | while read -r c; do
	tap_secret "$c"
done
on src temp-code alice --ttl 2h
grep -Eo '[0-9A-Z]{4}(-[0-9A-Z]{4}){3}' "$out" | while read -r c; do
	tap_secret "$c"
done
now=$(date +%s)
sq src "INSERT INTO fido2 (user, label, cred_id, sealed, aaguid,
    sign_count, flagged, created, last_used) VALUES
    ('alice', 'desk', randomblob(64), randomblob(120), randomblob(16), 41,
    0, $now - 1000, $now - 100),
    ('alice', 'spare', randomblob(32), randomblob(120), randomblob(16), 9,
    1, $now - 900, 0);
    UPDATE users SET last_login = $now - 50, last_from = '10.2.0.7',
    fails_since = 2 WHERE name = 'alice';"
# bob: a temporary password, a pending TOTP, disabled, locked by failures.
in_on "$pw" src add bob --zones mynumber --password-stdin
in_on "$pending" src totp bob --secret --verify --show none
on src disable bob
sq src "UPDATE users SET fail_count = 5, locked_until = $((now + 3600)),
    fails_since = 5 WHERE name = 'bob'"
# carol: zones alone.
on src add carol --zones mynumber,lgwan
step=$(sq src "SELECT totp_last_step FROM users WHERE name = 'alice'")
views src >"$tmp/src.views"
check "the source holds every kind of field" '[ "$step" -gt 0 ] &&
	grep -qF "\"user\":\"alice\",\"disabled\":false" "$tmp/src.views" &&
	grep -q "\"offset\":[1-9]" "$tmp/src.views" &&
	grep -qF "\"backup_codes\":5" "$tmp/src.views" &&
	grep -qF "\"totp_pending\":true" "$tmp/src.views" &&
	grep -qF "\"flagged\":true" "$tmp/src.views" &&
	grep -qF "\"locked\":true" "$tmp/src.views" &&
	grep -qF "\"role\":\"admin\"" "$tmp/src.views" &&
	grep -qF "\"password_temporary\":true" "$tmp/src.views"'

tap_check "a directory deployment, the city key shared" deploy dir directory
on src migrate --to "$tmp/dir.conf" --dry-run
check "--dry-run: the plan, nothing written" '[ "$rc" = 0 ] &&
	grep -qF "would migrate 3 people (2 security keys, 6 recovery codes, 1 pending TOTP)" "$out" &&
	! everyone | grep -q "^dn: uid="'
on src migrate --to "$tmp/dir.conf"
cp "$out" "$tmp/migrate.out"
cat "$err" >>"$tmp/migrate.out"
check "migrate into the directory" '[ "$rc" = 0 ] &&
	grep -qF "migrated 3 people (2 security keys, 6 recovery codes, 1 pending TOTP)" "$out" &&
	[ "$(everyone | grep -c "^dn: uid=")" = 3 ]'
views dir >"$tmp/dir.views"
check "list and show through the directory: as through the SQLite store" \
	'cmp -s "$tmp/src.views" "$tmp/dir.views"'
if ! cmp -s "$tmp/src.views" "$tmp/dir.views"; then
	diff "$tmp/src.views" "$tmp/dir.views" | tap_diag
fi
check "the watermark and the counts, as stored in the directory" \
	'entry alice | grep -qx "kgwTotpLastStep: $step" &&
	entry bob | grep -qx "kgwFailCount: 5" &&
	entry bob | grep -qx "kgwDisabled: TRUE" &&
	[ "$(entry alice | grep -c "^kgwRecoveryCode:")" = 6 ]'
cu_src=$(sq src "SELECT created || ' ' || updated FROM users
    WHERE name = 'carol'")
cu_dir="$(entry carol | sed -n 's/^kgwCreated: //p') $(entry carol |
    sed -n 's/^kgwUpdated: //p')"
check "created and updated kept" '[ -n "$cu_src" ] && [ "$cu_src" = "$cu_dir" ]'
everyone >"$tmp/entries"
check "the secrets are not in clear in the directory" \
	'! grep -qiF "$secret" "$tmp/entries" &&
	! grep -qiF "$secret_hex" "$tmp/entries" &&
	! grep -qF "$pending" "$tmp/entries" &&
	! grep -qF "$pw" "$tmp/entries" && grep -q "^kgwTotpSecret::" "$tmp/entries"'
check "nor in the tool's output" \
	'! grep -qF "$secret" "$tmp/migrate.out" &&
	! grep -qF "$pending" "$tmp/migrate.out" &&
	! grep -qF "$secret_hex" "$tmp/migrate.out"'
on dir --json audit export --format json
check "the directory's trail: one migrate record a person, by the operator" \
	'[ "$rc" = 0 ] &&
	[ "$(grep -o "\"action\":\"migrate\",\"detail\":\"from=$tmp/src.conf\"" "$out" | wc -l)" = 3 ] &&
	grep -qF "\"operator\":\"$operator\",\"action\":\"migrate\"" "$out"'
on src --json audit export --format json
check "the source's trail: one note for the run" \
	'[ "$(grep -o "\"action\":\"migrate\",\"detail\":\"to=$tmp/dir.conf people=3\"" "$out" | wc -l)" = 1 ]'
on dir audit verify
check "both trails verify" '[ "$rc" = 0 ] &&
	"$enroll" --config "$tmp/src.conf" audit verify >/dev/null 2>&1'

# Once more: everyone is there already; and with a new person, dave.
everyone >"$tmp/before"
on src add dave --zones lgwan
on src migrate --to "$tmp/dir.conf"
everyone >"$tmp/after"
check "migrate into a directory where they are: refused, nothing changed" \
	'[ "$rc" = 1 ] && [ ! -s "$out" ] &&
	grep -qF "alice is already in the destination" "$err" &&
	grep -qF "nothing changed" "$err" && cmp -s "$tmp/before" "$tmp/after"'
on src migrate --to "$tmp/dir.conf" --dry-run
check "--dry-run says so too" '[ "$rc" = 1 ] &&
	grep -qF "carol is already in the destination" "$err"'
on src delete dave

tap_check "a deployment with a key of its own" deploy other
on src migrate --to "$tmp/other.conf"
check "another key file: refused, nothing written" '[ "$rc" = 1 ] &&
	grep -qF "the key files differ" "$err" &&
	[ "$(sq other "SELECT count(*) FROM users")" = 0 ]'
on src migrate --to "$tmp/src.conf"
check "the same store on both sides: refused" '[ "$rc" = 1 ] &&
	grep -qF "name the same store" "$err"'

# And back, from the directory into a fresh SQLite store.
tap_check "a fresh SQLite deployment, the key shared" deploy back
on dir --json migrate --to "$tmp/back.conf"
check "migrate from the directory, --json" '[ "$rc" = 0 ] &&
	grep -qF "\"dry_run\":false,\"people\":3,\"fido2_keys\":2,\"recovery_codes\":6,\"totp_pending\":1}" "$out"'
views back >"$tmp/back.views"
check "list and show back in SQLite: identical" \
	'cmp -s "$tmp/src.views" "$tmp/back.views"'
if ! cmp -s "$tmp/src.views" "$tmp/back.views"; then
	diff "$tmp/src.views" "$tmp/back.views" | tap_diag
fi
row='SELECT name, disabled, pwhash, hex(totp_secret), totp_alg, totp_digits,
    totp_last_step, fail_count, locked_until, created, updated, zones,
    totp_drift, totp_drift_base, role, expires, pw_temporary, last_login,
    last_from, fails_since FROM users ORDER BY name;
    SELECT user, label, hex(cred_id), hex(sealed), hex(aaguid), sign_count,
    flagged, created, last_used FROM fido2 ORDER BY user, label;
    SELECT user, hex(hash) FROM backup_codes WHERE used = 0
    ORDER BY user, hash;
    SELECT user, hex(hash), expires FROM temp_codes WHERE used = 0;
    SELECT user, hex(secret), alg, digits, created FROM totp_pending;'
check "every row, byte for byte (secrets sealed as they were)" \
	'[ "$(sq src "$row")" = "$(sq back "$row")" ]'

tap_status
