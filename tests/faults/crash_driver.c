/*
 * Logins through the real libpam for the fault scripts (crash.sh,
 * disk.sh): one login, or a loop of them that a parent kills at random.
 * Every line the module logs goes to stderr as "log: ...", and the loop
 * says on stdout what it tries and what came of it, flushed (no fsync: a
 * killed process's written lines are in the pipe already).
 *
 *   crash_driver PAMDIR USER once right|badcode|badpass [STEP]
 *   crash_driver PAMDIR USER loop FIRST_STEP COUNT SEED
 *
 * Standard input: the password, then the base32 TOTP secret, one a line.
 * once: exit 0 allowed, 1 denied, 2 could not run; prints allow|deny.
 * loop: steps FIRST_STEP, FIRST_STEP + 1, ...; per login
 *   "try STEP KIND" before pam_authenticate, "done STEP KIND allow|deny
 *   REASON" after it. KIND is drawn from SEED: half right, a quarter each
 *   badcode and badpass.
 *
 * The clock: this program defines time(), and is linked with
 * --export-dynamic, so the module's time() calls land here. With a STEP
 * (once) or in the loop, the module sees the middle of that TOTP step;
 * otherwise the real time. Each login of the loop so has a fresh step and
 * a right code is never a replay of the one before, with no waiting and
 * no libfaketime (which deadlocks with ASan). The store records the steps
 * it accepted; nothing else reads this clock.
 */
#include <config.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "kgw_err.h"
#include "kgw_num.h"
#include "kgw_totp.h"

#define RHOST "192.0.2.10"	/* in the test deployments' zone */
#define LINE_MAX_ 256

/* ---- the clock the module sees ------------------------------------------ */

static int64_t fake_step = -1;

time_t time(time_t *t);

time_t
time(time_t *t)
{
	struct timespec ts;
	time_t now;

	if (fake_step >= 0) {
		now = (time_t)(fake_step * KGW_TOTP_STEP + KGW_TOTP_STEP / 2);
	} else {
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		now = ts.tv_sec;
	}
	if (t != NULL)
		*t = now;
	return now;
}

/* ---- the module's log lines --------------------------------------------- */

void __syslog_chk(int pri, int flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
void syslog(int pri, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vsyslog(int pri, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static char last_reason[64] = "-";

/* The decision line's reason is kept for the loop's report. */
static void __attribute__((format(printf, 1, 0)))
capture(const char *fmt, va_list ap)
{
	char line[2048];
	const char *p;

	(void)vsnprintf(line, sizeof(line), fmt, ap);
	(void)fprintf(stderr, "log: %s\n", line);
	if (strstr(line, "phase=auth ") != NULL &&
	    (p = strstr(line, " reason=")) != NULL)
		(void)snprintf(last_reason, sizeof(last_reason), "%.*s",
		    (int)strcspn(p + 8, " \n"), p + 8);
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)pri;
	(void)flag;
	va_start(ap, fmt);
	capture(fmt, ap);
	va_end(ap);
}

void
__vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)pri;
	(void)flag;
	capture(fmt, ap);
}

void
syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	(void)pri;
	va_start(ap, fmt);
	capture(fmt, ap);
	va_end(ap);
}

void
vsyslog(int pri, const char *fmt, va_list ap)
{
	(void)pri;
	capture(fmt, ap);
}

/* ---- one login ---------------------------------------------------------- */

struct answers {
	const char *password;
	char code[16];
};

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *arg)
{
	const struct answers *a = arg;
	struct pam_response *r;
	int i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG || (r = calloc((size_t)n,
	    sizeof(*r))) == NULL)
		return PAM_CONV_ERR;
	for (i = 0; i < n; i++) {
		const char *m = msg[i]->msg != NULL ? msg[i]->msg : "";

		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF)
			continue;
		r[i].resp = strdup(strstr(m, "assword") != NULL ?
		    a->password : a->code);
	}
	*resp = r;
	return PAM_SUCCESS;
}

static int
authenticate(const char *pamdir, const char *user, const struct answers *a)
{
	struct pam_conv pc = { conv, (void *)(uintptr_t)a };
	pam_handle_t *pamh = NULL;
	int r;

	(void)snprintf(last_reason, sizeof(last_reason), "-");
	if ((r = pam_start_confdir("kgwtest", user, &pc, pamdir, &pamh)) !=
	    PAM_SUCCESS)
		return r;
	if ((r = pam_set_item(pamh, PAM_RHOST, RHOST)) == PAM_SUCCESS &&
	    (r = pam_set_item(pamh, PAM_TTY, "ssh")) == PAM_SUCCESS)
		r = pam_authenticate(pamh, 0);
	(void)pam_end(pamh, r);
	return r;
}

/* ---- codes -------------------------------------------------------------- */

