/*
 * Security keys in the store: enrolment recorded and bounded, a credential
 * enrolled once for anyone, revocation, the login's final commit with its
 * counter check (a counter that does not grow flags the key, for good),
 * and sealing that fails for a row edited, swapped or moved.
 */
#include <config.h>

#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kgw_conf.h"
#include "kgw_err.h"
#include "kgw_store.h"

#define OP "helpdesk-tanaka"

static char tmpdir[64];
static struct kgw_conf conf;
static struct kgw_key key;
static char logbuf[8192];

static void
log_emit(void *arg, int priority, const char *msg)
{
	size_t used = strlen(logbuf);

	(void)arg;
	(void)priority;
	(void)snprintf(logbuf + used, sizeof(logbuf) - used, "%s\n", msg);
}

static const struct kgw_log test_log = { log_emit, NULL, false, false };
static const struct kgw_audit_rec AUDIT = { .field = { "auth" } };

static void
setup(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/kgw-fido2-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	kgw_conf_defaults(&conf);
	ck_assert_int_lt(snprintf(conf.store, sizeof(conf.store),
	    "%s/store.db", tmpdir), (int)sizeof(conf.store));
	ck_assert_int_eq(kgw_random(key.bytes, sizeof(key.bytes)), KGW_OK);
	logbuf[0] = '\0';
}

static void
teardown(void)
{
	char path[KGW_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && snprintf(path, sizeof(path),
		    "%s/%s", tmpdir, de->d_name) < (int)sizeof(path))
			(void)unlink(path);
	(void)closedir(d);
	(void)rmdir(tmpdir);
}

/* A new store with alice and bob, neither with a key. */
static struct kgw_store *
store_new(void)
{
	struct kgw_store *s = NULL;

	ck_assert_int_eq(kgw_store_open(&test_log, &conf, KGW_STORE_CREATE,
	    &s), KGW_OK);
	ck_assert_int_eq(kgw_store_audit_init(s, &key, "testhost"), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "alice", "lgwan", OP), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "bob", "lgwan", OP), KGW_OK);
	return s;
}

/* A credential whose id and public key bytes all are seed. */
static struct kgw_fido2_cred
cred_of(unsigned char seed)
{
	struct kgw_fido2_cred c;

	memset(&c, 0, sizeof(c));
	c.alg = KGW_FIDO2_ES256;
	c.id_len = 48;
	memset(c.id, seed, c.id_len);
	c.pk_len = 64;
	memset(c.pk, seed ^ 0x5a, c.pk_len);
	return c;
}

static struct kgw_fido2_rec
rec_of(const char *user, const char *label, unsigned char seed)
{
	struct kgw_fido2_cred c = cred_of(seed);
	struct kgw_fido2_rec r;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(kgw_fido2_seal(&key, user, &c, &r), KGW_OK);
	ck_assert_int_lt(snprintf(r.label, sizeof(r.label), "%s", label),
	    (int)sizeof(r.label));
	memset(r.aaguid, 0xaa, sizeof(r.aaguid));
	return r;
}

static struct kgw_user_rec
user_of(struct kgw_store *s, const char *name)
{
	struct kgw_user_rec u;

	ck_assert_int_eq(kgw_store_get_user(s, name, &u), KGW_OK);
	return u;
}

/* The one key of name, as the store has it now. */
static struct kgw_fido2_rec
key_of(struct kgw_store *s, const char *name)
{
	struct kgw_fido2_rec recs[KGW_FIDO2_CREDS_MAX];
	size_t n = 0;

	ck_assert_int_eq(kgw_store_fido2_list(s, name, recs,
	    KGW_FIDO2_CREDS_MAX, &n), KGW_OK);
	ck_assert_uint_eq(n, 1);
	return recs[0];
}

