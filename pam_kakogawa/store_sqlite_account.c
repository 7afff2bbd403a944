/*
 * The SQLite store's account lifecycle: roles and expiry set by the
 * helpdesk, a person's own password change, and the last login noted
 * with the commit that allows it.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "kgw_err.h"
#include "store_sqlite.h"

int
kgw_sq_set_role(struct kgw_store *s, const char *name, const char *role,
    const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		name, op, "role", NULL, (int64_t)time(NULL), false
	};
	char detail[KGW_ROLE_NAME_MAX + 8];
	sqlite3_stmt *st = NULL;
	int r;

	(void)snprintf(detail, sizeof(detail), "role=%s", role[0] != '\0' ?
	    role : KGW_ROLE_DEFAULT);
	c.detail = detail;
	if ((r = kgw_sq_change_stmt(ss, "UPDATE users SET role = ?3,"
	    " updated = ?2 WHERE name = ?1", &c, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 3, role)) != KGW_OK)
		goto fail;
	r = kgw_sq_change_apply(ss, st, &c, KGW_ERR_NOT_FOUND);
fail:
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_set_expires(struct kgw_store *s, const char *name, int64_t expires,
    const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		name, op, "expires", NULL, (int64_t)time(NULL), false
	};
	char detail[48];
	sqlite3_stmt *st = NULL;
	int r;

	kgw_store_expires_detail(expires, detail, sizeof(detail));
	c.detail = detail;
	if ((r = kgw_sq_change_stmt(ss, "UPDATE users SET expires = ?3,"
	    " updated = ?2 WHERE name = ?1", &c, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 3, expires)) != KGW_OK)
		goto fail;
	r = kgw_sq_change_apply(ss, st, &c, KGW_ERR_NOT_FOUND);
fail:
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_login_note(struct sqlite_store *ss, const char *name, int64_t now,
    const struct kgw_audit_rec *audit)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_db_prepare_user(ss, "UPDATE users SET last_login = ?2,"
	    " last_from = ?3, fails_since = 0 WHERE name = ?1", name, &st)) !=
	    KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 2, now)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 3, kgw_store_record_from(audit))) != KGW_OK ||
	    (r = kgw_sq_db_done(ss, st, "login_note")) != KGW_OK)
		goto fail;
	if (sqlite3_changes(ss->db) != 1)
		r = KGW_ERR_NOT_FOUND;
fail:
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_account_accept(struct kgw_store *s, const char *name, int64_t now,
    const struct kgw_audit_rec *audit)
{
	struct sqlite_store *ss = to_sqlite(s);
	int r;

	if ((r = kgw_sq_begin(ss, "account_accept")) != KGW_OK)
		return r;
	if ((r = kgw_sq_login_note(ss, name, now, audit)) == KGW_OK &&
	    (r = kgw_sq_audit_append(ss, audit)) == KGW_OK)
		r = kgw_sq_db_exec(ss, "COMMIT", "account_accept");
	kgw_sq_db_rollback(ss);
	return r;
}

/* The change as the person's history (show) lists it; no audit of its own. */
static int
history_row(struct sqlite_store *ss, const struct kgw_audit_rec *a)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_db_prepare(ss, "INSERT INTO changes (time, operator,"
	    " action, user, detail) VALUES (?1, ?2, ?3, ?4, ?5)", &st)) !=
	    KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 1, a->time)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 2, a->field[KGW_AF_OPERATOR])) !=
	    KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 3, a->field[KGW_AF_ACTION])) !=
	    KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 4, a->field[KGW_AF_USER])) !=
	    KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 5, a->detail)) != KGW_OK)
		goto fail;
	r = kgw_sq_db_done(ss, st, "password_change");
fail:
	sqlite3_finalize(st);
	return r;
}

/* Compare-and-swap on the hash: a reset by the helpdesk meanwhile wins. */
static int
swap_hash(struct sqlite_store *ss, const struct kgw_user_rec *seen,
    const char *hash, int64_t now)
{
	struct kgw_user_rec rec;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_db_prepare_user(ss, "UPDATE users SET pwhash = ?2,"
	    " pw_temporary = 0, updated = ?3 WHERE name = ?1"
	    " AND coalesce(pwhash, '') = ?4", seen->name, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 2, hash)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 3, now)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 4, seen->pwhash)) != KGW_OK ||
	    (r = kgw_sq_db_done(ss, st, "password_change")) != KGW_OK)
		goto fail;
	if (sqlite3_changes(ss->db) == 1)
		goto fail;
	memset(&rec, 0, sizeof(rec));
	r = ss->base.ops->get_user(&ss->base, seen->name, &rec);
	explicit_bzero(&rec, sizeof(rec));
	if (r == KGW_OK)
		r = KGW_ERR_STALE;
fail:
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_password_change(struct kgw_store *s, const struct kgw_user_rec *seen,
    const char *hash, const struct kgw_audit_rec *audit)
{
	struct sqlite_store *ss = to_sqlite(s);
	int r;

	if ((r = kgw_sq_begin(ss, "password_change")) != KGW_OK)
		return r;
	if ((r = swap_hash(ss, seen, hash, audit->time)) == KGW_OK &&
	    (r = history_row(ss, audit)) == KGW_OK &&
	    (r = kgw_sq_audit_append(ss, audit)) == KGW_OK)
		r = kgw_sq_db_exec(ss, "COMMIT", "password_change");
	kgw_sq_db_rollback(ss);
	return r;
}
