/*
 * What a store backend implements. kgw_store_* (store.c) validates
 * arguments and dispatches here, so backends may assume valid user names,
 * non-NULL pointers and bounded lengths.
 */
#ifndef KGW_STORE_IMPL_H
#define KGW_STORE_IMPL_H

#include "kgw_store.h"

struct kgw_store_ops {
	void (*close)(struct kgw_store *s);
	int (*get_user)(struct kgw_store *s, const char *name,
	    struct kgw_user_rec *rec);
	int (*totp_accept)(struct kgw_store *s,
	    const struct kgw_user_rec *seen, int64_t step, int64_t now,
	    const struct kgw_audit_rec *audit);
	int (*fail_record)(struct kgw_store *s, const char *name, int64_t now,
	    unsigned attempts, unsigned lock_seconds, unsigned *count,
	    bool *locked, const struct kgw_audit_rec *audit);
	int (*user_add)(struct kgw_store *s, const char *name,
	    const char *zones, const char *op);
	int (*set_zones)(struct kgw_store *s, const char *name,
	    const char *zones, const char *op);
	int (*batch_begin)(struct kgw_store *s);
	int (*batch_end)(struct kgw_store *s, bool commit);
	int (*set_password)(struct kgw_store *s, const char *name,
	    const char *hash, bool temporary, const char *op);
	int (*set_role)(struct kgw_store *s, const char *name,
	    const char *role, const char *op);
	int (*set_expires)(struct kgw_store *s, const char *name,
	    int64_t expires, const char *op);
	int (*password_change)(struct kgw_store *s,
	    const struct kgw_user_rec *seen, const char *hash,
	    const struct kgw_audit_rec *audit);
	int (*account_accept)(struct kgw_store *s, const char *name,
	    int64_t now, const struct kgw_audit_rec *audit);
	int (*set_totp)(struct kgw_store *s, const char *name,
	    const unsigned char *sealed, size_t sealed_len,
	    enum kgw_totp_alg alg, unsigned digits, const char *op);
	int (*revoke)(struct kgw_store *s, const char *name,
	    enum kgw_factor factor, const char *op);
	int (*set_disabled)(struct kgw_store *s, const char *name,
	    bool disabled, const char *op);
	int (*unlock)(struct kgw_store *s, const char *name, const char *op);
	int (*user_delete)(struct kgw_store *s, const char *name,
	    const char *op);
	int (*list)(struct kgw_store *s,
	    int (*cb)(void *arg, const struct kgw_user_rec *rec), void *arg);
	int (*changes)(struct kgw_store *s, const char *name,
	    int (*cb)(void *arg, const struct kgw_change *c), void *arg);
	int (*fido2_add)(struct kgw_store *s, const char *name,
	    const struct kgw_fido2_rec *rec, const char *op);
	int (*fido2_list)(struct kgw_store *s, const char *name,
	    struct kgw_fido2_rec *recs, size_t max, size_t *n);
	int (*fido2_revoke)(struct kgw_store *s, const char *name,
	    const char *label, const char *op);
	int (*fido2_accept)(struct kgw_store *s,
	    const struct kgw_user_rec *seen, int64_t totp_step,
	    const struct kgw_fido2_rec *key, int64_t sign_count, int64_t now,
	    const struct kgw_audit_rec *audit);
	int (*audit_add)(struct kgw_store *s, const struct kgw_audit_rec *r);
	int (*audit_head)(struct kgw_store *s, struct kgw_audit_head *h,
	    bool *present);
	int (*audit_list)(struct kgw_store *s, int64_t from,
	    int (*cb)(void *arg, const struct kgw_audit_rec *r), void *arg);
	int (*audit_start)(struct kgw_store *s);
	int (*audit_note)(struct kgw_store *s, const char *op,
	    const char *action, const char *detail);
	int (*audit_put)(struct kgw_store *s, const struct kgw_audit_rec *r);
	int (*audit_rehead)(struct kgw_store *s,
	    const struct kgw_audit_head *h);
	int (*audit_cut)(struct kgw_store *s, int64_t cut_seq,
	    const unsigned char *cut_mac, const char *op, const char *detail);
	int (*standalone)(struct kgw_store *s);
	/* Recovery and enrolment safety (store_recovery.c). */
	int (*recovery_issue)(struct kgw_store *s, const char *name,
	    enum kgw_recovery_kind kind,
	    const unsigned char (*hashes)[KGW_RECOVERY_HASH_LEN], size_t n,
	    int64_t expires, const char *op);
	int (*recovery_revoke)(struct kgw_store *s, const char *name,
	    enum kgw_recovery_kind kind, const char *op);
	int (*recovery_find)(struct kgw_store *s, const char *name,
	    const unsigned char *hash, struct kgw_recovery_match *m);
	int (*recovery_accept)(struct kgw_store *s,
	    const struct kgw_user_rec *seen,
	    const struct kgw_recovery_match *m, int64_t now,
	    const struct kgw_audit_rec *audit);
	int (*totp_pending_set)(struct kgw_store *s, const char *name,
	    const unsigned char *sealed, size_t sealed_len,
	    enum kgw_totp_alg alg, unsigned digits, const char *op);
	int (*totp_pending_get)(struct kgw_store *s, const char *name,
	    struct kgw_totp_pending *p);
	int (*totp_confirm)(struct kgw_store *s, const char *name,
	    const struct kgw_totp_pending *seen, int64_t step, int64_t drift,
	    const char *op);
	int (*totp_resync)(struct kgw_store *s,
	    const struct kgw_user_rec *seen, int64_t step, int64_t drift,
	    const char *op);
	/* NULL for a store that is no directory. */
	int (*dir_state)(struct kgw_store *s, int64_t now,
	    struct kgw_dir_state *st);
	/* A person whole, for migrate (store_full.c). */
	int (*user_read)(struct kgw_store *s, const char *name,
	    struct kgw_user_full *full);
	int (*user_write)(struct kgw_store *s,
	    const struct kgw_user_full *full, const char *op,
	    const char *detail);
};

