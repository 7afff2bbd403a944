/* Validates store calls once, then hands them to the configured backend. */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kgw_err.h"
#include "store_impl.h"

int
kgw_store_open(const struct kgw_log *log, const struct kgw_conf *conf,
    int flags, struct kgw_store **store)
{
	if (conf == NULL || store == NULL)
		return KGW_ERR_INTERNAL;
	*store = NULL;
	if (conf->directory.nuri > 0)
		return kgw_store_ldap_open(log, conf, flags, store);
	return kgw_store_sqlite_open(log, conf, flags, store);
}

void
kgw_store_close(struct kgw_store **store)
{
	if (store == NULL || *store == NULL)
		return;
	(*store)->ops->close(*store);
	*store = NULL;
}

static int
check_name(const struct kgw_store *s, const char *name)
{
	if (s == NULL)
		return KGW_ERR_INTERNAL;
	if (name == NULL || !kgw_username_valid(name))
		return KGW_ERR_INVALID;
	return KGW_OK;
}

static int
check_op(const struct kgw_store *s, const char *name, const char *op)
{
	int r;

	if ((r = check_name(s, name)) != KGW_OK)
		return r;
	if (!s->audited)
		return KGW_ERR_INTERNAL;	/* no change goes unaudited */
	if (op == NULL || op[0] == '\0' || strlen(op) >= KGW_OPERATOR_MAX)
		return KGW_ERR_INVALID;
	/* Shown to auditors: no control characters that could fake lines. */
	for (; *op != '\0'; op++)
		if ((unsigned char)*op < 0x20 || *op == 0x7f)
			return KGW_ERR_INVALID;
	return KGW_OK;
}

int
kgw_store_check_name(const struct kgw_store *s, const char *name)
{
	return check_name(s, name);
}

int
kgw_store_check_op(const struct kgw_store *s, const char *name,
    const char *op)
{
	return check_op(s, name, op);
}

bool
kgw_user_locked(const struct kgw_user_rec *rec, int64_t now)
{
	return rec->locked_until != 0 && now < rec->locked_until;
}

int
kgw_store_refusal(const struct kgw_user_rec *cur,
    const struct kgw_user_rec *seen, bool totp, int64_t now)
{
	if (cur->disabled)
		return KGW_ERR_DISABLED;
	if (cur->expires != 0 && now >= cur->expires)
		return KGW_ERR_EXPIRED;
	if (kgw_user_locked(cur, now))
		return KGW_ERR_LOCKED;
	if (totp && (cur->totp_sealed_len != seen->totp_sealed_len ||
	    memcmp(cur->totp_sealed, seen->totp_sealed,
	    cur->totp_sealed_len) != 0))
		return KGW_ERR_NO_FACTOR;
	if (strcmp(cur->zones, seen->zones) != 0)
		return KGW_ERR_ZONE;
	if (strcmp(cur->pwhash, seen->pwhash) != 0)
		return KGW_ERR_STALE;
	return totp ? KGW_ERR_REPLAY : KGW_ERR_STORE;
}

void
kgw_store_expires_detail(int64_t expires, char *out, size_t outlen)
{
	time_t t = (time_t)expires;
	struct tm tm;

	if (expires == 0)
		(void)snprintf(out, outlen, "expires=never");
	else if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "expires=%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, outlen, "expires=%lld", (long long)expires);
}

const char *
kgw_store_record_from(const struct kgw_audit_rec *a)
{
	const char *rhost = a->field[KGW_AF_RHOST];

	if (rhost[0] != '\0' && strcmp(rhost, "-") != 0)
		return rhost;
	return a->field[KGW_AF_TTY];
}

int
kgw_store_get_user(struct kgw_store *s, const char *name,
    struct kgw_user_rec *rec)
{
	int r;

	if ((r = check_name(s, name)) != KGW_OK)
		return r;
	if (rec == NULL)
		return KGW_ERR_INTERNAL;
	memset(rec, 0, sizeof(*rec));
	return s->ops->get_user(s, name, rec);
}

int
kgw_store_audit_init(struct kgw_store *s, const struct kgw_key *key,
    const char *host)
{
	if (s == NULL || key == NULL || host == NULL)
		return KGW_ERR_INTERNAL;
	memcpy(&s->audit_key, key, sizeof(s->audit_key));
	(void)snprintf(s->host, sizeof(s->host), "%s", host);
	s->audited = true;
	/* The trail of a store created now starts here, with an empty head:
	 * one that later has none was wiped (see audit_start). */
	if (s->fresh)
		return s->ops->audit_start(s);
	return KGW_OK;
}

