/*
 * Unit tests for the zone model (kgw_zone.h): the login decision as a
 * table over one parsed configuration, the [zone NAME] sections' errors at
 * their file:line, the host's zone from its addresses, and a person's
 * stored zone list.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kgw_conf.h"
#include "kgw_err.h"
#include "kgw_zone.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Every message the core logs lands here, one per line. */
static char logbuf[8192];

static void
capture(void *arg, int priority, const char *msg)
{
	size_t used = strlen(logbuf);

	(void)arg;
	(void)priority;
	(void)snprintf(logbuf + used, sizeof(logbuf) - used, "%s\n", msg);
}

static const struct kgw_log test_log = { capture, NULL, false, false };

static int
parse(const char *text, struct kgw_conf *c)
{
	logbuf[0] = '\0';
	return kgw_conf_parse(&test_log, "zones.conf", text, strlen(text), c);
}

static void
parse_ok(const char *text, struct kgw_conf *c)
{
	int r = parse(text, c);

	ck_assert_msg(r == KGW_OK, "rc %d; log: %s", r, logbuf);
	ck_assert_str_eq(logbuf, "");
}

/*
 * The city's three separated networks, and a vault that only its own
 * terminals may log in to. Line numbers matter to the error tests only.
 */
static const char city_conf[] =
	"# Kakogawa test zones\n"
	"[zone mynumber]\n"
	"networks = 10.1.0.0/16, 2001:db8:1::/48\n"
	"factors = password fido2\n"
	"remote_factors = password token\n"	/* SSH reaches no key */
	"user_verification = yes\n"
	"\n"
	"[zone lgwan]\n"
	"networks = 10.2.0.0/16\n"
	"gateways = 10.3.0.50 192.0.2.10/31\n"	/* screen transfer */
	"factors = password totp\n"
	"remote_from = lgwan\n"
	"\n"
	"[zone internet]\n"
	"networks = 10.3.0.0/16 2001:db8:3::/48\n"
	"factors = password token\n"
	"remote_from = lgwan internet\n"
	"\n"
	"[zone vault]\n"
	"networks = 10.4.0.0/16\n"
	"gateways = 10.2.0.60\n"
	"factors = password totp fido2\n"
	"console_only = yes\n";

static struct kgw_conf city;

static void
city_setup(void)
{
	parse_ok(city_conf, &city);
	ck_assert_uint_eq(city.zones.nzones, 4);
}

static int
zone_index(const char *name)
{
	int i = kgw_zone_find(&city.zones, name);

	ck_assert_msg(i != KGW_ZONE_NONE, "no zone %s", name);
	return i;
}

#define PW KGW_HAVE_PASSWORD
#define TOTP KGW_HAVE_TOTP
#define FIDO KGW_HAVE_FIDO2

struct decision {
	const char *host;	/* the host's zone; NULL: unknown */
	const char *rhost;
	const char *tty;
	const char *person;	/* the person's stored zone list */
	unsigned have;		/* KGW_HAVE_* */
	int rc;
	const char *rule;	/* the rule that decided */
	const char *site;	/* kgw_zone_site's rule */
	const char *source;	/* the source's label */
	bool gateway;
};

