/*
 * audit report: what the security officer reads for a period, from the
 * audit trail: logins allowed and refused per zone and per person,
 * refusals by reason, lockouts, possible key clones, and the helpdesk's
 * changes by operator. Text for people, JSON or CSV for the auditor.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enroll.h"
#include "kgw_audit.h"
#include "kgw_err.h"
#include "kgw_i18n.h"

/* One line of a table: a key (and a second), and its counts. */
struct row {
	char key[KGW_AUDIT_FIELD_MAX + 1];
	char key2[KGW_AUDIT_FIELD_MAX + 1];
	unsigned long allowed, refused;
};

struct table {
	struct row *rows;
	size_t n, cap;
};

/* A record worth listing one by one (a lockout, a possible clone). */
struct event {
	int64_t time;
	char user[KGW_AUDIT_FIELD_MAX + 1];
	char host[KGW_AUDIT_FIELD_MAX + 1];
	char what[KGW_AUDIT_DETAIL_MAX + 1];
};

struct events {
	struct event *ev;
	size_t n, cap;
};

struct report {
	const struct audit_filter *filter;
	unsigned long records;
	struct table zones, users, reasons, changes;
	struct events lockouts, clones;
	struct events expired;	/* from the store: accounts past their day */
	int64_t now;
};

static void *
grow(void *p, size_t *cap, size_t size)
{
	size_t want = *cap == 0 ? 16 : *cap * 2;

	if ((p = reallocarray(p, want, size)) == NULL)
		enroll_die("out of memory");
	*cap = want;
	return p;
}

static struct row *
row_get(struct table *t, const char *key, const char *key2)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->rows[i].key, key) == 0 &&
		    strcmp(t->rows[i].key2, key2) == 0)
			return &t->rows[i];
	if (t->n == t->cap)
		t->rows = grow(t->rows, &t->cap, sizeof(*t->rows));
	memset(&t->rows[t->n], 0, sizeof(t->rows[t->n]));
	(void)snprintf(t->rows[t->n].key, sizeof(t->rows[t->n].key), "%s",
	    key);
	(void)snprintf(t->rows[t->n].key2, sizeof(t->rows[t->n].key2), "%s",
	    key2);
	return &t->rows[t->n++];
}

static void
event_add(struct events *e, const struct kgw_audit_rec *r, const char *what)
{
	struct event *ev;

	if (e->n == e->cap)
		e->ev = grow(e->ev, &e->cap, sizeof(*e->ev));
	ev = &e->ev[e->n++];
	ev->time = r->time;
	(void)snprintf(ev->user, sizeof(ev->user), "%s",
	    r->field[KGW_AF_USER]);
	(void)snprintf(ev->host, sizeof(ev->host), "%s",
	    r->field[KGW_AF_HOST]);
	(void)snprintf(ev->what, sizeof(ev->what), "%s", what);
}

/* A helpdesk change, or a person's own password change (pam_sm_chauthtok). */
static bool
is_change(const struct kgw_audit_rec *r)
{
	return strcmp(r->field[KGW_AF_KIND], "change") == 0 ||
	    strcmp(r->field[KGW_AF_KIND], "password") == 0;
}

static bool
wanted(const struct audit_filter *f, const struct kgw_audit_rec *r)
{
	bool change = is_change(r);

	if (r->time < f->since || r->time >= f->until)
		return false;
	if (f->user != NULL && strcmp(r->field[KGW_AF_USER], f->user) != 0)
		return false;
	/* Changes belong to no zone: a zone's report leaves them out. */
	return f->zone == NULL || (!change &&
	    strcmp(r->field[KGW_AF_HOST_ZONE], f->zone) == 0);
}

static int
tally(void *arg, const struct kgw_audit_rec *r)
{
	struct report *rep = arg;
	bool allow = strcmp(r->field[KGW_AF_RESULT], "allow") == 0;

	if (!wanted(rep->filter, r))
		return 0;
	rep->records++;
	if (is_change(r)) {
		if (allow || strcmp(r->field[KGW_AF_RESULT], "ok") == 0)
			row_get(&rep->changes, r->field[KGW_AF_OPERATOR],
			    r->field[KGW_AF_ACTION])->allowed++;
		else
			row_get(&rep->reasons, r->field[KGW_AF_REASON],
			    "")->refused++;
		if (strcmp(r->field[KGW_AF_ACTION], "flag:fido2") == 0)
			event_add(&rep->clones, r, r->detail);
		if (strstr(r->detail, "locked=yes") != NULL)
			event_add(&rep->lockouts, r, r->detail);
		return 0;
	}
	if (allow) {
		row_get(&rep->zones, r->field[KGW_AF_HOST_ZONE], "")->allowed++;
		row_get(&rep->users, r->field[KGW_AF_USER], "")->allowed++;
		return 0;
	}
	row_get(&rep->zones, r->field[KGW_AF_HOST_ZONE], "")->refused++;
	row_get(&rep->users, r->field[KGW_AF_USER], "")->refused++;
	row_get(&rep->reasons, r->field[KGW_AF_REASON], "")->refused++;
	if (strstr(r->detail, "locked=yes") != NULL)
		event_add(&rep->lockouts, r, r->detail);
	return 0;
}

