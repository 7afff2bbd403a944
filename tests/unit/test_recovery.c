/*
 * Unit tests for recovery codes (kgw_recovery.h) and the store's
 * recovery and enrolment-safety calls (kgw_store.h): codes made, read
 * back and hashed; issued, found, used up once (also by racing
 * processes), revoked, replaced; a pending TOTP confirmed; a token
 * resynchronised; each change recorded.
 */
#include <config.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kgw_audit.h"
#include "kgw_conf.h"
#include "kgw_err.h"
#include "kgw_recovery.h"
#include "kgw_store.h"

#define OP1 "helpdesk-tanaka"
#define RACERS 8

static char tmpdir[64];
static struct kgw_conf conf;
static char logbuf[16384];

static void
log_emit(void *arg, int priority, const char *msg)
{
	size_t used = strlen(logbuf);

	(void)arg;
	(void)priority;
	(void)snprintf(logbuf + used, sizeof(logbuf) - used, "%s\n", msg);
}

static const struct kgw_log test_log = { log_emit, NULL, false, false };
static const struct kgw_key key1 = { { 1, 2, 3 } };
static const struct kgw_audit_rec AUDIT = { .field = { "auth" } };

/* ---- the codes ---------------------------------------------------------- */

static bool
in_alphabet(char c)
{
	return c != '\0' && strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", c) !=
	    NULL;
}

START_TEST(test_generate)
{
	static char seen[200][KGW_RECOVERY_TEXT_MAX];
	char norm[KGW_RECOVERY_SYMBOLS + 1];
	size_t i, j, k;

	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(kgw_recovery_generate(seen[i]), KGW_OK);
		ck_assert_uint_eq(strlen(seen[i]), KGW_RECOVERY_TEXT_MAX - 1);
		for (k = 0; k < KGW_RECOVERY_TEXT_MAX - 1; k++)
			ck_assert(k % 5 == 4 ? seen[i][k] == '-' :
			    in_alphabet(seen[i][k]));
		ck_assert_int_eq(kgw_recovery_normalize(seen[i], norm), KGW_OK);
		ck_assert_uint_eq(strlen(norm), KGW_RECOVERY_SYMBOLS);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(seen[i], seen[j]);
	}
	ck_assert_int_eq(KGW_RECOVERY_BITS, 80);	/* the man page says so */
}
END_TEST

struct norm_case {
	const char *typed;
	const char *want;	/* NULL: refused */
};

static const struct norm_case norm_cases[] = {
	{ "ABCD-EFGH-JKMN-PQRS", "ABCDEFGHJKMNPQRS" },
	{ "abcd efgh jkmn pqrs", "ABCDEFGHJKMNPQRS" },
	{ " abcdefghjkmnpqrs ", "ABCDEFGHJKMNPQRS" },
	{ "oOiI-lL01-2345-6789", "00111101" "23456789" },
	{ "TVWX-YZ00-0000-0000", "TVWXYZ0000000000" },
	{ "ABCD-EFGH-JKMN-PQR", NULL },		/* 15 symbols */
	{ "ABCD-EFGH-JKMN-PQRST", NULL },	/* 17 */
	{ "ABCD-EFGH-JKMN-PQRU", NULL },	/* U is not a symbol */
	{ "ABCD_EFGH_JKMN_PQRS", NULL },
	{ "ABCD-EFGH-JKMN-PQR\xc3\xa9", NULL },
	{ "123456", NULL },			/* a TOTP code */
	{ "12345678", NULL },
	{ "", NULL },
};

START_TEST(test_normalize)
{
	const struct norm_case *c = &norm_cases[_i];
	char out[KGW_RECOVERY_SYMBOLS + 1];

	if (c->want != NULL) {
		ck_assert_int_eq(kgw_recovery_normalize(c->typed, out), KGW_OK);
		ck_assert_str_eq(out, c->want);
	} else {
		ck_assert_int_eq(kgw_recovery_normalize(c->typed, out),
		    KGW_ERR_INVALID);
	}
}
END_TEST

