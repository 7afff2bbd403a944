/*
 * A person's directory entry read into the store's records. Everything
 * in it is untrusted input: each value is length-checked and parsed
 * strictly, and an entry that does not parse refuses the login.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/crypto.h>

#include "kgw_err.h"
#include "kgw_role.h"
#include "kgw_str.h"
#include "kgw_totp.h"
#include "kgw_zone.h"
#include "store_ldap.h"

/* What a login and the tool read: every attribute of kgwStaff. */
static const char *const user_attrs[] = {
	"uid", "kgwZones", "kgwPasswordHash", "kgwTotpSecret", "kgwTotpAlg",
	"kgwTotpDigits", "kgwTotpLastStep", "kgwTotpDrift",
	"kgwTotpDriftBase", "kgwTotpPending", "kgwFailCount",
	"kgwFailsSince", "kgwLockedUntil", "kgwDisabled", "kgwRole",
	"kgwExpires", "kgwPasswordTemporary", "kgwLastLogin", "kgwLastFrom",
	"kgwCreated", "kgwUpdated", "kgwFido2Key", "kgwFido2Counter",
	"kgwRecoveryCode", NULL
};

int
kgw_ld_dn(const struct ldap_store *ls, const char *name, char *dn,
    size_t dnlen)
{
	int n;

	/* Valid user names hold no DN special characters (kgw_user.h). */
	if (!kgw_username_valid(name))
		return KGW_ERR_INVALID;
	n = snprintf(dn, dnlen, "uid=%s,%s", name, ls->dir.base);
	return n >= 0 && (size_t)n < dnlen ? KGW_OK : KGW_ERR_INVALID;
}

int
kgw_ld_escape(const void *p, size_t len, char *out, size_t outlen)
{
	const unsigned char *b = p;
	size_t i;

	if (outlen < len * 3 + 1)
		return KGW_ERR_INVALID;
	for (i = 0; i < len; i++)
		(void)snprintf(out + i * 3, 4, "\\%02x", b[i]);
	out[len * 3] = '\0';
	return KGW_OK;
}

int
kgw_ld_term(char *out, size_t outlen, const char *attr, const void *v,
    size_t len)
{
	int n = snprintf(out, outlen, "(%s=", attr);

	if (n < 0 || (size_t)n + len * 3 + 2 > outlen ||
	    kgw_ld_escape(v, len, out + n, outlen - (size_t)n - 1) != KGW_OK)
		return KGW_ERR_INVALID;
	(void)strncat(out, ")", outlen - strlen(out) - 1);
	return KGW_OK;
}

int
kgw_ld_get_entry(struct ldap_store *ls, bool fresh, const char *name,
    LDAPMessage **res, LDAPMessage **entry)
{
	LDAP *ld = fresh && ls->wr != NULL ? ls->wr : ls->ld;
	char dn[KGW_DIR_DN_MAX + 64];
	char *attrs[sizeof(user_attrs) / sizeof(user_attrs[0])];
	struct timeval tv;
	size_t i;
	int r, rc;

	*res = NULL;
	*entry = NULL;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		attrs[i] = kgw_ld_unconst(user_attrs[i]);
	if ((r = kgw_ld_dn(ls, name, dn, sizeof(dn))) != KGW_OK)
		return r;
	if (ld == NULL)
		return KGW_ERR_STORE;
	tv.tv_sec = (time_t)(ls->dir.timeout / 1000);
	tv.tv_usec = (suseconds_t)(ls->dir.timeout % 1000) * 1000;
	rc = ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE,
	    "(objectClass=kgwStaff)", attrs, 0, NULL, NULL, &tv,
	    2, res);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		ldap_msgfree(*res);
		*res = NULL;
		return KGW_ERR_NOT_FOUND;
	}
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(*res);
		*res = NULL;
		return kgw_ld_fail(ls, "search", rc);
	}
	if (ldap_count_entries(ld, *res) != 1 ||
	    (*entry = ldap_first_entry(ld, *res)) == NULL) {
		ldap_msgfree(*res);
		*res = NULL;
		return KGW_ERR_NOT_FOUND;
	}
	return KGW_OK;
}

