/*
 * audit: the security officer's view of the trail. verify walks the chain
 * and names the first bad record; export writes the records, whole or
 * for a period, as CSV or JSON with the stable column names of
 * kakogawa-enroll(8).
 */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enroll.h"
#include "kgw_audit.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_num.h"

enum {
	OPT_FORMAT = OPT_CMD_BASE,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_BEFORE,
	OPT_ARCHIVE,
	OPT_ZONE,
	OPT_USER,
	OPT_EXPECT,
};

struct export {
	FILE *f;
	bool csv;
	int64_t since, until;	/* [since, until) in Unix time */
	unsigned long n;
};

static void
key_load(struct enroll *e, struct kgw_key *key)
{
	int r;

	if ((r = kgw_key_load(&e->log, e->conf.key, key)) != KGW_OK)
		enroll_die("cannot read the key file %s: %s", e->conf.key,
		    kgw_strerror(r));
}

bool
enroll_audit_intact(struct enroll *e)
{
	struct kgw_audit_verdict v;
	struct kgw_key key;
	int r;

	key_load(e, &key);
	r = kgw_audit_verify(e->store, &key, &v);
	kgw_key_wipe(&key);
	return r == KGW_OK && v.intact;
}

/* An archive file (audit prune) opened as the store it is. */
static struct kgw_store *
archive_open(struct enroll *e, const char *path, int flags,
    const struct kgw_key *key)
{
	struct kgw_store *s = NULL;
	struct kgw_conf c = e->conf;
	int r;

	if (path[0] != '/' || snprintf(c.store, sizeof(c.store), "%s",
	    path) >= (int)sizeof(c.store))
		enroll_usage("audit: --archive takes an absolute path");
	if ((r = kgw_store_open(&e->log, &c, flags, &s)) != KGW_OK ||
	    (r = kgw_store_audit_init(s, key, "archive")) != KGW_OK)
		enroll_die("cannot open the archive %s: %s", path,
		    kgw_strerror(r));
	return s;
}

/* The store's chain starts where the archive's ends: the latest one. */
static bool
archive_continues(struct kgw_store *store, struct kgw_store *archive)
{
	struct kgw_audit_head a, h;
	bool pa, ph;

	return kgw_store_audit_head(archive, &a, &pa) == KGW_OK && pa &&
	    kgw_store_audit_head(store, &h, &ph) == KGW_OK && ph &&
	    a.seq == h.base_seq && kgw_audit_mac_equal(a.mac, h.base_mac);
}

static int
verify(struct enroll *e, const char *archive)
{
	struct kgw_audit_verdict v;
	struct kgw_store *s = e->store;
	struct kgw_key key;
	bool continues = false;
	int r;

	key_load(e, &key);
	if (archive != NULL)
		s = archive_open(e, archive, 0, &key);
	r = kgw_audit_verify(s, &key, &v);
	if (archive != NULL) {
		continues = archive_continues(e->store, s);
		kgw_store_close(&s);
	}
	kgw_key_wipe(&key);
	if (r != KGW_OK) {
		enroll_warn("cannot read the audit trail: %s", kgw_strerror(r));
		return 3;
	}
	if (e->json) {
		(void)printf("{\"intact\":%s,\"records\":%" PRId64 ","
		    "\"first_seq\":%" PRId64 ",\"last_seq\":%" PRId64,
		    v.intact ? "true" : "false", v.records, v.first_seq,
		    v.last_seq);
		if (archive != NULL)
			(void)printf(",\"store_continues\":%s",
			    continues ? "true" : "false");
		if (!v.intact) {
			(void)printf(",\"bad_seq\":%" PRId64 ",\"why\":",
			    v.bad_seq);
			json_string(stdout, v.why);
		}
		(void)puts("}");
	} else if (v.intact) {
		(void)printf(_("audit trail intact: %" PRId64 " records "
		    "(%" PRId64 " to %" PRId64 ")\n"), v.records, v.first_seq,
		    v.last_seq);
		if (archive != NULL)
			(void)printf("%s\n", continues ? _("the store's trail "
			    "continues from this archive") : _("the store's "
			    "trail does not continue from this archive (an "
			    "older one?)"));
	}
	else
		(void)printf(_("audit trail TAMPERED at record %" PRId64 ": %s\n"),
		    v.bad_seq, v.why);
	return v.intact ? 0 : 1;
}

/*
 * A CSV cell, always quoted (quotes doubled). One that a spreadsheet
 * would take for a formula (=, +, -, @ first: a PAM_RHOST or a tty comes
 * from the application) is shown as text, behind a '.
 */
