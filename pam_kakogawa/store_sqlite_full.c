/*
 * A person whole in the SQLite store, for migrate: read in one read
 * transaction (a consistent picture of every table), written in one
 * write transaction (or the caller's batch) with its change record.
 */
#include <config.h>

#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "kgw_err.h"
#include "store_sqlite.h"

static int
user_row(struct sqlite_store *ss, const char *name, struct kgw_user_rec *rec)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = kgw_sq_db_prepare_user(ss, "SELECT " USER_COLUMNS " FROM users"
	    " WHERE name = ?1", name, &st)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = kgw_sq_row_user(ss, st, rec);
	else
		r = rc == SQLITE_DONE ? KGW_ERR_NOT_FOUND :
		    kgw_sq_db_fail(ss, "user_read", rc);
fail:
	sqlite3_finalize(st);
	return r;
}

/* One code row: hash, created, expires (0 for a backup code). */
static int
code_row(const struct sqlite_store *ss, sqlite3_stmt *st, const char *name,
    enum kgw_recovery_kind kind, struct kgw_recovery_code *c)
{
	const void *blob = sqlite3_column_blob(st, 0);

	c->kind = kind;
	if (sqlite3_column_type(st, 0) != SQLITE_BLOB || blob == NULL ||
	    sqlite3_column_bytes(st, 0) != KGW_RECOVERY_HASH_LEN ||
	    !kgw_sq_col_int(st, 1, 0, INT64_MAX, &c->created) ||
	    !kgw_sq_col_int(st, 2, kind == KGW_RECOVERY_TEMP ? 1 : 0,
	    kind == KGW_RECOVERY_TEMP ? INT64_MAX : 0, &c->expires)) {
		kgw_log_err(ss->base.log, "store recovery row invalid: path=%s "
		    "user=%s", ss->path, name);
		return KGW_ERR_STORE;
	}
	memcpy(c->hash, blob, KGW_RECOVERY_HASH_LEN);
	return KGW_OK;
}

/* The unused codes: backups in issue order, then the temp code. */
static int
codes_read(struct sqlite_store *ss, const char *name,
    struct kgw_user_full *f)
{
	sqlite3_stmt *st = NULL;
	int64_t kind;
	int r, rc;

	if ((r = kgw_sq_db_prepare_user(ss, "SELECT hash, created, 0, 1"
	    " FROM backup_codes WHERE user = ?1 AND used = 0"
	    " UNION ALL SELECT hash, created, expires, 2 FROM temp_codes"
	    " WHERE user = ?1 AND used = 0 ORDER BY 4", name, &st)) != KGW_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (f->ncodes >= KGW_USER_CODES_MAX ||
		    !kgw_sq_col_int(st, 3, KGW_RECOVERY_BACKUP,
		    KGW_RECOVERY_TEMP, &kind)) {
			r = kgw_sq_db_fail(ss, "user_read", SQLITE_CORRUPT);
			goto fail;
		}
		if ((r = code_row(ss, st, name, (enum kgw_recovery_kind)kind,
		    &f->codes[f->ncodes])) != KGW_OK)
			goto fail;
		f->ncodes++;
	}
	r = rc == SQLITE_DONE ? KGW_OK : kgw_sq_db_fail(ss, "user_read", rc);
fail:
	sqlite3_finalize(st);
	return r;
}

static int
full_read(struct sqlite_store *ss, const char *name, struct kgw_user_full *f)
{
	int r;

	if ((r = user_row(ss, name, &f->rec)) != KGW_OK ||
	    (r = kgw_sq_fido2_list(&ss->base, name, f->keys,
	    KGW_FIDO2_CREDS_MAX, &f->nkeys)) != KGW_OK ||
	    (r = codes_read(ss, name, f)) != KGW_OK)
		return r;
	r = kgw_sq_totp_pending_get(&ss->base, name, &f->pending);
	f->has_pending = r == KGW_OK;
	return r == KGW_ERR_NOT_FOUND ? KGW_OK : r;
}

/* A savepoint: a read transaction of its own, or inside the caller's. */
int
kgw_sq_user_read(struct kgw_store *s, const char *name,
    struct kgw_user_full *f)
{
	struct sqlite_store *ss = to_sqlite(s);
	int r;

	if ((r = kgw_sq_db_exec(ss, "SAVEPOINT user_read", "user_read")) !=
	    KGW_OK)
		return r;
	r = full_read(ss, name, f);
	if (kgw_sq_db_exec(ss, "RELEASE user_read", "user_read") != KGW_OK &&
	    r == KGW_OK)
		r = KGW_ERR_STORE;
	return r;
}

