/*
 * Unit tests for the SQLite credential store (kgw_store.h), each on a
 * private store in a fresh temporary directory. Raw SQLite access plays the
 * part of an older release, another writer, or a damaged file.
 */
#include <config.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kgw_conf.h"
#include "kgw_err.h"
#include "kgw_store.h"

#define OP1 "helpdesk-tanaka"
#define OP2 "helpdesk-suzuki"

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

/* The trail's key, and the record each login commit here writes. */
static const struct kgw_key audit_key = { { 1, 2, 3 } };
static const struct kgw_audit_rec AUDIT = { .field = { "auth" } };

/* What v1 of the schema created: the migration test starts from it. */
static const char v1_schema[] =
	"CREATE TABLE users ("
	" name TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 32),"
	" disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
	" pwhash TEXT CHECK (pwhash IS NULL OR length(pwhash) BETWEEN 1 AND 255),"
	" totp_secret BLOB CHECK (totp_secret IS NULL OR"
	"  length(totp_secret) BETWEEN 30 AND 93),"
	" totp_alg INTEGER CHECK (totp_alg IS NULL OR totp_alg BETWEEN 0 AND 2),"
	" totp_digits INTEGER CHECK (totp_digits IS NULL OR totp_digits IN (6, 8)),"
	" totp_last_step INTEGER NOT NULL DEFAULT -1 CHECK (totp_last_step >= -1),"
	" fail_count INTEGER NOT NULL DEFAULT 0 CHECK (fail_count >= 0),"
	" locked_until INTEGER NOT NULL DEFAULT 0 CHECK (locked_until >= 0),"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" CHECK ((totp_secret IS NULL) = (totp_alg IS NULL) AND"
	"  (totp_alg IS NULL) = (totp_digits IS NULL))"
	") STRICT;";

static void
path_in_tmp(char *out, size_t outlen, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", tmpdir, name);

	ck_assert(n > 0 && (size_t)n < outlen);
}

static void
setup(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/kgw-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(chmod(tmpdir, 0700), 0);
	kgw_conf_defaults(&conf);
	path_in_tmp(conf.store, sizeof(conf.store), "store.db");
	logbuf[0] = '\0';
}

static void
teardown(void)
{
	char path[KGW_PATH_MAX];
	struct dirent *de;
	DIR *d;

	(void)chmod(tmpdir, 0700);
	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path_in_tmp(path, sizeof(path), de->d_name);
		(void)unlink(path);
	}
	(void)closedir(d);
	(void)rmdir(tmpdir);
}

static struct kgw_store *
store_open(int flags)
{
	struct kgw_store *s = NULL;
	int r;

	r = kgw_store_open(&test_log, &conf, flags, &s);
	ck_assert_msg(r == KGW_OK, "open: %s; log: %s", kgw_strerror(r), logbuf);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(kgw_store_audit_init(s, &audit_key, "testhost"),
	    KGW_OK);
	return s;
}

/* A new store holding alice, with no factor enrolled. */
static struct kgw_store *
store_with_alice(void)
{
	struct kgw_store *s = store_open(KGW_STORE_CREATE);

	ck_assert_int_eq(kgw_store_user_add(s, "alice", "", OP1), KGW_OK);
	return s;
}

static int
open_fails(int flags)
{
	struct kgw_store *s = NULL;
	int r = kgw_store_open(&test_log, &conf, flags, &s);

	ck_assert_int_ne(r, KGW_OK);
	ck_assert_ptr_null(s);
	return r;
}

static sqlite3 *
raw_open(void)
{
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open_v2(conf.store, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	return db;
}

static void
raw_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, err ? err : "?");
	sqlite3_free(err);
}

/* The first column of the first row, as text (empty when no row). */
static void
raw_query(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	out[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (t = sqlite3_column_text(st, 0)) != NULL)
		(void)snprintf(out, outlen, "%s", (const char *)t);
	sqlite3_finalize(st);
}

static void
raw_close(sqlite3 *db)
{
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	ck_assert_int_eq(chmod(conf.store, 0600), 0);
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

struct changes_seen {
	char text[1024];	/* "action@operator,..." */
	int64_t min_time;
};

static int
collect_change(void *arg, const struct kgw_change *c)
{
	struct changes_seen *seen = arg;
	size_t used = strlen(seen->text);

	(void)snprintf(seen->text + used, sizeof(seen->text) - used, "%s%s@%s",
	    used > 0 ? "," : "", c->action, c->operator_name);
	if (seen->min_time == 0 || c->time < seen->min_time)
		seen->min_time = c->time;
	return 0;
}

/* The changes recorded for name, oldest first, as "action@operator,...". */
static void
check_changes(struct kgw_store *s, const char *name, const char *want)
{
	struct changes_seen seen;

	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(kgw_store_changes(s, name, collect_change, &seen),
	    KGW_OK);
	ck_assert_str_eq(seen.text, want);
	if (seen.text[0] != '\0')
		ck_assert(seen.min_time > 1700000000 &&
		    seen.min_time <= (int64_t)time(NULL));
}

static void
sealed_fill(unsigned char *buf, size_t len, unsigned char seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed + i * 7);
}

/* A login's final commit, as login.c makes it: with the record it read. */
static int
accept_now(struct kgw_store *s, const char *name, int64_t step)
{
	struct kgw_user_rec rec;
	int r;

	if ((r = kgw_store_get_user(s, name, &rec)) != KGW_OK)
		return r;
	return kgw_store_totp_accept(s, &rec, step, (int64_t)time(NULL), &AUDIT);
}

/* Gives a user a (fake) sealed TOTP secret, as `totp` would. */
static void
enrol_totp(struct kgw_store *s, const char *name, int seed)
{
	unsigned char sealed[45];

	sealed_fill(sealed, sizeof(sealed), seed);
	ck_assert_int_eq(kgw_store_set_totp(s, name, sealed, sizeof(sealed),
	    KGW_TOTP_SHA1, 6, OP1), KGW_OK);
}

