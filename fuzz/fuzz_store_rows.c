/*
 * libFuzzer harness: records read back from the store. The input rewrites
 * columns of alice's users row (and may add a fido2 row) with raw values
 * of any type SQLite's STRICT tables take, straight through SQL; then the
 * store API reads them back (kgw_store_list, get_user, fido2_list) and a
 * login with her right password and code runs on them (fuzz_deploy.h).
 * Invariants: a record the store hands out is well formed (valid name and
 * zones, lengths within their arrays, a TOTP's parameters usable, keys'
 * fields in range); a login passes only on a row whose name, password
 * hash, TOTP secret and parameters are hers as enrolled, not disabled,
 * not locked, not past its last step, in the host's zone; an injected
 * allocation failure never passes; nothing crashes or leaks.
 */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_alloc.h"
#include "fuzz_deploy.h"
#include "kgw_conf.h"
#include "kgw_err.h"
#include "kgw_store.h"
#include "kgw_totp.h"
#include "kgw_zone.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The users table's columns, in the order of the statements below. */
enum {
	C_NAME, C_DISABLED, C_PWHASH, C_SECRET, C_ALG, C_DIGITS, C_LAST,
	C_FAILS, C_LOCKED, C_CREATED, C_UPDATED, C_ZONES,
	C_ROLE, C_EXPIRES, C_PW_TEMP, C_LAST_LOGIN, C_LAST_FROM, C_FAILS_SINCE,
	NCOLS
};
#define USER_COLS "name, disabled, pwhash, totp_secret, totp_alg, " \
	"totp_digits, totp_last_step, fail_count, locked_until, created, " \
	"updated, zones, role, expires, pw_temporary, last_login, last_from, " \
	"fails_since"
#define FIDO2_COLS 8	/* label .. last_used, after user */
#define F_FIDO2 0x800000	/* the mask bit that adds a fido2 row */

static struct fuzz_deploy deploy;
static struct kgw_conf conf;
static sqlite3_value *orig[NCOLS];	/* alice's row as enrolled */
static int64_t orig_rowid;

static sqlite3_stmt *
prepare(const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(deploy.raw, sql, -1, &st, NULL) != SQLITE_OK)
		abort();
	return st;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sqlite3_stmt *st;
	int i;

	(void)argc;
	(void)argv;
	fault_alloc_setup();
	fuzz_deploy_make(&deploy);
	if (kgw_conf_load(&fuzz_quiet_log, deploy.conf, &conf) != KGW_OK)
		abort();
	st = prepare("SELECT rowid, " USER_COLS " FROM users WHERE name = '"
	    FUZZ_USER "'");
	if (sqlite3_step(st) != SQLITE_ROW)
		abort();
	orig_rowid = sqlite3_column_int64(st, 0);
	for (i = 0; i < NCOLS; i++)
		if ((orig[i] = sqlite3_value_dup(sqlite3_column_value(st,
		    i + 1))) == NULL)
			abort();
	(void)sqlite3_finalize(st);
	return 0;
}

/* Binds the next raw value of the input: NULL, integer, text or blob. */
static void
bind_value(sqlite3_stmt *st, int i, const uint8_t **data, size_t *size)
{
	unsigned kind = *size > 0 ? (*data)[0] % 5 : 0;
	size_t n = 0;
	int64_t v = 0;

	if (*size > 0)
		(*data)++, (*size)--;
	if (kind == 1 || kind == 4) {
		n = kind == 1 ? 8 : 1;
		n = n < *size ? n : *size;
		memcpy(&v, *data, n);
		if (kind == 4 && v >= 0x80)
			v -= 0x100;	/* a small negative number */
		(void)sqlite3_bind_int64(st, i, v);
	} else if (kind == 2 || kind == 3) {
		if (*size >= 2) {
			n = (size_t)(*data)[0] << 8 | (*data)[1];
			*data += 2;
			*size -= 2;
		}
		n = n < *size ? n : *size;
		if (kind == 2)
			(void)sqlite3_bind_text(st, i, (const char *)*data,
			    (int)n, SQLITE_TRANSIENT);
		else
			(void)sqlite3_bind_blob(st, i, *data, (int)n,
			    SQLITE_TRANSIENT);
	} else {
		(void)sqlite3_bind_null(st, i);
	}
	*data += n;
	*size -= n;
}

