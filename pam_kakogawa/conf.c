/*
 * kakogawa.conf: "key = value" lines, '#' comments. Strict on purpose: a
 * line we do not understand is an error naming file:line, and the module
 * denies, because a silently ignored security setting is worse than none.
 */
#include <config.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kgw_conf.h"
#include "kgw_err.h"
#include "kgw_num.h"
#include "kgw_path.h"
#include "kgw_str.h"

struct parse_ctx {
	const struct kgw_log *log;
	const char *name;
	unsigned line;
	int zone;			/* the section being read, or -1 */
	unsigned zone_seen[KGW_ZONES_MAX];	/* keys set in each section */
	int role;			/* the [role] section being read, or -1 */
	unsigned role_seen[KGW_ROLES_MAX];
};

#define ZONE_HEADER "[zone "
#define ROLE_HEADER "[role "

typedef int (*setter_fn)(const struct parse_ctx *, const char *,
    struct kgw_conf *);

static int
bad(const struct parse_ctx *p, const char *what)
{
	kgw_log_err(p->log, "%s:%u: %s", p->name, p->line, what);
	return KGW_ERR_CONFIG;
}

static int
set_path(const struct parse_ctx *p, const char *v, char *dst)
{
	if (v[0] != '/')
		return bad(p, "path must be absolute");
	if (strlen(v) > KGW_CONF_PATH_LEN_MAX ||
	    kgw_strcopy(dst, KGW_PATH_MAX, v) != KGW_OK)
		return bad(p, "path too long");
	return KGW_OK;
}

static int
set_store(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	return set_path(p, v, c->store);
}

static int
set_key(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	return set_path(p, v, c->key);
}

static int
set_issuer(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	/* The issuer prefixes the account label "issuer:user" in the URI. */
	if (strchr(v, ':') != NULL)
		return bad(p, "issuer must not contain ':'");
	if (kgw_strcopy(c->issuer, sizeof(c->issuer), v) != KGW_OK)
		return bad(p, "issuer too long");
	return KGW_OK;
}

static int
set_algorithm(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	if (kgw_totp_alg_parse(v, &c->totp_algorithm) != KGW_OK)
		return bad(p, "totp_algorithm must be sha1, sha256 or sha512");
	return KGW_OK;
}

static int
set_uint(const struct parse_ctx *p, const char *v, unsigned long min,
    unsigned long max, unsigned *dst)
{
	unsigned long n;
	char msg[96];

	if (kgw_parse_ulong(v, min, max, &n) != KGW_OK) {
		(void)snprintf(msg, sizeof(msg),
		    "expected a whole number from %lu to %lu", min, max);
		return bad(p, msg);
	}
	*dst = (unsigned)n;
	return KGW_OK;
}

static int
set_digits(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	if (strcmp(v, "6") != 0 && strcmp(v, "8") != 0)
		return bad(p, "totp_digits must be 6 or 8");
	c->totp_digits = (unsigned)(v[0] - '0');
	return KGW_OK;
}

static int
set_window(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	return set_uint(p, v, 0, KGW_TOTP_WINDOW_MAX, &c->totp_window);
}

static int
set_max_drift(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	return set_uint(p, v, 0, KGW_TOTP_DRIFT_MAX, &c->totp_max_drift);
}

static int
set_attempts(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	return set_uint(p, v, 1, 1000, &c->lockout_attempts);
}

static int
set_lock_time(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	return set_uint(p, v, 0, 366UL * 24 * 3600, &c->lockout_time);
}

static int
set_busy(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	return set_uint(p, v, 0, 60000, &c->busy_timeout);
}

static int
set_host_zone(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	char why[160];

	if (kgw_zone_conf_host(&c->zones, v, why, sizeof(why)) != KGW_OK)
		return bad(p, why);
	return KGW_OK;
}

static int
set_console_displays(const struct parse_ctx *p, const char *v,
    struct kgw_conf *c)
{
	char why[160];

	if (kgw_zone_conf_displays(&c->zones, v, why, sizeof(why)) != KGW_OK)
		return bad(p, why);
	return KGW_OK;
}

/*
 * The relying party every key is enrolled for: one value for the whole
 * city, so that a key enrolled at the helpdesk works on every host.
 */
static int
set_rp_id(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if (v[i] <= ' ' || v[i] > '~')
			return bad(p, "rp_id must be printable ASCII without "
			    "spaces");
	if (kgw_strcopy(c->rp_id, sizeof(c->rp_id), v) != KGW_OK)
		return bad(p, "rp_id too long");
	return KGW_OK;
}