START_TEST(test_normalize_long)
{
	static char typed[4096];
	char out[KGW_RECOVERY_SYMBOLS + 1];

	memset(typed, ' ', sizeof(typed) - 1);
	memcpy(typed + 2000, "ABCDEFGHJKMNPQRS", 16);
	ck_assert_int_eq(kgw_recovery_normalize(typed, out), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_recovery_normalize(NULL, out), KGW_ERR_INVALID);
}
END_TEST

/* Bound to the user and the key's MAC half, nothing else. */
START_TEST(test_hash)
{
	unsigned char a[KGW_RECOVERY_HASH_LEN], b[KGW_RECOVERY_HASH_LEN];
	struct kgw_key k2 = key1;

	ck_assert_int_eq(kgw_recovery_hash(&key1, "alice", "ABCDEFGHJKMNPQRS",
	    a), KGW_OK);
	ck_assert_int_eq(kgw_recovery_hash(&key1, "alice", "ABCDEFGHJKMNPQRS",
	    b), KGW_OK);
	ck_assert_mem_eq(a, b, sizeof(a));
	ck_assert_int_eq(kgw_recovery_hash(&key1, "bob", "ABCDEFGHJKMNPQRS",
	    b), KGW_OK);
	ck_assert_mem_ne(a, b, sizeof(a));
	ck_assert_int_eq(kgw_recovery_hash(&key1, "alice", "ABCDEFGHJKMNPQRT",
	    b), KGW_OK);
	ck_assert_mem_ne(a, b, sizeof(a));
	k2.bytes[0] ^= 1;	/* the sealing half: not used */
	ck_assert_int_eq(kgw_recovery_hash(&k2, "alice", "ABCDEFGHJKMNPQRS",
	    b), KGW_OK);
	ck_assert_mem_eq(a, b, sizeof(a));
	k2.bytes[KGW_KEY_PART] ^= 1;	/* the MAC half */
	ck_assert_int_eq(kgw_recovery_hash(&k2, "alice", "ABCDEFGHJKMNPQRS",
	    b), KGW_OK);
	ck_assert_mem_ne(a, b, sizeof(a));
	ck_assert_int_eq(kgw_recovery_hash(&key1, "alice", "ABCD", b),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_recovery_hash(NULL, "alice", "ABCDEFGHJKMNPQRS",
	    b), KGW_ERR_INVALID);
}
END_TEST

START_TEST(test_allowed)
{
	static const char text[] = "[zone a]\nbackup_codes = yes\n"
	    "[zone b]\ntemp_codes = no\n";
	struct kgw_conf c;

	ck_assert_int_eq(kgw_conf_parse(&test_log, "t", text, strlen(text), &c),
	    KGW_OK);
	ck_assert(kgw_recovery_allowed(&c.zones, 0, KGW_RECOVERY_BACKUP));
	ck_assert(kgw_recovery_allowed(&c.zones, 0, KGW_RECOVERY_TEMP));
	ck_assert(!kgw_recovery_allowed(&c.zones, 1, KGW_RECOVERY_BACKUP));
	ck_assert(!kgw_recovery_allowed(&c.zones, 1, KGW_RECOVERY_TEMP));
	ck_assert(!kgw_recovery_allowed(&c.zones, KGW_ZONE_NONE,
	    KGW_RECOVERY_TEMP));
	ck_assert(!kgw_recovery_allowed(&c.zones, 2, KGW_RECOVERY_TEMP));
	ck_assert(!kgw_recovery_allowed(&c.zones, 0, KGW_RECOVERY_NONE));
	ck_assert_str_eq(kgw_recovery_name(KGW_RECOVERY_BACKUP), "backup_code");
	ck_assert_str_eq(kgw_recovery_name(KGW_RECOVERY_TEMP), "temp_code");
}
END_TEST

/* ---- the store ---------------------------------------------------------- */

