/* Unit tests for safe paths (kgw_path.h): symlinks, owners, modes, sizes. */
#include <config.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kgw_err.h"
#include "kgw_path.h"

#define OTHER_UID 12345

static char logbuf[8192];

static void
capture(void *arg, int priority, const char *msg)
{
	size_t used = strlen(logbuf);

	(void)arg;
	(void)priority;
	(void)snprintf(logbuf + used, sizeof(logbuf) - used, "%s\n", msg);
}

static const struct kgw_log test_log = { capture, NULL, false, false };

/* One base directory per run, removed by main() even when a test fails. */
static char basedir[64];
static char tmpdir[96];

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void
setup_dir(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/tXXXXXX", basedir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	logbuf[0] = '\0';
}

static void
teardown_dir(void)
{
	(void)chmod(tmpdir, 0700);
	(void)nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmpdir + "/" + rel, into a static buffer per slot. */
static const char *
at(int slot, const char *rel)
{
	static char bufs[4][PATH_MAX];

	(void)snprintf(bufs[slot], sizeof(bufs[slot]), "%s/%s", tmpdir, rel);
	return bufs[slot];
}

static void
make_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	size_t len = strlen(text);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void
make_dir(const char *path, mode_t mode)
{
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* What the tests rely on: / and /tmp as every Debian system has them. */
START_TEST(test_environment)
{
	struct stat st;

	ck_assert_int_eq(lstat("/tmp", &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_uid, 0);
	ck_assert((st.st_mode & S_ISVTX) != 0);
	ck_assert_int_eq(lstat(tmpdir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
}
END_TEST

START_TEST(test_good_file_and_dir)
{
	make_file(at(0, "f"), "x", 0644);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "f"), 0), KGW_OK);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, tmpdir), KGW_OK);
	make_dir(at(1, "sub"), 0755);
	make_file(at(2, "sub/g"), "y", 0600);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(2, "sub/g"), 0),
	    KGW_OK);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, at(1, "sub")), KGW_OK);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, "/"), KGW_OK);
	ck_assert_str_eq(logbuf, "");
}
END_TEST

/* /tmp is world-writable, but root-owned and sticky: a fine ancestor. */
START_TEST(test_tmp_as_ancestor)
{
	make_file(at(0, "f"), "x", 0600);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "f"),
	    KGW_PATH_PRIVATE), KGW_OK);
	/* As the directory files are put in, /tmp is refused: others could
	 * create the names SQLite would add beside a store. */
	ck_assert_int_eq(kgw_path_check_dir(&test_log, "/tmp"), KGW_ERR_UNSAFE);
}
END_TEST

static const char *const bad_syntax[] = {
	"",
	"relative",
	"tmp/x",
	"./x",
	"../etc/passwd",
	"/a/../b",
	"/tmp/../etc/passwd",
	"/tmp/./x",
	"/tmp/x/.",
	"/tmp/x/..",
	"/..",
	"/.",
};

START_TEST(test_bad_syntax)
{
	const char *p = bad_syntax[_i];

	logbuf[0] = '\0';
	ck_assert_msg(kgw_path_check_file(&test_log, p, 0) == KGW_ERR_UNSAFE,
	    "file \"%s\" accepted", p);
	ck_assert_msg(kgw_path_check_dir(&test_log, p) == KGW_ERR_UNSAFE,
	    "dir \"%s\" accepted", p);
	ck_assert_str_ne(logbuf, "");
}
END_TEST

/* ".." refused even when it would lead somewhere safe. */
START_TEST(test_dotdot_to_safe_place)
{
	char p[PATH_MAX];

	make_dir(at(0, "a"), 0700);
	make_file(at(1, "f"), "x", 0600);
	(void)snprintf(p, sizeof(p), "%s/a/../f", tmpdir);
	ck_assert_int_eq(kgw_path_check_file(&test_log, p, 0), KGW_ERR_UNSAFE);
	(void)snprintf(p, sizeof(p), "%s/a/..", tmpdir);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, p), KGW_ERR_UNSAFE);
}
END_TEST