START_TEST(test_seal_round_trip)
{
	struct kgw_fido2_rec r = rec_of("alice", "yubikey", 7);
	struct kgw_fido2_cred c, want = cred_of(7);

	ck_assert_int_eq(kgw_fido2_unseal(&key, "alice", &r, &c), KGW_OK);
	ck_assert_int_eq(c.alg, want.alg);
	ck_assert_mem_eq(c.pk, want.pk, want.pk_len);
	ck_assert_uint_eq(c.id_len, want.id_len);
	ck_assert_mem_eq(c.id, want.id, want.id_len);
	/* Moved to bob: refused. */
	ck_assert_int_eq(kgw_fido2_unseal(&key, "bob", &r, &c),
	    KGW_ERR_TAMPERED);
	/* The id in clear swapped for another key's: refused. */
	r.id[0] ^= 1;
	ck_assert_int_eq(kgw_fido2_unseal(&key, "alice", &r, &c),
	    KGW_ERR_TAMPERED);
	r.id[0] ^= 1;
	/* One bit of the sealed bytes: refused. */
	r.sealed[r.sealed_len - 1] ^= 1;
	ck_assert_int_eq(kgw_fido2_unseal(&key, "alice", &r, &c),
	    KGW_ERR_TAMPERED);
}
END_TEST

START_TEST(test_seal_refuses_bad_credentials)
{
	struct kgw_fido2_cred c = cred_of(1);
	struct kgw_fido2_rec r;

	c.pk_len = 65;
	ck_assert_int_eq(kgw_fido2_seal(&key, "alice", &c, &r),
	    KGW_ERR_INVALID);
	c = cred_of(1);
	c.alg = -257;	/* RS256: not one we accept */
	ck_assert_int_eq(kgw_fido2_seal(&key, "alice", &c, &r),
	    KGW_ERR_INVALID);
	c = cred_of(1);
	c.id_len = 0;
	ck_assert_int_eq(kgw_fido2_seal(&key, "alice", &c, &r),
	    KGW_ERR_INVALID);
	c = cred_of(1);
	c.alg = KGW_FIDO2_EDDSA;	/* 32 bytes */
	ck_assert_int_eq(kgw_fido2_seal(&key, "alice", &c, &r),
	    KGW_ERR_INVALID);
	c.pk_len = 32;
	ck_assert_int_eq(kgw_fido2_seal(&key, "alice", &c, &r), KGW_OK);
}
END_TEST

START_TEST(test_labels)
{
	static const char *const good[] = { "a", "yubikey-5c", "Key_2.old",
	    "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *const bad[] = { "", "with space", "key/1", "鍵",
	    "abcdefghijklmnopqrstuvwxyz0123456", "a=b", "-\n" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(kgw_fido2_label_valid(good[i]), "%s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!kgw_fido2_label_valid(bad[i]), "%s", bad[i]);
	ck_assert(!kgw_fido2_label_valid(NULL));
}
END_TEST

START_TEST(test_add_list_revoke)
{
	struct kgw_store *s = store_new();
	struct kgw_fido2_rec a = rec_of("alice", "office", 1);
	struct kgw_fido2_rec b = rec_of("alice", "backup", 2);
	struct kgw_fido2_rec recs[KGW_FIDO2_CREDS_MAX];
	size_t n = 0;

	ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &a, OP), KGW_OK);
	ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &b, OP), KGW_OK);
	ck_assert_uint_eq(user_of(s, "alice").fido2_count, 2);
	ck_assert_uint_eq(user_of(s, "bob").fido2_count, 0);
	ck_assert_int_eq(kgw_store_fido2_list(s, "alice", recs,
	    KGW_FIDO2_CREDS_MAX, &n), KGW_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(recs[0].label, "backup");	/* label order */
	ck_assert_str_eq(recs[1].label, "office");
	ck_assert_mem_eq(recs[1].sealed, a.sealed, a.sealed_len);
	ck_assert_int_ne(recs[1].created, 0);
	ck_assert(!recs[1].flagged);
	/* One label, one key; one credential, one person. */
	ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &b, OP),
	    KGW_ERR_EXISTS);
	b = rec_of("bob", "office", 1);
	ck_assert_int_eq(kgw_store_fido2_add(s, "bob", &b, OP),
	    KGW_ERR_EXISTS);
	b = rec_of("nobody", "x", 9);
	ck_assert_int_eq(kgw_store_fido2_add(s, "nobody", &b, OP),
	    KGW_ERR_NOT_FOUND);
	/* Revoked by label, then all at once. */
	ck_assert_int_eq(kgw_store_fido2_revoke(s, "alice", "office", OP),
	    KGW_OK);
	ck_assert_int_eq(kgw_store_fido2_revoke(s, "alice", "office", OP),
	    KGW_ERR_NOT_FOUND);
	ck_assert_str_eq(key_of(s, "alice").label, "backup");
	ck_assert_int_eq(kgw_store_fido2_revoke(s, "alice", NULL, OP), KGW_OK);
	ck_assert_int_eq(kgw_store_fido2_revoke(s, "alice", NULL, OP),
	    KGW_ERR_NOT_FOUND);
	ck_assert_uint_eq(user_of(s, "alice").fido2_count, 0);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_add_limit)
{
	struct kgw_store *s = store_new();
	struct kgw_fido2_rec r;
	char label[8];
	unsigned i;

	for (i = 0; i < KGW_FIDO2_CREDS_MAX; i++) {
		(void)snprintf(label, sizeof(label), "k%u", i);
		r = rec_of("alice", label, (unsigned char)(i + 1));
		ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &r, OP),
		    KGW_OK);
	}
	r = rec_of("alice", "one-more", 99);
	ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &r, OP),
	    KGW_ERR_INVALID);
	ck_assert_uint_eq(user_of(s, "alice").fido2_count,
	    KGW_FIDO2_CREDS_MAX);
	r.label[0] = '\0';
	ck_assert_int_eq(kgw_store_fido2_add(s, "bob", &r, OP),
	    KGW_ERR_INVALID);
	kgw_store_close(&s);
}
END_TEST