enum kind { RIGHT, BADCODE, BADPASS };
static const char *const kind_name[] = { "right", "badcode", "badpass" };

static struct kgw_totp totp;

static int
code_at(int64_t step, char out[16])
{
	char c[KGW_TOTP_CODE_MAX + 1];

	if (kgw_totp_code(&totp, step, c) != KGW_OK)
		return -1;
	(void)snprintf(out, 16, "%s", c);
	return 0;
}

/* A code matching no step of the window (1) around step. */
static int
code_for(enum kind k, int64_t step, char out[16])
{
	char near[3][16];
	unsigned v;
	int i;

	if (code_at(step, out) != 0 || k != BADCODE)
		return k == BADCODE ? -1 : 0;
	for (i = 0; i < 3; i++)
		if (code_at(step - 1 + i, near[i]) != 0)
			return -1;
	v = (unsigned)strtoul(out, NULL, 10);
	do {
		v = (v + 1) % 1000000;
		(void)snprintf(out, 16, "%06u", v);
	} while (strcmp(out, near[0]) == 0 || strcmp(out, near[1]) == 0 ||
	    strcmp(out, near[2]) == 0);
	return 0;
}

static int
one(const char *pamdir, const char *user, const char *password,
    enum kind k, int64_t step)
{
	struct answers a;

	a.password = k == BADPASS ? "not-the-password" : password;
	if (code_for(k, step, a.code) != 0)
		return -1;
	return authenticate(pamdir, user, &a);
}

/* ---- main --------------------------------------------------------------- */

static int
read_line(char *buf, size_t len)
{
	if (fgets(buf, (int)len, stdin) == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] != '\0' ? 0 : -1;
}

static int
parse_kind(const char *s, enum kind *k)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, kind_name[i]) == 0) {
			*k = (enum kind)i;
			return 0;
		}
	return -1;
}

static int
run_once(char **argv, int argc, const char *password)
{
	enum kind k;
	unsigned long step;
	int r;

	if (parse_kind(argv[4], &k) != 0)
		return 2;
	if (argc > 5 && kgw_parse_ulong(argv[5], 0, INT32_MAX, &step) !=
	    KGW_OK)
		return 2;
	if (argc > 5)
		fake_step = (int64_t)step;
	r = one(argv[1], argv[2], password, k,
	    kgw_totp_step(time(NULL)));
	if (r < 0)
		return 2;
	(void)printf("%s %s\n", r == PAM_SUCCESS ? "allow" : "deny",
	    last_reason);
	return r == PAM_SUCCESS ? 0 : 1;
}

static int
run_loop(char **argv, const char *password)
{
	unsigned long first, count, seed, i;
	enum kind k;
	int r;

	if (kgw_parse_ulong(argv[4], 0, INT32_MAX, &first) != KGW_OK ||
	    kgw_parse_ulong(argv[5], 1, 1000000, &count) != KGW_OK ||
	    kgw_parse_ulong(argv[6], 0, INT32_MAX, &seed) != KGW_OK)
		return 2;
	srandom((unsigned)seed);
	for (i = 0; i < count; i++) {
		long x = random() % 4;

		k = x < 2 ? RIGHT : x == 2 ? BADCODE : BADPASS;
		fake_step = (int64_t)(first + i);
		(void)printf("try %lld %s\n", (long long)fake_step,
		    kind_name[k]);
		(void)fflush(stdout);
		if ((r = one(argv[1], argv[2], password, k, fake_step)) < 0)
			return 2;
		(void)printf("done %lld %s %s %s\n", (long long)fake_step,
		    kind_name[k], r == PAM_SUCCESS ? "allow" : "deny",
		    last_reason);
		(void)fflush(stdout);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char password[LINE_MAX_], secret[LINE_MAX_];
	int status = 2;

	if (argc < 5 || (strcmp(argv[3], "once") == 0 ? argc > 6 :
	    strcmp(argv[3], "loop") != 0 || argc != 7)) {
		(void)fprintf(stderr, "usage: crash_driver PAMDIR USER once "
		    "KIND [STEP] | loop FIRST_STEP COUNT SEED\n");
		return 2;
	}
	if (read_line(password, sizeof(password)) != 0 ||
	    read_line(secret, sizeof(secret)) != 0 ||
	    kgw_totp_init() != KGW_OK)
		return 2;
	memset(&totp, 0, sizeof(totp));
	totp.alg = KGW_TOTP_SHA1;
	totp.digits = 6;
	if (kgw_base32_decode(secret, totp.secret, sizeof(totp.secret),
	    &totp.secret_len) == KGW_OK)
		status = strcmp(argv[3], "once") == 0 ?
		    run_once(argv, argc, password) : run_loop(argv, password);
	kgw_totp_wipe(&totp);
	kgw_totp_done();
	explicit_bzero(password, sizeof(password));
	explicit_bzero(secret, sizeof(secret));
	return status;
}
