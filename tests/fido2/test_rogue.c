/*
 * A rogue key: it answers, signs with the right key, and still lies (UV
 * left out after a verification, another RP's hash signed, a credential
 * id that is not the one used, or none), or never answers the CTAPHID
 * handshake. What libfido2 makes of each is what the module has to catch.
 */
#include <config.h>

#include <check.h>
#include <fido.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "test_util.h"

#define EVIL_RP	"evil.example"	/* the RP rp_hash=wrong signs for */

static const int rogue_types[] = { COSE_ES256, COSE_EDDSA };

/*
 * An assertion verified by the PIN (_i 0) or by built-in UV (_i 1): with
 * uv_flag=no the UV flag is missing, and fido_assert_verify refuses it as
 * soon as UV is asked for; the signature itself is good.
 */
static void
run_uv_flag(bool by_pin, bool flag)
{
	fido_dev_t *dev;
	fido_cred_t *cred = NULL;
	fido_assert_t *a = NULL;
	char text[64];

	(void)snprintf(text, sizeof(text), "%s\nuv_flag=%s\n",
	    by_pin ? "pin=" PIN : "uv=builtin", flag ? "yes" : "no");
	state(0, text);
	dev = dev_open(0);
	ck_assert_int_eq(cred_make(dev, COSE_ES256, by_pin ? PIN : NULL,
	    &cred), FIDO_OK);
	/* Assertions only: the credential still says UV after a PIN. */
	ck_assert_uint_eq(fido_cred_flags(cred), FLAG_UP | FLAG_AT |
	    (by_pin ? FLAG_UV : 0));
	ck_assert_int_eq(assert_get(dev, cred, RP, by_pin ? PIN : NULL,
	    FIDO_OPT_TRUE, by_pin ? FIDO_OPT_OMIT : FIDO_OPT_TRUE, &a),
	    FIDO_OK);
	ck_assert_uint_eq(fido_assert_flags(a, 0), FLAG_UP |
	    (flag ? FLAG_UV : 0));
	ck_assert_int_eq(fido_assert_set_uv(a, FIDO_OPT_TRUE), FIDO_OK);
	ck_assert_int_eq(assert_verify(a, cred), flag ? FIDO_OK :
	    FIDO_ERR_INVALID_PARAM);
	ck_assert_int_eq(fido_assert_set_uv(a, FIDO_OPT_OMIT), FIDO_OK);
	ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
	fido_assert_free(&a);
	fido_cred_free(&cred);
	dev_close(&dev);
}

START_TEST(test_uv_flag)
{
	run_uv_flag(_i == 0, true);
	run_uv_flag(_i == 0, false);
}
END_TEST

/*
 * rp_hash=wrong: a good signature by the credential key over authData
 * whose rpIdHash is another RP's. fido_dev_get_assert takes it; only
 * fido_assert_verify, which compares the hash with the assert's RP, does
 * not.
 */
START_TEST(test_rp_hash)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *cred = cred_make_ok(dev, rogue_types[_i]);
	fido_assert_t *a = assert_ok(dev, cred);

	ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
	fido_assert_free(&a);
	dev_close(&dev);
	state(0, "rp_hash=wrong\n");
	dev = dev_open(0);
	a = assert_ok(dev, cred);
	ck_assert_uint_eq(fido_assert_flags(a, 0), FLAG_UP);
	ck_assert_mem_eq(fido_assert_id_ptr(a, 0), fido_cred_id_ptr(cred),
	    fido_cred_id_len(cred));
	ck_assert_int_eq(assert_verify(a, cred), FIDO_ERR_INVALID_PARAM);
	/* The signature is good: it is the evil RP's assertion. */
	ck_assert_int_eq(fido_assert_set_rp(a, EVIL_RP), FIDO_OK);
	ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
	fido_assert_free(&a);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

/*
 * response_id=random: a good signature under a credential id that is not
 * the one used; libfido2 passes it on as it came, and verifies it.
 */
