/* The directory_* keys of kakogawa.conf: where the city-wide store is. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <ldap.h>

#include "kgw_directory.h"
#include "kgw_err.h"
#include "kgw_net.h"
#include "kgw_num.h"
#include "kgw_str.h"

static const char *const dir_keys[KGW_DIR_NKEYS] = {
	"directory", "directory_base", "directory_bind_dn",
	"directory_bind_password_file", "directory_tls", "directory_ca",
	"directory_timeout", "directory_offline",
};

int
kgw_dir_conf_key(const char *key)
{
	int i;

	for (i = 0; i < KGW_DIR_NKEYS; i++)
		if (strcmp(dir_keys[i], key) == 0)
			return i;
	return -1;
}

static int
refuse(char *why, size_t whylen, const char *msg)
{
	(void)snprintf(why, whylen, "%s", msg);
	return KGW_ERR_CONFIG;
}

bool
kgw_dir_uri_loopback(const char *uri)
{
	LDAPURLDesc *u = NULL;
	struct kgw_addr addr;
	struct kgw_cidr lo4, lo6;
	bool local = false;

	if (ldap_url_parse(uri, &u) != LDAP_URL_SUCCESS)
		return false;
	if (strcmp(u->lud_scheme, "ldapi") == 0)
		local = true;
	else if (u->lud_host != NULL &&
	    kgw_addr_parse(u->lud_host, &addr) == KGW_OK &&
	    kgw_cidr_parse("127.0.0.0/8", &lo4) == KGW_OK &&
	    kgw_cidr_parse("::1/128", &lo6) == KGW_OK)
		local = kgw_cidr_contains(&lo4, &addr) ||
		    kgw_cidr_contains(&lo6, &addr);
	ldap_free_urldesc(u);
	return local;
}

/* A server address and nothing else: no DN, attributes or filter. */
static int
check_uri(const char *uri, char *why, size_t whylen)
{
	LDAPURLDesc *u = NULL;
	bool ok;

	if (strlen(uri) >= KGW_DIR_URI_MAX)
		return refuse(why, whylen, "directory URI too long");
	if (ldap_url_parse(uri, &u) != LDAP_URL_SUCCESS)
		return refuse(why, whylen, "directory must be ldap://, "
		    "ldaps:// or ldapi:// URIs");
	ok = (strcmp(u->lud_scheme, "ldapi") == 0 || (u->lud_host != NULL &&
	    u->lud_host[0] != '\0')) && (u->lud_dn == NULL ||
	    u->lud_dn[0] == '\0') && u->lud_attrs == NULL &&
	    u->lud_filter == NULL && u->lud_exts == NULL;
	ldap_free_urldesc(u);
	if (!ok)
		return refuse(why, whylen, "a directory URI names a server "
		    "only (scheme://host:port/)");
	return KGW_OK;
}

