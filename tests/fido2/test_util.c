/*
 * Helpers of the softkey's Check test: throwaway device directories, and
 * libfido2 called the way the module and the enrolment tool call it.
 */
#include <config.h>

#include <check.h>
#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "softkey.h"
#include "test_util.h"

char basedir[64];
char devdir[NDEV][128];

int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* N devices in KGW_SOFTKEY, as a test process would have them. */
void
use_devices(size_t n)
{
	char env[NDEV * 130];
	size_t i, off = 0;

	env[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(env + off, sizeof(env) - off, "%s%s",
		    i > 0 ? ":" : "", devdir[i]);
	ck_assert_uint_lt(off, sizeof(env));
	ck_assert_int_eq(setenv("KGW_SOFTKEY", env, 1), 0);
	softkey_reload();
	ck_assert_uint_eq(softkey_count(), n);
}

void
setup(void)
{
	size_t i;

	for (i = 0; i < NDEV; i++) {
		(void)snprintf(devdir[i], sizeof(devdir[i]), "%s/dXXXXXX",
		    basedir);
		ck_assert_ptr_nonnull(mkdtemp(devdir[i]));
	}
	use_devices(1);
}

void
teardown(void)
{
	size_t i;

	for (i = 0; i < NDEV; i++)
		(void)nftw(devdir[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
state(size_t idx, const char *text)
{
	ck_assert_int_eq(softkey_state_write(devdir[idx], text), 0);
}

long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Opens "softkey:IDX" the way the module does: manifest, new, open. */
fido_dev_t *
dev_open(size_t idx)
{
	char want[32];
	fido_dev_info_t *list = fido_dev_info_new(8);
	fido_dev_t *dev = NULL;
	size_t i, n = 0;

	ck_assert_ptr_nonnull(list);
	(void)snprintf(want, sizeof(want), "softkey:%zu", idx);
	ck_assert_int_eq(fido_dev_info_manifest(list, 8, &n), FIDO_OK);
	for (i = 0; i < n && dev == NULL; i++) {
		const char *path = fido_dev_info_path(fido_dev_info_ptr(list,
		    i));

		if (strcmp(path, want) != 0)
			continue;
		ck_assert_ptr_nonnull(dev = fido_dev_new());
		ck_assert_int_eq(fido_dev_open(dev, path), FIDO_OK);
	}
	fido_dev_info_free(&list, 8);
	ck_assert_msg(dev != NULL, "%s is not listed", want);
	return dev;
}

void
dev_close(fido_dev_t **dev)
{
	ck_assert_int_eq(fido_dev_close(*dev), FIDO_OK);
	fido_dev_free(dev);
}

/* A clientDataHash that differs from call to call. */
static void
set_cdh(unsigned char cdh[32])
{
	static unsigned char seq;
	size_t i;

	seq++;
	for (i = 0; i < 32; i++)
		cdh[i] = (unsigned char)((size_t)seq * 131 + i * 7);
}

fido_cred_t *
cred_new(int type, const char *rp)
{
	static const unsigned char user_id[] = { 0x6b, 0x67, 0x77, 0x01 };
	unsigned char cdh[32];
	fido_cred_t *cred = fido_cred_new();

	set_cdh(cdh);
	ck_assert_ptr_nonnull(cred);
	ck_assert_int_eq(fido_cred_set_type(cred, type), FIDO_OK);
	ck_assert_int_eq(fido_cred_set_clientdata_hash(cred, cdh, 32),
	    FIDO_OK);
	ck_assert_int_eq(fido_cred_set_rp(cred, rp, "Kakogawa"), FIDO_OK);
	ck_assert_int_eq(fido_cred_set_user(cred, user_id, sizeof(user_id),
	    "alice", NULL, NULL), FIDO_OK);
	return cred;
}

/* A credential made on DEV, or the failure of fido_dev_make_cred. */
int
cred_make(fido_dev_t *dev, int type, const char *pin, fido_cred_t **out)
{
	int rc;

	*out = cred_new(type, RP);
	if ((rc = fido_dev_make_cred(dev, *out, pin)) != FIDO_OK)
		fido_cred_free(out);
	return rc;
}

fido_cred_t *
cred_make_ok(fido_dev_t *dev, int type)
{
	fido_cred_t *cred = NULL;

	ck_assert_int_eq(cred_make(dev, type, NULL, &cred), FIDO_OK);
	return cred;
}

/* An assertion for CRED from DEV; *out is NULL unless it succeeded. */
int
assert_get(fido_dev_t *dev, const fido_cred_t *cred, const char *rp,
    const char *pin, fido_opt_t up, fido_opt_t uv, fido_assert_t **out)
{
	unsigned char cdh[32];
	int rc;

	set_cdh(cdh);
	ck_assert_ptr_nonnull(*out = fido_assert_new());
	ck_assert_int_eq(fido_assert_set_rp(*out, rp), FIDO_OK);
	ck_assert_int_eq(fido_assert_set_clientdata_hash(*out, cdh, 32),
	    FIDO_OK);
	ck_assert_int_eq(fido_assert_allow_cred(*out, fido_cred_id_ptr(cred),
	    fido_cred_id_len(cred)), FIDO_OK);
	ck_assert_int_eq(fido_assert_set_up(*out, up), FIDO_OK);
	ck_assert_int_eq(fido_assert_set_uv(*out, uv), FIDO_OK);
	if ((rc = fido_dev_get_assert(dev, *out, pin)) != FIDO_OK)
		fido_assert_free(out);
	return rc;
}

fido_assert_t *
assert_ok(fido_dev_t *dev, const fido_cred_t *cred)
{
	fido_assert_t *a = NULL;

	ck_assert_int_eq(assert_get(dev, cred, RP, NULL, FIDO_OPT_TRUE,
	    FIDO_OPT_OMIT, &a), FIDO_OK);
	return a;
}

/* fido_assert_verify against the public key of CRED. */
int
assert_verify(const fido_assert_t *a, const fido_cred_t *cred)
{
	const unsigned char *ptr = fido_cred_pubkey_ptr(cred);
	size_t len = fido_cred_pubkey_len(cred);
	es256_pk_t *es = NULL;
	eddsa_pk_t *ed = NULL;
	int rc;

	if (fido_cred_type(cred) == COSE_ES256) {
		ck_assert_ptr_nonnull(es = es256_pk_new());
		ck_assert_int_eq(es256_pk_from_ptr(es, ptr, len), FIDO_OK);
		rc = fido_assert_verify(a, 0, COSE_ES256, es);
		es256_pk_free(&es);
	} else {
		ck_assert_ptr_nonnull(ed = eddsa_pk_new());
		ck_assert_int_eq(eddsa_pk_from_ptr(ed, ptr, len), FIDO_OK);
		rc = fido_assert_verify(a, 0, COSE_EDDSA, ed);
		eddsa_pk_free(&ed);
	}
	return rc;
}