START_TEST(test_response_id_random)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *cred = cred_make_ok(dev, rogue_types[_i]);
	fido_assert_t *a, *b;

	dev_close(&dev);
	state(0, "response_id=random\n");
	dev = dev_open(0);
	a = assert_ok(dev, cred);
	b = assert_ok(dev, cred);
	ck_assert_uint_eq(fido_assert_id_len(a, 0), 32);
	ck_assert_uint_ne(fido_assert_id_len(a, 0), fido_cred_id_len(cred));
	ck_assert_int_ne(memcmp(fido_assert_id_ptr(a, 0),
	    fido_assert_id_ptr(b, 0), 32), 0);
	ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
	ck_assert_int_eq(assert_verify(b, cred), FIDO_OK);
	fido_assert_free(&a);
	fido_assert_free(&b);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

/*
 * response_id=empty: no credential in the reply (CTAP 2.0 allows it when
 * the allowList held one). libfido2 1.12 does not fill in the id it asked
 * for: the statement has none.
 */
START_TEST(test_response_id_empty)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *cred = cred_make_ok(dev, rogue_types[_i]);
	fido_assert_t *a = assert_ok(dev, cred);

	ck_assert_uint_eq(fido_assert_id_len(a, 0), fido_cred_id_len(cred));
	fido_assert_free(&a);
	dev_close(&dev);
	state(0, "response_id=empty\n");
	dev = dev_open(0);
	a = assert_ok(dev, cred);
	ck_assert_uint_eq(fido_assert_count(a), 1);
	ck_assert_ptr_null(fido_assert_id_ptr(a, 0));
	ck_assert_uint_eq(fido_assert_id_len(a, 0), 0);
	ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
	fido_assert_free(&a);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

/*
 * init=silent: CTAPHID_INIT is never answered, so the handshake of
 * fido_dev_open gets nothing. A timeout set before the open bounds it (500
 * ms, _i 0 and 1: plain open, and the pam_u2f way); without one libfido2
 * waits for ever, here the softkey's 30 s (_i 2).
 */
START_TEST(test_init_silent)
{
	fido_dev_info_t *list = fido_dev_info_new(2);
	fido_dev_t *dev;
	size_t n = 0;
	long t0, dt;
	int rc;

	state(0, "init=silent\n");
	ck_assert_int_eq(fido_dev_info_manifest(list, 2, &n), FIDO_OK);
	ck_assert_uint_eq(n, 1);	/* listed: only the handshake fails */
	ck_assert_ptr_nonnull(dev = _i == 1 ?
	    fido_dev_new_with_info(fido_dev_info_ptr(list, 0)) :
	    fido_dev_new());
	if (_i < 2)
		ck_assert_int_eq(fido_dev_set_timeout(dev, 500), FIDO_OK);
	t0 = now_ms();
	rc = _i == 1 ? fido_dev_open_with_info(dev) :
	    fido_dev_open(dev, "softkey:0");
	dt = now_ms() - t0;
	ck_assert_int_eq(rc, FIDO_ERR_RX);
	if (_i < 2)
		ck_assert_msg(dt >= 450 && dt < 1500, "open took %ld ms", dt);
	else
		ck_assert_msg(dt >= 29000 && dt < 40000, "open took %ld ms",
		    dt);
	/* Nothing is left open, and the device is fine once it answers. */
	ck_assert_int_eq(fido_dev_close(dev), FIDO_ERR_INVALID_ARGUMENT);
	state(0, "init=normal\n");
	ck_assert_int_eq(_i == 1 ? fido_dev_open_with_info(dev) :
	    fido_dev_open(dev, "softkey:0"), FIDO_OK);
	ck_assert(fido_dev_is_fido2(dev));
	dev_close(&dev);
	fido_dev_info_free(&list, 2);
}
END_TEST

TCase *
rogue_tcase(void)
{
	TCase *tc = tcase_create("rogue");
	const int ntypes = (int)(sizeof(rogue_types) /
	    sizeof(rogue_types[0]));

	tcase_add_checked_fixture(tc, setup, teardown);
	/* init=silent without a timeout waits the softkey's 30 s. */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_uv_flag, 0, 2);
	tcase_add_loop_test(tc, test_rp_hash, 0, ntypes);
	tcase_add_loop_test(tc, test_response_id_random, 0, ntypes);
	tcase_add_loop_test(tc, test_response_id_empty, 0, ntypes);
	tcase_add_loop_test(tc, test_init_silent, 0, 3);
	return tc;
}
