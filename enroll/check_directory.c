/*
 * The self-inspection of a host on the city-wide store: whether its
 * directory answers, and if not since when, how long logins may still go
 * on from its cache, and what changed here offline is still to go up.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "check.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_store.h"

/* A time as the audit report writes it (UTC). */
static void
when(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		(void)snprintf(out, outlen, "%" PRId64, t);
}

static void
unreachable(struct check *c, const struct kgw_dir_state *st, int64_t now)
{
	char text[CHECK_TEXT_MAX], since[48], until[48];
	int64_t end = st->last_contact + (int64_t)st->offline;

	if (st->last_contact == 0) {
		check_add(c, CHECK_CRITICAL, "directory.never_reached",
		    CLAUSE_OPERATION, _("the directory cannot be reached and "
		    "never was from this host: every login is refused"));
		return;
	}
	when(st->last_contact, since, sizeof(since));
	when(end, until, sizeof(until));
	if (st->offline == 0 || now > end) {
		(void)snprintf(text, sizeof(text), _("the directory cannot be "
		    "reached since %s, beyond directory_offline: every login "
		    "is refused"), since);
		check_add(c, CHECK_CRITICAL, "directory.offline_expired",
		    CLAUSE_OPERATION, text);
		return;
	}
	(void)snprintf(text, sizeof(text), _("the directory cannot be reached: "
	    "this host is offline since %s; logins go on from its cache "
	    "until %s"), since, until);
	check_add(c, CHECK_WARNING, "directory.offline", CLAUSE_OPERATION,
	    text);
}

void
check_directory(struct check *c)
{
	struct kgw_dir_state st;
	char text[CHECK_TEXT_MAX];
	int64_t now = (int64_t)time(NULL);

	if (kgw_store_dir_state(c->e->store, now, &st) != KGW_OK) {
		check_add(c, CHECK_CRITICAL, "directory.refused",
		    CLAUSE_OPERATION, _("the directory refused this host (see "
		    "above): every login is refused"));
		return;
	}
	if (!st.directory)
		return;
	if (!st.reachable)
		unreachable(c, &st, now);
	if (st.unreconciled > 0) {
		(void)snprintf(text, sizeof(text), dngettext(PACKAGE,
		    "%lld person changed here while offline is not carried "
		    "up to the directory yet",
		    "%lld people changed here while offline are not carried "
		    "up to the directory yet",
		    (unsigned long)st.unreconciled),
		    (long long)st.unreconciled);
		check_add(c, CHECK_WARNING, "directory.unreconciled",
		    CLAUSE_OPERATION, text);
	}
}
