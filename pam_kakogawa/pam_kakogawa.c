/*
 * The PAM glue: reads options and PAM items, runs the conversation, hands
 * everything to the login core (login.c) and maps its verdict. No policy
 * lives here.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_login.h"
#include "kgw_str.h"
#include "pam_glue.h"

/* Translated through po/ (kgw_text): English is the msgid. */
#define PROMPT_PASSWORD N_("Password: ")
#define PROMPT_CODE N_("Verification code: ")
#define PROMPT_PIN N_("Security key PIN: ")
#define MSG_KEY_INSERT N_("Insert your security key.")
#define MSG_KEY_TOUCH N_("Touch your security key.")
/* Short and generic: the log says which rule refused. */
#define MSG_ZONE_SITE N_("Login from this location is not permitted.")
#define MSG_ZONE_ACCOUNT N_("Login to this host is not permitted.")
#define MSG_MUST_CHANGE N_("You must change your password now: the helpdesk " \
	"set a temporary one.")
/* After a login with a recovery code: what to do next. */
#define MSG_TEMP_CODE N_("You logged in with a temporary code from the " \
	"helpdesk. Have the helpdesk enrol a new second factor for you now.")
#define MSG_BACKUP_LEFT N_("Backup code used. Backup codes left:")
#define ITEM_LOG_MAX 64
/* pam_set_data name: auth recorded an allow in this transaction. */
#define AUTH_RECORDED "pam_kakogawa_auth_recorded"
/* pam_set_data name: our auth ran in this transaction, allowed or not. */
#define AUTH_RAN "pam_kakogawa_auth_ran"

/* The handle and the options, for the callbacks of the key step. */
struct conv {
	pam_handle_t *pamh;
	const struct options *o;
};

int
pamk_parse_options(pam_handle_t *pamh, int argc, const char **argv,
    struct options *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->config = KGW_CONF_DEFAULT;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "config=", 7) == 0 && a[7] == '/' &&
		    strlen(a + 7) < KGW_PATH_MAX)
			o->config = a + 7;
		else if (strcmp(a, "debug") == 0)
			o->debug = true;
		else if (strcmp(a, "use_first_pass") == 0)
			o->use_first_pass = true;
		else if (strcmp(a, "try_first_pass") == 0)
			o->try_first_pass = true;
		else if (strcmp(a, "use_authtok") == 0)
			o->use_authtok = true;
		else if (strcmp(a, "second_factor_only") == 0)
			o->second_factor_only = true;
		else if (strncmp(a, "language=", 9) == 0 &&
		    kgw_lang_parse(a + 9, &o->language) == KGW_OK)
			continue;
		else {
			pam_syslog(pamh, LOG_ERR, "unknown or malformed "
			    "option \"%.64s\": denying", a);
			return KGW_ERR_CONFIG;
		}
	}
	return KGW_OK;
}

static void
emit_syslog(void *arg, int priority, const char *msg)
{
	pam_syslog((pam_handle_t *)arg, priority, "%s", msg);
}

/* A PAM item fit for a log line: printable, no spaces, bounded. */
static void
item_for_log(pam_handle_t *pamh, int type, char out[ITEM_LOG_MAX])
{
	const void *v = NULL;
	const char *s;
	size_t i;

	if (pam_get_item(pamh, type, &v) != PAM_SUCCESS || v == NULL) {
		(void)kgw_strcopy(out, ITEM_LOG_MAX, "-");
		return;
	}
	s = v;
	for (i = 0; i < ITEM_LOG_MAX - 1 && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		bool plain = c > ' ' && c < 0x7f && c != '=';

		out[i] = '?';
		if (plain)
			out[i] = s[i];
	}
	out[i] = '\0';
	if (i == 0)
		(void)kgw_strcopy(out, ITEM_LOG_MAX, "-");
}

