/*
 * The helpdesk's changes in the directory, each one modify (or add, or
 * delete) of the person's entry, then recorded with who made it in this
 * host's trail. The directory's access control lets only the helpdesk
 * identity make them (ldap/acl.ldif.in).
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kgw_err.h"
#include "kgw_role.h"
#include "store_ldap.h"

/*
 * Applies m to name's entry, guarded by filter when not NULL (refused:
 * stale), and records the change. not_found is the result when the entry
 * is missing, or a value to delete is.
 */
static int
change(struct ldap_store *ls, const char *name, struct kgw_lmods *m,
    const char *filter, const char *op, const char *action,
    const char *detail)
{
	struct kgw_store *t = kgw_ld_trail(ls);
	int r, rc = LDAP_OTHER;

	if (t == NULL)
		return KGW_ERR_INTERNAL;
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwUpdated");
	kgw_lm_int(m, (int64_t)time(NULL));
	if ((r = kgw_ld_guarded_modify(ls, name, kgw_lm_done(m), filter, &rc,
	    NULL, NULL)) != KGW_OK)
		return r;
	if (rc == LDAP_ASSERTION_FAILED)
		return KGW_ERR_STALE;
	if (rc == LDAP_NO_SUCH_ATTRIBUTE)
		return KGW_ERR_NOT_FOUND;
	if (rc != LDAP_SUCCESS)
		return kgw_ld_fail(ls, action, rc);
	return kgw_ld_change_note(ls, name, op, action, detail);
}

int
kgw_ld_change(struct ldap_store *ls, const char *name, struct kgw_lmods *m,
    const char *op, const char *action, const char *detail)
{
	return change(ls, name, m, NULL, op, action, detail);
}

static int
ldap_user_add(struct kgw_store *s, const char *name, const char *zones,
    const char *op)
{
	struct ldap_store *ls = to_ldap(s);
	struct kgw_store *t = kgw_ld_trail(ls);
	char dn[KGW_DIR_DN_MAX + 64], detail[KGW_ZONE_LIST_MAX + 8];
	int64_t now = (int64_t)time(NULL);
	struct kgw_lmods m;
	int r, rc = LDAP_OTHER;

	if (t == NULL)
		return KGW_ERR_INTERNAL;
	if ((r = kgw_ld_dn(ls, name, dn, sizeof(dn))) != KGW_OK)
		return r;
	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_ADD, "objectClass");
	kgw_lm_str(&m, "account");
	kgw_lm_str(&m, "kgwStaff");
	kgw_lm_op(&m, LDAP_MOD_ADD, "uid");
	kgw_lm_str(&m, name);
	if (zones[0] != '\0') {
		kgw_lm_op(&m, LDAP_MOD_ADD, "kgwZones");
		kgw_lm_str(&m, zones);
	}
	/* The counters exist from the start: an increment needs a value. */
	kgw_lm_op(&m, LDAP_MOD_ADD, "kgwTotpLastStep");
	kgw_lm_int(&m, -1);
	kgw_lm_op(&m, LDAP_MOD_ADD, "kgwFailCount");
	kgw_lm_int(&m, 0);
	kgw_lm_op(&m, LDAP_MOD_ADD, "kgwFailsSince");
	kgw_lm_int(&m, 0);
	kgw_lm_op(&m, LDAP_MOD_ADD, "kgwLockedUntil");
	kgw_lm_int(&m, 0);
	kgw_lm_op(&m, LDAP_MOD_ADD, "kgwCreated");
	kgw_lm_int(&m, now);
	kgw_lm_op(&m, LDAP_MOD_ADD, "kgwUpdated");
	kgw_lm_int(&m, now);
	if (kgw_lm_done(&m) == NULL)
		return KGW_ERR_INTERNAL;
	if ((r = kgw_ld_connect(ls)) != KGW_OK ||
	    (r = kgw_ld_add(ls, dn, m.list, &rc)) != KGW_OK)
		return r;
	if (rc != LDAP_SUCCESS)
		return kgw_ld_fail(ls, "add", rc);
	(void)snprintf(detail, sizeof(detail), "zones=%s", zones);
	return kgw_ld_change_note(ls, name, op, "add", detail);
}

