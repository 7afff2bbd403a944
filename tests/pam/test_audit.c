/*
 * The audit trail through the real libpam: every decision of the built
 * module is a record (allowed, refused by a code, refused by a zone rule
 * before any question, the account phase of an SSH public-key login),
 * with the same facts as its log line and never a secret, and the chain
 * verifies with kakogawa-enroll audit verify afterwards.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "harness.h"

static struct h_deploy D;
static struct h_user alice;
static struct h_login L;
static int64_t next_step;

static void
setup(void)
{
	h_deploy_new(&D);
	D.totp_window = 10;
	h_write_config(&D, NULL);
	h_user_make(&alice, "alice");
	h_enrol(&D, &alice);
	next_step = 0;
}

static void
teardown(void)
{
	const char *leak = h_leak_find();

	h_deploy_free(&D);
	ck_assert_msg(leak == NULL, "a secret appears in the captured output:"
	    "\n%s", h_transcript());
}

static const char *
fresh_code(void)
{
	static char code[16];
	int64_t oldest = h_step_with_margin(3) - 8;

	if (next_step < oldest)
		next_step = oldest;
	h_code(alice.secret, next_step++, code);
	return code;
}

static void
login_phases(const char *rhost, const char *code, bool account)
{
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	L.answers[1] = code;
	L.rhost = rhost;
	L.skip_account = !account;
	h_login(&D, &L);
}

/* auth, then account (which a refused auth would never reach in sshd). */
static void
login(const char *rhost, const char *code)
{
	login_phases(rhost, code, true);
}

/* The trail as JSON (kakogawa-enroll --json audit export). */
static void
trail(char *out, size_t outlen)
{
	int rc = h_cli(&D, NULL, out, outlen, "--json", "audit", "export",
	    (char *)NULL);

	ck_assert_msg(rc == 0, "audit export: exit %d: %s", rc, out);
}

/* The trail has a record with every "key":"value" of want, in order. */
static void
expect_record(const char *trail_json, const char *want)
{
	ck_assert_msg(strstr(trail_json, want) != NULL, "no record with\n%s\n"
	    "in\n%s", want, trail_json);
}

static void
expect_intact(void)
{
	char out[1024];
	int rc = h_cli(&D, NULL, out, sizeof(out), "audit", "verify",
	    (char *)NULL);

	ck_assert_msg(rc == 0, "audit verify: exit %d: %s", rc, out);
}

START_TEST(test_decisions_recorded)
{
	static char out[65536];

	login(H_RHOST, fresh_code());
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	ck_assert_int_eq(L.acct_rc, PAM_SUCCESS);
	/* Its auth and account phases are one decision, one record. */
	trail(out, sizeof(out));
	ck_assert_uint_eq(h_count(out, "\"kind\":\"auth\""), 1);
	ck_assert_uint_eq(h_count(out, "\"kind\":\"account\""), 0);
	login(H_RHOST, "000000");
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	login("203.0.113.9", fresh_code());	/* in no zone */
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	/* An SSH public-key login: the account phase alone. */
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.skip_auth = true;
	h_login(&D, &L);
	ck_assert_int_eq(L.acct_rc, PAM_SUCCESS);
	trail(out, sizeof(out));
	expect_record(out, "\"kind\":\"auth\",\"host\":");
	expect_record(out, "\"host_zone\":\"" H_ZONE "\",\"service\":\""
	    H_SERVICE "\",\"user\":\"alice\",\"rhost\":\"" H_RHOST "\","
	    "\"src_zone\":\"" H_ZONE "\",\"tty\":\"" H_TTY "\","
	    "\"factors\":\"password,totp\",\"result\":\"allow\","
	    "\"reason\":\"ok\",\"rule\":\"same_zone\"");
	expect_record(out, "\"result\":\"deny\",\"reason\":\"bad_code\","
	    "\"rule\":\"same_zone\",\"operator\":\"\",\"action\":\"\","
	    "\"detail\":\"failures=1\"");
	expect_record(out, "\"rhost\":\"203.0.113.9\",\"src_zone\":\"unknown\","
	    "\"tty\":\"" H_TTY "\",\"factors\":\"-\",\"result\":\"deny\","
	    "\"reason\":\"zone\",\"rule\":\"source_unknown\"");
	expect_record(out, "\"kind\":\"account\",");
	/* Each decision line names its record: audit=SEQ:MAC (8 bytes). */
	ck_assert_ptr_nonnull(strstr(L.log, " audit="));
	ck_assert_ptr_null(strstr(L.log, " audit=-"));
	/* The helpdesk's enrolment is in the trail too, with its author. */
	expect_record(out, "\"kind\":\"change\"");
	expect_record(out, "\"action\":\"totp\"");
	expect_intact();
}
END_TEST

