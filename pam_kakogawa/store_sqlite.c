/*
 * The SQLite backend of the credential store: helpdesk changes recorded
 * with their author in the same transaction, and login state updated by
 * single atomic statements.
 */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "kgw_err.h"
#include "store_sqlite.h"

/*
 * The failure count saturates far below any overflow, so that no number of
 * guesses can wrap it back under the lockout threshold.
 */
#define FAIL_NEXT "(CASE WHEN locked_until != 0 AND locked_until <= ?2" \
	" THEN 1 ELSE min(fail_count, 1000000) + 1 END)"

static void
sqlite_close(struct kgw_store *s)
{
	struct sqlite_store *ss = to_sqlite(s);

	kgw_sq_close(ss);
	kgw_key_wipe(&ss->base.audit_key);
	free(ss);
}

static int
sqlite_get_user(struct kgw_store *s, const char *name,
    struct kgw_user_rec *rec)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = kgw_sq_db_prepare_user(ss, "SELECT " USER_COLUMNS " FROM users"
	    " WHERE name = ?1", name, &st)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = kgw_sq_row_user(ss, st, rec);
	else if (rc == SQLITE_DONE)
		r = KGW_ERR_NOT_FOUND;
	else
		r = kgw_sq_db_fail(ss, "get_user", rc);
fail:
	sqlite3_finalize(st);
	return r;
}

/* Why an accept changed nothing: the row as it is now says. */
static int
accept_refusal(struct kgw_store *s, const struct kgw_user_rec *seen,
    bool totp, int64_t now)
{
	struct kgw_user_rec rec;
	int r;

	memset(&rec, 0, sizeof(rec));	/* as kgw_store_get_user does */
	if ((r = sqlite_get_user(s, seen->name, &rec)) == KGW_OK)
		r = kgw_store_refusal(&rec, seen, totp, now);
	explicit_bzero(&rec, sizeof(rec));
	return r;
}

/* What a login saw at its start, still true at its commit. */
#define ACCEPT_WHERE " WHERE name = ?1 AND disabled = 0" \
	" AND (locked_until = 0 OR locked_until <= ?3) AND zones = ?5" \
	" AND coalesce(pwhash, '') = ?6 AND (expires = 0 OR expires > ?3)"

/*
 * One statement, so one implicit transaction: of two logins racing with the
 * same code, exactly one changes the row; and a lock, disable or new secret
 * written by another session since this login began is seen here. Clearing
 * locked_until only ever clears a lock that has expired.
 */
int
kgw_sq_user_accept(struct sqlite_store *ss, const struct kgw_user_rec *seen,
    int64_t step, int64_t now, const struct kgw_audit_rec *audit)
{
	bool totp = step >= 0;
	sqlite3_stmt *st = NULL;
	int r;

	/* Every condition is checked again here, at commit time. */
	if ((r = kgw_sq_db_prepare_user(ss, totp ? "UPDATE users SET"
	    " totp_last_step = ?2, totp_drift = ?7, fail_count = 0,"
	    " locked_until = 0"
	    ACCEPT_WHERE " AND totp_last_step < ?2 AND totp_secret = ?4" :
	    "UPDATE users SET fail_count = 0, locked_until = 0" ACCEPT_WHERE,
	    seen->name, &st)) != KGW_OK ||
	    (totp && (r = kgw_sq_bind_int(ss, st, 2, step)) != KGW_OK) ||
	    (totp && (r = kgw_sq_bind_int(ss, st, 7, seen->totp_drift)) !=
	    KGW_OK) ||
	    (r = kgw_sq_bind_int(ss, st, 3, now)) != KGW_OK ||
	    (totp && (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 4,
	    seen->totp_sealed, (int)seen->totp_sealed_len, SQLITE_STATIC))) !=
	    KGW_OK) ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_text(st, 5, seen->zones, -1,
	    SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_text(st, 6, seen->pwhash, -1,
	    SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_db_done(ss, st, "accept")) != KGW_OK)
		goto fail;
	if (sqlite3_changes(ss->db) != 1)
		r = accept_refusal(&ss->base, seen, totp, now);
	else
		r = kgw_sq_login_note(ss, seen->name, now, audit);
