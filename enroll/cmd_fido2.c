/*
 * fido2: enrolling a person's security key on the key plugged into the
 * helpdesk machine. The relying party comes from the configuration (one
 * for the whole city), the PIN from a prompt without echo or from stdin,
 * never from the command line.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enroll.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_fido2.h"
#include "kgw_store.h"

enum {
	OPT_LABEL = OPT_CMD_BASE,
	OPT_DEVICE,
	OPT_ALGORITHM,
	OPT_PIN_STDIN,
};

/* A generous wait for the helpdesk to plug the key in. */
#define INSERT_MS 30000

struct fido2_cmd {
	struct enroll *e;
	const char *user;
	char label[KGW_FIDO2_LABEL_MAX + 1];
	const char *device;
	int alg;
	bool pin_stdin;
};

static void
say_insert(void *arg)
{
	(void)arg;
	(void)fprintf(stderr, "%s\n", _("Insert the security key."));
}

static void
say_touch(void *arg)
{
	(void)arg;
	(void)fprintf(stderr, "%s\n", _("Touch the security key."));
}

static int
read_pin(void *arg, char *pin, size_t pinlen)
{
	const struct fido2_cmd *c = arg;

	/* On a terminal, stdin is still typed: without echo, as passwd. */
	if (c->pin_stdin && !isatty(STDIN_FILENO))
		return secret_read_line(STDIN_FILENO, N_("PIN"), pin, pinlen);
	return secret_prompt(N_("Security key PIN: "), N_("PIN"), pin, pinlen);
}

static bool
label_used(const struct kgw_fido2_rec *keys, size_t n, const char *label)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (strcmp(keys[k].label, label) == 0)
			return true;
	return false;
}

/* The first free label of key1, key2, ... when none was given. */
static void
label_default(struct fido2_cmd *c, const struct kgw_fido2_rec *keys,
    size_t n)
{
	unsigned i;

	for (i = 1; i <= KGW_FIDO2_CREDS_MAX + 1; i++) {
		(void)snprintf(c->label, sizeof(c->label), "key%u", i);
		if (!label_used(keys, n, c->label))
			return;
	}
}

/* Verification is asked of the key when a zone of the person needs it. */
static bool
person_needs_uv(const struct enroll *e, const struct kgw_user_rec *rec)
{
	const struct kgw_zones *z = &e->conf.zones;
	unsigned i;

	for (i = 0; i < z->nzones; i++)
		if (z->zone[i].uv && kgw_zone_list_has(rec->zones,
		    z->zone[i].name))
			return true;
	return false;
}

static void
report(const struct fido2_cmd *c, const struct kgw_fido2_new *made)
{
	size_t i;

	if (!c->e->json) {
		(void)printf(made->attested ? _("enrolled security key %s (%s, "
		    "full attestation) for %s\n") : _("enrolled security key "
		    "%s (%s, self attestation) for %s\n"), c->label,
		    kgw_fido2_alg_name(made->cred.alg), c->user);
		return;
	}
	(void)fputs("{\"user\":", stdout);
	json_string(stdout, c->user);
	(void)fputs(",\"label\":", stdout);
	json_string(stdout, c->label);
	(void)printf(",\"algorithm\":\"%s\",\"attestation\":\"%s\","
	    "\"aaguid\":\"", kgw_fido2_alg_name(made->cred.alg),
	    made->attested ? "full" : "self");
	for (i = 0; i < sizeof(made->aaguid); i++)
		(void)printf("%02x", made->aaguid[i]);
	(void)puts("\"}");
}

