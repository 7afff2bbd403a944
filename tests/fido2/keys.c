/*
 * Credential keys: made with OpenSSL (ES256 on P-256, EdDSA on Ed25519),
 * shown to the relying party as COSE keys, and kept by no one: the
 * credential id is the private key itself, sealed with AES-256-GCM under
 * the device's master secret and bound to the rpIdHash. The device needs
 * no credential table, and an id presented for another RP does not open.
 */
#include <config.h>

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "sk.h"

/* Credential id: version, algorithm, nonce, sealed DER key, GCM tag. */
#define WRAP_VERSION	1
#define WRAP_HDR	2
#define WRAP_NONCE	12
#define WRAP_TAG	16
#define WRAP_OVERHEAD	(WRAP_HDR + WRAP_NONCE + WRAP_TAG)

EVP_PKEY *
sk_key_generate(int alg)
{
	if (alg == SK_COSE_ES256)
		return EVP_EC_gen("P-256");
	if (alg == SK_COSE_EDDSA)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return NULL;
}

/* The affine coordinates of a P-256 public key, 32 bytes each. */
int
sk_ec_xy(const EVP_PKEY *pk, unsigned char x[32], unsigned char y[32])
{
	BIGNUM *bx = NULL, *by = NULL;
	int r = -1;

	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1 &&
	    BN_bn2binpad(bx, x, 32) == 32 && BN_bn2binpad(by, y, 32) == 32)
		r = 0;
	BN_free(bx);
	BN_free(by);
	return r;
}

/*
 * COSE_Key (RFC 8152) of a credential. Labels must be 8-bit CBOR integers
 * (cbor_build_uint8 / cbor_build_negint8): libfido2 skips any other width.
 */
cbor_item_t *
sk_key_cose(const EVP_PKEY *pk, int alg)
{
	unsigned char x[32], y[32];
	size_t xlen = sizeof(x);
	cbor_item_t *map;
	int ok;

	if (alg == SK_COSE_ES256) {
		if (sk_ec_xy(pk, x, y) < 0 ||
		    (map = cbor_new_definite_map(5)) == NULL)
			return NULL;
		ok = sk_map_put(map, cbor_build_uint8(1), cbor_build_uint8(2)) ==
		    0 && sk_map_put(map, cbor_build_uint8(3),
		    cbor_build_negint8(6)) == 0 &&
		    sk_map_put(map, cbor_build_negint8(0),
		    cbor_build_uint8(1)) == 0 &&
		    sk_map_put(map, cbor_build_negint8(1),
		    cbor_build_bytestring(x, 32)) == 0 &&
		    sk_map_put(map, cbor_build_negint8(2),
		    cbor_build_bytestring(y, 32)) == 0;
	} else {
		if (EVP_PKEY_get_raw_public_key(pk, x, &xlen) != 1 ||
		    xlen != 32 || (map = cbor_new_definite_map(4)) == NULL)
			return NULL;
		/* OKP (1), EdDSA (-8), Ed25519 (6). */
		ok = sk_map_put(map, cbor_build_uint8(1), cbor_build_uint8(1)) ==
		    0 && sk_map_put(map, cbor_build_uint8(3),
		    cbor_build_negint8(7)) == 0 &&
		    sk_map_put(map, cbor_build_negint8(0),
		    cbor_build_uint8(6)) == 0 &&
		    sk_map_put(map, cbor_build_negint8(1),
		    cbor_build_bytestring(x, 32)) == 0;
	}
	if (!ok)
		cbor_decref(&map);
	return map;
}

/* ES256: DER ECDSA over SHA-256(msg); EdDSA: Ed25519 over msg itself. */
int
sk_key_sign(EVP_PKEY *pk, int alg, const unsigned char *msg, size_t len,
    unsigned char *sig, size_t *siglen)
{
	EVP_MD_CTX *ctx;
	int r = -1;

	*siglen = SK_SIG_MAX;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestSignInit(ctx, NULL, alg == SK_COSE_ES256 ?
	    EVP_sha256() : NULL, NULL, pk) == 1 &&
	    EVP_DigestSign(ctx, sig, siglen, msg, len) == 1)
		r = 0;
	EVP_MD_CTX_free(ctx);
	return r;
}

