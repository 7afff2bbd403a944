/*
 * New passwords against the rules of kgw_pwpolicy.h. Length counts
 * characters, so that a Japanese passphrase is judged like any other;
 * the dictionary check is libpwquality's (cracklib), with every
 * composition rule it could also apply switched off, as NIST asks.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pwquality.h>

#include "kgw_err.h"
#include "kgw_password.h"
#include "kgw_path.h"
#include "kgw_pwpolicy.h"

/* cracklib's answer when it has no dictionary, in its own text domain. */
static const char cracklib_no_dict[] = "error loading dictionary";
/*
 * cracklib's heuristic of letters next to each other in the alphabet: it
 * refuses about one random password in 400, a composition rule in all
 * but name. sequence() below judges runs the way NIST means instead.
 */
static const char cracklib_simplistic[] = "it is too simplistic/systematic";

/* A blocklist of about a million passwords; read only when one is set. */
#define BLOCKLIST_MAX ((size_t)16 * 1024 * 1024)
/* Names shorter than this are no meaningful part of a password. */
#define WORD_MIN 3

/* The city's own names, in the scripts people type them in. */
static const char *const city_words[] = {
	"kakogawa", "\xe5\x8a\xa0\xe5\x8f\xa4\xe5\xb7\x9d",	/* 加古川 */
	"\xe3\x81\x8b\xe3\x81\x93\xe3\x81\x8c\xe3\x82\x8f",	/* かこがわ */
	"\xe3\x82\xab\xe3\x82\xb3\xe3\x82\xac\xe3\x83\xaf",	/* カコガワ */
};

/* One UTF-8 sequence at s: its code point and length; 0 when invalid. */
static size_t
utf8_next(const unsigned char *s, unsigned long *cp)
{
	size_t n, i;
	unsigned long min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, min = 0x80, *cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3, min = 0x800, *cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, min = 0x10000, *cp = s[0] & 0x07u;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3fu);
	}
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if (*cp < min || (*cp >= 0xd800 && *cp <= 0xdfff) || *cp > 0x10ffff)
		return 0;
	return n;
}

long
kgw_utf8_length(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	long count = 0;
	size_t n;

	while (*p != '\0') {
		if ((n = utf8_next(p, &cp)) == 0)
			return -1;
		p += n;
		count++;
	}
	return count;
}

/* A control character (C0, DEL, C1) anywhere; s is valid UTF-8. */
static bool
has_control(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t n;

	while (*p != '\0' && (n = utf8_next(p, &cp)) != 0) {
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return true;
		p += n;
	}
	return false;
}

/* ASCII lower case, without arithmetic on a char of unknown sign. */
static char
lower(char c)
{
	static const char up[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	static const char low[] = "abcdefghijklmnopqrstuvwxyz";
	size_t i;

	for (i = 0; up[i] != '\0'; i++)
		if (up[i] == c)
			return low[i];
	return c;
}

static bool
prefix_ci(const char *s, const char *word, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || lower(s[i]) != lower(word[i]))
			return false;
	return true;
}

/*
 * What is left of the password, in characters, once every occurrence of
 * word (ASCII letters compared without case) is taken out: a password
 * that is little more than a name ("Tanaka2027!") leaves too little.
 */
static long
left_without(const char *password, const char *word)
{
	char rest[KGW_PASSWORD_MAX];
	size_t n = strlen(word), i = 0, j = 0;
	long len;

	while (password[i] != '\0' && j + 1 < sizeof(rest)) {
		if (prefix_ci(password + i, word, n))
			i += n;
		else
			rest[j++] = password[i++];
	}
	rest[j] = '\0';
	len = kgw_utf8_length(rest);
	explicit_bzero(rest, sizeof(rest));
	return len;
}

/* A name (the person's, the city's) that makes up most of the password. */
static bool
mostly(const struct kgw_pw_rules *r, const char *password, const char *word)
{
	long n = kgw_utf8_length(word);

	return n >= WORD_MIN && strlen(word) < KGW_PASSWORD_MAX &&
	    left_without(password, word) < (long)r->min_length;
}

/* The city's names, and each word of the issuer ("Kakogawa City"). */
static bool
mostly_city(const struct kgw_pw_rules *r, const char *password)
{
	char issuer[128], *w, *save = NULL;
	size_t i;
	bool hit = false;

	for (i = 0; i < sizeof(city_words) / sizeof(city_words[0]); i++)
		if (mostly(r, password, city_words[i]))
			return true;
	if (r->issuer == NULL)
		return false;
	(void)snprintf(issuer, sizeof(issuer), "%s", r->issuer);
	for (w = strtok_r(issuer, " \t", &save); w != NULL && !hit;
	    w = strtok_r(NULL, " \t", &save))
		hit = strlen(w) > WORD_MIN && mostly(r, password, w);
	return hit;
}

