#!/bin/sh
# The Japanese man pages follow the English ones: every option, command,
# configuration key and file the English page sets in bold (headings
# aside: those are translated) is in the Japanese page too (a page that fell behind misses the new ones), and
# each page formats (groff -k: UTF-8 input).
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
pages="kakogawa-enroll.8 kakogawa.conf.5 pam_kakogawa.8"

tap_plan 6

# The ASCII words an English page sets in bold (.B, .BR, .BI, \fB...\fP).
bold_words() {
	sed -n -e 's/^\.B[RI]\{0,1\} \{1,\}\([^ ]*\).*/\1/p' \
	    -e 's/.*\\fB\([^\\]*\)\\f[PR].*/\1/p' "$1" |
	    sed 's/\\-/-/g; s/"//g' | grep -E '^[A-Za-z0-9_./=-]{2,}$' |
	    grep -Ev '^[A-Z][A-Za-z]*$' | sort -u	# not headings: translated
}

for page in $pages; do
	en=$top/doc/$page
	ja=$top/doc/ja/$page
	missing=$(bold_words "$en" | while read -r w; do
		sed 's/\\-/-/g' "$ja" | grep -qF -- "$w" || echo "$w"
	done)
	if [ -z "$missing" ]; then
		tap_ok "doc/ja/$page names everything doc/$page sets in bold"
	else
		tap_not_ok "doc/ja/$page names everything doc/$page sets in bold"
		echo "$missing" | head -n 20 | tap_diag
	fi
	if groff -k -man -Tutf8 -z "$ja" 2>"${TMPDIR:-/tmp}/kgw-groff.$$" &&
	    ! grep -q 'error' "${TMPDIR:-/tmp}/kgw-groff.$$"; then
		tap_ok "doc/ja/$page formats"
	else
		tap_not_ok "doc/ja/$page formats"
		tap_diag < "${TMPDIR:-/tmp}/kgw-groff.$$"
	fi
	rm -f "${TMPDIR:-/tmp}/kgw-groff.$$"
done

tap_status
