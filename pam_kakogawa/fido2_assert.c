/*
 * A login's security-key step: one assertion over a fresh random challenge
 * from whichever plugged-in key holds one of the person's credentials,
 * checked against the stored public key (libfido2 checks the signature,
 * the relying party's hash and the flags it was asked for).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>

#include "kgw_crypto.h"
#include "kgw_err.h"
#include "kgw_fido2.h"

#define CHALLENGE_LEN 32
#define PIN_MIN 4	/* CTAP2: a PIN has at least 4 code points */

/* What the request asks of the key; pin is set when it verifies by PIN. */
struct ask {
	bool up;
	fido_opt_t uv;
	char pin[KGW_PIN_MAX];
	bool use_pin;
};

static int
assert_new(const struct kgw_fido2_opts *o, const struct kgw_fido2_cred *creds,
    size_t ncreds, const struct ask *ask, fido_assert_t **out)
{
	unsigned char challenge[CHALLENGE_LEN];
	fido_assert_t *a;
	size_t i;
	int r = KGW_ERR_FIDO2;

	*out = NULL;
	if ((a = fido_assert_new()) == NULL)
		return KGW_ERR_NOMEM;
	if (kgw_random(challenge, sizeof(challenge)) != KGW_OK) {
		r = KGW_ERR_CRYPTO;
		goto fail;
	}
	if (fido_assert_set_clientdata(a, challenge, sizeof(challenge)) !=
	    FIDO_OK || fido_assert_set_rp(a, o->rp_id) != FIDO_OK ||
	    fido_assert_set_up(a, ask->up ? FIDO_OPT_TRUE : FIDO_OPT_FALSE) !=
	    FIDO_OK || fido_assert_set_uv(a, ask->uv) != FIDO_OK)
		goto fail;
	for (i = 0; i < ncreds; i++)
		if (fido_assert_allow_cred(a, creds[i].id, creds[i].id_len) !=
		    FIDO_OK)
			goto fail;
	*out = a;
	return KGW_OK;
fail:
	fido_assert_free(&a);
	return r;
}

static int
dev_open(const struct kgw_log *log, const char *path, unsigned touch_ms,
    fido_dev_t **out)
{
	fido_dev_t *dev;
	int rc;

	*out = NULL;
	if ((dev = fido_dev_new()) == NULL)
		return KGW_ERR_NOMEM;
	/* Before the open: its handshake must not wait for ever either. */
	(void)fido_dev_set_timeout(dev, (int)touch_ms);
	if ((rc = fido_dev_open(dev, path)) != FIDO_OK) {
		kgw_log_err(log, "fido2: opening %s: %s", path, fido_strerr(rc));
		fido_dev_free(&dev);
		return KGW_ERR_FIDO2;
	}
	*out = dev;
	return KGW_OK;
}

static void
dev_close(fido_dev_t **dev)
{
	if (*dev != NULL)
		(void)fido_dev_close(*dev);
	fido_dev_free(dev);
}

/*
 * With several keys plugged in, asking each for a touch in turn would make
 * the person touch keys that hold nothing: a silent request (no presence)
 * finds the one that holds a credential first.
 */
static bool
dev_holds(const struct kgw_fido2_opts *o, fido_dev_t *dev,
    const struct kgw_fido2_cred *creds, size_t ncreds)
{
	struct ask silent = { false, FIDO_OPT_OMIT, "", false };
	fido_assert_t *a = NULL;
	bool holds;

	if (assert_new(o, creds, ncreds, &silent, &a) != KGW_OK)
		return false;
	holds = fido_dev_get_assert(dev, a, NULL) == FIDO_OK;
	fido_assert_free(&a);
	return holds;
}

