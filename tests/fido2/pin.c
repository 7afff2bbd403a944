/*
 * ClientPIN, PIN protocol 1 (CTAP 2.0, section 5.5): getRetries,
 * getKeyAgreement and getPINToken; and the user verification of a
 * MakeCredential or GetAssertion request (pinAuth, or the built-in UV).
 * Setting or changing a PIN is not offered: the PIN comes from DIR/state.
 */
#include <config.h>

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "sk.h"

#define PIN_PROTOCOL		1
#define SUB_GET_RETRIES		0x01
#define SUB_GET_KEY_AGREEMENT	0x02
#define SUB_GET_PIN_TOKEN	0x05
#define PIN_HASH_LEN		16
#define PIN_AUTH_LEN		16
#define PIN_FAILS_MAX		3	/* then a power cycle is needed */
#define RETRIES_FILE		"pin_retries"

int
sk_pin_session_begin(struct sk_dev *dev)
{
	dev->ka_key = NULL;
	dev->pin_fails = 0;
	return RAND_bytes(dev->pin_token, sizeof(dev->pin_token)) == 1 ?
	    0 : -1;
}

void
sk_pin_session_end(struct sk_dev *dev)
{
	EVP_PKEY_free(dev->ka_key);
	dev->ka_key = NULL;
	OPENSSL_cleanse(dev->pin_token, sizeof(dev->pin_token));
}

static int
get_retries(const struct sk_dev *dev, cbor_item_t **reply)
{
	uint32_t left;
	int fd;

	if ((fd = sk_num_lock(dev->dir, RETRIES_FILE, SK_PIN_RETRIES,
	    &left)) < 0 || sk_num_unlock(fd, NULL) < 0 ||
	    (*reply = cbor_new_definite_map(1)) == NULL)
		return SK_ERR_OTHER;
	if (sk_map_put(*reply, cbor_build_uint8(3),
	    cbor_build_uint8(left > 255 ? 255 : (uint8_t)left)) < 0)
		return SK_ERR_OTHER;
	return SK_OK;
}

/* The authenticator's half of the ECDH: {1: COSE_Key, alg -25}. */
static int
get_key_agreement(struct sk_dev *dev, cbor_item_t **reply)
{
	unsigned char x[32], y[32];
	cbor_item_t *cose;

	if (dev->ka_key == NULL &&
	    (dev->ka_key = sk_key_generate(SK_COSE_ES256)) == NULL)
		return SK_ERR_OTHER;
	if (sk_ec_xy(dev->ka_key, x, y) < 0 ||
	    (cose = cbor_new_definite_map(5)) == NULL)
		return SK_ERR_OTHER;
	/* EC2 (2), ECDH-ES+HKDF-256 (-25), P-256 (1). */
	if (sk_map_put(cose, cbor_build_uint8(1), cbor_build_uint8(2)) < 0 ||
	    sk_map_put(cose, cbor_build_uint8(3), cbor_build_negint8(24)) < 0 ||
	    sk_map_put(cose, cbor_build_negint8(0), cbor_build_uint8(1)) < 0 ||
	    sk_map_put(cose, cbor_build_negint8(1),
	    cbor_build_bytestring(x, 32)) < 0 ||
	    sk_map_put(cose, cbor_build_negint8(2),
	    cbor_build_bytestring(y, 32)) < 0) {
		cbor_decref(&cose);
		return SK_ERR_OTHER;
	}
	if ((*reply = cbor_new_definite_map(1)) == NULL) {
		cbor_decref(&cose);
		return SK_ERR_OTHER;
	}
	return sk_map_put(*reply, cbor_build_uint8(1), cose) < 0 ?
	    SK_ERR_OTHER : SK_OK;
}