static void
setup(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/kgw-recovery-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	kgw_conf_defaults(&conf);
	(void)snprintf(conf.store, sizeof(conf.store), "%s/store.db", tmpdir);
	logbuf[0] = '\0';
}

static void
teardown(void)
{
	char path[KGW_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		(void)unlink(path);
	}
	(void)closedir(d);
	(void)rmdir(tmpdir);
}

static struct kgw_store *
store_open(int flags)
{
	struct kgw_store *s = NULL;
	int r = kgw_store_open(&test_log, &conf, flags, &s);

	ck_assert_msg(r == KGW_OK, "open: %s; log: %s", kgw_strerror(r), logbuf);
	ck_assert_int_eq(kgw_store_audit_init(s, &key1, "testhost"), KGW_OK);
	return s;
}

static struct kgw_store *
store_with_alice(void)
{
	struct kgw_store *s = store_open(KGW_STORE_CREATE);

	ck_assert_int_eq(kgw_store_user_add(s, "alice", "", OP1), KGW_OK);
	return s;
}

static struct kgw_user_rec
get(struct kgw_store *s, const char *name)
{
	struct kgw_user_rec rec;
	int r = kgw_store_get_user(s, name, &rec);

	ck_assert_msg(r == KGW_OK, "get %s: %s; log: %s", name,
	    kgw_strerror(r), logbuf);
	return rec;
}

static void
hash_fill(unsigned char (*h)[KGW_RECOVERY_HASH_LEN], size_t n, int seed)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < KGW_RECOVERY_HASH_LEN; j++)
			h[i][j] = (unsigned char)(seed + 31 * i + j);
}

static struct kgw_recovery_match
find(struct kgw_store *s, const char *name, const unsigned char *hash)
{
	struct kgw_recovery_match m;

	ck_assert_int_eq(kgw_store_recovery_find(s, name, hash, &m), KGW_OK);
	return m;
}

/* A login's commit with m, as login.c makes it: the record it read. */
static int
use(struct kgw_store *s, const struct kgw_recovery_match *m, int64_t now)
{
	struct kgw_user_rec rec = get(s, "alice");

	return kgw_store_recovery_accept(s, &rec, m, now, &AUDIT);
}

static int
collect(void *arg, const struct kgw_change *c)
{
	char *text = arg;
	size_t used = strlen(text);

	(void)snprintf(text + used, 1024 - used, "%s%s", used > 0 ? "," : "",
	    c->action);
	return 0;
}

static void
check_changes(struct kgw_store *s, const char *want)
{
	char text[1024] = "";

	ck_assert_int_eq(kgw_store_changes(s, "alice", collect, text), KGW_OK);
	ck_assert_str_eq(text, want);
}

START_TEST(test_backup_once)
{
	struct kgw_store *s = store_with_alice();
	unsigned char h[3][KGW_RECOVERY_HASH_LEN];
	struct kgw_recovery_match m;
	int64_t now = (int64_t)time(NULL);

	hash_fill(h, 3, 7);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, h, 3, 0, OP1), KGW_OK);
	ck_assert_uint_eq(get(s, "alice").backup_left, 3);
	m = find(s, "alice", h[1]);
	ck_assert_int_eq(m.kind, KGW_RECOVERY_BACKUP);
	ck_assert(!m.used);
	ck_assert_int_eq(use(s, &m, now), KGW_OK);
	ck_assert_uint_eq(get(s, "alice").backup_left, 2);
	ck_assert(find(s, "alice", h[1]).used);
	ck_assert_int_eq(use(s, &m, now), KGW_ERR_REPLAY);
	/* Another's hash, or one never issued: not found. */
	ck_assert_int_eq(kgw_store_recovery_find(s, "bob", h[0], &m),
	    KGW_ERR_NOT_FOUND);
	hash_fill(h, 1, 99);
	ck_assert_int_eq(kgw_store_recovery_find(s, "alice", h[0], &m),
	    KGW_ERR_NOT_FOUND);
	check_changes(s, "add,backup_codes");
	kgw_store_close(&s);
}
END_TEST

