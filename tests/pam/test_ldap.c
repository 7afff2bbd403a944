/*
 * The city-wide store through the built module and the real libpam: a
 * private OpenLDAP provider and a read-only replica (tests/ldap/
 * with-slapd, which this program re-runs itself under when they are not
 * there yet), the helpdesk enrolling once with the real kakogawa-enroll,
 * and two "hosts": deployments with their own configuration, bind
 * identity and trail, sharing only the directory and the city key.
 *
 * What it shows: a person enrolled once logs in at both hosts; a code
 * used at one is refused at the other; failures at both add up to one
 * lockout; a host's identity cannot change a secret or a zone; TLS is
 * used and checked where configured; writes sent to the replica reach
 * the provider through its referral; with the directory stopped every
 * login is refused; 8 processes on two hosts racing with one code: one
 * wins, round after round.
 *
 * The clock: as in test_recovery.c, this program defines time() and is
 * linked with --export-dynamic, so that the module judges codes of the
 * steps a test chooses, with no waiting.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "harness.h"
#include "ldap_hosts.h"
#include "kgw_totp.h"

#define RACERS 8
#define RACE_ROUNDS 5
#define EXTRA_MAX 2048
#define OUT_MAX 65536

static struct h_deploy HD, H1, H2;	/* the helpdesk, two hosts */
static unsigned offline_secs = 600;	/* directory_offline */
static struct h_user alice;
static struct h_login L;

/* ---- the clock the module sees ------------------------------------------ */

static time_t frozen = -1;

time_t time(time_t *t);

time_t
time(time_t *t)
{
	struct timespec ts;
	time_t now;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	now = frozen >= 0 ? frozen : ts.tv_sec;
	if (t != NULL)
		*t = now;
	return now;
}

/* Freezes the clock in the middle of step. */
static void
at_step(int64_t step)
{
	frozen = (time_t)(step * KGW_TOTP_STEP + KGW_TOTP_STEP / 2);
}

/* ---- deployments -------------------------------------------------------- */

/* One name per test: the directory outlives each test's process. */
static void
unique_user(struct h_user *u, const char *what)
{
	char name[64];

	(void)snprintf(name, sizeof(name), "%s%ld", what, (long)getpid());
	h_user_make(u, name);
}

/* The replica first, the provider after it: where writes are referred. */
static const char *
replica_then_provider(void)
{
	static char uris[1024];

	(void)snprintf(uris, sizeof(uris), "%s %s",
	    lh_env("KGW_LDAP_REPLICA_URI"), lh_env("KGW_LDAP_URI"));
	return uris;
}

static void
configure(struct h_deploy *d, const char *uri, const char *who,
    const char *tls, const char *ca)
{
	lh_configure(d, uri, who, tls, ca, offline_secs);
}

static void
setup(void)
{
	h_deploy_new(&HD);
	h_deploy_new(&H1);
	h_deploy_new(&H2);
	lh_share_key(&HD, &H1);
	lh_share_key(&HD, &H2);
	H1.lockout_attempts = H2.lockout_attempts = 4;
	configure(&HD, lh_env("KGW_LDAP_URI"), "HELPDESK", "none", NULL);
	configure(&H1, lh_env("KGW_LDAP_URI"), "HOST1", "none", NULL);
	/*
	 * Host 2 reads from the replica: its writes follow the referral to
	 * the provider, which its directory key names after the replica.
	 */
	configure(&H2, replica_then_provider(), "HOST2", "none", NULL);
	offline_secs = 600;
	unique_user(&alice, "alice");
	h_enrol(&HD, &alice);
	frozen = -1;
}

static void
teardown(void)
{
	frozen = -1;
	h_deploy_free(&HD);
	h_deploy_free(&H1);
	h_deploy_free(&H2);
}

