/*
 * Recovery from a lost token: single-use backup codes a person keeps on
 * paper, and a short-lived code the helpdesk issues to someone who lost
 * every factor. Both are typed at the code prompt in place of a TOTP
 * code, where the host's zone allows them, and both are kept in the store
 * only as keyed hashes.
 */
#ifndef KGW_RECOVERY_H
#define KGW_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kgw_crypto.h"
#include "kgw_zone.h"

/*
 * A code is 16 symbols of Crockford's base32 (0-9 A-Z without I L O U):
 * 80 bits from the RNG, shown as XXXX-XXXX-XXXX-XXXX. 80 bits is why a
 * fast keyed hash is enough to keep them: no one who reads the store can
 * try 2^80 codes, even knowing the key would not shorten that.
 */
#define KGW_RECOVERY_SYMBOLS 16
#define KGW_RECOVERY_BITS (KGW_RECOVERY_SYMBOLS * 5)
#define KGW_RECOVERY_TEXT_MAX (KGW_RECOVERY_SYMBOLS + 3 + 1)	/* dashes, NUL */
#define KGW_RECOVERY_HASH_LEN 32	/* HMAC-SHA256 */

#define KGW_BACKUP_CODES_DEFAULT 10
#define KGW_BACKUP_CODES_MAX 20
#define KGW_TEMP_TTL_DEFAULT 3600	/* seconds */
#define KGW_TEMP_TTL_MIN 60
#define KGW_TEMP_TTL_MAX (24L * 3600)

enum kgw_recovery_kind {
	KGW_RECOVERY_NONE = 0,
	KGW_RECOVERY_BACKUP,	/* one of a person's backup codes */
	KGW_RECOVERY_TEMP,	/* the helpdesk's temporary code */
};

/* A code found in the store (kgw_store_recovery_find). */
struct kgw_recovery_match {
	enum kgw_recovery_kind kind;
	int64_t id;		/* the backup code's row; 0 for a temp code */
	bool used;
	int64_t expires;	/* a temp code's end; 0 for a backup code */
	unsigned char hash[KGW_RECOVERY_HASH_LEN];
};

/* A new code from the RNG, in the grouped form people are shown. */
int kgw_recovery_generate(char out[KGW_RECOVERY_TEXT_MAX]);

/*
 * What a person typed, as a code: spaces and dashes dropped, case
 * ignored, O read as 0 and I, L as 1 (Crockford). KGW_ERR_INVALID unless
 * exactly KGW_RECOVERY_SYMBOLS symbols remain: a TOTP code never does.
 */
int kgw_recovery_normalize(const char *typed,
    char out[KGW_RECOVERY_SYMBOLS + 1]);

/*
 * The keyed hash a code is stored as: HMAC-SHA256 under a key derived
 * from the key file's MAC half (as the audit trail's key is that half),
 * over the user and the normalised code, so that a hash moved to another
 * person does not match.
 */
int kgw_recovery_hash(const struct kgw_key *key, const char *user,
    const char *code, unsigned char out[KGW_RECOVERY_HASH_LEN]);

/* Whether zone (an index, or KGW_ZONE_NONE) takes codes of kind. */
bool kgw_recovery_allowed(const struct kgw_zones *z, int zone,
    enum kgw_recovery_kind kind);

/* "backup_code", "temp_code": the factor's name in logs and records. */
const char *kgw_recovery_name(enum kgw_recovery_kind kind);

#endif
