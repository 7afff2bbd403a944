/*
 * The login decision, free of PAM: the module feeds it what the person
 * typed and maps its verdict. Unknown, disabled and locked users go through
 * the same steps as everyone else and are refused only at the end.
 */
#ifndef KGW_LOGIN_H
#define KGW_LOGIN_H

#include <stdbool.h>
#include <time.h>

#include "kgw_conf.h"
#include "kgw_crypto.h"
#include "kgw_i18n.h"
#include "kgw_log.h"
#include "kgw_store.h"
#include "kgw_zone.h"

struct kgw_login {
	const struct kgw_log *log;
	struct kgw_conf conf;
	struct kgw_store *store;
	struct kgw_key key;
	bool key_loaded;
	char user[KGW_USERNAME_MAX + 1];	/* "" when the name was invalid */
	struct kgw_user_rec rec;
	int user_rc;		/* KGW_OK, or why this user cannot log in */
	int password_rc;	/* KGW_OK once the password matched */
	int totp_rc;		/* KGW_OK once a fresh code matched */
	int64_t totp_step;	/* the step that matched */
	bool totp_inited;
	int fido2_rc;		/* KGW_OK once a key's assertion verified */
	struct kgw_fido2_rec fido2_key;	/* the key that signed */
	int64_t fido2_count;	/* and its signature counter */
	struct kgw_zone_site site;	/* set by kgw_login_site */
	struct kgw_policy policy;	/* the global keys under the role */
	unsigned presented;	/* KGW_HAVE_* of the factors checked */
	const char *reason;	/* log token of the verdict, set by finish */
	const char *rule;	/* log token of the zone rule that decided */
	/* Where from, for the audit record (login_audit.c). */
	char host[KGW_AUDIT_FIELD_MAX + 1];
	char service[KGW_AUDIT_FIELD_MAX + 1];
	char rhost[KGW_AUDIT_FIELD_MAX + 1];
	char tty[KGW_AUDIT_FIELD_MAX + 1];
	bool recorded;		/* the decision is in the audit trail */
	char anchor[48];	/* "SEQ:MAC-prefix" of its record, or "-" */
	/* The token's offset to remember when its code is accepted. */
	int64_t totp_learned;
	/* Recovery (login_recovery.c). */
	int64_t begun;		/* when the login began */
	struct kgw_recovery_match recovery;	/* the code given, if found */
	const char *code_reason; /* why the code failed, when rc says less */
};

/*
 * Loads the configuration, the key and the store and looks the user up.
 * Returns an error only when the login cannot be judged at all (config,
 * key, store): the caller then denies at once. A user who is unknown,
 * invalid, disabled or locked is noted in l->user_rc, not returned.
 */
int kgw_login_begin(struct kgw_login *l, const struct kgw_log *log,
    const char *config_path, const char *user, time_t now);

/*
 * The zone check of what does not depend on the person: the host's zone
 * and the login's origin (rhost: PAM_RHOST, tty: PAM_TTY, either NULL).
 * KGW_ERR_ZONE means deny at once, before any secret is asked.
 */
int kgw_login_site(struct kgw_login *l, const char *rhost, const char *tty);

/*
 * The factors (KGW_NEED_*) the login must present, after kgw_login_site:
 * the host zone's, and those the person's role adds.
 */
unsigned kgw_login_needs(const struct kgw_login *l);

/* The password is temporary: the person must change it (account phase). */
bool kgw_login_password_expired(const struct kgw_login *l);

/* The second-factor steps after the password (kgw_login_steps). */
enum kgw_login_step {
	KGW_STEP_TOTP = 0x1,	/* ask for a code */
	KGW_STEP_FIDO2 = 0x2,	/* ask a security key */
	KGW_STEP_FALLBACK = 0x4, /* a code, when the key step finds no key */
};

/*
 * What to ask after the password, by the host zone's factors for this
 * site: a key where the zone requires one; a code where it requires one;
 * where any token will do, the key at the console for a person who has
 * one (a code when no key answers and they have TOTP), else a code.
 */
unsigned kgw_login_steps(const struct kgw_login *l);

/* The user's record is usable for checking credentials. */
bool kgw_login_has_record(const struct kgw_login *l);

/*
 * The security-key step (login_fido2.c): asks a key plugged into this
 * machine for an assertion over the person's keys, talking to them
 * through ui. Keys flagged as possible clones are not offered.
 */
void kgw_login_fido2(struct kgw_login *l, const struct kgw_fido2_ui *ui);

