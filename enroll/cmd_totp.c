/*
 * totp: enrols a TOTP secret, new or migrated, sealed under the store key
 * for this user and this algorithm and length, then shows it once. With
 * --verify the new secret waits, pending, until a code from the new
 * device proves it (cmd_totp_check.c): the old one stays active until then.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "enroll.h"
#include "kgw_crypto.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_store.h"
#include "kgw_totp.h"

enum {
	OPT_SECRET = OPT_CMD_BASE,
	OPT_ALGORITHM,
	OPT_DIGITS,
	OPT_SHOW,
	OPT_VERIFY,
	OPT_CONFIRM,
};

enum show { SHOW_QR, SHOW_URI, SHOW_NONE };

struct totp_opts {
	bool import;		/* --secret: an existing secret from stdin */
	bool alg_given;
	bool digits_given;
	enum kgw_totp_alg alg;
	unsigned digits;
	enum show show;
	bool verify;		/* --verify: pending until a code proves it */
	bool confirm;		/* --confirm: prove the pending one now */
};

#define URI_MAX 1024
#define SECRET_LINE_MAX 256	/* base32 of 64 bytes is 104, plus spacing */

static const char *
parse_opts(struct enroll *e, int argc, char **argv, struct totp_opts *o)
{
	static const struct option opts[] = {
		{ "secret", no_argument, NULL, OPT_SECRET },
		{ "algorithm", required_argument, NULL, OPT_ALGORITHM },
		{ "digits", required_argument, NULL, OPT_DIGITS },
		{ "show", required_argument, NULL, OPT_SHOW },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "confirm", no_argument, NULL, OPT_CONFIRM },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->show = SHOW_QR;
	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case OPT_SECRET:
			o->import = true;
			break;
		case OPT_ALGORITHM:
			if (kgw_totp_alg_parse(optarg, &o->alg) != KGW_OK)
				enroll_usage("totp: --algorithm is sha1, sha256 "
				    "or sha512");
			o->alg_given = true;
			break;
		case OPT_DIGITS:
			if (strcmp(optarg, "6") != 0 && strcmp(optarg, "8") != 0)
				enroll_usage("totp: --digits is 6 or 8");
			o->digits = (unsigned)(optarg[0] - '0');
			o->digits_given = true;
			break;
		case OPT_SHOW:
			if (strcmp(optarg, "qr") == 0)
				o->show = SHOW_QR;
			else if (strcmp(optarg, "uri") == 0)
				o->show = SHOW_URI;
			else if (strcmp(optarg, "none") == 0)
				o->show = SHOW_NONE;
			else
				enroll_usage("totp: --show is qr, uri or none");
			break;
		case OPT_VERIFY:
			o->verify = true;
			break;
		case OPT_CONFIRM:
			o->confirm = true;
			break;
		default:
			enroll_common_option(e, "totp", ch, argv);
		}
	}
	if (o->confirm && (o->import || o->alg_given || o->digits_given ||
	    o->verify))
		enroll_usage("totp: --confirm takes no other option");
	/* No one could scan a secret neither shown nor given. */
	if (o->verify && !o->import && o->show == SHOW_NONE)
		enroll_usage("totp: --verify needs the secret shown, or given "
		    "with --secret");
	return enroll_user_arg(argc, argv, "totp");
}

/* RFC 6238 keys are as long as the hash: 20, 32 or 64 bytes. */
static size_t
new_secret_len(enum kgw_totp_alg alg)
{
	switch (alg) {
	case KGW_TOTP_SHA256:
		return 32;
	case KGW_TOTP_SHA512:
		return 64;
	default:
		return 20;
	}
}

