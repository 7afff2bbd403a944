/*
 * TOTP (RFC 6238) codes come from liboath. Checking is ours only because
 * liboath's validate functions compare with strcmp: we generate each
 * candidate with liboath and compare in constant time.
 */
#include <config.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <liboath/oath.h>
#include <openssl/crypto.h>

#include "kgw_err.h"
#include "kgw_totp.h"

static const struct {
	const char *name;
	int oath_flag;
} algs[] = {
	[KGW_TOTP_SHA1] = { "SHA1", 0 },
	[KGW_TOTP_SHA256] = { "SHA256", OATH_TOTP_HMAC_SHA256 },
	[KGW_TOTP_SHA512] = { "SHA512", OATH_TOTP_HMAC_SHA512 },
};
#define NALGS (sizeof(algs) / sizeof(algs[0]))

int
kgw_totp_init(void)
{
	return oath_init() == OATH_OK ? KGW_OK : KGW_ERR_INTERNAL;
}

void
kgw_totp_done(void)
{
	(void)oath_done();
}

void
kgw_totp_wipe(struct kgw_totp *t)
{
	if (t != NULL)
		OPENSSL_cleanse(t, sizeof(*t));
}

int64_t
kgw_totp_step(time_t now)
{
	return now < 0 ? -1 : (int64_t)now / KGW_TOTP_STEP;
}

const char *
kgw_totp_alg_name(enum kgw_totp_alg alg)
{
	if ((unsigned)alg >= NALGS)
		return NULL;
	return algs[alg].name;
}

int
kgw_totp_alg_parse(const char *name, enum kgw_totp_alg *alg)
{
	size_t i;

	if (name == NULL)
		return KGW_ERR_INVALID;
	for (i = 0; i < NALGS; i++) {
		if (strcasecmp(name, algs[i].name) == 0) {
			*alg = (enum kgw_totp_alg)i;
			return KGW_OK;
		}
	}
	return KGW_ERR_INVALID;
}

static bool
totp_ok(const struct kgw_totp *t)
{
	return t != NULL && (unsigned)t->alg < NALGS &&
	    (t->digits == 6 || t->digits == 8) &&
	    t->secret_len >= 1 && t->secret_len <= KGW_TOTP_SECRET_MAX;
}

int
kgw_totp_purpose(enum kgw_totp_alg alg, unsigned digits, char *out,
    size_t outlen)
{
	int n;

	if ((unsigned)alg >= NALGS || (digits != 6 && digits != 8) ||
	    out == NULL)
		return KGW_ERR_INVALID;
	n = snprintf(out, outlen, "totp:%s:%u", algs[alg].name, digits);
	if (n < 0 || (size_t)n >= outlen)
		return KGW_ERR_INVALID;
	return KGW_OK;
}

int
kgw_totp_code(const struct kgw_totp *t, int64_t step,
    char out[KGW_TOTP_CODE_MAX + 1])
{
	time_t at;

	if (!totp_ok(t) || step < 0 || step > INT64_MAX / KGW_TOTP_STEP)
		return KGW_ERR_INVALID;
	at = (time_t)(step * KGW_TOTP_STEP);
	if (oath_totp_generate2((const char *)t->secret, t->secret_len, at,
	    KGW_TOTP_STEP, 0, t->digits, algs[t->alg].oath_flag,
	    out) != OATH_OK)
		return KGW_ERR_CRYPTO;
	return KGW_OK;
}

int
kgw_totp_normalize(const char *typed, unsigned digits,
    char out[KGW_TOTP_CODE_MAX + 1])
{
	size_t i, n = 0, len;

	if (typed == NULL || (digits != 6 && digits != 8))
		return KGW_ERR_INVALID;
	len = strnlen(typed, KGW_TOTP_INPUT_MAX + 1);
	if (len > KGW_TOTP_INPUT_MAX)
		return KGW_ERR_INVALID;
	for (i = 0; i < len; i++) {
		if (typed[i] == ' ')
			continue;	/* apps show "123 456" */
		if (typed[i] < '0' || typed[i] > '9' || n >= digits)
			return KGW_ERR_INVALID;
		out[n++] = typed[i];
	}
	if (n != digits)
		return KGW_ERR_INVALID;
	out[n] = '\0';
	return KGW_OK;
}

