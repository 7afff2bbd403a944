/* Unit tests for TOTP codes, checking, base32 and URIs (kgw_totp.h). */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kgw_crypto.h"
#include "kgw_err.h"
#include "kgw_totp.h"

#define SEED20 "12345678901234567890"
#define SEED64 SEED20 SEED20 SEED20 "1234"

/* RFC 6238 Appendix B. */
struct rfc_vector {
	time_t time;
	enum kgw_totp_alg alg;
	const char *code;
};

static const struct rfc_vector rfc_vectors[] = {
	{ 59, KGW_TOTP_SHA1, "94287082" },
	{ 59, KGW_TOTP_SHA256, "46119246" },
	{ 59, KGW_TOTP_SHA512, "90693936" },
	{ 1111111109, KGW_TOTP_SHA1, "07081804" },
	{ 1111111109, KGW_TOTP_SHA256, "68084774" },
	{ 1111111109, KGW_TOTP_SHA512, "25091201" },
	{ 1111111111, KGW_TOTP_SHA1, "14050471" },
	{ 1111111111, KGW_TOTP_SHA256, "67062674" },
	{ 1111111111, KGW_TOTP_SHA512, "99943326" },
	{ 1234567890, KGW_TOTP_SHA1, "89005924" },
	{ 1234567890, KGW_TOTP_SHA256, "91819424" },
	{ 1234567890, KGW_TOTP_SHA512, "93441116" },
	{ 2000000000, KGW_TOTP_SHA1, "69279037" },
	{ 2000000000, KGW_TOTP_SHA256, "90698825" },
	{ 2000000000, KGW_TOTP_SHA512, "38618901" },
	{ 20000000000, KGW_TOTP_SHA1, "65353130" },
	{ 20000000000, KGW_TOTP_SHA256, "77737706" },
	{ 20000000000, KGW_TOTP_SHA512, "47863826" },
};

static void
setup_oath(void)
{
	ck_assert_int_eq(kgw_totp_init(), KGW_OK);
}

static void
teardown_oath(void)
{
	kgw_totp_done();
}

/* The RFC's seed for alg: the ASCII digits, 20, 32 or 64 bytes long. */
static void
rfc_totp(struct kgw_totp *t, enum kgw_totp_alg alg, unsigned digits)
{
	static const char seed[] = SEED64;

	memset(t, 0, sizeof(*t));
	t->alg = alg;
	t->digits = digits;
	t->secret_len = alg == KGW_TOTP_SHA1 ? 20 :
	    alg == KGW_TOTP_SHA256 ? 32 : 64;
	memcpy(t->secret, seed, t->secret_len);
}

START_TEST(test_rfc6238)
{
	const struct rfc_vector *v = &rfc_vectors[_i];
	struct kgw_totp t;
	char out[KGW_TOTP_CODE_MAX + 1];

	rfc_totp(&t, v->alg, 8);
	memset(out, 'x', sizeof(out));
	ck_assert_int_eq(kgw_totp_code(&t, kgw_totp_step(v->time), out),
	    KGW_OK);
	ck_assert_msg(strcmp(out, v->code) == 0, "t=%lld %s: got %s want %s",
	    (long long)v->time, kgw_totp_alg_name(v->alg), out, v->code);
	/* Six digits are the last six of eight. */
	rfc_totp(&t, v->alg, 6);
	ck_assert_int_eq(kgw_totp_code(&t, kgw_totp_step(v->time), out),
	    KGW_OK);
	ck_assert_str_eq(out, v->code + 2);
}
END_TEST

/* The RFC vectors also pass through kgw_totp_verify. */
START_TEST(test_rfc6238_verify)
{
	const struct rfc_vector *v = &rfc_vectors[_i];
	struct kgw_totp t;
	int64_t matched = -7;

	rfc_totp(&t, v->alg, 8);
	ck_assert_int_eq(kgw_totp_verify(&t, v->code, v->time, 0, -1,
	    &matched), KGW_OK);
	ck_assert_int_eq(matched, kgw_totp_step(v->time));
}
END_TEST

START_TEST(test_step)
{
	ck_assert_int_eq(kgw_totp_step(0), 0);
	ck_assert_int_eq(kgw_totp_step(29), 0);
	ck_assert_int_eq(kgw_totp_step(30), 1);
	ck_assert_int_eq(kgw_totp_step(59), 1);
	ck_assert_int_eq(kgw_totp_step(1111111109), 37037036);
	ck_assert_int_eq(kgw_totp_step(1111111111), 37037037);
	ck_assert_int_eq(kgw_totp_step(20000000000), 666666666);
	ck_assert_int_lt(kgw_totp_step(-1), 0);
}
END_TEST

START_TEST(test_code_invalid)
{
	struct kgw_totp t;
	char out[KGW_TOTP_CODE_MAX + 1];

	rfc_totp(&t, KGW_TOTP_SHA1, 6);
	ck_assert_int_eq(kgw_totp_code(&t, 0, out), KGW_OK);
	ck_assert_int_eq(kgw_totp_code(&t, -1, out), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_code(NULL, 1, out), KGW_ERR_INVALID);
	t.digits = 7;
	ck_assert_int_eq(kgw_totp_code(&t, 1, out), KGW_ERR_INVALID);
	t.digits = 6;
	t.secret_len = 0;
	ck_assert_int_eq(kgw_totp_code(&t, 1, out), KGW_ERR_INVALID);
	t.secret_len = KGW_TOTP_SECRET_MAX + 1;
	ck_assert_int_eq(kgw_totp_code(&t, 1, out), KGW_ERR_INVALID);
	t.secret_len = 20;
	t.alg = (enum kgw_totp_alg)3;
	ck_assert_int_eq(kgw_totp_code(&t, 1, out), KGW_ERR_INVALID);
}
END_TEST