static const struct decision decisions[] = {
	/* Console logins: no remote host, a terminal. */
	{ "mynumber", NULL, "tty1", "mynumber", PW | FIDO,
	    KGW_OK, "authorised", "console", "console", false },
	{ "vault", NULL, "tty2", "vault", PW | TOTP | FIDO,
	    KGW_OK, "authorised", "console", "console", false },
	/* Nothing says where from. */
	{ "mynumber", NULL, NULL, "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "source_unknown", "source_unknown", "unknown", false },
	{ "mynumber", NULL, "", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "source_unknown", "source_unknown", "unknown", false },
	/* A terminal that is not this machine's console (su in a remote
	 * session, a serial line) does not say where from either. */
	{ "lgwan", NULL, "/dev/pts/0", "lgwan", PW | TOTP,
	    KGW_ERR_ZONE, "tty_not_console", "tty_not_console", "unknown",
	    false },
	{ "lgwan", NULL, "ttyS0", "lgwan", PW | TOTP,
	    KGW_ERR_ZONE, "tty_not_console", "tty_not_console", "unknown",
	    false },
	{ "internet", NULL, "ssh", "internet", PW | TOTP | FIDO,
	    KGW_ERR_ZONE, "tty_not_console", "tty_not_console", "unknown",
	    false },
	/* Unless the zone takes no remote login (every session began
	 * here) and requires a key plugged into this machine. */
	{ "vault", NULL, "/dev/pts/0", "vault", PW | TOTP | FIDO,
	    KGW_OK, "authorised", "local_key", "console", false },
	{ "vault", NULL, "ttyS0", "vault", PW | TOTP,
	    KGW_ERR_NO_FACTOR, "no_fido2", "local_key", "console", false },
	/* A key alone is not enough where a session may be remote. */
	{ "mynumber", NULL, "/dev/pts/0", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "tty_not_console", "tty_not_console", "unknown",
	    false },
	/* An empty remote host is set, and is no address. */
	{ "mynumber", "", "tty1", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "rhost_not_address", "rhost_not_address", "unknown",
	    false },
	{ "mynumber", "", "", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "rhost_not_address", "rhost_not_address", "unknown",
	    false },
	/* Same zone, by default and as listed, IPv4 and IPv6. */
	{ "mynumber", "10.1.2.3", "ssh", "mynumber", PW | TOTP | FIDO,
	    KGW_OK, "authorised", "same_zone", "mynumber", false },
	{ "mynumber", "2001:db8:1::5", "ssh", "mynumber", PW | TOTP,
	    KGW_OK, "authorised", "same_zone", "mynumber", false },
	{ "lgwan", "10.2.255.255", NULL, "lgwan", PW | TOTP,
	    KGW_OK, "authorised", "same_zone", "lgwan", false },
	{ "internet", "2001:db8:3::1", "ssh", "internet", PW | TOTP,
	    KGW_OK, "authorised", "same_zone", "internet", false },
	/* The mapped form of an address is the address. */
	{ "mynumber", "::ffff:10.1.2.3", "ssh", "mynumber", PW | TOTP,
	    KGW_OK, "authorised", "same_zone", "mynumber", false },
	/* From afar a key cannot be shown: it is no token there. */
	{ "mynumber", "10.1.2.3", "ssh", "mynumber", PW | FIDO,
	    KGW_ERR_NO_FACTOR, "no_token", "same_zone", "mynumber", false },
	{ "lgwan", "::ffff:10.3.0.50", "ssh", "lgwan", PW | TOTP,
	    KGW_OK, "authorised", "gateway", "internet", true },
	/* Across zones: only what remote_from lists. */
	{ "mynumber", "10.2.0.5", "ssh", "mynumber,lgwan", PW | FIDO,
	    KGW_ERR_ZONE, "cross_zone", "cross_zone", "lgwan", false },
	{ "mynumber", "10.3.0.1", "ssh", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "cross_zone", "cross_zone", "internet", false },
	{ "lgwan", "10.3.1.1", "ssh", "lgwan", PW | TOTP,
	    KGW_ERR_ZONE, "cross_zone", "cross_zone", "internet", false },
	{ "internet", "10.1.0.1", "ssh", "internet", PW | TOTP,
	    KGW_ERR_ZONE, "cross_zone", "cross_zone", "mynumber", false },
	{ "internet", "10.2.3.4", "ssh", "internet", PW | TOTP,
	    KGW_OK, "authorised", "remote_from", "lgwan", false },
	{ "internet", "::ffff:10.2.3.4", "ssh", "internet", PW | TOTP | FIDO,
	    KGW_OK, "authorised", "remote_from", "lgwan", false },
	/* A gateway admits into the zone that lists it, and no other. */
	{ "lgwan", "10.3.0.50", "ssh", "lgwan", PW | TOTP,
	    KGW_OK, "authorised", "gateway", "internet", true },
	{ "lgwan", "192.0.2.11", "ssh", "lgwan", PW | TOTP,
	    KGW_OK, "authorised", "gateway", "unknown", true },
	{ "lgwan", "192.0.2.12", "ssh", "lgwan", PW | TOTP,
	    KGW_ERR_ZONE, "source_unknown", "source_unknown", "unknown", false },
	{ "lgwan", "10.3.0.51", "ssh", "lgwan", PW | TOTP,
	    KGW_ERR_ZONE, "cross_zone", "cross_zone", "internet", false },
	{ "mynumber", "10.3.0.50", "ssh", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "cross_zone", "cross_zone", "internet", false },
	{ "internet", "10.3.0.50", "ssh", "internet", PW | TOTP,
	    KGW_OK, "authorised", "same_zone", "internet", false },
	{ "mynumber", "192.0.2.11", "ssh", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "source_unknown", "source_unknown", "unknown", false },
	/* console_only refuses every remote host, its own gateway too. */
	{ "vault", "10.4.0.9", "ssh", "vault", PW | TOTP | FIDO,
	    KGW_ERR_ZONE, "console_only", "console_only", "vault", false },
	{ "vault", "10.2.0.60", "ssh", "vault", PW | TOTP | FIDO,
	    KGW_ERR_ZONE, "console_only", "console_only", "lgwan", false },
	{ "vault", "198.51.100.1", "tty1", "vault", PW | TOTP | FIDO,
	    KGW_ERR_ZONE, "console_only", "console_only", "unknown", false },
	/* Sources in no zone. */
	{ "mynumber", "8.8.8.8", "ssh", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "source_unknown", "source_unknown", "unknown", false },
	{ "internet", "2001:db8:9::1", "ssh", "internet", PW | TOTP,
	    KGW_ERR_ZONE, "source_unknown", "source_unknown", "unknown", false },
	{ "mynumber", "::10.1.2.3", "ssh", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "source_unknown", "source_unknown", "unknown", false },
	/* A host name is never resolved. */
	{ "mynumber", "localhost", "ssh", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "rhost_not_address", "rhost_not_address", "unknown",
	    false },
	{ "internet", "host.example", "ssh", "internet", PW | TOTP,
	    KGW_ERR_ZONE, "rhost_not_address", "rhost_not_address", "unknown",
	    false },
	{ "vault", "localhost", "tty1", "vault", PW | TOTP | FIDO,
	    KGW_ERR_ZONE, "rhost_not_address", "rhost_not_address", "unknown",
	    false },
	{ "mynumber", "fe80::1%eth0", "ssh", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "rhost_not_address", "rhost_not_address", "unknown",
	    false },
	{ "mynumber", "10.1.2.3 ", "ssh", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "rhost_not_address", "rhost_not_address", "unknown",
	    false },
	{ "mynumber", "10.1.0.0/16", "ssh", "mynumber", PW | FIDO,
	    KGW_ERR_ZONE, "rhost_not_address", "rhost_not_address", "unknown",
	    false },
	/* This host's zone is unknown: nothing is allowed (the source is
	 * still judged, for the log line). */
	{ NULL, NULL, "tty1", "mynumber", PW | TOTP | FIDO,
	    KGW_ERR_ZONE, "host_zone_unknown", "host_zone_unknown", "console",
	    false },
	{ NULL, "10.1.2.3", "ssh", "mynumber", PW | TOTP | FIDO,
	    KGW_ERR_ZONE, "host_zone_unknown", "host_zone_unknown", "mynumber",
	    false },
	{ NULL, "localhost", "ssh", "mynumber", PW | TOTP | FIDO,
	    KGW_ERR_ZONE, "host_zone_unknown", "host_zone_unknown", "unknown",
	    false },
	/* The person must be authorised for the host's zone. */
	{ "mynumber", "10.1.2.3", "ssh", "lgwan", PW | FIDO,
	    KGW_ERR_ZONE, "not_authorised", "same_zone", "mynumber", false },
	{ "mynumber", NULL, "tty1", "", PW | FIDO,
	    KGW_ERR_ZONE, "not_authorised", "console", "console", false },
	{ "mynumber", NULL, "tty1", NULL, PW | FIDO,
	    KGW_ERR_ZONE, "not_authorised", "console", "console", false },
	{ "mynumber", "10.1.2.3", "ssh", "internet,lgwan,mynumber2", PW | FIDO,
	    KGW_ERR_ZONE, "not_authorised", "same_zone", "mynumber", false },
	{ "lgwan", "10.3.0.50", "ssh", "internet", PW | TOTP,
	    KGW_ERR_ZONE, "not_authorised", "gateway", "internet", true },
	{ "internet", "10.2.3.4", "ssh", "lgwan", PW | TOTP,
	    KGW_ERR_ZONE, "not_authorised", "remote_from", "lgwan", false },
	{ "internet", "10.2.3.4", "ssh", "internet,lgwan,mynumber", PW | TOTP,
	    KGW_OK, "authorised", "remote_from", "lgwan", false },
	/* And enrolled in the second factors the zone requires. */
	{ "mynumber", NULL, "tty1", "mynumber", PW | TOTP,
	    KGW_ERR_NO_FACTOR, "no_fido2", "console", "console", false },
	/* From a remote host, mynumber asks for remote_factors: any token. */
	{ "mynumber", "10.1.2.3", "ssh", "mynumber", PW | TOTP,
	    KGW_OK, "authorised", "same_zone", "mynumber", false },
	{ "mynumber", "10.1.2.3", "ssh", "mynumber", PW,
	    KGW_ERR_NO_FACTOR, "no_token", "same_zone", "mynumber", false },
	{ "lgwan", "10.2.0.1", "ssh", "lgwan", PW | FIDO,
	    KGW_ERR_NO_FACTOR, "no_totp", "same_zone", "lgwan", false },
	{ "internet", "10.3.0.1", "ssh", "internet", PW,
	    KGW_ERR_NO_FACTOR, "no_token", "same_zone", "internet", false },
	{ "internet", "10.3.0.1", "ssh", "internet", 0,
	    KGW_ERR_NO_FACTOR, "no_token", "same_zone", "internet", false },
	{ "internet", "10.3.0.1", "ssh", "internet", PW | FIDO,
	    KGW_ERR_NO_FACTOR, "no_token", "same_zone", "internet", false },
	{ "internet", NULL, "tty1", "internet", PW | FIDO,
	    KGW_OK, "authorised", "console", "console", false },
	{ "vault", NULL, "tty1", "vault", PW | TOTP,
	    KGW_ERR_NO_FACTOR, "no_fido2", "console", "console", false },
	{ "vault", NULL, "tty1", "vault", PW | FIDO,
	    KGW_ERR_NO_FACTOR, "no_totp", "console", "console", false },
	/* Not authorised is said before a missing factor. */
	{ "vault", NULL, "tty1", "mynumber", PW,
	    KGW_ERR_ZONE, "not_authorised", "console", "console", false },
};

/* One row: the site's verdict, then (when allowed) the person's. */
START_TEST(test_decision)
{
	const struct decision *d = &decisions[_i];
	int host = d->host != NULL ? zone_index(d->host) : KGW_ZONE_NONE;
	struct kgw_zone_site site;
	const char *rule;
	int r;

	r = kgw_zone_site(&city.zones, host, d->rhost, d->tty, &site);
	ck_assert_ptr_nonnull(site.rule);
	ck_assert_str_eq(site.rule, d->site);
	ck_assert_str_eq(kgw_zone_label(&city.zones, site.source), d->source);
	ck_assert_int_eq(site.gateway, d->gateway);
	ck_assert_int_eq(site.host, host);
	rule = site.rule;
	if (r == KGW_OK) {
		rule = NULL;
		r = kgw_zone_person(&city.zones, &site, d->person, d->have,
		    &rule);
		ck_assert_ptr_nonnull(rule);
	} else
		ck_assert_int_eq(r, KGW_ERR_ZONE);
	ck_assert_msg(r == d->rc, "rc %d (%s), want %d", r, rule, d->rc);
	ck_assert_str_eq(rule, d->rule);
}
END_TEST

/* An index past the configured zones is no zone at all. */
START_TEST(test_host_index_out_of_range)
{
	static const int bad[] = { KGW_SOURCE_CONSOLE, 4, KGW_ZONES_MAX, 1000 };
	struct kgw_zone_site site;
	const char *rule = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(kgw_zone_site(&city.zones, bad[i], NULL,
		    "tty1", &site), KGW_ERR_ZONE);
		ck_assert_str_eq(site.rule, "host_zone_unknown");
		site.host = bad[i];
		ck_assert_int_eq(kgw_zone_person(&city.zones, &site,
		    "lgwan,mynumber", PW | TOTP | FIDO, &rule), KGW_ERR_ZONE);
		ck_assert_str_eq(rule, "host_zone_unknown");
	}
}
END_TEST

