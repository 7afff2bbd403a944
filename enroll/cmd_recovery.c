/*
 * backup-codes, temp-code and their revocation: recovery codes for a
 * person who lost a token. The codes are shown once and kept only as
 * keyed hashes; each issue replaces the person's earlier codes of its
 * kind, and is recorded with the operator.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "enroll.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_num.h"
#include "kgw_recovery.h"
#include "kgw_store.h"

enum {
	OPT_COUNT = OPT_CMD_BASE,
	OPT_TTL,
};

/* A set of codes, their hashes, and what they need wiped. */
struct codes {
	char text[KGW_BACKUP_CODES_MAX][KGW_RECOVERY_TEXT_MAX];
	unsigned char hash[KGW_BACKUP_CODES_MAX][KGW_RECOVERY_HASH_LEN];
	size_t n;
};

static void
codes_wipe(struct codes *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}

/* n new codes for user, hashed under the key file. */
static int
codes_make(struct enroll *e, const char *user, size_t n, struct codes *c)
{
	char norm[KGW_RECOVERY_SYMBOLS + 1];
	struct kgw_key key;
	size_t i;
	int r;

	if ((r = kgw_key_load(&e->log, e->conf.key, &key)) != KGW_OK) {
		enroll_warn("cannot load the key %s: %s", e->conf.key,
		    kgw_strerror(r));
		return r;
	}
	for (i = 0; i < n; i++) {
		if ((r = kgw_recovery_generate(c->text[i])) != KGW_OK ||
		    (r = kgw_recovery_normalize(c->text[i], norm)) != KGW_OK ||
		    (r = kgw_recovery_hash(&key, user, norm, c->hash[i])) !=
		    KGW_OK) {
			enroll_warn("cannot make a code: %s", kgw_strerror(r));
			break;
		}
	}
	c->n = i;
	OPENSSL_cleanse(norm, sizeof(norm));
	kgw_key_wipe(&key);
	return r;
}

/* The person's zones that take codes of kind, "a,b", or "". */
static void
zones_taking(const struct enroll *e, const struct kgw_user_rec *rec,
    enum kgw_recovery_kind kind, char *out, size_t outlen)
{
	const struct kgw_zones *z = &e->conf.zones;
	size_t len = 0;
	unsigned i;
	int n;

	out[0] = '\0';
	for (i = 0; i < z->nzones; i++) {
		if (!kgw_zone_list_has(rec->zones, z->zone[i].name) ||
		    !kgw_recovery_allowed(z, (int)i, kind) || len >= outlen)
			continue;
		n = snprintf(out + len, outlen - len, "%s%s",
		    len > 0 ? "," : "", z->zone[i].name);
		if (n > 0)
			len += (size_t)n;
	}
}

/* Where the codes work, or a warning that they work nowhere yet. */
static void
where_note(const struct enroll *e, const struct kgw_user_rec *rec,
    enum kgw_recovery_kind kind)
{
	char zones[KGW_ZONE_LIST_MAX];

	zones_taking(e, rec, kind, zones, sizeof(zones));
	if (zones[0] == '\0')
		enroll_warn("note: none of the zones of %s takes these codes "
		    "(see %s in kakogawa.conf(5))", rec->name,
		    kind == KGW_RECOVERY_BACKUP ? "backup_codes" :
		    "temp_codes");
	else if (!e->json)
		(void)printf(_("Accepted in the zones: %s\n"), zones);
}

static void
backup_print(const struct enroll *e, const char *user, const struct codes *c)
{
	size_t i;

	if (e->json) {
		(void)fputs("{\"user\":", stdout);
		json_string(stdout, user);
		(void)fputs(",\"action\":\"backup_codes\",\"codes\":[", stdout);
		for (i = 0; i < c->n; i++)
			(void)printf("%s\"%s\"", i > 0 ? "," : "", c->text[i]);
		(void)fputs("]}\n", stdout);
		return;
	}
	(void)printf(_("Backup codes for %s: each works once; a new set "
	    "replaces this one. Shown only now.\n"), user);
	for (i = 0; i < c->n; i++)
		(void)printf("  %2zu. %s\n", i + 1, c->text[i]);
}

static size_t
parse_count(const char *arg)
{
	unsigned long n;

	if (kgw_parse_ulong(arg, 1, KGW_BACKUP_CODES_MAX, &n) != KGW_OK)
		enroll_usage("backup-codes: --count is 1 to %d",
		    KGW_BACKUP_CODES_MAX);
	return (size_t)n;
}

