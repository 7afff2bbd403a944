/*
 * The files a virtual device keeps in its directory: the master secret,
 * the signature counter, the PIN retries, the attestation key and cert.
 * Several processes may share a device (enrol, then log in), so files are
 * created whole (temporary file, then link) and numbers change under a lock.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "sk.h"

#define SK_FILE_MAX	65536
#define SK_NUM_MAX	16	/* "4294967295\n" and some room */

static int
path_of(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
read_all(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if ((n = read(fd, buf + got, len - got)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/*
 * The whole of DIR/NAME in *data (free with OPENSSL_clear_free); an empty
 * file gives NULL and 0. Fails with errno ENOENT only when it is missing.
 */
int
sk_file_read(const char *dir, const char *name, unsigned char **data,
    size_t *len)
{
	char path[SK_DIR_MAX + 32];
	struct stat sb;
	int fd, r = -1;

	*data = NULL;
	*len = 0;
	if (path_of(path, sizeof(path), dir, name) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > SK_FILE_MAX)
		errno = EINVAL;
	else if (sb.st_size == 0)
		r = 0;
	else if ((*data = OPENSSL_malloc((size_t)sb.st_size)) == NULL)
		errno = ENOMEM;
	else if (read_all(fd, *data, (size_t)sb.st_size) < 0) {
		OPENSSL_clear_free(*data, (size_t)sb.st_size);
		*data = NULL;
		errno = EIO;
	} else {
		*len = (size_t)sb.st_size;
		r = 0;
	}
	(void)close(fd);
	return r;
}

/*
 * Creates DIR/NAME (mode 0600) with DATA unless it exists. Two processes
 * may race on a fresh device: link() lets exactly one of them win, and
 * both then read the winner's file.
 */
int
sk_file_create(const char *dir, const char *name, const unsigned char *data,
    size_t len)
{
	char path[SK_DIR_MAX + 32], tmp[SK_DIR_MAX + 48];
	ssize_t n;
	int fd, r = -1;

	if (path_of(path, sizeof(path), dir, name) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >=
	    (int)sizeof(tmp) || (fd = mkstemp(tmp)) < 0)
		return -1;
	n = write(fd, data, len);
	if (close(fd) == 0 && n == (ssize_t)len &&
	    (link(tmp, path) == 0 || errno == EEXIST))
		r = 0;
	(void)unlink(tmp);
	return r;
}

/* The device's master secret, made on first use. */
int
sk_secret_get(const char *dir, unsigned char secret[SK_SECRET_LEN])
{
	unsigned char fresh[SK_SECRET_LEN], *data = NULL;
	size_t len = 0;
	int r = -1;

	if (sk_file_read(dir, "secret", &data, &len) < 0 && errno == ENOENT &&
	    RAND_bytes(fresh, sizeof(fresh)) == 1 &&
	    sk_file_create(dir, "secret", fresh, sizeof(fresh)) == 0)
		(void)sk_file_read(dir, "secret", &data, &len);
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (len == SK_SECRET_LEN) {
		memcpy(secret, data, SK_SECRET_LEN);
		r = 0;
	}
	OPENSSL_clear_free(data, len);
	return r;
}

static int
parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		if ((v = v * 10 + (uint64_t)(*s - '0')) > UINT32_MAX)
			return -1;
	if (*s != '\0' && *s != '\n')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/*
 * Opens DIR/NAME, a decimal number (DFLT when the file is new or empty),
 * and locks it: the caller computes the next value and calls sk_num_unlock.
 * Returns the locked descriptor, or -1.
 */
int
sk_num_lock(const char *dir, const char *name, uint32_t dflt, uint32_t *val)
{
	char path[SK_DIR_MAX + 32], buf[SK_NUM_MAX];
	ssize_t n;
	int fd;

	if (path_of(path, sizeof(path), dir, name) < 0 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0)
		return -1;
	if (flock(fd, LOCK_EX) < 0 ||
	    (n = pread(fd, buf, sizeof(buf) - 1, 0)) < 0) {
		(void)close(fd);
		return -1;
	}
	buf[n] = '\0';
	if (n == 0)
		*val = dflt;
	else if (parse_u32(buf, val) < 0) {
		fprintf(stderr, "softkey: %s: not a number\n", path);
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Stores *VAL (unless NULL) and releases the lock. */
int
sk_num_unlock(int fd, const uint32_t *val)
{
	char buf[SK_NUM_MAX];
	int n, r = 0;

	if (val != NULL) {
		n = snprintf(buf, sizeof(buf), "%u\n", (unsigned)*val);
		if (ftruncate(fd, 0) < 0 ||
		    pwrite(fd, buf, (size_t)n, 0) != (ssize_t)n)
			r = -1;
	}
	if (close(fd) < 0)
		r = -1;
	return r;
}