/* Text too long to be an address is refused before it is parsed. */
START_TEST(test_rhost_overlong)
{
	struct kgw_zone_site site;
	char rhost[1024];

	memset(rhost, '1', sizeof(rhost) - 1);
	rhost[sizeof(rhost) - 1] = '\0';
	ck_assert_int_eq(kgw_zone_site(&city.zones, zone_index("mynumber"),
	    rhost, "ssh", &site), KGW_ERR_ZONE);
	ck_assert_str_eq(site.rule, "rhost_not_address");
}
END_TEST

/*
 * Which terminals, with no remote host, are this machine's console: never
 * (NO), always (YES), or a local X display, only with console_displays.
 */
enum { NO, YES, DISPLAY };
static const struct {
	const char *tty;
	int console;
} terminals[] = {
	{ "console", YES }, { "/dev/console", YES },
	{ "tty1", YES }, { "/dev/tty1", YES }, { "tty0", YES },
	{ "tty63", YES }, { "tty999", YES }, { ":0", DISPLAY },
	{ ":12", DISPLAY }, { ":0.0", DISPLAY }, { "/dev/:1", DISPLAY },
	{ ":1.12", DISPLAY },
	{ "tty", NO }, { "tty1000", NO }, { "tty1a", NO },
	{ "tty-1", NO }, { "ttyS0", NO }, { "/dev/ttyS0", NO },
	{ "ttyUSB0", NO }, { "hvc0", NO }, { "pts/0", NO },
	{ "/dev/pts/3", NO }, { "consoles", NO }, { "console ", NO },
	{ "/dev/", NO }, { "/dev/dev/tty1", NO }, { ":", NO },
	{ ":0.", NO }, { ":.0", NO }, { ":a", NO }, { "::0", NO },
	{ ":1234", NO }, { ":0.1.2", NO }, { "host:0", NO },
	{ "10.0.0.1:0", NO }, { "ssh", NO }, { "cron", NO },
	{ "TTY1", NO },
};

START_TEST(test_console_terminal)
{
	struct kgw_zones *z = &city.zones;
	struct kgw_zone_site site;
	bool displays, console;
	int r;

	for (displays = false; ; displays = true) {
		z->console_displays = displays;
		console = terminals[_i].console == YES ||
		    (displays && terminals[_i].console == DISPLAY);
		r = kgw_zone_site(z, zone_index("lgwan"), NULL,
		    terminals[_i].tty, &site);
		ck_assert_msg((r == KGW_OK) == console, "%s (displays %d): %s",
		    terminals[_i].tty, displays, site.rule);
		ck_assert_str_eq(site.rule, console ? "console" :
		    "tty_not_console");
		ck_assert_int_eq(site.source, console ? KGW_SOURCE_CONSOLE :
		    KGW_ZONE_NONE);
		if (displays)
			break;
	}
}
END_TEST

/* A terminal name too long to be one is not a console. */
START_TEST(test_tty_overlong)
{
	struct kgw_zone_site site;
	char tty[1024];

	memset(tty, '1', sizeof(tty) - 1);
	memcpy(tty, "tty", 3);
	tty[sizeof(tty) - 1] = '\0';
	ck_assert_int_eq(kgw_zone_site(&city.zones, zone_index("lgwan"),
	    NULL, tty, &site), KGW_ERR_ZONE);
	ck_assert_str_eq(site.rule, "tty_not_console");
}
END_TEST

START_TEST(test_find_and_label)
{
	const struct kgw_zones *z = &city.zones;

	ck_assert_int_eq(kgw_zone_find(z, "mynumber"), 0);
	ck_assert_int_eq(kgw_zone_find(z, "vault"), 3);
	ck_assert_int_eq(kgw_zone_find(z, "lgwa"), KGW_ZONE_NONE);
	ck_assert_int_eq(kgw_zone_find(z, "lgwan2"), KGW_ZONE_NONE);
	ck_assert_int_eq(kgw_zone_find(z, "LGWAN"), KGW_ZONE_NONE);
	ck_assert_int_eq(kgw_zone_find(z, ""), KGW_ZONE_NONE);
	ck_assert_str_eq(kgw_zone_label(z, 1), "lgwan");
	ck_assert_str_eq(kgw_zone_label(z, KGW_SOURCE_CONSOLE), "console");
	ck_assert_str_eq(kgw_zone_label(z, KGW_ZONE_NONE), "unknown");
	ck_assert_str_eq(kgw_zone_label(z, 4), "unknown");
	ck_assert_str_eq(kgw_zone_label(z, -3), "unknown");
}
END_TEST

/* The sections, read back: what the decision table relies on. */
START_TEST(test_city_parsed)
{
	const struct kgw_zones *z = &city.zones;
	int my = zone_index("mynumber"), lg = zone_index("lgwan");
	int in = zone_index("internet"), va = zone_index("vault");

	ck_assert_uint_eq(z->zone[my].factors,
	    KGW_NEED_PASSWORD | KGW_NEED_FIDO2);
	ck_assert_uint_eq(z->zone[my].remote_factors,
	    KGW_NEED_PASSWORD | KGW_NEED_TOKEN);
	ck_assert(z->zone[my].uv);
	ck_assert(!z->zone[lg].uv);
	ck_assert_uint_eq(z->zone[lg].remote_factors, 0);
	ck_assert_uint_eq(z->zone[in].factors,
	    KGW_NEED_PASSWORD | KGW_NEED_TOKEN);
	ck_assert_uint_eq(z->zone[my].remote_from, 1u << my);
	ck_assert_uint_eq(z->zone[in].remote_from, (1u << lg) | (1u << in));
	ck_assert(z->zone[va].console_only);
	ck_assert(!z->zone[lg].console_only);
	ck_assert_uint_eq(z->nnetworks, 6);
	ck_assert_uint_eq(z->ngateways, 3);
	ck_assert_int_eq(z->host_zone, KGW_ZONE_NONE);
}
END_TEST

