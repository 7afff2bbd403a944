/*
 * CTAPHID (CTAP 2.0, section 8.1) over 64-byte reports: the io functions
 * libfido2 calls instead of hidraw. write() receives a report (with report
 * id 0 in front) and, once a message is whole, runs it and queues the
 * reply; read() hands out queued reports, or waits the host's timeout and
 * fails, as a silent device would. The faults of DIR/state are made here.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "sk.h"

#define REPORT_LEN	64
#define INIT_DATA	57	/* cid 4, cmd 1, bcnt 2 */
#define CONT_DATA	59	/* cid 4, seq 1 */
#define HID_MAXMSG	(INIT_DATA + 128 * CONT_DATA)
#define QUEUE_MAX	(2 + 128 + 2)
#define CID_BROADCAST	0xffffffffU
#define WAIT_MAX_MS	30000

#define CMD_PING	0x01
#define CMD_INIT	0x06
#define CMD_CBOR	0x10
#define CMD_CANCEL	0x11
#define CMD_KEEPALIVE	0x3b
#define CMD_ERROR	0x3f
#define CTAP_GET_INFO	0x04

#define KEEPALIVE_UP_NEEDED	0x02
#define CAP_CBOR	0x04
#define CAP_NMSG	0x08	/* no CTAP1/U2F messages */
#define HID_ERR_INVALID_CMD	0x01
#define HID_ERR_INVALID_LEN	0x03
#define HID_ERR_INVALID_SEQ	0x04
#define HID_ERR_INVALID_CHANNEL	0x0b
#define HID_ERR_OTHER		0x7f

struct sk_hid {
	struct sk_dev dev;
	uint32_t next_cid;
	bool fault_armed;		/* DIR/state's fault, not yet made */
	/* The request being received. */
	bool rx_active;
	uint32_t rx_cid;
	uint8_t rx_cmd;
	uint8_t rx_seq;
	size_t rx_len;
	size_t rx_got;
	unsigned char rx_buf[HID_MAXMSG];
	/* A request waiting for a touch, until CTAPHID_CANCEL. */
	bool stalled;
	uint32_t stalled_cid;
	/* Reports for read(), oldest first. */
	unsigned char queue[QUEUE_MAX][REPORT_LEN];
	size_t q_head;
	size_t q_len;
};

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static unsigned char *
queue_slot(struct sk_hid *h, uint32_t cid)
{
	unsigned char *r = h->queue[(h->q_head + h->q_len++) % QUEUE_MAX];

	memset(r, 0, REPORT_LEN);
	put_be32(r, cid);
	return r;
}

/*
 * Queues MSG for CID as one init frame and its continuation frames; the
 * init frame declares DECLARED bytes, which only a fault makes differ.
 */
static int
queue_msg(struct sk_hid *h, uint32_t cid, uint8_t cmd,
    const unsigned char *msg, size_t len, size_t declared)
{
	size_t frames, off, n;
	unsigned char *r;
	uint8_t seq;

	frames = 1 + (len > INIT_DATA ?
	    (len - INIT_DATA + CONT_DATA - 1) / CONT_DATA : 0);
	if (len > HID_MAXMSG || declared > 0xffff ||
	    h->q_len + frames > QUEUE_MAX)
		return -1;
	r = queue_slot(h, cid);
	r[4] = 0x80 | cmd;
	r[5] = (unsigned char)(declared >> 8);
	r[6] = (unsigned char)declared;
	n = len < INIT_DATA ? len : INIT_DATA;
	memcpy(r + 7, msg, n);
	for (off = n, seq = 0; off < len; off += n, seq++) {
		r = queue_slot(h, cid);
		r[4] = seq;
		n = len - off < CONT_DATA ? len - off : CONT_DATA;
		memcpy(r + 5, msg + off, n);
	}
	return 0;
}

static void
send_error(struct sk_hid *h, uint32_t cid, uint8_t code)
{
	(void)queue_msg(h, cid, CMD_ERROR, &code, 1, 1);
}

