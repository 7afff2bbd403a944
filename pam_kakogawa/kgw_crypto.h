/* The store key, and sealing secrets at rest with AES-256-GCM (OpenSSL). */
#ifndef KGW_CRYPTO_H
#define KGW_CRYPTO_H

#include <stddef.h>

#include "kgw_log.h"

/*
 * The key file holds two independent random keys: one seals secrets
 * (AES-256-GCM), the other is kept for MACs (the audit trail). Separate
 * keys rather than subkeys derived on each login: OpenSSL 3.0 fetches a
 * KDF or HMAC by name on every use, which cost a tenth of a login.
 */
#define KGW_KEY_PART 32
#define KGW_KEY_LEN ((size_t)2 * KGW_KEY_PART)	/* bytes in the key file */
#define KGW_SEAL_NONCE 12
#define KGW_SEAL_TAG 16
#define KGW_SEAL_OVERHEAD (1 + KGW_SEAL_NONCE + KGW_SEAL_TAG)

struct kgw_key {
	unsigned char bytes[KGW_KEY_LEN];	/* seal key || MAC key */
};

/* Fills buf from the OpenSSL RNG. */
int kgw_random(void *buf, size_t len);

/* Creates a new random key file (O_EXCL, mode 0600). */
int kgw_key_create(const struct kgw_log *log, const char *path);

/* Loads a key file after the safe-path checks (private, KGW_KEY_LEN bytes). */
int kgw_key_load(const struct kgw_log *log, const char *path,
    struct kgw_key *key);

void kgw_key_wipe(struct kgw_key *key);

/*
 * Seals pt for one user and purpose (e.g. "totp:SHA1:6"): both are bound as
 * associated data, so a sealed value moved to another user or factor fails
 * to open. out receives version || nonce || ciphertext || tag and must hold
 * ptlen + KGW_SEAL_OVERHEAD bytes.
 */
int kgw_seal(const struct kgw_key *key, const char *purpose, const char *user,
    const unsigned char *pt, size_t ptlen, unsigned char *out, size_t outcap,
    size_t *outlen);

/* Opens what kgw_seal made; KGW_ERR_TAMPERED when authentication fails. */
int kgw_unseal(const struct kgw_key *key, const char *purpose,
    const char *user, const unsigned char *in, size_t inlen,
    unsigned char *pt, size_t ptcap, size_t *ptlen);

#endif
