/*
 * Safe paths, in the manner of OpenSSH's safe_path(): a file we trust must
 * not be reachable through a symlink, and neither it nor any directory
 * above it may be changed by anyone but root (or the user running us).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kgw_err.h"
#include "kgw_path.h"
#include "kgw_str.h"

/* flags: KGW_PATH_PRIVATE, or STICKY_OK for a directory further up. */
#define STICKY_OK 0x100

static int
check_owner_mode(const struct kgw_log *log, const char *path,
    const struct stat *st, int flags)
{
	bool is_dir = S_ISDIR(st->st_mode);

	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		kgw_log_err(log, "%s: owned by uid %lu, expected root", path,
		    (unsigned long)st->st_uid);
		return KGW_ERR_UNSAFE;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		/* Above the file's own directory, a root-owned sticky one
		 * (/tmp) lets nobody else rename what we put in it. The
		 * file's own directory gets no such grace: others could
		 * create the files SQLite adds beside the store. */
		if (!(is_dir && (flags & STICKY_OK) != 0 && st->st_uid == 0 &&
		    (st->st_mode & S_ISVTX) != 0)) {
			kgw_log_err(log, "%s: writable by group or others "
			    "(mode %04o)", path,
			    (unsigned)(st->st_mode & 07777));
			return KGW_ERR_UNSAFE;
		}
	}
	if ((flags & KGW_PATH_PRIVATE) != 0 && (st->st_mode & 077) != 0) {
		kgw_log_err(log, "%s: readable by group or others (mode %04o)",
		    path, (unsigned)(st->st_mode & 07777));
		return KGW_ERR_UNSAFE;
	}
	return KGW_OK;
}

static int
check_one(const struct kgw_log *log, const char *path, bool want_dir,
    int flags)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		int saved = errno;

		kgw_log_err(log, "%s: %s", path, strerror(saved));
		return saved == ENOENT ? KGW_ERR_MISSING : KGW_ERR_IO;
	}
	if (S_ISLNK(st.st_mode)) {
		kgw_log_err(log, "%s: is a symbolic link", path);
		return KGW_ERR_UNSAFE;
	}
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		if (want_dir)
			kgw_log_err(log, "%s: not a directory", path);
		else
			kgw_log_err(log, "%s: not a regular file", path);
		return KGW_ERR_UNSAFE;
	}
	return check_owner_mode(log, path, &st, flags);
}

static int
check_syntax(const struct kgw_log *log, const char *path)
{
	size_t len;

	if (path == NULL || path[0] != '/') {
		kgw_log_err(log, "%s: not an absolute path",
		    path == NULL ? "(null)" : path);
		return KGW_ERR_UNSAFE;
	}
	len = strnlen(path, PATH_MAX);
	if (len >= PATH_MAX) {
		kgw_log_err(log, "path too long");
		return KGW_ERR_UNSAFE;
	}
	/* One spelling per file: a trailing or doubled slash would make
	 * lstat() follow a symlink we mean to refuse. */
	if (strstr(path, "//") != NULL || (len > 1 && path[len - 1] == '/')) {
		kgw_log_err(log, "%s: doubled or trailing '/' in path", path);
		return KGW_ERR_UNSAFE;
	}
	if (strstr(path, "/./") != NULL || strstr(path, "/../") != NULL ||
	    (len >= 2 && strcmp(path + len - 2, "/.") == 0) ||
	    (len >= 3 && strcmp(path + len - 3, "/..") == 0)) {
		kgw_log_err(log, "%s: '.' or '..' in path", path);
		return KGW_ERR_UNSAFE;
	}
	return KGW_OK;
}

/*
 * Checks "/" and every directory strictly above the last component. When
 * last_is_own, the last of them is the file's own directory and gets no
 * sticky grace.
 */
