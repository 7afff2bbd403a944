/*
 * libFuzzer harness: a login as the PAM glue drives it (authenticate() in
 * pam_kakogawa.c: begin, site, password, second factor, finish), with the
 * PAM items (user, rhost, tty) and the conversation's replies (password,
 * TOTP code: any bytes, any length) taken from the input, on a throwaway
 * deployment (fuzz_deploy.h). Flags in the input may put in the right
 * password or the right code, so that the paths past them run too.
 * Invariant: a login succeeds only for alice, from a place her zone
 * admits, with exactly her password and a code valid now, and the same
 * code never twice; an injected allocation failure never turns into a
 * success; nothing crashes or leaks.
 */
#include <config.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_alloc.h"
#include "fuzz_deploy.h"
#include "kgw_err.h"
#include "kgw_totp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELD_MAX 70000		/* past PAM_MAX_RESP_SIZE and our limits */

enum {
	F_RHOST = 0x01,		/* PAM_RHOST set (else NULL) */
	F_TTY = 0x02,		/* PAM_TTY set (else NULL) */
	F_USER = 0x04,		/* the user is alice */
	F_PASSWORD = 0x08,	/* the password is hers */
	F_CODE = 0x10,		/* the code is the one of now */
	F_AGAIN = 0x20,		/* then log in again, same answers */
};

static struct fuzz_deploy deploy;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fault_alloc_setup();
	fuzz_deploy_make(&deploy);
	return 0;
}

/* The next field: a 16-bit length, then the bytes, made a C string. */
static char *
field(const uint8_t **data, size_t *size)
{
	size_t n;
	char *s;

	if (*size < 2) {
		n = 0;
	} else {
		n = (size_t)(*data)[0] << 8 | (*data)[1];
		*data += 2;
		*size -= 2;
		if (n > *size)
			n = *size;
	}
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, *data, n);
	s[n] = '\0';	/* a PAM reply ends at its first NUL, as here */
	*data += n;
	*size -= n;
	return s;
}

/* A field the flags fill with the right answer. */
static void
replace(char **field_text, const char *with)
{
	size_t n = strlen(with) + 1;

	free(*field_text);
	if ((*field_text = malloc(n)) == NULL)
		abort();
	memcpy(*field_text, with, n);
}

/* The code typed is one of those valid now (liboath's, not ours). */
static bool
code_valid(const char *typed, time_t now)
{
	char norm[KGW_TOTP_CODE_MAX + 1], code[16];
	int64_t step = (int64_t)now / KGW_TOTP_STEP, s;

	if (kgw_totp_normalize(typed, 6, norm) != KGW_OK)
		return false;
	for (s = step - FUZZ_WINDOW; s <= step + 1; s++) {
		fuzz_deploy_code(&deploy, s, code);
		if (strcmp(code, norm) == 0)
			return true;
	}
	return false;
}

/* rhost is a numeric address in one of alice's zone's networks. */
static bool
rhost_in_zone(const char *rhost)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	unsigned char a[16], *v4 = NULL;

	if (inet_pton(AF_INET, rhost, a) == 1)
		v4 = a;
	else if (inet_pton(AF_INET6, rhost, a) == 1 &&
	    memcmp(a, mapped, sizeof(mapped)) == 0)
		v4 = a + 12;
	else if (inet_pton(AF_INET6, rhost, a) == 1)
		return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d &&
		    a[3] == 0xb8;
	else
		return false;
	return v4[0] == 10 || (v4[0] == 192 && v4[1] == 0 && v4[2] == 2);
}

static void
check_success(const char *user, const char *rhost, const char *tty,
    const char *password, const char *code, time_t now)
{
	if (strcmp(user, FUZZ_USER) != 0 ||
	    strcmp(password, FUZZ_PASSWORD) != 0 || !code_valid(code, now))
		abort();
	/* The site: her zone's networks, or this host's console. */
	if (rhost == NULL ? tty == NULL : !rhost_in_zone(rhost))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long nth = fault_alloc_take(&data, &size);
	unsigned flags = size > 0 ? data[0] : 0;
	char *user, *rhost, *tty, *password, *code, right[16];
	time_t now = time(NULL);
	int r;

	if (size > 0) {
		data++;
		size--;
	}
	user = field(&data, &size);
	rhost = field(&data, &size);
	tty = field(&data, &size);
	password = field(&data, &size);
	code = field(&data, &size);
	if (size > FIELD_MAX)
		goto out;
	fuzz_deploy_code(&deploy, (int64_t)now / KGW_TOTP_STEP, right);
	if (flags & F_USER)
		replace(&user, FUZZ_USER);
	if (flags & F_PASSWORD)
		replace(&password, FUZZ_PASSWORD);
	if (flags & F_CODE)
		replace(&code, right);
	fuzz_deploy_reset(&deploy);
	fault_alloc_arm(nth);
	r = fuzz_deploy_login(&deploy, user, flags & F_RHOST ? rhost : NULL,
	    flags & F_TTY ? tty : NULL, password, code, now);
	(void)fault_alloc_disarm();
	if (getenv("FUZZ_TRACE") != NULL)	/* README: reproducing */
		fprintf(stderr, "fuzz_login: flags=0x%02x verdict %s\n", flags,
		    kgw_reason(r));
	if (r == KGW_OK)
		check_success(user, flags & F_RHOST ? rhost : NULL,
		    flags & F_TTY ? tty : NULL, password, code, now);
	/* A code is good once: the same answers again must be refused. */
	if (r == KGW_OK && (flags & F_AGAIN) &&
	    fuzz_deploy_login(&deploy, user, flags & F_RHOST ? rhost : NULL,
	    flags & F_TTY ? tty : NULL, password, code, now) == KGW_OK)
		abort();
out:
	free(user);
	free(rhost);
	free(tty);
	free(password);
	free(code);
	return 0;
}
