/* Unit tests for password hashing and checking (kgw_password.h). */
#include <config.h>

#include <check.h>
#include <crypt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kgw_err.h"
#include "kgw_password.h"

#define PW "correct horse battery staple"

/* crypt(3) of password with setting, into out; false when unsupported. */
static bool
make_hash(const char *password, const char *setting, char *out, size_t len)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *res;
	bool ok = false;

	ck_assert_ptr_nonnull(cd);
	res = crypt_rn(password, setting, cd, (int)sizeof(*cd));
	if (res != NULL && res[0] != '*' && strlen(res) < len) {
		(void)strcpy(out, res);
		ok = true;
	}
	free(cd);
	return ok;
}

START_TEST(test_hash_legacy)
{
	char hash[KGW_HASH_MAX];

	/* DES: importable, but flagged. */
	ck_assert_int_eq(kgw_password_hash_valid("abJnggxhB/yWI"), KGW_OK);
	ck_assert(kgw_password_hash_legacy("abJnggxhB/yWI"));
	ck_assert_int_eq(kgw_password_hash("pw-for-legacy", hash,
	    sizeof(hash)), KGW_OK);
	ck_assert(!kgw_password_hash_legacy(hash));
	ck_assert(!kgw_password_hash_legacy("not a hash"));
}
END_TEST

static double
seconds_to_verify(const char *password, const char *hash)
{
	struct timespec a, b;
	double best = 1e9;
	int i;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &a), 0);
		(void)kgw_password_verify(password, hash);
		ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &b), 0);
		if ((double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9 < best)
			best = (double)(b.tv_sec - a.tv_sec) +
			    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	}
	return best;
}

/*
 * Not a speed target but a security property: an empty or oversized
 * password, or no hash at all, must cost a yescrypt hash like a real
 * check does, or the delay before the next prompt tells accounts apart.
 * The broken code answered in microseconds, a yescrypt takes tens of
 * milliseconds: the 5x margin cannot be crossed by machine noise.
 */
START_TEST(test_verify_same_cost)
{
	char hash[KGW_HASH_MAX], big[KGW_PASSWORD_MAX + 8];
	double real;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(kgw_password_hash("the-real-one", hash, sizeof(hash)),
	    KGW_OK);
	real = seconds_to_verify("a-wrong-one", hash);
	ck_assert_msg(seconds_to_verify("", hash) > real / 5,
	    "an empty password answered too fast");
	ck_assert_msg(seconds_to_verify(big, hash) > real / 5,
	    "an oversized password answered too fast");
	ck_assert_msg(seconds_to_verify("a-wrong-one", NULL) > real / 5,
	    "a missing hash answered too fast");
}
END_TEST

START_TEST(test_hash_verify)
{
	char hash[KGW_HASH_MAX];

	memset(hash, 'x', sizeof(hash));
	ck_assert_int_eq(kgw_password_hash(PW, hash, sizeof(hash)), KGW_OK);
	ck_assert_uint_lt(strlen(hash), sizeof(hash));
	ck_assert_int_eq(strncmp(hash, "$y$", 3), 0);
	ck_assert_int_eq(kgw_password_hash_valid(hash), KGW_OK);
	ck_assert_int_eq(kgw_password_verify(PW, hash), KGW_OK);
	ck_assert_int_eq(kgw_password_verify("correct horse battery stapl", hash),
	    KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify(PW "e", hash), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify("Correct horse battery staple",
	    hash), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify("x", hash), KGW_ERR_DENIED);
	/* The hash does not contain the password. */
	ck_assert_ptr_null(strstr(hash, "horse"));
}
END_TEST

/* A fresh salt each time: same password, different hashes, both verify. */
START_TEST(test_hash_salted)
{
	char a[KGW_HASH_MAX], b[KGW_HASH_MAX];

	ck_assert_int_eq(kgw_password_hash(PW, a, sizeof(a)), KGW_OK);
	ck_assert_int_eq(kgw_password_hash(PW, b, sizeof(b)), KGW_OK);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(kgw_password_verify(PW, a), KGW_OK);
	ck_assert_int_eq(kgw_password_verify(PW, b), KGW_OK);
}
END_TEST

