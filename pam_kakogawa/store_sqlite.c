/*
 * The SQLite backend of the credential store: safe opening, schema
 * migrations, helpdesk changes recorded with their author in the same
 * transaction, and login state updated by single atomic statements.
 */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "kgw_err.h"
#include "kgw_path.h"
#include "store_impl.h"

/* One connection per handle (opened NOMUTEX): one thread at a time. */
struct sqlite_store {
	struct kgw_store base;		/* first: the dispatcher's handle */
	sqlite3 *db;
	int busy_timeout;		/* milliseconds */
	char path[KGW_PATH_MAX];
};

/*
 * The schema's history, oldest first: migrations[i] takes user_version i to
 * i + 1. Never edit an entry once released; append a new one instead.
 * Every connection parses this text again, on every login, so it stays
 * lean: no CHECK constraints. They would be a second line only, since
 * every row read is validated in full (row_user), the file not being the
 * only way rows get written.
 */
static const char *const migrations[] = {
	"CREATE TABLE users ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" pwhash TEXT,"
	" totp_secret BLOB,"
	" totp_alg INTEGER,"
	" totp_digits INTEGER,"
	" totp_last_step INTEGER NOT NULL DEFAULT -1,"
	" fail_count INTEGER NOT NULL DEFAULT 0,"
	" locked_until INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL"
	") STRICT;",

	/* changes.user is plain text: records outlive a deleted user. */
	"CREATE TABLE changes ("
	" id INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" operator TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" user TEXT NOT NULL,"
	" detail TEXT"
	") STRICT;"
	"CREATE INDEX changes_user ON changes (user, id);",
};
#define SCHEMA_VERSION ((int64_t)(sizeof(migrations) / sizeof(migrations[0])))

#define USER_COLUMNS "name, disabled, pwhash, totp_secret, totp_alg," \
	" totp_digits, totp_last_step, fail_count, locked_until, created, updated"
enum { COL_NAME, COL_DISABLED, COL_PWHASH, COL_SECRET, COL_ALG, COL_DIGITS,
	COL_LAST_STEP, COL_FAILS, COL_LOCKED, COL_CREATED, COL_UPDATED };

/*
 * The failure count saturates far below any overflow, so that no number of
 * guesses can wrap it back under the lockout threshold.
 */
#define FAIL_NEXT "(CASE WHEN locked_until != 0 AND locked_until <= ?2" \
	" THEN 1 ELSE min(fail_count, 1000000) + 1 END)"

/* One helpdesk change, as recorded in the changes table. */
struct change {
	const char *user;
	const char *op;
	const char *action;
	const char *detail;	/* NULL or a short note, never a secret */
	int64_t time;
};

static struct sqlite_store *
to_sqlite(struct kgw_store *s)
{
	return (struct sqlite_store *)s;
}

/* Logs a SQLite failure and maps it to a result code. */
static int
db_fail(const struct sqlite_store *ss, const char *what, int rc)
{
	int r;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		r = KGW_ERR_BUSY;
		break;
	case SQLITE_NOMEM:
		r = KGW_ERR_NOMEM;
		break;
	default:	/* FULL, IOERR, CORRUPT, NOTADB, READONLY, ... */
		r = KGW_ERR_STORE;
		break;
	}
	kgw_log_err(ss->base.log, "store failed: path=%s op=%s error=\"%s\"",
	    ss->path, what, ss->db != NULL ? sqlite3_errmsg(ss->db) :
	    sqlite3_errstr(rc));
	return r;
}

static int
bind_ok(const struct sqlite_store *ss, int rc)
{
	return rc == SQLITE_OK ? KGW_OK : db_fail(ss, "bind", rc);
}

/* Binds text, or NULL for a NULL pointer; the caller keeps s alive. */
static int
bind_text(const struct sqlite_store *ss, sqlite3_stmt *st, int i,
    const char *s)
{
	return bind_ok(ss, s == NULL ? sqlite3_bind_null(st, i) :
	    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC));
}

static int
bind_int(const struct sqlite_store *ss, sqlite3_stmt *st, int i, int64_t v)
{
	return bind_ok(ss, sqlite3_bind_int64(st, i, v));
}