/* A login of u at host d, with the code of step (the clock set there). */
static void
login(const struct h_deploy *d, const struct h_user *u, int64_t step,
    const char *code_override)
{
	static char code[16];

	at_step(step);
	h_code(u->secret, step, code);
	memset(&L, 0, sizeof(L));
	L.user = u->name;
	L.answers[0] = u->password;
	L.answers[1] = code_override != NULL ? code_override : code;
	h_login(d, &L);
}

/* Rounds of a race: one under valgrind, where a login costs a second. */
static int
rounds(void)
{
	return getenv("KGW_VALGRIND") != NULL ? 1 : RACE_ROUNDS;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_enrol_once_login_everywhere)
{
	int64_t step = h_step_with_margin(5);

	lh_replicated(&H2, alice.name);
	login(&H1, &alice, step, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "host1: %s", L.log);
	ck_assert_int_eq(L.acct_rc, PAM_SUCCESS);
	login(&H2, &alice, step + 1, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "host2: %s", L.log);
	ck_assert_int_eq(L.acct_rc, PAM_SUCCESS);
}
END_TEST

START_TEST(test_replay_across_hosts)
{
	int64_t step = h_step_with_margin(5);

	lh_replicated(&H2, alice.name);
	login(&H1, &alice, step, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "host1: %s", L.log);
	/* The same code at the other host, and back at the first. */
	login(&H2, &alice, step, NULL);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth", "result=deny reason=replay");
	login(&H1, &alice, step, NULL);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth", "result=deny reason=replay");
	/* An older step than the one used: refused as well. */
	login(&H2, &alice, step - 1, NULL);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
}
END_TEST

START_TEST(test_failures_add_up)
{
	int64_t step = h_step_with_margin(5);
	char out[OUT_MAX];

	lh_replicated(&H2, alice.name);
	login(&H1, &alice, step, "000000");
	h_expect_line(&L, "auth", "result=deny");
	login(&H2, &alice, step, "000001");
	login(&H1, &alice, step, "000002");
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	/* One count in the directory, whichever host counted. */
	ck_assert_int_eq(h_cli(&HD, NULL, out, sizeof(out), "show",
	    alice.name, (char *)NULL), 0);
	ck_assert_msg(strstr(out, "failures: 3") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "locked:   no") != NULL, "%s", out);
	login(&H2, &alice, step, "000003");
	ck_assert_int_eq(h_cli(&HD, NULL, out, sizeof(out), "show",
	    alice.name, (char *)NULL), 0);
	ck_assert_msg(strstr(out, "failures: 4") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "locked:   yes") != NULL, "%s", out);
	/* The right code now, at either host: locked. */
	login(&H1, &alice, step, NULL);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth", "result=deny reason=locked");
	login(&H2, &alice, step + 1, NULL);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth", "result=deny reason=locked");
	/* The helpdesk unlocks once, for every host. */
	ck_assert_int_eq(h_cli(&HD, NULL, out, sizeof(out), "unlock",
	    alice.name, (char *)NULL), 0);
	login(&H1, &alice, step + 2, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "after unlock: %s", L.log);
}
END_TEST

START_TEST(test_host_cannot_change_secrets)
{
	struct h_user mallory;
	char out[OUT_MAX], line[H_B32_MAX + 2];
	int64_t step = h_step_with_margin(5);

	/* A new secret, a new zone, a password, a delete: all refused. */
	h_user_make(&mallory, "mallory");
	(void)snprintf(line, sizeof(line), "%s\n", mallory.secret);
	ck_assert_int_ne(h_cli(&H1, line, out, sizeof(out), "totp",
	    alice.name, "--secret", "--show", "none", (char *)NULL), 0);
	ck_assert_msg(strstr(out, "Insufficient access") != NULL, "%s", out);
	ck_assert_int_ne(h_cli(&H1, NULL, out, sizeof(out), "zones",
	    alice.name, "--add", "internet", (char *)NULL), 0);
	ck_assert_int_ne(h_cli(&H1, "a new password 1234\n", out,
	    sizeof(out), "passwd", alice.name, "--password-stdin",
	    (char *)NULL), 0);
	ck_assert_int_ne(h_cli(&H1, NULL, out, sizeof(out), "delete",
	    alice.name, (char *)NULL), 0);
	ck_assert_int_ne(h_cli(&H1, NULL, out, sizeof(out), "add", "eve",
	    "--zones", H_ZONE, (char *)NULL), 0);
	/* Nothing changed: the old secret and password still log in. */
	login(&H1, &alice, step, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "%s", L.log);
	/* The helpdesk may: the new secret takes over at every host. */
	ck_assert_int_eq(h_cli(&HD, line, out, sizeof(out), "totp",
	    alice.name, "--secret", "--show", "none", (char *)NULL), 0);
	login(&H1, &alice, step + 1, NULL);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
}
END_TEST

