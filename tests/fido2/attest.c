/*
 * The "packed" attestation statement of MakeCredential: self attestation
 * (signed by the new credential key, no x5c: fido_cred_verify_self), full
 * attestation (an ES256 attestation key and a one-certificate x5c, made on
 * first use and kept in DIR/attest.pem: fido_cred_verify), or full
 * attestation with a corrupted signature (both verifications fail).
 */
#include <config.h>

#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sk.h"

#define ATTEST_FILE	"attest.pem"
#define CERT_DAYS	7300L

static int
name_add(X509_NAME *name, const char *field, const char *value)
{
	return X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
	    (const unsigned char *)value, -1, -1, 0) == 1 ? 0 : -1;
}

/* Self-signed, with the subject WebAuthn asks of a packed attestation. */
static X509 *
cert_make(EVP_PKEY *key)
{
	X509 *cert;
	X509_NAME *name;

	if ((cert = X509_new()) == NULL)
		return NULL;
	name = X509_get_subject_name(cert);
	if (X509_set_version(cert, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), -86400L) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(cert),
	    CERT_DAYS * 86400L) == NULL ||
	    name_add(name, "C", "JP") < 0 ||
	    name_add(name, "O", "kakogawa test") < 0 ||
	    name_add(name, "OU", "Authenticator Attestation") < 0 ||
	    name_add(name, "CN", "softkey attestation") < 0 ||
	    X509_set_issuer_name(cert, name) != 1 ||
	    X509_set_pubkey(cert, key) != 1 ||
	    X509_sign(cert, key, EVP_sha256()) <= 0) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

/* A fresh key and certificate, as PEM, into DIR/attest.pem unless there. */
static int
attest_create(const char *dir)
{
	EVP_PKEY *key;
	X509 *cert = NULL;
	BIO *bio = NULL;
	char *pem;
	long len;
	int r = -1;

	if ((key = sk_key_generate(SK_COSE_ES256)) == NULL)
		return -1;
	if ((cert = cert_make(key)) != NULL &&
	    (bio = BIO_new(BIO_s_secmem())) != NULL &&
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
	    NULL) == 1 && PEM_write_bio_X509(bio, cert) == 1 &&
	    (len = BIO_get_mem_data(bio, &pem)) > 0)
		r = sk_file_create(dir, ATTEST_FILE, (unsigned char *)pem,
		    (size_t)len);
	BIO_free(bio);
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

static int
attest_load(const char *dir, EVP_PKEY **key, X509 **cert)
{
	unsigned char *data = NULL;
	size_t len = 0;
	BIO *bio;

	*key = NULL;
	*cert = NULL;
	if (sk_file_read(dir, ATTEST_FILE, &data, &len) < 0 || len == 0)
		return -1;
	if ((bio = BIO_new_mem_buf(data, (int)len)) != NULL) {
		*key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		*cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	OPENSSL_clear_free(data, len);
	if (*key == NULL || *cert == NULL) {
		EVP_PKEY_free(*key);
		X509_free(*cert);
		*key = NULL;
		*cert = NULL;
		return -1;
	}
	return 0;
}

/* The x5c array: the attestation certificate alone, in DER. */
static cbor_item_t *
x5c_encode(X509 *cert)
{
	unsigned char *der = NULL;
	cbor_item_t *arr, *item = NULL;
	int len;

	if ((len = i2d_X509(cert, &der)) <= 0)
		return NULL;
	if ((arr = cbor_new_definite_array(1)) != NULL &&
	    ((item = cbor_build_bytestring(der, (size_t)len)) == NULL ||
	    !cbor_array_push(arr, item)))
		cbor_decref(&arr);
	if (item != NULL)
		cbor_decref(&item);
	OPENSSL_free(der);
	return arr;
}

static cbor_item_t *
stmt_encode(int alg, const unsigned char *sig, size_t siglen, X509 *cert)
{
	cbor_item_t *map;

	if ((map = cbor_new_definite_map(cert != NULL ? 3 : 2)) == NULL)
		return NULL;
	if (sk_map_put(map, cbor_build_string("alg"),
	    cbor_build_negint8((uint8_t)(-1 - alg))) < 0 ||
	    sk_map_put(map, cbor_build_string("sig"),
	    cbor_build_bytestring(sig, siglen)) < 0 ||
	    (cert != NULL && sk_map_put(map, cbor_build_string("x5c"),
	    x5c_encode(cert)) < 0))
		cbor_decref(&map);
	return map;
}

/* attStmt for MSG (authData || clientDataHash). */
cbor_item_t *
sk_attest_stmt(const struct sk_dev *dev, EVP_PKEY *cred_key, int alg,
    const unsigned char *msg, size_t len)
{
	unsigned char sig[SK_SIG_MAX];
	size_t siglen;
	EVP_PKEY *akey = NULL;
	X509 *cert = NULL;
	cbor_item_t *stmt = NULL;

	if (dev->st.attest != SK_ATTEST_SELF) {
		if (attest_load(dev->dir, &akey, &cert) < 0 &&
		    (attest_create(dev->dir) < 0 ||
		    attest_load(dev->dir, &akey, &cert) < 0))
			return NULL;
		alg = SK_COSE_ES256;
	}
	if (sk_key_sign(akey != NULL ? akey : cred_key, alg, msg, len, sig,
	    &siglen) == 0) {
		/* The last byte is inside S: the DER stays well formed. */
		if (dev->st.attest == SK_ATTEST_BAD)
			sig[siglen - 1] ^= 0x01;
		stmt = stmt_encode(alg, sig, siglen, cert);
	}
	EVP_PKEY_free(akey);
	X509_free(cert);
	return stmt;
}
