/*
 * Helpers of the concurrency tests (see conc.h): login workers that each
 * write what they saw to a file of their own, and the audit trail read
 * back through the CLI's CSV export.
 */
#include <config.h>

#include <check.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "conc.h"
#include "kgw_password.h"

#define LINE_MAX_ 4096

double
c_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The token after key (" reason=") up to a space or a colon. */
static void
token(const char *line, const char *key, char *out, size_t outlen)
{
	const char *p = strstr(line, key);
	size_t n;

	(void)snprintf(out, outlen, "-");
	if (p == NULL)
		return;
	p += strlen(key);
	n = strcspn(p, " :\n");
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static void
result_write(FILE *f, const char *tag, const struct h_login *l)
{
	char dec[1024], reason[32], seq[32];

	reason[0] = seq[0] = '\0';
	if (h_decision(l, "auth", dec, sizeof(dec)) != NULL) {
		token(dec, " reason=", reason, sizeof(reason));
		token(dec, " audit=", seq, sizeof(seq));
	}
	(void)fprintf(f, "%s %d %s %s %zu\n", tag, l->auth_rc,
	    reason[0] != '\0' ? reason : "-",
	    seq[0] != '\0' && strcmp(seq, "-") != 0 ? seq : "0",
	    h_count(l->log, "locked after"));
}

/* The parent closed its end: time to finish. */
static bool
stopped(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static void
worker(const struct h_deploy *d, int id, c_next_fn next, void *arg,
    const int fds[3], const char *file)
{
	static struct h_login l;	/* big: not on the stack */
	char tag[8], c;
	unsigned i;
	FILE *f;

	if ((f = fopen(file, "w")) == NULL)
		_exit(40);
	if (write(fds[0], "r", 1) != 1)
		_exit(41);
	(void)close(fds[0]);
	while (read(fds[1], &c, 1) < 0 && errno == EINTR)
		;	/* EOF: the parent released everyone */
	for (i = 0;; i++) {
		memset(&l, 0, sizeof(l));
		memset(tag, 0, sizeof(tag));
		if (!next(id, i, stopped(fds[2]), &l, tag, arg))
			break;
		l.skip_account = true;
		h_login(d, &l);
		result_write(f, tag, &l);
	}
	if (fclose(f) != 0)
		_exit(42);
	/* Not even under load may a code or password reach the log. */
	_exit(h_leak_find() != NULL ? 43 : 0);
}

void
c_start(const struct h_deploy *d, struct c_run *run, int n, c_next_fn next,
    void *arg)
{
	int ready[2], go[2], stop[2], i;
	char c;

	ck_assert(n > 0 && n <= C_WORKERS_MAX);
	memset(run, 0, sizeof(*run));
	run->n = n;
	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(stop, O_CLOEXEC), 0);
	for (i = 0; i < n; i++) {
		(void)snprintf(run->files[i], sizeof(run->files[i]),
		    "%s/worker.%d", d->dir, i);
		ck_assert_int_ge(run->pids[i] = fork(), 0);
		if (run->pids[i] == 0) {
			int fds[3] = { ready[1], go[0], stop[0] };

			(void)close(ready[0]);
			(void)close(go[1]);
			(void)close(stop[1]);
			worker(d, i, next, arg, fds, run->files[i]);
		}
	}
	(void)close(ready[1]);
	(void)close(go[0]);
	(void)close(stop[0]);
	for (i = 0; i < n; i++)
		if (read(ready[0], &c, 1) != 1)
			break;	/* a worker died before it was ready */
	(void)close(ready[0]);
	(void)close(go[1]);	/* all start now */
	run->stop_fd = stop[1];
}

void
c_stop(struct c_run *run)
{
	if (run->stop_fd > 0)
		(void)close(run->stop_fd);
	run->stop_fd = -1;
}

/* p, of *cap items of size, with room for twice as many and more. */
static void *
grow(void *p, size_t *cap, size_t more, size_t size)
{
	void *q;

	*cap = *cap * 2 + more;
	if ((q = realloc(p, *cap * size)) == NULL)
		free(p);
	ck_assert_ptr_nonnull(q);
	return q;
}

/* "TAG RC REASON SEQ LOCKLINES" */
static bool
result_parse(char *line, struct c_result *r)
{
	char *f[5], *save = NULL, *p;
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0, p = line; i < 5; i++, p = NULL)
		if ((f[i] = strtok_r(p, " \n", &save)) == NULL)
			return false;
	(void)snprintf(r->tag, sizeof(r->tag), "%s", f[0]);
	r->auth_rc = (int)strtol(f[1], NULL, 10);
	(void)snprintf(r->reason, sizeof(r->reason), "%s", f[2]);
	r->seq = strtoll(f[3], NULL, 10);
	r->lock_lines = (unsigned)strtoul(f[4], NULL, 10);
	return true;
}

