#!/bin/sh
# kakogawa-enroll import, through the built tool in a throwaway deployment:
# a good file applies in order, a dry run changes nothing, and any bad line
# aborts the whole file with FILE:LINE and leaves the store as it was.
# Needs no root. KGW_TEST_ENROLL may be a wrapper (valgrind, for one).
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

state() {
	kgw list --json && kgw show alice --json
}

tap_plan 37

# ---- deployment ----------------------------------------------------------

tap_check "a throwaway deployment with three zones" setup_three_zones

# ---- a good file ---------------------------------------------------------

cat >"$tmp/good.csv" <<'EOF'
action,user,zones
add,alice,lgwan;internet
add, bob ,
add,carol,mynumber lgwan
zones,bob,lgwan
disable,carol,
EOF
kgw_run import "$tmp/good.csv"
check "a good file applies" '[ "$rc" = 0 ] && [ "$(cat "$out")" = \
	"applied 5 changes (3 add, 1 zones, 1 disable, 0 enable, 0 delete)" ]'

expect=$tmp/expect
cat >"$expect" <<'EOF'
alice password=no totp=- fido2=0 zones=internet,lgwan disabled=no locked=no failures=0 role=staff expires=never expired=no
bob password=no totp=- fido2=0 zones=lgwan disabled=no locked=no failures=0 role=staff expires=never expired=no
carol password=no totp=- fido2=0 zones=lgwan,mynumber disabled=yes locked=no failures=0 role=staff expires=never expired=no
EOF
kgw_run list
check "list shows every row applied" 'cmp -s "$out" "$expect"'

kgw_run zones alice
check "zones alice: the two zones of the file" \
	'[ "$(cat "$out")" = "alice: internet,lgwan" ]'

kgw_run show alice --json
check "show alice --json: the add, by the operator ($operator)" \
	'grep -qF "\"operator\":\"$operator\",\"action\":\"add\",\"detail\":\"zones=internet,lgwan\"}]}" "$out"'

kgw_run show bob --json
check "show bob --json: add then zones, both by $operator" \
	'grep -qF "\"operator\":\"$operator\",\"action\":\"add\",\"detail\":\"zones=\"},{\"time\":" "$out" &&
	grep -qF "\"operator\":\"$operator\",\"action\":\"zones\",\"detail\":\"zones=lgwan\"}]}" "$out"'

# ---- dry run -------------------------------------------------------------

cat >"$tmp/second.csv" <<'EOF'
action,user,zones
add,dave,internet
zones,alice,mynumber
enable,carol,
delete,bob,
EOF
counts="4 changes (1 add, 1 zones, 0 disable, 1 enable, 1 delete)"
before=$(state)
kgw_run import --dry-run "$tmp/second.csv"
check "dry run: exit 0 and the summary" '[ "$rc" = 0 ] &&
	[ "$(tail -n 1 "$out")" = "dry run: would apply $counts; nothing changed" ]'
cat >"$expect" <<'EOF'
line 2: add dave zones=internet
line 3: zones alice zones=mynumber
line 4: enable carol
line 5: delete bob
EOF
check "dry run: one line per row" \
	'[ "$(head -n 4 "$out")" = "$(cat "$expect")" ]'
check "dry run: the store is exactly as before" '[ "$(state)" = "$before" ]'
kgw_run import "$tmp/second.csv"
check "the same file for real: the counts of the dry run" \
	'[ "$rc" = 0 ] && [ "$(cat "$out")" = "applied $counts" ]'
cat >"$expect" <<'EOF'
alice password=no totp=- fido2=0 zones=mynumber disabled=no locked=no failures=0 role=staff expires=never expired=no
carol password=no totp=- fido2=0 zones=lgwan,mynumber disabled=no locked=no failures=0 role=staff expires=never expired=no
dave password=no totp=- fido2=0 zones=internet disabled=no locked=no failures=0 role=staff expires=never expired=no
EOF
kgw_run list
check "...and its changes are in the store" 'cmp -s "$out" "$expect"'