static int
db_exec(struct sqlite_store *ss, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(ss->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return db_fail(ss, what, rc);
	return KGW_OK;
}

static int
db_prepare(struct sqlite_store *ss, const char *sql, sqlite3_stmt **st)
{
	int rc;

	*st = NULL;
	if ((rc = sqlite3_prepare_v2(ss->db, sql, -1, st, NULL)) != SQLITE_OK)
		return db_fail(ss, "prepare", rc);
	return KGW_OK;
}

/* A statement about one user, whose name is ?1. */
static int
db_prepare_user(struct sqlite_store *ss, const char *sql, const char *name,
    sqlite3_stmt **st)
{
	int r;

	if ((r = db_prepare(ss, sql, st)) != KGW_OK)
		return r;
	return bind_text(ss, *st, 1, name);
}

/* Runs a statement that returns no rows to completion. */
static int
db_done(struct sqlite_store *ss, sqlite3_stmt *st, const char *what)
{
	int rc;

	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return db_fail(ss, what, rc);
	return KGW_OK;
}

/* Abandons the open transaction, if any; a failed COMMIT can leave one. */
static void
db_rollback(struct sqlite_store *ss)
{
	if (!sqlite3_get_autocommit(ss->db))
		(void)sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
}

/* An integer column within [min, max]; false for any other type. */
static bool
col_int(sqlite3_stmt *st, int col, int64_t min, int64_t max, int64_t *out)
{
	if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
		return false;
	*out = sqlite3_column_int64(st, col);
	return *out >= min && *out <= max;
}

/* A non-empty text column that fits out with its NUL and holds no NUL. */
static bool
col_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
	const unsigned char *p;
	size_t len;

	if (sqlite3_column_type(st, col) != SQLITE_TEXT ||
	    (p = sqlite3_column_text(st, col)) == NULL)
		return false;
	len = (size_t)sqlite3_column_bytes(st, col);
	if (len == 0 || len >= outlen || memchr(p, '\0', len) != NULL)
		return false;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

static bool
col_blob(sqlite3_stmt *st, int col, unsigned char *out, size_t outcap,
    size_t *outlen)
{
	const void *p;
	size_t len;

	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    (p = sqlite3_column_blob(st, col)) == NULL)
		return false;
	len = (size_t)sqlite3_column_bytes(st, col);
	if (len > outcap)
		return false;
	memcpy(out, p, len);
	*outlen = len;
	return true;
}

/* Returns the name of the first bad column of the counters, or NULL. */
static const char *
row_state(sqlite3_stmt *st, struct kgw_user_rec *rec)
{
	int64_t v;

	if (!col_int(st, COL_DISABLED, 0, 1, &v))
		return "disabled";
	rec->disabled = v != 0;
	if (!col_int(st, COL_LAST_STEP, -1, INT64_MAX, &rec->totp_last_step))
		return "totp_last_step";
	if (!col_int(st, COL_FAILS, 0, UINT_MAX, &v))
		return "fail_count";
	rec->fail_count = (unsigned)v;
	if (!col_int(st, COL_LOCKED, 0, INT64_MAX, &rec->locked_until))
		return "locked_until";
	if (!col_int(st, COL_CREATED, 0, INT64_MAX, &rec->created))
		return "created";
	if (!col_int(st, COL_UPDATED, 0, INT64_MAX, &rec->updated))
		return "updated";
	return NULL;
}

/* Returns the name of the first bad factor column, or NULL. */
static const char *
row_factors(sqlite3_stmt *st, struct kgw_user_rec *rec)
{
	int64_t alg, digits;

	if (sqlite3_column_type(st, COL_PWHASH) != SQLITE_NULL &&
	    !col_text(st, COL_PWHASH, rec->pwhash, sizeof(rec->pwhash)))
		return "pwhash";
	if (sqlite3_column_type(st, COL_SECRET) == SQLITE_NULL) {
		if (sqlite3_column_type(st, COL_ALG) != SQLITE_NULL ||
		    sqlite3_column_type(st, COL_DIGITS) != SQLITE_NULL)
			return "totp_alg";
		return NULL;
	}
	if (!col_blob(st, COL_SECRET, rec->totp_sealed,
	    sizeof(rec->totp_sealed), &rec->totp_sealed_len) ||
	    rec->totp_sealed_len <= KGW_SEAL_OVERHEAD)
		return "totp_secret";
	if (!col_int(st, COL_ALG, 0, INT_MAX, &alg) ||
	    kgw_totp_alg_name((enum kgw_totp_alg)alg) == NULL)
		return "totp_alg";
	rec->totp_alg = (enum kgw_totp_alg)alg;
	if (!col_int(st, COL_DIGITS, 6, 8, &digits) || digits == 7)
		return "totp_digits";
	rec->totp_digits = (unsigned)digits;
	return NULL;
}

