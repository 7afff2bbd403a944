/*
 * The account lifecycle through the built module and the real libpam
 * (harness.c): a temporary password changed at the login that uses it
 * (PAM_NEW_AUTHTOK_REQD, then pam_chauthtok), passwd's own changes and the
 * password rules with their messages, a role's stricter lockout and
 * factors, expiry, and the last login shown after a login; each decision
 * in the audit trail.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "harness.h"

static struct h_deploy D;
static struct h_user alice;
static struct h_login L;	/* big: not on the stack */
static int64_t step0;		/* the step of the next code (code_now) */

static void
setup(void)
{
	h_deploy_new(&D);
	/* Logins in a row each need a newer step: start back in the window. */
	D.totp_window = 8;
	h_write_config(&D, NULL);
	step0 = h_step_with_margin(10) - 7;
	h_service_password(&D, NULL, NULL, NULL);
	h_user_make(&alice, "alice");
	h_enrol(&D, &alice);
}

static void
teardown(void)
{
	const char *leak = h_leak_find();

	h_deploy_free(&D);
	ck_assert_msg(leak == NULL, "a secret (%.64s) appears in the captured "
	    "log, prompts or messages:\n%s", leak != NULL ? leak : "",
	    h_transcript());
}

/* ---- helpers ------------------------------------------------------------ */

static void
cli(int want, const char *input, const char *a1, const char *a2,
    const char *a3, const char *a4)
{
	char out[8192];
	int rc;

	rc = h_cli(&D, input, out, sizeof(out), a1, a2, a3, a4, (char *)NULL);
	ck_assert_msg(rc == want, "kakogawa-enroll %s %s %s: exit %d, not %d:"
	    " %s", a1, a2 != NULL ? a2 : "", a3 != NULL ? a3 : "", rc, want,
	    out);
}

/* The audit trail as JSON, for the records a case expects. */
static void
trail(char *out, size_t len)
{
	int rc = h_cli(&D, NULL, out, len, "audit", "export", "--format",
	    "json", (char *)NULL);

	ck_assert_msg(rc == 0, "audit export: exit %d: %s", rc, out);
}

static void
trail_has(const char *needle)
{
	static char out[65536];

	trail(out, sizeof(out));
	ck_assert_msg(strstr(out, needle) != NULL, "no %s in the trail:\n%s",
	    needle, out);
}

/* A code of a step newer than every code given before in this case. */
static void
code_now(const struct h_user *u, char code[16])
{
	h_code(u->secret, step0++, code);
}

/* A login with a password and a code (and more answers for chauthtok). */
static void
login(const char *user, const char *a0, const char *a1, const char *a2,
    const char *a3, const char *a4)
{
	memset(&L, 0, sizeof(L));
	L.user = user;
	L.answers[0] = a0;
	L.answers[1] = a1;
	L.answers[2] = a2;
	L.answers[3] = a3;
	L.answers[4] = a4;
	L.chauthtok = true;
	L.getenv_name = "KAKOGAWA_MAX_SESSION";
	h_login(&D, &L);
	ck_assert_int_eq(L.start_rc, PAM_SUCCESS);
}

/* passwd(1) as root: no current password, the new one twice. */
static void
passwd_root(const char *user, const char *pw, const char *again)
{
	memset(&L, 0, sizeof(L));
	L.user = user;
	L.answers[0] = pw;
	L.answers[1] = again;
	h_passwd(&D, &L, 0);
	ck_assert_int_eq(L.start_rc, PAM_SUCCESS);
}

static void
expect_rc(int got, int want, const char *what)
{
	ck_assert_msg(got == want, "%s gave %d (%s), expected %d (%s); "
	    "log:\n%s", what, got, pam_strerror(NULL, got), want,
	    pam_strerror(NULL, want), L.log);
}

/* ---- a temporary password, changed at the login that uses it ------------- */

