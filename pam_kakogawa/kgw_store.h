/*
 * The credential store: what the login logic and the tool need, and nothing
 * about how it is kept. SQLite is the embedded backend; a directory backend
 * can implement the same operations (see store_impl.h).
 */
#ifndef KGW_STORE_H
#define KGW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kgw_audit.h"
#include "kgw_conf.h"
#include "kgw_crypto.h"
#include "kgw_fido2.h"
#include "kgw_log.h"
#include "kgw_password.h"
#include "kgw_recovery.h"
#include "kgw_totp.h"
#include "kgw_user.h"
#include "kgw_zone.h"

#define KGW_SEALED_MAX (KGW_TOTP_SECRET_MAX + KGW_SEAL_OVERHEAD)
#define KGW_LOCK_FOREVER INT64_MAX	/* locked until the helpdesk unlocks */
#define KGW_OPERATOR_MAX 64

enum kgw_factor {
	KGW_FACTOR_PASSWORD,
	KGW_FACTOR_TOTP,
};

struct kgw_user_rec {
	char name[KGW_USERNAME_MAX + 1];
	bool disabled;
	char pwhash[KGW_HASH_MAX];	/* "" when no password is set */
	unsigned char totp_sealed[KGW_SEALED_MAX];
	size_t totp_sealed_len;		/* 0 when no TOTP is enrolled */
	enum kgw_totp_alg totp_alg;
	unsigned totp_digits;
	int64_t totp_last_step;		/* -1 until a code is used */
	unsigned fail_count;		/* consecutive failures */
	int64_t locked_until;		/* 0, a Unix time, or KGW_LOCK_FOREVER */
	char zones[KGW_ZONE_LIST_MAX];	/* authorised zones, stored form */
	unsigned fido2_count;		/* security keys enrolled, not flagged */
	int64_t created;
	int64_t updated;
	/* Recovery and enrolment safety (kgw_recovery.h). */
	int64_t totp_drift;		/* offset learned, in steps */
	int64_t totp_drift_base;	/* offset resync found (0: none) */
	unsigned backup_left;		/* backup codes not used */
	int64_t temp_expires;		/* the unused temp code's end, or 0 */
	bool totp_pending;		/* a new TOTP waits for its first code */
	char role[KGW_ROLE_NAME_MAX + 1];	/* "": staff, the default */
	int64_t expires;		/* 0: never; else no login from then on */
	bool pw_temporary;		/* set by the helpdesk: change it first */
	int64_t last_login;		/* the last allowed login; 0: none yet */
	char last_from[KGW_AUDIT_FIELD_MAX + 1];  /* its rhost, or its tty */
	unsigned fails_since;		/* failures counted since that login */
};

/*
 * A security key enrolled for a person. What a login checks with (the
 * algorithm, the public key, the credential id) is sealed for the person
 * (kgw_fido2_seal), so that a row edited, or moved to someone else,
 * fails to open; the id is also kept in clear, for uniqueness.
 */
#define KGW_FIDO2_SEALED_MAX (2 + KGW_FIDO2_PK_MAX + KGW_FIDO2_ID_MAX + \
	KGW_SEAL_OVERHEAD)
struct kgw_fido2_rec;

/*
 * Seals c for user into rec (id and sealed); unseal opens it again, and
 * fails (KGW_ERR_TAMPERED) for a row edited, swapped or moved.
 */
int kgw_fido2_seal(const struct kgw_key *key, const char *user,
    const struct kgw_fido2_cred *c, struct kgw_fido2_rec *rec);
int kgw_fido2_unseal(const struct kgw_key *key, const char *user,
    const struct kgw_fido2_rec *rec, struct kgw_fido2_cred *c);
/*
 * The layout inside the seal: alg (negated), public key length, public
 * key, credential id. KGW_ERR_TAMPERED for anything else (fuzz/ feeds it
 * arbitrary bytes).
 */
int kgw_fido2_cred_decode(const unsigned char *pt, size_t len,
    struct kgw_fido2_cred *c);

