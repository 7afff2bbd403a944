/*
 * The directory store: the people of a zone in its LDAP directory, so
 * that every host of the zone sees one enrolment, one replay watermark
 * and one failure count. This file: opening, reading, and a login's
 * commits, each one modify of the person's entry that the server applies
 * only while the entry is as the login saw it (the assertion control).
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "kgw_err.h"
#include "store_ldap.h"

#define FILTER_MAX 4096

/* The local trail, armed with the key the dispatcher was given. */
struct kgw_store *
kgw_ld_trail(struct ldap_store *ls)
{
	if (!ls->base.audited)
		return NULL;
	if (!ls->local->audited && kgw_store_audit_init(ls->local,
	    &ls->base.audit_key, ls->base.host) != KGW_OK)
		return NULL;
	return ls->local;
}

void
kgw_ld_keep_last(struct ldap_store *ls)
{
	ls->base.last_seq = kgw_store_audit_last(ls->local, ls->base.last_mac);
}

int
kgw_ld_audit_add(struct ldap_store *ls, const struct kgw_audit_rec *r)
{
	struct kgw_store *t = kgw_ld_trail(ls);
	int rc;

	if (t == NULL)
		return KGW_ERR_INTERNAL;
	if ((rc = kgw_store_audit_add(t, r)) == KGW_OK)
		kgw_ld_keep_last(ls);
	return rc;
}

int
kgw_ld_change_note(struct ldap_store *ls, const char *user, const char *op,
    const char *action, const char *detail)
{
	struct kgw_store *t = kgw_ld_trail(ls);
	int rc;

	if (t == NULL)
		return KGW_ERR_INTERNAL;
	if ((rc = kgw_store_sqlite_change_note(t, user, op, action, detail)) ==
	    KGW_OK) {
		kgw_ld_keep_last(ls);
		ls->local_changes++;
	}
	return rc;
}

static void
ldap_close(struct kgw_store *s)
{
	struct ldap_store *ls = to_ldap(s);

	kgw_ld_disconnect(ls);
	kgw_store_close(&ls->local);
	OPENSSL_cleanse(ls->pw, sizeof(ls->pw));
	kgw_key_wipe(&ls->base.audit_key);
	free(ls);
}

/* The person from the directory, the cache refreshed with them. */
static int
fetch(struct ldap_store *ls, const char *name, struct kgw_user_rec *rec,
    int64_t now)
{
	struct kgw_fido2_rec keys[KGW_FIDO2_CREDS_MAX];
	LDAPMessage *res = NULL, *entry = NULL;
	size_t n = 0;
	int r;

	r = kgw_ld_get_entry(ls, false, name, &res, &entry);
	if (r == KGW_ERR_NOT_FOUND)
		(void)kgw_store_sqlite_cache_drop(ls->local, name);
	if (r == KGW_OK && (r = kgw_ld_entry_user(ls, entry, rec)) == KGW_OK &&
	    (r = kgw_ld_entry_fido2(ls, entry, name, keys, KGW_FIDO2_CREDS_MAX,
	    &n)) == KGW_OK &&
	    kgw_store_sqlite_cache_put(ls->local, rec, keys, n, now) != KGW_OK)
		kgw_log_err(ls->base.log, "cannot refresh the offline cache: "
		    "user=%s", name);
	ldap_msgfree(res);
	explicit_bzero(keys, sizeof(keys));
	return r;
}

/* What logins changed here while offline goes up first. */
static int
reconcile(struct ldap_store *ls, int64_t now)
{
	int64_t dirty = 0;
	int r;

	if (kgw_store_sqlite_dirty_count(ls->local, &dirty) != KGW_OK ||
	    dirty == 0)
		return KGW_OK;
	r = kgw_ld_reconcile(ls, now);
	if (r != KGW_OK && r != KGW_ERR_OFFLINE)
		kgw_log_err(ls->base.log, "directory: reconciliation "
		    "stopped (%s); it goes on at the next login",
		    kgw_strerror(r));
	return r == KGW_ERR_OFFLINE ? r : KGW_OK;
}