START_TEST(test_race_two_hosts)
{
	const struct h_deploy *hosts[2] = { &H1, &H2 };
	int64_t step = h_step_with_margin(10);
	char code[16];
	int round, wins, replays;

	/* Every loser's replay counts as a failure: no lockout mid-race. */
	H1.lockout_attempts = H2.lockout_attempts = 100;
	configure(&H1, lh_env("KGW_LDAP_URI"), "HOST1", "none", NULL);
	configure(&H2, replica_then_provider(), "HOST2", "none", NULL);
	lh_replicated(&H2, alice.name);
	for (round = 0; round < rounds(); round++) {
		at_step(step + round);
		h_code(alice.secret, step + round, code);
		memset(&L, 0, sizeof(L));
		L.user = alice.name;
		L.answers[0] = alice.password;
		L.answers[1] = code;
		wins = h_race_hosts(hosts, 2, &L, RACERS, &replays);
		ck_assert_msg(wins == 1, "round %d: %d of %d racers logged in",
		    round, wins, RACERS);
		ck_assert_msg(replays == RACERS - 1, "round %d: %d replays",
		    round, replays);
	}
}
END_TEST

START_TEST(test_tls)
{
	int64_t step = h_step_with_margin(5);

	/* ldaps with the city CA, then StartTLS on the plain port. */
	configure(&H1, lh_env("KGW_LDAPS_URI"), "HOST1", "ldaps",
	    lh_env("KGW_LDAP_CA"));
	login(&H1, &alice, step, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "ldaps: %s", L.log);
	configure(&H1, lh_env("KGW_LDAP_URI"), "HOST1", "starttls",
	    lh_env("KGW_LDAP_CA"));
	login(&H1, &alice, step + 1, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "starttls: %s", L.log);
	/*
	 * A CA that did not sign the server's certificate: no connection,
	 * and no login from the cache either: the server answered, this is
	 * no outage (offline logins are on, and the cache is fresh).
	 */
	configure(&H1, lh_env("KGW_LDAPS_URI"), "HOST1", "ldaps", H1.key);
	login(&H1, &alice, step + 2, NULL);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	ck_assert_msg(strstr(L.log, "directory refused the connection") !=
	    NULL, "%s", L.log);
	ck_assert_msg(strstr(L.log, "host offline") == NULL, "%s", L.log);
}
END_TEST

START_TEST(test_directory_stopped)
{
	int64_t step = h_step_with_margin(5);

	/* With no offline logins allowed, the directory is required. */
	offline_secs = 0;
	configure(&H1, lh_env("KGW_LDAP_URI"), "HOST1", "none", NULL);
	login(&H1, &alice, step, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "%s", L.log);
	lh_ctl("stop-provider");
	login(&H1, &alice, step + 1, NULL);
	lh_ctl("start-provider");
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	ck_assert_msg(strstr(L.log, "directory unreachable") != NULL, "%s",
	    L.log);
	ck_assert_msg(strstr(L.log, "directory_offline = 0") != NULL, "%s",
	    L.log);
	/* Back: the same code logs in (it was never used). */
	login(&H1, &alice, step + 1, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "after restart: %s", L.log);
}
END_TEST