static void
results_read(const char *file, struct c_result **all, size_t *n,
    size_t *cap)
{
	char line[LINE_MAX_];
	FILE *f = fopen(file, "r");

	ck_assert_msg(f != NULL, "open %s: %s", file, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (*n == *cap)
			*all = grow(*all, cap, 64, sizeof(**all));
		ck_assert_msg(result_parse(line, &(*all)[*n]),
		    "bad result line in %s: %.512s", file, line);
		(*n)++;
	}
	(void)fclose(f);
}

struct c_result *
c_wait(struct c_run *run, size_t *count)
{
	struct c_result *all = NULL;
	size_t cap = 0;
	int i, status;

	c_stop(run);
	*count = 0;
	for (i = 0; i < run->n; i++) {
		while (waitpid(run->pids[i], &status, 0) < 0 && errno == EINTR)
			;
		ck_assert_msg(!WIFEXITED(status) || WEXITSTATUS(status) != 43,
		    "worker %d: the module logged a code or password", i);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "worker %d ended badly: status %#x", i, (unsigned)status);
	}
	for (i = 0; i < run->n; i++)
		results_read(run->files[i], &all, count, &cap);
	return all;
}

/* ---- the audit trail, through the CLI ----------------------------------- */

/* The child: argv is the tool, --config, args; fds 0 and 1 as given. */
static void
cli_exec(const struct h_deploy *d, const char *const args[], int in_fd,
    const char *out_file)
{
	char *argv[16];
	int i, n = 0, fd;

	argv[n++] = strdup(h_enroll_path());
	argv[n++] = strdup("--config");
	argv[n++] = strdup(d->conf);
	for (i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = strdup(args[i]);
	argv[n] = NULL;
	fd = open(out_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || dup2(fd, 1) < 0 || (in_fd >= 0 && dup2(in_fd, 0) < 0))
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

static void
cli_wait(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "kakogawa-enroll %s: status %#x", what, (unsigned)status);
}

/* Runs the CLI with its standard output to file (the trail can be large). */
static void
cli_to_file(const struct h_deploy *d, const char *file,
    const char *const args[])
{
	pid_t pid;

	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0)
		cli_exec(d, args, -1, file);
	cli_wait(pid, args[0]);
}

void
c_cli_spawn(const struct h_deploy *d, struct c_cli *c,
    const char *const args[])
{
	int in[2];

	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	c->what = args[0];
	ck_assert_int_ge(c->pid = fork(), 0);
	if (c->pid == 0)
		cli_exec(d, args, in[0], "/dev/null");
	(void)close(in[0]);
	c->in_fd = in[1];
}

void
c_cli_finish(struct c_cli *c, const char *input)
{
	size_t len = strlen(input);

	ck_assert_msg(write(c->in_fd, input, len) == (ssize_t)len,
	    "write to kakogawa-enroll %s: %s", c->what, strerror(errno));
	(void)close(c->in_fd);
	cli_wait(c->pid, c->what);
}