static EVP_PKEY *
peer_key(const cbor_item_t *cose)
{
	unsigned char point[65];
	const unsigned char *x, *y;
	size_t xlen, ylen;
	char group[] = "P-256";
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;

	if (sk_get_bytes(sk_map_get(cose, -2), &x, &xlen) < 0 ||
	    sk_get_bytes(sk_map_get(cose, -3), &y, &ylen) < 0 ||
	    xlen != 32 || ylen != 32)
		return NULL;
	point[0] = 0x04;	/* uncompressed */
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    point, sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/* Protocol 1: SHA-256 of the x coordinate of the ECDH product. */
static int
shared_secret(const struct sk_dev *dev, const cbor_item_t *cose,
    unsigned char out[SHA256_DIGEST_LENGTH])
{
	unsigned char z[32];
	size_t zlen = sizeof(z);
	EVP_PKEY *peer;
	EVP_PKEY_CTX *ctx = NULL;
	int r = -1;

	if (dev->ka_key == NULL || (peer = peer_key(cose)) == NULL)
		return -1;
	if ((ctx = EVP_PKEY_CTX_new(dev->ka_key, NULL)) != NULL &&
	    EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
	    EVP_PKEY_derive(ctx, z, &zlen) == 1 && zlen == sizeof(z) &&
	    SHA256(z, zlen, out) != NULL)
		r = 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	OPENSSL_cleanse(z, sizeof(z));
	return r;
}

/* AES-256-CBC, IV 0, no padding: LEN is a multiple of 16. */
static int
cbc(int enc, const unsigned char key[32], const unsigned char *in,
    size_t len, unsigned char *out)
{
	static const unsigned char iv[16];
	EVP_CIPHER_CTX *ctx;
	int n, ok;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv,
	    enc) == 1 && EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 &&
	    EVP_CipherFinal_ex(ctx, out + n, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* LEFT(SHA-256(PIN), 16) == the decrypted pinHashEnc, in constant time. */
static int
pin_matches(const struct sk_dev *dev, const unsigned char *shared,
    const unsigned char *enc)
{
	unsigned char got[PIN_HASH_LEN], want[SHA256_DIGEST_LENGTH];
	int ok;

	ok = cbc(0, shared, enc, PIN_HASH_LEN, got) == 0 &&
	    SHA256((const unsigned char *)dev->st.pin, strlen(dev->st.pin),
	    want) != NULL && CRYPTO_memcmp(got, want, PIN_HASH_LEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

/* A wrong PIN: one retry less, and a fresh key agreement key. */
static int
pin_wrong(struct sk_dev *dev, uint32_t *left)
{
	if (*left > 0)
		(*left)--;
	dev->pin_fails++;
	EVP_PKEY_free(dev->ka_key);
	dev->ka_key = NULL;
	if (*left == 0)
		return SK_ERR_PIN_BLOCKED;
	return dev->pin_fails >= PIN_FAILS_MAX ? SK_ERR_PIN_AUTH_BLOCKED :
	    SK_ERR_PIN_INVALID;
}

static int
token_reply(const unsigned char *shared, const struct sk_dev *dev,
    cbor_item_t **reply)
{
	unsigned char enc[SK_TOKEN_LEN];
	int st = SK_ERR_OTHER;

	if (cbc(1, shared, dev->pin_token, sizeof(enc), enc) == 0 &&
	    (*reply = cbor_new_definite_map(1)) != NULL &&
	    sk_map_put(*reply, cbor_build_uint8(2),
	    cbor_build_bytestring(enc, sizeof(enc))) == 0)
		st = SK_OK;
	OPENSSL_cleanse(enc, sizeof(enc));
	return st;
}

static int
get_pin_token(struct sk_dev *dev, const cbor_item_t *req,
    cbor_item_t **reply)
{
	unsigned char shared[SHA256_DIGEST_LENGTH];
	const unsigned char *enc;
	size_t enclen;
	uint32_t left;
	int fd, st;

	if (!dev->st.has_pin)
		return SK_ERR_PIN_NOT_SET;
	if (sk_map_get(req, 3) == NULL ||
	    sk_get_bytes(sk_map_get(req, 6), &enc, &enclen) < 0)
		return SK_ERR_MISSING_PARAMETER;
	if (enclen != PIN_HASH_LEN)
		return SK_ERR_INVALID_PARAMETER;
	if ((fd = sk_num_lock(dev->dir, RETRIES_FILE, SK_PIN_RETRIES,
	    &left)) < 0)
		return SK_ERR_OTHER;
	if (left == 0)
		st = SK_ERR_PIN_BLOCKED;
	else if (dev->pin_fails >= PIN_FAILS_MAX)
		st = SK_ERR_PIN_AUTH_BLOCKED;
	else if (shared_secret(dev, sk_map_get(req, 3), shared) < 0)
		st = SK_ERR_INVALID_PARAMETER;
	else if (!pin_matches(dev, shared, enc))
		st = pin_wrong(dev, &left);
	else {
		left = SK_PIN_RETRIES;
		dev->pin_fails = 0;
		st = token_reply(shared, dev, reply);
	}
	OPENSSL_cleanse(shared, sizeof(shared));
	if (sk_num_unlock(fd, &left) < 0 && st == SK_OK)
		st = SK_ERR_OTHER;
	return st;
}

int
sk_client_pin(struct sk_dev *dev, const cbor_item_t *req,
    cbor_item_t **reply)
{
	int64_t proto, sub;

	if (sk_get_int(sk_map_get(req, 1), &proto) < 0 ||
	    sk_get_int(sk_map_get(req, 2), &sub) < 0)
		return SK_ERR_MISSING_PARAMETER;
	if (proto != PIN_PROTOCOL)
		return SK_ERR_INVALID_PARAMETER;
	switch (sub) {
	case SUB_GET_RETRIES:
		return get_retries(dev, reply);
	case SUB_GET_KEY_AGREEMENT:
		return get_key_agreement(dev, reply);
	case SUB_GET_PIN_TOKEN:
		return get_pin_token(dev, req, reply);
	default:
		return SK_ERR_INVALID_COMMAND;
	}
}

/* pinAuth == LEFT(HMAC-SHA-256(pinToken, clientDataHash), 16). */
static int
pin_auth_valid(const struct sk_dev *dev, const struct sk_uv_req *req,
    const unsigned char *auth, size_t len)
{
	unsigned char mac[SHA256_DIGEST_LENGTH];
	unsigned maclen = sizeof(mac);
	int ok;

	ok = len == PIN_AUTH_LEN && HMAC(EVP_sha256(), dev->pin_token,
	    sizeof(dev->pin_token), req->cdh, req->cdh_len, mac,
	    &maclen) != NULL && CRYPTO_memcmp(mac, auth, PIN_AUTH_LEN) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

static int
uv_by_pin(const struct sk_dev *dev, const struct sk_uv_req *req)
{
	const unsigned char *auth;
	size_t len;
	int64_t proto;
	int st;

	if (sk_get_bytes(req->pin_auth, &auth, &len) < 0)
		return SK_ERR_CBOR_UNEXPECTED_TYPE;
	/* A zero-length pinAuth is libfido2's touch probe: answer after it. */
	if (len == 0) {
		if ((st = sk_presence(dev)) != SK_OK)
			return st;
		return dev->st.has_pin ? SK_ERR_PIN_INVALID :
		    SK_ERR_PIN_NOT_SET;
	}
	if (!dev->st.has_pin)
		return SK_ERR_PIN_NOT_SET;
	if (sk_get_int(req->pin_proto, &proto) < 0)
		return SK_ERR_MISSING_PARAMETER;
	if (proto != PIN_PROTOCOL || !pin_auth_valid(dev, req, auth, len))
		return SK_ERR_PIN_AUTH_INVALID;
	return SK_OK;
}

/*
 * Sets *uv when the request is verified: by a valid pinAuth, or by the
 * built-in UV when the "uv" option asks for it. MakeCredential on a device
 * with a PIN and no verification fails with PIN_REQUIRED (CTAP 2.0).
 */
int
sk_uv_check(const struct sk_dev *dev, const struct sk_uv_req *req, bool *uv)
{
	int st;

	*uv = false;
	if (req->pin_auth != NULL) {
		if ((st = uv_by_pin(dev, req)) == SK_OK)
			*uv = true;
		return st;
	}
	if (req->uv_opt == 1) {
		if (!dev->st.uv_builtin)
			return SK_ERR_UNSUPPORTED_OPTION;
		*uv = true;
		return SK_OK;
	}
	if (req->make_cred && dev->st.has_pin)
		return SK_ERR_PIN_REQUIRED;
	return SK_OK;
}
