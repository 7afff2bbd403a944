/*
 * Private to the store_ldap*.c files: the directory store's handle and
 * what its connection, entry and operation files share.
 *
 * The directory holds one entry per person (ldap/kakogawa-schema.ldif):
 * uid=NAME under the configured base. A login's commit is one modify of
 * that entry, guarded by the assertion control (RFC 4528), so that the
 * server applies it only if the entry is still as the login saw it; the
 * failure count moves by the increment extension (RFC 4525), read back by
 * the post-read control (RFC 4527). Nothing is read, changed and written
 * back. The store file beside it (SQLite) is this host's audit trail.
 */
#ifndef KGW_STORE_LDAP_H
#define KGW_STORE_LDAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldap.h>

#include "kgw_directory.h"
#include "store_impl.h"

struct ldap_store {
	struct kgw_store base;		/* first: the dispatcher's handle */
	struct kgw_store_ops ops;	/* base.ops: filled by each file */
	struct kgw_store *local;	/* SQLite: the audit trail */
	struct kgw_dir_conf dir;
	struct kgw_conf conf;		/* its lockout policy, for reconciling */
	LDAP *ld;			/* reads: the first URI that answered */
	LDAP *wr;			/* writes: where a referral led */
	char uri[KGW_DIR_URI_MAX];	/* ld's */
	char wr_uri[KGW_DIR_URI_MAX];	/* wr's */
	char pw[KGW_DIR_PW_MAX];	/* the bind password, wiped at close */
	size_t pw_len;
	bool offline;			/* logins from the cache */
	bool reached;			/* a TCP connection was made */
	ldap_conncb conncb;		/* sets reached (store_ldap_conn.c) */
	unsigned local_changes;		/* helpdesk changes by this handle */
	/*
	 * An entry's values of an attribute (ldap_get_values_len; fuzz/
	 * fuzz_ldap_entry.c gives its own, to parse entries it makes up).
	 */
	struct berval **(*values)(LDAP *ld, LDAPMessage *entry,
	    const char *attr);
	unsigned batch_start;		/* local_changes at batch_begin */
};

static inline struct ldap_store *
to_ldap(struct kgw_store *s)
{
	return (struct ldap_store *)s;
}

/* Connection (store_ldap_conn.c). */
int kgw_ld_connect(struct ldap_store *ls);
void kgw_ld_disconnect(struct ldap_store *ls);
/* Maps an LDAP result to ours, logging what is not a plain refusal. */
int kgw_ld_fail(const struct ldap_store *ls, const char *what, int rc);
/*
 * A modify of dn, sent where writes go: to the server we read from, or,
 * when it answers with a referral (a read-only replica), to the provider
 * the referral names, if that URI passes the checks a configured one
 * does (its TLS, its CA; plain only on loopback). ctrls may be NULL.
 * *rc gets the LDAP result; post, when not NULL, the post-read entry's
 * control (the caller frees it with ldap_controls_free).
 */
int kgw_ld_modify(struct ldap_store *ls, const char *dn, LDAPMod **mods,
    LDAPControl **ctrls, int *rc, LDAPControl ***post);
/* An add or a delete of dn, sent as kgw_ld_modify sends. */
int kgw_ld_add(struct ldap_store *ls, const char *dn, LDAPMod **attrs,
    int *rc);
int kgw_ld_delete(struct ldap_store *ls, const char *dn, int *rc);

/* A modification list (store_ldap_mods.c), values kept by the caller. */
#define KGW_LM_MODS 24
#define KGW_LM_VALS 80
struct kgw_lmods {
	LDAPMod mod[KGW_LM_MODS];
	LDAPMod *list[KGW_LM_MODS + 1];
	struct berval val[KGW_LM_VALS];
	struct berval *vlist[KGW_LM_VALS + KGW_LM_MODS];
	char num[KGW_LM_VALS][24];	/* numbers written as text */
	size_t nmod, nval, nvlist, nnum;
	bool overflow;
};
void kgw_lm_init(struct kgw_lmods *m);
/* A const pointer for libldap's char * fields, which it never writes. */
char *kgw_ld_unconst(const void *p);
/* Starts a modification (LDAP_MOD_ADD, _DELETE, _REPLACE, _INCREMENT). */
void kgw_lm_op(struct kgw_lmods *m, int op, const char *attr);
void kgw_lm_val(struct kgw_lmods *m, const void *p, size_t len);
void kgw_lm_str(struct kgw_lmods *m, const char *s);
void kgw_lm_int(struct kgw_lmods *m, int64_t v);
void kgw_lm_bool(struct kgw_lmods *m, bool v);
/*
 * A compare-and-swap of one value: delete old, add new, in the same
 * modify; the server refuses it (noSuchAttribute) if old is gone.
 */