START_TEST(test_create_reopen)
{
	struct kgw_store *s = store_with_alice();
	struct stat sb;
	char text[64];
	sqlite3 *db;

	kgw_store_close(&s);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(lstat(conf.store, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
	s = store_open(0);
	ck_assert_str_eq(get(s, "alice").name, "alice");
	kgw_store_close(&s);
	db = raw_open();
	raw_query(db, "PRAGMA user_version", text, sizeof(text));
	ck_assert_str_eq(text, "8");
	raw_query(db, "PRAGMA journal_mode", text, sizeof(text));
	ck_assert_str_eq(text, "wal");
	raw_close(db);
	kgw_store_close(&s);	/* NULL is fine */
}
END_TEST

/* A restrictive umask must not leave a store its owner cannot write. */
START_TEST(test_create_under_umask)
{
	struct kgw_store *s;
	struct stat sb;
	mode_t old = umask(0277);

	s = store_with_alice();
	(void)umask(old);
	kgw_store_close(&s);
	ck_assert_int_eq(lstat(conf.store, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
}
END_TEST

START_TEST(test_open_missing)
{
	struct stat sb;

	ck_assert_int_eq(open_fails(0), KGW_ERR_STORE);
	ck_assert_ptr_nonnull(strstr(logbuf, "does not exist"));
	ck_assert_int_eq(lstat(conf.store, &sb), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* Only the tool's create may initialise an empty file as a store. */
START_TEST(test_open_empty)
{
	struct kgw_store *s;
	int fd;

	fd = open(conf.store, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	(void)close(fd);
	ck_assert_int_eq(open_fails(0), KGW_ERR_STORE);
	ck_assert_ptr_nonnull(strstr(logbuf, "not initialised"));
	s = store_open(KGW_STORE_CREATE);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_add_get)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec rec = get(s, "alice");
	int64_t now = (int64_t)time(NULL);

	ck_assert_str_eq(rec.name, "alice");
	ck_assert(!rec.disabled);
	ck_assert_str_eq(rec.pwhash, "");
	ck_assert_uint_eq(rec.totp_sealed_len, 0);
	ck_assert_int_eq(rec.totp_last_step, -1);
	ck_assert_uint_eq(rec.fail_count, 0);
	ck_assert_int_eq(rec.locked_until, 0);
	ck_assert(rec.created > now - 60 && rec.created <= now);
	ck_assert_int_eq(rec.updated, rec.created);
	ck_assert_int_eq(kgw_store_user_add(s, "alice", "", OP2), KGW_ERR_EXISTS);
	ck_assert_int_eq(kgw_store_get_user(s, "bob", &rec), KGW_ERR_NOT_FOUND);
	check_changes(s, "alice", "add@" OP1);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_set_password)
{
	struct kgw_store *s = store_with_alice();
	char hash[KGW_HASH_MAX];

	ck_assert_int_eq(kgw_password_hash("correct horse", hash, sizeof(hash)),
	    KGW_OK);
	ck_assert_int_eq(kgw_store_set_password(s, "alice", hash, OP2), KGW_OK);
	ck_assert_str_eq(get(s, "alice").pwhash, hash);
	ck_assert_int_eq(kgw_password_verify("correct horse",
	    get(s, "alice").pwhash), KGW_OK);
	check_changes(s, "alice", "add@" OP1 ",passwd@" OP2);
	ck_assert_ptr_null(strstr(logbuf, hash));
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_set_totp)
{
	struct kgw_store *s = store_with_alice();
	unsigned char sealed[KGW_TOTP_SECRET_MIN + KGW_SEAL_OVERHEAD];
	struct kgw_user_rec rec;
	unsigned count;
	bool locked;

	sealed_fill(sealed, sizeof(sealed), 3);
	ck_assert_int_eq(kgw_store_fail_record(s, "alice", 1000, 5, 60, &count,
	    &locked, &AUDIT), KGW_OK);
	ck_assert_int_eq(kgw_store_set_totp(s, "alice", sealed, sizeof(sealed),
	    KGW_TOTP_SHA256, 8, OP1), KGW_OK);
	ck_assert_int_eq(accept_now(s, "alice", 500), KGW_OK);
	ck_assert_int_eq(get(s, "alice").totp_last_step, 500);
	/* A new secret forgets the used step but not the failures. */
	ck_assert_int_eq(kgw_store_fail_record(s, "alice", 1000, 5, 60, &count,
	    &locked, &AUDIT), KGW_OK);
	sealed_fill(sealed, sizeof(sealed), 9);
	ck_assert_int_eq(kgw_store_set_totp(s, "alice", sealed, sizeof(sealed),
	    KGW_TOTP_SHA512, 6, OP2), KGW_OK);
	rec = get(s, "alice");
	ck_assert_uint_eq(rec.totp_sealed_len, sizeof(sealed));
	ck_assert_mem_eq(rec.totp_sealed, sealed, sizeof(sealed));
	ck_assert_int_eq(rec.totp_alg, KGW_TOTP_SHA512);
	ck_assert_uint_eq(rec.totp_digits, 6);
	ck_assert_int_eq(rec.totp_last_step, -1);
	ck_assert_uint_eq(rec.fail_count, 1);
	check_changes(s, "alice", "add@" OP1 ",totp@" OP1 ",totp@" OP2);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_revoke)
{
	struct kgw_store *s = store_with_alice();
	unsigned char sealed[40];
	char hash[KGW_HASH_MAX];
	struct kgw_user_rec rec;

	sealed_fill(sealed, sizeof(sealed), 1);
	ck_assert_int_eq(kgw_password_hash("pw", hash, sizeof(hash)), KGW_OK);
	ck_assert_int_eq(kgw_store_set_password(s, "alice", hash, OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_set_totp(s, "alice", sealed, sizeof(sealed),
	    KGW_TOTP_SHA1, 6, OP1), KGW_OK);
	ck_assert_int_eq(accept_now(s, "alice", 77), KGW_OK);
	ck_assert_int_eq(kgw_store_revoke(s, "alice", KGW_FACTOR_PASSWORD, OP2),
	    KGW_OK);
	rec = get(s, "alice");
	ck_assert_str_eq(rec.pwhash, "");
	ck_assert_uint_eq(rec.totp_sealed_len, sizeof(sealed));
	ck_assert_int_eq(kgw_store_revoke(s, "alice", KGW_FACTOR_TOTP, OP2),
	    KGW_OK);
	rec = get(s, "alice");
	ck_assert_uint_eq(rec.totp_sealed_len, 0);
	ck_assert_uint_eq(rec.totp_digits, 0);
	ck_assert_int_eq(rec.totp_last_step, -1);
	check_changes(s, "alice", "add@" OP1 ",passwd@" OP1 ",totp@" OP1
	    ",revoke:password@" OP2 ",revoke:totp@" OP2);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_disable_enable)
{
	struct kgw_store *s = store_with_alice();

	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", true, OP2), KGW_OK);
	ck_assert(get(s, "alice").disabled);
	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", false, OP1), KGW_OK);
	ck_assert(!get(s, "alice").disabled);
	check_changes(s, "alice", "add@" OP1 ",disable@" OP2 ",enable@" OP1);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_unlock)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec rec;
	unsigned count;
	bool locked;

	ck_assert_int_eq(kgw_store_fail_record(s, "alice", 1000, 1, 0, &count,
	    &locked, &AUDIT), KGW_OK);
	ck_assert(locked);
	ck_assert_int_eq(kgw_store_unlock(s, "alice", OP2), KGW_OK);
	rec = get(s, "alice");
	ck_assert_uint_eq(rec.fail_count, 0);
	ck_assert_int_eq(rec.locked_until, 0);
	ck_assert(!kgw_user_locked(&rec, 1001));
	check_changes(s, "alice", "add@" OP1 ",unlock@" OP2);
	kgw_store_close(&s);
}
END_TEST

/* A deleted user's history stays readable, and ends with the delete. */
START_TEST(test_delete)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec rec;

	ck_assert_int_eq(kgw_store_user_delete(s, "alice", OP2), KGW_OK);
	ck_assert_int_eq(kgw_store_get_user(s, "alice", &rec),
	    KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_user_delete(s, "alice", OP2),
	    KGW_ERR_NOT_FOUND);
	check_changes(s, "alice", "add@" OP1 ",delete@" OP2);
	ck_assert_int_eq(kgw_store_user_add(s, "alice", "", OP1), KGW_OK);
	check_changes(s, "alice", "add@" OP1 ",delete@" OP2 ",add@" OP1);
	kgw_store_close(&s);
}
END_TEST

/* A change to a missing user fails whole: no row, no change record. */
START_TEST(test_missing_user_changes_nothing)
{
	struct kgw_store *s = store_with_alice();
	unsigned char sealed[40];
	char hash[KGW_HASH_MAX];

	sealed_fill(sealed, sizeof(sealed), 1);
	ck_assert_int_eq(kgw_password_hash("pw", hash, sizeof(hash)), KGW_OK);
	ck_assert_int_eq(kgw_store_set_password(s, "ghost", hash, OP1),
	    KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_set_totp(s, "ghost", sealed, sizeof(sealed),
	    KGW_TOTP_SHA1, 6, OP1), KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_revoke(s, "ghost", KGW_FACTOR_TOTP, OP1),
	    KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_set_disabled(s, "ghost", true, OP1),
	    KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_unlock(s, "ghost", OP1), KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_user_delete(s, "ghost", OP1),
	    KGW_ERR_NOT_FOUND);
	check_changes(s, "ghost", "");
	check_changes(s, "alice", "add@" OP1);
	/* The store is still usable: no transaction was left open. */
	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", true, OP1), KGW_OK);
	kgw_store_close(&s);
}
END_TEST

static int
list_names(void *arg, const struct kgw_user_rec *rec)
{
	char *names = arg;
	size_t used = strlen(names);

	(void)snprintf(names + used, 256 - used, "%s%s", used ? "," : "",
	    rec->name);
	return strcmp(rec->name, "stop") == 0 ? 42 : 0;
}

START_TEST(test_list)
{
	struct kgw_store *s = store_open(KGW_STORE_CREATE);
	char names[256] = "";

	ck_assert_int_eq(kgw_store_list(s, list_names, names), KGW_OK);
	ck_assert_str_eq(names, "");
	ck_assert_int_eq(kgw_store_user_add(s, "carol", "", OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "alice", "", OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "bob", "", OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_list(s, list_names, names), KGW_OK);
	ck_assert_str_eq(names, "alice,bob,carol");
	/* A non-zero callback result stops the walk and is returned. */
	ck_assert_int_eq(kgw_store_user_add(s, "stop", "", OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "zed", "", OP1), KGW_OK);
	names[0] = '\0';
	ck_assert_int_eq(kgw_store_list(s, list_names, names), 42);
	ck_assert_str_eq(names, "alice,bob,carol,stop");
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_totp_accept)
{
	struct kgw_store *s = store_with_alice();
	unsigned count;
	bool locked;

	enrol_totp(s, "alice", 1);
	ck_assert_int_eq(accept_now(s, "alice", 0), KGW_OK);
	ck_assert_int_eq(accept_now(s, "alice", 0), KGW_ERR_REPLAY);
	ck_assert_int_eq(accept_now(s, "alice", 100), KGW_OK);
	ck_assert_int_eq(accept_now(s, "alice", 100),
	    KGW_ERR_REPLAY);
	ck_assert_int_eq(accept_now(s, "alice", 99), KGW_ERR_REPLAY);
	ck_assert_int_eq(get(s, "alice").totp_last_step, 100);
	ck_assert_int_eq(kgw_store_fail_record(s, "alice", 1000, 5, 60, &count,
	    &locked, &AUDIT), KGW_OK);
	ck_assert_int_eq(accept_now(s, "alice", 101), KGW_OK);
	ck_assert_int_eq(get(s, "alice").totp_last_step, 101);
	ck_assert_uint_eq(get(s, "alice").fail_count, 0);
	ck_assert_int_eq(accept_now(s, "bob", 200),
	    KGW_ERR_NOT_FOUND);
	/* Login state is not a helpdesk change. */
	check_changes(s, "alice", "add@" OP1 ",totp@" OP1);
	kgw_store_close(&s);
}
END_TEST

/* Two handles are two connections, as two logins in two processes. */
/*
 * The final commit re-checks what the login saw at its start: a session
 * that began before a lock, a disable or a re-enrolment must not succeed,
 * and must not clear the lock (the race a parallel guesser would use).
 */
START_TEST(test_totp_accept_rechecks)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec seen;
	char hash[KGW_HASH_MAX];
	int64_t now = (int64_t)time(NULL);
	unsigned count;
	bool locked;

	enrol_totp(s, "alice", 1);
	seen = get(s, "alice");
	/* Locked by other sessions meanwhile. */
	ck_assert_int_eq(kgw_store_fail_record(s, "alice", now, 1, 600, &count,
	    &locked, &AUDIT), KGW_OK);
	ck_assert(locked);
	ck_assert_int_eq(kgw_store_totp_accept(s, &seen, 10, now, &AUDIT),
	    KGW_ERR_LOCKED);
	ck_assert_int_eq(get(s, "alice").locked_until, now + 600);
	ck_assert_uint_eq(get(s, "alice").fail_count, 1);
	/* An expired lock no longer stands in the way. */
	ck_assert_int_eq(kgw_store_totp_accept(s, &seen, 10, now + 601, &AUDIT), KGW_OK);
	ck_assert_int_eq(get(s, "alice").locked_until, 0);
	/* Disabled meanwhile. */
	seen = get(s, "alice");
	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", true, OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_totp_accept(s, &seen, 11, now, &AUDIT),
	    KGW_ERR_DISABLED);
	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", false, OP1), KGW_OK);
	/* Re-enrolled meanwhile: the old secret's code no longer counts. */
	seen = get(s, "alice");
	enrol_totp(s, "alice", 2);
	ck_assert_int_eq(kgw_store_totp_accept(s, &seen, 12, now, &AUDIT),
	    KGW_ERR_NO_FACTOR);
	/* Moved to another zone meanwhile (a personnel transfer). */
	seen = get(s, "alice");
	ck_assert_int_eq(kgw_store_set_zones(s, "alice", "internet", OP1),
	    KGW_OK);
	ck_assert_int_eq(kgw_store_totp_accept(s, &seen, 12, now, &AUDIT),
	    KGW_ERR_ZONE);
	ck_assert_int_eq(get(s, "alice").totp_last_step, seen.totp_last_step);
	/* The password reset meanwhile (the helpdesk acting on a theft). */
	seen = get(s, "alice");
	ck_assert_int_eq(kgw_password_hash("new password", hash,
	    sizeof(hash)), KGW_OK);
	ck_assert_int_eq(kgw_store_set_password(s, "alice", hash, OP1), KGW_OK);
	ck_assert_int_eq(kgw_store_totp_accept(s, &seen, 12, now, &AUDIT),
	    KGW_ERR_STALE);
	ck_assert_int_eq(get(s, "alice").totp_last_step, seen.totp_last_step);
	/* Revoked meanwhile. */
	seen = get(s, "alice");
	ck_assert_int_eq(kgw_store_revoke(s, "alice", KGW_FACTOR_TOTP, OP1),
	    KGW_OK);
	ck_assert_int_eq(kgw_store_totp_accept(s, &seen, 13, now, &AUDIT),
	    KGW_ERR_NO_FACTOR);
	ck_assert_int_eq(get(s, "alice").totp_last_step, -1);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_totp_accept_two_handles)
{
	struct kgw_store *a = store_with_alice();
	struct kgw_store *b;

	enrol_totp(a, "alice", 1);
	b = store_open(0);

	ck_assert_int_eq(accept_now(a, "alice", 7), KGW_OK);
	ck_assert_int_eq(accept_now(b, "alice", 7), KGW_ERR_REPLAY);
	ck_assert_int_eq(accept_now(b, "alice", 8), KGW_OK);
	ck_assert_int_eq(accept_now(a, "alice", 8), KGW_ERR_REPLAY);
	kgw_store_close(&a);
	kgw_store_close(&b);
}
END_TEST

#define RACERS 8

/* Runs fn in RACERS processes at once; returns how many exited 0. */
static int
race(int (*fn)(struct kgw_store *s))
{
	pid_t pids[RACERS];
	int i, status, wins = 0;

	for (i = 0; i < RACERS; i++) {
		ck_assert_int_ne(pids[i] = fork(), -1);
		if (pids[i] == 0) {
			struct kgw_store *s = NULL;
			int rc = 3;

			if (kgw_store_open(NULL, &conf, 0, &s) == KGW_OK &&
			    kgw_store_audit_init(s, &audit_key, "racer") ==
			    KGW_OK)
				rc = fn(s);
			kgw_store_close(&s);
			_exit(rc);
		}
	}
	for (i = 0; i < RACERS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status));
		ck_assert_msg(WEXITSTATUS(status) <= 1, "racer exit %d",
		    WEXITSTATUS(status));
		wins += WEXITSTATUS(status) == 0;
	}
	return wins;
}

static int
race_accept(struct kgw_store *s)
{
	int r = accept_now(s, "alice", 42);

	return r == KGW_OK ? 0 : r == KGW_ERR_REPLAY ? 1 : 2;
}

static int
race_fail(struct kgw_store *s)
{
	unsigned count;
	bool locked;

	return kgw_store_fail_record(s, "alice", 1000, 100, 60, &count,
	    &locked, &AUDIT) == KGW_OK ? 0 : 2;
}

/* A connection must not cross fork(): racers open their own. */
START_TEST(test_race_processes)
{
	struct kgw_store *s = store_with_alice();

	enrol_totp(s, "alice", 1);
	kgw_store_close(&s);
	ck_assert_int_eq(race(race_accept), 1);
	ck_assert_int_eq(race(race_fail), RACERS);
	s = store_open(0);
	ck_assert_int_eq(get(s, "alice").totp_last_step, 42);
	ck_assert_uint_eq(get(s, "alice").fail_count, RACERS);
	kgw_store_close(&s);
}
END_TEST

static void
fail_once(struct kgw_store *s, int64_t now, unsigned attempts,
    unsigned lock_seconds, unsigned want_count, bool want_locked)
{
	struct kgw_user_rec rec;
	unsigned count = 12345;
	bool locked = !want_locked;

	ck_assert_int_eq(kgw_store_fail_record(s, "alice", now, attempts,
	    lock_seconds, &count, &locked, &AUDIT), KGW_OK);
	ck_assert_uint_eq(count, want_count);
	ck_assert_int_eq(locked, want_locked);
	rec = get(s, "alice");
	ck_assert_uint_eq(rec.fail_count, want_count);
	ck_assert_int_eq(kgw_user_locked(&rec, now), want_locked);
}

START_TEST(test_fail_timed_lock)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec rec;
	unsigned count;
	bool locked;

	fail_once(s, 1000, 3, 60, 1, false);
	fail_once(s, 1000, 3, 60, 2, false);
	fail_once(s, 1001, 3, 60, 3, true);
	ck_assert_int_eq(get(s, "alice").locked_until, 1061);
	/* Failures while locked count, but do not extend the lock. */
	fail_once(s, 1030, 3, 60, 4, true);
	rec = get(s, "alice");
	ck_assert_int_eq(rec.locked_until, 1061);
	ck_assert(kgw_user_locked(&rec, 1060));
	/* Expired: the count restarts and the lock clears. */
	fail_once(s, 1061, 3, 60, 1, false);
	ck_assert_int_eq(get(s, "alice").locked_until, 0);
	ck_assert_int_eq(kgw_store_fail_record(s, "bob", 1000, 3, 60, &count,
	    &locked, &AUDIT), KGW_ERR_NOT_FOUND);
	kgw_store_close(&s);
}
END_TEST

/* With one attempt allowed, the failure that restarts the count relocks. */
START_TEST(test_fail_relock_after_expiry)
{
	struct kgw_store *s = store_with_alice();

	fail_once(s, 1000, 1, 10, 1, true);
	ck_assert_int_eq(get(s, "alice").locked_until, 1010);
	fail_once(s, 1010, 1, 10, 1, true);
	ck_assert_int_eq(get(s, "alice").locked_until, 1020);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_fail_lock_forever)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec rec;

	fail_once(s, 1000, 2, 0, 1, false);
	fail_once(s, 1000, 2, 0, 2, true);
	rec = get(s, "alice");
	ck_assert_int_eq(rec.locked_until, KGW_LOCK_FOREVER);
	ck_assert(kgw_user_locked(&rec, INT64_MAX - 1));
	fail_once(s, 2000000000, 2, 0, 3, true);
	ck_assert_int_eq(kgw_store_unlock(s, "alice", OP1), KGW_OK);
	rec = get(s, "alice");
	ck_assert_uint_eq(rec.fail_count, 0);
	ck_assert(!kgw_user_locked(&rec, 1000));
	fail_once(s, 1000, 2, 0, 1, false);
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_migrate_v1)
{
	struct kgw_store *s;
	struct kgw_user_rec rec;
	char text[64];
	sqlite3 *db = raw_open();

	raw_exec(db, v1_schema);
	raw_exec(db, "PRAGMA user_version = 1");
	raw_exec(db, "INSERT INTO users (name, pwhash, totp_secret, totp_alg,"
	    " totp_digits, totp_last_step, fail_count, created, updated)"
	    " VALUES ('alice', '$y$j9T$salt$hash', zeroblob(45), 1, 8, 1234,"
	    " 2, 1700000000, 1700000001)");
	raw_close(db);
	s = store_open(0);
	rec = get(s, "alice");
	ck_assert_str_eq(rec.pwhash, "$y$j9T$salt$hash");
	ck_assert_uint_eq(rec.totp_sealed_len, 45);
	ck_assert_int_eq(rec.totp_alg, KGW_TOTP_SHA256);
	ck_assert_uint_eq(rec.totp_digits, 8);
	ck_assert_int_eq(rec.totp_last_step, 1234);
	ck_assert_uint_eq(rec.fail_count, 2);
	ck_assert_int_eq(rec.created, 1700000000);
	ck_assert_str_eq(rec.zones, "");	/* authorised nowhere yet */
	/* No offset learned, no recovery code, nothing pending. */
	ck_assert_int_eq(rec.totp_drift, 0);
	ck_assert_int_eq(rec.totp_drift_base, 0);
	ck_assert_uint_eq(rec.backup_left, 0);
	ck_assert_int_eq(rec.temp_expires, 0);
	ck_assert(!rec.totp_pending);
	/* Made before the audit trail: no change until it is started. */
	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", true, OP1),
	    KGW_ERR_TAMPERED);
	ck_assert_int_eq(kgw_store_audit_start(s), KGW_OK);
	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", true, OP1), KGW_OK);
	check_changes(s, "alice", "disable@" OP1);
	kgw_store_close(&s);
	db = raw_open();
	raw_query(db, "PRAGMA user_version", text, sizeof(text));
	ck_assert_str_eq(text, "8");
	raw_query(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'changes'",
	    text, sizeof(text));
	ck_assert_str_eq(text, "1");
	raw_close(db);
	ck_assert_ptr_nonnull(strstr(logbuf, "version=2"));
}
END_TEST