START_TEST(test_null_path)
{
	unsigned char *buf = (unsigned char *)1;
	size_t len = 1;

	ck_assert_int_eq(kgw_path_check_file(&test_log, NULL, 0),
	    KGW_ERR_UNSAFE);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, NULL), KGW_ERR_UNSAFE);
	ck_assert_int_eq(kgw_path_read(&test_log, NULL, 0, 10, &buf, &len),
	    KGW_ERR_UNSAFE);
	ck_assert_ptr_null(buf);
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_too_long)
{
	char *p = malloc(PATH_MAX + 10);

	ck_assert_ptr_nonnull(p);
	p[0] = '/';
	memset(p + 1, 'a', PATH_MAX + 8);
	p[PATH_MAX + 9] = '\0';
	ck_assert_int_eq(kgw_path_check_file(&test_log, p, 0), KGW_ERR_UNSAFE);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, p), KGW_ERR_UNSAFE);
	free(p);
}
END_TEST

START_TEST(test_symlink_final_file)
{
	make_file(at(0, "real"), "x", 0644);
	ck_assert_int_eq(symlink(at(0, "real"), at(1, "link")), 0);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(1, "link"), 0),
	    KGW_ERR_UNSAFE);
	ck_assert_ptr_nonnull(strstr(logbuf, at(1, "link")));
	/* A relative link target changes nothing. */
	ck_assert_int_eq(symlink("real", at(2, "rlink")), 0);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(2, "rlink"), 0),
	    KGW_ERR_UNSAFE);
	/* Dangling link. */
	ck_assert_int_eq(symlink(at(3, "nothing"), at(0, "dangling")), 0);
	ck_assert_int_ne(kgw_path_check_file(&test_log, at(0, "dangling"), 0),
	    KGW_OK);
}
END_TEST

START_TEST(test_symlink_final_dir)
{
	make_dir(at(0, "real"), 0700);
	ck_assert_int_eq(symlink(at(0, "real"), at(1, "link")), 0);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, at(0, "real")), KGW_OK);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, at(1, "link")),
	    KGW_ERR_UNSAFE);
}
END_TEST

/*
 * A trailing slash makes lstat(2) follow a final symlink, so a link to a
 * directory must not pass as the directory itself.
 */
START_TEST(test_symlink_final_dir_trailing_slash)
{
	make_dir(at(0, "real"), 0700);
	ck_assert_int_eq(symlink(at(0, "real"), at(1, "link")), 0);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, at(2, "link/")),
	    KGW_ERR_UNSAFE);
}
END_TEST

START_TEST(test_symlink_middle)
{
	make_dir(at(0, "real"), 0700);
	make_file(at(1, "real/f"), "x", 0600);
	make_dir(at(2, "real/d"), 0700);
	ck_assert_int_eq(symlink(at(0, "real"), at(3, "link")), 0);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(1, "real/f"), 0),
	    KGW_OK);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(1, "link/f"), 0),
	    KGW_ERR_UNSAFE);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, at(2, "link/d")),
	    KGW_ERR_UNSAFE);
	/* And deeper: tmpdir/link/d/f */
	make_file(at(1, "real/d/f"), "x", 0600);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(1, "link/d/f"), 0),
	    KGW_ERR_UNSAFE);
}
END_TEST

START_TEST(test_group_writable_dir)
{
	make_file(at(0, "f"), "x", 0644);
	ck_assert_int_eq(chmod(tmpdir, 0775), 0);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "f"), 0),
	    KGW_ERR_UNSAFE);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, tmpdir), KGW_ERR_UNSAFE);
	ck_assert_ptr_nonnull(strstr(logbuf, tmpdir));
}
END_TEST

/* A loose directory anywhere above, not only the parent, is refused. */
START_TEST(test_group_writable_grandparent)
{
	make_dir(at(0, "sub"), 0700);
	make_file(at(1, "sub/f"), "x", 0600);
	ck_assert_int_eq(chmod(tmpdir, 0770), 0);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(1, "sub/f"), 0),
	    KGW_ERR_UNSAFE);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, at(0, "sub")),
	    KGW_ERR_UNSAFE);
}
END_TEST

