/*
 * The zone model: the city's separated networks (mynumber, lgwan,
 * internet), the zone each source address and each host belongs to, and
 * each zone's login policy. The configuration (zone_conf.c) fills a
 * struct kgw_zones; the decision (zone.c) is a pure function of it, the
 * login's origin and the person, so the module and `kakogawa-enroll
 * zone-check` reach the same verdict for the same reason.
 */
#ifndef KGW_ZONE_H
#define KGW_ZONE_H

#include <stdbool.h>
#include <stddef.h>

#include "kgw_log.h"
#include "kgw_net.h"

#define KGW_ZONES_MAX 16
#define KGW_ZONE_NAME_MAX 32
#define KGW_NETWORKS_MAX 256
#define KGW_GATEWAYS_MAX 64
/* A person's zones as stored: names joined by ',' */
#define KGW_ZONE_LIST_MAX ((size_t)KGW_ZONES_MAX * (KGW_ZONE_NAME_MAX + 1))

#define KGW_ZONE_NONE (-1)	/* no zone: unknown source or host */
#define KGW_SOURCE_CONSOLE (-2)	/* no remote host, this machine's console */

/* Factors a zone requires; all of those set must be presented. */
enum kgw_need {
	KGW_NEED_PASSWORD = 0x1,
	KGW_NEED_TOTP = 0x2,
	KGW_NEED_FIDO2 = 0x4,
	KGW_NEED_TOKEN = 0x8,	/* any second factor: TOTP or FIDO2 */
};
#define KGW_NEED_SECOND (KGW_NEED_TOTP | KGW_NEED_FIDO2 | KGW_NEED_TOKEN)

/* What a person has enrolled (kgw_zone_person). */
enum kgw_have {
	KGW_HAVE_PASSWORD = 0x1,
	KGW_HAVE_TOTP = 0x2,
	KGW_HAVE_FIDO2 = 0x4,
};

struct kgw_zone {
	char name[KGW_ZONE_NAME_MAX + 1];
	unsigned factors;	/* KGW_NEED_* */
	unsigned remote_factors; /* for remote logins; 0: factors */
	bool uv;		/* security keys must verify the user */
	unsigned remote_from;	/* bit i: remote logins from zone i */
	bool console_only;	/* no remote login at all */
	bool backup_codes;	/* a backup code may stand in for a code */
	bool temp_codes;	/* so may a helpdesk's temporary code */
};

struct kgw_zone_range {
	struct kgw_cidr cidr;
	unsigned zone;		/* network: its zone; gateway: the zone entered */
};

struct kgw_zones {
	struct kgw_zone zone[KGW_ZONES_MAX];
	unsigned nzones;
	struct kgw_zone_range network[KGW_NETWORKS_MAX];
	unsigned nnetworks;
	struct kgw_zone_range gateway[KGW_GATEWAYS_MAX];
	unsigned ngateways;
	int host_zone;		/* configured, or KGW_ZONE_NONE: derive it */
	bool console_displays;	/* a local X display (":0") is a console */
};

/* The part of the verdict that does not depend on the person. */
struct kgw_zone_site {
	int host;		/* zone index or KGW_ZONE_NONE */
	int source;		/* zone index, KGW_ZONE_NONE or KGW_SOURCE_CONSOLE */
	bool gateway;		/* admitted as a gateway of the host's zone */
	const char *rule;	/* log token of the rule that decided */
};

/* Zone names: [a-z][a-z0-9_-]*, at most KGW_ZONE_NAME_MAX bytes. */
bool kgw_zone_name_valid(const char *name);

/* The index of the zone called name, or KGW_ZONE_NONE. */
int kgw_zone_find(const struct kgw_zones *z, const char *name);

/* "mynumber", "console", "unknown": for logs and reports. */
const char *kgw_zone_label(const struct kgw_zones *z, int zone);

/*
 * The zone of addr: the most specific network range containing it, or
 * KGW_ZONE_NONE.
 */
int kgw_zone_of_addr(const struct kgw_zones *z, const struct kgw_addr *addr);

/*
 * The host's zone from its own addresses: the one zone they fall in.
 * Addresses in no zone are ignored, and so are loopback and link-local
 * ones (kgw_addr_is_local), which every host has. None, or several (a
 * host bridging separated networks), is KGW_ERR_ZONE with *host =
 * KGW_ZONE_NONE. seen[0] is the index of the first address that placed
 * the host, seen[1] that of one in another zone; naddrs where none.
 */