struct kgw_fido2_rec {
	char label[KGW_FIDO2_LABEL_MAX + 1];
	unsigned char id[KGW_FIDO2_ID_MAX];
	size_t id_len;
	unsigned char sealed[KGW_FIDO2_SEALED_MAX];
	size_t sealed_len;
	unsigned char aaguid[KGW_FIDO2_AAGUID_LEN];
	int64_t sign_count;		/* the highest the key has shown */
	bool flagged;			/* a counter went back: possible clone */
	int64_t created;
	int64_t last_used;		/* 0: never */
};

struct kgw_store;

#define KGW_STORE_CREATE 0x1	/* create the store when absent (tool only) */

/* Opens the backend the configuration names, after the safe-path checks. */
int kgw_store_open(const struct kgw_log *log, const struct kgw_conf *conf,
    int flags, struct kgw_store **store);
/* Closes and NULLs *store; NULL is fine. */
void kgw_store_close(struct kgw_store **store);

/*
 * Arms the audit trail: the key file (its MAC half keys the chain) and
 * this host's name, for the records the store writes itself (helpdesk
 * changes). Until then every write is refused (KGW_ERR_INTERNAL): no
 * change goes unaudited.
 */
int kgw_store_audit_init(struct kgw_store *s, const struct kgw_key *key,
    const char *host);
/*
 * Starts the trail of a store that has none (one made before the trail
 * existed): an empty head under the key. A store created now gets it when
 * armed. Without a head nothing is written (KGW_ERR_TAMPERED): a trail
 * removed whole stops every login until someone with the key starts a new
 * one, which is itself recorded. KGW_ERR_EXISTS when there is a head, or
 * records.
 */
int kgw_store_audit_start(struct kgw_store *s);
/*
 * The seq and MAC of the last record this handle appended (0: none), for
 * the log line: syslog on another host then witnesses how far the trail
 * went, which a rollback of the whole database would hide.
 */
int64_t kgw_store_audit_last(const struct kgw_store *s, unsigned char *mac);

/* A helpdesk action that changes no row (audit_start): its record alone. */
int kgw_store_audit_note(struct kgw_store *s, const char *op,
    const char *action, const char *detail);

/* KGW_ERR_NOT_FOUND when name is not enrolled. */
int kgw_store_get_user(struct kgw_store *s, const char *name,
    struct kgw_user_rec *rec);

/* True when rec is locked at time now. */
bool kgw_user_locked(const struct kgw_user_rec *rec, int64_t now);

/*
 * Login state, each change atomic (two logins racing: one wins).
 * totp_accept is a login's final commit. It records step as used (and
 * seen->totp_drift as the token's offset: the login sets it from the
 * step, kgw_totp_learn) and
 * clears the failures only if, at that instant, step is greater than the
 * stored one, the user is enabled, not expired and not locked at now
 * (KGW_ERR_EXPIRED past expires), and the sealed
 * secret, the zones and the password hash are still the ones seen (the
 * record read when the login began): a lock, disable, revoke, re-enrolment,
 * zone change or password reset made by a concurrent session wins. The
 * commit also notes the login (kgw_store_account_accept's last login).
 * Otherwise KGW_ERR_REPLAY, KGW_ERR_LOCKED, KGW_ERR_DISABLED,
 * KGW_ERR_NO_FACTOR (secret changed), KGW_ERR_ZONE (zones changed),
 * KGW_ERR_STALE (password changed) or KGW_ERR_NOT_FOUND.
 * fail_record: adds one failure (restarting the count when an earlier timed
 * lock has expired) and locks when the count reaches attempts; returns the
 * new count and whether the user is now locked.
 */
int kgw_store_totp_accept(struct kgw_store *s,
    const struct kgw_user_rec *seen, int64_t step, int64_t now,
    const struct kgw_audit_rec *audit);
int kgw_store_fail_record(struct kgw_store *s, const char *name, int64_t now,
    unsigned attempts, unsigned lock_seconds, unsigned *count, bool *locked,
    const struct kgw_audit_rec *audit);

/*
 * Helpdesk changes: each also records who made it, in the same transaction.
 * zones is a person's zone list in the stored form (kgw_zone_list_normalize).
 */
int kgw_store_user_add(struct kgw_store *s, const char *name,
    const char *zones, const char *operator_name);
