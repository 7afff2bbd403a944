/*
 * Login benchmark: whole PAM transactions (pam_start_confdir .. pam_end)
 * against pam_kakogawa (second_factor_only: TOTP only, so yescrypt is not
 * what is measured), pam_oath and pam_google_authenticator, on the same
 * users and secrets. Not a test: see bench/README for how to run it.
 *
 *   bench_login populate DIR USERS [LINES]
 *   bench_login conf DIR [LINES]
 *   bench_login run DIR kakogawa|oath|ga|permit success|wrong LOGINS WORKERS FIRST [RAW]
 *   bench_login memory DIR kakogawa|oath|ga|permit success|wrong LOGINS
 *   bench_login connect URI DN PWFILE CA|- ENTRY_DN N
 *
 * LINES: a file of configuration lines (the directory_* keys) that go
 * into DIR/kakogawa.conf before its zone; `conf` rewrites that file with
 * other ones (the helpdesk enrols, a host logs in; see bench/ldap.sh).
 * RAW: a file each login's latency is appended to, for percentiles over
 * runs interleaved with other runs: one line per login, microseconds,
 * the whole login then its time in libldap by phase (bench.h's LT_*).
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "kgw_crypto.h"
#include "kgw_err.h"
#include "kgw_num.h"
#include "kgw_store.h"
#include "kgw_totp.h"

#include "bench.h"

#define SECRET_LEN 20
#define OPERATOR "bench"
#define BENCH_ZONES "lgwan"	/* the one zone of the benchmark host */

#define LINES_MAX 2048

void
die(const char *what)
{
	fprintf(stderr, "bench_login: %s\n", what);
	exit(1);
}

unsigned long
arg_ulong(const char *s, unsigned long max)
{
	unsigned long v;

	if (kgw_parse_ulong(s, 0, max, &v) != KGW_OK)
		die("bad number");
	return v;
}

static void
user_name(unsigned long i, char out[32])
{
	(void)snprintf(out, 32, "u%07lu", i);
}

/* A distinct, reproducible secret per user. */
static void
user_totp(unsigned long i, struct kgw_totp *t)
{
	size_t j;

	memset(t, 0, sizeof(*t));
	for (j = 0; j < SECRET_LEN; j++)
		t->secret[j] = (unsigned char)((i >> (8 * (j % 4))) ^ (j * 37) ^
		    0x5a);
	t->secret_len = SECRET_LEN;
	t->alg = KGW_TOTP_SHA1;
	t->digits = 6;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0 ||
	    chmod(path, mode) != 0)
		die(path);
}