/* Passwords are bytes: UTF-8 and long ones work. */
START_TEST(test_hash_utf8_and_long)
{
	char hash[KGW_HASH_MAX], pw[KGW_PASSWORD_MAX];

	ck_assert_int_eq(kgw_password_hash("加古川市パスワード", hash,
	    sizeof(hash)), KGW_OK);
	ck_assert_int_eq(kgw_password_verify("加古川市パスワード", hash),
	    KGW_OK);
	ck_assert_int_eq(kgw_password_verify("加古川市パスワー", hash),
	    KGW_ERR_DENIED);

	memset(pw, 'p', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';	/* KGW_PASSWORD_MAX - 1 bytes */
	ck_assert_int_eq(kgw_password_hash(pw, hash, sizeof(hash)), KGW_OK);
	ck_assert_int_eq(kgw_password_verify(pw, hash), KGW_OK);
	pw[sizeof(pw) - 2] = 'q';
	ck_assert_int_eq(kgw_password_verify(pw, hash), KGW_ERR_DENIED);
}
END_TEST

START_TEST(test_hash_too_long)
{
	char hash[KGW_HASH_MAX], *pw = malloc(KGW_PASSWORD_MAX + 1);

	ck_assert_ptr_nonnull(pw);
	memset(pw, 'p', KGW_PASSWORD_MAX);
	pw[KGW_PASSWORD_MAX] = '\0';
	ck_assert_int_ne(kgw_password_hash(pw, hash, sizeof(hash)), KGW_OK);
	free(pw);
}
END_TEST

START_TEST(test_hash_refusals)
{
	char hash[KGW_HASH_MAX];

	ck_assert_int_ne(kgw_password_hash("", hash, sizeof(hash)), KGW_OK);
	ck_assert_int_ne(kgw_password_hash(NULL, hash, sizeof(hash)), KGW_OK);
	ck_assert_int_ne(kgw_password_hash(PW, NULL, 0), KGW_OK);
	/* An output buffer too small for the hash. */
	ck_assert_int_ne(kgw_password_hash(PW, hash, 10), KGW_OK);
}
END_TEST

START_TEST(test_verify_empty_and_null)
{
	char hash[KGW_HASH_MAX];

	ck_assert_int_eq(kgw_password_hash(PW, hash, sizeof(hash)), KGW_OK);
	ck_assert_int_eq(kgw_password_verify("", hash), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify(NULL, hash), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify(PW, NULL), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify("", NULL), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify(NULL, NULL), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify(PW, ""), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify("", ""), KGW_ERR_DENIED);
}
END_TEST

/* An empty password never matches, even a hash made of the empty string. */
START_TEST(test_verify_empty_password_hash)
{
	char hash[KGW_HASH_MAX];

	ck_assert(make_hash("", "$6$saltsalt$", hash, sizeof(hash)));
	ck_assert_int_eq(kgw_password_verify("", hash), KGW_ERR_DENIED);
}
END_TEST

/* Locked and disabled shadow entries deny every password. */
START_TEST(test_verify_locked)
{
	char hash[KGW_HASH_MAX], locked[KGW_HASH_MAX + 1];

	ck_assert(make_hash(PW, "$6$saltsalt$", hash, sizeof(hash)));
	(void)snprintf(locked, sizeof(locked), "!%s", hash);
	ck_assert_int_eq(kgw_password_verify(PW, locked), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify(PW, "!"), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify(PW, "*"), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify(PW, "!!"), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify("*0", "*0"), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify(PW, "$unknown$x"),
	    KGW_ERR_DENIED);
	/* A bare setting (no hash part) matches nothing. */
	ck_assert_int_eq(kgw_password_verify(PW, "$6$saltsalt$"),
	    KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify(PW, "$6$saltsalt"),
	    KGW_ERR_DENIED);
}
END_TEST

/* A stored hash cut short or changed no longer verifies. */
START_TEST(test_verify_altered_hash)
{
	char hash[KGW_HASH_MAX];
	size_t len;

	ck_assert_int_eq(kgw_password_hash(PW, hash, sizeof(hash)), KGW_OK);
	len = strlen(hash);
	hash[len - 1] = hash[len - 1] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(kgw_password_verify(PW, hash), KGW_ERR_DENIED);
	hash[len - 1] = '\0';
	ck_assert_int_eq(kgw_password_verify(PW, hash), KGW_ERR_DENIED);
}
END_TEST

struct import_case {
	const char *name;
	const char *setting;
	bool required;	/* false: skipped when libcrypt lacks it */
};

static const struct import_case imports[] = {
	{ "sha512crypt", "$6$saltsalt$", true },
	{ "sha512crypt rounds", "$6$rounds=5000$saltsalt$", true },
	{ "sha256crypt", "$5$saltsalt$", true },
	{ "bcrypt", "$2b$05$abcdefghijklmnopqrstuu", false },
	{ "yescrypt", "$y$j9T$abcdefghijklmnopqrstu.$", true },
	{ "md5crypt", "$1$saltsalt$", false },
};

START_TEST(test_import)
{
	const struct import_case *c = &imports[_i];
	char hash[KGW_HASH_MAX];

	if (!make_hash(PW, c->setting, hash, sizeof(hash))) {
		ck_assert_msg(!c->required, "%s not supported by libcrypt",
		    c->name);
		return;
	}
	ck_assert_msg(kgw_password_hash_valid(hash) == KGW_OK,
	    "%s hash \"%s\" refused", c->name, hash);
	ck_assert_msg(kgw_password_verify(PW, hash) == KGW_OK,
	    "%s: right password denied", c->name);
	ck_assert_msg(kgw_password_verify(PW "!", hash) == KGW_ERR_DENIED,
	    "%s: wrong password accepted", c->name);
	ck_assert_msg(kgw_password_verify("", hash) == KGW_ERR_DENIED,
	    "%s: empty password accepted", c->name);
}
END_TEST

/* Hashes made elsewhere (openssl passwd -6 / -5 -salt KGWsalt1 kakogawa). */
static const char *const known_hashes[] = {
	"$6$KGWsalt1$a383BKZmFHHsL8UbcvB377Br5psul3EFznFq5qJ/e3kFErFaVVNqBHzkts"
	    "WbFpiHYRrP21oQqQg8pWrFH40ct0",
	"$5$KGWsalt1$5jGxnSMcKup/8F8Bkg06gQXU7HcSySUEQRerpuWSyED",
};

START_TEST(test_import_known_answer)
{
	const char *hash = known_hashes[_i];
	char copy[KGW_HASH_MAX];

	ck_assert_int_eq(kgw_password_hash_valid(hash), KGW_OK);
	ck_assert_int_eq(kgw_password_verify("kakogawa", hash), KGW_OK);
	ck_assert_int_eq(kgw_password_verify("Kakogawa", hash), KGW_ERR_DENIED);
	ck_assert_int_eq(kgw_password_verify("kakogawa ", hash),
	    KGW_ERR_DENIED);
	/* One character of the stored hash changed. */
	(void)strcpy(copy, hash);
	copy[strlen(copy) - 3] ^= 0x01;
	ck_assert_int_eq(kgw_password_verify("kakogawa", copy), KGW_ERR_DENIED);
}
END_TEST

static const char *const invalid_hashes[] = {
	"",
	"!locked",
	"!",
	"!$6$saltsalt$abc",
	"*",
	"*LK*",
	"x",
	"$unknown$x",
	"$y$j9T$abc:def$ghi",
	"$y$j9T$abc$def\n",
	"$y$j9T$abc\ndef",
	"$6$salt salt$abc",
	"$6$saltsalt$abc\t",
	"$6$saltsalt$abc;",
	"$6$saltsalt$abc*",
	"$6$saltsalt$ab\\c",
	"$6$saltsalt$\xc3\xa9",
};

START_TEST(test_hash_invalid)
{
	const char *h = invalid_hashes[_i];

	ck_assert_msg(kgw_password_hash_valid(h) == KGW_ERR_INVALID,
	    "hash #%d accepted", _i);
}
END_TEST

/* Any ':' or newline in an otherwise real hash is refused. */
START_TEST(test_hash_invalid_colon_newline)
{
	char hash[KGW_HASH_MAX], bad[KGW_HASH_MAX + 2];
	size_t len;

	ck_assert_int_eq(kgw_password_hash(PW, hash, sizeof(hash)), KGW_OK);
	len = strlen(hash);
	(void)snprintf(bad, sizeof(bad), "%s:", hash);
	ck_assert_int_eq(kgw_password_hash_valid(bad), KGW_ERR_INVALID);
	(void)snprintf(bad, sizeof(bad), "%s\n", hash);
	ck_assert_int_eq(kgw_password_hash_valid(bad), KGW_ERR_INVALID);
	(void)strcpy(bad, hash);
	bad[len / 2] = ':';
	ck_assert_int_eq(kgw_password_hash_valid(bad), KGW_ERR_INVALID);
	bad[len / 2] = '\n';
	ck_assert_int_eq(kgw_password_hash_valid(bad), KGW_ERR_INVALID);
}
END_TEST

START_TEST(test_hash_invalid_long)
{
	char h[301];

	memcpy(h, "$6$saltsalt$", 12);
	memset(h + 12, 'a', sizeof(h) - 13);
	h[sizeof(h) - 1] = '\0';
	ck_assert_int_eq(kgw_password_hash_valid(h), KGW_ERR_INVALID);
	/* The bound is KGW_HASH_MAX with its NUL. */
	h[KGW_HASH_MAX] = '\0';
	ck_assert_int_eq(kgw_password_hash_valid(h), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_password_hash_valid(NULL), KGW_ERR_INVALID);
}
END_TEST

/*
 * A setting without its hash part, or a hash cut short or run on, is not a
 * hash libcrypt can check: it would import fine and then deny every
 * password, locking the person out with nothing said at import time.
 */
static const char *const incomplete_hashes[] = {
	"$6$saltsalt$",
	"$6$saltsalt",
	"$5$saltsalt$",
	"$y$",
	"$y$j9T$",
	"ab",
	/* known_hashes[0] without its last character, and with one more. */
	"$6$KGWsalt1$a383BKZmFHHsL8UbcvB377Br5psul3EFznFq5qJ/e3kFErFaVVNqBHzkts"
	    "WbFpiHYRrP21oQqQg8pWrFH40ct",
	"$6$KGWsalt1$a383BKZmFHHsL8UbcvB377Br5psul3EFznFq5qJ/e3kFErFaVVNqBHzkts"
	    "WbFpiHYRrP21oQqQg8pWrFH40ct0x",
};

START_TEST(test_hash_valid_incomplete)
{
	const char *h = incomplete_hashes[_i];

	ck_assert_msg(kgw_password_hash_valid(h) == KGW_ERR_INVALID,
	    "incomplete hash \"%s\" accepted for import", h);
}
END_TEST

static Suite *
password_suite(void)
{
	Suite *s = suite_create("password");
	TCase *tc;

	tc = tcase_create("hash");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hash_verify);
	tcase_add_test(tc, test_hash_legacy);
	tcase_add_test(tc, test_verify_same_cost);
	tcase_add_test(tc, test_hash_salted);
	tcase_add_test(tc, test_hash_utf8_and_long);
	tcase_add_test(tc, test_hash_too_long);
	tcase_add_test(tc, test_hash_refusals);
	tcase_add_test(tc, test_verify_empty_and_null);
	tcase_add_test(tc, test_verify_empty_password_hash);
	tcase_add_test(tc, test_verify_locked);
	tcase_add_test(tc, test_verify_altered_hash);
	suite_add_tcase(s, tc);

	tc = tcase_create("import");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_import, 0,
	    (int)(sizeof(imports) / sizeof(imports[0])));
	tcase_add_loop_test(tc, test_import_known_answer, 0,
	    (int)(sizeof(known_hashes) / sizeof(known_hashes[0])));
	tcase_add_loop_test(tc, test_hash_invalid, 0,
	    (int)(sizeof(invalid_hashes) / sizeof(invalid_hashes[0])));
	tcase_add_test(tc, test_hash_invalid_colon_newline);
	tcase_add_test(tc, test_hash_invalid_long);
	tcase_add_loop_test(tc, test_hash_valid_incomplete, 0,
	    (int)(sizeof(incomplete_hashes) / sizeof(incomplete_hashes[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(password_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? 1 : 0;
}
