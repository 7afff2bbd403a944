/*
 * Audit records and their MACs. The MAC covers an unambiguous encoding of
 * the record (every field length-prefixed, numbers fixed-width), so that
 * no two different records, nor a field shifted into its neighbour, share
 * one; and the previous record's MAC, so that the records form a chain.
 */
#include <config.h>

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "kgw_audit.h"
#include "kgw_err.h"

#define MAC_KEY(key) ((key)->bytes + KGW_KEY_PART)
#define RECORD_LABEL "kakogawa audit record v1"
#define HEAD_LABEL "kakogawa audit head v1"
/*
 * The encoding's size: the label (length-prefixed, no NUL), prev, two
 * numbers, the fields and the detail (each length-prefixed).
 */
#define ENCODED_MAX (4 + sizeof(RECORD_LABEL) - 1 + KGW_AUDIT_MAC_LEN + 16 + \
	((size_t)KGW_AF_NFIELDS + 1) * 4 + \
	(size_t)KGW_AF_NFIELDS * KGW_AUDIT_FIELD_MAX + KGW_AUDIT_DETAIL_MAX)

static const char *const field_names[KGW_AF_NFIELDS] = {
	"kind", "host", "host_zone", "service", "user", "rhost", "src_zone",
	"tty", "factors", "result", "reason", "rule", "operator", "action",
};

const char *
kgw_audit_field_name(enum kgw_audit_field f)
{
	return (unsigned)f < KGW_AF_NFIELDS ? field_names[f] : NULL;
}

/* A copy fit for a record: bounded, printable, one line. */
static void
copy_clean(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c < 0x20 || c == 0x7f)
			dst[i] = '?';
		else
			dst[i] = src[i];
	}
	dst[i] = '\0';
}

void
kgw_audit_set(struct kgw_audit_rec *r, enum kgw_audit_field f,
    const char *value)
{
	if ((unsigned)f < KGW_AF_NFIELDS)
		copy_clean(r->field[f], sizeof(r->field[f]), value);
}

void
kgw_audit_set_detail(struct kgw_audit_rec *r, const char *value)
{
	copy_clean(r->detail, sizeof(r->detail), value);
}

struct enc {
	unsigned char buf[ENCODED_MAX];
	size_t len;
	bool overflow;		/* a field past its bound: no MAC is made */
};

static void
put_bytes(struct enc *e, const void *p, size_t n)
{
	if (e->overflow || n > sizeof(e->buf) - e->len) {
		e->overflow = true;
		return;
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

static void
put_u64(struct enc *e, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> ((7 - i) * 8));
	put_bytes(e, b, sizeof(b));
}

/* A text field: its length (4 bytes, big-endian), then its bytes. */
static void
put_text(struct enc *e, const char *s)
{
	size_t n = strlen(s);
	unsigned char len[4] = {
		(unsigned char)(n >> 24), (unsigned char)(n >> 16),
		(unsigned char)(n >> 8), (unsigned char)n
	};

	put_bytes(e, len, sizeof(len));
	put_bytes(e, s, n);
}

static int
hmac(const struct kgw_key *key, const struct enc *e, unsigned char *out)
{
	unsigned int len = 0;

	if (e->overflow)
		return KGW_ERR_CRYPTO;
	if (HMAC(EVP_sha256(), MAC_KEY(key), KGW_KEY_PART, e->buf, e->len,
	    out, &len) == NULL || len != KGW_AUDIT_MAC_LEN)
		return KGW_ERR_CRYPTO;
	return KGW_OK;
}

int
kgw_audit_mac(const struct kgw_key *key, const unsigned char *prev,
    const struct kgw_audit_rec *r, unsigned char out[KGW_AUDIT_MAC_LEN])
{
	struct enc e;
	int i, rc;

	e.len = 0;
	e.overflow = false;
	put_text(&e, RECORD_LABEL);
	put_bytes(&e, prev, KGW_AUDIT_MAC_LEN);
	put_u64(&e, (uint64_t)r->seq);
	put_u64(&e, (uint64_t)r->time);
	for (i = 0; i < KGW_AF_NFIELDS; i++)
		put_text(&e, r->field[i]);
	put_text(&e, r->detail);
	rc = hmac(key, &e, out);
	OPENSSL_cleanse(&e, sizeof(e));
	return rc;
}

int
kgw_audit_head_mac(const struct kgw_key *key, const struct kgw_audit_head *h,
    unsigned char out[KGW_AUDIT_MAC_LEN])
{
	struct enc e;

	e.len = 0;
	e.overflow = false;
	put_text(&e, HEAD_LABEL);
	put_u64(&e, (uint64_t)h->base_seq);
	put_bytes(&e, h->base_mac, KGW_AUDIT_MAC_LEN);
	put_u64(&e, (uint64_t)h->seq);
	put_bytes(&e, h->mac, KGW_AUDIT_MAC_LEN);
	return hmac(key, &e, out);
}

bool
kgw_audit_mac_equal(const unsigned char *a, const unsigned char *b)
{
	return CRYPTO_memcmp(a, b, KGW_AUDIT_MAC_LEN) == 0;
}
