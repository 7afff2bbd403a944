/* The one bounded decimal parser; no atoi, no sscanf. */
#include <config.h>

#include <limits.h>
#include <stddef.h>

#include "kgw_err.h"
#include "kgw_num.h"

int
kgw_parse_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (s == NULL || out == NULL || s[0] == '\0')
		return KGW_ERR_INVALID;
	if (s[0] == '0' && s[1] != '\0')
		return KGW_ERR_INVALID;
	for (p = s; *p != '\0'; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return KGW_ERR_INVALID;
		d = (unsigned)(*p - '0');
		if (v > (ULONG_MAX - d) / 10)
			return KGW_ERR_INVALID;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return KGW_ERR_INVALID;
	*out = v;
	return KGW_OK;
}