fail:
	sqlite3_finalize(st);
	return r;
}

/* The login's commit and the record of it: one transaction, one fsync. */
static int
sqlite_totp_accept(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t step, int64_t now, const struct kgw_audit_rec *audit)
{
	struct sqlite_store *ss = to_sqlite(s);
	int r;

	if (step < 0)
		return KGW_ERR_INVALID;
	if ((r = kgw_sq_begin(ss, "accept")) != KGW_OK)
		return r;
	if ((r = kgw_sq_user_accept(ss, seen, step, now, audit)) == KGW_OK &&
	    (r = kgw_sq_audit_append(ss, audit)) == KGW_OK)
		r = kgw_sq_db_exec(ss, "COMMIT", "accept");
	kgw_sq_db_rollback(ss);
	return r;
}

/* The failure's record says when it locked the account. */
static int
fail_audit(struct sqlite_store *ss, const struct kgw_audit_rec *audit,
    unsigned count, bool locked, int64_t until)
{
	struct kgw_audit_rec a = *audit;
	char detail[96];

	if (locked && until == KGW_LOCK_FOREVER)
		(void)snprintf(detail, sizeof(detail), "failures=%u locked=yes "
		    "until=unlock", count);
	else if (locked)
		(void)snprintf(detail, sizeof(detail), "failures=%u locked=yes "
		    "until=%lld", count, (long long)until);
	else
		(void)snprintf(detail, sizeof(detail), "failures=%u", count);
	kgw_audit_set_detail(&a, detail);
	return kgw_sq_audit_append(ss, &a);
}

/*
 * One statement: every SET expression sees the old row. An expired timed
 * lock restarts the count at 1; a lock in force is kept as it is, never
 * extended by further failures.
 */
static int
fail_count(struct sqlite_store *ss, const char *name, int64_t now,
    unsigned attempts, unsigned lock_seconds, int64_t *count, int64_t *until)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	*until = KGW_LOCK_FOREVER;
	if (lock_seconds != 0 && now <= INT64_MAX - lock_seconds)
		*until = now + lock_seconds;
	if ((r = kgw_sq_db_prepare_user(ss, "UPDATE users SET fail_count = "
	    FAIL_NEXT ", fails_since = min(fails_since, 1000000) + 1,"
	    " locked_until = CASE WHEN locked_until > ?2"
	    " THEN locked_until WHEN " FAIL_NEXT " >= ?3 THEN ?4 ELSE 0 END"
	    " WHERE name = ?1 RETURNING fail_count, locked_until",
	    name, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 2, now)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 3, attempts)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 4, *until)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? KGW_ERR_NOT_FOUND :
		    kgw_sq_db_fail(ss, "fail_record", rc);
		goto fail;
	}
	if (!kgw_sq_col_int(st, 0, 1, UINT_MAX, count) ||
	    !kgw_sq_col_int(st, 1, 0, INT64_MAX, until)) {
		kgw_log_err(ss->base.log, "store row invalid: path=%s user=%s "
		    "field=fail_count", ss->path, name);
		r = KGW_ERR_STORE;
		goto fail;
	}
	r = kgw_sq_db_done(ss, st, "fail_record");
fail:
	sqlite3_finalize(st);
	return r;
}

