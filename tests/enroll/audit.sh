#!/bin/sh
# kakogawa-enroll audit, through the built tool in a throwaway deployment:
# verify finds each kind of tampering and exits 1; export writes the
# records of a period as CSV (quoted where needed) or JSON; prune moves old
# records to an archive that verifies on its own and that the store's
# chain continues from, and never adds to or overwrites an archive.
# Needs no root; sqlite3(1) plays the one who writes the database.
# The conditions given to check are single-quoted and eval'd there:
# shellcheck disable=SC2016,SC2034 source-path=SCRIPTDIR
set -u
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null 2>&1 || tap_skip_all "no sqlite3"
. "$(dirname "$0")/lib.sh"

tap_plan 19

tap_check "a throwaway deployment with three zones" setup_three_zones
for u in alice bob carol; do
	kgw add "$u" --zones lgwan >/dev/null 2>&1
done
kgw zones carol --set "lgwan internet" >/dev/null 2>&1

kgw_run audit verify
check "verify: intact, 4 records" '[ "$rc" = 0 ] &&
	[ "$(cat "$out")" = "audit trail intact: 4 records (1 to 4)" ]'

kgw_run audit export
check "export: a CSV header, one line per record, commas quoted" \
	'[ "$rc" = 0 ] && [ "$(wc -l <"$out")" = 5 ] &&
	head -n 1 "$out" | grep -qx "seq,time,kind,host,host_zone,service,user,rhost,src_zone,tty,factors,result,reason,rule,operator,action,detail,mac" &&
	grep -q "^\"4\",.*,\"carol\",.*,\"zones\",\"zones=internet,lgwan\"," "$out"'

kgw_run --json audit export --since 2000-01-01 --until 2000-01-02
check "export of a period with no record: an empty JSON array" \
	'[ "$rc" = 0 ] && [ "$(cat "$out")" = "[]" ]'

kgw_run --json audit export --since 2000-01-01
check "export --json: the records, each with its MAC" '[ "$rc" = 0 ] &&
	[ "$(grep -o "\"mac\":\"[0-9a-f]\{64\}\"" "$out" | wc -l)" = 4 ] &&
	grep -qF "\"user\":\"bob\",\"rhost\":\"\"" "$out"'

# Prune everything so far into an archive.
cutoff=$(($(date +%s) + 5))
kgw_run audit prune --before "$cutoff" --archive "$tmp/2026.db"
check "prune: 4 records archived" '[ "$rc" = 0 ] &&
	grep -qF "archived 4 records (1 to 4)" "$out"'
kgw_run audit verify
check "the store verifies after the cut (the prune is recorded)" \
	'[ "$rc" = 0 ] && grep -qF "1 records (5 to 5)" "$out"'
kgw_run audit verify --archive "$tmp/2026.db"
check "the archive verifies, and the store continues from it" \
	'[ "$rc" = 0 ] && grep -qF "4 records (1 to 4)" "$out" &&
	grep -qF "continues from this archive" "$out"'
# An archive is one file: moved away alone, it keeps every record.
mkdir "$tmp/moved" && cp "$tmp/2026.db" "$tmp/moved/2026.db"
kgw_run audit verify --archive "$tmp/moved/2026.db"
check "the archive file alone (no -wal beside it) holds all 4 records" \
	'[ "$rc" = 0 ] && grep -qF "4 records (1 to 4)" "$out"'
kgw_run audit prune --before "$cutoff" --archive "$tmp/2026.db"
check "prune into an existing archive: refused" '[ "$rc" = 1 ] &&
	grep -qF "exists already" "$err"'

# The whole database put back to an older copy verifies on its own; the
# last seq and MAC a log line witnessed (audit=SEQ:MAC) shows it.
sqlite3 "$tmp/store.db" ".backup $tmp/old.db"
kgw add dora >/dev/null 2>&1
last=$(kgw --json audit export | grep -o '"seq":[0-9]*' | tail -n 1 | cut -d: -f2)
mac=$(kgw --json audit export | grep -o '"mac":"[0-9a-f]*"' | tail -n 1 | cut -c8-23)
kgw_run audit verify --expect "$last:$mac"
check "verify --expect the last record seen: intact" '[ "$rc" = 0 ]'
cp "$tmp/store.db" "$tmp/new.db"
cp "$tmp/old.db" "$tmp/store.db" && rm -f "$tmp/store.db-wal" "$tmp/store.db-shm"
chmod 600 "$tmp/store.db"
kgw_run audit verify --expect "$last:$mac"
check "the store rolled back: verify alone passes, --expect does not" \
	'[ "$rc" = 1 ] && grep -qF "ROLLED BACK: record $last was written" "$out"'
cp "$tmp/new.db" "$tmp/store.db" && rm -f "$tmp/store.db-wal" "$tmp/store.db-shm"

# Tampering, as someone with the database and not the key.
cp "$tmp/2026.db" "$tmp/copy.db"
sqlite3 "$tmp/copy.db" "UPDATE audit SET user = 'mallory' WHERE seq = 2"
kgw_run audit verify --archive "$tmp/copy.db"
check "an archive edited: TAMPERED at record 2, exit 1" '[ "$rc" = 1 ] &&
	grep -qF "TAMPERED at record 2" "$out"'

kgw add dave >/dev/null 2>&1
kgw add erin >/dev/null 2>&1
sqlite3 "$tmp/store.db" "DELETE FROM audit WHERE seq = 6"
kgw_run audit verify
check "a record deleted from the store: found, exit 1" '[ "$rc" = 1 ] &&
	grep -qF "TAMPERED at record 6: this record is missing" "$out"'
kgw_run --json audit verify
check "verify --json names the record and why" '[ "$rc" = 1 ] &&
	grep -qF "\"intact\":false" "$out" && grep -qF "\"bad_seq\":6" "$out"'
kgw_run audit report
check "report of a tampered trail: refused (it would count forgeries)" \
	'[ "$rc" = 1 ] && grep -qF "does not verify" "$err"'
kgw_run check --only policy
check "check of a tampered trail: critical" '[ "$rc" = 2 ] &&
	grep -qF "[critical] audit.tampered" "$out"'
kgw_run audit prune --before "$(($(date +%s) + 5))" --archive "$tmp/b.db"
check "prune of a tampered trail: refused, no archive written" \
	'[ "$rc" = 1 ] && [ ! -e "$tmp/b.db" ]'
sqlite3 "$tmp/store.db" "UPDATE audit_head SET seq = seq - 1"
kgw_run add frank
check "a head rewritten: no change is made, none recorded" \
	'[ "$rc" = 1 ] && grep -qF "failed authentication" "$err" &&
	! kgw show frank >/dev/null 2>&1'

tap_status
