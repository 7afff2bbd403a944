/*
 * MakeCredential (packed attestation) and GetAssertion (allowList only: no
 * resident keys), with the flags and the counter the device's state asks
 * for, misbehaviour included (up_flag=no, counter=backwards, ...).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "sk.h"

#define FLAG_UP		0x01
#define FLAG_UV		0x04
#define FLAG_AT		0x40
#define AD_HEAD		37	/* rpIdHash, flags, counter */
#define AD_MAX		512	/* with attested credential data */
#define RPID_MAX	256
#define COUNTER_FILE	"counter"
#define EVIL_RPID	"evil.example"	/* rp_hash=wrong signs for it */
#define RANDOM_ID_LEN	32		/* response_id=random */

/* What MakeCredential and GetAssertion requests have in common. */
struct req {
	char rpid[RPID_MAX];
	unsigned char rph[SK_HASH_LEN];
	const unsigned char *cdh;
	size_t cdh_len;
	const cbor_item_t *creds;	/* excludeList or allowList */
	int alg;			/* MakeCredential: 0 if none fits */
	int up, uv, rk;			/* options: -1 absent, 0, 1 */
	const cbor_item_t *pin_auth;
	const cbor_item_t *pin_proto;
};

static int
parse_common(struct req *r, const cbor_item_t *cdh, const cbor_item_t *creds,
    const cbor_item_t *opts)
{
	if (sk_get_bytes(cdh, &r->cdh, &r->cdh_len) < 0)
		return SK_ERR_MISSING_PARAMETER;
	if (r->cdh_len != SK_HASH_LEN)
		return SK_ERR_INVALID_LENGTH;
	if (creds != NULL && !cbor_isa_array(creds))
		return SK_ERR_CBOR_UNEXPECTED_TYPE;
	r->creds = creds;
	if (sk_get_option(opts, "up", &r->up) < 0 ||
	    sk_get_option(opts, "uv", &r->uv) < 0 ||
	    sk_get_option(opts, "rk", &r->rk) < 0)
		return SK_ERR_CBOR_UNEXPECTED_TYPE;
	if (SHA256((const unsigned char *)r->rpid, strlen(r->rpid),
	    r->rph) == NULL)
		return SK_ERR_OTHER;
	return SK_OK;
}

/* The first of pubKeyCredParams the device can make, or 0. */
static int
pick_alg(const cbor_item_t *params)
{
	cbor_item_t **items = cbor_array_handle(params);
	size_t i, n = cbor_array_size(params);
	char type[16];
	int64_t alg;

	for (i = 0; i < n; i++)
		if (sk_get_text(sk_map_get_str(items[i], "type"), type,
		    sizeof(type)) == 0 && strcmp(type, "public-key") == 0 &&
		    sk_get_int(sk_map_get_str(items[i], "alg"), &alg) == 0 &&
		    (alg == SK_COSE_ES256 || alg == SK_COSE_EDDSA))
			return (int)alg;
	return 0;
}

static int
parse_make_cred(const cbor_item_t *req, struct req *r)
{
	const cbor_item_t *rp = sk_map_get(req, 2);
	const cbor_item_t *user = sk_map_get(req, 3);
	const cbor_item_t *params = sk_map_get(req, 4);

	memset(r, 0, sizeof(*r));
	if (sk_get_text(sk_map_get_str(rp, "id"), r->rpid,
	    sizeof(r->rpid)) < 0 || user == NULL || !cbor_isa_map(user) ||
	    params == NULL || !cbor_isa_array(params))
		return SK_ERR_MISSING_PARAMETER;
	r->alg = pick_alg(params);
	r->pin_auth = sk_map_get(req, 8);
	r->pin_proto = sk_map_get(req, 9);
	return parse_common(r, sk_map_get(req, 1), sk_map_get(req, 5),
	    sk_map_get(req, 7));
}

