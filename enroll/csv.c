/*
 * csv: the reader of import's personnel transfer files. The format is a
 * strict subset of CSV, read by hand on purpose: no field can need
 * quoting, so a general parser would only add ways to be surprised.
 *
 * The format:
 * - UTF-8 text, an optional UTF-8 byte order mark, LF or CRLF line ends,
 *   at most 64 MiB (CSV_FILE_MAX), lines at most 1024 bytes (CSV_LINE_MAX)
 *   without the line end. Every line, comments included, is checked: valid
 *   UTF-8, no NUL, no control character but tab; a Shift_JIS export is
 *   refused with a message that says so, not read as garbage names.
 * - A line that is blank (spaces and tabs only) or whose first non-blank
 *   character is '#' is ignored.
 * - The first other line is the header: action,user,zones.
 * - Then one row per line: exactly three fields separated by ','. In the
 *   header and the rows, spaces and tabs around a field are trimmed, and
 *   there is no quoting: a '"' is refused (no field can hold ',' or '"').
 *     action  add | zones | disable | enable | delete
 *     user    a user name (kgw_username_valid)
 *     zones   zone names separated by ';' or spaces; for add, the new
 *             person's zones (may be empty); for zones, the whole new list
 *             (empty: no zones); empty for disable, enable and delete.
 *   Zone names are checked against the configuration by the caller.
 * Lines are numbered from 1, counting every line, for FILE:LINE messages.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enroll.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_user.h"

#define NFIELDS 3
#define BOM "\xef\xbb\xbf"

static const char *const action_names[CSV_NACTIONS] = {
	[CSV_ADD] = "add",
	[CSV_ZONES] = "zones",
	[CSV_DISABLE] = "disable",
	[CSV_ENABLE] = "enable",
	[CSV_DELETE] = "delete",
};

const char *
csv_action_name(enum csv_action action)
{
	return (unsigned)action < CSV_NACTIONS ? action_names[action] : "?";
}

void
csv_warn(const struct csv *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), _(fmt), ap);
	va_end(ap);
	enroll_warn("%s:%lu: %s", c->path, c->lineno, msg);
}

/*
 * The whole file: a regular file, no symlink, at most CSV_FILE_MAX. One
 * byte more than fstat said is asked for, to notice a file still growing.
 */
static int
read_all(struct csv *c, int fd)
{
	struct stat st;
	size_t cap, n = 0;
	ssize_t got;

	if (fstat(fd, &st) != 0) {
		enroll_warn("%s: %s", c->path, strerror(errno));
		return KGW_ERR_IO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (unsigned long long)st.st_size > CSV_FILE_MAX) {
		enroll_warn("%s: %s", c->path, !S_ISREG(st.st_mode) ?
		    "not a regular file" : "larger than 64 MiB");
		return KGW_ERR_INVALID;
	}
	cap = (size_t)st.st_size + 1;
	if ((c->buf = malloc(cap + 1)) == NULL)
		enroll_die("out of memory");
	while (n < cap) {
		if ((got = read(fd, c->buf + n, cap - n)) == 0)
			break;
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			enroll_warn("%s: %s", c->path, strerror(errno));
			return KGW_ERR_IO;
		}
		n += (size_t)got;
	}
	if (n == cap) {
		enroll_warn("%s: changed while being read", c->path);
		return KGW_ERR_INVALID;
	}
	c->buf[n] = '\0';
	c->len = n;
	return KGW_OK;
}