static bool
equal_ci(const char *a, const char *b, size_t blen)
{
	return strlen(a) == blen && prefix_ci(a, b, blen);
}

/*
 * The password is a line of the blocklist (ASCII letters compared
 * without case; blank lines and lines starting with # are skipped).
 * KGW_OK and *hit, or an error when the list cannot be read.
 */
static int
blocklisted(const struct kgw_log *log, const char *path, const char *pw,
    bool *hit)
{
	unsigned char *buf = NULL;
	size_t len = 0, off = 0, n;
	int r;

	*hit = false;
	if ((r = kgw_path_read(log, path, 0, BLOCKLIST_MAX, &buf, &len)) !=
	    KGW_OK) {
		kgw_log_err(log, "cannot read the password blocklist %s", path);
		return r;
	}
	while (off < len && !*hit) {
		const char *line = (const char *)buf + off;
		const char *nl = memchr(line, '\n', len - off);

		n = nl != NULL ? (size_t)(nl - line) : len - off;
		off += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > 0 && line[0] != '#')
			*hit = equal_ci(pw, line, n);
	}
	free(buf);
	return KGW_OK;
}

/*
 * The word inside the password: without the digits, punctuation and
 * spaces added at either end ("Password12345!" gives "Password"), which
 * cracklib's own rules miss once enough digits follow a word.
 */
static bool
affix(char c)
{
	return (unsigned char)c < 0x80 && !((c | 0x20) >= 'a' &&
	    (c | 0x20) <= 'z');
}

static bool
core_word(const char *pw, char *out, size_t outlen)
{
	size_t len = strlen(pw), first = 0, n = 0, i;

	while (first < len && affix(pw[first]))
		first++;
	for (i = first; i < len; i++)
		if (!affix(pw[i]))
			n = i + 1 - first;	/* up to the last letter */
	/* cracklib judges nothing shorter than 6; the whole was judged. */
	if (n < 6 || n == len || n >= outlen)
		return false;
	memcpy(out, pw + first, n);
	out[n] = '\0';
	return true;
}

static int
dictionary_one(const struct kgw_log *log, const struct kgw_pw_rules *r,
    const char *pw, const char **token);

/* libpwquality with only the checks NIST asks for: dictionary, sameness. */
static int
dictionary(const struct kgw_log *log, const struct kgw_pw_rules *r,
    const char *pw, const char **token)
{
	char core[KGW_PASSWORD_MAX];
	int rc;

	if ((rc = dictionary_one(log, r, pw, token)) != KGW_OK ||
	    !core_word(pw, core, sizeof(core)))
		return rc;
	rc = dictionary_one(log, r, core, token);
	explicit_bzero(core, sizeof(core));
	return rc;
}

static int
dictionary_one(const struct kgw_log *log, const struct kgw_pw_rules *r,
    const char *pw, const char **token)
{
	static const int off[] = {
		PWQ_SETTING_DIG_CREDIT, PWQ_SETTING_UP_CREDIT,
		PWQ_SETTING_LOW_CREDIT, PWQ_SETTING_OTH_CREDIT,
		PWQ_SETTING_MIN_CLASS, PWQ_SETTING_MAX_REPEAT,
		PWQ_SETTING_MAX_CLASS_REPEAT, PWQ_SETTING_MAX_SEQUENCE,
		PWQ_SETTING_GECOS_CHECK, PWQ_SETTING_USER_CHECK,
	};
	pwquality_settings_t *pwq;
	void *aux = NULL;
	size_t i;
	int rc;

	*token = "unchecked";
	if ((pwq = pwquality_default_settings()) == NULL)
		return KGW_ERR_NOMEM;
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		(void)pwquality_set_int_value(pwq, off[i], 0);
	/* Our own length rule counts characters; its floor is below ours. */
	(void)pwquality_set_int_value(pwq, PWQ_SETTING_MIN_LENGTH, 6);
	(void)pwquality_set_int_value(pwq, PWQ_SETTING_DICT_CHECK, 1);
	rc = pwquality_check(pwq, pw, r->old, NULL, &aux);
	pwquality_free_settings(pwq);
	if (rc >= 0)
		return KGW_OK;
	switch (rc) {
	case PWQ_ERROR_SAME_PASSWORD:
	case PWQ_ERROR_TOO_SIMILAR:
	case PWQ_ERROR_CASE_CHANGES_ONLY:
	case PWQ_ERROR_ROTATED:
		*token = "same";
		return KGW_ERR_WEAK;
	case PWQ_ERROR_CRACKLIB_CHECK:
		/* cracklib's own text, translated in its own domain. */
		if (aux != NULL && strcmp(aux, dgettext("cracklib",
		    cracklib_simplistic)) == 0)
			return KGW_OK;
		if (aux != NULL && strcmp(aux, dgettext("cracklib",
		    cracklib_no_dict)) != 0) {
			*token = "dictionary";
			return KGW_ERR_WEAK;
		}
		kgw_log_err(log, "password dictionary check failed: %s",
		    aux != NULL ? (const char *)aux : "no reason");
		return KGW_ERR_CONFIG;
	case PWQ_ERROR_PALINDROME:
		*token = "dictionary";
		return KGW_ERR_WEAK;
	default:
		kgw_log_err(log, "password dictionary check failed: error %d",
		    rc);
		return KGW_ERR_CONFIG;
	}
}