/* A host that never reached the directory has nothing to go on. */
START_TEST(test_never_reached)
{
	int64_t step = h_step_with_margin(5);

	char out[OUT_MAX];

	lh_ctl("stop-provider");
	login(&H1, &alice, step, NULL);
	(void)h_cli(&H1, NULL, out, sizeof(out), "--json", "check", "--only",
	    "policy", (char *)NULL);
	lh_ctl("start-provider");
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	ck_assert_msg(strstr(L.log, "never reached") != NULL, "%s", L.log);
	ck_assert_msg(strstr(out, "\"directory.never_reached\"") != NULL, "%s",
	    out);
	/* Reached: no directory finding left. */
	(void)h_cli(&H1, NULL, out, sizeof(out), "--json", "check", "--only",
	    "policy", (char *)NULL);
	ck_assert_msg(strstr(out, "directory.") == NULL, "%s", out);
}
END_TEST

/*
 * Offline within the bound: logins from the cache, replay and failures
 * enforced there; beyond the bound: refused; back online: the watermark
 * and the failures go up, so that the code used offline is refused at
 * the other host too.
 */
START_TEST(test_offline_and_back)
{
	int64_t step = h_step_with_margin(5);
	char out[OUT_MAX];

	lh_replicated(&H2, alice.name);
	login(&H1, &alice, step, NULL);		/* online: the cache filled */
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "%s", L.log);
	lh_ctl("stop-provider");
	login(&H1, &alice, step + 1, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "offline: %s", L.log);
	ck_assert_msg(strstr(L.log, "host offline") != NULL, "%s", L.log);
	login(&H1, &alice, step + 1, NULL);	/* replayed, offline */
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth", "result=deny reason=replay");
	login(&H1, &alice, step + 1, "000000");
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	/* The self-inspection says so. */
	(void)h_cli(&H1, NULL, out, sizeof(out), "--json", "check", "--only",
	    "policy", (char *)NULL);
	ck_assert_msg(strstr(out, "\"directory.offline\"") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "\"directory.unreconciled\"") != NULL, "%s",
	    out);
	/* Past directory_offline (600 s) since the last contact. */
	login(&H1, &alice, step + 25, NULL);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	ck_assert_msg(strstr(L.log, "beyond directory_offline") != NULL, "%s",
	    L.log);
	lh_ctl("start-provider");
	/* The next contact carries up what happened offline. */
	login(&H1, &alice, step + 2, "000001");
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	ck_assert_msg(strstr(L.log, "reconciled") != NULL, "%s", L.log);
	ck_assert_int_eq(h_cli(&HD, NULL, out, sizeof(out), "show",
	    alice.name, (char *)NULL), 0);
	/* 2 offline (the replay, the wrong code), 1 now. */
	ck_assert_msg(strstr(out, "failures: 3") != NULL, "%s", out);
	/* The code used offline at host 1: refused at host 2. */
	login(&H2, &alice, step + 1, NULL);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth", "result=deny reason=replay");
	/* That was the 4th failure: locked at every host. */
	login(&H1, &alice, step + 3, NULL);
	h_expect_line(&L, "auth", "result=deny reason=locked");
}
END_TEST

/*
 * The replica answers but the provider does not: the login reads the
 * replica, commits here, and the commit goes up later.
 */
START_TEST(test_provider_down_replica_up)
{
	int64_t step = h_step_with_margin(5);

	lh_replicated(&H2, alice.name);
	lh_ctl("stop-provider");
	login(&H2, &alice, step, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "%s", L.log);
	ck_assert_msg(strstr(L.log, "host offline") != NULL, "%s", L.log);
	lh_ctl("start-provider");
	login(&H2, &alice, step + 1, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "%s", L.log);
	login(&H1, &alice, step, NULL);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
}
END_TEST

