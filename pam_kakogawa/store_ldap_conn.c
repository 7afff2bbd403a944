/*
 * Connections to the directory: TLS with the city CA (or plain on
 * loopback when the configuration says so), a simple bind as this host's
 * identity, short timeouts, and writes sent on to the provider a
 * read-only replica refers them to.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "kgw_err.h"
#include "kgw_path.h"
#include "kgw_str.h"
#include "store_ldap.h"

/* Maps rc, logging it against the server at uri. */
static int
fail_at(const struct ldap_store *ls, const char *what, const char *uri,
    int rc)
{
	switch (rc) {
	case LDAP_SERVER_DOWN:
	case LDAP_TIMEOUT:
	case LDAP_CONNECT_ERROR:
		kgw_log_err(ls->base.log, "directory unreachable: op=%s "
		    "uri=%s error=\"%s\"", what, uri, ldap_err2string(rc));
		return KGW_ERR_OFFLINE;
	case LDAP_NO_SUCH_OBJECT:
		return KGW_ERR_NOT_FOUND;
	case LDAP_ALREADY_EXISTS:
	case LDAP_TYPE_OR_VALUE_EXISTS:
		return KGW_ERR_EXISTS;
	default:
		kgw_log_err(ls->base.log, "directory refused: op=%s uri=%s "
		    "error=\"%s\" (%d)", what, uri, ldap_err2string(rc), rc);
		return KGW_ERR_STORE;
	}
}

int
kgw_ld_fail(const struct ldap_store *ls, const char *what, int rc)
{
	return fail_at(ls, what, ls->wr != NULL ? ls->wr_uri : ls->uri, rc);
}

static struct timeval
timeout(const struct ldap_store *ls)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ls->dir.timeout / 1000);
	tv.tv_usec = (suseconds_t)(ls->dir.timeout % 1000) * 1000;
	return tv;
}

/*
 * Per-handle options, set explicitly: whatever /etc/ldap/ldap.conf says
 * (TLS_REQCERT never, say), this handle verifies the server against the
 * city CA.
 */
static int
set_options(const struct ldap_store *ls, LDAP *ld)
{
	struct timeval tv = timeout(ls);
	int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND;
	int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2, newctx = 0;

	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS)
		return KGW_ERR_STORE;
	if (ls->dir.tls == KGW_DIR_TLS_NONE)
		return KGW_OK;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ls->dir.ca) !=
	    LDAP_OPT_SUCCESS ||
	    /* The CA file alone: no directory of anchors, no client cert. */
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTDIR, NULL) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, NULL) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, NULL) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newctx) !=
	    LDAP_OPT_SUCCESS)
		return KGW_ERR_STORE;
	return KGW_OK;
}

/*
 * libldap calls this once the TCP connection is made, before TLS: a
 * failure after it is the server's (TLS, certificate, bind), not the
 * network's, and is no reason to go offline.
 */
static int
reached(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
    struct ldap_conncb *ctx)
{
	struct ldap_store *ls = ctx->lc_arg;

	(void)ld;
	(void)sb;
	(void)srv;
	(void)addr;
	ls->reached = true;
	return 0;
}

static void
closed(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	(void)ld;
	(void)sb;
	(void)ctx;
}

/*
 * Unreachable (a connect that failed or timed out) means offline; a
 * server that answered and then failed (TLS, its certificate, BUSY,
 * UNAVAILABLE) is a refusal: no login from the cache for that.
 */
static int
connect_fail(struct ldap_store *ls, const char *what, const char *uri,
    int rc)
{
	if (ls->reached && (rc == LDAP_SERVER_DOWN ||
	    rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT)) {
		kgw_log_err(ls->base.log, "directory refused the connection "
		    "(TLS, its certificate, or the server): op=%s uri=%s "
		    "error=\"%s\"", what, uri, ldap_err2string(rc));
		return KGW_ERR_STORE;
	}
	return fail_at(ls, what, uri, rc);
}

