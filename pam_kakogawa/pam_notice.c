/*
 * What a person is told once a login is allowed: when and from where
 * they last logged in, and how many failures were counted since, so
 * that someone else's login or guessing shows (PAM_TEXT_INFO, in the
 * module's language). And the role's session age limit, which PAM cannot
 * enforce, handed to the session in its environment.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_login.h"
#include "pam_glue.h"

/*
 * Stored text shown to a person (an address or a tty, ASCII): nothing
 * that could steer a terminal, C1 controls (0x9b is a CSI) included.
 */
static void
printable(const char *in, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < outlen; i++) {
		out[i] = in[i];
		if ((unsigned char)in[i] < 0x20 || (unsigned char)in[i] > 0x7e)
			out[i] = '?';
	}
	out[i] = '\0';
	if (i == 0)
		(void)snprintf(out, outlen, "-");
}

void
pamk_last_login(pam_handle_t *pamh, const struct options *o,
    const struct kgw_login *l)
{
	char when[64], from[KGW_AUDIT_FIELD_MAX + 1], msg[512];
	time_t t = (time_t)l->rec.last_login;
	struct tm tm;

	if (l->rec.last_login > 0) {
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%d %H:%M %Z", &tm) == 0)
			(void)snprintf(when, sizeof(when), "%lld",
			    (long long)l->rec.last_login);
		printable(l->rec.last_from, from, sizeof(from));
		(void)snprintf(msg, sizeof(msg), kgw_text(o->language,
		    N_("Last successful login: %s from %s.")), when, from);
		(void)pam_info(pamh, "%s", msg);
	}
	if (l->rec.fails_since == 0)
		return;
	if (l->rec.last_login > 0)
		(void)snprintf(msg, sizeof(msg), kgw_text(o->language,
		    N_("Failed login attempts since then: %u.")),
		    l->rec.fails_since);
	else
		(void)snprintf(msg, sizeof(msg), kgw_text(o->language,
		    N_("Failed login attempts before this first login: %u.")),
		    l->rec.fails_since);
	(void)pam_info(pamh, "%s", msg);
}

/*
 * PAM cannot end a session: the role's limit goes to the session's
 * environment (KAKOGAWA_MAX_SESSION, seconds) for it to enforce. Not
 * being able to pass it on refuses the login.
 */
int
pamk_session_env(pam_handle_t *pamh, const struct kgw_login *l)
{
	char var[64];

	if (l->policy.max_session == 0)
		return KGW_OK;
	(void)snprintf(var, sizeof(var), "KAKOGAWA_MAX_SESSION=%u",
	    l->policy.max_session);
	if (pam_putenv(pamh, var) != PAM_SUCCESS)
		return KGW_ERR_NOMEM;
	(void)snprintf(var, sizeof(var), "KAKOGAWA_ROLE=%s", l->policy.role);
	if (pam_putenv(pamh, var) != PAM_SUCCESS)
		return KGW_ERR_NOMEM;
	return KGW_OK;
}
