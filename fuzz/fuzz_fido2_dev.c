/*
 * libFuzzer harness: what a security key answers, on the FIDO2 paths of
 * enrolment (kgw_fido2_make) and login (kgw_fido2_assert, and the decoy
 * for people with no key). The keys plugged in are fake: libfido2 lists
 * them through our fido_dev_info_manifest and opens them through
 * fido_dev_open with io functions (fido_dev_set_io_functions) that answer
 * each CTAPHID request with the input's next message, framed into 64-byte
 * HID reports on the channel libfido2 was given (CTAPHID_INIT's reply
 * echoes its nonce, so that the fuzzer spends itself on the payloads).
 * Invariant: no credential is made and no assertion passes from these
 * answers (the challenge is fresh and random: nothing can sign it); an
 * injected allocation failure changes nothing of that; nothing crashes or
 * leaks. Input: fault byte (fault_alloc.h), mode byte, INIT's capability
 * byte, then messages: command (0: the request's), 16-bit length, bytes.
 */
#include <config.h>

#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <openssl/err.h>

#include "fault_alloc.h"
#include "kgw_conf.h"
#include "kgw_crypto.h"
#include "kgw_err.h"
#include "kgw_fido2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
const char *__asan_default_options(void);

/*
 * libcbor (0.8) sizes a map or an array by what its header declares
 * before reading an entry: a reply of a few dozen bytes can ask for tens
 * of gigabytes. Outside ASan that is address space, never touched, and
 * freed when the parse fails; under ASan the shadow of it is RSS and the
 * run dies. So here any allocation past 64 MiB fails, as it would on a
 * host without overcommit, and libcbor copes with that.
 */
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1:max_allocation_size_mb=64";
}

#define PATH_PREFIX "fuzz:"
#define REPORT 64
#define CID 0x0a0b0c0dU
#define CMD_INIT 0x86
#define CMD_KEEPALIVE 0xbb
#define REPLY_MAX (REPORT * 256)	/* reports queued for one request */

enum {
	M_MAKE = 0x01,		/* enrol, else log in */
	M_UV = 0x02,		/* the zone asks for user verification */
	M_EDDSA = 0x04,		/* the algorithm, else ES256 */
	M_TWO = 0x08,		/* two keys plugged in (login only) */
	M_DECOY = 0x10,		/* the decoy instead of a login */
};

/* The conversation with the fake keys: input left, replies queued. */
static struct {
	const uint8_t *in;
	size_t left;
	uint8_t caps;
	uint8_t out[REPLY_MAX];
	size_t out_len, out_pos;
} io;

static const unsigned char es256_pk[64] = {	/* P-256's generator */
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6,
	0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb,
	0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f,
	0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a,
	0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e,
	0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};

static void *
fake_open(const char *path)
{
	return strncmp(path, PATH_PREFIX, strlen(PATH_PREFIX)) == 0 ?
	    (void *)&io : NULL;
}

static void
fake_close(void *handle)
{
	(void)handle;
}

/* Appends payload as CTAPHID reports: an init report, continuations. */
static void
frame(uint32_t cid, uint8_t cmd, const uint8_t *p, size_t n)
{
	uint8_t *r;
	size_t take, seq = 0;

	size_t first = io.out_len;

	if (n > 0xffff)
		n = 0xffff;
	do {
		if (io.out_len + REPORT > sizeof(io.out))
			return;
		r = io.out + io.out_len;
		memset(r, 0, REPORT);
		r[0] = (uint8_t)(cid >> 24);
		r[1] = (uint8_t)(cid >> 16);
		r[2] = (uint8_t)(cid >> 8);
		r[3] = (uint8_t)cid;
		if (io.out_len == first) {
			r[4] = cmd;
			r[5] = (uint8_t)(n >> 8);
			r[6] = (uint8_t)n;
			take = n < REPORT - 7 ? n : REPORT - 7;
			memcpy(r + 7, p, take);
		} else {
			r[4] = (uint8_t)(seq++ & 0x7f);
			take = n < REPORT - 5 ? n : REPORT - 5;
			memcpy(r + 5, p, take);
		}
		p += take;
		n -= take;
		io.out_len += REPORT;
	} while (n > 0);
}