/* An unknown user is recorded under the name given, never a password. */
START_TEST(test_unknown_user_recorded)
{
	static char out[65536];

	memset(&L, 0, sizeof(L));
	L.user = "mallory";
	L.answers[0] = "hunter2-typed-by-mistake";
	L.answers[1] = "123456";
	h_secret_add("hunter2-typed-by-mistake");
	h_login(&D, &L);
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	trail(out, sizeof(out));
	expect_record(out, "\"user\":\"mallory\"");
	expect_record(out, "\"result\":\"deny\",\"reason\":\"unknown_user\"");
	ck_assert_ptr_null(strstr(out, "hunter2"));
	expect_intact();
}
END_TEST

/*
 * PAM_RHOST and PAM_TTY come from the application: in the CSV an auditor
 * opens, a cell that a spreadsheet would run as a formula is text.
 */
START_TEST(test_csv_no_formula)
{
	static char out[65536];
	int rc;

	login("=HYPERLINK(\"http://evil/\")", fresh_code());
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	rc = h_cli(&D, NULL, out, sizeof(out), "audit", "export",
	    (char *)NULL);
	ck_assert_msg(rc == 0, "audit export: exit %d: %s", rc, out);
	expect_record(out, ",\"'=HYPERLINK(\"\"http://evil/\"\")\",");
	ck_assert_ptr_null(strstr(out, ",=HYPERLINK"));
	ck_assert_ptr_null(strstr(out, ",\"=HYPERLINK"));
}
END_TEST

/* The security officer's report counts what happened, by zone, person,
 * reason, and lists the lockout with its time. */
START_TEST(test_report)
{
	static char out[65536];
	int i, rc;

	login_phases(H_RHOST, fresh_code(), true);
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	for (i = 0; i < 5; i++) {	/* the harness locks after 5 */
		login_phases(H_RHOST, "000000", false);
		ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	}
	login_phases("203.0.113.9", fresh_code(), false);
	rc = h_cli(&D, NULL, out, sizeof(out), "--json", "audit", "report",
	    (char *)NULL);
	ck_assert_msg(rc == 0, "audit report: exit %d: %s", rc, out);
	/* The refusal from a source in no zone is one of this host's. */
	expect_record(out, "\"zones\":[{\"zone\":\"" H_ZONE "\","
	    "\"allowed\":1,\"refused\":6}");
	expect_record(out, "{\"user\":\"alice\",\"allowed\":1,"
	    "\"refused\":6}");
	expect_record(out, "{\"reason\":\"bad_code\",\"count\":5}");
	expect_record(out, "{\"reason\":\"zone\",\"count\":1}");
	expect_record(out, "\"lockouts\":[{\"time\":\"");
	expect_record(out, "\"user\":\"alice\",\"host\":");
	expect_record(out, "\"detail\":\"failures=5 locked=yes until=");
	expect_record(out, "\"action\":\"totp\",\"count\":1}");
	/* A zone's report: its logins only, no helpdesk changes. */
	rc = h_cli(&D, NULL, out, sizeof(out), "--json", "audit", "report",
	    "--zone", H_ZONE, (char *)NULL);
	ck_assert_msg(rc == 0, "audit report --zone: exit %d: %s", rc, out);
	expect_record(out, "{\"records\":7,");
	expect_record(out, "\"changes\":[]");
	/* The self-inspection notes the lock. */
	rc = h_cli(&D, NULL, out, sizeof(out), "check", "--only", "policy",
	    (char *)NULL);
	ck_assert_msg(strstr(out, "[info] policy.locked.alice") != NULL,
	    "check: exit %d: %s", rc, out);
	/* A person's report: bob did nothing. */
	rc = h_cli(&D, NULL, out, sizeof(out), "--json", "audit", "report",
	    "--user", "bob", (char *)NULL);
	ck_assert_msg(rc == 0, "audit report --user: exit %d: %s", rc, out);
	expect_record(out, "{\"records\":0,\"zones\":[],");
}
END_TEST

static Suite *
audit_suite(void)
{
	Suite *s = suite_create("pam_audit");
	TCase *tc = tcase_create("audit");

	/* Many logins a test, under valgrind too. */
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_decisions_recorded);
	tcase_add_test(tc, test_unknown_user_recorded);
	tcase_add_test(tc, test_report);
	tcase_add_test(tc, test_csv_no_formula);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	char base[] = "/tmp/kgw-audittest.XXXXXX";
	SRunner *sr;
	int failed;

	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	h_set_base(base);
	sr = srunner_create(audit_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (h_rmtree(base) != 0)
		(void)fprintf(stderr, "cannot remove %s\n", base);
	return failed == 0 ? 0 : 1;
}
