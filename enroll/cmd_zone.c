/*
 * zones: the zones a person is authorised for, shown or changed; and the
 * zone names any command takes, checked against the configuration.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "enroll.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_str.h"
#include "kgw_zone.h"

enum {
	OPT_SET = OPT_CMD_BASE,
	OPT_ADD,
	OPT_REMOVE,
};

int
enroll_zone_list(const struct enroll *e, const char *text, char *out,
    size_t outlen)
{
	const struct kgw_zones *z = &e->conf.zones;
	char name[KGW_ZONE_NAME_MAX + 1];
	const char *p;
	size_t n;

	if (kgw_zone_list_normalize(text, out, outlen) != KGW_OK) {
		enroll_warn("invalid zone list \"%.64s\" (zone names are "
		    "[a-z][a-z0-9_-]*, at most %d)", text, KGW_ZONES_MAX);
		return KGW_ERR_INVALID;
	}
	for (p = out; *p != '\0'; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		memcpy(name, p, n);	/* normalized: n <= KGW_ZONE_NAME_MAX */
		name[n] = '\0';
		if (kgw_zone_find(z, name) == KGW_ZONE_NONE) {
			enroll_warn("unknown zone %s: %s defines no "
			    "[zone %s] section", name, e->config_abs, name);
			return KGW_ERR_INVALID;
		}
	}
	return KGW_OK;
}

/* The person's zones after --set, --add or --remove. */
static int
zones_after(const struct enroll *e, const char *now, int how,
    const char *arg, char *out, size_t outlen)
{
	char change[KGW_ZONE_LIST_MAX], joined[2 * KGW_ZONE_LIST_MAX + 2];
	char name[KGW_ZONE_NAME_MAX + 1];
	const char *p;
	size_t n;

	/* A zone gone from the configuration can still be taken away. */
	if ((how == OPT_REMOVE ? kgw_zone_list_normalize(arg, change,
	    sizeof(change)) : enroll_zone_list(e, arg, change,
	    sizeof(change))) != KGW_OK) {
		if (how == OPT_REMOVE)
			enroll_warn("invalid zone list \"%.64s\"", arg);
		return KGW_ERR_INVALID;
	}
	if (how == OPT_SET)
		return kgw_strcopy(out, outlen, change);
	if (how == OPT_ADD) {
		(void)snprintf(joined, sizeof(joined), "%s,%s", now, change);
		return kgw_zone_list_normalize(joined, out, outlen);
	}
	out[0] = '\0';
	for (p = now; *p != '\0'; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		memcpy(name, p, n);
		name[n] = '\0';
		if (kgw_zone_list_has(change, name))
			continue;
		if ((out[0] != '\0' && kgw_strcopy(out + strlen(out),
		    outlen - strlen(out), ",") != KGW_OK) ||
		    kgw_strcopy(out + strlen(out), outlen - strlen(out),
		    name) != KGW_OK)
			return KGW_ERR_INVALID;
	}
	return KGW_OK;
}

static void
print_zones(const struct enroll *e, const char *user, const char *zones)
{
	if (!e->json) {
		(void)printf("%s: %s\n", user, zones[0] != '\0' ? zones :
		    _("no zones (no login anywhere)"));
		return;
	}
	(void)fputs("{\"user\":", stdout);
	json_string(stdout, user);
	(void)fputs(",\"zones\":", stdout);
	json_zone_list(stdout, zones);
	(void)fputs("}\n", stdout);
}

/* The person's zones, read, changed and written back. */
static int
zones_rewrite(struct enroll *e, const char *user, int how, const char *arg,
    char *zones, size_t zoneslen)
{
	struct kgw_user_rec rec;
	int r;

	if ((r = kgw_store_get_user(e->store, user, &rec)) != KGW_OK) {
		enroll_store_error("cannot read", user, r);
		return r;
	}
	r = zones_after(e, rec.zones, how, arg, zones, zoneslen);
	explicit_bzero(&rec, sizeof(rec));
	if (r != KGW_OK)
		return r;	/* zones_after said why */
	if ((r = kgw_store_set_zones(e->store, user, zones,
	    e->operator_name)) != KGW_OK)
		enroll_store_error("cannot set the zones of", user, r);
	return r;
}

/*
 * One write transaction around the read and the write, so that two
 * helpdesk changes to one person made at once both count.
 */
static int
zones_change(struct enroll *e, const char *user, int how, const char *arg,
    char *zones, size_t zoneslen)
{
	int r;

	if ((r = kgw_store_batch_begin(e->store)) != KGW_OK) {
		enroll_store_error("cannot change the zones of", user, r);
		return r;
	}
	if ((r = zones_rewrite(e, user, how, arg, zones, zoneslen)) !=
	    KGW_OK) {
		(void)kgw_store_batch_end(e->store, false);
		return r;
	}
	if ((r = kgw_store_batch_end(e->store, true)) != KGW_OK)
		enroll_store_error("cannot set the zones of", user, r);
	return r;
}

static int
zones_show(struct enroll *e, const char *user)
{
	struct kgw_user_rec rec;
	int r;

	if ((r = kgw_store_get_user(e->store, user, &rec)) != KGW_OK)
		enroll_store_error("cannot read", user, r);
	else
		print_zones(e, user, rec.zones);
	explicit_bzero(&rec, sizeof(rec));
	return r;
}

int
cmd_zones(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, OPT_SET },
		{ "add", required_argument, NULL, OPT_ADD },
		{ "remove", required_argument, NULL, OPT_REMOVE },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	char zones[KGW_ZONE_LIST_MAX];
	const char *user, *arg = NULL;
	int ch, how = 0, r;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_SET || ch == OPT_ADD || ch == OPT_REMOVE) {
			if (how != 0)
				enroll_usage("zones: give one of --set, --add "
				    "and --remove");
			how = ch;
			arg = optarg;
		} else
			enroll_common_option(e, "zones", ch, argv);
	}
	user = enroll_user_arg(argc, argv, "zones");
	enroll_open(e);
	if (how == 0)
		r = zones_show(e, user);
	else if ((r = zones_change(e, user, how, arg, zones,
	    sizeof(zones))) == KGW_OK)
		print_zones(e, user, zones);
	enroll_close(e);
	return r == KGW_OK ? 0 : 1;
}
