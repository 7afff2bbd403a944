/*
 * Recovery and enrolment safety through the built module and the real
 * libpam (harness.c): backup codes (once, raced, refused in a zone that
 * does not take them, counted by the lockout), the helpdesk's temporary
 * code (once, expired, revoked, and the message after it), revocation
 * taking effect in the same process, a new TOTP pending until proved,
 * the token's clock offset learned within its bound, resynchronisation,
 * and the audit records of all of it.
 *
 * The clock: this program defines time(), and is linked with
 * --export-dynamic, so the module's time() calls land here (as in
 * tests/faults/crash_driver.c). A test may freeze it, or move it, to
 * judge codes of steps it chooses with no waiting and no libfaketime
 * (which deadlocks with ASan). The tool, a separate process, keeps the
 * real time.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "harness.h"
#include "kgw_totp.h"

#define ANY (-100)
#define RACERS 6
#define RACE_ROUNDS 5
#define CODE_MAX H_CODE_MAX
/* The test zone, taking backup codes (temporary codes by default). */
#define ZONES_BACKUP H_ZONES "backup_codes = yes\n"
#define ZONES_NO_RECOVERY H_ZONES "temp_codes = no\n"
#define OUT_MAX 65536

static struct h_deploy D;
static struct h_user alice;
static struct h_login L;

/* ---- the clock the module sees ------------------------------------------ */

static time_t frozen = -1;	/* the time, or -1: real time plus shift */
static time_t shift;

time_t time(time_t *t);

time_t
time(time_t *t)
{
	struct timespec ts;
	time_t now;

	if (frozen >= 0) {
		now = frozen;
	} else {
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		now = ts.tv_sec + shift;
	}
	if (t != NULL)
		*t = now;
	return now;
}

/*
 * Freezes the clock in the current step, with at least margin seconds
 * of it left on the real clock (for the tool, which keeps real time).
 */
static int64_t
freeze(unsigned margin)
{
	int64_t step;

	frozen = -1;
	shift = 0;
	step = h_step_with_margin(margin);
	frozen = (time_t)(step * KGW_TOTP_STEP + KGW_TOTP_STEP / 2);
	return step;
}

/* ---- fixture ------------------------------------------------------------ */

static void
setup(void)
{
	frozen = -1;
	shift = 0;
	h_deploy_new(&D);
	D.zones = ZONES_BACKUP;
	h_write_config(&D, NULL);
	h_user_make(&alice, "alice");
	h_enrol(&D, &alice);
}

static void
teardown(void)
{
	const char *leak = h_leak_find();

	frozen = -1;
	shift = 0;
	h_deploy_free(&D);
	ck_assert_msg(leak == NULL, "a secret or typed answer appears in the "
	    "captured log, prompts or messages:\n%s", h_transcript());
}

/* ---- helpers ------------------------------------------------------------ */

static void
cli_ok(const char *input, char *out, const char *a1, const char *a2,
    const char *a3, const char *a4)
{
	static char buf[OUT_MAX];
	int rc;

	if (out == NULL)
		out = buf;
	rc = h_cli(&D, input, out, OUT_MAX, a1, a2, a3, a4, (char *)NULL);
	ck_assert_msg(rc == 0, "kakogawa-enroll %s %s: exit %d: %s", a1,
	    a2 != NULL ? a2 : "", rc, out);
}

static void
run(struct h_login *l, const char *user, const char *a0, const char *a1)
{
	memset(l, 0, sizeof(*l));
	l->user = user;
	l->answers[0] = a0;
	l->answers[1] = a1;
	h_login(&D, l);
}

static const char *
rc_name(int rc)
{
	static char buf[2][64];
	static unsigned next;
	char *b = buf[next++ % 2];

	(void)snprintf(b, sizeof(buf[0]), "%d %s", rc, pam_strerror(NULL, rc));
	return b;
}

