/*
 * What a directory login spends on its connection: libldap's connect
 * (and TLS handshake), the simple bind, one read of a person's entry and
 * the unbind, timed apart, set up as store_ldap_conn.c sets up its
 * handles (a new TLS context per handle, the CA demanded). The module
 * connects and binds once per PAM transaction (twice through a replica:
 * the provider its referral names, for the write).
 *
 *   bench_login connect URI DN PWFILE CA|- ENTRY_DN N
 *
 * CA "-": plain LDAP; with a CA, ldaps:// URIs use TLS from the start and
 * ldap:// ones StartTLS.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <ldap.h>

#include "bench.h"

enum { PH_CONNECT, PH_BIND, PH_SEARCH, PH_UNBIND, PH_TOTAL, PH_N };

static const char *const ph_name[PH_N] = {
	"connect", "bind", "search", "unbind", "total"
};

struct target {
	const char *uri, *dn, *ca, *entry;
	struct berval pw;
};

static void
options(const struct target *t, LDAP *ld)
{
	struct timeval tv = { 2, 0 };
	int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND;
	int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2, newctx = 0;

	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != 0)
		die("ldap_set_option");
	if (t->ca == NULL)
		return;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, t->ca) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newctx) != 0)
		die("ldap_set_option (TLS)");
}

/*
 * One connection's life; ph gets each phase's microseconds. (t is not
 * const only because ldap_sasl_bind_s's prototype wants a mutable pw.)
 */
static void
one(struct target *t, double ph[PH_N])
{
	char all[] = "*", *attrs[] = { all, NULL };
	LDAPMessage *res = NULL;
	LDAP *ld = NULL;
	double t0, t1;

	t0 = now_us();
	if (ldap_initialize(&ld, t->uri) != LDAP_SUCCESS)
		die("ldap_initialize");
	options(t, ld);
	if (t->ca != NULL && strncmp(t->uri, "ldap://", 7) == 0) {
		if (ldap_start_tls_s(ld, NULL, NULL) != LDAP_SUCCESS)
			die("StartTLS");
	} else if (ldap_connect(ld) != LDAP_SUCCESS)
		die("connect");
	ph[PH_CONNECT] = (t1 = now_us()) - t0;
	if (ldap_sasl_bind_s(ld, t->dn, LDAP_SASL_SIMPLE, &t->pw, NULL, NULL,
	    NULL) != LDAP_SUCCESS)
		die("bind");
	ph[PH_BIND] = now_us() - t1;
	t1 = now_us();
	if (ldap_search_ext_s(ld, t->entry, LDAP_SCOPE_BASE,
	    "(objectClass=kgwStaff)", attrs, 0, NULL, NULL, NULL, 2,
	    &res) != LDAP_SUCCESS || ldap_count_entries(ld, res) != 1)
		die("search (is ENTRY_DN enrolled, readable by DN?)");
	ldap_msgfree(res);
	ph[PH_SEARCH] = now_us() - t1;
	t1 = now_us();
	(void)ldap_unbind_ext_s(ld, NULL, NULL);
	ph[PH_UNBIND] = now_us() - t1;
	ph[PH_TOTAL] = now_us() - t0;
}

static void
read_pw(const char *path, char *buf, size_t len, struct berval *pw)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		die(path);
	n = fread(buf, 1, len - 1, f);
	(void)fclose(f);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n == 0)
		die("empty password file");
	pw->bv_val = buf;
	pw->bv_len = n;
}

int
bench_connect(int argc, char **argv)
{
	struct target t;
	char pw[256];
	double *lat[PH_N], ph[PH_N];
	unsigned long n, k;
	int p;

	if (argc != 8)
		die("usage: connect URI DN PWFILE CA|- ENTRY_DN N");
	t.uri = argv[2];
	t.dn = argv[3];
	read_pw(argv[4], pw, sizeof(pw), &t.pw);
	t.ca = strcmp(argv[5], "-") == 0 ? NULL : argv[5];
	t.entry = argv[6];
	if ((n = arg_ulong(argv[7], 1000000)) == 0)
		die("N must be positive");
	for (p = 0; p < PH_N; p++)
		if ((lat[p] = calloc(n, sizeof(double))) == NULL)
			die("calloc");
	for (k = 0; k < n; k++) {
		one(&t, ph);
		for (p = 0; p < PH_N; p++)
			lat[p][k] = ph[p];
	}
	printf("connect %s tls=%s n=%lu", t.uri, t.ca == NULL ? "none" :
	    strncmp(t.uri, "ldaps://", 8) == 0 ? "ldaps" : "starttls", n);
	for (p = 0; p < PH_N; p++)
		printf(" %s_ms=%.3f/%.3f", ph_name[p], pct_ms(lat[p], n, 50),
		    pct_ms(lat[p], n, 95));
	printf("  (median/p95)\n");
	explicit_bzero(pw, sizeof(pw));
	for (p = 0; p < PH_N; p++)
		free(lat[p]);
	return 0;
}
