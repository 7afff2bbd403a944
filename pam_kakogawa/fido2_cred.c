/*
 * Enrolling a security key: a new credential for the city's relying party
 * on the key the helpdesk chose, its attestation verified, and what the
 * login will need (id, public key, algorithm) taken from it.
 */
#include <config.h>

#include <string.h>
#include <time.h>

#include <fido.h>

#include "kgw_crypto.h"
#include "kgw_err.h"
#include "kgw_fido2.h"
#include "kgw_str.h"

#define CHALLENGE_LEN 32
#define USER_ID_LEN 32
#define TOUCH_POLL_MS 200

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(size_t ms)
{
	struct timespec ts = { 0, (long)(ms % 1000) * 1000000 };

	(void)nanosleep(&ts, NULL);
}

static void
devs_close(fido_dev_t **dev, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (dev[i] != NULL)
			(void)fido_dev_close(dev[i]);
		fido_dev_free(&dev[i]);
	}
}

/* Waits for one of the opened keys to be touched; cancels the others. */
static int
touched(const struct kgw_log *log, fido_dev_t **dev, size_t n,
    unsigned touch_ms, size_t *which)
{
	int64_t deadline = now_ms() + touch_ms;
	int done = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (fido_dev_get_touch_begin(dev[i]) != FIDO_OK) {
			kgw_log_err(log, "fido2: cannot ask key %zu for a touch",
			    i);
			return KGW_ERR_FIDO2;
		}
	while (now_ms() < deadline) {
		for (i = 0; i < n; i++) {
			if (fido_dev_get_touch_status(dev[i], &done,
			    TOUCH_POLL_MS / (int)n) != FIDO_OK) {
				sleep_ms(TOUCH_POLL_MS / n);	/* unplugged */
				continue;
			}
			if (!done)
				continue;
			*which = i;
			for (i = 0; i < n; i++)
				if (i != *which)
					(void)fido_dev_cancel(dev[i]);
			return KGW_OK;
		}
	}
	for (i = 0; i < n; i++)
		(void)fido_dev_cancel(dev[i]);
	return KGW_ERR_TIMEOUT;
}

/* Opens the keys plugged in; one that fails is left out, as at login. */
static int
devs_open(const struct kgw_log *log, const struct kgw_fido2_devs *d,
    unsigned touch_ms, fido_dev_t **dev, size_t *map, size_t *n)
{
	size_t i;
	int rc;

	*n = 0;
	for (i = 0; i < d->n; i++) {
		if ((dev[*n] = fido_dev_new()) == NULL)
			return KGW_ERR_NOMEM;
		(void)fido_dev_set_timeout(dev[*n], (int)touch_ms);
		if ((rc = fido_dev_open(dev[*n], d->path[i])) != FIDO_OK) {
			kgw_log_err(log, "fido2: opening %s: %s: left out",
			    d->path[i], fido_strerr(rc));
			fido_dev_free(&dev[*n]);
			continue;
		}
		map[(*n)++] = i;
	}
	return *n > 0 ? KGW_OK : KGW_ERR_FIDO2;
}

/* The key to enrol: the only one, the one named, or the first touched. */
static int
dev_choose(const struct kgw_log *log, const struct kgw_fido2_opts *o,
    const struct kgw_fido2_ui *ui, fido_dev_t **out, char *product,
    size_t productlen)
{
	fido_dev_t *dev[KGW_FIDO2_DEVS_MAX] = { NULL };
	size_t map[KGW_FIDO2_DEVS_MAX], n = 0, which = 0;
	struct kgw_fido2_devs d;
	int r;

	*out = NULL;
	if ((r = kgw_fido2_devs_wait(log, o, ui, &d)) != KGW_OK)
		return r;
	if ((r = devs_open(log, &d, o->touch_ms, dev, map, &n)) != KGW_OK)
		goto fail;
	if (n > 1) {
		if (ui != NULL && ui->touch != NULL)
			ui->touch(ui->arg);	/* "touch the key to enrol" */
		if ((r = touched(log, dev, n, o->touch_ms, &which)) != KGW_OK)
			goto fail;
	}
	(void)kgw_strcopy(product, productlen, d.product[map[which]]);
	*out = dev[which];
	dev[which] = NULL;
	r = KGW_OK;
fail:
	devs_close(dev, KGW_FIDO2_DEVS_MAX);
	return r;
}