/* A secret already in an authenticator app, when tokens are migrated. */
static int
read_secret(struct kgw_totp *t)
{
	char line[SECRET_LINE_MAX];
	unsigned char raw[2 * KGW_TOTP_SECRET_MAX];	/* room to see "too long" */
	size_t len = 0;
	int r;

	if (isatty(STDIN_FILENO))
		r = secret_prompt(N_("Base32 secret: "), N_("secret"), line,
		    sizeof(line));
	else
		r = secret_read_line(STDIN_FILENO, N_("secret"), line,
		    sizeof(line));
	if (r != KGW_OK)
		goto fail;
	r = kgw_base32_decode(line, raw, sizeof(raw), &len);
	if (r != KGW_OK || len < KGW_TOTP_SECRET_MIN ||
	    len > KGW_TOTP_SECRET_MAX) {
		enroll_warn("the secret must be base32 of %d to %d bytes",
		    KGW_TOTP_SECRET_MIN, KGW_TOTP_SECRET_MAX);
		r = KGW_ERR_INVALID;
		goto fail;
	}
	memcpy(t->secret, raw, len);
	t->secret_len = len;
fail:
	explicit_bzero(line, sizeof(line));
	explicit_bzero(raw, sizeof(raw));
	return r;
}

/* Sealed, then active at once, or pending (p) until a code proves it. */
static int
seal_and_store(struct enroll *e, const struct kgw_key *key, const char *user,
    const struct kgw_totp *t, bool pending, struct kgw_totp_pending *p)
{
	char purpose[KGW_TOTP_PURPOSE_MAX];
	int r;

	/* The module unseals under the same purpose: one shared function. */
	p->alg = t->alg;
	p->digits = t->digits;
	if ((r = kgw_totp_purpose(t->alg, t->digits, purpose,
	    sizeof(purpose))) != KGW_OK ||
	    (r = kgw_seal(key, purpose, user, t->secret, t->secret_len,
	    p->sealed, sizeof(p->sealed), &p->sealed_len)) != KGW_OK) {
		enroll_warn("cannot seal the secret: %s", kgw_strerror(r));
		return r;
	}
	if (pending)
		r = kgw_store_totp_pending_set(e->store, user, p->sealed,
		    p->sealed_len, t->alg, t->digits, e->operator_name);
	else
		r = kgw_store_set_totp(e->store, user, p->sealed,
		    p->sealed_len, t->alg, t->digits, e->operator_name);
	if (r != KGW_OK)
		enroll_store_error("cannot enrol the TOTP of", user, r);
	return r;
}

/* The secret in groups of four, as people type it into an app. */
static void
print_secret(const struct kgw_totp *t)
{
	char b32[2 * KGW_TOTP_SECRET_MAX];
	size_t i;

	if (kgw_base32_encode(t->secret, t->secret_len, b32,
	    sizeof(b32)) != KGW_OK)
		return;
	(void)fputs(_("Secret: "), stdout);
	for (i = 0; b32[i] != '\0' && b32[i] != '='; i++) {
		if (i > 0 && i % 4 == 0)
			(void)putchar(' ');
		(void)putchar(b32[i]);
	}
	(void)putchar('\n');
	explicit_bzero(b32, sizeof(b32));
}

/* With --verify, "pending": the object comes before the code is read. */
static void
print_json(const char *user, const struct kgw_totp *t, const char *uri,
    bool pending)
{
	(void)fputs("{\"user\":", stdout);
	json_string(stdout, user);
	(void)printf(",\"action\":\"totp\",\"algorithm\":\"%s\","
	    "\"digits\":%u,\"uri\":", kgw_totp_alg_name(t->alg), t->digits);
	if (uri != NULL)
		json_string(stdout, uri);
	else
		(void)fputs("null", stdout);
	if (pending)
		(void)fputs(",\"pending\":true", stdout);
	(void)fputs("}\n", stdout);
}

/* Shows the new secret once: QR code, URI and base32, or less. */
static int
show(const struct enroll *e, const char *user, const struct kgw_totp *t,
    enum show how, bool verify)
{
	char uri[URI_MAX];
	int r = KGW_OK;

