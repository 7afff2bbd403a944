/*
 * libFuzzer harness: the configuration text parser (kgw_conf_parse), the
 * global keys and the [zone NAME] sections. Invariants on success: what
 * the policy demands holds (every zone asks for a password and a second
 * factor, host_zone, rules and ranges name zones that exist, paths are
 * absolute, sizes within their bounds), and the formatter's text parses
 * back to the same configuration (format, reparse, format: same text and
 * same settings). The parser allocates nothing: no failure injection.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kgw_conf.h"
#include "kgw_err.h"
#include "kgw_totp.h"
#include "kgw_zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TEXT_MAX (KGW_CONF_SIZE_MAX + 1)

/* Messages are formatted (that code runs too) and dropped. */
static void
emit(void *arg, int priority, const char *msg)
{
	(void)arg;
	(void)priority;
	(void)msg;
}

static const struct kgw_log quiet = { emit, NULL, false, false };

static void
check_zone(const struct kgw_zones *z, unsigned i)
{
	const struct kgw_zone *zone = &z->zone[i];
	unsigned j;

	if (!kgw_zone_name_valid(zone->name) ||
	    kgw_zone_find(z, zone->name) != (int)i)
		abort();
	if (!(zone->factors & KGW_NEED_PASSWORD) ||
	    !(zone->factors & KGW_NEED_SECOND))
		abort();
	if (zone->remote_factors != 0 &&
	    (!(zone->remote_factors & KGW_NEED_PASSWORD) ||
	    !(zone->remote_factors & KGW_NEED_SECOND)))
		abort();
	if (zone->remote_from == 0 || zone->remote_from >> z->nzones != 0)
		abort();
	for (j = 0; j < z->nnetworks; j++)
		if (z->network[j].zone >= z->nzones ||
		    z->network[j].cidr.prefix > 128)
			abort();
	for (j = 0; j < z->ngateways; j++)
		if (z->gateway[j].zone >= z->nzones ||
		    z->gateway[j].cidr.prefix > 128)
			abort();
}

/* What every accepted configuration must satisfy. */
static void
check_policy(const struct kgw_conf *c)
{
	const struct kgw_zones *z = &c->zones;
	unsigned i;

	if (c->store[0] != '/' || c->key[0] != '/' ||
	    memchr(c->store, '\0', sizeof(c->store)) == NULL ||
	    memchr(c->key, '\0', sizeof(c->key)) == NULL ||
	    memchr(c->issuer, '\0', sizeof(c->issuer)) == NULL ||
	    memchr(c->rp_id, '\0', sizeof(c->rp_id)) == NULL)
		abort();
	if ((c->totp_digits != 6 && c->totp_digits != 8) ||
	    c->totp_window > KGW_TOTP_WINDOW_MAX ||
	    kgw_totp_alg_name(c->totp_algorithm) == NULL)
		abort();
	if (z->nzones > KGW_ZONES_MAX || z->nnetworks > KGW_NETWORKS_MAX ||
	    z->ngateways > KGW_GATEWAYS_MAX)
		abort();
	if (z->host_zone != KGW_ZONE_NONE &&
	    (z->host_zone < 0 || (unsigned)z->host_zone >= z->nzones))
		abort();
	for (i = 0; i < z->nzones; i++)
		check_zone(z, i);
}

/* The settings the text carries, compared one by one. */
static void
check_same(const struct kgw_conf *a, const struct kgw_conf *b)
{
	unsigned i;

	if (strcmp(a->store, b->store) != 0 || strcmp(a->key, b->key) != 0 ||
	    strcmp(a->issuer, b->issuer) != 0 ||
	    strcmp(a->rp_id, b->rp_id) != 0 ||
	    a->totp_algorithm != b->totp_algorithm ||
	    a->totp_digits != b->totp_digits ||
	    a->totp_window != b->totp_window ||
	    a->lockout_attempts != b->lockout_attempts ||
	    a->lockout_time != b->lockout_time ||
	    a->busy_timeout != b->busy_timeout ||
	    a->fail_delay != b->fail_delay ||
	    a->fido2_touch_timeout != b->fido2_touch_timeout ||
	    a->fido2_insert_timeout != b->fido2_insert_timeout ||
	    a->zones.nzones != b->zones.nzones ||
	    a->zones.nnetworks != b->zones.nnetworks ||
	    a->zones.ngateways != b->zones.ngateways ||
	    a->zones.host_zone != b->zones.host_zone ||
	    a->zones.console_displays != b->zones.console_displays)
		abort();
	for (i = 0; i < a->zones.nzones; i++) {
		const struct kgw_zone *x = &a->zones.zone[i];
		const struct kgw_zone *y = &b->zones.zone[i];

		if (strcmp(x->name, y->name) != 0 ||
		    x->factors != y->factors ||
		    x->remote_factors != y->remote_factors ||
		    x->uv != y->uv || x->remote_from != y->remote_from ||
		    x->console_only != y->console_only)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kgw_conf c1, c2;
	static char text1[TEXT_MAX], text2[TEXT_MAX];

	if (kgw_conf_parse(&quiet, "fuzz", (const char *)data, size, &c1) !=
	    KGW_OK)
		return 0;
	check_policy(&c1);
	/* Every accepted configuration can be written out and read back. */
	if (kgw_conf_format(&c1, text1, sizeof(text1)) != KGW_OK)
		abort();
	if (kgw_conf_parse(&quiet, "formatted", text1, strlen(text1), &c2) !=
	    KGW_OK)
		abort();
	check_policy(&c2);
	check_same(&c1, &c2);
	if (kgw_conf_format(&c2, text2, sizeof(text2)) != KGW_OK ||
	    strcmp(text1, text2) != 0)
		abort();
	return 0;
}
