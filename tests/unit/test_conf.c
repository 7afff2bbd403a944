/* Unit tests for the configuration parser and loader (kgw_conf.h). */
#include <config.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kgw_conf.h"
#include "kgw_err.h"

/* Every message the core logs lands here, one per line. */
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

static void
reset_log(void)
{
	logbuf[0] = '\0';
}

static int
parse(const char *text, struct kgw_conf *c)
{
	reset_log();
	return kgw_conf_parse(&test_log, "test.conf", text, strlen(text), c);
}

/* Parses text, expects KGW_ERR_CONFIG and a message naming test.conf:line. */
static void
expect_error(const char *text, unsigned line)
{
	struct kgw_conf c;
	char where[32];
	int r;

	r = parse(text, &c);
	ck_assert_msg(r == KGW_ERR_CONFIG, "rc %d for \"%s\"", r, text);
	(void)snprintf(where, sizeof(where), "test.conf:%u: ", line);
	ck_assert_msg(strstr(logbuf, where) != NULL,
	    "log \"%s\" does not name %s", logbuf, where);
}

static void
setup_dir(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/tXXXXXX", basedir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void
teardown_dir(void)
{
	(void)nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void
assert_defaults(const struct kgw_conf *c)
{
	ck_assert_str_eq(c->store, KGW_STORE_DEFAULT);
	ck_assert_str_eq(c->key, KGW_KEY_DEFAULT);
	ck_assert_str_eq(c->issuer, "Kakogawa City");
	ck_assert_int_eq(c->totp_algorithm, KGW_TOTP_SHA1);
	ck_assert_uint_eq(c->totp_digits, 6);
	ck_assert_uint_eq(c->totp_window, 1);
	ck_assert_uint_eq(c->totp_max_drift, 3);
	ck_assert_uint_eq(c->lockout_attempts, 5);
	ck_assert_uint_eq(c->lockout_time, 900);
	ck_assert_uint_eq(c->busy_timeout, 5000);
	ck_assert_uint_eq(c->fail_delay, 2000);
}

static void
assert_same(const struct kgw_conf *a, const struct kgw_conf *b)
{
	ck_assert_str_eq(a->store, b->store);
	ck_assert_str_eq(a->key, b->key);
	ck_assert_str_eq(a->issuer, b->issuer);
	ck_assert_int_eq(a->totp_algorithm, b->totp_algorithm);
	ck_assert_uint_eq(a->totp_digits, b->totp_digits);
	ck_assert_uint_eq(a->totp_window, b->totp_window);
	ck_assert_uint_eq(a->totp_max_drift, b->totp_max_drift);
	ck_assert_uint_eq(a->lockout_attempts, b->lockout_attempts);
	ck_assert_uint_eq(a->lockout_time, b->lockout_time);
	ck_assert_uint_eq(a->busy_timeout, b->busy_timeout);
	ck_assert_uint_eq(a->fail_delay, b->fail_delay);
}

START_TEST(test_defaults)
{
	struct kgw_conf c;

	kgw_conf_defaults(&c);
	assert_defaults(&c);
}
END_TEST

START_TEST(test_empty_text)
{
	struct kgw_conf c;

	memset(&c, 0x5a, sizeof(c));
	ck_assert_int_eq(parse("", &c), KGW_OK);
	assert_defaults(&c);
	ck_assert_str_eq(logbuf, "");
}
END_TEST

START_TEST(test_comments_only)
{
	struct kgw_conf c;

	ck_assert_int_eq(parse("# a comment\n\n   \n\t\n  # indented = 3\n"
	    "#store = relative\n", &c), KGW_OK);
	assert_defaults(&c);
}
END_TEST

START_TEST(test_all_keys)
{
	struct kgw_conf c;

	ck_assert_int_eq(parse(
	    "store = /srv/kgw/store.db\n"
	    "key = /srv/kgw/store.key\n"
	    "issuer = Kakogawa Test\n"
	    "totp_algorithm = sha256\n"
	    "totp_digits = 8\n"
	    "totp_window = 3\n"
	    "lockout_attempts = 10\n"
	    "lockout_time = 0\n"
	    "busy_timeout = 250\n"
	    "fail_delay = 0\n", &c), KGW_OK);
	ck_assert_str_eq(c.store, "/srv/kgw/store.db");
	ck_assert_str_eq(c.key, "/srv/kgw/store.key");
	ck_assert_str_eq(c.issuer, "Kakogawa Test");
	ck_assert_int_eq(c.totp_algorithm, KGW_TOTP_SHA256);
	ck_assert_uint_eq(c.totp_digits, 8);
	ck_assert_uint_eq(c.totp_window, 3);
	ck_assert_uint_eq(c.lockout_attempts, 10);
	ck_assert_uint_eq(c.lockout_time, 0);
	ck_assert_uint_eq(c.busy_timeout, 250);
	ck_assert_uint_eq(c.fail_delay, 0);
	ck_assert_str_eq(logbuf, "");
}
END_TEST

/* One key at a time: it changes, every other field keeps its default. */
START_TEST(test_each_key_alone)
{
	struct kgw_conf c, want;

	kgw_conf_defaults(&want);
	(void)strcpy(want.store, "/a/store.db");
	ck_assert_int_eq(parse("store=/a/store.db", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	(void)strcpy(want.key, "/a/k");
	ck_assert_int_eq(parse("key = /a/k\n", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	(void)strcpy(want.issuer, "City of Kakogawa");
	ck_assert_int_eq(parse("issuer = City of Kakogawa\n", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	(void)strcpy(want.issuer, "123456789012345678901234567890123456789012345678901234567890123");
	ck_assert_int_eq(parse("issuer = 123456789012345678901234567890"
	    "123456789012345678901234567890123\n", &c), KGW_OK);	/* 63 bytes */
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	want.totp_algorithm = KGW_TOTP_SHA512;
	ck_assert_int_eq(parse("totp_algorithm = SHA512\n", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	want.totp_algorithm = KGW_TOTP_SHA1;
	ck_assert_int_eq(parse("totp_algorithm = Sha1\n", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	want.totp_digits = 8;
	ck_assert_int_eq(parse("totp_digits = 8\n", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	want.totp_window = 10;
	ck_assert_int_eq(parse("totp_window = 10\n", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	want.totp_max_drift = 10;
	ck_assert_int_eq(parse("totp_max_drift = 10\n", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	want.totp_max_drift = 0;
	ck_assert_int_eq(parse("totp_max_drift = 0\n", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	want.lockout_attempts = 1000;
	ck_assert_int_eq(parse("lockout_attempts = 1000\n", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	want.lockout_time = 366U * 24 * 3600;
	ck_assert_int_eq(parse("lockout_time = 31622400\n", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	want.busy_timeout = 60000;
	ck_assert_int_eq(parse("busy_timeout = 60000\n", &c), KGW_OK);
	assert_same(&c, &want);

	kgw_conf_defaults(&want);
	want.fail_delay = 10000;
	ck_assert_int_eq(parse("fail_delay = 10000\n", &c), KGW_OK);
	assert_same(&c, &want);
}
END_TEST

START_TEST(test_whitespace)
{
	struct kgw_conf c;

	ck_assert_int_eq(parse(
	    "\t store\t=\t/x/y  \t\n"
	    "issuer=  Two  Words  \n"
	    "  totp_window =2", &c), KGW_OK);	/* no final newline */
	ck_assert_str_eq(c.store, "/x/y");
	ck_assert_str_eq(c.issuer, "Two  Words");
	ck_assert_uint_eq(c.totp_window, 2);
}
END_TEST

/* The value is everything after the first '='. */
START_TEST(test_value_with_equals_and_hash)
{
	struct kgw_conf c;

	ck_assert_int_eq(parse("issuer = A=B # not a comment\n", &c), KGW_OK);
	ck_assert_str_eq(c.issuer, "A=B # not a comment");
}
END_TEST

START_TEST(test_line_max_ok)
{
	char text[KGW_CONF_LINE_MAX + 16];
	struct kgw_conf c;

	memset(text, ' ', KGW_CONF_LINE_MAX);
	text[0] = '#';
	text[KGW_CONF_LINE_MAX] = '\n';
	(void)strcpy(text + KGW_CONF_LINE_MAX + 1, "totp_window=4\n");
	ck_assert_int_eq(parse(text, &c), KGW_OK);
	ck_assert_uint_eq(c.totp_window, 4);
}
END_TEST

struct bad_case {
	const char *text;
	unsigned line;
};

static const struct bad_case bad_cases[] = {
	{ "colour = blue\n", 1 },			/* unknown key */
	{ "# ok\nstores = /x\n", 2 },
	{ "Store = /x\n", 1 },				/* keys are lowercase */
	{ "store /x\n", 1 },				/* missing '=' */
	{ "\n\nstore\n", 3 },
	{ "= /x\n", 1 },				/* no key */
	{ "store =\n", 1 },				/* empty value */
	{ "store =   \t\n", 1 },
	{ "store = /a\nkey = /b\nstore = /a\n", 3 },	/* duplicate */
	{ "totp_window = 1\ntotp_window=1\n", 2 },
	{ "store = relative/path\n", 1 },
	{ "key = ./k\n", 1 },
	{ "key = ~/k\n", 1 },
	{ "totp_digits = 7\n", 1 },
	{ "totp_digits = 06\n", 1 },
	{ "totp_digits = 6.0\n", 1 },
	{ "totp_digits = 10\n", 1 },
	{ "totp_algorithm = md5\n", 1 },
	{ "totp_algorithm = sha-1\n", 1 },
	{ "totp_algorithm = sha1 sha256\n", 1 },
	{ "issuer = Kakogawa:City\n", 1 },
	{ "issuer = 12345678901234567890123456789012"
	    "345678901234567890123456789012345\n", 1 },	/* 65 bytes */
	{ "totp_window = 11\n", 1 },
	{ "totp_window = -1\n", 1 },
	{ "totp_window = 01\n", 1 },
	{ "totp_window = 1 2\n", 1 },
	{ "totp_window = 0x1\n", 1 },
	{ "totp_max_drift = 11\n", 1 },
	{ "totp_max_drift = -1\n", 1 },
	{ "totp_max_drift = 3\ntotp_max_drift = 3\n", 2 },
	{ "lockout_attempts = 0\n", 1 },
	{ "lockout_attempts = 1001\n", 1 },
	{ "lockout_time = 31622401\n", 1 },
	{ "lockout_time = 18446744073709551616\n", 1 },
	{ "busy_timeout = 60001\n", 1 },
	{ "fail_delay = 10001\n", 1 },
	{ "fail_delay = +5\n", 1 },
	{ "\n\n\nfail_delay = 4294967297\n", 4 },
	{ "store = /x\r\n", 1 },			/* CR is a control char */
	{ "# ok\nissuer = a\x01" "b\n", 2 },
	{ "issuer = a\x1b[31mred\n", 1 },
	{ "# x\n# y\n# z\x0b\n", 3 },
};

START_TEST(test_bad)
{
	expect_error(bad_cases[_i].text, bad_cases[_i].line);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "# first\nissuer = Kako\0gawa\n";
	struct kgw_conf c;

	reset_log();
	ck_assert_int_eq(kgw_conf_parse(&test_log, "test.conf", text,
	    sizeof(text) - 1, &c), KGW_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(logbuf, "test.conf:2: "));
}
END_TEST

START_TEST(test_line_too_long)
{
	char text[KGW_CONF_LINE_MAX + 64];
	struct kgw_conf c;

	(void)strcpy(text, "# one\n");
	memset(text + 6, ' ', KGW_CONF_LINE_MAX + 1);
	text[6] = '#';
	(void)strcpy(text + 6 + KGW_CONF_LINE_MAX + 1, "\n");
	reset_log();
	ck_assert_int_eq(kgw_conf_parse(&test_log, "test.conf", text,
	    strlen(text), &c), KGW_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(logbuf, "test.conf:2: "));

	/* The same without a final newline. */
	text[strlen(text) - 1] = '\0';
	reset_log();
	ck_assert_int_eq(kgw_conf_parse(&test_log, "test.conf", text,
	    strlen(text), &c), KGW_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(logbuf, "test.conf:2: "));
}
END_TEST

START_TEST(test_too_large)
{
	size_t len = KGW_CONF_SIZE_MAX + 1;
	char *text = malloc(len);
	struct kgw_conf c;
	size_t i;

	ck_assert_ptr_nonnull(text);
	for (i = 0; i < len; i++)
		text[i] = (i % 64 == 63) ? '\n' : '#';
	reset_log();
	ck_assert_int_eq(kgw_conf_parse(&test_log, "test.conf", text, len, &c),
	    KGW_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(logbuf, "test.conf:"));
	/* One byte less is accepted (all comments). */
	ck_assert_int_eq(kgw_conf_parse(&test_log, "test.conf", text, len - 1,
	    &c), KGW_OK);
	free(text);
}
END_TEST

START_TEST(test_null_text)
{
	struct kgw_conf c;

	reset_log();
	ck_assert_int_eq(kgw_conf_parse(&test_log, "test.conf", NULL, 0, &c),
	    KGW_ERR_CONFIG);
}
END_TEST

/* The parse stops at the first error: a later good line is not applied. */
START_TEST(test_first_error_wins)
{
	struct kgw_conf c;

	expect_error("totp_window = 2\nbogus = 1\ntotp_window = 99\n", 2);
	ck_assert_int_eq(parse("totp_window = 2\n", &c), KGW_OK);
	ck_assert_uint_eq(c.totp_window, 2);
}
END_TEST

/* The log message also says what was wrong. */
START_TEST(test_messages)
{
	expect_error("x = 1\n", 1);
	ck_assert_ptr_nonnull(strstr(logbuf, "unknown key"));
	expect_error("totp_digits = 7\n", 1);
	ck_assert_ptr_nonnull(strstr(logbuf, "6 or 8"));
	expect_error("issuer = a:b\n", 1);
	ck_assert_ptr_nonnull(strstr(logbuf, "':'"));
	expect_error("store = x\n", 1);
	ck_assert_ptr_nonnull(strstr(logbuf, "absolute"));
	expect_error("key = /a\nkey = /a\n", 2);
	ck_assert_ptr_nonnull(strstr(logbuf, "twice"));
}
END_TEST

START_TEST(test_format_roundtrip_defaults)
{
	struct kgw_conf a, b;
	char text[4096];

	kgw_conf_defaults(&a);
	ck_assert_int_eq(kgw_conf_format(&a, text, sizeof(text)), KGW_OK);
	ck_assert_int_eq(parse(text, &b), KGW_OK);
	assert_same(&a, &b);
	/* Every key is written, so nothing depends on the defaults. */
	ck_assert_ptr_nonnull(strstr(text, "store = " KGW_STORE_DEFAULT "\n"));
	ck_assert_ptr_nonnull(strstr(text, "totp_algorithm = SHA1\n"));
	ck_assert_ptr_nonnull(strstr(text, "fail_delay = 2000\n"));
}
END_TEST

START_TEST(test_format_roundtrip_custom)
{
	struct kgw_conf a, b;
	char text[4096];

	kgw_conf_defaults(&a);
	(void)strcpy(a.store, "/var/lib/kgw-test/s.db");
	(void)strcpy(a.key, "/etc/kgw-test.key");
	(void)strcpy(a.issuer, "Kakogawa Civic Center");
	a.totp_algorithm = KGW_TOTP_SHA512;
	a.totp_digits = 8;
	a.totp_window = 0;
	a.totp_max_drift = 7;
	a.lockout_attempts = 3;
	a.lockout_time = 0;
	a.busy_timeout = 60000;
	a.fail_delay = 10000;
	ck_assert_int_eq(kgw_conf_format(&a, text, sizeof(text)), KGW_OK);
	ck_assert_int_eq(parse(text, &b), KGW_OK);
	assert_same(&a, &b);

	a.totp_algorithm = KGW_TOTP_SHA256;
	ck_assert_int_eq(kgw_conf_format(&a, text, sizeof(text)), KGW_OK);
	ck_assert_int_eq(parse(text, &b), KGW_OK);
	assert_same(&a, &b);
}
END_TEST

START_TEST(test_format_too_small)
{
	struct kgw_conf a;
	char text[4096];
	size_t need;

	kgw_conf_defaults(&a);
	ck_assert_int_eq(kgw_conf_format(&a, text, sizeof(text)), KGW_OK);
	need = strlen(text) + 1;
	ck_assert_int_eq(kgw_conf_format(&a, text, need), KGW_OK);
	ck_assert_int_eq(kgw_conf_format(&a, text, need - 1), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_conf_format(&a, text, 16), KGW_ERR_INVALID);
}
END_TEST

/*
 * What kgw_conf_format writes must parse: "store = PATH" on one line. The
 * longest path that fits round-trips; one byte more is refused by the
 * parser (even written "store=PATH", which fits) and by the formatter.
 */
START_TEST(test_format_long_path)
{
	static char text[2 * KGW_CONF_LINE_MAX], out[8192];
	static struct kgw_conf a, b;
	size_t n = KGW_CONF_PATH_LEN_MAX;

	ck_assert_uint_eq(n, KGW_CONF_LINE_MAX - strlen("store = "));
	(void)snprintf(text, sizeof(text), "store = /%0*d\n", (int)n - 1, 0);
	ck_assert_int_eq(parse(text, &a), KGW_OK);
	ck_assert_uint_eq(strlen(a.store), n);
	ck_assert_int_eq(kgw_conf_format(&a, out, sizeof(out)), KGW_OK);
	ck_assert_int_eq(parse(out, &b), KGW_OK);
	ck_assert_str_eq(a.store, b.store);

	(void)snprintf(text, sizeof(text), "store=/%0*d\n", (int)n, 0);
	ck_assert_uint_le(strlen(text) - 1, KGW_CONF_LINE_MAX);
	reset_log();
	ck_assert_int_eq(parse(text, &a), KGW_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(logbuf, "path too long"));

	kgw_conf_defaults(&a);
	(void)snprintf(a.key, sizeof(a.key), "/%0*d", (int)n, 0);
	ck_assert_int_eq(kgw_conf_format(&a, out, sizeof(out)),
	    KGW_ERR_INVALID);
}
END_TEST

START_TEST(test_load_ok)
{
	struct kgw_conf c;
	char path[128];

	(void)snprintf(path, sizeof(path), "%s/kakogawa.conf", tmpdir);
	write_file(path, "# test\nissuer = Loaded\ntotp_digits = 8\n", 0644);
	reset_log();
	ck_assert_int_eq(kgw_conf_load(&test_log, path, &c), KGW_OK);
	ck_assert_str_eq(c.issuer, "Loaded");
	ck_assert_uint_eq(c.totp_digits, 8);
	ck_assert_str_eq(c.store, KGW_STORE_DEFAULT);
	ck_assert_str_eq(logbuf, "");
}
END_TEST

/* Errors in a loaded file name the file's path and the line. */
START_TEST(test_load_parse_error)
{
	struct kgw_conf c;
	char path[128], where[160];

	(void)snprintf(path, sizeof(path), "%s/kakogawa.conf", tmpdir);
	write_file(path, "# test\n\nlockout_attempts = 0\n", 0600);
	reset_log();
	ck_assert_int_eq(kgw_conf_load(&test_log, path, &c), KGW_ERR_CONFIG);
	(void)snprintf(where, sizeof(where), "%s:3: ", path);
	ck_assert_msg(strstr(logbuf, where) != NULL, "log: %s", logbuf);
}
END_TEST

START_TEST(test_load_world_writable)
{
	struct kgw_conf c;
	char path[128];

	(void)snprintf(path, sizeof(path), "%s/kakogawa.conf", tmpdir);
	write_file(path, "issuer = Evil\n", 0666);
	reset_log();
	ck_assert_int_eq(kgw_conf_load(&test_log, path, &c), KGW_ERR_UNSAFE);
	ck_assert_str_ne(c.issuer, "Evil");
	ck_assert_str_ne(logbuf, "");
}
END_TEST

START_TEST(test_load_group_writable)
{
	struct kgw_conf c;
	char path[128];

	(void)snprintf(path, sizeof(path), "%s/kakogawa.conf", tmpdir);
	write_file(path, "issuer = Evil\n", 0664);
	ck_assert_int_eq(kgw_conf_load(&test_log, path, &c), KGW_ERR_UNSAFE);
	ck_assert_str_ne(c.issuer, "Evil");
}
END_TEST

START_TEST(test_load_symlink)
{
	struct kgw_conf c;
	char path[128], link[128];

	(void)snprintf(path, sizeof(path), "%s/real.conf", tmpdir);
	(void)snprintf(link, sizeof(link), "%s/kakogawa.conf", tmpdir);
	write_file(path, "issuer = Linked\n", 0644);
	ck_assert_int_eq(symlink(path, link), 0);
	reset_log();
	ck_assert_int_eq(kgw_conf_load(&test_log, link, &c), KGW_ERR_UNSAFE);
	ck_assert_str_ne(c.issuer, "Linked");
	/* The target itself is fine. */
	ck_assert_int_eq(kgw_conf_load(&test_log, path, &c), KGW_OK);
	ck_assert_str_eq(c.issuer, "Linked");
}
END_TEST

START_TEST(test_load_missing)
{
	struct kgw_conf c;
	char path[128];
	int r;

	(void)snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
	reset_log();
	r = kgw_conf_load(&test_log, path, &c);
	ck_assert_int_ne(r, KGW_OK);
	ck_assert_ptr_nonnull(strstr(logbuf, path));
}
END_TEST

START_TEST(test_load_relative)
{
	struct kgw_conf c;

	ck_assert_int_eq(kgw_conf_load(&test_log, "kakogawa.conf", &c),
	    KGW_ERR_UNSAFE);
}
END_TEST

/*
 * The directory_* keys (kgw_directory.h). A complete directory over
 * ldaps; each case below changes one thing in it.
 */
#define DIR_LDAPS \
	"directory = ldaps://ldap1.lgwan.kakogawa.example " \
	"ldaps://ldap0.lgwan.kakogawa.example:636/\n" \
	"directory_base = ou=staff,dc=lgwan,dc=kakogawa,dc=example\n" \
	"directory_bind_dn = cn=ws-0042,ou=hosts,dc=lgwan,dc=kakogawa," \
	"dc=example\n" \
	"directory_bind_password_file = /etc/security/kakogawa.ldap\n" \
	"directory_tls = ldaps\n" \
	"directory_ca = /etc/ssl/certs/kakogawa-ca.pem\n"

/* The same identity, without URIs and TLS: for the cases that add them. */
#define DIR_WHO \
	"directory_base = ou=staff,dc=kakogawa,dc=example\n" \
	"directory_bind_dn = cn=h1,ou=hosts,dc=kakogawa,dc=example\n" \
	"directory_bind_password_file = /etc/security/kakogawa.ldap\n"

struct dir_bad_case {
	const char *text;
	unsigned line;		/* 0: found by the checks across keys */
	const char *why;	/* in the message */
};

#define WITHOUT "directory_* keys without directory"
#define NEEDS_WHO "needs directory_base, directory_bind_dn and"
#define LOOPBACK_ONLY "only for a directory on loopback"
#define SERVER_ONLY "names a server only"
#define NUMBER "expected a whole number from"

static const struct dir_bad_case dir_bad_cases[] = {
	/* A directory_* key is an error without a directory. */
	{ DIR_WHO, 0, WITHOUT },
	{ "directory_base = dc=kakogawa,dc=example\n", 0, WITHOUT },
	{ "directory_bind_dn = cn=h1,dc=kakogawa,dc=example\n", 0, WITHOUT },
	{ "directory_bind_password_file = /etc/p\n", 0, WITHOUT },
	{ "directory_tls = ldaps\n", 0, WITHOUT },
	{ "directory_tls = none\n", 0, WITHOUT },
	{ "directory_ca = /etc/ca.pem\n", 0, WITHOUT },
	{ "directory_timeout = 500\n", 0, WITHOUT },
	{ "directory_timeout = 2000\n", 0, WITHOUT },
	{ "directory_offline = 0\n", 0, WITHOUT },
	{ "directory_offline = 3600\n", 0, WITHOUT },
	/* A directory needs its base, identity, password file and TLS. */
	{ "directory = ldaps://h.example\n"
	    "directory_bind_dn = cn=h1,dc=x\n"
	    "directory_bind_password_file = /etc/p\n"
	    "directory_tls = ldaps\ndirectory_ca = /etc/ca.pem\n", 0,
	    NEEDS_WHO },
	{ "directory = ldaps://h.example\n"
	    "directory_base = dc=x\n"
	    "directory_bind_password_file = /etc/p\n"
	    "directory_tls = ldaps\ndirectory_ca = /etc/ca.pem\n", 0,
	    NEEDS_WHO },
	{ "directory = ldaps://h.example\n"
	    "directory_base = dc=x\n"
	    "directory_bind_dn = cn=h1,dc=x\n"
	    "directory_tls = ldaps\ndirectory_ca = /etc/ca.pem\n", 0,
	    NEEDS_WHO },
	{ "directory = ldaps://h.example\n" DIR_WHO
	    "directory_ca = /etc/ca.pem\n", 0, "needs directory_tls" },
	{ "directory = ldap://127.0.0.1\n" DIR_WHO, 0,
	    "needs directory_tls" },
	/* TLS needs the CA. */
	{ "directory = ldaps://h.example\n" DIR_WHO "directory_tls = ldaps\n",
	    0, "needs directory_ca" },
	{ "directory = ldap://h.example\n" DIR_WHO
	    "directory_tls = starttls\n", 0, "needs directory_ca" },
	/* The scheme is the one directory_tls implies. */
	{ "directory = ldap://h.example\n" DIR_WHO "directory_tls = ldaps\n"
	    "directory_ca = /etc/ca.pem\n", 0, "needs ldaps:// URIs" },
	{ "directory = ldaps://a.example ldap://b.example\n" DIR_WHO
	    "directory_tls = ldaps\ndirectory_ca = /etc/ca.pem\n", 0,
	    "needs ldaps:// URIs" },
	{ "directory = ldapi://\n" DIR_WHO "directory_tls = ldaps\n"
	    "directory_ca = /etc/ca.pem\n", 0, "needs ldaps:// URIs" },
	{ "directory = ldaps://h.example\n" DIR_WHO
	    "directory_tls = starttls\ndirectory_ca = /etc/ca.pem\n", 0,
	    "needs ldap:// URIs" },
	{ "directory = ldap://a.example ldaps://b.example\n" DIR_WHO
	    "directory_tls = starttls\ndirectory_ca = /etc/ca.pem\n", 0,
	    "needs ldap:// URIs" },
	/* Plain LDAP only to loopback, by address. */
	{ "directory = ldap://10.0.0.1\n" DIR_WHO "directory_tls = none\n", 0,
	    LOOPBACK_ONLY },
	{ "directory = ldap://ldap.kakogawa.example\n" DIR_WHO
	    "directory_tls = none\n", 0, LOOPBACK_ONLY },
	{ "directory = ldap://localhost\n" DIR_WHO "directory_tls = none\n", 0,
	    LOOPBACK_ONLY },
	{ "directory = ldap://localhost:3389/\n" DIR_WHO
	    "directory_tls = none\n", 0, LOOPBACK_ONLY },
	{ "directory = ldap://127.0.0.1 ldap://10.0.0.1\n" DIR_WHO
	    "directory_tls = none\n", 0, LOOPBACK_ONLY },
	{ "directory = ldap://127.0.0.1.evil.example\n" DIR_WHO
	    "directory_tls = none\n", 0, LOOPBACK_ONLY },
	{ "directory = ldap://2130706433\n" DIR_WHO "directory_tls = none\n",
	    0, LOOPBACK_ONLY },
	{ "directory = ldap://[::2]\n" DIR_WHO "directory_tls = none\n", 0,
	    LOOPBACK_ONLY },
	{ "directory = ldap://128.0.0.1\n" DIR_WHO "directory_tls = none\n", 0,
	    LOOPBACK_ONLY },
	/* A URI names a server: no DN, attributes, filter or extensions. */
	{ "directory = ldaps://h.example/dc=kakogawa,dc=example\n", 1,
	    SERVER_ONLY },
	{ "directory = ldaps://h.example/?uid\n", 1, SERVER_ONLY },
	{ "directory = ldaps://h.example/??sub?(uid=*)\n", 1, SERVER_ONLY },
	{ "directory = ldaps://h.example/????x-ext\n", 1, SERVER_ONLY },
	{ "directory = ldaps://a.example ldaps://b.example/ou=staff\n", 1,
	    SERVER_ONLY },
	{ "directory = ldap:///\n", 1, SERVER_ONLY },
	{ "directory = http://h.example\n", 1, "must be ldap://" },
	{ "directory = h.example\n", 1, "must be ldap://" },
	{ "directory = ldaps://a ldaps://b ldaps://c ldaps://d ldaps://e\n", 1,
	    "at most 4 URIs" },
	{ "directory = ldaps://h.example"
	    "/123456789012345678901234567890123456789012345678901234567890"
	    "123456789012345678901234567890123456789012345678901234567890"
	    "123456789012345678901234567890123456789012345678901234567890"
	    "123456789012345678901234567890123456789012345678901234567890"
	    "\n", 1, "URI too long" },
	/* Each key once. */
	{ "directory = ldaps://a.example\ndirectory = ldaps://b.example\n", 2,
	    "twice" },
	{ DIR_LDAPS "directory_base = ou=staff,dc=kakogawa,dc=example\n", 7,
	    "twice" },
	{ DIR_LDAPS "directory_bind_dn = cn=h2,dc=kakogawa,dc=example\n", 7,
	    "twice" },
	{ DIR_LDAPS "directory_bind_password_file = /etc/p2\n", 7, "twice" },
	{ DIR_LDAPS "directory_tls = ldaps\n", 7, "twice" },
	{ DIR_LDAPS "directory_ca = /etc/ca.pem\n", 7, "twice" },
	{ DIR_LDAPS "directory_timeout = 500\ndirectory_timeout = 500\n", 8,
	    "twice" },
	{ DIR_LDAPS "directory_offline = 0\ndirectory_offline = 0\n", 8,
	    "twice" },
	/* Values. */
	{ DIR_LDAPS "directory_timeout = 99\n", 7, NUMBER },
	{ DIR_LDAPS "directory_timeout = 60001\n", 7, NUMBER },
	{ DIR_LDAPS "directory_timeout = 0\n", 7, NUMBER },
	{ DIR_LDAPS "directory_timeout = 2s\n", 7, NUMBER },
	{ DIR_LDAPS "directory_timeout = -1\n", 7, NUMBER },
	{ DIR_LDAPS "directory_offline = 604801\n", 7, NUMBER },
	{ DIR_LDAPS "directory_offline = 1h\n", 7, NUMBER },
	{ DIR_LDAPS "directory_offline = 4294967296\n", 7, NUMBER },
	{ "directory_tls = tls\n", 1, "ldaps, starttls or none" },
	{ "directory_tls = LDAPS\n", 1, "ldaps, starttls or none" },
	{ "directory_base = staff\n", 1, "not a valid DN" },
	{ "directory_bind_dn = cn=a,,dc=x\n", 1, "not a valid DN" },
	{ "directory_bind_password_file = etc/p\n", 1, "absolute" },
	{ "directory_ca = ca.pem\n", 1, "absolute" },
	/* The directory keys are global, not a zone's. */
	{ "[zone lgwan]\nnetworks = 10.0.0.0/8\ndirectory_tls = ldaps\n", 3,
	    "" },
};

START_TEST(test_dir_none_by_default)
{
	struct kgw_conf c;

	ck_assert_int_eq(parse("store = /x/s.db\n", &c), KGW_OK);
	ck_assert_uint_eq(c.directory.nuri, 0);
	ck_assert_str_eq(c.directory.base, "");
	ck_assert_int_eq(c.directory.tls, KGW_DIR_TLS_UNSET);
	ck_assert_uint_eq(c.directory.timeout, KGW_DIR_TIMEOUT_DEFAULT);
	ck_assert_uint_eq(c.directory.offline, KGW_DIR_OFFLINE_DEFAULT);
	ck_assert_uint_eq(KGW_DIR_TIMEOUT_DEFAULT, 2000);
	ck_assert_uint_eq(KGW_DIR_OFFLINE_DEFAULT, 3600);
}
END_TEST

START_TEST(test_dir_each_key)
{
	struct kgw_conf c;

	ck_assert_int_eq(parse(DIR_LDAPS, &c), KGW_OK);
	ck_assert_str_eq(logbuf, "");
	ck_assert_uint_eq(c.directory.nuri, 2);
	ck_assert_str_eq(c.directory.uri[0],
	    "ldaps://ldap1.lgwan.kakogawa.example");
	ck_assert_str_eq(c.directory.uri[1],
	    "ldaps://ldap0.lgwan.kakogawa.example:636/");
	ck_assert_str_eq(c.directory.uri[2], "");
	ck_assert_str_eq(c.directory.base,
	    "ou=staff,dc=lgwan,dc=kakogawa,dc=example");
	ck_assert_str_eq(c.directory.bind_dn,
	    "cn=ws-0042,ou=hosts,dc=lgwan,dc=kakogawa,dc=example");
	ck_assert_str_eq(c.directory.bind_pw_file,
	    "/etc/security/kakogawa.ldap");
	ck_assert_int_eq(c.directory.tls, KGW_DIR_TLS_LDAPS);
	ck_assert_str_eq(c.directory.ca, "/etc/ssl/certs/kakogawa-ca.pem");
	/* Not given: the defaults. */
	ck_assert_uint_eq(c.directory.timeout, KGW_DIR_TIMEOUT_DEFAULT);
	ck_assert_uint_eq(c.directory.offline, KGW_DIR_OFFLINE_DEFAULT);

	ck_assert_int_eq(parse(DIR_LDAPS "directory_timeout = 500\n"
	    "directory_offline = 0\n", &c), KGW_OK);
	ck_assert_uint_eq(c.directory.timeout, 500);
	ck_assert_uint_eq(c.directory.offline, 0);

	/* Tabs and runs of blanks separate URIs too; four is the limit. */
	ck_assert_int_eq(parse(DIR_WHO "directory = ldap://a.example\t "
	    "ldap://b.example  ldap://c.example:3389 ldap://d.example/\n"
	    "directory_tls = starttls\ndirectory_ca = /etc/ca.pem\n", &c),
	    KGW_OK);
	ck_assert_uint_eq(c.directory.nuri, 4);
	ck_assert_str_eq(c.directory.uri[1], "ldap://b.example");
	ck_assert_str_eq(c.directory.uri[3], "ldap://d.example/");
	ck_assert_int_eq(c.directory.tls, KGW_DIR_TLS_STARTTLS);

	/* Order does not matter: directory may come last. */
	ck_assert_int_eq(parse("directory_tls = none\n" DIR_WHO
	    "directory = ldap://127.0.0.1:3389\n", &c), KGW_OK);
	ck_assert_int_eq(c.directory.tls, KGW_DIR_TLS_NONE);
	ck_assert_str_eq(c.directory.ca, "");
}
END_TEST

START_TEST(test_dir_ranges)
{
	struct kgw_conf c;

	ck_assert_int_eq(parse(DIR_LDAPS "directory_timeout = 100\n", &c),
	    KGW_OK);
	ck_assert_uint_eq(c.directory.timeout, 100);
	ck_assert_int_eq(parse(DIR_LDAPS "directory_timeout = 60000\n", &c),
	    KGW_OK);
	ck_assert_uint_eq(c.directory.timeout, 60000);
	ck_assert_int_eq(parse(DIR_LDAPS "directory_offline = 604800\n", &c),
	    KGW_OK);
	ck_assert_uint_eq(c.directory.offline, KGW_DIR_OFFLINE_MAX);
	ck_assert_uint_eq(KGW_DIR_OFFLINE_MAX, 604800);
}
END_TEST

/* Plain LDAP: only with directory_tls = none, and only to loopback. */
START_TEST(test_dir_plain_loopback)
{
	static const char *const ok[] = {
		"ldap://127.0.0.1", "ldap://127.0.0.1:3389/",
		"ldap://127.5.5.5:389", "ldap://[::1]:3389",
		"ldap://[::1]/", "ldapi://", "ldapi:///",
		"ldapi://%2Frun%2Fslapd%2Fldapi",
		"ldap://127.0.0.1 ldapi://%2Frun%2Fslapd%2Fldapi",
	};
	struct kgw_conf c;
	char text[1024];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		(void)snprintf(text, sizeof(text), DIR_WHO "directory = %s\n"
		    "directory_tls = none\n", ok[i]);
		ck_assert_msg(parse(text, &c) == KGW_OK, "%s refused: %s",
		    ok[i], logbuf);
		ck_assert_msg(kgw_dir_uri_loopback(c.directory.uri[0]),
		    "%s", ok[i]);
	}
	ck_assert(!kgw_dir_uri_loopback("ldap://10.0.0.1"));
	ck_assert(!kgw_dir_uri_loopback("ldap://localhost"));
	ck_assert(!kgw_dir_uri_loopback("ldap://128.0.0.1"));
	ck_assert(!kgw_dir_uri_loopback("ldap://[::2]"));
	ck_assert(!kgw_dir_uri_loopback("not a uri"));
}
END_TEST

START_TEST(test_dir_bad)
{
	expect_error(dir_bad_cases[_i].text, dir_bad_cases[_i].line);
	ck_assert_msg(strstr(logbuf, dir_bad_cases[_i].why) != NULL,
	    "log \"%s\" does not say \"%s\"", logbuf, dir_bad_cases[_i].why);
}
END_TEST

static void
assert_same_dir(const struct kgw_dir_conf *a, const struct kgw_dir_conf *b)
{
	unsigned i;

	ck_assert_uint_eq(a->nuri, b->nuri);
	for (i = 0; i < KGW_DIR_URIS_MAX; i++)
		ck_assert_str_eq(a->uri[i], b->uri[i]);
	ck_assert_str_eq(a->base, b->base);
	ck_assert_str_eq(a->bind_dn, b->bind_dn);
	ck_assert_str_eq(a->bind_pw_file, b->bind_pw_file);
	ck_assert_int_eq(a->tls, b->tls);
	ck_assert_str_eq(a->ca, b->ca);
	ck_assert_uint_eq(a->timeout, b->timeout);
	ck_assert_uint_eq(a->offline, b->offline);
}

/* Formats a, parses the text into b, and formats b: the same text. */
static void
roundtrip(const struct kgw_conf *a, struct kgw_conf *b)
{
	static char text[16384], again[16384];

	ck_assert_int_eq(kgw_conf_format(a, text, sizeof(text)), KGW_OK);
	ck_assert_msg(parse(text, b) == KGW_OK, "%s\n--\n%s", logbuf, text);
	assert_same(a, b);
	assert_same_dir(&a->directory, &b->directory);
	ck_assert_int_eq(kgw_conf_format(b, again, sizeof(again)), KGW_OK);
	ck_assert_str_eq(text, again);
}

START_TEST(test_dir_format_roundtrip)
{
	static struct kgw_conf a, b;
	char text[4096];

	ck_assert_int_eq(parse(DIR_LDAPS "directory_timeout = 750\n"
	    "directory_offline = 0\n", &a), KGW_OK);
	roundtrip(&a, &b);

	ck_assert_int_eq(parse(DIR_WHO "directory = ldap://a.example\t"
	    "ldap://b.example ldap://c.example ldap://d.example\n"
	    "directory_tls = starttls\ndirectory_ca = /etc/ca.pem\n"
	    "directory_offline = 604800\n", &a), KGW_OK);
	roundtrip(&a, &b);

	ck_assert_int_eq(parse(DIR_WHO "directory = ldap://[::1]:3389 "
	    "ldapi://%2Frun%2Fslapd%2Fldapi\ndirectory_tls = none\n", &a),
	    KGW_OK);
	roundtrip(&a, &b);

	/* Without a directory nothing is written. */
	kgw_conf_defaults(&a);
	ck_assert_int_eq(kgw_conf_format(&a, text, sizeof(text)), KGW_OK);
	ck_assert_ptr_null(strstr(text, "directory"));
	roundtrip(&a, &b);
}
END_TEST

/* The directory keys are global: they must not land in a [zone] section. */
START_TEST(test_dir_format_with_zones)
{
	static struct kgw_conf a, b;

	ck_assert_int_eq(parse(DIR_LDAPS "host_zone = lgwan\n"
	    "[zone lgwan]\nnetworks = 10.0.0.0/8\nfactors = password totp\n"
	    "[zone internet]\nnetworks = 172.16.0.0/12\n"
	    "factors = password fido2\n", &a), KGW_OK);
	ck_assert_uint_eq(a.zones.nzones, 2);
	roundtrip(&a, &b);
	ck_assert_uint_eq(b.zones.nzones, 2);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_empty_text);
	tcase_add_test(tc, test_comments_only);
	tcase_add_test(tc, test_all_keys);
	tcase_add_test(tc, test_each_key_alone);
	tcase_add_test(tc, test_whitespace);
	tcase_add_test(tc, test_value_with_equals_and_hash);
	tcase_add_test(tc, test_line_max_ok);
	tcase_add_loop_test(tc, test_bad, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_null_text);
	tcase_add_test(tc, test_first_error_wins);
	tcase_add_test(tc, test_messages);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_format_roundtrip_defaults);
	tcase_add_test(tc, test_format_roundtrip_custom);
	tcase_add_test(tc, test_format_too_small);
	tcase_add_test(tc, test_format_long_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("directory");
	tcase_add_test(tc, test_dir_none_by_default);
	tcase_add_test(tc, test_dir_each_key);
	tcase_add_test(tc, test_dir_ranges);
	tcase_add_test(tc, test_dir_plain_loopback);
	tcase_add_loop_test(tc, test_dir_bad, 0,
	    (int)(sizeof(dir_bad_cases) / sizeof(dir_bad_cases[0])));
	tcase_add_test(tc, test_dir_format_roundtrip);
	tcase_add_test(tc, test_dir_format_with_zones);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_load_ok);
	tcase_add_test(tc, test_load_parse_error);
	tcase_add_test(tc, test_load_world_writable);
	tcase_add_test(tc, test_load_group_writable);
	tcase_add_test(tc, test_load_symlink);
	tcase_add_test(tc, test_load_missing);
	tcase_add_test(tc, test_load_relative);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int number_failed;

	(void)strcpy(basedir, "/tmp/kgw-conf-XXXXXX");
	if (mkdtemp(basedir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	sr = srunner_create(conf_suite());
	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	(void)nftw(basedir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return number_failed ? 1 : 0;
}
