/*
 * A login's security-key step: the person's keys opened from the store
 * (flagged keys left out), a key plugged into this machine asked for an
 * assertion, and the verdict kept for kgw_login_finish, which commits the
 * key's counter.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "kgw_err.h"
#include "kgw_login.h"

/* The host zone's demand for user verification (PIN, fingerprint). */
static bool
zone_uv(const struct kgw_login *l)
{
	const struct kgw_zones *z = &l->conf.zones;

	return l->site.host >= 0 && (unsigned)l->site.host < z->nzones &&
	    z->zone[l->site.host].uv;
}

/*
 * Opens the person's keys into creds (which[k]: the record of creds[k]).
 * A key flagged as a possible clone stays out until the helpdesk acts.
 */
static int
keys_open(struct kgw_login *l, const struct kgw_fido2_rec *recs, size_t n,
    struct kgw_fido2_cred *creds, size_t *which, size_t *k)
{
	size_t i, flagged = 0, unopened = 0;

	*k = 0;
	for (i = 0; i < n; i++) {
		if (recs[i].flagged) {
			kgw_log_warn(l->log, "user=%s key=%s is flagged as a "
			    "possible clone: not offered", l->user,
			    recs[i].label);
			flagged++;
			continue;
		}
		if (kgw_fido2_unseal(&l->key, l->user, &recs[i],
		    &creds[*k]) != KGW_OK) {
			kgw_log_err(l->log, "user=%s key=%s does not open with "
			    "this key file: not offered", l->user,
			    recs[i].label);
			unopened++;
			continue;
		}
		which[(*k)++] = i;
	}
	if (*k > 0)
		return KGW_OK;
	if (unopened > 0)
		return KGW_ERR_TAMPERED;
	return flagged > 0 ? KGW_ERR_CLONE : KGW_ERR_NO_FACTOR;
}

/*
 * Someone with no key to ask for (unknown, or none enrolled) is asked
 * what everyone is asked: to plug a key in, its PIN, to touch it.
 */
static void
no_keys(struct kgw_login *l, const struct kgw_fido2_opts *o,
    const struct kgw_fido2_ui *ui)
{
	kgw_fido2_decoy(l->log, o, ui);
	l->fido2_rc = KGW_ERR_NO_FACTOR;
}

void
kgw_login_fido2(struct kgw_login *l, const struct kgw_fido2_ui *ui)
{
	struct kgw_fido2_opts o = {
		l->conf.rp_id, zone_uv(l), l->conf.fido2_insert_timeout * 1000,
		l->conf.fido2_touch_timeout * 1000, NULL
	};
	struct kgw_fido2_rec *recs = NULL;
	struct kgw_fido2_cred *creds = NULL;
	struct kgw_fido2_verdict v;
	size_t which[KGW_FIDO2_CREDS_MAX], n = 0, k = 0;
	int r;

	l->presented |= KGW_HAVE_FIDO2;
	if (!kgw_login_has_record(l) || l->rec.fido2_count == 0) {
		no_keys(l, &o, ui);
		return;
	}
	recs = calloc(KGW_FIDO2_CREDS_MAX, sizeof(*recs));
	creds = calloc(KGW_FIDO2_CREDS_MAX, sizeof(*creds));
	if (recs == NULL || creds == NULL) {
		r = KGW_ERR_NOMEM;
		goto out;
	}
	if ((r = kgw_store_fido2_list(l->store, l->user, recs,
	    KGW_FIDO2_CREDS_MAX, &n)) != KGW_OK ||
	    (r = keys_open(l, recs, n, creds, which, &k)) != KGW_OK)
		goto out;
	if ((r = kgw_fido2_assert(l->log, &o, creds, k, ui, &v)) != KGW_OK)
		goto out;
	l->fido2_key = recs[which[v.cred]];
	l->fido2_count = (int64_t)v.sign_count;
out:
	l->fido2_rc = r;
	if (creds != NULL)
		OPENSSL_cleanse(creds, KGW_FIDO2_CREDS_MAX * sizeof(*creds));
	free(creds);
	free(recs);
}

bool
kgw_login_fido2_missing(const struct kgw_login *l)
{
	return l->fido2_rc == KGW_ERR_NO_KEY ||
	    l->fido2_rc == KGW_ERR_TIMEOUT || l->fido2_rc == KGW_ERR_FIDO2 ||
	    l->fido2_rc == KGW_ERR_NO_UV;
}