/* The auth phase's return, and its decision line's fields (want). */
static void
expect(const struct h_login *l, int auth, const char *want)
{
	char pr[1024];

	(void)h_prompts_str(l, pr, sizeof(pr));
	ck_assert_msg(l->auth_rc == auth, "user \"%s\": pam_authenticate gave "
	    "%s, expected %s; prompts %s; log:\n%s", l->user,
	    rc_name(l->auth_rc), rc_name(auth), pr, l->log);
	if (want != NULL)
		h_expect_line(l, "auth", want);
}

static void
issue_backup(const char *user, char codes[][CODE_MAX], size_t n)
{
	static char out[OUT_MAX];
	char count[16];
	int rc;

	(void)snprintf(count, sizeof(count), "%zu", n);
	rc = h_cli(&D, NULL, out, sizeof(out), "--json", "backup-codes", user,
	    "--count", count, (char *)NULL);
	ck_assert_msg(rc == 0, "backup-codes: exit %d: %s", rc, out);
	h_json_codes(out, "\"codes\":[", codes, n);
}

static void
issue_temp(const char *user, const char *ttl, char code[CODE_MAX])
{
	static char out[OUT_MAX];
	char codes[1][CODE_MAX];
	int rc;

	rc = h_cli(&D, NULL, out, sizeof(out), "--json", "temp-code", user,
	    "--ttl", ttl, (char *)NULL);
	ck_assert_msg(rc == 0, "temp-code: exit %d: %s", rc, out);
	h_json_codes(out, "\"code\":", codes, 1);
	(void)snprintf(code, CODE_MAX, "%s", codes[0]);
}

/* The tool's JSON for user (show), for counts and the offset. */
static const char *
show_json(const char *user)
{
	static char out[OUT_MAX];

	cli_ok(NULL, out, "--json", "show", user, NULL);
	return out;
}

static void
expect_shown(const char *user, const char *want)
{
	const char *json = show_json(user);

	ck_assert_msg(strstr(json, want) != NULL, "want %s in: %s", want,
	    json);
}

/* The audit trail, as JSON. */
static const char *
trail(void)
{
	static char out[4 * OUT_MAX];
	int rc = h_cli(&D, NULL, out, sizeof(out), "--json", "audit", "export",
	    (char *)NULL);

	ck_assert_msg(rc == 0, "audit export: exit %d: %s", rc, out);
	return out;
}

static void
expect_trail(const char *want)
{
	const char *t = trail();

	ck_assert_msg(strstr(t, want) != NULL, "no record with\n%s\nin\n%s",
	    want, t);
}

/* As a person types a code read off paper: case, spaces, 0 as O. */
static void
typed_loosely(const char *code, char out[CODE_MAX])
{
	size_t i;

	for (i = 0; code[i] != '\0' && i + 1 < CODE_MAX; i++) {
		char c = code[i];

		if (c == '-')
			c = ' ';
		else if (c == '0')
			c = 'o';
		else if (c == '1')
			c = 'l';
		else if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = c;
	}
	out[i] = '\0';
}

/* ---- backup codes ------------------------------------------------------- */

START_TEST(test_backup_once)
{
	char codes[3][CODE_MAX], fresh[2][CODE_MAX], loose[CODE_MAX];

	issue_backup("alice", codes, 3);
	expect_shown("alice", "\"backup_codes\":3");
	run(&L, "alice", alice.password, codes[1]);
	expect(&L, PAM_SUCCESS, "factors=password,backup_code result=allow "
	    "reason=ok");
	ck_assert_int_eq(L.acct_rc, PAM_SUCCESS);
	ck_assert(h_told(&L, PAM_TEXT_INFO, "Backup codes left: 2"));
	expect_shown("alice", "\"backup_codes\":2");
	/* Once only: the same code again is refused, and counted. */
	run(&L, "alice", alice.password, codes[1]);
	expect(&L, PAM_AUTH_ERR, "factors=password,backup_code result=deny "
	    "reason=replay");
	expect_shown("alice", "\"failures\":1");
	/* Typed loosely, as read off paper. */
	typed_loosely(codes[2], loose);
	run(&L, "alice", alice.password, loose);
	expect(&L, PAM_SUCCESS, "reason=ok");
	expect_shown("alice", "\"failures\":0");
	/* A new set replaces the old one. */
	issue_backup("alice", fresh, 2);
	run(&L, "alice", alice.password, codes[0]);
	expect(&L, PAM_AUTH_ERR, "result=deny reason=bad_code");
	run(&L, "alice", alice.password, fresh[0]);
	expect(&L, PAM_SUCCESS, "reason=ok");
	expect_trail("\"action\":\"backup_codes\",\"detail\":\"count=3\"");
	expect_trail("\"factors\":\"password,backup_code\",\"result\":\"allow\"");
	expect_trail("\"factors\":\"password,backup_code\",\"result\":\"deny\","
	    "\"reason\":\"replay\"");
}
END_TEST

