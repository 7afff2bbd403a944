/*
 * What every subcommand needs: messages on stderr, the options they share,
 * the USER argument, and opening the configuration and the store.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enroll.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_user.h"
#include "kgw_str.h"

/*
 * One line to stderr, PROGNAME first. Messages quote what was given (a
 * zone list, a path): control characters in it (C0, DEL, C1 as UTF-8)
 * become '?', so that an argument cannot forge a line or steer the
 * helpdesk's terminal. UTF-8 text (Japanese) passes.
 */
static void
emit_line(const char *msg)
{
	const unsigned char *p = (const unsigned char *)msg;

	(void)fflush(stdout);	/* keep stdout and stderr in order on a tty */
	(void)fputs(PROGNAME ": ", stderr);
	for (; *p != '\0'; p++) {
		bool c1 = p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;

		if (*p < 0x20 || *p == 0x7f || c1) {
			(void)fputc('?', stderr);
			p += c1;
		} else
			(void)fputc(*p, stderr);
	}
	(void)fputc('\n', stderr);
}

static void __attribute__((format(printf, 1, 0)))
vmsg(const char *fmt, va_list ap)
{
	char line[4096];

	/* every caller's text is in po/ */
	(void)vsnprintf(line, sizeof(line), _(fmt), ap);
	emit_line(line);
}

void
enroll_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void
enroll_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(1);
}

/* A command line we cannot make sense of: exit status 2. */
void
enroll_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(2);
}

/* The core's log lines go to stderr with our name, like our own. */
static void
log_emit(void *arg, int priority, const char *msg)
{
	(void)arg;
	(void)priority;
	emit_line(msg);
}

void
enroll_log_init(struct kgw_log *log)
{
	log->emit = log_emit;
	log->arg = NULL;
	log->debug = false;
	log->translate = true;
}

/*
 * getopt_long with its own messages off: ours name the subcommand, and
 * never echo an option's value, which might be a secret typed by mistake.
 */
int
enroll_getopt(int argc, char **argv, const struct option *opts)
{
	opterr = 0;
	return getopt_long(argc, argv, ":", opts, NULL);
}

static _Noreturn void
bad_option(const char *cmd, int ch, char **argv)
{
	const char *what = ch == ':' ? N_("missing value for") :
	    N_("unknown option");
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char name[64] = "?";

	if (optopt > ' ' && optopt < 0x7f)
		(void)snprintf(name, sizeof(name), "-%c", optopt);
	else if (strncmp(arg, "--", 2) == 0)
		(void)snprintf(name, sizeof(name), "%.*s",
		    (int)strcspn(arg, "="), arg);
	/* glibc: a known long option given "=value" it does not take */
	if (ch == '?' && optopt >= OPT_CONFIG)
		what = N_("no value allowed for");
	if (cmd == NULL)
		enroll_usage("%s %s (see --help)", _(what), name);
	enroll_usage("%s: %s %s (see --help)", cmd, _(what), name);
}

void
enroll_common_option(struct enroll *e, const char *cmd, int ch, char **argv)
{
	switch (ch) {
	case OPT_CONFIG:
		e->config = optarg;
		e->config_given = true;
		break;
	case OPT_JSON:
		e->json = true;
		break;
	case OPT_HELP:
		enroll_help(stdout);
		exit(fflush(stdout) == 0 ? 0 : 1);
	default:
		bad_option(cmd, ch, argv);
	}
}

/* Dies unless user is a valid name; the name is not echoed, as it may be
 * a password typed in the wrong place. */
void
enroll_check_user(const char *cmd, const char *user)
{
	if (!kgw_username_valid(user))
		enroll_die("%s: invalid user name", cmd);
}

/* The one USER operand, checked before anything else happens. */
const char *
enroll_user_arg(int argc, char **argv, const char *cmd)
{
	if (optind >= argc)
		enroll_usage("%s: missing USER (see --help)", cmd);
	if (argc - optind > 1)
		enroll_usage("%s: too many arguments (see --help)", cmd);
	enroll_check_user(cmd, argv[optind]);
	return argv[optind];
}

