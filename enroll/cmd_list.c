/*
 * list and show: what the store holds about people, for the helpdesk or,
 * with --json, for scripts. Output is built in memory and written only
 * when the store was read whole, so a script never parses half a list.
 */
#include <config.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enroll.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_store.h"
#include "kgw_totp.h"

struct out {
	FILE *f;		/* in-memory stream */
	char *buf;
	size_t len;
	bool json;
	bool first;		/* no element printed yet */
	time_t now;
};

static void
out_open(struct out *o, bool json)
{
	memset(o, 0, sizeof(*o));
	if ((o->f = open_memstream(&o->buf, &o->len)) == NULL)
		enroll_die("out of memory");
	o->json = json;
	o->first = true;
	o->now = time(NULL);
}

/* Writes what was built when ok; returns the exit status. */
static int
out_close(struct out *o, bool ok)
{
	if (fclose(o->f) != 0)
		enroll_die("out of memory");
	if (ok)
		(void)fwrite(o->buf, 1, o->len, stdout);
	free(o->buf);
	return ok ? 0 : 1;
}

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

static const char *
json_bool(bool b)
{
	return b ? "true" : "false";
}

static const char *
alg_name(const struct kgw_user_rec *rec)
{
	const char *name = kgw_totp_alg_name(rec->totp_alg);

	return name != NULL ? name : "unknown";
}

/* Store text shown to people: nothing that could steer the terminal. */
static void
print_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		(void)fputc((unsigned char)*s < 0x20 ||
		    (unsigned char)*s >= 0x7f ? '?' : *s, f);
}

static void
format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		(void)snprintf(buf, len, "%" PRId64, t);
}

static bool
expired(const struct out *o, const struct kgw_user_rec *rec)
{
	return rec->expires != 0 && (int64_t)o->now >= rec->expires;
}

/* Role, expiry, a temporary password, the last login: JSON fields. */
static void
lifecycle_json(const struct out *o, const struct kgw_user_rec *rec)
{
	(void)fputs(",\"role\":", o->f);
	json_string(o->f, rec->role[0] != '\0' ? rec->role : KGW_ROLE_DEFAULT);
	if (rec->expires != 0)
		(void)fprintf(o->f, ",\"expires\":%" PRId64, rec->expires);
	else
		(void)fputs(",\"expires\":null", o->f);
	(void)fprintf(o->f, ",\"expired\":%s,\"password_temporary\":%s",
	    json_bool(expired(o, rec)), json_bool(rec->pw_temporary &&
	    rec->pwhash[0] != '\0'));
	if (rec->last_login != 0) {
		(void)fprintf(o->f, ",\"last_login\":%" PRId64
		    ",\"last_from\":", rec->last_login);
		json_string(o->f, rec->last_from);
	} else
		(void)fputs(",\"last_login\":null,\"last_from\":null", o->f);
	(void)fprintf(o->f, ",\"failures_since\":%u", rec->fails_since);
}

/* What recovery keeps about a person: pending TOTP, codes left. */
static void
recovery_json(const struct out *o, const struct kgw_user_rec *rec)
{
	(void)fprintf(o->f, ",\"totp_pending\":%s,\"backup_codes\":%u,"
	    "\"temp_code\":", json_bool(rec->totp_pending), rec->backup_left);
	if (rec->temp_expires > o->now)
		(void)fprintf(o->f, "%" PRId64, rec->temp_expires);
	else
		(void)fputs("null", o->f);
}

static void
recovery_text(const struct out *o, const struct kgw_user_rec *rec)
{
	char t[64];

	if (rec->totp_sealed_len > 0 && rec->totp_drift != 0)
		(void)fprintf(o->f, _("clock:    the token runs %+" PRId64
		    " steps (%+" PRId64 " s) off\n"), rec->totp_drift,
		    rec->totp_drift * KGW_TOTP_STEP);
	if (rec->totp_pending)
		(void)fputs(_("pending:  a new TOTP waits for a code from its "
		    "device (totp USER --confirm)\n"), o->f);
	(void)fprintf(o->f, _("backup:   %u codes left\n"), rec->backup_left);
	if (rec->temp_expires > o->now) {
		format_time(rec->temp_expires, t, sizeof(t));
		(void)fprintf(o->f, _("temp:     a code, unused, until %s\n"), t);
	}
}

/* The fields of one user as a JSON object, left open for "changes". */
static void
user_json(const struct out *o, const struct kgw_user_rec *rec)
{
	bool locked = kgw_user_locked(rec, o->now);

	(void)fputs("{\"user\":", o->f);
	json_string(o->f, rec->name);
	(void)fprintf(o->f, ",\"disabled\":%s,\"locked\":%s,\"locked_until\":",
	    json_bool(rec->disabled), json_bool(locked));
	/* null also when locked until the helpdesk unlocks */
	if (locked && rec->locked_until != KGW_LOCK_FOREVER)
		(void)fprintf(o->f, "%" PRId64, rec->locked_until);
	else
		(void)fputs("null", o->f);
	(void)fprintf(o->f, ",\"failures\":%u,\"password\":%s,\"totp\":",
	    rec->fail_count, json_bool(rec->pwhash[0] != '\0'));
	if (rec->totp_sealed_len > 0)
		(void)fprintf(o->f, "{\"algorithm\":\"%s\",\"digits\":%u,"
		    "\"offset\":%" PRId64 "}", alg_name(rec), rec->totp_digits,
		    rec->totp_drift);
	else
		(void)fputs("null", o->f);
	(void)fputs(",\"zones\":", o->f);
	json_zone_list(o->f, rec->zones);
	(void)fprintf(o->f, ",\"fido2_keys\":%u,\"created\":%" PRId64
	    ",\"updated\":%" PRId64, rec->fido2_count, rec->created,
	    rec->updated);
	lifecycle_json(o, rec);
	recovery_json(o, rec);
}

