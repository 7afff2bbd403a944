/*
 * kakogawa-enroll, the helpdesk's tool: global options, then one command
 * from the table below. Each command family lives in its own file.
 */
#include <config.h>

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enroll.h"
#include "kgw_i18n.h"

static int cmd_help(struct enroll *, int, char **);

static const struct command {
	const char *name;
	int (*run)(struct enroll *e, int argc, char **argv);
} commands[] = {
	{ "init", cmd_init },
	{ "add", cmd_add },
	{ "passwd", cmd_passwd },
	{ "totp", cmd_totp },
	{ "fido2", cmd_fido2 },
	{ "list", cmd_list },
	{ "show", cmd_show },
	{ "unlock", cmd_unlock },
	{ "disable", cmd_disable },
	{ "enable", cmd_enable },
	{ "delete", cmd_delete },
	{ "revoke", cmd_revoke },
	{ "backup-codes", cmd_backup_codes },
	{ "temp-code", cmd_temp_code },
	{ "resync", cmd_resync },
	{ "zones", cmd_zones },
	{ "role", cmd_role },
	{ "expires", cmd_expires },
	{ "zone-check", cmd_zone_check },
	{ "import", cmd_import },
	{ "migrate", cmd_migrate },
	{ "audit", cmd_audit },
	{ "check", cmd_check },
	{ "help", cmd_help },
};

void
enroll_help(FILE *out)
{
	/* TRANSLATORS: keep the commands and options as they are. */
	(void)fprintf(out, _(
"Usage: %s [--config PATH] [--json] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  init                  create the key, the store and the configuration\n"
"                        where absent; with --config, a whole deployment\n"
"                        in the directory of PATH\n"
"  add USER [--zones LIST] [--role ROLE] [--expires DATE]\n"
"       [--password-stdin [--permanent]]\n"
"                        enrol USER, authorised for the zones in LIST,\n"
"                        with a password read from stdin (temporary:\n"
"                        changed at the first login, unless --permanent)\n"
"  passwd USER [--password-stdin | --hash-stdin] [--temporary]\n"
"                        set the password of USER (--temporary: to be\n"
"                        changed at the next login)\n"
"  totp USER [--secret] [--algorithm sha1|sha256|sha512] [--digits 6|8]\n"
"       [--show qr|uri|none] [--verify]\n"
"                        enrol a TOTP secret for USER and show it once;\n"
"                        with --verify it is active only once a code from\n"
"                        the new device matches (the old one stays until\n"
"                        then)\n"
"  totp USER --confirm   activate USER's pending TOTP with a code from it\n"
"  resync USER           re-centre USER's token on two consecutive codes\n"
"                        (its clock may be up to a day off)\n"
"  fido2 USER [--label LABEL] [--device PATH] [--algorithm es256|eddsa]\n"
"       [--pin-stdin]\n"
"                        enrol the security key plugged in (the first\n"
"                        touched, when several are) for USER\n"
"  list                  list the enrolled users\n"
"  show USER             show USER and the changes made to it\n"
"  unlock USER           clear the failures and lock of USER\n"
"  disable USER          refuse every login of USER\n"
"  enable USER           allow the logins of USER again\n"
"  delete USER           remove USER and all of its factors\n"
"  revoke USER password|totp|fido2 [LABEL]\n"
"                        remove one factor of USER (fido2: the key\n"
"                        LABEL, or all of them)\n"
"  revoke USER backup-codes|temp-code\n"
"                        remove USER's backup codes or temporary code\n"
"  backup-codes USER [--count N]\n"
"                        issue N (10) single-use backup codes, shown once;\n"
"                        they replace USER's earlier ones\n"
"  temp-code USER [--ttl DURATION]\n"
"                        issue a single-use code for a person who lost\n"
"                        every factor, valid for DURATION (1h; 1m to 24h)\n"
"  zones USER [--set LIST | --add LIST | --remove LIST]\n"
"                        show or change the zones USER may log in to\n"
"  role USER [ROLE]      show or set the role of USER (staff, or a\n"
"                        [role] of the configuration)\n"
"  expires USER [DATE|never]\n"
"                        show or set the last day USER may log in\n"
"                        (YYYY-MM-DD, local time)\n"
"  zone-check USER [--rhost ADDR | --tty TTY] [--host-zone ZONE]\n"
"                        explain the verdict the module would reach for a\n"
"                        login of USER from ADDR (default: the console)\n"
"  import FILE.csv [--dry-run]\n"
"                        apply a personnel transfer file (adds, zone\n"
"                        changes, disables, deletes) in one transaction\n"
"  migrate --to CONFIG [--dry-run]\n"
"                        copy every person of this store into the store\n"
"                        CONFIG names (SQLite or directory, either way),\n"
"                        secrets sealed as they are (the same key file on\n"
"                        both sides); all or nothing: refused when anyone\n"
"                        is already there\n"
"  audit verify [--archive FILE]\n"
"                        check the audit trail (or an archive of it):\n"
"                        every record's MAC, none missing, moved or added\n"
"                        (exit 1 if tampered)\n"
"  audit start           start the trail of a store made before it\n"
"  audit export [--format csv|json] [--since DATE] [--until DATE]\n"
"                        the audit records (DATE: YYYY-MM-DD, UTC)\n"
"  audit report [--since DATE] [--until DATE] [--zone ZONE] [--user USER]\n"
"       [--format text|json|csv]\n"
"                        logins and refusals per zone and person, reasons,\n"
"                        lockouts, possible key clones, helpdesk changes\n"
"  audit prune --before DATE --archive FILE\n"
"                        move older records to a new archive FILE (an\n"
"                        absolute path) that verifies on its own\n"
"  check [--only files,pam,policy,clock] [--unused-days N] [--pam-dir DIR]\n"
"                        the host's self-inspection: findings with their\n"
"                        severity and policy clause (exit 0 none, 1\n"
"                        warnings, 2 critical); Japanese when LANG=ja*\n"
"  help                  show this help\n"
"\n"
"Options:\n"
"  --config PATH         configuration file (default %s)\n"
"  --json                print JSON for scripts\n"
"  --help, -h            show this help\n"
"  --version, -V         show the version\n"
"  --password-stdin      read the password as one line of standard input\n"
"                        (default: ask twice on the terminal, without echo)\n"
"  --hash-stdin          read an existing crypt(5) hash from standard input\n"
"  --secret              read an existing base32 TOTP secret from standard\n"
"                        input (or a prompt without echo) instead of making\n"
"                        a new one\n"
"  --algorithm ALG       totp: the hash, sha1, sha256 or sha512 (default:\n"
"                        config); fido2: the key type, es256 (default)\n"
"                        or eddsa\n"
"  --label LABEL         fido2: the key's name, 1 to 32 of A-Z a-z 0-9 _ . -\n"
"                        (default key1, key2, ...)\n"
"  --device PATH         fido2: that key (as libfido2 names it), not the\n"
"                        one touched among those plugged in\n"
"  --digits N            TOTP code length: 6 or 8 (default: config)\n"
"  --pin-stdin           read a security key's PIN from standard input\n"
"                        (default: ask on the terminal, without echo)\n"
"  --show HOW            qr: QR code, URI and secret (default); uri: the\n"
"                        otpauth URI only; none: show no secret\n"
"  --verify              totp: keep the new TOTP pending until a code from\n"
"                        the new device (terminal or stdin) matches it\n"
"  --confirm             totp: read a code for the pending TOTP\n"
"  --count N             backup-codes: how many, 1 to 20 (default 10)\n"
"  --ttl DURATION        temp-code: 90s, 30m, 2h ... (default 1h)\n"
"  --to CONFIG           migrate: the configuration of the store to fill\n"
"  --dry-run             import, migrate: check everything, change nothing\n"
"\n"
"Secrets are never taken from the command line.\n"
"Exit status: 0 success, 1 failure, 2 command line error; zone-check:\n"
"0 allow, 1 deny, 2 command line error, 3 cannot judge (a broken deployment).\n"),
	    PROGNAME, KGW_CONF_DEFAULT);
}

