/*
 * The module test harness (see harness.h). It must not include <syslog.h>:
 * it defines syslog and __syslog_chk itself, and the binary is linked with
 * --export-dynamic, so libpam's log lines land in this file's buffers.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <libintl.h>
#include <signal.h>
#include <stdarg.h>
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
#include "kgw_totp.h"

#define MAX_SECRETS 512
#define MAX_CLEANUP 8
#define CLI_OUT_MAX 65536

/* ---- syslog capture ---------------------------------------------------- */

void __syslog_chk(int pri, int flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
void syslog(int pri, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vsyslog(int pri, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static char log_cur[H_LOG_MAX];	/* since the last login started */
static size_t log_cur_len;
static char *transcript;	/* everything, for the leak checks */
static size_t transcript_len, transcript_cap;

static void
transcript_add(const char *s)
{
	size_t n = strlen(s);

	if (transcript_len + n + 2 > transcript_cap) {
		size_t cap = (transcript_cap + n + 2) * 2;
		char *p = realloc(transcript, cap);

		if (p == NULL)
			abort();	/* a test binary may die */
		transcript = p;
		transcript_cap = cap;
	}
	memcpy(transcript + transcript_len, s, n);
	transcript_len += n;
	transcript[transcript_len++] = '\n';
	transcript[transcript_len] = '\0';
}

static void __attribute__((format(printf, 2, 0)))
capture(int pri, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n;

	(void)vsnprintf(line, sizeof(line), fmt, ap);
	if (getenv("KGW_TEST_VERBOSE") != NULL)
		(void)fprintf(stderr, "syslog<%d>: %s\n", pri, line);
	transcript_add(line);
	n = strlen(line);
	if (log_cur_len + n + 2 <= sizeof(log_cur)) {
		memcpy(log_cur + log_cur_len, line, n);
		log_cur_len += n;
		log_cur[log_cur_len++] = '\n';
		log_cur[log_cur_len] = '\0';
	}
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	capture(pri, fmt, ap);
	va_end(ap);
}

void
__vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	capture(pri, fmt, ap);
}

void
syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	capture(pri, fmt, ap);
	va_end(ap);
}

void
vsyslog(int pri, const char *fmt, va_list ap)
{
	capture(pri, fmt, ap);
}

static void
log_reset(void)
{
	log_cur_len = 0;
	log_cur[0] = '\0';
}

const char *
h_transcript(void)
{
	return transcript != NULL ? transcript : "";
}

/* ---- leak checks -------------------------------------------------------- */

static char *secrets[MAX_SECRETS];
static size_t nsecrets;

static void
secret_add1(const char *s)
{
	size_t i;

	if (strlen(s) < 6)
		return;	/* too short to tell from ordinary text */
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], s) == 0)
			return;
	if (nsecrets < MAX_SECRETS && (secrets[nsecrets] = strdup(s)) != NULL)
		nsecrets++;
}

void
h_secret_add(const char *s)
{
	char squeezed[256];
	size_t i, n = 0;

	if (s == NULL)
		return;
	secret_add1(s);
	/* "123 456" is also looked for as "123456". */
	for (i = 0; s[i] != '\0' && n + 1 < sizeof(squeezed); i++)
		if (s[i] != ' ')
			squeezed[n++] = s[i];
	squeezed[n] = '\0';
	secret_add1(squeezed);
}

static bool
all_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A code counts only as a whole number, not inside a longer one (times). */
static bool
found_in(const char *text, const char *s)
{
	size_t n = strlen(s);
	const char *p;

	if (!all_digits(s))
		return strstr(text, s) != NULL;
	for (p = strstr(text, s); p != NULL; p = strstr(p + 1, s))
		if ((p == text || !is_digit(p[-1])) && !is_digit(p[n]))
			return true;
	return false;
}

/*
 * A secret this process made, for the suite's final scan
 * (tests/secrets_scan.sh) of everything captured: one line appended to
 * KGW_TEST_SECRETS, in one write (tests run in parallel).
 */
