/* JSON output for --json: a string escaper, the only part that needs care. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "enroll.h"
#include "kgw_zone.h"

/*
 * Writes s as a quoted JSON string. Everything we print is ASCII by
 * construction (validated names, core tokens), so a byte outside ASCII can
 * only be damage: it becomes U+FFFD rather than invalid JSON.
 */
void
json_string(FILE *out, const char *s)
{
	const unsigned char *p;

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
			else if (*p > 0x7f)
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
