/*
 * The SQLite store's security keys: enrolment and revocation recorded
 * like every helpdesk change, and a login's final commit that checks the
 * key's signature counter and the user row in one transaction.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "kgw_err.h"
#include "store_sqlite.h"

/* Why an add would fail, told before the guarded insert decides. */
static int
add_precheck(struct sqlite_store *ss, const char *name,
    const struct kgw_fido2_rec *rec)
{
	sqlite3_stmt *st = NULL;
	int64_t user = 0, keys = 0, id = 0, label = 0;
	int r, rc;

	if ((r = kgw_sq_db_prepare_user(ss, "SELECT"
	    " (SELECT count(*) FROM users WHERE name = ?1),"
	    " (SELECT count(*) FROM fido2 WHERE user = ?1),"
	    " (SELECT count(*) FROM fido2 WHERE cred_id = ?2),"
	    " (SELECT count(*) FROM fido2 WHERE user = ?1 AND label = ?3)",
	    name, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 2, rec->id,
	    (int)rec->id_len, SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 3, rec->label)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = kgw_sq_db_fail(ss, "fido2_add", rc);
		goto fail;
	}
	(void)kgw_sq_col_int(st, 0, 0, INT64_MAX, &user);
	(void)kgw_sq_col_int(st, 1, 0, INT64_MAX, &keys);
	(void)kgw_sq_col_int(st, 2, 0, INT64_MAX, &id);
	(void)kgw_sq_col_int(st, 3, 0, INT64_MAX, &label);
	if (user == 0)
		r = KGW_ERR_NOT_FOUND;
	else if (id != 0 || label != 0)
		r = KGW_ERR_EXISTS;
	else if (keys >= KGW_FIDO2_CREDS_MAX)
		r = KGW_ERR_INVALID;
fail:
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_fido2_add(struct kgw_store *s, const char *name,
    const struct kgw_fido2_rec *rec, const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		name, op, "fido2", NULL, (int64_t)time(NULL), false
	};
	sqlite3_stmt *st = NULL;
	char detail[KGW_FIDO2_LABEL_MAX + 8];
	int r;

	(void)snprintf(detail, sizeof(detail), "label=%s", rec->label);
	c.detail = detail;
	if ((r = add_precheck(ss, name, rec)) != KGW_OK)
		return r;
	/* The guards again, inside the transaction, for a racing add. */
	if ((r = kgw_sq_change_stmt(ss, "INSERT INTO fido2 (user, label,"
	    " cred_id, sealed, aaguid, sign_count, created)"
	    " SELECT ?1, ?3, ?4, ?5, ?6, ?7, ?2"
	    " WHERE EXISTS (SELECT 1 FROM users WHERE name = ?1)"
	    " AND (SELECT count(*) FROM fido2 WHERE user = ?1) < ?8"
	    " ON CONFLICT DO NOTHING", &c, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 3, rec->label)) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 4, rec->id,
	    (int)rec->id_len, SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 5, rec->sealed,
	    (int)rec->sealed_len, SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 6, rec->aaguid,
	    (int)sizeof(rec->aaguid), SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 7, rec->sign_count)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 8, KGW_FIDO2_CREDS_MAX)) != KGW_OK)
		goto fail;
	r = kgw_sq_change_apply(ss, st, &c, KGW_ERR_EXISTS);
fail:
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_fido2_list(struct kgw_store *s, const char *name,
    struct kgw_fido2_rec *recs, size_t max, size_t *n)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st = NULL;
	int r, rc = SQLITE_DONE;

	if ((r = kgw_sq_db_prepare_user(ss, "SELECT " FIDO2_COLUMNS
	    " FROM fido2 WHERE user = ?1 ORDER BY label", name, &st)) !=
	    KGW_OK)
		goto fail;
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = kgw_sq_row_fido2(ss, st, name, &recs[*n])) != KGW_OK)
			goto fail;
		(*n)++;
	}
	r = *n == max || rc == SQLITE_DONE ? KGW_OK :
	    kgw_sq_db_fail(ss, "fido2_list", rc);
fail:
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_fido2_revoke(struct kgw_store *s, const char *name, const char *label,
    const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		name, op, "revoke:fido2", NULL, (int64_t)time(NULL), label == NULL
	};
	sqlite3_stmt *st = NULL;
	char detail[KGW_FIDO2_LABEL_MAX + 8];
	int r;

	(void)snprintf(detail, sizeof(detail), "label=%s",
	    label != NULL ? label : "*");
	c.detail = detail;
	if (label == NULL)
		r = kgw_sq_change_stmt(ss, "DELETE FROM fido2 WHERE user = ?1",
		    &c, &st);
	else if ((r = kgw_sq_change_stmt(ss, "DELETE FROM fido2"
	    " WHERE user = ?1 AND label = ?3", &c, &st)) == KGW_OK)
		r = kgw_sq_bind_text(ss, st, 3, label);
	if (r == KGW_OK)
		r = kgw_sq_change_apply(ss, st, &c, KGW_ERR_NOT_FOUND);
	sqlite3_finalize(st);
	return r;
}

