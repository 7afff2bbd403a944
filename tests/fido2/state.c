/*
 * Which virtual devices exist (KGW_SOFTKEY, read at load time) and how each
 * behaves (DIR/state, read again at every open so that a test can change a
 * device between two logins of one process).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "sk.h"

#define SK_LINE_MAX	256

/* "kakogawa-softkey" in ASCII: easy to recognise in a dump. */
static const unsigned char default_aaguid[SK_AAGUID_LEN] = {
	0x6b, 0x61, 0x6b, 0x6f, 0x67, 0x61, 0x77, 0x61,
	0x2d, 0x73, 0x6f, 0x66, 0x74, 0x6b, 0x65, 0x79,
};

static char dirs[SK_MAX_DEVICES][SK_DIR_MAX];
static size_t ndirs;

/* KGW_SOFTKEY: device directories separated by ':'. */
void
sk_config_read(void)
{
	const char *env = getenv("KGW_SOFTKEY");
	const char *p, *end;
	size_t len;

	ndirs = 0;
	for (p = env; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len == 0)
			continue;
		if (len >= SK_DIR_MAX || ndirs == SK_MAX_DEVICES) {
			fprintf(stderr, "softkey: KGW_SOFTKEY: directory %zu "
			    "skipped (too long, or too many)\n", ndirs);
			continue;
		}
		memcpy(dirs[ndirs], p, len);
		dirs[ndirs][len] = '\0';
		ndirs++;
	}
}

size_t
sk_config_count(void)
{
	return ndirs;
}

const char *
sk_config_dir(size_t idx)
{
	return idx < ndirs ? dirs[idx] : NULL;
}

