/*
 * Modification lists for ldap_modify_ext_s: fixed arrays, no allocation,
 * the values pointing at the caller's buffers (or at numbers kept here).
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store_ldap.h"

char *
kgw_ld_unconst(const void *p)
{
	/* libldap's structures take char *, and never write through them. */
	union {
		const void *c;
		char *m;
	} u;

	u.c = p;
	return u.m;
}

void
kgw_lm_init(struct kgw_lmods *m)
{
	memset(m, 0, sizeof(*m));
}

/* Ends the value list of the modification being built. */
static void
close_values(struct kgw_lmods *m)
{
	if (m->nmod == 0)
		return;
	if (m->nvlist >= sizeof(m->vlist) / sizeof(m->vlist[0])) {
		m->overflow = true;
		return;
	}
	m->vlist[m->nvlist++] = NULL;
}

void
kgw_lm_op(struct kgw_lmods *m, int op, const char *attr)
{
	LDAPMod *mod;

	close_values(m);
	if (m->overflow || m->nmod >= KGW_LM_MODS) {
		m->overflow = true;
		return;
	}
	mod = &m->mod[m->nmod];
	mod->mod_op = op | LDAP_MOD_BVALUES;
	mod->mod_type = kgw_ld_unconst(attr);
	mod->mod_bvalues = &m->vlist[m->nvlist];
	m->list[m->nmod++] = mod;
}

void
kgw_lm_val(struct kgw_lmods *m, const void *p, size_t len)
{
	struct berval *bv;

	if (m->overflow || m->nmod == 0 || m->nval >= KGW_LM_VALS ||
	    m->nvlist + 1 >= sizeof(m->vlist) / sizeof(m->vlist[0])) {
		m->overflow = true;
		return;
	}
	bv = &m->val[m->nval++];
	bv->bv_val = kgw_ld_unconst(p);
	bv->bv_len = len;
	m->vlist[m->nvlist++] = bv;
}

void
kgw_lm_str(struct kgw_lmods *m, const char *s)
{
	kgw_lm_val(m, s, strlen(s));
}

void
kgw_lm_int(struct kgw_lmods *m, int64_t v)
{
	char *buf;

	if (m->nnum >= KGW_LM_VALS) {
		m->overflow = true;
		return;
	}
	buf = m->num[m->nnum++];
	(void)snprintf(buf, sizeof(m->num[0]), "%" PRId64, v);
	kgw_lm_str(m, buf);
}

void
kgw_lm_bool(struct kgw_lmods *m, bool v)
{
	kgw_lm_str(m, v ? "TRUE" : "FALSE");
}

void
kgw_lm_swap(struct kgw_lmods *m, const char *attr, const char *old,
    const char *new)
{
	kgw_lm_op(m, LDAP_MOD_DELETE, attr);
	kgw_lm_str(m, old);
	kgw_lm_op(m, LDAP_MOD_ADD, attr);
	kgw_lm_str(m, new);
}

LDAPMod **
kgw_lm_done(struct kgw_lmods *m)
{
	close_values(m);
	if (m->overflow || m->nmod == 0)
		return NULL;
	m->list[m->nmod] = NULL;
	return m->list;
}