# ---- bad lines: all or nothing -------------------------------------------

# bad DESCRIPTION LINE MESSAGE: imports standard input as a file, which
# must fail with "FILE:LINE: MESSAGE" and change nothing, dry run or not.
bad() {
	file=$tmp/bad.csv
	cat >"$file"
	before=$(state)
	kgw_run import --dry-run "$file"
	dry_rc=$rc
	kgw_run import "$file"
	if [ "$rc" = 1 ] && [ "$dry_rc" = 1 ] && [ ! -s "$out" ] &&
	    grep -qF "$file:$2: $3" "$err" && [ "$(state)" = "$before" ]; then
		tap_ok "$1"
	else
		tap_not_ok "$1"
		diag_run
	fi
}

bad "unknown zone in the middle: line 3, nothing changed" 3 \
	"zones refused for fred" <<'EOF'
action,user,zones
add,erin,lgwan
add,fred,intranet
zones,alice,internet
EOF
check "...and the unknown zone is named" \
	'grep -qF "unknown zone intranet" "$err"'

bad "add of an existing user: line 4" 4 \
	"cannot add alice: already exists" <<'EOF'
action,user,zones
add,erin,lgwan
disable,carol,
add,alice,internet
EOF

bad "zones for a missing user: line 3" 3 \
	"cannot set the zones of nobody: no such user" <<'EOF'
action,user,zones
add,erin,lgwan
zones,nobody,lgwan
EOF

bad "disable of a missing user: line 3" 3 \
	"cannot disable nobody: no such user" <<'EOF'
action,user,zones
delete,dave,
disable,nobody,
EOF

bad "wrong field count: line 3" 3 "4 fields; expected 3" <<'EOF'
action,user,zones
add,erin,lgwan
add,fred,lgwan,internet
EOF

bad "two fields: line 2" 2 "2 fields; expected 3" <<'EOF'
action,user,zones
delete,alice
EOF

bad "a quote: line 3" 3 "quoting is not supported" <<'EOF'
action,user,zones
add,erin,lgwan
add,"fred",lgwan
EOF

bad "bad action: line 3" 3 'unknown action "move"' <<'EOF'
action,user,zones
add,erin,lgwan
move,alice,internet
EOF

bad "bad header: line 1" 1 "expected the header action,user,zones" <<'EOF'
user,action,zones
add,erin,lgwan
EOF

bad "invalid user name: line 3" 3 "invalid user name" <<'EOF'
action,user,zones
add,erin,lgwan
add,-fred,lgwan
EOF

bad "zones given to delete: line 2" 2 "delete takes no zones" <<'EOF'
action,user,zones
delete,alice,lgwan
EOF

printf 'action,user,zones\nadd,erin,lgwan\nadd,\223c\222\206,lgwan\n' \
	>"$tmp/in"
bad "Shift_JIS text: line 3" 3 "not UTF-8 text" <"$tmp/in"

{ echo "action,user,zones"; printf '#%01100d\n' 0; } >"$tmp/in"
bad "a line over 1024 bytes: line 2" 2 "line longer than 1024 bytes" \
	<"$tmp/in"

bad "comments and blank lines count in line numbers: line 6" 6 \
	"cannot add alice" <<'EOF'
# comment "with" a quote, and commas
action,user,zones

   # indented comment
add,erin,lgwan
add,alice,
EOF

: >"$tmp/empty.csv"
kgw_run import "$tmp/empty.csv"
check "an empty file: exit 1, no header" '[ "$rc" = 1 ] &&
	grep -qF "$tmp/empty.csv: no header line" "$err"'

# ---- what a good file may look like --------------------------------------

printf '\357\273\277action,user,zones\r\nadd,hana,lgwan\r\n%s\r\n' \
	' zones , hana , lgwan;internet ' >"$tmp/crlf.csv"
kgw_run import "$tmp/crlf.csv"
check "CRLF line ends, a UTF-8 BOM and spaces around fields are accepted" \
	'[ "$rc" = 0 ] && [ "$(kgw zones hana)" = "hana: internet,lgwan" ]'

