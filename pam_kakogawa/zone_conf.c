/*
 * The [zone NAME] sections of kakogawa.conf. conf.c reads the lines and
 * hands each section's keys here; a zone named in a rule must exist, and
 * network ranges of two zones must not overlap (a source in two zones
 * would have no single policy), so each is an error at its line.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "kgw_err.h"
#include "kgw_str.h"
#include "kgw_zone.h"

#define WHY(...) ((void)snprintf(why, whylen, __VA_ARGS__), KGW_ERR_CONFIG)

void
kgw_zone_conf_defaults(struct kgw_zones *z)
{
	memset(z, 0, sizeof(*z));
	z->host_zone = KGW_ZONE_NONE;
}

int
kgw_zone_conf_add(struct kgw_zones *z, const char *name, char *why,
    size_t whylen)
{
	struct kgw_zone *zone;

	if (!kgw_zone_name_valid(name))
		return WHY("malformed zone name (expected [a-z][a-z0-9_-]*, "
		    "at most %d characters)", KGW_ZONE_NAME_MAX);
	if (kgw_zone_find(z, name) != KGW_ZONE_NONE)
		return WHY("zone %s defined twice", name);
	if (z->nzones == KGW_ZONES_MAX)
		return WHY("more than %d zones", KGW_ZONES_MAX);
	zone = &z->zone[z->nzones];
	(void)kgw_strcopy(zone->name, sizeof(zone->name), name);
	/* The policy's defaults: multi-factor, logins from the same zone. */
	zone->factors = KGW_NEED_PASSWORD | KGW_NEED_TOKEN;
	zone->remote_from = 1u << z->nzones;
	zone->console_only = false;
	/* Paper codes are opt-in; a helpdesk's code, issued to one
	 * person for hours, is taken unless the zone says no. */
	zone->backup_codes = false;
	zone->temp_codes = true;
	z->nzones++;
	return KGW_OK;
}

/* The next word of a list separated by spaces, tabs or commas; NULL at end. */
static char *
next_word(char **p)
{
	char *w = *p;

	while (*w == ' ' || *w == '\t' || *w == ',')
		w++;
	if (*w == '\0')
		return NULL;
	*p = w + strcspn(w, " \t,");
	if (**p != '\0')
		*(*p)++ = '\0';
	return w;
}

static int
parse_range(const char *w, struct kgw_cidr *c, char *why, size_t whylen)
{
	if (w[0] == '#')
		return WHY("a comment must be on a line of its own");
	if (kgw_cidr_parse(w, c) != KGW_OK)
		return WHY("invalid address range \"%.*s\" (expected ADDR or "
		    "ADDR/LEN with the host bits zero)", KGW_ADDR_TEXT_MAX, w);
	return KGW_OK;
}

static int
add_network(struct kgw_zones *z, unsigned zone, const char *w, char *why,
    size_t whylen)
{
	char other[KGW_ADDR_TEXT_MAX];
	struct kgw_cidr c;
	unsigned i;
	int r;

	if ((r = parse_range(w, &c, why, whylen)) != KGW_OK)
		return r;
	for (i = 0; i < z->nnetworks; i++) {
		if (z->network[i].zone == zone ||
		    !kgw_cidr_overlap(&z->network[i].cidr, &c))
			continue;
		(void)kgw_cidr_format(&z->network[i].cidr, other,
		    sizeof(other));
		return WHY("range %s overlaps %s of zone %s", w, other,
		    z->zone[z->network[i].zone].name);
	}
	if (z->nnetworks == KGW_NETWORKS_MAX)
		return WHY("more than %d network ranges", KGW_NETWORKS_MAX);
	z->network[z->nnetworks].cidr = c;
	z->network[z->nnetworks++].zone = zone;
	return KGW_OK;
}

static int
set_networks(struct kgw_zones *z, unsigned zone, char *v, char *why,
    size_t whylen)
{
	char *w;
	int r;

	while ((w = next_word(&v)) != NULL)
		if ((r = add_network(z, zone, w, why, whylen)) != KGW_OK)
			return r;
	return KGW_OK;
}