struct berval **
kgw_ld_values(const struct ldap_store *ls, LDAPMessage *entry,
    const char *attr)
{
	return ls->values(ls->ld, entry, attr);
}

/*
 * The single value of attr: KGW_ERR_NOT_FOUND when absent, KGW_ERR_STORE
 * when several or longer than max.
 */
static int
one_value(const struct ldap_store *ls, LDAPMessage *entry, const char *attr,
    size_t max, struct berval ***vals)
{
	*vals = kgw_ld_values(ls, entry, attr);
	if (*vals == NULL || (*vals)[0] == NULL) {
		ldap_value_free_len(*vals);
		*vals = NULL;
		return KGW_ERR_NOT_FOUND;
	}
	if ((*vals)[1] != NULL || (*vals)[0]->bv_len > max) {
		ldap_value_free_len(*vals);
		*vals = NULL;
		return KGW_ERR_STORE;
	}
	return KGW_OK;
}

/* A decimal INTEGER value within [min, max], as slapd normalises it. */
static bool
parse_int(const char *p, size_t len, int64_t min, int64_t max,
    int64_t *out)
{
	char buf[24], *end;
	long long v;

	if (len == 0 || len >= sizeof(buf) || memchr(p, '\0', len) != NULL)
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	/* The one way we write it: no sign but '-', no leading zero, no -0. */
	if (!(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
		return false;
	if ((buf[0] == '0' && len > 1) || (buf[0] == '-' && (len == 1 ||
	    buf[1] == '0')))
		return false;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* An absent value is def when optional; required ones must be there. */
static bool
get_int(const struct ldap_store *ls, LDAPMessage *entry, const char *attr,
    int64_t min, int64_t max, bool required, int64_t def, int64_t *out)
{
	struct berval **v;
	bool ok;
	int r = one_value(ls, entry, attr, 24, &v);

	if (r == KGW_ERR_NOT_FOUND) {
		*out = def;
		return !required;
	}
	if (r != KGW_OK)
		return false;
	ok = parse_int(v[0]->bv_val, v[0]->bv_len, min, max, out);
	ldap_value_free_len(v);
	return ok;
}

/* Text without NUL or control bytes; absent is "". */
static bool
get_text(const struct ldap_store *ls, LDAPMessage *entry, const char *attr,
    char *out, size_t outlen)
{
	struct berval **v;
	size_t i;
	int r = one_value(ls, entry, attr, outlen - 1, &v);

	out[0] = '\0';
	if (r == KGW_ERR_NOT_FOUND)
		return true;
	if (r != KGW_OK)
		return false;
	for (i = 0; i < v[0]->bv_len; i++)
		if ((unsigned char)v[0]->bv_val[i] < 0x20 ||
		    v[0]->bv_val[i] == 0x7f) {
			ldap_value_free_len(v);
			return false;
		}
	memcpy(out, v[0]->bv_val, v[0]->bv_len);
	out[v[0]->bv_len] = '\0';
	ldap_value_free_len(v);
	return true;
}

static bool
get_bool(const struct ldap_store *ls, LDAPMessage *entry, const char *attr,
    bool *out)
{
	char buf[8];

	if (!get_text(ls, entry, attr, buf, sizeof(buf)))
		return false;
	*out = strcmp(buf, "TRUE") == 0;
	return buf[0] == '\0' || *out || strcmp(buf, "FALSE") == 0;
}

static bool
get_blob(const struct ldap_store *ls, LDAPMessage *entry, const char *attr,
    unsigned char *out, size_t outlen, size_t *len)
{
	struct berval **v;
	int r = one_value(ls, entry, attr, outlen, &v);

	*len = 0;
	if (r == KGW_ERR_NOT_FOUND)
		return true;
	if (r != KGW_OK)
		return false;
	memcpy(out, v[0]->bv_val, v[0]->bv_len);
	*len = v[0]->bv_len;
	ldap_value_free_len(v);
	return true;
}

/* Returns the first bad attribute's name, or NULL. */
static const char *
entry_state(const struct ldap_store *ls, LDAPMessage *e,
    struct kgw_user_rec *rec)
{
	int64_t v;

	if (!get_bool(ls, e, "kgwDisabled", &rec->disabled))
		return "kgwDisabled";
	if (!get_int(ls, e, "kgwTotpLastStep", -1, INT64_MAX, true, -1,
	    &rec->totp_last_step))
		return "kgwTotpLastStep";
	/* Counts only grow by increments: past UINT_MAX they stay locked. */
	if (!get_int(ls, e, "kgwFailCount", 0, INT64_MAX, true, 0, &v))
		return "kgwFailCount";
	rec->fail_count = v > UINT32_MAX ? UINT32_MAX : (unsigned)v;
	if (!get_int(ls, e, "kgwFailsSince", 0, INT64_MAX, true, 0, &v))
		return "kgwFailsSince";
	rec->fails_since = v > UINT32_MAX ? UINT32_MAX : (unsigned)v;
	if (!get_int(ls, e, "kgwLockedUntil", 0, INT64_MAX, true, 0,
	    &rec->locked_until))
		return "kgwLockedUntil";
	if (!get_int(ls, e, "kgwCreated", 0, INT64_MAX, true, 0,
	    &rec->created))
		return "kgwCreated";
	if (!get_int(ls, e, "kgwUpdated", 0, INT64_MAX, false, rec->created,
	    &rec->updated))
		return "kgwUpdated";
	if (!get_text(ls, e, "kgwZones", rec->zones, sizeof(rec->zones)) ||
	    !kgw_zone_list_valid(rec->zones))
		return "kgwZones";
	return NULL;
}

static const char *
entry_factors(const struct ldap_store *ls, LDAPMessage *e,
    struct kgw_user_rec *rec)
{
	int64_t alg, digits;

	if (!get_text(ls, e, "kgwPasswordHash", rec->pwhash,
	    sizeof(rec->pwhash)))
		return "kgwPasswordHash";
	if (!get_blob(ls, e, "kgwTotpSecret", rec->totp_sealed,
	    sizeof(rec->totp_sealed), &rec->totp_sealed_len) ||
	    (rec->totp_sealed_len != 0 &&
	    rec->totp_sealed_len <= KGW_SEAL_OVERHEAD))
		return "kgwTotpSecret";
	if (rec->totp_sealed_len == 0)
		return NULL;
	if (!get_int(ls, e, "kgwTotpAlg", 0, INT32_MAX, true, 0, &alg) ||
	    kgw_totp_alg_name((enum kgw_totp_alg)alg) == NULL)
		return "kgwTotpAlg";
	rec->totp_alg = (enum kgw_totp_alg)alg;
	if (!get_int(ls, e, "kgwTotpDigits", 6, 8, true, 6, &digits) ||
	    digits == 7)
		return "kgwTotpDigits";
	rec->totp_digits = (unsigned)digits;
	return NULL;
}

/* The drift, as the SQLite store bounds it (store_sqlite_stmt.c). */
static const char *
entry_drift(const struct ldap_store *ls, LDAPMessage *e,
    struct kgw_user_rec *rec)
{
	const int64_t far = KGW_TOTP_RESYNC_STEPS + KGW_TOTP_DRIFT_MAX;

	if (!get_int(ls, e, "kgwTotpDriftBase", -KGW_TOTP_RESYNC_STEPS,
	    KGW_TOTP_RESYNC_STEPS, false, 0, &rec->totp_drift_base))
		return "kgwTotpDriftBase";
	if (!get_int(ls, e, "kgwTotpDrift", -far, far, false, 0,
	    &rec->totp_drift))
		return "kgwTotpDrift";
	return NULL;
}

static const char *
entry_account(const struct ldap_store *ls, LDAPMessage *e,
    struct kgw_user_rec *rec)
{
	struct berval **v;

	if (!get_text(ls, e, "kgwRole", rec->role, sizeof(rec->role)) ||
	    (rec->role[0] != '\0' && !kgw_role_name_valid(rec->role)))
		return "kgwRole";
	if (!get_int(ls, e, "kgwExpires", 0, INT64_MAX, false, 0,
	    &rec->expires))
		return "kgwExpires";
	if (!get_bool(ls, e, "kgwPasswordTemporary", &rec->pw_temporary))
		return "kgwPasswordTemporary";
	if (!get_int(ls, e, "kgwLastLogin", 0, INT64_MAX, false, 0,
	    &rec->last_login))
		return "kgwLastLogin";
	if (!get_text(ls, e, "kgwLastFrom", rec->last_from,
	    sizeof(rec->last_from)))
		return "kgwLastFrom";
	v = kgw_ld_values(ls, e, "kgwTotpPending");
	rec->totp_pending = v != NULL && v[0] != NULL;
	ldap_value_free_len(v);
	return NULL;
}

/*
 * The value layouts: space-separated fields, binary ones in upper-case
 * hex (OpenSSL's encoder), numbers in decimal. One canonical form, so
 * that a login can name the exact value it saw in a delete-old + add-new
 * modify. Read back, anything not in that form is refused.
 */
static int
hex(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	if (len == 0 || OPENSSL_buf2hexstr_ex(out, outlen, &n, p, len, '\0') !=
	    1)
		return KGW_ERR_INVALID;
	return KGW_OK;
}

int
kgw_ld_fido2_key_value(const struct kgw_fido2_rec *rec, char *out,
    size_t outlen)
{
	char id[KGW_FIDO2_ID_MAX * 2 + 1], sealed[KGW_FIDO2_SEALED_MAX * 2 + 1];
	char aaguid[KGW_FIDO2_AAGUID_LEN * 2 + 1];
	int n;

	if (!kgw_fido2_label_valid(rec->label) ||
	    hex(rec->id, rec->id_len, id, sizeof(id)) != KGW_OK ||
	    hex(rec->sealed, rec->sealed_len, sealed, sizeof(sealed)) !=
	    KGW_OK ||
	    hex(rec->aaguid, sizeof(rec->aaguid), aaguid, sizeof(aaguid)) !=
	    KGW_OK)
		return KGW_ERR_INVALID;
	n = snprintf(out, outlen, "%s %s %s %s %" PRId64, rec->label, id,
	    sealed, aaguid, rec->created);
	return n > 0 && (size_t)n < outlen ? KGW_OK : KGW_ERR_INVALID;
}

int
kgw_ld_fido2_counter_value(const unsigned char *id, size_t id_len,
    int64_t count, bool flagged, int64_t last_used, char *out, size_t outlen)
{
	char idh[KGW_FIDO2_ID_MAX * 2 + 1];
	int n;

	if (hex(id, id_len, idh, sizeof(idh)) != KGW_OK)
		return KGW_ERR_INVALID;
	n = snprintf(out, outlen, "%s %" PRId64 " %d %" PRId64, idh, count,
	    flagged ? 1 : 0, last_used);
	return n > 0 && (size_t)n < outlen ? KGW_OK : KGW_ERR_INVALID;
}

int
kgw_ld_recovery_value(enum kgw_recovery_kind kind, const unsigned char *hash,
    int64_t expires, char *out, size_t outlen)
{
	char h[KGW_RECOVERY_HASH_LEN * 2 + 1];
	int n;

	if (hex(hash, KGW_RECOVERY_HASH_LEN, h, sizeof(h)) != KGW_OK)
		return KGW_ERR_INVALID;
	if (kind == KGW_RECOVERY_BACKUP)
		n = snprintf(out, outlen, "backup %s", h);
	else if (kind == KGW_RECOVERY_TEMP)
		n = snprintf(out, outlen, "temp %" PRId64 " %s", expires, h);
	else
		return KGW_ERR_INVALID;
	return n > 0 && (size_t)n < outlen ? KGW_OK : KGW_ERR_INVALID;
}

int
kgw_ld_pending_value(const struct kgw_totp_pending *p, char *out,
    size_t outlen)
{
	char sealed[KGW_SEALED_MAX * 2 + 1];
	int n;

	if (hex(p->sealed, p->sealed_len, sealed, sizeof(sealed)) != KGW_OK)
		return KGW_ERR_INVALID;
	n = snprintf(out, outlen, "%d %u %" PRId64 " %s", (int)p->alg,
	    p->digits, p->created, sealed);
	return n > 0 && (size_t)n < outlen ? KGW_OK : KGW_ERR_INVALID;
}

/* Splits a value into at most max fields (copied into buf, cut there). */
static size_t
split(const char *v, size_t len, char *buf, size_t buflen, char **f,
    size_t max)
{
	size_t n = 0, i;

	if (len == 0 || len >= buflen || memchr(v, '\0', len) != NULL)
		return 0;
	memcpy(buf, v, len);
	buf[len] = '\0';
	for (i = 0; i <= len && n < max; ) {
		f[n++] = buf + i;
		while (i < len && buf[i] != ' ')
			i++;
		if (i == len)
			break;
		buf[i++] = '\0';
	}
	return i == len ? n : 0;	/* more fields than max: refused */
}

/* Upper-case hex of 1..max bytes, decoded by OpenSSL. */
static bool
unhex(const char *s, unsigned char *out, size_t max, size_t *len)
{
	size_t i, n = strlen(s);

	if (n == 0 || n % 2 != 0 || n / 2 > max)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' &&
		    s[i] <= 'F')))
			return false;
	return OPENSSL_hexstr2buf_ex(out, max, len, s, '\0') == 1 &&
	    *len == n / 2;
}

