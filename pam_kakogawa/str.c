/* Bounded string copying (glibc 2.36 has no strlcpy). */
#include <config.h>

#include <string.h>

#include "kgw_err.h"
#include "kgw_str.h"

int
kgw_strcopy(char *dst, size_t dstlen, const char *src)
{
	size_t n;

	if (dst == NULL || dstlen == 0)
		return KGW_ERR_INVALID;
	if (src == NULL || (n = strnlen(src, dstlen)) == dstlen) {
		dst[0] = '\0';
		return KGW_ERR_INVALID;
	}
	memcpy(dst, src, n + 1);
	return KGW_OK;
}
