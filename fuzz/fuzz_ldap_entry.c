/*
 * libFuzzer harness: a person's directory entry as the LDAP store reads
 * it (store_ldap_entry.c), the entry made up from the input: attribute
 * values of any bytes and length, several values where one is expected.
 * Invariants: a refused entry leaves nothing behind; an accepted one has
 * a valid name and zones, lengths that fit its arrays, and counts within
 * bounds; each key and pending value it accepted writes back to the very
 * bytes it read (a login names the value it saw, in a delete or in an
 * assertion: a second spelling of one value would never match).
 *
 * Input: a fault byte (fault_alloc.h), then records of an attribute
 * selector byte, a 2-byte length (little endian) and the value.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lber.h>

#include "fault_alloc.h"
#include "kgw_err.h"
#include "store_ldap.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VALUES_MAX 64

static const char *const attrs[] = {
	"uid", "kgwZones", "kgwPasswordHash", "kgwTotpSecret", "kgwTotpAlg",
	"kgwTotpDigits", "kgwTotpLastStep", "kgwTotpDrift",
	"kgwTotpDriftBase", "kgwTotpPending", "kgwFailCount",
	"kgwFailsSince", "kgwLockedUntil", "kgwDisabled", "kgwRole",
	"kgwExpires", "kgwPasswordTemporary", "kgwLastLogin", "kgwLastFrom",
	"kgwCreated", "kgwUpdated", "kgwFido2Key", "kgwFido2Counter",
	"kgwRecoveryCode",
};
#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))

/* The made-up entry: which attribute each value belongs to. */
static struct {
	size_t attr[VALUES_MAX];
	const uint8_t *val[VALUES_MAX];
	size_t len[VALUES_MAX];
	size_t n;
} entry;

/* ldap_get_values_len's contract: a NULL-terminated array, or NULL. */
static struct berval **
values(LDAP *ld, LDAPMessage *msg, const char *attr)
{
	struct berval **v = NULL;
	size_t i, n = 0, a;

	(void)ld;
	(void)msg;
	for (a = 0; a < NATTRS; a++)
		if (strcmp(attrs[a], attr) == 0)
			break;
	for (i = 0; i < entry.n; i++)
		if (entry.attr[i] == a) {
			struct berval **grown = ber_memrealloc(v,
			    (n + 2) * sizeof(struct berval *));

			if (grown == NULL)
				break;
			v = grown;
			v[n] = ber_memalloc(sizeof(**v));
			if (v[n] == NULL)
				break;
			v[n]->bv_len = entry.len[i];
			v[n]->bv_val = ber_memalloc(entry.len[i] + 1);
			if (v[n]->bv_val == NULL) {
				ber_memfree(v[n]);
				break;
			}
			memcpy(v[n]->bv_val, entry.val[i], entry.len[i]);
			v[++n] = NULL;
		}
	if (v != NULL)
		v[n] = NULL;
	return v;
}

static void
take(const uint8_t *data, size_t size)
{
	size_t len;

	entry.n = 0;
	while (size >= 3 && entry.n < VALUES_MAX) {
		entry.attr[entry.n] = data[0] % NATTRS;
		len = (size_t)data[1] | (size_t)data[2] << 8;
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		entry.val[entry.n] = data;
		entry.len[entry.n] = len;
		entry.n++;
		data += len;
		size -= len;
	}
}

/* Every accepted key value writes back to the bytes read. */
static void
keys_round_trip(const struct kgw_fido2_rec *keys, size_t n)
{
	char back[KGW_LD_VALUE_MAX];
	size_t i, j, found;

	for (i = 0; i < n; i++) {
		if (keys[i].id_len == 0 || keys[i].id_len > KGW_FIDO2_ID_MAX ||
		    keys[i].sealed_len > KGW_FIDO2_SEALED_MAX ||
		    keys[i].sign_count < 0 || keys[i].sign_count > UINT32_MAX)
			abort();
		if (kgw_ld_fido2_key_value(&keys[i], back, sizeof(back)) !=
		    KGW_OK)
			abort();
		for (j = 0, found = 0; j < entry.n; j++)
			if (strcmp(attrs[entry.attr[j]], "kgwFido2Key") == 0 &&
			    entry.len[j] == strlen(back) &&
			    memcmp(entry.val[j], back, entry.len[j]) == 0)
				found++;
		if (found == 0)
			abort();
	}
}

static void
pending_round_trip(void)
{
	struct kgw_totp_pending p;
	char back[KGW_LD_VALUE_MAX];
	size_t i;

	for (i = 0; i < entry.n; i++) {
		if (strcmp(attrs[entry.attr[i]], "kgwTotpPending") != 0 ||
		    kgw_ld_pending_parse((const char *)entry.val[i],
		    entry.len[i], &p) != KGW_OK)
			continue;
		if (kgw_ld_pending_value(&p, back, sizeof(back)) != KGW_OK ||
		    strlen(back) != entry.len[i] ||
		    memcmp(back, entry.val[i], entry.len[i]) != 0)
			abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fault_alloc_setup();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ldap_store ls;
	struct kgw_fido2_rec keys[KGW_FIDO2_CREDS_MAX];
	struct kgw_user_rec rec;
	unsigned long nth = fault_alloc_take(&data, &size);
	size_t n = 0;
	int r;

	take(data, size);
	memset(&ls, 0, sizeof(ls));
	ls.values = values;
	fault_alloc_arm(nth);
	r = kgw_ld_entry_user(&ls, NULL, &rec);
	if (r == KGW_OK) {
		if (!kgw_username_valid(rec.name) ||
		    !kgw_zone_list_valid(rec.zones) ||
		    rec.totp_sealed_len > sizeof(rec.totp_sealed) ||
		    (rec.totp_sealed_len > 0 && rec.totp_digits != 6 &&
		    rec.totp_digits != 8) ||
		    rec.fido2_count > KGW_FIDO2_CREDS_MAX ||
		    rec.backup_left > VALUES_MAX || rec.totp_last_step < -1)
			abort();
	} else {
		/* Refused: nothing left in the record. */
		if (rec.name[0] != '\0' || rec.totp_sealed_len != 0)
			abort();
	}
	if (kgw_ld_entry_fido2(&ls, NULL, "fuzz", keys, KGW_FIDO2_CREDS_MAX,
	    &n) == KGW_OK && !fault_alloc_fired())
		keys_round_trip(keys, n);
	else if (n != 0)
		abort();
	if (!fault_alloc_fired())
		pending_round_trip();
	(void)fault_alloc_disarm();
	return 0;
}
