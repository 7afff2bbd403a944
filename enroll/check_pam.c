/*
 * The PAM stacks a host really uses: each service's auth stack read as
 * libpam reads it (@include, include and substack followed), then judged:
 * pam_kakogawa.so must be in it, required or requisite, with nothing
 * before it that could end the stack with a success alone (a sufficient
 * module, a jump over it); and no module may let a person in with no
 * password (nullok). sshd's account stack must hold the module too: an SSH
 * public-key login goes through account only.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define LINE_MAX_PAM 1024
#define LINES_MAX 256
#define DEPTH_MAX 8

struct pam_line {
	char control[160];
	char module[256];
	char args[512];
	char where[128];	/* file:line */
};

struct stack {
	struct pam_line line[LINES_MAX];
	size_t n;
	bool truncated;
};

/* The next word of *p, a [bracketed control] taken whole. */
static char *
word(char **p)
{
	char *w = *p, *end;

	w += strspn(w, " \t");
	if (*w == '\0')
		return NULL;
	if (*w == '[' && (end = strchr(w, ']')) != NULL)
		end++;
	else
		end = w + strcspn(w, " \t");
	*p = end;
	if (**p != '\0')
		*(*p)++ = '\0';
	return w;
}

static void stack_read(const struct check *c, const char *service,
    const char *type, struct stack *s, int depth);

static void
line_add(struct stack *s, const char *control, const char *module,
    const char *args, const char *service, unsigned lineno)
{
	struct pam_line *l;

	if (s->n == LINES_MAX) {
		s->truncated = true;
		return;
	}
	l = &s->line[s->n++];
	(void)snprintf(l->control, sizeof(l->control), "%s", control);
	(void)snprintf(l->module, sizeof(l->module), "%s", module);
	(void)snprintf(l->args, sizeof(l->args), "%s", args);
	(void)snprintf(l->where, sizeof(l->where), "%s:%u", service, lineno);
}

/* One line of a service file: added, or followed when it includes. */
static void
line_parse(const struct check *c, char *text, const char *service,
    unsigned lineno, const char *type, struct stack *s, int depth)
{
	char *p = text, *t, *control, *module;

	if ((t = word(&p)) == NULL || t[0] == '#')
		return;
	if (strcmp(t, "@include") == 0) {
		if ((module = word(&p)) != NULL)
			stack_read(c, module, type, s, depth + 1);
		return;
	}
	if (t[0] == '-')
		t++;
	if (strcmp(t, type) != 0 || (control = word(&p)) == NULL ||
	    (module = word(&p)) == NULL)
		return;
	if (strcmp(control, "include") == 0 ||
	    strcmp(control, "substack") == 0) {
		stack_read(c, module, type, s, depth + 1);
		return;
	}
	p += strspn(p, " \t");
	line_add(s, control, module, p, service, lineno);
}

static void
stack_read(const struct check *c, const char *service, const char *type,
    struct stack *s, int depth)
{
	char path[1024], text[LINE_MAX_PAM];
	unsigned lineno = 0;
	FILE *f;

	if (depth > DEPTH_MAX || strchr(service, '/') != NULL ||
	    snprintf(path, sizeof(path), "%s/%s", c->pam_dir, service) >=
	    (int)sizeof(path) || (f = fopen(path, "re")) == NULL) {
		s->truncated = true;
		return;
	}
	while (fgets(text, sizeof(text), f) != NULL) {
		lineno++;
		text[strcspn(text, "\r\n")] = '\0';
		line_parse(c, text, service, lineno, type, s, depth);
	}
	(void)fclose(f);
}

static bool
is_module(const struct pam_line *l, const char *name)
{
	const char *base = strrchr(l->module, '/');

	return strcmp(base != NULL ? base + 1 : l->module, name) == 0;
}

/* pam_rootok's sufficient only lets root through: not a skip. */
static bool
is_ours(const struct pam_line *l)
{
	return is_module(l, "pam_kakogawa.so");
}

/*
 * The control of line i can end the stack in success, or jump past line
 * ours, on its module's success: sufficient, success=done, or success=N
 * landing beyond ours (Debian's common-auth jumps 1, over pam_deny only).
 */
static bool
may_skip(const char *control, size_t i, size_t ours)
{
	unsigned long n;
	const char *p;
	char *end;

	if (strcmp(control, "sufficient") == 0)
		return true;
	if (control[0] != '[')
		return false;
	if (strstr(control, "success=done") != NULL)
		return true;
	/* Any value=N jumps, whatever the result that takes it. */
	for (p = strchr(control, '='); p != NULL; p = strchr(p + 1, '=')) {
		if (p[1] < '0' || p[1] > '9')
			continue;	/* ok, ignore, die, bad, reset, done */
		n = strtoul(p + 1, &end, 10);
		if (i + n >= ours)
			return true;
	}
	return false;
}

static bool
has_arg(const char *args, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = strstr(args, name); p != NULL; p = strstr(p + 1, name))
		if ((p == args || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '\t'))
			return true;
	return false;
}

