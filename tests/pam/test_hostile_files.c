/*
 * Unsafe files, refused before being read, through the module (real
 * libpam) and through the CLI: the config, the store and the key each as
 * a symlink, writable by others, owned by another user, a directory, a
 * FIFO, and each in a parent directory that is unsafe. inotify proves the
 * file was never opened; a FIFO opened by mistake would block, so every
 * case must also end quickly.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "harness.h"

#define NOBODY 65534		/* uid and gid of nobody on Debian */
#define QUICK 20		/* seconds: a login or CLI run, valgrind too */

static struct h_deploy D;
static struct h_user alice;
static struct h_login L;
static int stride = 1;		/* of the cases run */

enum target { T_CONFIG, T_STORE, T_KEY, T_COUNT };
enum harm {
	H_SYMLINK,		/* the name is a link (to a FIFO) */
	H_WORLD_WRITABLE,	/* mode 0666 (the key 0622: not readable) */
	H_OTHER_OWNER,		/* chown nobody */
	H_DIRECTORY,		/* a directory in its place */
	H_FIFO,			/* a FIFO in its place */
	H_DIR_OTHER_OWNER,	/* its directory owned by nobody */
	H_DIR_WORLD_WRITABLE,	/* its directory 0777 */
	H_DIR_SYMLINK,		/* its directory reached through a link */
	H_COUNT
};

static const char *const target_name[T_COUNT] = { "config", "store", "key" };
static const char *const harm_name[H_COUNT] = {
	"a symlink (to a FIFO)", "writable by others", "owned by nobody",
	"a directory", "a FIFO", "in a directory owned by nobody",
	"in a directory writable by all", "in a symlinked directory",
};

/* snprintf that must fit: a cut path would test the wrong file. */
static void __attribute__((format(printf, 3, 4)))
fmt(char *out, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(out, len, f, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < len);
}

static void
setup(void)
{
	h_deploy_new(&D);
	h_user_make(&alice, "alice");
	h_enrol(&D, &alice);
}

static void
teardown(void)
{
	const char *leak = h_leak_find();

	h_deploy_free(&D);
	ck_assert_msg(leak == NULL, "a secret appears in the captured output");
}

static char *
target_path(enum target t)
{
	return t == T_CONFIG ? D.conf : t == T_STORE ? D.store : D.key;
}

/* Moves the file (and the store's side files) into dir, renaming it. */
static void
move_into(enum target t, const char *dir)
{
	char *path = target_path(t), pattern[H_PATH_MAX + 4], to[H_PATH_MAX];
	const char *base = strrchr(path, '/') + 1;
	glob_t g;
	size_t i;

	fmt(pattern, sizeof(pattern), "%s*", path);
	ck_assert_int_eq(glob(pattern, 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		fmt(to, sizeof(to), "%s/%s", dir,
		    strrchr(g.gl_pathv[i], '/') + 1);
		ck_assert_msg(rename(g.gl_pathv[i], to) == 0, "rename %s: %s",
		    g.gl_pathv[i], strerror(errno));
	}
	globfree(&g);
	fmt(to, sizeof(to), "%s/%s", dir, base);
	fmt(path, H_PATH_MAX, "%s", to);
}

/* Replaces the file by what the harm makes of it, keeping the content
 * aside; returns the path to watch (the content that must stay unread). */
static void
harm_file(enum target t, enum harm h, char watch[H_PATH_MAX])
{
	char *path = target_path(t), aside[H_PATH_MAX + 8];

	fmt(watch, H_PATH_MAX, "%s", path);
	fmt(aside, sizeof(aside), "%s.aside", path);
	switch (h) {
	case H_SYMLINK:
		/* Followed and opened, a FIFO would block the login. */
		ck_assert_int_eq(rename(path, aside), 0);
		fmt(aside, sizeof(aside), "%s.fifo", path);
		ck_assert_int_eq(mkfifo(aside, 0600), 0);
		ck_assert_int_eq(symlink(aside, path), 0);
		fmt(watch, H_PATH_MAX, "%s", aside);
		break;
	case H_WORLD_WRITABLE:
		ck_assert_int_eq(chmod(path, t == T_KEY ? 0622 : 0666), 0);
		break;
	case H_OTHER_OWNER:
		ck_assert_int_eq(chown(path, NOBODY, NOBODY), 0);
		break;
	case H_DIRECTORY:
		ck_assert_int_eq(rename(path, aside), 0);
		ck_assert_int_eq(mkdir(path, 0700), 0);
		break;
	case H_FIFO:
		ck_assert_int_eq(rename(path, aside), 0);
		ck_assert_int_eq(mkfifo(path, 0600), 0);
		break;
	default:
		ck_abort();
	}
}

/* The file in a directory of its own, which the harm makes unsafe. */
static void
harm_dir(enum target t, enum harm h, char watch[H_PATH_MAX])
{
	char sub[H_PATH_MAX], real[H_PATH_MAX + 8];

	fmt(sub, sizeof(sub), "%s/sub", D.dir);
	fmt(real, sizeof(real), "%s.real", sub);
	ck_assert_int_eq(mkdir(h == H_DIR_SYMLINK ? real : sub, 0700), 0);
	if (h == H_DIR_SYMLINK)
		ck_assert_int_eq(symlink(real, sub), 0);
	move_into(t, sub);
	fmt(watch, H_PATH_MAX, "%s", target_path(t));
	if (h == H_DIR_OTHER_OWNER)
		ck_assert_int_eq(chown(sub, NOBODY, NOBODY), 0);
	if (h == H_DIR_WORLD_WRITABLE)
		ck_assert_int_eq(chmod(sub, 0777), 0);
	/* The config names the store and key; the service names the config. */
	h_write_config(&D, NULL);
	h_service(&D, NULL, NULL, NULL, NULL);
}

/* What the log (module) or stderr (CLI) must say: the path and why. */
static void
expected(enum target t, enum harm h, char *out, size_t len)
{
	const char *path = target_path(t);
	char dir[H_PATH_MAX];

	fmt(dir, sizeof(dir), "%s/sub", D.dir);
	switch (h) {
	case H_SYMLINK:
		fmt(out, len, "%s: is a symbolic link", path);
		break;
	case H_WORLD_WRITABLE:
		fmt(out, len, "%s: writable by group or others",
		    path);
		break;
	case H_OTHER_OWNER:
		fmt(out, len, "%s: owned by uid %d, expected root",
		    path, NOBODY);
		break;
	case H_DIRECTORY:
	case H_FIFO:
		fmt(out, len, "%s: not a regular file", path);
		break;
	case H_DIR_OTHER_OWNER:
		fmt(out, len, "%s: owned by uid %d, expected root",
		    dir, NOBODY);
		break;
	case H_DIR_WORLD_WRITABLE:
		fmt(out, len, "%s: writable by group or others",
		    dir);
		break;
	case H_DIR_SYMLINK:
		fmt(out, len, "%s: is a symbolic link", dir);
		break;
	default:
		ck_abort();
	}
}

/* An inotify watch on the content: any open or read shows up. */
static int
watch_start(const char *path)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_msg(inotify_add_watch(fd, path, IN_OPEN | IN_ACCESS) >= 0,
	    "inotify %s: %s", path, strerror(errno));
	return fd;
}