void kgw_lm_swap(struct kgw_lmods *m, const char *attr, const char *old,
    const char *new);
/* The NULL-terminated list, or NULL when it overflowed (a bug). */
LDAPMod **kgw_lm_done(struct kgw_lmods *m);

/* Entries and values (store_ldap_entry.c): the directory is untrusted. */
#define KGW_LD_VALUE_MAX 2048
int kgw_ld_dn(const struct ldap_store *ls, const char *name, char *dn,
    size_t dnlen);
/*
 * Reads the person's entry from ld (or wr, when fresh: after a write
 * refused, the provider says why). KGW_ERR_NOT_FOUND when absent; what
 * does not parse is KGW_ERR_STORE, logged.
 */
int kgw_ld_get_entry(struct ldap_store *ls, bool fresh, const char *name,
    LDAPMessage **res, LDAPMessage **entry);
int kgw_ld_entry_user(const struct ldap_store *ls, LDAPMessage *entry,
    struct kgw_user_rec *rec);
int kgw_ld_entry_fido2(const struct ldap_store *ls, LDAPMessage *entry,
    const char *user, struct kgw_fido2_rec *recs, size_t max, size_t *n);
/* Filter-escapes len bytes (RFC 4515: every byte as \xx) into out. */
int kgw_ld_escape(const void *p, size_t len, char *out, size_t outlen);
/* The filter term "(attr=v)", v escaped. */
int kgw_ld_term(char *out, size_t outlen, const char *attr, const void *v,
    size_t len);

/* The value layouts of kgwFido2Key, kgwFido2Counter, kgwRecoveryCode. */
int kgw_ld_fido2_key_value(const struct kgw_fido2_rec *rec, char *out,
    size_t outlen);
int kgw_ld_fido2_counter_value(const unsigned char *id, size_t id_len,
    int64_t count, bool flagged, int64_t last_used, char *out,
    size_t outlen);
int kgw_ld_recovery_value(enum kgw_recovery_kind kind,
    const unsigned char *hash, int64_t expires, char *out, size_t outlen);
int kgw_ld_pending_value(const struct kgw_totp_pending *p, char *out,
    size_t outlen);
int kgw_ld_pending_parse(const char *v, size_t len,
    struct kgw_totp_pending *p);
/* The attribute's values of entry (NULL when absent), to free. */
struct berval **kgw_ld_values(const struct ldap_store *ls,
    LDAPMessage *entry, const char *attr);

/* A login's commits (store_ldap.c), for the other login files. */
#define KGW_LD_FILTER_MAX 4096
/* This host's trail (the local store), armed; NULL before the key. */
struct kgw_store *kgw_ld_trail(struct ldap_store *ls);
/*
 * A record in the trail, and its seq and MAC kept as this handle's last
 * (kgw_store_audit_last, for the log line).
 */
int kgw_ld_audit_add(struct ldap_store *ls, const struct kgw_audit_rec *r);
void kgw_ld_keep_last(struct ldap_store *ls);
int kgw_ld_change_note(struct ldap_store *ls, const char *user,
    const char *op, const char *action, const char *detail);
/* The record (and keys) as the provider has it now. */
int kgw_ld_fresh_user(struct ldap_store *ls, const char *name,
    struct kgw_user_rec *rec, struct kgw_fido2_rec *keys, size_t *nkeys);
/* The assertion of kgw_store_totp_accept's checks, extra terms added. */
int kgw_ld_accept_filter(const struct kgw_user_rec *seen, int64_t step,
    int64_t now, const char *extra, char *out, size_t outlen);
