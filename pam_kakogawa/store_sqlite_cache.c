/*
 * The SQLite store as the directory's offline cache (store_ldap_cache.c
 * drives it): each person as last read from the directory, the mark of
 * what a login changed here while the directory could not be reached,
 * and when this host last reached it. Rows are written whole, in one
 * transaction, never audited: a cache refresh is no decision.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "kgw_err.h"
#include "store_sqlite.h"

/* The person's row as the directory has it; a used step never goes back. */
static int
put_user(struct sqlite_store *ss, const struct kgw_user_rec *r)
{
	sqlite3_stmt *st = NULL;
	bool totp = r->totp_sealed_len > 0;
	int rc;

	if ((rc = kgw_sq_db_prepare_user(ss, "INSERT INTO users (name,"
	    " disabled, pwhash, totp_secret, totp_alg, totp_digits,"
	    " totp_last_step, fail_count, locked_until, created, updated,"
	    " zones, totp_drift, totp_drift_base, role, expires,"
	    " pw_temporary, last_login, last_from, fails_since) VALUES (?1,"
	    " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
	    " ?16, ?17, ?18, ?19, ?20) ON CONFLICT (name) DO UPDATE SET"
	    " disabled = ?2, pwhash = ?3, totp_secret = ?4, totp_alg = ?5,"
	    " totp_digits = ?6,"
	    " totp_last_step = max(totp_last_step, ?7), fail_count = ?8,"
	    " locked_until = ?9, created = ?10, updated = ?11, zones = ?12,"
	    " totp_drift = ?13, totp_drift_base = ?14, role = ?15,"
	    " expires = ?16, pw_temporary = ?17, last_login = ?18,"
	    " last_from = ?19, fails_since = ?20", r->name, &st)) != KGW_OK)
		return rc;
	if ((rc = kgw_sq_bind_int(ss, st, 2, r->disabled)) != KGW_OK ||
	    (rc = kgw_sq_bind_text(ss, st, 3, r->pwhash[0] != '\0' ?
	    r->pwhash : NULL)) != KGW_OK ||
	    (rc = kgw_sq_bind_ok(ss, totp ? sqlite3_bind_blob(st, 4,
	    r->totp_sealed, (int)r->totp_sealed_len, SQLITE_STATIC) :
	    sqlite3_bind_null(st, 4))) != KGW_OK ||
	    (rc = kgw_sq_bind_ok(ss, totp ? sqlite3_bind_int64(st, 5,
	    (int64_t)r->totp_alg) : sqlite3_bind_null(st, 5))) != KGW_OK ||
	    (rc = kgw_sq_bind_ok(ss, totp ? sqlite3_bind_int64(st, 6,
	    r->totp_digits) : sqlite3_bind_null(st, 6))) != KGW_OK ||
	    (rc = kgw_sq_bind_int(ss, st, 7, r->totp_last_step)) != KGW_OK ||
	    (rc = kgw_sq_bind_int(ss, st, 8, r->fail_count)) != KGW_OK ||
	    (rc = kgw_sq_bind_int(ss, st, 9, r->locked_until)) != KGW_OK ||
	    (rc = kgw_sq_bind_int(ss, st, 10, r->created)) != KGW_OK ||
	    (rc = kgw_sq_bind_int(ss, st, 11, r->updated)) != KGW_OK ||
	    (rc = kgw_sq_bind_text(ss, st, 12, r->zones)) != KGW_OK ||
	    (rc = kgw_sq_bind_int(ss, st, 13, r->totp_drift)) != KGW_OK ||
	    (rc = kgw_sq_bind_int(ss, st, 14, r->totp_drift_base)) != KGW_OK ||
	    (rc = kgw_sq_bind_text(ss, st, 15, r->role)) != KGW_OK ||
	    (rc = kgw_sq_bind_int(ss, st, 16, r->expires)) != KGW_OK ||
	    (rc = kgw_sq_bind_int(ss, st, 17, r->pw_temporary)) != KGW_OK ||
	    (rc = kgw_sq_bind_int(ss, st, 18, r->last_login)) != KGW_OK ||
	    (rc = kgw_sq_bind_text(ss, st, 19, r->last_from)) != KGW_OK ||
	    (rc = kgw_sq_bind_int(ss, st, 20, r->fails_since)) != KGW_OK)
		goto fail;
	rc = kgw_sq_db_done(ss, st, "cache_put");
fail:
	sqlite3_finalize(st);
	return rc;
}