static int
gcm(int enc, const unsigned char *key, const unsigned char *nonce,
    const unsigned char *aad, size_t aadlen, const unsigned char *in,
    size_t len, unsigned char *out, unsigned char tag[WRAP_TAG])
{
	EVP_CIPHER_CTX *ctx;
	int n, ok;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce,
	    enc) == 1 &&
	    EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) == 1 &&
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 &&
	    (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, WRAP_TAG,
	    tag) == 1) &&
	    EVP_CipherFinal_ex(ctx, out + n, &n) == 1 &&
	    (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, WRAP_TAG,
	    tag) == 1);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* AAD: the rpIdHash, then the id's header (version, algorithm). */
static void
wrap_aad(unsigned char aad[SK_HASH_LEN + WRAP_HDR],
    const unsigned char rph[SK_HASH_LEN], const unsigned char *hdr)
{
	memcpy(aad, rph, SK_HASH_LEN);
	memcpy(aad + SK_HASH_LEN, hdr, WRAP_HDR);
}

int
sk_cred_wrap(const char *dir, const unsigned char rph[SK_HASH_LEN],
    EVP_PKEY *pk, int alg, unsigned char *id, size_t *idlen)
{
	unsigned char secret[SK_SECRET_LEN], aad[SK_HASH_LEN + WRAP_HDR];
	unsigned char *der = NULL;
	int derlen, r = -1;

	if ((derlen = i2d_PrivateKey(pk, &der)) <= 0)
		return -1;
	id[0] = WRAP_VERSION;
	id[1] = alg == SK_COSE_ES256 ? 1 : 2;
	wrap_aad(aad, rph, id);
	if ((size_t)derlen <= SK_CRED_ID_MAX - WRAP_OVERHEAD &&
	    sk_secret_get(dir, secret) == 0 &&
	    RAND_bytes(id + WRAP_HDR, WRAP_NONCE) == 1 &&
	    gcm(1, secret, id + WRAP_HDR, aad, sizeof(aad), der,
	    (size_t)derlen, id + WRAP_HDR + WRAP_NONCE,
	    id + WRAP_HDR + WRAP_NONCE + derlen) == 0) {
		*idlen = WRAP_OVERHEAD + (size_t)derlen;
		r = 0;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_clear_free(der, (size_t)derlen);
	return r;
}

/* The key inside ID if this device sealed it for this RP, else NULL. */
EVP_PKEY *
sk_cred_unwrap(const char *dir, const unsigned char rph[SK_HASH_LEN],
    const unsigned char *id, size_t idlen, int *alg)
{
	unsigned char secret[SK_SECRET_LEN], aad[SK_HASH_LEN + WRAP_HDR];
	unsigned char der[SK_CRED_ID_MAX], tag[WRAP_TAG];
	const unsigned char *p = der;
	size_t derlen;
	EVP_PKEY *pk = NULL;

	if (idlen <= WRAP_OVERHEAD || idlen > SK_CRED_ID_MAX ||
	    id[0] != WRAP_VERSION || (id[1] != 1 && id[1] != 2))
		return NULL;
	*alg = id[1] == 1 ? SK_COSE_ES256 : SK_COSE_EDDSA;
	derlen = idlen - WRAP_OVERHEAD;
	memcpy(tag, id + idlen - WRAP_TAG, WRAP_TAG);
	wrap_aad(aad, rph, id);
	if (sk_secret_get(dir, secret) == 0 &&
	    gcm(0, secret, id + WRAP_HDR, aad, sizeof(aad),
	    id + WRAP_HDR + WRAP_NONCE, derlen, der, tag) == 0 &&
	    (pk = d2i_AutoPrivateKey(NULL, &p, (long)derlen)) != NULL &&
	    !EVP_PKEY_is_a(pk, *alg == SK_COSE_ES256 ? "EC" : "ED25519")) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(der, sizeof(der));
	return pk;
}