static int
ldap_get_user(struct kgw_store *s, const char *name, struct kgw_user_rec *rec)
{
	struct ldap_store *ls = to_ldap(s);
	int64_t now = (int64_t)time(NULL);
	int r;

	if (ls->offline)
		return kgw_ld_cache_get(ls, name, now, rec);
	if ((r = kgw_ld_connect(ls)) == KGW_OK &&
	    (r = reconcile(ls, now)) == KGW_OK)
		r = fetch(ls, name, rec, now);
	if (r == KGW_ERR_OFFLINE && kgw_ld_go_offline(ls, now) == KGW_OK)
		return kgw_ld_cache_get(ls, name, now, rec);
	return r;
}

/* A commit the directory did not answer: this host's, if it may. */
static bool
offline_now(struct ldap_store *ls, int r, int64_t now)
{
	return ls->offline || (r == KGW_ERR_OFFLINE &&
	    kgw_ld_go_offline(ls, now) == KGW_OK);
}

/* The record as the provider has it now: why a guarded write failed. */
int
kgw_ld_fresh_user(struct ldap_store *ls, const char *name,
    struct kgw_user_rec *rec, struct kgw_fido2_rec *keys, size_t *nkeys)
{
	LDAPMessage *res = NULL, *entry = NULL;
	int r;

	if ((r = kgw_ld_get_entry(ls, true, name, &res, &entry)) == KGW_OK)
		r = kgw_ld_entry_user(ls, entry, rec);
	if (r == KGW_OK && keys != NULL && nkeys != NULL)
		r = kgw_ld_entry_fido2(ls, entry, name, keys,
		    KGW_FIDO2_CREDS_MAX, nkeys);
	ldap_msgfree(res);
	return r;
}

/*
 * The assertion of a login's commit: what kgw_store_totp_accept checks,
 * as a filter on the entry (and the TOTP step above the stored one).
 */
int
kgw_ld_accept_filter(const struct kgw_user_rec *seen, int64_t step, int64_t now,
    const char *extra, char *out, size_t outlen)
{
	char zones[KGW_ZONE_LIST_MAX * 3 + 1], pw[KGW_HASH_MAX * 3 + 16];
	char totp[KGW_SEALED_MAX * 3 + 96];
	int n;

	if (kgw_ld_escape(seen->zones, strlen(seen->zones), zones,
	    sizeof(zones)) != KGW_OK)
		return KGW_ERR_INVALID;
	if (seen->pwhash[0] == '\0')
		(void)snprintf(pw, sizeof(pw), "(!(kgwPasswordHash=*))");
	else if (kgw_ld_term(pw, sizeof(pw), "kgwPasswordHash", seen->pwhash,
	    strlen(seen->pwhash)) != KGW_OK)
		return KGW_ERR_INVALID;
	totp[0] = '\0';
	if (step >= 0) {
		n = snprintf(totp, sizeof(totp), "(!(kgwTotpLastStep>=%" PRId64
		    "))(kgwTotpSecret=", step);
		if (n < 0 || kgw_ld_escape(seen->totp_sealed,
		    seen->totp_sealed_len, totp + n, sizeof(totp) - (size_t)n -
		    1) != KGW_OK)
			return KGW_ERR_INVALID;
		(void)strncat(totp, ")", sizeof(totp) - strlen(totp) - 1);
	}
	/* A zone list written empty (only for a new person) is "" too. */
	n = snprintf(out, outlen, "(&(!(kgwDisabled=TRUE))"
	    "(kgwLockedUntil<=%" PRId64 ")"
	    "(|(!(kgwExpires=*))(kgwExpires=0)(!(kgwExpires<=%" PRId64 ")))"
	    "%s%s%s%s%s)", now, now, seen->zones[0] != '\0' ? "(kgwZones=" :
	    "(!(kgwZones=*))", zones, seen->zones[0] != '\0' ? ")" : "", pw,
	    totp);
	if (n < 0 || (size_t)n >= outlen ||
	    strlen(out) + strlen(extra) + 1 >= outlen)
		return KGW_ERR_INVALID;
	/* The extra terms go inside the outer AND. */
	out[strlen(out) - 1] = '\0';
	(void)strncat(out, extra, outlen - strlen(out) - 1);
	(void)strncat(out, ")", outlen - strlen(out) - 1);
	return KGW_OK;
}

