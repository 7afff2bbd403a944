/*
 * The softkey's user, as libfido2 sees them: PIN and built-in user
 * verification, presence given, refused or never given, a key that lies
 * about presence, and malformed replies.
 */
#include <config.h>

#include <check.h>
#include <fido.h>
#include <stdio.h>
#include <stdint.h>

#include "test_util.h"

START_TEST(test_pin_right)
{
	fido_dev_t *dev;
	fido_cred_t *cred = NULL;
	fido_assert_t *a = NULL;
	int retries = 0;

	state(0, "pin=" PIN "\n");
	dev = dev_open(0);
	ck_assert_int_eq(fido_dev_get_retry_count(dev, &retries), FIDO_OK);
	ck_assert_int_eq(retries, 8);
	ck_assert_int_eq(cred_make(dev, COSE_ES256, NULL, &cred),
	    FIDO_ERR_PIN_REQUIRED);
	ck_assert_int_eq(cred_make(dev, COSE_ES256, PIN, &cred), FIDO_OK);
	ck_assert_uint_eq(fido_cred_flags(cred), FLAG_UP | FLAG_UV | FLAG_AT);
	ck_assert_int_eq(fido_cred_verify(cred), FIDO_OK);
	ck_assert_int_eq(assert_get(dev, cred, RP, PIN, FIDO_OPT_TRUE,
	    FIDO_OPT_TRUE, &a), FIDO_OK);
	ck_assert_uint_eq(fido_assert_flags(a, 0), FLAG_UP | FLAG_UV);
	ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
	fido_assert_free(&a);
	/* Without the PIN: an assertion, but not a verified one. */
	ck_assert_int_eq(assert_get(dev, cred, RP, NULL, FIDO_OPT_TRUE,
	    FIDO_OPT_OMIT, &a), FIDO_OK);
	ck_assert_uint_eq(fido_assert_flags(a, 0), FLAG_UP);
	ck_assert_int_eq(fido_assert_set_uv(a, FIDO_OPT_TRUE), FIDO_OK);
	ck_assert_int_eq(assert_verify(a, cred), FIDO_ERR_INVALID_PARAM);
	fido_assert_free(&a);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

START_TEST(test_pin_wrong)
{
	fido_dev_t *dev;
	fido_cred_t *cred = NULL;
	fido_assert_t *a = NULL;
	int retries = 0;

	state(0, "pin=" PIN "\n");
	dev = dev_open(0);
	ck_assert_int_eq(cred_make(dev, COSE_ES256, PIN, &cred), FIDO_OK);
	ck_assert_int_eq(assert_get(dev, cred, RP, "0000", FIDO_OPT_TRUE,
	    FIDO_OPT_OMIT, &a), FIDO_ERR_PIN_INVALID);
	ck_assert_int_eq(fido_dev_get_retry_count(dev, &retries), FIDO_OK);
	ck_assert_int_eq(retries, 7);
	ck_assert_int_eq(assert_get(dev, cred, RP, "47110", FIDO_OPT_TRUE,
	    FIDO_OPT_OMIT, &a), FIDO_ERR_PIN_INVALID);
	/* The third wrong PIN of a power-up blocks PIN use until the next. */
	ck_assert_int_eq(assert_get(dev, cred, RP, "471", FIDO_OPT_TRUE,
	    FIDO_OPT_OMIT, &a), FIDO_ERR_PIN_AUTH_BLOCKED);
	ck_assert_int_eq(assert_get(dev, cred, RP, PIN, FIDO_OPT_TRUE,
	    FIDO_OPT_OMIT, &a), FIDO_ERR_PIN_AUTH_BLOCKED);
	dev_close(&dev);
	dev = dev_open(0);
	ck_assert_int_eq(fido_dev_get_retry_count(dev, &retries), FIDO_OK);
	ck_assert_int_eq(retries, 5);
	ck_assert_int_eq(assert_get(dev, cred, RP, PIN, FIDO_OPT_TRUE,
	    FIDO_OPT_OMIT, &a), FIDO_OK);
	fido_assert_free(&a);
	ck_assert_int_eq(fido_dev_get_retry_count(dev, &retries), FIDO_OK);
	ck_assert_int_eq(retries, 8);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

START_TEST(test_pin_blocked)
{
	char path[256];
	fido_dev_t *dev;
	fido_cred_t *cred = NULL;
	FILE *fp;

	state(0, "pin=" PIN "\n");
	(void)snprintf(path, sizeof(path), "%s/pin_retries", devdir[0]);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_gt(fprintf(fp, "1\n"), 0);
	ck_assert_int_eq(fclose(fp), 0);
	dev = dev_open(0);
	ck_assert_int_eq(cred_make(dev, COSE_ES256, "0000", &cred),
	    FIDO_ERR_PIN_BLOCKED);
	ck_assert_int_eq(cred_make(dev, COSE_ES256, PIN, &cred),
	    FIDO_ERR_PIN_BLOCKED);
	dev_close(&dev);
}
END_TEST

START_TEST(test_uv_builtin)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *cred = cred_make_ok(dev, COSE_ES256);
	fido_assert_t *a = NULL;

	ck_assert_int_eq(assert_get(dev, cred, RP, NULL, FIDO_OPT_TRUE,
	    FIDO_OPT_TRUE, &a), FIDO_ERR_UNSUPPORTED_OPTION);
	dev_close(&dev);
	state(0, "uv=builtin\n");
	dev = dev_open(0);
	ck_assert_int_eq(assert_get(dev, cred, RP, NULL, FIDO_OPT_TRUE,
	    FIDO_OPT_TRUE, &a), FIDO_OK);
	ck_assert_uint_eq(fido_assert_flags(a, 0), FLAG_UP | FLAG_UV);
	ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
	fido_assert_free(&a);
	/* Not asked, not done. */
	a = assert_ok(dev, cred);
	ck_assert_uint_eq(fido_assert_flags(a, 0), FLAG_UP);
	fido_assert_free(&a);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

START_TEST(test_touch_no)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *cred = cred_make_ok(dev, COSE_ES256), *c2 = NULL;
	fido_assert_t *a = NULL;

	dev_close(&dev);
	state(0, "touch=no\n");
	dev = dev_open(0);
	ck_assert_int_eq(cred_make(dev, COSE_ES256, NULL, &c2),
	    FIDO_ERR_OPERATION_DENIED);
	ck_assert_int_eq(assert_get(dev, cred, RP, NULL, FIDO_OPT_TRUE,
	    FIDO_OPT_OMIT, &a), FIDO_ERR_OPERATION_DENIED);
	/* up=false needs no touch, and says so in the flags. */
	ck_assert_int_eq(assert_get(dev, cred, RP, NULL, FIDO_OPT_FALSE,
	    FIDO_OPT_OMIT, &a), FIDO_OK);
	ck_assert_uint_eq(fido_assert_flags(a, 0), 0);
	ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
	fido_assert_free(&a);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

/* No touch, ever: libfido2's own timeout ends the wait, within ~1 s. */
START_TEST(test_touch_timeout)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *cred = cred_make_ok(dev, COSE_ES256), *c2 = NULL;
	fido_assert_t *a = NULL;
	long t0, dt;

	dev_close(&dev);
	state(0, "touch=timeout\n");
	dev = dev_open(0);
	ck_assert_int_eq(fido_dev_set_timeout(dev, 300), FIDO_OK);
	t0 = now_ms();
	ck_assert_int_eq(assert_get(dev, cred, RP, NULL, FIDO_OPT_TRUE,
	    FIDO_OPT_OMIT, &a), FIDO_ERR_RX);
	dt = now_ms() - t0;
	ck_assert_msg(dt >= 250 && dt < 1000, "get_assert took %ld ms", dt);
	ck_assert_int_eq(fido_dev_cancel(dev), FIDO_OK);
	dev_close(&dev);
	dev = dev_open(0);
	ck_assert_int_eq(fido_dev_set_timeout(dev, 300), FIDO_OK);
	t0 = now_ms();
	ck_assert_int_eq(cred_make(dev, COSE_ES256, NULL, &c2), FIDO_ERR_RX);
	dt = now_ms() - t0;
	ck_assert_msg(dt >= 250 && dt < 1000, "make_cred took %ld ms", dt);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

/* A key that signs without the UP flag: caught only if UP is asked for. */
START_TEST(test_up_flag_no)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *cred = cred_make_ok(dev, COSE_ES256);
	fido_assert_t *a;

	dev_close(&dev);
	state(0, "up_flag=no\n");
	dev = dev_open(0);
	a = assert_ok(dev, cred);
	ck_assert_uint_eq(fido_assert_flags(a, 0) & FLAG_UP, 0);
	ck_assert_int_eq(assert_verify(a, cred), FIDO_ERR_INVALID_PARAM);
	ck_assert_int_eq(fido_assert_set_up(a, FIDO_OPT_OMIT), FIDO_OK);
	ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
	fido_assert_free(&a);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

struct fault_case {
	const char *state;
	int assert_rc;		/* of fido_dev_get_assert */
	int cred_rc;		/* of fido_dev_make_cred */
};

static const struct fault_case faults[] = {
	{ "fault=truncated\n", FIDO_ERR_RX, FIDO_ERR_RX },
	{ "fault=badcbor\n", FIDO_ERR_RX_NOT_CBOR, FIDO_ERR_RX_NOT_CBOR },
	{ "fault=oversized\n", FIDO_ERR_RX, FIDO_ERR_RX },
	{ "fault=wrongcid\n", FIDO_ERR_RX, FIDO_ERR_RX },
};

/* A malformed reply is an error from libfido2, within the timeout. */
static void
run_fault(int k)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *cred = cred_make_ok(dev, COSE_ES256), *c2 = NULL;
	fido_assert_t *a = NULL;
	long t0, dt;

	dev_close(&dev);
	state(0, faults[k].state);
	dev = dev_open(0);
	ck_assert(fido_dev_is_fido2(dev));	/* GetInfo is spared */
	ck_assert_int_eq(fido_dev_set_timeout(dev, 500), FIDO_OK);
	t0 = now_ms();
	ck_assert_int_eq(assert_get(dev, cred, RP, NULL, FIDO_OPT_TRUE,
	    FIDO_OPT_OMIT, &a), faults[k].assert_rc);
	dt = now_ms() - t0;
	ck_assert_msg(dt < 1500, "get_assert took %ld ms", dt);
	dev_close(&dev);
	dev = dev_open(0);
	ck_assert_int_eq(fido_dev_set_timeout(dev, 500), FIDO_OK);
	ck_assert_int_eq(cred_make(dev, COSE_ES256, NULL, &c2),
	    faults[k].cred_rc);
	dev_close(&dev);
	/* The device is fine again once the fault is gone. */
	state(0, "fault=none\n");
	dev = dev_open(0);
	a = assert_ok(dev, cred);
	fido_assert_free(&a);
	fido_cred_free(&cred);
	dev_close(&dev);
}

START_TEST(test_fault)
{
	run_fault(_i);
}
END_TEST

/* Two keys, one touched: get_touch_begin/status tell which. */
START_TEST(test_touch_select)
{
	fido_dev_t *dev[NDEV];
	size_t touched = (size_t)_i, i;
	int t;

	use_devices(2);
	state(1 - touched, "touch=timeout\n");
	state(touched, "pin=" PIN "\n");	/* a PIN does not hide it */
	for (i = 0; i < NDEV; i++) {
		dev[i] = dev_open(i);
		ck_assert_int_eq(fido_dev_get_touch_begin(dev[i]), FIDO_OK);
	}
	for (i = 0; i < NDEV; i++) {
		t = -1;
		ck_assert_int_eq(fido_dev_get_touch_status(dev[i], &t, 50),
		    FIDO_OK);
		ck_assert_int_eq(t, i == touched);
	}
	ck_assert_int_eq(fido_dev_cancel(dev[1 - touched]), FIDO_OK);
	/* The cancelled request ends with KEEPALIVE_CANCEL. */
	ck_assert_int_eq(fido_dev_get_touch_status(dev[1 - touched], &t, 50),
	    FIDO_ERR_KEEPALIVE_CANCEL);
	for (i = 0; i < NDEV; i++)
		dev_close(&dev[i]);
}
END_TEST

START_TEST(test_touch_refused)
{
	fido_dev_t *dev;
	int t = -1;

	state(0, "touch=no\n");
	dev = dev_open(0);
	ck_assert_int_eq(fido_dev_get_touch_begin(dev), FIDO_OK);
	ck_assert_int_eq(fido_dev_get_touch_status(dev, &t, 50),
	    FIDO_ERR_OPERATION_DENIED);
	ck_assert_int_eq(t, 0);
	dev_close(&dev);
}
END_TEST

TCase *
user_tcase(void)
{
	TCase *tc = tcase_create("verification");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pin_right);
	tcase_add_test(tc, test_pin_wrong);
	tcase_add_test(tc, test_pin_blocked);
	tcase_add_test(tc, test_uv_builtin);
	return tc;
}

TCase *
presence_tcase(void)
{
	TCase *tc = tcase_create("presence");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_touch_no);
	tcase_add_test(tc, test_touch_timeout);
	tcase_add_test(tc, test_up_flag_no);
	tcase_add_loop_test(tc, test_touch_select, 0, NDEV);
	tcase_add_test(tc, test_touch_refused);
	tcase_add_loop_test(tc, test_fault, 0,
	    (int)(sizeof(faults) / sizeof(faults[0])));
	return tc;
}