/* A new set replaces the old one, used codes included. */
START_TEST(test_backup_replaced)
{
	struct kgw_store *s = store_with_alice();
	unsigned char old[2][KGW_RECOVERY_HASH_LEN], h[2][KGW_RECOVERY_HASH_LEN];
	struct kgw_recovery_match m;

	hash_fill(old, 2, 1);
	hash_fill(h, 2, 2);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, old, 2, 0, OP1), KGW_OK);
	m = find(s, "alice", old[0]);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, h, 2, 0, OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_recovery_find(s, "alice", old[0], &m),
	    KGW_ERR_NOT_FOUND);
	/* A login that found the old code before: it is gone. */
	m.kind = KGW_RECOVERY_BACKUP;
	memcpy(m.hash, old[0], sizeof(m.hash));
	ck_assert_int_eq(use(s, &m, (int64_t)time(NULL)), KGW_ERR_NO_FACTOR);
	ck_assert_uint_eq(get(s, "alice").backup_left, 2);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_temp)
{
	struct kgw_store *s = store_with_alice();
	unsigned char h[1][KGW_RECOVERY_HASH_LEN];
	struct kgw_recovery_match m;
	int64_t now = (int64_t)time(NULL);

	hash_fill(h, 1, 3);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice", KGW_RECOVERY_TEMP,
	    h, 1, now + 60, OP1), KGW_OK);
	ck_assert_int_eq(get(s, "alice").temp_expires, now + 60);
	m = find(s, "alice", h[0]);
	ck_assert_int_eq(m.kind, KGW_RECOVERY_TEMP);
	ck_assert_int_eq(m.expires, now + 60);
	/* Past its time: refused, and not used. */
	ck_assert_int_eq(use(s, &m, now + 60), KGW_ERR_DENIED);
	ck_assert(!find(s, "alice", h[0]).used);
	ck_assert_int_eq(use(s, &m, now + 59), KGW_OK);
	ck_assert_int_eq(get(s, "alice").temp_expires, 0);
	ck_assert_int_eq(use(s, &m, now), KGW_ERR_REPLAY);
	/* Issued again: a new code, unused. */
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice", KGW_RECOVERY_TEMP,
	    h, 1, now + 120, OP1), KGW_OK);
	ck_assert_int_eq(use(s, &m, now), KGW_OK);
	check_changes(s, "add,temp_code,temp_code");
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_revoke)
{
	struct kgw_store *s = store_with_alice();
	unsigned char h[2][KGW_RECOVERY_HASH_LEN];
	struct kgw_recovery_match m;
	int64_t now = (int64_t)time(NULL);

	ck_assert_int_eq(kgw_store_recovery_revoke(s, "alice",
	    KGW_RECOVERY_BACKUP, OP1), KGW_ERR_NOT_FOUND);
	hash_fill(h, 2, 5);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, h, 1, 0, OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice", KGW_RECOVERY_TEMP,
	    h + 1, 1, now + 60, OP1), KGW_OK);
	m = find(s, "alice", h[1]);
	ck_assert_int_eq(kgw_store_recovery_revoke(s, "alice", KGW_RECOVERY_TEMP,
	    OP1), KGW_OK);
	ck_assert_int_eq(use(s, &m, now), KGW_ERR_NO_FACTOR);
	ck_assert_uint_eq(get(s, "alice").backup_left, 1);
	ck_assert_int_eq(kgw_store_recovery_revoke(s, "alice",
	    KGW_RECOVERY_BACKUP, OP1), KGW_OK);
	ck_assert_uint_eq(get(s, "alice").backup_left, 0);
	check_changes(s, "add,backup_codes,temp_code,revoke:temp_code,"
	    "revoke:backup_codes");
	kgw_store_close(&s);
}
END_TEST

