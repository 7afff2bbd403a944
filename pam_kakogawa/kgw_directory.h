/*
 * The city-wide store's settings (kakogawa.conf(5), directory_* keys): an
 * LDAP directory holds the people of this host's zone, and the store file
 * becomes this host's cache of it and its audit trail.
 */
#ifndef KGW_DIRECTORY_H
#define KGW_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

#define KGW_DIR_URIS_MAX 4	/* tried in order: a nearby replica first */
#define KGW_DIR_URI_MAX 256
#define KGW_DIR_DN_MAX 256
#define KGW_DIR_PW_MAX 256	/* the bind password file's size limit */
#define KGW_DIR_TIMEOUT_DEFAULT 2000	/* ms: then the host is offline */
#define KGW_DIR_OFFLINE_DEFAULT 3600	/* s of logins from the cache */
#define KGW_DIR_OFFLINE_MAX (7U * 24 * 3600)
#define KGW_DIR_SKEW 300	/* s a contact may be ahead of the clock */

enum kgw_dir_tls {
	KGW_DIR_TLS_UNSET,	/* no directory_tls: an error with a directory */
	KGW_DIR_TLS_LDAPS,	/* ldaps:// URIs */
	KGW_DIR_TLS_STARTTLS,	/* ldap:// URIs, StartTLS before the bind */
	KGW_DIR_TLS_NONE,	/* plain: loopback (or ldapi://) only */
};

struct kgw_dir_conf {
	char uri[KGW_DIR_URIS_MAX][KGW_DIR_URI_MAX];	/* "" when unused */
	unsigned nuri;			/* 0: no directory, the SQLite store */
	char base[KGW_DIR_DN_MAX];	/* the people's container */
	char bind_dn[KGW_DIR_DN_MAX];	/* this host's (or the helpdesk's) */
	char bind_pw_file[1024];	/* root-only, the password alone */
	enum kgw_dir_tls tls;
	char ca[1024];			/* the city CA's certificate(s) */
	unsigned timeout;		/* ms for a connect or an operation */
	unsigned offline;		/* s the cache may serve; 0: never */
};

/* The configuration keys this file parses: key's index, or -1. */
#define KGW_DIR_NKEYS 8
int kgw_dir_conf_key(const char *key);

/*
 * Sets key (a kgw_dir_conf_key) to value; why gets the reason of a
 * refusal (KGW_ERR_CONFIG).
 */
int kgw_dir_conf_set(struct kgw_dir_conf *d, const char *key,
    const char *value, char *why, size_t whylen);

/*
 * The checks across keys, once the file is read: with a directory, the
 * base, the bind identity and its password file, and TLS are required; a
 * CA file with TLS; plain LDAP only when directory_tls = none says so and
 * every URI is loopback (or ldapi://).
 */
int kgw_dir_conf_check(const struct kgw_dir_conf *d, char *why,
    size_t whylen);

/* Appends the directory_* lines (none without a directory) to out. */
int kgw_dir_conf_format(const struct kgw_dir_conf *d, char *out,
    size_t outlen);

/* True when uri names a loopback address, or a local socket (ldapi). */
bool kgw_dir_uri_loopback(const char *uri);

#endif
