#!/bin/sh
# kakogawa-enroll zones, through the built tool in a throwaway deployment:
# a person's zones shown and changed with --set, --add and --remove, only
# to zones the configuration defines, every change recorded, and two
# changes made at once both kept.
# Needs no root; needs sqlite3(1) to hold the store's write lock.
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
set -u
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null 2>&1 ||
	tap_skip_all "no sqlite3 (to hold the store's write lock)"
. "$(dirname "$0")/lib.sh"

zones_are() {
	kgw_run zones "$1" && [ "$rc" = 0 ] && [ "$(cat "$out")" = "$1: $2" ]
}

tap_plan 15

tap_check "a throwaway deployment with three zones" setup_three_zones
kgw_run add alice --zones lgwan
check "add alice for lgwan" '[ "$rc" = 0 ] && zones_are alice lgwan'

kgw_run zones alice --add "internet mynumber"
check "--add two zones: the sorted union" '[ "$rc" = 0 ] &&
	[ "$(cat "$out")" = "alice: internet,lgwan,mynumber" ] &&
	zones_are alice internet,lgwan,mynumber'

kgw_run zones alice --remove "lgwan;mynumber"
check "--remove two zones" '[ "$rc" = 0 ] && zones_are alice internet'

kgw_run zones alice --set ""
check "--set \"\": no zones, said so" '[ "$rc" = 0 ] &&
	zones_are alice "no zones (no login anywhere)"'

kgw_run --json zones alice --set lgwan,internet
check "--json --set: the zones as a list" '[ "$rc" = 0 ] &&
	[ "$(cat "$out")" = "{\"user\":\"alice\",\"zones\":[\"internet\",\"lgwan\"]}" ]'

kgw_run zones alice --add vault
check "--add a zone the configuration lacks: refused, nothing changed" \
	'[ "$rc" = 1 ] && grep -qF "unknown zone vault" "$err" &&
	[ ! -s "$out" ] && zones_are alice internet,lgwan'

kgw_run zones alice --set "Lgwan!"
check "--set a malformed name: refused, nothing changed" \
	'[ "$rc" = 1 ] && grep -qF "invalid zone list" "$err" &&
	zones_are alice internet,lgwan'

kgw_run zones nobody --add lgwan
check "an unknown person: exit 1, named" \
	'[ "$rc" = 1 ] && grep -qF "nobody" "$err"'

kgw_run zones alice --add lgwan --remove internet
check "two changes at once: a usage error" '[ "$rc" = 2 ] &&
	zones_are alice internet,lgwan'

# A zone gone from the configuration can still be taken away.
sed -i '/^\[zone internet\]/,$d' "$conf"
kgw_run zones alice --remove internet
check "--remove a zone no longer configured" \
	'[ "$rc" = 0 ] && zones_are alice lgwan'

kgw_run --json show alice
check "show --json: each change recorded with the operator" \
	'grep -qF "\"operator\":\"$operator\",\"action\":\"zones\",\"detail\":\"zones=internet,lgwan\"}" "$out" &&
	grep -qF "\"action\":\"zones\",\"detail\":\"zones=lgwan\"}]}" "$out"'

# Two helpdesk changes to one person at once. sqlite3 holds the write
# lock while both start; each must read the zones inside its own write
# transaction, or one overwrites the other's.
setup_three_zones >/dev/null
kgw zones alice --set lgwan >/dev/null
{
	echo "BEGIN IMMEDIATE;"
	echo ".shell touch $tmp/locked"
	echo ".shell sleep 1"
	echo "COMMIT;"
} | sqlite3 "$tmp/store.db" >/dev/null 2>"$tmp/holder.err" &
holder=$!
while [ ! -e "$tmp/locked" ] && kill -0 "$holder" 2>/dev/null; do
	sleep 0.05
done
kgw zones alice --add internet >"$tmp/one" 2>&1 &
one=$!
kgw zones alice --add mynumber >"$tmp/two" 2>&1 &
two=$!
wait "$one"
one_rc=$?
wait "$two"
rc=$?
wait "$holder"
check "the lock was held while both changes started" \
	'[ -e "$tmp/locked" ] && [ ! -s "$tmp/holder.err" ]'
check "two --add at once: both kept" '[ "$one_rc" = 0 ] && [ "$rc" = 0 ] &&
	zones_are alice internet,lgwan,mynumber'

kgw_run list
check "list shows the person's zones" 'grep -qF "alice password=no" "$out" &&
	grep -qF "zones=internet,lgwan,mynumber" "$out"'

tap_status