int64_t
kgw_store_audit_last(const struct kgw_store *s, unsigned char *mac)
{
	if (s == NULL)
		return 0;
	memcpy(mac, s->last_mac, KGW_AUDIT_MAC_LEN);
	return s->last_seq;
}

int
kgw_store_audit_note(struct kgw_store *s, const char *op, const char *action,
    const char *detail)
{
	if (s == NULL || !s->audited || op == NULL || action == NULL ||
	    detail == NULL)
		return KGW_ERR_INTERNAL;
	return s->ops->audit_note(s, op, action, detail);
}

int
kgw_store_audit_start(struct kgw_store *s)
{
	if (s == NULL || !s->audited)
		return KGW_ERR_INTERNAL;
	return s->ops->audit_start(s);
}

/* A write may go ahead: the trail is armed and its record is there. */
static int
check_audit(const struct kgw_store *s, const struct kgw_audit_rec *audit)
{
	if (s == NULL || !s->audited || audit == NULL)
		return KGW_ERR_INTERNAL;
	return KGW_OK;
}

int
kgw_store_check_audit(const struct kgw_store *s,
    const struct kgw_audit_rec *audit)
{
	return check_audit(s, audit);
}

int
kgw_store_totp_accept(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t step, int64_t now, const struct kgw_audit_rec *audit)
{
	int r;

	if (seen == NULL || check_audit(s, audit) != KGW_OK)
		return KGW_ERR_INTERNAL;
	if ((r = check_name(s, seen->name)) != KGW_OK)
		return r;
	if (step < 0 || now < 0 || seen->totp_sealed_len == 0 ||
	    seen->totp_sealed_len > KGW_SEALED_MAX)
		return KGW_ERR_INVALID;
	return s->ops->totp_accept(s, seen, step, now, audit);
}

int
kgw_store_fail_record(struct kgw_store *s, const char *name, int64_t now,
    unsigned attempts, unsigned lock_seconds, unsigned *count, bool *locked,
    const struct kgw_audit_rec *audit)
{
	int r;

	if ((r = check_audit(s, audit)) != KGW_OK ||
	    (r = check_name(s, name)) != KGW_OK)
		return r;
	if (count == NULL || locked == NULL || attempts == 0)
		return KGW_ERR_INTERNAL;
	if (now < 0)
		return KGW_ERR_INVALID;
	return s->ops->fail_record(s, name, now, attempts, lock_seconds, count,
	    locked, audit);
}

int
kgw_store_audit_add(struct kgw_store *s, const struct kgw_audit_rec *r)
{
	int rc;

	if ((rc = check_audit(s, r)) != KGW_OK)
		return rc;
	return s->ops->audit_add(s, r);
}

int
kgw_store_audit_head(struct kgw_store *s, struct kgw_audit_head *h,
    bool *present)
{
	if (s == NULL || h == NULL || present == NULL)
		return KGW_ERR_INTERNAL;
	memset(h, 0, sizeof(*h));
	*present = false;
	return s->ops->audit_head(s, h, present);
}

int
kgw_store_audit_list(struct kgw_store *s, int64_t from,
    int (*cb)(void *arg, const struct kgw_audit_rec *r), void *arg)
{
	if (s == NULL || cb == NULL || from < 0)
		return KGW_ERR_INTERNAL;
	return s->ops->audit_list(s, from, cb, arg);
}

int
kgw_store_user_add(struct kgw_store *s, const char *name, const char *zones,
    const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	if (!kgw_zone_list_valid(zones))
		return KGW_ERR_INVALID;
	return s->ops->user_add(s, name, zones, op);
}

int
kgw_store_set_zones(struct kgw_store *s, const char *name, const char *zones,
    const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	if (!kgw_zone_list_valid(zones))
		return KGW_ERR_INVALID;
	return s->ops->set_zones(s, name, zones, op);
}

int
kgw_store_batch_begin(struct kgw_store *s)
{
	if (s == NULL)
		return KGW_ERR_INTERNAL;
	return s->ops->batch_begin(s);
}

