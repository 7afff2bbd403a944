/*
 * zone-check: the helpdesk's first tool when someone cannot log in. It
 * reaches the verdict the module would, through the same core calls
 * (kgw_login_begin, kgw_login_site, kgw_login_account), and explains it.
 * Nothing is written: no failure counted, no code used.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "enroll.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_login.h"
#include "kgw_zone.h"

enum {
	OPT_RHOST = OPT_CMD_BASE,
	OPT_HOST_ZONE,
	OPT_TTY,
};

/* What each rule means, for the person at the helpdesk. */
static const struct {
	const char *rule;
	const char *text;
} rule_texts[] = {
	{ "console", N_("a console login (no remote host)") },
	{ "local_key", N_("a local login on another terminal (su), in a zone "
	    "whose security key shows the person is at this machine") },
	{ "same_zone", N_("a remote login from the host's own zone") },
	{ "remote_from", N_("a remote login from a zone in remote_from") },
	{ "gateway", N_("a remote login from a gateway of the host's zone") },
	{ "host_zone_unknown", N_("this host's zone is unknown: set host_zone, "
	    "or give the host an address in one zone's networks") },
	{ "source_unknown", N_("the source address is in no zone's networks") },
	{ "tty_not_console", N_("no remote host, and the terminal is not this "
	    "machine's console (su or sudo in a session, a serial line)") },
	{ "rhost_not_address", N_("the remote host is not a numeric address "
	    "(names are never resolved; set UseDNS no in sshd_config)") },
	{ "console_only", N_("the host's zone accepts console logins only") },
	{ "fido2_remote", N_("the zone requires a security key, which a remote "
	    "login cannot present (set remote_factors for its remote "
	    "logins)") },
	{ "cross_zone", N_("the host's zone does not accept logins from the "
	    "source's zone (remote_from)") },
	{ "not_authorised", N_("the person is not authorised for the host's "
	    "zone (kakogawa-enroll zones USER --add ZONE)") },
	{ "no_totp", N_("the zone requires TOTP and none is enrolled") },
	{ "no_fido2", N_("the zone requires a FIDO2 key and none is enrolled") },
	{ "no_token", N_("the zone requires a second factor and none is "
	    "enrolled") },
};

static const char *
rule_text(const char *rule)
{
	size_t i;

	for (i = 0; i < sizeof(rule_texts) / sizeof(rule_texts[0]); i++)
		if (strcmp(rule_texts[i].rule, rule) == 0)
			return _(rule_texts[i].text);
	return "";
}

/* The person's role, and a temporary password the login will replace. */
static void
lifecycle_notes(const struct kgw_login *l, int r)
{
	if (kgw_login_has_record(l))
		(void)printf(_("role:       %s\n"), l->policy.role);
	if (r == KGW_OK && kgw_login_password_expired(l))
		(void)fputs(_("note:       the password is temporary: the "
		    "login will ask the person to change it\n"), stdout);
}

static void
print_text(const struct kgw_login *l, const char *user, const char *rhost,
    const char *tty, int r)
{
	const struct kgw_zones *z = &l->conf.zones;
	char factors[64] = "-";

	(void)kgw_zone_factors_format(kgw_login_needs(l), factors,
	    sizeof(factors));
	(void)printf(_("user:       %s (zones: %s)\n"), user,
	    l->rec.zones[0] != '\0' ? l->rec.zones : _("none"));
	(void)printf(z->host_zone != KGW_ZONE_NONE ? _("host zone:  %s\n") :
	    _("host zone:  %s (from this host's addresses)\n"),
	    kgw_zone_label(z, l->site.host));
	if (rhost != NULL)
		(void)printf(_("source:     %s (zone %s)\n"), rhost,
		    kgw_zone_label(z, l->site.source));
	else
		(void)printf(_("source:     terminal %s (%s)\n"), tty,
		    kgw_zone_label(z, l->site.source));
	(void)printf(_("required:   %s\n"), factors[0] != '\0' ? factors :
	    "-");
	(void)printf(_("enrolled:   password %s, totp %s, security keys %u\n"),
	    l->rec.pwhash[0] != '\0' ? "yes" : "no",
	    l->rec.totp_sealed_len > 0 ? "yes" : "no", l->rec.fido2_count);
	/* A recovery code may be what lets the person in (or not, here). */
	if (l->rec.backup_left > 0 || l->rec.temp_expires > l->begun)
		(void)printf(_("recovery:   backup codes %u, temporary code "
		    "%s; taken on this host: %s\n"), l->rec.backup_left,
		    l->rec.temp_expires > l->begun ? "yes" : "no",
		    kgw_login_recovery_ready(l) ? "yes" : "no");
	(void)printf(_("site:       %s: %s\n"), l->site.rule != NULL ?
	    l->site.rule : "-", l->site.rule != NULL ?
	    rule_text(l->site.rule) : "");
	(void)printf(_("verdict:    %s (reason %s)\n"), r == KGW_OK ? "allow" :
	    "deny", r == KGW_OK ? "ok" : l->reason);
	if (r == KGW_ERR_ZONE || r == KGW_ERR_NO_FACTOR)
		(void)printf(_("because:    %s\n"), rule_text(l->rule));
	else if (r != KGW_OK)
		(void)printf(_("because:    %s\n"), _(kgw_strerror(r)));
	if (r == KGW_OK && (kgw_login_needs(l) & KGW_NEED_PASSWORD) &&
	    l->rec.pwhash[0] == '\0')
		(void)fputs(_("note:       no password is set: a login that "
		    "asks for one will fail\n"), stdout);
	lifecycle_notes(l, r);
}

