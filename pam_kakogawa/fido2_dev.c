/*
 * Finding the security keys plugged in: libfido2's manifest, polled until
 * a key appears or the insertion timeout passes, so that a display manager
 * never waits without end.
 */
#include <config.h>

#include <string.h>
#include <time.h>

#include <fido.h>

#include "kgw_err.h"
#include "kgw_fido2.h"
#include "kgw_str.h"

#define POLL_MS 200

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	(void)nanosleep(&ts, NULL);
}

/* The keys plugged in now; paths and names too long to keep are skipped. */
static int
devs_list(const struct kgw_log *log, struct kgw_fido2_devs *d)
{
	fido_dev_info_t *info;
	const fido_dev_info_t *di;
	size_t found = 0, i;
	int rc;

	d->n = 0;
	if ((info = fido_dev_info_new(KGW_FIDO2_DEVS_MAX)) == NULL)
		return KGW_ERR_NOMEM;
	if ((rc = fido_dev_info_manifest(info, KGW_FIDO2_DEVS_MAX,
	    &found)) != FIDO_OK) {
		kgw_log_err(log, "fido2: listing keys: %s", fido_strerr(rc));
		fido_dev_info_free(&info, KGW_FIDO2_DEVS_MAX);
		return KGW_ERR_FIDO2;
	}
	for (i = 0; i < found && i < KGW_FIDO2_DEVS_MAX; i++) {
		di = fido_dev_info_ptr(info, i);
		if (fido_dev_info_path(di) == NULL ||
		    kgw_strcopy(d->path[d->n], sizeof(d->path[d->n]),
		    fido_dev_info_path(di)) != KGW_OK)
			continue;
		if (fido_dev_info_product_string(di) == NULL ||
		    kgw_strcopy(d->product[d->n], sizeof(d->product[d->n]),
		    fido_dev_info_product_string(di)) != KGW_OK)
			(void)kgw_strcopy(d->product[d->n],
			    sizeof(d->product[d->n]), "?");
		d->n++;
	}
	fido_dev_info_free(&info, KGW_FIDO2_DEVS_MAX);
	return KGW_OK;
}

int
kgw_fido2_devs_wait(const struct kgw_log *log, const struct kgw_fido2_opts *o,
    const struct kgw_fido2_ui *ui, struct kgw_fido2_devs *d)
{
	int64_t deadline = now_ms() + o->insert_ms;
	bool asked = false;
	int r;

	memset(d, 0, sizeof(*d));
	if (o->device != NULL) {
		/* The helpdesk named one: no listing, no waiting. */
		if (kgw_strcopy(d->path[0], sizeof(d->path[0]), o->device) !=
		    KGW_OK)
			return KGW_ERR_INVALID;
		(void)kgw_strcopy(d->product[0], sizeof(d->product[0]),
		    o->device);
		d->n = 1;
		return KGW_OK;
	}
	for (;;) {
		if ((r = devs_list(log, d)) != KGW_OK || d->n > 0)
			return r;
		if (now_ms() >= deadline)
			break;
		if (!asked && ui != NULL && ui->insert != NULL)
			ui->insert(ui->arg);
		asked = true;
		sleep_ms(POLL_MS);
	}
	kgw_log_info(log, "fido2: no security key plugged in within %u ms",
	    o->insert_ms);
	return KGW_ERR_NO_KEY;
}

const char *
kgw_fido2_alg_name(int alg)
{
	switch (alg) {
	case KGW_FIDO2_ES256:
		return "es256";
	case KGW_FIDO2_EDDSA:
		return "eddsa";
	default:
		return NULL;
	}
}
