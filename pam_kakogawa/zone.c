/*
 * The zone decision: where a login comes from, which zone this host is in,
 * and whether that zone's policy lets this person in from there. Pure
 * functions of the parsed configuration, except kgw_zone_host, which asks
 * the kernel for the host's own addresses.
 */
#include <config.h>

#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "kgw_err.h"
#include "kgw_str.h"
#include "kgw_zone.h"

#define RHOST_MAX 256	/* longer is not an address: unknown */
#define TTY_MAX 256	/* longer is no terminal's name */

int
kgw_zone_find(const struct kgw_zones *z, const char *name)
{
	unsigned i;

	for (i = 0; i < z->nzones; i++)
		if (strcmp(z->zone[i].name, name) == 0)
			return (int)i;
	return KGW_ZONE_NONE;
}

const char *
kgw_zone_label(const struct kgw_zones *z, int zone)
{
	if (zone == KGW_SOURCE_CONSOLE)
		return "console";
	if (zone < 0 || (unsigned)zone >= z->nzones)
		return "unknown";
	return z->zone[zone].name;
}

int
kgw_zone_of_addr(const struct kgw_zones *z, const struct kgw_addr *addr)
{
	const struct kgw_zone_range *best = NULL;
	unsigned i;

	/* Ranges of different zones never overlap (zone_conf.c): the most
	 * specific match matters only within one zone, and costs nothing. */
	for (i = 0; i < z->nnetworks; i++)
		if (kgw_cidr_contains(&z->network[i].cidr, addr) &&
		    (best == NULL || z->network[i].cidr.prefix >
		    best->cidr.prefix))
			best = &z->network[i];
	return best != NULL ? (int)best->zone : KGW_ZONE_NONE;
}

int
kgw_zone_host_from_addrs(const struct kgw_zones *z,
    const struct kgw_addr *addrs, size_t naddrs, int *host, size_t seen[2])
{
	int found = KGW_ZONE_NONE, zone;
	size_t i;

	*host = KGW_ZONE_NONE;
	seen[0] = seen[1] = naddrs;
	for (i = 0; i < naddrs; i++) {
		/* Loopback is on every host: it places none. */
		if (kgw_addr_is_local(&addrs[i]) ||
		    (zone = kgw_zone_of_addr(z, &addrs[i])) == KGW_ZONE_NONE)
			continue;
		if (found == KGW_ZONE_NONE) {
			found = zone;
			seen[0] = i;
		} else if (found != zone) {
			seen[1] = i;
			return KGW_ERR_ZONE;	/* bridges two zones */
		}
	}
	if (found == KGW_ZONE_NONE)
		return KGW_ERR_ZONE;
	*host = found;
	return KGW_OK;
}

/* Copies an interface address, IPv4 mapped as kgw_addr keeps it. */
static bool
ifa_addr(const struct sockaddr *sa, struct kgw_addr *out)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		memcpy(out->b, mapped, sizeof(mapped));
		memcpy(out->b + sizeof(mapped), &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(out->b, &in6->sin6_addr, sizeof(out->b));
		return true;
	}
	return false;
}

#define HOST_ADDRS_MAX 256

/* Why the addresses place the host in no zone, for the log. */
static void
log_host_unknown(const struct kgw_zones *z, const struct kgw_log *log,
    const struct kgw_addr *addrs, size_t naddrs, const size_t seen[2])
{
	char a[KGW_ADDR_TEXT_MAX] = "?", b[KGW_ADDR_TEXT_MAX] = "?";

	if (seen[1] >= naddrs) {
		kgw_log_err(log, "host zone unknown: no address of this host "
		    "(loopback and link-local aside) is in a configured "
		    "zone's networks; set host_zone");
		return;
	}
	(void)kgw_addr_format(&addrs[seen[0]], a, sizeof(a));
	(void)kgw_addr_format(&addrs[seen[1]], b, sizeof(b));
	kgw_log_err(log, "host zone unknown: this host bridges two zones "
	    "(%s in %s, %s in %s); set host_zone", a,
	    kgw_zone_label(z, kgw_zone_of_addr(z, &addrs[seen[0]])), b,
	    kgw_zone_label(z, kgw_zone_of_addr(z, &addrs[seen[1]])));
}

