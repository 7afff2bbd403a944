/*
 * Numeric network addresses and CIDR ranges, IPv4 and IPv6 alike. IPv4 is
 * kept as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so "10.0.0.1" and
 * "::ffff:10.0.0.1" are one address and one matching rule serves both.
 * Nothing here resolves a name: text that is not a numeric address is
 * rejected.
 */
#ifndef KGW_NET_H
#define KGW_NET_H

#include <stdbool.h>
#include <stddef.h>

#define KGW_ADDR_TEXT_MAX 64	/* longest range text we accept, NUL included */

struct kgw_addr {
	unsigned char b[16];	/* network byte order, IPv4 mapped */
};

struct kgw_cidr {
	struct kgw_addr addr;	/* host bits are zero */
	unsigned prefix;	/* 0..128, in the mapped form */
	bool v4;		/* written as IPv4: prints as such */
};

/*
 * Parses a numeric IPv4 or IPv6 address (no host names, no scope ids).
 * KGW_OK or KGW_ERR_INVALID.
 */
int kgw_addr_parse(const char *text, struct kgw_addr *addr);

/*
 * Parses "ADDR/LEN" or a bare ADDR (a single host). LEN is 0..32 for IPv4
 * and 0..128 for IPv6; set host bits are an error (a likely typo), so is
 * anything else. KGW_OK or KGW_ERR_INVALID.
 */
int kgw_cidr_parse(const char *text, struct kgw_cidr *cidr);

bool kgw_cidr_contains(const struct kgw_cidr *cidr,
    const struct kgw_addr *addr);

/* True when the two ranges share at least one address. */
bool kgw_cidr_overlap(const struct kgw_cidr *a, const struct kgw_cidr *b);

/* Writes the range as it is conventionally written ("10.0.0.0/8"). */
int kgw_cidr_format(const struct kgw_cidr *cidr, char *out, size_t outlen);

/*
 * True for an address that says nothing about which network a host is
 * on: unspecified, loopback (127.0.0.0/8, ::1), link-local
 * (169.254.0.0/16, fe80::/10). Every host has them, or could.
 */
bool kgw_addr_is_local(const struct kgw_addr *addr);

/* Writes an address (IPv4 in dotted form). */
int kgw_addr_format(const struct kgw_addr *addr, char *out, size_t outlen);

#endif