/* A fixed account for the checking tests, at a fixed time. */
#define NOW ((time_t)1700000015)

static void
code_at(const struct kgw_totp *t, int64_t step, char *out)
{
	ck_assert_int_eq(kgw_totp_code(t, step, out), KGW_OK);
}

static void
verify_setup(struct kgw_totp *t, unsigned digits)
{
	char seen[16][KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW);
	int i, j;

	memset(t, 0, sizeof(*t));
	memcpy(t->secret, "kakogawa-test-secret", 20);
	t->secret_len = 20;
	t->alg = KGW_TOTP_SHA1;
	t->digits = digits;
	/* The tests need the codes around NOW to differ from each other. */
	for (i = 0; i < 16; i++) {
		code_at(t, cur - 12 + i, seen[i]);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(seen[i], seen[j]);
	}
}

START_TEST(test_verify_current)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW), matched = -7;

	verify_setup(&t, 6);
	code_at(&t, cur, code);
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 1, -1, &matched),
	    KGW_OK);
	ck_assert_int_eq(matched, cur);
	matched = -7;
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 0, -1, &matched),
	    KGW_OK);
	ck_assert_int_eq(matched, cur);
	/* Any second of the step. */
	ck_assert_int_eq(kgw_totp_verify(&t, code, cur * 30, 0, -1, &matched),
	    KGW_OK);
	ck_assert_int_eq(kgw_totp_verify(&t, code, cur * 30 + 29, 0, -1,
	    &matched), KGW_OK);
	ck_assert_int_eq(kgw_totp_verify(&t, code, cur * 30 + 30, 0, -1,
	    &matched), KGW_ERR_DENIED);
}
END_TEST

START_TEST(test_verify_previous)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW), matched = -7;

	verify_setup(&t, 6);
	code_at(&t, cur - 1, code);
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 1, -1, &matched),
	    KGW_OK);
	ck_assert_int_eq(matched, cur - 1);
	matched = -7;
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 0, -1, &matched),
	    KGW_ERR_DENIED);
	ck_assert_int_eq(matched, -7);
}
END_TEST

START_TEST(test_verify_two_back)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW), matched = -7;

	verify_setup(&t, 6);
	code_at(&t, cur - 2, code);
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 1, -1, &matched),
	    KGW_ERR_DENIED);
	ck_assert_int_eq(matched, -7);
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 2, -1, &matched),
	    KGW_OK);
	ck_assert_int_eq(matched, cur - 2);
}
END_TEST

/* The window goes back exactly `window` steps, up to the maximum. */
START_TEST(test_verify_window_edges)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW), matched;
	unsigned w;

	verify_setup(&t, 6);
	for (w = 0; w <= KGW_TOTP_WINDOW_MAX; w++) {
		code_at(&t, cur - (int64_t)w, code);
		ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, w, -1,
		    &matched), KGW_OK);
		ck_assert_int_eq(matched, cur - (int64_t)w);
		code_at(&t, cur - (int64_t)w - 1, code);
		ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, w, -1,
		    &matched), KGW_ERR_DENIED);
	}
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW,
	    KGW_TOTP_WINDOW_MAX + 1, -1, &matched), KGW_ERR_INVALID);
}
END_TEST

/* Codes from the future are never accepted, whatever the window. */
START_TEST(test_verify_future)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW), matched = -7;
	int ahead;

	verify_setup(&t, 6);
	for (ahead = 1; ahead <= 3; ahead++) {
		code_at(&t, cur + ahead, code);
		ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 1, -1,
		    &matched), KGW_ERR_DENIED);
		ck_assert_int_eq(kgw_totp_verify(&t, code, NOW,
		    KGW_TOTP_WINDOW_MAX, -1, &matched), KGW_ERR_DENIED);
	}
	ck_assert_int_eq(matched, -7);
}
END_TEST

START_TEST(test_verify_replay)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW), matched = -7;

	verify_setup(&t, 6);
	code_at(&t, cur, code);
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 1, -1, &matched),
	    KGW_OK);
	ck_assert_int_eq(matched, cur);
	/* Same code again, the step now recorded as used. */
	matched = -7;
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 1, cur, &matched),
	    KGW_ERR_REPLAY);
	ck_assert_int_eq(matched, -7);
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW + 29, 1, cur,
	    &matched), KGW_ERR_REPLAY);
	/* A used step later than the code's (the clock went back). */
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 1, cur + 5, &matched),
	    KGW_ERR_REPLAY);
	/* The step before the used one is still free. */
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 1, cur - 1, &matched),
	    KGW_OK);
	ck_assert_int_eq(matched, cur);
}
END_TEST

/* Once a newer step is used, an older code is no good either. */
START_TEST(test_verify_older_after_newer)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW), matched = -7;
	int r;

	verify_setup(&t, 6);
	code_at(&t, cur - 1, code);
	r = kgw_totp_verify(&t, code, NOW, 1, cur, &matched);
	ck_assert_msg(r == KGW_ERR_REPLAY || r == KGW_ERR_DENIED, "rc %d", r);
	ck_assert_int_eq(matched, -7);
	code_at(&t, cur - 2, code);
	r = kgw_totp_verify(&t, code, NOW, 2, cur - 1, &matched);
	ck_assert_msg(r == KGW_ERR_REPLAY || r == KGW_ERR_DENIED, "rc %d", r);
	ck_assert_int_eq(matched, -7);
}
END_TEST

