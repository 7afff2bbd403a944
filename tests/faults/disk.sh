#!/bin/sh
# A full disk and a read-only store, for real: the deployment lives on a
# small tmpfs of its own, filled up or remounted read-only (root ignores
# file modes, so a mount is the honest way). What it proves, for each:
# - a login with the right code is refused (the commit of its used code
#   cannot be written, and a login that cannot record it must not pass),
#   with the store's error in the log; a wrong password is refused too,
#   and the log says its failure could not be counted;
# - add, totp, passwd and import exit non-zero saying why, and the store
#   (people, changes, audit trail) is exactly as before;
# - with the fault removed, the store passes PRAGMA integrity_check and
#   `audit verify`, and the right login is accepted.
# Needs root (mount); skipped with the reason otherwise. The tmpfs is
# unmounted on every way out.
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

mnt=$(mktemp -d /tmp/kgw-disk.XXXXXX)
if ! mount -t tmpfs -o size=1m,mode=0700 kgwtest "$mnt" 2>"$mnt.err"; then
	why=$(cat "$mnt.err")
	rm -f "$mnt.err"
	rmdir "$mnt"
	tap_skip_all "cannot mount a tmpfs: ${why:-not permitted}"
fi
rm -f "$mnt.err"
work=$(mktemp -d /tmp/kgw-disk-work.XXXXXX)
login_log=$work/login.log
cleanup() {
	umount "$mnt" 2>/dev/null || umount -l "$mnt"
	rmdir "$mnt"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tap_plan 18
if ! deploy "$mnt" || ! enrol alice; then
	tap_not_ok "deployment"
	exit 1
fi
step=60000000

readonly_snapshot() {
	sqlite3 -readonly "$store" "SELECT * FROM users ORDER BY name;
	    SELECT count(*) FROM changes; SELECT count(*), max(seq) FROM audit;
	    SELECT quote(mac) FROM audit_head" 2>&1
}

# refused_login WHAT REASON LOGTEXT: the right login is refused with
# reason REASON, and the module's log says LOGTEXT.
refused_login() {
	step=$((step + 1))
	login_once alice right "$step"
	want="deny $2"
	check "$1: the right login is refused (reason=$2)" \
	    '[ "$verdict" = "$want" ]'
	if grep -q "$3" "$login_log"; then
		tap_ok "$1: the log says \"$3\""
	else
		tap_not_ok "$1: the log says \"$3\""
		diag_file "$login_log"
	fi
}

# cli_refuses WHAT TEXT INPUT ARGS...: the command fails saying TEXT and
# changes nothing in the store.
cli_refuses() {
	_what=$1 _text=$2 _in=$3
	shift 3
	printf '%s\n' "$_in" | "$enroll" --config "$conf" "$@" \
	    >"$work/out" 2>&1
	_rc=$?
	after=$(readonly_snapshot)
	if [ "$_rc" -ne 0 ] && grep -q "$_text" "$work/out" &&
	    [ "$after" = "$before" ]; then
		tap_ok "$_what: $1 exits $_rc saying \"$_text\", store unchanged"
	else
		tap_not_ok "$_what: $1 exits non-zero saying \"$_text\"," \
		    "store unchanged (exit $_rc)"
		diag_file "$work/out"
		[ "$after" = "$before" ] || echo "store changed" | tap_diag
	fi
}

# recovered WHAT: integrity, the trail, and a login that works again.
recovered() {
	check "$1 removed: integrity_check ok" '[ "$(integrity)" = ok ]'
	check "$1 removed: audit verify" 'kgw audit verify >/dev/null 2>&1'
	step=$((step + 1))
	login_once alice right "$step"
	check "$1 removed: the right login is accepted" \
	    '[ "$verdict" = "allow ok" ]'
}

printf 'action,user,zones\nadd,carol,lgwan\nadd,dave,lgwan\n' \
    >"$work/batch.csv"

# ---- a full disk ---------------------------------------------------------

# tmpfs gives out whole pages: once dd stops, not one byte is free.
dd if=/dev/zero of="$mnt/filler" bs=4k >/dev/null 2>&1
before=$(readonly_snapshot)
refused_login "disk full" store "disk is full"
login_once alice badpass
check "disk full: a wrong password is refused" \
    '[ "$verdict" = "deny bad_password" ]'
check "disk full: the log says the failure could not be counted" \
    'grep -q "cannot record failure" "$login_log"'
cli_refuses "disk full" "disk is full" "" add bob --zones lgwan
cli_refuses "disk full" "disk is full" "$(head -c 20 /dev/urandom | base32)" \
    totp alice --secret --show none
cli_refuses "disk full" "disk is full" "another-password" \
    passwd alice --password-stdin
cli_refuses "disk full" "disk is full" "" import "$work/batch.csv"
rm -f "$mnt/filler"
recovered "disk full"

# ---- a read-only store ---------------------------------------------------

before=$(readonly_snapshot)
mount -o remount,ro "$mnt"
refused_login "read-only" store "readonly database"
cli_refuses "read-only" "readonly database" "" add bob --zones lgwan
cli_refuses "read-only" "readonly database" "" import "$work/batch.csv"
mount -o remount,rw "$mnt"
recovered "read-only"
tap_status