/* Reads and validates one users row: its content is untrusted input. */
static int
row_user(const struct sqlite_store *ss, sqlite3_stmt *st,
    struct kgw_user_rec *rec)
{
	const char *bad;

	memset(rec, 0, sizeof(*rec));
	if (!col_text(st, COL_NAME, rec->name, sizeof(rec->name)) ||
	    !kgw_username_valid(rec->name)) {
		kgw_log_err(ss->base.log, "store row invalid: path=%s "
		    "field=name", ss->path);
		goto fail;
	}
	if ((bad = row_state(st, rec)) != NULL ||
	    (bad = row_factors(st, rec)) != NULL) {
		kgw_log_err(ss->base.log, "store row invalid: path=%s user=%s "
		    "field=%s", ss->path, rec->name, bad);
		goto fail;
	}
	return KGW_OK;
fail:
	memset(rec, 0, sizeof(*rec));
	return KGW_ERR_STORE;
}

static int
row_change(const struct sqlite_store *ss, sqlite3_stmt *st,
    struct kgw_change *c)
{
	memset(c, 0, sizeof(*c));
	if (!col_int(st, 0, INT64_MIN, INT64_MAX, &c->time) ||
	    !col_text(st, 1, c->operator_name, sizeof(c->operator_name)) ||
	    !col_text(st, 2, c->action, sizeof(c->action)) ||
	    !col_text(st, 3, c->user, sizeof(c->user)) ||
	    !kgw_username_valid(c->user)) {
		kgw_log_err(ss->base.log, "store change row invalid: path=%s",
		    ss->path);
		memset(c, 0, sizeof(*c));
		return KGW_ERR_STORE;
	}
	return KGW_OK;
}

static int
schema_version(struct sqlite_store *ss, int64_t *version)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = db_prepare(ss, "PRAGMA user_version", &st)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = db_fail(ss, "schema", rc);
		goto fail;
	}
	*version = sqlite3_column_int64(st, 0);
	r = KGW_OK;
fail:
	sqlite3_finalize(st);
	return r;
}

/*
 * Applies the migration from version from, with its version bump, in one
 * transaction. Another process may have migrated since we looked: the
 * version is read again under the write lock.
 */
static int
migrate_one(struct sqlite_store *ss, int64_t from)
{
	char sql[64];
	int64_t v;
	int r;

	if ((r = db_exec(ss, "BEGIN IMMEDIATE", "migrate")) != KGW_OK ||
	    (r = schema_version(ss, &v)) != KGW_OK)
		goto fail;
	if (v == from) {
		(void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
		    (long long)from + 1);
		if ((r = db_exec(ss, migrations[from], "migrate")) != KGW_OK ||
		    (r = db_exec(ss, sql, "migrate")) != KGW_OK)
			goto fail;
	}
	if ((r = db_exec(ss, "COMMIT", "migrate")) != KGW_OK)
		goto fail;
	if (v == from)
		kgw_log_info(ss->base.log, "store migrated: path=%s "
		    "version=%lld", ss->path, (long long)from + 1);
fail:
	db_rollback(ss);
	return r;
}

/*
 * Brings the schema up to date. An empty database is a store only when we
 * were asked to create one: the module must never initialise a store.
 */
static int
migrate(struct sqlite_store *ss, int flags)
{
	int64_t v;
	int r;

	if ((r = schema_version(ss, &v)) != KGW_OK)
		goto fail;
	if (v == 0 && !(flags & KGW_STORE_CREATE)) {
		kgw_log_err(ss->base.log, "store %s is not initialised", ss->path);
		r = KGW_ERR_STORE;
		goto fail;
	}
	/* WAL persists in the file: set it once, when creating or upgrading. */
	if (v >= 0 && v < SCHEMA_VERSION &&
	    (r = db_exec(ss, "PRAGMA journal_mode = WAL", "wal")) != KGW_OK)
		goto fail;
	while (v != SCHEMA_VERSION) {
		if (v < 0 || v > SCHEMA_VERSION) {
			kgw_log_err(ss->base.log, "store %s has schema version "
			    "%lld; this build knows up to %lld", ss->path,
			    (long long)v, (long long)SCHEMA_VERSION);
			r = KGW_ERR_SCHEMA;
			goto fail;
		}
		if ((r = migrate_one(ss, v)) != KGW_OK ||
		    (r = schema_version(ss, &v)) != KGW_OK)
			goto fail;
	}
	r = KGW_OK;
fail:
	return r;
}

