/* Unit tests for user names (kgw_user.h) and bounded integers (kgw_num.h). */
#include <config.h>

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kgw_err.h"
#include "kgw_num.h"
#include "kgw_user.h"

static const char *const good_names[] = {
	"alice",
	"a.b",
	"a_b",
	"a-b",
	"_x",
	"machine$",
	"A",
	"Bob99",
	"a--",
	"x1",
	"1a",
	"abcdefghijklmnopqrstuvwxyz012345",	/* 32 bytes */
};

static const char *const bad_names[] = {
	"",
	"123456789012345678901234567890123",	/* 33 bytes */
	"-x",
	"a b",
	" alice",
	"alice ",
	"a/b",
	"a:b",
	"\xc3\xa9",	/* "é" in UTF-8 */
	"caf\xc3\xa9",
	".",
	"..",
	"123",
	"0",
	"123$",
	"a$b",
	"$",
	"a$$",
	"$a",
	"a\tb",
	"a\nb",
	"alice\n",
	"a\x01",
	"\x7f",
	"a\x7f",
	"a,b",
	"a@b",
	"a*",
	"a\\b",
};

START_TEST(test_username_good)
{
	const char *name = good_names[_i];

	ck_assert_msg(kgw_username_valid(name), "refused \"%s\"", name);
}
END_TEST

START_TEST(test_username_bad)
{
	const char *name = bad_names[_i];

	ck_assert_msg(!kgw_username_valid(name), "accepted bad name #%d", _i);
}
END_TEST

START_TEST(test_username_null)
{
	ck_assert(!kgw_username_valid(NULL));
}
END_TEST

/* Exactly KGW_USERNAME_MAX bytes is fine, one more is not, '$' counted. */
START_TEST(test_username_length_bound)
{
	char name[KGW_USERNAME_MAX + 2];

	memset(name, 'a', sizeof(name));
	name[KGW_USERNAME_MAX] = '\0';
	ck_assert_uint_eq(strlen(name), 32);
	ck_assert(kgw_username_valid(name));
	name[KGW_USERNAME_MAX - 1] = '$';
	ck_assert(kgw_username_valid(name));
	name[KGW_USERNAME_MAX - 1] = 'a';
	name[KGW_USERNAME_MAX] = 'a';
	name[KGW_USERNAME_MAX + 1] = '\0';
	ck_assert(!kgw_username_valid(name));
	name[KGW_USERNAME_MAX] = '$';
	ck_assert(!kgw_username_valid(name));
}
END_TEST

/* Every control character is refused, in first, middle and last place. */
START_TEST(test_username_control_chars)
{
	char name[4];
	int c;

	for (c = 1; c < 0x20; c++) {
		name[0] = (char)c;
		name[1] = 'a';
		name[2] = 'b';
		name[3] = '\0';
		ck_assert_msg(!kgw_username_valid(name), "accepted 0x%02x first", c);
		name[0] = 'a';
		name[1] = (char)c;
		ck_assert_msg(!kgw_username_valid(name), "accepted 0x%02x inside", c);
		name[1] = 'b';
		name[2] = (char)c;
		ck_assert_msg(!kgw_username_valid(name), "accepted 0x%02x last", c);
	}
}
END_TEST

/* Only the portable set: every byte outside it is refused. */
START_TEST(test_username_every_byte)
{
	char name[3] = { 'a', 0, 0 };
	int c;

	for (c = 1; c < 256; c++) {
		bool portable = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
		    c == '$';

		name[1] = (char)c;
		ck_assert_msg(kgw_username_valid(name) == portable,
		    "byte 0x%02x as second character", c);
	}
}
END_TEST

struct ulong_case {
	const char *s;
	unsigned long min, max;
	int rc;
	unsigned long want;
};