static bool
num(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return parse_int(s, strlen(s), min, max, out);
}

int
kgw_ld_pending_parse(const char *v, size_t len, struct kgw_totp_pending *p)
{
	char buf[KGW_LD_VALUE_MAX], *f[4];
	int64_t alg, digits;

	memset(p, 0, sizeof(*p));
	if (split(v, len, buf, sizeof(buf), f, 4) != 4 ||
	    !num(f[0], 0, INT32_MAX, &alg) ||
	    kgw_totp_alg_name((enum kgw_totp_alg)alg) == NULL ||
	    !num(f[1], 6, 8, &digits) || digits == 7 ||
	    !num(f[2], 0, INT64_MAX, &p->created) ||
	    !unhex(f[3], p->sealed, sizeof(p->sealed), &p->sealed_len) ||
	    p->sealed_len <= KGW_SEAL_OVERHEAD) {
		memset(p, 0, sizeof(*p));
		return KGW_ERR_STORE;
	}
	p->alg = (enum kgw_totp_alg)alg;
	p->digits = (unsigned)digits;
	return KGW_OK;
}

/* One kgwFido2Key value; its counter comes from kgwFido2Counter. */
static bool
parse_key(const struct berval *v, struct kgw_fido2_rec *rec)
{
	char buf[KGW_LD_VALUE_MAX], *f[5];
	size_t aaguid_len = 0;

	memset(rec, 0, sizeof(*rec));
	return split(v->bv_val, v->bv_len, buf, sizeof(buf), f, 5) == 5 &&
	    kgw_fido2_label_valid(f[0]) &&
	    kgw_strcopy(rec->label, sizeof(rec->label), f[0]) == KGW_OK &&
	    unhex(f[1], rec->id, sizeof(rec->id), &rec->id_len) &&
	    unhex(f[2], rec->sealed, sizeof(rec->sealed), &rec->sealed_len) &&
	    rec->sealed_len > KGW_SEAL_OVERHEAD &&
	    unhex(f[3], rec->aaguid, sizeof(rec->aaguid), &aaguid_len) &&
	    aaguid_len == KGW_FIDO2_AAGUID_LEN &&
	    num(f[4], 0, INT64_MAX, &rec->created);
}