/*
 * Creates the missing store file with mode 0600. O_EXCL with O_NOFOLLOW
 * makes it a new file and never a symlink's target; fchmod restores what a
 * restrictive umask took away. Losing a race to another creator is fine:
 * the path checks that follow judge whatever is there.
 */
static int
store_create(const struct kgw_log *log, const char *path)
{
	int fd, r;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    S_IRUSR | S_IWUSR);
	if (fd == -1) {
		if (errno == EEXIST)
			return KGW_OK;
		kgw_log_err(log, "store %s: create: %s", path, strerror(errno));
		return KGW_ERR_IO;
	}
	r = KGW_OK;
	if (fchmod(fd, S_IRUSR | S_IWUSR) == -1) {
		kgw_log_err(log, "store %s: chmod: %s", path, strerror(errno));
		r = KGW_ERR_IO;
	}
	(void)close(fd);
	if (r == KGW_OK)
		kgw_log_info(log, "store created: path=%s", path);
	return r;
}

/* A file SQLite keeps beside the store (path + suffix), when it exists. */
static int
companion_check(const struct kgw_log *log, const char *path,
    const char *suffix)
{
	char side[KGW_PATH_MAX + 8];
	struct stat st;
	int n;

	n = snprintf(side, sizeof(side), "%s%s", path, suffix);
	if (n < 0 || (size_t)n >= sizeof(side))
		return KGW_ERR_UNSAFE;
	if (lstat(side, &st) != 0 && errno == ENOENT)
		return KGW_OK;	/* SQLite creates it 0600, like the store */
	return kgw_path_check_file(log, side, KGW_PATH_PRIVATE);
}

/* The safe-path checks, and creation when asked: all before SQLite opens. */
static int
store_path_check(const struct kgw_log *log, const char *path, int flags)
{
	char dir[KGW_PATH_MAX];
	struct stat sb;
	int r;

	if (kgw_path_dirname(path, dir, sizeof(dir)) != KGW_OK) {
		kgw_log_err(log, "store %s: not an absolute path", path);
		r = KGW_ERR_UNSAFE;
		goto fail;
	}
	if ((r = kgw_path_check_dir(log, dir)) != KGW_OK)
		goto fail;
	if (lstat(path, &sb) == -1) {
		if (errno != ENOENT) {
			kgw_log_err(log, "store %s: %s", path, strerror(errno));
			r = KGW_ERR_IO;
			goto fail;
		}
		if (!(flags & KGW_STORE_CREATE)) {
			kgw_log_err(log, "store %s does not exist", path);
			r = KGW_ERR_STORE;
			goto fail;
		}
		if ((r = store_create(log, path)) != KGW_OK)
			goto fail;
	}
	/* Password hashes and sealed secrets: no one else may even read. */
	if ((r = kgw_path_check_file(log, path, KGW_PATH_PRIVATE)) != KGW_OK)
		goto fail;
	/* The WAL holds live rows, the -shm file its index, and a -journal
	 * left by a crash would be played back: same rules for all. */
	if ((r = companion_check(log, path, "-wal")) != KGW_OK ||
	    (r = companion_check(log, path, "-shm")) != KGW_OK)
		goto fail;
	r = companion_check(log, path, "-journal");
fail:
	return r;
}

/*
 * A login opens the store, commits once and closes. By default the last
 * connection to close checkpoints the WAL into the database and deletes
 * it: three more fsyncs and two unlinks per login. So we keep the WAL and
 * checkpoint it ourselves once it holds WAL_FRAMES_MAX frames; small, it
 * also keeps cheap the recovery SQLite runs when the first connection
 * opens. A login then costs one fsync, and one in WAL_FRAMES_MAX pays for
 * the checkpoint (TRUNCATE, so the WAL starts again from empty).
 */
#define WAL_FRAMES_MAX 16

/*
 * Waiting for another login's write. SQLite's own handler sleeps 1, 2, 5,
 * 10, 15, 20 ms...: a login that commits in a fraction of a millisecond
 * would make the next one wait 1 ms at least and tens of ms at p99. We
 * start at 100 us and double up to 2 ms, until busy_timeout has passed.
 */
