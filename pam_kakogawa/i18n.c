/*
 * gettext for the module and the tool. A forced language switches only
 * the calling thread's LC_MESSAGES, for the one lookup (uselocale): the
 * process that loaded the module (sshd, runs in the C locale) keeps its
 * own locale, as a module must not change it.
 */
#include <config.h>

#include <locale.h>
#include <string.h>

#include "kgw_err.h"
#include "kgw_i18n.h"

/* The locale whose LC_MESSAGES selects the Japanese catalogue. */
#define LOCALE_JA "ja_JP.UTF-8"

/* A text domain nobody binds: what glibc answers for an unbound one. */
#define UNBOUND_PROBE PACKAGE "-unbound"

/*
 * Binds the domain to the installed catalogues unless the program that
 * loaded the module bound it already (to its own copy of them: the test
 * suite does, to the build tree's); only code inside the process can.
 */
void
kgw_i18n_init(void)
{
	const char *bound = bindtextdomain(PACKAGE, NULL);
	const char *unbound = bindtextdomain(UNBOUND_PROBE, NULL);

	if (bound == NULL || unbound == NULL || strcmp(bound, unbound) == 0)
		(void)bindtextdomain(PACKAGE, LOCALEDIR);
}

int
kgw_lang_parse(const char *name, enum kgw_lang *out)
{
	if (name == NULL)
		return KGW_ERR_INVALID;
	if (strcmp(name, "en") == 0)
		*out = KGW_LANG_EN;
	else if (strcmp(name, "ja") == 0)
		*out = KGW_LANG_JA;
	else
		return KGW_ERR_INVALID;
	return KGW_OK;
}

const char *
kgw_text(enum kgw_lang lang, const char *msgid)
{
	locale_t ja, old;
	const char *text;

	if (lang == KGW_LANG_LOCALE)
		return _(msgid);
	if (lang != KGW_LANG_JA)
		return msgid;
	/* LC_MESSAGES picks the catalogue, LC_CTYPE makes it come out in
	 * UTF-8 rather than as "?" in the C locale's ASCII. */
	if ((ja = newlocale(LC_MESSAGES_MASK | LC_CTYPE_MASK, LOCALE_JA,
	    (locale_t)0)) == (locale_t)0)
		return msgid;
	old = uselocale(ja);
	/* The catalogue stays mapped once loaded: text outlives ja. */
	text = _(msgid);
	(void)uselocale(old);
	freelocale(ja);
	return text;
}