/* The reply to a CBOR request, malformed if DIR/state says so. */
static void
reply_cbor(struct sk_hid *h, uint32_t cid, const unsigned char *msg,
    size_t len, enum sk_fault fault)
{
	/* Status OK, then a map of three pairs cut off after one key. */
	static const unsigned char junk[] = { 0x00, 0xa3, 0x01 };

	switch (fault) {
	case SK_FAULT_TRUNCATED:	/* one continuation frame never comes */
		(void)queue_msg(h, cid, CMD_CBOR, msg, len, len + CONT_DATA);
		break;
	case SK_FAULT_BADCBOR:
		(void)queue_msg(h, cid, CMD_CBOR, junk, sizeof(junk),
		    sizeof(junk));
		break;
	case SK_FAULT_OVERSIZED:	/* declares 64 KiB - 1, past any max */
		(void)queue_msg(h, cid, CMD_CBOR, msg,
		    len < INIT_DATA ? len : INIT_DATA, 0xffff);
		break;
	case SK_FAULT_WRONGCID:
		(void)queue_msg(h, cid ^ 0x00010000U, CMD_CBOR, msg, len, len);
		break;
	default:
		(void)queue_msg(h, cid, CMD_CBOR, msg, len, len);
		break;
	}
}

static void
process_cbor(struct sk_hid *h, uint32_t cid, const unsigned char *msg,
    size_t len)
{
	static const unsigned char up_needed = KEEPALIVE_UP_NEEDED;
	enum sk_fault fault = SK_FAULT_NONE;
	unsigned char *out;
	size_t outlen;
	int r;

	if (len == 0) {
		send_error(h, cid, HID_ERR_INVALID_LEN);
		return;
	}
	/* GetInfo is spared: libfido2 would quietly fall back to U2F. */
	if (h->fault_armed && msg[0] != CTAP_GET_INFO)
		fault = h->dev.st.fault;
	if ((r = sk_ctap_request(&h->dev, msg, len, &out, &outlen)) ==
	    SK_STALL) {
		/* One keepalive, then silence: the host's timeout fires. */
		(void)queue_msg(h, cid, CMD_KEEPALIVE, &up_needed, 1, 1);
		h->stalled = true;
		h->stalled_cid = cid;
		return;
	}
	if (r < 0) {
		send_error(h, cid, HID_ERR_OTHER);
		return;
	}
	if (fault != SK_FAULT_NONE)
		h->fault_armed = false;
	reply_cbor(h, cid, out, outlen, fault);
	free(out);
}

static void
process(struct sk_hid *h)
{
	h->rx_active = false;
	h->stalled = false;	/* a new request replaces a waiting one */
	if (h->rx_cmd == CMD_CBOR)
		process_cbor(h, h->rx_cid, h->rx_buf, h->rx_len);
	else if (h->rx_cmd == CMD_PING)
		(void)queue_msg(h, h->rx_cid, CMD_PING, h->rx_buf, h->rx_len,
		    h->rx_len);
	else
		send_error(h, h->rx_cid, HID_ERR_INVALID_CMD);
	/* The request may have carried PIN material. */
	OPENSSL_cleanse(h->rx_buf, h->rx_len);
}

/* CTAPHID_INIT: a new channel when asked on the broadcast one. */
static void
hid_init(struct sk_hid *h, uint32_t cid, const unsigned char *nonce,
    size_t len)
{
	unsigned char resp[17];

	/* init=silent: the host's handshake waits in vain (its timeout). */
	if (h->dev.st.init_silent)
		return;
	if (len != 8) {
		send_error(h, cid, HID_ERR_INVALID_LEN);
		return;
	}
	if (h->rx_active && h->rx_cid == cid)
		h->rx_active = false;
	memcpy(resp, nonce, 8);
	put_be32(resp + 8, cid == CID_BROADCAST ? h->next_cid++ : cid);
	resp[12] = 2;		/* CTAPHID protocol version */
	resp[13] = 1;		/* device version 1.0.0 */
	resp[14] = 0;
	resp[15] = 0;
	resp[16] = CAP_CBOR | CAP_NMSG;
	(void)queue_msg(h, cid, CMD_INIT, resp, sizeof(resp), sizeof(resp));
}

/* CTAPHID_CANCEL: no reply of its own; the waiting request ends. */
static void
hid_cancel(struct sk_hid *h, uint32_t cid)
{
	static const unsigned char cancelled = SK_ERR_KEEPALIVE_CANCEL;

	if (h->stalled && h->stalled_cid == cid) {
		h->stalled = false;
		(void)queue_msg(h, cid, CMD_CBOR, &cancelled, 1, 1);
	}
}