/* The widest gateway range: 256 addresses (IPv4 /24, IPv6 /120). */
#define GATEWAY_PREFIX_MIN 120u

static int
set_gateways(struct kgw_zones *z, unsigned zone, char *v, char *why,
    size_t whylen)
{
	struct kgw_cidr c;
	char *w;
	int r;

	while ((w = next_word(&v)) != NULL) {
		if ((r = parse_range(w, &c, why, whylen)) != KGW_OK)
			return r;
		/* A gateway is a few servers; a wide range opens the zone. */
		if (c.prefix < GATEWAY_PREFIX_MIN)
			return WHY("gateway range %s holds more than 256 "
			    "addresses: list the screen-transfer servers "
			    "themselves (at least /%u)", w, c.v4 ?
			    GATEWAY_PREFIX_MIN - 96 : GATEWAY_PREFIX_MIN);
		if (z->ngateways == KGW_GATEWAYS_MAX)
			return WHY("more than %d gateways", KGW_GATEWAYS_MAX);
		z->gateway[z->ngateways].cidr = c;
		z->gateway[z->ngateways++].zone = zone;
	}
	return KGW_OK;
}

int
kgw_zone_factors_parse(char *v, unsigned *out, char *why, size_t whylen)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "password", KGW_NEED_PASSWORD },
		{ "totp", KGW_NEED_TOTP },
		{ "fido2", KGW_NEED_FIDO2 },
		{ "token", KGW_NEED_TOKEN },
	};
	unsigned mask = 0;
	size_t i;
	char *w;

	while ((w = next_word(&v)) != NULL) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(w, names[i].name) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return WHY("unknown factor \"%.32s\" (expected "
			    "password, totp, fido2 or token)", w);
		mask |= names[i].bit;
	}
	*out = mask;
	return KGW_OK;
}

static int
parse_factors(char *v, unsigned *out, char *why, size_t whylen)
{
	unsigned mask = 0;
	int r;

	if ((r = kgw_zone_factors_parse(v, &mask, why, whylen)) != KGW_OK)
		return r;
	/*
	 * The policy asks for multi-factor logins everywhere: a password
	 * (this module's, or the stack's with second_factor_only) and a
	 * second factor.
	 */
	if (!(mask & KGW_NEED_PASSWORD) || !(mask & KGW_NEED_SECOND))
		return WHY("factors must include password and a second factor "
		    "(totp, fido2 or token)");
	*out = mask;
	return KGW_OK;
}

static int
set_factors(struct kgw_zones *z, unsigned zone, char *v, char *why,
    size_t whylen)
{
	return parse_factors(v, &z->zone[zone].factors, why, whylen);
}

/* SSH cannot reach a key on the client: remote logins may ask for TOTP. */
static int
set_remote_factors(struct kgw_zones *z, unsigned zone, char *v, char *why,
    size_t whylen)
{
	return parse_factors(v, &z->zone[zone].remote_factors, why, whylen);
}

static int
set_uv(struct kgw_zones *z, unsigned zone, char *v, char *why, size_t whylen)
{
	if (strcmp(v, "yes") == 0)
		z->zone[zone].uv = true;
	else if (strcmp(v, "no") == 0)
		z->zone[zone].uv = false;
	else
		return WHY("user_verification must be yes or no");
	return KGW_OK;
}

static int
set_remote_from(struct kgw_zones *z, unsigned zone, char *v, char *why,
    size_t whylen)
{
	unsigned mask = 0;
	char *w;
	int i;

	while ((w = next_word(&v)) != NULL) {
		if ((i = kgw_zone_find(z, w)) == KGW_ZONE_NONE)
			return WHY("unknown zone \"%.32s\" in remote_from", w);
		mask |= 1u << i;
	}
	if (mask == 0)
		return WHY("remote_from names no zone (for no remote logins "
		    "at all, set console_only = yes)");
	z->zone[zone].remote_from = mask;
	return KGW_OK;
}