static int
ldap_set_zones(struct kgw_store *s, const char *name, const char *zones,
    const char *op)
{
	char detail[KGW_ZONE_LIST_MAX + 8];
	struct kgw_lmods m;

	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwZones");
	if (zones[0] != '\0')
		kgw_lm_str(&m, zones);
	(void)snprintf(detail, sizeof(detail), "zones=%s", zones);
	return change(to_ldap(s), name, &m, NULL, op, "zones", detail);
}

static int
ldap_set_password(struct kgw_store *s, const char *name, const char *hash,
    bool temporary, const char *op)
{
	struct kgw_lmods m;

	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwPasswordHash");
	kgw_lm_str(&m, hash);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwPasswordTemporary");
	kgw_lm_bool(&m, temporary);
	return change(to_ldap(s), name, &m, NULL, op, "passwd",
	    temporary ? "temporary=yes" : NULL);
}

static int
ldap_set_role(struct kgw_store *s, const char *name, const char *role,
    const char *op)
{
	char detail[KGW_ROLE_NAME_MAX + 8];
	struct kgw_lmods m;

	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwRole");
	if (role[0] != '\0')
		kgw_lm_str(&m, role);
	(void)snprintf(detail, sizeof(detail), "role=%s", role[0] != '\0' ?
	    role : KGW_ROLE_DEFAULT);
	return change(to_ldap(s), name, &m, NULL, op, "role", detail);
}

static int
ldap_set_expires(struct kgw_store *s, const char *name, int64_t expires,
    const char *op)
{
	char detail[48];
	struct kgw_lmods m;

	kgw_store_expires_detail(expires, detail, sizeof(detail));
	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwExpires");
	kgw_lm_int(&m, expires);
	return change(to_ldap(s), name, &m, NULL, op, "expires", detail);
}

/* The person's own change: only while the hash is still the one seen. */
static int
ldap_password_change(struct kgw_store *s, const struct kgw_user_rec *seen,
    const char *hash, const struct kgw_audit_rec *audit)
{
	struct ldap_store *ls = to_ldap(s);
	struct kgw_store *t = kgw_ld_trail(ls);
	static const char pre[] = "(kgwPasswordHash=";
	char filter[KGW_HASH_MAX * 3 + 32];
	struct kgw_lmods m;
	int r, rc = LDAP_OTHER;

	if (t == NULL)
		return KGW_ERR_INTERNAL;
	if (seen->pwhash[0] == '\0')
		(void)snprintf(filter, sizeof(filter),
		    "(!(kgwPasswordHash=*))");
	else {
		memcpy(filter, pre, sizeof(pre));	/* with its NUL */
		if (kgw_ld_escape(seen->pwhash, strlen(seen->pwhash),
		    filter + sizeof(pre) - 1, sizeof(filter) - sizeof(pre)) !=
		    KGW_OK)
			return KGW_ERR_INVALID;
		(void)strncat(filter, ")", sizeof(filter) - strlen(filter) - 1);
	}
	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwPasswordHash");
	kgw_lm_str(&m, hash);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwPasswordTemporary");
	kgw_lm_bool(&m, false);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwUpdated");
	kgw_lm_int(&m, audit->time);
	if ((r = kgw_ld_guarded_modify(ls, seen->name, kgw_lm_done(&m), filter,
	    &rc, NULL, NULL)) != KGW_OK)
		return r;
	if (rc == LDAP_ASSERTION_FAILED)
		return KGW_ERR_STALE;
	if (rc != LDAP_SUCCESS)
		return kgw_ld_fail(ls, "password_change", rc);
	return kgw_ld_audit_add(ls, audit);
}

/* A new secret: no used step, no offset, no pending one; failures kept. */
static void
totp_mods(struct kgw_lmods *m, const unsigned char *sealed, size_t len,
    enum kgw_totp_alg alg, unsigned digits, int64_t step, int64_t drift)
{
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwTotpSecret");
	if (len > 0)
		kgw_lm_val(m, sealed, len);
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwTotpAlg");
	if (len > 0)
		kgw_lm_int(m, (int64_t)alg);
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwTotpDigits");
	if (len > 0)
		kgw_lm_int(m, digits);
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwTotpLastStep");
	kgw_lm_int(m, step);
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwTotpDrift");
	kgw_lm_int(m, drift);
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwTotpDriftBase");
	kgw_lm_int(m, 0);
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwTotpPending");
}