/* The person's keys, replaced: the directory's counters are the truth. */
static int
put_keys(struct sqlite_store *ss, const char *name,
    const struct kgw_fido2_rec *keys, size_t n)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	if ((rc = kgw_sq_db_prepare_user(ss, "DELETE FROM fido2 WHERE"
	    " user = ?1", name, &st)) != KGW_OK ||
	    (rc = kgw_sq_db_done(ss, st, "cache_put")) != KGW_OK)
		goto fail;
	for (i = 0; i < n && rc == KGW_OK; i++) {
		const struct kgw_fido2_rec *k = &keys[i];

		sqlite3_finalize(st);
		st = NULL;
		if ((rc = kgw_sq_db_prepare_user(ss, "INSERT INTO fido2 (user,"
		    " label, cred_id, sealed, aaguid, sign_count, flagged,"
		    " created, last_used) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
		    " ?8, ?9)", name, &st)) != KGW_OK ||
		    (rc = kgw_sq_bind_text(ss, st, 2, k->label)) != KGW_OK ||
		    (rc = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 3, k->id,
		    (int)k->id_len, SQLITE_STATIC))) != KGW_OK ||
		    (rc = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 4, k->sealed,
		    (int)k->sealed_len, SQLITE_STATIC))) != KGW_OK ||
		    (rc = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 5, k->aaguid,
		    (int)sizeof(k->aaguid), SQLITE_STATIC))) != KGW_OK ||
		    (rc = kgw_sq_bind_int(ss, st, 6, k->sign_count)) !=
		    KGW_OK ||
		    (rc = kgw_sq_bind_int(ss, st, 7, k->flagged)) != KGW_OK ||
		    (rc = kgw_sq_bind_int(ss, st, 8, k->created)) != KGW_OK ||
		    (rc = kgw_sq_bind_int(ss, st, 9, k->last_used)) != KGW_OK)
			break;
		rc = kgw_sq_db_done(ss, st, "cache_put");
	}
fail:
	sqlite3_finalize(st);
	return rc;
}

static int query_int(struct sqlite_store *ss, const char *sql,
    const char *name, int64_t *out);

/* Runs one statement on name with an optional integer ?2. */
static int
run(struct sqlite_store *ss, const char *sql, const char *name, int64_t v,
    const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = kgw_sq_db_prepare_user(ss, sql, name, &st)) == KGW_OK &&
	    (sqlite3_bind_parameter_count(st) < 2 ||
	    (rc = kgw_sq_bind_int(ss, st, 2, v)) == KGW_OK))
		rc = kgw_sq_db_done(ss, st, what);
	sqlite3_finalize(st);
	return rc;
}

static int
contact(struct sqlite_store *ss, int64_t now)
{
	return run(ss, "INSERT INTO dir_contact (id, last) SELECT 1, ?2"
	    " WHERE ?1 IS NOT NULL ON CONFLICT (id) DO UPDATE SET"
	    " last = ?2", "-", now, "contact");
}

int
kgw_store_sqlite_contact(struct kgw_store *s, int64_t now)
{
	return contact(to_sqlite(s), now);
}

int
kgw_store_sqlite_cache_put(struct kgw_store *s, const struct kgw_user_rec *r,
    const struct kgw_fido2_rec *keys, size_t n, int64_t now)
{
	struct sqlite_store *ss = to_sqlite(s);
	int rc;

	int64_t dirty = 0;

	if ((rc = kgw_sq_begin(ss, "cache_put")) != KGW_OK)
		return rc;
	/*
	 * A person changed here offline and not carried up yet keeps the
	 * row those changes are in (its lock, key counters): the directory's
	 * copy replaces it once they are up.
	 */
	rc = query_int(ss, "SELECT dirty FROM dir_cache WHERE user = ?1",
	    r->name, &dirty);
	if (rc == KGW_ERR_NOT_FOUND)
		rc = KGW_OK;
	if (rc == KGW_OK && dirty != 0) {
		if ((rc = contact(ss, now)) == KGW_OK)
			rc = kgw_sq_db_exec(ss, "COMMIT", "cache_put");
		kgw_sq_db_rollback(ss);
		return rc;
	}
	/* Recovery codes are the directory's alone: none used offline. */
	if (rc == KGW_OK && (rc = put_user(ss, r)) == KGW_OK &&
	    (rc = put_keys(ss, r->name, keys, n)) == KGW_OK &&
	    (rc = run(ss, "DELETE FROM backup_codes WHERE user = ?1", r->name,
	    0, "cache_put")) == KGW_OK &&
	    (rc = run(ss, "DELETE FROM temp_codes WHERE user = ?1", r->name, 0,
	    "cache_put")) == KGW_OK &&
	    (rc = run(ss, "INSERT INTO dir_cache (user, fetched) VALUES"
	    " (?1, ?2) ON CONFLICT (user) DO UPDATE SET fetched = ?2", r->name,
	    now, "cache_put")) == KGW_OK &&
	    (rc = contact(ss, now)) == KGW_OK)
		rc = kgw_sq_db_exec(ss, "COMMIT", "cache_put");
	kgw_sq_db_rollback(ss);
	return rc;
}