#define BUSY_SLEEP_MIN_US 100
#define BUSY_SLEEP_MAX_US 2000

static int
busy_wait(void *arg, int count)
{
	const struct sqlite_store *ss = arg;
	long waited_us = 0, step = BUSY_SLEEP_MIN_US;
	struct timespec ts;
	int i;

	/* The time already waited, from the same schedule. */
	for (i = 0; i < count; i++) {
		waited_us += step;
		if (step < BUSY_SLEEP_MAX_US)
			step = step * 2 > BUSY_SLEEP_MAX_US ? BUSY_SLEEP_MAX_US :
			    step * 2;
	}
	if (waited_us >= (long)ss->busy_timeout * 1000)
		return 0;	/* give up: the caller gets SQLITE_BUSY */
	ts.tv_sec = 0;
	ts.tv_nsec = step * 1000;
	(void)nanosleep(&ts, NULL);
	return 1;
}

static void
busy_handler(struct sqlite_store *ss, bool wait)
{
	(void)sqlite3_busy_handler(ss->db, wait ? busy_wait : NULL, ss);
}

static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct sqlite_store *ss = arg;

	if (frames < WAL_FRAMES_MAX)
		return SQLITE_OK;
	/* Never wait for other logins: whoever finds the store idle does it. */
	busy_handler(ss, false);
	(void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE,
	    NULL, NULL);
	busy_handler(ss, true);
	return SQLITE_OK;	/* the commit stands whatever happened here */
}

static int
keep_wal(struct sqlite_store *ss)
{
	int one = 1, rc;

	rc = sqlite3_db_config(ss->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
	    (int *)NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_file_control(ss->db, "main",
		    SQLITE_FCNTL_PERSIST_WAL, &one);
	if (rc == SQLITE_OK)
		(void)sqlite3_wal_hook(ss->db, wal_hook, ss);
	return rc;
}

/*
 * No SQLITE_OPEN_CREATE: the file was made (0600) by store_create, and a
 * store that vanished since must not come back with SQLite's default mode.
 * secure_delete keeps wiped secrets out of free pages; synchronous=FULL
 * makes each commit durable (one fsync of the WAL).
 */
static int
db_open(struct sqlite_store *ss, unsigned busy_timeout)
{
	int rc, r;

	rc = sqlite3_open_v2(ss->path, &ss->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = db_fail(ss, "open", rc);
		goto fail;
	}
	ss->busy_timeout = busy_timeout > INT_MAX ? INT_MAX : (int)busy_timeout;
	if ((rc = sqlite3_busy_handler(ss->db, busy_wait, ss)) != SQLITE_OK ||
	    (rc = sqlite3_db_config(ss->db, SQLITE_DBCONFIG_DEFENSIVE, 1,
	    (int *)NULL)) != SQLITE_OK ||
	    (rc = keep_wal(ss)) != SQLITE_OK) {
		r = db_fail(ss, "open", rc);
		goto fail;
	}
	r = db_exec(ss, "PRAGMA trusted_schema = OFF; PRAGMA foreign_keys = ON;"
	    " PRAGMA secure_delete = ON; PRAGMA synchronous = FULL;", "open");
fail:
	return r;
}

static void
sqlite_close(struct kgw_store *s)
{
	struct sqlite_store *ss = to_sqlite(s);

	if (ss->db != NULL && sqlite3_close_v2(ss->db) != SQLITE_OK)
		(void)db_fail(ss, "close", SQLITE_ERROR);
	free(ss);
}

static int
sqlite_get_user(struct kgw_store *s, const char *name,
    struct kgw_user_rec *rec)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = db_prepare_user(ss, "SELECT " USER_COLUMNS " FROM users"
	    " WHERE name = ?1", name, &st)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = row_user(ss, st, rec);
	else if (rc == SQLITE_DONE)
		r = KGW_ERR_NOT_FOUND;
	else
		r = db_fail(ss, "get_user", rc);
fail:
	sqlite3_finalize(st);
	return r;
}

/* Why totp_accept changed nothing: the row as it is now says. */
static int
accept_refusal(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t now)
{
	struct kgw_user_rec rec;
	int r;

	if ((r = sqlite_get_user(s, seen->name, &rec)) != KGW_OK)
		goto out;
	if (rec.disabled)
		r = KGW_ERR_DISABLED;
	else if (kgw_user_locked(&rec, now))
		r = KGW_ERR_LOCKED;
	else if (rec.totp_sealed_len != seen->totp_sealed_len ||
	    memcmp(rec.totp_sealed, seen->totp_sealed, rec.totp_sealed_len) != 0)
		r = KGW_ERR_NO_FACTOR;
	else
		r = KGW_ERR_REPLAY;
out:
	explicit_bzero(&rec, sizeof(rec));
	return r;
}