static void
on_init_frame(struct sk_hid *h, uint32_t cid, const unsigned char *r)
{
	uint8_t cmd = r[4] & 0x7f;
	size_t len = (size_t)r[5] << 8 | r[6];

	if (cmd == CMD_INIT) {
		hid_init(h, cid, r + 7, len);
		return;
	}
	if (cmd == CMD_CANCEL) {
		hid_cancel(h, cid);
		return;
	}
	if (cid == CID_BROADCAST || cid == 0) {
		send_error(h, cid, HID_ERR_INVALID_CHANNEL);
		return;
	}
	if (len > HID_MAXMSG) {
		send_error(h, cid, HID_ERR_INVALID_LEN);
		return;
	}
	h->rx_active = true;
	h->rx_cid = cid;
	h->rx_cmd = cmd;
	h->rx_seq = 0;
	h->rx_len = len;
	h->rx_got = len < INIT_DATA ? len : INIT_DATA;
	memcpy(h->rx_buf, r + 7, h->rx_got);
	if (h->rx_got == h->rx_len)
		process(h);
}

static void
on_cont_frame(struct sk_hid *h, uint32_t cid, const unsigned char *r)
{
	size_t n;

	/* A continuation frame nobody waits for is ignored (8.1.5). */
	if (!h->rx_active || cid != h->rx_cid)
		return;
	if (r[4] != h->rx_seq) {
		h->rx_active = false;
		send_error(h, cid, HID_ERR_INVALID_SEQ);
		return;
	}
	n = h->rx_len - h->rx_got < CONT_DATA ? h->rx_len - h->rx_got :
	    CONT_DATA;
	memcpy(h->rx_buf + h->rx_got, r + 5, n);
	h->rx_got += n;
	h->rx_seq++;
	if (h->rx_got == h->rx_len)
		process(h);
}

static int
sk_io_write(void *handle, const unsigned char *buf, size_t len)
{
	struct sk_hid *h = handle;
	const unsigned char *r;
	uint32_t cid;

	if (h == NULL || buf == NULL || len != REPORT_LEN + 1)
		return -1;
	r = buf + 1;	/* after the report id */
	cid = get_be32(r);
	if (r[4] & 0x80)
		on_init_frame(h, cid, r);
	else
		on_cont_frame(h, cid, r);
	return (int)len;
}

/* Nothing will come: wait as long as the host would, within reason. */
static void
wait_ms(int ms)
{
	struct timespec ts;
	long w = ms < 0 || ms > WAIT_MAX_MS ? WAIT_MAX_MS : ms;
	int r;

	ts.tv_sec = w / 1000;
	ts.tv_nsec = (w % 1000) * 1000000L;
	do
		r = nanosleep(&ts, &ts);
	while (r < 0 && errno == EINTR);
}

static int
sk_io_read(void *handle, unsigned char *buf, size_t len, int ms)
{
	struct sk_hid *h = handle;

	if (h == NULL || buf == NULL || len < REPORT_LEN)
		return -1;
	if (h->q_len == 0) {
		wait_ms(ms);
		return -1;
	}
	memcpy(buf, h->queue[h->q_head], REPORT_LEN);
	h->q_head = (h->q_head + 1) % QUEUE_MAX;
	h->q_len--;
	return REPORT_LEN;
}

/* A power-up: DIR/state is read now, so a test can change it between. */
static void *
sk_io_open(const char *path)
{
	struct sk_hid *h;
	const char *dir;
	size_t idx;

	if (sk_path_index(path, &idx) < 0 ||
	    (dir = sk_config_dir(idx)) == NULL ||
	    (h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	(void)snprintf(h->dev.dir, sizeof(h->dev.dir), "%s", dir);
	if (sk_state_load(dir, &h->dev.st) < 0 || !h->dev.st.present ||
	    sk_pin_session_begin(&h->dev) < 0) {
		sk_state_wipe(&h->dev.st);
		free(h);
		return NULL;
	}
	h->next_cid = 0x5ca1ab1eU + (uint32_t)idx;
	h->fault_armed = h->dev.st.fault != SK_FAULT_NONE;
	return h;
}

static void
sk_io_close(void *handle)
{
	struct sk_hid *h = handle;

	if (h == NULL)
		return;
	sk_pin_session_end(&h->dev);
	sk_state_wipe(&h->dev.st);
	free(h);
}

const fido_dev_io_t sk_hid_io = {
	sk_io_open,
	sk_io_close,
	sk_io_read,
	sk_io_write,
};