int
kgw_zone_host(const struct kgw_zones *z, const struct kgw_log *log, int *host)
{
	struct kgw_addr addrs[HOST_ADDRS_MAX], one;
	struct ifaddrs *ifa = NULL, *i;
	size_t n = 0, seen[2];
	bool overflow = false;
	int r;

	*host = z->host_zone;
	if (z->host_zone != KGW_ZONE_NONE)
		return KGW_OK;
	if (getifaddrs(&ifa) != 0) {
		kgw_log_err(log, "host zone unknown: getifaddrs: %m");
		return KGW_ERR_ZONE;
	}
	for (i = ifa; i != NULL && !overflow; i = i->ifa_next) {
		if (!ifa_addr(i->ifa_addr, &one))
			continue;
		if (n == HOST_ADDRS_MAX)
			overflow = true;
		else
			addrs[n++] = one;
	}
	freeifaddrs(ifa);
	/* Unread addresses could bridge a zone: judge all or nothing. */
	if (overflow) {
		kgw_log_err(log, "host zone unknown: more than %d addresses "
		    "to judge; set host_zone", HOST_ADDRS_MAX);
		return KGW_ERR_ZONE;
	}
	if ((r = kgw_zone_host_from_addrs(z, addrs, n, host, seen)) != KGW_OK)
		log_host_unknown(z, log, addrs, n, seen);
	return r;
}

/* A gateway listed by the host's zone (the screen-transfer servers). */
static bool
is_gateway(const struct kgw_zones *z, int host, const struct kgw_addr *addr)
{
	unsigned i;

	for (i = 0; i < z->ngateways; i++)
		if ((int)z->gateway[i].zone == host &&
		    kgw_cidr_contains(&z->gateway[i].cidr, addr))
			return true;
	return false;
}

static int
site_deny(struct kgw_zone_site *site, const char *rule)
{
	site->rule = rule;
	return KGW_ERR_ZONE;
}

/* The n bytes at s are one to three decimal digits. */
static bool
digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 3)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * A terminal that is this machine's own keyboard and screen: the system
 * console or a virtual console (ttyN); a local X display (":0", ":1.0")
 * only when displays says so, since any user can start an X server (Xvnc,
 * viewed from anywhere) and some screen lockers name a display they do
 * not check. A pseudo-terminal (pts/N: su or sudo inside some session,
 * which may itself be remote) and a serial line (whose far end may be a
 * console server on any network) are not: nothing proves where their user
 * sits.
 */
static bool
tty_is_console(const char *tty, bool displays)
{
	size_t n;

	if (strncmp(tty, "/dev/", 5) == 0)
		tty += 5;
	if (strcmp(tty, "console") == 0)
		return true;
	if (strncmp(tty, "tty", 3) == 0)
		return digits(tty + 3, strlen(tty + 3));
	if (tty[0] != ':' || !displays)
		return false;
	tty++;
	n = strcspn(tty, ".");
	if (!digits(tty, n))
		return false;
	return tty[n] == '\0' || digits(tty + n + 1, strlen(tty + n + 1));
}

unsigned
kgw_zone_needs(const struct kgw_zones *z, const struct kgw_zone_site *site)
{
	const struct kgw_zone *hz;

	if (site->host < 0 || (unsigned)site->host >= z->nzones)
		return 0;
	hz = &z->zone[site->host];
	if (site->source != KGW_SOURCE_CONSOLE && hz->remote_factors != 0)
		return hz->remote_factors;
	return hz->factors;
}

/*
 * A security key answers only the machine it is plugged into: a remote
 * login that must present one can never succeed, so it is refused before
 * any question, and the log says which key to set.
 */
static int
remote_key_check(const struct kgw_zones *z, struct kgw_zone_site *site)
{
	if (kgw_zone_needs(z, site) & KGW_NEED_FIDO2)
		return site_deny(site, "fido2_remote");
	return KGW_OK;
}