/* The count, the lock it may cause, and the record: one transaction. */
static int
sqlite_fail_record(struct kgw_store *s, const char *name, int64_t now,
    unsigned attempts, unsigned lock_seconds, unsigned *count, bool *locked,
    const struct kgw_audit_rec *audit)
{
	struct sqlite_store *ss = to_sqlite(s);
	int64_t n = 0, until = 0;
	int r;

	if (now < 0)
		return KGW_ERR_INVALID;
	if ((r = kgw_sq_begin(ss, "fail_record")) != KGW_OK)
		return r;
	if ((r = fail_count(ss, name, now, attempts, lock_seconds, &n,
	    &until)) != KGW_OK)
		goto fail;
	*count = (unsigned)n;
	*locked = until != 0 && now < until;
	if ((r = fail_audit(ss, audit, *count, *locked, until)) == KGW_OK)
		r = kgw_sq_db_exec(ss, "COMMIT", "fail_record");
fail:
	kgw_sq_db_rollback(ss);
	return r;
}

/* A statement on one user: ?1 is the name and ?2, when used, the time. */
int
kgw_sq_change_stmt(struct sqlite_store *ss, const char *sql,
    const struct kgw_sq_change *c, sqlite3_stmt **st)
{
	int r;

	if ((r = kgw_sq_db_prepare_user(ss, sql, c->user, st)) != KGW_OK)
		return r;
	if (sqlite3_bind_parameter_count(*st) >= 2)
		r = kgw_sq_bind_int(ss, *st, 2, c->time);
	return r;
}

/* A helpdesk change in the audit trail, by this host, in its transaction. */
static int
change_audit(struct sqlite_store *ss, const struct kgw_sq_change *c)
{
	struct kgw_audit_rec a;

	memset(&a, 0, sizeof(a));
	a.time = c->time;
	kgw_audit_set(&a, KGW_AF_KIND, "change");
	kgw_audit_set(&a, KGW_AF_HOST, ss->base.host);
	kgw_audit_set(&a, KGW_AF_USER, c->user);
	kgw_audit_set(&a, KGW_AF_RESULT, "ok");
	kgw_audit_set(&a, KGW_AF_OPERATOR, c->op);
	kgw_audit_set(&a, KGW_AF_ACTION, c->action);
	kgw_audit_set_detail(&a, c->detail);
	return kgw_sq_audit_append(ss, &a);
}

int
kgw_sq_change_record(struct sqlite_store *ss, const struct kgw_sq_change *c)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_db_prepare(ss, "INSERT INTO changes (time, operator,"
	    " action, user, detail) VALUES (?1, ?2, ?3, ?4, ?5)", &st)) !=
	    KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 1, c->time)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 2, c->op)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 3, c->action)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 4, c->user)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 5, c->detail)) != KGW_OK)
		goto fail;
	if ((r = kgw_sq_db_done(ss, st, "change")) == KGW_OK)
		r = change_audit(ss, c);
fail:
	sqlite3_finalize(st);
	return r;
}

/*
 * Runs st, which changes one user row, and records c in the same
 * transaction: both happen or neither. none is the result when st matched
 * no row (the user is missing, or already there for an add).
 */
int
kgw_sq_change_apply(struct sqlite_store *ss, sqlite3_stmt *st,
    const struct kgw_sq_change *c, int none)
{
	int r;

	/*
	 * In a batch the transaction is the batch's, and so is a rollback.
	 * SQLite may have rolled it back already (an I/O error, a full
	 * disk): then nothing more may run, lest it commit on its own.
	 */
	if (ss->batch && sqlite3_get_autocommit(ss->db))
		return kgw_sq_db_fail(ss, "batch lost", SQLITE_ABORT);
	if ((!ss->batch && (r = kgw_sq_begin(ss, c->action)) !=
	    KGW_OK) ||
	    (r = kgw_sq_db_done(ss, st, c->action)) != KGW_OK)
		goto fail;
	if (c->many ? sqlite3_changes(ss->db) < 1 :
	    sqlite3_changes(ss->db) != 1) {
		r = none;
		goto fail;
	}
	if ((r = kgw_sq_change_record(ss, c)) != KGW_OK || ss->batch)
		goto fail;
	r = kgw_sq_db_exec(ss, "COMMIT", c->action);
fail:
	if (!ss->batch)
		kgw_sq_db_rollback(ss);
	return r;
}