START_TEST(test_verify_wrong)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1], wrong[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW), matched = -7;
	size_t i;

	verify_setup(&t, 6);
	code_at(&t, cur, code);
	/* Change each digit in turn. */
	for (i = 0; i < 6; i++) {
		(void)strcpy(wrong, code);
		wrong[i] = wrong[i] == '9' ? '0' : (char)(wrong[i] + 1);
		ck_assert_int_eq(kgw_totp_verify(&t, wrong, NOW, 0, -1,
		    &matched), KGW_ERR_DENIED);
	}
	/* Right code, other secret. */
	t.secret[0] ^= 1;
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 0, -1, &matched),
	    KGW_ERR_DENIED);
	ck_assert_int_eq(matched, -7);
}
END_TEST

/* Only the configured algorithm counts. */
START_TEST(test_verify_other_alg)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW), matched;

	verify_setup(&t, 6);
	code_at(&t, cur, code);
	t.alg = KGW_TOTP_SHA256;
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 0, -1, &matched),
	    KGW_ERR_DENIED);
}
END_TEST

START_TEST(test_verify_eight_digits)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW), matched = -7;

	verify_setup(&t, 8);
	code_at(&t, cur, code);
	ck_assert_uint_eq(strlen(code), 8);
	ck_assert_int_eq(kgw_totp_verify(&t, code, NOW, 1, -1, &matched),
	    KGW_OK);
	ck_assert_int_eq(matched, cur);
	/* The last six digits of an eight-digit code are not enough. */
	ck_assert_int_ne(kgw_totp_verify(&t, code + 2, NOW, 1, -1, &matched),
	    KGW_OK);
}
END_TEST

START_TEST(test_verify_bad_input)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1], longer[16];
	int64_t cur = kgw_totp_step(NOW), matched = -7;

	verify_setup(&t, 6);
	code_at(&t, cur, code);
	(void)snprintf(longer, sizeof(longer), "%s0", code);
	ck_assert_int_ne(kgw_totp_verify(&t, longer, NOW, 1, -1, &matched),
	    KGW_OK);
	code[5] = '\0';
	ck_assert_int_ne(kgw_totp_verify(&t, code, NOW, 1, -1, &matched),
	    KGW_OK);
	ck_assert_int_ne(kgw_totp_verify(&t, "", NOW, 1, -1, &matched),
	    KGW_OK);
	ck_assert_int_ne(kgw_totp_verify(&t, NULL, NOW, 1, -1, &matched),
	    KGW_OK);
	ck_assert_int_ne(kgw_totp_verify(NULL, "123456", NOW, 1, -1,
	    &matched), KGW_OK);
	ck_assert_int_ne(kgw_totp_verify(&t, "123456", -1, 1, -1, &matched),
	    KGW_OK);
	ck_assert_int_eq(matched, -7);
}
END_TEST

/* Near the epoch the window stops at step 0. */
START_TEST(test_verify_epoch)
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1];
	int64_t matched = -7;

	verify_setup(&t, 6);
	code_at(&t, 0, code);
	ck_assert_int_eq(kgw_totp_verify(&t, code, 5, 3, -1, &matched),
	    KGW_OK);
	ck_assert_int_eq(matched, 0);
	ck_assert_int_eq(kgw_totp_verify(&t, code, 35, 3, -1, &matched),
	    KGW_OK);
	ck_assert_int_eq(matched, 0);
	ck_assert_int_eq(kgw_totp_verify(&t, code, 5, 3, 0, &matched),
	    KGW_ERR_REPLAY);
}
END_TEST

struct norm_case {
	const char *typed;
	unsigned digits;
	const char *want;	/* NULL: KGW_ERR_INVALID */
};

static const struct norm_case norm_cases[] = {
	{ "123456", 6, "123456" },
	{ "123 456", 6, "123456" },
	{ " 12 34 56 ", 6, "123456" },
	{ "000000", 6, "000000" },
	{ "      1 2 3 4 5 6      ", 6, "123456" },
	{ "12345678", 8, "12345678" },
	{ "1234 5678", 8, "12345678" },
	{ "12345", 6, NULL },
	{ "1234567", 6, NULL },
	{ "123456", 8, NULL },
	{ "1234567", 8, NULL },
	{ "123456789", 8, NULL },
	{ "12a456", 6, NULL },
	{ "12345a", 6, NULL },
	{ "-12345", 6, NULL },
	{ "+123456", 6, NULL },
	{ "123\t456", 6, NULL },
	{ "123\n456", 6, NULL },
	{ "123456\n", 6, NULL },
	{ "123-456", 6, NULL },
	{ "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93"
	  "\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96", 6, NULL },	/* full-width */
	{ "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6", 6, NULL },
	{ "12345\xef\xbc\x96", 6, NULL },
	{ "", 6, NULL },
	{ "      ", 6, NULL },
	{ "123456", 7, NULL },
	{ "123456", 0, NULL },
	{ "1234567890", 10, NULL },
};

