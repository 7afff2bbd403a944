/*
 * The password phase: a person changes their password in this module's
 * store, as passwd(1) on a host or when the account phase answered
 * PAM_NEW_AUTHTOK_REQD (a temporary password from the helpdesk). The
 * PAM_PRELIM_CHECK pass checks the current password (PAM_OLDAUTHTOK);
 * the PAM_UPDATE_AUTHTOK pass checks it again, asks for the new one twice
 * (or takes PAM_AUTHTOK with use_authtok), applies the password rules
 * and stores it. Root changing someone else's password (not an expired
 * one) is not asked for theirs, as with pam_unix.
 */
#include <config.h>

#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define PAM_SM_PASSWORD
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_login.h"
#include "kgw_pwpolicy.h"
#include "kgw_store.h"
#include "pam_glue.h"

#define PROMPT_OLD N_("Current password: ")
#define PROMPT_NEW N_("New password: ")
#define PROMPT_AGAIN N_("Retype new password: ")
#define MSG_MISMATCH N_("The passwords do not match.")

/* Who makes the change: the person, or (root) the invoking account. */
static void
operator_of(const struct kgw_login *l, bool root, char *out, size_t outlen)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (!root) {
		(void)snprintf(out, outlen, "%s", l->user);
		return;
	}
	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL && res->pw_name != NULL &&
	    strlen(res->pw_name) < outlen)
		(void)snprintf(out, outlen, "%s", res->pw_name);
	else
		(void)snprintf(out, outlen, "uid:%u", (unsigned)getuid());
}

/*
 * The current password: PAM_OLDAUTHTOK when an earlier pass or module
 * set it and the options allow (use_first_pass insists), else a prompt.
 * *typed is set when it was asked here (the caller wipes it).
 */
static int
old_password(pam_handle_t *pamh, const struct options *o, bool prelim,
    const char **old, char **typed)
{
	const void *item = NULL;

	*old = NULL;
	*typed = NULL;
	if ((!prelim || o->use_first_pass || o->try_first_pass) &&
	    pam_get_item(pamh, PAM_OLDAUTHTOK, &item) == PAM_SUCCESS &&
	    item != NULL) {
		*old = item;
		return KGW_OK;
	}
	if (o->use_first_pass)
		return KGW_ERR_CONV;
	if (pamk_ask(pamh, o, PROMPT_OLD, typed) != KGW_OK)
		return KGW_ERR_CONV;
	*old = *typed;
	return KGW_OK;
}