/* One line per user, key=value, for people and grep alike. */
static void
user_line(const struct out *o, const struct kgw_user_rec *rec)
{
	char totp[32] = "-", day[32];

	if (rec->totp_sealed_len > 0)
		(void)snprintf(totp, sizeof(totp), "%s/%u", alg_name(rec),
		    rec->totp_digits);
	enroll_expiry_format(rec->expires, day, sizeof(day));
	(void)fprintf(o->f, "%s password=%s totp=%s fido2=%u zones=%s "
	    "disabled=%s locked=%s failures=%u role=%s expires=%s "
	    "expired=%s\n", rec->name,
	    rec->pwhash[0] == '\0' ? "no" : rec->pw_temporary ? "temporary" :
	    "yes", totp, rec->fido2_count,
	    rec->zones[0] != '\0' ? rec->zones : "-", yes_no(rec->disabled),
	    yes_no(kgw_user_locked(rec, o->now)), rec->fail_count,
	    rec->role[0] != '\0' ? rec->role : KGW_ROLE_DEFAULT, day,
	    yes_no(expired(o, rec)));
}

static int
list_cb(void *arg, const struct kgw_user_rec *rec)
{
	struct out *o = arg;

	if (!o->json) {
		user_line(o, rec);
		return 0;
	}
	(void)fputs(o->first ? "[" : ",", o->f);
	o->first = false;
	user_json(o, rec);
	(void)fputc('}', o->f);
	return 0;
}

int
cmd_list(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct out o;
	int ch, r;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1)
		enroll_common_option(e, "list", ch, argv);
	if (optind < argc)
		enroll_usage("list: too many arguments (see --help)");
	enroll_open(e);
	out_open(&o, e->json);
	r = kgw_store_list(e->store, list_cb, &o);
	if (o.json)
		(void)fputs(o.first ? "[]\n" : "]\n", o.f);
	enroll_close(e);
	if (r != KGW_OK)
		enroll_warn("cannot list the store: %s", kgw_strerror(r));
	return out_close(&o, r == KGW_OK);
}

/* Role, expiry, a temporary password and the last login, for people. */
static void
lifecycle_text(const struct out *o, const struct kgw_user_rec *rec)
{
	char t[64];

	(void)fprintf(o->f, _("role:     %s\n"), rec->role[0] != '\0' ?
	    rec->role : KGW_ROLE_DEFAULT);
	enroll_expiry_format(rec->expires, t, sizeof(t));
	if (rec->expires == 0)
		(void)fputs(_("expires:  never\n"), o->f);
	else
		(void)fprintf(o->f, expired(o, rec) ? _("expires:  %s (the "
		    "last day; expired: every login is refused)\n") :
		    _("expires:  %s (the last day)\n"), t);
	if (rec->pw_temporary && rec->pwhash[0] != '\0')
		(void)fputs(_("password: temporary (to be changed at the next "
		    "login)\n"), o->f);
	if (rec->last_login == 0) {
		(void)fputs(_("last login: never\n"), o->f);
	} else {
		format_time(rec->last_login, t, sizeof(t));
		(void)fprintf(o->f, _("last login: %s from "), t);
		print_text(o->f, rec->last_from);
		(void)fputc('\n', o->f);
	}
	(void)fprintf(o->f, _("failures since: %u\n"), rec->fails_since);
}

/* The labelled form of one user, for people. */
static void
user_text(const struct out *o, const struct kgw_user_rec *rec)
{
	char t[64];

	(void)fprintf(o->f, _("user:     %s\npassword: %s\n"), rec->name,
	    yes_no(rec->pwhash[0] != '\0'));
	if (rec->totp_sealed_len > 0)
		(void)fprintf(o->f, _("totp:     %s, %u digits\n"), alg_name(rec),
		    rec->totp_digits);
	else
		(void)fputs(_("totp:     none\n"), o->f);
	(void)fprintf(o->f, _("zones:    %s\n"), rec->zones[0] != '\0' ?
	    rec->zones : _("none (no login anywhere)"));
	(void)fprintf(o->f, _("disabled: %s\n"), yes_no(rec->disabled));
	if (!kgw_user_locked(rec, o->now))
		(void)fputs(_("locked:   no\n"), o->f);
	else if (rec->locked_until == KGW_LOCK_FOREVER)
		(void)fputs(_("locked:   yes, until unlocked\n"), o->f);
	else {
		format_time(rec->locked_until, t, sizeof(t));
		(void)fprintf(o->f, _("locked:   yes, until %s\n"), t);
	}
	(void)fprintf(o->f, _("failures: %u\n"), rec->fail_count);
	lifecycle_text(o, rec);
	recovery_text(o, rec);
	format_time(rec->created, t, sizeof(t));
	(void)fprintf(o->f, _("created:  %s\n"), t);
	format_time(rec->updated, t, sizeof(t));
	(void)fprintf(o->f, _("updated:  %s\n"), t);
}

