/*
 * Private to the store_sqlite*.c files (not installed): the SQLite store's
 * handle and what its statement, connection and operation files share.
 */
#ifndef KGW_STORE_SQLITE_H
#define KGW_STORE_SQLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "kgw_path.h"
#include "store_impl.h"

/* One connection per handle (opened NOMUTEX): one thread at a time. */
struct sqlite_store {
	struct kgw_store base;		/* first: the dispatcher's handle */
	sqlite3 *db;
	int busy_timeout;		/* milliseconds */
	bool batch;			/* inside kgw_store_batch_begin/end */
	char path[KGW_PATH_MAX];
};

/* The users columns, in the order kgw_sq_row_user reads them. */
#define USER_COLUMNS "name, disabled, pwhash, totp_secret, totp_alg," \
	" totp_digits, totp_last_step, fail_count, locked_until, created, updated," \
	" zones, (SELECT count(*) FROM fido2 WHERE fido2.user = users.name" \
	" AND flagged = 0)," RECOVERY_COLUMNS "," \
	" role, expires, pw_temporary, last_login, last_from, fails_since"
/* What recovery adds (store_sqlite_recovery.c). */
#define RECOVERY_COLUMNS " totp_drift, totp_drift_base," \
	" (SELECT count(*) FROM backup_codes b WHERE b.user = users.name" \
	" AND b.used = 0), coalesce((SELECT expires FROM temp_codes t" \
	" WHERE t.user = users.name AND t.used = 0), 0)," \
	" EXISTS (SELECT 1 FROM totp_pending p WHERE p.user = users.name)"
enum { COL_NAME, COL_DISABLED, COL_PWHASH, COL_SECRET, COL_ALG, COL_DIGITS,
	COL_LAST_STEP, COL_FAILS, COL_LOCKED, COL_CREATED, COL_UPDATED,
	COL_ZONES, COL_FIDO2, COL_DRIFT, COL_DRIFT_BASE, COL_BACKUP_LEFT,
	COL_TEMP_EXPIRES, COL_PENDING,
	COL_ROLE, COL_EXPIRES, COL_PW_TEMP, COL_LAST_LOGIN, COL_LAST_FROM,
	COL_FAILS_SINCE };

/* The fido2 columns, in the order kgw_sq_row_fido2 reads them. */
#define FIDO2_COLUMNS "label, cred_id, sealed, aaguid, sign_count, flagged," \
	" created, last_used"

static inline struct sqlite_store *
to_sqlite(struct kgw_store *s)
{
	return (struct sqlite_store *)s;
}

/* Statements and rows (store_sqlite_stmt.c). */
int kgw_sq_db_fail(const struct sqlite_store *ss, const char *what, int rc);
int kgw_sq_bind_ok(const struct sqlite_store *ss, int rc);
int kgw_sq_bind_text(const struct sqlite_store *ss, sqlite3_stmt *st, int i,
    const char *s);
int kgw_sq_bind_int(const struct sqlite_store *ss, sqlite3_stmt *st, int i,
    int64_t v);
int kgw_sq_db_exec(struct sqlite_store *ss, const char *sql,
    const char *what);
int kgw_sq_db_prepare(struct sqlite_store *ss, const char *sql,
    sqlite3_stmt **st);
int kgw_sq_db_prepare_user(struct sqlite_store *ss, const char *sql,
    const char *name, sqlite3_stmt **st);
int kgw_sq_db_done(struct sqlite_store *ss, sqlite3_stmt *st,
    const char *what);
void kgw_sq_db_rollback(struct sqlite_store *ss);
/*
 * BEGIN IMMEDIATE: the write lock, then a check that the path still names
 * the file this connection has open (not removed or replaced meanwhile).
 */
int kgw_sq_begin(struct sqlite_store *ss, const char *what);
bool kgw_sq_col_int(sqlite3_stmt *st, int col, int64_t min, int64_t max,
    int64_t *out);
int kgw_sq_row_user(const struct sqlite_store *ss, sqlite3_stmt *st,
    struct kgw_user_rec *rec);
int kgw_sq_row_change(const struct sqlite_store *ss, sqlite3_stmt *st,
    struct kgw_change *c);
int kgw_sq_row_fido2(const struct sqlite_store *ss, sqlite3_stmt *st,
    const char *user, struct kgw_fido2_rec *rec);

/* One helpdesk change, as recorded in the changes table. */
struct kgw_sq_change {
	const char *user;
	const char *op;
	const char *action;
	const char *detail;	/* NULL or a short note, never a secret */
	int64_t time;
	bool many;		/* may change several rows (at least one) */
};

/* Helpdesk changes and login commits (store_sqlite.c). */
int kgw_sq_change_stmt(struct sqlite_store *ss, const char *sql,
    const struct kgw_sq_change *c, sqlite3_stmt **st);
/*
 * Runs st, which changes one row, and records c in the same transaction:
 * both happen or neither. none is the result when st matched no row.
 */
int kgw_sq_change_apply(struct sqlite_store *ss, sqlite3_stmt *st,
    const struct kgw_sq_change *c, int none);
