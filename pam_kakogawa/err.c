/* Names for the result codes of kgw_err.h. */
#include <config.h>

#include <stddef.h>

#include "kgw_err.h"

struct rc_name {
	int rc;
	const char *reason;	/* stable token for log lines */
	const char *text;	/* for people */
};

static const struct rc_name rc_names[] = {
	{ KGW_OK, "ok", "success" },
	{ KGW_ERR_INTERNAL, "internal", "internal error" },
	{ KGW_ERR_NOMEM, "nomem", "out of memory" },
	{ KGW_ERR_IO, "io", "input/output error" },
	{ KGW_ERR_CONFIG, "config", "configuration error" },
	{ KGW_ERR_UNSAFE, "unsafe_file", "unsafe file ownership, mode or path" },
	{ KGW_ERR_STORE, "store", "credential store error" },
	{ KGW_ERR_BUSY, "store_busy", "credential store busy" },
	{ KGW_ERR_SCHEMA, "store_schema", "unknown credential store schema" },
	{ KGW_ERR_CRYPTO, "crypto", "cryptographic failure" },
	{ KGW_ERR_TAMPERED, "tampered", "sealed data failed authentication" },
	{ KGW_ERR_INVALID, "invalid_input", "invalid input" },
	{ KGW_ERR_NOT_FOUND, "unknown_user", "no such user" },
	{ KGW_ERR_EXISTS, "exists", "already exists" },
	{ KGW_ERR_DENIED, "bad_credential", "credential did not match" },
	{ KGW_ERR_REPLAY, "replay", "code already used" },
	{ KGW_ERR_LOCKED, "locked", "account locked" },
	{ KGW_ERR_DISABLED, "disabled", "account disabled" },
	{ KGW_ERR_NO_FACTOR, "no_factor", "factor not enrolled" },
	{ KGW_ERR_CONV, "conversation", "conversation failed" },
	{ KGW_ERR_MISSING, "missing_file", "file not found" },
	{ KGW_ERR_ZONE, "zone", "refused by the zone policy" },
	{ KGW_ERR_NO_KEY, "no_key", "no security key with a credential" },
	{ KGW_ERR_TIMEOUT, "key_timeout", "security key not touched in time" },
	{ KGW_ERR_NO_UV, "no_uv", "security key cannot verify the user" },
	{ KGW_ERR_FIDO2, "key_error", "security key error" },
	{ KGW_ERR_ATTESTATION, "attestation", "attestation does not verify" },
	{ KGW_ERR_CLONE, "key_clone", "security key counter did not increase "
	    "(possible clone)" },
	{ KGW_ERR_STALE, "changed", "credentials changed during the login" },
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