static int
ldap_set_totp(struct kgw_store *s, const char *name,
    const unsigned char *sealed, size_t sealed_len, enum kgw_totp_alg alg,
    unsigned digits, const char *op)
{
	char detail[48];
	struct kgw_lmods m;

	(void)snprintf(detail, sizeof(detail), "alg=%s digits=%u",
	    kgw_totp_alg_name(alg), digits);
	kgw_lm_init(&m);
	totp_mods(&m, sealed, sealed_len, alg, digits, -1, 0);
	return change(to_ldap(s), name, &m, NULL, op, "totp", detail);
}

static int
ldap_revoke(struct kgw_store *s, const char *name, enum kgw_factor factor,
    const char *op)
{
	struct kgw_lmods m;

	kgw_lm_init(&m);
	if (factor == KGW_FACTOR_PASSWORD) {
		kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwPasswordHash");
		return change(to_ldap(s), name, &m, NULL, op,
		    "revoke:password", NULL);
	}
	totp_mods(&m, NULL, 0, KGW_TOTP_SHA1, 0, -1, 0);
	return change(to_ldap(s), name, &m, NULL, op, "revoke:totp", NULL);
}

static int
ldap_set_disabled(struct kgw_store *s, const char *name, bool disabled,
    const char *op)
{
	struct kgw_lmods m;

	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwDisabled");
	kgw_lm_bool(&m, disabled);
	return change(to_ldap(s), name, &m, NULL, op,
	    disabled ? "disable" : "enable", NULL);
}

static int
ldap_unlock(struct kgw_store *s, const char *name, const char *op)
{
	struct kgw_lmods m;

	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwFailCount");
	kgw_lm_int(&m, 0);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwLockedUntil");
	kgw_lm_int(&m, 0);
	return change(to_ldap(s), name, &m, NULL, op, "unlock", NULL);
}

static int
ldap_user_delete(struct kgw_store *s, const char *name, const char *op)
{
	struct ldap_store *ls = to_ldap(s);
	struct kgw_store *t = kgw_ld_trail(ls);
	char dn[KGW_DIR_DN_MAX + 64];
	int r, rc = LDAP_OTHER;

	if (t == NULL)
		return KGW_ERR_INTERNAL;
	if ((r = kgw_ld_dn(ls, name, dn, sizeof(dn))) != KGW_OK ||
	    (r = kgw_ld_connect(ls)) != KGW_OK ||
	    (r = kgw_ld_delete(ls, dn, &rc)) != KGW_OK)
		return r;
	if (rc != LDAP_SUCCESS)
		return kgw_ld_fail(ls, "delete", rc);
	return kgw_ld_change_note(ls, name, op, "delete", NULL);
}

/* The pending TOTP: replaced whole, one value. */
static int
ldap_totp_pending_set(struct kgw_store *s, const char *name,
    const unsigned char *sealed, size_t sealed_len, enum kgw_totp_alg alg,
    unsigned digits, const char *op)
{
	struct kgw_totp_pending p;
	char value[KGW_LD_VALUE_MAX], detail[48];
	struct kgw_lmods m;
	int r;

	memset(&p, 0, sizeof(p));
	memcpy(p.sealed, sealed, sealed_len);
	p.sealed_len = sealed_len;
	p.alg = alg;
	p.digits = digits;
	p.created = (int64_t)time(NULL);
	r = kgw_ld_pending_value(&p, value, sizeof(value));
	explicit_bzero(&p, sizeof(p));
	if (r != KGW_OK)
		return r;
	(void)snprintf(detail, sizeof(detail), "alg=%s digits=%u",
	    kgw_totp_alg_name(alg), digits);
	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwTotpPending");
	kgw_lm_str(&m, value);
	return change(to_ldap(s), name, &m, NULL, op, "totp_pending", detail);
}

