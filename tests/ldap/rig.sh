#!/bin/bash
# The LDAP test rig (tests/ldap/slapd.sh) and the access control shipped in
# ldap/acl.ldif.in, proven with the OpenLDAP tools against a private
# provider and replica: the schema loads; the helpdesk enrols; a host
# reads and moves only the login state, atomically (increment with
# post-read, assertion, delete-old + add-new); replication, referrals,
# TLS; a provider restart keeps the data; with-slapd leaves nothing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/slapd.sh"

kgw_slapd_available || tap_skip_all "slapd or ldap-utils not installed"

tmp=$(mktemp -d /tmp/kgw-ldap-rig.XXXXXX)
cleanup() {
	kgw_slapd_down
	tap_keep "$tmp/run/provider/slapd.log" "$tmp/run/replica/slapd.log"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

now() { date +%s%N; }
ms() { echo "$(( ($2 - $1) / 1000000 )) ms"; }

tap_plan 50

t0=$(now)
kgw_slapd_init "$tmp/run" && kgw_slapd_provider_setup
tap_check "provider set up (CA, cn=config with the schema and ACL, seed)" [ $? = 0 ]
t1=$(now)
kgw_slapd_provider_start
tap_check "provider answers on its ldap:// port" [ $? = 0 ]
t2=$(now)
kgw_slapd_replica_setup && kgw_slapd_replica_start && kgw_slapd_export
tap_check "replica set up and answers" [ $? = 0 ]
t3=$(now)
echo "setup $(ms "$t0" "$t1"), provider start $(ms "$t1" "$t2"), replica setup+start $(ms "$t2" "$t3")" | tap_diag
tap_secret "$(cat "$KGW_LDAP_HOST1_PWFILE")" "$(cat "$KGW_LDAP_HOST2_PWFILE")" \
	"$(cat "$KGW_LDAP_HELPDESK_PWFILE")" "$(cat "$KGW_LDAP_REPLICATOR_PWFILE")"

# ---- helpers -------------------------------------------------------------

dn_of() {
	case $1 in
	host1) echo "$KGW_LDAP_HOST1_DN" ;;
	host2) echo "$KGW_LDAP_HOST2_DN" ;;
	helpdesk) echo "$KGW_LDAP_HELPDESK_DN" ;;
	esac
}
pw_of() {
	case $1 in
	host1) echo "$KGW_LDAP_HOST1_PWFILE" ;;
	host2) echo "$KGW_LDAP_HOST2_PWFILE" ;;
	helpdesk) echo "$KGW_LDAP_HELPDESK_PWFILE" ;;
	esac
}
# bind_args WHO: simple bind options (nothing for anonymous).
bind_args() {
	[ "$1" = anonymous ] && return 0
	printf '%s\n' -D "$(dn_of "$1")" -y "$(pw_of "$1")"
}
# modify WHO URI [OPTIONS] <LDIF: ldapmodify; its status is the LDAP
# result code; output in $tmp/out.
modify() {
	local who=$1 uri=$2
	shift 2
	local -a b
	mapfile -t b < <(bind_args "$who")
	ldapmodify -x -H "$uri" "${b[@]}" "$@" >"$tmp/out" 2>&1
}
# search WHO URI BASE [ARGS]: ldapsearch -LLL, output in $tmp/out.
search() {
	local who=$1 uri=$2 base=$3
	shift 3
	local -a b
	mapfile -t b < <(bind_args "$who")
	ldapsearch -x -H "$uri" "${b[@]}" -b "$base" -LLL -o ldif-wrap=no \
		"$@" >"$tmp/out" 2>&1
}
# expect RC DESCRIPTION WHO [OPTIONS] <LDIF: one result from a modify
# on the provider.
expect() {
	local want=$1 desc=$2 who=$3 rc
	shift 3
	modify "$who" "$KGW_LDAP_URI" "$@"
	rc=$?
	if [ "$rc" = "$want" ]; then
		tap_ok "$desc"
	else
		tap_not_ok "$desc (result $rc, expected $want)"
		tap_diag <"$tmp/out"
	fi
}
# has WHO DN ATTR: VALUE: the line is in what WHO reads of DN.
has() {
	search "$1" "$KGW_LDAP_URI" "$2" -s base '*' &&
		grep -qxF "$3" "$tmp/out"
}

alice=uid=alice,$KGW_LDAP_STAFF
bob=uid=bob,$KGW_LDAP_STAFF
b64() { head -c "$1" /dev/urandom | base64 -w0; }
code1=$(b64 24)
code2=$(b64 24)

