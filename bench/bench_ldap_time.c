/*
 * Where a directory login's time goes: bench_login defines the libldap
 * calls the module makes and exports them (--export-dynamic), so the
 * module, loaded by pam_start, binds to these; each times the real one
 * (dlsym RTLD_NEXT) into bench_ldap_us. Only the outermost call counts,
 * in case libldap calls its own entry points through its PLT.
 */
#include <config.h>

#include <dlfcn.h>
#include <string.h>

#include <ldap.h>

#include "bench.h"

double bench_ldap_us[LT_N];

static int depth;

static void *
real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (f == NULL)
		die(name);
	return f;
}

/* Brackets a call: start returns the time at depth 0, else -1. */
static double
start(void)
{
	return depth++ == 0 ? now_us() : -1;
}

static void
stop(int phase, double t0)
{
	depth--;
	if (t0 >= 0)
		bench_ldap_us[phase] += now_us() - t0;
}

/* f: the real name, looked up on the first call (same prototype). */
#define REAL(name) \
	static __typeof__(&(name)) f; \
	if (f == NULL) { \
		void *p_ = real(#name); \
		memcpy(&f, &p_, sizeof(f)); \
	}

int
ldap_initialize(LDAP **ldp, LDAP_CONST char *url)
{
	REAL(ldap_initialize)
	double t0 = start();
	int r = f(ldp, url);

	stop(LT_INIT, t0);
	return r;
}

int
ldap_start_tls_s(LDAP *ld, LDAPControl **sctrls, LDAPControl **cctrls)
{
	REAL(ldap_start_tls_s)
	double t0 = start();
	int r = f(ld, sctrls, cctrls);

	stop(LT_BIND, t0);
	return r;
}

/* The first operation on a handle: libldap connects (TLS too) here. */
int
ldap_sasl_bind_s(LDAP *ld, LDAP_CONST char *dn, LDAP_CONST char *mech,
    struct berval *cred, LDAPControl **sctrls, LDAPControl **cctrls,
    struct berval **servercredp)
{
	REAL(ldap_sasl_bind_s)
	double t0 = start();
	int r = f(ld, dn, mech, cred, sctrls, cctrls, servercredp);

	stop(LT_BIND, t0);
	return r;
}

int
ldap_search_ext_s(LDAP *ld, LDAP_CONST char *base, int scope,
    LDAP_CONST char *filter, char **attrs, int attrsonly,
    LDAPControl **sctrls, LDAPControl **cctrls, struct timeval *timeout,
    int sizelimit, LDAPMessage **res)
{
	REAL(ldap_search_ext_s)
	double t0 = start();
	int r = f(ld, base, scope, filter, attrs, attrsonly, sctrls, cctrls,
	    timeout, sizelimit, res);

	stop(LT_SEARCH, t0);
	return r;
}

/* A write: the module sends it, then waits with ldap_result. */
int
ldap_modify_ext(LDAP *ld, LDAP_CONST char *dn, LDAPMod **mods,
    LDAPControl **sctrls, LDAPControl **cctrls, int *msgidp)
{
	REAL(ldap_modify_ext)
	double t0 = start();
	int r = f(ld, dn, mods, sctrls, cctrls, msgidp);

	stop(LT_WRITE, t0);
	return r;
}

int
ldap_result(LDAP *ld, int msgid, int all, struct timeval *timeout,
    LDAPMessage **result)
{
	REAL(ldap_result)
	double t0 = start();
	int r = f(ld, msgid, all, timeout, result);

	stop(LT_WRITE, t0);
	return r;
}

int
ldap_unbind_ext_s(LDAP *ld, LDAPControl **sctrls, LDAPControl **cctrls)
{
	REAL(ldap_unbind_ext_s)
	double t0 = start();
	int r = f(ld, sctrls, cctrls);

	stop(LT_UNBIND, t0);
	return r;
}
