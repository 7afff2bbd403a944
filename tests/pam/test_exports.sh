#!/bin/sh
# The module exports the four pam_sm_* functions it implements and nothing
# else: the core library's names stay inside (the version script).
set -u
. "$(dirname "$0")/../lib.sh"

module=${KGW_TEST_MODULE:-}
tap_plan 3

if [ -n "$module" ] && [ -r "$module" ]; then
	tap_ok "module built: $module"
else
	tap_not_ok "module built: KGW_TEST_MODULE='$module' is not readable"
fi

# Every dynamic symbol the module defines, by name (no version suffix).
exports=$(nm -D --defined-only "$module" 2>/dev/null |
	awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | LC_ALL=C sort)
want=$(printf '%s\n' pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok \
    pam_sm_setcred)

if [ "$exports" = "$want" ]; then
	tap_ok "exports exactly pam_sm_acct_mgmt, pam_sm_authenticate, pam_sm_chauthtok, pam_sm_setcred"
else
	tap_not_ok "exports exactly pam_sm_acct_mgmt, pam_sm_authenticate, pam_sm_chauthtok, pam_sm_setcred"
	echo "exported: $exports" | tap_diag
fi

# Nothing of the core (kgw_*) nor of the libraries it links is re-exported.
if nm -D --defined-only "$module" 2>/dev/null | grep -q -E ' (kgw_|oath_|sqlite3_|EVP_)'; then
	tap_not_ok "no core or library symbol exported"
else
	tap_ok "no core or library symbol exported"
fi
tap_status