void kgw_ld_accept_mods(struct kgw_lmods *m, const struct kgw_user_rec *seen,
    int64_t step, int64_t now, const struct kgw_audit_rec *audit);
/* A modify of name's entry, with an assertion (filter) and/or extra. */
int kgw_ld_guarded_modify(struct ldap_store *ls, const char *name,
    LDAPMod **mods, const char *filter, int *rc, LDAPControl ***post,
    LDAPControl *extra);
/* name's attr swapped from old to new alone; *rc the server's answer. */
int kgw_ld_swap(struct ldap_store *ls, const char *name, const char *attr,
    const char *old, const char *new, int *rc);
/* The guarded modify of a login, then its record in the trail. */
int kgw_ld_commit_login(struct ldap_store *ls,
    const struct kgw_user_rec *seen, struct kgw_lmods *m, const char *filter,
    bool totp, int64_t now, const struct kgw_audit_rec *audit);

/* Failures (store_ldap_count.c) and recovery codes (store_ldap_recovery.c). */
/*
 * Locks name when the directory's count has reached attempts (failures
 * carried up from offline), unless a lock is there already.
 */
int kgw_ld_lock_if_reached(struct ldap_store *ls, const char *name,
    int64_t now, unsigned attempts, unsigned lock_seconds);
int kgw_ld_fail_record(struct kgw_store *s, const char *name, int64_t now,
    unsigned attempts, unsigned lock_seconds, unsigned *count, bool *locked,
    const struct kgw_audit_rec *audit);
int kgw_ld_recovery_find(struct kgw_store *s, const char *name,
    const unsigned char *hash, struct kgw_recovery_match *m);
int kgw_ld_recovery_accept(struct kgw_store *s,
    const struct kgw_user_rec *seen, const struct kgw_recovery_match *m,
    int64_t now, const struct kgw_audit_rec *audit);

/*
 * Offline (store_ldap_cache.c). go_offline: whether logins may go on from
 * the cache now (sets ls->offline; logs why not). cache_get: a person as
 * cached. The offline_* commits: the local store's, the person marked
 * for reconciliation first. reconcile: pushes up every marked person.
 */
int kgw_ld_go_offline(struct ldap_store *ls, int64_t now);
int kgw_ld_cache_get(struct ldap_store *ls, const char *name, int64_t now,
    struct kgw_user_rec *rec);
int kgw_ld_offline_totp_accept(struct ldap_store *ls,
    const struct kgw_user_rec *seen, int64_t step, int64_t now,
    const struct kgw_audit_rec *audit);
int kgw_ld_offline_fido2_accept(struct ldap_store *ls,
    const struct kgw_user_rec *seen, int64_t totp_step,
    const struct kgw_fido2_rec *key, int64_t sign_count, int64_t now,
    const struct kgw_audit_rec *audit);
int kgw_ld_offline_fail_record(struct ldap_store *ls, const char *name,
    int64_t now, unsigned attempts, unsigned lock_seconds, unsigned *count,
    bool *locked, const struct kgw_audit_rec *audit);
int kgw_ld_offline_account_accept(struct ldap_store *ls, const char *name,
    int64_t now, const struct kgw_audit_rec *audit);
int kgw_ld_reconcile(struct ldap_store *ls, int64_t now);
int kgw_ld_dir_state(struct kgw_store *s, int64_t now,
    struct kgw_dir_state *st);

/* Helpdesk changes and the audit trail (store_ldap_admin.c). */
int kgw_ld_change(struct ldap_store *ls, const char *name,
    struct kgw_lmods *m, const char *op, const char *action,
    const char *detail);
void kgw_ld_admin_ops(struct kgw_store_ops *ops);
/* Keys and recovery codes (store_ldap_keys.c). */
void kgw_ld_key_ops(struct kgw_store_ops *ops);
/* Whether any person under the base holds rec's credential id. */
int kgw_ld_id_taken(struct ldap_store *ls, const struct kgw_fido2_rec *rec,
    bool *taken);
/* A person whole, for migrate (store_ldap_full.c). */
void kgw_ld_full_ops(struct kgw_store_ops *ops);

#endif