/* Deleting a person deletes their keys: the credential may be reused. */
START_TEST(test_delete_takes_keys)
{
	struct kgw_store *s = store_new();
	struct kgw_fido2_rec r = rec_of("alice", "office", 1);

	ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &r, OP), KGW_OK);
	ck_assert_int_eq(kgw_store_user_delete(s, "alice", OP), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "alice", "", OP), KGW_OK);
	ck_assert_uint_eq(user_of(s, "alice").fido2_count, 0);
	r = rec_of("bob", "office", 1);
	ck_assert_int_eq(kgw_store_fido2_add(s, "bob", &r, OP), KGW_OK);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_accept_counter)
{
	struct kgw_store *s = store_new();
	struct kgw_fido2_rec r = rec_of("alice", "office", 1), k;
	struct kgw_user_rec u;
	int64_t now = (int64_t)time(NULL);
	unsigned count;
	bool locked;

	r.sign_count = 10;
	ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &r, OP), KGW_OK);
	ck_assert_int_eq(kgw_store_fail_record(s, "alice", now, 5, 60, &count,
	    &locked, &AUDIT), KGW_OK);
	u = user_of(s, "alice");
	k = key_of(s, "alice");
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, -1, &k, 11, now, &AUDIT),
	    KGW_OK);
	k = key_of(s, "alice");
	ck_assert_int_eq(k.sign_count, 11);
	ck_assert_int_eq(k.last_used, now);
	ck_assert_uint_eq(user_of(s, "alice").fail_count, 0);
	/* The same value again: a clone, or a replay. Flagged for good. */
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, -1, &k, 11, now, &AUDIT),
	    KGW_ERR_CLONE);
	k = key_of(s, "alice");
	ck_assert(k.flagged);
	ck_assert_int_eq(k.sign_count, 11);
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, -1, &k, 50, now, &AUDIT),
	    KGW_ERR_CLONE);
	ck_assert_ptr_nonnull(strstr(logbuf, "possible clone"));
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_accept_counter_backwards)
{
	struct kgw_store *s = store_new();
	struct kgw_fido2_rec r = rec_of("alice", "office", 1), k;
	struct kgw_user_rec u;

	r.sign_count = 100;
	ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &r, OP), KGW_OK);
	u = user_of(s, "alice");
	k = key_of(s, "alice");
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, -1, &k, 99, 1000, &AUDIT),
	    KGW_ERR_CLONE);
	ck_assert(key_of(s, "alice").flagged);
	/* A counter that falls to 0 is no key without a counter. */
	r = rec_of("bob", "office", 2);
	r.sign_count = 5;
	ck_assert_int_eq(kgw_store_fido2_add(s, "bob", &r, OP), KGW_OK);
	u = user_of(s, "bob");
	k = key_of(s, "bob");
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, -1, &k, 0, 1000, &AUDIT),
	    KGW_ERR_CLONE);
	kgw_store_close(&s);
}
END_TEST

