/*
 * Failed logins counted in the directory: the increment extension (RFC
 * 4525) adds one on the server, and the post-read control (RFC 4527)
 * returns the count that increment produced, so that failures on any
 * number of hosts add up and each host learns the total it caused. The
 * lock is then set by a replace guarded by "no lock yet": never extended.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kgw_err.h"
#include "store_ldap.h"

/* Attempts at a count whose lock state keeps changing under us. */
#define FAIL_TRIES 4

/* The post-read control asking for the count and the lock after. */
static int
postread_control(LDAPControl **ctrl)
{
	char *attrs[] = { kgw_ld_unconst("kgwFailCount"),
	    kgw_ld_unconst("kgwLockedUntil"), NULL };
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval bv;
	int r = KGW_ERR_INTERNAL;

	*ctrl = NULL;
	if (ber == NULL)
		return KGW_ERR_NOMEM;
	if (ber_printf(ber, "{v}", attrs) != -1 &&
	    ber_flatten2(ber, &bv, 0) == 0 &&
	    ldap_control_create(LDAP_CONTROL_POST_READ, 1, &bv, 1, ctrl) ==
	    LDAP_SUCCESS)
		r = KGW_OK;
	ber_free(ber, 1);
	return r;
}

/* One INTEGER value of the post-read entry. */
static bool
post_int(BerVarray vals, int64_t *out)
{
	char buf[24], *end;
	long long v;

	if (vals == NULL || vals[0].bv_val == NULL ||
	    vals[1].bv_val != NULL || vals[0].bv_len == 0 ||
	    vals[0].bv_len >= sizeof(buf))
		return false;
	memcpy(buf, vals[0].bv_val, vals[0].bv_len);
	buf[vals[0].bv_len] = '\0';
	v = strtoll(buf, &end, 10);
	if (*end != '\0' || v < 0)
		return false;
	*out = v;
	return true;
}

/*
 * Reads the count and the lock from the post-read control's entry (a
 * SearchResultEntry: the DN, then the attributes and their values).
 */
static int
postread_parse(const struct ldap_store *ls, LDAPControl **ctrls,
    int64_t *count, int64_t *until)
{
	LDAPControl *c = ldap_control_find(LDAP_CONTROL_POST_READ, ctrls, NULL);
	BerElement *ber;
	struct berval dn, type;
	BerVarray vals = NULL;
	bool have_count = false;
	int r = KGW_ERR_STORE;

	*until = 0;
	if (c == NULL || (ber = ber_init(&c->ldctl_value)) == NULL)
		goto bad;
	if (ber_scanf(ber, "{m{" /*}}*/, &dn) == LBER_ERROR)
		goto done;
	while (ber_scanf(ber, "{m" /*}*/, &type) != LBER_ERROR) {
		if (ber_scanf(ber, "[W]}", &vals) == LBER_ERROR)
			goto done;
		if (type.bv_len == 12 &&
		    strncasecmp(type.bv_val, "kgwFailCount", 12) == 0)
			have_count = post_int(vals, count);
		else if (type.bv_len == 14 &&
		    strncasecmp(type.bv_val, "kgwLockedUntil", 14) == 0 &&
		    !post_int(vals, until))
			have_count = false;
		ber_bvarray_free(vals);
		vals = NULL;
	}
	if (have_count)
		r = KGW_OK;
done:
	ber_bvarray_free(vals);
	ber_free(ber, 1);
bad:
	if (r != KGW_OK)
		kgw_log_err(ls->base.log, "directory: no usable post-read "
		    "answer to a failure count");
	return r;
}

/*
 * One increment, while no expired lock is there (that one restarts the
 * count, below): *rc is LDAP_ASSERTION_FAILED when it is.
 */
static int
count_up(struct ldap_store *ls, const char *name, int64_t now, int *rc,
    int64_t *count, int64_t *until)
{
	char filter[96];
	LDAPControl *post = NULL, **sctrls = NULL;
	struct kgw_lmods m;
	int r;

	(void)snprintf(filter, sizeof(filter), "(|(kgwLockedUntil=0)"
	    "(!(kgwLockedUntil<=%" PRId64 ")))", now);
	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_INCREMENT, "kgwFailCount");
	kgw_lm_int(&m, 1);
	kgw_lm_op(&m, LDAP_MOD_INCREMENT, "kgwFailsSince");
	kgw_lm_int(&m, 1);
	if ((r = postread_control(&post)) != KGW_OK)
		return r;
	r = kgw_ld_guarded_modify(ls, name, kgw_lm_done(&m), filter, rc,
	    &sctrls, post);
	if (r == KGW_OK && *rc == LDAP_SUCCESS)
		r = postread_parse(ls, sctrls, count, until);
	ldap_control_free(post);
	ldap_controls_free(sctrls);
	return r;
}