/*
 * A zone whose remote logins would need a key refuses them before any
 * question: SSH cannot reach a key on the client.
 */
START_TEST(test_fido2_remote)
{
	struct kgw_zone_site site;
	struct kgw_conf c;
	const char *rule;

	parse_ok("[zone lab]\nnetworks = 10.5.0.0/16\n"
	    "gateways = 10.6.0.1\nfactors = password fido2\n", &c);
	ck_assert_int_eq(kgw_zone_site(&c.zones, 0, "10.5.0.9", "ssh", &site),
	    KGW_ERR_ZONE);
	ck_assert_str_eq(site.rule, "fido2_remote");
	ck_assert_str_eq(kgw_zone_label(&c.zones, site.source), "lab");
	ck_assert_int_eq(kgw_zone_site(&c.zones, 0, "10.6.0.1", "ssh", &site),
	    KGW_ERR_ZONE);
	ck_assert_str_eq(site.rule, "fido2_remote");
	/* At the console the key is asked for. */
	ck_assert_int_eq(kgw_zone_site(&c.zones, 0, NULL, "tty1", &site),
	    KGW_OK);
	ck_assert_uint_eq(kgw_zone_needs(&c.zones, &site),
	    KGW_NEED_PASSWORD | KGW_NEED_FIDO2);
	ck_assert_int_eq(kgw_zone_person(&c.zones, &site, "lab", PW | TOTP,
	    &rule), KGW_ERR_NO_FACTOR);
	ck_assert_str_eq(rule, "no_fido2");
	/* remote_factors = password totp lets SSH in with a code. */
	parse_ok("[zone lab]\nnetworks = 10.5.0.0/16\n"
	    "factors = password fido2\nremote_factors = totp password\n", &c);
	ck_assert_int_eq(kgw_zone_site(&c.zones, 0, "10.5.0.9", "ssh", &site),
	    KGW_OK);
	ck_assert_uint_eq(kgw_zone_needs(&c.zones, &site),
	    KGW_NEED_PASSWORD | KGW_NEED_TOTP);
	ck_assert_int_eq(kgw_zone_person(&c.zones, &site, "lab", PW | TOTP,
	    &rule), KGW_OK);
}
END_TEST

/* A section with no keys: multi-factor, same-zone logins. */
START_TEST(test_zone_defaults)
{
	struct kgw_conf c;

	parse_ok("[zone a]\n[zone b]\n", &c);
	ck_assert_uint_eq(c.zones.nzones, 2);
	ck_assert_uint_eq(c.zones.zone[0].factors,
	    KGW_NEED_PASSWORD | KGW_NEED_TOKEN);
	ck_assert_uint_eq(c.zones.zone[0].remote_from, 1u);
	ck_assert_uint_eq(c.zones.zone[1].remote_from, 2u);
	ck_assert(!c.zones.zone[1].console_only);
	/* Paper codes are opt-in; the helpdesk's code is taken. */
	ck_assert(!c.zones.zone[0].backup_codes);
	ck_assert(c.zones.zone[0].temp_codes);
	ck_assert_uint_eq(c.zones.nnetworks, 0);
	ck_assert_int_eq(c.zones.host_zone, KGW_ZONE_NONE);
	/* No zones at all is a configuration without zones. */
	parse_ok("issuer = Kakogawa\n", &c);
	ck_assert_uint_eq(c.zones.nzones, 0);
}
END_TEST

struct conf_error {
	const char *text;
	unsigned line;
	const char *says;	/* part of the message */
};

static const struct conf_error conf_errors[] = {
	/* Two zones' ranges overlap: whichever is larger, or first. */
	{ "[zone a]\nnetworks = 10.0.0.0/16\n[zone b]\n"
	    "networks = 10.1.0.0/16, 10.0.128.0/24\n", 4,
	    "range 10.0.128.0/24 overlaps 10.0.0.0/16 of zone a" },
	{ "[zone a]\nnetworks = 10.1.2.0/24\n\n[zone b]\n"
	    "networks = 10.0.0.0/8\n", 5, "overlaps 10.1.2.0/24 of zone a" },
	{ "[zone a]\nnetworks = 10.1.2.3\n[zone b]\nnetworks = 10.1.2.3/32\n",
	    4, "overlaps 10.1.2.3/32 of zone a" },
	{ "[zone a]\nnetworks = 10.0.0.0/8\n[zone b]\nnetworks = ::/0\n", 4,
	    "overlaps 10.0.0.0/8 of zone a" },
	{ "[zone a]\nnetworks = 10.0.0.0/8\n[zone b]\n"
	    "networks = ::ffff:10.9.0.0/112\n", 4, "of zone a" },
	{ "[zone a]\nnetworks = 2001:db8::/32\n[zone b]\n"
	    "networks = 2001:db8:ff::/48\n", 4, "of zone a" },
	{ "[zone a]\nnetworks = 10.1.0.0/16\n[zone b]\nnetworks = 10.2.0.0/16\n"
	    "[zone c]\nnetworks = 10.3.0.0/16 10.1.5.0/24\n", 6, "of zone a" },
	/* Ranges that are no ranges. */
	{ "[zone a]\nnetworks = 10.0.0.1/8\n", 2,
	    "invalid address range \"10.0.0.1/8\"" },
	{ "[zone a]\nnetworks = 10.0.0.0/8 10.0.0.0/33\n", 2,
	    "invalid address range \"10.0.0.0/33\"" },
	{ "[zone a]\nnetworks = intranet.kakogawa\n", 2,
	    "invalid address range" },
	{ "[zone a]\nnetworks = 10.0.0.0/8;10.1.0.0/16\n", 2,
	    "invalid address range" },
	{ "[zone a]\ngateways = 10.0.0.0/08\n", 2, "invalid address range" },
	{ "[zone a]\ngateways = fe80::1%eth0\n", 2, "invalid address range" },
	/* A gateway is a few servers, not a network. */
	{ "[zone a]\ngateways = 10.0.0.1 10.3.0.0/23\n", 2,
	    "gateway range 10.3.0.0/23 holds more than 256 addresses: list "
	    "the screen-transfer servers themselves (at least /24)" },
	{ "[zone a]\ngateways = 0.0.0.0/0\n", 2, "(at least /24)" },
	{ "[zone a]\ngateways = 2001:db8::/64\n", 2,
	    "gateway range 2001:db8::/64 holds more than 256 addresses" },
	{ "[zone a]\ngateways = ::/0\n", 2, "(at least /120)" },
	{ "[zone a]\ngateways = ::ffff:10.0.0.0/119\n", 2, "holds more" },
	{ "console_displays = maybe\n[zone a]\n", 1,
	    "console_displays must be yes or no" },
	{ "[zone a]\nuser_verification = always\n", 2,
	    "user_verification must be yes or no" },
	{ "[zone a]\nbackup_codes = 1\n", 2, "backup_codes must be yes or no" },
	{ "[zone a]\ntemp_codes = YES\n", 2, "temp_codes must be yes or no" },
	{ "[zone a]\nbackup_codes = yes\nbackup_codes = yes\n", 3,
	    "key set twice" },
	{ "backup_codes = yes\n[zone a]\n", 1, "unknown key" },
	{ "[zone a]\nremote_factors = totp\n", 2,
	    "factors must include password and a second factor" },
	{ "[zone a]\nremote_factors = password sms\n", 2,
	    "unknown factor \"sms\"" },
	{ "[zone a]\nremote_factors = password totp\n"
	    "remote_factors = password totp\n", 3, "key set twice" },
	/* A zone a rule names must exist. */
	{ "[zone a]\nremote_from = a b\n", 2,
	    "unknown zone \"b\" in remote_from" },
	{ "[zone a]\nremote_from = A\n", 2, "unknown zone \"A\"" },
	{ "[zone a]\nremote_from = ,\n", 2, "remote_from names no zone" },
	{ "host_zone = nowhere\n[zone a]\n", 1,
	    "unknown zone \"nowhere\" in host_zone" },
	{ "# no zones at all\nhost_zone = lgwan\n", 2, "in host_zone" },
	{ "host_zone = a\nhost_zone = a\n[zone a]\n", 2, "twice" },
	/* Section headers. */
	{ "[zone a]\n[zone b]\n\n[zone a]\n", 4, "zone a defined twice" },
	{ "[zone]\n", 1, "malformed section header" },
	{ "# x\n[zones x]\n", 2, "malformed section header" },
	{ "[zone a\n", 1, "malformed section header" },
	{ "[global]\n", 1, "malformed section header" },
	{ "[zone a] # the vault\n", 1, "malformed section header" },
	{ "[zone Bad]\n", 1, "malformed zone name" },
	{ "[zone ]\n", 1, "malformed zone name" },
	{ "[zone  a]\n", 1, "malformed zone name" },
	{ "[zone a b]\n", 1, "malformed zone name" },
	{ "[zone 1a]\n", 1, "malformed zone name" },
	{ "[zone a.b]\n", 1, "malformed zone name" },
	{ "[zone abcdefghijklmnopqrstuvwxyz0123456]\n", 1,	/* 33 bytes */
	    "malformed zone name" },
	/* Keys of a zone section. */
	{ "[zone a]\ncolour = blue\n", 2, "unknown key in a zone section" },
	{ "[zone a]\nstore = /x\n", 2, "unknown key in a zone section" },
	{ "[zone a]\nfactors = password totp\nfactors = password totp\n", 3,
	    "key set twice" },
	{ "[zone a]\nconsole_only = no\nnetworks = 10.1.0.0/16\n"
	    "console_only = no\n", 4, "key set twice" },
	{ "[zone a]\nnetworks = 10.1.0.0/16 # office\n", 2,
	    "a comment must be on a line of its own" },
	{ "[zone a]\nfactors = totp\n", 2, "must include password" },
	{ "[zone a]\nfactors = token fido2\n", 2, "must include password" },
	{ "[zone a]\nfactors = password\n", 2, "second factor" },
	{ "[zone a]\nfactors = password password\n", 2, "second factor" },
	{ "[zone a]\nfactors = password sms\n", 2, "unknown factor \"sms\"" },
	{ "[zone a]\nfactors = password TOTP\n", 2, "unknown factor" },
	{ "[zone a]\nconsole_only = true\n", 2, "yes or no" },
	{ "[zone a]\nconsole_only = Yes\n", 2, "yes or no" },
	{ "[zone a]\nconsole_only = yes no\n", 2, "yes or no" },
	{ "[zone a]\nnetworks =\n", 2, "empty value" },
};

