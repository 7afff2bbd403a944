/* Password hashing and checking through libcrypt (yescrypt by default). */
#ifndef KGW_PASSWORD_H
#define KGW_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define KGW_HASH_MAX 256	/* bytes of a crypt(5) hash, NUL included */
#define KGW_PASSWORD_MAX 512	/* bytes, as PAM_MAX_RESP_SIZE */

/* Hashes a new password with yescrypt and a fresh salt. */
int kgw_password_hash(const char *password, char *out, size_t outlen);

/*
 * KGW_OK when password matches hash (constant-time comparison of the
 * crypt output), KGW_ERR_DENIED otherwise. An empty password never matches.
 * A NULL hash checks against a fixed dummy hash, so that a user without a
 * password costs the same time as one with, and is denied.
 */
int kgw_password_verify(const char *password, const char *hash);

/* KGW_OK when hash is a crypt(5) hash libcrypt can check (for imports). */
int kgw_password_hash_valid(const char *hash);

/*
 * True for a valid hash of a method crypt(5) calls legacy (DES, MD5...):
 * accepted so that old accounts can be imported, but weak, and much
 * faster to check than yescrypt, which shows in the login's timing.
 */
bool kgw_password_hash_legacy(const char *hash);

#endif