static void
watch_end(int fd, const char *what)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(fd, buf, sizeof(buf));

	ck_assert_msg(n < 0 && errno == EAGAIN, "%s: the file was opened or "
	    "read (%zd bytes of events)", what, n);
	(void)close(fd);
}

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_unsafe_file)
{
	int c = _i * stride;
	enum target t = (enum target)(c / H_COUNT);
	enum harm h = (enum harm)(c % H_COUNT);
	char what[128], watch[H_PATH_MAX], want[H_PATH_MAX + 64];
	char code[16], out[8192];
	double t0;
	int fd, rc;

	fmt(what, sizeof(what), "%s %s", target_name[t],
	    harm_name[h]);
	if (h >= H_DIR_OTHER_OWNER)
		harm_dir(t, h, watch);
	else
		harm_file(t, h, watch);
	expected(t, h, want, sizeof(want));
	fd = watch_start(watch);
	h_code(alice.secret, h_step_with_margin(3), code);
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	L.answers[1] = code;
	t0 = now_s();
	h_login(&D, &L);
	ck_assert_msg(now_s() - t0 < QUICK, "%s: the login took %.1f s", what,
	    now_s() - t0);
	ck_assert_msg(L.auth_rc == PAM_AUTH_ERR && L.acct_rc == PAM_PERM_DENIED,
	    "%s: auth %d, account %d; log:\n%s", what, L.auth_rc, L.acct_rc,
	    L.log);
	ck_assert_msg(strstr(L.log, want) != NULL, "%s: want \"%s\" in the "
	    "log:\n%s", what, want, L.log);
	/* Refused before any question: nothing asked, nothing judged. */
	ck_assert_msg(h_questions(&L) == 0, "%s: asked before refusing", what);
	h_expect_line(&L, "auth", "result=deny");
	h_expect_line(&L, "account", "result=deny");
	/* The CLI refuses the same file, with the same words, quickly. */
	t0 = now_s();
	rc = h_cli(&D, NULL, out, sizeof(out), "show", "alice", (char *)NULL);
	ck_assert_msg(now_s() - t0 < QUICK, "%s: the CLI took %.1f s", what,
	    now_s() - t0);
	ck_assert_msg(rc == 1, "%s: CLI exit %d: %s", what, rc, out);
	ck_assert_msg(strstr(out, want) != NULL, "%s: want \"%s\" from the "
	    "CLI:\n%s", what, want, out);
	watch_end(fd, what);
}
END_TEST

static Suite *
files_suite(void)
{
	Suite *s = suite_create("pam_hostile_files");
	TCase *tc = tcase_create("files");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	/* Under valgrind (make check-valgrind), every third case: each
	 * target and each harm still comes up, at a third of the time. */
	if (getenv("KGW_VALGRIND") != NULL)
		stride = 3;
	tcase_add_loop_test(tc, test_unsafe_file, 0,
	    (T_COUNT * H_COUNT + stride - 1) / stride);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	char base[] = "/tmp/kgw-hostile-files.XXXXXX";
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		/* Files owned by another user need chown. */
		(void)printf("1..0 # SKIP not root\n");
		return 77;
	}
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	h_set_base(base);
	sr = srunner_create(files_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (h_rmtree(base) != 0)
		(void)fprintf(stderr, "cannot remove %s\n", base);
	return failed == 0 ? 0 : 1;
}
