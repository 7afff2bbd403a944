/*
 * Security keys and recovery codes in the directory, the helpdesk side:
 * a key is three values of the person's entry (kgwFido2Key, what the
 * helpdesk enrolled; kgwFido2Counter, what logins move; and its
 * credential id, kgwFido2CredentialId, unique in the directory); recovery
 * codes are kgwRecoveryCode values, replaced by kind.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <openssl/crypto.h>

#include "kgw_err.h"
#include "store_ldap.h"

/* The person's keys as stored, for a change that must know them. */
static int
read_keys(struct ldap_store *ls, const char *name,
    struct kgw_fido2_rec *keys, size_t *n)
{
	LDAPMessage *res = NULL, *entry = NULL;
	int r;

	*n = 0;
	if ((r = kgw_ld_connect(ls)) != KGW_OK ||
	    (r = kgw_ld_get_entry(ls, true, name, &res, &entry)) != KGW_OK)
		goto out;
	r = kgw_ld_entry_fido2(ls, entry, name, keys, KGW_FIDO2_CREDS_MAX, n);
out:
	ldap_msgfree(res);
	return r;
}

/* Whether any entry under the base already holds this credential id. */
int
kgw_ld_id_taken(struct ldap_store *ls, const struct kgw_fido2_rec *rec,
    bool *taken)
{
	static const char pre[] = "(kgwFido2CredentialId=";
	char filter[KGW_FIDO2_ID_MAX * 3 + 32];
	LDAPMessage *res = NULL;
	char *attrs[] = { kgw_ld_unconst("1.1"), NULL };
	struct timeval tv;
	int rc;

	memcpy(filter, pre, sizeof(pre));	/* with its NUL */
	if (kgw_ld_escape(rec->id, rec->id_len, filter + sizeof(pre) - 1,
	    sizeof(filter) - sizeof(pre)) != KGW_OK)
		return KGW_ERR_INVALID;
	(void)strncat(filter, ")", sizeof(filter) - strlen(filter) - 1);
	tv.tv_sec = (time_t)(ls->dir.timeout / 1000);
	tv.tv_usec = (suseconds_t)(ls->dir.timeout % 1000) * 1000;
	rc = ldap_search_ext_s(ls->wr != NULL ? ls->wr : ls->ld, ls->dir.base,
	    LDAP_SCOPE_ONELEVEL, filter, attrs, 1, NULL, NULL, &tv, 1, &res);
	*taken = rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED ?
	    ldap_count_entries(ls->ld, res) > 0 : false;
	ldap_msgfree(res);
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED)
		return kgw_ld_fail(ls, "fido2_add", rc);
	return KGW_OK;
}

static int
ldap_fido2_add(struct kgw_store *s, const char *name,
    const struct kgw_fido2_rec *rec, const char *op)
{
	struct ldap_store *ls = to_ldap(s);
	struct kgw_fido2_rec keys[KGW_FIDO2_CREDS_MAX], stored = *rec;
	char key[KGW_LD_VALUE_MAX], counter[KGW_LD_VALUE_MAX];
	char detail[KGW_FIDO2_LABEL_MAX + 8];
	struct kgw_lmods m;
	bool taken = false;
	size_t n = 0, i;
	int r;

	if ((r = read_keys(ls, name, keys, &n)) != KGW_OK ||
	    (r = kgw_ld_id_taken(ls, rec, &taken)) != KGW_OK)
		goto out;
	for (i = 0; i < n; i++)
		if (strcmp(keys[i].label, rec->label) == 0)
			taken = true;
	if (taken || n >= KGW_FIDO2_CREDS_MAX) {
		r = taken ? KGW_ERR_EXISTS : KGW_ERR_INVALID;
		goto out;
	}
	stored.created = (int64_t)time(NULL);
	if (kgw_ld_fido2_key_value(&stored, key, sizeof(key)) != KGW_OK ||
	    kgw_ld_fido2_counter_value(rec->id, rec->id_len, rec->sign_count,
	    false, 0, counter, sizeof(counter)) != KGW_OK) {
		r = KGW_ERR_INVALID;
		goto out;
	}
	(void)snprintf(detail, sizeof(detail), "label=%s", rec->label);
	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_ADD, "kgwFido2Key");
	kgw_lm_str(&m, key);
	kgw_lm_op(&m, LDAP_MOD_ADD, "kgwFido2Counter");
	kgw_lm_str(&m, counter);
	kgw_lm_op(&m, LDAP_MOD_ADD, "kgwFido2CredentialId");
	kgw_lm_val(&m, rec->id, rec->id_len);
	r = kgw_ld_change(ls, name, &m, op, "fido2", detail);