/* "softkey:N" with N a configured device: 0 and its index, else -1. */
int
sk_path_index(const char *path, size_t *idx)
{
	const size_t plen = strlen(SK_PATH_PREFIX);
	const char *p;
	size_t n = 0;

	if (path == NULL || strncmp(path, SK_PATH_PREFIX, plen) != 0)
		return -1;
	p = path + plen;
	if (*p == '\0' || (*p == '0' && p[1] != '\0'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((n = n * 10 + (size_t)(*p - '0')) >= ndirs)
			return -1;
	if (*p != '\0')
		return -1;
	*idx = n;
	return 0;
}

/* The keys whose value is one of a few words, in the order of their enum. */
enum choice_key { C_PRESENT, C_UP_FLAG, C_UV_FLAG, C_RP_HASH, C_RESPONSE_ID,
	C_INIT, C_UV, C_TOUCH, C_COUNTER, C_ATTEST, C_FAULT, C_COUNT };

static const struct {
	const char *key;
	const char *const words[6];
} choices[C_COUNT] = {
	[C_PRESENT] = { "present", { "no", "yes" } },
	[C_UP_FLAG] = { "up_flag", { "no", "yes" } },
	[C_UV_FLAG] = { "uv_flag", { "no", "yes" } },
	[C_RP_HASH] = { "rp_hash", { "right", "wrong" } },
	[C_RESPONSE_ID] = { "response_id", { "real", "random", "empty" } },
	[C_INIT] = { "init", { "normal", "silent" } },
	[C_UV] = { "uv", { "none", "builtin" } },
	[C_TOUCH] = { "touch", { "yes", "no", "timeout" } },
	[C_COUNTER] = { "counter", { "normal", "zero", "backwards", "stuck" } },
	[C_ATTEST] = { "attestation", { "x5c", "self", "bad" } },
	[C_FAULT] = { "fault", { "none", "truncated", "badcbor", "oversized",
	    "wrongcid" } },
};

static void
set_choice(struct sk_state *st, enum choice_key key, int v)
{
	switch (key) {
	case C_PRESENT:
		st->present = v == 1;
		break;
	case C_UP_FLAG:
		st->up_flag = v == 1;
		break;
	case C_UV_FLAG:
		st->uv_flag = v == 1;
		break;
	case C_RP_HASH:
		st->rp_hash_wrong = v == 1;
		break;
	case C_RESPONSE_ID:
		st->resp_id = (enum sk_resp_id)v;
		break;
	case C_INIT:
		st->init_silent = v == 1;
		break;
	case C_UV:
		st->uv_builtin = v == 1;
		break;
	case C_TOUCH:
		st->touch = (enum sk_touch)v;
		break;
	case C_COUNTER:
		st->counter = (enum sk_counter)v;
		break;
	case C_ATTEST:
		st->attest = (enum sk_attest)v;
		break;
	case C_FAULT:
		st->fault = (enum sk_fault)v;
		break;
	default:
		break;
	}
}

/* 1: KEY is one of the choices and VAL one of its words; 0: not a choice. */
static int
parse_choice(const char *key, const char *val, struct sk_state *st)
{
	int k, w;

	for (k = 0; k < C_COUNT; k++) {
		if (strcmp(key, choices[k].key) != 0)
			continue;
		for (w = 0; choices[k].words[w] != NULL; w++)
			if (strcmp(val, choices[k].words[w]) == 0) {
				set_choice(st, (enum choice_key)k, w);
				return 1;
			}
		return -1;
	}
	return 0;
}

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
parse_hex(const char *val, unsigned char *out, size_t len)
{
	size_t i;
	int hi, lo;

	if (strlen(val) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		if ((hi = hex_nibble(val[2 * i])) < 0 ||
		    (lo = hex_nibble(val[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static int
parse_pin(const char *val, struct sk_state *st)
{
	size_t len = strlen(val);

	/* CTAP2: at least 4 code points, at most 63 bytes. */
	if (len < 4 || len > SK_PIN_MAX)
		return -1;
	memcpy(st->pin, val, len + 1);
	st->has_pin = true;
	return 0;
}

static int
parse_pair(const char *key, const char *val, struct sk_state *st)
{
	int r;

	if ((r = parse_choice(key, val, st)) != 0)
		return r < 0 ? -1 : 0;
	if (strcmp(key, "pin") == 0)
		return parse_pin(val, st);
	if (strcmp(key, "aaguid") == 0)
		return parse_hex(val, st->aaguid, sizeof(st->aaguid));
	return -1;
}

static void
state_defaults(struct sk_state *st)
{
	memset(st, 0, sizeof(*st));
	st->present = true;
	st->up_flag = true;
	st->uv_flag = true;
	st->resp_id = SK_RESP_ID_REAL;
	st->touch = SK_TOUCH_YES;
	st->counter = SK_COUNTER_NORMAL;
	st->attest = SK_ATTEST_X5C;
	st->fault = SK_FAULT_NONE;
	memcpy(st->aaguid, default_aaguid, sizeof(st->aaguid));
}

/* One "key=value" line; blank lines and '#' comments are skipped. */
static int
parse_line(char *line, struct sk_state *st)
{
	char *eq;

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	if ((eq = strchr(line, '=')) == NULL)
		return -1;
	*eq = '\0';
	return parse_pair(line, eq + 1, st);
}

/* Copies the line at DATA (up to its newline) into LINE. */
static size_t
next_line(const unsigned char *data, size_t len, char *line, size_t size,
    bool *too_long)
{
	const unsigned char *nl = memchr(data, '\n', len);
	size_t n = nl != NULL ? (size_t)(nl - data) + 1 : len;

	*too_long = n >= size;
	if (!*too_long) {
		memcpy(line, data, n);
		line[n] = '\0';
	}
	return n;
}

/*
 * Reads DIR/state; a missing file means all defaults. A bad line is said on
 * stderr and fails the load, so that a typo in a test cannot pass unseen:
 * the device is then neither listed nor opened.
 */
int
sk_state_load(const char *dir, struct sk_state *st)
{
	unsigned char *data;
	char line[SK_LINE_MAX];
	size_t len, off, n;
	unsigned lineno = 0;
	bool too_long;
	int r = 0;

	state_defaults(st);
	if (sk_file_read(dir, "state", &data, &len) < 0)
		return errno == ENOENT ? 0 : -1;
	for (off = 0; r == 0 && off < len; off += n) {
		n = next_line(data + off, len - off, line, sizeof(line),
		    &too_long);
		lineno++;
		if (too_long || parse_line(line, st) < 0) {
			fprintf(stderr, "softkey: %s/state:%u: bad line\n", dir,
			    lineno);
			r = -1;
		}
	}
	/* The file and the line may have held the PIN. */
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_clear_free(data, len);
	if (r != 0)
		sk_state_wipe(st);
	return r;
}

void
sk_state_wipe(struct sk_state *st)
{
	OPENSSL_cleanse(st->pin, sizeof(st->pin));
}

int
sk_state_write(const char *dir, const char *text)
{
	char tmp[SK_DIR_MAX + 32], path[SK_DIR_MAX + 16];
	size_t len = strlen(text);
	bool ok;
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s/.state.XXXXXX", dir) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	(void)snprintf(path, sizeof(path), "%s/state", dir);
	if ((fd = mkstemp(tmp)) < 0)
		return -1;
	ok = write(fd, text, len) == (ssize_t)len;
	saved = errno;
	if (close(fd) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (ok && rename(tmp, path) == 0)
		return 0;
	saved = ok ? errno : saved;
	(void)unlink(tmp);
	errno = saved;
	return -1;
}
