/*
 * The SQLite store's audit trail: records appended at the end of the
 * chain, inside the transaction of the change they describe, and the
 * chain's head (last seq and MAC, under a MAC of its own) kept in a row
 * of its own, so that records cut off the end are missed too.
 */
#include <config.h>

#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "kgw_err.h"
#include "store_sqlite.h"

#define AUDIT_COLUMNS "seq, time, kind, host, host_zone, service, user," \
	" rhost, src_zone, tty, factors, result, reason, rule, operator," \
	" action, detail, mac"
#define COL_FIELD0 2	/* kind: the first text field */
#define COL_DETAIL (COL_FIELD0 + KGW_AF_NFIELDS)
#define COL_MAC (COL_DETAIL + 1)

static bool
col_blob(sqlite3_stmt *st, int col, unsigned char *out, size_t len)
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    (size_t)sqlite3_column_bytes(st, col) != len)
		return false;
	memcpy(out, sqlite3_column_blob(st, col), len);
	return true;
}

static bool
col_text(sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const unsigned char *p;
	size_t n, i;

	if (sqlite3_column_type(st, col) != SQLITE_TEXT ||
	    (p = sqlite3_column_text(st, col)) == NULL)
		return false;
	n = (size_t)sqlite3_column_bytes(st, col);
	if (n >= cap || memchr(p, '\0', n) != NULL)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	/* Shown to people: a row written around us could steer a terminal.
	 * (Such a row fails its MAC: a true record holds no control byte.) */
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	return true;
}

/* The head row, when there is one; its MAC is the caller's to check. */
static int
head_read(struct sqlite_store *ss, struct kgw_audit_head *h, bool *present)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	memset(h, 0, sizeof(*h));
	*present = false;
	if ((r = kgw_sq_db_prepare(ss, "SELECT base_seq, base_mac, seq, mac,"
	    " head_mac FROM audit_head WHERE id = 1", &st)) != KGW_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_DONE)
		goto fail;	/* no record yet */
	if (rc != SQLITE_ROW) {
		r = kgw_sq_db_fail(ss, "audit_head", rc);
		goto fail;
	}
	if (!kgw_sq_col_int(st, 0, 0, INT64_MAX, &h->base_seq) ||
	    !col_blob(st, 1, h->base_mac, KGW_AUDIT_MAC_LEN) ||
	    !kgw_sq_col_int(st, 2, h->base_seq, INT64_MAX, &h->seq) ||
	    !col_blob(st, 3, h->mac, KGW_AUDIT_MAC_LEN) ||
	    !col_blob(st, 4, h->head_mac, KGW_AUDIT_MAC_LEN)) {
		kgw_log_err(ss->base.log, "audit head invalid: path=%s",
		    ss->path);
		r = KGW_ERR_TAMPERED;
		goto fail;
	}
	*present = true;
fail:
	sqlite3_finalize(st);
	return r;
}

static int
head_write(struct sqlite_store *ss, const struct kgw_audit_head *h)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_db_prepare(ss, "INSERT INTO audit_head (id, base_seq,"
	    " base_mac, seq, mac, head_mac) VALUES (1, ?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (id) DO UPDATE SET base_seq = ?1, base_mac = ?2,"
	    " seq = ?3, mac = ?4, head_mac = ?5", &st)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 1, h->base_seq)) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 2, h->base_mac,
	    KGW_AUDIT_MAC_LEN, SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 3, h->seq)) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 4, h->mac,
	    KGW_AUDIT_MAC_LEN, SQLITE_STATIC))) != KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, 5, h->head_mac,
	    KGW_AUDIT_MAC_LEN, SQLITE_STATIC))) != KGW_OK)
		goto fail;
	r = kgw_sq_db_done(ss, st, "audit_head");
fail:
	sqlite3_finalize(st);
	return r;
}

