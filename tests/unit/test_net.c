/*
 * Unit tests for numeric addresses and CIDR ranges (kgw_net.h): what the
 * zone policy trusts to say where a login comes from, so every text that
 * is not exactly a numeric address or range must be refused.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kgw_err.h"
#include "kgw_net.h"

static struct kgw_addr
addr_of(const char *text)
{
	struct kgw_addr a;

	ck_assert_msg(kgw_addr_parse(text, &a) == KGW_OK, "addr \"%s\"", text);
	return a;
}

static struct kgw_cidr
cidr_of(const char *text)
{
	struct kgw_cidr c;

	ck_assert_msg(kgw_cidr_parse(text, &c) == KGW_OK, "range \"%s\"", text);
	return c;
}

static bool
addr_same(const struct kgw_addr *a, const struct kgw_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

START_TEST(test_addr_v4_is_mapped)
{
	static const unsigned char want[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3
	};
	struct kgw_addr a = addr_of("10.1.2.3");

	ck_assert_mem_eq(a.b, want, sizeof(want));
	a = addr_of("0.0.0.0");
	ck_assert_int_eq(a.b[10], 0xff);
	ck_assert_int_eq(a.b[15], 0);
	a = addr_of("255.255.255.255");
	ck_assert_int_eq(a.b[12] & a.b[13] & a.b[14] & a.b[15], 0xff);
}
END_TEST

START_TEST(test_addr_v6)
{
	static const unsigned char want[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};
	struct kgw_addr a = addr_of("2001:db8::1");
	struct kgw_addr b = addr_of("2001:0DB8:0000:0000:0000:0000:0000:0001");

	ck_assert_mem_eq(a.b, want, sizeof(want));
	ck_assert(addr_same(&a, &b));
}
END_TEST

/* One address however it is written: one rule must match both forms. */
START_TEST(test_addr_mapped_equal)
{
	struct kgw_addr v4 = addr_of("10.1.2.3");
	struct kgw_addr m1 = addr_of("::ffff:10.1.2.3");
	struct kgw_addr m2 = addr_of("::FFFF:a01:203");
	struct kgw_addr compat = addr_of("::10.1.2.3");

	ck_assert(addr_same(&v4, &m1));
	ck_assert(addr_same(&v4, &m2));
	/* The deprecated IPv4-compatible form is another address. */
	ck_assert(!addr_same(&v4, &compat));
}
END_TEST

static const char *const bad_addrs[] = {
	"",
	"10.1",
	"10.1.2",
	"10.0.0.256",
	"10.0.0.1.",
	".10.0.0.1",
	"010.0.0.1",		/* octal to some parsers, decimal to others */
	"0x0a.0.0.1",
	"10.0.0.-1",
	" 10.0.0.1",
	"10.0.0.1 ",
	"10.0.0.1\n",
	"\t10.0.0.1",
	"10.0.0.0/8",		/* a range is not an address */
	"fe80::1%eth0",
	"fe80::1%1",
	"[::1]",
	"1::2::3",
	":::",
	"12345::",
	"2001:db8::g",
	"1:2:3:4:5:6:7:8:9",
	"localhost",
	"host.example",
	"example.jp",
	"ip6-localhost",
};

START_TEST(test_addr_bad)
{
	struct kgw_addr a;

	ck_assert_msg(kgw_addr_parse(bad_addrs[_i], &a) == KGW_ERR_INVALID,
	    "accepted \"%s\"", bad_addrs[_i]);
}
END_TEST

