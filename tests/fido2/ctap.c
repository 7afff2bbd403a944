/*
 * CTAP2 command dispatch (the payload of a CTAPHID_CBOR message): a command
 * byte and a CBOR map in, a status byte and a CBOR map out. GetInfo lives
 * here; the other commands in cred.c and pin.c.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "sk.h"

#define CMD_MAKE_CRED	0x01
#define CMD_GET_ASSERT	0x02
#define CMD_GET_INFO	0x04
#define CMD_CLIENT_PIN	0x06

typedef int handler_t(struct sk_dev *, const cbor_item_t *, cbor_item_t **);

/* Whether the user touches the key: yes, refuses, or never answers. */
int
sk_presence(const struct sk_dev *dev)
{
	switch (dev->st.touch) {
	case SK_TOUCH_YES:
		return SK_OK;
	case SK_TOUCH_NO:
		return SK_ERR_OPERATION_DENIED;
	default:
		return SK_STALL;
	}
}

static cbor_item_t *
one_item_array(cbor_item_t *item)
{
	cbor_item_t *arr;

	if (item == NULL)
		return NULL;
	if ((arr = cbor_new_definite_array(1)) != NULL &&
	    !cbor_array_push(arr, item))
		cbor_decref(&arr);
	cbor_decref(&item);
	return arr;
}

/* Keys in CTAP2 canonical order (shorter first), or libfido2 refuses. */
static cbor_item_t *
info_options(const struct sk_dev *dev)
{
	cbor_item_t *map;
	bool uv = dev->st.uv_builtin;

	if ((map = cbor_new_definite_map(uv ? 5 : 4)) == NULL)
		return NULL;
	if (sk_map_put(map, cbor_build_string("rk"), cbor_build_bool(false)) <
	    0 || sk_map_put(map, cbor_build_string("up"),
	    cbor_build_bool(true)) < 0 ||
	    (uv && sk_map_put(map, cbor_build_string("uv"),
	    cbor_build_bool(true)) < 0) ||
	    sk_map_put(map, cbor_build_string("plat"),
	    cbor_build_bool(false)) < 0 ||
	    sk_map_put(map, cbor_build_string("clientPin"),
	    cbor_build_bool(dev->st.has_pin)) < 0)
		cbor_decref(&map);
	return map;
}

static int
get_info(struct sk_dev *dev, const cbor_item_t *req, cbor_item_t **reply)
{
	(void)req;
	if ((*reply = cbor_new_definite_map(5)) == NULL)
		return SK_ERR_OTHER;
	if (sk_map_put(*reply, cbor_build_uint8(1),
	    one_item_array(cbor_build_string("FIDO_2_0"))) < 0 ||
	    sk_map_put(*reply, cbor_build_uint8(3),
	    cbor_build_bytestring(dev->st.aaguid, SK_AAGUID_LEN)) < 0 ||
	    sk_map_put(*reply, cbor_build_uint8(4), info_options(dev)) < 0 ||
	    sk_map_put(*reply, cbor_build_uint8(5),
	    cbor_build_uint16(SK_MAXMSG)) < 0 ||
	    sk_map_put(*reply, cbor_build_uint8(6),
	    one_item_array(cbor_build_uint8(1))) < 0)
		return SK_ERR_OTHER;
	return SK_OK;
}

static handler_t *
handler_of(unsigned char cmd)
{
	switch (cmd) {
	case CMD_MAKE_CRED:
		return sk_make_cred;
	case CMD_GET_ASSERT:
		return sk_get_assert;
	case CMD_GET_INFO:
		return get_info;
	case CMD_CLIENT_PIN:
		return sk_client_pin;
	default:
		return NULL;
	}
}

/* Runs the command; *reply is the CBOR map of a successful one. */
static int
run(struct sk_dev *dev, const unsigned char *req, size_t len,
    cbor_item_t **reply)
{
	struct cbor_load_result res;
	cbor_item_t *params = NULL;
	handler_t *h;
	int st;

	if (len > SK_MAXMSG)
		return SK_ERR_REQUEST_TOO_LARGE;
	if ((h = handler_of(req[0])) == NULL)
		return SK_ERR_INVALID_COMMAND;
	if (req[0] == CMD_GET_INFO)
		return h(dev, NULL, reply);
	if (len < 2)
		return SK_ERR_MISSING_PARAMETER;
	if ((params = cbor_load(req + 1, len - 1, &res)) == NULL ||
	    res.read != len - 1 || !cbor_isa_map(params))
		st = SK_ERR_INVALID_CBOR;
	else
		st = h(dev, params, reply);
	if (params != NULL)
		cbor_decref(&params);
	return st;
}

/*
 * One CTAP2 request (LEN >= 1). Returns 0 with the reply in *out (status
 * byte, then CBOR; free it), SK_STALL when the request waits for a touch
 * that never comes, or -1 when even an error reply could not be built.
 */
int
sk_ctap_request(struct sk_dev *dev, const unsigned char *req, size_t len,
    unsigned char **out, size_t *outlen)
{
	cbor_item_t *reply = NULL;
	unsigned char *buf = NULL;
	size_t bufsize = 0, n = 0;
	int st;

	*out = NULL;
	st = run(dev, req, len, &reply);
	if (st == SK_OK && (reply == NULL ||
	    (n = cbor_serialize_alloc(reply, &buf, &bufsize)) == 0))
		st = SK_ERR_OTHER;
	if (reply != NULL)
		cbor_decref(&reply);
	if (st == SK_STALL) {
		free(buf);
		return SK_STALL;
	}
	if (st != SK_OK)
		n = 0;
	if ((*out = malloc(1 + n)) == NULL) {
		free(buf);
		return -1;
	}
	(*out)[0] = (unsigned char)st;
	if (n > 0)
		memcpy(*out + 1, buf, n);
	*outlen = 1 + n;
	free(buf);
	return 0;
}