static int
record_insert(struct sqlite_store *ss, const struct kgw_audit_rec *a)
{
	sqlite3_stmt *st = NULL;
	int i, r;

	if ((r = kgw_sq_db_prepare(ss, "INSERT INTO audit (" AUDIT_COLUMNS
	    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14, ?15, ?16, ?17, ?18)", &st)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 1, a->seq)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 2, a->time)) != KGW_OK)
		goto fail;
	for (i = 0; i < KGW_AF_NFIELDS; i++)
		if ((r = kgw_sq_bind_text(ss, st, COL_FIELD0 + 1 + i,
		    a->field[i])) != KGW_OK)
			goto fail;
	if ((r = kgw_sq_bind_text(ss, st, COL_DETAIL + 1, a->detail)) !=
	    KGW_OK ||
	    (r = kgw_sq_bind_ok(ss, sqlite3_bind_blob(st, COL_MAC + 1, a->mac,
	    KGW_AUDIT_MAC_LEN, SQLITE_STATIC))) != KGW_OK)
		goto fail;
	r = kgw_sq_db_done(ss, st, "audit");
fail:
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_audit_append(struct sqlite_store *ss, const struct kgw_audit_rec *r)
{
	const struct kgw_key *key = &ss->base.audit_key;
	unsigned char want[KGW_AUDIT_MAC_LEN];
	struct kgw_audit_head h;
	struct kgw_audit_rec a;
	bool present;
	int rc;

	if (!ss->base.audited)
		return KGW_ERR_INTERNAL;
	if ((rc = head_read(ss, &h, &present)) != KGW_OK)
		return rc;
	if (!present) {
		kgw_log_err(ss->base.log, "audit trail has no head: path=%s; "
		    "it was removed, or the store predates it (kakogawa-enroll "
		    "audit start)", ss->path);
		return KGW_ERR_TAMPERED;
	}
	/* A chain whose end was tampered with is not extended. */
	if (kgw_audit_head_mac(key, &h, want) != KGW_OK ||
	    !kgw_audit_mac_equal(want, h.head_mac)) {
		kgw_log_err(ss->base.log, "audit head does not verify: "
		    "path=%s; run kakogawa-enroll audit verify", ss->path);
		return KGW_ERR_TAMPERED;
	}
	a = *r;
	a.seq = h.seq + 1;
	if ((rc = kgw_audit_mac(key, h.mac, &a, a.mac)) != KGW_OK)
		return rc;
	h.seq = a.seq;
	memcpy(h.mac, a.mac, sizeof(h.mac));
	if ((rc = kgw_audit_head_mac(key, &h, h.head_mac)) != KGW_OK ||
	    (rc = record_insert(ss, &a)) != KGW_OK ||
	    (rc = head_write(ss, &h)) != KGW_OK)
		return rc;
	ss->base.last_seq = a.seq;
	memcpy(ss->base.last_mac, a.mac, sizeof(ss->base.last_mac));
	return KGW_OK;
}

int
kgw_sq_audit_add(struct kgw_store *s, const struct kgw_audit_rec *r)
{
	struct sqlite_store *ss = to_sqlite(s);
	int rc;

	if ((rc = kgw_sq_begin(ss, "audit")) != KGW_OK)
		return rc;
	if ((rc = kgw_sq_audit_append(ss, r)) == KGW_OK)
		rc = kgw_sq_db_exec(ss, "COMMIT", "audit");
	kgw_sq_db_rollback(ss);
	return rc;
}

int
kgw_sq_audit_head(struct kgw_store *s, struct kgw_audit_head *h,
    bool *present)
{
	return head_read(to_sqlite(s), h, present);
}

/* One audit row, as stored: untrusted, checked for shape only. */
static int
row_audit(const struct sqlite_store *ss, sqlite3_stmt *st,
    struct kgw_audit_rec *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	if (!kgw_sq_col_int(st, 0, 1, INT64_MAX, &a->seq) ||
	    !kgw_sq_col_int(st, 1, INT64_MIN, INT64_MAX, &a->time))
		goto bad;
	for (i = 0; i < KGW_AF_NFIELDS; i++)
		if (!col_text(st, COL_FIELD0 + i, a->field[i],
		    sizeof(a->field[i])))
			goto bad;
	if (!col_text(st, COL_DETAIL, a->detail, sizeof(a->detail)) ||
	    !col_blob(st, COL_MAC, a->mac, KGW_AUDIT_MAC_LEN))
		goto bad;
	return KGW_OK;
bad:
	kgw_log_err(ss->base.log, "audit row invalid: path=%s seq=%lld",
	    ss->path, (long long)sqlite3_column_int64(st, 0));
	return KGW_ERR_TAMPERED;
}

int
kgw_sq_audit_list(struct kgw_store *s, int64_t from,
    int (*cb)(void *arg, const struct kgw_audit_rec *r), void *arg)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_audit_rec a;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = kgw_sq_db_prepare(ss, "SELECT " AUDIT_COLUMNS " FROM audit"
	    " WHERE seq >= ?1 ORDER BY seq", &st)) != KGW_OK ||
	    (r = kgw_sq_bind_int(ss, st, 1, from)) != KGW_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = row_audit(ss, st, &a)) != KGW_OK ||
		    (r = cb(arg, &a)) != 0)
			goto fail;
	r = rc == SQLITE_DONE ? KGW_OK : kgw_sq_db_fail(ss, "audit_list", rc);
fail:
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_audit_put(struct kgw_store *s, const struct kgw_audit_rec *r)
{
	struct sqlite_store *ss = to_sqlite(s);

	if (!ss->batch)
		return KGW_ERR_INTERNAL;	/* copies go in one batch */
	return record_insert(ss, r);
}

int
kgw_sq_audit_rehead(struct kgw_store *s, const struct kgw_audit_head *h)
{
	struct sqlite_store *ss = to_sqlite(s);

	if (!ss->batch)
		return KGW_ERR_INTERNAL;
	return head_write(ss, h);
}

/* The record at the cut is there, with the MAC the archive ends with. */
static int
cut_mac_check(struct sqlite_store *ss, int64_t seq,
    const unsigned char *mac)
{
	unsigned char now[KGW_AUDIT_MAC_LEN];
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = kgw_sq_db_prepare(ss, "SELECT mac FROM audit WHERE seq = ?1",
	    &st)) != KGW_OK || (r = kgw_sq_bind_int(ss, st, 1, seq)) != KGW_OK)
		goto fail;
	r = KGW_ERR_TAMPERED;
	if (sqlite3_step(st) == SQLITE_ROW && col_blob(st, 0, now, sizeof(now)) &&
	    kgw_audit_mac_equal(now, mac))
		r = KGW_OK;