/* Each error is KGW_ERR_CONFIG and logged at its file:line, saying why. */
START_TEST(test_conf_error)
{
	const struct conf_error *e = &conf_errors[_i];
	struct kgw_conf c;
	char where[64];
	int r = parse(e->text, &c);

	ck_assert_msg(r == KGW_ERR_CONFIG, "rc %d for \"%s\"", r, e->text);
	(void)snprintf(where, sizeof(where), "zones.conf:%u: ", e->line);
	ck_assert_msg(strncmp(logbuf, where, strlen(where)) == 0,
	    "log \"%s\" does not start with %s", logbuf, where);
	ck_assert_msg(strstr(logbuf, e->says) != NULL,
	    "log \"%s\" does not say \"%s\"", logbuf, e->says);
}
END_TEST

/* Sixteen sections, or seventeen. */
static void
many_zones(char *text, size_t len, unsigned n)
{
	size_t used = 0;
	unsigned i;

	text[0] = '\0';
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, len - used,
		    "[zone z%u]\n", i);
}

START_TEST(test_zones_max)
{
	struct kgw_conf c;
	char text[1024];

	many_zones(text, sizeof(text), KGW_ZONES_MAX);
	parse_ok(text, &c);
	ck_assert_uint_eq(c.zones.nzones, KGW_ZONES_MAX);
	many_zones(text, sizeof(text), KGW_ZONES_MAX + 1);
	ck_assert_int_eq(parse(text, &c), KGW_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(logbuf, "zones.conf:17: more than 16 zones"));
}
END_TEST

/* Both passes: a rule may name a zone defined further down. */
START_TEST(test_forward_reference)
{
	struct kgw_conf c;

	parse_ok("host_zone = b\n"
	    "[zone a]\n"
	    "remote_from = a b\n"
	    "[zone b]\n"
	    "remote_from = a\n", &c);
	ck_assert_int_eq(c.zones.host_zone, 1);
	ck_assert_uint_eq(c.zones.zone[0].remote_from, 3u);
	ck_assert_uint_eq(c.zones.zone[1].remote_from, 1u);
}
END_TEST

/* Ranges of one zone may overlap; adjacent ranges of two zones may meet. */
START_TEST(test_overlap_allowed)
{
	struct kgw_conf c;
	struct kgw_addr a;

	parse_ok("[zone a]\n"
	    "networks = 10.0.0.0/8 10.1.0.0/16 10.1.0.0/16 10.1.2.3\n"
	    "[zone b]\n"
	    "networks = 11.0.0.0/8, 192.168.1.0/25\n"
	    "[zone c]\n"
	    "networks = 192.168.1.128/25\n", &c);
	ck_assert_int_eq(kgw_addr_parse("10.1.2.3", &a), KGW_OK);
	ck_assert_int_eq(kgw_zone_of_addr(&c.zones, &a), 0);
	ck_assert_int_eq(kgw_addr_parse("10.200.0.1", &a), KGW_OK);
	ck_assert_int_eq(kgw_zone_of_addr(&c.zones, &a), 0);
	ck_assert_int_eq(kgw_addr_parse("192.168.1.127", &a), KGW_OK);
	ck_assert_int_eq(kgw_zone_of_addr(&c.zones, &a), 1);
	ck_assert_int_eq(kgw_addr_parse("192.168.1.128", &a), KGW_OK);
	ck_assert_int_eq(kgw_zone_of_addr(&c.zones, &a), 2);
	ck_assert_int_eq(kgw_addr_parse("12.0.0.1", &a), KGW_OK);
	ck_assert_int_eq(kgw_zone_of_addr(&c.zones, &a), KGW_ZONE_NONE);
}
END_TEST

/*
 * networks and gateways may repeat, each line adding ranges: a long list
 * fits in lines the parser accepts, and the formatter relies on it.
 */