/* Writes alice's row: vals (NULL: as enrolled); false when SQL refuses. */
static bool
write_row(unsigned mask, const uint8_t **data, size_t *size)
{
	sqlite3_stmt *st = prepare("UPDATE users SET (" USER_COLS ") = "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
	    " ?16, ?17, ?18) WHERE rowid = ?19");
	bool ok;
	int i;

	for (i = 0; i < NCOLS; i++)
		if (mask & (1u << i))
			bind_value(st, i + 1, data, size);
		else
			(void)sqlite3_bind_value(st, i + 1, orig[i]);
	(void)sqlite3_bind_int64(st, NCOLS + 1, orig_rowid);
	ok = sqlite3_step(st) == SQLITE_DONE;
	(void)sqlite3_finalize(st);
	return ok;
}

static void
add_fido2(const uint8_t **data, size_t *size)
{
	sqlite3_stmt *st = prepare("INSERT INTO fido2 (user, label, cred_id, "
	    "sealed, aaguid, sign_count, flagged, created, last_used) "
	    "SELECT name, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM users "
	    "WHERE rowid = ?9");
	int i;

	for (i = 1; i <= FIDO2_COLS; i++)
		bind_value(st, i, data, size);
	(void)sqlite3_bind_int64(st, FIDO2_COLS + 1, orig_rowid);
	(void)sqlite3_step(st);
	(void)sqlite3_finalize(st);
}

static void
restore(void)
{
	const uint8_t *none = NULL;
	size_t zero = 0;

	if (sqlite3_exec(deploy.raw, "DELETE FROM fido2", NULL, NULL, NULL) !=
	    SQLITE_OK || !write_row(0, &none, &zero))
		abort();
	fuzz_deploy_reset(&deploy);
}

static void
check_rec(const struct kgw_user_rec *r)
{
	if (memchr(r->name, '\0', sizeof(r->name)) == NULL ||
	    !kgw_username_valid(r->name) ||
	    memchr(r->pwhash, '\0', sizeof(r->pwhash)) == NULL ||
	    memchr(r->zones, '\0', sizeof(r->zones)) == NULL ||
	    !kgw_zone_list_valid(r->zones) ||
	    r->totp_sealed_len > sizeof(r->totp_sealed) ||
	    r->fido2_count > KGW_FIDO2_CREDS_MAX ||
	    memchr(r->role, '\0', sizeof(r->role)) == NULL ||
	    (r->role[0] != '\0' && !kgw_role_name_valid(r->role)) ||
	    r->expires < 0 || r->last_login < 0 ||
	    memchr(r->last_from, '\0', sizeof(r->last_from)) == NULL)
		abort();
	if (r->totp_sealed_len > 0 && ((r->totp_digits != 6 &&
	    r->totp_digits != 8) || kgw_totp_alg_name(r->totp_alg) == NULL))
		abort();
}

static int
list_cb(void *arg, const struct kgw_user_rec *r)
{
	(void)arg;
	check_rec(r);
	return 0;
}

/* Reads everything back through the store API. */
static void
read_back(void)
{
	struct kgw_store *s = NULL;
	struct kgw_user_rec rec;
	struct kgw_fido2_rec keys[KGW_FIDO2_CREDS_MAX];
	size_t n = 0, i;

	if (kgw_store_open(&fuzz_quiet_log, &conf, 0, &s) != KGW_OK)
		return;
	(void)kgw_store_list(s, list_cb, NULL);
	if (kgw_store_get_user(s, FUZZ_USER, &rec) == KGW_OK)
		check_rec(&rec);
	if (kgw_store_fido2_list(s, FUZZ_USER, keys, KGW_FIDO2_CREDS_MAX,
	    &n) == KGW_OK) {
		if (n > KGW_FIDO2_CREDS_MAX)
			abort();
		for (i = 0; i < n; i++)
			if (keys[i].id_len == 0 ||
			    keys[i].id_len > sizeof(keys[i].id) ||
			    keys[i].sealed_len > sizeof(keys[i].sealed) ||
			    !kgw_fido2_label_valid(keys[i].label) ||
			    keys[i].sign_count < 0 ||
			    keys[i].sign_count > UINT32_MAX)
				abort();
	}
	kgw_store_close(&s);
}

