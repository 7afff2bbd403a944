/*
 * Recovery codes in the directory: each unused code is one value of
 * kgwRecoveryCode (its keyed hash); a login uses one up by deleting that
 * exact value in its commit's modify, so that of two logins racing with
 * one code the second finds the value gone (noSuchAttribute).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "kgw_err.h"
#include "store_ldap.h"

/* The code's value, if the person has it: kind, expiry, hash. */
static bool
match_value(const struct berval *v, const unsigned char *hash,
    struct kgw_recovery_match *m)
{
	char want[KGW_LD_VALUE_MAX];
	int64_t expires = 0;
	const char *p;

	memset(m, 0, sizeof(*m));
	if (v->bv_len > 7 && memcmp(v->bv_val, "backup ", 7) == 0) {
		m->kind = KGW_RECOVERY_BACKUP;
	} else if (v->bv_len > 5 && memcmp(v->bv_val, "temp ", 5) == 0) {
		m->kind = KGW_RECOVERY_TEMP;
		p = v->bv_val + 5;
		while (p < v->bv_val + v->bv_len && *p >= '0' && *p <= '9' &&
		    expires < INT64_MAX / 10)
			expires = expires * 10 + (*p++ - '0');
	} else {
		return false;
	}
	/* The canonical value of this hash, compared in constant time. */
	if (kgw_ld_recovery_value(m->kind, hash, expires, want,
	    sizeof(want)) != KGW_OK || strlen(want) != v->bv_len ||
	    CRYPTO_memcmp(want, v->bv_val, v->bv_len) != 0)
		return false;
	m->expires = m->kind == KGW_RECOVERY_TEMP ? expires : 0;
	memcpy(m->hash, hash, KGW_RECOVERY_HASH_LEN);
	return true;
}

int
kgw_ld_recovery_find(struct kgw_store *s, const char *name,
    const unsigned char *hash, struct kgw_recovery_match *m)
{
	struct ldap_store *ls = to_ldap(s);
	LDAPMessage *res = NULL, *entry = NULL;
	struct berval **v = NULL;
	size_t i;
	int r;

	memset(m, 0, sizeof(*m));
	/* Recovery codes are the directory's alone: none from the cache. */
	if (ls->offline)
		return KGW_ERR_NOT_FOUND;
	if ((r = kgw_ld_connect(ls)) != KGW_OK ||
	    (r = kgw_ld_get_entry(ls, false, name, &res, &entry)) != KGW_OK)
		goto out;
	v = kgw_ld_values(ls, entry, "kgwRecoveryCode");
	r = KGW_ERR_NOT_FOUND;
	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (match_value(v[i], hash, m)) {
			r = KGW_OK;
			break;
		}
	if (r != KGW_OK)
		memset(m, 0, sizeof(*m));
out:
	ldap_value_free_len(v);
	ldap_msgfree(res);
	return r;
}

int
kgw_ld_recovery_accept(struct kgw_store *s, const struct kgw_user_rec *seen,
    const struct kgw_recovery_match *m, int64_t now,
    const struct kgw_audit_rec *audit)
{
	struct ldap_store *ls = to_ldap(s);
	char value[KGW_LD_VALUE_MAX], filter[KGW_LD_FILTER_MAX];
	struct kgw_lmods lm;
	int r;

	if (ls->offline || (m->kind == KGW_RECOVERY_TEMP && now >= m->expires))
		return KGW_ERR_DENIED;
	if ((r = kgw_ld_recovery_value(m->kind, m->hash, m->expires, value,
	    sizeof(value))) != KGW_OK ||
	    (r = kgw_ld_accept_filter(seen, -1, now, "", filter,
	    sizeof(filter))) != KGW_OK)
		return r;
	kgw_lm_init(&lm);
	kgw_ld_accept_mods(&lm, seen, -1, now, audit);
	kgw_lm_op(&lm, LDAP_MOD_DELETE, "kgwRecoveryCode");
	kgw_lm_str(&lm, value);
	r = kgw_ld_commit_login(ls, seen, &lm, filter, false, now, audit);
	/* A refusal that is no change of the person: the code went first. */
	return r == KGW_ERR_STORE ? KGW_ERR_REPLAY : r;
}