/* Several processes, one backup code, released at once: one gets in. */
START_TEST(test_backup_race)
{
	char codes[RACE_ROUNDS][CODE_MAX];
	int round, wins, replays;

	D.lockout_attempts = 1000;	/* the losers' failures add up */
	h_write_config(&D, NULL);
	issue_backup("alice", codes, RACE_ROUNDS);
	for (round = 0; round < RACE_ROUNDS; round++) {
		memset(&L, 0, sizeof(L));
		L.user = "alice";
		L.answers[0] = alice.password;
		L.answers[1] = codes[round];
		wins = h_race(&D, &L, RACERS, &replays);
		ck_assert_msg(wins == 1 && replays == RACERS - 1,
		    "round %d: %d of %d racers logged in with one backup code, "
		    "%d refused as used", round, wins, RACERS, replays);
	}
	expect_shown("alice", "\"backup_codes\":0");
}
END_TEST

/* A zone that does not take backup codes refuses them, uncounted. */
START_TEST(test_backup_zone_refused)
{
	char codes[1][CODE_MAX];

	D.zones = H_ZONES;
	h_write_config(&D, NULL);
	issue_backup("alice", codes, 1);
	run(&L, "alice", alice.password, codes[0]);
	expect(&L, PAM_AUTH_ERR, "factors=password,backup_code result=deny "
	    "reason=backup_not_allowed");
	/* The right code in the wrong place: not a guess, and not used. */
	expect_shown("alice", "\"failures\":0,");
	expect_shown("alice", "\"backup_codes\":1");
	D.zones = ZONES_BACKUP;
	h_write_config(&D, NULL);
	run(&L, "alice", alice.password, codes[0]);
	expect(&L, PAM_SUCCESS, "reason=ok");
}
END_TEST

/* Wrong backup codes are guesses: the lockout counts them. */
START_TEST(test_backup_lockout)
{
	char codes[1][CODE_MAX];
	int i;

	D.lockout_attempts = 3;
	h_write_config(&D, NULL);
	issue_backup("alice", codes, 1);
	for (i = 0; i < 3; i++) {
		run(&L, "alice", alice.password, "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
		expect(&L, PAM_AUTH_ERR, "result=deny reason=bad_code");
	}
	ck_assert_ptr_nonnull(strstr(L.log, "locked after 3 failures"));
	run(&L, "alice", alice.password, codes[0]);
	expect(&L, PAM_AUTH_ERR, "result=deny reason=locked");
	expect_shown("alice", "\"backup_codes\":1");	/* not used */
}
END_TEST

/* ---- the helpdesk's temporary code -------------------------------------- */

/* alice lost every factor: the helpdesk's code lets her in, once. */
START_TEST(test_temp_once)
{
	char code[CODE_MAX], line[1024];

	cli_ok(NULL, NULL, "revoke", "alice", "totp", NULL);
	issue_temp("alice", "30m", code);
	expect_shown("alice", "\"temp_code\":");
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "factors=password,temp_code result=allow "
	    "reason=ok");
	/* Her last factor went with that login: its account phase passes. */
	ck_assert_msg(L.acct_rc == PAM_SUCCESS, "account: %s\n%s",
	    rc_name(L.acct_rc), L.log);
	h_expect_line(&L, "account", "result=allow reason=ok");
	/* Told to have a new factor enrolled, as an information message. */
	ck_assert_msg(h_told(&L, PAM_TEXT_INFO, "temporary code") &&
	    h_told(&L, PAM_TEXT_INFO, "enrol a new second factor"),
	    "no message to enrol a new factor: %s",
	    h_prompts_str(&L, line, sizeof(line)));
	expect_shown("alice", "\"temp_code\":null");
	/* Once only. */
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, NULL);
	ck_assert_int_eq(L.acct_rc, PAM_PERM_DENIED);	/* nothing left */
	expect_trail("\"factors\":\"password,temp_code\",\"result\":\"allow\"");
}
END_TEST

