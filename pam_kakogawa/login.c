/*
 * The login decision. Every path asks the same questions and does the same
 * expensive work (a yescrypt hash, TOTP candidates) whether or not the user
 * exists, so neither the conversation nor its cost tells users apart (an
 * imported legacy hash is cheaper: the tool warns when one is imported);
 * the verdict is reached only at the end, in kgw_login_finish, and the
 * store re-checks lock, disable and secret when it commits.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kgw_err.h"
#include "kgw_login.h"
#include "kgw_str.h"

/*
 * Why a known person cannot log in now, or KGW_OK; their role's policy is
 * set either way. A role the configuration does not define refuses them.
 */
static int
user_state(struct kgw_login *l, time_t now)
{
	if (kgw_role_policy(&l->conf, l->rec.role, &l->policy) != KGW_OK) {
		kgw_log_err(l->log, "user=%s has role %s, which the "
		    "configuration does not define: denying", l->user,
		    l->rec.role);
		(void)kgw_role_policy(&l->conf, NULL, &l->policy);
		return KGW_ERR_CONFIG;
	}
	if (l->rec.disabled)
		return KGW_ERR_DISABLED;
	if (l->rec.expires != 0 && (int64_t)now >= l->rec.expires)
		return KGW_ERR_EXPIRED;
	if (kgw_user_locked(&l->rec, (int64_t)now))
		return KGW_ERR_LOCKED;
	return KGW_OK;
}

int
kgw_login_begin(struct kgw_login *l, const struct kgw_log *log,
    const char *config_path, const char *user, time_t now)
{
	int r;

	memset(l, 0, sizeof(*l));
	l->log = log;
	l->user_rc = KGW_ERR_NOT_FOUND;
	l->password_rc = KGW_ERR_DENIED;
	l->totp_rc = KGW_ERR_DENIED;
	l->totp_step = -1;
	l->fido2_rc = KGW_ERR_DENIED;
	l->reason = kgw_reason(KGW_ERR_INTERNAL);
	l->rule = "-";
	l->site.host = KGW_ZONE_NONE;
	l->site.source = KGW_ZONE_NONE;
	l->begun = (int64_t)now;
	if ((r = kgw_conf_load(log, config_path, &l->conf)) != KGW_OK)
		return r;
	(void)kgw_role_policy(&l->conf, NULL, &l->policy);	/* staff's */
	if ((r = kgw_totp_init()) != KGW_OK)
		return r;
	l->totp_inited = true;
	if ((r = kgw_key_load(log, l->conf.key, &l->key)) != KGW_OK)
		return r;
	l->key_loaded = true;
	if ((r = kgw_store_open(log, &l->conf, 0, &l->store)) != KGW_OK)
		return r;
	if (gethostname(l->host, sizeof(l->host) - 1) != 0)
		(void)snprintf(l->host, sizeof(l->host), "unknown");
	if ((r = kgw_store_audit_init(l->store, &l->key, l->host)) != KGW_OK)
		return r;
	if (user == NULL || !kgw_username_valid(user)) {
		l->user_rc = KGW_ERR_INVALID;
		return KGW_OK;
	}
	(void)kgw_strcopy(l->user, sizeof(l->user), user);	/* valid: fits */
	r = kgw_store_get_user(l->store, user, &l->rec);
	if (r == KGW_ERR_NOT_FOUND)
		return KGW_OK;
	if (r != KGW_OK)
		return r;
	l->user_rc = user_state(l, now);
	return KGW_OK;
}

int
kgw_login_site(struct kgw_login *l, const char *rhost, const char *tty)
{
	const struct kgw_zones *z = &l->conf.zones;
	int host, r;

	(void)snprintf(l->rhost, sizeof(l->rhost), "%s",
	    rhost != NULL ? rhost : "-");
	(void)snprintf(l->tty, sizeof(l->tty), "%s", tty != NULL ? tty : "-");
	r = kgw_zone_host(z, l->log, &host);
	if (r == KGW_OK)
		r = kgw_zone_site(z, host, rhost, tty, &l->site);
	else
		(void)kgw_zone_site(z, KGW_ZONE_NONE, rhost, tty, &l->site);
	l->rule = l->site.rule;
	if (r != KGW_OK)
		l->reason = kgw_reason(KGW_ERR_ZONE);
	return r;
}