START_TEST(test_schema_newer)
{
	sqlite3 *db = raw_open();

	raw_exec(db, "CREATE TABLE future (x); PRAGMA user_version = 99");
	raw_close(db);
	ck_assert_int_eq(open_fails(0), KGW_ERR_SCHEMA);
	ck_assert_int_eq(open_fails(KGW_STORE_CREATE), KGW_ERR_SCHEMA);
	ck_assert_ptr_nonnull(strstr(logbuf, "schema version 99"));
}
END_TEST

/* Random bytes, then a valid header over random pages: errors, no crash. */
START_TEST(test_corrupt)
{
	unsigned char buf[16384];
	uint32_t x = 2463534242u;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
	if (_i == 1) {
		memcpy(buf, "SQLite format 3", 16);
		buf[16] = 0x10;	/* page size 4096 */
		buf[17] = 0x00;
	}
	fd = open(conf.store, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	(void)close(fd);
	ck_assert_int_eq(open_fails(0), KGW_ERR_STORE);
	ck_assert_int_eq(open_fails(KGW_STORE_CREATE), KGW_ERR_STORE);
	ck_assert_ptr_nonnull(strstr(logbuf, "store failed"));
}
END_TEST

/* Rows no release of ours writes; each must be refused by name. */
static const struct {
	const char *set;
	const char *field;
} bad_rows[] = {
	{ "totp_secret = zeroblob(45), totp_alg = 0, totp_digits = 7",
	    "totp_digits" },
	{ "totp_secret = zeroblob(45), totp_alg = 0, totp_digits = 10",
	    "totp_digits" },
	{ "totp_secret = zeroblob(45), totp_alg = 3, totp_digits = 6",
	    "totp_alg" },
	{ "totp_secret = zeroblob(45), totp_alg = -1, totp_digits = 6",
	    "totp_alg" },
	{ "totp_secret = zeroblob(45)", "totp_alg" },
	{ "totp_alg = 0, totp_digits = 6", "totp_alg" },
	{ "totp_secret = zeroblob(94), totp_alg = 0, totp_digits = 6",
	    "totp_secret" },
	{ "totp_secret = zeroblob(29), totp_alg = 0, totp_digits = 6",
	    "totp_secret" },
	{ "pwhash = hex(zeroblob(128))", "pwhash" },
	{ "pwhash = ''", "pwhash" },
	{ "pwhash = CAST(X'2479002478' AS TEXT)", "pwhash" },
	{ "disabled = 2", "disabled" },
	{ "totp_last_step = -2", "totp_last_step" },
	{ "fail_count = -1", "fail_count" },
	{ "fail_count = 4294967296", "fail_count" },
	{ "locked_until = -1", "locked_until" },
	{ "created = -5", "created" },
	/* A zone list not in the stored form (kgw_zone_list_normalize). */
	{ "zones = 'Lgwan'", "zones" },
	{ "zones = 'mynumber,lgwan'", "zones" },
	{ "zones = 'lgwan,lgwan'", "zones" },
	{ "zones = 'lgwan,'", "zones" },
	{ "zones = 'lgwan mynumber'", "zones" },
	{ "zones = CAST(X'6C6777616E006D79' AS TEXT)", "zones" },
	{ "zones = 'a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q'", "zones" },
	{ "zones = substr(replace(hex(zeroblob(300)), '0', 'a'), 1, 528)",
	    "zones" },
};

static void
corrupt_alice(const char *set)
{
	char sql[256];
	sqlite3 *db = raw_open();

	(void)snprintf(sql, sizeof(sql), "UPDATE users SET %s"
	    " WHERE name = 'alice'", set);
	raw_exec(db, "PRAGMA ignore_check_constraints = ON");
	raw_exec(db, sql);
	ck_assert_int_eq(sqlite3_changes(db), 1);
	raw_close(db);
}

START_TEST(test_bad_row)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec rec;
	char names[256] = "", want[64];

	kgw_store_close(&s);
	corrupt_alice(bad_rows[_i].set);
	s = store_open(0);
	ck_assert_int_eq(kgw_store_get_user(s, "alice", &rec), KGW_ERR_STORE);
	ck_assert_str_eq(rec.name, "");
	(void)snprintf(want, sizeof(want), "user=alice field=%s",
	    bad_rows[_i].field);
	ck_assert_msg(strstr(logbuf, want) != NULL, "want %s in: %s", want,
	    logbuf);
	ck_assert_int_eq(kgw_store_list(s, list_names, names), KGW_ERR_STORE);
	ck_assert_str_eq(names, "");
	kgw_store_close(&s);
}
END_TEST