static void
hex(FILE *f, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)fprintf(f, "%02x", b[i]);
}

/* One security key: its label, model (AAGUID), counter and state. */
static void
key_out(const struct out *o, const struct kgw_fido2_rec *k, bool first)
{
	char t[64] = "never";

	if (o->json) {
		(void)fprintf(o->f, "%s{\"label\":", first ? "" : ",");
		json_string(o->f, k->label);
		(void)fputs(",\"aaguid\":\"", o->f);
		hex(o->f, k->aaguid, sizeof(k->aaguid));
		(void)fprintf(o->f, "\",\"sign_count\":%" PRId64 ",\"flagged\":%s,"
		    "\"created\":%" PRId64 ",\"last_used\":", k->sign_count,
		    json_bool(k->flagged), k->created);
		if (k->last_used != 0)
			(void)fprintf(o->f, "%" PRId64 "}", k->last_used);
		else
			(void)fputs("null}", o->f);
		return;
	}
	if (k->last_used != 0)
		format_time(k->last_used, t, sizeof(t));
	(void)fprintf(o->f, "  %s  aaguid=", k->label);
	hex(o->f, k->aaguid, sizeof(k->aaguid));
	(void)fprintf(o->f, " counter=%" PRId64 " last_used=%s%s\n",
	    k->sign_count, t, k->flagged ? _("  FLAGGED: counter went back, "
	    "possible clone (revoke and re-enrol)") : "");
}

/* The person's security keys, a section of show. */
static int
keys_out(struct kgw_store *s, const struct out *o, const char *user)
{
	struct kgw_fido2_rec *keys;
	size_t n = 0, i;
	int r;

	if ((keys = calloc(KGW_FIDO2_CREDS_MAX, sizeof(*keys))) == NULL)
		enroll_die("out of memory");
	r = kgw_store_fido2_list(s, user, keys, KGW_FIDO2_CREDS_MAX, &n);
	if (r == KGW_OK) {
		(void)fputs(o->json ? ",\"fido2\":[" : _("fido2:\n"), o->f);
		for (i = 0; i < n; i++)
			key_out(o, &keys[i], i == 0);
		if (o->json)
			(void)fputc(']', o->f);
		else if (n == 0)
			(void)fputs(_("  none\n"), o->f);
	} else
		enroll_warn("cannot read the keys of %s: %s", user,
		    kgw_strerror(r));
	free(keys);
	return r;
}

static int
change_cb(void *arg, const struct kgw_change *c)
{
	struct out *o = arg;
	char t[64];

	if (o->json) {
		(void)fprintf(o->f, "%s{\"time\":%" PRId64 ",\"operator\":",
		    o->first ? "" : ",", c->time);
		json_string(o->f, c->operator_name);
		(void)fputs(",\"action\":", o->f);
		json_string(o->f, c->action);
		(void)fputs(",\"detail\":", o->f);
		json_string(o->f, c->detail);
		(void)fputc('}', o->f);
	} else {
		format_time(c->time, t, sizeof(t));
		(void)fprintf(o->f, "  %s  ", t);
		print_text(o->f, c->operator_name);
		(void)fputs("  ", o->f);
		print_text(o->f, c->action);
		if (c->detail[0] != '\0') {
			(void)fputs("  ", o->f);
			print_text(o->f, c->detail);
		}
		(void)fputc('\n', o->f);
	}
	o->first = false;
	return 0;
}

int
cmd_show(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct kgw_user_rec rec;
	struct out o;
	const char *user;
	int ch, r;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1)
		enroll_common_option(e, "show", ch, argv);
	user = enroll_user_arg(argc, argv, "show");
	enroll_open(e);
	out_open(&o, e->json);
	if ((r = kgw_store_get_user(e->store, user, &rec)) != KGW_OK) {
		enroll_store_error("cannot show", user, r);
		goto fail;
	}
	if (o.json)
		user_json(&o, &rec);
	else
		user_text(&o, &rec);
	if ((r = keys_out(e->store, &o, user)) != KGW_OK)
		goto fail;
	(void)fputs(o.json ? ",\"changes\":[" : _("changes:\n"), o.f);
	if ((r = kgw_store_changes(e->store, user, change_cb, &o)) != KGW_OK)
		enroll_warn("cannot read the changes of %s: %s", user,
		    kgw_strerror(r));
	else if (o.json)
		(void)fputs("]}\n", o.f);
	else if (o.first)
		(void)fputs(_("  none\n"), o.f);
fail:
	explicit_bzero(&rec, sizeof(rec));
	enroll_close(e);
	return out_close(&o, r == KGW_OK);
}
