/*
 * Concurrency through the real libpam, in processes of their own: one code
 * raced by eight processes, round after round; two groups of processes
 * sending wrong codes for one person against the lockout; logins racing
 * the helpdesk while it replaces the person's password and secret. Sized
 * by conc_rounds(); each test prints its size and time to the log.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "conc.h"
#include "harness.h"
#include "kgw_totp.h"

#define RACERS 8
/*
 * The full size is 1000 rounds (and 2 x 500 wrong codes, 10 helpdesk
 * cycles), from the build directory:
 *   KGW_CONC_ROUNDS=1000 make -C tests check TESTS=pam/test_concurrency
 * On two cores that takes 1.5 to 2 minutes (the code race 35 to 60 s,
 * the helpdesk 35 s), so `make check` runs 300 rounds, about 25 s.
 */
#define DEFAULT_ROUNDS 300
#define SANITIZER_ROUNDS 60
#define VALGRIND_ROUNDS 2
#define GROUPS 2		/* of wrong codes, from two addresses */
#define GROUP_PROCS (C_WORKERS_MAX / GROUPS)
#define GROUP_MAX 500		/* 2 x 500: lockout_attempts stops at 1000 */
#define GROUP_MIN (2 * GROUP_PROCS)
/* The host's zone and one more, to take the person out of it. */
#define FLIP_ZONES H_ZONES "[zone internet]\nnetworks = 198.51.100.0/24\n"

static const char *const group_rhost[GROUPS] = { "192.0.2.10", "192.0.2.20" };

static struct h_deploy D;

static void
setup(void)
{
	h_deploy_new(&D);
}

static void
teardown(void)
{
	h_deploy_free(&D);
}

static bool
under_valgrind(void)
{
	const char *v = getenv("KGW_VALGRIND"), *p = getenv("LD_PRELOAD");

	return (v != NULL && v[0] != '\0') ||
	    (p != NULL && strstr(p, "vgpreload") != NULL);
}

/*
 * Rounds of the code race; the other tests scale from it. KGW_CONC_ROUNDS
 * sets it; else a part of the full run in the plain build, less under the
 * sanitizers (KGW_SANITIZERS), a token few under valgrind (check-valgrind
 * sets KGW_VALGRIND), where a login costs a second.
 */
static unsigned
conc_rounds(void)
{
	const char *s = getenv("KGW_CONC_ROUNDS"), *v;
	unsigned long n;
	char *end;

	if (s != NULL && *s != '\0') {
		errno = 0;
		n = strtoul(s, &end, 10);
		ck_assert_msg(errno == 0 && *end == '\0' && n >= 1 &&
		    n <= 100000, "KGW_CONC_ROUNDS=%s: 1 to 100000", s);
		return (unsigned)n;
	}
	if (under_valgrind())
		return VALGRIND_ROUNDS;
	if ((v = getenv("KGW_SANITIZERS")) != NULL && strcmp(v, "yes") == 0)
		return SANITIZER_ROUNDS;
	return DEFAULT_ROUNDS;
}

static void
reconfigure(unsigned attempts)
{
	D.lockout_attempts = attempts;
	D.totp_window = 1;	/* a code good across one step's end */
	D.zones = FLIP_ZONES;
	h_write_config(&D, NULL);
}

static void
new_secret(char out[H_B32_MAX])
{
	unsigned char raw[20];

	ck_assert(getrandom(raw, sizeof(raw), 0) == (ssize_t)sizeof(raw));
	ck_assert_int_eq(kgw_totp_init(), 0);
	ck_assert_int_eq(kgw_base32_encode(raw, sizeof(raw), out, H_B32_MAX),
	    0);
	kgw_totp_done();
	h_secret_add(out);
	h_secret_publish(out);
	explicit_bzero(raw, sizeof(raw));
}

static void
expect_count(const char *user, unsigned failures, bool locked)
{
	unsigned n;
	bool l;

	c_show(&D, user, &n, &l);
	ck_assert_msg(n == failures && l == locked, "%s: %u failures%s, "
	    "expected %u%s", user, n, l ? " (locked)" : "", failures,
	    locked ? " (locked)" : "");
}

/* ---- one code, eight processes ------------------------------------------ */

/*
 * Each round the helpdesk gives the person a new secret (so a fresh code
 * is at hand without waiting 30 s for the next step), then eight
 * processes, each with libpam started and the module loaded, send the
 * same right code at once: one gets in, seven are refused as replays.
 * Every round ends with the seven replays counted after the one success.
 */