static int
cmd_help(struct enroll *e, int argc, char **argv)
{
	(void)e;
	(void)argc;
	(void)argv;
	enroll_help(stdout);
	return 0;
}

static void
version(void)
{
	(void)printf(PROGNAME " (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	exit(fflush(stdout) == 0 ? 0 : 1);
}

/*
 * totp prints secrets through stdout: give it a buffer of ours, wiped at
 * exit, rather than one libc frees with the secret still in it.
 */
static char stdout_buf[BUFSIZ];

static void
wipe_stdout(void)
{
	(void)fflush(stdout);
	explicit_bzero(stdout_buf, sizeof(stdout_buf));
}

/* Secrets pass through this process: no core file, nothing readable. */
static void
harden(void)
{
	struct rlimit rl = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &rl);
	/* No core, no ptrace by the same user: secrets pass through here. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)umask(077);
	(void)setvbuf(stdout, stdout_buf, isatty(STDOUT_FILENO) ? _IOLBF :
	    _IOFBF, sizeof(stdout_buf));
	(void)atexit(wipe_stdout);
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	/* Echoed only when it looks like a mistyped command, not a secret. */
	if (strlen(name) <= 16 && strspn(name, "abcdefghijklmnopqrstuvwxyz-") ==
	    strlen(name))
		enroll_usage("unknown command '%s' (see --help)", name);
	enroll_usage("unknown command (see --help)");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		ENROLL_COMMON_OPTIONS,
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd;
	struct enroll e;
	int ch, status;

	harden();
	/* The operator's language for messages; data output stays as is. */
	(void)setlocale(LC_ALL, "");
	kgw_i18n_init();
	(void)textdomain(PACKAGE);
	memset(&e, 0, sizeof(e));
	e.config = KGW_CONF_DEFAULT;
	enroll_log_init(&e.log);
	opterr = 0;
	/* "+": stop at the command; its own options are its business. */
	while ((ch = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		if (ch == 'V' || ch == OPT_VERSION)
			version();
		enroll_common_option(&e, NULL, ch == 'h' ? OPT_HELP : ch, argv);
	}
	if (optind >= argc)
		enroll_usage("missing COMMAND (see --help)");
	cmd = find_command(argv[optind]);
	argc -= optind;
	argv += optind;
	optind = 0;	/* glibc: start afresh, after the command name */
	status = cmd->run(&e, argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		enroll_warn("cannot write to standard output");
		status = 1;
	}
	return status;
}
