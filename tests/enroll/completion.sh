#!/bin/bash
# The bash completion (completion/kakogawa-enroll) offers what the built
# tool has: its subcommands and options (from its --help), the people
# enrolled in the store the line names (--config) and the zones of its
# configuration. Each case completes a partial command line the way bash
# does (COMP_WORDS, COMP_CWORD) and reads COMPREPLY.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

[ -r /usr/share/bash-completion/bash_completion ] ||
	tap_skip_all "bash-completion is not installed"
tap_plan 15

# The completion calls the tool by name: the one under test comes first.
mkdir "$tmp/bin"
ln -s "$enroll" "$tmp/bin/kakogawa-enroll"
PATH=$tmp/bin:$PATH
# shellcheck disable=SC1091
. /usr/share/bash-completion/bash_completion
# shellcheck disable=SC1091
. "$top/completion/kakogawa-enroll"

setup_three_zones
kgw add tanaka --zones lgwan >/dev/null 2>&1
kgw add takahashi --zones internet >/dev/null 2>&1

# complete WORD...: completes the last word of the line; COMPREPLY sorted
# into $got, one per line.
complete_line() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_kakogawa_enroll kakogawa-enroll "${COMP_WORDS[COMP_CWORD]}" \
	    "${COMP_WORDS[COMP_CWORD - 1]}"
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
}

expect() {
	if [ "$got" = "$(printf '%s\n' "$@" | sort)" ]; then
		tap_ok "$desc"
	else
		tap_not_ok "$desc"
		printf 'got: %s\n' "$got" | tap_diag
	fi
}

desc="subcommands from the tool's --help (zo: zones, zone-check)"
complete_line kakogawa-enroll zo; expect zones zone-check
desc="every subcommand in the tool's table (enroll/main.c) is offered"
complete_line kakogawa-enroll ""
# shellcheck disable=SC2046
expect $(sed -n '/commands\[\] = {/,/^};/s/.*{ "\([a-z0-9-]*\)".*/\1/p' \
    "$top/enroll/main.c")
desc="global options"
complete_line kakogawa-enroll --j; expect --json
desc="people of the store named by --config (show ta)"
complete_line kakogawa-enroll --config "$conf" show ta
expect takahashi tanaka
desc="no people for add (a new name)"
complete_line kakogawa-enroll --config "$conf" add ta; expect ""
desc="zones of the configuration after --zones"
complete_line kakogawa-enroll --config "$conf" add sato --zones ""
expect internet lgwan mynumber
desc="factors after revoke USER"
complete_line kakogawa-enroll --config "$conf" revoke tanaka ""
expect backup-codes fido2 password temp-code totp
desc="roles after role USER: staff and the [role] sections"
printf '[role admin]\nlockout_attempts = 3\n' >>"$conf"
complete_line kakogawa-enroll --config "$conf" role tanaka ""
expect admin staff
desc="roles after add --role"
complete_line kakogawa-enroll --config "$conf" add sato --role ""
expect admin staff
desc="expires USER: never, or a date typed"
complete_line kakogawa-enroll --config "$conf" expires tanaka ""
expect never
desc="audit's actions"
complete_line kakogawa-enroll audit ""
expect export prune report start verify
desc="a subcommand's options from --help (--sh: --show)"
complete_line kakogawa-enroll totp tanaka --sh; expect --show
desc="durations after temp-code USER --ttl"
complete_line kakogawa-enroll temp-code tanaka --ttl ""
expect 30m 1h 2h 8h 24h
desc="migrate takes no USER"
complete_line kakogawa-enroll --config "$conf" migrate ""; expect ""
desc="migrate's options from --help (--dr: --dry-run)"
complete_line kakogawa-enroll migrate --dr; expect --dry-run

tap_status
