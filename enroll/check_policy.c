/*
 * The host's files, the policy the configuration and the store put in
 * force, and the clock TOTP depends on.
 */
#include <config.h>

#include <sys/timex.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "kgw_err.h"
#include "kgw_path.h"

static bool
unsafe(const char *path, int flags)
{
	return kgw_path_check_file(NULL, path, flags) != KGW_OK;
}

/* One sentence per file, so that each reads whole in every language. */
void
check_files(struct check *c)
{
	const struct enroll *e = c->e;
	char text[CHECK_TEXT_MAX];

	if (unsafe(e->config_abs, 0)) {
		(void)snprintf(text, sizeof(text), _("the configuration %s (or "
		    "a directory above it) is missing, a symbolic link, or "
		    "writable or owned by someone it should not be: the module "
		    "refuses every login"), e->config_abs);
		check_add(c, CHECK_CRITICAL, "files.configuration",
		    CLAUSE_ACCESS, text);
	}
	if (unsafe(e->conf.key, KGW_PATH_PRIVATE)) {
		(void)snprintf(text, sizeof(text), _("the key %s (or a "
		    "directory above it) is missing, a symbolic link, or "
		    "writable or owned by someone it should not be: the module "
		    "refuses every login"), e->conf.key);
		check_add(c, CHECK_CRITICAL, "files.key", CLAUSE_ACCESS, text);
	}
	if (unsafe(e->conf.store, KGW_PATH_PRIVATE)) {
		(void)snprintf(text, sizeof(text), _("the store %s (or a "
		    "directory above it) is missing, a symbolic link, or "
		    "writable or owned by someone it should not be: the module "
		    "refuses every login"), e->conf.store);
		check_add(c, CHECK_CRITICAL, "files.store", CLAUSE_ACCESS,
		    text);
	}
}

/* What the policy looks at in each person. */
struct people {
	struct check *c;
	const struct kgw_zones *z;
	int64_t now, unused;	/* unused: seconds without a login */
	struct last *last;
	size_t nlast;
};

/* A person's last allowed login, from the audit trail. */
struct last {
	char user[KGW_AUDIT_FIELD_MAX + 1];
	int64_t time;
};

static int
last_cb(void *arg, const struct kgw_audit_rec *r)
{
	struct people *p = arg;
	size_t i;

	if (strcmp(r->field[KGW_AF_RESULT], "allow") != 0)
		return 0;
	for (i = 0; i < p->nlast; i++)
		if (strcmp(p->last[i].user, r->field[KGW_AF_USER]) == 0) {
			p->last[i].time = r->time;
			return 0;
		}
	if ((p->last = reallocarray(p->last, p->nlast + 1,
	    sizeof(*p->last))) == NULL)
		enroll_die("out of memory");
	(void)snprintf(p->last[p->nlast].user, sizeof(p->last[0].user), "%s",
	    r->field[KGW_AF_USER]);
	p->last[p->nlast++].time = r->time;
	return 0;
}

static int64_t
last_login(const struct people *p, const char *user)
{
	size_t i;

	for (i = 0; i < p->nlast; i++)
		if (strcmp(p->last[i].user, user) == 0)
			return p->last[i].time;
	return 0;
}

/* Someone who may enter a zone that asks for a key, and has none. */
static void
person_factors(struct people *p, const struct kgw_user_rec *u)
{
	char id[96], text[CHECK_TEXT_MAX];
	bool second = u->totp_sealed_len > 0 || u->fido2_count > 0;
	unsigned i;

	for (i = 0; i < p->z->nzones; i++) {
		const struct kgw_zone *zone = &p->z->zone[i];
		bool keyed = (zone->factors & KGW_NEED_FIDO2) ||
		    strcmp(zone->name, "mynumber") == 0;

		if (!kgw_zone_list_has(u->zones, zone->name))
			continue;
		if (!second) {
			(void)snprintf(id, sizeof(id), "policy.no_second.%s",
			    u->name);
			/* TRANSLATORS: the person, then the zone. */
			(void)snprintf(text, sizeof(text), _("%s may log in to "
			    "%s and has no second factor enrolled"), u->name,
			    zone->name);
			check_add(p->c, CHECK_CRITICAL, id, CLAUSE_MFA, text);
		} else if (keyed && u->fido2_count == 0) {
			(void)snprintf(id, sizeof(id), "policy.no_key.%s",
			    u->name);
			/* TRANSLATORS: the person, then the zone. */
			(void)snprintf(text, sizeof(text), _("%s may log in to "
			    "%s and has no security key (FIDO2)"), u->name,
			    zone->name);
			check_add(p->c, CHECK_WARNING, id, CLAUSE_MFA, text);
		}
	}
}