START_TEST(test_ranges_repeat)
{
	static char text[32768], line[64];
	static struct kgw_conf c, again;
	struct kgw_addr a;
	size_t len;
	unsigned i;

	parse_ok("[zone a]\nnetworks = 10.1.0.0/16\ngateways = 10.9.0.1\n"
	    "networks = 10.2.0.0/16\ngateways = 10.9.0.2\n", &c);
	ck_assert_uint_eq(c.zones.nnetworks, 2);
	ck_assert_uint_eq(c.zones.ngateways, 2);
	ck_assert_int_eq(kgw_addr_parse("10.2.3.4", &a), KGW_OK);
	ck_assert_int_eq(kgw_zone_of_addr(&c.zones, &a), 0);
	/* The widest gateway ranges: 256 addresses. */
	parse_ok("[zone a]\ngateways = 10.9.0.0/24 2001:db8::/120\n", &c);
	ck_assert_uint_eq(c.zones.ngateways, 2);
	/* 200 single hosts: more than one configuration line can hold. */
	len = (size_t)snprintf(text, sizeof(text), "[zone a]\nnetworks =");
	for (i = 0; i < 200; i++) {
		(void)snprintf(line, sizeof(line), " 10.0.%u.%u", i / 100,
		    i % 100);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s",
		    line, i % 50 == 49 ? "\nnetworks =" : "");
	}
	(void)snprintf(text + len, sizeof(text) - len, " 10.5.0.0/16\n");
	parse_ok(text, &c);
	ck_assert_uint_eq(c.zones.nnetworks, 201);
	ck_assert_int_eq(kgw_conf_format(&c, text, sizeof(text)), KGW_OK);
	parse_ok(text, &again);
	ck_assert_uint_eq(again.zones.nnetworks, 201);
}
END_TEST

/* A 32-byte name is the longest. */
START_TEST(test_zone_name_max)
{
	struct kgw_conf c;

	parse_ok("[zone abcdefghijklmnopqrstuvwxyz012345]\n", &c);
	ck_assert_str_eq(c.zones.zone[0].name,
	    "abcdefghijklmnopqrstuvwxyz012345");
	parse_ok("[zone a-b_c9]\n", &c);
	ck_assert_str_eq(c.zones.zone[0].name, "a-b_c9");
}
END_TEST

static struct kgw_addr
addr_of(const char *text)
{
	struct kgw_addr a;

	ck_assert_msg(kgw_addr_parse(text, &a) == KGW_OK, "addr %s", text);
	return a;
}

struct host_case {
	const char *addrs[4];	/* up to the first NULL */
	int rc;
	const char *zone;	/* the label of *host */
	int seen[2];		/* the addresses named; -1: none */
};

static const struct host_case host_cases[] = {
	{ { "10.1.2.3" }, KGW_OK, "mynumber", { 0, -1 } },
	{ { "127.0.0.1", "::1", "10.2.0.1" }, KGW_OK, "lgwan", { 2, -1 } },
	{ { "10.1.0.1", "2001:db8:1::1", "fe80::1" }, KGW_OK, "mynumber",
	    { 0, -1 } },
	{ { "::ffff:10.3.0.7" }, KGW_OK, "internet", { 0, -1 } },
	{ { NULL }, KGW_ERR_ZONE, "unknown", { -1, -1 } },
	{ { "127.0.0.1", "::1" }, KGW_ERR_ZONE, "unknown", { -1, -1 } },
	/* A gateway address is not a network of the zone listing it. */
	{ { "192.0.2.10" }, KGW_ERR_ZONE, "unknown", { -1, -1 } },
	/* A host bridging two separated networks has no zone. */
	{ { "10.1.0.1", "10.2.0.1" }, KGW_ERR_ZONE, "unknown", { 0, 1 } },
	{ { "10.2.0.1", "127.0.0.1", "2001:db8:3::1" }, KGW_ERR_ZONE,
	    "unknown", { 0, 2 } },
};

static void
host_from(const struct kgw_zones *z, const struct host_case *t)
{
	struct kgw_addr addrs[4];
	size_t n, seen[2] = { 12345, 12345 }, i;
	int host = 12345;

	for (n = 0; n < 4 && t->addrs[n] != NULL; n++)
		addrs[n] = addr_of(t->addrs[n]);
	ck_assert_int_eq(kgw_zone_host_from_addrs(z, addrs, n, &host, seen),
	    t->rc);
	ck_assert_str_eq(kgw_zone_label(z, host), t->zone);
	if (t->rc != KGW_OK)
		ck_assert_int_eq(host, KGW_ZONE_NONE);
	for (i = 0; i < 2; i++)
		ck_assert_uint_eq(seen[i], t->seen[i] < 0 ? n :
		    (size_t)t->seen[i]);
}

START_TEST(test_host_from_addrs)
{
	host_from(&city.zones, &host_cases[_i]);
}
END_TEST

/*
 * Loopback and link-local addresses are on every host: even listed in a
 * zone (as the starter configuration lists loopback), they place no host
 * there, and do not make a host of another zone a bridge.
 */
static const struct host_case local_cases[] = {
	{ { "127.0.0.1", "::1" }, KGW_ERR_ZONE, "unknown", { -1, -1 } },
	{ { "127.0.0.1", "10.1.0.1" }, KGW_OK, "mynumber", { 1, -1 } },
	{ { "fe80::1", "169.254.1.1", "10.2.3.4" }, KGW_OK, "lgwan",
	    { 2, -1 } },
	{ { "0.0.0.0", "::" }, KGW_ERR_ZONE, "unknown", { -1, -1 } },
	{ { "10.1.0.1", "fe80::1", "10.2.3.4" }, KGW_ERR_ZONE, "unknown",
	    { 0, 2 } },
};

START_TEST(test_host_local_addresses)
{
	struct kgw_conf c;

	parse_ok("[zone lgwan]\nnetworks = 127.0.0.0/8 ::1 fe80::/10 "
	    "169.254.0.0/16 10.2.0.0/16 0.0.0.0 ::\n"
	    "[zone mynumber]\nnetworks = 10.1.0.0/16\n", &c);
	host_from(&c.zones, &local_cases[_i]);
}
END_TEST

/* A configured host_zone wins: the interfaces are not even asked. */
START_TEST(test_host_configured)
{
	struct kgw_conf c;
	int host = 12345;

	parse_ok("host_zone = internet\n[zone lgwan]\n[zone internet]\n", &c);
	ck_assert_int_eq(kgw_zone_host(&c.zones, &test_log, &host), KGW_OK);
	ck_assert_int_eq(host, 1);
	ck_assert_str_eq(logbuf, "");
}
END_TEST

/* No configured zone holds a test machine's addresses (RFC 5737/3849). */
START_TEST(test_host_from_interfaces_none)
{
	struct kgw_conf c;
	int host = 12345;

	parse_ok("[zone a]\nnetworks = 203.0.113.0/24 2001:db8:ffff::/48\n",
	    &c);
	ck_assert_int_eq(kgw_zone_host(&c.zones, &test_log, &host),
	    KGW_ERR_ZONE);
	ck_assert_int_eq(host, KGW_ZONE_NONE);
	ck_assert_ptr_nonnull(strstr(logbuf, "host zone unknown"));
}
END_TEST

struct list_case {
	const char *in;
	const char *out;	/* NULL: KGW_ERR_INVALID */
};

