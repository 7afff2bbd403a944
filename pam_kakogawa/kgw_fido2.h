/*
 * FIDO2 security keys through libfido2: making a credential on a key at
 * the helpdesk (fido2_cred.c) and checking an assertion at login
 * (fido2_assert.c), on whatever keys are plugged in (fido2_dev.c). No PAM
 * and no store here: the caller talks to the person through kgw_fido2_ui
 * and keeps the credentials.
 */
#ifndef KGW_FIDO2_H
#define KGW_FIDO2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kgw_log.h"

#define KGW_FIDO2_ID_MAX 512	/* credential id bytes; keys use 16-255 */
#define KGW_FIDO2_PK_MAX 64	/* ES256 x || y; EdDSA uses 32 */
#define KGW_FIDO2_AAGUID_LEN 16
#define KGW_FIDO2_CREDS_MAX 8	/* keys per person */
#define KGW_FIDO2_LABEL_MAX 32
#define KGW_FIDO2_RP_MAX 128
#define KGW_FIDO2_DEVS_MAX 8	/* keys plugged in at once */
#define KGW_PIN_MAX 64		/* CTAP2: at most 63 bytes, and a NUL */

enum kgw_fido2_alg {
	KGW_FIDO2_ES256 = -7,	/* COSE algorithm numbers */
	KGW_FIDO2_EDDSA = -8,
};

/* What a login needs to check a credential's assertion. */
struct kgw_fido2_cred {
	int alg;			/* enum kgw_fido2_alg */
	unsigned char id[KGW_FIDO2_ID_MAX];
	size_t id_len;
	unsigned char pk[KGW_FIDO2_PK_MAX];
	size_t pk_len;
};

/* Talking to the person, by the caller's means (PAM, a terminal). */
struct kgw_fido2_ui {
	void *arg;
	/* No key is plugged in yet: ask for one (once). */
	void (*insert)(void *arg);
	/* A key is there: ask for a touch (once per key asked). */
	void (*touch)(void *arg);
	/* The key wants its PIN: fill pin, NUL-terminated; KGW_OK or why not. */
	int (*pin)(void *arg, char *pin, size_t pinlen);
};

struct kgw_fido2_opts {
	const char *rp_id;	/* relying party: one for the whole city */
	bool uv;		/* user verification (PIN, fingerprint) needed */
	unsigned insert_ms;	/* how long to wait for a key to be plugged */
	unsigned touch_ms;	/* how long to wait for a touch */
	const char *device;	/* one key's path, or NULL: any key plugged */
};

/* A login's verdict on a good assertion. */
struct kgw_fido2_verdict {
	size_t cred;		/* index of the credential that signed */
	uint32_t sign_count;	/* the key's signature counter (0: none kept) */
	bool uv;		/* the key verified the user */
};

/*
 * Asks a key for an assertion over a fresh random challenge, allowing the
 * ncreds credentials, user presence always and verification when o->uv,
 * and checks it (signature, relying party, flags). KGW_OK with v filled;
 * KGW_ERR_NO_KEY (no key plugged in time, or none holds a credential),
 * KGW_ERR_TIMEOUT (no touch in time), KGW_ERR_DENIED (a wrong PIN, a bad
 * signature, presence or verification missing), KGW_ERR_NO_UV (the key
 * cannot verify the user), KGW_ERR_FIDO2 (the key failed or answered
 * nonsense). Every refusal is logged with why.
 */
int kgw_fido2_assert(const struct kgw_log *log, const struct kgw_fido2_opts *o,
    const struct kgw_fido2_cred *creds, size_t ncreds,
    const struct kgw_fido2_ui *ui, struct kgw_fido2_verdict *v);

/*
 * The same conversation as kgw_fido2_assert, for someone with no key to
 * ask for: the key plugged in is asked about a credential that exists
 * nowhere (a PIN asked, if the key would ask one), so that the prompts do
 * not tell who has a key enrolled.
 */
void kgw_fido2_decoy(const struct kgw_log *log, const struct kgw_fido2_opts *o,
    const struct kgw_fido2_ui *ui);

/* A credential made at enrolment. */
struct kgw_fido2_new {
	struct kgw_fido2_cred cred;
	unsigned char aaguid[KGW_FIDO2_AAGUID_LEN];
	uint32_t sign_count;
	bool attested;		/* full attestation (x5c) verified, not self */
	char device[128];	/* the key's product name, for the helpdesk */
};

/*
 * Makes a credential for user on one key (o->device, the only key plugged
 * in, or the first of several to be touched), refusing the exclude list,
 * and verifies its attestation. KGW_OK with out filled; KGW_ERR_EXISTS (the
 * key holds an excluded credential), KGW_ERR_ATTESTATION, or the errors of
 * kgw_fido2_assert.
 */
int kgw_fido2_make(const struct kgw_log *log, const struct kgw_fido2_opts *o,
    const char *user, int alg, const struct kgw_fido2_cred *exclude,
    size_t nexclude, const struct kgw_fido2_ui *ui, struct kgw_fido2_new *out);

/* A key's label: [A-Za-z0-9_.-], 1 to KGW_FIDO2_LABEL_MAX bytes. */
bool kgw_fido2_label_valid(const char *label);

/* The algorithm's name ("es256", "eddsa"), or NULL. */
const char *kgw_fido2_alg_name(int alg);

/* Private to the fido2_*.c files: finding and opening keys. */
struct kgw_fido2_devs {
	char path[KGW_FIDO2_DEVS_MAX][256];
	char product[KGW_FIDO2_DEVS_MAX][128];
	size_t n;
};
int kgw_fido2_devs_wait(const struct kgw_log *log,
    const struct kgw_fido2_opts *o, const struct kgw_fido2_ui *ui,
    struct kgw_fido2_devs *d);

#endif