/* Every backend's handle starts with this. */
struct kgw_store {
	const struct kgw_store_ops *ops;
	const struct kgw_log *log;
	/* Set by kgw_store_audit_init; no change is written without it. */
	bool audited;
	bool fresh;		/* created by this open: no trail to keep yet */
	struct kgw_key audit_key;
	char host[KGW_AUDIT_FIELD_MAX + 1];
	/* The last record appended (kept only if its transaction commits). */
	int64_t last_seq;
	unsigned char last_mac[KGW_AUDIT_MAC_LEN];
};

/* Argument checks of store.c, for the other dispatch files. */
int kgw_store_check_name(const struct kgw_store *s, const char *name);
int kgw_store_check_op(const struct kgw_store *s, const char *name,
    const char *op);
int kgw_store_check_audit(const struct kgw_store *s,
    const struct kgw_audit_rec *audit);

/*
 * Why a login's commit changed nothing, from the record as it is now
 * (cur) against the one the login saw: KGW_ERR_DISABLED, _EXPIRED,
 * _LOCKED, _NO_FACTOR (secret changed), _ZONE, _STALE (password changed),
 * else KGW_ERR_REPLAY for a TOTP commit and KGW_ERR_STORE otherwise.
 */
int kgw_store_refusal(const struct kgw_user_rec *cur,
    const struct kgw_user_rec *seen, bool totp, int64_t now);
/* An expiry change's detail: UTC, as the audit export writes times. */
void kgw_store_expires_detail(int64_t expires, char *out, size_t outlen);
/* Where a login came from, as its record says: the remote host, or tty. */
const char *kgw_store_record_from(const struct kgw_audit_rec *a);

/* The SQLite backend (store_sqlite.c). */
int kgw_store_sqlite_open(const struct kgw_log *log,
    const struct kgw_conf *conf, int flags, struct kgw_store **store);
/*
 * The SQLite store as another backend's trail: a helpdesk change made
 * elsewhere (in the directory), recorded with its history row.
 */
int kgw_store_sqlite_change_note(struct kgw_store *s, const char *user,
    const char *op, const char *action, const char *detail);

/*
 * The SQLite store as the directory's offline cache (store_sqlite_cache.c).
 * cache_put writes a person whole as the directory has it (the replay
 * watermark never lowered), with their keys, and notes the contact;
 * cache_drop removes a cached person the directory no longer has.
 * last_contact: when the directory was last read (0: never). cached:
 * when name was last read from the directory here (KGW_ERR_NOT_FOUND:
 * never). offline_mark: a login changed name here while offline (fails:
 * failures it counted); marks count, and a person marked keeps their row
 * against cache_put until pushed up. dirty_claim takes the next marked
 * person after `after` in name order ("" first; KGW_ERR_NOT_FOUND: none)
 * with the failures to push (taken: dirty_return gives them back if the
 * push fails) and the mark count seen; dirty_done clears the mark if no
 * login marked it again meanwhile.
 */
int kgw_store_sqlite_cache_put(struct kgw_store *s,
    const struct kgw_user_rec *r, const struct kgw_fido2_rec *keys, size_t n,
    int64_t now);
int kgw_store_sqlite_cache_drop(struct kgw_store *s, const char *name);
int kgw_store_sqlite_contact(struct kgw_store *s, int64_t now);
int kgw_store_sqlite_last_contact(struct kgw_store *s, int64_t *last);
int kgw_store_sqlite_cached(struct kgw_store *s, const char *name,
    int64_t *fetched);
int kgw_store_sqlite_offline_mark(struct kgw_store *s, const char *name,
    unsigned fails);
int kgw_store_sqlite_dirty_claim(struct kgw_store *s, const char *after,
    char *name, size_t namelen, unsigned *fails, int64_t *gen);
int kgw_store_sqlite_dirty_done(struct kgw_store *s, const char *name,
    int64_t gen);
int kgw_store_sqlite_dirty_return(struct kgw_store *s, const char *name,
    unsigned fails);
int kgw_store_sqlite_dirty_count(struct kgw_store *s, int64_t *n);

/* The directory backend (store_ldap.c), over a SQLite store of its own. */
int kgw_store_ldap_open(const struct kgw_log *log,
    const struct kgw_conf *conf, int flags, struct kgw_store **store);

#endif