START_TEST(test_forced_change)
{
	char code[16], line[128], newpw[] = "a quiet river at dusk 7";

	(void)snprintf(line, sizeof(line), "%s\n", alice.password);
	cli(0, line, "passwd", "alice", "--password-stdin", "--temporary");
	h_secret_add(newpw);
	code_now(&alice, code);
	/* Password, code; then chauthtok: current, new, new again. */
	login("alice", alice.password, code, alice.password, newpw, newpw);
	expect_rc(L.auth_rc, PAM_SUCCESS, "pam_authenticate");
	expect_rc(L.acct_rc, PAM_NEW_AUTHTOK_REQD, "pam_acct_mgmt");
	expect_rc(L.chauthtok_rc, PAM_SUCCESS, "pam_chauthtok");
	ck_assert(h_told(&L, PAM_ERROR_MSG, "You must change your password"));
	h_expect_line(&L, "account", "result=allow reason=password_change");
	h_expect_line(&L, "password", "user=alice result=allow reason=ok");
	trail_has("\"kind\":\"password\",\"host\"");
	trail_has("\"reason\":\"password_change\"");
	trail_has("\"action\":\"chauthtok\"");
	/* The new password logs in; the temporary one no more. */
	code_now(&alice, code);
	login("alice", newpw, code, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_SUCCESS, "login with the new password");
	expect_rc(L.acct_rc, PAM_SUCCESS, "account after the change");
	login("alice", alice.password, "000000", NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_AUTH_ERR, "the old password");
	h_expect_line(&L, "auth", "result=deny reason=bad_password");
}
END_TEST

/*
 * With second_factor_only an earlier module owns the password (the
 * Debian profile): our temporary flag must not send the person to change
 * that one at every login.
 */
START_TEST(test_temporary_other_module)
{
	char code[16], line[128];

	(void)snprintf(line, sizeof(line), "%s\n", alice.password);
	cli(0, line, "passwd", "alice", "--password-stdin", "--temporary");
	h_service(&D, NULL, NULL, "second_factor_only", "second_factor_only");
	code_now(&alice, code);
	login("alice", code, NULL, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_SUCCESS, "pam_authenticate");
	expect_rc(L.acct_rc, PAM_SUCCESS, "pam_acct_mgmt");
	ck_assert(!h_told(&L, PAM_ERROR_MSG, "You must change your password"));
}
END_TEST

START_TEST(test_forced_change_refusals)
{
	char code[16], line[128];

	(void)snprintf(line, sizeof(line), "%s\n", alice.password);
	cli(0, line, "passwd", "alice", "--password-stdin", "--temporary");
	/* A wrong current password: refused, counted, nothing changed. */
	code_now(&alice, code);
	login("alice", alice.password, code, "not-the-password", NULL, NULL);
	expect_rc(L.chauthtok_rc, PAM_AUTH_ERR, "pam_chauthtok");
	h_expect_line(&L, "password", "result=deny reason=bad_password");
	trail_has("\"kind\":\"password\",\"host\"");
	/* The same password again: refused by the rules, said why. */
	code_now(&alice, code);
	login("alice", alice.password, code, alice.password, alice.password,
	    alice.password);
	expect_rc(L.chauthtok_rc, PAM_AUTHTOK_ERR, "pam_chauthtok");
	ck_assert(h_told(&L, PAM_ERROR_MSG, "the same as"));
	h_expect_line(&L, "password", "result=deny reason=weak_password");
	trail_has("\"detail\":\"rule=same\"");
	/* Still temporary: the next login is sent to change it again. */
	code_now(&alice, code);
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	L.answers[1] = code;
	h_login(&D, &L);
	expect_rc(L.acct_rc, PAM_NEW_AUTHTOK_REQD, "pam_acct_mgmt");
}
END_TEST

/* ---- the password rules, as passwd(1) meets them ------------------------- */