static int
cred_new(const struct kgw_fido2_opts *o, const char *user, int alg,
    const struct kgw_fido2_cred *exclude, size_t nexclude, bool uv,
    fido_cred_t **out)
{
	unsigned char challenge[CHALLENGE_LEN], user_id[USER_ID_LEN];
	fido_cred_t *c;
	size_t i;
	int r = KGW_ERR_FIDO2;

	*out = NULL;
	if ((c = fido_cred_new()) == NULL)
		return KGW_ERR_NOMEM;
	/* A random user handle: the key learns nothing it could leak. */
	if (kgw_random(challenge, sizeof(challenge)) != KGW_OK ||
	    kgw_random(user_id, sizeof(user_id)) != KGW_OK) {
		r = KGW_ERR_CRYPTO;
		goto fail;
	}
	if (fido_cred_set_type(c, alg) != FIDO_OK ||
	    fido_cred_set_clientdata(c, challenge, sizeof(challenge)) !=
	    FIDO_OK ||
	    fido_cred_set_rp(c, o->rp_id, "pam_kakogawa") != FIDO_OK ||
	    fido_cred_set_user(c, user_id, sizeof(user_id), user, user,
	    NULL) != FIDO_OK ||
	    fido_cred_set_rk(c, FIDO_OPT_OMIT) != FIDO_OK ||
	    fido_cred_set_uv(c, uv ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) != FIDO_OK)
		goto fail;
	for (i = 0; i < nexclude; i++)
		if (fido_cred_exclude(c, exclude[i].id, exclude[i].id_len) !=
		    FIDO_OK)
			goto fail;
	*out = c;
	return KGW_OK;
fail:
	fido_cred_free(&c);
	return r;
}

/*
 * A full attestation (a certificate chain) must verify as such; a key with
 * none must at least sign its own credential. Either proves the key holds
 * the private key of the public key we store.
 */
static int
cred_check(const struct kgw_log *log, const fido_cred_t *c, bool *attested)
{
	int rc;

	*attested = fido_cred_x5c_len(c) > 0;
	rc = *attested ? fido_cred_verify(c) : fido_cred_verify_self(c);
	if (rc != FIDO_OK) {
		kgw_log_err(log, "fido2: the new credential's %s attestation "
		    "does not verify: %s", *attested ? "full" : "self",
		    fido_strerr(rc));
		return KGW_ERR_ATTESTATION;
	}
	return KGW_OK;
}

static int
cred_take(const fido_cred_t *c, int alg, struct kgw_fido2_new *out)
{
	size_t id_len = fido_cred_id_len(c), pk_len = fido_cred_pubkey_len(c);
	size_t want = alg == KGW_FIDO2_ES256 ? 64 : 32;

	if (fido_cred_id_ptr(c) == NULL || id_len == 0 ||
	    id_len > sizeof(out->cred.id) || fido_cred_pubkey_ptr(c) == NULL ||
	    pk_len != want || fido_cred_aaguid_len(c) != KGW_FIDO2_AAGUID_LEN)
		return KGW_ERR_FIDO2;
	out->cred.alg = alg;
	memcpy(out->cred.id, fido_cred_id_ptr(c), id_len);
	out->cred.id_len = id_len;
	memcpy(out->cred.pk, fido_cred_pubkey_ptr(c), pk_len);
	out->cred.pk_len = pk_len;
	memcpy(out->aaguid, fido_cred_aaguid_ptr(c), KGW_FIDO2_AAGUID_LEN);
	out->sign_count = fido_cred_sigcount(c);
	return KGW_OK;
}

