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
	" zones"
enum { COL_NAME, COL_DISABLED, COL_PWHASH, COL_SECRET, COL_ALG, COL_DIGITS,
	COL_LAST_STEP, COL_FAILS, COL_LOCKED, COL_CREATED, COL_UPDATED,
	COL_ZONES };

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
bool kgw_sq_col_int(sqlite3_stmt *st, int col, int64_t min, int64_t max,
    int64_t *out);
int kgw_sq_row_user(const struct sqlite_store *ss, sqlite3_stmt *st,
    struct kgw_user_rec *rec);
int kgw_sq_row_change(const struct sqlite_store *ss, sqlite3_stmt *st,
    struct kgw_change *c);

/* The connection (store_sqlite_conn.c). */
int kgw_sq_open(struct sqlite_store *ss, unsigned busy_timeout, int flags);
void kgw_sq_close(struct sqlite_store *ss);

#endif
