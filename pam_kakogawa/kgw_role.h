/*
 * Roles: a stricter policy for some people (administrators), named in the
 * store and defined by [role NAME] sections of kakogawa.conf. A role can
 * only tighten what the global keys and the zones ask of everyone: fewer
 * failures before a lock, longer locks, more factors, longer passwords,
 * and a session age limit the module hands to the session.
 */
#ifndef KGW_ROLE_H
#define KGW_ROLE_H

#include <stdbool.h>
#include <stddef.h>

#define KGW_ROLES_MAX 8
#define KGW_ROLE_NAME_MAX 32
/* The role of everyone without one: the global keys are its policy. */
#define KGW_ROLE_DEFAULT "staff"

struct kgw_role {
	char name[KGW_ROLE_NAME_MAX + 1];
	unsigned lockout_attempts;	/* 0: the global value */
	unsigned lockout_time;
	bool lockout_time_set;		/* else the global value */
	unsigned factors;		/* KGW_NEED_*, added to the zone's */
	unsigned remote_factors;	/* for remote logins; 0: factors */
	unsigned max_session;		/* seconds; 0: no limit */
	unsigned password_min_length;	/* 0: the global value */
};

struct kgw_roles {
	struct kgw_role role[KGW_ROLES_MAX];
	unsigned n;
};

/* What applies to one person: the global keys tightened by their role. */
struct kgw_policy {
	const char *role;		/* KGW_ROLE_DEFAULT or a section's name */
	unsigned lockout_attempts;
	unsigned lockout_time;
	unsigned factors;		/* added to the zone's at the console */
	unsigned remote_factors;	/* added to the zone's from a remote host */
	unsigned max_session;
	unsigned password_min_length;
};

/* Role names: [a-z][a-z0-9_-]*, at most KGW_ROLE_NAME_MAX bytes. */
bool kgw_role_name_valid(const char *name);

/* The index of the role called name, or -1. */
int kgw_role_find(const struct kgw_roles *roles, const char *name);

struct kgw_conf;

/*
 * The policy of a person whose stored role is role ("" or
 * KGW_ROLE_DEFAULT: the global keys). KGW_ERR_CONFIG when the
 * configuration defines no such role: a policy that cannot be told is
 * not applied leniently.
 */
int kgw_role_policy(const struct kgw_conf *conf, const char *role,
    struct kgw_policy *out);

/*
 * Reading [role NAME] sections (role_conf.c, called by conf.c), as for
 * zones: add registers a section in the first pass, set applies one key
 * (seen: the keys already set in it), checked against the global keys
 * read above it. KGW_OK or KGW_ERR_CONFIG with why filled.
 */
int kgw_role_conf_add(struct kgw_roles *roles, const char *name, char *why,
    size_t whylen);
int kgw_role_conf_set(struct kgw_conf *conf, unsigned role, const char *key,
    char *value, unsigned *seen, char *why, size_t whylen);
/* Writes the [role] sections as configuration text. */
int kgw_role_conf_format(const struct kgw_roles *roles, char *out,
    size_t outlen);

#endif
