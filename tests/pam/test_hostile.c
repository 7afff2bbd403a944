/*
 * Hostile input through the real libpam (harness.c): user names, codes,
 * passwords, PAM_RHOST and PAM_TTY of every odd shape. Each is refused
 * with its reason in the decision line, nothing of it reaches the log raw,
 * and the person's state changes only where a guess was made.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "harness.h"

#define STATE_MAX 8192
#define BIG 10000		/* bytes of the long cases */
/*
 * Denied either way: libpam built with libaudit sends PAM_RHOST and
 * PAM_TTY to the kernel's audit log, fails on 10,000 bytes and turns the
 * module's PAM_AUTH_ERR (or PAM_PERM_DENIED) into PAM_SYSTEM_ERR.
 */
#define DENIED_OR_SYSTEM (-2)

static struct h_deploy D;
static struct h_user alice;
static struct h_login L;	/* big: not on the stack */
static char big_a[BIG + 1], big_1[BIG + 1], big_9[BIG + 1];
static char *mib;		/* 1 MiB password */

static void
setup(void)
{
	h_deploy_new(&D);
	/* A wide window: the code taken at the start of a test must still
	 * be good at its end, under valgrind too. No lock: the tests count
	 * failures, they do not lock. */
	D.totp_window = 10;
	D.lockout_attempts = 200;
	h_write_config(&D, NULL);
	h_user_make(&alice, "alice");
	h_enrol(&D, &alice);
	memset(big_a, 'a', BIG);
	memset(big_1, '1', BIG);
	memset(big_9, '9', BIG);
	mib = malloc((1u << 20) + 1);
	ck_assert_ptr_nonnull(mib);
	memset(mib, 'p', 1u << 20);
	mib[1u << 20] = '\0';
}

static void
teardown(void)
{
	const char *leak = h_leak_find();

	free(mib);
	h_deploy_free(&D);
	ck_assert_msg(leak == NULL, "a secret appears in the captured log, "
	    "prompts or messages");
}

/* ---- what every case checks --------------------------------------------- */

/* The person's state and the list of people, as the CLI shows them. */
static void
state(char out[STATE_MAX])
{
	char show[STATE_MAX / 2], list[STATE_MAX / 2];
	int rc;

	rc = h_cli(&D, NULL, show, sizeof(show), "--json", "show", "alice",
	    (char *)NULL);
	ck_assert_msg(rc == 0, "show alice: exit %d: %s", rc, show);
	rc = h_cli(&D, NULL, list, sizeof(list), "--json", "list",
	    (char *)NULL);
	ck_assert_msg(rc == 0, "list: exit %d: %s", rc, list);
	(void)snprintf(out, STATE_MAX, "%s\n%s", show, list);
}

static unsigned
failures(void)
{
	char s[STATE_MAX];
	const char *p;

	state(s);
	p = strstr(s, "\"failures\":");
	ck_assert_ptr_nonnull(p);
	return (unsigned)strtoul(p + 11, NULL, 10);
}

/*
 * No byte of the input reaches the log raw: every line is the module's,
 * printable ASCII only (no \n, \r, \t, ESC, DEL or byte >= 0x80 that could
 * forge a line or steer a terminal reading syslog).
 */
static void
log_clean(const char *what, const struct h_login *l)
{
	const unsigned char *p = (const unsigned char *)l->log;
	bool line_start = true;

	for (; *p != '\0'; p++) {
		if (line_start)
			ck_assert_msg(strncmp((const char *)p, "pam_kakogawa(",
			    13) == 0 || strncmp((const char *)p, "PAM audit_",
			    10) == 0, "%s: a log line not the module's: %.80s",
			    what, (const char *)p);
		line_start = *p == '\n';
		ck_assert_msg(*p == '\n' || (*p >= 0x20 && *p < 0x7f),
		    "%s: byte 0x%02x in the log:\n%s", what, *p, l->log);
	}
}

