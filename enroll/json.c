/* JSON output for --json: a string escaper, the only part that needs care. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "enroll.h"
#include "kgw_zone.h"

/*
 * The length of the well-formed UTF-8 sequence at p (2 to 4), or 0: no
 * overlong form, no surrogate, nothing past U+10FFFF. A string's NUL ends
 * a short sequence, as it is no continuation byte.
 */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

/*
 * Writes s as a quoted JSON string. Well-formed UTF-8 (the Japanese of
 * check, the policy's clauses) passes as it is; any other byte outside
 * ASCII can only be damage, and becomes U+FFFD rather than invalid JSON.
 */
void
json_string(FILE *out, const char *s)
{
	const unsigned char *p;
	size_t n;

	(void)fputc('"', out);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			(void)fputs("\\\"", out);
			break;
		case '\\':
			(void)fputs("\\\\", out);
			break;
		case '\n':
			(void)fputs("\\n", out);
			break;
		case '\t':
			(void)fputs("\\t", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				(void)fprintf(out, "\\u%04x", *p);
			else if (*p > 0x7f && (n = utf8_len(p)) > 0) {
				(void)fwrite(p, 1, n, out);
				p += n - 1;
			} else if (*p > 0x7f)
				(void)fputs("\\ufffd", out);
			else
				(void)fputc(*p, out);
		}
	}
	(void)fputc('"', out);
}

/* A person's zones as a JSON array of names. */
void
json_zone_list(FILE *f, const char *zones)
{
	char name[KGW_ZONE_NAME_MAX + 1];
	const char *p = zones;
	size_t n;

	(void)fputc('[', f);
	while (*p != '\0') {
		n = strcspn(p, ",");
		if (n >= sizeof(name))
			break;	/* cannot happen: rows are validated */
		memcpy(name, p, n);
		name[n] = '\0';
		if (p != zones)
			(void)fputc(',', f);
		json_string(f, name);
		p += n + (p[n] == ',');
	}
	(void)fputc(']', f);
}