fail:
	sqlite3_finalize(st);
	return r;
}

/*
 * The records up to cut_seq leave the store; the chain now starts after
 * them. The head must verify before, and the cut is itself recorded.
 */
int
kgw_sq_audit_cut(struct kgw_store *s, int64_t cut_seq,
    const unsigned char *cut_mac, const char *op, const char *detail)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		"-", op, "audit_prune", detail, (int64_t)time(NULL), false
	};
	unsigned char want[KGW_AUDIT_MAC_LEN];
	struct kgw_audit_head h;
	sqlite3_stmt *st = NULL;
	bool present;
	int r;

	if ((r = kgw_sq_begin(ss, "audit_cut")) != KGW_OK)
		return r;
	if ((r = head_read(ss, &h, &present)) != KGW_OK)
		goto fail;
	if (!present || cut_seq <= h.base_seq || cut_seq > h.seq ||
	    kgw_audit_head_mac(&s->audit_key, &h, want) != KGW_OK ||
	    !kgw_audit_mac_equal(want, h.head_mac)) {
		r = KGW_ERR_TAMPERED;
		goto fail;
	}
	if ((r = cut_mac_check(ss, cut_seq, cut_mac)) != KGW_OK)
		goto fail;
	if ((r = kgw_sq_db_prepare(ss, "DELETE FROM audit WHERE seq <= ?1",
	    &st)) != KGW_OK || (r = kgw_sq_bind_int(ss, st, 1, cut_seq)) !=
	    KGW_OK || (r = kgw_sq_db_done(ss, st, "audit_cut")) != KGW_OK)
		goto fail;
	h.base_seq = cut_seq;
	memcpy(h.base_mac, cut_mac, sizeof(h.base_mac));
	if ((r = kgw_audit_head_mac(&s->audit_key, &h, h.head_mac)) !=
	    KGW_OK || (r = head_write(ss, &h)) != KGW_OK ||
	    (r = kgw_sq_change_record(ss, &c)) != KGW_OK)
		goto fail;
	r = kgw_sq_db_exec(ss, "COMMIT", "audit_cut");
fail:
	sqlite3_finalize(st);
	kgw_sq_db_rollback(ss);
	return r;
}

/* Any record at all, as a head missing beside records is no new trail. */
static int
any_record(struct sqlite_store *ss, bool *any)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	*any = false;
	if ((r = kgw_sq_db_prepare(ss, "SELECT 1 FROM audit LIMIT 1", &st)) !=
	    KGW_OK)
		return r;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*any = true;
	else if (rc != SQLITE_DONE)
		r = kgw_sq_db_fail(ss, "audit_start", rc);
	sqlite3_finalize(st);
	return r;
}

int
kgw_sq_audit_start(struct kgw_store *s)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_audit_head h;
	bool present, any;
	int r;

	if ((r = kgw_sq_begin(ss, "audit_start")) != KGW_OK)
		return r;
	if ((r = head_read(ss, &h, &present)) != KGW_OK ||
	    (r = any_record(ss, &any)) != KGW_OK)
		goto fail;
	if (present || any) {
		r = KGW_ERR_EXISTS;
		goto fail;
	}
	memset(&h, 0, sizeof(h));
	if ((r = kgw_audit_head_mac(&s->audit_key, &h, h.head_mac)) !=
	    KGW_OK || (r = head_write(ss, &h)) != KGW_OK)
		goto fail;
	r = kgw_sq_db_exec(ss, "COMMIT", "audit_start");
fail:
	kgw_sq_db_rollback(ss);
	return r;
}

int
kgw_sq_audit_note(struct kgw_store *s, const char *op, const char *action,
    const char *detail)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		"-", op, action, detail, (int64_t)time(NULL), false
	};
	int r;

	if ((r = kgw_sq_begin(ss, "audit_note")) != KGW_OK)
		return r;
	if ((r = kgw_sq_change_record(ss, &c)) == KGW_OK)
		r = kgw_sq_db_exec(ss, "COMMIT", "audit_note");
	kgw_sq_db_rollback(ss);
	return r;
}

int
kgw_store_sqlite_change_note(struct kgw_store *s, const char *user,
    const char *op, const char *action, const char *detail)
{
	struct sqlite_store *ss = to_sqlite(s);
	struct kgw_sq_change c = {
		user, op, action, detail, (int64_t)time(NULL), false
	};
	int r;

	if (!s->audited)
		return KGW_ERR_INTERNAL;
	if ((r = kgw_sq_begin(ss, action)) != KGW_OK)
		return r;
	if ((r = kgw_sq_change_record(ss, &c)) == KGW_OK)
		r = kgw_sq_db_exec(ss, "COMMIT", action);
	kgw_sq_db_rollback(ss);
	return r;
}