static void
print_json(const struct kgw_login *l, const char *user, const char *rhost,
    const char *tty, int r)
{
	const struct kgw_zones *z = &l->conf.zones;
	char factors[64] = "";

	(void)kgw_zone_factors_format(kgw_login_needs(l), factors,
	    sizeof(factors));
	(void)fputs("{\"user\":", stdout);
	json_string(stdout, user);
	(void)fputs(",\"rhost\":", stdout);
	if (rhost != NULL)
		json_string(stdout, rhost);
	else
		(void)fputs("null", stdout);
	(void)fputs(",\"tty\":", stdout);
	if (rhost == NULL)
		json_string(stdout, tty);
	else
		(void)fputs("null", stdout);
	(void)fputs(",\"host_zone\":", stdout);
	json_string(stdout, kgw_zone_label(z, l->site.host));
	(void)fputs(",\"source_zone\":", stdout);
	json_string(stdout, kgw_zone_label(z, l->site.source));
	(void)fputs(",\"factors\":", stdout);
	json_string(stdout, factors);
	(void)printf(",\"result\":\"%s\",\"reason\":", r == KGW_OK ? "allow" :
	    "deny");
	json_string(stdout, r == KGW_OK ? "ok" : l->reason);
	(void)fputs(",\"rule\":", stdout);
	json_string(stdout, l->rule);
	(void)fputs("}\n", stdout);
}

/* --host-zone: judge as a host of that zone would (another host's case). */
static int
force_host_zone(struct kgw_login *l, const char *name)
{
	int i;

	if ((i = kgw_zone_find(&l->conf.zones, name)) == KGW_ZONE_NONE) {
		enroll_warn("unknown zone %s in --host-zone", name);
		return KGW_ERR_INVALID;
	}
	l->conf.zones.host_zone = i;
	return KGW_OK;
}

int
cmd_zone_check(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rhost", required_argument, NULL, OPT_RHOST },
		{ "host-zone", required_argument, NULL, OPT_HOST_ZONE },
		{ "tty", required_argument, NULL, OPT_TTY },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *user, *rhost = NULL, *host_zone = NULL, *tty = NULL;
	struct kgw_login l;
	int ch, r;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_RHOST)
			rhost = optarg;
		else if (ch == OPT_HOST_ZONE)
			host_zone = optarg;
		else if (ch == OPT_TTY)
			tty = optarg;
		else
			enroll_common_option(e, "zone-check", ch, argv);
	}
	if (rhost != NULL && tty != NULL)
		enroll_usage("zone-check: give --rhost or --tty, not both");
	if (tty == NULL)
		tty = "console";
	user = enroll_user_arg(argc, argv, "zone-check");
	enroll_config_path(e);
	if ((r = kgw_login_begin(&l, &e->log, e->config_abs, user,
	    time(NULL))) != KGW_OK) {
		kgw_login_end(&l);
		enroll_warn("cannot judge: %s (the module denies every login "
		    "now)", kgw_strerror(r));
		return 3;	/* not a verdict: 1 means "deny" */
	}
	if (host_zone != NULL && force_host_zone(&l, host_zone) != KGW_OK) {
		kgw_login_end(&l);
		return 2;
	}
	/* No --rhost: a local login, on the console unless --tty says. */
	if ((r = kgw_login_site(&l, rhost, tty)) == KGW_OK)
		r = kgw_login_account(&l, time(NULL));
	if (e->json)
		print_json(&l, user, rhost, tty, r);
	else
		print_text(&l, user, rhost, tty, r);
	kgw_login_end(&l);
	return r == KGW_OK ? 0 : 1;
}