printf '%s\n' "# 2026-04-01 transfers: \"as agreed\", no quoting here" \
	"	 " "action,user,zones" "# the new ones" "" "add,ichiro,mynumber" \
	"   # nothing, even with, commas" "add,jiro,internet" \
	>"$tmp/comments.csv"
kgw_run import "$tmp/comments.csv"
check "comments and blank lines are ignored" '[ "$rc" = 0 ] &&
	[ "$(cat "$out")" = \
	"applied 2 changes (2 add, 0 zones, 0 disable, 0 enable, 0 delete)" ] &&
	[ "$(kgw zones jiro)" = "jiro: internet" ]'

cat >"$tmp/order.csv" <<'EOF'
action,user,zones
add,kenta,lgwan
zones,kenta,internet
disable,kenta,
enable,kenta,
delete,kenta,
add,kenta,mynumber
zones,kenta,mynumber;internet
EOF
kgw_run import "$tmp/order.csv"
check "rows see earlier rows: add, zones, disable, enable, delete, add again" \
	'[ "$rc" = 0 ] && [ "$(kgw zones kenta)" = "kenta: internet,mynumber" ]'
kgw_run show kenta
check "...each of the 7 recorded, by $operator" \
	'[ "$(grep -c "  $operator  " "$out")" = 7 ]'

cat >"$tmp/json.csv" <<'EOF'
action,user,zones
disable,ichiro,
zones,jiro,
EOF
json='"changes":2,"add":0,"zones":1,"disable":1,"enable":0,"delete":0}'
kgw_run --json import --dry-run "$tmp/json.csv"
check "--json --dry-run: one object" '[ "$rc" = 0 ] && [ "$(cat "$out")" = \
	"{\"file\":\"$tmp/json.csv\",\"dry_run\":true,$json" ]'
kgw_run import "$tmp/json.csv" --json
check "--json: one object, and the changes made" '[ "$rc" = 0 ] &&
	[ "$(cat "$out")" = \
	"{\"file\":\"$tmp/json.csv\",\"dry_run\":false,$json" ] &&
	[ "$(kgw zones jiro)" = "jiro: no zones (no login anywhere)" ]'

# ---- the command line ----------------------------------------------------

usage() {
	kgw_run "$@"
	[ "$rc" = 2 ]
}
check "usage errors exit 2 (no FILE, two FILEs, unknown option)" \
	'usage import && usage import "$tmp/json.csv" "$tmp/json.csv" &&
	usage import --force "$tmp/json.csv"'
kgw_run import "$tmp/absent.csv"
check "a missing file: exit 1, named" '[ "$rc" = 1 ] &&
	grep -qF "$tmp/absent.csv: No such file" "$err"'
# One import holds the store's write lock: its size is bounded.
{ echo "action,user,zones"; seq -f "add,big%g," 1 100001; } >"$tmp/big.csv"
kgw_run import --dry-run "$tmp/big.csv"
check "more than 100000 rows: refused at the first extra row" \
	'[ "$rc" = 1 ] && grep -qF "big.csv:100002: more than 100000 rows" "$err"'

# A dry run whose reader is slow (a pager, a full pipe) must not hold the
# write lock meanwhile: its lines come only after the rollback, so a
# change made while the reader waits goes through, not into busy_timeout.
{ echo "action,user,zones"; seq -f "add,slowreader%g,lgwan" 1 3000; } \
	>"$tmp/slow.csv"
kgw import --dry-run "$tmp/slow.csv" 2>"$err" | {
	IFS= read -r _
	kgw add meanwhile >"$out" 2>&1
	echo "$?" >"$tmp/meanwhile"
	cat >/dev/null
}
rc=$(cat "$tmp/meanwhile")
check "a dry run waiting on its reader holds no lock" \
	'[ "$rc" = 0 ] && kgw show meanwhile >/dev/null 2>&1 &&
	! kgw show slowreader1 >/dev/null 2>&1'

tap_status