/* src into dst, cut to fit. */
static void
copy(char *dst, size_t dstlen, const char *src)
{
	size_t n = strnlen(src, dstlen - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The next quoted CSV field into out; p moves past it and its comma. */
static bool
csv_field(const char **p, char *out, size_t outlen)
{
	const char *s = *p;
	size_t n = 0;

	if (*s++ != '"')
		return false;
	for (; *s != '\0'; s++) {
		if (*s == '"' && s[1] == '"')
			s++;	/* a doubled quote is one */
		else if (*s == '"')
			break;
		if (n + 1 < outlen)
			out[n++] = *s;
	}
	out[n] = '\0';
	if (*s != '"')
		return false;
	s++;
	if (*s == ',')
		s++;
	*p = s;
	return true;
}

/* seq,time,kind,host,host_zone,service,user,rhost,src_zone,tty,factors,
 * result,reason,rule,operator,action,detail,mac */
static bool
rec_parse(const char *line, struct c_rec *r)
{
	char f[18][2 * C_FIELD_MAX];
	const char *p = line;
	int i;

	for (i = 0; i < 18; i++)
		if (!csv_field(&p, f[i], sizeof(f[i])))
			return false;
	memset(r, 0, sizeof(*r));
	r->seq = strtoll(f[0], NULL, 10);
	copy(r->kind, sizeof(r->kind), f[2]);
	copy(r->user, sizeof(r->user), f[6]);
	copy(r->result, sizeof(r->result), f[11]);
	copy(r->reason, sizeof(r->reason), f[12]);
	copy(r->action, sizeof(r->action), f[15]);
	copy(r->detail, sizeof(r->detail), f[16]);
	return r->seq > 0;
}

struct c_rec *
c_trail(const struct h_deploy *d, size_t *count)
{
	static const char *const args[] = { "audit", "export", "--format",
	    "csv", NULL };
	char file[H_PATH_MAX + 16], line[LINE_MAX_];
	struct c_rec *all = NULL;
	size_t cap = 0;
	FILE *f;

	(void)snprintf(file, sizeof(file), "%s/trail.csv", d->dir);
	cli_to_file(d, file, args);
	ck_assert_ptr_nonnull(f = fopen(file, "r"));
	*count = 0;
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));	/* header */
	while (fgets(line, sizeof(line), f) != NULL) {
		if (*count == cap)
			all = grow(all, &cap, 256, sizeof(*all));
		ck_assert_msg(rec_parse(line, &all[*count]),
		    "bad trail line: %.512s", line);
		ck_assert(*count == 0 || all[*count].seq >
		    all[*count - 1].seq);
		(*count)++;
	}
	(void)fclose(f);
	return all;
}

void
c_cli_ok(const struct h_deploy *d, const char *input, const char *a1,
    const char *a2, const char *a3, const char *a4, const char *a5)
{
	char out[4096];
	int rc;

	rc = h_cli(d, input, out, sizeof(out), a1, a2, a3, a4, a5,
	    (char *)NULL);
	ck_assert_msg(rc == 0, "kakogawa-enroll %s %s: exit %d: %s", a1,
	    a2 != NULL ? a2 : "", rc, out);
}

void
c_set_secret(const struct h_deploy *d, const char *user, const char *secret)
{
	char line[H_B32_MAX + 2];

	(void)snprintf(line, sizeof(line), "%s\n", secret);
	c_cli_ok(d, line, "totp", user, "--secret", "--show", "none");
	explicit_bzero(line, sizeof(line));
}

void
c_show(const struct h_deploy *d, const char *user, unsigned *failures,
    bool *locked)
{
	const char *args[] = { "--json", "show", user, NULL };
	char file[H_PATH_MAX + 16], head[4096];
	const char *p;
	size_t n;
	FILE *f;

	/* To a file: the changes listed after the counts grow without end. */
	(void)snprintf(file, sizeof(file), "%s/show.json", d->dir);
	cli_to_file(d, file, args);
	ck_assert_ptr_nonnull(f = fopen(file, "r"));
	n = fread(head, 1, sizeof(head) - 1, f);
	(void)fclose(f);
	head[n] = '\0';
	if ((p = strstr(head, ",\"changes\":")) != NULL)
		head[p - head] = '\0';
	p = strstr(head, "\"failures\":");
	ck_assert_msg(p != NULL, "show %s: no failures in: %.512s", user,
	    head);
	*failures = (unsigned)strtoul(p + strlen("\"failures\":"), NULL, 10);
	*locked = strstr(head, "\"locked\":true") != NULL;
}

/*
 * A cheap hash (yescrypt at cost 1, a millisecond) for tests that make
 * thousands of logins: the default costs 20 ms, and eight of them a round
 * on two cores would measure yescrypt, not the store's races.
 */
void
c_cheap_password(const struct h_deploy *d, const char *user,
    const char *password)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], line[CRYPT_OUTPUT_SIZE + 2];
	struct crypt_data *cd;

	ck_assert_ptr_nonnull(cd = calloc(1, sizeof(*cd)));
	ck_assert_ptr_nonnull(crypt_gensalt_rn("$y$", 1, NULL, 0, setting,
	    (int)sizeof(setting)));
	ck_assert_ptr_nonnull(crypt_rn(password, setting, cd,
	    (int)sizeof(*cd)));
	ck_assert(cd->output[0] == '$' &&
	    strlen(cd->output) < KGW_HASH_MAX);
	(void)snprintf(line, sizeof(line), "%s\n", cd->output);
	c_cli_ok(d, line, "passwd", user, "--hash-stdin", NULL, NULL);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
}