int kgw_store_set_zones(struct kgw_store *s, const char *name,
    const char *zones, const char *operator_name);
int kgw_store_set_password(struct kgw_store *s, const char *name,
    const char *hash, const char *operator_name);
/* The same, marked temporary: the person must change it at their login. */
int kgw_store_set_temporary(struct kgw_store *s, const char *name,
    const char *hash, const char *operator_name);
/* role: a [role] of the configuration, or "" for staff (the default). */
int kgw_store_set_role(struct kgw_store *s, const char *name,
    const char *role, const char *operator_name);
/* expires: a Unix time from which every login is refused, 0 for never. */
int kgw_store_set_expires(struct kgw_store *s, const char *name,
    int64_t expires, const char *operator_name);

/*
 * A person's own password change (pam_sm_chauthtok), one transaction: the
 * new hash, the temporary mark cleared, the change row and the audit
 * record (its operator: who changed it). Only while the stored hash is
 * still seen's: KGW_ERR_STALE when someone changed it meanwhile.
 */
int kgw_store_password_change(struct kgw_store *s,
    const struct kgw_user_rec *seen, const char *hash,
    const struct kgw_audit_rec *audit);
/*
 * An allowed account phase that no auth of ours preceded (an SSH public
 * key): the person's last login (now, from) with its audit record, one
 * transaction. The login commits of totp_accept and fido2_accept note it
 * too, from their record's rhost (or tty).
 */
int kgw_store_account_accept(struct kgw_store *s, const char *name,
    int64_t now, const struct kgw_audit_rec *audit);
int kgw_store_set_totp(struct kgw_store *s, const char *name,
    const unsigned char *sealed, size_t sealed_len, enum kgw_totp_alg alg,
    unsigned digits, const char *operator_name);
int kgw_store_revoke(struct kgw_store *s, const char *name,
    enum kgw_factor factor, const char *operator_name);
int kgw_store_set_disabled(struct kgw_store *s, const char *name,
    bool disabled, const char *operator_name);
int kgw_store_unlock(struct kgw_store *s, const char *name,
    const char *operator_name);
int kgw_store_user_delete(struct kgw_store *s, const char *name,
    const char *operator_name);

/*
 * Security keys. fido2_add refuses a credential id already enrolled (for
 * anyone) or a label the person already uses (KGW_ERR_EXISTS), and more
 * than KGW_FIDO2_CREDS_MAX keys (KGW_ERR_INVALID). fido2_list fills at
 * most max records in label order. fido2_revoke removes the key called
 * label, or every key when label is NULL (KGW_ERR_NOT_FOUND when none).
 */
int kgw_store_fido2_add(struct kgw_store *s, const char *name,
    const struct kgw_fido2_rec *rec, const char *operator_name);
int kgw_store_fido2_list(struct kgw_store *s, const char *name,
    struct kgw_fido2_rec *recs, size_t max, size_t *n);
int kgw_store_fido2_revoke(struct kgw_store *s, const char *name,
    const char *label, const char *operator_name);

/*
 * The final commit of a login that used a security key, in one
 * transaction: the key's counter must have grown (or both old and new be
 * 0, a key that keeps none), the key must still be enrolled as seen and
 * not flagged, and the user row must pass what kgw_store_totp_accept
 * checks (with the TOTP step too when totp_step >= 0). A counter that did
 * not grow flags the key, and that flag is kept: KGW_ERR_CLONE. Otherwise
 * the errors of kgw_store_totp_accept, KGW_ERR_NO_FACTOR for a key revoked
 * or re-enrolled meanwhile, KGW_ERR_CLONE for a key already flagged.
 */
int kgw_store_fido2_accept(struct kgw_store *s,
    const struct kgw_user_rec *seen, int64_t totp_step,
    const struct kgw_fido2_rec *key, int64_t sign_count, int64_t now,
    const struct kgw_audit_rec *audit);

