/*
 * Validates the calls that read and write a person whole (kakogawa-enroll
 * migrate), then hands them to the backend, as store.c does for the rest.
 * What a write takes is checked as a store row read back is: it may come
 * from another store, which is untrusted input here too.
 */
#include <config.h>

#include <string.h>

#include "kgw_err.h"
#include "kgw_role.h"
#include "store_impl.h"

int
kgw_store_user_read(struct kgw_store *s, const char *name,
    struct kgw_user_full *full)
{
	int r;

	if ((r = kgw_store_check_name(s, name)) != KGW_OK)
		return r;
	if (full == NULL)
		return KGW_ERR_INTERNAL;
	memset(full, 0, sizeof(*full));
	if ((r = s->ops->user_read(s, name, full)) != KGW_OK)
		explicit_bzero(full, sizeof(*full));
	return r;
}

/* Text shown to auditors and people: printable, no control bytes. */
static bool
text_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	size_t i;

	if (n > max)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool
totp_ok(size_t len, enum kgw_totp_alg alg, unsigned digits)
{
	return len > KGW_SEAL_OVERHEAD && len <= KGW_SEALED_MAX &&
	    (digits == 6 || digits == 8) && kgw_totp_alg_name(alg) != NULL;
}

/* The record's own fields, as kgw_sq_row_user bounds them. */
static bool
rec_ok(const struct kgw_user_rec *rec)
{
	const int64_t far = KGW_TOTP_RESYNC_STEPS + KGW_TOTP_DRIFT_MAX;

	if (memchr(rec->pwhash, '\0', sizeof(rec->pwhash)) == NULL ||
	    (rec->pwhash[0] != '\0' &&
	    kgw_password_hash_valid(rec->pwhash) != KGW_OK))
		return false;
	if (rec->totp_sealed_len != 0 && !totp_ok(rec->totp_sealed_len,
	    rec->totp_alg, rec->totp_digits))
		return false;
	if (memchr(rec->zones, '\0', sizeof(rec->zones)) == NULL ||
	    !kgw_zone_list_valid(rec->zones) ||
	    memchr(rec->role, '\0', sizeof(rec->role)) == NULL ||
	    (rec->role[0] != '\0' && !kgw_role_name_valid(rec->role)) ||
	    !text_ok(rec->last_from, sizeof(rec->last_from) - 1))
		return false;
	return rec->totp_last_step >= -1 && rec->locked_until >= 0 &&
	    rec->created >= 0 && rec->updated >= 0 && rec->expires >= 0 &&
	    rec->last_login >= 0 && rec->totp_drift >= -far &&
	    rec->totp_drift <= far &&
	    rec->totp_drift_base >= -KGW_TOTP_RESYNC_STEPS &&
	    rec->totp_drift_base <= KGW_TOTP_RESYNC_STEPS;
}

static bool
key_ok(const struct kgw_fido2_rec *k)
{
	return memchr(k->label, '\0', sizeof(k->label)) != NULL &&
	    kgw_fido2_label_valid(k->label) && k->id_len > 0 &&
	    k->id_len <= sizeof(k->id) && k->sealed_len > KGW_SEAL_OVERHEAD &&
	    k->sealed_len <= sizeof(k->sealed) && k->sign_count >= 0 &&
	    k->sign_count <= UINT32_MAX && k->created >= 0 &&
	    k->last_used >= 0;
}

/* Keys: valid, no label or credential id twice. */
static bool
keys_ok(const struct kgw_user_full *f)
{
	size_t i, j;

	if (f->nkeys > KGW_FIDO2_CREDS_MAX)
		return false;
	for (i = 0; i < f->nkeys; i++) {
		if (!key_ok(&f->keys[i]))
			return false;
		for (j = 0; j < i; j++)
			if (strcmp(f->keys[i].label, f->keys[j].label) == 0 ||
			    (f->keys[i].id_len == f->keys[j].id_len &&
			    memcmp(f->keys[i].id, f->keys[j].id,
			    f->keys[i].id_len) == 0))
				return false;
	}
	return true;
}

/* Codes: at most KGW_BACKUP_CODES_MAX backups and one temp code. */
static bool
codes_ok(const struct kgw_user_full *f)
{
	size_t i, backups = 0, temps = 0;

	if (f->ncodes > KGW_USER_CODES_MAX)
		return false;
	for (i = 0; i < f->ncodes; i++) {
		const struct kgw_recovery_code *c = &f->codes[i];

		if (c->created < 0)
			return false;
		if (c->kind == KGW_RECOVERY_BACKUP && c->expires == 0)
			backups++;
		else if (c->kind == KGW_RECOVERY_TEMP && c->expires > 0)
			temps++;
		else
			return false;
	}
	return backups <= KGW_BACKUP_CODES_MAX && temps <= 1;
}

int
kgw_store_user_write(struct kgw_store *s, const struct kgw_user_full *full,
    const char *op, const char *detail)
{
	const struct kgw_user_rec *rec;
	int r;

	if (full == NULL || detail == NULL)
		return KGW_ERR_INTERNAL;
	rec = &full->rec;
	if (memchr(rec->name, '\0', sizeof(rec->name)) == NULL)
		return KGW_ERR_INVALID;
	if ((r = kgw_store_check_op(s, rec->name, op)) != KGW_OK)
		return r;
	if (!text_ok(detail, KGW_MIGRATE_DETAIL_MAX) || !rec_ok(rec) ||
	    !keys_ok(full) || !codes_ok(full) || (full->has_pending &&
	    (full->pending.created < 0 || !totp_ok(full->pending.sealed_len,
	    full->pending.alg, full->pending.digits))))
		return KGW_ERR_INVALID;
	return s->ops->user_write(s, full, op, detail);
}
