/*
 * When the directory cannot be reached: logins go on from this host's
 * cache (the SQLite store beside it, refreshed at each read) for at most
 * directory_offline seconds after the last contact, with replay and
 * lockout enforced here by the SQLite store's own atomic commits. What
 * they change is marked, and pushed up when the directory returns: the
 * higher watermark wins, failures are added, a later lock or key counter
 * is carried over. A host that never reached the directory denies.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kgw_err.h"
#include "kgw_role.h"
#include "kgw_str.h"
#include "store_ldap.h"

int
kgw_ld_go_offline(struct ldap_store *ls, int64_t now)
{
	int64_t last = 0;

	if (ls->offline)
		return KGW_OK;
	if (ls->dir.offline == 0) {
		kgw_log_err(ls->base.log, "directory unreachable and "
		    "directory_offline = 0: no login from the cache");
		return KGW_ERR_OFFLINE;
	}
	if (kgw_store_sqlite_last_contact(ls->local, &last) != KGW_OK ||
	    last == 0) {
		kgw_log_err(ls->base.log, "directory unreachable, and never "
		    "reached from this host: no login");
		return KGW_ERR_OFFLINE;
	}
	/*
	 * A clock a little behind the last contact's is no reason to refuse;
	 * a contact far in the future is a clock that jumped: the bound
	 * would mean nothing.
	 */
	if (last > now + KGW_DIR_SKEW) {
		kgw_log_err(ls->base.log, "directory unreachable, and its last "
		    "contact (%" PRId64 ") is ahead of this host's clock: no "
		    "login", last);
		return KGW_ERR_OFFLINE;
	}
	if (now > last && now - last > (int64_t)ls->dir.offline) {
		kgw_log_err(ls->base.log, "directory unreachable since "
		    "%" PRId64 " (last contact), beyond directory_offline = %u "
		    "s: no login", last, ls->dir.offline);
		return KGW_ERR_OFFLINE;
	}
	kgw_log_warn(ls->base.log, "directory unreachable: host offline, "
	    "logins from its cache (last contact %" PRId64 ", until "
	    "%" PRId64 ")", last, last + (int64_t)ls->dir.offline);
	ls->offline = true;
	return KGW_OK;
}

/*
 * A person as the cache holds them: one read from the directory here,
 * within directory_offline of now. A host that stays in contact for its
 * other users does not keep serving a row read long ago: what the
 * helpdesk changed since (a disable, a new secret) would not be in it.
 */
int
kgw_ld_cache_get(struct ldap_store *ls, const char *name, int64_t now,
    struct kgw_user_rec *rec)
{
	int64_t fetched = 0;
	int r;

	if ((r = kgw_store_sqlite_cached(ls->local, name, &fetched)) != KGW_OK)
		return r;
	if (fetched > now + KGW_DIR_SKEW ||
	    (now > fetched && now - fetched > (int64_t)ls->dir.offline)) {
		kgw_log_err(ls->base.log, "directory unreachable, and user=%s "
		    "was last read from it at %" PRId64 ", beyond "
		    "directory_offline: no login", name, fetched);
		return KGW_ERR_OFFLINE;
	}
	return kgw_store_get_user(ls->local, name, rec);
}

/* Marks name as changed here (before the change: never lost). */
static int
mark(struct ldap_store *ls, const char *name, unsigned fails)
{
	int r = kgw_store_sqlite_offline_mark(ls->local, name, fails);

	if (r != KGW_OK)
		kgw_log_err(ls->base.log, "cannot mark the cache for "
		    "reconciliation: user=%s", name);
	return r;
}

/*
 * Marked again once the change is in: a reconciliation that claimed the
 * person between the first mark and the change read the row without it,
 * and this mark keeps them for the next one.
 */
static int
remark(struct ldap_store *ls, const char *name, int r)
{
	(void)mark(ls, name, 0);
	return r;
}

int
kgw_ld_offline_totp_accept(struct ldap_store *ls,
    const struct kgw_user_rec *seen, int64_t step, int64_t now,
    const struct kgw_audit_rec *audit)
{
	int r;

	if (kgw_ld_trail(ls) == NULL)
		return KGW_ERR_INTERNAL;
	if ((r = mark(ls, seen->name, 0)) != KGW_OK)
		return r;
	if ((r = kgw_store_totp_accept(ls->local, seen, step, now, audit)) ==
	    KGW_OK)
		kgw_ld_keep_last(ls);
	return remark(ls, seen->name, r);
}

int
kgw_ld_offline_fido2_accept(struct ldap_store *ls,
    const struct kgw_user_rec *seen, int64_t totp_step,
    const struct kgw_fido2_rec *key, int64_t sign_count, int64_t now,
    const struct kgw_audit_rec *audit)
{
	int r;

	if (kgw_ld_trail(ls) == NULL)
		return KGW_ERR_INTERNAL;
	if ((r = mark(ls, seen->name, 0)) != KGW_OK)
		return r;
	r = kgw_store_fido2_accept(ls->local, seen, totp_step, key, sign_count,
	    now, audit);
	if (r == KGW_OK)
		kgw_ld_keep_last(ls);
	return remark(ls, seen->name, r);
}

