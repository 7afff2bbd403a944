/*
 * The SQLite store's recovery codes: a person's backup codes and the
 * helpdesk's temporary code, as keyed hashes. Issuing and revoking are
 * helpdesk changes, recorded with them; a login uses a code up with one
 * guarded UPDATE in the transaction of its commit, so that of two logins
 * racing with one code exactly one wins.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "kgw_err.h"
#include "store_sqlite.h"

/* A transaction of its own, or the batch's (kgw_store_batch_begin). */
static int
tx_begin(struct sqlite_store *ss, const char *what)
{
	if (ss->batch)
		return sqlite3_get_autocommit(ss->db) ?
		    kgw_sq_db_fail(ss, "batch lost", SQLITE_ABORT) : KGW_OK;
	return kgw_sq_begin(ss, what);
}

static int
tx_end(struct sqlite_store *ss, int r, const char *what)
{
	if (ss->batch)
		return r;	/* the batch commits, or rolls back */
	if (r == KGW_OK)
		r = kgw_sq_db_exec(ss, "COMMIT", what);
	kgw_sq_db_rollback(ss);
	return r;
}

static int
bind_hash(const struct sqlite_store *ss, sqlite3_stmt *st, int i,
    const unsigned char *hash)
{
	return kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, i, hash,
	    KGW_RECOVERY_HASH_LEN, SQLITE_STATIC));
}

/* The person is enrolled (KGW_OK) or not (KGW_ERR_NOT_FOUND). */
static int
user_exists(struct sqlite_store *ss, const char *name)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = kgw_sq_db_prepare_user(ss, "SELECT 1 FROM users"
	    " WHERE name = ?1", name, &st)) == KGW_OK) {
		rc = sqlite3_step(st);
		r = rc == SQLITE_ROW ? KGW_OK : rc == SQLITE_DONE ?
		    KGW_ERR_NOT_FOUND : kgw_sq_db_fail(ss, "user", rc);
	}
	sqlite3_finalize(st);
	return r;
}

/* The new set, after the old one went: one row per hash. */
static int
backup_insert(struct sqlite_store *ss, const char *name,
    const unsigned char (*hashes)[KGW_RECOVERY_HASH_LEN], size_t n,
    int64_t now)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int r;

	if ((r = kgw_sq_db_prepare_user(ss, "INSERT INTO backup_codes (user,"
	    " hash, created) VALUES (?1, ?2, ?3)", name, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 3, now)) != KGW_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((r = bind_hash(ss, st, 2, hashes[i])) != KGW_OK ||
		    (r = kgw_sq_db_done(ss, st, "backup_codes")) != KGW_OK)
			goto fail;
		(void)sqlite3_reset(st);
	}
fail:
	sqlite3_finalize(st);
	return r;
}

static int
backup_issue(struct sqlite_store *ss, const char *name,
    const unsigned char (*hashes)[KGW_RECOVERY_HASH_LEN], size_t n,
    const struct kgw_sq_change *c)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = user_exists(ss, name)) != KGW_OK ||
	    (r = kgw_sq_db_prepare_user(ss, "DELETE FROM backup_codes"
	    " WHERE user = ?1", name, &st)) != KGW_OK ||
	    (r = kgw_sq_db_done(ss, st, "backup_codes")) != KGW_OK ||
	    (r = backup_insert(ss, name, hashes, n, c->time)) != KGW_OK)
		goto fail;
	r = kgw_sq_change_record(ss, c);
fail:
	sqlite3_finalize(st);
	return r;
}

/* One temp code a person: a new one replaces the old, used or not. */
static int
temp_issue(struct sqlite_store *ss, const char *name,
    const unsigned char *hash, int64_t expires, const struct kgw_sq_change *c)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_db_prepare_user(ss, "INSERT INTO temp_codes (user,"
	    " hash, created, expires, operator) SELECT ?1, ?2, ?3, ?4, ?5"
	    " WHERE EXISTS (SELECT 1 FROM users WHERE name = ?1)"
	    " ON CONFLICT (user) DO UPDATE SET hash = excluded.hash,"
	    " created = excluded.created, expires = excluded.expires,"
	    " operator = excluded.operator, used = 0, used_at = 0",
	    name, &st)) != KGW_OK ||
	    (r = bind_hash(ss, st, 2, hash)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 3, c->time)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 4, expires)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 5, c->op)) != KGW_OK ||
	    (r = kgw_sq_db_done(ss, st, "temp_code")) != KGW_OK)
		goto fail;
	if (sqlite3_changes(ss->db) != 1) {
		r = KGW_ERR_NOT_FOUND;
		goto fail;
	}
	r = kgw_sq_change_record(ss, c);
fail:
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_recovery_issue(struct kgw_store *s, const char *name,
    enum kgw_recovery_kind kind,
    const unsigned char (*hashes)[KGW_RECOVERY_HASH_LEN], size_t n,
    int64_t expires, const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = { name, op, NULL, NULL, (int64_t)time(NULL),
	    false };
	char detail[64];
	int r;

	if (kind == KGW_RECOVERY_BACKUP) {
		c.action = "backup_codes";
		(void)snprintf(detail, sizeof(detail), "count=%zu", n);
	} else {
		c.action = "temp_code";
		(void)snprintf(detail, sizeof(detail), "expires=%lld ttl=%lld",
		    (long long)expires, (long long)(expires - c.time));
	}
	c.detail = detail;
	if ((r = tx_begin(ss, c.action)) != KGW_OK)
		return r;
	if (kind == KGW_RECOVERY_BACKUP)
		r = backup_issue(ss, name, hashes, n, &c);
	else
		r = temp_issue(ss, name, hashes[0], expires, &c);
	return tx_end(ss, r, c.action);
}

