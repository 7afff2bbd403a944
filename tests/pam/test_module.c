/*
 * The built pam_kakogawa.so through the real libpam (harness.c): logins,
 * replays, races, lockout, refusals that must look alike, broken
 * deployments, odd input, and no secret in anything the module says.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "harness.h"

#define ANY (-100)		/* an outcome the test does not judge */
#define RACERS 4
#define RACE_ROUNDS 20

static struct h_deploy D;
static struct h_user alice;
static struct h_login L;	/* big: not on the stack */
static const char *ctx = "";	/* names the case in failure messages */

static void
setup(void)
{
	h_deploy_new(&D);
	h_user_make(&alice, "alice");
	h_enrol(&D, &alice);
}

/* Every test ends with the leak check over everything it captured. */
static void
teardown(void)
{
	const char *leak = h_leak_find();
	char what[96];

	if (leak != NULL)
		(void)snprintf(what, sizeof(what), "\"%.64s\"", leak);
	h_deploy_free(&D);
	ck_assert_msg(leak == NULL, "a secret or typed answer (%s) appears "
	    "in the captured log, prompts or messages:\n%s",
	    leak != NULL ? what : "", h_transcript());
}

/* ---- helpers ------------------------------------------------------------ */

static void
cli_ok(const char *input, const char *a1, const char *a2, const char *a3)
{
	char out[4096];
	int rc;

	rc = h_cli(&D, input, out, sizeof(out), a1, a2, a3, (char *)NULL);
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
	/* Two at a time: a message may name what came and what was wanted. */
	static char buf[2][64];
	static unsigned next;
	char *b = buf[next++ % 2];

	if (rc == -1)
		return "not run";
	(void)snprintf(b, sizeof(buf[0]), "%d %s", rc, pam_strerror(NULL, rc));
	return b;
}

/* A decision line ends with suffix, its audit= anchor aside. */
static bool
ends_with(const char *s, const char *suffix)
{
	const char *anchor = strstr(s, " audit=");
	size_t a = anchor != NULL ? (size_t)(anchor - s) : strlen(s);
	size_t b = strlen(suffix);

	return a >= b && strncmp(s + a - b, suffix, b) == 0;
}

/*
 * Judges one login: return codes, and the one auth decision line with its
 * result and reason (NULL: not judged).
 */
static void
expect(const struct h_login *l, int auth, int acct, const char *reason)
{
	char line[1024], want[128], pr[1024];
	const char *dec;

	ck_assert_msg(l->start_rc == PAM_SUCCESS, "pam_start_confdir: %s",
	    rc_name(l->start_rc));
	(void)h_prompts_str(l, pr, sizeof(pr));
	ck_assert_msg(l->auth_rc == auth, "%suser \"%s\": pam_authenticate "
	    "gave %s, expected %d; prompts %s; log:\n%s", ctx, l->user,
	    rc_name(l->auth_rc), auth, pr, l->log);
	if (acct != ANY)
		ck_assert_msg(l->acct_rc == acct, "user \"%s\": pam_acct_mgmt "
		    "gave %s, expected %s; log:\n%s", l->user,
		    rc_name(l->acct_rc), rc_name(acct), l->log);
	ck_assert_msg(h_count(l->log, "phase=auth ") == 1,
	    "expected exactly one auth decision line; log:\n%s", l->log);
	dec = h_decision(l, "auth", line, sizeof(line));
	ck_assert_ptr_nonnull(dec);
	ck_assert_msg(strstr(dec, auth == PAM_SUCCESS ? " result=allow " :
	    " result=deny ") != NULL, "decision line: %s", dec);
	if (reason != NULL) {
		(void)snprintf(want, sizeof(want), " reason=%s", reason);
		ck_assert_msg(ends_with(dec, want), "expected reason=%s in: %s",
		    reason, dec);
	}
}

/* The account line's reason. */
static void
expect_account_reason(const struct h_login *l, const char *reason)
{
	char line[1024], want[128];
	const char *dec = h_decision(l, "account", line, sizeof(line));

	ck_assert_msg(dec != NULL, "no account decision; log:\n%s", l->log);
	(void)snprintf(want, sizeof(want), " reason=%s", reason);
	ck_assert_msg(ends_with(dec, want), "expected account reason=%s in: %s",
	    reason, dec);
	ck_assert_int_eq(h_count(l->log, "phase=account "), 1);
}

/* The two prompts every password+code login must see, exactly. */
static void
expect_two_prompts(const struct h_login *l)
{
	char pr[1024];

	(void)h_prompts_str(l, pr, sizeof(pr));
	ck_assert_msg(l->nprompts == 2 &&
	    l->prompts[0].style == PAM_PROMPT_ECHO_OFF &&
	    strcmp(l->prompts[0].text, "Password: ") == 0 &&
	    l->prompts[1].style == PAM_PROMPT_ECHO_OFF &&
	    strcmp(l->prompts[1].text, "Verification code: ") == 0,
	    "prompts: %s", pr);
}

