/*
 * Messages people read, through gettext in the package's own text domain
 * (po/). Log lines and machine-readable output are never translated.
 */
#ifndef KGW_I18N_H
#define KGW_I18N_H

#include <libintl.h>

#define _(msgid) dgettext(PACKAGE, (msgid))
#define N_(msgid) (msgid)

/* A language forced on the module's messages, or none (the locale's). */
enum kgw_lang {
	KGW_LANG_LOCALE = 0,
	KGW_LANG_EN,
	KGW_LANG_JA,
};

/* Points the text domain at the installed catalogues (LOCALEDIR). */
void kgw_i18n_init(void);
/* "en" or "ja"; KGW_ERR_INVALID for anything else. */
int kgw_lang_parse(const char *name, enum kgw_lang *out);
/*
 * The translation of msgid in lang (the calling thread's locale for
 * KGW_LANG_LOCALE); msgid itself when there is none, or when the locale
 * the language needs is not installed on this host.
 */
const char *kgw_text(enum kgw_lang lang, const char *msgid)
    __attribute__((format_arg(2)));

#endif