START_TEST(test_normalize)
{
	const struct norm_case *c = &norm_cases[_i];
	char out[KGW_TOTP_CODE_MAX + 1];
	int r;

	r = kgw_totp_normalize(c->typed, c->digits, out);
	if (c->want == NULL) {
		ck_assert_msg(r == KGW_ERR_INVALID, "case %d accepted", _i);
	} else {
		ck_assert_msg(r == KGW_OK, "case %d \"%s\": rc %d", _i,
		    c->typed, r);
		ck_assert_str_eq(out, c->want);
	}
}
END_TEST

/* At most KGW_TOTP_INPUT_MAX bytes are read, spaces included. */
START_TEST(test_normalize_length)
{
	char typed[KGW_TOTP_INPUT_MAX + 2], out[KGW_TOTP_CODE_MAX + 1];

	memset(typed, ' ', sizeof(typed));
	memcpy(typed, "123456", 6);
	typed[KGW_TOTP_INPUT_MAX] = '\0';	/* 64 bytes */
	ck_assert_int_eq(kgw_totp_normalize(typed, 6, out), KGW_OK);
	ck_assert_str_eq(out, "123456");
	typed[KGW_TOTP_INPUT_MAX] = ' ';
	typed[KGW_TOTP_INPUT_MAX + 1] = '\0';	/* 65 bytes */
	ck_assert_int_eq(kgw_totp_normalize(typed, 6, out), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_normalize(NULL, 6, out), KGW_ERR_INVALID);
}
END_TEST

START_TEST(test_alg_parse)
{
	enum kgw_totp_alg alg;

	ck_assert_int_eq(kgw_totp_alg_parse("sha1", &alg), KGW_OK);
	ck_assert_int_eq(alg, KGW_TOTP_SHA1);
	ck_assert_int_eq(kgw_totp_alg_parse("SHA256", &alg), KGW_OK);
	ck_assert_int_eq(alg, KGW_TOTP_SHA256);
	ck_assert_int_eq(kgw_totp_alg_parse("Sha512", &alg), KGW_OK);
	ck_assert_int_eq(alg, KGW_TOTP_SHA512);
	ck_assert_int_eq(kgw_totp_alg_parse("SHA1", &alg), KGW_OK);
	ck_assert_int_eq(alg, KGW_TOTP_SHA1);

	alg = KGW_TOTP_SHA256;
	ck_assert_int_eq(kgw_totp_alg_parse("md5", &alg), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_alg_parse("", &alg), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_alg_parse("sha", &alg), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_alg_parse("sha-1", &alg), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_alg_parse("sha1 ", &alg), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_alg_parse("sha384", &alg), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_alg_parse(NULL, &alg), KGW_ERR_INVALID);
	ck_assert_int_eq(alg, KGW_TOTP_SHA256);
}
END_TEST

START_TEST(test_alg_name)
{
	ck_assert_str_eq(kgw_totp_alg_name(KGW_TOTP_SHA1), "SHA1");
	ck_assert_str_eq(kgw_totp_alg_name(KGW_TOTP_SHA256), "SHA256");
	ck_assert_str_eq(kgw_totp_alg_name(KGW_TOTP_SHA512), "SHA512");
	ck_assert_ptr_null(kgw_totp_alg_name((enum kgw_totp_alg)3));
}
END_TEST

START_TEST(test_purpose)
{
	char out[KGW_TOTP_PURPOSE_MAX];

	ck_assert_int_eq(kgw_totp_purpose(KGW_TOTP_SHA256, 8, out, sizeof(out)),
	    KGW_OK);
	ck_assert_str_eq(out, "totp:SHA256:8");
	ck_assert_int_eq(kgw_totp_purpose(KGW_TOTP_SHA1, 6, out, sizeof(out)),
	    KGW_OK);
	ck_assert_str_eq(out, "totp:SHA1:6");
	ck_assert_int_eq(kgw_totp_purpose(KGW_TOTP_SHA512, 6, out, sizeof(out)),
	    KGW_OK);
	ck_assert_str_eq(out, "totp:SHA512:6");
	ck_assert_int_eq(kgw_totp_purpose(KGW_TOTP_SHA1, 7, out, sizeof(out)),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_purpose((enum kgw_totp_alg)3, 6, out,
	    sizeof(out)), KGW_ERR_INVALID);
	/* "totp:SHA256:8" needs 14 bytes. */
	ck_assert_int_eq(kgw_totp_purpose(KGW_TOTP_SHA256, 8, out, 14),
	    KGW_OK);
	ck_assert_int_eq(kgw_totp_purpose(KGW_TOTP_SHA256, 8, out, 13),
	    KGW_ERR_INVALID);
}
END_TEST

/* RFC 4648 section 10, padding dropped as apps want it. */
struct b32_vector {
	const char *raw;
	const char *b32;
};

