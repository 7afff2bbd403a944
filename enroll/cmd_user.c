/*
 * The account subcommands: add, passwd, unlock, disable, enable, delete,
 * revoke. Each is one store call (add with a password is two), recorded
 * by the store with the operator's name.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "enroll.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_password.h"
#include "kgw_store.h"

enum {
	OPT_PASSWORD_STDIN = OPT_CMD_BASE,
	OPT_HASH_STDIN,
	OPT_ZONES,
	OPT_TEMPORARY,
	OPT_PERMANENT,
	OPT_ROLE,
	OPT_EXPIRES,
};

/* What add sets besides the person's zones. */
struct new_person {
	const char *zones;
	const char *role;	/* "" for staff */
	int64_t expires;	/* 0: never */
	const char *hash;	/* NULL: no password */
	bool temporary;
};

/*
 * A new password: one line of stdin, or typed twice at the terminal. A
 * person who gave --password-stdin at a terminal is asked without echo too.
 */
static int
read_new_password(bool from_stdin, char pw[KGW_PASSWORD_MAX])
{
	char again[KGW_PASSWORD_MAX];
	int r;

	if (from_stdin && !isatty(STDIN_FILENO))
		r = secret_read_line(STDIN_FILENO, N_("password"), pw,
		    KGW_PASSWORD_MAX);
	else if ((r = secret_prompt(N_("New password: "), N_("password"), pw,
	    KGW_PASSWORD_MAX)) == KGW_OK &&
	    (r = secret_prompt(N_("Retype new password: "), N_("password"), again,
	    sizeof(again))) == KGW_OK && !secret_equal(pw, again)) {
		enroll_warn("passwords do not match");
		r = KGW_ERR_INVALID;
	}
	if (r == KGW_OK && pw[0] == '\0') {
		enroll_warn("empty password refused");
		r = KGW_ERR_INVALID;
	}
	explicit_bzero(again, sizeof(again));
	if (r != KGW_OK)
		explicit_bzero(pw, KGW_PASSWORD_MAX);
	return r;
}

/*
 * Reads a new password for user (of role), checks it against the password
 * rules and hashes it; the password is wiped at once.
 */
static int
hash_new_password(const struct enroll *e, const char *user, const char *role,
    bool from_stdin, char hash[KGW_HASH_MAX])
{
	char pw[KGW_PASSWORD_MAX];
	int r;

	if ((r = read_new_password(from_stdin, pw)) != KGW_OK ||
	    (r = enroll_password_rules(e, user, role, pw)) != KGW_OK)
		goto fail;
	if ((r = kgw_password_hash(pw, hash, KGW_HASH_MAX)) != KGW_OK)
		enroll_warn("cannot hash the password: %s", kgw_strerror(r));
fail:
	explicit_bzero(pw, sizeof(pw));
	return r;
}

/* An existing crypt(5) hash, for accounts moved from elsewhere. */
static int
read_hash(char hash[KGW_HASH_MAX])
{
	int r;

	if ((r = secret_read_line(STDIN_FILENO, N_("hash"), hash,
	    KGW_HASH_MAX)) != KGW_OK)
		return r;
	if (kgw_password_hash_valid(hash) != KGW_OK) {
		enroll_warn("not a crypt(5) hash this system can check");
		explicit_bzero(hash, KGW_HASH_MAX);
		return KGW_ERR_INVALID;
	}
	if (kgw_password_hash_legacy(hash))
		enroll_warn("warning: an old, weak hash method; the person "
		    "should set a new password soon");
	return KGW_OK;
}

/*
 * The person, their role, expiry and, when given, the password: one
 * transaction (a batch), so that no crash or failure in between leaves
 * someone added without what the command was given (tests/faults/crash.sh
 * found one).
 */
static int
add_person(struct enroll *e, const char *user, const struct new_person *p)
{
	const char *op = e->operator_name;
	int r;

	if ((r = kgw_store_batch_begin(e->store)) != KGW_OK)
		return r;
	if ((r = kgw_store_user_add(e->store, user, p->zones, op)) != KGW_OK ||
	    (p->role[0] != '\0' &&
	    (r = kgw_store_set_role(e->store, user, p->role, op)) != KGW_OK) ||
	    (p->expires != 0 && (r = kgw_store_set_expires(e->store, user,
	    p->expires, op)) != KGW_OK) ||
	    (p->hash != NULL && (r = p->temporary ?
	    kgw_store_set_temporary(e->store, user, p->hash, op) :
	    kgw_store_set_password(e->store, user, p->hash, op)) != KGW_OK)) {
		(void)kgw_store_batch_end(e->store, false);
		return r;
	}
	return kgw_store_batch_end(e->store, true);
}