int
kgw_store_batch_end(struct kgw_store *s, bool commit)
{
	if (s == NULL)
		return KGW_ERR_INTERNAL;
	return s->ops->batch_end(s, commit);
}

int
kgw_store_set_password(struct kgw_store *s, const char *name,
    const char *hash, const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	if (hash == NULL || kgw_password_hash_valid(hash) != KGW_OK)
		return KGW_ERR_INVALID;
	return s->ops->set_password(s, name, hash, false, op);
}

int
kgw_store_set_temporary(struct kgw_store *s, const char *name,
    const char *hash, const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	if (hash == NULL || kgw_password_hash_valid(hash) != KGW_OK)
		return KGW_ERR_INVALID;
	return s->ops->set_password(s, name, hash, true, op);
}

int
kgw_store_set_role(struct kgw_store *s, const char *name, const char *role,
    const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	if (role == NULL || (role[0] != '\0' && !kgw_role_name_valid(role)))
		return KGW_ERR_INVALID;
	return s->ops->set_role(s, name, role, op);
}

int
kgw_store_set_expires(struct kgw_store *s, const char *name, int64_t expires,
    const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	if (expires < 0)
		return KGW_ERR_INVALID;
	return s->ops->set_expires(s, name, expires, op);
}

int
kgw_store_password_change(struct kgw_store *s,
    const struct kgw_user_rec *seen, const char *hash,
    const struct kgw_audit_rec *audit)
{
	int r;

	if (seen == NULL || check_audit(s, audit) != KGW_OK)
		return KGW_ERR_INTERNAL;
	if ((r = check_name(s, seen->name)) != KGW_OK)
		return r;
	if (hash == NULL || kgw_password_hash_valid(hash) != KGW_OK)
		return KGW_ERR_INVALID;
	return s->ops->password_change(s, seen, hash, audit);
}

int
kgw_store_account_accept(struct kgw_store *s, const char *name, int64_t now,
    const struct kgw_audit_rec *audit)
{
	int r;

	if ((r = check_audit(s, audit)) != KGW_OK ||
	    (r = check_name(s, name)) != KGW_OK)
		return r;
	if (now < 0)
		return KGW_ERR_INVALID;
	return s->ops->account_accept(s, name, now, audit);
}

int
kgw_store_set_totp(struct kgw_store *s, const char *name,
    const unsigned char *sealed, size_t sealed_len, enum kgw_totp_alg alg,
    unsigned digits, const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	if (sealed == NULL || sealed_len <= KGW_SEAL_OVERHEAD ||
	    sealed_len > KGW_SEALED_MAX || (digits != 6 && digits != 8) ||
	    kgw_totp_alg_name(alg) == NULL)
		return KGW_ERR_INVALID;
	return s->ops->set_totp(s, name, sealed, sealed_len, alg, digits, op);
}

int
kgw_store_revoke(struct kgw_store *s, const char *name,
    enum kgw_factor factor, const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	if (factor != KGW_FACTOR_PASSWORD && factor != KGW_FACTOR_TOTP)
		return KGW_ERR_INVALID;
	return s->ops->revoke(s, name, factor, op);
}

int
kgw_store_set_disabled(struct kgw_store *s, const char *name, bool disabled,
    const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	return s->ops->set_disabled(s, name, disabled, op);
}

int
kgw_store_unlock(struct kgw_store *s, const char *name, const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	return s->ops->unlock(s, name, op);
}

int
kgw_store_user_delete(struct kgw_store *s, const char *name, const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	return s->ops->user_delete(s, name, op);
}

int
kgw_store_list(struct kgw_store *s,
    int (*cb)(void *arg, const struct kgw_user_rec *rec), void *arg)
{
	if (s == NULL || cb == NULL)
		return KGW_ERR_INTERNAL;
	return s->ops->list(s, cb, arg);
}

int
kgw_store_changes(struct kgw_store *s, const char *name,
    int (*cb)(void *arg, const struct kgw_change *c), void *arg)
{
	int r;

	if ((r = check_name(s, name)) != KGW_OK)
		return r;
	if (cb == NULL)
		return KGW_ERR_INTERNAL;
	return s->ops->changes(s, name, cb, arg);
}