void
pamk_log_decision(pam_handle_t *pamh, const char *phase, const char *user,
    const char *factors, int rc, struct kgw_login *l)
{
	char service[ITEM_LOG_MAX], rhost[ITEM_LOG_MAX], tty[ITEM_LOG_MAX];
	const struct kgw_zones *z = &l->conf.zones;

	item_for_log(pamh, PAM_SERVICE, service);
	item_for_log(pamh, PAM_RHOST, rhost);
	item_for_log(pamh, PAM_TTY, tty);
	kgw_login_anchor(l);
	pam_syslog(pamh, rc == KGW_OK ? LOG_INFO : LOG_NOTICE,
	    "phase=%s user=%s service=%s rhost=%s tty=%s src_zone=%s "
	    "host_zone=%s rule=%s factors=%s result=%s reason=%s audit=%s",
	    phase,
	    (user != NULL && kgw_username_valid(user)) ? user : "(invalid)",
	    service, rhost, tty, kgw_zone_label(z, l->site.source),
	    kgw_zone_label(z, l->site.host), l->rule, factors,
	    rc == KGW_OK ? "allow" : "deny", l->reason, l->anchor);
}

void
pamk_login_service(pam_handle_t *pamh, struct kgw_login *l)
{
	const void *service = NULL;

	if (pam_get_item(pamh, PAM_SERVICE, &service) != PAM_SUCCESS)
		service = NULL;
	kgw_login_service(l, service);
}

/* PAM_RHOST and PAM_TTY, as the zone check reads them. */
int
pamk_login_site(pam_handle_t *pamh, struct kgw_login *l)
{
	const void *rhost = NULL, *tty = NULL;

	if (pam_get_item(pamh, PAM_RHOST, &rhost) != PAM_SUCCESS)
		rhost = NULL;
	if (pam_get_item(pamh, PAM_TTY, &tty) != PAM_SUCCESS)
		tty = NULL;
	return kgw_login_site(l, rhost, tty);
}

void
pamk_discard(char **secret)
{
	if (*secret != NULL) {
		explicit_bzero(*secret, strlen(*secret));
		free(*secret);
		*secret = NULL;
	}
}

/* Asks one hidden question; *answer is the caller's to wipe and free. */
int
pamk_ask(pam_handle_t *pamh, const struct options *o, const char *prompt,
    char **answer)
{
	*answer = NULL;
	if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, answer, "%s",
	    kgw_text(o->language, prompt)) != PAM_SUCCESS || *answer == NULL) {
		pamk_discard(answer);
		return KGW_ERR_CONV;
	}
	return KGW_OK;
}

/* The password step: from an earlier module when asked to, else a prompt. */
static int
check_password(pam_handle_t *pamh, const struct options *o,
    struct kgw_login *l)
{
	const void *item = NULL;
	char *typed = NULL;
	int r;