int
kgw_sq_recovery_revoke(struct kgw_store *s, const char *name,
    enum kgw_recovery_kind kind, const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	bool backup = kind == KGW_RECOVERY_BACKUP;
	struct kgw_sq_change c = { name, op, backup ? "revoke:backup_codes" :
	    "revoke:temp_code", NULL, (int64_t)time(NULL), true };
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_change_stmt(ss, backup ?
	    "DELETE FROM backup_codes WHERE user = ?1" :
	    "DELETE FROM temp_codes WHERE user = ?1", &c, &st)) == KGW_OK)
		r = kgw_sq_change_apply(ss, st, &c, KGW_ERR_NOT_FOUND);
	sqlite3_finalize(st);
	return r;
}

/* One row of the lookup: kind, id, used, expires. */
static int
row_match(const struct sqlite_store *ss, sqlite3_stmt *st, const char *name,
    struct kgw_recovery_match *m)
{
	int64_t kind, used;

	if (!kgw_sq_col_int(st, 0, KGW_RECOVERY_BACKUP, KGW_RECOVERY_TEMP,
	    &kind) || !kgw_sq_col_int(st, 1, 0, INT64_MAX, &m->id) ||
	    !kgw_sq_col_int(st, 2, 0, 1, &used) ||
	    !kgw_sq_col_int(st, 3, 0, INT64_MAX, &m->expires)) {
		kgw_log_err(ss->base.log, "store recovery row invalid: path=%s "
		    "user=%s", ss->path, name);
		return KGW_ERR_STORE;
	}
	m->kind = (enum kgw_recovery_kind)kind;
	m->used = used != 0;
	return KGW_OK;
}

int
kgw_sq_recovery_find(struct kgw_store *s, const char *name,
    const unsigned char *hash, struct kgw_recovery_match *m)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = kgw_sq_db_prepare_user(ss, "SELECT 1, id, used, 0"
	    " FROM backup_codes WHERE user = ?1 AND hash = ?2"
	    " UNION ALL SELECT 2, 0, used, expires FROM temp_codes"
	    " WHERE user = ?1 AND hash = ?2", name, &st)) != KGW_OK ||
	    (r = bind_hash(ss, st, 2, hash)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = row_match(ss, st, name, m)) == KGW_OK)
			memcpy(m->hash, hash, KGW_RECOVERY_HASH_LEN);
	} else {
		r = rc == SQLITE_DONE ? KGW_ERR_NOT_FOUND :
		    kgw_sq_db_fail(ss, "recovery_find", rc);
	}
fail:
	sqlite3_finalize(st);
	return r;
}

/* Uses the code up: one statement, so one login of several wins. */
static int
code_use(struct sqlite_store *ss, const char *name,
    const struct kgw_recovery_match *m, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_db_prepare_user(ss, m->kind == KGW_RECOVERY_BACKUP ?
	    "UPDATE backup_codes SET used = 1, used_at = ?3 WHERE user = ?1"
	    " AND hash = ?2 AND id = ?4 AND used = 0" :
	    "UPDATE temp_codes SET used = 1, used_at = ?3 WHERE user = ?1"
	    " AND hash = ?2 AND used = 0 AND expires > ?3", name, &st)) !=
	    KGW_OK ||
	    (r = bind_hash(ss, st, 2, m->hash)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 3, now)) != KGW_OK ||
	    (m->kind == KGW_RECOVERY_BACKUP &&
	    (r = kgw_sq_bind_int(ss, st, 4, m->id)) != KGW_OK) ||
	    (r = kgw_sq_db_done(ss, st, "recovery_use")) != KGW_OK)
		goto fail;
	if (sqlite3_changes(ss->db) != 1)
		r = KGW_ERR_REPLAY;	/* told apart by use_refusal */
fail:
	sqlite3_finalize(st);
	return r;
}

/* Why the code could not be used: as the row is now. */
static int
use_refusal(struct sqlite_store *ss, const char *name,
    const struct kgw_recovery_match *m, int64_t now)
{
	struct kgw_recovery_match cur;
	int r;

	memset(&cur, 0, sizeof(cur));
	r = kgw_sq_recovery_find(&ss->base, name, m->hash, &cur);
	if (r == KGW_ERR_NOT_FOUND || (r == KGW_OK && (cur.kind != m->kind ||
	    cur.id != m->id)))
		return KGW_ERR_NO_FACTOR;	/* revoked or replaced */
	if (r != KGW_OK)
		return r;
	if (cur.used)
		return KGW_ERR_REPLAY;
	return cur.kind == KGW_RECOVERY_TEMP && cur.expires <= now ?
	    KGW_ERR_DENIED : KGW_ERR_STORE;
}

int
kgw_sq_recovery_accept(struct kgw_store *s, const struct kgw_user_rec *seen,
    const struct kgw_recovery_match *m, int64_t now,
    const struct kgw_audit_rec *audit)
{
	struct sqlite_store *ss = to_sqlite(s);
	int r;

	if ((r = kgw_sq_begin(ss, "recovery_accept")) != KGW_OK)
		return r;
	if ((r = code_use(ss, seen->name, m, now)) == KGW_ERR_REPLAY)
		r = use_refusal(ss, seen->name, m, now);
	if (r == KGW_OK &&
	    (r = kgw_sq_user_accept(ss, seen, -1, now, audit)) == KGW_OK &&
	    (r = kgw_sq_audit_append(ss, audit)) == KGW_OK)
		r = kgw_sq_db_exec(ss, "COMMIT", "recovery_accept");
	kgw_sq_db_rollback(ss);
	return r;
}