/* Records c, in the transaction the caller holds. */
int kgw_sq_change_record(struct sqlite_store *ss,
    const struct kgw_sq_change *c);
/*
 * A login's commit on the user row: failures cleared, and with step >= 0
 * the TOTP step used, if the row is still as seen (kgw_store_totp_accept);
 * then the last login noted. The caller appends the audit record.
 */
int kgw_sq_user_accept(struct sqlite_store *ss,
    const struct kgw_user_rec *seen, int64_t step, int64_t now,
    const struct kgw_audit_rec *audit);

/* Security keys (store_sqlite_fido2.c). */
int kgw_sq_fido2_add(struct kgw_store *s, const char *name,
    const struct kgw_fido2_rec *rec, const char *op);
int kgw_sq_fido2_list(struct kgw_store *s, const char *name,
    struct kgw_fido2_rec *recs, size_t max, size_t *n);
int kgw_sq_fido2_revoke(struct kgw_store *s, const char *name,
    const char *label, const char *op);
int kgw_sq_fido2_accept(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t totp_step, const struct kgw_fido2_rec *key, int64_t sign_count,
    int64_t now, const struct kgw_audit_rec *audit);

/* The account lifecycle (store_sqlite_account.c). */
int kgw_sq_set_role(struct kgw_store *s, const char *name, const char *role,
    const char *op);
int kgw_sq_set_expires(struct kgw_store *s, const char *name,
    int64_t expires, const char *op);
int kgw_sq_password_change(struct kgw_store *s,
    const struct kgw_user_rec *seen, const char *hash,
    const struct kgw_audit_rec *audit);
int kgw_sq_account_accept(struct kgw_store *s, const char *name, int64_t now,
    const struct kgw_audit_rec *audit);
/*
 * Notes an allowed login on the user row (time, where from: the record's
 * rhost, else its tty) and restarts the count of failures since, in the
 * caller's transaction.
 */
int kgw_sq_login_note(struct sqlite_store *ss, const char *name, int64_t now,
    const struct kgw_audit_rec *audit);

/* The audit trail (store_sqlite_audit.c). */
/* Appends r (seq and MAC filled here) in the caller's transaction. */
int kgw_sq_audit_append(struct sqlite_store *ss,
    const struct kgw_audit_rec *r);
int kgw_sq_audit_add(struct kgw_store *s, const struct kgw_audit_rec *r);
int kgw_sq_audit_head(struct kgw_store *s, struct kgw_audit_head *h,
    bool *present);
int kgw_sq_audit_list(struct kgw_store *s, int64_t from,
    int (*cb)(void *arg, const struct kgw_audit_rec *r), void *arg);
int kgw_sq_audit_start(struct kgw_store *s);
int kgw_sq_audit_note(struct kgw_store *s, const char *op,
    const char *action, const char *detail);
int kgw_sq_audit_put(struct kgw_store *s, const struct kgw_audit_rec *r);
int kgw_sq_audit_rehead(struct kgw_store *s, const struct kgw_audit_head *h);
int kgw_sq_audit_cut(struct kgw_store *s, int64_t cut_seq,
    const unsigned char *cut_mac, const char *op, const char *detail);

/* Recovery codes (store_sqlite_recovery.c). */
int kgw_sq_recovery_issue(struct kgw_store *s, const char *name,
    enum kgw_recovery_kind kind,
    const unsigned char (*hashes)[KGW_RECOVERY_HASH_LEN], size_t n,
    int64_t expires, const char *op);
int kgw_sq_recovery_revoke(struct kgw_store *s, const char *name,
    enum kgw_recovery_kind kind, const char *op);
int kgw_sq_recovery_find(struct kgw_store *s, const char *name,
    const unsigned char *hash, struct kgw_recovery_match *m);
int kgw_sq_recovery_accept(struct kgw_store *s,
    const struct kgw_user_rec *seen, const struct kgw_recovery_match *m,
    int64_t now, const struct kgw_audit_rec *audit);

/* A TOTP pending, confirmed, resynchronised (store_sqlite_totp.c). */
int kgw_sq_totp_pending_set(struct kgw_store *s, const char *name,
    const unsigned char *sealed, size_t sealed_len, enum kgw_totp_alg alg,
    unsigned digits, const char *op);
int kgw_sq_totp_pending_get(struct kgw_store *s, const char *name,
    struct kgw_totp_pending *p);
int kgw_sq_totp_confirm(struct kgw_store *s, const char *name,
    const struct kgw_totp_pending *seen, int64_t step, int64_t drift,
    const char *op);
int kgw_sq_totp_resync(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t step, int64_t drift, const char *op);

/* A person whole, for migrate (store_sqlite_full.c). */
int kgw_sq_user_read(struct kgw_store *s, const char *name,
    struct kgw_user_full *f);
int kgw_sq_user_write(struct kgw_store *s, const struct kgw_user_full *f,
    const char *op, const char *detail);

/* The connection (store_sqlite_conn.c). */
int kgw_sq_open(struct sqlite_store *ss, unsigned busy_timeout, int flags);
void kgw_sq_close(struct sqlite_store *ss);
int kgw_sq_standalone(struct kgw_store *s);

#endif