	if (o->use_first_pass || o->try_first_pass) {
		if (pam_get_item(pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS &&
		    item != NULL) {
			kgw_login_password(l, item);
			return KGW_OK;
		}
		if (o->use_first_pass) {
			kgw_login_password(l, NULL);
			return KGW_OK;
		}
	}
	if ((r = pamk_ask(pamh, o, PROMPT_PASSWORD, &typed)) != KGW_OK)
		return r;
	kgw_login_password(l, typed);
	/* Later modules in the stack may use_first_pass it. */
	(void)pam_set_item(pamh, PAM_AUTHTOK, typed);
	pamk_discard(&typed);
	return KGW_OK;
}

static void
key_insert(void *arg)
{
	const struct conv *c = arg;

	(void)pam_info(c->pamh, "%s", kgw_text(c->o->language,
	    MSG_KEY_INSERT));
}

static void
key_touch(void *arg)
{
	const struct conv *c = arg;

	(void)pam_info(c->pamh, "%s", kgw_text(c->o->language,
	    MSG_KEY_TOUCH));
}

/* The key's PIN, asked like a password and wiped at once. */
static int
key_pin(void *arg, char *pin, size_t pinlen)
{
	const struct conv *c = arg;
	char *typed = NULL;
	int r;

	if ((r = pamk_ask(c->pamh, c->o, PROMPT_PIN, &typed)) != KGW_OK)
		return r;
	r = kgw_strcopy(pin, pinlen, typed) == KGW_OK ? KGW_OK :
	    KGW_ERR_INVALID;
	pamk_discard(&typed);
	return r;
}

static int
check_code(pam_handle_t *pamh, const struct options *o, struct kgw_login *l)
{
	char *typed = NULL;
	int r;

	if ((r = pamk_ask(pamh, o, PROMPT_CODE, &typed)) != KGW_OK)
		return r;
	kgw_login_totp(l, typed, time(NULL));
	pamk_discard(&typed);
	return KGW_OK;
}

/* The key step, then a code where it is due (also in place of a key). */
static int
check_second(pam_handle_t *pamh, const struct options *o, struct kgw_login *l)
{
	struct conv c = { pamh, o };
	const struct kgw_fido2_ui ui = { &c, key_insert, key_touch, key_pin };
	unsigned steps = kgw_login_steps(l);

	if (steps & KGW_STEP_FIDO2) {
		kgw_login_fido2(l, &ui);
		if (l->fido2_rc == KGW_ERR_CONV)
			return KGW_ERR_CONV;
		if ((steps & KGW_STEP_FALLBACK) && kgw_login_fido2_missing(l))
			steps |= KGW_STEP_TOTP;
	}
	if (steps & KGW_STEP_TOTP)
		return check_code(pamh, o, l);
	return KGW_OK;
}

/*
 * log must outlive l: the store keeps a pointer to it until login_end.
 * The questions depend on the host's zone, and on whether the person has
 * a key to ask for where any token will do (kgw_login_steps).
 */
static int
authenticate(pam_handle_t *pamh, const struct options *o,
    const struct kgw_log *log, struct kgw_login *l, const char *user)
{
	bool ask_password;
	int r;

	if ((r = kgw_login_begin(l, log, o->config, user,
	    time(NULL))) != KGW_OK) {
		l->reason = kgw_reason(r);
		return r;
	}
	pamk_login_service(pamh, l);
	if (l->conf.fail_delay > 0)
		(void)pam_fail_delay(pamh, l->conf.fail_delay * 1000U);
	if ((r = pamk_login_site(pamh, l)) != KGW_OK) {
		(void)pam_error(pamh, "%s", kgw_text(o->language,
		    MSG_ZONE_SITE));
		return r;
	}
	/* With second_factor_only the stack before us checked the password. */
	ask_password = (kgw_login_needs(l) & KGW_NEED_PASSWORD) &&
	    !o->second_factor_only;
	if (ask_password && (r = check_password(pamh, o, l)) != KGW_OK)
		goto conv_failed;
	if ((r = check_second(pamh, o, l)) != KGW_OK) {
		/* Hanging up after the password must not make guessing free. */
		kgw_login_abandon(l, ask_password, time(NULL));
		goto conv_failed;
	}
	return kgw_login_finish(l, ask_password, time(NULL));
conv_failed:
	l->reason = kgw_reason(r);
	return r;
}

/* What both phases do first: options, the log sink, the user's name. */
int
pamk_prepare(pam_handle_t *pamh, int argc, const char **argv, struct options *o,
    struct kgw_log *log, struct kgw_login *l, const char **user)
{
	int r;