static void
time_utc(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, len, "%" PRId64, t);
}

static void
text_table(const char *title, const char *h1, const char *h2,
    const struct table *t, bool two)
{
	size_t i;

	(void)printf("\n%s\n", title);
	if (t->n == 0) {
		(void)printf("  %s\n", _("none"));
		return;
	}
	(void)printf("  %-24s %10s %10s\n", h1, h2, two ? _("refused") : "");
	for (i = 0; i < t->n; i++) {
		const struct row *r = &t->rows[i];

		if (two)
			(void)printf("  %-24s %10lu %10lu\n", r->key,
			    r->allowed, r->refused);
		else
			(void)printf("  %-24s %10lu\n", r->key,
			    r->allowed + r->refused);
	}
}

static void
text_events(const char *title, const struct events *e)
{
	char t[32];
	size_t i;

	(void)printf("\n%s\n", title);
	if (e->n == 0)
		(void)printf("  %s\n", _("none"));
	for (i = 0; i < e->n; i++) {
		time_utc(e->ev[i].time, t, sizeof(t));
		(void)printf(_("  %s  %s  on %s  %s\n"), t, e->ev[i].user,
		    e->ev[i].host, e->ev[i].what);
	}
}

/* Accounts past their last day, as the store holds them now. */
static void
text_expired(const struct events *e)
{
	char day[32];
	size_t i;

	(void)printf("\n%s\n", _("Accounts expired now (every login "
	    "refused):"));
	if (e->n == 0)
		(void)printf("  %s\n", _("none"));
	for (i = 0; i < e->n; i++) {
		enroll_expiry_format(e->ev[i].time, day, sizeof(day));
		(void)printf("  %-24s %s\n", e->ev[i].user, day);
	}
}

static void
text_report(const struct report *rep)
{
	size_t i;

	(void)printf(_("audit report: %lu records\n"), rep->records);
	text_table(_("Logins per zone:"), _("zone"), _("allowed"), &rep->zones,
	    true);
	text_table(_("Logins per person:"), _("user"), _("allowed"),
	    &rep->users, true);
	text_table(_("Refusals by reason:"), _("reason"), _("count"),
	    &rep->reasons, false);
	text_events(_("Lockouts:"), &rep->lockouts);
	text_events(_("Security keys flagged as possible clones:"),
	    &rep->clones);
	text_expired(&rep->expired);
	(void)printf("\n%s\n", _("Helpdesk changes by operator:"));
	if (rep->changes.n == 0)
		(void)printf("  %s\n", _("none"));
	for (i = 0; i < rep->changes.n; i++)
		(void)printf("  %-24s %-16s %10lu\n", rep->changes.rows[i].key,
		    rep->changes.rows[i].key2, rep->changes.rows[i].allowed);
}

static void
json_table(const char *name, const char *k1, const char *k2,
    const struct table *t, bool counts)
{
	size_t i;

	(void)printf(",\"%s\":[", name);
	for (i = 0; i < t->n; i++) {
		(void)printf("%s{\"%s\":", i > 0 ? "," : "", k1);
		json_string(stdout, t->rows[i].key);
		if (k2 != NULL) {
			(void)printf(",\"%s\":", k2);
			json_string(stdout, t->rows[i].key2);
		}
		if (counts)
			(void)printf(",\"allowed\":%lu,\"refused\":%lu}",
			    t->rows[i].allowed, t->rows[i].refused);
		else
			(void)printf(",\"count\":%lu}", t->rows[i].allowed +
			    t->rows[i].refused);
	}
	(void)putchar(']');
}