static const struct list_case list_cases[] = {
	{ "lgwan", "lgwan" },
	{ "mynumber,lgwan", "lgwan,mynumber" },
	{ "internet; lgwan  mynumber", "internet,lgwan,mynumber" },
	{ "mynumber;internet", "internet,mynumber" },
	{ "\tlgwan\t,\t", "lgwan" },
	{ "lgwan,lgwan", "lgwan" },
	{ "lgwan , mynumber ; lgwan", "lgwan,mynumber" },
	{ "lgwan2 lgwan", "lgwan,lgwan2" },
	{ "a-b a_b a9", "a-b,a9,a_b" },		/* byte order */
	{ "", "" },
	{ " ,; \t", "" },
	{ "abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopqrstuvwxyz012345" },
	{ "p o n m l k j i h g f e d c b a a b", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p" },
	{ "a b c d e f g h i j k l m n o p q", NULL },	/* 17 zones */
	{ "Lgwan", NULL },
	{ "lgwan,LGWAN", NULL },
	{ "1zone", NULL },
	{ "_lgwan", NULL },
	{ "-lgwan", NULL },
	{ "lg.wan", NULL },
	{ "lg/wan", NULL },
	{ "lgwan:mynumber", NULL },
	{ "lgwan\nmynumber", NULL },
	{ "lgwan|mynumber", NULL },
	{ "l\xc3\xa9wan", NULL },
	{ "abcdefghijklmnopqrstuvwxyz0123456", NULL },	/* 33 bytes */
	{ "lgwan abcdefghijklmnopqrstuvwxyz0123456789abcdefghij", NULL },
};

START_TEST(test_list_normalize)
{
	const struct list_case *t = &list_cases[_i];
	char out[KGW_ZONE_LIST_MAX], again[KGW_ZONE_LIST_MAX];
	int r = kgw_zone_list_normalize(t->in, out, sizeof(out));

	if (t->out == NULL) {
		ck_assert_msg(r == KGW_ERR_INVALID, "accepted \"%s\"", t->in);
		return;
	}
	ck_assert_msg(r == KGW_OK, "refused \"%s\"", t->in);
	ck_assert_str_eq(out, t->out);
	/* What normalize writes is the stored form, and a fixed point. */
	ck_assert(kgw_zone_list_valid(out));
	ck_assert_int_eq(kgw_zone_list_normalize(out, again, sizeof(again)),
	    KGW_OK);
	ck_assert_str_eq(again, t->out);
}
END_TEST

START_TEST(test_list_normalize_limits)
{
	char out[KGW_ZONE_LIST_MAX];

	ck_assert_int_eq(kgw_zone_list_normalize(NULL, out, sizeof(out)),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_zone_list_normalize("lgwan", out, 0),
	    KGW_ERR_INVALID);
	/* "lgwan,mynumber" and its NUL need 15 bytes. */
	ck_assert_int_eq(kgw_zone_list_normalize("mynumber lgwan", out, 15),
	    KGW_OK);
	ck_assert_str_eq(out, "lgwan,mynumber");
	ck_assert_int_eq(kgw_zone_list_normalize("mynumber lgwan", out, 14),
	    KGW_ERR_INVALID);
	ck_assert_int_eq(kgw_zone_list_normalize("lgwan", out, 5),
	    KGW_ERR_INVALID);
}
END_TEST

/* The most a list may hold still fits its stored size. */
START_TEST(test_list_longest)
{
	char in[KGW_ZONE_LIST_MAX * 2], out[KGW_ZONE_LIST_MAX];
	char last[KGW_ZONE_NAME_MAX + 1];
	size_t used = 0;
	unsigned i;

	/* Sixteen names of 32 bytes, last first. */
	for (i = KGW_ZONES_MAX; i-- > 0;)
		used += (size_t)snprintf(in + used, sizeof(in) - used,
		    "z%031u ", i);
	ck_assert_int_eq(kgw_zone_list_normalize(in, out, sizeof(out)), KGW_OK);
	ck_assert_uint_eq(strlen(out), sizeof(out) - 1);
	ck_assert(kgw_zone_list_valid(out));
	(void)snprintf(last, sizeof(last), "z%031u", KGW_ZONES_MAX - 1);
	ck_assert_uint_eq(strlen(last), KGW_ZONE_NAME_MAX);
	ck_assert(kgw_zone_list_has(out, last));
	ck_assert_str_eq(out + strlen(out) - strlen(last), last);
}
END_TEST

struct valid_case {
	const char *list;
	bool valid;
};

/* Valid is only the stored form: sorted, unique, ',' alone. */
static const struct valid_case valid_cases[] = {
	{ "", true },
	{ "lgwan", true },
	{ "lgwan,mynumber", true },
	{ "internet,lgwan,mynumber", true },
	{ "mynumber,lgwan", false },
	{ "lgwan, mynumber", false },
	{ "lgwan;mynumber", false },
	{ "lgwan mynumber", false },
	{ "lgwan,lgwan", false },
	{ "lgwan,", false },
	{ ",lgwan", false },
	{ " lgwan", false },
	{ "LGWAN", false },
	{ "lgwan,,mynumber", false },
};

START_TEST(test_list_valid)
{
	ck_assert_msg(kgw_zone_list_valid(valid_cases[_i].list) ==
	    valid_cases[_i].valid, "\"%s\"", valid_cases[_i].list);
}
END_TEST

START_TEST(test_list_valid_limits)
{
	char list[KGW_ZONE_LIST_MAX * 2];

	ck_assert(!kgw_zone_list_valid(NULL));
	memset(list, 'a', sizeof(list) - 1);
	list[sizeof(list) - 1] = '\0';
	ck_assert(!kgw_zone_list_valid(list));
}
END_TEST

struct has_case {
	const char *list;
	const char *name;
	bool has;
};

static const struct has_case has_cases[] = {
	{ "lgwan", "lgwan", true },
	{ "lgwan,mynumber", "lgwan", true },
	{ "lgwan,mynumber", "mynumber", true },
	{ "internet,lgwan,mynumber", "lgwan", true },
	/* A name is whole: no prefix or suffix matches. */
	{ "lgwan2", "lgwan", false },
	{ "lgwan", "lgwan2", false },
	{ "internet,lgwan2,mynumber", "lgwan", false },
	{ "lgwan-old,mynumber", "lgwan", false },
	{ "a-lgwan", "lgwan", false },
	{ "internet,xlgwan", "lgwan", false },
	{ "mynumber", "my", false },
	{ "a-lgwan,lgwan", "lgwan", true },
	{ "", "lgwan", false },
	{ "lgwan", "", false },
	{ "", "", false },
};

START_TEST(test_list_has)
{
	const struct has_case *t = &has_cases[_i];

	ck_assert_msg(kgw_zone_list_has(t->list, t->name) == t->has,
	    "\"%s\" has \"%s\"", t->list, t->name);
}
END_TEST

START_TEST(test_factors_format)
{
	char out[64];

	ck_assert_int_eq(kgw_zone_factors_format(KGW_NEED_PASSWORD |
	    KGW_NEED_TOKEN, out, sizeof(out)), KGW_OK);
	ck_assert_str_eq(out, "password+token");
	ck_assert_int_eq(kgw_zone_factors_format(KGW_NEED_PASSWORD |
	    KGW_NEED_TOTP | KGW_NEED_FIDO2 | KGW_NEED_TOKEN, out, sizeof(out)),
	    KGW_OK);
	ck_assert_str_eq(out, "password+totp+fido2+token");
	ck_assert_int_eq(kgw_zone_factors_format(KGW_NEED_FIDO2, out,
	    sizeof(out)), KGW_OK);
	ck_assert_str_eq(out, "fido2");
	ck_assert_int_eq(kgw_zone_factors_format(0, out, sizeof(out)), KGW_OK);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(kgw_zone_factors_format(KGW_NEED_PASSWORD |
	    KGW_NEED_TOTP, out, sizeof("password+totp")), KGW_OK);
	ck_assert_int_ne(kgw_zone_factors_format(KGW_NEED_PASSWORD |
	    KGW_NEED_TOTP, out, sizeof("password+totp") - 1), KGW_OK);
	ck_assert_int_ne(kgw_zone_factors_format(KGW_NEED_TOTP, out, 0),
	    KGW_OK);
}
END_TEST

static void
assert_range_same(const struct kgw_zone_range *a,
    const struct kgw_zone_range *b)
{
	ck_assert_mem_eq(a->cidr.addr.b, b->cidr.addr.b, sizeof(a->cidr.addr.b));
	ck_assert_uint_eq(a->cidr.prefix, b->cidr.prefix);
	ck_assert_int_eq(a->cidr.v4, b->cidr.v4);
	ck_assert_uint_eq(a->zone, b->zone);
}

static void
assert_zones_same(const struct kgw_zones *a, const struct kgw_zones *b)
{
	unsigned i;

	ck_assert_uint_eq(a->nzones, b->nzones);
	for (i = 0; i < a->nzones; i++) {
		ck_assert_str_eq(a->zone[i].name, b->zone[i].name);
		ck_assert_uint_eq(a->zone[i].factors, b->zone[i].factors);
		ck_assert_uint_eq(a->zone[i].remote_from, b->zone[i].remote_from);
		ck_assert_int_eq(a->zone[i].console_only,
		    b->zone[i].console_only);
		ck_assert_uint_eq(a->zone[i].remote_factors,
		    b->zone[i].remote_factors);
		ck_assert_int_eq(a->zone[i].uv, b->zone[i].uv);
		ck_assert_int_eq(a->zone[i].backup_codes,
		    b->zone[i].backup_codes);
		ck_assert_int_eq(a->zone[i].temp_codes, b->zone[i].temp_codes);
	}
	ck_assert_uint_eq(a->nnetworks, b->nnetworks);
	for (i = 0; i < a->nnetworks; i++)
		assert_range_same(&a->network[i], &b->network[i]);
	ck_assert_uint_eq(a->ngateways, b->ngateways);
	for (i = 0; i < a->ngateways; i++)
		assert_range_same(&a->gateway[i], &b->gateway[i]);
	ck_assert_int_eq(a->host_zone, b->host_zone);
	ck_assert_int_eq(a->console_displays, b->console_displays);
}

static const char *const round_trips[] = {
	city_conf,
	"host_zone = lgwan\n"
	"[zone mynumber]\n"
	"networks = 10.1.0.0/16\n"
	"remote_from = lgwan\n"		/* not itself: forward reference */
	"[zone lgwan]\n"
	"networks = 10.2.0.0/16 ::ffff:10.9.0.0/112 2001:db8::/32\n"
	"gateways = 10.1.0.7 2001:db8:ffff::1\n"
	"factors = totp token password fido2\n"
	"console_only = no\n",
	"[zone only]\n",
	"[zone paper]\nbackup_codes = yes\ntemp_codes = no\n"
	"[zone helpdesk]\nbackup_codes = no\ntemp_codes = yes\n",
	"issuer = no zones\n",
	"console_displays = yes\n[zone only]\n",
};

/* What kgw_conf_format writes parses back to the same zones. */
START_TEST(test_format_round_trip)
{
	static char text[16384], again[16384];
	static struct kgw_conf a, b;

	parse_ok(round_trips[_i], &a);
	ck_assert_int_eq(kgw_conf_format(&a, text, sizeof(text)), KGW_OK);
	parse_ok(text, &b);
	assert_zones_same(&a.zones, &b.zones);
	ck_assert_int_eq(kgw_conf_format(&b, again, sizeof(again)), KGW_OK);
	ck_assert_str_eq(again, text);
}
END_TEST

/* The written text, as an operator would read it. */
START_TEST(test_format_text)
{
	char text[16384];

	ck_assert_int_eq(kgw_zone_conf_format(&city.zones, text, sizeof(text)),
	    KGW_OK);
	ck_assert_ptr_nonnull(strstr(text, "\n[zone lgwan]\n"
	    "networks = 10.2.0.0/16\n"
	    "gateways = 10.3.0.50/32 192.0.2.10/31\n"
	    "factors = password totp\n"
	    "remote_from = lgwan\n"
	    "console_only = no\n"));
	ck_assert_ptr_nonnull(strstr(text, "networks = 10.3.0.0/16 "
	    "2001:db8:3::/48\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n[zone vault]\n"));
	ck_assert_ptr_nonnull(strstr(text, "console_only = yes\n"));
	ck_assert_ptr_null(strstr(text, "host_zone"));
	/* Too small a buffer is an error, never a truncated file. */
	ck_assert_int_ne(kgw_zone_conf_format(&city.zones, text,
	    strlen(text)), KGW_OK);
	ck_assert_int_ne(kgw_zone_conf_format(&city.zones, text, 0), KGW_OK);
}
END_TEST

static Suite *
zone_suite(void)
{
	Suite *s = suite_create("zone");
	TCase *tc;

	tc = tcase_create("decision");
	tcase_add_checked_fixture(tc, city_setup, NULL);
	tcase_add_loop_test(tc, test_decision, 0, N(decisions));
	tcase_add_test(tc, test_host_index_out_of_range);
	tcase_add_test(tc, test_rhost_overlong);
	tcase_add_loop_test(tc, test_console_terminal, 0, N(terminals));
	tcase_add_test(tc, test_tty_overlong);
	tcase_add_test(tc, test_find_and_label);
	tcase_add_test(tc, test_city_parsed);
	tcase_add_test(tc, test_fido2_remote);
	suite_add_tcase(s, tc);

	tc = tcase_create("conf");
	tcase_add_test(tc, test_zone_defaults);
	tcase_add_loop_test(tc, test_conf_error, 0, N(conf_errors));
	tcase_add_test(tc, test_zones_max);
	tcase_add_test(tc, test_forward_reference);
	tcase_add_test(tc, test_overlap_allowed);
	tcase_add_test(tc, test_zone_name_max);
	tcase_add_test(tc, test_ranges_repeat);
	suite_add_tcase(s, tc);

	tc = tcase_create("host");
	tcase_add_checked_fixture(tc, city_setup, NULL);
	tcase_add_loop_test(tc, test_host_from_addrs, 0, N(host_cases));
	tcase_add_loop_test(tc, test_host_local_addresses, 0, N(local_cases));
	tcase_add_test(tc, test_host_configured);
	tcase_add_test(tc, test_host_from_interfaces_none);
	suite_add_tcase(s, tc);

	tc = tcase_create("list");
	tcase_add_loop_test(tc, test_list_normalize, 0, N(list_cases));
	tcase_add_test(tc, test_list_normalize_limits);
	tcase_add_test(tc, test_list_longest);
	tcase_add_loop_test(tc, test_list_valid, 0, N(valid_cases));
	tcase_add_test(tc, test_list_valid_limits);
	tcase_add_loop_test(tc, test_list_has, 0, N(has_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_checked_fixture(tc, city_setup, NULL);
	tcase_add_test(tc, test_factors_format);
	tcase_add_loop_test(tc, test_format_round_trip, 0, N(round_trips));
	tcase_add_test(tc, test_format_text);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(zone_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
