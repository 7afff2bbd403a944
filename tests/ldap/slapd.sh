# Private OpenLDAP directories for the tests: a provider and a read-only
# replica (syncrepl) on 127.0.0.1, with the shipped schema (ldap/schema2olc)
# and access control (ldap/acl.ldif.in), TLS from a test CA, and the
# identities a deployment has (hosts, a helpdesk operator, the replicator).
# Sourced by bash scripts, not run: . tests/ldap/slapd.sh
#
# Everything lives in one run directory; nothing outside it is touched and
# no root is needed. The slapd processes are children of the shell that
# started them (slapd -d 0, foreground), stopped with TERM and reaped.
#
# Functions (return non-zero and say why on stderr when they fail):
#   kgw_slapd_available        slapd, slapadd, slapmodify, slappasswd, the
#                              ldap-utils and openssl are installed
#   kgw_slapd_init DIR [BASE]  the run directory (made 0700 if missing), the
#                              CA and server certificate (once per DIR), the
#                              identities' random passwords; BASE defaults
#                              to dc=mynumber,dc=kakogawa,dc=example
#   kgw_slapd_provider_setup   provider's cn=config (slapadd -n0) and seed
#                              entries (slapadd, offline: no rootdn at all)
#   kgw_slapd_provider_start   starts it, on random ports the first time and
#                              on the same ports afterwards; waits until it
#                              answers; data kept across stop and start
#   kgw_slapd_provider_stop    TERM, then waits until it is gone
#   kgw_slapd_replica_setup    replica's cn=config (needs the provider's
#                              ports, so after the first provider start)
#   kgw_slapd_replica_start / kgw_slapd_replica_stop
#   kgw_slapd_up DIR [BASE]    all of the above: init, both set up and
#                              started, variables exported
#   kgw_slapd_down             stops whatever is running (for traps; safe to
#                              call twice, or before anything started)
#   kgw_slapd_export           exports the KGW_LDAP_* variables below
#   kgw_slapd_wait_replica DN ATTR VALUE [SECONDS]
#                              polls the replica until DN has ATTR=VALUE
#
# Exported (kgw_slapd_export):
#   KGW_LDAP_URI           provider, plain LDAP (StartTLS-capable)
#   KGW_LDAPS_URI          provider, LDAP over TLS
#   KGW_LDAP_REPLICA_URI   replica, plain LDAP (StartTLS-capable); it
#                          answers writes with a referral (10) to KGW_LDAP_URI
#   KGW_LDAPS_REPLICA_URI  replica, LDAP over TLS
#   KGW_LDAP_BASE          the suffix
#   KGW_LDAP_STAFF         ou=staff,<suffix>: the people's parent
#   KGW_LDAP_CA            PEM file of the test CA (the servers' certificate
#                          names IP 127.0.0.1 and DNS localhost)
#   KGW_LDAP_HOST1_DN, KGW_LDAP_HOST1_PWFILE   (and HOST2): host identities
#   KGW_LDAP_HELPDESK_DN, KGW_LDAP_HELPDESK_PWFILE
#   KGW_LDAP_REPLICATOR_DN, KGW_LDAP_REPLICATOR_PWFILE
#   KGW_LDAP_PROVIDER_PID  the provider's PID at the last start
#   KGW_LDAP_PROVIDER_PIDFILE  the file always holding the current one
#   KGW_LDAP_RUNDIR        the run directory
#   KGW_LDAP_CTL           tests/ldap/slapd-ctl, for programs that are not
#                          this shell: "$KGW_LDAP_CTL" stop-provider|start-provider
#   LDAPNOINIT=1           libldap ignores ldap.conf, ~/.ldaprc and LDAP*
#                          variables (LDAPTLS_CACERT too): pass TLS
#                          settings through ldap_set_option
# A password file holds the password alone, no trailing newline (what
# ldapsearch -y and ldap_sasl_bind read verbatim), mode 0600.

kgw_slapd_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kgw_slapd_top=$(cd "$kgw_slapd_lib/../.." && pwd)
KGW_SLAPD_BIN=${KGW_SLAPD_BIN:-/usr/sbin/slapd}
KGW_SLAPD_SCHEMADIR=${KGW_SLAPD_SCHEMADIR:-/etc/ldap/schema}
KGW_SLAPD_MODULEDIR=${KGW_SLAPD_MODULEDIR:-/usr/lib/ldap}
export LDAPNOINIT=1