/* A bad name is not even logged: it could be anything. */
START_TEST(test_bad_row_name)
{
	struct kgw_store *s = store_with_alice();
	char names[256] = "";

	kgw_store_close(&s);
	corrupt_alice("name = 'bad name'");
	s = store_open(0);
	ck_assert_int_eq(kgw_store_list(s, list_names, names), KGW_ERR_STORE);
	ck_assert_ptr_nonnull(strstr(logbuf, "field=name"));
	ck_assert_ptr_null(strstr(logbuf, "bad name"));
	kgw_store_close(&s);
}
END_TEST

static const mode_t unsafe_modes[] = { 0666, 0660, 0620, 0644, 0640, 0604 };

START_TEST(test_unsafe_file_mode)
{
	struct kgw_store *s = store_with_alice();

	kgw_store_close(&s);
	ck_assert_int_eq(chmod(conf.store, unsafe_modes[_i]), 0);
	ck_assert_int_eq(open_fails(0), KGW_ERR_UNSAFE);
}
END_TEST

START_TEST(test_unsafe_dir)
{
	struct kgw_store *s = store_with_alice();

	kgw_store_close(&s);
	ck_assert_int_eq(chmod(tmpdir, 0777), 0);
	ck_assert_int_eq(open_fails(0), KGW_ERR_UNSAFE);
}
END_TEST