/* The auth decision line: deny (or allow) with this reason, and rule. */
static void
decided(const char *what, const struct h_login *l, int auth, int acct,
    const char *fields)
{
	char pr[1024];

	ck_assert_msg(l->start_rc == PAM_SUCCESS, "%s: pam_start %d", what,
	    l->start_rc);
	ck_assert_msg(l->auth_rc == auth || (auth == DENIED_OR_SYSTEM &&
	    (l->auth_rc == PAM_AUTH_ERR || l->auth_rc == PAM_SYSTEM_ERR)),
	    "%s: pam_authenticate %d, want %d; "
	    "prompts %s; log:\n%s", what, l->auth_rc, auth,
	    h_prompts_str(l, pr, sizeof(pr)), l->log);
	ck_assert_msg(l->acct_rc == acct || (acct == DENIED_OR_SYSTEM &&
	    (l->acct_rc == PAM_PERM_DENIED || l->acct_rc == PAM_SYSTEM_ERR)),
	    "%s: pam_acct_mgmt %d, want %d; "
	    "log:\n%s", what, l->acct_rc, acct, l->log);
	ck_assert_msg(h_count(l->log, "phase=auth ") == 1 &&
	    h_count(l->log, "phase=account ") == 1, "%s: one decision line "
	    "a phase; log:\n%s", what, l->log);
	h_expect_line(l, "auth", fields);
	log_clean(what, l);
}

static void
run(const char *user, const char *a0, const char *a1, const char *a2)
{
	memset(&L, 0, sizeof(L));
	L.user = user;
	L.answers[0] = a0;
	L.answers[1] = a1;
	L.answers[2] = a2;
	h_login(&D, &L);
}

/* ---- user names --------------------------------------------------------- */

struct name_case {
	const char *what;
	const char *name;
	const char *reason;	/* invalid_input: refused by its shape */
};