/* An expired timed lock: the count starts again at 1 (or locks again). */
static int
count_restart(struct ldap_store *ls, const char *name, int64_t now,
    unsigned attempts, int64_t lock_until, int *rc, int64_t *count,
    int64_t *until)
{
	char filter[96];
	struct kgw_lmods m;
	int r;

	(void)snprintf(filter, sizeof(filter), "(&(kgwLockedUntil>=1)"
	    "(kgwLockedUntil<=%" PRId64 "))", now);
	*count = 1;
	*until = attempts <= 1 ? lock_until : 0;
	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwFailCount");
	kgw_lm_int(&m, 1);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwLockedUntil");
	kgw_lm_int(&m, *until);
	kgw_lm_op(&m, LDAP_MOD_INCREMENT, "kgwFailsSince");
	kgw_lm_int(&m, 1);
	r = kgw_ld_guarded_modify(ls, name, kgw_lm_done(&m), filter, rc, NULL,
	    NULL);
	return r;
}

/* The count reached the threshold: lock, unless a lock is already set. */
static int
lock_now(struct ldap_store *ls, const char *name, int64_t lock_until,
    int64_t *until)
{
	struct kgw_user_rec cur;
	struct kgw_lmods m;
	int r, rc = LDAP_OTHER;

	kgw_lm_init(&m);
	kgw_lm_op(&m, LDAP_MOD_REPLACE, "kgwLockedUntil");
	kgw_lm_int(&m, lock_until);
	if ((r = kgw_ld_guarded_modify(ls, name, kgw_lm_done(&m),
	    "(kgwLockedUntil=0)", &rc, NULL, NULL)) != KGW_OK)
		return r;
	if (rc == LDAP_SUCCESS) {
		*until = lock_until;
		return KGW_OK;
	}
	if (rc != LDAP_ASSERTION_FAILED)
		return kgw_ld_fail(ls, "lock", rc);
	/* Another host locked first: its lock is the one in force. */
	memset(&cur, 0, sizeof(cur));
	if ((r = kgw_ld_fresh_user(ls, name, &cur, NULL, NULL)) == KGW_OK)
		*until = cur.locked_until;
	explicit_bzero(&cur, sizeof(cur));
	return r;
}

static int
fail_audit(struct ldap_store *ls, const struct kgw_audit_rec *audit,
    unsigned count, bool locked, int64_t until)
{
	struct kgw_store *t = kgw_ld_trail(ls);
	struct kgw_audit_rec a = *audit;
	char detail[96];

	if (t == NULL)
		return KGW_ERR_INTERNAL;
	if (locked && until == KGW_LOCK_FOREVER)
		(void)snprintf(detail, sizeof(detail), "failures=%u locked=yes "
		    "until=unlock", count);
	else if (locked)
		(void)snprintf(detail, sizeof(detail), "failures=%u locked=yes "
		    "until=%" PRId64, count, until);
	else
		(void)snprintf(detail, sizeof(detail), "failures=%u", count);
	kgw_audit_set_detail(&a, detail);
	return kgw_ld_audit_add(ls, &a);
}

int
kgw_ld_fail_record(struct kgw_store *s, const char *name, int64_t now,
    unsigned attempts, unsigned lock_seconds, unsigned *count, bool *locked,
    const struct kgw_audit_rec *audit)
{
	struct ldap_store *ls = to_ldap(s);
	int64_t n = 0, until = 0, lock_until = KGW_LOCK_FOREVER;
	int r = KGW_ERR_BUSY, rc = LDAP_OTHER, i;

	if (now < 0)
		return KGW_ERR_INVALID;
	if (lock_seconds != 0 && now <= INT64_MAX - lock_seconds)
		lock_until = now + lock_seconds;
	for (i = 0; i < FAIL_TRIES; i++) {
		if ((r = count_up(ls, name, now, &rc, &n, &until)) != KGW_OK ||
		    rc != LDAP_ASSERTION_FAILED)
			break;
		if ((r = count_restart(ls, name, now, attempts, lock_until,
		    &rc, &n, &until)) != KGW_OK || rc != LDAP_ASSERTION_FAILED)
			break;
		r = KGW_ERR_BUSY;
	}
	if (r != KGW_OK)
		return r;
	if (rc != LDAP_SUCCESS)
		return kgw_ld_fail(ls, "fail_record", rc);
	if (until == 0 && n >= (int64_t)attempts &&
	    (r = lock_now(ls, name, lock_until, &until)) != KGW_OK)
		return r;
	*count = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
	*locked = until != 0 && now < until;
	return fail_audit(ls, audit, *count, *locked, until);
}

int
kgw_ld_lock_if_reached(struct ldap_store *ls, const char *name, int64_t now,
    unsigned attempts, unsigned lock_seconds)
{
	struct kgw_user_rec cur;
	int64_t until = 0, lock_until = KGW_LOCK_FOREVER;
	int r;

	if (lock_seconds != 0 && now <= INT64_MAX - lock_seconds)
		lock_until = now + lock_seconds;
	memset(&cur, 0, sizeof(cur));
	r = kgw_ld_fresh_user(ls, name, &cur, NULL, NULL);
	if (r == KGW_OK && cur.locked_until == 0 &&
	    cur.fail_count >= attempts)
		r = lock_now(ls, name, lock_until, &until);
	explicit_bzero(&cur, sizeof(cur));
	return r;
}