int
cmd_backup_codes(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, OPT_COUNT },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static struct codes c;	/* big, and wiped before exit */
	struct kgw_user_rec rec;
	size_t n = KGW_BACKUP_CODES_DEFAULT;
	const char *user;
	int ch, r, status = 1;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_COUNT)
			n = parse_count(optarg);
		else
			enroll_common_option(e, "backup-codes", ch, argv);
	}
	user = enroll_user_arg(argc, argv, "backup-codes");
	enroll_open(e);
	if ((r = kgw_store_get_user(e->store, user, &rec)) != KGW_OK) {
		enroll_store_error(_("cannot issue backup codes to"), user, r);
		goto fail;
	}
	if (codes_make(e, user, n, &c) != KGW_OK)
		goto fail;
	if ((r = kgw_store_recovery_issue(e->store, user, KGW_RECOVERY_BACKUP,
	    c.hash, c.n, 0, e->operator_name)) != KGW_OK) {
		enroll_store_error(_("cannot issue backup codes to"), user, r);
		goto fail;
	}
	backup_print(e, user, &c);
	where_note(e, &rec, KGW_RECOVERY_BACKUP);
	status = 0;
fail:
	codes_wipe(&c);
	explicit_bzero(&rec, sizeof(rec));
	enroll_close(e);
	return status;
}

/* 90s, 30m, 2h: seconds, within the bounds a temp code may last. */
static int64_t
parse_ttl(const char *arg)
{
	static const char units[] = "smh";
	static const unsigned long mult[] = { 1, 60, 3600 };
	char num[16];
	size_t len = strlen(arg);
	const char *u;
	unsigned long n;

	if (len >= 2 && len < sizeof(num) &&
	    (u = strchr(units, arg[len - 1])) != NULL && *u != '\0') {
		memcpy(num, arg, len - 1);
		num[len - 1] = '\0';
		if (kgw_parse_ulong(num, 1, KGW_TEMP_TTL_MAX, &n) == KGW_OK &&
		    n * mult[u - units] >= KGW_TEMP_TTL_MIN &&
		    n * mult[u - units] <= KGW_TEMP_TTL_MAX)
			return (int64_t)(n * mult[u - units]);
	}
	enroll_usage("temp-code: --ttl is a duration from 1m to 24h "
	    "(such as 90s, 30m, 2h)");
}

static void
temp_print(const struct enroll *e, const char *user, const char *code,
    int64_t expires)
{
	time_t t = (time_t)expires;
	char when[64] = "?";
	struct tm tm;

	if (e->json) {
		(void)fputs("{\"user\":", stdout);
		json_string(stdout, user);
		(void)printf(",\"action\":\"temp_code\",\"code\":\"%s\","
		    "\"expires\":%" PRId64 "}\n", code, expires);
		return;
	}
	if (localtime_r(&t, &tm) != NULL)
		(void)strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
	(void)printf(_("Temporary code for %s: %s\n"), user, code);
	(void)printf(_("It works once, until %s, at the code prompt. Give it "
	    "only to the person, after checking who they are.\n"), when);
}

int
cmd_temp_code(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ttl", required_argument, NULL, OPT_TTL },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static struct codes c;
	struct kgw_user_rec rec;
	int64_t ttl = KGW_TEMP_TTL_DEFAULT, expires;
	const char *user;
	int ch, r, status = 1;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_TTL)
			ttl = parse_ttl(optarg);
		else
			enroll_common_option(e, "temp-code", ch, argv);
	}
	user = enroll_user_arg(argc, argv, "temp-code");
	enroll_open(e);
	if ((r = kgw_store_get_user(e->store, user, &rec)) != KGW_OK) {
		enroll_store_error(_("cannot issue a temporary code to"), user,
		    r);
		goto fail;
	}
	if (codes_make(e, user, 1, &c) != KGW_OK)
		goto fail;
	expires = (int64_t)time(NULL) + ttl;
	if ((r = kgw_store_recovery_issue(e->store, user, KGW_RECOVERY_TEMP,
	    c.hash, 1, expires, e->operator_name)) != KGW_OK) {
		enroll_store_error(_("cannot issue a temporary code to"), user,
		    r);
		goto fail;
	}
	temp_print(e, user, c.text[0], expires);
	where_note(e, &rec, KGW_RECOVERY_TEMP);
	status = 0;
fail:
	codes_wipe(&c);
	explicit_bzero(&rec, sizeof(rec));
	enroll_close(e);
	return status;
}

/* revoke USER backup-codes|temp-code: cmd_revoke's recovery part. */
int
enroll_revoke_recovery(struct enroll *e, const char *user,
    enum kgw_recovery_kind kind)
{
	bool backup = kind == KGW_RECOVERY_BACKUP;
	int r;

	enroll_open(e);
	r = kgw_store_recovery_revoke(e->store, user, kind, e->operator_name);
	enroll_close(e);
	if (r == KGW_ERR_NOT_FOUND)
		r = KGW_ERR_NO_FACTOR;	/* the user may exist: say "none" */
	if (r != KGW_OK)
		return enroll_store_error(backup ?
		    _("cannot revoke the backup codes of") :
		    _("cannot revoke the temporary code of"), user, r);
	enroll_done(e, user, backup ? "revoke_backup_codes" :
	    "revoke_temp_code", backup ? _("revoked the backup codes of %s") :
	    _("revoked the temporary code of %s"), user);
	return 0;
}
