#include "detect/chanproto.h"

#include "lib/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB "vsock"

int
chanproto_init(struct chanproto_parser *p, uint32_t max,
	       const struct det_sink *sink, struct ratelimit *rl,
	       void (*on_msg)(void *ctx, const struct chan_msg *msg), void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->max = max;
	p->sink = *sink;
	p->rl = rl;
	p->on_msg = on_msg;
	p->ctx = ctx;
	p->payload = malloc(max ? max : 1);
	if (!p->payload)
		return err_set("out of memory");
	return 0;
}

void
chanproto_release(struct chanproto_parser *p)
{
	free(p->payload);
	p->payload = NULL;
}

static void
report(const struct det_sink *sink, struct ratelimit *rl, int64_t now_us,
       const char *key, const char *event, json_t *data)
{
	if (rl)
		ratelimit_emit(rl, sink, now_us, key, EV_CRITICAL, SUB, event,
			       data);
	else
		det_emit(sink, EV_CRITICAL, SUB, event, data);
}

static int
violation(struct chanproto_parser *p, const char *reason, int64_t now_us)
{
	report(&p->sink, p->rl, now_us, reason, "protocol.violation",
	       json_pack("{s:s,s:I,s:I}", "reason", reason, "offset",
			 (json_int_t)p->offset, "messages",
			 (json_int_t)p->messages));
	p->state = CHAN_DROP;
	return -1;
}

static uint32_t
be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* A whole header is in p->hdr: check it and start its payload. */
static int
header_done(struct chanproto_parser *p, int64_t now_us)
{
	uint8_t type = p->hdr[5];
	uint32_t len = be32(p->hdr + 8);

	if (memcmp(p->hdr, CHAN_MAGIC, 4))
		return violation(p, "bad magic", now_us);
	if (p->hdr[4] != CHAN_VERSION)
		return violation(p, "unsupported version", now_us);
	if (type < CHAN_HELLO || type > CHAN_BYE)
		return violation(p, "unknown message type", now_us);
	if (len > p->max) {
		report(&p->sink, p->rl, now_us, NULL, "message.oversized",
		       json_pack("{s:I,s:I,s:i,s:I}", "length", (json_int_t)len,
				 "max", (json_int_t)p->max, "type", type,
				 "offset", (json_int_t)p->offset));
		p->state = CHAN_DROP;
		return -1;
	}
	if (p->seen_bye)
		return violation(p, "message after bye", now_us);
	if (!p->seen_hello && type != CHAN_HELLO)
		return violation(p, "message before hello", now_us);
	if (p->seen_hello && type == CHAN_HELLO)
		return violation(p, "second hello", now_us);

	p->need = len;
	p->got = 0;
	p->in_payload = 1;
	return 0;
}

static void
message_done(struct chanproto_parser *p)
{
	struct chan_msg msg = {
		.type = (enum chan_type)p->hdr[5],
		.flags = (uint16_t)(p->hdr[6] << 8 | p->hdr[7]),
		.len = p->need,
		.payload = p->payload,
	};

	if (msg.type == CHAN_HELLO)
		p->seen_hello = 1;
	if (msg.type == CHAN_BYE)
		p->seen_bye = 1;
	p->messages++;
	p->in_payload = 0;
	p->hdr_got = 0;
	if (p->on_msg)
		p->on_msg(p->ctx, &msg);
}

int
chanproto_feed(struct chanproto_parser *p, const void *buf, size_t len,
	       int64_t now_us)
{
	const uint8_t *b = buf;
	size_t n;

	while (p->state == CHAN_OK) {
		if (!p->in_payload && p->hdr_got == CHAN_HDR_LEN &&
		    header_done(p, now_us) < 0)
			break;
		if (p->in_payload && p->got == p->need) {
			message_done(p);
			continue;
		}
		if (!len)
			break;
		if (!p->in_payload) {
			n = CHAN_HDR_LEN - p->hdr_got;
			n = n < len ? n : len;
			memcpy(p->hdr + p->hdr_got, b, n);
			p->hdr_got += n;
		} else {
			n = p->need - p->got;
			n = n < len ? n : len;
			memcpy(p->payload + p->got, b, n);
			p->got += (uint32_t)n;
		}
		b += n;
		len -= n;
		p->offset += n;
	}
	return p->state == CHAN_OK ? 0 : -1;
}

void
chanproto_close(struct chanproto_parser *p, int64_t now_us)
{
	if (p->state != CHAN_OK)
		return;
	if (p->hdr_got || p->in_payload)
		violation(p, "closed in the middle of a message", now_us);
}

size_t
chanproto_encode(enum chan_type type, uint16_t flags, const void *payload,
		 size_t len, uint8_t *out, size_t size)
{
	if (len > UINT32_MAX || size < CHAN_HDR_LEN ||
	    len > size - CHAN_HDR_LEN)
		return 0;
	memcpy(out, CHAN_MAGIC, 4);
	out[4] = CHAN_VERSION;
	out[5] = (uint8_t)type;
	out[6] = (uint8_t)(flags >> 8);
	out[7] = (uint8_t)flags;
	out[8] = (uint8_t)(len >> 24);
	out[9] = (uint8_t)(len >> 16);
	out[10] = (uint8_t)(len >> 8);
	out[11] = (uint8_t)len;
	if (len)
		memcpy(out + CHAN_HDR_LEN, payload, len);
	return CHAN_HDR_LEN + len;
}

void
chanproto_port_unauthorized(const struct det_sink *sink, struct ratelimit *rl,
			    uint32_t cid, uint32_t port, int64_t now_us)
{
	char key[32];

	snprintf(key, sizeof(key), "%u", port);
	report(sink, rl, now_us, key, "port.unauthorized",
	       json_pack("{s:I,s:I}", "cid", (json_int_t)cid, "port",
			 (json_int_t)port));
}