/* What every accepted login writes: failures cleared, last login noted. */
void
kgw_ld_accept_mods(struct kgw_lmods *m, const struct kgw_user_rec *seen,
    int64_t step, int64_t now, const struct kgw_audit_rec *audit)
{
	const char *from = kgw_store_record_from(audit);

	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwFailCount");
	kgw_lm_int(m, 0);
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwLockedUntil");
	kgw_lm_int(m, 0);
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwFailsSince");
	kgw_lm_int(m, 0);
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwLastLogin");
	kgw_lm_int(m, now);
	kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwLastFrom");
	if (from[0] != '\0')
		kgw_lm_str(m, from);
	if (step >= 0) {
		kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwTotpLastStep");
		kgw_lm_int(m, step);
		kgw_lm_op(m, LDAP_MOD_REPLACE, "kgwTotpDrift");
		kgw_lm_int(m, seen->totp_drift);
	}
}

/* A modify guarded by the assertion filter; *rc is the server's answer. */
int
kgw_ld_guarded_modify(struct ldap_store *ls, const char *name, LDAPMod **mods,
    const char *filter, int *rc, LDAPControl ***post, LDAPControl *extra)
{
	char dn[KGW_DIR_DN_MAX + 64];
	LDAPControl *assert = NULL, *ctrls[3] = { NULL, NULL, NULL };
	int r;

	if (mods == NULL)
		return KGW_ERR_INTERNAL;
	if ((r = kgw_ld_dn(ls, name, dn, sizeof(dn))) != KGW_OK ||
	    (r = kgw_ld_connect(ls)) != KGW_OK)
		return r;
	if (filter != NULL && ldap_create_assertion_control(ls->ld,
	    kgw_ld_unconst(filter), 1, &assert) != LDAP_SUCCESS) {
		kgw_log_err(ls->base.log, "directory: cannot build the "
		    "assertion: user=%s", name);
		return KGW_ERR_INTERNAL;
	}
	ctrls[0] = assert != NULL ? assert : extra;
	ctrls[1] = assert != NULL ? extra : NULL;
	r = kgw_ld_modify(ls, dn, mods, ctrls[0] != NULL ? ctrls : NULL, rc,
	    post);
	ldap_control_free(assert);
	return r;
}

int
kgw_ld_swap(struct ldap_store *ls, const char *name, const char *attr,
    const char *old, const char *new, int *rc)
{
	struct kgw_lmods m;

	kgw_lm_init(&m);
	kgw_lm_swap(&m, attr, old, new);
	return kgw_ld_guarded_modify(ls, name, kgw_lm_done(&m), NULL, rc,
	    NULL, NULL);
}

/*
 * The end of every accepted login: the entry's guarded modify, then the
 * decision in this host's trail. The directory's write is the commit: if
 * the trail then fails, the login is still refused (the code stays used).
 */
