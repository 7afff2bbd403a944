/*
 * The zone check through the real libpam: where a login comes from
 * (PAM_RHOST, PAM_TTY), which zone the host is in, and whether the
 * person may enter it. Refusals that do not depend on the person come
 * before any prompt; those that do come at the end, after the same
 * prompts as any other login. The account phase judges again, for SSH
 * public-key logins that never reach auth.
 */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "harness.h"
#include "kgw_err.h"
#include "kgw_net.h"

#define ANY (-100)
#define LGWAN_HOST "192.0.2.20"		/* TEST-NET-1: zone lgwan */
#define INTERNET_HOST "198.51.100.7"	/* TEST-NET-2: zone internet */
#define GATEWAY "198.51.100.9"		/* internet, a gateway into lgwan */
#define NOWHERE "203.0.113.5"		/* TEST-NET-3: in no zone */

/* Two zones; the host is in lgwan. Tests append rules to the sections. */
#define TWO_ZONES(lgwan_rules, internet_rules)				\
	"host_zone = lgwan\n"						\
	"[zone lgwan]\nnetworks = 192.0.2.0/24 2001:db8:2::/48\n"	\
	lgwan_rules							\
	"[zone internet]\nnetworks = 198.51.100.0/24\n" internet_rules

static struct h_deploy D;
static struct h_user alice;
static struct h_login L;
static int64_t next_step;	/* the next unused step a login may take */

static void
setup(void)
{
	h_deploy_new(&D);
	/*
	 * Several allowed logins per test, each with a fresh code: a wide
	 * window lets each take the next older step still accepted.
	 */
	D.totp_window = 10;
	next_step = 0;
	D.zones = TWO_ZONES("", "");
	h_write_config(&D, NULL);
	h_user_make(&alice, "alice");
	h_enrol(&D, &alice);
}

static void
teardown(void)
{
	const char *leak = h_leak_find();

	h_deploy_free(&D);
	ck_assert_msg(leak == NULL, "a secret appears in the captured output:"
	    "\n%s", h_transcript());
}

static void
zones(const char *text)
{
	D.zones = text;
	h_write_config(&D, NULL);
}

static void
cli_ok(const char *a1, const char *a2, const char *a3, const char *a4)
{
	char out[4096];
	int rc;

	rc = h_cli(&D, NULL, out, sizeof(out), a1, a2, a3, a4, (char *)NULL);
	ck_assert_msg(rc == 0, "kakogawa-enroll %s %s %s: exit %d: %s", a1, a2,
	    a3 != NULL ? a3 : "", rc, out);
}

/* A code no earlier login of this test used, still inside the window. */
static void
fresh_code(const struct h_user *u, char code[16])
{
	int64_t oldest = h_step_with_margin(3) - 8;

	if (next_step < oldest)
		next_step = oldest;
	h_code(u->secret, next_step++, code);
}

/* alice, password and a fresh code, from rhost (NULL: none) on tty. */
static void
login_from(const char *rhost, const char *tty)
{
	static char code[16];

	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	fresh_code(&alice, code);
	L.answers[1] = code;
	L.rhost = rhost;
	L.no_rhost = rhost == NULL;
	L.tty = tty;
	L.no_tty = tty == NULL;
	h_login(&D, &L);
}

/* An SSH public-key login: the account phase only. */
static void
key_login_from(const char *rhost)
{
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.rhost = rhost;
	L.skip_auth = true;
	h_login(&D, &L);
}

static bool
told(const struct h_login *l, const char *needle)
{
	return h_told(l, PAM_ERROR_MSG, needle);
}

/* Refused before any secret was asked, with the short message. */
static void
expect_site_denial(const char *rule, const char *src)
{
	char want[256];

	ck_assert_msg(L.auth_rc == PAM_AUTH_ERR, "auth gave %d; log:\n%s",
	    L.auth_rc, L.log);
	ck_assert_msg(h_questions(&L) == 0, "asked %zu questions before a "
	    "site denial", h_questions(&L));
	ck_assert(told(&L, "Login from this location is not permitted"));
	(void)snprintf(want, sizeof(want), "result=deny reason=zone rule=%s "
	    "src_zone=%s factors=-", rule, src);
	h_expect_line(&L, "auth", want);
	ck_assert_int_eq(L.acct_rc, PAM_PERM_DENIED);
}

START_TEST(test_same_zone)
{
	login_from(LGWAN_HOST, "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	ck_assert_int_eq(L.acct_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth",
	    "src_zone=lgwan host_zone=lgwan rule=same_zone "
	    "factors=password,totp result=allow reason=ok");
	h_expect_line(&L, "account", "rule=same_zone result=allow");
}
END_TEST

