/*
 * The [role NAME] sections of kakogawa.conf, and the policy of one person
 * under their role. A role only tightens: a value laxer than the global
 * key above it is an error at its line, so that a typo cannot loosen the
 * policy of exactly the people it was meant to guard most.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "kgw_conf.h"
#include "kgw_err.h"
#include "kgw_num.h"
#include "kgw_role.h"
#include "kgw_str.h"

#define WHY(...) ((void)snprintf(why, whylen, __VA_ARGS__), KGW_ERR_CONFIG)
#define MAX_SESSION_MAX (31UL * 24 * 3600)

bool
kgw_role_name_valid(const char *name)
{
	/* The same alphabet as zone names; "staff" is everyone's default. */
	return kgw_zone_name_valid(name) && strlen(name) <= KGW_ROLE_NAME_MAX;
}

int
kgw_role_find(const struct kgw_roles *roles, const char *name)
{
	unsigned i;

	for (i = 0; i < roles->n; i++)
		if (strcmp(roles->role[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
kgw_role_policy(const struct kgw_conf *c, const char *role,
    struct kgw_policy *p)
{
	const struct kgw_role *r;
	int i;

	memset(p, 0, sizeof(*p));
	p->role = KGW_ROLE_DEFAULT;
	p->lockout_attempts = c->lockout_attempts;
	p->lockout_time = c->lockout_time;
	p->password_min_length = c->password_min_length;
	if (role == NULL || role[0] == '\0' ||
	    strcmp(role, KGW_ROLE_DEFAULT) == 0)
		return KGW_OK;
	if ((i = kgw_role_find(&c->roles, role)) < 0)
		return KGW_ERR_CONFIG;
	r = &c->roles.role[i];
	p->role = r->name;
	if (r->lockout_attempts != 0)
		p->lockout_attempts = r->lockout_attempts;
	if (r->lockout_time_set)
		p->lockout_time = r->lockout_time;
	p->factors = r->factors;
	/* A key answers only the machine it is plugged into. */
	p->remote_factors = r->remote_factors != 0 ? r->remote_factors :
	    r->factors & ~(unsigned)KGW_NEED_FIDO2;
	p->max_session = r->max_session;
	if (r->password_min_length != 0)
		p->password_min_length = r->password_min_length;
	return KGW_OK;
}

int
kgw_role_conf_add(struct kgw_roles *roles, const char *name, char *why,
    size_t whylen)
{
	if (!kgw_role_name_valid(name))
		return WHY("malformed role name (expected [a-z][a-z0-9_-]*, "
		    "at most %d characters)", KGW_ROLE_NAME_MAX);
	if (strcmp(name, KGW_ROLE_DEFAULT) == 0)
		return WHY("staff is the role of everyone without one: its "
		    "policy is the global keys");
	if (kgw_role_find(roles, name) >= 0)
		return WHY("role %s defined twice", name);
	if (roles->n == KGW_ROLES_MAX)
		return WHY("more than %d roles", KGW_ROLES_MAX);
	(void)kgw_strcopy(roles->role[roles->n].name,
	    sizeof(roles->role[0].name), name);
	roles->n++;
	return KGW_OK;
}

static int
uint_in(const char *v, unsigned long min, unsigned long max, unsigned *out,
    char *why, size_t whylen)
{
	unsigned long n;

	if (min > max)
		return WHY("no value is stricter than the global key");
	if (kgw_parse_ulong(v, min, max, &n) != KGW_OK)
		return WHY("expected a whole number from %lu to %lu (a role "
		    "may only be stricter than the global key)", min, max);
	*out = (unsigned)n;
	return KGW_OK;
}

static int
set_attempts(struct kgw_conf *c, struct kgw_role *r, char *v, char *why,
    size_t whylen)
{
	return uint_in(v, 1, c->lockout_attempts, &r->lockout_attempts, why,
	    whylen);
}

/* 0 locks until an unlock: the strictest; else at least the global time. */
static int
set_lock_time(struct kgw_conf *c, struct kgw_role *r, char *v, char *why,
    size_t whylen)
{
	int rc;

	if (strcmp(v, "0") == 0) {
		r->lockout_time = 0;
	} else {
		if (c->lockout_time == 0)
			return WHY("lockout_time must be 0, as the global one "
			    "is (a role may only be stricter)");
		if ((rc = uint_in(v, c->lockout_time, 366UL * 24 * 3600,
		    &r->lockout_time, why, whylen)) != KGW_OK)
			return rc;
	}
	r->lockout_time_set = true;
	return KGW_OK;
}

/* Factors a role's logins present on top of the zone's own. */
static int
factors_in(char *v, unsigned *out, char *why, size_t whylen)
{
	int r;

	if ((r = kgw_zone_factors_parse(v, out, why, whylen)) != KGW_OK)
		return r;
	if (*out == 0)
		return WHY("no factor named (expected password, totp, fido2 "
		    "or token)");
	return KGW_OK;
}

static int
set_factors(struct kgw_conf *c, struct kgw_role *r, char *v, char *why,
    size_t whylen)
{
	(void)c;
	return factors_in(v, &r->factors, why, whylen);
}

static int
set_remote_factors(struct kgw_conf *c, struct kgw_role *r, char *v,
    char *why, size_t whylen)
{
	int rc;

	(void)c;
	if ((rc = factors_in(v, &r->remote_factors, why, whylen)) != KGW_OK)
		return rc;
	if (r->remote_factors & KGW_NEED_FIDO2)
		return WHY("remote_factors cannot include fido2: a security "
		    "key answers only the machine it is plugged into");
	return KGW_OK;
}

static int
set_max_session(struct kgw_conf *c, struct kgw_role *r, char *v, char *why,
    size_t whylen)
{
	(void)c;
	return uint_in(v, 60, MAX_SESSION_MAX, &r->max_session, why, whylen);
}

static int
set_min_length(struct kgw_conf *c, struct kgw_role *r, char *v, char *why,
    size_t whylen)
{
	return uint_in(v, c->password_min_length, KGW_PASSWORD_MIN_LENGTH_MAX,
	    &r->password_min_length, why, whylen);
}

static const struct {
	const char *key;
	int (*set)(struct kgw_conf *, struct kgw_role *, char *, char *,
	    size_t);
} role_keys[] = {
	{ "lockout_attempts", set_attempts },
	{ "lockout_time", set_lock_time },
	{ "factors", set_factors },
	{ "remote_factors", set_remote_factors },
	{ "max_session", set_max_session },
	{ "password_min_length", set_min_length },
};

int
kgw_role_conf_set(struct kgw_conf *c, unsigned role, const char *key,
    char *value, unsigned *seen, char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < sizeof(role_keys) / sizeof(role_keys[0]); i++) {
		if (strcmp(role_keys[i].key, key) != 0)
			continue;
		if (*seen & (1u << i))
			return WHY("key set twice");
		*seen |= 1u << i;
		return role_keys[i].set(c, &c->roles.role[role], value, why,
		    whylen);
	}
	return WHY("unknown key in a role section");
}

/* Appends one "key = value" line; KGW_ERR_INVALID when it does not fit. */
static int
line(char *out, size_t outlen, size_t *len, const char *key,
    const char *value)
{
	int n = snprintf(out + *len, outlen - *len, "%s = %s\n", key, value);

	if (n < 0 || (size_t)n >= outlen - *len)
		return KGW_ERR_INVALID;
	*len += (size_t)n;
	return KGW_OK;
}

static int
format_factors(char *out, size_t outlen, size_t *len, const char *key,
    unsigned mask)
{
	char names[64];
	size_t j;

	if (mask == 0)
		return KGW_OK;
	if (kgw_zone_factors_format(mask, names, sizeof(names)) != KGW_OK)
		return KGW_ERR_INVALID;
	for (j = 0; names[j] != '\0'; j++)
		if (names[j] == '+')
			names[j] = ' ';
	return line(out, outlen, len, key, names);
}

static int
format_role(const struct kgw_role *r, char *out, size_t outlen, size_t *len)
{
	char num[24];
	int n;

	n = snprintf(out + *len, outlen - *len, "\n[role %s]\n", r->name);
	if (n < 0 || (size_t)n >= outlen - *len)
		return KGW_ERR_INVALID;
	*len += (size_t)n;
	(void)snprintf(num, sizeof(num), "%u", r->lockout_attempts);
	if (r->lockout_attempts != 0 &&
	    line(out, outlen, len, "lockout_attempts", num) != KGW_OK)
		return KGW_ERR_INVALID;
	(void)snprintf(num, sizeof(num), "%u", r->lockout_time);
	if (r->lockout_time_set &&
	    line(out, outlen, len, "lockout_time", num) != KGW_OK)
		return KGW_ERR_INVALID;
	if (format_factors(out, outlen, len, "factors", r->factors) !=
	    KGW_OK || format_factors(out, outlen, len, "remote_factors",
	    r->remote_factors) != KGW_OK)
		return KGW_ERR_INVALID;
	(void)snprintf(num, sizeof(num), "%u", r->max_session);
	if (r->max_session != 0 &&
	    line(out, outlen, len, "max_session", num) != KGW_OK)
		return KGW_ERR_INVALID;
	(void)snprintf(num, sizeof(num), "%u", r->password_min_length);
	if (r->password_min_length != 0 &&
	    line(out, outlen, len, "password_min_length", num) != KGW_OK)
		return KGW_ERR_INVALID;
	return KGW_OK;
}

int
kgw_role_conf_format(const struct kgw_roles *roles, char *out, size_t outlen)
{
	size_t len = 0;
	unsigned i;

	if (outlen == 0)
		return KGW_ERR_INVALID;
	out[0] = '\0';
	for (i = 0; i < roles->n; i++)
		if (format_role(&roles->role[i], out, outlen, &len) != KGW_OK)
			return KGW_ERR_INVALID;
	return KGW_OK;
}
