/* Bounded string copying: the project's only strcpy. */
#ifndef KGW_STR_H
#define KGW_STR_H

#include <stddef.h>

/*
 * Copies src into dst of dstlen bytes, NUL-terminated. KGW_OK, or
 * KGW_ERR_INVALID with dst emptied when src does not fit: a silently
 * truncated path or name would be a different one.
 */
int kgw_strcopy(char *dst, size_t dstlen, const char *src);

#endif