static void
json_events(const char *name, const struct events *e)
{
	char t[32];
	size_t i;

	(void)printf(",\"%s\":[", name);
	for (i = 0; i < e->n; i++) {
		time_utc(e->ev[i].time, t, sizeof(t));
		(void)printf("%s{\"time\":\"%s\",\"user\":", i > 0 ? "," : "",
		    t);
		json_string(stdout, e->ev[i].user);
		(void)fputs(",\"host\":", stdout);
		json_string(stdout, e->ev[i].host);
		(void)fputs(",\"detail\":", stdout);
		json_string(stdout, e->ev[i].what);
		(void)putchar('}');
	}
	(void)putchar(']');
}

static void
json_expired(const struct events *e)
{
	size_t i;

	(void)fputs(",\"expired\":[", stdout);
	for (i = 0; i < e->n; i++) {
		(void)fputs(i > 0 ? ",{\"user\":" : "{\"user\":", stdout);
		json_string(stdout, e->ev[i].user);
		(void)printf(",\"expires\":%" PRId64 "}", e->ev[i].time);
	}
	(void)putchar(']');
}

static void
json_report(const struct report *rep)
{
	(void)printf("{\"records\":%lu", rep->records);
	json_table("zones", "zone", NULL, &rep->zones, true);
	json_table("users", "user", NULL, &rep->users, true);
	json_table("reasons", "reason", NULL, &rep->reasons, false);
	json_events("lockouts", &rep->lockouts);
	json_events("clones", &rep->clones);
	json_expired(&rep->expired);
	json_table("changes", "operator", "action", &rep->changes, false);
	(void)puts("}");
}

/* CSV: one table, section,key,key2,allowed,refused. */
static void
csv_table(const char *section, const struct table *t)
{
	char n[24];
	size_t i;

	for (i = 0; i < t->n; i++) {
		enroll_csv_cell(stdout, section, false);
		enroll_csv_cell(stdout, t->rows[i].key, false);
		enroll_csv_cell(stdout, t->rows[i].key2, false);
		(void)snprintf(n, sizeof(n), "%lu", t->rows[i].allowed);
		enroll_csv_cell(stdout, n, false);
		(void)snprintf(n, sizeof(n), "%lu", t->rows[i].refused);
		enroll_csv_cell(stdout, n, true);
	}
}

static void
csv_report(const struct report *rep)
{
	(void)puts("section,key,key2,allowed,refused");
	csv_table("zone", &rep->zones);
	csv_table("user", &rep->users);
	csv_table("reason", &rep->reasons);
	csv_table("change", &rep->changes);
	(void)printf("lockouts,,,%zu,\nclones,,,%zu,\nexpired,,,%zu,\n",
	    rep->lockouts.n, rep->clones.n, rep->expired.n);
}

/* The people past their expiry (of --user, when given); no zone filter. */
static int
expired_cb(void *arg, const struct kgw_user_rec *u)
{
	struct report *rep = arg;
	struct kgw_audit_rec r;

	if (u->expires == 0 || rep->now < u->expires ||
	    (rep->filter->user != NULL &&
	    strcmp(rep->filter->user, u->name) != 0))
		return 0;
	memset(&r, 0, sizeof(r));
	r.time = u->expires;
	kgw_audit_set(&r, KGW_AF_USER, u->name);
	event_add(&rep->expired, &r, "");
	return 0;
}

int
audit_report(struct enroll *e, const struct audit_filter *f, int format)
{
	struct report rep;
	int r;

	memset(&rep, 0, sizeof(rep));
	rep.filter = f;
	/* Counting records that do not verify would report forgeries. */
	if (!enroll_audit_intact(e)) {
		enroll_warn("the audit trail does not verify (run audit "
		    "verify): no report");
		return 1;
	}
	rep.now = (int64_t)time(NULL);
	if ((r = kgw_store_audit_list(e->store, 0, tally, &rep)) == KGW_OK)
		r = kgw_store_list(e->store, expired_cb, &rep);
	if (r == KGW_OK) {
		if (format == AUDIT_JSON)
			json_report(&rep);
		else if (format == AUDIT_CSV)
			csv_report(&rep);
		else
			text_report(&rep);
	} else
		enroll_warn("cannot read the audit trail: %s", kgw_strerror(r));
	free(rep.zones.rows);
	free(rep.users.rows);
	free(rep.reasons.rows);
	free(rep.changes.rows);
	free(rep.lockouts.ev);
	free(rep.clones.ev);
	free(rep.expired.ev);
	return r == KGW_OK ? 0 : 1;
}