START_TEST(test_symlink)
{
	struct kgw_store *s = store_with_alice();
	char target[KGW_PATH_MAX];
	struct stat sb;

	kgw_store_close(&s);
	path_in_tmp(target, sizeof(target), "link.db");
	ck_assert_int_eq(symlink(conf.store, target), 0);
	(void)snprintf(conf.store, sizeof(conf.store), "%s", target);
	ck_assert_int_eq(open_fails(0), KGW_ERR_UNSAFE);
	ck_assert_int_eq(open_fails(KGW_STORE_CREATE), KGW_ERR_UNSAFE);
	/* A dangling link is not a missing store to create. */
	path_in_tmp(target, sizeof(target), "absent.db");
	path_in_tmp(conf.store, sizeof(conf.store), "dangling.db");
	ck_assert_int_eq(symlink(target, conf.store), 0);
	ck_assert_int_eq(open_fails(KGW_STORE_CREATE), KGW_ERR_UNSAFE);
	ck_assert_int_eq(lstat(target, &sb), -1);
}
END_TEST

START_TEST(test_path_not_absolute)
{
	(void)snprintf(conf.store, sizeof(conf.store), "store.db");
	ck_assert_int_eq(open_fails(KGW_STORE_CREATE), KGW_ERR_UNSAFE);
	(void)snprintf(conf.store, sizeof(conf.store), "%s/../%s/store.db",
	    tmpdir, tmpdir + 5);
	ck_assert_int_eq(open_fails(KGW_STORE_CREATE), KGW_ERR_UNSAFE);
}
END_TEST