int kgw_zone_host_from_addrs(const struct kgw_zones *z,
    const struct kgw_addr *addrs, size_t naddrs, int *host, size_t seen[2]);

/*
 * The host's zone: as configured, else from getifaddrs(3). KGW_ERR_ZONE
 * (logged, with why: the addresses in two zones, or none in any) when it
 * cannot be determined, also when the host has more addresses than can be
 * judged.
 */
int kgw_zone_host(const struct kgw_zones *z, const struct kgw_log *log,
    int *host);

/*
 * Judges the login's origin on a host of zone host: rhost is PAM_RHOST
 * (NULL: unset), tty is PAM_TTY. No remote host and a console terminal
 * (console, ttyN; a local X display ":N" when z->console_displays) is a
 * console login. Any other terminal without a remote host (su in a
 * session) is refused, unless the zone takes no remote login and requires
 * a security key plugged into this machine (rule local_key). A remote
 * host must be a numeric address in a zone whose logins the host's zone
 * accepts, or one of its gateways; a host name (or "") is never resolved
 * and is refused.
 * Returns KGW_OK or KGW_ERR_ZONE; site->rule names the rule either way.
 */
int kgw_zone_site(const struct kgw_zones *z, int host, const char *rhost,
    const char *tty, struct kgw_zone_site *site);

/*
 * Judges the person on an allowed site: authorised for the host's zone
 * (person_zones, a stored list) and enrolled (have: KGW_HAVE_*) in every
 * second factor the zone requires that this site can present: a security
 * key counts at the console only. KGW_OK, or KGW_ERR_ZONE /
 * KGW_ERR_NO_FACTOR with *rule naming why.
 */
int kgw_zone_person(const struct kgw_zones *z, const struct kgw_zone_site *site,
    const char *person_zones, unsigned have, const char **rule);
/* The same, for the factors need (KGW_NEED_*: a role adds to the zone's). */
int kgw_zone_person_need(const struct kgw_zones *z,
    const struct kgw_zone_site *site, const char *person_zones,
    unsigned have, unsigned need, const char **rule);

/*
 * Reading the [zone NAME] sections (zone_conf.c, called by conf.c). Each
 * returns KGW_OK or KGW_ERR_CONFIG with why filled for the file:line
 * message. add registers a section (a first pass over the file, so that
 * rules may name zones defined further down); set applies one key of a
 * zone's section (seen: the keys already set there); host sets host_zone.
 */
void kgw_zone_conf_defaults(struct kgw_zones *z);
int kgw_zone_conf_add(struct kgw_zones *z, const char *name, char *why,
    size_t whylen);
int kgw_zone_conf_set(struct kgw_zones *z, unsigned zone, const char *key,
    char *value, unsigned *seen, char *why, size_t whylen);
int kgw_zone_conf_host(struct kgw_zones *z, const char *name, char *why,
    size_t whylen);
/*
 * The factor names of a list (password, totp, fido2, token) as a
 * KGW_NEED_* mask, 0 for none; an unknown name is KGW_ERR_CONFIG.
 */
int kgw_zone_factors_parse(char *value, unsigned *mask, char *why,
    size_t whylen);
/* Sets console_displays from "yes" or "no". */
int kgw_zone_conf_displays(struct kgw_zones *z, const char *value, char *why,
    size_t whylen);
/* Writes host_zone, console_displays and the sections as configuration text. */
int kgw_zone_conf_format(const struct kgw_zones *z, char *out, size_t outlen);

/*
 * The factors (KGW_NEED_*) a login on an allowed site must present: the
 * zone's factors at the console, its remote_factors (when set) from a
 * remote host. 0 when the site has no zone.
 */
unsigned kgw_zone_needs(const struct kgw_zones *z,
    const struct kgw_zone_site *site);

/* The factors names ("password+token") of mask, for logs and reports. */
int kgw_zone_factors_format(unsigned mask, char *out, size_t outlen);

/*
 * A person's zones. normalize accepts names separated by ',', ';' or
 * spaces, checks each, drops repeats and sorts: the stored form. "" is the
 * empty set. KGW_ERR_INVALID for a malformed name or more than
 * KGW_ZONES_MAX names.
 */
int kgw_zone_list_normalize(const char *in, char *out, size_t outlen);
bool kgw_zone_list_valid(const char *list);
bool kgw_zone_list_has(const char *list, const char *name);

#endif