/*
 * The next message of the input answers a request of command cmd; after
 * a KEEPALIVE (or an answer of any other command meant as one) the next
 * message follows in the same queue, as a key's would.
 */
static void
answer(uint8_t cmd)
{
	uint8_t reply_cmd;
	size_t n;

	io.out_len = io.out_pos = 0;
	do {
		if (io.left < 3) {
			io.left = 0;	/* silence: a timeout */
			return;
		}
		reply_cmd = io.in[0] != 0 ? (uint8_t)(io.in[0] | 0x80) : cmd;
		n = (size_t)io.in[1] << 8 | io.in[2];
		io.in += 3;
		io.left -= 3;
		if (n > io.left)
			n = io.left;
		frame(CID, reply_cmd, io.in, n);
		io.in += n;
		io.left -= n;
	} while (reply_cmd == CMD_KEEPALIVE);
}

/* A report from libfido2: report id 0, then 64 bytes. */
static int
fake_write(void *handle, const unsigned char *buf, size_t len)
{
	uint8_t init[17];

	(void)handle;
	if (len != REPORT + 1 || !(buf[5] & 0x80))
		return (int)len;	/* a continuation: answered already */
	if (buf[5] == CMD_INIT) {
		/* nonce, our channel, CTAPHID 2, version 1.0.0, caps */
		memcpy(init, buf + 8, 8);
		init[8] = (uint8_t)(CID >> 24);
		init[9] = (uint8_t)(CID >> 16);
		init[10] = (uint8_t)(CID >> 8);
		init[11] = (uint8_t)CID;
		init[12] = 2;
		init[13] = 1;
		init[14] = 0;
		init[15] = 0;
		init[16] = io.caps;
		io.out_len = io.out_pos = 0;
		frame(0xffffffffU, CMD_INIT, init, sizeof(init));
		return (int)len;
	}
	if (buf[5] == 0x91)	/* CANCEL has no answer */
		return (int)len;
	answer(buf[5]);
	return (int)len;
}

static int
fake_read(void *handle, unsigned char *buf, size_t len, int ms)
{
	(void)handle;
	(void)ms;
	if (io.out_pos >= io.out_len || len < REPORT)
		return -1;
	memcpy(buf, io.out + io.out_pos, REPORT);
	io.out_pos += REPORT;
	return REPORT;
}

static const fido_dev_io_t fake_io = {
	fake_open, fake_close, fake_read, fake_write,
};

static size_t ndevs = 1;

/* libfido2's listing, replaced: the fake keys only. */
int
fido_dev_info_manifest(fido_dev_info_t *devlist, size_t ilen, size_t *olen)
{
	static const char *const paths[] = { PATH_PREFIX "0", PATH_PREFIX "1" };
	size_t i;
	int r = FIDO_OK;

	*olen = 0;
	for (i = 0; i < ndevs && i < ilen &&
	    i < sizeof(paths) / sizeof(paths[0]) && r == FIDO_OK; i++)
		if ((r = fido_dev_info_set(devlist, i, paths[i], "kakogawa fuzz",
		    "fuzzkey", &fake_io, NULL)) == FIDO_OK)
			(*olen)++;
	return r;
}

/* libfido2's open, after giving a fake key our io functions. */
int
fido_dev_open(fido_dev_t *dev, const char *path)
{
	int (*real)(fido_dev_t *, const char *);
	void *sym;
	int r;

	if ((r = fido_dev_set_io_functions(dev, &fake_io)) != FIDO_OK)
		return r;
	if ((sym = dlsym(RTLD_NEXT, "fido_dev_open")) == NULL)
		abort();
	memcpy(&real, &sym, sizeof(real));
	return real(dev, path);
}

/* The core's refusals are formatted (that code runs too) and dropped. */
static void
emit(void *arg, int priority, const char *msg)
{
	(void)arg;
	(void)priority;
	(void)msg;
}

static const struct kgw_log quiet = { emit, NULL, false, false };

static int
ui_pin(void *arg, char *pin, size_t pinlen)
{
	(void)arg;
	if (pinlen < 5)
		return KGW_ERR_INVALID;
	memcpy(pin, "1234", 5);
	return KGW_OK;
}

