/*
 * The store key and AES-256-GCM sealing through OpenSSL. The key file's
 * first half seals; its second half is for MACs only (kgw_crypto.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "kgw_crypto.h"
#include "kgw_err.h"
#include "kgw_path.h"

#define SEAL_VERSION 1
#define SEAL_LABEL "kakogawa seal v1"
#define AAD_MAX 256
#define SEAL_KEY(key) ((key)->bytes)	/* the first KGW_KEY_PART bytes */

int
kgw_random(void *buf, size_t len)
{
	if (len > INT32_MAX || RAND_bytes(buf, (int)len) != 1)
		return KGW_ERR_CRYPTO;
	return KGW_OK;
}

void
kgw_key_wipe(struct kgw_key *key)
{
	if (key != NULL)
		OPENSSL_cleanse(key->bytes, sizeof(key->bytes));
}

static int
write_all(int fd, const unsigned char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return KGW_ERR_IO;
		off += (size_t)n;
	}
	return KGW_OK;
}

int
kgw_key_create(const struct kgw_log *log, const char *path)
{
	struct kgw_key key;
	char dir[PATH_MAX];
	int fd = -1, r;

	if ((r = kgw_path_dirname(path, dir, sizeof(dir))) != KGW_OK ||
	    (r = kgw_path_check_dir(log, dir)) != KGW_OK)
		return r;
	if ((r = kgw_random(key.bytes, sizeof(key.bytes))) != KGW_OK)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		kgw_log_err(log, "%s: create: %s", path, strerror(errno));
		r = errno == EEXIST ? KGW_ERR_EXISTS : KGW_ERR_IO;
		goto out;
	}
	if (fchmod(fd, 0600) != 0 ||
	    write_all(fd, key.bytes, sizeof(key.bytes)) != KGW_OK ||
	    fsync(fd) != 0) {
		kgw_log_err(log, "%s: write: %s", path, strerror(errno));
		(void)unlink(path);
		r = KGW_ERR_IO;
		goto out;
	}
	/* Without the directory's fsync a power cut could lose the key and
	 * keep the secrets it sealed. */
	r = kgw_path_sync_dir(log, dir);
out:
	if (fd >= 0 && close(fd) != 0 && r == KGW_OK)
		r = KGW_ERR_IO;
	kgw_key_wipe(&key);
	return r;
}

int
kgw_key_load(const struct kgw_log *log, const char *path, struct kgw_key *key)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	r = kgw_path_read(log, path, KGW_PATH_PRIVATE, KGW_KEY_LEN, &buf,
	    &len);
	if (r != KGW_OK)
		return r;
	if (len != KGW_KEY_LEN) {
		kgw_log_err(log, "%s: key file must hold %zu bytes", path,
		    KGW_KEY_LEN);
		r = KGW_ERR_CRYPTO;
	} else {
		memcpy(key->bytes, buf, KGW_KEY_LEN);
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	return r;
}

/* version || label || 0 || purpose || 0 || user */
static int
build_aad(const char *purpose, const char *user, unsigned char *aad,
    size_t *aadlen)
{
	size_t lp, lu, ll = sizeof(SEAL_LABEL);

	if (purpose == NULL || user == NULL)
		return KGW_ERR_INVALID;
	lp = strlen(purpose);
	lu = strlen(user);
	if (1 + ll + lp + 1 + lu > AAD_MAX)
		return KGW_ERR_INVALID;
	aad[0] = SEAL_VERSION;
	memcpy(aad + 1, SEAL_LABEL, ll);
	memcpy(aad + 1 + ll, purpose, lp + 1);
	memcpy(aad + 1 + ll + lp + 1, user, lu);
	*aadlen = 1 + ll + lp + 1 + lu;
	return KGW_OK;
}

/* One GCM pass: encrypt (enc=1) or decrypt (enc=0) n bytes in to out. */
static int
gcm(int enc, const unsigned char k[KGW_KEY_PART], const unsigned char *nonce,
    const unsigned char *aad, size_t aadlen, const unsigned char *in,
    size_t n, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = NULL;
	int len, ok = 0;

	if (n > INT32_MAX || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, k, nonce, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &len, aad, (int)aadlen) != 1 ||
	    EVP_CipherUpdate(ctx, out, &len, in, (int)n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
	    KGW_SEAL_TAG, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + len, &len) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
	    KGW_SEAL_TAG, tag) != 1)
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (ok)
		return KGW_OK;
	return enc ? KGW_ERR_CRYPTO : KGW_ERR_TAMPERED;
}

int
kgw_seal(const struct kgw_key *key, const char *purpose, const char *user,
    const unsigned char *pt, size_t ptlen, unsigned char *out, size_t outcap,
    size_t *outlen)
{
	unsigned char aad[AAD_MAX];
	size_t aadlen;
	int r;

	if (key == NULL || pt == NULL || out == NULL || outlen == NULL ||
	    ptlen == 0 || outcap < KGW_SEAL_OVERHEAD ||
	    ptlen > outcap - KGW_SEAL_OVERHEAD)
		return KGW_ERR_INVALID;
	if ((r = build_aad(purpose, user, aad, &aadlen)) != KGW_OK)
		return r;
	out[0] = SEAL_VERSION;
	if ((r = kgw_random(out + 1, KGW_SEAL_NONCE)) != KGW_OK)
		return r;
	r = gcm(1, SEAL_KEY(key), out + 1, aad, aadlen, pt, ptlen,
	    out + 1 + KGW_SEAL_NONCE, out + 1 + KGW_SEAL_NONCE + ptlen);
	if (r == KGW_OK)
		*outlen = ptlen + KGW_SEAL_OVERHEAD;
	return r;
}

int
kgw_unseal(const struct kgw_key *key, const char *purpose, const char *user,
    const unsigned char *in, size_t inlen, unsigned char *pt, size_t ptcap,
    size_t *ptlen)
{
	unsigned char aad[AAD_MAX], tag[KGW_SEAL_TAG];
	size_t aadlen, n;
	int r;

	if (key == NULL || in == NULL || pt == NULL || ptlen == NULL ||
	    inlen <= KGW_SEAL_OVERHEAD || in[0] != SEAL_VERSION)
		return KGW_ERR_TAMPERED;
	n = inlen - KGW_SEAL_OVERHEAD;
	if (n > ptcap)
		return KGW_ERR_INVALID;
	if ((r = build_aad(purpose, user, aad, &aadlen)) != KGW_OK)
		return r;
	memcpy(tag, in + 1 + KGW_SEAL_NONCE + n, sizeof(tag));
	r = gcm(0, SEAL_KEY(key), in + 1, aad, aadlen, in + 1 + KGW_SEAL_NONCE,
	    n, pt, tag);
	if (r == KGW_OK)
		*ptlen = n;
	else
		OPENSSL_cleanse(pt, n);
	return r;
}