/* A person disabled meanwhile: refused, and the code stays unused. */
START_TEST(test_accept_checks_user)
{
	struct kgw_store *s = store_with_alice();
	unsigned char h[1][KGW_RECOVERY_HASH_LEN];
	struct kgw_user_rec rec;
	struct kgw_recovery_match m;

	hash_fill(h, 1, 9);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, h, 1, 0, OP1), KGW_OK);
	m = find(s, "alice", h[0]);
	rec = get(s, "alice");
	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", true, OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_recovery_accept(s, &rec, &m,
	    (int64_t)time(NULL), &AUDIT), KGW_ERR_DISABLED);
	ck_assert(!find(s, "alice", h[0]).used);
	kgw_store_close(&s);
}
END_TEST

/* Unknown people, bad counts and kinds: refused before the store. */
START_TEST(test_issue_invalid)
{
	struct kgw_store *s = store_with_alice();
	unsigned char h[KGW_BACKUP_CODES_MAX + 1][KGW_RECOVERY_HASH_LEN];
	int64_t now = (int64_t)time(NULL);

	hash_fill(h, KGW_BACKUP_CODES_MAX + 1, 11);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "bob", KGW_RECOVERY_BACKUP,
	    h, 1, 0, OP1), KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "bob", KGW_RECOVERY_TEMP,
	    h, 1, now + 60, OP1), KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, h, 0, 0, OP1), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, h, KGW_BACKUP_CODES_MAX + 1, 0, OP1),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, h, KGW_BACKUP_CODES_MAX, 0, OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice", KGW_RECOVERY_TEMP,
	    h, 2, now + 60, OP1), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice", KGW_RECOVERY_TEMP,
	    h, 1, 0, OP1), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice", KGW_RECOVERY_NONE,
	    h, 1, 0, OP1), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, h, 1, 0, "bad\nop"), KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_store_recovery_revoke(s, "../x",
	    KGW_RECOVERY_BACKUP, OP1), KGW_ERR_INVALID);
	kgw_store_close(&s);
}
END_TEST

/* The codes go with their person. */
START_TEST(test_delete_user)
{
	struct kgw_store *s = store_with_alice();
	unsigned char h[1][KGW_RECOVERY_HASH_LEN];
	struct kgw_recovery_match m;

	hash_fill(h, 1, 13);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, h, 1, 0, OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_user_delete(s, "alice", OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "alice", "", OP1), KGW_OK);
	ck_assert_uint_eq(get(s, "alice").backup_left, 0);
	ck_assert_int_eq(kgw_store_recovery_find(s, "alice", h[0], &m),
	    KGW_ERR_NOT_FOUND);
	kgw_store_close(&s);
}
END_TEST

/* Processes racing with one code: exactly one uses it. */
START_TEST(test_race)
{
	struct kgw_store *s = store_with_alice();
	unsigned char h[1][KGW_RECOVERY_HASH_LEN];
	struct kgw_recovery_match m;
	pid_t pids[RACERS];
	int i, wins = 0, status;

	hash_fill(h, 1, 17);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, h, 1, 0, OP1), KGW_OK);
	m = find(s, "alice", h[0]);
	kgw_store_close(&s);
	for (i = 0; i < RACERS; i++) {
		ck_assert_int_ne(pids[i] = fork(), -1);
		if (pids[i] == 0) {
			struct kgw_store *c = NULL;
			struct kgw_user_rec rec;
			int r;

			if (kgw_store_open(&test_log, &conf, 0, &c) != KGW_OK ||
			    kgw_store_audit_init(c, &key1, "racer") != KGW_OK ||
			    kgw_store_get_user(c, "alice", &rec) != KGW_OK)
				_exit(2);
			r = kgw_store_recovery_accept(c, &rec, &m,
			    (int64_t)time(NULL), &AUDIT);
			kgw_store_close(&c);
			_exit(r == KGW_OK ? 0 : r == KGW_ERR_REPLAY ? 1 : 3);
		}
	}
	for (i = 0; i < RACERS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
		wins += WEXITSTATUS(status) == 0;
	}
	ck_assert_int_eq(wins, 1);
}
END_TEST

/* ---- a TOTP pending, confirmed, resynchronised -------------------------- */