START_TEST(test_same_code_eight_processes)
{
	static struct h_login L;
	struct h_user u;
	char secret[H_B32_MAX], code[16];
	unsigned rounds = conc_rounds(), round;
	int wins, replays;
	double t0 = c_now();

	reconfigure(100);	/* seven replays a round must not lock */
	h_user_make(&u, "racer");
	h_enrol(&D, &u);
	c_cheap_password(&D, u.name, u.password);
	for (round = 0; round < rounds; round++) {
		new_secret(secret);
		c_set_secret(&D, u.name, secret);
		/* Still good if the step ends mid-round (totp_window 1). */
		h_code(secret, kgw_totp_step(time(NULL)), code);
		memset(&L, 0, sizeof(L));
		L.user = u.name;
		L.answers[0] = u.password;
		L.answers[1] = code;
		wins = h_race(&D, &L, RACERS, &replays);
		ck_assert_msg(wins == 1 && replays == RACERS - 1,
		    "round %u: %d of %d processes logged in with one code, "
		    "%d refused as replays", round, wins, RACERS, replays);
	}
	expect_count(u.name, RACERS - 1, false);
	(void)fprintf(stderr, "# same code from %d processes: %u rounds "
	    "in %.1f s\n", RACERS, rounds, c_now() - t0);
	explicit_bzero(secret, sizeof(secret));
}
END_TEST

/* ---- two groups of wrong codes ------------------------------------------ */

/* A code that no step near now accepts. */
static void
wrong_code(const char *secret, char out[16])
{
	int64_t step = kgw_totp_step(time(NULL)), s;
	char near[5][16];
	unsigned v;
	bool clash;
	int i;

	for (i = 0, s = step - 2; i < 5; i++, s++)
		h_code(secret, s, near[i]);
	v = (unsigned)strtoul(near[2], NULL, 10);
	do {
		v = (v + 1) % 1000000;
		(void)snprintf(out, 16, "%06u", v);
		for (clash = false, i = 0; i < 5; i++)
			clash = clash || strcmp(out, near[i]) == 0;
	} while (clash);
}

struct guesses {
	const struct h_user *u;
	unsigned each;		/* wrong codes per group */
};

/* Worker w is in group w / GROUP_PROCS, which shares out its codes. */
static bool
next_guess(int worker, unsigned i, bool stop, struct h_login *l,
    char tag[8], void *arg)
{
	static char bad[16];
	struct guesses *g = arg;
	unsigned group = (unsigned)worker / GROUP_PROCS;
	unsigned k = (unsigned)worker % GROUP_PROCS;

	(void)stop;
	if (i >= g->each / GROUP_PROCS + (k < g->each % GROUP_PROCS))
		return false;
	wrong_code(g->u->secret, bad);
	l->user = g->u->name;
	l->answers[0] = g->u->password;
	l->answers[1] = bad;
	l->rhost = group_rhost[group];
	tag[0] = 'g';
	tag[1] = (char)('0' + group);
	return true;
}

/*
 * The trail has one failure record per counted failure, numbered 1..count
 * with none missing or twice; the lock first at the threshold (before it
 * none says locked, from it on every one does); every refusal as locked
 * after that record. Returns the refusals as locked in the trail.
 */
static unsigned
check_failure_trail(const char *user, unsigned count, unsigned threshold)
{
	struct c_rec *t;
	unsigned char *seen;
	size_t n, i, records = 0;
	int64_t lock_seq = 0;
	unsigned v, locked = 0;

	t = c_trail(&D, &n);
	ck_assert_ptr_nonnull(seen = calloc(count + 1, 1));
	for (i = 0; i < n; i++) {
		if (strcmp(t[i].user, user) != 0)
			continue;
		if (strcmp(t[i].reason, "locked") == 0) {
			ck_assert_msg(lock_seq != 0 && t[i].seq > lock_seq,
			    "refused as locked (seq %lld) before the lock "
			    "(seq %lld)", (long long)t[i].seq,
			    (long long)lock_seq);
			locked++;
		}
		if (strncmp(t[i].detail, "failures=", 9) != 0)
			continue;
		records++;
		v = (unsigned)strtoul(t[i].detail + 9, NULL, 10);
		ck_assert_msg(v >= 1 && v <= count && !seen[v],
		    "failure record %u (seq %lld) out of 1..%u or twice", v,
		    (long long)t[i].seq, count);
		seen[v] = 1;
		ck_assert_msg((strstr(t[i].detail, "locked=yes") != NULL) ==
		    (v >= threshold), "failure %u of threshold %u: \"%s\"",
		    v, threshold, t[i].detail);
		if (v == threshold)
			lock_seq = t[i].seq;
	}
	ck_assert_uint_eq(records, count);
	free(seen);
	free(t);
	return locked;
}

/*
 * Two groups of four processes send wrong codes for one person at once,
 * from two addresses. Every failure is counted (none lost to the race),
 * the lock falls on the failure that reaches the threshold, and after it
 * logins are refused as locked, not counted. A login already past its
 * reading of the record when the lock lands is judged and counted as the
 * guess it was, so the count ends at the threshold or up to one above it
 * per other process, and always equals the refusals counted.
 */
