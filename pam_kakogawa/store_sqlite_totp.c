/*
 * The SQLite store's TOTP changes beyond set and revoke: a new secret
 * kept pending until a code from the new device proves it, and the
 * token's clock offset set by resynchronisation. Each is one guarded
 * statement with its change record (kgw_sq_change_apply).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "kgw_err.h"
#include "store_sqlite.h"

static int
bind_sealed(const struct sqlite_store *ss, sqlite3_stmt *st, int i,
    const unsigned char *sealed, size_t len)
{
	return kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, i, sealed, (int)len,
	    SQLITE_STATIC));
}

int
kgw_sq_totp_pending_set(struct kgw_store *s, const char *name,
    const unsigned char *sealed, size_t sealed_len, enum kgw_totp_alg alg,
    unsigned digits, const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		name, op, "totp_pending", NULL, (int64_t)time(NULL), false
	};
	sqlite3_stmt *st = NULL;
	char detail[48];
	int r;

	(void)snprintf(detail, sizeof(detail), "alg=%s digits=%u",
	    kgw_totp_alg_name(alg), digits);
	c.detail = detail;
	if ((r = kgw_sq_change_stmt(ss, "INSERT INTO totp_pending (user,"
	    " secret, alg, digits, created) SELECT ?1, ?3, ?4, ?5, ?2"
	    " WHERE EXISTS (SELECT 1 FROM users WHERE name = ?1)"
	    " ON CONFLICT (user) DO UPDATE SET secret = excluded.secret,"
	    " alg = excluded.alg, digits = excluded.digits,"
	    " created = excluded.created", &c, &st)) != KGW_OK ||
	    (r = bind_sealed(ss, st, 3, sealed, sealed_len)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 4, (int64_t)alg)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 5, digits)) != KGW_OK)
		goto fail;
	r = kgw_sq_change_apply(ss, st, &c, KGW_ERR_NOT_FOUND);
fail:
	sqlite3_finalize(st);
	return r;
}

/* The pending row, validated like every row read: untrusted input. */
static int
row_pending(const struct sqlite_store *ss, sqlite3_stmt *st,
    const char *name, struct kgw_totp_pending *p)
{
	const void *blob;
	int64_t alg, digits;
	size_t len;

	blob = sqlite3_column_blob(st, 0);
	len = (size_t)sqlite3_column_bytes(st, 0);
	if (sqlite3_column_type(st, 0) != SQLITE_BLOB || blob == NULL ||
	    len <= KGW_SEAL_OVERHEAD || len > sizeof(p->sealed) ||
	    !kgw_sq_col_int(st, 1, 0, 2, &alg) ||
	    kgw_totp_alg_name((enum kgw_totp_alg)alg) == NULL ||
	    !kgw_sq_col_int(st, 2, 6, 8, &digits) || digits == 7 ||
	    !kgw_sq_col_int(st, 3, 0, INT64_MAX, &p->created)) {
		kgw_log_err(ss->base.log, "store totp_pending row invalid: "
		    "path=%s user=%s", ss->path, name);
		return KGW_ERR_STORE;
	}
	memcpy(p->sealed, blob, len);
	p->sealed_len = len;
	p->alg = (enum kgw_totp_alg)alg;
	p->digits = (unsigned)digits;
	return KGW_OK;
}

int
kgw_sq_totp_pending_get(struct kgw_store *s, const char *name,
    struct kgw_totp_pending *p)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = kgw_sq_db_prepare_user(ss, "SELECT secret, alg, digits,"
	    " created FROM totp_pending WHERE user = ?1", name, &st)) !=
	    KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = row_pending(ss, st, name, p);
	else
		r = rc == SQLITE_DONE ? KGW_ERR_NOT_FOUND :
		    kgw_sq_db_fail(ss, "totp_pending", rc);
fail:
	sqlite3_finalize(st);
	return r;
}

/*
 * The pending secret becomes the active one, if it is still the one the
 * tool checked the code against; the trigger on totp_secret then drops
 * the pending row. The code that proved it is used: no login replays it.
 */
int
kgw_sq_totp_confirm(struct kgw_store *s, const char *name,
    const struct kgw_totp_pending *seen, int64_t step, int64_t drift,
    const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		name, op, "totp", NULL, (int64_t)time(NULL), false
	};
	sqlite3_stmt *st = NULL;
	char detail[64];
	int r;

	(void)snprintf(detail, sizeof(detail), "alg=%s digits=%u verified",
	    kgw_totp_alg_name(seen->alg), seen->digits);
	c.detail = detail;
	if ((r = kgw_sq_change_stmt(ss, "UPDATE users SET totp_secret = ?3,"
	    " totp_alg = ?4, totp_digits = ?5, totp_last_step = ?6,"
	    " totp_drift = ?7, totp_drift_base = 0, updated = ?2"
	    " WHERE name = ?1 AND EXISTS (SELECT 1 FROM totp_pending"
	    " WHERE user = ?1 AND secret = ?3 AND alg = ?4 AND digits = ?5)",
	    &c, &st)) != KGW_OK ||
	    (r = bind_sealed(ss, st, 3, seen->sealed, seen->sealed_len)) !=
	    KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 4, (int64_t)seen->alg)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 5, seen->digits)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 6, step)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 7, drift)) != KGW_OK)
		goto fail;
	r = kgw_sq_change_apply(ss, st, &c, KGW_ERR_STALE);
fail:
	sqlite3_finalize(st);
	return r;
}

/* A used step is never given back: max() keeps the higher watermark. */
int
kgw_sq_totp_resync(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t step, int64_t drift, const char *op)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		seen->name, op, "resync", NULL, (int64_t)time(NULL), false
	};
	sqlite3_stmt *st = NULL;
	char detail[48];
	int r;

	(void)snprintf(detail, sizeof(detail), "offset=%+lld",
	    (long long)drift);
	c.detail = detail;
	if ((r = kgw_sq_change_stmt(ss, "UPDATE users SET totp_drift = ?3,"
	    " totp_drift_base = ?3, totp_last_step = max(totp_last_step, ?4),"
	    " updated = ?2 WHERE name = ?1 AND totp_secret = ?5", &c, &st)) !=
	    KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 3, drift)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 4, step)) != KGW_OK ||
	    (r = bind_sealed(ss, st, 5, seen->totp_sealed,
	    seen->totp_sealed_len)) != KGW_OK)
		goto fail;
	r = kgw_sq_change_apply(ss, st, &c, KGW_ERR_STALE);
fail:
	sqlite3_finalize(st);
	return r;
}