int
kgw_store_sqlite_cache_drop(struct kgw_store *s, const char *name)
{
	struct sqlite_store *ss = to_sqlite(s);

	return run(ss, "DELETE FROM users WHERE name = ?1 AND EXISTS (SELECT 1"
	    " FROM dir_cache WHERE user = ?1)", name, 0, "cache_drop");
}

/* One integer from a query on name (?1); KGW_ERR_NOT_FOUND without row. */
static int
query_int(struct sqlite_store *ss, const char *sql, const char *name,
    int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = kgw_sq_db_prepare_user(ss, sql, name, &st)) != KGW_OK)
		return r;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = kgw_sq_col_int(st, 0, INT64_MIN, INT64_MAX, out) ? KGW_OK :
		    KGW_ERR_STORE;
	else
		r = rc == SQLITE_DONE ? KGW_ERR_NOT_FOUND :
		    kgw_sq_db_fail(ss, "cache", rc);
	sqlite3_finalize(st);
	return r;
}

int
kgw_store_sqlite_last_contact(struct kgw_store *s, int64_t *last)
{
	int r = query_int(to_sqlite(s), "SELECT last FROM dir_contact WHERE"
	    " id = 1 AND ?1 IS NOT NULL", "-", last);

	if (r == KGW_ERR_NOT_FOUND)
		*last = 0;
	return r == KGW_ERR_NOT_FOUND ? KGW_OK : r;
}

int
kgw_store_sqlite_cached(struct kgw_store *s, const char *name,
    int64_t *fetched)
{
	return query_int(to_sqlite(s), "SELECT fetched FROM dir_cache WHERE"
	    " user = ?1", name, fetched);
}

int
kgw_store_sqlite_offline_mark(struct kgw_store *s, const char *name,
    unsigned fails)
{
	struct sqlite_store *ss = to_sqlite(s);

	/* dirty counts the marks: a claim clears only the marks it saw. */
	return run(ss, "UPDATE dir_cache SET dirty = min(dirty + 1, 1000000000),"
	    " offline_fails = min(offline_fails + ?2, 1000000) WHERE user = ?1",
	    name, fails, "offline_mark");
}

int
kgw_store_sqlite_dirty_claim(struct kgw_store *s, const char *after,
    char *name, size_t namelen, unsigned *fails, int64_t *gen)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st = NULL;
	int64_t n = 0;
	int r, rc;

	name[0] = '\0';
	*fails = 0;
	*gen = 0;
	if ((r = kgw_sq_begin(ss, "dirty_claim")) != KGW_OK)
		return r;
	if ((r = kgw_sq_db_prepare_user(ss, "SELECT user, offline_fails, dirty"
	    " FROM dir_cache WHERE dirty > 0 AND user > ?1 ORDER BY user"
	    " LIMIT 1", after, &st)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		r = KGW_ERR_NOT_FOUND;
		goto fail;
	}
	if (rc != SQLITE_ROW || sqlite3_column_type(st, 0) != SQLITE_TEXT ||
	    (size_t)sqlite3_column_bytes(st, 0) >= namelen ||
	    !kgw_sq_col_int(st, 1, 0, 1000000, &n) ||
	    !kgw_sq_col_int(st, 2, 1, INT64_MAX, gen)) {
		r = KGW_ERR_STORE;
		goto fail;
	}
	memcpy(name, sqlite3_column_text(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0) + 1);
	sqlite3_finalize(st);
	st = NULL;
	if (!kgw_username_valid(name)) {
		r = KGW_ERR_STORE;
		goto fail;
	}
	*fails = (unsigned)n;
	/* The failures are this claim's: another claimer adds none twice. */
	if ((r = run(ss, "UPDATE dir_cache SET offline_fails = 0"
	    " WHERE user = ?1", name, 0, "dirty_claim")) == KGW_OK)
		r = kgw_sq_db_exec(ss, "COMMIT", "dirty_claim");
fail:
	sqlite3_finalize(st);
	kgw_sq_db_rollback(ss);
	if (r != KGW_OK)
		name[0] = '\0';
	return r;
}

int
kgw_store_sqlite_dirty_done(struct kgw_store *s, const char *name,
    int64_t gen)
{
	return run(to_sqlite(s), "UPDATE dir_cache SET dirty = 0 WHERE"
	    " user = ?1 AND dirty = ?2", name, gen, "dirty_done");
}

int
kgw_store_sqlite_dirty_return(struct kgw_store *s, const char *name,
    unsigned fails)
{
	return run(to_sqlite(s), "UPDATE dir_cache SET offline_fails ="
	    " min(offline_fails + ?2, 1000000) WHERE user = ?1", name, fails,
	    "dirty_return");
}

int
kgw_store_sqlite_dirty_count(struct kgw_store *s, int64_t *n)
{
	return query_int(to_sqlite(s), "SELECT count(*) FROM dir_cache WHERE"
	    " dirty > 0 AND ?1 IS NOT NULL", "-", n);
}
