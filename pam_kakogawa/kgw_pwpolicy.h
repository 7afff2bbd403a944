/*
 * The rules a new password must pass, after NIST SP 800-63B: a minimum
 * length in characters (not bytes), any printable Unicode, no composition
 * rules, and no password that is common, breached, a dictionary word, or
 * little more than the person's or the city's name. The module's
 * chauthtok and the tool's passwd and add apply the same rules.
 */
#ifndef KGW_PWPOLICY_H
#define KGW_PWPOLICY_H

#include <stddef.h>

#include "kgw_i18n.h"
#include "kgw_log.h"

#define KGW_PW_WHY_MAX 256

struct kgw_pw_rules {
	unsigned min_length;	/* characters */
	const char *blocklist;	/* "" or the path of a file of passwords */
	const char *user;	/* the person's name */
	const char *issuer;	/* the configuration's issuer (city) */
	const char *old;	/* NULL, or the password being replaced */
	enum kgw_lang lang;	/* of why */
};

/*
 * KGW_OK when password passes every rule. Else KGW_ERR_WEAK with why
 * (for the person, in r->lang) and *token (for logs: too_short,
 * too_long, not_utf8, control, user_name, city_name, blocklist,
 * dictionary, same, unchecked) filled. A rule that cannot be checked (a
 * blocklist that cannot be read, no dictionary) refuses the password:
 * KGW_ERR_WEAK, token unchecked, and the log says why.
 */
int kgw_pw_check(const struct kgw_log *log, const struct kgw_pw_rules *r,
    const char *password, char *why, size_t whylen, const char **token);

/* The length of s in Unicode characters; -1 for invalid UTF-8. */
long kgw_utf8_length(const char *s);

#endif