int
kgw_ld_commit_login(struct ldap_store *ls, const struct kgw_user_rec *seen,
    struct kgw_lmods *m, const char *filter, bool totp, int64_t now,
    const struct kgw_audit_rec *audit)
{
	struct kgw_store *t = kgw_ld_trail(ls);
	struct kgw_user_rec cur;
	int r, rc = LDAP_OTHER;

	if (t == NULL)
		return KGW_ERR_INTERNAL;
	if ((r = kgw_ld_guarded_modify(ls, seen->name, kgw_lm_done(m), filter,
	    &rc, NULL, NULL)) != KGW_OK)
		return r;
	if (rc == LDAP_SUCCESS)
		return kgw_ld_audit_add(ls, audit);
	if (rc == LDAP_NO_SUCH_ATTRIBUTE)
		return KGW_ERR_REPLAY;	/* the value it used up is gone */
	if (rc != LDAP_ASSERTION_FAILED)
		return kgw_ld_fail(ls, "accept", rc);
	memset(&cur, 0, sizeof(cur));
	if ((r = kgw_ld_fresh_user(ls, seen->name, &cur, NULL, NULL)) == KGW_OK)
		r = kgw_store_refusal(&cur, seen, totp, now);
	explicit_bzero(&cur, sizeof(cur));
	return r;
}

static int
ldap_totp_accept(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t step, int64_t now, const struct kgw_audit_rec *audit)
{
	struct ldap_store *ls = to_ldap(s);
	struct kgw_lmods m;
	char filter[FILTER_MAX];
	int r;

	if (step < 0)
		return KGW_ERR_INVALID;
	if (ls->offline)
		return kgw_ld_offline_totp_accept(ls, seen, step, now, audit);
	if ((r = kgw_ld_accept_filter(seen, step, now, "", filter,
	    sizeof(filter))) != KGW_OK)
		return r;
	kgw_lm_init(&m);
	kgw_ld_accept_mods(&m, seen, step, now, audit);
	r = kgw_ld_commit_login(ls, seen, &m, filter, true, now, audit);
	if (offline_now(ls, r, now))
		return kgw_ld_offline_totp_accept(ls, seen, step, now, audit);
	return r;
}

/*
 * An allowed account phase with no auth of ours (an SSH key): the last
 * login alone, guarded so that a person disabled or expired meanwhile
 * (the account phase may have read a replica that lags) is refused.
 */
static int
ldap_account_accept(struct kgw_store *s, const char *name, int64_t now,
    const struct kgw_audit_rec *audit)
{
	struct ldap_store *ls = to_ldap(s);
	const char *from = kgw_store_record_from(audit);
	struct kgw_user_rec cur;
	struct kgw_lmods m;
	char filter[160];
	int r, rc = LDAP_OTHER;

	if (kgw_ld_trail(ls) == NULL)
		return KGW_ERR_INTERNAL;
	if (ls->offline)
		return kgw_ld_offline_account_accept(ls, name, now, audit);
	(void)snprintf(filter, sizeof(filter), "(&(!(kgwDisabled=TRUE))"
	    "(|(!(kgwExpires=*))(kgwExpires=0)(!(kgwExpires<=%" PRId64 "))))",
	    now);
	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwLastLogin");
	kgw_lm_int(&m, now);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwLastFrom");
	if (from[0] != '\0')
		kgw_lm_str(&m, from);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwFailsSince");
	kgw_lm_int(&m, 0);
	r = kgw_ld_guarded_modify(ls, name, kgw_lm_done(&m), filter, &rc, NULL,
	    NULL);
	if (r == KGW_OK && rc == LDAP_ASSERTION_FAILED) {
		memset(&cur, 0, sizeof(cur));
		if ((r = kgw_ld_fresh_user(ls, name, &cur, NULL, NULL)) ==
		    KGW_OK)
			r = cur.disabled ? KGW_ERR_DISABLED : KGW_ERR_EXPIRED;
		explicit_bzero(&cur, sizeof(cur));
		return r;
	}
	if (r == KGW_OK && rc != LDAP_SUCCESS)
		r = kgw_ld_fail(ls, "account_accept", rc);
	if (offline_now(ls, r, now))
		return kgw_ld_offline_account_accept(ls, name, now, audit);
	if (r != KGW_OK)
		return r;
	return kgw_ld_audit_add(ls, audit);
}

/*
 * The security key's counter moves by delete-old + add-new in the same
 * modify as the login's commit: of two logins with one key, one wins.
 */
