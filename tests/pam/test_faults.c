/*
 * Faults of the store under a login, through the real libpam (harness.c),
 * and the helpdesk tool on the same faults. Each case proves: the login
 * is refused (never PAM_SUCCESS), the log names the cause, the tool exits
 * non-zero saying why and changes nothing, and with the fault removed the
 * store passes PRAGMA integrity_check and the right login is accepted.
 *
 * - store removed, or another renamed over it, between the password and
 *   the code (the harness's before_answer hook): the login's write is
 *   refused, so the used code or failure never goes to an unlinked file,
 *   and the store now in place is not written with this person's state;
 * - the store locked by another process (BEGIN EXCLUSIVE, libsqlite3)
 *   past busy_timeout: store_busy, "database is locked";
 * - corrupt pages (after a checkpoint, so the main file holds the rows):
 *   the pages of the people and of the audit trail refuse the right code,
 *   and no page's corruption lets a wrong code in;
 * - the key file missing or replaced: the tool refuses to enrol and
 *   changes nothing (the login side is test_module's test_broken_deployment:
 *   B_KEY_MISSING, B_KEY_WRONG, B_KEY_SHORT).
 *
 * A full disk and a read-only store need a mount: tests/faults/disk.sh.
 * Conversation failures: test_module's test_conversation_failures covers
 * an error, NULL replies and a NULL reply array at each prompt. The module
 * sends one message per conversation call (pam_prompt), so "fewer replies
 * than prompts" can only be a NULL reply, which that test covers; the
 * CVE-2021-31924 case (a failed PIN prompt taken as no PIN) is
 * test_fido2's test_uv_pin_conversation.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <security/pam_appl.h>

#include "harness.h"

#define SNAP_MAX 16384
#define BUSY_MS 200

static struct h_deploy D;
static struct h_user alice;
static struct h_login L;	/* big: not on the stack */

/* The harness's config with a short busy timeout. */
static void
short_busy(void)
{
	char path[H_PATH_MAX], text[8192], *p;
	FILE *f;
	size_t n;

	h_write_config(&D, NULL);
	(void)snprintf(path, sizeof(path), "%s", D.conf);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	n = fread(text, 1, sizeof(text) - 1, f);
	(void)fclose(f);
	text[n] = '\0';
	ck_assert_ptr_nonnull(p = strstr(text, "busy_timeout = 10000\n"));
	memmove(p + 19, p + 20, strlen(p + 20) + 1);
	memcpy(p, "busy_timeout = 200", 18);
	p[18] = '\n';
	h_write_file(D.conf, text, 0644);
}

static void
setup(void)
{
	h_deploy_new(&D);
	short_busy();
	h_user_make(&alice, "alice");
	h_enrol(&D, &alice);
}

static void
teardown(void)
{
	const char *leak = h_leak_find();

	h_deploy_free(&D);
	ck_assert_msg(leak == NULL, "a secret appears in the captured output:"
	    "\n%s", h_transcript());
}

/* ---- the store, seen directly ------------------------------------------- */

static sqlite3 *
db_open(const char *path)
{
	sqlite3 *db = NULL;

	ck_assert_msg(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL) == SQLITE_OK, "open %s", path);
	(void)sqlite3_busy_timeout(db, 5000);
	return db;
}

static int
append_row(void *arg, int n, char **v, char **names)
{
	char *out = arg;
	size_t len = strlen(out);
	int i;

	(void)names;
	for (i = 0; i < n && len + 2 < SNAP_MAX; i++) {
		(void)snprintf(out + len, SNAP_MAX - len, "%s|",
		    v[i] != NULL ? v[i] : "NULL");
		len = strlen(out);
	}
	if (len + 2 < SNAP_MAX)
		(void)snprintf(out + len, SNAP_MAX - len, "\n");
	return 0;
}

/* The result rows of sql as text; "ERROR: ..." when it fails. */
static void
query(const char *path, const char *sql, char out[SNAP_MAX])
{
	sqlite3 *db = db_open(path);
	char *err = NULL;

	out[0] = '\0';
	if (sqlite3_exec(db, sql, append_row, out, &err) != SQLITE_OK)
		(void)snprintf(out, SNAP_MAX, "ERROR: %s", err);
	sqlite3_free(err);
	(void)sqlite3_close(db);
}

/* What no refused change may touch: people, changes, the audit trail. */
static void
snapshot(const char *path, char out[SNAP_MAX])
{
	query(path, "SELECT name, disabled, quote(pwhash), quote(totp_secret),"
	    " totp_last_step, fail_count, locked_until, zones FROM users"
	    " ORDER BY name; SELECT count(*) FROM changes;"
	    " SELECT count(*), max(seq) FROM audit;"
	    " SELECT quote(mac) FROM audit_head", out);
}

