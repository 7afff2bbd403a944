/*
 * The softkey driven through the plain libfido2 API, linked in directly:
 * every behaviour a state file can ask for, and the libfido2 result each
 * one comes back as (the module maps these codes). Devices and credentials
 * here; user verification and presence in test_user.c; a key that lies, or
 * never answers the handshake, in test_rogue.c.
 */
#include <config.h>

#include <check.h>
#include <fido.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "softkey.h"
#include "test_util.h"

static const int types[] = { COSE_ES256, COSE_EDDSA };

START_TEST(test_manifest_none)
{
	fido_dev_info_t *list = fido_dev_info_new(4);
	size_t n = 99;

	ck_assert_int_eq(unsetenv("KGW_SOFTKEY"), 0);
	softkey_reload();
	ck_assert_uint_eq(softkey_count(), 0);
	ck_assert_int_eq(fido_dev_info_manifest(list, 4, &n), FIDO_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(setenv("KGW_SOFTKEY", "", 1), 0);
	softkey_reload();
	n = 99;
	ck_assert_int_eq(fido_dev_info_manifest(list, 4, &n), FIDO_OK);
	ck_assert_uint_eq(n, 0);
	fido_dev_info_free(&list, 4);
}
END_TEST

START_TEST(test_manifest_two)
{
	fido_dev_info_t *list = fido_dev_info_new(4);
	const fido_dev_info_t *di;
	char want[32];
	size_t i, n = 0;

	use_devices(2);
	ck_assert_int_eq(fido_dev_info_manifest(list, 4, &n), FIDO_OK);
	ck_assert_uint_eq(n, 2);
	for (i = 0; i < n; i++) {
		di = fido_dev_info_ptr(list, i);
		(void)snprintf(want, sizeof(want), "softkey:%zu", i);
		ck_assert_str_eq(fido_dev_info_path(di), want);
		ck_assert_str_eq(fido_dev_info_manufacturer_string(di),
		    "kakogawa test");
		ck_assert_str_eq(fido_dev_info_product_string(di), "softkey");
	}
	/* A list with room for one gets one. */
	ck_assert_int_eq(fido_dev_info_manifest(list, 1, &n), FIDO_OK);
	ck_assert_uint_eq(n, 1);
	fido_dev_info_free(&list, 4);
}
END_TEST

/* present=no hides a device and fails its open; read again at each call. */
START_TEST(test_present_no)
{
	fido_dev_info_t *list = fido_dev_info_new(4);
	fido_dev_t *dev = fido_dev_new();
	size_t n = 0;

	state(0, "present=no\n");
	ck_assert_int_eq(fido_dev_info_manifest(list, 4, &n), FIDO_OK);
	ck_assert_uint_eq(n, 0);
	use_devices(2);
	ck_assert_int_eq(fido_dev_info_manifest(list, 4, &n), FIDO_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(fido_dev_info_path(fido_dev_info_ptr(list, 0)),
	    "softkey:1");
	ck_assert_int_eq(fido_dev_open(dev, "softkey:0"), FIDO_ERR_INTERNAL);
	ck_assert_int_eq(fido_dev_open(dev, "softkey:7"), FIDO_ERR_INTERNAL);
	state(0, "present=yes\n");
	ck_assert_int_eq(fido_dev_info_manifest(list, 4, &n), FIDO_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(fido_dev_open(dev, "softkey:0"), FIDO_OK);
	dev_close(&dev);
	fido_dev_info_free(&list, 4);
}
END_TEST

/* A typo in a state file must not pass unseen: the device is gone. */
START_TEST(test_bad_state)
{
	static const char *const bad[] = {
		"touch=maybe\n", "colour=blue\n", "pin=12\n", "aaguid=00\n",
		"present\n", "counter=normal \n", "uv_flag=maybe\n",
		"rp_hash=evil\n", "response_id=none\n", "init=mute\n",
	};
	fido_dev_info_t *list = fido_dev_info_new(4);
	fido_dev_t *dev = fido_dev_new();
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		state(0, bad[i]);
		ck_assert_int_eq(fido_dev_info_manifest(list, 4, &n), FIDO_OK);
		ck_assert_msg(n == 0, "\"%s\" accepted", bad[i]);
		ck_assert_int_ne(fido_dev_open(dev, "softkey:0"), FIDO_OK);
	}
	state(0, "# comment\n\ntouch=yes\r\n");
	ck_assert_int_eq(fido_dev_info_manifest(list, 4, &n), FIDO_OK);
	ck_assert_uint_eq(n, 1);
	fido_dev_free(&dev);
	fido_dev_info_free(&list, 4);
}
END_TEST

static void
check_info(fido_dev_t *dev, const char *aaguid)
{
	fido_cbor_info_t *ci = fido_cbor_info_new();

	ck_assert_int_eq(fido_dev_get_cbor_info(dev, ci), FIDO_OK);
	ck_assert_uint_eq(fido_cbor_info_versions_len(ci), 1);
	ck_assert_str_eq(fido_cbor_info_versions_ptr(ci)[0], "FIDO_2_0");
	ck_assert_uint_eq(fido_cbor_info_aaguid_len(ci), 16);
	ck_assert_mem_eq(fido_cbor_info_aaguid_ptr(ci), aaguid, 16);
	ck_assert_uint_eq(fido_cbor_info_maxmsgsiz(ci), 1200);
	ck_assert_uint_eq(fido_cbor_info_protocols_len(ci), 1);
	ck_assert_uint_eq(fido_cbor_info_protocols_ptr(ci)[0], 1);
	fido_cbor_info_free(&ci);
}

START_TEST(test_info)
{
	fido_dev_t *dev = dev_open(0);

	ck_assert(fido_dev_is_fido2(dev));
	ck_assert(fido_dev_supports_pin(dev));
	ck_assert(!fido_dev_has_pin(dev));
	ck_assert(!fido_dev_supports_uv(dev));
	ck_assert(!fido_dev_has_uv(dev));
	check_info(dev, "kakogawa-softkey");
	dev_close(&dev);

	state(0, "pin=" PIN "\nuv=builtin\n"
	    "aaguid=000102030405060708090A0b0c0d0e0f\n");
	dev = dev_open(0);
	ck_assert(fido_dev_has_pin(dev));
	ck_assert(fido_dev_supports_uv(dev));
	ck_assert(fido_dev_has_uv(dev));
	check_info(dev, "\x00\x01\x02\x03\x04\x05\x06\x07"
	    "\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f");
	dev_close(&dev);
}
END_TEST

/* fido_dev_new_with_info + fido_dev_open_with_info, as pam_u2f opens. */
START_TEST(test_open_with_info)
{
	fido_dev_info_t *list = fido_dev_info_new(2);
	fido_dev_t *dev;
	fido_cred_t *cred;
	fido_assert_t *a;
	size_t n = 0;

	ck_assert_int_eq(fido_dev_info_manifest(list, 2, &n), FIDO_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(dev =
	    fido_dev_new_with_info(fido_dev_info_ptr(list, 0)));
	ck_assert_int_eq(fido_dev_open_with_info(dev), FIDO_OK);
	cred = cred_make_ok(dev, COSE_ES256);
	a = assert_ok(dev, cred);
	ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
	fido_assert_free(&a);
	fido_cred_free(&cred);
	dev_close(&dev);
	fido_dev_info_free(&list, 2);
}
END_TEST

START_TEST(test_cred_x5c)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *c1 = cred_make_ok(dev, types[_i]);
	fido_cred_t *c2 = cred_make_ok(dev, types[_i]);
	struct stat sb;
	char path[256];

	ck_assert_str_eq(fido_cred_fmt(c1), "packed");
	ck_assert_uint_eq(fido_cred_flags(c1), FLAG_UP | FLAG_AT);
	ck_assert_uint_gt(fido_cred_x5c_len(c1), 0);
	ck_assert_int_eq(fido_cred_verify(c1), FIDO_OK);
	ck_assert_int_eq(fido_cred_verify_self(c1), FIDO_ERR_INVALID_ARGUMENT);
	/* One attestation certificate, made once and kept. */
	ck_assert_uint_eq(fido_cred_x5c_len(c1), fido_cred_x5c_len(c2));
	ck_assert_mem_eq(fido_cred_x5c_ptr(c1), fido_cred_x5c_ptr(c2),
	    fido_cred_x5c_len(c1));
	ck_assert_int_ne(memcmp(fido_cred_id_ptr(c1), fido_cred_id_ptr(c2),
	    fido_cred_id_len(c1)), 0);
	(void)snprintf(path, sizeof(path), "%s/attest.pem", devdir[0]);
	ck_assert_int_eq(stat(path, &sb), 0);
	(void)snprintf(path, sizeof(path), "%s/secret", devdir[0]);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	ck_assert_uint_eq(sb.st_size, 32);
	fido_cred_free(&c1);
	fido_cred_free(&c2);
	dev_close(&dev);
}
END_TEST

START_TEST(test_cred_self)
{
	fido_dev_t *dev;
	fido_cred_t *cred;

	state(0, "attestation=self\n");
	dev = dev_open(0);
	cred = cred_make_ok(dev, types[_i]);
	ck_assert_uint_eq(fido_cred_x5c_len(cred), 0);
	ck_assert_int_eq(fido_cred_verify_self(cred), FIDO_OK);
	ck_assert_int_eq(fido_cred_verify(cred), FIDO_ERR_INVALID_ARGUMENT);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

START_TEST(test_cred_bad)
{
	fido_dev_t *dev;
	fido_cred_t *cred;

	state(0, "attestation=bad\n");
	dev = dev_open(0);
	cred = cred_make_ok(dev, types[_i]);
	ck_assert_int_eq(fido_cred_verify(cred), FIDO_ERR_INVALID_SIG);
	ck_assert_int_ne(fido_cred_verify_self(cred), FIDO_OK);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

START_TEST(test_rk_refused)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *cred = cred_new(COSE_ES256, RP);

	ck_assert_int_eq(fido_cred_set_rk(cred, FIDO_OPT_TRUE), FIDO_OK);
	ck_assert_int_eq(fido_dev_make_cred(dev, cred, NULL),
	    FIDO_ERR_UNSUPPORTED_OPTION);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

START_TEST(test_assert)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *cred = cred_make_ok(dev, types[_i]);
	fido_cred_t *other = cred_make_ok(dev, types[_i]);
	fido_assert_t *a = assert_ok(dev, cred);

	ck_assert_uint_eq(fido_assert_count(a), 1);
	ck_assert_uint_eq(fido_assert_flags(a, 0), FLAG_UP);
	ck_assert_mem_eq(fido_assert_id_ptr(a, 0), fido_cred_id_ptr(cred),
	    fido_cred_id_len(cred));
	ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
	/* Another key's public key does not verify it. */
	ck_assert_int_eq(assert_verify(a, other), FIDO_ERR_INVALID_SIG);
	fido_assert_free(&a);
	fido_cred_free(&cred);
	fido_cred_free(&other);
	dev_close(&dev);
}
END_TEST

/* A credential is sealed for its RP, and by its device only. */
START_TEST(test_other_rp)
{
	fido_dev_t *dev, *dev1;
	fido_cred_t *cred, *excl;
	fido_assert_t *a = NULL;

	use_devices(2);
	dev = dev_open(0);
	cred = cred_make_ok(dev, types[_i]);
	ck_assert_int_eq(assert_get(dev, cred, "other.example", NULL,
	    FIDO_OPT_TRUE, FIDO_OPT_OMIT, &a), FIDO_ERR_NO_CREDENTIALS);
	dev1 = dev_open(1);
	ck_assert_int_eq(assert_get(dev1, cred, RP, NULL, FIDO_OPT_TRUE,
	    FIDO_OPT_OMIT, &a), FIDO_ERR_NO_CREDENTIALS);
	dev_close(&dev1);
	/* excludeList: the same RP refuses, another RP does not care. */
	excl = cred_new(types[_i], RP);
	ck_assert_int_eq(fido_cred_exclude(excl, fido_cred_id_ptr(cred),
	    fido_cred_id_len(cred)), FIDO_OK);
	ck_assert_int_eq(fido_dev_make_cred(dev, excl, NULL),
	    FIDO_ERR_CREDENTIAL_EXCLUDED);
	fido_cred_free(&excl);
	excl = cred_new(types[_i], "other.example");
	ck_assert_int_eq(fido_cred_exclude(excl, fido_cred_id_ptr(cred),
	    fido_cred_id_len(cred)), FIDO_OK);
	ck_assert_int_eq(fido_dev_make_cred(dev, excl, NULL), FIDO_OK);
	fido_cred_free(&excl);
	fido_cred_free(&cred);
	dev_close(&dev);
}
END_TEST

struct counter_case {
	const char *state;
	int step;		/* between two signatures; 99: always 0 */
};

static const struct counter_case counters[] = {
	{ "counter=normal\n", 1 },
	{ "counter=zero\n", 99 },
	{ "counter=backwards\n", -1 },
	{ "counter=stuck\n", 0 },
};

static void
run_counter(int k)
{
	fido_dev_t *dev = dev_open(0);
	fido_cred_t *cred = cred_make_ok(dev, COSE_ES256);
	fido_assert_t *a;
	uint32_t prev, c;
	int i;

	for (i = 0; i < 3; i++) {
		a = assert_ok(dev, cred);
		fido_assert_free(&a);
	}
	dev_close(&dev);
	/* The same process: the state is read again at the next open. */
	state(0, counters[k].state);
	dev = dev_open(0);
	a = assert_ok(dev, cred);
	prev = fido_assert_sigcount(a, 0);
	fido_assert_free(&a);
	for (i = 0; i < 3; i++) {
		a = assert_ok(dev, cred);
		c = fido_assert_sigcount(a, 0);
		ck_assert_int_eq(assert_verify(a, cred), FIDO_OK);
		fido_assert_free(&a);
		if (counters[k].step == 99)
			ck_assert_uint_eq(c, 0);
		else
			ck_assert_int_eq((int64_t)c - (int64_t)prev,
			    counters[k].step);
		prev = c;
	}
	fido_cred_free(&cred);
	dev_close(&dev);
}

START_TEST(test_counter)
{
	run_counter(_i);
}
END_TEST

static Suite *
softkey_suite(void)
{
	Suite *s = suite_create("softkey");
	TCase *tc;
	const int ntypes = (int)(sizeof(types) / sizeof(types[0]));

	tc = tcase_create("devices");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_manifest_none);
	tcase_add_test(tc, test_manifest_two);
	tcase_add_test(tc, test_present_no);
	tcase_add_test(tc, test_bad_state);
	tcase_add_test(tc, test_info);
	tcase_add_test(tc, test_open_with_info);
	suite_add_tcase(s, tc);

	tc = tcase_create("credentials");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cred_x5c, 0, ntypes);
	tcase_add_loop_test(tc, test_cred_self, 0, ntypes);
	tcase_add_loop_test(tc, test_cred_bad, 0, ntypes);
	tcase_add_test(tc, test_rk_refused);
	tcase_add_loop_test(tc, test_assert, 0, ntypes);
	tcase_add_loop_test(tc, test_other_rp, 0, ntypes);
	tcase_add_loop_test(tc, test_counter, 0,
	    (int)(sizeof(counters) / sizeof(counters[0])));
	suite_add_tcase(s, tc);

	suite_add_tcase(s, user_tcase());
	suite_add_tcase(s, presence_tcase());
	suite_add_tcase(s, rogue_tcase());
	return s;
}

int
main(void)
{
	SRunner *sr;
	int number_failed;

	(void)strcpy(basedir, "/tmp/kgw-softkey-XXXXXX");
	if (mkdtemp(basedir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	sr = srunner_create(softkey_suite());
	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	(void)nftw(basedir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return number_failed ? 1 : 0;
}