static int
set_touch_timeout(const struct parse_ctx *p, const char *v,
    struct kgw_conf *c)
{
	return set_uint(p, v, 1, 120, &c->fido2_touch_timeout);
}

static int
set_insert_timeout(const struct parse_ctx *p, const char *v,
    struct kgw_conf *c)
{
	return set_uint(p, v, 0, 120, &c->fido2_insert_timeout);
}

static int
set_fail_delay(const struct parse_ctx *p, const char *v, struct kgw_conf *c)
{
	return set_uint(p, v, 0, 10000, &c->fail_delay);
}

static int
set_pw_min_length(const struct parse_ctx *p, const char *v,
    struct kgw_conf *c)
{
	return set_uint(p, v, KGW_PASSWORD_MIN_LENGTH_MIN,
	    KGW_PASSWORD_MIN_LENGTH_MAX, &c->password_min_length);
}

static int
set_pw_blocklist(const struct parse_ctx *p, const char *v,
    struct kgw_conf *c)
{
	/* Its line must fit when kgw_conf_format writes it back. */
	if (strlen(v) > KGW_CONF_LINE_MAX - sizeof("password_blocklist = ") +
	    1)
		return bad(p, "path too long");
	return set_path(p, v, c->password_blocklist);
}

static const struct {
	const char *key;
	setter_fn set;
} keys[] = {
	{ "store", set_store },
	{ "key", set_key },
	{ "issuer", set_issuer },
	{ "totp_algorithm", set_algorithm },
	{ "totp_digits", set_digits },
	{ "totp_window", set_window },
	{ "totp_max_drift", set_max_drift },
	{ "lockout_attempts", set_attempts },
	{ "lockout_time", set_lock_time },
	{ "busy_timeout", set_busy },
	{ "fail_delay", set_fail_delay },
	{ "host_zone", set_host_zone },
	{ "console_displays", set_console_displays },
	{ "rp_id", set_rp_id },
	{ "fido2_touch_timeout", set_touch_timeout },
	{ "fido2_insert_timeout", set_insert_timeout },
	{ "password_min_length", set_pw_min_length },
	{ "password_blocklist", set_pw_blocklist },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

void
kgw_conf_defaults(struct kgw_conf *c)
{
	memset(c, 0, sizeof(*c));
	(void)kgw_strcopy(c->store, sizeof(c->store), KGW_STORE_DEFAULT);
	(void)kgw_strcopy(c->key, sizeof(c->key), KGW_KEY_DEFAULT);
	(void)kgw_strcopy(c->issuer, sizeof(c->issuer), "Kakogawa City");
	c->totp_algorithm = KGW_TOTP_SHA1;	/* what every phone app reads */
	c->totp_digits = 6;
	c->totp_window = 1;
	c->totp_max_drift = 3;		/* 90 s either way */
	c->lockout_attempts = 5;
	c->lockout_time = 900;
	c->busy_timeout = 5000;
	c->fail_delay = 2000;
	(void)kgw_strcopy(c->rp_id, sizeof(c->rp_id), KGW_RP_ID_DEFAULT);
	c->fido2_touch_timeout = 15;
	c->fido2_insert_timeout = 10;
	c->password_min_length = 12;
	c->zones.host_zone = KGW_ZONE_NONE;	/* zeroed above: no zones */
	c->directory.timeout = KGW_DIR_TIMEOUT_DEFAULT;
	c->directory.offline = KGW_DIR_OFFLINE_DEFAULT;
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

static bool
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * A section header "[zone NAME]" or "[role NAME]" in line (trimmed):
 * *name is NULL when line is no header, *role tells which kind. A
 * malformed header is an error, not a key.
 */
static int
section_name(const struct parse_ctx *p, char *line, char **name, bool *role)
{
	size_t n = strlen(line);

	*name = NULL;
	*role = false;
	if (line[0] != '[')
		return KGW_OK;
	if (strncmp(line, ROLE_HEADER, strlen(ROLE_HEADER)) == 0)
		*role = true;
	else if (strncmp(line, ZONE_HEADER, strlen(ZONE_HEADER)) != 0)
		return bad(p, "malformed section header (expected [zone NAME] "
		    "or [role NAME] alone on its line)");
	if (line[n - 1] != ']')
		return bad(p, "malformed section header (expected [zone NAME] "
		    "or [role NAME] alone on its line)");
	line[n - 1] = '\0';
	*name = line + strlen(ZONE_HEADER);	/* both headers are as long */
	return KGW_OK;
}

/* Splits "key = value" in place; rejects control characters and bad keys. */
static int
split_line(const struct parse_ctx *p, char *line, char **key, char **val)
{
	char *eq;
	size_t i;

	for (i = 0; line[i] != '\0'; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') ||
		    line[i] == 0x7f)
			return bad(p, "control character in line");
	*key = trim(line);
	*val = NULL;
	if ((*key)[0] == '\0' || (*key)[0] == '#' || (*key)[0] == '[')
		return KGW_OK;
	if ((eq = strchr(*key, '=')) == NULL)
		return bad(p, "expected 'key = value'");
	*eq = '\0';
	*key = trim(*key);
	*val = trim(eq + 1);
	for (i = 0; (*key)[i] != '\0'; i++)
		if (!is_key_char((*key)[i]))
			return bad(p, "malformed key");
	if (i == 0)
		return bad(p, "malformed key");
	if ((*val)[0] == '\0')
		return bad(p, "empty value");
	return KGW_OK;
}

/* First pass: register every zone section, so rules can name any of them. */
static int
collect_zone(struct parse_ctx *p, char *line, bool *seen, struct kgw_conf *c)
{
	char *key, *val, *name, why[160];
	bool role;
	int r;

	(void)seen;
	if ((r = split_line(p, line, &key, &val)) != KGW_OK || val != NULL ||
	    (r = section_name(p, key, &name, &role)) != KGW_OK || name == NULL)
		return r;
	if ((role ? kgw_role_conf_add(&c->roles, name, why, sizeof(why)) :
	    kgw_zone_conf_add(&c->zones, name, why, sizeof(why))) != KGW_OK)
		return bad(p, why);
	return KGW_OK;
}

/* The directory_* keys (directory_conf.c), each once. */
static int
set_directory(const struct parse_ctx *p, const char *key, const char *val,
    bool *seen, struct kgw_conf *c)
{
	char why[160];
	int i = kgw_dir_conf_key(key);

	if (i < 0)
		return bad(p, "unknown key");
	if (seen[i])
		return bad(p, "key set twice");
	seen[i] = true;
	if (kgw_dir_conf_set(&c->directory, key, val, why, sizeof(why)) !=
	    KGW_OK)
		return bad(p, why);
	return KGW_OK;
}

static int
set_global(const struct parse_ctx *p, const char *key, const char *val,
    bool *seen, struct kgw_conf *c)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].key, key) != 0)
			continue;
		if (seen[i])
			return bad(p, "key set twice");
		seen[i] = true;
		return keys[i].set(p, val, c);
	}
	return set_directory(p, key, val, seen + NKEYS, c);
}

