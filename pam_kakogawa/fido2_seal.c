/*
 * A security key as the store keeps it: the algorithm, the public key and
 * the credential id sealed together for one person, so that whoever can
 * write the database but not read the key file cannot enrol a key of
 * their own, move one to another person, or swap two people's keys.
 */
#include <config.h>

#include <string.h>

#include "kgw_err.h"
#include "kgw_store.h"

#define PURPOSE "fido2"

bool
kgw_fido2_label_valid(const char *label)
{
	size_t i;

	if (label == NULL || label[0] == '\0')
		return false;
	for (i = 0; label[i] != '\0'; i++) {
		char c = label[i];

		if (i >= KGW_FIDO2_LABEL_MAX || !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static bool
cred_valid(const struct kgw_fido2_cred *c)
{
	size_t pk_want = c->alg == KGW_FIDO2_ES256 ? 64 :
	    c->alg == KGW_FIDO2_EDDSA ? 32 : 0;

	return pk_want != 0 && c->pk_len == pk_want && c->id_len > 0 &&
	    c->id_len <= KGW_FIDO2_ID_MAX;
}

int
kgw_fido2_seal(const struct kgw_key *key, const char *user,
    const struct kgw_fido2_cred *c, struct kgw_fido2_rec *rec)
{
	unsigned char pt[2 + KGW_FIDO2_PK_MAX + KGW_FIDO2_ID_MAX];
	size_t len;
	int r;

	if (!cred_valid(c))
		return KGW_ERR_INVALID;
	pt[0] = (unsigned char)-c->alg;
	pt[1] = (unsigned char)c->pk_len;
	memcpy(pt + 2, c->pk, c->pk_len);
	memcpy(pt + 2 + c->pk_len, c->id, c->id_len);
	len = 2 + c->pk_len + c->id_len;
	r = kgw_seal(key, PURPOSE, user, pt, len, rec->sealed,
	    sizeof(rec->sealed), &rec->sealed_len);
	if (r == KGW_OK) {
		memcpy(rec->id, c->id, c->id_len);
		rec->id_len = c->id_len;
	}
	explicit_bzero(pt, sizeof(pt));
	return r;
}

int
kgw_fido2_cred_decode(const unsigned char *pt, size_t len,
    struct kgw_fido2_cred *c)
{
	memset(c, 0, sizeof(*c));
	if (len < 2 || pt[1] > KGW_FIDO2_PK_MAX || len <= 2u + pt[1] ||
	    len - 2 - pt[1] > KGW_FIDO2_ID_MAX)
		return KGW_ERR_TAMPERED;
	c->alg = -(int)pt[0];
	c->pk_len = pt[1];
	memcpy(c->pk, pt + 2, c->pk_len);
	c->id_len = len - 2 - c->pk_len;
	memcpy(c->id, pt + 2 + c->pk_len, c->id_len);
	if (!cred_valid(c)) {
		memset(c, 0, sizeof(*c));
		return KGW_ERR_TAMPERED;
	}
	return KGW_OK;
}

int
kgw_fido2_unseal(const struct kgw_key *key, const char *user,
    const struct kgw_fido2_rec *rec, struct kgw_fido2_cred *c)
{
	unsigned char pt[2 + KGW_FIDO2_PK_MAX + KGW_FIDO2_ID_MAX];
	size_t len = 0;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = kgw_unseal(key, PURPOSE, user, rec->sealed, rec->sealed_len,
	    pt, sizeof(pt), &len)) != KGW_OK)
		return r;
	r = kgw_fido2_cred_decode(pt, len, c);
	/* The id in clear must be the one sealed: no row was swapped. */
	if (r == KGW_OK && (c->id_len != rec->id_len ||
	    memcmp(c->id, rec->id, c->id_len) != 0))
		r = KGW_ERR_TAMPERED;
	explicit_bzero(pt, sizeof(pt));
	if (r != KGW_OK)
		memset(c, 0, sizeof(*c));
	return r;
}
