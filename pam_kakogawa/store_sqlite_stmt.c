/*
 * Statement helpers of the SQLite store, and the reading of its rows,
 * whose content is untrusted input and is validated in full.
 */
#include <config.h>

#include <limits.h>
#include <string.h>

#include <sqlite3.h>

#include "kgw_err.h"
#include "store_sqlite.h"

/* Logs a SQLite failure and maps it to a result code. */
int
kgw_sq_db_fail(const struct sqlite_store *ss, const char *what, int rc)
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

int
kgw_sq_bind_ok(const struct sqlite_store *ss, int rc)
{
	return rc == SQLITE_OK ? KGW_OK : kgw_sq_db_fail(ss, "bind", rc);
}

/* Binds text, or NULL for a NULL pointer; the caller keeps s alive. */
int
kgw_sq_bind_text(const struct sqlite_store *ss, sqlite3_stmt *st, int i,
    const char *s)
{
	return kgw_sq_bind_ok(ss, s == NULL ? sqlite3_bind_null(st, i) :
	    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC));
}

int
kgw_sq_bind_int(const struct sqlite_store *ss, sqlite3_stmt *st, int i,
    int64_t v)
{
	return kgw_sq_bind_ok(ss, sqlite3_bind_int64(st, i, v));
}

int
kgw_sq_db_exec(struct sqlite_store *ss, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(ss->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return kgw_sq_db_fail(ss, what, rc);
	return KGW_OK;
}

int
kgw_sq_db_prepare(struct sqlite_store *ss, const char *sql, sqlite3_stmt **st)
{
	int rc;

	*st = NULL;
	if ((rc = sqlite3_prepare_v2(ss->db, sql, -1, st, NULL)) != SQLITE_OK)
		return kgw_sq_db_fail(ss, "prepare", rc);
	return KGW_OK;
}

/* A statement about one user, whose name is ?1. */
int
kgw_sq_db_prepare_user(struct sqlite_store *ss, const char *sql,
    const char *name, sqlite3_stmt **st)
{
	int r;

	if ((r = kgw_sq_db_prepare(ss, sql, st)) != KGW_OK)
		return r;
	return kgw_sq_bind_text(ss, *st, 1, name);
}

/* Runs a statement that returns no rows to completion. */
int
kgw_sq_db_done(struct sqlite_store *ss, sqlite3_stmt *st, const char *what)
{
	int rc;

	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return kgw_sq_db_fail(ss, what, rc);
	return KGW_OK;
}

/*
 * A write transaction. The store is opened at a login's start and written
 * at its end, after the questions: a file removed, or another renamed over
 * it, meanwhile (a restore, an operator's mistake, an attacker with the
 * directory) would take the used code or the failure into an unlinked
 * file that no later login reads. SQLite tells (it compares the path's
 * inode with its own); the write is refused and the login with it. The
 * lock does not stop a rename just after the check: this closes the
 * window of a login's questions, not the last microseconds.
 */
int
kgw_sq_begin(struct sqlite_store *ss, const char *what)
{
	int moved = 0, r;

	if ((r = kgw_sq_db_exec(ss, "BEGIN IMMEDIATE", what)) != KGW_OK)
		return r;
	if (sqlite3_file_control(ss->db, "main", SQLITE_FCNTL_HAS_MOVED,
	    &moved) != SQLITE_OK || moved) {
		kgw_sq_db_rollback(ss);
		kgw_log_err(ss->base.log, "store failed: path=%s op=%s "
		    "error=\"removed or replaced while in use\"", ss->path,
		    what);
		return KGW_ERR_STORE;
	}
	return KGW_OK;
}

/* Abandons the open transaction, if any; a failed COMMIT can leave one. */
void
kgw_sq_db_rollback(struct sqlite_store *ss)
{
	if (!sqlite3_get_autocommit(ss->db))
		(void)sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
}

/* An integer column within [min, max]; false for any other type. */
bool
kgw_sq_col_int(sqlite3_stmt *st, int col, int64_t min, int64_t max,
    int64_t *out)
{
	if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
		return false;
	*out = sqlite3_column_int64(st, col);
	return *out >= min && *out <= max;
}

/* A text column of at least min bytes that fits out with its NUL, no NUL. */
static bool
col_text_min(sqlite3_stmt *st, int col, size_t min, char *out, size_t outlen)
{
	const unsigned char *p;
	size_t len;

	if (sqlite3_column_type(st, col) != SQLITE_TEXT ||
	    (p = sqlite3_column_text(st, col)) == NULL)
		return false;
	len = (size_t)sqlite3_column_bytes(st, col);
	if (len < min || len >= outlen || memchr(p, '\0', len) != NULL)
		return false;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

static bool
col_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
	return col_text_min(st, col, 1, out, outlen);
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

/* The recovery columns (RECOVERY_COLUMNS); the first bad one, or NULL. */
static const char *
row_recovery(sqlite3_stmt *st, struct kgw_user_rec *rec)
{
	const int64_t far = KGW_TOTP_RESYNC_STEPS + KGW_TOTP_DRIFT_MAX;
	int64_t v;

	if (!kgw_sq_col_int(st, COL_DRIFT_BASE, -KGW_TOTP_RESYNC_STEPS,
	    KGW_TOTP_RESYNC_STEPS, &rec->totp_drift_base))
		return "totp_drift_base";
	if (!kgw_sq_col_int(st, COL_DRIFT, -far, far, &rec->totp_drift))
		return "totp_drift";
	if (!kgw_sq_col_int(st, COL_BACKUP_LEFT, 0, UINT_MAX, &v))
		return "backup_codes";
	rec->backup_left = (unsigned)v;
	if (!kgw_sq_col_int(st, COL_TEMP_EXPIRES, 0, INT64_MAX,
	    &rec->temp_expires))
		return "temp_codes";
	if (!kgw_sq_col_int(st, COL_PENDING, 0, 1, &v))
		return "totp_pending";
	rec->totp_pending = v != 0;
	return NULL;
}

/* Returns the name of the first bad column of the counters, or NULL. */
static const char *
row_state(sqlite3_stmt *st, struct kgw_user_rec *rec)
{
	int64_t v;

	if (!kgw_sq_col_int(st, COL_DISABLED, 0, 1, &v))
		return "disabled";
	rec->disabled = v != 0;
	if (!kgw_sq_col_int(st, COL_LAST_STEP, -1, INT64_MAX,
	    &rec->totp_last_step))
		return "totp_last_step";
	if (!kgw_sq_col_int(st, COL_FAILS, 0, UINT_MAX, &v))
		return "fail_count";
	rec->fail_count = (unsigned)v;
	if (!kgw_sq_col_int(st, COL_LOCKED, 0, INT64_MAX, &rec->locked_until))
		return "locked_until";
	if (!kgw_sq_col_int(st, COL_CREATED, 0, INT64_MAX, &rec->created))
		return "created";
	if (!kgw_sq_col_int(st, COL_UPDATED, 0, INT64_MAX, &rec->updated))
		return "updated";
	if (!col_text_min(st, COL_ZONES, 0, rec->zones, sizeof(rec->zones)) ||
	    !kgw_zone_list_valid(rec->zones))
		return "zones";
	if (!kgw_sq_col_int(st, COL_FIDO2, 0, UINT_MAX, &v))
		return "fido2";
	rec->fido2_count = (unsigned)v;
	return row_recovery(st, rec);
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
	if (!kgw_sq_col_int(st, COL_ALG, 0, INT_MAX, &alg) ||
	    kgw_totp_alg_name((enum kgw_totp_alg)alg) == NULL)
		return "totp_alg";
	rec->totp_alg = (enum kgw_totp_alg)alg;
	if (!kgw_sq_col_int(st, COL_DIGITS, 6, 8, &digits) || digits == 7)
		return "totp_digits";
	rec->totp_digits = (unsigned)digits;
	return NULL;
}

/* Returns the name of the first bad lifecycle column, or NULL. */
static const char *
row_account(sqlite3_stmt *st, struct kgw_user_rec *rec)
{
	int64_t v;

	if (!col_text_min(st, COL_ROLE, 0, rec->role, sizeof(rec->role)) ||
	    (rec->role[0] != '\0' && !kgw_role_name_valid(rec->role)))
		return "role";
	if (!kgw_sq_col_int(st, COL_EXPIRES, 0, INT64_MAX, &rec->expires))
		return "expires";
	if (!kgw_sq_col_int(st, COL_PW_TEMP, 0, 1, &v))
		return "pw_temporary";
	rec->pw_temporary = v != 0;
	if (!kgw_sq_col_int(st, COL_LAST_LOGIN, 0, INT64_MAX,
	    &rec->last_login))
		return "last_login";
	if (!col_text_min(st, COL_LAST_FROM, 0, rec->last_from,
	    sizeof(rec->last_from)))
		return "last_from";
	if (!kgw_sq_col_int(st, COL_FAILS_SINCE, 0, UINT_MAX, &v))
		return "fails_since";
	rec->fails_since = (unsigned)v;
	return NULL;
}

/* Reads and validates one users row: its content is untrusted input. */
int
kgw_sq_row_user(const struct sqlite_store *ss, sqlite3_stmt *st,
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
	    (bad = row_factors(st, rec)) != NULL ||
	    (bad = row_account(st, rec)) != NULL) {
		kgw_log_err(ss->base.log, "store row invalid: path=%s user=%s "
		    "field=%s", ss->path, rec->name, bad);
		goto fail;
	}
	return KGW_OK;
fail:
	memset(rec, 0, sizeof(*rec));
	return KGW_ERR_STORE;
}

int
kgw_sq_row_change(const struct sqlite_store *ss, sqlite3_stmt *st,
    struct kgw_change *c)
{
	memset(c, 0, sizeof(*c));
	if (!kgw_sq_col_int(st, 0, INT64_MIN, INT64_MAX, &c->time) ||
	    !col_text(st, 1, c->operator_name, sizeof(c->operator_name)) ||
	    !col_text(st, 2, c->action, sizeof(c->action)) ||
	    !col_text(st, 3, c->user, sizeof(c->user)) ||
	    !kgw_username_valid(c->user) ||
	    (sqlite3_column_type(st, 4) != SQLITE_NULL &&
	    !col_text_min(st, 4, 0, c->detail, sizeof(c->detail)))) {
		kgw_log_err(ss->base.log, "store change row invalid: path=%s",
		    ss->path);
		memset(c, 0, sizeof(*c));
		return KGW_ERR_STORE;
	}
	return KGW_OK;
}

/* Reads and validates one fido2 row (FIDO2_COLUMNS) of user. */
int
kgw_sq_row_fido2(const struct sqlite_store *ss, sqlite3_stmt *st,
    const char *user, struct kgw_fido2_rec *rec)
{
	size_t aaguid_len = 0;
	int64_t flagged;

	memset(rec, 0, sizeof(*rec));
	if (!col_text(st, 0, rec->label, sizeof(rec->label)) ||
	    !kgw_fido2_label_valid(rec->label) ||
	    !col_blob(st, 1, rec->id, sizeof(rec->id), &rec->id_len) ||
	    rec->id_len == 0 ||
	    !col_blob(st, 2, rec->sealed, sizeof(rec->sealed),
	    &rec->sealed_len) || rec->sealed_len <= KGW_SEAL_OVERHEAD ||
	    !col_blob(st, 3, rec->aaguid, sizeof(rec->aaguid), &aaguid_len) ||
	    aaguid_len != KGW_FIDO2_AAGUID_LEN ||
	    !kgw_sq_col_int(st, 4, 0, UINT32_MAX, &rec->sign_count) ||
	    !kgw_sq_col_int(st, 5, 0, 1, &flagged) ||
	    !kgw_sq_col_int(st, 6, 0, INT64_MAX, &rec->created) ||
	    !kgw_sq_col_int(st, 7, 0, INT64_MAX, &rec->last_used)) {
		kgw_log_err(ss->base.log, "store fido2 row invalid: path=%s "
		    "user=%s", ss->path, user);
		memset(rec, 0, sizeof(*rec));
		return KGW_ERR_STORE;
	}
	rec->flagged = flagged != 0;
	return KGW_OK;
}
