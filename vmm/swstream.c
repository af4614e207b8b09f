/*
 * swstream: the incremental frame parser of a switch port.
 */
#include "swstream.h"

#include <string.h>

void
sw_stream_init(struct sw_stream *s)
{
	s->start = s->end = 0;
}

uint8_t *
sw_stream_space(struct sw_stream *s, size_t *room)
{
	/* Move a partial frame to the front once past the half-way mark,
	 * so that a whole frame always fits behind it. */
	if (s->start == s->end) {
		s->start = s->end = 0;
	} else if (s->start > SW_STREAM_BUF / 2 ||
		   SW_STREAM_BUF - s->end < 4 + SW_STREAM_FRAME_MAX) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	*room = SW_STREAM_BUF - s->end;
	return s->buf + s->end;
}

void
sw_stream_commit(struct sw_stream *s, size_t n)
{
	if (n > SW_STREAM_BUF - s->end)
		n = SW_STREAM_BUF - s->end;
	s->end += n;
}

int
sw_stream_next(struct sw_stream *s, const uint8_t **frame, size_t *len)
{
	const uint8_t *p = s->buf + s->start;
	size_t have = s->end - s->start;
	uint32_t n;

	if (have < 4)
		return 0;
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	    p[3];
	if (n > SW_STREAM_FRAME_MAX)
		return -1;
	if (have - 4 < n)
		return 0;
	*frame = p + 4;
	*len = n;
	s->start += 4 + n;
	return 1;
}

size_t
sw_stream_pending(const struct sw_stream *s)
{
	return s->end - s->start;
}