/* add's options; --role and --expires are checked once the config is read. */
static void
add_options(struct enroll *e, int argc, char **argv, struct new_person *p,
    bool *pw_stdin, const char **role, const char **expires)
{
	static const struct option opts[] = {
		{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
		{ "zones", required_argument, NULL, OPT_ZONES },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "expires", required_argument, NULL, OPT_EXPIRES },
		{ "permanent", no_argument, NULL, OPT_PERMANENT },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_PASSWORD_STDIN)
			*pw_stdin = true;
		else if (ch == OPT_ZONES)
			p->zones = optarg;
		else if (ch == OPT_ROLE)
			*role = optarg;
		else if (ch == OPT_EXPIRES)
			*expires = optarg;
		else if (ch == OPT_PERMANENT)
			p->temporary = false;
		else
			enroll_common_option(e, "add", ch, argv);
	}
	if (*expires != NULL && enroll_expiry_parse(*expires, &p->expires) !=
	    KGW_OK)
		enroll_usage("add: --expires takes YYYY-MM-DD (the last day) "
		    "or never");
}

/*
 * add: a person's first password is temporary unless --permanent: the
 * helpdesk knows it, so the person replaces it at their first login.
 */
int
cmd_add(struct enroll *e, int argc, char **argv)
{
	struct new_person p = { "", "", 0, NULL, true };
	char hash[KGW_HASH_MAX] = "", zones[KGW_ZONE_LIST_MAX] = "";
	const char *user, *role = NULL, *expires = NULL;
	bool pw_stdin = false;
	int r, status = 1;

	add_options(e, argc, argv, &p, &pw_stdin, &role, &expires);
	user = enroll_user_arg(argc, argv, "add");
	enroll_open(e);
	/* Zones, role and password first: a refused one changes nothing. */
	if (enroll_zone_list(e, p.zones, zones, sizeof(zones)) != KGW_OK ||
	    (role != NULL && enroll_role_arg(e, role, &p.role) != KGW_OK) ||
	    (pw_stdin && hash_new_password(e, user, p.role, true, hash) !=
	    KGW_OK))
		goto fail;
	p.zones = zones;
	p.hash = pw_stdin ? hash : NULL;
	if ((r = add_person(e, user, &p)) != KGW_OK) {
		enroll_store_error("cannot add", user, r);
		goto fail;
	}
	enroll_done(e, user, "add", "added %s%s%s%s", user,
	    !pw_stdin ? "" : p.temporary ? " with a temporary password" :
	    " with a password", zones[0] != '\0' ? ", zones " :
	    ", no zones yet", zones);
	status = 0;
fail:
	explicit_bzero(hash, sizeof(hash));
	enroll_close(e);
	return status;
}

int
cmd_passwd(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
		{ "hash-stdin", no_argument, NULL, OPT_HASH_STDIN },
		{ "temporary", no_argument, NULL, OPT_TEMPORARY },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct kgw_user_rec rec;
	char hash[KGW_HASH_MAX] = "";
	bool pw_stdin = false, hash_stdin = false, temporary = false;
	const char *user;
	int ch, r, status = 1;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_PASSWORD_STDIN)
			pw_stdin = true;
		else if (ch == OPT_HASH_STDIN)
			hash_stdin = true;
		else if (ch == OPT_TEMPORARY)
			temporary = true;
		else
			enroll_common_option(e, "passwd", ch, argv);
	}
	if (pw_stdin && hash_stdin)
		enroll_usage("passwd: --password-stdin and --hash-stdin "
		    "exclude each other");
	user = enroll_user_arg(argc, argv, "passwd");
	enroll_open(e);
	/* Ask for no password on behalf of someone who is not enrolled. */
	if ((r = kgw_store_get_user(e->store, user, &rec)) != KGW_OK) {
		enroll_store_error("cannot set the password of", user, r);
		goto fail;
	}
	r = hash_stdin ? read_hash(hash) : hash_new_password(e, user, rec.role,
	    pw_stdin, hash);
	if (r != KGW_OK)
		goto fail;
	if ((r = temporary ? kgw_store_set_temporary(e->store, user, hash,
	    e->operator_name) : kgw_store_set_password(e->store, user, hash,
	    e->operator_name)) != KGW_OK) {
		enroll_store_error("cannot set the password of", user, r);
		goto fail;
	}
	enroll_done(e, user, "passwd", "%s for %s%s",
	    hash_stdin ? "password hash imported" : "password set", user,
	    temporary ? " (temporary: to be changed at the next login)" : "");
	status = 0;
fail:
	explicit_bzero(&rec, sizeof(rec));
	explicit_bzero(hash, sizeof(hash));
	enroll_close(e);
	return status;
}

enum simple_op { OP_UNLOCK, OP_DISABLE, OP_ENABLE, OP_DELETE };

static const struct {
	const char *cmd;
	const char *failed;	/* "cannot unlock" alice: ... */
	const char *done;	/* "unlocked" alice */
} simple_ops[] = {
	[OP_UNLOCK] = { "unlock", "cannot unlock", "unlocked" },
	[OP_DISABLE] = { "disable", "cannot disable", "disabled" },
	[OP_ENABLE] = { "enable", "cannot enable", "enabled" },
	[OP_DELETE] = { "delete", "cannot delete", "deleted" },
};