static int
parse_get_assert(const cbor_item_t *req, struct req *r)
{
	memset(r, 0, sizeof(*r));
	if (sk_get_text(sk_map_get(req, 1), r->rpid, sizeof(r->rpid)) < 0)
		return SK_ERR_MISSING_PARAMETER;
	r->pin_auth = sk_map_get(req, 6);
	r->pin_proto = sk_map_get(req, 7);
	return parse_common(r, sk_map_get(req, 2), sk_map_get(req, 3),
	    sk_map_get(req, 5));
}

/* The first credential of the list that this device made for this RP. */
static EVP_PKEY *
find_cred(const struct sk_dev *dev, const struct req *r,
    const unsigned char **id, size_t *idlen, int *alg)
{
	cbor_item_t **items;
	size_t i, n;
	EVP_PKEY *pk;

	if (r->creds == NULL)
		return NULL;
	items = cbor_array_handle(r->creds);
	n = cbor_array_size(r->creds);
	for (i = 0; i < n; i++)
		if (sk_get_bytes(sk_map_get_str(items[i], "id"), id,
		    idlen) == 0 && (pk = sk_cred_unwrap(dev->dir, r->rph, *id,
		    *idlen, alg)) != NULL)
			return pk;
	return NULL;
}

/* The next signature counter, as DIR/state's counter= wants it. */
static int
next_counter(const struct sk_dev *dev, uint32_t *out)
{
	uint32_t c;
	int fd;

	if (dev->st.counter == SK_COUNTER_ZERO) {
		*out = 0;
		return 0;
	}
	if ((fd = sk_num_lock(dev->dir, COUNTER_FILE, 0, &c)) < 0)
		return -1;
	if (dev->st.counter == SK_COUNTER_NORMAL && c < UINT32_MAX)
		c++;
	else if (dev->st.counter == SK_COUNTER_BACKWARDS && c > 0)
		c--;
	*out = c;
	return sk_num_unlock(fd, &c);
}

/* rpIdHash, flags, big-endian counter: the head of authenticatorData. */
static int
ad_head(const struct sk_dev *dev, const unsigned char rph[SK_HASH_LEN],
    uint8_t flags, unsigned char *ad)
{
	uint32_t c;

	if (next_counter(dev, &c) < 0)
		return -1;
	memcpy(ad, rph, SK_HASH_LEN);
	ad[32] = flags;
	ad[33] = (unsigned char)(c >> 24);
	ad[34] = (unsigned char)(c >> 16);
	ad[35] = (unsigned char)(c >> 8);
	ad[36] = (unsigned char)c;
	return 0;
}

/* Attested credential data: AAGUID, id length and id, COSE public key. */
static size_t
ad_attested(const struct sk_dev *dev, const unsigned char *id, size_t idlen,
    const EVP_PKEY *pk, int alg, unsigned char *ad)
{
	cbor_item_t *cose;
	unsigned char *buf = NULL;
	size_t bufsize, n = 0, len = SK_AAGUID_LEN + 2 + idlen;

	if ((cose = sk_key_cose(pk, alg)) == NULL)
		return 0;
	if ((n = cbor_serialize_alloc(cose, &buf, &bufsize)) > 0 &&
	    len + n <= AD_MAX - AD_HEAD) {
		memcpy(ad, dev->st.aaguid, SK_AAGUID_LEN);
		ad[SK_AAGUID_LEN] = (unsigned char)(idlen >> 8);
		ad[SK_AAGUID_LEN + 1] = (unsigned char)idlen;
		memcpy(ad + SK_AAGUID_LEN + 2, id, idlen);
		memcpy(ad + len, buf, n);
		len += n;
	} else
		len = 0;
	free(buf);
	cbor_decref(&cose);
	return len;
}