/* Long text is refused without reading past what the caller gave. */
START_TEST(test_addr_overlong)
{
	char text[4096];
	struct kgw_addr a;
	struct kgw_cidr c;

	memset(text, '1', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	ck_assert_int_eq(kgw_addr_parse(text, &a), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_cidr_parse(text, &c), KGW_ERR_INVALID);
	/* A good range followed by a long tail. */
	(void)memcpy(text, "10.0.0.0/8", strlen("10.0.0.0/8"));
	ck_assert_int_eq(kgw_cidr_parse(text, &c), KGW_ERR_INVALID);
}
END_TEST

START_TEST(test_null)
{
	struct kgw_addr a;
	struct kgw_cidr c;

	ck_assert_int_eq(kgw_addr_parse(NULL, &a), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_cidr_parse(NULL, &c), KGW_ERR_INVALID);
}
END_TEST

struct good_range {
	const char *text;
	const char *canon;	/* what kgw_cidr_format writes */
	unsigned prefix;	/* in the mapped form */
	bool v4;
};

static const struct good_range good_ranges[] = {
	{ "10.0.0.0/8", "10.0.0.0/8", 104, true },
	{ "10.1.0.0/16", "10.1.0.0/16", 112, true },
	{ "192.168.1.128/25", "192.168.1.128/25", 121, true },
	{ "10.0.0.2/31", "10.0.0.2/31", 127, true },
	{ "0.0.0.0/0", "0.0.0.0/0", 96, true },
	{ "10.1.2.3/32", "10.1.2.3/32", 128, true },
	{ "10.1.2.3", "10.1.2.3/32", 128, true },	/* bare: one host */
	{ "::/0", "::/0", 0, false },
	{ "8000::/1", "8000::/1", 1, false },
	{ "2001:db8::/32", "2001:db8::/32", 32, false },
	{ "2001:DB8:0000::/48", "2001:db8::/48", 48, false },
	{ "2001:db8:8000::/33", "2001:db8:8000::/33", 33, false },
	{ "2001:db8::1/128", "2001:db8::1/128", 128, false },
	{ "2001:db8::1", "2001:db8::1/128", 128, false },
	{ "::1", "::1/128", 128, false },
	{ "::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104", 104, false },
	{ "::ffff:10.1.2.3", "::ffff:10.1.2.3/128", 128, false },
};

START_TEST(test_cidr_good)
{
	const struct good_range *g = &good_ranges[_i];
	struct kgw_cidr c = cidr_of(g->text);
	char out[KGW_ADDR_TEXT_MAX];

	ck_assert_uint_eq(c.prefix, g->prefix);
	ck_assert_int_eq(c.v4, g->v4);
	ck_assert_int_eq(kgw_cidr_format(&c, out, sizeof(out)), KGW_OK);
	ck_assert_str_eq(out, g->canon);
}
END_TEST

/* Written as IPv4 or as mapped IPv6, the same range is the same range. */
START_TEST(test_cidr_mapped_same_range)
{
	struct kgw_cidr a = cidr_of("10.0.0.0/8");
	struct kgw_cidr b = cidr_of("::ffff:10.0.0.0/104");

	ck_assert(addr_same(&a.addr, &b.addr));
	ck_assert_uint_eq(a.prefix, b.prefix);
}
END_TEST

static const char *const bad_ranges[] = {
	"",
	"/8",
	"10.0.0.0/",
	"10.1",
	"10.1/16",
	"10.0.0.0/33",
	"10.0.0.0/128",		/* IPv4 lengths stop at 32 */
	"::/129",
	"::/1000",
	"10.0.0.0/08",		/* leading zero: a typo, not 8 */
	"::/00",
	"10.0.0.0/-8",
	"10.0.0.0/+8",
	"10.0.0.0/0x8",
	"10.0.0.0/8.0",
	"10.0.0.0/4294967304",	/* 2^32 + 8 */
	"10.0.0.0/18446744073709551624",	/* 2^64 + 8 */
	"10.0.0.0/8/8",
	"10.0.0.0//8",
	"10.0.0.0/ 8",
	"10.0.0.0 /8",
	" 10.0.0.0/8",
	"10.0.0.0/8 ",
	"10.0.0.0/8\n",
	"10.0.0.1/8",		/* host bits set */
	"10.1.0.0/8",
	"10.0.0.1/31",
	"192.168.1.129/25",
	"0.0.0.1/0",
	"2001:db8::1/64",
	"2001:db9::/31",
	"::1/0",
	"::ffff:10.0.0.1/104",
	"fe80::1%eth0",
	"fe80::%eth0/64",
	"localhost",
	"localhost/32",
	"host.example",
	"host.example/24",
	"10.0.0.*",
	"10.0.0.0-10.0.0.255",
};

START_TEST(test_cidr_bad)
{
	struct kgw_cidr c;

	ck_assert_msg(kgw_cidr_parse(bad_ranges[_i], &c) == KGW_ERR_INVALID,
	    "accepted \"%s\"", bad_ranges[_i]);
}
END_TEST

struct contains_case {
	const char *range;
	const char *addr;
	bool want;
};

static const struct contains_case contains_cases[] = {
	/* First and last address, and one step outside on either side. */
	{ "10.1.0.0/16", "10.1.0.0", true },
	{ "10.1.0.0/16", "10.1.255.255", true },
	{ "10.1.0.0/16", "10.1.128.7", true },
	{ "10.1.0.0/16", "10.0.255.255", false },
	{ "10.1.0.0/16", "10.2.0.0", false },
	{ "10.1.0.0/16", "::ffff:10.1.2.3", true },
	{ "10.1.0.0/16", "::10.1.2.3", false },
	{ "10.1.0.0/16", "2001:db8::1", false },
	/* A prefix that ends inside a byte. */
	{ "192.168.1.128/25", "192.168.1.128", true },
	{ "192.168.1.128/25", "192.168.1.255", true },
	{ "192.168.1.128/25", "192.168.1.127", false },
	{ "192.168.1.128/25", "192.168.2.0", false },
	{ "10.0.0.2/31", "10.0.0.3", true },
	{ "10.0.0.2/31", "10.0.0.4", false },
	/* Single hosts. */
	{ "10.1.2.3", "10.1.2.3", true },
	{ "10.1.2.3", "10.1.2.4", false },
	{ "10.1.2.3", "10.1.2.2", false },
	{ "2001:db8::1", "2001:db8::1", true },
	{ "2001:db8::1", "2001:db8::2", false },
	{ "2001:db8::1", "2001:db8::", false },
	/* Everything, in each family. */
	{ "0.0.0.0/0", "0.0.0.0", true },
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "::1", false },
	{ "0.0.0.0/0", "2001:db8::1", false },
	{ "::/0", "10.0.0.1", true },
	{ "::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true },
	{ "::/0", "::", true },
	/* IPv6 boundaries. */
	{ "2001:db8:8000::/33", "2001:db8:8000::", true },
	{ "2001:db8:8000::/33", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true },
	{ "2001:db8:8000::/33", "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff", false },
	{ "2001:db8:8000::/33", "2001:db9::", false },
	{ "8000::/1", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false },
	{ "8000::/1", "8000::", true },
	{ "::ffff:10.0.0.0/104", "10.255.255.255", true },
	{ "::ffff:10.0.0.0/104", "11.0.0.0", false },
};

START_TEST(test_contains)
{
	const struct contains_case *t = &contains_cases[_i];
	struct kgw_cidr c = cidr_of(t->range);
	struct kgw_addr a = addr_of(t->addr);

	ck_assert_msg(kgw_cidr_contains(&c, &a) == t->want, "%s in %s: %d",
	    t->addr, t->range, !t->want);
}
END_TEST

struct overlap_case {
	const char *a;
	const char *b;
	bool want;
};

static const struct overlap_case overlap_cases[] = {
	{ "10.0.0.0/8", "10.1.0.0/16", true },		/* nested */
	{ "10.1.0.0/16", "10.1.0.0/16", true },		/* identical */
	{ "10.1.2.3", "10.1.0.0/16", true },
	{ "10.1.0.0/16", "10.2.0.0/16", false },	/* disjoint */
	{ "10.1.2.3", "10.1.2.4", false },
	{ "192.168.1.0/25", "192.168.1.128/25", false },	/* adjacent */
	{ "192.168.1.0/24", "192.168.1.128/25", true },
	{ "0.0.0.0/0", "10.1.2.3", true },
	{ "::/0", "10.0.0.0/8", true },		/* ::/0 holds every IPv4 */
	{ "::/0", "2001:db8::/32", true },
	{ "0.0.0.0/0", "2001:db8::/32", false },
	{ "0.0.0.0/0", "::ffff:0:0/96", true },
	{ "::ffff:10.0.0.0/104", "10.0.0.0/8", true },
	{ "::ffff:10.9.0.0/112", "10.0.0.0/8", true },
	{ "2001:db8::/32", "2001:db8:1::/48", true },
	{ "2001:db8::/32", "2001:db9::/32", false },
	{ "::/1", "8000::/1", false },
	{ "::/0", "8000::/1", true },
};

/* Overlap is symmetric: each case is checked both ways round. */
START_TEST(test_overlap)
{
	const struct overlap_case *t = &overlap_cases[_i];
	struct kgw_cidr a = cidr_of(t->a);
	struct kgw_cidr b = cidr_of(t->b);

	ck_assert_msg(kgw_cidr_overlap(&a, &b) == t->want, "%s ~ %s", t->a,
	    t->b);
	ck_assert_msg(kgw_cidr_overlap(&b, &a) == t->want, "%s ~ %s", t->b,
	    t->a);
}
END_TEST

/* What format writes parses back to the same range. */
START_TEST(test_format_round_trip)
{
	struct kgw_cidr a = cidr_of(good_ranges[_i].text), b;
	char out[KGW_ADDR_TEXT_MAX], again[KGW_ADDR_TEXT_MAX];

	ck_assert_int_eq(kgw_cidr_format(&a, out, sizeof(out)), KGW_OK);
	b = cidr_of(out);
	ck_assert(addr_same(&a.addr, &b.addr));
	ck_assert_uint_eq(a.prefix, b.prefix);
	ck_assert_int_eq(a.v4, b.v4);
	ck_assert_int_eq(kgw_cidr_format(&b, again, sizeof(again)), KGW_OK);
	ck_assert_str_eq(again, out);
}
END_TEST

START_TEST(test_format_too_small)
{
	struct kgw_cidr c = cidr_of("10.0.0.0/8");
	struct kgw_addr a = addr_of("2001:db8::1");
	char out[32];

	ck_assert_int_eq(kgw_cidr_format(&c, out, sizeof("10.0.0.0/8")),
	    KGW_OK);
	ck_assert_str_eq(out, "10.0.0.0/8");
	ck_assert_int_ne(kgw_cidr_format(&c, out, sizeof("10.0.0.0/8") - 1),
	    KGW_OK);
	ck_assert_int_ne(kgw_cidr_format(&c, out, 0), KGW_OK);
	ck_assert_int_eq(kgw_addr_format(&a, out, sizeof("2001:db8::1")),
	    KGW_OK);
	ck_assert_str_eq(out, "2001:db8::1");
	ck_assert_int_ne(kgw_addr_format(&a, out, sizeof("2001:db8::1") - 1),
	    KGW_OK);
}
END_TEST

struct addr_text {
	const char *in;
	const char *out;
};

/* Mapped addresses print as IPv4, however they were written. */
static const struct addr_text addr_texts[] = {
	{ "10.1.2.3", "10.1.2.3" },
	{ "::ffff:10.1.2.3", "10.1.2.3" },
	{ "::ffff:a01:203", "10.1.2.3" },
	{ "0.0.0.0", "0.0.0.0" },
	{ "2001:DB8:0:0::1", "2001:db8::1" },
	{ "::", "::" },
	{ "::1", "::1" },
	{ "fe80::1", "fe80::1" },
};

START_TEST(test_addr_format)
{
	struct kgw_addr a = addr_of(addr_texts[_i].in), b;
	char out[KGW_ADDR_TEXT_MAX];

	ck_assert_int_eq(kgw_addr_format(&a, out, sizeof(out)), KGW_OK);
	ck_assert_str_eq(out, addr_texts[_i].out);
	b = addr_of(out);
	ck_assert(addr_same(&a, &b));
}
END_TEST

/* Addresses that place a host nowhere, and their neighbours. */
static const struct {
	const char *addr;
	bool local;
} local_addrs[] = {
	{ "127.0.0.1", true }, { "127.255.255.255", true },
	{ "126.255.255.255", false }, { "128.0.0.0", false },
	{ "::ffff:127.0.0.1", true }, { "::1", true }, { "::2", false },
	{ "::", true }, { "0.0.0.0", true }, { "0.0.0.1", false },
	{ "169.254.0.1", true }, { "169.254.255.255", true },
	{ "169.253.255.255", false }, { "169.255.0.0", false },
	{ "fe80::1", true }, { "febf:ffff::1", true }, { "fec0::1", false },
	{ "fe7f::1", false }, { "10.0.0.1", false }, { "2001:db8::1", false },
	{ "::127.0.0.1", false },
};

START_TEST(test_addr_local)
{
	struct kgw_addr a = addr_of(local_addrs[_i].addr);

	ck_assert_msg(kgw_addr_is_local(&a) == local_addrs[_i].local, "%s",
	    local_addrs[_i].addr);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_addr_v4_is_mapped);
	tcase_add_test(tc, test_addr_v6);
	tcase_add_test(tc, test_addr_mapped_equal);
	tcase_add_loop_test(tc, test_addr_bad, 0, N(bad_addrs));
	tcase_add_test(tc, test_addr_overlong);
	tcase_add_loop_test(tc, test_addr_local, 0, N(local_addrs));
	tcase_add_test(tc, test_null);
	tcase_add_loop_test(tc, test_cidr_good, 0, N(good_ranges));
	tcase_add_test(tc, test_cidr_mapped_same_range);
	tcase_add_loop_test(tc, test_cidr_bad, 0, N(bad_ranges));
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_loop_test(tc, test_contains, 0, N(contains_cases));
	tcase_add_loop_test(tc, test_overlap, 0, N(overlap_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_format_round_trip, 0, N(good_ranges));
	tcase_add_test(tc, test_format_too_small);
	tcase_add_loop_test(tc, test_addr_format, 0, N(addr_texts));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(net_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