static const struct b32_vector b32_vectors[] = {
	{ "f", "MY" },
	{ "fo", "MZXQ" },
	{ "foo", "MZXW6" },
	{ "foob", "MZXW6YQ" },
	{ "fooba", "MZXW6YTB" },
	{ "foobar", "MZXW6YTBOI" },
	{ SEED20, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" },
};

START_TEST(test_base32_vectors)
{
	const struct b32_vector *v = &b32_vectors[_i];
	char enc[128], padded[128], lower[128], spaced[160];
	unsigned char dec[64];
	size_t declen = 0, i, j, len = strlen(v->raw);

	ck_assert_int_eq(kgw_base32_encode((const unsigned char *)v->raw, len,
	    enc, sizeof(enc)), KGW_OK);
	ck_assert_str_eq(enc, v->b32);

	ck_assert_int_eq(kgw_base32_decode(v->b32, dec, sizeof(dec), &declen),
	    KGW_OK);
	ck_assert_uint_eq(declen, len);
	ck_assert_int_eq(memcmp(dec, v->raw, len), 0);

	/* With its padding back. */
	(void)strcpy(padded, v->b32);
	while (strlen(padded) % 8 != 0)
		(void)strcat(padded, "=");
	declen = 0;
	ck_assert_int_eq(kgw_base32_decode(padded, dec, sizeof(dec), &declen),
	    KGW_OK);
	ck_assert_uint_eq(declen, len);
	ck_assert_int_eq(memcmp(dec, v->raw, len), 0);

	/* Lower case, grouped in fours with spaces. */
	for (i = 0, j = 0; v->b32[i] != '\0'; i++) {
		lower[i] = (char)(v->b32[i] >= 'A' && v->b32[i] <= 'Z' ?
		    v->b32[i] - 'A' + 'a' : v->b32[i]);
		if (i > 0 && i % 4 == 0)
			spaced[j++] = ' ';
		spaced[j++] = lower[i];
	}
	lower[i] = '\0';
	spaced[j] = '\0';
	declen = 0;
	ck_assert_int_eq(kgw_base32_decode(lower, dec, sizeof(dec), &declen),
	    KGW_OK);
	ck_assert_uint_eq(declen, len);
	ck_assert_int_eq(memcmp(dec, v->raw, len), 0);
	declen = 0;
	ck_assert_int_eq(kgw_base32_decode(spaced, dec, sizeof(dec), &declen),
	    KGW_OK);
	ck_assert_uint_eq(declen, len);
	ck_assert_int_eq(memcmp(dec, v->raw, len), 0);
}
END_TEST

/* Random secrets of every allowed length survive the round trip. */
START_TEST(test_base32_roundtrip)
{
	unsigned char raw[KGW_TOTP_SECRET_MAX], dec[KGW_TOTP_SECRET_MAX];
	char enc[2 * KGW_TOTP_SECRET_MAX];
	size_t len, declen;

	for (len = 1; len <= KGW_TOTP_SECRET_MAX; len++) {
		ck_assert_int_eq(kgw_random(raw, len), KGW_OK);
		ck_assert_int_eq(kgw_base32_encode(raw, len, enc, sizeof(enc)),
		    KGW_OK);
		ck_assert_uint_eq(strlen(enc), (len * 8 + 4) / 5);
		ck_assert_ptr_null(strchr(enc, '='));
		ck_assert_uint_eq(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		    strlen(enc));
		declen = 0;
		ck_assert_int_eq(kgw_base32_decode(enc, dec, sizeof(dec),
		    &declen), KGW_OK);
		ck_assert_uint_eq(declen, len);
		ck_assert_int_eq(memcmp(dec, raw, len), 0);
	}
}
END_TEST

START_TEST(test_base32_decode_dashes)
{
	unsigned char dec[64];
	size_t declen = 0;

	ck_assert_int_eq(kgw_base32_decode("gezd-gnbv-gy3t-qojq-gezd-gnbv-"
	    "gy3t-qojq", dec, sizeof(dec), &declen), KGW_OK);
	ck_assert_uint_eq(declen, 20);
	ck_assert_int_eq(memcmp(dec, SEED20, 20), 0);
}
END_TEST

static const char *const bad_b32[] = {
	"",
	" ",
	"====",
	"========",
	"GEZDGNB0",		/* 0, 1, 8 and 9 are not base32 */
	"GEZDGNB1",
	"GEZDGNB8",
	"GEZDGNB9",
	"GEZDGNB!",
	"GEZD.GNB",
	"GEZD_GNB",
	"GEZD\tGNB",
	"GEZD\nGNB",
	"GE=ZDGNB",
	"GEZD\xc3\x89GNB",
	"A",			/* lengths no byte string encodes to */
	"ABC",
	"ABCDEF",
};

START_TEST(test_base32_decode_invalid)
{
	unsigned char dec[64];
	size_t declen = 12345;

	ck_assert_msg(kgw_base32_decode(bad_b32[_i], dec, sizeof(dec),
	    &declen) == KGW_ERR_INVALID, "\"%s\" decoded", bad_b32[_i]);
	ck_assert_uint_eq(declen, 12345);
}
END_TEST

START_TEST(test_base32_bounds)
{
	unsigned char dec[64];
	char enc[64];
	size_t declen = 0;

	/* Decoding into a buffer one byte short. */
	ck_assert_int_eq(kgw_base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
	    dec, 19, &declen), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
	    dec, 20, &declen), KGW_OK);
	ck_assert_int_eq(kgw_base32_decode(NULL, dec, 20, &declen),
	    KGW_ERR_INVALID);
	/* Encoding: 32 characters need 33 bytes. */
	ck_assert_int_eq(kgw_base32_encode((const unsigned char *)SEED20, 20,
	    enc, 32), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_base32_encode((const unsigned char *)SEED20, 20,
	    enc, 33), KGW_OK);
	ck_assert_str_eq(enc, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	ck_assert_int_eq(kgw_base32_encode((const unsigned char *)SEED20, 0,
	    enc, sizeof(enc)), KGW_ERR_INVALID);
	/* A long pasted string is refused, not overflowed. */
	{
		char big[1024];

		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ck_assert_int_eq(kgw_base32_decode(big, dec, sizeof(dec),
		    &declen), KGW_ERR_INVALID);
	}
}
END_TEST