/* Another writer holding the lock past busy_timeout: BUSY, then fine. */
START_TEST(test_busy)
{
	struct kgw_store *s = store_with_alice();
	sqlite3 *db;
	unsigned count;
	bool locked;

	enrol_totp(s, "alice", 1);
	kgw_store_close(&s);
	conf.busy_timeout = 50;
	s = store_open(0);
	db = raw_open();
	raw_exec(db, "BEGIN IMMEDIATE");
	ck_assert_int_eq(kgw_store_fail_record(s, "alice", 1000, 3, 60, &count,
	    &locked, &AUDIT), KGW_ERR_BUSY);
	ck_assert_int_eq(accept_now(s, "alice", 5), KGW_ERR_BUSY);
	ck_assert_int_eq(kgw_store_unlock(s, "alice", OP1), KGW_ERR_BUSY);
	ck_assert_ptr_nonnull(strstr(logbuf, "store failed"));
	raw_exec(db, "ROLLBACK");
	raw_close(db);
	ck_assert_int_eq(kgw_store_unlock(s, "alice", OP1), KGW_OK);
	check_changes(s, "alice", "add@" OP1 ",totp@" OP1 ",unlock@" OP1);
	kgw_store_close(&s);
}
END_TEST

/* A person's zones are kept as given, in the stored form only. */
START_TEST(test_zones_add_get)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec rec;

	ck_assert_str_eq(get(s, "alice").zones, "");
	ck_assert_int_eq(kgw_store_user_add(s, "bob", "lgwan,mynumber", OP1),
	    KGW_OK);
	ck_assert_str_eq(get(s, "bob").zones, "lgwan,mynumber");
	/* Not the stored form: refused, and nobody is added. */
	ck_assert_int_eq(kgw_store_user_add(s, "carol", "mynumber,lgwan", OP1),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_store_user_add(s, "carol", "Lgwan", OP1),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_store_user_add(s, "carol", NULL, OP1),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_store_get_user(s, "carol", &rec),
	    KGW_ERR_NOT_FOUND);
	check_changes(s, "carol", "");
	check_changes(s, "bob", "add@" OP1);
	kgw_store_close(&s);
	s = store_open(0);
	ck_assert_str_eq(get(s, "bob").zones, "lgwan,mynumber");
	kgw_store_close(&s);
}
END_TEST

