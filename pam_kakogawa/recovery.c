/*
 * Recovery codes: made from the RNG, read back forgivingly (people copy
 * them from paper or hear them on the telephone), and hashed under a key
 * of their own, derived from the key file, before they reach the store.
 */
#include <config.h>

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "kgw_err.h"
#include "kgw_recovery.h"
#include "kgw_user.h"

/* Crockford's base32: no I, L, O or U to misread. */
static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#define MAC_KEY(key) ((key)->bytes + KGW_KEY_PART)	/* as audit.c */
#define KEY_LABEL "kakogawa recovery code key v1"
#define RAW_LEN (KGW_RECOVERY_BITS / 8)
/* Never more than a code, its dashes and some spaces. */
#define TYPED_MAX ((size_t)4 * KGW_RECOVERY_TEXT_MAX)

int
kgw_recovery_generate(char out[KGW_RECOVERY_TEXT_MAX])
{
	unsigned char raw[RAW_LEN];
	unsigned bits = 0, nbits = 0;
	size_t i, n = 0, sym = 0;
	int r;

	if ((r = kgw_random(raw, sizeof(raw))) != KGW_OK)
		return r;
	for (i = 0; i < sizeof(raw); i++) {
		bits = (bits << 8) | raw[i];
		nbits += 8;
		while (nbits >= 5) {
			nbits -= 5;
			if (sym > 0 && sym % 4 == 0)
				out[n++] = '-';
			out[n++] = alphabet[(bits >> nbits) & 31];
			sym++;
		}
	}
	out[n] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(&bits, sizeof(bits));
	return KGW_OK;
}

/* The symbol c stands for, or -1; Crockford's aliases read as meant. */
static int
symbol(char c)
{
	const char *p;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		c = '0';
	else if (c == 'I' || c == 'L')
		c = '1';
	if (c == '\0' || (p = strchr(alphabet, c)) == NULL)
		return -1;
	return (int)(p - alphabet);
}

int
kgw_recovery_normalize(const char *typed, char out[KGW_RECOVERY_SYMBOLS + 1])
{
	size_t i, n = 0, len;
	int v;

	if (typed == NULL)
		return KGW_ERR_INVALID;
	len = strnlen(typed, TYPED_MAX);
	if (len >= TYPED_MAX)
		return KGW_ERR_INVALID;
	for (i = 0; i < len; i++) {
		if (typed[i] == ' ' || typed[i] == '-')
			continue;
		if ((v = symbol(typed[i])) < 0 || n == KGW_RECOVERY_SYMBOLS)
			goto bad;
		out[n++] = alphabet[v];
	}
	if (n != KGW_RECOVERY_SYMBOLS)
		goto bad;
	out[n] = '\0';
	return KGW_OK;
bad:
	OPENSSL_cleanse(out, KGW_RECOVERY_SYMBOLS + 1);
	return KGW_ERR_INVALID;
}

/* HMAC-SHA256 of the two length-prefixed strings a and b under k. */
static int
mac2(const unsigned char *k, size_t klen, const char *a, const char *b,
    unsigned char out[KGW_RECOVERY_HASH_LEN])
{
	unsigned char buf[4 + KGW_USERNAME_MAX + 4 + 64];
	size_t la = strlen(a), lb = strlen(b), n = 0;
	unsigned int len = 0;
	int r = KGW_ERR_CRYPTO;

	if (la > KGW_USERNAME_MAX || lb > 64)
		return KGW_ERR_INVALID;
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = (unsigned char)(la >> 8);
	buf[n++] = (unsigned char)la;
	memcpy(buf + n, a, la);
	n += la;
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = (unsigned char)(lb >> 8);
	buf[n++] = (unsigned char)lb;
	memcpy(buf + n, b, lb);
	n += lb;
	if (HMAC(EVP_sha256(), k, (int)klen, buf, n, out, &len) != NULL &&
	    len == KGW_RECOVERY_HASH_LEN)
		r = KGW_OK;
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int
kgw_recovery_hash(const struct kgw_key *key, const char *user,
    const char *code, unsigned char out[KGW_RECOVERY_HASH_LEN])
{
	unsigned char sub[KGW_RECOVERY_HASH_LEN];
	unsigned int len = 0;
	int r = KGW_ERR_CRYPTO;

	if (key == NULL || user == NULL || code == NULL || out == NULL ||
	    strlen(code) != KGW_RECOVERY_SYMBOLS)
		return KGW_ERR_INVALID;
	/* Its own key: a code's hash is never an audit MAC, nor one of
	 * whatever else the MAC half keys. */
	if (HMAC(EVP_sha256(), MAC_KEY(key), KGW_KEY_PART,
	    (const unsigned char *)KEY_LABEL, sizeof(KEY_LABEL) - 1, sub,
	    &len) != NULL && len == sizeof(sub))
		r = mac2(sub, sizeof(sub), user, code, out);
	OPENSSL_cleanse(sub, sizeof(sub));
	return r;
}

bool
kgw_recovery_allowed(const struct kgw_zones *z, int zone,
    enum kgw_recovery_kind kind)
{
	if (z == NULL || zone < 0 || (unsigned)zone >= z->nzones)
		return false;
	if (kind == KGW_RECOVERY_BACKUP)
		return z->zone[zone].backup_codes;
	if (kind == KGW_RECOVERY_TEMP)
		return z->zone[zone].temp_codes;
	return false;
}

const char *
kgw_recovery_name(enum kgw_recovery_kind kind)
{
	switch (kind) {
	case KGW_RECOVERY_BACKUP:
		return "backup_code";
	case KGW_RECOVERY_TEMP:
		return "temp_code";
	default:
		return "-";
	}
}
