/*
 * The account lifecycle subcommands: role (a stricter policy from a
 * [role] section) and expires (the date after which every login is
 * refused), and what add and passwd share with them: reading a role or a
 * date from the command line, and the password rules for a new password.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "enroll.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_pwpolicy.h"
#include "kgw_store.h"

/*
 * DATE is the last day the account works: it expires at the end of that
 * day (00:00 of the next) in the local time of this machine, which a
 * city's helpdesk and hosts share. "never" is 0.
 */
int
enroll_expiry_parse(const char *s, int64_t *out)
{
	struct tm tm, check;
	const char *end;
	time_t t;

	if (strcmp(s, "never") == 0) {
		*out = 0;
		return KGW_OK;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0' || tm.tm_year < 70 ||
	    tm.tm_year > 1100)
		return KGW_ERR_INVALID;
	/* strptime takes 2027-02-30: a day the calendar moves is no day. */
	check = tm;
	if (timegm(&check) == (time_t)-1 || check.tm_mday != tm.tm_mday ||
	    check.tm_mon != tm.tm_mon)
		return KGW_ERR_INVALID;
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1 || t <= 0)
		return KGW_ERR_INVALID;
	*out = (int64_t)t;
	return KGW_OK;
}

/* "2027-03-31" (the last day) for people; "never" for 0. */
void
enroll_expiry_format(int64_t expires, char *out, size_t outlen)
{
	time_t t = (time_t)expires - 1;
	struct tm tm;

	if (expires == 0)
		(void)snprintf(out, outlen, "never");
	else if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%d", &tm) == 0)
		(void)snprintf(out, outlen, "%" PRId64, expires);
}

/* A role of the configuration, or staff (stored as ""). */
int
enroll_role_arg(const struct enroll *e, const char *role, const char **out)
{
	if (strcmp(role, KGW_ROLE_DEFAULT) == 0) {
		*out = "";
		return KGW_OK;
	}
	if (!kgw_role_name_valid(role) ||
	    kgw_role_find(&e->conf.roles, role) < 0) {
		enroll_warn("unknown role %.40s: %s defines no [role %.40s] "
		    "section (staff is everyone's default)",
		    kgw_role_name_valid(role) ? role : "?", e->config_abs,
		    kgw_role_name_valid(role) ? role : "?");
		return KGW_ERR_INVALID;
	}
	*out = role;
	return KGW_OK;
}

/*
 * The password rules for a password the helpdesk sets for user, of role:
 * the same the module applies when the person changes it.
 */
int
enroll_password_rules(const struct enroll *e, const char *user,
    const char *role, const char *password)
{
	struct kgw_policy policy;
	struct kgw_pw_rules rules;
	char why[KGW_PW_WHY_MAX];
	const char *token = NULL;

	if (kgw_role_policy(&e->conf, role, &policy) != KGW_OK)
		(void)kgw_role_policy(&e->conf, NULL, &policy);
	memset(&rules, 0, sizeof(rules));
	rules.min_length = policy.password_min_length;
	rules.blocklist = e->conf.password_blocklist;
	rules.user = user;
	rules.issuer = e->conf.issuer;
	rules.lang = KGW_LANG_LOCALE;
	if (kgw_pw_check(&e->log, &rules, password, why, sizeof(why),
	    &token) == KGW_OK)
		return KGW_OK;
	enroll_warn("password refused: %s", why);
	return KGW_ERR_WEAK;
}

static void
role_print(const struct enroll *e, const char *user, const char *role)
{
	const char *name = role[0] != '\0' ? role : KGW_ROLE_DEFAULT;

	if (!e->json) {
		(void)printf("%s: %s\n", user, name);
		return;
	}
	(void)fputs("{\"user\":", stdout);
	json_string(stdout, user);
	(void)fputs(",\"role\":", stdout);
	json_string(stdout, name);
	(void)fputs("}\n", stdout);
}

/* role USER [ROLE]: shows the person's role, or sets it. */
int
cmd_role(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct kgw_user_rec rec;
	const char *user, *role = NULL;
	int ch, r, status = 1;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1)
		enroll_common_option(e, "role", ch, argv);
	if (argc - optind == 2)
		role = argv[--argc];
	user = enroll_user_arg(argc, argv, "role");
	enroll_open(e);
	if (role != NULL && enroll_role_arg(e, role, &role) != KGW_OK)
		goto out;
	if (role != NULL && (r = kgw_store_set_role(e->store, user, role,
	    e->operator_name)) != KGW_OK) {
		enroll_store_error("cannot set the role of", user, r);
		goto out;
	}
	if ((r = kgw_store_get_user(e->store, user, &rec)) != KGW_OK) {
		enroll_store_error("cannot show the role of", user, r);
		goto out;
	}
	role_print(e, user, rec.role);
	status = 0;
out:
	explicit_bzero(&rec, sizeof(rec));
	enroll_close(e);
	return status;
}

static void
expires_print(const struct enroll *e, const char *user, int64_t expires)
{
	char day[32];
	bool past = expires != 0 && (int64_t)time(NULL) >= expires;

	enroll_expiry_format(expires, day, sizeof(day));
	if (!e->json) {
		(void)printf(past ? _("%s: expires %s (expired)\n") :
		    _("%s: expires %s\n"), user, day);
		return;
	}
	(void)fputs("{\"user\":", stdout);
	json_string(stdout, user);
	if (expires == 0)
		(void)fputs(",\"expires\":null,\"expired\":false}\n", stdout);
	else
		(void)printf(",\"expires\":%" PRId64 ",\"expired\":%s}\n",
		    expires, past ? "true" : "false");
}

/* expires USER [DATE|never]: shows the person's expiry, or sets it. */
int
cmd_expires(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct kgw_user_rec rec;
	const char *user, *date = NULL;
	int64_t when = 0;
	int ch, r, status = 1;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1)
		enroll_common_option(e, "expires", ch, argv);
	if (argc - optind == 2)
		date = argv[--argc];
	user = enroll_user_arg(argc, argv, "expires");
	if (date != NULL && enroll_expiry_parse(date, &when) != KGW_OK)
		enroll_usage("expires: DATE is YYYY-MM-DD (the last day) or "
		    "never");
	enroll_open(e);
	if (date != NULL && (r = kgw_store_set_expires(e->store, user, when,
	    e->operator_name)) != KGW_OK) {
		enroll_store_error("cannot set the expiry of", user, r);
		goto out;
	}
	if ((r = kgw_store_get_user(e->store, user, &rec)) != KGW_OK) {
		enroll_store_error("cannot show the expiry of", user, r);
		goto out;
	}
	expires_print(e, user, rec.expires);
	status = 0;
out:
	explicit_bzero(&rec, sizeof(rec));
	enroll_close(e);
	return status;
}