static void
sealed_fill(unsigned char *buf, size_t len, unsigned char seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed + i * 7);
}

static void
pending_set(struct kgw_store *s, int seed, struct kgw_totp_pending *p)
{
	unsigned char sealed[45];

	sealed_fill(sealed, sizeof(sealed), (unsigned char)seed);
	ck_assert_int_eq(kgw_store_totp_pending_set(s, "alice", sealed,
	    sizeof(sealed), KGW_TOTP_SHA256, 8, OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_totp_pending_get(s, "alice", p), KGW_OK);
	ck_assert_mem_eq(p->sealed, sealed, sizeof(sealed));
}

static void
enrol_totp(struct kgw_store *s, int seed)
{
	unsigned char sealed[45];

	sealed_fill(sealed, sizeof(sealed), (unsigned char)seed);
	ck_assert_int_eq(kgw_store_set_totp(s, "alice", sealed, sizeof(sealed),
	    KGW_TOTP_SHA1, 6, OP1), KGW_OK);
}

START_TEST(test_pending_confirmed)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_totp_pending p;
	struct kgw_user_rec rec;

	enrol_totp(s, 1);
	pending_set(s, 2, &p);
	rec = get(s, "alice");
	ck_assert(rec.totp_pending);
	ck_assert_int_eq(rec.totp_alg, KGW_TOTP_SHA1);	/* the old one */
	ck_assert_int_eq(kgw_store_totp_confirm(s, "alice", &p, 1234, -2, OP1),
	    KGW_OK);
	rec = get(s, "alice");
	ck_assert(!rec.totp_pending);
	ck_assert_int_eq(rec.totp_alg, KGW_TOTP_SHA256);
	ck_assert_uint_eq(rec.totp_digits, 8);
	ck_assert_mem_eq(rec.totp_sealed, p.sealed, p.sealed_len);
	ck_assert_int_eq(rec.totp_last_step, 1234);
	ck_assert_int_eq(rec.totp_drift, -2);
	ck_assert_int_eq(rec.totp_drift_base, 0);
	ck_assert_int_eq(kgw_store_totp_pending_get(s, "alice", &p),
	    KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_totp_confirm(s, "alice", &p, 1234, 0, OP1),
	    KGW_ERR_INVALID);	/* nothing there: p was cleared */
	check_changes(s, "add,totp,totp_pending,totp");
	kgw_store_close(&s);
}
END_TEST

/* The pending one changed, or any change of the active one: stale. */
START_TEST(test_pending_stale)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_totp_pending a, b;

	pending_set(s, 3, &a);
	pending_set(s, 4, &b);
	ck_assert_int_eq(kgw_store_totp_confirm(s, "alice", &a, 1, 0, OP1),
	    KGW_ERR_STALE);
	ck_assert(get(s, "alice").totp_pending);
	enrol_totp(s, 5);	/* enrolled at once: drops the pending one */
	ck_assert(!get(s, "alice").totp_pending);
	ck_assert_int_eq(kgw_store_totp_confirm(s, "alice", &b, 1, 0, OP1),
	    KGW_ERR_STALE);
	pending_set(s, 6, &a);
	ck_assert_int_eq(kgw_store_revoke(s, "alice", KGW_FACTOR_TOTP, OP1),
	    KGW_OK);
	ck_assert(!get(s, "alice").totp_pending);
	ck_assert_int_eq(kgw_store_totp_confirm(s, "alice", &a, 1,
	    KGW_TOTP_DRIFT_MAX + 1, OP1), KGW_ERR_INVALID);
	kgw_store_close(&s);
}
END_TEST