unsigned
kgw_login_needs(const struct kgw_login *l)
{
	unsigned need = kgw_zone_needs(&l->conf.zones, &l->site);

	if (need == 0)
		return 0;	/* no zone: refused before any question */
	return need | (l->site.source == KGW_SOURCE_CONSOLE ?
	    l->policy.factors : l->policy.remote_factors);
}

bool
kgw_login_password_expired(const struct kgw_login *l)
{
	return kgw_login_has_record(l) && l->rec.pw_temporary &&
	    l->rec.pwhash[0] != '\0';
}

bool
kgw_login_has_record(const struct kgw_login *l)
{
	return l->user_rc == KGW_OK || l->user_rc == KGW_ERR_DISABLED ||
	    l->user_rc == KGW_ERR_LOCKED || l->user_rc == KGW_ERR_EXPIRED;
}

void
kgw_login_password(struct kgw_login *l, const char *password)
{
	const char *hash = NULL;

	l->presented |= KGW_HAVE_PASSWORD;
	if (kgw_login_has_record(l) && l->rec.pwhash[0] != '\0')
		hash = l->rec.pwhash;
	l->password_rc = kgw_password_verify(password, hash);
}

/* The user's TOTP, or a random stand-in that costs the same to check. */
static int
load_totp(struct kgw_login *l, struct kgw_totp *t)
{
	char purpose[KGW_TOTP_PURPOSE_MAX];
	int r;

	memset(t, 0, sizeof(*t));
	if (!kgw_login_has_record(l) || l->rec.totp_sealed_len == 0) {
		t->alg = l->conf.totp_algorithm;
		t->digits = l->conf.totp_digits;
		t->secret_len = 20;
		if ((r = kgw_random(t->secret, t->secret_len)) != KGW_OK)
			return r;
		return KGW_ERR_NO_FACTOR;
	}
	t->alg = l->rec.totp_alg;
	t->digits = l->rec.totp_digits;
	if ((r = kgw_totp_purpose(t->alg, t->digits, purpose,
	    sizeof(purpose))) != KGW_OK)
		return r;
	r = kgw_unseal(&l->key, purpose, l->user, l->rec.totp_sealed,
	    l->rec.totp_sealed_len, t->secret, sizeof(t->secret),
	    &t->secret_len);
	if (r != KGW_OK)
		kgw_log_err(l->log, "TOTP secret of user %s does not open "
		    "with this key (%s)", l->user, kgw_strerror(r));
	return r;
}

void
kgw_login_totp(struct kgw_login *l, const char *typed, time_t now)
{
	char code[KGW_TOTP_CODE_MAX + 1];
	struct kgw_totp t;
	const struct kgw_totp_range range = {
		l->conf.totp_window, l->conf.totp_max_drift,
		l->rec.totp_drift_base, l->rec.totp_drift,
		l->rec.totp_last_step
	};
	int loaded, r;

	l->presented |= KGW_HAVE_TOTP;
	if (kgw_login_recovery_code(l, typed, now))
		return;
	loaded = load_totp(l, &t);
	if (loaded != KGW_OK && loaded != KGW_ERR_NO_FACTOR) {
		l->totp_rc = loaded;
		goto out;
	}
	if ((r = kgw_totp_normalize(typed, t.digits, code)) != KGW_OK) {
		l->totp_rc = loaded == KGW_OK ? r : KGW_ERR_NO_FACTOR;
		goto out;
	}
	/* RFC 6238 section 6: centred on the offset the last login learned. */
	r = kgw_totp_check(&t, code, now, &range, &l->totp_step);
	if (r == KGW_OK)
		l->totp_learned = kgw_totp_learn(&range, l->totp_step, now);
	l->totp_rc = loaded == KGW_OK ? r : KGW_ERR_NO_FACTOR;
out:
	kgw_totp_wipe(&t);
	OPENSSL_cleanse(code, sizeof(code));
}

/*
 * Counts one failure of a known user, with the record of the refusal (l's
 * reason) in the same transaction; the lock it may cause is logged.
 */
