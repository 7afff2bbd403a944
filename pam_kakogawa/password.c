/* Passwords through libcrypt: yescrypt for new ones, any crypt(5) hash kept. */
#include <config.h>

#include <crypt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "kgw_err.h"
#include "kgw_password.h"
#include "kgw_str.h"

#define HASH_PREFIX "$y$"	/* yescrypt, Debian's default */

static bool
password_ok(const char *password)
{
	size_t len;

	if (password == NULL)
		return false;
	len = strnlen(password, KGW_PASSWORD_MAX);
	return len > 0 && len < KGW_PASSWORD_MAX;
}

/* crypt_rn into a heap crypt_data (it is 32 KiB), wiped afterwards. */
static int
run_crypt(const char *password, const char *setting, char *out,
    size_t outlen)
{
	struct crypt_data *cd;
	const char *res;
	int r = KGW_ERR_CRYPTO;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return KGW_ERR_NOMEM;
	res = crypt_rn(password, setting, cd, (int)sizeof(*cd));
	if (res != NULL && res[0] != '*' &&
	    kgw_strcopy(out, outlen, res) == KGW_OK)
		r = KGW_OK;
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return r;
}

int
kgw_password_hash(const char *password, char *out, size_t outlen)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	if (!password_ok(password) || out == NULL)
		return KGW_ERR_INVALID;
	if (crypt_gensalt_rn(HASH_PREFIX, 0, NULL, 0, setting,
	    (int)sizeof(setting)) == NULL)
		return KGW_ERR_CRYPTO;
	return run_crypt(password, setting, out, outlen);
}

/*
 * Every call runs crypt once, whatever it is given: an empty or oversized
 * password, or no hash at all (a fresh yescrypt setting stands in), costs
 * what a real check costs, so the time before the next prompt tells
 * nobody whether the account exists or has a password.
 */
int
kgw_password_verify(const char *password, const char *hash)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char out[KGW_HASH_MAX];
	bool usable = password_ok(password);
	bool real = hash != NULL && hash[0] != '\0';
	size_t n;
	int r = KGW_ERR_DENIED;

	if (!real) {
		if (crypt_gensalt_rn(HASH_PREFIX, 0, NULL, 0, setting,
		    (int)sizeof(setting)) == NULL)
			return KGW_ERR_DENIED;
		hash = setting;
	}
	if (run_crypt(usable ? password : "x", hash, out, sizeof(out)) !=
	    KGW_OK)
		goto out;
	n = strlen(hash);
	if (real && usable && strlen(out) == n &&
	    CRYPTO_memcmp(out, hash, n) == 0)
		r = KGW_OK;
out:
	OPENSSL_cleanse(out, sizeof(out));
	return r;
}

static bool
hash_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("./$=,+-", c) != NULL;
}

int
kgw_password_hash_valid(const char *hash)
{
	char out[KGW_HASH_MAX];
	size_t i, len;
	int s;

	if (hash == NULL)
		return KGW_ERR_INVALID;
	len = strnlen(hash, KGW_HASH_MAX);
	if (len == 0 || len >= KGW_HASH_MAX)
		return KGW_ERR_INVALID;
	for (i = 0; i < len; i++)
		if (!hash_char(hash[i]))
			return KGW_ERR_INVALID;
	s = crypt_checksalt(hash);
	/* Old methods still verify; importing them must not fail. */
	if (s != CRYPT_SALT_OK && s != CRYPT_SALT_METHOD_LEGACY &&
	    s != CRYPT_SALT_TOO_CHEAP)
		return KGW_ERR_INVALID;
	/* A bare setting or a truncated hash passes checksalt (a plain word
	 * reads as a DES salt); a complete hash re-hashes to its own length. */
	if (run_crypt("x", hash, out, sizeof(out)) != KGW_OK ||
	    strlen(out) != len)
		return KGW_ERR_INVALID;
	return KGW_OK;
}

bool
kgw_password_hash_legacy(const char *hash)
{
	return kgw_password_hash_valid(hash) == KGW_OK &&
	    crypt_checksalt(hash) != CRYPT_SALT_OK;
}
