/*
 * A person whole in the directory, for migrate: read from their entry,
 * and written as one add of the entry with every attribute, so that no
 * host ever sees half a person. The secrets go as stored elsewhere:
 * sealed values and keyed hashes, never in clear.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "kgw_err.h"
#include "store_ldap.h"

/* Upper-case hex of exactly len bytes (the layout's canonical form). */
static bool
unhex_exact(const char *s, size_t slen, unsigned char *out, size_t len)
{
	size_t i;
	int hi, lo;

	if (slen != len * 2)
		return false;
	for (i = 0; i < slen; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' &&
		    s[i] <= 'F')))
			return false;
	for (i = 0; i < len; i++) {
		hi = s[2 * i] <= '9' ? s[2 * i] - '0' : s[2 * i] - 'A' + 10;
		lo = s[2 * i + 1] <= '9' ? s[2 * i + 1] - '0' :
		    s[2 * i + 1] - 'A' + 10;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* "backup HASHHEX" or "temp EXPIRES HASHHEX" (store_ldap_entry.c). */
static bool
parse_code(const struct berval *v, struct kgw_recovery_code *c)
{
	const char *p = v->bv_val, *end = v->bv_val + v->bv_len;
	int64_t expires = 0;

	memset(c, 0, sizeof(*c));
	if (v->bv_len > 7 && memcmp(p, "backup ", 7) == 0) {
		c->kind = KGW_RECOVERY_BACKUP;
		p += 7;
	} else if (v->bv_len > 5 && memcmp(p, "temp ", 5) == 0) {
		c->kind = KGW_RECOVERY_TEMP;
		/* Decimal, as written: no sign, no leading zero. */
		for (p += 5; p < end && *p >= '0' && *p <= '9'; p++) {
			if ((expires == 0 && *p == '0') ||
			    expires > (INT64_MAX - 9) / 10)
				return false;
			expires = expires * 10 + (*p - '0');
		}
		if (expires == 0 || p == end || *p++ != ' ')
			return false;
		c->expires = expires;
	} else
		return false;
	return unhex_exact(p, (size_t)(end - p), c->hash,
	    KGW_RECOVERY_HASH_LEN);
}

static int
entry_codes(const struct ldap_store *ls, LDAPMessage *entry,
    struct kgw_user_full *f)
{
	struct berval **v = kgw_ld_values(ls, entry, "kgwRecoveryCode");
	size_t i;
	int r = KGW_OK;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (f->ncodes >= KGW_USER_CODES_MAX ||
		    !parse_code(v[i], &f->codes[f->ncodes++])) {
			kgw_log_err(ls->base.log, "directory entry invalid: "
			    "user=%s attribute=kgwRecoveryCode", f->rec.name);
			r = KGW_ERR_STORE;
			break;
		}
	ldap_value_free_len(v);
	return r;
}

static int
entry_pending(const struct ldap_store *ls, LDAPMessage *entry,
    struct kgw_user_full *f)
{
	struct berval **v = kgw_ld_values(ls, entry, "kgwTotpPending");
	int r = KGW_OK;

	if (v != NULL && v[0] != NULL) {
		if (v[1] != NULL || kgw_ld_pending_parse(v[0]->bv_val,
		    v[0]->bv_len, &f->pending) != KGW_OK) {
			kgw_log_err(ls->base.log, "directory entry invalid: "
			    "user=%s attribute=kgwTotpPending", f->rec.name);
			r = KGW_ERR_STORE;
		} else
			f->has_pending = true;
	}
	ldap_value_free_len(v);
	return r;
}

/* From the provider, when a referral named one: what it has now. */
static int
ldap_user_read(struct kgw_store *s, const char *name,
    struct kgw_user_full *f)
{
	struct ldap_store *ls = to_ldap(s);
	LDAPMessage *res = NULL, *entry = NULL;
	int r;

	if ((r = kgw_ld_connect(ls)) != KGW_OK ||
	    (r = kgw_ld_get_entry(ls, true, name, &res, &entry)) != KGW_OK ||
	    (r = kgw_ld_entry_user(ls, entry, &f->rec)) != KGW_OK ||
	    (r = kgw_ld_entry_fido2(ls, entry, name, f->keys,
	    KGW_FIDO2_CREDS_MAX, &f->nkeys)) != KGW_OK ||
	    (r = entry_codes(ls, entry, f)) != KGW_OK)
		goto out;
	r = entry_pending(ls, entry, f);
out:
	ldap_msgfree(res);
	return r;
}

/* The values the attributes point at, wiped and freed after the add. */
struct add_bufs {
	char key[KGW_FIDO2_CREDS_MAX][KGW_LD_VALUE_MAX];
	char counter[KGW_FIDO2_CREDS_MAX][KGW_LD_VALUE_MAX];
	char code[KGW_USER_CODES_MAX][KGW_LD_VALUE_MAX];
	char pending[KGW_LD_VALUE_MAX];
};

/* The person's own attributes; the counters are there from the start. */
static void
person_mods(struct kgw_lmods *m, const struct kgw_user_rec *u)
{
	kgw_lm_op(m, LDAP_MOD_ADD, "objectClass");
	kgw_lm_str(m, "account");
	kgw_lm_str(m, "kgwStaff");
	kgw_lm_op(m, LDAP_MOD_ADD, "uid");
	kgw_lm_str(m, u->name);
	if (u->zones[0] != '\0') {
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwZones");
		kgw_lm_str(m, u->zones);
	}
	if (u->pwhash[0] != '\0') {
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwPasswordHash");
		kgw_lm_str(m, u->pwhash);
	}
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwPasswordTemporary");
	kgw_lm_bool(m, u->pw_temporary);
	if (u->totp_sealed_len > 0) {
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwTotpSecret");
		kgw_lm_val(m, u->totp_sealed, u->totp_sealed_len);
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwTotpAlg");
		kgw_lm_int(m, (int64_t)u->totp_alg);
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwTotpDigits");
		kgw_lm_int(m, u->totp_digits);
	}
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwTotpLastStep");
	kgw_lm_int(m, u->totp_last_step);
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwTotpDrift");
	kgw_lm_int(m, u->totp_drift);
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwTotpDriftBase");
	kgw_lm_int(m, u->totp_drift_base);
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwFailCount");
	kgw_lm_int(m, u->fail_count);
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwFailsSince");
	kgw_lm_int(m, u->fails_since);
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwLockedUntil");
	kgw_lm_int(m, u->locked_until);
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwDisabled");
	kgw_lm_bool(m, u->disabled);
	if (u->role[0] != '\0') {
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwRole");
		kgw_lm_str(m, u->role);
	}
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwExpires");
	kgw_lm_int(m, u->expires);
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwLastLogin");
	kgw_lm_int(m, u->last_login);
	if (u->last_from[0] != '\0') {
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwLastFrom");
		kgw_lm_str(m, u->last_from);
	}
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwCreated");
	kgw_lm_int(m, u->created);
	kgw_lm_op(m, LDAP_MOD_ADD, "kgwUpdated");
	kgw_lm_int(m, u->updated);
}

/* Keys (three values each), codes and the pending TOTP. */
static int
factor_mods(struct kgw_lmods *m, const struct kgw_user_full *f,
    struct add_bufs *b)
{
	size_t i;

	for (i = 0; i < f->nkeys; i++) {
		const struct kgw_fido2_rec *k = &f->keys[i];

		if (kgw_ld_fido2_key_value(k, b->key[i], KGW_LD_VALUE_MAX) !=
		    KGW_OK || kgw_ld_fido2_counter_value(k->id, k->id_len,
		    k->sign_count, k->flagged, k->last_used, b->counter[i],
		    KGW_LD_VALUE_MAX) != KGW_OK)
			return KGW_ERR_INVALID;
	}
	for (i = 0; i < f->ncodes; i++)
		if (kgw_ld_recovery_value(f->codes[i].kind, f->codes[i].hash,
		    f->codes[i].expires, b->code[i], KGW_LD_VALUE_MAX) !=
		    KGW_OK)
			return KGW_ERR_INVALID;
	if (f->has_pending && kgw_ld_pending_value(&f->pending, b->pending,
	    sizeof(b->pending)) != KGW_OK)
		return KGW_ERR_INVALID;
	if (f->nkeys > 0) {
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwFido2Key");
		for (i = 0; i < f->nkeys; i++)
			kgw_lm_str(m, b->key[i]);
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwFido2Counter");
		for (i = 0; i < f->nkeys; i++)
			kgw_lm_str(m, b->counter[i]);
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwFido2CredentialId");
		for (i = 0; i < f->nkeys; i++)
			kgw_lm_val(m, f->keys[i].id, f->keys[i].id_len);
	}
	if (f->ncodes > 0) {
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwRecoveryCode");
		for (i = 0; i < f->ncodes; i++)
			kgw_lm_str(m, b->code[i]);
	}
	if (f->has_pending) {
		kgw_lm_op(m, LDAP_MOD_ADD, "kgwTotpPending");
		kgw_lm_str(m, b->pending);
	}
	return KGW_OK;
}

/* A credential id some entry already holds: refused, like fido2_add. */
static int
ids_free(struct ldap_store *ls, const struct kgw_user_full *f)
{
	bool taken = false;
	size_t i;
	int r;

	for (i = 0; i < f->nkeys; i++) {
		if ((r = kgw_ld_id_taken(ls, &f->keys[i], &taken)) != KGW_OK)
			return r;
		if (taken) {
			kgw_log_err(ls->base.log, "migrate: user=%s key=%s: "
			    "its credential id is enrolled for someone else",
			    f->rec.name, f->keys[i].label);
			return KGW_ERR_EXISTS;
		}
	}
	return KGW_OK;
}

/* One add: the person's attributes, then their factors, in one list. */
static int
entry_add(struct ldap_store *ls, const struct kgw_user_full *f,
    struct add_bufs *b, int *rc)
{
	struct kgw_lmods person, factors;
	LDAPMod *list[2 * KGW_LM_MODS + 1], **p, **q;
	char dn[KGW_DIR_DN_MAX + 64];
	size_t n = 0;
	int r;

	kgw_lm_init(&person);
	kgw_lm_init(&factors);
	person_mods(&person, &f->rec);
	if ((r = kgw_ld_dn(ls, f->rec.name, dn, sizeof(dn))) != KGW_OK ||
	    (r = factor_mods(&factors, f, b)) != KGW_OK)
		goto out;
	q = factors.nmod > 0 ? kgw_lm_done(&factors) : NULL;
	if ((p = kgw_lm_done(&person)) == NULL ||
	    (factors.nmod > 0 && q == NULL)) {
		r = KGW_ERR_INTERNAL;
		goto out;
	}
	for (; *p != NULL; p++)
		list[n++] = *p;
	for (; q != NULL && *q != NULL; q++)
		list[n++] = *q;
	list[n] = NULL;
	r = kgw_ld_add(ls, dn, list, rc);
out:
	explicit_bzero(&person, sizeof(person));
	explicit_bzero(&factors, sizeof(factors));
	return r;
}

static int
ldap_user_write(struct kgw_store *s, const struct kgw_user_full *f,
    const char *op, const char *detail)
{
	struct ldap_store *ls = to_ldap(s);
	struct add_bufs *b = NULL;
	int r, rc = LDAP_OTHER;

	if (kgw_ld_trail(ls) == NULL)
		return KGW_ERR_INTERNAL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return KGW_ERR_NOMEM;
	if ((r = kgw_ld_connect(ls)) != KGW_OK ||
	    (r = ids_free(ls, f)) != KGW_OK ||
	    (r = entry_add(ls, f, b, &rc)) != KGW_OK)
		goto out;
	if (rc == LDAP_ALREADY_EXISTS)
		r = KGW_ERR_EXISTS;
	else if (rc != LDAP_SUCCESS)
		r = kgw_ld_fail(ls, "migrate", rc);
	else
		r = kgw_ld_change_note(ls, f->rec.name, op, "migrate", detail);
out:
	explicit_bzero(b, sizeof(*b));
	free(b);
	return r;
}

void
kgw_ld_full_ops(struct kgw_store_ops *ops)
{
	ops->user_read = ldap_user_read;
	ops->user_write = ldap_user_write;
}