/* A login records the offset it learned (login.c sets seen's). */
START_TEST(test_accept_drift)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec rec;

	enrol_totp(s, 7);
	rec = get(s, "alice");
	ck_assert_int_eq(rec.totp_drift, 0);
	rec.totp_drift = 2;
	ck_assert_int_eq(kgw_store_totp_accept(s, &rec, 100, (int64_t)time(NULL),
	    &AUDIT), KGW_OK);
	ck_assert_int_eq(get(s, "alice").totp_drift, 2);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_resync)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec rec;

	enrol_totp(s, 8);
	rec = get(s, "alice");
	ck_assert_int_eq(kgw_store_totp_accept(s, &rec, 500, (int64_t)time(NULL),
	    &AUDIT), KGW_OK);
	rec = get(s, "alice");
	/* A used step is never given back. */
	ck_assert_int_eq(kgw_store_totp_resync(s, &rec, 400, 150, OP1), KGW_OK);
	rec = get(s, "alice");
	ck_assert_int_eq(rec.totp_last_step, 500);
	ck_assert_int_eq(rec.totp_drift, 150);
	ck_assert_int_eq(rec.totp_drift_base, 150);
	ck_assert_int_eq(kgw_store_totp_resync(s, &rec, 600, -2880, OP1),
	    KGW_OK);
	ck_assert_int_eq(get(s, "alice").totp_last_step, 600);
	ck_assert_int_eq(kgw_store_totp_resync(s, &rec, 600, -2881, OP1),
	    KGW_ERR_INVALID);
	/* Re-enrolled meanwhile: the codes were of the old token. */
	enrol_totp(s, 9);
	ck_assert_int_eq(kgw_store_totp_resync(s, &rec, 700, 1, OP1),
	    KGW_ERR_STALE);
	ck_assert_int_eq(get(s, "alice").totp_drift, 0);
	check_changes(s, "add,totp,resync,resync,totp");
	kgw_store_close(&s);
}
END_TEST

/* Every change above went into the audit trail, which verifies. */
START_TEST(test_audit_trail)
{
	struct kgw_store *s = store_with_alice();
	unsigned char h[1][KGW_RECOVERY_HASH_LEN];
	struct kgw_totp_pending p;
	struct kgw_audit_verdict v;
	struct kgw_recovery_match m;

	hash_fill(h, 1, 19);
	ck_assert_int_eq(kgw_store_recovery_issue(s, "alice",
	    KGW_RECOVERY_BACKUP, h, 1, 0, OP1), KGW_OK);
	m = find(s, "alice", h[0]);
	ck_assert_int_eq(use(s, &m, (int64_t)time(NULL)), KGW_OK);
	pending_set(s, 1, &p);
	ck_assert_int_eq(kgw_store_totp_confirm(s, "alice", &p, 1, 0, OP1),
	    KGW_OK);
	ck_assert_int_eq(kgw_audit_verify(s, &key1, &v), KGW_OK);
	ck_assert_msg(v.intact, "%s", v.why);
	/* add, backup_codes, the login, totp_pending, totp */
	ck_assert_int_eq(v.records, 5);
	kgw_store_close(&s);
}
END_TEST

static Suite *
recovery_suite(void)
{
	Suite *s = suite_create("recovery");
	TCase *tc;

	tc = tcase_create("codes");
	tcase_add_test(tc, test_generate);
	tcase_add_loop_test(tc, test_normalize, 0,
	    (int)(sizeof(norm_cases) / sizeof(norm_cases[0])));
	tcase_add_test(tc, test_normalize_long);
	tcase_add_test(tc, test_hash);
	tcase_add_test(tc, test_allowed);
	suite_add_tcase(s, tc);

	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_backup_once);
	tcase_add_test(tc, test_backup_replaced);
	tcase_add_test(tc, test_temp);
	tcase_add_test(tc, test_revoke);
	tcase_add_test(tc, test_accept_checks_user);
	tcase_add_test(tc, test_issue_invalid);
	tcase_add_test(tc, test_delete_user);
	tcase_add_test(tc, test_race);
	suite_add_tcase(s, tc);

	tc = tcase_create("totp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pending_confirmed);
	tcase_add_test(tc, test_pending_stale);
	tcase_add_test(tc, test_accept_drift);
	tcase_add_test(tc, test_resync);
	tcase_add_test(tc, test_audit_trail);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(recovery_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