/* A referral to a server the directory key does not name: not followed. */
START_TEST(test_referral_only_to_configured)
{
	int64_t step = h_step_with_margin(5);

	lh_replicated(&H2, alice.name);
	configure(&H2, lh_env("KGW_LDAP_REPLICA_URI"), "HOST2", "none", NULL);
	login(&H2, &alice, step, NULL);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	ck_assert_msg(strstr(L.log, "referral refused") != NULL, "%s", L.log);
	/* The code was not used: with the provider named, it logs in. */
	configure(&H2, replica_then_provider(), "HOST2", "none", NULL);
	login(&H2, &alice, step, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "%s", L.log);
}
END_TEST

/*
 * The cache serves a person only within directory_offline of when they
 * were read: a host in contact for others does not keep an old row.
 */
START_TEST(test_offline_stale_person)
{
	struct h_user bob;
	int64_t step = h_step_with_margin(5);

	unique_user(&bob, "bob");
	h_enrol(&HD, &bob);
	login(&H1, &alice, step, NULL);		/* alice read at step */
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "%s", L.log);
	login(&H1, &bob, step + 30, NULL);	/* 15 minutes later */
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "%s", L.log);
	lh_ctl("stop-provider");
	login(&H1, &bob, step + 31, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "bob offline: %s", L.log);
	login(&H1, &alice, step + 31, NULL);
	lh_ctl("start-provider");
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	ck_assert_msg(strstr(L.log, "beyond directory_offline") != NULL, "%s",
	    L.log);
}
END_TEST

/* Failures counted offline on two hosts add up, and lock, when back. */
START_TEST(test_offline_failures_lock)
{
	int64_t step = h_step_with_margin(5);
	char out[OUT_MAX];

	lh_replicated(&H2, alice.name);
	login(&H1, &alice, step, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "%s", L.log);
	login(&H2, &alice, step + 1, NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "%s", L.log);
	lh_ctl("stop-replica");
	lh_ctl("stop-provider");
	login(&H1, &alice, step + 2, "000000");
	login(&H1, &alice, step + 2, "000001");
	login(&H2, &alice, step + 2, "000002");
	login(&H2, &alice, step + 2, "000003");
	ck_assert_msg(strstr(L.log, "host offline") != NULL, "%s", L.log);
	lh_ctl("start-provider");
	lh_ctl("start-replica");
	/* Each host's self-inspection carries its failures up. */
	(void)h_cli(&H1, NULL, out, sizeof(out), "check", "--only", "policy",
	    (char *)NULL);
	(void)h_cli(&H2, NULL, out, sizeof(out), "check", "--only", "policy",
	    (char *)NULL);
	ck_assert_int_eq(h_cli(&HD, NULL, out, sizeof(out), "show",
	    alice.name, (char *)NULL), 0);
	ck_assert_msg(strstr(out, "failures: 4") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "locked:   yes") != NULL, "%s", out);
}
END_TEST

static Suite *
ldap_suite(void)
{
	Suite *s = suite_create("ldap");
	TCase *tc = tcase_create("directory");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_enrol_once_login_everywhere);
	tcase_add_test(tc, test_replay_across_hosts);
	tcase_add_test(tc, test_failures_add_up);
	tcase_add_test(tc, test_host_cannot_change_secrets);
	tcase_add_test(tc, test_race_two_hosts);
	tcase_add_test(tc, test_tls);
	tcase_add_test(tc, test_directory_stopped);
	tcase_add_test(tc, test_never_reached);
	tcase_add_test(tc, test_offline_and_back);
	tcase_add_test(tc, test_provider_down_replica_up);
	tcase_add_test(tc, test_referral_only_to_configured);
	tcase_add_test(tc, test_offline_stale_person);
	tcase_add_test(tc, test_offline_failures_lock);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	return lh_main(argc, argv, ldap_suite);
}