START_TEST(test_temp_reused)
{
	char code[CODE_MAX];

	issue_temp("alice", "1h", code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "factors=password,temp_code reason=ok");
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "factors=password,temp_code result=deny "
	    "reason=replay");
	expect_shown("alice", "\"failures\":1");
}
END_TEST

/* Expired: refused and counted, and not used up. */
START_TEST(test_temp_expired)
{
	char code[CODE_MAX];

	issue_temp("alice", "1m", code);
	shift = 120;		/* two minutes on, for the module */
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "factors=password,temp_code result=deny "
	    "reason=code_expired");
	expect_shown("alice", "\"failures\":1");
	shift = 0;
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
}
END_TEST

/* A zone that takes no temporary code refuses it, uncounted. */
START_TEST(test_temp_zone_refused)
{
	char code[CODE_MAX];

	D.zones = ZONES_NO_RECOVERY;
	h_write_config(&D, NULL);
	issue_temp("alice", "1h", code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "factors=password,temp_code result=deny "
	    "reason=temp_not_allowed");
	expect_shown("alice", "\"failures\":0,");
}
END_TEST

/*
 * Revocation takes effect at the next login, in the same process: the
 * module keeps nothing from one PAM handle to the next.
 */
START_TEST(test_revoke_between_logins)
{
	char temp[CODE_MAX], codes[1][CODE_MAX], code[16];
	int64_t step = freeze(3);

	issue_temp("alice", "1h", temp);
	issue_backup("alice", codes, 1);
	h_code(alice.secret, step, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "factors=password,totp reason=ok");
	cli_ok(NULL, NULL, "revoke", "alice", "temp-code", NULL);
	run(&L, "alice", alice.password, temp);
	expect(&L, PAM_AUTH_ERR, "result=deny reason=bad_code");
	cli_ok(NULL, NULL, "revoke", "alice", "backup-codes", NULL);
	run(&L, "alice", alice.password, codes[0]);
	expect(&L, PAM_AUTH_ERR, "result=deny reason=bad_code");
	cli_ok(NULL, NULL, "revoke", "alice", "totp", NULL);
	h_code(alice.secret, step + 1, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "result=deny reason=no_token");
	expect_trail("\"action\":\"revoke:temp_code\"");
	expect_trail("\"action\":\"revoke:backup_codes\"");
}
END_TEST

/* ---- a new TOTP, pending until proved ------------------------------------ */