static cbor_item_t *
make_cred_reply(const struct sk_dev *dev, const struct req *r, EVP_PKEY *pk,
    unsigned char *ad, size_t adlen)
{
	cbor_item_t *reply;

	/* A signature covers authenticatorData || clientDataHash. */
	memcpy(ad + adlen, r->cdh, r->cdh_len);
	if ((reply = cbor_new_definite_map(3)) == NULL)
		return NULL;
	if (sk_map_put(reply, cbor_build_uint8(1),
	    cbor_build_string("packed")) < 0 ||
	    sk_map_put(reply, cbor_build_uint8(2),
	    cbor_build_bytestring(ad, adlen)) < 0 ||
	    sk_map_put(reply, cbor_build_uint8(3), sk_attest_stmt(dev, pk,
	    r->alg, ad, adlen + r->cdh_len)) < 0)
		cbor_decref(&reply);
	return reply;
}

static int
make_cred_build(const struct sk_dev *dev, const struct req *r, bool uv,
    cbor_item_t **reply)
{
	unsigned char ad[AD_MAX + SK_HASH_LEN], id[SK_CRED_ID_MAX];
	size_t idlen, n;
	EVP_PKEY *pk;
	uint8_t flags = FLAG_UP | FLAG_AT | (uv ? FLAG_UV : 0);

	*reply = NULL;
	if ((pk = sk_key_generate(r->alg)) == NULL)
		return SK_ERR_OTHER;
	if (sk_cred_wrap(dev->dir, r->rph, pk, r->alg, id, &idlen) == 0 &&
	    ad_head(dev, r->rph, flags, ad) == 0 &&
	    (n = ad_attested(dev, id, idlen, pk, r->alg, ad + AD_HEAD)) > 0)
		*reply = make_cred_reply(dev, r, pk, ad, AD_HEAD + n);
	EVP_PKEY_free(pk);
	return *reply != NULL ? SK_OK : SK_ERR_OTHER;
}

int
sk_make_cred(struct sk_dev *dev, const cbor_item_t *req, cbor_item_t **reply)
{
	struct req r;
	struct sk_uv_req u;
	const unsigned char *id;
	size_t idlen;
	EVP_PKEY *excluded;
	bool uv;
	int alg, st;

	if ((st = parse_make_cred(req, &r)) != SK_OK)
		return st;
	/* An excluded credential is told only to a present user. */
	if ((excluded = find_cred(dev, &r, &id, &idlen, &alg)) != NULL) {
		EVP_PKEY_free(excluded);
		return (st = sk_presence(dev)) != SK_OK ? st :
		    SK_ERR_CREDENTIAL_EXCLUDED;
	}
	if (r.alg == 0)
		return SK_ERR_UNSUPPORTED_ALGORITHM;
	if (r.rk == 1)
		return SK_ERR_UNSUPPORTED_OPTION;	/* no resident keys */
	if (r.up == 0)
		return SK_ERR_INVALID_OPTION;
	u = (struct sk_uv_req){ r.cdh, r.cdh_len, r.pin_auth, r.pin_proto,
	    r.uv, true };
	if ((st = sk_uv_check(dev, &u, &uv)) != SK_OK ||
	    (st = sk_presence(dev)) != SK_OK)
		return st;
	return make_cred_build(dev, &r, uv, reply);
}

static cbor_item_t *
descriptor(const unsigned char *id, size_t idlen)
{
	cbor_item_t *map;

	if ((map = cbor_new_definite_map(2)) != NULL &&
	    (sk_map_put(map, cbor_build_string("id"),
	    cbor_build_bytestring(id, idlen)) < 0 ||
	    sk_map_put(map, cbor_build_string("type"),
	    cbor_build_string("public-key")) < 0))
		cbor_decref(&map);
	return map;
}

/*
 * The credential of the reply (key 1): the one used, or as DIR/state's
 * response_id= wants it; NULL for "empty", where the key is left out.
 */
static cbor_item_t *
reply_descriptor(const struct sk_dev *dev, const unsigned char *id,
    size_t idlen)
{
	unsigned char rnd[RANDOM_ID_LEN];

	if (dev->st.resp_id == SK_RESP_ID_REAL)
		return descriptor(id, idlen);
	if (dev->st.resp_id == SK_RESP_ID_EMPTY ||
	    RAND_bytes(rnd, sizeof(rnd)) != 1)
		return NULL;
	return descriptor(rnd, sizeof(rnd));
}