static void
person_state(struct people *p, const struct kgw_user_rec *u)
{
	char id[96], text[CHECK_TEXT_MAX];
	int64_t last = last_login(p, u->name), since;
	unsigned days = p->c->unused_days;

	since = last != 0 ? last : u->created;
	if (!u->disabled && p->unused > 0 && p->now - since > p->unused) {
		(void)snprintf(id, sizeof(id), "policy.unused.%s", u->name);
		if (last != 0)
			(void)snprintf(text, sizeof(text), dngettext(PACKAGE,
			    "%s has not logged in for more than %u day: "
			    "disable the account if it is not used",
			    "%s has not logged in for more than %u days: "
			    "disable the account if it is not used", days),
			    u->name, days);
		else
			(void)snprintf(text, sizeof(text), dngettext(PACKAGE,
			    "%s has not logged in for more than %u day "
			    "(never): disable the account if it is not used",
			    "%s has not logged in for more than %u days "
			    "(never): disable the account if it is not used",
			    days), u->name, days);
		check_add(p->c, CHECK_WARNING, id, CLAUSE_ACCESS, text);
	}
	if (kgw_user_locked(u, p->now)) {
		(void)snprintf(id, sizeof(id), "policy.locked.%s", u->name);
		(void)snprintf(text, sizeof(text), dngettext(PACKAGE,
		    "%s is locked after %u failure",
		    "%s is locked after %u failures", u->fail_count), u->name,
		    u->fail_count);
		check_add(p->c, CHECK_INFO, id, CLAUSE_OPERATION, text);
	}
}

static int
person_cb(void *arg, const struct kgw_user_rec *u)
{
	struct people *p = arg;

	if (!u->disabled)
		person_factors(p, u);
	person_state(p, u);
	return 0;
}

/* Keys flagged as possible clones, from the store. */
static void
flagged_keys(struct check *c, const struct kgw_user_rec *u)
{
	char id[96], text[CHECK_TEXT_MAX];
	struct kgw_fido2_rec *k;
	size_t n = 0, i;

	if ((k = calloc(KGW_FIDO2_CREDS_MAX, sizeof(*k))) == NULL)
		enroll_die("out of memory");
	if (kgw_store_fido2_list(c->e->store, u->name, k, KGW_FIDO2_CREDS_MAX,
	    &n) == KGW_OK)
		for (i = 0; i < n; i++) {
			if (!k[i].flagged)
				continue;
			(void)snprintf(id, sizeof(id), "policy.key_flagged.%s.%s",
			    u->name, k[i].label);
			/* TRANSLATORS: the key's label, then its owner. */
			(void)snprintf(text, sizeof(text), _("the security key "
			    "%s of %s is flagged as a possible clone"),
			    k[i].label, u->name);
			check_add(c, CHECK_WARNING, id, CLAUSE_ACCESS, text);
		}
	free(k);
}

static int
keys_cb(void *arg, const struct kgw_user_rec *u)
{
	flagged_keys(arg, u);
	return 0;
}

static void
host_zone(struct check *c)
{
	int host;

	if (kgw_zone_host(&c->e->conf.zones, &c->e->log, &host) == KGW_OK)
		return;
	check_add(c, CHECK_CRITICAL, "policy.host_zone", CLAUSE_SEPARATION,
	    _("this host's zone cannot be told (set host_zone): every login "
	    "is refused"));
}

void
check_policy(struct check *c)
{
	struct people p;

	host_zone(c);
	/* The rest trusts the trail: it must verify first. */
	if (!enroll_audit_intact(c->e)) {
		check_add(c, CHECK_CRITICAL, "audit.tampered", CLAUSE_AUDIT,
		    _("the audit trail does not verify (run kakogawa-enroll "
		    "audit verify); the rest of the policy was not inspected"));
		return;
	}
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.z = &c->e->conf.zones;
	p.now = (int64_t)time(NULL);
	p.unused = (int64_t)c->unused_days * 86400;
	if (kgw_store_audit_list(c->e->store, 0, last_cb, &p) != KGW_OK ||
	    kgw_store_list(c->e->store, person_cb, &p) != KGW_OK ||
	    kgw_store_list(c->e->store, keys_cb, c) != KGW_OK)
		check_add(c, CHECK_CRITICAL, "policy.store", CLAUSE_AUDIT,
		    _("the store or its audit trail cannot be read"));
	free(p.last);
}

/* TOTP needs the time: is the kernel's clock kept by NTP? */
void
check_clock(struct check *c)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));
	state = adjtimex(&tx);
	if (state == -1)
		check_add(c, CHECK_WARNING, "clock.unknown", CLAUSE_OPERATION,
		    _("cannot tell whether the clock is synchronised: TOTP "
		    "codes depend on it"));
	else if (state == TIME_ERROR || (tx.status & STA_UNSYNC))
		check_add(c, CHECK_WARNING, "clock.unsynchronised",
		    CLAUSE_OPERATION, _("the clock is not synchronised (NTP): "
		    "TOTP codes drift out of their window"));
}
