/*
 * Logins racing the helpdesk (test_concurrency.c runs it): one person
 * switched between two sets of credentials, taken out of their zone and
 * given a password or a secret nobody sends, while workers log in; the
 * audit trail, replayed, says what each allowed login committed against.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "conc.h"
#include "harness.h"
#include "kgw_password.h"
#include "kgw_totp.h"

#define FLIP_WORKERS 4
#define FLIP_MIN_LOGINS 2	/* each worker, however slow */
/*
 * The helpdesk's rhythm: a settled state lasts longer than a login (under
 * load), so that logins can win; a change comes soon after fresh steps,
 * so that the logins that read them commit after it.
 */
#define FLIP_PAUSE_US 300000
#define FLIP_SETTLE_US 20000
#define FLIP_AWAY_US 300000
/* A person reads the code off the token: the record was read long ago. */
#define FLIP_TYPING_US 150000
/* How long either side waits for the other over a held login (valgrind). */
#define HOLD_WAIT_S 120.0

static const struct h_deploy *dd;	/* the deployment of this run */

/*
 * A login held over a change, so that a missed re-check at commit shows
 * whatever the timing: the helpdesk asks (WANTED); the next worker about
 * to log in with the person's credentials takes it (CLAIMED) and waits
 * while the helpdesk renews the secret, a step nobody has used (GO); the
 * login reads the record, checks the password and stops at the code
 * prompt (READY); the helpdesk makes the change and lets it go on
 * (RELEASED); the worker says when it is over (DONE). Its commit must
 * refuse, for the change's reason. Meanwhile the others send a wrong
 * password, so that no success takes the held login's step.
 */
enum { HOLD_IDLE, HOLD_WANTED, HOLD_CLAIMED, HOLD_GO, HOLD_READY,
	HOLD_RELEASED, HOLD_DONE };

/* Shared by the helpdesk and the workers (MAP_SHARED). */
struct shared {
	int now;	/* the set in force, 0 or 1 */
	int hold;	/* HOLD_* */
	char kind;	/* what the held login is held over (hold_reason) */
};

/*
 * The helpdesk switches one person between set A (password A, secret A)
 * and set B, takes their zone away and gives it back, and sets a password
 * nobody sends (C) and a secret nobody's codes come from (C), then the
 * right ones again, while workers log in with A, B and the mixtures.
 * Every change is one CLI command, so one transaction. A switch either
 * revokes the secret first, so that no state of the store pairs one set's
 * password with the other's secret, or replaces the password and then the
 * secret, so that for a moment the person has the new password and the old
 * secret, but never the old password and the new secret. The trail,
 * replayed, gives the state each allowed login committed in: it must be
 * the credentials the login sent, which fails if a login mixed what it
 * read at two moments, or if the commit stopped re-checking what the login
 * read (secret, password hash, zones).
 */
struct flip {
	const char *user;
	char password[2][H_PASSWORD_MAX];
	char hash[3][KGW_HASH_MAX];	/* A, B, and C that nobody sends */
	char secret[3][H_B32_MAX];	/* the same */
	struct shared *sh;
	unsigned holds;			/* logins held over a change */
};

/* What one helpdesk command left the person with ('-': none). */
struct change {
	const char *action;	/* as the trail names it */
	char pw, secret;
	bool zone;		/* authorised for the host's zone */
};

struct state {
	char pw, secret;
	bool zone;
};

/* ---- the workers' side -------------------------------------------------- */

static struct shared *sh;	/* the workers' copy of f->sh */
static bool holding;		/* this worker's login was claimed */