/*
 * The configuration path made absolute, as the core's safe-path checks
 * require: a relative one is taken from the real path of its directory.
 */
void
enroll_config_path(struct enroll *e)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash, *base;
	int n;

	if (e->config[0] == '/') {
		if (kgw_strcopy(e->config_abs, sizeof(e->config_abs),
		    e->config) != KGW_OK)
			enroll_die("configuration path too long");
		return;
	}
	slash = strrchr(e->config, '/');
	base = slash != NULL ? slash + 1 : e->config;
	if (base[0] == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0)
		enroll_die("%s: not a file name", e->config);
	n = snprintf(dir, sizeof(dir), "%.*s",
	    slash != NULL ? (int)(slash - e->config) : 1,
	    slash != NULL ? e->config : ".");
	if (n < 0 || (size_t)n >= sizeof(dir))
		enroll_die("configuration path too long");
	if (dir[0] == '\0')
		(void)kgw_strcopy(dir, sizeof(dir), "/");
	if (realpath(dir, real) == NULL)
		enroll_die("%s: %s", dir, strerror(errno));
	n = snprintf(e->config_abs, sizeof(e->config_abs), "%s%s%s", real,
	    strcmp(real, "/") == 0 ? "" : "/", base);
	if (n < 0 || (size_t)n >= sizeof(e->config_abs))
		enroll_die("configuration path too long");
}

/* Configuration, store and operator name; any failure ends the run. */
/* Every change the tool makes goes into the audit trail, keyed. */
void
enroll_audit_arm(struct enroll *e)
{
	char host[KGW_AUDIT_FIELD_MAX + 1] = "unknown";
	struct kgw_key key;
	int r;

	if ((r = kgw_key_load(&e->log, e->conf.key, &key)) != KGW_OK)
		enroll_die("cannot read the key file %s: %s", e->conf.key,
		    kgw_strerror(r));
	if (gethostname(host, sizeof(host) - 1) != 0)
		(void)snprintf(host, sizeof(host), "unknown");
	r = kgw_store_audit_init(e->store, &key, host);
	kgw_key_wipe(&key);
	if (r != KGW_OK)
		enroll_die("cannot arm the audit trail: %s", kgw_strerror(r));
}

void
enroll_open(struct enroll *e)
{
	int r;

	enroll_config_path(e);
	if ((r = kgw_conf_load(&e->log, e->config_abs, &e->conf)) != KGW_OK) {
		if (r == KGW_ERR_MISSING)
			enroll_die("no configuration %s (see the init command)",
			    e->config_abs);
		enroll_die("cannot load configuration %s: %s", e->config_abs,
		    kgw_strerror(r));
	}
	if ((r = kgw_store_open(&e->log, &e->conf, 0, &e->store)) != KGW_OK)
		enroll_die("cannot open store %s: %s", e->conf.store,
		    kgw_strerror(r));
	enroll_audit_arm(e);
	operator_name(e->operator_name, sizeof(e->operator_name));
}

void
enroll_close(struct enroll *e)
{
	kgw_store_close(&e->store);
}

/* The success line: text for people, an object for --json. */
void
enroll_done(const struct enroll *e, const char *user, const char *action,
    const char *fmt, ...)
{
	va_list ap;

	if (!e->json) {
		va_start(ap, fmt);
		(void)vprintf(fmt, ap);
		va_end(ap);
		(void)putchar('\n');
		return;
	}
	(void)fputs("{\"user\":", stdout);
	json_string(stdout, user);
	(void)fputs(",\"action\":", stdout);
	json_string(stdout, action);
	(void)fputs("}\n", stdout);
}

/* Reports a failed store call ("cannot unlock alice: no such user"). */
int
enroll_store_error(const char *what, const char *user, int rc)
{
	enroll_warn("%s %s: %s", what, user, kgw_strerror(rc));
	return 1;
}