static void
integrity_ok(const char *path)
{
	char out[SNAP_MAX];

	query(path, "PRAGMA integrity_check", out);
	ck_assert_msg(strcmp(out, "ok|\n") == 0, "integrity_check of %s: %s",
	    path, out);
}

static void
run(const char *user, const char *a0, const char *a1)
{
	memset(&L, 0, sizeof(L));
	L.user = user;
	L.answers[0] = a0;
	L.answers[1] = a1;
	h_login(&D, &L);
}

/* Refused, with reason (NULL: any) on the decision line and text logged. */
static void
expect_refused(const char *reason, const char *text)
{
	char line[1024], want[96];

	ck_assert_int_eq(L.start_rc, PAM_SUCCESS);
	ck_assert_msg(L.auth_rc != PAM_SUCCESS, "accepted; log:\n%s", L.log);
	ck_assert_msg(L.auth_rc == PAM_AUTH_ERR, "pam_authenticate gave %d; "
	    "log:\n%s", L.auth_rc, L.log);
	ck_assert_msg(h_decision(&L, "auth", line, sizeof(line)) != NULL,
	    "no decision line; log:\n%s", L.log);
	if (reason != NULL) {
		(void)snprintf(want, sizeof(want), " reason=%s ", reason);
		ck_assert_msg(strstr(line, want) != NULL, "want%s in: %s",
		    want, line);
	}
	if (text != NULL)
		ck_assert_msg(strstr(L.log, text) != NULL, "want \"%s\" in "
		    "the log:\n%s", text, L.log);
}

static void
expect_allowed(void)
{
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "refused; log:\n%s", L.log);
}

/* The right login works on the store as it is now. */
static void
login_works(const char *code)
{
	integrity_ok(D.store);
	run("alice", alice.password, code);
	expect_allowed();
}

/* The tool fails, says text, and leaves the store as it was. */
static void
cli_refuses(const char *text, const char *input, const char *a1,
    const char *a2, const char *a3, const char *a4, const char *a5)
{
	char before[SNAP_MAX], after[SNAP_MAX], out[8192];
	int rc;

	snapshot(D.store, before);
	rc = h_cli(&D, input, out, sizeof(out), a1, a2, a3, a4, a5,
	    (char *)NULL);
	ck_assert_msg(rc != 0, "%s exited 0: %s", a1, out);
	ck_assert_msg(strstr(out, text) != NULL, "%s: want \"%s\" in: %s",
	    a1, text, out);
	snapshot(D.store, after);
	ck_assert_msg(strcmp(before, after) == 0, "%s changed the store:\n"
	    "%s\nthen\n%s", a1, before, after);
}

static void
side_path(char *out, size_t len, const char *suffix)
{
	ck_assert_int_lt(snprintf(out, len, "%s%s", D.store, suffix),
	    (int)len);
}

/* A consistent copy of the store (the backup API), mode 0600. */
static void
store_copy(const char *to)
{
	sqlite3 *src = db_open(D.store), *dst = NULL;
	sqlite3_backup *b;

	ck_assert_int_eq(sqlite3_open(to, &dst), SQLITE_OK);
	ck_assert_ptr_nonnull(b = sqlite3_backup_init(dst, "main", src,
	    "main"));
	ck_assert_int_eq(sqlite3_backup_step(b, -1), SQLITE_DONE);
	ck_assert_int_eq(sqlite3_backup_finish(b), SQLITE_OK);
	(void)sqlite3_close(dst);
	(void)sqlite3_close(src);
	ck_assert_int_eq(chmod(to, 0600), 0);
}

/* ---- the store removed or replaced during a login ---------------------- */

struct swap {
	const char *with;	/* renamed over the store; NULL: removed */
};

static void
swap_store(size_t index, void *arg)
{
	const struct swap *s = arg;
	char side[H_PATH_MAX + 8];

	if (index != 1)
		return;	/* after the password, before the code */
	if (s->with != NULL)
		ck_assert_int_eq(rename(s->with, D.store), 0);
	else
		ck_assert_int_eq(unlink(D.store), 0);
	/* An operator takes the store's companions with it. */
	side_path(side, sizeof(side), "-wal");
	(void)unlink(side);
	side_path(side, sizeof(side), "-shm");
	(void)unlink(side);
}

static void
login_swapping(const struct swap *s, const char *password, const char *code)
{
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = password;
	L.answers[1] = code;
	L.before_answer = swap_store;
	L.hook_arg = (void *)(uintptr_t)s;
	L.skip_account = true;	/* a new session on the new store: its own */
	h_login(&D, &L);
}