int
csv_open(struct csv *c, const char *path)
{
	int fd, r, saved;

	memset(c, 0, sizeof(*c));
	c->path = path;
	/* O_NONBLOCK: a FIFO put in its place must not hang the open. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		saved = errno;
		enroll_warn("%s: %s", path, saved == ELOOP ?
		    "a symbolic link (refused)" : strerror(saved));
		return saved == ENOENT ? KGW_ERR_MISSING : KGW_ERR_IO;
	}
	r = read_all(c, fd);
	(void)close(fd);
	if (r != KGW_OK) {
		csv_close(c);
		return r;
	}
	csv_rewind(c);
	return KGW_OK;
}

void
csv_rewind(struct csv *c)
{
	c->pos = c->len >= 3 && memcmp(c->buf, BOM, 3) == 0 ? 3 : 0;
	c->lineno = 0;
	c->header = false;
}

void
csv_close(struct csv *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = c->pos = 0;
}

/* The length of the UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned long cp;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	cp = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * Copies the next line, without its end, to c->line after checking it;
 * *done at the end of the file.
 */
static int
next_line(struct csv *c, bool *done)
{
	const char *start = c->buf + c->pos, *nl;
	size_t len, i, n;

	*done = c->pos >= c->len;
	if (*done)
		return KGW_OK;
	nl = memchr(start, '\n', c->len - c->pos);
	len = nl != NULL ? (size_t)(nl - start) : c->len - c->pos;
	c->pos += len + (nl != NULL);
	c->lineno++;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	if (len > CSV_LINE_MAX) {
		csv_warn(c, "line longer than %d bytes", CSV_LINE_MAX);
		return KGW_ERR_INVALID;
	}
	for (i = 0; i < len; i += n) {
		n = utf8_len((const unsigned char *)start + i, len - i);
		if (n == 0) {
			csv_warn(c, "not UTF-8 text (a Shift_JIS export? "
			    "save the file as CSV UTF-8)");
			return KGW_ERR_INVALID;
		}
		if (n == 1 && ((unsigned char)start[i] < 0x20 ||
		    start[i] == 0x7f) && start[i] != '\t') {
			csv_warn(c, "control character 0x%02x",
			    (unsigned)(unsigned char)start[i]);
			return KGW_ERR_INVALID;
		}
	}
	memcpy(c->line, start, len);
	c->line[len] = '\0';
	return KGW_OK;
}

static char *
trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	for (n = strlen(s); n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t');
	    n--)
		s[n - 1] = '\0';
	return s;
}

/* Splits c->line into its NFIELDS trimmed fields. */
static int
split(struct csv *c, char *f[NFIELDS])
{
	size_t n = 1, i;
	char *p;

	if (strchr(c->line, '"') != NULL) {
		csv_warn(c, "quoting is not supported ('\"' found): no field "
		    "needs it");
		return KGW_ERR_INVALID;
	}
	for (p = c->line; (p = strchr(p, ',')) != NULL; p++)
		n++;
	if (n != NFIELDS) {
		csv_warn(c, "%zu fields; expected %d (action,user,zones)", n,
		    NFIELDS);
		return KGW_ERR_INVALID;
	}
	for (i = 0, p = c->line; i < NFIELDS; i++) {
		f[i] = p;
		p += strcspn(p, ",");
		if (*p != '\0')
			*p++ = '\0';
		f[i] = trim(f[i]);
	}
	return KGW_OK;
}

static int
header_check(struct csv *c, char *f[NFIELDS])
{
	if (strcmp(f[0], "action") != 0 || strcmp(f[1], "user") != 0 ||
	    strcmp(f[2], "zones") != 0) {
		csv_warn(c, "expected the header action,user,zones");
		return KGW_ERR_INVALID;
	}
	c->header = true;
	return KGW_OK;
}

/* A row's fields; the action is echoed only when it looks like a word. */
static int
row_parse(struct csv *c, char *f[NFIELDS], struct csv_row *row)
{
	size_t i, len = strlen(f[0]);

	for (i = 0; i < CSV_NACTIONS; i++)
		if (strcmp(f[0], action_names[i]) == 0)
			break;
	if (i == CSV_NACTIONS) {
		if (len > 0 && len <= 16 && strspn(f[0], "abcdefghijklmnopqrstu"
		    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-") == len)
			csv_warn(c, "unknown action \"%s\" (add, zones, "
			    "disable, enable or delete)", f[0]);
		else
			csv_warn(c, "unknown action (add, zones, disable, "
			    "enable or delete)");
		return KGW_ERR_INVALID;
	}
	row->action = (enum csv_action)i;
	if (!kgw_username_valid(f[1])) {
		csv_warn(c, "invalid user name");
		return KGW_ERR_INVALID;
	}
	if (row->action != CSV_ADD && row->action != CSV_ZONES &&
	    f[2][0] != '\0') {
		csv_warn(c, "%s takes no zones: leave the field empty",
		    f[0]);
		return KGW_ERR_INVALID;
	}
	row->user = f[1];
	row->zones = f[2];
	return KGW_OK;
}

int
csv_next(struct csv *c, struct csv_row *row)
{
	char *f[NFIELDS], *s;
	bool done;

	for (;;) {
		if (next_line(c, &done) != KGW_OK)
			return -1;
		if (done)
			break;
		s = c->line + strspn(c->line, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		if (split(c, f) != KGW_OK)
			return -1;
		if (c->header)
			return row_parse(c, f, row) == KGW_OK ? 1 : -1;
		if (header_check(c, f) != KGW_OK)
			return -1;
	}
	if (!c->header) {
		enroll_warn("%s: no header line (action,user,zones)", c->path);
		return -1;
	}
	return 0;
}
