/*
 * The SQLite store's connection: safe opening, schema migrations, and the
 * busy and WAL handling that keep a login to one fsync.
 */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "kgw_err.h"
#include "kgw_path.h"
#include "store_sqlite.h"

/*
 * The schema's history, oldest first: migrations[i] takes user_version i to
 * i + 1. Never edit an entry once released; append a new one instead.
 * Every connection parses this text again, on every login, so it stays
 * lean: no CHECK constraints. They would be a second line only, since
 * every row read is validated in full (kgw_sq_row_user), the file not
 * being the only way rows get written.
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

	/* The zones a person is authorised for (kgw_zone_list_normalize). */
	"ALTER TABLE users ADD COLUMN zones TEXT NOT NULL DEFAULT '';",

	/* Security keys (struct kgw_fido2_rec); they go with their person. */
	"CREATE TABLE fido2 ("
	" id INTEGER PRIMARY KEY,"
	" user TEXT NOT NULL,"
	" label TEXT NOT NULL,"
	" cred_id BLOB NOT NULL UNIQUE,"
	" sealed BLOB NOT NULL,"
	" aaguid BLOB NOT NULL,"
	" sign_count INTEGER NOT NULL DEFAULT 0,"
	" flagged INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" last_used INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (user, label)"
	") STRICT;"
	"CREATE TRIGGER users_delete_fido2 AFTER DELETE ON users"
	" BEGIN DELETE FROM fido2 WHERE user = old.name; END;",

	/* The audit trail (kgw_audit.h): records and the chain's head. */
	"CREATE TABLE audit ("
	" seq INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" kind TEXT NOT NULL, host TEXT NOT NULL, host_zone TEXT NOT NULL,"
	" service TEXT NOT NULL, user TEXT NOT NULL, rhost TEXT NOT NULL,"
	" src_zone TEXT NOT NULL, tty TEXT NOT NULL, factors TEXT NOT NULL,"
	" result TEXT NOT NULL, reason TEXT NOT NULL, rule TEXT NOT NULL,"
	" operator TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL,"
	" mac BLOB NOT NULL"
	") STRICT;"
	"CREATE TABLE audit_head ("
	" id INTEGER PRIMARY KEY,"
	" base_seq INTEGER NOT NULL, base_mac BLOB NOT NULL,"
	" seq INTEGER NOT NULL, mac BLOB NOT NULL, head_mac BLOB NOT NULL"
	") STRICT;",

	/*
	 * Recovery and enrolment safety (kgw_recovery.h): the token's clock
	 * offset in steps, learned by logins (totp_drift) within
	 * totp_max_drift of the one resync found (totp_drift_base); backup
	 * and temporary codes, kept only as keyed hashes; a new TOTP waiting
	 * for its first code. All go with their person, and a pending TOTP
	 * with any change of the active one.
	 */
	"ALTER TABLE users ADD COLUMN totp_drift INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN totp_drift_base INTEGER NOT NULL"
	" DEFAULT 0;"
	"CREATE TABLE backup_codes ("
	" id INTEGER PRIMARY KEY,"
	" user TEXT NOT NULL,"
	" hash BLOB NOT NULL,"
	" created INTEGER NOT NULL,"
	" used INTEGER NOT NULL DEFAULT 0,"
	" used_at INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (user, hash)"
	") STRICT;"
	"CREATE TABLE temp_codes ("
	" user TEXT PRIMARY KEY NOT NULL,"
	" hash BLOB NOT NULL,"
	" created INTEGER NOT NULL,"
	" expires INTEGER NOT NULL,"
	" operator TEXT NOT NULL,"
	" used INTEGER NOT NULL DEFAULT 0,"
	" used_at INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE TABLE totp_pending ("
	" user TEXT PRIMARY KEY NOT NULL,"
	" secret BLOB NOT NULL,"
	" alg INTEGER NOT NULL,"
	" digits INTEGER NOT NULL,"
	" created INTEGER NOT NULL"
	") STRICT;"
	"CREATE TRIGGER users_delete_recovery AFTER DELETE ON users BEGIN"
	" DELETE FROM backup_codes WHERE user = old.name;"
	" DELETE FROM temp_codes WHERE user = old.name;"
	" DELETE FROM totp_pending WHERE user = old.name; END;"
	"CREATE TRIGGER users_totp_pending AFTER UPDATE OF totp_secret ON users"
	" BEGIN DELETE FROM totp_pending WHERE user = new.name; END;",

	/*
	 * The account lifecycle: a role (kgw_role.h), an expiry time, a
	 * temporary password, and the last login with the failures since.
	 */
	"ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN pw_temporary INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN last_login INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN last_from TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN fails_since INTEGER NOT NULL"
	" DEFAULT 0;",

	/*
	 * The city-wide store's offline cache (store_ldap_cache.c): when a
	 * person was last read from the directory, whether a login changed
	 * them here while it could not be reached (dirty) and the failures
	 * it counted meanwhile, both pushed up when it returns; and when
	 * this host last reached it.
	 */
	"CREATE TABLE dir_cache ("
	" user TEXT PRIMARY KEY NOT NULL,"
	" fetched INTEGER NOT NULL,"
	" offline_fails INTEGER NOT NULL DEFAULT 0,"
	" dirty INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE TABLE dir_contact ("
	" id INTEGER PRIMARY KEY,"
	" last INTEGER NOT NULL"
	") STRICT;"
	"CREATE TRIGGER users_delete_dir_cache AFTER DELETE ON users"
	" BEGIN DELETE FROM dir_cache WHERE user = old.name; END;",
};
#define SCHEMA_VERSION ((int64_t)(sizeof(migrations) / sizeof(migrations[0])))