static int
check_ancestors(const struct kgw_log *log, const char *path, bool last_is_own)
{
	char buf[PATH_MAX];
	char *slash, *next;
	int r;

	if (kgw_strcopy(buf, sizeof(buf), path) != KGW_OK)
		return KGW_ERR_UNSAFE;
	slash = strchr(buf + 1, '/');
	if ((r = check_one(log, "/", true,
	    slash != NULL || !last_is_own ? STICKY_OK : 0)) != KGW_OK)
		return r;
	for (; slash != NULL; slash = next) {
		next = strchr(slash + 1, '/');
		*slash = '\0';
		r = check_one(log, buf, true,
		    next != NULL || !last_is_own ? STICKY_OK : 0);
		*slash = '/';
		if (r != KGW_OK)
			return r;
	}
	return KGW_OK;
}

int
kgw_path_check_file(const struct kgw_log *log, const char *path, int flags)
{
	int r;

	if ((r = check_syntax(log, path)) != KGW_OK)
		return r;
	if ((r = check_ancestors(log, path, true)) != KGW_OK)
		return r;
	return check_one(log, path, false, flags);
}

int
kgw_path_check_dir(const struct kgw_log *log, const char *dir)
{
	int r;

	if ((r = check_syntax(log, dir)) != KGW_OK)
		return r;
	if (strcmp(dir, "/") == 0)
		return check_one(log, "/", true, 0);
	if ((r = check_ancestors(log, dir, false)) != KGW_OK)
		return r;
	return check_one(log, dir, true, 0);
}

static int
read_all(const struct kgw_log *log, const char *path, int fd, size_t size,
    unsigned char *buf)
{
	size_t off = 0;

	while (off < size) {
		ssize_t n = read(fd, buf + off, size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kgw_log_err(log, "%s: read: %s", path, strerror(errno));
			return KGW_ERR_IO;
		}
		if (n == 0) {
			kgw_log_err(log, "%s: changed while being read", path);
			return KGW_ERR_IO;
		}
		off += (size_t)n;
	}
	return KGW_OK;
}

int
kgw_path_read(const struct kgw_log *log, const char *path, int flags,
    size_t maxsize, unsigned char **bufp, size_t *lenp)
{
	struct stat st;
	unsigned char *buf = NULL;
	int fd = -1, r;

	*bufp = NULL;
	*lenp = 0;
	if ((r = kgw_path_check_file(log, path, flags)) != KGW_OK)
		goto fail;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		kgw_log_err(log, "%s: open: %s", path, strerror(errno));
		r = errno == ENOENT ? KGW_ERR_MISSING : KGW_ERR_IO;
		goto fail;
	}
	/* Re-check what we opened, not what the name pointed to earlier. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		kgw_log_err(log, "%s: not a regular file", path);
		r = KGW_ERR_UNSAFE;
		goto fail;
	}
	if ((r = check_owner_mode(log, path, &st, flags)) != KGW_OK)
		goto fail;
	if (st.st_size < 0 || (size_t)st.st_size > maxsize) {
		kgw_log_err(log, "%s: larger than %zu bytes", path, maxsize);
		r = KGW_ERR_INVALID;
		goto fail;
	}
	if ((buf = calloc(1, (size_t)st.st_size + 1)) == NULL) {
		r = KGW_ERR_NOMEM;
		goto fail;
	}
	if ((r = read_all(log, path, fd, (size_t)st.st_size, buf)) != KGW_OK)
		goto fail;
	*bufp = buf;
	*lenp = (size_t)st.st_size;
	buf = NULL;
fail:
	if (buf != NULL) {
		explicit_bzero(buf, (size_t)st.st_size);
		free(buf);
	}
	if (fd >= 0)
		(void)close(fd);
	return r;
}

int
kgw_path_sync_dir(const struct kgw_log *log, const char *dir)
{
	int fd, r = KGW_OK;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		kgw_log_err(log, "%s: sync: %s", dir, strerror(errno));
		r = KGW_ERR_IO;
	}
	if (fd >= 0)
		(void)close(fd);
	return r;
}

int
kgw_path_dirname(const char *path, char *out, size_t outlen)
{
	const char *slash;
	size_t n;

	if (path == NULL || out == NULL || (slash = strrchr(path, '/')) == NULL)
		return KGW_ERR_INVALID;
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1;	/* "/file" lives in "/" */
	if (n >= outlen)
		return KGW_ERR_INVALID;
	memcpy(out, path, n);
	out[n] = '\0';
	return KGW_OK;
}