static int
key_commit(struct ldap_store *ls, const struct kgw_user_rec *seen,
    int64_t totp_step, const struct kgw_fido2_rec *key, int64_t sign_count,
    int64_t now, const struct kgw_audit_rec *audit)
{
	char old[KGW_LD_VALUE_MAX], new[KGW_LD_VALUE_MAX];
	char keyval[KGW_LD_VALUE_MAX], keyterm[KGW_LD_VALUE_MAX * 3 + 16];
	char filter[FILTER_MAX + sizeof(keyterm)];
	struct kgw_lmods m;
	int r;

	if (kgw_ld_fido2_counter_value(key->id, key->id_len, key->sign_count,
	    false, key->last_used, old, sizeof(old)) != KGW_OK ||
	    kgw_ld_fido2_counter_value(key->id, key->id_len, sign_count, false,
	    now, new, sizeof(new)) != KGW_OK ||
	    kgw_ld_fido2_key_value(key, keyval, sizeof(keyval)) != KGW_OK)
		return KGW_ERR_INVALID;
	if (kgw_ld_term(keyterm, sizeof(keyterm), "kgwFido2Key", keyval,
	    strlen(keyval)) != KGW_OK)
		return KGW_ERR_INVALID;
	if ((r = kgw_ld_accept_filter(seen, totp_step, now, keyterm, filter,
	    sizeof(filter))) != KGW_OK)
		return r;
	kgw_lm_init(&m);
	kgw_ld_accept_mods(&m, seen, totp_step, now, audit);
	kgw_lm_swap(&m, "kgwFido2Counter", old, new);
	return kgw_ld_commit_login(ls, seen, &m, filter, totp_step >= 0, now,
	    audit);
}

/* A counter that did not grow: the key is flagged, and stays flagged. */
static int
key_flag(struct ldap_store *ls, const char *name,
    const struct kgw_fido2_rec *key, int64_t sign_count)
{
	char old[KGW_LD_VALUE_MAX], new[KGW_LD_VALUE_MAX];
	int r, rc = LDAP_OTHER;

	kgw_log_err(ls->base.log, "fido2: possible clone: user=%s key=%s "
	    "counter=%" PRId64 " after %" PRId64 "; key flagged", name,
	    key->label, sign_count, key->sign_count);
	if (kgw_ld_fido2_counter_value(key->id, key->id_len, key->sign_count,
	    false, key->last_used, old, sizeof(old)) != KGW_OK ||
	    kgw_ld_fido2_counter_value(key->id, key->id_len, key->sign_count,
	    true, key->last_used, new, sizeof(new)) != KGW_OK)
		return KGW_ERR_INVALID;
	if ((r = kgw_ld_swap(ls, name, "kgwFido2Counter", old, new, &rc)) !=
	    KGW_OK)
		return r;
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_ATTRIBUTE)
		return kgw_ld_fail(ls, "fido2_flag", rc);
	return KGW_ERR_CLONE;
}

/*
 * The key's side of a refused commit: KGW_ERR_NO_FACTOR (revoked or
 * re-enrolled meanwhile), KGW_ERR_CLONE (flagged), KGW_ERR_STALE
 * (another login of the same key committed first), KGW_OK when the key
 * is still as the login saw it (the person's side refused).
 */
static int
key_state(struct ldap_store *ls, const char *name,
    const struct kgw_fido2_rec *key)
{
	struct kgw_fido2_rec keys[KGW_FIDO2_CREDS_MAX];
	struct kgw_user_rec cur;
	size_t n = 0, i;
	int r;

	memset(&cur, 0, sizeof(cur));
	if ((r = kgw_ld_fresh_user(ls, name, &cur, keys, &n)) != KGW_OK)
		goto out;
	for (i = 0; i < n; i++)
		if (keys[i].id_len == key->id_len &&
		    memcmp(keys[i].id, key->id, key->id_len) == 0)
			break;
	if (i == n || keys[i].sealed_len != key->sealed_len ||
	    memcmp(keys[i].sealed, key->sealed, key->sealed_len) != 0)
		r = KGW_ERR_NO_FACTOR;
	else if (keys[i].flagged)
		r = KGW_ERR_CLONE;
	else if (keys[i].sign_count != key->sign_count ||
	    keys[i].last_used != key->last_used)
		r = KGW_ERR_STALE;
out:
	explicit_bzero(&cur, sizeof(cur));
	explicit_bzero(keys, sizeof(keys));
	return r;
}