int
kgw_ld_offline_fail_record(struct ldap_store *ls, const char *name,
    int64_t now, unsigned attempts, unsigned lock_seconds, unsigned *count,
    bool *locked, const struct kgw_audit_rec *audit)
{
	int r;

	if (kgw_ld_trail(ls) == NULL)
		return KGW_ERR_INTERNAL;
	/* Counted before it is recorded: at worst one too many goes up. */
	if ((r = mark(ls, name, 1)) != KGW_OK)
		return r;
	r = kgw_store_fail_record(ls->local, name, now, attempts, lock_seconds,
	    count, locked, audit);
	if (r == KGW_OK)
		kgw_ld_keep_last(ls);
	return remark(ls, name, r);
}

int
kgw_ld_offline_account_accept(struct ldap_store *ls, const char *name,
    int64_t now, const struct kgw_audit_rec *audit)
{
	int r;

	if (kgw_ld_trail(ls) == NULL)
		return KGW_ERR_INTERNAL;
	if ((r = mark(ls, name, 0)) != KGW_OK)
		return r;
	if ((r = kgw_store_account_accept(ls->local, name, now, audit)) ==
	    KGW_OK)
		kgw_ld_keep_last(ls);
	return remark(ls, name, r);
}

/* ---- reconciliation ----------------------------------------------------- */

/* A replace of attr by v, only while the directory's value is lower. */
static int
raise_to(struct ldap_store *ls, const char *name, const char *attr,
    int64_t v)
{
	char filter[96];
	struct kgw_lmods m;
	int r, rc = LDAP_OTHER;

	(void)snprintf(filter, sizeof(filter), "(!(%s>=%" PRId64 "))", attr,
	    v);
	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, attr);
	kgw_lm_int(&m, v);
	if ((r = kgw_ld_guarded_modify(ls, name, kgw_lm_done(&m), filter, &rc,
	    NULL, NULL)) != KGW_OK)
		return r;
	if (rc == LDAP_SUCCESS || rc == LDAP_ASSERTION_FAILED)
		return KGW_OK;		/* raised, or already higher */
	return kgw_ld_fail(ls, "reconcile", rc);
}

static int
add_failures(struct ldap_store *ls, const char *name, unsigned fails)
{
	struct kgw_lmods m;
	int r, rc = LDAP_OTHER;

	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_INCREMENT, "kgwFailCount");
	kgw_lm_int(&m, fails);
	kgw_lm_op(&m, LDAP_MOD_INCREMENT, "kgwFailsSince");
	kgw_lm_int(&m, fails);
	if ((r = kgw_ld_guarded_modify(ls, name, kgw_lm_done(&m), NULL, &rc,
	    NULL, NULL)) != KGW_OK)
		return r;
	return rc == LDAP_SUCCESS ? KGW_OK : kgw_ld_fail(ls, "reconcile", rc);
}

/*
 * Failures counted on several hosts offline add up: the count reached
 * may now call for the lock no single host set (the person's role may
 * ask for fewer attempts than the default).
 */
static int
lock_if_reached(struct ldap_store *ls, const struct kgw_user_rec *here,
    int64_t now)
{
	struct kgw_policy p;

	if (kgw_role_policy(&ls->conf, here->role, &p) != KGW_OK) {
		p.lockout_attempts = 1;		/* an unknown role: lock */
		p.lockout_time = ls->conf.lockout_time;
	}
	return kgw_ld_lock_if_reached(ls, here->name, now,
	    p.lockout_attempts, p.lockout_time);
}

/* A key's counter (and flag) carried up, by delete-old + add-new. */
static int
raise_key(struct ldap_store *ls, const char *name,
    const struct kgw_fido2_rec *here, const struct kgw_fido2_rec *there)
{
	char old[KGW_LD_VALUE_MAX], new[KGW_LD_VALUE_MAX];
	int r, rc = LDAP_OTHER;

	if (here->sign_count <= there->sign_count &&
	    (!here->flagged || there->flagged))
		return KGW_OK;
	if (kgw_ld_fido2_counter_value(there->id, there->id_len,
	    there->sign_count, there->flagged, there->last_used, old,
	    sizeof(old)) != KGW_OK ||
	    kgw_ld_fido2_counter_value(there->id, there->id_len,
	    here->sign_count > there->sign_count ? here->sign_count :
	    there->sign_count, here->flagged || there->flagged,
	    here->last_used > there->last_used ? here->last_used :
	    there->last_used, new, sizeof(new)) != KGW_OK)
		return KGW_ERR_INVALID;
	if ((r = kgw_ld_swap(ls, name, "kgwFido2Counter", old, new, &rc)) !=
	    KGW_OK)
		return r;
	/* A login elsewhere moved it meanwhile: the next round compares. */
	if (rc == LDAP_NO_SUCH_ATTRIBUTE)
		return KGW_ERR_STALE;
	return rc == LDAP_SUCCESS ? KGW_OK : kgw_ld_fail(ls, "reconcile", rc);
}