static void
write_pam_services(const char *dir)
{
	char path[512], text[1024];

	(void)snprintf(path, sizeof(path), "%s/pam.d", dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		die("mkdir pam.d");
	(void)snprintf(path, sizeof(path), "%s/pam.d/kakogawa", dir);
	(void)snprintf(text, sizeof(text), "auth required %s/pam_kakogawa.so "
	    "config=%s/kakogawa.conf second_factor_only\n", BENCH_MODDIR, dir);
	write_file(path, text, 0644);
	/* The floor: what libpam alone costs per transaction. */
	(void)snprintf(path, sizeof(path), "%s/pam.d/permit", dir);
	(void)snprintf(text, sizeof(text), "auth required %s/pam_permit.so\n",
	    BENCH_SYSMODDIR);
	write_file(path, text, 0644);
	(void)snprintf(path, sizeof(path), "%s/pam.d/oath", dir);
	(void)snprintf(text, sizeof(text), "auth required %s/pam_oath.so "
	    "usersfile=%s/users.oath window=1 digits=6\n", BENCH_SYSMODDIR, dir);
	write_file(path, text, 0644);
	(void)snprintf(path, sizeof(path), "%s/pam.d/ga", dir);
	(void)snprintf(text, sizeof(text), "auth required "
	    "%s/pam_google_authenticator.so secret=%s/ga/${USER} user=root\n",
	    BENCH_SYSMODDIR, dir);
	write_file(path, text, 0644);
}

/* The text of a LINES file (empty without one). */
static void
read_lines(const char *path, char out[LINES_MAX])
{
	FILE *f;
	size_t n;

	out[0] = '\0';
	if (path == NULL)
		return;
	if ((f = fopen(path, "r")) == NULL)
		die(path);
	n = fread(out, 1, LINES_MAX - 1, f);
	if (ferror(f) || !feof(f))
		die("LINES: unreadable or too long");
	(void)fclose(f);
	out[n] = '\0';
}

/* extra: configuration lines that must come before any [zone] section. */
static void
write_conf(const char *dir, const char *extra)
{
	char path[512], text[4096];
	int n;

	(void)snprintf(path, sizeof(path), "%s/kakogawa.conf", dir);
	/* Failures must not lock: the wrong path measures counted failures. */
	n = snprintf(text, sizeof(text), "store = %s/store.db\n"
	    "key = %s/kakogawa.key\nlockout_attempts = 1000\nfail_delay = 0\n"
	    "%s\nhost_zone = " BENCH_ZONES "\n[zone " BENCH_ZONES "]\n"
	    "networks = 127.0.0.0/8\n", dir, dir, extra);
	if (n < 0 || (size_t)n >= sizeof(text))
		die("configuration too long");
	write_file(path, text, 0644);
}

/* The same user in the three modules' own formats. */
static void
add_user(struct kgw_store *s, const struct kgw_key *key, FILE *oath,
    const char *dir, unsigned long i)
{
	unsigned char sealed[KGW_SEALED_MAX];
	char name[32], b32[64], path[512], text[256], purpose[32];
	struct kgw_totp t;
	size_t n, j;

	user_name(i, name);
	user_totp(i, &t);
	if (kgw_totp_purpose(t.alg, t.digits, purpose, sizeof(purpose)) != 0 ||
	    kgw_seal(key, purpose, name, t.secret, t.secret_len, sealed,
	    sizeof(sealed), &n) != 0 ||
	    kgw_store_user_add(s, name, BENCH_ZONES, OPERATOR) != 0 ||
	    kgw_store_set_totp(s, name, sealed, n, t.alg, t.digits,
	    OPERATOR) != 0)
		die("store");
	fprintf(oath, "HOTP/T30/6 %s - ", name);
	for (j = 0; j < t.secret_len; j++)
		fprintf(oath, "%02x", t.secret[j]);
	fputc('\n', oath);
	if (kgw_base32_encode(t.secret, t.secret_len, b32, sizeof(b32)) != 0)
		die("base32");
	(void)snprintf(path, sizeof(path), "%s/ga/%s", dir, name);
	(void)snprintf(text, sizeof(text), "%s\n\" TOTP_AUTH\n"
	    "\" DISALLOW_REUSE\n", b32);
	write_file(path, text, 0400);
}

static void
populate(const char *dir, unsigned long users, const char *lines)
{
	struct kgw_conf conf;
	struct kgw_store *s = NULL;
	struct kgw_key key;
	char path[512], extra[LINES_MAX];
	FILE *oath;
	unsigned long i;

	read_lines(lines, extra);
	write_conf(dir, extra);
	write_pam_services(dir);
	(void)snprintf(path, sizeof(path), "%s/kakogawa.conf", dir);
	if (kgw_conf_load(NULL, path, &conf) != 0 ||
	    kgw_key_create(NULL, conf.key) != 0 ||
	    kgw_key_load(NULL, conf.key, &key) != 0 ||
	    kgw_store_open(NULL, &conf, KGW_STORE_CREATE, &s) != 0 ||
	    kgw_store_audit_init(s, &key, "bench") != 0)
		die("deployment");
	(void)snprintf(path, sizeof(path), "%s/ga", dir);
	if (mkdir(path, 0700) != 0)
		die("mkdir ga");
	(void)snprintf(path, sizeof(path), "%s/users.oath", dir);
	if ((oath = fopen(path, "w")) == NULL)
		die("users.oath");
	for (i = 0; i < users; i++)
		add_user(s, &key, oath, dir, i);
	if (fclose(oath) != 0 || chmod(path, 0600) != 0)
		die("users.oath");
	kgw_store_close(&s);
	kgw_key_wipe(&key);
}

struct answer {
	char code[16];
};

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *arg)
{
	const struct answer *a = arg;
	struct pam_response *r;
	int i;

	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(a->code);
	*resp = r;
	return PAM_SUCCESS;
}

static void
no_delay(int status, unsigned delay, void *arg)
{
	(void)status;
	(void)delay;
	(void)arg;
}

/* One whole transaction; callgrind counts instructions inside it. */
__attribute__((noinline)) int bench_one_login(const char *, const char *,
    const char *, struct answer *);
__attribute__((noinline)) int
bench_one_login(const char *service, const char *confdir, const char *user,
    struct answer *a)
{
	struct pam_conv c = { conv, a };
	pam_handle_t *h = NULL;
	int r;

	if (pam_start_confdir(service, user, &c, confdir, &h) != PAM_SUCCESS)
		return PAM_ABORT;
	(void)pam_set_item(h, PAM_FAIL_DELAY, (const void *)no_delay);
	/* An SSH login from the host's own zone: the zone check runs whole. */
	(void)pam_set_item(h, PAM_RHOST, "127.0.0.1");
	r = pam_authenticate(h, PAM_SILENT);
	(void)pam_end(h, r);
	return r;
}