out:
	explicit_bzero(keys, sizeof(keys));
	return r;
}

static int
ldap_fido2_list(struct kgw_store *s, const char *name,
    struct kgw_fido2_rec *recs, size_t max, size_t *n)
{
	struct ldap_store *ls = to_ldap(s);
	struct kgw_fido2_rec keys[KGW_FIDO2_CREDS_MAX];
	size_t all = 0, i, j;
	int r;

	*n = 0;
	if (ls->offline)
		return kgw_store_fido2_list(ls->local, name, recs, max, n);
	if ((r = read_keys(ls, name, keys, &all)) != KGW_OK)
		return r;
	/* In label order, as the SQLite store lists them. */
	for (i = 1; i < all; i++)
		for (j = i; j > 0 && strcmp(keys[j - 1].label,
		    keys[j].label) > 0; j--) {
			struct kgw_fido2_rec t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	for (i = 0; i < all && i < max; i++)
		recs[i] = keys[i];
	*n = i;
	explicit_bzero(keys, sizeof(keys));
	return KGW_OK;
}

/* Adds the deletion of key's three values to m. */
static int
key_deletion(struct kgw_lmods *m, const struct kgw_fido2_rec *key,
    char (*buf)[KGW_LD_VALUE_MAX])
{
	if (kgw_ld_fido2_key_value(key, buf[0], KGW_LD_VALUE_MAX) != KGW_OK ||
	    kgw_ld_fido2_counter_value(key->id, key->id_len, key->sign_count,
	    key->flagged, key->last_used, buf[1], KGW_LD_VALUE_MAX) != KGW_OK)
		return KGW_ERR_INVALID;
	kgw_lm_op(m, LDAP_MOD_DELETE, "kgwFido2Key");
	kgw_lm_str(m, buf[0]);
	kgw_lm_op(m, LDAP_MOD_DELETE, "kgwFido2Counter");
	kgw_lm_str(m, buf[1]);
	kgw_lm_op(m, LDAP_MOD_DELETE, "kgwFido2CredentialId");
	kgw_lm_val(m, key->id, key->id_len);
	return KGW_OK;
}

static int
ldap_fido2_revoke(struct kgw_store *s, const char *name, const char *label,
    const char *op)
{
	struct ldap_store *ls = to_ldap(s);
	struct kgw_fido2_rec keys[KGW_FIDO2_CREDS_MAX];
	char bufs[KGW_FIDO2_CREDS_MAX][2][KGW_LD_VALUE_MAX];
	char detail[KGW_FIDO2_LABEL_MAX + 8];
	struct kgw_lmods m;
	size_t n = 0, i, hit = 0;
	int r;

	if ((r = read_keys(ls, name, keys, &n)) != KGW_OK)
		goto out;
	kgw_lm_init(&m);
	for (i = 0; i < n && r == KGW_OK; i++)
		if (label == NULL || strcmp(keys[i].label, label) == 0) {
			r = key_deletion(&m, &keys[i], bufs[hit]);
			hit++;
		}
	if (r == KGW_OK && hit == 0)
		r = KGW_ERR_NOT_FOUND;
	if (r != KGW_OK)
		goto out;
	(void)snprintf(detail, sizeof(detail), "label=%s",
	    label != NULL ? label : "*");
	/* A value gone meanwhile (a login moved a counter): try again. */
	r = kgw_ld_change(ls, name, &m, op, "revoke:fido2", detail);
	if (r == KGW_ERR_NOT_FOUND)
		r = KGW_ERR_STALE;
out:
	explicit_bzero(keys, sizeof(keys));
	return r;
}

/* The person's codes of kind, as stored values (for their deletion). */
static int
codes_of(struct ldap_store *ls, const char *name, enum kgw_recovery_kind kind,
    struct kgw_lmods *m, char (*buf)[KGW_LD_VALUE_MAX], size_t max,
    size_t *n)
{
	const char *prefix = kind == KGW_RECOVERY_BACKUP ? "backup " : "temp ";
	LDAPMessage *res = NULL, *entry = NULL;
	struct berval **v = NULL;
	size_t i;
	int r;

	*n = 0;
	if ((r = kgw_ld_connect(ls)) != KGW_OK ||
	    (r = kgw_ld_get_entry(ls, true, name, &res, &entry)) != KGW_OK)
		goto out;
	v = kgw_ld_values(ls, entry, "kgwRecoveryCode");
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (v[i]->bv_len < strlen(prefix) ||
		    memcmp(v[i]->bv_val, prefix, strlen(prefix)) != 0)
			continue;
		if (*n >= max || v[i]->bv_len >= KGW_LD_VALUE_MAX) {
			r = KGW_ERR_STORE;
			break;
		}
		memcpy(buf[*n], v[i]->bv_val, v[i]->bv_len);
		if (*n == 0)
			kgw_lm_op(m, LDAP_MOD_DELETE, "kgwRecoveryCode");
		kgw_lm_val(m, buf[*n], v[i]->bv_len);
		(*n)++;
	}
out:
	ldap_value_free_len(v);
	ldap_msgfree(res);
	return r;
}

