/* Names for the result codes of kgw_err.h. */
#include <config.h>

#include <stddef.h>

#include "kgw_err.h"
#include "kgw_i18n.h"

struct rc_name {
	int rc;
	const char *reason;	/* stable token for log lines */
	const char *text;	/* for people */
};

static const struct rc_name rc_names[] = {
	{ KGW_OK, "ok", N_("success") },
	{ KGW_ERR_INTERNAL, "internal", N_("internal error") },
	{ KGW_ERR_NOMEM, "nomem", N_("out of memory") },
	{ KGW_ERR_IO, "io", N_("input/output error") },
	{ KGW_ERR_CONFIG, "config", N_("configuration error") },
	{ KGW_ERR_UNSAFE, "unsafe_file", N_("unsafe file ownership, mode or path") },
	{ KGW_ERR_STORE, "store", N_("credential store error") },
	{ KGW_ERR_BUSY, "store_busy", N_("credential store busy") },
	{ KGW_ERR_SCHEMA, "store_schema", N_("unknown credential store schema") },
	{ KGW_ERR_CRYPTO, "crypto", N_("cryptographic failure") },
	{ KGW_ERR_TAMPERED, "tampered", N_("sealed data failed authentication") },
	{ KGW_ERR_INVALID, "invalid_input", N_("invalid input") },
	{ KGW_ERR_NOT_FOUND, "unknown_user", N_("no such user") },
	{ KGW_ERR_EXISTS, "exists", N_("already exists") },
	{ KGW_ERR_DENIED, "bad_credential", N_("credential did not match") },
	{ KGW_ERR_REPLAY, "replay", N_("code already used") },
	{ KGW_ERR_LOCKED, "locked", N_("account locked") },
	{ KGW_ERR_DISABLED, "disabled", N_("account disabled") },
	{ KGW_ERR_NO_FACTOR, "no_factor", N_("factor not enrolled") },
	{ KGW_ERR_CONV, "conversation", N_("conversation failed") },
	{ KGW_ERR_MISSING, "missing_file", N_("file not found") },
	{ KGW_ERR_ZONE, "zone", N_("refused by the zone policy") },
	{ KGW_ERR_NO_KEY, "no_key", N_("no security key with a credential") },
	{ KGW_ERR_TIMEOUT, "key_timeout", N_("security key not touched in time") },
	{ KGW_ERR_NO_UV, "no_uv", N_("security key cannot verify the user") },
	{ KGW_ERR_FIDO2, "key_error", N_("security key error") },
	{ KGW_ERR_ATTESTATION, "attestation", N_("attestation does not verify") },
	{ KGW_ERR_CLONE, "key_clone", N_("security key counter did not increase "
	    "(possible clone)") },
	{ KGW_ERR_STALE, "changed", N_("credentials changed during the login") },
	{ KGW_ERR_EXPIRED, "expired", N_("account expired") },
	{ KGW_ERR_WEAK, "weak_password", N_("password refused by the password "
	    "rules") },
	{ KGW_ERR_OFFLINE, "offline", N_("the directory could not be "
	    "reached") },
};

static const struct rc_name *
lookup(int rc)
{
	size_t i;

	for (i = 0; i < sizeof(rc_names) / sizeof(rc_names[0]); i++)
		if (rc_names[i].rc == rc)
			return &rc_names[i];
	return &rc_names[1];	/* unknown codes are internal errors */
}

const char *
kgw_strerror(int rc)
{
	return lookup(rc)->text;
}

const char *
kgw_reason(int rc)
{
	return lookup(rc)->reason;
}