static void
judge_auth(struct check *c, const char *service, const struct stack *s,
    enum check_severity missing)
{
	char id[96], text[CHECK_TEXT_MAX];
	const struct pam_line *l;
	size_t i, ours = s->n;

	if (s->truncated) {
		(void)snprintf(id, sizeof(id), "pam.%s.unreadable", service);
		(void)snprintf(text, sizeof(text), _("%s: a file it includes "
		    "is missing, or the includes go too deep: cannot be "
		    "judged"), service);
		check_add(c, CHECK_CRITICAL, id, CLAUSE_MFA, text);
		return;
	}

	for (i = 0; i < s->n && ours == s->n; i++)
		if (is_ours(&s->line[i]))
			ours = i;
	for (i = 0; i < s->n; i++) {
		l = &s->line[i];
		if (!has_arg(l->args, "nullok") &&
		    !has_arg(l->args, "nullok_secure"))
			continue;
		(void)snprintf(id, sizeof(id), "pam.%s.nullok", service);
		/* TRANSLATORS: file:line, then the module's name. */
		(void)snprintf(text, sizeof(text), _("%s: %s lets an account "
		    "with no password in (nullok)"), l->where, l->module);
		check_add(c, CHECK_WARNING, id, CLAUSE_ACCESS, text);
	}
	if (ours == s->n) {
		(void)snprintf(id, sizeof(id), "pam.%s.missing", service);
		(void)snprintf(text, sizeof(text), _("%s: pam_kakogawa.so is "
		    "not in the auth stack: logins skip the zone check and the "
		    "second factor"), service);
		check_add(c, missing, id, CLAUSE_MFA, text);
		return;
	}
	l = &s->line[ours];
	if (strcmp(l->control, "required") != 0 &&
	    strcmp(l->control, "requisite") != 0) {
		(void)snprintf(id, sizeof(id), "pam.%s.control", service);
		/* TRANSLATORS: file:line, then its control (optional, ...). */
		(void)snprintf(text, sizeof(text), _("%s: pam_kakogawa.so is "
		    "%s, not required: its refusal may not stop the login"),
		    l->where, l->control);
		check_add(c, CHECK_CRITICAL, id, CLAUSE_MFA, text);
	}
	for (i = 0; i < ours; i++) {
		l = &s->line[i];
		if (!may_skip(l->control, i, ours) ||
		    is_module(l, "pam_rootok.so"))
			continue;
		(void)snprintf(id, sizeof(id), "pam.%s.skippable", service);
		/* TRANSLATORS: file:line, the module, its control. */
		(void)snprintf(text, sizeof(text), _("%s: %s (%s) comes before "
		    "pam_kakogawa.so and can let the login in without it"),
		    l->where, l->module, l->control);
		check_add(c, CHECK_CRITICAL, id, CLAUSE_MFA, text);
	}
}

/* sshd's public-key logins go through account alone. */
static void
judge_account(struct check *c, const char *service, const struct stack *s)
{
	char id[96], text[CHECK_TEXT_MAX];
	size_t i;

	for (i = 0; i < s->n; i++)
		if (is_ours(&s->line[i]))
			return;
	(void)snprintf(id, sizeof(id), "pam.%s.account_missing", service);
	(void)snprintf(text, sizeof(text), _("%s: pam_kakogawa.so is not in "
	    "the account stack: SSH public-key logins skip the zone check"),
	    service);
	check_add(c, CHECK_CRITICAL, id, CLAUSE_SEPARATION, text);
}

static const struct {
	const char *service;
	enum check_severity missing;	/* when the module is not there */
	bool account;			/* account stack checked too */
} services[] = {
	{ "login", CHECK_CRITICAL, false },
	{ "sshd", CHECK_CRITICAL, true },
	{ "gdm-password", CHECK_CRITICAL, false },
	{ "lightdm", CHECK_CRITICAL, false },
	{ "sddm", CHECK_CRITICAL, false },
	{ "su", CHECK_WARNING, false },
	{ "sudo", CHECK_WARNING, false },
	{ "xscreensaver", CHECK_WARNING, false },
	{ "gnome-screensaver", CHECK_WARNING, false },
	{ "kde", CHECK_WARNING, false },
};

void
check_pam(struct check *c)
{
	char path[1024];
	struct stack *s;
	size_t i;
	FILE *f;

	if ((s = malloc(sizeof(*s))) == NULL)
		enroll_die("out of memory");
	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", c->pam_dir,
		    services[i].service);
		if ((f = fopen(path, "re")) == NULL)
			continue;	/* not installed here */
		(void)fclose(f);
		memset(s, 0, sizeof(*s));
		stack_read(c, services[i].service, "auth", s, 0);
		judge_auth(c, services[i].service, s, services[i].missing);
		if (!services[i].account)
			continue;
		memset(s, 0, sizeof(*s));
		stack_read(c, services[i].service, "account", s, 0);
		judge_account(c, services[i].service, s);
	}
	free(s);
}
