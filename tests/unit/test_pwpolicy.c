/*
 * Unit tests for the password rules (kgw_pwpolicy.h) and the [role]
 * sections that tighten them (kgw_role.h, through kgw_conf_parse).
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "kgw_conf.h"
#include "kgw_err.h"
#include "kgw_pwpolicy.h"
#include "kgw_role.h"

static const struct kgw_log quiet = { NULL, NULL, false, false };

static const char *
judge(const char *pw, unsigned min, const char *old)
{
	struct kgw_pw_rules r = { min, "", "tanaka", "Kakogawa City", old,
		KGW_LANG_EN };
	char why[KGW_PW_WHY_MAX];
	const char *token = NULL;
	int rc;

	rc = kgw_pw_check(&quiet, &r, pw, why, sizeof(why), &token);
	ck_assert_int_eq(rc == KGW_OK, token == NULL);
	ck_assert(rc == KGW_OK || why[0] != '\0');
	return token != NULL ? token : "ok";
}

static const struct {
	const char *pw;
	const char *want;
} cases[] = {
	{ "short", "too_short" },
	{ "violet tractor sings", "ok" },
	{ "あいうえおかきくけこさし", "ok" },	/* 12 characters, 36 bytes */
	{ "あいうえおかきくけこさ", "too_short" },
	{ "tanaka-2027!", "user_name" },
	{ "TANAKA tanaka 12", "user_name" },
	{ "tanaka walks the river at dawn", "ok" },
	{ "Kakogawa2027!", "city_name" },
	{ "加古川市役所の2027年度", "city_name" },
	{ "my city is green and wide", "ok" },
	{ "password12345", "dictionary" },
	{ "123456789012", "dictionary" },
	{ "aaaaaaaaaaaaaaaa", "dictionary" },
	{ "pyXaXnqpoPkiYMRqRE", "ok" },	/* cracklib's heuristic: not ours */
	{ "tab\there is bad", "control" },
	{ "\xc3\x28 not utf-8 at all", "not_utf8" },
	{ "\xc0\xaf overlong slash!!", "not_utf8" },
};

START_TEST(test_rules)
{
	ck_assert_str_eq(judge(cases[_i].pw, 12, NULL), cases[_i].want);
}
END_TEST

START_TEST(test_lengths)
{
	char pw[600];

	memset(pw, 'z', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';
	ck_assert_str_eq(judge(pw, 12, NULL), "too_long");
	ck_assert_int_eq(kgw_utf8_length("加古川"), 3);
	ck_assert_int_eq(kgw_utf8_length("\xed\xa0\x80"), -1);	/* surrogate */
	ck_assert_str_eq(judge("violet tractor", 16, NULL), "too_short");
	ck_assert_str_eq(judge("violet tractor sings", 20, NULL), "ok");
}
END_TEST

START_TEST(test_same_as_old)
{
	ck_assert_str_eq(judge("violet tractor sings", 12,
	    "violet tractor sings"), "same");
	ck_assert_str_eq(judge("copper kettle on the stove", 12,
	    "violet tractor sings"), "ok");
}
END_TEST

static int
parse(const char *text, struct kgw_conf *c)
{
	return kgw_conf_parse(&quiet, "test", text, strlen(text), c);
}

START_TEST(test_roles)
{
	struct kgw_conf c;
	struct kgw_policy p;

	ck_assert_int_eq(parse("lockout_attempts = 5\n[role admin]\n"
	    "lockout_attempts = 3\nlockout_time = 0\nfactors = fido2\n"
	    "max_session = 28800\npassword_min_length = 16\n", &c), KGW_OK);
	ck_assert_int_eq(kgw_role_policy(&c, "admin", &p), KGW_OK);
	ck_assert_uint_eq(p.lockout_attempts, 3);
	ck_assert_uint_eq(p.lockout_time, 0);
	ck_assert_uint_eq(p.factors, KGW_NEED_FIDO2);
	ck_assert_uint_eq(p.remote_factors, 0);	/* a key stays at consoles */
	ck_assert_uint_eq(p.max_session, 28800);
	ck_assert_uint_eq(p.password_min_length, 16);
	ck_assert_int_eq(kgw_role_policy(&c, "", &p), KGW_OK);
	ck_assert_uint_eq(p.lockout_attempts, 5);
	ck_assert_str_eq(p.role, "staff");
	ck_assert_int_eq(kgw_role_policy(&c, "boss", &p), KGW_ERR_CONFIG);
}
END_TEST

/* A role may only be stricter; staff is nobody's section. */
static const char *const bad_roles[] = {
	"[role admin]\nlockout_attempts = 6\n",
	"lockout_time = 600\n[role admin]\nlockout_time = 60\n",
	"lockout_time = 0\n[role admin]\nlockout_time = 600\n",
	"[role admin]\npassword_min_length = 10\n",
	"[role admin]\nremote_factors = fido2\n",
	"[role admin]\nfactors = sms\n",
	"[role admin]\nmax_session = 5\n",
	"[role admin]\nnetworks = 10.0.0.0/8\n",
	"[role staff]\n",
	"[role Admin]\n",
	"[role admin]\n[role admin]\n",
	"password_min_length = 7\n",
	"password_min_length = 65\n",
	"password_blocklist = relative/path\n",
	"[team admin]\n",
};

START_TEST(test_bad_roles)
{
	struct kgw_conf c;

	ck_assert_msg(parse(bad_roles[_i], &c) == KGW_ERR_CONFIG,
	    "accepted: %s", bad_roles[_i]);
}
END_TEST

START_TEST(test_format_roundtrip)
{
	struct kgw_conf a, b;
	char t1[8192], t2[8192];

	ck_assert_int_eq(parse("password_min_length = 14\n"
	    "password_blocklist = /etc/security/blocklist\n"
	    "[zone lgwan]\nnetworks = 10.0.0.0/8\n[role admin]\n"
	    "lockout_attempts = 2\nfactors = totp fido2\n"
	    "remote_factors = totp\n", &a), KGW_OK);
	ck_assert_int_eq(kgw_conf_format(&a, t1, sizeof(t1)), KGW_OK);
	ck_assert_int_eq(parse(t1, &b), KGW_OK);
	ck_assert_int_eq(kgw_conf_format(&b, t2, sizeof(t2)), KGW_OK);
	ck_assert_str_eq(t1, t2);
	ck_assert_uint_eq(b.password_min_length, 14);
	ck_assert_str_eq(b.password_blocklist, "/etc/security/blocklist");
	ck_assert_uint_eq(b.roles.n, 1);
	ck_assert_uint_eq(b.roles.role[0].remote_factors, KGW_NEED_TOTP);
}
END_TEST

static Suite *
pwpolicy_suite(void)
{
	Suite *s = suite_create("pwpolicy");
	TCase *tc = tcase_create("rules");

	tcase_add_loop_test(tc, test_rules, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_same_as_old);
	suite_add_tcase(s, tc);
	tc = tcase_create("roles");
	tcase_add_test(tc, test_roles);
	tcase_add_loop_test(tc, test_bad_roles, 0,
	    (int)(sizeof(bad_roles) / sizeof(bad_roles[0])));
	tcase_add_test(tc, test_format_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pwpolicy_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
