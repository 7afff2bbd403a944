/* Result codes shared by the core, the module and the tool. 0 is success. */
#ifndef KGW_ERR_H
#define KGW_ERR_H

enum kgw_rc {
	KGW_OK = 0,
	KGW_ERR_INTERNAL = -1,	/* a bug or an unexpected library failure */
	KGW_ERR_NOMEM = -2,
	KGW_ERR_IO = -3,	/* a system call failed */
	KGW_ERR_CONFIG = -4,	/* configuration file or module option */
	KGW_ERR_UNSAFE = -5,	/* a file's path, owner or mode is not safe */
	KGW_ERR_STORE = -6,	/* the credential store failed */
	KGW_ERR_BUSY = -7,	/* the store stayed locked past the busy timeout */
	KGW_ERR_SCHEMA = -8,	/* the store's schema is unknown or newer */
	KGW_ERR_CRYPTO = -9,	/* a cryptographic operation failed */
	KGW_ERR_TAMPERED = -10,	/* sealed data failed authentication */
	KGW_ERR_INVALID = -11,	/* untrusted input was rejected */
	KGW_ERR_NOT_FOUND = -12,
	KGW_ERR_EXISTS = -13,
	KGW_ERR_DENIED = -14,	/* a credential did not match */
	KGW_ERR_REPLAY = -15,	/* a TOTP step was already used */
	KGW_ERR_LOCKED = -16,
	KGW_ERR_DISABLED = -17,
	KGW_ERR_NO_FACTOR = -18, /* the factor is not enrolled */
	KGW_ERR_CONV = -19,	/* the PAM conversation failed */
	KGW_ERR_MISSING = -20,	/* a file we need does not exist */
	KGW_ERR_ZONE = -21,	/* refused by the zone policy */
	KGW_ERR_NO_KEY = -22,	/* no security key, or none holds a credential */
	KGW_ERR_TIMEOUT = -23,	/* the key was not touched in time */
	KGW_ERR_NO_UV = -24,	/* the key cannot verify the user */
	KGW_ERR_FIDO2 = -25,	/* the key failed or answered nonsense */
	KGW_ERR_ATTESTATION = -26, /* a new credential's attestation is bad */
	KGW_ERR_CLONE = -27,	/* counter not increasing: a possible clone */
	KGW_ERR_STALE = -28,	/* credentials changed while a login ran */
	/* The account lifecycle numbers from -40 (stable, like the rest). */
	KGW_ERR_EXPIRED = -40,	/* the account is past its expiry date */
	KGW_ERR_WEAK = -41,	/* a new password breaks the password rules */
	KGW_ERR_OFFLINE = -42,	/* the directory could not be reached */
};

/* A short English description of rc, for operators and logs. */
const char *kgw_strerror(int rc);

/* A stable snake_case token of rc, for the reason= field of log lines. */
const char *kgw_reason(int rc);

#endif
