/*
 * Private to the PAM glue files (pam_kakogawa.c, pam_notice.c,
 * pam_chauthtok.c): the module's options and the steps every phase
 * shares. Nothing here leaves the module (pam_kakogawa.map).
 */
#ifndef KGW_PAM_GLUE_H
#define KGW_PAM_GLUE_H

#include <stdbool.h>

#include <security/pam_modules.h>

#include "kgw_i18n.h"
#include "kgw_log.h"
#include "kgw_login.h"

struct options {
	const char *config;
	bool debug;
	bool use_first_pass;	/* take the earlier module's password, never ask */
	bool try_first_pass;	/* take it when there is one, else ask */
	bool use_authtok;	/* password phase: the new one from PAM_AUTHTOK */
	bool second_factor_only; /* an earlier module checked the password */
	enum kgw_lang language;	/* language=: messages in it, whatever the locale */
};

int pamk_parse_options(pam_handle_t *pamh, int argc, const char **argv,
    struct options *o);
/* What every phase does first: options, the log sink, the user's name. */
int pamk_prepare(pam_handle_t *pamh, int argc, const char **argv,
    struct options *o, struct kgw_log *log, struct kgw_login *l,
    const char **user);
struct kgw_login *pamk_login_new(pam_handle_t *pamh);
void pamk_login_free(struct kgw_login *l);
void pamk_login_service(pam_handle_t *pamh, struct kgw_login *l);
/* PAM_RHOST and PAM_TTY, as the zone check reads them. */
int pamk_login_site(pam_handle_t *pamh, struct kgw_login *l);
/* The decision's line in syslog (phase=... result=... reason=...). */
void pamk_log_decision(pam_handle_t *pamh, const char *phase,
    const char *user, const char *factors, int rc, struct kgw_login *l);
/* Asks one hidden question; *answer is the caller's to pamk_discard. */
int pamk_ask(pam_handle_t *pamh, const struct options *o, const char *prompt,
    char **answer);
void pamk_discard(char **secret);

/*
 * pam_notice.c: what a person is told once a login is allowed (the last
 * login and the failures since, as they stood before it), and what the
 * account phase hands to the session (the role's session age limit).
 */
void pamk_last_login(pam_handle_t *pamh, const struct options *o,
    const struct kgw_login *l);
int pamk_session_env(pam_handle_t *pamh, const struct kgw_login *l);

#endif