static int
ldap_fido2_accept(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t totp_step, const struct kgw_fido2_rec *key, int64_t sign_count,
    int64_t now, const struct kgw_audit_rec *audit)
{
	struct ldap_store *ls = to_ldap(s);
	int r, k;

	if (ls->offline)
		return kgw_ld_offline_fido2_accept(ls, seen, totp_step, key,
		    sign_count, now, audit);
	if (key->flagged)
		return KGW_ERR_CLONE;
	/* A key that keeps no counter says 0 every time, and is let be. */
	if (!(sign_count > key->sign_count || (sign_count == 0 &&
	    key->sign_count == 0)))
		return key_flag(ls, seen->name, key, sign_count);
	r = key_commit(ls, seen, totp_step, key, sign_count, now, audit);
	if (offline_now(ls, r, now))
		return kgw_ld_offline_fido2_accept(ls, seen, totp_step, key,
		    sign_count, now, audit);
	if (r == KGW_OK || r == KGW_ERR_OFFLINE || r == KGW_ERR_INTERNAL ||
	    r == KGW_ERR_INVALID || r == KGW_ERR_STORE)
		return r;
	/* Refused: the key's state first, then the person's. */
	k = key_state(ls, seen->name, key);
	return k != KGW_OK ? k : r;
}

/* Every person under the base, in name order (paged: no size limit). */
struct list_acc {
	struct kgw_user_rec *recs;
	size_t n, cap;
};

static int
list_page(struct ldap_store *ls, LDAPMessage *res, struct list_acc *acc)
{
	LDAPMessage *e;
	struct kgw_user_rec *grown;
	int r;

	for (e = ldap_first_entry(ls->ld, res); e != NULL;
	    e = ldap_next_entry(ls->ld, e)) {
		if (acc->n == acc->cap) {
			acc->cap = acc->cap == 0 ? 64 : acc->cap * 2;
			grown = realloc(acc->recs, acc->cap * sizeof(*grown));
			if (grown == NULL)
				return KGW_ERR_NOMEM;
			acc->recs = grown;
		}
		if ((r = kgw_ld_entry_user(ls, e, &acc->recs[acc->n])) !=
		    KGW_OK)
			return r;
		acc->n++;
	}
	return KGW_OK;
}

static int
list_search(struct ldap_store *ls, struct list_acc *acc)
{
	struct berval cookie = { 0, NULL }, *next = NULL;
	LDAPControl *page = NULL, *resp, *ctrls[2] = { NULL, NULL };
	LDAPControl **sctrls = NULL;
	LDAPMessage *res = NULL;
	ber_int_t count = 0;
	int r = KGW_OK, rc, err;

	do {
		if (ldap_create_page_control(ls->ld, 200, &cookie, 1, &page) !=
		    LDAP_SUCCESS)
			return KGW_ERR_NOMEM;
		ctrls[0] = page;
		rc = ldap_search_ext_s(ls->ld, ls->dir.base,
		    LDAP_SCOPE_ONELEVEL, "(objectClass=kgwStaff)", NULL, 0,
		    ctrls, NULL, NULL, 0, &res);
		ldap_control_free(page);
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (rc != LDAP_SUCCESS) {
			r = kgw_ld_fail(ls, "list", rc);
			break;
		}
		if ((r = list_page(ls, res, acc)) != KGW_OK)
			break;
		if (ldap_parse_result(ls->ld, res, &err, NULL, NULL, NULL,
		    &sctrls, 0) != LDAP_SUCCESS || err != LDAP_SUCCESS) {
			ldap_controls_free(sctrls);
			r = KGW_ERR_STORE;
			break;
		}
		resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, sctrls,
		    NULL);
		if (resp != NULL && ldap_parse_pageresponse_control(ls->ld,
		    resp, &count, &cookie) != LDAP_SUCCESS)
			r = KGW_ERR_STORE;
		next = resp != NULL ? &cookie : NULL;
		ldap_controls_free(sctrls);
		sctrls = NULL;
		ldap_msgfree(res);
		res = NULL;
	} while (r == KGW_OK && next != NULL && cookie.bv_len > 0);
	ldap_msgfree(res);
	ber_memfree(cookie.bv_val);
	return r;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct kgw_user_rec *)a)->name,
	    ((const struct kgw_user_rec *)b)->name);
}