/* The users row, every column as given; a name already there: EXISTS. */
static int
user_insert(struct sqlite_store *ss, const struct kgw_user_rec *u)
{
	sqlite3_stmt *st = NULL;
	bool totp = u->totp_sealed_len > 0;
	int r;

	if ((r = kgw_sq_db_prepare_user(ss, "INSERT INTO users (name,"
	    " disabled, pwhash, totp_secret, totp_alg, totp_digits,"
	    " totp_last_step, fail_count, locked_until, created, updated,"
	    " zones, totp_drift, totp_drift_base, role, expires, pw_temporary,"
	    " last_login, last_from, fails_since) VALUES (?1, ?2, ?3, ?4, ?5,"
	    " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
	    " ?20) ON CONFLICT (name) DO NOTHING", u->name, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 2, u->disabled)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 3, u->pwhash[0] != '\0' ?
	    u->pwhash : NULL)) != KGW_OK ||
	    (totp && (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 4,
	    u->totp_sealed, (int)u->totp_sealed_len, SQLITE_STATIC))) !=
	    KGW_OK) ||
	    (totp && (r = kgw_sq_bind_int(ss, st, 5, (int64_t)u->totp_alg)) !=
	    KGW_OK) ||
	    (totp && (r = kgw_sq_bind_int(ss, st, 6, u->totp_digits)) !=
	    KGW_OK) ||
	    (r = kgw_sq_bind_int(ss, st, 7, u->totp_last_step)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 8, u->fail_count)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 9, u->locked_until)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 10, u->created)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 11, u->updated)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 12, u->zones)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 13, u->totp_drift)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 14, u->totp_drift_base)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 15, u->role)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 16, u->expires)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 17, u->pw_temporary)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 18, u->last_login)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 19, u->last_from)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 20, u->fails_since)) != KGW_OK ||
	    (r = kgw_sq_db_done(ss, st, "migrate")) != KGW_OK)
		goto fail;
	if (sqlite3_changes(ss->db) != 1)
		r = KGW_ERR_EXISTS;
fail:
	sqlite3_finalize(st);
	return r;
}

static int
key_insert(struct sqlite_store *ss, const char *name,
    const struct kgw_fido2_rec *k)
{
	sqlite3_stmt *st = NULL;
	int r;

	/* cred_id is UNIQUE: another person's key is a refusal. */
	if ((r = kgw_sq_db_prepare_user(ss, "INSERT INTO fido2 (user, label,"
	    " cred_id, sealed, aaguid, sign_count, flagged, created,"
	    " last_used) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT DO NOTHING", name, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 2, k->label)) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 3, k->id,
	    (int)k->id_len, SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 4, k->sealed,
	    (int)k->sealed_len, SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 5, k->aaguid,
	    (int)sizeof(k->aaguid), SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 6, k->sign_count)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 7, k->flagged)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 8, k->created)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 9, k->last_used)) != KGW_OK ||
	    (r = kgw_sq_db_done(ss, st, "migrate")) != KGW_OK)
		goto fail;
	if (sqlite3_changes(ss->db) != 1) {
		kgw_log_err(ss->base.log, "migrate: user=%s key=%s: its "
		    "credential id is enrolled for someone else", name,
		    k->label);
		r = KGW_ERR_EXISTS;
	}
fail:
	sqlite3_finalize(st);
	return r;
}

/* A code with no creation time (the directory keeps none): now. */
static int
code_insert(struct sqlite_store *ss, const char *name,
    const struct kgw_recovery_code *c, const char *op, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_db_prepare_user(ss, c->kind == KGW_RECOVERY_BACKUP ?
	    "INSERT INTO backup_codes (user, hash, created)"
	    " VALUES (?1, ?2, ?3)" :
	    "INSERT INTO temp_codes (user, hash, created, expires, operator)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)", name, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 2, c->hash,
	    KGW_RECOVERY_HASH_LEN, SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 3, c->created != 0 ? c->created :
	    now)) != KGW_OK ||
	    (c->kind == KGW_RECOVERY_TEMP &&
	    ((r = kgw_sq_bind_int(ss, st, 4, c->expires)) != KGW_OK ||
	    (r = kgw_sq_bind_text(ss, st, 5, op)) != KGW_OK)))
		goto fail;
	r = kgw_sq_db_done(ss, st, "migrate");
fail:
	sqlite3_finalize(st);
	return r;
}

static int
pending_insert(struct sqlite_store *ss, const char *name,
    const struct kgw_totp_pending *p)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_db_prepare_user(ss, "INSERT INTO totp_pending (user,"
	    " secret, alg, digits, created) VALUES (?1, ?2, ?3, ?4, ?5)",
	    name, &st)) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 2, p->sealed,
	    (int)p->sealed_len, SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 3, (int64_t)p->alg)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 4, p->digits)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 5, p->created)) != KGW_OK)
		goto fail;
	r = kgw_sq_db_done(ss, st, "migrate");
fail:
	sqlite3_finalize(st);
	return r;
}

static int
full_insert(struct sqlite_store *ss, const struct kgw_user_full *f,
    const struct kgw_sq_change *c)
{
	const char *name = f->rec.name;
	size_t i;
	int r;

	if ((r = user_insert(ss, &f->rec)) != KGW_OK)
		return r;
	for (i = 0; i < f->nkeys; i++)
		if ((r = key_insert(ss, name, &f->keys[i])) != KGW_OK)
			return r;
	for (i = 0; i < f->ncodes; i++)
		if ((r = code_insert(ss, name, &f->codes[i], c->op, c->time)) !=
		    KGW_OK)
			return r;
	if (f->has_pending &&
	    (r = pending_insert(ss, name, &f->pending)) != KGW_OK)
		return r;
	return kgw_sq_change_record(ss, c);
}

int
kgw_sq_user_write(struct kgw_store *s, const struct kgw_user_full *f,
    const char *op, const char *detail)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		f->rec.name, op, "migrate", detail, (int64_t)time(NULL), false
	};
	int r;

	if (ss->batch) {
		if (sqlite3_get_autocommit(ss->db))
			return kgw_sq_db_fail(ss, "batch lost", SQLITE_ABORT);
		return full_insert(ss, f, &c);	/* the batch commits */
	}
	if ((r = kgw_sq_begin(ss, "migrate")) != KGW_OK)
		return r;
	if ((r = full_insert(ss, f, &c)) == KGW_OK)
		r = kgw_sq_db_exec(ss, "COMMIT", "migrate");
	kgw_sq_db_rollback(ss);
	return r;
}
