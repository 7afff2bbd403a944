/*
 * audit: the security officer's view of the trail. verify walks the chain
 * and names the first bad record; export writes the records, whole or
 * for a period, as CSV or JSON with the stable column names of
 * kakogawa-enroll(8).
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
#include "kgw_num.h"

enum {
	OPT_FORMAT = OPT_CMD_BASE,
	OPT_SINCE,
	OPT_UNTIL,
};

struct export {
	FILE *f;
	bool csv;
	int64_t since, until;	/* [since, until) in Unix time */
	unsigned long n;
};

static int
verify(struct enroll *e)
{
	struct kgw_audit_verdict v;
	struct kgw_key key;
	int r;

	if ((r = kgw_key_load(&e->log, e->conf.key, &key)) != KGW_OK)
		enroll_die("cannot read the key file %s: %s", e->conf.key,
		    kgw_strerror(r));
	r = kgw_audit_verify(e->store, &key, &v);
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
		if (!v.intact) {
			(void)printf(",\"bad_seq\":%" PRId64 ",\"why\":",
			    v.bad_seq);
			json_string(stdout, v.why);
		}
		(void)puts("}");
	} else if (v.intact)
		(void)printf("audit trail intact: %" PRId64 " records "
		    "(%" PRId64 " to %" PRId64 ")\n", v.records, v.first_seq,
		    v.last_seq);
	else
		(void)printf("audit trail TAMPERED at record %" PRId64 ": %s\n",
		    v.bad_seq, v.why);
	return v.intact ? 0 : 1;
}

/* A CSV field, quoted when it holds a comma, a quote or a space. */
static void
csv_field(FILE *f, const char *s, bool last)
{
	if (strpbrk(s, ",\" ") != NULL) {
		(void)fputc('"', f);
		for (; *s != '\0'; s++) {
			if (*s == '"')
				(void)fputc('"', f);
			(void)fputc(*s, f);
		}
		(void)fputc('"', f);
	} else
		(void)fputs(s, f);
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
		csv_field(x->f, seq, false);
		csv_field(x->f, t, false);
		for (i = 0; i < KGW_AF_NFIELDS; i++)
			csv_field(x->f, r->field[i], false);
		csv_field(x->f, r->detail, false);
		csv_field(x->f, mac, true);
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

int
cmd_audit(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct export x = { NULL, true, INT64_MIN, INT64_MAX, 0 };
	const char *what;
	int ch, status;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_FORMAT) {
			if (strcmp(optarg, "csv") != 0 &&
			    strcmp(optarg, "json") != 0)
				enroll_usage("audit: --format is csv or json");
			x.csv = strcmp(optarg, "csv") == 0;
		} else if (ch == OPT_SINCE)
			x.since = parse_date("--since", optarg);
		else if (ch == OPT_UNTIL)
			x.until = parse_date("--until", optarg);
		else
			enroll_common_option(e, "audit", ch, argv);
	}
	if (argc - optind != 1)
		enroll_usage("audit: expected verify or export (see --help)");
	what = argv[optind];
	if (strcmp(what, "verify") != 0 && strcmp(what, "export") != 0)
		enroll_usage("audit: expected verify or export (see --help)");
	if (e->json)
		x.csv = false;
	enroll_open(e);
	status = strcmp(what, "verify") == 0 ? verify(e) : export(e, &x);
	enroll_close(e);
	return status;
}