/* The subcommands that take a USER and nothing else. */
static int
simple(struct enroll *e, int argc, char **argv, enum simple_op op)
{
	static const struct option opts[] = {
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = simple_ops[op].cmd, *user;
	int ch, r = KGW_ERR_INTERNAL;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1)
		enroll_common_option(e, cmd, ch, argv);
	user = enroll_user_arg(argc, argv, cmd);
	enroll_open(e);
	switch (op) {
	case OP_UNLOCK:
		r = kgw_store_unlock(e->store, user, e->operator_name);
		break;
	case OP_DISABLE:
	case OP_ENABLE:
		r = kgw_store_set_disabled(e->store, user, op == OP_DISABLE,
		    e->operator_name);
		break;
	case OP_DELETE:
		r = kgw_store_user_delete(e->store, user, e->operator_name);
		break;
	}
	enroll_close(e);
	if (r != KGW_OK)
		return enroll_store_error(simple_ops[op].failed, user, r);
	enroll_done(e, user, cmd, "%s %s", simple_ops[op].done, user);
	return 0;
}

int
cmd_unlock(struct enroll *e, int argc, char **argv)
{
	return simple(e, argc, argv, OP_UNLOCK);
}

int
cmd_disable(struct enroll *e, int argc, char **argv)
{
	return simple(e, argc, argv, OP_DISABLE);
}

int
cmd_enable(struct enroll *e, int argc, char **argv)
{
	return simple(e, argc, argv, OP_ENABLE);
}

int
cmd_delete(struct enroll *e, int argc, char **argv)
{
	return simple(e, argc, argv, OP_DELETE);
}

/* revoke USER fido2 [LABEL]: one key, or all of them. */
static int
revoke_fido2(struct enroll *e, int argc, char **argv)
{
	const char *user = argv[optind], *label = NULL;
	int r;

	if (strcmp(argv[optind + 1], "fido2") != 0)
		enroll_usage("revoke: only fido2 takes a LABEL (see --help)");
	enroll_check_user("revoke", user);
	if (argc - optind == 3) {
		label = argv[optind + 2];
		if (!kgw_fido2_label_valid(label))
			enroll_usage("revoke: a label is 1 to 32 of A-Z a-z "
			    "0-9 _ . -");
	}
	enroll_open(e);
	r = kgw_store_fido2_revoke(e->store, user, label, e->operator_name);
	enroll_close(e);
	if (r == KGW_ERR_NOT_FOUND)
		r = KGW_ERR_NO_FACTOR;	/* the user may exist: say "no key" */
	if (r != KGW_OK)
		return enroll_store_error(label != NULL ?
		    "cannot revoke that security key of" :
		    "cannot revoke the security keys of", user, r);
	enroll_done(e, user, "revoke_fido2", "revoked %s of %s",
	    label != NULL ? label : "every security key", user);
	return 0;
}

int
cmd_revoke(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	enum kgw_factor factor;
	const char *user, *name;
	int ch, r;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1)
		enroll_common_option(e, "revoke", ch, argv);
	if (argc - optind == 3 || (argc - optind == 2 &&
	    strcmp(argv[optind + 1], "fido2") == 0))
		return revoke_fido2(e, argc, argv);
	if (argc - optind != 2)
		enroll_usage("revoke: expected USER and password, totp, "
		    "backup-codes, temp-code or fido2 [LABEL] (see --help)");
	user = argv[optind];
	name = argv[optind + 1];
	enroll_check_user("revoke", user);
	if (strcmp(name, "password") == 0)
		factor = KGW_FACTOR_PASSWORD;
	else if (strcmp(name, "totp") == 0)
		factor = KGW_FACTOR_TOTP;
	else if (strcmp(name, "backup-codes") == 0)
		return enroll_revoke_recovery(e, user, KGW_RECOVERY_BACKUP);
	else if (strcmp(name, "temp-code") == 0)
		return enroll_revoke_recovery(e, user, KGW_RECOVERY_TEMP);
	else
		enroll_usage("revoke: the factor is password, totp, "
		    "backup-codes, temp-code or fido2");
	enroll_open(e);
	r = kgw_store_revoke(e->store, user, factor, e->operator_name);
	enroll_close(e);
	if (r != KGW_OK)
		return enroll_store_error(factor == KGW_FACTOR_PASSWORD ?
		    "cannot revoke the password of" :
		    "cannot revoke the TOTP of", user, r);
	enroll_done(e, user, factor == KGW_FACTOR_PASSWORD ?
	    "revoke_password" : "revoke_totp", "revoked the %s of %s",
	    factor == KGW_FACTOR_PASSWORD ? "password" : "TOTP", user);
	return 0;
}