static int
role_line(struct parse_ctx *p, const char *key, char *val, struct kgw_conf *c)
{
	unsigned role = (unsigned)p->role;
	char why[160];

	if (kgw_role_conf_set(c, role, key, val, &p->role_seen[role], why,
	    sizeof(why)) != KGW_OK)
		return bad(p, why);
	return KGW_OK;
}

/* Second pass: every key, in the section it belongs to. */
static int
parse_line(struct parse_ctx *p, char *line, bool *seen, struct kgw_conf *c)
{
	char *key, *val, *name, why[160];
	unsigned zone;
	bool role;
	int r;

	if ((r = split_line(p, line, &key, &val)) != KGW_OK)
		return r;
	if (val == NULL) {
		if ((r = section_name(p, key, &name, &role)) == KGW_OK &&
		    name != NULL) {
			p->zone = role ? -1 : kgw_zone_find(&c->zones, name);
			p->role = role ? kgw_role_find(&c->roles, name) : -1;
		}
		return r;
	}
	if (p->role >= 0)
		return role_line(p, key, val, c);
	if (p->zone < 0)
		return set_global(p, key, val, seen, c);
	zone = (unsigned)p->zone;
	if (kgw_zone_conf_set(&c->zones, zone, key, val, &p->zone_seen[zone],
	    why, sizeof(why)) != KGW_OK)
		return bad(p, why);
	return KGW_OK;
}

typedef int (*line_fn)(struct parse_ctx *, char *, bool *, struct kgw_conf *);