/* The column as it is now equals alice's as enrolled. */
static bool
same(sqlite3_stmt *st, int i)
{
	sqlite3_value *a = sqlite3_column_value(st, i), *b = orig[i];
	int t = sqlite3_value_type(a);

	if (t != sqlite3_value_type(b))
		return false;
	if (t == SQLITE_INTEGER)
		return sqlite3_value_int64(a) == sqlite3_value_int64(b);
	if (t == SQLITE_NULL)
		return true;
	if (sqlite3_value_bytes(a) != sqlite3_value_bytes(b))
		return false;
	/* An empty text or blob may come back as NULL: memcmp takes none. */
	return sqlite3_value_bytes(b) == 0 ||
	    memcmp(sqlite3_value_blob(a), sqlite3_value_blob(b),
	    (size_t)sqlite3_value_bytes(b)) == 0;
}

/*
 * The row as it stands deserves a pass for alice's right answers at now:
 * hers as enrolled where it counts, enabled, not locked, not past the
 * step, in the host's zone, of no role and not past an expiry.
 */
static bool
deserves(time_t now)
{
	sqlite3_stmt *st = prepare("SELECT " USER_COLS " FROM users "
	    "WHERE rowid = ?1");
	const unsigned char *zones;
	int64_t locked;
	bool ok;

	(void)sqlite3_bind_int64(st, 1, orig_rowid);
	if (sqlite3_step(st) != SQLITE_ROW)
		abort();
	locked = sqlite3_column_int64(st, C_LOCKED);
	zones = sqlite3_column_text(st, C_ZONES);
	ok = same(st, C_NAME) && same(st, C_PWHASH) && same(st, C_SECRET) &&
	    same(st, C_ALG) && same(st, C_DIGITS) &&
	    sqlite3_column_type(st, C_DISABLED) == SQLITE_INTEGER &&
	    sqlite3_column_int64(st, C_DISABLED) == 0 &&
	    (locked == 0 || locked <= (int64_t)now) &&
	    sqlite3_column_int64(st, C_LAST) < (int64_t)now / KGW_TOTP_STEP &&
	    zones != NULL && kgw_zone_list_has((const char *)zones, FUZZ_ZONE) &&
	    same(st, C_ROLE) && (sqlite3_column_int64(st, C_EXPIRES) == 0 ||
	    sqlite3_column_int64(st, C_EXPIRES) > (int64_t)now);
	(void)sqlite3_finalize(st);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long nth = fault_alloc_take(&data, &size);
	unsigned mask;
	char right[16];
	time_t now = time(NULL);
	bool fair;
	int r;

	if (size < 3)
		return 0;
	mask = (unsigned)data[0] | (unsigned)data[1] << 8 |
	    (unsigned)data[2] << 16;
	data += 3;
	size -= 3;
	if (!write_row(mask, &data, &size))
		goto out;
	if (mask & F_FIDO2)
		add_fido2(&data, &size);
	fuzz_deploy_code(&deploy, (int64_t)now / KGW_TOTP_STEP, right);
	fair = deserves(now);
	fault_alloc_arm(nth);
	read_back();
	(void)fault_alloc_disarm();
	fault_alloc_arm(nth);
	r = fuzz_deploy_login(&deploy, FUZZ_USER, "10.0.0.1", "ssh",
	    FUZZ_PASSWORD, right, now);
	(void)fault_alloc_disarm();
	if (getenv("FUZZ_TRACE") != NULL)	/* README: reproducing */
		fprintf(stderr, "fuzz_store_rows: mask=0x%06x fair=%d verdict "
		    "%s\n", mask, fair, kgw_reason(r));
	if (r == KGW_OK && !fair)
		abort();	/* a malformed or unfit row let alice in */
out:
	restore();
	return 0;
}