/* Connects to uri and binds; *out is NULL on failure. */
static int
open_uri(struct ldap_store *ls, const char *uri, LDAP **out)
{
	struct berval cred;
	LDAP *ld = NULL;
	int rc, r;

	*out = NULL;
	if (ldap_initialize(&ld, uri) != LDAP_SUCCESS || ld == NULL) {
		kgw_log_err(ls->base.log, "directory URI refused by libldap: "
		    "uri=%s", uri);
		return KGW_ERR_CONFIG;
	}
	ls->reached = false;
	ls->conncb.lc_add = reached;
	ls->conncb.lc_del = closed;
	ls->conncb.lc_arg = ls;
	if (set_options(ls, ld) != KGW_OK ||
	    ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &ls->conncb) !=
	    LDAP_OPT_SUCCESS) {
		r = KGW_ERR_STORE;
		kgw_log_err(ls->base.log, "cannot set directory options: "
		    "uri=%s", uri);
		goto fail;
	}
	if (ls->dir.tls == KGW_DIR_TLS_STARTTLS &&
	    (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		r = connect_fail(ls, "starttls", uri, rc);
		goto fail;
	}
	cred.bv_val = ls->pw;
	cred.bv_len = ls->pw_len;
	rc = ldap_sasl_bind_s(ld, ls->dir.bind_dn, LDAP_SASL_SIMPLE, &cred,
	    NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		r = connect_fail(ls, "bind", uri, rc);
		goto fail;
	}
	*out = ld;
	return KGW_OK;
fail:
	(void)ldap_unbind_ext_s(ld, NULL, NULL);
	return r;
}

/* The bind password: a root-only file holding it alone. */
static int
read_password(struct ldap_store *ls)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	r = kgw_path_read(ls->base.log, ls->dir.bind_pw_file, KGW_PATH_PRIVATE,
	    KGW_DIR_PW_MAX - 1, &buf, &len);
	if (r != KGW_OK)
		return r;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0 || memchr(buf, '\0', len) != NULL ||
	    memchr(buf, '\n', len) != NULL) {
		kgw_log_err(ls->base.log, "directory password file invalid: "
		    "path=%s", ls->dir.bind_pw_file);
		r = KGW_ERR_CONFIG;
	} else {
		memcpy(ls->pw, buf, len);
		ls->pw_len = len;
	}
	explicit_bzero(buf, len);
	free(buf);
	return r;
}

int
kgw_ld_connect(struct ldap_store *ls)
{
	unsigned i;
	int r = KGW_ERR_OFFLINE;

	if (ls->ld != NULL)
		return KGW_OK;
	if (ls->pw_len == 0 && (r = read_password(ls)) != KGW_OK)
		return r;
	if (ls->dir.tls != KGW_DIR_TLS_NONE &&
	    (r = kgw_path_check_file(ls->base.log, ls->dir.ca, 0)) != KGW_OK)
		return r;
	/* The first that answers; a refused bind is no reason to go on. */
	for (i = 0; i < ls->dir.nuri; i++) {
		(void)kgw_strcopy(ls->uri, sizeof(ls->uri), ls->dir.uri[i]);
		r = open_uri(ls, ls->dir.uri[i], &ls->ld);
		if (r != KGW_ERR_OFFLINE)
			break;
	}
	return r;
}

void
kgw_ld_disconnect(struct ldap_store *ls)
{
	if (ls->ld != NULL)
		(void)ldap_unbind_ext_s(ls->ld, NULL, NULL);
	if (ls->wr != NULL)
		(void)ldap_unbind_ext_s(ls->wr, NULL, NULL);
	ls->ld = NULL;
	ls->wr = NULL;
}

/*
 * Whether u names a server of the directory key: the same scheme, host
 * and port as one of its URIs. A referral goes nowhere else, so that a
 * replica (or whoever answers in its place) cannot send a host, and its
 * bind password, to a server of its choosing.
 */
static bool
configured(const struct ldap_store *ls, const LDAPURLDesc *u)
{
	LDAPURLDesc *c = NULL;
	unsigned i;
	bool same = false;

	for (i = 0; i < ls->dir.nuri && !same; i++) {
		if (ldap_url_parse(ls->dir.uri[i], &c) != LDAP_URL_SUCCESS)
			continue;
		same = strcmp(c->lud_scheme, u->lud_scheme) == 0 &&
		    c->lud_host != NULL &&
		    strcasecmp(c->lud_host, u->lud_host) == 0 &&
		    c->lud_port == u->lud_port;
		ldap_free_urldesc(c);
		c = NULL;
	}
	return same;
}

/*
 * A referral is followed only to a server the directory key names (the
 * provider, listed after the replicas), the server part alone.
 */