/* A change whose statement needs no parameter beyond name and time. */
static int
change_run(struct kgw_store *s, const char *sql, const char *name,
    const char *op, const char *action, int none)
{
	struct kgw_sq_change c = {
		name, op, action, NULL, (int64_t)time(NULL), false
	};
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_change_stmt(to_sqlite(s), sql, &c, &st)) == KGW_OK)
		r = kgw_sq_change_apply(to_sqlite(s), st, &c, none);
	sqlite3_finalize(st);
	return r;
}

/* A change that writes the zones column (?3); the list is its detail. */
static int
zones_change(struct kgw_store *s, const char *sql, const char *name,
    const char *zones, const char *op, const char *action, int none)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		name, op, action, NULL, (int64_t)time(NULL), false
	};
	sqlite3_stmt *st = NULL;
	char detail[KGW_ZONE_LIST_MAX + 8];
	int r;

	(void)snprintf(detail, sizeof(detail), "zones=%s", zones);
	c.detail = detail;
	if ((r = kgw_sq_change_stmt(ss, sql, &c, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 3, zones)) != KGW_OK)
		goto fail;
	r = kgw_sq_change_apply(ss, st, &c, none);
fail:
	sqlite3_finalize(st);
	return r;
}

static int
sqlite_user_add(struct kgw_store *s, const char *name, const char *zones,
    const char *op)
{
	return zones_change(s, "INSERT INTO users (name, zones, created,"
	    " updated) VALUES (?1, ?3, ?2, ?2) ON CONFLICT (name) DO NOTHING",
	    name, zones, op, "add", KGW_ERR_EXISTS);
}

static int
sqlite_set_zones(struct kgw_store *s, const char *name, const char *zones,
    const char *op)
{
	return zones_change(s, "UPDATE users SET zones = ?3, updated = ?2"
	    " WHERE name = ?1", name, zones, op, "zones", KGW_ERR_NOT_FOUND);
}

static int
sqlite_batch_begin(struct kgw_store *s)
{
	struct sqlite_store *ss = to_sqlite(s);
	int r;

	if (ss->batch)
		return KGW_ERR_INTERNAL;
	if ((r = kgw_sq_begin(ss, "batch")) == KGW_OK)
		ss->batch = true;
	return r;
}

static int
sqlite_batch_end(struct kgw_store *s, bool commit)
{
	struct sqlite_store *ss = to_sqlite(s);
	int r = KGW_OK;

	if (!ss->batch)
		return KGW_ERR_INTERNAL;
	ss->batch = false;
	if (commit)
		r = kgw_sq_db_exec(ss, "COMMIT", "batch");
	kgw_sq_db_rollback(ss);
	return r;
}

/* A temporary password is to be changed by its owner at their login. */
static int
sqlite_set_password(struct kgw_store *s, const char *name, const char *hash,
    bool temporary, const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		name, op, "passwd", NULL, (int64_t)time(NULL), false
	};
	sqlite3_stmt *st = NULL;
	int r;

	c.detail = temporary ? "temporary=yes" : NULL;
	if ((r = kgw_sq_change_stmt(ss, "UPDATE users SET pwhash = ?3,"
	    " pw_temporary = ?4, updated = ?2 WHERE name = ?1", &c, &st)) !=
	    KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 3, hash)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 4, temporary ? 1 : 0)) != KGW_OK)
		goto fail;
	r = kgw_sq_change_apply(ss, st, &c, KGW_ERR_NOT_FOUND);
fail:
	sqlite3_finalize(st);
	return r;
}

/*
 * A new secret starts with no used step and no offset (and drops a
 * pending one: a trigger); the failure count is kept.
 */