/*
 * True when the key step failed for want of a key (none plugged in, none
 * holding the person's credentials, no touch in time, a key failing, a
 * key that cannot verify the user): a code may stand in
 * (KGW_STEP_FALLBACK).
 */
bool kgw_login_fido2_missing(const struct kgw_login *l);

/* Checks a password (a dummy hash for users without one). */
void kgw_login_password(struct kgw_login *l, const char *password);

/*
 * Checks a typed code (against a dummy secret for users without TOTP),
 * or a recovery code typed in its place.
 */
void kgw_login_totp(struct kgw_login *l, const char *typed, time_t now);

/*
 * Recovery (login_recovery.c). ready: the person has a backup or a
 * temporary code this login could take in place of a TOTP code (the
 * host's zone allows it, and asks for a code, not a key). code: when
 * typed is shaped as a recovery code, checks it (the same work for
 * everyone) and returns true; false leaves typed to the TOTP check.
 */
bool kgw_login_recovery_ready(const struct kgw_login *l);
bool kgw_login_recovery_code(struct kgw_login *l, const char *typed,
    time_t now);
/*
 * The account phase of a transaction whose auth phase allowed the person
 * (the caller knows): a second factor kgw_login_account found missing
 * was presented all the same, as the last recovery code that login used
 * up. KGW_OK, the site's rule kept.
 */
int kgw_login_account_presented(struct kgw_login *l);

/*
 * Decides and records the outcome: on success the code's step is used up
 * and failures cleared; on failure of a known user the failure is counted
 * (and may lock). need_password says whether the password was this
 * module's to check. Returns KGW_OK or the reason for refusal.
 */
int kgw_login_finish(struct kgw_login *l, bool need_password, time_t now);

/*
 * The conversation ended before the code was given. When the password was
 * this module's to check (and so was tried), a known user's failure is
 * counted: hanging up must not make password guessing free.
 */
void kgw_login_abandon(struct kgw_login *l, bool password_tried, time_t now);

/*
 * Counts one failure of a known user (a wrong password, code or key) with
 * the record of the refusal (phase, l->reason) in the same transaction.
 */
void kgw_login_count_failure(struct kgw_login *l, const char *phase,
    time_t now);

/*
 * A person's own password change (login_password.c, for pam_sm_chauthtok).
 * old_ok checks the current password: KGW_OK, or KGW_ERR_DENIED with the
 * failure counted (a guess like any other). change judges the new one by
 * the password rules (why: the reason, for the person, in lang) and
 * stores it with its audit record (operator: who changed it), clearing
 * the temporary mark. KGW_OK, KGW_ERR_WEAK, or why the store refused.
 */
int kgw_login_password_old_ok(struct kgw_login *l, const char *old,
    time_t now);
int kgw_login_password_change(struct kgw_login *l, const char *old,
    const char *password, const char *op, enum kgw_lang lang, char *why,
    size_t whylen, time_t now);

/*
 * The account phase, after kgw_login_site: KGW_OK, or why the known user
 * may not log in now (disabled, locked, not authorised for this zone, or
 * without a second factor the zone requires). It runs for logins that did
 * not go through our auth, such as SSH public-key logins.
 */
int kgw_login_account(struct kgw_login *l, time_t now);

/*
 * The audit trail (login_audit.c). kgw_login_service names the PAM
 * service; kgw_login_site keeps rhost and tty. finish and abandon record
 * their decision with the state it changes; kgw_login_record records one
 * that changed nothing else (a refusal before any question, the account
 * phase), once: KGW_OK when it is (or already was) recorded, an error
 * when it cannot be (the store or the key could not be opened: the log
 * line is then the only trace); an allow that cannot be recorded must be
 * refused.
 */
void kgw_login_service(struct kgw_login *l, const char *service);
int kgw_login_record(struct kgw_login *l, const char *phase, int rc,
    time_t now);
/*
 * An allowed account phase that no auth of ours preceded (an SSH public
 * key): its record, and the person's last login noted with it.
 */
int kgw_login_account_accept(struct kgw_login *l, time_t now);
/* The record of this login's decision, as it stands. */
void kgw_login_audit_fill(const struct kgw_login *l, const char *phase,
    int rc, time_t now, struct kgw_audit_rec *a);
/* Fills l->anchor from the record just committed (login_audit.c). */
void kgw_login_anchor(struct kgw_login *l);

/* The factors presented ("password,totp"), "-" for none. */
void kgw_login_factors(const struct kgw_login *l, char *out, size_t outlen);

/* Wipes secrets and closes the store. Safe after a failed begin. */
void kgw_login_end(struct kgw_login *l);

#endif