static const struct {
	const char *password;
	const char *message;	/* in the PAM_ERROR_MSG */
	const char *rule;	/* detail of the audit record */
} weak[] = {
	{ "short1!", "too short: use at least 12", "rule=too_short" },
	{ "alice-alice-2027", "like the user name", "rule=user_name" },
	{ "Kakogawa2027!x", "like the name of the city", "rule=city_name" },
	{ "password12345", "too common", "rule=dictionary" },
	{ "ZebraCrossing#88", "too common", "rule=blocklist" },
	{ "line\tfeed password", "control character", "rule=control" },
};

START_TEST(test_rules)
{
	char blocklist[H_PATH_MAX + 32], conf[H_PATH_MAX + 64];

	(void)snprintf(blocklist, sizeof(blocklist), "%s/blocklist", D.dir);
	h_write_file(blocklist, "# breached\nzebracrossing#88\n", 0644);
	(void)snprintf(conf, sizeof(conf), "password_blocklist = %s\n",
	    blocklist);
	h_write_config(&D, conf);
	passwd_root("alice", weak[_i].password, weak[_i].password);
	expect_rc(L.chauthtok_rc, PAM_AUTHTOK_ERR, weak[_i].password);
	ck_assert_msg(h_told(&L, PAM_ERROR_MSG, weak[_i].message),
	    "no \"%s\" told for %s", weak[_i].message, weak[_i].password);
	h_expect_line(&L, "password", "result=deny reason=weak_password");
	trail_has(weak[_i].rule);
}
END_TEST