int
kgw_totp_verify(const struct kgw_totp *t, const char *code, time_t now,
    unsigned window, int64_t last_step, int64_t *matched)
{
	const struct kgw_totp_range range = { window, 0, 0, 0, last_step };

	return kgw_totp_check(t, code, now, &range, matched);
}

static int64_t
clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int64_t
distance(int64_t a, int64_t b)
{
	return a > b ? a - b : b - a;
}

static bool
range_ok(const struct kgw_totp_range *r)
{
	return r != NULL && r->window <= KGW_TOTP_WINDOW_MAX &&
	    r->max_drift <= KGW_TOTP_DRIFT_MAX &&
	    r->base >= -KGW_TOTP_RESYNC_STEPS &&
	    r->base <= KGW_TOTP_RESYNC_STEPS;
}

/*
 * The bound is fixed by base, the centre moves with what logins learn:
 * a token whose clock walks off is followed, never further than
 * max_drift from where the helpdesk last put it, and the steps on the
 * far side of the centre are refused once it has moved.
 */
int
kgw_totp_check(const struct kgw_totp *t, const char *code, time_t now,
    const struct kgw_totp_range *r, int64_t *matched)
{
	char cand[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(now), m, back, centre, s, lo, hi;
	int64_t found = -1, best = INT64_MAX;
	bool replay = false;
	int rc = KGW_ERR_DENIED;

	if (!totp_ok(t) || code == NULL || strlen(code) != t->digits ||
	    !range_ok(r) || cur < 0 || matched == NULL)
		return KGW_ERR_INVALID;
	m = (int64_t)r->max_drift;
	back = m + (int64_t)r->window;
	centre = cur + clamp(r->drift, r->base - m, r->base + m);
	lo = cur + r->base - back;
	hi = cur + r->base + m;
	/* Newest first: of two matches as near the centre, the newer. */
	for (s = hi; s >= lo && s >= 0; s--) {
		bool eq, near = s >= centre - back && s <= centre + m;

		if (kgw_totp_code(t, s, cand) != KGW_OK) {
			rc = KGW_ERR_CRYPTO;
			goto out;
		}
		eq = CRYPTO_memcmp(cand, code, t->digits) == 0;
		if (eq && near && s > r->last_step &&
		    distance(s, centre) < best) {
			found = s;
			best = distance(s, centre);
		} else if (eq && near && s <= r->last_step) {
			replay = true;
		}
	}
	if (found >= 0) {
		*matched = found;
		rc = KGW_OK;
	} else if (replay) {
		rc = KGW_ERR_REPLAY;
	}
out:
	OPENSSL_cleanse(cand, sizeof(cand));
	return rc;
}

int64_t
kgw_totp_learn(const struct kgw_totp_range *r, int64_t matched, time_t now)
{
	int64_t m = (int64_t)r->max_drift;

	return clamp(matched - kgw_totp_step(now), r->base - m, r->base + m);
}

int
kgw_totp_find_pair(const struct kgw_totp *t, const char *code1,
    const char *code2, time_t now, unsigned span, int64_t *second)
{
	char cand[KGW_TOTP_CODE_MAX + 1];
	int64_t cur = kgw_totp_step(now), s, found = -1;
	bool prev_eq = false;
	int rc = KGW_ERR_DENIED;

	if (!totp_ok(t) || code1 == NULL || code2 == NULL ||
	    strlen(code1) != t->digits || strlen(code2) != t->digits ||
	    span > KGW_TOTP_RESYNC_STEPS || cur < 0 || second == NULL)
		return KGW_ERR_INVALID;
	/* s is the second step; the first loop only reads code1's. */
	for (s = cur - (int64_t)span - 1; s <= cur + (int64_t)span; s++) {
		bool eq;

		if (s < 0)
			continue;
		if (kgw_totp_code(t, s, cand) != KGW_OK) {
			rc = KGW_ERR_CRYPTO;
			goto out;
		}
		eq = CRYPTO_memcmp(cand, code2, t->digits) == 0;
		if (prev_eq && eq &&
		    (found < 0 || distance(s, cur) < distance(found, cur)))
			found = s;
		prev_eq = CRYPTO_memcmp(cand, code1, t->digits) == 0;
	}
	if (found >= 0) {
		*second = found;
		rc = KGW_OK;
	}
out:
	OPENSSL_cleanse(cand, sizeof(cand));
	return rc;
}

int
kgw_base32_encode(const unsigned char *in, size_t len, char *out,
    size_t outlen)
{
	char *enc = NULL;
	size_t n = 0;
	int r = KGW_ERR_INVALID;

	if (in == NULL || out == NULL || len == 0)
		return KGW_ERR_INVALID;
	if (oath_base32_encode((const char *)in, len, &enc, &n) != OATH_OK)
		return KGW_ERR_NOMEM;
	while (n > 0 && enc[n - 1] == '=')
		n--;	/* apps want the secret unpadded */
	if (n < outlen) {
		memcpy(out, enc, n);
		out[n] = '\0';
		r = KGW_OK;
	}
	OPENSSL_cleanse(enc, strlen(enc));
	free(enc);
	return r;
}

int
kgw_base32_decode(const char *in, unsigned char *out, size_t outcap,
    size_t *outlen)
{
	char clean[2 * KGW_TOTP_SECRET_MAX + 16];
	char *dec = NULL;
	size_t i, n = 0, declen = 0;
	int r = KGW_ERR_INVALID;

	if (in == NULL || out == NULL || outlen == NULL)
		return KGW_ERR_INVALID;
	/* People paste secrets grouped in fours and in either case. */
	for (i = 0; in[i] != '\0'; i++) {
		if (in[i] == ' ' || in[i] == '-')
			continue;
		if (n + 1 >= sizeof(clean))
			goto out;
		clean[n++] = (char)toupper((unsigned char)in[i]);
	}
	while (n > 0 && clean[n - 1] == '=')
		n--;
	clean[n] = '\0';
	if (n == 0 || oath_base32_decode(clean, n, &dec, &declen) != OATH_OK)
		goto out;
	if (declen > 0 && declen <= outcap) {
		memcpy(out, dec, declen);
		*outlen = declen;
		r = KGW_OK;
	}
out:
	if (dec != NULL) {
		OPENSSL_cleanse(dec, declen);
		free(dec);
	}
	OPENSSL_cleanse(clean, sizeof(clean));
	return r;
}

/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
static int
append_escaped(char *out, size_t outlen, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~';

		if (*pos + (plain ? 1 : 3) >= outlen)
			return KGW_ERR_INVALID;
		if (plain) {
			out[(*pos)++] = (char)c;
		} else {
			out[(*pos)++] = '%';
			out[(*pos)++] = hex[c >> 4];
			out[(*pos)++] = hex[c & 15];
		}
	}
	out[*pos] = '\0';
	return KGW_OK;
}