/* A key that keeps no counter says 0 each time, and is accepted. */
START_TEST(test_accept_counter_none)
{
	struct kgw_store *s = store_new();
	struct kgw_fido2_rec r = rec_of("alice", "office", 1), k;
	struct kgw_user_rec u;

	ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &r, OP), KGW_OK);
	u = user_of(s, "alice");
	k = key_of(s, "alice");
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, -1, &k, 0, 1000, &AUDIT),
	    KGW_OK);
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, -1, &k, 0, 1001, &AUDIT),
	    KGW_OK);
	ck_assert(!key_of(s, "alice").flagged);
	kgw_store_close(&s);
}
END_TEST

/* What the login saw at its start must hold at its commit. */
START_TEST(test_accept_rechecks)
{
	struct kgw_store *s = store_new();
	struct kgw_fido2_rec r = rec_of("alice", "office", 1), k;
	struct kgw_user_rec u;

	ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &r, OP), KGW_OK);
	u = user_of(s, "alice");
	k = key_of(s, "alice");
	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", true, OP), KGW_OK);
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, -1, &k, 1, 1000, &AUDIT),
	    KGW_ERR_DISABLED);
	/* Rolled back: the counter did not move. */
	ck_assert_int_eq(key_of(s, "alice").sign_count, 0);
	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", false, OP), KGW_OK);
	u = user_of(s, "alice");
	ck_assert_int_eq(kgw_store_set_zones(s, "alice", "internet", OP),
	    KGW_OK);
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, -1, &k, 1, 1000, &AUDIT),
	    KGW_ERR_ZONE);
	u = user_of(s, "alice");
	/* Revoked meanwhile, or re-enrolled under the same label. */
	ck_assert_int_eq(kgw_store_fido2_revoke(s, "alice", "office", OP),
	    KGW_OK);
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, -1, &k, 1, 1000, &AUDIT),
	    KGW_ERR_NO_FACTOR);
	r = rec_of("alice", "office", 1);
	r.sealed[r.sealed_len - 1] ^= 1;	/* another sealing, same id */
	ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &r, OP), KGW_OK);
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, -1, &k, 1, 1000, &AUDIT),
	    KGW_ERR_NO_FACTOR);
	kgw_store_close(&s);
}
END_TEST

/* Both factors in one commit: the TOTP step is used with the key. */
START_TEST(test_accept_with_totp)
{
	struct kgw_store *s = store_new();
	struct kgw_fido2_rec r = rec_of("alice", "office", 1), k;
	unsigned char sealed[KGW_SEAL_OVERHEAD + 20];
	struct kgw_user_rec u;

	memset(sealed, 3, sizeof(sealed));
	ck_assert_int_eq(kgw_store_set_totp(s, "alice", sealed, sizeof(sealed),
	    KGW_TOTP_SHA1, 6, OP), KGW_OK);
	ck_assert_int_eq(kgw_store_fido2_add(s, "alice", &r, OP), KGW_OK);
	u = user_of(s, "alice");
	k = key_of(s, "alice");
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, 40, &k, 1, 1000, &AUDIT),
	    KGW_OK);
	ck_assert_int_eq(user_of(s, "alice").totp_last_step, 40);
	/* The step again: a replay, and the key's counter stays. */
	u = user_of(s, "alice");
	ck_assert_int_eq(kgw_store_fido2_accept(s, &u, 40, &k, 2, 1000, &AUDIT),
	    KGW_ERR_REPLAY);
	ck_assert_int_eq(key_of(s, "alice").sign_count, 1);
	kgw_store_close(&s);
}
END_TEST

static Suite *
fido2_store_suite(void)
{
	Suite *s = suite_create("store_fido2");
	TCase *tc = tcase_create("fido2");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_seal_round_trip);
	tcase_add_test(tc, test_seal_refuses_bad_credentials);
	tcase_add_test(tc, test_labels);
	tcase_add_test(tc, test_add_list_revoke);
	tcase_add_test(tc, test_add_limit);
	tcase_add_test(tc, test_delete_takes_keys);
	tcase_add_test(tc, test_accept_counter);
	tcase_add_test(tc, test_accept_counter_backwards);
	tcase_add_test(tc, test_accept_counter_none);
	tcase_add_test(tc, test_accept_rechecks);
	tcase_add_test(tc, test_accept_with_totp);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fido2_store_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