static int
set_uris(struct kgw_dir_conf *d, const char *value, char *why, size_t whylen)
{
	char buf[KGW_DIR_URIS_MAX * KGW_DIR_URI_MAX], *tok, *save = NULL;
	int r;

	if (kgw_strcopy(buf, sizeof(buf), value) != KGW_OK)
		return refuse(why, whylen, "directory: too many URIs");
	d->nuri = 0;
	for (tok = strtok_r(buf, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (d->nuri == KGW_DIR_URIS_MAX)
			return refuse(why, whylen, "directory: at most 4 URIs");
		if ((r = check_uri(tok, why, whylen)) != KGW_OK)
			return r;
		(void)kgw_strcopy(d->uri[d->nuri++], KGW_DIR_URI_MAX, tok);
	}
	return d->nuri > 0 ? KGW_OK : refuse(why, whylen, "empty directory");
}

/* A DN as text: printable ASCII or UTF-8, parsed by libldap. */
static int
set_dn(char *dst, size_t dstlen, const char *value, char *why,
    size_t whylen)
{
	LDAPDN dn = NULL;
	const char *c;

	for (c = value; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return refuse(why, whylen, "control character in a DN");
	if (strlen(value) >= dstlen)
		return refuse(why, whylen, "DN too long");
	if (ldap_str2dn(value, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    dn == NULL) {
		if (dn != NULL)
			ldap_dnfree(dn);
		return refuse(why, whylen, "not a valid DN");
	}
	ldap_dnfree(dn);
	(void)kgw_strcopy(dst, dstlen, value);
	return KGW_OK;
}

static int
set_path(char *dst, size_t dstlen, const char *value, char *why,
    size_t whylen)
{
	if (value[0] != '/')
		return refuse(why, whylen, "path must be absolute");
	if (kgw_strcopy(dst, dstlen, value) != KGW_OK)
		return refuse(why, whylen, "path too long");
	return KGW_OK;
}

static int
set_tls(struct kgw_dir_conf *d, const char *value, char *why, size_t whylen)
{
	if (strcmp(value, "ldaps") == 0)
		d->tls = KGW_DIR_TLS_LDAPS;
	else if (strcmp(value, "starttls") == 0)
		d->tls = KGW_DIR_TLS_STARTTLS;
	else if (strcmp(value, "none") == 0)
		d->tls = KGW_DIR_TLS_NONE;
	else
		return refuse(why, whylen, "directory_tls must be ldaps, "
		    "starttls or none");
	return KGW_OK;
}

static int
set_number(unsigned *dst, const char *value, unsigned long min,
    unsigned long max, char *why, size_t whylen)
{
	unsigned long n;

	if (kgw_parse_ulong(value, min, max, &n) != KGW_OK) {
		(void)snprintf(why, whylen, "expected a whole number from %lu "
		    "to %lu", min, max);
		return KGW_ERR_CONFIG;
	}
	*dst = (unsigned)n;
	return KGW_OK;
}

int
kgw_dir_conf_set(struct kgw_dir_conf *d, const char *key, const char *value,
    char *why, size_t whylen)
{
	if (strcmp(key, "directory") == 0)
		return set_uris(d, value, why, whylen);
	if (strcmp(key, "directory_base") == 0)
		return set_dn(d->base, sizeof(d->base), value, why, whylen);
	if (strcmp(key, "directory_bind_dn") == 0)
		return set_dn(d->bind_dn, sizeof(d->bind_dn), value, why,
		    whylen);
	if (strcmp(key, "directory_bind_password_file") == 0)
		return set_path(d->bind_pw_file, sizeof(d->bind_pw_file),
		    value, why, whylen);
	if (strcmp(key, "directory_tls") == 0)
		return set_tls(d, value, why, whylen);
	if (strcmp(key, "directory_ca") == 0)
		return set_path(d->ca, sizeof(d->ca), value, why, whylen);
	if (strcmp(key, "directory_timeout") == 0)
		return set_number(&d->timeout, value, 100, 60000, why, whylen);
	if (strcmp(key, "directory_offline") == 0)
		return set_number(&d->offline, value, 0,
		    (unsigned long)KGW_DIR_OFFLINE_MAX, why, whylen);
	return refuse(why, whylen, "unknown key");
}

/* Each URI's scheme must be the one directory_tls implies. */
static int
check_schemes(const struct kgw_dir_conf *d, char *why, size_t whylen)
{
	unsigned i;

	for (i = 0; i < d->nuri; i++) {
		const char *u = d->uri[i];
		bool ldaps = strncmp(u, "ldaps://", 8) == 0;
		bool ldap = strncmp(u, "ldap://", 7) == 0;

		if (d->tls == KGW_DIR_TLS_LDAPS && !ldaps)
			return refuse(why, whylen,
			    "directory_tls = ldaps needs ldaps:// URIs");
		if (d->tls == KGW_DIR_TLS_STARTTLS && !ldap)
			return refuse(why, whylen, "directory_tls = starttls "
			    "needs ldap:// URIs");
		if (d->tls == KGW_DIR_TLS_NONE && !kgw_dir_uri_loopback(u))
			return refuse(why, whylen, "directory_tls = none is "
			    "only for a directory on loopback (127.0.0.1, ::1, "
			    "ldapi://)");
	}
	return KGW_OK;
}

int
kgw_dir_conf_check(const struct kgw_dir_conf *d, char *why, size_t whylen)
{
	if (d->nuri == 0) {
		if (d->base[0] != '\0' || d->bind_dn[0] != '\0' ||
		    d->bind_pw_file[0] != '\0' || d->tls != KGW_DIR_TLS_UNSET ||
		    d->ca[0] != '\0')
			return refuse(why, whylen, "directory_* keys without "
			    "directory");
		return KGW_OK;
	}
	if (d->base[0] == '\0' || d->bind_dn[0] == '\0' ||
	    d->bind_pw_file[0] == '\0')
		return refuse(why, whylen, "a directory needs directory_base, "
		    "directory_bind_dn and directory_bind_password_file");
	if (d->tls == KGW_DIR_TLS_UNSET)
		return refuse(why, whylen, "a directory needs directory_tls "
		    "(ldaps, starttls, or none on loopback)");
	if (d->tls != KGW_DIR_TLS_NONE && d->ca[0] == '\0')
		return refuse(why, whylen, "directory_tls needs directory_ca, "
		    "the CA that signed the directory's certificate");
	return check_schemes(d, why, whylen);
}

static const char *
tls_name(enum kgw_dir_tls t)
{
	switch (t) {
	case KGW_DIR_TLS_LDAPS:
		return "ldaps";
	case KGW_DIR_TLS_STARTTLS:
		return "starttls";
	default:
		return "none";
	}
}

static int
append(char *out, size_t outlen, const char *key, const char *value)
{
	size_t len = strlen(out);
	int n;

	if (value[0] == '\0')
		return KGW_OK;
	n = snprintf(out + len, outlen - len, "%s = %s\n", key, value);
	return n >= 0 && (size_t)n < outlen - len ? KGW_OK : KGW_ERR_INVALID;
}

int
kgw_dir_conf_format(const struct kgw_dir_conf *d, char *out, size_t outlen)
{
	char uris[KGW_DIR_URIS_MAX * KGW_DIR_URI_MAX] = "", num[16];
	unsigned i;
	int r;

	if (outlen == 0)
		return KGW_ERR_INVALID;
	if (d->nuri == 0)
		return KGW_OK;
	for (i = 0; i < d->nuri; i++) {
		if (i > 0)
			(void)strncat(uris, " ",
			    sizeof(uris) - strlen(uris) - 1);
		(void)strncat(uris, d->uri[i], sizeof(uris) - strlen(uris) - 1);
	}
	r = append(out, outlen, "directory", uris);
	if (r == KGW_OK)
		r = append(out, outlen, "directory_base", d->base);
	if (r == KGW_OK)
		r = append(out, outlen, "directory_bind_dn", d->bind_dn);
	if (r == KGW_OK)
		r = append(out, outlen, "directory_bind_password_file",
		    d->bind_pw_file);
	if (r == KGW_OK)
		r = append(out, outlen, "directory_tls", tls_name(d->tls));
	if (r == KGW_OK)
		r = append(out, outlen, "directory_ca", d->ca);
	(void)snprintf(num, sizeof(num), "%u", d->timeout);
	if (r == KGW_OK)
		r = append(out, outlen, "directory_timeout", num);
	(void)snprintf(num, sizeof(num), "%u", d->offline);
	if (r == KGW_OK)
		r = append(out, outlen, "directory_offline", num);
	return r;
}