/*
 * Recovery codes (kgw_recovery.h), kept as keyed hashes. recovery_issue
 * replaces the person's codes of kind with the n given (a temp code: one,
 * with the time it expires); recovery_revoke removes them
 * (KGW_ERR_NOT_FOUND when there are none); both are recorded as changes.
 * recovery_find looks a hash up among the person's codes
 * (KGW_ERR_NOT_FOUND). recovery_accept is the final commit of a login
 * that gave a code: in one transaction the code is used up (if it is
 * still unused and, a temp code, unexpired at now), the user row passes
 * what totp_accept checks, and the decision is recorded. Otherwise
 * KGW_ERR_REPLAY (used meanwhile: of two logins racing with one code,
 * one wins), KGW_ERR_DENIED (expired), KGW_ERR_NO_FACTOR (revoked or
 * replaced meanwhile), or the errors of totp_accept.
 */
int kgw_store_recovery_issue(struct kgw_store *s, const char *name,
    enum kgw_recovery_kind kind,
    const unsigned char (*hashes)[KGW_RECOVERY_HASH_LEN], size_t n,
    int64_t expires, const char *operator_name);
int kgw_store_recovery_revoke(struct kgw_store *s, const char *name,
    enum kgw_recovery_kind kind, const char *operator_name);
int kgw_store_recovery_find(struct kgw_store *s, const char *name,
    const unsigned char *hash, struct kgw_recovery_match *m);
int kgw_store_recovery_accept(struct kgw_store *s,
    const struct kgw_user_rec *seen, const struct kgw_recovery_match *m,
    int64_t now, const struct kgw_audit_rec *audit);

/*
 * A new TOTP that waits for its first code (kakogawa-enroll totp
 * --verify): the active one, if any, stays until then, and the pending
 * one is never used by a login. pending_set stores it sealed, as set_totp
 * would, replacing an earlier pending one; pending_get reads it
 * (KGW_ERR_NOT_FOUND). totp_confirm makes it the active TOTP, with step
 * (the code that proved it) used and drift its offset, if it is still the
 * one pending (seen), else KGW_ERR_STALE. Any change of the active TOTP
 * drops a pending one. totp_resync sets the token's offset, both its
 * bound and its centre, to drift and raises its last used step to step
 * (never lowers it: a code once used stays used), if the TOTP is still
 * the one seen, else KGW_ERR_STALE. All three are recorded as changes.
 */
struct kgw_totp_pending {
	unsigned char sealed[KGW_SEALED_MAX];
	size_t sealed_len;
	enum kgw_totp_alg alg;
	unsigned digits;
	int64_t created;
};
int kgw_store_totp_pending_set(struct kgw_store *s, const char *name,
    const unsigned char *sealed, size_t sealed_len, enum kgw_totp_alg alg,
    unsigned digits, const char *operator_name);
int kgw_store_totp_pending_get(struct kgw_store *s, const char *name,
    struct kgw_totp_pending *p);
int kgw_store_totp_confirm(struct kgw_store *s, const char *name,
    const struct kgw_totp_pending *seen, int64_t step, int64_t drift,
    const char *operator_name);
int kgw_store_totp_resync(struct kgw_store *s,
    const struct kgw_user_rec *seen, int64_t step, int64_t drift,
    const char *operator_name);

/*
 * The audit trail. Each login commit above takes the record of its
 * decision and writes it in the same transaction as the state it changes
 * (its seq and MAC are the store's to fill); a helpdesk change writes its
 * own. audit_add records a decision that changes nothing else (a zone
 * refusal, an unknown user). audit_head reads the chain's end (*present
 * false before the first record); audit_list calls cb for the records
 * from seq from on, in order, as stored: verification is the caller's.
 */
int kgw_store_audit_add(struct kgw_store *s, const struct kgw_audit_rec *r);
int kgw_store_audit_head(struct kgw_store *s, struct kgw_audit_head *h,
    bool *present);
int kgw_store_audit_list(struct kgw_store *s, int64_t from,
    int (*cb)(void *arg, const struct kgw_audit_rec *r), void *arg);

/*
 * Retention (kakogawa-enroll audit prune). In an archive (a store of its
 * own): audit_put copies a record as it is, MAC and all, and audit_rehead
 * writes the head over the copies (base: where they start; seq and mac:
 * the last), both inside a batch. In the store: audit_cut removes the
 * records up to cut_seq, makes the last of them the head's base (so the
 * chain goes on from the archive's end), and records the cut as a change
 * by op with detail, all in one transaction.
 */