static int
sqlite_set_totp(struct kgw_store *s, const char *name,
    const unsigned char *sealed, size_t sealed_len, enum kgw_totp_alg alg,
    unsigned digits, const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		name, op, "totp", NULL, (int64_t)time(NULL), false
	};
	sqlite3_stmt *st = NULL;
	char detail[48];
	int r;

	(void)snprintf(detail, sizeof(detail), "alg=%s digits=%u",
	    kgw_totp_alg_name(alg), digits);
	c.detail = detail;
	if ((r = kgw_sq_change_stmt(ss, "UPDATE users SET totp_secret = ?3,"
	    " totp_alg = ?4, totp_digits = ?5, totp_last_step = -1,"
	    " totp_drift = 0, totp_drift_base = 0,"
	    " updated = ?2 WHERE name = ?1", &c, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 3, sealed,
	    (int)sealed_len, SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 4, (int64_t)alg)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 5, digits)) != KGW_OK)
		goto fail;
	r = kgw_sq_change_apply(ss, st, &c, KGW_ERR_NOT_FOUND);
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
	    " totp_drift = 0, totp_drift_base = 0,"
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

	if ((r = kgw_sq_db_prepare(ss, "SELECT " USER_COLUMNS " FROM users"
	    " ORDER BY name", &st)) != KGW_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = kgw_sq_row_user(ss, st, &rec)) != KGW_OK ||
		    (r = cb(arg, &rec)) != 0)
			goto fail;
	}
	r = rc == SQLITE_DONE ? KGW_OK : kgw_sq_db_fail(ss, "list", rc);
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

	if ((r = kgw_sq_db_prepare_user(ss, "SELECT time, operator, action,"
	    " user, detail FROM changes WHERE user = ?1 ORDER BY id", name,
	    &st)) !=
	    KGW_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = kgw_sq_row_change(ss, st, &c)) != KGW_OK ||
		    (r = cb(arg, &c)) != 0)
			goto fail;
	}
	r = rc == SQLITE_DONE ? KGW_OK : kgw_sq_db_fail(ss, "changes", rc);
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
	.set_zones = sqlite_set_zones,
	.batch_begin = sqlite_batch_begin,
	.batch_end = sqlite_batch_end,
	.set_password = sqlite_set_password,
	.set_role = kgw_sq_set_role,
	.set_expires = kgw_sq_set_expires,
	.password_change = kgw_sq_password_change,
	.account_accept = kgw_sq_account_accept,
	.set_totp = sqlite_set_totp,
	.revoke = sqlite_revoke,
	.set_disabled = sqlite_set_disabled,
	.unlock = sqlite_unlock,
	.user_delete = sqlite_user_delete,
	.list = sqlite_list,
	.changes = sqlite_changes,
	.fido2_add = kgw_sq_fido2_add,
	.fido2_list = kgw_sq_fido2_list,
	.fido2_revoke = kgw_sq_fido2_revoke,
	.fido2_accept = kgw_sq_fido2_accept,
	.audit_add = kgw_sq_audit_add,
	.audit_head = kgw_sq_audit_head,
	.audit_list = kgw_sq_audit_list,
	.audit_start = kgw_sq_audit_start,
	.audit_note = kgw_sq_audit_note,
	.audit_put = kgw_sq_audit_put,
	.audit_rehead = kgw_sq_audit_rehead,
	.standalone = kgw_sq_standalone,
	.audit_cut = kgw_sq_audit_cut,
	.recovery_issue = kgw_sq_recovery_issue,
	.recovery_revoke = kgw_sq_recovery_revoke,
	.recovery_find = kgw_sq_recovery_find,
	.recovery_accept = kgw_sq_recovery_accept,
	.totp_pending_set = kgw_sq_totp_pending_set,
	.totp_pending_get = kgw_sq_totp_pending_get,
	.totp_confirm = kgw_sq_totp_confirm,
	.totp_resync = kgw_sq_totp_resync,
	.user_read = kgw_sq_user_read,
	.user_write = kgw_sq_user_write,
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
	if ((r = kgw_sq_open(ss, conf->busy_timeout, flags)) != KGW_OK)
		goto fail;
	*store = &ss->base;
	ss = NULL;
fail:
	if (ss != NULL)
		sqlite_close(&ss->base);
	return r;
}