/* A record as fido2_add may store it; rows read back are checked again. */
static bool
fido2_rec_valid(const struct kgw_fido2_rec *rec)
{
	return kgw_fido2_label_valid(rec->label) && rec->id_len > 0 &&
	    rec->id_len <= sizeof(rec->id) && rec->sealed_len > 0 &&
	    rec->sealed_len <= sizeof(rec->sealed) && rec->sign_count >= 0 &&
	    rec->sign_count <= UINT32_MAX;
}

int
kgw_store_fido2_add(struct kgw_store *s, const char *name,
    const struct kgw_fido2_rec *rec, const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	if (rec == NULL || !fido2_rec_valid(rec))
		return KGW_ERR_INVALID;
	return s->ops->fido2_add(s, name, rec, op);
}

int
kgw_store_fido2_list(struct kgw_store *s, const char *name,
    struct kgw_fido2_rec *recs, size_t max, size_t *n)
{
	int r;

	if ((r = check_name(s, name)) != KGW_OK)
		return r;
	if (recs == NULL || n == NULL || max == 0)
		return KGW_ERR_INTERNAL;
	*n = 0;
	return s->ops->fido2_list(s, name, recs, max, n);
}

int
kgw_store_fido2_revoke(struct kgw_store *s, const char *name,
    const char *label, const char *op)
{
	int r;

	if ((r = check_op(s, name, op)) != KGW_OK)
		return r;
	if (label != NULL && !kgw_fido2_label_valid(label))
		return KGW_ERR_INVALID;
	return s->ops->fido2_revoke(s, name, label, op);
}

int
kgw_store_fido2_accept(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t totp_step, const struct kgw_fido2_rec *key, int64_t sign_count,
    int64_t now, const struct kgw_audit_rec *audit)
{
	int r;

	if (seen == NULL || key == NULL || check_audit(s, audit) != KGW_OK)
		return KGW_ERR_INTERNAL;
	if ((r = check_name(s, seen->name)) != KGW_OK)
		return r;
	if (!fido2_rec_valid(key) || sign_count < 0 ||
	    sign_count > UINT32_MAX || now < 0 || (totp_step >= 0 &&
	    (seen->totp_sealed_len == 0 ||
	    seen->totp_sealed_len > KGW_SEALED_MAX)))
		return KGW_ERR_INVALID;
	return s->ops->fido2_accept(s, seen, totp_step, key, sign_count, now,
	    audit);
}

int
kgw_store_audit_put(struct kgw_store *s, const struct kgw_audit_rec *r)
{
	if (s == NULL || r == NULL || !s->audited || r->seq < 1)
		return KGW_ERR_INTERNAL;
	return s->ops->audit_put(s, r);
}

int
kgw_store_audit_rehead(struct kgw_store *s, int64_t base_seq,
    const unsigned char *base_mac, int64_t seq, const unsigned char *mac)
{
	struct kgw_audit_head h;
	int r;

	if (s == NULL || base_mac == NULL || mac == NULL || !s->audited ||
	    base_seq < 0 || seq < base_seq)
		return KGW_ERR_INTERNAL;
	memset(&h, 0, sizeof(h));
	h.base_seq = base_seq;
	memcpy(h.base_mac, base_mac, sizeof(h.base_mac));
	h.seq = seq;
	memcpy(h.mac, mac, sizeof(h.mac));
	if ((r = kgw_audit_head_mac(&s->audit_key, &h, h.head_mac)) != KGW_OK)
		return r;
	return s->ops->audit_rehead(s, &h);
}

int
kgw_store_audit_cut(struct kgw_store *s, int64_t cut_seq,
    const unsigned char *cut_mac, const char *op, const char *detail)
{
	if (s == NULL || cut_mac == NULL || op == NULL || detail == NULL ||
	    !s->audited || cut_seq < 1)
		return KGW_ERR_INTERNAL;
	return s->ops->audit_cut(s, cut_seq, cut_mac, op, detail);
}

int
kgw_store_standalone(struct kgw_store *s)
{
	if (s == NULL)
		return KGW_ERR_INTERNAL;
	return s->ops->standalone(s);
}

int
kgw_store_dir_state(struct kgw_store *s, int64_t now,
    struct kgw_dir_state *st)
{
	if (s == NULL || st == NULL)
		return KGW_ERR_INTERNAL;
	memset(st, 0, sizeof(*st));
	if (s->ops->dir_state == NULL)
		return KGW_OK;
	return s->ops->dir_state(s, now, st);
}