START_TEST(test_address_forms)
{
	/* IPv6, and IPv4 written as IPv4-mapped IPv6, are the same zone. */
	login_from("2001:db8:2::17", "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	login_from("::ffff:192.0.2.20", "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth", "src_zone=lgwan rule=same_zone");
	login_from("2001:db8:3::1", "ssh");
	expect_site_denial("source_unknown", "unknown");
}
END_TEST

START_TEST(test_unknown_source)
{
	login_from(NOWHERE, "ssh");
	expect_site_denial("source_unknown", "unknown");
	h_expect_line(&L, "account",
	    "rule=source_unknown result=deny reason=zone");
}
END_TEST

/* language=ja: the refusals in Japanese, whatever the process's locale. */
START_TEST(test_refusals_in_japanese)
{
	h_service(&D, NULL, NULL, "language=ja", "language=ja");
	login_from(NOWHERE, "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	ck_assert_uint_eq(h_questions(&L), 0);
	ck_assert_msg(told(&L, "この場所からはログインできません。"),
	    "no Japanese site refusal; log:\n%s", L.log);
	ck_assert(!told(&L, "Login from this location"));
	key_login_from(NOWHERE);
	ck_assert_msg(told(&L, "このホストへのログインは許可されていません。"),
	    "no Japanese account refusal; log:\n%s", L.log);
}
END_TEST

START_TEST(test_hostname_rhost)
{
	/* Never resolved: a name is an unknown source, whatever it names. */
	login_from("localhost", "ssh");
	expect_site_denial("rhost_not_address", "unknown");
	login_from("client.example.jp", "ssh");
	expect_site_denial("rhost_not_address", "unknown");
	login_from("fe80::1%eth0", "ssh");
	expect_site_denial("rhost_not_address", "unknown");
}
END_TEST

START_TEST(test_console)
{
	login_from(NULL, "tty1");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth", "rhost=- tty=tty1 src_zone=console "
	    "host_zone=lgwan rule=console result=allow");
	login_from(NULL, "/dev/tty2");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	/* A local X display, only when the configuration trusts them. */
	login_from(NULL, ":0");
	expect_site_denial("tty_not_console", "unknown");
	zones("console_displays = yes\n" H_ZONES);
	login_from(NULL, ":0");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	zones(H_ZONES);
	/* su or sudo in a session, a serial line: not the console. */
	login_from(NULL, "/dev/pts/1");
	expect_site_denial("tty_not_console", "unknown");
	login_from(NULL, "ttyS0");
	expect_site_denial("tty_not_console", "unknown");
	/* An empty PAM_RHOST is set, and is no address. */
	login_from("", "tty1");
	expect_site_denial("rhost_not_address", "unknown");
	/* Neither a remote host nor a terminal: nothing says where from. */
	login_from(NULL, NULL);
	expect_site_denial("source_unknown", "unknown");
}
END_TEST

START_TEST(test_cross_zone)
{
	login_from(INTERNET_HOST, "ssh");
	expect_site_denial("cross_zone", "internet");
	zones(TWO_ZONES("remote_from = lgwan internet\n", ""));
	login_from(INTERNET_HOST, "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth", "src_zone=internet rule=remote_from "
	    "result=allow");
}
END_TEST

START_TEST(test_gateway)
{
	zones(TWO_ZONES("gateways = " GATEWAY "\n", ""));
	login_from(GATEWAY, "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth",
	    "src_zone=internet rule=gateway result=allow");
	/* Only that address, and only into the zone that lists it. */
	login_from(INTERNET_HOST, "ssh");
	expect_site_denial("cross_zone", "internet");
	zones("host_zone = internet\n"
	    "[zone lgwan]\nnetworks = 192.0.2.0/24\ngateways = " GATEWAY "\n"
	    "[zone internet]\nnetworks = 198.51.100.0/24\n");
	login_from(LGWAN_HOST, "ssh");
	expect_site_denial("cross_zone", "lgwan");
}
END_TEST

START_TEST(test_console_only)
{
	zones(TWO_ZONES("console_only = yes\ngateways = " GATEWAY "\n", ""));
	login_from(LGWAN_HOST, "ssh");
	expect_site_denial("console_only", "lgwan");
	login_from(GATEWAY, "ssh");
	expect_site_denial("console_only", "internet");
	login_from(NULL, "tty1");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
}
END_TEST

START_TEST(test_not_authorised)
{
	static struct h_login ok;
	char out[4096], pr1[512], pr2[512];

	/* Auth alone: what the person sees before the verdict. */
	login_from(LGWAN_HOST, "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	ok = L;
	cli_ok("zones", "alice", "--set", "internet");
	login_from(LGWAN_HOST, "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	h_expect_line(&L, "auth",
	    "rule=not_authorised result=deny reason=zone");
	ck_assert_int_eq(L.acct_rc, PAM_PERM_DENIED);
	/* The same questions as an allowed login: nothing to enumerate. */
	ck_assert_msg(h_same_prompts(&ok, &L) || (L.nprompts == 3 &&
	    ok.nprompts == 2 && L.prompts[2].style == PAM_ERROR_MSG),
	    "allowed: %s; refused: %s", h_prompts_str(&ok, pr1, sizeof(pr1)),
	    h_prompts_str(&L, pr2, sizeof(pr2)));
	ck_assert_str_eq(L.prompts[0].text, ok.prompts[0].text);
	ck_assert_str_eq(L.prompts[1].text, ok.prompts[1].text);
	ck_assert_msg(strstr(L.log, "phase=auth") < strstr(L.log,
	    "phase=account"), "the account message came from auth: %s", L.log);
	/* A refusal by zone is not a guess: nothing counted. */
	ck_assert_int_eq(h_cli(&D, NULL, out, sizeof(out), "show", "alice",
	    "--json", (char *)NULL), 0);
	ck_assert_msg(strstr(out, "\"failures\":0") != NULL, "%s", out);
	cli_ok("zones", "alice", "--add", "lgwan");
	login_from(LGWAN_HOST, "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
}
END_TEST

START_TEST(test_account_phase_alone)
{
	/* A public-key login: auth never ran, the account phase judges. */
	key_login_from(LGWAN_HOST);
	ck_assert_int_eq(L.acct_rc, PAM_SUCCESS);
	h_expect_line(&L, "account", "rule=same_zone result=allow");
	key_login_from(INTERNET_HOST);
	ck_assert_int_eq(L.acct_rc, PAM_PERM_DENIED);
	ck_assert(told(&L, "Login to this host is not permitted"));
	h_expect_line(&L, "account", "src_zone=internet rule=cross_zone "
	    "result=deny reason=zone");
	key_login_from("host.example");
	ck_assert_int_eq(L.acct_rc, PAM_PERM_DENIED);
	cli_ok("zones", "alice", "--set", "internet");
	key_login_from(LGWAN_HOST);
	ck_assert_int_eq(L.acct_rc, PAM_PERM_DENIED);
	h_expect_line(&L, "account", "rule=not_authorised result=deny");
	cli_ok("zones", "alice", "--set", "lgwan");
	cli_ok("revoke", "alice", "totp", NULL);
	key_login_from(LGWAN_HOST);
	ck_assert_int_eq(L.acct_rc, PAM_PERM_DENIED);
	h_expect_line(&L, "account",
	    "rule=no_token result=deny reason=no_token");
}
END_TEST

/*
 * One of this machine's own addresses that can place it in a zone (not
 * loopback, not link-local), as text; false when it has none.
 */
static bool
own_address(char *out, size_t outlen)
{
	struct ifaddrs *ifa = NULL, *i;
	struct kgw_addr addr;
	const void *raw;
	bool found = false;

	ck_assert_int_eq(getifaddrs(&ifa), 0);
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			raw = &((const struct sockaddr_in *)(const void *)
			    i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6)
			raw = &((const struct sockaddr_in6 *)(const void *)
			    i->ifa_addr)->sin6_addr;
		else
			continue;
		found = inet_ntop(i->ifa_addr->sa_family, raw, out,
		    (socklen_t)outlen) != NULL &&
		    kgw_addr_parse(out, &addr) == KGW_OK &&
		    !kgw_addr_is_local(&addr);
	}
	freeifaddrs(ifa);
	return found;
}

START_TEST(test_host_zone_derived)
{
	char own[INET6_ADDRSTRLEN], conf[512];

	/*
	 * No host_zone: this host's addresses decide. The benchmarking
	 * ranges 198.18.0.0/15 are on no real interface; this machine's
	 * own address is put in lgwan. (tests/e2e/host_zone.sh tries the
	 * address sets this machine does not have.)
	 */
	ck_assert_msg(own_address(own, sizeof(own)), "this test needs an "
	    "address other than loopback and link-local");
	(void)snprintf(conf, sizeof(conf), "[zone lgwan]\nnetworks = "
	    "198.18.0.0/24 %s\n[zone internet]\nnetworks = 198.19.0.0/24 "
	    "127.0.0.0/8 ::1\n", own);
	zones(conf);
	login_from("198.18.0.5", "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth", "host_zone=lgwan rule=same_zone");
	/* Loopback alone places no host, even listed: all refused. */
	zones("[zone lgwan]\nnetworks = 198.18.0.0/24\n"
	    "[zone internet]\nnetworks = 198.19.0.0/24 127.0.0.0/8 ::1\n");
	login_from("198.18.0.5", "ssh");
	expect_site_denial("host_zone_unknown", "lgwan");
	ck_assert(strstr(L.log, "host zone unknown: no address of this "
	    "host (loopback and link-local aside)") != NULL);
	login_from(NULL, "tty1");
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
}
END_TEST

START_TEST(test_factors_policy)
{
	struct h_user carol;
	char code[16];

	/* A zone asking for the code alone is single-factor: refused. */
	zones(TWO_ZONES("factors = totp\n", ""));
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	fresh_code(&alice, code);
	L.answers[0] = code;
	h_login(&D, &L);
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	ck_assert_uint_eq(h_questions(&L), 0);
	h_expect_line(&L, "auth", "result=deny reason=config");
	ck_assert(strstr(L.log, "factors must include password") != NULL);
	/* A zone asking for a FIDO2 key: no SSH login can show one. */
	zones(TWO_ZONES("factors = password fido2\n", ""));
	login_from(LGWAN_HOST, "ssh");
	expect_site_denial("fido2_remote", "lgwan");
	/* Unless its remote logins ask for a code instead. */
	zones(TWO_ZONES("factors = password fido2\n"
	    "remote_factors = password totp\n", ""));
	login_from(LGWAN_HOST, "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	/* password totp: with a password only, refused at the end. */
	zones(TWO_ZONES("factors = password totp\n", ""));
	h_user_make(&carol, "carol");
	cli_ok("add", "carol", "--zones", "lgwan");
	memset(&L, 0, sizeof(L));
	L.user = "carol";
	L.answers[0] = carol.password;
	L.answers[1] = "123456";
	h_login(&D, &L);
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	ck_assert_uint_eq(h_questions(&L), 2);
	h_expect_line(&L, "auth", "rule=no_totp reason=no_totp");
}
END_TEST

/* The line number of the config line containing needle (1-based). */
static unsigned
conf_line_of(const char *needle)
{
	char line[1024];
	unsigned n = 0;
	FILE *f = fopen(D.conf, "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		if (strstr(line, needle) != NULL)
			break;
	}
	(void)fclose(f);
	return n;
}

START_TEST(test_bad_zone_config)
{
	char want[256];

	/* Overlapping zones are a configuration error: everyone is refused. */
	zones(TWO_ZONES("", "colour = red\n"));
	login_from(LGWAN_HOST, "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	h_expect_line(&L, "auth", "result=deny reason=config");
	ck_assert(strstr(L.log, "unknown key in a zone section") != NULL);
	zones("host_zone = lgwan\n[zone lgwan]\nnetworks = 192.0.2.0/24\n"
	    "[zone internet]\nnetworks = 192.0.2.128/25\n");
	login_from(LGWAN_HOST, "ssh");
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	ck_assert_int_eq(L.acct_rc, PAM_PERM_DENIED);
	(void)snprintf(want, sizeof(want), "kakogawa.conf:%u: range "
	    "192.0.2.128/25 overlaps 192.0.2.0/24 of zone lgwan",
	    conf_line_of("192.0.2.128/25"));
	ck_assert_msg(strstr(L.log, want) != NULL, "want %s in:\n%s", want,
	    L.log);
	/* No zone at all: the host's zone cannot be known. */
	zones("");
	login_from(LGWAN_HOST, "ssh");
	expect_site_denial("host_zone_unknown", "unknown");
}
END_TEST

static Suite *
zones_suite(void)
{
	Suite *s = suite_create("pam_zones");
	TCase *tc = tcase_create("zones");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_same_zone);
	tcase_add_test(tc, test_address_forms);
	tcase_add_test(tc, test_unknown_source);
	tcase_add_test(tc, test_refusals_in_japanese);
	tcase_add_test(tc, test_hostname_rhost);
	tcase_add_test(tc, test_console);
	tcase_add_test(tc, test_cross_zone);
	tcase_add_test(tc, test_gateway);
	tcase_add_test(tc, test_console_only);
	tcase_add_test(tc, test_not_authorised);
	tcase_add_test(tc, test_account_phase_alone);
	tcase_add_test(tc, test_host_zone_derived);
	tcase_add_test(tc, test_factors_policy);
	tcase_add_test(tc, test_bad_zone_config);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	char base[] = "/tmp/kgw-zonetest.XXXXXX";
	SRunner *sr;
	int failed;

	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	h_set_base(base);
	sr = srunner_create(zones_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (h_rmtree(base) != 0)
		(void)fprintf(stderr, "cannot remove %s\n", base);
	return failed == 0 ? 0 : 1;
}