# ---- schema and enrolment ------------------------------------------------

search anonymous "$KGW_LDAP_URI" cn=Subschema -s base objectClasses
tap_check "the schema is loaded (kgwStaff in the subschema)" \
	grep -q "NAME 'kgwStaff'" "$tmp/out"

expect 0 "the helpdesk adds a staff entry (account + kgwStaff)" helpdesk -a <<EOF
dn: $alice
objectClass: account
objectClass: kgwStaff
uid: alice
kgwZones: mynumber
kgwPasswordHash: \$y\$j9T\$placeholder\$hash
kgwTotpSecret:: $(b64 48)
kgwTotpAlg: 0
kgwTotpDigits: 6
kgwTotpLastStep: -1
kgwFailCount: 0
kgwFailsSince: 0
kgwLockedUntil: 0
kgwCreated: $(date +%s)
kgwFido2Key:: $(b64 64)
kgwRecoveryCode:: $code1
kgwRecoveryCode:: $code2
EOF

has host1 "$alice" "kgwTotpLastStep: -1" && grep -q '^kgwTotpSecret::' "$tmp/out"
tap_check "host1 reads the entry" [ $? = 0 ]

# ---- what a host may and may not write -----------------------------------

expect 0 "host1 replaces kgwTotpLastStep, kgwFailCount, kgwLockedUntil, kgwLastLogin, kgwLastFrom" host1 <<EOF
dn: $alice
changetype: modify
replace: kgwTotpLastStep
kgwTotpLastStep: 5
-
replace: kgwFailCount
kgwFailCount: 0
-
replace: kgwLockedUntil
kgwLockedUntil: 0
-
replace: kgwLastLogin
kgwLastLogin: $(date +%s)
-
replace: kgwLastFrom
kgwLastFrom: 192.0.2.7
EOF

for attr in "kgwTotpSecret:: $(b64 48)" "kgwZones: mynumber,lgwan" \
	"kgwPasswordHash: x" "kgwDisabled: FALSE" "kgwFido2Key:: $(b64 64)"; do
	expect 50 "host1 may not change ${attr%%:*} (50)" host1 <<-EOF
	dn: $alice
	changetype: modify
	replace: ${attr%%:*}
	$attr
	EOF
done

expect 50 "host1 may not add a kgwRecoveryCode value (50)" host1 <<EOF
dn: $alice
changetype: modify
add: kgwRecoveryCode
kgwRecoveryCode:: $(b64 24)
EOF
expect 50 "host1 may not delete all of kgwRecoveryCode at once (50)" host1 <<EOF
dn: $alice
changetype: modify
delete: kgwRecoveryCode
EOF
expect 0 "host1 deletes the kgwRecoveryCode value it used" host1 <<EOF
dn: $alice
changetype: modify
delete: kgwRecoveryCode
kgwRecoveryCode:: $code1
EOF
expect 16 "host2 deleting the same code loses (16, no such value)" host2 <<EOF
dn: $alice
changetype: modify
delete: kgwRecoveryCode
kgwRecoveryCode:: $code1
EOF
expect 50 "a host may not add a person (50)" host1 -a <<EOF
dn: $bob
objectClass: account
objectClass: kgwStaff
uid: bob
kgwZones: mynumber
kgwTotpLastStep: -1
kgwFailCount: 0
kgwFailsSince: 0
kgwLockedUntil: 0
kgwCreated: 0
EOF
expect 50 "a host may not delete a person (50)" host1 <<EOF
dn: $alice
changetype: delete
EOF
expect 0 "the helpdesk adds a second person" helpdesk -a <<EOF
dn: $bob
objectClass: account
objectClass: kgwStaff
uid: bob
kgwZones: lgwan
kgwTotpLastStep: -1
kgwFailCount: 0
kgwFailsSince: 0
kgwLockedUntil: 0
kgwCreated: 0
EOF
expect 0 "the helpdesk deletes a person" helpdesk <<EOF
dn: $bob
changetype: delete
EOF

# ---- who reads what -------------------------------------------------------

search host1 "$KGW_LDAP_URI" "$KGW_LDAP_HOST2_DN" -s base userPassword
tap_check "host1 cannot read host2's entry or userPassword" \
	eval '! grep -qi "^userPassword" "$tmp/out"'
search host1 "$KGW_LDAP_URI" "$KGW_LDAP_HELPDESK_DN" -s base userPassword
tap_check "host1 cannot read the helpdesk's userPassword" \
	eval '! grep -qi "^userPassword" "$tmp/out"'
