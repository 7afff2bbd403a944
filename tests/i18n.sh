#!/bin/sh
# The catalogues are complete and current: po/ja.po translates every
# message the sources mark today (extracted afresh with po/Makevars's
# keywords), with no fuzzy entry and formats that match (msgfmt -c); the
# Debian package's question is translated too.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/kgw-i18n.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

tap_plan 5

# XGETTEXT_OPTIONS as po/Makefile uses them (continuation lines joined).
opts=$(sed -n '/^XGETTEXT_OPTIONS/,/[^\\]$/p' "$top/po/Makevars" |
    sed 's/^XGETTEXT_OPTIONS = //; s/\\$//' | tr '\n' ' ')
sources=$(grep -v '^#' "$top/po/POTFILES.in")
# shellcheck disable=SC2086
(cd "$top" && xgettext $opts -o "$tmp/now.pot" $sources) 2>"$tmp/xgettext.err"
n=$(grep -c '^msgid "' "$tmp/now.pot" 2>/dev/null || echo 0)
tap_check "the sources mark messages ($n)" test "$n" -gt 100

stats=$(LC_ALL=C msgfmt -c --statistics -o /dev/null "$top/po/ja.po" 2>&1)
echo "$stats" | tap_diag
tap_check "po/ja.po compiles with its formats checked (msgfmt -c)" \
    msgfmt -c -o /dev/null "$top/po/ja.po"
tap_check "po/ja.po has no untranslated or fuzzy message" \
    sh -c "! echo '$stats' | grep -Eq 'untranslated|fuzzy'"
if msgcmp "$top/po/ja.po" "$tmp/now.pot" >"$tmp/msgcmp.out" 2>&1; then
	tap_ok "po/ja.po translates every message the sources mark now"
else
	tap_not_ok "po/ja.po translates every message the sources mark now"
	head -n 20 "$tmp/msgcmp.out" | tap_diag
fi
tap_check "debian/po/ja.po translates the package's question, no fuzzy" \
    sh -c "LC_ALL=C msgfmt -c --statistics -o /dev/null \
	'$top/debian/po/ja.po' 2>&1 | grep -Evq 'untranslated|fuzzy'"

tap_status