START_TEST(test_store_removed_during_login)
{
	char backup[H_PATH_MAX + 16], code[16];
	struct swap s = { NULL };
	struct stat st;

	(void)snprintf(backup, sizeof(backup), "%s/backup.db", D.dir);
	store_copy(backup);
	h_code(alice.secret, h_step_with_margin(4), code);
	login_swapping(&s, alice.password, code);
	expect_refused("store", "removed or replaced while in use");
	ck_assert_msg(lstat(D.store, &st) != 0 && errno == ENOENT,
	    "the store came back");
	/* Restored from the backup: intact, and the code was never used. */
	ck_assert_int_eq(rename(backup, D.store), 0);
	login_works(code);
}
END_TEST

START_TEST(test_store_replaced_during_login)
{
	char other[H_PATH_MAX + 16], before[SNAP_MAX], after[SNAP_MAX];
	char code[16];
	struct swap s = { other };
	int round;

	(void)snprintf(other, sizeof(other), "%s/other.db", D.dir);
	for (round = 0; round < 2; round++) {
		/* The right code, then a wrong password: neither the used
		 * code nor the failure goes anywhere. */
		store_copy(other);
		snapshot(other, before);
		h_code(alice.secret, h_step_with_margin(4), code);
		login_swapping(&s, round == 0 ? alice.password :
		    "a-wrong-password", code);
		expect_refused(round == 0 ? "store" : "bad_password",
		    round == 0 ? "removed or replaced while in use" :
		    "cannot record failure");
		snapshot(D.store, after);
		ck_assert_msg(strcmp(before, after) == 0, "the store put in "
		    "place was written:\n%s\nthen\n%s", before, after);
	}
	login_works(code);
}
END_TEST

/* ---- locked by another process ------------------------------------------ */

struct holder {
	pid_t pid;
	int release;	/* closing it ends the transaction */
};