static void
expect_code_prompt_only(const struct h_login *l)
{
	char pr[1024];

	(void)h_prompts_str(l, pr, sizeof(pr));
	ck_assert_msg(l->nprompts == 1 &&
	    l->prompts[0].style == PAM_PROMPT_ECHO_OFF &&
	    strcmp(l->prompts[0].text, "Verification code: ") == 0,
	    "expected only the code prompt, got: %s", pr);
}

/* A code that is wrong at both this step and the one before. */
static void
wrong_code(const char *secret, int64_t step, char out[16])
{
	char a[16], b[16];
	unsigned v;

	h_code(secret, step, a);
	h_code(secret, step - 1, b);
	v = (unsigned)strtoul(a, NULL, 10);
	do {
		v = (v + 1) % 1000000;
		(void)snprintf(out, 16, "%06u", v);
	} while (strcmp(out, a) == 0 || strcmp(out, b) == 0);
}

static void
reconfigure(unsigned attempts, unsigned lock_time)
{
	D.lockout_attempts = attempts;
	D.lockout_time = lock_time;
	h_write_config(&D, NULL);
}

/* ---- the basic flow ----------------------------------------------------- */

START_TEST(test_success)
{
	char code[16], line[1024], want[512];

	h_code(alice.secret, h_step_with_margin(3), code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	expect_two_prompts(&L);
	(void)snprintf(want, sizeof(want), "phase=auth user=alice service=%s "
	    "rhost=%s tty=%s src_zone=%s host_zone=%s rule=same_zone "
	    "factors=password,totp result=allow reason=ok", H_SERVICE,
	    H_RHOST, H_TTY, H_ZONE, H_ZONE);
	ck_assert_msg(strstr(L.log, want) != NULL, "want \"%s\" in log:\n%s",
	    want, L.log);
	expect_account_reason(&L, "ok");
	ck_assert_ptr_nonnull(h_decision(&L, "account", line, sizeof(line)));
	ck_assert_ptr_nonnull(strstr(line, "result=allow"));
}
END_TEST

START_TEST(test_wrong_password)
{
	char code[16];

	h_code(alice.secret, h_step_with_margin(3), code);
	run(&L, "alice", "not-alice's-password", code);
	expect(&L, PAM_AUTH_ERR, PAM_SUCCESS, "bad_password");
	expect_two_prompts(&L);
}
END_TEST

START_TEST(test_wrong_code)
{
	char bad[16];

	wrong_code(alice.secret, h_step_with_margin(3), bad);
	run(&L, "alice", alice.password, bad);
	expect(&L, PAM_AUTH_ERR, PAM_SUCCESS, "bad_code");
	expect_two_prompts(&L);
}
END_TEST

START_TEST(test_replay)
{
	char code[16];

	h_code(alice.secret, h_step_with_margin(3), code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, ANY, "replay");
	expect_two_prompts(&L);
}
END_TEST

/* Window 1: the previous step's code is good until a newer one is used. */
START_TEST(test_older_step_after_newer)
{
	char prev[16], cur[16];
	int64_t step = h_step_with_margin(5);

	h_code(alice.secret, step - 1, prev);
	h_code(alice.secret, step, cur);
	ck_assert_str_ne(prev, cur);	/* one in a million: rerun */
	run(&L, "alice", alice.password, prev);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	run(&L, "alice", alice.password, cur);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	run(&L, "alice", alice.password, prev);
	expect(&L, PAM_AUTH_ERR, ANY, "replay");
}
END_TEST

/* Several processes, one code, released at once: exactly one gets in. */
START_TEST(test_race_one_code)
{
	static struct h_user racers[RACE_ROUNDS];
	char name[32], code[16];
	int round, wins, replays;

	for (round = 0; round < RACE_ROUNDS; round++) {
		(void)snprintf(name, sizeof(name), "racer%02d", round);
		h_user_make(&racers[round], name);
		h_enrol(&D, &racers[round]);
	}
	for (round = 0; round < RACE_ROUNDS; round++) {
		const struct h_user *u = &racers[round];

		h_code(u->secret, h_step_with_margin(3), code);
		memset(&L, 0, sizeof(L));
		L.user = u->name;
		L.answers[0] = u->password;
		L.answers[1] = code;
		h_secret_add(code);
		wins = h_race(&D, &L, RACERS, &replays);
		ck_assert_msg(wins == 1 && replays == RACERS - 1,
		    "round %d: %d of %d racers logged in with one code, "
		    "%d refused as replays", round, wins, RACERS, replays);
	}
}
END_TEST

/* ---- lockout ------------------------------------------------------------ */

START_TEST(test_lockout)
{
	struct h_login ref;
	char prev[16], cur[16], bad[16];
	int64_t step;
	int i;

	reconfigure(3, 600);
	step = h_step_with_margin(4);
	h_code(alice.secret, step - 1, prev);
	h_code(alice.secret, step, cur);
	wrong_code(alice.secret, step, bad);
	/* N-1 failures do not lock, and a success starts the count anew. */
	for (i = 0; i < 2; i++) {
		run(&L, "alice", alice.password, bad);
		expect(&L, PAM_AUTH_ERR, PAM_SUCCESS, "bad_code");
	}
	run(&ref, "alice", alice.password, prev);
	expect(&ref, PAM_SUCCESS, PAM_SUCCESS, "ok");
	for (i = 0; i < 3; i++) {
		run(&L, "alice", alice.password, bad);
		expect(&L, PAM_AUTH_ERR, ANY, "bad_code");
	}
	ck_assert_msg(strstr(L.log, "user=alice locked after 3 failures") !=
	    NULL, "no lock message in:\n%s", L.log);
	/* Locked: right and wrong credentials alike, same questions. */
	run(&L, "alice", alice.password, cur);
	expect(&L, PAM_AUTH_ERR, PAM_PERM_DENIED, "locked");
	expect_account_reason(&L, "locked");
	ck_assert(h_same_prompts(&L, &ref));
	run(&L, "alice", "wrong-password", bad);
	expect(&L, PAM_AUTH_ERR, PAM_PERM_DENIED, "locked");
	ck_assert(h_same_prompts(&L, &ref));
	cli_ok(NULL, "unlock", "alice", NULL);
	h_code(alice.secret, h_step_with_margin(2), cur);
	run(&L, "alice", alice.password, cur);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
}
END_TEST

/* Hooks that act while alice's login waits at her code prompt. */
static void
lock_meanwhile(size_t index, void *arg)
{
	const char *bad = arg;
	struct h_login *other;
	pid_t pid;
	int status, i;

	if (index != 1)
		return;
	/* Other sessions fail three times (own process: own PAM state). */
	if ((pid = fork()) == 0) {
		if ((other = calloc(1, sizeof(*other))) == NULL)
			_exit(2);
		for (i = 0; i < 3; i++) {
			other->user = "alice";
			other->answers[0] = alice.password;
			other->answers[1] = bad;
			h_login(&D, other);
			if (other->auth_rc != PAM_AUTH_ERR)
				_exit(1);
		}
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
disable_meanwhile(size_t index, void *arg)
{
	(void)arg;
	if (index == 1)
		cli_ok(NULL, "disable", "alice", NULL);
}

/*
 * A session that began before the account was locked or disabled must
 * not succeed, nor clear the lock: otherwise many parallel sessions get
 * many guesses per lockout (found by review, reproduced here).
 */
START_TEST(test_state_changed_during_login)
{
	char cur[16], bad[16];
	int64_t step;

	reconfigure(3, 600);
	step = h_step_with_margin(6);
	h_code(alice.secret, step, cur);
	wrong_code(alice.secret, step, bad);
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	L.answers[1] = cur;
	L.before_answer = lock_meanwhile;
	L.hook_arg = bad;
	h_login(&D, &L);
	expect(&L, PAM_AUTH_ERR, PAM_PERM_DENIED, "locked");
	/* Still locked: the right code, in a new session, is refused. */
	run(&L, "alice", alice.password, cur);
	expect(&L, PAM_AUTH_ERR, PAM_PERM_DENIED, "locked");
	cli_ok(NULL, "unlock", "alice", NULL);
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	L.answers[1] = cur;
	L.before_answer = disable_meanwhile;
	h_login(&D, &L);
	expect(&L, PAM_AUTH_ERR, PAM_PERM_DENIED, "disabled");
}
END_TEST

/* Hanging up at the code prompt still costs a password guess. */
START_TEST(test_hangup_after_password_counts)
{
	char cur[16];
	int i;

	reconfigure(2, 600);
	for (i = 0; i < 2; i++) {
		memset(&L, 0, sizeof(L));
		L.user = "alice";
		L.answers[0] = "a-wrong-password";
		L.conv = H_CONV_ERR;
		L.conv_at = 1;
		h_login(&D, &L);
		expect(&L, PAM_AUTH_ERR, ANY, "conversation");
	}
	h_code(alice.secret, h_step_with_margin(2), cur);
	run(&L, "alice", alice.password, cur);
	expect(&L, PAM_AUTH_ERR, PAM_PERM_DENIED, "locked");
}
END_TEST

START_TEST(test_lockout_expiry)
{
	char code[16], bad[16];
	int64_t step;
	int i;

	/* Long enough that the fourth login's account phase still falls
	 * within the lock under valgrind, where a login takes a second. */
	reconfigure(3, 8);
	step = h_step_with_margin(3);
	h_code(alice.secret, step, code);
	wrong_code(alice.secret, step, bad);
	for (i = 0; i < 3; i++) {
		run(&L, "alice", alice.password, bad);
		expect(&L, PAM_AUTH_ERR, ANY, "bad_code");
	}
	/* Within the 8 s lock: refused although right. */
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, PAM_PERM_DENIED, "locked");
	(void)sleep(9);
	h_code(alice.secret, h_step_with_margin(2), code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
}
END_TEST

/* ---- users that must not be told apart ---------------------------------- */

START_TEST(test_unknown_user)
{
	struct h_login known;
	char code[16], p1[512], p2[512];

	h_code(alice.secret, h_step_with_margin(3), code);
	run(&known, "alice", alice.password, code);
	expect(&known, PAM_SUCCESS, PAM_SUCCESS, "ok");
	run(&L, "nosuchuser", alice.password, code);
	expect(&L, PAM_AUTH_ERR, PAM_USER_UNKNOWN, "unknown_user");
	expect_account_reason(&L, "unknown_user");
	ck_assert_msg(h_same_prompts(&known, &L), "known: %s; unknown: %s",
	    h_prompts_str(&known, p1, sizeof(p1)),
	    h_prompts_str(&L, p2, sizeof(p2)));
	expect_two_prompts(&L);
}
END_TEST

static const char *const invalid_names[] = {
	"bad user",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 40 bytes */
	"ali\nce",
	"alice\n",
	"-alice",
	"../../etc/passwd",
	"alice phase=auth result=allow",
};

START_TEST(test_invalid_user_name)
{
	struct h_login known;
	char code[16], bad[16], line[1024];
	const char *name = invalid_names[_i];

	wrong_code(alice.secret, h_step_with_margin(3), bad);
	run(&known, "alice", alice.password, bad);
	expect(&known, PAM_AUTH_ERR, PAM_SUCCESS, "bad_code");
	h_code(alice.secret, h_step_with_margin(3), code);
	run(&L, name, alice.password, code);
	expect(&L, PAM_AUTH_ERR, PAM_USER_UNKNOWN, NULL);
	ck_assert(h_same_prompts(&known, &L));
	ck_assert_ptr_nonnull(h_decision(&L, "auth", line, sizeof(line)));
	ck_assert_msg(strstr(line, "user=(invalid) ") != NULL, "%s", line);
	ck_assert_int_eq(h_count(L.log, "result="), 2);	/* no forged line */
}
END_TEST

START_TEST(test_disabled_user)
{
	struct h_login ref;
	char code[16], bad[16];

	wrong_code(alice.secret, h_step_with_margin(3), bad);
	run(&ref, "alice", alice.password, bad);
	expect(&ref, PAM_AUTH_ERR, PAM_SUCCESS, "bad_code");
	cli_ok(NULL, "disable", "alice", NULL);
	h_code(alice.secret, h_step_with_margin(3), code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, PAM_PERM_DENIED, "disabled");
	expect_account_reason(&L, "disabled");
	ck_assert(h_same_prompts(&ref, &L));
	cli_ok(NULL, "enable", "alice", NULL);
	h_code(alice.secret, h_step_with_margin(3), code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
}
END_TEST

START_TEST(test_no_totp)
{
	struct h_user bob;
	char line[128], code[16];

	/*
	 * bob has a password and no TOTP: no pass-through, and the account
	 * phase (an SSH key login) refuses him too, since his zone asks for
	 * a second factor he does not have.
	 */
	h_user_make(&bob, "bob");
	cli_ok(NULL, "add", "bob", "--zones=" H_ZONE);
	(void)snprintf(line, sizeof(line), "%s\n", bob.password);
	cli_ok(line, "passwd", "bob", "--password-stdin");
	h_code(bob.secret, h_step_with_margin(3), code);
	run(&L, "bob", bob.password, code);
	expect(&L, PAM_AUTH_ERR, PAM_PERM_DENIED, "no_token");
	expect_account_reason(&L, "no_token");
	memset(&L, 0, sizeof(L));
	L.user = "bob";
	L.answers[0] = bob.password;
	L.answers[1] = "";
	L.skip_account = true;	/* its refusal message is not a prompt */
	h_login(&D, &L);
	expect(&L, PAM_AUTH_ERR, ANY, "no_token");
	expect_two_prompts(&L);
	/* alice loses her TOTP: the old code opens nothing. */
	cli_ok(NULL, "revoke", "alice", "totp");
	h_code(alice.secret, h_step_with_margin(3), code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, ANY, "no_token");
}
END_TEST

START_TEST(test_no_password)
{
	struct h_user carol;
	char code[16];

	h_user_make(&carol, "carol");
	h_enrol_totp_only(&D, &carol);
	h_code(carol.secret, h_step_with_margin(3), code);
	run(&L, "carol", "", code);
	expect(&L, PAM_AUTH_ERR, ANY, "no_password");
	run(&L, "carol", "anything-at-all", code);
	expect(&L, PAM_AUTH_ERR, ANY, "no_password");
	expect_two_prompts(&L);
}
END_TEST

/* ---- broken deployments ------------------------------------------------- */

static void
random_file(const char *path, size_t len, unsigned mode)
{
	unsigned char *buf = malloc(len + 1);

	ck_assert_ptr_nonnull(buf);
	ck_assert(getrandom(buf, len, 0) == (ssize_t)len);
	buf[len] = '\0';
	/* h_write_file takes a string: no NUL inside, so write directly. */
	{
		FILE *f;

		(void)unlink(path);
		f = fopen(path, "wx");
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(fwrite(buf, 1, len, f), len);
		ck_assert_int_eq(fchmod(fileno(f), (mode_t)mode), 0);
		ck_assert_int_eq(fclose(f), 0);
	}
	free(buf);
}

enum breakage {
	B_CONFIG_MISSING,
	B_CONFIG_GARBAGE_LINE,
	B_CONFIG_RANDOM,
	B_CONFIG_IS_DIR,
	B_CONFIG_WORLD_WRITABLE,
	B_CONFIG_SYMLINK,
	B_CONFIG_BAD_VALUE,
	B_STORE_MISSING,
	B_STORE_CORRUPT,
	B_STORE_WORLD_WRITABLE,
	B_STORE_SYMLINK,
	B_STORE_WAL_WORLD_WRITABLE,
	B_KEY_MISSING,
	B_KEY_WORLD_READABLE,
	B_KEY_WRONG,
	B_KEY_SHORT,
	B_DIR_WORLD_WRITABLE,
	B_COUNT
};

static const char *const breakage_name[B_COUNT] = {
	"config missing", "config garbage line", "config random bytes",
	"config is a directory", "config mode 0666", "config symlink",
	"config value out of range", "store missing", "store random bytes",
	"store mode 0666", "store symlink", "store WAL mode 0666",
	"key missing", "key mode 0644",
	"key replaced by another", "key 31 bytes", "deployment dir 0777",
};

/* Breaks the deployment; says what the log must contain. */
static void
breakit(enum breakage b, char *expect_log, size_t len, const char **conf)
{
	static char other[H_PATH_MAX + 16];

	*conf = NULL;
	switch (b) {
	case B_CONFIG_MISSING:
		ck_assert_int_eq(unlink(D.conf), 0);
		(void)snprintf(expect_log, len, "%s", D.conf);
		break;
	case B_CONFIG_GARBAGE_LINE:
		/* The harness's config has 11 lines: this is line 12. */
		h_write_config(&D, "this line is garbage\n");
		(void)snprintf(expect_log, len, "%s:12:", D.conf);
		break;
	case B_CONFIG_RANDOM:
		random_file(D.conf, 4096, 0644);
		(void)snprintf(expect_log, len, "%s", D.conf);
		break;
	case B_CONFIG_IS_DIR:
		ck_assert_int_eq(unlink(D.conf), 0);
		ck_assert_int_eq(mkdir(D.conf, 0755), 0);
		(void)snprintf(expect_log, len, "%s", D.conf);
		break;
	case B_CONFIG_WORLD_WRITABLE:
		ck_assert_int_eq(chmod(D.conf, 0666), 0);
		(void)snprintf(expect_log, len, "%s: writable by group or "
		    "others", D.conf);
		break;
	case B_CONFIG_SYMLINK:
		(void)snprintf(other, sizeof(other), "%s/link.conf", D.dir);
		ck_assert_int_eq(symlink(D.conf, other), 0);
		(void)snprintf(expect_log, len, "%s: is a symbolic link",
		    other);
		*conf = other;
		break;
	case B_CONFIG_BAD_VALUE:
		h_write_config(&D, "totp_window = 9999\n");
		(void)snprintf(expect_log, len, "%s:12:", D.conf);
		break;
	case B_STORE_MISSING:
		ck_assert_int_eq(unlink(D.store), 0);
		(void)snprintf(expect_log, len, "%s", D.store);
		break;
	case B_STORE_CORRUPT:
		/* The WAL is kept (it holds recent pages): garble it too. */
		random_file(D.store, 8192, 0600);
		(void)snprintf(other, sizeof(other), "%s-wal", D.store);
		random_file(other, 8192, 0600);
		(void)snprintf(other, sizeof(other), "%s-shm", D.store);
		(void)unlink(other);
		(void)snprintf(expect_log, len, "%s", D.store);
		break;
	case B_STORE_WORLD_WRITABLE:
		ck_assert_int_eq(chmod(D.store, 0666), 0);
		(void)snprintf(expect_log, len, "%s: writable by group or "
		    "others", D.store);
		break;
	case B_STORE_SYMLINK:
		(void)snprintf(other, sizeof(other), "%s/real.db", D.dir);
		ck_assert_int_eq(rename(D.store, other), 0);
		ck_assert_int_eq(symlink(other, D.store), 0);
		(void)snprintf(expect_log, len, "%s: is a symbolic link",
		    D.store);
		break;
	case B_STORE_WAL_WORLD_WRITABLE:
		/* The persistent WAL holds live rows: as sensitive as the
		 * database file itself. */
		(void)snprintf(other, sizeof(other), "%s-wal", D.store);
		ck_assert_int_eq(chmod(other, 0666), 0);
		(void)snprintf(expect_log, len, "%s", other);
		break;
	case B_KEY_MISSING:
		ck_assert_int_eq(unlink(D.key), 0);
		(void)snprintf(expect_log, len, "%s", D.key);
		break;
	case B_KEY_WORLD_READABLE:
		ck_assert_int_eq(chmod(D.key, 0644), 0);
		(void)snprintf(expect_log, len, "%s: readable by group or "
		    "others", D.key);
		break;
	case B_KEY_WRONG:
		random_file(D.key, 64, 0600);
		(void)snprintf(expect_log, len, "TOTP secret of user alice "
		    "does not open with this key");
		break;
	case B_KEY_SHORT:
		random_file(D.key, 31, 0600);
		(void)snprintf(expect_log, len, "%s", D.key);
		break;
	case B_DIR_WORLD_WRITABLE:
		ck_assert_int_eq(chmod(D.dir, 0777), 0);
		(void)snprintf(expect_log, len, "%s: writable by group or "
		    "others", D.dir);
		break;
	default:
		ck_abort();
	}
}

START_TEST(test_broken_deployment)
{
	enum breakage b = (enum breakage)_i;
	char code[16], want[H_PATH_MAX + 64], line[1024], ctxbuf[96];
	const char *conf = NULL;
	struct stat st;

	breakit(b, want, sizeof(want), &conf);
	(void)snprintf(ctxbuf, sizeof(ctxbuf), "%s: ", breakage_name[b]);
	ctx = ctxbuf;
	if (conf != NULL)
		h_service(&D, NULL, conf, NULL, NULL);
	h_code(alice.secret, h_step_with_margin(3), code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, ANY, NULL);
	ck_assert_msg(strstr(L.log, want) != NULL, "%s: want \"%s\" in log:\n%s",
	    breakage_name[b], want, L.log);
	ck_assert_ptr_nonnull(h_decision(&L, "auth", line, sizeof(line)));
	/* A broken deployment is not an unknown user (the account phase
	 * maps unknown_user to PAM_USER_UNKNOWN, which stacks may ignore). */
	ck_assert_msg(strstr(line, "reason=unknown_user") == NULL &&
	    strstr(line, "reason=ok") == NULL, "%s: reason=unknown_user or "
	    "ok for a broken deployment; account gave %s; log:\n%s",
	    breakage_name[b], rc_name(L.acct_rc), L.log);
	if (b == B_KEY_WRONG) {
		ck_assert_msg(ends_with(line, " reason=tampered"), "%s", line);
	} else {
		ck_assert_msg(L.acct_rc == PAM_PERM_DENIED, "%s: account "
		    "gave %s, expected PAM_PERM_DENIED; log:\n%s",
		    breakage_name[b], rc_name(L.acct_rc), L.log);
	}
	if (b == B_STORE_MISSING)
		ck_assert_msg(lstat(D.store, &st) != 0,
		    "the module created the missing store");
	if (b == B_DIR_WORLD_WRITABLE)
		ck_assert_int_eq(chmod(D.dir, 0700), 0);
}
END_TEST

static const char *const bad_options[] = {
	"bogus_option",
	"language=fr",
	"language=",
	"config=relative/kakogawa.conf",
	"debug=1",
	"use_first_pass=yes",
	"DEBUG",
};

START_TEST(test_unknown_option)
{
	const char *opt = bad_options[_i];
	char code[16], pr[512];

	h_service(&D, NULL, NULL, opt, opt);
	h_code(alice.secret, h_step_with_margin(3), code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, PAM_PERM_DENIED, "config");
	ck_assert_msg(strstr(L.log, "unknown or malformed option") != NULL,
	    "log:\n%s", L.log);
	ck_assert_msg(L.nprompts == 0, "asked before refusing: %s",
	    h_prompts_str(&L, pr, sizeof(pr)));
}
END_TEST

/* ---- what people type --------------------------------------------------- */

START_TEST(test_code_formats)
{
	char code[16], spaced[16], padded[80], longcode[80], digits70[80];
	char trail[32], lead[32], seven[32], huge[1100];
	const char *bad[12];
	size_t i, n = 0;

	reconfigure(100, 600);	/* many refusals in a row: no lock */
	h_code(alice.secret, h_step_with_margin(6), code);
	(void)snprintf(spaced, sizeof(spaced), "%.3s %.3s", code, code + 3);
	(void)snprintf(padded, sizeof(padded), "%s%64s", code, "");
	(void)snprintf(longcode, sizeof(longcode), "%.3s%67s%.3s", code, "",
	    code + 3);
	memset(digits70, '1', 70);
	digits70[70] = '\0';
	(void)snprintf(trail, sizeof(trail), "%sx", code);
	(void)snprintf(lead, sizeof(lead), "-%s", code);
	(void)snprintf(seven, sizeof(seven), "%s0", code);
	memset(huge, '7', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	ck_assert_uint_eq(strlen(padded), 70);
	bad[n++] = padded;	/* right code, 70 chars: over the cap */
	bad[n++] = longcode;
	bad[n++] = digits70;
	bad[n++] = trail;
	bad[n++] = lead;
	bad[n++] = seven;
	bad[n++] = "abcdef";
	bad[n++] = "";
	bad[n++] = "12345";
	bad[n++] = "\t\t\t";
	bad[n++] = huge;
	for (i = 0; i < n; i++) {
		run(&L, "alice", alice.password, bad[i]);
		expect(&L, PAM_AUTH_ERR, PAM_SUCCESS, "bad_code");
	}
	run(&L, "alice", alice.password, spaced);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
}
END_TEST

/* ---- the conversation misbehaves ---------------------------------------- */

START_TEST(test_conversation_failures)
{
	static const enum h_conv_mode modes[] = {
		H_CONV_ERR, H_CONV_NULL_RESP, H_CONV_NULL_ARRAY,
	};
	char code[16];
	size_t m, at;

	h_code(alice.secret, h_step_with_margin(6), code);
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		for (at = 0; at < 2; at++) {
			memset(&L, 0, sizeof(L));
			L.user = "alice";
			L.answers[0] = alice.password;
			L.answers[1] = code;
			L.conv = modes[m];
			L.conv_at = at;
			h_login(&D, &L);
			expect(&L, PAM_AUTH_ERR, PAM_SUCCESS, "conversation");
			ck_assert_uint_eq(L.nprompts, at + 1);
		}
	}
	/* Six failed conversations are not guesses: no lock (limit 5). */
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
}
END_TEST

/* ---- options ------------------------------------------------------------ */

static void
service_with_authtok(const char *opt)
{
	char pre[H_PATH_MAX + 64];
	const char *mod = h_set_items_module();

	ck_assert_msg(mod != NULL, "pam_set_items.so not found: install "
	    "libpam-wrapper (scripts/install-deps); libpam lets only modules "
	    "set PAM_AUTHTOK");
	(void)snprintf(pre, sizeof(pre), "auth optional %s", mod);
	h_service(&D, pre, NULL, opt, NULL);
}

static void
run_authtok(const char *user, const char *authtok, const char *code)
{
	memset(&L, 0, sizeof(L));
	L.user = user;
	L.authtok = authtok;
	L.answers[0] = code;
	h_login(&D, &L);
}

/* ---- languages ------------------------------------------------------------ */

static void
expect_prompts(const struct h_login *l, const char *password,
    const char *code)
{
	char pr[1024];

	(void)h_prompts_str(l, pr, sizeof(pr));
	ck_assert_msg(l->nprompts == 2 &&
	    strcmp(l->prompts[0].text, password) == 0 &&
	    strcmp(l->prompts[1].text, code) == 0, "prompts: %s", pr);
}

/* language=ja in the stack: Japanese, though this process is in C. */
START_TEST(test_language_forced)
{
	char code[16];

	h_service(&D, NULL, NULL, "language=ja", "language=ja");
	h_code(alice.secret, h_step_with_margin(3), code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	expect_prompts(&L, "パスワード: ", "確認コード: ");
	/* The log stays English and parseable, whatever the language. */
	h_expect_line(&L, "auth", "result=allow reason=ok");
}
END_TEST

/* No option: the process's locale decides; language=en overrides it. */
START_TEST(test_language_locale)
{
	char code[16], bad[16];
	int64_t step;

	ck_assert_msg(setlocale(LC_ALL, "ja_JP.UTF-8") != NULL,
	    "the ja_JP.UTF-8 locale is not installed (scripts/install-deps)");
	step = h_step_with_margin(4);
	wrong_code(alice.secret, step, bad);
	run(&L, "alice", alice.password, bad);
	expect(&L, PAM_AUTH_ERR, ANY, "bad_code");
	expect_prompts(&L, "パスワード: ", "確認コード: ");
	h_service(&D, NULL, NULL, "language=en", "language=en");
	h_code(alice.secret, step, code);
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	expect_two_prompts(&L);
	(void)setlocale(LC_ALL, "C");
}
END_TEST

START_TEST(test_use_first_pass)
{
	char code[16];

	service_with_authtok("use_first_pass");
	h_code(alice.secret, h_step_with_margin(4), code);
	run_authtok("alice", "wrong-password", code);
	expect(&L, PAM_AUTH_ERR, PAM_SUCCESS, "bad_password");
	expect_code_prompt_only(&L);
	run_authtok("alice", NULL, code);	/* nothing earlier: no asking */
	expect(&L, PAM_AUTH_ERR, PAM_SUCCESS, "bad_password");
	expect_code_prompt_only(&L);
	run_authtok("alice", alice.password, code);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	expect_code_prompt_only(&L);
}
END_TEST

START_TEST(test_try_first_pass)
{
	struct h_user bob;
	char code[16];

	h_user_make(&bob, "bob");
	h_enrol(&D, &bob);
	service_with_authtok("try_first_pass");
	h_code(alice.secret, h_step_with_margin(4), code);
	run_authtok("alice", alice.password, code);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	expect_code_prompt_only(&L);
	h_code(bob.secret, h_step_with_margin(4), code);
	run(&L, "bob", bob.password, code);	/* nothing earlier: asks */
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	expect_two_prompts(&L);
}
END_TEST

START_TEST(test_second_factor_only)
{
	struct h_user carol;
	char code[16], bad[16], line[1024];

	h_user_make(&carol, "carol");
	h_enrol_totp_only(&D, &carol);
	h_service(&D, NULL, NULL, "second_factor_only", NULL);
	wrong_code(alice.secret, h_step_with_margin(4), bad);
	run(&L, "alice", bad, NULL);
	expect(&L, PAM_AUTH_ERR, PAM_SUCCESS, "bad_code");
	expect_code_prompt_only(&L);
	h_code(alice.secret, h_step_with_margin(4), code);
	run(&L, "alice", code, NULL);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	expect_code_prompt_only(&L);
	ck_assert_ptr_nonnull(h_decision(&L, "auth", line, sizeof(line)));
	ck_assert_msg(strstr(line, " factors=totp ") != NULL, "%s", line);
	/* The password was an earlier module's business. */
	h_code(carol.secret, h_step_with_margin(4), code);
	run(&L, "carol", code, NULL);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	run(&L, "nosuchuser", code, NULL);
	expect(&L, PAM_AUTH_ERR, PAM_USER_UNKNOWN, "unknown_user");
	expect_code_prompt_only(&L);
}
END_TEST

/* ---- nothing secret in what the module says ----------------------------- */

START_TEST(test_no_secrets_in_output)
{
	char code[16], spaced[16], bad[16], prev[16];
	int64_t step;

	h_service(&D, NULL, NULL, "debug", "debug");
	step = h_step_with_margin(8);
	h_code(alice.secret, step, code);
	h_code(alice.secret, step - 1, prev);
	wrong_code(alice.secret, step, bad);
	(void)snprintf(spaced, sizeof(spaced), "%.3s %.3s", prev, prev + 3);
	run(&L, "alice", alice.password, bad);
	expect(&L, PAM_AUTH_ERR, PAM_SUCCESS, "bad_code");
	run(&L, "alice", "alice-wrong-password", code);
	expect(&L, PAM_AUTH_ERR, PAM_SUCCESS, "bad_password");
	run(&L, "alice", alice.password, spaced);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_SUCCESS, PAM_SUCCESS, "ok");
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, ANY, "replay");
	run(&L, "nosuchuser", alice.password, code);
	expect(&L, PAM_AUTH_ERR, PAM_USER_UNKNOWN, "unknown_user");
	random_file(D.key, 64, 0600);	/* secret does not open */
	run(&L, "alice", alice.password, code);
	expect(&L, PAM_AUTH_ERR, ANY, "tampered");
	/* The capture works: every decision above was seen. */
	ck_assert_uint_ge(h_count(h_transcript(), "phase=auth "), 7);
	ck_assert_ptr_eq(h_leak_find(), NULL);
}
END_TEST

static Suite *
module_suite(void)
{
	Suite *s = suite_create("pam_module");
	TCase *tc;

	tc = tcase_create("flow");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_success);
	tcase_add_test(tc, test_wrong_password);
	tcase_add_test(tc, test_wrong_code);
	tcase_add_test(tc, test_replay);
	tcase_add_test(tc, test_older_step_after_newer);
	tcase_add_test(tc, test_code_formats);
	tcase_add_test(tc, test_conversation_failures);
	suite_add_tcase(s, tc);

	tc = tcase_create("race");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_race_one_code);
	suite_add_tcase(s, tc);

	tc = tcase_create("lockout");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_lockout);
	tcase_add_test(tc, test_state_changed_during_login);
	tcase_add_test(tc, test_hangup_after_password_counts);
	tcase_add_test(tc, test_lockout_expiry);
	suite_add_tcase(s, tc);

	tc = tcase_create("users");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_unknown_user);
	tcase_add_loop_test(tc, test_invalid_user_name, 0,
	    (int)(sizeof(invalid_names) / sizeof(invalid_names[0])));
	tcase_add_test(tc, test_disabled_user);
	tcase_add_test(tc, test_no_totp);
	tcase_add_test(tc, test_no_password);
	suite_add_tcase(s, tc);

	tc = tcase_create("deployment");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_broken_deployment, 0, B_COUNT);
	tcase_add_loop_test(tc, test_unknown_option, 0,
	    (int)(sizeof(bad_options) / sizeof(bad_options[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_language_forced);
	tcase_add_test(tc, test_language_locale);
	tcase_add_test(tc, test_use_first_pass);
	tcase_add_test(tc, test_try_first_pass);
	tcase_add_test(tc, test_second_factor_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("secrets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_no_secrets_in_output);
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
	sr = srunner_create(module_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (h_rmtree(base) != 0)
		(void)fprintf(stderr, "cannot remove %s\n", base);
	return failed == 0 ? 0 : 1;
}