START_TEST(test_totp_pending)
{
	struct h_user next;
	char line[H_B32_MAX + 4], code[16], out[4096];
	int64_t step = freeze(10);
	int rc;

	h_user_make(&next, "next");	/* the new phone's secret */
	(void)snprintf(line, sizeof(line), "%s\n", next.secret);
	/* Scanned, and no code typed: pending, and the old TOTP stays. */
	rc = h_cli(&D, line, out, sizeof(out), "totp", "alice", "--secret",
	    "--verify", "--show", "none", (char *)NULL);
	ck_assert_msg(rc == 1, "totp --verify without a code: exit %d: %s",
	    rc, out);
	expect_shown("alice", "\"totp_pending\":true");
	h_code(next.secret, step, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "result=deny reason=bad_code");
	h_code(alice.secret, step, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
	/* A wrong code does not prove it either. */
	rc = h_cli(&D, "000000\n", out, sizeof(out), "totp", "alice",
	    "--confirm", (char *)NULL);
	ck_assert_int_eq(rc, 1);
	expect_shown("alice", "\"totp_pending\":true");
	/* The right one does: the new TOTP is active, the old one gone. */
	h_code(next.secret, step, code);
	(void)snprintf(line, sizeof(line), "%s\n", code);
	rc = h_cli(&D, line, out, sizeof(out), "totp", "alice", "--confirm",
	    (char *)NULL);
	ck_assert_msg(rc == 0, "totp --confirm: exit %d: %s", rc, out);
	expect_shown("alice", "\"totp_pending\":false");
	run(&L, "alice", alice.password, code);	/* used to prove it */
	expect(&L, PAM_AUTH_ERR, "result=deny reason=replay");
	h_code(next.secret, step + 1, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
	h_code(alice.secret, step + 2, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "result=deny reason=bad_code");
	expect_trail("\"action\":\"totp_pending\",\"detail\":\"alg=SHA1 "
	    "digits=6\"");
	expect_trail("\"action\":\"totp\",\"detail\":\"alg=SHA1 digits=6 "
	    "verified\"");
}
END_TEST

/* totp --verify reads the code after the secret, and activates at once. */
START_TEST(test_totp_verify_at_once)
{
	struct h_user next;
	char line[H_B32_MAX + 32], code[16], out[4096];
	int64_t step = freeze(10);
	int rc;

	h_user_make(&next, "next");
	h_code(next.secret, step, code);
	(void)snprintf(line, sizeof(line), "%s\n123456\n%s\n", next.secret,
	    code);
	rc = h_cli(&D, line, out, sizeof(out), "--json", "totp", "alice",
	    "--secret", "--verify", "--show", "none", (char *)NULL);
	ck_assert_msg(rc == 0 && strstr(out, "\"verified\":true") != NULL,
	    "totp --verify: exit %d: %s", rc, out);
	h_code(next.secret, step + 1, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
}
END_TEST

/* ---- the token's clock ------------------------------------------------- */

/* A token 2 steps ahead: accepted, learned, and the window centred. */
START_TEST(test_drift_learned)
{
	struct h_user bob, carol;
	char code[16];
	int64_t step = freeze(3);

	h_code(alice.secret, step + 2, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
	expect_shown("alice", "\"offset\":2}");
	/* Replay protection holds with the offset. */
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "reason=replay");
	h_code(alice.secret, step + 1, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "reason=replay");
	h_code(alice.secret, step + 3, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
	expect_shown("alice", "\"offset\":3}");
	/*
	 * Centred: bob's token, learned 2 steps behind, no longer gets the
	 * 3 steps ahead a fresh token (carol's) is allowed.
	 */
	h_user_make(&bob, "bob");
	h_enrol(&D, &bob);
	h_code(bob.secret, step - 2, code);
	run(&L, "bob", bob.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
	expect_shown("bob", "\"offset\":-2}");
	h_code(bob.secret, step + 3, code);
	run(&L, "bob", bob.password, code);
	expect(&L, PAM_AUTH_ERR, "reason=bad_code");
	h_code(bob.secret, step + 1, code);
	run(&L, "bob", bob.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
	h_user_make(&carol, "carol");
	h_enrol(&D, &carol);
	h_code(carol.secret, step + 3, code);
	run(&L, "carol", carol.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
}
END_TEST

/* Never more than totp_max_drift (3) off, plus totp_window (1) back. */
START_TEST(test_drift_bound)
{
	char code[16];
	int64_t step = freeze(3);

	h_code(alice.secret, step + 4, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "reason=bad_code");
	h_code(alice.secret, step - 5, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "reason=bad_code");
	h_code(alice.secret, step - 4, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
	expect_shown("alice", "\"offset\":-3}");
	/* totp_max_drift = 0: the window of old, the current step and one back. */
	h_write_config(&D, "totp_max_drift = 0\n");
	h_code(alice.secret, step + 1, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "reason=bad_code");
	h_code(alice.secret, step, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
}
END_TEST

/* A token 100 steps ahead: refused, then resynchronised by the helpdesk. */
START_TEST(test_resync)
{
	char code[16], c2[16], line[64], out[4096];
	int64_t step = freeze(10);
	int rc;

	h_code(alice.secret, step + 100, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "reason=bad_code");
	/* Two codes that are not consecutive: refused, nothing changed. */
	h_code(alice.secret, step + 103, c2);
	(void)snprintf(line, sizeof(line), "%s\n%s\n", code, c2);
	rc = h_cli(&D, line, out, sizeof(out), "resync", "alice", (char *)NULL);
	ck_assert_msg(rc == 1, "resync, codes not consecutive: exit %d: %s",
	    rc, out);
	h_code(alice.secret, step + 101, c2);
	(void)snprintf(line, sizeof(line), "%s\n%s\n", code, c2);
	rc = h_cli(&D, line, out, sizeof(out), "resync", "alice", (char *)NULL);
	ck_assert_msg(rc == 0, "resync: exit %d: %s", rc, out);
	expect_shown("alice", "\"offset\":101}");
	/* The codes it was given are used; the next ones are taken. */
	run(&L, "alice", alice.password, c2);
	expect(&L, PAM_AUTH_ERR, "reason=replay");
	h_code(alice.secret, step + 102, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, "reason=ok");
	/* The bound moved with it: a code of this host's time is refused. */
	h_code(alice.secret, step + 2, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, "reason=bad_code");
	expect_trail("\"action\":\"resync\",\"detail\":\"offset=+101\"");
}
END_TEST

/* ---- the audit trail ---------------------------------------------------- */

/* Every helpdesk action is a record with its operator, and it verifies. */
START_TEST(test_audit_actions)
{
	char codes[1][CODE_MAX], temp[CODE_MAX], out[4096];
	const char *t;
	static const char *const actions[] = {
		"backup_codes", "temp_code", "revoke:backup_codes",
		"revoke:temp_code",
	};
	char want[128];
	size_t i;
	int rc;

	issue_backup("alice", codes, 1);
	issue_temp("alice", "1h", temp);
	cli_ok(NULL, NULL, "revoke", "alice", "backup-codes", NULL);
	cli_ok(NULL, NULL, "revoke", "alice", "temp-code", NULL);
	t = trail();
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		(void)snprintf(want, sizeof(want), "\"action\":\"%s\"",
		    actions[i]);
		ck_assert_msg(strstr(t, want) != NULL, "no %s in\n%s", want, t);
		(void)snprintf(want, sizeof(want), "\"operator\":\"\","
		    "\"action\":\"%s\"", actions[i]);
		ck_assert_msg(strstr(t, want) == NULL, "no operator: %s", want);
	}
	/* The records hold no code. */
	ck_assert_ptr_null(strstr(t, codes[0]));
	ck_assert_ptr_null(strstr(t, temp));
	rc = h_cli(&D, NULL, out, sizeof(out), "audit", "verify",
	    (char *)NULL);
	ck_assert_msg(rc == 0, "audit verify: exit %d: %s", rc, out);
}
END_TEST

static Suite *
recovery_suite(void)
{
	Suite *s = suite_create("pam_recovery");
	TCase *tc;

	tc = tcase_create("backup");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_backup_once);
	tcase_add_test(tc, test_backup_race);
	tcase_add_test(tc, test_backup_zone_refused);
	tcase_add_test(tc, test_backup_lockout);
	suite_add_tcase(s, tc);

	tc = tcase_create("temp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_temp_once);
	tcase_add_test(tc, test_temp_reused);
	tcase_add_test(tc, test_temp_expired);
	tcase_add_test(tc, test_temp_zone_refused);
	tcase_add_test(tc, test_revoke_between_logins);
	suite_add_tcase(s, tc);

	tc = tcase_create("totp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_totp_pending);
	tcase_add_test(tc, test_totp_verify_at_once);
	tcase_add_test(tc, test_drift_learned);
	tcase_add_test(tc, test_drift_bound);
	tcase_add_test(tc, test_resync);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_audit_actions);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	char base[] = "/tmp/kgw-pamtest.XXXXXX";
	SRunner *sr;
	int failed;

	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	h_set_base(base);
	sr = srunner_create(recovery_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (h_rmtree(base) != 0)
		(void)fprintf(stderr, "cannot remove %s\n", base);
	return failed == 0 ? 0 : 1;
}
