/*
 * Validates the store's recovery and enrolment-safety calls once, then
 * hands them to the backend (as store.c does for the rest).
 */
#include <config.h>

#include <string.h>

#include "kgw_err.h"
#include "store_impl.h"

static bool
kind_valid(enum kgw_recovery_kind kind)
{
	return kind == KGW_RECOVERY_BACKUP || kind == KGW_RECOVERY_TEMP;
}

int
kgw_store_recovery_issue(struct kgw_store *s, const char *name,
    enum kgw_recovery_kind kind,
    const unsigned char (*hashes)[KGW_RECOVERY_HASH_LEN], size_t n,
    int64_t expires, const char *op)
{
	int r;

	if ((r = kgw_store_check_op(s, name, op)) != KGW_OK)
		return r;
	if (!kind_valid(kind) || hashes == NULL || n == 0 ||
	    (kind == KGW_RECOVERY_BACKUP && (n > KGW_BACKUP_CODES_MAX ||
	    expires != 0)) ||
	    (kind == KGW_RECOVERY_TEMP && (n != 1 || expires <= 0)))
		return KGW_ERR_INVALID;
	return s->ops->recovery_issue(s, name, kind, hashes, n, expires, op);
}

int
kgw_store_recovery_revoke(struct kgw_store *s, const char *name,
    enum kgw_recovery_kind kind, const char *op)
{
	int r;

	if ((r = kgw_store_check_op(s, name, op)) != KGW_OK)
		return r;
	if (!kind_valid(kind))
		return KGW_ERR_INVALID;
	return s->ops->recovery_revoke(s, name, kind, op);
}

int
kgw_store_recovery_find(struct kgw_store *s, const char *name,
    const unsigned char *hash, struct kgw_recovery_match *m)
{
	int r;

	if ((r = kgw_store_check_name(s, name)) != KGW_OK)
		return r;
	if (hash == NULL || m == NULL)
		return KGW_ERR_INTERNAL;
	memset(m, 0, sizeof(*m));
	return s->ops->recovery_find(s, name, hash, m);
}

int
kgw_store_recovery_accept(struct kgw_store *s,
    const struct kgw_user_rec *seen, const struct kgw_recovery_match *m,
    int64_t now, const struct kgw_audit_rec *audit)
{
	int r;

	if (seen == NULL || m == NULL ||
	    kgw_store_check_audit(s, audit) != KGW_OK)
		return KGW_ERR_INTERNAL;
	if ((r = kgw_store_check_name(s, seen->name)) != KGW_OK)
		return r;
	if (!kind_valid(m->kind) || now < 0)
		return KGW_ERR_INVALID;
	return s->ops->recovery_accept(s, seen, m, now, audit);
}

static bool
sealed_valid(const unsigned char *sealed, size_t len, enum kgw_totp_alg alg,
    unsigned digits)
{
	return sealed != NULL && len > KGW_SEAL_OVERHEAD &&
	    len <= KGW_SEALED_MAX && (digits == 6 || digits == 8) &&
	    kgw_totp_alg_name(alg) != NULL;
}

int
kgw_store_totp_pending_set(struct kgw_store *s, const char *name,
    const unsigned char *sealed, size_t sealed_len, enum kgw_totp_alg alg,
    unsigned digits, const char *op)
{
	int r;

	if ((r = kgw_store_check_op(s, name, op)) != KGW_OK)
		return r;
	if (!sealed_valid(sealed, sealed_len, alg, digits))
		return KGW_ERR_INVALID;
	return s->ops->totp_pending_set(s, name, sealed, sealed_len, alg,
	    digits, op);
}

int
kgw_store_totp_pending_get(struct kgw_store *s, const char *name,
    struct kgw_totp_pending *p)
{
	int r;

	if ((r = kgw_store_check_name(s, name)) != KGW_OK)
		return r;
	if (p == NULL)
		return KGW_ERR_INTERNAL;
	memset(p, 0, sizeof(*p));
	return s->ops->totp_pending_get(s, name, p);
}

int
kgw_store_totp_confirm(struct kgw_store *s, const char *name,
    const struct kgw_totp_pending *seen, int64_t step, int64_t drift,
    const char *op)
{
	int r;

	if ((r = kgw_store_check_op(s, name, op)) != KGW_OK)
		return r;
	if (seen == NULL || !sealed_valid(seen->sealed, seen->sealed_len,
	    seen->alg, seen->digits) || step < 0 ||
	    drift < -KGW_TOTP_DRIFT_MAX || drift > KGW_TOTP_DRIFT_MAX)
		return KGW_ERR_INVALID;
	return s->ops->totp_confirm(s, name, seen, step, drift, op);
}

int
kgw_store_totp_resync(struct kgw_store *s, const struct kgw_user_rec *seen,
    int64_t step, int64_t drift, const char *op)
{
	int r;

	if (seen == NULL)
		return KGW_ERR_INTERNAL;
	if ((r = kgw_store_check_op(s, seen->name, op)) != KGW_OK)
		return r;
	if (!sealed_valid(seen->totp_sealed, seen->totp_sealed_len,
	    seen->totp_alg, seen->totp_digits) || step < 0 ||
	    drift < -KGW_TOTP_RESYNC_STEPS || drift > KGW_TOTP_RESYNC_STEPS)
		return KGW_ERR_INVALID;
	return s->ops->totp_resync(s, seen, step, drift, op);
}
