/* User names: the portable set shadow's useradd accepts, and no more. */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "kgw_user.h"

static bool
portable_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.')
		return true;
	return c == '-' && !first;
}

bool
kgw_username_valid(const char *name)
{
	size_t len, i;
	bool all_digits = true;

	if (name == NULL)
		return false;
	len = strnlen(name, KGW_USERNAME_MAX + 1);
	if (len == 0 || len > KGW_USERNAME_MAX)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (i = 0; i < len; i++) {
		/* Samba machine accounts end in '$'; nowhere else. */
		if (name[i] == '$' && i == len - 1 && i > 0)
			continue;
		if (!portable_char(name[i], i == 0))
			return false;
		if (name[i] < '0' || name[i] > '9')
			all_digits = false;
	}
	/* An all-digit name would be confused with a uid. */
	return !all_digits;
}
