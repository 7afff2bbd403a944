/*
 * A recovery code typed at the code prompt: a backup code, or the
 * helpdesk's temporary code, in place of a TOTP code where the host's
 * zone allows it. The code is only looked up here; kgw_login_finish uses
 * it up, in the transaction that ends the login.
 */
#include <config.h>

#include <string.h>

#include <openssl/crypto.h>

#include "kgw_err.h"
#include "kgw_login.h"

/*
 * A recovery code stands in for a code, never for a key: not where the
 * zone requires a key, nor where it asks for no code at all.
 */
static bool
code_zone(const struct kgw_login *l)
{
	unsigned need = kgw_login_needs(l);

	return (need & (KGW_NEED_TOTP | KGW_NEED_TOKEN)) != 0 &&
	    !(need & KGW_NEED_FIDO2);
}

bool
kgw_login_recovery_ready(const struct kgw_login *l)
{
	const struct kgw_zones *z = &l->conf.zones;

	if (!kgw_login_has_record(l) || !code_zone(l))
		return false;
	return (l->rec.backup_left > 0 &&
	    kgw_recovery_allowed(z, l->site.host, KGW_RECOVERY_BACKUP)) ||
	    (l->rec.temp_expires > l->begun &&
	    kgw_recovery_allowed(z, l->site.host, KGW_RECOVERY_TEMP));
}

/* Judges a code found in the store; totp_rc and the reason say how. */
static void
judge_found(struct kgw_login *l, const struct kgw_recovery_match *m,
    time_t now)
{
	const struct kgw_zones *z = &l->conf.zones;
	bool backup = m->kind == KGW_RECOVERY_BACKUP;

	l->recovery = *m;	/* its kind names the factor, used or not */
	if (!code_zone(l) || !kgw_recovery_allowed(z, l->site.host, m->kind)) {
		/* The right code in the wrong place is not a guess. */
		l->totp_rc = KGW_ERR_ZONE;
		l->code_reason = backup ? "backup_not_allowed" :
		    "temp_not_allowed";
	} else if (m->used) {
		l->totp_rc = KGW_ERR_REPLAY;
	} else if (!backup && m->expires <= (int64_t)now) {
		l->totp_rc = KGW_ERR_DENIED;
		l->code_reason = "code_expired";
	} else {
		l->totp_rc = KGW_OK;
	}
}

bool
kgw_login_recovery_code(struct kgw_login *l, const char *typed, time_t now)
{
	char code[KGW_RECOVERY_SYMBOLS + 1];
	unsigned char hash[KGW_RECOVERY_HASH_LEN];
	struct kgw_recovery_match m;
	int r;

	if (kgw_recovery_normalize(typed, code) != KGW_OK)
		return false;
	memset(&m, 0, sizeof(m));
	l->totp_rc = KGW_ERR_DENIED;
	/* Hashed and looked up for anyone with a valid name, known or not. */
	if (l->user[0] == '\0')
		goto out;
	if ((r = kgw_recovery_hash(&l->key, l->user, code, hash)) != KGW_OK ||
	    (r = kgw_store_recovery_find(l->store, l->user, hash, &m)) ==
	    KGW_ERR_NOT_FOUND) {
		if (r != KGW_ERR_NOT_FOUND)
			l->totp_rc = r;
		goto out;
	}
	if (r != KGW_OK)
		l->totp_rc = r;
	else if (kgw_login_has_record(l))
		judge_found(l, &m, now);
out:
	OPENSSL_cleanse(code, sizeof(code));
	OPENSSL_cleanse(hash, sizeof(hash));
	return true;
}

int
kgw_login_account_presented(struct kgw_login *l)
{
	l->rule = l->site.rule != NULL ? l->site.rule : "-";
	l->reason = "ok";
	return KGW_OK;
}