static int
append_raw(char *out, size_t outlen, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n >= outlen)
		return KGW_ERR_INVALID;
	memcpy(out + *pos, s, n + 1);
	*pos += n;
	return KGW_OK;
}

int
kgw_totp_uri(const struct kgw_totp *t, const char *issuer, const char *user,
    char *out, size_t outlen)
{
	char b32[2 * KGW_TOTP_SECRET_MAX], tail[64];
	size_t pos = 0;
	int r;

	if (!totp_ok(t) || issuer == NULL || user == NULL || out == NULL)
		return KGW_ERR_INVALID;
	if ((r = kgw_base32_encode(t->secret, t->secret_len, b32,
	    sizeof(b32))) != KGW_OK)
		return r;
	(void)snprintf(tail, sizeof(tail), "&algorithm=%s&digits=%u&period=%d",
	    algs[t->alg].name, t->digits, KGW_TOTP_STEP);
	if ((r = append_raw(out, outlen, &pos, "otpauth://totp/")) != KGW_OK ||
	    (r = append_escaped(out, outlen, &pos, issuer)) != KGW_OK ||
	    (r = append_raw(out, outlen, &pos, ":")) != KGW_OK ||
	    (r = append_escaped(out, outlen, &pos, user)) != KGW_OK ||
	    (r = append_raw(out, outlen, &pos, "?secret=")) != KGW_OK ||
	    (r = append_raw(out, outlen, &pos, b32)) != KGW_OK ||
	    (r = append_raw(out, outlen, &pos, "&issuer=")) != KGW_OK ||
	    (r = append_escaped(out, outlen, &pos, issuer)) != KGW_OK ||
	    (r = append_raw(out, outlen, &pos, tail)) != KGW_OK)
		OPENSSL_cleanse(out, outlen);
	OPENSSL_cleanse(b32, sizeof(b32));
	return r;
}