double
now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct run {
	const char *service;
	char confdir[512];
	int success;
	unsigned long logins, workers, first;
	double *lat;	/* shared with the workers */
	double *ldap;	/* LT_N per login: time inside libldap (or NULL) */
	int *ok;
};

static void
worker(const struct run *rn, unsigned long w)
{
	unsigned long k;

	for (k = w; k < rn->logins; k += rn->workers) {
		struct kgw_totp t;
		struct answer a = { "" };
		char name[32];
		double t0;
		int r;

		user_name(rn->first + k, name);
		user_totp(rn->first + k, &t);
		if (kgw_totp_code(&t, kgw_totp_step(time(NULL)), a.code) != 0)
			die("code");
		if (!rn->success)
			a.code[0] = a.code[0] == '0' ? '1' : '0';
		memset(bench_ldap_us, 0, sizeof(bench_ldap_us));
		t0 = now_us();
		r = bench_one_login(rn->service, rn->confdir, name, &a);
		rn->lat[k] = now_us() - t0;
		if (rn->ldap != NULL)
			memcpy(rn->ldap + k * LT_N, bench_ldap_us,
			    sizeof(bench_ldap_us));
		rn->ok[k] = (r == PAM_SUCCESS) == rn->success;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
pct_ms(double *lat, size_t n, unsigned p)
{
	qsort(lat, n, sizeof(double), cmp_double);
	return lat[(n * p) / 100] / 1000;
}

static void
append_raw(const struct run *rn, const char *path)
{
	FILE *f = fopen(path, "a");
	unsigned long k;
	int p;

	if (f == NULL)
		die(path);
	for (k = 0; k < rn->logins; k++) {
		fprintf(f, "%.1f", rn->lat[k]);
		for (p = 0; p < LT_N; p++)
			fprintf(f, " %.1f", rn->ldap[k * LT_N + p]);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		die(path);
}

/* Medians per login of the time spent in libldap, when there was any. */
static void
report_ldap(const struct run *rn)
{
	static const char *const name[LT_N] = {
		"init", "connect+bind", "search", "write", "unbind"
	};
	double *v, *all;
	unsigned long k;
	int p, any = 0;

	if ((v = calloc(rn->logins, sizeof(double))) == NULL ||
	    (all = calloc(rn->logins, sizeof(double))) == NULL)
		die("calloc");
	for (k = 0; k < rn->logins; k++)
		for (p = 0; p < LT_N; p++) {
			all[k] += rn->ldap[k * LT_N + p];
			any |= rn->ldap[k * LT_N + p] > 0;
		}
	if (any) {
		printf("  in libldap, median per login (ms):");
		for (p = 0; p < LT_N; p++) {
			for (k = 0; k < rn->logins; k++)
				v[k] = rn->ldap[k * LT_N + p];
			printf(" %s=%.3f", name[p], pct_ms(v, rn->logins, 50));
		}
		printf(" all=%.3f (p95 %.3f)\n", pct_ms(all, rn->logins, 50),
		    pct_ms(all, rn->logins, 95));
	}
	free(v);
	free(all);
}

static void
report(const struct run *rn)
{
	unsigned long k, correct = 0;

	for (k = 0; k < rn->logins; k++)
		correct += (unsigned long)rn->ok[k];
	printf("%-9s %-7s logins=%lu workers=%lu median_ms=%.3f p95_ms=%.3f "
	    "p99_ms=%.3f correct=%lu/%lu\n", rn->service,
	    rn->success ? "success" : "wrong", rn->logins, rn->workers,
	    pct_ms(rn->lat, rn->logins, 50),
	    pct_ms(rn->lat, rn->logins, 95),
	    pct_ms(rn->lat, rn->logins, 99), correct, rn->logins);
	if (rn->ldap != NULL)
		report_ldap(rn);
}

static int
run(int argc, char **argv)
{
	struct run rn;
	unsigned long w;
	int status, bad = 0;

	if (argc != 8 && argc != 9)
		die("usage: run DIR SERVICE success|wrong LOGINS WORKERS FIRST "
		    "[RAW]");
	memset(&rn, 0, sizeof(rn));
	(void)snprintf(rn.confdir, sizeof(rn.confdir), "%s/pam.d", argv[2]);
	rn.service = argv[3];
	rn.success = strcmp(argv[4], "success") == 0;
	rn.logins = arg_ulong(argv[5], 10000000);
	rn.workers = arg_ulong(argv[6], 64);
	rn.first = arg_ulong(argv[7], 10000000);
	if (rn.logins == 0 || rn.workers == 0)
		die("LOGINS and WORKERS must be positive");
	rn.lat = mmap(NULL, rn.logins * sizeof(double), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rn.ok = mmap(NULL, rn.logins * sizeof(int), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rn.ldap = mmap(NULL, rn.logins * LT_N * sizeof(double), PROT_READ |
	    PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rn.lat == MAP_FAILED || rn.ok == MAP_FAILED ||
	    rn.ldap == MAP_FAILED)
		die("mmap");
	if (kgw_totp_init() != 0)
		die("liboath");
	for (w = 0; w < rn.workers; w++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			worker(&rn, w);
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	if (argc == 9)
		append_raw(&rn, argv[8]);
	report(&rn);
	return bad;
}

/* Resident set in KiB: the second field of /proc/self/statm, in pages. */
static unsigned long
rss_kib(void)
{
	char line[256], *sp, *end;
	unsigned long pages;
	FILE *f;

	if ((f = fopen("/proc/self/statm", "r")) == NULL ||
	    fgets(line, sizeof(line), f) == NULL)
		die("/proc/self/statm");
	(void)fclose(f);
	if ((sp = strchr(line, ' ')) == NULL ||
	    (end = strchr(sp + 1, ' ')) == NULL)
		die("/proc/self/statm");
	*end = '\0';
	pages = arg_ulong(sp + 1, ULONG_MAX / 64);
	return pages * (unsigned long)sysconf(_SC_PAGESIZE) / 1024;
}

/* Bytes of heap in use (arena and mmap'ed chunks), and the resident set. */
static void
memory_report(unsigned long done)
{
	struct mallinfo2 mi = mallinfo2();

	printf("logins=%lu heap_in_use_kib=%zu rss_kib=%lu\n", done,
	    (mi.uordblks + mi.hblkhd) / 1024, rss_kib());
	(void)fflush(stdout);
}

/*
 * Whether the module's memory grows with the number of logins a process
 * makes (sshd's monitor, gdm and login load it again and again): LOGINS
 * transactions in this one process, one user each, heap and RSS every
 * tenth of the way. pam_permit gives what libpam alone does.
 */
static int
memory(int argc, char **argv)
{
	struct run rn;
	unsigned long k, step, correct = 0;

	if (argc != 6)
		die("usage: memory DIR SERVICE success|wrong LOGINS");
	memset(&rn, 0, sizeof(rn));
	(void)snprintf(rn.confdir, sizeof(rn.confdir), "%s/pam.d", argv[2]);
	rn.service = argv[3];
	rn.success = strcmp(argv[4], "success") == 0;
	rn.logins = arg_ulong(argv[5], 10000000);
	if (rn.logins < 10)
		die("LOGINS must be at least 10");
	if ((rn.lat = calloc(rn.logins, sizeof(double))) == NULL ||
	    (rn.ok = calloc(rn.logins, sizeof(int))) == NULL)
		die("calloc");
	if (kgw_totp_init() != 0)
		die("liboath");
	step = rn.logins / 10;
	for (k = 0; k < rn.logins; k += step) {
		struct run part = rn;

		part.first = k;
		part.logins = rn.logins - k < step ? rn.logins - k : step;
		part.workers = 1;
		part.lat = rn.lat + k;
		part.ok = rn.ok + k;
		worker(&part, 0);
		memory_report(k + part.logins);
	}
	for (k = 0; k < rn.logins; k++)
		correct += (unsigned long)rn.ok[k];
	printf("correct=%lu/%lu\n", correct, rn.logins);
	free(rn.lat);
	free(rn.ok);
	return correct != rn.logins;
}

int
main(int argc, char **argv)
{
	char extra[LINES_MAX];

	if ((argc == 4 || argc == 5) && strcmp(argv[1], "populate") == 0) {
		populate(argv[2], arg_ulong(argv[3], 10000000),
		    argc == 5 ? argv[4] : NULL);
		return 0;
	}
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "conf") == 0) {
		read_lines(argc == 4 ? argv[3] : NULL, extra);
		write_conf(argv[2], extra);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "connect") == 0)
		return bench_connect(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "memory") == 0)
		return memory(argc, argv);
	die("usage: bench_login populate DIR USERS [LINES] | conf DIR [LINES] "
	    "| run DIR SERVICE success|wrong LOGINS WORKERS FIRST [RAW] | "
	    "memory DIR SERVICE success|wrong LOGINS | connect URI DN PWFILE "
	    "CA|- ENTRY_DN N");
	return 1;
}