START_TEST(test_uri)
{
	struct kgw_totp t;
	char uri[512];

	rfc_totp(&t, KGW_TOTP_SHA1, 6);
	ck_assert_int_eq(kgw_totp_uri(&t, "Kakogawa City", "alice", uri,
	    sizeof(uri)), KGW_OK);
	ck_assert_str_eq(uri, "otpauth://totp/Kakogawa%20City:alice?"
	    "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Kakogawa%20City"
	    "&algorithm=SHA1&digits=6&period=30");
}
END_TEST

START_TEST(test_uri_sha256_8)
{
	struct kgw_totp t;
	char uri[512];

	memset(&t, 0, sizeof(t));
	memcpy(t.secret, "Hello!\xde\xad\xbe\xef", 10);
	t.secret_len = 10;
	t.alg = KGW_TOTP_SHA256;
	t.digits = 8;
	ck_assert_int_eq(kgw_totp_uri(&t, "Kakogawa", "a.b-c_d~e", uri,
	    sizeof(uri)), KGW_OK);
	ck_assert_str_eq(uri, "otpauth://totp/Kakogawa:a.b-c_d~e?"
	    "secret=JBSWY3DPEHPK3PXP&issuer=Kakogawa"
	    "&algorithm=SHA256&digits=8&period=30");
}
END_TEST

/* Everything outside the unreserved set is escaped, UTF-8 byte by byte. */
START_TEST(test_uri_escaping)
{
	struct kgw_totp t;
	char uri[512];

	memset(&t, 0, sizeof(t));
	t.secret_len = 16;	/* all zero: 26 'A's once unpadded */
	t.alg = KGW_TOTP_SHA512;
	t.digits = 6;
	ck_assert_int_eq(kgw_totp_uri(&t, "加古川市", "machine$", uri,
	    sizeof(uri)), KGW_OK);
	ck_assert_str_eq(uri, "otpauth://totp/"
	    "%E5%8A%A0%E5%8F%A4%E5%B7%9D%E5%B8%82:machine%24?"
	    "secret=AAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "&issuer=%E5%8A%A0%E5%8F%A4%E5%B7%9D%E5%B8%82"
	    "&algorithm=SHA512&digits=6&period=30");
	ck_assert_int_eq(kgw_totp_uri(&t, "A&B=C?D/E#F", "x y:z", uri,
	    sizeof(uri)), KGW_OK);
	ck_assert_str_eq(uri, "otpauth://totp/A%26B%3DC%3FD%2FE%23F:x%20y%3Az?"
	    "secret=AAAAAAAAAAAAAAAAAAAAAAAAAA&issuer=A%26B%3DC%3FD%2FE%23F"
	    "&algorithm=SHA512&digits=6&period=30");
}
END_TEST

START_TEST(test_uri_bounds)
{
	struct kgw_totp t;
	char uri[512];
	size_t need;

	rfc_totp(&t, KGW_TOTP_SHA1, 6);
	ck_assert_int_eq(kgw_totp_uri(&t, "Kakogawa City", "alice", uri,
	    sizeof(uri)), KGW_OK);
	need = strlen(uri) + 1;
	ck_assert_int_eq(kgw_totp_uri(&t, "Kakogawa City", "alice", uri,
	    need), KGW_OK);
	ck_assert_int_eq(kgw_totp_uri(&t, "Kakogawa City", "alice", uri,
	    need - 1), KGW_ERR_INVALID);
	/* The secret does not linger in a refused buffer. */
	ck_assert_ptr_null(strstr(uri, "GEZDGNBV"));
	ck_assert_int_eq(kgw_totp_uri(&t, "Kakogawa City", "alice", uri, 20),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_uri(&t, NULL, "alice", uri, sizeof(uri)),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_uri(&t, "K", NULL, uri, sizeof(uri)),
	    KGW_ERR_INVALID);
	t.digits = 7;
	ck_assert_int_eq(kgw_totp_uri(&t, "K", "alice", uri, sizeof(uri)),
	    KGW_ERR_INVALID);
}
END_TEST

START_TEST(test_wipe)
{
	struct kgw_totp t;
	size_t i;

	rfc_totp(&t, KGW_TOTP_SHA512, 8);
	kgw_totp_wipe(&t);
	for (i = 0; i < sizeof(t.secret); i++)
		ck_assert_uint_eq(t.secret[i], 0);
	ck_assert_uint_eq(t.secret_len, 0);
	kgw_totp_wipe(NULL);
}
END_TEST

/* ---- a token whose clock drifts (kgw_totp_check) ------------------------ */

#define SPREAD 24	/* steps either side of NOW the drift tests use */