/*
 * One statement, so one implicit transaction: of two logins racing with the
 * same code, exactly one changes the row; and a lock, disable or new secret
 * written by another session since this login began is seen here. Clearing
 * locked_until only ever clears a lock that has expired.
 */
static int
sqlite_totp_accept(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t step, int64_t now)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st = NULL;
	int r;

	/* Every condition is checked again here, at commit time. */
	if ((r = db_prepare_user(ss, "UPDATE users SET totp_last_step = ?2,"
	    " fail_count = 0, locked_until = 0"
	    " WHERE name = ?1 AND totp_last_step < ?2 AND disabled = 0"
	    " AND (locked_until = 0 OR locked_until <= ?3)"
	    " AND totp_secret = ?4", seen->name, &st)) != KGW_OK ||
	    (r = bind_int(ss, st, 2, step)) != KGW_OK ||
	    (r = bind_int(ss, st, 3, now)) != KGW_OK ||
	    (r = bind_ok(ss, sqlite3_bind_blob(st, 4, seen->totp_sealed,
	    (int)seen->totp_sealed_len, SQLITE_STATIC))) != KGW_OK ||
	    (r = db_done(ss, st, "totp_accept")) != KGW_OK)
		goto fail;
	if (sqlite3_changes(ss->db) != 1)
		r = accept_refusal(s, seen, now);
fail:
	sqlite3_finalize(st);
	return r;
}

/*
 * One statement (see totp_accept). Every SET expression sees the old row:
 * an expired timed lock restarts the count at 1; a lock in force is kept
 * as it is, never extended by further failures. The row RETURNING gives is
 * read before the last step, which is the one that commits.
 */
static int
sqlite_fail_record(struct kgw_store *s, const char *name, int64_t now,
    unsigned attempts, unsigned lock_seconds, unsigned *count, bool *locked)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st = NULL;
	int64_t n, until = KGW_LOCK_FOREVER;
	int r, rc;

	if (now < 0)
		return KGW_ERR_INVALID;
	if (lock_seconds != 0 && now <= INT64_MAX - lock_seconds)
		until = now + lock_seconds;
	if ((r = db_prepare_user(ss, "UPDATE users SET fail_count = "
	    FAIL_NEXT ", locked_until = CASE WHEN locked_until > ?2"
	    " THEN locked_until WHEN " FAIL_NEXT " >= ?3 THEN ?4 ELSE 0 END"
	    " WHERE name = ?1 RETURNING fail_count, locked_until",
	    name, &st)) != KGW_OK ||
	    (r = bind_int(ss, st, 2, now)) != KGW_OK ||
	    (r = bind_int(ss, st, 3, attempts)) != KGW_OK ||
	    (r = bind_int(ss, st, 4, until)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? KGW_ERR_NOT_FOUND :
		    db_fail(ss, "fail_record", rc);
		goto fail;
	}
	if (!col_int(st, 0, 1, UINT_MAX, &n) ||
	    !col_int(st, 1, 0, INT64_MAX, &until)) {
		kgw_log_err(ss->base.log, "store row invalid: path=%s user=%s "
		    "field=fail_count", ss->path, name);
		r = KGW_ERR_STORE;
		goto fail;
	}
	if ((r = db_done(ss, st, "fail_record")) != KGW_OK)
		goto fail;
	*count = (unsigned)n;
	*locked = until != 0 && now < until;
fail:
	sqlite3_finalize(st);
	return r;
}

/* A statement on one user: ?1 is the name and ?2, when used, the time. */
static int
change_stmt(struct sqlite_store *ss, const char *sql, const struct change *c,
    sqlite3_stmt **st)
{
	int r;

	if ((r = db_prepare_user(ss, sql, c->user, st)) != KGW_OK)
		return r;
	if (sqlite3_bind_parameter_count(*st) >= 2)
		r = bind_int(ss, *st, 2, c->time);
	return r;
}

