/*
 * Addresses and ranges through inet_pton(3)/inet_ntop(3), the C library's
 * strict numeric parsers: no resolver is ever involved.
 */
#include <config.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "kgw_err.h"
#include "kgw_net.h"
#include "kgw_num.h"
#include "kgw_str.h"

#define V4_MAPPED_PREFIX 96

static const unsigned char v4_mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static bool
is_v4_mapped(const struct kgw_addr *a)
{
	return memcmp(a->b, v4_mapped, sizeof(v4_mapped)) == 0;
}

/* Parses an address; *v4 says whether it was written as IPv4. */
static int
addr_parse(const char *text, struct kgw_addr *addr, bool *v4)
{
	struct in_addr in4;

	memset(addr, 0, sizeof(*addr));
	if (text == NULL || strnlen(text, KGW_ADDR_TEXT_MAX) >=
	    KGW_ADDR_TEXT_MAX)
		return KGW_ERR_INVALID;
	if (inet_pton(AF_INET, text, &in4) == 1) {
		memcpy(addr->b, v4_mapped, sizeof(v4_mapped));
		memcpy(addr->b + sizeof(v4_mapped), &in4, sizeof(in4));
		*v4 = true;
		return KGW_OK;
	}
	*v4 = false;
	if (inet_pton(AF_INET6, text, addr->b) == 1)
		return KGW_OK;
	return KGW_ERR_INVALID;
}

int
kgw_addr_parse(const char *text, struct kgw_addr *addr)
{
	bool v4;

	return addr_parse(text, addr, &v4);
}

/* True when a and b agree on their first bits bits. */
static bool
prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return ((a[whole] ^ b[whole]) & mask) == 0;
}

static bool
host_bits_zero(const struct kgw_addr *a, unsigned prefix)
{
	static const struct kgw_addr zero;
	struct kgw_addr masked = *a;
	unsigned i;

	/* Clear the network part; what remains must be zero. */
	for (i = 0; i < prefix; i++)
		masked.b[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
	return memcmp(masked.b, zero.b, sizeof(zero.b)) == 0;
}

int
kgw_cidr_parse(const char *text, struct kgw_cidr *cidr)
{
	char addr[KGW_ADDR_TEXT_MAX];
	const char *slash;
	unsigned long len;
	size_t n;

	memset(cidr, 0, sizeof(*cidr));
	if (text == NULL || (n = strnlen(text, KGW_ADDR_TEXT_MAX)) >=
	    KGW_ADDR_TEXT_MAX)
		return KGW_ERR_INVALID;
	if ((slash = strchr(text, '/')) != NULL)
		n = (size_t)(slash - text);
	memcpy(addr, text, n);
	addr[n] = '\0';
	if (addr_parse(addr, &cidr->addr, &cidr->v4) != KGW_OK)
		return KGW_ERR_INVALID;
	len = cidr->v4 ? 32 : 128;
	if (slash != NULL && kgw_parse_ulong(slash + 1, 0, len, &len) != KGW_OK)
		return KGW_ERR_INVALID;
	cidr->prefix = (unsigned)len + (cidr->v4 ? V4_MAPPED_PREFIX : 0);
	if (!host_bits_zero(&cidr->addr, cidr->prefix))
		return KGW_ERR_INVALID;
	return KGW_OK;
}

bool
kgw_cidr_contains(const struct kgw_cidr *cidr, const struct kgw_addr *addr)
{
	return prefix_equal(cidr->addr.b, addr->b, cidr->prefix);
}

bool
kgw_cidr_overlap(const struct kgw_cidr *a, const struct kgw_cidr *b)
{
	/* Two prefixes overlap exactly when one contains the other. */
	unsigned shorter = a->prefix < b->prefix ? a->prefix : b->prefix;

	return prefix_equal(a->addr.b, b->addr.b, shorter);
}

bool
kgw_addr_is_local(const struct kgw_addr *addr)
{
	static const char *const local[] = {
		"::/128", "::1/128", "fe80::/10",
		"0.0.0.0/32", "127.0.0.0/8", "169.254.0.0/16",
	};
	struct kgw_cidr cidr;
	size_t i;

	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (kgw_cidr_parse(local[i], &cidr) == KGW_OK &&
		    kgw_cidr_contains(&cidr, addr))
			return true;
	return false;
}

int
kgw_addr_format(const struct kgw_addr *addr, char *out, size_t outlen)
{
	char buf[INET6_ADDRSTRLEN];
	const char *p;

	if (is_v4_mapped(addr))
		p = inet_ntop(AF_INET, addr->b + sizeof(v4_mapped), buf,
		    sizeof(buf));
	else
		p = inet_ntop(AF_INET6, addr->b, buf, sizeof(buf));
	if (p == NULL)
		return KGW_ERR_INVALID;
	return kgw_strcopy(out, outlen, buf);
}

int
kgw_cidr_format(const struct kgw_cidr *cidr, char *out, size_t outlen)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned len = cidr->prefix;
	int n;

	if (cidr->v4) {
		if (len < V4_MAPPED_PREFIX)
			return KGW_ERR_INVALID;
		len -= V4_MAPPED_PREFIX;
	}
	if (cidr->v4 ? inet_ntop(AF_INET, cidr->addr.b + sizeof(v4_mapped),
	    buf, sizeof(buf)) == NULL : inet_ntop(AF_INET6, cidr->addr.b, buf,
	    sizeof(buf)) == NULL)
		return KGW_ERR_INVALID;
	n = snprintf(out, outlen, "%s/%u", buf, len);
	if (n < 0 || (size_t)n >= outlen)
		return KGW_ERR_INVALID;
	return KGW_OK;
}