/* The counter value of the key with rec's id: fills the counter fields. */
static bool
parse_counter(struct berval **vals, struct kgw_fido2_rec *rec)
{
	unsigned char id[KGW_FIDO2_ID_MAX];
	char buf[KGW_LD_VALUE_MAX], *f[4];
	size_t i, id_len, found = 0;
	int64_t flagged;

	for (i = 0; vals != NULL && vals[i] != NULL; i++) {
		if (split(vals[i]->bv_val, vals[i]->bv_len, buf, sizeof(buf), f,
		    4) != 4 || !unhex(f[0], id, sizeof(id), &id_len))
			return false;
		if (id_len != rec->id_len || memcmp(id, rec->id, id_len) != 0)
			continue;
		if (found++ > 0 ||
		    !num(f[1], 0, UINT32_MAX, &rec->sign_count) ||
		    !num(f[2], 0, 1, &flagged) ||
		    !num(f[3], 0, INT64_MAX, &rec->last_used))
			return false;
		rec->flagged = flagged != 0;
	}
	return found == 1;
}

int
kgw_ld_entry_fido2(const struct ldap_store *ls, LDAPMessage *entry,
    const char *user, struct kgw_fido2_rec *recs, size_t max, size_t *n)
{
	struct berval **keys = kgw_ld_values(ls, entry, "kgwFido2Key");
	struct berval **counters = kgw_ld_values(ls, entry, "kgwFido2Counter");
	size_t i;
	int r = KGW_OK;

	*n = 0;
	for (i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (i >= max || i >= KGW_FIDO2_CREDS_MAX ||
		    !parse_key(keys[i], &recs[i]) ||
		    !parse_counter(counters, &recs[i])) {
			kgw_log_err(ls->base.log, "directory entry invalid: "
			    "user=%s attribute=kgwFido2Key", user);
			r = KGW_ERR_STORE;
			break;
		}
		*n = i + 1;
	}
	ldap_value_free_len(keys);
	ldap_value_free_len(counters);
	if (r != KGW_OK) {
		memset(recs, 0, max * sizeof(*recs));
		*n = 0;
	}
	return r;
}