static int
change_record(struct sqlite_store *ss, const struct change *c)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = db_prepare(ss, "INSERT INTO changes (time, operator, action,"
	    " user, detail) VALUES (?1, ?2, ?3, ?4, ?5)", &st)) != KGW_OK ||
	    (r = bind_int(ss, st, 1, c->time)) != KGW_OK ||
	    (r = bind_text(ss, st, 2, c->op)) != KGW_OK ||
	    (r = bind_text(ss, st, 3, c->action)) != KGW_OK ||
	    (r = bind_text(ss, st, 4, c->user)) != KGW_OK ||
	    (r = bind_text(ss, st, 5, c->detail)) != KGW_OK)
		goto fail;
	r = db_done(ss, st, "change");
fail:
	sqlite3_finalize(st);
	return r;
}

/*
 * Runs st, which changes one user row, and records c in the same
 * transaction: both happen or neither. none is the result when st matched
 * no row (the user is missing, or already there for an add).
 */
static int
change_apply(struct sqlite_store *ss, sqlite3_stmt *st,
    const struct change *c, int none)
{
	int r;

	if ((r = db_exec(ss, "BEGIN IMMEDIATE", c->action)) != KGW_OK ||
	    (r = db_done(ss, st, c->action)) != KGW_OK)
		goto fail;
	if (sqlite3_changes(ss->db) != 1) {
		r = none;
		goto fail;
	}
	if ((r = change_record(ss, c)) != KGW_OK)
		goto fail;
	r = db_exec(ss, "COMMIT", c->action);
fail:
	db_rollback(ss);
	return r;
}

/* A change whose statement needs no parameter beyond name and time. */
static int
change_run(struct kgw_store *s, const char *sql, const char *name,
    const char *op, const char *action, int none)
{
	struct change c = { name, op, action, NULL, (int64_t)time(NULL) };
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = change_stmt(to_sqlite(s), sql, &c, &st)) == KGW_OK)
		r = change_apply(to_sqlite(s), st, &c, none);
	sqlite3_finalize(st);
	return r;
}

static int
sqlite_user_add(struct kgw_store *s, const char *name, const char *op)
{
	return change_run(s, "INSERT INTO users (name, created, updated)"
	    " VALUES (?1, ?2, ?2) ON CONFLICT (name) DO NOTHING", name, op,
	    "add", KGW_ERR_EXISTS);
}

static int
sqlite_set_password(struct kgw_store *s, const char *name, const char *hash,
    const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct change c = { name, op, "passwd", NULL, (int64_t)time(NULL) };
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = change_stmt(ss, "UPDATE users SET pwhash = ?3, updated = ?2"
	    " WHERE name = ?1", &c, &st)) != KGW_OK ||
	    (r = bind_text(ss, st, 3, hash)) != KGW_OK)
		goto fail;
	r = change_apply(ss, st, &c, KGW_ERR_NOT_FOUND);
fail:
	sqlite3_finalize(st);
	return r;
}

/* A new secret starts with no used step; the failure count is kept. */
static int
sqlite_set_totp(struct kgw_store *s, const char *name,
    const unsigned char *sealed, size_t sealed_len, enum kgw_totp_alg alg,
    unsigned digits, const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct change c = { name, op, "totp", NULL, (int64_t)time(NULL) };
	sqlite3_stmt *st = NULL;
	char detail[48];
	int r;

	(void)snprintf(detail, sizeof(detail), "alg=%s digits=%u",
	    kgw_totp_alg_name(alg), digits);
	c.detail = detail;
	if ((r = change_stmt(ss, "UPDATE users SET totp_secret = ?3,"
	    " totp_alg = ?4, totp_digits = ?5, totp_last_step = -1,"
	    " updated = ?2 WHERE name = ?1", &c, &st)) != KGW_OK ||
	    (r = bind_ok(ss, sqlite3_bind_blob(st, 3, sealed, (int)sealed_len,
	    SQLITE_STATIC))) != KGW_OK ||
	    (r = bind_int(ss, st, 4, (int64_t)alg)) != KGW_OK ||
	    (r = bind_int(ss, st, 5, digits)) != KGW_OK)
		goto fail;
	r = change_apply(ss, st, &c, KGW_ERR_NOT_FOUND);
fail:
	sqlite3_finalize(st);
	return r;
}