/* The message for token, formatted for the person in lang. */
static void
explain(const struct kgw_pw_rules *r, const char *token, char *why,
    size_t whylen)
{
	enum kgw_lang l = r->lang;

	if (strcmp(token, "too_short") == 0)
		(void)snprintf(why, whylen, kgw_text(l, N_("The password is too "
		    "short: use at least %u characters.")), r->min_length);
	else if (strcmp(token, "too_long") == 0)
		(void)snprintf(why, whylen, kgw_text(l, N_("The password is too "
		    "long: use at most %d bytes.")), KGW_PASSWORD_MAX - 1);
	else if (strcmp(token, "not_utf8") == 0)
		(void)snprintf(why, whylen, "%s", kgw_text(l, N_("The password "
		    "is not valid UTF-8 text.")));
	else if (strcmp(token, "control") == 0)
		(void)snprintf(why, whylen, "%s", kgw_text(l, N_("The password "
		    "contains a control character.")));
	else if (strcmp(token, "user_name") == 0)
		(void)snprintf(why, whylen, "%s", kgw_text(l, N_("The password "
		    "is too much like the user name.")));
	else if (strcmp(token, "city_name") == 0)
		(void)snprintf(why, whylen, "%s", kgw_text(l, N_("The password "
		    "is too much like the name of the city.")));
	else if (strcmp(token, "blocklist") == 0 ||
	    strcmp(token, "dictionary") == 0)
		(void)snprintf(why, whylen, "%s", kgw_text(l, N_("The password "
		    "is too common or too easy to guess.")));
	else if (strcmp(token, "same") == 0)
		(void)snprintf(why, whylen, "%s", kgw_text(l, N_("The new "
		    "password is the same as, or too much like, the old one.")));
	else
		(void)snprintf(why, whylen, "%s", kgw_text(l, N_("The password "
		    "rules cannot be checked now; ask the helpdesk.")));
}

/*
 * Repeated or sequential characters ("aaaaaaaaaaaa", "123456789012",
 * "abcdefgh1234"): the longest run of characters each equal to, or one
 * after or before, the one before it makes up half the password or more,
 * and what remains is shorter than the minimum.
 */
static bool
sequence(const struct kgw_pw_rules *r, const char *pw)
{
	size_t n = strlen(pw), i, run = 1, longest = 1;
	long chars = kgw_utf8_length(pw);

	for (i = 1; i < n; i++) {
		int d = (unsigned char)pw[i] - (unsigned char)pw[i - 1];

		run = (d >= -1 && d <= 1 && (unsigned char)pw[i] < 0x80) ?
		    run + 1 : 1;
		if (run > longest)
			longest = run;
	}
	return longest >= 4 && (long)longest * 2 >= chars &&
	    chars - (long)longest < (long)r->min_length;
}

/* The rules that need no file, cheapest first: a token, or NULL. */
static const char *
shape(const struct kgw_pw_rules *r, const char *pw)
{
	long chars;

	if (strnlen(pw, KGW_PASSWORD_MAX) >= KGW_PASSWORD_MAX)
		return "too_long";
	if ((chars = kgw_utf8_length(pw)) < 0)
		return "not_utf8";
	if (has_control(pw))
		return "control";
	if (chars < (long)r->min_length)
		return "too_short";
	if (r->user != NULL && mostly(r, pw, r->user))
		return "user_name";
	if (mostly_city(r, pw))
		return "city_name";
	if (sequence(r, pw))
		return "dictionary";
	return NULL;
}

int
kgw_pw_check(const struct kgw_log *log, const struct kgw_pw_rules *r,
    const char *password, char *why, size_t whylen, const char **token)
{
	bool hit = false;

	*token = NULL;
	why[0] = '\0';
	if (password == NULL)
		*token = "not_utf8";
	else
		*token = shape(r, password);
	if (*token == NULL && r->blocklist != NULL &&
	    r->blocklist[0] != '\0') {
		if (blocklisted(log, r->blocklist, password, &hit) != KGW_OK)
			*token = "unchecked";
		else if (hit)
			*token = "blocklist";
	}
	/* dictionary() leaves a token (why not) unless the password passes. */
	if (*token == NULL && dictionary(log, r, password, token) == KGW_OK)
		*token = NULL;
	if (*token == NULL)
		return KGW_OK;
	explain(r, *token, why, whylen);
	return KGW_ERR_WEAK;
}
