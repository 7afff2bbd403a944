/*
 * Verifying the audit trail: the chain of MACs from the head's base (the
 * last record archived away, or nothing) to the head (the last record
 * written). A record edited or forged breaks its MAC; one deleted breaks
 * the sequence; one moved breaks its MAC and its neighbours'; records cut
 * off the end leave the head naming one that is not there; and the head
 * cannot be rewritten without the key.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "kgw_audit.h"
#include "kgw_err.h"
#include "kgw_store.h"

struct walk {
	const struct kgw_key *key;
	struct kgw_audit_verdict *v;
	int64_t base;		/* the head's base_seq */
	int64_t expect;		/* the next seq due */
	unsigned char prev[KGW_AUDIT_MAC_LEN];
};

static int
bad(struct kgw_audit_verdict *v, int64_t seq, const char *why)
{
	v->intact = false;
	v->bad_seq = seq;
	(void)snprintf(v->why, sizeof(v->why), "%s", why);
	return 1;	/* stops the walk */
}

static int
walk_one(void *arg, const struct kgw_audit_rec *r)
{
	struct walk *w = arg;
	unsigned char mac[KGW_AUDIT_MAC_LEN];

	if (r->seq <= w->base)
		return bad(w->v, r->seq, "a record older than the archive cut "
		    "is still here, or was put back");
	if (r->seq != w->expect)
		return bad(w->v, w->expect, "this record is missing (deleted)");
	if (kgw_audit_mac(w->key, w->prev, r, mac) != KGW_OK)
		return bad(w->v, r->seq, "cannot compute its MAC");
	if (!kgw_audit_mac_equal(mac, r->mac))
		return bad(w->v, r->seq, "its MAC does not verify (edited, "
		    "moved, or written without the key)");
	memcpy(w->prev, r->mac, sizeof(w->prev));
	if (w->v->records++ == 0)
		w->v->first_seq = r->seq;
	w->v->last_seq = r->seq;
	w->expect++;
	return 0;
}

static int
any_record(void *arg, const struct kgw_audit_rec *r)
{
	*(int64_t *)arg = r->seq;
	return 1;
}

static int
any_user(void *arg, const struct kgw_user_rec *u)
{
	(void)u;
	*(bool *)arg = true;
	return 1;
}

/*
 * No head: a store with no record yet, unless records or people say the
 * trail was there (or that the store predates it: the first change or
 * login starts it).
 */
static int
headless(struct kgw_store *s, struct kgw_audit_verdict *v)
{
	int64_t seq = 0;
	bool people = false;
	int r;

	if ((r = kgw_store_audit_list(s, 0, any_record, &seq)) != KGW_OK &&
	    r != 1)
		return r;
	if (seq != 0) {
		(void)bad(v, 0, "the head row is gone, the records are not");
		return KGW_OK;
	}
	if ((r = kgw_store_list(s, any_user, &people)) != KGW_OK && r != 1)
		return r;
	(void)bad(v, 0, people ? "there is no head nor record though the "
	    "store holds people: the trail was removed, or the store "
	    "predates it (audit start)" : "there is no head: the trail was "
	    "removed, or the store predates it (audit start)");
	return KGW_OK;
}

/* The records, from the head's base to its end. */
static int
walk_all(struct kgw_store *s, const struct kgw_key *key,
    const struct kgw_audit_head *h, struct kgw_audit_verdict *v)
{
	struct walk w;
	int r;

	memset(&w, 0, sizeof(w));
	w.key = key;
	w.v = v;
	w.base = h->base_seq;
	w.expect = h->base_seq + 1;
	memcpy(w.prev, h->base_mac, sizeof(w.prev));
	r = kgw_store_audit_list(s, 0, walk_one, &w);
	if (r == KGW_ERR_TAMPERED) {
		(void)bad(v, w.expect, "this record is malformed");
		return KGW_OK;
	}
	if (r != KGW_OK && r != 1)
		return r;
	if (v->intact && (w.expect - 1 != h->seq ||
	    !kgw_audit_mac_equal(w.prev, h->mac)))
		(void)bad(v, w.expect, "the records from here on are gone "
		    "(the head names a later one)");
	return KGW_OK;
}

int
kgw_audit_verify(struct kgw_store *s, const struct kgw_key *key,
    struct kgw_audit_verdict *v)
{
	unsigned char want[KGW_AUDIT_MAC_LEN];
	struct kgw_audit_head h;
	bool present;
	int r;

	memset(v, 0, sizeof(*v));
	v->intact = true;
	r = kgw_store_audit_head(s, &h, &present);
	if (r == KGW_ERR_TAMPERED) {
		(void)bad(v, 0, "the head row is malformed");
		return KGW_OK;
	}
	if (r != KGW_OK)
		return r;
	if (!present)
		return headless(s, v);
	if (kgw_audit_head_mac(key, &h, want) != KGW_OK ||
	    !kgw_audit_mac_equal(want, h.head_mac)) {
		(void)bad(v, 0, "the head's MAC does not verify (rewritten, or "
		    "another key)");
		return KGW_OK;
	}
	return walk_all(s, key, &h, v);
}