static int
sqlite_revoke(struct kgw_store *s, const char *name, enum kgw_factor factor,
    const char *op)
{
	if (factor == KGW_FACTOR_PASSWORD)
		return change_run(s, "UPDATE users SET pwhash = NULL,"
		    " updated = ?2 WHERE name = ?1", name, op,
		    "revoke:password", KGW_ERR_NOT_FOUND);
	return change_run(s, "UPDATE users SET totp_secret = NULL,"
	    " totp_alg = NULL, totp_digits = NULL, totp_last_step = -1,"
	    " updated = ?2 WHERE name = ?1", name, op, "revoke:totp",
	    KGW_ERR_NOT_FOUND);
}

static int
sqlite_set_disabled(struct kgw_store *s, const char *name, bool disabled,
    const char *op)
{
	if (disabled)
		return change_run(s, "UPDATE users SET disabled = 1,"
		    " updated = ?2 WHERE name = ?1", name, op, "disable",
		    KGW_ERR_NOT_FOUND);
	return change_run(s, "UPDATE users SET disabled = 0, updated = ?2"
	    " WHERE name = ?1", name, op, "enable", KGW_ERR_NOT_FOUND);
}

static int
sqlite_unlock(struct kgw_store *s, const char *name, const char *op)
{
	return change_run(s, "UPDATE users SET fail_count = 0,"
	    " locked_until = 0, updated = ?2 WHERE name = ?1", name, op,
	    "unlock", KGW_ERR_NOT_FOUND);
}

/* The user's change records stay: changes.user is not a foreign key. */
static int
sqlite_user_delete(struct kgw_store *s, const char *name, const char *op)
{
	return change_run(s, "DELETE FROM users WHERE name = ?1", name, op,
	    "delete", KGW_ERR_NOT_FOUND);
}

static int
sqlite_list(struct kgw_store *s,
    int (*cb)(void *arg, const struct kgw_user_rec *rec), void *arg)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_user_rec rec;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = db_prepare(ss, "SELECT " USER_COLUMNS " FROM users"
	    " ORDER BY name", &st)) != KGW_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = row_user(ss, st, &rec)) != KGW_OK ||
		    (r = cb(arg, &rec)) != 0)
			goto fail;
	}
	r = rc == SQLITE_DONE ? KGW_OK : db_fail(ss, "list", rc);
fail:
	sqlite3_finalize(st);
	explicit_bzero(&rec, sizeof(rec));	/* hashes, sealed secrets */
	return r;
}

static int
sqlite_changes(struct kgw_store *s, const char *name,
    int (*cb)(void *arg, const struct kgw_change *c), void *arg)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_change c;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = db_prepare_user(ss, "SELECT time, operator, action, user"
	    " FROM changes WHERE user = ?1 ORDER BY id", name, &st)) != KGW_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = row_change(ss, st, &c)) != KGW_OK ||
		    (r = cb(arg, &c)) != 0)
			goto fail;
	}
	r = rc == SQLITE_DONE ? KGW_OK : db_fail(ss, "changes", rc);
fail:
	sqlite3_finalize(st);
	return r;
}

static const struct kgw_store_ops sqlite_ops = {
	.close = sqlite_close,
	.get_user = sqlite_get_user,
	.totp_accept = sqlite_totp_accept,
	.fail_record = sqlite_fail_record,
	.user_add = sqlite_user_add,
	.set_password = sqlite_set_password,
	.set_totp = sqlite_set_totp,
	.revoke = sqlite_revoke,
	.set_disabled = sqlite_set_disabled,
	.unlock = sqlite_unlock,
	.user_delete = sqlite_user_delete,
	.list = sqlite_list,
	.changes = sqlite_changes,
};

int
kgw_store_sqlite_open(const struct kgw_log *log, const struct kgw_conf *conf,
    int flags, struct kgw_store **store)
{
	struct sqlite_store *ss;
	int r;

	*store = NULL;
	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		return KGW_ERR_NOMEM;
	ss->base.ops = &sqlite_ops;
	ss->base.log = log;
	if (memchr(conf->store, '\0', sizeof(conf->store)) == NULL) {
		r = KGW_ERR_CONFIG;
		goto fail;
	}
	memcpy(ss->path, conf->store, sizeof(ss->path));
	if ((r = store_path_check(log, ss->path, flags)) != KGW_OK ||
	    (r = db_open(ss, conf->busy_timeout)) != KGW_OK ||
	    (r = migrate(ss, flags)) != KGW_OK)
		goto fail;
	*store = &ss->base;
	ss = NULL;
fail:
	if (ss != NULL)
		sqlite_close(&ss->base);
	return r;
}