static int
get(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void
put(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* Waits while *p is v; false after HOLD_WAIT_S or if the parent is gone. */
static bool
wait_while(const int *p, int v, pid_t parent)
{
	double until = c_now() + HOLD_WAIT_S;

	while (get(p) == v) {
		if (c_now() > until || (parent > 0 && getppid() != parent))
			return false;
		(void)usleep(1000);
	}
	return true;
}

/*
 * Before the code (prompt 1): a held login says it is ready and waits for
 * the change; the others wait as long as a person might take.
 */
static void
typing(size_t index, void *arg)
{
	char *tag = arg;
	unsigned short r;

	if (index != 1)
		return;
	if (holding) {
		tag[2] = 'h';
		tag[3] = sh->kind;
		tag[4] = '\0';
		put(&sh->hold, HOLD_READY);
		(void)wait_while(&sh->hold, HOLD_READY, getppid());
		return;
	}
	if (getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r))
		(void)usleep((useconds_t)(r % (FLIP_TYPING_US + 1)));
}

/* This login holds, if the helpdesk wants one: after fresh steps. */
static bool
hold_take(void)
{
	int want = HOLD_WANTED;

	if (!__atomic_compare_exchange_n(&sh->hold, &want, HOLD_CLAIMED,
	    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return false;
	holding = true;
	(void)wait_while(&sh->hold, HOLD_CLAIMED, getppid());
	return true;
}

static bool
next_flip(int worker, unsigned i, bool stop, struct h_login *l, char tag[8],
    void *arg)
{
	/* Three in four send the set the person has now; the rest a mix. */
	static char code[16];
	struct flip *f = arg;
	unsigned k = (unsigned)worker + i, pw, sec;

	sh = f->sh;
	if (holding)	/* the last login was held: it is over */
		put(&sh->hold, HOLD_DONE);
	holding = false;
	if (stop && i >= FLIP_MIN_LOGINS)
		return false;
	if (k % 4 != 3 && hold_take())
		k = 0;
	pw = sec = (unsigned)get(&sh->now);
	if (holding && sh->kind == 'x')
		sec = !pw;	/* held over a switch: the old password, the
				 * new set's code */
	else if (k % 4 == 3) {
		pw = (k / 4) % 2;
		sec = !pw;
	}
	h_code(f->secret[sec], kgw_totp_step(time(NULL)), code);
	l->user = f->user;
	l->answers[0] = f->password[pw];
	l->answers[1] = code;
	l->before_answer = typing;
	l->hook_arg = tag;
	tag[0] = (char)('A' + pw);
	tag[1] = (char)('A' + sec);
	tag[2] = '\0';
	if (!holding && get(&sh->hold) != HOLD_IDLE) {
		l->answers[0] = "not the password";	/* see HOLD_* */
		tag[0] = 'W';
	}
	return true;
}

/* ---- the helpdesk's side ------------------------------------------------ */

static void renew_secret(const struct flip *, int, struct state *,
    struct change *, size_t *);

/*
 * A login with set cur held at its code prompt, the record read after
 * fresh steps (the next change is kind); false if no worker came.
 */
static bool
hold_open(struct flip *f, char kind, int cur, struct state *s,
    struct change *log, size_t *n)
{
	int want = HOLD_WANTED;

	f->sh->kind = kind;
	put(&f->sh->hold, HOLD_WANTED);
	if (!wait_while(&f->sh->hold, HOLD_WANTED, 0) &&
	    __atomic_compare_exchange_n(&f->sh->hold, &want, HOLD_IDLE,
	    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return false;
	renew_secret(f, cur, s, log, n);
	put(&f->sh->hold, HOLD_GO);
	ck_assert_msg(wait_while(&f->sh->hold, HOLD_GO, 0) &&
	    get(&f->sh->hold) == HOLD_READY,
	    "a held login never reached its code prompt");
	return true;
}

/* The change is made: the held login goes on, and ends, before the next. */
static void
hold_close(struct flip *f, bool held)
{
	if (!held)
		return;
	f->holds++;
	put(&f->sh->hold, HOLD_RELEASED);
	ck_assert_msg(wait_while(&f->sh->hold, HOLD_RELEASED, 0),
	    "a held login did not end");
	put(&f->sh->hold, HOLD_IDLE);
}

/* The refusal a login held over a change of kind must get. */
static const char *
hold_reason(char kind)
{
	switch (kind) {
	case 'p':
		return "changed";	/* another password hash */
	case 'z':
		return "zone";
	case 'x':
		return "bad_code";	/* checked against the secret read */
	default:
		return "no_factor";	/* secret revoked or replaced */
	}
}

static void
apply(struct change *log, size_t *n, const char *action, struct state *s)
{
	log[*n].action = action;
	log[*n].pw = s->pw;
	log[*n].secret = s->secret;
	log[*n].zone = s->zone;
	(*n)++;
}

static void
set_hash(const struct flip *f, int which, struct state *s,
    struct change *log, size_t *n)
{
	char line[KGW_HASH_MAX + 2];

	(void)snprintf(line, sizeof(line), "%s\n", f->hash[which]);
	c_cli_ok(dd, line, "passwd", f->user, "--hash-stdin", NULL, NULL);
	s->pw = (char)('A' + which);
	apply(log, n, "passwd", s);
}

/* The secret again, re-enrolled: its steps are unused once more. */
static void
renew_secret(const struct flip *f, int which, struct state *s,
    struct change *log, size_t *n)
{
	c_set_secret(dd, f->user, f->secret[which]);
	s->secret = (char)('A' + which);
	apply(log, n, "totp", s);
}

/*
 * To the other set: the new password, the new secret; with revoke, no
 * secret first. Never the new secret before the new password. With hold,
 * a login with the old set is held over the revoke; or, without it, a
 * login with the old password and the new set's code over the whole
 * switch: it must not pass (the password checked against the old record,
 * the code against the new).
 */
static void
switch_set(struct flip *f, int to, bool revoke, bool hold, struct state *s,
    struct change *log, size_t *n)
{
	bool held = hold && hold_open(f, revoke ? 'r' : 'x', !to, s, log, n);

	if (revoke) {
		c_cli_ok(dd, NULL, "revoke", f->user, "totp", NULL, NULL);
		s->secret = '-';
		apply(log, n, "revoke:totp", s);
		hold_close(f, held);
		held = false;
	}
	set_hash(f, to, s, log, n);
	renew_secret(f, to, s, log, n);
	hold_close(f, held);
}

/*
 * Before a change: a login held (hold_open), or fresh steps and a moment
 * for logins to read them, so that some read the record before the change
 * and commit after it. Either way their commits must refuse.
 */
static bool
before_change(struct flip *f, char kind, bool hold, int cur,
    struct state *s, struct change *log, size_t *n)
{
	if (hold)
		return hold_open(f, kind, cur, s, log, n);
	renew_secret(f, cur, s, log, n);
	(void)usleep(FLIP_SETTLE_US);
	return false;
}

/* Out of the zone and back. */
static void
flip_zone(struct flip *f, int cur, bool hold, struct state *s,
    struct change *log, size_t *n)
{
	bool held;

	held = before_change(f, 'z', hold, cur, s, log, n);
	c_cli_ok(dd, NULL, "zones", f->user, "--set", "internet", NULL);
	s->zone = false;
	apply(log, n, "zones", s);
	hold_close(f, held);
	(void)usleep(FLIP_AWAY_US);
	c_cli_ok(dd, NULL, "zones", f->user, "--set", H_ZONE, NULL);
	s->zone = true;
	apply(log, n, "zones", s);
	renew_secret(f, cur, s, log, n);
}

/*
 * A password no login knows (C), and back. The tool that sets C is ready
 * before the fresh steps, waiting only for the hash, so that C lands
 * while the logins that read them are still checking the old password.
 */
static void
flip_password(struct flip *f, int cur, bool hold, struct state *s,
    struct change *log, size_t *n)
{
	const char *args[] = { "passwd", f->user, "--hash-stdin", NULL };
	char line[KGW_HASH_MAX + 2];
	struct c_cli cli;
	bool held;

	c_cli_spawn(dd, &cli, args);
	held = before_change(f, 'p', hold, cur, s, log, n);
	(void)snprintf(line, sizeof(line), "%s\n", f->hash[2]);
	c_cli_finish(&cli, line);
	s->pw = 'C';
	apply(log, n, "passwd", s);
	hold_close(f, held);
	(void)usleep(FLIP_AWAY_US);
	set_hash(f, cur, s, log, n);
	renew_secret(f, cur, s, log, n);
}

/*
 * A secret no login's codes come from (C), and back: the same, for the
 * secret a commit must find unchanged.
 */
static void
flip_secret(struct flip *f, int cur, bool hold, struct state *s,
    struct change *log, size_t *n)
{
	const char *args[] = { "totp", f->user, "--secret", "--show", "none",
	    NULL };
	char line[H_B32_MAX + 2];
	struct c_cli cli;
	bool held;

	c_cli_spawn(dd, &cli, args);
	held = before_change(f, 's', hold, cur, s, log, n);
	(void)snprintf(line, sizeof(line), "%s\n", f->secret[2]);
	c_cli_finish(&cli, line);
	s->secret = 'C';
	apply(log, n, "totp", s);
	hold_close(f, held);
	(void)usleep(FLIP_AWAY_US);
	renew_secret(f, cur, s, log, n);
	explicit_bzero(line, sizeof(line));
}

static void
flip_make(struct flip *f, const char *user)
{
	struct h_user u;
	int i;

	memset(f, 0, sizeof(*f));
	f->user = user;
	f->sh = mmap(NULL, sizeof(*f->sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(f->sh != MAP_FAILED);
	memset(f->sh, 0, sizeof(*f->sh));
	for (i = 0; i < 3; i++) {
		h_user_make(&u, user);
		ck_assert_int_eq(kgw_password_hash(u.password, f->hash[i],
		    KGW_HASH_MAX), 0);
		if (i < 2)
			(void)snprintf(f->password[i], H_PASSWORD_MAX, "%s",
			    u.password);
		(void)snprintf(f->secret[i], H_B32_MAX, "%s", u.secret);
		explicit_bzero(&u, sizeof(u));
	}
}

static const struct c_result *
result_by_seq(const struct c_result *res, size_t n, int64_t seq)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (res[i].seq == seq)
			return &res[i];
	return NULL;
}

/*
 * Replays the trail: each helpdesk change (in the order the writer made
 * them) sets the state, and each allow of a login must match the state
 * at its commit, in the set the login used. Returns the allows seen.
 */
static unsigned
check_flip_trail(const char *user, const struct change *log, size_t nlog,
    const struct c_result *res, size_t nres)
{
	struct state s = { '-', '-', false };
	struct c_rec *t;
	size_t n, i, k = 0;
	unsigned allows = 0;

	t = c_trail(dd, &n);
	for (i = 0; i < n; i++) {
		const struct c_result *r;

		if (strcmp(t[i].user, user) != 0)
			continue;
		if (strcmp(t[i].kind, "change") == 0) {
			if (strcmp(t[i].action, "add") == 0)
				continue;
			ck_assert_msg(k < nlog && strcmp(t[i].action,
			    log[k].action) == 0, "change %zu in the trail "
			    "is %s", k, t[i].action);
			s.pw = log[k].pw;
			s.secret = log[k].secret;
			s.zone = log[k].zone;
			k++;
			continue;
		}
		if (strcmp(t[i].result, "allow") != 0)
			continue;
		allows++;
		r = result_by_seq(res, nres, t[i].seq);
		ck_assert_msg(r != NULL, "allow seq %lld by no worker",
		    (long long)t[i].seq);
		ck_assert_msg(r->tag[0] == s.pw && r->tag[1] == s.secret &&
		    s.zone, "login %s allowed (seq %lld) while the person "
		    "had password %c, secret %c, zone %s", r->tag,
		    (long long)t[i].seq, s.pw, s.secret, s.zone ? "yes" :
		    "no");
	}
	ck_assert_uint_eq(k, nlog);
	free(t);
	return allows;
}

/* "bad_password=12 replay=3 ...": the refusals by reason, for the log. */
static void
reasons(const struct c_result *res, size_t n, char *out, size_t outlen)
{
	const char *name[16];
	unsigned count[16], k = 0, j;
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		if (res[i].auth_rc == PAM_SUCCESS)
			continue;
		for (j = 0; j < k && strcmp(name[j], res[i].reason) != 0; j++)
			;
		if (j == k && k < 16) {
			name[k] = res[i].reason;
			count[k++] = 0;
		}
		if (j < k)
			count[j]++;
	}
	out[0] = '\0';
	for (j = 0; j < k && len < outlen; j++)
		len += (size_t)snprintf(out + len, outlen - len, " %s=%u",
		    name[j], count[j]);
}

void
c_flip(const struct h_deploy *d, unsigned cycles)
{
	static struct flip f;
	static struct change log[4096];
	struct state s = { 'A', '-', true };
	struct c_run run;
	struct c_result *res;
	size_t nlog = 0, n, i;
	unsigned c, allows, wins[2] = { 0, 0 };
	unsigned refused = 0, mixed = 0, held = 0;
	int cur = 0;
	bool hold;
	char why[512];
	double t0 = c_now();

	dd = d;
	ck_assert(cycles * 16 + 2 < sizeof(log) / sizeof(log[0]));
	flip_make(&f, "flipped");
	c_cli_ok(dd, NULL, "add", f.user, "--zones", H_ZONE, NULL);
	set_hash(&f, 0, &s, log, &nlog);
	renew_secret(&f, 0, &s, log, &nlog);
	c_start(dd, &run, FLIP_WORKERS, next_flip, &f);
	/* Cycles: held and direct, revoke, held and revoke, direct, ... */
	for (c = 0; c < cycles; c++) {
		hold = c % 2 == 0;
		switch_set(&f, cur = !cur, c % 4 == 1 || c % 4 == 2, hold, &s,
		    log, &nlog);
		/* The old set until now: logins in flight over the switch. */
		put(&f.sh->now, cur);
		(void)usleep(FLIP_PAUSE_US);
		flip_zone(&f, cur, hold, &s, log, &nlog);
		(void)usleep(FLIP_PAUSE_US);
		flip_password(&f, cur, hold, &s, log, &nlog);
		(void)usleep(FLIP_PAUSE_US);
		flip_secret(&f, cur, hold, &s, log, &nlog);
		(void)usleep(FLIP_PAUSE_US);
	}
	res = c_wait(&run, &n);
	for (i = 0; i < n; i++) {
		const struct c_result *r = &res[i];

		if (r->tag[2] == 'h') {
			held++;
			ck_assert_msg(r->auth_rc == PAM_AUTH_ERR &&
			    strcmp(r->reason, hold_reason(r->tag[3])) == 0,
			    "login %s held over a change: rc %d reason %s "
			    "(seq %lld)", r->tag, r->auth_rc, r->reason,
			    (long long)r->seq);
		}
		if (r->auth_rc != PAM_SUCCESS) {
			ck_assert_msg(r->auth_rc == PAM_AUTH_ERR, "%s: rc %d "
			    "reason %s", r->tag, r->auth_rc, r->reason);
			refused++;
			continue;
		}
		ck_assert_msg(r->tag[0] != 'W', "a wrong password logged in "
		    "(seq %lld)", (long long)r->seq);
		/* A mixture only where the store held it (the trail says). */
		if (r->tag[0] != r->tag[1])
			mixed++;
		else
			wins[r->tag[0] - 'A']++;
	}
	ck_assert_msg(held == f.holds && held > 0, "%u logins held over a "
	    "change, %u seen", f.holds, held);
	allows = check_flip_trail(f.user, log, nlog, res, n);
	ck_assert_uint_eq(allows, wins[0] + wins[1] + mixed);
	reasons(res, n, why, sizeof(why));
	(void)fprintf(stderr, "# %u helpdesk cycles (%zu changes), %zu "
	    "logins: %u with A, %u with B, %u with the new password and the "
	    "old code mid-switch, %u refused (%s; %u held over a change), in "
	    "%.1f s\n", cycles, nlog, n, wins[0], wins[1], mixed, refused,
	    why + 1, held, c_now() - t0);
	(void)munmap(f.sh, sizeof(*f.sh));
	free(res);
}