int
kgw_zone_conf_displays(struct kgw_zones *z, const char *v, char *why,
    size_t whylen)
{
	if (strcmp(v, "yes") == 0)
		z->console_displays = true;
	else if (strcmp(v, "no") == 0)
		z->console_displays = false;
	else
		return WHY("console_displays must be yes or no");
	return KGW_OK;
}

static int
set_console_only(struct kgw_zones *z, unsigned zone, char *v, char *why,
    size_t whylen)
{
	if (strcmp(v, "yes") == 0)
		z->zone[zone].console_only = true;
	else if (strcmp(v, "no") == 0)
		z->zone[zone].console_only = false;
	else
		return WHY("console_only must be yes or no");
	return KGW_OK;
}

static int
set_yes_no(const char *key, const char *v, bool *out, char *why,
    size_t whylen)
{
	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else
		return WHY("%s must be yes or no", key);
	return KGW_OK;
}

static int
set_backup_codes(struct kgw_zones *z, unsigned zone, char *v, char *why,
    size_t whylen)
{
	return set_yes_no("backup_codes", v, &z->zone[zone].backup_codes, why,
	    whylen);
}

static int
set_temp_codes(struct kgw_zones *z, unsigned zone, char *v, char *why,
    size_t whylen)
{
	return set_yes_no("temp_codes", v, &z->zone[zone].temp_codes, why,
	    whylen);
}

/* networks and gateways may repeat: each line adds to the list. */
static const struct {
	const char *key;
	int (*set)(struct kgw_zones *, unsigned, char *, char *, size_t);
	bool repeats;
} zone_keys[] = {
	{ "networks", set_networks, true },
	{ "gateways", set_gateways, true },
	{ "factors", set_factors, false },
	{ "remote_from", set_remote_from, false },
	{ "console_only", set_console_only, false },
	{ "remote_factors", set_remote_factors, false },
	{ "user_verification", set_uv, false },
	{ "backup_codes", set_backup_codes, false },
	{ "temp_codes", set_temp_codes, false },
};

int
kgw_zone_conf_set(struct kgw_zones *z, unsigned zone, const char *key,
    char *value, unsigned *seen, char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < sizeof(zone_keys) / sizeof(zone_keys[0]); i++) {
		if (strcmp(zone_keys[i].key, key) != 0)
			continue;
		if ((*seen & (1u << i)) && !zone_keys[i].repeats)
			return WHY("key set twice");
		*seen |= 1u << i;
		return zone_keys[i].set(z, zone, value, why, whylen);
	}
	return WHY("unknown key in a zone section (global keys come before "
	    "the first section)");
}

int
kgw_zone_conf_host(struct kgw_zones *z, const char *name, char *why,
    size_t whylen)
{
	if ((z->host_zone = kgw_zone_find(z, name)) == KGW_ZONE_NONE)
		return WHY("unknown zone \"%.32s\" in host_zone", name);
	return KGW_OK;
}

/* Appends text to out at *len; KGW_ERR_INVALID when it does not fit. */
static int
append(char *out, size_t outlen, size_t *len, const char *text)
{
	if (kgw_strcopy(out + *len, outlen - *len, text) != KGW_OK)
		return KGW_ERR_INVALID;
	*len += strlen(text);
	return KGW_OK;
}

/* Ranges per line: well under KGW_CONF_LINE_MAX, the longest being 43. */
#define RANGES_PER_LINE 8