/* One verification of garbage: OpenSSL fetches what verifying needs. */
static void
warm_verify(int cose, const void *pk)
{
	static const unsigned char cdh[32], sig[8] = { 0x30, 0x06 };
	unsigned char authdata[37] = { 0 };
	fido_assert_t *a = fido_assert_new();

	authdata[32] = 0x01;
	if (a == NULL || fido_assert_set_count(a, 1) != FIDO_OK ||
	    fido_assert_set_rp(a, KGW_RP_ID_DEFAULT) != FIDO_OK ||
	    fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh)) != FIDO_OK ||
	    fido_assert_set_authdata_raw(a, 0, authdata, sizeof(authdata)) !=
	    FIDO_OK || fido_assert_set_sig(a, 0, sig, sizeof(sig)) != FIDO_OK)
		abort();
	(void)fido_assert_verify(a, 0, cose, pk);
	fido_assert_free(&a);
}

/*
 * OpenSSL sets up its RNG, error queue and algorithms on first use, and
 * a first use that runs out of memory leaves it broken for the process
 * (a NULL lock, found by this harness): that is OpenSSL's, so all of it
 * is done here, before any failure is injected.
 */
static void
warm_up(void)
{
	unsigned char buf[16];
	es256_pk_t *es = es256_pk_new();
	eddsa_pk_t *ed = eddsa_pk_new();

	ERR_clear_error();
	if (kgw_random(buf, sizeof(buf)) != KGW_OK || es == NULL ||
	    ed == NULL || es256_pk_from_ptr(es, es256_pk, sizeof(es256_pk)) !=
	    FIDO_OK || eddsa_pk_from_ptr(ed, es256_pk, 32) != FIDO_OK)
		abort();
	warm_verify(COSE_ES256, es);
	warm_verify(COSE_EDDSA, ed);
	es256_pk_free(&es);
	eddsa_pk_free(&ed);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fault_alloc_setup();
	fido_init(0);
	warm_up();
	return 0;
}

static int
run(unsigned mode)
{
	const struct kgw_fido2_ui ui = { NULL, NULL, NULL, ui_pin };
	struct kgw_fido2_opts o = { KGW_RP_ID_DEFAULT, (mode & M_UV) != 0, 0, 50,
	    NULL };
	static struct kgw_fido2_cred cred;
	static struct kgw_fido2_new made;
	struct kgw_fido2_verdict v;
	int alg = mode & M_EDDSA ? KGW_FIDO2_EDDSA : KGW_FIDO2_ES256;

	cred.alg = alg;
	cred.pk_len = alg == KGW_FIDO2_ES256 ? 64 : 32;
	memcpy(cred.pk, es256_pk, cred.pk_len);
	cred.id_len = 16;
	memset(cred.id, 0x42, cred.id_len);
	if (mode & M_MAKE)
		return kgw_fido2_make(&quiet, &o, "alice", alg, &cred, 1, &ui,
		    &made);
	if (mode & M_DECOY) {
		kgw_fido2_decoy(&quiet, &o, &ui);
		return KGW_ERR_NO_KEY;
	}
	return kgw_fido2_assert(&quiet, &o, &cred, 1, &ui, &v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long nth = fault_alloc_take(&data, &size);
	unsigned mode;
	int r;

	if (size < 2)
		return 0;
	mode = data[0];
	io.caps = data[1];
	io.in = data + 2;
	io.left = size - 2;
	io.out_len = io.out_pos = 0;
	/* Enrolment with two keys waits for a touch: one key there. */
	ndevs = (mode & M_TWO) && !(mode & M_MAKE) ? 2 : 1;
	fault_alloc_arm(nth);
	r = run(mode);
	(void)fault_alloc_disarm();
	if (getenv("FUZZ_TRACE") != NULL)	/* README: reproducing */
		fprintf(stderr, "fuzz_fido2_dev: mode=0x%02x verdict %s\n",
		    mode, kgw_reason(r));
	if (r == KGW_OK)
		abort();	/* nothing here could sign the fresh challenge */
	return 0;
}
