/*
 * chanproto: the host channel protocol (layer 4) and its checker.
 *
 * The guest agent talks to the supervisor over one stream connection
 * (vsock, or a virtio-serial port).  The stream is a sequence of
 * messages, each a 12-byte header and a payload:
 *
 *   offset  size  field
 *   0       4     magic, the ASCII bytes "SVF1"
 *   4       1     version, 1
 *   5       1     type: 1 hello, 2 heartbeat, 3 report, 4 bye
 *   6       2     flags, big-endian; reserved: senders put 0,
 *                 receivers ignore them
 *   8       4     length of the payload in bytes, big-endian,
 *                 at most chan_max_message (default 65536)
 *   12      ...   payload (UTF-8 JSON by convention; not checked here)
 *
 * A connection starts with exactly one hello and may end with a bye;
 * a second hello, anything before the hello, or anything after the
 * bye is a protocol violation.
 *
 * The parser takes the stream in chunks of any size and buffers at
 * most one header and one payload of the maximum size.  It emits:
 *
 *   vsock.message.oversized     CRITICAL  a length over the maximum;
 *                               the payload is not read
 *   vsock.protocol.violation    CRITICAL  bad magic, version or type,
 *                               a message out of order, or the peer
 *                               closing in the middle of a message
 *   vsock.port.unauthorized     CRITICAL  (chanproto_port_unauthorized)
 *                               a connection to a port secvf does not
 *                               serve
 *
 * After oversized or a violation the parser is in the drop state: the
 * caller closes the connection and reads nothing more from it.
 */
#ifndef SECVF_CHANPROTO_H
#define SECVF_CHANPROTO_H

#include "detect/detector.h"
#include "detect/ratelimit.h"

#include <stddef.h>
#include <stdint.h>

#define CHAN_MAGIC "SVF1"
#define CHAN_VERSION 1
#define CHAN_HDR_LEN 12

enum chan_type {
	CHAN_HELLO = 1,
	CHAN_HEARTBEAT = 2,
	CHAN_REPORT = 3,
	CHAN_BYE = 4,
};

/* A message as received; payload is valid only during the callback. */
struct chan_msg {
	enum chan_type type;
	uint16_t flags;
	uint32_t len;
	const uint8_t *payload;
};

enum chan_state { CHAN_OK, CHAN_DROP };

struct chanproto_parser {
	uint32_t max; /* largest payload accepted */
	struct det_sink sink;
	struct ratelimit *rl; /* borrowed, may be NULL */
	void (*on_msg)(void *ctx, const struct chan_msg *msg);
	void *ctx;

	enum chan_state state;
	uint8_t hdr[CHAN_HDR_LEN];
	size_t hdr_got;
	uint8_t *payload;   /* max bytes */
	uint32_t need, got; /* payload of the current message */
	int in_payload, seen_hello, seen_bye;
	uint64_t offset; /* bytes accepted so far */
	uint64_t messages;
};

/*
 * Start a parser for one connection.  max is the largest payload
 * (chan_max_message); on_msg (may be NULL) receives each whole
 * message.  rl, when not NULL, is shared by the connections of one VM
 * so that reconnecting does not multiply events.  -1 with err_msg()
 * when memory is short.
 */
int chanproto_init(struct chanproto_parser *p, uint32_t max,
		   const struct det_sink *sink, struct ratelimit *rl,
		   void (*on_msg)(void *ctx, const struct chan_msg *msg),
		   void *ctx);

/* Free the payload buffer. */
void chanproto_release(struct chanproto_parser *p);

/*
 * Take len more bytes of the stream.  0 while the stream is good; -1
 * once the parser is in the drop state (then nothing more is read:
 * close the connection).
 */
int chanproto_feed(struct chanproto_parser *p, const void *buf, size_t len,
		   int64_t now_us);

/* The peer closed the connection: a violation when mid-message. */
void chanproto_close(struct chanproto_parser *p, int64_t now_us);

/*
 * Encode one message into out (size bytes).  Returns its length
 * (CHAN_HDR_LEN + len), or 0 when out is too small or len is over
 * UINT32_MAX.
 */
size_t chanproto_encode(enum chan_type type, uint16_t flags,
			const void *payload, size_t len, uint8_t *out,
			size_t size);

/* Report a connection to a port secvf does not serve. */
void chanproto_port_unauthorized(const struct det_sink *sink,
				 struct ratelimit *rl, uint32_t cid,
				 uint32_t port, int64_t now_us);

#endif