static int
ldap_totp_pending_get(struct kgw_store *s, const char *name,
    struct kgw_totp_pending *p)
{
	struct ldap_store *ls = to_ldap(s);
	LDAPMessage *res = NULL, *entry = NULL;
	struct berval **v = NULL;
	int r;

	if ((r = kgw_ld_connect(ls)) != KGW_OK ||
	    (r = kgw_ld_get_entry(ls, false, name, &res, &entry)) != KGW_OK)
		goto out;
	v = kgw_ld_values(ls, entry, "kgwTotpPending");
	if (v == NULL || v[0] == NULL)
		r = KGW_ERR_NOT_FOUND;
	else if (v[1] != NULL)
		r = KGW_ERR_STORE;
	else
		r = kgw_ld_pending_parse(v[0]->bv_val, v[0]->bv_len, p);
out:
	ldap_value_free_len(v);
	ldap_msgfree(res);
	return r;
}

/* The pending secret becomes active, if it is still the one checked. */
static int
ldap_totp_confirm(struct kgw_store *s, const char *name,
    const struct kgw_totp_pending *seen, int64_t step, int64_t drift,
    const char *op)
{
	static const char pre[] = "(kgwTotpPending=";
	char value[KGW_LD_VALUE_MAX], filter[KGW_LD_VALUE_MAX * 3 + 32];
	char detail[64];
	struct kgw_lmods m;

	memcpy(filter, pre, sizeof(pre));	/* with its NUL */
	if (kgw_ld_pending_value(seen, value, sizeof(value)) != KGW_OK ||
	    kgw_ld_escape(value, strlen(value), filter + sizeof(pre) - 1,
	    sizeof(filter) - sizeof(pre)) != KGW_OK)
		return KGW_ERR_INVALID;
	(void)strncat(filter, ")", sizeof(filter) - strlen(filter) - 1);
	(void)snprintf(detail, sizeof(detail), "alg=%s digits=%u verified",
	    kgw_totp_alg_name(seen->alg), seen->digits);
	kgw_lm_init(&m);
	totp_mods(&m, seen->sealed, seen->sealed_len, seen->alg, seen->digits,
	    step, drift);
	return change(to_ldap(s), name, &m, filter, op, "totp", detail);
}

/* A used step is never given back: the watermark moves only up. */
static int
ldap_totp_resync(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t step, int64_t drift, const char *op)
{
	char filter[KGW_SEALED_MAX * 3 + 96], detail[48];
	struct kgw_lmods m;
	int n;

	n = snprintf(filter, sizeof(filter), "(&(kgwTotpLastStep=%" PRId64
	    ")(kgwTotpSecret=", seen->totp_last_step);
	if (n < 0 || kgw_ld_escape(seen->totp_sealed, seen->totp_sealed_len,
	    filter + n, sizeof(filter) - (size_t)n - 3) != KGW_OK)
		return KGW_ERR_INVALID;
	(void)strncat(filter, "))", sizeof(filter) - strlen(filter) - 1);
	(void)snprintf(detail, sizeof(detail), "offset=%+" PRId64, drift);
	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwTotpDrift");
	kgw_lm_int(&m, drift);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwTotpDriftBase");
	kgw_lm_int(&m, drift);
	if (step > seen->totp_last_step) {
		kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwTotpLastStep");
		kgw_lm_int(&m, step);
	}
	return change(to_ldap(s), seen->name, &m, filter, op, "resync",
	    detail);
}

void
kgw_ld_admin_ops(struct kgw_store_ops *ops)
{
	ops->user_add = ldap_user_add;
	ops->set_zones = ldap_set_zones;
	ops->set_password = ldap_set_password;
	ops->set_role = ldap_set_role;
	ops->set_expires = ldap_set_expires;
	ops->password_change = ldap_password_change;
	ops->set_totp = ldap_set_totp;
	ops->revoke = ldap_revoke;
	ops->set_disabled = ldap_set_disabled;
	ops->unlock = ldap_unlock;
	ops->user_delete = ldap_user_delete;
	ops->totp_pending_set = ldap_totp_pending_set;
	ops->totp_pending_get = ldap_totp_pending_get;
	ops->totp_confirm = ldap_totp_confirm;
	ops->totp_resync = ldap_totp_resync;
}
