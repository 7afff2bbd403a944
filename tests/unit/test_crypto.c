/* Unit tests for the store key and sealing (kgw_crypto.h). */
#include <config.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kgw_crypto.h"
#include "kgw_err.h"

#define PURPOSE "totp:SHA1:6"

static char logbuf[8192];

static void
capture(void *arg, int priority, const char *msg)
{
	size_t used = strlen(logbuf);

	(void)arg;
	(void)priority;
	(void)snprintf(logbuf + used, sizeof(logbuf) - used, "%s\n", msg);
}

static const struct kgw_log test_log = { capture, NULL, false, false };

/* One base directory per run, removed by main() even when a test fails. */
static char basedir[64];
static char tmpdir[96];
static char keypath[128];

static const unsigned char secret[20] = "12345678901234567890";

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void
setup_dir(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/tXXXXXX", basedir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	(void)snprintf(keypath, sizeof(keypath), "%s/kakogawa.key", tmpdir);
	logbuf[0] = '\0';
}

static void
teardown_dir(void)
{
	(void)nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_bytes(const char *path, const unsigned char *data, size_t len,
    mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void
fixed_key(struct kgw_key *key, unsigned char seed)
{
	size_t i;

	for (i = 0; i < sizeof(key->bytes); i++)
		key->bytes[i] = (unsigned char)(seed + i * 7);
}

/* Seals the test secret for alice under PURPOSE. */
static size_t
seal_secret(const struct kgw_key *key, unsigned char *out, size_t outcap)
{
	size_t outlen = 0;

	ck_assert_int_eq(kgw_seal(key, PURPOSE, "alice", secret,
	    sizeof(secret), out, outcap, &outlen), KGW_OK);
	ck_assert_uint_eq(outlen, sizeof(secret) + KGW_SEAL_OVERHEAD);
	return outlen;
}

START_TEST(test_key_create)
{
	struct stat st;
	unsigned char buf[2 * KGW_KEY_LEN];
	int fd;

	ck_assert_int_eq(kgw_key_create(&test_log, keypath), KGW_OK);
	ck_assert_int_eq(lstat(keypath, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_size, KGW_KEY_LEN);
	ck_assert_uint_eq(st.st_uid, geteuid());
	/* Not all zero: it came from the RNG. */
	fd = open(keypath, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), KGW_KEY_LEN);
	(void)close(fd);
	memset(buf + KGW_KEY_LEN, 0, KGW_KEY_LEN);
	ck_assert_int_ne(memcmp(buf, buf + KGW_KEY_LEN, KGW_KEY_LEN), 0);
	/* Two independent keys, not one repeated. */
	ck_assert_int_ne(memcmp(buf, buf + KGW_KEY_PART, KGW_KEY_PART), 0);
}
END_TEST

/* The mode is 0600 whatever the umask. */
START_TEST(test_key_create_umask)
{
	struct stat st;

	(void)umask(0);
	ck_assert_int_eq(kgw_key_create(&test_log, keypath), KGW_OK);
	ck_assert_int_eq(lstat(keypath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

START_TEST(test_key_create_no_overwrite)
{
	struct kgw_key a, b;

	ck_assert_int_eq(kgw_key_create(&test_log, keypath), KGW_OK);
	ck_assert_int_eq(kgw_key_load(&test_log, keypath, &a), KGW_OK);
	ck_assert_int_eq(kgw_key_create(&test_log, keypath), KGW_ERR_EXISTS);
	ck_assert_int_eq(kgw_key_load(&test_log, keypath, &b), KGW_OK);
	ck_assert_int_eq(memcmp(a.bytes, b.bytes, KGW_KEY_LEN), 0);
}
END_TEST

/* Not even through a symlink, dangling or not. */
START_TEST(test_key_create_symlink)
{
	char target[160];
	struct stat st;

	(void)snprintf(target, sizeof(target), "%s/target", tmpdir);
	ck_assert_int_eq(symlink(target, keypath), 0);
	ck_assert_int_ne(kgw_key_create(&test_log, keypath), KGW_OK);
	ck_assert_int_ne(lstat(target, &st), 0);
}
END_TEST

/* Two keys made one after the other differ. */
START_TEST(test_key_create_random)
{
	struct kgw_key a, b;
	char other[160];

	(void)snprintf(other, sizeof(other), "%s/other.key", tmpdir);
	ck_assert_int_eq(kgw_key_create(&test_log, keypath), KGW_OK);
	ck_assert_int_eq(kgw_key_create(&test_log, other), KGW_OK);
	ck_assert_int_eq(kgw_key_load(&test_log, keypath, &a), KGW_OK);
	ck_assert_int_eq(kgw_key_load(&test_log, other, &b), KGW_OK);
	ck_assert_int_ne(memcmp(a.bytes, b.bytes, KGW_KEY_LEN), 0);
}
END_TEST

START_TEST(test_key_create_unsafe_dir)
{
	char dir[160], path[200];
	struct stat st;

	(void)snprintf(dir, sizeof(dir), "%s/open", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	(void)snprintf(path, sizeof(path), "%s/k", dir);
	ck_assert_int_eq(kgw_key_create(&test_log, path), KGW_ERR_UNSAFE);
	ck_assert_int_ne(lstat(path, &st), 0);
	ck_assert_int_eq(kgw_key_create(&test_log, "relative.key"),
	    KGW_ERR_INVALID);
}
END_TEST

/*
 * A directory reached through a symlink is refused, also when the key
 * path has a doubled slash ("link//k"), which makes its directory part
 * end in '/'.
 */
START_TEST(test_key_create_symlinked_dir)
{
	char real[160], link[160], path[200];
	struct stat st;

	(void)snprintf(real, sizeof(real), "%s/real", tmpdir);
	(void)snprintf(link, sizeof(link), "%s/link", tmpdir);
	ck_assert_int_eq(mkdir(real, 0700), 0);
	ck_assert_int_eq(symlink(real, link), 0);
	(void)snprintf(path, sizeof(path), "%s/k", link);
	ck_assert_int_eq(kgw_key_create(&test_log, path), KGW_ERR_UNSAFE);
	(void)snprintf(path, sizeof(path), "%s//k", link);
	ck_assert_int_eq(kgw_key_create(&test_log, path), KGW_ERR_UNSAFE);
	(void)snprintf(path, sizeof(path), "%s/k", real);
	ck_assert_int_ne(lstat(path, &st), 0);
}
END_TEST

START_TEST(test_key_load_roundtrip)
{
	unsigned char raw[KGW_KEY_LEN];
	struct kgw_key key;
	size_t i;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(0xa0 ^ i);
	write_bytes(keypath, raw, sizeof(raw), 0600);
	memset(&key, 0, sizeof(key));
	ck_assert_int_eq(kgw_key_load(&test_log, keypath, &key), KGW_OK);
	ck_assert_int_eq(memcmp(key.bytes, raw, KGW_KEY_LEN), 0);
	kgw_key_wipe(&key);
	for (i = 0; i < sizeof(key.bytes); i++)
		ck_assert_uint_eq(key.bytes[i], 0);
	/* 0400 is private too. */
	ck_assert_int_eq(chmod(keypath, 0400), 0);
	ck_assert_int_eq(kgw_key_load(&test_log, keypath, &key), KGW_OK);
	ck_assert_int_eq(memcmp(key.bytes, raw, KGW_KEY_LEN), 0);
}
END_TEST

/* A key made by kgw_key_create seals and opens after a reload. */
START_TEST(test_key_create_then_seal)
{
	struct kgw_key a, b;
	unsigned char sealed[128], pt[64];
	size_t n, ptlen = 0;

	ck_assert_int_eq(kgw_key_create(&test_log, keypath), KGW_OK);
	ck_assert_int_eq(kgw_key_load(&test_log, keypath, &a), KGW_OK);
	n = seal_secret(&a, sealed, sizeof(sealed));
	ck_assert_int_eq(kgw_key_load(&test_log, keypath, &b), KGW_OK);
	ck_assert_int_eq(kgw_unseal(&b, PURPOSE, "alice", sealed, n, pt,
	    sizeof(pt), &ptlen), KGW_OK);
	ck_assert_uint_eq(ptlen, sizeof(secret));
	ck_assert_int_eq(memcmp(pt, secret, sizeof(secret)), 0);
}
END_TEST

static const mode_t loose_modes[] = { 0644, 0640, 0604, 0660, 0666 };

START_TEST(test_key_load_loose_mode)
{
	unsigned char raw[KGW_KEY_LEN] = { 1 };
	struct kgw_key key;

	write_bytes(keypath, raw, sizeof(raw), loose_modes[_i]);
	memset(&key, 0x77, sizeof(key));
	ck_assert_int_eq(kgw_key_load(&test_log, keypath, &key),
	    KGW_ERR_UNSAFE);
	ck_assert_ptr_nonnull(strstr(logbuf, keypath));
}
END_TEST

static const size_t bad_lengths[] = { 0, 1, 32, KGW_KEY_LEN - 1, KGW_KEY_LEN + 1 };

START_TEST(test_key_load_bad_length)
{
	unsigned char raw[KGW_KEY_LEN + 1] = { 0 };
	struct kgw_key key;
	int r;

	write_bytes(keypath, raw, bad_lengths[_i], 0600);
	r = kgw_key_load(&test_log, keypath, &key);
	ck_assert_msg(r != KGW_OK, "%zu-byte key accepted", bad_lengths[_i]);
}
END_TEST

START_TEST(test_key_load_symlink_missing)
{
	unsigned char raw[KGW_KEY_LEN] = { 2 };
	struct kgw_key key;
	char real[160];

	(void)snprintf(real, sizeof(real), "%s/real.key", tmpdir);
	write_bytes(real, raw, sizeof(raw), 0600);
	ck_assert_int_eq(kgw_key_load(&test_log, real, &key), KGW_OK);
	ck_assert_int_eq(symlink(real, keypath), 0);
	ck_assert_int_eq(kgw_key_load(&test_log, keypath, &key),
	    KGW_ERR_UNSAFE);
	ck_assert_int_ne(unlink(keypath), -1);
	ck_assert_int_ne(kgw_key_load(&test_log, keypath, &key), KGW_OK);
}
END_TEST

START_TEST(test_seal_roundtrip)
{
	struct kgw_key key;
	unsigned char sealed[256], pt[256];
	size_t n, ptlen = 0, len;

	fixed_key(&key, 1);
	for (len = 1; len <= 100; len += 33) {
		unsigned char msg[100];

		memset(msg, (int)len, sizeof(msg));
		ck_assert_int_eq(kgw_seal(&key, PURPOSE, "alice", msg, len,
		    sealed, sizeof(sealed), &n), KGW_OK);
		ck_assert_uint_eq(n, len + KGW_SEAL_OVERHEAD);
		/* Version byte first; the plaintext does not appear. */
		ck_assert_uint_eq(sealed[0], 1);
		if (len >= 8)
			ck_assert_ptr_null(memmem(sealed, n, msg, 8));
		memset(pt, 0, sizeof(pt));
		ck_assert_int_eq(kgw_unseal(&key, PURPOSE, "alice", sealed, n,
		    pt, sizeof(pt), &ptlen), KGW_OK);
		ck_assert_uint_eq(ptlen, len);
		ck_assert_int_eq(memcmp(pt, msg, len), 0);
	}
}
END_TEST

START_TEST(test_seal_random_nonce)
{
	struct kgw_key key;
	unsigned char a[128], b[128];
	size_t na, nb;

	fixed_key(&key, 2);
	na = seal_secret(&key, a, sizeof(a));
	nb = seal_secret(&key, b, sizeof(b));
	ck_assert_uint_eq(na, nb);
	ck_assert_int_ne(memcmp(a, b, na), 0);
	/* The nonces differ, and so do the ciphertexts. */
	ck_assert_int_ne(memcmp(a + 1, b + 1, KGW_SEAL_NONCE), 0);
	ck_assert_int_ne(memcmp(a + 1 + KGW_SEAL_NONCE,
	    b + 1 + KGW_SEAL_NONCE, sizeof(secret)), 0);
}
END_TEST

START_TEST(test_unseal_bit_flips)
{
	struct kgw_key key;
	unsigned char sealed[128], copy[128], pt[64];
	size_t n, i, ptlen;
	int bit;

	fixed_key(&key, 3);
	n = seal_secret(&key, sealed, sizeof(sealed));
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			int r;

			memcpy(copy, sealed, n);
			copy[i] ^= (unsigned char)(1u << bit);
			ptlen = 999;
			r = kgw_unseal(&key, PURPOSE, "alice", copy, n, pt,
			    sizeof(pt), &ptlen);
			ck_assert_msg(r == KGW_ERR_TAMPERED,
			    "byte %zu bit %d: rc %d", i, bit, r);
			ck_assert_uint_eq(ptlen, 999);
		}
		memcpy(copy, sealed, n);
		copy[i] ^= 0xff;
		ck_assert_int_eq(kgw_unseal(&key, PURPOSE, "alice", copy, n,
		    pt, sizeof(pt), &ptlen), KGW_ERR_TAMPERED);
	}
	/* The original still opens. */
	ck_assert_int_eq(kgw_unseal(&key, PURPOSE, "alice", sealed, n, pt,
	    sizeof(pt), &ptlen), KGW_OK);
}
END_TEST

/* A sealed row moved to another person, or another factor, fails. */
START_TEST(test_unseal_other_user_or_purpose)
{
	static const char *const users[] = {
		"bob", "alic", "alicee", "Alice", "", "alice\n", "ali",
	};
	static const char *const purposes[] = {
		"totp:SHA1:8", "totp:SHA256:6", "totp:SHA1:", "totp:SHA1:6 ",
		"", "audit",
	};
	struct kgw_key key;
	unsigned char sealed[128], pt[64];
	size_t n, i, ptlen;

	fixed_key(&key, 4);
	n = seal_secret(&key, sealed, sizeof(sealed));
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		ck_assert_msg(kgw_unseal(&key, PURPOSE, users[i], sealed, n, pt,
		    sizeof(pt), &ptlen) == KGW_ERR_TAMPERED, "user \"%s\"",
		    users[i]);
	for (i = 0; i < sizeof(purposes) / sizeof(purposes[0]); i++)
		ck_assert_msg(kgw_unseal(&key, purposes[i], "alice", sealed, n,
		    pt, sizeof(pt), &ptlen) == KGW_ERR_TAMPERED,
		    "purpose \"%s\"", purposes[i]);
}
END_TEST

/* Purpose and user are not just concatenated: the boundary counts. */
START_TEST(test_unseal_aad_boundary)
{
	struct kgw_key key;
	unsigned char sealed[128], pt[64];
	size_t n, ptlen;

	fixed_key(&key, 5);
	ck_assert_int_eq(kgw_seal(&key, "ab", "cd", secret, sizeof(secret),
	    sealed, sizeof(sealed), &n), KGW_OK);
	ck_assert_int_eq(kgw_unseal(&key, "abc", "d", sealed, n, pt,
	    sizeof(pt), &ptlen), KGW_ERR_TAMPERED);
	ck_assert_int_eq(kgw_unseal(&key, "a", "bcd", sealed, n, pt,
	    sizeof(pt), &ptlen), KGW_ERR_TAMPERED);
	ck_assert_int_eq(kgw_unseal(&key, "ab", "cd", sealed, n, pt,
	    sizeof(pt), &ptlen), KGW_OK);
}
END_TEST

START_TEST(test_unseal_other_key)
{
	struct kgw_key key, other;
	unsigned char sealed[128], pt[64];
	size_t n, ptlen, i;

	fixed_key(&key, 6);
	n = seal_secret(&key, sealed, sizeof(sealed));
	/* Every bit of the sealing key matters... */
	for (i = 0; i < KGW_KEY_PART; i++) {
		other = key;
		other.bytes[i] ^= 0x01;
		ck_assert_int_eq(kgw_unseal(&other, PURPOSE, "alice", sealed, n,
		    pt, sizeof(pt), &ptlen), KGW_ERR_TAMPERED);
	}
	/* ...and the MAC key, independent, plays no part in sealing. */
	for (i = KGW_KEY_PART; i < KGW_KEY_LEN; i++) {
		other = key;
		other.bytes[i] ^= 0x01;
		ck_assert_int_eq(kgw_unseal(&other, PURPOSE, "alice", sealed, n,
		    pt, sizeof(pt), &ptlen), KGW_OK);
	}
}
END_TEST

START_TEST(test_unseal_truncated)
{
	struct kgw_key key;
	unsigned char sealed[128], pt[64];
	size_t n, len, ptlen;

	fixed_key(&key, 7);
	n = seal_secret(&key, sealed, sizeof(sealed));
	for (len = 0; len < n; len++)
		ck_assert_msg(kgw_unseal(&key, PURPOSE, "alice", sealed, len,
		    pt, sizeof(pt), &ptlen) != KGW_OK, "%zu bytes opened", len);
	/* Extended by one byte. */
	sealed[n] = 0;
	ck_assert_int_ne(kgw_unseal(&key, PURPOSE, "alice", sealed, n + 1, pt,
	    sizeof(pt), &ptlen), KGW_OK);
	ck_assert_int_ne(kgw_unseal(&key, PURPOSE, "alice", NULL, n, pt,
	    sizeof(pt), &ptlen), KGW_OK);
}
END_TEST

START_TEST(test_seal_small_output)
{
	struct kgw_key key;
	unsigned char out[128];
	size_t n = 12345;
	size_t need = sizeof(secret) + KGW_SEAL_OVERHEAD;

	fixed_key(&key, 8);
	ck_assert_int_eq(kgw_seal(&key, PURPOSE, "alice", secret,
	    sizeof(secret), out, need - 1, &n), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_seal(&key, PURPOSE, "alice", secret,
	    sizeof(secret), out, KGW_SEAL_OVERHEAD, &n), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_seal(&key, PURPOSE, "alice", secret,
	    sizeof(secret), out, 0, &n), KGW_ERR_INVALID);
	ck_assert_uint_eq(n, 12345);
	ck_assert_int_eq(kgw_seal(&key, PURPOSE, "alice", secret,
	    sizeof(secret), out, need, &n), KGW_OK);
	ck_assert_uint_eq(n, need);
}
END_TEST

START_TEST(test_unseal_small_output)
{
	struct kgw_key key;
	unsigned char sealed[128], pt[64];
	size_t n, ptlen = 777;

	fixed_key(&key, 9);
	n = seal_secret(&key, sealed, sizeof(sealed));
	ck_assert_int_eq(kgw_unseal(&key, PURPOSE, "alice", sealed, n, pt,
	    sizeof(secret) - 1, &ptlen), KGW_ERR_INVALID);
	ck_assert_uint_eq(ptlen, 777);
	ck_assert_int_eq(kgw_unseal(&key, PURPOSE, "alice", sealed, n, pt,
	    sizeof(secret), &ptlen), KGW_OK);
	ck_assert_uint_eq(ptlen, sizeof(secret));
}
END_TEST

START_TEST(test_seal_bad_args)
{
	struct kgw_key key;
	unsigned char out[128];
	size_t n;
	char longname[300];

	fixed_key(&key, 10);
	ck_assert_int_eq(kgw_seal(NULL, PURPOSE, "alice", secret,
	    sizeof(secret), out, sizeof(out), &n), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_seal(&key, NULL, "alice", secret,
	    sizeof(secret), out, sizeof(out), &n), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_seal(&key, PURPOSE, NULL, secret,
	    sizeof(secret), out, sizeof(out), &n), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_seal(&key, PURPOSE, "alice", NULL,
	    sizeof(secret), out, sizeof(out), &n), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_seal(&key, PURPOSE, "alice", secret, 0, out,
	    sizeof(out), &n), KGW_ERR_INVALID);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(kgw_seal(&key, PURPOSE, longname, secret,
	    sizeof(secret), out, sizeof(out), &n), KGW_ERR_INVALID);
}
END_TEST

START_TEST(test_random)
{
	unsigned char a[32], b[32], zero[32];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	ck_assert_int_eq(kgw_random(a, sizeof(a)), KGW_OK);
	ck_assert_int_eq(kgw_random(b, sizeof(b)), KGW_OK);
	ck_assert_int_ne(memcmp(a, b, sizeof(a)), 0);
	ck_assert_int_ne(memcmp(a, zero, sizeof(a)), 0);
	ck_assert_int_ne(memcmp(b, zero, sizeof(b)), 0);
}
END_TEST

static Suite *
crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc;

	tc = tcase_create("key");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_key_create);
	tcase_add_test(tc, test_key_create_umask);
	tcase_add_test(tc, test_key_create_no_overwrite);
	tcase_add_test(tc, test_key_create_symlink);
	tcase_add_test(tc, test_key_create_random);
	tcase_add_test(tc, test_key_create_unsafe_dir);
	tcase_add_test(tc, test_key_create_symlinked_dir);
	tcase_add_test(tc, test_key_load_roundtrip);
	tcase_add_test(tc, test_key_create_then_seal);
	tcase_add_loop_test(tc, test_key_load_loose_mode, 0,
	    (int)(sizeof(loose_modes) / sizeof(loose_modes[0])));
	tcase_add_loop_test(tc, test_key_load_bad_length, 0,
	    (int)(sizeof(bad_lengths) / sizeof(bad_lengths[0])));
	tcase_add_test(tc, test_key_load_symlink_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("seal");
	tcase_add_test(tc, test_seal_roundtrip);
	tcase_add_test(tc, test_seal_random_nonce);
	tcase_add_test(tc, test_unseal_bit_flips);
	tcase_add_test(tc, test_unseal_other_user_or_purpose);
	tcase_add_test(tc, test_unseal_aad_boundary);
	tcase_add_test(tc, test_unseal_other_key);
	tcase_add_test(tc, test_unseal_truncated);
	tcase_add_test(tc, test_seal_small_output);
	tcase_add_test(tc, test_unseal_small_output);
	tcase_add_test(tc, test_seal_bad_args);
	tcase_add_test(tc, test_random);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int number_failed;

	(void)strcpy(basedir, "/tmp/kgw-crypto-XXXXXX");
	if (mkdtemp(basedir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	sr = srunner_create(crypto_suite());
	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	(void)nftw(basedir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return number_failed ? 1 : 0;
}