search host1 "$KGW_LDAP_URI" "$KGW_LDAP_HOST1_DN" -s base userPassword
tap_check "host1 cannot read its own userPassword" \
	eval '! grep -qi "^userPassword" "$tmp/out"'
search anonymous "$KGW_LDAP_URI" "$KGW_LDAP_STAFF" -s sub '(uid=*)'
tap_check "anonymous reads no staff" eval '! grep -q "^dn:" "$tmp/out"'
search anonymous "$KGW_LDAP_URI" "$KGW_LDAP_BASE" -s sub
tap_check "anonymous reads nothing under the suffix" \
	eval '! grep -q "^dn:" "$tmp/out"'
out=$(ldapwhoami -x -H "$KGW_LDAP_URI" 2>&1)
tap_check "anonymous may bind" [ "$out" = anonymous ]
ldapwhoami -x -H "$KGW_LDAP_URI" -D "$KGW_LDAP_HOST1_DN" -w wrong >/dev/null 2>&1
tap_check "a wrong host password gets 49" [ $? = 49 ]

# ---- atomic updates --------------------------------------------------------

expect 0 "increment of kgwFailCount with post-read" host1 \
	-e '!postread=kgwFailCount' <<EOF
dn: $alice
changetype: modify
increment: kgwFailCount
kgwFailCount: 1
EOF
tap_check "the post-read control returns the new count (1)" \
	grep -qx 'kgwFailCount: 1' "$tmp/out"
tap_diag <"$tmp/out"

expect 0 "assertion true (kgwTotpLastStep<=6): replace to 7" host1 \
	-e '!assert=(kgwTotpLastStep<=6)' <<EOF
dn: $alice
changetype: modify
replace: kgwTotpLastStep
kgwTotpLastStep: 7
EOF
expect 122 "assertion false (kgwTotpLastStep<=6): refused (122)" host2 \
	-e '!assert=(kgwTotpLastStep<=6)' <<EOF
dn: $alice
changetype: modify
replace: kgwTotpLastStep
kgwTotpLastStep: 7
EOF
cas='changetype: modify
delete: kgwTotpLastStep
kgwTotpLastStep: 7
-
add: kgwTotpLastStep
kgwTotpLastStep: 8'
expect 0 "delete-old + add-new on kgwTotpLastStep: the first wins" host1 <<EOF
dn: $alice
$cas
EOF
expect 16 "delete-old + add-new: the second loses (16)" host2 <<EOF
dn: $alice
$cas
EOF

# ---- replication and referral ------------------------------------------

t0=$(now)
kgw_slapd_wait_replica "$alice" kgwTotpLastStep 8 2
tap_check "the write is on the replica within 2 s" [ $? = 0 ]
t1=$(now)
echo "replication delay (after the write returned): $(ms "$t0" "$t1")" | tap_diag
search host1 "$KGW_LDAP_REPLICA_URI" "$alice" -s base kgwFailCount
tap_check "host1 reads the entry from the replica" \
	grep -qx 'kgwFailCount: 1' "$tmp/out"
modify host1 "$KGW_LDAP_REPLICA_URI" <<EOF
dn: $alice
changetype: modify
replace: kgwFailCount
kgwFailCount: 0
EOF
rc=$?
tap_check "a write sent to the replica gets a referral (10)" [ "$rc" = 10 ]
tap_diag <"$tmp/out"

# ---- TLS -----------------------------------------------------------------

# LDAPNOINIT makes libldap ignore LDAPTLS_* too: these run without it,
# with HOME elsewhere so no ~/.ldaprc counts. The second CA is a stranger.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$tmp/other.key" -out "$tmp/other.pem" -days 1 \
	-subj "/CN=another CA" >/dev/null 2>&1
tls() {
	local ca=$1
	shift
	env -u LDAPNOINIT HOME="$tmp" LDAPTLS_CACERT="$ca" \
		LDAPTLS_REQCERT=demand ldapwhoami -x \
		-D "$KGW_LDAP_HOST1_DN" -y "$KGW_LDAP_HOST1_PWFILE" "$@" \
		>"$tmp/out" 2>&1
}
tap_check "ldaps:// with the test CA" tls "$KGW_LDAP_CA" -H "$KGW_LDAPS_URI"
tap_check "ldaps:// with another CA fails" \
	eval '! tls "$tmp/other.pem" -H "$KGW_LDAPS_URI"'
tap_check "StartTLS (-ZZ) on the ldap:// port with the test CA" \
	tls "$KGW_LDAP_CA" -ZZ -H "$KGW_LDAP_URI"
tap_check "StartTLS with another CA fails" \
	eval '! tls "$tmp/other.pem" -ZZ -H "$KGW_LDAP_URI"'