static int
format_ranges(const struct kgw_zone_range *list, unsigned n, unsigned zone,
    const char *key, char *out, size_t outlen, size_t *len)
{
	char range[KGW_ADDR_TEXT_MAX];
	unsigned i, on_line = 0;

	for (i = 0; i < n; i++) {
		if (list[i].zone != zone)
			continue;
		if (on_line == RANGES_PER_LINE) {
			if (append(out, outlen, len, "\n") != KGW_OK)
				return KGW_ERR_INVALID;
			on_line = 0;
		}
		if (kgw_cidr_format(&list[i].cidr, range, sizeof(range)) !=
		    KGW_OK ||
		    append(out, outlen, len, on_line == 0 ? key : " ") !=
		    KGW_OK || append(out, outlen, len, range) != KGW_OK)
			return KGW_ERR_INVALID;
		on_line++;
	}
	return on_line == 0 ? KGW_OK : append(out, outlen, len, "\n");
}

/* "key = totp password\n", as the factors key reads it back. */
static int
format_factors(const char *key, unsigned mask, char *out, size_t outlen,
    size_t *len)
{
	char factors[64];
	size_t j;

	if (kgw_zone_factors_format(mask, factors, sizeof(factors)) != KGW_OK)
		return KGW_ERR_INVALID;
	for (j = 0; factors[j] != '\0'; j++)
		if (factors[j] == '+')
			factors[j] = ' ';
	if (append(out, outlen, len, key) != KGW_OK ||
	    append(out, outlen, len, " = ") != KGW_OK ||
	    append(out, outlen, len, factors) != KGW_OK)
		return KGW_ERR_INVALID;
	return append(out, outlen, len, "\n");
}

static int
format_zone(const struct kgw_zones *z, unsigned i, char *out, size_t outlen,
    size_t *len)
{
	const struct kgw_zone *zone = &z->zone[i];
	unsigned j;

	if (append(out, outlen, len, "\n[zone ") != KGW_OK ||
	    append(out, outlen, len, zone->name) != KGW_OK ||
	    append(out, outlen, len, "]\n") != KGW_OK ||
	    format_ranges(z->network, z->nnetworks, i, "networks = ", out,
	    outlen, len) != KGW_OK ||
	    format_ranges(z->gateway, z->ngateways, i, "gateways = ", out,
	    outlen, len) != KGW_OK ||
	    format_factors("factors", zone->factors, out, outlen, len) !=
	    KGW_OK || (zone->remote_factors != 0 &&
	    format_factors("remote_factors", zone->remote_factors, out,
	    outlen, len) != KGW_OK) || (zone->uv && append(out, outlen, len,
	    "user_verification = yes\n") != KGW_OK) ||
	    (zone->backup_codes && append(out, outlen, len,
	    "backup_codes = yes\n") != KGW_OK) ||
	    (!zone->temp_codes && append(out, outlen, len,
	    "temp_codes = no\n") != KGW_OK) ||
	    append(out, outlen, len, "remote_from =") != KGW_OK)
		return KGW_ERR_INVALID;
	for (j = 0; j < z->nzones; j++)
		if ((zone->remote_from & (1u << j)) &&
		    (append(out, outlen, len, " ") != KGW_OK ||
		    append(out, outlen, len, z->zone[j].name) != KGW_OK))
			return KGW_ERR_INVALID;
	return append(out, outlen, len, zone->console_only ?
	    "\nconsole_only = yes\n" : "\nconsole_only = no\n");
}

int
kgw_zone_conf_format(const struct kgw_zones *z, char *out, size_t outlen)
{
	size_t len = 0;
	unsigned i;
	int r;

	if (outlen == 0)
		return KGW_ERR_INVALID;
	out[0] = '\0';
	if (z->host_zone != KGW_ZONE_NONE &&
	    (append(out, outlen, &len, "host_zone = ") != KGW_OK ||
	    append(out, outlen, &len, kgw_zone_label(z, z->host_zone)) !=
	    KGW_OK || append(out, outlen, &len, "\n") != KGW_OK))
		return KGW_ERR_INVALID;
	if (z->console_displays && append(out, outlen, &len,
	    "console_displays = yes\n") != KGW_OK)
		return KGW_ERR_INVALID;
	for (i = 0; i < z->nzones; i++)
		if ((r = format_zone(z, i, out, outlen, &len)) != KGW_OK)
			return r;
	return KGW_OK;
}