kgw_slapd_available() {
	local t
	[ -x "$KGW_SLAPD_BIN" ] || return 1
	for t in slapadd slapmodify slappasswd; do
		[ -x "/usr/sbin/$t" ] || return 1
	done
	for t in ldapsearch ldapmodify ldapadd ldapwhoami openssl; do
		command -v "$t" >/dev/null 2>&1 || return 1
	done
	[ -r "$KGW_SLAPD_SCHEMADIR/cosine.ldif" ] &&
		[ -r "$KGW_SLAPD_MODULEDIR/back_mdb.la" ]
}

kgw_slapd_die() {
	echo "slapd.sh: $*" >&2
	return 1
}

# A random password of 24 characters from [A-Za-z0-9], written without a
# newline to a new 0600 file.
kgw_slapd_password() {
	local pw
	pw=$(head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
	(umask 077 && printf '%s' "$pw" >"$1")
}

# The test CA and one server certificate for 127.0.0.1 and localhost
# (P-256, two days), made once per run directory.
kgw_slapd_tls() {
	local d=$kgw_slapd_dir/tls
	[ -s "$d/server.pem" ] && return 0
	mkdir -p "$d" || return 1
	(
		umask 077
		cd "$d" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout ca.key -out ca.pem -days 2 \
			-subj "/CN=pam_kakogawa test CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout server.key -out server.csr \
			-subj "/CN=localhost" &&
		printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
			"basicConstraints=critical,CA:FALSE" \
			"keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" >server.ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -days 2 -extfile server.ext \
			-out server.pem &&
		chmod 644 ca.pem
	) >"$d/openssl.log" 2>&1 ||
		kgw_slapd_die "openssl failed: $(cat "$d/openssl.log")"
}

kgw_slapd_init() {
	local who
	kgw_slapd_dir=$1
	KGW_LDAP_BASE=${2:-dc=mynumber,dc=kakogawa,dc=example}
	KGW_LDAP_STAFF=ou=staff,$KGW_LDAP_BASE
	KGW_LDAP_HOST1_DN=cn=host1,ou=hosts,$KGW_LDAP_BASE
	KGW_LDAP_HOST2_DN=cn=host2,ou=hosts,$KGW_LDAP_BASE
	KGW_LDAP_HELPDESK_DN=cn=operator1,ou=helpdesk,$KGW_LDAP_BASE
	KGW_LDAP_REPLICATOR_DN=cn=replicator,ou=system,$KGW_LDAP_BASE
	KGW_LDAP_CA=$kgw_slapd_dir/tls/ca.pem
	KGW_LDAP_HOST1_PWFILE=$kgw_slapd_dir/pw/host1
	KGW_LDAP_HOST2_PWFILE=$kgw_slapd_dir/pw/host2
	KGW_LDAP_HELPDESK_PWFILE=$kgw_slapd_dir/pw/helpdesk
	KGW_LDAP_REPLICATOR_PWFILE=$kgw_slapd_dir/pw/replicator
	KGW_LDAP_PROVIDER_PIDFILE=$kgw_slapd_dir/provider/pid
	kgw_slapd_provider_pid=
	kgw_slapd_replica_pid=
	# Keep the state that another process (slapd-ctl) may change in files.
	mkdir -p "$kgw_slapd_dir/pw" || return 1
	chmod 700 "$kgw_slapd_dir" "$kgw_slapd_dir/pw" || return 1
	printf '%s\n' "$KGW_LDAP_BASE" >"$kgw_slapd_dir/base"
	kgw_slapd_tls || return 1
	for who in host1 host2 helpdesk replicator; do
		[ -s "$kgw_slapd_dir/pw/$who" ] ||
			kgw_slapd_password "$kgw_slapd_dir/pw/$who" || return 1
	done
}

# Re-reads a run directory made by kgw_slapd_init (for slapd-ctl).
kgw_slapd_attach() {
	[ -r "$1/base" ] || { kgw_slapd_die "$1: no run directory"; return 1; }
	kgw_slapd_init "$1" "$(cat "$1/base")" || return 1
	[ -r "$1/provider/pid" ] && kgw_slapd_provider_pid=$(cat "$1/provider/pid")
	[ -r "$1/replica/pid" ] && kgw_slapd_replica_pid=$(cat "$1/replica/pid")
	return 0
}

# cn=config common to both servers: modules, TLS, the schemas, an mdb
# database for the suffix (fsync off: tests only). $1: the instance
# directory; $2: extra attribute lines for the database (after the
# common ones).
kgw_slapd_config() {
	local d=$1 extra=$2 s
	cat <<-EOF
	dn: cn=config
	objectClass: olcGlobal
	cn: config
	olcLogLevel: none
	olcRootDSE: $d/rootdse.ldif
	olcTLSCACertificateFile: $kgw_slapd_dir/tls/ca.pem
	olcTLSCertificateFile: $kgw_slapd_dir/tls/server.pem
	olcTLSCertificateKeyFile: $kgw_slapd_dir/tls/server.key

	dn: cn=module{0},cn=config
	objectClass: olcModuleList
	cn: module{0}
	olcModulePath: $KGW_SLAPD_MODULEDIR
	olcModuleLoad: back_mdb
	olcModuleLoad: syncprov

	dn: cn=schema,cn=config
	objectClass: olcSchemaConfig
	cn: schema

	EOF
	for s in core cosine; do
		cat "$KGW_SLAPD_SCHEMADIR/$s.ldif" || return 1
		echo
	done
	"$kgw_slapd_top/ldap/schema2olc" "$kgw_slapd_top/ldap/kakogawa-schema.ldif" ||
		return 1
	cat <<-EOF

	# The root DSE and the subschema: anyone (clients look up controls
	# and extensions there). Appended to every database's rules; they
	# match nothing inside them.
	dn: olcDatabase={-1}frontend,cn=config
	objectClass: olcDatabaseConfig
	objectClass: olcFrontendConfig
	olcDatabase: {-1}frontend
	olcAccess: {0}to dn.base="" by * read
	olcAccess: {1}to dn.base="cn=Subschema" by * read

	dn: olcDatabase={0}config,cn=config
	objectClass: olcDatabaseConfig
	olcDatabase: {0}config
	olcAccess: {0}to * by * none

	dn: olcDatabase={1}mdb,cn=config
	objectClass: olcDatabaseConfig
	objectClass: olcMdbConfig
	olcDatabase: {1}mdb
	olcSuffix: $KGW_LDAP_BASE
	olcDbDirectory: $d/db
	olcDbNoSync: TRUE
	olcDbMaxSize: 104857600
	olcDbIndex: objectClass eq
	olcDbIndex: uid eq
	olcDbIndex: entryCSN eq
	olcDbIndex: entryUUID eq
	$extra
	EOF
}

# Builds DIR/slapd.d from config on stdin, then applies the shipped ACL
# as it ships (slapmodify -n0), so the tests prove the file itself.
kgw_slapd_build() {
	local d=$1
	rm -rf "$d"
	mkdir -p "$d/slapd.d" "$d/db" || return 1
	cat >"$d/config.ldif" || return 1
	# A token in the root DSE tells this instance from another test's
	# that may hold the port slapd failed to listen on.
	head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$d/token" &&
		printf 'dn:\ndescription: kgw-test-%s\n' "$(cat "$d/token")" \
			>"$d/rootdse.ldif" || return 1
	sed -e "s/@BASE@/$KGW_LDAP_BASE/g" -e 's/@DATABASE@/{1}mdb/g' \
		"$kgw_slapd_top/ldap/acl.ldif.in" >"$d/acl.ldif" || return 1
	{
		/usr/sbin/slapadd -n0 -F "$d/slapd.d" -l "$d/config.ldif" &&
		/usr/sbin/slapmodify -n0 -F "$d/slapd.d" -l "$d/acl.ldif"
	} >"$d/slapadd.log" 2>&1 ||
		kgw_slapd_die "config of $d: $(cat "$d/slapadd.log")"
}

kgw_slapd_hash() {
	/usr/sbin/slappasswd -h '{SSHA}' -T "$kgw_slapd_dir/pw/$1"
}

kgw_slapd_provider_setup() {
	local d=$kgw_slapd_dir/provider b=$KGW_LDAP_BASE who dn rdn
	local dc=${b%%,*}
	kgw_slapd_config "$d" "" | kgw_slapd_build "$d" || return 1
	# syncprov: the provider side of syncrepl. Checkpoint the context
	# CSN often and keep a session log, so a replica that reconnects
	# after a restart catches up without a full refresh.
	cat >"$d/syncprov.ldif" <<-EOF
	dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config
	objectClass: olcOverlayConfig
	objectClass: olcSyncProvConfig
	olcOverlay: {0}syncprov
	olcSpCheckpoint: 10 1
	olcSpSessionlog: 1000
	EOF
	# The seed: no rootdn exists, so slapadd writes it offline.
	{
		cat <<-EOF
		dn: $b
		objectClass: domain
		dc: ${dc#dc=}

		dn: ou=staff,$b
		objectClass: organizationalUnit
		ou: staff

		dn: ou=hosts,$b
		objectClass: organizationalUnit
		ou: hosts

		dn: ou=helpdesk,$b
		objectClass: organizationalUnit
		ou: helpdesk

		dn: ou=system,$b
		objectClass: organizationalUnit
		ou: system

		EOF
		for dn in "$KGW_LDAP_HOST1_DN:host1" "$KGW_LDAP_HOST2_DN:host2" \
			"$KGW_LDAP_HELPDESK_DN:helpdesk" \
			"$KGW_LDAP_REPLICATOR_DN:replicator"; do
			who=${dn##*:}
			dn=${dn%:*}
			rdn=${dn%%,*}
			printf '%s\n' "dn: $dn" "objectClass: applicationProcess" \
				"objectClass: simpleSecurityObject" "cn: ${rdn#cn=}" \
				"userPassword: $(kgw_slapd_hash "$who")" ""
		done
	} >"$d/seed.ldif" || return 1
	{
		/usr/sbin/slapadd -n0 -F "$d/slapd.d" -l "$d/syncprov.ldif" &&
		/usr/sbin/slapadd -q -w -F "$d/slapd.d" -b "$b" -l "$d/seed.ldif"
	} >>"$d/slapadd.log" 2>&1 ||
		kgw_slapd_die "seed of $d: $(cat "$d/slapadd.log")"
}

kgw_slapd_replica_setup() {
	local d=$kgw_slapd_dir/replica pw
	[ -s "$kgw_slapd_dir/provider/ports" ] ||
		{ kgw_slapd_die "replica before the provider's first start"; return 1; }
	pw=$(cat "$KGW_LDAP_REPLICATOR_PWFILE")
	# A consumer needs a rootdn (syncrepl writes as it); no password, so
	# no one binds as it. retry "1 +": back within a second of a
	# provider's restart. olcUpdateRef comes after olcSyncrepl.
	kgw_slapd_config "$d" "$(printf '%s\n' \
		"olcRootDN: cn=syncrepl,$KGW_LDAP_BASE" \
		"olcSyncrepl: rid=001 provider=$KGW_LDAP_URI type=refreshAndPersist retry=\"1 +\" timeout=3 network-timeout=3 searchbase=\"$KGW_LDAP_BASE\" bindmethod=simple binddn=\"$KGW_LDAP_REPLICATOR_DN\" credentials=$pw" \
		"olcUpdateRef: $KGW_LDAP_URI")" |
		kgw_slapd_build "$d"
}

# kgw_slapd_ping URI [TOKEN]: the root DSE answers (with that token: the
# server is the one expected). Bounded: a stranger on the port may accept
# and never answer.
kgw_slapd_ping() {
	local out
	out=$(timeout 2 ldapsearch -x -H "$1" -o nettimeout=1 -b "" -s base \
		-LLL description 2>/dev/null) || return 1
	[ -z "${2:-}" ] || [[ $out == *"description: kgw-test-$2"* ]]
}

# kgw_slapd_launch NAME: starts slapd for provider or replica on the ports
# in NAME/ports (chosen at random in 20000-31999 when the file is absent,
# and again when slapd cannot listen on them: another test took one).
kgw_slapd_launch() {
	local name=$1 d=$kgw_slapd_dir/$1 try i pid p1 p2 fresh=
	[ -s "$d/ports" ] || fresh=1
	for try in 1 2 3 4 5 6 7 8 9 10; do
		if [ -n "$fresh" ]; then
			p1=$((20000 + RANDOM % 12000))
			p2=$((20000 + RANDOM % 12000))
			[ "$p1" = "$p2" ] && continue
			echo "$p1 $p2" >"$d/ports"
		fi
		read -r p1 p2 <"$d/ports"
		"$KGW_SLAPD_BIN" -d 0 -F "$d/slapd.d" \
			-h "ldap://127.0.0.1:$p1/ ldaps://127.0.0.1:$p2/" \
			>>"$d/slapd.log" 2>&1 </dev/null &
		pid=$!
		echo "$pid" >"$d/pid"
		eval "kgw_slapd_${name}_pid=$pid"
		for i in $(seq 500); do
			sleep 0.01
			kill -0 "$pid" 2>/dev/null || break
			kgw_slapd_ping "ldap://127.0.0.1:$p1/" "$(cat "$d/token")" &&
				return 0
		done
		# Gone (a port taken) or never answered (5 s): try again.
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rm -f "$d/pid"
		eval "kgw_slapd_${name}_pid="
		# A restart keeps its ports (the replica points at them):
		# wait for them to come free instead.
		[ -n "$fresh" ] || sleep 0.5
	done
	kgw_slapd_die "$name did not start: $(tail -n 5 "$d/slapd.log")"
}

# kgw_slapd_kill NAME: TERM and wait, reaping it when it is our child,
# else polling (slapd-ctl started it); KILL after 10 s.
kgw_slapd_kill() {
	local name=$1 pid= i
	# The file first: slapd-ctl may have restarted it since.
	[ -r "$kgw_slapd_dir/$name/pid" ] && pid=$(cat "$kgw_slapd_dir/$name/pid")
	[ -n "$pid" ] || eval "pid=\${kgw_slapd_${name}_pid:-}"
	[ -n "$pid" ] || return 0
	if kill -TERM "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		for i in $(seq 1000); do
			kill -0 "$pid" 2>/dev/null || break
			[ "$i" = 1000 ] && kill -KILL "$pid" 2>/dev/null
			sleep 0.01
		done
	fi
	rm -f "$kgw_slapd_dir/$name/pid"
	eval "kgw_slapd_${name}_pid="
}

kgw_slapd_uris() {
	local p1 p2
	if [ -s "$kgw_slapd_dir/provider/ports" ]; then
		read -r p1 p2 <"$kgw_slapd_dir/provider/ports"
		KGW_LDAP_URI=ldap://127.0.0.1:$p1/
		KGW_LDAPS_URI=ldaps://127.0.0.1:$p2/
	fi
	if [ -s "$kgw_slapd_dir/replica/ports" ]; then
		read -r p1 p2 <"$kgw_slapd_dir/replica/ports"
		KGW_LDAP_REPLICA_URI=ldap://127.0.0.1:$p1/
		KGW_LDAPS_REPLICA_URI=ldaps://127.0.0.1:$p2/
	fi
}

kgw_slapd_provider_start() {
	kgw_slapd_launch provider || return 1
	kgw_slapd_uris
	KGW_LDAP_PROVIDER_PID=$kgw_slapd_provider_pid
	export KGW_LDAP_PROVIDER_PID
}

kgw_slapd_provider_stop() {
	kgw_slapd_kill provider
}

kgw_slapd_replica_start() {
	kgw_slapd_launch replica || return 1
	kgw_slapd_uris
}

kgw_slapd_replica_stop() {
	kgw_slapd_kill replica
}

kgw_slapd_down() {
	[ -n "${kgw_slapd_dir:-}" ] || return 0
	kgw_slapd_kill replica
	kgw_slapd_kill provider
}

kgw_slapd_export() {
	KGW_LDAP_RUNDIR=$kgw_slapd_dir
	KGW_LDAP_CTL=$kgw_slapd_lib/slapd-ctl
	KGW_LDAP_PROVIDER_PID=${kgw_slapd_provider_pid:-}
	export KGW_LDAP_URI KGW_LDAPS_URI KGW_LDAP_REPLICA_URI \
		KGW_LDAPS_REPLICA_URI KGW_LDAP_BASE KGW_LDAP_STAFF KGW_LDAP_CA \
		KGW_LDAP_HOST1_DN KGW_LDAP_HOST1_PWFILE KGW_LDAP_HOST2_DN \
		KGW_LDAP_HOST2_PWFILE KGW_LDAP_HELPDESK_DN \
		KGW_LDAP_HELPDESK_PWFILE KGW_LDAP_REPLICATOR_DN \
		KGW_LDAP_REPLICATOR_PWFILE KGW_LDAP_PROVIDER_PID \
		KGW_LDAP_PROVIDER_PIDFILE KGW_LDAP_RUNDIR KGW_LDAP_CTL LDAPNOINIT
}

kgw_slapd_up() {
	kgw_slapd_init "$@" &&
		kgw_slapd_provider_setup &&
		kgw_slapd_provider_start &&
		kgw_slapd_replica_setup &&
		kgw_slapd_replica_start &&
		kgw_slapd_export
}

# kgw_slapd_wait_replica DN ATTR VALUE [SECONDS]: polls the replica (as
# the replicator, who reads everything) until DN has ATTR: VALUE.
kgw_slapd_wait_replica() {
	local dn=$1 attr=$2 value=$3 secs=${4:-5} i
	for i in $(seq $((secs * 100))); do
		ldapsearch -x -H "$KGW_LDAP_REPLICA_URI" \
			-D "$KGW_LDAP_REPLICATOR_DN" -y "$KGW_LDAP_REPLICATOR_PWFILE" \
			-b "$dn" -s base -LLL "($attr=$value)" 1.1 2>/dev/null |
			grep -q '^dn:' && return 0
		sleep 0.01
	done
	return 1
}
