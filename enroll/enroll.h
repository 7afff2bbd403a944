/*
 * kakogawa-enroll: what the subcommand files share. The tool reaches the
 * store only through the core library (libkgw), never through libpam.
 */
#ifndef ENROLL_H
#define ENROLL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kgw_conf.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_log.h"
#include "kgw_store.h"

#define PROGNAME "kakogawa-enroll"

/*
 * The tool shows the core's error texts (marked N_ in err.c) in the
 * operator's language; the module logs them in English. The inner name
 * is the function: a macro does not expand within itself.
 */
#define kgw_strerror(rc) _(kgw_strerror(rc))

/* Everything one run of the tool works with; main owns it. */
struct enroll {
	const char *config;		/* as given, or KGW_CONF_DEFAULT */
	bool config_given;		/* --config: init makes a throwaway deployment */
	bool json;
	char config_abs[KGW_PATH_MAX];	/* config made absolute */
	struct kgw_log log;
	struct kgw_conf conf;
	struct kgw_store *store;
	char operator_name[KGW_OPERATOR_MAX];
};

/*
 * Options every subcommand also accepts after its name, so that
 * "kakogawa-enroll list --json" works as well as "--json list".
 */
enum {
	OPT_CONFIG = 0x100,
	OPT_JSON,
	OPT_HELP,
	OPT_VERSION,
	OPT_CMD_BASE = 0x200,	/* subcommands number their own from here */
};
#define ENROLL_COMMON_OPTIONS						\
	{ "config", required_argument, NULL, OPT_CONFIG },		\
	{ "json", no_argument, NULL, OPT_JSON },			\
	{ "help", no_argument, NULL, OPT_HELP }

/* main.c */
void enroll_help(FILE *out);

/* util.c: messages, option handling, opening the store. */
void enroll_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void enroll_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
_Noreturn void enroll_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void enroll_log_init(struct kgw_log *log);
int enroll_getopt(int argc, char **argv, const struct option *opts);
void enroll_common_option(struct enroll *e, const char *cmd, int ch,
    char **argv);
void enroll_check_user(const char *cmd, const char *user);
const char *enroll_user_arg(int argc, char **argv, const char *cmd);
void enroll_config_path(struct enroll *e);
void enroll_open(struct enroll *e);
void enroll_close(struct enroll *e);
/* Arms the store's audit trail with the key file (a new store's starts). */
void enroll_audit_arm(struct enroll *e);
void enroll_done(const struct enroll *e, const char *user, const char *action,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int enroll_store_error(const char *what, const char *user, int rc);

/* operator.c */
void operator_name(char *out, size_t outlen);

/* secret_input.c */
int secret_read_line(int fd, const char *what, char *buf, size_t cap);
int secret_prompt(const char *prompt, const char *what, char *buf,
    size_t cap);
bool secret_equal(const char *a, const char *b);

/* qr.c */
int qr_print(FILE *out, const char *text);

/* cmd_zone.c: a zone list from the command line, checked against the config */
int enroll_zone_list(const struct enroll *e, const char *text, char *out,
    size_t outlen);

/* json.c */
void json_string(FILE *out, const char *s);
/* A stored zone list ("a,b") as a JSON array of names. */
void json_zone_list(FILE *out, const char *zones);

/*
 * csv.c: the rows of an import file (its format is described there).
 * csv_open reads the whole file; csv_next gives the next row (1), the end
 * (0), or -1 after reporting the bad line; csv_rewind starts again from
 * the top; csv_warn reports "FILE:LINE: ..." about the line last read.
 */
#define CSV_FILE_MAX (64UL * 1024 * 1024)
#define CSV_LINE_MAX 1024	/* bytes, without the line end */

enum csv_action {
	CSV_ADD,
	CSV_ZONES,
	CSV_DISABLE,
	CSV_ENABLE,
	CSV_DELETE,
	CSV_NACTIONS,
};

struct csv_row {
	enum csv_action action;
	const char *user;	/* a valid user name */
	const char *zones;	/* as written; "" unless add or zones */
};

struct csv {
	const char *path;	/* as given, for messages */
	char *buf;		/* the whole file, NUL-terminated */
	size_t len;
	size_t pos;		/* where the next line starts */
	unsigned long lineno;	/* the line last read, from 1 */
	bool header;		/* the header line was read */
	char line[CSV_LINE_MAX + 1];	/* that line, split into fields */
};

int csv_open(struct csv *c, const char *path);
int csv_next(struct csv *c, struct csv_row *row);
void csv_rewind(struct csv *c);
void csv_close(struct csv *c);
const char *csv_action_name(enum csv_action action);
void csv_warn(const struct csv *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* end of csv.c */

/* cmd_account.c: roles, expiry dates and the password rules */
int enroll_expiry_parse(const char *s, int64_t *out);
void enroll_expiry_format(int64_t expires, char *out, size_t outlen);
int enroll_role_arg(const struct enroll *e, const char *role,
    const char **out);
int enroll_password_rules(const struct enroll *e, const char *user,
    const char *role, const char *password);

/* The subcommands. Each returns the exit status. */
int cmd_init(struct enroll *e, int argc, char **argv);
int cmd_add(struct enroll *e, int argc, char **argv);
int cmd_passwd(struct enroll *e, int argc, char **argv);
int cmd_totp(struct enroll *e, int argc, char **argv);
int cmd_list(struct enroll *e, int argc, char **argv);
int cmd_show(struct enroll *e, int argc, char **argv);
int cmd_unlock(struct enroll *e, int argc, char **argv);
int cmd_disable(struct enroll *e, int argc, char **argv);
int cmd_enable(struct enroll *e, int argc, char **argv);
int cmd_delete(struct enroll *e, int argc, char **argv);
int cmd_revoke(struct enroll *e, int argc, char **argv);
int cmd_fido2(struct enroll *e, int argc, char **argv);
int cmd_audit(struct enroll *e, int argc, char **argv);
int cmd_check(struct enroll *e, int argc, char **argv);
int cmd_role(struct enroll *e, int argc, char **argv);
int cmd_expires(struct enroll *e, int argc, char **argv);

/* Recovery (cmd_recovery.c) and codes from a token (cmd_totp_check.c). */
int cmd_backup_codes(struct enroll *e, int argc, char **argv);
int cmd_temp_code(struct enroll *e, int argc, char **argv);
int cmd_resync(struct enroll *e, int argc, char **argv);
int enroll_revoke_recovery(struct enroll *e, const char *user,
    enum kgw_recovery_kind kind);
int totp_prove(struct enroll *e, const char *user, const struct kgw_totp *t,
    const struct kgw_totp_pending *p);
void totp_pending_note(const char *user);
int totp_confirm(struct enroll *e, const char *user);

/* audit report (cmd_audit_report.c): the records it counts. */
struct audit_filter {
	int64_t since, until;	/* [since, until), Unix time */
	const char *zone;	/* NULL: every zone (and the changes) */
	const char *user;	/* NULL: everyone */
};
enum { AUDIT_TEXT, AUDIT_JSON, AUDIT_CSV };
int audit_report(struct enroll *e, const struct audit_filter *f, int format);
/* The store's audit trail verifies under the key file. */
bool enroll_audit_intact(struct enroll *e);
/* One CSV cell for a spreadsheet: quoted, never a formula. */
void enroll_csv_cell(FILE *f, const char *s, bool last);
int cmd_zones(struct enroll *e, int argc, char **argv);
int cmd_zone_check(struct enroll *e, int argc, char **argv);
int cmd_import(struct enroll *e, int argc, char **argv);
int cmd_migrate(struct enroll *e, int argc, char **argv);

#endif