void
h_secret_publish(const char *s)
{
	const char *list = getenv("KGW_TEST_SECRETS");
	char line[H_B32_MAX + H_PASSWORD_MAX];
	int fd, n;

	if (list == NULL || list[0] == '\0' || s == NULL || s[0] == '\0')
		return;
	n = snprintf(line, sizeof(line), "%s\n", s);
	if (n < 0 || (size_t)n >= sizeof(line) || strchr(s, '\n') != NULL)
		return;
	fd = open(list, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	(void)!write(fd, line, (size_t)n);
	(void)close(fd);
}

const char *
h_leak_find(void)
{
	size_t i;

	for (i = 0; i < nsecrets; i++)
		if (found_in(h_transcript(), secrets[i]))
			return secrets[i];
	return NULL;
}

/* ---- temporary directories ---------------------------------------------- */

static char base_dir[H_PATH_MAX] = "/tmp";
static char cleanup[MAX_CLEANUP][H_PATH_MAX];
static bool cleanup_registered;

void
h_set_base(const char *dir)
{
	(void)snprintf(base_dir, sizeof(base_dir), "%s", dir);
	/* The module finds its catalogues in the build tree, not installed
	 * ones: it keeps a binding the program made (kgw_i18n_init). */
	(void)bindtextdomain(PACKAGE, KGW_TEST_LOCALEDIR);
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) == 0 ? 0 : -1;
	return unlink(path) == 0 ? 0 : -1;
}