/* A process holding the store's write lock until released. */
static void
lock_hold(struct holder *h)
{
	int ready[2], rel[2];
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(rel), 0);
	h->pid = fork();
	ck_assert_int_ge(h->pid, 0);
	if (h->pid == 0) {
		sqlite3 *db = NULL;

		(void)close(ready[0]);
		(void)close(rel[1]);
		if (sqlite3_open_v2(D.store, &db, SQLITE_OPEN_READWRITE,
		    NULL) != SQLITE_OK || sqlite3_exec(db, "BEGIN EXCLUSIVE",
		    NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		(void)!write(ready[1], "r", 1);
		while (read(rel[0], &c, 1) < 0 && errno == EINTR)
			;
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		(void)sqlite3_close(db);
		_exit(0);
	}
	(void)close(ready[1]);
	(void)close(rel[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	(void)close(ready[0]);
	h->release = rel[1];
}

static void
lock_release(struct holder *h)
{
	int status;

	(void)close(h->release);
	ck_assert_int_eq(waitpid(h->pid, &status, 0), h->pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_store_locked)
{
	struct holder h;
	char code[16];
	double t0;

	h_code(alice.secret, h_step_with_margin(8), code);
	lock_hold(&h);
	t0 = now_s();
	run("alice", alice.password, code);
	expect_refused("store_busy", "database is locked");
	/* Waited for the timeout, not for the holder. */
	ck_assert_msg(now_s() - t0 < 5.0, "the login waited %.1f s",
	    now_s() - t0);
	run("alice", "a-wrong-password", code);
	expect_refused("bad_password", "cannot record failure");
	cli_refuses("credential store busy", NULL, "add", "bob", "--zones",
	    H_ZONE, NULL);
	cli_refuses("credential store busy", NULL, "disable", "alice", NULL,
	    NULL, NULL);
	lock_release(&h);
	login_works(code);
}
END_TEST

/* ---- corrupt pages ------------------------------------------------------ */

struct image {
	unsigned char *bytes;
	size_t len, page;
	long users, audit;	/* root pages */
};

static long
int_query(const char *sql)
{
	char out[SNAP_MAX];

	query(D.store, sql, out);
	ck_assert_msg(strncmp(out, "ERROR", 5) != 0, "%s: %s", sql, out);
	return strtol(out, NULL, 10);
}

/* Removes the WAL and -shm: the main file alone is the store. */
static void
drop_wal(void)
{
	char side[H_PATH_MAX + 8];

	side_path(side, sizeof(side), "-wal");
	(void)unlink(side);
	side_path(side, sizeof(side), "-shm");
	(void)unlink(side);
}

/* The store checkpointed into its main file, read into memory. */
static void
image_take(struct image *im)
{
	char out[SNAP_MAX];
	FILE *f;
	struct stat st;

	query(D.store, "PRAGMA wal_checkpoint(TRUNCATE)", out);
	ck_assert_msg(strncmp(out, "0|", 2) == 0, "checkpoint: %s", out);
	im->page = (size_t)int_query("PRAGMA page_size");
	im->users = int_query("SELECT rootpage FROM sqlite_schema"
	    " WHERE name = 'users'");
	im->audit = int_query("SELECT rootpage FROM sqlite_schema"
	    " WHERE name = 'audit'");
	drop_wal();
	ck_assert_int_eq(stat(D.store, &st), 0);
	im->len = (size_t)st.st_size;
	ck_assert_ptr_nonnull(im->bytes = malloc(im->len));
	ck_assert_ptr_nonnull(f = fopen(D.store, "rb"));
	ck_assert_uint_eq(fread(im->bytes, 1, im->len, f), im->len);
	(void)fclose(f);
}

/* The saved store, with page (1-based; 0: none) garbled past its header. */
static void
image_put(const struct image *im, size_t page)
{
	unsigned char *b = malloc(im->len);
	size_t i, from, to;
	FILE *f;

	ck_assert_ptr_nonnull(b);
	memcpy(b, im->bytes, im->len);
	if (page > 0) {
		from = (page - 1) * im->page + (page == 1 ? 100 : 0);
		to = page * im->page;
		for (i = from; i < to && i < im->len; i++)
			b[i] = (unsigned char)(i * 2654435761u >> 13);
	}
	drop_wal();
	ck_assert_ptr_nonnull(f = fopen(D.store, "r+b"));
	ck_assert_uint_eq(fwrite(b, 1, im->len, f), im->len);
	ck_assert_int_eq(fclose(f), 0);
	free(b);
}

START_TEST(test_corrupt_pages)
{
	struct image im;
	char code[16], bad[16];
	size_t p, pages;

	memset(&im, 0, sizeof(im));
	image_take(&im);
	pages = im.len / im.page;
	ck_assert_uint_ge(pages, 3);
	h_code(alice.secret, h_step_with_margin(10), code);
	(void)snprintf(bad, sizeof(bad), "%06ld",
	    (strtol(code, NULL, 10) + 500000) % 1000000);
	/* The people's page and the trail's: the right code is refused. */
	image_put(&im, (size_t)im.users);
	run("alice", alice.password, code);
	expect_refused("store", "malformed");
	cli_refuses("malformed", NULL, "list", NULL, NULL, NULL, NULL);
	cli_refuses("malformed", NULL, "add", "bob", NULL, NULL, NULL);
	image_put(&im, (size_t)im.audit);
	run("alice", alice.password, code);
	expect_refused("store", "malformed");
	/* Any page: a wrong code is never let in, and nothing crashes. */
	for (p = 1; p <= pages; p++) {
		image_put(&im, p);
		run("alice", alice.password, bad);
		ck_assert_msg(L.auth_rc == PAM_AUTH_ERR, "page %zu of %zu: "
		    "pam_authenticate gave %d; log:\n%s", p, pages, L.auth_rc,
		    L.log);
	}
	/* Restored: intact, and the code was never used. */
	image_put(&im, 0);
	login_works(code);
	free(im.bytes);
}
END_TEST

/* ---- the key file ------------------------------------------------------- */

START_TEST(test_enrol_without_key)
{
	char line[H_B32_MAX + 2];
	FILE *f;

	(void)snprintf(line, sizeof(line), "%s\n", alice.secret);
	ck_assert_int_eq(unlink(D.key), 0);
	cli_refuses(D.key, NULL, "add", "bob", "--zones", H_ZONE, NULL);
	cli_refuses(D.key, line, "totp", "alice", "--secret", "--show",
	    "none");
	cli_refuses(D.key, "new-password\n", "passwd", "alice",
	    "--password-stdin", NULL, NULL);
	/* Another key: the trail's head does not verify under it. */
	ck_assert_ptr_nonnull(f = fopen(D.key, "wx"));
	ck_assert_int_eq(fchmod(fileno(f), 0600), 0);
	ck_assert_int_eq(fputs("0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	cli_refuses("audit", NULL, "add", "bob", "--zones", H_ZONE, NULL);
	cli_refuses("audit", line, "totp", "alice", "--secret", "--show",
	    "none");
}
END_TEST

static Suite *
faults_suite(void)
{
	Suite *s = suite_create("pam_faults");
	TCase *tc;

	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_store_removed_during_login);
	tcase_add_test(tc, test_store_replaced_during_login);
	tcase_add_test(tc, test_store_locked);
	tcase_add_test(tc, test_corrupt_pages);
	tcase_add_test(tc, test_enrol_without_key);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	char base[] = "/tmp/kgw-faults.XXXXXX";
	SRunner *sr;
	int failed;

	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	h_set_base(base);
	sr = srunner_create(faults_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (h_rmtree(base) != 0)
		(void)fprintf(stderr, "cannot remove %s\n", base);
	return failed == 0 ? 0 : 1;
}