/* Sixteen names of the longest length: the largest list there can be. */
START_TEST(test_zones_longest)
{
	struct kgw_store *s = store_with_alice();
	char list[KGW_ZONE_LIST_MAX];
	size_t used = 0;
	unsigned i;

	for (i = 0; i < KGW_ZONES_MAX; i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		    "%sz%031u", i ? "," : "", i);
	ck_assert_uint_eq(strlen(list), sizeof(list) - 1);
	ck_assert_int_eq(kgw_store_set_zones(s, "alice", list, OP1), KGW_OK);
	ck_assert_str_eq(get(s, "alice").zones, list);
	kgw_store_close(&s);
}
END_TEST

static const char *const bad_lists[] = {
	"Lgwan", "lgwan,lgwan", "mynumber,lgwan", "lgwan,", ",lgwan",
	"lgwan mynumber", "lgwan;mynumber", "1st", "lg.wan",
};

START_TEST(test_set_zones)
{
	struct kgw_store *s = store_with_alice();
	char detail[128];
	sqlite3 *db;
	size_t i;

	ck_assert_int_eq(kgw_store_set_zones(s, "alice", "internet,lgwan", OP2),
	    KGW_OK);
	ck_assert_str_eq(get(s, "alice").zones, "internet,lgwan");
	/* A bad list changes nothing, records nothing. */
	for (i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++) {
		ck_assert_msg(kgw_store_set_zones(s, "alice", bad_lists[i], OP1)
		    == KGW_ERR_INVALID, "accepted \"%s\"", bad_lists[i]);
		ck_assert_str_eq(get(s, "alice").zones, "internet,lgwan");
	}
	ck_assert_int_eq(kgw_store_set_zones(s, "alice", NULL, OP1),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_store_set_zones(s, "ghost", "lgwan", OP1),
	    KGW_ERR_NOT_FOUND);
	check_changes(s, "ghost", "");
	check_changes(s, "alice", "add@" OP1 ",zones@" OP2);
	/* The empty set withdraws every zone. */
	ck_assert_int_eq(kgw_store_set_zones(s, "alice", "", OP1), KGW_OK);
	ck_assert_str_eq(get(s, "alice").zones, "");
	check_changes(s, "alice", "add@" OP1 ",zones@" OP2 ",zones@" OP1);
	kgw_store_close(&s);
	/* Auditors read what each list became. */
	db = raw_open();
	raw_query(db, "SELECT group_concat(detail, '|') FROM (SELECT detail"
	    " FROM changes WHERE user = 'alice' AND action = 'zones'"
	    " ORDER BY id)", detail, sizeof(detail));
	ck_assert_str_eq(detail, "zones=internet,lgwan|zones=");
	raw_close(db);
}
END_TEST

/* What an import might do: several changes to several users. */
static void
batch_changes(struct kgw_store *s)
{
	ck_assert_int_eq(kgw_store_user_add(s, "bob", "lgwan", OP2), KGW_OK);
	ck_assert_int_eq(kgw_store_set_zones(s, "alice", "internet,lgwan",
	    OP2), KGW_OK);
	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", true, OP2),
	    KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "carol", "", OP2), KGW_OK);
	ck_assert_int_eq(kgw_store_user_delete(s, "carol", OP2), KGW_OK);
}

/* The store as store_with_alice left it: no trace of any batch. */
static void
assert_only_alice(struct kgw_store *s)
{
	struct kgw_user_rec rec = get(s, "alice");

	ck_assert_str_eq(rec.zones, "");
	ck_assert(!rec.disabled);
	ck_assert_int_eq(kgw_store_get_user(s, "bob", &rec),
	    KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_get_user(s, "carol", &rec),
	    KGW_ERR_NOT_FOUND);
	check_changes(s, "alice", "add@" OP1);
	check_changes(s, "bob", "");
	check_changes(s, "carol", "");
}

START_TEST(test_batch_rollback)
{
	struct kgw_store *s = store_with_alice();

	ck_assert_int_eq(kgw_store_batch_begin(s), KGW_OK);
	batch_changes(s);
	ck_assert_str_eq(get(s, "bob").zones, "lgwan");	/* seen inside */
	ck_assert_int_eq(kgw_store_batch_end(s, false), KGW_OK);
	assert_only_alice(s);
	/* Outside a batch, a change commits on its own again. */
	ck_assert_int_eq(kgw_store_set_zones(s, "alice", "lgwan", OP1),
	    KGW_OK);
	kgw_store_close(&s);
	s = store_open(0);
	ck_assert_str_eq(get(s, "alice").zones, "lgwan");
	check_changes(s, "alice", "add@" OP1 ",zones@" OP1);
	check_changes(s, "bob", "");
	kgw_store_close(&s);
}
END_TEST