/* 8 digits: the codes of 2 * SPREAD + 1 steps around NOW all differ. */
static void
drift_setup(struct kgw_totp *t)
{
	char seen[2 * SPREAD + 1][KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(NOW);
	int i, j;

	memset(t, 0, sizeof(*t));
	memcpy(t->secret, "kakogawa-drift-secret", 21);
	t->secret_len = 21;
	t->alg = KGW_TOTP_SHA1;
	t->digits = 8;
	for (i = 0; i < 2 * SPREAD + 1; i++) {
		code_at(t, cur - SPREAD + i, seen[i]);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(seen[i], seen[j]);
	}
}

/* The result of checking the code of step off (from NOW) against r. */
static int
check_at(const struct kgw_totp *t, const struct kgw_totp_range *r,
    int64_t off, int64_t *matched)
{
	char code[KGW_TOTP_CODE_MAX + 1];

	code_at(t, kgw_totp_step(NOW) + off, code);
	return kgw_totp_check(t, code, NOW, r, matched);
}

/* A fresh token: max_drift either way, window more back. */
START_TEST(test_check_fresh)
{
	const struct kgw_totp_range r = { 1, 3, 0, 0, -1 };
	struct kgw_totp t;
	int64_t off, matched;

	drift_setup(&t);
	for (off = -SPREAD; off <= SPREAD; off++) {
		matched = -7;
		if (off >= -4 && off <= 3) {
			ck_assert_int_eq(check_at(&t, &r, off, &matched),
			    KGW_OK);
			ck_assert_int_eq(matched, kgw_totp_step(NOW) + off);
		} else {
			ck_assert_int_eq(check_at(&t, &r, off, &matched),
			    KGW_ERR_DENIED);
			ck_assert_int_eq(matched, -7);
		}
	}
}
END_TEST

/* Centred on the learned offset, never past the bound around base. */
START_TEST(test_check_centred)
{
	struct kgw_totp_range r = { 1, 3, 0, 2, -1 };
	struct kgw_totp t;
	int64_t off, matched;

	drift_setup(&t);
	/* Learned +2: [-2, +5] centred, within the bound [-4, +3]. */
	for (off = -SPREAD; off <= SPREAD; off++)
		ck_assert_int_eq(check_at(&t, &r, off, &matched),
		    off >= -2 && off <= 3 ? KGW_OK : KGW_ERR_DENIED);
	/* Learned -3: [-7, 0] centred, [-4, 0] within the bound. */
	r.drift = -3;
	for (off = -SPREAD; off <= SPREAD; off++)
		ck_assert_int_eq(check_at(&t, &r, off, &matched),
		    off >= -4 && off <= 0 ? KGW_OK : KGW_ERR_DENIED);
	/* An offset beyond the bound (a lowered max_drift) is clamped. */
	r.drift = 50;
	for (off = -SPREAD; off <= SPREAD; off++)
		ck_assert_int_eq(check_at(&t, &r, off, &matched),
		    off >= -1 && off <= 3 ? KGW_OK : KGW_ERR_DENIED);
}
END_TEST

/* After resync: the bound is around base. */
START_TEST(test_check_base)
{
	const struct kgw_totp_range r = { 1, 3, 20, 20, -1 };
	struct kgw_totp t;
	int64_t off, matched;

	drift_setup(&t);
	for (off = -SPREAD; off <= SPREAD; off++)
		ck_assert_int_eq(check_at(&t, &r, off, &matched),
		    off >= 16 && off <= 23 ? KGW_OK : KGW_ERR_DENIED);
}
END_TEST

/* No drift: the window back and nothing ahead, as kgw_totp_verify. */
START_TEST(test_check_no_drift)
{
	const struct kgw_totp_range r = { 2, 0, 0, 0, -1 };
	struct kgw_totp t;
	int64_t off, matched;

	drift_setup(&t);
	for (off = -SPREAD; off <= SPREAD; off++)
		ck_assert_int_eq(check_at(&t, &r, off, &matched),
		    off >= -2 && off <= 0 ? KGW_OK : KGW_ERR_DENIED);
}
END_TEST

/* The watermark holds with the offset: used and older steps are replays. */
START_TEST(test_check_replay)
{
	const int64_t cur = kgw_totp_step(NOW);
	const struct kgw_totp_range r = { 1, 3, 0, 2, cur + 2 };
	struct kgw_totp t;
	int64_t matched = -7;

	drift_setup(&t);
	ck_assert_int_eq(check_at(&t, &r, 2, &matched), KGW_ERR_REPLAY);
	ck_assert_int_eq(check_at(&t, &r, 1, &matched), KGW_ERR_REPLAY);
	ck_assert_int_eq(check_at(&t, &r, -2, &matched), KGW_ERR_REPLAY);
	ck_assert_int_eq(matched, -7);
	ck_assert_int_eq(check_at(&t, &r, 3, &matched), KGW_OK);
	ck_assert_int_eq(matched, cur + 3);
}
END_TEST

START_TEST(test_check_invalid)
{
	struct kgw_totp_range r = { 1, KGW_TOTP_DRIFT_MAX + 1, 0, 0, -1 };
	struct kgw_totp t;
	int64_t matched;

	drift_setup(&t);
	ck_assert_int_eq(check_at(&t, &r, 0, &matched), KGW_ERR_INVALID);
	r.max_drift = KGW_TOTP_DRIFT_MAX;
	ck_assert_int_eq(check_at(&t, &r, 0, &matched), KGW_OK);
	r.base = KGW_TOTP_RESYNC_STEPS + 1;
	ck_assert_int_eq(check_at(&t, &r, 0, &matched), KGW_ERR_INVALID);
	r.base = 0;
	ck_assert_int_eq(kgw_totp_check(&t, "1234", NOW, &r, &matched),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_totp_check(&t, "12345678", NOW, NULL, &matched),
	    KGW_ERR_INVALID);
}
END_TEST

/* The offset remembered: the step's, within base and max_drift. */
START_TEST(test_learn)
{
	const int64_t cur = kgw_totp_step(NOW);
	struct kgw_totp_range r = { 1, 3, 0, 0, -1 };

	ck_assert_int_eq(kgw_totp_learn(&r, cur + 2, NOW), 2);
	ck_assert_int_eq(kgw_totp_learn(&r, cur, NOW), 0);
	ck_assert_int_eq(kgw_totp_learn(&r, cur - 4, NOW), -3);
	r.base = 20;
	ck_assert_int_eq(kgw_totp_learn(&r, cur + 16, NOW), 17);
	ck_assert_int_eq(kgw_totp_learn(&r, cur + 23, NOW), 23);
}
END_TEST

/* Resynchronisation: two consecutive codes, found within span. */
START_TEST(test_find_pair)
{
	char c1[KGW_TOTP_CODE_MAX + 1], c2[KGW_TOTP_CODE_MAX + 1];
	const int64_t cur = kgw_totp_step(NOW);
	struct kgw_totp t;
	int64_t second = -7;

	drift_setup(&t);
	code_at(&t, cur + 20, c1);
	code_at(&t, cur + 21, c2);
	ck_assert_int_eq(kgw_totp_find_pair(&t, c1, c2, NOW, 21, &second),
	    KGW_OK);
	ck_assert_int_eq(second, cur + 21);
	second = -7;
	ck_assert_int_eq(kgw_totp_find_pair(&t, c1, c2, NOW, 20, &second),
	    KGW_ERR_DENIED);
	/* Swapped, or a step apart: not a pair. */
	ck_assert_int_eq(kgw_totp_find_pair(&t, c2, c1, NOW, 24, &second),
	    KGW_ERR_DENIED);
	code_at(&t, cur + 22, c2);
	ck_assert_int_eq(kgw_totp_find_pair(&t, c1, c2, NOW, 24, &second),
	    KGW_ERR_DENIED);
	ck_assert_int_eq(second, -7);
	/* Behind: the second code at the far end of the span. */
	code_at(&t, cur - 21, c1);
	code_at(&t, cur - 20, c2);
	ck_assert_int_eq(kgw_totp_find_pair(&t, c1, c2, NOW, 20, &second),
	    KGW_OK);
	ck_assert_int_eq(second, cur - 20);
	ck_assert_int_eq(kgw_totp_find_pair(&t, c1, c2, NOW,
	    KGW_TOTP_RESYNC_STEPS + 1, &second), KGW_ERR_INVALID);
}
END_TEST

static Suite *
totp_suite(void)
{
	Suite *s = suite_create("totp");
	TCase *tc;

	tc = tcase_create("rfc6238");
	tcase_add_checked_fixture(tc, setup_oath, teardown_oath);
	tcase_add_loop_test(tc, test_rfc6238, 0,
	    (int)(sizeof(rfc_vectors) / sizeof(rfc_vectors[0])));
	tcase_add_loop_test(tc, test_rfc6238_verify, 0,
	    (int)(sizeof(rfc_vectors) / sizeof(rfc_vectors[0])));
	tcase_add_test(tc, test_step);
	tcase_add_test(tc, test_code_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_add_checked_fixture(tc, setup_oath, teardown_oath);
	tcase_add_test(tc, test_verify_current);
	tcase_add_test(tc, test_verify_previous);
	tcase_add_test(tc, test_verify_two_back);
	tcase_add_test(tc, test_verify_window_edges);
	tcase_add_test(tc, test_verify_future);
	tcase_add_test(tc, test_verify_replay);
	tcase_add_test(tc, test_verify_older_after_newer);
	tcase_add_test(tc, test_verify_wrong);
	tcase_add_test(tc, test_verify_other_alg);
	tcase_add_test(tc, test_verify_eight_digits);
	tcase_add_test(tc, test_verify_bad_input);
	tcase_add_test(tc, test_verify_epoch);
	suite_add_tcase(s, tc);

	tc = tcase_create("drift");
	tcase_add_checked_fixture(tc, setup_oath, teardown_oath);
	tcase_add_test(tc, test_check_fresh);
	tcase_add_test(tc, test_check_centred);
	tcase_add_test(tc, test_check_base);
	tcase_add_test(tc, test_check_no_drift);
	tcase_add_test(tc, test_check_replay);
	tcase_add_test(tc, test_check_invalid);
	tcase_add_test(tc, test_learn);
	tcase_add_test(tc, test_find_pair);
	suite_add_tcase(s, tc);

	tc = tcase_create("normalize");
	tcase_add_loop_test(tc, test_normalize, 0,
	    (int)(sizeof(norm_cases) / sizeof(norm_cases[0])));
	tcase_add_test(tc, test_normalize_length);
	tcase_add_test(tc, test_alg_parse);
	tcase_add_test(tc, test_alg_name);
	tcase_add_test(tc, test_purpose);
	suite_add_tcase(s, tc);

	tc = tcase_create("base32");
	tcase_add_checked_fixture(tc, setup_oath, teardown_oath);
	tcase_add_loop_test(tc, test_base32_vectors, 0,
	    (int)(sizeof(b32_vectors) / sizeof(b32_vectors[0])));
	tcase_add_test(tc, test_base32_roundtrip);
	tcase_add_test(tc, test_base32_decode_dashes);
	tcase_add_loop_test(tc, test_base32_decode_invalid, 0,
	    (int)(sizeof(bad_b32) / sizeof(bad_b32[0])));
	tcase_add_test(tc, test_base32_bounds);
	tcase_add_test(tc, test_uri);
	tcase_add_test(tc, test_uri_sha256_8);
	tcase_add_test(tc, test_uri_escaping);
	tcase_add_test(tc, test_uri_bounds);
	tcase_add_test(tc, test_wipe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(totp_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? 1 : 0;
}