void
kgw_login_count_failure(struct kgw_login *l, const char *phase, time_t now)
{
	struct kgw_audit_rec a;
	unsigned count = 0;
	bool locked = false;
	int r;

	kgw_login_audit_fill(l, phase, KGW_ERR_DENIED, now, &a);
	r = kgw_store_fail_record(l->store, l->user, (int64_t)now,
	    l->policy.lockout_attempts, l->policy.lockout_time, &count,
	    &locked, &a);
	l->recorded = r == KGW_OK;
	if (r != KGW_OK) {
		kgw_log_err(l->log, "user=%s cannot record failure: %s",
		    l->user, kgw_strerror(r));
		return;
	}
	if (locked && count == l->policy.lockout_attempts)
		kgw_log_warn(l->log, "user=%s locked after %u failures",
		    l->user, count);
}

static const char *
totp_reason(int rc)
{
	switch (rc) {
	case KGW_ERR_DENIED:
	case KGW_ERR_INVALID:
		return "bad_code";
	default:
		return kgw_reason(rc);
	}
}

/* What the person has enrolled, as the zone policy counts factors. */
static unsigned
enrolled(const struct kgw_login *l)
{
	unsigned have = 0;

	if (l->rec.pwhash[0] != '\0')
		have |= KGW_HAVE_PASSWORD;
	/* A recovery code stands in for a TOTP code where it may. */
	if (l->rec.totp_sealed_len > 0 || kgw_login_recovery_ready(l))
		have |= KGW_HAVE_TOTP;
	if (l->rec.fido2_count > 0)
		have |= KGW_HAVE_FIDO2;
	return have;
}

unsigned
kgw_login_steps(const struct kgw_login *l)
{
	unsigned need = kgw_login_needs(l), steps = 0;
	bool has = kgw_login_has_record(l);

	if (need & KGW_NEED_FIDO2)
		steps |= KGW_STEP_FIDO2;
	if (need & KGW_NEED_TOTP)
		steps |= KGW_STEP_TOTP;
	if (!(need & KGW_NEED_TOKEN) || steps != 0)
		return steps;
	/* Any token: a key answers only the machine it is plugged into. */
	if (l->site.source != KGW_SOURCE_CONSOLE || !has ||
	    l->rec.fido2_count == 0)
		return KGW_STEP_TOTP;
	steps = KGW_STEP_FIDO2;
	if (l->rec.totp_sealed_len > 0 || kgw_login_recovery_ready(l))
		steps |= KGW_STEP_FALLBACK;
	return steps;
}

/*
 * The person's side of the zone check: authorised for the host's zone and
 * enrolled in the second factors it requires. The reason names the rule.
 */
static int
judge_person(struct kgw_login *l)
{
	const char *rule = "-";
	int r;

	r = kgw_zone_person_need(&l->conf.zones, &l->site, l->rec.zones,
	    enrolled(l), kgw_login_needs(l), &rule);
	if (r == KGW_ERR_NO_FACTOR)
		l->reason = rule;
	else if (r != KGW_OK)
		l->reason = kgw_reason(r);
	if (r != KGW_OK)
		l->rule = rule;
	return r;
}

static int
code_failure(struct kgw_login *l)
{
	if (l->code_reason != NULL)
		l->reason = l->code_reason;
	else
		l->reason = l->totp_rc == KGW_ERR_NO_FACTOR ? "no_totp" :
		    totp_reason(l->totp_rc);
	return l->totp_rc;
}

static int
key_failure(struct kgw_login *l)
{
	l->reason = l->fido2_rc == KGW_ERR_DENIED ? "bad_key" :
	    l->fido2_rc == KGW_ERR_NO_FACTOR ? "no_fido2" :
	    kgw_reason(l->fido2_rc);
	return l->fido2_rc;
}

/* The second factors the site requires, each presented and good. */
static int
judge_second(struct kgw_login *l)
{
	unsigned need = kgw_login_needs(l);
	bool key = l->fido2_rc == KGW_OK, code = l->totp_rc == KGW_OK;

	if ((need & KGW_NEED_FIDO2) && !key)
		return key_failure(l);
	if ((need & KGW_NEED_TOTP) && !code)
		return code_failure(l);
	if ((need & KGW_NEED_TOKEN) && !key && !code)
		return (l->presented & KGW_HAVE_TOTP) ? code_failure(l) :
		    key_failure(l);
	return KGW_OK;
}