/*
 * authenticatorData || clientDataHash, signed by the credential key. The
 * misbehaviour DIR/state asks for is made here: uv_flag=no leaves UV out
 * after a verification, rp_hash=wrong puts another RP's hash in.
 */
static int
get_assert_sign(const struct sk_dev *dev, const struct req *r, EVP_PKEY *pk,
    int alg, bool uv, unsigned char ad[AD_HEAD], unsigned char *sig,
    size_t *siglen)
{
	unsigned char msg[AD_HEAD + SK_HASH_LEN], evil[SK_HASH_LEN];
	const unsigned char *rph = r->rph;
	/* up_flag=no: a broken key that does not say the user was there. */
	uint8_t flags = (r->up != 0 && dev->st.up_flag ? FLAG_UP : 0) |
	    (uv && dev->st.uv_flag ? FLAG_UV : 0);

	if (dev->st.rp_hash_wrong) {
		if (SHA256((const unsigned char *)EVIL_RPID,
		    strlen(EVIL_RPID), evil) == NULL)
			return -1;
		rph = evil;
	}
	if (ad_head(dev, rph, flags, msg) < 0)
		return -1;
	memcpy(ad, msg, AD_HEAD);
	memcpy(msg + AD_HEAD, r->cdh, r->cdh_len);
	return sk_key_sign(pk, alg, msg, AD_HEAD + r->cdh_len, sig, siglen);
}

static int
get_assert_build(const struct sk_dev *dev, const struct req *r,
    EVP_PKEY *pk, int alg, const unsigned char *id, size_t idlen, bool uv,
    cbor_item_t **reply)
{
	unsigned char ad[AD_HEAD], sig[SK_SIG_MAX];
	size_t siglen;
	bool with_id = dev->st.resp_id != SK_RESP_ID_EMPTY;

	if (get_assert_sign(dev, r, pk, alg, uv, ad, sig, &siglen) < 0 ||
	    (*reply = cbor_new_definite_map(with_id ? 3 : 2)) == NULL)
		return SK_ERR_OTHER;
	/* CTAP 2.0 allows no credential when the allowList held one. */
	if ((with_id && sk_map_put(*reply, cbor_build_uint8(1),
	    reply_descriptor(dev, id, idlen)) < 0) ||
	    sk_map_put(*reply, cbor_build_uint8(2),
	    cbor_build_bytestring(ad, AD_HEAD)) < 0 ||
	    sk_map_put(*reply, cbor_build_uint8(3),
	    cbor_build_bytestring(sig, siglen)) < 0)
		return SK_ERR_OTHER;
	return SK_OK;
}

int
sk_get_assert(struct sk_dev *dev, const cbor_item_t *req,
    cbor_item_t **reply)
{
	struct req r;
	struct sk_uv_req u;
	const unsigned char *id = NULL;
	size_t idlen = 0;
	EVP_PKEY *pk;
	bool uv;
	int alg = 0, st;

	if ((st = parse_get_assert(req, &r)) != SK_OK)
		return st;
	pk = find_cred(dev, &r, &id, &idlen, &alg);
	u = (struct sk_uv_req){ r.cdh, r.cdh_len, r.pin_auth, r.pin_proto,
	    r.uv, false };
	/* CTAP 2.0: the user consents before learning whether a key fits. */
	if ((st = sk_uv_check(dev, &u, &uv)) == SK_OK && r.up != 0)
		st = sk_presence(dev);
	if (st == SK_OK && pk == NULL)
		st = SK_ERR_NO_CREDENTIALS;
	if (st == SK_OK)
		st = get_assert_build(dev, &r, pk, alg, id, idlen, uv, reply);
	EVP_PKEY_free(pk);
	return st;
}