int
h_rmtree(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * What this test process captured (log lines, prompts), kept in
 * KGW_TEST_CAPTURES for the suite's final secrets scan.
 */
static void
transcript_keep(void)
{
	const char *dir = getenv("KGW_TEST_CAPTURES");
	char path[H_PATH_MAX];
	int fd, n;

	if (dir == NULL || dir[0] != '/' || transcript_len == 0)
		return;
	(void)mkdir(dir, 0700);
	n = snprintf(path, sizeof(path), "%s/pam.%ld.txt", dir,
	    (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return;
	(void)!write(fd, transcript, transcript_len);
	(void)close(fd);
}

/* A failed assertion exits the test process: its temp dirs go too. */
static void
cleanup_all(void)
{
	size_t i;

	transcript_keep();

	for (i = 0; i < MAX_CLEANUP; i++)
		if (cleanup[i][0] != '\0')
			(void)h_rmtree(cleanup[i]);
}

static void
cleanup_track(const char *dir, bool add)
{
	size_t i;

	if (!cleanup_registered) {
		(void)atexit(cleanup_all);
		cleanup_registered = true;
	}
	for (i = 0; i < MAX_CLEANUP; i++) {
		if (add && cleanup[i][0] == '\0') {
			(void)snprintf(cleanup[i], H_PATH_MAX, "%s", dir);
			return;
		}
		if (!add && strcmp(cleanup[i], dir) == 0) {
			cleanup[i][0] = '\0';
			return;
		}
	}
}

/* ---- files -------------------------------------------------------------- */

const char *
h_module_path(void)
{
	const char *p = getenv("KGW_TEST_MODULE");

	return p != NULL && p[0] == '/' ? p : KGW_TEST_MODULE;
}

const char *
h_enroll_path(void)
{
	const char *p = getenv("KGW_TEST_ENROLL");

	return p != NULL && p[0] != '\0' ? p : KGW_TEST_ENROLL;
}

/* Writes through a temporary name and renames, so mode is exact. */
void
h_write_file(const char *path, const char *text, unsigned mode)
{
	char tmp[H_PATH_MAX + 8];
	size_t len = strlen(text), off = 0;
	int fd;

	(void)snprintf(tmp, sizeof(tmp), "%s.new", path);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	ck_assert_msg(fd >= 0, "open %s: %s", tmp, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		ck_assert_msg(n > 0, "write %s: %s", tmp, strerror(errno));
		off += (size_t)n;
	}
	ck_assert_int_eq(fchmod(fd, (mode_t)mode), 0);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_msg(rename(tmp, path) == 0, "rename %s: %s", path,
	    strerror(errno));
}

void
h_write_config(const struct h_deploy *d, const char *extra)
{
	char text[4096];
	int n;

	n = snprintf(text, sizeof(text),
	    "# written by tests/pam/harness.c\n"
	    "store = %s\n"
	    "key = %s\n"
	    "issuer = Kakogawa Test\n"
	    "totp_algorithm = sha1\n"
	    "totp_digits = 6\n"
	    "totp_window = %u\n"
	    "lockout_attempts = %u\n"
	    "lockout_time = %u\n"
	    "busy_timeout = 10000\n"
	    "fail_delay = %u\n"
	    "%s%s",
	    d->store, d->key, d->totp_window, d->lockout_attempts,
	    d->lockout_time, d->fail_delay, extra != NULL ? extra : "",
	    d->zones != NULL ? d->zones : H_ZONES);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	h_write_file(d->conf, text, 0644);
}

void
h_service(const struct h_deploy *d, const char *pre, const char *config_path,
    const char *auth_opts, const char *acct_opts)
{
	char path[H_PATH_MAX + 32], text[4096];
	const char *conf = config_path != NULL ? config_path : d->conf;
	int n;

	n = snprintf(text, sizeof(text),
	    "# written by tests/pam/harness.c\n"
	    "%s\n"
	    "auth required %s config=%s %s\n"
	    "account required %s config=%s %s\n",
	    pre != NULL ? pre : "",
	    h_module_path(), conf, auth_opts != NULL ? auth_opts : "",
	    h_module_path(), conf, acct_opts != NULL ? acct_opts : "");
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	(void)snprintf(path, sizeof(path), "%s/%s", d->pamdir, H_SERVICE);
	h_write_file(path, text, 0644);
}

void
h_service_password(const struct h_deploy *d, const char *auth_opts,
    const char *acct_opts, const char *password_opts)
{
	char path[H_PATH_MAX + 32], text[4096];
	int n;

	n = snprintf(text, sizeof(text),
	    "# written by tests/pam/harness.c\n"
	    "auth required %s config=%s %s\n"
	    "account required %s config=%s %s\n"
	    "password required %s config=%s %s\n",
	    h_module_path(), d->conf, auth_opts != NULL ? auth_opts : "",
	    h_module_path(), d->conf, acct_opts != NULL ? acct_opts : "",
	    h_module_path(), d->conf, password_opts != NULL ? password_opts :
	    "");
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	(void)snprintf(path, sizeof(path), "%s/%s", d->pamdir, H_SERVICE);
	h_write_file(path, text, 0644);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
join(char out[H_PATH_MAX], const char *dir, const char *name)
{
	int n = snprintf(out, H_PATH_MAX, "%s/%s", dir, name);

	ck_assert_msg(n > 0 && n < H_PATH_MAX, "path too long: %s", dir);
}

/* The key file, in hex, is a secret too. */
static void
key_publish(const char *path)
{
	unsigned char key[128];
	char hex[2 * sizeof(key) + 1];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), i;

	if (fd < 0)
		return;
	n = read(fd, key, sizeof(key));
	(void)close(fd);
	for (i = 0; i < n; i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", key[i]);
	if (n > 0)
		h_secret_publish(hex);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(hex, sizeof(hex));
}

void
h_deploy_new(struct h_deploy *d)
{
	char out[CLI_OUT_MAX], path[H_PATH_MAX];
	int rc;

	memset(d, 0, sizeof(*d));
	ck_assert_msg(access(h_module_path(), R_OK) == 0,
	    "module %s not built", h_module_path());
	ck_assert_msg(access(h_enroll_path(), X_OK) == 0,
	    "kakogawa-enroll %s not built", h_enroll_path());
	join(d->dir, base_dir, "deploy.XXXXXX");
	ck_assert_msg(mkdtemp(d->dir) != NULL, "mkdtemp: %s", strerror(errno));
	cleanup_track(d->dir, true);
	ck_assert_int_eq(chmod(d->dir, 0700), 0);
	join(d->conf, d->dir, "kakogawa.conf");
	join(d->store, d->dir, "store.db");
	join(d->key, d->dir, "kakogawa.key");
	join(d->pamdir, d->dir, "pam.d");
	ck_assert_int_eq(mkdir(d->pamdir, 0700), 0);
	join(path, d->pamdir, "other");	/* quiets libpam; never used */
	h_write_file(path, "", 0644);
	rc = h_cli(d, NULL, out, sizeof(out), "init", (char *)NULL);
	ck_assert_msg(rc == 0, "kakogawa-enroll init: exit %d: %s", rc, out);
	ck_assert_msg(exists(d->store) && exists(d->key) && exists(d->conf),
	    "init did not create store.db, kakogawa.key and the config "
	    "in %s: %s", d->dir, out);
	key_publish(d->key);
	d->totp_window = 1;
	d->lockout_attempts = 5;
	d->lockout_time = 900;
	d->fail_delay = 0;	/* failures must not sleep in tests */
	h_write_config(d, NULL);
	h_service(d, NULL, NULL, NULL, NULL);
}

void
h_deploy_free(struct h_deploy *d)
{
	if (d->dir[0] == '\0')
		return;
	ck_assert_msg(h_rmtree(d->dir) == 0, "cannot remove %s", d->dir);
	cleanup_track(d->dir, false);
	d->dir[0] = '\0';
}

/* ---- the CLI ------------------------------------------------------------ */

static char cli_preload[H_PATH_MAX];

void
h_cli_preload(const char *path)
{
	(void)snprintf(cli_preload, sizeof(cli_preload), "%s",
	    path != NULL ? path : "");
}

static void
child_exec(char **argv, int in_fd, int out_fd)
{
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(126);
	if (cli_preload[0] != '\0' && setenv("LD_PRELOAD", cli_preload, 1) != 0)
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

int
h_cli(const struct h_deploy *d, const char *input, char *out, size_t outlen,
    const char *arg, ...)
{
	char *argv[24], buf[CLI_OUT_MAX];
	size_t n = 0, got = 0, i;
	int in[2], outp[2], status;
	pid_t pid;
	va_list ap;

	argv[n++] = strdup(h_enroll_path());
	argv[n++] = strdup("--config");
	argv[n++] = strdup(d->conf);
	va_start(ap, arg);
	for (; arg != NULL && n < 23; arg = va_arg(ap, const char *))
		argv[n++] = strdup(arg);
	va_end(ap);
	argv[n] = NULL;
	(void)signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(outp, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		child_exec(argv, in[0], outp[1]);
	(void)close(in[0]);
	(void)close(outp[1]);
	if (input != NULL)
		(void)!write(in[1], input, strlen(input));	/* secrets: a pipe */
	(void)close(in[1]);
	for (;;) {
		ssize_t r = read(outp[0], buf + got, sizeof(buf) - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == sizeof(buf) - 1)
			got = 0;	/* keep reading; only the tail matters */
	}
	buf[got] = '\0';
	(void)close(outp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out != NULL && outlen > 0)
		(void)snprintf(out, outlen, "%s", buf);
	for (i = 0; i < n; i++)
		free(argv[i]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- users and codes ---------------------------------------------------- */

static void
random_bytes(void *buf, size_t len)
{
	ck_assert_msg(getrandom(buf, len, 0) == (ssize_t)len, "getrandom");
}

void
h_user_make(struct h_user *u, const char *name)
{
	static const char alnum[] = "abcdefghijkmnopqrstuvwxyz"
	    "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char raw[20], pw[18];
	size_t i;

	memset(u, 0, sizeof(*u));
	(void)snprintf(u->name, sizeof(u->name), "%s", name);
	random_bytes(pw, sizeof(pw));
	for (i = 0; i < sizeof(pw); i++)
		u->password[i] = alnum[pw[i] % (sizeof(alnum) - 1)];
	u->password[i] = '\0';
	random_bytes(raw, sizeof(raw));
	ck_assert_int_eq(kgw_totp_init(), 0);
	ck_assert_int_eq(kgw_base32_encode(raw, sizeof(raw), u->secret,
	    sizeof(u->secret)), 0);
	kgw_totp_done();
	h_secret_add(u->password);
	h_secret_add(u->secret);
	h_secret_publish(u->password);
	h_secret_publish(u->secret);
	explicit_bzero(raw, sizeof(raw));
}

static void
cli_ok(const struct h_deploy *d, const char *input, const char *what,
    const char *arg, const char *arg2, const char *arg3, const char *arg4,
    const char *arg5)
{
	char out[CLI_OUT_MAX];
	int rc;

	rc = h_cli(d, input, out, sizeof(out), arg, arg2, arg3, arg4, arg5,
	    (char *)NULL);
	ck_assert_msg(rc == 0, "kakogawa-enroll %s: exit %d: %s", what, rc,
	    out);
}

void
h_enrol_totp_only(const struct h_deploy *d, const struct h_user *u)
{
	char line[H_B32_MAX + 2];

	cli_ok(d, NULL, "add", "add", u->name, "--zones", H_ZONE, NULL);
	(void)snprintf(line, sizeof(line), "%s\n", u->secret);
	cli_ok(d, line, "totp --secret", "totp", u->name, "--secret",
	    "--show", "none");
}

void
h_enrol(const struct h_deploy *d, const struct h_user *u)
{
	char line[H_PASSWORD_MAX + 2];

	h_enrol_totp_only(d, u);
	(void)snprintf(line, sizeof(line), "%s\n", u->password);
	cli_ok(d, line, "passwd --password-stdin", "passwd", u->name,
	    "--password-stdin", NULL, NULL);
}

int64_t
h_step_with_margin(unsigned margin)
{
	time_t now = time(NULL);
	unsigned left = KGW_TOTP_STEP - (unsigned)(now % KGW_TOTP_STEP);
	int64_t step = kgw_totp_step(now);

	if (left >= margin)
		return step;
	while (kgw_totp_step(time(NULL)) == step)
		(void)usleep(100 * 1000);
	return kgw_totp_step(time(NULL));
}

void
h_code(const char *secret, int64_t step, char out[16])
{
	struct kgw_totp t;
	char code[KGW_TOTP_CODE_MAX + 1];

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(kgw_base32_decode(secret, t.secret, sizeof(t.secret),
	    &t.secret_len), 0);
	t.alg = KGW_TOTP_SHA1;
	t.digits = 6;
	ck_assert_int_eq(kgw_totp_init(), 0);
	ck_assert_int_eq(kgw_totp_code(&t, step, code), 0);
	kgw_totp_done();
	(void)snprintf(out, 16, "%s", code);
	h_secret_publish(code);
	kgw_totp_wipe(&t);
}

/* ---- the conversation --------------------------------------------------- */

struct conv_state {
	struct h_login *l;
	size_t next_answer;
	size_t nasked;		/* prompts (not messages) seen */
};

/* What the module tells a person after an allowed login (pam_notice.c). */
static bool
is_notice(const struct pam_message *m)
{
	static const char *const starts[] = {
		"Last successful login", "Failed login attempts",
		"前回のログイン", "その後のログイン失敗",
		"この初回ログインまでのログイン失敗",
	};
	size_t i;

	if (m->msg_style != PAM_TEXT_INFO || m->msg == NULL)
		return false;
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (strncmp(m->msg, starts[i], strlen(starts[i])) == 0)
			return true;
	return false;
}

static void
record(struct h_login *l, const struct pam_message *m)
{
	char line[H_TEXT_MAX + 16];
	const char *text = m->msg != NULL ? m->msg : "(null)";

	(void)snprintf(line, sizeof(line), "prompt[%d]: %s", m->msg_style,
	    text);
	transcript_add(line);
	if (is_notice(m)) {
		if (l->nnotices < H_MAX_NOTICES) {
			l->notices[l->nnotices].style = m->msg_style;
			(void)snprintf(l->notices[l->nnotices].text,
			    H_TEXT_MAX, "%s", text);
			l->nnotices++;
		}
		return;
	}
	if (l->nprompts < H_MAX_PROMPTS) {
		l->prompts[l->nprompts].style = m->msg_style;
		(void)snprintf(l->prompts[l->nprompts].text, H_TEXT_MAX, "%s",
		    text);
		l->nprompts++;
	}
}

static void
free_responses(struct pam_response *r, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
}

static bool
is_prompt(int style)
{
	return style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON;
}

/* The mode this batch of messages gets, counting its prompts. */
static enum h_conv_mode
batch_mode(struct conv_state *st, int n, const struct pam_message **msg)
{
	enum h_conv_mode mode = H_CONV_ANSWER;
	int i;

	for (i = 0; i < n; i++) {
		record(st->l, msg[i]);
		if (is_prompt(msg[i]->msg_style) && st->nasked++ >=
		    st->l->conv_at && st->l->conv != H_CONV_ANSWER)
			mode = st->l->conv;
	}
	return mode;
}

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *arg)
{
	struct conv_state *st = arg;
	struct pam_response *r;
	enum h_conv_mode mode;
	int i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG || msg == NULL || resp == NULL)
		return PAM_CONV_ERR;
	*resp = NULL;
	mode = batch_mode(st, n, msg);
	if (mode == H_CONV_ERR)
		return PAM_CONV_ERR;
	if (mode == H_CONV_NULL_ARRAY)
		return PAM_SUCCESS;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	if (mode == H_CONV_NULL_RESP) {
		*resp = r;
		return PAM_SUCCESS;
	}
	for (i = 0; i < n; i++) {
		const char *a;

		if (!is_prompt(msg[i]->msg_style))
			continue;
		if (st->l->before_answer != NULL)
			st->l->before_answer(st->next_answer, st->l->hook_arg);
		if (st->next_answer >= H_MAX_ANSWERS ||
		    (a = st->l->answers[st->next_answer]) == NULL) {
			free_responses(r, n);
			return PAM_CONV_ERR;	/* the script ran out */
		}
		st->next_answer++;
		if ((r[i].resp = strdup(a)) == NULL) {
			free_responses(r, n);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* ---- logins ------------------------------------------------------------- */

static int
start(const struct h_deploy *d, struct h_login *l, struct conv_state *st,
    struct pam_conv *pc, pam_handle_t **pamh)
{
	int r;

	st->l = l;
	st->next_answer = 0;
	st->nasked = 0;
	pc->conv = conv;
	pc->appdata_ptr = st;
	*pamh = NULL;
	r = pam_start_confdir(H_SERVICE, l->user, pc, d->pamdir, pamh);
	if (r != PAM_SUCCESS)
		return r;
	if ((!l->no_rhost && (r = pam_set_item(*pamh, PAM_RHOST,
	    l->rhost != NULL ? l->rhost : H_RHOST)) != PAM_SUCCESS) ||
	    (!l->no_tty && (r = pam_set_item(*pamh, PAM_TTY,
	    l->tty != NULL ? l->tty : H_TTY)) != PAM_SUCCESS)) {
		(void)pam_end(*pamh, r);
		*pamh = NULL;
	}
	return r;
}

static void
login_reset(struct h_login *l)
{
	size_t i;

	l->start_rc = l->auth_rc = l->acct_rc = l->chauthtok_rc = -1;
	l->nprompts = 0;
	l->nnotices = 0;
	l->log[0] = '\0';
	for (i = 0; i < H_MAX_ANSWERS && l->answers[i] != NULL; i++)
		h_secret_add(l->answers[i]);
	h_secret_add(l->authtok);
	log_reset();
}

/* pam_set_items.so (libpam-wrapper) reads PAM_AUTHTOK from the environment. */
static void
authtok_env(const struct h_login *l, bool set)
{
	if (set && l->authtok != NULL)
		ck_assert_int_eq(setenv("PAM_AUTHTOK", l->authtok, 1), 0);
	else
		(void)unsetenv("PAM_AUTHTOK");
}

void
h_login(const struct h_deploy *d, struct h_login *l)
{
	struct conv_state st;
	struct pam_conv pc;
	pam_handle_t *pamh = NULL;

	login_reset(l);
	l->start_rc = start(d, l, &st, &pc, &pamh);
	if (l->start_rc == PAM_SUCCESS) {
		authtok_env(l, true);
		if (!l->skip_auth)
			l->auth_rc = pam_authenticate(pamh, 0);
		authtok_env(l, false);
		if (!l->skip_account)
			l->acct_rc = pam_acct_mgmt(pamh, 0);
		if (l->getenv_name != NULL)
			(void)snprintf(l->getenv_value, sizeof(l->getenv_value),
			    "%s", pam_getenv(pamh, l->getenv_name) != NULL ?
			    pam_getenv(pamh, l->getenv_name) : "");
		if (l->chauthtok && l->acct_rc == PAM_NEW_AUTHTOK_REQD)
			l->chauthtok_rc = pam_chauthtok(pamh,
			    PAM_CHANGE_EXPIRED_AUTHTOK);
		(void)pam_end(pamh, l->auth_rc);
	}
	(void)snprintf(l->log, sizeof(l->log), "%s", log_cur);
}

void
h_passwd(const struct h_deploy *d, struct h_login *l, int flags)
{
	struct conv_state st;
	struct pam_conv pc;
	pam_handle_t *pamh = NULL;

	login_reset(l);
	l->start_rc = start(d, l, &st, &pc, &pamh);
	if (l->start_rc == PAM_SUCCESS) {
		l->chauthtok_rc = pam_chauthtok(pamh, flags);
		(void)pam_end(pamh, l->chauthtok_rc);
	}
	(void)snprintf(l->log, sizeof(l->log), "%s", log_cur);
}

/* One racer: ready, wait for the start, authenticate, report by exit code. */
static void
racer(const struct h_deploy *d, const struct h_login *tmpl, int ready_fd,
    int go_fd)
{
	struct h_login *l = malloc(sizeof(*l));
	struct conv_state st;
	struct pam_conv pc;
	pam_handle_t *pamh = NULL;
	char c;
	int rc;

	if (l == NULL)
		_exit(30);
	*l = *tmpl;
	login_reset(l);
	if (start(d, l, &st, &pc, &pamh) != PAM_SUCCESS)
		_exit(31);
	if (write(ready_fd, "r", 1) != 1)
		_exit(32);
	while (read(go_fd, &c, 1) < 0 && errno == EINTR)
		;	/* EOF: the parent closed the barrier */
	rc = pam_authenticate(pamh, 0);
	(void)pam_end(pamh, rc);
	if (rc == PAM_SUCCESS)
		_exit(0);
	if (getenv("KGW_TEST_RACE_LOG") != NULL)	/* for a failing race */
		(void)fprintf(stderr, "racer refused:\n%s\n", log_cur);
	_exit(strstr(log_cur, "reason=replay") != NULL ? 10 : 11);
}

int
h_race(const struct h_deploy *d, const struct h_login *l, int n,
    int *replays)
{
	const struct h_deploy *ds[1];

	ds[0] = d;
	return h_race_hosts(ds, 1, l, n, replays);
}

int
h_race_hosts(const struct h_deploy *const *ds, int nd,
    const struct h_login *l, int n, int *replays)
{
	int ready[2], go[2], i, wins = 0, status;
	pid_t pids[32];
	char c;

	ck_assert(n > 0 && n <= 32 && nd > 0);
	*replays = 0;
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			(void)close(ready[0]);
			(void)close(go[1]);
			racer(ds[i % nd], l, ready[1], go[0]);
		}
	}
	(void)close(ready[1]);
	(void)close(go[0]);
	for (i = 0; i < n; i++)
		if (read(ready[0], &c, 1) != 1)
			break;	/* a racer died before it was ready */
	(void)close(go[1]);	/* all start now */
	(void)close(ready[0]);
	for (i = 0; i < n; i++) {
		while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
		ck_assert_msg(WIFEXITED(status), "racer %d died: status %#x",
		    i, (unsigned)status);
		ck_assert_msg(WEXITSTATUS(status) <= 11,
		    "racer %d could not start: exit %d", i,
		    WEXITSTATUS(status));
		if (WEXITSTATUS(status) == 0)
			wins++;
		else if (WEXITSTATUS(status) == 10)
			(*replays)++;
	}
	return wins;
}

/* ---- reading results ---------------------------------------------------- */

const char *
h_decision(const struct h_login *l, const char *phase, char *buf,
    size_t buflen)
{
	char needle[64];
	const char *p, *end;
	size_t n;

	(void)snprintf(needle, sizeof(needle), "phase=%s ", phase);
	if ((p = strstr(l->log, needle)) == NULL)
		return NULL;
	while (p > l->log && p[-1] != '\n')
		p--;
	end = strchr(p, '\n');
	n = end != NULL ? (size_t)(end - p) : strlen(p);
	if (n >= buflen)
		n = buflen - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

void
h_expect_line(const struct h_login *l, const char *phase, const char *want)
{
	char line[1024], field[128];
	const char *dec = h_decision(l, phase, line, sizeof(line));
	const char *p = want;
	size_t n;

	ck_assert_msg(dec != NULL, "no %s decision; log:\n%s", phase, l->log);
	while (*p != '\0') {
		n = strcspn(p, " ");
		ck_assert(n + 2 < sizeof(field));
		field[0] = ' ';
		memcpy(field + 1, p, n);
		field[n + 1] = '\0';
		ck_assert_msg(strstr(dec, field) != NULL, "want \"%s\" in %s "
		    "line: %s", field + 1, phase, dec);
		p += n + (p[n] == ' ');
	}
}

size_t
h_questions(const struct h_login *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->nprompts; i++)
		if (l->prompts[i].style == PAM_PROMPT_ECHO_OFF ||
		    l->prompts[i].style == PAM_PROMPT_ECHO_ON)
			n++;
	return n;
}

bool
h_told(const struct h_login *l, int style, const char *needle)
{
	size_t i;

	for (i = 0; i < l->nprompts; i++)
		if (l->prompts[i].style == style &&
		    strstr(l->prompts[i].text, needle) != NULL)
			return true;
	for (i = 0; i < l->nnotices; i++)
		if (l->notices[i].style == style &&
		    strstr(l->notices[i].text, needle) != NULL)
			return true;
	return false;
}

size_t
h_count(const char *haystack, const char *needle)
{
	size_t n = 0;
	const char *p;

	for (p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

bool
h_same_prompts(const struct h_login *a, const struct h_login *b)
{
	size_t i;

	if (a->nprompts != b->nprompts)
		return false;
	for (i = 0; i < a->nprompts; i++)
		if (a->prompts[i].style != b->prompts[i].style ||
		    strcmp(a->prompts[i].text, b->prompts[i].text) != 0)
			return false;
	return true;
}

const char *
h_prompts_str(const struct h_login *l, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < l->nprompts && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s[%d]%s",
		    i > 0 ? "|" : "", l->prompts[i].style, l->prompts[i].text);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

const char *
h_set_items_module(void)
{
	static char path[H_PATH_MAX];
	glob_t g;

	if (path[0] != '\0')
		return path;
	if (glob("/usr/lib/*/pam_wrapper/pam_set_items.so", 0, NULL, &g) == 0) {
		if (g.gl_pathc > 0)
			(void)snprintf(path, sizeof(path), "%s", g.gl_pathv[0]);
		globfree(&g);
	}
	return path[0] != '\0' ? path : NULL;
}

void
h_json_codes(const char *json, const char *key, char codes[][H_CODE_MAX],
    size_t n)
{
	const char *p = strstr(json, key);
	size_t i, len;

	ck_assert_msg(p != NULL, "no %s in: %s", key, json);
	p += strlen(key);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(p = strchr(p, '"'));
		len = strcspn(++p, "\"");
		ck_assert(len > 0 && len < H_CODE_MAX);
		memcpy(codes[i], p, len);
		codes[i][len] = '\0';
		h_secret_add(codes[i]);
		h_secret_publish(codes[i]);
		p += len + 1;
	}
}