START_TEST(test_rules_lengths)
{
	/* 64 characters of Japanese (192 bytes): accepted. */
	static const char kana[] = "あいうえおかきくけこさしすせそたちつてと"
	    "なにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござ"
	    "じずぜぞだぢづでばびぶべ";
	char long_pw[600];
	char code[16];

	passwd_root("alice", "one two", "two one");
	expect_rc(L.chauthtok_rc, PAM_AUTHTOK_ERR, "a mismatch");
	ck_assert(h_told(&L, PAM_ERROR_MSG, "do not match"));
	h_secret_add(kana);
	passwd_root("alice", kana, kana);
	expect_rc(L.chauthtok_rc, PAM_SUCCESS, "a long Japanese password");
	trail_has("\"action\":\"chauthtok\"");
	code_now(&alice, code);
	login("alice", kana, code, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_SUCCESS, "login with the Japanese password");
	/* Eight characters of Japanese (24 bytes) are eight, not 24. */
	passwd_root("alice", "あいうえおかきく", "あいうえおかきく");
	ck_assert(h_told(&L, PAM_ERROR_MSG, "too short"));
	/* More than 511 bytes: too long, said so. */
	memset(long_pw, 'q', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	passwd_root("alice", long_pw, long_pw);
	expect_rc(L.chauthtok_rc, PAM_AUTHTOK_ERR, "a 599-byte password");
}
END_TEST

/* passwd(1) run by the person (a real uid that is not root). */
START_TEST(test_passwd_as_user)
{
	char newpw[] = "copper kettle on the stove";
	pid_t pid;
	int status;

	h_secret_add(newpw);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* As a set-uid passwd(1): effective root, real uid not. */
		if (setresuid(65534, 0, 0) != 0)
			_exit(90);
		memset(&L, 0, sizeof(L));
		L.user = "alice";
		L.answers[0] = "a wrong password";
		h_passwd(&D, &L, 0);
		if (L.chauthtok_rc != PAM_AUTH_ERR)
			_exit(91);
		L.answers[0] = alice.password;
		L.answers[1] = newpw;
		L.answers[2] = newpw;
		h_passwd(&D, &L, 0);
		_exit(L.chauthtok_rc == PAM_SUCCESS &&
		    strstr(L.log, "reason=ok") != NULL ? 0 : 92);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the person's passwd: status %d", status);
	trail_has("\"operator\":\"alice\",\"action\":\"chauthtok\"");
	trail_has("\"reason\":\"bad_password\"");
}
END_TEST

/* ---- roles --------------------------------------------------------------- */

#define ROLE_ADMIN "[role admin]\nlockout_attempts = 2\nfactors = fido2\n" \
	"max_session = 3600\npassword_min_length = 16\n"

static void
roles_config(void)
{
	D.zones = H_ZONES ROLE_ADMIN;
	h_write_config(&D, "fido2_insert_timeout = 0\n");
}

START_TEST(test_role_lockout)
{
	struct h_user bob;
	char code[16];
	int i;

	roles_config();
	h_user_make(&bob, "bob");
	h_enrol(&D, &bob);
	cli(0, NULL, "role", "bob", "admin", NULL);
	trail_has("\"detail\":\"role=admin\"");
	/* Two wrong codes lock an admin; a staff member has five. */
	for (i = 0; i < 2; i++) {
		login("bob", bob.password, "000000", NULL, NULL, NULL);
		login("alice", alice.password, "000000", NULL, NULL, NULL);
	}
	ck_assert_msg(strstr(h_transcript(), "user=bob locked after 2 "
	    "failures") != NULL, "bob not locked after 2 failures");
	code_now(&alice, code);
	login("alice", alice.password, code, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_SUCCESS, "alice after 2 failures");
	ck_assert_str_eq(L.getenv_value, "");	/* staff: no limit */
	code_now(&bob, code);
	login("bob", bob.password, code, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_AUTH_ERR, "bob locked");
	trail_has("failures=2 locked=yes");
}
END_TEST

START_TEST(test_role_factors)
{
	struct h_user bob;
	char code[16];

	roles_config();
	h_user_make(&bob, "bob");
	h_enrol(&D, &bob);
	cli(0, NULL, "role", "bob", "admin", NULL);
	/* At the console the zone takes any token: alice's code will do. */
	code_now(&alice, code);
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	L.answers[1] = code;
	L.no_rhost = true;
	L.tty = "tty1";
	h_login(&D, &L);
	expect_rc(L.auth_rc, PAM_SUCCESS, "alice at the console");
	/* The admin role asks a security key there: bob has none. */
	memset(&L, 0, sizeof(L));
	L.user = "bob";
	L.answers[0] = bob.password;
	L.no_rhost = true;
	L.tty = "tty1";
	h_login(&D, &L);
	expect_rc(L.auth_rc, PAM_AUTH_ERR, "bob at the console");
	expect_rc(L.acct_rc, PAM_PERM_DENIED, "bob's account at the console");
	h_expect_line(&L, "account", "rule=no_fido2 result=deny");
	/* Over SSH a key cannot answer: his code, and the session limit. */
	code_now(&bob, code);
	login("bob", bob.password, code, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_SUCCESS, "bob over SSH");
	expect_rc(L.acct_rc, PAM_SUCCESS, "bob's account over SSH");
	ck_assert_str_eq(L.getenv_value, "3600");
	/* A role that the configuration lost: refused, not let in as staff. */
	D.zones = H_ZONES;
	h_write_config(&D, NULL);
	code_now(&bob, code);
	login("bob", bob.password, code, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_AUTH_ERR, "bob without his role's section");
	h_expect_line(&L, "auth", "result=deny reason=config");
}
END_TEST

/* ---- expiry -------------------------------------------------------------- */

START_TEST(test_expiry)
{
	char code[16], day[16];
	time_t t = time(NULL) + 2 * 86400;
	struct tm tm;

	/* The last day is tomorrow (or the day after): allowed today. */
	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	ck_assert(strftime(day, sizeof(day), "%Y-%m-%d", &tm) > 0);
	cli(0, NULL, "expires", "alice", day, NULL);
	code_now(&alice, code);
	login("alice", alice.password, code, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_SUCCESS, "before the date");
	expect_rc(L.acct_rc, PAM_SUCCESS, "account before the date");
	/* Past its last day: every login and the account phase refuse. */
	cli(0, NULL, "expires", "alice", "2020-01-31", NULL);
	trail_has("\"detail\":\"expires=2020-");
	code_now(&alice, code);
	login("alice", alice.password, code, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_AUTH_ERR, "after the date");
	expect_rc(L.acct_rc, PAM_PERM_DENIED, "account after the date");
	h_expect_line(&L, "auth", "result=deny reason=expired");
	h_expect_line(&L, "account", "result=deny reason=expired");
	trail_has("\"reason\":\"expired\"");
	/* Not a guess: nothing counted. */
	cli(0, NULL, "expires", "alice", "never", NULL);
	code_now(&alice, code);
	login("alice", alice.password, code, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_SUCCESS, "with no expiry again");
	ck_assert(!h_told(&L, PAM_TEXT_INFO, "Failed login attempts"));
}
END_TEST

/* ---- the last login, shown after a login ---------------------------------- */

START_TEST(test_last_login)
{
	char code[16];

	code_now(&alice, code);
	login("alice", alice.password, code, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_SUCCESS, "the first login");
	ck_assert_uint_eq(L.nnotices, 0);	/* nothing before it */
	login("alice", alice.password, "000000", NULL, NULL, NULL);
	login("alice", "wrong password", "000000", NULL, NULL, NULL);
	ck_assert_uint_eq(L.nnotices, 0);	/* refused: told nothing */
	code_now(&alice, code);
	login("alice", alice.password, code, NULL, NULL, NULL);
	expect_rc(L.auth_rc, PAM_SUCCESS, "after two failures");
	ck_assert(h_told(&L, PAM_TEXT_INFO, "Last successful login: "));
	ck_assert(h_told(&L, PAM_TEXT_INFO, " from " H_RHOST "."));
	ck_assert(h_told(&L, PAM_TEXT_INFO,
	    "Failed login attempts since then: 2."));
	/* Once: the failures were seen. An SSH key login, in Japanese. */
	h_service_password(&D, "language=ja", "language=ja", NULL);
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.skip_auth = true;
	L.rhost = "192.0.2.77";
	h_login(&D, &L);
	expect_rc(L.acct_rc, PAM_SUCCESS, "an SSH public-key login");
	ck_assert_uint_eq(L.nnotices, 1);
	ck_assert(h_told(&L, PAM_TEXT_INFO, "前回のログイン: "));
	ck_assert(h_told(&L, PAM_TEXT_INFO, H_RHOST));
	/* The key login is the last one now. */
	h_service_password(&D, NULL, NULL, NULL);
	code_now(&alice, code);
	login("alice", alice.password, code, NULL, NULL, NULL);
	ck_assert(h_told(&L, PAM_TEXT_INFO, " from 192.0.2.77."));
	trail_has("\"kind\":\"account\",\"host\"");
}
END_TEST

static Suite *
accounts_suite(void)
{
	Suite *s = suite_create("pam_accounts");
	TCase *tc = tcase_create("password");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_forced_change);
	tcase_add_test(tc, test_forced_change_refusals);
	tcase_add_test(tc, test_temporary_other_module);
	tcase_add_loop_test(tc, test_rules, 0,
	    (int)(sizeof(weak) / sizeof(weak[0])));
	tcase_add_test(tc, test_rules_lengths);
	tcase_add_test(tc, test_passwd_as_user);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_role_lockout);
	tcase_add_test(tc, test_role_factors);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_last_login);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	char base[] = "/tmp/kgw-pamacct.XXXXXX";
	SRunner *sr;
	int failed;

	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	h_set_base(base);
	sr = srunner_create(accounts_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (h_rmtree(base) != 0)
		(void)fprintf(stderr, "cannot remove %s\n", base);
	return failed == 0 ? 0 : 1;
}