START_TEST(test_world_writable_dir)
{
	make_dir(at(0, "open"), 0777);
	make_file(at(1, "open/f"), "x", 0644);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(1, "open/f"), 0),
	    KGW_ERR_UNSAFE);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, at(0, "open")),
	    KGW_ERR_UNSAFE);
}
END_TEST

/* Sticky is only enough when root owns the directory. */
START_TEST(test_sticky_dir)
{
	make_dir(at(0, "sticky"), 01777);
	make_dir(at(1, "sticky/own"), 0700);
	make_file(at(1, "sticky/f"), "x", 0644);
	make_file(at(2, "sticky/own/f"), "x", 0644);
	if (geteuid() == 0) {
		/* Root's sticky directory: fine above, not as the file's own. */
		ck_assert_int_eq(kgw_path_check_file(&test_log,
		    at(2, "sticky/own/f"), 0), KGW_OK);
		ck_assert_int_eq(kgw_path_check_file(&test_log,
		    at(1, "sticky/f"), 0), KGW_ERR_UNSAFE);
		ck_assert_int_eq(kgw_path_check_dir(&test_log,
		    at(1, "sticky")), KGW_ERR_UNSAFE);
		ck_assert_int_eq(lchown(at(0, "sticky"), OTHER_UID, OTHER_UID),
		    0);
		/* Another user's sticky directory: not even above. */
		ck_assert_int_eq(kgw_path_check_file(&test_log,
		    at(2, "sticky/own/f"), 0), KGW_ERR_UNSAFE);
	}
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(1, "sticky/f"), 0),
	    KGW_ERR_UNSAFE);
	/* A sticky group-writable file is still a writable file. */
	ck_assert_int_eq(chmod(at(0, "sticky"), 0700), 0);
	if (geteuid() == 0)
		ck_assert_int_eq(lchown(at(0, "sticky"), 0, 0), 0);
	ck_assert_int_eq(chmod(at(1, "sticky/f"), 01666), 0);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(1, "sticky/f"), 0),
	    KGW_ERR_UNSAFE);
}
END_TEST

/*
 * Seen by an ordinary user, a world-writable sticky directory that user
 * owns is still refused: only root's sticky directories are trusted. As
 * root, switch the effective uid to see it; the real uid stays root.
 */
START_TEST(test_sticky_dir_own_user)
{
	int r_plain, r_file, r_dir;

	if (geteuid() != 0)
		return;	/* as a user, test_sticky_dir covers this */
	ck_assert_int_eq(chmod(basedir, 0711), 0);
	ck_assert_int_eq(chmod(tmpdir, 0711), 0);
	make_dir(at(0, "plain"), 0755);
	make_file(at(1, "plain/f"), "x", 0644);
	make_dir(at(2, "sticky"), 01777);
	make_file(at(3, "sticky/f"), "x", 0644);
	ck_assert_int_eq(lchown(at(0, "plain"), OTHER_UID, OTHER_UID), 0);
	ck_assert_int_eq(lchown(at(1, "plain/f"), OTHER_UID, OTHER_UID), 0);
	ck_assert_int_eq(lchown(at(2, "sticky"), OTHER_UID, OTHER_UID), 0);
	ck_assert_int_eq(lchown(at(3, "sticky/f"), OTHER_UID, OTHER_UID), 0);

	ck_assert_int_eq(seteuid(OTHER_UID), 0);
	r_plain = kgw_path_check_file(&test_log, at(1, "plain/f"), 0);
	r_file = kgw_path_check_file(&test_log, at(3, "sticky/f"), 0);
	r_dir = kgw_path_check_dir(&test_log, at(2, "sticky"));
	ck_assert_int_eq(seteuid(0), 0);
	ck_assert_int_eq(chmod(basedir, 0700), 0);

	ck_assert_int_eq(r_plain, KGW_OK);	/* the user's own files are fine */
	ck_assert_int_eq(r_file, KGW_ERR_UNSAFE);
	ck_assert_int_eq(r_dir, KGW_ERR_UNSAFE);
}
END_TEST

START_TEST(test_writable_file)
{
	make_file(at(0, "gw"), "x", 0620);
	make_file(at(1, "ww"), "x", 0602);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "gw"), 0),
	    KGW_ERR_UNSAFE);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(1, "ww"), 0),
	    KGW_ERR_UNSAFE);
}
END_TEST