static const struct ulong_case ulong_cases[] = {
	{ "0", 0, 10, KGW_OK, 0 },
	{ "7", 0, 10, KGW_OK, 7 },
	{ "10", 0, 10, KGW_OK, 10 },	/* max included */
	{ "1", 1, 10, KGW_OK, 1 },	/* min included */
	{ "11", 0, 10, KGW_ERR_INVALID, 0 },
	{ "0", 1, 10, KGW_ERR_INVALID, 0 },
	{ "5", 6, 10, KGW_ERR_INVALID, 0 },
	{ "00", 0, 10, KGW_ERR_INVALID, 0 },
	{ "01", 0, 10, KGW_ERR_INVALID, 0 },
	{ "007", 0, 10, KGW_ERR_INVALID, 0 },
	{ "+1", 0, 10, KGW_ERR_INVALID, 0 },
	{ "-1", 0, ULONG_MAX, KGW_ERR_INVALID, 0 },
	{ "-0", 0, 10, KGW_ERR_INVALID, 0 },
	{ " 1", 0, 10, KGW_ERR_INVALID, 0 },
	{ "1 ", 0, 10, KGW_ERR_INVALID, 0 },
	{ "1\n", 0, 10, KGW_ERR_INVALID, 0 },
	{ "1 0", 0, 100, KGW_ERR_INVALID, 0 },
	{ "", 0, 10, KGW_ERR_INVALID, 0 },
	{ " ", 0, 10, KGW_ERR_INVALID, 0 },
	{ "1a", 0, 100, KGW_ERR_INVALID, 0 },
	{ "0x10", 0, 100, KGW_ERR_INVALID, 0 },
	{ "1e3", 0, 10000, KGW_ERR_INVALID, 0 },
	{ "1.5", 0, 10, KGW_ERR_INVALID, 0 },
	{ "1,000", 0, 10000, KGW_ERR_INVALID, 0 },
	{ "\xef\xbc\x91", 0, 10, KGW_ERR_INVALID, 0 },	/* full-width 1 */
	{ "18446744073709551615", 0, ULONG_MAX, KGW_OK, ULONG_MAX },
	{ "18446744073709551616", 0, ULONG_MAX, KGW_ERR_INVALID, 0 },
	{ "18446744073709551620", 0, ULONG_MAX, KGW_ERR_INVALID, 0 },
	{ "99999999999999999999", 0, ULONG_MAX, KGW_ERR_INVALID, 0 },
	{ "36893488147419103232", 0, ULONG_MAX, KGW_ERR_INVALID, 0 }, /* 2^65 */
	{ "184467440737095516150", 0, ULONG_MAX, KGW_ERR_INVALID, 0 },
	{ "4294967296", 0, 4294967295UL, KGW_ERR_INVALID, 0 },
	{ "4294967295", 0, 4294967295UL, KGW_OK, 4294967295UL },
};

START_TEST(test_parse_ulong)
{
	const struct ulong_case *c = &ulong_cases[_i];
	unsigned long v = 12345;
	int r;

	r = kgw_parse_ulong(c->s, c->min, c->max, &v);
	ck_assert_msg(r == c->rc, "case %d \"%s\" [%lu, %lu]: rc %d, want %d",
	    _i, c->s, c->min, c->max, r, c->rc);
	if (c->rc == KGW_OK)
		ck_assert_msg(v == c->want, "case %d: got %lu want %lu", _i, v,
		    c->want);
	else
		ck_assert_msg(v == 12345, "case %d: output written on error", _i);
}
END_TEST

START_TEST(test_parse_ulong_null)
{
	unsigned long v = 3;

	ck_assert_int_eq(kgw_parse_ulong(NULL, 0, 10, &v), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_parse_ulong("1", 0, 10, NULL), KGW_ERR_INVALID);
	ck_assert_uint_eq(v, 3);
}
END_TEST

/* Every value around a power of ten parses back to itself. */
START_TEST(test_parse_ulong_roundtrip)
{
	char buf[32];
	unsigned long p, v;
	int k;

	for (p = 1, k = 0; k < 19; k++, p *= 10) {
		unsigned long vals[3] = { p - 1, p, p + 1 };
		int j;

		for (j = 0; j < 3; j++) {
			(void)snprintf(buf, sizeof(buf), "%lu", vals[j]);
			ck_assert_int_eq(kgw_parse_ulong(buf, 0, ULONG_MAX, &v),
			    KGW_OK);
			ck_assert_uint_eq(v, vals[j]);
		}
	}
}
END_TEST

static Suite *
user_suite(void)
{
	Suite *s = suite_create("user");
	TCase *tc;

	tc = tcase_create("username");
	tcase_add_loop_test(tc, test_username_good, 0,
	    (int)(sizeof(good_names) / sizeof(good_names[0])));
	tcase_add_loop_test(tc, test_username_bad, 0,
	    (int)(sizeof(bad_names) / sizeof(bad_names[0])));
	tcase_add_test(tc, test_username_null);
	tcase_add_test(tc, test_username_length_bound);
	tcase_add_test(tc, test_username_control_chars);
	tcase_add_test(tc, test_username_every_byte);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse_ulong");
	tcase_add_loop_test(tc, test_parse_ulong, 0,
	    (int)(sizeof(ulong_cases) / sizeof(ulong_cases[0])));
	tcase_add_test(tc, test_parse_ulong_null);
	tcase_add_test(tc, test_parse_ulong_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(user_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? 1 : 0;
}
