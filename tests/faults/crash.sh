#!/bin/sh
# Crash consistency: kill -9 at random points of logins (crash_driver,
# through libpam) and of enrolments (the real kakogawa-enroll), many times
# over, then check what must have survived. What it proves:
# - the store passes PRAGMA integrity_check and `audit verify`;
# - every code a login reported accepted is refused as a replay afterwards
#   (the store's used-step watermark is at least that step);
# - the failure count is what the reported logins imply: a kill can only
#   leave unknown the one login it interrupted (committed or not, as one
#   transaction), so the count lies in the interval those unknowns allow,
#   and equals the reported failures since the last reported success
#   whenever no unknown login came after that success;
# - no half-enrolled person: an import (five people) is all or nothing,
#   `add --password-stdin` never leaves a person without the password,
#   a TOTP is never half written, and every change has its change record
#   and audit record (they commit with it or not at all).
# Kills: 120 logins and 100 commands (30 and 25 under a sanitizer).
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

if [ "${KGW_SANITIZERS:-}" = yes ]; then
	login_kills=30 cli_kills=25
else
	login_kills=120 cli_kills=100
fi

tmp=$(mktemp -d /tmp/kgw-crash.XXXXXX)
chmod 700 "$tmp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

tap_plan 13
if ! deploy "$tmp" || ! enrol alice; then
	tap_not_ok "deployment"
	exit 1
fi
alice_password=$password alice_secret=$secret
printf '%s\n%s\n' "$password" "$secret" >"$tmp/alice"

# A random number in [0, $1).
rnd() {
	echo $(($(od -An -N2 -tu2 /dev/urandom) % $1))
}

# msleep N: sleeps N milliseconds.
msleep() {
	sleep "$(printf '0.%03d' "$1")"
}

# run_killed MAX_MS INPUT CMD...: runs CMD in the background with INPUT
# on its stdin (a background job's is /dev/null otherwise), kills it with
# SIGKILL after a random delay below MAX_MS; $killed says whether the
# kill found it still running (exit status 137).
run_killed() {
	_max=$1 _input=$2
	shift 2
	"$@" <"$_input" &
	_pid=$!
	msleep "$(rnd "$_max")"
	kill -9 "$_pid" 2>/dev/null
	wait "$_pid"
	_rc=$?
	killed=no
	[ "$_rc" -eq 137 ] && killed=yes
	return "$_rc"
}

# ---- logins ------------------------------------------------------------

step=60000000
start=$(date +%s)
: >"$tmp/logins"
k=0
while [ "$k" -lt "$login_kills" ]; do
	k=$((k + 1))
	run_killed 300 "$tmp/alice" "$driver" "$pamdir" alice loop "$step" \
	    100000 "$(rnd 30000)" >"$tmp/run" 2>/dev/null
	echo "kill" >>"$tmp/run"
	cat "$tmp/run" >>"$tmp/logins"
	last=$(awk '$1 == "try" { s = $2 } END { print s }' "$tmp/run")
	[ -n "$last" ] && step=$((last + 1))
done

# The reported logins, in order: what the count may be now ([lo, hi]),
# the last step reported accepted, and any verdict that was wrong.
awk '
$1 == "try" { pending = $3 }
$1 == "done" {
	pending = ""
	if ($3 == "right" && $4 == "allow") { lo = hi = 0; if ($2 > ok) ok = $2; nok++ }
	else if ($3 != "right" && $4 == "deny" &&
	    ($5 == "bad_password" || $5 == "bad_code")) { lo++; hi++; nfail++ }
	else { bad = bad " " $0 }
}
$1 == "kill" {
	if (pending == "right") { lo = 0; unknown++ }
	else if (pending != "") { hi++; unknown++ }
	pending = ""
}
END { printf "%d %d %d %d %d %d \"%s\"\n", lo, hi, ok, nok, nfail, unknown, bad }
' "$tmp/logins" >"$tmp/summary"
read -r lo hi ok nok nfail unknown bad <"$tmp/summary"
echo "$login_kills kills; $nok allowed, $nfail refused, $unknown cut short;" \
    "failure count in [$lo, $hi]; $(($(date +%s) - start)) s" | tap_diag

