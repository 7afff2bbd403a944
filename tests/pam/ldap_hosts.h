/*
 * Deployments on the city-wide store for the module tests (harness.c):
 * the helpdesk and hosts of one zone, each with its own configuration,
 * bind identity and trail, sharing the city key and the private
 * directories of tests/ldap/with-slapd.
 */
#ifndef KGW_TEST_LDAP_HOSTS_H
#define KGW_TEST_LDAP_HOSTS_H

#include <check.h>

#include "harness.h"

/* A variable with-slapd exports; the test aborts when it is missing. */
const char *lh_env(const char *name);

/*
 * Rewrites d's configuration for the directory at uri, bound as who
 * ("HELPDESK", "HOST1", "HOST2": the with-slapd identities), with tls
 * (ldaps, starttls, none), ca (NULL: none) and directory_offline.
 */
void lh_configure(struct h_deploy *d, const char *uri, const char *who,
    const char *tls, const char *ca, unsigned offline);

/*
 * Gives to the city key of from, then starts its trail again under it,
 * as a host is set up: the key first, then `init`.
 */
void lh_share_key(const struct h_deploy *from, const struct h_deploy *to);

/* Stops or starts a directory (with-slapd's slapd-ctl: stop-provider...). */
void lh_ctl(const char *what);

/* Waits until host d reads user from its directory with a TOTP. */
void lh_replicated(const struct h_deploy *d, const char *user);

/*
 * Runs self again under with-slapd (and valgrind again, with make
 * check-valgrind's flags: valgrind does not follow an exec). Returns
 * only on failure (99).
 */
int lh_under_slapd(char *self);

/*
 * A test program's main: under with-slapd first (lh_under_slapd), then
 * the suite in a fresh temporary base directory; 0 when all passed.
 */
int lh_main(int argc, char **argv, Suite *(*suite)(void));

#endif