/* The new password, typed twice, or PAM_AUTHTOK with use_authtok. */
static int
new_password(pam_handle_t *pamh, const struct options *o, char **pw)
{
	const void *item = NULL;
	char *again = NULL;
	int r;

	*pw = NULL;
	if (o->use_authtok) {
		if (pam_get_item(pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS ||
		    item == NULL || (*pw = strdup(item)) == NULL)
			return KGW_ERR_CONV;
		return KGW_OK;
	}
	if ((r = pamk_ask(pamh, o, PROMPT_NEW, pw)) != KGW_OK ||
	    (r = pamk_ask(pamh, o, PROMPT_AGAIN, &again)) != KGW_OK) {
		pamk_discard(pw);
		return r;
	}
	if (strlen(*pw) != strlen(again) ||
	    CRYPTO_memcmp(*pw, again, strlen(again)) != 0) {
		(void)pam_error(pamh, "%s", kgw_text(o->language,
		    MSG_MISMATCH));
		pamk_discard(pw);
		r = KGW_ERR_INVALID;
	}
	pamk_discard(&again);
	return r;
}

/* PAM_PRELIM_CHECK: the current password, kept for the update pass. */
static int
prelim(pam_handle_t *pamh, const struct options *o, struct kgw_login *l,
    bool root)
{
	const char *old;
	char *typed = NULL;
	int r;

	if (root)
		return KGW_OK;
	if ((r = old_password(pamh, o, true, &old, &typed)) != KGW_OK)
		return r;
	if ((r = kgw_login_password_old_ok(l, old, time(NULL))) == KGW_OK &&
	    typed != NULL &&
	    pam_set_item(pamh, PAM_OLDAUTHTOK, typed) != PAM_SUCCESS)
		r = KGW_ERR_NOMEM;
	pamk_discard(&typed);
	return r;
}

/* PAM_UPDATE_AUTHTOK: the current password again, the new one, stored. */
static int
update(pam_handle_t *pamh, const struct options *o, struct kgw_login *l,
    bool root)
{
	char op[KGW_OPERATOR_MAX], why[KGW_PW_WHY_MAX], *typed = NULL;
	char *pw = NULL;
	const char *old = NULL;
	int r;

	if (!root && ((r = old_password(pamh, o, false, &old, &typed)) !=
	    KGW_OK || (r = kgw_login_password_old_ok(l, old, time(NULL))) !=
	    KGW_OK))
		goto out;
	if ((r = new_password(pamh, o, &pw)) != KGW_OK) {
		l->reason = kgw_reason(r);
		goto out;
	}
	operator_of(l, root, op, sizeof(op));
	r = kgw_login_password_change(l, old, pw, op, o->language, why,
	    sizeof(why), time(NULL));
	if (r == KGW_ERR_WEAK)
		(void)pam_error(pamh, "%s", why);
	/* Later modules in the stack may use_authtok it. */
	if (r == KGW_OK && !o->use_authtok &&
	    pam_set_item(pamh, PAM_AUTHTOK, pw) != PAM_SUCCESS)
		r = KGW_ERR_NOMEM;
out:
	pamk_discard(&typed);
	pamk_discard(&pw);
	return r;
}

static int
chauthtok_pam_code(int rc)
{
	switch (rc) {
	case KGW_OK:
		return PAM_SUCCESS;
	case KGW_ERR_NOT_FOUND:
		return PAM_USER_UNKNOWN;
	case KGW_ERR_DENIED:
		return PAM_AUTH_ERR;	/* the current password, as pam_unix */
	case KGW_ERR_DISABLED:
	case KGW_ERR_LOCKED:
	case KGW_ERR_EXPIRED:
		return PAM_PERM_DENIED;
	default:
		return PAM_AUTHTOK_ERR;
	}
}

/* The pass libpam asked for, once the person is known and may change. */
static int
chauthtok(pam_handle_t *pamh, int flags, const struct options *o,
    struct kgw_login *l)
{
	/* pam_unix's rule: root is not asked, except for an expired one. */
	bool root = getuid() == 0 && !(flags & PAM_CHANGE_EXPIRED_AUTHTOK);

	pamk_login_service(pamh, l);
	/* Where from, for the record; a password change is no login. */
	(void)pamk_login_site(pamh, l);
	l->rule = "-";
	if (l->user_rc == KGW_ERR_NOT_FOUND || l->user_rc == KGW_ERR_INVALID) {
		l->reason = kgw_reason(KGW_ERR_NOT_FOUND);
		return KGW_ERR_NOT_FOUND;
	}
	if ((flags & PAM_CHANGE_EXPIRED_AUTHTOK) &&
	    !kgw_login_password_expired(l)) {
		l->reason = "not_expired";
		return KGW_OK;	/* ours is not the expired one */
	}
	if (!root && l->user_rc != KGW_OK) {
		l->reason = kgw_reason(l->user_rc);
		return l->user_rc;
	}
	if (flags & PAM_PRELIM_CHECK)
		return prelim(pamh, o, l, root);
	return update(pamh, o, l, root);
}

PAM_EXTERN int
pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct kgw_login *l;
	struct options o;
	struct kgw_log log;
	const char *user;
	int r;

	if ((l = pamk_login_new(pamh)) == NULL)
		return PAM_AUTHTOK_ERR;
	if ((r = pamk_prepare(pamh, argc, argv, &o, &log, l, &user)) !=
	    KGW_OK)
		goto out;
	if ((r = kgw_login_begin(l, &log, o.config, user, time(NULL))) !=
	    KGW_OK) {
		l->reason = kgw_reason(r);
		goto out;
	}
	r = chauthtok(pamh, flags, &o, l);
out:
	/* The prelim pass decides nothing worth a line unless it refuses. */
	if (!(flags & PAM_PRELIM_CHECK) || r != KGW_OK)
		pamk_log_decision(pamh, "password", user, "-", r, l);
	pamk_login_free(l);
	return chauthtok_pam_code(r);
}