/* Counts the unused codes: backups, and the temp code's end. */
static const char *
entry_recovery(const struct ldap_store *ls, LDAPMessage *e,
    struct kgw_user_rec *rec)
{
	struct berval **v = kgw_ld_values(ls, e, "kgwRecoveryCode");
	char buf[KGW_LD_VALUE_MAX], *f[3];
	unsigned char h[KGW_RECOVERY_HASH_LEN];
	size_t i, n, hlen;
	const char *bad = NULL;

	for (i = 0; v != NULL && v[i] != NULL && bad == NULL; i++) {
		n = split(v[i]->bv_val, v[i]->bv_len, buf, sizeof(buf), f, 3);
		if (n == 2 && strcmp(f[0], "backup") == 0 &&
		    unhex(f[1], h, sizeof(h), &hlen) && hlen == sizeof(h))
			rec->backup_left++;
		else if (n == 3 && strcmp(f[0], "temp") == 0 &&
		    rec->temp_expires == 0 &&
		    num(f[1], 1, INT64_MAX, &rec->temp_expires) &&
		    unhex(f[2], h, sizeof(h), &hlen) && hlen == sizeof(h))
			continue;
		else
			bad = "kgwRecoveryCode";
	}
	ldap_value_free_len(v);
	return bad;
}