static int
ldap_list(struct kgw_store *s,
    int (*cb)(void *arg, const struct kgw_user_rec *rec), void *arg)
{
	struct ldap_store *ls = to_ldap(s);
	struct list_acc acc = { NULL, 0, 0 };
	size_t i;
	int r;

	if ((r = kgw_ld_connect(ls)) == KGW_OK &&
	    (r = list_search(ls, &acc)) == KGW_OK) {
		if (acc.n > 0)
			qsort(acc.recs, acc.n, sizeof(*acc.recs), by_name);
		for (i = 0; i < acc.n && r == 0; i++)
			r = cb(arg, &acc.recs[i]);
	}
	if (acc.recs != NULL)
		explicit_bzero(acc.recs, acc.cap * sizeof(*acc.recs));
	free(acc.recs);
	return r;
}

/*
 * No transactions across entries in LDAP: a batch's changes are applied
 * as they come, and one that fails stops the batch with what came before
 * kept (kakogawa-enroll import checks every row first). Said when it
 * happens, with how many.
 */
static int
ldap_batch_begin(struct kgw_store *s)
{
	struct ldap_store *ls = to_ldap(s);

	ls->batch_start = ls->local_changes;
	return KGW_OK;
}

static int
ldap_batch_end(struct kgw_store *s, bool commit)
{
	struct ldap_store *ls = to_ldap(s);
	unsigned kept = ls->local_changes - ls->batch_start;

	if (!commit && kept > 0)
		kgw_log_err(s->log, "directory: %u change(s) made before the "
		    "failed one are kept (a directory has no transaction "
		    "across people)", kept);
	return KGW_OK;
}

/* The audit trail and the change history are this host's store's. */
static int
ldap_changes(struct kgw_store *s, const char *name,
    int (*cb)(void *arg, const struct kgw_change *c), void *arg)
{
	return kgw_store_changes(to_ldap(s)->local, name, cb, arg);
}

static int
ldap_audit_add(struct kgw_store *s, const struct kgw_audit_rec *r)
{
	return kgw_ld_audit_add(to_ldap(s), r);
}

static int
ldap_audit_head(struct kgw_store *s, struct kgw_audit_head *h, bool *present)
{
	return kgw_store_audit_head(to_ldap(s)->local, h, present);
}

static int
ldap_audit_list(struct kgw_store *s, int64_t from,
    int (*cb)(void *arg, const struct kgw_audit_rec *r), void *arg)
{
	return kgw_store_audit_list(to_ldap(s)->local, from, cb, arg);
}

/*
 * The trail is the store file's: arming it starts a new file's trail
 * (kgw_store_audit_init), which `init` of a directory host needs too.
 */
static int
ldap_audit_start(struct kgw_store *s)
{
	struct ldap_store *ls = to_ldap(s);
	bool armed = ls->local->audited;
	struct kgw_store *t = kgw_ld_trail(ls);

	if (t == NULL)
		return KGW_ERR_INTERNAL;
	if (!armed && ls->local->fresh)
		return KGW_OK;		/* started just now */
	return kgw_store_audit_start(t);
}