tap_check "ldaps:// on the replica with the test CA" \
	tls "$KGW_LDAP_CA" -H "$KGW_LDAPS_REPLICA_URI"

# ---- provider restart ------------------------------------------------------

kgw_slapd_provider_stop
tap_check "provider stopped: its port is closed" \
	eval '! kgw_slapd_ping "$KGW_LDAP_URI"'
t0=$(now)
kgw_slapd_provider_start
t1=$(now)
has host1 "$alice" "kgwTotpLastStep: 8"
tap_check "provider restarted ($(ms "$t0" "$t1")) with its data" [ $? = 0 ]
expect 0 "a host writes after the restart" host1 <<EOF
dn: $alice
changetype: modify
replace: kgwLockedUntil
kgwLockedUntil: 42
EOF
t0=$(now)
kgw_slapd_wait_replica "$alice" kgwLockedUntil 42 5
tap_check "the replica reconnects and gets it" [ $? = 0 ]
t1=$(now)
echo "replica caught up $(ms "$t0" "$t1") after the write" | tap_diag

# ---- limits ----------------------------------------------------------------

# More people than the default size limit (500): the helpdesk's paged list
# (kakogawa-enroll list) gets them all (olcLimits size.prtotal=unlimited);
# any other search keeps the limit.
for i in $(seq 1 600); do
	printf 'dn: uid=p%04d,%s\nobjectClass: account\nobjectClass: kgwStaff\nuid: p%04d\nkgwTotpLastStep: -1\nkgwFailCount: 0\nkgwFailsSince: 0\nkgwLockedUntil: 0\nkgwCreated: 0\n\n' \
		"$i" "$KGW_LDAP_STAFF" "$i"
done >"$tmp/many.ldif"
modify helpdesk "$KGW_LDAP_URI" -a -f "$tmp/many.ldif" || tap_diag <"$tmp/out"
search helpdesk "$KGW_LDAP_URI" "$KGW_LDAP_STAFF" -s one \
	-E pr=200/noprompt '(objectClass=kgwStaff)' 1.1
rc=$?
n=$(grep -c '^dn:' "$tmp/out")
[ "$rc" = 0 ] && [ "$n" = 601 ]
tap_check "the helpdesk's paged search lists all 601 people (got $n, result $rc)" \
	[ $? = 0 ]
search helpdesk "$KGW_LDAP_URI" "$KGW_LDAP_STAFF" -s one \
	'(objectClass=kgwStaff)' 1.1
rc=$?
n=$(grep -c '^dn:' "$tmp/out")
[ "$rc" = 4 ] && [ "$n" = 500 ]
tap_check "the helpdesk's search without paging stops at 500 (got $n, result $rc)" \
	[ $? = 0 ]
search host1 "$KGW_LDAP_URI" "$KGW_LDAP_STAFF" -s one \
	-E pr=200/noprompt '(objectClass=kgwStaff)' 1.1
rc=$?
n=$(grep -c '^dn:' "$tmp/out")
[ "$rc" = 4 ] && [ "$n" = 500 ]
tap_check "a host's paged search stops at 500 (got $n, result $rc)" \
	[ $? = 0 ]

# ---- what the lead asked ---------------------------------------------------

search anonymous "$KGW_LDAP_URI" "" -s base supportedExtension supportedFeatures
if grep -qx 'supportedExtension: 1.3.6.1.1.21.1' "$tmp/out"; then
	echo "slapd $("$KGW_SLAPD_BIN" -VV 2>&1 | sed -n 's/.*slapd \([0-9.][^ ]*\).*/\1/p') advertises LDAP transactions (supportedExtension 1.3.6.1.1.21.1)" | tap_diag
else
	echo "LDAP transactions (1.3.6.1.1.21.1) are not advertised" | tap_diag
fi
grep -qx 'supportedFeatures: 1.3.6.1.1.14' "$tmp/out" &&
	echo "modify-increment advertised (supportedFeatures 1.3.6.1.1.14)" | tap_diag

# ---- with-slapd ------------------------------------------------------------

"$here/with-slapd" bash -c 'cat "$KGW_LDAP_PROVIDER_PIDFILE" >"$1"; exit 7' \
	_ "$tmp/pid" 2>"$tmp/err"
rc=$?
tap_check "with-slapd exits with the program's status" [ "$rc" = 7 ]
tap_diag <"$tmp/err"
pid=$(cat "$tmp/pid" 2>/dev/null)
tap_check "with-slapd leaves no slapd running" \
	eval '[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null'

tap_status