int
kgw_zone_site(const struct kgw_zones *z, int host, const char *rhost,
    const char *tty, struct kgw_zone_site *site)
{
	const struct kgw_zone *hz;
	struct kgw_addr addr;

	bool has_tty = tty != NULL && tty[0] != '\0';
	bool numeric = rhost != NULL && strnlen(rhost, RHOST_MAX) < RHOST_MAX &&
	    kgw_addr_parse(rhost, &addr) == KGW_OK;

	/* The source first, so that every refusal's log line names it. */
	memset(site, 0, sizeof(*site));
	site->host = host;
	site->source = KGW_ZONE_NONE;
	if (numeric)
		site->source = kgw_zone_of_addr(z, &addr);
	else if (rhost == NULL && has_tty && strnlen(tty, TTY_MAX) < TTY_MAX &&
	    tty_is_console(tty, z->console_displays))
		site->source = KGW_SOURCE_CONSOLE;
	if (host < 0 || (unsigned)host >= z->nzones)
		return site_deny(site, "host_zone_unknown");
	hz = &z->zone[host];
	if (rhost == NULL) {
		if (site->source == KGW_SOURCE_CONSOLE) {
			site->rule = "console";
			return KGW_OK;
		}
		if (!has_tty)
			return site_deny(site, "source_unknown");
		/*
		 * Another terminal (su in a session) shows nothing of where
		 * the person is. In a zone that takes no remote login, every
		 * session began at this machine; if the zone also requires a
		 * key plugged into it, su may go ahead. Elsewhere the session
		 * may be remote, and a touch only shows someone is at the key.
		 */
		if (!(hz->factors & KGW_NEED_FIDO2) || !hz->console_only)
			return site_deny(site, "tty_not_console");
		site->source = KGW_SOURCE_CONSOLE;
		site->rule = "local_key";
		return KGW_OK;
	}
	/* An empty PAM_RHOST is set, and says nothing: not an address. */
	if (!numeric)
		return site_deny(site, "rhost_not_address");
	if (hz->console_only)
		return site_deny(site, "console_only");
	if (is_gateway(z, host, &addr)) {
		site->gateway = true;
		site->rule = "gateway";
		return remote_key_check(z, site);
	}
	if (site->source == KGW_ZONE_NONE)
		return site_deny(site, "source_unknown");
	if (!(hz->remote_from & (1u << site->source)))
		return site_deny(site, "cross_zone");
	site->rule = site->source == host ? "same_zone" : "remote_from";
	return remote_key_check(z, site);
}

int
kgw_zone_person(const struct kgw_zones *z, const struct kgw_zone_site *site,
    const char *person_zones, unsigned have, const char **rule)
{
	return kgw_zone_person_need(z, site, person_zones, have,
	    kgw_zone_needs(z, site), rule);
}

int
kgw_zone_person_need(const struct kgw_zones *z,
    const struct kgw_zone_site *site, const char *person_zones,
    unsigned have, unsigned need, const char **rule)
{
	if (site->host < 0 || (unsigned)site->host >= z->nzones) {
		*rule = "host_zone_unknown";
		return KGW_ERR_ZONE;
	}
	if (person_zones == NULL ||
	    !kgw_zone_list_has(person_zones, z->zone[site->host].name)) {
		*rule = "not_authorised";
		return KGW_ERR_ZONE;
	}
	/* A key answers only the machine it is plugged into. */
	if (site->source != KGW_SOURCE_CONSOLE)
		have &= ~(unsigned)KGW_HAVE_FIDO2;
	*rule = "authorised";
	if ((need & KGW_NEED_TOTP) && !(have & KGW_HAVE_TOTP))
		*rule = "no_totp";
	else if ((need & KGW_NEED_FIDO2) && !(have & KGW_HAVE_FIDO2))
		*rule = "no_fido2";
	else if ((need & KGW_NEED_TOKEN) &&
	    !(have & (KGW_HAVE_TOTP | KGW_HAVE_FIDO2)))
		*rule = "no_token";
	else
		return KGW_OK;
	return KGW_ERR_NO_FACTOR;
}

int
kgw_zone_factors_format(unsigned mask, char *out, size_t outlen)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ KGW_NEED_PASSWORD, "password" },
		{ KGW_NEED_TOTP, "totp" },
		{ KGW_NEED_FIDO2, "fido2" },
		{ KGW_NEED_TOKEN, "token" },
	};
	size_t i, len = 0;

	if (outlen == 0)
		return KGW_ERR_INVALID;
	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(mask & names[i].bit))
			continue;
		if (len > 0 && kgw_strcopy(out + len, outlen - len, "+") !=
		    KGW_OK)
			return KGW_ERR_INVALID;
		len = strlen(out);
		if (kgw_strcopy(out + len, outlen - len, names[i].name) !=
		    KGW_OK)
			return KGW_ERR_INVALID;
		len = strlen(out);
	}
	return KGW_OK;
}