#define CODES_MAX (KGW_BACKUP_CODES_MAX + 1)

static int
ldap_recovery_issue(struct kgw_store *s, const char *name,
    enum kgw_recovery_kind kind,
    const unsigned char (*hashes)[KGW_RECOVERY_HASH_LEN], size_t n,
    int64_t expires, const char *op)
{
	struct ldap_store *ls = to_ldap(s);
	char old[CODES_MAX][KGW_LD_VALUE_MAX], new[CODES_MAX][KGW_LD_VALUE_MAX];
	char detail[64];
	struct kgw_lmods m;
	size_t nold = 0, i;
	int r;

	if (n == 0 || n > KGW_BACKUP_CODES_MAX)
		return KGW_ERR_INVALID;
	kgw_lm_init(&m);
	if ((r = codes_of(ls, name, kind, &m, old, CODES_MAX, &nold)) !=
	    KGW_OK)
		return r;
	kgw_lm_op(&m, LDAP_MOD_ADD, "kgwRecoveryCode");
	for (i = 0; i < n; i++) {
		if (kgw_ld_recovery_value(kind, hashes[i], expires, new[i],
		    KGW_LD_VALUE_MAX) != KGW_OK)
			return KGW_ERR_INVALID;
		kgw_lm_str(&m, new[i]);
	}
	if (kind == KGW_RECOVERY_BACKUP)
		(void)snprintf(detail, sizeof(detail), "count=%zu", n);
	else
		(void)snprintf(detail, sizeof(detail), "expires=%" PRId64
		    " ttl=%" PRId64, expires, expires - (int64_t)time(NULL));
	r = kgw_ld_change(ls, name, &m, op, kind == KGW_RECOVERY_BACKUP ?
	    "backup_codes" : "temp_code", detail);
	return r == KGW_ERR_NOT_FOUND ? KGW_ERR_STALE : r;
}

static int
ldap_recovery_revoke(struct kgw_store *s, const char *name,
    enum kgw_recovery_kind kind, const char *op)
{
	struct ldap_store *ls = to_ldap(s);
	char old[CODES_MAX][KGW_LD_VALUE_MAX];
	struct kgw_lmods m;
	size_t n = 0;
	int r;

	kgw_lm_init(&m);
	if ((r = codes_of(ls, name, kind, &m, old, CODES_MAX, &n)) != KGW_OK)
		return r;
	if (n == 0)
		return KGW_ERR_NOT_FOUND;
	return kgw_ld_change(ls, name, &m, op, kind == KGW_RECOVERY_BACKUP ?
	    "revoke:backup_codes" : "revoke:temp_code", NULL);
}

void
kgw_ld_key_ops(struct kgw_store_ops *ops)
{
	ops->fido2_add = ldap_fido2_add;
	ops->fido2_list = ldap_fido2_list;
	ops->fido2_revoke = ldap_fido2_revoke;
	ops->recovery_issue = ldap_recovery_issue;
	ops->recovery_revoke = ldap_recovery_revoke;
	ops->recovery_find = kgw_ld_recovery_find;
	ops->recovery_accept = kgw_ld_recovery_accept;
}
