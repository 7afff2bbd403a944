/*
 * softkey internals: a software CTAP2 authenticator behind libfido2's io
 * hooks. Tests use softkey.h; this header is shared by the softkey files.
 */
#ifndef SK_H
#define SK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>
#include <fido.h>
#include <openssl/evp.h>

#define SK_PATH_PREFIX	"softkey:"	/* then the device's index */
#define SK_MAX_DEVICES	16
#define SK_DIR_MAX	512
#define SK_PIN_MAX	63	/* CTAP2: a PIN is at most 63 bytes */
#define SK_AAGUID_LEN	16
#define SK_HASH_LEN	32	/* SHA-256: rpIdHash, clientDataHash */
#define SK_SECRET_LEN	32	/* master secret: wraps credential ids */
#define SK_TOKEN_LEN	32	/* clientPIN pinToken */
#define SK_CRED_ID_MAX	256
#define SK_SIG_MAX	80	/* DER ECDSA P-256 <= 72, Ed25519 64 */
#define SK_MAXMSG	1200	/* maxMsgSize announced by GetInfo */
#define SK_PIN_RETRIES	8	/* CTAP2 default for a fresh PIN */

/* COSE algorithm identifiers the softkey signs with. */
#define SK_COSE_ES256	(-7)
#define SK_COSE_EDDSA	(-8)

/* CTAP2 status codes used here (CTAP 2.0, section 6.3). */
#define SK_OK				0x00
#define SK_ERR_INVALID_COMMAND		0x01
#define SK_ERR_INVALID_PARAMETER	0x02
#define SK_ERR_INVALID_LENGTH		0x03
#define SK_ERR_INVALID_SEQ		0x04
#define SK_ERR_INVALID_CHANNEL		0x0b
#define SK_ERR_CBOR_UNEXPECTED_TYPE	0x11
#define SK_ERR_INVALID_CBOR		0x12
#define SK_ERR_MISSING_PARAMETER	0x14
#define SK_ERR_CREDENTIAL_EXCLUDED	0x19
#define SK_ERR_UNSUPPORTED_ALGORITHM	0x26
#define SK_ERR_OPERATION_DENIED		0x27
#define SK_ERR_UNSUPPORTED_OPTION	0x2b
#define SK_ERR_INVALID_OPTION		0x2c
#define SK_ERR_KEEPALIVE_CANCEL		0x2d
#define SK_ERR_NO_CREDENTIALS		0x2e
#define SK_ERR_PIN_INVALID		0x31
#define SK_ERR_PIN_BLOCKED		0x32
#define SK_ERR_PIN_AUTH_INVALID		0x33
#define SK_ERR_PIN_AUTH_BLOCKED		0x34
#define SK_ERR_PIN_NOT_SET		0x35
#define SK_ERR_PIN_REQUIRED		0x36
#define SK_ERR_REQUEST_TOO_LARGE	0x39
#define SK_ERR_OTHER			0x7f
/* Not a CTAP status: the request waits for a touch that never comes. */
#define SK_STALL			0x100

enum sk_touch { SK_TOUCH_YES, SK_TOUCH_NO, SK_TOUCH_TIMEOUT };
enum sk_counter { SK_COUNTER_NORMAL, SK_COUNTER_ZERO, SK_COUNTER_BACKWARDS,
	SK_COUNTER_STUCK };
enum sk_attest { SK_ATTEST_X5C, SK_ATTEST_SELF, SK_ATTEST_BAD };
enum sk_fault { SK_FAULT_NONE, SK_FAULT_TRUNCATED, SK_FAULT_BADCBOR,
	SK_FAULT_OVERSIZED, SK_FAULT_WRONGCID };
enum sk_resp_id { SK_RESP_ID_REAL, SK_RESP_ID_RANDOM, SK_RESP_ID_EMPTY };

/* A device's behaviour, from DIR/state (see README). */
struct sk_state {
	bool present;
	bool up_flag;
	bool uv_flag;		/* no: assertions never say UV */
	bool rp_hash_wrong;	/* assertions sign another RP's hash */
	bool init_silent;	/* CTAPHID_INIT is never answered */
	bool uv_builtin;
	bool has_pin;
	enum sk_touch touch;
	enum sk_counter counter;
	enum sk_attest attest;
	enum sk_fault fault;
	enum sk_resp_id resp_id;
	char pin[SK_PIN_MAX + 1];
	unsigned char aaguid[SK_AAGUID_LEN];
};