START_TEST(test_other_owner_file)
{
	if (geteuid() != 0)
		return;	/* chown needs root */
	make_file(at(0, "f"), "x", 0644);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "f"), 0), KGW_OK);
	ck_assert_int_eq(chown(at(0, "f"), OTHER_UID, 0), 0);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "f"), 0),
	    KGW_ERR_UNSAFE);
	ck_assert_ptr_nonnull(strstr(logbuf, "12345"));
}
END_TEST

START_TEST(test_other_owner_dir)
{
	if (geteuid() != 0)
		return;	/* chown needs root */
	make_dir(at(0, "d"), 0755);
	make_file(at(1, "d/f"), "x", 0644);
	ck_assert_int_eq(chown(at(0, "d"), OTHER_UID, OTHER_UID), 0);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, at(0, "d")),
	    KGW_ERR_UNSAFE);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(1, "d/f"), 0),
	    KGW_ERR_UNSAFE);
}
END_TEST

/* A group other than root's does not matter when it cannot write. */
START_TEST(test_other_group_readonly)
{
	if (geteuid() != 0)
		return;
	make_file(at(0, "f"), "x", 0640);
	ck_assert_int_eq(chown(at(0, "f"), 0, OTHER_UID), 0);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "f"), 0), KGW_OK);
}
END_TEST

static const mode_t private_bad[] = { 0640, 0604, 0644, 0610, 0601, 0660 };

START_TEST(test_private_modes)
{
	size_t i;

	make_file(at(0, "k"), "x", 0600);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "k"),
	    KGW_PATH_PRIVATE), KGW_OK);
	ck_assert_int_eq(chmod(at(0, "k"), 0400), 0);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "k"),
	    KGW_PATH_PRIVATE), KGW_OK);
	for (i = 0; i < sizeof(private_bad) / sizeof(private_bad[0]); i++) {
		ck_assert_int_eq(chmod(at(0, "k"), private_bad[i]), 0);
		ck_assert_msg(kgw_path_check_file(&test_log, at(0, "k"),
		    KGW_PATH_PRIVATE) == KGW_ERR_UNSAFE, "mode %04o accepted",
		    (unsigned)private_bad[i]);
	}
	/* Without the flag, a readable file is fine. */
	ck_assert_int_eq(chmod(at(0, "k"), 0644), 0);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "k"), 0), KGW_OK);
}
END_TEST

START_TEST(test_not_a_file)
{
	make_dir(at(0, "d"), 0700);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "d"), 0),
	    KGW_ERR_UNSAFE);
	ck_assert_int_eq(kgw_path_check_file(&test_log, tmpdir, 0),
	    KGW_ERR_UNSAFE);
	ck_assert_int_eq(kgw_path_check_file(&test_log, "/", 0),
	    KGW_ERR_UNSAFE);
	ck_assert_int_eq(mkfifo(at(1, "fifo"), 0600), 0);
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(1, "fifo"), 0),
	    KGW_ERR_UNSAFE);
}
END_TEST

START_TEST(test_not_a_dir)
{
	make_file(at(0, "f"), "x", 0600);
	ck_assert_int_eq(kgw_path_check_dir(&test_log, at(0, "f")),
	    KGW_ERR_UNSAFE);
	/* A file used as a directory in the middle. */
	ck_assert_int_ne(kgw_path_check_file(&test_log, at(1, "f/g"), 0),
	    KGW_OK);
}
END_TEST

START_TEST(test_missing)
{
	ck_assert_int_eq(kgw_path_check_file(&test_log, at(0, "none"), 0),
	    KGW_ERR_MISSING);
	ck_assert_int_ne(kgw_path_check_dir(&test_log, at(0, "none")), KGW_OK);
	ck_assert_int_ne(kgw_path_check_file(&test_log, at(1, "none/f"), 0),
	    KGW_OK);
}
END_TEST

START_TEST(test_read_ok)
{
	unsigned char *buf = NULL;
	size_t len = 0;

	make_file(at(0, "f"), "hello\nworld", 0644);
	ck_assert_int_eq(kgw_path_read(&test_log, at(0, "f"), 0, 1024, &buf,
	    &len), KGW_OK);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(len, 11);
	ck_assert_int_eq(memcmp(buf, "hello\nworld", 11), 0);
	ck_assert_uint_eq(buf[len], '\0');
	ck_assert_str_eq((const char *)buf, "hello\nworld");
	free(buf);
}
END_TEST

