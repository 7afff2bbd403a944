/* TOTP (RFC 6238) through liboath, with constant-time comparison. */
#ifndef KGW_TOTP_H
#define KGW_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define KGW_TOTP_STEP 30		/* seconds per time step */
#define KGW_TOTP_SECRET_MIN 16		/* bytes; RFC 4226 asks for 128 bits */
#define KGW_TOTP_SECRET_MAX 64
#define KGW_TOTP_WINDOW_MAX 10		/* steps back the config may allow */
#define KGW_TOTP_DRIFT_MAX 10		/* totp_max_drift's bound, in steps */
#define KGW_TOTP_RESYNC_STEPS 2880	/* resync searches a day either way */
#define KGW_TOTP_CODE_MAX 8		/* digits */
#define KGW_TOTP_INPUT_MAX 64		/* bytes of a typed code, spaces included */

enum kgw_totp_alg {
	KGW_TOTP_SHA1 = 0,
	KGW_TOTP_SHA256 = 1,
	KGW_TOTP_SHA512 = 2,
};

struct kgw_totp {
	unsigned char secret[KGW_TOTP_SECRET_MAX];
	size_t secret_len;
	enum kgw_totp_alg alg;
	unsigned digits;	/* 6 or 8 */
};

/* Initialises liboath (refcounted); pair each call with kgw_totp_done. */
int kgw_totp_init(void);
void kgw_totp_done(void);

/* Wipes the secret. */
void kgw_totp_wipe(struct kgw_totp *t);

/* The step number of a Unix time. */
int64_t kgw_totp_step(time_t now);

/* The code of one step, as digits plus a NUL. */
int kgw_totp_code(const struct kgw_totp *t, int64_t step,
    char out[KGW_TOTP_CODE_MAX + 1]);

/*
 * Turns what a person typed into exactly t->digits digits: spaces are
 * dropped, anything else that is not a digit, or a wrong length, is
 * KGW_ERR_INVALID.
 */
int kgw_totp_normalize(const char *typed, unsigned digits,
    char out[KGW_TOTP_CODE_MAX + 1]);

/*
 * Checks a normalised code against steps now-window .. now, keeping only
 * steps greater than last_step (-1: none used yet). Every candidate is
 * computed and compared in constant time. On a match *matched is the step
 * and KGW_OK is returned; KGW_ERR_REPLAY when the code matched only an
 * already used step; KGW_ERR_DENIED otherwise.
 */
int kgw_totp_verify(const struct kgw_totp *t, const char *code, time_t now,
    unsigned window, int64_t last_step, int64_t *matched);

/*
 * Where a token's codes are looked for (RFC 6238, section 6). Its clock
 * may run off the host's: a login learns the offset, in steps, of the
 * code it accepted (drift), and the next one is centred on it; the
 * offset is bounded to max_drift steps either side of base, the offset
 * `kakogawa-enroll resync` found (0 for a token never resynchronised).
 */
struct kgw_totp_range {
	unsigned window;	/* steps back, for the time a code takes to type */
	unsigned max_drift;	/* steps the token may drift, either way */
	int64_t base;		/* the offset the drift is bounded around */
	int64_t drift;		/* the offset learned at the last login */
	int64_t last_step;	/* the last step used; -1: none */
};

/*
 * kgw_totp_verify for a token that drifts: a step is accepted when it is
 * within window + max_drift steps back and max_drift ahead of both the
 * current step moved by base (the bound) and by drift (the centre), and
 * greater than last_step; the match nearest the centre wins. Every step
 * of the bound is computed and compared, whatever the centre. The same
 * results as kgw_totp_verify.
 */
int kgw_totp_check(const struct kgw_totp *t, const char *code, time_t now,
    const struct kgw_totp_range *range, int64_t *matched);

/* The offset to remember after step matched at now: within the bound. */
int64_t kgw_totp_learn(const struct kgw_totp_range *range, int64_t matched,
    time_t now);

/*
 * Resynchronisation: the step of code2 where code1 is the code of the
 * step before it, searched within span steps of now either way; the
 * pair nearest now wins. KGW_ERR_DENIED when no two consecutive steps
 * give them.
 */
int kgw_totp_find_pair(const struct kgw_totp *t, const char *code1,
    const char *code2, time_t now, unsigned span, int64_t *second);

int kgw_totp_alg_parse(const char *name, enum kgw_totp_alg *alg);
const char *kgw_totp_alg_name(enum kgw_totp_alg alg);	/* "SHA1" ... */

/* Base32 (RFC 4648, as authenticator apps show it), through liboath. */
int kgw_base32_encode(const unsigned char *in, size_t len, char *out,
    size_t outlen);
int kgw_base32_decode(const char *in, unsigned char *out, size_t outcap,
    size_t *outlen);

/*
 * The purpose a TOTP secret is sealed under (kgw_seal): "totp:SHA1:6".
 * Algorithm and digits are bound in so they cannot be weakened in the store.
 */
#define KGW_TOTP_PURPOSE_MAX 32
int kgw_totp_purpose(enum kgw_totp_alg alg, unsigned digits, char *out,
    size_t outlen);

/* otpauth://totp/ISSUER:USER?secret=...&issuer=...&algorithm=...&digits=...&period=30 */
int kgw_totp_uri(const struct kgw_totp *t, const char *issuer,
    const char *user, char *out, size_t outlen);

#endif