static int
each_line(struct parse_ctx *p, const char *text, size_t len, line_fn fn,
    bool *seen, struct kgw_conf *c)
{
	char line[KGW_CONF_LINE_MAX + 1];
	size_t off = 0;
	int r;

	p->line = 0;
	p->zone = -1;
	p->role = -1;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = (nl != NULL ? (size_t)(nl - text) : len) - off;

		p->line++;
		if (n > KGW_CONF_LINE_MAX)
			return bad(p, "line too long");
		if (memchr(text + off, '\0', n) != NULL)
			return bad(p, "NUL byte in line");
		memcpy(line, text + off, n);
		line[n] = '\0';
		if ((r = fn(p, line, seen, c)) != KGW_OK)
			return r;
		off += n + (nl != NULL ? 1 : 0);
	}
	return KGW_OK;
}

/*
 * Two passes: the first only registers [zone NAME] sections, so that a
 * rule may name a zone defined further down and still be checked at its
 * own line in the second.
 */
int
kgw_conf_parse(const struct kgw_log *log, const char *name, const char *text,
    size_t len, struct kgw_conf *c)
{
	struct parse_ctx p;
	bool seen[NKEYS + KGW_DIR_NKEYS] = { false };
	char why[160];
	size_t i;
	int r;

	memset(&p, 0, sizeof(p));
	p.log = log;
	p.name = name;
	kgw_conf_defaults(c);
	if (text == NULL || len > KGW_CONF_SIZE_MAX)
		return bad(&p, "file too large");
	if ((r = each_line(&p, text, len, collect_zone, seen, c)) != KGW_OK)
		return r;
	if ((r = each_line(&p, text, len, parse_line, seen, c)) != KGW_OK)
		return r;
	p.line = 0;
	if (kgw_dir_conf_check(&c->directory, why, sizeof(why)) != KGW_OK)
		return bad(&p, why);
	/* The check sees values; a timeout set to its default is a key too. */
	for (i = 0; i < KGW_DIR_NKEYS && c->directory.nuri == 0; i++)
		if (seen[NKEYS + i])
			return bad(&p, "directory_* keys without directory");
	return KGW_OK;
}

int
kgw_conf_load(const struct kgw_log *log, const char *path,
    struct kgw_conf *c)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	r = kgw_path_read(log, path, 0, KGW_CONF_SIZE_MAX, &buf, &len);
	if (r != KGW_OK) {
		kgw_conf_defaults(c);
		kgw_log_err(log, "cannot read configuration %s", path);
		return r;
	}
	r = kgw_conf_parse(log, path, (const char *)buf, len, c);
	free(buf);
	return r;
}

int
kgw_conf_format(const struct kgw_conf *c, char *out, size_t outlen)
{
	size_t len;
	int n, r;

	/* What the parser would refuse is not written. */
	if (strlen(c->store) > KGW_CONF_PATH_LEN_MAX ||
	    strlen(c->key) > KGW_CONF_PATH_LEN_MAX)
		return KGW_ERR_INVALID;
	n = snprintf(out, outlen,
	    "# pam_kakogawa configuration: see kakogawa.conf(5).\n"
	    "store = %s\n"
	    "key = %s\n"
	    "issuer = %s\n"
	    "totp_algorithm = %s\n"
	    "totp_digits = %u\n"
	    "totp_window = %u\n"
	    "totp_max_drift = %u\n"
	    "lockout_attempts = %u\n"
	    "lockout_time = %u\n"
	    "busy_timeout = %u\n"
	    "fail_delay = %u\n"
	    "rp_id = %s\n"
	    "fido2_touch_timeout = %u\n"
	    "fido2_insert_timeout = %u\n"
	    "password_min_length = %u\n"
	    "%s%s%s",
	    c->store, c->key, c->issuer, kgw_totp_alg_name(c->totp_algorithm),
	    c->totp_digits, c->totp_window, c->totp_max_drift,
	    c->lockout_attempts,
	    c->lockout_time, c->busy_timeout, c->fail_delay, c->rp_id,
	    c->fido2_touch_timeout, c->fido2_insert_timeout,
	    c->password_min_length,
	    c->password_blocklist[0] != '\0' ? "password_blocklist = " : "",
	    c->password_blocklist, c->password_blocklist[0] != '\0' ? "\n" :
	    "");
	if (n < 0 || (size_t)n >= outlen)
		return KGW_ERR_INVALID;
	/* Global keys first: after a [zone] header they would be the zone's. */
	if ((r = kgw_dir_conf_format(&c->directory, out + n,
	    outlen - (size_t)n)) != KGW_OK)
		return r;
	len = strlen(out);
	if ((r = kgw_zone_conf_format(&c->zones, out + len,
	    outlen - len)) != KGW_OK)
		return r;
	len = strlen(out);
	return kgw_role_conf_format(&c->roles, out + len, outlen - len);
}