START_TEST(test_batch_commit)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec rec;

	ck_assert_int_eq(kgw_store_batch_begin(s), KGW_OK);
	batch_changes(s);
	ck_assert_int_eq(kgw_store_batch_end(s, true), KGW_OK);
	kgw_store_close(&s);
	s = store_open(0);
	rec = get(s, "alice");
	ck_assert_str_eq(rec.zones, "internet,lgwan");
	ck_assert(rec.disabled);
	ck_assert_str_eq(get(s, "bob").zones, "lgwan");
	ck_assert_int_eq(kgw_store_get_user(s, "carol", &rec),
	    KGW_ERR_NOT_FOUND);
	check_changes(s, "alice", "add@" OP1 ",zones@" OP2 ",disable@" OP2);
	check_changes(s, "bob", "add@" OP2);
	check_changes(s, "carol", "add@" OP2 ",delete@" OP2);
	kgw_store_close(&s);
}
END_TEST

/* A change failing inside a batch; end(false) undoes the ones before it. */
START_TEST(test_batch_failed_change)
{
	struct kgw_store *s = store_with_alice();

	ck_assert_int_eq(kgw_store_batch_begin(s), KGW_OK);
	batch_changes(s);
	ck_assert_int_eq(kgw_store_user_add(s, "alice", "lgwan", OP2),
	    KGW_ERR_EXISTS);
	ck_assert_int_eq(kgw_store_set_zones(s, "ghost", "lgwan", OP2),
	    KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_set_zones(s, "alice", "Bad", OP2),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_store_batch_end(s, false), KGW_OK);
	assert_only_alice(s);
	/* Nothing was left open: a change commits, and lasts. */
	ck_assert_int_eq(kgw_store_set_disabled(s, "alice", true, OP1),
	    KGW_OK);
	kgw_store_close(&s);
	s = store_open(0);
	ck_assert(get(s, "alice").disabled);
	check_changes(s, "alice", "add@" OP1 ",disable@" OP1);
	kgw_store_close(&s);
}
END_TEST

/* Another handle (a login) sees a batch only once it is committed. */
START_TEST(test_batch_isolated)
{
	struct kgw_store *a = store_with_alice();
	struct kgw_store *b = store_open(0);
	struct kgw_user_rec rec;

	ck_assert_int_eq(kgw_store_batch_begin(a), KGW_OK);
	batch_changes(a);
	ck_assert_int_eq(kgw_store_get_user(b, "bob", &rec),
	    KGW_ERR_NOT_FOUND);
	ck_assert_str_eq(get(b, "alice").zones, "");
	ck_assert_int_eq(kgw_store_batch_end(a, true), KGW_OK);
	ck_assert_str_eq(get(b, "bob").zones, "lgwan");
	ck_assert_str_eq(get(b, "alice").zones, "internet,lgwan");
	kgw_store_close(&a);
	kgw_store_close(&b);
}
END_TEST

/* No nested batches, no end without a begin; neither commits anything. */
START_TEST(test_batch_misuse)
{
	struct kgw_store *s = store_with_alice();
	struct kgw_user_rec rec;

	ck_assert_int_ne(kgw_store_batch_end(s, true), KGW_OK);
	ck_assert_int_ne(kgw_store_batch_end(s, false), KGW_OK);
	ck_assert_int_eq(kgw_store_batch_begin(s), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "bob", "", OP2), KGW_OK);
	ck_assert_int_ne(kgw_store_batch_begin(s), KGW_OK);
	ck_assert_int_eq(kgw_store_batch_end(s, false), KGW_OK);
	ck_assert_int_ne(kgw_store_batch_end(s, false), KGW_OK);
	ck_assert_int_eq(kgw_store_get_user(s, "bob", &rec),
	    KGW_ERR_NOT_FOUND);
	ck_assert_int_eq(kgw_store_batch_begin(NULL), KGW_ERR_INTERNAL);
	ck_assert_int_eq(kgw_store_batch_end(NULL, true), KGW_ERR_INTERNAL);
	kgw_store_close(&s);
}
END_TEST

int
main(void)
{
	Suite *suite = suite_create("store");
	TCase *tc = tcase_create("sqlite");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_create_reopen);
	tcase_add_test(tc, test_create_under_umask);
	tcase_add_test(tc, test_open_missing);
	tcase_add_test(tc, test_open_empty);
	tcase_add_test(tc, test_add_get);
	tcase_add_test(tc, test_set_password);
	tcase_add_test(tc, test_set_totp);
	tcase_add_test(tc, test_revoke);
	tcase_add_test(tc, test_disable_enable);
	tcase_add_test(tc, test_unlock);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_missing_user_changes_nothing);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_totp_accept);
	tcase_add_test(tc, test_totp_accept_two_handles);
	tcase_add_test(tc, test_totp_accept_rechecks);
	tcase_add_test(tc, test_race_processes);
	tcase_add_test(tc, test_fail_timed_lock);
	tcase_add_test(tc, test_fail_relock_after_expiry);
	tcase_add_test(tc, test_fail_lock_forever);
	tcase_add_test(tc, test_migrate_v1);
	tcase_add_test(tc, test_schema_newer);
	tcase_add_loop_test(tc, test_corrupt, 0, 2);
	tcase_add_loop_test(tc, test_bad_row, 0,
	    (int)(sizeof(bad_rows) / sizeof(bad_rows[0])));
	tcase_add_test(tc, test_bad_row_name);
	tcase_add_loop_test(tc, test_unsafe_file_mode, 0,
	    (int)(sizeof(unsafe_modes) / sizeof(unsafe_modes[0])));
	tcase_add_test(tc, test_unsafe_dir);
	tcase_add_test(tc, test_symlink);
	tcase_add_test(tc, test_path_not_absolute);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_zones_add_get);
	tcase_add_test(tc, test_zones_longest);
	tcase_add_test(tc, test_set_zones);
	tcase_add_test(tc, test_batch_rollback);
	tcase_add_test(tc, test_batch_commit);
	tcase_add_test(tc, test_batch_failed_change);
	tcase_add_test(tc, test_batch_isolated);
	tcase_add_test(tc, test_batch_misuse);
	suite_add_tcase(suite, tc);
	sr = srunner_create(suite);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