/* NULL name: the 10,000-byte one, filled in at run time. */
static const struct name_case names[] = {
	{ "empty", "", "invalid_input" },
	{ "10,000 bytes", NULL, "invalid_input" },
	{ "a slash", "a/b", "invalid_input" },
	{ "only a slash", "/", "invalid_input" },
	{ "dot", ".", "invalid_input" },
	{ "dot dot", "..", "invalid_input" },
	{ "a/../b", "a/../b", "invalid_input" },
	{ "../alice", "../alice", "invalid_input" },
	{ "newline", "ali\nce", "invalid_input" },
	{ "newline, forged line", "x\npam_kakogawa(kgwtest:auth): phase=auth "
	    "user=alice result=allow", "invalid_input" },
	{ "carriage return", "alice\r", "invalid_input" },
	{ "tab", "ali\tce", "invalid_input" },
	{ "escape sequence", "\x1b[2Jalice", "invalid_input" },
	{ "DEL", "alice\x7f", "invalid_input" },
	{ "control A", "al\x01ice", "invalid_input" },
	{ "byte 0xff", "alice\xff", "invalid_input" },
	{ "broken UTF-8 pair", "\xc3\x28lice", "invalid_input" },
	{ "overlong '/' (2 bytes)", "a\xc0\xaf" "b", "invalid_input" },
	{ "overlong '/' (3 bytes)", "a\xe0\x80\xaf" "b", "invalid_input" },
	{ "UTF-16 surrogate", "a\xed\xa0\x80", "invalid_input" },
	{ "full-width letters", "\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x89"
	    "\xef\xbd\x83\xef\xbd\x85", "invalid_input" },
	{ "leading '-'", "-alice", "invalid_input" },
	{ "an option", "--help", "invalid_input" },
	/* Not " alice": typed names are registered as secrets by the
	 * harness, and "alice " is in every log line of alice. */
	{ "leading space", " zed", "invalid_input" },
	{ "trailing space", "zed ", "invalid_input" },
	{ "format directives", "alice%n%s%x", "invalid_input" },
	{ "key=value", "alice result=allow", "invalid_input" },
	{ "all digits", "12345", "invalid_input" },
	/* Names are case-sensitive, as on the system: another person. */
	{ "upper case", "ALICE", "unknown_user" },
	{ "mixed case", "Alice", "unknown_user" },
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static const char *
name_of(const struct name_case *c)
{
	return c->name != NULL ? c->name : big_a;
}

/*
 * One hostile name, given as PAM_USER (by_prompt false) or typed at the
 * module's login prompt. Refused like an unknown user: the same questions,
 * denied at the end, account PAM_USER_UNKNOWN; the log says (invalid)
 * rather than the name.
 */
static void
name_login(const struct name_case *c, bool by_prompt, const char *code,
    const struct h_login *ref)
{
	char what[128], want[128];
	size_t skip = by_prompt ? 1 : 0, i;

	(void)snprintf(what, sizeof(what), "name %s%s", c->what,
	    by_prompt ? " (typed at the prompt)" : "");
	if (by_prompt)
		run(NULL, name_of(c), alice.password, code);
	else
		run(name_of(c), alice.password, code, NULL);
	(void)snprintf(want, sizeof(want), "user=%.32s result=deny reason=%s",
	    strcmp(c->reason, "unknown_user") == 0 ? name_of(c) : "(invalid)",
	    c->reason);
	decided(what, &L, PAM_AUTH_ERR, PAM_USER_UNKNOWN, want);
	/* Nothing tells the name apart: alice's own questions, no message. */
	ck_assert_msg(L.nprompts == ref->nprompts + skip, "%s: %zu prompts",
	    what, L.nprompts);
	if (by_prompt)
		ck_assert_int_eq(L.prompts[0].style, PAM_PROMPT_ECHO_ON);
	for (i = 0; i < ref->nprompts; i++)
		ck_assert_msg(L.prompts[i + skip].style == ref->prompts[i].style
		    && strcmp(L.prompts[i + skip].text, ref->prompts[i].text)
		    == 0, "%s: prompt %zu is \"%s\"", what, i + skip,
		    L.prompts[i + skip].text);
}

START_TEST(test_user_names)
{
	char before[STATE_MAX], after[STATE_MAX], code[16], bad[16];
	struct h_login ref;
	size_t i;
	int64_t step = h_step_with_margin(3);

	h_code(alice.secret, step, code);
	(void)snprintf(bad, sizeof(bad), "%06d", (atoi(code) + 1) % 1000000);
	memset(&ref, 0, sizeof(ref));
	ref.user = "alice";
	ref.answers[0] = "not-her-password";
	ref.answers[1] = bad;
	h_login(&D, &ref);
	ck_assert_int_eq(ref.auth_rc, PAM_AUTH_ERR);
	ck_assert_uint_eq(h_questions(&ref), 2);
	state(before);
	for (i = 0; i < NNAMES; i++) {
		name_login(&names[i], false, code, &ref);
		/* Under valgrind (make check-valgrind), one name in four
		 * also typed: the same code path, a quarter of the time. */
		if (getenv("KGW_VALGRIND") == NULL || i % 4 == 0)
			name_login(&names[i], true, code, &ref);
		/* Not alice, so not her failure: no one's state moves, and no
		 * person appears (no record is made for a name). */
		state(after);
		ck_assert_msg(strcmp(before, after) == 0, "name %s changed the "
		    "store:\n%s\nthen:\n%s", names[i].what, before, after);
	}
	/* The right code was typed for every name: none of them used it. */
	run("alice", alice.password, code, NULL);
	decided("alice after", &L, PAM_SUCCESS, PAM_SUCCESS, "reason=ok");
}
END_TEST

/*
 * PAM_USER is a C string, and so is every answer of the conversation:
 * libpam and sshd pass names as char *, so "alice\0evil" is "alice" before
 * the module sees it. The boundary cannot carry a NUL; what arrives is an
 * ordinary name, judged as that person. Here: alice with a wrong code, a
 * failure counted against alice, as for any of her wrong codes.
 */
START_TEST(test_user_name_nul)
{
	static const char with_nul[] = "alice\0evil";
	char bad[16], code[16], want[64];
	unsigned before = failures();

	h_code(alice.secret, h_step_with_margin(3), code);
	(void)snprintf(bad, sizeof(bad), "%06d", (atoi(code) + 1) % 1000000);
	(void)snprintf(want, sizeof(want), "user=alice reason=bad_code");
	run(with_nul, alice.password, bad, NULL);
	decided("NUL in PAM_USER", &L, PAM_AUTH_ERR, PAM_SUCCESS, want);
	run(NULL, with_nul, alice.password, bad);
	decided("NUL typed at the prompt", &L, PAM_AUTH_ERR, PAM_SUCCESS,
	    want);
	ck_assert_uint_eq(failures(), before + 2);
}
END_TEST

/* ---- codes -------------------------------------------------------------- */

/* Codes of every shape, typed by alice after her right password. */
START_TEST(test_codes)
{
	char code[16], trail[32], nl[32], tab[32], minus[32], plus[32];
	char eight[32], seven[32];
	const char *cases[24];
	size_t n = 0, i;
	unsigned count;

	h_code(alice.secret, h_step_with_margin(3), code);
	(void)snprintf(trail, sizeof(trail), "%sx", code);
	(void)snprintf(nl, sizeof(nl), "%s\n", code);
	(void)snprintf(tab, sizeof(tab), "%.3s\t%s", code, code + 3);
	(void)snprintf(minus, sizeof(minus), "-%s", code);
	(void)snprintf(plus, sizeof(plus), "+%s", code);
	(void)snprintf(seven, sizeof(seven), "%s7", code);
	(void)snprintf(eight, sizeof(eight), "%s00", code);
	cases[n++] = "";
	cases[n++] = "      ";
	cases[n++] = "12345";		/* 5 digits */
	cases[n++] = seven;		/* the right one and a 7th digit */
	cases[n++] = eight;		/* 8 digits (the config says 6) */
	/* Full-width and Arabic-Indic digits: digits, but not ASCII. */
	cases[n++] = "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94"
	    "\xef\xbc\x95\xef\xbc\x96";
	cases[n++] = "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6";
	cases[n++] = trail;		/* the right code, then garbage */
	cases[n++] = nl;		/* the right code, then a newline */
	cases[n++] = tab;		/* a tab is not a space */
	cases[n++] = big_1;		/* 10,000 digits */
	cases[n++] = minus;
	cases[n++] = plus;
	cases[n++] = "0x1E240";		/* 123456 in hex */
	cases[n++] = "1e5";
	cases[n++] = "\xff\xfe\xfd\xfc\xfb\xfa";
	cases[n++] = "%n%n%n%n%n%n";
	ck_assert(n <= sizeof(cases) / sizeof(cases[0]));
	count = failures();
	for (i = 0; i < n; i++) {
		char what[64];

		(void)snprintf(what, sizeof(what), "code case %zu", i);
		run("alice", alice.password, cases[i], NULL);
		decided(what, &L, PAM_AUTH_ERR, PAM_SUCCESS,
		    "user=alice result=deny reason=bad_code");
		/* A wrong code after her right password is a guess at her
		 * second factor: it counts, whatever its shape, so that
		 * odd shapes are no free guesses. */
		ck_assert_msg(failures() == ++count, "%s: failures %u, want "
		    "%u", what, failures(), count);
	}
	/* None of them used the step up: the right code still opens. */
	run("alice", alice.password, code, NULL);
	decided("right code after", &L, PAM_SUCCESS, PAM_SUCCESS, "reason=ok");
	ck_assert_uint_eq(failures(), 0);
}
END_TEST

/* ---- passwords ---------------------------------------------------------- */

/*
 * Passwords of every shape, with alice's right code. The module compares
 * at most KGW_PASSWORD_MAX (512, PAM_MAX_RESP_SIZE) bytes: longer is
 * wrong without being hashed. libpam does not cap what a conversation
 * returns, so a 1 MiB answer reaches the module and must be refused.
 */
START_TEST(test_passwords)
{
	char code[16], pw_nl[96], nl_pw[96], pw_sp[96], mid[128];
	const char *cases[12];
	size_t n = 0, i;
	unsigned count;

	h_code(alice.secret, h_step_with_margin(3), code);
	(void)snprintf(pw_nl, sizeof(pw_nl), "%s\n", alice.password);
	(void)snprintf(nl_pw, sizeof(nl_pw), "\n%s", alice.password);
	(void)snprintf(pw_sp, sizeof(pw_sp), "%s ", alice.password);
	ck_assert(snprintf(mid, sizeof(mid), "%.8s\n%s", alice.password,
	    alice.password + 8) < (int)sizeof(mid));
	cases[n++] = "";
	cases[n++] = big_9;		/* 10,000 bytes */
	cases[n++] = mib;		/* 1 MiB */
	cases[n++] = "\xff\xfe\xc0\xaf\xed\xa0\x80";
	cases[n++] = pw_nl;
	cases[n++] = nl_pw;
	cases[n++] = pw_sp;
	cases[n++] = mid;		/* a newline inside */
	cases[n++] = "%s%s%s%n";
	count = failures();
	for (i = 0; i < n; i++) {
		char what[64];

		(void)snprintf(what, sizeof(what), "password case %zu", i);
		run("alice", cases[i], code, NULL);
		decided(what, &L, PAM_AUTH_ERR, PAM_SUCCESS,
		    "user=alice result=deny reason=bad_password");
		ck_assert_msg(failures() == ++count, "%s: failures %u, want "
		    "%u", what, failures(), count);
	}
	/* The right code typed with each wrong password was not used up. */
	run("alice", alice.password, code, NULL);
	decided("right password after", &L, PAM_SUCCESS, PAM_SUCCESS,
	    "reason=ok");
}
END_TEST

/* ---- where from: PAM_RHOST and PAM_TTY ---------------------------------- */

struct site_case {
	const char *what;
	const char *rhost;	/* NULL: unset (a console login) */
	const char *tty;	/* NULL: H_TTY */
	const char *rule;	/* the refusal's rule */
};

/* NULL fields of big cases filled at run time: see site_value. */
static const struct site_case sites[] = {
	{ "garbage", "\x01\x02garbage\x1b[0m", NULL, "rhost_not_address" },
	{ "empty", "", NULL, "rhost_not_address" },
	{ "10,000 bytes", "BIG", NULL, "rhost_not_address" },
	{ "localhost", "localhost", NULL, "rhost_not_address" },
	{ "host name", "host.example", NULL, "rhost_not_address" },
	{ "scoped link-local", "fe80::1%eth0", NULL, "rhost_not_address" },
	{ "scope by number", "fe80::1%1", NULL, "rhost_not_address" },
	{ "scoped global", "2001:db8::1%eth0", NULL, "rhost_not_address" },
	{ "scoped mapped v4", "::ffff:192.0.2.10%lo", NULL,
	    "rhost_not_address" },
	{ "port", "192.0.2.10:22", NULL, "rhost_not_address" },
	{ "bracketed with port", "[2001:db8::1]:22", NULL,
	    "rhost_not_address" },
	{ "brackets", "[192.0.2.10]", NULL, "rhost_not_address" },
	{ "decimal form", "3221226250", NULL, "rhost_not_address" },
	{ "short form", "192.0.2", NULL, "rhost_not_address" },
	{ "trailing newline", "192.0.2.10\n", NULL, "rhost_not_address" },
	{ "trailing space", "192.0.2.10 ", NULL, "rhost_not_address" },
	{ "CIDR", "192.0.2.10/32", NULL, "rhost_not_address" },
	{ "in no zone", "0.0.0.0", NULL, "source_unknown" },
	{ "broadcast", "255.255.255.255", NULL, "source_unknown" },
	{ "unspecified v6", "::", NULL, "source_unknown" },
	/* No PAM_RHOST: the terminal decides, and these are no console. */
	{ "tty escape", NULL, "\x1b]0;owned\x07", "tty_not_console" },
	{ "tty newline", NULL, "tty1\n", "tty_not_console" },
	{ "tty path trick", NULL, "/dev/../dev/tty1", "tty_not_console" },
	{ "tty space", NULL, "tty1 ", "tty_not_console" },
	{ "tty sign", NULL, "tty-1", "tty_not_console" },
	{ "tty bare", NULL, "tty", "tty_not_console" },
	{ "tty 10,000 bytes", NULL, "BIG", "tty_not_console" },
	{ "tty pseudo-terminal", NULL, "pts/0", "tty_not_console" },
	{ "tty display (off by default)", NULL, ":0", "tty_not_console" },
	{ "tty empty", NULL, "", "source_unknown" },
};
#define NSITES (sizeof(sites) / sizeof(sites[0]))

static const char *
site_value(const char *v)
{
	return v != NULL && strcmp(v, "BIG") == 0 ? big_a : v;
}

/*
 * Refused by where the login comes from, before any question: no secret
 * was asked, so nothing is a guess and no one's state changes.
 */
START_TEST(test_sites)
{
	char before[STATE_MAX], after[STATE_MAX], code[16], want[128];
	size_t i;

	h_code(alice.secret, h_step_with_margin(3), code);
	state(before);
	for (i = 0; i < NSITES; i++) {
		const struct site_case *c = &sites[i];
		char what[96];
		bool big;

		(void)snprintf(what, sizeof(what), "site %s", c->what);
		memset(&L, 0, sizeof(L));
		L.user = "alice";
		L.answers[0] = alice.password;
		L.answers[1] = code;
		L.rhost = site_value(c->rhost);
		L.no_rhost = c->rhost == NULL;
		L.tty = site_value(c->tty);
		h_login(&D, &L);
		(void)snprintf(want, sizeof(want), "result=deny reason=zone "
		    "rule=%s factors=-", c->rule);
		big = site_value(c->rhost) == big_a ||
		    site_value(c->tty) == big_a;
		decided(what, &L, big ? DENIED_OR_SYSTEM : PAM_AUTH_ERR,
		    big ? DENIED_OR_SYSTEM : PAM_PERM_DENIED, want);
		ck_assert_msg(h_questions(&L) == 0, "%s: asked %zu questions",
		    what, h_questions(&L));
		ck_assert(h_told(&L, PAM_ERROR_MSG,
		    "Login from this location is not permitted"));
		state(after);
		ck_assert_msg(strcmp(before, after) == 0, "%s changed the "
		    "store:\n%s\nthen:\n%s", what, before, after);
	}
	/*
	 * Accepted forms: IPv4 written as IPv4-mapped IPv6 is the same
	 * address. And for a remote login the terminal's name has no say
	 * (sshd sets "ssh"; the address decides): a garbage PAM_TTY is only
	 * shown, made harmless, in the log line.
	 */
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	L.answers[1] = code;
	L.rhost = "::ffff:192.0.2.10";
	L.tty = "\x1b[2J\n\r\tphase=auth result=allow";
	h_login(&D, &L);
	decided("mapped address, garbage tty", &L, PAM_SUCCESS, PAM_SUCCESS,
	    "rhost=::ffff:192.0.2.10 src_zone=lgwan rule=same_zone "
	    "result=allow reason=ok");
	ck_assert_msg(strstr(L.log, " tty=?[2J???phase?auth?result?allow ") !=
	    NULL, "tty not masked:\n%s", L.log);
}
END_TEST

static Suite *
hostile_suite(void)
{
	Suite *s = suite_create("pam_hostile");
	TCase *tc = tcase_create("input");

	/* Many logins a test, each hashing a password: valgrind is slow. */
	tcase_set_timeout(tc, 900);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_user_names);
	tcase_add_test(tc, test_user_name_nul);
	tcase_add_test(tc, test_codes);
	tcase_add_test(tc, test_passwords);
	tcase_add_test(tc, test_sites);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	char base[] = "/tmp/kgw-hostile.XXXXXX";
	SRunner *sr;
	int failed;

	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	h_set_base(base);
	sr = srunner_create(hostile_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (h_rmtree(base) != 0)
		(void)fprintf(stderr, "cannot remove %s\n", base);
	return failed == 0 ? 0 : 1;
}