	if (how != SHOW_NONE && (r = kgw_totp_uri(t, e->conf.issuer, user,
	    uri, sizeof(uri))) != KGW_OK) {
		enroll_warn("TOTP enrolled for %s, but cannot make its URI: %s",
		    user, kgw_strerror(r));
		goto fail;
	}
	if (e->json) {
		print_json(user, t, how != SHOW_NONE ? uri : NULL, verify);
	} else if (how == SHOW_URI) {
		(void)printf("%s\n", uri);
	} else {
		if (how == SHOW_QR) {
			(void)printf("%s\n", _("Scan with the authenticator app:"));
			r = qr_print(stdout, uri);
			(void)printf(_("URI:    %s\n"), uri);
			print_secret(t);
		}
		if (!verify)
			(void)printf(_("TOTP enrolled for %s (%s, %u digits)\n"),
			    user, kgw_totp_alg_name(t->alg), t->digits);
	}
fail:
	explicit_bzero(uri, sizeof(uri));
	return r;
}

/*
 * --verify: the new TOTP, shown and pending, proved by a code or not;
 * with --json, a second object says which.
 */
static int
verify_new(struct enroll *e, const char *user, const struct kgw_totp *t,
    const struct totp_opts *o, const struct kgw_totp_pending *p)
{
	bool verified;
	int r;

	if (!e->json && o->show == SHOW_QR)
		(void)printf(_("The new TOTP of %s waits for a code from the "
		    "new device; until then the old one, if any, stays "
		    "active.\n"), user);
	(void)fflush(stdout);
	r = totp_prove(e, user, t, p);
	verified = r == KGW_OK;
	if (e->json) {
		(void)fputs("{\"user\":", stdout);
		json_string(stdout, user);
		(void)printf(",\"action\":\"totp_verify\",\"verified\":%s}\n",
		    verified ? "true" : "false");
	} else if (verified) {
		(void)printf(_("TOTP verified and active for %s (%s, %u "
		    "digits)"), user, kgw_totp_alg_name(t->alg), t->digits);
		(void)putchar('\n');
	}
	if (r == KGW_ERR_DENIED)
		totp_pending_note(user);
	return verified ? 0 : 1;
}

int
cmd_totp(struct enroll *e, int argc, char **argv)
{
	struct totp_opts o;
	struct kgw_user_rec rec;
	struct kgw_totp t;
	struct kgw_key key;
	struct kgw_totp_pending p;
	const char *user;
	bool oath = false;
	int r, status = 1;

	memset(&t, 0, sizeof(t));
	memset(&key, 0, sizeof(key));
	memset(&p, 0, sizeof(p));
	user = parse_opts(e, argc, argv, &o);
	if (o.confirm)
		return totp_confirm(e, user);
	enroll_open(e);
	t.alg = o.alg_given ? o.alg : e->conf.totp_algorithm;
	t.digits = o.digits_given ? o.digits : e->conf.totp_digits;
	if ((r = kgw_store_get_user(e->store, user, &rec)) != KGW_OK) {
		enroll_store_error("cannot enrol the TOTP of", user, r);
		goto fail;
	}
	/* The key before the secret: fail before anyone types one. */
	if ((r = kgw_key_load(&e->log, e->conf.key, &key)) != KGW_OK) {
		enroll_warn("cannot load the key %s: %s", e->conf.key,
		    kgw_strerror(r));
		goto fail;
	}
	if (kgw_totp_init() != KGW_OK) {
		enroll_warn("cannot initialise liboath");
		goto fail;
	}
	oath = true;
	if (o.import) {
		if (read_secret(&t) != KGW_OK)
			goto fail;
	} else {
		t.secret_len = new_secret_len(t.alg);
		if ((r = kgw_random(t.secret, t.secret_len)) != KGW_OK) {
			enroll_warn("cannot make a secret: %s", kgw_strerror(r));
			goto fail;
		}
	}
	if (seal_and_store(e, &key, user, &t, o.verify, &p) != KGW_OK ||
	    show(e, user, &t, o.show, o.verify) != KGW_OK)
		goto fail;
	status = o.verify ? verify_new(e, user, &t, &o, &p) : 0;
fail:
	kgw_totp_wipe(&t);
	kgw_key_wipe(&key);
	explicit_bzero(&p, sizeof(p));
	explicit_bzero(&rec, sizeof(rec));
	if (oath)
		kgw_totp_done();
	enroll_close(e);
	return status;
}