static int
make_error(const struct kgw_log *log, int rc)
{
	switch (rc) {
	case FIDO_ERR_CREDENTIAL_EXCLUDED:
		kgw_log_err(log, "fido2: this key is already enrolled");
		return KGW_ERR_EXISTS;
	case FIDO_ERR_PIN_INVALID:
	case FIDO_ERR_PIN_BLOCKED:
	case FIDO_ERR_PIN_AUTH_BLOCKED:
	case FIDO_ERR_OPERATION_DENIED:
		kgw_log_err(log, "fido2: refused by the key: %s",
		    fido_strerr(rc));
		return KGW_ERR_DENIED;
	case FIDO_ERR_ACTION_TIMEOUT:
	case FIDO_ERR_USER_ACTION_TIMEOUT:
	case FIDO_ERR_RX:
		kgw_log_err(log, "fido2: no touch in time, or no answer (%s)",
		    fido_strerr(rc));
		return KGW_ERR_TIMEOUT;
	case FIDO_ERR_UNSUPPORTED_ALGORITHM:
		kgw_log_err(log, "fido2: the key does not support this "
		    "algorithm");
		return KGW_ERR_FIDO2;
	default:
		kgw_log_err(log, "fido2: the key failed: %s", fido_strerr(rc));
		return KGW_ERR_FIDO2;
	}
}

/* PIN and verification, as for a login: built in, by PIN, or refused. */
static int
pin_for(const struct kgw_log *log, const struct kgw_fido2_opts *o,
    fido_dev_t *dev, const struct kgw_fido2_ui *ui, char *pin, size_t pinlen,
    bool *uv_option)
{
	*uv_option = false;
	pin[0] = '\0';
	/* A key with a PIN set refuses to make credentials without it. */
	if (fido_dev_has_pin(dev)) {
		if (ui == NULL || ui->pin == NULL ||
		    ui->pin(ui->arg, pin, pinlen) != KGW_OK)
			return KGW_ERR_CONV;
		return KGW_OK;
	}
	if (!o->uv)
		return KGW_OK;
	if (fido_dev_has_uv(dev)) {
		*uv_option = true;
		return KGW_OK;
	}
	kgw_log_err(log, "fido2: the person's zones require user "
	    "verification and this key has neither a PIN nor built-in "
	    "verification: set a PIN on it first");
	return KGW_ERR_NO_UV;
}

int
kgw_fido2_make(const struct kgw_log *log, const struct kgw_fido2_opts *o,
    const char *user, int alg, const struct kgw_fido2_cred *exclude,
    size_t nexclude, const struct kgw_fido2_ui *ui, struct kgw_fido2_new *out)
{
	fido_dev_t *dev = NULL;
	fido_cred_t *c = NULL;
	char pin[KGW_PIN_MAX];
	bool uv_option;
	int r, rc;

	memset(out, 0, sizeof(*out));
	pin[0] = '\0';
	if (kgw_fido2_alg_name(alg) == NULL)
		return KGW_ERR_INVALID;
	fido_init(0);
	if ((r = dev_choose(log, o, ui, &dev, out->device,
	    sizeof(out->device))) != KGW_OK)
		goto out;
	(void)fido_dev_set_timeout(dev, (int)o->touch_ms);
	if ((r = pin_for(log, o, dev, ui, pin, sizeof(pin), &uv_option)) !=
	    KGW_OK ||
	    (r = cred_new(o, user, alg, exclude, nexclude, uv_option, &c)) !=
	    KGW_OK)
		goto out;
	if (ui != NULL && ui->touch != NULL)
		ui->touch(ui->arg);
	rc = fido_dev_make_cred(dev, c, pin[0] != '\0' ? pin : NULL);
	explicit_bzero(pin, sizeof(pin));
	if (rc != FIDO_OK) {
		r = make_error(log, rc);
		goto out;
	}
	if ((r = cred_check(log, c, &out->attested)) != KGW_OK)
		goto out;
	if ((r = cred_take(c, alg, out)) != KGW_OK)
		kgw_log_err(log, "fido2: the key returned a credential we cannot "
		    "keep (id or public key of an unexpected size)");
out:
	explicit_bzero(pin, sizeof(pin));
	fido_cred_free(&c);
	if (dev != NULL)
		(void)fido_dev_close(dev);
	fido_dev_free(&dev);
	return r;
}
