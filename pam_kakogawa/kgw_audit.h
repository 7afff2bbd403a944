/*
 * The audit trail: one record for every authentication decision and every
 * helpdesk change, chained by an HMAC over the record and the previous
 * record's MAC, keyed from the key file (not the store), so that whoever
 * can only read or write the database can neither forge a record nor
 * remove, edit or reorder one unseen. This file is the record and its
 * MAC; the store keeps them (kgw_store.h), verify walks them (audit.c).
 */
#ifndef KGW_AUDIT_H
#define KGW_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kgw_crypto.h"

#define KGW_AUDIT_MAC_LEN 32	/* HMAC-SHA256 */
#define KGW_AUDIT_FIELD_MAX 128	/* bytes of one text field, NUL aside */
#define KGW_AUDIT_DETAIL_MAX 600

/* The text fields of a record, in their fixed order (the MAC's too). */
enum kgw_audit_field {
	KGW_AF_KIND,		/* "auth", "account", "change" */
	KGW_AF_HOST,		/* the host that decided or changed */
	KGW_AF_HOST_ZONE,
	KGW_AF_SERVICE,		/* PAM service; "kakogawa-enroll" */
	KGW_AF_USER,
	KGW_AF_RHOST,
	KGW_AF_SRC_ZONE,
	KGW_AF_TTY,
	KGW_AF_FACTORS,		/* presented: "password,totp" */
	KGW_AF_RESULT,		/* "allow", "deny"; "ok" for a change */
	KGW_AF_REASON,		/* the log's reason= token */
	KGW_AF_RULE,		/* the zone rule */
	KGW_AF_OPERATOR,	/* who made a change */
	KGW_AF_ACTION,		/* what change: "add", "revoke:totp", ... */
	KGW_AF_NFIELDS
};

struct kgw_audit_rec {
	int64_t seq;		/* 1, 2, 3...: its place in the chain */
	int64_t time;		/* Unix time, UTC */
	char field[KGW_AF_NFIELDS][KGW_AUDIT_FIELD_MAX + 1];
	char detail[KGW_AUDIT_DETAIL_MAX + 1];	/* a change's detail */
	unsigned char mac[KGW_AUDIT_MAC_LEN];
};

/* The chain's end, as the store keeps it beside the records. */
struct kgw_audit_head {
	int64_t base_seq;	/* the last record archived away (0: none) */
	unsigned char base_mac[KGW_AUDIT_MAC_LEN];	/* its MAC */
	int64_t seq;		/* the last record written (base_seq: none) */
	unsigned char mac[KGW_AUDIT_MAC_LEN];	/* its MAC */
	unsigned char head_mac[KGW_AUDIT_MAC_LEN]; /* over all the above */
};

/* The field's column and JSON/CSV name ("host_zone"). */
const char *kgw_audit_field_name(enum kgw_audit_field f);

/*
 * Sets a text field: copied, cut at KGW_AUDIT_FIELD_MAX bytes, with bytes
 * that could steer a terminal or break a line replaced by '?'. NULL is "".
 */
void kgw_audit_set(struct kgw_audit_rec *r, enum kgw_audit_field f,
    const char *value);
void kgw_audit_set_detail(struct kgw_audit_rec *r, const char *value);

/*
 * The record's MAC: HMAC-SHA256 under the key file's MAC half, over a
 * version label, prev (the previous record's MAC, zeros for the first)
 * and every field, each length-prefixed. KGW_OK or KGW_ERR_CRYPTO.
 */
int kgw_audit_mac(const struct kgw_key *key, const unsigned char *prev,
    const struct kgw_audit_rec *r, unsigned char out[KGW_AUDIT_MAC_LEN]);

/* The head's own MAC, over its four other fields. */
int kgw_audit_head_mac(const struct kgw_key *key,
    const struct kgw_audit_head *h, unsigned char out[KGW_AUDIT_MAC_LEN]);

/* Constant-time comparison of two MACs. */
bool kgw_audit_mac_equal(const unsigned char *a, const unsigned char *b);

/* What audit verify found (audit_verify.c). */
struct kgw_audit_verdict {
	bool intact;
	int64_t records;	/* records checked */
	int64_t first_seq;	/* the first and last of them */
	int64_t last_seq;
	int64_t bad_seq;	/* where it first went wrong (0: the head) */
	char why[160];		/* what went wrong there */
};

struct kgw_store;

/*
 * Walks the whole trail in the store: every record's MAC under key, the
 * sequence without a gap from the head's base, the head's own MAC, and
 * the head naming the last record. KGW_OK with v->intact telling; an
 * error only when the store could not be read.
 */
int kgw_audit_verify(struct kgw_store *s, const struct kgw_key *key,
    struct kgw_audit_verdict *v);

#endif