int
kgw_ld_entry_user(const struct ldap_store *ls, LDAPMessage *entry,
    struct kgw_user_rec *rec)
{
	struct kgw_fido2_rec keys[KGW_FIDO2_CREDS_MAX];
	const char *bad;
	size_t n = 0, i;

	memset(rec, 0, sizeof(*rec));
	if (!get_text(ls, entry, "uid", rec->name, sizeof(rec->name)) ||
	    !kgw_username_valid(rec->name)) {
		kgw_log_err(ls->base.log, "directory entry invalid: "
		    "attribute=uid");
		goto fail;
	}
	if ((bad = entry_state(ls, entry, rec)) != NULL ||
	    (bad = entry_factors(ls, entry, rec)) != NULL ||
	    (bad = entry_drift(ls, entry, rec)) != NULL ||
	    (bad = entry_account(ls, entry, rec)) != NULL ||
	    (bad = entry_recovery(ls, entry, rec)) != NULL) {
		kgw_log_err(ls->base.log, "directory entry invalid: user=%s "
		    "attribute=%s", rec->name, bad);
		goto fail;
	}
	if (kgw_ld_entry_fido2(ls, entry, rec->name, keys, KGW_FIDO2_CREDS_MAX,
	    &n) != KGW_OK)
		goto fail;
	for (i = 0; i < n; i++)
		if (!keys[i].flagged)
			rec->fido2_count++;
	explicit_bzero(keys, sizeof(keys));
	return KGW_OK;
fail:
	memset(rec, 0, sizeof(*rec));
	return KGW_ERR_STORE;
}