static int
schema_version(struct sqlite_store *ss, int64_t *version)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	*version = 0;
	if ((r = kgw_sq_db_prepare(ss, "PRAGMA user_version", &st)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = kgw_sq_db_fail(ss, "schema", rc);
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

	if ((r = kgw_sq_begin(ss, "migrate")) != KGW_OK ||
	    (r = schema_version(ss, &v)) != KGW_OK)
		goto fail;
	if (v == from) {
		(void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
		    (long long)from + 1);
		if ((r = kgw_sq_db_exec(ss, migrations[from], "migrate")) !=
		    KGW_OK ||
		    (r = kgw_sq_db_exec(ss, sql, "migrate")) != KGW_OK)
			goto fail;
	}
	if ((r = kgw_sq_db_exec(ss, "COMMIT", "migrate")) != KGW_OK)
		goto fail;
	if (v == from)
		kgw_log_info(ss->base.log, "store migrated: path=%s "
		    "version=%lld", ss->path, (long long)from + 1);
fail:
	kgw_sq_db_rollback(ss);
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
	/* A new store: its audit trail starts when it is armed. */
	ss->base.fresh = v == 0;
	/* WAL persists in the file: set it once, when creating or upgrading. */
	if (v >= 0 && v < SCHEMA_VERSION &&
	    (r = kgw_sq_db_exec(ss, "PRAGMA journal_mode = WAL", "wal")) !=
	    KGW_OK)
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
		r = kgw_sq_db_fail(ss, "open", rc);
		goto fail;
	}
	ss->busy_timeout = busy_timeout > INT_MAX ? INT_MAX : (int)busy_timeout;
	if ((rc = sqlite3_busy_handler(ss->db, busy_wait, ss)) != SQLITE_OK ||
	    (rc = sqlite3_db_config(ss->db, SQLITE_DBCONFIG_DEFENSIVE, 1,
	    (int *)NULL)) != SQLITE_OK ||
	    (rc = keep_wal(ss)) != SQLITE_OK) {
		r = kgw_sq_db_fail(ss, "open", rc);
		goto fail;
	}
	r = kgw_sq_db_exec(ss, "PRAGMA trusted_schema = OFF;"
	    " PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;"
	    " PRAGMA synchronous = FULL;", "open");
fail:
	return r;
}

/* Checks the path (creating the file when asked), opens and migrates. */
int
kgw_sq_open(struct sqlite_store *ss, unsigned busy_timeout, int flags)
{
	int r;

	if ((r = store_path_check(ss->base.log, ss->path, flags)) != KGW_OK ||
	    (r = db_open(ss, busy_timeout)) != KGW_OK)
		goto fail;
	r = migrate(ss, flags);
fail:
	return r;
}

/*
 * Connections keep the WAL file and skip the checkpoint on close (see
 * keep_wal): a store's last commits may live in -wal only. A checkpoint
 * that empties it puts them in the main file.
 */
int
kgw_sq_standalone(struct kgw_store *s)
{
	struct sqlite_store *ss = to_sqlite(s);
	int frames = -1, copied = -1, rc;

	if (ss->batch)
		return KGW_ERR_INTERNAL;
	rc = sqlite3_wal_checkpoint_v2(ss->db, "main",
	    SQLITE_CHECKPOINT_TRUNCATE, &frames, &copied);
	if (rc != SQLITE_OK)
		return kgw_sq_db_fail(ss, "checkpoint", rc);
	if (frames != 0 || copied != 0)
		return kgw_sq_db_fail(ss, "checkpoint", SQLITE_BUSY);
	return KGW_OK;
}

void
kgw_sq_close(struct sqlite_store *ss)
{
	if (ss->db != NULL && sqlite3_close_v2(ss->db) != SQLITE_OK)
		(void)kgw_sq_db_fail(ss, "close", SQLITE_ERROR);
}