int kgw_store_audit_put(struct kgw_store *s, const struct kgw_audit_rec *r);
int kgw_store_audit_rehead(struct kgw_store *s, int64_t base_seq,
    const unsigned char *base_mac, int64_t seq, const unsigned char *mac);
int kgw_store_audit_cut(struct kgw_store *s, int64_t cut_seq,
    const unsigned char *cut_mac, const char *op, const char *detail);
/*
 * Puts everything written so far into the store's own file, so that the
 * file alone holds it (an archive copied away, without SQLite's -wal file
 * beside it, keeps its last records). Outside a batch.
 */
int kgw_store_standalone(struct kgw_store *s);

/*
 * A batch: the helpdesk changes made between begin and end are one
 * transaction, kept by end(s, true) and all undone by end(s, false) (also
 * what a failed change inside the batch asks for). Used by `import`.
 */
int kgw_store_batch_begin(struct kgw_store *s);
int kgw_store_batch_end(struct kgw_store *s, bool commit);

/*
 * A person whole, for kakogawa-enroll migrate: the record, every key with
 * its counter and flag, the unused recovery codes (a used one is gone
 * from the directory, and of no use to anyone), the pending TOTP. The
 * secrets stay as stored: sealed, or keyed hashes.
 */
#define KGW_USER_CODES_MAX (KGW_BACKUP_CODES_MAX + 1)	/* and a temp code */
#define KGW_MIGRATE_DETAIL_MAX 255
struct kgw_recovery_code {
	enum kgw_recovery_kind kind;
	unsigned char hash[KGW_RECOVERY_HASH_LEN];
	int64_t expires;		/* a temp code's end; 0 for a backup */
	int64_t created;		/* 0 where the store keeps none */
};
struct kgw_user_full {
	struct kgw_user_rec rec;
	struct kgw_fido2_rec keys[KGW_FIDO2_CREDS_MAX];
	size_t nkeys;
	struct kgw_recovery_code codes[KGW_USER_CODES_MAX];
	size_t ncodes;
	struct kgw_totp_pending pending;
	bool has_pending;
};
/*
 * user_read fills full with name as stored (KGW_ERR_NOT_FOUND). The
 * caller wipes it (explicit_bzero) after use. user_write adds the person
 * whole to a store where they are absent (KGW_ERR_EXISTS otherwise, and
 * for a credential id another person holds), in one write, with a
 * "migrate" change record by op whose detail says where from; every
 * field is kept as given, created and updated included.
 */
int kgw_store_user_read(struct kgw_store *s, const char *name,
    struct kgw_user_full *full);
int kgw_store_user_write(struct kgw_store *s, const struct kgw_user_full *full,
    const char *operator_name, const char *detail);

/* Calls cb for every user in name order; a non-zero return stops and is returned. */
int kgw_store_list(struct kgw_store *s,
    int (*cb)(void *arg, const struct kgw_user_rec *rec), void *arg);

/*
 * The city-wide store's state, for the self-inspection: whether the store
 * is a directory, whether it answers now (what changed here while it did
 * not is then carried up first), when it was last reached (0: never),
 * how many people changed here offline are still to be carried up, and
 * directory_offline. Nothing but directory = false for a SQLite store.
 */
struct kgw_dir_state {
	bool directory;
	bool reachable;
	int64_t last_contact;
	int64_t unreconciled;
	unsigned offline;
};
int kgw_store_dir_state(struct kgw_store *s, int64_t now,
    struct kgw_dir_state *st);

/* One recorded helpdesk change. */
struct kgw_change {
	int64_t time;
	char operator_name[KGW_OPERATOR_MAX];
	char action[32];
	char user[KGW_USERNAME_MAX + 1];
	char detail[KGW_ZONE_LIST_MAX + 16];	/* "" or e.g. "zones=a,b" */
};

/* Calls cb for the changes made to one user, oldest first. */
int kgw_store_changes(struct kgw_store *s, const char *name,
    int (*cb)(void *arg, const struct kgw_change *c), void *arg);

#endif
