/*
 * libFuzzer harness: the credential layout a sealed security key opens
 * to (kgw_fido2_cred_decode). Whatever the bytes, it must refuse or give a
 * credential whose lengths fit its arrays and whose algorithm is one we
 * verify with; a valid result must encode back to the same bytes.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kgw_err.h"
#include "kgw_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kgw_fido2_cred c;

	if (kgw_fido2_cred_decode(data, size, &c) != KGW_OK)
		return 0;
	if (c.pk_len > sizeof(c.pk) || c.id_len == 0 ||
	    c.id_len > sizeof(c.id) || 2 + c.pk_len + c.id_len != size ||
	    (c.alg != KGW_FIDO2_ES256 && c.alg != KGW_FIDO2_EDDSA) ||
	    memcmp(c.pk, data + 2, c.pk_len) != 0 ||
	    memcmp(c.id, data + 2 + c.pk_len, c.id_len) != 0)
		abort();
	return 0;
}