/* Makes the credential on the key and keeps it, sealed, in the store. */
static int
enrol(struct fido2_cmd *c, const struct kgw_user_rec *rec,
    const struct kgw_fido2_rec *keys, size_t n)
{
	struct enroll *e = c->e;
	struct kgw_fido2_opts o = {
		e->conf.rp_id, person_needs_uv(e, rec), INSERT_MS,
		e->conf.fido2_touch_timeout * 1000, c->device
	};
	const struct kgw_fido2_ui ui = { c, say_insert, say_touch, read_pin };
	struct kgw_fido2_cred exclude[KGW_FIDO2_CREDS_MAX];
	struct kgw_fido2_new made;
	struct kgw_fido2_rec sealed;
	struct kgw_key key;
	size_t i;
	int r;

	/* A key already holding one of the person's credentials refuses. */
	memset(exclude, 0, sizeof(exclude));
	for (i = 0; i < n; i++) {
		memcpy(exclude[i].id, keys[i].id, keys[i].id_len);
		exclude[i].id_len = keys[i].id_len;
	}
	if ((r = kgw_key_load(&e->log, e->conf.key, &key)) != KGW_OK) {
		(void)enroll_store_error("cannot read the key file for",
		    c->user, r);
		return r;
	}
	r = kgw_fido2_make(&e->log, &o, c->user, c->alg, exclude, n, &ui,
	    &made);
	if (r == KGW_OK) {
		memset(&sealed, 0, sizeof(sealed));
		if ((r = kgw_fido2_seal(&key, c->user, &made.cred, &sealed)) ==
		    KGW_OK) {
			memcpy(sealed.label, c->label, sizeof(sealed.label));
			memcpy(sealed.aaguid, made.aaguid, sizeof(sealed.aaguid));
			sealed.sign_count = made.sign_count;
			r = kgw_store_fido2_add(e->store, c->user, &sealed,
			    e->operator_name);
		}
		if (r == KGW_OK)
			report(c, &made);
	}
	kgw_key_wipe(&key);
	explicit_bzero(&made, sizeof(made));
	if (r != KGW_OK) {
		(void)enroll_store_error("cannot enrol the security key of",
		    c->user, r);
		return r;
	}
	return KGW_OK;
}

static void
parse(struct fido2_cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "algorithm", required_argument, NULL, OPT_ALGORITHM },
		{ "pin-stdin", no_argument, NULL, OPT_PIN_STDIN },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	c->alg = KGW_FIDO2_ES256;
	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_LABEL) {
			if (!kgw_fido2_label_valid(optarg))
				enroll_usage("fido2: a label is 1 to 32 of "
				    "A-Z a-z 0-9 _ . -");
			(void)snprintf(c->label, sizeof(c->label), "%s", optarg);
		} else if (ch == OPT_DEVICE)
			c->device = optarg;
		else if (ch == OPT_ALGORITHM) {
			if (strcmp(optarg, "es256") == 0)
				c->alg = KGW_FIDO2_ES256;
			else if (strcmp(optarg, "eddsa") == 0)
				c->alg = KGW_FIDO2_EDDSA;
			else
				enroll_usage("fido2: --algorithm is es256 or "
				    "eddsa");
		} else if (ch == OPT_PIN_STDIN)
			c->pin_stdin = true;
		else
			enroll_common_option(c->e, "fido2", ch, argv);
	}
	c->user = enroll_user_arg(argc, argv, "fido2");
}

int
cmd_fido2(struct enroll *e, int argc, char **argv)
{
	struct fido2_cmd c;
	struct kgw_user_rec rec;
	struct kgw_fido2_rec *keys;
	size_t n = 0;
	int r;

	memset(&c, 0, sizeof(c));
	c.e = e;
	parse(&c, argc, argv);
	enroll_open(e);
	if ((keys = calloc(KGW_FIDO2_CREDS_MAX, sizeof(*keys))) == NULL)
		enroll_die("out of memory");
	if ((r = kgw_store_get_user(e->store, c.user, &rec)) != KGW_OK ||
	    (r = kgw_store_fido2_list(e->store, c.user, keys,
	    KGW_FIDO2_CREDS_MAX, &n)) != KGW_OK) {
		enroll_store_error("cannot read", c.user, r);
		goto out;
	}
	if (n == KGW_FIDO2_CREDS_MAX) {
		enroll_warn("%s already has %d security keys: revoke one "
		    "first", c.user, KGW_FIDO2_CREDS_MAX);
		r = KGW_ERR_INVALID;
		goto out;
	}
	if (c.label[0] == '\0')
		label_default(&c, keys, n);
	else if (label_used(keys, n, c.label)) {
		enroll_warn("%s already has a key labelled %s", c.user,
		    c.label);
		r = KGW_ERR_EXISTS;
		goto out;
	}
	r = enrol(&c, &rec, keys, n);
out:
	explicit_bzero(&rec, sizeof(rec));
	free(keys);
	enroll_close(e);
	return r == KGW_OK ? 0 : 1;
}