static int
push_keys(struct ldap_store *ls, const char *name,
    const struct kgw_fido2_rec *there, size_t nthere)
{
	struct kgw_fido2_rec here[KGW_FIDO2_CREDS_MAX];
	size_t n = 0, i, j;
	int r;

	if ((r = kgw_store_fido2_list(ls->local, name, here,
	    KGW_FIDO2_CREDS_MAX, &n)) != KGW_OK)
		return r == KGW_ERR_NOT_FOUND ? KGW_OK : r;
	for (i = 0; i < n && r == KGW_OK; i++)
		for (j = 0; j < nthere && r == KGW_OK; j++)
			if (here[i].id_len == there[j].id_len &&
			    memcmp(here[i].id, there[j].id,
			    here[i].id_len) == 0)
				r = raise_key(ls, name, &here[i], &there[j]);
	explicit_bzero(here, sizeof(here));
	return r;
}

/* What logins changed here while offline, carried up for one person. */
static int
push_one(struct ldap_store *ls, const char *name, unsigned *fails,
    int64_t now)
{
	struct kgw_fido2_rec keys[KGW_FIDO2_CREDS_MAX];
	struct kgw_user_rec here, there;
	unsigned pushed = *fails;
	size_t n = 0;
	int r;

	memset(&here, 0, sizeof(here));
	memset(&there, 0, sizeof(there));
	if ((r = kgw_store_get_user(ls->local, name, &here)) != KGW_OK ||
	    (r = kgw_ld_fresh_user(ls, name, &there, keys, &n)) != KGW_OK)
		goto out;	/* gone from either: nothing to carry */
	if (here.totp_last_step > there.totp_last_step)
		r = raise_to(ls, name, "kgwTotpLastStep", here.totp_last_step);
	if (r == KGW_OK && *fails > 0 &&
	    (r = add_failures(ls, name, *fails)) == KGW_OK) {
		*fails = 0;		/* up: not to be given back */
		r = lock_if_reached(ls, &here, now);
	}
	if (r == KGW_OK && here.locked_until > now &&
	    here.locked_until > there.locked_until)
		r = raise_to(ls, name, "kgwLockedUntil", here.locked_until);
	if (r == KGW_OK && here.last_login > there.last_login)
		r = raise_to(ls, name, "kgwLastLogin", here.last_login);
	if (r == KGW_OK)
		r = push_keys(ls, name, keys, n);
	if (r == KGW_OK)
		kgw_log_info(ls->base.log, "directory: reconciled user=%s "
		    "step=%" PRId64 " failures=+%u", name, here.totp_last_step,
		    pushed);
out:
	explicit_bzero(&here, sizeof(here));
	explicit_bzero(&there, sizeof(there));
	explicit_bzero(keys, sizeof(keys));
	return r == KGW_ERR_NOT_FOUND ? KGW_OK : r;
}

int
kgw_ld_reconcile(struct ldap_store *ls, int64_t now)
{
	char name[KGW_USERNAME_MAX + 1], after[KGW_USERNAME_MAX + 1] = "";
	unsigned fails = 0;
	int64_t gen = 0;
	int r;

	/* Each marked person once, in name order. */
	for (;;) {
		r = kgw_store_sqlite_dirty_claim(ls->local, after, name,
		    sizeof(name), &fails, &gen);
		if (r == KGW_ERR_NOT_FOUND)
			return KGW_OK;
		if (r != KGW_OK)
			return r;
		r = push_one(ls, name, &fails, now);
		if (fails > 0)
			(void)kgw_store_sqlite_dirty_return(ls->local, name,
			    fails);
		if (r != KGW_OK)
			return r;	/* still marked: the next contact */
		(void)kgw_store_sqlite_dirty_done(ls->local, name, gen);
		(void)kgw_strcopy(after, sizeof(after), name);
	}
}

int
kgw_ld_dir_state(struct kgw_store *s, int64_t now, struct kgw_dir_state *st)
{
	struct ldap_store *ls = to_ldap(s);
	int r;

	st->directory = true;
	st->offline = ls->dir.offline;
	r = kgw_ld_connect(ls);
	st->reachable = r == KGW_OK;
	if (r == KGW_OK) {
		/* A bind is no read: the contact stays the last read's. */
		if ((r = kgw_ld_reconcile(ls, now)) != KGW_OK)
			kgw_log_err(s->log, "directory: reconciliation stopped "
			    "(%s)", kgw_strerror(r));
	} else if (r != KGW_ERR_OFFLINE) {
		return r;	/* refused (bind, TLS, configuration): said */
	}
	if ((r = kgw_store_sqlite_last_contact(ls->local,
	    &st->last_contact)) != KGW_OK)
		return r;
	return kgw_store_sqlite_dirty_count(ls->local, &st->unreconciled);
}
