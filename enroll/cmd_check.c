/*
 * check: the yearly self-inspection (自己点検) of a host in one command:
 * its files, its PAM stacks, the policy in force and its clock, as a list
 * of findings with their severity and the policy clause each maps to, as
 * text or JSON; the findings' text in the operator's language (gettext),
 * the ids and keys never translated. The exit status tells a monitoring
 * job: 0 nothing to act on, 1 warnings, 2 critical findings.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "kgw_err.h"
#include "kgw_num.h"

enum {
	OPT_PAM_DIR = OPT_CMD_BASE,
	OPT_UNUSED_DAYS,
	OPT_ONLY,
};

#define PARTS_ALL "files,pam,policy,clock"

void
check_add(struct check *c, enum check_severity sev, const char *id,
    const char *clause, const char *text)
{
	struct finding *f;

	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 16 : c->cap * 2;
		if ((c->f = reallocarray(c->f, c->cap, sizeof(*c->f))) == NULL)
			enroll_die("out of memory");
	}
	f = &c->f[c->n++];
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	(void)snprintf(f->id, sizeof(f->id), "%s", id);
	f->clause = clause;
	(void)snprintf(f->text, sizeof(f->text), "%s", text);
}

static const char *
severity_name(enum check_severity s)
{
	return s == CHECK_CRITICAL ? "critical" : s == CHECK_WARNING ?
	    "warning" : "info";
}

static void
print_text(const struct check *c)
{
	char host[256] = "?";
	size_t i;

	(void)gethostname(host, sizeof(host) - 1);
	(void)printf(dngettext(PACKAGE, "self-inspection of %s: %zu finding",
	    "self-inspection of %s: %zu findings", (unsigned long)c->n), host,
	    c->n);
	(void)putchar('\n');
	for (i = 0; i < c->n; i++)
		(void)printf("[%s] %s (%s)\n    %s\n",
		    severity_name(c->f[i].severity), c->f[i].id,
		    c->f[i].clause, c->f[i].text);
}

static void
print_json(const struct check *c)
{
	size_t i;

	(void)fputs("{\"findings\":[", stdout);
	for (i = 0; i < c->n; i++) {
		(void)printf("%s{\"severity\":\"%s\",\"id\":", i > 0 ? "," : "",
		    severity_name(c->f[i].severity));
		json_string(stdout, c->f[i].id);
		(void)fputs(",\"clause\":", stdout);
		json_string(stdout, c->f[i].clause);
		(void)fputs(",\"text\":", stdout);
		json_string(stdout, c->f[i].text);
		(void)putchar('}');
	}
	(void)puts("]}");
}

/* --only: known parts only, or nothing would be checked, silently. */
static void
parts_valid(const char *only)
{
	static const char *const names[] = { "files", "pam", "policy",
	    "clock" };
	const char *p = only;
	size_t n, i;

	do {
		n = strcspn(p, ",");
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == n && strncmp(p, names[i], n) == 0)
				break;
		if (n == 0 || i == sizeof(names) / sizeof(names[0]))
			enroll_usage("check: --only takes files, pam, policy, "
			    "clock, separated by commas");
		p += n;
	} while (*p++ == ',');
}

/* No files finding since index from. */
static bool
files_ok(const struct check *c, size_t from)
{
	size_t i;

	for (i = from; i < c->n; i++)
		if (strncmp(c->f[i].id, "files.", 6) == 0)
			return false;
	return true;
}

static bool
part(const char *only, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = strstr(only, name); p != NULL; p = strstr(p + 1, name))
		if ((p == only || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

/*
 * The files first, with the configuration alone: when they are unsafe the
 * store is not opened (the tool would refuse to), and the rest of the
 * policy cannot be inspected, which is said too.
 */
static void
inspect(struct check *c, const char *only)
{
	struct enroll *e = c->e;
	size_t before = c->n;

	enroll_config_path(e);
	if (kgw_conf_load(&e->log, e->config_abs, &e->conf) != KGW_OK) {
		check_add(c, CHECK_CRITICAL, "files.configuration",
		    CLAUSE_ACCESS, _("the configuration cannot be read or is "
		    "malformed (see above): the module refuses every login"));
		return;
	}
	if (part(only, "files"))
		check_files(c);
	if (part(only, "pam"))
		check_pam(c);
	if (part(only, "clock"))
		check_clock(c);
	if (!part(only, "policy"))
		return;
	if (c->n > before && !files_ok(c, before)) {
		check_add(c, CHECK_CRITICAL, "policy.not_inspected",
		    CLAUSE_AUDIT, _("the policy in the store was not "
		    "inspected: its files are unsafe"));
		return;
	}
	enroll_open(e);
	check_policy(c);
	check_directory(c);
	enroll_close(e);
}

int
cmd_check(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pam-dir", required_argument, NULL, OPT_PAM_DIR },
		{ "unused-days", required_argument, NULL, OPT_UNUSED_DAYS },
		{ "only", required_argument, NULL, OPT_ONLY },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct check c;
	const char *only = PARTS_ALL;
	unsigned long days;
	size_t i;
	int ch, worst = 0;

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.pam_dir = "/etc/pam.d";
	c.unused_days = 90;
	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_PAM_DIR)
			c.pam_dir = optarg;
		else if (ch == OPT_UNUSED_DAYS) {
			if (kgw_parse_ulong(optarg, 0, 3650, &days) != KGW_OK)
				enroll_usage("check: --unused-days takes 0 to "
				    "3650");
			c.unused_days = (unsigned)days;
		} else if (ch == OPT_ONLY)
			only = optarg;
		else
			enroll_common_option(e, "check", ch, argv);
	}
	if (optind != argc)
		enroll_usage("check: too many arguments (see --help)");
	parts_valid(only);
	inspect(&c, only);
	if (e->json)
		print_json(&c);
	else
		print_text(&c);
	for (i = 0; i < c.n; i++)
		if (c.f[i].severity == CHECK_CRITICAL)
			worst = 2;
		else if (c.f[i].severity == CHECK_WARNING && worst == 0)
			worst = 1;
	free(c.f);
	return worst;
}
