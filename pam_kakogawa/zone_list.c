/*
 * Zone names, and the set of zones a person is authorised for, kept in the
 * store as one canonical text: sorted names joined by ','.
 */
#include <config.h>

#include <string.h>

#include "kgw_err.h"
#include "kgw_str.h"
#include "kgw_zone.h"

bool
kgw_zone_name_valid(const char *name)
{
	size_t i;

	if (name == NULL || name[0] < 'a' || name[0] > 'z')
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (i >= KGW_ZONE_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool
is_separator(char c)
{
	return c == ',' || c == ';' || c == ' ' || c == '\t';
}

/* Adds name to the sorted set names[0..*n), ignoring a repeat. */
static int
set_insert(char names[KGW_ZONES_MAX][KGW_ZONE_NAME_MAX + 1], size_t *n,
    const char *name)
{
	size_t i, j;
	int cmp = 1;

	for (i = 0; i < *n && (cmp = strcmp(names[i], name)) < 0; i++)
		;
	if (i < *n && cmp == 0)
		return KGW_OK;
	if (*n == KGW_ZONES_MAX)
		return KGW_ERR_INVALID;
	for (j = *n; j > i; j--)
		memcpy(names[j], names[j - 1], sizeof(names[j]));
	(void)kgw_strcopy(names[i], sizeof(names[i]), name);	/* valid: fits */
	(*n)++;
	return KGW_OK;
}

int
kgw_zone_list_normalize(const char *in, char *out, size_t outlen)
{
	char names[KGW_ZONES_MAX][KGW_ZONE_NAME_MAX + 1];
	char word[KGW_ZONE_NAME_MAX + 2];
	size_t n = 0, i, len;
	const char *p = in;

	if (in == NULL || outlen == 0)
		return KGW_ERR_INVALID;
	while (*p != '\0') {
		while (is_separator(*p))
			p++;
		for (len = 0; p[len] != '\0' && !is_separator(p[len]); len++)
			if (len > KGW_ZONE_NAME_MAX)
				return KGW_ERR_INVALID;
		if (len == 0)
			break;
		memcpy(word, p, len);
		word[len] = '\0';
		if (!kgw_zone_name_valid(word) ||
		    set_insert(names, &n, word) != KGW_OK)
			return KGW_ERR_INVALID;
		p += len;
	}
	out[0] = '\0';
	for (i = 0, len = 0; i < n; i++) {
		if ((i > 0 && kgw_strcopy(out + len, outlen - len, ",") !=
		    KGW_OK) ||
		    kgw_strcopy(out + len + (i > 0), outlen - len - (i > 0),
		    names[i]) != KGW_OK)
			return KGW_ERR_INVALID;
		len = strlen(out);
	}
	return KGW_OK;
}

bool
kgw_zone_list_valid(const char *list)
{
	char canon[KGW_ZONE_LIST_MAX];

	/* Valid means already in the stored form. */
	if (list == NULL || strnlen(list, KGW_ZONE_LIST_MAX) >=
	    KGW_ZONE_LIST_MAX ||
	    kgw_zone_list_normalize(list, canon, sizeof(canon)) != KGW_OK)
		return false;
	return strcmp(canon, list) == 0;
}

bool
kgw_zone_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (n == 0)
		return false;
	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
		if ((p = strchr(p, ',')) != NULL)
			p++;
	}
	return false;
}