void
enroll_csv_cell(FILE *f, const char *s, bool last)
{
	(void)fputc('"', f);
	if (strchr("=+-@", s[0]) != NULL && s[0] != '\0')
		(void)fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			(void)fputc('"', f);
		(void)fputc(*s, f);
	}
	(void)fputc('"', f);
	(void)fputc(last ? '\n' : ',', f);
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
mac_hex(const unsigned char *mac, char *out)
{
	size_t i;

	for (i = 0; i < KGW_AUDIT_MAC_LEN; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static void
header(const struct export *x)
{
	int i;

	if (!x->csv) {
		(void)fputc('[', x->f);
		return;
	}
	(void)fputs("seq,time,", x->f);
	for (i = 0; i < KGW_AF_NFIELDS; i++)
		(void)fprintf(x->f, "%s,", kgw_audit_field_name(i));
	(void)fputs("detail,mac\n", x->f);
}

static int
export_cb(void *arg, const struct kgw_audit_rec *r)
{
	struct export *x = arg;
	char t[32], mac[2 * KGW_AUDIT_MAC_LEN + 1], seq[24];
	int i;

	if (r->time < x->since || r->time >= x->until)
		return 0;
	time_utc(r->time, t, sizeof(t));
	mac_hex(r->mac, mac);
	if (x->csv) {
		(void)snprintf(seq, sizeof(seq), "%" PRId64, r->seq);
		enroll_csv_cell(x->f, seq, false);
		enroll_csv_cell(x->f, t, false);
		for (i = 0; i < KGW_AF_NFIELDS; i++)
			enroll_csv_cell(x->f, r->field[i], false);
		enroll_csv_cell(x->f, r->detail, false);
		enroll_csv_cell(x->f, mac, true);
	} else {
		(void)fprintf(x->f, "%s{\"seq\":%" PRId64 ",\"time\":\"%s\"",
		    x->n > 0 ? "," : "", r->seq, t);
		for (i = 0; i < KGW_AF_NFIELDS; i++) {
			(void)fprintf(x->f, ",\"%s\":", kgw_audit_field_name(i));
			json_string(x->f, r->field[i]);
		}
		(void)fputs(",\"detail\":", x->f);
		json_string(x->f, r->detail);
		(void)fprintf(x->f, ",\"mac\":\"%s\"}", mac);
	}
	x->n++;
	return 0;
}

/* YYYY-MM-DD (00:00 UTC that day) or a Unix time. */
static int64_t
parse_date(const char *opt, const char *s)
{
	unsigned long n;
	struct tm tm;
	const char *end;

	if (kgw_parse_ulong(s, 0, (unsigned long)INT64_MAX, &n) == KGW_OK)
		return (int64_t)n;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		enroll_usage("audit export: %s takes YYYY-MM-DD or a Unix "
		    "time", opt);
	return (int64_t)timegm(&tm);
}

static int
export(struct enroll *e, struct export *x)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if ((x->f = open_memstream(&buf, &len)) == NULL)
		enroll_die("out of memory");
	header(x);
	r = kgw_store_audit_list(e->store, 0, export_cb, x);
	if (!x->csv)
		(void)fputs("]\n", x->f);
	if (fclose(x->f) != 0)
		enroll_die("out of memory");
	/* Only a trail read whole is written: never half an export. */
	if (r == KGW_OK)
		(void)fwrite(buf, 1, len, stdout);
	else
		enroll_warn("cannot read the audit trail: %s",
		    kgw_strerror(r));
	free(buf);
	return r == KGW_OK ? 0 : 1;
}

/* The records to archive: after the base, before the date. */
struct cut {
	int64_t before;
	int64_t seq;		/* the last of them (0: none) */
	unsigned char mac[KGW_AUDIT_MAC_LEN];
	unsigned long n;
	struct kgw_store *archive;
};

static int
cut_find(void *arg, const struct kgw_audit_rec *r)
{
	struct cut *c = arg;

	if (r->time >= c->before)
		return 1;	/* in order: the rest are newer still */
	c->seq = r->seq;
	memcpy(c->mac, r->mac, sizeof(c->mac));
	c->n++;
	return 0;
}

static int
cut_copy(void *arg, const struct kgw_audit_rec *r)
{
	struct cut *c = arg;

	if (r->seq > c->seq)
		return 1;
	return kgw_store_audit_put(c->archive, r) == KGW_OK ? 0 : -1;
}

/* Copies the records up to the cut into a new archive, which must verify. */
static int
archive_write(struct enroll *e, const char *path, const struct kgw_key *key,
    const struct kgw_audit_head *h, struct cut *c)
{
	struct kgw_audit_verdict v;
	int fd, r;

	/* A new file, made here: an archive is never added to, nor
	 * overwritten, nor a link followed to somewhere else. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, S_IRUSR | S_IWUSR)) < 0)
		enroll_die("the archive %s exists already, or cannot be "
		    "created (%s): nothing pruned", path, strerror(errno));
	(void)close(fd);
	c->archive = archive_open(e, path, KGW_STORE_CREATE, key);
	if ((r = kgw_store_batch_begin(c->archive)) != KGW_OK)
		goto out;
	r = kgw_store_audit_list(e->store, h->base_seq + 1, cut_copy, c);
	if ((r == KGW_OK || r == 1) && (r = kgw_store_audit_rehead(c->archive,
	    h->base_seq, h->base_mac, c->seq, c->mac)) == KGW_OK)
		r = kgw_store_batch_end(c->archive, true);
	else
		(void)kgw_store_batch_end(c->archive, false);
	if (r == KGW_OK && (kgw_audit_verify(c->archive, key, &v) != KGW_OK ||
	    !v.intact || v.last_seq != c->seq))
		r = KGW_ERR_TAMPERED;
	if (r == KGW_OK)
		r = kgw_store_standalone(c->archive);
out:
	kgw_store_close(&c->archive);
	return r;
}

static int
prune(struct enroll *e, int64_t before, const char *path)
{
	struct kgw_audit_verdict v;
	struct kgw_audit_head h;
	struct cut c = { before, 0, { 0 }, 0, NULL };
	struct kgw_key key;
	char detail[KGW_AUDIT_DETAIL_MAX + 1];
	bool present;
	int r;

	if (path == NULL || before == INT64_MIN)
		enroll_usage("audit prune: give --before DATE and --archive "
		    "FILE");
	key_load(e, &key);
	if (kgw_audit_verify(e->store, &key, &v) != KGW_OK || !v.intact)
		enroll_die("the audit trail does not verify: run audit verify; "
		    "nothing pruned");
	if (kgw_store_audit_head(e->store, &h, &present) != KGW_OK)
		enroll_die("cannot read the audit trail: nothing pruned");
	r = present ? kgw_store_audit_list(e->store, h.base_seq + 1, cut_find,
	    &c) : KGW_OK;
	if (r != KGW_OK && r != 1)
		enroll_die("cannot read the audit trail: %s; nothing pruned",
		    kgw_strerror(r));
	if (c.n == 0) {
		kgw_key_wipe(&key);
		(void)printf(_("no record older than that: nothing pruned\n"));
		return 0;
	}
	if ((r = archive_write(e, path, &key, &h, &c)) != KGW_OK)
		enroll_die("cannot write the archive %s: %s; nothing pruned",
		    path, kgw_strerror(r));
	(void)snprintf(detail, sizeof(detail), "records=%" PRId64 "..%" PRId64
	    " archive=%s", h.base_seq + 1, c.seq, path);
	r = kgw_store_audit_cut(e->store, c.seq, c.mac, e->operator_name,
	    detail);
	kgw_key_wipe(&key);
	if (r != KGW_OK)
		enroll_die("cannot prune the store: %s (the archive %s is "
		    "written; nothing left the store)", kgw_strerror(r), path);
	(void)printf(_("archived %lu records (%" PRId64 " to %" PRId64 ") to %s\n"),
	    c.n, h.base_seq + 1, c.seq, path);
	return 0;
}

/* The record at seq (in the store), for its MAC. */
struct find {
	int64_t seq;
	bool found;
	unsigned char mac[KGW_AUDIT_MAC_LEN];
};

static int
find_cb(void *arg, const struct kgw_audit_rec *r)
{
	struct find *f = arg;

	if (r->seq == f->seq) {
		f->found = true;
		memcpy(f->mac, r->mac, sizeof(f->mac));
	}
	return 1;
}

/*
 * --expect SEQ[:MAC]: the log line of a decision names its record
 * (audit=SEQ:MAC); kept on another host, it shows a trail put back to an
 * older copy, which verifies on its own.
 */
static int
witnessed(struct enroll *e, const char *expect)
{
	char got[2 * KGW_AUDIT_MAC_LEN + 1], want[2 * KGW_AUDIT_MAC_LEN + 1];
	struct find f = { 0, false, { 0 } };
	struct kgw_audit_head h;
	unsigned long seq;
	const char *colon = strchr(expect, ':');
	char num[24];
	bool present;
	size_t n = colon != NULL ? (size_t)(colon - expect) : strlen(expect);
	size_t i;

	if (n == 0 || n >= sizeof(num))
		enroll_usage("audit verify: --expect takes SEQ or SEQ:MAC");
	(void)snprintf(num, sizeof(num), "%.*s", (int)n, expect);
	if (kgw_parse_ulong(num, 1, (unsigned long)INT64_MAX, &seq) != KGW_OK ||
	    (colon != NULL && (strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= sizeof(want) ||
	    strspn(colon + 1, "0123456789abcdef") != strlen(colon + 1))))
		enroll_usage("audit verify: --expect takes SEQ or SEQ:MAC (hex)");
	if (kgw_store_audit_head(e->store, &h, &present) != KGW_OK || !present)
		return 1;
	if ((int64_t)seq > h.seq) {
		(void)printf(_("audit trail ROLLED BACK: record %lu was written "
		    "(the log says so), the trail ends at %lld\n"), seq,
		    (long long)h.seq);
		return 1;
	}
	if (colon == NULL || (int64_t)seq <= h.base_seq)
		return 0;	/* archived: its archive holds the MAC */
	f.seq = (int64_t)seq;
	(void)kgw_store_audit_list(e->store, f.seq, find_cb, &f);
	for (i = 0; i < KGW_AUDIT_MAC_LEN; i++)
		(void)snprintf(got + 2 * i, 3, "%02x", f.mac[i]);
	(void)snprintf(want, sizeof(want), "%s", colon + 1);
	if (!f.found || strncmp(got, want, strlen(want)) != 0) {
		(void)printf(_("audit trail REPLACED: record %lu is not the one "
		    "the log saw\n"), seq);
		return 1;
	}
	return 0;
}

/*
 * A store made before the trail existed has no head: nothing is written to
 * it until someone with the key starts one. The start is a record, so a
 * trail removed whole and started again shows.
 */
static int
start(struct enroll *e)
{
	int r = kgw_store_audit_start(e->store);

	if (r == KGW_ERR_EXISTS)
		enroll_die("the store has an audit trail (or records without "
		    "its head: run audit verify); nothing started");
	if (r != KGW_OK || (r = kgw_store_audit_note(e->store, e->operator_name,
	    "audit_start", "a new trail")) != KGW_OK)
		enroll_die("cannot start the audit trail: %s",
		    kgw_strerror(r));
	(void)printf(_("audit trail started\n"));
	return 0;
}

int
cmd_audit(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "before", required_argument, NULL, OPT_BEFORE },
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "user", required_argument, NULL, OPT_USER },
		{ "expect", required_argument, NULL, OPT_EXPECT },
		{ "archive", required_argument, NULL, OPT_ARCHIVE },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct export x = { NULL, true, INT64_MIN, INT64_MAX, 0 };
	struct audit_filter f = { INT64_MIN, INT64_MAX, NULL, NULL };
	const char *what, *archive = NULL, *format = NULL, *expect = NULL;
	int64_t before = INT64_MIN;
	int ch, status;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_FORMAT)
			format = optarg;
		else if (ch == OPT_ZONE)
			f.zone = optarg;
		else if (ch == OPT_USER)
			f.user = optarg;
		else if (ch == OPT_SINCE)
			x.since = parse_date("--since", optarg);
		else if (ch == OPT_UNTIL)
			x.until = parse_date("--until", optarg);
		else if (ch == OPT_BEFORE)
			before = parse_date("--before", optarg);
		else if (ch == OPT_ARCHIVE)
			archive = optarg;
		else if (ch == OPT_EXPECT)
			expect = optarg;
		else
			enroll_common_option(e, "audit", ch, argv);
	}
	if (argc - optind != 1)
		enroll_usage("audit: expected verify, export or prune (see "
		    "--help)");
	what = argv[optind];
	if (strcmp(what, "verify") != 0 && strcmp(what, "export") != 0 &&
	    strcmp(what, "prune") != 0 && strcmp(what, "report") != 0 &&
	    strcmp(what, "start") != 0)
		enroll_usage("audit: expected verify, export, report, prune or "
		    "start (see --help)");
	if (format != NULL && strcmp(format, "csv") != 0 &&
	    strcmp(format, "json") != 0 && (strcmp(format, "text") != 0 ||
	    strcmp(what, "report") != 0))
		enroll_usage("audit: --format is csv or json (report: text, "
		    "csv or json)");
	x.csv = !e->json && (format == NULL || strcmp(format, "csv") == 0);
	f.since = x.since;
	f.until = x.until;
	enroll_open(e);
	if (strcmp(what, "verify") == 0) {
		status = verify(e, archive);
		if (status == 0 && expect != NULL)
			status = witnessed(e, expect);
	} else if (strcmp(what, "export") == 0)
		status = export(e, &x);
	else if (strcmp(what, "start") == 0)
		status = start(e);
	else if (strcmp(what, "report") == 0)
		status = audit_report(e, &f, e->json || (format != NULL &&
		    strcmp(format, "json") == 0) ? AUDIT_JSON : format != NULL &&
		    strcmp(format, "csv") == 0 ? AUDIT_CSV : AUDIT_TEXT);
	else
		status = prune(e, before, archive);
	enroll_close(e);
	return status;
}
