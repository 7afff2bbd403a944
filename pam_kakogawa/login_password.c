/*
 * A person's own password change, free of PAM: the current password
 * checked like a login's (a wrong one counts towards the lockout), the
 * new one judged by the password rules, and the change stored with its
 * audit record in one transaction.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "kgw_err.h"
#include "kgw_login.h"
#include "kgw_password.h"
#include "kgw_pwpolicy.h"

int
kgw_login_password_old_ok(struct kgw_login *l, const char *old, time_t now)
{
	kgw_login_password(l, old);
	if (l->password_rc == KGW_OK)
		return KGW_OK;
	l->reason = l->rec.pwhash[0] == '\0' ? "no_password" : "bad_password";
	if (l->user_rc == KGW_OK && l->store != NULL)
		kgw_login_count_failure(l, "password", now);
	return KGW_ERR_DENIED;
}

/* The decision's record: who changed it, and the rule that refused. */
static void
change_audit(const struct kgw_login *l, int rc, const char *op,
    const char *detail, time_t now, struct kgw_audit_rec *a)
{
	kgw_login_audit_fill(l, "password", rc, now, a);
	kgw_audit_set(a, KGW_AF_OPERATOR, op);
	kgw_audit_set(a, KGW_AF_ACTION, "chauthtok");
	kgw_audit_set_detail(a, detail);
}

/* A refusal by the rules changes nothing: its record stands alone. */
static int
refused(struct kgw_login *l, const char *op, const char *token, time_t now)
{
	struct kgw_audit_rec a;
	char detail[64];

	l->reason = kgw_reason(KGW_ERR_WEAK);
	(void)snprintf(detail, sizeof(detail), "rule=%s", token);
	change_audit(l, KGW_ERR_WEAK, op, detail, now, &a);
	if (kgw_store_audit_add(l->store, &a) == KGW_OK)
		l->recorded = true;
	kgw_log_info(l->log, "user=%s new password refused: rule=%s",
	    l->user, token);
	return KGW_ERR_WEAK;
}

int
kgw_login_password_change(struct kgw_login *l, const char *old,
    const char *password, const char *op, enum kgw_lang lang, char *why,
    size_t whylen, time_t now)
{
	struct kgw_pw_rules rules = {
		l->policy.password_min_length, l->conf.password_blocklist,
		l->user, l->conf.issuer, old, lang
	};
	char hash[KGW_HASH_MAX];
	struct kgw_audit_rec a;
	const char *token = NULL;
	int r;

	if (l->store == NULL || !kgw_login_has_record(l))
		return KGW_ERR_NOT_FOUND;
	if (kgw_pw_check(l->log, &rules, password, why, whylen, &token) !=
	    KGW_OK)
		return refused(l, op, token, now);
	if ((r = kgw_password_hash(password, hash, sizeof(hash))) != KGW_OK) {
		l->reason = kgw_reason(r);
		return r;
	}
	l->reason = "ok";
	change_audit(l, KGW_OK, op, l->rec.pw_temporary ? "temporary=no "
	    "(was yes)" : "", now, &a);
	r = kgw_store_password_change(l->store, &l->rec, hash, &a);
	OPENSSL_cleanse(hash, sizeof(hash));
	l->recorded = r == KGW_OK;
	if (r != KGW_OK)
		l->reason = kgw_reason(r);
	return r;
}