/* A statement on the key used: ?1 user, ?2 credential id. */
static int
key_stmt(struct sqlite_store *ss, const char *sql, const char *user,
    const struct kgw_fido2_rec *key, sqlite3_stmt **st)
{
	int r;

	if ((r = kgw_sq_db_prepare_user(ss, sql, user, st)) == KGW_OK)
		r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(*st, 2, key->id,
		    (int)key->id_len, SQLITE_STATIC));
	return r;
}

/*
 * The counter did not grow: flag the key, and keep the flag (committed by
 * the caller) with a record of it for the helpdesk.
 */
static int
key_flag(struct sqlite_store *ss, const char *user,
    const struct kgw_fido2_rec *key, int64_t now)
{
	struct kgw_sq_change c = {
		user, "pam_kakogawa", "flag:fido2", NULL, now, false
	};
	char detail[KGW_FIDO2_LABEL_MAX + 8];
	sqlite3_stmt *st = NULL;
	int r;

	(void)snprintf(detail, sizeof(detail), "label=%s", key->label);
	c.detail = detail;
	if ((r = key_stmt(ss, "UPDATE fido2 SET flagged = 1 WHERE user = ?1"
	    " AND cred_id = ?2", user, key, &st)) == KGW_OK &&
	    (r = kgw_sq_db_done(ss, st, "fido2_flag")) == KGW_OK)
		r = kgw_sq_change_record(ss, &c);
	sqlite3_finalize(st);
	return r;
}

/* Why the key's update matched nothing: revoked, flagged, or a clone. */
static int
key_refusal(struct sqlite_store *ss, const char *user,
    const struct kgw_fido2_rec *key, int64_t sign_count, int64_t now)
{
	struct kgw_fido2_rec now_rec;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = key_stmt(ss, "SELECT " FIDO2_COLUMNS " FROM fido2"
	    " WHERE user = ?1 AND cred_id = ?2", user, key, &st)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		r = KGW_ERR_NO_FACTOR;		/* revoked meanwhile */
		goto fail;
	}
	if (rc != SQLITE_ROW) {
		r = kgw_sq_db_fail(ss, "fido2_accept", rc);
		goto fail;
	}
	if ((r = kgw_sq_row_fido2(ss, st, user, &now_rec)) != KGW_OK)
		goto fail;
	if (now_rec.sealed_len != key->sealed_len ||
	    memcmp(now_rec.sealed, key->sealed, key->sealed_len) != 0)
		r = KGW_ERR_NO_FACTOR;		/* re-enrolled meanwhile */
	else if (now_rec.flagged)
		r = KGW_ERR_CLONE;
	else if (sign_count > key->sign_count) {
		/* Past what this login read: another login of the same key
		 * committed meanwhile. A race of the person's own, no clone. */
		r = KGW_ERR_STALE;
	} else {
		kgw_log_err(ss->base.log, "fido2: possible clone: user=%s "
		    "key=%s counter=%lld after %lld; key flagged", user,
		    key->label, (long long)sign_count,
		    (long long)now_rec.sign_count);
		sqlite3_finalize(st);
		st = NULL;
		if ((r = key_flag(ss, user, key, now)) == KGW_OK &&
		    (r = kgw_sq_db_exec(ss, "COMMIT", "fido2_flag")) == KGW_OK)
			r = KGW_ERR_CLONE;
	}
fail:
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_fido2_accept(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t totp_step, const struct kgw_fido2_rec *key, int64_t sign_count,
    int64_t now, const struct kgw_audit_rec *audit)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_begin(ss, "fido2_accept")) != KGW_OK)
		return r;
	/* A key that keeps no counter says 0 every time, and is let be. */
	if ((r = key_stmt(ss, "UPDATE fido2 SET sign_count = ?3,"
	    " last_used = ?4 WHERE user = ?1 AND cred_id = ?2"
	    " AND flagged = 0 AND sealed = ?5"
	    " AND (sign_count < ?3 OR (sign_count = 0 AND ?3 = 0))",
	    seen->name, key, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 3, sign_count)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 4, now)) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 5, key->sealed,
	    (int)key->sealed_len, SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_db_done(ss, st, "fido2_accept")) != KGW_OK)
		goto fail;
	if (sqlite3_changes(ss->db) != 1) {
		r = key_refusal(ss, seen->name, key, sign_count, now);
		goto fail;
	}
	if ((r = kgw_sq_user_accept(ss, seen, totp_step, now, audit)) !=
	    KGW_OK ||
	    (r = kgw_sq_audit_append(ss, audit)) != KGW_OK)
		goto fail;
	r = kgw_sq_db_exec(ss, "COMMIT", "fido2_accept");
fail:
	sqlite3_finalize(st);
	kgw_sq_db_rollback(ss);
	return r;
}