/* The verdict before any state changes: KGW_OK or why not. */
static int
judge(struct kgw_login *l, bool need_password)
{
	int r;

	if (l->user_rc != KGW_OK) {
		l->reason = kgw_reason(l->user_rc);
		return l->user_rc;
	}
	if ((r = judge_person(l)) != KGW_OK)
		return r;
	if (need_password && l->password_rc != KGW_OK) {
		l->reason = l->rec.pwhash[0] == '\0' ? "no_password" :
		    "bad_password";
		return KGW_ERR_DENIED;
	}
	return judge_second(l);
}

int
kgw_login_finish(struct kgw_login *l, bool need_password, time_t now)
{
	struct kgw_audit_rec a;
	int r;

	if (l->store == NULL)
		return KGW_ERR_INTERNAL;
	r = judge(l, need_password);
	if (r == KGW_OK) {
		/* Atomic, and recorded: of two logins racing with one code,
		 * one wins, and only its allow is in the trail. */
		l->reason = "ok";
		kgw_login_audit_fill(l, "auth", KGW_OK, now, &a);
		l->rec.totp_drift = l->totp_learned;	/* what the code taught */
		if (l->recovery.kind != KGW_RECOVERY_NONE &&
		    l->totp_rc == KGW_OK)
			r = kgw_store_recovery_accept(l->store, &l->rec,
			    &l->recovery, (int64_t)now, &a);
		else if (l->fido2_rc == KGW_OK)
			r = kgw_store_fido2_accept(l->store, &l->rec,
			    l->totp_rc == KGW_OK ? l->totp_step : -1,
			    &l->fido2_key, l->fido2_count, (int64_t)now, &a);
		else
			r = kgw_store_totp_accept(l->store, &l->rec,
			    l->totp_step, (int64_t)now, &a);
		l->recorded = r == KGW_OK;
		l->reason = r == KGW_OK ? "ok" :
		    (r == KGW_ERR_DENIED && l->recovery.kind ==
		    KGW_RECOVERY_TEMP) ? "code_expired" : totp_reason(r);
		if (r == KGW_ERR_ZONE)
			l->rule = "zones_changed";	/* judged on old zones */
	}
	/* Guesses by a known user count; other refusals are not guesses. */
	if (l->user_rc == KGW_OK && (r == KGW_ERR_DENIED ||
	    r == KGW_ERR_INVALID || r == KGW_ERR_REPLAY ||
	    r == KGW_ERR_CLONE))
		kgw_login_count_failure(l, "auth", now);
	return r;
}

void
kgw_login_abandon(struct kgw_login *l, bool password_tried, time_t now)
{
	const char *rule;

	l->reason = kgw_reason(KGW_ERR_CONV);
	/* As in finish: a person the zone refuses was not guessing. */
	if (l->store != NULL && password_tried && l->user_rc == KGW_OK &&
	    kgw_zone_person_need(&l->conf.zones, &l->site, l->rec.zones,
	    enrolled(l), kgw_login_needs(l), &rule) == KGW_OK)
		kgw_login_count_failure(l, "auth", now);
}

int
kgw_login_account(struct kgw_login *l, time_t now)
{
	(void)now;	/* begin already judged the lock at this time */
	if (l->user_rc == KGW_ERR_INVALID) {
		l->reason = kgw_reason(KGW_ERR_NOT_FOUND);
		return KGW_ERR_NOT_FOUND;
	}
	l->reason = kgw_reason(l->user_rc);
	if (l->user_rc != KGW_OK)
		return l->user_rc;
	return judge_person(l);
}

void
kgw_login_end(struct kgw_login *l)
{
	if (l == NULL)
		return;
	kgw_store_close(&l->store);
	if (l->totp_inited)
		kgw_totp_done();
	/* The secrets; the rest (configuration, zones) is not. */
	OPENSSL_cleanse(&l->key, sizeof(l->key));
	OPENSSL_cleanse(&l->rec, sizeof(l->rec));
	OPENSSL_cleanse(&l->fido2_key, sizeof(l->fido2_key));
	l->key_loaded = false;
	l->totp_inited = false;
}