static int
referral_uri(const struct ldap_store *ls, char **refs, char *out,
    size_t outlen)
{
	LDAPURLDesc *u = NULL;
	int n, r = KGW_ERR_STORE;

	if (refs == NULL || refs[0] == NULL ||
	    ldap_url_parse(refs[0], &u) != LDAP_URL_SUCCESS)
		return KGW_ERR_STORE;
	if (u->lud_host == NULL || u->lud_host[0] == '\0')
		goto out;
	n = snprintf(out, outlen, strchr(u->lud_host, ':') != NULL ?
	    "%s://[%s]:%d/" : "%s://%s:%d/", u->lud_scheme, u->lud_host,
	    u->lud_port);
	if (n < 0 || (size_t)n >= outlen)
		goto out;
	if (configured(ls, u))
		r = KGW_OK;
out:
	if (r != KGW_OK)
		kgw_log_err(ls->base.log, "directory referral refused: it "
		    "names no server of the directory key (list the provider "
		    "there, after the replicas)");
	ldap_free_urldesc(u);
	return r;
}

enum ld_op { LD_MODIFY, LD_ADD, LD_DELETE };

/* Sends one write to ld and waits for its result (within the timeout). */
static int
send_write(struct ldap_store *ls, LDAP *ld, enum ld_op op, const char *dn,
    LDAPMod **mods, LDAPControl **ctrls, int *rc, char ***refs,
    LDAPControl ***sctrls)
{
	struct timeval tv = timeout(ls);
	LDAPMessage *res = NULL;
	int msgid = -1, e;

	*refs = NULL;
	*sctrls = NULL;
	if (op == LD_MODIFY)
		e = ldap_modify_ext(ld, dn, mods, ctrls, NULL, &msgid);
	else if (op == LD_ADD)
		e = ldap_add_ext(ld, dn, mods, ctrls, NULL, &msgid);
	else
		e = ldap_delete_ext(ld, dn, ctrls, NULL, &msgid);
	if (e != LDAP_SUCCESS) {
		*rc = e;
		return KGW_OK;
	}
	e = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (e <= 0) {
		(void)ldap_abandon_ext(ld, msgid, NULL, NULL);
		ldap_msgfree(res);
		*rc = e == 0 ? LDAP_TIMEOUT : LDAP_SERVER_DOWN;
		return KGW_OK;
	}
	e = ldap_parse_result(ld, res, rc, NULL, NULL, refs, sctrls, 1);
	if (e != LDAP_SUCCESS)
		*rc = e;
	return KGW_OK;
}

static int
write_op(struct ldap_store *ls, enum ld_op op, const char *dn,
    LDAPMod **mods, LDAPControl **ctrls, int *rc, LDAPControl ***post)
{
	char uri[KGW_DIR_URI_MAX];
	LDAPControl **sctrls = NULL;
	char **refs = NULL;
	int r;

	if (post != NULL)
		*post = NULL;
	if ((r = kgw_ld_connect(ls)) != KGW_OK)
		return r;
	(void)send_write(ls, ls->wr != NULL ? ls->wr : ls->ld, op, dn, mods,
	    ctrls, rc, &refs, &sctrls);
	if (*rc == LDAP_REFERRAL && ls->wr == NULL) {
		r = referral_uri(ls, refs, uri, sizeof(uri));
		ldap_memvfree((void **)refs);
		ldap_controls_free(sctrls);
		refs = NULL;
		sctrls = NULL;
		if (r != KGW_OK)
			return r;
		if ((r = open_uri(ls, uri, &ls->wr)) != KGW_OK)
			return r;
		(void)kgw_strcopy(ls->wr_uri, sizeof(ls->wr_uri), uri);
		(void)send_write(ls, ls->wr, op, dn, mods, ctrls, rc, &refs,
		    &sctrls);
	}
	ldap_memvfree((void **)refs);
	if (post != NULL)
		*post = sctrls;
	else
		ldap_controls_free(sctrls);
	return KGW_OK;
}

int
kgw_ld_modify(struct ldap_store *ls, const char *dn, LDAPMod **mods,
    LDAPControl **ctrls, int *rc, LDAPControl ***post)
{
	return write_op(ls, LD_MODIFY, dn, mods, ctrls, rc, post);
}

int
kgw_ld_add(struct ldap_store *ls, const char *dn, LDAPMod **attrs, int *rc)
{
	return write_op(ls, LD_ADD, dn, attrs, NULL, rc, NULL);
}

int
kgw_ld_delete(struct ldap_store *ls, const char *dn, int *rc)
{
	return write_op(ls, LD_DELETE, dn, NULL, NULL, rc, NULL);
}
