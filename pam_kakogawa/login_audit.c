/*
 * A login's decision in the audit trail: the same facts as its log line
 * (where from, to which host and zone, which factors, the verdict and the
 * rule), never a secret.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kgw_err.h"
#include "kgw_login.h"

void
kgw_login_service(struct kgw_login *l, const char *service)
{
	(void)snprintf(l->service, sizeof(l->service), "%s",
	    service != NULL ? service : "");
}

void
kgw_login_factors(const struct kgw_login *l, char *out, size_t outlen)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ KGW_HAVE_PASSWORD, "password" },
		{ KGW_HAVE_TOTP, "totp" },
		{ KGW_HAVE_FIDO2, "fido2" },
	};
	size_t i, len = 0;
	int n;

	(void)snprintf(out, outlen, "-");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *name = names[i].name;

		if (!(l->presented & names[i].bit) || len >= outlen)
			continue;
		/* A recovery code given at the code prompt, by its kind. */
		if (names[i].bit == KGW_HAVE_TOTP &&
		    l->recovery.kind != KGW_RECOVERY_NONE)
			name = kgw_recovery_name(l->recovery.kind);
		n = snprintf(out + len, outlen - len, "%s%s",
		    len > 0 ? "," : "", name);
		if (n > 0)
			len += (size_t)n;
	}
}

void
kgw_login_audit_fill(const struct kgw_login *l, const char *phase, int rc,
    time_t now, struct kgw_audit_rec *a)
{
	const struct kgw_zones *z = &l->conf.zones;
	char factors[32];

	memset(a, 0, sizeof(*a));
	a->time = (int64_t)now;
	kgw_login_factors(l, factors, sizeof(factors));
	kgw_audit_set(a, KGW_AF_KIND, phase);
	kgw_audit_set(a, KGW_AF_HOST, l->host);
	kgw_audit_set(a, KGW_AF_HOST_ZONE, kgw_zone_label(z, l->site.host));
	kgw_audit_set(a, KGW_AF_SERVICE, l->service);
	kgw_audit_set(a, KGW_AF_USER, l->user[0] != '\0' ? l->user :
	    "(invalid)");
	kgw_audit_set(a, KGW_AF_RHOST, l->rhost);
	kgw_audit_set(a, KGW_AF_SRC_ZONE, kgw_zone_label(z, l->site.source));
	kgw_audit_set(a, KGW_AF_TTY, l->tty);
	kgw_audit_set(a, KGW_AF_FACTORS, factors);
	kgw_audit_set(a, KGW_AF_RESULT, rc == KGW_OK ? "allow" : "deny");
	kgw_audit_set(a, KGW_AF_REASON, l->reason);
	kgw_audit_set(a, KGW_AF_RULE, l->rule);
}

void
kgw_login_anchor(struct kgw_login *l)
{
	unsigned char mac[KGW_AUDIT_MAC_LEN];
	int64_t seq;

	(void)snprintf(l->anchor, sizeof(l->anchor), "-");
	if (!l->recorded || l->store == NULL ||
	    (seq = kgw_store_audit_last(l->store, mac)) <= 0)
		return;
	/* 8 bytes of the MAC: enough to tell one trail from another. */
	(void)snprintf(l->anchor, sizeof(l->anchor), "%lld:%02x%02x%02x%02x"
	    "%02x%02x%02x%02x", (long long)seq, mac[0], mac[1], mac[2],
	    mac[3], mac[4], mac[5], mac[6], mac[7]);
}

int
kgw_login_record(struct kgw_login *l, const char *phase, int rc, time_t now)
{
	struct kgw_audit_rec a;
	int r;

	if (l->recorded)
		return KGW_OK;
	if (l->store == NULL || !l->key_loaded)
		return KGW_ERR_STORE;
	kgw_login_audit_fill(l, phase, rc, now, &a);
	if ((r = kgw_store_audit_add(l->store, &a)) != KGW_OK)
		kgw_log_err(l->log, "user=%s cannot write the audit record: %s",
		    l->user, kgw_strerror(r));
	l->recorded = r == KGW_OK;
	return r;
}

int
kgw_login_account_accept(struct kgw_login *l, time_t now)
{
	struct kgw_audit_rec a;
	int r;

	if (l->recorded)
		return KGW_OK;
	if (l->store == NULL || !l->key_loaded)
		return KGW_ERR_STORE;
	kgw_login_audit_fill(l, "account", KGW_OK, now, &a);
	if ((r = kgw_store_account_accept(l->store, l->user, (int64_t)now,
	    &a)) != KGW_OK)
		kgw_log_err(l->log, "user=%s cannot record the login: %s",
		    l->user, kgw_strerror(r));
	l->recorded = r == KGW_OK;
	return r;
}