START_TEST(test_read_binary)
{
	static const unsigned char data[] = { 0, 1, 2, 0xff, 0, 'z' };
	unsigned char *buf = NULL;
	size_t len = 0;
	int fd;

	fd = open(at(0, "bin"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(kgw_path_read(&test_log, at(0, "bin"),
	    KGW_PATH_PRIVATE, sizeof(data), &buf, &len), KGW_OK);
	ck_assert_uint_eq(len, sizeof(data));
	ck_assert_int_eq(memcmp(buf, data, sizeof(data)), 0);
	ck_assert_uint_eq(buf[len], 0);
	free(buf);
}
END_TEST

START_TEST(test_read_empty)
{
	unsigned char *buf = NULL;
	size_t len = 99;

	make_file(at(0, "empty"), "", 0644);
	ck_assert_int_eq(kgw_path_read(&test_log, at(0, "empty"), 0, 10, &buf,
	    &len), KGW_OK);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(buf[0], '\0');
	free(buf);
}
END_TEST

START_TEST(test_read_maxsize)
{
	unsigned char *buf = (unsigned char *)1;
	size_t len = 99;

	make_file(at(0, "f"), "0123456789", 0644);
	ck_assert_int_eq(kgw_path_read(&test_log, at(0, "f"), 0, 9, &buf, &len),
	    KGW_ERR_INVALID);
	ck_assert_ptr_null(buf);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(strstr(logbuf, at(0, "f")));
	ck_assert_int_eq(kgw_path_read(&test_log, at(0, "f"), 0, 0, &buf, &len),
	    KGW_ERR_INVALID);
	/* Exactly maxsize is fine. */
	ck_assert_int_eq(kgw_path_read(&test_log, at(0, "f"), 0, 10, &buf,
	    &len), KGW_OK);
	ck_assert_uint_eq(len, 10);
	free(buf);
}
END_TEST

START_TEST(test_read_refusals)
{
	unsigned char *buf = (unsigned char *)1;
	size_t len = 99;

	make_dir(at(0, "d"), 0700);
	ck_assert_int_eq(kgw_path_read(&test_log, at(0, "d"), 0, 1024, &buf,
	    &len), KGW_ERR_UNSAFE);
	ck_assert_ptr_null(buf);
	ck_assert_uint_eq(len, 0);

	make_file(at(1, "f"), "secret", 0644);
	ck_assert_int_eq(kgw_path_read(&test_log, at(1, "f"), KGW_PATH_PRIVATE,
	    1024, &buf, &len), KGW_ERR_UNSAFE);
	ck_assert_ptr_null(buf);

	ck_assert_int_eq(symlink(at(1, "f"), at(2, "link")), 0);
	ck_assert_int_eq(kgw_path_read(&test_log, at(2, "link"), 0, 1024, &buf,
	    &len), KGW_ERR_UNSAFE);
	ck_assert_ptr_null(buf);

	ck_assert_int_eq(chmod(at(1, "f"), 0666), 0);
	ck_assert_int_eq(kgw_path_read(&test_log, at(1, "f"), 0, 1024, &buf,
	    &len), KGW_ERR_UNSAFE);
	ck_assert_ptr_null(buf);

	ck_assert_int_ne(kgw_path_read(&test_log, at(3, "none"), 0, 1024, &buf,
	    &len), KGW_OK);
	ck_assert_ptr_null(buf);

	ck_assert_int_eq(kgw_path_read(&test_log, "relative", 0, 1024, &buf,
	    &len), KGW_ERR_UNSAFE);
	ck_assert_ptr_null(buf);
}
END_TEST

struct dirname_case {
	const char *path;
	const char *want;	/* NULL: KGW_ERR_INVALID */
};

static const struct dirname_case dirname_cases[] = {
	{ "/a/b/c", "/a/b" },
	{ "/etc/security/kakogawa.key", "/etc/security" },
	{ "/file", "/" },
	{ "/", "/" },
	{ "/a/", "/a" },
	{ "a/b", "a" },
	{ "relative", NULL },
	{ "", NULL },
};

START_TEST(test_dirname)
{
	const struct dirname_case *c = &dirname_cases[_i];
	char out[64];
	int r;

	(void)strcpy(out, "unchanged");
	r = kgw_path_dirname(c->path, out, sizeof(out));
	if (c->want == NULL) {
		ck_assert_msg(r == KGW_ERR_INVALID, "\"%s\": rc %d", c->path, r);
	} else {
		ck_assert_msg(r == KGW_OK, "\"%s\": rc %d", c->path, r);
		ck_assert_str_eq(out, c->want);
	}
}
END_TEST

START_TEST(test_dirname_bounds)
{
	char out[8];

	ck_assert_int_eq(kgw_path_dirname(NULL, out, sizeof(out)),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_path_dirname("/a/b", NULL, 8), KGW_ERR_INVALID);
	/* "/a/b/c" needs 5 bytes for "/a/b" and its NUL. */
	ck_assert_int_eq(kgw_path_dirname("/a/b/c", out, 5), KGW_OK);
	ck_assert_str_eq(out, "/a/b");
	ck_assert_int_eq(kgw_path_dirname("/a/b/c", out, 4), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_path_dirname("/f", out, 2), KGW_OK);
	ck_assert_str_eq(out, "/");
	ck_assert_int_eq(kgw_path_dirname("/f", out, 1), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_path_dirname("/f", out, 0), KGW_ERR_INVALID);
}
END_TEST

/* A NULL log is allowed: refusals still happen, silently. */
START_TEST(test_null_log)
{
	make_file(at(0, "f"), "x", 0666);
	ck_assert_int_eq(kgw_path_check_file(NULL, at(0, "f"), 0),
	    KGW_ERR_UNSAFE);
	ck_assert_int_eq(chmod(at(0, "f"), 0600), 0);
	ck_assert_int_eq(kgw_path_check_file(NULL, at(0, "f"), 0), KGW_OK);
}
END_TEST

static Suite *
path_suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc;

	tc = tcase_create("check");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_environment);
	tcase_add_test(tc, test_good_file_and_dir);
	tcase_add_test(tc, test_tmp_as_ancestor);
	tcase_add_loop_test(tc, test_bad_syntax, 0,
	    (int)(sizeof(bad_syntax) / sizeof(bad_syntax[0])));
	tcase_add_test(tc, test_dotdot_to_safe_place);
	tcase_add_test(tc, test_null_path);
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_symlink_final_file);
	tcase_add_test(tc, test_symlink_final_dir);
	tcase_add_test(tc, test_symlink_final_dir_trailing_slash);
	tcase_add_test(tc, test_symlink_middle);
	tcase_add_test(tc, test_group_writable_dir);
	tcase_add_test(tc, test_group_writable_grandparent);
	tcase_add_test(tc, test_world_writable_dir);
	tcase_add_test(tc, test_sticky_dir);
	tcase_add_test(tc, test_sticky_dir_own_user);
	tcase_add_test(tc, test_writable_file);
	tcase_add_test(tc, test_other_owner_file);
	tcase_add_test(tc, test_other_owner_dir);
	tcase_add_test(tc, test_other_group_readonly);
	tcase_add_test(tc, test_private_modes);
	tcase_add_test(tc, test_not_a_file);
	tcase_add_test(tc, test_not_a_dir);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_null_log);
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_read_ok);
	tcase_add_test(tc, test_read_binary);
	tcase_add_test(tc, test_read_empty);
	tcase_add_test(tc, test_read_maxsize);
	tcase_add_test(tc, test_read_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("dirname");
	tcase_add_loop_test(tc, test_dirname, 0,
	    (int)(sizeof(dirname_cases) / sizeof(dirname_cases[0])));
	tcase_add_test(tc, test_dirname_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int number_failed;

	(void)strcpy(basedir, "/tmp/kgw-path-XXXXXX");
	if (mkdtemp(basedir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	sr = srunner_create(path_suite());
	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	(void)nftw(basedir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return number_failed ? 1 : 0;
}
