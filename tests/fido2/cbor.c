/*
 * Small libcbor helpers: look up a request's parameters with their types
 * checked, and add pairs to a reply map without leaking on failure.
 *
 * libfido2 reads a reply map only if it is CTAP2 canonical: keys added in
 * order (integers before strings, integers ascending, shorter strings
 * first, then bytewise), integer keys of non-decreasing CBOR width. Any
 * other order is FIDO_ERR_RX_INVALID_CBOR; GetInfo's then makes
 * fido_dev_open fall back to U2F without a word.
 */
#include <config.h>

#include <string.h>

#include "sk.h"

/* The value under integer KEY (any width, positive or negative), or NULL. */
const cbor_item_t *
sk_map_get(const cbor_item_t *map, int64_t key)
{
	const struct cbor_pair *pairs;
	size_t i, n;
	int64_t k;

	if (map == NULL || !cbor_isa_map(map))
		return NULL;
	pairs = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (i = 0; i < n; i++)
		if (sk_get_int(pairs[i].key, &k) == 0 && k == key)
			return pairs[i].value;
	return NULL;
}

/* The value under text KEY, or NULL. */
const cbor_item_t *
sk_map_get_str(const cbor_item_t *map, const char *key)
{
	const struct cbor_pair *pairs;
	size_t i, n, len = strlen(key);

	if (map == NULL || !cbor_isa_map(map))
		return NULL;
	pairs = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (i = 0; i < n; i++)
		if (cbor_isa_string(pairs[i].key) &&
		    cbor_string_is_definite(pairs[i].key) &&
		    cbor_string_length(pairs[i].key) == len &&
		    memcmp(cbor_string_handle(pairs[i].key), key, len) == 0)
			return pairs[i].value;
	return NULL;
}

/* A definite byte string; a zero-length one has ptr NULL. */
int
sk_get_bytes(const cbor_item_t *item, const unsigned char **ptr,
    size_t *len)
{
	if (item == NULL || !cbor_isa_bytestring(item) ||
	    !cbor_bytestring_is_definite(item))
		return -1;
	*ptr = cbor_bytestring_handle(item);
	*len = cbor_bytestring_length(item);
	return 0;
}

/* A definite text string, copied with a NUL into BUF. */
int
sk_get_text(const cbor_item_t *item, char *buf, size_t size)
{
	size_t len;

	if (item == NULL || !cbor_isa_string(item) ||
	    !cbor_string_is_definite(item) ||
	    (len = cbor_string_length(item)) >= size)
		return -1;
	if (len > 0)
		memcpy(buf, cbor_string_handle(item), len);
	buf[len] = '\0';
	return 0;
}

/* An integer, positive or negative, that fits in int64_t. */
int
sk_get_int(const cbor_item_t *item, int64_t *val)
{
	uint64_t v;

	if (item == NULL || (!cbor_isa_uint(item) && !cbor_isa_negint(item)))
		return -1;
	if ((v = cbor_get_int(item)) > INT64_MAX)
		return -1;
	*val = cbor_isa_uint(item) ? (int64_t)v : -1 - (int64_t)v;
	return 0;
}

/*
 * Option NAME of an options map into *val: -1 absent, 0 false, 1 true.
 * Returns -1 when the map or the option is not of the right type.
 */
int
sk_get_option(const cbor_item_t *opts, const char *name, int *val)
{
	const cbor_item_t *v;

	*val = -1;
	if (opts == NULL)
		return 0;
	if (!cbor_isa_map(opts))
		return -1;
	if ((v = sk_map_get_str(opts, name)) == NULL)
		return 0;
	if (!cbor_is_bool(v))
		return -1;
	*val = cbor_get_bool(v) ? 1 : 0;
	return 0;
}

/*
 * Adds KEY: VAL to MAP and drops the caller's references, so that calls
 * can be chained on freshly built items; NULL items (a failed build) fail.
 */
int
sk_map_put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *val)
{
	struct cbor_pair pair;
	int r = -1;

	if (key != NULL && val != NULL) {
		pair.key = key;
		pair.value = val;
		if (cbor_map_add(map, pair))
			r = 0;
	}
	if (key != NULL)
		cbor_decref(&key);
	if (val != NULL)
		cbor_decref(&val);
	return r;
}