row=$(sqlite3 "$store" "SELECT fail_count, totp_last_step FROM users
    WHERE name = 'alice'")
count=${row%|*}
watermark=${row#*|}
check "every login reported its verdict: right code allowed, wrong refused" \
    '[ "$bad" = "\"\"" ] && [ "$nok" -gt 0 ]'
[ "$bad" = '""' ] || echo "$bad" | tap_diag
tap_check "after $login_kills kills during logins: integrity_check ok" \
    [ "$(integrity)" = ok ]
if [ "$lo" -le "$count" ] && [ "$count" -le "$hi" ]; then
	tap_ok "failure count $count within [$lo, $hi] (exact when equal)"
else
	tap_not_ok "failure count $count within [$lo, $hi]"
fi
tap_check "used-step watermark $watermark >= last accepted step $ok" \
    [ "$watermark" -ge "$ok" ]

# Every code reported accepted (the last 40) is now a replay.
password=$alice_password secret=$alice_secret
replays=0 accepted=0
for s in $(awk '$1 == "done" && $4 == "allow" { print $2 }' "$tmp/logins" |
    tail -n 40); do
	login_once alice right "$s"
	case $verdict in
	"deny replay") replays=$((replays + 1)) ;;
	*) accepted=$((accepted + 1)); echo "step $s: $verdict" | tap_diag ;;
	esac
done
check "every accepted code is refused as a replay ($replays)" \
    '[ "$accepted" -eq 0 ] && [ "$replays" -gt 0 ]'
login_once alice right "$((step + 1))"
tap_check "and a new code is accepted" [ "$verdict" = "allow ok" ]

# ---- enrolments ----------------------------------------------------------

start=$(date +%s)
: >"$tmp/cli"
k=0 round=0
# cli MAX_MS INPUT ARGS...: one command, killed at random; logged.
cli() {
	_max=$1 _in=$2
	shift 2
	printf '%s\n' "$_in" >"$tmp/in"
	run_killed "$_max" "$tmp/in" "$enroll" --config "$conf" "$@" \
	    >/dev/null 2>&1
	_rc=$?
	echo "$killed $_rc $*" >>"$tmp/cli"
	[ "$killed" = yes ] && k=$((k + 1))
}
while [ "$k" -lt "$cli_kills" ] && [ "$round" -lt 1000 ]; do
	round=$((round + 1))
	p=p$round
	cli 15 "pw-$p-secret" add "$p" --zones lgwan --password-stdin
	cli 15 "$(head -c 20 /dev/urandom | base32)" totp "$p" --secret \
	    --show none
	cli 90 "pw2-$p-secret" passwd "$p" --password-stdin
	{
		echo "action,user,zones"
		for i in 1 2 3 4 5; do echo "add,b$round-$i,lgwan"; done
	} >"$tmp/batch.csv"
	cli 20 "" import "$tmp/batch.csv"
	[ "$(rnd 3)" -eq 0 ] && cli 15 "" revoke "$p" totp
	[ "$(rnd 4)" -eq 0 ] && cli 15 "" disable "$p"
done
echo "$cli_kills kills in $round rounds of enrolment;" \
    "$(($(date +%s) - start)) s" | tap_diag

tap_check "after $cli_kills kills during enrolments: integrity_check ok" \
    [ "$(integrity)" = ok ]

q() {
	sqlite3 "$store" "$1"
}
halves=$(q "SELECT substr(name, 1, instr(name, '-') - 1), count(*) FROM users
    WHERE name LIKE 'b%-%' GROUP BY 1 HAVING count(*) != 5")
tap_check "each import is all or nothing (5 people or none)" [ -z "$halves" ]
[ -z "$halves" ] || echo "$halves" | tap_diag
nopw=$(q "SELECT name FROM users WHERE name LIKE 'p%' AND pwhash IS NULL")
tap_check "no person added with --password-stdin lacks the password" \
    [ -z "$nopw" ]
[ -z "$nopw" ] || echo "$nopw" | tap_diag
half=$(q "SELECT name FROM users WHERE (totp_secret IS NULL) !=
    (totp_alg IS NULL) OR (totp_secret IS NULL) != (totp_digits IS NULL)")
tap_check "no TOTP half written" [ -z "$half" ]
recs=$(q "SELECT (SELECT count(*) FROM changes) || ' ' ||
    (SELECT count(*) FROM audit WHERE kind = 'change')")
tap_check "every change has its audit record, none more ($recs)" \
    [ "${recs% *}" = "${recs#* }" ]
# What a command reported done is there.
missing=$(awk '$1 == "no" && $2 == 0 && $3 == "add" { print $4 }' \
    "$tmp/cli" | while read -r who; do
	[ "$(q "SELECT count(*) FROM users WHERE name = '$who'")" -eq 1 ] ||
	    echo "$who"
done)
tap_check "every person whose add exited 0 exists" [ -z "$missing" ]
kgw audit verify >"$tmp/verify" 2>&1
rc=$?
tap_check "audit verify after all kills" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag_file "$tmp/verify"
tap_status