/*
 * One open of a virtual device, i.e. one "power-up": its directory, its
 * state as read at open, and the clientPIN secrets of this session.
 */
struct sk_dev {
	char dir[SK_DIR_MAX];
	struct sk_state st;
	EVP_PKEY *ka_key;		/* clientPIN key agreement, lazily */
	unsigned char pin_token[SK_TOKEN_LEN];
	unsigned pin_fails;		/* consecutive wrong PINs */
};

/* state.c: the device directories (KGW_SOFTKEY) and their state files. */
void sk_config_read(void);
size_t sk_config_count(void);
const char *sk_config_dir(size_t idx);
int sk_path_index(const char *path, size_t *idx);
int sk_state_load(const char *dir, struct sk_state *st);
void sk_state_wipe(struct sk_state *st);
int sk_state_write(const char *dir, const char *text);

/* store.c: the files the softkey keeps in a device directory. */
int sk_file_read(const char *dir, const char *name, unsigned char **data,
    size_t *len);
int sk_file_create(const char *dir, const char *name,
    const unsigned char *data, size_t len);
int sk_secret_get(const char *dir, unsigned char secret[SK_SECRET_LEN]);
int sk_num_lock(const char *dir, const char *name, uint32_t dflt,
    uint32_t *val);
int sk_num_unlock(int fd, const uint32_t *val);

/* keys.c: credential keys, their COSE form, signatures, wrapped ids. */
EVP_PKEY *sk_key_generate(int alg);
int sk_ec_xy(const EVP_PKEY *pk, unsigned char x[32], unsigned char y[32]);
cbor_item_t *sk_key_cose(const EVP_PKEY *pk, int alg);
int sk_key_sign(EVP_PKEY *pk, int alg, const unsigned char *msg,
    size_t len, unsigned char *sig, size_t *siglen);
int sk_cred_wrap(const char *dir, const unsigned char rph[SK_HASH_LEN],
    EVP_PKEY *pk, int alg, unsigned char *id, size_t *idlen);
EVP_PKEY *sk_cred_unwrap(const char *dir,
    const unsigned char rph[SK_HASH_LEN], const unsigned char *id,
    size_t idlen, int *alg);

/* attest.c: the packed attestation statement. */
cbor_item_t *sk_attest_stmt(const struct sk_dev *dev, EVP_PKEY *cred_key,
    int alg, const unsigned char *msg, size_t len);

/* cbor.c: reading requests, building replies. */
const cbor_item_t *sk_map_get(const cbor_item_t *map, int64_t key);
const cbor_item_t *sk_map_get_str(const cbor_item_t *map, const char *key);
int sk_get_bytes(const cbor_item_t *item, const unsigned char **ptr,
    size_t *len);
int sk_get_text(const cbor_item_t *item, char *buf, size_t size);
int sk_get_int(const cbor_item_t *item, int64_t *val);
int sk_get_option(const cbor_item_t *opts, const char *name, int *val);
int sk_map_put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *val);

/* ctap.c: one CTAP2 request in, one reply out (status byte first). */
int sk_ctap_request(struct sk_dev *dev, const unsigned char *req,
    size_t len, unsigned char **out, size_t *outlen);
int sk_presence(const struct sk_dev *dev);

/* cred.c: MakeCredential and GetAssertion. */
int sk_make_cred(struct sk_dev *dev, const cbor_item_t *req,
    cbor_item_t **reply);
int sk_get_assert(struct sk_dev *dev, const cbor_item_t *req,
    cbor_item_t **reply);

/* pin.c: ClientPIN (protocol 1) and the pinAuth of a request. */
struct sk_uv_req {
	const unsigned char *cdh;	/* clientDataHash */
	size_t cdh_len;
	const cbor_item_t *pin_auth;	/* NULL: absent */
	const cbor_item_t *pin_proto;	/* NULL: absent */
	int uv_opt;			/* -1 absent, 0 false, 1 true */
	bool make_cred;
};
int sk_client_pin(struct sk_dev *dev, const cbor_item_t *req,
    cbor_item_t **reply);
int sk_uv_check(const struct sk_dev *dev, const struct sk_uv_req *req,
    bool *uv);
int sk_pin_session_begin(struct sk_dev *dev);
void sk_pin_session_end(struct sk_dev *dev);

/* hid.c: CTAPHID framing; the io functions libfido2 calls. */
extern const fido_dev_io_t sk_hid_io;

#endif /* SK_H */