static void
lockout_groups(unsigned each, unsigned threshold)
{
	static struct h_login L;
	struct h_user u;
	struct guesses g = { &u, each };
	struct c_run run;
	struct c_result *res;
	size_t n, i;
	unsigned counted = 0, locked = 0, lock_lines = 0, per[GROUPS] = { 0 };
	unsigned total = GROUPS * each;
	char code[16];
	double t0 = c_now();

	reconfigure(threshold);
	h_user_make(&u, "guessed");
	h_enrol(&D, &u);
	c_cheap_password(&D, u.name, u.password);
	c_start(&D, &run, GROUPS * GROUP_PROCS, next_guess, &g);
	res = c_wait(&run, &n);
	ck_assert_uint_eq(n, total);
	for (i = 0; i < n; i++) {
		ck_assert_msg(res[i].auth_rc == PAM_AUTH_ERR, "login %zu: "
		    "rc %d reason %s", i, res[i].auth_rc, res[i].reason);
		if (strcmp(res[i].reason, "bad_code") == 0)
			counted++;
		else if (strcmp(res[i].reason, "locked") == 0)
			locked++;
		else
			ck_abort_msg("login %zu refused as %s", i,
			    res[i].reason);
		per[res[i].tag[1] == '1']++;
		lock_lines += res[i].lock_lines;
	}
	ck_assert_msg(per[0] == each && per[1] == each, "groups: %u, %u",
	    per[0], per[1]);
	ck_assert_msg(counted >= threshold && counted <= threshold +
	    C_WORKERS_MAX - 1 && counted + locked == total, "%u counted, %u "
	    "refused as locked, threshold %u", counted, locked, threshold);
	ck_assert_uint_eq(lock_lines, 1);
	expect_count(u.name, counted, true);
	ck_assert_uint_eq(check_failure_trail(u.name, counted, threshold),
	    locked);
	/* Locked: the right code too is refused, and not counted. */
	h_code(u.secret, h_step_with_margin(3), code);
	memset(&L, 0, sizeof(L));
	L.user = u.name;
	L.answers[0] = u.password;
	L.answers[1] = code;
	L.skip_account = true;
	h_login(&D, &L);
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	h_expect_line(&L, "auth", "reason=locked");
	expect_count(u.name, counted, true);
	(void)fprintf(stderr, "# %d x %u wrong codes from %d processes, "
	    "threshold %u: %u counted, %u refused as locked, in %.1f s\n",
	    GROUPS, each, GROUPS * GROUP_PROCS, threshold, counted, locked,
	    c_now() - t0);
	free(res);
}

static unsigned
group_size(void)
{
	unsigned each = conc_rounds() / GROUPS;

	return each > GROUP_MAX ? GROUP_MAX : each < GROUP_MIN ?
	    GROUP_MIN : each;
}

/* Threshold = every guess: all are counted, and the last one locks. */
START_TEST(test_wrong_codes_all_counted)
{
	lockout_groups(group_size(), GROUPS * group_size());
}
END_TEST

/* Threshold well inside the run (300 of 1000): the lock falls there. */
START_TEST(test_wrong_codes_lock_at_threshold)
{
	unsigned each = group_size();

	lockout_groups(each, GROUPS * each * 3 / 10);
}
END_TEST

/* ---- logins racing the helpdesk (conc_flip.c) --------------------------- */

START_TEST(test_logins_during_enrolment)
{
	unsigned cycles = conc_rounds() / 100;

	reconfigure(1000);	/* mixtures fail often: keep them unlocked */
	c_flip(&D, cycles < 2 ? 2 : cycles);
}
END_TEST

static Suite *
concurrency_suite(void)
{
	Suite *s = suite_create("pam_concurrency");
	TCase *tc;

	/* Generous: KGW_CONC_ROUNDS=1000 takes minutes on two busy cores. */
	tc = tcase_create("race");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 1800);
	tcase_add_test(tc, test_same_code_eight_processes);
	suite_add_tcase(s, tc);

	tc = tcase_create("lockout");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 1200);
	tcase_add_test(tc, test_wrong_codes_all_counted);
	tcase_add_test(tc, test_wrong_codes_lock_at_threshold);
	suite_add_tcase(s, tc);

	tc = tcase_create("enrolment");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 1200);
	tcase_add_test(tc, test_logins_during_enrolment);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * Deployments in memory where there is a tmpfs: thousands of commits, each
 * an fsync on disk, would measure the disk, not the races.
 */
int
main(void)
{
	char shm[] = "/dev/shm/kgw-conctest.XXXXXX";
	char tmp[] = "/tmp/kgw-conctest.XXXXXX";
	const char *base;
	SRunner *sr;
	int failed;

	if ((base = mkdtemp(shm)) == NULL && (base = mkdtemp(tmp)) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	h_set_base(base);
	sr = srunner_create(concurrency_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (h_rmtree(base) != 0)
		(void)fprintf(stderr, "cannot remove %s\n", base);
	return failed == 0 ? 0 : 1;
}