/* How this key verifies the person, when the zone asks for it. */
static int
ask_prepare(const struct kgw_log *log, const struct kgw_fido2_opts *o,
    fido_dev_t *dev, const struct kgw_fido2_ui *ui, struct ask *ask)
{
	memset(ask, 0, sizeof(*ask));
	ask->up = true;
	ask->uv = FIDO_OPT_OMIT;
	if (!o->uv)
		return KGW_OK;
	if (fido_dev_has_uv(dev)) {
		ask->uv = FIDO_OPT_TRUE;	/* a fingerprint, built in */
		return KGW_OK;
	}
	if (!fido_dev_has_pin(dev)) {
		kgw_log_err(log, "fido2: the key can verify no one (no PIN "
		    "set, no built-in verification) and the zone requires it");
		return KGW_ERR_NO_UV;
	}
	/* libfido2 proves the PIN to the key; the key then sets UV. */
	if (ui == NULL || ui->pin == NULL ||
	    ui->pin(ui->arg, ask->pin, sizeof(ask->pin)) != KGW_OK)
		return KGW_ERR_CONV;
	/* Too short to be a PIN: refused here, not a retry used up. */
	if (strlen(ask->pin) < PIN_MIN) {
		explicit_bzero(ask->pin, sizeof(ask->pin));
		kgw_log_info(log, "fido2: a PIN shorter than %d bytes: refused",
		    PIN_MIN);
		return KGW_ERR_DENIED;
	}
	ask->use_pin = true;
	return KGW_OK;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libfido2's answer, as a verdict; waited is how long the key took. */
static int
map_error(const struct kgw_log *log, int rc, int64_t waited, unsigned touch_ms)
{
	switch (rc) {
	case FIDO_ERR_NO_CREDENTIALS:
		kgw_log_info(log, "fido2: the key holds none of the person's "
		    "credentials");
		return KGW_ERR_NO_KEY;
	case FIDO_ERR_PIN_INVALID:
	case FIDO_ERR_PIN_BLOCKED:
	case FIDO_ERR_PIN_AUTH_BLOCKED:
	case FIDO_ERR_PIN_AUTH_INVALID:
	case FIDO_ERR_OPERATION_DENIED:
	case FIDO_ERR_UV_INVALID:
	case FIDO_ERR_UV_BLOCKED:
		kgw_log_info(log, "fido2: refused by the key: %s",
		    fido_strerr(rc));
		return KGW_ERR_DENIED;
	case FIDO_ERR_ACTION_TIMEOUT:
	case FIDO_ERR_USER_ACTION_TIMEOUT:
		break;
	case FIDO_ERR_RX:
		/* A silent key and a broken one both end in RX. */
		if (waited + 50 >= (int64_t)touch_ms)
			break;
		/* FALLTHROUGH */
	default:
		kgw_log_err(log, "fido2: the key failed: %s", fido_strerr(rc));
		return KGW_ERR_FIDO2;
	}
	kgw_log_info(log, "fido2: no touch within %u ms", touch_ms);
	return KGW_ERR_TIMEOUT;
}

/* The credential the key signed with, among those allowed. */
static int
signer(const fido_assert_t *a, const struct kgw_fido2_cred *creds,
    size_t ncreds, size_t *which)
{
	const unsigned char *id = fido_assert_id_ptr(a, 0);
	size_t len = fido_assert_id_len(a, 0), i;

	/* CTAP2 lets a key leave the id out when only one was allowed. */
	if ((id == NULL || len == 0) && ncreds == 1) {
		*which = 0;
		return KGW_OK;
	}
	for (i = 0; id != NULL && i < ncreds; i++)
		if (creds[i].id_len == len && memcmp(creds[i].id, id, len) == 0) {
			*which = i;
			return KGW_OK;
		}
	return KGW_ERR_FIDO2;
}

static int
verify(const struct kgw_log *log, const fido_assert_t *a,
    const struct kgw_fido2_cred *c, bool uv)
{
	es256_pk_t *es = NULL;
	eddsa_pk_t *ed = NULL;
	const void *pk = NULL;
	int rc = FIDO_ERR_INVALID_ARGUMENT;

	if (c->alg == KGW_FIDO2_ES256 && (es = es256_pk_new()) != NULL &&
	    es256_pk_from_ptr(es, c->pk, c->pk_len) == FIDO_OK)
		pk = es;
	else if (c->alg == KGW_FIDO2_EDDSA && (ed = eddsa_pk_new()) != NULL &&
	    eddsa_pk_from_ptr(ed, c->pk, c->pk_len) == FIDO_OK)
		pk = ed;
	if (pk != NULL)
		rc = fido_assert_verify(a, 0, c->alg, pk);
	es256_pk_free(&es);
	eddsa_pk_free(&ed);
	if (rc != FIDO_OK) {
		kgw_log_err(log, "fido2: assertion does not verify: %s",
		    fido_strerr(rc));
		return KGW_ERR_DENIED;
	}
	/* Verified by PIN, uv was not an option libfido2 could check. */
	if (uv && !(fido_assert_flags(a, 0) & CTAP_AUTHDATA_USER_VERIFIED)) {
		kgw_log_err(log, "fido2: the key did not verify the user");
		return KGW_ERR_DENIED;
	}
	return KGW_OK;
}

/* One key: prepare, ask (after the cue), check. */
static int
assert_on(const struct kgw_log *log, const struct kgw_fido2_opts *o,
    fido_dev_t *dev, const struct kgw_fido2_cred *creds, size_t ncreds,
    const struct kgw_fido2_ui *ui, struct kgw_fido2_verdict *v)
{
	fido_assert_t *a = NULL;
	struct ask ask;
	int64_t start;
	int r, rc;

	if ((r = ask_prepare(log, o, dev, ui, &ask)) != KGW_OK ||
	    (r = assert_new(o, creds, ncreds, &ask, &a)) != KGW_OK)
		goto out;
	if (ui != NULL && ui->touch != NULL)
		ui->touch(ui->arg);
	start = now_ms();
	rc = fido_dev_get_assert(dev, a, ask.use_pin ? ask.pin : NULL);
	explicit_bzero(ask.pin, sizeof(ask.pin));
	if (rc != FIDO_OK) {
		r = map_error(log, rc, now_ms() - start, o->touch_ms);
		goto out;
	}
	if (fido_assert_count(a) != 1 ||
	    signer(a, creds, ncreds, &v->cred) != KGW_OK) {
		kgw_log_err(log, "fido2: the key answered with a credential "
		    "it was not asked for");
		r = KGW_ERR_FIDO2;
		goto out;
	}
	if ((r = verify(log, a, &creds[v->cred], o->uv)) != KGW_OK)
		goto out;
	v->sign_count = fido_assert_sigcount(a, 0);
	v->uv = (fido_assert_flags(a, 0) & CTAP_AUTHDATA_USER_VERIFIED) != 0;
out:
	explicit_bzero(ask.pin, sizeof(ask.pin));
	fido_assert_free(&a);
	return r;
}

int
kgw_fido2_assert(const struct kgw_log *log, const struct kgw_fido2_opts *o,
    const struct kgw_fido2_cred *creds, size_t ncreds,
    const struct kgw_fido2_ui *ui, struct kgw_fido2_verdict *v)
{
	struct kgw_fido2_devs d;
	fido_dev_t *dev = NULL;
	size_t i;
	int r;

	memset(v, 0, sizeof(*v));
	if (ncreds == 0 || ncreds > KGW_FIDO2_CREDS_MAX)
		return KGW_ERR_NO_KEY;
	fido_init(0);
	if ((r = kgw_fido2_devs_wait(log, o, ui, &d)) != KGW_OK)
		return r;
	r = KGW_ERR_NO_KEY;
	for (i = 0; i < d.n; i++) {
		if (dev_open(log, d.path[i], o->touch_ms, &dev) != KGW_OK)
			continue;
		if (d.n == 1 || dev_holds(o, dev, creds, ncreds))
			r = assert_on(log, o, dev, creds, ncreds, ui, v);
		dev_close(&dev);
		if (r != KGW_ERR_NO_KEY)
			break;
	}
	if (r == KGW_ERR_NO_KEY)
		kgw_log_info(log, "fido2: no key plugged in holds a credential "
		    "of this person");
	return r;
}

void
kgw_fido2_decoy(const struct kgw_log *log, const struct kgw_fido2_opts *o,
    const struct kgw_fido2_ui *ui)
{
	struct kgw_fido2_verdict v;
	struct kgw_fido2_cred *fake;

	if ((fake = calloc(1, sizeof(*fake))) == NULL)
		return;
	fake->alg = KGW_FIDO2_ES256;
	fake->id_len = 32;
	fake->pk_len = 64;
	if (kgw_random(fake->id, fake->id_len) == KGW_OK)
		(void)kgw_fido2_assert(log, o, fake, 1, ui, &v);
	free(fake);
}