static int
ldap_audit_note(struct kgw_store *s, const char *op, const char *action,
    const char *detail)
{
	struct kgw_store *t = kgw_ld_trail(to_ldap(s));

	return t != NULL ? kgw_store_audit_note(t, op, action, detail) :
	    KGW_ERR_INTERNAL;
}

static int
ldap_audit_cut(struct kgw_store *s, int64_t cut_seq,
    const unsigned char *cut_mac, const char *op, const char *detail)
{
	struct kgw_store *t = kgw_ld_trail(to_ldap(s));

	return t != NULL ? kgw_store_audit_cut(t, cut_seq, cut_mac, op,
	    detail) : KGW_ERR_INTERNAL;
}

/* An archive is a SQLite store of its own: never a directory. */
static int
ldap_not_archive(struct kgw_store *s)
{
	kgw_log_err(s->log, "an audit archive is a store file, not a "
	    "directory");
	return KGW_ERR_INVALID;
}

static int
ldap_audit_put(struct kgw_store *s, const struct kgw_audit_rec *r)
{
	(void)r;
	return ldap_not_archive(s);
}

static int
ldap_audit_rehead(struct kgw_store *s, const struct kgw_audit_head *h)
{
	(void)h;
	return ldap_not_archive(s);
}

static int
ldap_standalone(struct kgw_store *s)
{
	return kgw_store_standalone(to_ldap(s)->local);
}

static int
ldap_fail_record(struct kgw_store *s, const char *name, int64_t now,
    unsigned attempts, unsigned lock_seconds, unsigned *count, bool *locked,
    const struct kgw_audit_rec *audit)
{
	struct ldap_store *ls = to_ldap(s);
	int r = KGW_ERR_OFFLINE;

	if (!ls->offline)
		r = kgw_ld_fail_record(s, name, now, attempts, lock_seconds,
		    count, locked, audit);
	if (offline_now(ls, r, now))
		return kgw_ld_offline_fail_record(ls, name, now, attempts,
		    lock_seconds, count, locked, audit);
	return r;
}

static void
login_ops(struct kgw_store_ops *ops)
{
	ops->close = ldap_close;
	ops->get_user = ldap_get_user;
	ops->totp_accept = ldap_totp_accept;
	ops->fail_record = ldap_fail_record;
	ops->account_accept = ldap_account_accept;
	ops->fido2_accept = ldap_fido2_accept;
	ops->list = ldap_list;
	ops->batch_begin = ldap_batch_begin;
	ops->batch_end = ldap_batch_end;
	ops->changes = ldap_changes;
	ops->audit_add = ldap_audit_add;
	ops->audit_head = ldap_audit_head;
	ops->audit_list = ldap_audit_list;
	ops->audit_start = ldap_audit_start;
	ops->audit_note = ldap_audit_note;
	ops->audit_put = ldap_audit_put;
	ops->audit_rehead = ldap_audit_rehead;
	ops->audit_cut = ldap_audit_cut;
	ops->standalone = ldap_standalone;
	ops->dir_state = kgw_ld_dir_state;
}

int
kgw_store_ldap_open(const struct kgw_log *log, const struct kgw_conf *conf,
    int flags, struct kgw_store **store)
{
	struct ldap_store *ls;
	int r;

	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return KGW_ERR_NOMEM;
	login_ops(&ls->ops);
	kgw_ld_admin_ops(&ls->ops);
	kgw_ld_key_ops(&ls->ops);
	kgw_ld_full_ops(&ls->ops);
	ls->base.ops = &ls->ops;
	ls->base.log = log;
	ls->values = ldap_get_values_len;
	ls->dir = conf->directory;
	ls->conf = *conf;
	/* The store file: this host's trail (and its offline cache). */
	if ((r = kgw_store_sqlite_open(log, conf, flags, &ls->local)) !=
	    KGW_OK) {
		free(ls);
		return r;
	}
	ls->base.fresh = ls->local->fresh;
	*store = &ls->base;
	return KGW_OK;
}
