/*
 * swstream: reassembling frames from a QEMU -netdev stream connection
 * (a 4-byte big-endian length, then that many bytes of frame), however
 * the bytes were cut into reads.
 *
 *	struct sw_stream s;
 *	sw_stream_init(&s);
 *	n = read(fd, sw_stream_space(&s, &room), room);
 *	sw_stream_commit(&s, n);
 *	while ((r = sw_stream_next(&s, &frame, &len)) > 0)
 *		handle(frame, len);
 *	if (r < 0)   the peer sent a length no frame can have: hang up
 *
 * The buffer is fixed (SW_STREAM_BUF bytes, inside the struct): a
 * guest cannot make it grow.
 */
#ifndef SECVF_SWSTREAM_H
#define SECVF_SWSTREAM_H

#include <stddef.h>
#include <stdint.h>

/* The longest frame a length prefix may announce (QEMU's own limit). */
#define SW_STREAM_FRAME_MAX 65535
#define SW_STREAM_BUF (2 * (4 + SW_STREAM_FRAME_MAX))

struct sw_stream {
	size_t start; /* first unparsed byte */
	size_t end;   /* end of the bytes held */
	uint8_t buf[SW_STREAM_BUF];
};

void sw_stream_init(struct sw_stream *s);

/* Where the next read goes, and how many bytes fit there (> 0). */
uint8_t *sw_stream_space(struct sw_stream *s, size_t *room);

/* n bytes were read into the space. */
void sw_stream_commit(struct sw_stream *s, size_t n);

/*
 * The next whole frame: 1 with *frame (valid until the next call of
 * sw_stream_space()) and *len set, 0 when more bytes are needed, -1
 * when a length is above SW_STREAM_FRAME_MAX (the stream cannot be
 * trusted past it).  A zero length yields an empty frame.
 */
int sw_stream_next(struct sw_stream *s, const uint8_t **frame, size_t *len);

/* Bytes of a frame begun but not finished (a port that hung up). */
size_t sw_stream_pending(const struct sw_stream *s);

#endif