	memset(l, 0, sizeof(*l));
	*user = NULL;
	l->reason = kgw_reason(KGW_ERR_CONFIG);
	l->rule = "-";
	l->site.host = KGW_ZONE_NONE;
	l->site.source = KGW_ZONE_NONE;
	if ((r = pamk_parse_options(pamh, argc, argv, o)) != KGW_OK)
		return r;
	kgw_i18n_init();
	/* Syslog stays English, for whoever reads and parses it. */
	*log = (struct kgw_log){ emit_syslog, pamh, o->debug, false };
	if (pam_get_user(pamh, user, NULL) != PAM_SUCCESS || *user == NULL) {
		l->reason = kgw_reason(KGW_ERR_CONV);
		return KGW_ERR_CONV;
	}
	return KGW_OK;
}

static void
free_mark(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

/* Tells this transaction's account phase that our auth ran (allowed or not). */
static void
mark_ran(pam_handle_t *pamh)
{
	char *mark = strdup(AUTH_RAN);

	if (mark != NULL && pam_set_data(pamh, AUTH_RAN, mark, free_mark) !=
	    PAM_SUCCESS)
		free(mark);
}

/*
 * Tells this transaction's account phase that auth recorded its allow,
 * for this user (PAM_USER could change in between).
 */
static void
mark_recorded(pam_handle_t *pamh, const char *user)
{
	char *mark = strdup(user);

	if (mark != NULL && pam_set_data(pamh, AUTH_RECORDED, mark,
	    free_mark) != PAM_SUCCESS)
		free(mark);
}

/*
 * The login's state is on the heap, not the caller's stack: it is large
 * (the configuration's zones, the person's keys), and the caller may be a
 * thread of a display manager.
 */
struct kgw_login *
pamk_login_new(pam_handle_t *pamh)
{
	struct kgw_login *l = calloc(1, sizeof(*l));

	if (l == NULL)
		pam_syslog(pamh, LOG_CRIT, "out of memory: denying");
	return l;
}

void
pamk_login_free(struct kgw_login *l)
{
	kgw_login_end(l);
	free(l);
}

/*
 * A login with a recovery code is told what it means, once it is in:
 * a temporary code is for today only, and backup codes run out.
 */
static void
recovery_notice(pam_handle_t *pamh, const struct options *o,
    const struct kgw_login *l)
{
	if (l->recovery.kind == KGW_RECOVERY_TEMP)
		(void)pam_info(pamh, "%s", kgw_text(o->language,
		    MSG_TEMP_CODE));
	else if (l->recovery.kind == KGW_RECOVERY_BACKUP)
		(void)pam_info(pamh, "%s %u", kgw_text(o->language,
		    MSG_BACKUP_LEFT), l->rec.backup_left > 0 ?
		    l->rec.backup_left - 1 : 0);
}

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct kgw_login *l;
	struct options o;
	struct kgw_log log;
	const char *user;
	char factors[32];
	int r;

	(void)flags;
	if ((l = pamk_login_new(pamh)) == NULL)
		return PAM_AUTH_ERR;
	/* An allow of an earlier auth in this transaction is not this one. */
	(void)pam_set_data(pamh, AUTH_RECORDED, NULL, NULL);
	mark_ran(pamh);
	if ((r = pamk_prepare(pamh, argc, argv, &o, &log, l, &user)) == KGW_OK)
		r = authenticate(pamh, &o, &log, l, user);
	/* Refusals that changed no state are recorded here. */
	(void)kgw_login_record(l, "auth", r, time(NULL));
	kgw_login_factors(l, factors, sizeof(factors));
	pamk_log_decision(pamh, "auth", user, factors, r, l);
	if (r == KGW_OK) {
		mark_recorded(pamh, user);
		pamk_last_login(pamh, &o, l);
		recovery_notice(pamh, &o, l);
	}
	pamk_login_free(l);
	return r == KGW_OK ? PAM_SUCCESS : PAM_AUTH_ERR;
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

static int
account_pam_code(int rc)
{
	switch (rc) {
	case KGW_OK:
		return PAM_SUCCESS;
	case KGW_ERR_NOT_FOUND:
		return PAM_USER_UNKNOWN;
	default:
		return PAM_PERM_DENIED;	/* disabled, locked, any error */
	}
}

/* This transaction's auth phase recorded an allow, for this user. */
static bool
auth_recorded(pam_handle_t *pamh, const struct kgw_login *l)
{
	const void *data = NULL;

	return pam_get_data(pamh, AUTH_RECORDED, &data) == PAM_SUCCESS &&
	    data != NULL && strcmp(data, l->user) == 0;
}

/*
 * No auth of ours ran in this transaction: the account phase is the
 * whole login (an SSH public key, or another module's auth).
 */
static bool
account_only(pam_handle_t *pamh)
{
	const void *data = NULL;

	return pam_get_data(pamh, AUTH_RAN, &data) != PAM_SUCCESS ||
	    data == NULL;
}

/*
 * The account phase's decision in the trail, unless it only confirms the
 * allow this transaction's auth phase recorded (one record, one fsync a
 * login). An allow no auth of ours preceded (an SSH public key) is the
 * login: the person's last login is noted with its record. An allow that
 * cannot be recorded is refused.
 */
static int
account_record(struct kgw_login *l, int rc, bool after_auth, bool alone,
    bool change)
{
	int r;

	if (rc == KGW_OK && after_auth && !change)
		return rc;
	if (rc == KGW_OK && alone)
		r = kgw_login_account_accept(l, time(NULL));
	else
		r = kgw_login_record(l, "account", rc, time(NULL));
	if (rc == KGW_OK && r != KGW_OK) {
		l->reason = kgw_reason(r);
		return r;
	}
	return rc;
}

/*
 * An allowed account: the role's session limit handed on, the decision
 * recorded, the person told of their last login (unless our auth phase
 * already did), and a temporary password sent to be changed.
 */
static int
account_allow(pam_handle_t *pamh, const struct options *o,
    struct kgw_login *l, bool *change)
{
	bool after_auth = auth_recorded(pamh, l), alone = account_only(pamh);
	int r;

	/* With second_factor_only our password is not the one this stack
	 * checks (pam_unix's is): asking for a change here would send the
	 * person to change the other one, at every login. */
	*change = kgw_login_password_expired(l) && !o->second_factor_only;
	if (*change)
		l->reason = "password_change";
	if ((r = pamk_session_env(pamh, l)) != KGW_OK)
		l->reason = kgw_reason(r);
	r = account_record(l, r, after_auth, alone, *change);
	if (r != KGW_OK)
		return r;
	if (alone)
		pamk_last_login(pamh, o, l);
	if (*change)
		(void)pam_error(pamh, "%s", kgw_text(o->language,
		    MSG_MUST_CHANGE));
	return KGW_OK;
}

PAM_EXTERN int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct kgw_login *l;
	struct options o;
	struct kgw_log log;
	const char *user;
	bool change = false;
	int r;

	(void)flags;
	if ((l = pamk_login_new(pamh)) == NULL)
		return PAM_PERM_DENIED;
	if ((r = pamk_prepare(pamh, argc, argv, &o, &log, l, &user)) != KGW_OK)
		goto out;
	if ((r = kgw_login_begin(l, &log, o.config, user,
	    time(NULL))) != KGW_OK) {
		l->reason = kgw_reason(r);
		goto out;
	}
	pamk_login_service(pamh, l);
	if ((r = pamk_login_site(pamh, l)) == KGW_OK)
		r = kgw_login_account(l, time(NULL));
	/* The last recovery code, used up by this very login's auth. */
	if (r == KGW_ERR_NO_FACTOR && auth_recorded(pamh, l))
		r = kgw_login_account_presented(l);
	if (r == KGW_ERR_ZONE || r == KGW_ERR_NO_FACTOR)
		(void)pam_error(pamh, "%s", kgw_text(o.language,
		    MSG_ZONE_ACCOUNT));
	if (r == KGW_OK)
		r = account_allow(pamh, &o, l, &change);
	else
		r = account_record(l, r, false, false, false);
out:
	pamk_log_decision(pamh, "account", user, "-", r, l);
	pamk_login_free(l);
	if (r == KGW_OK && change)
		return PAM_NEW_AUTHTOK_REQD;
	return account_pam_code(r);
}
